// client: synthetic producer: a fixed rate of fixed-size records in fixed-size batches,
// round-robin over the partitions, one request in flight per partition, retries until
// delivery.timeout.ms, and a history entry per batch with its final outcome.
import { describe, expect, it } from "vitest";
import { SyntheticProducer } from "../../sim/client/synthetic-producer.ts";
import { Engine } from "../../sim/engine/engine.ts";
import { Network } from "../../sim/infra/network.ts";
import { ClusterWorld } from "../support/cluster-world.ts";

const S = 1_000_000;

/** Partition p on [p+1, …] (striped from broker 1), so partition 0 is led by broker 1. */
function world(partitions: number, minIsr = "1"): ClusterWorld {
  return new ClusterWorld({
    seed: 5,
    brokers: 3,
    controllers: { kind: "dedicated", count: 3 },
    topics: [
      {
        name: "t",
        partitions,
        replicationFactor: 3,
        assignment: Array.from({ length: partitions }, (_, p) =>
          [0, 1, 2].map((i) => 1 + ((p + i) % 3)),
        ),
        config: { "min.insync.replicas": minIsr },
      },
    ],
    recordTrace: true,
  });
}

describe("client: synthetic producer: rate and batching", () => {
  it("makes 62 batches of 16 records in 1 s at 1 MB/s, round-robin over 3 partitions", () => {
    // 16 KiB batches of 1 KiB records: 16 records, 16,384 payload bytes a batch. At 10^6 B/s,
    // batch k is made at 0.1 s + k × 16,384 µs; those before 1.1 s are k = 0..61 (61 × 16,384 =
    // 999,424 µs; 62 × 16,384 = 1,015,808 µs is past the stop). Round-robin: 21, 21, 20.
    const w = world(3);
    const p = w.addProducer({
      clientId: "producer-1",
      topic: "t",
      bytesPerSec: 1_000_000,
      recordBytes: 1024,
      batchBytes: 16 * 1024,
      startAtUs: 100_000,
      stopAtUs: 1_100_000,
    });
    w.runUntil(3 * S);
    const h = w.history();
    expect(h.sends).toHaveLength(62);
    expect(h.sends.every((s) => s.count === 16 && s.client === "producer-1")).toBe(true);
    expect(h.sends[61]!.sentAtUs - h.sends[0]!.sentAtUs).toBeGreaterThanOrEqual(999_424);
    expect([0, 1, 2].map((q) => h.sends.filter((s) => s.partition === q).length)).toEqual([
      21, 21, 20,
    ]);
    expect(h.sends.map((s) => s.sendId).slice(0, 3)).toEqual([
      "producer-1:0",
      "producer-1:1",
      "producer-1:2",
    ]);
    // Every batch acknowledged once, at consecutive offsets of 16 per partition.
    expect(h.outcomes).toHaveLength(62);
    const offsets0 = h.outcomes
      .filter((o) => h.sends.find((s) => s.sendId === o.sendId)!.partition === 0)
      .map((o) => o.offset);
    expect(offsets0).toEqual(Array.from({ length: 21 }, (_, i) => i * 16));
    expect(p.stats()).toMatchObject({ batchesMade: 62, acked: 62, ackedRecords: 992, pending: 0 });
    // The batch carries its send id as origin into every replica's log.
    const leader = h.final!.partitions[0]!.leader!;
    const batches = w.cluster.brokers.get(leader)!.logBatches("t", 0);
    expect(batches.map((b) => b.origin)).toEqual(
      h.sends.filter((s) => s.partition === 0).map((s) => s.sendId),
    );
  });

  it("acks=0: an outcome at once, offset -1 and no broker", () => {
    const w = world(1);
    w.addProducer({
      clientId: "producer-1",
      topic: "t",
      bytesPerSec: 1_000_000,
      recordBytes: 1000,
      batchBytes: 10_000,
      stopAtUs: 100_000,
      config: { acks: 0 },
    });
    w.runUntil(1 * S);
    const h = w.history();
    // 10 records of 1000 bytes a batch: one every 10 ms, 10 before 100 ms.
    expect(h.outcomes).toHaveLength(10);
    for (const o of h.outcomes) {
      expect(o).toMatchObject({ outcome: "acked", offset: -1, acks: "0" });
      expect(o.by).toBeUndefined();
      expect(o.atUs).toBe(h.sends.find((s) => s.sendId === o.sendId)!.sentAtUs);
    }
  });

  it("refuses delivery.timeout.ms below request.timeout.ms, as Kafka's ConfigException", () => {
    const engine = new Engine({ seed: 1 });
    const network = new Network(engine, { defaultLatencyUs: 100, jitterUs: 0 });
    expect(
      () =>
        new SyntheticProducer(engine, network, {
          clientId: "p",
          topic: "t",
          bootstrap: [1],
          bytesPerSec: 1000,
          recordBytes: 100,
          batchBytes: 1000,
          config: { "request.timeout.ms": 30_000, "delivery.timeout.ms": 20_000 },
        }),
    ).toThrow(/delivery.timeout.ms/);
  });
});

describe("client: synthetic producer: retries", () => {
  it("moves to the new leader after the old one dies, and acknowledges everything", () => {
    // Partition 0 on [1,2,3], led by 1. Broker 1's process dies at 2 s: the producer's requests
    // are refused (disconnects) and retried with backoff until the controller fences 1 and
    // elects 2; then the metadata names 2 and the batches go there.
    const w = world(1);
    const p = w.addProducer({
      clientId: "producer-1",
      topic: "t",
      bytesPerSec: 500_000,
      recordBytes: 1024,
      batchBytes: 16 * 1024,
      stopAtUs: 15 * S,
    });
    const leader = 1;
    w.crashAt(2 * S, leader, "process");
    w.runUntil(25 * S);
    const errors = w.trace.filter((e) => e.type === "producer.error");
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((e) => e.outcome === "retry" && e.error === "NETWORK_EXCEPTION")).toBe(
      true,
    );
    const acksAfter = w.trace.filter((e) => e.type === "producer.ack" && e.t > 2 * S);
    expect(new Set(acksAfter.map((e) => e.broker))).not.toContain(leader);
    const stats = p.stats();
    expect(stats.acked).toBe(stats.batchesMade);
    expect(stats.pending).toBe(0);
  });

  it("gives up at delivery.timeout.ms: failed after NOT_ENOUGH_REPLICAS alone, unknown after a timeout", () => {
    // min.insync.replicas 2; brokers 2 and 3 lose power at 1 s. Until the controller fences them
    // (≈ 9-11 s), leader 1 keeps them in the ISR and holds acks=all requests, which time out
    // (REQUEST_TIMED_OUT after 3 s: maybe appended, so unknown). Once the ISR is {1}, every
    // attempt is refused before the append with NOT_ENOUGH_REPLICAS: failed, 5 s after making.
    const w = world(1, "2");
    const p = w.addProducer({
      clientId: "producer-1",
      topic: "t",
      bytesPerSec: 100_000,
      recordBytes: 1000,
      batchBytes: 10_000,
      stopAtUs: 20 * S,
      config: { "request.timeout.ms": 3_000, "delivery.timeout.ms": 5_000 },
    });
    const leader = 1;
    for (const id of [2, 3]) w.crashAt(1 * S, id, "power");
    w.runUntil(30 * S);
    const h = w.history();
    const failed = h.outcomes.filter((o) => o.outcome === "failed");
    const unknown = h.outcomes.filter((o) => o.outcome === "unknown");
    expect(failed.length).toBeGreaterThan(10);
    expect(failed.every((o) => o.error === "NOT_ENOUGH_REPLICAS")).toBe(true);
    expect(unknown.length).toBeGreaterThan(0);
    expect(unknown.every((o) => o.error === "REQUEST_TIMED_OUT")).toBe(true);
    // A failed batch is never in the log, and ended within 5 s of its first send (sooner when it
    // waited in the queue behind a batch being retried: its 5 s count from its making).
    const origins = new Set(
      w.cluster.brokers
        .get(leader)!
        .logBatches("t", 0)
        .map((b) => b.origin),
    );
    for (const o of failed) {
      expect(origins.has(o.sendId)).toBe(false);
      const sent = h.sends.find((s) => s.sendId === o.sendId)!.sentAtUs;
      expect(o.atUs - sent).toBeLessThanOrEqual(5 * S);
    }
    expect(p.stats().failed).toBe(failed.length);
    expect(h.sends.length + p.stats().expiredUnsent).toBe(p.stats().batchesMade);
  });
});
