// e2e: the Network panel in the built page (headless Chromium), on leader-failover.yaml: the three
// brokers and messages moving between them; a mouse drag from broker 3 to broker 1 forks the run
// with `cut: { from: 3, to: 1 }` (the text shows it, the lane says "one-way cut 3→1"); a click on
// that lane forks again with `heal: 3` and the lane is gone; no page errors.
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Hook, type OpenPage, openPage, seek } from "./support.ts";

let opened: OpenPage;
let page: Page;

beforeAll(async () => {
  opened = await openPage();
  page = opened.page;
  await page.selectOption("#picker", "leader-failover.yaml");
  await page.waitForFunction(() => "__kafkasim" in window, null, { timeout: 60_000 });
}, 180_000);

afterAll(async () => {
  await opened?.close();
});

const PANEL = "#panel-network";

async function centre(selector: string): Promise<{ x: number; y: number }> {
  const box = await page.locator(selector).boundingBox();
  if (box === null) throw new Error(`${selector} is not drawn`);
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

async function scenario(): Promise<string> {
  return page.evaluate(() => (window as unknown as { __kafkasim: Hook }).__kafkasim.scenario);
}

describe("e2e: the Network panel", () => {
  it("draws the brokers and messages that move while time passes", async () => {
    await seek(page, 1_520_000);
    const nodes = await page.$$eval(`${PANEL} g.net-node`, (gs) =>
      gs.map((g) => g.getAttribute("data-node")),
    );
    expect(nodes).toEqual(["1", "2", "3"]);
    const before = await page.$$eval(`${PANEL} g.msg`, (gs) =>
      gs.map((g) => `${g.getAttribute("data-id")} ${g.getAttribute("transform")}`),
    );
    expect(before.length).toBeGreaterThan(0);
    await seek(page, 1_560_000);
    const after = await page.$$eval(`${PANEL} g.msg`, (gs) =>
      gs.map((g) => `${g.getAttribute("data-id")} ${g.getAttribute("transform")}`),
    );
    expect(after.filter((d) => !before.includes(d)).length).toBeGreaterThan(0);
  });

  it("a drag from broker 3 to broker 1 cuts 3 → 1; a click on the cut heals it", async () => {
    await seek(page, 500_000);
    await page.locator(`${PANEL} svg.network-view`).scrollIntoViewIfNeeded();
    const from = await centre(`${PANEL} g.net-node[data-node="3"] circle`);
    const to = await centre(`${PANEL} g.net-node[data-node="1"] circle`);
    await page.mouse.move(from.x, from.y);
    await page.mouse.down();
    await page.mouse.move(to.x, to.y, { steps: 8 });
    await page.mouse.up();
    await page.waitForSelector(`${PANEL} g.lane[data-link="3→1"]`);
    expect(await scenario()).toContain("cut: { from: 3, to: 1 }");
    expect(await page.textContent(`${PANEL} g.lane[data-link="3→1"] text`)).toBe("one-way cut 3→1");
    await page.locator(`${PANEL} g.lane[data-link="3→1"] line.hit`).click({ force: true });
    await page.waitForFunction(
      (sel) => document.querySelector(sel) === null,
      `${PANEL} g.lane[data-link="3→1"]`,
    );
    expect(await scenario()).toContain("heal: 3");
    expect(opened.errors).toEqual([]);
  });
});
