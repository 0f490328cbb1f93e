// The producer's workload: record times (fixed and Poisson arrivals) and keys, by hand.
import { describe, expect, it } from "vitest";
import { poissonGapUs, workloadKey, workloadTimeUs } from "../../sim/client/producer/workload.ts";
import { RngStreams } from "../../sim/engine/rng.ts";

describe("clients: producer workload", () => {
  it("spaces fixed arrivals by ceil(k × 1e6 / rate), for whole and fractional rates", () => {
    const w = { topic: "t", ratePerSec: 3, valueBytes: 10, startAtUs: 1000 };
    // 1e6 / 3 = 333,333.3…: record 1 at 1000 + 333,334, record 3 at exactly 1000 + 1,000,000.
    expect([0, 1, 2, 3].map((k) => workloadTimeUs(w, k))).toEqual([
      1000, 334_334, 667_667, 1_001_000,
    ]);
    // 20 MB/s of 1 KiB values is 19,531.25 records a second: record 5 at ceil(5e6 / 19531.25) = 256.
    expect(workloadTimeUs({ topic: "t", ratePerSec: 20_000_000 / 1024, valueBytes: 1024 }, 5)).toBe(
      256,
    );
  });

  it("draws Poisson gaps with the rate's mean, each at least 1 µs", () => {
    const rng = new RngStreams(7).stream("workload:p");
    const w = { topic: "t", ratePerSec: 1000, valueBytes: 1 };
    let total = 0;
    let smallest = Number.POSITIVE_INFINITY;
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      const gap = poissonGapUs(w, rng);
      total += gap;
      smallest = Math.min(smallest, gap);
    }
    // Mean 1000 µs; the sample mean of 20,000 draws is within 3% (its standard error is 0.7%).
    expect(total / n).toBeGreaterThan(970);
    expect(total / n).toBeLessThan(1030);
    expect(smallest).toBeGreaterThanOrEqual(1);
  });

  it("names keys: sequence without end, a list in turn, none as null", () => {
    const rng = new RngStreams(1).stream("k");
    const w = (keys: Parameters<typeof workloadKey>[0]["keys"]) => ({
      topic: "t",
      ratePerSec: 1,
      valueBytes: 1,
      keys,
    });
    expect(workloadKey(w({ kind: "sequence" }), 12_345, rng)).toBe("key-12345");
    const list = w({ kind: "list", keys: ["a", "fixed", "list"] });
    expect([0, 1, 2, 3, 4].map((k) => workloadKey(list, k, rng))).toEqual([
      "a",
      "fixed",
      "list",
      "a",
      "fixed",
    ]);
    expect(workloadKey(w({ kind: "none" }), 3, rng)).toBeNull();
  });
});
