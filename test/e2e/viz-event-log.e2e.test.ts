// e2e: the Event log panel in headless Chromium: rows of leader-failover's events with the current
// moment marked; the partition and kind filters; a click on the host.crash row seeks the page to
// the crash (the same traceHash as seeking there through the hook); the sequence diagram; and, on
// isr-broker-stops at its end (~170,000 events), only a window of rows in the DOM, with the time
// a redraw and a refilter take printed (a benchmark, not an assertion).
import { readFileSync } from "node:fs";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Hook, type OpenPage, openPage } from "./support.ts";

const FAILOVER = readFileSync("scenarios/leader-failover.yaml", "utf8");

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

async function hook<K extends "timeUs" | "durationUs">(key: K): Promise<number> {
  return page.evaluate(
    (k) => (window as unknown as { __kafkasim: Hook }).__kafkasim[k as K],
    key as string,
  );
}

const PANEL = "#panel-events";
const ROWS = `${PANEL} .event-row:not([hidden])`;

async function fill(selector: string, value: string): Promise<void> {
  await page.fill(`${PANEL} ${selector}`, value);
}

describe("e2e: the event log panel", () => {
  it("e2e: viz-event-log: rows, the current moment, filters, and a click that seeks", async () => {
    expect(FAILOVER).toContain("crash: 1");
    await page.selectOption("#picker", "leader-failover.yaml");
    await seek(14_000_000);
    const rows = await page.$$eval(ROWS, (rs) => rs.length);
    expect(rows).toBeGreaterThan(5);
    expect(rows).toBeLessThan(40);
    const now = await page.$$eval(`${ROWS}[aria-current=true]`, (rs) =>
      rs.map((r) => r.children[0]?.textContent),
    );
    expect(now.length).toBeGreaterThan(0);
    for (const t of now) expect(t).toBe("▶14.000000 s");

    await fill(".event-partition", "orders-0");
    const fields = await page.$$eval(ROWS, (rs) => rs.map((r) => r.children[3]?.textContent ?? ""));
    expect(fields.length).toBeGreaterThan(0);
    for (const f of fields) expect(f.startsWith("orders-0 ")).toBe(true);
    await fill(".event-partition", "");

    await fill(".event-kind", "host. partition.leader broker.fenced");
    const types = await page.$$eval(ROWS, (rs) => rs.map((r) => r.getAttribute("data-type")));
    expect(types).toContain("host.crash");
    expect(new Set(types)).toEqual(new Set(["host.crash", "partition.leader", "broker.fenced"]));
    await page.click(`${ROWS}[data-type="host.crash"]`);
    expect(await hook("timeUs")).toBe(2_000_000);
    const clicked = await page.evaluate(() =>
      (window as unknown as { __kafkasim: Hook }).__kafkasim.traceHash(),
    );
    expect(await page.$$eval(`${ROWS}[data-look=later]`, (rs) => rs.length)).toBeGreaterThan(0);
    await seek(30_000_000);
    await seek(2_000_000);
    expect(
      await page.evaluate(() => (window as unknown as { __kafkasim: Hook }).__kafkasim.traceHash()),
    ).toBe(clicked);
    await fill(".event-kind", "");
    expect(pageErrors).toEqual([]);
  });

  it("e2e: viz-event-log: the message-sequence diagram draws messages and drops around the crash", async () => {
    await seek(2_010_000);
    await page.click(`${PANEL} details.sequence summary`);
    await page.waitForSelector(`${PANEL} svg.sequence-diagram g.message`);
    const ends = await page.$$eval(`${PANEL} svg.sequence-diagram g.message`, (gs) =>
      gs.map((g) => g.getAttribute("data-end")),
    );
    expect(ends).toContain("dropped");
    expect(ends).toContain("delivered");
    await page.click(`${PANEL} details.sequence summary`);
    expect(pageErrors).toEqual([]);
  });

  it("e2e: viz-event-log: ~170,000 events, only a window of rows in the DOM (timings printed)", async () => {
    await page.selectOption("#picker", "isr-broker-stops.yaml");
    const end = await hook("durationUs");
    const seekMs = await page.evaluate((t) => {
      const start = performance.now();
      (window as unknown as { __kafkasim: Hook }).__kafkasim.seek(t);
      return performance.now() - start;
    }, end);
    const total = await page.$eval(`${PANEL} .event-count`, (c) => c.textContent ?? "");
    const count = Number(total.split(" ")[0]?.replace(/,/g, ""));
    expect(count).toBeGreaterThan(100_000);
    const inDom = await page.$$eval(`${PANEL} .event-row`, (rs) => rs.length);
    expect(inDom).toBeLessThan(60);
    const filterMs = await page.evaluate(() => {
      const input = document.querySelector<HTMLInputElement>("#panel-events .event-kind");
      if (input === null) throw new Error("no kind box");
      const start = performance.now();
      input.value = "-net. -replica.";
      input.dispatchEvent(new Event("input"));
      return performance.now() - start;
    });
    const after = await page.$eval(`${PANEL} .event-count`, (c) => c.textContent ?? "");
    expect(Number(after.split(" ")[0]?.replace(/,/g, ""))).toBeLessThan(count);
    console.log(
      `viz-event-log benchmark: ${count} events; seek to the end (run + every panel) ${seekMs.toFixed(0)} ms; refilter ${filterMs.toFixed(1)} ms; ${inDom} rows in the DOM`,
    );
    expect(pageErrors).toEqual([]);
  });
});
