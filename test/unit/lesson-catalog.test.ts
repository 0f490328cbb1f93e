// docs/lessons.md is generated from scenarios/: it lists every bundled scenario, with its
// questions, and is never stale (regenerate with `npx tsx scripts/gen-lessons.ts`).
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { lessonCatalogMarkdown } from "../../sim/scenario/lesson-catalog.ts";
import { loadScenarioFile } from "../../sim/scenario/load-file.ts";

const files = readdirSync("scenarios")
  .filter((f) => /\.(ya?ml|json)$/.test(f) && f !== "schema.json")
  .map((f) => `scenarios/${f}`);

describe("docs: the lesson catalog", () => {
  const entries = files.map((path) => ({ path, scenario: loadScenarioFile(path) }));
  const page = lessonCatalogMarkdown(entries);

  it("has a section and a table row for every scenario, and each lesson's questions", () => {
    for (const { path, scenario } of entries) {
      const name = path.replace("scenarios/", "");
      expect(page).toContain(`## ${name}\n`);
      expect(page).toContain(`npx kafkasim run ${path}`);
      for (const t of scenario.timeline)
        if (t.action.kind === "ask") expect(page).toContain(t.action.question.trim());
    }
  });

  it("docs/lessons.md is up to date (npx tsx scripts/gen-lessons.ts)", () => {
    expect(readFileSync("docs/lessons.md", "utf8")).toBe(page);
  });
});
