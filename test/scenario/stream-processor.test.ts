// The stream-processor client (docs/stream-processors.md): the lesson
// scenarios/exactly-once-processing.yaml (at_least_once duplicates after a crash, exactly_once_v2
// none, and the contrast with the same processor switched to at_least_once), a zombie instance
// fenced through its group (KIP-447), and the loader's errors for a processor's config.
import { describe, expect, it } from "vitest";
import type { TraceEvent } from "../../sim/engine/trace.ts";
import { ScenarioError } from "../../sim/scenario/errors.ts";
import {
  parseOverride,
  parseScenarioText,
  type ScenarioOverride,
} from "../../sim/scenario/load.ts";
import { loadScenarioFile } from "../../sim/scenario/load-file.ts";
import { type ProcessorSummary, runScenario } from "../../sim/scenario/runner.ts";

const LESSON = "scenarios/exactly-once-processing.yaml";

function summaries(file: string, overrides: string[] = []): ProcessorSummary[] {
  const parsed = overrides.map((t) => parseOverride(t) as ScenarioOverride);
  const report = runScenario(loadScenarioFile(file, parsed));
  return report.results.processors ?? [];
}

function byId(list: readonly ProcessorSummary[], id: string): ProcessorSummary {
  const s = list.find((p) => p.id === id);
  if (s === undefined) throw new Error(`no summary for ${id}`);
  return s;
}

describe("lesson exactly-once-processing: both processors crash between writes and commit", () => {
  const list = summaries(LESSON);

  it("at_least_once writes the reread inputs' outputs a second time", () => {
    const alos = byId(list, "enrich-alos");
    expect(alos.guarantee).toBe("at_least_once");
    expect(alos.inputs).toBeGreaterThan(500);
    expect(alos.duplicates).toBeGreaterThan(0);
    expect(alos.missing).toBe(0);
  });

  it("exactly_once_v2 has every committed input's effect once", () => {
    const eos = byId(list, "enrich-eos");
    expect(eos.guarantee).toBe("exactly_once_v2");
    // The same inputs: the whole topic, committed past by the end.
    expect(eos.inputs).toBe(byId(list, "enrich-alos").inputs);
    expect(eos.duplicates).toBe(0);
    expect(eos.missing).toBe(0);
  });

  it("the same processor with at_least_once gets duplicates too (the file's contrast)", () => {
    const contrast = byId(
      summaries(LESSON, ["clients.2.config.processing.guarantee=at_least_once"]),
      "enrich-eos",
    );
    expect(contrast.guarantee).toBe("at_least_once");
    expect(contrast.duplicates).toBeGreaterThan(0);
  });
});

// Two instances of one application; instance-1's links to every broker are held for 8 s (longer
// than its 6 s session, shorter than its 10 s transaction timeout) while it has a transaction open.
const ZOMBIE = `
version: 1
name: zombie stream processor
seed: 3
duration: 50s
cluster: { version: "4.1", brokers: 3, controllers: 1 }
topics:
  - { name: in, partitions: 2, replication-factor: 3 }
  - { name: out, partitions: 2, replication-factor: 3 }
clients:
  - id: source
    type: producer
    workload: { topic: in, rate: 40/s, until: 25s }
  - id: instance-1
    type: stream-processor
    input: [in]
    output: out
    config: &config
      application.id: app
      processing.guarantee: exactly_once_v2
      consumer.session.timeout.ms: 6000
      consumer.heartbeat.interval.ms: 2000
  - id: instance-2
    type: stream-processor
    input: [in]
    output: out
    config: *config
timeline:
${[1, 2, 3]
  .flatMap((b) => [
    `  - { at: 10s, hold: { from: instance-1, to: ${b} } }`,
    `  - { at: 10s, hold: { from: instance-1-producer, to: ${b} } }`,
    `  - { at: 18s, release: { from: instance-1, to: ${b} } }`,
    `  - { at: 18s, release: { from: instance-1-producer, to: ${b} } }`,
  ])
  .join("\n")}
expect:
  - check: read-committed
`;

describe("a zombie stream processor is fenced through its group (KIP-447)", () => {
  const trace: TraceEvent[] = [];
  const report = runScenario(parseScenarioText(ZOMBIE, "zombie.yaml"), {
    onTrace: (e) => trace.push(e),
  });
  const of = (type: string, node: string) =>
    trace.filter((e) => e.type === type && e.node === node);

  it("instance-2 takes over instance-1's partitions while instance-1 is cut off", () => {
    const expired = trace.find(
      (e) =>
        e.type === "group.member.expired" &&
        String(e.member).startsWith("instance-1-") &&
        e.t >= 10_000_000,
    );
    expect(expired).toBeDefined();
  });

  it("instance-1's late TxnOffsetCommit is refused by the group, and its transaction aborted", () => {
    const refused = trace.find(
      (e) =>
        e.type === "producer.txn" &&
        e.node === "instance-1-producer" &&
        e.step === "offsets-not-committed" &&
        e.t >= 18_000_000,
    );
    expect(refused?.error).toMatch(/ILLEGAL_GENERATION|UNKNOWN_MEMBER_ID/);
    const aborts = of("stream.abort", "instance-1").filter((e) => e.t >= 18_000_000);
    expect(aborts.length).toBeGreaterThan(0);
  });

  it("every input's effect is in the committed output once", () => {
    const summaries = report.results.processors ?? [];
    expect(summaries.map((s) => s.id)).toEqual(["instance-1", "instance-2"]);
    for (const s of summaries) {
      expect(s.inputs).toBe(1000);
      expect(s.duplicates).toBe(0);
      expect(s.missing).toBe(0);
    }
    expect(report.results.ok).toBe(true);
  });
});

describe("a stream processor's config errors", () => {
  const issueOf = (config: string, version = "4.1") => {
    const text =
      `name: x\ncluster: { version: "${version}", brokers: 1 }\ntopics: [{ name: a }, { name: b }]\n` +
      `clients:\n  - id: p\n    type: stream-processor\n    input: [a]\n    output: b\n    config: ${config}\n`;
    try {
      parseScenarioText(text, "s.yaml");
    } catch (e) {
      if (e instanceof ScenarioError) return e.issues[0]!;
      throw e;
    }
    throw new Error("loaded");
  };

  it("application.id is required", () => {
    expect(issueOf("{ processing.guarantee: exactly_once_v2 }")).toMatchObject({
      path: 'clients[0].config["application.id"]',
      message: expect.stringContaining('Missing required configuration "application.id"'),
    });
  });

  it("a misspelt guarantee gets a suggestion", () => {
    expect(issueOf("{ application.id: a, processing.guarantee: exactly_once_2 }")).toMatchObject({
      path: 'clients[0].config["processing.guarantee"]',
      suggestion: expect.stringContaining("exactly_once_v2"),
    });
  });

  it("exactly_once_v2 is exactly_once_beta before 3.0", () => {
    expect(
      issueOf("{ application.id: a, processing.guarantee: exactly_once_v2 }", "2.8"),
    ).toMatchObject({
      message: expect.stringContaining("exactly_once_beta before Kafka 3.0"),
      suggestion: expect.stringContaining("exactly_once_beta"),
    });
  });

  it("an unknown key names the Streams keys, a prefixed client config is checked as one", () => {
    expect(issueOf("{ application.id: a, comit.interval.ms: 5 }")).toMatchObject({
      path: 'clients[0].config["comit.interval.ms"]',
      suggestion: expect.stringContaining("commit.interval.ms"),
    });
    expect(issueOf("{ application.id: a, consumer.sesion.timeout.ms: 5 }")).toMatchObject({
      path: 'clients[0].config["consumer.sesion.timeout.ms"]',
    });
  });
});
