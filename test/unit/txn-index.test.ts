// kafka: transactions: the partition's transaction index (open transactions, LSO, aborted index)
// and what read_committed and read_uncommitted fetches hand to the application.
import { describe, expect, it } from "vitest";
import { SimAssertionError } from "../../sim/engine/assert.ts";
import {
  asTxnBatch,
  type ControlRecordType,
  type TxnBatch,
} from "../../sim/kafka/log/txn-batch.ts";
import { consumeFetchedBatches } from "../../sim/kafka/log/txn-consume.ts";
import { fetchWithIsolation, type IsolationLevel } from "../../sim/kafka/log/txn-fetch.ts";
import { TxnIndex } from "../../sim/kafka/log/txn-index.ts";
import type { RecordBatch } from "../../sim/kafka/types.ts";

/** A partition log under construction: offsets are assigned in append order. */
class TestLog {
  readonly batches: TxnBatch[] = [];
  readonly index = new TxnIndex();
  private next = 0;

  /** A data batch of `count` records; producer -1 is a plain (non-idempotent) producer. */
  data(producerId: number, count: number, isTransactional = producerId >= 0): this {
    return this.push({
      baseOffset: this.next,
      count,
      producerId,
      isTransactional,
      isControl: false,
    });
  }

  marker(producerId: number, type: ControlRecordType): this {
    return this.push({
      baseOffset: this.next,
      count: 1,
      producerId,
      isTransactional: true,
      isControl: true,
      controlType: type,
    });
  }

  get end(): number {
    return this.next;
  }

  private push(b: TxnBatch): this {
    this.batches.push(b);
    this.index.onAppend(b);
    this.next = b.baseOffset + b.count;
    return this;
  }
}

/** Fetch from `from` until nothing more comes, as a consumer's fetch loop does. */
function consumeAll(log: TestLog, hw: number, isolation: IsolationLevel, from = 0, maxBatches = 2) {
  const offsets: number[] = [];
  let position = from;
  for (let i = 0; i <= log.batches.length; i++) {
    const r = fetchWithIsolation(log.batches, log.index, position, hw, isolation, maxBatches);
    if (r.batches.length === 0) break;
    const c = consumeFetchedBatches(r.batches, r.abortedTransactions, isolation, position);
    offsets.push(...c.records.map((x) => x.offset));
    position = c.nextFetchOffset;
  }
  return { offsets, position };
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

describe("kafka: transactions: last stable offset", () => {
  it("an open transaction holds back the LSO, and non-transactional records after it too", () => {
    // Producer 7 opens a transaction at 0; a plain producer writes 3..5 after it.
    const log = new TestLog().data(7, 3).data(-1, 3);
    log.index.onHighWatermarkUpdated(6);
    expect(log.index.firstUnstableOffset()).toBe(0);
    expect(log.index.lastStableOffset(6)).toBe(0);
    expect(consumeAll(log, 6, "read_committed").offsets).toEqual([]);
    // read_uncommitted sees everything below the HW, the open transaction's records included.
    expect(consumeAll(log, 6, "read_uncommitted").offsets).toEqual(range(0, 6));
  });

  it("the LSO never passes the HW", () => {
    const log = new TestLog().data(-1, 4).data(7, 2);
    expect(log.index.lastStableOffset(3)).toBe(3);
    expect(log.index.lastStableOffset(6)).toBe(4);
  });

  it("a COMMIT releases the transaction once the HW has passed its marker", () => {
    const log = new TestLog().data(7, 3).data(-1, 3).marker(7, "COMMIT");
    // The marker (offset 6) is not replicated yet: the transaction is still unstable.
    log.index.onHighWatermarkUpdated(6);
    expect(log.index.firstUnstableOffset()).toBe(0);
    expect(log.index.lastStableOffset(6)).toBe(0);
    log.index.onHighWatermarkUpdated(7);
    expect(log.index.firstUnstableOffset()).toBeUndefined();
    expect(log.index.lastStableOffset(7)).toBe(7);
    // The marker takes an offset but is never handed out: 6 is a gap.
    const rc = consumeAll(log, 7, "read_committed");
    expect(rc.offsets).toEqual(range(0, 6));
    expect(rc.position).toBe(7);
    expect(consumeAll(log, 7, "read_uncommitted").offsets).toEqual(range(0, 6));
  });

  it("the first unstable offset is raised to the log start (a hanging transaction)", () => {
    const log = new TestLog().data(7, 2).data(-1, 4);
    log.index.onLogStartMove(3);
    expect(log.index.firstUndecidedOffset()).toBe(0);
    expect(log.index.firstUnstableOffset()).toBe(3);
    expect(log.index.lastStableOffset(6)).toBe(3);
    log.index.validate();
  });
});

describe("kafka: transactions: aborted transactions", () => {
  it("an ABORT adds an AbortedTxn and read_committed drops its batches", () => {
    const log = new TestLog().data(7, 2).data(7, 1).marker(7, "ABORT").data(-1, 2);
    expect(log.index.abortedTxns()).toEqual([
      { producerId: 7, firstOffset: 0, lastOffset: 3, lastStableOffset: 4 },
    ]);
    expect(log.index.lastStableOffset(6)).toBe(6);
    expect(consumeAll(log, 6, "read_committed").offsets).toEqual([4, 5]);
    // read_uncommitted returns the aborted records (not the marker).
    expect(consumeAll(log, 6, "read_uncommitted").offsets).toEqual([0, 1, 2, 4, 5]);
  });

  it("lists the aborted transactions that overlap the fetched range", () => {
    // p7 aborted 0..2, p8 aborted 3..5, p9 aborted 6..8
    const log = new TestLog()
      .data(7, 2)
      .marker(7, "ABORT")
      .data(8, 2)
      .marker(8, "ABORT")
      .data(9, 2)
      .marker(9, "ABORT");
    const ids = (s: number, u: number) =>
      log.index.collectAbortedTransactions(s, u).map((a) => a.producerId);
    expect(ids(0, 9)).toEqual([7, 8, 9]);
    expect(ids(3, 6)).toEqual([8]);
    expect(ids(2, 4)).toEqual([7, 8]);
    expect(ids(9, 9)).toEqual([]);
    const r = fetchWithIsolation(log.batches, log.index, 4, 9, "read_committed", 1);
    expect(r.batches.map((b) => b.baseOffset)).toEqual([3]);
    expect(r.abortedTransactions).toEqual([{ producerId: 8, firstOffset: 3 }]);
    expect(
      fetchWithIsolation(log.batches, log.index, 4, 9, "read_uncommitted").abortedTransactions,
    ).toBeUndefined();
  });

  it("a fetch starting inside an aborted transaction still drops the rest of it", () => {
    const log = new TestLog().data(7, 2).data(7, 2).marker(7, "ABORT").data(-1, 1);
    expect(consumeAll(log, 6, "read_committed", 3, 1).offsets).toEqual([5]);
  });

  it("an ABORT marker ends the mark: the producer's next transaction is delivered", () => {
    const log = new TestLog().data(7, 2).marker(7, "ABORT").data(7, 2).marker(7, "COMMIT");
    // One response holds both transactions.
    const r = fetchWithIsolation(log.batches, log.index, 0, 6, "read_committed");
    expect(r.batches).toHaveLength(4);
    const c = consumeFetchedBatches(r.batches, r.abortedTransactions, "read_committed", 0);
    expect(c.records.map((x) => x.offset)).toEqual([3, 4]);
    expect(c.abortedBatches.map((b) => b.baseOffset)).toEqual([0]);
    expect(c.controlBatches.map((b) => b.baseOffset)).toEqual([2, 5]);
    expect(c.nextFetchOffset).toBe(6);
  });

  it("a marker with no open transaction here completes an empty one at its own offset", () => {
    const log = new TestLog().data(-1, 2).marker(7, "ABORT");
    expect(log.index.abortedTxns()).toEqual([
      { producerId: 7, firstOffset: 2, lastOffset: 2, lastStableOffset: 3 },
    ]);
    expect(consumeAll(log, 3, "read_committed").offsets).toEqual([0, 1]);
  });

  it("idempotent non-transactional batches of an aborted producer are delivered", () => {
    const log = new TestLog().data(7, 2).marker(7, "ABORT").data(7, 1, false);
    expect(consumeAll(log, 4, "read_committed").offsets).toEqual([3]);
  });
});

describe("kafka: transactions: interleaved producers", () => {
  // p1: 0..1 (txn), p2: 2..3 (txn), p1: 4, p1 ABORT at 5, plain 6, p2 COMMIT at 7, plain 8
  function interleaved(): TestLog {
    return new TestLog()
      .data(1, 2)
      .data(2, 2)
      .data(1, 1)
      .marker(1, "ABORT")
      .data(-1, 1)
      .marker(2, "COMMIT")
      .data(-1, 1);
  }

  it("the LSO follows the earliest open transaction", () => {
    const log = new TestLog().data(1, 2).data(2, 2);
    expect(log.index.lastStableOffset(4)).toBe(0);
    log.data(1, 1).marker(1, "ABORT");
    expect(log.index.lastStableOffset(6)).toBe(2);
    log.marker(2, "COMMIT");
    // Markers at or above the HW are unreplicated: their transactions stay unstable.
    expect(log.index.lastStableOffset(6)).toBe(2); // p2's COMMIT (6) not replicated
    expect(log.index.lastStableOffset(5)).toBe(0); // p1's ABORT (5) not replicated either
    expect(log.index.lastStableOffset(7)).toBe(7);
  });

  it("the aborted entry's lastStableOffset is the other producer's open transaction", () => {
    const log = interleaved();
    expect(log.index.abortedTxns()).toEqual([
      { producerId: 1, firstOffset: 0, lastOffset: 5, lastStableOffset: 2 },
    ]);
    expect(log.index.completedTxns().map((t) => [t.producerId, t.isAborted])).toEqual([
      [1, true],
      [2, false],
    ]);
  });

  it("read_committed delivers p2's committed records and the plain ones, in offset order", () => {
    const log = interleaved();
    for (const maxBatches of [1, 2, 3, 100]) {
      expect(consumeAll(log, 9, "read_committed", 0, maxBatches).offsets).toEqual([2, 3, 6, 8]);
    }
    // HW 5: neither marker is replicated, so both transactions are unstable and the LSO is 0.
    expect(consumeAll(log, 5, "read_committed").offsets).toEqual([]);
    // HW 7: p1's ABORT (5) is replicated, p2's COMMIT (7) is not: the LSO is p2's first offset.
    expect(log.index.lastStableOffset(7)).toBe(2);
    expect(consumeAll(log, 7, "read_committed").offsets).toEqual([]);
  });
});

describe("kafka: transactions: truncation and reload", () => {
  it("a truncated COMMIT reopens its transaction; transactions above the point go", () => {
    const log = new TestLog().data(1, 2).marker(1, "COMMIT").data(2, 1).data(-1, 1);
    expect(log.index.lastStableOffset(5)).toBe(3);
    log.index.truncateTo(2);
    expect(log.index.ongoingTxns()).toEqual([{ producerId: 1, firstOffset: 0 }]);
    expect(log.index.completedTxns()).toEqual([]);
    expect(log.index.endOffset).toBe(2);
    expect(log.index.lastStableOffset(2)).toBe(0);
    log.index.validate();
    expect(log.index.snapshot()).toEqual(TxnIndex.fromBatches(log.batches.slice(0, 1)).snapshot());
  });

  it("a truncated ABORT leaves the aborted index", () => {
    const log = new TestLog().data(1, 1).marker(1, "ABORT").data(2, 1).marker(2, "ABORT");
    expect(log.index.abortedTxns()).toHaveLength(2);
    log.index.truncateTo(3);
    expect(log.index.abortedTxns().map((a) => a.producerId)).toEqual([1]);
    expect(log.index.ongoingTxns()).toEqual([{ producerId: 2, firstOffset: 2 }]);
    log.index.validate();
  });

  it("a rebuild from the batches gives the state the appends built", () => {
    const log = new TestLog()
      .data(1, 2)
      .data(2, 2)
      .marker(1, "ABORT")
      .data(3, 1)
      .marker(2, "COMMIT")
      .data(1, 1);
    const reloaded = TxnIndex.fromBatches(log.batches);
    reloaded.validate();
    expect(reloaded.snapshot()).toEqual(log.index.snapshot());
  });

  it("a log start move drops entries below it but keeps an open transaction", () => {
    const log = new TestLog().data(1, 1).marker(1, "ABORT").data(2, 2).data(-1, 2);
    log.index.onLogStartMove(3);
    expect(log.index.abortedTxns()).toEqual([]);
    expect(log.index.ongoingTxns()).toEqual([{ producerId: 2, firstOffset: 2 }]);
    expect(log.index.lastStableOffset(6)).toBe(3);
    expect(() => log.index.onLogStartMove(2)).toThrow(SimAssertionError);
  });

  it("a reload with the log start inside the first batch", () => {
    const log = new TestLog().data(-1, 4).data(1, 2);
    const reloaded = TxnIndex.fromBatches(log.batches, 2);
    expect(reloaded.logStartOffset).toBe(2);
    expect(reloaded.lastStableOffset(6)).toBe(4);
  });
});

describe("kafka: transactions: batch adapter", () => {
  const stored: RecordBatch = {
    baseOffset: 5,
    count: 1,
    bytes: 70,
    leaderEpoch: 0,
    firstTimestampUs: 0,
    maxTimestampUs: 0,
    producerId: 3,
    producerEpoch: 0,
    baseSequence: -1,
    isTransactional: true,
    isControl: true,
  };

  it("a control batch needs its control record type", () => {
    expect(() => asTxnBatch(stored)).toThrow(SimAssertionError);
    expect(() => new TxnIndex(5).onAppend(stored)).toThrow(/no control record type/);
    const index = new TxnIndex(5);
    index.onAppend(asTxnBatch(stored, "COMMIT"));
    expect(index.completedTxns()).toEqual([
      { producerId: 3, firstOffset: 5, lastOffset: 5, isAborted: false },
    ]);
  });

  it("appends below the end offset are refused", () => {
    const index = new TxnIndex();
    index.onAppend({
      baseOffset: 0,
      count: 2,
      producerId: 1,
      isTransactional: true,
      isControl: false,
    });
    expect(() =>
      index.onAppend({
        baseOffset: 1,
        count: 1,
        producerId: 1,
        isTransactional: true,
        isControl: false,
      }),
    ).toThrow(SimAssertionError);
  });
});
