/**
 * KIP-101 and KIP-279 scenarios (kafka-reference.md §10, S1–S3), run on real brokers with the fake
 * controller. Each test states the expected behaviour first; the steps follow the reference.
 */
import { describe, expect, it } from "vitest";
import { BrokerHarness, type SendOutcome } from "../support/broker-harness.ts";

const MS = 1000;
const S = 1_000_000;

/** Runs `action` 1 us after the first trace event that matches (from then on, at most once). */
function onceAfter(
  h: BrokerHarness,
  match: (e: { type: string; node: string; [k: string]: unknown }) => boolean,
  action: () => void,
): void {
  let done = false;
  const stop = h.engine.trace.subscribe((e) => {
    if (done || !match(e)) return;
    done = true;
    h.at(h.now + 1, action);
  });
  void stop;
}

/**
 * S1: replicas [B, A] with B = 1 leading, A = 2 following; acks=all, min ISR 1. m2 is acknowledged
 * when A's fetch at offset 2 moves B's HW; A crashes before that fetch's answer (so its own HW is
 * still 1), restarts, and B crashes just as A has caught up with the metadata; A becomes leader.
 * The fake controller takes A back at once and keeps it in the ISR across its restart, as the KIP
 * narrative assumes (a KRaft controller would first wait for A's old session to expire).
 */
function s1(version: "0.10" | "4.1") {
  const h = new BrokerHarness({
    version,
    brokers: 2,
    topics: [{ name: "t", assignment: [[1, 2]] }],
    fake: { removeUncleanFromIsr: false, reregistration: "immediate" },
  });
  let m2: SendOutcome | undefined;
  h.at(1 * S, () => h.send(1, { acks: -1, value: "m1" }));
  // m1 is committed and the HW (1) checkpointed on both before m2 is sent.
  h.at(10 * S, () => {
    m2 = h.send(1, { acks: -1, value: "m2" });
  });
  onceAfter(
    h,
    (e) => e.type === "produce.response" && e.node === "1" && e.baseOffset === 1,
    () => h.crash(2),
  );
  h.runUntil(10 * S + 100 * MS);
  expect(m2?.error).toBe("NONE");
  expect(m2?.baseOffset).toBe(1);
  expect(h.snapshot(2).state).toBe("not-running"); // A is down
  onceAfter(
    h,
    (e) => e.type === "broker.caught-up" && e.node === "2",
    () => h.crash(1),
  );
  h.restart(2);
  h.runUntil(40 * S);
  return { h, m2: m2! };
}

describe("replication: KIP-101 scenario 1 (HW truncation, then election)", () => {
  it("0.10: the restarted follower truncates the acknowledged m2 to its HW, is elected, and m2 is lost", () => {
    const { h, m2 } = s1("0.10");
    // A truncated to its checkpointed HW (1) when it became a follower again.
    const truncate = h.events("replica.truncate", "2")[0]!;
    expect(truncate).toMatchObject({ why: "hw", from: 2, to: 1, lost: 1 });
    expect(h.partitionState().leader).toBe(2);
    const a = h.replica(2)!;
    expect(a.role).toBe("leader");
    expect(a.leo).toBe(1);
    expect(h.logOrigins(2)).toEqual(["producer:1#0@e0"]);
    // m2 was acknowledged at offset 1, and no replica that is alive has it.
    expect(m2.error).toBe("NONE");
  });

  it("4.1: the restarted follower keeps its log (no truncation without the leader's answer); m2 survives", () => {
    const { h, m2 } = s1("4.1");
    expect(h.events("replica.truncate", "2")).toHaveLength(0);
    expect(h.partitionState().leader).toBe(2);
    const a = h.replica(2)!;
    expect(a.role).toBe("leader");
    expect(a.leo).toBe(2);
    // As the only ISR member, the new leader's HW covers m2 (a committed record stays committed).
    expect(a.hw).toBe(2);
    expect(h.logOrigins(2)[m2.baseOffset!]).toBe(`${m2.origin}#0@e0`);
  });
});

/**
 * S2: replicas [A, B], A = 1 leading. m1 is on disk on both; m2 is on A and in B's page cache
 * only, and A's HW checkpoint says 2. Then A's process crashes (it keeps m2) and B loses power (m2
 * gone). B comes back first and leads; m3 goes to offset 1 on B. Then A returns as a follower.
 */
function s2(version: "0.10" | "4.1") {
  const h = new BrokerHarness({
    version,
    brokers: 2,
    topics: [{ name: "t", assignment: [[1, 2]] }],
  });
  h.at(1 * S, () => h.send(1, { acks: -1, value: "m1" }));
  // 40 s later the OS flusher has written m1 back (dirty_expire 30 s, ticks every 5 s).
  h.at(41 * S, () => h.send(1, { acks: -1, value: "m2" }));
  h.at(48 * S, () => {
    h.crash(1, "process");
    h.crash(2, "power");
  });
  h.at(70 * S, () => h.restart(2));
  let m3: SendOutcome | undefined;
  h.at(80 * S, () => {
    m3 = h.send(2, { acks: -1, value: "m3" });
  });
  h.at(90 * S, () => h.restart(1));
  h.runUntil(120 * S);
  return { h, m3: m3! };
}

describe("replication: KIP-101 scenario 2 (divergence after multiple hard failures)", () => {
  it("0.10: A keeps m2 where B has m3: the logs diverge at offset 1 and A still rejoins the ISR", () => {
    const { h, m3 } = s2("0.10");
    expect(h.events("replica.truncate", "2")[0]).toMatchObject({
      why: "power-loss",
      from: 2,
      to: 1,
    });
    expect(m3.error).toBe("NONE");
    expect(m3.baseOffset).toBe(1);
    const a = h.logOrigins(1);
    const b = h.logOrigins(2);
    expect(a[0]).toBe(b[0]);
    expect(a[1]).toBe("producer:2#0@e0"); // m2
    expect(b[1]).toMatch(/^producer:3#0@e\d+$/); // m3
    expect(h.partitionState().isr.slice().sort()).toEqual([1, 2]);
  });

  it("4.1: A learns from the diverging epoch that its epoch 0 ends at 1, drops m2 and copies m3", () => {
    const { h, m3 } = s2("4.1");
    expect(m3.error).toBe("NONE");
    expect(h.events("replica.truncate", "1")[0]).toMatchObject({
      why: "diverging",
      from: 2,
      to: 1,
    });
    expect(h.logOrigins(1)).toEqual(h.logOrigins(2));
    expect(h.logOrigins(1)[1]).toBe(`${m3.origin}#0@e${h.partitionState().leaderEpoch}`);
  });
});

/**
 * S3 (KIP-279): replicas [1, 2], unclean.leader.election.enable=true, acks=1; back-to-back unclean
 * elections leave 2 = [e0, e1, e3] and 1 = [e0, e2, e2, e2, e4, e4]; then 2 follows 1.
 */
function s3(version: "1.1" | "2.0") {
  const h = new BrokerHarness({
    version,
    brokers: 2,
    topics: [
      { name: "t", assignment: [[1, 2]], config: { "unclean.leader.election.enable": "true" } },
    ],
  });
  const write = (n: number) => {
    const leader = h.partitionState().leader;
    for (let i = 0; i < n; i++) h.send(leader, { acks: 1 });
  };
  h.at(1 * S, () => write(1)); // offset 0, epoch e0, on both
  h.at(5 * S, () => h.crash(1)); // 2 leads after 1's session (6 s before 2.5) expires
  h.at(20 * S, () => write(1)); // offset 1 on 2 only
  h.at(25 * S, () => h.crash(2));
  h.at(26 * S, () => h.restart(1)); // elected uncleanly once 2 is fenced
  h.at(45 * S, () => write(3)); // offsets 1–3 on 1
  h.at(50 * S, () => h.crash(1));
  h.at(51 * S, () => h.restart(2)); // elected uncleanly once 1 is fenced
  h.at(70 * S, () => write(1)); // offset 2 on 2
  h.at(75 * S, () => h.crash(2));
  h.at(76 * S, () => h.restart(1)); // elected uncleanly once 2 is fenced
  h.at(95 * S, () => write(2)); // offsets 4–5 on 1
  h.at(100 * S, () => h.restart(2)); // 2 follows 1
  h.runUntil(130 * S);
  return h;
}

describe("replication: KIP-279 scenario 3 (back-to-back unclean elections)", () => {
  it("1.1 (KIP-101 only): 2 truncates to min(4, 3) = 3 and offsets 1–2 stay different", () => {
    const h = s3("1.1");
    expect(h.partitionState().leader).toBe(1);
    const a = h.logOrigins(1);
    const b = h.logOrigins(2);
    expect(a).toHaveLength(6);
    expect(b).toHaveLength(6);
    expect(a[0]).toBe(b[0]);
    expect(a[1]).not.toBe(b[1]);
    expect(a[2]).not.toBe(b[2]);
    expect(a.slice(3)).toEqual(b.slice(3));
    // One round, and it removed nothing (2's LEO was 3).
    expect(h.events("replica.truncate", "2").filter((e) => e.why === "epoch")).toHaveLength(0);
  });

  it("2.0 (KIP-279): two rounds cut 2 back to offset 1, and the logs end identical", () => {
    const h = s3("2.0");
    const rounds = h.events("replica.truncate", "2").filter((e) => e.why === "epoch");
    expect(rounds.map((e) => e.to)).toEqual([2, 1]);
    expect(h.logOrigins(1)).toHaveLength(6);
    expect(h.logOrigins(2)).toEqual(h.logOrigins(1));
  });
});
