/**
 * A fake KRaft controller for broker tests: one node, no Raft. It holds the metadata log (every
 * entry committed at once, epoch 1, itself the leader) and serves it to brokers (MetadataFetch,
 * long-polled), registers brokers, takes their heartbeats, fences a broker whose session
 * (broker.session.timeout.ms) expires, unfences one that caught up, and applies AlterPartition,
 * all with the pure functions of sim/kafka/metadata/partition-change.ts (elections in replica
 * order, last replica standing, ELR when enabled).
 *
 * A broker that registers again with a new incarnation while its old session is still valid gets
 * DUPLICATE_BROKER_REGISTRATION, as in Kafka (so a restarted broker is fenced, and its leadership
 * moved, before it can come back); `reregistration: "immediate"` accepts it at once instead, keeping
 * its ISR memberships, as the KIP-101 narratives assume. A completed controlled shutdown fences the
 * broker and ends its session, so its restart registers at once.
 *
 * Simplifies (it is a test double, not the model): with `removeUncleanFromIsr` (default: 3.7+, KIP-966
 * handleBrokerUncleanShutdown) an unclean restart leaves every ISR; offline log dirs in a
 * heartbeat fence the broker (single-directory brokers halt anyway); unclean elections follow the
 * topic config in every version (ZooKeeper-era behaviour).
 */
import { assert } from "../../sim/engine/assert.ts";
import type { Actor, Engine, EventHandle, SimEvent } from "../../sim/engine/engine.ts";
import type { NetDelivery, Network } from "../../sim/infra/network.ts";
import {
  configBoolean,
  configNumber,
  hasConfig,
  type ResolvedConfig,
  resolveTopicConfig,
} from "../../sim/kafka/config.ts";
import { MetadataImage, type MetadataRecord } from "../../sim/kafka/metadata/image.ts";
import {
  alterPartition,
  type ControllerPolicy,
  onBrokerFenced,
  onBrokerUncleanShutdown,
  onBrokerUnfenced,
  onControlledShutdown,
} from "../../sim/kafka/metadata/partition-change.ts";
import { HEADER_BYTES } from "../../sim/kafka/protocol.ts";
import type {
  AlterPartitionRequest,
  AlterPartitionResponse,
  BrokerHeartbeatRequest,
  BrokerHeartbeatResponse,
  BrokerRegistrationRequest,
  BrokerRegistrationResponse,
  ControlMessage,
  MetadataFetchRequest,
  MetadataFetchResponse,
  MetadataLogEntry,
} from "../../sim/kafka/protocol-control.ts";
import { type KafkaVersion, versionProfile } from "../../sim/kafka/version.ts";

export interface FakeControllerOptions {
  readonly nodeId: number;
  readonly version: KafkaVersion;
  /** For broker.session.timeout.ms and the topic config defaults. */
  readonly brokerConfig: ResolvedConfig;
  readonly bootstrap: readonly MetadataLogEntry[];
  readonly elrEnabled?: boolean;
  /** KIP-966 handleBrokerUncleanShutdown on an unclean re-registration (default: 3.7+). */
  readonly removeUncleanFromIsr?: boolean;
  /** "after-session" (Kafka, default) or "immediate" (see the header). */
  readonly reregistration?: "after-session" | "immediate";
}

type Parked = { from: string; request: MetadataFetchRequest; timer: EventHandle };

const RAFT_EPOCH = 1;

export class FakeController implements Actor {
  readonly id: string;
  readonly image = new MetadataImage();
  private readonly log: MetadataLogEntry[] = [];
  private readonly sessionDeadlineUs = new Map<number, number>();
  private readonly incarnations = new Map<number, string>();
  private readonly parked = new Map<number, Parked>();
  private nextParkedId = 1;
  private readonly policy: ControllerPolicy;
  private readonly removeUnclean: boolean;
  /** Records appended after the bootstrap, for assertions. */
  readonly appended: MetadataRecord[] = [];

  constructor(
    private readonly engine: Engine,
    private readonly network: Network,
    private readonly options: FakeControllerOptions,
  ) {
    this.id = String(options.nodeId);
    const profile = versionProfile(options.version);
    this.removeUnclean = options.removeUncleanFromIsr ?? profile.elrAvailable;
    const topicCfg = (topic: string) =>
      resolveTopicConfig(
        options.version,
        options.brokerConfig,
        this.image.topicByName(topic)?.configs ?? {},
      );
    this.policy = {
      elrEnabled: options.elrEnabled ?? false,
      leaderEpochBumpOnIsrShrink: profile.leaderEpochBumpOnIsrShrink,
      minIsrOf: (topic) => configNumber(topicCfg(topic), "min.insync.replicas"),
      uncleanLeaderElectionEnabledOf: (topic) =>
        configBoolean(topicCfg(topic), "unclean.leader.election.enable"),
    };
    for (const entry of options.bootstrap) {
      assert(entry.offset === this.log.length, "bootstrap offsets are contiguous from 0");
      this.log.push(entry);
      if (entry.record.type !== "LeaderChangeMessage") this.image.apply(entry.record);
    }
    engine.register(this);
    network.addNode(this.id, { bandwidthBitsPerSec: 10_000_000_000 });
    // Every registered broker starts with a fresh session.
    for (const id of this.image.sortedBrokerIds()) this.touch(id);
  }

  get logEndOffset(): number {
    return this.log.length;
  }

  /** broker.session.timeout.ms; ZooKeeper-era profiles use their ZooKeeper session instead. */
  private sessionTimeoutUs(): number {
    const cfg = this.options.brokerConfig;
    const name = hasConfig(cfg, "broker.session.timeout.ms")
      ? "broker.session.timeout.ms"
      : "zookeeper.session.timeout.ms";
    return configNumber(cfg, name) * 1000;
  }

  private touch(brokerId: number): void {
    const deadline = this.engine.now + this.sessionTimeoutUs();
    this.sessionDeadlineUs.set(brokerId, deadline);
    this.engine.scheduleAt(deadline, this.id, "fake.session-check", { brokerId });
  }

  /** Appends records (committed at once) and wakes parked metadata fetches. */
  append(records: readonly MetadataRecord[]): void {
    for (const record of records) {
      this.image.apply(record);
      this.log.push({ offset: this.log.length, epoch: RAFT_EPOCH, record });
      this.appended.push(record);
      this.engine.trace.emit("metadata.record", this.id, {
        offset: this.log.length - 1,
        record: record.type,
      });
    }
    if (records.length > 0) {
      for (const [id, p] of [...this.parked]) {
        this.parked.delete(id);
        this.engine.cancel(p.timer);
        this.answerFetch(p.from, p.request);
      }
    }
  }

  handle(event: SimEvent): void {
    switch (event.kind) {
      case "net.message":
        return this.onMessage(event.payload as NetDelivery<ControlMessage>);
      case "net.disconnect":
      case "process.start":
        return;
      case "fake.session-check": {
        const { brokerId } = event.payload as { brokerId: number };
        const deadline = this.sessionDeadlineUs.get(brokerId);
        const reg = this.image.brokers.get(brokerId);
        if (deadline === undefined || this.engine.now < deadline || reg === undefined || reg.fenced)
          return;
        this.engine.trace.emit("broker.fenced", this.id, {
          broker: brokerId,
          reason: "session-timeout",
        });
        this.append(onBrokerFenced(this.image, brokerId, this.policy));
        return;
      }
      case "fake.fetch-expire": {
        const { id } = event.payload as { id: number };
        const p = this.parked.get(id);
        if (p === undefined) return;
        this.parked.delete(id);
        this.answerFetch(p.from, p.request);
        return;
      }
      default:
        throw new Error(`fake controller: unexpected event ${event.kind}`);
    }
  }

  private send(to: string, message: ControlMessage): void {
    this.network.send(this.id, to, message);
  }

  private onMessage(delivery: NetDelivery<ControlMessage>): void {
    const m = delivery.message;
    switch (m.type) {
      case "MetadataFetchRequest":
        return this.onFetch(delivery.from, m);
      case "BrokerRegistrationRequest":
        return this.onRegister(delivery.from, m);
      case "BrokerHeartbeatRequest":
        return this.onHeartbeat(delivery.from, m);
      case "AlterPartitionRequest":
        return this.onAlterPartition(delivery.from, m);
      default:
        return;
    }
  }

  private onFetch(from: string, request: MetadataFetchRequest): void {
    assert(request.fetchOffset <= this.log.length, "a broker's metadata log is a prefix of ours");
    if (request.fetchOffset < this.log.length || request.maxWaitMs <= 0) {
      this.answerFetch(from, request);
      return;
    }
    const id = this.nextParkedId++;
    const timer = this.engine.schedule(request.maxWaitMs * 1000, this.id, "fake.fetch-expire", {
      id,
    });
    this.parked.set(id, { from, request, timer });
  }

  private answerFetch(from: string, request: MetadataFetchRequest): void {
    const entries = this.log.slice(request.fetchOffset, request.fetchOffset + 1000);
    this.send(from, {
      type: "MetadataFetchResponse",
      bytes: HEADER_BYTES + entries.length * 64,
      correlationId: request.correlationId,
      error: "NONE",
      currentLeader: { leaderId: this.options.nodeId, leaderEpoch: RAFT_EPOCH },
      highWatermark: this.log.length,
      entries,
    } satisfies MetadataFetchResponse);
  }

  private hasValidSession(brokerId: number): boolean {
    const deadline = this.sessionDeadlineUs.get(brokerId);
    const reg = this.image.brokers.get(brokerId);
    return deadline !== undefined && this.engine.now < deadline && reg !== undefined && !reg.fenced;
  }

  private onRegister(from: string, request: BrokerRegistrationRequest): void {
    const existing = this.image.brokers.get(request.brokerId);
    let brokerEpoch: number;
    const sameIncarnation = this.incarnations.get(request.brokerId) === request.incarnationId;
    if (
      existing !== undefined &&
      !sameIncarnation &&
      (this.options.reregistration ?? "after-session") === "after-session" &&
      this.hasValidSession(request.brokerId)
    ) {
      this.send(from, {
        type: "BrokerRegistrationResponse",
        bytes: HEADER_BYTES,
        correlationId: request.correlationId,
        error: "DUPLICATE_BROKER_REGISTRATION",
        brokerEpoch: -1,
      } satisfies BrokerRegistrationResponse);
      return;
    }
    if (existing !== undefined && sameIncarnation) {
      brokerEpoch = existing.brokerEpoch; // the same process asking again: idempotent
    } else {
      brokerEpoch = this.log.length;
      const unclean =
        existing !== undefined && request.previousBrokerEpoch !== existing.brokerEpoch;
      this.incarnations.set(request.brokerId, request.incarnationId);
      this.engine.trace.emit("broker.registered", this.id, {
        broker: request.brokerId,
        brokerEpoch,
        unclean,
      });
      this.append([
        {
          type: "RegisterBrokerRecord",
          brokerId: request.brokerId,
          brokerEpoch,
          fenced: true,
          uncleanShutdown: unclean,
        },
      ]);
      if (unclean && this.removeUnclean) {
        this.append(onBrokerUncleanShutdown(this.image, request.brokerId, this.policy));
      }
    }
    this.touch(request.brokerId);
    this.send(from, {
      type: "BrokerRegistrationResponse",
      bytes: HEADER_BYTES,
      correlationId: request.correlationId,
      error: "NONE",
      brokerEpoch,
    } satisfies BrokerRegistrationResponse);
  }

  private onHeartbeat(from: string, request: BrokerHeartbeatRequest): void {
    const reg = this.image.brokers.get(request.brokerId);
    const reply = (fields: Partial<BrokerHeartbeatResponse>) =>
      this.send(from, {
        type: "BrokerHeartbeatResponse",
        bytes: HEADER_BYTES,
        correlationId: request.correlationId,
        error: "NONE",
        isCaughtUp: false,
        isFenced: true,
        shouldShutDown: false,
        ...fields,
      } satisfies BrokerHeartbeatResponse);
    if (reg === undefined || reg.brokerEpoch !== request.brokerEpoch) {
      reply({ error: "STALE_BROKER_EPOCH" });
      return;
    }
    this.touch(request.brokerId);
    const caughtUp = request.currentMetadataOffset >= reg.brokerEpoch;
    if (request.offlineLogDirs.length > 0 && !reg.fenced) {
      this.engine.trace.emit("broker.fenced", this.id, {
        broker: request.brokerId,
        reason: "offline-log-dir",
      });
      this.append(onBrokerFenced(this.image, request.brokerId, this.policy));
    } else if (
      reg.fenced &&
      !request.wantFence &&
      !request.wantShutDown &&
      caughtUp &&
      request.offlineLogDirs.length === 0
    ) {
      this.engine.trace.emit("broker.unfenced", this.id, { broker: request.brokerId });
      this.append(onBrokerUnfenced(this.image, request.brokerId, this.policy));
    }
    let shouldShutDown = false;
    if (request.wantShutDown) {
      this.append(onControlledShutdown(this.image, request.brokerId, this.policy));
      let leads = false;
      this.image.forEachPartition((_t, _p, state) => {
        if (state.leader === request.brokerId) leads = true;
      });
      shouldShutDown = !leads && request.currentMetadataOffset >= this.log.length - 1;
      if (shouldShutDown) {
        // Done: the broker is fenced and its session ends (it will not heartbeat again).
        if (!this.image.brokers.get(request.brokerId)!.fenced) {
          this.append(onBrokerFenced(this.image, request.brokerId, this.policy));
        }
        this.sessionDeadlineUs.delete(request.brokerId);
      }
    }
    const after = this.image.brokers.get(request.brokerId)!;
    reply({ isCaughtUp: caughtUp, isFenced: after.fenced, shouldShutDown });
  }

  private onAlterPartition(from: string, request: AlterPartitionRequest): void {
    const partitions: AlterPartitionResponse["partitions"][number][] = [];
    for (const item of request.partitions) {
      const result = alterPartition(
        this.image,
        {
          brokerId: request.brokerId,
          brokerEpoch: request.brokerEpoch,
          topicName: item.topic,
          partitionId: item.partition,
          leaderEpoch: item.leaderEpoch,
          partitionEpoch: item.partitionEpoch,
          newIsrWithEpochs: item.newIsr.map((id) => ({ brokerId: id, brokerEpoch: -1 })),
          leaderRecoveryState: item.leaderRecoveryState,
        },
        this.policy,
      );
      if (result.record !== undefined) this.append([result.record]);
      const state = this.image.partition(item.topic, item.partition);
      partitions.push({
        topic: item.topic,
        partition: item.partition,
        error: result.error,
        leaderId: result.leaderId ?? state?.leader ?? -1,
        leaderEpoch: result.leaderEpoch ?? state?.leaderEpoch ?? -1,
        partitionEpoch: result.partitionEpoch ?? state?.partitionEpoch ?? -1,
        isr: result.isr?.slice() ?? state?.isr.slice() ?? [],
        leaderRecoveryState:
          result.leaderRecoveryState ?? state?.leaderRecoveryState ?? "RECOVERED",
      });
    }
    this.send(from, {
      type: "AlterPartitionResponse",
      bytes: HEADER_BYTES + partitions.length * 32,
      correlationId: request.correlationId,
      error: "NONE",
      partitions,
    } satisfies AlterPartitionResponse);
  }
}
