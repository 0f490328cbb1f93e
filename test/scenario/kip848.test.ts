// consumer: KIP-848 (group.protocol=consumer) through a real 4.1 cluster. S15's KIP-848 paragraph:
// with C1 and C2 stable on six partitions, C3 joins; the broker's uniform assignor moves one
// partition from each owner, and C3 receives each only after its owner acknowledged revoking it;
// the four partitions that do not move are consumed without a pause. A member that crashes is
// fenced after group.consumer.session.timeout.ms and its partitions go to the survivor. The
// coordinator's snapshot shows the group (state, assignor, epochs, members).
import { describe, expect, it } from "vitest";
import { KafkaConsumer } from "../../sim/client/consumer/kafka-consumer.ts";
import type { TraceEvent } from "../../sim/engine/trace.ts";
import type { ConsumerGroupSnapshot } from "../../sim/kafka/group/consumer-group.ts";
import { ClusterWorld } from "../support/cluster-world.ts";

const S = 1_000_000;

function world(partitions: number, stopAtS: number) {
  const w = new ClusterWorld({
    seed: 7,
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
      config: {
        "group.id": "g",
        "group.protocol": "consumer",
        "auto.offset.reset": "earliest",
        ...config,
      },
      app: { processingUsPerRecord: 1000 },
      history: w.recorder,
    });
    c.subscribe(["t"]);
    return c;
  };
  return { w, consumer };
}

const of = (trace: readonly TraceEvent[], type: string) => trace.filter((e) => e.type === type);

/** The KIP-848 group "g" as its coordinator (the leader of its offsets partition) sees it. */
function coordinatorView(w: ClusterWorld): ConsumerGroupSnapshot | undefined {
  for (const broker of w.cluster.brokers.values()) {
    const g = broker.groupCoordinator()?.consumerGroups.find((x) => x.groupId === "g");
    if (g !== undefined) return g;
  }
  return undefined;
}

/** The first time (µs) each consumer's trace shows it owning each partition, and losing it. */
function ownershipIntervals(trace: readonly TraceEvent[]) {
  const owner = new Map<string, string>();
  const overlaps: string[] = [];
  for (const e of trace) {
    if (e.type === "consumer.revoked")
      for (const tp of String(e.partitions).split(","))
        if (owner.get(tp) === e.node) owner.delete(tp);
    if (e.type === "consumer.assigned" && e.added !== "")
      for (const tp of String(e.added).split(",")) {
        const held = owner.get(tp);
        if (held !== undefined && held !== e.node) overlaps.push(`${tp}: ${held} and ${e.node}`);
        owner.set(tp, e.node);
      }
  }
  return overlaps;
}

describe("consumer: KIP-848: a third member joins (S15)", () => {
  it("partitions move only after their owner revoked them; the others never pause", () => {
    const { w, consumer } = world(6, 60);
    const cs = [consumer("c1"), consumer("c2"), consumer("c3")];
    cs[0]!.boot();
    cs[1]!.boot();
    w.at(20 * S, () => cs[2]!.boot());
    w.runUntil(60 * S);
    // Before the join, three partitions each.
    const before = of(w.trace, "consumer.assigned").filter((e) => e.t < 20 * S);
    const lastBefore = new Map(before.map((e) => [e.node, String(e.assignment)]));
    expect([...lastBefore.values()].map((a) => a.split(",").length)).toEqual([3, 3]);
    // After: the uniform assignor moved exactly one partition from each owner to c3.
    const revoked = of(w.trace, "consumer.revoked").filter((e) => e.t >= 20 * S);
    expect(revoked.map((e) => e.node).sort()).toEqual(["c1", "c2"]);
    for (const e of revoked) expect(String(e.partitions).split(",")).toHaveLength(1);
    const moved = revoked.map((e) => String(e.partitions)).sort();
    const c3 = of(w.trace, "consumer.assigned").filter((e) => e.node === "c3" && e.added !== "");
    expect(c3.flatMap((e) => String(e.added).split(",")).sort()).toEqual(moved);
    // Each moved partition reached c3 only after the coordinator saw its owner's acknowledgement.
    const acks = of(w.trace, "consumer-group.revoked").filter((e) => e.t >= 20 * S);
    for (const tp of moved) {
      const ack = acks.find((e) => String(e.partitions).split(",").includes(tp));
      const got = c3.find((e) => String(e.added).split(",").includes(tp));
      expect(ack).toBeDefined();
      expect(got!.t).toBeGreaterThan(ack!.t);
    }
    expect(ownershipIntervals(w.trace)).toEqual([]);
    expect(cs.map((c) => c.snapshot().assignment.length)).toEqual([2, 2, 2]);
    // No stop-the-world: the four partitions that stayed were polled by the same consumer in
    // every second from 18 s to 35 s, across the join.
    const polls = w.history().polls;
    const stayed = ["t-0", "t-1", "t-2", "t-3", "t-4", "t-5"].filter((tp) => !moved.includes(tp));
    expect(stayed).toHaveLength(4);
    for (const tp of stayed) {
      const p = Number(tp.slice(2));
      const owners = new Set<string>();
      for (let sec = 18; sec < 35; sec++) {
        const inSecond = polls.filter(
          (x) => x.partition === p && x.atUs >= sec * S && x.atUs < (sec + 1) * S,
        );
        expect(inSecond.length, `${tp} in second ${sec}`).toBeGreaterThan(0);
        for (const x of inSecond) owners.add(x.consumer);
      }
      expect(owners.size).toBe(1);
    }
    // No record skipped or delivered twice: each partition's polls are contiguous (the auto
    // commit before the revocation carried the moved positions over to c3).
    for (let p = 0; p < 6; p++) {
      let next = 0;
      for (const poll of polls.filter((x) => x.partition === p)) {
        expect(poll.offset).toBe(next);
        next = poll.offset + poll.count;
      }
      expect(next).toBeGreaterThan(0);
    }
    // The coordinator's view: Stable, uniform, every member at the target epoch.
    const g = coordinatorView(w)!;
    expect(g.state).toBe("Stable");
    expect(g.protocol).toBe("uniform");
    expect(g.targetAssignmentEpoch).toBe(g.groupEpoch);
    expect(g.members.map((m) => m.clientId).sort()).toEqual(["c1", "c2", "c3"]);
    for (const m of g.members) {
      expect(m.memberEpoch).toBe(g.groupEpoch);
      expect(m.assignment).toHaveLength(2);
    }
  });
});

describe("consumer: KIP-848: a member crashes", () => {
  it("is fenced after group.consumer.session.timeout.ms; the survivor takes its partitions", () => {
    const { w, consumer } = world(4, 90);
    const c1 = consumer("c1");
    const c2 = consumer("c2");
    c1.boot();
    c2.boot();
    w.at(20 * S, () => c1.host.crash("process"));
    w.runUntil(90 * S);
    const fenced = of(w.trace, "consumer-group.fenced");
    expect(fenced).toHaveLength(1);
    // c1's last heartbeat was at most one interval (5 s) before the crash.
    expect(fenced[0]!.t).toBeGreaterThan((20 - 5 + 45) * S);
    expect(fenced[0]!.t).toBeLessThanOrEqual((20 + 45) * S);
    // Until then the group stays as it was: c2 keeps its two partitions and nothing moves.
    const c2assigned = of(w.trace, "consumer.assigned").filter((e) => e.node === "c2");
    expect(c2assigned.filter((e) => e.t > 20 * S && e.t < fenced[0]!.t)).toEqual([]);
    // At its next heartbeat (within 5 s), c2 gets all four.
    const last = c2assigned.at(-1)!;
    expect(last.assignment).toBe("t-0,t-1,t-2,t-3");
    expect(last.t).toBeLessThan(fenced[0]!.t + 5.1 * S);
    const g = coordinatorView(w)!;
    expect([g.state, g.members.map((m) => m.clientId)]).toEqual(["Stable", ["c2"]]);
  });
});

describe("consumer: KIP-848: close and the classic protocol", () => {
  it("a closing member leaves with epoch -1; a classic member cannot join the group", () => {
    const { w, consumer } = world(4, 40);
    const c1 = consumer("c1");
    const c2 = consumer("c2");
    const classic = new KafkaConsumer(w.engine, w.network, {
      clientId: "classic",
      version: "4.1",
      bootstrap: [1, 2, 3],
      config: { "group.id": "g", "auto.offset.reset": "earliest" },
    });
    classic.subscribe(["t"]);
    c1.boot();
    c2.boot();
    w.at(10 * S, () => classic.boot());
    w.at(20 * S, () => c1.close());
    w.runUntil(40 * S);
    const leave = of(w.trace, "consumer.leave").filter((e) => e.node === "c1");
    expect(leave.map((e) => e.memberEpoch)).toEqual([-1]);
    const removed = of(w.trace, "consumer-group.member-removed");
    expect(removed.map((e) => e.reason)).toEqual(["the member left the group"]);
    // The leave frees c1's partitions at once: c2 has all four within one heartbeat interval.
    const c2last = of(w.trace, "consumer.assigned")
      .filter((e) => e.node === "c2")
      .at(-1)!;
    expect(c2last.assignment).toBe("t-0,t-1,t-2,t-3");
    expect(c2last.t).toBeLessThan(removed[0]!.t + 5.1 * S);
    // The classic consumer's JoinGroup is refused and it never owns anything.
    expect(classic.snapshot().assignment).toEqual([]);
    expect(of(w.trace, "consumer.assigned").filter((e) => e.node === "classic")).toEqual([]);
  });
});

describe("consumer: KIP-848: the coordinator moves", () => {
  it("the new coordinator reloads the group from __consumer_offsets; nobody is revoked", () => {
    const { w, consumer } = world(4, 60);
    const c1 = consumer("c1");
    const c2 = consumer("c2");
    c1.boot();
    c2.boot();
    let before: ConsumerGroupSnapshot | undefined;
    let coordinator = -1;
    w.at(20 * S, () => {
      before = coordinatorView(w);
      for (const [id, broker] of w.cluster.brokers)
        if (broker.groupCoordinator()?.consumerGroups.some((g) => g.groupId === "g"))
          coordinator = id;
      w.cluster.crash(String(coordinator), "process");
    });
    w.runUntil(60 * S);
    expect(coordinator).toBeGreaterThan(0);
    // Another broker now leads the group's offsets partition and has loaded the group.
    const now = [...w.cluster.brokers]
      .filter(([, b]) => b.groupCoordinator()?.consumerGroups.some((g) => g.groupId === "g"))
      .map(([id]) => id);
    expect(now).toHaveLength(1);
    expect(now[0]).not.toBe(coordinator);
    const after = coordinatorView(w)!;
    expect(after.groupEpoch).toBe(before!.groupEpoch);
    expect(after.members.map((m) => [m.memberId, m.memberEpoch, m.assignment])).toEqual(
      before!.members.map((m) => [m.memberId, m.memberEpoch, m.assignment]),
    );
    expect(of(w.trace, "consumer.revoked").filter((e) => e.t > 20 * S)).toEqual([]);
    expect(of(w.trace, "consumer-group.fenced")).toEqual([]);
  });
});

describe("consumer: KIP-848: group.remote.assignor=range", () => {
  it("the coordinator uses the assignor the members ask for", () => {
    const { w, consumer } = world(5, 30);
    const cs = ["c1", "c2"].map((id) => consumer(id, { "group.remote.assignor": "range" }));
    for (const c of cs) c.boot();
    w.runUntil(30 * S);
    const g = coordinatorView(w)!;
    expect([g.state, g.protocol]).toEqual(["Stable", "range"]);
    // Range over members in id order: the first gets 3 contiguous partitions, the second 2.
    expect(g.members.map((m) => m.assignment.map((tp) => tp.partition).join(","))).toEqual([
      "0,1,2",
      "3,4",
    ]);
  });
});

describe("consumer: KIP-848: max.poll.interval.ms", () => {
  it("a member that does not poll in time leaves, loses its partitions and rejoins", () => {
    const { w, consumer } = world(2, 60);
    // 30 ms per record: a poll of up to 500 records takes far longer than 5 s.
    const slow = new KafkaConsumer(w.engine, w.network, {
      clientId: "slow",
      version: "4.1",
      bootstrap: [1, 2, 3],
      config: {
        "group.id": "g",
        "group.protocol": "consumer",
        "auto.offset.reset": "earliest",
        "max.poll.interval.ms": 5000,
      },
      app: { processingUsPerRecord: 30_000 },
      history: w.recorder,
    });
    slow.subscribe(["t"]);
    const fast = consumer("fast");
    fast.boot();
    w.at(5 * S, () => slow.boot());
    w.runUntil(60 * S);
    const timeouts = of(w.trace, "consumer.poll-timeout").filter((e) => e.node === "slow");
    expect(timeouts.length).toBeGreaterThan(0);
    const leaves = of(w.trace, "consumer.leave").filter((e) => e.node === "slow");
    expect(leaves.map((e) => e.memberEpoch)).toContain(-1);
    const lost = of(w.trace, "consumer.revoked").filter(
      (e) => e.node === "slow" && e.lost === true,
    );
    expect(lost.length).toBeGreaterThan(0);
    // It came back: a join after the first timeout.
    const joins = of(w.trace, "consumer-group.join").filter((e) => e.t > timeouts[0]!.t);
    expect(joins.length).toBeGreaterThan(0);
  });
});

describe("consumer: KIP-848: determinism", () => {
  it("the S15 run gives the same traceHash twice", () => {
    const run = () => {
      const { w, consumer } = world(6, 30);
      const cs = [consumer("c1"), consumer("c2"), consumer("c3")];
      cs[0]!.boot();
      cs[1]!.boot();
      w.at(10 * S, () => cs[2]!.boot());
      w.runUntil(30 * S);
      expect(of(w.trace, "consumer-group.revoked").length).toBeGreaterThan(0);
      return w.engine.trace.hash();
    };
    expect(run()).toBe(run());
  });
});
