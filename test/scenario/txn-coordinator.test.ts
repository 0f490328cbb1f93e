// transactions: coordinator: the first FindCoordinator(transaction) creates __transaction_state
// (50 partitions, RF 3, min ISR 2, compacted); InitProducerId hands out a producer id at epoch 0
// and bumps the epoch on every re-init; a transaction goes Ongoing → PrepareCommit →
// CompleteCommit, each state written to the coordinator's partition before it is answered, with
// WriteTxnMarkers sent to every partition's leader in between; a new InitProducerId over an open
// transaction aborts it under a bumped epoch (CONCURRENT_TRANSACTIONS until done, the old epoch
// is fenced); a transaction open past transaction.timeout.ms is aborted by the periodic check;
// and a coordinator that crashes after PrepareCommit is replaced by a new leader of its partition
// that reloads the log and finishes the commit.
import { describe, expect, it } from "vitest";
import type { Actor, Engine, SimEvent } from "../../sim/engine/engine.ts";
import type { TraceEvent } from "../../sim/engine/trace.ts";
import { Host } from "../../sim/infra/host.ts";
import type { NetDelivery, Network } from "../../sim/infra/network.ts";
import { HEADER_BYTES } from "../../sim/kafka/protocol.ts";
import type {
  CoordinatorRequest,
  FindCoordinatorResponse,
  InitProducerIdResponse,
} from "../../sim/kafka/protocol-clients.ts";
import type { AddPartitionsToTxnResponse, EndTxnResponse } from "../../sim/kafka/protocol-txn.ts";
import {
  TRANSACTION_STATE_TOPIC,
  transactionCoordinatorPartition,
} from "../../sim/kafka/txn/placement.ts";
import { ClusterWorld, DEFAULT_MACHINE } from "../support/cluster-world.ts";

const TOPIC = "orders";
const RETRY_US = 100_000;
const TIMEOUT_MS = 60_000; // transaction.timeout.ms (the producer's default)

type Response =
  | FindCoordinatorResponse
  | InitProducerIdResponse
  | AddPartitionsToTxnResponse
  | EndTxnResponse;

/**
 * A scripted transactional client: it finds the coordinator of its transactional id (retrying
 * while the answer is an error, rotating over brokers 1..3), then sends what the test asks,
 * answering `done` with the response. Coordinator errors send it back to FindCoordinator;
 * `untilDone` retries CONCURRENT_TRANSACTIONS as a producer would.
 */
class TxnClient implements Actor {
  readonly log: Array<{ t: number; message: Response }> = [];
  coordinator: string | undefined;
  producerId = -1;
  producerEpoch = -1;
  private correlation = 0;
  private bootstrap = 0;
  private readonly waiting = new Map<number, (m: Response) => void>();
  private readonly actions: Array<() => void> = [];

  constructor(
    readonly id: string,
    readonly transactionalId: string,
    private readonly engine: Engine,
    private readonly network: Network,
  ) {
    new Host(engine, network, { name: id, ...DEFAULT_MACHINE });
    engine.register(this);
  }

  handle(event: SimEvent): void {
    if (event.kind === "client.act") return this.actions[event.payload as number]!();
    if (event.kind !== "net.message") return;
    const m = (event.payload as NetDelivery<Response>).message;
    const done = this.waiting.get(m.correlationId);
    if (done === undefined) return;
    this.waiting.delete(m.correlationId);
    this.log.push({ t: this.engine.now, message: m });
    done(m);
  }

  find(done: () => void): void {
    const to = String((this.bootstrap++ % 3) + 1);
    this.send(
      to,
      {
        type: "FindCoordinatorRequest",
        bytes: HEADER_BYTES,
        correlationId: 0,
        key: this.transactionalId,
        keyType: "transaction",
      },
      (m) => {
        const r = m as FindCoordinatorResponse;
        if (r.error !== "NONE") return this.later(() => this.find(done));
        this.coordinator = String(r.nodeId);
        done();
      },
    );
  }

  init(done: (r: InitProducerIdResponse) => void, untilDone = false): void {
    this.call(
      {
        type: "InitProducerIdRequest",
        bytes: HEADER_BYTES,
        correlationId: 0,
        transactionalId: this.transactionalId,
        transactionTimeoutMs: this.timeoutMs,
        producerId: -1,
        producerEpoch: -1,
      },
      (m) => {
        const r = m as InitProducerIdResponse;
        if (untilDone && r.error === "CONCURRENT_TRANSACTIONS") {
          return this.later(() => this.init(done, untilDone));
        }
        if (r.error === "NONE") {
          this.producerId = r.producerId;
          this.producerEpoch = r.producerEpoch;
        }
        done(r);
      },
    );
  }

  addPartitions(partitions: number[], done: (r: AddPartitionsToTxnResponse) => void): void {
    this.call(
      {
        type: "AddPartitionsToTxnRequest",
        bytes: HEADER_BYTES,
        correlationId: 0,
        transactionalId: this.transactionalId,
        producerId: this.producerId,
        producerEpoch: this.producerEpoch,
        topics: [{ topic: TOPIC, partitions }],
      },
      (m) => done(m as AddPartitionsToTxnResponse),
    );
  }

  endTxn(committed: boolean, done: (r: EndTxnResponse) => void): void {
    this.call(
      {
        type: "EndTxnRequest",
        bytes: HEADER_BYTES,
        correlationId: 0,
        transactionalId: this.transactionalId,
        producerId: this.producerId,
        producerEpoch: this.producerEpoch,
        committed,
      },
      (m) => done(m as EndTxnResponse),
    );
  }

  timeoutMs = TIMEOUT_MS;

  /** InitProducerId to a broker of the test's choice, with no retry. */
  initAt(node: string, done: (r: InitProducerIdResponse) => void): void {
    this.send(
      node,
      {
        type: "InitProducerIdRequest",
        bytes: HEADER_BYTES,
        correlationId: 0,
        transactionalId: this.transactionalId,
        transactionTimeoutMs: this.timeoutMs,
        producerId: -1,
        producerEpoch: -1,
      },
      (m) => done(m as InitProducerIdResponse),
    );
  }

  /** To the coordinator; on a coordinator error, find it again and resend. */
  private call(request: CoordinatorRequest, done: (m: Response) => void) {
    const go = () =>
      this.send(this.coordinator!, request, (m) => {
        const error = (m as { error?: string }).error;
        if (
          error === "NOT_COORDINATOR" ||
          error === "COORDINATOR_LOAD_IN_PROGRESS" ||
          error === "COORDINATOR_NOT_AVAILABLE"
        ) {
          return this.later(() => this.find(go));
        }
        done(m);
      });
    if (this.coordinator === undefined) this.find(go);
    else go();
  }

  private send(to: string, request: CoordinatorRequest, done: (m: Response) => void) {
    const correlationId = ++this.correlation;
    this.waiting.set(correlationId, done);
    this.network.send(this.id, to, { ...request, correlationId } as never);
  }

  private later(action: () => void): void {
    this.actions.push(action);
    this.engine.schedule(RETRY_US, this.id, "client.act", this.actions.length - 1);
  }
}

function world(config: Record<string, unknown> = {}): ClusterWorld {
  return new ClusterWorld({
    seed: 11,
    brokers: 3,
    controllers: { kind: "dedicated", count: 3 },
    topics: [{ name: TOPIC, partitions: 4, replicationFactor: 3 }],
    config,
    recordTrace: true,
  });
}

const of = (trace: readonly TraceEvent[], type: string, id?: string) =>
  trace.filter((e) => e.type === type && (id === undefined || e.transactionalId === id));

const transitions = (trace: readonly TraceEvent[], id: string) =>
  of(trace, "txn.state", id).map((e) => `${e.from}->${e.to}`);

/** The leader of orders-p at the end of the run. */
const leaderOf = (w: ClusterWorld, p: number) =>
  w.image().topicByName(TOPIC)!.partitions[p]!.leader;

describe("transactions: coordinator: first use creates __transaction_state", () => {
  const w = world();
  const c = new TxnClient("producer-1", "tx-1", w.engine, w.network);
  const inits: InitProducerIdResponse[] = [];
  w.at(1_000_000, () => c.init((r) => inits.push(r)));
  w.at(15_000_000, () => c.init((r) => inits.push(r)));
  const elsewhere: InitProducerIdResponse[] = [];
  w.at(16_000_000, () => {
    const other = ["1", "2", "3"].find((n) => n !== c.coordinator)!;
    c.initAt(other, (r) => elsewhere.push(r));
  });
  w.runUntil(20_000_000);

  it("asks the controller once for 50 partitions, RF 3, min ISR 2, compacted", () => {
    const created = of(w.trace, "txn.topic.create");
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({ partitions: 50, replicationFactor: 3 });
    const topic = w.image().topicByName(TRANSACTION_STATE_TOPIC);
    expect(topic?.partitions).toHaveLength(50);
    expect(topic?.partitions.every((p) => p.replicas.length === 3)).toBe(true);
    expect(topic?.configs["cleanup.policy"]).toBe("compact");
    expect(topic?.configs["min.insync.replicas"]).toBe("2");
  });

  it("answers COORDINATOR_NOT_AVAILABLE first, then the leader of the id's partition", () => {
    const finds = c.log.filter((l) => l.message.type === "FindCoordinatorResponse");
    expect(finds[0]?.message).toMatchObject({ error: "COORDINATOR_NOT_AVAILABLE", nodeId: -1 });
    const ok = finds.find((l) => (l.message as FindCoordinatorResponse).error === "NONE");
    const partition = transactionCoordinatorPartition("tx-1", 50);
    const leader = w.image().topicByName(TRANSACTION_STATE_TOPIC)?.partitions[partition]?.leader;
    expect(ok?.message).toMatchObject({ nodeId: leader });
  });

  it("gives a producer id at epoch 0, then the same id at epoch 1, each written first", () => {
    expect(inits.map((r) => r.error)).toEqual(["NONE", "NONE"]);
    expect(inits[0]!.producerId).toBeGreaterThanOrEqual(0);
    expect(inits[0]!.producerEpoch).toBe(0);
    expect(inits[1]).toMatchObject({ producerId: inits[0]!.producerId, producerEpoch: 1 });
    const states = of(w.trace, "txn.state", "tx-1");
    expect(states.map((e) => [e.from, e.to, e.producerEpoch])).toEqual([
      ["Empty", "Empty", 0],
      ["Empty", "Empty", 1],
    ]);
    // Each answer follows its state record (written with acks=all before the reply).
    const answers = of(w.trace, "txn.init", "tx-1").filter((e) => e.error === "NONE");
    expect(answers).toHaveLength(2);
    for (let i = 0; i < 2; i++) expect(answers[i]!.t).toBeGreaterThanOrEqual(states[i]!.t);
    // Two records in the id's partition: the leader's HW counts them.
    const partition = transactionCoordinatorPartition("tx-1", 50);
    const final = w
      .finalState()
      .partitions.find((p) => p.topic === TRANSACTION_STATE_TOPIC && p.partition === partition);
    expect(final?.hw).toBe(2);
  });

  it("answers NOT_COORDINATOR from a broker that does not lead the id's partition", () => {
    expect(elsewhere).toEqual([
      expect.objectContaining({ error: "NOT_COORDINATOR", producerId: -1, producerEpoch: -1 }),
    ]);
  });
});

describe("transactions: coordinator: commit", () => {
  const w = world();
  const c = new TxnClient("producer-1", "tx-1", w.engine, w.network);
  const added: AddPartitionsToTxnResponse[] = [];
  const ended: EndTxnResponse[] = [];
  w.at(1_000_000, () =>
    c.init(() =>
      c.addPartitions([0, 1], (r) => {
        added.push(r);
        c.endTxn(true, (e) => ended.push(e));
      }),
    ),
  );
  w.runUntil(20_000_000);

  it("goes Empty → Ongoing → PrepareCommit → CompleteCommit", () => {
    expect(added[0]?.results[0]?.partitions.map((p) => p.error)).toEqual(["NONE", "NONE"]);
    expect(ended.map((r) => r.error)).toEqual(["NONE"]);
    expect(transitions(w.trace, "tx-1")).toEqual([
      "Empty->Empty",
      "Empty->Ongoing",
      "Ongoing->PrepareCommit",
      "PrepareCommit->CompleteCommit",
    ]);
    const ongoing = of(w.trace, "txn.state", "tx-1")[1]!;
    expect(ongoing.partitions).toEqual(["orders-0", "orders-1"]);
  });

  it("sends COMMIT markers to each partition's leader after PrepareCommit, before CompleteCommit", () => {
    const states = of(w.trace, "txn.state", "tx-1");
    const prepared = states[2]!.t;
    const completed = states[3]!.t;
    const sent = of(w.trace, "txn.markers.sent", "tx-1");
    expect(sent.length).toBeGreaterThanOrEqual(1);
    expect(sent.every((e) => e.result === "COMMIT" && e.t >= prepared && e.t <= completed)).toBe(
      true,
    );
    // Every partition went to the broker that led it (no leader changed in this run).
    const byPartition = new Map<string, number>();
    for (const e of sent) {
      for (const p of e.partitions as string[]) byPartition.set(p, e.leader as number);
    }
    expect(byPartition.get("orders-0")).toBe(leaderOf(w, 0));
    expect(byPartition.get("orders-1")).toBe(leaderOf(w, 1));
    const written = of(w.trace, "txn.markers.response", "tx-1").flatMap(
      (e) => e.written as string[],
    );
    expect(written.sort()).toEqual(["orders-0", "orders-1"]);
  });

  it("answers a retried EndTxn(commit) with NONE and an abort with INVALID_TXN_STATE", () => {
    const again: EndTxnResponse[] = [];
    w.at(21_000_000, () => c.endTxn(true, (r) => again.push(r)));
    w.at(22_000_000, () => c.endTxn(false, (r) => again.push(r)));
    w.runUntil(23_000_000);
    expect(again.map((r) => r.error)).toEqual(["NONE", "INVALID_TXN_STATE"]);
  });
});

describe("transactions: coordinator: fencing an open transaction (S16)", () => {
  const w = world();
  const zombie = new TxnClient("producer-1", "tx-1", w.engine, w.network);
  const fresh = new TxnClient("producer-2", "tx-1", w.engine, w.network);
  let zombieEpoch = -1;
  w.at(1_000_000, () =>
    zombie.init(() => zombie.addPartitions([2], () => (zombieEpoch = zombie.producerEpoch))),
  );
  const freshInits: InitProducerIdResponse[] = [];
  w.at(10_000_000, () => fresh.init((r) => freshInits.push(r), true));
  const zombieEnd: EndTxnResponse[] = [];
  w.at(20_000_000, () => zombie.endTxn(true, (r) => zombieEnd.push(r)));
  w.runUntil(25_000_000);

  it("aborts the open transaction under a bumped epoch, answering CONCURRENT_TRANSACTIONS", () => {
    const answers = fresh.log.filter((l) => l.message.type === "InitProducerIdResponse");
    expect((answers[0]!.message as InitProducerIdResponse).error).toBe("CONCURRENT_TRANSACTIONS");
    expect(transitions(w.trace, "tx-1")).toEqual([
      "Empty->Empty",
      "Empty->Ongoing",
      "Ongoing->PrepareAbort",
      "PrepareAbort->CompleteAbort",
      "CompleteAbort->Empty",
    ]);
    const abort = of(w.trace, "txn.state", "tx-1")[2]!;
    expect(abort.producerEpoch).toBe(zombieEpoch + 1);
    const sent = of(w.trace, "txn.markers.sent", "tx-1");
    expect(sent[0]).toMatchObject({
      result: "ABORT",
      producerEpoch: zombieEpoch + 1,
      partitions: ["orders-2"],
      leader: leaderOf(w, 2),
    });
  });

  it("gives the new producer the same id at the epoch after the fence's", () => {
    expect(freshInits).toHaveLength(1);
    expect(freshInits[0]).toMatchObject({
      error: "NONE",
      producerId: zombie.producerId,
      producerEpoch: zombieEpoch + 2,
    });
  });

  it("fences the zombie: its EndTxn gets PRODUCER_FENCED", () => {
    expect(zombieEnd.map((r) => r.error)).toEqual(["PRODUCER_FENCED"]);
  });
});

describe("transactions: coordinator: timed-out transaction is aborted", () => {
  const w = world();
  const c = new TxnClient("producer-1", "tx-1", w.engine, w.network);
  c.timeoutMs = 2_000;
  let startedAt = -1;
  w.at(1_000_000, () => c.init(() => c.addPartitions([3], () => undefined)));
  const late: EndTxnResponse[] = [];
  w.at(30_000_000, () => c.endTxn(true, (r) => late.push(r)));
  w.runUntil(32_000_000);

  it("aborts it at the first periodic check after transaction.timeout.ms", () => {
    const ongoing = of(w.trace, "txn.state", "tx-1").find((e) => e.to === "Ongoing")!;
    startedAt = ongoing.t;
    const aborts = of(w.trace, "txn.timeout.abort", "tx-1");
    expect(aborts).toHaveLength(1);
    // Checked every transaction.abort.timed.out.transaction.cleanup.interval.ms = 10 s: the
    // abort comes after start + 2 s, and at most one interval later.
    expect(aborts[0]!.t).toBeGreaterThan(startedAt + 2_000_000);
    expect(aborts[0]!.t).toBeLessThanOrEqual(startedAt + 2_000_000 + 10_000_000);
    expect(transitions(w.trace, "tx-1")).toEqual([
      "Empty->Empty",
      "Empty->Ongoing",
      "Ongoing->PrepareAbort",
      "PrepareAbort->CompleteAbort",
    ]);
    const abort = of(w.trace, "txn.state", "tx-1")[2]!;
    expect(abort.producerEpoch).toBe(1); // the producer had epoch 0: fenced by the bump
  });

  it("tells the producer that left it open PRODUCER_FENCED", () => {
    expect(late.map((r) => r.error)).toEqual(["PRODUCER_FENCED"]);
  });
});

describe("transactions: coordinator: failover after PrepareCommit", () => {
  const w = world();
  const c = new TxnClient("producer-1", "tx-1", w.engine, w.network);
  let crashed = "";
  // Crash the coordinator the moment its PrepareCommit is written (same virtual time).
  w.engine.trace.subscribe((e) => {
    if (e.type === "txn.state" && e.to === "PrepareCommit" && crashed === "") {
      crashed = e.node;
      w.at(e.t, () => w.cluster.crash(crashed, "process"));
    }
  });
  w.at(1_000_000, () =>
    c.init(() => c.addPartitions([0, 1, 2, 3], () => c.endTxn(true, () => {}))),
  );
  w.runUntil(40_000_000);

  it("moves the coordinator: another broker loads the partition and finds the prepared commit", () => {
    expect(crashed).not.toBe("");
    const partition = transactionCoordinatorPartition("tx-1", 50);
    const loads = of(w.trace, "txn.load").filter(
      (e) => e.partition === partition && e.node !== crashed,
    );
    const prepared = of(w.trace, "txn.state", "tx-1").find((e) => e.to === "PrepareCommit")!;
    const after = loads.filter((e) => e.t > prepared.t);
    expect(after).toHaveLength(1);
    expect(after[0]!.prepared).toEqual(["tx-1"]);
    expect(after[0]!.coordinatorEpoch).toBeGreaterThan(prepared.coordinatorEpoch as number);
  });

  it("sends the markers again from the new coordinator and writes CompleteCommit there", () => {
    const load = of(w.trace, "txn.load").find(
      (e) => e.node !== crashed && (e.prepared as string[]).length > 0,
    )!;
    const resent = of(w.trace, "txn.markers.sent", "tx-1").filter((e) => e.node === load.node);
    const partitions = resent.flatMap((e) => e.partitions as string[]).sort();
    expect(partitions).toEqual(["orders-0", "orders-1", "orders-2", "orders-3"]);
    expect(resent.every((e) => e.result === "COMMIT" && e.t >= load.t)).toBe(true);
    const complete = of(w.trace, "txn.state", "tx-1").filter((e) => e.to === "CompleteCommit");
    expect(complete).toHaveLength(1);
    expect(complete[0]).toMatchObject({ node: load.node, from: "PrepareCommit" });
  });
});

describe("transactions: coordinator: a partition leader dies while markers are in flight", () => {
  const w = world();
  const c = new TxnClient("producer-1", "tx-1", w.engine, w.network);
  let victim = -1;
  let victimPartition = "";
  // When PrepareCommit is written, crash the leader of the first partition it does not lead.
  w.engine.trace.subscribe((e) => {
    if (e.type === "txn.state" && e.to === "PrepareCommit" && victim < 0) {
      for (let p = 0; p < 4 && victim < 0; p++) {
        const leader = w.image().topicByName(TOPIC)!.partitions[p]!.leader;
        if (String(leader) !== e.node) {
          victim = leader;
          victimPartition = `${TOPIC}-${p}`;
        }
      }
      w.at(e.t, () => w.cluster.crash(String(victim), "process"));
    }
  });
  w.at(1_000_000, () =>
    c.init(() => c.addPartitions([0, 1, 2, 3], () => c.endTxn(true, () => {}))),
  );
  w.runUntil(60_000_000);

  it("sends the lost partition's marker again, to its new leader, then completes", () => {
    expect(victim).toBeGreaterThan(0);
    const sent = of(w.trace, "txn.markers.sent", "tx-1").filter((e) =>
      (e.partitions as string[]).includes(victimPartition),
    );
    expect(sent.length).toBeGreaterThanOrEqual(2);
    expect(sent[0]!.leader).toBe(victim);
    expect(sent.at(-1)!.leader).not.toBe(victim);
    const written = of(w.trace, "txn.markers.response", "tx-1").filter((e) =>
      (e.written as string[]).includes(victimPartition),
    );
    expect(written).toHaveLength(1);
    expect(written[0]!.leader).toBe(sent.at(-1)!.leader);
    expect(transitions(w.trace, "tx-1").at(-1)).toBe("PrepareCommit->CompleteCommit");
  });
});

describe("transactions: coordinator: an idle transactional id expires", () => {
  // transactional.id.expiration.ms = 5 s, checked every 2 s
  // (transaction.remove.expired.transaction.cleanup.interval.ms).
  const w = world({
    "transactional.id.expiration.ms": 5_000,
    "transaction.remove.expired.transaction.cleanup.interval.ms": 2_000,
  });
  const c = new TxnClient("producer-1", "tx-1", w.engine, w.network);
  const inits: InitProducerIdResponse[] = [];
  w.at(1_000_000, () => c.init((r) => inits.push(r)));
  w.at(15_000_000, () => c.init((r) => inits.push(r)));
  w.runUntil(20_000_000);

  it("writes a tombstone (Dead) once the id has been idle that long, and forgets the id", () => {
    const states = of(w.trace, "txn.state", "tx-1");
    expect(states.map((e) => `${e.from}->${e.to}`)).toEqual([
      "Empty->Empty",
      "Empty->Dead",
      "Empty->Empty",
    ]);
    const idleSince = states[0]!.t;
    // Expired at the first check at least 5 s after the last update: within 5..7 s of it, plus
    // the tombstone's replication.
    expect(states[1]!.t).toBeGreaterThanOrEqual(idleSince + 5_000_000);
    expect(states[1]!.t).toBeLessThanOrEqual(idleSince + 7_000_000 + 1_000_000);
  });

  it("treats the next InitProducerId as a new id: another producer id, epoch 0", () => {
    expect(inits.map((r) => [r.error, r.producerEpoch])).toEqual([
      ["NONE", 0],
      ["NONE", 0],
    ]);
    expect(inits[1]!.producerId).not.toBe(inits[0]!.producerId);
  });
});
