// clients: producer: S9 and S10 through a real cluster: a lost acknowledgement duplicates a batch
// without idempotence and not with it; two batches in flight reorder without idempotence and keep
// their order with max.in.flight=1 or with idempotence.
import { describe, expect, it } from "vitest";
import { checkNoDuplicates } from "../../sim/check/checkers/index.ts";
import { KafkaProducer } from "../../sim/client/producer/kafka-producer.ts";
import type { TraceEvent } from "../../sim/engine/trace.ts";
import type { RecordBatch } from "../../sim/kafka/types.ts";
import { ClusterWorld } from "../support/cluster-world.ts";

const MS = 1000;
const S = 1_000_000;

function world(seed: number, extraConfig: Record<string, unknown> = {}, rf = 3) {
  return new ClusterWorld({
    seed,
    brokers: 3,
    controllers: { kind: "dedicated", count: 1 },
    topics: [
      {
        name: "t",
        partitions: 1,
        replicationFactor: rf,
        assignment: [rf === 3 ? [1, 2, 3] : [1, 2]],
        ...(rf === 2 ? { config: { "min.insync.replicas": "2" } } : {}),
      },
    ],
    config: extraConfig,
    recordTrace: true,
  });
}

function producer(w: ClusterWorld, config: Record<string, unknown>) {
  const p = new KafkaProducer(w.engine, w.network, {
    clientId: "producer-1",
    version: "4.1",
    config: { "linger.ms": 0, ...config },
    bootstrap: [1, 2, 3],
    history: w.recorder,
    keepPayloads: true,
  });
  p.boot();
  return p;
}

function values(w: ClusterWorld): Array<string | null> {
  const out: Array<string | null> = [];
  for (const b of w.cluster.brokers.get(1)!.logBatches("t", 0) as RecordBatch[]) {
    for (const v of b.values ?? []) out.push(v);
  }
  return out;
}

function origins(w: ClusterWorld, broker = 1): Array<string | undefined> {
  return (w.cluster.brokers.get(broker)!.logBatches("t", 0) as RecordBatch[]).map((b) => b.origin);
}

/**
 * S9: one record goes out at 3 s while the link from the leader (broker 1) back to the producer is
 * cut: the batch is appended and replicated, the response is lost. The link heals at 4 s; the
 * request times out at 3 s + request.timeout.ms (5 s) = 8 s and the batch is retried.
 */
function runS9(idempotence: boolean) {
  const w = world(9);
  const p = producer(w, {
    "enable.idempotence": idempotence,
    "request.timeout.ms": 5000,
  });
  let id = "";
  w.at(1 * S, () => p.send({ topic: "t", value: "warm-up" }));
  w.at(3 * S, () => {
    w.network.cut("1", "producer-1");
    id = p.send({ topic: "t", value: "r1" });
  });
  w.at(4 * S, () => w.network.heal("all"));
  w.runUntil(12 * S);
  return { w, p, id, events: w.trace as TraceEvent[] };
}

describe("clients: producer: S9 lost acknowledgement", () => {
  it("without idempotence the retry appends the batch a second time (offsets 1 and 2)", () => {
    const { w, p, id } = runS9(false);
    expect(values(w)).toEqual(["warm-up", "r1", "r1"]);
    // The retry's answer names the second copy: base offset 2.
    expect(p.outcome(id)).toMatchObject({ status: "acked", offset: 2 });
    const o = origins(w);
    expect(o[1]).toBe(o[2]);
    // The no-duplicates checker names it from the history.
    expect(checkNoDuplicates(w.history()).holds).toBe(false);
  });

  it("with idempotence the broker answers the retry with the original offset and appends nothing", () => {
    const { w, p, id, events } = runS9(true);
    expect(values(w)).toEqual(["warm-up", "r1"]);
    expect(p.outcome(id)).toMatchObject({ status: "acked", offset: 1 });
    const dup = events.filter((e) => e.type === "produce.duplicate");
    expect(dup.length).toBe(1);
    expect(dup[0]).toMatchObject({ baseOffset: 1, baseSequence: 1 });
    // Every replica holds one copy.
    for (const b of [2, 3]) expect(origins(w, b).length).toBe(2);
    expect(checkNoDuplicates(w.history()).holds).toBe(true);
  });
});

/**
 * S10 (reference §10): RF 2, min.insync.replicas 2. r0 is acked first (so the broker knows the
 * producer id). At 2 s the link between the replicas is cut, and at 3 s a second producer (acks=1)
 * writes x: follower 2 now lags, and after replica.lag.time.max.ms (2 s) the ISR shrinks to {1}
 * (a follower that is caught up stays in the ISR however long it is silent, as in Kafka). At 8 s B1=[r1]
 * is sent; 50 µs later (B1's answer is still on its way: the path takes ~100 µs each way) the
 * producer→leader link gets 3 s of extra latency and B2=[r2] is sent, so B2 is in flight when B1's
 * NOT_ENOUGH_REPLICAS comes back (B1 was not appended). At 8.002 s the replica link heals and follower 2 rejoins the ISR long before B2
 * arrives (~11 s). B1's retry (after retry.backoff.ms) travels the same slow link behind B2.
 */
function runS10(config: Record<string, unknown>) {
  const w = world(10, { "replica.lag.time.max.ms": 2000, "replica.socket.timeout.ms": 1000 }, 2);
  const p = producer(w, { "request.timeout.ms": 30000, ...config });
  const other = new KafkaProducer(w.engine, w.network, {
    clientId: "producer-2",
    version: "4.1",
    config: { acks: "1", "linger.ms": 0 },
    bootstrap: [1],
    keepPayloads: true,
  });
  other.boot();
  w.at(1 * S, () => p.send({ topic: "t", value: "r0" }));
  w.at(2 * S, () => {
    w.network.cut("1", "2");
    w.network.cut("2", "1");
  });
  w.at(3 * S, () => other.send({ topic: "t", value: "x" }));
  w.at(8 * S, () => p.send({ topic: "t", value: "r1" }));
  w.at(8 * S + 50, () => {
    w.network.delay("producer-1", "1", 3 * S, true);
    p.send({ topic: "t", value: "r2" });
  });
  w.at(8 * S + 2 * MS, () => w.network.heal("2"));
  w.runUntil(20 * S);
  return { w, p, events: w.trace as TraceEvent[] };
}

describe("clients: producer: S10 reordering", () => {
  it("without idempotence and max.in.flight=5 the log holds r2 before r1", () => {
    const { w, events } = runS10({
      "enable.idempotence": false,
      "max.in.flight.requests.per.connection": 5,
    });
    const refused = events.filter(
      (e) => e.type === "producer.error" && e.error === "NOT_ENOUGH_REPLICAS",
    );
    expect(refused.length).toBe(1);
    expect(values(w)).toEqual(["r0", "x", "r2", "r1"]);
  });

  it("with max.in.flight=1 the partition is held while B1 is in flight: r1 before r2", () => {
    const { w } = runS10({
      "enable.idempotence": false,
      "max.in.flight.requests.per.connection": 1,
    });
    expect(values(w)).toEqual(["r0", "x", "r1", "r2"]);
  });

  it("with idempotence the broker refuses B2 (sequence 1 missing) and the client resends in order", () => {
    const { w, events } = runS10({ "enable.idempotence": true });
    const rejected = events.filter((e) => e.type === "produce.rejected");
    expect(rejected.map((e) => e.error)).toContain("OUT_OF_ORDER_SEQUENCE_NUMBER");
    expect(values(w)).toEqual(["r0", "x", "r1", "r2"]);
  });
});

describe("clients: producer: smoke", () => {
  it("acks a record sent to a 3-broker cluster", () => {
    const w = world(1);
    const p = producer(w, {});
    let id = "";
    w.at(2 * S, () => {
      id = p.send({ topic: "t", value: "hello" });
    });
    w.runUntil(4 * S);
    const events = w.trace as TraceEvent[];
    console.log(events.filter((e) => e.node === "producer-1").slice(0, 20));
    expect(p.outcome(id)?.status).toBe("acked");
    expect(values(w)).toEqual(["hello"]);
  });
});

describe("clients: producer: blocking, timeouts and determinism", () => {
  it("send() to a topic that does not exist fails after max.block.ms with Kafka's message", () => {
    const w = world(3);
    const p = producer(w, { "max.block.ms": 2000 });
    let id = "";
    w.at(1 * S, () => {
      id = p.send({ topic: "missing", value: "x" });
    });
    w.runUntil(4 * S);
    expect(p.outcome(id)).toMatchObject({
      status: "failed",
      error: "TimeoutException: Topic missing not present in metadata after 2000 ms.",
    });
  });

  it("refuses a record larger than max.request.size at once", () => {
    const w = world(3);
    const p = producer(w, { "max.request.size": 1000 });
    let id = "";
    w.at(1 * S, () => {
      id = p.send({ topic: "t", valueBytes: 5000 });
    });
    w.runUntil(2 * S);
    expect(p.outcome(id)?.status).toBe("failed");
    expect(p.outcome(id)?.error).toContain("RecordTooLargeException");
  });

  it("a batch whose leader stays unreachable ends at delivery.timeout.ms as unknown", () => {
    // A first record at 1 s brings the metadata in. The leader's link to the producer is then cut
    // for good: every attempt times out (it may have been appended), so the outcome is unknown
    // at the latest 3 s + 10 s, the batch's delivery deadline (the last request timer is cut
    // short to end there).
    const w = world(4);
    const p = producer(w, {
      "request.timeout.ms": 2000,
      "delivery.timeout.ms": 10000,
      "enable.idempotence": false,
    });
    let id = "";
    w.at(1 * S, () => p.send({ topic: "t", value: "warm-up" }));
    w.at(3 * S, () => {
      w.network.cut("1", "producer-1");
      id = p.send({ topic: "t", value: "lost" });
    });
    w.runUntil(20 * S);
    const o = p.outcome(id)!;
    expect(o.status).toBe("unknown");
    // The callback's exception is the expiry's, not the last broker timeout (Sender.failBatch).
    expect(o.error).toBe("TimeoutException: delivery.timeout.ms expired");
    expect(o.atUs).toBeLessThanOrEqual(13 * S);
    expect(o.atUs).toBeGreaterThan(11 * S);
    const history = w.history();
    expect(history.outcomes.find((h) => h.sendId === o.sendId)?.outcome).toBe("unknown");
  });

  it("gives the same trace hash for the same seed, twice", () => {
    const a = runS9(true).w.engine.trace.hash();
    const b = runS9(true).w.engine.trace.hash();
    expect(a).toBe(b);
  });
});

describe("clients: producer: its own crash", () => {
  it("a restarted producer process gets a new producer id and carries on; nothing is doubled", () => {
    const w = world(6);
    const p = new KafkaProducer(w.engine, w.network, {
      clientId: "producer-1",
      version: "4.1",
      bootstrap: [1, 2, 3],
      history: w.recorder,
      trackRecords: false,
      workload: { topic: "t", ratePerSec: 500, valueBytes: 100, startAtUs: 1 * S, stopAtUs: 6 * S },
    });
    p.boot();
    const ids: number[] = [];
    w.at(2 * S, () => {
      ids.push(p.producerIdAndEpoch().producerId);
      p.host.crash("process");
    });
    w.at(3 * S, () => p.host.restart());
    w.at(5 * S, () => ids.push(p.producerIdAndEpoch().producerId));
    w.runUntil(10 * S);
    // Each life asks InitProducerId afresh; the broker's block hands out a new id.
    expect(ids[0]).toBeGreaterThanOrEqual(0);
    expect(ids[1]).not.toBe(ids[0]);
    const stats = p.stats();
    // 500 a second from 1 s to 2 s and from 3 s (restart) to 6 s: about 2000 records; those of the
    // dead second were never made.
    expect(stats.records).toBeGreaterThan(1500);
    expect(stats.acked).toBeGreaterThan(0);
    const history = w.history();
    const origins = new Set<string>();
    for (const b of w.cluster.brokers.get(1)!.logBatches("t", 0)) {
      expect(origins.has(b.origin!)).toBe(false);
      origins.add(b.origin!);
    }
    expect(history.sends.length).toBeGreaterThan(0);
  });
});
