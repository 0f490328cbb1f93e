// e2e: the viz: the built page in headless Chromium draws the cluster of leader-failover, shows
// the new leader after the failover, crashes a broker on a click (and the click lands in the
// scenario text), and gives the same DOM text when scrubbed back and forth.
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

/** Seeks through the hook and returns the wall time it took in the page, ms (a benchmark). */
async function timedSeek(us: number): Promise<number> {
  return page.evaluate((t) => {
    const start = performance.now();
    (window as unknown as { __kafkasim: Hook }).__kafkasim.seek(t);
    return performance.now() - start;
  }, us);
}

async function hookValue<K extends "scenario" | "timeUs" | "durationUs">(key: K): Promise<Hook[K]> {
  const value = await page.evaluate(
    (k) => (window as unknown as { __kafkasim: Hook }).__kafkasim[k as K],
    key as string,
  );
  return value as Hook[K];
}

describe("e2e: the viz", () => {
  it("e2e: viz: the picker lists the bundled scenarios and leader-failover opens at 0 s, one box per broker", async () => {
    const options = await page.$$eval("#picker option", (os) => os.map((o) => o.textContent));
    expect(options).toContain("leader-failover.yaml");
    expect(options).toContain("quickstart.yaml");
    await page.selectOption("#picker", "leader-failover.yaml");
    expect(await hookValue("timeUs")).toBe(0);
    await seek(1_000_000);
    const nodes = await page.$$eval("#cluster g.node", (gs) =>
      gs.map((g) => `${g.getAttribute("data-node")}:${g.getAttribute("data-state")}`),
    );
    expect(nodes).toEqual(["1:up", "2:up", "3:up"]);
    expect(await page.$$eval("#cluster g.node[data-active-controller=true]", (g) => g.length)).toBe(
      1,
    );
    // One bar per replica: 3 partitions × 3 replicas.
    expect(await page.$$eval("#cluster g.replica", (g) => g.length)).toBe(9);
    expect(
      await page.getAttribute('#cluster g.partition[data-partition="orders-0"]', "data-leader"),
    ).toBe("1");
    expect(
      await page.$$eval("#timeline g.marker", (m) => m.map((x) => x.getAttribute("data-kind"))),
    ).toEqual(expect.arrayContaining(["ask", "fault", "say"]));
    expect(pageErrors).toEqual([]);
  });

  it("e2e: viz: past the failover, the DOM shows broker 2 leading orders-0 with an ISR without broker 1", async () => {
    await seek(14_000_000);
    const row = '#cluster g.partition[data-partition="orders-0"]';
    expect(await page.getAttribute(row, "data-leader")).toBe("2");
    expect(await page.textContent(`${row} text.ptitle`)).toContain("ISR [2,3]");
    expect(await page.getAttribute(`${row} g.replica[data-broker="2"]`, "data-leader")).toBe(
      "true",
    );
    expect(await page.getAttribute(`${row} g.replica[data-broker="1"]`, "data-membership")).toBe(
      "out of ISR",
    );
    expect(await page.getAttribute('#cluster g.node[data-node="1"]', "data-state")).toBe("crashed");
    expect(await page.textContent("#ask")).toContain("Broker 1 is about to crash");
    expect(await page.isVisible("#answer")).toBe(false);
    await page.click("#reveal");
    expect(await page.textContent("#answer")).toContain("broker.session.timeout.ms");
  });

  it("e2e: viz: scrubbing back and forth gives identical DOM text", async () => {
    const text = () =>
      page.evaluate(
        () =>
          document.getElementById("cluster")!.textContent +
          document.getElementById("story")!.textContent,
      );
    await seek(12_000_000);
    const first = await text();
    const hash = await page.evaluate(() =>
      (window as unknown as { __kafkasim: Hook }).__kafkasim.traceHash(),
    );
    await seek(30_000_000);
    expect(await text()).not.toBe(first);
    await seek(3_000_000);
    // The scrubber, as a user drags it: its value changes and it fires `input`.
    await page.$eval("#scrubber", (el) => {
      const input = el as HTMLInputElement;
      input.value = "12000000";
      input.dispatchEvent(new Event("input", { bubbles: true }));
    });
    expect(await hookValue("timeUs")).toBe(12_000_000);
    expect(await text()).toBe(first);
    expect(
      await page.evaluate(() => (window as unknown as { __kafkasim: Hook }).__kafkasim.traceHash()),
    ).toBe(hash);
  });

  it("e2e: viz: clicking broker 3 crashes it; the action joins the scenario text, which replays", async () => {
    await seek(20_000_000);
    const box = '#cluster g.node[data-node="3"]';
    expect(await page.getAttribute(box, "data-state")).toBe("up");
    await page.click(box);
    expect(await page.getAttribute(box, "data-state")).toBe("crashed");
    expect(await page.textContent(`${box} text.state`)).toBe("process crashed");
    expect(await hookValue("timeUs")).toBe(20_000_000);
    const text = await hookValue("scenario");
    expect(text).toContain("\n  - at: 20000ms\n    crash: 3\n");
    // Only the action was added: the rest of the text is as written.
    expect(text.replace("\n  - at: 20000ms\n    crash: 3", "")).toBe(FAILOVER);
    expect(await page.inputValue("#scenario")).toBe(text);
    // Later, the partitions broker 3 led have moved away from it.
    await seek(35_000_000);
    const leaders = await page.$$eval("#cluster g.partition", (ps) =>
      ps.map((p) => p.getAttribute("data-leader")),
    );
    expect(leaders).not.toContain("3");
    // Click again: a restart.
    await seek(36_000_000);
    await page.click(box);
    expect(await hookValue("scenario")).toContain("restart: 3");
    expect(pageErrors).toEqual([]);
  });

  it("e2e: viz: keyboard: space plays, [ and ] change the speed, ? shows the help", async () => {
    await page.selectOption("#picker", "leader-failover.yaml");
    await page.click("h1");
    await page.keyboard.press("]");
    await page.keyboard.press("]");
    expect(await page.textContent("#speed-label")).toBe("4.0×");
    await page.keyboard.press("[");
    expect(await page.textContent("#speed-label")).toBe("2.0×");
    await page.keyboard.press("?");
    expect(await page.isVisible("#help")).toBe(true);
    await page.keyboard.press("ArrowRight");
    expect(await hookValue("timeUs")).toBe(100_000);
    await page.keyboard.press(" ");
    // Playback stops by itself at the ask step at 2 s.
    await page.waitForFunction(
      () => (window as unknown as { __kafkasim: Hook }).__kafkasim.timeUs >= 2_000_000,
      null,
      { timeout: 30_000 },
    );
    expect(await hookValue("timeUs")).toBe(2_000_000);
    expect(await page.textContent("#play")).toContain("Play");
    expect(pageErrors).toEqual([]);
  });

  it("e2e: viz: acks-compared marks the records broker 1 truncated, only after it rejoined", async () => {
    await page.selectOption("#picker", "acks-compared.yaml");
    await seek(19_000_000);
    // (The legend names the mark; a mark itself carries its offsets.)
    expect(await page.locator("#cluster").textContent()).not.toMatch(/✂ truncated \d/);
    await seek(30_000_000);
    const text = (await page.locator("#cluster").textContent()) ?? "";
    expect(text).toMatch(/✂ truncated \d+–\d+ \(\d+ records, diverging\) at 20\.\d+ s/);
    expect(pageErrors).toEqual([]);
  });

  it("e2e: viz: every bundled scenario opens, draws and seeks to its end and back without page errors", async () => {
    const files = await page.$$eval("#picker option", (os) =>
      os.map((o) => (o as HTMLOptionElement).value).filter((v) => v !== ""),
    );
    expect(files.length).toBeGreaterThan(20);
    // A benchmark, printed, not asserted: wall time of a seek to the end (from 0) and of a seek
    // back to the middle (a replay from 0), drawing included.
    const timings: string[] = [];
    for (const file of files) {
      await page.selectOption("#picker", file);
      const duration = await hookValue("durationUs");
      const toEndMs = await timedSeek(duration);
      expect(await hookValue("timeUs"), file).toBe(duration);
      expect(await page.textContent("#report"), file).toContain("traceHash");
      const backMs = await timedSeek(Math.floor(duration / 2));
      expect(await hookValue("timeUs"), file).toBe(Math.floor(duration / 2));
      expect(await page.isVisible("#error"), file).toBe(false);
      timings.push(
        `${file.padEnd(40)} to end ${toEndMs.toFixed(0).padStart(6)} ms   back to the middle ${backMs.toFixed(0).padStart(6)} ms`,
      );
    }
    console.log(`viz seek times (benchmark, headless Chromium):\n${timings.join("\n")}`);
    expect(pageErrors).toEqual([]);
  });

  it("e2e: viz: n steps to the next narrative or fault step; a share link reopens the same moment", async () => {
    await page.selectOption("#picker", "leader-failover.yaml");
    await page.click("#next-step");
    expect(await hookValue("timeUs")).toBe(2_000_000);
    await page.click("h1");
    await page.keyboard.press("n");
    expect(await hookValue("timeUs")).toBe(15_000_000);
    await page.click("#share");
    const url = page.url();
    expect(url).toContain("#file=leader-failover.yaml");
    expect(url).toContain("t=15000000");
    const hash = await page.evaluate(() =>
      (window as unknown as { __kafkasim: Hook }).__kafkasim.traceHash(),
    );
    const other = await opened.browser.newPage();
    await other.goto(url);
    await other.waitForFunction(() => "__kafkasim" in window);
    const there = await other.evaluate(() => {
      const k = (window as unknown as { __kafkasim: Hook }).__kafkasim;
      return { timeUs: k.timeUs, hash: k.traceHash() };
    });
    expect(there).toEqual({ timeUs: 15_000_000, hash });
    await other.close();
    expect(pageErrors).toEqual([]);
  });
});
