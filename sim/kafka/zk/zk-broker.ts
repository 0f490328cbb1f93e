/**
 * The ZooKeeper-mode half of a broker (KafkaServer before KRaft): its ZooKeeper session, its
 * registration, the controller it hosts, and what it does with the controller's requests.
 *
 * Models: registration as the ephemeral `/brokers/ids/<id>` (broker epoch = its czxid, KIP-380;
 * NODEEXISTS while the previous session has not expired yet: retried every second); the session
 * is the broker's liveness (no heartbeats to a quorum); LeaderAndIsr and UpdateMetadata apply the
 * partition and broker state they carry to the broker's image when newer (leader epoch, then
 * partition epoch = the state znode's version), and the replica manager reacts as it does to the
 * KRaft metadata log; a request from a controller epoch below the highest seen is refused with
 * STALE_CONTROLLER_EPOCH (zombie controller fencing) and one for an older broker epoch with
 * STALE_BROKER_EPOCH. ISR changes: before 2.7 the leader writes the state znode itself with a
 * conditional setData (the version it last knew) and leaves an `/isr_change_notification`
 * znode; from 2.7 (KIP-497) it sends AlterIsr (the AlterPartition message) to the controller.
 * Admin requests reaching a broker that is not the controller are forwarded to it. Controlled
 * shutdown: ControlledShutdownRequest until the controller says no partition is led here
 * (controlled.shutdown.max.retries, controlled.shutdown.retry.backoff.ms), then the session is
 * closed and the process stops.
 *
 * After a restart the broker keeps its old image but acts on no partition until the controller's
 * first LeaderAndIsr, whose states replace what it knew.
 *
 * Simplifies: the ISR change notification is written at once after each change (Kafka batches
 * them every 2.5 s); after a restart the broker acts on its partitions only once the controller's
 * first request arrives (Kafka's replica manager also waits for the first LeaderAndIsr).
 *
 * Faults: session expiry (re-registration in a new session with a new broker epoch), a zombie
 * controller's requests, lost controller requests (the next one carries the full state).
 */
import type { EventHandle, SimEvent } from "../../engine/engine.ts";
import type { RngStream } from "../../engine/rng.ts";
import type { TraceFields } from "../../engine/trace.ts";
import type { NetMessage } from "../../infra/network.ts";
import type { MetadataDelta } from "../broker/metadata-cache.ts";
import { configNumber, type ResolvedConfig } from "../config.ts";
import type { MetadataImage, MetadataRecord } from "../metadata/image.ts";
import { HEADER_BYTES } from "../protocol.ts";
import type {
  AdminRequestMessage,
  AdminResponseMessage,
  AlterPartitionRequest,
  AlterPartitionResponse,
} from "../protocol-control.ts";
import type {
  ControlledShutdownResponse,
  LeaderAndIsrRequest,
  LeaderAndIsrResponse,
  ZkControllerMessage,
} from "../protocol-zk.ts";
import type { KafkaVersion, VersionProfile } from "../version.ts";
import { ZK_CLIENT_TIMER_PREFIX, ZkClient } from "./zk-client.ts";
import {
  partitionStateData,
  ZK_CONTROLLER_TIMER_PREFIX,
  ZK_PATHS,
  ZkController,
  type ZkControllerSnapshot,
} from "./zk-controller.ts";

const BROKER_TIMER_PREFIX = "zkb.";
const REGISTER_RETRY_US = 1_000_000;
/** Time between closing the ZooKeeper session and the process exit (a modelled guess). */
const CLOSE_GRACE_US = 1000;

export interface ZkBrokerBootstrap {
  readonly servers: readonly string[];
  /** The broker's session at t = 0 (its /brokers/ids znode's owner). */
  readonly sessionId: number;
  readonly controllerId: number;
  readonly controllerEpoch: number;
  readonly controllerEpochZkVersion: number;
}

export interface ZkBrokerHooks {
  readonly brokerId: number;
  readonly version: KafkaVersion;
  readonly profile: VersionProfile;
  readonly config: ResolvedConfig;
  readonly rack: string | undefined;
  readonly placementRng: RngStream;
  now(): number;
  send(to: string, message: NetMessage): void;
  timer<P>(delayUs: number, kind: string, payload: P): EventHandle;
  cancel(handle: EventHandle | undefined): void;
  emit(type: string, fields: TraceFields): void;
  nextCorrelationId(): number;
  image(): MetadataImage;
  brokerEpoch(): number;
  setBrokerEpoch(epoch: number): void;
  /** The broker's image changed; `first`: the first state after a (re)start or registration. */
  onMetadata(delta: MetadataDelta, first: boolean): void;
  onAlterPartitionResponse(response: AlterPartitionResponse): void;
  /** Controlled shutdown done (or given up): stop the process. */
  completeShutdown(): void;
}

type BrokerTimer =
  | SimEvent<"zkb.register", { readonly generation: number }>
  | SimEvent<"zkb.shutdown.retry", { readonly generation: number }>
  | SimEvent<"zkb.shutdown.timeout", { readonly correlationId: number }>
  | SimEvent<"zkb.shutdown.done", { readonly generation: number }>;

export class ZkBrokerMode {
  readonly zk: ZkClient;
  readonly controller: ZkController;
  private generation = 0;
  private registered = false;
  private published = false;
  private highestControllerEpoch = 0;
  private controllerId = -1;
  /**
   * After a restart the image is what the broker knew before it died: the first LeaderAndIsr's
   * partition states replace it whatever their epochs (the controller's state is the truth).
   */
  private awaitingLeaderAndIsr = false;
  private readonly forwarded = new Map<number, { from: string; correlationId: number }>();
  private shutdown: { attempts: number; correlationId: number } | undefined;

  constructor(
    private readonly hooks: ZkBrokerHooks,
    private readonly boot: ZkBrokerBootstrap,
  ) {
    const sessionTimeoutMs = configNumber(hooks.config, "zookeeper.session.timeout.ms");
    this.zk = new ZkClient(
      {
        now: () => hooks.now(),
        send: (to, m) => hooks.send(to, m),
        timer: (d, k, p) => hooks.timer(d, k, p),
        cancel: (h) => hooks.cancel(h),
        emit: (t, f) => hooks.emit(t, f),
      },
      {
        servers: boot.servers,
        sessionTimeoutMs,
        owner: String(hooks.brokerId),
        startIndex: (hooks.brokerId - 1) % boot.servers.length,
      },
      {
        onConnected: (_sid, isNew) => {
          if (isNew) this.register();
        },
        onExpired: () => {
          this.registered = false;
          this.controller.onSessionExpired();
          this.hooks.emit("zk.broker.session-lost", { brokerEpoch: hooks.brokerEpoch() });
        },
        onWatch: (path, event) => this.controller.onWatch(path, event),
      },
    );
    this.controller = new ZkController({
      brokerId: hooks.brokerId,
      version: hooks.version,
      config: hooks.config,
      zk: this.zk,
      placementRng: hooks.placementRng,
      now: () => hooks.now(),
      send: (to, m) => hooks.send(to, m),
      timer: (d, k, p) => hooks.timer(d, k, p),
      emit: (t, f) => hooks.emit(t, f),
      onControllerChange: (id) => {
        if (id >= 0) this.controllerId = id;
      },
      nextCorrelationId: () => hooks.nextCorrelationId(),
    });
  }

  get isRegistered(): boolean {
    return this.registered;
  }

  get isPublished(): boolean {
    return this.published;
  }

  /** The controller broker's node as far as this broker knows. */
  controllerNode(): string | undefined {
    const id = this.controller.isActive ? this.hooks.brokerId : this.controllerId;
    return id >= 0 ? String(id) : undefined;
  }

  controllerSnapshot(): ZkControllerSnapshot {
    return this.controller.snapshot();
  }

  // ---------------------------------------------------------------- lifecycle

  /** t = 0: registered, session up, the bootstrap controller known. */
  bootstrap(pingStaggerUs: number): void {
    this.generation++;
    this.registered = true;
    this.published = true;
    this.shutdown = undefined;
    this.forwarded.clear();
    this.highestControllerEpoch = this.boot.controllerEpoch;
    this.controllerId = this.boot.controllerId;
    this.zk.bootstrap(this.boot.sessionId, pingStaggerUs);
    this.controller.bootstrap(
      this.boot.controllerId,
      this.boot.controllerEpoch,
      this.boot.controllerEpochZkVersion,
      this.hooks.image(),
    );
  }

  /** A restart: a new session, then registration. */
  start(): void {
    this.generation++;
    this.registered = false;
    this.published = false;
    this.shutdown = undefined;
    this.forwarded.clear();
    this.controller.reset();
    this.controllerId = -1;
    this.awaitingLeaderAndIsr = true;
    this.zk.start();
  }

  private register(): void {
    const id = this.hooks.brokerId;
    this.zk.request(
      {
        op: "create",
        path: ZK_PATHS.broker(id),
        data: JSON.stringify({
          version: 4,
          host: String(id),
          port: 9092,
          rack: this.hooks.rack ?? null,
          jmx_port: -1,
        }),
        ephemeral: true,
      },
      (r) => {
        if (r.error === "OK" && r.stat !== undefined) {
          this.registered = true;
          this.hooks.setBrokerEpoch(r.stat.czxid);
          this.hooks.emit("zk.broker.registered", { brokerEpoch: r.stat.czxid });
          this.controller.onNewSession();
          return;
        }
        if (r.error === "NODEEXISTS") {
          // The previous session still holds the znode until it expires.
          this.hooks.timer(REGISTER_RETRY_US, "zkb.register", { generation: this.generation });
        }
      },
    );
  }

  // ---------------------------------------------------------------- events

  /** True when the timer was this part's. */
  handleTimer(event: SimEvent): boolean {
    if (event.kind.startsWith(ZK_CLIENT_TIMER_PREFIX)) {
      this.zk.handleTimer(event);
      return true;
    }
    if (event.kind.startsWith(ZK_CONTROLLER_TIMER_PREFIX)) {
      this.controller.handleTimer(event);
      return true;
    }
    if (!event.kind.startsWith(BROKER_TIMER_PREFIX)) return false;
    const e = event as BrokerTimer;
    switch (e.kind) {
      case "zkb.register":
        if (e.payload.generation === this.generation && !this.registered) this.register();
        return true;
      case "zkb.shutdown.retry":
        if (e.payload.generation === this.generation) this.sendControlledShutdown();
        return true;
      case "zkb.shutdown.done":
        if (e.payload.generation === this.generation) this.hooks.completeShutdown();
        return true;
      case "zkb.shutdown.timeout":
        if (this.shutdown?.correlationId === e.payload.correlationId) this.shutdownAttemptFailed();
        return true;
    }
    return false;
  }

  onDisconnect(peer: string): void {
    this.zk.onDisconnect(peer);
    this.controller.onDisconnect(peer);
  }

  /** True when the message was ZooKeeper mode's. */
  handleMessage(from: string, m: NetMessage): boolean {
    if (this.zk.handleMessage(from, m)) return true;
    const msg = m as unknown as
      | ZkControllerMessage
      | AlterPartitionRequest
      | AdminRequestMessage
      | AdminResponseMessage;
    switch (msg.type) {
      case "LeaderAndIsrRequest":
      case "UpdateMetadataRequest":
        this.onControllerRequest(from, msg);
        return true;
      case "LeaderAndIsrResponse":
      case "UpdateMetadataResponse":
        this.controller.onResponse(from, msg.correlationId);
        return true;
      case "ControlledShutdownRequest":
        this.controller.handleControlledShutdown(from, msg);
        return true;
      case "ControlledShutdownResponse":
        this.onControlledShutdownResponse(msg);
        return true;
      case "AlterPartitionRequest":
        this.controller.handleAlterIsr(from, msg);
        return true;
      case "AdminRequest":
        this.onAdmin(from, msg);
        return true;
      case "AdminResponse": {
        const f = this.forwarded.get(msg.correlationId);
        // Not one we forwarded: an answer to this broker's own request (a service's).
        if (f === undefined) return false;
        this.forwarded.delete(msg.correlationId);
        this.hooks.send(f.from, { ...msg, correlationId: f.correlationId });
        return true;
      }
      default:
        return false;
    }
  }

  private onAdmin(from: string, m: AdminRequestMessage): void {
    if (this.controller.isActive) return this.controller.handleAdmin(from, m);
    const to = this.controllerNode();
    if (to === undefined || !this.registered) {
      this.hooks.send(from, {
        type: "AdminResponse",
        bytes: HEADER_BYTES,
        correlationId: m.correlationId,
        error: "NOT_CONTROLLER",
        results: [],
      } satisfies AdminResponseMessage);
      return;
    }
    const correlationId = this.hooks.nextCorrelationId();
    this.forwarded.set(correlationId, { from, correlationId: m.correlationId });
    this.hooks.send(to, { ...m, correlationId });
  }

  private onControllerRequest(from: string, m: LeaderAndIsrRequest): void {
    const respond = (error: LeaderAndIsrResponse["error"]) =>
      this.hooks.send(from, {
        type: m.type === "LeaderAndIsrRequest" ? "LeaderAndIsrResponse" : "UpdateMetadataResponse",
        bytes: HEADER_BYTES,
        correlationId: m.correlationId,
        error,
      } satisfies LeaderAndIsrResponse);
    if (m.controllerEpoch < this.highestControllerEpoch) {
      this.hooks.emit("controller.fenced", {
        staleEpoch: m.controllerEpoch,
        currentEpoch: this.highestControllerEpoch,
        controller: m.controllerId,
        request: m.type,
      });
      return respond("STALE_CONTROLLER_EPOCH");
    }
    if (!this.registered) return respond("BROKER_NOT_AVAILABLE");
    if (m.brokerEpoch !== -1 && m.brokerEpoch < this.hooks.brokerEpoch())
      return respond("STALE_BROKER_EPOCH");
    this.highestControllerEpoch = m.controllerEpoch;
    if (!this.controller.isActive) this.controllerId = m.controllerId;
    const force = this.awaitingLeaderAndIsr && m.type === "LeaderAndIsrRequest";
    if (force) this.awaitingLeaderAndIsr = false;
    const delta = applyControllerRecords(this.hooks.image(), m.records, force);
    const first = !this.published;
    this.published = true;
    this.hooks.onMetadata(delta, first);
    respond("NONE");
  }

  // ---------------------------------------------------------------- ISR changes

  /**
   * The replica manager's AlterPartition: before 2.7 the leader writes ZooKeeper itself; from 2.7
   * it goes to the controller. True when handled here.
   */
  interceptAlterPartition(m: AlterPartitionRequest): boolean {
    if (this.hooks.profile.alterPartition) return false;
    const results: Array<AlterPartitionResponse["partitions"][number]> = [];
    const changed: Array<{ topic: string; partition: number }> = [];
    const items = m.partitions.slice();
    const next = (i: number): void => {
      if (i >= items.length) {
        if (changed.length > 0) {
          this.zk.request(
            {
              op: "create",
              path: `${ZK_PATHS.isrChanges}/isr_change_`,
              data: JSON.stringify({ version: 1, partitions: changed }),
              ephemeral: false,
              sequential: true,
            },
            () => {},
          );
        }
        this.hooks.onAlterPartitionResponse({
          type: "AlterPartitionResponse",
          bytes: HEADER_BYTES,
          correlationId: m.correlationId,
          error: "NONE",
          partitions: results,
        });
        return;
      }
      const item = items[i]!;
      const data = partitionStateData(
        this.hooks.brokerId,
        item.leaderEpoch,
        item.newIsr,
        this.highestControllerEpoch,
      );
      this.zk.request(
        {
          op: "setData",
          path: ZK_PATHS.state(item.topic, item.partition),
          data,
          version: item.partitionEpoch,
        },
        (r) => {
          const ok = r.error === "OK" && r.stat !== undefined;
          this.hooks.emit("zk.isr.write", {
            topic: item.topic,
            partition: item.partition,
            isr: item.newIsr.slice(),
            leaderEpoch: item.leaderEpoch,
            zkVersion: ok ? r.stat!.version : item.partitionEpoch,
            error: r.error,
          });
          if (ok) changed.push({ topic: item.topic, partition: item.partition });
          results.push({
            topic: item.topic,
            partition: item.partition,
            error: ok ? "NONE" : "INVALID_UPDATE_VERSION",
            leaderId: this.hooks.brokerId,
            leaderEpoch: item.leaderEpoch,
            partitionEpoch: ok ? r.stat!.version : item.partitionEpoch,
            isr: item.newIsr.slice(),
            leaderRecoveryState: "RECOVERED",
          });
          next(i + 1);
        },
      );
    };
    next(0);
    return true;
  }

  // ---------------------------------------------------------------- controlled shutdown

  beginControlledShutdown(): void {
    if (this.shutdown !== undefined) return;
    this.shutdown = { attempts: 0, correlationId: -1 };
    this.sendControlledShutdown();
  }

  private sendControlledShutdown(): void {
    const s = this.shutdown;
    if (s === undefined) return;
    const max = configNumber(this.hooks.config, "controlled.shutdown.max.retries");
    if (s.attempts > max) return this.finishShutdown();
    s.attempts++;
    const to = this.controllerNode();
    if (to === undefined) return this.shutdownAttemptFailed();
    s.correlationId = this.hooks.nextCorrelationId();
    this.hooks.send(to, {
      type: "ControlledShutdownRequest",
      bytes: HEADER_BYTES,
      correlationId: s.correlationId,
      brokerId: this.hooks.brokerId,
      brokerEpoch: this.hooks.brokerEpoch(),
    });
    this.hooks.timer(
      configNumber(this.hooks.config, "controller.socket.timeout.ms") * 1000,
      "zkb.shutdown.timeout",
      { correlationId: s.correlationId },
    );
  }

  private shutdownAttemptFailed(): void {
    if (this.shutdown === undefined) return;
    this.shutdown.correlationId = -1;
    this.hooks.timer(
      configNumber(this.hooks.config, "controlled.shutdown.retry.backoff.ms") * 1000,
      "zkb.shutdown.retry",
      { generation: this.generation },
    );
  }

  private onControlledShutdownResponse(m: ControlledShutdownResponse): void {
    if (this.shutdown === undefined || this.shutdown.correlationId !== m.correlationId) return;
    this.hooks.emit("broker.controlled-shutdown.response", {
      error: m.error,
      partitionsRemaining: m.partitionsRemaining.slice(),
    });
    if (m.error === "NONE" && m.partitionsRemaining.length === 0) return this.finishShutdown();
    this.shutdownAttemptFailed();
  }

  private finishShutdown(): void {
    this.shutdown = undefined;
    // The session is closed before the process exits (its close leaves the NIC first).
    this.zk.close();
    this.controller.reset();
    this.generation++;
    this.hooks.timer(CLOSE_GRACE_US, "zkb.shutdown.done", { generation: this.generation });
  }

  /** The process died: nothing in memory survives. */
  stop(): void {
    this.generation++;
    this.zk.stop();
    this.controller.reset();
  }
}

/**
 * Applies the controller's state to a broker's image where it is newer; returns what changed
 * (the replica manager's MetadataDelta).
 */
export function applyControllerRecords(
  image: MetadataImage,
  records: readonly MetadataRecord[],
  force = false,
): MetadataDelta {
  const delta: MetadataDelta = {
    partitions: [],
    removedTopics: [],
    topicConfigs: new Set(),
    brokers: false,
    applied: 0,
  };
  for (const r of records) {
    switch (r.type) {
      case "RegisterBrokerRecord": {
        const b = image.brokers.get(r.brokerId);
        const fenced = r.fenced ?? true;
        if (
          b === undefined ||
          !b.registered ||
          b.fenced !== fenced ||
          b.brokerEpoch !== r.brokerEpoch ||
          b.inControlledShutdown !== (r.inControlledShutdown ?? false)
        ) {
          image.apply(r);
          delta.brokers = true;
          delta.applied++;
        }
        break;
      }
      case "TopicRecord":
        if (!image.topics.has(r.topicId) && image.topicByName(r.name) === undefined) {
          image.apply(r);
          delta.applied++;
        }
        break;
      case "ConfigRecord": {
        if (r.resourceType !== "TOPIC") break;
        const cur = image.configsOf("TOPIC", r.resourceName)[r.name];
        if (cur !== (r.value ?? undefined)) {
          image.apply(r);
          delta.topicConfigs.add(r.resourceName);
          delta.applied++;
        }
        break;
      }
      case "PartitionRecord": {
        const topic = image.topics.get(r.topicId);
        if (topic === undefined || r.partitionId > topic.partitions.length) break;
        const cur = topic.partitions[r.partitionId];
        const newer =
          force ||
          cur === undefined ||
          r.leaderEpoch > cur.leaderEpoch ||
          (r.leaderEpoch === cur.leaderEpoch && r.partitionEpoch > cur.partitionEpoch);
        if (!newer) break;
        image.apply(r);
        delta.partitions.push({ topic: topic.name, partition: r.partitionId });
        delta.applied++;
        break;
      }
      case "RemoveTopicRecord": {
        const topic = image.topics.get(r.topicId);
        if (topic === undefined) break;
        delta.removedTopics.push({ name: topic.name, partitions: topic.partitions.length });
        image.apply(r);
        delta.applied++;
        break;
      }
      default:
        break;
    }
  }
  return delta;
}
