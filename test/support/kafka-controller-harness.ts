/**
 * A small KRaft cluster for controller tests: real Engine, Network and Hosts; dedicated controller
 * nodes; brokers faked by a tiny actor that registers and heartbeats (no data plane); an admin
 * client actor. Also the checks every run keeps: at most one Raft leader per epoch, ever.
 */
import { assert } from "../../sim/engine/assert.ts";
import { type Actor, Engine, type SimEvent } from "../../sim/engine/engine.ts";
import type { TraceEvent } from "../../sim/engine/trace.ts";
import { DISK_PROFILES, NIC_PROFILES } from "../../sim/infra/hardware.ts";
import { Host, PROCESS_START, type ProcessStart } from "../../sim/infra/host.ts";
import {
  NET_MESSAGE,
  type NetDelivery,
  type NetMessage,
  Network,
} from "../../sim/infra/network.ts";
import { ControllerNode } from "../../sim/kafka/controller/controller-node.ts";
import { buildBootstrapLog } from "../../sim/kafka/controller/raft.ts";
import { deriveTopicId } from "../../sim/kafka/metadata/image.ts";
import type {
  AdminRequest,
  AdminResponseMessage,
  BrokerHeartbeatResponse,
  BrokerRegistrationResponse,
  ControlError,
  MetadataLogEntry,
  MetadataLogRecord,
} from "../../sim/kafka/protocol-control.ts";
import type { KafkaVersion } from "../../sim/kafka/version.ts";

export interface TopicSpec {
  readonly name: string;
  /** Replicas of each partition, preferred leader first. */
  readonly assignment: readonly (readonly number[])[];
  readonly configs?: Readonly<Record<string, string>>;
}

export interface ClusterSpec {
  readonly seed?: number;
  readonly version?: KafkaVersion;
  readonly brokers?: readonly number[];
  readonly voters?: readonly number[];
  readonly topics?: readonly TopicSpec[];
  /** Static config of every controller (server.properties). */
  readonly controllerConfig?: Readonly<Record<string, unknown>>;
  /** Cluster-level dynamic broker configs in the bootstrap log (ConfigRecord BROKER ""). */
  readonly clusterConfigs?: Readonly<Record<string, string>>;
  readonly latencyUs?: number;
  readonly jitterUs?: number;
}

const HEARTBEAT_INTERVAL_US = 2_000_000;
const RETRY_US = 50_000;
const DUPLICATE_RETRY_US = 1_000_000;

/**
 * A broker without a data plane: registers (after a restart) and heartbeats every 2 s to the
 * controller it believes active, moving to the next voter on NOT_CONTROLLER or silence. It reports
 * its registration offset as its metadata offset, so it is always "caught up".
 */
export class FakeBroker implements Actor {
  readonly id: string;
  brokerEpoch: number;
  heartbeating = true;
  wantShutDown = false;
  /** previousBrokerEpoch of the next registration (-1: unclean; set it for a clean restart). */
  nextPreviousBrokerEpoch = -1;
  readonly heartbeatResponses: Array<{ t: number } & BrokerHeartbeatResponse> = [];
  readonly registrationResponses: Array<{ t: number } & BrokerRegistrationResponse> = [];
  /** Anything else that reaches the broker (AlterPartition responses a test asked for). */
  readonly otherMessages: Array<{ t: number; message: NetMessage }> = [];
  private guess = 0;
  private incarnation = 0;
  private nextCorrelation = 1;
  private awaiting: number | undefined;
  private registered: boolean;

  constructor(
    private readonly engine: Engine,
    private readonly network: Network,
    readonly brokerId: number,
    private readonly voters: readonly number[],
    bootstrapEpoch: number,
  ) {
    this.id = String(brokerId);
    this.brokerEpoch = bootstrapEpoch;
    this.registered = bootstrapEpoch >= 0;
    engine.register(this);
  }

  handle(event: SimEvent): void {
    switch (event.kind) {
      case PROCESS_START: {
        const { after } = event.payload as ProcessStart;
        this.awaiting = undefined;
        if (after === undefined && this.registered) {
          this.schedule(this.brokerId * 10_000, "hb");
        } else {
          this.incarnation++;
          this.registered = false;
          this.register();
        }
        return;
      }
      case NET_MESSAGE: {
        const message = (event.payload as NetDelivery).message;
        if (
          message.type === "BrokerHeartbeatResponse" ||
          message.type === "BrokerRegistrationResponse"
        ) {
          this.onMessage(
            message as unknown as BrokerHeartbeatResponse | BrokerRegistrationResponse,
          );
        } else {
          this.otherMessages.push({ t: this.engine.now, message });
        }
        return;
      }
      case "net.disconnect":
        return;
      case "hb":
        this.onHeartbeatTick();
        return;
      case "hb-retry":
        this.sendHeartbeat();
        return;
      case "reg":
        this.register();
        return;
      default:
        assert(false, `fake broker: unexpected ${event.kind}`);
    }
  }

  private schedule(delayUs: number, kind: string): void {
    this.engine.schedule(delayUs, this.id, kind, null);
  }

  private target(): string {
    return String(this.voters[this.guess % this.voters.length]);
  }

  private register(): void {
    this.network.send(this.id, this.target(), {
      type: "BrokerRegistrationRequest",
      bytes: 128,
      correlationId: this.nextCorrelation++,
      brokerId: this.brokerId,
      incarnationId: `broker-${this.brokerId}-inc-${this.incarnation}`,
      rack: null,
      logDirs: ["/data"],
      previousBrokerEpoch: this.nextPreviousBrokerEpoch,
    });
  }

  private onHeartbeatTick(): void {
    this.schedule(HEARTBEAT_INTERVAL_US, "hb");
    if (!this.heartbeating || !this.registered) return;
    // No answer to the last one: that controller may be gone, try the next.
    if (this.awaiting !== undefined) this.guess++;
    this.sendHeartbeat();
  }

  private sendHeartbeat(): void {
    if (!this.heartbeating || !this.registered) return;
    const correlationId = this.nextCorrelation++;
    this.awaiting = correlationId;
    this.network.send(this.id, this.target(), {
      type: "BrokerHeartbeatRequest",
      bytes: 64,
      correlationId,
      brokerId: this.brokerId,
      brokerEpoch: this.brokerEpoch,
      currentMetadataOffset: this.brokerEpoch,
      wantFence: false,
      wantShutDown: this.wantShutDown,
      offlineLogDirs: [],
    });
  }

  private onMessage(message: BrokerHeartbeatResponse | BrokerRegistrationResponse): void {
    const t = this.engine.now;
    if (message.type === "BrokerHeartbeatResponse") {
      if (message.correlationId === this.awaiting) this.awaiting = undefined;
      this.heartbeatResponses.push({ t, ...message });
      if (message.error === "NOT_CONTROLLER") {
        this.guess++;
        this.schedule(RETRY_US, "hb-retry");
      }
      return;
    }
    this.registrationResponses.push({ t, ...message });
    if (message.error === "NONE") {
      this.registered = true;
      this.brokerEpoch = message.brokerEpoch;
      this.sendHeartbeat();
      this.schedule(HEARTBEAT_INTERVAL_US, "hb");
    } else if (message.error === "NOT_CONTROLLER") {
      this.guess++;
      this.schedule(RETRY_US, "reg");
    } else {
      this.schedule(DUPLICATE_RETRY_US, "reg");
    }
  }

  /** The last heartbeat answer that came from the active controller. */
  lastGoodHeartbeat(): ({ t: number } & BrokerHeartbeatResponse) | undefined {
    for (let i = this.heartbeatResponses.length - 1; i >= 0; i--) {
      if (this.heartbeatResponses[i]!.error === "NONE") return this.heartbeatResponses[i];
    }
    return undefined;
  }
}

/** An admin client: sends AdminRequests to a node and keeps the responses by correlation id. */
export class AdminClient implements Actor {
  readonly id = "admin";
  readonly responses = new Map<number, { t: number } & AdminResponseMessage>();
  private nextCorrelation = 1;

  constructor(
    engine: Engine,
    private readonly network: Network,
    private readonly clock: () => number,
  ) {
    engine.register(this);
  }

  send(to: number, request: AdminRequest): number {
    const correlationId = this.nextCorrelation++;
    this.network.send(this.id, String(to), {
      type: "AdminRequest",
      bytes: 256,
      correlationId,
      request,
    });
    return correlationId;
  }

  handle(event: SimEvent): void {
    if (event.kind !== NET_MESSAGE) return;
    const message = (event.payload as NetDelivery).message as AdminResponseMessage;
    this.responses.set(message.correlationId, { t: this.clock(), ...message });
  }
}

export interface ControllerCluster {
  readonly engine: Engine;
  readonly network: Network;
  readonly hosts: Map<string, Host>;
  readonly controllers: Map<number, ControllerNode>;
  readonly brokers: Map<number, FakeBroker>;
  readonly admin: AdminClient;
  readonly voters: readonly number[];
  readonly bootstrapLog: readonly MetadataLogEntry[];
  readonly events: readonly TraceEvent[];
  /** Raft leader per epoch, as the raft.leader events announced them. */
  readonly leaderByEpoch: Map<number, number>;
}

function hostSpec(name: string) {
  return {
    name,
    disks: [DISK_PROFILES.ssd],
    nic: NIC_PROFILES["10GbE"],
    memoryBytes: 1024 ** 3,
    cores: 4,
  };
}

/** RegisterBrokerRecord + UnfenceBrokerRecord per broker (epoch = offset), configs, topics. */
export function bootstrapRecords(spec: ClusterSpec): MetadataLogRecord[] {
  const records: MetadataLogRecord[] = [];
  for (const id of spec.brokers ?? [1, 2, 3]) {
    const epoch = records.length;
    records.push({ type: "RegisterBrokerRecord", brokerId: id, brokerEpoch: epoch });
    records.push({ type: "UnfenceBrokerRecord", id, epoch });
  }
  for (const [name, value] of Object.entries(spec.clusterConfigs ?? {}).sort()) {
    records.push({ type: "ConfigRecord", resourceType: "BROKER", resourceName: "", name, value });
  }
  (spec.topics ?? []).forEach((topic, index) => {
    const topicId = deriveTopicId(topic.name, index);
    for (const [name, value] of Object.entries(topic.configs ?? {}).sort()) {
      records.push({
        type: "ConfigRecord",
        resourceType: "TOPIC",
        resourceName: topic.name,
        name,
        value,
      });
    }
    records.push({ type: "TopicRecord", name: topic.name, topicId });
    topic.assignment.forEach((replicas, partitionId) => {
      records.push({
        type: "PartitionRecord",
        topicId,
        partitionId,
        replicas: replicas.slice(),
        isr: replicas.slice(),
        removingReplicas: [],
        addingReplicas: [],
        leader: replicas[0]!,
        leaderRecoveryState: "RECOVERED",
        leaderEpoch: 0,
        partitionEpoch: 0,
      });
    });
  });
  return records;
}

export function buildControllerCluster(spec: ClusterSpec = {}): ControllerCluster {
  const engine = new Engine({ seed: spec.seed ?? 1 });
  const events = engine.trace.record();
  const network = new Network(engine, {
    defaultLatencyUs: spec.latencyUs ?? 200,
    jitterUs: spec.jitterUs ?? 50,
  });
  const brokerIds = spec.brokers ?? [1, 2, 3];
  const voters = spec.voters ?? [4, 5, 6];
  const bootstrapLog = buildBootstrapLog(bootstrapRecords(spec));
  const hosts = new Map<string, Host>();
  const controllers = new Map<number, ControllerNode>();
  const brokers = new Map<number, FakeBroker>();
  for (const id of voters) {
    hosts.set(String(id), new Host(engine, network, hostSpec(String(id))));
    controllers.set(
      id,
      new ControllerNode({
        engine,
        network,
        nodeId: id,
        voters,
        version: spec.version ?? "4.1",
        staticConfig: spec.controllerConfig ?? {},
        bootstrapLog,
      }),
    );
  }
  for (const id of brokerIds) {
    hosts.set(String(id), new Host(engine, network, hostSpec(String(id))));
    const register = bootstrapLog.find(
      (e) => e.record.type === "RegisterBrokerRecord" && e.record.brokerId === id,
    );
    brokers.set(id, new FakeBroker(engine, network, id, voters, register?.offset ?? -1));
  }
  hosts.set("admin", new Host(engine, network, hostSpec("admin")));
  const admin = new AdminClient(engine, network, () => engine.now);

  const leaderByEpoch = new Map<number, number>();
  engine.trace.subscribe((event) => {
    if (event.type !== "raft.leader") return;
    const epoch = event.epoch as number;
    const leader = event.leader as number;
    const known = leaderByEpoch.get(epoch);
    assert(
      known === undefined || known === leader,
      `two leaders in epoch ${epoch}: ${known} and ${leader}`,
    );
    leaderByEpoch.set(epoch, leader);
  });
  engine.addInvariant("one-raft-leader-per-epoch", () => {
    const seen = new Map<number, number>();
    for (const node of controllers.values()) {
      const raft = node.role.raftSnapshot();
      if (!node.role.isRunning || raft.state !== "leader") continue;
      const other = seen.get(raft.epoch);
      if (other !== undefined) return `nodes ${other} and ${raft.nodeId} lead epoch ${raft.epoch}`;
      seen.set(raft.epoch, raft.nodeId);
      const announced = leaderByEpoch.get(raft.epoch);
      if (announced !== raft.nodeId) {
        return `node ${raft.nodeId} leads epoch ${raft.epoch}, announced ${announced}`;
      }
    }
    return undefined;
  });
  for (const host of hosts.values()) host.boot();
  return {
    engine,
    network,
    hosts,
    controllers,
    brokers,
    admin,
    voters,
    bootstrapLog,
    events,
    leaderByEpoch,
  };
}

/** The running controllers that believe they are active (normally exactly one). */
export function activeControllers(cluster: ControllerCluster): number[] {
  const active: number[] = [];
  for (const [id, node] of cluster.controllers) {
    if (cluster.hosts.get(String(id))!.isUp && node.role.isActiveController) active.push(id);
  }
  return active;
}

/** Crashes a node's host; a controller's role is told too, so its views stop claiming a role. */
export function crashNode(cluster: ControllerCluster, id: number, mode: "process" | "power"): void {
  cluster.hosts.get(String(id))!.crash(mode);
  cluster.controllers.get(id)?.role.crash();
}

/** Restarts a crashed node's host (its process gets process.start after the crash). */
export function restartNode(cluster: ControllerCluster, id: number): void {
  cluster.hosts.get(String(id))!.restart();
}

/** The one active controller's id; fails the test if there is not exactly one. */
export function activeController(cluster: ControllerCluster): number {
  const active = activeControllers(cluster);
  assert(active.length === 1, `expected one active controller, found [${active.join(",")}]`);
  return active[0]!;
}

/** Runs until `predicate` holds, at most `maxUs` more virtual time; fails if it never does. */
export function runUntil(
  cluster: ControllerCluster,
  predicate: () => boolean,
  maxUs: number,
): void {
  const outcome = cluster.engine.runUntilPredicate(predicate, cluster.engine.now + maxUs);
  assert(
    outcome.status === "predicate",
    `condition not reached by t=${cluster.engine.now}us (${outcome.status})`,
  );
}

/** Sends an admin request to the active controller and runs until the response arrives. */
export function adminCall(
  cluster: ControllerCluster,
  request: AdminRequest,
  maxUs = 5_000_000,
): { error: ControlError; results: AdminResponseMessage["results"]; t: number } {
  const correlationId = cluster.admin.send(activeController(cluster), request);
  runUntil(cluster, () => cluster.admin.responses.has(correlationId), maxUs);
  const response = cluster.admin.responses.get(correlationId)!;
  return { error: response.error, results: response.results, t: response.t };
}

/** Trace events of one type, optionally from one node. */
export function eventsOf(cluster: ControllerCluster, type: string, node?: string): TraceEvent[] {
  return cluster.events.filter((e) => e.type === type && (node === undefined || e.node === node));
}

/** A partition's state in the active controller's committed image. */
export function partitionOf(cluster: ControllerCluster, topic: string, partition: number) {
  const image = cluster.controllers.get(activeController(cluster))!.role.committedImage();
  return image.partition(topic, partition);
}
