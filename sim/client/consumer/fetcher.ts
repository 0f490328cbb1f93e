/**
 * The consumer's fetcher (Kafka's Fetcher and FetchCollector): which partitions to ask each leader
 * for, the request's sizes, and the buffer of fetched batches that poll() drains.
 *
 * Models:
 * - one FetchRequest in flight per leader; a partition is asked for only when it has a position
 *   (state fetching), a known leader, and nothing left in the buffer (Kafka's
 *   `fetchablePartitions`), so a slow application does not make the consumer fetch ahead without
 *   bound;
 * - the request carries fetch.min.bytes, fetch.max.wait.ms, fetch.max.bytes (the response's total,
 *   the broker always sends at least one batch) and max.partition.fetch.bytes per partition, and
 *   the leader epoch from metadata (KIP-320, 2.1+; -1 before, so no fencing);
 * - the buffer hands out at most max.poll.records records per poll, from the oldest fetched
 *   partition on, resuming inside a batch where the last poll stopped; a buffered fetch whose
 *   offset no longer matches the position (a seek, a reset) is dropped;
 * - isolation.level (reference §5): control batches (transaction markers) never reach the
 *   application under either level, the position moves past them; under read_committed the
 *   broker stops at the LSO and lists the aborted transactions in range, and the batches of those
 *   transactions are skipped the same way (txn-consume.ts, Kafka's CompletedFetch);
 * - errors: NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH, UNKNOWN_LEADER_EPOCH,
 *   UNKNOWN_TOPIC_OR_PARTITION, LEADER_NOT_AVAILABLE and KAFKA_STORAGE_ERROR ask for new metadata;
 *   OFFSET_OUT_OF_RANGE for the current position asks for auto.offset.reset.
 *
 * Simplifies: fetch sessions (KIP-227) are always full; partitions are listed by topic and
 * partition number (Kafka rotates them for fairness under fetch.max.bytes).
 * Faults: none here; the actor sees timeouts and disconnects.
 */
import { assert } from "../../engine/assert.ts";
import { consumeFetchedBatches } from "../../kafka/log/txn-consume.ts";
import {
  type FetchPartition,
  type FetchPartitionResponse,
  HEADER_BYTES,
  PARTITION_ENTRY_BYTES,
} from "../../kafka/protocol.ts";
import type { KafkaError, RecordBatch } from "../../kafka/types.ts";
import { tpKey } from "../../kafka/types.ts";
import type { PartitionPosition } from "./positions.ts";

/** Errors after which the partition's leader is looked up again. */
export const FETCH_METADATA_ERRORS: ReadonlySet<KafkaError> = new Set<KafkaError>([
  "NOT_LEADER_OR_FOLLOWER",
  "FENCED_LEADER_EPOCH",
  "UNKNOWN_LEADER_EPOCH",
  "UNKNOWN_TOPIC_OR_PARTITION",
  "LEADER_NOT_AVAILABLE",
  "KAFKA_STORAGE_ERROR",
]);

export interface FetchSizing {
  readonly fetchMinBytes: number;
  readonly fetchMaxBytes: number;
  readonly fetchMaxWaitMs: number;
  readonly maxPartitionFetchBytes: number;
  readonly kip320: boolean;
}

/** One leader's share of the next fetch round. */
export interface PlannedFetch {
  readonly leader: number;
  readonly partitions: FetchPartition[];
  readonly requestBytes: number;
}

/**
 * The fetches to send now: per leader without a fetch in flight, its fetchable partitions.
 * Leaders ascending, partitions in `positions` order.
 */
export function planFetches(
  positions: readonly PartitionPosition[],
  buffered: (topic: string, partition: number) => boolean,
  leaderBusy: (leader: number) => boolean,
  sizing: FetchSizing,
): PlannedFetch[] {
  const byLeader = new Map<number, FetchPartition[]>();
  for (const p of positions) {
    if (p.state !== "fetching" || p.offset < 0 || p.leader < 0) continue;
    if (leaderBusy(p.leader) || buffered(p.topic, p.partition)) continue;
    let list = byLeader.get(p.leader);
    if (list === undefined) {
      list = [];
      byLeader.set(p.leader, list);
    }
    list.push({
      topic: p.topic,
      partition: p.partition,
      fetchOffset: p.offset,
      lastFetchedEpoch: -1,
      currentLeaderEpoch: sizing.kip320 ? p.leaderEpoch : -1,
      logStartOffset: -1,
      partitionMaxBytes: sizing.maxPartitionFetchBytes,
    });
  }
  return [...byLeader.keys()]
    .sort((a, b) => a - b)
    .map((leader) => {
      const partitions = byLeader.get(leader)!;
      return {
        leader,
        partitions,
        requestBytes: HEADER_BYTES + PARTITION_ENTRY_BYTES * partitions.length,
      };
    });
}

/** A delivered slice of one partition, as poll() returns it. */
export interface DeliveredSlice {
  readonly topic: string;
  readonly partition: number;
  /** Offset of the first record, the number of records and the position after them. */
  readonly offset: number;
  readonly count: number;
  readonly nextOffset: number;
  /** Leader epoch of the last record's batch (the position's epoch, KIP-320). */
  readonly lastEpoch: number;
  readonly origins: ReadonlyArray<{ readonly baseOffset: number; readonly sendId: string }>;
  /** The records' offsets as runs (gaps: control records, aborted batches, compaction). */
  readonly runs: ReadonlyArray<{ readonly offset: number; readonly count: number }>;
}

interface CompletedFetch {
  readonly topic: string;
  readonly partition: number;
  readonly batches: readonly RecordBatch[];
  batchIndex: number;
  /** The next offset to hand out (starts at the fetch offset). */
  cursor: number;
  /** Batches of aborted transactions (read_committed): skipped like control batches. */
  readonly skip: ReadonlySet<RecordBatch> | undefined;
}

/** The batches fetched and not yet returned, in arrival order (Kafka's completedFetches). */
export class FetchBuffer {
  private readonly queue: CompletedFetch[] = [];
  private readonly keys = new Set<string>();

  /** Buffers a partition's answer to a fetch at `fetchOffset` (only non-empty ones). */
  add(
    fetchOffset: number,
    data: FetchPartitionResponse,
    isolation: "read_uncommitted" | "read_committed" = "read_uncommitted",
  ): void {
    if (data.batches.length === 0) return;
    let skip: ReadonlySet<RecordBatch> | undefined;
    if (isolation === "read_committed") {
      const consumed = consumeFetchedBatches(
        data.batches,
        data.abortedTransactions,
        isolation,
        fetchOffset,
      );
      if (consumed.abortedBatches.length > 0) skip = new Set(consumed.abortedBatches);
    }
    const key = tpKey(data.topic, data.partition);
    assert(!this.keys.has(key), () => `two buffered fetches for ${key}`);
    this.keys.add(key);
    this.queue.push({
      topic: data.topic,
      partition: data.partition,
      batches: data.batches,
      batchIndex: 0,
      cursor: fetchOffset,
      skip,
    });
  }

  has(topic: string, partition: number): boolean {
    return this.keys.has(tpKey(topic, partition));
  }

  get isEmpty(): boolean {
    return this.queue.length === 0;
  }

  /** Drops what is buffered for these partitions (revoked, sought, reset). */
  drop(topic: string, partition: number): void {
    const key = tpKey(topic, partition);
    if (!this.keys.delete(key)) return;
    const i = this.queue.findIndex((f) => f.topic === topic && f.partition === partition);
    if (i >= 0) this.queue.splice(i, 1);
  }

  clear(): void {
    this.queue.length = 0;
    this.keys.clear();
  }

  /**
   * Takes up to `maxRecords` records for poll(): the oldest buffered partition first, each slice
   * starting at the partition's position. `positionOf` gives the position, or undefined when the
   * partition may not be returned now (not assigned, not fetching); a fetch for another offset is
   * dropped, as Kafka drops a fetch made before a seek.
   */
  drain(
    maxRecords: number,
    positionOf: (topic: string, partition: number) => number | undefined,
  ): DeliveredSlice[] {
    const slices: DeliveredSlice[] = [];
    let remaining = maxRecords;
    let i = 0;
    while (remaining > 0 && i < this.queue.length) {
      const f = this.queue[i]!;
      const position = positionOf(f.topic, f.partition);
      if (position === undefined) {
        i++;
        continue;
      }
      if (position !== f.cursor) {
        this.removeAt(i);
        continue;
      }
      const slice = takeRecords(f, remaining);
      if (slice !== undefined) {
        // A slice of count 0 only moves the position past skipped offsets.
        slices.push(slice);
        remaining -= slice.count;
      }
      if (f.batchIndex >= f.batches.length) this.removeAt(i);
      else i++;
    }
    return slices;
  }

  private removeAt(i: number): void {
    const f = this.queue[i]!;
    this.queue.splice(i, 1);
    this.keys.delete(tpKey(f.topic, f.partition));
  }
}

/** Takes up to `limit` records from a completed fetch, from its cursor on. */
function takeRecords(f: CompletedFetch, limit: number): DeliveredSlice | undefined {
  const startCursor = f.cursor;
  let first = -1;
  let count = 0;
  let lastEpoch = -1;
  const origins: Array<{ baseOffset: number; sendId: string }> = [];
  const runs: Array<{ offset: number; count: number }> = [];
  while (count < limit && f.batchIndex < f.batches.length) {
    const b = f.batches[f.batchIndex]!;
    const end = b.baseOffset + b.count;
    if (end <= f.cursor || b.isControl || f.skip?.has(b) === true) {
      f.cursor = Math.max(f.cursor, end);
      f.batchIndex++;
      continue;
    }
    const start = Math.max(f.cursor, b.baseOffset);
    let taken: number;
    let firstInBatch: number;
    let next: number;
    if (b.offsets === undefined) {
      taken = Math.min(end - start, limit - count);
      firstInBatch = start;
      next = start + taken;
      if (taken > 0) runs.push({ offset: start, count: taken });
    } else {
      const live = b.offsets.filter((o) => o >= start);
      taken = Math.min(live.length, limit - count);
      firstInBatch = live[0] ?? end;
      next = taken === live.length ? end : live[taken - 1]! + 1;
      for (const o of live.slice(0, taken)) runs.push({ offset: o, count: 1 });
    }
    if (taken > 0) {
      if (first < 0) first = firstInBatch;
      count += taken;
      lastEpoch = b.leaderEpoch;
      if (b.origin !== undefined) origins.push({ baseOffset: b.baseOffset, sendId: b.origin });
    }
    f.cursor = next;
    if (next >= end) f.batchIndex++;
  }
  // Only skipped offsets (control batches, aborted batches, compacted gaps): the position still
  // moves past them.
  if (count === 0 && f.cursor === startCursor) return undefined;
  if (count === 0) first = f.cursor;
  return {
    topic: f.topic,
    partition: f.partition,
    offset: first,
    count,
    nextOffset: f.cursor,
    lastEpoch,
    origins,
    runs,
  };
}
