/**
 * The KRaft controller role of one voter: its Raft replica of the metadata log (raft.ts) and the
 * controller logic that runs when it leads (quorum-controller.ts), wired to the engine and the
 * network. Not an actor itself: a dedicated controller node (controller-node.ts) wraps it, and in
 * combined mode the broker actor embeds it, passing it the controller's messages and its "ctl.*"
 * timers, which the role schedules on the hosting actor's id.
 *
 * Models: the process lifecycle of a voter: the first start in steady state (bootstrap log
 * committed, the first voter leading epoch 1), a restart after a crash or power loss (the log and
 * the quorum state are on disk; KRaft fsyncs every append, so nothing is lost, and the image is
 * rebuilt as the leader commits the log again), a graceful shutdown (EndQuorumEpoch).
 *
 * Simplifies: no CPU or disk time for the controller's work (the metadata log is tiny next to the
 * data logs); a crashed process keeps nothing volatile (timers die with the incarnation).
 *
 * Faults: whatever reaches its host (crash, power loss, partitions, lost messages).
 */
import { assert } from "../../engine/assert.ts";
import type { Engine, SimEvent } from "../../engine/engine.ts";
import type { CrashMode } from "../../infra/host.ts";
import type { NetDelivery, NetDisconnect, NetMessage, Network } from "../../infra/network.ts";
import { configNumber, hasConfig, type ResolvedConfig, resolveBrokerConfig } from "../config.ts";
import type { MetadataImage } from "../metadata/image.ts";
import type { MetadataLogEntry } from "../protocol-control.ts";
import type { KafkaVersion } from "../version.ts";
import {
  type ControllerMetrics,
  type ControllerRequest,
  type ControllerTimer,
  QuorumController,
} from "./quorum-controller.ts";
import {
  RAFT_CORRELATION_BASE,
  type RaftMessage,
  RaftNode,
  type RaftSnapshot,
  type RaftState,
  type RaftTimer,
} from "./raft.ts";

/** Event kind of the Raft layer's timers (payload: RaftTimer). */
export const CTL_RAFT_TIMER = "ctl.raft";
/** Event kind of the controller logic's timers (payload: ControllerTimer). */
export const CTL_CONTROLLER_TIMER = "ctl.controller";

/** Kafka's KafkaRaftClient fetches with a 500 ms maximum wait. */
const RAFT_FETCH_MAX_WAIT_MS = 500;

/** Whether an event kind is one of the role's timers (a hosting actor forwards these). */
export function isControllerTimer(kind: string): boolean {
  return kind === CTL_RAFT_TIMER || kind === CTL_CONTROLLER_TIMER;
}

export interface ControllerRoleOptions {
  readonly engine: Engine;
  readonly network: Network;
  /** This voter's node id; its network node (and actor) is String(nodeId). */
  readonly nodeId: number;
  /** The actor whose id the "ctl.*" timers target: the controller node, or the hosting broker. */
  readonly hostActorId: string;
  /** The voters' node ids; the first one leads epoch 1 at t=0. */
  readonly voters: readonly number[];
  readonly version: KafkaVersion;
  /** This node's static broker configs (server.properties); defaults when absent. */
  readonly staticConfig?: Readonly<Record<string, unknown>>;
  /** The committed start log (see buildBootstrapLog), the same on every node. */
  readonly bootstrapLog: readonly MetadataLogEntry[];
  /**
   * Combined mode: the hosting broker learns committed metadata from its own voter here (in
   * offset order; `highWatermark` exclusive). The bootstrap log is not delivered (it is committed
   * from the start); after a restart delivery starts again from offset 0, bootstrap included.
   */
  readonly onMetadataCommitted?: (
    entries: readonly MetadataLogEntry[],
    highWatermark: number,
  ) => void;
}

/** Plain data for tools, checkers and the viz. */
export interface ControllerSnapshot {
  readonly nodeId: number;
  readonly running: boolean;
  readonly role: RaftState;
  readonly epoch: number;
  readonly leaderId: number;
  readonly votedFor: number;
  readonly logEndOffset: number;
  readonly highWatermark: number;
  /** The last committed offset (highWatermark − 1; −1 when nothing is). */
  readonly committedOffset: number;
  /** The active controller (Raft leader whose epoch's first entry is committed). */
  readonly active: boolean;
  /** The active controller's committed image, read-only; undefined elsewhere. */
  readonly image: MetadataImage | undefined;
  readonly metrics: ControllerMetrics;
}

export class ControllerRole {
  readonly nodeId: number;
  private readonly network: Network;
  private readonly hostActorId: string;
  private readonly selfName: string;
  private readonly raft: RaftNode;
  private readonly controller: QuorumController;
  private readonly onMetadataCommitted:
    | ((entries: readonly MetadataLogEntry[], highWatermark: number) => void)
    | undefined;
  private running = false;
  private everStarted = false;

  constructor(options: ControllerRoleOptions) {
    const { engine, nodeId } = options;
    this.network = options.network;
    this.nodeId = nodeId;
    this.hostActorId = options.hostActorId;
    this.selfName = String(nodeId);
    this.onMetadataCommitted = options.onMetadataCommitted;
    assert(options.voters.includes(nodeId), () => `node ${nodeId} is not a voter`);
    const staticConfig = options.staticConfig ?? {};
    const cfg = resolveBrokerConfig(options.version, staticConfig);
    const node = this.selfName;
    this.raft = new RaftNode(
      {
        nodeId,
        voters: options.voters,
        rng: engine.rng.stream(`raft/${nodeId}/election`),
        electionTimeoutUs: msToUs(cfg, "controller.quorum.election.timeout.ms", 1000),
        fetchTimeoutUs: msToUs(cfg, "controller.quorum.fetch.timeout.ms", 2000),
        electionBackoffMaxUs: msToUs(cfg, "controller.quorum.election.backoff.max.ms", 1000),
        requestTimeoutUs: msToUs(cfg, "controller.quorum.request.timeout.ms", 2000),
        retryBackoffUs: msToUs(cfg, "controller.quorum.retry.backoff.ms", 20),
        fetchMaxWaitMs: RAFT_FETCH_MAX_WAIT_MS,
      },
      {
        now: () => engine.now,
        send: (to, message) => this.send(String(to), message),
        setTimer: (delayUs, timer) =>
          engine.schedule(delayUs, this.hostActorId, CTL_RAFT_TIMER, timer),
        cancelTimer: (handle) => engine.cancel(handle as SimEvent),
        onCommit: (entries, hw) => {
          this.controller.onCommit(entries, hw);
          this.onMetadataCommitted?.(entries, hw);
        },
        onBecomeLeader: () => this.controller.activate(),
        onResign: () => this.controller.deactivate(),
        trace: (type, fields) => engine.trace.emit(type, node, fields),
      },
    );
    this.controller = new QuorumController(
      {
        nodeId,
        version: options.version,
        staticConfig,
        placementRng: engine.rng.stream(`controller/${nodeId}/placement`),
      },
      {
        now: () => engine.now,
        trace: (type, fields) => engine.trace.emit(type, node, fields),
        send: (to, message) => this.send(to, message),
        setTimer: (delayUs, timer) =>
          engine.schedule(delayUs, this.hostActorId, CTL_CONTROLLER_TIMER, timer),
        cancelTimer: (handle) => engine.cancel(handle as SimEvent),
        append: (records) => this.raft.appendAsLeader(records),
        logEndOffset: () => this.raft.logEndOffset,
        highWatermark: () => this.raft.highWatermark,
        isRaftLeader: () => this.raft.isLeader,
      },
    );
    const leader = options.voters[0]!;
    this.raft.bootstrap(options.bootstrapLog, leader);
    this.controller.loadBootstrap(options.bootstrapLog);
  }

  // ---------------------------------------------------------------- lifecycle

  /** The process started: `after` undefined is the first boot (steady state), else a restart. */
  start(after: CrashMode | undefined): void {
    if (after === undefined && !this.everStarted) {
      this.everStarted = true;
      this.running = true;
      this.raft.start(false);
      return;
    }
    // A restart: whatever was volatile is gone; the log and the quorum state are on disk.
    this.crash();
    this.everStarted = true;
    this.running = true;
    this.controller.reset();
    this.raft.start(true);
  }

  /** The process died (optional: start() after a crash cleans up too). Sends nothing. */
  crash(): void {
    this.running = false;
    this.raft.crash();
    this.controller.reset();
  }

  /** Graceful shutdown: a leader hands over with EndQuorumEpoch, then the role goes quiet. */
  shutdown(): void {
    if (!this.running) return;
    this.raft.shutdown();
    this.running = false;
  }

  get isRunning(): boolean {
    return this.running;
  }

  get isActiveController(): boolean {
    return this.running && this.controller.isActive;
  }

  // ---------------------------------------------------------------- events

  /**
   * Handles a message if it is the controller's (Raft traffic, broker registration and heartbeat,
   * AlterPartition, admin requests). Returns false for anything else, which the host handles.
   */
  handleMessage(delivery: NetDelivery): boolean {
    const message = delivery.message as NetMessage & { readonly correlationId?: number };
    switch (message.type) {
      case "VoteRequest":
      case "VoteResponse":
      case "BeginQuorumEpochRequest":
      case "BeginQuorumEpochResponse":
      case "EndQuorumEpochRequest":
      case "MetadataFetchRequest":
        if (this.running) this.raft.handleMessage(nodeIdOf(delivery.from), message as RaftMessage);
        return true;
      case "MetadataFetchResponse": {
        // The host's own metadata fetches (combined mode) use ids below RAFT_CORRELATION_BASE.
        const id = message.correlationId ?? -1;
        if (id < RAFT_CORRELATION_BASE) return false;
        if (this.running && this.raft.ownsFetch(id)) {
          this.raft.handleMessage(nodeIdOf(delivery.from), message as RaftMessage);
        }
        return true;
      }
      case "BrokerRegistrationRequest":
      case "BrokerHeartbeatRequest":
      case "AlterPartitionRequest":
      case "AdminRequest":
        if (this.running) {
          this.controller.handleRequest(delivery.from, message as unknown as ControllerRequest);
        }
        return true;
      default:
        return false;
    }
  }

  /** A connection broke: a metadata fetch in flight on it is retried. */
  handleDisconnect(disconnect: NetDisconnect): void {
    if (!this.running || !/^\d+$/.test(disconnect.peer)) return;
    this.raft.handleDisconnect(Number(disconnect.peer));
  }

  /** Handles a "ctl.raft" or "ctl.controller" timer event. */
  handleTimer(event: SimEvent): void {
    if (!this.running) return;
    if (event.kind === CTL_RAFT_TIMER) {
      this.raft.handleTimer(event.payload as RaftTimer);
    } else {
      assert(event.kind === CTL_CONTROLLER_TIMER, () => `not a controller timer: ${event.kind}`);
      this.controller.handleTimer(event.payload as ControllerTimer);
    }
  }

  // ---------------------------------------------------------------- views (tools, checkers)

  snapshot(): ControllerSnapshot {
    const raft: RaftSnapshot = this.raft.snapshot();
    const active = this.isActiveController;
    return {
      nodeId: this.nodeId,
      running: this.running,
      role: raft.state,
      epoch: raft.epoch,
      leaderId: raft.leaderId,
      votedFor: raft.votedFor,
      logEndOffset: raft.logEndOffset,
      highWatermark: raft.highWatermark,
      committedOffset: raft.highWatermark - 1,
      active,
      image: active ? this.controller.committedImage : undefined,
      metrics: this.controller.metrics(),
    };
  }

  /** The Raft layer's state alone: cheap enough for a checker to read after every event. */
  raftSnapshot(): RaftSnapshot {
    return this.raft.snapshot();
  }

  /**
   * The quorum leader this voter knows, for the broker it lives in (combined mode): the broker
   * sends its registration and heartbeats there, as a KRaft broker learns the leader from its
   * own metadata fetches. Undefined while this voter knows no leader or is not running.
   */
  leaderHint(): { readonly leaderId: number; readonly leaderEpoch: number } | undefined {
    if (!this.running) return undefined;
    const r = this.raft.snapshot();
    return r.leaderId >= 0 ? { leaderId: r.leaderId, leaderEpoch: r.epoch } : undefined;
  }

  /** The committed image of this voter, active or not (tests and checkers only). */
  committedImage(): MetadataImage {
    return this.controller.committedImage;
  }

  /** A copy of this voter's log in [from, to) (tests and checkers only). */
  logEntries(from?: number, to?: number): MetadataLogEntry[] {
    return this.raft.entries(from, to);
  }

  private send(to: string, message: NetMessage): void {
    this.network.send(this.selfName, to, message);
  }
}

function nodeIdOf(name: string): number {
  const id = Number(name);
  assert(Number.isSafeInteger(id) && id >= 0, () => `quorum message from non-node '${name}'`);
  return id;
}

function msToUs(cfg: ResolvedConfig, name: string, fallbackMs: number): number {
  return (hasConfig(cfg, name) ? configNumber(cfg, name) : fallbackMs) * 1000;
}
