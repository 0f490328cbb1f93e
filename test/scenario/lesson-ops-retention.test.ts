// scenario: the retention lesson (scenarios/retention-and-segments.yaml) shows what it says:
// segments roll every segment.ms, retention deletes whole closed segments (never past the HW, and
// not the active one while it receives records), the log start moves to a segment's base offset,
// offsets are not renumbered, and the group that comes back below the log start is reset by
// OFFSET_OUT_OF_RANGE + auto.offset.reset=earliest to that log start. The scenario format has no
// log-start expectation, so this test reads the brokers and the trace.
import { describe, expect, it } from "vitest";
import type { TraceEvent } from "../../sim/engine/trace.ts";
import type { PartitionSnapshot } from "../../sim/kafka/broker/replica-manager.ts";
import { parseOverride, type ScenarioOverride } from "../../sim/scenario/load.ts";
import { loadScenarioFile } from "../../sim/scenario/load-file.ts";
import { runScenario } from "../../sim/scenario/runner.ts";

const FILE = "scenarios/retention-and-segments.yaml";

function run(sets: readonly string[] = []) {
  const events: TraceEvent[] = [];
  let replicas: PartitionSnapshot[] = [];
  const overrides = sets.map((text) => parseOverride(text) as ScenarioOverride);
  const scenario = loadScenarioFile(FILE, overrides);
  const report = runScenario(scenario, {
    onTrace: (e) => {
      if (e.type === "log.retention" || e.type.startsWith("consumer.reset")) events.push(e);
    },
    atEnd: ({ kafka }) => {
      replicas = kafka!.cluster
        .brokerSnapshots()
        .flatMap((b) => b.partitions.filter((p) => p.topic === "events"));
    },
  });
  return { report, events, replicas };
}

describe("lesson: retention and segments", () => {
  const { report, events, replicas } = run();

  it("meets its own expectations", () => {
    expect(report.results.expectations.filter((e) => !e.ok)).toEqual([]);
    expect(report.results.ok).toBe(true);
  });

  it("deletes whole segments by retention.ms, and the log start lands on a segment base", () => {
    const deletions = events.filter((e) => e.type === "log.retention" && e.node === "1");
    expect(deletions.length).toBeGreaterThanOrEqual(2);
    for (const d of deletions) expect(d.reason).toBe("retention.ms");
    // Not before the first check (log.initial.task.delay.ms = 30 s).
    expect(deletions[0]!.t).toBeGreaterThanOrEqual(30_000_000);
    const leader = replicas.find((p) => p.role === "leader");
    expect(leader).toBeDefined();
    const start = leader!.logStartOffset;
    expect(start).toBeGreaterThan(0);
    expect(leader!.segments[0]!.baseOffset).toBe(start);
  });

  it("never passes the HW, keeps the active segment, and never renumbers offsets", () => {
    for (const p of replicas) {
      expect(p.logStartOffset).toBeLessThanOrEqual(p.hw);
      // 4000 records were acknowledged: the log still ends at offset 4000.
      expect(p.leo).toBe(4000);
      expect(p.hw).toBe(4000);
      const last = p.segments[p.segments.length - 1]!;
      expect(last.lastOffset).toBe(3999);
    }
  });

  it("resets the returning group from its committed offset to the log start (earliest)", () => {
    const reset = events.find((e) => e.type === "consumer.reset" && e.node === "reporting-2");
    expect(reset).toBeDefined();
    expect(reset!.why).toBe("out-of-range:earliest");
    // The committed offset the group left with (reporting-1 read about 2 s at 100 records/s).
    expect(Number(reset!.from)).toBeGreaterThan(0);
    expect(Number(reset!.from)).toBeLessThan(Number(reset!.to));
    // The dry run at 37 s printed the same offset as the log start the consumer was sent to.
    const dryRun = report.results.cli.find((c) => c.command.includes("--dry-run"));
    expect(dryRun?.output).toContain(` ${reset!.to}\n`);
    // And kafka-get-offsets.sh --time -2 (the earliest offset) printed it at 37 s too.
    const earliest = report.results.cli.find(
      (c) => c.atUs === 37_000_000 && c.command.includes("--time -2"),
    );
    expect(earliest?.output).toBe(`events:0:${reset!.to}\n`);
  });

  it("with auto.offset.reset=latest the group jumps to the end instead", () => {
    const latest = run(["clients.2.config.auto.offset.reset=latest"]);
    const reset = latest.events.find(
      (e) => e.type === "consumer.reset" && e.node === "reporting-2",
    );
    expect(reset?.why).toBe("out-of-range:latest");
    expect(Number(reset!.to)).toBeGreaterThan(Number(reset!.from));
  });
});
