// consumer: groups through the real cluster and its group coordinator. S15 (eager): when a third
// member joins, every member revokes everything before the new generation and range deals two
// partitions each, positions continuing from the offsets committed before the rebalance; S15
// (cooperative-sticky): two rounds, only the moved partitions are revoked. S19: a committed
// offset that retention deleted is out of range, and auto.offset.reset=earliest applies. S21:
// a static member (group.instance.id) that comes back within session.timeout.ms keeps its
// partitions without a rebalance; killed for good, its partitions move after the session expires.
import { describe, expect, it } from "vitest";
import { KafkaConsumer } from "../../sim/client/consumer/kafka-consumer.ts";
import type { TraceEvent } from "../../sim/engine/trace.ts";
import { ClusterWorld } from "../support/cluster-world.ts";

const S = 1_000_000;

function world(partitions: number, stopAtS: number) {
  const w = new ClusterWorld({
    seed: 5,
    brokers: 3,
    controllers: { kind: "dedicated", count: 3 },
    topics: [{ name: "t", partitions, replicationFactor: 3 }],
    recordTrace: true,
  });
  w.addProducer({
    clientId: "producer-1",
    topic: "t",
    bytesPerSec: 100_000,
    recordBytes: 1024,
    batchBytes: 16 * 1024,
    stopAtUs: stopAtS * S,
  });
  const consumer = (id: string, config: Record<string, unknown> = {}) => {
    const c = new KafkaConsumer(w.engine, w.network, {
      clientId: id,
      version: "4.1",
      bootstrap: [1, 2, 3],
      config: { "group.id": "g", "auto.offset.reset": "earliest", ...config },
      app: { processingUsPerRecord: 1000 },
      history: w.recorder,
    });
    c.subscribe(["t"]);
    return c;
  };
  return { w, consumer };
}

const of = (trace: readonly TraceEvent[], type: string) => trace.filter((e) => e.type === type);

describe("consumer: group: eager rebalance when a third member joins (S15)", () => {
  it("everyone revokes everything, then range gives each member two partitions", () => {
    const { w, consumer } = world(6, 40);
    const range = {
      "partition.assignment.strategy": "org.apache.kafka.clients.consumer.RangeAssignor",
    };
    const cs = [consumer("c1", range), consumer("c2", range), consumer("c3", range)];
    cs[0]!.boot();
    cs[1]!.boot();
    w.at(20 * S, () => cs[2]!.boot());
    w.runUntil(40 * S);
    const first = of(w.trace, "consumer.assigned").filter((e) => e.generation === 1);
    expect(first.map((e) => [e.node, e.assignment]).sort()).toEqual([
      ["c1", "t-0,t-1,t-2"],
      ["c2", "t-3,t-4,t-5"],
    ]);
    const revoked = of(w.trace, "consumer.revoked").filter((e) => e.t > 20 * S);
    expect(revoked.map((e) => [e.node, e.partitions]).sort()).toEqual([
      ["c1", "t-0,t-1,t-2"],
      ["c2", "t-3,t-4,t-5"],
    ]);
    expect(cs.map((c) => c.snapshot().assignment.join(","))).toEqual([
      "t-0,t-1",
      "t-2,t-3",
      "t-4,t-5",
    ]);
    // No record is delivered twice or skipped: each partition's slices are contiguous across the
    // rebalance (the auto commit before the JoinGroup carried the positions over).
    const polls = w.history().polls;
    for (let p = 0; p < 6; p++) {
      let next = 0;
      for (const poll of polls.filter((x) => x.partition === p)) {
        expect(poll.offset).toBe(next);
        next = poll.offset + poll.count;
      }
      expect(next).toBeGreaterThan(0);
    }
  });
});

describe("consumer: group: cooperative rebalance when a third member joins (S15)", () => {
  it("two rounds: owners give up only the moved partitions, which the newcomer gets next", () => {
    const { w, consumer } = world(6, 40);
    const coop = {
      "partition.assignment.strategy":
        "org.apache.kafka.clients.consumer.CooperativeStickyAssignor",
    };
    const cs = [consumer("c1", coop), consumer("c2", coop), consumer("c3", coop)];
    cs[0]!.boot();
    cs[1]!.boot();
    w.at(20 * S, () => cs[2]!.boot());
    w.runUntil(40 * S);
    const revoked = of(w.trace, "consumer.revoked");
    // One partition each, 3 → 2; nobody revoked anything else.
    expect(revoked.map((e) => e.node).sort()).toEqual(["c1", "c2"]);
    for (const e of revoked) expect(String(e.partitions).split(",")).toHaveLength(1);
    const c3 = of(w.trace, "consumer.assigned").filter((e) => e.node === "c3");
    // Round 1 (generation 2) gives c3 nothing; round 2 (generation 3) the two revoked partitions.
    expect(c3.map((e) => [e.generation, e.assignment])).toEqual([
      [2, ""],
      [
        3,
        revoked
          .map((e) => e.partitions)
          .sort()
          .join(","),
      ],
    ]);
    // No partition is ever owned by two members at once (trace order).
    const owner = new Map<string, string>();
    for (const e of w.trace) {
      if (e.type === "consumer.revoked")
        for (const tp of String(e.partitions).split(",")) owner.delete(tp);
      if (e.type === "consumer.assigned" && e.added !== "")
        for (const tp of String(e.added).split(",")) {
          expect(owner.get(tp)).toBeUndefined();
          owner.set(tp, e.node);
        }
    }
    expect(cs.map((c) => c.snapshot().assignment.length)).toEqual([2, 2, 2]);
  });
});

describe("consumer: group: static membership (S21)", () => {
  it("a bounce within the session keeps the assignment; a death moves it after the session", () => {
    const { w, consumer } = world(4, 120);
    const c1 = consumer("c1", { "group.instance.id": "i1" });
    const c2 = consumer("c2", { "group.instance.id": "i2" });
    c1.boot();
    c2.boot();
    w.at(20 * S, () => c1.host.crash("process"));
    w.at(40 * S, () => c1.host.restart());
    w.at(60 * S, () => c1.host.crash("process"));
    w.runUntil(120 * S);
    const assigned = of(w.trace, "consumer.assigned");
    // Back at 40 s under a new member id, same partitions, same generation: no rebalance.
    const bounce = assigned.filter((e) => e.node === "c1" && e.t > 40 * S);
    expect(bounce.map((e) => [e.generation, e.assignment])).toEqual([[1, "t-0,t-1"]]);
    expect(bounce[0]!.memberId).not.toBe(assigned[0]!.memberId);
    expect(of(w.trace, "consumer.revoked").filter((e) => e.t < 60 * S)).toEqual([]);
    // Killed at 60 s: nothing for session.timeout.ms (45 s from its last heartbeat), then c2
    // takes everything.
    const moved = assigned.filter((e) => e.node === "c2" && e.generation === 2);
    expect(moved.map((e) => e.assignment)).toEqual(["t-0,t-1,t-2,t-3"]);
    expect(moved[0]!.t).toBeGreaterThan((60 - 3 + 45) * S);
    expect(of(w.trace, "consumer.leave")).toEqual([]);
  });
});

describe("consumer: group: a committed offset deleted by retention (S19)", () => {
  it("the group's committed offset is out of range; earliest moves it to the log start", () => {
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
    const make = (id: string) => {
      const c = new KafkaConsumer(w.engine, w.network, {
        clientId: id,
        version: "4.1",
        bootstrap: [1],
        config: { "group.id": "g", "auto.offset.reset": "earliest" },
        history: w.recorder,
      });
      c.subscribe(["t"]);
      return c;
    };
    const c1 = make("c1");
    c1.boot();
    // c1 reads for a while and closes, committing its position; c2 comes back at 130 s.
    w.at(10 * S, () => c1.close());
    const c2 = make("c2");
    w.at(130 * S, () => c2.boot());
    w.runUntil(145 * S);
    const closeCommit = of(w.trace, "consumer.commit").find(
      (e) => e.node === "c1" && e.kind === "close",
    );
    expect(closeCommit?.error).toBe("NONE");
    const committed = Number(String(closeCommit!.offsets).split("=")[1]);
    const position = of(w.trace, "consumer.position").find((e) => e.node === "c2");
    expect(position).toMatchObject({ offset: committed, from: "committed" });
    const outOfRange = of(w.trace, "consumer.fetch-error").find((e) => e.node === "c2");
    expect(outOfRange).toMatchObject({ error: "OFFSET_OUT_OF_RANGE", offset: committed });
    const reset = of(w.trace, "consumer.reset").find((e) => e.node === "c2");
    expect(reset).toMatchObject({ from: committed, why: "out-of-range:earliest" });
    expect(reset!.to as number).toBeGreaterThan(committed);
    // The new log start at the time of the reset: no later than today's, and c2 reads from it.
    const t0 = w.finalState().partitions.find((p) => p.topic === "t" && p.partition === 0);
    expect(reset!.to as number).toBeLessThanOrEqual(t0!.logStartOffset);
    const firstPoll = w.recorder.history(w.engine.now).polls.find((p) => p.consumer === "c2");
    expect(firstPoll?.offset).toBe(reset!.to);
  });
});

describe("consumer: auto commit waits for a stable generation", () => {
  it("no auto commit is attempted while a rebalance is under way (ConsumerCoordinator.poll)", () => {
    const { w } = world(6, 40);
    // Cooperative members keep polling their partitions during a rebalance. c1 processes 200 ms
    // a record, c2 and c3 are quick: when c3 joins, c2 polls through joins that wait for c1, past
    // its auto-commit deadline (auto.commit.interval.ms 5000). Kafka's poll returns before the
    // auto commit while the join is incomplete; the commit waits for a stable generation.
    const member = (id: string, processingUsPerRecord: number) => {
      const c = new KafkaConsumer(w.engine, w.network, {
        clientId: id,
        version: "4.1",
        bootstrap: [1, 2, 3],
        config: {
          "group.id": "g",
          "auto.offset.reset": "earliest",
          "partition.assignment.strategy":
            "org.apache.kafka.clients.consumer.CooperativeStickyAssignor",
        },
        app: { processingUsPerRecord },
        history: w.recorder,
      });
      c.subscribe(["t"]);
      return c;
    };
    const cs = [member("c1", 200_000), member("c2", 100), member("c3", 100)];
    cs[0]!.boot();
    cs[1]!.boot();
    w.at(20 * S, () => cs[2]!.boot());
    w.runUntil(40 * S);
    const auto = of(w.trace, "consumer.commit").filter((e) => e.kind === "auto");
    expect(auto.length).toBeGreaterThanOrEqual(3);
    // Every auto commit went to the coordinator in a stable generation: none failed client-side.
    expect(auto.filter((e) => typeof e.exception === "string")).toEqual([]);
    // ...while c2 did poll records during the rebalance (c1's 500-record poll outlasts the run).
    const rejoin = of(w.trace, "consumer.rejoin-requested").find((e) => e.node === "c2")!;
    expect(rejoin.t).toBeGreaterThan(20 * S);
    expect(w.history().polls.some((p) => p.consumer === "c2" && p.atUs > rejoin.t + 5 * S)).toBe(
      true,
    );
  });
});
