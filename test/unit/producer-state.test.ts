// kafka: producer state: the broker's duplicate and sequence checks for idempotent producers
// (ProducerStateManager: last 5 batches per producer id), and their rebuild after a truncation.
import { describe, expect, it } from "vitest";
import { PartitionLog } from "../../sim/kafka/log/partition-log.ts";
import {
  inSequence,
  lastSequenceOf,
  NUM_BATCHES_TO_RETAIN,
  ProducerStateManager,
} from "../../sim/kafka/log/producer-state.ts";
import type { RecordBatch } from "../../sim/kafka/types.ts";

function batch(
  producerId: number,
  producerEpoch: number,
  baseSequence: number,
  count: number,
): Omit<RecordBatch, "baseOffset" | "leaderEpoch"> {
  return {
    count,
    bytes: 100,
    firstTimestampUs: 0,
    maxTimestampUs: 0,
    producerId,
    producerEpoch,
    baseSequence,
    isTransactional: false,
    isControl: false,
  };
}

describe("kafka: producer state: sequence arithmetic", () => {
  it("wraps the last sequence after Integer.MAX_VALUE", () => {
    // base 2147483646 + 3 records: 2147483646, 2147483647, 0 → last is 0.
    expect(lastSequenceOf(2147483646, 3)).toBe(0);
    expect(lastSequenceOf(5, 3)).toBe(7);
    expect(inSequence(2147483647, 0)).toBe(true);
    expect(inSequence(7, 8)).toBe(true);
    expect(inSequence(7, 9)).toBe(false);
  });
});

describe("kafka: producer state: leader checks through the partition log", () => {
  it("accepts in-order batches and answers a retry of any of the last 5 with its offsets", () => {
    const log = new PartitionLog();
    // Six batches of 2 records from PID 7 epoch 0: sequences 0-1, 2-3, ..., 10-11 at offsets
    // 0-1, 2-3, ..., 10-11.
    for (let i = 0; i < 6; i++) {
      const b = batch(7, 0, 2 * i, 2);
      expect(log.producerState.check(b).kind).toBe("append");
      log.append(b, 0, 0);
    }
    expect(log.producerState.entry(7)?.batches.length).toBe(NUM_BATCHES_TO_RETAIN);
    // Sequences 4-5 are the third batch: offsets 4-5.
    expect(log.producerState.check(batch(7, 0, 4, 2))).toEqual({
      kind: "duplicate",
      firstOffset: 4,
      lastOffset: 5,
    });
    // Sequences 0-1 fell out of the 5 remembered batches: not a duplicate, but out of order
    // (the next expected sequence is 12).
    expect(log.producerState.check(batch(7, 0, 0, 2))).toMatchObject({
      kind: "error",
      error: "OUT_OF_ORDER_SEQUENCE_NUMBER",
    });
  });

  it("refuses a gap, accepts a new producer id at any sequence, refuses a stale epoch", () => {
    const log = new PartitionLog();
    log.append(batch(7, 3, 0, 1), 0, 0);
    // Last sequence 0: sequence 2 leaves a gap.
    expect(log.producerState.check(batch(7, 3, 2, 1))).toMatchObject({
      error: "OUT_OF_ORDER_SEQUENCE_NUMBER",
    });
    // Unknown PID 8: any sequence (Kafka's "no state, accept" rule).
    expect(log.producerState.check(batch(8, 0, 42, 1)).kind).toBe("append");
    // Epoch 2 < current 3.
    expect(log.producerState.check(batch(7, 2, 1, 1))).toMatchObject({
      error: "INVALID_PRODUCER_EPOCH",
    });
    expect(log.producerState.check(batch(7, 2, 1, 1), "PRODUCER_FENCED")).toMatchObject({
      error: "PRODUCER_FENCED",
    });
    // A new epoch must start at 0.
    expect(log.producerState.check(batch(7, 4, 1, 1))).toMatchObject({
      error: "OUT_OF_ORDER_SEQUENCE_NUMBER",
    });
    expect(log.producerState.check(batch(7, 4, 0, 1)).kind).toBe("append");
  });

  it("does not treat the same sequences of an older epoch as a duplicate", () => {
    const log = new PartitionLog();
    log.append(batch(7, 0, 0, 1), 0, 0);
    log.append(batch(7, 1, 0, 1), 0, 0); // epoch bump: sequences restart
    expect(log.producerState.entry(7)).toMatchObject({ producerEpoch: 1 });
    // Epoch 1, sequence 0 is the batch at offset 1.
    expect(log.producerState.check(batch(7, 1, 0, 1))).toEqual({
      kind: "duplicate",
      firstOffset: 1,
      lastOffset: 1,
    });
  });

  it("ignores batches without a producer id", () => {
    const log = new PartitionLog();
    log.append(batch(-1, -1, -1, 3), 0, 0);
    expect(log.producerState.size).toBe(0);
    expect(log.producerState.check(batch(-1, -1, -1, 3)).kind).toBe("append");
  });
});

describe("kafka: producer state: rebuild after truncation", () => {
  it("forgets the truncated batches, so their retry is appended again, in sequence", () => {
    const log = new PartitionLog();
    // PID 7: sequences 0, 1, 2 at offsets 0, 1, 2 (one record each).
    for (let s = 0; s < 3; s++) log.append(batch(7, 0, s, 1), 0, 0);
    log.truncateTo(2); // the batch of sequence 2 (offset 2) is gone
    // The state is the log's: last sequence 1, so sequence 2 is the next, not a duplicate.
    expect(log.producerState.check(batch(7, 0, 2, 1)).kind).toBe("append");
    expect(log.producerState.check(batch(7, 0, 1, 1))).toEqual({
      kind: "duplicate",
      firstOffset: 1,
      lastOffset: 1,
    });
  });

  it("keeps producers whose batches are below the truncation point but no longer in the log", () => {
    const m = new ProducerStateManager();
    m.onAppend({ ...batch(9, 0, 0, 1), baseOffset: 0, leaderEpoch: 0 });
    // The log no longer holds the batch (retention), and the truncation is above it: kept.
    m.rebuild(5, () => {});
    expect(m.entry(9)?.batches).toEqual([
      { firstSeq: 0, lastSeq: 0, firstOffset: 0, lastOffset: 0 },
    ]);
    // A truncation below its offset drops it.
    m.rebuild(0, () => {});
    expect(m.entry(9)).toBeUndefined();
  });

  it("clears everything on a full truncation", () => {
    const log = new PartitionLog();
    log.append(batch(7, 0, 0, 1), 0, 0);
    log.truncateFullyAndStartAt(10, 0);
    expect(log.producerState.size).toBe(0);
  });
});
