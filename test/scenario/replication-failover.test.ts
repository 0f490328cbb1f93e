/**
 * Failover scenarios: acks=1 loss on a clean election (S4), an isolated leader that keeps taking
 * acks=1 writes, and what a power loss takes from a log that a process crash leaves alone.
 */
import { describe, expect, it } from "vitest";
import { BrokerHarness, type SendOutcome } from "../support/broker-harness.ts";

const S = 1_000_000;

describe("replication: S4 acks=1 loss on leader failover", () => {
  it("r is acknowledged by leader 1 alone, 1 dies, 2 is elected, and r ends up nowhere", () => {
    // RF=3, replicas [1,2,3]. 100 records are committed first. The links from 1 to the followers
    // are held when r is sent, so no follower gets it before 1 crashes (held messages die with
    // the crash). Broker 2 is elected after 1's session expires; r2 takes offset 100 there; when
    // 1 returns it truncates to 100 because its epoch-0 tail diverges.
    const h = new BrokerHarness({ topics: [{ name: "t", assignment: [[1, 2, 3]] }] });
    let r: SendOutcome | undefined;
    let r2: SendOutcome | undefined;
    h.at(1 * S, () => h.send(1, { acks: -1, count: 100 }));
    h.at(5 * S, () => {
      h.network.hold("1", "2");
      h.network.hold("1", "3");
      r = h.send(1, { acks: 1, value: "r" });
    });
    h.at(5 * S + 100_000, () => h.crash(1));
    h.at(5 * S + 200_000, () => {
      h.network.release("1", "2");
      h.network.release("1", "3");
    });
    h.at(20 * S, () => {
      r2 = h.send(h.partitionState().leader, { acks: -1, value: "r2" });
    });
    h.at(25 * S, () => h.restart(1));
    h.runUntil(40 * S);
    expect(r!.error).toBe("NONE");
    expect(r!.baseOffset).toBe(100);
    expect(h.partitionState().leader).toBe(2);
    expect(r2!.error).toBe("NONE");
    expect(r2!.baseOffset).toBe(100);
    expect(h.events("replica.truncate", "1")[0]).toMatchObject({
      why: "diverging",
      from: 101,
      to: 100,
      lost: 1,
    });
    for (const id of [1, 2, 3]) {
      expect(h.logOrigins(id)).toHaveLength(101);
      expect(h.logOrigins(id)).not.toContain(`${r!.origin}#0@e0`);
    }
    // No consumer could have seen r: leader 1's HW never passed 100 before it crashed.
    const crashedAt = h.events("host.crash", "1")[0]!.t;
    const hwBefore = h.events("replica.hw", "1").filter((e) => e.t < crashedAt);
    expect(hwBefore.map((e) => e.hw)).toEqual([100]);
  });
});

describe("replication: an isolated leader", () => {
  it("keeps acknowledging acks=1 writes on its stale view, then truncates them when it rejoins", () => {
    // Leader 1 and the producer are cut off from 2, 3 and the controller (node 4). The controller
    // fences 1 after broker.session.timeout.ms and elects 2. Broker 1 cannot learn that: it keeps
    // its last view and answers the producer's acks=1 writes. After the heal it fetches the
    // metadata, becomes a follower of 2, and the diverging epoch removes what it took alone.
    const h = new BrokerHarness({ topics: [{ name: "t", assignment: [[1, 2, 3]] }] });
    h.at(1 * S, () => h.send(1, { acks: -1, count: 10 }));
    h.at(3 * S, () =>
      h.network.partition([
        ["1", "producer"],
        ["2", "3", "4"],
      ]),
    );
    const stale: SendOutcome[] = [];
    for (let i = 0; i < 5; i++) h.at((15 + i) * S, () => stale.push(h.send(1, { acks: 1 })));
    h.at(25 * S, () => h.network.heal("all"));
    h.runUntil(60 * S);
    expect(stale.map((s) => s.error)).toEqual(["NONE", "NONE", "NONE", "NONE", "NONE"]);
    expect(stale.map((s) => s.baseOffset)).toEqual([10, 11, 12, 13, 14]);
    // The controller elected 2 while 1 was unreachable.
    const leaderOn2 = h.events("partition.leader", "2")[0]!;
    expect(leaderOn2.t).toBeLessThan(15 * S);
    expect(h.partitionState().leader).toBe(2);
    // After the heal 1 follows 2 and cuts its lonely writes.
    const cut = h.events("replica.truncate", "1")[0]!;
    expect(cut.t).toBeGreaterThan(25 * S);
    expect(cut).toMatchObject({ why: "diverging", from: 15, to: 10, lost: 5 });
    expect(h.replica(1)!.role).toBe("follower");
    for (const s of stale) expect(h.logOrigins(2)).not.toContain(`${s.origin}#0@e0`);
  });
});

describe("replication: durability of the page cache", () => {
  function run(mode: "process" | "power") {
    // One replica (RF=1) so nothing can come back from a peer. 10 batches are written at 1 s and
    // reach the disk through the OS writeback (dirty for 30 s, flusher every 5 s); 5 more at 41 s
    // are still only in the page cache when the machine goes down at 42 s.
    const h = new BrokerHarness({ brokers: 1, topics: [{ name: "t", assignment: [[1]] }] });
    for (let i = 0; i < 10; i++) h.at(1 * S + i, () => h.send(1, { acks: 1 }));
    for (let i = 0; i < 5; i++) h.at(41 * S + i, () => h.send(1, { acks: 1 }));
    let flushedBefore = -1;
    h.at(42 * S, () => {
      flushedBefore = h.replica(1)!.flushedOffset;
      h.crash(1, mode);
    });
    h.at(43 * S, () => h.restart(1));
    h.runUntil(60 * S);
    return { h, flushedBefore };
  }

  it("a power loss truncates each log to what reached the disk", () => {
    const { h, flushedBefore } = run("power");
    expect(flushedBefore).toBe(10);
    expect(h.events("replica.truncate", "1")[0]).toMatchObject({
      why: "power-loss",
      from: 15,
      to: 10,
      lost: 5,
    });
    expect(h.replica(1)!.leo).toBe(10);
    // The HW comes back from the checkpoint (taken every 5 s) and is clamped to the LEO.
    expect(h.replica(1)!.hw).toBe(10);
    expect(h.replica(1)!.role).toBe("leader");
  });

  it("a process crash loses nothing: the page cache outlives the process", () => {
    const { h, flushedBefore } = run("process");
    expect(flushedBefore).toBe(10);
    expect(h.events("replica.truncate", "1")).toHaveLength(0);
    expect(h.replica(1)!.leo).toBe(15);
  });
});

describe("replication: a follower behind the leader's log start", () => {
  it("gets OFFSET_OUT_OF_RANGE, asks ListOffsets, and restarts its log at the leader's log start", () => {
    // Follower 2 is down while leader 1 writes ten 1 MB batches into 1 MiB segments; retention
    // (retention.bytes 2.5 MB, first check 30 s after start) moves the leader's log start to 8 (two 1 MB batches in the first segment with the 1 kB one).
    // Back at 40 s, follower 2 asks for offset 1, below the log start.
    const h = new BrokerHarness({
      brokers: 2,
      topics: [
        {
          name: "t",
          assignment: [[1, 2]],
          config: { "segment.bytes": "1048576", "retention.bytes": "2500000" },
        },
      ],
    });
    h.at(1 * S, () => h.send(1, { acks: -1, bytes: 1000 }));
    h.at(2 * S, () => h.crash(2));
    for (let i = 0; i < 10; i++)
      h.at(15 * S + i * 10_000, () => h.send(1, { acks: 1, bytes: 1_000_000 }));
    h.at(40 * S, () => h.restart(2));
    h.runUntil(60 * S);
    expect(h.replica(1)!.logStartOffset).toBe(8);
    const cut = h.events("replica.truncate", "2")[0]!;
    expect(cut).toMatchObject({ why: "out-of-range", from: 1, to: 8, lost: 1 });
    const follower = h.replica(2)!;
    expect(follower.logStartOffset).toBe(8);
    expect(follower.leo).toBe(11);
  });
});
