// clients: producer sender: max.in.flight=1 holds a partition while its batch is in flight, a
// retry goes back before newer batches, idempotent retries go out in sequence order, and the
// backoff doubles up to retry.backoff.max.ms.
import { describe, expect, it } from "vitest";
import { type ProducerBatch, RecordAccumulator } from "../../sim/client/producer/accumulator.ts";
import { IdempotenceState } from "../../sim/client/producer/idempotence.ts";
import { resolveProducerSettings } from "../../sim/client/producer/producer-config.ts";
import { Sender, type SenderHost } from "../../sim/client/producer/sender.ts";
import type { EventHandle } from "../../sim/engine/engine.ts";
import type { ProduceRequest } from "../../sim/kafka/protocol.ts";
import type { KafkaError } from "../../sim/kafka/types.ts";

interface Rig {
  readonly acc: RecordAccumulator;
  readonly sender: Sender;
  readonly idem: IdempotenceState | undefined;
  readonly sent: ProduceRequest[];
  readonly settled: Array<{ sendId: string; outcome: string; offset?: number }>;
  now: number;
}

function rig(config: Record<string, unknown>): Rig {
  const settings = resolveProducerSettings("4.1", { "linger.ms": 0, ...config });
  const acc = new RecordAccumulator({
    batchSizeBytes: settings["batch.size"],
    lingerMs: 0,
    bufferMemoryBytes: settings["buffer.memory"],
    maxRequestSizeBytes: settings["max.request.size"],
    retryBackoffMs: settings["retry.backoff.ms"],
  });
  const idem = settings.idempotence ? new IdempotenceState() : undefined;
  idem?.setProducerId(7, 0);
  const r = { acc, idem, sent: [] as ProduceRequest[], settled: [], now: 0 } as unknown as Rig;
  const host: SenderHost = {
    clientId: "p",
    now: () => r.now,
    send: (_b, m) => r.sent.push(m),
    cpuDoneAtUs: () => r.now,
    timer: () => ({}) as EventHandle,
    cancel: () => {},
    emit: () => {},
    settle: (b, outcome, d) =>
      r.settled.push({
        sendId: b.sendId,
        outcome,
        ...(d.offset === undefined ? {} : { offset: d.offset }),
      }),
    recordSend: () => {},
    requestMetadataUpdate: () => {},
  };
  (r as { sender: Sender }).sender = new Sender(host, settings, acc, idem, false);
  return r;
}

let n = 0;
function add(r: Rig, partition = 0): ProducerBatch {
  const out = r.acc.append(
    "t",
    partition,
    { recordId: `r${n}`, key: null, value: null, sizeBytes: 10, appendedUs: r.now },
    () => ({
      sendId: `p:${n++}`,
      topic: "t",
      partition,
      createdUs: r.now,
      reservedBytes: 16384,
      records: [],
      recordBytes: 0,
      closed: false,
      attempts: 0,
      retryAtUs: 0,
      inRetry: false,
      producerId: -1,
      producerEpoch: -1,
      baseSequence: -1,
      wireBytes: 0,
      recorded: false,
      ambiguous: false,
      lastError: undefined,
    }),
  );
  out.batch.closed = true; // one record per batch in these tests
  return out.batch;
}

const leaderOf = () => 1;

/** One sender round: drain broker 1 while it may take requests. */
function pump(r: Rig): ProducerBatch[][] {
  const out: ProducerBatch[][] = [];
  const idem = r.idem;
  for (;;) {
    if (!r.sender.canSend(1)) break;
    const batches = r.acc.drain(
      1,
      r.now,
      leaderOf,
      (b) => idem?.mayDrain(b) ?? true,
      () => 80,
    );
    if (batches.length === 0) break;
    r.sender.sendBatches(1, batches, 0);
    out.push(batches);
  }
  return out;
}

function answer(r: Rig, index: number, error: KafkaError, baseOffset = -1): void {
  const req = r.sent[index]!;
  r.sender.onResponse(1, {
    type: "ProduceResponse",
    bytes: 0,
    correlationId: req.correlationId,
    partitions: req.partitions.map((p) => ({
      topic: p.topic,
      partition: p.partition,
      error,
      baseOffset,
      logStartOffset: 0,
    })),
  });
}

describe("clients: producer sender: in-flight limits", () => {
  it("with max.in.flight=1 a partition is held while its batch is in flight", () => {
    const r = rig({ "enable.idempotence": false, "max.in.flight.requests.per.connection": 1 });
    add(r);
    expect(pump(r).length).toBe(1);
    add(r);
    // The connection allows no second request, and the partition is muted anyway.
    expect(pump(r).length).toBe(0);
    expect(r.acc.isMuted("t", 0)).toBe(true);
    answer(r, 0, "NONE", 0);
    expect(r.acc.isMuted("t", 0)).toBe(false);
    expect(pump(r).length).toBe(1);
  });

  it("with max.in.flight=5 sends five requests for one partition, then waits", () => {
    const r = rig({ "enable.idempotence": false });
    for (let i = 0; i < 7; i++) add(r);
    expect(pump(r).length).toBe(5);
  });
});

describe("clients: producer sender: retries", () => {
  it("puts a failed batch back before a newer one and resends it after its backoff", () => {
    const r = rig({ "enable.idempotence": false, "max.in.flight.requests.per.connection": 1 });
    const b1 = add(r);
    pump(r);
    const b2 = add(r);
    answer(r, 0, "NOT_ENOUGH_REPLICAS");
    expect([...r.acc.queued()]).toEqual([b1, b2]);
    r.now = 99_999;
    expect(pump(r).length).toBe(0); // retry.backoff.ms = 100 ms not over yet
    r.now = 100_000;
    expect(pump(r)[0]).toEqual([b1]);
  });

  it("without idempotence two in-flight batches can be written in reverse order (S10)", () => {
    const r = rig({ "enable.idempotence": false });
    const b1 = add(r);
    const b2 = add(r);
    expect(pump(r)).toEqual([[b1], [b2]]);
    answer(r, 0, "NOT_ENOUGH_REPLICAS");
    answer(r, 1, "NONE", 300);
    r.now = 100_000;
    expect(pump(r)).toEqual([[b1]]);
    answer(r, 2, "NONE", 301);
    // r2 at 300, r1 at 301: the reverse of the send order.
    expect(r.settled).toEqual([
      { sendId: b2.sendId, outcome: "acked", offset: 300 },
      { sendId: b1.sendId, outcome: "acked", offset: 301 },
    ]);
  });

  it("with idempotence resends B1 first and B2 only after B1 is acked (S10)", () => {
    const r = rig({ "enable.idempotence": true });
    const b1 = add(r);
    const b2 = add(r);
    expect(pump(r)).toEqual([[b1], [b2]]);
    expect([b1.baseSequence, b2.baseSequence]).toEqual([0, 1]);
    answer(r, 0, "NOT_ENOUGH_REPLICAS");
    // Sequence 0 is missing at the broker: B2 is refused, and retried (it is not the next one).
    answer(r, 1, "OUT_OF_ORDER_SEQUENCE_NUMBER");
    r.now = 100_000;
    // Only B1, the first sequence in flight, may go.
    expect(pump(r)).toEqual([[b1]]);
    answer(r, 2, "NONE", 300);
    expect(pump(r)).toEqual([[b2]]);
    answer(r, 3, "NONE", 301);
    expect(r.settled.map((s) => s.offset)).toEqual([300, 301]);
    expect(r.idem!.lastAckedSequence("t", 0)).toBe(1);
  });

  it("fails an out-of-order batch that is the next expected one, and asks for an epoch bump", () => {
    const r = rig({ "enable.idempotence": true });
    const b1 = add(r);
    pump(r);
    answer(r, 0, "OUT_OF_ORDER_SEQUENCE_NUMBER");
    expect(r.settled).toEqual([{ sendId: b1.sendId, outcome: "failed" }]);
    expect(r.idem!.epochBumpRequired).toBe(true);
    // KIP-360: the bump renumbers what waits from 0 under epoch 1.
    const b2 = add(r);
    expect(pump(r).length).toBe(0); // held until the bump
    r.idem!.bumpEpoch(r.acc.queued());
    expect(pump(r)).toEqual([[b2]]);
    expect([b2.producerEpoch, b2.baseSequence]).toEqual([1, 0]);
  });

  it("does not retry with retries=0", () => {
    const r = rig({ "enable.idempotence": false, retries: 0 });
    const b1 = add(r);
    pump(r);
    answer(r, 0, "NOT_ENOUGH_REPLICAS");
    expect(r.settled).toEqual([{ sendId: b1.sendId, outcome: "failed" }]);
  });

  it("doubles the backoff from retry.backoff.ms up to retry.backoff.max.ms (3.7+)", () => {
    const r = rig({});
    // 100, 200, 400, 800, then capped at 1000 ms.
    expect([1, 2, 3, 4, 5, 6].map((a) => r.sender.backoffUs(a) / 1000)).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
  });
});
