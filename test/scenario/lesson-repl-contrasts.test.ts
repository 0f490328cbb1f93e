// scenario: the replication and failover lessons of the bundled library (ISR, min.insync.replicas,
// truncation, power loss, ELR, controller failover) say in their descriptions what a re-run with
// `--set` shows; these tests run those re-runs and check that the contrast is there, and check
// details a lesson's own expectations cannot name (which producer failed with what error, the
// high watermark held back by a slow follower, which truncation happened). bundled.test.ts
// already runs every lesson as written.
import { describe, expect, it } from "vitest";
import type { History } from "../../sim/check/history.ts";
import type { TraceEvent } from "../../sim/engine/trace.ts";
import { parseOverride, type ScenarioOverride } from "../../sim/scenario/load.ts";
import { loadScenarioFile } from "../../sim/scenario/load-file.ts";
import { runScenario } from "../../sim/scenario/runner.ts";

const S = 1_000_000;

function overrides(sets: readonly string[]): ScenarioOverride[] {
  return sets.map((s) => {
    const o = parseOverride(s);
    if (typeof o === "string") throw new Error(o);
    return o;
  });
}

function run(file: string, sets: readonly string[] = []) {
  let history: History | undefined;
  const report = runScenario(loadScenarioFile(`scenarios/${file}`, overrides(sets)), {
    atEnd: ({ kafka, nowUs }) => {
      history = kafka?.recorder.history(nowUs);
    },
  });
  const r = report.results;
  return {
    results: r,
    history: history!,
    holds: (name: string) => r.checks.find((c) => c.name === name)!.holds,
    failed: r.expectations.filter((e) => !e.ok).map((e) => e.what),
  };
}

/** Outcomes of one client's sends, counted by kind. */
function outcomesOf(history: History, client: string): Record<string, number> {
  const mine = new Set(history.sends.filter((s) => s.client === client).map((s) => s.sendId));
  const counts: Record<string, number> = { acked: 0, failed: 0, unknown: 0 };
  for (const o of history.outcomes) if (mine.has(o.sendId)) counts[o.outcome]!++;
  return counts;
}

/** The last HW a leader reported for a partition at or before `atUs`. */
function leaderHwAt(history: History, topic: string, atUs: number, partition = 0): number {
  let hw = 0;
  for (const c of history.hwChanges) {
    if (c.topic === topic && c.partition === partition && c.isLeader && c.atUs <= atUs) hw = c.hw;
  }
  return hw;
}

describe("lesson isr-broker-stops", () => {
  it("orders-2's HW stays put while crashed broker 2 is still in its ISR, and moves once it is fenced", () => {
    const { history, results } = run("isr-broker-stops.yaml");
    expect(results.ok).toBe(true);
    const atCrash = leaderHwAt(history, "orders", 20.5 * S, 2);
    expect(leaderHwAt(history, "orders", 26 * S, 2)).toBe(atCrash);
    expect(leaderHwAt(history, "orders", 31 * S, 2)).toBeGreaterThan(atCrash + 100);
  });
});

describe("lesson min-insync-replicas", () => {
  it("4.1: acks=all sends fail with NOT_ENOUGH_REPLICAS while ISR = {1}; acks=1 sends never fail", () => {
    const { history, results } = run("min-insync-replicas.yaml");
    expect(results.ok).toBe(true);
    expect(outcomesOf(history, "producer-all").failed).toBeGreaterThan(0);
    const allSends = new Set(
      history.sends.filter((s) => s.client === "producer-all").map((s) => s.sendId),
    );
    const errors = new Set(
      history.outcomes
        .filter((o) => allSends.has(o.sendId) && o.outcome === "failed")
        .map((o) => o.error),
    );
    expect([...errors]).toEqual(["NOT_ENOUGH_REPLICAS"]);
    expect(outcomesOf(history, "producer-one")).toMatchObject({ failed: 0, unknown: 0 });
    // While the ISR is below min.insync.replicas (5 s to 20.5 s) the HW of `fast` stays put on
    // 4.1, although its leader keeps appending acks=1 batches.
    expect(leaderHwAt(history, "fast", 20 * S)).toBe(leaderHwAt(history, "fast", 6 * S));
  });

  it("3.6 (no min-ISR HW gate): the acks=1 records are readable at once, and the lesson still holds", () => {
    const { history, results } = run("min-insync-replicas.yaml", ["cluster.version=3.6"]);
    expect(results.ok).toBe(true);
    expect(leaderHwAt(history, "fast", 18 * S)).toBeGreaterThan(
      leaderHwAt(history, "fast", 6 * S) + 1000,
    );
  });
});

describe("lesson isr-slow-follower", () => {
  it("the slow follower holds the HW back until it leaves the ISR", () => {
    const { history, results } = run("isr-slow-follower.yaml");
    expect(results.ok).toBe(true);
    const count = new Map(history.sends.map((s) => [s.sendId, s.count]));
    // Records acknowledged by `atUs` (a send is a batch of `count` records).
    const acked = (atUs: number) =>
      history.outcomes
        .filter((o) => o.outcome === "acked" && o.atUs <= atUs)
        .reduce((sum, o) => sum + count.get(o.sendId)!, 0);
    // At 9 s, broker 3 (throttled to half the write rate) is in the ISR: the HW is far behind
    // what the leader has acknowledged (acks=1).
    expect(leaderHwAt(history, "clicks", 9 * S)).toBeLessThan(0.7 * acked(9 * S));
    // At 18 s it has been removed: the HW has caught up with the leader.
    expect(leaderHwAt(history, "clicks", 18 * S)).toBeGreaterThan(0.95 * acked(18 * S));
  });
});

describe("lesson isolated-leader-acks1", () => {
  it("acks=1: broker 1 truncates the writes it acknowledged alone", () => {
    const { history, holds } = run("isolated-leader-acks1.yaml");
    expect(holds("no-lost-acked-writes")).toBe(false);
    const cut = history.truncations.filter((t) => t.broker === 1 && t.topic === "events");
    expect(cut).toHaveLength(1);
    expect(cut[0]!.fromOffset - cut[0]!.toOffset).toBeGreaterThan(1000);
  });

  it("acks=all (the --set in its description): nothing acknowledged is lost", () => {
    const { results, holds } = run("isolated-leader-acks1.yaml", [
      "clients.0.config.acks=all",
      "expect.0.holds=true",
    ]);
    expect(holds("no-lost-acked-writes")).toBe(true);
    expect(results.ok).toBe(true);
  });
});

describe("lesson kip101-truncation", () => {
  it("0.10: broker 4 truncates to its HW and the acknowledged record is lost", () => {
    const { history, holds } = run("kip101-truncation.yaml");
    expect(holds("no-lost-acked-writes")).toBe(false);
    expect(history.truncations.some((t) => t.broker === 4 && t.why === "hw")).toBe(true);
  });

  it("0.10: the trace says the committed record went with a follower's HW truncation", () => {
    const lost: TraceEvent[] = [];
    runScenario(loadScenarioFile("scenarios/kip101-truncation.yaml"), {
      onTrace: (e) => {
        if (e.type === "partition.committed-lost") lost.push(e);
      },
    });
    expect(lost.map((e) => [e.leader, e.why])).toEqual([
      [
        4,
        "HW truncation (before KIP-101 a follower truncates to its HW when it restarts or follows a new leader)",
      ],
    ]);
  });

  it("4.1: broker 4 keeps its log and leads with the record", () => {
    const { history, results } = run("kip101-truncation.yaml", [
      "cluster.version=4.1",
      "expect.0.holds=true",
    ]);
    expect(results.ok).toBe(true);
    expect(history.truncations.filter((t) => t.broker === 4)).toEqual([]);
  });
});

describe("lesson power-loss-divergence", () => {
  it("runs with another seed too (a 0.10 producer's unbounded delivery timeout stays schedulable)", () => {
    const report = runScenario(loadScenarioFile("scenarios/power-loss-divergence.yaml"), {
      seed: 7,
    });
    expect(report.boundMessage).toBeUndefined();
    expect(report.results.events).toBeGreaterThan(0);
  });

  it("4.1: the power loss still loses data, but the replicas do not diverge", () => {
    const { history, results, holds } = run("power-loss-divergence.yaml", [
      "cluster.version=4.1",
      "expect.1.holds=true",
    ]);
    expect(results.ok).toBe(true);
    expect(holds("no-lost-acked-writes")).toBe(false);
    expect(history.truncations.some((t) => t.broker === 1 && t.why === "diverging")).toBe(true);
  });
});

describe("lesson last-replica-standing-elr", () => {
  it("3.6 (no ELR): the power-lost last ISR member is re-elected and committed data is lost", () => {
    const { history, holds } = run("last-replica-standing-elr.yaml", ["cluster.version=3.6"]);
    expect(holds("no-lost-acked-writes")).toBe(false);
    const electedAfterPowerLoss = history.leaderChanges.filter((c) => c.atUs > 30 * S);
    expect(electedAfterPowerLoss.map((c) => c.leader)).toContain(1);
  });
});

describe("lesson power-loss-vs-crash", () => {
  it("with both crashes as process crashes nothing is lost", () => {
    const { results } = run("power-loss-vs-crash.yaml", [
      "timeline.5.crash.mode=process",
      "expect.0.holds=true",
    ]);
    expect(results.ok).toBe(true);
  });

  it("with flush.messages=1 on the power-lost broker's topic nothing is lost", () => {
    const { results } = run("power-loss-vs-crash.yaml", [
      "topics.1.config.flush.messages=1",
      "expect.0.holds=true",
    ]);
    expect(results.ok).toBe(true);
  });
});

describe("lesson zk-vs-kraft-failover", () => {
  /** When a new leader of orders-1 was elected after broker 2's crash at 35 s. */
  function movedAt(history: History): number {
    const change = history.leaderChanges.find(
      (c) => c.topic === "orders" && c.partition === 1 && c.atUs > 35 * S,
    );
    return change!.atUs;
  }

  it("KRaft (4.1) moves orders-1 several seconds sooner than ZooKeeper mode (2.8)", () => {
    const zk = run("zk-vs-kraft-failover.yaml");
    const kraft = run("zk-vs-kraft-failover.yaml", ["cluster.version=4.1"]);
    expect(zk.results.ok).toBe(true);
    // Only the expectation at 45 s, the lesson's contrast, fails on 4.1.
    expect(kraft.failed).toHaveLength(1);
    expect(kraft.failed[0]).toContain("at 45.000 s");
    expect(movedAt(zk.history) - movedAt(kraft.history)).toBeGreaterThan(4 * S);
    expect(movedAt(kraft.history)).toBeLessThan((35 + 9.5) * S);
  });
});
