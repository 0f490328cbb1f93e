// The liveness phase: after the last fault the cluster must converge, and the run's report says
// whether it did and, when not, why: offline and under-replicated partitions with the lagging
// replica and its lag, brokers down or fenced, groups not Stable with every live consumer,
// consumers stuck behind, sends without an outcome, network faults still in place.
import { describe, expect, it } from "vitest";
import { livenessSinceUs } from "../../sim/scenario/liveness.ts";
import { parseScenarioText, type TimelineEntry } from "../../sim/scenario/load.ts";
import { formatReport, runScenario } from "../../sim/scenario/runner.ts";

function scenario(timeline: string, extra = "", duration = "40s"): string {
  return `version: 1
name: liveness
seed: 3
duration: ${duration}
cluster: { brokers: 3, config: { group.initial.rebalance.delay.ms: 0 } }
topics:
  - { name: t, partitions: 3, replication-factor: 3, assignment: [[1, 2, 3], [2, 3, 1], [3, 1, 2]] }
clients:
  # A request lost in a crash times out after request.timeout.ms (Kafka's 30 s would outlast the run).
  - { id: producer-1, type: producer, config: { acks: all, request.timeout.ms: 5000 }, workload: { topic: t, rate: 200/s, until: 35s } }
  - { id: consumer-1, type: consumer, group: g, subscribe: [t] }
${extra}timeline:
${timeline}
`;
}

function run(text: string) {
  let lags = new Map<number, number>();
  let traceEventsAtEnd = -1;
  let traceEvents = 0;
  const report = runScenario(parseScenarioText(text, "liveness.yaml"), {
    onTrace: () => {
      traceEvents++;
    },
    atEnd: ({ kafka }) => {
      traceEventsAtEnd = traceEvents;
      // Broker 3's replicas as its disk keeps them, against each partition's leader's log end:
      // the lag the report must give, read here through the brokers' own snapshots and logs.
      const leo = (broker: number, p: number) => {
        const s = kafka!.cluster.brokers
          .get(broker)!
          .snapshot()
          .partitions.find((x) => x.topic === "t" && x.partition === p);
        if (s !== undefined) return s.leo;
        const last = kafka!.cluster.brokers.get(broker)!.logBatches("t", p).at(-1);
        return last === undefined ? 0 : last.baseOffset + last.count;
      };
      const image = kafka!.image()!;
      lags = new Map(
        [0, 1, 2].map((p) => [p, leo(image.partition("t", p)!.leader, p) - leo(3, p)]),
      );
    },
  });
  // Asking for the liveness report (after atEnd) wrote nothing to the trace.
  expect(report.traceEvents).toBe(traceEventsAtEnd);
  return { report, lags };
}

describe("liveness: a run that heals converges", () => {
  it("crash, restart, isolate and heal: nothing pending at the end, the phase starts at the heal", () => {
    const { report } = run(
      scenario(
        `  - { at: 3s, crash: 2 }
  - { at: 8s, restart: 2 }
  - { at: 12s, isolate: 3 }
  - { at: 16s, heal: all }
  - { at: 17s, say: "narrative does not end the safety phase" }`,
        "",
        // Requests lost in the 4 s black hole wait for Kafka's 30 s replica.socket.timeout.ms and
        // replica.lag.time.max.ms before replication (and so acks=all) moves again: give it time.
        "60s",
      ),
    );
    const l = report.results.liveness;
    expect(l.sinceUs).toBe(16_000_000);
    expect(l.pending).toEqual([]);
    expect(l.converged).toBe(true);
    const text = formatReport(report);
    expect(text).toContain("Liveness (from the last fault at 16.000 s: 44.000 s to converge)");
    expect(text).toContain("converged: nothing pending");
    // Printed after the checks.
    expect(text.indexOf("Liveness")).toBeGreaterThan(text.indexOf("Checks"));
  });
});

describe("liveness: a broker left down", () => {
  it("names the down broker and every under-replicated partition with replica 3's lag", () => {
    const { report, lags } = run(scenario("  - { at: 10s, crash: 3 }"));
    const l = report.results.liveness;
    expect(l.sinceUs).toBe(10_000_000);
    expect(l.converged).toBe(false);
    expect(l.pending[0]).toBe("broker 3: down (crashed at 10.000 s)");
    for (const p of [0, 1, 2]) {
      const lag = lags.get(p)!;
      // The producer kept writing for 28 s after the crash: replica 3 is behind on each.
      expect(lag).toBeGreaterThan(0);
      const line = l.pending.find((x) => x.startsWith(`t-${p}: `));
      expect(line, l.pending.join("\n")).toBeDefined();
      expect(line).toMatch(/under-replicated: ISR \[\d,\d\] of replicas \[\d,\d,\d\], leader [12]/);
      expect(line).toContain(`replica 3 down, ${lag} records behind the leader`);
    }
    // The group's offsets topic is folded into one line.
    expect(
      l.pending.some((x) => /^__consumer_offsets: 50 partitions under-replicated/.test(x)),
    ).toBe(true);
    // Not converging is reported, not judged: no expectation fails because of it.
    expect(report.results.ok).toBe(true);
  });

  it("a consumer cut off from the cluster: its group misses it, the cut is named", () => {
    const { report } = run(
      scenario(
        "  - { at: 10s, isolate: consumer-2 }",
        // A 10 s session (Kafka's 45 s would outlast the run): the coordinator drops it.
        "  - { id: consumer-2, type: consumer, group: g, subscribe: [t], config: { session.timeout.ms: 10000 } }\n",
      ),
    );
    const l = report.results.liveness;
    expect(l.converged).toBe(false);
    expect(l.pending, l.pending.join("\n")).toContain(
      "group g: Stable, 1 of 2 live consumers are members; not a member: consumer-2",
    );
    expect(l.pending.some((x) => x.startsWith("network: consumer-2 cannot reach 1, 2, 3"))).toBe(
      true,
    );
  });
});

describe("liveness: where the phase starts", () => {
  const at = (atUs: number, action: TimelineEntry["action"]): TimelineEntry =>
    ({
      atUs,
      index: 0,
      action,
      source: { file: "", line: 1, column: 1, path: "" },
    }) as TimelineEntry;

  it("faults and their repairs count; narrative, tools and topic changes do not", () => {
    const timeline = [
      at(1_000_000, { kind: "kill", client: "c" }),
      at(2_000_000, { kind: "start", client: "c" }),
      at(3_000_000, { kind: "start", client: "d" }),
      at(4_000_000, { kind: "say", text: "x" }),
      at(5_000_000, { kind: "alter-topic", topic: "t", partitions: 4 }),
    ];
    expect(livenessSinceUs(timeline, 10_000_000)).toBe(2_000_000);
    expect(livenessSinceUs(timeline.slice(2), 10_000_000)).toBe(0);
  });

  it("a fault after the end of the run (--until) does not count", () => {
    const timeline = [
      at(1_000_000, { kind: "crash", node: "1", mode: "power" }),
      at(9_000_000, { kind: "heal", target: "all" }),
    ];
    expect(livenessSinceUs(timeline, 5_000_000)).toBe(1_000_000);
  });
});

describe("liveness: bare hosts", () => {
  it("a crashed host, an unfinished transfer and an isolated host are pending", () => {
    const report = runScenario(
      parseScenarioText(
        `name: hosts
duration: 5s
hosts: [{ name: a }, { name: b }, { name: c }]
timeline:
  - { at: 1s, transfer: { from: a, to: b, size: 1GiB } }
  - { at: 1.01s, isolate: b }
  - { at: 2s, crash: c }
`,
        "hosts.yaml",
      ),
    );
    expect(report.results.liveness).toEqual({
      sinceUs: 2_000_000,
      converged: false,
      pending: [
        "host c: down (crashed at 2.000 s)",
        "transfer transfer-0 (a → b): not finished",
        "network: b cannot reach a, c",
      ],
    });
  });
});
