/**
 * The transactional producer's TransactionManager against a scripted fake coordinator: the test
 * plays the brokers, answering each request the manager sends, and checks the requests, the
 * client states and the errors the application would see (reference §5, S16).
 */
import { describe, expect, it } from "vitest";
import {
  type TransactionHost,
  TransactionManager,
  type TransactionState,
  type TxnClientRequest,
} from "../../sim/client/producer/transaction-manager.ts";
import type { EventHandle } from "../../sim/engine/engine.ts";
import type { TraceFields } from "../../sim/engine/trace.ts";

const MS = 1000;

/** A fake producer host: records what the manager sends, traces and state changes. */
class FakeHost implements TransactionHost {
  readonly clientId = "producer-1";
  nowUs = 0;
  sent: Array<{ broker: number; m: TxnClientRequest }> = [];
  traces: TraceFields[] = [];
  states: Array<{ state: TransactionState; ended?: string }> = [];
  producerIds: Array<[number, number]> = [];
  failed: string[] = [];
  isFlushed = true;
  flushes = 0;
  bumpRequired = false;
  timers = new Map<number, number>();
  private correlation = 100;
  now = () => this.nowUs;
  anyBroker = () => 1;
  send = (broker: number, m: TxnClientRequest) => {
    this.sent.push({ broker, m });
  };
  nextCorrelationId = () => this.correlation++;
  timer = (atUs: number, id: number) => {
    this.timers.set(id, atUs);
    return { id } as unknown as EventHandle;
  };
  cancel = (h: EventHandle | undefined) => {
    if (h !== undefined) this.timers.delete((h as unknown as { id: number }).id);
  };
  emit = (_type: string, fields: TraceFields) => {
    this.traces.push(fields);
  };
  setProducerId = (pid: number, epoch: number) => {
    this.producerIds.push([pid, epoch]);
  };
  epochBumpRequired = () => this.bumpRequired;
  flushed = () => this.isFlushed;
  flush = () => {
    this.flushes++;
  };
  failUndrained = (error: string) => {
    this.failed.push(error);
  };
  onStateChange = (state: TransactionState, ended?: string) => {
    this.states.push({ state, ...(ended === undefined ? {} : { ended }) });
  };
  /** The one request sent since the last call. */
  take(): { broker: number; m: TxnClientRequest } {
    expect(this.sent.length).toBe(1);
    return this.sent.shift()!;
  }
}

function setup(overrides: Partial<{ retryBackoffMs: number; requestTimeoutMs: number }> = {}) {
  const host = new FakeHost();
  const tm = new TransactionManager(host, {
    transactionalId: "tx-1",
    transactionTimeoutMs: 60_000,
    requestTimeoutMs: overrides.requestTimeoutMs ?? 30_000,
    retryBackoffMs: overrides.retryBackoffMs ?? 100,
  });
  return { host, tm };
}

/** Answers the FindCoordinator the manager sent with `node`. */
function answerFind(host: FakeHost, tm: TransactionManager, node: number, keyType = "transaction") {
  const { broker, m } = host.take();
  expect(m.type).toBe("FindCoordinatorRequest");
  if (m.type !== "FindCoordinatorRequest") throw new Error("unreachable");
  expect(m.keyType).toBe(keyType);
  tm.onResponse(broker, {
    type: "FindCoordinatorResponse",
    bytes: 10,
    correlationId: m.correlationId,
    error: "NONE",
    nodeId: node,
  });
}

/** initTransactions through FindCoordinator and InitProducerId: READY with (4000, 0). */
function initialised() {
  const s = setup();
  s.tm.initTransactions();
  s.tm.poll(0);
  answerFind(s.host, s.tm, 2);
  s.tm.poll(0);
  const { broker, m } = s.host.take();
  s.tm.onResponse(broker, {
    type: "InitProducerIdResponse",
    bytes: 10,
    correlationId: m.correlationId,
    error: "NONE",
    producerId: 4000,
    producerEpoch: 0,
  });
  expect(s.tm.state).toBe("READY");
  return s;
}

function addPartitions(host: FakeHost, tm: TransactionManager, error: "NONE" | string = "NONE") {
  tm.poll(host.nowUs);
  const { broker, m } = host.take();
  if (m.type !== "AddPartitionsToTxnRequest") throw new Error(`expected AddPartitions: ${m.type}`);
  tm.onResponse(broker, {
    type: "AddPartitionsToTxnResponse",
    bytes: 10,
    correlationId: m.correlationId,
    results: m.topics.map((t) => ({
      topic: t.topic,
      partitions: t.partitions.map((p) => ({ partition: p, error: error as "NONE" })),
    })),
  });
  return m;
}

describe("TransactionManager: initTransactions", () => {
  it("finds the transaction coordinator, then asks it for a producer id with the timeout", () => {
    const { host, tm } = setup();
    expect(tm.state).toBe("UNINITIALIZED");
    tm.initTransactions();
    expect(tm.state).toBe("INITIALIZING");
    tm.poll(0);
    const find = host.sent[0]!.m;
    expect(find).toMatchObject({
      type: "FindCoordinatorRequest",
      key: "tx-1",
      keyType: "transaction",
    });
    answerFind(host, tm, 2);
    tm.poll(0);
    const { broker, m } = host.take();
    expect(broker).toBe(2);
    expect(m).toMatchObject({
      type: "InitProducerIdRequest",
      transactionalId: "tx-1",
      transactionTimeoutMs: 60_000,
      producerId: -1,
      producerEpoch: -1,
    });
    tm.onResponse(2, {
      type: "InitProducerIdResponse",
      bytes: 10,
      correlationId: m.correlationId,
      error: "NONE",
      producerId: 4000,
      producerEpoch: 7,
    });
    expect(tm.state).toBe("READY");
    expect(host.producerIds).toEqual([[4000, 7]]);
    expect(host.traces.some((t) => t.step === "state" && t.state === "READY")).toBe(true);
  });

  it("retries CONCURRENT_TRANSACTIONS after retry.backoff.ms, and looks up again on NOT_COORDINATOR", () => {
    const { host, tm } = setup({ retryBackoffMs: 100 });
    tm.initTransactions();
    tm.poll(0);
    answerFind(host, tm, 2);
    tm.poll(0);
    let req = host.take();
    tm.onResponse(2, {
      type: "InitProducerIdResponse",
      bytes: 10,
      correlationId: req.m.correlationId,
      error: "CONCURRENT_TRANSACTIONS",
      producerId: -1,
      producerEpoch: -1,
    });
    expect(tm.state).toBe("INITIALIZING");
    tm.poll(50 * MS);
    expect(host.sent).toHaveLength(0); // still backing off
    expect(tm.nextWakeUs()).toBe(100 * MS);
    host.nowUs = 100 * MS;
    tm.poll(100 * MS);
    req = host.take();
    expect(req).toMatchObject({ broker: 2, m: { type: "InitProducerIdRequest" } });
    tm.onResponse(2, {
      type: "InitProducerIdResponse",
      bytes: 10,
      correlationId: req.m.correlationId,
      error: "NOT_COORDINATOR",
      producerId: -1,
      producerEpoch: -1,
    });
    host.nowUs = 200 * MS;
    tm.poll(200 * MS);
    answerFind(host, tm, 3);
    tm.poll(200 * MS);
    expect(host.take()).toMatchObject({ broker: 3, m: { type: "InitProducerIdRequest" } });
  });

  it("a lost request (request.timeout.ms) forgets the coordinator and retries", () => {
    const { host, tm } = setup({ requestTimeoutMs: 1000 });
    tm.initTransactions();
    tm.poll(0);
    answerFind(host, tm, 2);
    tm.poll(0);
    const req = host.take();
    expect(host.timers.get(req.m.correlationId)).toBe(1000 * MS);
    host.nowUs = 1000 * MS;
    tm.onTimer(req.m.correlationId);
    host.nowUs = 1100 * MS;
    tm.poll(host.nowUs);
    expect(host.take().m.type).toBe("FindCoordinatorRequest");
  });

  it("refuses beginTransaction before initTransactions, and a send outside a transaction", () => {
    const { tm } = setup();
    expect(() => tm.beginTransaction()).toThrow(/IllegalStateException.*UNINITIALIZED/);
    expect(() => tm.checkSendAllowed()).toThrow(/before completing a call to initTransactions/);
    const s = initialised();
    expect(() => s.tm.checkSendAllowed()).toThrow(/Cannot call send in state READY/);
    s.tm.beginTransaction();
    expect(() => s.tm.checkSendAllowed()).not.toThrow();
  });
});

describe("TransactionManager: a transaction", () => {
  it("holds a partition's batches until AddPartitionsToTxn added it", () => {
    const { host, tm } = initialised();
    tm.beginTransaction();
    tm.maybeAddPartition("out", 0);
    tm.maybeAddPartition("out", 0);
    tm.maybeAddPartition("out", 1);
    expect(tm.isSendToPartitionAllowed("out", 0)).toBe(false);
    const m = addPartitions(host, tm);
    expect(m).toMatchObject({ producerId: 4000, producerEpoch: 0, transactionalId: "tx-1" });
    expect(m.topics).toEqual([{ topic: "out", partitions: [0, 1] }]);
    expect(tm.isSendToPartitionAllowed("out", 0)).toBe(true);
    expect(tm.isSendToPartitionAllowed("out", 1)).toBe(true);
    expect(tm.isSendToPartitionAllowed("out", 2)).toBe(false);
    // Only new partitions are added again.
    tm.maybeAddPartition("out", 1);
    tm.poll(0);
    expect(host.sent).toHaveLength(0);
  });

  it("retries partitions answered CONCURRENT_TRANSACTIONS, and an unknown error is abortable", () => {
    const { host, tm } = initialised();
    tm.beginTransaction();
    tm.maybeAddPartition("out", 0);
    addPartitions(host, tm, "CONCURRENT_TRANSACTIONS");
    expect(tm.isSendToPartitionAllowed("out", 0)).toBe(false);
    // The first AddPartitions of a transaction retries after 20 ms, not retry.backoff.ms.
    expect(tm.nextWakeUs()).toBe(20 * MS);
    host.nowUs = 100 * MS;
    addPartitions(host, tm, "TOPIC_AUTHORIZATION_FAILED");
    expect(tm.state).toBe("ABORTABLE_ERROR");
    expect(() => tm.checkSendAllowed()).toThrow(/KafkaException/);
    expect(() => tm.commitTransaction()).toThrow(/Cannot commit transaction/);
  });

  it("commits: flush, wait for every batch, then EndTxn(committed=true)", () => {
    const { host, tm } = initialised();
    tm.beginTransaction();
    tm.maybeAddPartition("out", 0);
    addPartitions(host, tm);
    host.isFlushed = false;
    tm.commitTransaction();
    expect(tm.state).toBe("COMMITTING_TRANSACTION");
    expect(host.flushes).toBe(1);
    tm.poll(0);
    expect(host.sent).toHaveLength(0); // batches still in flight
    host.isFlushed = true;
    tm.poll(0);
    const { broker, m } = host.take();
    expect(broker).toBe(2);
    expect(m).toMatchObject({ type: "EndTxnRequest", committed: true, producerId: 4000 });
    tm.onResponse(2, {
      type: "EndTxnResponse",
      bytes: 10,
      correlationId: m.correlationId,
      error: "NONE",
    });
    expect(tm.state).toBe("READY");
    expect(host.states.at(-1)).toEqual({ state: "READY", ended: "committed" });
    expect(tm.partitions()).toEqual([]);
    expect(tm.counters.committed).toBe(1);
  });

  it("retries EndTxn on COORDINATOR_LOAD_IN_PROGRESS", () => {
    const { host, tm } = initialised();
    tm.beginTransaction();
    tm.maybeAddPartition("out", 0);
    addPartitions(host, tm);
    tm.commitTransaction();
    tm.poll(0);
    let { m } = host.take();
    tm.onResponse(2, {
      type: "EndTxnResponse",
      bytes: 10,
      correlationId: m.correlationId,
      error: "COORDINATOR_LOAD_IN_PROGRESS",
    });
    expect(tm.state).toBe("COMMITTING_TRANSACTION");
    host.nowUs = 100 * MS;
    tm.poll(host.nowUs);
    ({ m } = host.take());
    expect(m).toMatchObject({ type: "EndTxnRequest", committed: true });
  });

  it("an empty transaction ends without EndTxn", () => {
    const { host, tm } = initialised();
    tm.beginTransaction();
    tm.abortTransaction();
    tm.poll(0);
    expect(host.sent).toHaveLength(0);
    expect(tm.state).toBe("READY");
    expect(host.states.at(-1)).toEqual({ state: "READY", ended: "aborted" });
  });

  it("abort fails the undrained batches and sends EndTxn(committed=false)", () => {
    const { host, tm } = initialised();
    tm.beginTransaction();
    tm.maybeAddPartition("out", 0);
    addPartitions(host, tm);
    tm.onBatchFailed("NOT_ENOUGH_REPLICAS");
    expect(tm.state).toBe("ABORTABLE_ERROR");
    tm.abortTransaction();
    expect(host.failed).toEqual([
      "TransactionAbortedException: Failing batch since transaction was aborted",
    ]);
    tm.poll(0);
    const { m } = host.take();
    expect(m).toMatchObject({ type: "EndTxnRequest", committed: false });
    tm.onResponse(2, {
      type: "EndTxnResponse",
      bytes: 10,
      correlationId: m.correlationId,
      error: "NONE",
    });
    expect(tm.state).toBe("READY");
  });

  it("after an abort that left sequences unknown, bumps the epoch with InitProducerId (KIP-360)", () => {
    const { host, tm } = initialised();
    tm.beginTransaction();
    tm.maybeAddPartition("out", 0);
    addPartitions(host, tm);
    host.bumpRequired = true;
    tm.abortTransaction();
    tm.poll(0);
    const end = host.take().m;
    tm.onResponse(2, {
      type: "EndTxnResponse",
      bytes: 10,
      correlationId: end.correlationId,
      error: "NONE",
    });
    expect(tm.state).toBe("INITIALIZING");
    tm.poll(0);
    const init = host.take().m;
    expect(init).toMatchObject({
      type: "InitProducerIdRequest",
      producerId: 4000,
      producerEpoch: 0,
    });
    tm.onResponse(2, {
      type: "InitProducerIdResponse",
      bytes: 10,
      correlationId: init.correlationId,
      error: "NONE",
      producerId: 4000,
      producerEpoch: 1,
    });
    expect(tm.state).toBe("READY");
    expect(host.producerIds.at(-1)).toEqual([4000, 1]);
  });
});

describe("TransactionManager: fencing (S16)", () => {
  it("PRODUCER_FENCED on EndTxn is fatal: later calls throw ProducerFencedException", () => {
    const { host, tm } = initialised();
    tm.beginTransaction();
    tm.maybeAddPartition("out", 0);
    addPartitions(host, tm);
    tm.commitTransaction();
    tm.poll(0);
    const { m } = host.take();
    tm.onResponse(2, {
      type: "EndTxnResponse",
      bytes: 10,
      correlationId: m.correlationId,
      error: "PRODUCER_FENCED",
    });
    expect(tm.state).toBe("FATAL_ERROR");
    expect(host.states.at(-1)).toEqual({ state: "FATAL_ERROR", ended: "failed" });
    expect(tm.error?.exception).toBe("ProducerFencedException");
    expect(() => tm.beginTransaction()).toThrow(/ProducerFencedException/);
    expect(() => tm.abortTransaction()).toThrow(/ProducerFencedException/);
    expect(() => tm.checkSendAllowed()).toThrow(/KafkaException/);
    expect(tm.isSendToPartitionAllowed("out", 0)).toBe(false);
    tm.poll(1_000_000 * MS);
    expect(host.sent).toHaveLength(0);
  });

  it("a batch failed with INVALID_PRODUCER_EPOCH by its leader fences the producer", () => {
    const { host, tm } = initialised();
    tm.beginTransaction();
    tm.onBatchFailed("INVALID_PRODUCER_EPOCH");
    expect(tm.state).toBe("FATAL_ERROR");
    expect(host.failed[0]).toMatch(/newer producer with the same transactionalId/);
    const fatal = host.traces.find((t) => t.state === "FATAL_ERROR");
    expect(fatal).toMatchObject({ transactionalId: "tx-1", producerId: 4000, epoch: 0 });
  });

  it("PRODUCER_FENCED on AddPartitionsToTxn is fatal too", () => {
    const { host, tm } = initialised();
    tm.beginTransaction();
    tm.maybeAddPartition("out", 0);
    addPartitions(host, tm, "PRODUCER_FENCED");
    expect(tm.state).toBe("FATAL_ERROR");
  });
});

describe("TransactionManager: sendOffsetsToTransaction", () => {
  it("AddOffsetsToTxn to the transaction coordinator, then TxnOffsetCommit to the group's", () => {
    const { host, tm } = initialised();
    tm.beginTransaction();
    tm.sendOffsetsToTransaction({
      groupId: "g",
      generationId: 3,
      memberId: "m-1",
      offsets: [{ topic: "in", partition: 0, offset: 42 }],
    });
    tm.poll(0);
    const add = host.take();
    expect(add).toMatchObject({ broker: 2, m: { type: "AddOffsetsToTxnRequest", groupId: "g" } });
    tm.onResponse(2, {
      type: "AddOffsetsToTxnResponse",
      bytes: 10,
      correlationId: add.m.correlationId,
      error: "NONE",
    });
    tm.poll(0);
    answerFind(host, tm, 5, "group");
    tm.poll(0);
    const commit = host.take();
    expect(commit.broker).toBe(5);
    expect(commit.m).toMatchObject({
      type: "TxnOffsetCommitRequest",
      groupId: "g",
      generationId: 3,
      memberId: "m-1",
      producerId: 4000,
      topics: [{ topic: "in", partitions: [{ partition: 0, committedOffset: 42 }] }],
    });
  });

  it("retries an unanswered TxnOffsetCommit, and EndTxn waits until it is answered", () => {
    const { host, tm } = initialised();
    tm.beginTransaction();
    tm.sendOffsetsToTransaction({
      groupId: "g",
      offsets: [{ topic: "in", partition: 0, offset: 1 }],
    });
    tm.poll(0);
    const add = host.take();
    tm.onResponse(2, {
      type: "AddOffsetsToTxnResponse",
      bytes: 10,
      correlationId: add.m.correlationId,
      error: "NONE",
    });
    tm.poll(0);
    answerFind(host, tm, 5, "group");
    tm.poll(0);
    const commit = host.take();
    tm.commitTransaction();
    host.nowUs = 30_000 * MS;
    tm.onTimer(commit.m.correlationId);
    expect(host.traces.some((t) => t.step === "offsets-not-committed")).toBe(false);
    // After retry.backoff.ms the group coordinator is looked up again and the offsets re-sent.
    tm.poll(host.nowUs + 100 * MS);
    answerFind(host, tm, 5, "group");
    tm.poll(host.nowUs + 100 * MS);
    const again = host.take();
    expect(again.m).toMatchObject({ type: "TxnOffsetCommitRequest", groupId: "g" });
    tm.onResponse(5, {
      type: "TxnOffsetCommitResponse",
      bytes: 10,
      correlationId: again.m.correlationId,
      results: [{ topic: "in", partitions: [{ partition: 0, error: "NONE" }] }],
    });
    tm.poll(host.nowUs + 100 * MS);
    expect(host.take().m).toMatchObject({ type: "EndTxnRequest", committed: true });
  });
});
