// e2e: determinism across engines: every bundled scenario run in headless Chromium (the built
// page, the same simulator code) gives the same traceHash as in Node for the same seed.
import { readdirSync, readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { type Browser, chromium, type Page } from "playwright-core";
import { build, type PreviewServer, preview } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseScenarioText } from "../../sim/scenario/load.ts";
import { runScenario } from "../../sim/scenario/runner.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const files = readdirSync("scenarios")
  .filter((f) => /\.(ya?ml|json)$/.test(f) && f !== "schema.json")
  .sort();

let server: PreviewServer;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  await build({ logLevel: "warn" });
  server = await preview({ preview: { port: 0, strictPort: false }, logLevel: "warn" });
  const address = server.httpServer.address() as AddressInfo;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
  page = await browser.newPage();
  page.on("pageerror", (e) => pageErrors.push(String(e)));
  await page.goto(`http://127.0.0.1:${address.port}/`);
  await page.waitForFunction(() => "__kafkasim" in window, null, { timeout: 60_000 });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => server?.httpServer.close(() => resolve()));
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
  for (const file of files) {
    for (const seed of [1, 7]) {
      it(`${file}, seed ${seed}`, async () => {
        const text = readFileSync(`scenarios/${file}`, "utf8");
        const node = runScenario(parseScenarioText(text, file), { seed }).results.traceHash;
        expect(await browserHash(text, seed)).toBe(node);
        expect(pageErrors).toEqual([]);
      }, 180_000);
    }
  }
});
