/**
 * The Kafka broker process (KRaft mode: BrokerServer, BrokerLifecycleManager, the metadata
 * observer, and the request handlers that route to the replica manager). One actor per broker
 * node; its id is the node name, String(brokerId).
 *
 * Models:
 * - lifecycle. First start (`process.start` with after undefined): the cluster is already running,
 *   so the bootstrap metadata image is applied, the broker epoch is the one the bootstrap gave, the
 *   logs are empty, and heartbeats and the metadata fetch begin at once (staggered per broker).
 *   Restart after a crash ("process") or power loss ("power"): log recovery (a power loss truncates
 *   each log to what reached the disk), HWs from the last checkpoint, registration with
 *   previousBrokerEpoch -1 (or the epoch of a clean shutdown), fenced until the broker has caught
 *   up with the metadata log, then unfenced by the controller; the replica manager starts from the
 *   metadata only once caught up (Kafka's initial catch-up);
 * - the metadata log is fetched from the active controller (found through the voters and the
 *   `currentLeader` hints; a timeout or an error moves to another voter); committed entries are
 *   applied to the broker's own image and the changes handed to the replica manager. A broker that
 *   cannot reach the controller keeps its last view (an isolated leader keeps accepting acks=1
 *   writes until it learns of a newer epoch);
 * - heartbeats every broker.heartbeat.interval.ms with the applied metadata offset, wantFence
 *   until caught up, offline log dirs, and wantShutDown during a controlled shutdown;
 * - periodic tasks: isr-expiration (replica.lag.time.max.ms / 2), the HW checkpoint
 *   (replica.high.watermark.checkpoint.interval.ms), retention (log.retention.check.interval.ms
 *   after log.initial.task.delay.ms), the log cleaner (log.cleaner.backoff.ms) and the flush
 *   scheduler (log.flush.scheduler.interval.ms, when set).
 *
 * Combined mode: an embedded controller role gets every event first and keeps those it owns
 * (its requests, its responses by correlation id, its "ctl.*" timers).
 *
 * ZooKeeper mode (options.zookeeper; sim/kafka/zk/zk-broker.ts): no registration, heartbeats or
 * metadata fetch; the broker's ZooKeeper session is its liveness, its image is fed by the
 * controller broker's LeaderAndIsr and UpdateMetadata (the same records, so the replica manager
 * reacts as in KRaft), its "zk*" timers and ZooKeeper/controller messages go to that part, and
 * before 2.7 the replica manager's AlterPartition becomes the leader's own conditional write of
 * the partition state znode.
 *
 * Simplifies: requests are handled as they arrive (no request queue, no network or IO threads);
 * the registration carries no listeners or features; broker-level dynamic configs from the
 * metadata log are not applied (topic configs are); the metadata log is never snapshotted.
 *
 * Faults it suffers: process crash and power loss (via the host), a failed or full disk (offline
 * log directory; all offline halts the process), network faults (timeouts, disconnects, stale
 * views).
 */
import { assert, unreachable } from "../../engine/assert.ts";
import type { Actor, Engine, EventHandle, SimEvent } from "../../engine/engine.ts";
import type { TraceFields } from "../../engine/trace.ts";
import type { Host, ProcessStart } from "../../infra/host.ts";
import type { NetDelivery, NetDisconnect, NetMessage, Network } from "../../infra/network.ts";
import {
  configList,
  configNumber,
  hasConfig,
  type ResolvedConfig,
  resolveTopicConfig,
} from "../config.ts";
import {
  GroupCoordinatorService,
  type GroupCoordinatorSnapshot,
} from "../group/coordinator-service.ts";
import type { FetchAbortedTxn } from "../log/txn-fetch.ts";
import type { OngoingTxn } from "../log/txn-index.ts";
import type { MetadataImage } from "../metadata/image.ts";
import { HEADER_BYTES, type KafkaMessage } from "../protocol.ts";
import type { ClientCoordinationMessage } from "../protocol-clients.ts";
import type {
  AlterPartitionRequest,
  BrokerHeartbeatRequest,
  BrokerHeartbeatResponse,
  BrokerRegistrationRequest,
  BrokerRegistrationResponse,
  ControlMessage,
  MetadataFetchRequest,
  MetadataFetchResponse,
  MetadataLogEntry,
} from "../protocol-control.ts";
import type { WriteTxnMarkersRequest, WriteTxnMarkersResponse } from "../protocol-txn.ts";
import { TxnCoordinatorService, type TxnCoordinatorSnapshot } from "../txn/coordinator-service.ts";
import { type RecordBatch, tpKey } from "../types.ts";
import { type KafkaVersion, type VersionProfile, versionProfile } from "../version.ts";
import { type ZkBrokerBootstrap, ZkBrokerMode } from "../zk/zk-broker.ts";
import type { ZkControllerSnapshot } from "../zk/zk-controller.ts";
import { type BrokerContext, type BrokerSettings, msToUs, type TopicSettings } from "./context.ts";
import { BrokerMetadata } from "./metadata-cache.ts";
import type { BrokerMetrics } from "./metrics.ts";
import { type PartitionSnapshot, ReplicaManager } from "./replica-manager.ts";
import { type BrokerService, createBrokerServices } from "./services.ts";

/** Kafka's BrokerState, as far as the model goes. */
export type BrokerState =
  | "starting"
  | "recovery"
  | "running"
  | "pending-controlled-shutdown"
  | "shutting-down"
  | "not-running";

/**
 * The controller role of a combined-mode node, hosted inside the broker actor (the shape of
 * sim/kafka/controller's ControllerRole). The broker starts it with the process, offers it every
 * message first (it keeps its own: quorum traffic, controller requests, responses to its requests),
 * tells it of disconnects, and passes it every "ctl.*" timer.
 */
export interface EmbeddedControllerRole {
  start(after: ProcessStart["after"]): void;
  /** True when the message was the role's. */
  handleMessage(delivery: NetDelivery): boolean;
  handleDisconnect(disconnect: NetDisconnect): void;
  handleTimer(event: SimEvent): void;
  /** The quorum leader this voter knows (where registration and heartbeats go), if any. */
  leaderHint?(): { readonly leaderId: number; readonly leaderEpoch: number } | undefined;
}

export interface BrokerOptions {
  readonly brokerId: number;
  readonly version: KafkaVersion;
  /** resolveBrokerConfig(version, cluster.config, { brokerCount }) for this broker. */
  readonly config: ResolvedConfig;
  /** Node ids of the KRaft voters; the broker fetches metadata and heartbeats to their leader. */
  readonly voters: readonly number[];
  /** The bootstrap metadata log (every entry committed), shared by the whole cluster. */
  readonly bootstrap: readonly MetadataLogEntry[];
  readonly rack?: string;
  /**
   * Combined mode. The broker then does not fetch the metadata log: the lead wires the role's
   * `onMetadataCommitted` to `broker.onMetadataCommitted`.
   */
  readonly controllerRole?: EmbeddedControllerRole;
  /**
   * ZooKeeper mode: the broker's liveness is its ZooKeeper session, its metadata comes from the
   * controller broker's LeaderAndIsr and UpdateMetadata (see sim/kafka/zk/zk-broker.ts).
   */
  readonly zookeeper?: ZkBrokerBootstrap;
  /** Called when a controlled shutdown completes; default: the host's process stops (crash mode "process"). */
  readonly onShutdownComplete?: () => void;
}

export interface BrokerSnapshot {
  readonly id: number;
  readonly state: BrokerState;
  readonly registered: boolean;
  readonly fenced: boolean;
  readonly brokerEpoch: number;
  /** The last metadata offset applied, and the controller's HW as last heard. */
  readonly metadataOffset: number;
  readonly metadataHighWatermark: number;
  /** The node the broker believes is the active controller, or null. */
  readonly controller: string | null;
  readonly offlineLogDirs: readonly string[];
  /** Follower fetch sessions: one per source broker and fetcher thread (num.replica.fetchers). */
  readonly fetchSessions: ReadonlyArray<{
    readonly source: number;
    readonly fetcherId: number;
    readonly partitions: readonly string[];
  }>;
  readonly partitions: readonly PartitionSnapshot[];
  readonly metrics: BrokerMetrics;
}

/** The transaction coordinator's markers to a partition leader, and the leader's answer. */
type WriteTxnMarkersMessage = WriteTxnMarkersRequest | WriteTxnMarkersResponse;

type Payloads = {
  "process.start": ProcessStart;
  "net.message": NetDelivery<
    KafkaMessage | ControlMessage | ClientCoordinationMessage | WriteTxnMarkersMessage
  >;
  "net.disconnect": NetDisconnect;
  "broker.heartbeat": { readonly generation: number };
  "broker.register": { readonly generation: number };
  "broker.register.timeout": { readonly correlationId: number };
  "broker.metadata.fetch": { readonly generation: number };
  "broker.metadata.timeout": { readonly correlationId: number };
  "broker.fetcher.wake": { readonly session: string };
  "broker.fetcher.timeout": { readonly session: string; readonly correlationId: number };
  "broker.fetch.expire": { readonly id: number };
  "broker.produce.expire": { readonly id: number };
  "broker.txn-verify.timeout": { readonly correlationId: number };
  "broker.alter-partition.retry": null;
  "broker.alter-partition.timeout": { readonly correlationId: number };
  "broker.send": { readonly to: string; readonly message: NetMessage };
  "broker.sendfile": { readonly to: string; readonly message: NetMessage; readonly cpuUs: number };
  "broker.task.isr-expiration": null;
  "broker.task.checkpoint": null;
  "broker.task.retention": null;
  "broker.task.cleaner": null;
  "broker.task.flush": null;
  "broker.halt": { readonly reason: string };
  /** A controlled shutdown (scenario action `shutdown`), scheduled by the runner. */
  "broker.shutdown": null;
};

type BrokerEvent = { [K in keyof Payloads]: SimEvent<K, Payloads[K]> }[keyof Payloads];

/** KafkaRaftClient's fetch max wait (hard-coded 500 ms in Kafka). */
const METADATA_FETCH_MAX_WAIT_MS = 500;
/** Kafka defaults of configs the controller helper owns (used when config-defs lacks them). */
const QUORUM_REQUEST_TIMEOUT_MS = 2000;
const QUORUM_RETRY_BACKOFF_MS = 20;
/**
 * KRaft configs that ZooKeeper-era profiles do not have (those profiles still use the KRaft-style
 * lifecycle here; see the replica manager's header): Kafka's KRaft defaults.
 */
const BROKER_HEARTBEAT_INTERVAL_MS = 2000;
const BROKER_SESSION_TIMEOUT_MS = 9000;
/** BrokerLifecycleManager's resend backoff: 100 ms, doubling, capped at half the session timeout. */
const REGISTRATION_BACKOFF_INITIAL_US = 100_000;
const HALT_DELAY_US = 1000;
/** controller.socket.timeout.ms's default, for profiles without the key. */
const CONTROLLER_REQUEST_TIMEOUT_US = 30_000_000;

function brokerSettings(cfg: ResolvedConfig): BrokerSettings {
  const ms = (name: string) => msToUs(configNumber(cfg, name));
  return {
    replicaLagUs: ms("replica.lag.time.max.ms"),
    fetchBackoffUs: ms("replica.fetch.backoff.ms"),
    socketTimeoutUs: ms("replica.socket.timeout.ms"),
    controllerRequestTimeoutUs: hasConfig(cfg, "controller.socket.timeout.ms")
      ? ms("controller.socket.timeout.ms")
      : CONTROLLER_REQUEST_TIMEOUT_US,
    fetchMaxBytes: configNumber(cfg, "replica.fetch.max.bytes"),
    fetchWaitMaxMs: configNumber(cfg, "replica.fetch.wait.max.ms"),
    fetchMinBytes: configNumber(cfg, "replica.fetch.min.bytes"),
    fetchResponseMaxBytes: configNumber(cfg, "replica.fetch.response.max.bytes"),
    numFetchers: Math.max(1, configNumber(cfg, "num.replica.fetchers")),
  };
}

export class Broker implements Actor {
  readonly id: string;
  readonly brokerId: number;
  readonly profile: VersionProfile;
  private readonly rm: ReplicaManager;
  /** Group coordinator, producer ids...: parts of this broker with their own requests and timers. */
  private readonly services: readonly BrokerService[];
  private readonly metadata: BrokerMetadata;
  private readonly ctx: BrokerContext;
  private readonly topicConfigs = new Map<string, ResolvedConfig>();
  private readonly topicSettingsCache = new Map<string, TopicSettings>();
  private correlationCounter = 0;
  private starts = 0;
  /** The broker epoch written at a clean shutdown (Kafka's clean-shutdown file), else -1. */
  private cleanShutdownEpoch = -1;

  // Runtime state of the current process (reset at every process.start).
  private state: BrokerState = "not-running";
  private brokerEpoch = -1;
  private registered = false;
  private fenced = true;
  private published = false;
  private halting = false;
  /** Process generation: chains of timers check it (a restart or a stop ends them). */
  private generation = 0;
  /** Heartbeat chain generation: an immediate heartbeat restarts the chain. */
  private heartbeatGeneration = 0;
  private registration: { correlationId: number; attempt: number } | undefined;
  private controllerHint: { leaderId: number; leaderEpoch: number } | undefined;
  private voterCursor = 0;
  private metadataInFlight: { correlationId: number; to: string; timer: EventHandle } | undefined;
  private heartbeatInFlight: number | undefined;
  private wantShutDown = false;

  constructor(
    private readonly engine: Engine,
    private readonly network: Network,
    private readonly host: Host,
    private readonly options: BrokerOptions,
  ) {
    this.brokerId = options.brokerId;
    this.id = String(options.brokerId);
    assert(host.name === this.id, () => `broker ${this.id} runs on host ${host.name}`);
    assert(
      options.voters.length >= 1 || options.zookeeper !== undefined,
      "a KRaft cluster has at least one voter",
    );
    this.profile = versionProfile(options.version);
    this.metadata = new BrokerMetadata(options.bootstrap, options.bootstrap.length);
    this.ctx = this.makeContext();
    this.rm = new ReplicaManager(this.ctx, this.logDirPaths());
    this.services = createBrokerServices(this.ctx, this.rm);
    if (options.zookeeper !== undefined) this.zk = this.makeZkMode(options.zookeeper);
    engine.register(this);
    engine.addInvariant(`broker ${this.id} replicas`, () => this.rm.checkInvariants());
  }

  /** ZooKeeper mode's part of the broker (undefined in KRaft mode). */
  private readonly zk: ZkBrokerMode | undefined;

  private makeZkMode(boot: ZkBrokerBootstrap): ZkBrokerMode {
    const engine = this.engine;
    return new ZkBrokerMode(
      {
        brokerId: this.brokerId,
        version: this.options.version,
        profile: this.profile,
        config: this.options.config,
        rack: this.options.rack,
        placementRng: engine.rng.stream(`controller/${this.id}/placement`),
        now: () => engine.now,
        send: (to, m) => this.network.send(this.id, to, m),
        timer: (d, k, p) => engine.schedule(d, this.id, k, p),
        cancel: (h) => engine.cancel(h),
        emit: (t, f) => this.emit(t, f),
        nextCorrelationId: () => ++this.correlationCounter,
        image: () => this.metadata.image,
        brokerEpoch: () => this.brokerEpoch,
        setBrokerEpoch: (epoch) => {
          this.brokerEpoch = epoch;
          this.registered = true;
          this.fenced = false;
          this.cleanShutdownEpoch = -1;
          // A new ZooKeeper session of a broker that was already running (its session expired
          // while it was cut off) re-registers and goes on running, as KafkaServer does; only a
          // restarted broker waits for the controller's first metadata (onMetadata below).
          this.setState(this.published ? "running" : "recovery");
        },
        onMetadata: (delta, first) => {
          for (const topic of delta.topicConfigs) this.forgetTopicConfig(topic);
          for (const removed of delta.removedTopics) this.forgetTopicConfig(removed.name);
          if (first && !this.published) {
            // After a restart: act only on what the controller sent (the rest of the image is
            // what this broker knew before it died).
            this.published = true;
            this.emit("broker.caught-up", { metadataOffset: -1 });
            this.setState("running");
          }
          if (delta.applied > 0) this.rm.applyDelta(delta, false);
          for (const service of this.services) service.onMetadata(this.metadata.image);
        },
        onAlterPartitionResponse: (r) => this.rm.onAlterPartitionResponse(r),
        completeShutdown: () => this.completeControlledShutdown(),
      },
      boot,
    );
  }

  /** ZooKeeper mode: the controller role this broker hosts (tests, tools, activeImage). */
  zkControllerSnapshot(): ZkControllerSnapshot | undefined {
    return this.zk?.controllerSnapshot();
  }

  private logDirPaths(): string[] {
    const cfg = this.options.config;
    const configured = configList(cfg, "log.dirs");
    const dirs = configured.length > 0 ? configured : configList(cfg, "log.dir");
    const base = dirs[0] ?? "/tmp/kafka-logs";
    return Array.from({ length: this.host.diskCount }, (_, i) => dirs[i] ?? `${base}-${i}`);
  }

  private makeContext(): BrokerContext {
    const engine = this.engine;
    return {
      host: this.host,
      node: this.id,
      brokerId: this.brokerId,
      version: this.options.version,
      profile: this.profile,
      config: this.options.config,
      settings: brokerSettings(this.options.config),
      now: () => engine.now,
      brokerEpoch: () => this.brokerEpoch,
      image: () => this.metadata.image,
      topicConfig: (topic) => this.topicConfig(topic),
      topicSettings: (topic) => this.topicSettings(topic),
      send: (to, message) => this.send(to, message),
      sendAt: (atUs, to, message) => {
        if (atUs <= engine.now) this.send(to, message);
        else engine.scheduleAt(atUs, this.id, "broker.send", { to, message });
      },
      sendAfterIo: (ioDoneAtUs, cpuUs, to, message) => {
        if (ioDoneAtUs <= engine.now) this.sendAfterCpu(cpuUs, to, message);
        else engine.scheduleAt(ioDoneAtUs, this.id, "broker.sendfile", { to, message, cpuUs });
      },
      timer: (delayUs, kind, payload) => engine.schedule(delayUs, this.id, kind, payload),
      cancel: (handle) => engine.cancel(handle),
      nextCorrelationId: () => ++this.correlationCounter,
      emit: (type, fields) => this.emit(type, fields),
      controllerNode: () => this.controllerTarget(),
      halt: (reason) => this.halt(reason),
    };
  }

  // ------------------------------------------------------------------ event dispatch

  handle(event: SimEvent): void {
    const role = this.options.controllerRole;
    if (role !== undefined && this.routeToRole(role, event)) return;
    const e = event as BrokerEvent;
    // A halted or cleanly stopped process does nothing until it is started again.
    const stopped = this.halting || this.state === "not-running";
    if (stopped && e.kind !== "process.start" && e.kind !== "broker.halt") return;
    if (this.zk !== undefined && event.kind.startsWith("zk") && this.zk.handleTimer(event)) return;
    if (!e.kind.startsWith("broker.")) {
      for (const service of this.services) {
        if (event.kind.startsWith(service.timerPrefix)) return service.handleTimer(event);
      }
    }
    switch (e.kind) {
      case "process.start":
        return this.start(e.payload.after);
      case "net.message":
        return this.onMessage(e.payload);
      case "net.disconnect":
        return this.onDisconnect(e.payload.peer);
      case "broker.heartbeat":
        if (e.payload.generation === this.heartbeatGeneration) this.heartbeat();
        return;
      case "broker.register":
        if (e.payload.generation === this.generation) this.sendRegistration();
        return;
      case "broker.register.timeout":
        if (this.registration?.correlationId === e.payload.correlationId) this.registrationFailed();
        return;
      case "broker.metadata.fetch":
        if (e.payload.generation === this.generation) this.fetchMetadata();
        return;
      case "broker.metadata.timeout":
        return this.onMetadataTimeout(e.payload.correlationId);
      case "broker.fetcher.wake":
        return this.rm.fetcher.onWake(e.payload.session);
      case "broker.fetcher.timeout":
        return this.rm.fetcher.onTimeout(e.payload.session, e.payload.correlationId);
      case "broker.fetch.expire":
        return this.rm.onFetchExpired(e.payload.id);
      case "broker.produce.expire":
        return this.rm.onProduceExpired(e.payload.id);
      case "broker.txn-verify.timeout":
        return this.rm.verifications.onTimeout(e.payload.correlationId);
      case "broker.alter-partition.retry":
        return this.rm.onAlterRetry();
      case "broker.alter-partition.timeout":
        return this.rm.onAlterTimeout(e.payload.correlationId);
      case "broker.send":
        return this.send(e.payload.to, e.payload.message);
      case "broker.sendfile":
        return this.sendAfterCpu(e.payload.cpuUs, e.payload.to, e.payload.message);
      case "broker.task.isr-expiration":
        this.rm.isrExpirationTask();
        this.repeat(
          "broker.task.isr-expiration",
          msToUs(configNumber(this.options.config, "replica.lag.time.max.ms")) / 2,
        );
        return;
      case "broker.task.checkpoint":
        this.rm.checkpointTask();
        this.repeat(
          "broker.task.checkpoint",
          this.configUs("replica.high.watermark.checkpoint.interval.ms"),
        );
        return;
      case "broker.task.retention":
        this.rm.retentionTask();
        this.repeat("broker.task.retention", this.configUs("log.retention.check.interval.ms"));
        return;
      case "broker.task.cleaner":
        this.rm.cleanerTask();
        this.repeat("broker.task.cleaner", this.configUs("log.cleaner.backoff.ms"));
        return;
      case "broker.task.flush":
        this.rm.flushTask();
        this.repeat("broker.task.flush", this.configUs("log.flush.scheduler.interval.ms"));
        return;
      case "broker.halt":
        this.emit("broker.halt", { reason: e.payload.reason });
        this.state = "not-running";
        this.host.crash("process");
        return;
      case "broker.shutdown":
        return this.beginControlledShutdown();
      default:
        unreachable(e, "broker event");
    }
  }

  /** Combined mode: the role's timers, messages and lifecycle. True when the event was only the role's. */
  private routeToRole(role: EmbeddedControllerRole, event: SimEvent): boolean {
    if (event.kind.startsWith("ctl.")) {
      role.handleTimer(event);
      return true;
    }
    switch (event.kind) {
      case "process.start":
        role.start((event.payload as ProcessStart).after);
        return false;
      case "net.message":
        return role.handleMessage(event.payload as NetDelivery);
      case "net.disconnect":
        role.handleDisconnect(event.payload as NetDisconnect);
        return false;
      default:
        return false;
    }
  }

  /**
   * Combined mode: committed metadata from this node's own voter (entries in offset order, the
   * high watermark exclusive). Replays of entries already held are ignored.
   */
  onMetadataCommitted(entries: readonly MetadataLogEntry[], highWatermark: number): void {
    if (this.halting || this.state === "not-running") return;
    this.acceptMetadata(entries, highWatermark);
  }

  private configUs(name: string): number {
    return msToUs(configNumber(this.options.config, name));
  }

  private repeat(
    kind:
      | "broker.task.isr-expiration"
      | "broker.task.checkpoint"
      | "broker.task.retention"
      | "broker.task.cleaner"
      | "broker.task.flush",
    delayUs: number,
  ): void {
    if (delayUs >= Number.MAX_SAFE_INTEGER / 2) return;
    this.engine.schedule(Math.ceil(delayUs), this.id, kind, null);
  }

  private onMessage(
    delivery: NetDelivery<
      KafkaMessage | ControlMessage | ClientCoordinationMessage | WriteTxnMarkersMessage
    >,
  ): void {
    const from = delivery.from;
    const m = delivery.message;
    const running = this.state !== "not-running";
    if (this.zk?.handleMessage(from, m)) return;
    // Responses to a service's own requests (by correlation id) go back to that service.
    if (m.type.endsWith("Response")) {
      for (const service of this.services) if (service.handleResponse(from, m)) return;
    }
    switch (m.type) {
      case "FindCoordinatorRequest":
      case "JoinGroupRequest":
      case "SyncGroupRequest":
      case "HeartbeatRequest":
      case "LeaveGroupRequest":
      case "OffsetCommitRequest":
      case "OffsetFetchRequest":
      case "InitProducerIdRequest":
      case "ConsumerGroupHeartbeatRequest":
      case "DeleteGroupsRequest":
      case "AddPartitionsToTxnRequest":
      case "AddOffsetsToTxnRequest":
      case "EndTxnRequest":
      case "TxnOffsetCommitRequest":
        // A broker no service of which answers drops the request; the client times out.
        if (running)
          for (const service of this.services) if (service.handleRequest(from, m)) return;
        return;
      case "FindCoordinatorResponse":
      case "JoinGroupResponse":
      case "SyncGroupResponse":
      case "HeartbeatResponse":
      case "LeaveGroupResponse":
      case "OffsetCommitResponse":
      case "OffsetFetchResponse":
      case "InitProducerIdResponse":
      case "ConsumerGroupHeartbeatResponse":
      case "DeleteGroupsResponse":
      case "AddOffsetsToTxnResponse":
      case "EndTxnResponse":
      case "TxnOffsetCommitResponse":
      case "WriteTxnMarkersResponse":
        return;
      case "AddPartitionsToTxnResponse":
        // A coordinator's answer to this leader's KIP-890 verification.
        if (running) this.rm.verifications.onResponse(from, m);
        return;
      case "WriteTxnMarkersRequest":
        if (running) this.rm.handleWriteTxnMarkers(from, m);
        return;
      case "ProduceRequest":
        if (running) this.rm.handleProduce(from, m);
        return;
      case "FetchRequest":
        if (running) this.rm.handleFetch(from, m);
        return;
      case "OffsetsForLeaderEpochRequest":
        if (running) this.rm.handleOffsetsForLeaderEpoch(from, m);
        return;
      case "ListOffsetsRequest":
        if (running) this.rm.handleListOffsets(from, m);
        return;
      case "DeleteRecordsRequest":
        if (running) this.rm.handleDeleteRecords(from, m);
        return;
      case "DeleteRecordsResponse":
        return;
      case "MetadataRequest":
        if (running) this.rm.handleMetadata(from, m);
        return;
      case "FetchResponse":
        return this.rm.fetcher.onFetchResponse(from, m);
      case "OffsetsForLeaderEpochResponse":
        return this.rm.fetcher.onEpochResponse(from, m);
      case "ListOffsetsResponse":
        return this.rm.fetcher.onListOffsetsResponse(from, m);
      case "MetadataFetchResponse":
        return this.onMetadataResponse(from, m);
      case "BrokerRegistrationResponse":
        return this.onRegistrationResponse(m);
      case "BrokerHeartbeatResponse":
        return this.onHeartbeatResponse(m);
      case "AlterPartitionResponse":
        return this.rm.onAlterPartitionResponse(m);
      case "ProduceResponse":
      case "MetadataResponse":
      case "BrokerRegistrationRequest":
      case "BrokerHeartbeatRequest":
      case "AlterPartitionRequest":
      case "VoteRequest":
      case "VoteResponse":
      case "BeginQuorumEpochRequest":
      case "BeginQuorumEpochResponse":
      case "EndQuorumEpochRequest":
      case "MetadataFetchRequest":
      case "AdminRequest":
      case "AdminResponse":
        // Not a broker's to answer (a combined node's controller role took its own already).
        return;
      default:
        unreachable(m, "message");
    }
  }

  private onDisconnect(peer: string): void {
    this.zk?.onDisconnect(peer);
    this.rm.fetcher.onDisconnect(peer);
    this.rm.onDisconnect(peer);
    this.rm.verifications.onDisconnect(peer);
    for (const service of this.services) service.onDisconnect(peer);
    if (this.metadataInFlight?.to === peer) {
      this.engine.cancel(this.metadataInFlight.timer);
      this.metadataInFlight = undefined;
      this.forgetController();
      this.scheduleMetadataFetch(
        msToUs(this.quorumConfig("controller.quorum.retry.backoff.ms", QUORUM_RETRY_BACKOFF_MS)),
      );
    }
  }

  private send(to: string, message: NetMessage): void {
    // Before 2.7 a ZooKeeper-mode leader writes its ISR change to ZooKeeper itself.
    if (
      this.zk !== undefined &&
      message.type === "AlterPartitionRequest" &&
      this.zk.interceptAlterPartition(message as unknown as AlterPartitionRequest)
    )
      return;
    this.network.send(this.id, to, message);
  }

  private sendAfterCpu(cpuUs: number, to: string, message: NetMessage): void {
    if (cpuUs <= 0) return this.send(to, message);
    const run = this.host.cpu.run(this.engine.now, cpuUs);
    if (run.doneAtUs <= this.engine.now) this.send(to, message);
    else this.engine.scheduleAt(run.doneAtUs, this.id, "broker.send", { to, message });
  }

  private emit(type: string, fields: TraceFields): void {
    this.engine.trace.emit(type, this.id, fields);
  }

  private setState(state: BrokerState): void {
    if (this.state === state) return;
    this.state = state;
    this.emit("broker.state", { state });
  }

  // ------------------------------------------------------------------ lifecycle

  private start(after: ProcessStart["after"]): void {
    this.starts++;
    this.generation++;
    this.halting = false;
    this.registration = undefined;
    this.controllerHint = undefined;
    this.metadataInFlight = undefined;
    this.heartbeatInFlight = undefined;
    this.wantShutDown = false;
    this.topicConfigs.clear();
    this.topicSettingsCache.clear();
    this.rm.resetRuntime();
    for (const service of this.services) service.onProcessStart(after);
    const stagger = this.engine.rng.stream(`broker/${this.id}/start`).intBetween(0, 999);
    if (this.zk !== undefined) return this.startZk(after, stagger);
    if (after === undefined) {
      // Bootstrap: the cluster is already running at t = 0.
      const reg = this.metadata.image.brokers.get(this.brokerId);
      assert(
        reg !== undefined,
        () => `bootstrap metadata has no registration for broker ${this.id}`,
      );
      this.brokerEpoch = reg.brokerEpoch;
      this.registered = true;
      this.fenced = reg.fenced;
      this.published = true;
      this.setState(this.fenced ? "recovery" : "running");
      this.rm.applyDelta(this.emptyDelta(), true);
      for (const service of this.services) service.onMetadata(this.metadata.image);
      this.heartbeatGeneration++;
      this.engine.schedule(stagger, this.id, "broker.heartbeat", {
        generation: this.heartbeatGeneration,
      });
    } else {
      this.setState("starting");
      this.brokerEpoch = -1;
      this.registered = false;
      this.fenced = true;
      this.published = false;
      this.rm.recover(after);
      this.engine.schedule(stagger, this.id, "broker.register", { generation: this.generation });
    }
    // Combined mode learns committed metadata from its own voter instead (onMetadataCommitted).
    if (this.options.controllerRole === undefined) this.scheduleMetadataFetch(stagger + 1);
    this.scheduleTasks(stagger);
  }

  /** ZooKeeper mode: the session is the liveness; no registration with or fetch from a quorum. */
  private startZk(after: ProcessStart["after"], stagger: number): void {
    const zk = this.zk!;
    if (after === undefined) {
      const reg = this.metadata.image.brokers.get(this.brokerId);
      assert(reg !== undefined, () => `bootstrap has no registration for broker ${this.id}`);
      this.brokerEpoch = reg.brokerEpoch;
      this.registered = true;
      this.fenced = false;
      this.published = true;
      this.setState("running");
      this.rm.applyDelta(this.emptyDelta(), true);
      for (const service of this.services) service.onMetadata(this.metadata.image);
      zk.bootstrap(stagger);
    } else {
      this.setState("starting");
      this.brokerEpoch = -1;
      this.registered = false;
      this.fenced = true;
      this.published = false;
      this.rm.recover(after);
      zk.start();
    }
    this.scheduleTasks(stagger);
  }

  private scheduleTasks(staggerUs: number): void {
    const cfg = this.options.config;
    // ReplicaManager.startup: "isr-expiration" at once, then every replica.lag.time.max.ms / 2.
    this.engine.schedule(staggerUs, this.id, "broker.task.isr-expiration", null);
    this.engine.schedule(
      staggerUs + this.configUs("replica.high.watermark.checkpoint.interval.ms"),
      this.id,
      "broker.task.checkpoint",
      null,
    );
    const initialDelayUs = hasConfig(cfg, "log.initial.task.delay.ms")
      ? this.configUs("log.initial.task.delay.ms")
      : 30_000_000;
    this.engine.schedule(staggerUs + initialDelayUs, this.id, "broker.task.retention", null);
    if (this.rm.cleanerEnabled()) {
      this.engine.schedule(
        staggerUs + this.configUs("log.cleaner.backoff.ms"),
        this.id,
        "broker.task.cleaner",
        null,
      );
    }
    const flushUs = this.configUs("log.flush.scheduler.interval.ms");
    if (flushUs < Number.MAX_SAFE_INTEGER / 2) {
      this.engine.schedule(staggerUs + initialDelayUs, this.id, "broker.task.flush", null);
    }
  }

  private emptyDelta() {
    return {
      partitions: [],
      removedTopics: [],
      topicConfigs: new Set<string>(),
      brokers: false,
      applied: 0,
    };
  }

  /**
   * Kafka's log-dir failure handler thread halts the JVM; the request in hand still gets its
   * KAFKA_STORAGE_ERROR answer first. The 1 ms stands for that thread's wake-up (a modelled guess).
   */
  private halt(reason: string): void {
    if (this.halting) return;
    this.halting = true;
    this.engine.schedule(HALT_DELAY_US, this.id, "broker.halt", { reason });
  }

  // ------------------------------------------------------------------ registration and heartbeats

  private sendRegistration(): void {
    const controller = this.controllerTarget();
    assert(controller !== undefined, "a voter is always known");
    const correlationId = this.ctx.nextCorrelationId();
    const attempt = (this.registration?.attempt ?? 0) + 1;
    this.registration = { correlationId, attempt };
    this.send(controller, {
      type: "BrokerRegistrationRequest",
      bytes: HEADER_BYTES + 64,
      correlationId,
      brokerId: this.brokerId,
      incarnationId: `${this.id}-incarnation-${this.starts}`,
      rack: this.options.rack ?? null,
      logDirs: this.rm.logs.dirs.map((d) => d.path),
      previousBrokerEpoch: this.cleanShutdownEpoch,
    } satisfies BrokerRegistrationRequest);
    this.engine.schedule(
      msToUs(this.quorumConfig("controller.quorum.request.timeout.ms", QUORUM_REQUEST_TIMEOUT_MS)),
      this.id,
      "broker.register.timeout",
      { correlationId },
    );
  }

  private registrationFailed(): void {
    const attempt = this.registration?.attempt ?? 1;
    this.registration = { correlationId: -1, attempt };
    this.forgetController();
    const capUs =
      msToUs(this.quorumConfig("broker.session.timeout.ms", BROKER_SESSION_TIMEOUT_MS)) / 2;
    let backoffUs = REGISTRATION_BACKOFF_INITIAL_US;
    for (let i = 1; i < attempt && backoffUs < capUs; i++) backoffUs *= 2;
    this.engine.schedule(Math.min(backoffUs, capUs), this.id, "broker.register", {
      generation: this.generation,
    });
  }

  private onRegistrationResponse(m: BrokerRegistrationResponse): void {
    if (this.registration === undefined || this.registration.correlationId !== m.correlationId)
      return;
    if (m.error !== "NONE") {
      if (m.error === "NOT_CONTROLLER") this.forgetController();
      return this.registrationFailed();
    }
    this.registration = undefined;
    this.brokerEpoch = m.brokerEpoch;
    this.registered = true;
    // The clean-shutdown marker is consumed: a crash from now on is unclean.
    this.cleanShutdownEpoch = -1;
    this.emit("broker.registered.ack", { brokerEpoch: m.brokerEpoch });
    this.setState("recovery");
    this.maybePublish();
    this.heartbeatNow();
  }

  private heartbeat(): void {
    if (!this.registered) return;
    const controller = this.controllerTarget();
    if (controller !== undefined) {
      const correlationId = this.ctx.nextCorrelationId();
      this.heartbeatInFlight = correlationId;
      this.send(controller, {
        type: "BrokerHeartbeatRequest",
        bytes: HEADER_BYTES + 32,
        correlationId,
        brokerId: this.brokerId,
        brokerEpoch: this.brokerEpoch,
        currentMetadataOffset: this.metadata.appliedOffset,
        wantFence: !this.published,
        wantShutDown: this.wantShutDown,
        offlineLogDirs: this.rm.logs.offlineDirs(),
      } satisfies BrokerHeartbeatRequest);
    }
    const intervalUs = msToUs(
      this.quorumConfig("broker.heartbeat.interval.ms", BROKER_HEARTBEAT_INTERVAL_MS),
    );
    this.engine.schedule(intervalUs, this.id, "broker.heartbeat", {
      generation: this.heartbeatGeneration,
    });
  }

  private onHeartbeatResponse(m: BrokerHeartbeatResponse): void {
    if (this.heartbeatInFlight !== m.correlationId) return;
    this.heartbeatInFlight = undefined;
    switch (m.error) {
      case "NONE":
        break;
      case "NOT_CONTROLLER":
        this.forgetController();
        return;
      case "STALE_BROKER_EPOCH":
        // The controller no longer knows this registration: register again.
        this.registered = false;
        this.setState("starting");
        this.registration = undefined;
        this.sendRegistration();
        return;
      default:
        return;
    }
    const wasFenced = this.fenced;
    this.fenced = m.isFenced;
    if (wasFenced && !m.isFenced && this.state === "recovery") this.setState("running");
    if (!wasFenced && m.isFenced && this.state === "running") this.setState("recovery");
    if (m.shouldShutDown && this.wantShutDown) this.completeControlledShutdown();
  }

  private beginControlledShutdown(): void {
    if (this.state === "not-running" || this.wantShutDown) return;
    this.wantShutDown = true;
    this.setState("pending-controlled-shutdown");
    if (this.zk !== undefined) return this.zk.beginControlledShutdown();
    this.heartbeatNow();
  }

  /** Sends a heartbeat now and restarts the periodic chain from here. */
  private heartbeatNow(): void {
    this.heartbeatGeneration++;
    this.heartbeat();
  }

  private completeControlledShutdown(): void {
    this.setState("shutting-down");
    const now = this.engine.now;
    for (const ml of this.rm.logs.all()) if (this.rm.logs.usable(ml)) this.rm.logs.flush(ml, now);
    this.rm.logs.checkpointHighWatermarks(now);
    this.cleanShutdownEpoch = this.brokerEpoch;
    this.setState("not-running");
    this.emit("broker.shutdown", { brokerEpoch: this.brokerEpoch });
    this.generation++;
    this.heartbeatGeneration++;
    this.rm.resetRuntime();
    if (this.options.onShutdownComplete !== undefined) this.options.onShutdownComplete();
    else this.host.crash("process");
  }

  // ------------------------------------------------------------------ metadata log

  /** A config that some profiles lack (KRaft-only, or owned by the controller's helper). */
  private quorumConfig(name: string, fallbackMs: number): number {
    return hasConfig(this.options.config, name)
      ? configNumber(this.options.config, name)
      : fallbackMs;
  }

  /** The active controller's node, or the next voter to try. */
  private controllerTarget(): string | undefined {
    if (this.zk !== undefined) return this.zk.controllerNode();
    if (this.controllerHint !== undefined) return String(this.controllerHint.leaderId);
    const local = this.options.controllerRole?.leaderHint?.();
    if (local !== undefined && local.leaderId >= 0) return String(local.leaderId);
    const voters = this.options.voters;
    return String(voters[this.voterCursor % voters.length]);
  }

  private forgetController(): void {
    if (this.controllerHint === undefined) this.voterCursor++;
    this.controllerHint = undefined;
  }

  private learnLeader(leaderId: number, leaderEpoch: number): void {
    if (leaderId < 0) return;
    if (this.controllerHint !== undefined && leaderEpoch < this.controllerHint.leaderEpoch) return;
    this.controllerHint = { leaderId, leaderEpoch };
    const index = this.options.voters.indexOf(leaderId);
    if (index >= 0) this.voterCursor = index;
  }

  private scheduleMetadataFetch(delayUs: number): void {
    this.engine.schedule(delayUs, this.id, "broker.metadata.fetch", {
      generation: this.generation,
    });
  }

  private fetchMetadata(): void {
    if (this.metadataInFlight !== undefined || this.state === "not-running") return;
    const to = this.controllerTarget();
    if (to === undefined) return;
    const correlationId = this.ctx.nextCorrelationId();
    const timeoutMs = this.quorumConfig(
      "controller.quorum.request.timeout.ms",
      QUORUM_REQUEST_TIMEOUT_MS,
    );
    const timer = this.engine.schedule(msToUs(timeoutMs), this.id, "broker.metadata.timeout", {
      correlationId,
    });
    this.metadataInFlight = { correlationId, to, timer };
    this.send(to, {
      type: "MetadataFetchRequest",
      bytes: HEADER_BYTES + 32,
      correlationId,
      replicaId: this.brokerId,
      fetchOffset: this.metadata.logEndOffset,
      lastFetchedEpoch: this.metadata.lastEpoch,
      currentLeaderEpoch: this.controllerHint?.leaderEpoch ?? -1,
      maxWaitMs: METADATA_FETCH_MAX_WAIT_MS,
    } satisfies MetadataFetchRequest);
  }

  private onMetadataTimeout(correlationId: number): void {
    if (this.metadataInFlight?.correlationId !== correlationId) return;
    this.metadataInFlight = undefined;
    this.forgetController();
    this.fetchMetadata();
  }

  private onMetadataResponse(from: string, m: MetadataFetchResponse): void {
    const inFlight = this.metadataInFlight;
    if (
      inFlight === undefined ||
      inFlight.correlationId !== m.correlationId ||
      inFlight.to !== from
    )
      return;
    this.engine.cancel(inFlight.timer);
    this.metadataInFlight = undefined;
    const backoffUs = msToUs(
      this.quorumConfig("controller.quorum.retry.backoff.ms", QUORUM_RETRY_BACKOFF_MS),
    );
    if (m.error !== "NONE") {
      // The answer names the leader it knows (possibly itself, when only our epoch was stale).
      if (m.currentLeader.leaderId >= 0) {
        this.controllerHint = undefined;
        this.learnLeader(m.currentLeader.leaderId, m.currentLeader.leaderEpoch);
      } else {
        this.forgetController();
      }
      this.scheduleMetadataFetch(backoffUs);
      return;
    }
    this.learnLeader(m.currentLeader.leaderId, m.currentLeader.leaderEpoch);
    if (m.divergingEpoch !== undefined) this.metadata.truncate(m.divergingEpoch.endOffset);
    else this.acceptMetadata(m.entries, m.highWatermark);
    this.fetchMetadata();
  }

  /** New metadata entries and the committed bound: apply what is committed, react to it. */
  private acceptMetadata(entries: readonly MetadataLogEntry[], highWatermark: number): void {
    this.metadata.append(entries);
    this.metadata.setHighWatermark(highWatermark);
    const delta = this.metadata.applyCommitted();
    if (delta.applied > 0) {
      for (const topic of delta.topicConfigs) this.forgetTopicConfig(topic);
      for (const removed of delta.removedTopics) this.forgetTopicConfig(removed.name);
      if (this.published) {
        this.rm.applyDelta(delta, false);
        for (const service of this.services) service.onMetadata(this.metadata.image);
      }
    }
    this.maybePublish();
  }

  /** After a restart: once registered and caught up, the replica manager starts from the image. */
  private maybePublish(): void {
    if (this.published || !this.registered || !this.metadata.caughtUp) return;
    const reg = this.metadata.image.brokers.get(this.brokerId);
    if (reg === undefined || reg.brokerEpoch !== this.brokerEpoch) return;
    this.published = true;
    this.emit("broker.caught-up", { metadataOffset: this.metadata.appliedOffset });
    this.rm.applyDelta(this.emptyDelta(), true);
    for (const service of this.services) service.onMetadata(this.metadata.image);
    // Tell the controller at once that the broker no longer wants to stay fenced.
    this.heartbeatNow();
  }

  private forgetTopicConfig(topic: string): void {
    this.topicConfigs.delete(topic);
    this.topicSettingsCache.delete(topic);
  }

  private topicSettings(topic: string): TopicSettings {
    let settings = this.topicSettingsCache.get(topic);
    if (settings === undefined) {
      const cfg = this.topicConfig(topic);
      settings = {
        minIsr: configNumber(cfg, "min.insync.replicas"),
        flushMessages: configNumber(cfg, "flush.messages"),
        flushMs: configNumber(cfg, "flush.ms"),
      };
      this.topicSettingsCache.set(topic, settings);
    }
    return settings;
  }

  private topicConfig(topic: string): ResolvedConfig {
    let cfg = this.topicConfigs.get(topic);
    if (cfg === undefined) {
      const overrides = this.metadata.image.topicByName(topic)?.configs ?? {};
      cfg = resolveTopicConfig(this.options.version, this.options.config, overrides);
      this.topicConfigs.set(topic, cfg);
    }
    return cfg;
  }

  // ------------------------------------------------------------------ views (checkers, tools, viz)

  /** Plain data for tools, checkers and the viz; never read by other actors. */
  snapshot(): BrokerSnapshot {
    const partitions: PartitionSnapshot[] = [];
    for (const hp of this.rm.hostedPartitions()) partitions.push(this.rm.partitionSnapshot(hp));
    partitions.sort((a, b) =>
      a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition,
    );
    // A crashed process cannot say so itself: its host tells (the logs are still on disk).
    const down = !this.host.isUp || this.halting;
    return {
      id: this.brokerId,
      state: down ? "not-running" : this.state,
      registered: this.registered,
      fenced: this.fenced,
      brokerEpoch: this.brokerEpoch,
      metadataOffset: this.metadata.appliedOffset,
      metadataHighWatermark: this.metadata.highWatermark,
      controller:
        this.zk !== undefined
          ? (this.zk.controllerNode() ?? null)
          : this.controllerHint === undefined
            ? null
            : String(this.controllerHint.leaderId),
      offlineLogDirs: this.rm.logs.offlineDirs(),
      fetchSessions: this.rm.fetcher.sessionsView(),
      partitions,
      metrics: { ...this.rm.counters, ...this.rm.gauges() },
    };
  }

  /**
   * The group coordinator's groups on this broker (for tools and expectations), or null while the
   * process is down: a crashed process's memory is not a view of anything.
   */
  groupCoordinator(): GroupCoordinatorSnapshot | null {
    if (!this.host.isUp || this.halting || this.state === "not-running") return null;
    for (const service of this.services) {
      if (service instanceof GroupCoordinatorService) return service.snapshot();
    }
    return null;
  }

  /**
   * The transaction coordinator's state on this broker (for kafka-transactions.sh and tests): the
   * `__transaction_state` partitions it leads and the ids of the loaded ones. Null while the
   * process is down: a crashed process's memory is not a view of anything.
   */
  txnCoordinator(): TxnCoordinatorSnapshot | null {
    if (!this.host.isUp || this.halting || this.state === "not-running") return null;
    for (const service of this.services) {
      if (service instanceof TxnCoordinatorService) return service.snapshot();
    }
    return null;
  }

  /**
   * The open transactions of a replica on this broker (Kafka's ongoing transactions of the
   * producer state, DescribeProducers' CurrentTransactionStartOffset), by first offset. Null when
   * the process is down or the broker holds no replica of the partition.
   */
  openTransactions(topic: string, partition: number): OngoingTxn[] | null {
    if (!this.host.isUp || this.halting || this.state === "not-running") return null;
    const ml = this.rm.logs.get(tpKey(topic, partition));
    return ml === undefined ? null : ml.log.txnIndex.ongoingTxns();
  }

  /**
   * The active producers of a replica on this broker (Kafka's DescribeProducers): each producer
   * id's epoch, last sequence and the timestamp of its last batch still in the log (-1 when it
   * is gone). Null when the process is down or the broker holds no replica of the partition.
   */
  describeProducers(
    topic: string,
    partition: number,
  ): Array<{
    producerId: number;
    producerEpoch: number;
    lastSequence: number;
    lastTimestampMs: number;
  }> | null {
    if (!this.host.isUp || this.halting || this.state === "not-running") return null;
    const ml = this.rm.logs.get(tpKey(topic, partition));
    if (ml === undefined) return null;
    const lastTimestampUs = new Map<number, number>();
    ml.log.forEachBatch((b) => {
      if (b.producerId >= 0) lastTimestampUs.set(b.producerId, b.maxTimestampUs);
    });
    const state = ml.log.producerState;
    return state.producerIds().map((producerId) => {
      const entry = state.entry(producerId)!;
      const last = entry.batches[entry.batches.length - 1];
      const ts = lastTimestampUs.get(producerId);
      return {
        producerId,
        producerEpoch: entry.producerEpoch,
        lastSequence: last === undefined ? -1 : last.lastSeq,
        lastTimestampMs: ts === undefined ? -1 : Math.floor(ts / 1000),
      };
    });
  }

  /** The broker's metadata image, read-only (for tests and checkers). */
  metadataImage(): MetadataImage {
    return this.metadata.image;
  }

  /** Every batch of a replica's log on this broker, oldest first (for checkers and tests). */
  /**
   * The aborted transactions of a replica's log overlapping [from, upperBound), as a read_committed
   * fetch lists them (UnifiedLog.collectAbortedTransactions); empty without a replica here.
   */
  abortedTransactions(
    topic: string,
    partition: number,
    from: number,
    upperBound: number,
  ): FetchAbortedTxn[] {
    const ml = this.rm.logs.get(tpKey(topic, partition));
    if (ml === undefined) return [];
    return ml.log.txnIndex
      .collectAbortedTransactions(from, upperBound)
      .map(({ producerId, firstOffset }) => ({ producerId, firstOffset }));
  }

  logBatches(topic: string, partition: number): RecordBatch[] {
    const ml = this.rm.logs.get(tpKey(topic, partition));
    if (ml === undefined) return [];
    const out: RecordBatch[] = [];
    ml.log.forEachBatch((b) => out.push(b));
    return out;
  }
}
