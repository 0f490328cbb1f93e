// scenario: producer clients and checkers in scenario files. The bundled acks-compared lesson runs,
// loses acknowledged writes of its acks=1 producer only, and repeats its traceHash; a `check`
// expectation decides `ok` both ways; producers obey stop/kill/start; what this build cannot run
// (keyed workloads, consumers, consumer-side checkers) is rejected with located errors.
import { describe, expect, it } from "vitest";
import type { TraceEvent } from "../../sim/engine/trace.ts";
import { ScenarioError } from "../../sim/scenario/errors.ts";
import { loadScenarioFile, parseScenarioText } from "../../sim/scenario/load.ts";
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
  const scenario = parseScenarioText(text, "x.yaml");
  try {
    runScenario(scenario);
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
  it("the acks=1 producer loses acknowledged writes, the acks=all one does not; same traceHash twice", () => {
    const first = runScenario(loadScenarioFile("scenarios/acks-compared.yaml"));
    expect(first.boundMessage).toBeUndefined();
    expect(first.results.ok).toBe(true);
    // Every producer-side checker is reported, in the table's order.
    expect(first.results.checks.map((c) => c.name)).toEqual([
      "no-lost-acked-writes",
      "no-duplicates",
      "order-per-key",
      "no-divergence",
      "hw-monotonic",
    ]);
    const lost = first.results.checks.find((c) => c.name === "no-lost-acked-writes")!;
    expect(lost.holds).toBe(false);
    // The 30 ms follower links leave several acks=1 batches on broker 1 alone at the crash.
    expect(lost.detail).toMatch(/^\d+ lost writes: lost producer-one:/);
    expect(lost.detail).toContain("on acks-one-0, acknowledged by broker 1");
    expect(lost.detail).not.toContain("producer-all");
    expect(first.results.checks.find((c) => c.name === "no-divergence")?.holds).toBe(true);
    const verdict = first.results.expectations.find((e) =>
      e.what.startsWith("no-lost-acked-writes"),
    );
    expect(verdict?.ok).toBe(true);
    expect(verdict?.what).toContain("no-lost-acked-writes: expected to be violated, and it was: ");
    const report = formatReport(first);
    expect(report).toContain("\nChecks\n  FAIL no-lost-acked-writes: ");
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
    // 100 records/s of 100 B = 10000 B/s; batch.size 16384 B holds 163 records (16300 B), so a
    // batch every 16300e6 / 10000 µs = 1.63 s: at 0, 1.63, 3.26 and 4.89 s; the next (6.52 s) is
    // after the 6 s run. All four are acknowledged.
    expect(r.results.checks[0]!.detail).toBe("4 acknowledged sends checked against the final logs");
  });
});

describe("scenario: producer workloads", () => {
  it("count: the producer stops once the rate has made that many records (whole batches)", () => {
    const r = runScenario(
      parseScenarioText(
        small({ workload: "      count: 326", extra: "expect:\n  - check: no-lost-acked-writes" }),
        "x.yaml",
      ),
    );
    // 326 records at 100/s stop making at 3.26 s: the batches of 163 records made at 0 and
    // 1.63 s go, the one due at 3.26 s does not (326 records in all).
    expect(r.results.ok).toBe(true);
    expect(r.results.checks[0]!.detail).toBe("2 acknowledged sends checked against the final logs");
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

describe("scenario: what this build cannot run is rejected, located", () => {
  it("a keyed workload", () => {
    const text = small({ workload: "      keys: uniform(10)" });
    const error = rejection(text);
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]).toMatchObject({
      file: "x.yaml",
      line: lineOf(text, "keys: uniform(10)"),
      path: "clients[0].workload.keys",
    });
    expect(error.issues[0]!.message).toContain(
      "key-based partitioning arrives with the clients issue",
    );
  });

  it("a consumer", () => {
    const text = small({
      clients: [
        "  - id: consumer-1",
        "    type: consumer",
        "    group: g",
        "    subscribe: [t]",
      ].join("\n"),
    });
    const error = rejection(text);
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]).toMatchObject({
      line: lineOf(text, "type: consumer"),
      path: "clients[1].type",
    });
    expect(error.issues[0]!.message).toContain("consumers are not runnable in this build yet");
  });

  it("a checker that reads consumers", () => {
    const text = small({ extra: "expect:\n  - check: no-reprocessing" });
    const error = rejection(text);
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]!.line).toBe(lineOf(text, "check: no-reprocessing"));
    expect(error.issues[0]!.message).toContain(
      "the checker `no-reprocessing` reads what consumers",
    );
  });
});
