/**
 * The KRaft controller's logic (Kafka's QuorumController with its ClusterControlManager,
 * ReplicationControlManager and ConfigurationControlManager): it turns requests and timers into
 * metadata records, appends them through Raft, and answers a request only once its records are
 * committed (a request that writes nothing waits for every earlier write), as Kafka does.
 *
 * Every voter keeps the committed MetadataImage, applying each record the Raft layer commits, so a
 * newly elected controller has the image. Only the active controller (the Raft leader whose
 * LeaderChangeMessage is committed) also keeps `latest`, the committed image plus the records
 * appended and not yet committed; requests are validated against it. On losing leadership it
 * drops `latest` and answers pending requests with NOT_CONTROLLER.
 *
 * Models:
 * - Registration (broker epoch = offset of its RegisterBrokerRecord; the broker starts fenced; a
 *   new incarnation while the old one's session is valid gets DUPLICATE_BROKER_REGISTRATION; a
 *   previousBrokerEpoch that does not match the registered epoch is an unclean shutdown, which
 *   (3.7+) removes the broker from ISRs and ELRs first).
 * - Heartbeats and sessions (BrokerHeartbeatManager): fenced after broker.session.timeout.ms
 *   without a heartbeat; unfenced once its metadata offset reaches its registration record;
 *   wantFence; wantShutDown → controlled shutdown, then SHUTDOWN_NOW (fenced) once it leads
 *   nothing. Every session restarts when a controller becomes active, as Kafka's activate() does.
 * - AlterPartition, CreateTopics (StripedReplicaPlacer from the stream
 *   `controller/<id>/placement`), CreatePartitions, DeleteTopics, ElectLeaders, partition
 *   reassignment (completed as soon as an ISR change lets it), IncrementalAlterConfigs (changing
 *   min.insync.replicas clears the ELR state).
 * - Periodic tasks: the preferred-leader balancer every leader.imbalance.check.interval.seconds
 *   when auto.leader.rebalance.enable; the unclean election task every
 *   unclean.leader.election.interval.ms when the profile has kraftUncleanElectionConfig (3.9+);
 *   otherwise an unclean election happens only when the topic's effective
 *   unclean.leader.election.enable is true at fencing or unfencing time, or on demand.
 * - ELR (KIP-966) per the version profile, overridable with the broker config
 *   `eligible.leader.replicas.version` (4.0+) or `eligible.leader.replicas.enable` (3.7–3.9).
 *
 * Simplifies: no controller registrations, features, ACLs, quotas, producer ids or snapshots; no
 * create-topic policy; admin requests arrive here directly (Kafka forwards them from a broker);
 * the controller's cluster-wide defaults come from its own static config plus dynamic
 * cluster-level ConfigRecords; a shutting-down broker gets SHUTDOWN_NOW as soon as it leads
 * nothing (Kafka also waits for the other brokers to catch up with the metadata log); the
 * incarnation id rides in the RegisterBrokerRecord as an extra field.
 *
 * Faults: none of its own; it reacts to the brokers' (missed heartbeats, crashes, unclean
 * restarts) and to losing Raft leadership.
 */
import { assert } from "../../engine/assert.ts";
import type { RngStream } from "../../engine/rng.ts";
import type { TraceFields } from "../../engine/trace.ts";
import type { NetMessage } from "../../infra/network.ts";
import {
  configBoolean,
  configNumber,
  hasConfig,
  type ResolvedConfig,
  resolveBrokerConfig,
  resolveTopicConfig,
  validateConfig,
} from "../config.ts";
import { configDef } from "../config-defs.ts";
import {
  deriveTopicId,
  MetadataImage,
  type MetadataRecord,
  NO_LEADER,
  type PartitionChangeRecord,
  type PartitionRecord,
  type PartitionState,
  type RegisterBrokerRecord,
  type TopicImage,
} from "../metadata/image.ts";
import {
  alterPartition,
  alterPartitionReassignment,
  balancePartitionLeaders,
  buildPartitionChange,
  type ControllerPolicy,
  electLeaderOnDemand,
  newPartitionRecord,
  onBrokerFenced,
  onBrokerUncleanShutdown,
  onBrokerUnfenced,
  onControlledShutdown,
} from "../metadata/partition-change.ts";
import { type BrokerPlacementInfo, placeReplicasStriped } from "../metadata/placement.ts";
import type {
  AdminRequest,
  AdminRequestMessage,
  AdminResponseMessage,
  AlterPartitionRequest,
  AlterPartitionResponse,
  BrokerHeartbeatRequest,
  BrokerRegistrationRequest,
  ControlError,
  CreatableTopic,
  MetadataLogEntry,
} from "../protocol-control.ts";
import { type KafkaVersion, type VersionProfile, versionProfile } from "../version.ts";

/** The requests the controller serves. */
export type ControllerRequest =
  | BrokerRegistrationRequest
  | BrokerHeartbeatRequest
  | AlterPartitionRequest
  | AdminRequestMessage;

export type ControllerTimerTask = "session" | "imbalance" | "unclean" | "reassignment-check";

/** A timer's payload, plain data. `term` names the activation it belongs to. */
export interface ControllerTimer {
  readonly task: ControllerTimerTask;
  readonly term: number;
}

export interface QuorumControllerOptions {
  readonly nodeId: number;
  readonly version: KafkaVersion;
  /** This node's static broker configs (server.properties): its settings and cluster defaults. */
  readonly staticConfig: Readonly<Record<string, unknown>>;
  /** The stream `controller/<nodeId>/placement`. */
  readonly placementRng: RngStream;
}

export interface QuorumControllerHooks {
  now(): number;
  trace(type: string, fields: TraceFields): void;
  send(to: string, message: NetMessage): void;
  setTimer(delayUs: number, timer: ControllerTimer): unknown;
  cancelTimer(handle: unknown): void;
  /** Appends through Raft; only called while active. */
  append(records: readonly MetadataRecord[]): { baseOffset: number; lastOffset: number };
  logEndOffset(): number;
  highWatermark(): number;
  isRaftLeader(): boolean;
}

/** Kafka's controller metrics (JMX names); the gauges are 0 on a controller that is not active. */
export interface ControllerMetrics {
  readonly ActiveControllerCount: number;
  readonly OfflinePartitionsCount: number;
  readonly GlobalPartitionCount: number;
  readonly GlobalTopicCount: number;
  readonly FencedBrokerCount: number;
  readonly ActiveBrokerCount: number;
  /** Count of unclean leader elections this node has replayed (a Kafka meter's count). */
  readonly UncleanLeaderElectionsPerSec: number;
  /** Count of partition leader changes this node has replayed (a Kafka timer's count). */
  readonly LeaderElectionRateAndTimeMs: number;
}

/** Kafka's RegisterBrokerRecord has the incarnation id; image.ts's does not (yet). */
type RegisterBrokerRecordWithIncarnation = RegisterBrokerRecord & {
  readonly incarnationId?: string;
};

interface PendingReply {
  /** Exclusive: answered once the high watermark reaches it. */
  readonly endOffset: number;
  readonly committed: () => void;
  readonly failed: () => void;
}

interface AdminResult {
  readonly name: string;
  readonly error: ControlError;
  readonly message: string;
}

const RESPONSE_BYTES = 64;
const ADMIN_RESULT_BYTES = 32;
/** Kafka's Topic.validate. */
const TOPIC_NAME_MAX_LENGTH = 249;
const TOPIC_NAME_CHARS = /^[a-zA-Z0-9._-]+$/;

export class QuorumController {
  private readonly options: QuorumControllerOptions;
  private readonly hooks: QuorumControllerHooks;
  private readonly profile: VersionProfile;

  private committed = new MetadataImage();
  private readonly committedRegistrationOffsets = new Map<number, number>();
  private readonly committedIncarnations = new Map<number, string>();

  private active = false;
  private term = 0;
  private latest: MetadataImage | undefined;
  private readonly registrationOffsets = new Map<number, number>();
  private readonly incarnations = new Map<number, string>();
  /** Last contact per broker, µs (active only). */
  private readonly sessions = new Map<number, number>();
  private pending: PendingReply[] = [];
  /** Why a fencing record was written, by its offset, for the broker.fenced trace. */
  private readonly fenceReasons = new Map<number, string>();
  private readonly timers = new Map<ControllerTimerTask, { handle: unknown; atUs: number }>();
  private reassignmentCheckQueued = false;
  /** Partitions (`topicId:partition`) whose ISR changed since the last reassignment check. */
  private readonly isrChangedPartitions = new Set<string>();

  private brokerConfigCache: ResolvedConfig | undefined;
  private readonly topicConfigCache = new Map<string, ResolvedConfig>();

  private uncleanElections = 0;
  private leaderElections = 0;

  constructor(options: QuorumControllerOptions, hooks: QuorumControllerHooks) {
    this.options = options;
    this.hooks = hooks;
    this.profile = versionProfile(options.version);
  }

  // ---------------------------------------------------------------- lifecycle and queries

  get isActive(): boolean {
    return this.active;
  }

  /** The committed image (read-only for callers: tools and tests only). */
  get committedImage(): MetadataImage {
    return this.committed;
  }

  /** The bootstrap log is committed everywhere at t=0: applied without trace or metrics. */
  loadBootstrap(entries: readonly MetadataLogEntry[]): void {
    for (const entry of entries) {
      if (entry.record.type === "LeaderChangeMessage") continue;
      this.committed.apply(entry.record);
      this.noteRegistration(entry.record, entry.offset, false);
    }
  }

  /** The process died or restarts: nothing is sent; the image is rebuilt as Raft re-commits. */
  reset(): void {
    this.deactivate(false);
    this.committed = new MetadataImage();
    this.committedRegistrationOffsets.clear();
    this.committedIncarnations.clear();
  }

  /** Raft committed the LeaderChangeMessage of our epoch: become the active controller. */
  activate(): void {
    assert(!this.active, "activated twice");
    this.active = true;
    this.term++;
    this.latest = this.committed.clone();
    this.registrationOffsets.clear();
    for (const [id, offset] of this.committedRegistrationOffsets) {
      this.registrationOffsets.set(id, offset);
    }
    this.incarnations.clear();
    for (const [id, inc] of this.committedIncarnations) this.incarnations.set(id, inc);
    this.invalidateConfigCaches();
    const now = this.hooks.now();
    this.sessions.clear();
    for (const id of this.latest.sortedBrokerIds()) {
      if (this.latest.brokers.get(id)!.registered) this.sessions.set(id, now);
    }
    this.armSessionTimer();
    const cfg = this.brokerConfig();
    if (configBoolean(cfg, "auto.leader.rebalance.enable")) {
      this.setTimer("imbalance", this.imbalanceIntervalUs());
    }
    if (this.profile.kraftUncleanElectionConfig) {
      this.setTimer("unclean", this.uncleanIntervalUs());
    }
  }

  /**
   * Lost Raft leadership: drop the uncommitted view and answer what waits on it with
   * NOT_CONTROLLER (`notify` false: the process is dead, nobody answers).
   */
  deactivate(notify = true): void {
    if (!this.active) return;
    this.active = false;
    this.term++;
    this.latest = undefined;
    this.sessions.clear();
    this.fenceReasons.clear();
    this.reassignmentCheckQueued = false;
    this.isrChangedPartitions.clear();
    for (const timer of this.timers.values()) this.hooks.cancelTimer(timer.handle);
    this.timers.clear();
    this.invalidateConfigCaches();
    const failed = this.pending;
    this.pending = [];
    if (notify) for (const reply of failed) reply.failed();
  }

  metrics(): ControllerMetrics {
    let offline = 0;
    let partitions = 0;
    let fenced = 0;
    let activeBrokers = 0;
    if (this.active) {
      this.committed.forEachPartition((_topic, _id, state) => {
        partitions++;
        if (state.leader === NO_LEADER) offline++;
      });
      for (const broker of this.committed.brokers.values()) {
        if (!broker.registered) continue;
        if (broker.fenced) fenced++;
        else activeBrokers++;
      }
    }
    return {
      ActiveControllerCount: this.active ? 1 : 0,
      OfflinePartitionsCount: offline,
      GlobalPartitionCount: partitions,
      GlobalTopicCount: this.active ? this.committed.topics.size : 0,
      FencedBrokerCount: fenced,
      ActiveBrokerCount: activeBrokers,
      UncleanLeaderElectionsPerSec: this.uncleanElections,
      LeaderElectionRateAndTimeMs: this.leaderElections,
    };
  }

  // ---------------------------------------------------------------- committing

  /** Raft committed `entries`: apply them, then answer the requests that waited for them. */
  onCommit(entries: readonly MetadataLogEntry[], highWatermark: number): void {
    const leader = this.hooks.isRaftLeader();
    for (const entry of entries) {
      if (entry.record.type === "LeaderChangeMessage") continue;
      const record = entry.record;
      if (record.type === "PartitionChangeRecord") {
        this.countElections(record);
        if (record.isr !== undefined && this.active) {
          this.isrChangedPartitions.add(`${record.topicId}:${record.partitionId}`);
        }
      }
      const removedTopic =
        record.type === "RemoveTopicRecord" ? this.committed.topics.get(record.topicId)?.name : "";
      this.committed.apply(record);
      this.noteRegistration(record, entry.offset, false);
      if (leader) this.traceCommitted(entry.offset, record, removedTopic ?? "");
    }
    while (this.pending.length > 0 && this.pending[0]!.endOffset <= highWatermark) {
      this.pending.shift()!.committed();
    }
    if (this.isrChangedPartitions.size > 0) this.queueReassignmentCheck();
  }

  private countElections(record: PartitionChangeRecord): void {
    if (record.leader === undefined || record.leader === NO_LEADER) return;
    const before = this.committed.topics.get(record.topicId)?.partitions[record.partitionId];
    if (before === undefined || before.leader === record.leader) return;
    this.leaderElections++;
    if (record.leaderRecoveryState === "RECOVERING") this.uncleanElections++;
  }

  /** Registration offsets and incarnations, for the committed image or the latest one. */
  private noteRegistration(record: MetadataRecord, offset: number, latest: boolean): void {
    if (record.type !== "RegisterBrokerRecord") return;
    const offsets = latest ? this.registrationOffsets : this.committedRegistrationOffsets;
    const incarnations = latest ? this.incarnations : this.committedIncarnations;
    offsets.set(record.brokerId, offset);
    const incarnation = (record as RegisterBrokerRecordWithIncarnation).incarnationId;
    if (incarnation === undefined) incarnations.delete(record.brokerId);
    else incarnations.set(record.brokerId, incarnation);
  }

  private traceCommitted(offset: number, record: MetadataRecord, removedTopic: string): void {
    const trace = this.hooks.trace;
    switch (record.type) {
      case "RegisterBrokerRecord":
        trace("metadata.record", {
          offset,
          record: record.type,
          broker: record.brokerId,
          brokerEpoch: record.brokerEpoch,
          fenced: record.fenced ?? true,
        });
        trace("broker.registered", {
          broker: record.brokerId,
          brokerEpoch: record.brokerEpoch,
          unclean: record.uncleanShutdown ?? false,
        });
        return;
      case "UnregisterBrokerRecord":
        trace("metadata.record", {
          offset,
          record: record.type,
          broker: record.brokerId,
          brokerEpoch: record.brokerEpoch,
        });
        return;
      case "BrokerRegistrationChangeRecord":
        trace("metadata.record", {
          offset,
          record: record.type,
          broker: record.brokerId,
          brokerEpoch: record.brokerEpoch,
          fenced: record.fenced ?? null,
          inControlledShutdown: record.inControlledShutdown ?? null,
        });
        if (record.fenced === true) this.traceFenced(record.brokerId, offset);
        if (record.fenced === false) this.traceUnfenced(record.brokerId);
        return;
      case "FenceBrokerRecord":
      case "UnfenceBrokerRecord":
        trace("metadata.record", {
          offset,
          record: record.type,
          broker: record.id,
          brokerEpoch: record.epoch,
        });
        if (record.type === "FenceBrokerRecord") this.traceFenced(record.id, offset);
        else this.traceUnfenced(record.id);
        return;
      case "TopicRecord":
        trace("metadata.record", {
          offset,
          record: record.type,
          topic: record.name,
          topicId: record.topicId,
        });
        return;
      case "PartitionRecord":
      case "PartitionChangeRecord": {
        const topic = this.committed.topics.get(record.topicId)!;
        const state = topic.partitions[record.partitionId]!;
        trace("metadata.record", {
          offset,
          record: record.type,
          topic: topic.name,
          partition: record.partitionId,
          leader: state.leader,
          leaderEpoch: state.leaderEpoch,
          partitionEpoch: state.partitionEpoch,
          replicas: state.replicas.slice(),
          isr: state.isr.slice(),
          elr: state.elr.slice(),
          leaderRecoveryState: state.leaderRecoveryState,
        });
        return;
      }
      case "RemoveTopicRecord":
        trace("metadata.record", {
          offset,
          record: record.type,
          topic: removedTopic,
          topicId: record.topicId,
        });
        return;
      case "ConfigRecord":
        trace("metadata.record", {
          offset,
          record: record.type,
          resourceType: record.resourceType,
          resourceName: record.resourceName,
          name: record.name,
          value: record.value,
        });
        return;
    }
  }

  private traceUnfenced(broker: number): void {
    this.hooks.trace("broker.unfenced", { broker });
  }

  private traceFenced(broker: number, offset: number): void {
    const reason = this.fenceReasons.get(offset) ?? "unknown";
    this.fenceReasons.delete(offset);
    this.hooks.trace("broker.fenced", { broker, reason });
  }

  // ---------------------------------------------------------------- appending

  private latestImage(): MetadataImage {
    assert(this.active && this.latest !== undefined, "only the active controller writes");
    return this.latest;
  }

  /**
   * Applies `records` to the latest image and appends them through Raft. Returns the offset the
   * high watermark must reach for them to be committed.
   */
  private append(records: readonly MetadataRecord[], fenceReason = "unknown"): number {
    if (records.length === 0) return this.hooks.logEndOffset();
    const latest = this.latestImage();
    const base = this.hooks.logEndOffset();
    for (let i = 0; i < records.length; i++) {
      const record = records[i]!;
      latest.apply(record);
      this.noteRegistration(record, base + i, true);
      if (record.type === "ConfigRecord") this.invalidateConfigCaches();
      if (record.type === "BrokerRegistrationChangeRecord" && record.fenced === true) {
        this.fenceReasons.set(base + i, fenceReason);
      }
    }
    const { baseOffset, lastOffset } = this.hooks.append(records);
    assert(baseOffset === base, () => `records went to ${baseOffset}, expected ${base}`);
    return lastOffset + 1;
  }

  /** Answers once everything appended so far is committed (or fails if leadership is lost). */
  private replyWhenCommitted(committed: () => void, failed: () => void): void {
    const endOffset = this.hooks.logEndOffset();
    if (this.hooks.highWatermark() >= endOffset && this.pending.length === 0) {
      committed();
      return;
    }
    this.pending.push({ endOffset, committed, failed });
  }

  // ---------------------------------------------------------------- configs and policy

  private invalidateConfigCaches(): void {
    this.brokerConfigCache = undefined;
    this.topicConfigCache.clear();
  }

  /** The controller's broker config with the dynamic cluster-level and per-node overrides. */
  private brokerConfig(): ResolvedConfig {
    if (this.brokerConfigCache !== undefined) return this.brokerConfigCache;
    const image = this.latest ?? this.committed;
    const cfg = resolveBrokerConfig(this.options.version, this.options.staticConfig, {
      dynamicDefault: image.configsOf("BROKER", ""),
      dynamic: image.configsOf("BROKER", String(this.options.nodeId)),
    });
    this.brokerConfigCache = cfg;
    return cfg;
  }

  private topicConfig(topic: TopicImage): ResolvedConfig {
    let cfg = this.topicConfigCache.get(topic.name);
    if (cfg === undefined) {
      cfg = resolveTopicConfig(this.options.version, this.brokerConfig(), topic.configs);
      this.topicConfigCache.set(topic.name, cfg);
    }
    return cfg;
  }

  /** KIP-966 on: the profile's default, or an explicit broker (feature) config. */
  elrEnabled(): boolean {
    if (!this.profile.elrAvailable) return false;
    const cfg = this.brokerConfig();
    for (const name of ["eligible.leader.replicas.version", "eligible.leader.replicas.enable"]) {
      if (!hasConfig(cfg, name)) continue;
      if (cfg.sources[name] === "DEFAULT_CONFIG") return this.profile.elrDefaultEnabled;
      const value = cfg.values[name];
      return value === true || (typeof value === "number" && value >= 1);
    }
    return this.profile.elrDefaultEnabled;
  }

  private policy(): ControllerPolicy {
    const image = this.latestImage();
    return {
      elrEnabled: this.elrEnabled(),
      leaderEpochBumpOnIsrShrink: this.profile.leaderEpochBumpOnIsrShrink,
      minIsrOf: (name) => {
        const topic = image.topicByName(name);
        assert(topic !== undefined, () => `policy asked about unknown topic ${name}`);
        const minIsr = configNumber(this.topicConfig(topic), "min.insync.replicas");
        const rf = topic.partitions[0]?.replicas.length ?? minIsr;
        return Math.min(minIsr, rf);
      },
      uncleanLeaderElectionEnabledOf: (name) => {
        const topic = image.topicByName(name);
        assert(topic !== undefined, () => `policy asked about unknown topic ${name}`);
        return configBoolean(this.topicConfig(topic), "unclean.leader.election.enable");
      },
    };
  }

  /**
   * How long a broker may stay silent before it is fenced. Scenarios run profiles before 3.3 in
   * ZooKeeper mode (sim/kafka/zk/); a test harness may still put a KRaft controller in front of an
   * old profile's brokers, and then `zookeeper.session.timeout.ms` plays the part, as the broker's
   * ZooKeeper session would have.
   */
  private sessionTimeoutUs(): number {
    const cfg = this.brokerConfig();
    const name = this.profile.modes.includes("kraft")
      ? "broker.session.timeout.ms"
      : "zookeeper.session.timeout.ms";
    return configNumber(cfg, name) * 1000;
  }

  private imbalanceIntervalUs(): number {
    return configNumber(this.brokerConfig(), "leader.imbalance.check.interval.seconds") * 1_000_000;
  }

  private uncleanIntervalUs(): number {
    const cfg = this.brokerConfig();
    const ms = hasConfig(cfg, "unclean.leader.election.interval.ms")
      ? configNumber(cfg, "unclean.leader.election.interval.ms")
      : 300_000;
    return ms * 1000;
  }

  // ---------------------------------------------------------------- timers

  private setTimer(task: ControllerTimerTask, delayUs: number): void {
    const old = this.timers.get(task);
    if (old !== undefined) this.hooks.cancelTimer(old.handle);
    const handle = this.hooks.setTimer(delayUs, { task, term: this.term });
    this.timers.set(task, { handle, atUs: this.hooks.now() + delayUs });
  }

  handleTimer(timer: ControllerTimer): void {
    if (!this.active || timer.term !== this.term) return;
    this.timers.delete(timer.task);
    switch (timer.task) {
      case "session":
        this.fenceStaleBrokers();
        this.armSessionTimer();
        return;
      case "imbalance": {
        const { records, rescheduleImmediately } = balancePartitionLeaders(
          this.latestImage(),
          this.policy(),
        );
        this.append(records);
        if (configBoolean(this.brokerConfig(), "auto.leader.rebalance.enable")) {
          this.setTimer("imbalance", rescheduleImmediately ? 0 : this.imbalanceIntervalUs());
        }
        return;
      }
      case "unclean":
        this.electUncleanLeaders();
        this.setTimer("unclean", this.uncleanIntervalUs());
        return;
      case "reassignment-check":
        this.reassignmentCheckQueued = false;
        this.completeReassignments();
        return;
    }
  }

  /** The session timer fires at the earliest expiry among unfenced brokers. */
  private armSessionTimer(): void {
    const image = this.latestImage();
    const timeoutUs = this.sessionTimeoutUs();
    let earliest = Number.POSITIVE_INFINITY;
    for (const id of image.sortedBrokerIds()) {
      const broker = image.brokers.get(id)!;
      const lastUs = this.sessions.get(id);
      if (!broker.registered || broker.fenced || lastUs === undefined) continue;
      earliest = Math.min(earliest, lastUs + timeoutUs);
    }
    if (earliest === Number.POSITIVE_INFINITY) return;
    const armed = this.timers.get("session");
    if (armed !== undefined && armed.atUs <= earliest) return;
    this.setTimer("session", Math.max(0, earliest - this.hooks.now()));
  }

  private fenceStaleBrokers(): void {
    const image = this.latestImage();
    const now = this.hooks.now();
    const timeoutUs = this.sessionTimeoutUs();
    for (const id of image.sortedBrokerIds()) {
      const broker = image.brokers.get(id)!;
      const lastUs = this.sessions.get(id);
      if (!broker.registered || broker.fenced || lastUs === undefined) continue;
      if (now < lastUs + timeoutUs) continue;
      // One broker at a time, each seeing the effect of the previous (as Kafka does).
      this.append(onBrokerFenced(image, id, this.policy()), "session-timeout");
    }
  }

  private electUncleanLeaders(): void {
    const image = this.latestImage();
    const policy = this.policy();
    const records: MetadataRecord[] = [];
    image.forEachPartition((topic, partitionId, state) => {
      if (state.leader !== NO_LEADER || !policy.uncleanLeaderElectionEnabledOf(topic.name)) return;
      const result = electLeaderOnDemand(image, topic.name, partitionId, "unclean", policy);
      if (result.record !== undefined) records.push(result.record);
    });
    this.append(records);
  }

  /** Defer: a commit callback must not append (Raft forbids it), so check on the next event. */
  private queueReassignmentCheck(): void {
    if (this.reassignmentCheckQueued) return;
    this.reassignmentCheckQueued = true;
    this.setTimer("reassignment-check", 0);
  }

  /** A reassignment whose new replicas are all in the ISR now completes. */
  private completeReassignments(): void {
    const image = this.latestImage();
    const policy = this.policy();
    const records: MetadataRecord[] = [];
    const candidates = [...this.isrChangedPartitions];
    this.isrChangedPartitions.clear();
    for (const key of candidates) {
      const split = key.lastIndexOf(":");
      const topic = image.topics.get(key.slice(0, split));
      const partitionId = Number(key.slice(split + 1));
      const state = topic?.partitions[partitionId];
      if (topic === undefined || state === undefined) continue;
      if (state.addingReplicas.length === 0 && state.removingReplicas.length === 0) continue;
      const change = buildPartitionChange(state, {
        isAcceptableLeader: (id) => image.isActive(id),
        minIsr: policy.minIsrOf(topic.name),
        elrEnabled: policy.elrEnabled,
        election: policy.uncleanLeaderElectionEnabledOf(topic.name) ? "unclean" : "clean",
        leaderEpochBumpOnIsrShrink: policy.leaderEpochBumpOnIsrShrink,
      });
      const completes =
        change !== null &&
        (change.addingReplicas !== undefined || change.removingReplicas !== undefined);
      if (completes) {
        records.push({
          type: "PartitionChangeRecord",
          topicId: topic.topicId,
          partitionId,
          ...change,
        });
      }
    }
    this.append(records);
  }

  // ---------------------------------------------------------------- requests

  handleRequest(from: string, message: ControllerRequest): void {
    switch (message.type) {
      case "BrokerRegistrationRequest":
        this.onRegistration(from, message);
        return;
      case "BrokerHeartbeatRequest":
        this.onHeartbeat(from, message);
        return;
      case "AlterPartitionRequest":
        this.onAlterPartition(from, message);
        return;
      case "AdminRequest":
        this.onAdmin(from, message);
        return;
    }
  }

  private onRegistration(from: string, req: BrokerRegistrationRequest): void {
    const reply = (error: ControlError, brokerEpoch: number): void => {
      this.hooks.send(from, {
        type: "BrokerRegistrationResponse",
        bytes: RESPONSE_BYTES,
        correlationId: req.correlationId,
        error,
        brokerEpoch,
      });
    };
    if (!this.active) {
      reply("NOT_CONTROLLER", -1);
      return;
    }
    const image = this.latestImage();
    const id = req.brokerId;
    const existing = image.brokers.get(id);
    const registered = existing?.registered === true;
    if (registered && this.incarnations.get(id) === req.incarnationId) {
      // A retry of a registration we already made: same epoch, once it is committed.
      const epoch = existing!.brokerEpoch;
      this.replyWhenCommitted(
        () => reply("NONE", epoch),
        () => reply("NOT_CONTROLLER", -1),
      );
      return;
    }
    if (registered && this.hasValidSession(id)) {
      reply("DUPLICATE_BROKER_REGISTRATION", -1);
      return;
    }
    const unclean = registered && req.previousBrokerEpoch !== existing!.brokerEpoch;
    if (registered && !existing!.fenced) {
      this.append(onBrokerFenced(image, id, this.policy()), "re-registration");
    }
    if (unclean && this.profile.elrAvailable) {
      this.append(onBrokerUncleanShutdown(image, id, this.policy()));
    }
    const brokerEpoch = this.hooks.logEndOffset();
    const record: RegisterBrokerRecordWithIncarnation = {
      type: "RegisterBrokerRecord",
      brokerId: id,
      brokerEpoch,
      ...(req.rack === null ? {} : { rack: req.rack }),
      fenced: true,
      uncleanShutdown: unclean,
      incarnationId: req.incarnationId,
    };
    this.append([record]);
    this.sessions.set(id, this.hooks.now());
    this.replyWhenCommitted(
      () => reply("NONE", brokerEpoch),
      () => reply("NOT_CONTROLLER", -1),
    );
  }

  /** BrokerHeartbeatManager.hasValidSession: a fenced broker has none, whatever its last contact. */
  private hasValidSession(id: number): boolean {
    if (this.latest?.brokers.get(id)?.fenced !== false) return false;
    const lastUs = this.sessions.get(id);
    return lastUs !== undefined && this.hooks.now() < lastUs + this.sessionTimeoutUs();
  }

  private onHeartbeat(from: string, req: BrokerHeartbeatRequest): void {
    const reply = (
      error: ControlError,
      isCaughtUp: boolean,
      isFenced: boolean,
      shouldShutDown: boolean,
    ): void => {
      this.hooks.send(from, {
        type: "BrokerHeartbeatResponse",
        bytes: RESPONSE_BYTES,
        correlationId: req.correlationId,
        error,
        isCaughtUp,
        isFenced,
        shouldShutDown,
      });
    };
    if (!this.active) {
      reply("NOT_CONTROLLER", false, true, false);
      return;
    }
    const image = this.latestImage();
    const id = req.brokerId;
    const broker = image.brokers.get(id);
    if (broker === undefined || !broker.registered || broker.brokerEpoch !== req.brokerEpoch) {
      reply("STALE_BROKER_EPOCH", false, true, false);
      return;
    }
    this.sessions.set(id, this.hooks.now());
    const registrationOffset = this.registrationOffsets.get(id) ?? broker.brokerEpoch;
    const isCaughtUp = req.currentMetadataOffset >= registrationOffset;
    let shouldShutDown = false;
    if (broker.fenced) {
      if (req.wantShutDown) {
        shouldShutDown = true;
        this.sessions.delete(id);
      } else if (!req.wantFence && isCaughtUp) {
        this.append(onBrokerUnfenced(image, id, this.policy()));
        this.armSessionTimer();
      }
    } else if (req.wantFence) {
      this.append(onBrokerFenced(image, id, this.policy()), "want-fence");
    } else if (broker.inControlledShutdown || req.wantShutDown) {
      if (!this.leadsAnyPartition(image, id)) {
        // SHUTDOWN_NOW: nothing left to move, so the broker is fenced and may stop.
        this.append(onBrokerFenced(image, id, this.policy()), "controlled-shutdown");
        this.sessions.delete(id);
        shouldShutDown = true;
      } else if (!broker.inControlledShutdown) {
        this.append(onControlledShutdown(image, id, this.policy()));
      }
    }
    const isFenced = image.brokers.get(id)!.fenced;
    this.replyWhenCommitted(
      () => reply("NONE", isCaughtUp, isFenced, shouldShutDown),
      () => reply("NOT_CONTROLLER", isCaughtUp, true, false),
    );
  }

  private leadsAnyPartition(image: MetadataImage, brokerId: number): boolean {
    for (const topic of image.topics.values()) {
      for (const state of topic.partitions) if (state.leader === brokerId) return true;
    }
    return false;
  }

  private onAlterPartition(from: string, req: AlterPartitionRequest): void {
    const reply = (error: ControlError, partitions: AlterPartitionResponse["partitions"]): void => {
      this.hooks.send(from, {
        type: "AlterPartitionResponse",
        bytes: RESPONSE_BYTES + ADMIN_RESULT_BYTES * partitions.length,
        correlationId: req.correlationId,
        error,
        partitions,
      });
    };
    if (!this.active) {
      reply("NOT_CONTROLLER", []);
      return;
    }
    const image = this.latestImage();
    const requester = image.brokers.get(req.brokerId);
    if (requester?.registered !== true || requester.brokerEpoch !== req.brokerEpoch) {
      reply("STALE_BROKER_EPOCH", []);
      return;
    }
    const policy = this.policy();
    const results: Array<AlterPartitionResponse["partitions"][number]> = [];
    for (const item of req.partitions) {
      const result = alterPartition(
        image,
        {
          brokerId: req.brokerId,
          brokerEpoch: req.brokerEpoch,
          topicName: item.topic,
          partitionId: item.partition,
          leaderEpoch: item.leaderEpoch,
          partitionEpoch: item.partitionEpoch,
          newIsrWithEpochs: item.newIsr.map((brokerId) => ({ brokerId, brokerEpoch: -1 })),
          leaderRecoveryState: item.leaderRecoveryState,
        },
        policy,
      );
      if (result.record !== undefined) this.append([result.record]);
      results.push({
        topic: item.topic,
        partition: item.partition,
        error: result.error,
        leaderId: result.leaderId ?? NO_LEADER,
        leaderEpoch: result.leaderEpoch ?? -1,
        partitionEpoch: result.partitionEpoch ?? -1,
        isr: result.isr ?? [],
        leaderRecoveryState: result.leaderRecoveryState ?? "RECOVERED",
      });
    }
    this.replyWhenCommitted(
      () => reply("NONE", results),
      () => reply("NOT_CONTROLLER", []),
    );
  }

  // ---------------------------------------------------------------- admin

  private onAdmin(from: string, req: AdminRequestMessage): void {
    const reply = (error: ControlError, results: readonly AdminResult[]): void => {
      const response: AdminResponseMessage = {
        type: "AdminResponse",
        bytes: RESPONSE_BYTES + ADMIN_RESULT_BYTES * results.length,
        correlationId: req.correlationId,
        error,
        results,
      };
      this.hooks.send(from, response);
    };
    if (!this.active) {
      reply("NOT_CONTROLLER", []);
      return;
    }
    const results = this.runAdmin(req.request);
    this.replyWhenCommitted(
      () => reply("NONE", results),
      () => reply("NOT_CONTROLLER", []),
    );
  }

  private runAdmin(request: AdminRequest): AdminResult[] {
    switch (request.op) {
      case "CreateTopics": {
        const seen = new Set<string>();
        return request.topics.map((topic) => {
          if (seen.has(topic.name)) {
            return { name: topic.name, error: "INVALID_REQUEST", message: "Duplicate topic name." };
          }
          seen.add(topic.name);
          return this.createTopic(topic);
        });
      }
      case "CreatePartitions":
        return [this.createPartitions(request.topic, request.count, request.assignment)];
      case "DeleteTopics":
        return request.topics.map((name) => this.deleteTopic(name));
      case "ElectLeaders":
        return this.electLeaders(request.electionType, request.partitions);
      case "AlterPartitionReassignments":
        return request.reassignments.map((r) =>
          this.reassign(r.topic, r.partition, r.replicas === null ? null : r.replicas),
        );
      case "IncrementalAlterConfigs":
        return [
          this.alterConfigs(
            request.resourceType,
            request.resourceName,
            request.set,
            request.delete,
          ),
        ];
    }
  }

  private createTopic(topic: CreatableTopic): AdminResult {
    const name = topic.name;
    const fail = (error: ControlError, message: string): AdminResult => ({ name, error, message });
    const image = this.latestImage();
    const invalidName = topicNameProblem(name);
    if (invalidName !== undefined) return fail("INVALID_TOPIC_EXCEPTION", invalidName);
    if (image.topicByName(name) !== undefined) {
      return fail("TOPIC_ALREADY_EXISTS", `Topic '${name}' already exists.`);
    }
    const configNames = Object.keys(topic.configs).sort();
    for (const key of configNames) {
      const checked = validateConfig("topic", this.options.version, key, topic.configs[key]);
      if (!checked.ok) return fail("INVALID_CONFIG", checked.error);
    }
    let assignments: number[][];
    const manual = topic.assignment !== undefined && topic.assignment.length > 0;
    if (manual && topic.assignment !== undefined) {
      if (topic.replicationFactor !== -1) {
        return fail(
          "INVALID_REQUEST",
          "A manual partition assignment was specified, but replication factor was not set to -1.",
        );
      }
      if (topic.numPartitions !== -1) {
        return fail(
          "INVALID_REQUEST",
          "A manual partition assignment was specified, but numPartitions was not set to -1.",
        );
      }
      const problem = manualAssignmentProblem(image, topic.assignment, undefined);
      if (problem !== undefined) return fail("INVALID_REPLICA_ASSIGNMENT", problem);
      assignments = topic.assignment.map((replicas) => replicas.slice());
    } else {
      if (topic.replicationFactor < -1 || topic.replicationFactor === 0) {
        return fail(
          "INVALID_REPLICATION_FACTOR",
          "Replication factor must be larger than 0, or -1 to use the default value.",
        );
      }
      if (topic.numPartitions < -1 || topic.numPartitions === 0) {
        return fail(
          "INVALID_PARTITIONS",
          "Number of partitions was set to an invalid non-positive value.",
        );
      }
      const cfg = this.brokerConfig();
      const numPartitions =
        topic.numPartitions === -1 ? configNumber(cfg, "num.partitions") : topic.numPartitions;
      const rf =
        topic.replicationFactor === -1
          ? configNumber(cfg, "default.replication.factor")
          : topic.replicationFactor;
      const placed = placeReplicasStriped(
        usableBrokers(image),
        { numPartitions, replicationFactor: rf },
        this.options.placementRng,
      );
      if (!placed.ok) {
        return fail(
          placed.error,
          `Unable to replicate the partition ${rf} time(s): ${placed.message}`,
        );
      }
      assignments = placed.assignments;
    }
    const topicId = deriveTopicId(name, this.hooks.logEndOffset());
    const partitionRecords: PartitionRecord[] = [];
    for (let p = 0; p < assignments.length; p++) {
      const made = newPartitionRecord(image, topicId, p, assignments[p]!);
      if (!made.ok) {
        const error = manual ? "INVALID_REPLICA_ASSIGNMENT" : made.error;
        const message = !manual
          ? made.message
          : `All brokers specified in the manual partition assignment for partition ${p} are fenced or in controlled shutdown.`;
        return fail(error, message);
      }
      partitionRecords.push(made.record);
    }
    const records: MetadataRecord[] = configNames.map((key) => ({
      type: "ConfigRecord",
      resourceType: "TOPIC",
      resourceName: name,
      name: key,
      value: String(topic.configs[key]),
    }));
    records.push({ type: "TopicRecord", name, topicId }, ...partitionRecords);
    this.append(records);
    return { name, error: "NONE", message: "" };
  }

  private createPartitions(
    name: string,
    count: number,
    assignment: ReadonlyArray<readonly number[]> | undefined,
  ): AdminResult {
    const fail = (error: ControlError, message: string): AdminResult => ({ name, error, message });
    const image = this.latestImage();
    const topic = image.topicByName(name);
    if (topic === undefined) {
      return fail("UNKNOWN_TOPIC_OR_PARTITION", "This server does not host this topic-partition.");
    }
    const current = topic.partitions.length;
    if (count === current)
      return fail("INVALID_PARTITIONS", `Topic already has ${current} partition(s).`);
    if (count < current) {
      return fail(
        "INVALID_PARTITIONS",
        `Topic currently has ${current} partitions, which is higher than the requested ${count}.`,
      );
    }
    const additional = count - current;
    const rf = topic.partitions[0]!.replicas.length;
    let assignments: number[][];
    if (assignment !== undefined) {
      if (assignment.length !== additional) {
        return fail(
          "INVALID_REPLICA_ASSIGNMENT",
          `Attempted to add ${additional} additional partition(s), but only ${assignment.length} assignment(s) were specified.`,
        );
      }
      const problem = manualAssignmentProblem(image, assignment, rf);
      if (problem !== undefined) return fail("INVALID_REPLICA_ASSIGNMENT", problem);
      assignments = assignment.map((replicas) => replicas.slice());
    } else {
      const placed = placeReplicasStriped(
        usableBrokers(image),
        {
          numPartitions: additional,
          replicationFactor: rf,
          existingAssignments: topic.partitions.map((p) => p.replicas),
        },
        this.options.placementRng,
      );
      if (!placed.ok) {
        return fail(
          placed.error,
          `Unable to replicate the partition ${rf} time(s): ${placed.message}`,
        );
      }
      assignments = placed.assignments;
    }
    const records: MetadataRecord[] = [];
    for (let i = 0; i < assignments.length; i++) {
      const made = newPartitionRecord(image, topic.topicId, current + i, assignments[i]!);
      if (!made.ok) {
        return assignment === undefined
          ? fail(made.error, made.message)
          : fail(
              "INVALID_REPLICA_ASSIGNMENT",
              `All brokers specified in the manual partition assignment for partition ${current + i} are fenced or in controlled shutdown.`,
            );
      }
      records.push(made.record);
    }
    this.append(records);
    return { name, error: "NONE", message: "" };
  }

  private deleteTopic(name: string): AdminResult {
    const image = this.latestImage();
    if (!configBoolean(this.brokerConfig(), "delete.topic.enable")) {
      return { name, error: "TOPIC_DELETION_DISABLED", message: "Topic deletion is disabled." };
    }
    const topic = image.topicByName(name);
    if (topic === undefined) {
      return {
        name,
        error: "UNKNOWN_TOPIC_OR_PARTITION",
        message: "This server does not host this topic-partition.",
      };
    }
    this.append([{ type: "RemoveTopicRecord", topicId: topic.topicId }]);
    return { name, error: "NONE", message: "" };
  }

  private electLeaders(
    electionType: "preferred" | "unclean",
    partitions: ReadonlyArray<{ readonly topic: string; readonly partition: number }> | undefined,
  ): AdminResult[] {
    const image = this.latestImage();
    const policy = this.policy();
    const results: AdminResult[] = [];
    const elect = (topic: string, partition: number, all: boolean): void => {
      const result = electLeaderOnDemand(image, topic, partition, electionType, policy);
      if (result.record !== undefined) this.append([result.record]);
      // For "every partition", Kafka leaves out the ones that already have the leader wanted.
      if (all && result.error === "ELECTION_NOT_NEEDED") return;
      results.push({
        name: `${topic}-${partition}`,
        error: result.error,
        message: result.message ?? "",
      });
    };
    if (partitions === undefined) {
      for (const name of image.sortedTopicNames()) {
        const count = image.topicByName(name)!.partitions.length;
        for (let p = 0; p < count; p++) elect(name, p, true);
      }
    } else {
      for (const { topic, partition } of partitions) elect(topic, partition, false);
    }
    return results;
  }

  private reassign(
    topic: string,
    partition: number,
    replicas: readonly number[] | null,
  ): AdminResult {
    const result = alterPartitionReassignment(
      this.latestImage(),
      topic,
      partition,
      replicas,
      this.policy(),
    );
    if (result.record !== undefined) this.append([result.record]);
    return { name: `${topic}-${partition}`, error: result.error, message: result.message ?? "" };
  }

  private alterConfigs(
    resourceType: "topic" | "broker",
    resourceName: string,
    set: Readonly<Record<string, string>>,
    deleted: readonly string[],
  ): AdminResult {
    const name = resourceName;
    const fail = (error: ControlError, message: string): AdminResult => ({ name, error, message });
    const image = this.latestImage();
    const kind = resourceType === "topic" ? "topic" : "broker";
    if (resourceType === "topic" && image.topicByName(resourceName) === undefined) {
      return fail("UNKNOWN_TOPIC_OR_PARTITION", `The topic '${resourceName}' does not exist.`);
    }
    if (resourceType === "broker" && resourceName !== "" && !/^\d+$/.test(resourceName)) {
      return fail("INVALID_REQUEST", `Invalid broker id ${resourceName}`);
    }
    const setNames = Object.keys(set).sort();
    const staticOnly: string[] = [];
    for (const key of [...setNames, ...deleted]) {
      const def = configDef(kind, key);
      if (def === undefined) {
        return fail("INVALID_CONFIG", `Unknown ${kind} config name: ${key}`);
      }
      if (kind === "broker" && def.dynamic !== true && def.feature !== true) staticOnly.push(key);
    }
    if (staticOnly.length > 0) {
      return fail(
        "INVALID_CONFIG",
        `Cannot update these configs dynamically: ${staticOnly.join(",")}`,
      );
    }
    for (const key of setNames) {
      const checked = validateConfig(kind, this.options.version, key, set[key]);
      if (!checked.ok) return fail("INVALID_CONFIG", checked.error);
    }
    const recordType = resourceType === "topic" ? "TOPIC" : "BROKER";
    const current = image.configsOf(recordType, resourceName);
    const records: MetadataRecord[] = [];
    for (const key of setNames) {
      const value = String(set[key]);
      if (current[key] === value) continue;
      records.push({
        type: "ConfigRecord",
        resourceType: recordType,
        resourceName,
        name: key,
        value,
      });
    }
    for (const key of [...deleted].sort()) {
      if (!(key in current) || setNames.includes(key)) continue;
      records.push({
        type: "ConfigRecord",
        resourceType: recordType,
        resourceName,
        name: key,
        value: null,
      });
    }
    const minIsrChanged = records.some(
      (r) => r.type === "ConfigRecord" && r.name === "min.insync.replicas",
    );
    this.append(records);
    if (minIsrChanged) this.append(this.clearElr(image, resourceType, resourceName));
    return { name, error: "NONE", message: "" };
  }

  /** Changing min.insync.replicas invalidates the ELR's guarantee: clear ELR and LastKnownElr. */
  private clearElr(
    image: MetadataImage,
    resourceType: "topic" | "broker",
    resourceName: string,
  ): PartitionChangeRecord[] {
    const records: PartitionChangeRecord[] = [];
    image.forEachPartition((topic, partitionId, state: PartitionState) => {
      if (resourceType === "topic" && topic.name !== resourceName) return;
      // A cluster-level change does not reach topics that set their own value.
      if (resourceType === "broker" && "min.insync.replicas" in topic.configs) return;
      if (state.elr.length === 0 && state.lastKnownElr.length === 0) return;
      records.push({
        type: "PartitionChangeRecord",
        topicId: topic.topicId,
        partitionId,
        eligibleLeaderReplicas: [],
        lastKnownElr: [],
      });
    });
    return records;
  }
}

/** Registered brokers not in controlled shutdown, by id, for the placer (Kafka's usableBrokers). */
function usableBrokers(image: MetadataImage): BrokerPlacementInfo[] {
  const brokers: BrokerPlacementInfo[] = [];
  for (const id of image.sortedBrokerIds()) {
    const broker = image.brokers.get(id)!;
    if (!broker.registered || broker.inControlledShutdown) continue;
    brokers.push({
      id,
      ...(broker.rack === undefined ? {} : { rack: broker.rack }),
      fenced: broker.fenced,
    });
  }
  return brokers;
}

/** Kafka's Topic.validate, in its words. */
function topicNameProblem(name: string): string | undefined {
  if (name.length === 0) return "Topic name is illegal, it can't be empty";
  if (name === "." || name === "..") return 'Topic name cannot be "." or ".."';
  if (name.length > TOPIC_NAME_MAX_LENGTH) {
    return `Topic name is illegal, it can't be longer than ${TOPIC_NAME_MAX_LENGTH} characters, topic name: ${name}`;
  }
  if (!TOPIC_NAME_CHARS.test(name)) {
    return `Topic name "${name}" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`;
  }
  return undefined;
}

/** `validateManualPartitionAssignment` over each partition of a manual assignment. */
function manualAssignmentProblem(
  image: MetadataImage,
  assignment: ReadonlyArray<readonly number[]>,
  expectedReplicationFactor: number | undefined,
): string | undefined {
  let rf = expectedReplicationFactor;
  for (let i = 0; i < assignment.length; i++) {
    const replicas = assignment[i]!;
    if (replicas.length === 0) {
      return "The manual partition assignment includes an empty replica list.";
    }
    const sorted = replicas.slice().sort((a, b) => a - b);
    for (let j = 0; j < sorted.length; j++) {
      const id = sorted[j]!;
      if (image.brokers.get(id)?.registered !== true) {
        return `The manual partition assignment includes broker ${id}, but no such broker is registered.`;
      }
      if (j > 0 && sorted[j - 1] === id) {
        return `The manual partition assignment includes the broker ${id} more than once.`;
      }
    }
    if (rf !== undefined && replicas.length !== rf) {
      return `The manual partition assignment includes a partition with ${replicas.length} replica(s), but this is not consistent with previous partitions, which have ${rf} replica(s).`;
    }
    rf = replicas.length;
  }
  return undefined;
}
