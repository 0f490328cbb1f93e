/**
 * Burrow's lag evaluation, rule by rule. The table is Burrow's own "correctness proof" for its
 * evaluator (core/internal/evaluator/caching_test.go, cases 0-11), converted to our units:
 * Burrow's commit timestamps are milliseconds and its timeNow seconds; ours are microseconds
 * (× 1000 and × 1 000 000). Each case asserts every rule's answer and the resulting status, as
 * Burrow's test does. Then the storage (lag at commit, dropped commits, the window, min-distance)
 * and the group status (worst partition, capped at ERR).
 */
import { describe, expect, it } from "vitest";
import {
  BURROW_DEFAULTS,
  type BurrowStatus,
  BurrowStorage,
  brokerOffsetSamples,
  burrowFromHistory,
  type ConsumerOffset,
  calculatePartitionStatus,
  checkIfLagNotDecreasing,
  checkIfOffsetsRewind,
  checkIfOffsetsStalled,
  checkIfOffsetsStopped,
  checkIfRecentLagZero,
  checkLagOk,
  isLagAlwaysNotZero,
  makeHistory,
} from "../../sim/check/index.ts";

const S = 1_000_000;

/** Burrow's {Offset, Order, Timestamp (ms), Lag} literal, in our units. */
function co(
  offset: number,
  order: number,
  timestampMs: number,
  lag: number | null,
): ConsumerOffset {
  return { offset, order, timestampUs: timestampMs * 1000, lag };
}

interface Case {
  readonly what: string;
  readonly offsets: ConsumerOffset[];
  readonly brokerOffsets: number[];
  readonly currentLag: number;
  readonly timeNowS: number;
  readonly isLagAlwaysNotZero: boolean;
  readonly rewind: boolean;
  readonly stopped: boolean;
  readonly stalled: boolean;
  readonly lagNotDecreasing: boolean;
  readonly recentLagZero: boolean;
  readonly status: BurrowStatus;
}

const rising = (lags: number[], offsets = [1000, 2000, 3000, 4000, 5000]) =>
  offsets.map((o, i) => co(o, i + 1, (i + 1) * 100_000, lags[i]!));

/** Burrow's case 9 and 10 commits: one a second, lag 0 each time (15 commits). */
const perSecond = [
  1512224618356, 1512224619362, 1512224620366, 1512224621367, 1512224622370, 1512224623373,
  1512224624378, 1512224625379, 1512224626383, 1512224627383, 1512224628383, 1512224629388,
  1512224630391, 1512224631394, 1512224632397,
].map((ts, i) => co(792748079 + i, i + 1, ts, 0));

const CASES: Case[] = [
  {
    what: "0: OK because there is zero lag somewhere",
    offsets: rising([0, 50, 100, 150, 200]),
    brokerOffsets: [5200],
    currentLag: 200,
    timeNowS: 600,
    isLagAlwaysNotZero: false,
    rewind: false,
    stopped: false,
    stalled: false,
    lagNotDecreasing: true,
    recentLagZero: false,
    status: "OK",
  },
  {
    what: "1: not stopped: 400 s since the last commit equals the window's span, not greater",
    offsets: rising([0, 50, 100, 150, 200]),
    brokerOffsets: [5200],
    currentLag: 200,
    timeNowS: 900,
    isLagAlwaysNotZero: false,
    rewind: false,
    stopped: false,
    stalled: false,
    lagNotDecreasing: true,
    recentLagZero: false,
    status: "OK",
  },
  {
    what: "2: STOP once 500 s have passed, even with zero lag at the start (Burrow #290)",
    offsets: rising([0, 50, 100, 150, 200]),
    brokerOffsets: [5200],
    currentLag: 200,
    timeNowS: 1000,
    isLagAlwaysNotZero: false,
    rewind: false,
    stopped: true,
    stalled: false,
    lagNotDecreasing: true,
    recentLagZero: false,
    status: "STOP",
  },
  {
    what: "3: STOP when the lag is never zero as well",
    offsets: rising([50, 100, 150, 200, 250]),
    brokerOffsets: [5250],
    currentLag: 250,
    timeNowS: 1000,
    isLagAlwaysNotZero: true,
    rewind: false,
    stopped: true,
    stalled: false,
    lagNotDecreasing: true,
    recentLagZero: false,
    status: "STOP",
  },
  {
    what: "4: OK because of zero lag, although the offset never moves (stalled)",
    offsets: rising([0, 50, 100, 150, 200], [1000, 1000, 1000, 1000, 1000]),
    brokerOffsets: [1200],
    currentLag: 200,
    timeNowS: 600,
    isLagAlwaysNotZero: false,
    rewind: false,
    stopped: false,
    stalled: true,
    lagNotDecreasing: true,
    recentLagZero: false,
    status: "OK",
  },
  {
    what: "5: STALL: the offset never moves and the lag is never zero",
    offsets: rising([100, 150, 200, 250, 300], [1000, 1000, 1000, 1000, 1000]),
    brokerOffsets: [1300],
    currentLag: 300,
    timeNowS: 600,
    isLagAlwaysNotZero: true,
    rewind: false,
    stopped: false,
    stalled: true,
    lagNotDecreasing: true,
    recentLagZero: false,
    status: "STALL",
  },
  {
    what: "6: still STALL when the lag stays the same",
    offsets: rising([100, 100, 100, 100, 100], [1000, 1000, 1000, 1000, 1000]),
    brokerOffsets: [1100],
    currentLag: 100,
    timeNowS: 600,
    isLagAlwaysNotZero: true,
    rewind: false,
    stopped: false,
    stalled: true,
    lagNotDecreasing: true,
    recentLagZero: false,
    status: "STALL",
  },
  {
    what: "7: REWIND: the offsets go backwards (worse than the lag decreasing)",
    offsets: rising([100, 150, 200, 1250, 300], [1000, 2000, 3000, 2000, 4000]),
    brokerOffsets: [4300],
    currentLag: 300,
    timeNowS: 600,
    isLagAlwaysNotZero: true,
    rewind: true,
    stopped: false,
    stalled: false,
    lagNotDecreasing: false,
    recentLagZero: false,
    status: "REWIND",
  },
  {
    what: "8: OK because the current lag is 0, although it would be stopped by the timestamps",
    offsets: rising([50, 100, 150, 200, 250]),
    brokerOffsets: [5250],
    currentLag: 0,
    timeNowS: 1000,
    isLagAlwaysNotZero: true,
    rewind: false,
    stopped: true,
    stalled: false,
    lagNotDecreasing: true,
    recentLagZero: false,
    status: "OK",
  },
  {
    what: "9: STOP by the timestamps: lag 0 at every commit, but new data since (Burrow #290)",
    offsets: perSecond,
    brokerOffsets: [792749024, 792749000, 792748800, 792748600, 792748500],
    currentLag: 931,
    timeNowS: 1512224650,
    isLagAlwaysNotZero: false,
    rewind: false,
    stopped: true,
    stalled: false,
    lagNotDecreasing: true,
    recentLagZero: false,
    status: "STOP",
  },
  {
    what: "10: OK although stopped: a recent broker offset shows zero lag (Burrow #303)",
    offsets: perSecond,
    brokerOffsets: [792748094, 792748093, 792748093, 792748093],
    currentLag: 1,
    timeNowS: 1512224650,
    isLagAlwaysNotZero: false,
    rewind: false,
    stopped: true,
    stalled: false,
    lagNotDecreasing: true,
    recentLagZero: true,
    status: "OK",
  },
  {
    what: "11: case 0 with commits without a lag in between, which change nothing",
    offsets: [
      co(1000, 10, 100000, 0),
      co(1500, 15, 150000, null),
      co(2000, 20, 200000, 50),
      co(2500, 25, 250000, null),
      co(3000, 30, 300000, 100),
      co(3500, 35, 350000, null),
      co(4000, 40, 400000, 150),
      co(4500, 45, 450000, null),
      co(5000, 50, 500000, 200),
      co(5500, 55, 550000, null),
    ],
    brokerOffsets: [5700],
    currentLag: 200,
    timeNowS: 600,
    isLagAlwaysNotZero: false,
    rewind: false,
    stopped: false,
    stalled: false,
    lagNotDecreasing: true,
    recentLagZero: false,
    status: "OK",
  },
];

describe("Burrow rules on Burrow's own cases", () => {
  for (const c of CASES) {
    it(c.what, () => {
      const nowUs = c.timeNowS * S;
      expect(isLagAlwaysNotZero(c.offsets)).toBe(c.isLagAlwaysNotZero);
      expect(checkIfOffsetsRewind(c.offsets)).toBe(c.rewind);
      expect(checkIfOffsetsStopped(c.offsets, nowUs)).toBe(c.stopped);
      expect(checkIfOffsetsStalled(c.offsets)).toBe(c.stalled);
      expect(checkIfLagNotDecreasing(c.offsets)).toBe(c.lagNotDecreasing);
      expect(checkIfRecentLagZero(c.offsets, c.brokerOffsets)).toBe(c.recentLagZero);
      expect(calculatePartitionStatus(c.offsets, c.brokerOffsets, c.currentLag, nowUs)).toBe(
        c.status,
      );
    });
  }
});

describe("Burrow rules one at a time", () => {
  const w = (lags: number[], offsets?: number[]) => rising(lags, offsets);
  it("rule 1: one zero lag anywhere in the window makes it OK (when not stopped)", () => {
    expect(isLagAlwaysNotZero(w([5, 0, 5, 5, 5]))).toBe(false);
    expect(calculatePartitionStatus(w([5, 0, 5, 6, 7]), [6000], 7, 500 * S)).toBe("OK");
    expect(calculatePartitionStatus(w([5, 5, 5, 6, 7]), [6000], 7, 500 * S)).toBe("WARN");
  });
  it("rule 2: an offset lower than the one before is REWIND", () => {
    expect(checkIfOffsetsRewind(w([1, 2, 3, 4, 5], [10, 20, 19, 30, 40]))).toBe(true);
    expect(checkIfOffsetsRewind(w([1, 2, 3, 4, 5], [10, 20, 20, 30, 40]))).toBe(false);
  });
  it("rule 3: STOP when now - last commit > last - first commit", () => {
    // Commits at 100 s … 500 s: span 400 s.
    expect(checkIfOffsetsStopped(w([1, 1, 1, 1, 1]), 900 * S)).toBe(false);
    expect(checkIfOffsetsStopped(w([1, 1, 1, 1, 1]), 900 * S + 1)).toBe(true);
    // One commit: any time after it is longer than its zero span.
    expect(checkIfOffsetsStopped([co(1, 1, 1000, 5)], 1 * S + 1)).toBe(true);
  });
  it("rule 4: the same offset at every commit is STALL (with lag never zero)", () => {
    expect(calculatePartitionStatus(w([3, 4, 5, 6, 7], [9, 9, 9, 9, 9]), [16], 7, 500 * S)).toBe(
      "STALL",
    );
  });
  it("rule 5: offsets advance but the lag never decreases: WARN", () => {
    expect(checkIfLagNotDecreasing(w([3, 3, 4, 4, 5]))).toBe(true);
    expect(checkIfLagNotDecreasing(w([3, 3, 2, 4, 5]))).toBe(false);
    expect(calculatePartitionStatus(w([3, 3, 4, 4, 5]), [5005], 5, 500 * S)).toBe("WARN");
    expect(calculatePartitionStatus(w([3, 3, 2, 4, 5]), [5005], 5, 500 * S)).toBe("OK");
  });
  it("current lag 0 is OK whatever the window says", () => {
    expect(calculatePartitionStatus(w([3, 4, 5, 6, 7], [9, 9, 9, 9, 9]), [9], 0, 5000 * S)).toBe(
      "OK",
    );
  });
});

describe("Burrow storage and group status", () => {
  it("stores the lag against the latest broker offset at commit time, 0 when negative", () => {
    const b = new BurrowStorage();
    b.addBrokerOffset("t", 0, 100, 1 * S);
    b.addConsumerOffset("g", "t", 0, 40, 2 * S);
    b.addBrokerOffset("t", 0, 150, 3 * S);
    b.addConsumerOffset("g", "t", 0, 160, 4 * S); // ahead of the broker offset Burrow knows
    const p = b.evaluate("g", 4 * S).partitions[0]!;
    expect(p.offsets.map((o) => o.lag)).toEqual([60, 0]);
    expect(p.currentLag).toBe(0);
  });

  it("drops a commit that arrives before any broker offset of its partition", () => {
    const b = new BurrowStorage();
    expect(b.addConsumerOffset("g", "t", 0, 5, 1 * S)).toBe(false);
    expect(b.evaluate("g", 2 * S).status).toBe("NOTFOUND");
  });

  it("keeps the last `intervals` commits and reports how full the window is", () => {
    const b = new BurrowStorage({ ...BURROW_DEFAULTS, intervals: 3 });
    b.addBrokerOffset("t", 0, 1000, 0);
    for (let i = 0; i < 5; i++) b.addConsumerOffset("g", "t", 0, i * 10, i * S);
    const p = b.evaluate("g", 4 * S).partitions[0]!;
    expect(p.offsets.map((o) => o.offset)).toEqual([20, 30, 40]);
    expect(p.complete).toBe(1);
    const half = new BurrowStorage({ ...BURROW_DEFAULTS, intervals: 4 });
    half.addBrokerOffset("t", 0, 1000, 0);
    half.addConsumerOffset("g", "t", 0, 1, 0);
    half.addConsumerOffset("g", "t", 0, 2, 1);
    expect(half.evaluate("g", 1).complete).toBe(0); // no partition has a full window
    expect(half.evaluate("g", 1).partitions[0]!.complete).toBe(0.5);
  });

  it("min-distance: a commit too close to the previous replaces it and keeps the older timestamp", () => {
    const b = new BurrowStorage({ ...BURROW_DEFAULTS, minDistanceUs: 5 * S });
    b.addBrokerOffset("t", 0, 1000, 0);
    b.addConsumerOffset("g", "t", 0, 10, 1 * S);
    b.addConsumerOffset("g", "t", 0, 20, 3 * S); // 2 s later: merged
    b.addConsumerOffset("g", "t", 0, 30, 7 * S); // 6 s after the kept timestamp: stored
    const p = b.evaluate("g", 7 * S).partitions[0]!;
    expect(p.offsets.map((o) => [o.offset, o.timestampUs])).toEqual([
      [20, 1 * S],
      [30, 7 * S],
    ]);
  });

  it("the group takes its worst partition, STOP/STALL/REWIND reported as ERR; WARN stays WARN", () => {
    const b = new BurrowStorage();
    b.addBrokerOffset("t", 0, 1000, 0);
    b.addBrokerOffset("t", 1, 1000, 0);
    // t-0: stalled at 5, lags 1005, 1015, 1025 (STALL); t-1: commits 100, 200, 300 against
    // broker offsets 1200, 1400, 1600, lags 1100, 1200, 1300: advancing, never decreasing (WARN).
    for (let i = 1; i <= 3; i++) {
      b.addBrokerOffset("t", 0, 1000 + i * 10, i * S);
      b.addBrokerOffset("t", 1, 1000 + i * 200, i * S);
      b.addConsumerOffset("g", "t", 0, 5, i * S);
      b.addConsumerOffset("g", "t", 1, 100 * i, i * S);
    }
    const g = b.evaluate("g", 3 * S);
    expect(g.partitions.map((p) => p.status)).toEqual(["STALL", "WARN"]);
    expect(g.status).toBe("ERR");
    expect(g.totalLag).toBe(1025 + 1300);
    expect(g.maxLag?.partition).toBe(1);
    const only1 = new BurrowStorage();
    only1.addBrokerOffset("t", 1, 1000, 0);
    for (let i = 1; i <= 3; i++) {
      only1.addBrokerOffset("t", 1, 1000 + i * 200, i * S);
      only1.addConsumerOffset("g", "t", 1, 100 * i, i * S);
    }
    expect(only1.evaluate("g", 3 * S).status).toBe("WARN");
  });
});

describe("Burrow over a history", () => {
  it("samples the highest-epoch leader's HW every offset-refresh when no samples are given", () => {
    const base = { topic: "t", partition: 0 };
    const h = makeHistory({
      hwChanges: [
        { ...base, atUs: 1 * S, broker: 1, leaderEpoch: 1, hw: 10, isLeader: true },
        { ...base, atUs: 12 * S, broker: 2, leaderEpoch: 2, hw: 8, isLeader: true },
        { ...base, atUs: 13 * S, broker: 1, leaderEpoch: 1, hw: 30, isLeader: true }, // a zombie
        { ...base, atUs: 14 * S, broker: 3, leaderEpoch: 2, hw: 99, isLeader: false },
        { ...base, atUs: 25 * S, broker: 2, leaderEpoch: 2, hw: 40, isLeader: true },
      ],
      endUs: 30 * S,
    });
    // Samples at 0 s (nothing yet), 10 s, 20 s, 30 s.
    expect(brokerOffsetSamples(h, 10 * S).map((s) => [s.atUs / S, s.offset])).toEqual([
      [10, 10],
      [20, 8],
      [30, 40],
    ]);
  });

  it("a group that keeps up is OK; lag-ok holds", () => {
    const commit = (offset: number, t: number) => ({
      group: "g",
      consumer: "c",
      topic: "t",
      partition: 0,
      offset,
      atUs: t * S,
      generation: 1,
    });
    const h = makeHistory({
      brokerOffsets: [10, 20, 30].map((t) => ({
        atUs: t * S,
        topic: "t",
        partition: 0,
        offset: t * 10,
      })),
      commits: [commit(50, 11), commit(200, 21), commit(300, 31)],
      endUs: 32 * S,
    });
    const [g] = burrowFromHistory(h);
    expect(g).toMatchObject({ group: "g", status: "OK", totalLag: 0 });
    expect(checkLagOk(h)).toMatchObject({
      holds: true,
      detail: "Burrow status at 32.000 s: g OK (total lag 0)",
    });
  });
});
