// consumer: group client against a scripted fake coordinator (test/support/fake-group-broker.ts):
// auto commit inside poll every auto.commit.interval.ms commits what earlier polls returned
// (S12's duplicates after a crash), eager rebalances revoke everything while cooperative ones
// revoke only what moves (S15), max.poll.interval.ms sends LeaveGroup and the late commitSync
// fails (S14), and a static member sends no LeaveGroup on close (S21).
import { describe, expect, it } from "vitest";
import { HistoryRecorder } from "../../sim/check/history.ts";
import {
  KafkaConsumer,
  type KafkaConsumerOptions,
} from "../../sim/client/consumer/kafka-consumer.ts";
import { Engine } from "../../sim/engine/engine.ts";
import type { TraceEvent } from "../../sim/engine/trace.ts";
import { Network } from "../../sim/infra/network.ts";
import { FakeGroupBroker, type FakeTopic } from "../support/fake-group-broker.ts";

const S = 1_000_000;

function world(topic: FakeTopic) {
  const engine = new Engine({ seed: 1 });
  const trace = engine.trace.record();
  const network = new Network(engine, { defaultLatencyUs: 100, jitterUs: 0 });
  const broker = new FakeGroupBroker(engine, network, [topic]);
  broker.host.boot();
  const recorder = new HistoryRecorder();
  const consumer = (
    clientId: string,
    config: Record<string, unknown>,
    app: KafkaConsumerOptions["app"] = {},
    startAtUs = 0,
  ) => {
    const c = new KafkaConsumer(engine, network, {
      clientId,
      version: "4.1",
      bootstrap: [1],
      config: { "group.id": "g", ...config },
      app,
      history: recorder,
      startAtUs,
    });
    c.subscribe([topic.name]);
    return c;
  };
  return { engine, trace, network, broker, recorder, consumer };
}

const of = (trace: readonly TraceEvent[], type: string, node?: string) =>
  trace.filter((e) => e.type === type && (node === undefined || e.node === node));

describe("consumer: auto commit (S12)", () => {
  it("commits the positions returned by earlier polls, so a crash replays up to an interval", () => {
    const w = world({
      name: "t",
      partitions: 1,
      records: 5000,
      batchRecords: 100,
      recordBytes: 100,
    });
    // 500 records a poll, 8 ms each: a batch takes 4 s. Polls start at about 0, 4, 8, 12, 16 s.
    // auto.commit.interval.ms=5000: the first poll after 5 s (at ~8 s) commits 1000 (the end of
    // the two batches returned before it) and re-arms for ~13 s; the poll at ~12 s is too early,
    // the next would be at ~16 s, after the crash at 15.9 s, which cuts the batch 1500..1999.
    const c1 = w.consumer(
      "c1",
      { "auto.offset.reset": "earliest", "session.timeout.ms": 10_000 },
      { processingUsPerRecord: 8_000 },
    );
    c1.boot();
    w.engine.runUntil(15_900_000);
    c1.host.crash("process");
    const c2 = w.consumer("c2", { "auto.offset.reset": "earliest", "session.timeout.ms": 10_000 });
    c2.boot();
    w.engine.runUntil(40 * S);
    const commits = of(w.trace, "consumer.commit", "c1").filter((e) => e.error === "NONE");
    expect(commits.map((e) => e.offsets)).toEqual(["t-0=1000"]);
    expect(commits[0]!.t).toBeGreaterThan(8 * S);
    expect(commits[0]!.t).toBeLessThan(8.1 * S);
    const h = w.recorder.history(w.engine.now);
    const c1Polls = h.polls.filter((p) => p.consumer === "c1");
    // c1 finished 0..1499 (three batches); 1500..1999 was cut by the crash (not processed).
    expect(c1Polls.map((p) => [p.offset, p.count])).toEqual([
      [0, 500],
      [500, 500],
      [1000, 500],
    ]);
    // c2 gets the partition once c1's session expires and starts at the committed 1000:
    // 1000..1499 are processed twice (at-least-once).
    const c2First = h.polls.find((p) => p.consumer === "c2");
    expect(c2First?.offset).toBe(1000);
    // The session runs from c1's last heartbeat (at most heartbeat.interval.ms = 3 s before the
    // crash), so c2 starts no earlier than 15.9 + 10 − 3 s.
    expect(c2First!.atUs).toBeGreaterThan(22_900_000);
  });

  it("an async worker lets the commit cover records not processed yet (S13)", () => {
    const w = world({
      name: "t",
      partitions: 1,
      records: 100_000,
      batchRecords: 100,
      recordBytes: 100,
    });
    // The poll thread hands each batch to a worker (1 ms a record) and polls again at once; it
    // stops polling while more than 1000 records wait. The commit at ~5 s covers everything
    // returned, about 1000 records ahead of the worker.
    const c1 = w.consumer(
      "c1",
      { "auto.offset.reset": "earliest" },
      { processingUsPerRecord: 1_000, mode: "async", maxQueuedRecords: 1000 },
    );
    c1.boot();
    w.engine.runUntil(5_500_000);
    c1.host.crash("process");
    const h = w.recorder.history(w.engine.now);
    const committed = w.broker.committedOffset("t", 0);
    let processedEnd = 0;
    for (const p of h.polls) processedEnd = Math.max(processedEnd, p.offset + p.count);
    // The worker processed about 5.5 s ÷ 1 ms ≈ 5400 records; the commit went past that.
    expect(committed).toBeGreaterThan(processedEnd - 1000);
    expect(processedEnd).toBeLessThan(5600);
    const commitEvent = of(w.trace, "consumer.commit", "c1").find((e) => e.error === "NONE");
    const processedAtCommit = h.polls
      .filter((p) => p.atUs <= commitEvent!.t)
      .reduce((end, p) => Math.max(end, p.offset + p.count), 0);
    const commitOffset = Number(String(commitEvent!.offsets).split("=")[1]);
    expect(commitOffset).toBeGreaterThan(processedAtCommit);
  });
});

describe("consumer: eager vs cooperative when a third member joins (S15)", () => {
  function run(strategy: string) {
    const w = world({
      name: "t",
      partitions: 6,
      records: 1_000_000,
      batchRecords: 100,
      recordBytes: 100,
    });
    const config = {
      "partition.assignment.strategy": strategy,
      "auto.offset.reset": "earliest",
    };
    const app = { processingUsPerRecord: 100 };
    const cs = [w.consumer("c1", config, app), w.consumer("c2", config, app)];
    for (const c of cs) c.boot();
    w.engine.runUntil(10 * S);
    const c3 = w.consumer("c3", config, app);
    c3.boot();
    w.engine.runUntil(30 * S);
    return { w, cs: [...cs, c3] };
  }

  it("eager (range): everyone revokes everything, then range deals 2 partitions each", () => {
    const { w, cs } = run("org.apache.kafka.clients.consumer.RangeAssignor");
    const before = of(w.trace, "consumer.assigned").filter((e) => e.t < 10 * S);
    expect(before.map((e) => [e.node, e.assignment])).toEqual([
      ["c1", "t-0,t-1,t-2"],
      ["c2", "t-3,t-4,t-5"],
    ]);
    const revoked = of(w.trace, "consumer.revoked").filter((e) => e.t > 10 * S);
    expect(revoked.map((e) => [e.node, e.partitions]).sort()).toEqual([
      ["c1", "t-0,t-1,t-2"],
      ["c2", "t-3,t-4,t-5"],
    ]);
    expect(cs.map((c) => c.snapshot().assignment.join(","))).toEqual([
      "t-0,t-1",
      "t-2,t-3",
      "t-4,t-5",
    ]);
  });

  it("cooperative-sticky: only moved partitions are revoked, and a second rebalance hands them on", () => {
    const { w, cs } = run("org.apache.kafka.clients.consumer.CooperativeStickyAssignor");
    const revoked = of(w.trace, "consumer.revoked").filter((e) => e.t > 10 * S);
    // One partition each from c1 and c2 (3 → 2), nothing else pauses.
    expect(revoked.map((e) => e.node).sort()).toEqual(["c1", "c2"]);
    for (const e of revoked) expect(String(e.partitions).split(",")).toHaveLength(1);
    const moved = revoked.map((e) => e.partitions).sort();
    expect(cs[2]!.snapshot().assignment).toEqual(moved);
    // c1 alone made generation 1 and c1 with c2 generation 2. Two rebalances follow c3's
    // join: generation 3 (c3 gets nothing, c1 and c2 give one partition each up) and 4 (the
    // hand-over).
    const c3Assigned = of(w.trace, "consumer.assigned", "c3");
    expect(c3Assigned.map((e) => [e.generation, e.assignment])).toEqual([
      [3, ""],
      [4, moved.join(",")],
    ]);
    // The partitions c1 kept were never revoked: its assignment only shrank.
    const c1Kept = cs[0]!.snapshot().assignment;
    expect(c1Kept).toHaveLength(2);
    // KIP-429's safety: replaying assignments and revocations in trace order, no partition is
    // ever owned by two members at once.
    const owner = new Map<string, string>();
    for (const e of w.trace) {
      if (e.type === "consumer.revoked") {
        for (const tp of String(e.partitions).split(",")) owner.delete(tp);
      } else if (e.type === "consumer.assigned" && e.added !== "") {
        for (const tp of String(e.added).split(",")) {
          expect(owner.get(tp), `${tp} given to ${e.node} at ${e.t}`).toBeUndefined();
          owner.set(tp, e.node);
        }
      }
    }
    expect(owner.size).toBe(6);
  });
});

describe("consumer: max.poll.interval.ms (S14)", () => {
  it("a dynamic member that processes too long leaves the group; its commitSync then fails", () => {
    const w = world({
      name: "t",
      partitions: 2,
      records: 1_000_000,
      batchRecords: 100,
      recordBytes: 100,
    });
    // 500 records × 30 ms = 15 s of processing per batch, max.poll.interval.ms=10000.
    const slow = w.consumer(
      "c1",
      {
        "auto.offset.reset": "earliest",
        "enable.auto.commit": false,
        "max.poll.interval.ms": 10_000,
      },
      { processingUsPerRecord: 30_000, commit: "sync" },
    );
    slow.boot();
    w.engine.runUntil(20 * S);
    const timeout = of(w.trace, "consumer.poll-timeout", "c1");
    expect(timeout).toHaveLength(1);
    expect(timeout[0]!.leaveGroup).toBe(true);
    expect(of(w.trace, "consumer.leave", "c1")).toHaveLength(1);
    expect(slow.exceptions().map((e) => e.exception)).toContain("CommitFailedException");
    // The next poll rejoins: a new generation.
    const assigned = of(w.trace, "consumer.assigned", "c1");
    expect(assigned.length).toBeGreaterThanOrEqual(2);
  });

  it("a static member sends no LeaveGroup, on poll timeout or on close", () => {
    const w = world({
      name: "t",
      partitions: 2,
      records: 1000,
      batchRecords: 100,
      recordBytes: 100,
    });
    const c = w.consumer("c1", { "auto.offset.reset": "earliest", "group.instance.id": "i1" });
    c.boot();
    w.engine.runUntil(2 * S);
    c.close();
    w.engine.runUntil(3 * S);
    expect(w.broker.received).not.toContain("LeaveGroupRequest");
    expect(c.snapshot().state).toBe("closed");
    const d = world({
      name: "t",
      partitions: 2,
      records: 1000,
      batchRecords: 100,
      recordBytes: 100,
    });
    const dyn = d.consumer("c1", { "auto.offset.reset": "earliest" });
    dyn.boot();
    d.engine.runUntil(2 * S);
    dyn.close();
    d.engine.runUntil(3 * S);
    expect(d.broker.received).toContain("LeaveGroupRequest");
    // close() committed the positions (auto commit on): all 2 × 1000 records were returned.
    expect(d.broker.committedOffset("t", 0) + d.broker.committedOffset("t", 1)).toBe(2000);
  });
});
