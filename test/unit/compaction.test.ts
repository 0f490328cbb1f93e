/**
 * Compaction (cleanup.policy=compact): the cleanable range and dirty ratio of LogCleanerManager,
 * the latest-value-per-key rule, KIP-534 tombstone expiry, sparse batches that keep their offsets,
 * segment regrouping, and scenario S20 of the Kafka reference (§10): a slow reader misses a delete.
 */
import { describe, expect, it } from "vitest";
import { SimAssertionError } from "../../sim/engine/assert.ts";
import {
  type CompactionPolicy,
  cleanableRange,
  cleanedBatchBytes,
  compact,
} from "../../sim/kafka/log/compaction.ts";
import { type NewBatch, PartitionLog } from "../../sim/kafka/log/partition-log.ts";
import { batchHasOffset } from "../../sim/kafka/log/segment.ts";

const HOUR_US = 3_600_000_000;
const DAY_MS = 86_400_000;

/** A batch of records "key=value" ("key=" alone is a tombstone), 100 bytes per record. */
function kv(records: string[], tsUs = 0): NewBatch {
  const keys = records.map((r) => r.split("=")[0]!);
  const values = records.map((r) => {
    const v = r.split("=")[1]!;
    return v === "" ? null : v;
  });
  return {
    count: records.length,
    bytes: 100 * records.length,
    firstTimestampUs: tsUs,
    maxTimestampUs: tsUs,
    producerId: -1,
    producerEpoch: -1,
    baseSequence: -1,
    isTransactional: false,
    isControl: false,
    keys,
    values,
  };
}

function policy(log: PartitionLog, over: Partial<CompactionPolicy> = {}): CompactionPolicy {
  return {
    nowUs: 0,
    lastStableOffset: log.highWatermark,
    minCleanableDirtyRatio: 0.5,
    deleteRetentionMs: DAY_MS,
    minCompactionLagMs: 0,
    cleanerCheckpoint: undefined,
    ...over,
  };
}

/** "offset:key=value" for every record present, oldest first. */
function view(log: PartitionLog): string[] {
  const out: string[] = [];
  log.forEachRecord((offset, batch, i) => {
    out.push(`${offset}:${batch.keys?.[i]}=${batch.values?.[i] ?? ""}`);
  });
  return out;
}

function appendAll(log: PartitionLog, records: string[], nowUs = 0): void {
  for (const r of records) log.append(kv([r], nowUs), 0, nowUs);
  log.setHighWatermark(log.logEndOffset);
}

/** A consumer's materialized view: applies records from `from` up to the HW. */
function consume(log: PartitionLog, state: Map<string, string>, from: number): number {
  let position = from;
  while (position < log.highWatermark) {
    const { batches } = log.read(position, 1 << 20, log.highWatermark);
    if (batches.length === 0) break;
    for (const batch of batches) {
      // Records below the position in the first batch are skipped, as a consumer does.
      const keys = batch.keys ?? [];
      const offsets = batch.offsets ?? keys.map((_, i) => batch.baseOffset + i);
      offsets.forEach((offset, i) => {
        if (offset < position) return;
        const value = batch.values?.[i];
        if (value === null || value === undefined) state.delete(keys[i]!);
        else state.set(keys[i]!, value);
      });
      position = batch.baseOffset + batch.count;
    }
  }
  return position;
}

describe("kafka: compaction: S20 tombstone missed by a slow reader", () => {
  /**
   * K=v1 at 0, other keys at 1–4, K=null at 5, more at 6–7; roll; G at 8 in the active segment.
   * Cleaning at t0 = 1 h: the dirty range is [0, 8) (the active segment starts at 8).
   */
  const t0 = HOUR_US;
  function s20(): PartitionLog {
    const log = new PartitionLog({ compacted: true });
    appendAll(log, ["K=v1", "A=a1", "B=b1", "C=c1", "D=d1", "K=", "E=e1", "F=f1"]);
    log.roll(0);
    appendAll(log, ["G=g1"]);
    return log;
  }

  it("the first cleaning removes v1, keeps the tombstone and every offset", () => {
    const log = s20();
    const result = compact(log, policy(log, { nowUs: t0 }));
    // Clean bytes 0, dirty 800 (segment [0, 8)): ratio 1 > 0.5.
    expect(result.range).toMatchObject({
      firstDirtyOffset: 0,
      firstUncleanableOffset: 8,
      cleanBytes: 0,
      dirtyBytes: 800,
      dirtyRatio: 1,
    });
    expect(result).toMatchObject({ cleaned: true, cleanerCheckpoint: 8, removedRecords: 1 });
    expect(result.removedTombstones).toBe(0);
    expect(view(log)).toEqual([
      "1:A=a1",
      "2:B=b1",
      "3:C=c1",
      "4:D=d1",
      "5:K=",
      "6:E=e1",
      "7:F=f1",
      "8:G=g1",
    ]);
    // The tombstone's batch now carries its delete horizon: t0 + 24 h.
    expect(log.batchAt(5)?.deleteHorizonUs).toBe(t0 + 24 * HOUR_US);
    // A fetch at offset 0 continues at the next surviving offset.
    expect(log.read(0, 1 << 20, log.highWatermark).batches[0]?.baseOffset).toBe(1);
    expect(log.sizeBytes).toBe(800);
    log.validate();
  });

  /** After the first cleaning, 7 more records fill the segment at 8 (dirty 800 > clean 700). */
  function secondRound(): { log: PartitionLog; checkpoint: number | undefined } {
    const log = s20();
    const first = compact(log, policy(log, { nowUs: t0 }));
    appendAll(log, ["H=h1", "I=i1", "J=j1", "L=l1", "M=m1", "N=n1", "O=o1"]);
    log.roll(0);
    appendAll(log, ["P=p1"]);
    return { log, checkpoint: first.cleanerCheckpoint };
  }

  it("a cleaning before the horizon keeps the tombstone", () => {
    const { log, checkpoint } = secondRound();
    const nowUs = t0 + 24 * HOUR_US - 1;
    const result = compact(log, policy(log, { nowUs, cleanerCheckpoint: checkpoint }));
    // Clean: segment [0, 8) = 700 bytes; dirty: segment [8, 16) = 800; 800/1500 > 0.5.
    expect(result.range.cleanBytes).toBe(700);
    expect(result.range.dirtyBytes).toBe(800);
    expect(result).toMatchObject({ cleaned: true, removedRecords: 0, cleanerCheckpoint: 16 });
    expect(view(log)).toContain("5:K=");
  });

  it("a cleaning 24 h after the first removes the tombstone; the slow reader keeps K=v1", () => {
    const { log, checkpoint } = secondRound();
    // The slow consumer read offset 0 (K=v1) before the first cleaning, in the original log.
    const slow = new Map<string, string>([["K", "v1"]]);

    const nowUs = t0 + 24 * HOUR_US;
    const result = compact(log, policy(log, { nowUs, cleanerCheckpoint: checkpoint }));
    expect(result).toMatchObject({ cleaned: true, removedRecords: 1, removedTombstones: 1 });
    expect(view(log).some((r) => r.includes(":K="))).toBe(false);
    // A fetch at 5 continues at 6.
    expect(log.read(5, 1 << 20, log.highWatermark).batches[0]?.baseOffset).toBe(6);

    // The slow reader resumes at 1 and never sees the delete: its view still holds K=v1.
    consume(log, slow, 1);
    expect(slow.get("K")).toBe("v1");
    // A new reader from 0 sees neither v1 nor the tombstone.
    const fresh = new Map<string, string>();
    consume(log, fresh, 0);
    expect(fresh.has("K")).toBe(false);
    expect(fresh.get("P")).toBe("p1"); // the active segment is read, just never cleaned
    log.validate();
  });
});

describe("kafka: compaction: cleanable range", () => {
  /** Segments of two 100-byte records at 0, 2, 4; the active segment at 6 holds offset 6. */
  function threeSegments(): PartitionLog {
    const log = new PartitionLog({ compacted: true });
    for (let s = 0; s < 3; s++) {
      appendAll(log, [`a=${s}`, `b=${s}`]);
      log.roll(0);
    }
    appendAll(log, ["c=0"]);
    return log;
  }

  it("never cleans past the segment holding the LSO", () => {
    const log = threeSegments();
    const result = compact(log, policy(log, { lastStableOffset: 3 }));
    // LSO 3 lies in segment [2, 4): only segment [0, 2) is cleanable, and it holds a and b once.
    expect(result.range.firstUncleanableOffset).toBe(2);
    expect(result).toMatchObject({ cleaned: true, removedRecords: 0, cleanerCheckpoint: 2 });
  });

  it("cleans up to the active segment, keeping the last a and b", () => {
    const log = threeSegments();
    const result = compact(log, policy(log));
    expect(result.cleanerCheckpoint).toBe(6);
    expect(view(log)).toEqual(["4:a=2", "5:b=2", "6:c=0"]);
  });

  it("a dirty ratio of exactly min.cleanable.dirty.ratio does not clean (Kafka compares with >)", () => {
    const log = threeSegments();
    // Checkpoint at 4: clean = [0,2) + [2,4) = 400 bytes, dirty = [4,6) = 200: ratio 1/3.
    expect(cleanableRange(log, policy(log, { cleanerCheckpoint: 4 })).dirtyRatio).toBeCloseTo(
      1 / 3,
    );
    // Checkpoint at 2: clean 200, dirty 400: ratio 2/3 > 0.5 cleans; at min ratio 2/3 it does not.
    const range = cleanableRange(log, policy(log, { cleanerCheckpoint: 2 }));
    expect(range).toMatchObject({ cleanBytes: 200, dirtyBytes: 400, shouldClean: true });
    expect(
      compact(log, policy(log, { cleanerCheckpoint: 2, minCleanableDirtyRatio: 400 / 600 }))
        .cleaned,
    ).toBe(false);
  });

  it("a checkpoint outside [logStart, LEO] resets to the log start", () => {
    const log = threeSegments();
    expect(cleanableRange(log, policy(log, { cleanerCheckpoint: 99 })).firstDirtyOffset).toBe(0);
  });

  it("min.compaction.lag.ms keeps segments with recent records out", () => {
    const log = new PartitionLog({ compacted: true });
    appendAll(log, ["a=1", "a=2"], 0);
    log.roll(0);
    appendAll(log, ["a=3"], 50 * HOUR_US);
    log.roll(0);
    appendAll(log, ["b=1"], 50 * HOUR_US);
    // Lag 1 h at t = 50 h: segment [2, 3) (records at 50 h) is too young, so cleaning stops at 2.
    const result = compact(
      log,
      policy(log, { nowUs: 50 * HOUR_US, minCompactionLagMs: 3_600_000 }),
    );
    expect(result.range.firstUncleanableOffset).toBe(2);
    expect(view(log)).toEqual(["1:a=2", "2:a=3", "3:b=1"]);
  });

  it("max.compaction.lag.ms forces a cleaning below the dirty ratio", () => {
    const log = threeSegments();
    const base = policy(log, { cleanerCheckpoint: 4, nowUs: 10 * HOUR_US });
    expect(compact(log, base).cleaned).toBe(false);
    // The first dirty segment's first record is at 0 µs, older than now - 1 h.
    expect(compact(log, { ...base, maxCompactionLagMs: 3_600_000 }).cleaned).toBe(true);
  });
});

describe("kafka: compaction: batches and segments", () => {
  it("a cleaned batch keeps its base offset and span and lists its surviving offsets", () => {
    const log = new PartitionLog({ compacted: true });
    log.append(kv(["K=1", "A=1", "K=2", "B=1"]), 0, 0); // offsets 0..3, 400 bytes
    log.roll(0);
    log.append(kv(["C=1"]), 0, 0);
    log.setHighWatermark(5);
    compact(log, policy(log));
    const batch = log.batchAt(0)!;
    expect(batch).toMatchObject({ baseOffset: 0, count: 4, offsets: [1, 2, 3] });
    expect(batch.keys).toEqual(["A", "K", "B"]);
    expect(batch.values).toEqual(["1", "2", "1"]);
    // 61-byte header + 3/4 of the 339 record bytes rounded up (254.25 → 255).
    expect(batch.bytes).toBe(316);
    expect(batchHasOffset(batch, 0)).toBe(false);
    expect(batchHasOffset(batch, 2)).toBe(true);
    expect(log.recordCount).toBe(4);
    expect(log.read(0, 1000, 5).batches[0]).toBe(batch);
    log.validate();
  });

  it("cleaned batch sizes are exact integers", () => {
    expect(cleanedBatchBytes(400, 4, 4)).toBe(400);
    expect(cleanedBatchBytes(161, 1, 3)).toBe(61 + 34); // ceil(100 / 3)
    expect(cleanedBatchBytes(40, 1, 2)).toBe(40); // all header, nothing to shrink
  });

  it("regroups cleaned segments whose sizes fit in segment.bytes", () => {
    const log = new PartitionLog({ compacted: true, segmentBytes: 300 });
    for (const r of ["a=1", "a=2", "a=3"]) {
      appendAll(log, [r]);
      log.roll(0);
    }
    appendAll(log, ["b=1"]);
    const result = compact(log, policy(log));
    // Three 100-byte segments (300 ≤ segment.bytes) become one, named after the first.
    expect(result).toMatchObject({ segmentsBefore: 4, segmentsAfter: 2, removedRecords: 2 });
    expect(log.segments().map((s) => [s.baseOffset, s.bytes, s.closed])).toEqual([
      [0, 100, true],
      [3, 100, false],
    ]);
    log.validate();
  });

  it("refuses records without keys, and logs that are not compacted", () => {
    const keyless = new PartitionLog({ compacted: true });
    keyless.append({ ...kv(["a=1"]), keys: undefined, values: undefined }, 0, 0);
    keyless.roll(0);
    appendAll(keyless, ["b=1"]);
    expect(() => compact(keyless, policy(keyless))).toThrow(SimAssertionError);

    const plain = new PartitionLog();
    appendAll(plain, ["a=1"]);
    plain.roll(0);
    appendAll(plain, ["a=2"]);
    expect(() => compact(plain, policy(plain))).toThrow(SimAssertionError);
  });
});
