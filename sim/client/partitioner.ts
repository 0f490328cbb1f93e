/**
 * The producer's choice of partition for a record (reference §7.1), for the three behaviours Kafka
 * has had, selected by the version profile's `partitioner`:
 * - "round-robin" (before 2.4, `DefaultPartitioner`): a per-topic counter, started at a random int,
 *   cycles over the partitions that have a leader;
 * - "sticky-kip480" (2.4 to 3.2, `DefaultPartitioner` + `StickyPartitionCache`): one partition per
 *   topic until the accumulator creates a new batch (`onNewBatch`), then a random different one;
 * - "uniform-sticky-kip794" (3.3+, `BuiltInPartitioner`): one partition per topic until
 *   `batch.size` bytes were appended to it (switching only once its last batch is full, and always
 *   by 2 × `batch.size`, KAFKA-14156), then a random partition with a leader, weighted by the
 *   inverse of its queue length when `partitioner.adaptive.partitioning.enable` is on.
 * A record with an explicit partition keeps it; a keyed record goes to
 * `toPositive(murmur2(keyBytes)) % numPartitions`, counting every partition, led or not (with
 * KIP-794, unless `partitioner.ignore.keys`).
 *
 * Models: KafkaProducer.partition, DefaultPartitioner (both eras), StickyPartitionCache and
 * BuiltInPartitioner, decision for decision. Each of Kafka's random draws is one call to the
 * injected rng, in Kafka's order: `intBetween(0, 2^31 - 1)` stands for
 * `Utils.toPositive(ThreadLocalRandom.current().nextInt())` and `intBetween(-2^31, 2^31 - 1)` for
 * the round-robin counter's `nextInt()` seed. A mock rng that returns 0, 1, 2, ... (as Kafka's
 * tests install with `BuiltInPartitioner.mockRandom`) reproduces their expectations exactly.
 *
 * Simplifies: no custom `partitioner.class` (the producer actor can call its own function first);
 * `partitioner.availability.timeout.ms` is 0 (no partition is excluded for a slow broker); no
 * rack-aware partitioning (KIP-1123). The hooks run on one thread, so Kafka's race checks
 * (`isPartitionChanged` retries) are assertions here.
 *
 * Faults: none; a partition without a leader is avoided by the sticky and round-robin choices
 * (unless none has a leader) and never by the key hash, as in Kafka.
 */
import { assert } from "../engine/assert.ts";
import type { PartitionerKind } from "../kafka/version.ts";
import { murmur2, toPositive, utf8 } from "./murmur2.ts";

export { murmur2 } from "./murmur2.ts";

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** Bound on redraws when KIP-480 looks for a partition different from the previous one. */
const STICKY_REDRAW_LIMIT = 10_000;

/** The draws the partitioner needs (an RngStream from sim/engine/rng.ts fits). */
export interface PartitionerRng {
  /** A uniform integer in [lo, hi], both included. */
  intBetween(lo: number, hi: number): number;
}

/** The producer's metadata view of one topic, as `Cluster` gives it to the partitioner. */
export interface TopicPartitionsView {
  /** `cluster.partitionsForTopic(topic).size()`: every partition, with a leader or not. */
  readonly numPartitions: number;
  /**
   * `cluster.availablePartitionsForTopic(topic)`: the partitions that have a leader, in the
   * order of the producer's metadata (ascending partition id is the usual order).
   */
  readonly availablePartitions: readonly number[];
}

/** The producer configs the partitioner reads. */
export interface PartitionerConfig {
  /** `batch.size`: bytes appended to a sticky partition before KIP-794 switches (≥ 1). */
  readonly batchSizeBytes: number;
  /** `partitioner.adaptive.partitioning.enable` (KIP-794, default true). */
  readonly adaptive: boolean;
  /** `partitioner.ignore.keys` (KIP-794, default false): keyed records go sticky too. */
  readonly ignoreKeys: boolean;
}

/** `BuiltInPartitioner.partitionForKey`: the partition of a serialized key. */
export function partitionForKey(keyBytes: Uint8Array, numPartitions: number): number {
  assert(
    Number.isSafeInteger(numPartitions) && numPartitions > 0,
    () => `numPartitions must be a positive integer, got ${numPartitions}`,
  );
  return toPositive(murmur2(keyBytes)) % numPartitions;
}

/** The partition Kafka's default partitioner gives a String key (StringSerializer, UTF-8). */
export function defaultPartitionForKey(key: string, numPartitions: number): number {
  return partitionForKey(utf8(key), numPartitions);
}

/** KIP-794's cumulative frequency table (BuiltInPartitioner.PartitionLoadStats). */
interface PartitionLoadStats {
  readonly cumulativeFrequencyTable: readonly number[];
  readonly partitionIds: readonly number[];
}

/** KIP-794's current choice for a topic (BuiltInPartitioner.StickyPartitionInfo). */
interface StickyPartitionInfo {
  readonly partition: number;
  producedBytes: number;
}

function assertView(cluster: TopicPartitionsView): void {
  assert(
    Number.isSafeInteger(cluster.numPartitions) && cluster.numPartitions > 0,
    () => `a topic has at least one partition, got ${cluster.numPartitions}`,
  );
  for (const p of cluster.availablePartitions) {
    assert(
      Number.isSafeInteger(p) && p >= 0 && p < cluster.numPartitions,
      () => `available partition ${p} is outside 0..${cluster.numPartitions - 1}`,
    );
  }
}

/** Java's `int` increment: wraps from 2^31 - 1 to -2^31. */
function int32Increment(n: number): number {
  return (n + 1) | 0;
}

export class Partitioner {
  readonly profile: PartitionerKind;
  readonly config: PartitionerConfig;
  private readonly rng: PartitionerRng;
  /** round-robin: DefaultPartitioner.topicCounterMap (the next counter value per topic). */
  private readonly counters = new Map<string, number>();
  /** sticky-kip480: StickyPartitionCache.indexCache. */
  private readonly stickyCache = new Map<string, number>();
  /** uniform-sticky-kip794: one BuiltInPartitioner's sticky info per topic. */
  private readonly stickyInfo = new Map<string, StickyPartitionInfo>();
  /** uniform-sticky-kip794: load stats per topic; absent means uniform. */
  private readonly loadStats = new Map<string, PartitionLoadStats>();

  constructor(profile: PartitionerKind, config: PartitionerConfig, rng: PartitionerRng) {
    assert(
      Number.isSafeInteger(config.batchSizeBytes) && config.batchSizeBytes >= 1,
      () => `stickyBatchSize must be >= 1 but got ${config.batchSizeBytes}`,
    );
    assert(
      !config.ignoreKeys || profile === "uniform-sticky-kip794",
      "partitioner.ignore.keys exists only with the KIP-794 partitioner (3.3+)",
    );
    this.profile = profile;
    this.config = config;
    this.rng = rng;
  }

  /**
   * True when the record's partition comes from the sticky choice, so the accumulator must report
   * the bytes it appended with `updatePartitionInfo` (Kafka: a non-null StickyPartitionInfo).
   */
  usesStickyPartition(keyBytes: Uint8Array | null, explicitPartition: number | null): boolean {
    if (explicitPartition !== null || this.profile === "round-robin") return false;
    if (this.profile === "sticky-kip480") return keyBytes === null;
    return keyBytes === null || this.config.ignoreKeys;
  }

  /**
   * The partition of a record (KafkaProducer.partition, then the built-in choice at append time).
   * An explicit partition is returned as given; the producer checks it against the partition count
   * (KafkaProducer.waitOnMetadata throws for one out of range).
   */
  partition(
    topic: string,
    keyBytes: Uint8Array | null,
    explicitPartition: number | null,
    cluster: TopicPartitionsView,
  ): number {
    assertView(cluster);
    if (explicitPartition !== null) {
      assert(
        Number.isSafeInteger(explicitPartition) && explicitPartition >= 0,
        () => `an explicit partition is a non-negative integer, got ${explicitPartition}`,
      );
      return explicitPartition;
    }
    if (
      keyBytes !== null &&
      !(this.profile === "uniform-sticky-kip794" && this.config.ignoreKeys)
    ) {
      return partitionForKey(keyBytes, cluster.numPartitions);
    }
    switch (this.profile) {
      case "round-robin":
        return this.roundRobinPartition(topic, cluster);
      case "sticky-kip480":
        return this.kip480Partition(topic, cluster);
      case "uniform-sticky-kip794":
        return this.peekCurrentPartitionInfo(topic, cluster).partition;
    }
  }

  /**
   * KIP-480's `Partitioner.onNewBatch`: the accumulator is about to create a new batch for
   * `prevPartition` (KafkaProducer.doSend with abortOnNewBatch). If that is the topic's sticky
   * partition, a different one is chosen. The other profiles ignore the call, as Kafka only makes
   * it for DefaultPartitioner from 2.4 to 3.2.
   */
  onNewBatch(topic: string, prevPartition: number, cluster: TopicPartitionsView): void {
    assertView(cluster);
    if (this.profile !== "sticky-kip480") return;
    this.kip480NextPartition(topic, cluster, prevPartition);
  }

  /**
   * KIP-794's `BuiltInPartitioner.updatePartitionInfo`: the accumulator appended `appendedBytes`
   * to `partition`, the sticky partition it got from `partition()`. `enableSwitch` is
   * RecordAccumulator's `allBatchesFull(deque)`: false while the partition's last batch still has
   * room. The accumulator also calls this with 0 bytes and `enableSwitch` true before appending
   * when all batches of the sticky partition are full (RecordAccumulator.partitionChanged), and
   * then asks `partition()` again. Only for records where `usesStickyPartition` is true.
   */
  updatePartitionInfo(
    topic: string,
    appendedBytes: number,
    partition: number,
    cluster: TopicPartitionsView,
    enableSwitch = true,
  ): void {
    assert(this.profile === "uniform-sticky-kip794", "updatePartitionInfo is KIP-794's hook");
    assert(
      Number.isSafeInteger(appendedBytes) && appendedBytes >= 0,
      () => `appended bytes must be a non-negative integer, got ${appendedBytes}`,
    );
    assertView(cluster);
    const info = this.stickyInfo.get(topic);
    assert(
      info !== undefined && info.partition === partition,
      () =>
        `updatePartitionInfo for ${topic}-${partition}, but the sticky partition is ${info?.partition}`,
    );
    info.producedBytes += appendedBytes;
    const batchSize = this.config.batchSizeBytes;
    if ((info.producedBytes >= batchSize && enableSwitch) || info.producedBytes >= batchSize * 2) {
      this.stickyInfo.set(topic, {
        partition: this.kip794NextPartition(topic, cluster),
        producedBytes: 0,
      });
    }
  }

  /**
   * KIP-794's `BuiltInPartitioner.updatePartitionLoadStats`, called by the accumulator's ready
   * check for each topic. As Kafka: `queueSizes` and `partitionIds` have one slot per partition in
   * the accumulator's batches map (RecordAccumulator passes null until every partition of the topic
   * has an entry there); the first `length` slots hold the partitions that have a leader, with
   * their queue lengths (batches waiting). Null, a lone partition or equal queues mean "uniform".
   * Ignored when adaptive partitioning is off (Kafka passes null then). The arrays are not changed.
   */
  updateLoadStats(
    topic: string,
    queueSizes: readonly number[] | null,
    partitionIds: readonly number[] = [],
    length: number = queueSizes?.length ?? 0,
  ): void {
    assert(this.profile === "uniform-sticky-kip794", "updateLoadStats is KIP-794's hook");
    if (queueSizes === null || !this.config.adaptive) {
      this.loadStats.delete(topic);
      return;
    }
    assert(queueSizes.length === partitionIds.length, "one partition id per queue size");
    assert(
      Number.isSafeInteger(length) && length >= 0 && length <= queueSizes.length,
      () => `length ${length} must be within 0..${queueSizes.length}`,
    );
    if (length < 1 || queueSizes.length < 2) {
      this.loadStats.delete(topic);
      return;
    }
    let maxSizePlus1 = queueSizes[0]!;
    let allEqual = true;
    for (let i = 1; i < length; i++) {
      if (queueSizes[i] !== maxSizePlus1) allEqual = false;
      if (queueSizes[i]! > maxSizePlus1) maxSizePlus1 = queueSizes[i]!;
    }
    ++maxSizePlus1;
    if (allEqual && length === queueSizes.length) {
      this.loadStats.delete(topic);
      return;
    }
    // Invert each queue size into a weight and fold into a running sum: a uniform draw in
    // [0, last) then lands on partition i with probability weight[i] / last.
    const table: number[] = [];
    let running = 0;
    for (let i = 0; i < length; i++) {
      const size = queueSizes[i]!;
      assert(Number.isSafeInteger(size) && size >= 0, () => `queue size must be >= 0, got ${size}`);
      running += maxSizePlus1 - size;
      table.push(running);
    }
    this.loadStats.set(topic, {
      cumulativeFrequencyTable: table,
      partitionIds: partitionIds.slice(0, length),
    });
  }

  /** KIP-794's current sticky partition of a topic, if one was chosen (for the viz and tests). */
  stickyPartition(topic: string): number | undefined {
    return this.profile === "sticky-kip480"
      ? this.stickyCache.get(topic)
      : this.stickyInfo.get(topic)?.partition;
  }

  /** KIP-794: the end of the weighted draw's range, or undefined when the draw is uniform. */
  loadStatsRangeEnd(topic: string): number | undefined {
    const table = this.loadStats.get(topic)?.cumulativeFrequencyTable;
    return table === undefined ? undefined : table[table.length - 1];
  }

  // ---------------------------------------------------------------- round-robin (before 2.4)

  private roundRobinPartition(topic: string, cluster: TopicPartitionsView): number {
    let counter = this.counters.get(topic);
    // DefaultPartitioner.nextValue: the counter starts at ThreadLocalRandom.nextInt().
    if (counter === undefined) counter = this.drawInt32();
    this.counters.set(topic, int32Increment(counter));
    const available = cluster.availablePartitions;
    if (available.length > 0) return available[toPositive(counter) % available.length]!;
    // No partition has a leader: give a non-available one.
    return toPositive(counter) % cluster.numPartitions;
  }

  // ---------------------------------------------------------------- KIP-480 (2.4 to 3.2)

  /** StickyPartitionCache.partition. */
  private kip480Partition(topic: string, cluster: TopicPartitionsView): number {
    const part = this.stickyCache.get(topic);
    return part ?? this.kip480NextPartition(topic, cluster, -1);
  }

  /** StickyPartitionCache.nextPartition. */
  private kip480NextPartition(
    topic: string,
    cluster: TopicPartitionsView,
    prevPartition: number,
  ): number {
    const oldPart = this.stickyCache.get(topic);
    // Only the partition that triggered the new batch may change the sticky choice.
    if (oldPart !== undefined && oldPart !== prevPartition) return oldPart;
    const available = cluster.availablePartitions;
    let newPart: number;
    if (available.length < 1) {
      newPart = this.drawNonNegativeInt() % cluster.numPartitions;
    } else if (available.length === 1) {
      newPart = available[0]!;
    } else {
      let candidate = oldPart;
      let draws = 0;
      while (candidate === undefined || candidate === oldPart) {
        assert(
          ++draws <= STICKY_REDRAW_LIMIT,
          "no different available partition after 10000 draws",
        );
        candidate = available[this.drawNonNegativeInt() % available.length]!;
      }
      newPart = candidate;
    }
    this.stickyCache.set(topic, newPart);
    return newPart;
  }

  // ---------------------------------------------------------------- KIP-794 (3.3+)

  /** BuiltInPartitioner.peekCurrentPartitionInfo. */
  private peekCurrentPartitionInfo(
    topic: string,
    cluster: TopicPartitionsView,
  ): StickyPartitionInfo {
    let info = this.stickyInfo.get(topic);
    if (info === undefined) {
      info = { partition: this.kip794NextPartition(topic, cluster), producedBytes: 0 };
      this.stickyInfo.set(topic, info);
    }
    return info;
  }

  /** BuiltInPartitioner.nextPartition. */
  private kip794NextPartition(topic: string, cluster: TopicPartitionsView): number {
    const random = this.drawNonNegativeInt();
    const stats = this.loadStats.get(topic);
    if (stats === undefined) {
      const available = cluster.availablePartitions;
      if (available.length > 0) return available[random % available.length]!;
      return random % cluster.numPartitions;
    }
    const table = stats.cumulativeFrequencyTable;
    const weightedRandom = random % table[table.length - 1]!;
    // The first entry strictly greater than the draw (Kafka: Arrays.binarySearch, then + 1).
    let lo = 0;
    let hi = table.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (table[mid]! > weightedRandom) hi = mid;
      else lo = mid + 1;
    }
    return stats.partitionIds[lo]!;
  }

  // ---------------------------------------------------------------- draws

  /** `Utils.toPositive(ThreadLocalRandom.current().nextInt())`: uniform over [0, 2^31 - 1]. */
  private drawNonNegativeInt(): number {
    const value = this.rng.intBetween(0, INT32_MAX);
    assert(
      Number.isInteger(value) && value >= 0 && value <= INT32_MAX,
      () => `rng gave ${value}, outside 0..2^31-1`,
    );
    return value;
  }

  /** `ThreadLocalRandom.current().nextInt()`: any 32-bit int. */
  private drawInt32(): number {
    const value = this.rng.intBetween(INT32_MIN, INT32_MAX);
    assert(
      Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX,
      () => `rng gave ${value}, outside the 32-bit ints`,
    );
    return value;
  }
}
