// kafka: transactions: partition side (reference §5, S16, S17), on a whole cluster with a scripted
// client that writes transactional batches and WriteTxnMarkers itself (no coordinator). Expected:
// an open transaction holds the LSO at its first offset, plain records after it included;
// read_committed fetches stop at the LSO and list the aborted transactions in range; ListOffsets
// LATEST gives the HW to read_uncommitted and the LSO to read_committed; an ABORT or COMMIT marker
// takes one offset, is answered once replicated, reaches the followers, and releases the LSO; a
// produce from the fenced epoch is refused; a new leader keeps the open transaction's LSO.
import { describe, expect, it } from "vitest";
import { KafkaConsumer } from "../../sim/client/consumer/kafka-consumer.ts";
import type { Actor, Engine, SimEvent } from "../../sim/engine/engine.ts";
import type { TraceEvent } from "../../sim/engine/trace.ts";
import { Host } from "../../sim/infra/host.ts";
import type { NetDelivery, Network } from "../../sim/infra/network.ts";
import {
  type FetchRequest,
  type FetchResponse,
  HEADER_BYTES,
  LATEST_TIMESTAMP,
  type ListOffsetsRequest,
  type ListOffsetsResponse,
  type ProduceRequest,
  type ProduceResponse,
} from "../../sim/kafka/protocol.ts";
import type {
  TransactionResult,
  WriteTxnMarkersRequest,
  WriteTxnMarkersResponse,
} from "../../sim/kafka/protocol-txn.ts";
import type { RecordBatch } from "../../sim/kafka/types.ts";
import { ClusterWorld, DEFAULT_MACHINE } from "../support/cluster-world.ts";

const TOPIC = "out";
/** The scripted client writes transactional batches with no coordinator behind them (no KIP-890). */
const NO_VERIFICATION = { "transaction.partition.verification.enable": false };
const MB = 1_048_576;

type Request = ProduceRequest | FetchRequest | ListOffsetsRequest | WriteTxnMarkersRequest;
type Response = ProduceResponse | FetchResponse | ListOffsetsResponse | WriteTxnMarkersResponse;

/** A scripted client: sends labelled requests to brokers and keeps the answers by label. */
class ScriptClient implements Actor {
  readonly id = "script-client";
  readonly answers = new Map<string, Response>();
  private readonly labels = new Map<number, string>();
  private correlation = 0;

  constructor(
    engine: Engine,
    private readonly network: Network,
  ) {
    new Host(engine, network, { name: this.id, ...DEFAULT_MACHINE });
    engine.register(this);
  }

  send(label: string, broker: number, request: Request): void {
    const correlationId = ++this.correlation;
    this.labels.set(correlationId, label);
    this.network.send(this.id, String(broker), { ...request, correlationId });
  }

  handle(event: SimEvent): void {
    if (event.kind !== "net.message") return;
    const m = (event.payload as NetDelivery<Response>).message;
    const label = this.labels.get(m.correlationId);
    if (label !== undefined) this.answers.set(label, m);
  }

  answer<R extends Response>(label: string): R {
    const r = this.answers.get(label);
    if (r === undefined) throw new Error(`no answer for ${label}`);
    return r as R;
  }
}

type NewBatch = ProduceRequest["partitions"][number]["batch"];

function plainBatch(count: number, origin: string): NewBatch {
  return {
    count,
    bytes: 100 * count,
    firstTimestampUs: 0,
    maxTimestampUs: 0,
    producerId: -1,
    producerEpoch: -1,
    baseSequence: -1,
    isTransactional: false,
    isControl: false,
    origin,
  };
}

function txnBatch(producerId: number, epoch: number, seq: number, count: number, origin: string) {
  return {
    ...plainBatch(count, origin),
    producerId,
    producerEpoch: epoch,
    baseSequence: seq,
    isTransactional: true,
  };
}

function produce(batch: NewBatch): ProduceRequest {
  return {
    type: "ProduceRequest",
    bytes: HEADER_BYTES + batch.bytes,
    correlationId: 0,
    clientId: "script",
    acks: -1,
    timeoutMs: 30_000,
    partitions: [{ topic: TOPIC, partition: 0, batch }],
  };
}

function fetch(offset: number, isolationLevel: FetchRequest["isolationLevel"]): FetchRequest {
  return {
    type: "FetchRequest",
    bytes: HEADER_BYTES,
    correlationId: 0,
    replicaId: -1,
    replicaEpoch: -1,
    maxWaitMs: 0,
    minBytes: 1,
    maxBytes: MB,
    isolationLevel,
    partitions: [
      {
        topic: TOPIC,
        partition: 0,
        fetchOffset: offset,
        lastFetchedEpoch: -1,
        currentLeaderEpoch: -1,
        logStartOffset: -1,
        partitionMaxBytes: MB,
      },
    ],
  };
}

function latest(isolationLevel: ListOffsetsRequest["isolationLevel"]): ListOffsetsRequest {
  return {
    type: "ListOffsetsRequest",
    bytes: HEADER_BYTES,
    correlationId: 0,
    replicaId: -1,
    isolationLevel,
    partitions: [
      { topic: TOPIC, partition: 0, currentLeaderEpoch: -1, timestamp: LATEST_TIMESTAMP },
    ],
  };
}

function markers(
  producerId: number,
  producerEpoch: number,
  result: TransactionResult,
  topic = TOPIC,
): WriteTxnMarkersRequest {
  return {
    type: "WriteTxnMarkersRequest",
    bytes: HEADER_BYTES,
    correlationId: 0,
    markers: [
      {
        producerId,
        producerEpoch,
        transactionResult: result,
        topics: [{ topic, partitions: [0] }],
        coordinatorEpoch: 0,
      },
    ],
  };
}

function world(seed = 11): ClusterWorld {
  return new ClusterWorld({
    seed,
    brokers: 3,
    controllers: { kind: "combined" },
    topics: [{ name: TOPIC, partitions: 1, replicationFactor: 3 }],
    // No coordinator here: the scripted client plays it, so KIP-890 verification is off.
    config: NO_VERIFICATION,
    recordTrace: true,
  });
}

const partitionOf = (r: FetchResponse) => r.partitions[0]!;
const offsetsOf = (batches: readonly RecordBatch[]) => batches.map((b) => b.baseOffset);
const listed = (r: ListOffsetsResponse) => r.partitions[0]!.offset;
const markerErrors = (r: WriteTxnMarkersResponse) =>
  r.markers.flatMap((m) => m.topics.flatMap((t) => t.partitions.map((p) => p.error)));
const of = (trace: readonly TraceEvent[], type: string) => trace.filter((e) => e.type === type);

const S = 1_000_000;

describe("kafka: transactions: S17: an open transaction holds back read_committed", () => {
  const w = world();
  const client = new ScriptClient(w.engine, w.network);
  let leader = -1;
  let followers: number[] = [];
  const snapshots = new Map<string, { lso: number; hw: number }>();
  const snap = (label: string, broker: number) => {
    const p = w.cluster.brokers
      .get(broker)!
      .snapshot()
      .partitions.find((x) => x.topic === TOPIC && x.partition === 0)!;
    snapshots.set(label, { lso: p.lastStable, hw: p.hw });
  };

  w.at(3 * S, () => {
    const state = w.image().partition(TOPIC, 0)!;
    leader = state.leader;
    followers = state.replicas.filter((id) => id !== leader);
    client.send("p0", leader, produce(plainBatch(10, "p0")));
  });
  // n1 at 10, t1 at 11 (producer 4000, epoch 0), n2 and n3 at 12 and 13.
  w.at(3.1 * S, () => client.send("n1", leader, produce(plainBatch(1, "n1"))));
  w.at(3.2 * S, () => client.send("t1", leader, produce(txnBatch(4000, 0, 0, 1, "t1"))));
  w.at(3.3 * S, () => client.send("n23", leader, produce(plainBatch(2, "n23"))));
  w.at(4 * S, () => {
    snap("open", leader);
    client.send("ru", leader, fetch(10, "read_uncommitted"));
    client.send("rc", leader, fetch(10, "read_committed"));
    client.send("rc-at-lso", leader, fetch(11, "read_committed"));
    client.send("latest-ru", leader, latest("read_uncommitted"));
    client.send("latest-rc", leader, latest("read_committed"));
  });
  // The coordinator fences producer 4000 (epoch 0 → 1) and aborts: ABORT at 14.
  w.at(5 * S, () => {
    client.send("abort", leader, markers(4000, 1, "ABORT"));
    client.send("abort-follower", followers[0]!, markers(4000, 1, "ABORT"));
    client.send("abort-unknown", leader, markers(4000, 1, "ABORT", "no-such-topic"));
  });
  w.at(6 * S, () => {
    snap("aborted", leader);
    client.send("rc-after-abort", leader, fetch(10, "read_committed"));
    client.send("latest-rc-after-abort", leader, latest("read_committed"));
    client.send("zombie", leader, produce(txnBatch(4000, 0, 1, 1, "zombie")));
    client.send("stale-marker", leader, markers(4000, 0, "COMMIT"));
  });
  // Producer 4001 opens a transaction at 15..16, n4 at 17, then commits: COMMIT at 18.
  w.at(6.5 * S, () => client.send("t2", leader, produce(txnBatch(4001, 0, 0, 2, "t2"))));
  w.at(6.6 * S, () => client.send("n4", leader, produce(plainBatch(1, "n4"))));
  w.at(7 * S, () => {
    client.send("rc-t2-open", leader, fetch(15, "read_committed"));
    client.send("latest-rc-t2-open", leader, latest("read_committed"));
  });
  w.at(7.5 * S, () => client.send("commit", leader, markers(4001, 0, "COMMIT")));
  w.at(8.5 * S, () => {
    client.send("rc-committed", leader, fetch(15, "read_committed"));
    client.send("latest-rc-committed", leader, latest("read_committed"));
    client.send("latest-ru-committed", leader, latest("read_uncommitted"));
  });
  w.at(9.5 * S, () => {
    for (const f of followers) snap(`follower-${f}`, f);
  });
  w.runUntil(10 * S);

  it("the data lands at the S17 offsets: n1 10, t1 11, n2 and n3 12 and 13", () => {
    const base = (label: string) => client.answer<ProduceResponse>(label).partitions[0]!.baseOffset;
    expect([base("p0"), base("n1"), base("t1"), base("n23")]).toEqual([0, 10, 11, 12]);
  });

  it("while the transaction is open: LSO 11, HW 14, in fetches and in the broker snapshot", () => {
    const ru = partitionOf(client.answer<FetchResponse>("ru"));
    expect(ru).toMatchObject({ highWatermark: 14, lastStableOffset: 11 });
    expect(snapshots.get("open")).toEqual({ lso: 11, hw: 14 });
  });

  it("read_uncommitted returns 10..13; read_committed only offset 10", () => {
    const ru = partitionOf(client.answer<FetchResponse>("ru"));
    expect(offsetsOf(ru.batches)).toEqual([10, 11, 12]);
    expect(ru.abortedTransactions).toBeUndefined();
    const rc = partitionOf(client.answer<FetchResponse>("rc"));
    expect(offsetsOf(rc.batches)).toEqual([10]);
    expect(rc.abortedTransactions).toEqual([]);
    expect(partitionOf(client.answer<FetchResponse>("rc-at-lso")).batches).toEqual([]);
  });

  it("ListOffsets LATEST: the HW (14) for read_uncommitted, the LSO (11) for read_committed", () => {
    expect(listed(client.answer("latest-ru"))).toBe(14);
    expect(listed(client.answer("latest-rc"))).toBe(11);
  });

  it("the ABORT marker is answered by the leader only; LSO = HW = 15 once replicated", () => {
    expect(markerErrors(client.answer("abort"))).toEqual(["NONE"]);
    expect(markerErrors(client.answer("abort-follower"))).toEqual(["NOT_LEADER_OR_FOLLOWER"]);
    expect(markerErrors(client.answer("abort-unknown"))).toEqual(["UNKNOWN_TOPIC_OR_PARTITION"]);
    expect(snapshots.get("aborted")).toEqual({ lso: 15, hw: 15 });
    expect(listed(client.answer("latest-rc-after-abort"))).toBe(15);
    const traced = of(w.trace, "txn.marker").filter((e) => e.error === "NONE");
    expect(traced[0]).toMatchObject({ topic: TOPIC, partition: 0, producerId: 4000, offset: 14 });
    expect(traced[0]).toMatchObject({ result: "ABORT" });
  });

  it("the marker is answered only once the HW covers it (required acks -1)", () => {
    const answered = of(w.trace, "txn.marker").find((e) => e.error === "NONE")!;
    const onLeader = (type: string) =>
      of(w.trace, type).filter((e) => e.node === String(leader) && e.topic === TOPIC);
    const appended = onLeader("replica.append").find((e) => e.baseOffset === 14)!;
    const covered = onLeader("replica.hw").find((e) => (e.hw as number) >= 15)!;
    expect(appended.t).toBeLessThan(covered.t);
    expect(covered.t).toBeLessThanOrEqual(answered.t);
  });

  it("read_committed then returns n2 and n3 with t1 listed as aborted; the marker comes as a control batch", () => {
    const rc = partitionOf(client.answer<FetchResponse>("rc-after-abort"));
    expect(offsetsOf(rc.batches)).toEqual([10, 11, 12, 14]);
    expect(rc.batches[3]).toMatchObject({ isControl: true, controlType: "ABORT", count: 1 });
    expect(rc.abortedTransactions).toEqual([{ producerId: 4000, firstOffset: 11 }]);
  });

  it("S16: the fenced epoch's produce gets INVALID_PRODUCER_EPOCH, its marker too", () => {
    const zombie = client.answer<ProduceResponse>("zombie").partitions[0]!;
    expect(zombie.error).toBe("INVALID_PRODUCER_EPOCH");
    expect(markerErrors(client.answer("stale-marker"))).toEqual(["INVALID_PRODUCER_EPOCH"]);
  });

  it("a second open transaction holds the LSO at 15; its COMMIT releases t2 and n4, nothing aborted", () => {
    expect(partitionOf(client.answer<FetchResponse>("rc-t2-open")).batches).toEqual([]);
    expect(listed(client.answer("latest-rc-t2-open"))).toBe(15);
    expect(markerErrors(client.answer("commit"))).toEqual(["NONE"]);
    const rc = partitionOf(client.answer<FetchResponse>("rc-committed"));
    expect(offsetsOf(rc.batches)).toEqual([15, 17, 18]);
    expect(rc.abortedTransactions).toEqual([]);
    expect(listed(client.answer("latest-rc-committed"))).toBe(19);
    expect(listed(client.answer("latest-ru-committed"))).toBe(19);
  });

  it("the followers replicate both markers and reach the same LSO", () => {
    for (const f of followers) {
      const controls = w.cluster.brokers
        .get(f)!
        .logBatches(TOPIC, 0)
        .filter((b) => b.isControl);
      expect(controls.map((b) => [b.baseOffset, b.controlType, b.producerId])).toEqual([
        [14, "ABORT", 4000],
        [18, "COMMIT", 4001],
      ]);
      expect(snapshots.get(`follower-${f}`)).toEqual({ lso: 19, hw: 19 });
    }
  });

  it("the trace shows the LSO held back and released", () => {
    const leaderLso = of(w.trace, "replica.lso").filter((e) => e.node === String(leader));
    expect(leaderLso.map((e) => e.lso)).toEqual([11, 15, 15, 19]);
  });
});

describe("kafka: transactions: a new leader keeps an open transaction's LSO", () => {
  const w = world(23);
  const client = new ScriptClient(w.engine, w.network);
  let oldLeader = -1;
  let newLeader = -1;
  w.at(3 * S, () => {
    oldLeader = w.image().partition(TOPIC, 0)!.leader;
    client.send("n1", oldLeader, produce(plainBatch(2, "n1")));
  });
  w.at(3.1 * S, () => client.send("t1", oldLeader, produce(txnBatch(7, 0, 0, 1, "t1"))));
  w.at(3.2 * S, () => client.send("n2", oldLeader, produce(plainBatch(1, "n2"))));
  w.at(4 * S, () => w.cluster.crash(String(oldLeader), "process"));
  w.at(12 * S, () => {
    newLeader = w.image().partition(TOPIC, 0)!.leader;
    client.send("latest-rc", newLeader, latest("read_committed"));
    client.send("latest-ru", newLeader, latest("read_uncommitted"));
  });
  w.at(12.5 * S, () => client.send("abort", newLeader, markers(7, 0, "ABORT")));
  w.at(13.5 * S, () => w.cluster.restart(String(oldLeader)));
  w.at(20 * S, () => {
    client.send("latest-rc-after", newLeader, latest("read_committed"));
    client.send("rc", newLeader, fetch(0, "read_committed"));
  });
  w.runUntil(21 * S);

  it("the new leader (a follower that replicated t1) answers LSO 2 while the transaction is open", () => {
    expect(newLeader).not.toBe(oldLeader);
    expect(listed(client.answer("latest-ru"))).toBe(4);
    expect(listed(client.answer("latest-rc"))).toBe(2);
  });

  it("its ABORT releases the LSO; the restarted old leader rebuilds and follows", () => {
    expect(markerErrors(client.answer("abort"))).toEqual(["NONE"]);
    expect(listed(client.answer("latest-rc-after"))).toBe(5);
    const rc = partitionOf(client.answer<FetchResponse>("rc"));
    expect(rc.abortedTransactions).toEqual([{ producerId: 7, firstOffset: 2 }]);
    const restarted = w.cluster.brokers
      .get(oldLeader)!
      .snapshot()
      .partitions.find((p) => p.topic === TOPIC)!;
    expect(restarted).toMatchObject({ leo: 5, hw: 5, lastStable: 5 });
  });
});

describe("kafka: transactions: consumers by isolation.level (S16, S17)", () => {
  const w = world(31);
  const client = new ScriptClient(w.engine, w.network);
  const consumer = (
    clientId: string,
    config: Record<string, unknown>,
    seekTo?: number,
    startAtUs = 2 * S,
  ) => {
    const c = new KafkaConsumer(w.engine, w.network, {
      clientId,
      version: "4.1",
      bootstrap: [...w.cluster.brokers.keys()],
      config,
      history: w.recorder,
      startAtUs,
    });
    c.assign([{ topic: TOPIC, partition: 0 }]);
    if (seekTo !== undefined) c.seek({ topic: TOPIC, partition: 0 }, seekTo);
    // The process starts (metadata, the offset reset) at boot; the application polls from startAtUs.
    w.at(startAtUs, () => c.boot());
    return c;
  };
  const ru = consumer("ru", {}, 0);
  const rc = consumer("rc", { "isolation.level": "read_committed" }, 0);
  // Starts while t1 is open (HW 14, LSO 11).
  const rcLatest = consumer(
    "rc-latest",
    { "isolation.level": "read_committed", "auto.offset.reset": "latest" },
    undefined,
    4 * S,
  );
  let leader = -1;
  const positions = new Map<string, number>();
  const tp = { topic: TOPIC, partition: 0 };
  w.at(3 * S, () => {
    leader = w.image().partition(TOPIC, 0)!.leader;
    client.send("p0", leader, produce(plainBatch(10, "p0")));
  });
  w.at(3.1 * S, () => client.send("n1", leader, produce(plainBatch(1, "n1"))));
  w.at(3.2 * S, () => client.send("t1", leader, produce(txnBatch(4000, 0, 0, 1, "t1"))));
  w.at(3.3 * S, () => client.send("n23", leader, produce(plainBatch(2, "n23"))));
  w.at(5 * S, () => {
    positions.set("ru-open", ru.position(tp) ?? -1);
    positions.set("rc-open", rc.position(tp) ?? -1);
  });
  w.at(5.5 * S, () => client.send("abort", leader, markers(4000, 1, "ABORT")));
  w.at(6.5 * S, () => client.send("t2", leader, produce(txnBatch(4001, 0, 0, 2, "t2"))));
  w.at(6.6 * S, () => client.send("n4", leader, produce(plainBatch(1, "n4"))));
  w.at(7.5 * S, () => client.send("commit", leader, markers(4001, 0, "COMMIT")));
  w.runUntil(10 * S);
  const h = w.history();
  const delivered = (id: string) =>
    h.polls.filter((p) => p.consumer === id).flatMap((p) => (p.origins ?? []).map((o) => o.sendId));
  const recordsOf = (id: string) =>
    h.polls.filter((p) => p.consumer === id).reduce((n, p) => n + p.count, 0);

  it("while the transaction is open, read_committed stops at the LSO (11), read_uncommitted at the HW (14)", () => {
    expect(positions.get("rc-open")).toBe(11);
    expect(positions.get("ru-open")).toBe(14);
  });

  it("read_uncommitted delivers the aborted t1 too, never a marker", () => {
    expect(delivered("ru")).toEqual(["p0", "n1", "t1", "n23", "t2", "n4"]);
    expect(recordsOf("ru")).toBe(17);
    expect(ru.position(tp)).toBe(19);
  });

  it("read_committed never delivers t1, and its position moves past both markers", () => {
    expect(delivered("rc")).toEqual(["p0", "n1", "n23", "t2", "n4"]);
    expect(recordsOf("rc")).toBe(16);
    expect(rc.position(tp)).toBe(19);
  });

  it("auto.offset.reset=latest under read_committed starts at the LSO (11), then reads what commits", () => {
    const first = h.polls.find((p) => p.consumer === "rc-latest" && p.count > 0);
    expect(first?.offset).toBe(12);
    expect(delivered("rc-latest")).toEqual(["n23", "t2", "n4"]);
    expect(rcLatest.position(tp)).toBe(19);
  });
});

describe("kafka: transactions: a marker below min.insync.replicas", () => {
  const w = new ClusterWorld({
    seed: 5,
    brokers: 3,
    controllers: { kind: "combined" },
    topics: [
      {
        name: TOPIC,
        partitions: 1,
        replicationFactor: 3,
        config: { "min.insync.replicas": "3" },
      },
    ],
    config: NO_VERIFICATION,
    recordTrace: true,
  });
  const client = new ScriptClient(w.engine, w.network);
  let leader = -1;
  w.at(3 * S, () => {
    const state = w.image().partition(TOPIC, 0)!;
    leader = state.leader;
    client.send("t1", leader, produce(txnBatch(1, 0, 0, 1, "t1")));
  });
  w.at(4 * S, () => {
    const follower = w
      .image()
      .partition(TOPIC, 0)!
      .replicas.find((id) => id !== leader)!;
    w.cluster.crash(String(follower), "process");
  });
  w.at(40 * S, () => client.send("abort", leader, markers(1, 0, "ABORT")));
  w.runUntil(41 * S);

  it("is refused with NOT_ENOUGH_REPLICAS once the ISR shrank, and appends nothing", () => {
    expect(w.image().partition(TOPIC, 0)!.isr).toHaveLength(2);
    expect(markerErrors(client.answer("abort"))).toEqual(["NOT_ENOUGH_REPLICAS"]);
    const batches = w.cluster.brokers.get(leader)!.logBatches(TOPIC, 0);
    expect(batches.filter((b) => b.isControl)).toEqual([]);
  });
});
