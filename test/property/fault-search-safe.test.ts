/**
 * The fault search's "holds" properties, on a small budget for `npm test` (CI runs the big
 * budgets through `kafkasim check` with workers, see .ci/run):
 * - `safe`: acks=all, RF 3, min.insync.replicas=2, no unclean election, idempotence on, one fault at
 *   a time with recovery in between: no lost acknowledged write, no duplicate, order kept, no
 *   divergence, and convergence after the last fault.
 * - `exactly-once`: one or two exactly_once_v2 stream processors, one broker crash or client kill
 *   at a time: every input's effect is in the committed output exactly once (issue #8).
 * - `simulator-sound`: every shape, setting and fault schedule; the simulator never throws, never
 *   breaks an invariant, never hits its event bound.
 *
 * A failure prints the run index, the case and the broken guarantees; replay it with
 * `kafkasim check --property NAME --seed S --runs <index+1>`. FS_SEED and FS_RUNS change the search.
 */
import { describe, expect, it } from "vitest";
import { describeCase } from "../../sim/search/case.ts";
import { caseAt, resolveSearch, searchIndices } from "../../sim/search/search.ts";

const SEED = Number(process.env.FS_SEED ?? 20_261_207);
const RUNS = Number(process.env.FS_RUNS ?? 12);
console.log(`fault-search-safe: seed=${SEED} runs=${RUNS}`);

function holds(property: string, durationUs: number): void {
  const search = resolveSearch({ property, config: {}, seed: SEED, runs: RUNS, durationUs });
  const result = searchIndices(
    search,
    Array.from({ length: RUNS }, (_, i) => i),
  );
  const f = result.failing;
  const why =
    f === undefined
      ? ""
      : `run ${f.index} (seed ${SEED}) broke ${property}:\n` +
        f.verdict.broken.map((b) => `  ${b.what}: ${b.detail}`).join("\n") +
        `\n${describeCase(caseAt(search, f.index))}`;
  expect(f, why).toBeUndefined();
  expect(result.runsDone).toBe(RUNS);
}

describe("fault search: properties that hold", () => {
  it("safe settings under one fault at a time", { timeout: 600_000 }, () => {
    holds("safe", 60_000_000);
  });

  it("exactly_once_v2 stream processors under one broker crash or client kill at a time", {
    timeout: 600_000,
  }, () => {
    holds("exactly-once", 40_000_000);
  });

  it("the simulator is sound under any schedule", { timeout: 600_000 }, () => {
    holds("simulator-sound", 30_000_000);
  });
});
