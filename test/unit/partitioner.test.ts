/**
 * The producer's partition choice, ported from Kafka's tests:
 * - BuiltInPartitionerTest (KIP-794): testStickyPartitioning, unavailablePartitionsTest,
 *   adaptivePartitionsTest, testStickyBatchSizeMoreThatZero; plus KAFKA-14156's switch rules;
 * - StickyPartitionCacheTest and UniformStickyPartitionerTest (KIP-480, null keys);
 * - DefaultPartitionerTest: testKeyPartitionIsStable, and the pre-2.4 round-robin tests
 *   (testRoundRobinWithUnavailablePartitions, testRoundRobin: 10/10/10 over three partitions).
 * Where Kafka installs `BuiltInPartitioner.mockRandom = () -> counter++`, a mock rng returning
 * 0, 1, 2, ... does the same; elsewhere a seeded RngStream stands for ThreadLocalRandom.
 */
import { describe, expect, it } from "vitest";
import {
  defaultPartitionForKey,
  Partitioner,
  type PartitionerConfig,
  type PartitionerRng,
  partitionForKey,
  type TopicPartitionsView,
} from "../../sim/client/partitioner.ts";
import { SimAssertionError } from "../../sim/engine/assert.ts";
import { RngStream } from "../../sim/engine/rng.ts";

/** Kafka's `mockRandom = () -> mockRandom.getAndAdd(1)`: 0, 1, 2, ... whatever the bounds. */
function sequentialRng(start = 0): PartitionerRng & { calls: number } {
  let next = start;
  return {
    calls: 0,
    intBetween(): number {
      this.calls++;
      return next++;
    },
  };
}

const CONFIG: PartitionerConfig = { batchSizeBytes: 16384, adaptive: true, ignoreKeys: false };

function view(numPartitions: number, available?: number[]): TopicPartitionsView {
  return {
    numPartitions,
    availablePartitions: available ?? Array.from({ length: numPartitions }, (_, i) => i),
  };
}

const ascii = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));

describe("partitioner: keyed records (KafkaProducer.partition / partitionForKey)", () => {
  it("hash of the key modulo all partitions, from UtilsTest's murmur2 vectors", () => {
    // murmur2("foobar") = -790332482 → toPositive = 1357151166; mod 4 = 2 (…66 mod 4), mod 5 = 1.
    expect(partitionForKey(ascii("foobar"), 4)).toBe(2);
    expect(partitionForKey(ascii("foobar"), 5)).toBe(1);
    // murmur2("abc") = 479470107; mod 4 = 3 (…07 mod 4), mod 5 = 2.
    expect(defaultPartitionForKey("abc", 4)).toBe(3);
    expect(defaultPartitionForKey("abc", 5)).toBe(2);
  });

  it("DefaultPartitionerTest.testKeyPartitionIsStable, in every profile", () => {
    for (const profile of ["round-robin", "sticky-kip480", "uniform-sticky-kip794"] as const) {
      const partitioner = new Partitioner(profile, CONFIG, new RngStream(7, "partitioner"));
      const cluster = view(3, [2, 0]); // partition 1 has no leader, listed out of order
      const first = partitioner.partition("test", ascii("key"), null, cluster);
      expect(partitioner.partition("test", ascii("key"), null, cluster)).toBe(first);
      expect(first).toBe(partitionForKey(ascii("key"), 3));
    }
  });

  it("counts partitions without a leader: the record waits there, it is not re-routed", () => {
    // "abc" → 3 of 4 partitions; partition 3 has no leader.
    const partitioner = new Partitioner("uniform-sticky-kip794", CONFIG, sequentialRng());
    expect(partitioner.partition("t", ascii("abc"), null, view(4, [0, 1, 2]))).toBe(3);
  });

  it("an explicit partition wins over the key", () => {
    const partitioner = new Partitioner("uniform-sticky-kip794", CONFIG, sequentialRng());
    expect(partitioner.partition("t", ascii("abc"), 1, view(4))).toBe(1);
    expect(partitioner.usesStickyPartition(null, 1)).toBe(false);
  });

  it("partitioner.ignore.keys sends keyed records to the sticky partition (KIP-794)", () => {
    const rng = sequentialRng(5);
    const partitioner = new Partitioner(
      "uniform-sticky-kip794",
      { ...CONFIG, ignoreKeys: true },
      rng,
    );
    // First draw is 5: 5 % 4 = 1, although "abc" hashes to 3.
    expect(partitioner.partition("t", ascii("abc"), null, view(4))).toBe(1);
    expect(partitioner.usesStickyPartition(ascii("abc"), null)).toBe(true);
    expect(() => new Partitioner("sticky-kip480", { ...CONFIG, ignoreKeys: true }, rng)).toThrow(
      SimAssertionError,
    );
  });
});

describe("partitioner: uniform sticky, KIP-794 (BuiltInPartitionerTest)", () => {
  it("testStickyPartitioning: switches after batch.size bytes, even with one partition", () => {
    const rng = sequentialRng();
    const partitioner = new Partitioner(
      "uniform-sticky-kip794",
      { ...CONFIG, batchSizeBytes: 3 },
      rng,
    );
    const topicA = view(3);
    // Draw 0: 0 % 3 → partition 0; three 1-byte records stay there.
    const partA = partitioner.partition("topicA", null, null, topicA);
    expect(partA).toBe(0);
    for (let i = 0; i < 3; i++) {
      expect(partitioner.partition("topicA", null, null, topicA)).toBe(partA);
      partitioner.updatePartitionInfo("topicA", 1, partA, topicA);
    }
    // After 3 bytes the next draw (1) picks partition 1.
    expect(partitioner.partition("topicA", null, null, topicA)).not.toBe(partA);
    expect(partitioner.stickyPartition("topicA")).toBe(1);

    const single = new Partitioner("uniform-sticky-kip794", { ...CONFIG, batchSizeBytes: 1 }, rng);
    for (let c = 0; c < 10; c++) {
      const p = single.partition("topicB", null, null, view(1));
      expect(p).toBe(0);
      single.updatePartitionInfo("topicB", 1, p, view(1));
    }
  });

  it("unavailablePartitionsTest: never a leaderless partition while one has a leader", () => {
    const rng = new RngStream(42, "partitioner");
    const config = { ...CONFIG, batchSizeBytes: 1 };
    const topicA = view(3, [0, 2]);
    const a = new Partitioner("uniform-sticky-kip794", config, rng);
    const partA = a.partition("topicA", null, null, topicA);
    a.updatePartitionInfo("topicA", 1, partA, topicA);
    expect(partA).not.toBe(1);
    let foundAnother = false;
    for (let i = 0; i < 100; i++) {
      const p = a.partition("topicA", null, null, topicA);
      a.updatePartitionInfo("topicA", 1, p, topicA);
      expect(p).not.toBe(1);
      foundAnother ||= p !== partA;
    }
    expect(foundAnother).toBe(true);

    const topicB = view(2, [1]);
    const b = new Partitioner("uniform-sticky-kip794", config, rng);
    for (let i = 0; i < 100; i++) {
      const p = b.partition("topicB", null, null, topicB);
      expect(p).toBe(1);
      b.updatePartitionInfo("topicB", 1, p, topicB);
    }

    // No partition has a leader: still a partition (0 of 1).
    const topicC = view(1, []);
    const c = new Partitioner("uniform-sticky-kip794", config, rng);
    const partC = c.partition("topicC", null, null, topicC);
    c.updatePartitionInfo("topicC", 1, partC, topicC);
    expect(partC).toBe(0);
    expect(c.partition("topicC", null, null, topicC)).toBe(0);
  });

  it("adaptivePartitionsTest: frequencies are max+1 - queue size, over two cycles", () => {
    const partitioner = new Partitioner(
      "uniform-sticky-kip794",
      { ...CONFIG, batchSizeBytes: 1 },
      sequentialRng(),
    );
    const queueSizes = [5, 0, 3, 0, 1];
    partitioner.updateLoadStats("topicA", queueSizes, [0, 1, 2, 3, 4]);
    // Weights 6 - q = [1, 6, 3, 6, 5]; the running sum ends at 21.
    expect(partitioner.loadStatsRangeEnd("topicA")).toBe(21);
    expect(queueSizes).toEqual([5, 0, 3, 0, 1]); // unlike Kafka, the caller's array is untouched
    const cluster = view(5);
    const frequencies = [0, 0, 0, 0, 0];
    for (let i = 0; i < 21 * 2; i++) {
      const p = partitioner.partition("topicA", null, null, cluster);
      frequencies[p]!++;
      partitioner.updatePartitionInfo("topicA", 1, p, cluster);
    }
    expect(frequencies).toEqual([2, 12, 6, 12, 10]);
  });

  it("equal queues, one partition, adaptive off, or null stats: uniform", () => {
    const partitioner = new Partitioner("uniform-sticky-kip794", CONFIG, sequentialRng());
    partitioner.updateLoadStats("t", [2, 2, 2], [0, 1, 2]);
    expect(partitioner.loadStatsRangeEnd("t")).toBeUndefined();
    partitioner.updateLoadStats("t", [4], [0]);
    expect(partitioner.loadStatsRangeEnd("t")).toBeUndefined();
    partitioner.updateLoadStats("t", [1, 0], [0, 1]);
    expect(partitioner.loadStatsRangeEnd("t")).toBe(3); // weights [1, 2]
    partitioner.updateLoadStats("t", null);
    expect(partitioner.loadStatsRangeEnd("t")).toBeUndefined();

    const off = new Partitioner(
      "uniform-sticky-kip794",
      { ...CONFIG, adaptive: false },
      sequentialRng(),
    );
    off.updateLoadStats("t", [1, 0], [0, 1]);
    expect(off.loadStatsRangeEnd("t")).toBeUndefined();
  });

  it("stats over the led partitions only: length below the array length", () => {
    // Three partitions in the batches map; partition 2 has no leader, so length is 2. Queues 0 and
    // 3 give weights 4 and 1: draws 0..3 → partition 0, draw 4 → partition 1.
    const partitioner = new Partitioner(
      "uniform-sticky-kip794",
      { ...CONFIG, batchSizeBytes: 1 },
      sequentialRng(),
    );
    partitioner.updateLoadStats("t", [0, 3, 0], [0, 1, 0], 2);
    expect(partitioner.loadStatsRangeEnd("t")).toBe(5);
    const cluster = view(3, [0, 1]);
    const seen: number[] = [];
    for (let i = 0; i < 5; i++) {
      const p = partitioner.partition("t", null, null, cluster);
      seen.push(p);
      partitioner.updatePartitionInfo("t", 1, p, cluster);
    }
    expect(seen).toEqual([0, 0, 0, 0, 1]);
  });

  it("testStickyBatchSizeMoreThatZero", () => {
    expect(
      () =>
        new Partitioner("uniform-sticky-kip794", { ...CONFIG, batchSizeBytes: 0 }, sequentialRng()),
    ).toThrow(SimAssertionError);
    expect(
      () =>
        new Partitioner("uniform-sticky-kip794", { ...CONFIG, batchSizeBytes: 1 }, sequentialRng()),
    ).not.toThrow();
  });

  it("KAFKA-14156: no switch while the last batch has room, always by 2 x batch.size", () => {
    const rng = sequentialRng();
    const partitioner = new Partitioner(
      "uniform-sticky-kip794",
      { ...CONFIG, batchSizeBytes: 10 },
      rng,
    );
    const cluster = view(4);
    const p0 = partitioner.partition("t", null, null, cluster); // draw 0 → partition 0
    partitioner.updatePartitionInfo("t", 12, p0, cluster, false); // 12 ≥ 10 but batch not full
    expect(partitioner.stickyPartition("t")).toBe(p0);
    partitioner.updatePartitionInfo("t", 8, p0, cluster, false); // 20 ≥ 2 x 10: switch anyway
    expect(partitioner.stickyPartition("t")).toBe(1); // draw 1

    // RecordAccumulator.partitionChanged: all batches full now, complete the postponed switch.
    const p1 = partitioner.partition("t", null, null, cluster);
    partitioner.updatePartitionInfo("t", 15, p1, cluster, false);
    expect(partitioner.stickyPartition("t")).toBe(1);
    partitioner.updatePartitionInfo("t", 0, p1, cluster, true);
    expect(partitioner.stickyPartition("t")).toBe(2); // draw 2
    expect(rng.calls).toBe(3);
  });

  it("reporting bytes for a partition that is not the sticky one is a bug", () => {
    const partitioner = new Partitioner("uniform-sticky-kip794", CONFIG, sequentialRng());
    const p = partitioner.partition("t", null, null, view(3));
    expect(() => partitioner.updatePartitionInfo("t", 1, p + 1, view(3))).toThrow(
      SimAssertionError,
    );
  });
});

describe("partitioner: sticky per batch, KIP-480 (StickyPartitionCacheTest, UniformStickyPartitionerTest)", () => {
  it("testStickyPartitionCache: stable until onNewBatch for the sticky partition", () => {
    const partitioner = new Partitioner("sticky-kip480", CONFIG, new RngStream(3, "p"));
    const topicA = view(3);
    const topicB = view(1);
    const partA = partitioner.partition("topicA", null, null, topicA);
    expect(partitioner.partition("topicA", null, null, topicA)).toBe(partA);
    const partB = partitioner.partition("topicB", null, null, topicB);
    expect(partitioner.partition("topicB", null, null, topicB)).toBe(partB);

    partitioner.onNewBatch("topicA", partA, topicA);
    const changedPartA = partitioner.partition("topicA", null, null, topicA);
    expect(changedPartA).not.toBe(partA);
    expect(partitioner.partition("topicA", null, null, topicA)).toBe(changedPartA);

    // A new batch for a partition that is no longer the sticky one changes nothing.
    partitioner.onNewBatch("topicA", partA, topicA);
    expect(partitioner.partition("topicA", null, null, topicA)).toBe(changedPartA);

    partitioner.onNewBatch("topicB", partB, topicB);
    expect(partitioner.partition("topicB", null, null, topicB)).toBe(0);
  });

  it("unavailablePartitionsTest: skips leaderless partitions; none available → any", () => {
    const partitioner = new Partitioner("sticky-kip480", CONFIG, new RngStream(4, "p"));
    const topicA = view(3, [0, 2]);
    let partA = partitioner.partition("topicA", null, null, topicA);
    expect(partA).not.toBe(1);
    for (let i = 0; i < 100; i++) {
      partitioner.onNewBatch("topicA", partA, topicA);
      partA = partitioner.partition("topicA", null, null, topicA);
      expect(partA).not.toBe(1);
    }
    const topicB = view(2, [1]);
    let partB = partitioner.partition("topicB", null, null, topicB);
    expect(partB).toBe(1);
    for (let i = 0; i < 100; i++) {
      partitioner.onNewBatch("topicB", partB, topicB);
      partB = partitioner.partition("topicB", null, null, topicB);
      expect(partB).toBe(1);
    }
    const topicC = view(1, []);
    expect(partitioner.partition("topicC", null, null, topicC)).toBe(0);
    partitioner.onNewBatch("topicC", 0, topicC);
    expect(partitioner.partition("topicC", null, null, topicC)).toBe(0);
  });

  it("testRoundRobinWithNullKeyBytes: 30 records on the old partition, 60 on the new one", () => {
    const partitioner = new Partitioner("sticky-kip480", CONFIG, new RngStream(5, "p"));
    const topicA = view(3);
    const topicB = view(1);
    const counts = new Map<number, number>();
    const produce = (): number => {
      let partition = -1;
      for (let i = 0; i < 30; i++) {
        partition = partitioner.partition("TOPIC_A", null, null, topicA);
        counts.set(partition, (counts.get(partition) ?? 0) + 1);
        if (i % 5 === 0) partitioner.partition("TOPIC_B", null, null, topicB);
      }
      return partition;
    };
    const oldPart = produce();
    partitioner.onNewBatch("TOPIC_A", oldPart, topicA);
    partitioner.onNewBatch("TOPIC_B", 0, topicB);
    const newPart = produce();
    // The wrong previous partition must not switch the sticky one.
    partitioner.onNewBatch("TOPIC_A", oldPart, topicA);
    produce();
    expect(counts.get(oldPart)).toBe(30);
    expect(counts.get(newPart)).toBe(60);
  });

  it("testRoundRobinWithUnavailablePartitions: a switch goes to the other led partition", () => {
    const partitioner = new Partitioner("sticky-kip480", CONFIG, new RngStream(6, "p"));
    const cluster = view(3, [2, 0]); // Kafka's list order: partitions 1 (no leader), 2, 0
    const counts = [0, 0, 0];
    let part = 0;
    for (let i = 0; i < 50; i++) {
      part = partitioner.partition("test", null, null, cluster);
      counts[part]!++;
    }
    partitioner.onNewBatch("test", part, cluster);
    for (let i = 0; i < 50; i++) {
      part = partitioner.partition("test", null, null, cluster);
      counts[part]!++;
    }
    expect(counts[1]).toBe(0);
    expect(counts[0]).toBe(counts[2]);
  });

  it("onNewBatch is ignored by the other profiles (KafkaProducer only calls it for 2.4-3.2)", () => {
    const rng = sequentialRng();
    const partitioner = new Partitioner("uniform-sticky-kip794", CONFIG, rng);
    const p = partitioner.partition("t", null, null, view(3));
    partitioner.onNewBatch("t", p, view(3));
    expect(partitioner.partition("t", null, null, view(3))).toBe(p);
    expect(rng.calls).toBe(1);
  });
});

describe("partitioner: round robin before 2.4 (DefaultPartitioner)", () => {
  it("testRoundRobinWithUnavailablePartitions: 50/50 over the two led partitions", () => {
    const partitioner = new Partitioner("round-robin", CONFIG, new RngStream(8, "p"));
    const cluster = view(3, [2, 0]);
    const counts = [0, 0, 0];
    for (let i = 0; i < 100; i++) counts[partitioner.partition("test", null, null, cluster)]!++;
    expect(counts).toEqual([50, 0, 50]);
  });

  it("testRoundRobin: per-topic counters, 10/10/10 despite interleaved topicB records", () => {
    const partitioner = new Partitioner("round-robin", CONFIG, new RngStream(9, "p"));
    const counts = [0, 0, 0];
    for (let i = 0; i < 30; i++) {
      counts[partitioner.partition("topicA", null, null, view(3))]!++;
      if (i % 5 === 0) partitioner.partition("topicB", null, null, view(1));
    }
    expect(counts).toEqual([10, 10, 10]);
  });

  it("the counter starts at a random int and wraps like Java's int", () => {
    // Seeded at 2^31 - 1: toPositive(2147483647) % 3 = 1 (digit sum 46 ≡ 1); the next value wraps
    // to -2^31, toPositive(-2^31) = 0, then -2^31 + 1 → 1 % 3 = 1.
    const partitioner = new Partitioner("round-robin", CONFIG, sequentialRng(2147483647));
    const cluster = view(3);
    expect([0, 1, 2].map(() => partitioner.partition("t", null, null, cluster))).toEqual([1, 0, 1]);
  });

  it("no partition with a leader: counter modulo all partitions", () => {
    const partitioner = new Partitioner("round-robin", CONFIG, sequentialRng(7));
    expect(partitioner.partition("t", null, null, view(4, []))).toBe(3); // 7 % 4
  });
});
