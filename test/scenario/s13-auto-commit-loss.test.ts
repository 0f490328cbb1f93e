// scenario S13 (reference §10): auto commit loses records when processing is asynchronous. The
// application hands each poll's records to a worker queue and polls again at once
// (app.mode "async"); the worker processes 4 ms a record, reporting every 100 records. Auto commit
// runs inside poll() and commits the positions after the records poll() has *returned*, not after
// those the worker has processed. Timeline (hand-derived; c1 starts at 0.3 s, the group forms at
// ≈0.8 s): ≈0.8 s polls return 0..1499 back to back (max.poll.records=500; the fetch boundaries
// split one of them); the worker starts on them, 0.4 s per chunk of 100 · 5.3 s (5 s after c1
// started): a poll auto-commits 1500 · 6 s: the process crashes; 12 chunks are done (0.8 + 12 ×
// 0.4 = 5.6 s), the 13th would end just after 6.0 s, so the worker processed 0..1199, as in the
// reference. c2 takes p0 once c1's session has expired and starts at the committed 1500:
// 1200..1499 are never processed (at-most-once); no-skipped-records says so, no-reprocessing holds.
// Differs from the reference in setup only: offsets start at 0, not at a committed 1000.
import { describe, expect, it } from "vitest";
import { checkNoReprocessing, checkNoSkippedRecords } from "../../sim/check/checkers/index.ts";
import { KafkaConsumer } from "../../sim/client/consumer/kafka-consumer.ts";
import { ClusterWorld } from "../support/cluster-world.ts";

const S = 1_000_000;

describe("scenario S13: auto commit with asynchronous processing loses records", () => {
  const w = new ClusterWorld({
    seed: 7,
    brokers: 3,
    controllers: { kind: "dedicated", count: 3 },
    topics: [{ name: "t", partitions: 1, replicationFactor: 3 }],
    // The group forms at once (no initial delay), well before the first auto-commit deadline.
    config: { "group.initial.rebalance.delay.ms": 0 },
    recordTrace: true,
  });
  // 1500 records of 1 KiB in batches of 20, written in the first 0.15 s.
  w.addProducer({
    clientId: "producer-1",
    topic: "t",
    bytesPerSec: 10_000 * 1024,
    recordBytes: 1024,
    batchBytes: 20 * 1024,
    stopAtUs: 149_950,
  });
  const make = (id: string, mode: "async" | "sync") => {
    const c = new KafkaConsumer(w.engine, w.network, {
      clientId: id,
      version: "4.1",
      bootstrap: [1, 2, 3],
      config: {
        "group.id": "g",
        "auto.offset.reset": "earliest",
        "enable.auto.commit": true,
        "auto.commit.interval.ms": 5000,
        "max.poll.records": 500,
      },
      app: { mode, processingUsPerRecord: 4000, workerChunkRecords: 100 },
      history: w.recorder,
    });
    c.subscribe(["t"]);
    return c;
  };
  const c1 = make("c1", "async");
  const c2 = make("c2", "sync");
  w.at(300_000, () => c1.boot());
  w.at(6 * S, () => c1.host.crash("process"));
  w.at(20 * S, () => c2.boot());
  w.runUntil(80 * S);
  const trace = w.trace;
  const history = w.history();

  it("the poll thread runs ahead of the worker, and the auto commit covers what it returned", () => {
    const delivered = trace.filter((e) => e.type === "consumer.poll" && e.node === "c1");
    expect(delivered.map((e) => e.slices).join(",")).toBe(
      "t-0@0+500,t-0@500+500,t-0@1000+20,t-0@1020+480",
    );
    expect(delivered[3]!.t).toBeLessThan(1 * S);
    const commits = trace.filter((e) => e.type === "consumer.commit" && e.node === "c1");
    expect(commits.map((e) => [e.kind, e.offsets, e.error])).toEqual([
      ["auto", "t-0=1500", "NONE"],
    ]);
    expect(commits[0]!.t).toBeGreaterThan(5 * S);
    expect(commits[0]!.t).toBeLessThan(6 * S);
  });

  it("c1's worker had processed 0..1199 when it crashed; c2 starts at the committed 1500", () => {
    const processed = history.polls.filter((p) => p.consumer === "c1");
    expect(processed[0]!.offset).toBe(0);
    const end = Math.max(...processed.map((p) => p.offset + p.count));
    expect(end).toBe(1200);
    const position = trace.find((e) => e.type === "consumer.position" && e.node === "c2");
    expect(position).toMatchObject({ offset: 1500, from: "committed" });
    expect(history.polls.filter((p) => p.consumer === "c2")).toEqual([]);
  });

  it("1200..1499 are never processed: no-skipped-records fails, no-reprocessing holds", () => {
    const skipped = checkNoSkippedRecords(history);
    expect(skipped.holds).toBe(false);
    // One skip per producer batch of 20: 15 batches = 300 records, the first at 1200.
    expect(skipped.detail).toMatch(/^15 skips: offsets 1200-1219 \(20 records\) of t-0, /);
    expect(skipped.detail).toContain("c1 committed offset 1500 past them at 5.303 s");
    expect(checkNoReprocessing(history).holds).toBe(true);
  });
});
