// transactions: coordinator metadata: InitProducerId hands out a producer id and bumps the epoch,
// fences an open transaction (PrepareEpochFence → PrepareAbort, CONCURRENT_TRANSACTIONS), rotates
// the producer id when the epoch is exhausted; EndTxn commits and aborts through Prepare* and
// Complete*, answers retries, and fences old epochs with PRODUCER_FENCED. The expected values
// follow Kafka's TransactionCoordinator / TransactionMetadata, worked out by hand below.
import { describe, expect, it } from "vitest";
import { SimAssertionError } from "../../sim/engine/assert.ts";
import {
  clientVisibleError,
  handleAbortTimedOut,
  handleAddOffsets,
  handleAddPartitions,
  handleEndTxn,
  handleInitProducerId,
  type InitProducerIdRequest,
  isTransactionalIdExpired,
  isTransactionTimedOut,
  partitionStatusError,
  type TxnCoordinatorSettings,
  type TxnDecision,
} from "../../sim/kafka/txn/coordinator-decisions.ts";
import { TransactionMetadata } from "../../sim/kafka/txn/transaction-metadata.ts";

const MAX_TIMEOUT_MS = 900_000; // transaction.max.timeout.ms
const TIMEOUT_MS = 60_000; // transaction.timeout.ms

/** A producer-id manager handing out 1000, 1001, ... */
function settings(firstId = 1000): TxnCoordinatorSettings & { readonly issued: number[] } {
  let next = firstId;
  const issued: number[] = [];
  return {
    transactionMaxTimeoutMs: MAX_TIMEOUT_MS,
    newProducerId: () => {
      issued.push(next);
      return next++;
    },
    issued,
  };
}

function initReq(
  producerId = -1,
  producerEpoch = -1,
  timeoutMs = TIMEOUT_MS,
): InitProducerIdRequest {
  return { transactionalId: "tx", transactionTimeoutMs: timeoutMs, producerId, producerEpoch };
}

type Append = Extract<TxnDecision, { kind: "append" }>;

function expectAppend(d: TxnDecision): Append {
  if (d.kind !== "append") throw new Error(`expected an append, got reply ${d.error}`);
  return d;
}

/** Carries out an append whose write succeeds, as the coordinator will. */
function written(d: TxnDecision): Append {
  const a = expectAppend(d);
  a.metadata.beginTransition(a.transit);
  a.metadata.completeTransitionTo(a.transit);
  return a;
}

/** The markers of a written Prepare* are all acknowledged: write and apply Complete*. */
function markersDone(meta: TransactionMetadata, nowMs: number): void {
  const done = meta.prepareComplete(nowMs);
  meta.beginTransition(done);
  meta.completeTransitionTo(done);
}

const P = [
  { topic: "orders", partition: 1 },
  { topic: "orders", partition: 0 },
];

/** A transactional id initialised at epoch 0 (producer id 1000) with an Ongoing transaction. */
function ongoing(s = settings()): TransactionMetadata {
  const meta = written(handleInitProducerId(undefined, initReq(), 100, s)).metadata;
  written(handleAddPartitions(meta, 1000, 0, P, 200));
  return meta;
}

describe("transactions: InitProducerId", () => {
  it("gives a new transactional id a new producer id at epoch 0", () => {
    const s = settings();
    const d = expectAppend(handleInitProducerId(undefined, initReq(), 100, s));
    expect(d.created).toBe(true);
    expect(d.replyOnSuccess).toBe("NONE");
    expect(d.markers).toBeUndefined();
    // The metadata starts at epoch -1 (NO_PRODUCER_EPOCH); the bump makes 0.
    expect(d.transit).toMatchObject({
      txnState: "Empty",
      producerId: 1000,
      producerEpoch: 0,
      lastProducerEpoch: -1,
      txnTimeoutMs: TIMEOUT_MS,
      txnStartTimestamp: -1,
      txnLastUpdateTimestamp: 100,
    });
    expect(d.metadata.producerEpoch).toBe(-1); // nothing applied before the write
    written(d);
    expect(d.metadata.state).toBe("Empty");
    expect(d.metadata.producerEpoch).toBe(0);
    expect(s.issued).toEqual([1000]);
  });

  it("bumps the epoch of a known id, keeps its producer id and forgets the last epoch", () => {
    const s = settings();
    const meta = written(handleInitProducerId(undefined, initReq(), 100, s)).metadata;
    const d = written(handleInitProducerId(meta, initReq(), 200, s));
    expect(d.created).toBe(false);
    expect(meta).toMatchObject({ producerId: 1000, producerEpoch: 1, lastProducerEpoch: -1 });
    expect(s.issued).toEqual([1000]); // no second id
  });

  it("KIP-360: a producer sending its current epoch is bumped and the old epoch remembered; a retry gets the same epoch", () => {
    const s = settings();
    const meta = written(handleInitProducerId(undefined, initReq(), 100, s)).metadata;
    written(handleInitProducerId(meta, initReq(1000, 0), 200, s));
    expect(meta).toMatchObject({ producerEpoch: 1, lastProducerEpoch: 0 });
    // The answer was lost; the producer retries with epoch 0 = lastProducerEpoch: no new bump.
    const retry = written(handleInitProducerId(meta, initReq(1000, 0), 300, s));
    expect(retry.transit.producerEpoch).toBe(1);
    expect(meta).toMatchObject({ producerEpoch: 1, lastProducerEpoch: 0 });
  });

  it("KIP-360: an epoch that is neither current nor last, or another producer id, is fenced", () => {
    const s = settings();
    const meta = written(handleInitProducerId(undefined, initReq(), 100, s)).metadata;
    written(handleInitProducerId(meta, initReq(), 200, s)); // epoch 1, last -1
    written(handleInitProducerId(meta, initReq(), 300, s)); // epoch 2, last -1
    expect(handleInitProducerId(meta, initReq(1000, 1), 400, s)).toEqual({
      kind: "reply",
      error: "PRODUCER_FENCED",
    });
    expect(handleInitProducerId(meta, initReq(999, 2), 400, s)).toEqual({
      kind: "reply",
      error: "PRODUCER_FENCED",
    });
  });

  it("rejects a timeout above transaction.max.timeout.ms, or not positive, and an empty id", () => {
    const s = settings();
    expect(handleInitProducerId(undefined, initReq(-1, -1, 900_001), 0, s)).toEqual({
      kind: "reply",
      error: "INVALID_TRANSACTION_TIMEOUT",
    });
    expect(handleInitProducerId(undefined, initReq(-1, -1, 0), 0, s)).toEqual({
      kind: "reply",
      error: "INVALID_TRANSACTION_TIMEOUT",
    });
    expect(handleInitProducerId(undefined, initReq(-1, -1, 900_000), 0, s).kind).toBe("append");
    expect(handleInitProducerId(undefined, { ...initReq(), transactionalId: "" }, 0, s)).toEqual({
      kind: "reply",
      error: "INVALID_REQUEST",
    });
    expect(s.issued).toEqual([1000]); // only the valid request took an id
  });

  it("answers CONCURRENT_TRANSACTIONS while a write is in flight or markers are pending", () => {
    const s = settings();
    const meta = ongoing(s);
    const end = expectAppend(handleEndTxn(meta, 1000, 0, "COMMIT", 300));
    meta.beginTransition(end.transit);
    expect(handleInitProducerId(meta, initReq(), 310, s)).toEqual({
      kind: "reply",
      error: "CONCURRENT_TRANSACTIONS",
    });
    meta.completeTransitionTo(end.transit);
    // PrepareCommit written, markers not yet: still busy.
    expect(handleInitProducerId(meta, initReq(), 320, s)).toEqual({
      kind: "reply",
      error: "CONCURRENT_TRANSACTIONS",
    });
  });
});

describe("transactions: InitProducerId fences an open transaction", () => {
  it("aborts the Ongoing transaction under epoch + 1 and tells the new producer to retry", () => {
    const s = settings();
    const meta = ongoing(s); // producer A: id 1000, epoch 0, partitions orders-0, orders-1
    const fence = expectAppend(handleInitProducerId(meta, initReq(), 1000, s));
    // Kafka: PrepareEpochFence (pending), then EndTxn(ABORT) at the bumped epoch → PrepareAbort.
    expect(fence.transit).toMatchObject({
      txnState: "PrepareAbort",
      producerId: 1000,
      producerEpoch: 1,
      lastProducerEpoch: -1,
      epochFence: true,
      topicPartitions: [
        { topic: "orders", partition: 0 },
        { topic: "orders", partition: 1 },
      ],
      txnStartTimestamp: 200,
    });
    expect(fence.replyOnSuccess).toBe("CONCURRENT_TRANSACTIONS");
    expect(fence.markers).toEqual({
      result: "ABORT",
      producerId: 1000,
      producerEpoch: 1,
      partitions: [
        { topic: "orders", partition: 0 },
        { topic: "orders", partition: 1 },
      ],
    });
    written(fence);
    expect(meta).toMatchObject({ state: "PrepareAbort", producerEpoch: 1, lastProducerEpoch: -1 });

    // The zombie (epoch 0) can neither commit nor add partitions.
    expect(handleEndTxn(meta, 1000, 0, "COMMIT", 1100)).toEqual({
      kind: "reply",
      error: "PRODUCER_FENCED",
    });
    expect(handleAddPartitions(meta, 1000, 0, P, 1100)).toEqual({
      kind: "reply",
      error: "PRODUCER_FENCED",
    });
    // The new producer retries while the abort markers are written.
    expect(handleInitProducerId(meta, initReq(), 1200, s)).toEqual({
      kind: "reply",
      error: "CONCURRENT_TRANSACTIONS",
    });
    markersDone(meta, 1300);
    expect(meta.state).toBe("CompleteAbort");
    expect(meta.topicPartitions).toEqual([]);
    // Its next retry gets a second bump: epoch 2 is the first epoch handed to a client.
    const again = written(handleInitProducerId(meta, initReq(), 1400, s));
    expect(again.transit).toMatchObject({ txnState: "Empty", producerId: 1000, producerEpoch: 2 });
  });

  it("a fence whose write fails keeps the bumped epoch in memory and does not bump again", () => {
    const s = settings();
    const meta = ongoing(s);
    const fence = expectAppend(handleInitProducerId(meta, initReq(), 1000, s));
    meta.beginTransition(fence.transit);
    meta.failTransition(fence.transit); // e.g. NOT_ENOUGH_REPLICAS on __transaction_state
    expect(meta).toMatchObject({ state: "Ongoing", producerEpoch: 1, hasFailedEpochFence: true });
    expect(meta.pendingTransitionInProgress).toBe(false);
    // The old producer is fenced anyway.
    expect(handleEndTxn(meta, 1000, 0, "COMMIT", 1100)).toEqual({
      kind: "reply",
      error: "PRODUCER_FENCED",
    });
    // The retried fence uses epoch 1 again, not 2.
    const retry = written(handleInitProducerId(meta, initReq(), 1200, s));
    expect(retry.transit).toMatchObject({ txnState: "PrepareAbort", producerEpoch: 1 });
    expect(meta.hasFailedEpochFence).toBe(false);
  });

  it("aborts a transaction open longer than transaction.timeout.ms, fencing its producer", () => {
    const s = settings();
    const meta = ongoing(s); // started at 200 ms, timeout 60000 ms
    // Kafka's test is start + timeout < now: 60200 is not yet past, 60201 is.
    expect(isTransactionTimedOut(meta, 60_200)).toBe(false);
    expect(handleAbortTimedOut(meta, 60_200)).toEqual({ kind: "reply", error: "NONE" });
    expect(isTransactionTimedOut(meta, 60_201)).toBe(true);
    const abort = written(handleAbortTimedOut(meta, 60_201));
    expect(abort.transit).toMatchObject({ txnState: "PrepareAbort", producerEpoch: 1 });
    expect(abort.markers?.result).toBe("ABORT");
    expect(handleEndTxn(meta, 1000, 0, "COMMIT", 60_300)).toEqual({
      kind: "reply",
      error: "PRODUCER_FENCED",
    });
  });
});

describe("transactions: InitProducerId when the epoch is exhausted", () => {
  function atEpoch(epoch: number, state: "Empty" | "Ongoing" = "Empty"): TransactionMetadata {
    return new TransactionMetadata("tx", {
      producerId: 7,
      producerEpoch: epoch,
      txnTimeoutMs: TIMEOUT_MS,
      state,
      topicPartitions: state === "Ongoing" ? P : [],
      txnStartTimestamp: state === "Ongoing" ? 0 : -1,
      txnLastUpdateTimestamp: 0,
    });
  }

  it("bumps 32765 to 32766 (the last epoch a client may use), then rotates to a new producer id", () => {
    const s = settings();
    const meta = atEpoch(32765);
    written(handleInitProducerId(meta, initReq(), 100, s));
    expect(meta).toMatchObject({ producerId: 7, producerEpoch: 32766 });
    expect(s.issued).toEqual([]);
    // 32766 >= Short.MAX_VALUE - 1: exhausted. New producer id 1000 at epoch 0.
    const rot = written(handleInitProducerId(meta, initReq(), 200, s));
    expect(rot.transit).toMatchObject({
      txnState: "Empty",
      producerId: 1000,
      lastProducerId: 7,
      producerEpoch: 0,
      lastProducerEpoch: -1,
    });
    expect(s.issued).toEqual([1000]);
  });

  it("KIP-360: a rotation asked for with the exhausted epoch records it, and its retry is recognised", () => {
    const s = settings();
    const meta = atEpoch(32766);
    written(handleInitProducerId(meta, initReq(7, 32766), 100, s));
    expect(meta).toMatchObject({
      producerId: 1000,
      lastProducerId: 7,
      producerEpoch: 0,
      lastProducerEpoch: 32766,
    });
    // The answer was lost: the retry names the old id 7 with its exhausted epoch and gets the
    // same id and epoch, with no new id taken.
    const retry = written(handleInitProducerId(meta, initReq(7, 32766), 200, s));
    expect(retry.transit).toMatchObject({ producerId: 1000, producerEpoch: 0 });
    expect(s.issued).toEqual([1000]);
  });

  it("fencing an open transaction at 32766 uses 32767; the retry then rotates", () => {
    const s = settings();
    const meta = atEpoch(32766, "Ongoing");
    const fence = written(handleInitProducerId(meta, initReq(), 100, s));
    expect(fence.transit.producerEpoch).toBe(32767);
    markersDone(meta, 200);
    const rot = written(handleInitProducerId(meta, initReq(), 300, s));
    expect(rot.transit).toMatchObject({ producerId: 1000, producerEpoch: 0, lastProducerId: 7 });
  });
});

describe("transactions: AddPartitionsToTxn and AddOffsetsToTxn", () => {
  it("starts the transaction at the first add and keeps the start time after", () => {
    const s = settings();
    const meta = written(handleInitProducerId(undefined, initReq(), 100, s)).metadata;
    written(handleAddPartitions(meta, 1000, 0, [{ topic: "b", partition: 0 }], 500));
    expect(meta).toMatchObject({ state: "Ongoing", txnStartTimestamp: 500 });
    written(handleAddPartitions(meta, 1000, 0, [{ topic: "a", partition: 3 }], 700));
    expect(meta.txnStartTimestamp).toBe(500);
    expect(meta.txnLastUpdateTimestamp).toBe(700);
    expect(meta.topicPartitions).toEqual([
      { topic: "a", partition: 3 },
      { topic: "b", partition: 0 },
    ]);
    // Already in the transaction: NONE, nothing written.
    expect(handleAddPartitions(meta, 1000, 0, [{ topic: "a", partition: 3 }], 800)).toEqual({
      kind: "reply",
      error: "NONE",
    });
  });

  it("adds the group's __consumer_offsets partition for AddOffsetsToTxn", () => {
    const s = settings();
    const meta = written(handleInitProducerId(undefined, initReq(), 100, s)).metadata;
    // "group1" → partition 40 of __consumer_offsets (see group-placement.test.ts).
    written(handleAddOffsets(meta, 1000, 0, "group1", 50, 200));
    expect(meta.topicPartitions).toEqual([{ topic: "__consumer_offsets", partition: 40 }]);
  });

  it("refuses an unknown id or producer id, an old epoch, and a transaction being ended", () => {
    const s = settings();
    expect(handleAddPartitions(undefined, 1000, 0, P, 0)).toEqual({
      kind: "reply",
      error: "INVALID_PRODUCER_ID_MAPPING",
    });
    const meta = ongoing(s);
    expect(handleAddPartitions(meta, 999, 0, P, 300)).toEqual({
      kind: "reply",
      error: "INVALID_PRODUCER_ID_MAPPING",
    });
    expect(handleAddPartitions(meta, 1000, 1, P, 300)).toEqual({
      kind: "reply",
      error: "PRODUCER_FENCED",
    });
    written(handleEndTxn(meta, 1000, 0, "COMMIT", 300));
    expect(handleAddPartitions(meta, 1000, 0, [{ topic: "x", partition: 0 }], 400)).toEqual({
      kind: "reply",
      error: "CONCURRENT_TRANSACTIONS",
    });
  });
});

describe("transactions: EndTxn", () => {
  it("commit: Ongoing → PrepareCommit (reply NONE, COMMIT markers) → CompleteCommit; a retry gets NONE", () => {
    const s = settings();
    const meta = ongoing(s);
    const end = written(handleEndTxn(meta, 1000, 0, "COMMIT", 300));
    expect(end.transit).toMatchObject({ txnState: "PrepareCommit", producerEpoch: 0 });
    expect(end.replyOnSuccess).toBe("NONE");
    expect(end.markers).toEqual({
      result: "COMMIT",
      producerId: 1000,
      producerEpoch: 0,
      partitions: [
        { topic: "orders", partition: 0 },
        { topic: "orders", partition: 1 },
      ],
    });
    // Markers in flight (Complete* pending, as Kafka sets it at once): a retry must wait.
    const done = meta.prepareComplete(400);
    meta.beginTransition(done);
    expect(handleEndTxn(meta, 1000, 0, "COMMIT", 410)).toEqual({
      kind: "reply",
      error: "CONCURRENT_TRANSACTIONS",
    });
    meta.completeTransitionTo(done);
    expect(meta).toMatchObject({ state: "CompleteCommit", topicPartitions: [] });
    expect(handleEndTxn(meta, 1000, 0, "COMMIT", 500)).toEqual({ kind: "reply", error: "NONE" });
    expect(handleEndTxn(meta, 1000, 0, "ABORT", 500)).toEqual({
      kind: "reply",
      error: "INVALID_TXN_STATE",
    });
    // A new transaction may start after the old one completes.
    written(handleAddPartitions(meta, 1000, 0, [{ topic: "t", partition: 0 }], 600));
    expect(meta).toMatchObject({ state: "Ongoing", txnStartTimestamp: 600 });
  });

  it("abort: Ongoing → PrepareAbort → CompleteAbort; a retried ABORT gets NONE, a COMMIT INVALID_TXN_STATE", () => {
    const s = settings();
    const meta = ongoing(s);
    const end = written(handleEndTxn(meta, 1000, 0, "ABORT", 300));
    expect(end.transit.txnState).toBe("PrepareAbort");
    expect(end.markers?.result).toBe("ABORT");
    // Written, markers not yet acknowledged, no transition pending: same result waits, the other
    // result is refused.
    expect(handleEndTxn(meta, 1000, 0, "ABORT", 310)).toEqual({
      kind: "reply",
      error: "CONCURRENT_TRANSACTIONS",
    });
    expect(handleEndTxn(meta, 1000, 0, "COMMIT", 310)).toEqual({
      kind: "reply",
      error: "INVALID_TXN_STATE",
    });
    markersDone(meta, 400);
    expect(meta.state).toBe("CompleteAbort");
    expect(handleEndTxn(meta, 1000, 0, "ABORT", 500)).toEqual({ kind: "reply", error: "NONE" });
    expect(handleEndTxn(meta, 1000, 0, "COMMIT", 500)).toEqual({
      kind: "reply",
      error: "INVALID_TXN_STATE",
    });
  });

  it("PRODUCER_FENCED for an old epoch, INVALID_TXN_STATE with no transaction", () => {
    const s = settings();
    const meta = written(handleInitProducerId(undefined, initReq(), 100, s)).metadata;
    written(handleInitProducerId(meta, initReq(), 200, s)); // a second producer: epoch 1
    expect(handleEndTxn(meta, 1000, 0, "COMMIT", 300)).toEqual({
      kind: "reply",
      error: "PRODUCER_FENCED",
    });
    expect(handleEndTxn(meta, 1000, 1, "COMMIT", 300)).toEqual({
      kind: "reply",
      error: "INVALID_TXN_STATE",
    });
    expect(handleEndTxn(undefined, 1000, 1, "COMMIT", 300)).toEqual({
      kind: "reply",
      error: "INVALID_PRODUCER_ID_MAPPING",
    });
  });

  it("before KIP-588 (2.7) a client sees INVALID_PRODUCER_EPOCH instead of PRODUCER_FENCED", () => {
    expect(clientVisibleError("PRODUCER_FENCED", false)).toBe("INVALID_PRODUCER_EPOCH");
    expect(clientVisibleError("PRODUCER_FENCED", true)).toBe("PRODUCER_FENCED");
    expect(clientVisibleError("CONCURRENT_TRANSACTIONS", false)).toBe("CONCURRENT_TRANSACTIONS");
  });
});

describe("transactions: metadata: two-step transitions and expiry", () => {
  it("prepares never change the metadata; completing applies them only when pending", () => {
    const s = settings();
    const meta = ongoing(s);
    const before = meta.snapshot();
    const transit = meta.prepareAbortOrCommit("PrepareCommit", 300);
    expect(meta.snapshot()).toEqual(before);
    expect(() => meta.completeTransitionTo(transit)).toThrow(SimAssertionError);
    meta.beginTransition(transit);
    expect(() => meta.beginTransition(transit)).toThrow(SimAssertionError);
    meta.completeTransitionTo(transit);
    expect(meta.state).toBe("PrepareCommit");
  });

  it("asserts on a transition Kafka's table forbids", () => {
    const meta = written(handleInitProducerId(undefined, initReq(), 100, settings())).metadata;
    expect(() => meta.prepareAbortOrCommit("PrepareCommit", 200)).toThrow(SimAssertionError);
    expect(() => meta.prepareComplete(200)).toThrow(SimAssertionError);
  });

  it("expires an id only between transactions, after transactional.id.expiration.ms", () => {
    const week = 604_800_000;
    const meta = written(handleInitProducerId(undefined, initReq(), 100, settings())).metadata;
    expect(isTransactionalIdExpired(meta, 100 + week - 1, week)).toBe(false);
    expect(isTransactionalIdExpired(meta, 100 + week, week)).toBe(true);
    written(handleAddPartitions(meta, 1000, 0, P, 200));
    expect(isTransactionalIdExpired(meta, 200 + 2 * week, week)).toBe(false);
    expect(() => meta.prepareDead()).toThrow(SimAssertionError); // Ongoing → Dead is forbidden
  });

  it("maps a loading or foreign __transaction_state partition to Kafka's errors", () => {
    expect(partitionStatusError("loading")).toBe("COORDINATOR_LOAD_IN_PROGRESS");
    expect(partitionStatusError("not-coordinator")).toBe("NOT_COORDINATOR");
    expect(partitionStatusError("active")).toBe("NONE");
  });

  it("rebuilds from a __transaction_state record", () => {
    const meta = ongoing(settings());
    const copy = TransactionMetadata.fromLog("tx", meta.snapshot());
    expect(copy.snapshot()).toEqual(meta.snapshot());
    expect(copy.toString()).toContain("state=Ongoing");
  });
});
