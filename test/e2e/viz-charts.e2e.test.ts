// e2e: the Charts panel in headless Chromium: on isr-broker-stops it draws five charts with the
// timeline's faults marked, the under-replicated chart shows the stopped broker, the cursor follows
// playback, a seek back redraws the same SVG, and nothing throws. A screenshot of the panel is
// saved to /tmp for a look (not an assertion).
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
}, 180_000);

afterAll(async () => {
  await opened?.close();
});

async function seek(us: number): Promise<void> {
  await page.evaluate((t) => (window as unknown as { __kafkasim: Hook }).__kafkasim.seek(t), us);
}

function chartsSvg(): Promise<string> {
  return page.evaluate(() => document.querySelector("#panel-charts svg.charts")?.outerHTML ?? "");
}

describe("e2e: the charts panel", () => {
  it("draws five charts with faults and the under-replicated partitions of isr-broker-stops", async () => {
    await page.selectOption("#picker", "isr-broker-stops.yaml");
    await page.waitForFunction(
      () => (window as unknown as { __kafkasim: Hook }).__kafkasim.timeUs === 0,
    );
    await seek(20_000_000);
    const ids = await page.$$eval("#panel-charts g.chart", (gs) =>
      gs.map((g) => g.getAttribute("data-id")),
    );
    expect(ids).toEqual(["throughput", "latency", "lag", "urp", "page-cache"]);
    expect(
      await page.locator('#panel-charts g.chart[data-id="urp"] g.fault').count(),
    ).toBeGreaterThan(0);
    const urpPath = await page.getAttribute(
      '#panel-charts path.series[data-name="under-replicated"]',
      "d",
    );
    expect(urpPath ?? "").toMatch(/^M/);
    await page.locator("#panel-charts").screenshot({ path: "/tmp/viz-charts-panel.png" });
    expect(pageErrors).toEqual([]);
  });

  it("a seek back redraws the same SVG; playback moves the cursor", async () => {
    await seek(10_000_000);
    const at10 = await chartsSvg();
    await seek(30_000_000);
    expect(await chartsSvg()).not.toBe(at10);
    await seek(10_000_000);
    expect(await chartsSvg()).toBe(at10);
    const cursor = () =>
      page.getAttribute('#panel-charts g.chart[data-id="throughput"] line.cursor', "x1");
    const before = Number(await cursor());
    await page.evaluate(() => (window as unknown as { __kafkasim: Hook }).__kafkasim.play());
    await page.waitForFunction(
      () => (window as unknown as { __kafkasim: Hook }).__kafkasim.timeUs > 10_300_000,
      null,
      { timeout: 30_000 },
    );
    await page.evaluate(() => (window as unknown as { __kafkasim: Hook }).__kafkasim.pause());
    expect(Number(await cursor())).toBeGreaterThan(before);
    expect(pageErrors).toEqual([]);
  });

  it("burrow-lag: one lag line per group", async () => {
    await page.selectOption("#picker", "burrow-lag.yaml");
    await page.waitForFunction(
      () => (window as unknown as { __kafkasim: Hook }).__kafkasim.timeUs === 0,
    );
    await seek(50_000_000);
    const names = await page.$$eval('#panel-charts g.chart[data-id="lag"] path.series', (ps) =>
      ps.map((p) => p.getAttribute("data-name")),
    );
    expect(names).toEqual([
      "group archiver",
      "group billing",
      "group dashboard",
      "group reporting",
    ]);
    await page.locator("#panel-charts").screenshot({ path: "/tmp/viz-charts-burrow.png" });
    expect(pageErrors).toEqual([]);
  });
});
