// kafka: transactions: KIP-890 part 1, partition verification (reference §5), on a whole 3.6
// cluster with a real transaction coordinator and a scripted client. Expected: the first
// transactional batch of a producer on a partition waits for a verify-only AddPartitionsToTxn to
// the coordinator (found from the leader's metadata, no FindCoordinator); a partition added to the
// open transaction is written, one that is not gets INVALID_TXN_STATE and nothing is appended; a
// marker written while the question is out invalidates the verification (the guard); an
// unreachable or missing coordinator makes the write retriable (NOT_ENOUGH_REPLICAS); later
// batches of an open transaction are not verified again; 3.5, or the config set to false, does
// not verify at all.
import { describe, expect, it } from "vitest";
import type { Actor, Engine, SimEvent } from "../../sim/engine/engine.ts";
import { Host } from "../../sim/infra/host.ts";
import type { NetDelivery, NetMessage, Network } from "../../sim/infra/network.ts";
import {
  HEADER_BYTES,
  type ProduceRequest,
  type ProduceResponse,
} from "../../sim/kafka/protocol.ts";
import type {
  FindCoordinatorRequest,
  InitProducerIdRequest,
  InitProducerIdResponse,
} from "../../sim/kafka/protocol-clients.ts";
import type {
  AddPartitionsToTxnRequest,
  AddPartitionsToTxnResponse,
  WriteTxnMarkersRequest,
} from "../../sim/kafka/protocol-txn.ts";
import { transactionCoordinatorBroker } from "../../sim/kafka/txn/placement.ts";
import type { KafkaVersion } from "../../sim/kafka/version.ts";
import { ClusterWorld, DEFAULT_MACHINE } from "../support/cluster-world.ts";

const TOPIC = "out";
const S = 1_000_000;

type Request =
  | ProduceRequest
  | FindCoordinatorRequest
  | InitProducerIdRequest
  | AddPartitionsToTxnRequest
  | WriteTxnMarkersRequest;

type Answer = NetMessage & { readonly correlationId: number };

/** A scripted client: sends labelled requests to brokers and keeps the answers by label. */
class ScriptClient implements Actor {
  readonly id = "script-client";
  private readonly answers = new Map<string, { at: number; message: Answer }>();
  private readonly labels = new Map<number, string>();
  private correlation = 0;

  constructor(
    private readonly engine: Engine,
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
    const m = (event.payload as NetDelivery<Answer>).message;
    const label = this.labels.get(m.correlationId);
    if (label !== undefined) this.answers.set(label, { at: this.engine.now, message: m });
  }

  answer<R>(label: string): R {
    const r = this.answers.get(label);
    if (r === undefined) throw new Error(`no answer for ${label}`);
    return r.message as R;
  }

  answeredAt(label: string): number | undefined {
    return this.answers.get(label)?.at;
  }

  has(label: string): boolean {
    return this.answers.has(label);
  }
}

function txnProduce(
  transactionalId: string | null,
  partition: number,
  producerId: number,
  epoch: number,
  seq: number,
  origin: string,
): ProduceRequest {
  return {
    type: "ProduceRequest",
    bytes: HEADER_BYTES + 100,
    correlationId: 0,
    clientId: "script",
    acks: -1,
    timeoutMs: 30_000,
    transactionalId,
    partitions: [
      {
        topic: TOPIC,
        partition,
        batch: {
          count: 1,
          bytes: 100,
          firstTimestampUs: 0,
          maxTimestampUs: 0,
          producerId,
          producerEpoch: epoch,
          baseSequence: seq,
          isTransactional: true,
          isControl: false,
          origin,
        },
      },
    ],
  };
}

function produceError(client: ScriptClient, label: string): string {
  return client.answer<ProduceResponse>(label).partitions[0]!.error;
}

/**
 * A 3-broker cluster; `out` has two partitions both led by broker 1. At 2 s FindCoordinator
 * creates __transaction_state; at 4 s the script picks a transactional id whose coordinator is
 * not broker 1, gets a producer id and adds out-0 to its transaction.
 */
function setup(version: KafkaVersion, config: Record<string, unknown> = {}) {
  const w = new ClusterWorld({
    seed: 890,
    version,
    brokers: 3,
    controllers: { kind: "combined" },
    topics: [
      {
        name: TOPIC,
        partitions: 2,
        replicationFactor: 3,
        assignment: [
          [1, 2, 3],
          [1, 3, 2],
        ],
      },
    ],
    config,
    recordTrace: true,
  });
  const client = new ScriptClient(w.engine, w.network);
  const txn = { id: "", coordinator: -1, producerId: -1, epoch: -1 };
  w.at(2 * S, () =>
    client.send("find", 1, {
      type: "FindCoordinatorRequest",
      bytes: HEADER_BYTES,
      correlationId: 0,
      key: "tx-0",
      keyType: "transaction",
    }),
  );
  w.at(4 * S, () => {
    for (let i = 0; i < 50 && txn.id === ""; i++) {
      const coordinator = transactionCoordinatorBroker(w.image(), `tx-${i}`, 50);
      if (coordinator !== undefined && coordinator !== 1) {
        txn.id = `tx-${i}`;
        txn.coordinator = coordinator;
      }
    }
    client.send("init", txn.coordinator, {
      type: "InitProducerIdRequest",
      bytes: HEADER_BYTES,
      correlationId: 0,
      transactionalId: txn.id,
      transactionTimeoutMs: 60_000,
      producerId: -1,
      producerEpoch: -1,
    });
  });
  w.at(5 * S, () => {
    const init = client.answer<InitProducerIdResponse>("init");
    txn.producerId = init.producerId;
    txn.epoch = init.producerEpoch;
    client.send("add", txn.coordinator, {
      type: "AddPartitionsToTxnRequest",
      bytes: HEADER_BYTES,
      correlationId: 0,
      transactionalId: txn.id,
      producerId: txn.producerId,
      producerEpoch: txn.epoch,
      topics: [{ topic: TOPIC, partitions: [0] }],
    });
  });
  return { w, client, txn };
}

/** Base offsets of the leader's appends on out-N for the script. */
function appended(w: ClusterWorld, partition: number): number[] {
  return w.trace
    .filter(
      (e) =>
        e.type === "produce.append" &&
        e.node === "1" &&
        e.topic === TOPIC &&
        e.partition === partition &&
        e.client === "script",
    )
    .map((e) => e.baseOffset as number);
}

/** The txn.verify events of out-N after the setup (the 1 s write of another id excluded). */
function verifies(w: ClusterWorld, partition: number) {
  return w.trace.filter(
    (e) => e.type === "txn.verify" && e.topic === TOPIC && e.partition === partition && e.t > 5 * S,
  );
}

describe("kafka: transactions: KIP-890 verification on 3.6", () => {
  const { w, client, txn } = setup("3.6");
  // Before any FindCoordinator: no __transaction_state, so no coordinator to ask.
  w.at(1 * S, () => client.send("no-coordinator", 1, txnProduce("tx-0", 1, 77, 0, 0, "early")));
  w.at(6 * S, () => client.send("p0", 1, txnProduce(txn.id, 0, txn.producerId, txn.epoch, 0, "a")));
  w.at(6.5 * S, () =>
    client.send("p0-next", 1, txnProduce(txn.id, 0, txn.producerId, txn.epoch, 1, "b")),
  );
  w.at(7 * S, () =>
    client.send("p1-not-added", 1, txnProduce(txn.id, 1, txn.producerId, txn.epoch, 0, "c")),
  );
  w.at(7.5 * S, () => client.send("ghost", 1, txnProduce("ghost", 1, 999_999, 0, 0, "g")));
  // The guard: out-1 is added, the verification's question is held, a marker lands meanwhile.
  w.at(8 * S, () =>
    client.send("add-1", txn.coordinator, {
      type: "AddPartitionsToTxnRequest",
      bytes: HEADER_BYTES,
      correlationId: 0,
      transactionalId: txn.id,
      producerId: txn.producerId,
      producerEpoch: txn.epoch,
      topics: [{ topic: TOPIC, partitions: [1] }],
    }),
  );
  w.at(9 * S, () => {
    w.network.hold("1", String(txn.coordinator));
    client.send("p1-raced", 1, txnProduce(txn.id, 1, txn.producerId, txn.epoch, 0, "d"));
  });
  w.at(9.1 * S, () =>
    client.send("marker-1", 1, {
      type: "WriteTxnMarkersRequest",
      bytes: HEADER_BYTES,
      correlationId: 0,
      markers: [
        {
          producerId: txn.producerId,
          producerEpoch: txn.epoch,
          transactionResult: "ABORT",
          topics: [{ topic: TOPIC, partitions: [1] }],
          coordinatorEpoch: 0,
        },
      ],
    }),
  );
  w.at(9.5 * S, () => w.network.release("1", String(txn.coordinator)));
  // The coordinator cannot be reached: the question is lost, the leader gives up after 30 s.
  w.at(12 * S, () => {
    w.network.cut("1", String(txn.coordinator));
    client.send("p1-lost", 1, txnProduce(txn.id, 1, txn.producerId, txn.epoch, 0, "e"));
  });
  w.at(45 * S, () => w.network.heal("all"));
  w.runUntil(50 * S);

  it("with no __transaction_state the write is retriable: NOT_ENOUGH_REPLICAS", () => {
    expect(produceError(client, "no-coordinator")).toBe("NOT_ENOUGH_REPLICAS");
    const v = w.trace.find((e) => e.type === "txn.verify" && e.t < 2 * S);
    expect(v).toMatchObject({ result: "rejected", error: "COORDINATOR_NOT_AVAILABLE" });
  });

  it("a partition in the open transaction is verified by its coordinator, then written", () => {
    expect(txn.coordinator).not.toBe(1);
    expect(client.answer<AddPartitionsToTxnResponse>("add").results[0]!.partitions[0]!.error).toBe(
      "NONE",
    );
    expect(produceError(client, "p0")).toBe("NONE");
    const v = verifies(w, 0);
    expect(v).toHaveLength(1);
    expect(v[0]).toMatchObject({
      node: "1",
      coordinator: txn.coordinator,
      producerId: txn.producerId,
      result: "verified",
      error: "NONE",
    });
    // The coordinator saw a verify-only request from broker 1 and wrote nothing.
    const asked = w.trace.filter((e) => e.type === "txn.add-partitions" && e.verifyOnly === true);
    expect(asked.some((e) => e.client === "1" && e.node === String(txn.coordinator))).toBe(true);
  });

  it("the next batch of the open transaction is not verified again", () => {
    expect(produceError(client, "p0-next")).toBe("NONE");
    expect(appended(w, 0)).toHaveLength(2);
    expect(verifies(w, 0)).toHaveLength(1);
  });

  it("a partition not in the transaction gets INVALID_TXN_STATE and nothing is appended", () => {
    expect(produceError(client, "p1-not-added")).toBe("INVALID_TXN_STATE");
    const v = verifies(w, 1).filter((e) => e.transactionalId !== "ghost");
    expect(v[0]).toMatchObject({ result: "rejected", error: "INVALID_TXN_STATE" });
    expect(appended(w, 1)).toEqual([]);
  });

  it("an id the coordinator does not know gets INVALID_PRODUCER_ID_MAPPING", () => {
    expect(produceError(client, "ghost")).toBe("INVALID_PRODUCER_ID_MAPPING");
  });

  it("a marker written while the question was out invalidates the answer (the guard)", () => {
    const v = verifies(w, 1).filter((e) => e.transactionalId !== "ghost");
    // The coordinator still had out-1 in the transaction: it said yes...
    expect(v[1]).toMatchObject({ result: "verified", error: "NONE" });
    expect(v[1]!.t).toBeGreaterThanOrEqual(9.5 * S);
    // ...but the marker came first, so the append is refused.
    expect(produceError(client, "p1-raced")).toBe("INVALID_TXN_STATE");
    const rejected = w.trace.filter(
      (e) => e.type === "produce.rejected" && e.partition === 1 && e.error === "INVALID_TXN_STATE",
    );
    expect(rejected.map((e) => e.reason)).toContain(
      "Record was not part of an ongoing transaction",
    );
    expect(appended(w, 1)).toEqual([]);
  });

  it("an unreachable coordinator: the leader answers NOT_ENOUGH_REPLICAS after 30 s", () => {
    expect(produceError(client, "p1-lost")).toBe("NOT_ENOUGH_REPLICAS");
    expect(client.answeredAt("p1-lost")! - 12 * S).toBeGreaterThanOrEqual(30 * S);
    const v = verifies(w, 1).filter((e) => e.transactionalId !== "ghost");
    expect(v.at(-1)).toMatchObject({ result: "rejected", error: "NETWORK_EXCEPTION" });
  });
});

describe("kafka: transactions: no verification without KIP-890 or with it disabled", () => {
  for (const [name, version, config] of [
    ["3.5", "3.5", {}],
    [
      "3.6 with transaction.partition.verification.enable=false",
      "3.6",
      {
        "transaction.partition.verification.enable": false,
      },
    ],
  ] as const) {
    it(`${name}: a partition not in the transaction is written anyway`, () => {
      const { w, client, txn } = setup(version, config);
      w.at(7 * S, () =>
        client.send("p1-not-added", 1, txnProduce(txn.id, 1, txn.producerId, txn.epoch, 0, "c")),
      );
      w.runUntil(10 * S);
      expect(produceError(client, "p1-not-added")).toBe("NONE");
      expect(appended(w, 1)).toEqual([0]);
      expect(w.trace.filter((e) => e.type.startsWith("txn.verify"))).toEqual([]);
    });
  }
});
