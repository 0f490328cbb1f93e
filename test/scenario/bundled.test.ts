// scenario: bundled library: every scenario in scenarios/ validates, runs to the end, meets its
// expectations, and gives the same traceHash when run twice with its own seed.
import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadScenarioFile } from "../../sim/scenario/load-file.ts";
import { runScenario } from "../../sim/scenario/runner.ts";

const files = readdirSync("scenarios")
  .filter((f) => /\.(ya?ml|json)$/.test(f) && f !== "schema.json")
  .sort();

describe("scenario: bundled library", () => {
  it("has scenarios to check", () => {
    expect(files.length).toBeGreaterThanOrEqual(2);
  });

  for (const file of files) {
    it(`${file}: runs, meets its expectations, same traceHash twice`, () => {
      const scenario = loadScenarioFile(`scenarios/${file}`);
      const first = runScenario(scenario);
      expect(first.boundMessage).toBeUndefined();
      expect(first.results.expectations.filter((e) => !e.ok)).toEqual([]);
      expect(first.results.ok).toBe(true);
      const second = runScenario(loadScenarioFile(`scenarios/${file}`));
      expect(second.results.traceHash).toBe(first.results.traceHash);
      expect(second.results.events).toBe(first.results.events);
    });
  }
});
