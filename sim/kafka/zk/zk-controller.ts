/**
 * Kafka's ZooKeeper-mode controller (KafkaController), hosted by every broker and active in the
 * one whose session owns the ephemeral `/controller` znode.
 *
 * Models: election (create `/controller`; the winner bumps `/controller_epoch` with a conditional
 * setData and every write after that is a multi that checks that znode's version, so a deposed
 * controller's writes fail); loading the cluster from ZooKeeper (`/brokers/ids`, topic
 * assignments, `/brokers/topics/<t>/partitions/<p>/state` with leader, leader_epoch, isr,
 * controller_epoch, and the znode version as the partition epoch); watches on `/brokers/ids`
 * (a broker whose znode goes, i.e. whose session ended, is removed from every ISR and new leaders
 * are elected where it led: the first live ISR replica in assignment order, else, when the topic's
 * unclean.leader.election.enable allows, the first live replica; a returning broker gets the state
 * of its partitions and leaderless partitions are elected again) and `/isr_change_notification`
 * (leaders before 2.7 write their ISR themselves and leave a notification; the controller reads
 * the new states and sends UpdateMetadata); AlterIsr from leaders (2.7+, the AlterPartition
 * message); ControlledShutdown (leadership moves away and the broker leaves the ISRs before it
 * stops); the preferred-leader balancer (auto.leader.rebalance.enable, leader.imbalance.*);
 * CreateTopics and CreatePartitions (AdminUtils placement), DeleteTopics, ElectLeaders,
 * AlterPartitionReassignments and topic IncrementalAlterConfigs from the admin client. Every change is written to ZooKeeper first
 * (conditional on the state znode's version); only then does the controller send LeaderAndIsr to
 * the replicas concerned and UpdateMetadata to every live broker.
 *
 * Simplifies: the election and ISR rules are KRaft's pure functions (metadata/partition-change.ts)
 * with the ZooKeeper controller's leader-epoch bump on every controller-made ISR change; topic
 * deletion is immediate (no StopReplica round, no /admin/delete_topics); reassignment follows the
 * KRaft steps (the ISR change that completes it is seen through the controller's own AlterIsr or
 * ISR notifications); the controller's view is a MetadataImage (brokers registered with fenced =
 * not alive, broker epoch = czxid of `/brokers/ids/<id>`, KIP-380); a failed conditional write
 * reloads the partitions from ZooKeeper and retries the operation. Requests to a broker go one at
 * a time and are sent again after controller.socket.timeout.ms or a broken connection until
 * answered (ControllerChannelManager), with no cap on their size.
 *
 * Faults: its broker's crash (a new controller is elected once the session expires), loss of the
 * ZooKeeper session (it resigns), a zombie controller (fenced by the epoch).
 */
import { assert } from "../../engine/assert.ts";
import type { EventHandle, SimEvent } from "../../engine/engine.ts";
import type { RngStream } from "../../engine/rng.ts";
import type { TraceFields } from "../../engine/trace.ts";
import type { NetMessage } from "../../infra/network.ts";
import { configBoolean, configNumber, type ResolvedConfig, resolveTopicConfig } from "../config.ts";
import {
  deriveTopicId,
  MetadataImage,
  type MetadataRecord,
  NO_LEADER,
  type PartitionRecord,
  type TopicImage,
} from "../metadata/image.ts";
import {
  alterPartition,
  alterPartitionReassignment,
  buildPartitionChange,
  type ControllerPolicy,
  electLeaderOnDemand,
  onBrokerFenced,
  onBrokerUnfenced,
  onControlledShutdown,
} from "../metadata/partition-change.ts";
import { assignReplicasToBrokers } from "../metadata/placement.ts";
import { HEADER_BYTES } from "../protocol.ts";
import type {
  AdminRequest,
  AdminRequestMessage,
  AdminResponseMessage,
  AlterPartitionRequest,
  AlterPartitionResponse,
  ControlError,
} from "../protocol-control.ts";
import type {
  ControlledShutdownRequest,
  LeaderAndIsrRequest,
  ZkOpResult,
  ZkWatchEventType,
  ZkWriteOp,
} from "../protocol-zk.ts";
import type { KafkaVersion } from "../version.ts";
import type { ZkClient } from "./zk-client.ts";

export const ZK_CONTROLLER_TIMER_PREFIX = "zkctl.";
const MAX_WRITE_ATTEMPTS = 5;

export interface ZkControllerHost {
  readonly brokerId: number;
  readonly version: KafkaVersion;
  readonly config: ResolvedConfig;
  readonly zk: ZkClient;
  readonly placementRng: RngStream;
  now(): number;
  send(to: string, message: NetMessage): void;
  timer<P>(delayUs: number, kind: string, payload: P): EventHandle;
  emit(type: string, fields: TraceFields): void;
  /** The controller this broker knows changed (its id, -1 when none). */
  onControllerChange(controllerId: number): void;
  nextCorrelationId(): number;
}

export interface ZkControllerSnapshot {
  readonly brokerId: number;
  readonly active: boolean;
  readonly controllerEpoch: number;
  readonly activeControllerId: number;
  readonly image: MetadataImage | undefined;
}

// ---------------------------------------------------------------- znode paths and data

export const ZK_PATHS = {
  controller: "/controller",
  controllerEpoch: "/controller_epoch",
  brokers: "/brokers",
  brokerIds: "/brokers/ids",
  topics: "/brokers/topics",
  isrChanges: "/isr_change_notification",
  config: "/config",
  topicConfigs: "/config/topics",
  broker: (id: number) => `/brokers/ids/${id}`,
  topic: (t: string) => `/brokers/topics/${t}`,
  partitions: (t: string) => `/brokers/topics/${t}/partitions`,
  partition: (t: string, p: number) => `/brokers/topics/${t}/partitions/${p}`,
  state: (t: string, p: number) => `/brokers/topics/${t}/partitions/${p}/state`,
  topicConfig: (t: string) => `/config/topics/${t}`,
};

export interface PartitionStateZnode {
  readonly controller_epoch: number;
  readonly leader: number;
  readonly leader_epoch: number;
  readonly isr: readonly number[];
  readonly version: 1;
}

export function partitionStateData(
  leader: number,
  leaderEpoch: number,
  isr: readonly number[],
  controllerEpoch: number,
): string {
  return JSON.stringify({
    controller_epoch: controllerEpoch,
    leader,
    leader_epoch: leaderEpoch,
    isr,
    version: 1,
  } satisfies PartitionStateZnode);
}

export function topicZnodeData(topic: TopicImage): string {
  const partitions: Record<string, number[]> = {};
  topic.partitions.forEach((p, i) => {
    partitions[String(i)] = p.replicas.slice();
  });
  const adding: Record<string, number[]> = {};
  const removing: Record<string, number[]> = {};
  topic.partitions.forEach((p, i) => {
    if (p.addingReplicas.length > 0) adding[String(i)] = p.addingReplicas.slice();
    if (p.removingReplicas.length > 0) removing[String(i)] = p.removingReplicas.slice();
  });
  return JSON.stringify({
    version: 3,
    topic_id: topic.topicId,
    partitions,
    adding_replicas: adding,
    removing_replicas: removing,
  });
}

interface TopicZnode {
  readonly topic_id: string;
  readonly partitions: Record<string, number[]>;
  readonly adding_replicas?: Record<string, number[]>;
  readonly removing_replicas?: Record<string, number[]>;
}

/** The ZK state of one partition as the full record the images apply. */
function partitionRecordFrom(
  topicId: string,
  partitionId: number,
  replicas: readonly number[],
  state: PartitionStateZnode,
  zkVersion: number,
  adding: readonly number[],
  removing: readonly number[],
): PartitionRecord {
  return {
    type: "PartitionRecord",
    topicId,
    partitionId,
    replicas: replicas.slice(),
    isr: state.isr.slice(),
    removingReplicas: removing.slice(),
    addingReplicas: adding.slice(),
    leader: state.leader,
    leaderRecoveryState: "RECOVERED",
    leaderEpoch: state.leader_epoch,
    partitionEpoch: zkVersion,
  };
}

type Task = (done: () => void) => void;

type ControllerTimer =
  | SimEvent<"zkctl.rebalance", { readonly term: number }>
  | SimEvent<
      "zkctl.channel",
      { readonly term: number; readonly broker: number; readonly correlationId: number }
    >;

/** ControllerChannelManager's RequestSendThread backoff after a failed send. */
const CHANNEL_RETRY_BACKOFF_US = 100_000;

/** One broker's queue of controller requests: one in flight, resent until answered. */
interface Channel {
  readonly queue: LeaderAndIsrRequest[];
  inFlight: LeaderAndIsrRequest | undefined;
}

export class ZkController {
  private activeValue = false;
  private epoch = 0;
  private epochZkVersion = -1;
  private image: MetadataImage | undefined;
  private activeControllerId = -1;
  private term = 0;
  private readonly queue: Task[] = [];
  private busy = false;
  private checking = false;
  private readonly channels = new Map<number, Channel>();

  constructor(private readonly host: ZkControllerHost) {}

  get isActive(): boolean {
    return this.activeValue;
  }

  get controllerId(): number {
    return this.activeControllerId;
  }

  get controllerEpoch(): number {
    return this.epoch;
  }

  /** Steady state at t = 0: `controllerId` won the election in epoch 1. */
  bootstrap(
    controllerId: number,
    epoch: number,
    epochZkVersion: number,
    image: MetadataImage,
  ): void {
    this.reset();
    this.setControllerId(controllerId);
    this.host.zk.request({ op: "exists", path: ZK_PATHS.controller, watch: true }, () => {});
    if (controllerId !== this.host.brokerId) return;
    this.activeValue = true;
    this.epoch = epoch;
    this.epochZkVersion = epochZkVersion;
    this.image = image.clone();
    this.armRebalance();
    // Watches of the running controller (set by the bootstrap's first reads).
    this.host.zk.request({ op: "getChildren", path: ZK_PATHS.brokerIds, watch: true }, () => {});
    this.host.zk.request({ op: "getChildren", path: ZK_PATHS.isrChanges, watch: true }, () => {});
  }

  /** The process stopped or restarts: all in memory is gone. */
  reset(): void {
    this.activeValue = false;
    this.image = undefined;
    this.channels.clear();
    this.term++;
    this.queue.length = 0;
    this.busy = false;
    this.checking = false;
    this.activeControllerId = -1;
  }

  snapshot(): ZkControllerSnapshot {
    return {
      brokerId: this.host.brokerId,
      active: this.activeValue,
      controllerEpoch: this.epoch,
      activeControllerId: this.activeControllerId,
      image: this.image,
    };
  }

  private setControllerId(id: number): void {
    if (id === this.activeControllerId) return;
    this.activeControllerId = id;
    this.host.onControllerChange(id);
  }

  // ---------------------------------------------------------------- session and election

  /** A new session (first start or after expiry): find or become the controller. */
  onNewSession(): void {
    this.checkController();
  }

  onSessionExpired(): void {
    this.resign("session expired");
  }

  onWatch(path: string, _event: ZkWatchEventType): void {
    if (path === ZK_PATHS.controller) return this.checkController();
    if (!this.activeValue) return;
    if (path === ZK_PATHS.brokerIds) this.enqueue((done) => this.onBrokerChange(done));
    else if (path === ZK_PATHS.isrChanges) this.enqueue((done) => this.onIsrChange(done));
  }

  private checkController(): void {
    if (this.checking) return;
    this.checking = true;
    this.host.zk.request({ op: "getData", path: ZK_PATHS.controller, watch: true }, (r) => {
      this.checking = false;
      if (r.error === "OK") {
        const id = (JSON.parse(r.data ?? "{}") as { brokerid: number }).brokerid;
        if (this.activeValue && id !== this.host.brokerId) this.resign("another controller");
        this.setControllerId(id);
        return;
      }
      if (r.error === "NONODE") {
        if (this.activeValue) this.resign("controller znode gone");
        this.elect();
      }
    });
  }

  private elect(): void {
    const me = this.host.brokerId;
    this.host.zk.request(
      {
        op: "create",
        path: ZK_PATHS.controller,
        data: JSON.stringify({ version: 1, brokerid: me, timestamp: String(this.host.now()) }),
        ephemeral: true,
      },
      (r) => {
        if (r.error !== "OK") return this.checkController();
        this.host.zk.request(
          { op: "getData", path: ZK_PATHS.controllerEpoch, watch: false },
          (epochRead) => {
            if (epochRead.error !== "OK" || epochRead.stat === undefined) return;
            const next = Number(epochRead.data) + 1;
            this.host.zk.request(
              {
                op: "setData",
                path: ZK_PATHS.controllerEpoch,
                data: String(next),
                version: epochRead.stat.version,
              },
              (w) => {
                if (w.error !== "OK" || w.stat === undefined) {
                  // Another broker bumped the epoch first (KAFKA-6082's ControllerMovedException).
                  this.host.zk.request(
                    { op: "delete", path: ZK_PATHS.controller, version: -1 },
                    () => this.checkController(),
                  );
                  return;
                }
                this.epoch = next;
                this.epochZkVersion = w.stat.version;
                this.term++;
                this.activeValue = true;
                this.setControllerId(me);
                this.host.emit("controller.elected", { controllerEpoch: next });
                this.enqueue((done) => this.onFailover(done));
              },
            );
          },
        );
      },
    );
  }

  private resign(reason: string): void {
    if (!this.activeValue) return;
    this.host.emit("controller.resigned", { controllerEpoch: this.epoch, reason });
    this.activeValue = false;
    this.image = undefined;
    this.channels.clear();
    this.term++;
    this.queue.length = 0;
    this.busy = false;
    this.setControllerId(-1);
  }

  // ---------------------------------------------------------------- the event queue

  private enqueue(task: Task): void {
    this.queue.push(task);
    this.drain();
  }

  private drain(): void {
    if (this.busy || !this.activeValue) return;
    const task = this.queue.shift();
    if (task === undefined) return;
    this.busy = true;
    const term = this.term;
    task(() => {
      if (term !== this.term) return;
      this.busy = false;
      this.drain();
    });
  }

  // ---------------------------------------------------------------- loading the cluster

  /** onControllerFailover: read everything, tell every broker, elect where nobody leads. */
  private onFailover(done: () => void): void {
    const term = this.term;
    this.loadImage((image) => {
      if (term !== this.term) return;
      this.image = image;
      this.host.zk.request({ op: "getChildren", path: ZK_PATHS.isrChanges, watch: true }, () => {});
      const all: string[] = [];
      image.forEachPartition((t, p) => all.push(`${t.name}\u0000${p}`));
      this.sendRequests(all, this.liveBrokers(), true);
      // Partitions led by brokers that are gone, or with no leader: elect again.
      const records: MetadataRecord[] = [];
      const scratch = image.clone();
      for (const id of scratch.sortedBrokerIds()) {
        const b = scratch.brokers.get(id)!;
        if (!b.fenced) continue;
        const recs = onBrokerFenced(scratch, id, this.policy(true));
        for (const r of recs) if (r.type !== "BrokerRegistrationChangeRecord") scratch.apply(r);
        for (const r of recs) if (r.type !== "BrokerRegistrationChangeRecord") records.push(r);
      }
      for (const id of scratch.sortedBrokerIds()) {
        const b = scratch.brokers.get(id)!;
        if (b.fenced) continue;
        const recs = onBrokerUnfenced(scratch, id, this.policy(true)).filter(
          (r) => r.type !== "BrokerRegistrationChangeRecord",
        );
        for (const r of recs) scratch.apply(r);
        records.push(...recs);
      }
      this.armRebalance();
      if (records.length === 0) return done();
      this.write(
        () => records,
        "failover",
        () => done(),
      );
    });
  }

  private loadImage(then: (image: MetadataImage) => void): void {
    const zk = this.host.zk;
    const image = new MetadataImage();
    zk.request({ op: "getChildren", path: ZK_PATHS.brokerIds, watch: true }, (ids) => {
      const live = (ids.children ?? []).map(Number).sort((a, b) => a - b);
      zk.request({ op: "getDataMany", paths: live.map((id) => ZK_PATHS.broker(id)) }, (regs) => {
        live.forEach((id, i) => {
          const reg = regs.many?.[i];
          if (reg === null || reg === undefined) return;
          const rack = (JSON.parse(reg.data) as { rack?: string | null }).rack;
          image.apply({
            type: "RegisterBrokerRecord",
            brokerId: id,
            brokerEpoch: reg.stat.czxid,
            fenced: false,
            ...(rack === undefined || rack === null ? {} : { rack }),
          });
        });
        zk.request({ op: "getChildren", path: ZK_PATHS.topics, watch: true }, (topics) => {
          const names = topics.children ?? [];
          zk.request(
            {
              op: "getDataMany",
              paths: [
                ...names.map((t) => ZK_PATHS.topic(t)),
                ...names.map((t) => ZK_PATHS.topicConfig(t)),
              ],
            },
            (tdata) => {
              const assignments = names.map((_, i) => {
                const d = tdata.many?.[i];
                return d === null || d === undefined
                  ? undefined
                  : (JSON.parse(d.data) as TopicZnode);
              });
              const statePaths: string[] = [];
              names.forEach((t, i) => {
                const a = assignments[i];
                if (a === undefined) return;
                for (let p = 0; p < Object.keys(a.partitions).length; p++)
                  statePaths.push(ZK_PATHS.state(t, p));
              });
              zk.request({ op: "getDataMany", paths: statePaths }, (states) => {
                let k = 0;
                names.forEach((t, i) => {
                  const a = assignments[i];
                  if (a === undefined) return;
                  // Replicas named in assignments that have no live znode: known but dead.
                  for (const replicas of Object.values(a.partitions)) {
                    for (const id of replicas) {
                      if (!image.brokers.has(id)) {
                        image.apply({
                          type: "RegisterBrokerRecord",
                          brokerId: id,
                          brokerEpoch: -1,
                          fenced: true,
                        });
                      }
                    }
                  }
                  image.apply({ type: "TopicRecord", name: t, topicId: a.topic_id });
                  const cfg = tdata.many?.[names.length + i];
                  if (cfg !== null && cfg !== undefined) {
                    const entries = (JSON.parse(cfg.data) as { config: Record<string, string> })
                      .config;
                    for (const name of Object.keys(entries).sort()) {
                      image.apply({
                        type: "ConfigRecord",
                        resourceType: "TOPIC",
                        resourceName: t,
                        name,
                        value: entries[name]!,
                      });
                    }
                  }
                  const count = Object.keys(a.partitions).length;
                  for (let p = 0; p < count; p++) {
                    const s = states.many?.[k++];
                    if (s === null || s === undefined) continue;
                    image.apply(
                      partitionRecordFrom(
                        a.topic_id,
                        p,
                        a.partitions[String(p)] ?? [],
                        JSON.parse(s.data) as PartitionStateZnode,
                        s.stat.version,
                        a.adding_replicas?.[String(p)] ?? [],
                        a.removing_replicas?.[String(p)] ?? [],
                      ),
                    );
                  }
                });
                then(image);
              });
            },
          );
        });
      });
    });
  }

  private liveBrokers(): number[] {
    const image = this.image;
    if (image === undefined) return [];
    return image.sortedBrokerIds().filter((id) => !image.brokers.get(id)!.fenced);
  }

  // ---------------------------------------------------------------- policy

  private topicConfig(topic: TopicImage): ResolvedConfig {
    return resolveTopicConfig(this.host.version, this.host.config, topic.configs);
  }

  /** `controllerChange`: the ZooKeeper controller bumps the leader epoch on every change it makes. */
  private policy(controllerChange: boolean): ControllerPolicy {
    const image = this.image;
    assert(image !== undefined, "policy needs the controller's image");
    return {
      elrEnabled: false,
      leaderEpochBumpOnIsrShrink: controllerChange,
      minIsrOf: (name) => {
        const topic = image.topicByName(name)!;
        const minIsr = configNumber(this.topicConfig(topic), "min.insync.replicas");
        return Math.min(minIsr, topic.partitions[0]?.replicas.length ?? minIsr);
      },
      uncleanLeaderElectionEnabledOf: (name) =>
        configBoolean(this.topicConfig(image.topicByName(name)!), "unclean.leader.election.enable"),
    };
  }

  // ---------------------------------------------------------------- writing to ZooKeeper

  /**
   * Builds records against the current view, writes their effect to ZooKeeper in one multi that
   * checks the controller epoch's version, then applies them and tells the brokers. On a stale
   * partition version the partitions are read again and the records rebuilt.
   */
  private write(
    build: () => MetadataRecord[],
    why: string,
    then: (ok: boolean, records: MetadataRecord[]) => void,
    attempt = 1,
  ): void {
    const image = this.image;
    if (image === undefined) return;
    const records = build();
    if (records.length === 0) return then(true, records);
    const term = this.term;
    const scratch = image.clone();
    const touched: string[] = [];
    const newTopics = new Set<string>();
    const removed: Array<{ name: string; partitions: number; topicId: string }> = [];
    const configTopics = new Set<string>();
    const assignmentChanged = new Set<string>();
    const oldVersion = new Map<string, number>();
    for (const r of records) {
      switch (r.type) {
        case "TopicRecord":
          newTopics.add(r.name);
          break;
        case "PartitionRecord":
        case "PartitionChangeRecord": {
          const t = scratch.topics.get(r.topicId)!;
          const key = `${t.name}\u0000${r.partitionId}`;
          const before = t.partitions[r.partitionId];
          if (before !== undefined && !oldVersion.has(key))
            oldVersion.set(key, before.partitionEpoch);
          if (!touched.includes(key)) touched.push(key);
          if (
            r.type === "PartitionRecord" ||
            r.replicas !== undefined ||
            r.addingReplicas !== undefined
          )
            assignmentChanged.add(t.name);
          break;
        }
        case "RemoveTopicRecord": {
          const t = scratch.topics.get(r.topicId)!;
          removed.push({ name: t.name, partitions: t.partitions.length, topicId: r.topicId });
          break;
        }
        case "ConfigRecord":
          if (r.resourceType === "TOPIC") configTopics.add(r.resourceName);
          break;
        default:
          break;
      }
      scratch.apply(r);
    }
    const ops: ZkWriteOp[] = [
      { op: "check", path: ZK_PATHS.controllerEpoch, version: this.epochZkVersion },
    ];
    for (const name of newTopics) {
      const t = scratch.topicByName(name)!;
      ops.push({
        op: "create",
        path: ZK_PATHS.topic(name),
        data: topicZnodeData(t),
        ephemeral: false,
      });
      ops.push({ op: "create", path: ZK_PATHS.partitions(name), data: "", ephemeral: false });
    }
    for (const name of configTopics) {
      const data = JSON.stringify({ version: 1, config: scratch.topicByName(name)?.configs ?? {} });
      if (newTopics.has(name))
        ops.push({ op: "create", path: ZK_PATHS.topicConfig(name), data, ephemeral: false });
      else ops.push({ op: "setData", path: ZK_PATHS.topicConfig(name), data, version: -1 });
    }
    for (const name of newTopics) {
      if (!configTopics.has(name)) {
        const data = JSON.stringify({ version: 1, config: {} });
        ops.push({ op: "create", path: ZK_PATHS.topicConfig(name), data, ephemeral: false });
      }
    }
    for (const name of assignmentChanged) {
      if (newTopics.has(name)) continue;
      const t = scratch.topicByName(name);
      if (t !== undefined)
        ops.push({
          op: "setData",
          path: ZK_PATHS.topic(name),
          data: topicZnodeData(t),
          version: -1,
        });
    }
    const removedNames = new Set(removed.map((r) => r.name));
    for (const key of touched) {
      const [name, pText] = key.split("\u0000") as [string, string];
      if (removedNames.has(name)) continue;
      const p = Number(pText);
      const s = scratch.partition(name, p)!;
      const data = partitionStateData(s.leader, s.leaderEpoch, s.isr, this.epoch);
      const old = oldVersion.get(key);
      if (old === undefined || newTopics.has(name)) {
        ops.push({ op: "create", path: ZK_PATHS.partition(name, p), data: "", ephemeral: false });
        ops.push({ op: "create", path: ZK_PATHS.state(name, p), data, ephemeral: false });
      } else {
        ops.push({ op: "setData", path: ZK_PATHS.state(name, p), data, version: old });
      }
    }
    for (const r of removed) {
      for (let p = 0; p < r.partitions; p++) {
        ops.push({ op: "delete", path: ZK_PATHS.state(r.name, p), version: -1 });
        ops.push({ op: "delete", path: ZK_PATHS.partition(r.name, p), version: -1 });
      }
      ops.push({ op: "delete", path: ZK_PATHS.partitions(r.name), version: -1 });
      ops.push({ op: "delete", path: ZK_PATHS.topic(r.name), version: -1 });
      ops.push({ op: "delete", path: ZK_PATHS.topicConfig(r.name), version: -1 });
    }
    const commit = () => {
      for (const r of records) this.traceRecord(r, image);
      const touchedLive = touched.filter((k) => !removedNames.has(k.split("\u0000")[0]!));
      // One write per partition: its partition epoch is the state znode's new version, however
      // many records touched it (each record alone would bump it once more).
      for (const key of touchedLive) {
        const [name, pText] = key.split("\u0000") as [string, string];
        const state = image.partition(name, Number(pText));
        if (state === undefined) continue;
        const old = oldVersion.get(key);
        state.partitionEpoch = old === undefined || newTopics.has(name) ? 0 : old + 1;
        this.tracePartition(
          name,
          Number(pText),
          old === undefined ? "PartitionRecord" : "PartitionChangeRecord",
        );
      }
      this.sendRequests(touchedLive, this.liveBrokers(), false, removed, newTopics, configTopics);
      then(true, records);
    };
    if (ops.length === 1) {
      // Only broker liveness changed: nothing of it lives in ZooKeeper's partition state.
      return commit();
    }
    this.host.zk.request({ op: "multi", ops }, (r) => {
      if (term !== this.term) return;
      if (r.error === "OK") return commit();
      const first = r.results?.find((x) => x.error !== "OK");
      if (first?.path === ZK_PATHS.controllerEpoch || r.error === "SESSIONEXPIRED") {
        this.resign(`write failed (${why}): ${r.error}`);
        this.checkController();
        return;
      }
      this.host.emit("controller.write.retry", { why, error: r.error, path: first?.path ?? "" });
      if (attempt >= MAX_WRITE_ATTEMPTS) return then(false, []);
      // Another writer (a leader's ISR update) moved a state znode: read the states again.
      this.reloadPartitions(touched, () => this.write(build, why, then, attempt + 1));
    });
  }

  /** Reads the state znodes of `keys` ("topic\0partition") into the view. */
  private reloadPartitions(keys: readonly string[], then: () => void): void {
    const image = this.image;
    if (image === undefined) return;
    const present = keys.filter((k) => {
      const [name, p] = k.split("\u0000") as [string, string];
      return image.partition(name, Number(p)) !== undefined;
    });
    const term = this.term;
    this.host.zk.request(
      {
        op: "getDataMany",
        paths: present.map((k) => {
          const [name, p] = k.split("\u0000") as [string, string];
          return ZK_PATHS.state(name, Number(p));
        }),
      },
      (r: ZkOpResult) => {
        if (term !== this.term || this.image === undefined) return;
        present.forEach((k, i) => {
          const s = r.many?.[i];
          if (s === null || s === undefined) return;
          const [name, pText] = k.split("\u0000") as [string, string];
          const topic = this.image!.topicByName(name)!;
          const p = Number(pText);
          const cur = topic.partitions[p]!;
          this.image!.apply(
            partitionRecordFrom(
              topic.topicId,
              p,
              cur.replicas,
              JSON.parse(s.data) as PartitionStateZnode,
              s.stat.version,
              cur.addingReplicas,
              cur.removingReplicas,
            ),
          );
        });
        then();
      },
    );
  }

  /** A partition's state as written (the checkers and the viz read metadata.record). */
  private tracePartition(
    topicName: string,
    partition: number,
    record: "PartitionRecord" | "PartitionChangeRecord",
  ): void {
    const s = this.image?.partition(topicName, partition);
    if (s === undefined) return;
    this.host.emit("metadata.record", {
      offset: -1,
      record,
      topic: topicName,
      partition,
      leader: s.leader,
      leaderEpoch: s.leaderEpoch,
      partitionEpoch: s.partitionEpoch,
      replicas: s.replicas.slice(),
      isr: s.isr.slice(),
      elr: [],
      leaderRecoveryState: s.leaderRecoveryState,
    });
  }

  /** Applies a written record to the view and traces it (the checkers read metadata.record). */
  private traceRecord(r: MetadataRecord, image: MetadataImage): void {
    const removedName =
      r.type === "RemoveTopicRecord" ? (image.topics.get(r.topicId)?.name ?? "") : "";
    image.apply(r);
    const emit = this.host.emit;
    switch (r.type) {
      case "PartitionRecord":
      case "PartitionChangeRecord":
        // Traced once per partition and write (tracePartition).
        return;
      case "TopicRecord":
        emit("metadata.record", { offset: -1, record: r.type, topic: r.name, topicId: r.topicId });
        return;
      case "RemoveTopicRecord":
        emit("metadata.record", {
          offset: -1,
          record: r.type,
          topic: removedName,
          topicId: r.topicId,
        });
        return;
      case "ConfigRecord":
        emit("metadata.record", {
          offset: -1,
          record: r.type,
          resourceType: r.resourceType,
          resourceName: r.resourceName,
          name: r.name,
          value: r.value,
        });
        return;
      case "RegisterBrokerRecord":
        emit("broker.registered", {
          broker: r.brokerId,
          brokerEpoch: r.brokerEpoch,
          unclean: false,
        });
        if (r.fenced === false) emit("broker.unfenced", { broker: r.brokerId });
        return;
      case "BrokerRegistrationChangeRecord":
        if (r.fenced === true)
          emit("broker.fenced", { broker: r.brokerId, reason: "zk-session-expired" });
        return;
      default:
        return;
    }
  }

  // ---------------------------------------------------------------- requests to brokers

  /**
   * LeaderAndIsr to the replicas of `keys`, UpdateMetadata to `to` (every live broker). `full`:
   * every broker gets every partition (after a failover, or for a returning broker).
   */
  private sendRequests(
    keys: readonly string[],
    to: readonly number[],
    full: boolean,
    removed: ReadonlyArray<{ name: string; partitions: number; topicId: string }> = [],
    newTopics: ReadonlySet<string> = new Set(),
    configTopics: ReadonlySet<string> = new Set(),
  ): void {
    const image = this.image;
    if (image === undefined) return;
    const brokerRecords: MetadataRecord[] = image.sortedBrokerIds().map((id) => {
      const b = image.brokers.get(id)!;
      return {
        type: "RegisterBrokerRecord",
        brokerId: id,
        brokerEpoch: b.brokerEpoch,
        fenced: b.fenced,
        ...(b.inControlledShutdown ? { inControlledShutdown: true } : {}),
        ...(b.rack === undefined ? {} : { rack: b.rack }),
      };
    });
    const topicRecords = (names: Iterable<string>): MetadataRecord[] => {
      const out: MetadataRecord[] = [];
      for (const name of names) {
        const t = image.topicByName(name);
        if (t === undefined) continue;
        out.push({ type: "TopicRecord", name, topicId: t.topicId });
        for (const c of Object.keys(t.configs).sort())
          out.push({
            type: "ConfigRecord",
            resourceType: "TOPIC",
            resourceName: name,
            name: c,
            value: t.configs[c]!,
          });
      }
      return out;
    };
    const partitionRecord = (
      key: string,
    ): { record: PartitionRecord; replicas: readonly number[] } | undefined => {
      const [name, pText] = key.split("\u0000") as [string, string];
      const t = image.topicByName(name);
      const s = t?.partitions[Number(pText)];
      if (t === undefined || s === undefined) return undefined;
      return {
        replicas: s.replicas,
        record: {
          type: "PartitionRecord",
          topicId: t.topicId,
          partitionId: Number(pText),
          replicas: s.replicas.slice(),
          isr: s.isr.slice(),
          removingReplicas: s.removingReplicas.slice(),
          addingReplicas: s.addingReplicas.slice(),
          leader: s.leader,
          leaderRecoveryState: s.leaderRecoveryState,
          leaderEpoch: s.leaderEpoch,
          partitionEpoch: s.partitionEpoch,
        },
      };
    };
    const parts = keys.map(partitionRecord).filter((x) => x !== undefined);
    const allTopicNames = full
      ? [...image.topics.values()].map((t) => t.name)
      : [
          ...new Set([
            ...newTopics,
            ...configTopics,
            ...parts.map((p) => image.topics.get(p.record.topicId)!.name),
          ]),
        ];
    const topics = topicRecords(allTopicNames);
    const removals: MetadataRecord[] = removed.map((r) => ({
      type: "RemoveTopicRecord",
      topicId: r.topicId,
    }));
    for (const id of to) {
      const mine = parts.filter((p) => p.replicas.includes(id)).map((p) => p.record);
      const b = image.brokers.get(id)!;
      if (mine.length > 0) {
        this.sendTo(id, "LeaderAndIsrRequest", b.brokerEpoch, [
          ...brokerRecords,
          ...topics,
          ...mine,
        ]);
      }
      this.sendTo(id, "UpdateMetadataRequest", b.brokerEpoch, [
        ...brokerRecords,
        ...topics,
        ...parts.map((p) => p.record),
        ...removals,
      ]);
    }
  }

  private sendTo(
    id: number,
    type: LeaderAndIsrRequest["type"],
    brokerEpoch: number,
    records: MetadataRecord[],
  ): void {
    let channel = this.channels.get(id);
    if (channel === undefined) {
      channel = { queue: [], inFlight: undefined };
      this.channels.set(id, channel);
    }
    channel.queue.push({
      type,
      bytes: HEADER_BYTES + 48 * records.length,
      correlationId: this.host.nextCorrelationId(),
      controllerId: this.host.brokerId,
      controllerEpoch: this.epoch,
      brokerEpoch,
      records,
    });
    this.pump(id);
  }

  /** Sends the next queued request to `id` if none is in flight. */
  private pump(id: number): void {
    const channel = this.channels.get(id);
    if (channel === undefined || channel.inFlight !== undefined) return;
    const next = channel.queue.shift();
    if (next === undefined) return;
    channel.inFlight = next;
    this.transmit(id, next);
  }

  private transmit(id: number, request: LeaderAndIsrRequest): void {
    this.host.send(String(id), request);
    this.host.timer(
      configNumber(this.host.config, "controller.socket.timeout.ms") * 1000,
      "zkctl.channel",
      { term: this.term, broker: id, correlationId: request.correlationId },
    );
  }

  /** A broker answered a LeaderAndIsr or UpdateMetadata: the next request may go. */
  onResponse(from: string, correlationId: number): void {
    const id = Number(from);
    const channel = this.channels.get(id);
    if (channel?.inFlight?.correlationId !== correlationId) return;
    channel.inFlight = undefined;
    this.pump(id);
  }

  /** The connection to a broker broke: resend what was in flight after the backoff. */
  onDisconnect(peer: string): void {
    const id = Number(peer);
    const request = this.channels.get(id)?.inFlight;
    if (request === undefined) return;
    this.host.timer(CHANNEL_RETRY_BACKOFF_US, "zkctl.channel", {
      term: this.term,
      broker: id,
      correlationId: request.correlationId,
    });
  }

  /** A broker is gone (its session ended): its queue goes (ControllerChannelManager.removeBroker). */
  private dropChannel(id: number): void {
    this.channels.delete(id);
  }

  // ---------------------------------------------------------------- broker and ISR changes

  private onBrokerChange(done: () => void): void {
    const zk = this.host.zk;
    const term = this.term;
    zk.request({ op: "getChildren", path: ZK_PATHS.brokerIds, watch: true }, (ids) => {
      const live = (ids.children ?? []).map(Number).sort((a, b) => a - b);
      zk.request({ op: "getDataMany", paths: live.map((id) => ZK_PATHS.broker(id)) }, (regs) => {
        const image = this.image;
        if (term !== this.term || image === undefined) return;
        const epochs = new Map<number, { epoch: number; rack?: string }>();
        live.forEach((id, i) => {
          const reg = regs.many?.[i];
          if (reg === null || reg === undefined) return;
          const rack = (JSON.parse(reg.data) as { rack?: string | null }).rack;
          epochs.set(id, { epoch: reg.stat.czxid, ...(rack == null ? {} : { rack }) });
        });
        const dead: number[] = [];
        const born: number[] = [];
        for (const id of image.sortedBrokerIds()) {
          const b = image.brokers.get(id)!;
          const now = epochs.get(id);
          if (!b.fenced && (now === undefined || now.epoch !== b.brokerEpoch)) dead.push(id);
        }
        for (const [id, e] of [...epochs].sort(([a], [b]) => a - b)) {
          const b = image.brokers.get(id);
          if (b === undefined || b.fenced || b.brokerEpoch !== e.epoch) born.push(id);
        }
        const steps: Array<(next: () => void) => void> = [];
        for (const id of dead) {
          this.dropChannel(id);
          steps.push((next) =>
            this.write(
              () => {
                const img = this.image!;
                const b = img.brokers.get(id);
                if (b === undefined || b.fenced) return [];
                return onBrokerFenced(img, id, this.policy(true));
              },
              `broker ${id} gone`,
              () => next(),
            ),
          );
        }
        for (const id of born) {
          const e = epochs.get(id)!;
          steps.push((next) =>
            this.write(
              () => {
                const img = this.image!.clone();
                const reg: MetadataRecord = {
                  type: "RegisterBrokerRecord",
                  brokerId: id,
                  brokerEpoch: e.epoch,
                  fenced: true,
                  ...(e.rack === undefined ? {} : { rack: e.rack }),
                };
                img.apply(reg);
                return [
                  { ...reg, fenced: false },
                  ...onBrokerUnfenced(img, id, this.policy(true)).filter(
                    (r) => r.type !== "BrokerRegistrationChangeRecord",
                  ),
                ];
              },
              `broker ${id} up`,
              () => {
                // The returning broker learns the state of every partition it hosts.
                const mine: string[] = [];
                this.image?.forEachPartition((t, p, s) => {
                  if (s.replicas.includes(id)) mine.push(`${t.name}\u0000${p}`);
                });
                this.sendRequests(mine, [id], true);
                next();
              },
            ),
          );
        }
        const run = (i: number): void => {
          if (term !== this.term) return;
          if (i >= steps.length) return done();
          steps[i]!(() => run(i + 1));
        };
        run(0);
      });
    });
  }

  /** Leaders before 2.7 wrote ISR changes themselves: read them and tell every broker. */
  private onIsrChange(done: () => void): void {
    const zk = this.host.zk;
    const term = this.term;
    zk.request({ op: "getChildren", path: ZK_PATHS.isrChanges, watch: true }, (r) => {
      const names = r.children ?? [];
      if (names.length === 0) return done();
      const paths = names.map((n) => `${ZK_PATHS.isrChanges}/${n}`);
      zk.request({ op: "getDataMany", paths }, (data) => {
        const keys: string[] = [];
        for (const d of data.many ?? []) {
          if (d === null) continue;
          const parsed = JSON.parse(d.data) as {
            partitions: Array<{ topic: string; partition: number }>;
          };
          for (const p of parsed.partitions) {
            const k = `${p.topic}\u0000${p.partition}`;
            if (!keys.includes(k)) keys.push(k);
          }
        }
        zk.request(
          { op: "multi", ops: paths.map((path) => ({ op: "delete", path, version: -1 }) as const) },
          () => {},
        );
        this.reloadPartitions(keys, () => {
          if (term !== this.term) return;
          for (const k of keys) {
            const [name, p] = k.split("\u0000") as [string, string];
            const s = this.image?.partition(name, Number(p));
            if (s === undefined) continue;
            this.host.emit("partition.isr.notified", {
              topic: name,
              partition: Number(p),
              isr: s.isr.slice(),
              leaderEpoch: s.leaderEpoch,
              partitionEpoch: s.partitionEpoch,
            });
          }
          const live = this.liveBrokers();
          // UpdateMetadata only: the leader already applied its change.
          const image = this.image!;
          for (const id of live) {
            const recs: MetadataRecord[] = [];
            for (const k of keys) {
              const [name, pText] = k.split("\u0000") as [string, string];
              const t = image.topicByName(name);
              const s = t?.partitions[Number(pText)];
              if (t === undefined || s === undefined) continue;
              recs.push({
                type: "PartitionRecord",
                topicId: t.topicId,
                partitionId: Number(pText),
                replicas: s.replicas.slice(),
                isr: s.isr.slice(),
                removingReplicas: s.removingReplicas.slice(),
                addingReplicas: s.addingReplicas.slice(),
                leader: s.leader,
                leaderRecoveryState: s.leaderRecoveryState,
                leaderEpoch: s.leaderEpoch,
                partitionEpoch: s.partitionEpoch,
              });
            }
            this.sendTo(id, "UpdateMetadataRequest", image.brokers.get(id)!.brokerEpoch, recs);
          }
          // PartitionReassignmentIsrChangeHandler: an ISR that now holds every target replica
          // completes the reassignment.
          this.write(
            () => this.completeReassignments(keys),
            "reassignment",
            () => done(),
          );
        });
      });
    });
  }

  /** The reassignments among `keys` that the current ISR lets complete. */
  private completeReassignments(keys: readonly string[]): MetadataRecord[] {
    const image = this.image!;
    const policy = this.policy(true);
    const out: MetadataRecord[] = [];
    for (const k of keys) {
      const [name, pText] = k.split("\u0000") as [string, string];
      const topic = image.topicByName(name);
      const p = Number(pText);
      const s = topic?.partitions[p];
      if (topic === undefined || s === undefined) continue;
      if (s.addingReplicas.length === 0 && s.removingReplicas.length === 0) continue;
      const change = buildPartitionChange(s, {
        isAcceptableLeader: (id) => image.isActive(id),
        minIsr: policy.minIsrOf(name),
        elrEnabled: false,
        election: "clean",
        leaderEpochBumpOnIsrShrink: true,
      });
      if (change !== null)
        out.push({
          type: "PartitionChangeRecord",
          topicId: topic.topicId,
          partitionId: p,
          ...change,
        });
    }
    return out;
  }

  // ---------------------------------------------------------------- requests from brokers and admins

  /** AlterIsr (2.7+): the leader's proposal, validated and written by the controller. */
  handleAlterIsr(from: string, req: AlterPartitionRequest): void {
    const reply = (error: ControlError, partitions: AlterPartitionResponse["partitions"]) =>
      this.host.send(from, {
        type: "AlterPartitionResponse",
        bytes: HEADER_BYTES + 32 * partitions.length,
        correlationId: req.correlationId,
        error,
        partitions,
      } satisfies AlterPartitionResponse);
    if (!this.activeValue) return reply("NOT_CONTROLLER", []);
    this.enqueue((done) => {
      const results: Array<AlterPartitionResponse["partitions"][number]> = [];
      this.write(
        () => {
          results.length = 0;
          const image = this.image!;
          const records: MetadataRecord[] = [];
          for (const item of req.partitions) {
            const r = alterPartition(
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
                requestVersion: 1,
              },
              this.policy(false),
            );
            if (r.record !== undefined) records.push(r.record);
            results.push({
              topic: item.topic,
              partition: item.partition,
              error: r.error,
              leaderId: r.leaderId ?? NO_LEADER,
              leaderEpoch: r.leaderEpoch ?? -1,
              partitionEpoch: r.partitionEpoch ?? -1,
              isr: r.isr ?? [],
              leaderRecoveryState: r.leaderRecoveryState ?? "RECOVERED",
            });
          }
          return records;
        },
        "AlterIsr",
        (ok) => {
          reply(ok ? "NONE" : "UNKNOWN_SERVER_ERROR", ok ? results : []);
          done();
        },
      );
    });
  }

  handleControlledShutdown(from: string, req: ControlledShutdownRequest): void {
    const reply = (error: "NONE" | "NOT_CONTROLLER" | "STALE_BROKER_EPOCH", remaining: string[]) =>
      this.host.send(from, {
        type: "ControlledShutdownResponse",
        bytes: HEADER_BYTES + 16 * remaining.length,
        correlationId: req.correlationId,
        error,
        partitionsRemaining: remaining,
      });
    if (!this.activeValue) return reply("NOT_CONTROLLER", []);
    this.enqueue((done) => {
      const image = this.image!;
      const b = image.brokers.get(req.brokerId);
      if (b === undefined || b.brokerEpoch !== req.brokerEpoch) {
        reply("STALE_BROKER_EPOCH", []);
        return done();
      }
      this.host.emit("controller.controlled-shutdown", { broker: req.brokerId });
      this.write(
        () => onControlledShutdown(this.image!, req.brokerId, this.policy(true)),
        `controlled shutdown of ${req.brokerId}`,
        () => {
          const remaining: string[] = [];
          this.image?.forEachPartition((t, p, s) => {
            if (s.leader === req.brokerId) remaining.push(`${t.name}-${p}`);
          });
          reply("NONE", remaining);
          done();
        },
      );
    });
  }

  handleAdmin(from: string, req: AdminRequestMessage): void {
    const reply = (error: ControlError, results: AdminResponseMessage["results"]) =>
      this.host.send(from, {
        type: "AdminResponse",
        bytes: HEADER_BYTES + 32 * results.length,
        correlationId: req.correlationId,
        error,
        results,
      } satisfies AdminResponseMessage);
    if (!this.activeValue) return reply("NOT_CONTROLLER", []);
    this.enqueue((done) => {
      const results: Array<{ name: string; error: ControlError; message: string }> = [];
      this.write(
        () => {
          results.length = 0;
          return this.adminRecords(req.request, results);
        },
        `admin ${req.request.op}`,
        (ok) => {
          reply(ok ? "NONE" : "UNKNOWN_SERVER_ERROR", results);
          done();
        },
      );
    });
  }

  private adminRecords(
    request: AdminRequest,
    results: Array<{ name: string; error: ControlError; message: string }>,
  ): MetadataRecord[] {
    const image = this.image!.clone();
    const out: MetadataRecord[] = [];
    const push = (records: readonly MetadataRecord[]) => {
      for (const r of records) {
        image.apply(r);
        out.push(r);
      }
    };
    const ok = (name: string) => results.push({ name, error: "NONE", message: "" });
    const fail = (name: string, error: ControlError, message: string) =>
      results.push({ name, error, message });
    const policy = (): ControllerPolicy => {
      const saved = this.image;
      this.image = image;
      const p = this.policy(true);
      this.image = saved;
      return {
        ...p,
        minIsrOf: (n) => {
          const t = image.topicByName(n)!;
          return Math.min(
            configNumber(this.topicConfig(t), "min.insync.replicas"),
            t.partitions[0]?.replicas.length ?? 1,
          );
        },
        uncleanLeaderElectionEnabledOf: (n) =>
          configBoolean(this.topicConfig(image.topicByName(n)!), "unclean.leader.election.enable"),
      };
    };
    const live = () =>
      image
        .sortedBrokerIds()
        .filter((id) => image.isActive(id))
        .map((id) => ({
          id,
          ...(image.brokers.get(id)!.rack === undefined
            ? {}
            : { rack: image.brokers.get(id)!.rack! }),
        }));
    switch (request.op) {
      case "CreateTopics":
        for (const topic of request.topics) {
          if (image.topicByName(topic.name) !== undefined) {
            fail(topic.name, "TOPIC_ALREADY_EXISTS", `Topic '${topic.name}' already exists.`);
            continue;
          }
          let assignment: number[][];
          if (topic.assignment !== undefined) assignment = topic.assignment.map((r) => [...r]);
          else {
            // ZooKeeper mode places with AdminUtils (random start index and shift).
            const placed = assignReplicasToBrokers(
              live(),
              topic.numPartitions,
              topic.replicationFactor,
              { rng: this.host.placementRng },
            );
            if (!placed.ok) {
              fail(topic.name, placed.error as ControlError, placed.message);
              continue;
            }
            assignment = placed.assignments;
          }
          const topicId = deriveTopicId(topic.name, image.topics.size + 1000);
          push([{ type: "TopicRecord", name: topic.name, topicId }]);
          for (const name of Object.keys(topic.configs).sort())
            push([
              {
                type: "ConfigRecord",
                resourceType: "TOPIC",
                resourceName: topic.name,
                name,
                value: topic.configs[name]!,
              },
            ]);
          assignment.forEach((replicas, p) => {
            const isr = replicas.filter((id) => image.isActive(id));
            push([
              {
                type: "PartitionRecord",
                topicId,
                partitionId: p,
                replicas: replicas.slice(),
                isr: isr.length > 0 ? isr : replicas.slice(0, 1),
                removingReplicas: [],
                addingReplicas: [],
                leader: isr[0] ?? NO_LEADER,
                leaderRecoveryState: "RECOVERED",
                leaderEpoch: 0,
                partitionEpoch: 0,
              },
            ]);
          });
          ok(topic.name);
        }
        return out;
      case "CreatePartitions": {
        const t = image.topicByName(request.topic);
        if (t === undefined) {
          fail(
            request.topic,
            "UNKNOWN_TOPIC_OR_PARTITION",
            `Topic '${request.topic}' does not exist.`,
          );
          return out;
        }
        const current = t.partitions.length;
        if (request.count <= current) {
          fail(
            request.topic,
            "INVALID_PARTITIONS",
            `Topic currently has ${current} partitions, which is higher than the requested ${request.count}.`,
          );
          return out;
        }
        const rf = t.partitions[0]?.replicas.length ?? 1;
        let extra: number[][];
        if (request.assignment !== undefined) extra = request.assignment.map((r) => [...r]);
        else {
          // AdminZkClient.addPartitions: start where partition 0's leader stands in the broker list.
          const brokers = live();
          const first = t.partitions[0]?.replicas[0];
          const index = brokers.findIndex((b) => b.id === first);
          const placed = assignReplicasToBrokers(brokers, request.count - current, rf, {
            startPartitionId: current,
            ...(index >= 0
              ? { startIndex: index, nextReplicaShift: index }
              : { rng: this.host.placementRng }),
          });
          if (!placed.ok) {
            fail(request.topic, placed.error as ControlError, placed.message);
            return out;
          }
          extra = placed.assignments;
        }
        extra.forEach((replicas, i) => {
          const isr = replicas.filter((id) => image.isActive(id));
          push([
            {
              type: "PartitionRecord",
              topicId: t.topicId,
              partitionId: current + i,
              replicas: replicas.slice(),
              isr: isr.length > 0 ? isr : replicas.slice(0, 1),
              removingReplicas: [],
              addingReplicas: [],
              leader: isr[0] ?? NO_LEADER,
              leaderRecoveryState: "RECOVERED",
              leaderEpoch: 0,
              partitionEpoch: 0,
            },
          ]);
        });
        ok(request.topic);
        return out;
      }
      case "DeleteTopics":
        for (const name of request.topics) {
          const t = image.topicByName(name);
          if (t === undefined) {
            fail(
              name,
              "UNKNOWN_TOPIC_OR_PARTITION",
              "This server does not host this topic-partition.",
            );
            continue;
          }
          push([{ type: "RemoveTopicRecord", topicId: t.topicId }]);
          ok(name);
        }
        return out;
      case "ElectLeaders": {
        const targets: Array<{ topic: string; partition: number }> = [];
        if (request.partitions !== undefined) targets.push(...request.partitions);
        else image.forEachPartition((t, p) => targets.push({ topic: t.name, partition: p }));
        for (const tp of targets) {
          const r = electLeaderOnDemand(
            image,
            tp.topic,
            tp.partition,
            request.electionType,
            policy(),
          );
          if (r.record !== undefined) push([r.record]);
          results.push({
            name: `${tp.topic}-${tp.partition}`,
            error: r.error,
            message: r.message ?? "",
          });
        }
        return out;
      }
      case "AlterPartitionReassignments":
        for (const r of request.reassignments) {
          const res = alterPartitionReassignment(image, r.topic, r.partition, r.replicas, policy());
          if (res.record !== undefined) push([res.record]);
          results.push({
            name: `${r.topic}-${r.partition}`,
            error: res.error,
            message: res.message ?? "",
          });
        }
        return out;
      case "IncrementalAlterConfigs": {
        if (
          request.resourceType !== "topic" ||
          image.topicByName(request.resourceName) === undefined
        ) {
          fail(
            request.resourceName,
            "INVALID_REQUEST",
            "ZooKeeper mode here alters topic configs only.",
          );
          return out;
        }
        for (const name of Object.keys(request.set).sort())
          push([
            {
              type: "ConfigRecord",
              resourceType: "TOPIC",
              resourceName: request.resourceName,
              name,
              value: request.set[name]!,
            },
          ]);
        for (const name of request.delete)
          push([
            {
              type: "ConfigRecord",
              resourceType: "TOPIC",
              resourceName: request.resourceName,
              name,
              value: null,
            },
          ]);
        ok(request.resourceName);
        return out;
      }
    }
  }

  // ---------------------------------------------------------------- preferred leaders

  private armRebalance(): void {
    if (!configBoolean(this.host.config, "auto.leader.rebalance.enable")) return;
    const seconds = configNumber(this.host.config, "leader.imbalance.check.interval.seconds");
    this.host.timer(seconds * 1_000_000, "zkctl.rebalance", { term: this.term });
  }

  handleTimer(event: SimEvent): void {
    const e = event as ControllerTimer;
    if (e.payload.term !== this.term || !this.activeValue) return;
    if (e.kind === "zkctl.channel") {
      const request = this.channels.get(e.payload.broker)?.inFlight;
      // No answer within controller.socket.timeout.ms (or the connection broke): send it again.
      if (request?.correlationId === e.payload.correlationId)
        this.transmit(e.payload.broker, request);
      return;
    }
    this.enqueue((done) => {
      this.write(
        () => this.imbalanceRecords(),
        "auto leader rebalance",
        () => done(),
      );
    });
    this.armRebalance();
  }

  /** checkAndTriggerAutoLeaderRebalance: brokers whose imbalance ratio exceeds the percentage. */
  private imbalanceRecords(): MetadataRecord[] {
    const image = this.image!.clone();
    const pct = configNumber(this.host.config, "leader.imbalance.per.broker.percentage");
    const preferred = new Map<number, Array<{ topic: string; partition: number; led: boolean }>>();
    image.forEachPartition((t, p, s) => {
      const pref = s.replicas[0];
      if (pref === undefined) return;
      let list = preferred.get(pref);
      if (list === undefined) preferred.set(pref, (list = []));
      list.push({ topic: t.name, partition: p, led: s.leader === pref });
    });
    const out: MetadataRecord[] = [];
    for (const [broker, list] of [...preferred].sort(([a], [b]) => a - b)) {
      if (!image.isActive(broker)) continue;
      const notLed = list.filter((x) => !x.led);
      if (notLed.length * 100 <= pct * list.length) continue;
      for (const x of notLed) {
        const r = electLeaderOnDemand(image, x.topic, x.partition, "preferred", this.policy(true));
        if (r.record !== undefined) {
          image.apply(r.record);
          out.push(r.record);
        }
      }
    }
    return out;
  }
}

export type { ControlledShutdownRequest };
