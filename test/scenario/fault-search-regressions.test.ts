/**
 * The fault search's regression corpus (test/regressions/*.yaml): every counterexample found once
 * is kept as a scenario file with its verdict line, and replayed here.
 *
 * - A counterexample to a property under unsafe settings (acks=1, ...) must break exactly the
 *   guarantees its verdict line lists, `kafkasim run` must accept it (its `expect` says the
 *   checker does not hold), and two replays give the same traceHash.
 * - A run that once exposed a simulator bug (verdict `broken=` empty) must now hold.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { verdictLineOf } from "../../sim/search/counterexample.ts";
import { judgeText } from "../../sim/search/judge.ts";
import { propertyNamed } from "../../sim/search/properties.ts";

const DIR = join(import.meta.dirname, "..", "regressions");
const FILES = readdirSync(DIR)
  .filter((f) => f.endsWith(".yaml"))
  .sort();

describe("fault-search regressions", () => {
  it("the corpus is not empty", () => {
    expect(FILES.length).toBeGreaterThan(0);
  });

  for (const file of FILES) {
    it(file, { timeout: 120_000 }, () => {
      const text = readFileSync(join(DIR, file), "utf8");
      const line = verdictLineOf(text);
      expect(line, `${file} has no "# kafkasim-verdict:" line`).toBeDefined();
      const property = propertyNamed(line!.property);
      const first = judgeText(property, text, file);
      const broken = [...new Set(first.broken.map((b) => b.what))].sort();
      expect(broken, first.broken.map((b) => `${b.what}: ${b.detail}`).join("\n")).toEqual(
        [...line!.broken].sort(),
      );
      // The file's own expectations agree (what `kafkasim run FILE` exits with).
      expect(first.report?.results.ok).toBe(true);
      if (line!.broken.length > 0) {
        const again = judgeText(property, text, file);
        expect(again.report?.results.traceHash).toBe(first.report?.results.traceHash);
      }
    });
  }
});
