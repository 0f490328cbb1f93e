// consumer: assign() without a group, through the real cluster: a consumer reads back exactly what
// a producer wrote; auto.offset.reset decides where a position below the log start goes after
// retention (S19: earliest → the new log start, latest → the end, none → OffsetOutOfRangeException);
// after an unclean election (S7) a KIP-320 consumer (2.1+) validates its position and moves back
// to the divergence point, while a pre-2.1 consumer gets OFFSET_OUT_OF_RANGE and auto.offset.reset.
import { describe, expect, it } from "vitest";
import { KafkaConsumer } from "../../sim/client/consumer/kafka-consumer.ts";
import type { TraceEvent } from "../../sim/engine/trace.ts";
import type { KafkaVersion } from "../../sim/kafka/version.ts";
import { ClusterWorld } from "../support/cluster-world.ts";

const S = 1_000_000;

function consumerOn(
  w: ClusterWorld,
  version: KafkaVersion,
  config: Record<string, unknown>,
  startAtUs = 0,
): KafkaConsumer {
  const c = new KafkaConsumer(w.engine, w.network, {
    clientId: "consumer-1",
    version,
    bootstrap: [...w.cluster.brokers.keys()],
    config,
    history: w.recorder,
    startAtUs,
  });
  c.assign([{ topic: "t", partition: 0 }]);
  return c;
}

describe("consumer: assign: reads back what was written", () => {
  it("delivers every acknowledged offset once, in order, from a seek to 0", () => {
    const w = new ClusterWorld({
      seed: 7,
      brokers: 3,
      controllers: { kind: "dedicated", count: 3 },
      topics: [{ name: "t", partitions: 1, replicationFactor: 3 }],
    });
    // 16 records of 1 KiB a batch at 100 kB/s: a batch every ~164 ms, about 60 batches in 10 s.
    w.addProducer({
      clientId: "producer-1",
      topic: "t",
      bytesPerSec: 100_000,
      recordBytes: 1024,
      batchBytes: 16 * 1024,
      stopAtUs: 10 * S,
    });
    const c = consumerOn(w, "4.1", { "max.poll.records": 50 }, 1 * S);
    c.seek({ topic: "t", partition: 0 }, 0);
    c.boot();
    w.runUntil(15 * S);
    const h = w.history();
    const acked = h.outcomes.filter((o) => o.outcome === "acked");
    const ackedRecords = acked.length * 16;
    expect(ackedRecords).toBeGreaterThan(500);
    const polls = h.polls.filter((p) => p.consumer === "consumer-1");
    // Contiguous slices from 0 to the end of what was written, none more than max.poll.records.
    let next = 0;
    for (const p of polls) {
      expect(p.offset).toBe(next);
      expect(p.count).toBeLessThanOrEqual(50);
      next = p.offset + p.count;
    }
    expect(next).toBe(ackedRecords);
    expect(c.position({ topic: "t", partition: 0 })).toBe(ackedRecords);
    expect(c.snapshot().metrics["records-consumed-total"]).toBe(ackedRecords);
  });
});

/** S19: a topic whose first segments retention deletes while the consumer is away. */
function retentionWorld(policy: string) {
  const w = new ClusterWorld({
    seed: 3,
    brokers: 1,
    controllers: { kind: "combined" },
    topics: [
      {
        name: "t",
        partitions: 1,
        replicationFactor: 1,
        config: { "retention.ms": "60000", "segment.ms": "10000" },
      },
    ],
    config: { "log.retention.check.interval.ms": 5000 },
    recordTrace: true,
  });
  w.addProducer({
    clientId: "producer-1",
    topic: "t",
    bytesPerSec: 20_000,
    recordBytes: 1024,
    batchBytes: 4 * 1024,
    stopAtUs: 150 * S,
  });
  // The consumer comes back at 120 s with its old position 0 (a seek, as a committed offset would be).
  const c = consumerOn(w, "4.1", { "auto.offset.reset": policy }, 120 * S);
  c.seek({ topic: "t", partition: 0 }, 0);
  w.at(119 * S, () => c.boot());
  w.runUntil(125 * S);
  return { w, c };
}

describe("consumer: auto.offset.reset after retention (S19)", () => {
  it("earliest moves to the new log start offset; the deleted records are never seen", () => {
    const { w, c } = retentionWorld("earliest");
    const resets = w.trace.filter((e) => e.type === "consumer.reset" && e.why !== "seek");
    expect(resets).toHaveLength(1);
    const logStart = w.finalState().partitions.find((p) => p.topic === "t")!.logStartOffset;
    expect(logStart).toBeGreaterThan(0);
    expect(resets[0]).toMatchObject({ from: 0, why: "out-of-range:earliest" });
    // Retention only moves forward, so the reset target is at most today's log start.
    expect(resets[0]!.to as number).toBeGreaterThan(0);
    expect(resets[0]!.to as number).toBeLessThanOrEqual(logStart);
    const first = w.history().polls.find((p) => p.consumer === "consumer-1");
    expect(first?.offset).toBe(resets[0]!.to);
    expect(c.exceptions()).toEqual([]);
  });

  it("latest jumps to the high watermark", () => {
    const { w } = retentionWorld("latest");
    const reset = w.trace.find((e) => e.type === "consumer.reset" && e.why !== "seek");
    expect(reset).toMatchObject({ from: 0, why: "out-of-range:latest" });
    // At 120 s about 120 s × 20 kB/s ÷ 1 KiB ≈ 2340 records exist; latest lands near that, far
    // above the earliest surviving offset (≈ 60 s of data were deleted).
    expect(reset!.to as number).toBeGreaterThan(2000);
  });

  it("none throws OffsetOutOfRangeException and delivers nothing", () => {
    const { w, c } = retentionWorld("none");
    expect(c.exceptions().map((e) => e.exception)).toEqual(["OffsetOutOfRangeException"]);
    expect(w.history().polls.filter((p) => p.consumer === "consumer-1")).toEqual([]);
    expect(w.trace.filter((e) => e.type === "consumer.reset" && e.why !== "seek")).toEqual([]);
  });
});

/** S7: RF 2 on brokers 1 and 2, unclean election on; broker 2 falls behind and is elected alone. */
function uncleanWorld(version: KafkaVersion, policy: string) {
  const w = new ClusterWorld({
    seed: 11,
    version,
    brokers: 2,
    controllers: { kind: "dedicated", count: 3 },
    topics: [
      {
        name: "t",
        partitions: 1,
        replicationFactor: 2,
        assignment: [[1, 2]],
        config: { "unclean.leader.election.enable": "true", "min.insync.replicas": "1" },
      },
    ],
    recordTrace: true,
  });
  w.addProducer({
    clientId: "producer-1",
    topic: "t",
    bytesPerSec: 100_000,
    recordBytes: 1024,
    batchBytes: 16 * 1024,
    stopAtUs: 60 * S,
    config: { "request.timeout.ms": 5_000, "delivery.timeout.ms": 10_000 },
  });
  const c = consumerOn(w, version, { "auto.offset.reset": policy }, 1 * S);
  c.seek({ topic: "t", partition: 0 }, 0);
  c.boot();
  w.crashAt(5 * S, 2, "process");
  w.crashAt(20 * S, 1, "process");
  w.restartAt(25 * S, 2);
  w.runUntil(60 * S);
  return { w, c };
}

function lastEvent(trace: readonly TraceEvent[], type: string) {
  return trace.filter((e) => e.type === type).at(-1);
}

describe("consumer: truncation after an unclean election (S7)", () => {
  it("4.1 (KIP-320): validation finds the divergence and moves the position back to it", () => {
    const { w } = uncleanWorld("4.1", "latest");
    const validate = w.trace.find((e) => e.type === "consumer.validate");
    expect(validate?.outcome).toBe("truncated");
    const reset = w.trace.find((e) => e.type === "consumer.reset" && e.why === "truncation");
    expect(reset).toBeDefined();
    // Broker 2's log ended where it crashed at 5 s: the divergence point is its end of epoch 0,
    // below the consumer's position.
    expect(reset!.to as number).toBeLessThan(reset!.from as number);
    expect(reset!.to).toBe(validate!.endOffset);
    expect(
      w.trace.some((e) => e.type === "consumer.fetch-error" && e.error === "OFFSET_OUT_OF_RANGE"),
    ).toBe(false);
    expect(lastEvent(w.trace, "partition.leader")?.leader).toBe(2);
  });

  it("4.1 with none: LogTruncationException", () => {
    const { c } = uncleanWorld("4.1", "none");
    expect(c.exceptions().map((e) => e.exception)).toEqual(["LogTruncationException"]);
  });

  it("2.0 (before KIP-320): no validation; OFFSET_OUT_OF_RANGE, then auto.offset.reset=latest", () => {
    const { w } = uncleanWorld("2.0", "latest");
    expect(w.trace.some((e) => e.type === "consumer.validate")).toBe(false);
    const outOfRange = w.trace.find(
      (e) => e.type === "consumer.fetch-error" && e.error === "OFFSET_OUT_OF_RANGE",
    );
    expect(outOfRange).toBeDefined();
    const reset = w.trace.find((e) => e.type === "consumer.reset" && e.why !== "seek");
    expect(reset).toMatchObject({ from: outOfRange!.offset, why: "out-of-range:latest" });
    // latest skips whatever the new leader wrote before the reset: the records between broker
    // 2's end of epoch 0 and the reset target are never delivered to this consumer.
    const polls = w.history().polls.filter((p) => p.consumer === "consumer-1");
    const after = polls.filter((p) => p.atUs > reset!.t);
    expect(after[0]?.offset).toBe(reset!.to);
  });
});
