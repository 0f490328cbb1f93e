/**
 * Named random streams: one master seed, one stream per subsystem, each derived from
 * (seed, stream name), as TigerBeetle's simulator forks its PRNG per subsystem. Adding a stream, or
 * drawing more from one, never changes what another stream draws, so a new component does not
 * reshuffle every existing scenario's run.
 *
 * The generator is seedrandom's Alea, a multiply-with-carry generator whose seeding hash and steps
 * use only exact double arithmetic and 32-bit integer operations, so every JavaScript engine
 * produces the same numbers. Its state is four plain numbers, so a stream saves and restores
 * exactly, also through JSON or structuredClone, for checkpoints and time travel. seedrandom seeds
 * the stream (its Mash hash of the key); the steps themselves run here, on four fields of the
 * stream, because draws sit on the simulator's hot path (several per event) and seedrandom's
 * closures cost more than the arithmetic. They are Alea's steps exactly: next() returns what
 * seedrandom's double() would (53 bits from two steps), and chance() uses a single step (32 bits).
 *
 * The key is `kafkasim\0<seed>\0<name>\1`: a separator and a terminator, so that no two
 * (seed, name) pairs share a key ('ab' and 'abab' differ; seedrandom's default ARC4 would treat
 * repeating short keys as equal). The seed enters as text, so seed 42 and seed "42" (a CLI
 * argument) give the same streams.
 *
 * Every random decision goes through a named method whose name says what is decided (`chance`,
 * `intBetween`, `pick`, `exponential`, ...); the distributions use detmath, never Math.log.
 */
import seedrandom from "seedrandom";
import { assert, SimAssertionError } from "./assert.ts";
import { detLog, detPow } from "./detmath.ts";

/** A stream's saved state: opaque to callers, plain data (structured-clone- and JSON-safe). */
export type RngState = unknown;

type AleaState = seedrandom.State.Alea;

// Characters that frame the key; forbidding them in seeds and names keeps the key unambiguous.
const KEY_SEPARATOR = "\u0000";
const KEY_TERMINATOR = "\u0001";

// Marsaglia's polar method accepts a pair with probability pi/4; 1000 rejections in a row
// (probability 0.215^1000) means the generator is broken, not unlucky.
const NORMAL_MAX_ATTEMPTS = 1000;

// Zipf tables: at most this many ranks per table, and at most this many ranks cached in all
// (8 bytes each), evicting the oldest table first. Eviction only costs time: a table is a pure
// function of (n, s), so recomputing it gives the same bits.
const ZIPF_MAX_RANKS = 1 << 22;
const ZIPF_CACHE_MAX_RANKS = 1 << 23;

function assertKeyPart(text: string, what: string): void {
  assert(
    !text.includes(KEY_SEPARATOR) && !text.includes(KEY_TERMINATOR),
    () => `${what} must not contain \\u0000 or \\u0001: ${JSON.stringify(text)}`,
  );
}

function assertSeed(seed: number | string): void {
  if (typeof seed === "number") {
    assert(Number.isSafeInteger(seed), () => `seed must be a safe integer, got ${seed}`);
  } else {
    assertKeyPart(seed, "seed");
  }
}

function assertStreamName(name: string): void {
  assert(name.length > 0, "stream name must not be empty");
  // Saved states are keyed by stream name in a plain object, where "__proto__" is not a key.
  assert(name !== "__proto__", 'stream name must not be "__proto__"');
  assertKeyPart(name, "stream name");
}

function streamKey(seed: number | string, name: string): string {
  return `kafkasim${KEY_SEPARATOR}${seed}${KEY_SEPARATOR}${name}${KEY_TERMINATOR}`;
}

/** Checks a saved state and copies it, so the stream never shares an object with its caller. */
function toAleaState(state: RngState, name: string): AleaState {
  assert(
    typeof state === "object" && state !== null,
    () => `saved state of stream "${name}" must be an object`,
  );
  const record = state as Record<string, unknown>;
  const copy: AleaState = { c: 0, s0: 0, s1: 0, s2: 0 };
  for (const field of ["c", "s0", "s1", "s2"] as const) {
    const value = record[field];
    assert(
      typeof value === "number" && Number.isFinite(value),
      () => `saved state of stream "${name}": field ${field} must be a finite number`,
    );
    copy[field] = value;
  }
  return copy;
}

/** The state seedrandom's Mash hash derives from the key: where a fresh stream starts. */
function seededState(key: string): AleaState {
  return seedrandom.alea(key, { state: true }).state();
}

// Alea's constants (seedrandom's alea.js): the multiplier, 2^-32, and 2^-53 for double().
const ALEA_MULTIPLIER = 2091639;
const TWO_POW_MINUS_32 = 2.3283064365386963e-10;
const TWO_POW_MINUS_53 = 1.1102230246251565e-16;

// Zipf cumulative distributions, keyed by `${n}|${s}`, in insertion order for eviction.
const zipfCdfs = new Map<string, Float64Array>();
let zipfCachedRanks = 0;

/** The normalized CDF of P(k) ∝ 1/(k+1)^s over k in [0, n); the last entry is exactly 1. */
function zipfCdf(n: number, s: number): Float64Array {
  const key = `${n}|${s}`;
  const cached = zipfCdfs.get(key);
  if (cached !== undefined) return cached;
  const cdf = new Float64Array(n);
  let total = 0;
  for (let k = 0; k < n; k++) {
    total += detPow(k + 1, -s); // summed in rank order: the same bits everywhere
    cdf[k] = total;
  }
  for (let k = 0; k < n; k++) cdf[k] = cdf[k]! / total;
  cdf[n - 1] = 1;
  for (const [oldKey, oldCdf] of zipfCdfs) {
    if (zipfCachedRanks + n <= ZIPF_CACHE_MAX_RANKS) break;
    zipfCdfs.delete(oldKey);
    zipfCachedRanks -= oldCdf.length;
  }
  zipfCdfs.set(key, cdf);
  zipfCachedRanks += n;
  return cdf;
}

export class RngStream {
  readonly name: string;
  /** Where this stream starts from its seed (resetToSeed returns here). */
  private readonly seeded: AleaState;
  // Alea's state, as in seedrandom: the carry and the last three outputs. Initialized here as
  // numbers (not left to the constructor), so V8 keeps them as unboxed number fields: a field that
  // starts as undefined would allocate a new heap number on every store.
  private c = 0;
  private s0 = 0.5;
  private s1 = 0.5;
  private s2 = 0.5;

  constructor(seed: number | string, name: string, state?: RngState) {
    assertSeed(seed);
    assertStreamName(name);
    this.name = name;
    this.seeded = seededState(streamKey(seed, name));
    const start = state === undefined ? this.seeded : toAleaState(state, name);
    this.c = start.c;
    this.s0 = start.s0;
    this.s1 = start.s1;
    this.s2 = start.s2;
  }

  /** Why: the one source of uniform draws that every other method builds on. */
  next(): number {
    // seedrandom's double(): two Alea steps, the first output plus 21 bits of the second, 53
    // random bits in all; its largest value is 1 - 2^-53. Each step is
    //   t = 2091639 * s0 + c * 2^-32;  (s0, s1, s2) = (s1, s2, t - (c = t | 0)),
    // written out so both steps run on locals and the fields are written once.
    let t = ALEA_MULTIPLIER * this.s0 + this.c * TWO_POW_MINUS_32;
    let c = t | 0;
    const first = t - c;
    t = ALEA_MULTIPLIER * this.s1 + c * TWO_POW_MINUS_32;
    c = t | 0;
    const second = t - c;
    this.s0 = this.s2;
    this.s1 = first;
    this.s2 = second;
    this.c = c;
    const u = first + ((second * 0x200000) | 0) * TWO_POW_MINUS_53;
    // A plain `if` rather than assert(): no message closure is allocated on this hot path.
    if (!(u >= 0 && u < 1)) {
      throw new SimAssertionError(`stream "${this.name}" drew ${u}, outside [0, 1)`);
    }
    return u;
  }

  /**
   * One Alea step: 32 random bits, a multiple of 2^-32 in [0, 1). Half the cost of next(), for the
   * draws that need no more bits (chance).
   */
  private next32(): number {
    const t = ALEA_MULTIPLIER * this.s0 + this.c * TWO_POW_MINUS_32;
    const c = t | 0;
    const u = t - c;
    this.s0 = this.s1;
    this.s1 = this.s2;
    this.s2 = u;
    this.c = c;
    return u;
  }

  /** Why: a yes/no fault or event decision, such as "drop this packet", read as a predicate. */
  chance(p: number): boolean {
    if (!(p >= 0 && p <= 1)) throw new SimAssertionError(`chance(p) needs p in [0, 1], got ${p}`);
    // Always draws, and always one step, even for p = 0 or 1, so changing a probability never
    // shifts later draws. 32 bits resolve p to 2^-32 (about 2.3e-10): the probability is p rounded
    // up to a multiple of 2^-32.
    return this.next32() < p;
  }

  /** Why: picking a count, an index or a delay in whole units, both bounds included. */
  intBetween(lo: number, hi: number): number {
    // Plain `if`s rather than assert(): no message closures are allocated on this hot path.
    if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hi)) {
      throw new SimAssertionError(`intBetween needs safe integers, got ${lo}, ${hi}`);
    }
    if (lo > hi) throw new SimAssertionError(`intBetween needs lo <= hi, got ${lo} > ${hi}`);
    if (!Number.isSafeInteger(hi - lo)) {
      throw new SimAssertionError(`intBetween range too wide: ${lo}..${hi}`);
    }
    const count = hi - lo + 1; // at most 2^53, exact
    // 53 bits whatever the range (32 would skew wide ranges), so a changed range does not shift
    // later draws either. For a count near 2^53 the product can round up to count itself; clamp
    // to the last value.
    const offset = Math.min(Math.floor(this.next() * count), count - 1);
    return lo + offset;
  }

  /** Why: choosing one of a set (a victim broker, a target partition) uniformly. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new SimAssertionError("pick needs a non-empty array");
    return items[this.intBetween(0, items.length - 1)] as T;
  }

  /** Why: a uniformly random order (of members, of deliveries) without touching the input. */
  shuffle<T>(items: readonly T[]): T[] {
    const result = items.slice();
    // Fisher-Yates, from the end: every permutation has the same probability.
    for (let i = result.length - 1; i > 0; i--) {
      const j = this.intBetween(0, i);
      const held = result[i] as T;
      result[i] = result[j] as T;
      result[j] = held;
    }
    return result;
  }

  /** Why: memoryless waiting times (arrivals, failures) of a given mean, in the caller's units. */
  exponential(mean: number): number {
    assert(
      Number.isFinite(mean) && mean >= 0,
      () => `exponential needs a finite mean >= 0, got ${mean}`,
    );
    // 1 - u is in (0, 1] and exact (u is a multiple of 2^-53), so the log is finite; 0 - ... keeps
    // a draw of u = 0 from returning -0.
    return 0 - mean * detLog(1 - this.next());
  }

  /** Why: jitter and sizes that cluster around a mean, with a given standard deviation. */
  normal(mean: number, stddev: number): number {
    assert(Number.isFinite(mean), () => `normal needs a finite mean, got ${mean}`);
    assert(
      Number.isFinite(stddev) && stddev >= 0,
      () => `normal needs a finite stddev >= 0, got ${stddev}`,
    );
    // Marsaglia's polar method: only + - * /, sqrt and detLog. The second normal of each pair is
    // discarded, so the saved state stays the generator's state alone.
    for (let attempt = 0; attempt < NORMAL_MAX_ATTEMPTS; attempt++) {
      const u = 2 * this.next() - 1;
      const v = 2 * this.next() - 1;
      const s = u * u + v * v;
      if (s > 0 && s < 1) {
        return mean + stddev * u * Math.sqrt((-2 * detLog(s)) / s);
      }
    }
    assert(false, () => `normal: stream "${this.name}" rejected ${NORMAL_MAX_ATTEMPTS} pairs`);
  }

  /** Why: skewed popularity (hot keys, hot partitions): rank k in [0, n) with P(k) ∝ 1/(k+1)^s. */
  zipf(n: number, s: number): number {
    assert(
      Number.isSafeInteger(n) && n >= 1 && n <= ZIPF_MAX_RANKS,
      () => `zipf needs an integer n in [1, ${ZIPF_MAX_RANKS}], got ${n}`,
    );
    assert(Number.isFinite(s) && s >= 0, () => `zipf needs a finite exponent s >= 0, got ${s}`);
    const cdf = zipfCdf(n, s);
    const u = this.next();
    // The smallest k with cdf[k] > u; it exists because cdf[n - 1] = 1 > u.
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid]! > u) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** Why: checkpoints; the state continues exactly where this stream stands. */
  saveState(): RngState {
    // The shape and key order of seedrandom's own state(), so saved states stay interchangeable.
    const state: AleaState = { c: this.c, s0: this.s0, s1: this.s1, s2: this.s2 };
    return state;
  }

  /** Why: seeking back in time; same object afterwards, so holders of the stream keep it. */
  restoreState(state: RngState): void {
    this.setState(toAleaState(state, this.name));
  }

  /** Why: a checkpoint taken before this stream existed means it restarts from its seed. */
  resetToSeed(): void {
    this.setState(this.seeded);
  }

  private setState(state: AleaState): void {
    this.c = state.c;
    this.s0 = state.s0;
    this.s1 = state.s1;
    this.s2 = state.s2;
  }
}

export class RngStreams {
  readonly seed: number | string;
  private readonly streams = new Map<string, RngStream>();

  constructor(seed: number | string) {
    assertSeed(seed);
    this.seed = seed;
  }

  /** Why: each subsystem draws from its own stream, created on first use, the same one after. */
  stream(name: string): RngStream {
    let found = this.streams.get(name);
    if (found === undefined) {
      found = new RngStream(this.seed, name);
      this.streams.set(name, found);
    }
    return found;
  }

  /** Why: checkpoints; one state per stream, keyed by name in sorted order for stable output. */
  saveState(): Record<string, RngState> {
    const saved: Record<string, RngState> = {};
    for (const name of [...this.streams.keys()].sort()) {
      saved[name] = this.streams.get(name)!.saveState();
    }
    return saved;
  }

  /**
   * Why: seeking back in time. Streams in `saved` continue from their saved state; streams created
   * since the checkpoint restart from their seed, as if never drawn from. Stream objects are kept,
   * so components that hold one see the restored state.
   */
  restoreState(saved: Record<string, RngState>): void {
    assert(typeof saved === "object" && saved !== null, "saved RNG state must be an object");
    const names = Object.keys(saved).sort();
    // Check every entry before changing any stream, so a bad checkpoint leaves this one intact.
    for (const name of names) {
      assertStreamName(name);
      toAleaState(saved[name], name);
    }
    for (const [name, stream] of this.streams) {
      if (!Object.hasOwn(saved, name)) stream.resetToSeed();
    }
    for (const name of names) this.stream(name).restoreState(saved[name]);
  }
}
