// clients: producer accumulator: batch.size fills batches, linger.ms makes a lone batch wait,
// buffer.memory bounds new batches, retries go back to the head of their partition's queue, and a
// drain takes one batch per partition up to max.request.size.
import { describe, expect, it } from "vitest";
import {
  type AccumulatorConfig,
  type ProducerBatch,
  RecordAccumulator,
  recordSizeInBytes,
  sizeOfVarint,
} from "../../sim/client/producer/accumulator.ts";
import { compressRecords } from "../../sim/client/producer/compression.ts";

const CONFIG: AccumulatorConfig = {
  batchSizeBytes: 200,
  lingerMs: 5,
  bufferMemoryBytes: 1000,
  maxRequestSizeBytes: 1_048_576,
  retryBackoffMs: 100,
};

let seq = 0;
function makeBatch(topic: string, partition: number, nowUs: number, acc: RecordAccumulator) {
  return (): ProducerBatch => ({
    sendId: `p:${seq++}`,
    topic,
    partition,
    createdUs: nowUs,
    reservedBytes: acc.newBatchBytes(57),
    records: [],
    recordBytes: 0,
    closed: false,
    attempts: 0,
    retryAtUs: 0,
    inRetry: false,
    producerId: -1,
    producerEpoch: -1,
    baseSequence: -1,
    wireBytes: 0,
    recorded: false,
    ambiguous: false,
    lastError: undefined,
  });
}

function add(acc: RecordAccumulator, partition: number, nowUs: number) {
  return acc.append(
    "t",
    partition,
    { recordId: `r${seq}`, key: null, value: null, sizeBytes: 57, appendedUs: nowUs },
    makeBatch("t", partition, nowUs, acc),
  );
}

const leaderOf = (_t: string, p: number) => (p === 9 ? -1 : 1);

describe("clients: producer accumulator: record sizes", () => {
  it("encodes records as Kafka's DefaultRecord", () => {
    // zig-zag: 63 → 126 (1 byte), 64 → 128 (2 bytes), -1 → 1 (1 byte).
    expect(sizeOfVarint(63)).toBe(1);
    expect(sizeOfVarint(64)).toBe(2);
    expect(sizeOfVarint(-1)).toBe(1);
    // No key, a 50-byte value: attributes 1 + timestamp delta 1 + offset delta 1 + key length 1
    // + value length 1 + value 50 + header count 1 = 56, plus its own length varint 1 = 57.
    expect(recordSizeInBytes(null, 50)).toBe(57);
    // Key "k" and value "1" (the console producer's "1"): 1+1+1 + (1+1) + (1+1) + 1 = 8, + 1 = 9.
    expect(recordSizeInBytes(1, 1)).toBe(9);
  });
});

describe("clients: producer accumulator: batching", () => {
  it("puts two 57-byte records in a 200-byte batch (61 + 57 + 57 = 175; a third makes 232)", () => {
    const acc = new RecordAccumulator(CONFIG);
    const a = add(acc, 0, 0);
    const b = add(acc, 0, 0);
    const c = add(acc, 0, 0);
    expect(a.created).toBe(true);
    expect(b.created).toBe(false);
    expect(b.batch).toBe(a.batch);
    expect(c.created).toBe(true);
    expect(a.batch.records.length).toBe(2);
    expect(a.batch.closed).toBe(true);
  });

  it("keeps a lone batch until linger.ms has passed, and says when", () => {
    const acc = new RecordAccumulator(CONFIG);
    add(acc, 0, 1000);
    expect(acc.ready(3000, leaderOf)).toMatchObject({ readyNodes: [], nextReadyUs: 6000 });
    expect(acc.ready(6000, leaderOf).readyNodes).toEqual([1]);
  });

  it("makes a full batch sendable at once", () => {
    const acc = new RecordAccumulator(CONFIG);
    add(acc, 0, 0);
    add(acc, 0, 0);
    add(acc, 0, 0); // the first batch is closed and a second exists
    expect(acc.ready(0, leaderOf).readyNodes).toEqual([1]);
  });

  it("reports a partition without a leader", () => {
    const acc = new RecordAccumulator(CONFIG);
    add(acc, 9, 0);
    expect(acc.ready(10_000, leaderOf)).toMatchObject({ readyNodes: [], unknownLeader: true });
  });

  it("bounds new batches by buffer.memory: 1000 bytes hold five 200-byte batches", () => {
    const acc = new RecordAccumulator(CONFIG);
    for (let p = 0; p < 5; p++) add(acc, p, 0);
    expect(acc.bufferUsedBytes).toBe(1000);
    expect(acc.canReserve(acc.newBatchBytes(57))).toBe(false);
    const [first] = acc.drain(
      1,
      10_000,
      leaderOf,
      () => true,
      () => 118,
    );
    acc.release(first!);
    expect(acc.canReserve(acc.newBatchBytes(57))).toBe(true);
  });
});

describe("clients: producer accumulator: drain and retries", () => {
  it("drains one batch per partition, stopping at max.request.size", () => {
    const acc = new RecordAccumulator({ ...CONFIG, maxRequestSizeBytes: 300 });
    for (const p of [0, 0, 0, 1, 2]) add(acc, p, 0);
    // Partition 0 has two batches (175 and 118 bytes on the wire), 1 and 2 one each (118).
    // One batch per partition per drain: 175 + 118 = 293 ≤ 300; adding partition 2 makes 411.
    const drained = acc.drain(
      1,
      10_000,
      leaderOf,
      () => true,
      (b) => 61 + b.recordBytes,
    );
    expect(drained.map((b) => b.partition)).toEqual([0, 1]);
    // The next drain starts where this one stopped (round-robin): partition 2, then 0's second
    // batch: 118 + 118 = 236.
    const next = acc.drain(
      1,
      10_000,
      leaderOf,
      () => true,
      (b) => 61 + b.recordBytes,
    );
    expect(next.map((b) => b.partition)).toEqual([2, 0]);
  });

  it("puts a retried batch back at the head, and holds it for its backoff", () => {
    const acc = new RecordAccumulator(CONFIG);
    add(acc, 0, 0);
    const [b1] = acc.drain(
      1,
      10_000,
      leaderOf,
      () => true,
      () => 100,
    );
    add(acc, 0, 10_000); // B2, made after B1 was drained
    acc.reenqueue(b1!, 20_000, 100_000);
    // B1 is first again and backs off until 120 000 µs: nothing of partition 0 is sendable before.
    expect(acc.ready(50_000, leaderOf)).toMatchObject({ readyNodes: [], nextReadyUs: 120_000 });
    const [again] = acc.drain(
      1,
      120_000,
      leaderOf,
      () => true,
      () => 100,
    );
    expect(again).toBe(b1);
  });

  it("re-enqueues batches with sequences in sequence order", () => {
    const acc = new RecordAccumulator(CONFIG);
    for (let i = 0; i < 5; i++) add(acc, 0, 0); // batches of 2, 2 and 1 records
    const b = [...acc.queued()];
    // Sequences as the idempotent producer would give them when drained.
    const drained: ProducerBatch[] = [];
    for (let i = 0; i < 2; i++) {
      const [d] = acc.drain(
        1,
        10_000,
        leaderOf,
        () => true,
        () => 100,
      );
      d!.baseSequence = i * 2;
      drained.push(d!);
    }
    expect(drained).toEqual([b[0], b[1]]);
    // The later one (sequence 2) fails first, then the earlier one (0): 0 goes before 2.
    acc.reenqueue(drained[1]!, 0, 0);
    acc.reenqueue(drained[0]!, 0, 0);
    expect([...acc.queued()].map((x) => x.baseSequence)).toEqual([0, 2, -1]);
  });
});

describe("clients: producer accumulator: compression model", () => {
  it("compresses records with the codec's ratio and charges CPU per byte", () => {
    // lz4: 10/21 of the size, 780 bytes/µs: 21 000 bytes → 10 000 bytes, ceil(21000/780) = 27 µs.
    expect(compressRecords("lz4", 21_000)).toEqual({ bytes: 10_000, cpuUs: 27 });
    expect(compressRecords("none", 21_000)).toEqual({ bytes: 21_000, cpuUs: 0 });
    // gzip: 10/31 and 30 bytes/µs: 3100 → 1000 bytes, 104 µs (3100/30 = 103.3, rounded up).
    expect(compressRecords("gzip", 3100)).toEqual({ bytes: 1000, cpuUs: 104 });
  });
});
