/**
 * Deterministic elementary functions: natural logarithm, exponential and power.
 *
 * Why: Math.log, Math.exp and Math.pow are approximations whose last bits differ between
 * JavaScript engines (V8, SpiderMonkey, JavaScriptCore) and versions. A random distribution built
 * on them (exponential inter-arrival times, normal jitter, Zipf keys) would make the trace, and so
 * the traceHash, differ between Node and the browser. These functions use only operations that
 * IEEE 754 defines exactly (+ - * /, comparisons, Math.round/floor/abs, and reading or writing the
 * bits of a double through a DataView), so every engine computes the same bits.
 *
 * How: intermediate results are kept as double-double pairs (hi + lo, about 106 bits) where it
 * matters, so the final rounding to one double is the dominant error (within about one unit in the
 * last place of the exact result; the tests require a relative error below 1e-14 against Math.*).
 * - log: x = 2^e * m with m in [sqrt(1/2), sqrt(2)); log(m) = 2 atanh(s), s = (m - 1) / (m + 1),
 *   as a series in s^2; plus e * ln2 from a split constant whose high part multiplies exactly.
 * - exp: k = round(x / ln2), r = x - k ln2 (exact high part, split ln2), a Taylor polynomial for
 *   exp(r) on |r| <= ln2 / 2, then scaling by 2^k built from the exponent bits (in two steps for
 *   results that are subnormal, so that only the last step rounds).
 * - pow: small integer exponents by binary powering in double-double (so 10^3 is exactly 1000);
 *   otherwise exp(y * log(x)) with log(x) and the product kept in double-double.
 *
 * Simplified: subnormal results of exp and pow are rounded twice (as fdlibm, which V8 uses, also
 * does), so there they may differ from Math.exp by one unit of the smallest subnormal.
 *
 * Double-double helpers return their pair through the module object `dd` (`dd.hi`, `dd.lo`), so
 * the hot path allocates nothing; every function here is synchronous, so nothing interleaves.
 */

// One 8-byte scratch buffer for bit access. DataView's default big-endian order makes the byte
// layout the same on every platform: offset 0 holds the sign, exponent and top mantissa bits.
const scratch = new DataView(new ArrayBuffer(8));

/** 2^k for an integer k in [-1022, 1023], built from the exponent bits (no rounding anywhere). */
function pow2(k: number): number {
  scratch.setUint32(0, (k + 1023) << 20);
  scratch.setUint32(4, 0);
  return scratch.getFloat64(0);
}

const TWO_POW_54 = pow2(54);
const TWO_POW_M1000 = pow2(-1000);
const TWO_POW_M1022 = pow2(-1022); // smallest normal double: below it, x is subnormal

// ln2 split as in fdlibm: LN2_HI has its low 21 mantissa bits zero, so k * LN2_HI is exact for
// |k| < 2^21; LN2_HI + LN2_LO equals ln2 to about 2^-86.
const LN2_HI = 0.6931471803691238; // 0x3FE62E42_FEE00000
const LN2_LO = 1.9082149292705877e-10; // 0x3DEA39EF_35793C76
const INV_LN2 = Math.LOG2E; // 1/ln2 rounded (a spec constant); it only picks k, harmlessly
const SQRT2 = Math.SQRT2; // the reduction boundary; any value near sqrt(2) works

// Beyond these, exp overflows to Infinity or underflows to 0 whatever the low bits are:
// exp(710) > MAX_VALUE, and exp(-746) < 2^-1076, which rounds to zero.
const EXP_OVERFLOW_ARG = 710;
const EXP_UNDERFLOW_ARG = -746;

// Taylor coefficients 1/n!, n = 2..16, of exp(r) - 1 - r on |r| <= 0.35: the first omitted term,
// r^17/17!, is below 2^-80 relative to the result. Each 1/n! is one IEEE division, so exact bits.
const EXP_COEFFS = [
  2, 6, 24, 120, 720, 5040, 40320, 362880, 3628800, 39916800, 479001600, 6227020800, 87178291200,
  1307674368000, 20922789888000,
].map((factorial) => 1 / factorial);

// Series coefficients 1/(2j+1), j = 2..12, of atanh: R(z) = 1/5 + z/7 + ... + z^10/25. The first
// omitted term, z^12/27 with z <= 0.0295, is below 2^-66 relative to log(m).
const ATANH_COEFFS = [5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25].map((odd) => 1 / odd);

/** c[0] + z (c[1] + z (c[2] + ...)) by Horner, highest coefficient first. */
function horner(coeffs: readonly number[], z: number): number {
  let acc = coeffs[coeffs.length - 1]!;
  for (let i = coeffs.length - 2; i >= 0; i--) acc = coeffs[i]! + z * acc;
  return acc;
}

// Integer exponents use double-double binary powering while |n| * (|binary exponent of base| + 1)
// stays below this, so no intermediate leaves [2^-900, 2^900] where Dekker's split and the low
// words of double-double values stay exact.
const INT_POW_LOG2_LIMIT = 900;

// The pair most recently computed by a double-double helper (an object with two fields is faster
// in V8 than two module-level `let` bindings, which carry temporal-dead-zone checks).
const dd = { hi: 0, lo: 0 };

/** Exact sum: dd.hi + dd.lo === a + b (Knuth's two-sum, any magnitudes). */
function twoSum(a: number, b: number): void {
  const s = a + b;
  const bVirtual = s - a;
  dd.hi = s;
  dd.lo = a - (s - bVirtual) + (b - bVirtual);
}

/** Exact sum when |a| >= |b| (Dekker's fast two-sum); also renormalizes a pair. */
function fastTwoSum(a: number, b: number): void {
  const s = a + b;
  dd.hi = s;
  dd.lo = b - (s - a);
}

const SPLITTER = 134217729; // 2^27 + 1, Dekker's splitting constant

/** Exact product without FMA: dd.hi + dd.lo === a * b while |a|, |b| < 2^996 and no underflow. */
function twoProd(a: number, b: number): void {
  const p = a * b;
  let t = SPLITTER * a;
  const aHi = t - (t - a);
  const aLo = a - aHi;
  t = SPLITTER * b;
  const bHi = t - (t - b);
  const bLo = b - bHi;
  dd.hi = p;
  dd.lo = aHi * bHi - p + aHi * bLo + aLo * bHi + aLo * bLo;
}

/** Double-double product (aHi + aLo) * (bHi + bLo), normalized into dd.hi, dd.lo. */
function ddMul(aHi: number, aLo: number, bHi: number, bLo: number): void {
  twoProd(aHi, bHi);
  const p = dd.hi;
  const e = dd.lo + (aHi * bLo + aLo * bHi);
  fastTwoSum(p, e);
}

/**
 * log(1 + f) as a double-double, for f = m - 1 with m in [sqrt(1/2), sqrt(2)], f computed exactly.
 * log(m) = 2 atanh(s) = 2s (1 + z/3 + z^2/5 + ...), s = f / (2 + f), z = s^2 <= 0.0295.
 */
function logReducedDD(f: number): void {
  if (f === 0) {
    dd.hi = 0;
    dd.lo = 0;
    return;
  }
  // s = f / (2 + f) to double-double precision: the denominator is an exact pair, and the
  // quotient's low word comes from the exact residual f - sHi * d.
  fastTwoSum(2, f);
  const dHi = dd.hi;
  const dLo = dd.lo;
  const sHi = f / dHi;
  twoProd(sHi, dHi);
  const sLo = (f - dd.hi - dd.lo - sHi * dLo) / dHi;
  // z = s^2 as a pair.
  twoProd(sHi, sHi);
  const zHi = dd.hi;
  const zLo = dd.lo + 2 * sHi * sLo;
  // w = z/3 + z^2 R(z): z/3 as a pair, the rest (below 2e-4) in plain doubles. Terms stop at
  // z^12/25, the first omitted being below 2^-66 relative.
  const qHi = zHi / 3;
  twoProd(qHi, 3);
  const qLo = (zHi - dd.hi - dd.lo + zLo) / 3;
  const tail = zHi * zHi * horner(ATANH_COEFFS, zHi);
  fastTwoSum(qHi, tail);
  const wHi = dd.hi;
  const wLo = dd.lo + qLo;
  // s * w as a pair, then s + s w, then times 2 (exact).
  twoProd(sHi, wHi);
  const pHi = dd.hi;
  const pLo = dd.lo + (sHi * wLo + sLo * wHi);
  fastTwoSum(sHi, pHi);
  const rHi = dd.hi;
  const rLo = dd.lo + (sLo + pLo);
  fastTwoSum(rHi, rLo);
  dd.hi *= 2;
  dd.lo *= 2;
}

/** log(x) as a normalized double-double in dd.hi, dd.lo, for finite x > 0 (subnormals included). */
function logDD(x: number): void {
  let e = 0;
  let v = x;
  if (v < TWO_POW_M1022) {
    // Scale a subnormal into the normal range (exact) so the exponent field is meaningful.
    v *= TWO_POW_54;
    e = -54;
  }
  scratch.setFloat64(0, v);
  const highWord = scratch.getUint32(0);
  e += (highWord >>> 20) - 1023; // sign bit is 0 for x > 0
  scratch.setUint32(0, (highWord & 0x000fffff) | 0x3ff00000); // same mantissa, exponent 0
  let m = scratch.getFloat64(0); // m in [1, 2)
  if (m > SQRT2) {
    m *= 0.5; // exact; keeps |log m| <= ln2/2 so the series converges fast
    e += 1;
  }
  logReducedDD(m - 1); // m - 1 is exact (Sterbenz: m/2 <= 1 <= 2m)
  if (e === 0) return;
  const cHi = dd.hi;
  const cLo = dd.lo;
  const a = e * LN2_HI; // exact: |e| <= 1075 < 2^21
  twoProd(e, LN2_LO);
  const bHi = dd.hi;
  const bLo = dd.lo;
  twoSum(a, cHi);
  const s = dd.hi;
  const t = dd.lo + (bHi + (bLo + cLo));
  fastTwoSum(s, t); // |s| >= ln2/2 dwarfs t
}

/** exp(yHi + yLo), with |yLo| no larger than about one ulp of yHi. */
function expDD(yHi: number, yLo: number): number {
  if (Number.isNaN(yHi)) return Number.NaN;
  if (yHi >= EXP_OVERFLOW_ARG) return Number.POSITIVE_INFINITY;
  if (yHi <= EXP_UNDERFLOW_ARG) return 0;
  const k = Math.round(yHi * INV_LN2); // in [-1076, 1024]
  // yHi - k * LN2_HI is exact: k * LN2_HI is exact, and the difference (at most about 0.35 in
  // magnitude) is a multiple of ulp(yHi) >= 2^-54 when k != 0, so it fits in 53 bits.
  const hi = yHi - k * LN2_HI;
  const lo = k * LN2_LO;
  twoSum(hi, -lo);
  const r = dd.hi;
  const rLo = dd.lo + yLo;
  // q = exp(r) - 1 - r, by Horner.
  const q = r * r * horner(EXP_COEFFS, r);
  // exp(r + rLo) = exp(r) (1 + rLo + ...) = 1 + r + q + rLo (1 + r + q). 1 + r is summed exactly
  // so that only the final addition rounds by more than a sliver of an ulp.
  fastTwoSum(1, r);
  const p = dd.hi + (dd.lo + (q + rLo * (1 + r + q)));
  return scaleByPow2(p, k);
}

/** p * 2^k for p near 1 and k in [-1076, 1024], rounding at most once. */
function scaleByPow2(p: number, k: number): number {
  if (k > 1023) return p * 2 * pow2(k - 1);
  // A subnormal result: the first product is exact (still normal), only the second rounds.
  if (k < -1022) return p * pow2(k + 1000) * TWO_POW_M1000;
  return p * pow2(k);
}

/**
 * Natural logarithm, bit-identical on every JavaScript engine. Same special cases as Math.log:
 * log(±0) = -Infinity, log(x < 0) = NaN, log(NaN) = NaN, log(Infinity) = Infinity.
 */
export function detLog(x: number): number {
  if (!(x > 0)) return x === 0 ? Number.NEGATIVE_INFINITY : Number.NaN;
  if (x === Number.POSITIVE_INFINITY) return x;
  logDD(x);
  return dd.hi; // the pair is normalized: dd.hi is dd.hi + dd.lo rounded
}

/**
 * Exponential, bit-identical on every JavaScript engine. Same special cases as Math.exp:
 * exp(-Infinity) = 0, exp(Infinity) = Infinity, exp(NaN) = NaN; overflow gives Infinity and
 * underflow gives 0 (exp(-800) === 0).
 */
export function detExp(x: number): number {
  return expDD(x, 0);
}

/** base^n for finite base > 0 and a nonzero integer n small enough for INT_POW_LOG2_LIMIT. */
function powIntDD(base: number, n: number): number {
  let resultHi = 1;
  let resultLo = 0;
  let powerHi = base;
  let powerLo = 0;
  let remaining = Math.abs(n); // <= 900, so bit operations on it are exact
  while (remaining !== 0) {
    if ((remaining & 1) === 1) {
      ddMul(resultHi, resultLo, powerHi, powerLo);
      resultHi = dd.hi;
      resultLo = dd.lo;
    }
    remaining >>>= 1;
    if (remaining !== 0) {
      ddMul(powerHi, powerLo, powerHi, powerLo);
      powerHi = dd.hi;
      powerLo = dd.lo;
    }
  }
  if (n > 0) return resultHi;
  // 1 / (resultHi + resultLo): one Newton step from the rounded quotient; 1 - dd.hi is exact.
  const q = 1 / resultHi;
  twoProd(q, resultHi);
  const residual = 1 - dd.hi - dd.lo - q * resultLo;
  return q + residual * q;
}

/** The unbiased binary exponent of a finite positive double (subnormals report -1023). */
function binaryExponent(x: number): number {
  scratch.setFloat64(0, x);
  return (scratch.getUint32(0) >>> 20) - 1023;
}

/** base^exponent for finite base > 0 and finite exponent != 0. */
function powPositive(base: number, exponent: number): number {
  if (base === 1) return 1;
  if (
    Number.isInteger(exponent) &&
    Math.abs(exponent) * (Math.abs(binaryExponent(base)) + 1) <= INT_POW_LOG2_LIMIT
  ) {
    return powIntDD(base, exponent);
  }
  logDD(base);
  const logHi = dd.hi;
  const logLo = dd.lo;
  const yRough = exponent * logHi;
  // Far outside [-746, 710] the result is 0 or Infinity; this also keeps twoProd's operands small.
  if (!(Math.abs(yRough) < 1000)) return expDD(yRough, 0);
  twoProd(exponent, logHi);
  return expDD(dd.hi, dd.lo + exponent * logLo);
}

/**
 * base raised to exponent, bit-identical on every JavaScript engine, with the special cases of
 * Math.pow (the ECMAScript `**` rules): x^±0 = 1 even for NaN, (±1)^±Infinity = NaN, a negative
 * finite base with a non-integer exponent gives NaN, signed zeros and infinities follow the parity
 * of integer exponents.
 */
export function detPow(base: number, exponent: number): number {
  if (Number.isNaN(exponent)) return Number.NaN;
  if (exponent === 0) return 1;
  if (Number.isNaN(base)) return Number.NaN;
  const absBase = Math.abs(base);
  if (!Number.isFinite(exponent)) {
    if (absBase === 1) return Number.NaN;
    return absBase > 1 === exponent > 0 ? Number.POSITIVE_INFINITY : 0;
  }
  const oddInteger = Number.isInteger(exponent) && exponent % 2 !== 0; // % is exact in IEEE 754
  const negativeBase = base < 0 || Object.is(base, -0);
  let magnitude: number;
  if (absBase === 0) {
    magnitude = exponent > 0 ? 0 : Number.POSITIVE_INFINITY;
  } else if (absBase === Number.POSITIVE_INFINITY) {
    magnitude = exponent > 0 ? Number.POSITIVE_INFINITY : 0;
  } else if (base < 0 && !Number.isInteger(exponent)) {
    return Number.NaN;
  } else {
    magnitude = powPositive(absBase, exponent);
  }
  return negativeBase && oddInteger ? -magnitude : magnitude;
}
