/**
 * The partition replica's log: appends (leader and follower), segment rolls, reads, truncation,
 * power loss, watermarks and the log start; then fast-check properties that random appends,
 * truncations, rolls, retention and compaction keep every invariant, that the log matches a plain
 * list of batches, and that read() returns contiguous offsets starting at or before the requested
 * one.
 *
 * The fast-check seed is fixed and printed (set FC_SEED=<n> to explore others).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SimAssertionError } from "../../sim/engine/assert.ts";
import { compact } from "../../sim/kafka/log/compaction.ts";
import { type NewBatch, PartitionLog } from "../../sim/kafka/log/partition-log.ts";
import { applyRetention } from "../../sim/kafka/log/retention.ts";
import { batchEndOffset, batchHasOffset } from "../../sim/kafka/log/segment.ts";
import type { RecordBatch } from "../../sim/kafka/types.ts";

const SEED = Number(process.env.FC_SEED ?? 20_250_611);
const NUM_RUNS = Number(process.env.FC_RUNS ?? 300);
console.log(`partition-log: fast-check seed=${SEED} numRuns=${NUM_RUNS}`);

function nb(
  count: number,
  bytes = 100,
  tsUs = 0,
  keys?: string[],
  values?: (string | null)[],
): NewBatch {
  return {
    count,
    bytes,
    firstTimestampUs: tsUs,
    maxTimestampUs: tsUs,
    producerId: -1,
    producerEpoch: -1,
    baseSequence: -1,
    isTransactional: false,
    isControl: false,
    ...(keys === undefined ? {} : { keys, values: values ?? keys.map((k) => `${k}-v`) }),
  };
}

function bases(log: PartitionLog): number[] {
  const out: number[] = [];
  log.forEachBatch((b) => out.push(b.baseOffset));
  return out;
}

describe("kafka: partition log: appends", () => {
  it("the leader assigns contiguous offsets from LEO and stamps its epoch", () => {
    const log = new PartitionLog();
    const a = log.append(nb(3), 0, 10).batch;
    const b = log.append(nb(2, 50), 0, 20).batch;
    const c = log.append(nb(1), 2, 30).batch;
    expect([a.baseOffset, b.baseOffset, c.baseOffset]).toEqual([0, 3, 5]);
    expect(c.leaderEpoch).toBe(2);
    expect(log.logEndOffset).toBe(6);
    expect(log.sizeBytes).toBe(250);
    expect(log.recordCount).toBe(6);
    expect(log.epochCache.text()).toBe("{e0:0, e2:5}");
    expect(log.highWatermark).toBe(0); // the broker moves it
    log.validate();
  });

  it("refuses a leader append with an epoch older than the log's", () => {
    const log = new PartitionLog();
    log.append(nb(1), 3, 0);
    expect(() => log.append(nb(1), 2, 0)).toThrow(SimAssertionError);
  });

  it("a follower keeps the leader's offsets, and must append at its LEO", () => {
    const leader = new PartitionLog();
    const follower = new PartitionLog();
    const b0 = leader.append(nb(2), 1, 0).batch;
    const b1 = leader.append(nb(2), 1, 0).batch;
    expect(() => follower.appendAsFollower(b1, 0)).toThrow(SimAssertionError); // skips 0..1
    follower.appendAsFollower(b0, 0);
    follower.appendAsFollower(b1, 0);
    expect(bases(follower)).toEqual([0, 2]);
    expect(follower.epochCache.text()).toBe("{e1:0}");
  });

  it("a follower of a compacted topic accepts a batch past its LEO (a hole the leader cleaned)", () => {
    const follower = new PartitionLog({ compacted: true });
    const batch: RecordBatch = { ...nb(1, 100, 0, ["k"]), baseOffset: 4, leaderEpoch: 0 };
    follower.appendAsFollower(batch, 0);
    expect(follower.logEndOffset).toBe(5);
    expect(follower.holesBelowOffset).toBe(4);
    follower.validate();
  });
});

describe("kafka: partition log: segment roll (LogSegment.shouldRoll)", () => {
  it("rolls when the next batch would not fit in segment.bytes", () => {
    // 250-byte segments, 100-byte batches: the 3rd append sees size 200 > 250 - 100 and rolls.
    const log = new PartitionLog({ segmentBytes: 250 });
    expect(log.append(nb(1), 0, 0).rolled).toBeUndefined();
    expect(log.append(nb(1), 0, 0).rolled).toBeUndefined();
    expect(log.append(nb(1), 0, 0).rolled).toBe("segment.bytes");
    expect(log.segments().map((s) => [s.baseOffset, s.endOffset, s.closed])).toEqual([
      [0, 2, true],
      [2, 3, false],
    ]);
  });

  it("rolls when record time runs more than segment.ms past the segment's first batch", () => {
    // segment.ms = 10 ms = 10000 µs; first batch at 0 µs. 10000 - 0 is not > 10000; 10001 is.
    const log = new PartitionLog({ segmentMs: 10 });
    log.append(nb(1, 100, 0), 0, 0);
    log.append(nb(1, 100, 5000), 0, 5000);
    expect(log.append(nb(1, 100, 10_000), 0, 10_000).rolled).toBeUndefined();
    expect(log.append(nb(1, 100, 10_001), 0, 10_001).rolled).toBe("segment.ms");
    expect(log.activeSegment.baseOffset).toBe(3);
  });

  it("an empty active segment never rolls", () => {
    const log = new PartitionLog();
    expect(log.roll(5)).toBe(false);
    log.append(nb(1), 0, 0);
    expect(log.roll(5)).toBe(true);
    expect(log.roll(6)).toBe(false);
    expect(log.segmentCount).toBe(2);
  });
});

describe("kafka: partition log: reads", () => {
  /** Batches [0,3) 100 B, [3,5) 300 B, [5,6) 100 B, [6,8) 100 B; segments roll by hand at 5. */
  function sample(): PartitionLog {
    const log = new PartitionLog();
    log.append(nb(3, 100), 0, 0);
    log.append(nb(2, 300), 0, 0);
    log.roll(0);
    log.append(nb(1, 100), 0, 0);
    log.append(nb(2, 100), 0, 0);
    log.setHighWatermark(6);
    return log;
  }

  it("starts at the batch containing the offset and stops before maxBytes is exceeded", () => {
    const log = sample();
    // From 1: the batch [0,3) (100 B); [3,5) would make 400 > 350.
    const r = log.read(1, 350, log.logEndOffset);
    expect(r.batches.map((b) => b.baseOffset)).toEqual([0]);
    expect(r.bytes).toBe(100);
  });

  it("returns one batch larger than maxBytes when minOneBatch, none otherwise", () => {
    const log = sample();
    expect(log.read(3, 10, 8).batches.map((b) => b.baseOffset)).toEqual([3]);
    expect(log.read(3, 10, 8, false).batches).toEqual([]);
  });

  it("stays within one segment and below the bound (HW)", () => {
    const log = sample();
    // Segment 0 holds [0,3) and [3,5): the read stops at its end even with room left.
    expect(log.read(0, 10_000, 8).batches.map((b) => b.baseOffset)).toEqual([0, 3]);
    // Up to HW 6: [5,6) ends at 6 and is in; [6,8) ends at 8 > 6 and is not.
    expect(log.read(5, 10_000, log.highWatermark).batches.map((b) => b.baseOffset)).toEqual([5]);
    // At HW itself nothing is readable yet; at LEO the result is empty.
    expect(log.read(6, 10_000, 6).batches).toEqual([]);
    expect(log.read(8, 10_000, 8).batches).toEqual([]);
  });

  it("refuses offsets outside [logStart, LEO] (the broker answers OFFSET_OUT_OF_RANGE)", () => {
    const log = sample();
    expect(() => log.read(9, 100, 8)).toThrow(SimAssertionError);
    log.setLogStartOffset(4);
    expect(() => log.read(3, 100, 8)).toThrow(SimAssertionError);
    // From 4 the batch [3,5) comes back whole; the consumer skips offset 3.
    expect(log.read(4, 100, 8).batches[0]?.baseOffset).toBe(3);
  });

  it("batchAt and batchBoundaryAtOrBelow find the batch holding an offset", () => {
    const log = sample();
    expect(log.batchAt(4)?.baseOffset).toBe(3);
    expect(log.batchAt(8)).toBeUndefined();
    expect(log.batchBoundaryAtOrBelow(4)).toBe(3);
    expect(log.batchBoundaryAtOrBelow(5)).toBe(5);
    expect(log.batchBoundaryAtOrBelow(100)).toBe(8);
  });
});

describe("kafka: partition log: truncation and power loss", () => {
  function fiveBatches(): PartitionLog {
    const log = new PartitionLog({ segmentBytes: 200 }); // two 100-byte batches per segment
    for (let i = 0; i < 5; i++) log.append(nb(2), i < 3 ? 0 : 1, 0);
    return log; // batches at 0,2,4,6,8; segments at 0,4,8; epochs {e0:0, e1:6}; LEO 10
  }

  it("truncateTo removes whole batches, reopens the last segment and clamps HW and flushed", () => {
    const log = fiveBatches();
    log.setHighWatermark(8);
    log.markFlushed(10);
    expect(log.segments().map((s) => s.baseOffset)).toEqual([0, 4, 8]);
    const removed = log.truncateTo(6);
    expect(removed.map((b) => b.baseOffset)).toEqual([6, 8]);
    expect(log.logEndOffset).toBe(6);
    expect(log.highWatermark).toBe(6); // HW = min(8, 6)
    expect(log.flushedOffset).toBe(6);
    expect(log.segments().map((s) => [s.baseOffset, s.closed])).toEqual([
      [0, true],
      [4, false],
    ]);
    expect(log.epochCache.text()).toBe("{e0:0}"); // e1 started at 6
    expect(log.sizeBytes).toBe(300);
    log.validate();
    expect(log.truncateTo(6)).toEqual([]); // at LEO: nothing
  });

  it("refuses a truncation point inside a batch", () => {
    const log = fiveBatches();
    expect(() => log.truncateTo(5)).toThrow(SimAssertionError);
  });

  it("truncateFullyAndStartAt empties the log and moves every offset to the new start", () => {
    const log = fiveBatches();
    expect(log.truncateFullyAndStartAt(42, 7).length).toBe(5);
    expect([log.logStartOffset, log.highWatermark, log.logEndOffset, log.flushedOffset]).toEqual([
      42, 42, 42, 42,
    ]);
    expect(log.epochCache.size).toBe(0);
    log.append(nb(1), 3, 8);
    expect(bases(log)).toEqual([42]);
    log.validate();
  });

  it("losePowerTail drops what was not flushed, down to a batch boundary", () => {
    const log = fiveBatches();
    log.setHighWatermark(4);
    log.markFlushed(5); // mid-batch [4,6): recovery drops that torn batch too
    const lost = log.losePowerTail();
    expect(lost.map((b) => b.baseOffset)).toEqual([4, 6, 8]);
    expect(log.logEndOffset).toBe(4);
    expect(log.highWatermark).toBe(4);
    expect(log.flushedOffset).toBe(4);
    log.validate();
  });

  it("a fully flushed log loses nothing", () => {
    const log = fiveBatches();
    log.markFlushed(10);
    expect(log.losePowerTail()).toEqual([]);
    expect(log.logEndOffset).toBe(10);
  });
});

describe("kafka: partition log: watermarks and the log start", () => {
  it("setHighWatermark asserts logStart ≤ HW ≤ LEO; the clamped form clamps like Kafka", () => {
    const log = new PartitionLog();
    log.append(nb(4), 0, 0);
    expect(() => log.setHighWatermark(5)).toThrow(SimAssertionError);
    log.setHighWatermark(4);
    log.setLogStartOffset(2);
    expect(() => log.setHighWatermark(1)).toThrow(SimAssertionError);
    expect(log.updateHighWatermarkClamped(9)).toBe(4);
    expect(log.updateHighWatermarkClamped(0)).toBe(2);
  });

  it("markFlushed never lowers the flushed offset and never passes LEO", () => {
    const log = new PartitionLog();
    log.append(nb(4), 0, 0);
    log.markFlushed(3);
    log.markFlushed(1);
    expect(log.flushedOffset).toBe(3);
    expect(() => log.markFlushed(5)).toThrow(SimAssertionError);
  });

  it("setLogStartOffset moves within a segment, never past HW, and trims the epoch cache", () => {
    const log = new PartitionLog();
    log.append(nb(2), 0, 0);
    log.append(nb(2), 1, 0);
    log.setHighWatermark(3);
    expect(() => log.setLogStartOffset(4)).toThrow(SimAssertionError);
    expect(log.setLogStartOffset(3)).toBe(true);
    expect(log.setLogStartOffset(1)).toBe(false); // never backwards
    expect(log.logStartOffset).toBe(3);
    expect(log.epochCache.text()).toBe("{e1:3}");
    expect(log.segmentCount).toBe(1); // the segment goes at the next retention pass
  });
});

// ---------------------------------------------------------------------------------------------
// Properties

type Op =
  | {
      readonly op: "append";
      readonly count: number;
      readonly bytes: number;
      readonly bump: boolean;
    }
  | { readonly op: "hw"; readonly pick: number }
  | { readonly op: "flush"; readonly pick: number }
  | { readonly op: "truncate"; readonly pick: number }
  | { readonly op: "power" }
  | { readonly op: "roll" }
  | { readonly op: "logStart"; readonly pick: number }
  | { readonly op: "full"; readonly pick: number }
  | { readonly op: "retention"; readonly bytes: number }
  | { readonly op: "compact" };

const pick = fc.integer({ min: 0, max: 1_000_000 });
const coreOps: fc.Arbitrary<Op>[] = [
  fc
    .record({
      count: fc.integer({ min: 1, max: 5 }),
      bytes: fc.integer({ min: 0, max: 300 }),
      bump: fc.boolean(),
    })
    .map((r) => ({ op: "append", ...r }) as const),
  pick.map((p) => ({ op: "hw", pick: p }) as const),
  pick.map((p) => ({ op: "flush", pick: p }) as const),
  pick.map((p) => ({ op: "truncate", pick: p }) as const),
  fc.constant({ op: "power" } as const),
  fc.constant({ op: "roll" } as const),
  pick.map((p) => ({ op: "logStart", pick: p }) as const),
];
const opArb = fc.oneof(
  { weight: 6, arbitrary: coreOps[0]! },
  ...coreOps.slice(1).map((arbitrary) => ({ weight: 1, arbitrary })),
  { weight: 1, arbitrary: pick.map((p) => ({ op: "full", pick: p }) as const) },
);
const opArbWithCleaning = fc.oneof(
  opArb,
  fc.integer({ min: 0, max: 2000 }).map((b) => ({ op: "retention", bytes: b }) as const),
  fc.constant({ op: "compact" } as const),
);

/** A value in [lo, hi] chosen by `p`. */
function within(p: number, lo: number, hi: number): number {
  return lo + (p % (hi - lo + 1));
}

/** Checks a read: contiguous (or holes only below holesBelow), from at or before `from`, bounded. */
function checkRead(log: PartitionLog, from: number, maxBytes: number, upTo: number): void {
  const r = log.read(from, maxBytes, upTo);
  let bytes = 0;
  let prevEnd: number | undefined;
  for (const b of r.batches) {
    if (prevEnd === undefined) {
      // The first batch holds `from`, or follows a compaction hole that holds it.
      expect(batchEndOffset(b)).toBeGreaterThan(from);
      if (b.baseOffset > from) expect(b.baseOffset).toBeLessThanOrEqual(log.holesBelowOffset);
    } else if (b.baseOffset !== prevEnd) {
      expect(b.baseOffset).toBeLessThanOrEqual(log.holesBelowOffset);
    }
    expect(batchEndOffset(b)).toBeLessThanOrEqual(upTo);
    prevEnd = batchEndOffset(b);
    bytes += b.bytes;
  }
  expect(r.bytes).toBe(bytes);
  if (r.batches.length > 1) expect(bytes).toBeLessThanOrEqual(maxBytes);
}

interface Driver {
  readonly log: PartitionLog;
  /** The model: the batches in order, as a plain list (no segments, no cleaning). */
  model: RecordBatch[];
  epoch: number;
  nowUs: number;
  checkpoint: number | undefined;
  keysSeen: Map<number, string>;
}

function apply(d: Driver, op: Op, withCleaning: boolean): void {
  const { log } = d;
  d.nowUs += 1000;
  switch (op.op) {
    case "append": {
      if (op.bump) d.epoch++;
      const leo = log.logEndOffset;
      const keys = Array.from({ length: op.count }, (_, i) => `k${(leo + i) % 7}`);
      // Every fifth offset is a tombstone, so compaction has deletes to expire.
      const values = keys.map((k, i) => ((leo + i) % 5 === 0 ? null : `${k}-v`));
      const { batch } = log.append(nb(op.count, op.bytes, d.nowUs, keys, values), d.epoch, d.nowUs);
      d.model.push(batch);
      for (let i = 0; i < op.count; i++) d.keysSeen.set(batch.baseOffset + i, keys[i]!);
      return;
    }
    case "hw":
      // Half the time the HW catches up with the LEO, as it does on a healthy leader.
      log.setHighWatermark(
        op.pick % 2 === 0
          ? log.logEndOffset
          : within(op.pick, log.logStartOffset, log.logEndOffset),
      );
      return;
    case "flush":
      log.markFlushed(within(op.pick, 0, log.logEndOffset));
      return;
    case "truncate": {
      const target = log.batchBoundaryAtOrBelow(within(op.pick, 0, log.logEndOffset));
      log.truncateTo(target);
      d.model = d.model.filter((b) => b.baseOffset < target);
      return;
    }
    case "power": {
      const lost = log.losePowerTail();
      const lostSet = new Set(lost);
      d.model = d.model.filter((b) => !lostSet.has(b));
      return;
    }
    case "roll":
      log.roll(d.nowUs);
      return;
    case "logStart":
      log.setLogStartOffset(within(op.pick, 0, log.highWatermark));
      return;
    case "full": {
      const start = log.logEndOffset + (op.pick % 3);
      log.truncateFullyAndStartAt(start, d.nowUs);
      d.model = [];
      return;
    }
    case "retention":
      if (!withCleaning) return;
      applyRetention(log, { nowUs: d.nowUs, retentionMs: -1, retentionBytes: op.bytes });
      return;
    case "compact": {
      if (!withCleaning) return;
      const result = compact(log, {
        nowUs: d.nowUs,
        lastStableOffset: log.highWatermark,
        minCleanableDirtyRatio: 0.2,
        deleteRetentionMs: 1,
        minCompactionLagMs: 0,
        cleanerCheckpoint: d.checkpoint,
      });
      d.checkpoint = result.cleanerCheckpoint;
      return;
    }
  }
}

function checkAgainstModel(d: Driver): void {
  const actual: RecordBatch[] = [];
  d.log.forEachBatch((b) => actual.push(b));
  // Retention may have dropped a prefix of the model; otherwise the two lists match exactly.
  const first = actual[0];
  const skip = first === undefined ? d.model.length : d.model.indexOf(first);
  expect(skip).toBeGreaterThanOrEqual(0);
  expect(actual).toEqual(d.model.slice(skip));
}

describe("kafka: partition log: properties", () => {
  it(`random appends, truncations, rolls and power losses keep every invariant (seed ${SEED})`, () => {
    fc.assert(
      fc.property(
        fc.array(opArb, { maxLength: 80 }),
        fc.array(fc.tuple(pick, fc.integer({ min: 0, max: 700 }), fc.boolean()), {
          minLength: 1,
          maxLength: 4,
        }),
        (ops, reads) => {
          const d: Driver = {
            log: new PartitionLog({ segmentBytes: 400, segmentMs: 5 }),
            model: [],
            epoch: 0,
            nowUs: 0,
            checkpoint: undefined,
            keysSeen: new Map(),
          };
          for (const op of ops) {
            apply(d, op, false);
            d.log.validate();
            checkAgainstModel(d);
            for (const [p, maxBytes, toHw] of reads) {
              const from = within(p, d.log.logStartOffset, d.log.logEndOffset);
              const upTo = toHw ? d.log.highWatermark : d.log.logEndOffset;
              checkRead(d.log, from, maxBytes, upTo);
            }
          }
          // Under these ops no holes exist: the log is the model, offset for offset.
          expect(d.log.holesBelowOffset).toBeLessThanOrEqual(d.log.logStartOffset);
        },
      ),
      { seed: SEED, numRuns: NUM_RUNS },
    );
  });

  it(`with retention and compaction too, offsets never change and reads stay ordered (seed ${SEED})`, () => {
    fc.assert(
      fc.property(fc.array(opArbWithCleaning, { maxLength: 80 }), pick, (ops, readPick) => {
        const d: Driver = {
          log: new PartitionLog({ segmentBytes: 400, segmentMs: 5, compacted: true }),
          model: [],
          epoch: 0,
          nowUs: 0,
          checkpoint: undefined,
          keysSeen: new Map(),
        };
        for (const op of ops) {
          apply(d, op, true);
          d.log.validate();
          // Every surviving record still sits at the offset it was appended at, with its key.
          d.log.forEachRecord((offset, batch, index) => {
            expect(batch.keys?.[index]).toBe(d.keysSeen.get(offset));
            expect(batchHasOffset(batch, offset)).toBe(true);
          });
          const from = within(readPick, d.log.logStartOffset, d.log.logEndOffset);
          checkRead(d.log, from, 500, d.log.highWatermark);
        }
      }),
      { seed: SEED + 1, numRuns: NUM_RUNS },
    );
  });
});
