// groups: classic protocol: the coordinator's state machine driven by hand (a fake clock, timers
// and a log whose appends complete 1 ms later): join and sync, the delayed first rebalance, session
// expiry, a static member's bounce without a rebalance, FENCED_INSTANCE_ID, ILLEGAL_GENERATION.
import { describe, expect, it } from "vitest";
import type { TraceFields } from "../../sim/engine/trace.ts";
import {
  type CommitResult,
  type FetchResult,
  type GroupEnv,
  type GroupSettings,
  GroupStateMachine,
  type GroupTimer,
  type JoinInput,
  type JoinResult,
  type LeaveResult,
  type SyncResult,
} from "../../sim/kafka/group/group-state.ts";
import type { JoinGroupProtocol } from "../../sim/kafka/protocol-clients.ts";
import type { KafkaError } from "../../sim/kafka/types.ts";

const MS = 1000;
const APPEND_US = 1 * MS;

const SETTINGS: GroupSettings = {
  minSessionTimeoutMs: 6000,
  maxSessionTimeoutMs: 1_800_000,
  initialRebalanceDelayMs: 3000,
  maxSize: 1000,
  requireKnownMemberId: true,
  staticMembership: true,
  newMemberJoinTimeoutMs: 300_000,
  offsetsRetentionMs: 7 * 24 * 3600 * 1000,
  kip211: true,
};

interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly run: () => void;
  cancelled: boolean;
}

/** A fake broker around the state machine: virtual clock, timers, and a log. */
class Harness {
  nowUs = 0;
  private seq = 0;
  private readonly timers: Timer[] = [];
  readonly events: Array<{ t: number; type: string } & TraceFields> = [];
  readonly stored: Array<{ group: string; kind: "group" | "offsets" }> = [];
  appendError: KafkaError = "NONE";
  private ids = 0;
  readonly sm: GroupStateMachine;

  constructor(settings: GroupSettings = SETTINGS) {
    const env: GroupEnv = {
      now: () => this.nowUs,
      schedule: (delayUs: number, timer: GroupTimer) =>
        this.add(delayUs, () => this.sm.onTimer(timer)),
      cancel: (handle: unknown) => {
        if (handle !== undefined) (handle as Timer).cancelled = true;
      },
      emit: (type: string, fields: TraceFields) =>
        this.events.push({ t: this.nowUs, type, ...fields }),
      newMemberId: (prefix: string) => `${prefix}-${++this.ids}`,
      storeGroup: (group, _value, done) => {
        this.stored.push({ group, kind: "group" });
        const error = this.appendError;
        this.add(APPEND_US, () => done(error));
      },
      storeOffsets: (group, _offsets, done) => {
        this.stored.push({ group, kind: "offsets" });
        const error = this.appendError;
        this.add(APPEND_US, () => done(error));
      },
    };
    this.sm = new GroupStateMachine(env, settings);
  }

  private add(delayUs: number, run: () => void): Timer {
    const timer = { at: this.nowUs + delayUs, seq: this.seq++, run, cancelled: false };
    this.timers.push(timer);
    return timer;
  }

  /** Runs every timer due up to `untilUs` in (time, sequence) order, then sets the clock there. */
  advance(untilUs: number): void {
    for (;;) {
      const live = this.timers.filter((t) => !t.cancelled && t.at <= untilUs);
      if (live.length === 0) break;
      live.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = live[0]!;
      next.cancelled = true;
      this.nowUs = next.at;
      next.run();
    }
    this.nowUs = untilUs;
  }

  states(): string[] {
    return this.events
      .filter((e) => e.type === "group.state")
      .map((e) => `${e.state}@${e.generation}`);
  }

  join(input: Partial<JoinInput> & { clientId: string }): JoinResult[] {
    const out: JoinResult[] = [];
    this.sm.join(
      {
        groupId: "g",
        memberId: "",
        groupInstanceId: null,
        clientHost: "/client",
        sessionTimeoutMs: 10_000,
        rebalanceTimeoutMs: 300_000,
        protocolType: "consumer",
        protocols: RANGE,
        reason: "test",
        ...input,
      },
      (r) => out.push(r),
    );
    return out;
  }

  /** First join: MEMBER_ID_REQUIRED with an id, then the real join with it. */
  joinDynamic(clientId: string): { memberId: string; results: JoinResult[] } {
    const first = this.join({ clientId });
    expect(first).toHaveLength(1);
    expect(first[0]!.error).toBe("MEMBER_ID_REQUIRED");
    const memberId = first[0]!.memberId;
    return { memberId, results: this.join({ clientId, memberId }) };
  }

  sync(
    memberId: string,
    generationId: number,
    assignments: Record<string, number[]> = {},
    instance: string | null = null,
  ): SyncResult[] {
    const out: SyncResult[] = [];
    this.sm.sync(
      {
        groupId: "g",
        generationId,
        memberId,
        groupInstanceId: instance,
        protocolName: "range",
        assignments: Object.entries(assignments).map(([m, ps]) => ({
          memberId: m,
          partitions: ps.map((partition) => ({ topic: "t", partition })),
        })),
      },
      (r) => out.push(r),
    );
    return out;
  }

  heartbeat(memberId: string, generationId: number, instance: string | null = null): KafkaError[] {
    const out: KafkaError[] = [];
    this.sm.heartbeat({ groupId: "g", generationId, memberId, groupInstanceId: instance }, (e) =>
      out.push(e),
    );
    return out;
  }

  commit(memberId: string, generationId: number, offset: number): CommitResult[] {
    const out: CommitResult[] = [];
    this.sm.commit(
      {
        groupId: "g",
        generationId,
        memberId,
        groupInstanceId: null,
        partitions: [{ topic: "t", partition: 0, offset, leaderEpoch: -1, metadata: "" }],
      },
      (r) => out.push(r),
    );
    return out;
  }

  leave(memberId: string): LeaveResult[] {
    const out: LeaveResult[] = [];
    this.sm.leave(
      { groupId: "g", members: [{ memberId, groupInstanceId: null, reason: "bye" }] },
      (r) => out.push(r),
    );
    return out;
  }
}

const RANGE: JoinGroupProtocol[] = [
  {
    name: "range",
    metadata: { topics: ["t"], ownedPartitions: [], generationId: -1, rackId: null },
  },
];

/** Two dynamic members a (t = 0) and b (t = 1 s) through the first rebalance to Stable. */
function twoMemberGroup(h: Harness) {
  const a = h.joinDynamic("a");
  h.advance(1000 * MS);
  const b = h.joinDynamic("b");
  h.advance(6000 * MS);
  const syncB = h.sync(b.memberId, 1);
  const syncA = h.sync(a.memberId, 1, { [a.memberId]: [0], [b.memberId]: [1] });
  h.advance(6000 * MS + APPEND_US);
  return { a, b, syncA, syncB };
}

describe("groups: classic protocol: join and sync", () => {
  it("delays the first rebalance, extends it once for a late member, then completes", () => {
    const h = new Harness();
    const a = h.joinDynamic("a");
    // KIP-394: the first JoinGroup only hands out an id; the second one joins.
    expect(a.memberId).toBe("a-1");
    expect(a.results).toEqual([]);
    expect(h.states()).toEqual(["PreparingRebalance@0"]);
    h.advance(1000 * MS);
    const b = h.joinDynamic("b");
    expect(b.memberId).toBe("b-2");
    // t = 3 s: the initial delay (3 s) ends, but b joined meanwhile: wait another 3 s
    // (remaining = 300 s - 3 s = 297 s, so the new delay is min(3 s, 297 s) = 3 s).
    h.advance(5999 * MS);
    expect(a.results).toEqual([]);
    h.advance(6000 * MS);
    expect(h.states()).toEqual(["PreparingRebalance@0", "CompletingRebalance@1"]);
    // The leader (the first to join) gets every member's subscription; the follower none.
    expect(a.results[0]).toMatchObject({
      error: "NONE",
      generationId: 1,
      leader: "a-1",
      protocolName: "range",
    });
    expect(a.results[0]!.members.map((m) => m.memberId)).toEqual(["a-1", "b-2"]);
    expect(b.results[0]).toMatchObject({
      error: "NONE",
      generationId: 1,
      leader: "a-1",
      members: [],
    });
  });

  it("makes followers wait for the leader's SyncGroup, then answers everyone once it is stored", () => {
    const h = new Harness();
    const a = h.joinDynamic("a");
    h.advance(1000 * MS);
    const b = h.joinDynamic("b");
    h.advance(6000 * MS);
    const syncB = h.sync(b.memberId, 1);
    expect(syncB).toEqual([]);
    const syncA = h.sync(a.memberId, 1, { "a-1": [0], "b-2": [1] });
    // Nothing until the group metadata append completes (1 ms).
    expect(syncA).toEqual([]);
    h.advance(6000 * MS + APPEND_US);
    expect(syncA[0]).toEqual({
      error: "NONE",
      protocolName: "range",
      assignment: [{ topic: "t", partition: 0 }],
    });
    expect(syncB[0]).toEqual({
      error: "NONE",
      protocolName: "range",
      assignment: [{ topic: "t", partition: 1 }],
    });
    expect(h.states().at(-1)).toBe("Stable@1");
    expect(h.stored).toEqual([{ group: "g", kind: "group" }]);
  });

  it("rejects a session timeout outside the broker's bounds and a protocol nobody shares", () => {
    const h = new Harness();
    // group.min.session.timeout.ms = 6000 > 5000.
    expect(h.join({ clientId: "a", sessionTimeoutMs: 5000 })[0]!.error).toBe(
      "INVALID_SESSION_TIMEOUT",
    );
    const a = h.joinDynamic("a");
    expect(a.results).toEqual([]);
    const other: JoinGroupProtocol[] = [{ ...RANGE[0]!, name: "roundrobin" }];
    expect(h.join({ clientId: "b", protocols: other })[0]!.error).toBe(
      "INCONSISTENT_GROUP_PROTOCOL",
    );
  });
});

describe("groups: classic protocol: heartbeats and generations", () => {
  it("answers REBALANCE_IN_PROGRESS, ILLEGAL_GENERATION and UNKNOWN_MEMBER_ID", () => {
    const h = new Harness();
    const { a, b } = twoMemberGroup(h);
    expect(h.heartbeat(a.memberId, 1)).toEqual(["NONE"]);
    expect(h.heartbeat(a.memberId, 0)).toEqual(["ILLEGAL_GENERATION"]);
    expect(h.heartbeat("nobody-9", 1)).toEqual(["UNKNOWN_MEMBER_ID"]);
    // A third member joins: the group prepares a rebalance; the others hear of it by heartbeat.
    h.joinDynamic("c");
    expect(h.states().at(-1)).toBe("PreparingRebalance@1");
    expect(h.heartbeat(b.memberId, 1)).toEqual(["REBALANCE_IN_PROGRESS"]);
  });

  it("fails a commit from an old generation or an unknown member, accepts the current one", () => {
    const h = new Harness();
    const { a } = twoMemberGroup(h);
    expect(h.commit(a.memberId, 0, 10)[0]![0]!.error).toBe("ILLEGAL_GENERATION");
    expect(h.commit("ghost", 1, 10)[0]![0]!.error).toBe("UNKNOWN_MEMBER_ID");
    const ok = h.commit(a.memberId, 1, 10);
    expect(ok).toEqual([]);
    h.advance(h.nowUs + APPEND_US);
    expect(ok[0]![0]!.error).toBe("NONE");
    const fetched: FetchResult = h.sm.fetchOffsets("g", null);
    expect(fetched.partitions).toEqual([
      { topic: "t", partition: 0, offset: 10, leaderEpoch: -1, metadata: "", error: "NONE" },
    ]);
  });

  it("accepts a simple commit (generation -1, no member id) only for an empty or unknown group", () => {
    const h = new Harness();
    const simple = h.commit("", -1, 5);
    h.advance(APPEND_US);
    expect(simple[0]![0]!.error).toBe("NONE");
    expect(h.sm.snapshot()[0]).toMatchObject({ groupId: "g", state: "Empty", protocolType: null });
    // With members, a commit outside the group protocol is refused.
    h.joinDynamic("a");
    h.advance(3000 * MS);
    expect(h.commit("", -1, 6)[0]![0]!.error).toBe("UNKNOWN_MEMBER_ID");
  });

  it("maps a failed group-metadata append to the members and rebalances", () => {
    const h = new Harness();
    const a = h.joinDynamic("a");
    h.advance(3000 * MS);
    h.appendError = "NOT_COORDINATOR";
    const sync = h.sync(a.memberId, 1, { [a.memberId]: [0] });
    h.advance(3000 * MS + APPEND_US);
    expect(sync[0]).toEqual({ error: "NOT_COORDINATOR", protocolName: null, assignment: [] });
    expect(h.states().at(-1)).toBe("PreparingRebalance@1");
  });
});

describe("groups: classic protocol: session expiry and leaving", () => {
  it("expires a silent member session.timeout.ms after its last contact and rebalances", () => {
    const h = new Harness();
    const { a, b } = twoMemberGroup(h);
    // Both synced at t = 6 s (their last contact); b heartbeats every 3 s, a never again.
    for (let t = 9000; t <= 15_000; t += 3000) {
      h.advance(t * MS);
      expect(h.heartbeat(b.memberId, 1)).toEqual(["NONE"]);
    }
    h.advance(15_999 * MS);
    expect(h.events.filter((e) => e.type === "group.member.expired")).toEqual([]);
    // 6 s + session.timeout.ms (10 s) = 16 s.
    h.advance(16_000 * MS);
    const expired = h.events.filter((e) => e.type === "group.member.expired");
    expect(expired).toEqual([
      {
        t: 16_000 * MS,
        type: "group.member.expired",
        group: "g",
        member: a.memberId,
        reason: "session-timeout",
      },
    ]);
    expect(h.states().at(-1)).toBe("PreparingRebalance@1");
    // b learns of it at its next heartbeat and rejoins; it is the only member, so the join
    // completes at once (no initial delay: the group is not Empty) and b leads generation 2.
    h.advance(18_000 * MS);
    expect(h.heartbeat(b.memberId, 1)).toEqual(["REBALANCE_IN_PROGRESS"]);
    const rejoin = h.join({ clientId: "b", memberId: b.memberId });
    expect(rejoin[0]).toMatchObject({ error: "NONE", generationId: 2, leader: b.memberId });
  });

  it("rebalances at once when a member leaves, and goes Empty when the last one does", () => {
    const h = new Harness();
    const { a, b } = twoMemberGroup(h);
    expect(h.leave(a.memberId)[0]).toEqual({
      error: "NONE",
      members: [{ memberId: a.memberId, error: "NONE" }],
    });
    expect(h.states().at(-1)).toBe("PreparingRebalance@1");
    h.join({ clientId: "b", memberId: b.memberId });
    expect(h.states().at(-1)).toBe("CompletingRebalance@2");
    expect(h.leave(b.memberId)[0]!.error).toBe("NONE");
    // PreparingRebalance with nobody left completes at once into Empty, generation 3.
    expect(h.states().slice(-2)).toEqual(["PreparingRebalance@2", "Empty@3"]);
    expect(h.leave(b.memberId)[0]!.error).toBe("UNKNOWN_MEMBER_ID");
  });
});

describe("groups: classic protocol: static membership", () => {
  function staticGroup(h: Harness) {
    const s1 = h.join({ clientId: "c1", groupInstanceId: "i1" });
    const s2 = h.join({ clientId: "c2", groupInstanceId: "i2" });
    // Both joined during the first delay, so it is extended once: complete at 6 s.
    h.advance(6000 * MS);
    const id1 = s1[0]!.memberId;
    const id2 = s2[0]!.memberId;
    h.sync(id2, 1, {}, "i2");
    h.sync(id1, 1, { [id1]: [0], [id2]: [1] }, "i1");
    h.advance(6000 * MS + APPEND_US);
    return { id1, id2 };
  }

  it("joins static members without MEMBER_ID_REQUIRED, with ids prefixed by the instance id", () => {
    const h = new Harness();
    const { id1, id2 } = staticGroup(h);
    expect(id1).toBe("i1-1");
    expect(id2).toBe("i2-2");
    expect(h.states()).toEqual(["PreparingRebalance@0", "CompletingRebalance@1", "Stable@1"]);
  });

  it("lets a bounced static member back in under a new id with no rebalance", () => {
    const h = new Harness();
    const { id1 } = staticGroup(h);
    const statesBefore = h.states();
    for (let t = 9000; t <= 12_000; t += 3000) {
      h.advance(t * MS);
      expect(h.heartbeat(id1, 1, "i1")).toEqual(["NONE"]);
    }
    // The process restarts and is back at 14 s, within its session (12 s + 10 s).
    h.advance(14_000 * MS);
    // The restarted process has no member id and owns nothing, but subscribes to the same topics.
    const back = h.join({ clientId: "c1", groupInstanceId: "i1" });
    h.advance(14_000 * MS + APPEND_US);
    expect(back[0]).toMatchObject({
      error: "NONE",
      generationId: 1,
      memberId: "i1-3",
      leader: "i1-3",
    });
    expect(h.states()).toEqual(statesBefore);
    // Its assignment is the old one; the old id is fenced.
    expect(h.sync("i1-3", 1, {}, "i1")[0]!.assignment).toEqual([{ topic: "t", partition: 0 }]);
    expect(h.heartbeat(id1, 1, "i1")).toEqual(["FENCED_INSTANCE_ID"]);
    expect(h.heartbeat("i1-3", 1, "i1")).toEqual(["NONE"]);
  });

  it("removes a static member only when its session expires", () => {
    const h = new Harness();
    const { id1, id2 } = staticGroup(h);
    // i2 keeps heartbeating; i1 is gone for good (no LeaveGroup). Last contact: sync at 6 s,
    // so it expires at 6 s + 10 s = 16 s.
    for (let t = 9000; t <= 15_000; t += 3000) {
      h.advance(t * MS);
      h.heartbeat(id2, 1, "i2");
    }
    h.advance(15_999 * MS);
    expect(h.states().at(-1)).toBe("Stable@1");
    h.advance(16_000 * MS);
    expect(h.events.filter((e) => e.type === "group.member.expired").map((e) => e.member)).toEqual([
      id1,
    ]);
    expect(h.states().at(-1)).toBe("PreparingRebalance@1");
  });
});

describe("groups: classic protocol: offset retention", () => {
  it("expires a simple group's offsets offsets.retention.minutes after the commit, then the group", () => {
    // Retention of 1 minute (offsets.retention.minutes = 1) to keep the numbers small.
    const h = new Harness({ ...SETTINGS, offsetsRetentionMs: 60_000 });
    const simple = h.commit("", -1, 5);
    h.advance(APPEND_US);
    expect(simple[0]![0]!.error).toBe("NONE");
    // Committed at t = 0 (the commit timestamp is taken when the request arrives).
    h.advance(59_999 * MS);
    h.sm.expireOffsets();
    expect(h.sm.fetchOffsets("g", null).partitions).toHaveLength(1);
    h.advance(60_000 * MS);
    h.sm.expireOffsets();
    expect(h.sm.fetchOffsets("g", null).partitions).toEqual([]);
    // Offset tombstones, then the group's own tombstone once it is Empty with no offsets.
    expect(h.stored).toEqual([
      { group: "g", kind: "offsets" },
      { group: "g", kind: "offsets" },
      { group: "g", kind: "group" },
    ]);
    expect(h.states().at(-1)).toBe("Dead@0");
    expect(h.sm.snapshot()).toEqual([]);
  });

  it("keeps a consumer group's offsets while it has members (KIP-211)", () => {
    const h = new Harness({ ...SETTINGS, offsetsRetentionMs: 60_000 });
    const { a, b } = twoMemberGroup(h);
    h.commit(a.memberId, 1, 10);
    h.advance(h.nowUs + APPEND_US);
    // Two minutes of heartbeats from both members (every 3 s, well within their 10 s sessions).
    const start = h.nowUs;
    for (let t = start + 3000 * MS; t <= start + 120_000 * MS; t += 3000 * MS) {
      h.advance(t);
      expect(h.heartbeat(a.memberId, 1)).toEqual(["NONE"]);
      expect(h.heartbeat(b.memberId, 1)).toEqual(["NONE"]);
    }
    // Stable and still subscribed to "t": nothing expires, however old the commit.
    h.sm.expireOffsets();
    expect(h.sm.fetchOffsets("g", null).partitions[0]?.offset).toBe(10);
  });
});
