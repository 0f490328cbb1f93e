import { describe, expect, it } from "vitest";
import { editDistance, nearest } from "../../sim/engine/suggest.ts";
import {
  BANDWIDTH_PATTERN,
  DURATION_PATTERN,
  formatBitsPerSec,
  formatDurationUs,
  MAX_DURATION_US,
  parseBandwidthBitsPerSec,
  parseByteRate,
  parseDurationUs,
  parseRate,
  parseSizeBytes,
  SIZE_PATTERN,
  type UnitResult,
} from "../../sim/scenario/units.ts";

function value<T>(result: UnitResult<T>): T {
  if (!result.ok) throw new Error(`expected a value, got: ${result.message}`);
  return result.value;
}

function failure<T>(result: UnitResult<T>): { message: string; suggestion?: string } {
  if (result.ok) throw new Error(`expected a failure, got ${JSON.stringify(result.value)}`);
  return result;
}

describe("units: durations", () => {
  // [input, microseconds]: computed by hand from the unit (1 ms = 1000 µs, 1 m = 60 s).
  const cases: [unknown, number][] = [
    ["250us", 250],
    ["250µs", 250],
    ["15ms", 15_000],
    ["2s", 2_000_000],
    ["1.5m", 90_000_000], // 1.5 × 60 × 10^6 exactly, no float rounding
    ["1h", 3_600_000_000],
    ["0.1s", 100_000], // 0.1 is not a binary fraction; exact decimal parsing gives 100000
    ["0.3s", 300_000],
    ["0.2ms", 200],
    ["0.0005ms", 1], // 0.5 µs rounds half up to 1
    ["0.0004ms", 0], // 0.4 µs rounds to 0
    ["0s", 0],
    [0, 0],
    [1500, 1_500_000], // a bare number is milliseconds: 1500 ms
    [0.3, 300], // the YAML number 0.3 ms; String(0.3) is "0.3", parsed exactly
    [5e-7, 0], // 0.0005 µs rounds to 0
    ["1000000000s", MAX_DURATION_US], // 10^9 s = 10^15 µs, the largest accepted
  ];
  it.each(cases)("parses %j as %d µs", (input, us) => {
    expect(value(parseDurationUs(input))).toBe(us);
  });

  // [input, text the message must contain, suggestion]
  const bad: [unknown, string, string | undefined][] = [
    ["2 seconds", "expected a duration like 250ms, 2s or 1.5m", "2s"],
    ["1.5min", "got `1.5min`", "1.5m"],
    ["2S", "expected a duration", "2s"],
    ["250", "expected a duration", "250ms"],
    ["-5s", "cannot be negative", undefined],
    [-1, "cannot be negative", undefined],
    ["1000000001s", "at most 10^15", undefined],
    [Number.POSITIVE_INFINITY, "expected a duration", undefined], // YAML's .inf or 1e400
    [Number.NaN, "expected a duration", undefined],
    [true, "got `true`", undefined],
    [null, "got nothing", undefined],
    [["1s"], "got a list", undefined],
    ["1e3ms", "expected a duration", undefined],
  ];
  it.each(bad)("rejects %j", (input, text, suggestion) => {
    const f = failure(parseDurationUs(input));
    expect(f.message).toContain(text);
    expect(f.suggestion).toBe(suggestion);
  });

  it("says what was expected, with an example and the input", () => {
    expect(failure(parseDurationUs("2 seconds")).message).toBe(
      "expected a duration like 250ms, 2s or 1.5m (or a number of milliseconds); got `2 seconds`",
    );
  });

  it("accepts a string exactly when the schema pattern does", () => {
    const pattern = new RegExp(DURATION_PATTERN);
    for (const text of ["1s", "1.5m", "2 s", "1e3ms", "-1s", ".5s", "5", "1µs", "3h"]) {
      expect(parseDurationUs(text).ok, text).toBe(pattern.test(text));
    }
  });
});

describe("units: sizes", () => {
  const cases: [unknown, number][] = [
    ["100B", 100],
    ["16KiB", 16 * 1024],
    ["1MB", 1_000_000],
    ["1GiB", 1_073_741_824], // 2^30
    ["1.5KiB", 1536],
    ["0.5KB", 500],
    ["1TiB", 1_099_511_627_776], // 2^40
    ["2GB", 2_000_000_000],
    ["4096", 4096], // no unit: bytes
    [4096, 4096],
    ["1.0001KiB", 1024], // 1024.1024 rounds to 1024
    ["0B", 0],
  ];
  it.each(cases)("parses %j as %d bytes", (input, bytes) => {
    expect(value(parseSizeBytes(input))).toBe(bytes);
  });

  const bad: [unknown, string, string | undefined][] = [
    ["16kib", "expected a size like 100B, 16KiB or 1MB", "16KiB"],
    ["1 MB", "got `1 MB`", "1MB"],
    ["10 bytes", "expected a size", "10B"],
    ["-1KB", "cannot be negative", undefined],
    ["9007199254740992B", "too large", undefined],
    ["lots", "expected a size", undefined],
  ];
  it.each(bad)("rejects %j", (input, text, suggestion) => {
    const f = failure(parseSizeBytes(input));
    expect(f.message).toContain(text);
    expect(f.suggestion).toBe(suggestion);
  });

  it("accepts a string exactly when the schema pattern does", () => {
    const pattern = new RegExp(SIZE_PATTERN);
    for (const text of ["1B", "1 B", "16kib", "1.5MiB", "-1B", "12"]) {
      expect(parseSizeBytes(text).ok, text).toBe(pattern.test(text));
    }
  });
});

describe("units: rates", () => {
  it.each([
    ["1000/s", { recordsPerSec: 1000 }],
    ["0.5/s", { recordsPerSec: 0.5 }], // one record every 2 s
    ["10MB/s", { bytesPerSec: 10_000_000 }],
    ["1KiB/s", { bytesPerSec: 1024 }],
  ])("parses %j", (input, rate) => {
    expect(value(parseRate(input))).toEqual(rate);
  });

  it.each([
    ["0/s", "above zero", undefined],
    [1000, "expected a rate like 1000/s", "1000/s"],
    ["1000 records/s", "expected a rate", "1000/s"],
    ["10mb/s", "expected a rate", "10MB/s"],
    ["fast", "got `fast`", undefined],
  ])("rejects %j", (input, text, suggestion) => {
    const f = failure(parseRate(input));
    expect(f.message).toContain(text);
    expect(f.suggestion).toBe(suggestion);
  });

  it("parses disk byte rates", () => {
    expect(value(parseByteRate("330MB/s"))).toBe(330_000_000);
    expect(value(parseByteRate("2GB/s"))).toBe(2_000_000_000);
    expect(failure(parseByteRate("2Gbps")).message).toContain("bytes per second");
  });
});

describe("units: bandwidth", () => {
  it.each([
    ["1Gbps", 1_000_000_000],
    ["10Gbps", 10_000_000_000],
    ["100Mbps", 100_000_000],
    ["1.5Gbps", 1_500_000_000],
    ["2.5Kbps", 2500],
    ["64kbps", 64_000],
    ["9600bps", 9600],
  ])("parses %j as %d bit/s", (input, bits) => {
    expect(value(parseBandwidthBitsPerSec(input))).toBe(bits);
  });

  it.each([
    ["1GB/s", "bits per second, not bytes", "8Gbps"], // 10^9 bytes/s × 8 bits
    ["1 gbps", "expected a bandwidth like 1Gbps", "1Gbps"],
    ["0Gbps", "above zero", undefined],
    ["0.0001bps", "above zero", undefined], // rounds to 0 bit/s
    [1000, "expected a bandwidth", "1000bps"],
  ])("rejects %j", (input, text, suggestion) => {
    const f = failure(parseBandwidthBitsPerSec(input));
    expect(f.message).toContain(text);
    expect(f.suggestion).toBe(suggestion);
  });

  it("accepts a string exactly when the schema pattern does", () => {
    const pattern = new RegExp(BANDWIDTH_PATTERN);
    for (const text of ["1Gbps", "1 Gbps", "1GB/s", "1.5Mbps", "10gbps"]) {
      expect(parseBandwidthBitsPerSec(text).ok, text).toBe(pattern.test(text));
    }
  });
});

describe("units: formatting", () => {
  it("renders durations with the largest exact unit", () => {
    expect(formatDurationUs(30_000_000)).toBe("30s");
    expect(formatDurationUs(2_000)).toBe("2ms");
    expect(formatDurationUs(1_500)).toBe("1500us");
  });

  it("renders bandwidths with the largest exact unit", () => {
    expect(formatBitsPerSec(8_000_000_000)).toBe("8Gbps");
    expect(formatBitsPerSec(1_500_000)).toBe("1500Kbps");
    expect(formatBitsPerSec(999)).toBe("999bps");
  });
});

describe("suggest: nearest valid key", () => {
  it.each([
    ["ca", "ac", 1], // one transposition
    ["kitten", "sitting", 3], // k→s, e→i, +g
    ["", "abc", 3],
    ["crash", "crash", 0],
    ["crahs", "crash", 1],
  ])("editDistance(%j, %j) = %d", (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
  });

  it("finds typos, case and separator differences", () => {
    expect(nearest("ack", ["acks", "batch.size"])).toBe("acks");
    expect(nearest("replication_factor", ["partitions", "replication-factor"])).toBe(
      "replication-factor",
    );
    expect(nearest("replicationFactor", ["replication-factor"])).toBe("replication-factor");
    expect(nearest("HDD", ["hdd", "ssd", "nvme"])).toBe("hdd");
    expect(nearest("crsh", ["crash", "restart"])).toBe("crash");
  });

  it("suggests nothing when nothing is close, or when the input is valid", () => {
    expect(nearest("zzz", ["acks"])).toBeUndefined();
    expect(nearest("crash", ["crash", "crush"])).toBeUndefined();
    expect(nearest("", ["a"])).toBeUndefined();
    // Short words need to be close: two edits on four letters is too many.
    expect(nearest("abcd", ["abef"])).toBeUndefined();
  });

  it("breaks ties by the candidates' order", () => {
    expect(nearest("ab", ["ac", "ad"])).toBe("ac");
    expect(nearest("ab", ["ad", "ac"])).toBe("ad");
  });
});
