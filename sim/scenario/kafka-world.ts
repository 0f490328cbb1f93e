/**
 * The Kafka side of a scenario run: builds the cluster from the scenario's `cluster` and `topics`,
 * carries out the Kafka actions of the timeline (controlled shutdown, topic and config changes,
 * elections, reassignments, Kafka's command-line tools) and evaluates `partition` expectations
 * against the metadata truth (the active controller's committed image).
 *
 * Clients: each `clients:` producer is a KafkaProducer (Kafka's Java producer as modelled: its
 * configs resolved for the cluster's version, its workload driving `send`), each consumer a
 * KafkaConsumer (a group member subscribing to its topics, or, without a group, assigned every
 * partition of them), each on a host of its own. Sends, outcomes, polls, commits, resets and
 * rebalances go to a HistoryRecorder, the replicas' side comes from the trace
 * (TraceHistoryReader), and at the end of the run `history()` adds the final state of every
 * partition's replicas for the checkers.
 */

import { finalStateOfCluster } from "../check/final-state.ts";
import {
  type FinalState,
  type History,
  HistoryRecorder,
  TraceHistoryReader,
} from "../check/history.ts";
import { ADMIN_NODE, AdminClient } from "../client/admin.ts";
import { KafkaConsumer } from "../client/consumer/kafka-consumer.ts";
import { KafkaProducer } from "../client/producer/kafka-producer.ts";
import type { KeyDistribution, ProducerWorkload } from "../client/producer/workload.ts";
import { StreamProcessor } from "../client/streams/stream-processor.ts";
import type { Engine } from "../engine/engine.ts";
import { Host } from "../infra/host.ts";
import type { Network } from "../infra/network.ts";
import { ClusterBuildError, KafkaCluster, type MachineSpec } from "../kafka/cluster.ts";
import { configNumber, resolveBrokerConfig } from "../kafka/config.ts";
import { coordinatorPartition, OFFSETS_TOPIC } from "../kafka/group/placement.ts";
import type { MetadataImage } from "../kafka/metadata/image.ts";
import type { ConsumerGroupsWorld, GroupView } from "../tools/kafka-consumer-groups.ts";
import { findTool } from "../tools/registry.ts";
import type { ToolContext, ToolOutput } from "../tools/tool.ts";
import { ScenarioError } from "./errors.ts";
import type {
  Action,
  ClusterSpec,
  ConsumerSpec,
  GroupExpectation,
  KeySpec,
  PartitionExpectation,
  Scenario,
  StreamProcessorSpec,
  TopicSpec,
  WorkloadSpec,
} from "./load.ts";

/** Value size of a workload that gives none (bytes). */
export const DEFAULT_VALUE_SIZE_BYTES = 1024;

export class KafkaWorld {
  readonly cluster: KafkaCluster;
  readonly admin: AdminClient;
  readonly recorder = new HistoryRecorder();
  /** The scenario's producers by client id, in the file's order. */
  readonly producers = new Map<string, KafkaProducer>();
  /** The scenario's consumers by client id, in the file's order. */
  readonly consumers = new Map<string, KafkaConsumer>();
  /** The scenario's stream processors by client id, in the file's order. */
  readonly processors = new Map<string, StreamProcessor>();
  private readonly bootstrap: readonly number[];
  private readonly clientMachine: MachineSpec;

  constructor(
    private readonly engine: Engine,
    private readonly network: Network,
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
    const bootstrap = spec.brokers.map((b) => b.id);
    const clientMachine = { ...machine, disks: machine.disks.slice(0, 1) };
    this.bootstrap = bootstrap;
    this.clientMachine = clientMachine;
    for (const client of scenario.clients) {
      this.usedClientIds.add(client.id);
      if (client.type === "producer") {
        this.producers.set(
          client.id,
          new KafkaProducer(engine, network, {
            clientId: client.id,
            version: spec.version,
            config: client.config,
            bootstrap,
            history: this.recorder,
            keepPayloads: client.payloads,
            // Outcomes are in the history; keeping every record's too costs memory on long runs.
            trackRecords: false,
            ...(client.workload === null
              ? {}
              : { workload: producerWorkload(client.workload, scenario.durationUs) }),
            machine: clientMachine,
          }),
        );
      } else if (client.type === "stream-processor") {
        this.processors.set(client.id, this.makeProcessor(client, bootstrap, clientMachine));
      } else {
        this.consumers.set(client.id, this.makeConsumer(client, bootstrap, clientMachine));
      }
    }
  }

  /** Every producer by node id: the scenario's, then each stream processor's (`<id>-producer`). */
  allProducers(): Map<string, KafkaProducer> {
    const out = new Map(this.producers);
    for (const [id, p] of this.processors) out.set(`${id}-producer`, p.producer);
    return out;
  }

  /** Every consumer by node id: the scenario's, then each stream processor's. */
  allConsumers(): Map<string, KafkaConsumer> {
    const out = new Map(this.consumers);
    for (const [id, p] of this.processors) out.set(id, p.consumer);
    return out;
  }

  private makeProcessor(
    client: StreamProcessorSpec,
    bootstrap: readonly number[],
    machine: MachineSpec & { disks: MachineSpec["disks"] },
  ): StreamProcessor {
    this.recorder.processor({
      id: client.id,
      applicationId: client.settings.applicationId,
      guarantee: client.settings.guarantee,
      input: client.input,
      output: client.output,
    });
    return new StreamProcessor(this.engine, this.network, {
      clientId: client.id,
      version: this.scenario.cluster!.version,
      bootstrap,
      settings: client.settings,
      input: client.input,
      output: client.output,
      outputPartitions: () =>
        this.cluster.activeImage()?.topicByName(client.output)?.partitions.length ?? 1,
      processingUsPerRecord: client.processingTimeUs,
      valueBytes: client.valueSizeBytes ?? 100,
      keepPayloads: client.payloads,
      history: this.recorder,
      machine,
    });
  }

  private makeConsumer(
    client: ConsumerSpec,
    bootstrap: readonly number[],
    machine: MachineSpec & { disks: MachineSpec["disks"] },
  ): KafkaConsumer {
    const consumer = new KafkaConsumer(this.engine, this.network, {
      clientId: client.id,
      version: this.scenario.cluster!.version,
      bootstrap,
      config:
        client.group === null ? client.config : { ...client.config, "group.id": client.group },
      app: {
        processingUsPerRecord: client.processingTimeUs,
        mode: client.processing,
        commit: client.commit,
      },
      history: this.recorder,
      machine,
    });
    if (client.group !== null) consumer.subscribe(client.subscribe);
    else {
      // A consumer without a group reads every partition its topics have at the start, as an
      // application calling assign() with the partitions it listed would.
      const partitions = client.subscribe.flatMap((topic) =>
        Array.from({ length: this.cluster.topicAssignments.get(topic)?.length ?? 0 }, (_, p) => ({
          topic,
          partition: p,
        })),
      );
      consumer.assign(partitions);
    }
    return consumer;
  }

  /**
   * Clients whose first timeline action is `start` join the run then, not at t = 0 (a third
   * consumer arriving in a lesson about rebalancing).
   */
  private readonly notYetStarted = new Set<string>();

  boot(): void {
    const firstAction = new Map<string, string>();
    for (const entry of this.scenario.timeline) {
      const a = entry.action;
      if (
        (a.kind === "start" || a.kind === "stop" || a.kind === "kill") &&
        !firstAction.has(a.client)
      )
        firstAction.set(a.client, a.kind);
    }
    for (const [client, kind] of firstAction) if (kind === "start") this.notYetStarted.add(client);
    this.cluster.boot();
    for (const [id, producer] of this.producers) if (!this.notYetStarted.has(id)) producer.boot();
    for (const [id, consumer] of this.consumers) if (!this.notYetStarted.has(id)) consumer.boot();
    for (const [id, processor] of this.processors)
      if (!this.notYetStarted.has(id)) processor.boot();
  }

  /** Every partition's leader and replicas' logs as they stand now (undefined: no active controller). */
  finalState(): FinalState | undefined {
    return finalStateOfCluster(this.cluster, this.engine.now);
  }

  /** The run's history with the final state taken now; undefined while no controller is active. */
  history(nowUs: number): History | undefined {
    const final = this.finalState();
    if (final === undefined) return undefined;
    const groupOffsets = this.groupViews().flatMap((g) =>
      g.committed.map((o) => ({
        group: g.groupId,
        topic: o.topic,
        partition: o.partition,
        offset: o.offset,
      })),
    );
    this.recorder.setFinal({ ...final, groupOffsets });
    return this.recorder.history(nowUs);
  }

  /** Carries out a Kafka action; returns false for actions this layer does not own. */
  perform(a: Action): boolean {
    switch (a.kind) {
      case "crash": {
        const processor = this.processorOf(a.node);
        if (processor !== undefined) {
          processor.crash(a.mode);
          return true;
        }
        const client = this.clientHost(a.node);
        if (client !== undefined) {
          client.crash(a.mode);
          return true;
        }
        if (!this.cluster.hosts.has(a.node)) return false;
        this.cluster.crash(a.node, a.mode);
        return true;
      }
      case "restart": {
        const processor = this.processorOf(a.node);
        if (processor !== undefined) {
          processor.restart();
          return true;
        }
        const client = this.clientHost(a.node);
        if (client !== undefined) {
          client.restart();
          return true;
        }
        if (!this.cluster.hosts.has(a.node)) return false;
        this.cluster.restart(a.node);
        return true;
      }
      case "start":
      case "stop":
      case "kill": {
        const processor = this.processors.get(a.client);
        if (processor !== undefined) {
          if (a.kind === "start" && this.notYetStarted.delete(a.client)) processor.boot();
          else if (a.kind === "kill") processor.crash("process");
          else if (a.kind === "stop") processor.stop();
          else processor.restart();
          return true;
        }
        const producer = this.producers.get(a.client);
        const consumer = this.consumers.get(a.client);
        const host = producer?.host ?? consumer?.host;
        if (host === undefined) return false;
        // kill: a crash of the client's process; start: after a kill, the process comes back;
        // stop: graceful (the producer flushes; the consumer commits, leaves its group, closes).
        if (a.kind === "start" && this.notYetStarted.delete(a.client)) {
          producer?.boot();
          consumer?.boot();
        } else if (a.kind === "kill") host.crash("process");
        else if (a.kind === "stop") {
          producer?.stop();
          consumer?.close();
        } else if (!host.isUp) host.restart();
        return true;
      }
      case "commit": {
        const consumer = this.consumers.get(a.client);
        if (consumer === undefined) return false;
        consumer.commitAsync();
        return true;
      }
      case "produce": {
        const producer =
          a.client === null ? this.producers.values().next().value : this.producers.get(a.client);
        if (producer === undefined) return false;
        for (let i = 0; i < a.count; i++) {
          producer.send({
            topic: a.topic,
            key: a.key,
            value: a.value === null ? null : a.count === 1 ? a.value : `${a.value}-${i}`,
            ...(a.partition === null ? {} : { partition: a.partition }),
          });
        }
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

  /**
   * Every group as its coordinator sees it now: for each group, the broker leading the group's
   * `__consumer_offsets` partition in the metadata truth, if that broker is up and has loaded it.
   */
  groupViews(): GroupView[] {
    const image = this.image();
    const offsets = image?.topicByName(OFFSETS_TOPIC);
    if (image === undefined || offsets === undefined) return [];
    const views: GroupView[] = [];
    for (const [id, broker] of [...this.cluster.brokers.entries()].sort(([a], [b]) => a - b)) {
      const snapshot = broker.groupCoordinator();
      if (snapshot === null) continue;
      // Classic groups, then KIP-848 consumer groups (their members carry epochs and targets).
      const all = [
        ...snapshot.groups,
        ...snapshot.consumerGroups.map((g) => ({ ...g, offsets: g.offsets })),
      ];
      for (const g of all) {
        const p = coordinatorPartition(g.groupId, offsets.partitions.length);
        if (offsets.partitions[p]?.leader !== id) continue;
        views.push({
          groupId: g.groupId,
          state: g.state,
          protocol: g.protocol ?? "",
          coordinator: { id, host: `broker-${id}`, port: 9092 },
          members: g.members.map((m) => ({
            memberId: m.memberId,
            groupInstanceId: m.groupInstanceId,
            clientId: m.clientId,
            host: m.clientHost,
            assignment: m.assignment,
          })),
          committed: g.offsets.map((o) => ({
            topic: o.topic,
            partition: o.partition,
            offset: o.offset,
            leaderEpoch: o.leaderEpoch,
          })),
        });
      }
    }
    return views;
  }

  /** What kafka-consumer-groups.sh asks the cluster: groups, and each partition's offsets. */
  private consumerGroupsWorld(): ConsumerGroupsWorld {
    const image = this.image();
    const ends = new Map<string, { start: number; hw: number }>();
    for (const b of this.cluster.brokerSnapshots()) {
      if (b.state === "not-running") continue;
      for (const p of b.partitions) {
        const leader = image?.partition(p.topic, p.partition)?.leader;
        if (leader !== b.id || p.role !== "leader") continue;
        ends.set(`${p.topic}-${p.partition}`, { start: p.logStartOffset, hw: p.hw });
      }
    }
    return {
      groups: this.groupViews(),
      logEndOffset: (t, p) => ends.get(`${t}-${p}`)?.hw ?? null,
      logStartOffset: (t, p) => ends.get(`${t}-${p}`)?.start ?? null,
      partitionCount: (t) => image?.topicByName(t)?.partitions.length ?? null,
    };
  }

  /** The simulation as Kafka's tools see it (tool.ts). */
  toolContext(): ToolContext {
    return {
      version: this.scenario.cluster!.version,
      engine: this.engine,
      network: this.network,
      cluster: this.cluster,
      admin: this.admin,
      brokerConfig: this.cluster.brokerConfig,
      bootstrap: this.bootstrap,
      clientMachine: this.clientMachine,
      history: this.recorder,
      image: () => this.image(),
      consumerGroups: () => this.consumerGroupsWorld(),
      commitGroupOffsets: (plan) => this.commitOffsets(plan),
      newClientId: (prefix) => {
        let n = 1;
        while (this.usedClientIds.has(`${prefix}-${n}`)) n++;
        this.usedClientIds.add(`${prefix}-${n}`);
        return `${prefix}-${n}`;
      },
      atRunEnd: (fn) => this.runEndHooks.push(fn),
    };
  }

  private readonly runEndHooks: Array<() => void> = [];
  private readonly usedClientIds = new Set<string>();

  /**
   * Runs a Kafka tool now (`kafka-topics.sh ...`: the first word names it, however spelled);
   * `done` gets its output, at once or when the cluster has answered.
   */
  runTool(
    words: readonly string[],
    input: readonly string[],
    done: (output: ToolOutput) => void,
  ): void {
    const found = findTool(words[0] ?? "");
    if ("error" in found) {
      done({ stdout: "", stderr: `${found.error}\n`, exitCode: 1 });
      return;
    }
    let answered = false;
    found.tool(this.toolContext(), words.slice(1), input, (output) => {
      if (answered) throw new Error(`${found.name} answered twice`);
      answered = true;
      done(output);
    });
  }

  /** A tool that answers without waiting for the cluster (describe, list), run now. */
  runToolNow(words: readonly string[]): ToolOutput {
    let output: ToolOutput | undefined;
    this.runTool(words, [], (o) => {
      output = o;
    });
    if (output === undefined) throw new Error(`${words[0]} did not answer at once`);
    return output;
  }

  /** The scenario ended: tools still running finish (a console consumer prints and exits). */
  runEnded(): void {
    for (const fn of this.runEndHooks.splice(0)) fn();
  }

  /** Commits a reset plan through the admin client, to each group's coordinator. */
  private commitOffsets(
    plan: ReadonlyArray<{ group: string; topic: string; partition: number; offset: number }>,
  ): void {
    const image = this.image();
    const offsets = image?.topicByName(OFFSETS_TOPIC);
    const byGroup = new Map<string, typeof plan>();
    for (const e of plan) byGroup.set(e.group, [...(byGroup.get(e.group) ?? []), e]);
    for (const [group, entries] of byGroup) {
      if (offsets === undefined) continue;
      const leader =
        offsets.partitions[coordinatorPartition(group, offsets.partitions.length)]?.leader;
      if (leader === undefined || leader < 0) continue;
      this.admin.alterConsumerGroupOffsets(leader, group, entries);
    }
  }

  /** Checks a `group` expectation against the group's coordinator; a verdict in words. */
  checkGroup(e: GroupExpectation): { what: string; ok: boolean } {
    const wanted: string[] = [];
    if (e.state !== null) wanted.push(`state ${e.state}`);
    if (e.members !== null) wanted.push(`${e.members} members`);
    if (e.generation !== null) wanted.push(`generation ${e.generation}`);
    if (e.lag !== null) wanted.push(`lag ${e.lag}`);
    const at = e.atUs === "end" ? "at the end" : `at ${(e.atUs / 1_000_000).toFixed(3)} s`;
    const what = `${at}: group ${e.id} ${wanted.join(", ")}`;
    const world = this.consumerGroupsWorld();
    const group = world.groups.find((g) => g.groupId === e.id);
    const state = group?.state ?? "Dead";
    const problems: string[] = [];
    if (e.state !== null && state !== e.state) problems.push(`state is ${state}`);
    if (e.members !== null && (group?.members.length ?? 0) !== e.members)
      problems.push(`${group?.members.length ?? 0} members`);
    if (e.generation !== null) {
      const generation = this.groupGeneration(e.id);
      if (generation !== e.generation) problems.push(`generation is ${generation ?? "unknown"}`);
    }
    if (e.lag !== null) {
      // Total lag as kafka-consumer-groups shows it: HW − committed offset, summed over the
      // group's committed partitions that have a leader.
      let lag = 0;
      for (const c of group?.committed ?? []) {
        const end = world.logEndOffset(c.topic, c.partition);
        if (end !== null) lag += Math.max(0, end - c.offset);
      }
      if (lag !== e.lag) problems.push(`lag is ${lag}`);
    }
    return {
      what: problems.length === 0 ? what : `${what}; but ${problems.join(", ")}`,
      ok: problems.length === 0,
    };
  }

  private groupGeneration(groupId: string): number | undefined {
    const coordinator = this.groupViews().find((g) => g.groupId === groupId)?.coordinator.id;
    if (coordinator === undefined) return undefined;
    const snapshot = this.cluster.brokers.get(coordinator)?.groupCoordinator();
    // A classic group's generation, or a KIP-848 group's group epoch.
    return (
      snapshot?.groups.find((x) => x.groupId === groupId)?.generation ??
      snapshot?.consumerGroups.find((x) => x.groupId === groupId)?.groupEpoch
    );
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
    if (e.highWatermark !== null) wanted.push(`high watermark ${e.highWatermark}`);
    if (e.logStartOffset !== null) wanted.push(`log start offset ${e.logStartOffset}`);
    if (e.lastStableOffset !== null) wanted.push(`last stable offset ${e.lastStableOffset}`);
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
    // Replicas in assignment order (the first is the preferred leader); isr and elr as sets.
    if (
      e.replicas !== null &&
      (e.replicas.length !== state.replicas.length ||
        e.replicas.some((r, i) => state.replicas[i] !== r))
    )
      problems.push(`replicas are [${state.replicas.join(",")}]`);
    if (e.highWatermark !== null || e.logStartOffset !== null || e.lastStableOffset !== null) {
      // The leader's own offsets (a follower learns the HW one fetch later).
      const leader = state.leader >= 0 ? this.cluster.brokers.get(state.leader) : undefined;
      const host = leader === undefined ? undefined : this.cluster.hosts.get(String(state.leader));
      const mine =
        leader === undefined || host?.isUp !== true
          ? undefined
          : leader
              .snapshot()
              .partitions.find(
                (p) => p.topic === e.topic && p.partition === e.partition && p.role === "leader",
              );
      if (mine === undefined) {
        problems.push(
          state.leader < 0
            ? "no leader to read offsets from"
            : `leader ${state.leader} is down: offsets unknown`,
        );
      } else {
        if (e.highWatermark !== null && mine.hw !== e.highWatermark)
          problems.push(`high watermark is ${mine.hw}`);
        if (e.logStartOffset !== null && mine.logStartOffset !== e.logStartOffset)
          problems.push(`log start offset is ${mine.logStartOffset}`);
        if (e.lastStableOffset !== null && mine.lastStable !== e.lastStableOffset)
          problems.push(`last stable offset is ${mine.lastStable}`);
      }
    }
    return {
      what: problems.length === 0 ? what : `${what}; but ${problems.join(", ")}`,
      ok: problems.length === 0,
    };
  }

  /** The stream processor a node belongs to (its consumer's node or its producer's). */
  private processorOf(node: string): StreamProcessor | undefined {
    return this.processors.get(node) ?? this.processors.get(node.replace(/-producer$/, ""));
  }

  /** The host of a client named `node`, if it is one. */
  private clientHost(node: string) {
    return this.producers.get(node)?.host ?? this.consumers.get(node)?.host;
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

/** A scenario workload as the producer's workload (rates in records per second). */
function producerWorkload(w: WorkloadSpec, durationUs: number): ProducerWorkload {
  const valueBytes = w.valueSizeBytes ?? DEFAULT_VALUE_SIZE_BYTES;
  const ratePerSec =
    "bytesPerSec" in w.rate ? w.rate.bytesPerSec / Math.max(1, valueBytes) : w.rate.recordsPerSec;
  return {
    topic: w.topic,
    ratePerSec,
    valueBytes,
    arrival: w.arrival,
    keys: keyDistribution(w.keys),
    startAtUs: w.fromUs,
    stopAtUs: w.untilUs ?? durationUs,
    ...(w.count === null ? {} : { count: w.count }),
    ...(w.transaction === undefined ? {} : { transaction: w.transaction }),
  };
}

function keyDistribution(k: KeySpec): KeyDistribution {
  switch (k.kind) {
    case "none":
    case "sequence":
      return { kind: k.kind };
    case "uniform":
      return { kind: "uniform", count: k.n };
    case "zipf":
      return { kind: "zipf", count: k.n, s: k.s };
    case "list":
      return { kind: "list", keys: k.keys };
  }
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
