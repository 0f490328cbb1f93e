/**
 * Writes docs/lessons.md, the catalog of the bundled scenarios (sim/scenario/lesson-catalog.ts).
 * Run it after adding or changing a scenario; a unit test fails while the page is stale.
 */
import { readdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { lessonCatalogMarkdown } from "../sim/scenario/lesson-catalog.ts";
import { loadScenarioFile } from "../sim/scenario/load-file.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const files = readdirSync(`${root}scenarios`)
  .filter((f) => /\.(ya?ml|json)$/.test(f) && f !== "schema.json")
  .map((f) => `scenarios/${f}`);
const text = lessonCatalogMarkdown(
  files.map((path) => ({ path, scenario: loadScenarioFile(`${root}${path}`) })),
);
writeFileSync(`${root}docs/lessons.md`, text);
console.log(`wrote docs/lessons.md (${files.length} scenarios)`);
