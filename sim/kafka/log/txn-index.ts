/**
 * The transaction bookkeeping of one partition replica (reference §5 "LSO and isolation"): Kafka's
 * ProducerStateManager transaction part (ongoingTxns, unreplicatedTxns, firstUnstableOffset) and
 * the aborted-transaction index (TransactionIndex, one AbortedTxn entry per ABORT marker, which the
 * `.txnindex` files hold).
 *
 * Models:
 * - A transactional data batch of a producer id with no open transaction here opens one at its base
 *   offset. A control batch (COMMIT or ABORT marker) completes the producer's transaction: first
 *   offset = the open transaction's first offset (the marker's own offset when none is open, as
 *   Kafka's ProducerAppendInfo.appendEndTxnMarker does), last offset = the marker's offset.
 * - An ABORT adds an AbortedTxn (producerId, firstOffset, lastOffset, lastStableOffset), where
 *   lastStableOffset is Kafka's `lastStableOffset(completedTxn)`: the first offset of the earliest
 *   transaction of another producer still open at that moment, else the marker's offset + 1.
 * - A completed transaction stays "unstable" until the HW passes its marker (unreplicatedTxns,
 *   `onHighWatermarkUpdated`). firstUnstableOffset = the earliest first offset of an open or
 *   unreplicated transaction, raised to the log start (UnifiedLog.maybeIncrementFirstUnstableOffset);
 *   LSO = min(HW, firstUnstableOffset) (UnifiedLog.lastStableOffset).
 * - collectAbortedTransactions(start, upperBound): the aborted entries with lastOffset ≥ start and
 *   firstOffset < upperBound, scanning in marker order and stopping after an entry whose
 *   lastStableOffset ≥ upperBound (TransactionIndex.collectAbortedTxns, which makes it complete).
 * - Truncation (follower divergence, power loss): markers at or above the point go; a transaction
 *   whose marker went but whose first offset stays is open again; transactions that start at or above
 *   the point go. This is what Kafka gets by reloading the producer-state snapshot and replaying the
 *   log, and equals `rebuild` from the batches left (a property test checks it).
 * - Log start moves (retention, DeleteRecords): entries whose marker is below the new start go. An
 *   open transaction that started below it stays open and pins the LSO at the log start (a hanging
 *   transaction: only a marker, e.g. from kafka-transactions.sh abort, ends it).
 *
 * Simplifies: one index for the whole log instead of one `.txnindex` per segment (the scan gives the
 * same answer; entries go when the log start passes their marker, not when their segment is
 * deleted); no snapshot files (state is kept with the log, or rebuilt from its batches); no
 * producer-id expiry; the partition-leader checks on transactional appends (InvalidTxnState,
 * KIP-890 verification) are not here: the index records what the log holds.
 *
 * Faults: none of its own; the log's truncations and log start moves drive it.
 */
import { assert, assertSafeInt } from "../../engine/assert.ts";
import { controlTypeOf, type TxnBatch, txnBatchEnd, txnBatchLast } from "./txn-batch.ts";

/** An open transaction of one producer on this partition (Kafka's TxnMetadata). */
export interface OngoingTxn {
  readonly producerId: number;
  readonly firstOffset: number;
}

/** A transaction ended by a marker (Kafka's CompletedTxn). */
export interface CompletedTxn {
  readonly producerId: number;
  readonly firstOffset: number;
  /** The marker's offset. */
  readonly lastOffset: number;
  readonly isAborted: boolean;
}

/** One entry of the aborted-transaction index (Kafka's AbortedTxn). */
export interface AbortedTxn {
  readonly producerId: number;
  readonly firstOffset: number;
  /** The ABORT marker's offset. */
  readonly lastOffset: number;
  /** The LSO right after the marker was written, ignoring the HW (see the header). */
  readonly lastStableOffset: number;
}

/** Plain-data view for tests, checkpoints and the viz. */
export interface TxnIndexSnapshot {
  readonly logStartOffset: number;
  readonly endOffset: number;
  /** Sorted by first offset. */
  readonly ongoing: readonly OngoingTxn[];
  /** In marker order. */
  readonly completed: readonly CompletedTxn[];
  /** In marker order. */
  readonly aborted: readonly AbortedTxn[];
}

export class TxnIndex {
  private logStart: number;
  /** The offset after the last batch seen (the LEO as far as this index knows). */
  private end: number;
  /** The HW last reported by `onHighWatermarkUpdated`: markers below it are replicated. */
  private hwSeen: number;
  private readonly ongoing = new Map<number, OngoingTxn>();
  /** Every completed transaction whose marker is at or above the log start, in marker order. */
  private completed: CompletedTxn[] = [];
  /** The aborted ones among `completed`, with their lastStableOffset, in marker order. */
  private aborted: AbortedTxn[] = [];

  constructor(logStartOffset = 0) {
    assertSafeInt(logStartOffset, "log start offset");
    this.logStart = logStartOffset;
    this.end = logStartOffset;
    this.hwSeen = logStartOffset;
  }

  /** State reload after a restart: the index the given batches (ascending) produce. */
  static fromBatches(batches: Iterable<TxnBatch>, logStartOffset = 0): TxnIndex {
    const index = new TxnIndex(logStartOffset);
    index.rebuild(batches, logStartOffset);
    return index;
  }

  get logStartOffset(): number {
    return this.logStart;
  }

  get endOffset(): number {
    return this.end;
  }

  /** A batch entered the log (leader or follower). Returns the transaction it completed, if any. */
  onAppend(batch: TxnBatch): CompletedTxn | undefined {
    assertSafeInt(batch.baseOffset, "batch base offset");
    assert(batch.count >= 1, () => `batch at ${batch.baseOffset} takes no offset`);
    assert(
      batch.baseOffset >= this.end,
      () => `txn index: batch at ${batch.baseOffset} is below the end offset ${this.end}`,
    );
    this.end = txnBatchEnd(batch);
    if (batch.producerId < 0) return undefined;
    if (batch.isControl) return this.completeTxn(batch);
    if (batch.isTransactional && !this.ongoing.has(batch.producerId)) {
      this.ongoing.set(batch.producerId, {
        producerId: batch.producerId,
        firstOffset: batch.baseOffset,
      });
    }
    return undefined;
  }

  /** The HW moved: transactions whose marker is below it are no longer unstable. */
  onHighWatermarkUpdated(hw: number): void {
    assertSafeInt(hw, "high watermark");
    this.hwSeen = Math.max(this.hwSeen, hw);
  }

  /**
   * The earliest offset of a transaction still open, or completed with its marker at or above the
   * last reported HW; raised to the log start. Undefined when there is none.
   */
  firstUnstableOffset(): number | undefined {
    return this.firstUnstableAt(this.hwSeen);
  }

  /** The earliest first offset of an open transaction (Kafka's firstUndecidedOffset), unclamped. */
  firstUndecidedOffset(): number | undefined {
    let first: number | undefined;
    for (const t of this.ongoing.values()) {
      if (first === undefined || t.firstOffset < first) first = t.firstOffset;
    }
    return first;
  }

  /**
   * UnifiedLog.lastStableOffset for a HW of `hw`: min(hw, first unstable offset), where markers at or
   * above `hw` count as unreplicated (what Kafka has once onHighWatermarkUpdated(hw) ran).
   */
  lastStableOffset(hw: number): number {
    assertSafeInt(hw, "high watermark");
    const unstable = this.firstUnstableAt(hw);
    const lso = unstable !== undefined && unstable < hw ? unstable : hw;
    assert(lso <= hw, () => `LSO ${lso} above HW ${hw}`);
    assert(
      unstable === undefined || lso <= unstable,
      () => `LSO ${lso} above the first unstable offset ${unstable}`,
    );
    return lso;
  }

  /**
   * The fetch response's aborted transactions for data in [startOffset, upperBoundOffset):
   * UnifiedLog.collectAbortedTransactions over the index, in marker order.
   */
  collectAbortedTransactions(startOffset: number, upperBoundOffset: number): AbortedTxn[] {
    assert(
      startOffset <= upperBoundOffset,
      () => `aborted txns: start ${startOffset} above upper bound ${upperBoundOffset}`,
    );
    const out: AbortedTxn[] = [];
    for (const a of this.aborted) {
      if (a.lastOffset >= startOffset && a.firstOffset < upperBoundOffset) out.push(a);
      // Every later entry completed after this one, when nothing below the bound was open.
      if (a.lastStableOffset >= upperBoundOffset) break;
    }
    return out;
  }

  /** Open transactions, by first offset (ties by producer id). */
  ongoingTxns(): OngoingTxn[] {
    return [...this.ongoing.values()].sort(
      (a, b) => a.firstOffset - b.firstOffset || a.producerId - b.producerId,
    );
  }

  /** The open transaction of a producer, if any. */
  ongoingTxn(producerId: number): OngoingTxn | undefined {
    return this.ongoing.get(producerId);
  }

  abortedTxns(): readonly AbortedTxn[] {
    return this.aborted;
  }

  completedTxns(): readonly CompletedTxn[] {
    return this.completed;
  }

  /** Truncation to `offset` (LEO becomes `offset`): markers above go, their transactions reopen. */
  truncateTo(offset: number): void {
    assertSafeInt(offset, "truncation offset");
    assert(offset >= 0, () => `truncation to a negative offset ${offset}`);
    for (const t of this.ongoingTxns()) {
      if (t.firstOffset >= offset) this.ongoing.delete(t.producerId);
    }
    while (
      this.completed.length > 0 &&
      this.completed[this.completed.length - 1]!.lastOffset >= offset
    ) {
      const t = this.completed.pop()!;
      if (t.firstOffset >= offset) continue;
      assert(
        !this.ongoing.has(t.producerId),
        () => `producer ${t.producerId} has two open transactions after truncation to ${offset}`,
      );
      this.ongoing.set(t.producerId, { producerId: t.producerId, firstOffset: t.firstOffset });
    }
    while (this.aborted.length > 0 && this.aborted[this.aborted.length - 1]!.lastOffset >= offset) {
      this.aborted.pop();
    }
    this.end = Math.min(this.end, offset);
    this.hwSeen = Math.min(this.hwSeen, offset);
    this.logStart = Math.min(this.logStart, offset);
    this.checkInvariants();
  }

  /** truncateFullyAndStartAt: nothing is known any more; the log restarts at `offset`. */
  truncateFullyAndStartAt(offset: number): void {
    assertSafeInt(offset, "restart offset");
    this.ongoing.clear();
    this.completed = [];
    this.aborted = [];
    this.logStart = this.end = this.hwSeen = offset;
  }

  /** The log start moved up (retention, DeleteRecords): entries with a marker below it go. */
  onLogStartMove(logStartOffset: number): void {
    assertSafeInt(logStartOffset, "log start offset");
    assert(
      logStartOffset >= this.logStart,
      () => `log start moves back from ${this.logStart} to ${logStartOffset}`,
    );
    assert(
      logStartOffset <= this.end,
      () => `log start ${logStartOffset} past the end offset ${this.end}`,
    );
    this.logStart = logStartOffset;
    this.hwSeen = Math.max(this.hwSeen, logStartOffset);
    this.completed = this.completed.filter((t) => t.lastOffset >= logStartOffset);
    this.aborted = this.aborted.filter((t) => t.lastOffset >= logStartOffset);
    this.checkInvariants();
  }

  /** Forget everything and replay `batches` (ascending), as a reload from the log does. */
  rebuild(batches: Iterable<TxnBatch>, logStartOffset: number): void {
    this.truncateFullyAndStartAt(logStartOffset);
    let first = true;
    for (const b of batches) {
      // The first batch may begin below the log start (DeleteRecords inside a batch).
      if (first) this.end = Math.min(this.end, b.baseOffset);
      first = false;
      this.onAppend(b);
    }
    this.end = Math.max(this.end, logStartOffset);
    this.onLogStartMove(logStartOffset);
  }

  snapshot(): TxnIndexSnapshot {
    return {
      logStartOffset: this.logStart,
      endOffset: this.end,
      ongoing: this.ongoingTxns(),
      completed: this.completed.map((t) => ({ ...t })),
      aborted: this.aborted.map((t) => ({ ...t })),
    };
  }

  /** Cheap invariants, after each truncation and log start move. */
  checkInvariants(): void {
    assert(this.logStart <= this.end, () => `log start ${this.logStart} above end ${this.end}`);
    const lastCompleted = this.completed[this.completed.length - 1];
    assert(
      lastCompleted === undefined || lastCompleted.lastOffset < this.end,
      "a marker at or above the end offset",
    );
    const lastAborted = this.aborted[this.aborted.length - 1];
    assert(
      lastAborted === undefined || lastAborted.lastOffset < this.end,
      "an aborted entry at or above the end offset",
    );
  }

  /** Every invariant, O(size): for tests and end-of-run validation. */
  validate(): void {
    this.checkInvariants();
    const lastMarker = new Map<number, number>();
    let prev = -1;
    for (const t of this.completed) {
      assert(t.firstOffset <= t.lastOffset, () => `completed txn ${fmt(t)}: first above last`);
      assert(t.lastOffset > prev, () => `completed txn ${fmt(t)} out of marker order`);
      assert(t.lastOffset >= this.logStart, () => `completed txn ${fmt(t)} below the log start`);
      const before = lastMarker.get(t.producerId);
      assert(
        before === undefined || t.firstOffset > before,
        () => `completed txn ${fmt(t)} overlaps the producer's previous one`,
      );
      lastMarker.set(t.producerId, t.lastOffset);
      prev = t.lastOffset;
    }
    prev = -1;
    for (const a of this.aborted) {
      assert(a.lastOffset > prev, () => `aborted txn ${fmt(a)} out of order`);
      assert(a.firstOffset <= a.lastOffset, () => `aborted txn ${fmt(a)}: first above last`);
      assert(
        a.lastStableOffset <= a.lastOffset + 1,
        () => `aborted txn ${fmt(a)}: lastStableOffset past its marker`,
      );
      prev = a.lastOffset;
    }
    const abortedCompleted = this.completed.filter((t) => t.isAborted).length;
    assert(abortedCompleted === this.aborted.length, "aborted index out of step with completions");
    const unstable = this.firstUnstableOffset();
    for (const t of this.ongoing.values()) {
      assert(t.firstOffset < this.end, () => `open txn ${fmt(t)} starts at or above the end`);
      const marker = lastMarker.get(t.producerId);
      assert(
        marker === undefined || t.firstOffset > marker,
        () => `open txn ${fmt(t)} starts before the producer's last marker ${marker}`,
      );
      assert(
        unstable !== undefined && unstable <= Math.max(this.logStart, t.firstOffset),
        () => `first unstable offset ${unstable} above open txn ${fmt(t)}`,
      );
    }
  }

  private completeTxn(marker: TxnBatch): CompletedTxn {
    const type = controlTypeOf(marker);
    const markerOffset = txnBatchLast(marker);
    const open = this.ongoing.get(marker.producerId);
    const txn: CompletedTxn = {
      producerId: marker.producerId,
      firstOffset: open?.firstOffset ?? markerOffset,
      lastOffset: markerOffset,
      isAborted: type === "ABORT",
    };
    const lastStableOffset = this.lastStableOffsetAfter(txn);
    this.ongoing.delete(marker.producerId);
    this.completed.push(txn);
    if (txn.isAborted) {
      const { producerId, firstOffset, lastOffset } = txn;
      this.aborted.push({ producerId, firstOffset, lastOffset, lastStableOffset });
    }
    return txn;
  }

  /** ProducerStateManager.lastStableOffset(completedTxn): the AbortedTxn's lastStableOffset. */
  private lastStableOffsetAfter(txn: CompletedTxn): number {
    let first: number | undefined;
    for (const t of this.ongoing.values()) {
      if (t.producerId === txn.producerId) continue;
      if (first === undefined || t.firstOffset < first) first = t.firstOffset;
    }
    return first ?? txn.lastOffset + 1;
  }

  /** First unstable offset when markers below `hw` count as replicated. */
  private firstUnstableAt(hw: number): number | undefined {
    let first = this.firstUndecidedOffset();
    // Markers are in offset order: the unreplicated ones are a suffix.
    for (let i = this.completed.length - 1; i >= 0; i--) {
      const t = this.completed[i]!;
      if (t.lastOffset < hw) break;
      if (first === undefined || t.firstOffset < first) first = t.firstOffset;
    }
    return first === undefined ? undefined : Math.max(first, this.logStart);
  }
}

function fmt(t: { producerId: number; firstOffset: number; lastOffset?: number }): string {
  const last = t.lastOffset === undefined ? "open" : String(t.lastOffset);
  return `(producer ${t.producerId}, ${t.firstOffset}..${last})`;
}
