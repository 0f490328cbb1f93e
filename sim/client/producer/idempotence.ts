/**
 * The idempotent producer's bookkeeping (the idempotent part of Kafka's TransactionManager and
 * TxnPartitionMap, reference §4): the producer id and epoch from InitProducerId, and per
 * partition the next sequence to hand out, the last acknowledged sequence and the batches in
 * flight in sequence order.
 *
 * Models:
 * - a batch gets its sequence when first drained (next sequence += record count, wrapping after
 *   Integer.MAX_VALUE) and keeps it on every retry;
 * - ordering: a batch being retried is sent only when it is the first sequence in flight for its
 *   partition (RecordAccumulator.shouldStopDrainBatchesForPartition), so retries go out one at a
 *   time and in order; a new batch waits while the partition has an unresolved sequence or while
 *   batches of an older epoch are still in flight;
 * - OUT_OF_ORDER_SEQUENCE_NUMBER (TransactionManager.canRetry): retried when the batch is not the
 *   next one the broker should see (its base sequence is not last acked + 1): an earlier batch
 *   failed and is being retried; otherwise it is final for that batch;
 * - KIP-360: when a batch with a sequence fails for good (delivery timeout, a final error) the
 *   partition's sequences cannot be trusted: an epoch bump is required. Once nothing of the
 *   producer is in flight, the epoch is bumped locally (an idempotent producer does not ask the
 *   broker; at epoch 32767 it asks InitProducerId for a new id instead) and every queued batch
 *   that already had a sequence is renumbered from 0 under the new epoch, partition by partition.
 *
 * Simplifies: the bump waits until no produce request is outstanding (Kafka bumps at once and
 * rewrites the sequences of batches still in flight); a batch that timed out in flight is not
 * "resolved" by later acknowledgements (Kafka's unresolved sequences): its failure always asks
 * for a bump, and a batch renumbered after an ambiguous attempt can then be written twice (Kafka
 * has the same window);
 * UNKNOWN_PRODUCER_ID never comes (the broker accepts an unknown id, see producer-state.ts).
 * Faults: none (pure data).
 */
import { assert } from "../../engine/assert.ts";
import type { KafkaError } from "../../kafka/types.ts";
import type { ProducerBatch } from "./accumulator.ts";

const INT_MAX = 2147483647;
const SHORT_MAX = 32767;

interface PartitionSequences {
  nextSequence: number;
  lastAckedSequence: number;
  /** Batches sent and not completed (acked or failed), ascending base sequence. */
  readonly inFlight: ProducerBatch[];
}

export class IdempotenceState {
  producerId = -1;
  producerEpoch = -1;
  /** KIP-360: set when a batch with a sequence failed for good. */
  epochBumpRequired = false;
  private readonly partitions = new Map<string, PartitionSequences>();

  get hasProducerId(): boolean {
    return this.producerId >= 0;
  }

  setProducerId(producerId: number, producerEpoch: number): void {
    assert(producerId >= 0 && producerEpoch >= 0, "a valid producer id and epoch");
    this.producerId = producerId;
    this.producerEpoch = producerEpoch;
    this.partitions.clear();
  }

  private seq(topic: string, partition: number): PartitionSequences {
    const key = `${topic}\u0000${partition}`;
    let s = this.partitions.get(key);
    if (s === undefined) {
      s = { nextSequence: 0, lastAckedSequence: -1, inFlight: [] };
      this.partitions.set(key, s);
    }
    return s;
  }

  /** The next sequence the partition's next new batch gets (for tests and the viz). */
  nextSequence(topic: string, partition: number): number {
    return this.seq(topic, partition).nextSequence;
  }

  lastAckedSequence(topic: string, partition: number): number {
    return this.seq(topic, partition).lastAckedSequence;
  }

  /** TransactionManager.firstInFlightSequence, or -1. */
  firstInFlightSequence(topic: string, partition: number): number {
    return this.seq(topic, partition).inFlight[0]?.baseSequence ?? -1;
  }

  /** Whether the sender may take this batch, the first of its partition's queue, now. */
  mayDrain(first: ProducerBatch): boolean {
    if (!this.hasProducerId || this.epochBumpRequired) return false;
    const s = this.seq(first.topic, first.partition);
    if (first.baseSequence < 0) {
      // A new batch: not while batches of an older epoch of this partition are in flight.
      return !s.inFlight.some((b) => b.producerEpoch !== this.producerEpoch);
    }
    const firstInFlight = s.inFlight[0]?.baseSequence ?? -1;
    return firstInFlight < 0 || first.baseSequence === firstInFlight;
  }

  /** The batch is being sent: give it a sequence if it has none, and track it in flight. */
  onDrain(batch: ProducerBatch): void {
    assert(this.hasProducerId, "draining an idempotent batch without a producer id");
    const s = this.seq(batch.topic, batch.partition);
    if (batch.baseSequence < 0) {
      batch.producerId = this.producerId;
      batch.producerEpoch = this.producerEpoch;
      batch.baseSequence = s.nextSequence;
      s.nextSequence = wrapSequence(s.nextSequence + batch.records.length);
    }
    if (!s.inFlight.includes(batch)) {
      let i = s.inFlight.length;
      while (i > 0 && s.inFlight[i - 1]!.baseSequence > batch.baseSequence) i--;
      s.inFlight.splice(i, 0, batch);
    }
  }

  /** The batch was acknowledged. */
  onAcked(batch: ProducerBatch): void {
    const s = this.seq(batch.topic, batch.partition);
    this.removeInFlight(s, batch);
    if (batch.producerEpoch !== this.producerEpoch) return;
    const last = wrapSequence(batch.baseSequence + batch.records.length - 1);
    if (last > s.lastAckedSequence || s.lastAckedSequence === -1) s.lastAckedSequence = last;
  }

  /** The batch failed for good (or expired): the partition's sequence is no longer trustworthy. */
  onFailed(batch: ProducerBatch): void {
    const s = this.seq(batch.topic, batch.partition);
    this.removeInFlight(s, batch);
    if (batch.baseSequence >= 0 && batch.producerEpoch === this.producerEpoch) {
      this.epochBumpRequired = true;
    }
  }

  private removeInFlight(s: PartitionSequences, batch: ProducerBatch): void {
    const i = s.inFlight.indexOf(batch);
    if (i >= 0) s.inFlight.splice(i, 1);
  }

  /**
   * TransactionManager.canRetry for an idempotent producer: OUT_OF_ORDER_SEQUENCE_NUMBER is
   * retried when the batch is not the next the broker expects (an earlier one is being retried).
   */
  canRetryOutOfOrder(batch: ProducerBatch): boolean {
    const s = this.seq(batch.topic, batch.partition);
    return batch.baseSequence !== wrapSequence(s.lastAckedSequence + 1);
  }

  /**
   * True when a bump is due and no produce request of the producer is outstanding
   * (`outstandingRequests`, from the sender): the batches with sequences then all wait in the
   * accumulator, so renumbering them cannot race an answer.
   */
  canBumpNow(outstandingRequests: number): boolean {
    return this.epochBumpRequired && outstandingRequests === 0;
  }

  /** Whether the epoch is exhausted (a new producer id is needed instead of a bump). */
  get epochExhausted(): boolean {
    return this.producerEpoch >= SHORT_MAX;
  }

  /**
   * KIP-360's local bump: epoch + 1, sequences restart at 0, and the queued batches that had a
   * sequence (in queue order, partition by partition) get new ones under the new epoch.
   */
  bumpEpoch(queued: Iterable<ProducerBatch>): void {
    assert(this.epochBumpRequired, "bumping the epoch without a reason");
    assert(!this.epochExhausted, "the epoch is exhausted: a new producer id is needed");
    this.producerEpoch++;
    this.epochBumpRequired = false;
    this.partitions.clear();
    this.resequence(queued);
  }

  /** After a new producer id (InitProducerId again): renumber what waits. */
  resequence(queued: Iterable<ProducerBatch>): void {
    for (const batch of queued) {
      if (batch.baseSequence < 0) continue;
      const s = this.seq(batch.topic, batch.partition);
      batch.producerId = this.producerId;
      batch.producerEpoch = this.producerEpoch;
      batch.baseSequence = s.nextSequence;
      s.nextSequence = wrapSequence(s.nextSequence + batch.records.length);
    }
  }

  /** Errors that end an idempotent batch for good even though they are retriable elsewhere. */
  static isFatalForBatch(error: KafkaError): boolean {
    return error === "INVALID_PRODUCER_EPOCH" || error === "PRODUCER_FENCED";
  }
}

function wrapSequence(seq: number): number {
  return seq > INT_MAX ? seq - INT_MAX - 1 : seq;
}
