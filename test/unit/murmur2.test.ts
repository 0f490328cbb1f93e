/**
 * murmur2, toPositive, Utils.abs, UTF-8 key bytes and String.hashCode against Kafka's own vectors
 * (clients/src/test/java/org/apache/kafka/common/utils/UtilsTest.java: testMurmur2, testAbs,
 * utf8ByteArraySerde) and against hand-computed values.
 */
import { describe, expect, it } from "vitest";
import {
  javaStringHashCode,
  kafkaAbs,
  murmur2,
  toPositive,
  utf8,
} from "../../sim/client/murmur2.ts";
import { SimAssertionError } from "../../sim/engine/assert.ts";

const ascii = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));

describe("murmur2: Kafka's UtilsTest.testMurmur2 vectors", () => {
  // The six cases of UtilsTest.testMurmur2, as the Java ints it asserts. The lengths cover every
  // tail length: 2 ("21"), 6, 24, 26, 48 and 3 bytes.
  const cases: [string, number][] = [
    ["21", -973932308],
    ["foobar", -790332482],
    ["a-little-bit-long-string", -985981536],
    ["a-little-bit-longer-string", -1486304829],
    ["lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971],
    ["abc", 479470107],
  ];
  for (const [text, expected] of cases) {
    it(`murmur2("${text}") = ${expected}`, () => {
      expect(murmur2(ascii(text))).toBe(expected);
      expect(murmur2(utf8(text))).toBe(expected);
    });
  }

  it("returns a signed 32-bit integer", () => {
    for (const [text] of cases) {
      const h = murmur2(ascii(text));
      expect(h).toBe(h | 0);
    }
  });

  it("empty input: seed ^ 0 mixed by the finalizer only", () => {
    // h = 0x9747b28c; h ^= h >>> 13; h *= m; h ^= h >>> 15 (32-bit), computed by hand below.
    let h = 0x9747b28c | 0;
    h ^= h >>> 13;
    h = Math.imul(h, 0x5bd1e995);
    h ^= h >>> 15;
    expect(murmur2(new Uint8Array(0))).toBe(h | 0);
  });

  it("treats bytes as unsigned (a byte of 0xff differs from 0x7f)", () => {
    expect(murmur2(Uint8Array.of(0xff))).not.toBe(murmur2(Uint8Array.of(0x7f)));
  });
});

describe("toPositive and Utils.abs", () => {
  it("toPositive clears the sign bit, it is not Math.abs", () => {
    expect(toPositive(5)).toBe(5);
    expect(toPositive(-1)).toBe(0x7fffffff); // all 32 bits set, sign cleared
    expect(toPositive(-2147483648)).toBe(0);
    // UtilsTest's "21" hashes to -973932308; its low 31 bits are 2^31 - 973932308.
    expect(toPositive(-973932308)).toBe(2147483648 - 973932308);
  });

  it("kafkaAbs: UtilsTest.testAbs", () => {
    expect(kafkaAbs(-2147483648)).toBe(0);
    expect(kafkaAbs(-10)).toBe(10);
    expect(kafkaAbs(10)).toBe(10);
    expect(kafkaAbs(0)).toBe(0);
    expect(kafkaAbs(-1)).toBe(1);
  });

  it("rejects values that are not 32-bit ints", () => {
    expect(() => toPositive(2 ** 31)).toThrow(SimAssertionError);
    expect(() => kafkaAbs(1.5)).toThrow(SimAssertionError);
  });
});

describe("utf8: Java's String.getBytes(UTF_8)", () => {
  it("UtilsTest.utf8ByteArraySerde's string", () => {
    // "A\u00ea\u00f1\u00fcC": ê ñ ü are two bytes each (C3 xx).
    expect([...utf8("A\u00ea\u00f1\u00fcC")]).toEqual([
      0x41, 0xc3, 0xaa, 0xc3, 0xb1, 0xc3, 0xbc, 0x43,
    ]);
  });

  it("a surrogate pair is one 4-byte code point; a lone surrogate is '?'", () => {
    expect([...utf8("\u{1f600}")]).toEqual([0xf0, 0x9f, 0x98, 0x80]); // U+1F600
    expect([...utf8("a\ud800b")]).toEqual([0x61, 0x3f, 0x62]);
    expect([...utf8("\udc00")]).toEqual([0x3f]);
  });

  it("agrees with TextEncoder on well-formed text", () => {
    const encoder = new TextEncoder();
    for (const text of ["", "key", "user-1002", "€ 3", "日本語", "\u{10ffff}x"]) {
      expect([...utf8(text)]).toEqual([...encoder.encode(text)]);
    }
  });
});

describe("javaStringHashCode: String.hashCode", () => {
  it("known values", () => {
    expect(javaStringHashCode("")).toBe(0);
    // 'a' = 97: "a".hashCode() = 97; "ab" = 97 * 31 + 98 = 3105.
    expect(javaStringHashCode("a")).toBe(97);
    expect(javaStringHashCode("ab")).toBe(3105);
    // The classic collision: "Aa" = 65*31+97 = 2112 = 66*31+66 = "BB".
    expect(javaStringHashCode("Aa")).toBe(2112);
    expect(javaStringHashCode("BB")).toBe(2112);
    // Wraps in 32 bits: the polynomial sum taken exactly with BigInt, then reduced to an int.
    for (const text of ["consumer1", "a-little-bit-longer-string"]) {
      let exact = 0n;
      for (const c of text) exact = exact * 31n + BigInt(c.charCodeAt(0));
      expect(javaStringHashCode(text)).toBe(Number(BigInt.asIntN(32, exact)));
    }
  });
});
