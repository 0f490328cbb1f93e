/**
 * Retention (cleanup.policy=delete): the three passes of UnifiedLog.deleteOldSegments, the HW bound,
 * the empty-last-segment rule, and scenario S19 of the Kafka reference (§10): retention deletes data
 * a stopped consumer had not read yet, and the log start moves past its committed offset.
 */
import { describe, expect, it } from "vitest";
import { type NewBatch, PartitionLog } from "../../sim/kafka/log/partition-log.ts";
import { applyRetention, deletableSegments } from "../../sim/kafka/log/retention.ts";

const SECOND_US = 1_000_000;

function nb(tsUs: number, bytes = 100): NewBatch {
  return {
    count: 1,
    bytes,
    firstTimestampUs: tsUs,
    maxTimestampUs: tsUs,
    producerId: -1,
    producerEpoch: -1,
    baseSequence: -1,
    isTransactional: false,
    isControl: false,
  };
}

/**
 * S19's producer: one single-record batch per second for 300 s (t = 0 … 299 s), segment.ms = 10 s.
 * A segment rolls when a record is more than 10 s newer than its first one, so segment j holds the
 * records of seconds 11j … 11j+10 (base offset 11j); segment 27 (base 297) is the active one.
 */
function steadyProducer(hwFollowsLeo: boolean): PartitionLog {
  const log = new PartitionLog({ segmentMs: 10_000 });
  for (let s = 0; s < 300; s++) {
    log.append(nb(s * SECOND_US), 0, s * SECOND_US);
    if (hwFollowsLeo) log.setHighWatermark(log.logEndOffset);
  }
  return log;
}

describe("kafka: retention: S19 retention deletes unconsumed data", () => {
  it("segments roll every 11 records under segment.ms = 10 s", () => {
    const log = steadyProducer(true);
    const segs = log.segments();
    expect(segs.length).toBe(28);
    expect(segs[1]?.baseOffset).toBe(11);
    expect(segs[27]?.baseOffset).toBe(297);
  });

  it("at 300 s with retention.ms = 60 s, segments 0–20 go and the log start passes offset 0", () => {
    const log = steadyProducer(true);
    const nowUs = 300 * SECOND_US;
    // Segment j's largest timestamp is 11j+10 s; it goes while 300 - (11j+10) > 60, i.e. j ≤ 20.
    const result = applyRetention(log, { nowUs, retentionMs: 60_000, retentionBytes: -1 });
    expect(result.deleted.length).toBe(21);
    expect(result.deleted.every((d) => d.reason === "retention.ms")).toBe(true);
    expect(result.deleted[20]).toMatchObject({ baseOffset: 220, endOffset: 231 });
    expect(result.logStartOffset).toBe(231);
    expect(result.rolled).toBe(false);
    // The stopped consumer's committed offset 0 is now below the log start: OFFSET_OUT_OF_RANGE.
    expect(0 < log.logStartOffset).toBe(true);
    // auto.offset.reset=earliest reads from the new log start.
    expect(log.read(log.logStartOffset, 1000, log.highWatermark).batches[0]?.baseOffset).toBe(231);
    // The active segment is untouched: it holds records of the last 3 s.
    expect(log.activeSegment.baseOffset).toBe(297);
    expect(log.segmentCount).toBe(7);
    log.validate();
  });

  it("never deletes a segment that is not wholly below the HW", () => {
    const log = steadyProducer(false);
    log.setHighWatermark(100);
    // All 21 would qualify by time, but segment j needs its next base 11(j+1) ≤ 100: j ≤ 8.
    const deleted = deletableSegments(log, {
      nowUs: 300 * SECOND_US,
      retentionMs: 60_000,
      retentionBytes: -1,
    });
    expect(deleted.map((d) => d.baseOffset)).toEqual([0, 11, 22, 33, 44, 55, 66, 77, 88]);
    applyRetention(log, { nowUs: 300 * SECOND_US, retentionMs: 60_000, retentionBytes: -1 });
    expect(log.logStartOffset).toBe(99);
    expect(log.logStartOffset).toBeLessThanOrEqual(log.highWatermark);
  });

  it("stops at the first segment that does not qualify, even if later ones would", () => {
    // Segment 0 has a record from the future (t = 1000 s); segment 1 is old. Nothing goes.
    const log = new PartitionLog();
    log.append(nb(1000 * SECOND_US), 0, 0);
    log.roll(0);
    log.append(nb(0), 0, 0);
    log.roll(0);
    log.append(nb(0), 0, 0);
    log.setHighWatermark(3);
    const deleted = deletableSegments(log, {
      nowUs: 500 * SECOND_US,
      retentionMs: 60_000,
      retentionBytes: -1,
    });
    expect(deleted).toEqual([]);
  });
});

describe("kafka: retention: the active segment", () => {
  it("an idle log whose records all expired loses its active segment after a roll, as Kafka does", () => {
    const log = new PartitionLog();
    log.append(nb(0), 0, 0);
    log.append(nb(SECOND_US), 0, SECOND_US);
    log.setHighWatermark(2);
    const nowUs = 120 * SECOND_US;
    const result = applyRetention(log, { nowUs, retentionMs: 60_000, retentionBytes: -1 });
    expect(result.deleted.map((d) => [d.baseOffset, d.endOffset])).toEqual([[0, 2]]);
    expect(result.rolled).toBe(true);
    expect(log.logStartOffset).toBe(2);
    expect(log.segments()).toMatchObject([{ baseOffset: 2, bytes: 0, closed: false }]);
    expect(log.epochCache.text()).toBe("{e0:2}");
    // The new active segment is empty: it is never deleted.
    expect(applyRetention(log, { nowUs, retentionMs: 0, retentionBytes: 0 }).deleted).toEqual([]);
    log.validate();
  });

  it("an expired active segment stays while the HW is below the LEO", () => {
    const log = new PartitionLog();
    log.append(nb(0), 0, 0);
    log.append(nb(0), 0, 0);
    log.setHighWatermark(1);
    const deleted = deletableSegments(log, {
      nowUs: 120 * SECOND_US,
      retentionMs: 60_000,
      retentionBytes: -1,
    });
    expect(deleted).toEqual([]);
  });
});

describe("kafka: retention: by size and by log start", () => {
  /** Five 100-byte batches, one per segment (segment.bytes = 100); HW at the LEO. */
  function fiveSegments(): PartitionLog {
    const log = new PartitionLog({ segmentBytes: 100 });
    for (let i = 0; i < 5; i++) log.append(nb(i * SECOND_US), 0, 0);
    log.setHighWatermark(5);
    return log;
  }

  it("deletes oldest segments while size - segmentSize ≥ retention.bytes", () => {
    const log = fiveSegments();
    // 500 bytes, limit 250: excess 250 → 150 → 50; the third segment (100) would overshoot.
    const result = applyRetention(log, { nowUs: 0, retentionMs: -1, retentionBytes: 250 });
    expect(result.deleted.map((d) => [d.baseOffset, d.reason])).toEqual([
      [0, "retention.bytes"],
      [1, "retention.bytes"],
    ]);
    expect(log.sizeBytes).toBe(300);
    expect(log.logStartOffset).toBe(2);
  });

  it("a size exactly at the limit deletes nothing more than the excess allows", () => {
    const log = fiveSegments();
    expect(deletableSegments(log, { nowUs: 0, retentionMs: -1, retentionBytes: 500 })).toEqual([]);
    expect(deletableSegments(log, { nowUs: 0, retentionMs: -1, retentionBytes: 400 }).length).toBe(
      1,
    );
  });

  it("DeleteRecords' log start drops the segments wholly below it, even without delete policy", () => {
    const log = fiveSegments();
    log.setLogStartOffset(2);
    expect(log.segmentCount).toBe(5); // not yet: Kafka deletes them at the retention check
    const result = applyRetention(log, {
      nowUs: 0,
      retentionMs: 0,
      retentionBytes: 0,
      deleteEnabled: false,
    });
    expect(result.deleted.map((d) => [d.baseOffset, d.reason])).toEqual([
      [0, "log-start-offset"],
      [1, "log-start-offset"],
    ]);
    expect(log.logStartOffset).toBe(2);
    log.validate();
  });

  it("runs the passes in Kafka's order: log start, then size, then time", () => {
    const log = fiveSegments();
    log.setLogStartOffset(1);
    // Log start takes segment 0; size (400 left, limit 300) takes segment 1; time (records at
    // 2, 3, 4 s; now 64 s; retention 61 s) takes segment 2 (64-2 = 62 > 61) but not 3 (61).
    const result = applyRetention(log, {
      nowUs: 64 * SECOND_US,
      retentionMs: 61_000,
      retentionBytes: 300,
    });
    expect(result.deleted.map((d) => d.reason)).toEqual([
      "log-start-offset",
      "retention.bytes",
      "retention.ms",
    ]);
    expect(log.logStartOffset).toBe(3);
  });
});
