// The bundled lesson scenarios/rebalance-eager-vs-cooperative.yaml (reference S15): a third
// consumer joins a group of two over six partitions. Eager (range): both members revoke all they
// own, and the new assignment is C1=[0,1], C2=[2,3], C3=[4,5]. Cooperative-sticky: each member
// revokes only the one partition that moves, and C3 gets them in a second rebalance.
import { describe, expect, it } from "vitest";
import type { TraceEvent } from "../../sim/engine/trace.ts";
import { parseOverride, type ScenarioOverride } from "../../sim/scenario/load.ts";
import { loadScenarioFile } from "../../sim/scenario/load-file.ts";
import { runScenario } from "../../sim/scenario/runner.ts";

const FILE = "scenarios/rebalance-eager-vs-cooperative.yaml";
const COOPERATIVE = "org.apache.kafka.clients.consumer.CooperativeStickyAssignor";

function run(overrides: string[]) {
  const events: TraceEvent[] = [];
  const report = runScenario(
    loadScenarioFile(
      FILE,
      overrides.map((o) => parseOverride(o) as ScenarioOverride),
    ),
    {
      onTrace: (e) => {
        if (e.type === "consumer.revoked" || e.type === "consumer.assigned") events.push(e);
      },
    },
  );
  // What each consumer revoked and owned after consumer-3 joined (at 20 s).
  const after = events.filter((e) => e.t > 20_000_000);
  const revoked = (c: string) =>
    after
      .filter((e) => e.type === "consumer.revoked" && e.node === c)
      .map((e) => String(e.partitions))
      .filter((p) => p !== "");
  const finalOwned = (c: string) =>
    String(after.filter((e) => e.type === "consumer.assigned" && e.node === c).at(-1)?.assignment);
  return { report, revoked, finalOwned };
}

describe("lesson: eager vs cooperative rebalancing (S15)", () => {
  it("eager (range): every member revokes everything; range gives 0-1, 2-3, 4-5", () => {
    const { report, revoked, finalOwned } = run([]);
    expect(report.results.ok).toBe(true);
    expect(revoked("consumer-1")).toEqual(["events-0,events-1,events-2"]);
    expect(revoked("consumer-2")).toEqual(["events-3,events-4,events-5"]);
    expect(finalOwned("consumer-1")).toBe("events-0,events-1");
    expect(finalOwned("consumer-2")).toBe("events-2,events-3");
    expect(finalOwned("consumer-3")).toBe("events-4,events-5");
  });

  it("cooperative-sticky: each member gives up one partition; nothing else pauses", () => {
    const set = [1, 2, 3].map(
      (i) => `clients.${i}.config.partition.assignment.strategy=${COOPERATIVE}`,
    );
    const { report, revoked, finalOwned } = run(set);
    expect(report.results.ok).toBe(true);
    const one = [...revoked("consumer-1"), ...revoked("consumer-2")];
    expect(one).toHaveLength(2);
    for (const r of one) expect(r.split(",")).toHaveLength(1);
    // consumer-3 ends with exactly the two revoked partitions.
    expect(finalOwned("consumer-3").split(",").sort()).toEqual(one.sort());
  });
});
