/**
 * Log compaction of one partition replica (cleanup.policy=compact): Kafka's `LogCleanerManager`
 * (which range is cleanable, and is it dirty enough) and `LogCleaner` (keep the latest record per
 * key, expire tombstones). The broker's cleaner thread picks the log with the highest dirty ratio
 * every log.cleaner.backoff.ms and calls `compact`; the IO cost is the broker's to model.
 *
 * The rules, from Kafka's source:
 * - first dirty offset = the cleaner checkpoint, reset to the log start when it is outside
 *   [logStart, LEO]; the cleanable range ends at the start of the segment holding the first
 *   uncleanable offset = min(LSO, active segment base, first dirty segment younger than
 *   min.compaction.lag.ms);
 * - dirty ratio = dirty bytes / (clean + dirty) bytes, over whole segments; the log is cleaned when
 *   the ratio is strictly above min.cleanable.dirty.ratio (the source compares with `>`), or when a
 *   dirty record is older than max.compaction.lag.ms;
 * - an offset map (key → last offset) is built over the dirty range; every segment from the start of
 *   the log up to the end of that range is then rewritten keeping a record if it is newer than or
 *   equal to its key's mapped offset, or past the map;
 * - tombstones (null value) follow KIP-534 (3.1+): the first cleaning that keeps one stamps its
 *   batch with a delete horizon = now + delete.retention.ms, and a later cleaning at or after the
 *   horizon drops it. A consumer that takes longer than that to reach it misses the delete (S20);
 * - offsets never change: a cleaned batch keeps its base offset and span and lists the survivors in
 *   `offsets`; an emptied batch disappears. The cleaned segments are regrouped so that each group's
 *   original size fits in segment.bytes.
 *
 * Records must carry keys (Kafka rejects keyless records on compacted topics): a compacted topic
 * must keep payloads, and this asserts it.
 *
 * - transactions (§5): the cleanable range stops at the LSO; the records of aborted transactions
 *   (the log's aborted index, `policy.abortedTxns`) neither enter the offset map nor survive a
 *   cleaning (Kafka's cleaner discards them, so they cannot shadow a committed value of their key).
 *
 * Simplified: the offset map never fills (log.cleaner.dedupe.buffer.size is assumed large enough);
 * control batches (transaction markers) are always kept (Kafka drops them once the transaction's
 * data is gone and delete.retention.ms has passed); an emptied batch is dropped even when it holds a producer's last sequence
 * (Kafka keeps its header); the pre-3.1 tombstone rule (segment last-modified time) is not modelled;
 * the size of a cleaned batch is estimated per record. Faults: none of its own.
 */
import { assert, assertSafeInt } from "../../engine/assert.ts";
import type { RecordBatch } from "../types.ts";
import type { PartitionLog } from "./partition-log.ts";
import {
  batchEndOffset,
  batchRecordCount,
  forEachBatchOffset,
  msToUsCapped,
  newSegment,
  recomputeTimestamps,
  type Segment,
  segmentLargestTimestampUs,
} from "./segment.ts";

/** Bytes of a v2 record batch header (DefaultRecordBatch.RECORD_BATCH_OVERHEAD). */
export const RECORD_BATCH_OVERHEAD_BYTES = 61;

export interface CompactionPolicy {
  readonly nowUs: number;
  /** Never cleaned past: the last stable offset (the HW when no transaction is open). */
  readonly lastStableOffset: number;
  /** min.cleanable.dirty.ratio, default 0.5. */
  readonly minCleanableDirtyRatio: number;
  /** delete.retention.ms, default 86400000 (24 h). */
  readonly deleteRetentionMs: number;
  /** min.compaction.lag.ms, default 0. */
  readonly minCompactionLagMs: number;
  /** max.compaction.lag.ms; undefined for the default (Long.MAX_VALUE, never). */
  readonly maxCompactionLagMs?: number;
  /** The cleaner-offset-checkpoint entry (first dirty offset); undefined if never cleaned. */
  readonly cleanerCheckpoint: number | undefined;
  /** Aborted transactions of the log (TxnIndex.abortedTxns), in marker order; absent: none. */
  readonly abortedTxns?: ReadonlyArray<{
    readonly producerId: number;
    readonly firstOffset: number;
    readonly lastOffset: number;
  }>;
}

/** A transactional data batch inside one of the aborted transactions. */
function isAbortedBatch(batch: RecordBatch, aborted: CompactionPolicy["abortedTxns"]): boolean {
  if (aborted === undefined || !batch.isTransactional || batch.isControl) return false;
  for (const a of aborted) {
    if (a.producerId === batch.producerId && a.firstOffset <= batch.baseOffset) {
      if (batch.baseOffset <= a.lastOffset) return true;
    }
  }
  return false;
}

export interface CleanableRange {
  readonly firstDirtyOffset: number;
  /** A segment base offset: cleaning covers the segments below it. */
  readonly firstUncleanableOffset: number;
  readonly cleanBytes: number;
  readonly dirtyBytes: number;
  /** dirty / (clean + dirty), 0 for an empty log. */
  readonly dirtyRatio: number;
  /** A dirty record is older than max.compaction.lag.ms. */
  readonly needCompactionNow: boolean;
  readonly shouldClean: boolean;
}

export interface CompactionResult {
  readonly cleaned: boolean;
  readonly range: CleanableRange;
  /** The checkpoint to store: the end of the cleaned range, or the old one if nothing ran. */
  readonly cleanerCheckpoint: number | undefined;
  readonly removedRecords: number;
  readonly removedTombstones: number;
  readonly bytesBefore: number;
  readonly bytesAfter: number;
  readonly segmentsBefore: number;
  readonly segmentsAfter: number;
}

/** LogCleanerManager.cleanableOffsets plus LogToClean's byte counts and the selection test. */
export function cleanableRange(log: PartitionLog, policy: CompactionPolicy): CleanableRange {
  assertSafeInt(policy.nowUs, "compaction time");
  assert(
    policy.lastStableOffset <= log.highWatermark,
    () => `LSO ${policy.lastStableOffset} above HW ${log.highWatermark}`,
  );
  const segs = log.segmentList();
  const activeIndex = segs.length - 1;
  const activeBase = segs[activeIndex]!.baseOffset;

  const checkpoint = policy.cleanerCheckpoint ?? log.logStartOffset;
  const firstDirty =
    checkpoint < log.logStartOffset || checkpoint > log.logEndOffset
      ? log.logStartOffset
      : checkpoint;

  let uncleanable = Math.min(policy.lastStableOffset, activeBase);
  const firstDirtyIndex = floorSegmentIndex(segs, firstDirty);
  if (policy.minCompactionLagMs > 0) {
    const horizonUs = policy.nowUs - msToUsCapped(policy.minCompactionLagMs);
    for (let i = firstDirtyIndex; i < activeIndex; i++) {
      const segment = segs[i]!;
      if (segmentLargestTimestampUs(segment) > horizonUs) {
        uncleanable = Math.min(uncleanable, segment.baseOffset);
        break;
      }
    }
  }
  const uncleanableIndex = floorSegmentIndex(segs, uncleanable);
  const firstUncleanable = segs[Math.min(uncleanableIndex, activeIndex)]!.baseOffset;

  let cleanBytes = 0;
  for (const segment of segs) if (segment.baseOffset < firstDirty) cleanBytes += segment.bytes;
  let dirtyBytes = 0;
  const dirtyFrom = floorSegmentIndex(segs, Math.min(firstDirty, firstUncleanable));
  for (let i = dirtyFrom; i < segs.length && segs[i]!.baseOffset < firstUncleanable; i++) {
    dirtyBytes += segs[i]!.bytes;
  }
  const totalBytes = cleanBytes + dirtyBytes;
  const dirtyRatio = totalBytes > 0 ? dirtyBytes / totalBytes : 0;

  let needCompactionNow = false;
  if (policy.maxCompactionLagMs !== undefined && firstDirtyIndex < activeIndex) {
    const earliestUs = segs[firstDirtyIndex]!.rollingBasedTimestampUs;
    needCompactionNow =
      earliestUs >= 0 && earliestUs < policy.nowUs - msToUsCapped(policy.maxCompactionLagMs);
  }
  const shouldClean =
    totalBytes > 0 &&
    ((needCompactionNow && dirtyBytes > 0) || dirtyRatio > policy.minCleanableDirtyRatio);
  return {
    firstDirtyOffset: firstDirty,
    firstUncleanableOffset: firstUncleanable,
    cleanBytes,
    dirtyBytes,
    dirtyRatio,
    needCompactionNow,
    shouldClean,
  };
}

/** One cleaning pass, if the log qualifies. */
export function compact(log: PartitionLog, policy: CompactionPolicy): CompactionResult {
  const range = cleanableRange(log, policy);
  const bytesBefore = log.sizeBytes;
  const segmentsBefore = log.segmentCount;
  const unchanged: CompactionResult = {
    cleaned: false,
    range,
    cleanerCheckpoint: policy.cleanerCheckpoint,
    removedRecords: 0,
    removedTombstones: 0,
    bytesBefore,
    bytesAfter: bytesBefore,
    segmentsBefore,
    segmentsAfter: segmentsBefore,
  };
  if (!range.shouldClean) return unchanged;
  assert(log.config.compacted, "compaction of a log whose cleanup.policy has no compact");

  const segs = log.segmentList();
  const aborted = policy.abortedTxns;
  const map = buildOffsetMap(segs, range.firstDirtyOffset, range.firstUncleanableOffset, aborted);
  const endOffset = map.latestOffset >= 0 ? map.latestOffset + 1 : range.firstUncleanableOffset;

  let count = 0;
  while (count < segs.length - 1 && segs[count]!.baseOffset < endOffset) count++;
  if (count === 0) return unchanged;

  const filter: RecordFilter = {
    map: map.latest,
    latestOffset: map.latestOffset,
    nowUs: policy.nowUs,
    deleteRetentionUs: msToUsCapped(policy.deleteRetentionMs),
    removedRecords: 0,
    removedTombstones: 0,
    aborted,
  };
  const replacement: Segment[] = [];
  for (const group of groupBySize(segs.slice(0, count), log.config.segmentBytes)) {
    replacement.push(cleanGroup(group, filter));
  }
  log.replaceCleanedSegments(count, replacement, endOffset);
  return {
    cleaned: true,
    range,
    cleanerCheckpoint: endOffset,
    removedRecords: filter.removedRecords,
    removedTombstones: filter.removedTombstones,
    bytesBefore,
    bytesAfter: log.sizeBytes,
    segmentsBefore,
    segmentsAfter: log.segmentCount,
  };
}

interface OffsetMap {
  readonly latest: Map<string, number>;
  /** Last offset of the last dirty batch mapped, -1 if none. */
  readonly latestOffset: number;
}

/** Cleaner.buildOffsetMap: key → last offset, over [start, end) in whole segments. */
function buildOffsetMap(
  segs: readonly Readonly<Segment>[],
  start: number,
  end: number,
  aborted: CompactionPolicy["abortedTxns"],
): OffsetMap {
  const latest = new Map<string, number>();
  let latestOffset = -1;
  for (let i = floorSegmentIndex(segs, start); i < segs.length; i++) {
    const segment = segs[i]!;
    if (segment.baseOffset >= end) break;
    for (const batch of segment.batches) {
      if (!batch.isControl && !isAbortedBatch(batch, aborted)) {
        const keys = requireKeys(batch);
        forEachBatchOffset(batch, (offset, index) => {
          if (offset >= start) latest.set(requireKey(keys, index, offset), offset);
        });
      }
      const last = batchEndOffset(batch) - 1;
      if (last >= start && last > latestOffset) latestOffset = last;
    }
  }
  return { latest, latestOffset };
}

interface RecordFilter {
  readonly map: ReadonlyMap<string, number>;
  readonly latestOffset: number;
  readonly nowUs: number;
  readonly deleteRetentionUs: number;
  removedRecords: number;
  removedTombstones: number;
  readonly aborted: CompactionPolicy["abortedTxns"];
}

/** Cleaner.groupSegmentsBySize: consecutive segments whose sizes add up to at most segment.bytes. */
function groupBySize(segs: readonly Readonly<Segment>[], maxBytes: number): Readonly<Segment>[][] {
  const groups: Readonly<Segment>[][] = [];
  let group: Readonly<Segment>[] = [];
  let groupBytes = 0;
  for (const segment of segs) {
    if (group.length > 0 && groupBytes + segment.bytes > maxBytes) {
      groups.push(group);
      group = [];
      groupBytes = 0;
    }
    group.push(segment);
    groupBytes += segment.bytes;
  }
  if (group.length > 0) groups.push(group);
  return groups;
}

/** Rewrites a group of segments into one closed segment named after the first. */
function cleanGroup(group: readonly Readonly<Segment>[], filter: RecordFilter): Segment {
  const first = group[0]!;
  const cleaned = newSegment(first.baseOffset, first.createdAtUs);
  for (const segment of group) {
    for (const batch of segment.batches) {
      const kept = cleanBatch(batch, filter);
      if (kept === undefined) continue;
      cleaned.batches.push(kept);
      cleaned.bytes += kept.bytes;
      cleaned.recordCount += batchRecordCount(kept);
    }
  }
  // Kafka sets the cleaned file's modification time to the last source segment's.
  cleaned.lastModifiedUs = group[group.length - 1]!.lastModifiedUs;
  cleaned.closed = true;
  recomputeTimestamps(cleaned);
  return cleaned;
}

/** The batch with the records the cleaner keeps: the same object if all stay, undefined if none. */
function cleanBatch(batch: RecordBatch, filter: RecordFilter): RecordBatch | undefined {
  if (batch.isControl) return batch;
  if (isAbortedBatch(batch, filter.aborted)) {
    filter.removedRecords += batchRecordCount(batch);
    return undefined;
  }
  const keys = requireKeys(batch);
  const values = batch.values;
  const retainDeletes = batch.deleteHorizonUs === undefined || filter.nowUs < batch.deleteHorizonUs;
  const offsets: number[] = [];
  const keptKeys: (string | null)[] = [];
  const keptValues: (string | null)[] = [];
  let hasTombstone = false;
  forEachBatchOffset(batch, (offset, index) => {
    const key = requireKey(keys, index, offset);
    const value = values === undefined ? "" : values[index]!;
    let keep = true;
    if (offset <= filter.latestOffset) {
      const mapped = filter.map.get(key);
      const superseded = mapped !== undefined && offset < mapped;
      const expiredTombstone = value === null && !retainDeletes;
      keep = !superseded && !expiredTombstone;
    }
    if (!keep) {
      filter.removedRecords++;
      if (value === null) filter.removedTombstones++;
      return;
    }
    if (value === null) hasTombstone = true;
    offsets.push(offset);
    keptKeys.push(key);
    if (values !== undefined) keptValues.push(value);
  });
  if (offsets.length === 0) return undefined;
  const stampHorizon = hasTombstone && batch.deleteHorizonUs === undefined;
  const present = batchRecordCount(batch);
  if (offsets.length === present && !stampHorizon) return batch;
  return {
    ...batch,
    bytes: cleanedBatchBytes(batch.bytes, offsets.length, present),
    keys: keptKeys,
    ...(values === undefined ? {} : { values: keptValues }),
    ...(offsets.length === batch.count ? {} : { offsets }),
    ...(stampHorizon ? { deleteHorizonUs: filter.nowUs + filter.deleteRetentionUs } : {}),
  };
}

/** Header plus the kept share of the record bytes, rounded up (exact integer arithmetic). */
export function cleanedBatchBytes(bytes: number, kept: number, present: number): number {
  const recordBytes = Math.max(0, bytes - RECORD_BATCH_OVERHEAD_BYTES);
  const header = bytes - recordBytes;
  return header + ceilDiv(recordBytes * kept, present);
}

function ceilDiv(a: number, b: number): number {
  assertSafeInt(a, "ceilDiv numerator");
  let q = Math.floor(a / b);
  // Correct a quotient that the float division rounded across an integer.
  while (q * b > a) q--;
  while ((q + 1) * b <= a) q++;
  return q * b === a ? q : q + 1;
}

function requireKeys(batch: RecordBatch): ReadonlyArray<string | null> {
  assert(
    batch.keys !== undefined,
    () => `compacted topic batch at ${batch.baseOffset} has no keys: keep payloads for compaction`,
  );
  return batch.keys;
}

function requireKey(keys: ReadonlyArray<string | null>, index: number, offset: number): string {
  const key = keys[index];
  assert(typeof key === "string", () => `record at ${offset} has no key on a compacted topic`);
  return key;
}

/** Index of the last segment whose base offset is ≤ offset (0 if none). */
function floorSegmentIndex(segs: readonly Readonly<Segment>[], offset: number): number {
  let lo = 0;
  let hi = segs.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (segs[mid]!.baseOffset <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
