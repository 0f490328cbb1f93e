// e2e: the page's quality at 1280×800 and 1024×768 in headless Chromium. A frame-rate benchmark:
// the default scenario (leader-failover) plays at 10× and 100× (restarted whenever it stops at an
// `ask` or at its end, so every frame has work; at 100× a restart, a seek to 0 s, is one of the
// long frames), at the top of the page and scrolled down to the panels, while the page counts animation frames, the wall
// time between them and the script time of each frame; fps, p95 frame time and long frames are
// printed (a benchmark: no rate is asserted), and the page must play without console errors. And
// at 1024×768 no panel overflows horizontally and the controls are on screen and clickable.
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Hook, type OpenPage, openPage, seek } from "./support.ts";

/** What the page measured while playing. */
interface FrameStats {
  frames: number;
  wallMs: number;
  /** Wall ms between consecutive animation frames, in order. */
  deltas: number[];
  /** Script ms of the page's own frame callbacks (playback + every redraw). */
  work: number[];
  /** Virtual µs played. */
  playedUs: number;
  restarts: number;
}

/**
 * Plays the page at `speedLog10` (the speed slider's value) for `ms` wall ms and measures. The
 * page's requestAnimationFrame is wrapped to time each of its frame callbacks; the measuring
 * loop restarts playback whenever it stopped (an `ask`, a `pause`, the end).
 */
async function measure(page: Page, speedLog10: number, ms: number): Promise<FrameStats> {
  await seek(page, 0);
  await page.evaluate((v) => {
    const speed = document.querySelector<HTMLInputElement>("#speed");
    if (speed === null) throw new Error("no #speed");
    speed.value = String(v);
    speed.dispatchEvent(new Event("input"));
  }, speedLog10);
  return page.evaluate(
    (duration) =>
      new Promise<FrameStats>((resolve) => {
        const w = window as unknown as {
          __kafkasim: Hook;
          requestAnimationFrame: typeof requestAnimationFrame;
        };
        const original = w.requestAnimationFrame.bind(window);
        const work: number[] = [];
        let measuring = true;
        w.requestAnimationFrame = (callback) =>
          original((t) => {
            const start = performance.now();
            callback(t);
            if (measuring) work.push(performance.now() - start);
          });
        const deltas: number[] = [];
        let restarts = 0;
        let playedUs = 0;
        let lastUs = w.__kafkasim.timeUs;
        let first: number | undefined;
        let previous: number | undefined;
        const playing = () =>
          document.querySelector("#play")?.getAttribute("aria-label") === "pause";
        w.__kafkasim.play();
        const tick = (t: number): void => {
          const now = w.__kafkasim.timeUs;
          playedUs += Math.max(0, now - lastUs);
          lastUs = now;
          if (previous !== undefined) deltas.push(t - previous);
          previous = t;
          first ??= t;
          if (t - first >= duration) {
            measuring = false;
            w.requestAnimationFrame = original;
            w.__kafkasim.pause();
            resolve({ frames: deltas.length, wallMs: t - first, deltas, work, playedUs, restarts });
            return;
          }
          if (!playing()) {
            restarts++;
            w.__kafkasim.play();
            lastUs = w.__kafkasim.timeUs;
          }
          original(tick);
        };
        original(tick);
      }),
    ms,
  );
}

function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

function summary(name: string, s: FrameStats): string {
  const fps = (s.frames / s.wallMs) * 1000;
  const long = s.deltas.filter((d) => d > 50).length;
  const missed = s.deltas.filter((d) => d > 1.5 * (1000 / 60)).length;
  return (
    `viz-frame-rate benchmark ${name}: ${fps.toFixed(1)} fps over ${(s.wallMs / 1000).toFixed(1)} s ` +
    `(${s.frames} frames; frame time p50 ${percentile(s.deltas, 50).toFixed(1)} ms, ` +
    `p95 ${percentile(s.deltas, 95).toFixed(1)} ms, max ${Math.max(...s.deltas).toFixed(0)} ms; ` +
    `${missed} frames over 25 ms, ${long} over 50 ms); page script per frame p50 ` +
    `${percentile(s.work, 50).toFixed(1)} ms, p95 ${percentile(s.work, 95).toFixed(1)} ms; ` +
    `${(s.playedUs / 1e6).toFixed(1)} virtual s played, ${s.restarts} restarts`
  );
}

describe("e2e: frame rate at 1280×800", () => {
  let opened: OpenPage;
  beforeAll(async () => {
    opened = await openPage({ width: 1280, height: 800 });
  }, 180_000);
  afterAll(async () => {
    await opened?.close();
  });

  it("e2e: viz-frame-rate: the default scenario plays at 10× and 100× without errors (fps printed)", async () => {
    const { page, errors } = opened;
    expect(await page.$eval("#picker", (p) => (p as HTMLSelectElement).value)).toBe(
      "leader-failover.yaml",
    );
    // The top of the page (the cluster view; the panels below are off screen), then with the
    // charts panel scrolled into view (the panels are drawn too).
    for (const [name, log10, scrollTo] of [
      ["10×", 1, null],
      ["100×", 2, null],
      ["10×, scrolled to the charts", 1, "#panel-charts"],
    ] as const) {
      if (scrollTo !== null) await page.locator(scrollTo).scrollIntoViewIfNeeded();
      const stats = await measure(page, log10, 3000);
      console.log(summary(name, stats));
      expect(stats.frames).toBeGreaterThan(0);
      expect(stats.playedUs).toBeGreaterThan(0);
      expect(stats.work.length).toBeGreaterThan(0);
    }
    expect(errors).toEqual([]);
  });
});

/**
 * The elements that reach past the page's width and are not clipped by a scrolling or clipping
 * ancestor that itself fits: each as "tag#id.class" with its right edge, px.
 */
async function overflowing(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const fits = (e: Element) => e.getBoundingClientRect().right <= width + 0.5;
    const clipped = (e: Element): boolean => {
      for (let a = e.parentElement; a !== null && a !== document.body; a = a.parentElement) {
        const x = getComputedStyle(a).overflowX;
        if (x !== "visible" && fits(a)) return true;
      }
      return false;
    };
    const out: string[] = [];
    for (const e of document.body.querySelectorAll("*")) {
      if (e.closest("svg") !== null && e.tagName.toLowerCase() !== "svg") continue;
      const r = e.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      if (r.right <= width + 0.5 || clipped(e)) continue;
      const cls = typeof e.className === "string" && e.className !== "" ? `.${e.className}` : "";
      out.push(
        `${e.tagName.toLowerCase()}${e.id === "" ? "" : `#${e.id}`}${cls} → ${r.right.toFixed(0)}`,
      );
    }
    return out;
  });
}

describe("e2e: usable from 1024 px wide", () => {
  let opened: OpenPage;
  beforeAll(async () => {
    opened = await openPage({ width: 1024, height: 768 });
  }, 180_000);
  afterAll(async () => {
    await opened?.close();
  });

  it("e2e: viz-frame-rate: at 1024×768 nothing overflows sideways and the controls are on screen", async () => {
    const { page, errors } = opened;
    await page.click("#panel-events details.sequence summary");
    await page.selectOption("#panel-events .sequence-window", "1000000");
    // After a failover (every view has content), with the sequence diagram open; acks-compared
    // has six brokers and three producers.
    for (const [file, at] of [
      ["leader-failover.yaml", 14_000_000],
      ["acks-compared.yaml", 21_000_000],
    ] as const) {
      await page.selectOption("#picker", file);
      await seek(page, at);
      await page.waitForSelector("#panel-events svg.sequence-diagram g.message", {
        state: "attached",
      });
      const sizes = await page.evaluate(() => ({
        scrollWidth: document.documentElement.scrollWidth,
        clientWidth: document.documentElement.clientWidth,
      }));
      expect(await overflowing(page), file).toEqual([]);
      // No horizontal scrollbar.
      expect(sizes.scrollWidth, file).toBeLessThanOrEqual(sizes.clientWidth);
      for (const selector of [
        "#picker",
        "#load",
        "#play",
        "#next-step",
        "#speed",
        "#scrubber",
        "#share",
      ]) {
        const box = await page.locator(selector).boundingBox();
        expect(box, selector).not.toBeNull();
        const inside =
          (box?.x ?? -1) >= 0 && (box?.x ?? 0) + (box?.width ?? 0) <= sizes.clientWidth;
        expect(inside, selector).toBe(true);
        await page.click(selector, { trial: true, timeout: 5_000 });
      }
      // The cluster view is scaled to fit, not cut.
      const cluster = await page.locator("#cluster").boundingBox();
      expect((cluster?.x ?? 0) + (cluster?.width ?? Infinity)).toBeLessThanOrEqual(
        sizes.clientWidth,
      );
    }
    expect(errors).toEqual([]);
  });
});
