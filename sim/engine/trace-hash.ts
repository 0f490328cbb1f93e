/**
 * A 64-bit rolling hash over trace events, folded field by field.
 *
 * Two 32-bit lanes; each step folds one 64-bit block (two 32-bit words) into both: each lane is
 * rotated, xored with one word, multiplied by an odd constant and offset by the other word. For a
 * given block, every one of those operations is a bijection of the lane, so two traces that differ
 * in a single block always end in different states, in both lanes; the digest's final mix
 * (MurmurHash3's fmix) spreads every bit over the 64-bit result. The two lanes do not wait on each
 * other, so a step costs a few cycles (the hash runs on every event: tracing is always on). Only
 * integer operations (Math.imul, shifts, xor) are used, so the hash is the same on every
 * JavaScript engine. It is a fingerprint for comparing runs, not a cryptographic digest.
 *
 * Encoding: every value becomes one or two blocks, and the first word of a value's first block
 * carries a 4-bit type tag in its low bits, so the stream of blocks reads back unambiguously
 * (`1`, `"1"`, `[1]` and `true` never fold alike, nor do field boundaries):
 * - an integer in int32 range: one block (TAG_INT32, value);
 * - another safe integer: one block (high 21 bits << 4 | TAG_INT53, low 32 bits);
 * - any other number: two blocks, its IEEE-754 bits;
 * - a string: one block, its two 32-bit hashes, computed once per distinct string and interned,
 *   with the tag in place of the first hash's low 4 bits;
 * - an event's start: one block for the type and the time (the type's block, retagged, with t
 *   xored into its second word; t ≥ 2^32 takes a block of its own), then the node;
 * - a field: its name, then its value; a field whose value is an int32 is one block (the name's
 *   block, retagged, with the value xored into its second word).
 * A retagged block cannot pass for a string, and two of them are equal only when the names are
 * (up to a 60-bit hash collision) and then the values are too.
 * The hot path (`event`) also remembers, per event type, the field names and string values it saw
 * last, and keeps a small direct-mapped cache of recent strings in front of the intern Map, so
 * most strings cost a comparison instead of a Map lookup; what it folds is the same either way.
 */
import { SimAssertionError } from "./assert.ts";

const C1 = 0xcc9e2d51;
const C3 = 0x85ebca6b;
const C4 = 0xc2b2ae35;

// Type tags, in the low 4 bits of a value's first word.
const TAG_BITS = 4;
const TAG_MASK = (1 << TAG_BITS) - 1;
const TAG_INT32 = 1;
const TAG_INT53 = 2;
const TAG_FLOAT = 3;
const TAG_STRING = 4;
const TAG_TRUE = 5;
const TAG_FALSE = 6;
const TAG_NULL = 7;
const TAG_ARRAY = 8;
const TAG_OBJECT = 9;
const TAG_EVENT = 10;
const TAG_UNDEFINED = 11;
// Closes a nested object: without it `{x: {a: 1}, b: 2}` and `{x: {a: 1, b: 2}}` fold the same
// blocks. Arrays need no end tag because they fold their length first.
const TAG_OBJECT_END = 12;
// An event whose time is not a safe integer (never in a run: the engine asserts it); the time
// follows as a number.
const TAG_EVENT_ODD_TIME = 13;
// A raw word folded through `word()`.
const TAG_WORD = 14;
// A field whose value is an integer in int32 range, in one block: the field name's block with this
// tag in place of TAG_STRING, and the value xored into its second word.
const TAG_FIELD_INT32 = 15;
// An event's start when t < 2^32: the type's block with this tag, and t xored into its second word.
const TAG_EVENT_TYPE = 0;

const TWO_POW_32 = 4294967296;

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

// Odd multipliers of the lanes (from MurmurHash3 and xxHash32).
const M_LO = 0x9e3779b1;
const M_HI = 0x85ebca77;

/** The low lane after folding the block (x, y). */
function stepLo(lo: number, x: number, y: number): number {
  return (Math.imul(((lo << 5) | (lo >>> 27)) ^ x, M_LO) + y) | 0;
}

/** The high lane after folding the block (x, y). */
function stepHi(hi: number, x: number, y: number): number {
  return (Math.imul(((hi << 11) | (hi >>> 21)) ^ y, M_HI) + x) | 0;
}

/** A string's block: its two 32-bit hashes, the first with TAG_STRING in its low bits. */
interface InternedString {
  readonly a: number;
  readonly b: number;
}

/** What the hasher remembers per event type: the type's block and the fields seen last. */
interface EventType {
  readonly name: string;
  readonly a: number;
  readonly b: number;
  /** The field names of the last event of this type, by position, and their blocks. */
  readonly keys: string[];
  readonly keyBlocks: InternedString[];
  /** By position, the last string value seen there and its block (most repeat: kinds, ids). */
  readonly lastStrings: Array<string | undefined>;
  readonly lastStringBlocks: InternedString[];
}

const MAX_INTERNED = 1 << 16;
// Lines of the direct-mapped cache of recently interned strings.
const RECENT_SIZE = 1024;
const RECENT_MASK = RECENT_SIZE - 1;
const NO_BLOCK: InternedString = { a: 0, b: 0 };

export class TraceHasher {
  private lo = 0x9747b28c;
  private hi = 0x5bd1e995;
  private readonly interned = new Map<string, InternedString>();
  private readonly recentStrings: Array<string | undefined> = new Array(RECENT_SIZE).fill(
    undefined,
  );
  private readonly recentBlocks: InternedString[] = new Array(RECENT_SIZE).fill(NO_BLOCK);
  private readonly types = new Map<string, EventType>();
  /** The type of the last event: consecutive events often share it, and then skip a lookup. */
  private lastType: EventType | undefined;

  /** Mixes one 64-bit block, given as two 32-bit words, into both lanes. */
  private block(x: number, y: number): void {
    this.lo = stepLo(this.lo, x, y);
    this.hi = stepHi(this.hi, x, y);
  }

  /** Mixes one raw 32-bit word (tagged, so it cannot pass for a value). */
  word(w: number): void {
    this.block(TAG_WORD, w | 0);
  }

  number(v: number): void {
    if ((v | 0) === v) {
      this.block(TAG_INT32, v);
    } else if (Number.isSafeInteger(v)) {
      // |v| < 2^53, so the high part is within ±2^21 and fits beside the tag.
      this.block((Math.floor(v / TWO_POW_32) << TAG_BITS) | TAG_INT53, v | 0);
    } else {
      floatView[0] = v;
      this.block(TAG_FLOAT, wordView[LOW_WORD]!);
      this.block(wordView[1 - LOW_WORD]!, TAG_FLOAT);
    }
  }

  string(s: string): void {
    const entry = this.intern(s);
    this.block(entry.a, entry.b);
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
        this.block(v ? TAG_TRUE : TAG_FALSE, 0);
        return;
      case "undefined":
        this.block(TAG_UNDEFINED, 0);
        return;
      case "object":
        if (v === null) {
          this.block(TAG_NULL, 0);
        } else if (Array.isArray(v)) {
          this.block(TAG_ARRAY, v.length);
          for (let i = 0; i < v.length; i++) this.value(v[i]);
        } else {
          this.block(TAG_OBJECT, 0);
          const record = v as Record<string, unknown>;
          for (const key in record) {
            this.string(key);
            this.value(record[key]);
          }
          this.block(TAG_OBJECT_END, 0);
        }
        return;
      default:
        throw new TypeError(`cannot hash a ${typeof v} in a trace event`);
    }
  }

  /** Marks the start of an event so that field boundaries between events cannot alias. */
  beginEvent(t: number, type: string, node: string): void {
    const entry = this.intern(type);
    this.eventHead(t, entry.a, entry.b, node);
  }

  /**
   * Folds a whole event: its start (as beginEvent), then each field's name and value, in the order
   * of `fields`. The lanes stay in locals, and each event type remembers the field names (and, per
   * field, the last string value) it saw, so those cost a pointer comparison instead of a lookup.
   * Throws SimAssertionError for a field named t, type or node.
   */
  event(t: number, type: string, node: string, fields: { readonly [key: string]: unknown }): void {
    let entry = this.lastType;
    if (entry === undefined || entry.name !== type) {
      entry = this.eventType(type);
      this.lastType = entry;
    }
    if (t >>> 0 !== t) {
      // t ≥ 2^32 µs (71 minutes): the general path.
      this.eventHead(t, entry.a, entry.b, node);
    } else {
      // As eventHead, written out.
      const nodeBlock = this.intern(node);
      const x = entry.a ^ (TAG_STRING ^ TAG_EVENT_TYPE);
      const y = entry.b ^ t;
      let lo = this.lo;
      let hi = this.hi;
      const next = stepLo(lo, x, y);
      hi = stepHi(hi, x, y);
      lo = stepLo(next, nodeBlock.a, nodeBlock.b);
      hi = stepHi(hi, nodeBlock.a, nodeBlock.b);
      this.lo = lo;
      this.hi = hi;
    }
    const keys = entry.keys;
    const keyBlocks = entry.keyBlocks;
    const lastStrings = entry.lastStrings;
    const lastStringBlocks = entry.lastStringBlocks;
    let lo = this.lo;
    let hi = this.hi;
    let i = 0;
    for (const key in fields) {
      // A name seen at this position before was checked and interned then.
      if (keys[i] !== key) this.learnKey(entry, i, key, type);
      const keyBlock = keyBlocks[i]!;
      let x = keyBlock.a;
      let y = keyBlock.b;
      const v = fields[key];
      if (typeof v === "number" && (v | 0) === v) {
        // The name and a small integer in one block (TAG_FIELD_INT32).
        x ^= TAG_STRING ^ TAG_FIELD_INT32;
        y ^= v;
        const next = stepLo(lo, x, y);
        hi = stepHi(hi, x, y);
        lo = next;
        i++;
        continue;
      }
      let next = stepLo(lo, x, y);
      hi = stepHi(hi, x, y);
      lo = next;
      if (typeof v === "string") {
        let valueBlock: InternedString;
        if (lastStrings[i] === v) {
          valueBlock = lastStringBlocks[i]!;
        } else {
          valueBlock = this.intern(v);
          lastStrings[i] = v;
          lastStringBlocks[i] = valueBlock;
        }
        x = valueBlock.a;
        y = valueBlock.b;
      } else {
        this.lo = lo;
        this.hi = hi;
        this.value(v);
        lo = this.lo;
        hi = this.hi;
        i++;
        continue;
      }
      next = stepLo(lo, x, y);
      hi = stepHi(hi, x, y);
      lo = next;
      i++;
    }
    this.lo = lo;
    this.hi = hi;
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

  private eventHead(t: number, typeA: number, typeB: number, node: string): void {
    if (t >>> 0 === t) {
      // The common case, t < 2^32 µs (71 minutes): the time and the type in one block.
      this.block(typeA ^ (TAG_STRING ^ TAG_EVENT_TYPE), typeB ^ t);
      this.string(node);
      return;
    }
    if (Number.isSafeInteger(t)) {
      this.block((Math.floor(t / TWO_POW_32) << TAG_BITS) | TAG_EVENT, t | 0);
    } else {
      this.block(TAG_EVENT_ODD_TIME, 0);
      this.number(t);
    }
    this.block(typeA, typeB);
    this.string(node);
  }

  private eventType(type: string): EventType {
    let entry = this.types.get(type);
    if (entry === undefined) {
      const typeBlock = this.intern(type);
      entry = {
        name: type,
        a: typeBlock.a,
        b: typeBlock.b,
        keys: [],
        keyBlocks: [],
        lastStrings: [],
        lastStringBlocks: [],
      };
      this.types.set(type, entry);
    }
    return entry;
  }

  private learnKey(entry: EventType, i: number, key: string, type: string): void {
    if (key === "t" || key === "type" || key === "node") {
      throw new SimAssertionError(`trace event ${type} must not redefine t, type or node`);
    }
    entry.keys[i] = key;
    entry.keyBlocks[i] = this.intern(key);
  }

  private intern(s: string): InternedString {
    // A direct-mapped cache in front of the Map, indexed by the length and the last three
    // characters (where ids differ: "broker-1", "producer-12"): a hit costs a comparison, which is
    // a pointer comparison when the caller passes the same string object again, as models do.
    const n = s.length;
    const line =
      n < 3
        ? n * 0x3f + (n > 0 ? s.charCodeAt(n - 1) : 0)
        : n * 0x3f + s.charCodeAt(n - 1) * 0x1f + s.charCodeAt(n - 2) * 0x245 + s.charCodeAt(n - 3);
    const index = line & RECENT_MASK;
    if (this.recentStrings[index] === s) return this.recentBlocks[index]!;
    let entry = this.interned.get(s);
    if (entry === undefined) {
      entry = hashString(s);
      if (this.interned.size < MAX_INTERNED) this.interned.set(s, entry);
    }
    this.recentStrings[index] = s;
    this.recentBlocks[index] = entry;
    return entry;
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
  return { a: (fmix(a) & ~TAG_MASK) | TAG_STRING, b: fmix(b) | 0 };
}
