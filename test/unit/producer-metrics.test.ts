// producer: Kafka's producer-metrics (record-send-rate and the rest) from ProducerMetrics alone,
// and from a KafkaProducer against a one-broker cluster, with hand-computed values.
import { describe, expect, it } from "vitest";
import { KafkaProducer } from "../../sim/client/producer/kafka-producer.ts";
import { ProducerMetrics } from "../../sim/client/producer/metrics.ts";
import { ClusterWorld } from "../support/cluster-world.ts";

const S = 1_000_000;

describe("producer metrics: ProducerMetrics", () => {
  it("rates per second of the process life, averages per batch, request and response", () => {
    const m = new ProducerMetrics(2 * S);
    // Two requests: one with batches of 10 and 30 records (1000 and 3000 bytes), one with a
    // batch of 20 records (2000 bytes).
    m.request([
      { records: 10, bytes: 1000 },
      { records: 30, bytes: 3000 },
    ]);
    m.request([{ records: 20, bytes: 2000 }]);
    m.response(1500); // 1.5 ms
    m.response(4500); // 4.5 ms
    m.retry(20);
    m.error(5);
    // At 6 s the process has lived 4 s.
    expect(m.snapshot(6 * S, 1234)).toEqual({
      "record-send-rate": 60 / 4, // 60 records sent in 4 s
      "record-send-total": 60,
      "request-latency-avg": 3, // (1.5 + 4.5) / 2 ms
      "request-latency-max": 4.5,
      "record-error-rate": 5 / 4,
      "record-retry-rate": 20 / 4,
      "batch-size-avg": 2000, // (1000 + 3000 + 2000) / 3 batches
      "records-per-request-avg": 30, // 60 records / 2 requests
      "produce-throttle-time-avg": 0,
      "buffer-available-bytes": 1234,
    });
  });

  it("nothing yet: zeros, not NaN; begin() moves the start of the rates", () => {
    const m = new ProducerMetrics(0);
    const empty = m.snapshot(0, 100);
    expect(empty["record-send-rate"]).toBe(0);
    expect(empty["request-latency-avg"]).toBe(0);
    expect(empty["batch-size-avg"]).toBe(0);
    m.begin(1 * S);
    m.request([{ records: 8, bytes: 800 }]);
    // 8 records in the 2 s since the process began at 1 s (not the 3 s since 0).
    expect(m.snapshot(3 * S, 100)["record-send-rate"]).toBe(4);
  });
});

describe("producer metrics: KafkaProducer.metrics() against one broker", () => {
  it("three lone records, one refused: counts, batch size, buffer and rates", () => {
    const w = new ClusterWorld({
      seed: 1,
      brokers: 1,
      controllers: { kind: "combined" },
      topics: [{ name: "t", partitions: 1, replicationFactor: 1 }],
    });
    const p = new KafkaProducer(w.engine, w.network, {
      clientId: "producer-1",
      version: "4.1",
      config: { acks: "all", "linger.ms": 0 },
      bootstrap: [1],
    });
    p.boot();
    for (const atS of [1, 2, 3]) w.at(atS * S, () => p.send({ topic: "t", valueBytes: 100 }));
    // Larger than max.request.size (1 MiB): refused by send() itself.
    w.at(3 * S, () => p.send({ topic: "t", valueBytes: 2 * 1024 * 1024 }));
    w.runUntil(4 * S);
    const m = p.metrics();
    // Each record goes alone (linger.ms=0, a second apart): 3 requests of one batch of one record.
    expect(m["record-send-total"]).toBe(3);
    expect(m["records-per-request-avg"]).toBe(1);
    // Record: attributes 1 + timestamp delta 1 + offset delta 1 + key length varint(-1) 1 + value
    // length varint(100) 2 (zigzag 200 > 127) + 100 + header count 1 = 107 bytes of body, plus
    // varint(107) 2 = 109; the batch adds its 61-byte header: 170.
    expect(m["batch-size-avg"]).toBe(170);
    // Rates over the 4 s since the process started at 0.
    expect(m["record-send-rate"]).toBe(3 / 4);
    expect(m["record-error-rate"]).toBe(1 / 4);
    expect(m["record-retry-rate"]).toBe(0);
    expect(m["produce-throttle-time-avg"]).toBe(0);
    // Everything acknowledged: buffer.memory (32 MiB) is all free again.
    expect(m["buffer-available-bytes"]).toBe(32 * 1024 * 1024);
    // A round trip of two 100 µs (±20 µs) hops and the broker's append: under a few ms.
    expect(m["request-latency-avg"]).toBeGreaterThan(0.16);
    expect(m["request-latency-avg"]).toBeLessThan(5);
    expect(m["request-latency-max"]).toBeGreaterThanOrEqual(m["request-latency-avg"]);
    expect(p.stats().acked).toBe(3);
  });

  it("a retried batch is counted again in record-send and once in record-retry", () => {
    const w = new ClusterWorld({
      seed: 2,
      brokers: 1,
      controllers: { kind: "combined" },
      topics: [{ name: "t", partitions: 1, replicationFactor: 1 }],
    });
    const p = new KafkaProducer(w.engine, w.network, {
      clientId: "producer-1",
      version: "4.1",
      config: { acks: "all", "linger.ms": 0, "request.timeout.ms": 2000 },
      bootstrap: [1],
    });
    p.boot();
    // A first record at 0.5 s fetches the metadata. The answer to the record sent at 1 s is lost
    // (the link back is cut until 2 s): the request times out at 3 s and the batch goes again,
    // and is acknowledged.
    w.at(S / 2, () => p.send({ topic: "t", valueBytes: 100 }));
    w.at(1 * S, () => {
      w.network.cut("1", "producer-1");
      p.send({ topic: "t", valueBytes: 100 });
    });
    w.at(2 * S, () => w.network.heal("all"));
    w.runUntil(5 * S);
    const m = p.metrics();
    expect(p.stats().retries).toBe(1);
    // The first record, then the second one's first attempt and its retry.
    expect(m["record-send-total"]).toBe(3);
    expect(m["record-send-rate"]).toBe(3 / 5);
    expect(m["record-retry-rate"]).toBe(1 / 5);
    expect(m["record-error-rate"]).toBe(0);
    // Two answers (the first record's and the retry's), each a sub-millisecond round trip: the
    // 2 s timeout is not a latency sample.
    expect(m["request-latency-max"]).toBeLessThan(5);
    expect(p.stats().acked).toBe(2);
  });
});
