// KIP-848 consumer groups on the coordinator, by hand (consumer-group.ts): the group epoch moves
// on joins and leaves; the uniform assignor keeps owners at quota; a partition goes to its new
// owner only after the previous owner's heartbeat no longer lists it; member epochs reach the
// target epoch once reconciled; fencing by session timeout, epoch checks, commits, static members.
import { describe, expect, it } from "vitest";
import { consumerSettings } from "../../sim/client/consumer/settings.ts";
import {
  type ConsumerGroupEnv,
  ConsumerGroupManager,
  type ConsumerGroupRecordValue,
  type ConsumerGroupTimer,
  type HeartbeatInput,
  type HeartbeatResult,
  nextAssignment,
  rangeAssign,
  uniformAssign,
} from "../../sim/kafka/group/consumer-group.ts";
import type { KafkaError, TopicPartition } from "../../sim/kafka/types.ts";

const tps = (...ps: number[]): TopicPartition[] =>
  ps.map((partition) => ({ topic: "t", partition }));
const list = (x: readonly TopicPartition[] | null) => (x ?? []).map((tp) => tp.partition).join(",");

function harness(partitions = 6) {
  let now = 0;
  let ids = 0;
  const timers: Array<{ at: number; timer: ConsumerGroupTimer; live: boolean }> = [];
  const stored: Array<ConsumerGroupRecordValue | null> = [];
  const env: ConsumerGroupEnv = {
    now: () => now,
    schedule: (delayUs, timer) => {
      const t = { at: now + delayUs, timer, live: true };
      timers.push(t);
      return t;
    },
    cancel: (h) => {
      if (h !== undefined) (h as { live: boolean }).live = false;
    },
    emit: () => {},
    // Ids sort in join order: m1 < m2 < m3.
    newMemberId: () => `m${++ids}`,
    partitionCount: (topic) => (topic === "t" ? partitions : undefined),
    store: (_g, value, done) => {
      stored.push(value);
      done("NONE");
    },
  };
  const cg = new ConsumerGroupManager(env, {
    sessionTimeoutMs: 45_000,
    heartbeatIntervalMs: 5_000,
    assignors: ["uniform", "range"],
    maxSize: 100,
  });
  const hb = (
    memberId: string,
    memberEpoch: number,
    owned: readonly TopicPartition[] | null,
    extra: Partial<HeartbeatInput> = {},
  ): HeartbeatResult => {
    let out: HeartbeatResult | undefined;
    cg.heartbeat(
      {
        groupId: "g",
        memberId,
        memberEpoch,
        instanceId: null,
        rackId: null,
        rebalanceTimeoutMs: 300_000,
        subscribedTopicNames: ["t"],
        serverAssignor: null,
        topicPartitions: owned,
        clientId: memberId,
        clientHost: "/c",
        ...extra,
      },
      (r) => {
        out = r;
      },
    );
    if (out === undefined) throw new Error("no answer");
    return out;
  };
  const advance = (us: number) => {
    now += us;
    for (const t of [...timers].sort((a, b) => a.at - b.at)) {
      if (t.live && t.at <= now) {
        t.live = false;
        cg.onTimer(t.timer);
      }
    }
  };
  const group = () => cg.snapshot().find((g) => g.groupId === "g")!;
  return { cg, hb, advance, group, stored };
}

/** C1 and C2 stable with 3 partitions each (S15's starting point). Returns their epochs. */
function twoStable(h: ReturnType<typeof harness>) {
  const a = h.hb("", 0, []); // m1 joins: epoch 1, all six
  expect([a.memberId, a.memberEpoch, list(a.assignment)]).toEqual(["m1", 1, "0,1,2,3,4,5"]);
  const b = h.hb("", 0, []); // m2 joins: epoch 2; target m1=[0,1,2] m2=[3,4,5], all held by m1
  expect([b.memberId, b.memberEpoch, list(b.assignment)]).toEqual(["m2", 2, ""]);
  const a2 = h.hb("m1", 1, tps(0, 1, 2, 3, 4, 5)); // m1 must revoke 3,4,5: epoch stays 1
  expect([a2.memberEpoch, list(a2.assignment)]).toEqual([1, "0,1,2"]);
  const a3 = h.hb("m1", 1, tps(0, 1, 2)); // revoked: epoch 2
  expect([a3.memberEpoch, list(a3.assignment)]).toEqual([2, "0,1,2"]);
  const b2 = h.hb("m2", 2, []); // now free
  expect([b2.memberEpoch, list(b2.assignment)]).toEqual([2, "3,4,5"]);
  expect(h.group().state).toBe("Stable");
}

describe("kip848: reconciliation: a third member joins (S15)", () => {
  it("the newcomer gets each partition only after its owner revoked it", () => {
    const h = harness();
    twoStable(h);
    // m3 joins: group epoch 3, uniform target m1=[0,1] m2=[3,4] m3=[2,5] (owners keep their
    // lowest partitions up to the quota 6/3 = 2). 2 and 5 are still held: m3 gets nothing yet.
    const c = h.hb("", 0, []);
    expect([c.memberId, c.memberEpoch, list(c.assignment)]).toEqual(["m3", 3, ""]);
    expect(h.group().state).toBe("Reconciling");
    expect(h.group().members.map((m) => [m.memberId, list(m.targetAssignment)])).toEqual([
      ["m1", "0,1"],
      ["m2", "3,4"],
      ["m3", "2,5"],
    ]);
    // m1's heartbeat: revoke 2, keep 0,1 at epoch 2.
    const a = h.hb("m1", 2, tps(0, 1, 2));
    expect([a.memberEpoch, list(a.assignment)]).toEqual([2, "0,1"]);
    // m3 still gets nothing: m1 has not acknowledged (it still lists 2), m2 still holds 5.
    expect(list(h.hb("m3", 3, []).assignment)).toBe("");
    // m1 acknowledges: epoch 3. m3 can now take 2, not yet 5.
    expect(h.hb("m1", 2, tps(0, 1)).memberEpoch).toBe(3);
    expect(list(h.hb("m3", 3, []).assignment)).toBe("2");
    // m2 revokes 5 (still listing it: no progress), then acknowledges.
    expect([h.hb("m2", 2, tps(3, 4, 5)).memberEpoch]).toEqual([2]);
    expect(h.hb("m2", 2, tps(3, 4, 5)).memberEpoch).toBe(2);
    expect(h.hb("m2", 2, tps(3, 4)).memberEpoch).toBe(3);
    const c2 = h.hb("m3", 3, tps(2));
    expect([c2.memberEpoch, list(c2.assignment)]).toEqual([3, "2,5"]);
    expect(h.group().state).toBe("Stable");
    expect(h.group().members.map((m) => m.memberEpoch)).toEqual([3, 3, 3]);
  });

  it("a partition is never assigned to two members at once", () => {
    const h = harness();
    twoStable(h);
    h.hb("", 0, []);
    // After each step, the assigned and pending sets of all members are disjoint.
    const disjoint = () => {
      const seen = new Set<number>();
      for (const m of h.group().members)
        for (const tp of [...m.assignment, ...m.pendingRevocation]) {
          expect(seen.has(tp.partition)).toBe(false);
          seen.add(tp.partition);
        }
    };
    disjoint();
    h.hb("m3", 3, []);
    disjoint();
    h.hb("m1", 2, tps(0, 1, 2));
    disjoint();
    h.hb("m1", 2, tps(0, 1));
    disjoint();
    h.hb("m3", 3, []);
    disjoint();
  });
});

describe("kip848: epochs and errors", () => {
  it("a heartbeat with an epoch the member never had is fenced; the previous one is accepted", () => {
    const h = harness();
    twoStable(h); // m1 at 2 (previous 1)
    expect(h.hb("m1", 7, tps(0, 1, 2)).error).toBe<KafkaError>("FENCED_MEMBER_EPOCH");
    expect(h.hb("m1", 1, tps(0, 1, 2)).error).toBe<KafkaError>("NONE");
    expect(h.hb("nobody", 2, []).error).toBe<KafkaError>("UNKNOWN_MEMBER_ID");
  });

  it("offset commits are checked against the member epoch", () => {
    const h = harness();
    twoStable(h);
    expect(h.cg.validateCommit("g", "m1", 2)).toBe<KafkaError>("NONE");
    expect(h.cg.validateCommit("g", "m1", 1)).toBe<KafkaError>("STALE_MEMBER_EPOCH");
    expect(h.cg.validateCommit("g", "zz", 2)).toBe<KafkaError>("UNKNOWN_MEMBER_ID");
    // Outside the group (admin, assign()): only while the group has no members.
    expect(h.cg.validateCommit("g", "", -1)).toBe<KafkaError>("UNKNOWN_MEMBER_ID");
    expect(h.cg.validateCommit("other", "", -1)).toBe<KafkaError>("NONE");
  });

  it("a member silent for the session timeout is removed and its partitions move", () => {
    const h = harness();
    twoStable(h);
    // m2 heartbeats every 5 s; m1 stops. 45 s after m1's last heartbeat it is fenced.
    for (let i = 0; i < 8; i++) {
      h.advance(5_000_000);
      h.hb("m2", 2, tps(3, 4, 5));
    }
    expect(h.group().members.map((m) => m.memberId)).toEqual(["m1", "m2"]); // 40 s
    h.advance(5_000_000); // 45 s
    expect(h.group().members.map((m) => m.memberId)).toEqual(["m2"]);
    expect(h.group().state).toBe("Assigning"); // epoch 3, target still at 2
    const b = h.hb("m2", 2, tps(3, 4, 5));
    expect([b.memberEpoch, list(b.assignment)]).toEqual([3, "0,1,2,3,4,5"]);
  });

  it("leaving with -1 frees the partitions at once; a static member's -2 keeps them", () => {
    const h = harness();
    twoStable(h);
    expect(h.hb("m2", -1, null).memberEpoch).toBe(-1);
    expect(list(h.hb("m1", 2, tps(0, 1, 2)).assignment)).toBe("0,1,2,3,4,5");

    const s = harness();
    const a = s.hb("", 0, [], { instanceId: "i1" });
    expect(a.memberEpoch).toBe(1);
    s.hb("m1", -2, null, { instanceId: "i1" });
    // Back under a new member id with the same instance id: same epoch, same partitions.
    const back = s.hb("", 0, [], { instanceId: "i1" });
    expect([back.memberId, back.memberEpoch, list(back.assignment)]).toEqual([
      "m2",
      1,
      "0,1,2,3,4,5",
    ]);
    // A second live member with that instance id is refused.
    expect(s.hb("", 0, [], { instanceId: "i1" }).error).toBe<KafkaError>("UNRELEASED_INSTANCE_ID");
  });

  it("a member that does not revoke within its rebalance timeout is fenced", () => {
    const h = harness();
    twoStable(h);
    h.hb("", 0, [], { rebalanceTimeoutMs: 300_000 });
    h.hb("m1", 2, tps(0, 1, 2)); // asked to revoke 2 at t = 0
    for (let i = 0; i < 59; i++) {
      h.advance(5_000_000);
      h.hb("m1", 2, tps(0, 1, 2)); // keeps listing 2
      h.hb("m2", 2, tps(3, 4)); // m2 revoked 5 straight away
      h.hb("m3", 3, null);
    }
    expect(h.group().members.map((m) => m.memberId)).toContain("m1"); // 295 s
    h.advance(5_000_000);
    expect(h.group().members.map((m) => m.memberId)).toEqual(["m2", "m3"]);
  });

  it("the group record is written on each change and rebuilds the group", () => {
    const h = harness();
    twoStable(h);
    const last = h.stored.at(-1);
    expect(last?.groupEpoch).toBe(2);
    const h2 = harness();
    h2.cg.load("g", last!);
    expect(h2.group().state).toBe("Stable");
    expect(h2.group().members.map((m) => [m.memberId, m.memberEpoch, list(m.assignment)])).toEqual([
      ["m1", 2, "0,1,2"],
      ["m2", 2, "3,4,5"],
    ]);
    expect(h2.hb("m1", 2, tps(0, 1, 2)).error).toBe<KafkaError>("NONE");
  });
});

describe("kip848: assignors and the reconciliation rule", () => {
  it("uniform keeps the lowest partitions up to quota; range deals contiguous ranges", () => {
    const members = ["a", "b", "c"].map((memberId) => ({ memberId, subscribedTopicNames: ["t"] }));
    const previous = new Map([
      ["a", tps(0, 1, 2)],
      ["b", tps(3, 4, 5)],
    ]);
    const u = uniformAssign(members, { t: 6 }, previous);
    expect([...u].map(([id, p]) => [id, list(p)])).toEqual([
      ["a", "0,1"],
      ["b", "3,4"],
      ["c", "2,5"],
    ]);
    // 7 partitions over 3: range gives 3,2,2.
    const r = rangeAssign(members, { t: 7 });
    expect([...r].map(([id, p]) => [id, list(p)])).toEqual([
      ["a", "0,1,2"],
      ["b", "3,4"],
      ["c", "5,6"],
    ]);
  });

  it("nextAssignment: retain, revoke, assign what is free, wait for what is held", () => {
    const next = nextAssignment({
      assigned: tps(0, 1, 2),
      target: tps(1, 2, 3, 4),
      heldByOthers: new Set(["t-4"]),
    });
    expect([next.retained, next.revoke, next.assignable, next.unreleased].map(list)).toEqual([
      "1,2",
      "0",
      "3",
      "4",
    ]);
  });
});

describe("kip848: consumer settings", () => {
  it("group.protocol is unknown before 3.7; consumer refuses a client-side assignor", () => {
    const base = { "group.id": "g", "group.protocol": "consumer" };
    const s = consumerSettings("4.1", { ...base, "group.remote.assignor": "range" });
    expect([s.groupProtocol, s.remoteAssignor]).toEqual(["consumer", "range"]);
    expect(consumerSettings("4.1", { "group.id": "g" }).groupProtocol).toBe("classic");
    // 3.6 does not know the config: it is ignored (Kafka logs a warning) and classic runs.
    expect(consumerSettings("3.6", base).groupProtocol).toBe("classic");
    expect(consumerSettings("3.7", base).groupProtocol).toBe("consumer");
    // KAFKA-17338: partition.assignment.strategy is rejected with the consumer protocol.
    expect(() =>
      consumerSettings("4.1", {
        ...base,
        "partition.assignment.strategy": "org.apache.kafka.clients.consumer.RangeAssignor",
      }),
    ).toThrow(/partition.assignment.strategy/);
  });
});

describe("kip848: an empty group given up", () => {
  it("remove() deletes an empty group and writes a tombstone; refuses one with members", () => {
    const h = harness();
    const a = h.hb("", 0, []);
    expect(() => h.cg.remove("g")).toThrow(/with members/);
    h.hb(a.memberId, -1, null);
    h.cg.remove("g");
    expect(h.cg.has("g")).toBe(false);
    expect(h.stored.at(-1)).toBeNull();
  });
});
