/**
 * The hash functions of Kafka's clients that decide where keyed records go: `Utils.murmur2` (the
 * producer's key hash, also used by Kafka Streams), `Utils.toPositive`, `Utils.abs`, the UTF-8
 * encoding of `StringSerializer`, and Java's `String.hashCode`.
 *
 * Models: `clients/.../common/utils/Utils.java` bit for bit. Java's `int` arithmetic wraps at 32
 * bits; here every product goes through Math.imul and every result is brought back to a signed
 * 32-bit integer with `| 0`, so the same key gives the same partition as a real producer
 * (reference §7.2; vectors from UtilsTest.testMurmur2 in test/unit/murmur2.test.ts).
 *
 * Simplifies: nothing. `utf8` reproduces Java's `String.getBytes(UTF_8)` including its treatment of
 * an unpaired surrogate (one `?` byte), where TextEncoder would write U+FFFD (3 bytes) and so give
 * such a key a different partition.
 *
 * Faults: none; pure functions.
 */
import { assert } from "../engine/assert.ts";

export { javaStringHash as javaStringHashCode } from "../kafka/metadata/image.ts";

const MURMUR2_SEED = 0x9747b28c | 0;
const MURMUR2_M = 0x5bd1e995;
const MURMUR2_R = 24;

const INT32_MIN = -2147483648;

/** `Utils.murmur2`: the 32-bit MurmurHash2 of `data`, as Java's signed int. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = MURMUR2_SEED ^ length;
  const length4 = length >>> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    // Little-endian 4-byte chunk; bytes are unsigned (Java masks them with & 0xff).
    let k = data[i4]! | (data[i4 + 1]! << 8) | (data[i4 + 2]! << 16) | (data[i4 + 3]! << 24);
    k = Math.imul(k, MURMUR2_M);
    k ^= k >>> MURMUR2_R;
    k = Math.imul(k, MURMUR2_M);
    h = Math.imul(h, MURMUR2_M);
    h ^= k;
  }
  // The tail: Java's switch falls through from 3 to 2 to 1.
  const tail = length % 4;
  const tailStart = length & ~3;
  if (tail === 3) h ^= data[tailStart + 2]! << 16;
  if (tail >= 2) h ^= data[tailStart + 1]! << 8;
  if (tail >= 1) {
    h ^= data[tailStart]!;
    h = Math.imul(h, MURMUR2_M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, MURMUR2_M);
  h ^= h >>> 15;
  return h | 0;
}

function assertInt32(n: number, what: string): void {
  assert(
    Number.isInteger(n) && n >= INT32_MIN && n <= 0x7fffffff,
    () => `${what} must be a 32-bit int, got ${n}`,
  );
}

/** `Utils.toPositive`: clears the sign bit (not Math.abs: -1 becomes 2147483647). */
export function toPositive(n: number): number {
  assertInt32(n, "toPositive input");
  return n & 0x7fffffff;
}

/** `Utils.abs`: the absolute value, except Integer.MIN_VALUE, which Java cannot negate, gives 0. */
export function kafkaAbs(n: number): number {
  assertInt32(n, "kafkaAbs input");
  return n === INT32_MIN ? 0 : Math.abs(n);
}

/**
 * `String.getBytes(StandardCharsets.UTF_8)`, what Kafka's StringSerializer sends as the key bytes.
 * An unpaired surrogate becomes `?` (0x3f), Java's replacement byte.
 */
export function utf8(text: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    let code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
        i++;
      }
    }
    if (code >= 0xd800 && code <= 0xdfff) {
      out.push(0x3f);
    } else if (code < 0x80) {
      out.push(code);
    } else if (code < 0x800) {
      out.push(0xc0 | (code >> 6), 0x80 | (code & 0x3f));
    } else if (code < 0x10000) {
      out.push(0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f));
    } else {
      out.push(
        0xf0 | (code >> 18),
        0x80 | ((code >> 12) & 0x3f),
        0x80 | ((code >> 6) & 0x3f),
        0x80 | (code & 0x3f),
      );
    }
  }
  return Uint8Array.from(out);
}
