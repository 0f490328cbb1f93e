// transactions: the transactional producer end to end against the simulated cluster (the
// transaction coordinator in sim/kafka/txn, the partition leaders' markers): a transactional
// workload finds its coordinator, gets a producer id, adds each partition before its batches go,
// and commits (or aborts) every N records; the log holds transactional batches and control
// batches; a second producer with the same transactional.id fences the first (S16), whose commit
// then fails with ProducerFencedException and whose workload stops.
import { describe, expect, it } from "vitest";
import { KafkaProducer } from "../../sim/client/producer/kafka-producer.ts";
import type { TransactionWorkload } from "../../sim/client/producer/workload.ts";
import type { TraceEvent } from "../../sim/engine/trace.ts";
import { parseScenarioText } from "../../sim/scenario/load.ts";
import { runScenario } from "../../sim/scenario/runner.ts";
import { ClusterWorld } from "../support/cluster-world.ts";

const TOPIC = "out";
const S = 1_000_000;

function world(seed = 7): ClusterWorld {
  return new ClusterWorld({
    seed,
    brokers: 3,
    controllers: { kind: "dedicated", count: 3 },
    topics: [{ name: TOPIC, partitions: 2, replicationFactor: 3 }],
    recordTrace: true,
  });
}

function producer(
  w: ClusterWorld,
  id: string,
  transaction: TransactionWorkload,
  opts: { count: number; startAtUs?: number },
): KafkaProducer {
  const p = new KafkaProducer(w.engine, w.network, {
    clientId: id,
    version: "4.1",
    config: { "transactional.id": "tx-1" },
    bootstrap: [1, 2, 3],
    history: w.recorder,
    workload: {
      topic: TOPIC,
      ratePerSec: 100,
      count: opts.count,
      valueBytes: 20,
      keys: { kind: "sequential", count: 4 },
      startAtUs: opts.startAtUs ?? 2 * S,
      transaction,
    },
  });
  p.boot();
  return p;
}

const txnSteps = (trace: readonly TraceEvent[], client: string, step: string) =>
  trace.filter((e) => e.type === "producer.txn" && e.client === client && e.step === step);

const ends = (trace: readonly TraceEvent[], client: string) =>
  txnSteps(trace, client, "state")
    .filter((e) => e.outcome !== undefined)
    .map((e) => e.outcome);

/** Every batch of the topic in the leader's log at the end, by partition. */
function logBatches(w: ClusterWorld) {
  const final = w.finalState();
  return final.partitions
    .filter((p) => p.topic === TOPIC)
    .flatMap((p) => {
      const leader = p.replicas.find((r) => r.broker === p.leader) ?? p.replicas[0]!;
      return leader.batches.map((b) => ({ partition: p.partition, ...b }));
    });
}

describe("transactional producer: commit every 10 records", () => {
  const w = world();
  const p = producer(w, "producer-1", { records: 10, end: "commit" }, { count: 30 });
  w.runUntil(20 * S);

  it("initialises through FindCoordinator and InitProducerId, then commits three transactions", () => {
    expect(txnSteps(w.trace, "producer-1", "find-coordinator").length).toBeGreaterThan(0);
    expect(p.producerIdAndEpoch().producerId).toBeGreaterThanOrEqual(0);
    expect(ends(w.trace, "producer-1")).toEqual(["committed", "committed", "committed"]);
    expect(p.transactionState()).toBe("READY");
  });

  it("every record is acknowledged, in transactional batches", () => {
    const stats = p.stats();
    expect(stats.records).toBe(30);
    expect(stats.failed + stats.unknown + stats.recordsFailedBeforeBatch).toBe(0);
    const sends = w.trace.filter((e) => e.type === "producer.send" && e.client === "producer-1");
    expect(sends.length).toBeGreaterThan(0);
    const data = logBatches(w).filter((b) => !b.isControl);
    expect(data.length).toBeGreaterThan(0);
    expect(data.every((b) => b.isTransactional)).toBe(true);
  });

  it("a partition's first batch goes only after AddPartitionsToTxn added it", () => {
    const firstAdd = w.trace.find(
      (e) => e.type === "producer.txn" && e.step === "partitions-added" && e.added !== "",
    );
    const firstSend = w.trace.find((e) => e.type === "producer.send");
    expect(firstAdd).toBeDefined();
    expect(firstSend).toBeDefined();
    expect(firstAdd!.t).toBeLessThanOrEqual(firstSend!.t);
  });

  it("the log holds a commit marker after each transaction's records", () => {
    const markers = logBatches(w).filter((b) => b.isControl);
    expect(markers.length).toBeGreaterThanOrEqual(3);
  });
});

describe("transactional producer: abort every 5 records", () => {
  const w = world(3);
  const p = producer(w, "producer-1", { records: 5, end: "abort" }, { count: 10 });
  w.runUntil(20 * S);

  it("aborts both transactions; their records were written and then aborted", () => {
    expect(ends(w.trace, "producer-1")).toEqual(["aborted", "aborted"]);
    expect(p.transactionState()).toBe("READY");
  });
});

describe("transactional producer: zombie fencing (S16)", () => {
  const w = world(5);
  // P1 leaves its first transaction open; P2 with the same transactional.id starts at 5 s.
  const p1 = producer(w, "producer-1", { records: 3, end: "open" }, { count: 10 });
  // The transactional workload calls initTransactions when its process starts: P2 starts at 5 s.
  let p2!: KafkaProducer;
  w.at(5 * S, () => {
    p2 = producer(w, "producer-2", { records: 5, end: "commit" }, { count: 10, startAtUs: 6 * S });
  });
  let fenced: unknown;
  let stateBeforeCommit: string | undefined;
  w.at(12 * S, () => {
    stateBeforeCommit = p1.transactionState();
    p1.commitTransaction(); // P1 does not know yet: its coordinator will say
  });
  w.at(18 * S, () => {
    try {
      p1.beginTransaction();
    } catch (e) {
      fenced = e;
    }
  });
  w.runUntil(25 * S);

  it("P2 gets the same producer id with a higher epoch and commits", () => {
    const a = p1.producerIdAndEpoch();
    const b = p2.producerIdAndEpoch();
    expect(b.producerId).toBe(a.producerId);
    expect(b.producerEpoch).toBeGreaterThan(a.producerEpoch);
    expect(ends(w.trace, "producer-2")).toEqual(["committed", "committed"]);
  });

  it("P1's commit fails with ProducerFencedException; later calls throw it", () => {
    expect(stateBeforeCommit).toBe("IN_TRANSACTION");
    expect(p1.transactionState()).toBe("FATAL_ERROR");
    expect(ends(w.trace, "producer-1")).toEqual(["failed"]);
    expect((fenced as Error).name).toBe("ProducerFencedException");
    // Its workload stopped after the three records of the open transaction.
    expect(p1.stats().records).toBe(3);
  });
});

// The same producer built from a scenario file: the workload's `transaction` reaches it through
// sim/scenario/kafka-world.ts.
describe("transactional producer from a scenario file", () => {
  const text = [
    "name: txn-commit",
    "seed: 7",
    "duration: 20s",
    "cluster: {brokers: 3}",
    "topics: [{name: out, partitions: 2, replication-factor: 3}]",
    "clients:",
    "  - id: producer-1",
    "    type: producer",
    "    config: {transactional.id: tx-1}",
    "    workload: {topic: out, rate: 100/s, count: 30, transaction: {records: 10, end: commit}}",
  ].join("\n");

  it("commits three transactions", () => {
    const events: TraceEvent[] = [];
    runScenario(parseScenarioText(text, "txn.yaml"), { onTrace: (e) => events.push(e) });
    expect(ends(events, "producer-1")).toEqual(["committed", "committed", "committed"]);
  });
});

describe("transactional producer: a crashed and restarted producer process", () => {
  const w = world(9);
  // 100 records a second from 2 s until record 400 (6 s); a restarted process goes on from the
  // record due at its start.
  const p = producer(w, "producer-1", { records: 10, end: "commit" }, { count: 400 });
  // Crash in the middle of the second transaction (records 10-19 go out from 2.1 s).
  w.at(2_150_000, () => p.host.crash("process"));
  w.at(3 * S, () => p.host.restart());
  w.runUntil(25 * S);

  it("the new process initialises again under a higher epoch and commits from then on", () => {
    const ready = txnSteps(w.trace, "producer-1", "state").filter((e) => e.state === "READY");
    const epochs = ready.map((e) => Number(e.epoch));
    expect(epochs[0]).toBe(0);
    expect(Math.max(...epochs)).toBeGreaterThan(0);
    const outcomes = ends(w.trace, "producer-1");
    expect(outcomes[0]).toBe("committed");
    expect(outcomes.length).toBeGreaterThanOrEqual(3);
    expect(outcomes.every((o) => o === "committed")).toBe(true);
    expect(p.transactionState()).toBe("READY");
    // The coordinator aborted the dead process's open transaction before answering the new one.
    const aborted = w.trace.filter(
      (e) => e.type === "txn.state" && e.transactionalId === "tx-1" && e.to === "CompleteAbort",
    );
    expect(aborted.length).toBe(1);
  });
});

describe("transactional producer: an abortable error (min.insync.replicas cannot be met)", () => {
  const w = new ClusterWorld({
    seed: 4,
    brokers: 3,
    controllers: { kind: "dedicated", count: 3 },
    topics: [
      {
        name: TOPIC,
        partitions: 2,
        replicationFactor: 3,
        config: { "min.insync.replicas": "3" },
      },
    ],
    recordTrace: true,
  });
  const p = new KafkaProducer(w.engine, w.network, {
    clientId: "producer-1",
    version: "4.1",
    config: {
      "transactional.id": "tx-1",
      "request.timeout.ms": 1000,
      "delivery.timeout.ms": 2000,
    },
    bootstrap: [1, 2, 3],
    history: w.recorder,
    workload: {
      topic: TOPIC,
      ratePerSec: 100,
      count: 1400,
      valueBytes: 20,
      startAtUs: 2 * S,
      transaction: { records: 10, end: "commit" },
    },
  });
  p.boot();
  // Broker 3 is down from 3 s to 8 s: every write to `out` fails NOT_ENOUGH_REPLICAS meanwhile.
  w.crashAt(3 * S, 3, "process");
  w.restartAt(8 * S, 3);
  w.runUntil(20 * S);

  it("a commit whose batches expire fails (abortable), the workload aborts, then commits resume", () => {
    const outcomes = ends(w.trace, "producer-1");
    const firstFailed = outcomes.indexOf("failed");
    expect(firstFailed).toBeGreaterThan(0);
    expect(outcomes[firstFailed + 1]).toBe("aborted");
    const abortable = txnSteps(w.trace, "producer-1", "state").filter(
      (e) => e.state === "ABORTABLE_ERROR",
    );
    expect(abortable.length).toBeGreaterThan(0);
    expect(outcomes.at(-1)).toBe("committed");
    expect(outcomes.filter((o) => o === "committed").length).toBeGreaterThan(50);
    expect(p.transactionState()).toBe("READY");
    // The application thread waited while transactions ended; the workload still sent everything.
    expect(p.stats().records).toBe(1400);
  });
});
