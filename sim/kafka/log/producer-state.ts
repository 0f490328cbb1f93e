/**
 * Idempotent-producer state of one partition replica (Kafka's ProducerStateManager,
 * ProducerStateEntry and ProducerAppendInfo, reference §4): per producer id, the current producer
 * epoch and the metadata of its last 5 batches (first and last sequence, first and last offset).
 *
 * Models, for client appends on the leader (`check`), in Kafka's order
 * (UnifiedLog.analyzeAndValidateProducerState, then ProducerAppendInfo.checkProducerEpoch and
 * checkSequence):
 * - a duplicate: same epoch and exactly the same [firstSeq, lastSeq] as one of the 5 cached batches
 *   → not appended, answered with the original batch's offsets;
 * - a stale epoch (below the producer's current one) → INVALID_PRODUCER_EPOCH (2.7+, KIP-588);
 * - a new epoch must start at sequence 0, unless the producer had no epoch here yet → else
 *   OUT_OF_ORDER_SEQUENCE_NUMBER;
 * - the same epoch: firstSeq must be lastSeq + 1 (wrapping after Integer.MAX_VALUE to 0) → else
 *   OUT_OF_ORDER_SEQUENCE_NUMBER. A producer id the replica has no state for is accepted with any
 *   sequence (Kafka does the same once retention removed a producer's batches).
 * Every appended batch with a producer id (leader or follower) updates the state (`onAppend`), as
 * Kafka's followers rebuild the same state from what they replicate. A transaction marker (control
 * batch) carries the producer's epoch too: a newer one bumps the producer's epoch here and forgets
 * its batches (ProducerAppendInfo.appendEndTxnMarker → maybeUpdateProducerEpoch), which is how the
 * ABORT written when a zombie is fenced makes its later produces fail with INVALID_PRODUCER_EPOCH
 * (S16); a marker from an older epoch is refused (`checkMarker`).
 *
 * Rebuilding: after a truncation the state is rebuilt from the batches left in the log, as Kafka
 * reloads from the snapshot below the truncation point and replays the segments after it.
 * Producers that have no batch left in the log but whose state came from below the truncation
 * point (their batches went with retention) keep that state, as Kafka's snapshot keeps them.
 * A full truncation (truncateFullyAndStartAt) clears everything, as Kafka's does.
 *
 * Simplifies: no snapshot files (the state is kept with the log, which lives across a process crash
 * in this model as the page cache does; after a power loss the log is truncated, and that rebuilds
 * the state); transactions themselves (open ones, the first unstable offset) are in txn-index.ts;
 * no expiry by producer.id.expiration.ms; coordinator epochs are not tracked.
 *
 * Faults: none of its own; truncation by the replica's log (power loss, divergence) rebuilds it.
 */
import { assert } from "../../engine/assert.ts";
import type { KafkaError, RecordBatch } from "../types.ts";

/** ProducerStateEntry.NUM_BATCHES_TO_RETAIN: the broker remembers this many batches per producer. */
export const NUM_BATCHES_TO_RETAIN = 5;

const INT_MAX = 2147483647;

/** One remembered batch (Kafka's BatchMetadata). */
export interface BatchMetadata {
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly firstOffset: number;
  readonly lastOffset: number;
}

/** What the broker knows of one producer id on this partition. */
export interface ProducerEntry {
  readonly producerId: number;
  producerEpoch: number;
  /** Oldest first, at most NUM_BATCHES_TO_RETAIN. */
  readonly batches: BatchMetadata[];
}

/** The verdict on a client batch before the leader appends it. */
export type ProducerCheck =
  | { readonly kind: "append" }
  | { readonly kind: "duplicate"; readonly firstOffset: number; readonly lastOffset: number }
  | { readonly kind: "error"; readonly error: KafkaError; readonly reason: string };

type SequencedBatch = Pick<RecordBatch, "producerId" | "producerEpoch" | "baseSequence" | "count">;

/** The last sequence of a batch: base + count − 1, wrapping after Integer.MAX_VALUE to 0. */
export function lastSequenceOf(baseSequence: number, count: number): number {
  const last = baseSequence + count - 1;
  return last > INT_MAX ? last - INT_MAX - 1 : last;
}

/** ProducerAppendInfo.inSequence: next follows last, wrapping after Integer.MAX_VALUE. */
export function inSequence(lastSeq: number, nextSeq: number): boolean {
  return nextSeq === lastSeq + 1 || (nextSeq === 0 && lastSeq === INT_MAX);
}

/** True when the batch carries a producer id and sequence (an idempotent or transactional write). */
export function hasProducerId(batch: Pick<RecordBatch, "producerId" | "baseSequence">): boolean {
  return batch.producerId >= 0 && batch.baseSequence >= 0;
}

export class ProducerStateManager {
  private readonly producers = new Map<number, ProducerEntry>();

  /** The entry for a producer id (read-only for callers; tests and snapshots). */
  entry(producerId: number): Readonly<ProducerEntry> | undefined {
    return this.producers.get(producerId);
  }

  /** Producer ids with state here, ascending. */
  producerIds(): number[] {
    return [...this.producers.keys()].sort((a, b) => a - b);
  }

  get size(): number {
    return this.producers.size;
  }

  /**
   * The leader's checks on a client batch. `staleEpochError` is the profile's error for a fenced
   * epoch: INVALID_PRODUCER_EPOCH from 2.7 (KIP-588), PRODUCER_FENCED before.
   */
  check(
    batch: SequencedBatch,
    staleEpochError: KafkaError = "INVALID_PRODUCER_EPOCH",
  ): ProducerCheck {
    if (!hasProducerId(batch)) return { kind: "append" };
    const entry = this.producers.get(batch.producerId);
    if (entry === undefined) return { kind: "append" };
    const firstSeq = batch.baseSequence;
    const lastSeq = lastSequenceOf(firstSeq, batch.count);
    if (batch.producerEpoch === entry.producerEpoch) {
      for (const b of entry.batches) {
        if (b.firstSeq === firstSeq && b.lastSeq === lastSeq) {
          return { kind: "duplicate", firstOffset: b.firstOffset, lastOffset: b.lastOffset };
        }
      }
    }
    if (batch.producerEpoch < entry.producerEpoch) {
      return {
        kind: "error",
        error: staleEpochError,
        reason: `epoch ${batch.producerEpoch} is older than the current epoch ${entry.producerEpoch}`,
      };
    }
    if (batch.producerEpoch !== entry.producerEpoch) {
      if (firstSeq !== 0 && entry.producerEpoch >= 0) {
        return {
          kind: "error",
          error: "OUT_OF_ORDER_SEQUENCE_NUMBER",
          reason: `a new epoch ${batch.producerEpoch} must start at sequence 0, not ${firstSeq}`,
        };
      }
      return { kind: "append" };
    }
    const last = entry.batches[entry.batches.length - 1];
    if (last === undefined || inSequence(last.lastSeq, firstSeq)) return { kind: "append" };
    return {
      kind: "error",
      error: "OUT_OF_ORDER_SEQUENCE_NUMBER",
      reason: `sequence ${firstSeq} does not follow ${last.lastSeq} (epoch ${entry.producerEpoch})`,
    };
  }

  /**
   * The leader's check on a transaction marker before appending it (checkProducerEpoch for the
   * coordinator's append): an epoch below the producer's current one is refused.
   */
  checkMarker(producerId: number, producerEpoch: number): ProducerCheck {
    const entry = this.producers.get(producerId);
    if (entry === undefined || producerEpoch >= entry.producerEpoch) return { kind: "append" };
    return {
      kind: "error",
      error: "INVALID_PRODUCER_EPOCH",
      reason: `marker epoch ${producerEpoch} is older than the current epoch ${entry.producerEpoch}`,
    };
  }

  /** A batch entered the log (leader or follower append): remember it. */
  onAppend(batch: RecordBatch): void {
    if (batch.isControl) {
      if (batch.producerId >= 0) this.onMarker(batch);
      return;
    }
    if (!hasProducerId(batch)) return;
    let entry = this.producers.get(batch.producerId);
    if (entry === undefined) {
      entry = { producerId: batch.producerId, producerEpoch: batch.producerEpoch, batches: [] };
      this.producers.set(batch.producerId, entry);
    }
    if (batch.producerEpoch !== entry.producerEpoch) {
      // A new epoch starts a new sequence space: the old epoch's batches cannot be duplicates.
      // (The leader never appends an older epoch; a follower copying one takes it as it comes,
      // as Kafka's ProducerStateEntry.maybeUpdateProducerEpoch does for replicated batches.)
      entry.producerEpoch = batch.producerEpoch;
      entry.batches.length = 0;
    }
    entry.batches.push({
      firstSeq: batch.baseSequence,
      lastSeq: lastSequenceOf(batch.baseSequence, batch.count),
      firstOffset: batch.baseOffset,
      lastOffset: batch.baseOffset + batch.count - 1,
    });
    if (entry.batches.length > NUM_BATCHES_TO_RETAIN) entry.batches.shift();
    assert(entry.batches.length <= NUM_BATCHES_TO_RETAIN, "at most 5 batches per producer");
  }

  /** A marker's epoch becomes the producer's; a newer one starts a new sequence space. */
  private onMarker(batch: RecordBatch): void {
    const entry = this.producers.get(batch.producerId);
    if (entry === undefined) {
      this.producers.set(batch.producerId, {
        producerId: batch.producerId,
        producerEpoch: batch.producerEpoch,
        batches: [],
      });
      return;
    }
    // A follower takes an older epoch as it comes (replication does not check); the leader never
    // appends one (checkMarker).
    if (batch.producerEpoch !== entry.producerEpoch) {
      entry.producerEpoch = batch.producerEpoch;
      entry.batches.length = 0;
    }
  }

  /**
   * After a truncation to `offset`: rebuild from the batches left in the log (in offset order).
   * Producers with no batch left keep their state if it came wholly from below `offset` (Kafka's
   * snapshot below the truncation point holds them).
   */
  rebuild(offset: number, forEachBatch: (fn: (batch: RecordBatch) => void) => void): void {
    // No state means no batch with a producer id is in the log: nothing to scan for.
    if (this.producers.size === 0) return;
    const old = new Map(this.producers);
    this.producers.clear();
    forEachBatch((batch) => this.onAppend(batch));
    for (const id of [...old.keys()].sort((a, b) => a - b)) {
      if (this.producers.has(id)) continue;
      const entry = old.get(id)!;
      const kept = entry.batches.filter((b) => b.lastOffset < offset);
      if (kept.length === 0) continue;
      this.producers.set(id, {
        producerId: id,
        producerEpoch: entry.producerEpoch,
        batches: kept.map((b) => ({ ...b })),
      });
    }
  }

  /** A full truncation: nothing is known any more. */
  clear(): void {
    this.producers.clear();
  }
}
