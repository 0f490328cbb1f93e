/**
 * One log segment of a partition replica (Kafka's `LogSegment`: a `.log` file and its indexes), as
 * plain data, and the batch-level helpers the log, retention and compaction share.
 *
 * A segment holds whole record batches in offset order. Its base offset names the files
 * (`00000000000000000000.log`); only the last segment of a log, the active one, takes appends.
 *
 * Simplified: no index files (lookups are binary searches over the batches, and the "index full"
 * roll condition never fires: with the default 10 MiB index and one entry per 4 KiB it would need a
 * segment over 5 GiB, above the largest segment.bytes); no segment jitter (`segment.jitter.ms`
 * defaults to 0). The "last modified" time is the virtual time of the last append. Faults: none of
 * its own; the log truncates segments after a power loss.
 */
import { assert, assertSafeInt } from "../../engine/assert.ts";
import type { RecordBatch } from "../types.ts";

/** Plain data: the viz draws it and a checkpoint can clone it. Mutated only by log/ modules. */
export interface Segment {
  readonly baseOffset: number;
  batches: RecordBatch[];
  /** Sum of the batches' bytes: the `.log` file size. */
  bytes: number;
  /** Offsets present (records, plus one per control batch); compaction lowers it. */
  recordCount: number;
  createdAtUs: number;
  lastModifiedUs: number;
  /** The largest batch max timestamp, -1 when empty (Kafka then uses the last-modified time). */
  maxTimestampUs: number;
  /** The first batch's max timestamp (Kafka's `rollingBasedTimestamp`), -1 when empty. */
  rollingBasedTimestampUs: number;
  /** Every segment but the last is closed; appends go to the last one only. */
  closed: boolean;
}

export function newSegment(baseOffset: number, nowUs: number): Segment {
  assertSafeInt(baseOffset, "segment base offset");
  assertSafeInt(nowUs, "segment creation time");
  assert(baseOffset >= 0, () => `segment base offset ${baseOffset} < 0`);
  return {
    baseOffset,
    batches: [],
    bytes: 0,
    recordCount: 0,
    createdAtUs: nowUs,
    lastModifiedUs: nowUs,
    maxTimestampUs: -1,
    rollingBasedTimestampUs: -1,
    closed: false,
  };
}

/** The offset after the batch's span (its last offset + 1). Compaction keeps the span. */
export function batchEndOffset(batch: RecordBatch): number {
  return batch.baseOffset + batch.count;
}

/** Offsets actually present in the batch. */
export function batchRecordCount(batch: RecordBatch): number {
  return batch.offsets === undefined ? batch.count : batch.offsets.length;
}

/** Whether `offset` is a record of the batch (not before it, after it, or removed by compaction). */
export function batchHasOffset(batch: RecordBatch, offset: number): boolean {
  if (offset < batch.baseOffset || offset >= batchEndOffset(batch)) return false;
  if (batch.offsets === undefined) return true;
  return indexOfOffset(batch.offsets, offset) >= 0;
}

/** Calls `fn` for each offset present in the batch, in order, with its index in keys/values. */
export function forEachBatchOffset(
  batch: RecordBatch,
  fn: (offset: number, index: number) => void,
): void {
  const offsets = batch.offsets;
  if (offsets === undefined) {
    for (let i = 0; i < batch.count; i++) fn(batch.baseOffset + i, i);
  } else {
    for (let i = 0; i < offsets.length; i++) fn(offsets[i]!, i);
  }
}

/** Kafka's `LogSegment.largestTimestamp`: the max record timestamp, else the last-modified time. */
export function segmentLargestTimestampUs(segment: Segment): number {
  return segment.maxTimestampUs >= 0 ? segment.maxTimestampUs : segment.lastModifiedUs;
}

/** Index of the first batch whose span ends after `offset` (batches.length if none). */
export function firstBatchEndingAfter(batches: readonly RecordBatch[], offset: number): number {
  let lo = 0;
  let hi = batches.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (batchEndOffset(batches[mid]!) > offset) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

export function appendToSegment(segment: Segment, batch: RecordBatch, nowUs: number): void {
  assert(!segment.closed, () => `append to closed segment ${segment.baseOffset}`);
  assert(
    batch.baseOffset >= segment.baseOffset,
    () => `batch ${batch.baseOffset} below segment base ${segment.baseOffset}`,
  );
  if (segment.batches.length === 0) segment.rollingBasedTimestampUs = batch.maxTimestampUs;
  segment.batches.push(batch);
  segment.bytes += batch.bytes;
  segment.recordCount += batchRecordCount(batch);
  if (batch.maxTimestampUs > segment.maxTimestampUs) segment.maxTimestampUs = batch.maxTimestampUs;
  segment.lastModifiedUs = nowUs;
}

/**
 * Removes the batches whose base offset is ≥ `offset` and returns them (Kafka's
 * `LogSegment.truncateTo`, at batch granularity). The caller guarantees no batch straddles `offset`.
 */
export function truncateSegment(segment: Segment, offset: number): RecordBatch[] {
  let keep = segment.batches.length;
  while (keep > 0 && segment.batches[keep - 1]!.baseOffset >= offset) keep--;
  if (keep === segment.batches.length) return [];
  const removed = segment.batches.splice(keep);
  for (const batch of removed) {
    segment.bytes -= batch.bytes;
    segment.recordCount -= batchRecordCount(batch);
  }
  recomputeTimestamps(segment);
  return removed;
}

/** Rebuilds the timestamp fields from the batches (after truncation or compaction). */
export function recomputeTimestamps(segment: Segment): void {
  let max = -1;
  for (const batch of segment.batches) if (batch.maxTimestampUs > max) max = batch.maxTimestampUs;
  segment.maxTimestampUs = max;
  segment.rollingBasedTimestampUs = segment.batches[0]?.maxTimestampUs ?? -1;
}

export type RollReason = "segment.bytes" | "segment.ms" | "offset-overflow";

export interface RollParams {
  readonly nowUs: number;
  readonly incomingBytes: number;
  /** The incoming batch's max timestamp (Kafka compares record time, not wall time). */
  readonly incomingMaxTimestampUs: number;
  /** The incoming batch's last offset. */
  readonly incomingLastOffset: number;
  /** segment.bytes */
  readonly segmentBytes: number;
  /** segment.ms */
  readonly segmentMs: number;
}

/** Largest relative offset an index entry can hold (Int.MaxValue). */
const MAX_RELATIVE_OFFSET = 2147483647;

/**
 * Kafka's `LogSegment.shouldRoll`: roll when the incoming batch would not fit in segment.bytes, when
 * the segment is non-empty and the incoming record time is more than segment.ms past the first
 * batch's (or, with no timestamp, now is past the creation time), or when the incoming offsets no
 * longer fit a 32-bit relative offset. An empty segment never rolls.
 */
export function shouldRoll(segment: Segment, p: RollParams): RollReason | undefined {
  if (segment.batches.length === 0) return undefined;
  if (segment.bytes > p.segmentBytes - p.incomingBytes) return "segment.bytes";
  const waitedUs =
    segment.rollingBasedTimestampUs >= 0
      ? p.incomingMaxTimestampUs - segment.rollingBasedTimestampUs
      : p.nowUs - segment.createdAtUs;
  if (waitedUs > msToUsCapped(p.segmentMs)) return "segment.ms";
  if (p.incomingLastOffset - segment.baseOffset > MAX_RELATIVE_OFFSET) return "offset-overflow";
  return undefined;
}

/** ms → µs; configs at Long.MAX_VALUE ("never") stay effectively infinite instead of overflowing. */
export function msToUsCapped(ms: number): number {
  if (ms >= Number.MAX_SAFE_INTEGER / 1000) return Number.MAX_SAFE_INTEGER;
  assertSafeInt(ms, "duration in ms");
  return ms * 1000;
}

function indexOfOffset(offsets: readonly number[], offset: number): number {
  let lo = 0;
  let hi = offsets.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const value = offsets[mid]!;
    if (value === offset) return mid;
    if (value < offset) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}
