// scenario: the client lessons of the bundled library (partitions, keys, groups, commits,
// producer retries, Burrow) say in their descriptions what a re-run with `--set` shows; these
// tests run those re-runs and check that the contrast is there, and check the details a lesson's
// own expectations cannot name (each Burrow status; the per-key processing order after adding
// partitions). bundled.test.ts already runs every lesson as written.
import { describe, expect, it } from "vitest";
import type { History } from "../../sim/check/history.ts";
import { parseOverride, type ScenarioOverride } from "../../sim/scenario/load.ts";
import { loadScenarioFile } from "../../sim/scenario/load-file.ts";
import { runScenario } from "../../sim/scenario/runner.ts";

function overrides(sets: readonly string[]): ScenarioOverride[] {
  return sets.map((s) => {
    const o = parseOverride(s);
    if (typeof o === "string") throw new Error(o);
    return o;
  });
}

function run(file: string, sets: readonly string[] = [], untilUs?: number) {
  let history: History | undefined;
  const report = runScenario(loadScenarioFile(`scenarios/${file}`, overrides(sets)), {
    ...(untilUs === undefined ? {} : { untilUs }),
    atEnd: ({ kafka, nowUs }) => {
      // The recorder's history without the final state, which the runner records next.
      history = kafka?.recorder.history(nowUs);
    },
  });
  const r = report.results;
  return {
    results: r,
    history: history!,
    check: (name: string) => r.checks.find((c) => c.name === name)!,
    failed: r.expectations.filter((e) => !e.ok).map((e) => e.what),
  };
}

/** Records per partition of a topic, from the acknowledged sends (one record per send here). */
function recordsPerPartition(history: History, topic: string): Map<number, number> {
  const acked = new Set(history.outcomes.filter((o) => o.outcome === "acked").map((o) => o.sendId));
  const counts = new Map<number, number>();
  for (const s of history.sends) {
    if (s.topic !== topic || !acked.has(s.sendId)) continue;
    counts.set(s.partition, (counts.get(s.partition) ?? 0) + s.count);
  }
  return counts;
}

describe("lesson partitions-and-ordering: keyless records by partitioner era", () => {
  it("4.1 (KIP-794) keeps all eight on one partition", () => {
    const { history, results } = run("partitions-and-ordering.yaml");
    expect([...recordsPerPartition(history, "numbers").values()]).toEqual([8]);
    expect(results.ok).toBe(true);
  });

  it("2.8 (KIP-480) spreads them: a new partition with every batch", () => {
    const { history, failed } = run("partitions-and-ordering.yaml", ["cluster.version=2.8"]);
    const counts = recordsPerPartition(history, "numbers");
    expect(counts.size).toBeGreaterThan(1);
    expect(counts.size).toBeLessThan(8);
    expect(failed.some((w) => w.includes("count-p1"))).toBe(true);
  });

  it("2.3 (round robin) puts exactly one on each partition", () => {
    const { history } = run("partitions-and-ordering.yaml", ["cluster.version=2.3"]);
    const counts = recordsPerPartition(history, "numbers");
    expect([...counts.keys()].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
  });
});

describe("lesson keys-and-partitioning: six partitions map the keys elsewhere", () => {
  it("the count expectations fail with topics.0.partitions=6; per-key order still holds", () => {
    const { failed, check } = run("keys-and-partitioning.yaml", ["topics.0.partitions=6"]);
    expect(failed.length).toBeGreaterThan(0);
    expect(check("order-per-key").holds).toBe(true);
  });
});

describe("lesson adding-partitions: the group processes a moved key out of order", () => {
  const { history, check, results } = run("adding-partitions.yaml");

  it("records of t-3..t-5 written before the reset are skipped", () => {
    expect(results.ok).toBe(true);
    const skipped = check("no-skipped-records");
    expect(skipped.holds).toBe(false);
    expect(skipped.detail).toMatch(/of accounts-[345]/);
  });

  it("for some key, a newer record is processed before an older one, always old p → new p + 3", () => {
    // (partition, offset) → the send (key, sequence) it came from.
    const byOffset = new Map<string, { key: string; seq: number }>();
    const outcome = new Map(history.outcomes.map((o) => [o.sendId, o]));
    for (const s of history.sends) {
      const o = outcome.get(s.sendId);
      if (s.topic !== "accounts" || o?.outcome !== "acked" || o.offset === undefined) continue;
      expect(s.count).toBe(1);
      byOffset.set(`${s.partition}:${o.offset}`, {
        key: s.key!,
        seq: Number(s.sendId.split(":")[1]),
      });
    }
    const newest = new Map<string, { seq: number; partition: number }>();
    const inverted = new Set<string>();
    for (const p of history.polls) {
      for (let off = p.offset; off < p.offset + p.count; off++) {
        const r = byOffset.get(`${p.partition}:${off}`)!;
        const seen = newest.get(r.key);
        if (seen !== undefined && seen.seq > r.seq) {
          expect(seen.partition).toBe(p.partition + 3);
          inverted.add(r.key);
        }
        if (seen === undefined || r.seq > seen.seq)
          newest.set(r.key, { seq: r.seq, partition: p.partition });
      }
    }
    expect(inverted.size).toBeGreaterThan(0);
  });

  it("with auto.offset.reset=earliest nothing is skipped (the description's re-run)", () => {
    const { check } = run("adding-partitions.yaml", [
      "clients.1.config.auto.offset.reset=earliest",
    ]);
    expect(check("no-skipped-records").holds).toBe(true);
  });
});

describe("lesson group-scaling: a fourth partition gives the fourth consumer work", () => {
  it("with topics.0.partitions=4 nothing is idle and the group still loses nothing", () => {
    const { check, results } = run("group-scaling.yaml", ["topics.0.partitions=4"]);
    expect(check("no-skipped-records").holds).toBe(true);
    const at25 = results.cli.find((c) => c.atUs === 25_000_000)!.output;
    const counts = at25
      .split("\n")
      .filter((l) => l.startsWith("billing "))
      .map((l) => l.trim().split(/\s+/)[4]);
    expect(counts).toEqual(["1", "1", "1", "1"]);
  });
});

describe("lesson static-membership: a restart after session.timeout.ms", () => {
  it("the static member is expired and inventory rebalances (generation moves on)", () => {
    const { failed } = run("static-membership.yaml", ["timeline.5.at=58s"]);
    expect(failed.some((w) => w.includes("group inventory") && w.includes("generation is"))).toBe(
      true,
    );
  });
});

describe("lessons auto-commit-duplicates and auto-commit-loss: the re-runs", () => {
  it("a 1 s auto commit interval: this crash repeats nothing", () => {
    const { check } = run("auto-commit-duplicates.yaml", [
      "clients.1.config.auto.commit.interval.ms=1000",
    ]);
    expect(check("no-reprocessing").holds).toBe(true);
    expect(check("no-skipped-records").holds).toBe(true);
  });

  it("the crash after the batch is done: the early commit skips nothing", () => {
    const { check } = run("auto-commit-loss.yaml", ["timeline.5.at=12.6s"]);
    expect(check("no-skipped-records").holds).toBe(true);
  });
});

describe("lesson max-poll-interval: smaller batches stay inside the interval", () => {
  it("max.poll.records=100: no rebalance, nothing processed twice", () => {
    const { check, failed } = run("max-poll-interval.yaml", [
      "clients.1.config.max.poll.records=100",
    ]);
    expect(check("no-reprocessing").holds).toBe(true);
    expect(failed.some((w) => w.includes("generation is 2"))).toBe(true);
  });
});

describe("lessons idempotent-retries and reordering-without-idempotence: the re-runs", () => {
  it("without idempotence the retry writes r1 twice", () => {
    const { check, failed } = run("idempotent-retries.yaml", [
      "clients.0.config.enable.idempotence=false",
    ]);
    expect(check("no-duplicates").holds).toBe(false);
    expect(failed).toContain("at the end: group count-records lag 2; but lag is 3");
  });

  for (const set of [
    "clients.0.config.enable.idempotence=true",
    "clients.0.config.max.in.flight.requests.per.connection=1",
  ]) {
    it(`${set}: r1 stays before r2`, () => {
      const { check } = run("reordering-without-idempotence.yaml", [set]);
      expect(check("order-per-key").holds).toBe(true);
      expect(check("no-duplicates").holds).toBe(true);
    });
  }
});

describe("lesson burrow-lag: each group's status", () => {
  it("at 60 s: archiver STOP, billing STALL (both ERR), reporting WARN, dashboard OK", () => {
    const lag = run("burrow-lag.yaml").check("lag-ok");
    expect(lag.holds).toBe(false);
    expect(lag.detail).toContain("group archiver is ERR: clicks-0 STOP");
    expect(lag.detail).toContain("group billing is ERR: clicks-0 STALL");
    expect(lag.detail).toContain("group reporting is WARN: clicks-0 WARN");
    expect(lag.detail).toContain("dashboard OK");
  });

  it("at 30 s (--until 30s): only reporting is flagged", () => {
    const lag = run("burrow-lag.yaml", [], 30_000_000).check("lag-ok");
    expect(lag.detail).toMatch(/^1 lagging group: group reporting is WARN/);
    expect(lag.detail).toContain("archiver OK");
    expect(lag.detail).toContain("billing OK");
  });
});
