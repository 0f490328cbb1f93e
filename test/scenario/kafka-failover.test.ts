// replication: failover: when a leader crashes, the controller fences it after
// broker.session.timeout.ms (9 s) and elects the next ISR replica in assignment order; the old
// leader rejoins the ISR as a follower after its restart.
import { describe, expect, it } from "vitest";
import type { TraceEvent } from "../../sim/engine/trace.ts";
import { parseScenarioText } from "../../sim/scenario/load.ts";
import { runScenario } from "../../sim/scenario/runner.ts";

function scenario(extra: string): string {
  return `version: 1
name: failover
duration: 40s
cluster: { version: "4.1", brokers: 3 }
topics:
  - { name: t, partitions: 1, replication-factor: 3, assignment: [[1, 2, 3]] }
timeline:
${extra}
`;
}

function run(text: string, seed = 1) {
  const events: TraceEvent[] = [];
  const report = runScenario(parseScenarioText(text, "test.yaml"), {
    seed,
    onTrace: (e) => events.push(e),
  });
  return { report, events };
}

describe("replication: failover: leader crash", () => {
  const { report, events } = run(scenario("  - { at: 2s, crash: 1 }\n  - { at: 20s, restart: 1 }"));

  it("fences the crashed leader 9 s after its last heartbeat, not before", () => {
    const fenced = events.find((e) => e.type === "broker.fenced" && e.broker === 1);
    expect(fenced).toBeDefined();
    // Last heartbeat at most 2 s (the heartbeat interval) before the crash at 2 s; fenced after 9 s.
    expect(fenced!.t).toBeGreaterThanOrEqual(9_000_000);
    expect(fenced!.t).toBeLessThanOrEqual(2_000_000 + 9_000_000 + 3_000_000);
  });

  it("elects broker 2, the next replica in assignment order, with a higher leader epoch", () => {
    const leader = events.find((e) => e.type === "partition.leader" && e.t > 0);
    expect(leader?.leader).toBe(2);
    expect(leader?.leaderEpoch).toBe(1);
  });

  it("lets broker 1 rejoin the ISR as a follower after its restart", () => {
    const isr = events.filter((e) => e.type === "partition.isr").at(-1);
    expect(isr?.isr).toEqual([2, 3, 1]);
    expect(report.results.ok).toBe(true);
  });

  it("keeps one active controller at a time, and a new one after the old leader's crash", () => {
    const leaders = events.filter((e) => e.type === "raft.leader");
    const epochs = leaders.map((e) => e.epoch);
    expect(new Set(epochs).size).toBe(epochs.length);
    expect(leaders.at(-1)?.leader).not.toBe(1);
  });
});

describe("replication: failover: unclean election", () => {
  it("leaves the partition offline without unclean election, and elects a non-ISR replica with it", () => {
    // Dedicated controllers (nodes 4-6), so the quorum outlives the brokers. Broker 3 is cut off
    // long enough to leave the ISR, then 1 and 2 die: only 3, out of sync, is left.
    const timeline = [
      "  - { at: 1s, isolate: 3 }",
      "  - { at: 60s, crash: 1 }",
      "  - { at: 60s, crash: 2 }",
      "  - { at: 61s, heal: all }",
    ].join("\n");
    const dedicated = (text: string) =>
      text
        .replace("duration: 40s", "duration: 90s")
        .replace("brokers: 3 }", "brokers: 3, controllers: 3 }");
    const safe = run(dedicated(scenario(timeline)));
    const last = (evs: TraceEvent[]) => evs.filter((e) => e.type === "partition.leader").at(-1);
    expect(last(safe.events)?.leader).not.toBe(3);
    const offline = safe.events.filter((e) => e.type === "metadata.record" && e.leader === -1);
    expect(offline.length).toBeGreaterThan(0);
    const unclean = run(
      dedicated(scenario(timeline)).replace(
        "controllers: 3 }",
        "controllers: 3, config: { unclean.leader.election.enable: true } }",
      ),
    );
    expect(last(unclean.events)?.leader).toBe(3);
  });
});

describe("replication: failover: pre-KRaft profiles", () => {
  it("fences a silent broker after zookeeper.session.timeout.ms in 0.10 (6 s) and 2.8 (18 s)", () => {
    const fencedAt = (version: string) => {
      // Broker 3, not the active controller (voter 1), so no controller failover adds its time.
      const text = scenario("  - { at: 2s, crash: 3 }").replace(
        'version: "4.1"',
        `version: "${version}"`,
      );
      return run(text).events.find((e) => e.type === "broker.fenced" && e.broker === 3)?.t;
    };
    const old = fencedAt("0.10");
    const newer = fencedAt("2.8");
    // The last heartbeat is at most 2 s before the crash at 2 s.
    expect(old).toBeGreaterThanOrEqual(6_000_000);
    expect(old).toBeLessThanOrEqual(2_000_000 + 6_000_000 + 1_000_000);
    expect(newer).toBeGreaterThanOrEqual(18_000_000);
    expect(newer).toBeLessThanOrEqual(2_000_000 + 18_000_000 + 1_000_000);
  });
});

describe("replication: failover: a fenced broker after a controller failover", () => {
  // Broker 2 crashes at 1 s and is fenced at about 9 s; controller 4 (active from the start) dies
  // at 12 s; broker 2 restarts at 16 s, after the new controller took over. Kafka's
  // BrokerHeartbeatManager gives a fenced broker no valid session, so its registration is
  // accepted at once; it must not wait out a session the new controller started at activation.
  const { events } = run(`version: 1
name: fenced-after-failover
duration: 30s
cluster: { version: "4.1", brokers: 3, controllers: 3 }
topics:
  - { name: t, partitions: 1, replication-factor: 3, assignment: [[1, 2, 3]] }
timeline:
  - { at: 1s, crash: 2 }
  - { at: 12s, crash: 4 }
  - { at: 16s, restart: 2 }
`);

  it("registers and unfences the restarted broker within a couple of seconds", () => {
    expect(events.find((e) => e.type === "broker.fenced" && e.broker === 2)!.t).toBeLessThan(
      12_000_000,
    );
    const leaders = events.filter((e) => e.type === "raft.leader").map((e) => e.leader);
    expect(leaders[0]).toBe(4);
    expect(leaders.some((l) => l !== 4)).toBe(true);
    const unfenced = events.find(
      (e) => e.type === "broker.unfenced" && e.broker === 2 && e.t > 16_000_000,
    );
    expect(unfenced).toBeDefined();
    expect(unfenced!.t).toBeLessThan(19_000_000);
  });
});
