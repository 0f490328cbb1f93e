// e2e: `npm start` serves the page through Vite's dev server, which loads every module unbundled
// and refuses Node built-ins (`node:fs`) in page code; the other e2e files use the production
// build, which hides such imports. This file opens the dev server itself, so a Node-only import
// reaching the page fails here rather than on a teacher's laptop.
import type { AddressInfo } from "node:net";
import { chromium } from "playwright-core";
import { createServer, type ViteDevServer } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseScenarioText } from "../../sim/scenario/load.ts";
import { runScenario } from "../../sim/scenario/runner.ts";
import { CHROMIUM, type Hook } from "./support.ts";

let server: ViteDevServer;
let url: string;

beforeAll(async () => {
  server = await createServer({ logLevel: "warn", server: { port: 0, strictPort: false } });
  await server.listen();
  const address = server.httpServer?.address() as AddressInfo;
  url = `http://127.0.0.1:${address.port}/`;
}, 120_000);

afterAll(async () => {
  await server?.close();
});

describe("e2e: npm start (Vite's dev server)", () => {
  it("serves the default scenario without errors, with the CLI's traceHash", async () => {
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(String(e)));
      page.on("console", (m) => {
        if (m.type() === "error") errors.push(m.text());
      });
      await page.goto(url);
      await page.waitForFunction(() => "__kafkasim" in window, null, { timeout: 120_000 });
      const run = await page.evaluate(() => {
        const h = (window as unknown as { __kafkasim: Hook }).__kafkasim;
        h.pause();
        h.seek(h.durationUs);
        return { scenario: h.scenario, seed: h.seed, traceHash: h.traceHash() };
      });
      const node = runScenario(parseScenarioText(run.scenario, "default"), { seed: run.seed });
      expect(run.traceHash).toBe(node.results.traceHash);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 180_000);
});
