import { describe, expect, it } from "vitest";
import { BrokerHarness } from "../support/broker-harness.ts";

const MS = 1000;
const S = 1_000_000;

function cluster(version: "4.1" | "3.6" = "4.1", config: Record<string, string> = {}) {
  return new BrokerHarness({
    version,
    topics: [{ name: "t", assignment: [[1, 2, 3]], config }],
  });
}

describe("broker: produce: acks paths", () => {
  it("acks=1 is answered after the leader's own append, before any follower has the batch", () => {
    // The leader appends at offset 0 and answers at once; the followers fetch it afterwards.
    const h = cluster();
    h.runUntil(1 * S);
    const sent = h.send(1, { acks: 1 });
    h.runFor(100 * MS);
    expect(sent.error).toBe("NONE");
    expect(sent.baseOffset).toBe(0);
    const appendOnLeader = h.events("replica.append", "1")[0]!;
    const appendOnFollower = h.events("replica.append", "2")[0]!;
    expect(sent.respondedAtUs).toBeDefined();
    // The response left the leader at its append; it reaches the producer one hop (200 us) later.
    expect(appendOnLeader.t).toBeLessThan(sent.respondedAtUs!);
    expect(appendOnFollower).toBeDefined();
  });

  it("acks=0 gets no response at all, but the record is appended", () => {
    const h = cluster();
    h.runUntil(1 * S);
    const sent = h.send(1, { acks: 0 });
    h.runFor(1 * S);
    expect(sent.respondedAtUs).toBeUndefined();
    expect(h.replica(1)!.leo).toBe(1);
    expect(h.events("produce.append", "1")).toHaveLength(1);
    expect(h.events("produce.response", "1")).toHaveLength(0);
  });

  it("acks=all is answered only once the HW covers the batch (every ISR member fetched it)", () => {
    const h = cluster();
    h.runUntil(1 * S);
    const sent = h.send(1, { acks: -1 });
    h.runFor(2 * S);
    expect(sent.error).toBe("NONE");
    expect(sent.baseOffset).toBe(0);
    const hwOne = h.events("replica.hw", "1").find((e) => e.hw === 1)!;
    expect(hwOne).toBeDefined();
    // The delayed produce completes when the HW reaches 1, never before.
    const done = h.events("produce.delayed.complete", "1")[0]!;
    expect(done.t).toBe(hwOne.t);
    expect(done.error).toBe("NONE");
    // Both followers had fetched offset 0 (their next fetch at offset 1 moved the HW).
    expect(h.replica(2)!.leo).toBe(1);
    expect(h.replica(3)!.leo).toBe(1);
  });

  it("a produce to a follower gets NOT_LEADER_OR_FOLLOWER", () => {
    const h = cluster();
    h.runUntil(1 * S);
    const sent = h.send(2, { acks: 1 });
    h.runFor(100 * MS);
    expect(sent.error).toBe("NOT_LEADER_OR_FOLLOWER");
    expect(sent.baseOffset).toBe(-1);
  });
});

describe("broker: replication: HW over three replicas", () => {
  it("the followers learn the HW one fetch round trip after the leader moves it", () => {
    // Leader 1 appends at 0; followers fetch it (their response carries HW 0); their next fetch at
    // offset 1 moves the leader's HW to 1; that fetch is parked (nothing new) and answers after
    // replica.fetch.wait.max.ms (500 ms) with HW 1, so the followers' HW moves ~500 ms later.
    const h = cluster();
    h.runUntil(1 * S);
    h.send(1, { acks: -1 });
    h.runFor(3 * S);
    const leaderHw = h.events("replica.hw", "1").find((e) => e.hw === 1)!;
    const f2 = h.events("replica.hw", "2").find((e) => e.hw === 1)!;
    const f3 = h.events("replica.hw", "3").find((e) => e.hw === 1)!;
    expect(leaderHw.t).toBeLessThan(f2.t);
    expect(leaderHw.t).toBeLessThan(f3.t);
    // Parked for the full 500 ms max wait (no new data arrived), then one hop back.
    expect(f2.t - leaderHw.t).toBeGreaterThanOrEqual(500 * MS - 1 * MS);
    expect(f2.t - leaderHw.t).toBeLessThanOrEqual(500 * MS + 2 * MS);
    expect(h.replica(2)!.hw).toBe(1);
  });
});
