/**
 * What a partition leader returns to a Fetch under each `isolation.level` (reference §5 "LSO and
 * isolation"), as a pure function over the log's batches and its TxnIndex:
 * - read_uncommitted: whole batches below the HW (Kafka's FetchHighWatermark bound);
 * - read_committed: whole batches below the LSO (FetchTxnCommitted), plus the aborted transactions
 *   that overlap the returned range (UnifiedLog.collectAbortedTransactions, upper bound = the offset
 *   of the first batch after the returned ones, else the end of the last one returned).
 * The response also carries the HW and the LSO, as FetchResponse's partition data does.
 *
 * Simplifies: `maxBatches` stands in for fetch.max.bytes / max.partition.fetch.bytes (the broker's
 * first-batch-always rule is kept: at least one batch when any is below the bound); no segments, so
 * the upper bound is the next batch's base offset rather than the next segment's or the LEO.
 *
 * Faults: none; it reads what the log and the index hold.
 */
import { assert } from "../../engine/assert.ts";
import { type TxnBatch, txnBatchEnd } from "./txn-batch.ts";
import type { TxnIndex } from "./txn-index.ts";

/** ConsumerConfig isolation.level. */
export type IsolationLevel = "read_uncommitted" | "read_committed";

/** FetchResponse's AbortedTransaction: what the consumer needs of an AbortedTxn. */
export interface FetchAbortedTxn {
  readonly producerId: number;
  readonly firstOffset: number;
}

export interface TxnFetchResult<B extends TxnBatch> {
  readonly batches: readonly B[];
  readonly highWatermark: number;
  readonly lastStableOffset: number;
  /** read_committed only (Kafka sends null for read_uncommitted). */
  readonly abortedTransactions: readonly FetchAbortedTxn[] | undefined;
}

/**
 * A fetch from `fetchOffset` on a log whose batches are `log` (ascending), HW `hw`. `maxBatches`
 * limits the answer's size (≥ 1).
 */
export function fetchWithIsolation<B extends TxnBatch>(
  log: readonly B[],
  index: TxnIndex,
  fetchOffset: number,
  hw: number,
  isolation: IsolationLevel,
  maxBatches = Number.POSITIVE_INFINITY,
): TxnFetchResult<B> {
  assert(maxBatches >= 1, "a fetch returns at least one batch when there is one");
  const lso = index.lastStableOffset(hw);
  const bound = isolation === "read_committed" ? lso : hw;
  const batches: B[] = [];
  let next: B | undefined;
  for (const b of log) {
    if (txnBatchEnd(b) <= fetchOffset) continue;
    if (txnBatchEnd(b) > bound || batches.length >= maxBatches) {
      next = b;
      break;
    }
    batches.push(b);
  }
  let aborted: FetchAbortedTxn[] | undefined;
  if (isolation === "read_committed") {
    aborted = [];
    const last = batches[batches.length - 1];
    if (last !== undefined) {
      const upperBound = next?.baseOffset ?? txnBatchEnd(last);
      aborted = index
        .collectAbortedTransactions(fetchOffset, upperBound)
        .map(({ producerId, firstOffset }) => ({ producerId, firstOffset }));
    }
  }
  return { batches, highWatermark: hw, lastStableOffset: lso, abortedTransactions: aborted };
}
