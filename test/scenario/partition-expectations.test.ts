// scenario: `partition` expectations read the metadata truth for leader, epochs, ISR, ELR and
// replicas (replicas in assignment order, ISR and ELR as sets), and the leader's own log for the
// high watermark and the log start offset. A client stopped gracefully cannot `start` again.
import { describe, expect, it } from "vitest";
import { ScenarioError } from "../../sim/scenario/errors.ts";
import { parseScenarioText } from "../../sim/scenario/load.ts";
import { runScenario } from "../../sim/scenario/runner.ts";

function run(expectations: string, timeline = "") {
  const text = `version: 1
name: offsets
duration: 20s
cluster: { version: "4.1", brokers: 3 }
topics:
  - { name: t, partitions: 1, replication-factor: 3, assignment: [[2, 3, 1]] }
clients:
  - id: producer-1
    type: producer
    config: { acks: all, linger.ms: 0 }
timeline:
  - { at: 1s, produce: { topic: t, count: 7, value: v } }
${timeline}
expect:
${expectations}
`;
  return runScenario(parseScenarioText(text, "offsets.yaml")).results.expectations;
}

describe("scenario: partition expectations", () => {
  it("checks the leader's high watermark and log start offset", () => {
    const ok = run(`  - at: 10s
    partition: { topic: t, partition: 0, leader: 2, high-watermark: 7, log-start-offset: 0 }`);
    expect(ok).toEqual([
      { what: "at 10.000 s: t-0 leader 2, high watermark 7, log start offset 0", ok: true },
    ]);
    const wrong = run(`  - at: 10s
    partition: { topic: t, partition: 0, high-watermark: 6, log-start-offset: 1 }`);
    expect(wrong[0]!.ok).toBe(false);
    expect(wrong[0]!.what).toContain("but high watermark is 7, log start offset is 0");
  });

  it("a delete-records moves the log start offset the expectation sees", () => {
    const ok = run(
      `  - at: 10s
    partition: { topic: t, partition: 0, high-watermark: 7, log-start-offset: 4 }`,
      `  - at: 5s
    cli:
      command: kafka-delete-records.sh --bootstrap-server localhost:9092 --offset-json-file offsets.json
      input: ['{"partitions": [{"topic": "t", "partition": 0, "offset": 4}], "version": 1}']`,
    );
    expect(ok.map((e) => e.ok)).toEqual([true]);
  });

  it("compares replicas in assignment order, the ISR as a set", () => {
    const results = run(`  - at: 10s
    partition: { topic: t, partition: 0, replicas: [2, 3, 1], isr: [1, 2, 3] }
  - at: 10s
    partition: { topic: t, partition: 0, replicas: [1, 2, 3] }`);
    expect(results.map((e) => e.ok)).toEqual([true, false]);
    expect(results[1]!.what).toContain("but replicas are [2,3,1]");
  });

  it("cannot read offsets from a leader that is down", () => {
    const results = run(
      `  - at: 3s
    partition: { topic: t, partition: 0, leader: 2, high-watermark: 7 }`,
      "  - { at: 2s, crash: 2 }",
    );
    expect(results[0]).toMatchObject({ ok: false });
    expect(results[0]!.what).toContain("leader 2 is down: offsets unknown");
  });
});

describe("scenario: start after stop", () => {
  it("is refused before the run, at the start's line", () => {
    const text = `version: 1
name: restart
duration: 20s
cluster: { version: "4.1", brokers: 1 }
topics: [{ name: t, partitions: 1, replication-factor: 1 }]
clients:
  - { id: c1, type: consumer, group: g, subscribe: [t] }
timeline:
  - { at: 2s, stop: c1 }
  - { at: 5s, start: c1 }
`;
    let error: unknown;
    try {
      runScenario(parseScenarioText(text, "restart.yaml"));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ScenarioError);
    const issue = (error as ScenarioError).issues[0]!;
    expect(issue).toMatchObject({ file: "restart.yaml", line: 10 });
    expect(issue.message).toContain("`start: c1` after `stop`");
  });
});
