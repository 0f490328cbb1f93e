// transactions: offsets in a transaction, end to end in a cluster: a client sends
// AddOffsetsToTxn to the transaction coordinator and TxnOffsetCommit to the group coordinator;
// the offsets are pending (OffsetFetch does not return them; requireStable gets
// UNSTABLE_OFFSET_COMMIT) until the marker reaches the group's __consumer_offsets partition; a
// COMMIT makes them the group's committed offsets, an ABORT drops them; the batch in the log is
// the producer's transactional batch; a new coordinator after a crash replays the log: committed
// offsets applied, aborted ones dropped, an open transaction's still pending (and committed by
// its marker later); and a KafkaProducer's sendOffsetsToTransaction ends in the group's
// committed offsets after commitTransaction, not after abortTransaction.
import { describe, expect, it } from "vitest";
import { KafkaConsumer } from "../../sim/client/consumer/kafka-consumer.ts";
import { KafkaProducer } from "../../sim/client/producer/kafka-producer.ts";
import type { Actor, Engine, SimEvent } from "../../sim/engine/engine.ts";
import type { TraceEvent } from "../../sim/engine/trace.ts";
import { Host } from "../../sim/infra/host.ts";
import type { NetDelivery, Network } from "../../sim/infra/network.ts";
import { coordinatorPartition, OFFSETS_TOPIC } from "../../sim/kafka/group/placement.ts";
import { HEADER_BYTES } from "../../sim/kafka/protocol.ts";
import type {
  CoordinatorRequest,
  FindCoordinatorResponse,
  InitProducerIdResponse,
  OffsetCommitResponse,
  OffsetFetchResponse,
} from "../../sim/kafka/protocol-clients.ts";
import type {
  AddOffsetsToTxnResponse,
  EndTxnResponse,
  TxnOffsetCommitResponse,
} from "../../sim/kafka/protocol-txn.ts";
import { ClusterWorld, DEFAULT_MACHINE } from "../support/cluster-world.ts";

const S = 1_000_000;
const RETRY_US = 100_000;
/** A request unanswered this long is lost (its broker crashed): the client looks up again. */
const LOST_US = 3 * S;
const GROUP = "g1";
const TOPIC = "in";

type Response =
  | FindCoordinatorResponse
  | InitProducerIdResponse
  | AddOffsetsToTxnResponse
  | EndTxnResponse
  | TxnOffsetCommitResponse
  | OffsetCommitResponse
  | OffsetFetchResponse;

const COORDINATOR_ERRORS = new Set([
  "NOT_COORDINATOR",
  "COORDINATOR_LOAD_IN_PROGRESS",
  "COORDINATOR_NOT_AVAILABLE",
]);

/**
 * A scripted transactional client that also talks to the group coordinator: it finds each
 * coordinator (retrying errors, rotating over brokers 1..3) and sends what the test asks; a
 * coordinator error sends it back to FindCoordinator and the request goes again.
 */
class TxnOffsetsClient implements Actor {
  readonly coordinators: { transaction?: string; group?: string } = {};
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
    done(m);
  }

  init(done: () => void): void {
    this.call("transaction", this.initRequest(), (m) => {
      const r = m as InitProducerIdResponse;
      if (r.error !== "NONE") return this.later(() => this.init(done));
      this.producerId = r.producerId;
      this.producerEpoch = r.producerEpoch;
      done();
    });
  }

  addOffsets(done: (r: AddOffsetsToTxnResponse) => void): void {
    this.call(
      "transaction",
      {
        type: "AddOffsetsToTxnRequest",
        bytes: HEADER_BYTES,
        correlationId: 0,
        transactionalId: this.transactionalId,
        producerId: this.producerId,
        producerEpoch: this.producerEpoch,
        groupId: GROUP,
      },
      (m) => done(m as AddOffsetsToTxnResponse),
    );
  }

  txnCommit(offsets: Record<number, number>, done: (r: TxnOffsetCommitResponse) => void): void {
    this.call(
      "group",
      {
        type: "TxnOffsetCommitRequest",
        bytes: HEADER_BYTES,
        correlationId: 0,
        transactionalId: this.transactionalId,
        groupId: GROUP,
        producerId: this.producerId,
        producerEpoch: this.producerEpoch,
        generationId: -1,
        memberId: "",
        groupInstanceId: null,
        topics: [
          {
            topic: TOPIC,
            partitions: Object.entries(offsets).map(([p, offset]) => ({
              partition: Number(p),
              committedOffset: offset,
              committedLeaderEpoch: -1,
            })),
          },
        ],
      },
      (m) => done(m as TxnOffsetCommitResponse),
    );
  }

  /** A plain OffsetCommit (generation -1: a group that only stores offsets). */
  commit(offsets: Record<number, number>, done: (r: OffsetCommitResponse) => void): void {
    this.call(
      "group",
      {
        type: "OffsetCommitRequest",
        bytes: HEADER_BYTES,
        correlationId: 0,
        groupId: GROUP,
        generationId: -1,
        memberId: "",
        groupInstanceId: null,
        partitions: Object.entries(offsets).map(([p, offset]) => ({
          topic: TOPIC,
          partition: Number(p),
          offset,
          leaderEpoch: -1,
          metadata: "",
        })),
      },
      (m) => done(m as OffsetCommitResponse),
    );
  }

  /** OffsetFetch for in-0..in-3: the offset, or the partition's error. */
  fetch(requireStable: boolean, done: (r: Array<number | string>) => void): void {
    this.call(
      "group",
      {
        type: "OffsetFetchRequest",
        bytes: HEADER_BYTES,
        correlationId: 0,
        groupId: GROUP,
        partitions: [0, 1, 2, 3].map((partition) => ({ topic: TOPIC, partition })),
        requireStable,
      },
      (m) => {
        const r = m as OffsetFetchResponse;
        done(r.partitions.map((p) => (p.error === "NONE" ? p.offset : p.error)));
      },
    );
  }

  endTxn(committed: boolean, done: (r: EndTxnResponse) => void): void {
    this.call(
      "transaction",
      {
        type: "EndTxnRequest",
        bytes: HEADER_BYTES,
        correlationId: 0,
        transactionalId: this.transactionalId,
        producerId: this.producerId,
        producerEpoch: this.producerEpoch,
        committed,
      },
      (m) => {
        const r = m as EndTxnResponse;
        if (r.error === "CONCURRENT_TRANSACTIONS")
          return this.later(() => this.endTxn(committed, done));
        done(r);
      },
    );
  }

  private initRequest(): CoordinatorRequest {
    return {
      type: "InitProducerIdRequest",
      bytes: HEADER_BYTES,
      correlationId: 0,
      transactionalId: this.transactionalId,
      transactionTimeoutMs: 60_000,
      producerId: -1,
      producerEpoch: -1,
    };
  }

  private find(keyType: "transaction" | "group", done: () => void): void {
    const to = String((this.bootstrap++ % 3) + 1);
    this.send(
      to,
      () => this.find(keyType, done),
      {
        type: "FindCoordinatorRequest",
        bytes: HEADER_BYTES,
        correlationId: 0,
        key: keyType === "group" ? GROUP : this.transactionalId,
        keyType,
      },
      (m) => {
        const r = m as FindCoordinatorResponse;
        if (r.error !== "NONE") return this.later(() => this.find(keyType, done));
        this.coordinators[keyType] = String(r.nodeId);
        done();
      },
    );
  }

  private call(
    keyType: "transaction" | "group",
    request: CoordinatorRequest,
    done: (m: Response) => void,
  ): void {
    const again = () => {
      this.coordinators[keyType] = undefined;
      this.find(keyType, go);
    };
    const go = (): void =>
      this.send(this.coordinators[keyType]!, again, request, (m) => {
        const direct = (m as { error?: string }).error;
        const perPartition = partitionErrors(m);
        if (
          (direct !== undefined && COORDINATOR_ERRORS.has(direct)) ||
          perPartition.some((e) => COORDINATOR_ERRORS.has(e))
        ) {
          this.coordinators[keyType] = undefined;
          return this.later(() => this.find(keyType, go));
        }
        done(m);
      });
    if (this.coordinators[keyType] === undefined) this.find(keyType, go);
    else go();
  }

  private send(
    to: string,
    lost: () => void,
    request: CoordinatorRequest,
    done: (m: Response) => void,
  ) {
    const correlationId = ++this.correlation;
    this.waiting.set(correlationId, done);
    this.network.send(this.id, to, { ...request, correlationId } as never);
    this.actions.push(() => {
      if (!this.waiting.delete(correlationId)) return;
      lost();
    });
    this.engine.schedule(LOST_US, this.id, "client.act", this.actions.length - 1);
  }

  private later(action: () => void): void {
    this.actions.push(action);
    this.engine.schedule(RETRY_US, this.id, "client.act", this.actions.length - 1);
  }
}

function partitionErrors(m: Response): string[] {
  if (m.type === "TxnOffsetCommitResponse")
    return m.results.flatMap((t) => t.partitions.map((p) => p.error));
  if (m.type === "OffsetCommitResponse") return m.partitions.map((p) => p.error);
  return [];
}

function world(seed = 5): ClusterWorld {
  return new ClusterWorld({
    seed,
    brokers: 3,
    controllers: { kind: "dedicated", count: 3 },
    topics: [{ name: TOPIC, partitions: 4, replicationFactor: 3 }],
    recordTrace: true,
  });
}

const txnErrors = (r: TxnOffsetCommitResponse | undefined) =>
  r?.results.flatMap((t) => t.partitions.map((p) => p.error));

/** The batches of the group's offsets partition in its leader's log. */
function offsetsLog(w: ClusterWorld) {
  const partition = coordinatorPartition(GROUP, 50);
  const leader = w.image().topicByName(OFFSETS_TOPIC)!.partitions[partition]!.leader;
  return w.cluster.brokers.get(leader)!.logBatches(OFFSETS_TOPIC, partition);
}

/**
 * At 1 s: init, a plain commit of in-0 = 5, AddOffsetsToTxn, TxnOffsetCommit {in-0: 10, in-1: 20};
 * fetches (plain and requireStable) while the transaction is open; EndTxn at 8 s; fetches at 12 s.
 */
function oneTransaction(committed: boolean) {
  const w = world();
  const c = new TxnOffsetsClient("app-1", "tx-1", w.engine, w.network);
  const r: {
    txn?: TxnOffsetCommitResponse;
    add?: AddOffsetsToTxnResponse;
    openPlain?: Array<number | string>;
    openStable?: Array<number | string>;
    end?: EndTxnResponse;
    afterPlain?: Array<number | string>;
    afterStable?: Array<number | string>;
  } = {};
  w.at(1 * S, () =>
    c.init(() =>
      c.commit({ 0: 5 }, () =>
        c.addOffsets((add) => {
          r.add = add;
          c.txnCommit({ 0: 10, 1: 20 }, (txn) => {
            r.txn = txn;
          });
        }),
      ),
    ),
  );
  w.at(6 * S, () => {
    c.fetch(false, (x) => {
      r.openPlain = x;
    });
    c.fetch(true, (x) => {
      r.openStable = x;
    });
  });
  w.at(8 * S, () => c.endTxn(committed, (e) => (r.end = e)));
  w.at(12 * S, () => {
    c.fetch(false, (x) => {
      r.afterPlain = x;
    });
    c.fetch(true, (x) => {
      r.afterStable = x;
    });
  });
  w.runUntil(14 * S);
  return { w, c, r };
}

describe("transactions: offsets: a committed transaction", () => {
  const { w, c, r } = oneTransaction(true);

  it("TxnOffsetCommit is answered NONE once written", () => {
    expect(r.add?.error).toBe("NONE");
    expect(txnErrors(r.txn)).toEqual(["NONE", "NONE"]);
  });

  it("while the transaction is open the offsets are invisible, and unstable to requireStable", () => {
    expect(r.openPlain).toEqual([5, -1, -1, -1]);
    expect(r.openStable).toEqual(["UNSTABLE_OFFSET_COMMIT", "UNSTABLE_OFFSET_COMMIT", -1, -1]);
  });

  it("after the COMMIT marker they are the group's committed offsets", () => {
    expect(r.end?.error).toBe("NONE");
    expect(r.afterPlain).toEqual([10, 20, -1, -1]);
    expect(r.afterStable).toEqual([10, 20, -1, -1]);
  });

  it("the log holds the producer's transactional offset batch, then its COMMIT marker", () => {
    const batches = offsetsLog(w);
    const txn = batches.find((b) => b.isTransactional && !b.isControl);
    expect(txn).toMatchObject({ producerId: c.producerId, producerEpoch: c.producerEpoch });
    const marker = batches.find((b) => b.isControl && b.producerId === c.producerId);
    expect(marker).toBeDefined();
    expect(marker!.baseOffset).toBeGreaterThan(txn!.baseOffset);
    const completed = w.trace.filter((e: TraceEvent) => e.type === "coordinator.txn.complete");
    expect(completed).toEqual([
      expect.objectContaining({ producerId: c.producerId, result: "COMMIT", offsets: 2 }),
    ]);
  });
});

describe("transactions: offsets: an aborted transaction", () => {
  const { r } = oneTransaction(false);

  it("the ABORT marker drops the offsets; the plain commit stays", () => {
    expect(txnErrors(r.txn)).toEqual(["NONE", "NONE"]);
    expect(r.openStable).toEqual(["UNSTABLE_OFFSET_COMMIT", "UNSTABLE_OFFSET_COMMIT", -1, -1]);
    expect(r.end?.error).toBe("NONE");
    expect(r.afterPlain).toEqual([5, -1, -1, -1]);
    expect(r.afterStable).toEqual([5, -1, -1, -1]);
  });
});

describe("transactions: offsets: the group coordinator fails over", () => {
  // tx-a commits {in-0: 10}; tx-b aborts {in-2: 30}; tx-c leaves {in-1: 20} open. Then the group
  // coordinator's process crashes; its successor loads the partition; tx-c commits afterwards.
  const w = world(9);
  const a = new TxnOffsetsClient("app-a", "tx-a", w.engine, w.network);
  const b = new TxnOffsetsClient("app-b", "tx-b", w.engine, w.network);
  const c = new TxnOffsetsClient("app-c", "tx-c", w.engine, w.network);
  const run = (client: TxnOffsetsClient, offsets: Record<number, number>, end?: boolean) =>
    client.init(() =>
      client.addOffsets(() =>
        client.txnCommit(offsets, () => {
          if (end !== undefined) client.endTxn(end, () => {});
        }),
      ),
    );
  w.at(1 * S, () => run(a, { 0: 10 }, true));
  w.at(1 * S, () => run(b, { 2: 30 }, false));
  w.at(1 * S, () => run(c, { 1: 20 }));
  let crashed = "";
  w.at(10 * S, () => {
    crashed = c.coordinators.group!;
    w.cluster.crash(crashed, "process");
  });
  const seen: Record<string, Array<number | string>> = {};
  w.at(30 * S, () => {
    c.fetch(false, (x) => (seen.plain = x));
    c.fetch(true, (x) => (seen.stable = x));
  });
  w.at(32 * S, () => c.endTxn(true, () => {}));
  w.at(45 * S, () => c.fetch(true, (x) => (seen.end = x)));
  w.runUntil(48 * S);

  it("another broker leads the offsets partition and loads it", () => {
    expect(crashed).not.toBe("");
    const loads = w.trace.filter(
      (e) =>
        e.type === "coordinator.load" &&
        e.partition === coordinatorPartition(GROUP, 50) &&
        e.node !== crashed &&
        e.t > 10 * S,
    );
    expect(loads.length).toBeGreaterThan(0);
  });

  it("committed offsets come back applied, aborted ones dropped, the open one still pending", () => {
    expect(seen.plain).toEqual([10, -1, -1, -1]);
    expect(seen.stable).toEqual([10, "UNSTABLE_OFFSET_COMMIT", -1, -1]);
  });

  it("the open transaction's COMMIT, written after the reload, makes its offset committed", () => {
    expect(seen.end).toEqual([10, 20, -1, -1]);
  });
});

describe("transactions: offsets: a KafkaProducer's sendOffsetsToTransaction", () => {
  function produce(commit: boolean) {
    const w = world(3);
    const p = new KafkaProducer(w.engine, w.network, {
      clientId: "producer-1",
      version: "4.1",
      config: { "transactional.id": "tx-p" },
      bootstrap: [1, 2, 3],
      history: w.recorder,
    });
    p.boot();
    const reader = new TxnOffsetsClient("reader", "unused", w.engine, w.network);
    w.at(1 * S, () => p.initTransactions());
    w.at(5 * S, () => {
      p.beginTransaction();
      p.send({ topic: TOPIC, partition: 0, value: "v" });
      p.sendOffsetsToTransaction({
        groupId: GROUP,
        offsets: [
          { topic: TOPIC, partition: 0, offset: 42 },
          { topic: TOPIC, partition: 3, offset: 7 },
        ],
      });
      if (commit) p.commitTransaction();
    });
    // The abort waits until the offsets are in (they still must not count).
    if (!commit) w.at(9 * S, () => p.abortTransaction());
    const seen: Array<number | string>[] = [];
    w.at(15 * S, () => reader.fetch(true, (x) => seen.push(x)));
    w.runUntil(17 * S);
    return { w, p, seen };
  }

  it("after commitTransaction they are the group's committed offsets", () => {
    const { w, p, seen } = produce(true);
    const steps = w.trace
      .filter((e) => e.type === "producer.txn" && e.client === "producer-1")
      .map((e) => e.step);
    expect(steps).toContain("offsets-committed");
    expect(steps.indexOf("offsets-committed")).toBeLessThan(steps.lastIndexOf("end-txn"));
    expect(p.transactionState()).toBe("READY");
    expect(seen).toEqual([[42, -1, -1, 7]]);
  });

  it("after abortTransaction they are not", () => {
    const { w, p, seen } = produce(false);
    const steps = w.trace
      .filter((e) => e.type === "producer.txn" && e.client === "producer-1")
      .map((e) => e.step);
    expect(steps).toContain("offsets-committed");
    expect(p.transactionState()).toBe("READY");
    expect(seen).toEqual([[-1, -1, -1, -1]]);
  });
});

describe("transactions: offsets: a consumer starting while its group's offsets are pending", () => {
  // The producer's transaction holds {in-0: 42} from 5 s and commits at 14 s; a consumer of the
  // group assigned in-0 starts at 8 s. Its OffsetFetch asks for stable offsets (2.5+), is answered
  // UNSTABLE_OFFSET_COMMIT, and is asked again every retry.backoff.ms until the COMMIT.
  const w = world(4);
  const p = new KafkaProducer(w.engine, w.network, {
    clientId: "producer-1",
    version: "4.1",
    config: { "transactional.id": "tx-p" },
    bootstrap: [1, 2, 3],
    history: w.recorder,
  });
  p.boot();
  w.at(1 * S, () => p.initTransactions());
  w.at(5 * S, () => {
    p.beginTransaction();
    p.sendOffsetsToTransaction({
      groupId: GROUP,
      offsets: [{ topic: TOPIC, partition: 0, offset: 42 }],
    });
  });
  w.at(14 * S, () => p.commitTransaction());
  const c = new KafkaConsumer(w.engine, w.network, {
    clientId: "consumer-1",
    version: "4.1",
    bootstrap: [1, 2, 3],
    config: { "group.id": GROUP, "enable.auto.commit": false, "auto.offset.reset": "latest" },
    history: w.recorder,
  });
  c.assign([{ topic: TOPIC, partition: 0 }]);
  w.at(8 * S, () => c.boot());
  w.runUntil(18 * S);
  const mine = (type: string) =>
    w.trace.filter((e) => e.type === type && e.client === "consumer-1");

  it("is told UNSTABLE_OFFSET_COMMIT and retries after retry.backoff.ms until the commit", () => {
    const unstable = mine("consumer.offsets.unstable");
    expect(unstable.length).toBeGreaterThan(2);
    expect(unstable.every((e) => e.t >= 8 * S && e.t < 15 * S)).toBe(true);
    const gaps = unstable.slice(1).map((e, i) => e.t - unstable[i]!.t);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(100_000); // retry.backoff.ms = 100
  });

  it("then starts from the transaction's offset, not from auto.offset.reset", () => {
    const positions = mine("consumer.position");
    expect(positions[0]).toMatchObject({
      topic: TOPIC,
      partition: 0,
      offset: 42,
      from: "committed",
    });
    expect(positions[0]!.t).toBeGreaterThanOrEqual(14 * S);
  });

  it("groupMetadata() of an assign() consumer: no generation, no member id", () => {
    expect(c.groupMetadata()).toEqual({
      groupId: GROUP,
      generationId: -1,
      memberId: "",
      groupInstanceId: null,
    });
  });
});
