// transactions: offsets in a transaction, the producer's side (Kafka's TxnOffsetCommitHandler)
// against a scripted fake coordinator: retriable errors send the offsets not yet committed again
// after retry.backoff.ms (NOT_COORDINATOR and COORDINATOR_NOT_AVAILABLE after a new lookup);
// ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID and FENCED_INSTANCE_ID make the transaction abortable with
// CommitFailedException; PRODUCER_FENCED is fatal; an unexpected error is fatal; EndTxn waits until
// the TxnOffsetCommit is settled.
import { describe, expect, it } from "vitest";
import {
  type TransactionHost,
  TransactionManager,
  type TransactionState,
  type TxnClientRequest,
} from "../../sim/client/producer/transaction-manager.ts";
import type { EventHandle } from "../../sim/engine/engine.ts";
import type { TraceFields } from "../../sim/engine/trace.ts";
import type { KafkaError } from "../../sim/kafka/types.ts";

const MS = 1000;
const BACKOFF_MS = 100;

/** A fake producer host: records what the manager sends, its traces and its states. */
class FakeHost implements TransactionHost {
  readonly clientId = "producer-1";
  nowUs = 0;
  sent: Array<{ broker: number; m: TxnClientRequest }> = [];
  traces: TraceFields[] = [];
  states: Array<{ state: TransactionState; ended?: string }> = [];
  private correlation = 100;
  now = () => this.nowUs;
  anyBroker = () => 1;
  send = (broker: number, m: TxnClientRequest) => {
    this.sent.push({ broker, m });
  };
  nextCorrelationId = () => this.correlation++;
  timer = (_atUs: number, id: number) => ({ id }) as unknown as EventHandle;
  cancel = () => {};
  emit = (_type: string, fields: TraceFields) => {
    this.traces.push(fields);
  };
  setProducerId = () => {};
  epochBumpRequired = () => false;
  flushed = () => true;
  flush = () => {};
  failUndrained = () => {};
  onStateChange = (state: TransactionState, ended?: string) => {
    this.states.push({ state, ...(ended === undefined ? {} : { ended }) });
  };
  take(): { broker: number; m: TxnClientRequest } {
    expect(this.sent.length).toBe(1);
    return this.sent.shift()!;
  }
}

function answerFind(host: FakeHost, tm: TransactionManager, node: number, keyType: string) {
  const { broker, m } = host.take();
  if (m.type !== "FindCoordinatorRequest") throw new Error(`expected FindCoordinator: ${m.type}`);
  expect(m.keyType).toBe(keyType);
  tm.onResponse(broker, {
    type: "FindCoordinatorResponse",
    bytes: 10,
    correlationId: m.correlationId,
    error: "NONE",
    nodeId: node,
  });
}

/**
 * READY with producer id 4000, in a transaction whose AddOffsetsToTxn (group g, offsets for in-0
 * and in-1) is done, the group coordinator (node 5) found: the first TxnOffsetCommit is returned.
 */
function offsetsSent() {
  const host = new FakeHost();
  const tm = new TransactionManager(host, {
    transactionalId: "tx-1",
    transactionTimeoutMs: 60_000,
    requestTimeoutMs: 30_000,
    retryBackoffMs: BACKOFF_MS,
  });
  tm.initTransactions();
  tm.poll(0);
  answerFind(host, tm, 2, "transaction");
  tm.poll(0);
  const init = host.take();
  tm.onResponse(2, {
    type: "InitProducerIdResponse",
    bytes: 10,
    correlationId: init.m.correlationId,
    error: "NONE",
    producerId: 4000,
    producerEpoch: 0,
  });
  tm.beginTransaction();
  tm.sendOffsetsToTransaction({
    groupId: "g",
    generationId: 3,
    memberId: "m-1",
    groupInstanceId: "i-1",
    offsets: [
      { topic: "in", partition: 0, offset: 10 },
      { topic: "in", partition: 1, offset: 20 },
    ],
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
  expect(commit.broker).toBe(5);
  return { host, tm, commit };
}

function answer(
  tm: TransactionManager,
  sent: { broker: number; m: TxnClientRequest },
  errors: Record<number, KafkaError>,
) {
  tm.onResponse(sent.broker, {
    type: "TxnOffsetCommitResponse",
    bytes: 10,
    correlationId: sent.m.correlationId,
    results: [
      {
        topic: "in",
        partitions: Object.entries(errors).map(([p, error]) => ({ partition: Number(p), error })),
      },
    ],
  });
}

const partitionsOf = (m: TxnClientRequest) =>
  m.type === "TxnOffsetCommitRequest"
    ? m.topics.flatMap((t) => t.partitions.map((p) => `${t.topic}-${p.partition}`))
    : [];

describe("transactions: offsets: the producer's TxnOffsetCommit", () => {
  it("carries the consumer's group metadata (KIP-447)", () => {
    const { commit } = offsetsSent();
    expect(commit.m).toMatchObject({
      type: "TxnOffsetCommitRequest",
      groupId: "g",
      generationId: 3,
      memberId: "m-1",
      groupInstanceId: "i-1",
      producerId: 4000,
      producerEpoch: 0,
    });
  });

  it("NOT_COORDINATOR: looks the group coordinator up again and resends only what failed", () => {
    const { host, tm, commit } = offsetsSent();
    answer(tm, commit, { 0: "NONE", 1: "NOT_COORDINATOR" });
    expect(tm.state).toBe("IN_TRANSACTION");
    tm.poll(0);
    expect(host.sent).toHaveLength(0); // waits retry.backoff.ms
    tm.poll(BACKOFF_MS * MS);
    answerFind(host, tm, 6, "group");
    tm.poll(BACKOFF_MS * MS);
    const again = host.take();
    expect(again.broker).toBe(6);
    expect(partitionsOf(again.m)).toEqual(["in-1"]);
  });

  for (const error of [
    "COORDINATOR_LOAD_IN_PROGRESS",
    "UNKNOWN_TOPIC_OR_PARTITION",
    "REQUEST_TIMED_OUT",
  ] as const) {
    it(`${error}: sent again to the same coordinator after retry.backoff.ms`, () => {
      const { host, tm, commit } = offsetsSent();
      answer(tm, commit, { 0: error, 1: error });
      tm.poll(BACKOFF_MS * MS - 1);
      expect(host.sent).toHaveLength(0);
      tm.poll(BACKOFF_MS * MS);
      const again = host.take();
      expect(again.broker).toBe(5);
      expect(partitionsOf(again.m)).toEqual(["in-0", "in-1"]);
    });
  }

  it("commitTransaction waits: EndTxn goes only once the TxnOffsetCommit succeeded", () => {
    const { host, tm, commit } = offsetsSent();
    tm.commitTransaction();
    tm.poll(0);
    expect(host.sent).toHaveLength(0);
    answer(tm, commit, { 0: "COORDINATOR_LOAD_IN_PROGRESS", 1: "NONE" });
    tm.poll(BACKOFF_MS * MS);
    const again = host.take();
    expect(again.m.type).toBe("TxnOffsetCommitRequest");
    answer(tm, again, { 0: "NONE" });
    expect(host.traces.some((t) => t.step === "offsets-committed")).toBe(true);
    tm.poll(BACKOFF_MS * MS);
    expect(host.take()).toMatchObject({ broker: 2, m: { type: "EndTxnRequest", committed: true } });
  });

  for (const error of ["ILLEGAL_GENERATION", "UNKNOWN_MEMBER_ID", "FENCED_INSTANCE_ID"] as const) {
    it(`${error}: abortable, CommitFailedException; the pending commit fails and abort works`, () => {
      const { host, tm, commit } = offsetsSent();
      tm.commitTransaction();
      answer(tm, commit, { 0: error, 1: "NONE" });
      expect(tm.state).toBe("ABORTABLE_ERROR");
      expect(tm.error?.exception).toBe("CommitFailedException");
      expect(tm.error?.message).toContain("consumer group metadata mismatch");
      expect(host.states.at(-1)).toEqual({ state: "ABORTABLE_ERROR", ended: "failed" });
      tm.poll(0);
      expect(host.sent).toHaveLength(0); // no EndTxn(commit)
      tm.abortTransaction();
      tm.poll(0);
      expect(host.take().m).toMatchObject({ type: "EndTxnRequest", committed: false });
    });
  }

  it("PRODUCER_FENCED is fatal: ProducerFencedException", () => {
    const { tm, commit } = offsetsSent();
    answer(tm, commit, { 0: "PRODUCER_FENCED", 1: "PRODUCER_FENCED" });
    expect(tm.state).toBe("FATAL_ERROR");
    expect(tm.error?.exception).toBe("ProducerFencedException");
    expect(() => tm.commitTransaction()).toThrow(/ProducerFencedException/);
  });

  it("an unexpected error is fatal (KafkaException)", () => {
    const { tm, commit } = offsetsSent();
    answer(tm, commit, { 0: "UNKNOWN_SERVER_ERROR", 1: "NONE" });
    expect(tm.state).toBe("FATAL_ERROR");
    expect(tm.error?.message).toContain("Unexpected error in TxnOffsetCommitResponse");
  });

  it("a disconnect: the group coordinator is looked up again and the offsets resent", () => {
    const { host, tm } = offsetsSent();
    tm.onDisconnect(5);
    tm.poll(BACKOFF_MS * MS);
    answerFind(host, tm, 5, "group");
    tm.poll(BACKOFF_MS * MS);
    expect(partitionsOf(host.take().m)).toEqual(["in-0", "in-1"]);
  });

  it("while aborting, a TxnOffsetCommit that fails is dropped, not retried", () => {
    const { host, tm, commit } = offsetsSent();
    tm.abortTransaction();
    answer(tm, commit, { 0: "COORDINATOR_LOAD_IN_PROGRESS", 1: "NONE" });
    expect(host.traces.some((t) => t.step === "offsets-not-committed")).toBe(true);
    tm.poll(0);
    expect(host.take().m).toMatchObject({ type: "EndTxnRequest", committed: false });
  });
});
