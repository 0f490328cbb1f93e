/**
 * The Kafka side of a scenario run: builds the cluster from the scenario's `cluster` and `topics`,
 * carries out the Kafka actions of the timeline (controlled shutdown, topic and config changes,
 * elections, reassignments, Kafka's command-line tools) and evaluates `partition` expectations
 * against the metadata truth (the active controller's committed image).
 *
 * Producers: a `clients:` producer with a workload runs on the SyntheticProducer (keyless,
 * round-robin over the topic's partitions, fixed rate, one batch in flight per partition). Its
 * Kafka configs are resolved for the cluster's version (so 0.10's acks=1 and retries=0 defaults
 * apply) and mapped to the producer's options; linger.ms and the rest are ignored. Sends and
 * outcomes go to a HistoryRecorder, the replicas' side comes from the trace (TraceHistoryReader),
 * and at the end of the run `history()` adds the final state of every partition's replicas for the
 * checkers. Simplified: a `count` workload stops making batches at the time the rate reaches the
 * count (rounded up to whole batches); `arrival` is always fixed.
 */

import { finalStateOfCluster } from "../check/final-state.ts";
import {
  type FinalState,
  type History,
  HistoryRecorder,
  TraceHistoryReader,
} from "../check/history.ts";
import { ADMIN_NODE, AdminClient } from "../client/admin.ts";
import { SyntheticProducer, type SyntheticProducerConfig } from "../client/synthetic-producer.ts";
import type { Engine } from "../engine/engine.ts";
import { Host } from "../infra/host.ts";
import type { Network } from "../infra/network.ts";
import { ClusterBuildError, KafkaCluster, type MachineSpec } from "../kafka/cluster.ts";
import {
  configNumber,
  configNumberOrNull,
  configString,
  resolveBrokerConfig,
  resolveClientConfig,
  resolveTopicConfig,
} from "../kafka/config.ts";
import type { MetadataImage } from "../kafka/metadata/image.ts";
import { versionProfile } from "../kafka/version.ts";
import { describeTopics, type ToolOutput } from "../tools/kafka-topics-describe.ts";
import { ScenarioError } from "./errors.ts";
import type {
  Action,
  ClusterSpec,
  PartitionExpectation,
  ProducerSpec,
  Scenario,
  TopicSpec,
} from "./load.ts";

/** Value size of a workload that gives none (bytes). */
export const DEFAULT_VALUE_SIZE_BYTES = 1024;

export class KafkaWorld {
  readonly cluster: KafkaCluster;
  readonly admin: AdminClient;
  readonly recorder = new HistoryRecorder();
  /** The scenario's producers by client id, in the file's order. */
  readonly producers = new Map<string, SyntheticProducer>();

  constructor(
    private readonly engine: Engine,
    network: Network,
    private readonly scenario: Scenario,
    spec: ClusterSpec,
    machine: MachineSpec,
  ) {
    // Topic defaults come from the resolved broker config: the file's values, else Kafka's.
    const brokerConfig = resolveBrokerConfig(spec.version, spec.config, {
      brokerCount: spec.brokers.length,
    });
    const defaults = {
      partitions: configNumber(brokerConfig, "num.partitions"),
      rf: configNumber(brokerConfig, "default.replication.factor"),
    };
    const controllers =
      spec.controllers.kind === "dedicated"
        ? ({ kind: "dedicated", ids: spec.controllers.ids } as const)
        : spec.controllers.kind === "zookeeper"
          ? ({ kind: "zookeeper", ensembleSize: spec.controllers.nodes.length } as const)
          : ({ kind: "combined", voterIds: spec.controllers.voterIds } as const);
    try {
      this.cluster = new KafkaCluster(engine, network, {
        version: spec.version,
        brokers: spec.brokers.map((b) => ({ id: b.id, rack: b.rack })),
        controllers,
        machine,
        config: spec.config,
        topics: scenario.topics.map((t) => bootstrapTopic(t, defaults)),
      });
    } catch (error) {
      if (!(error instanceof ClusterBuildError)) throw error;
      const index = scenario.topics.findIndex((t) => t.name === error.topic);
      throw new ScenarioError([
        {
          file: scenario.source.file,
          line: 1,
          column: 1,
          path: `topics[${index}]`,
          message: `topic \`${error.topic}\`: ${error.message}`,
        },
      ]);
    }
    new Host(engine, network, { name: ADMIN_NODE, ...machine, disks: machine.disks.slice(0, 1) });
    this.admin = new AdminClient(engine, network, this.cluster.voters);
    const reader = new TraceHistoryReader(this.recorder);
    engine.trace.subscribe((e) => reader.observe(e));
    for (const client of scenario.clients) {
      if (client.type !== "producer" || client.workload === null) continue;
      this.producers.set(
        client.id,
        new SyntheticProducer(engine, network, {
          ...producerOptions(client, spec, scenario.durationUs),
          bootstrap: spec.brokers.map((b) => b.id),
          history: this.recorder,
          machine: { ...machine, disks: machine.disks.slice(0, 1) },
        }),
      );
    }
  }

  boot(): void {
    this.cluster.boot();
    for (const producer of this.producers.values()) producer.boot();
  }

  /** Every partition's leader and replicas' logs as they stand now (undefined: no active controller). */
  finalState(): FinalState | undefined {
    return finalStateOfCluster(this.cluster, this.engine.now);
  }

  /** The run's history with the final state taken now; undefined while no controller is active. */
  history(nowUs: number): History | undefined {
    const final = this.finalState();
    if (final === undefined) return undefined;
    this.recorder.setFinal(final);
    return this.recorder.history(nowUs);
  }

  /** Carries out a Kafka action; returns false for actions this layer does not own. */
  perform(a: Action): boolean {
    switch (a.kind) {
      case "crash": {
        const producer = this.producers.get(a.node);
        if (producer !== undefined) {
          producer.host.crash(a.mode);
          return true;
        }
        if (!this.cluster.hosts.has(a.node)) return false;
        this.cluster.crash(a.node, a.mode);
        return true;
      }
      case "restart": {
        const producer = this.producers.get(a.node);
        if (producer !== undefined) {
          producer.host.restart();
          return true;
        }
        if (!this.cluster.hosts.has(a.node)) return false;
        this.cluster.restart(a.node);
        return true;
      }
      case "start":
      case "stop":
      case "kill": {
        const producer = this.producers.get(a.client);
        if (producer === undefined) return false;
        // kill: a crash of the client's process; start: after a kill, the process comes back.
        if (a.kind === "kill") producer.host.crash("process");
        else if (a.kind === "stop") producer.stop();
        else if (!producer.host.isUp) producer.host.restart();
        return true;
      }
      case "shutdown":
        this.cluster.shutdown(Number(a.node));
        return true;
      case "create-topic":
        this.admin.call({
          op: "CreateTopics",
          topics: [
            {
              name: a.topic.name,
              numPartitions:
                a.topic.assignment === null ? (a.topic.partitions ?? this.defaultPartitions()) : -1,
              replicationFactor:
                a.topic.assignment === null ? (a.topic.replicationFactor ?? this.defaultRf()) : -1,
              ...(a.topic.assignment === null ? {} : { assignment: a.topic.assignment }),
              configs: stringify(a.topic.config),
            },
          ],
        });
        return true;
      case "delete-topic":
        this.admin.call({ op: "DeleteTopics", topics: [a.topic] });
        return true;
      case "alter-topic":
        this.admin.call({ op: "CreatePartitions", topic: a.topic, count: a.partitions });
        return true;
      case "alter-config":
        this.admin.call({
          op: "IncrementalAlterConfigs",
          resourceType: a.entity.type,
          resourceName: a.entity.type === "topic" ? a.entity.name : a.entity.node,
          set: stringify(a.set),
          delete: a.delete,
        });
        return true;
      case "reassign":
        this.admin.call({
          op: "AlterPartitionReassignments",
          reassignments: [{ topic: a.topic, partition: a.partition, replicas: a.replicas }],
        });
        return true;
      case "elect-leaders":
        this.admin.call({
          op: "ElectLeaders",
          electionType: a.electionType,
          ...(a.topic === null ? {} : { partitions: this.partitionsOf(a.topic, a.partition) }),
        });
        return true;
      default:
        return false;
    }
  }

  /** The metadata truth now (undefined while no controller is active). */
  image(): MetadataImage | undefined {
    return this.cluster.activeImage();
  }

  /** Runs `kafka-topics.sh` against the cluster now. */
  kafkaTopics(args: readonly string[]): ToolOutput {
    const image = this.image();
    if (image === undefined) {
      return {
        stdout: "",
        stderr:
          "Error while executing topic command : Timed out waiting for a node assignment. Call: describeTopics\n",
        exitCode: 1,
      };
    }
    const has = (flag: string) => args.includes(flag);
    const topics: string[] = [];
    for (let i = 0; i < args.length; i++)
      if (args[i] === "--topic" && args[i + 1] !== undefined) topics.push(args[i + 1]!);
    if (has("--list")) {
      const names = image
        .sortedTopicNames()
        .filter((n) => !(has("--exclude-internal") && n.startsWith("__")));
      return { stdout: names.map((n) => `${n}\n`).join(""), stderr: "", exitCode: 0 };
    }
    if (!has("--describe")) {
      return {
        stdout: "",
        stderr:
          "kafkasim: this build runs kafka-topics.sh with --describe and --list; use the timeline's create-topic, alter-topic and delete-topic actions for the others\n",
        exitCode: 1,
      };
    }
    const profile = versionProfile(this.scenario.cluster!.version);
    const brokerConfig = this.cluster.brokerConfig;
    return describeTopics(image, {
      ...(topics.length > 0 ? { topics } : {}),
      underReplicated: has("--under-replicated-partitions"),
      underMinIsr: has("--under-min-isr-partitions"),
      atMinIsr: has("--at-min-isr-partitions"),
      unavailable: has("--unavailable-partitions"),
      topicsWithOverrides: has("--topics-with-overrides"),
      ifExists: has("--if-exists"),
      printElr: profile.describePrintsElr,
      minIsrOf: (topic) =>
        configNumber(
          resolveTopicConfig(
            this.scenario.cluster!.version,
            brokerConfig,
            image.configsOf("TOPIC", topic) ?? {},
          ),
          "min.insync.replicas",
        ),
    });
  }

  /** Checks a `partition` expectation against the metadata truth; returns a verdict in words. */
  checkPartition(e: PartitionExpectation): { what: string; ok: boolean } {
    const tp = `${e.topic}-${e.partition}`;
    const wanted: string[] = [];
    if (e.leader !== null) wanted.push(`leader ${e.leader}`);
    if (e.leaderEpoch !== null) wanted.push(`leader epoch ${e.leaderEpoch}`);
    if (e.isr !== null) wanted.push(`isr [${e.isr.join(",")}]`);
    if (e.elr !== null) wanted.push(`elr [${e.elr.join(",")}]`);
    if (e.replicas !== null) wanted.push(`replicas [${e.replicas.join(",")}]`);
    const at = e.atUs === "end" ? "at the end" : `at ${(e.atUs / 1_000_000).toFixed(3)} s`;
    const what = `${at}: ${tp} ${wanted.join(", ")}`;
    const image = this.image();
    const state = image?.partition(e.topic, e.partition);
    if (state === undefined)
      return { what: `${what} (no such partition, or no active controller)`, ok: false };
    const sameSet = (a: readonly number[], b: readonly number[]) =>
      a.length === b.length && a.every((x) => b.includes(x));
    const problems: string[] = [];
    if (e.leader !== null) {
      const actual = state.leader === -1 ? "none" : state.leader;
      if (actual !== e.leader) problems.push(`leader is ${actual}`);
    }
    if (e.leaderEpoch !== null && state.leaderEpoch !== e.leaderEpoch)
      problems.push(`leader epoch is ${state.leaderEpoch}`);
    if (e.isr !== null && !sameSet(e.isr, state.isr))
      problems.push(`isr is [${state.isr.join(",")}]`);
    if (e.elr !== null && !sameSet(e.elr, state.elr))
      problems.push(`elr is [${state.elr.join(",")}]`);
    if (e.replicas !== null && !sameSet(e.replicas, state.replicas))
      problems.push(`replicas are [${state.replicas.join(",")}]`);
    if (e.highWatermark !== null)
      problems.push("high-watermark expectations need the clients issue's consumers (not checked)");
    return {
      what: problems.length === 0 ? what : `${what}; but ${problems.join(", ")}`,
      ok: problems.length === 0,
    };
  }

  private defaultPartitions(): number {
    return configNumber(this.cluster.brokerConfig, "num.partitions");
  }

  private defaultRf(): number {
    return configNumber(this.cluster.brokerConfig, "default.replication.factor");
  }

  private partitionsOf(
    topic: string,
    partition: number | null,
  ): Array<{ topic: string; partition: number }> {
    if (partition !== null) return [{ topic, partition }];
    const n = this.image()?.topicByName(topic)?.partitions.length ?? 0;
    return Array.from({ length: n }, (_, p) => ({ topic, partition: p }));
  }
}

/** A producer client's options for the SyntheticProducer, from its workload and Kafka configs. */
function producerOptions(client: ProducerSpec, spec: ClusterSpec, durationUs: number) {
  const w = client.workload!;
  const cfg = resolveClientConfig("producer", spec.version, client.config);
  const valueBytes = w.valueSizeBytes ?? DEFAULT_VALUE_SIZE_BYTES;
  // Records per second × value size, rounded up to a whole byte per second.
  const bytesPerSec =
    "bytesPerSec" in w.rate
      ? Math.ceil(w.rate.bytesPerSec)
      : Math.ceil(w.rate.recordsPerSec * valueBytes);
  const acksText = configString(cfg, "acks") ?? "all";
  const acks: -1 | 0 | 1 = acksText === "0" ? 0 : acksText === "1" ? 1 : -1;
  const config: { -readonly [K in keyof SyntheticProducerConfig]?: SyntheticProducerConfig[K] } = {
    acks,
  };
  for (const name of [
    "request.timeout.ms",
    "delivery.timeout.ms",
    "retries",
    "retry.backoff.ms",
    "retry.backoff.max.ms",
    "buffer.memory",
  ] as const) {
    // Configs the version does not have (delivery.timeout.ms before 2.1) keep the model's default.
    const value = Object.hasOwn(cfg.values, name) ? configNumberOrNull(cfg, name) : null;
    if (value !== null) config[name] = Math.min(value, 2_147_483_647);
  }
  if (config["delivery.timeout.ms"] === undefined && config["request.timeout.ms"] !== undefined) {
    // Before 2.1 there is no delivery timeout: retries bound a batch's life instead.
    config["delivery.timeout.ms"] = Math.max(120_000, config["request.timeout.ms"]);
  }
  const batchBytes = Math.max(valueBytes, configNumberOrNull(cfg, "batch.size") ?? 16_384);
  let stopAtUs = w.untilUs ?? undefined;
  if (w.count !== null) {
    // The time the rate reaches `count` records, rounded up to a whole microsecond.
    stopAtUs = w.fromUs + Math.ceil((w.count * valueBytes * 1_000_000) / bytesPerSec);
  }
  return {
    clientId: client.id,
    topic: w.topic,
    bytesPerSec,
    recordBytes: valueBytes,
    batchBytes,
    config,
    startAtUs: w.fromUs,
    stopAtUs: stopAtUs ?? durationUs,
  };
}

function stringify(
  config: Readonly<Record<string, string | number | boolean>>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(config).sort()) out[key] = String(config[key]);
  return out;
}

function bootstrapTopic(t: TopicSpec, defaults: { partitions: number; rf: number }) {
  const partitions = t.assignment?.length ?? t.partitions ?? defaults.partitions;
  const replicationFactor = t.assignment?.[0]?.length ?? t.replicationFactor ?? defaults.rf;
  return {
    name: t.name,
    partitions,
    replicationFactor,
    config: stringify(t.config),
    assignment: t.assignment,
  };
}
