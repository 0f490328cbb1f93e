/**
 * The leader-epoch cache: assign rules (strict 2.0+ and lenient 0.11–1.1), the KIP-279 and KIP-101
 * answers, truncation from both ends, and the follower truncation rounds of scenarios S1, S2 and S3
 * of the Kafka reference (§10) replayed on real PartitionLogs.
 */
import { describe, expect, it } from "vitest";
import { SimAssertionError } from "../../sim/engine/assert.ts";
import {
  epochRulesFor,
  kip101TruncationStep,
  kip279TruncationStep,
  LeaderEpochCache,
  UNDEFINED_EPOCH_END_OFFSET,
} from "../../sim/kafka/log/leader-epoch-cache.ts";
import {
  type NewBatch,
  PartitionLog,
  type PartitionLogConfig,
} from "../../sim/kafka/log/partition-log.ts";
import type { RecordBatch } from "../../sim/kafka/types.ts";

function cacheOf(entries: [number, number][], rules: "strict" | "lenient" = "strict") {
  return new LeaderEpochCache(
    rules,
    entries.map(([epoch, startOffset]) => ({ epoch, startOffset })),
  );
}

/** A one-record batch with a value naming it (m1, m2, ...). */
function msg(name: string, tsUs = 0): NewBatch {
  return {
    count: 1,
    bytes: 100,
    firstTimestampUs: tsUs,
    maxTimestampUs: tsUs,
    producerId: -1,
    producerEpoch: -1,
    baseSequence: -1,
    isTransactional: false,
    isControl: false,
    origin: name,
  };
}

/** The (offset:epoch:origin) list of a log, to compare replicas. */
function contents(log: PartitionLog): string[] {
  const out: string[] = [];
  log.forEachBatch((b) => out.push(`${b.baseOffset}:e${b.leaderEpoch}:${b.origin}`));
  return out;
}

/** The follower copies whatever the leader has from its LEO on (one fetch, everything). */
function fetchAll(follower: PartitionLog, leader: PartitionLog, nowUs = 0): void {
  const { batches } = leader.read(follower.logEndOffset, 1 << 30, leader.logEndOffset);
  for (const b of batches) follower.appendAsFollower(b, nowUs);
}

describe("kafka: leader-epoch cache: assign", () => {
  it("strict: appends newer epochs, ignores the same epoch again at a later offset", () => {
    const c = new LeaderEpochCache("strict");
    expect(c.assign(0, 0)).toBe(true);
    expect(c.assign(0, 5)).toBe(false); // every batch of epoch 0 calls assign; only the first counts
    expect(c.assign(2, 7)).toBe(true);
    expect(c.snapshot()).toEqual([
      { epoch: 0, startOffset: 0 },
      { epoch: 2, startOffset: 7 },
    ]);
    expect(c.latestEpoch()).toBe(2);
  });

  it("strict: a new epoch at the same start offset replaces an epoch that never wrote", () => {
    // e1 became leader at offset 5 and wrote nothing; e2 takes over at 5 (Kafka logs no warning).
    const c = cacheOf([
      [0, 0],
      [1, 5],
    ]);
    c.assign(2, 5);
    expect(c.text()).toBe("{e0:0, e2:5}");
  });

  it("strict: an older epoch removes the entries it contradicts (Kafka's non-monotonic truncation)", () => {
    // A follower holds an empty entry e5:10 from a short leadership, then receives e4 batches at 10
    // from a leader that never learned of e5. Entries with epoch ≥ 4 or start ≥ 10 go: e5:10 and
    // e4:3 (epoch 4 ≥ 4), then e4:10 is added. e0:0 stays.
    const c = cacheOf([
      [0, 0],
      [4, 3],
      [5, 10],
    ]);
    expect(c.assign(4, 10)).toBe(true);
    expect(c.text()).toBe("{e0:0, e4:10}");
  });

  it("lenient (0.11–1.1): ignores an epoch that is not newer, keeps equal start offsets", () => {
    const c = cacheOf(
      [
        [0, 0],
        [3, 2],
      ],
      "lenient",
    );
    expect(c.assign(2, 3)).toBe(false);
    expect(c.assign(4, 2)).toBe(true); // same start as e3: both kept
    expect(c.text()).toBe("{e0:0, e3:2, e4:2}");
  });

  it("rejects negative entries and maps truncation modes to rules", () => {
    expect(() => new LeaderEpochCache().assign(-1, 0)).toThrow(SimAssertionError);
    expect(epochRulesFor("kip279")).toBe("strict");
    expect(epochRulesFor("diverging-epoch")).toBe("strict");
    expect(epochRulesFor("kip101")).toBe("lenient");
    expect(epochRulesFor("hw")).toBe("lenient");
  });
});

describe("kafka: leader-epoch cache: end offsets", () => {
  // S3's leader (broker 100): {e0:0, e2:1, e4:4}, LEO 6.
  const leader = cacheOf([
    [0, 0],
    [2, 1],
    [4, 4],
  ]);

  it("KIP-279: largest epoch ≤ requested, ending where the next epoch starts (or at LEO)", () => {
    expect(leader.endOffsetFor(4, 6)).toEqual({ epoch: 4, endOffset: 6 }); // latest: LEO
    expect(leader.endOffsetFor(3, 6)).toEqual({ epoch: 2, endOffset: 4 }); // floor e2, next e4 at 4
    expect(leader.endOffsetFor(2, 6)).toEqual({ epoch: 2, endOffset: 4 });
    expect(leader.endOffsetFor(1, 6)).toEqual({ epoch: 0, endOffset: 1 }); // floor e0, next e2 at 1
    expect(leader.endOffsetFor(0, 6)).toEqual({ epoch: 0, endOffset: 1 });
    expect(leader.endOffsetFor(5, 6)).toEqual(UNDEFINED_EPOCH_END_OFFSET); // above every epoch
    expect(leader.endOffsetFor(-1, 6)).toEqual(UNDEFINED_EPOCH_END_OFFSET);
  });

  it("KIP-279: an epoch below every known one answers (requested, first start offset)", () => {
    const trimmed = cacheOf([
      [2, 5],
      [3, 8],
    ]);
    expect(trimmed.endOffsetFor(1, 9)).toEqual({ epoch: 1, endOffset: 5 });
    expect(new LeaderEpochCache().endOffsetFor(0, 0)).toEqual(UNDEFINED_EPOCH_END_OFFSET);
  });

  it("KIP-101: start of the first larger epoch, LEO for the latest, UNDEFINED otherwise", () => {
    expect(leader.kip101EndOffset(4, 6)).toBe(6);
    expect(leader.kip101EndOffset(3, 6)).toBe(4);
    expect(leader.kip101EndOffset(1, 6)).toBe(1);
    expect(leader.kip101EndOffset(5, 6)).toBe(-1);
    const trimmed = cacheOf([[2, 5]]);
    expect(trimmed.kip101EndOffset(1, 9)).toBe(-1); // older than the first epoch: fall back to HW
  });

  it("epochForOffset finds the epoch whose range holds the offset", () => {
    expect(leader.epochForOffset(0)).toBe(0);
    expect(leader.epochForOffset(3)).toBe(2);
    expect(leader.epochForOffset(4)).toBe(4);
    expect(new LeaderEpochCache().epochForOffset(3)).toBe(-1);
  });
});

describe("kafka: leader-epoch cache: truncation", () => {
  it("truncateFromEnd removes entries starting at or after the offset", () => {
    const c = cacheOf([
      [0, 0],
      [1, 3],
      [2, 6],
    ]);
    expect(c.truncateFromEnd(7)).toEqual([]);
    expect(c.truncateFromEnd(3)).toEqual([
      { epoch: 1, startOffset: 3 },
      { epoch: 2, startOffset: 6 },
    ]);
    expect(c.text()).toBe("{e0:0}");
  });

  it("truncateFromStart moves the first kept epoch to the new start (exclusive at the offset)", () => {
    const c = cacheOf([
      [0, 0],
      [1, 3],
      [2, 6],
    ]);
    c.truncateFromStart(4); // e0 and e1 start ≤ 4; e1 (the last of them) now starts at 4
    expect(c.text()).toBe("{e1:4, e2:6}");
    c.truncateFromStart(6); // e1:4 and e2:6 removed, e2 comes back at 6
    expect(c.text()).toBe("{e2:6}");
    expect(c.truncateFromStart(2)).toEqual([]);
  });
});

function pair(config: Partial<PartitionLogConfig> = {}): [PartitionLog, PartitionLog] {
  return [new PartitionLog(config), new PartitionLog(config)];
}

describe("kafka: epochs at the log level: KIP-101 scenario 1 (S1)", () => {
  // B leads in epoch 0 with [m1, m2]; A has fetched m2 (LEO 2) but still has HW 1 when it restarts.
  function setup(): { a: PartitionLog; b: PartitionLog } {
    const [a, b] = pair();
    b.append(msg("m1"), 0, 0);
    fetchAll(a, b);
    b.setHighWatermark(1);
    a.setHighWatermark(1);
    b.append(msg("m2"), 0, 0);
    fetchAll(a, b);
    b.setHighWatermark(2); // A's Fetch(2) moved B's HW; A crashes before the response
    return { a, b };
  }

  it("legacy: A truncates to its HW and loses the acknowledged m2", () => {
    const { a } = setup();
    const lost = a.truncateTo(a.highWatermark);
    expect(lost.map((b) => b.origin)).toEqual(["m2"]);
    expect(contents(a)).toEqual(["0:e0:m1"]);
  });

  it("KIP-101: B answers its LEO 2 for epoch 0, A truncates to min(2, 2) and keeps m2", () => {
    const { a, b } = setup();
    const reply = b.kip101EndOffset(a.epochCache.latestEpoch());
    expect(reply).toBe(2);
    const step = kip101TruncationStep(reply, a);
    expect(step).toEqual({ truncateTo: 2, completed: true });
    expect(a.truncateTo(step.truncateTo)).toEqual([]);
    expect(contents(a)).toEqual(["0:e0:m1", "1:e0:m2"]);
  });

  it("KIP-279: B answers (e0, 2), A has e0 ending at 2, so nothing is truncated", () => {
    const { a, b } = setup();
    const reply = b.endOffsetForEpoch(0);
    expect(reply).toEqual({ epoch: 0, endOffset: 2 });
    expect(kip279TruncationStep(reply, a)).toEqual({ truncateTo: 2, completed: true });
  });
});

describe("kafka: epochs at the log level: KIP-101 scenario 2 (S2)", () => {
  // A leads epoch 0; m1 is flushed on both; m2 is flushed on A only. Both lose power. B returns first,
  // leads epoch 1 and writes m3 at offset 1. A comes back with [m1, m2] and HW checkpoint 2.
  function setup(config: Partial<PartitionLogConfig> = {}) {
    const [a, b] = pair(config);
    a.append(msg("m1"), 0, 0);
    fetchAll(b, a);
    a.markFlushed(1);
    b.markFlushed(1);
    a.append(msg("m2"), 0, 0);
    fetchAll(b, a);
    a.markFlushed(2);
    a.setHighWatermark(2);
    b.setHighWatermark(1);
    expect(b.losePowerTail().map((x) => x.origin)).toEqual(["m2"]);
    expect(a.losePowerTail()).toEqual([]);
    expect(a.updateHighWatermarkClamped(2)).toBe(2);
    b.assignEpochAtLogEnd(1);
    b.append(msg("m3"), 1, 0);
    expect(b.epochCache.text()).toBe("{e0:0, e1:1}");
    return { a, b };
  }

  it("legacy: A truncates to HW 2, removes nothing, and the logs diverge at offset 1", () => {
    const { a, b } = setup({ epochRules: "lenient" });
    expect(a.truncateTo(a.highWatermark)).toEqual([]);
    fetchAll(a, b); // nothing new from offset 2
    expect(contents(a)).toEqual(["0:e0:m1", "1:e0:m2"]);
    expect(contents(b)).toEqual(["0:e0:m1", "1:e1:m3"]);
  });

  it("KIP-101: B's end of epoch 0 is 1, A truncates to min(1, 2), drops m2 and copies m3", () => {
    const { a, b } = setup();
    const step = kip101TruncationStep(b.kip101EndOffset(0), a);
    expect(step.truncateTo).toBe(1);
    expect(a.truncateTo(step.truncateTo).map((x) => x.origin)).toEqual(["m2"]);
    fetchAll(a, b);
    expect(contents(a)).toEqual(contents(b));
  });

  it("KIP-279: B answers (e0, 1), A truncates to min(1, 2, 2) = 1 in one round", () => {
    const { a, b } = setup();
    const reply = b.endOffsetForEpoch(0);
    expect(reply).toEqual({ epoch: 0, endOffset: 1 });
    expect(kip279TruncationStep(reply, a)).toEqual({ truncateTo: 1, completed: true });
  });
});

describe("kafka: epochs at the log level: KIP-279 scenario 3 (S3)", () => {
  /** Broker 100: [0:e0, 1:e2, 2:e2, 3:e2, 4:e4, 5:e4]; broker 101: [0:e0, 1:e1, 2:e3]. */
  function setup(config: Partial<PartitionLogConfig> = {}) {
    const [l100, l101] = pair(config);
    l100.append(msg("r0"), 0, 0);
    fetchAll(l101, l100);
    l101.append(msg("b1"), 1, 0); // 101 leads e1
    for (const name of ["a1", "a2", "a3"]) l100.append(msg(name), 2, 0); // 100 leads e2
    l101.append(msg("b2"), 3, 0); // 101 leads e3
    for (const name of ["a4", "a5"]) l100.append(msg(name), 4, 0); // 100 leads e4
    expect(l100.epochCache.text()).toBe("{e0:0, e2:1, e4:4}");
    expect(l100.logEndOffset).toBe(6);
    expect(l101.epochCache.text()).toBe("{e0:0, e1:1, e3:2}");
    expect(l101.logEndOffset).toBe(3);
    return { leader: l100, follower: l101 };
  }

  it("KIP-279: two rounds truncate 101 to 2, then to 1, and the logs then match", () => {
    const { leader, follower } = setup();
    const reply1 = leader.endOffsetForEpoch(follower.epochCache.latestEpoch());
    expect(reply1).toEqual({ epoch: 2, endOffset: 4 });
    // 101 has no e2; its largest epoch ≤ 2 is e1, ending at 2 (where e3 starts).
    const step1 = kip279TruncationStep(reply1, follower);
    expect(step1).toEqual({ truncateTo: 2, completed: false });
    follower.truncateTo(step1.truncateTo);
    expect(follower.epochCache.text()).toBe("{e0:0, e1:1}");

    const reply2 = leader.endOffsetForEpoch(follower.epochCache.latestEpoch());
    expect(reply2).toEqual({ epoch: 0, endOffset: 1 });
    const step2 = kip279TruncationStep(reply2, follower);
    expect(step2).toEqual({ truncateTo: 1, completed: true });
    follower.truncateTo(step2.truncateTo);

    fetchAll(follower, leader);
    expect(contents(follower)).toEqual(contents(leader));
    expect(follower.epochCache.text()).toBe("{e0:0, e2:1, e4:4}");
    follower.validate();
  });

  it("KIP-101: 101 truncates to min(4, 3) = 3, nothing, and offsets 1–2 diverge", () => {
    const { leader, follower } = setup({ epochRules: "lenient" });
    const reply = leader.kip101EndOffset(follower.epochCache.latestEpoch());
    expect(reply).toBe(4);
    const step = kip101TruncationStep(reply, follower);
    expect(step.truncateTo).toBe(3);
    expect(follower.truncateTo(3)).toEqual([]);
    fetchAll(follower, leader);
    expect(contents(follower)).toEqual([
      "0:e0:r0",
      "1:e1:b1",
      "2:e3:b2",
      "3:e2:a3",
      "4:e4:a4",
      "5:e4:a5",
    ]);
    expect(contents(leader).slice(1, 3)).toEqual(["1:e2:a1", "2:e2:a2"]);
    // The 1.x cache ignored the older e2 batch at 3.
    expect(follower.epochCache.text()).toBe("{e0:0, e1:1, e3:2, e4:4}");
    follower.validate();
  });

  it("strict rules refuse the e2 batch after e3 that the KIP-101 outcome needs", () => {
    const { leader, follower } = setup();
    const batch3: RecordBatch = leader.batchAt(3)!;
    expect(() => follower.appendAsFollower(batch3, 0)).toThrow(SimAssertionError);
  });
});
