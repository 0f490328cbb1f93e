import { describe, expect, it } from "vitest";
import { BrokerHarness } from "../support/broker-harness.ts";

const S = 1_000_000;

function cluster(version: "4.1" | "3.6" | "2.4" = "4.1", config: Record<string, string> = {}) {
  return new BrokerHarness({ version, topics: [{ name: "t", assignment: [[1, 2, 3]], config }] });
}

describe("broker: isr: shrink and expand", () => {
  it("a follower that stops fetching leaves the ISR 30–45 s after it last caught up, and returns once caught up", () => {
    // Follower 3 is cut off from leader 1 at 2 s (it still heartbeats to the controller, so it is
    // not fenced). It last caught up just before 2 s; the isr-expiration task runs every 15 s
    // (replica.lag.time.max.ms / 2), so the shrink comes at the first check after 32 s: 45 s.
    const h = cluster();
    h.at(2 * S, () => h.network.partition([["1"], ["3"]]));
    for (let i = 1; i <= 60; i++) h.at(i * S, () => h.send(1, { acks: 1 }));
    h.at(70 * S, () => h.network.heal("all"));
    h.runUntil(120 * S);
    const shrink = h.events("partition.isr.proposed", "1").find((e) => e.why === "shrink")!;
    expect(shrink.isr).toEqual([1, 2]);
    expect(shrink.t - 2 * S).toBeGreaterThanOrEqual(30 * S);
    expect(shrink.t - 2 * S).toBeLessThanOrEqual(45 * S);
    const committedShrink = h
      .events("partition.isr", "1")
      .find((e) => (e.isr as number[]).length === 2)!;
    expect(committedShrink.t).toBeGreaterThan(shrink.t);
    // After the heal the follower's next fetch (its lost request times out after
    // replica.socket.timeout.ms, then replica.fetch.backoff.ms) brings it up to date; the leader
    // proposes adding it back once its LEO reaches the HW.
    const expand = h.events("partition.isr.proposed", "1").find((e) => e.why === "expand")!;
    expect(expand.isr).toEqual([1, 2, 3]);
    expect(expand.t).toBeGreaterThan(70 * S);
    expect(h.partitionState().isr).toEqual([1, 2, 3]);
    const m = h.snapshot(1).metrics;
    expect(m.IsrShrinksPerSec).toBe(1);
    expect(m.IsrExpandsPerSec).toBe(1);
    expect(m.UnderReplicatedPartitions).toBe(0);
  });

  it("under 2.4 (replica.lag.time.max.ms 10 s) the shrink comes 10–15 s after the stop", () => {
    const h = cluster("2.4");
    h.at(2 * S, () => h.network.partition([["1"], ["3"]]));
    for (let i = 1; i <= 30; i++) h.at(i * S, () => h.send(1, { acks: 1 }));
    h.runUntil(30 * S);
    const shrink = h.events("partition.isr.proposed", "1").find((e) => e.why === "shrink")!;
    expect(shrink.t - 2 * S).toBeGreaterThanOrEqual(10 * S);
    expect(shrink.t - 2 * S).toBeLessThanOrEqual(15 * S);
    expect(h.snapshot(1).metrics.UnderReplicatedPartitions).toBe(1);
  });
});

describe("broker: min.insync.replicas (S6)", () => {
  it("(a) with the ISR down to the leader, acks=all is refused before the append; acks=1 is accepted", () => {
    // Brokers 2 and 3 crash; after broker.session.timeout.ms (9 s) the controller fences them and
    // the ISR becomes {1}.
    const h = cluster("4.1", { "min.insync.replicas": "2" });
    h.at(1 * S, () => {
      h.crash(2);
      h.crash(3);
    });
    h.runUntil(12 * S);
    expect(h.partitionState().isr).toEqual([1]);
    const all = h.send(1, { acks: -1 });
    const one = h.send(1, { acks: 1 });
    h.runFor(1 * S);
    expect(all.error).toBe("NOT_ENOUGH_REPLICAS");
    expect(one.error).toBe("NONE");
    // Only the acks=1 record is in the log, at offset 0, and on 3.7+ the HW stays below it.
    expect(one.baseOffset).toBe(0);
    expect(h.replica(1)!.leo).toBe(1);
    expect(h.replica(1)!.hw).toBe(0);
    expect(h.snapshot(1).metrics.UnderMinIsrPartitionCount).toBe(1);
  });

  function lateShrink(version: "4.1" | "3.6") {
    // (b): r is appended at offset 0, then both followers die before fetching it. The fencing at
    // ~9 s shrinks the ISR to {1} while the acks=all request still waits (timeout 30 s).
    const h = cluster(version, { "min.insync.replicas": "2" });
    let r: ReturnType<BrokerHarness["send"]> | undefined;
    h.at(1 * S, () => {
      r = h.send(1, { acks: -1 });
      h.crash(2);
      h.crash(3);
    });
    h.runUntil(40 * S);
    return { h, r: r! };
  }

  it("(b) before 3.7 the HW moves on with ISR {1} and the request ends NOT_ENOUGH_REPLICAS_AFTER_APPEND", () => {
    const { h, r } = lateShrink("3.6");
    expect(r.error).toBe("NOT_ENOUGH_REPLICAS_AFTER_APPEND");
    expect(h.replica(1)!.hw).toBe(1);
    // It completed at the ISR change (about 9 s after the crash), long before the 30 s timeout.
    expect(r.respondedAtUs! - r.sentAtUs).toBeLessThan(12 * S);
  });

  it("(b) from 3.7 the HW stays while ISR < min ISR and the request ends REQUEST_TIMED_OUT", () => {
    const { h, r } = lateShrink("4.1");
    expect(r.error).toBe("REQUEST_TIMED_OUT");
    expect(h.replica(1)!.hw).toBe(0);
    // The request's 30 s timeout fires at the leader: one hop there and one back, each 200 us of
    // latency plus 1 us to serialize the small message at 10 Gbit/s.
    expect(r.respondedAtUs! - r.sentAtUs).toBe(30 * S + 402);
    expect(h.snapshot(1).metrics.ProduceExpiresPerSec).toBe(1);
  });
});
