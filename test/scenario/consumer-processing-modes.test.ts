// scenario: a consumer's `processing` and `commit` keys reach the modelled application loop.
// async processing with auto commit commits what poll() returned, not what the worker processed:
// after a crash the next owner starts past records nobody processed (reference S13), which
// no-skipped-records reports; the same file with `processing: sync` loses nothing. A commitSync
// after a batch that outlasted max.poll.interval.ms fails with CommitFailedException (S14).
import { describe, expect, it } from "vitest";
import type { TraceEvent } from "../../sim/engine/trace.ts";
import { parseScenarioText } from "../../sim/scenario/load.ts";
import { runScenario } from "../../sim/scenario/runner.ts";

function s13(processing: "sync" | "async") {
  const text = `version: 1
name: s13
duration: 40s
cluster: { version: "4.1", brokers: 3, config: { group.initial.rebalance.delay.ms: 0 } }
topics: [{ name: t, partitions: 1, replication-factor: 3 }]
clients:
  - id: producer-1
    type: producer
    workload: { topic: t, rate: 1000/s, value-size: 100B, until: 2s }
  - id: c1
    type: consumer
    group: g
    subscribe: [t]
    config: { auto.offset.reset: earliest }
    processing: ${processing}
    processing-time: 4ms
  - id: c2
    type: consumer
    group: g
    subscribe: [t]
    config: { auto.offset.reset: earliest }
timeline:
  - { at: 0s, say: c1 reads alone; c2 starts later }
  - { at: 6s, kill: c1 }
  - { at: 6s, start: c2 }
`;
  return runScenario(parseScenarioText(text, "s13.yaml")).results;
}

describe("scenario: consumer processing modes", () => {
  it("async processing with auto commit skips what the worker had not processed (S13)", () => {
    const results = s13("async");
    const skipped = results.checks.find((c) => c.name === "no-skipped-records")!;
    expect(skipped.holds).toBe(false);
    expect(skipped.detail).toContain("no member received");
  });

  it("the same run with sync processing skips nothing", () => {
    const results = s13("sync");
    expect(results.checks.find((c) => c.name === "no-skipped-records")!.holds).toBe(true);
  });

  it("commit: sync after a batch longer than max.poll.interval.ms throws CommitFailedException (S14)", () => {
    const events: TraceEvent[] = [];
    runScenario(
      parseScenarioText(
        `version: 1
name: s14
duration: 60s
cluster: { version: "4.1", brokers: 1, config: { group.initial.rebalance.delay.ms: 0 } }
topics: [{ name: t, partitions: 1, replication-factor: 1 }]
clients:
  - id: producer-1
    type: producer
    workload: { topic: t, rate: 100/s, value-size: 100B, until: 5s }
  - id: c1
    type: consumer
    group: g
    subscribe: [t]
    config: { auto.offset.reset: earliest, enable.auto.commit: false, max.poll.interval.ms: 10000 }
    processing-time: 100ms
    commit: sync
`,
        "s14.yaml",
      ),
      { onTrace: (e) => events.push(e) },
    );
    const failed = events.filter(
      (e) => e.type === "consumer.commit" && e.exception === "CommitFailedException",
    );
    expect(failed.length).toBeGreaterThan(0);
    expect(failed[0]!.kind).toBe("sync");
  });
});
