// consumer: coordinator loss (fault search, issue #7): when the broker that coordinates a group
// loses power, crashes or is cut off, its members mark the coordinator unknown (no heartbeat
// answer for session.timeout.ms, or a disconnect), drop their connection to it so that a pending
// commitSync fails and is retried, find the new coordinator through a live broker, and carry on
// (or rejoin once their session has expired there). By the end the group is Stable with both
// members again and its committed offsets have caught up with the log (lag 0).
import { describe, expect, it } from "vitest";
import type { TraceEvent } from "../../sim/engine/trace.ts";
import { parseScenarioText } from "../../sim/scenario/load.ts";
import { runScenario } from "../../sim/scenario/runner.ts";

type Fault = "power" | "process" | "isolate";
type Protocol = "classic" | "consumer";

/** The fault search's scenario (/tmp/fs/safe4.yaml), with the version, fault and node varied. */
function scenarioText(version: "1.0" | "4.1", protocol: Protocol, timeline: string): string {
  const zk = version === "1.0";
  const groupConfig =
    protocol === "classic"
      ? `      partition.assignment.strategy: org.apache.kafka.clients.consumer.RangeAssignor
      session.timeout.ms: 6000
      heartbeat.interval.ms: 2000`
      : "      group.protocol: consumer";
  const consumer = (id: string) => `  - id: ${id}
    type: consumer
    group: g2
    subscribe: [t]
    config:
      enable.auto.commit: false
${groupConfig}
      auto.offset.reset: earliest
    processing-time: 0s
    commit: sync
`;
  return `version: 1
name: "Fault search run"
seed: 1684183125
duration: 60s
cluster:
  version: "${version}"
  brokers:
    - { id: 1, rack: r1 }
    - { id: 2, rack: r2 }
    - { id: 3, rack: r3 }
    - { id: 4, rack: r1 }
${zk ? "  controllers: 1\n" : ""}  config:
    min.insync.replicas: 2
    unclean.leader.election.enable: false
    replica.lag.time.max.ms: 5000
${zk ? "    zookeeper.session.timeout.ms: 6000\n" : ""}    group.initial.rebalance.delay.ms: 0
topics:
  - { name: t, partitions: 1, replication-factor: 3 }
clients:
  - id: producer-1
    type: producer
    config: { acks: all, enable.idempotence: true, max.in.flight.requests.per.connection: 5, retries: 2147483647, request.timeout.ms: 5000 }
    workload: { topic: t, rate: 5/s, keys: "uniform(1)", value-size: 100B, until: 45s }
${consumer("consumer-1")}${consumer("consumer-2")}timeline:
${timeline}expect:
  - at: end
    group: { id: g2, state: Stable, members: 2, lag: 0 }
`;
}

function faultTimeline(fault: Fault, node: number): string {
  if (fault === "isolate")
    return `  - { at: 4675ms, isolate: ${node} }\n  - { at: 15477ms, heal: all }\n`;
  return `  - { at: 4675ms, crash: { node: ${node}, mode: ${fault} } }\n  - { at: 15477ms, restart: ${node} }\n`;
}

/** The broker consumer-1 finds as g2's coordinator in a fault-free second of the same run. */
function coordinatorOf(version: "1.0" | "4.1", protocol: Protocol): number {
  const found: number[] = [];
  runScenario(parseScenarioText(scenarioText(version, protocol, "  []\n"), "probe.yaml"), {
    untilUs: 1_000_000,
    onTrace: (e) => {
      if (e.type === "consumer.coordinator" && e.node === "consumer-1")
        found.push(e.coordinator as number);
    },
  });
  expect(found.length).toBeGreaterThan(0);
  return found[0]!;
}

function run(version: "1.0" | "4.1", protocol: Protocol, fault: Fault, node: number) {
  const trace: TraceEvent[] = [];
  const text = scenarioText(version, protocol, faultTimeline(fault, node));
  const report = runScenario(parseScenarioText(text, "coordinator-loss.yaml"), {
    onTrace: (e) => {
      if (e.type.startsWith("consumer.") && e.type !== "consumer.poll") trace.push(e);
    },
  });
  return { report, trace };
}

function expectConverged(r: ReturnType<typeof run>): void {
  const { results } = r.report;
  const summary = [
    ...results.expectations.map((e) => `${e.ok ? "ok" : "FAIL"} ${e.what}`),
    ...results.liveness.pending,
  ].join("\n");
  expect(results.expectations, summary).toHaveLength(1);
  expect(results.expectations[0]!.ok, summary).toBe(true);
  expect(results.liveness.pending, summary).toEqual([]);
}

describe("consumer: coordinator loss: the fault search's case (ZooKeeper mode, 1.0)", () => {
  it("power loss of the coordinator: the members find the new one before their sessions expire there", () => {
    // The saved scenario as the search found it: broker 1 is g2's coordinator.
    expect(coordinatorOf("1.0", "classic")).toBe(1);
    const r = run("1.0", "classic", "power", 1);
    expectConverged(r);
    // Both members gave up on broker 1 (perhaps more than once: until the group moves, a lookup
    // still names it) and ended on another coordinator, and consumer-1's commitSync (stuck on
    // the dead coordinator before) succeeded there.
    for (const client of ["consumer-1", "consumer-2"]) {
      const lost = r.trace.filter(
        (e) => e.type === "consumer.coordinator-lost" && e.node === client && e.coordinator === 1,
      );
      expect(lost.length, client).toBeGreaterThan(0);
      const found = r.trace.filter((e) => e.type === "consumer.coordinator" && e.node === client);
      expect(found.at(-1)?.coordinator, client).not.toBe(1);
    }
    const commitsAfter = r.trace.filter(
      (e) =>
        e.type === "consumer.commit" &&
        e.node === "consumer-1" &&
        e.error === "NONE" &&
        e.t > 15_477_000,
    );
    expect(commitsAfter.length).toBeGreaterThan(0);
  });
});

describe("consumer: coordinator loss: every fault, in ZooKeeper and KRaft profiles", () => {
  const cases: Array<[version: "1.0" | "4.1", protocol: Protocol, fault: Fault]> = [
    ["1.0", "classic", "process"],
    ["1.0", "classic", "isolate"],
    ["4.1", "classic", "power"],
    ["4.1", "classic", "process"],
    ["4.1", "classic", "isolate"],
    ["4.1", "consumer", "power"],
    ["4.1", "consumer", "process"],
  ];
  for (const [version, protocol, fault] of cases) {
    it(`${version}, group.protocol=${protocol}: ${fault} fault of the coordinator`, () => {
      const node = coordinatorOf(version, protocol);
      expectConverged(run(version, protocol, fault, node));
    });
  }
});
