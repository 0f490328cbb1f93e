/**
 * The fault search benchmark (issue #7's figures): runs per second of the `simulator-sound` search
 * (any settings, version and faults; the one CI runs 8,000 times) pinned to 3 brokers with 10
 * virtual seconds per run (the properties that judge the outcome need 30 s runs, so a recovery
 * can finish before the end), on one thread (the CLI runs one worker per core, so a
 * 2-core machine gets about twice this), and the time to shrink the acks=1 counterexample.
 *
 * The runs are those of a real search (seed 1): shapes, workloads and faults vary from run to run,
 * so the figure is an average over the search's own mix, after a warm-up of a few runs (JIT). The
 * shrink is of the lowest failing run of `--property no-lost-acked-writes --config acks=1` from
 * seed 1 with 60 s runs, bounded at 60 shrink runs; its figure includes the search that finds it.
 */
import { availableParallelism } from "node:os";
import { resolveSearch, runIndex, searchIndices, shrinkIndex } from "../sim/search/search.ts";
import type { BenchContext, BenchResult } from "./run.ts";

export function searchBench(ctx: BenchContext): BenchResult {
  const runs = ctx.short ? 10 : 120;
  const warmup = ctx.short ? 2 : 10;
  const search = resolveSearch({
    property: "simulator-sound",
    config: {},
    seed: 1,
    runs: warmup + runs,
    durationUs: 10_000_000,
    brokers: 3,
  });
  for (let i = 0; i < warmup; i++) runIndex(search, i);
  let events = 0;
  let failed = 0;
  const ms = ctx.timeMs(() => {
    for (let i = warmup; i < warmup + runs; i++) {
      const o = runIndex(search, i);
      events += o.verdict.report?.results.events ?? 0;
      if (!o.verdict.holds) failed++;
    }
  });
  const runsPerSec = (runs * 1000) / ms;
  const cores = availableParallelism();
  const result: Record<string, number | string | boolean> = {
    runs,
    runsPerSecOneThread: Math.round(runsPerSec * 10) / 10,
    cores,
    runsPerSecAllCoresEstimate: Math.round(runsPerSec * cores * 10) / 10,
    goalRunsPerSec: 50,
    meanEventsPerRun: Math.round(events / runs),
    failedRuns: failed,
  };
  if (!ctx.short) {
    const acks1 = resolveSearch({
      property: "no-lost-acked-writes",
      config: { acks: "1" },
      seed: 1,
      runs: 100,
      durationUs: 60_000_000,
    });
    let index = -1;
    let shrinkRuns = 0;
    const findMs = ctx.timeMs(() => {
      index =
        searchIndices(
          acks1,
          Array.from({ length: 100 }, (_, i) => i),
        ).failing?.index ?? -1;
    });
    const shrinkMs =
      index < 0
        ? Number.NaN
        : ctx.timeMs(() => {
            shrinkRuns = shrinkIndex(acks1, index, 60).runs;
          });
    result.acks1FoundAtRun = index;
    result.acks1FindSeconds = Math.round(findMs / 100) / 10;
    result.acks1ShrinkSeconds = Math.round(shrinkMs / 100) / 10;
    result.acks1ShrinkRuns = shrinkRuns;
  }
  return result;
}
