/**
 * Units of scenario files: durations, sizes, rates and bandwidths, from the text people write
 * (`250us`, `16KiB`, `1000/s`, `10Gbps`) to the integers the simulator computes with.
 *
 * Numbers are parsed as exact decimals (digits and a power of ten held in a bigint), never through
 * floating point, so `1.5m` is exactly 90_000_000 µs and `0.1s` exactly 100_000 µs. Results are
 * rounded to the nearest whole unit (µs, byte, bit/s), half away from zero, once. Every parser
 * returns either a value or a message that says what was expected, with an example, and when the
 * input looks like a known mistake (`2 seconds`, `16kib`, `1GB/s` for a bandwidth) a suggestion.
 *
 * Simplified: no exponents in unit strings (`1e3ms`), no negative values, one rate denominator
 * (`/s`). A bare YAML number is accepted where the format gives it a unit (milliseconds for
 * durations, bytes for sizes) and nowhere else.
 */

/** A parse result: the value, or a message (and maybe a corrected spelling of the input). */
export type UnitResult<T> =
  | { ok: true; value: T }
  | { ok: false; message: string; suggestion?: string };

/** A workload rate: records per second, or bytes per second. */
export type Rate = { recordsPerSec: number } | { bytesPerSec: number };

/** Largest duration accepted: 10^15 µs, about 31.7 years of virtual time. */
export const MAX_DURATION_US = 1_000_000_000_000_000;

const NUMBER = String.raw`\d+(?:\.\d+)?`;
const SIZE_UNIT = "B|KB|MB|GB|TB|KiB|MiB|GiB|TiB";
const DURATION_UNIT = "us|µs|ms|s|m|h";
const BANDWIDTH_UNIT = "bps|Kbps|kbps|Mbps|Gbps|Tbps";

/** JSON-Schema patterns for the string forms: the parsers below accept exactly these. */
export const DURATION_PATTERN = `^${NUMBER}(?:${DURATION_UNIT})$`;
export const SIZE_PATTERN = `^${NUMBER}(?:${SIZE_UNIT})?$`;
export const BYTE_RATE_PATTERN = `^${NUMBER}(?:${SIZE_UNIT})/s$`;
export const RATE_PATTERN = `^${NUMBER}(?:${SIZE_UNIT})?/s$`;
export const BANDWIDTH_PATTERN = `^${NUMBER}(?:${BANDWIDTH_UNIT})$`;

const DURATION_US: Record<string, bigint> = {
  us: 1n,
  µs: 1n,
  ms: 1_000n,
  s: 1_000_000n,
  m: 60_000_000n,
  h: 3_600_000_000n,
};

const SIZE_BYTES: Record<string, bigint> = {
  B: 1n,
  KB: 1_000n,
  MB: 1_000_000n,
  GB: 1_000_000_000n,
  TB: 1_000_000_000_000n,
  KiB: 1n << 10n,
  MiB: 1n << 20n,
  GiB: 1n << 30n,
  TiB: 1n << 40n,
};

const BANDWIDTH_BITS: Record<string, bigint> = {
  bps: 1n,
  Kbps: 1_000n,
  kbps: 1_000n,
  Mbps: 1_000_000n,
  Gbps: 1_000_000_000n,
  Tbps: 1_000_000_000_000n,
};

/** Spellings people write for units, and the one we accept. */
const DURATION_ALIASES: Record<string, string> = {
  usec: "us",
  usecs: "us",
  micros: "us",
  microsecond: "us",
  microseconds: "us",
  msec: "ms",
  msecs: "ms",
  millis: "ms",
  millisecond: "ms",
  milliseconds: "ms",
  sec: "s",
  secs: "s",
  second: "s",
  seconds: "s",
  min: "m",
  mins: "m",
  minute: "m",
  minutes: "m",
  hr: "h",
  hrs: "h",
  hour: "h",
  hours: "h",
};

const SIZE_ALIASES: Record<string, string> = {
  b: "B",
  byte: "B",
  bytes: "B",
  k: "KiB",
  kb: "KB",
  kib: "KiB",
  m: "MiB",
  mb: "MB",
  mib: "MiB",
  g: "GiB",
  gb: "GB",
  gib: "GiB",
  t: "TiB",
  tb: "TB",
  tib: "TiB",
};

const BANDWIDTH_ALIASES: Record<string, string> = {
  "b/s": "bps",
  "kb/s": "Kbps",
  "kbit/s": "Kbps",
  "mbit/s": "Mbps",
  "gbit/s": "Gbps",
  "tbit/s": "Tbps",
  kbit: "Kbps",
  mbit: "Mbps",
  gbit: "Gbps",
  tbit: "Tbps",
  kbps: "Kbps",
  mbps: "Mbps",
  gbps: "Gbps",
  tbps: "Tbps",
};

const DURATION_EXPECTED =
  "expected a duration like 250ms, 2s or 1.5m (or a number of milliseconds)";
const SIZE_EXPECTED = "expected a size like 100B, 16KiB or 1MB (or a number of bytes)";
const RATE_EXPECTED =
  "expected a rate like 1000/s (records per second) or 10MB/s (bytes per second)";
const BYTE_RATE_EXPECTED = "expected a rate in bytes per second like 500MB/s or 2GB/s";
const BANDWIDTH_EXPECTED = "expected a bandwidth like 1Gbps, 10Gbps or 100Mbps";

/** An exact decimal: value = digits × 10^exp10, digits ≥ 0. */
interface Decimal {
  digits: bigint;
  exp10: number;
}

/** Longer numeric text than this is refused before it reaches bigint arithmetic. */
const MAX_NUMBER_TEXT = 40;

/** Parses `12`, `1.5`, and (for JavaScript numbers only) `1e+21`, `5e-7`; exactly. */
function parseDecimal(text: string, allowExponent: boolean): Decimal | null {
  const match = /^(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (match === null || text.length > MAX_NUMBER_TEXT) return null;
  const [, whole = "", fraction = "", exponent] = match;
  if (exponent !== undefined && !allowExponent) return null;
  return {
    digits: BigInt(whole + fraction),
    exp10: Number(exponent ?? "0") - fraction.length,
  };
}

/** digits × 10^exp10 × multiplier, rounded to the nearest integer (half up; values are ≥ 0). */
function scaleRound(value: Decimal, multiplier: bigint): bigint {
  if (value.exp10 >= 0) return value.digits * multiplier * 10n ** BigInt(value.exp10);
  const divisor = 10n ** BigInt(-value.exp10);
  return (value.digits * multiplier * 2n + divisor) / (2n * divisor);
}

/** A short rendering of a value for messages: `2 seconds`, `-5`, a list, a map, nothing. */
export function quoteValue(value: unknown): string {
  if (value === null || value === undefined) return "nothing";
  if (typeof value === "string") {
    const oneLine = JSON.stringify(value).slice(1, -1);
    return "`" + (oneLine.length > 40 ? `${oneLine.slice(0, 37)}...` : oneLine) + "`";
  }
  if (typeof value === "number" || typeof value === "boolean") return "`" + String(value) + "`";
  if (Array.isArray(value)) return "a list";
  return "a map";
}

/** Text of a JavaScript number as the user most likely wrote it (shortest round trip). */
function numberText(value: number): string {
  return String(value);
}

interface Split {
  number: string;
  unit: string;
}

/** Splits `1.5 Minutes` into number and unit text, for suggestions. */
function splitLoose(text: string): Split | null {
  const match = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*([^\d\s].*?)?\s*$/.exec(text);
  if (match === null) return null;
  let number = match[1] ?? "";
  if (number.startsWith(".")) number = `0${number}`;
  return { number, unit: match[2] ?? "" };
}

function failure(expected: string, input: unknown, suggestion?: string): UnitResult<never> {
  const message = `${expected}; got ${quoteValue(input)}`;
  return suggestion === undefined ? { ok: false, message } : { ok: false, message, suggestion };
}

function negative(what: string, input: unknown): UnitResult<never> {
  return { ok: false, message: `${what} cannot be negative; got ${quoteValue(input)}` };
}

function isNegativeText(text: string): boolean {
  return /^\s*-\s*\d/.test(text);
}

/** Suggests a corrected spelling from a table of aliases, or by case alone. */
function suggestUnit(
  text: string,
  units: Record<string, bigint>,
  aliases: Record<string, string>,
  suffix = "",
): string | undefined {
  const split = splitLoose(suffix === "" ? text : text.replace(/\s*\/\s*s(ec)?$/i, ""));
  if (split === null) return undefined;
  const unit = split.unit;
  const exact = Object.keys(units).find((u) => u === unit);
  const byCase = Object.keys(units).find((u) => u.toLowerCase() === unit.toLowerCase());
  const alias = aliases[unit.toLowerCase()];
  const chosen = exact ?? byCase ?? alias;
  if (chosen === undefined) return undefined;
  const candidate = `${split.number}${chosen}${suffix}`;
  return candidate === text ? undefined : candidate;
}

/**
 * A duration in whole microseconds. Strings need a unit (`250us`, `15ms`, `2s`, `1.5m`, `1h`);
 * a bare number is milliseconds (Kafka's `*.ms` convention).
 */
export function parseDurationUs(input: unknown): UnitResult<number> {
  let value: Decimal | null;
  let multiplier: bigint;
  if (typeof input === "number") {
    if (!Number.isFinite(input)) return failure(DURATION_EXPECTED, input);
    if (input < 0) return negative("a duration", input);
    value = parseDecimal(numberText(input), true);
    multiplier = DURATION_US.ms!;
  } else if (typeof input === "string") {
    if (isNegativeText(input)) return negative("a duration", input);
    const match = new RegExp(`^(${NUMBER})(${DURATION_UNIT})$`).exec(input);
    if (match === null) {
      // A quoted bare number: the unit was probably meant to be milliseconds.
      const quotedNumber = new RegExp(`^${NUMBER}$`).test(input) ? `${input}ms` : undefined;
      const suggestion = quotedNumber ?? suggestUnit(input, DURATION_US, DURATION_ALIASES);
      return failure(DURATION_EXPECTED, input, suggestion);
    }
    value = parseDecimal(match[1]!, false);
    multiplier = DURATION_US[match[2]!]!;
  } else {
    return failure(DURATION_EXPECTED, input);
  }
  if (value === null) return failure(DURATION_EXPECTED, input);
  const us = scaleRound(value, multiplier);
  if (us > BigInt(MAX_DURATION_US)) {
    return {
      ok: false,
      message: `a duration must be at most 10^15 µs (about 31 years); got ${quoteValue(input)}`,
    };
  }
  return { ok: true, value: Number(us) };
}

function checkSafe(bigValue: bigint, what: string, input: unknown): UnitResult<number> {
  if (bigValue > BigInt(Number.MAX_SAFE_INTEGER)) {
    return { ok: false, message: `${what} is too large; got ${quoteValue(input)}` };
  }
  return { ok: true, value: Number(bigValue) };
}

/**
 * A size in whole bytes: `100B`, `16KiB`, `1MB`, `1GiB` (KB/MB/GB/TB are powers of 10,
 * KiB/MiB/GiB/TiB powers of 2); a bare number, or a number without a unit, is bytes.
 */
export function parseSizeBytes(input: unknown): UnitResult<number> {
  let value: Decimal | null;
  let multiplier = 1n;
  if (typeof input === "number") {
    if (!Number.isFinite(input)) return failure(SIZE_EXPECTED, input);
    if (input < 0) return negative("a size", input);
    value = parseDecimal(numberText(input), true);
  } else if (typeof input === "string") {
    if (isNegativeText(input)) return negative("a size", input);
    const match = new RegExp(`^(${NUMBER})(${SIZE_UNIT})?$`).exec(input);
    if (match === null) {
      return failure(SIZE_EXPECTED, input, suggestUnit(input, SIZE_BYTES, SIZE_ALIASES));
    }
    value = parseDecimal(match[1]!, false);
    multiplier = SIZE_BYTES[match[2] ?? "B"]!;
  } else {
    return failure(SIZE_EXPECTED, input);
  }
  if (value === null) return failure(SIZE_EXPECTED, input);
  return checkSafe(scaleRound(value, multiplier), "a size", input);
}

/** A rate in bytes per second: `500MB/s`, `2GB/s`, `100KiB/s`; the result is > 0. */
export function parseByteRate(input: unknown): UnitResult<number> {
  if (typeof input !== "string") return failure(BYTE_RATE_EXPECTED, input);
  if (isNegativeText(input)) return negative("a rate", input);
  const match = new RegExp(`^(${NUMBER})(${SIZE_UNIT})/s$`).exec(input);
  if (match === null) {
    const suggestion = suggestUnit(input, SIZE_BYTES, SIZE_ALIASES, "/s");
    return failure(BYTE_RATE_EXPECTED, input, suggestion);
  }
  const value = parseDecimal(match[1]!, false);
  if (value === null) return failure(BYTE_RATE_EXPECTED, input);
  const bytes = scaleRound(value, SIZE_BYTES[match[2]!]!);
  if (bytes === 0n)
    return { ok: false, message: `a rate must be above zero; got ${quoteValue(input)}` };
  return checkSafe(bytes, "a rate", input);
}

/**
 * A workload rate: `1000/s` is records per second (fractions allowed: `0.5/s` is one record every
 * 2 s), `10MB/s` bytes per second (rounded to a whole byte). Either must be above zero.
 */
export function parseRate(input: unknown): UnitResult<Rate> {
  if (typeof input === "number") {
    return failure(RATE_EXPECTED, input, `${numberText(input)}/s`);
  }
  if (typeof input !== "string") return failure(RATE_EXPECTED, input);
  if (isNegativeText(input)) return negative("a rate", input);
  const records = new RegExp(`^(${NUMBER})/s$`).exec(input);
  if (records !== null) {
    const perSec = Number(records[1]);
    if (!(perSec > 0)) {
      return { ok: false, message: `a rate must be above zero; got ${quoteValue(input)}` };
    }
    if (perSec > Number.MAX_SAFE_INTEGER) {
      return { ok: false, message: `a rate is too large; got ${quoteValue(input)}` };
    }
    return { ok: true, value: { recordsPerSec: perSec } };
  }
  const bytes = parseByteRate(input);
  if (bytes.ok) return { ok: true, value: { bytesPerSec: bytes.value } };
  if (new RegExp(BYTE_RATE_PATTERN).test(input)) return bytes;
  const loose =
    /^\s*(\d+(?:\.\d+)?)\s*(?:records?|recs?|msgs?|messages?|r|)\s*(?:\/\s*s(?:ec)?|ps)\s*$/i;
  const recordsLoose = loose.exec(input);
  const suggestion =
    recordsLoose !== null
      ? `${recordsLoose[1]}/s`
      : suggestUnit(input, SIZE_BYTES, SIZE_ALIASES, "/s");
  return failure(RATE_EXPECTED, input, suggestion);
}

/** A bandwidth in whole bits per second: `1Gbps`, `10Gbps`, `100Mbps`, `1.5Gbps`; above zero. */
export function parseBandwidthBitsPerSec(input: unknown): UnitResult<number> {
  if (typeof input === "number") {
    return failure(BANDWIDTH_EXPECTED, input, `${numberText(input)}bps`);
  }
  if (typeof input !== "string") return failure(BANDWIDTH_EXPECTED, input);
  if (isNegativeText(input)) return negative("a bandwidth", input);
  const match = new RegExp(`^(${NUMBER})(${BANDWIDTH_UNIT})$`).exec(input);
  if (match === null) {
    const bytes = parseByteRate(input);
    if (bytes.ok) {
      // Someone wrote a byte rate where bits are meant: say so, with the converted value.
      const bits = bytes.value * 8;
      const suggestion = Number.isSafeInteger(bits) ? formatBitsPerSec(bits) : undefined;
      return failure(`${BANDWIDTH_EXPECTED} (bits per second, not bytes)`, input, suggestion);
    }
    return failure(
      BANDWIDTH_EXPECTED,
      input,
      suggestUnit(input, BANDWIDTH_BITS, BANDWIDTH_ALIASES),
    );
  }
  const value = parseDecimal(match[1]!, false);
  if (value === null) return failure(BANDWIDTH_EXPECTED, input);
  const bits = scaleRound(value, BANDWIDTH_BITS[match[2]!]!);
  if (bits === 0n) {
    return { ok: false, message: `a bandwidth must be above zero; got ${quoteValue(input)}` };
  }
  return checkSafe(bits, "a bandwidth", input);
}

/** Renders bits per second with the largest unit that divides it: `8Gbps`, `1500Kbps`. */
export function formatBitsPerSec(bits: number): string {
  for (const unit of ["Tbps", "Gbps", "Mbps", "Kbps"]) {
    const per = Number(BANDWIDTH_BITS[unit]!);
    if (bits >= per && bits % per === 0) return `${bits / per}${unit}`;
  }
  return `${bits}bps`;
}

/** Renders microseconds for messages: `30s`, `1.5ms`, `250us`. */
export function formatDurationUs(us: number): string {
  if (us % 1_000_000 === 0) return `${us / 1_000_000}s`;
  if (us % 1_000 === 0) return `${us / 1_000}ms`;
  return `${us}us`;
}
