/**
 * Time- and size-based retention of one partition replica (cleanup.policy=delete): Kafka's
 * `UnifiedLog.deleteOldSegments` and `deletableSegments`. The broker runs it every
 * log.retention.check.interval.ms (5 min) and does the file deletion IO itself.
 *
 * Three passes, in Kafka's (3.x) order, each walking from the oldest remaining segment and stopping
 * at the first one that does not qualify:
 * 1. log start (always, whatever the cleanup policy): the next segment starts at or below the log
 *    start offset (DeleteRecords moved it);
 * 2. retention.bytes: delete while `size - segmentSize ≥ retention.bytes` still holds;
 * 3. retention.ms: `now - segment.largestTimestamp > retention.ms` (largest record timestamp, not
 *    the file time).
 * In every pass a segment qualifies only if it lies wholly below the HW (its next segment's base
 * offset, or the LEO for the last one, is ≤ HW), so the log start can never pass the HW; and an
 * empty last segment is never deleted. A non-empty active segment can be deleted (Kafka rolls a new
 * empty one first), which happens only once the HW has reached the LEO.
 *
 * Simplified: segments go at once (Kafka renames them `.deleted` and removes the files
 * file.delete.delay.ms later); no remote (tiered) storage. Faults: none of its own.
 */
import { assertSafeInt } from "../../engine/assert.ts";
import type { PartitionLog } from "./partition-log.ts";
import { msToUsCapped, type Segment, segmentLargestTimestampUs } from "./segment.ts";

export interface RetentionPolicy {
  readonly nowUs: number;
  /** retention.ms; -1 means no time limit. Kafka default 604800000 (7 days). */
  readonly retentionMs: number;
  /** retention.bytes, per partition; -1 means no size limit (the default). */
  readonly retentionBytes: number;
  /** cleanup.policy includes "delete" (default true); otherwise only the log-start pass runs. */
  readonly deleteEnabled?: boolean;
}

export type RetentionReason = "log-start-offset" | "retention.bytes" | "retention.ms";

export interface DeletableSegment {
  readonly baseOffset: number;
  /** The next segment's base offset, or the LEO for the last segment. */
  readonly endOffset: number;
  readonly bytes: number;
  readonly largestTimestampUs: number;
  readonly reason: RetentionReason;
}

export interface RetentionResult {
  readonly deleted: readonly DeletableSegment[];
  readonly logStartOffset: number;
  /** The active segment was among the deleted, so a new empty one was rolled. */
  readonly rolled: boolean;
}

/** The oldest segments that retention would delete now, in order, each with its reason. */
export function deletableSegments(log: PartitionLog, policy: RetentionPolicy): DeletableSegment[] {
  assertSafeInt(policy.nowUs, "retention time");
  const segs = log.segmentList();
  const hw = log.highWatermark;
  const out: DeletableSegment[] = [];
  let next = 0;

  const walk = (
    reason: RetentionReason,
    qualifies: (segment: Readonly<Segment>, following: Readonly<Segment> | undefined) => boolean,
  ): void => {
    while (next < segs.length) {
      const segment = segs[next]!;
      const following = segs[next + 1];
      const endOffset = following === undefined ? log.logEndOffset : following.baseOffset;
      const lastAndEmpty = following === undefined && segment.batches.length === 0;
      // Same order as Kafka: the HW bound first, so a size pass does not count a segment it skips.
      if (!(hw >= endOffset && qualifies(segment, following) && !lastAndEmpty)) return;
      out.push({
        baseOffset: segment.baseOffset,
        endOffset,
        bytes: segment.bytes,
        largestTimestampUs: segmentLargestTimestampUs(segment),
        reason,
      });
      next++;
    }
  };

  walk(
    "log-start-offset",
    (_s, following) => following !== undefined && following.baseOffset <= log.logStartOffset,
  );
  if (policy.deleteEnabled === false) return out;

  if (policy.retentionBytes >= 0) {
    let size = 0;
    for (let i = next; i < segs.length; i++) size += segs[i]!.bytes;
    if (size >= policy.retentionBytes) {
      let excess = size - policy.retentionBytes;
      walk("retention.bytes", (segment) => {
        if (excess - segment.bytes < 0) return false;
        excess -= segment.bytes;
        return true;
      });
    }
  }

  if (policy.retentionMs >= 0) {
    const retentionUs = msToUsCapped(policy.retentionMs);
    walk(
      "retention.ms",
      (segment) => policy.nowUs - segmentLargestTimestampUs(segment) > retentionUs,
    );
  }
  return out;
}

/** Deletes what `deletableSegments` names and moves the log start; returns what went, for the trace. */
export function applyRetention(log: PartitionLog, policy: RetentionPolicy): RetentionResult {
  const deleted = deletableSegments(log, policy);
  if (deleted.length === 0) return { deleted, logStartOffset: log.logStartOffset, rolled: false };
  const { rolled } = log.deleteOldestSegments(deleted.length, policy.nowUs);
  return { deleted, logStartOffset: log.logStartOffset, rolled };
}
