/**
 * The consumer's side of transactions (reference §5): which records of a fetched partition response
 * reach the application, as Kafka's consumer decides it (CompletedFetch.nextFetchedRecord, formerly
 * Fetcher.PartitionRecords), as a pure function.
 *
 * Kafka's algorithm, for read_committed:
 * - the response's aborted transactions go into a queue ordered by first offset;
 * - before each batch that has a producer id, every queued entry whose first offset is at or below
 *   the batch's last offset is taken out and its producer id marked aborted;
 * - an ABORT marker of a producer clears its mark (its aborted transaction ends there);
 * - a transactional batch of a marked producer is skipped whole (position moves past it);
 * - control batches are never returned (position moves past them), under either isolation level.
 * Records below the fetch position are skipped (a returned batch may start before it); after the
 * last batch the position is that batch's end (nextOffset). The bound
 * (HW or LSO) is the broker's job (txn-fetch.ts); the consumer takes what it is given.
 *
 * Simplifies: records are offsets plus their batch (no keys, values or headers here); no CRC checks.
 * It lives under kafka/log/ beside the index it mirrors; the client layer may import it.
 *
 * Faults: none.
 */
import { assert } from "../../engine/assert.ts";
import {
  batchHasProducerId,
  controlTypeOf,
  type TxnBatch,
  txnBatchEnd,
  txnBatchLast,
  txnBatchOffsets,
} from "./txn-batch.ts";
import type { FetchAbortedTxn, IsolationLevel } from "./txn-fetch.ts";

/** One record handed to the application. */
export interface DeliveredRecord<B extends TxnBatch> {
  readonly offset: number;
  readonly batch: B;
}

export interface ConsumedFetch<B extends TxnBatch> {
  readonly records: readonly DeliveredRecord<B>[];
  /** The consumer's position after this response (past skipped batches too). */
  readonly nextFetchOffset: number;
  /** Transactional batches dropped as aborted (read_committed only). */
  readonly abortedBatches: readonly B[];
  readonly controlBatches: readonly B[];
}

/**
 * What `poll` hands out of one partition response: `batches` ascending as fetched from
 * `fetchOffset`, `aborted` the response's aborted transactions (read_committed).
 */
export function consumeFetchedBatches<B extends TxnBatch>(
  batches: readonly B[],
  aborted: readonly FetchAbortedTxn[] | undefined,
  isolation: IsolationLevel,
  fetchOffset: number,
): ConsumedFetch<B> {
  const queue = [...(aborted ?? [])].sort(
    (a, b) => a.firstOffset - b.firstOffset || a.producerId - b.producerId,
  );
  let head = 0;
  const abortedProducerIds = new Set<number>();
  const records: DeliveredRecord<B>[] = [];
  const abortedBatches: B[] = [];
  const controlBatches: B[] = [];
  let next = fetchOffset;
  let prevEnd = Number.NEGATIVE_INFINITY;
  for (const batch of batches) {
    assert(batch.baseOffset >= prevEnd, () => `fetched batch at ${batch.baseOffset} out of order`);
    prevEnd = txnBatchEnd(batch);
    if (isolation === "read_committed" && batchHasProducerId(batch)) {
      // consumeAbortedTransactionsUpTo(batch.lastOffset)
      while (head < queue.length && queue[head]!.firstOffset <= txnBatchLast(batch)) {
        abortedProducerIds.add(queue[head]!.producerId);
        head++;
      }
      if (batch.isControl && controlTypeOf(batch) === "ABORT") {
        abortedProducerIds.delete(batch.producerId);
      } else if (batch.isTransactional && abortedProducerIds.has(batch.producerId)) {
        abortedBatches.push(batch);
        next = Math.max(next, txnBatchEnd(batch));
        continue;
      }
    }
    if (batch.isControl) {
      controlBatches.push(batch);
      next = Math.max(next, txnBatchEnd(batch));
      continue;
    }
    for (const offset of txnBatchOffsets(batch)) {
      if (offset < next) continue;
      records.push({ offset, batch });
      next = offset + 1;
    }
  }
  // v2 batches keep their last offset when compaction removed the last record: once the response is
  // used up, the position is the end of the last batch, so the same batch is not fetched again.
  const last = batches[batches.length - 1];
  if (last !== undefined) next = Math.max(next, txnBatchEnd(last));
  return { records, nextFetchOffset: next, abortedBatches, controlBatches };
}
