// e2e: determinism across engines: every bundled scenario run in headless Chromium (the built
// page, the same simulator code) gives the same traceHash as in Node for the same seed (seed 1
// or 7, alternating by file).
import { readdirSync, readFileSync } from "node:fs";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseScenarioText } from "../../sim/scenario/load.ts";
import { runScenario } from "../../sim/scenario/runner.ts";
import { type OpenPage, openPage } from "./support.ts";

const files = readdirSync("scenarios")
  .filter((f) => /\.(ya?ml|json)$/.test(f) && f !== "schema.json")
  .sort();

let opened: OpenPage;
let page: Page;
let pageErrors: string[] = [];

beforeAll(async () => {
  opened = await openPage();
  page = opened.page;
  pageErrors = opened.errors;
}, 180_000);

afterAll(async () => {
  await opened?.close();
});

async function browserHash(text: string, seed: number): Promise<string> {
  await page.fill("#scenario", text);
  await page.fill("#seed", String(seed));
  await page.evaluate(() => {
    (window as unknown as { __kafkasim?: unknown }).__kafkasim = undefined;
  });
  await page.click("#run");
  await page.waitForFunction(
    () => (window as unknown as { __kafkasim?: unknown }).__kafkasim !== undefined,
    null,
    {
      timeout: 120_000,
    },
  );
  return page.evaluate(() =>
    (window as unknown as { __kafkasim: { traceHash(): string } }).__kafkasim.traceHash(),
  );
}

describe("e2e: the browser and Node agree on every traceHash", () => {
  // One seed per scenario, alternating between two, so both seeds run and CI stays within its time.
  for (const [i, file] of files.entries()) {
    const seed = i % 2 === 0 ? 1 : 7;
    it(`${file}, seed ${seed}`, async () => {
      const text = readFileSync(`scenarios/${file}`, "utf8");
      const node = runScenario(parseScenarioText(text, file), { seed }).results.traceHash;
      expect(await browserHash(text, seed)).toBe(node);
      expect(pageErrors).toEqual([]);
    }, 180_000);
  }
});
