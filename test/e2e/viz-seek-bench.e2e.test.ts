// e2e: the seek benchmark: for bundled scenarios (a sample by default, all with SEEK_BENCH=all), in headless Chromium, the wall time of the
// same seeks (to the end, back to the middle, further back, forward, back near 0) before any
// checkpoint is built and once they all are, printed (a benchmark, not asserted); and asserted:
// each seek through checkpoints lands on exactly the state (the whole `state()`, traceHash
// included) that the replay from 0 gave, with no page errors.
import { readdirSync } from "node:fs";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type OpenPage, openPage } from "./support.ts";

/**
 * Every bundled scenario takes about 4.5 minutes; by default (and in CI) four representative
 * ones: a failover, the acks lesson (among the slowest to replay), a run with a dense burst of
 * events, and a network split. SEEK_BENCH=all runs them all.
 */
const SAMPLE = [
  "leader-failover.yaml",
  "acks-compared.yaml",
  "zero-copy-vs-tls.yaml",
  "isolated-leader-acks1.yaml",
];
const FILES = readdirSync("scenarios")
  .filter((f) => f.endsWith(".yaml"))
  .filter((f) => process.env.SEEK_BENCH === "all" || SAMPLE.includes(f))
  .sort();

/** Seek targets, as fractions of the duration, in this order. */
const PLAN = [1, 0.5, 0.25, 0.75, 0.6, 0.1] as const;

interface Checkpoints {
  setEnabled(on: boolean): void;
  buildAll(): number;
  status():
    | { gapEvents: number; checkpoints: unknown[]; pending: boolean; lastSeekEvents: number }
    | undefined;
}

interface SeekResult {
  /** The simulation's part of the seek, ms. */
  readonly ms: number;
  /** Drawing the page after it, ms. */
  readonly drawMs: number;
  readonly timeUs: number;
  /** Events replayed by the seek. */
  readonly events: number;
  /** The state after the seek, as JSON (compared in the page, not sent back). */
  readonly same: boolean | null;
}

let opened: OpenPage;
let page: Page;
const lines: string[] = [];

beforeAll(async () => {
  opened = await openPage();
  page = opened.page;
}, 180_000);

afterAll(async () => {
  if (lines.length > 0) {
    console.log(
      "viz seek times (benchmark, headless Chromium): per seek, simulation ms + drawing ms;\n" +
        "worst: the slowest simulation part after the first seek (to the end, from 0)\n" +
        `  seeks: ${PLAN.map((f) => `${f * 100}%`).join(" → ")}\n${lines.join("\n")}`,
    );
  }
  await opened?.close();
});

/**
 * Seeks to `us` and times it in the page; keeps the state under `key` (`record`) or compares the
 * state with the one kept (`compare`).
 */
async function timedSeek(us: number, key: string, mode: "record" | "compare"): Promise<SeekResult> {
  return page.evaluate(
    ({ t, key, mode }) => {
      const w = window as unknown as {
        __kafkasim: { timeUs: number; state(): unknown };
        __kafkasimCheckpoints: {
          status(): { lastSeekEvents: number } | undefined;
          timedSeek(us: number): { seekMs: number; drawMs: number };
        };
        __benchStates?: Map<string, string>;
      };
      w.__benchStates ??= new Map();
      const { seekMs: ms, drawMs } = w.__kafkasimCheckpoints.timedSeek(t);
      const state = JSON.stringify(w.__kafkasim.state());
      let same: boolean | null = null;
      if (mode === "record") w.__benchStates.set(key, state);
      else same = w.__benchStates.get(key) === state;
      const events = w.__kafkasimCheckpoints.status()?.lastSeekEvents ?? -1;
      return { ms, drawMs, timeUs: w.__kafkasim.timeUs, events, same };
    },
    { t: us, key, mode },
  );
}

type CheckpointStatus = ReturnType<Checkpoints["status"]>;

/** The page's checkpoint handle (viz/main.ts): building on or off, build all, the pool. */
function setBuilding(on: boolean): Promise<void> {
  return page.evaluate(
    (v) =>
      (
        window as unknown as { __kafkasimCheckpoints: Checkpoints }
      ).__kafkasimCheckpoints.setEnabled(v),
    on,
  );
}

function buildAll(): Promise<number> {
  return page.evaluate(() =>
    (window as unknown as { __kafkasimCheckpoints: Checkpoints }).__kafkasimCheckpoints.buildAll(),
  );
}

function status(): Promise<CheckpointStatus> {
  return page.evaluate(() =>
    (window as unknown as { __kafkasimCheckpoints: Checkpoints }).__kafkasimCheckpoints.status(),
  );
}

/** Chromium's used JS heap, MB (performance.memory, not standard; noisy: no GC is forced). */
function heapMb(): Promise<number> {
  return page.evaluate(
    () =>
      ((performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ??
        0) / 1e6,
  );
}

function pad(ms: number): string {
  return ms.toFixed(0).padStart(5);
}

describe("e2e: viz: seek benchmark (checkpoints)", () => {
  it.each(FILES)(
    "%s: seeks through checkpoints land on the replay's states; times printed",
    async (file) => {
      await setBuilding(false);
      await page.selectOption("#picker", file);
      const duration = await page.evaluate(
        () => (window as unknown as { __kafkasim: { durationUs: number } }).__kafkasim.durationUs,
      );
      const targets = PLAN.map((f) => Math.floor(f * duration));
      // Before: no checkpoint, every seek backwards replays from 0.
      const before: SeekResult[] = [];
      for (const [i, t] of targets.entries())
        before.push(await timedSeek(t, `${file}#${i}`, "record"));
      expect(before.map((r) => r.timeUs)).toEqual(targets);
      // Build every checkpoint at once (what idle time does, in slices).
      const heapBefore = await heapMb();
      const buildStart = Date.now();
      await buildAll();
      const buildMs = Date.now() - buildStart;
      const heapBuilt = await heapMb();
      const built = await status();
      expect(built?.pending).toBe(false);
      // After: the same seeks, the pool refilled between two of them.
      const after: SeekResult[] = [];
      for (const [i, t] of targets.entries()) {
        after.push(await timedSeek(t, `${file}#${i}`, "compare"));
        await buildAll();
      }
      expect(after.map((r) => r.timeUs)).toEqual(targets);
      expect(
        after.map((r) => r.same),
        file,
      ).toEqual(targets.map(() => true));
      expect(await page.isVisible("#error"), file).toBe(false);
      expect(opened.errors).toEqual([]);
      const worst = (rs: SeekResult[]) => Math.max(...rs.slice(1).map((r) => r.ms));
      const row = (rs: SeekResult[]) =>
        rs.map((r) => `${pad(r.ms)}+${r.drawMs.toFixed(0).padEnd(4)}`).join("");
      lines.push(
        `${file.padEnd(38)} before ${row(before)} worst ${pad(worst(before))}\n` +
          `${"".padEnd(38)} after  ${row(after)} worst ${pad(worst(after))}  ` +
          `(${built?.checkpoints.length ?? 0} checkpoints, gap ${built?.gapEvents ?? 0} events, ` +
          `most replayed ${Math.max(...after.slice(1).map((r) => r.events))}; built in ${(buildMs / 1000).toFixed(1)} s; ` +
          `JS heap ${heapBefore.toFixed(0)} → ${heapBuilt.toFixed(0)} MB)`,
      );
      await setBuilding(true);
    },
    600_000,
  );
});
