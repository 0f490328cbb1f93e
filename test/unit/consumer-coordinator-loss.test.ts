// consumer: coordinator loss, unit by unit. LeastLoadedNode (Kafka's NetworkClient.leastLoadedNode)
// prefers a ready broker with nothing in flight, never picks one backing off while another is
// usable, and doubles the reconnect backoff per consecutive failure up to the cap. The classic
// membership (AbstractCoordinator) against a scripted GroupIo: a session without heartbeat answers
// marks the coordinator unknown at its deadline, drops the connection to it (disconnect) and asks
// the least loaded broker; after the failed heartbeat the next one goes to the new coordinator
// after retry.backoff.ms, not a whole heartbeat.interval.ms later.
import { describe, expect, it } from "vitest";
import {
  type GroupIo,
  GroupMembership,
  type GroupRequest,
  type GroupTimerKind,
} from "../../sim/client/consumer/group-membership.ts";
import { LeastLoadedNode } from "../../sim/client/consumer/least-loaded-node.ts";
import { consumerSettings } from "../../sim/client/consumer/settings.ts";

const MS = 1000;

describe("consumer: least loaded node: choice", () => {
  it("takes a ready broker with nothing in flight before one with requests in flight", () => {
    const nodes = new LeastLoadedNode(50 * MS, 1000 * MS);
    for (const b of [1, 2, 3]) nodes.succeeded(b);
    const inFlight = new Map([
      [1, 2],
      [2, 0],
      [3, 1],
    ]);
    for (let i = 0; i < 6; i++) expect(nodes.pick([1, 2, 3], (b) => inFlight.get(b)!, 0)).toBe(2);
  });

  it("among ready brokers all busy, the one with the fewest in flight", () => {
    const nodes = new LeastLoadedNode(50 * MS, 1000 * MS);
    for (const b of [1, 2, 3]) nodes.succeeded(b);
    const inFlight = new Map([
      [1, 3],
      [2, 1],
      [3, 2],
    ]);
    for (let i = 0; i < 6; i++) expect(nodes.pick([1, 2, 3], (b) => inFlight.get(b)!, 0)).toBe(2);
  });

  it("never picks a failed broker during its backoff while another can be tried", () => {
    const nodes = new LeastLoadedNode(50 * MS, 1000 * MS);
    for (const b of [1, 2, 3]) nodes.succeeded(b);
    nodes.failed(1, 10 * MS);
    const picked = new Set<number>();
    for (let i = 0; i < 9; i++) picked.add(nodes.pick([1, 2, 3], () => 0, 20 * MS));
    expect(picked.has(1)).toBe(false);
    expect(nodes.backingOff(1, 59 * MS)).toBe(true);
    expect(nodes.backingOff(1, 60 * MS)).toBe(false);
  });

  it("prefers a ready broker over one never connected, and tries the unconnected in turn", () => {
    const nodes = new LeastLoadedNode(50 * MS, 1000 * MS);
    nodes.succeeded(3);
    // Broker 3 is ready but busy; 1 and 2 never answered: the ready one still wins.
    expect(nodes.pick([1, 2, 3], (b) => (b === 3 ? 1 : 0), 0)).toBe(3);
    // With 3 backing off, the never-tried brokers are attempted oldest attempt first.
    nodes.failed(3, 0);
    const first = nodes.pick([1, 2, 3], () => 0, 1);
    const second = nodes.pick([1, 2, 3], () => 0, 2);
    expect(new Set([first, second])).toEqual(new Set([1, 2]));
  });

  it("with every broker backing off, returns the one whose backoff ends first", () => {
    const nodes = new LeastLoadedNode(50 * MS, 1000 * MS);
    nodes.failed(1, 0);
    nodes.failed(2, 0);
    nodes.failed(2, 0); // second failure in a row: 100 ms
    nodes.failed(3, 30 * MS);
    expect(nodes.pick([1, 2, 3], () => 0, 40 * MS)).toBe(1);
  });
});

describe("consumer: least loaded node: reconnect backoff", () => {
  it("doubles per consecutive failure up to reconnect.backoff.max.ms, and an answer resets it", () => {
    const nodes = new LeastLoadedNode(50 * MS, 1000 * MS);
    const ends: number[] = [];
    for (let i = 0; i < 7; i++) {
      nodes.failed(1, 0);
      let t = 0;
      while (nodes.backingOff(1, t)) t += MS;
      ends.push(t / MS);
    }
    expect(ends).toEqual([50, 100, 200, 400, 800, 1000, 1000]);
    nodes.succeeded(1);
    nodes.failed(1, 0);
    expect(nodes.backingOff(1, 49 * MS)).toBe(true);
    expect(nodes.backingOff(1, 50 * MS)).toBe(false);
  });
});

/** A GroupIo with a clock and a timer queue; requests are recorded, never answered by itself. */
function scriptedIo(leastLoaded: () => number) {
  let now = 0;
  const timers: Array<{ at: number; seq: number; kind: GroupTimerKind }> = [];
  let seq = 0;
  let correlation = 1;
  const sent: Array<{ at: number; broker: number; request: GroupRequest }> = [];
  const disconnects: Array<{ at: number; broker: number }> = [];
  const io: GroupIo = {
    now: () => now,
    send: (broker, build) => {
      const id = correlation++;
      sent.push({ at: now, broker, request: build(id) });
      return id;
    },
    bootstrapBroker: leastLoaded,
    disconnect: (broker) => disconnects.push({ at: now, broker }),
    timer: (delayUs, kind) => timers.push({ at: now + delayUs, seq: seq++, kind }),
    emit: () => {},
    partitionCounts: (topics) => new Map(topics.map((t) => [t, 1])),
    wantTopics: () => {},
    joined: () => {},
    lost: () => {},
    fatal: () => {},
  };
  /** Runs the membership's timers up to `untilUs`, in (time, insertion) order. */
  const advance = (m: GroupMembership, untilUs: number) => {
    for (;;) {
      timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = timers[0];
      if (next === undefined || next.at > untilUs) break;
      timers.shift();
      now = next.at;
      m.onTimer(next.kind);
    }
    now = untilUs;
  };
  const setNow = (t: number) => {
    now = t;
  };
  return { io, sent, disconnects, advance, setNow };
}

function last<T extends GroupRequest["type"]>(
  sent: ReadonlyArray<{ at: number; broker: number; request: GroupRequest }>,
  type: T,
) {
  return sent.filter((s) => s.request.type === type).at(-1) as
    | { at: number; broker: number; request: Extract<GroupRequest, { type: T }> }
    | undefined;
}

/** A member of generation 1 with coordinator 1, stable at t = 0.2 ms. */
function stableMember() {
  let pick = 1;
  const s = scriptedIo(() => pick);
  const settings = consumerSettings("4.1", {
    "group.id": "g",
    "session.timeout.ms": 6000,
    "heartbeat.interval.ms": 2000,
  });
  const m = new GroupMembership(s.io, settings, "g", "consumer-1");
  m.startJoin(["t"], []);
  const find = last(s.sent, "FindCoordinatorRequest")!;
  m.onFindCoordinator({
    type: "FindCoordinatorResponse",
    bytes: 0,
    correlationId: find.request.correlationId,
    error: "NONE",
    nodeId: 1,
  } as never);
  const join = last(s.sent, "JoinGroupRequest")!;
  s.setNow(100);
  m.onJoinGroup({
    type: "JoinGroupResponse",
    bytes: 0,
    correlationId: join.request.correlationId,
    error: "NONE",
    generationId: 1,
    memberId: "m-1",
    leader: "m-1",
    protocolName: "range",
    members: [
      {
        memberId: "m-1",
        groupInstanceId: null,
        metadata: { topics: ["t"], ownedPartitions: [], generationId: -1, rackId: null },
      },
    ],
  } as never);
  const sync = last(s.sent, "SyncGroupRequest")!;
  s.setNow(200);
  m.onSyncGroup({
    type: "SyncGroupResponse",
    bytes: 0,
    correlationId: sync.request.correlationId,
    error: "NONE",
    protocolName: "range",
    assignment: [{ topic: "t", partition: 0 }],
  } as never);
  expect(m.stableGeneration()).toBe(1);
  return {
    ...s,
    m,
    pickNext: (b: number) => {
      pick = b;
    },
  };
}

describe("consumer: group membership: the coordinator stops answering", () => {
  it("at the session deadline: coordinator unknown, disconnect from it, FindCoordinator elsewhere", () => {
    const w = stableMember();
    w.pickNext(3);
    // Heartbeats go out every 2 s from the join (t = 0.1 ms) and none is answered.
    w.advance(w.m, 6_000_100);
    const beats = w.sent.filter((s) => s.request.type === "HeartbeatRequest");
    expect(beats.map((b) => b.at)).toEqual([2_000_100]);
    expect(w.disconnects).toEqual([]);
    expect(w.m.coordinator).toBe(1);
    // No answer since the join at 0.1 ms: the session ends just after 6.0001 s.
    w.advance(w.m, 6_000_101);
    expect(w.disconnects).toEqual([{ at: 6_000_101, broker: 1 }]);
    expect(w.m.coordinator).toBe(-1);
    const find = last(w.sent, "FindCoordinatorRequest")!;
    expect(find).toMatchObject({ at: 6_000_101, broker: 3 });
  });

  it("the new coordinator gets a heartbeat retry.backoff.ms after it is found", () => {
    const w = stableMember();
    w.advance(w.m, 6_000_101);
    const find = last(w.sent, "FindCoordinatorRequest")!;
    w.setNow(6_001_000);
    w.m.onFindCoordinator({
      type: "FindCoordinatorResponse",
      bytes: 0,
      correlationId: find.request.correlationId,
      error: "NONE",
      nodeId: 2,
    } as never);
    w.advance(w.m, 6_200_000);
    const beat = last(w.sent, "HeartbeatRequest")!;
    // The heartbeat in flight to broker 1 failed with the disconnect: Kafka's Heartbeat then waits
    // retry.backoff.ms (100 ms), counted from the session reset when the coordinator was found.
    expect(beat).toMatchObject({ at: 6_101_000, broker: 2 });
    expect(beat.request.generationId).toBe(1);
  });

  it("answered heartbeats keep the member on its coordinator, one every heartbeat.interval.ms", () => {
    const w = stableMember();
    for (let i = 1; i <= 5; i++) {
      w.advance(w.m, i * 2_000_100);
      const beat = last(w.sent, "HeartbeatRequest")!;
      w.m.onHeartbeat({
        type: "HeartbeatResponse",
        bytes: 0,
        correlationId: beat.request.correlationId,
        error: "NONE",
      } as never);
    }
    w.advance(w.m, 11_000_000);
    expect(w.disconnects).toEqual([]);
    expect(w.m.coordinator).toBe(1);
    const beats = w.sent.filter((s) => s.request.type === "HeartbeatRequest").map((b) => b.at);
    expect(beats).toEqual([2_000_100, 4_000_100, 6_000_100, 8_000_100, 10_000_100]);
  });
});
