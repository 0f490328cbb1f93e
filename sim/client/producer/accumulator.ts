/**
 * The producer's record accumulator (Kafka's RecordAccumulator and ProducerBatch, reference §7.3):
 * per partition a queue of batches; records are appended to the last batch of their partition
 * while it has room, else a new batch is made; the sender asks which brokers have a sendable batch
 * (`ready`) and takes at most one batch per partition for a request (`drain`); a batch that must
 * be retried goes back to the head of its partition's queue (`reenqueue`), in sequence order when
 * it carries one, as Kafka's insertInSequenceOrder does.
 *
 * Models:
 * - batch.size: a new batch takes max(batch.size, its first record + header) bytes of
 *   buffer.memory, and is full when the next record would pass batch.size (a lone record larger
 *   than batch.size gets a batch of its own); batch.size 0 means one record a batch;
 * - linger.ms: a partition's first batch is sendable when full, when linger.ms has passed since it
 *   was made, when the accumulator is out of memory (someone waits for buffer space), on flush or
 *   close; a batch being retried waits its backoff instead (RecordAccumulator.ready);
 * - buffer.memory: `tryReserve` says whether a new batch's bytes fit; the producer makes send()
 *   wait (max.block.ms) while they do not;
 * - drain: one batch per partition per request, partitions of the broker taken round-robin from
 *   where the last drain for that broker stopped, until max.request.size (the first batch always
 *   goes); a muted partition (max.in.flight=1, a batch of it in flight) is skipped; the caller's
 *   `mayDrain` adds the idempotence rules (a retried batch goes only when it is the first sequence
 *   in flight);
 * - record sizes: Kafka's v2 record encoding (DefaultRecord.sizeInBytes: varints for the length,
 *   timestamp and offset deltas, key and value lengths, header count) plus the 61-byte batch
 *   header; timestamp deltas are taken as one byte.
 *
 * Simplifies: batch.size is compared with uncompressed bytes (Kafka estimates the compressed size
 * with a running compression ratio); no split of oversized compressed batches
 * (MESSAGE_TOO_LARGE); no headers. Faults: none (pure data; the producer decides what a timeout
 * or a crash does to its batches).
 */
import { assert, assertSafeInt } from "../../engine/assert.ts";
import type { KafkaError } from "../../kafka/types.ts";

/** DefaultRecordBatch.RECORD_BATCH_OVERHEAD. */
export const RECORD_BATCH_OVERHEAD_BYTES = 61;

/** ByteUtils.sizeOfVarint of a zig-zag encoded int. */
export function sizeOfVarint(value: number): number {
  let v = value >= 0 ? value * 2 : -value * 2 - 1;
  let bytes = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    bytes++;
  }
  return bytes;
}

/** DefaultRecord.sizeInBytes for a record with no headers, offset delta and timestamp delta small. */
export function recordSizeInBytes(
  keyBytes: number | null,
  valueBytes: number | null,
  offsetDelta = 0,
): number {
  let body = 1 + 1 + sizeOfVarint(offsetDelta); // attributes, timestamp delta, offset delta
  body += keyBytes === null ? sizeOfVarint(-1) : sizeOfVarint(keyBytes) + keyBytes;
  body += valueBytes === null ? sizeOfVarint(-1) : sizeOfVarint(valueBytes) + valueBytes;
  body += sizeOfVarint(0); // header count
  return sizeOfVarint(body) + body;
}

/** One record appended by send(). */
export interface AccumulatedRecord {
  /** The record's id, returned by send(). */
  readonly recordId: string;
  readonly key: string | null;
  readonly value: string | null;
  readonly sizeBytes: number;
  readonly appendedUs: number;
  /** The input record a stream processor made this one from ("in-0@17"), for the checkers. */
  readonly source?: string;
}

/** A batch the producer builds (Kafka's ProducerBatch), with its delivery bookkeeping. */
export interface ProducerBatch {
  /** `${client}:${seq}`: the send id of the history and the batch's origin in the log. */
  readonly sendId: string;
  readonly topic: string;
  readonly partition: number;
  readonly createdUs: number;
  /** Bytes of buffer.memory this batch holds. */
  readonly reservedBytes: number;
  readonly records: AccumulatedRecord[];
  /** Sum of the records' encoded sizes. */
  recordBytes: number;
  /** No more appends (drained once, or full). */
  closed: boolean;
  /** Attempts sent so far. */
  attempts: number;
  /** Not before this time (retry backoff); 0 when not in retry. */
  retryAtUs: number;
  inRetry: boolean;
  /** Idempotence: -1 until the batch is first drained with a producer id. */
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  /** Wire size of the batch (header + compressed records), fixed when first drained. */
  wireBytes: number;
  /** The send is in the history (it reached the network once). */
  recorded: boolean;
  /** Some attempt may have been appended without an acknowledgement. */
  ambiguous: boolean;
  lastError: KafkaError | undefined;
}

/** The accumulator's configs. */
export interface AccumulatorConfig {
  readonly batchSizeBytes: number;
  readonly lingerMs: number;
  readonly bufferMemoryBytes: number;
  readonly maxRequestSizeBytes: number;
  readonly retryBackoffMs: number;
}

export interface ReadyCheck {
  /** Brokers with at least one sendable batch, ascending. */
  readonly readyNodes: number[];
  /** Earliest later time a batch becomes sendable (linger or backoff), or undefined. */
  readonly nextReadyUs: number | undefined;
  /** Some partition with batches has no known leader. */
  readonly unknownLeader: boolean;
}

/** The producer's view of where partitions are led (-1: no leader known). */
export type LeaderOf = (topic: string, partition: number) => number;

interface PartitionQueue {
  readonly topic: string;
  readonly partition: number;
  readonly batches: ProducerBatch[];
}

export class RecordAccumulator {
  private readonly queues = new Map<string, PartitionQueue>();
  /** Queue keys in creation order, so every walk is in a defined order. */
  private readonly order: PartitionQueue[] = [];
  private readonly muted = new Set<string>();
  private readonly drainIndex = new Map<number, number>();
  private usedBytes = 0;
  /** Someone waits for buffer space (send() blocked): batches are sendable at once. */
  private exhausted = false;
  private flushing = false;

  constructor(readonly config: AccumulatorConfig) {
    for (const [name, v] of Object.entries(config)) {
      assertSafeInt(v, name);
      assert(v >= 0, () => `${name} must be ≥ 0`);
    }
  }

  get bufferUsedBytes(): number {
    return this.usedBytes;
  }

  /** Batches waiting in queues (not in flight). */
  queuedBatches(): number {
    let n = 0;
    for (const q of this.order) n += q.batches.length;
    return n;
  }

  /** The queue of a partition (created on first use). */
  private queue(topic: string, partition: number): PartitionQueue {
    const key = `${topic}\u0000${partition}`;
    let q = this.queues.get(key);
    if (q === undefined) {
      q = { topic, partition, batches: [] };
      this.queues.set(key, q);
      this.order.push(q);
    }
    return q;
  }

  /** Batches waiting for a partition (for the adaptive partitioner's queue sizes). */
  queueLength(topic: string, partition: number): number {
    return this.queues.get(`${topic}\u0000${partition}`)?.batches.length ?? 0;
  }

  /** The last batch of the partition has room for a record of `sizeBytes` (no new batch needed). */
  hasRoom(topic: string, partition: number, sizeBytes: number): boolean {
    const last = this.queue(topic, partition).batches.at(-1);
    return last !== undefined && !last.closed && this.fits(last, sizeBytes);
  }

  /** Every batch of the partition is full or closed (Kafka's allBatchesFull for KIP-794). */
  allBatchesFull(topic: string, partition: number): boolean {
    const last = this.queue(topic, partition).batches.at(-1);
    return last === undefined || last.closed || this.isFull(last);
  }

  private fits(batch: ProducerBatch, sizeBytes: number): boolean {
    if (batch.records.length === 0) return true;
    const limit = Math.max(this.config.batchSizeBytes, 1);
    return RECORD_BATCH_OVERHEAD_BYTES + batch.recordBytes + sizeBytes <= limit;
  }

  private isFull(batch: ProducerBatch): boolean {
    return (
      RECORD_BATCH_OVERHEAD_BYTES + batch.recordBytes >= Math.max(this.config.batchSizeBytes, 1) ||
      this.config.batchSizeBytes === 0
    );
  }

  /** Buffer bytes a new batch for a record of `sizeBytes` takes. */
  newBatchBytes(sizeBytes: number): number {
    return Math.max(this.config.batchSizeBytes, RECORD_BATCH_OVERHEAD_BYTES + sizeBytes);
  }

  /** Whether a new batch of `bytes` fits in buffer.memory now. */
  canReserve(bytes: number): boolean {
    return this.usedBytes + bytes <= this.config.bufferMemoryBytes;
  }

  /** send() is blocked waiting for memory: make every batch sendable (Kafka's `exhausted`). */
  setExhausted(exhausted: boolean): void {
    this.exhausted = exhausted;
  }

  /** flush(): every batch is sendable until the queues are empty. */
  setFlushing(flushing: boolean): void {
    this.flushing = flushing;
  }

  /**
   * Appends a record to its partition's last batch, or to a new batch (`newBatch` makes its send
   * id; the caller checked `canReserve`). Returns the batch and whether it was new.
   */
  append(
    topic: string,
    partition: number,
    record: AccumulatedRecord,
    newBatch: () => ProducerBatch,
  ): { readonly batch: ProducerBatch; readonly created: boolean; readonly index: number } {
    const q = this.queue(topic, partition);
    let batch = q.batches.at(-1);
    let created = false;
    if (batch === undefined || batch.closed || !this.fits(batch, record.sizeBytes)) {
      if (batch !== undefined) batch.closed = true;
      batch = newBatch();
      assert(batch.topic === topic && batch.partition === partition, "new batch for the partition");
      assert(this.canReserve(batch.reservedBytes), "new batch without buffer space");
      this.usedBytes += batch.reservedBytes;
      q.batches.push(batch);
      created = true;
    }
    const index = batch.records.length;
    batch.records.push(record);
    batch.recordBytes += record.sizeBytes;
    if (this.isFull(batch)) batch.closed = true;
    return { batch, created, index };
  }

  /** The batch is done (acked, failed or expired): its buffer memory is free again. */
  release(batch: ProducerBatch): void {
    this.usedBytes -= batch.reservedBytes;
    assert(this.usedBytes >= 0, "buffer memory below zero");
  }

  /** Removes a batch that is still queued (it expired there). */
  remove(batch: ProducerBatch): void {
    const q = this.queue(batch.topic, batch.partition);
    const i = q.batches.indexOf(batch);
    assert(i >= 0, () => `batch ${batch.sendId} is not queued`);
    q.batches.splice(i, 1);
  }

  /**
   * Takes out the batches whose delivery timeout passed, from the head of each queue until the
   * first that has time left (RecordAccumulator.expiredBatches).
   */
  takeExpired(nowUs: number, deadlineOf: (batch: ProducerBatch) => number): ProducerBatch[] {
    const out: ProducerBatch[] = [];
    for (const q of this.order) {
      while (q.batches.length > 0 && nowUs >= deadlineOf(q.batches[0]!))
        out.push(q.batches.shift()!);
    }
    return out;
  }

  /** The earliest delivery deadline among the queues' first batches, or undefined. */
  earliestDeadline(deadlineOf: (batch: ProducerBatch) => number): number | undefined {
    let best: number | undefined;
    for (const q of this.order) {
      const first = q.batches[0];
      if (first === undefined) continue;
      const d = deadlineOf(first);
      if (best === undefined || d < best) best = d;
    }
    return best;
  }

  /** Every queued batch, partitions in creation order, oldest first. */
  *queued(): IterableIterator<ProducerBatch> {
    for (const q of this.order) yield* q.batches;
  }

  mute(topic: string, partition: number): void {
    this.muted.add(`${topic}\u0000${partition}`);
  }

  unmute(topic: string, partition: number): void {
    this.muted.delete(`${topic}\u0000${partition}`);
  }

  isMuted(topic: string, partition: number): boolean {
    return this.muted.has(`${topic}\u0000${partition}`);
  }

  /**
   * Back to the head of its partition's queue for a retry (RecordAccumulator.reenqueue); a batch
   * with a sequence goes before the first queued batch with a higher sequence or none.
   */
  reenqueue(batch: ProducerBatch, nowUs: number, backoffUs: number): void {
    batch.inRetry = true;
    batch.retryAtUs = nowUs + backoffUs;
    const q = this.queue(batch.topic, batch.partition);
    if (batch.baseSequence < 0) {
      q.batches.unshift(batch);
      return;
    }
    let i = 0;
    while (i < q.batches.length) {
      const other = q.batches[i]!;
      if (other.baseSequence < 0 || other.baseSequence > batch.baseSequence) break;
      i++;
    }
    q.batches.splice(i, 0, batch);
  }

  /** RecordAccumulator.ready: which brokers have a sendable first batch, and when the next will. */
  ready(nowUs: number, leaderOf: LeaderOf): ReadyCheck {
    const nodes = new Set<number>();
    let next: number | undefined;
    let unknownLeader = false;
    for (const q of this.order) {
      const first = q.batches[0];
      if (first === undefined) continue;
      const leader = leaderOf(q.topic, q.partition);
      if (leader < 0) {
        unknownLeader = true;
        continue;
      }
      if (nodes.has(leader) || this.isMuted(q.topic, q.partition)) continue;
      // A batch being retried waits its backoff whatever else holds (Kafka's backingOff).
      const dueUs = first.inRetry ? first.retryAtUs : first.createdUs + this.config.lingerMs * 1000;
      const full = q.batches.length > 1 || first.closed;
      const sendable = first.inRetry
        ? nowUs >= dueUs
        : full || nowUs >= dueUs || this.exhausted || this.flushing;
      if (sendable) nodes.add(leader);
      else if (next === undefined || dueUs < next) next = dueUs;
    }
    return {
      readyNodes: [...nodes].sort((a, b) => a - b),
      nextReadyUs: next,
      unknownLeader,
    };
  }

  /**
   * RecordAccumulator.drainBatchesForOneNode: at most one batch per partition led by `node`,
   * round-robin from where the last drain for this node stopped, up to max.request.size (the first batch
   * always goes). `mayDrain` holds back a partition (idempotence ordering); `wireBytesOf` fixes a
   * batch's size on the wire as it is taken (compression).
   */
  drain(
    node: number,
    nowUs: number,
    leaderOf: LeaderOf,
    mayDrain: (first: ProducerBatch) => boolean,
    wireBytesOf: (batch: ProducerBatch) => number,
  ): ProducerBatch[] {
    const mine = this.order.filter((q) => leaderOf(q.topic, q.partition) === node);
    if (mine.length === 0) return [];
    const start = (this.drainIndex.get(node) ?? 0) % mine.length;
    const out: ProducerBatch[] = [];
    let size = 0;
    for (let k = 0; k < mine.length; k++) {
      const i = (start + k) % mine.length;
      const q = mine[i]!;
      // Kafka stores the index being visited: the next drain starts at the last partition looked
      // at (the one that did not fit, when the request filled up).
      this.drainIndex.set(node, i);
      const first = q.batches[0];
      if (first === undefined || this.isMuted(q.topic, q.partition)) continue;
      if (first.inRetry && nowUs < first.retryAtUs) continue;
      const bytes = first.wireBytes > 0 ? first.wireBytes : wireBytesOf(first);
      if (out.length > 0 && size + bytes > this.config.maxRequestSizeBytes) break;
      if (!mayDrain(first)) continue;
      q.batches.shift();
      first.closed = true;
      first.wireBytes = bytes;
      size += bytes;
      out.push(first);
    }
    return out;
  }
}
