// scenario: the page-cache lesson (scenarios/page-cache-hot-vs-cold.yaml) shows what it says: the
// tailing group's fetches all hit the broker's page cache, the group that starts from offset 0 at
// 30 s misses (its old data was evicted from the 64 MiB cache) and so catches up more slowly than
// with a cache big enough for the whole log. The scenario format has no page-cache expectations, so
// this test reads the broker host's page-cache counters and the lesson's own tool output.
import { describe, expect, it } from "vitest";
import type { PageCacheStats } from "../../sim/infra/page-cache.ts";
import { parseOverride, type ScenarioOverride } from "../../sim/scenario/load.ts";
import { loadScenarioFile } from "../../sim/scenario/load-file.ts";
import { runScenario } from "../../sim/scenario/runner.ts";

const FILE = "scenarios/page-cache-hot-vs-cold.yaml";
const S = 1_000_000;
const MB = 1_000_000;

function run(untilUs: number, sets: readonly string[] = []) {
  const overrides = sets.map((t) => parseOverride(t) as ScenarioOverride);
  let stats: PageCacheStats | undefined;
  const report = runScenario(loadScenarioFile(FILE, overrides), {
    untilUs,
    atEnd: ({ kafka }) => {
      stats = { ...kafka!.cluster.hosts.get("1")!.pageCache.stats };
    },
  });
  return { report, stats: stats! };
}

/** The LAG column of `group`'s row in the output of the tool that ran at `atUs`. */
function lagAt(report: ReturnType<typeof run>["report"], atUs: number, group: string): number {
  const out = report.results.cli.find((c) => c.atUs === atUs)?.output ?? "";
  const row = out.split("\n").find((l) => l.startsWith(`${group} `));
  expect(row).toBeDefined();
  return Number(row!.trim().split(/\s+/)[5]);
}

describe("lesson: page cache, hot tail vs cold catch-up", () => {
  const beforeBackfill = run(29.9 * S);
  const small = run(45 * S);
  const big = run(45 * S, ["cluster.hardware.memory=1GiB"]);

  it("meets its own expectations", () => {
    expect(small.report.results.ok).toBe(true);
  });

  it("serves the tailing group from the cache: every byte asked for is a hit", () => {
    // live-1 alone has read by 29.9 s: about 110 MB of fetches, none of which waited for the disk.
    expect(beforeBackfill.stats.hitBytes).toBeGreaterThan(100 * MB);
    expect(beforeBackfill.stats.missBytes).toBe(0);
    // The cache is full and has been evicting the oldest (written-back) pages.
    expect(beforeBackfill.stats.evictedBytes).toBeGreaterThan(0);
  });

  it("makes the group that starts from offset 0 read evicted data from the disk", () => {
    expect(small.stats.missBytes).toBeGreaterThan(30 * MB);
  });

  it("with a cache that holds the whole log, the catch-up misses nothing", () => {
    expect(big.stats.missBytes).toBe(0);
    expect(big.stats.evictedBytes).toBe(0);
  });

  it("the cold catch-up is slower: more lag at 34 s than with the big cache", () => {
    const cold = lagAt(small.report, 34 * S, "backfill");
    const hot = lagAt(big.report, 34 * S, "backfill");
    expect(cold).toBeGreaterThan(5 * hot);
  });
});
