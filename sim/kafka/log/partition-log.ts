/**
 * The log of one partition replica (Kafka's `UnifiedLog` over `LocalLog`), as a pure data structure:
 * record batches in segments, the log start offset, the log end offset (LEO), the high watermark
 * (HW), the flushed offset (the recovery point of the power-loss model) and the leader-epoch cache.
 * The broker actor calls it and does the disk and page-cache IO through the host model; nothing here
 * schedules events or reads the clock (the caller passes `nowUs`).
 *
 * Rules it keeps (asserted after every change):
 * - logStart ≤ HW ≤ LEO, and 0 ≤ flushedOffset ≤ LEO. Truncation clamps: HW = min(HW, LEO),
 *   flushedOffset = min(flushedOffset, LEO), logStart = min(logStart, LEO).
 * - Offsets are contiguous, except for holes left by compaction (below `holesBelowOffset`), or
 *   copied from a compacted leader by a follower.
 * - Under the strict epoch rules (2.0+), batch leader epochs never decrease along the log.
 *
 * Simplified: batches are the unit (a truncation point must fall on a batch boundary:
 * `batchBoundaryAtOrBelow` rounds down the way Kafka's recovery drops a torn batch); a read returns
 * whole batches only, from one segment, as Kafka's `LogSegment.read` does; DeleteRecords moves the log
 * start at once but its segments go only at the next retention pass (retention.ts), as in Kafka; no
 * producer-state snapshot files. The idempotent-producer state (producer-state.ts) and the
 * transaction index (txn-index.ts: open transactions, aborted transactions, the LSO) are kept beside
 * the batches: every append updates them, a truncation rebuilds the first and cuts the second,
 * log-start moves and HW updates are passed on to the index, and `rebuildTxnIndex` replays the
 * batches as Kafka's log loading does after a restart.
 *
 * Faults it can suffer: a power loss (`losePowerTail`: everything after the flushed offset is lost,
 * down to a batch boundary); a process crash loses nothing here (the page cache survives).
 */
import { assert, assertSafeInt } from "../../engine/assert.ts";
import type { RecordBatch } from "../types.ts";
import {
  type EpochCacheRules,
  type EpochEndOffset,
  type EpochEntry,
  LeaderEpochCache,
} from "./leader-epoch-cache.ts";
import { ProducerStateManager } from "./producer-state.ts";
import {
  appendToSegment,
  batchEndOffset,
  batchRecordCount,
  firstBatchEndingAfter,
  forEachBatchOffset,
  newSegment,
  type RollReason,
  type Segment,
  segmentLargestTimestampUs,
  shouldRoll,
  truncateSegment,
} from "./segment.ts";
import { TxnIndex } from "./txn-index.ts";

export interface PartitionLogConfig {
  /** segment.bytes: roll when the next batch would not fit. Kafka default 1073741824 (1 GiB). */
  readonly segmentBytes: number;
  /** segment.ms: roll when record time runs this far past the segment's first batch. 7 days. */
  readonly segmentMs: number;
  /**
   * cleanup.policy includes "compact": compaction may run, and a follower accepts a batch whose base
   * offset is past its LEO (the leader's compaction removed the batches in between).
   */
  readonly compacted: boolean;
  /** Leader-epoch cache rules: "strict" for 2.0+, "lenient" for the hw and kip101 modes. */
  readonly epochRules: EpochCacheRules;
}

/** Kafka's LogConfig defaults (they move to the defaults file once it exists). */
export const DEFAULT_PARTITION_LOG_CONFIG: PartitionLogConfig = Object.freeze({
  segmentBytes: 1073741824,
  segmentMs: 604800000,
  compacted: false,
  epochRules: "strict",
});

/** A batch as the producer built it: the leader assigns the offsets and stamps its epoch. */
export type NewBatch = Omit<RecordBatch, "baseOffset" | "leaderEpoch">;

export interface AppendResult {
  readonly batch: RecordBatch;
  /**
   * Why the active segment rolled before this append, if it did. The broker flushes the old segment
   * when a segment rolls (Kafka's asynchronous "flush-log" task), so it needs to know.
   */
  readonly rolled: RollReason | undefined;
}

export interface ReadResult {
  readonly batches: readonly RecordBatch[];
  readonly bytes: number;
}

/** What the viz draws for a segment. */
export interface SegmentSnapshot {
  readonly baseOffset: number;
  /** After the last batch's span (the base offset if empty). */
  readonly endOffset: number;
  readonly bytes: number;
  readonly batchCount: number;
  readonly recordCount: number;
  readonly createdAtUs: number;
  readonly largestTimestampUs: number;
  readonly closed: boolean;
}

export interface DeletedSegments {
  readonly removed: readonly Segment[];
  /** The active segment was deleted too, so a new empty one was rolled first. */
  readonly rolled: boolean;
}

const EMPTY_READ: ReadResult = Object.freeze({ batches: Object.freeze([]), bytes: 0 });

export class PartitionLog {
  readonly epochCache: LeaderEpochCache;
  /** Idempotent producers' last batches (Kafka's ProducerStateManager), kept in step with the log. */
  readonly producerState = new ProducerStateManager();
  /** Open and aborted transactions (Kafka's ProducerStateManager txn part and `.txnindex`). */
  readonly txnIndex: TxnIndex;
  private cfg: PartitionLogConfig;
  private segs: Segment[];
  private leo: number;
  private hw: number;
  private logStart: number;
  private flushed: number;
  private totalBytes = 0;
  private totalRecords = 0;
  /** Gaps between batches are legal only below this offset (compaction). */
  private holesBelow: number;
  /** The leader epoch of the last batch in the log, -1 when there is none. */
  private lastBatchEpoch = -1;

  constructor(config: Partial<PartitionLogConfig> = {}, startOffset = 0, nowUs = 0) {
    assertSafeInt(startOffset, "log start offset");
    this.cfg = { ...DEFAULT_PARTITION_LOG_CONFIG, ...config };
    this.epochCache = new LeaderEpochCache(this.cfg.epochRules);
    this.txnIndex = new TxnIndex(startOffset);
    this.segs = [newSegment(startOffset, nowUs)];
    this.leo = startOffset;
    this.hw = startOffset;
    this.logStart = startOffset;
    this.flushed = startOffset;
    this.holesBelow = startOffset;
    this.checkInvariants();
  }

  get config(): PartitionLogConfig {
    return this.cfg;
  }
  get logEndOffset(): number {
    return this.leo;
  }
  get highWatermark(): number {
    return this.hw;
  }
  get logStartOffset(): number {
    return this.logStart;
  }
  /**
   * UnifiedLog.lastStableOffset: min(HW, first offset of the earliest transaction still open or
   * whose marker the HW has not passed). Equals the HW when no transaction is in flight.
   */
  get lastStableOffset(): number {
    return this.txnIndex.lastStableOffset(this.hw);
  }
  /** Offsets below this are on disk and survive a power loss. */
  get flushedOffset(): number {
    return this.flushed;
  }
  get sizeBytes(): number {
    return this.totalBytes;
  }
  /** Offsets present in the log (records and control batches), including any below the log start. */
  get recordCount(): number {
    return this.totalRecords;
  }
  get segmentCount(): number {
    return this.segs.length;
  }
  get holesBelowOffset(): number {
    return this.holesBelow;
  }
  get activeSegment(): Readonly<Segment> {
    return this.segs[this.segs.length - 1]!;
  }
  /** The live segments, oldest first. Read-only: retention and compaction change them through methods. */
  segmentList(): readonly Readonly<Segment>[] {
    return this.segs;
  }

  /** A dynamic topic-config change (kafka-configs --alter); applies to later appends. */
  setConfig(config: Partial<Omit<PartitionLogConfig, "epochRules">>): void {
    this.cfg = { ...this.cfg, ...config };
  }

  /** Small plain objects for drawing (not for the hot path). */
  segments(): SegmentSnapshot[] {
    return this.segs.map((s) => ({
      baseOffset: s.baseOffset,
      endOffset: lastBatchEnd(s) ?? s.baseOffset,
      bytes: s.bytes,
      batchCount: s.batches.length,
      recordCount: s.recordCount,
      createdAtUs: s.createdAtUs,
      largestTimestampUs: segmentLargestTimestampUs(s),
      closed: s.closed,
    }));
  }

  // ---- appends ----

  /**
   * Leader append: the batch gets baseOffset = LEO and the leader's epoch. The epoch must not be
   * older than any epoch the log knows (the controller only ever raises it).
   */
  append(batch: NewBatch, leaderEpoch: number, nowUs: number): AppendResult {
    assertSafeInt(leaderEpoch, "leader epoch");
    assert(leaderEpoch >= 0, () => `leader epoch ${leaderEpoch} < 0`);
    assert(
      leaderEpoch >= this.epochCache.latestEpoch() && leaderEpoch >= this.lastBatchEpoch,
      () =>
        `leader append with epoch ${leaderEpoch} below the log's epochs ${this.epochCache.text()}`,
    );
    assert(
      batch.offsets === undefined && batch.deleteHorizonUs === undefined,
      "a new batch cannot carry compaction fields",
    );
    return this.appendStored(stampBatch(batch, this.leo, leaderEpoch), nowUs);
  }

  /**
   * Follower append: keeps the leader's offsets and epoch. The batch starts at LEO, or past it on a
   * compacted topic (the leader's cleaner removed the batches in between).
   */
  appendAsFollower(batch: RecordBatch, nowUs: number): AppendResult {
    assertSafeInt(batch.baseOffset, "batch base offset");
    if (batch.baseOffset !== this.leo) {
      assert(
        batch.baseOffset > this.leo && this.cfg.compacted,
        () => `follower append at ${batch.baseOffset} but LEO is ${this.leo}`,
      );
      this.holesBelow = batch.baseOffset;
    }
    if (this.cfg.epochRules === "strict") {
      assert(
        batch.leaderEpoch >= this.lastBatchEpoch,
        () =>
          `follower append of epoch ${batch.leaderEpoch} after a batch of epoch ${this.lastBatchEpoch}`,
      );
    }
    return this.appendStored(batch, nowUs);
  }

  private appendStored(batch: RecordBatch, nowUs: number): AppendResult {
    assertSafeInt(nowUs, "append time");
    checkBatchShape(batch);
    const rolled = this.maybeRoll(nowUs, batch);
    appendToSegment(this.segs[this.segs.length - 1]!, batch, nowUs);
    this.leo = batchEndOffset(batch);
    this.totalBytes += batch.bytes;
    this.totalRecords += batchRecordCount(batch);
    this.lastBatchEpoch = batch.leaderEpoch;
    this.epochCache.assign(batch.leaderEpoch, batch.baseOffset);
    this.producerState.onAppend(batch);
    this.txnIndex.onAppend(batch);
    this.checkInvariants();
    return { batch, rolled };
  }

  /**
   * Kafka's `maybeRoll`, run before every append: roll the active segment if `shouldRoll` says so
   * for the incoming batch. Returns why it rolled, or undefined.
   */
  maybeRoll(nowUs: number, incoming: RecordBatch): RollReason | undefined {
    const reason = shouldRoll(this.segs[this.segs.length - 1]!, {
      nowUs,
      incomingBytes: incoming.bytes,
      incomingMaxTimestampUs: incoming.maxTimestampUs,
      incomingLastOffset: batchEndOffset(incoming) - 1,
      segmentBytes: this.cfg.segmentBytes,
      segmentMs: this.cfg.segmentMs,
    });
    if (reason !== undefined) this.roll(nowUs, incoming.baseOffset);
    return reason;
  }

  /**
   * Closes the active segment and starts a new one at max(LEO, nextBaseOffset). Rolling an empty
   * active segment changes nothing (Kafka would recreate the same empty file). Returns whether it
   * rolled.
   */
  roll(nowUs: number, nextBaseOffset = this.leo): boolean {
    const active = this.segs[this.segs.length - 1]!;
    if (active.batches.length === 0) return false;
    active.closed = true;
    this.segs.push(newSegment(Math.max(this.leo, nextBaseOffset), nowUs));
    return true;
  }

  /** A new leader records its epoch at its log end (Kafka's `maybeAssignEpochStartOffset`). */
  assignEpochAtLogEnd(epoch: number): boolean {
    return this.epochCache.assign(epoch, this.leo);
  }

  // ---- reads ----

  /**
   * Whole batches from the one containing `fromOffset` (or the next one, across a compaction hole),
   * all ending at or before `upToOffset` (HW, LSO or LEO), while they fit in `maxBytes`; the first
   * batch is returned even if larger when `minOneBatch` (KIP-74). Like Kafka, one read stays in one
   * segment. The caller answers OFFSET_OUT_OF_RANGE for offsets outside [logStart, LEO] first.
   */
  read(fromOffset: number, maxBytes: number, upToOffset: number, minOneBatch = true): ReadResult {
    assert(
      fromOffset >= this.logStart && fromOffset <= this.leo,
      () => `read at ${fromOffset} outside [${this.logStart}, ${this.leo}]`,
    );
    assert(upToOffset <= this.leo, () => `read bound ${upToOffset} above LEO ${this.leo}`);
    assert(maxBytes >= 0, "read maxBytes < 0");
    for (let si = this.segmentIndexFor(fromOffset); si < this.segs.length; si++) {
      const batches = this.segs[si]!.batches;
      const first = firstBatchEndingAfter(batches, fromOffset);
      if (first === batches.length) continue;
      const out: RecordBatch[] = [];
      let bytes = 0;
      for (let i = first; i < batches.length; i++) {
        const batch = batches[i]!;
        if (batchEndOffset(batch) > upToOffset) break;
        if (bytes + batch.bytes > maxBytes && (out.length > 0 || !minOneBatch)) break;
        out.push(batch);
        bytes += batch.bytes;
      }
      return out.length === 0 ? EMPTY_READ : { batches: out, bytes };
    }
    return EMPTY_READ;
  }

  /**
   * The batch whose span contains `offset`, or undefined (out of the log, or in a hole). After
   * compaction the offset may be inside the span but removed: see `batchHasOffset`.
   */
  batchAt(offset: number): RecordBatch | undefined {
    if (offset < this.segs[0]!.baseOffset || offset >= this.leo) return undefined;
    const batches = this.segs[this.segmentIndexFor(offset)]!.batches;
    const batch = batches[firstBatchEndingAfter(batches, offset)];
    return batch !== undefined && batch.baseOffset <= offset ? batch : undefined;
  }

  /** `offset` if no batch straddles it, else the base offset of the batch that does. */
  batchBoundaryAtOrBelow(offset: number): number {
    if (offset >= this.leo) return this.leo;
    const batch = this.batchAt(offset);
    return batch !== undefined && batch.baseOffset < offset ? batch.baseOffset : offset;
  }

  /** The last batch of the log, if any. */
  lastBatch(): RecordBatch | undefined {
    for (let i = this.segs.length - 1; i >= 0; i--) {
      const batches = this.segs[i]!.batches;
      if (batches.length > 0) return batches[batches.length - 1];
    }
    return undefined;
  }

  endOffsetForEpoch(requestedEpoch: number): EpochEndOffset {
    return this.epochCache.endOffsetFor(requestedEpoch, this.leo);
  }

  /** The pre-KIP-279 answer, for the 0.11–1.1 profiles (see LeaderEpochCache.kip101EndOffset). */
  kip101EndOffset(requestedEpoch: number): number {
    return this.epochCache.kip101EndOffset(requestedEpoch, this.leo);
  }

  /** Every batch, oldest first, with its segment. */
  forEachBatch(fn: (batch: RecordBatch, segment: Readonly<Segment>) => void): void {
    for (const segment of this.segs) for (const batch of segment.batches) fn(batch, segment);
  }

  /** Every present offset, oldest first, with its batch and its index in the batch's keys/values. */
  forEachRecord(fn: (offset: number, batch: RecordBatch, index: number) => void): void {
    for (const segment of this.segs) {
      for (const batch of segment.batches) forEachBatchOffset(batch, (o, i) => fn(o, batch, i));
    }
  }

  // ---- truncation and power loss ----

  /**
   * Removes every batch at or above `offset` (Kafka's `truncateTo`; nothing if offset ≥ LEO), which
   * must be a batch boundary. Clamps HW, the flushed offset and the log start to the new LEO and
   * truncates the epoch cache from the end. Returns the removed batches.
   */
  truncateTo(offset: number): RecordBatch[] {
    assertSafeInt(offset, "truncation offset");
    assert(offset >= 0, () => `truncation offset ${offset} < 0`);
    if (offset >= this.leo) return [];
    const straddling = this.batchAt(offset);
    assert(
      straddling === undefined || straddling.baseOffset === offset,
      () =>
        `truncation to ${offset} inside batch [${straddling?.baseOffset}, ${straddling && batchEndOffset(straddling)})`,
    );
    if (offset < this.segs[0]!.baseOffset) {
      // Below every segment: Kafka starts the log afresh there. The creation time only matters for
      // an empty segment, so the old one's is kept.
      return this.truncateFullyAndStartAt(offset, this.activeSegment.lastModifiedUs);
    }
    let firstDropped = this.segs.length;
    while (this.segs[firstDropped - 1]!.baseOffset > offset) firstDropped--;
    const dropped = this.segs.splice(firstDropped);
    const last = this.segs[this.segs.length - 1]!;
    // Loops, not spread: a segment can hold far more batches than a call takes arguments.
    const removed = truncateSegment(last, offset);
    for (const batch of removed) {
      this.totalBytes -= batch.bytes;
      this.totalRecords -= batchRecordCount(batch);
    }
    for (const segment of dropped) {
      for (const batch of segment.batches) removed.push(batch);
      this.totalBytes -= segment.bytes;
      this.totalRecords -= segment.recordCount;
    }
    last.closed = false;
    this.leo = offset;
    this.clampToLogEnd();
    this.logStart = Math.min(this.logStart, offset);
    this.epochCache.truncateFromEnd(offset);
    this.lastBatchEpoch = this.lastBatch()?.leaderEpoch ?? -1;
    this.producerState.rebuild(offset, (fn) => this.forEachBatch(fn));
    this.txnIndex.truncateTo(offset);
    this.checkInvariants();
    return removed;
  }

  /**
   * Drops the whole log and starts an empty one at `offset` (a follower whose LEO fell below the
   * leader's log start). Log start, LEO, HW and flushed offset all become `offset`; the epoch cache
   * is cleared. Returns the removed batches.
   */
  truncateFullyAndStartAt(offset: number, nowUs: number): RecordBatch[] {
    assertSafeInt(offset, "new log start offset");
    const removed: RecordBatch[] = [];
    for (const segment of this.segs) for (const batch of segment.batches) removed.push(batch);
    this.segs = [newSegment(offset, nowUs)];
    this.leo = offset;
    this.hw = offset;
    this.logStart = offset;
    this.flushed = offset;
    this.holesBelow = offset;
    this.totalBytes = 0;
    this.totalRecords = 0;
    this.lastBatchEpoch = -1;
    this.epochCache.clear();
    this.producerState.clear();
    this.txnIndex.truncateFullyAndStartAt(offset);
    this.checkInvariants();
    return removed;
  }

  /**
   * Power loss: what was not flushed is gone. Truncates to the batch boundary at or below the
   * flushed offset (recovery drops a torn batch); if that is below the log start, the log restarts
   * empty at the log start. Returns the lost batches.
   */
  losePowerTail(): RecordBatch[] {
    const target = this.batchBoundaryAtOrBelow(this.flushed);
    if (target < this.logStart) {
      return this.truncateFullyAndStartAt(this.logStart, this.activeSegment.lastModifiedUs);
    }
    return this.truncateTo(target);
  }

  // ---- watermarks ----

  /** The broker's HW rules decide the value; the log only checks logStart ≤ HW ≤ LEO. */
  setHighWatermark(hw: number): void {
    assertSafeInt(hw, "high watermark");
    assert(
      hw >= this.logStart && hw <= this.leo,
      () => `HW ${hw} outside [logStart ${this.logStart}, LEO ${this.leo}]`,
    );
    this.hw = hw;
    this.txnIndex.onHighWatermarkUpdated(hw);
  }

  /**
   * Kafka's `updateHighWatermark`: clamps into [logStart, LEO] and returns the value set. For a
   * checkpointed HW restored after a restart (it may exceed the recovered LEO after a power loss).
   */
  updateHighWatermarkClamped(hw: number): number {
    assertSafeInt(hw, "high watermark");
    this.hw = Math.min(Math.max(hw, this.logStart), this.leo);
    this.txnIndex.onHighWatermarkUpdated(this.hw);
    return this.hw;
  }

  /** Writeback or fsync covered the log below `offset`. Never lowers the flushed offset. */
  markFlushed(offset: number): void {
    assertSafeInt(offset, "flushed offset");
    assert(offset >= 0 && offset <= this.leo, () => `flushed ${offset} above LEO ${this.leo}`);
    if (offset > this.flushed) this.flushed = offset;
  }

  /**
   * Raises the log start offset (DeleteRecords, or a follower following the leader's log start);
   * it may fall inside a segment. Kafka refuses to pass the HW. The segments wholly below it are
   * deleted by the next retention pass. Returns whether it moved.
   */
  setLogStartOffset(offset: number): boolean {
    assertSafeInt(offset, "log start offset");
    assert(offset <= this.hw, () => `log start ${offset} above HW ${this.hw}`);
    if (offset <= this.logStart) return false;
    this.logStart = offset;
    this.epochCache.truncateFromStart(offset);
    this.txnIndex.onLogStartMove(offset);
    this.checkInvariants();
    return true;
  }

  // ---- for retention.ts and compaction.ts ----

  /**
   * Deletes the `count` oldest segments and raises the log start to the first remaining segment's
   * base offset. Deleting all of them (the active one included: Kafka allows it when it is
   * non-empty and wholly below the HW) rolls a new empty active segment first, as Kafka does.
   */
  deleteOldestSegments(count: number, nowUs: number): DeletedSegments {
    assert(count >= 1 && count <= this.segs.length, () => `cannot delete ${count} segments`);
    let rolled = false;
    if (count === this.segs.length) {
      assert(this.hw >= this.leo, "deleting the active segment above the HW");
      rolled = this.roll(nowUs);
      assert(rolled, "deleting an empty active segment");
    }
    const removed = this.segs.splice(0, count);
    for (const segment of removed) {
      this.totalBytes -= segment.bytes;
      this.totalRecords -= segment.recordCount;
    }
    const newStart = this.segs[0]!.baseOffset;
    if (newStart > this.logStart) {
      assert(newStart <= this.hw, () => `retention would move log start ${newStart} past HW`);
      this.logStart = newStart;
      this.epochCache.truncateFromStart(newStart);
      this.txnIndex.onLogStartMove(newStart);
    }
    this.checkInvariants();
    return { removed, rolled };
  }

  /**
   * Swaps the `count` oldest (closed) segments for their cleaned versions. Offsets never change:
   * the replacement keeps the first base offset, holds a subset of the records, and ends before the
   * next segment. Gaps are legal below `cleanedUpToOffset` from now on.
   */
  replaceCleanedSegments(count: number, replacement: Segment[], cleanedUpToOffset: number): void {
    assert(count >= 1 && count < this.segs.length, "compaction never replaces the active segment");
    assert(replacement.length >= 1 && replacement.length <= count, "bad replacement count");
    const nextBase = this.segs[count]!.baseOffset;
    assert(cleanedUpToOffset <= nextBase, "cleaned past the replaced segments");
    assert(
      replacement[0]!.baseOffset === this.segs[0]!.baseOffset,
      "cleaning moved the base offset",
    );
    let oldBytes = 0;
    let oldRecords = 0;
    for (let i = 0; i < count; i++) {
      oldBytes += this.segs[i]!.bytes;
      oldRecords += this.segs[i]!.recordCount;
    }
    let newBytes = 0;
    let newRecords = 0;
    let prevBase = -1;
    for (const segment of replacement) {
      assert(segment.closed && segment.baseOffset > prevBase, "cleaned segments out of order");
      const end = lastBatchEnd(segment);
      assert(end === undefined || end <= nextBase, "cleaned segment overlaps the next one");
      prevBase = segment.baseOffset;
      newBytes += segment.bytes;
      newRecords += segment.recordCount;
    }
    assert(newBytes <= oldBytes && newRecords <= oldRecords, "cleaning added data");
    this.segs.splice(0, count, ...replacement);
    this.totalBytes += newBytes - oldBytes;
    this.totalRecords += newRecords - oldRecords;
    if (cleanedUpToOffset > this.holesBelow) this.holesBelow = cleanedUpToOffset;
    this.checkInvariants();
  }

  // ---- invariants ----

  /** Cheap checks, after every change. */
  checkInvariants(): void {
    assert(
      this.logStart <= this.hw && this.hw <= this.leo,
      () => `log: need logStart ${this.logStart} ≤ HW ${this.hw} ≤ LEO ${this.leo}`,
    );
    assert(
      this.flushed >= 0 && this.flushed <= this.leo,
      () => `log: flushed ${this.flushed} > LEO ${this.leo}`,
    );
    assert(this.segs.length >= 1, "log: no segment");
    assert(this.segs[0]!.baseOffset <= this.logStart, "log: log start below the first segment");
    const active = this.segs[this.segs.length - 1]!;
    assert(!active.closed && active.baseOffset <= this.leo, "log: bad active segment");
    assert(
      this.txnIndex.endOffset <= this.leo,
      () => `log: txn index end ${this.txnIndex.endOffset} past LEO ${this.leo}`,
    );
    const latest = this.epochCache.latestEntry();
    assert(
      latest === undefined || latest.startOffset <= this.leo,
      () => `log: epoch cache ${this.epochCache.text()} past LEO ${this.leo}`,
    );
  }

  /**
   * Full validation, O(batches): for tests and end-of-run checks. Segment order and flags, sizes,
   * contiguity (holes only below holesBelowOffset), batch epochs non-decreasing under strict rules,
   * and the epoch cache's own invariants.
   */
  validate(): void {
    this.checkInvariants();
    this.epochCache.checkInvariants();
    let bytes = 0;
    let records = 0;
    let prevEnd: number | undefined;
    let prevEpoch = -1;
    for (let si = 0; si < this.segs.length; si++) {
      const segment = this.segs[si]!;
      const next = this.segs[si + 1];
      assert(segment.closed === (next !== undefined), () => `log: segment ${si} closed flag`);
      const limit = next === undefined ? this.leo : next.baseOffset;
      assert(segment.baseOffset <= limit, () => `log: segment ${si} out of order`);
      let segBytes = 0;
      let segRecords = 0;
      for (const batch of segment.batches) {
        const end = batchEndOffset(batch);
        assert(
          batch.baseOffset >= segment.baseOffset && end <= limit,
          "log: batch outside segment",
        );
        if (prevEnd !== undefined) {
          assert(batch.baseOffset >= prevEnd, () => `log: batches overlap at ${batch.baseOffset}`);
          assert(
            batch.baseOffset === prevEnd || batch.baseOffset <= this.holesBelow,
            () => `log: gap ${prevEnd}..${batch.baseOffset} above holesBelow ${this.holesBelow}`,
          );
        }
        if (this.cfg.epochRules === "strict") {
          assert(
            batch.leaderEpoch >= prevEpoch,
            () => `log: epoch decreases at ${batch.baseOffset}`,
          );
        }
        prevEpoch = batch.leaderEpoch;
        prevEnd = end;
        segBytes += batch.bytes;
        segRecords += batchRecordCount(batch);
      }
      assert(segBytes === segment.bytes && segRecords === segment.recordCount, "log: segment sums");
      bytes += segBytes;
      records += segRecords;
    }
    const end = prevEnd ?? this.segs[0]!.baseOffset;
    assert(
      end === this.leo || this.leo <= this.holesBelow,
      () => `log: last batch ends at ${end}, LEO is ${this.leo}`,
    );
    assert(bytes === this.totalBytes && records === this.totalRecords, "log: totals");
  }

  /**
   * Log loading after a restart (Kafka's loadProducerState): the transaction index replayed from
   * the batches the log holds, then told the HW. The result equals the live index (a test checks
   * it), so this only matters when the live one could be wrong.
   */
  rebuildTxnIndex(): void {
    this.txnIndex.rebuild(this.batchIterable(), this.logStart);
    this.txnIndex.onHighWatermarkUpdated(this.hw);
  }

  /** Every batch, oldest first, as an iterable (no copy). */
  *batchIterable(): Generator<RecordBatch> {
    for (const segment of this.segs) yield* segment.batches;
  }

  /** The epoch entries (for tests and drawing). */
  epochEntries(): EpochEntry[] {
    return this.epochCache.snapshot();
  }

  private clampToLogEnd(): void {
    if (this.hw > this.leo) this.hw = this.leo;
    if (this.flushed > this.leo) this.flushed = this.leo;
    if (this.holesBelow > this.leo) this.holesBelow = this.leo;
  }

  /** Index of the last segment whose base offset is ≤ offset (0 if none). */
  private segmentIndexFor(offset: number): number {
    let lo = 0;
    let hi = this.segs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.segs[mid]!.baseOffset <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}

function lastBatchEnd(segment: Readonly<Segment>): number | undefined {
  const last = segment.batches[segment.batches.length - 1];
  return last === undefined ? undefined : batchEndOffset(last);
}

/**
 * The stored batch: the producer's fields plus the offset and epoch. Written field by field, not as
 * a spread: V8 copies a spread object about 20× slower, and every batch then shares one shape.
 */
function stampBatch(batch: NewBatch, baseOffset: number, leaderEpoch: number): RecordBatch {
  return {
    baseOffset,
    count: batch.count,
    bytes: batch.bytes,
    leaderEpoch,
    firstTimestampUs: batch.firstTimestampUs,
    maxTimestampUs: batch.maxTimestampUs,
    producerId: batch.producerId,
    producerEpoch: batch.producerEpoch,
    baseSequence: batch.baseSequence,
    isTransactional: batch.isTransactional,
    isControl: batch.isControl,
    controlType: batch.controlType,
    origin: batch.origin,
    keys: batch.keys,
    values: batch.values,
  };
}

function checkBatchShape(batch: RecordBatch): void {
  assertSafeInt(batch.count, "batch count");
  assertSafeInt(batch.bytes, "batch bytes");
  assertSafeInt(batch.maxTimestampUs, "batch max timestamp");
  assert(batch.count >= 1 && batch.bytes >= 0, () => `bad batch count ${batch.count}`);
  const present = batchRecordCount(batch);
  assert(
    batch.keys === undefined || batch.keys.length === present,
    "batch keys do not match its records",
  );
  assert(
    batch.values === undefined || batch.values.length === present,
    "batch values do not match its records",
  );
}
