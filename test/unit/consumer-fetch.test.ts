// consumer: fetcher: which partitions each leader is asked for, with which sizes, and how poll()
// drains the buffer: at most max.poll.records records, resuming inside a batch, dropping a fetch
// made for an offset the position has left.
import { describe, expect, it } from "vitest";
import { FetchBuffer, planFetches } from "../../sim/client/consumer/fetcher.ts";
import { type PartitionPosition, Positions } from "../../sim/client/consumer/positions.ts";
import type { FetchPartitionResponse } from "../../sim/kafka/protocol.ts";
import type { RecordBatch } from "../../sim/kafka/types.ts";

const SIZING = {
  fetchMinBytes: 1,
  fetchMaxBytes: 52_428_800,
  fetchMaxWaitMs: 500,
  maxPartitionFetchBytes: 1_048_576,
  kip320: true,
};

function positioned(specs: Array<[string, number, number, number, number]>): PartitionPosition[] {
  const positions = new Positions();
  positions.add(specs.map(([topic, partition]) => ({ topic, partition })));
  for (const [topic, partition, offset, leader, epoch] of specs) {
    const p = positions.get(topic, partition)!;
    p.leader = leader;
    p.leaderEpoch = epoch;
    if (offset >= 0) positions.seek(p, offset, -1, false);
  }
  return positions.all();
}

function batch(baseOffset: number, count: number, epoch = 3): RecordBatch {
  return {
    baseOffset,
    count,
    bytes: count * 100,
    leaderEpoch: epoch,
    firstTimestampUs: 0,
    maxTimestampUs: 0,
    producerId: -1,
    producerEpoch: -1,
    baseSequence: -1,
    isTransactional: false,
    isControl: false,
    origin: `p:${baseOffset}`,
  };
}

function response(
  topic: string,
  partition: number,
  batches: RecordBatch[],
): FetchPartitionResponse {
  return {
    topic,
    partition,
    error: "NONE",
    highWatermark: 1000,
    lastStableOffset: 1000,
    logStartOffset: 0,
    currentLeaderEpoch: 3,
    batches,
  };
}

describe("consumer: fetch planning", () => {
  it("groups fetchable partitions by leader, with the configured sizes and the leader epoch", () => {
    const plans = planFetches(
      positioned([
        ["a", 0, 10, 2, 5],
        ["a", 1, 20, 1, 4],
        ["b", 0, 30, 2, 7],
      ]),
      () => false,
      () => false,
      SIZING,
    );
    expect(plans.map((p) => p.leader)).toEqual([1, 2]);
    expect(plans[1]!.partitions).toEqual([
      {
        topic: "a",
        partition: 0,
        fetchOffset: 10,
        lastFetchedEpoch: -1,
        currentLeaderEpoch: 5,
        logStartOffset: -1,
        partitionMaxBytes: 1_048_576,
      },
      {
        topic: "b",
        partition: 0,
        fetchOffset: 30,
        lastFetchedEpoch: -1,
        currentLeaderEpoch: 7,
        logStartOffset: -1,
        partitionMaxBytes: 1_048_576,
      },
    ]);
    // Header 64 + 2 partition entries of 32 bytes.
    expect(plans[1]!.requestBytes).toBe(128);
  });

  it("skips partitions without a position, a leader, or with data still buffered, and busy leaders", () => {
    const plans = planFetches(
      positioned([
        ["a", 0, -1, 1, 0], // no position yet
        ["a", 1, 5, -1, 0], // no leader known
        ["a", 2, 5, 1, 0], // buffered
        ["a", 3, 5, 2, 0], // leader 2 has a fetch in flight
        ["a", 4, 5, 1, 0],
      ]),
      (_t, p) => p === 2,
      (leader) => leader === 2,
      { ...SIZING, kip320: false },
    );
    expect(plans).toHaveLength(1);
    expect(plans[0]!.partitions.map((p) => [p.partition, p.currentLeaderEpoch])).toEqual([[4, -1]]);
  });
});

describe("consumer: fetch buffer", () => {
  it("returns at most max.poll.records, resuming inside a batch", () => {
    const buffer = new FetchBuffer();
    // Position 105 inside batch [100, 150); then [150, 200).
    buffer.add(105, response("t", 0, [batch(100, 50), batch(150, 50)]));
    let position = 105;
    const first = buffer.drain(60, () => position);
    // 45 records of the first batch (105..149) and 15 of the second (150..164).
    expect(first).toEqual([
      {
        topic: "t",
        partition: 0,
        offset: 105,
        count: 60,
        nextOffset: 165,
        lastEpoch: 3,
        origins: [
          { baseOffset: 100, sendId: "p:100" },
          { baseOffset: 150, sendId: "p:150" },
        ],
        // The records' offsets, one run per batch touched.
        runs: [
          { offset: 105, count: 45 },
          { offset: 150, count: 15 },
        ],
      },
    ]);
    position = 165;
    const second = buffer.drain(60, () => position);
    expect(second.map((s) => [s.offset, s.count, s.nextOffset])).toEqual([[165, 35, 200]]);
    expect(buffer.has("t", 0)).toBe(false);
  });

  it("takes partitions in arrival order and drops a fetch whose offset the position left", () => {
    const buffer = new FetchBuffer();
    buffer.add(0, response("t", 1, [batch(0, 10)]));
    buffer.add(40, response("t", 0, [batch(40, 10)]));
    // Partition 1 was sought to 5 after its fetch at 0: that fetch is dropped.
    const slices = buffer.drain(100, (_t, p) => (p === 1 ? 5 : 40));
    expect(slices.map((s) => [s.partition, s.offset, s.count])).toEqual([[0, 40, 10]]);
    expect(buffer.isEmpty).toBe(true);
  });

  it("skips the compacted-away offsets of a batch and control batches", () => {
    const buffer = new FetchBuffer();
    const compacted: RecordBatch = { ...batch(0, 10), offsets: [2, 5, 9] };
    const control: RecordBatch = { ...batch(10, 1), isControl: true };
    buffer.add(0, response("t", 0, [compacted, control, batch(11, 4)]));
    const slices = buffer.drain(4, () => 0);
    // 2, 5, 9 from the compacted batch, the control batch skipped, then 11.
    expect(slices.map((s) => [s.offset, s.count, s.nextOffset])).toEqual([[2, 4, 12]]);
  });
});
