/**
 * A 64-bit rolling hash over trace events, folded field by field.
 *
 * Two 32-bit lanes, each a murmur3-style mix of 32-bit words, the second lane also absorbing the
 * first so the pair behaves as one 64-bit state. Only integer operations (Math.imul, shifts, xor)
 * are used, so the hash is the same on every JavaScript engine. Numbers are folded as integers when
 * they are safe integers and by their IEEE-754 bits otherwise; strings are hashed once and interned.
 * It is a fingerprint for comparing runs, not a cryptographic digest.
 */

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;
const C3 = 0x85ebca6b;
const C4 = 0xc2b2ae35;

// Type tags keep `1` and `"1"` and `[1]` apart.
const TAG_INT = 1;
const TAG_FLOAT = 2;
const TAG_STRING = 3;
const TAG_TRUE = 4;
const TAG_FALSE = 5;
const TAG_NULL = 6;
const TAG_ARRAY = 7;
const TAG_OBJECT = 8;
const TAG_EVENT = 9;
const TAG_UNDEFINED = 10;
// Closes a nested object: without it `{x: {a: 1}, b: 2}` and `{x: {a: 1, b: 2}}` fold the same
// words. Arrays need no end tag because they fold their length first.
const TAG_OBJECT_END = 11;

const floatView = new Float64Array(1);
const wordView = new Uint32Array(floatView.buffer);
// Which half of the float holds the low word depends on the platform's endianness.
const LOW_WORD = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 0 : 1;

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, C3);
  h ^= h >>> 13;
  h = Math.imul(h, C4);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A string's two 32-bit hashes, computed once per distinct string. */
interface InternedString {
  a: number;
  b: number;
}

const MAX_INTERNED = 1 << 16;

export class TraceHasher {
  private lo = 0x9747b28c;
  private hi = 0x5bd1e995;
  private readonly interned = new Map<string, InternedString>();

  /** Mixes one 32-bit word into both lanes. */
  word(w: number): void {
    let k = Math.imul(w | 0, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    let lo = this.lo ^ k;
    lo = (lo << 13) | (lo >>> 19);
    lo = (Math.imul(lo, 5) + 0xe6546b64) | 0;
    this.lo = lo;
    let hi = this.hi ^ Math.imul(k ^ lo, C3);
    hi = (hi << 17) | (hi >>> 15);
    hi = (Math.imul(hi, 5) + 0x38495ab5) | 0;
    this.hi = hi;
  }

  number(v: number): void {
    if (Number.isSafeInteger(v)) {
      this.word(TAG_INT);
      this.word(v | 0); // low 32 bits (ToInt32 is modulo 2^32)
      this.word(Math.floor(v / 4294967296) | 0);
    } else {
      floatView[0] = v;
      this.word(TAG_FLOAT);
      this.word(wordView[LOW_WORD]!);
      this.word(wordView[1 - LOW_WORD]!);
    }
  }

  string(s: string): void {
    let entry = this.interned.get(s);
    if (entry === undefined) {
      entry = hashString(s);
      if (this.interned.size < MAX_INTERNED) this.interned.set(s, entry);
    }
    this.word(TAG_STRING);
    this.word(entry.a);
    this.word(entry.b);
  }

  value(v: unknown): void {
    switch (typeof v) {
      case "number":
        this.number(v);
        return;
      case "string":
        this.string(v);
        return;
      case "boolean":
        this.word(v ? TAG_TRUE : TAG_FALSE);
        return;
      case "undefined":
        this.word(TAG_UNDEFINED);
        return;
      case "object":
        if (v === null) {
          this.word(TAG_NULL);
        } else if (Array.isArray(v)) {
          this.word(TAG_ARRAY);
          this.word(v.length);
          for (let i = 0; i < v.length; i++) this.value(v[i]);
        } else {
          this.word(TAG_OBJECT);
          const record = v as Record<string, unknown>;
          for (const key in record) {
            this.string(key);
            this.value(record[key]);
          }
          this.word(TAG_OBJECT_END);
        }
        return;
      default:
        throw new TypeError(`cannot hash a ${typeof v} in a trace event`);
    }
  }

  /** Marks the start of an event so that field boundaries between events cannot alias. */
  beginEvent(t: number, type: string, node: string): void {
    this.word(TAG_EVENT);
    this.number(t);
    this.string(type);
    this.string(node);
  }

  /** The hash as 16 lowercase hex digits. */
  digest(): string {
    const lo = fmix(this.lo ^ this.hi);
    const hi = fmix(this.hi + Math.imul(lo, C1));
    return hi.toString(16).padStart(8, "0") + lo.toString(16).padStart(8, "0");
  }

  /** The raw lanes, so a checkpoint can resume hashing where it stopped. */
  saveState(): [number, number] {
    return [this.lo, this.hi];
  }

  restoreState(state: readonly [number, number]): void {
    this.lo = state[0];
    this.hi = state[1];
  }
}

function hashString(s: string): InternedString {
  let a = 0x811c9dc5 ^ s.length;
  let b = 0x3c6ef372 ^ s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b + c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  return { a: fmix(a), b: fmix(b) };
}
