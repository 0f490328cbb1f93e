// e2e: the Clients panel in the built page (headless Chromium): on rebalance-eager-vs-cooperative
// it lists producer-1, draws group `reports` with six flowing assignment lines, shows the STOP of
// the eager rebalance when consumer-3 joins (every line paused), three members afterwards, and
// the same panel DOM after scrubbing away and back.
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Hook, type OpenPage, openPage } from "./support.ts";

let opened: OpenPage;
let page: Page;
let pageErrors: string[] = [];

beforeAll(async () => {
  opened = await openPage();
  page = opened.page;
  pageErrors = opened.errors;
  await page.selectOption("#picker", "rebalance-eager-vs-cooperative.yaml");
  await page.waitForFunction(() => "__kafkasim" in window, null, { timeout: 60_000 });
}, 180_000);

afterAll(async () => {
  await opened?.close();
});

async function seek(us: number): Promise<void> {
  await page.evaluate((t) => (window as unknown as { __kafkasim: Hook }).__kafkasim.seek(t), us);
}

const GROUP = '#panel-clients div.group[data-group="reports"]';

async function lineKinds(): Promise<string[]> {
  return page.$$eval(`${GROUP} path.line`, (paths) =>
    paths.map((p) => p.getAttribute("data-kind") ?? ""),
  );
}

describe("e2e: the Clients panel", () => {
  it("draws the producer and the group's six flowing lines at 10 s", async () => {
    await seek(10_000_000);
    const producer = await page.textContent('#panel-clients tr[data-producer="producer-1"]');
    expect(producer).toContain("producer-1");
    expect(await lineKinds()).toEqual(Array(6).fill("consuming"));
    expect(await page.textContent(`${GROUP} p.group-title`)).toContain("Stable");
  });

  it("shows the eager rebalance as a stop, then three members", async () => {
    let stopped = false;
    for (let t = 20_000_000; t <= 21_000_000 && !stopped; t += 20_000) {
      await seek(t);
      stopped = (await page.getAttribute(GROUP, "data-stopped")) === "true";
    }
    expect(stopped).toBe(true);
    const kinds = await lineKinds();
    expect(kinds.length).toBeGreaterThan(0);
    expect(kinds.every((k) => k === "paused")).toBe(true);
    expect(await page.isVisible(`${GROUP} p.banner`)).toBe(true);
    expect(await page.textContent(`${GROUP} p.banner`)).toContain("STOP");
    await seek(30_000_000);
    expect(await page.$$eval(`${GROUP} g.member`, (m) => m.length)).toBe(3);
    expect(await page.isVisible(`${GROUP} p.banner`)).toBe(false);
  });

  it("scrubbing away and back gives the same panel", async () => {
    await seek(25_000_000);
    const before = await page.innerHTML("#panel-clients");
    await seek(40_000_000);
    expect(await page.innerHTML("#panel-clients")).not.toBe(before);
    await seek(25_000_000);
    expect(await page.innerHTML("#panel-clients")).toBe(before);
    expect(pageErrors).toEqual([]);
  });
});
