/**
 * The fault search's cases: every drawn case is a scenario the loader accepts (for every search
 * space and budget), the one-at-a-time budget keeps exclusive faults apart with recovery in between,
 * pinned settings stay pinned, run i's case depends on (seed, i) only, and settings flags are parsed
 * with Kafka's names and helpful errors. No run is simulated here (cheap): the searches themselves
 * are in test/property/fault-search-*.test.ts.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseScenarioText } from "../../sim/scenario/load.ts";
import {
  caseArbitrary,
  type FaultBudget,
  RECOVERY_US,
  type SearchSpace,
} from "../../sim/search/arbitraries.ts";
import { describeCase, describeFault, type Fault } from "../../sim/search/case.ts";
import { counterexampleFile, verdictLineOf } from "../../sim/search/counterexample.ts";
import { propertyNamed } from "../../sim/search/properties.ts";
import { scenarioText } from "../../sim/search/scenario-text.ts";
import { caseAt, resolveSearch, runSeed, shardIndices } from "../../sim/search/search.ts";
import {
  parseSettingArg,
  parseVersionArg,
  SAFE_SETTINGS,
  SettingsError,
} from "../../sim/search/settings.ts";

const SEED = Number(process.env.FC_SEED ?? 20_261_207);
console.log(`search-cases: fast-check seed=${SEED}`);

const EXCLUSIVE = new Set(["crash", "isolate", "partition", "cut", "hold", "kill"]);

describe("drawn cases", () => {
  it("print as their story in fast-check's reports, each fault as its words", () => {
    const cases = fc.sample(
      caseArbitrary({
        space: "replication",
        budget: "any",
        pins: { settings: {} },
        durationUs: 60_000_000,
      }),
      { seed: SEED, numRuns: 20 },
    );
    const withFaults = cases.filter((c) => c.faults.length > 0);
    expect(withFaults.length).toBeGreaterThan(0);
    for (const c of cases) {
      expect(fc.stringify(c)).toBe(describeCase(c));
      for (const f of c.faults) expect(fc.stringify(f)).toBe(describeFault(f));
      // The printer is hidden: the scenario text and equality do not see it.
      expect(Object.keys(c)).not.toContain("toString");
      expect(JSON.parse(JSON.stringify(c))).toEqual(JSON.parse(JSON.stringify({ ...c })));
    }
  });

  const combos: Array<[SearchSpace, FaultBudget]> = [
    ["replication", "one-at-a-time"],
    ["replication", "any"],
    ["consumers", "any"],
    ["wide", "any"],
  ];
  for (const [space, budget] of combos) {
    it(`are scenarios the loader accepts (${space}, ${budget})`, () => {
      const arb = caseArbitrary({
        space,
        budget,
        pins: { settings: space === "wide" ? {} : SAFE_SETTINGS },
        durationUs: 60_000_000,
      });
      fc.assert(
        fc.property(arb, (c) => {
          const text = scenarioText(c);
          const scenario = parseScenarioText(text, "case.yaml");
          expect(scenario.clients.length).toBe(c.producers.length + c.consumers.length);
          expect(scenario.timeline.length).toBeGreaterThanOrEqual(c.faults.length);
        }),
        { seed: SEED, numRuns: 150 },
      );
    });
  }

  it("one at a time: exclusive faults never overlap and are RECOVERY_US apart", () => {
    const arb = caseArbitrary({
      space: "replication",
      budget: "one-at-a-time",
      pins: { settings: SAFE_SETTINGS },
      durationUs: 60_000_000,
    });
    let checked = 0;
    fc.assert(
      fc.property(arb, (c) => {
        const exclusive = c.faults.filter((f) => EXCLUSIVE.has(f.kind));
        for (let i = 1; i < exclusive.length; i++) {
          const prev = exclusive[i - 1]!;
          expect(prev.forUs).not.toBeNull();
          expect(exclusive[i]!.atUs).toBeGreaterThanOrEqual(prev.atUs + prev.forUs! + RECOVERY_US);
          checked++;
        }
        for (const f of c.faults) expect(f.atUs + (f.forUs ?? 0)).toBeLessThanOrEqual(40_000_000);
      }),
      { seed: SEED, numRuns: 300 },
    );
    // The budget is exercised, not vacuous.
    expect(checked).toBeGreaterThan(20);
  });

  it("pinned settings stay pinned, drawn ones vary", () => {
    const search = resolveSearch({
      property: "no-lost-acked-writes",
      config: { acks: "1" },
      seed: 5,
      runs: 40,
      durationUs: 60_000_000,
    });
    const cases = Array.from({ length: 40 }, (_, i) => caseAt(search, i));
    for (const c of cases) {
      expect(c.settings.acks).toBe("1");
      // Kafka refuses idempotence with acks=1: the pinned default gives way.
      expect(c.settings["enable.idempotence"]).toBe(false);
      expect(c.replicationFactor).toBe(3);
    }
    expect(new Set(cases.map((c) => c.brokers)).size).toBeGreaterThan(1);
    expect(new Set(cases.map((c) => c.faults.length)).size).toBeGreaterThan(1);
  });

  it("run i's case depends on the search seed and i only", () => {
    const spec = { property: "safe", config: {}, seed: 11, runs: 10, durationUs: 60_000_000 };
    const a = resolveSearch(spec);
    const b = resolveSearch({ ...spec, runs: 500 });
    for (const i of [0, 3, 9]) expect(scenarioText(caseAt(a, i))).toBe(scenarioText(caseAt(b, i)));
    expect(scenarioText(caseAt(a, 1))).not.toBe(scenarioText(caseAt(a, 2)));
    expect(runSeed(11, 3)).toBe(runSeed(11, 3));
    expect(runSeed(11, 3)).not.toBe(runSeed(12, 3));
  });

  it("shards are disjoint and cover every run", () => {
    const all = [0, 1, 2].flatMap((s) => shardIndices(100, s, 3)).sort((x, y) => x - y);
    expect(all).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });
});

describe("words", () => {
  it("tells faults and their repairs as a story", () => {
    const crash: Fault = {
      kind: "crash",
      atUs: 1_204_000,
      forUs: 3_000_000,
      broker: 2,
      mode: "power",
    };
    expect(describeFault(crash)).toBe(
      "t=1.204 s broker 2 loses power; t=4.204 s broker 2 restarts",
    );
    const cut: Fault = { kind: "cut", atUs: 5_000_000, forUs: null, from: "1", to: "producer-1" };
    expect(describeFault(cut)).toBe(
      "t=5.000 s one-way cut: nothing from broker 1 reaches producer-1 (until the end)",
    );
  });

  it("a counterexample file carries its verdict line and expects the violation", () => {
    const search = resolveSearch({
      property: "no-lost-acked-writes",
      config: { acks: "1" },
      seed: 1,
      runs: 1,
      durationUs: 60_000_000,
    });
    const c = caseAt(search, 0);
    const file = counterexampleFile(
      propertyNamed("no-lost-acked-writes"),
      c,
      { holds: false, broken: [{ what: "no-lost-acked-writes", detail: "1 lost write" }] },
      "kafkasim check --property no-lost-acked-writes --config acks=1 --seed 1",
    );
    expect(verdictLineOf(file.text)).toEqual({
      property: "no-lost-acked-writes",
      broken: ["no-lost-acked-writes"],
    });
    const scenario = parseScenarioText(file.text, "ce.yaml");
    expect(scenario.expect).toEqual([
      expect.objectContaining({ kind: "check", check: "no-lost-acked-writes", holds: false }),
    ]);
    expect(file.text).toContain(describeCase(c).split("\n")[0]!.slice(0, 40));
    for (const line of file.text.split("\n"))
      if (line.startsWith("#")) expect(line.length).toBeLessThan(101);
  });
});

describe("flags", () => {
  it("parses Kafka's config names and values", () => {
    expect(parseSettingArg("acks=1")).toEqual({ acks: "1" });
    expect(parseSettingArg("acks=-1")).toEqual({ acks: "all" });
    expect(parseSettingArg("min.insync.replicas=1")).toEqual({ "min.insync.replicas": 1 });
    expect(parseSettingArg("unclean.leader.election.enable=true")).toEqual({
      "unclean.leader.election.enable": true,
    });
    expect(parseVersionArg("0.10")).toBe("0.10");
  });

  it("refuses what it cannot search, with a suggestion", () => {
    expect(() => parseSettingArg("ack=1")).toThrow(/did you mean "acks"/);
    expect(() => parseSettingArg("acks=2")).toThrow(SettingsError);
    expect(() => parseSettingArg("retries")).toThrow(/KEY=VALUE/);
    expect(() => parseSettingArg("min.insync.replicas=two")).toThrow(/whole number/);
    expect(() => parseVersionArg("0.1")).toThrow(/did you mean "0.10"/);
    expect(() => propertyNamed("no-lost-acked-write")).toThrow(
      /did you mean "no-lost-acked-writes"/,
    );
  });

  it("refuses pinned settings Kafka would refuse", () => {
    expect(() =>
      resolveSearch({
        property: "simulator-sound",
        config: { ...SAFE_SETTINGS, acks: "1", "enable.idempotence": true },
        version: "4.1",
        seed: 1,
        runs: 1,
        durationUs: 60_000_000,
      }),
    ).toThrow(/requires acks=all/);
  });
});
