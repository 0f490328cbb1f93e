/**
 * A search case as a scenario file (format v1): the text the search runs is the text it exports,
 * so a counterexample replays in `kafkasim run` and the viz to the same traceHash.
 *
 * Timeouts are shortened so that failure detection and recovery fit a one-minute run
 * (../shared/fault-search.md allows it; the file carries them): replica.lag.time.max.ms and
 * replica.socket.timeout.ms 5 s, controller.socket.timeout.ms 5 s (a broker's AlterPartition to a
 * controller that lost power),
 * broker.session.timeout.ms 3 s (heartbeats every 0.5 s), zookeeper.session.timeout.ms 6 s, the
 * producer's request.timeout.ms 5 s and delivery.timeout.ms 30 s, the consumer's request.timeout.ms
 * 5 s and session 6 s.
 * A config key the case's version does not have is left out (the loader would warn and ignore it).
 */

import type { ConfigKind } from "../kafka/config-defs.ts";
import { ASSIGNOR_CLASSES, configDef, existsIn } from "../kafka/config-defs.ts";
import { type KafkaVersion, versionProfile } from "../kafka/version.ts";
import {
  APPLICATION_ID,
  consumerId,
  describeFault,
  type Fault,
  OUTPUT_TOPIC,
  processorId,
  producerId,
  type SearchCase,
  TOPIC,
} from "./case.ts";

/** A shortened timeout, in force where the version has the key. */
const CLUSTER_TIMEOUTS: ReadonlyArray<readonly [string, number]> = [
  ["replica.lag.time.max.ms", 5000],
  // A follower's fetch lost in a network fault times out after this (default 30 s).
  ["replica.socket.timeout.ms", 5000],
  ["controller.socket.timeout.ms", 5000],
  ["broker.session.timeout.ms", 3000],
  ["broker.heartbeat.interval.ms", 500],
  ["zookeeper.session.timeout.ms", 6000],
  ["group.initial.rebalance.delay.ms", 0],
];
const PRODUCER_TIMEOUTS: ReadonlyArray<readonly [string, number]> = [
  ["request.timeout.ms", 5000],
  ["delivery.timeout.ms", 30000],
];
const CONSUMER_TIMEOUTS: ReadonlyArray<readonly [string, number | string]> = [
  // A fetch or commit lost in a network fault times out after this (default 30 s).
  ["request.timeout.ms", 5000],
  ["session.timeout.ms", 6000],
  ["heartbeat.interval.ms", 2000],
  ["auto.offset.reset", "earliest"],
];

/**
 * Producers stop this long before the end (at most a quarter of the run), so the last sends settle
 * and consumers catch up.
 */
export const QUIET_TAIL_US = 15_000_000;

export interface ScenarioTextOptions {
  /** Comment lines for the file's head (the story, how it was found). */
  readonly header?: readonly string[];
  /** The `expect` block: checker names that must not hold. */
  readonly expectViolated?: readonly string[];
  readonly name?: string;
  readonly description?: string;
}

function has(kind: ConfigKind, name: string, version: KafkaVersion): boolean {
  const def = configDef(kind, name);
  return def !== undefined && existsIn(def, version);
}

function seconds(us: number): string {
  if (us % 1_000_000 === 0) return `${us / 1_000_000}s`;
  if (us % 1000 === 0) return `${us / 1000}ms`;
  return `${us}us`;
}

/** YAML flow mapping of plain scalars (keys and values here never need quoting but versions do). */
function flow(entries: ReadonlyArray<readonly [string, string | number | boolean]>): string {
  return `{ ${entries.map(([k, v]) => `${k}: ${v}`).join(", ")} }`;
}

function faultLines(f: Fault): string[] {
  const at = seconds(f.atUs);
  const lines: string[] = [`  # ${describeFault(f)}`];
  const end = f.forUs === null ? null : seconds(f.atUs + f.forUs);
  switch (f.kind) {
    case "crash":
      lines.push(`  - { at: ${at}, crash: { node: ${f.broker}, mode: ${f.mode} } }`);
      if (end !== null) lines.push(`  - { at: ${end}, restart: ${f.broker} }`);
      break;
    case "crash-two":
      for (const b of f.brokers)
        lines.push(`  - { at: ${at}, crash: { node: ${b}, mode: ${f.mode} } }`);
      if (end !== null) for (const b of f.brokers) lines.push(`  - { at: ${end}, restart: ${b} }`);
      break;
    case "isolate":
      lines.push(`  - { at: ${at}, isolate: ${f.node} }`);
      if (end !== null) lines.push(`  - { at: ${end}, heal: ${f.node} }`);
      break;
    case "partition":
      // Block style: a flow line with every node would pass the formatter's line width.
      lines.push(`  - at: ${at}`, "    partition:");
      for (const g of f.groups) lines.push(`      - [${g.join(", ")}]`);
      if (end !== null) lines.push(`  - { at: ${end}, heal: all }`);
      break;
    case "cut":
      lines.push(`  - { at: ${at}, cut: { from: ${f.from}, to: ${f.to} } }`);
      if (end !== null) lines.push(`  - { at: ${end}, heal: ${f.from} }`);
      break;
    case "hold":
      lines.push(`  - { at: ${at}, hold: { from: ${f.from}, to: ${f.to} } }`);
      if (end !== null) lines.push(`  - { at: ${end}, release: { from: ${f.from}, to: ${f.to} } }`);
      break;
    case "slow-disk":
      lines.push(`  - { at: ${at}, slow-disk: { broker: ${f.broker}, factor: ${f.factor} } }`);
      if (end !== null)
        lines.push(`  - { at: ${end}, slow-disk: { broker: ${f.broker}, factor: 1 } }`);
      break;
    case "slow-link":
      lines.push(
        `  - { at: ${at}, delay: { from: ${f.from}, to: ${f.to}, latency: ${seconds(f.latencyUs)} } }`,
      );
      if (end !== null) {
        lines.push(`  - { at: ${end}, delay: { from: ${f.from}, to: ${f.to}, latency: 0ms } }`);
      }
      break;
    case "kill":
      lines.push(`  - { at: ${at}, kill: ${f.client} }`);
      if (end !== null) lines.push(`  - { at: ${end}, start: ${f.client} }`);
      break;
  }
  return lines;
}

/** The scenario file of a case. */
export function scenarioText(c: SearchCase, options: ScenarioTextOptions = {}): string {
  const v = c.version;
  const s = c.settings;
  const out: string[] = [];
  for (const h of options.header ?? []) out.push(h === "" ? "#" : `# ${h}`);
  out.push("version: 1");
  out.push(`name: ${JSON.stringify(options.name ?? "Fault search run")}`);
  if (options.description !== undefined) {
    out.push(`description: ${JSON.stringify(options.description)}`);
  }
  out.push(`seed: ${c.seed}`);
  out.push(`duration: ${seconds(c.durationUs)}`);
  out.push("cluster:");
  out.push(`  version: "${v}"`);
  if (c.racks > 0) {
    out.push("  brokers:");
    for (let id = 1; id <= c.brokers; id++) {
      out.push(`    - { id: ${id}, rack: r${((id - 1) % c.racks) + 1} }`);
    }
  } else {
    out.push(`  brokers: ${c.brokers}`);
  }
  // ZooKeeper profiles have no combined mode: the ensemble of one stands in.
  const zk = versionProfile(v).defaultMode === "zookeeper";
  out.push(`  controllers: ${zk && c.controllers === "combined" ? 1 : c.controllers}`);
  out.push("  config:");
  out.push(`    min.insync.replicas: ${s["min.insync.replicas"]}`);
  out.push(`    unclean.leader.election.enable: ${s["unclean.leader.election.enable"]}`);
  for (const [k, value] of CLUSTER_TIMEOUTS)
    if (has("broker", k, v)) out.push(`    ${k}: ${value}`);
  out.push("topics:");
  out.push(
    `  - { name: ${TOPIC}, partitions: ${c.partitions}, replication-factor: ${c.replicationFactor} }`,
  );
  if (c.processors.length > 0) {
    out.push(
      `  - { name: ${OUTPUT_TOPIC}, partitions: ${c.partitions}, replication-factor: ${c.replicationFactor} }`,
    );
  }
  out.push("clients:");
  const untilUs = c.durationUs - Math.min(QUIET_TAIL_US, Math.floor(c.durationUs / 4));
  c.producers.forEach((p, i) => {
    const config: Array<readonly [string, string | number | boolean]> = [["acks", s.acks]];
    if (has("producer", "enable.idempotence", v)) {
      config.push(["enable.idempotence", s["enable.idempotence"]]);
    }
    config.push([
      "max.in.flight.requests.per.connection",
      s["max.in.flight.requests.per.connection"],
    ]);
    config.push(["retries", s.retries]);
    for (const [k, value] of PRODUCER_TIMEOUTS) if (has("producer", k, v)) config.push([k, value]);
    out.push(`  - id: ${producerId(i)}`);
    out.push("    type: producer");
    out.push("    config:");
    for (const [key, value] of config) out.push(`      ${key}: ${value}`);
    const keys = p.keys > 0 ? `"uniform(${p.keys})"` : "none";
    out.push(
      `    workload: ${flow([
        ["topic", TOPIC],
        ["rate", `${p.rate}/s`],
        ["keys", keys],
        ["value-size", "100B"],
        ["until", seconds(untilUs)],
      ])}`,
    );
  });
  c.consumers.forEach((k, i) => {
    const config: Array<readonly [string, string | number | boolean]> = [
      ["enable.auto.commit", s["enable.auto.commit"]],
      ["partition.assignment.strategy", ASSIGNOR_CLASSES[s["partition.assignment.strategy"]]],
    ];
    for (const [key, value] of CONSUMER_TIMEOUTS)
      if (has("consumer", key, v)) config.push([key, value]);
    out.push(`  - id: ${consumerId(i)}`);
    out.push("    type: consumer");
    out.push(`    group: ${k.group}`);
    out.push(`    subscribe: [${TOPIC}]`);
    out.push("    config:");
    for (const [key, value] of config) out.push(`      ${key}: ${value}`);
    out.push(`    processing-time: ${seconds(k.processingUs)}`);
    if (!s["enable.auto.commit"]) out.push("    commit: sync");
  });
  c.processors.forEach((k, i) => {
    out.push(`  - id: ${processorId(i)}`);
    out.push("    type: stream-processor");
    out.push(`    input: [${TOPIC}]`);
    out.push(`    output: ${OUTPUT_TOPIC}`);
    out.push("    config:");
    out.push(`      application.id: ${APPLICATION_ID}`);
    out.push(`      processing.guarantee: ${s["processing.guarantee"]}`);
    for (const [key, value] of CONSUMER_TIMEOUTS) {
      if (key !== "auto.offset.reset" && has("consumer", key, v))
        out.push(`      consumer.${key}: ${value}`);
    }
    for (const [key, value] of PRODUCER_TIMEOUTS) {
      if (has("producer", key, v)) out.push(`      producer.${key}: ${value}`);
    }
    out.push(`    processing-time: ${seconds(k.processingUs)}`);
  });
  if (c.faults.length > 0) {
    out.push("timeline:");
    for (const f of c.faults) out.push(...faultLines(f));
  }
  if ((options.expectViolated ?? []).length > 0) {
    out.push("expect:");
    for (const name of options.expectViolated ?? []) {
      out.push(`  - check: ${name}`);
      out.push("    holds: false");
    }
  }
  out.push("");
  return out.join("\n");
}
