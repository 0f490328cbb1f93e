/**
 * The Kafka cluster builder: hosts, brokers and KRaft controllers wired on the network, all
 * starting from one bootstrap metadata log (the cluster already running at t=0).
 *
 * Combined mode: the voters are brokers whose actor hosts a ControllerRole; every event reaches
 * the role first and it keeps what is its own, and the broker learns committed metadata from its
 * own voter. Dedicated mode: controllers are nodes of their own.
 *
 * The cluster-wide invariants live here because no single actor sees them: at most one broker
 * claims leadership of a partition in a given leader epoch, and a leader's high watermark never
 * decreases within its epoch. They are checked from the trace, after every event.
 *
 * ZooKeeper mode: the ensemble `zookeeper-1..N` on hosts of its own, every broker with a
 * ZooKeeper session and an embedded ZooKeeper-mode controller (active in the broker that holds
 * `/controller`); the bootstrap tree is built from the same bootstrap metadata log (broker
 * registrations as ephemeral znodes with czxid = broker epoch, topic assignments, partition
 * states at version 0, the first broker as controller in epoch 1).
 */
import { assert } from "../engine/assert.ts";
import type { Engine, SimEvent } from "../engine/engine.ts";
import type { TraceEvent, TraceFields } from "../engine/trace.ts";
import type { DiskProfile, NicProfile } from "../infra/hardware.ts";
import { type CrashMode, Host } from "../infra/host.ts";
import type { Network } from "../infra/network.ts";
import { type BootstrapBroker, type BootstrapTopic, bootstrapMetadataLog } from "./bootstrap.ts";
import { Broker, type BrokerSnapshot } from "./broker/broker.ts";
import { configNumber, type ResolvedConfig, resolveBrokerConfig } from "./config.ts";
import { ControllerNode } from "./controller/controller-node.ts";
import { ControllerRole, type ControllerSnapshot } from "./controller/controller-role.ts";
import { MetadataImage } from "./metadata/image.ts";
import type { MetadataLogEntry } from "./protocol-control.ts";
import type { ZkSnapshotNode } from "./protocol-zk.ts";
import { type KafkaVersion, versionProfile } from "./version.ts";
import { partitionStateData, topicZnodeData, ZK_PATHS } from "./zk/zk-controller.ts";
import {
  type ZkBootstrap,
  ZooKeeperServer,
  type ZooKeeperServerSnapshot,
  zkServerName,
} from "./zk/zookeeper-server.ts";

export interface MachineSpec {
  readonly disks: readonly DiskProfile[];
  readonly nic: NicProfile;
  readonly memoryBytes: number;
  readonly cores: number;
}

export interface KafkaClusterSpec {
  readonly version: KafkaVersion;
  readonly brokers: readonly BootstrapBroker[];
  readonly controllers:
    | { readonly kind: "combined"; readonly voterIds: readonly number[] }
    | { readonly kind: "dedicated"; readonly ids: readonly number[] }
    | { readonly kind: "zookeeper"; readonly ensembleSize: number };
  readonly machine: MachineSpec;
  /** Broker configs (server.properties), Kafka's names. */
  readonly config: Readonly<Record<string, unknown>>;
  readonly topics: readonly BootstrapTopic[];
}

export class ClusterBuildError extends Error {
  override name = "ClusterBuildError";
  constructor(
    readonly topic: string,
    message: string,
  ) {
    super(message);
  }
}

export class KafkaCluster {
  readonly hosts = new Map<string, Host>();
  readonly brokers = new Map<number, Broker>();
  /** Every voter's controller role, combined or dedicated, by node id. */
  readonly controllers = new Map<number, ControllerRole | ControllerNode>();
  readonly voters: readonly number[];
  /** ZooKeeper mode: the ensemble's servers by node name. */
  readonly zookeepers = new Map<string, ZooKeeperServer>();
  readonly brokerConfig: ResolvedConfig;
  readonly topicAssignments: ReadonlyMap<string, number[][]>;
  private readonly leaderOfEpoch = new Map<string, number>();
  /**
   * Per partition, the last HW a leader reported, in which epoch and by whom; `powerLost` when
   * that leader has lost power since (it may come back in the same epoch with a shorter log).
   */
  private readonly leaderHw = new Map<
    string,
    { epoch: number; hw: number; node: string; powerLost: boolean }
  >();
  private readonly brokerEpochOf = new Map<string, number>();
  /** Per partition, the highest HW any leader reached: every offset below it was committed. */
  private readonly committed = new Map<string, number>();
  /** Brokers that have lost power at least once (their logs may have lost a tail). */
  private readonly powerLost = new Set<string>();
  private violation: string | undefined;

  constructor(
    private readonly engine: Engine,
    network: Network,
    readonly spec: KafkaClusterSpec,
  ) {
    const boot = bootstrapMetadataLog(spec.brokers, spec.topics, engine.rng.stream("placement"));
    if (!boot.ok) throw new ClusterBuildError(boot.topic, boot.message);
    this.topicAssignments = boot.assignments;
    this.voters =
      spec.controllers.kind === "combined"
        ? spec.controllers.voterIds
        : spec.controllers.kind === "dedicated"
          ? spec.controllers.ids
          : // ZooKeeper mode: admin requests go to any broker, which forwards to the controller.
            spec.brokers.map((b) => b.id);
    this.brokerConfig = resolveBrokerConfig(spec.version, spec.config as Record<string, unknown>, {
      brokerCount: spec.brokers.length,
    });
    const machine = (name: string) => {
      const host = new Host(engine, network, { name, ...spec.machine });
      this.hosts.set(name, host);
      return host;
    };
    const zookeeper =
      spec.controllers.kind === "zookeeper"
        ? zookeeperBootstrap(
            boot.log,
            spec.controllers.ensembleSize,
            configNumber(this.brokerConfig, "zookeeper.session.timeout.ms"),
          )
        : undefined;
    if (zookeeper !== undefined) {
      for (let i = 1; i <= zookeeper.servers.length; i++) {
        machine(zkServerName(i));
        this.zookeepers.set(
          zkServerName(i),
          new ZooKeeperServer({
            engine,
            network,
            serverId: i,
            ensembleSize: zookeeper.servers.length,
            bootstrap: zookeeper.tree,
          }),
        );
      }
    }
    for (const b of spec.brokers) {
      const host = machine(String(b.id));
      let role: ControllerRole | undefined;
      if (spec.controllers.kind === "combined" && spec.controllers.voterIds.includes(b.id)) {
        role = new ControllerRole({
          engine,
          network,
          nodeId: b.id,
          hostActorId: String(b.id),
          voters: this.voters,
          version: spec.version,
          staticConfig: spec.config,
          bootstrapLog: boot.log,
          // The hosting broker learns committed metadata from its own voter.
          onMetadataCommitted: (entries, hw) =>
            this.brokers.get(b.id)?.onMetadataCommitted(entries, hw),
        });
        this.controllers.set(b.id, role);
      }
      const broker = new Broker(engine, network, host, {
        brokerId: b.id,
        version: spec.version,
        config: this.brokerConfig,
        voters: this.voters,
        bootstrap: boot.log,
        ...(b.rack === null ? {} : { rack: b.rack }),
        ...(role === undefined ? {} : { controllerRole: role }),
        ...(zookeeper === undefined
          ? {}
          : {
              zookeeper: {
                servers: zookeeper.servers,
                sessionId: b.id,
                controllerId: zookeeper.controllerId,
                controllerEpoch: 1,
                controllerEpochZkVersion: 0,
              },
            }),
      });
      this.brokers.set(b.id, broker);
    }
    if (spec.controllers.kind === "dedicated") {
      for (const id of spec.controllers.ids) {
        machine(String(id));
        this.controllers.set(
          id,
          new ControllerNode({
            engine,
            network,
            nodeId: id,
            voters: this.voters,
            version: spec.version,
            staticConfig: spec.config,
            bootstrapLog: boot.log,
          }),
        );
      }
    }
    engine.trace.subscribe((e) => this.observe(e));
    engine.register(this.reporter);
    engine.addInvariant(
      "kafka: one leader per partition and epoch; leader HW monotonic",
      () => this.violation,
    );
  }

  /** Starts every node at t=0. */
  boot(): void {
    for (const host of this.hosts.values()) host.boot();
  }

  host(node: string): Host {
    const h = this.hosts.get(node);
    assert(h !== undefined, () => `no Kafka node ${node}`);
    return h;
  }

  crash(node: string, mode: CrashMode): void {
    this.host(node).crash(mode);
    const role = this.controllers.get(Number(node));
    if (role instanceof ControllerRole) role.crash();
  }

  restart(node: string): void {
    this.host(node).restart();
  }

  /** Controlled shutdown of a broker: leadership moves away first, then the process stops. */
  shutdown(brokerId: number): void {
    assert(this.brokers.has(brokerId), () => `no broker ${brokerId}`);
    this.engine.schedule(0, String(brokerId), "broker.shutdown", null);
  }

  /** The voters' snapshots, in id order. */
  controllerSnapshots(): ControllerSnapshot[] {
    return [...this.controllers.entries()].sort(([a], [b]) => a - b).map(([, c]) => c.snapshot());
  }

  /**
   * The metadata truth: the active controller's committed image (the one with the highest epoch
   * when a deposed leader has not noticed yet). Undefined while no controller is active.
   */
  activeImage(): MetadataImage | undefined {
    if (this.spec.controllers.kind === "zookeeper") {
      // ZooKeeper mode: the view of the controller broker with the highest epoch. While that
      // broker is down and no successor has been elected yet (its ZooKeeper session has not
      // expired), the znodes it last wrote are still the truth the tools read (Kafka's tools
      // ask any live broker, whose cache holds the same): its last view stands in.
      let zkBest: { epoch: number; image: MetadataImage } | undefined;
      let zkLast: { epoch: number; image: MetadataImage } | undefined;
      for (const [id, broker] of [...this.brokers].sort(([a], [b]) => a - b)) {
        const s = broker.zkControllerSnapshot();
        if (s === undefined || !s.active || s.image === undefined) continue;
        const view = { epoch: s.controllerEpoch, image: s.image };
        if (zkLast === undefined || view.epoch > zkLast.epoch) zkLast = view;
        if (!this.host(String(id)).isUp) continue;
        if (zkBest === undefined || view.epoch > zkBest.epoch) zkBest = view;
      }
      return (zkBest ?? zkLast)?.image;
    }
    let best: ControllerSnapshot | undefined;
    for (const s of this.controllerSnapshots()) {
      if (s.active && s.image !== undefined && (best === undefined || s.epoch > best.epoch))
        best = s;
    }
    return best?.image;
  }

  /** ZooKeeper mode: the ensemble's servers, in id order (empty in KRaft mode). */
  zookeeperSnapshots(): ZooKeeperServerSnapshot[] {
    return [...this.zookeepers.values()].map((z) => z.snapshot()).sort((a, b) => a.id - b.id);
  }

  brokerSnapshots(): BrokerSnapshot[] {
    return [...this.brokers.entries()].sort(([a], [b]) => a - b).map(([, b]) => b.snapshot());
  }

  /**
   * Says in the trace when committed offsets were lost, and why (an actor of its own: the
   * cluster watches the trace and must not write to it while it is being written).
   */
  private readonly reporter = {
    id: "kafka-cluster",
    handle: (event: SimEvent) => {
      this.engine.trace.emit(
        "partition.committed-lost",
        "kafka-cluster",
        event.payload as TraceFields,
      );
    },
  };

  /**
   * A new leader must hold every committed offset (its LEO at least the highest HW any leader
   * reached), unless it was elected uncleanly (RECOVERING, KIP-704), it lost power itself and so
   * its unflushed tail (a correlated power loss, S2), or the version truncates to the HW on
   * restart (before KIP-101, S1). Those losses are reported in the trace; any other is a bug.
   */
  private checkNewLeader(e: TraceEvent): void {
    const tp = `${e.topic}-${e.partition}`;
    const committed = this.committed.get(tp) ?? 0;
    const leo = Number(e.leo);
    if (!Number.isFinite(leo) || leo >= committed) return;
    const why =
      e.recovering === true
        ? "unclean election"
        : this.powerLost.has(e.node)
          ? "power loss (the new leader's unflushed tail)"
          : versionProfile(this.spec.version).truncation === "hw"
            ? "HW truncation (before KIP-101 a follower truncates to its HW when it restarts or follows a new leader)"
            : undefined;
    if (why === undefined) {
      this.violation ??= `broker ${e.node} leads ${tp} in epoch ${e.leaderEpoch} with LEO ${leo}, below the committed offset ${committed}, without an unclean election or a power loss (t=${e.t}us)`;
      return;
    }
    this.engine.schedule(0, this.reporter.id, "committed-lost", {
      topic: e.topic,
      partition: e.partition,
      leader: Number(e.node),
      leaderEpoch: e.leaderEpoch,
      from: leo,
      to: committed,
      why,
    });
  }

  /** Checks the cluster-wide invariants on the trace, as events are emitted. */
  private observe(e: TraceEvent): void {
    if (e.type === "host.crash" && e.mode === "power") {
      this.powerLost.add(e.node);
      for (const entry of this.leaderHw.values()) if (entry.node === e.node) entry.powerLost = true;
    }
    if (e.type === "partition.leader") {
      this.checkNewLeader(e);
      const key = `${e.topic}-${e.partition}@${e.leaderEpoch}`;
      const claimed = this.leaderOfEpoch.get(key);
      if (claimed !== undefined && claimed !== Number(e.node)) {
        this.violation ??= `brokers ${claimed} and ${e.node} both led ${e.topic}-${e.partition} in epoch ${e.leaderEpoch} (t=${e.t}us)`;
      }
      this.leaderOfEpoch.set(key, Number(e.node));
      this.brokerEpochOf.set(`${e.node}/${e.topic}-${e.partition}`, Number(e.leaderEpoch));
    } else if (e.type === "partition.follower" || e.type === "host.crash") {
      if (e.type === "partition.follower")
        this.brokerEpochOf.delete(`${e.node}/${e.topic}-${e.partition}`);
      else
        for (const k of [...this.brokerEpochOf.keys()])
          if (k.startsWith(`${e.node}/`)) this.brokerEpochOf.delete(k);
    } else if (e.type === "replica.hw") {
      const tp = `${e.topic}-${e.partition}`;
      const epoch = this.brokerEpochOf.get(`${e.node}/${tp}`);
      if (epoch === undefined) return; // a follower's HW: it may go down after a truncation
      const prev = this.leaderHw.get(tp);
      const hw = Number(e.hw);
      // A leader that lost power can lead again in the same epoch when no controller saw it die
      // (it was the only broker, or every broker went down): Kafka's ZooKeeper controller keeps a
      // live leader's state on failover (PartitionStateMachine.initializePartitionState), and the
      // restarted leader's HW is clamped to its shorter log. checkNewLeader reports that loss as
      // "power loss"; any other drop within an epoch is a bug.
      const restartedAfterPowerLoss = prev?.powerLost === true && prev.node === e.node;
      if (prev !== undefined && prev.epoch === epoch && hw < prev.hw && !restartedAfterPowerLoss) {
        this.violation ??= `leader ${e.node} of ${tp} lowered its HW from ${prev.hw} to ${hw} in epoch ${epoch} (t=${e.t}us)`;
      }
      if (prev === undefined || epoch >= prev.epoch)
        this.leaderHw.set(tp, { epoch, hw, node: e.node, powerLost: false });
      if (hw > (this.committed.get(tp) ?? 0)) this.committed.set(tp, hw);
    }
  }
}

/**
 * The ZooKeeper tree of a cluster already running: every broker's session and ephemeral
 * registration (czxid = its broker epoch), each topic's assignment, config and partition states
 * (version 0), `/controller` held by the first broker's session, `/controller_epoch` = 1.
 */
export function zookeeperBootstrap(
  log: readonly MetadataLogEntry[],
  ensembleSize: number,
  sessionTimeoutMs: number,
): { tree: ZkBootstrap; servers: string[]; controllerId: number } {
  const image = new MetadataImage();
  for (const entry of log)
    if (entry.record.type !== "LeaderChangeMessage") image.apply(entry.record);
  const nodes: ZkSnapshotNode[] = [];
  const persistent = (path: string, data: string, czxid = 0) =>
    nodes.push({ path, data, stat: { czxid, version: 0, cversion: 0, ephemeralOwner: 0 } });
  for (const path of [
    "/brokers",
    ZK_PATHS.brokerIds,
    ZK_PATHS.topics,
    ZK_PATHS.isrChanges,
    ZK_PATHS.config,
    ZK_PATHS.topicConfigs,
  ])
    persistent(path, "");
  persistent(ZK_PATHS.controllerEpoch, "1");
  const ids = image.sortedBrokerIds();
  assert(ids.length > 0, "a cluster has brokers");
  let maxZxid = 0;
  const sessions = [];
  for (const id of ids) {
    const b = image.brokers.get(id)!;
    maxZxid = Math.max(maxZxid, b.brokerEpoch);
    sessions.push({ sessionId: id, timeoutMs: sessionTimeoutMs, owner: String(id) });
    nodes.push({
      path: ZK_PATHS.broker(id),
      data: JSON.stringify({
        version: 4,
        host: String(id),
        port: 9092,
        rack: b.rack ?? null,
        jmx_port: -1,
      }),
      stat: { czxid: b.brokerEpoch, version: 0, cversion: 0, ephemeralOwner: id },
    });
  }
  const controllerId = ids[0]!;
  nodes.push({
    path: ZK_PATHS.controller,
    data: JSON.stringify({ version: 1, brokerid: controllerId, timestamp: "0" }),
    stat: { czxid: maxZxid + 1, version: 0, cversion: 0, ephemeralOwner: controllerId },
  });
  for (const topic of image.topics.values()) {
    persistent(ZK_PATHS.topic(topic.name), topicZnodeData(topic));
    persistent(ZK_PATHS.partitions(topic.name), "");
    persistent(
      ZK_PATHS.topicConfig(topic.name),
      JSON.stringify({ version: 1, config: topic.configs }),
    );
    topic.partitions.forEach((s, p) => {
      persistent(ZK_PATHS.partition(topic.name, p), "");
      persistent(
        ZK_PATHS.state(topic.name, p),
        partitionStateData(s.leader, s.leaderEpoch, s.isr, 1),
      );
    });
  }
  return {
    tree: { zxid: maxZxid + 1, nodes, sessions, nextSessionId: ids[ids.length - 1]! + 1 },
    servers: Array.from({ length: ensembleSize }, (_, i) => zkServerName(i + 1)),
    controllerId,
  };
}
