// transactions (issue #8): acceptance tests of the issue that the other transaction tests did not
// cover end to end with real clients:
// (a) records of aborted transactions are skipped by read_committed KafkaConsumers and returned by
//     read_uncommitted ones, in a scenario file with transactional producers (one that commits,
//     one that aborts), group members and an assign() consumer;
// (b) a transaction coordinator that crashes right after writing PrepareCommit, before all the
//     COMMIT markers are written, is replaced by the new leader of the id's __transaction_state
//     partition, which finishes the commit; read_committed consumers then get every record of
//     the transaction.
// (test/scenario/txn-partition-lso.test.ts covers the consumers against scripted produce and
// marker requests; txn-coordinator.test.ts the failover with a scripted client and no data.)
import { describe, expect, it } from "vitest";
import type { History, PollRecord } from "../../sim/check/history.ts";
import { KafkaConsumer } from "../../sim/client/consumer/kafka-consumer.ts";
import { KafkaProducer } from "../../sim/client/producer/kafka-producer.ts";
import type { TraceEvent } from "../../sim/engine/trace.ts";
import {
  TRANSACTION_STATE_TOPIC,
  transactionCoordinatorPartition,
} from "../../sim/kafka/txn/placement.ts";
import { parseScenarioText } from "../../sim/scenario/load.ts";
import { runScenario } from "../../sim/scenario/runner.ts";
import { ClusterWorld } from "../support/cluster-world.ts";

const S = 1_000_000;

const of = (trace: readonly TraceEvent[], type: string) => trace.filter((e) => e.type === type);

/** Ends of a producer's transactions, in order (committed / aborted / failed). */
const ends = (trace: readonly TraceEvent[], client: string) =>
  trace
    .filter(
      (e) =>
        e.type === "producer.txn" &&
        e.client === client &&
        e.step === "state" &&
        e.outcome !== undefined,
    )
    .map((e) => e.outcome);

const ackedSends = (h: History, client: string) => {
  const acked = new Set(h.outcomes.filter((o) => o.outcome === "acked").map((o) => o.sendId));
  return h.sends.filter((s) => s.client === client && acked.has(s.sendId)).map((s) => s.sendId);
};

/** The sends whose batches a consumer was handed, one entry per delivered batch. */
const deliveredSends = (h: History, consumer: string) =>
  h.polls
    .filter((p) => p.consumer === consumer)
    .flatMap((p: PollRecord) => (p.origins ?? []).map((o) => o.sendId));

const sorted = (xs: readonly string[]) => [...xs].sort();

describe("issue #8 (a): aborted records and real consumers, from a scenario file", () => {
  const text = [
    "version: 1",
    "name: txn-aborted-records",
    "seed: 21",
    "duration: 15s",
    "cluster: {brokers: 3, controllers: 1}",
    "topics: [{name: out, partitions: 2, replication-factor: 3}]",
    "clients:",
    "  - id: committer",
    "    type: producer",
    "    config: {transactional.id: tx-c}",
    "    workload: {topic: out, rate: 50/s, from: 1s, count: 20, keys: sequence,",
    "               transaction: {records: 5, end: commit}}",
    "  - id: aborter",
    "    type: producer",
    "    config: {transactional.id: tx-a}",
    "    workload: {topic: out, rate: 50/s, from: 1s, count: 20, keys: sequence,",
    "               transaction: {records: 5, end: abort}}",
    "  - id: rc-member",
    "    type: consumer",
    "    group: billing",
    "    subscribe: [out]",
    "    config: {isolation.level: read_committed, auto.offset.reset: earliest}",
    "  - id: ru-member",
    "    type: consumer",
    "    group: audit",
    "    subscribe: [out]",
    "    config: {isolation.level: read_uncommitted, auto.offset.reset: earliest}",
    "  - id: rc-assigned",
    "    type: consumer",
    "    subscribe: [out]",
    "    config: {isolation.level: read_committed, auto.offset.reset: earliest}",
    "expect:",
    "  - check: read-committed",
    "  - check: no-lost-acked-writes",
  ].join("\n");

  const trace: TraceEvent[] = [];
  let history!: History;
  const positions = new Map<string, number>();
  const report = runScenario(parseScenarioText(text, "txn-aborted-records.yaml"), {
    onTrace: (e) => trace.push(e),
    atEnd: ({ kafka, nowUs }) => {
      history = kafka!.recorder.history(nowUs);
      for (const [id, c] of kafka!.consumers) {
        for (const partition of [0, 1]) {
          positions.set(`${id}:${partition}`, c.position({ topic: "out", partition }) ?? -1);
        }
      }
    },
  });
  const committed = ackedSends(history, "committer");
  const aborted = ackedSends(history, "aborter");
  /** The partition's last high watermark as its leader reported it (the end, markers included). */
  const logEnd = (partition: number) =>
    Math.max(
      ...history.hwChanges
        .filter((c) => c.topic === "out" && c.partition === partition && c.isLeader)
        .map((c) => c.hw),
    );

  it("the producers commit and abort as told; the aborted records were written", () => {
    expect(ends(trace, "committer")).toEqual(["committed", "committed", "committed", "committed"]);
    expect(ends(trace, "aborter")).toEqual(["aborted", "aborted", "aborted", "aborted"]);
    expect(committed.length).toBeGreaterThan(0);
    expect(aborted.length).toBeGreaterThan(0);
    // Every aborted send is in the log, and an ABORT marker of tx-a follows it on its partition.
    const markers = history.txnMarkers.filter((m) => m.transactionalId === "tx-a");
    expect(markers.length).toBeGreaterThan(0);
    expect(markers.every((m) => !m.commit)).toBe(true);
    const outcome = new Map(history.outcomes.map((o) => [o.sendId, o]));
    for (const id of aborted) {
      const send = history.sends.find((s) => s.sendId === id)!;
      const offset = outcome.get(id)!.offset!;
      expect(
        markers.some((m) => m.partition === send.partition && m.offset > offset),
        `${id} at ${send.partition}:${offset} is followed by an ABORT marker`,
      ).toBe(true);
    }
  });

  it("read_committed consumers (a group member and an assign() consumer) skip every aborted record", () => {
    for (const consumer of ["rc-member", "rc-assigned"]) {
      const got = deliveredSends(history, consumer);
      expect(sorted(got), consumer).toEqual(sorted(committed));
      // Their positions passed the aborted records and every marker.
      for (const partition of [0, 1]) {
        expect(positions.get(`${consumer}:${partition}`)).toBe(logEnd(partition));
      }
    }
  });

  it("the read_uncommitted consumer returns the aborted records as well", () => {
    const got = deliveredSends(history, "ru-member");
    expect(sorted(got)).toEqual(sorted([...committed, ...aborted]));
    for (const partition of [0, 1]) {
      expect(positions.get(`ru-member:${partition}`)).toBe(logEnd(partition));
    }
  });

  it("the scenario's expectations hold, read-committed among them", () => {
    expect(report.results.expectations.filter((e) => !e.ok)).toEqual([]);
    const check = report.results.checks.find((c) => c.name === "read-committed")!;
    expect(check.holds).toBe(true);
  });
});

describe("issue #8 (b): the coordinator crashes after PrepareCommit; the new one completes the commit", () => {
  const TOPIC = "out";
  const w = new ClusterWorld({
    seed: 13,
    brokers: 3,
    controllers: { kind: "dedicated", count: 1 },
    topics: [{ name: TOPIC, partitions: 3, replicationFactor: 3 }],
    recordTrace: true,
  });
  // 30 records with 12 keys, 10 per transaction: each transaction writes to all three partitions.
  const producer = new KafkaProducer(w.engine, w.network, {
    clientId: "producer-1",
    version: "4.1",
    config: { "transactional.id": "tx-1" },
    bootstrap: [1, 2, 3],
    history: w.recorder,
    workload: {
      topic: TOPIC,
      ratePerSec: 100,
      count: 30,
      valueBytes: 20,
      keys: { kind: "sequential", count: 12 },
      startAtUs: 2 * S,
      transaction: { records: 10, end: "commit" },
    },
  });
  producer.boot();
  const consumer = (clientId: string, isolation: string) => {
    const c = new KafkaConsumer(w.engine, w.network, {
      clientId,
      version: "4.1",
      bootstrap: [1, 2, 3],
      config: { "isolation.level": isolation },
      history: w.recorder,
      startAtUs: 1 * S,
    });
    const tps = [0, 1, 2].map((partition) => ({ topic: TOPIC, partition }));
    c.assign(tps);
    for (const tp of tps) c.seek(tp, 0);
    w.at(1 * S, () => c.boot());
    return c;
  };
  const rc = consumer("rc", "read_committed");
  const ru = consumer("ru", "read_uncommitted");

  // Crash the coordinator the moment it has written the first PrepareCommit of tx-1 (the commit
  // point), at the same virtual time: its markers cannot all be out.
  let crashed = "";
  let crashedAtUs = -1;
  let prepared: TraceEvent | undefined;
  w.engine.trace.subscribe((e) => {
    if (e.type === "txn.state" && e.transactionalId === "tx-1" && e.to === "PrepareCommit") {
      if (crashed !== "") return;
      prepared = e;
      crashed = e.node;
      crashedAtUs = e.t;
      w.at(e.t, () => w.cluster.crash(crashed, "process"));
    }
  });
  w.runUntil(30 * S);
  w.at(30 * S, () => w.cluster.restart(crashed));
  w.runUntil(60 * S);
  const h = w.history();
  const trace = w.trace;
  const commitMarkers = of(trace, "txn.marker").filter(
    (e) =>
      e.topic === TOPIC &&
      e.result === "COMMIT" &&
      prepared !== undefined &&
      e.producerId === prepared.producerId &&
      e.producerEpoch === prepared.producerEpoch,
  );

  it("crashes the leader of tx-1's __transaction_state partition with the commit prepared, markers not all written", () => {
    expect(prepared).toBeDefined();
    const partition = transactionCoordinatorPartition("tx-1", 50);
    expect(prepared!.coordinatorPartition).toBe(partition);
    const leaderThen = h.leaderChanges
      .filter(
        (c) =>
          c.topic === TRANSACTION_STATE_TOPIC && c.partition === partition && c.atUs <= crashedAtUs,
      )
      .at(-1);
    expect(String(leaderThen?.leader)).toBe(crashed);
    expect(prepared!.partitions).toEqual(["out-0", "out-1", "out-2"]);
    const byCrash = commitMarkers.filter((e) => e.t <= crashedAtUs && e.error === "NONE");
    expect(byCrash.length).toBeLessThan(3);
    // The old coordinator never wrote CompleteCommit.
    expect(
      of(trace, "txn.state").filter((e) => e.node === crashed && e.to === "CompleteCommit"),
    ).toEqual([]);
  });

  it("the new coordinator loads the prepared commit, writes every marker and CompleteCommit", () => {
    const load = of(trace, "txn.load").find(
      (e) =>
        e.node !== crashed &&
        e.t > crashedAtUs &&
        (e.prepared as readonly string[]).includes("tx-1"),
    );
    expect(load).toBeDefined();
    const written = new Set(
      commitMarkers.filter((e) => e.error === "NONE").map((e) => e.partition),
    );
    expect([...written].sort()).toEqual([0, 1, 2]);
    const complete = of(trace, "txn.state").filter(
      (e) =>
        e.transactionalId === "tx-1" &&
        e.to === "CompleteCommit" &&
        e.producerEpoch === prepared!.producerEpoch &&
        e.t > crashedAtUs,
    );
    expect(complete[0]).toMatchObject({ node: load!.node, from: "PrepareCommit" });
  });

  it("the producer's transactions all commit, the interrupted one included", () => {
    expect(ends(trace, "producer-1")).toEqual(["committed", "committed", "committed"]);
    expect(producer.transactionState()).toBe("READY");
  });

  it("read_committed consumers get every record of every transaction, once", () => {
    const acked = ackedSends(h, "producer-1");
    expect(producer.stats().records).toBe(30);
    expect(sorted(deliveredSends(h, "rc"))).toEqual(sorted(acked));
    expect(sorted(deliveredSends(h, "ru"))).toEqual(sorted(acked));
    const records = h.polls.filter((p) => p.consumer === "rc").reduce((n, p) => n + p.count, 0);
    expect(records).toBe(30);
    // Past the data and the three COMMIT markers of each partition.
    for (const partition of [0, 1, 2]) {
      const final = w
        .finalState()
        .partitions.find((p) => p.topic === TOPIC && p.partition === partition)!;
      expect(rc.position({ topic: TOPIC, partition })).toBe(final.hw);
      expect(ru.position({ topic: TOPIC, partition })).toBe(final.hw);
    }
  });
});
