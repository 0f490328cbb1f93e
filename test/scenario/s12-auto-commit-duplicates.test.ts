// scenario S12 (reference §10): auto commit gives duplicates after a consumer crash. The only
// active member processes each 500-record poll in 4.75 s (9.5 ms a record); a poll first
// auto-commits the positions of the records earlier polls returned once auto.commit.interval.ms
// (5 s) has passed since the last commit. Timeline (hand-derived; the group forms at ≈0.5 s):
//   0.50 s poll → 0..499 · 5.25 s commit 500, poll → 500..999 · 10.00 s poll → 1000..1499 (no
//   commit: 5.25 + 5 > 10.00) · 14.75 s commit 1500, poll → 1500..1999, processed by 19.50 s ·
//   19.50 s poll → 2000..2499 (no commit before 19.75 s) · 21 s: killed mid-batch.
// The coordinator expires the member after session.timeout.ms (45 s); the idle second member then
// gets p0 from the committed 1500 and processes 1500..1999 again (at-least-once); 2000..2499 had
// been delivered to consumer-1 but not processed, so they are not duplicates. kafka-consumer-groups
// shows CURRENT-OFFSET 1500 in between. Differs from the reference in setup only: the second member
// is in the group from the start (idle: one partition), and offsets 0..999 are read first instead
// of starting from an existing commit. The history records a poll when its processing completes.
import { describe, expect, it } from "vitest";
import type { TraceEvent } from "../../sim/engine/trace.ts";
import { parseScenarioText } from "../../sim/scenario/load.ts";
import { runScenario } from "../../sim/scenario/runner.ts";

const S = 1_000_000;

const CONSUMER = (id: string) => `  - id: ${id}
    type: consumer
    group: g
    subscribe: [t]
    processing-time: 9500us
    config: { auto.offset.reset: earliest, max.poll.records: 500, auto.commit.interval.ms: 5000 }`;

// group.initial.rebalance.delay.ms=0 lets the group form within a second, well before the first
// auto-commit deadline (5 s after the consumer starts), so no commit timer runs out mid-join.
const TEXT = `version: 1
name: s12-auto-commit-duplicates
duration: 90s
cluster: { version: "4.1", brokers: 3, config: { group.initial.rebalance.delay.ms: 0 } }
topics:
  - { name: t, partitions: 1, replication-factor: 3 }
clients:
  - id: producer-1
    type: producer
    workload: { topic: t, rate: 20000/s, value-size: 100B, count: 3000 }
${CONSUMER("consumer-1")}
${CONSUMER("consumer-2")}
timeline:
  - { at: 21s, kill: consumer-1 }
  - { at: 40s, cli: "kafka-consumer-groups.sh --bootstrap-server localhost:9092 --describe --group g" }
expect:
  - check: no-reprocessing
    holds: false
  - check: no-skipped-records
`;

describe("scenario S12: auto commit, duplicates after a consumer crash", () => {
  const trace: TraceEvent[] = [];
  const r = runScenario(parseScenarioText(TEXT, "s12.yaml"), {
    seed: 1,
    onTrace: (e) => {
      if (e.type === "consumer.poll" || e.type === "consumer.commit") trace.push(e);
    },
  });
  const polls = trace.filter((e) => e.type === "consumer.poll");
  const commits = trace.filter((e) => e.type === "consumer.commit");

  it("1500..1999 are delivered to consumer-1, then again to consumer-2: at-least-once", () => {
    expect(polls.map((e) => [e.node, e.slices])).toEqual([
      ["consumer-1", "t-0@0+500"],
      ["consumer-1", "t-0@500+500"],
      ["consumer-1", "t-0@1000+500"],
      ["consumer-1", "t-0@1500+500"],
      ["consumer-1", "t-0@2000+500"],
      ["consumer-2", "t-0@1500+500"],
      ["consumer-2", "t-0@2000+500"],
      ["consumer-2", "t-0@2500+500"],
    ]);
    // The poll that returned 1500..1999 came 4 × 4.75 s after the first (processing time only).
    expect(polls[3]!.t - polls[0]!.t).toBe(3 * 4_750_000);
    // consumer-1's commits: 500 at 5.25 s and 1500 at 14.75 s, both inside a poll.
    const own = commits.filter((e) => e.node === "consumer-1");
    expect(own.map((e) => [e.kind, e.offsets, e.error])).toEqual([
      ["auto", "t-0=500", "NONE"],
      ["auto", "t-0=1500", "NONE"],
    ]);
    expect(own[1]!.t - polls[3]!.t).toBeLessThan(S); // the commit answer of that poll
  });

  it("the checkers judge it: no-reprocessing is violated (500 records), nothing is skipped", () => {
    const reprocessing = r.results.checks.find((c) => c.name === "no-reprocessing")!;
    expect(reprocessing.holds).toBe(false);
    // Counted per producer batch (origin): the first starts at 1500; 500 offsets in all.
    expect(reprocessing.detail).toMatch(/ repeated deliveries: offsets 1500-\d+ of t-0 /);
    expect(reprocessing.detail).toContain("last commit before it was offset 1500 by consumer-1");
    expect(reprocessing.detail).toMatch(
      /\(1 group partition judged; 500 offsets delivered again\)$/,
    );
    expect(r.results.checks.find((c) => c.name === "no-skipped-records")?.holds).toBe(true);
    expect(r.results.ok).toBe(true);
  });

  it("p0 makes no progress for about session.timeout.ms (45 s) after the crash", () => {
    // The coordinator counts 45 s from the member's last heartbeat (at most one
    // heartbeat.interval.ms = 3 s before the crash); the survivor hears of the rebalance on its
    // next heartbeat (up to 3 s later). So the gap lies within 45 ± 3 s.
    const resumed = polls.find((e) => e.node === "consumer-2")!;
    const gapUs = resumed.t - 20.4 * S;
    expect(gapUs).toBeGreaterThan(42 * S);
    expect(gapUs).toBeLessThan(48 * S);
    // Nothing of p0 is delivered to anyone in between.
    expect(polls.filter((e) => e.t > 21 * S && e.t < resumed.t)).toEqual([]);
  });

  it("kafka-consumer-groups shows CURRENT-OFFSET 1500 while p0 waits", () => {
    const row = r.results.cli[0]!.output.split("\n").find((l) => l.startsWith("g "));
    // GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG ...
    expect(row?.trim().split(/\s+/).slice(1, 6)).toEqual(["t", "0", "1500", "3000", "1500"]);
  });
});
