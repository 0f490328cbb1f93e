// scenario: clients and checkers in scenario files. The bundled acks-compared lesson runs, loses
// writes of its acks=0 and acks=1 producers and none of its acks=all one, and repeats its traceHash; a `check`
// expectation decides `ok` both ways; producers obey stop/kill/start; keyed workloads partition by
// murmur2 and keep per-key order; a consumer group reads what was written; a client configuration
// Kafka would refuse, and what this build cannot check yet (group expectations), is rejected with
// located errors.
import { describe, expect, it } from "vitest";
import { CHECKER_NAMES } from "../../sim/check/checkers/index.ts";
import type { FinalState, History } from "../../sim/check/history.ts";
import { defaultPartitionForKey } from "../../sim/client/partitioner.ts";
import type { TraceEvent } from "../../sim/engine/trace.ts";
import { ScenarioError } from "../../sim/scenario/errors.ts";
import { parseScenarioText } from "../../sim/scenario/load.ts";
import { loadScenarioFile } from "../../sim/scenario/load-file.ts";
import { formatReport, runScenario } from "../../sim/scenario/runner.ts";

const S = 1_000_000;

/** A one-broker cluster with a producer; `extra` is appended to the file as is. */
function small(opts: { workload?: string; clients?: string; extra?: string; duration?: string }) {
  return [
    "version: 1",
    "name: small",
    "seed: 3",
    `duration: ${opts.duration ?? "6s"}`,
    "cluster:",
    "  brokers: 1",
    "topics:",
    "  - name: t",
    "    partitions: 2",
    "    replication-factor: 1",
    "clients:",
    "  - id: producer-1",
    "    type: producer",
    "    config: { acks: all }",
    "    workload:",
    "      topic: t",
    "      rate: 100/s",
    "      value-size: 100B",
    opts.workload ?? "",
    opts.clients ?? "",
    opts.extra ?? "",
  ]
    .filter((l) => l !== "")
    .join("\n");
}

function rejection(text: string): ScenarioError {
  try {
    runScenario(parseScenarioText(text, "x.yaml"));
  } catch (error) {
    if (error instanceof ScenarioError) return error;
    throw error;
  }
  throw new Error("the scenario ran; it should have been rejected");
}

/** The 1-based line of the first line of `text` that contains `needle`. */
function lineOf(text: string, needle: string): number {
  return text.split("\n").findIndex((l) => l.includes(needle)) + 1;
}

describe("scenario: acks compared (bundled)", () => {
  it("the acks=0 and acks=1 producers lose writes, the acks=all one does not; same traceHash twice", () => {
    let history: History | undefined;
    let final: FinalState | undefined;
    const first = runScenario(loadScenarioFile("scenarios/acks-compared.yaml"), {
      atEnd: ({ kafka, nowUs }) => {
        history = kafka?.recorder.history(nowUs);
        final = kafka?.finalState();
      },
    });
    expect(first.boundMessage).toBeUndefined();
    expect(first.results.ok).toBe(true);
    // Every checker is reported, in the table's order (those about consumers judge no polls).
    expect(first.results.checks.map((c) => c.name)).toEqual([...CHECKER_NAMES]);
    const lost = first.results.checks.find((c) => c.name === "no-lost-acked-writes")!;
    expect(lost.holds).toBe(false);
    // The 30 ms follower links leave several acks=1 batches on broker 1 alone at the crash; the
    // acks=0 producer loses those and what it sent to the dead broker. The history says whose.
    expect(lost.detail).toMatch(/^\d+ lost writes: lost producer-zero:/);
    expect(lost.detail).toContain("(acks=0: no offset, no broker)");
    expect(lost.detail).not.toContain("producer-all");
    const h = history!;
    const lostOf = (client: string) => {
      const present = new Set<string>();
      for (const p of final!.partitions)
        for (const r of p.replicas)
          if (r.broker === p.leader) for (const b of r.batches) if (b.origin) present.add(b.origin);
      return h.sends.filter(
        (x) =>
          x.client === client &&
          ["acked"].includes(h.outcomes.find((o) => o.sendId === x.sendId)?.outcome ?? "") &&
          !present.has(x.sendId),
      ).length;
    };
    expect(lostOf("producer-one")).toBeGreaterThan(0);
    expect(lostOf("producer-zero")).toBeGreaterThan(lostOf("producer-one"));
    expect(lostOf("producer-all")).toBe(0);
    // Its lost connection made the acks=0 producer refresh its metadata (NetworkClient's
    // handleServerDisconnect): once broker 2 led, at 13.5 s, its records landed there again.
    const leaderBatches = final!.partitions.find((p) => p.topic === "acks-zero")!;
    const onLeader = new Set(
      leaderBatches.replicas
        .find((r) => r.broker === leaderBatches.leader)!
        .batches.flatMap((b) => (b.origin ? [b.origin] : [])),
    );
    const resumed = h.sends.filter(
      (x) => x.client === "producer-zero" && x.sentAtUs > 14 * S && onLeader.has(x.sendId),
    );
    expect(resumed.length).toBeGreaterThan(1000);
    expect(first.results.checks.find((c) => c.name === "no-divergence")?.holds).toBe(true);
    const verdict = first.results.expectations.find((e) =>
      e.what.startsWith("no-lost-acked-writes"),
    );
    expect(verdict?.ok).toBe(true);
    expect(verdict?.what).toContain("no-lost-acked-writes: expected to be violated, and it was: ");
    const report = formatReport(first);
    expect(report).toContain("\nChecks\n  FAIL no-lost-acked-writes: ");
    // The metrics section: every broker and producer, by Kafka's metric names.
    expect(report).toContain("\nMetrics at the end (Kafka's names;");
    expect(report).toMatch(/\n {2}broker +MessagesIn +BytesIn +BytesOut +FailedProduce/);
    expect(report).toMatch(/\n {2}producer-all +25\d\d\d +0 /);
    expect(report).toContain("  ok   no-divergence: ");

    const second = runScenario(loadScenarioFile("scenarios/acks-compared.yaml"));
    expect(second.results.traceHash).toBe(first.results.traceHash);
    expect(second.results.checks).toEqual(first.results.checks);
  });
});

describe("scenario: check expectations decide ok", () => {
  it("a checker expected to be violated that holds fails the run, in words", () => {
    const r = runScenario(
      parseScenarioText(
        small({ extra: "expect:\n  - check: no-lost-acked-writes\n    holds: false" }),
        "x.yaml",
      ),
    );
    const lost = r.results.checks.find((c) => c.name === "no-lost-acked-writes")!;
    expect(lost.holds).toBe(true);
    expect(r.results.expectations).toHaveLength(1);
    expect(r.results.expectations[0]!.ok).toBe(false);
    expect(r.results.expectations[0]!.what).toContain(
      "no-lost-acked-writes: expected to be violated, but it held: ",
    );
    expect(r.results.ok).toBe(false);
  });

  it("a checker expected to hold that holds keeps the run ok; the producer's writes were checked", () => {
    const r = runScenario(
      parseScenarioText(small({ extra: "expect:\n  - check: no-lost-acked-writes" }), "x.yaml"),
    );
    expect(r.results.ok).toBe(true);
    expect(r.results.expectations[0]!.what).toContain("expected to hold, and it held");
    // Record k is made at k × 10 ms (100/s), k = 0 … 599 within the 6 s run. 4.1's linger.ms is
    // 5 ms, shorter than the 10 ms between records, so every record leaves alone in its own batch,
    // answered in well under a millisecond: 600 acknowledged sends.
    expect(r.results.checks[0]!.detail).toBe(
      "600 acknowledged sends checked against the final logs",
    );
  });
});

describe("scenario: producer workloads", () => {
  it("count: the producer stops once it has made that many records", () => {
    const r = runScenario(
      parseScenarioText(
        small({ workload: "      count: 326", extra: "expect:\n  - check: no-lost-acked-writes" }),
        "x.yaml",
      ),
    );
    // 326 records, one batch each (see above), the last made at 3.25 s: 326 sends, then none.
    expect(r.results.ok).toBe(true);
    expect(r.results.checks[0]!.detail).toBe(
      "326 acknowledged sends checked against the final logs",
    );
  });
});

describe("scenario: producer timeline actions", () => {
  it("kill stops a producer's sends; start brings its process back and it sends again", () => {
    const sends: TraceEvent[] = [];
    const text = small({
      workload: "      until: 10s",
      duration: "10s",
      extra: [
        "  - id: producer-2",
        "    type: producer",
        "    config: { acks: 1, batch.size: 100 }",
        "    workload: { topic: t, rate: 100/s, value-size: 100B }",
        "timeline:",
        "  - at: 3s",
        "    kill: producer-2",
        "  - at: 6s",
        "    start: producer-2",
      ].join("\n"),
    });
    const r = runScenario(parseScenarioText(text, "x.yaml"), {
      onTrace: (e) => {
        if (e.type === "producer.send" && e.node === "producer-2") sends.push(e);
      },
    });
    expect(r.results.ok).toBe(true);
    // One record a batch at 100/s: a send every 10 ms while the process runs.
    expect(sends.filter((e) => e.t < 3 * S).length).toBeGreaterThan(200);
    expect(sends.filter((e) => e.t >= 3 * S && e.t < 6 * S)).toEqual([]);
    expect(sends.filter((e) => e.t >= 6 * S).length).toBeGreaterThan(200);
  });
});

describe("scenario: keyed producers and consumer groups", () => {
  it("a keyed workload puts each key on murmur2's partition and keeps per-key order", () => {
    const text = small({
      workload: "      keys: uniform(10)",
      extra: "payloads: true\nexpect:\n  - check: order-per-key\n  - check: no-lost-acked-writes",
    });
    const keysOn = new Map<number, Set<string>>();
    const r = runScenario(parseScenarioText(text, "x.yaml"), {
      atEnd: ({ kafka }) => {
        const broker = kafka!.cluster.brokers.get(1)!;
        for (const p of [0, 1]) {
          const keys = new Set<string>();
          for (const b of broker.logBatches("t", p)) for (const k of b.keys ?? []) keys.add(k!);
          keysOn.set(p, keys);
        }
      },
    });
    expect(r.results.ok).toBe(true);
    // Each key lies only on the partition Kafka's default partitioner gives it:
    // toPositive(murmur2(key)) % 2 (murmur2 is checked against Kafka's vectors in murmur2.test.ts).
    for (const [p, keys] of keysOn) {
      expect(keys.size).toBeGreaterThan(0);
      for (const k of keys) expect(defaultPartitionForKey(k, 2)).toBe(p);
    }
    expect(r.results.checks.find((c) => c.name === "order-per-key")?.detail).toMatch(
      /acknowledged sends in 10 producer-key sequences$/,
    );
  });

  it("a consumer group reads every record once: no skipped records, no reprocessing", () => {
    const text = small({
      duration: "20s",
      workload: "      until: 10s",
      clients: [
        "  - id: consumer-1",
        "    type: consumer",
        "    group: g",
        "    subscribe: [t]",
        "    config: { auto.offset.reset: earliest }",
        "  - id: consumer-2",
        "    type: consumer",
        "    group: g",
        "    subscribe: [t]",
        "    config: { auto.offset.reset: earliest }",
      ].join("\n"),
      extra: [
        "expect:",
        "  - check: no-skipped-records",
        "  - check: no-reprocessing",
        "  - check: order-per-partition",
      ].join("\n"),
    });
    const r = runScenario(parseScenarioText(text, "x.yaml"));
    expect(r.results.ok).toBe(true);
    // 1000 records over the group's two partitions, all below the final commits (auto commit
    // every 5 s; the last one after the producer stopped at 10 s).
    expect(r.results.checks.find((c) => c.name === "no-skipped-records")?.detail).toBe(
      "2 group partitions judged; 1000 records required below the final commits",
    );
  });
});

describe("scenario: what this build cannot run is rejected, located", () => {
  it("a producer configuration Kafka's constructor refuses (ConfigException)", () => {
    const text = small({}).replace(
      "config: { acks: all }",
      "config: { acks: 1, enable.idempotence: true }",
    );
    const error = rejection(text);
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]).toMatchObject({
      file: "x.yaml",
      line: lineOf(text, "config: { acks: 1"),
      path: "clients[0].config.acks",
    });
    // Kafka's own words (ProducerConfig.postProcessAndValidateIdempotenceConfigs).
    expect(error.issues[0]!.message).toBe(
      "Must set acks to all in order to use the idempotent producer. Otherwise we cannot guarantee idempotence.",
    );
  });

  it("a consumer configuration Kafka's constructor refuses", () => {
    const text = small({
      clients: [
        "  - id: consumer-1",
        "    type: consumer",
        "    group: g",
        "    subscribe: [t]",
        "    config: { heartbeat.interval.ms: 50000 }",
      ].join("\n"),
    });
    const error = rejection(text);
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]).toMatchObject({ line: lineOf(text, "heartbeat.interval.ms: 50000") });
    expect(error.issues[0]!.message).toContain(
      "heartbeat.interval.ms must be set lower than session.timeout.ms",
    );
  });
});

describe("scenario: a KIP-848 group (group.protocol=consumer)", () => {
  it("runs from a scenario file; the coordinator and kafka-consumer-groups.sh see it", () => {
    const text = small({
      duration: "30s",
      workload: "      until: 20s",
      clients: [1, 2]
        .map((i) =>
          [
            `  - id: consumer-${i}`,
            "    type: consumer",
            "    group: g",
            "    subscribe: [t]",
            "    config: { group.protocol: consumer, auto.offset.reset: earliest }",
          ].join("\n"),
        )
        .join("\n"),
      extra: [
        "timeline:",
        '  - { at: 25s, cli: "kafka-consumer-groups.sh --bootstrap-server b:9092 --describe --group g --state" }',
        "expect:",
        "  - check: no-skipped-records",
        "  - at: end",
        "    group: { id: g, state: Stable, members: 2 }",
      ].join("\n"),
    }).replace("    partitions: 2", "    partitions: 4");
    const r = runScenario(parseScenarioText(text, "x.yaml"));
    expect(r.results.expectations.map((e) => e.what)).toContain(
      "at the end: group g state Stable, 2 members",
    );
    expect(r.results.ok).toBe(true);
    // The server-side assignor is the ASSIGNMENT-STRATEGY of a consumer group (uniform by default).
    expect(r.results.cli[0]!.output).toMatch(/\ng +broker-\d:9092 {2}\(\d\) +uniform +Stable +2\n/);
  });
});
