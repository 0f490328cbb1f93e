// The bundled lesson scenarios/unclean-election.yaml, on the version it is written for (4.1:
// unclean.leader.election.enable=false, the partition waits for broker 1 and nothing acknowledged
// is lost) and on "0.10" through an override (the default was true: broker 2, out of the ISR, is
// elected, and the writes broker 1 acknowledged alone are gone). Reference §2.3 and §0.
import { describe, expect, it } from "vitest";
import { parseOverride, type ScenarioOverride } from "../../sim/scenario/load.ts";
import { loadScenarioFile } from "../../sim/scenario/load-file.ts";
import { runScenario } from "../../sim/scenario/runner.ts";

const FILE = "scenarios/unclean-election.yaml";

function run(overrides: string[] = []) {
  const parsed = overrides.map((o) => parseOverride(o) as ScenarioOverride);
  const leaders: Array<{ t: number; node: string; leaderEpoch: unknown }> = [];
  const lostCommitted: Array<Record<string, unknown>> = [];
  const report = runScenario(loadScenarioFile(FILE, parsed), {
    seed: 1,
    onTrace: (e) => {
      if (e.type === "partition.leader")
        leaders.push({ t: e.t, node: e.node, leaderEpoch: e.leaderEpoch });
      if (e.type === "partition.committed-lost") lostCommitted.push(e);
    },
  });
  const check = (name: string) => report.results.checks.find((c) => c.name === name);
  return { report, leaders, check, lostCommitted };
}

describe("lesson: unclean leader election", () => {
  it("4.1: the partition waits offline for broker 1, and no acknowledged write is lost", () => {
    const { report, leaders, check, lostCommitted } = run();
    expect(report.results.ok).toBe(true);
    expect(lostCommitted).toEqual([]);
    expect(check("no-lost-acked-writes")?.holds).toBe(true);
    // Broker 2 never leads: the only leaders are broker 1, before and after its restart at 28 s.
    expect(leaders.filter((l) => l.t > 0).every((l) => l.node === "1")).toBe(true);
  });

  it("0.10: broker 2 is elected uncleanly and broker 1's lone acknowledged writes are lost", () => {
    const { leaders, check, lostCommitted } = run(["cluster.version=0.10"]);
    // The trace says which committed offsets went, and why: broker 2 had up to its LEO only.
    expect(lostCommitted).toHaveLength(1);
    expect(lostCommitted[0]).toMatchObject({
      topic: "payments",
      leader: 2,
      why: "unclean election",
    });
    expect(Number(lostCommitted[0]!.from)).toBeLessThan(Number(lostCommitted[0]!.to));
    // Broker 2 leads after broker 1's crash at 15 s (once broker 1's session is gone).
    expect(leaders.some((l) => l.node === "2" && l.t > 15_000_000)).toBe(true);
    const lost = check("no-lost-acked-writes");
    expect(lost?.holds).toBe(false);
    expect(lost?.detail).toContain("unclean election");
  });
});
