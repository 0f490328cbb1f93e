/**
 * A whole simulated Kafka cluster for scenario and property tests that need clients the scenario
 * runner does not run yet: the real Engine, Network and KafkaCluster (brokers and KRaft
 * controllers from one bootstrap log), synthetic producers recording into a HistoryRecorder, the
 * replica side of the history read from the trace (TraceHistoryReader), an admin client, a driver
 * for timed actions, and the end-of-run FinalState the checkers read.
 */

import { finalStateOfCluster } from "../../sim/check/final-state.ts";
import {
  type FinalState,
  type History,
  HistoryRecorder,
  TraceHistoryReader,
} from "../../sim/check/history.ts";
import { ADMIN_NODE, AdminClient } from "../../sim/client/admin.ts";
import {
  SyntheticProducer,
  type SyntheticProducerOptions,
} from "../../sim/client/synthetic-producer.ts";
import type { Actor, SimEvent } from "../../sim/engine/engine.ts";
import { Engine } from "../../sim/engine/engine.ts";
import type { TraceEvent } from "../../sim/engine/trace.ts";
import { DISK_PROFILES, NIC_PROFILES } from "../../sim/infra/hardware.ts";
import { type CrashMode, Host } from "../../sim/infra/host.ts";
import { Network } from "../../sim/infra/network.ts";
import { KafkaCluster, type MachineSpec } from "../../sim/kafka/cluster.ts";
import type { MetadataImage } from "../../sim/kafka/metadata/image.ts";
import type { KafkaVersion } from "../../sim/kafka/version.ts";

export interface WorldTopic {
  readonly name: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly config?: Readonly<Record<string, string>>;
  /** Replica lists per partition; absent: KRaft's striped placement. */
  readonly assignment?: ReadonlyArray<readonly number[]>;
}

export interface ClusterWorldOptions {
  readonly seed: number;
  readonly version?: KafkaVersion;
  readonly brokers: number;
  /** Dedicated: `count` controller nodes with ids brokers+1…; combined: the first min(3, N) brokers. */
  readonly controllers:
    | { readonly kind: "dedicated"; readonly count: number }
    | { kind: "combined" }
    /** ZooKeeper mode (versions before 4.0): an ensemble of `ensembleSize` servers. */
    | { readonly kind: "zookeeper"; readonly ensembleSize: number };
  readonly topics: readonly WorldTopic[];
  /** Broker configs (server.properties). */
  readonly config?: Readonly<Record<string, unknown>>;
  readonly latencyUs?: number;
  readonly jitterUs?: number;
  /** Keep every trace event in `trace` (off for long runs). */
  readonly recordTrace?: boolean;
}

export const DEFAULT_MACHINE: MachineSpec = {
  disks: [DISK_PROFILES.ssd],
  nic: NIC_PROFILES["10GbE"],
  memoryBytes: 16 * 1024 ** 3,
  cores: 8,
};

/** Runs closures at given virtual times (queued before model events of the same time if first). */
class Driver implements Actor {
  readonly id = "driver";
  private readonly actions: Array<() => void> = [];
  constructor(private readonly engine: Engine) {
    engine.register(this);
  }
  at(atUs: number, action: () => void): void {
    this.actions.push(action);
    this.engine.scheduleAt(atUs, this.id, "act", this.actions.length - 1);
  }
  handle(event: SimEvent): void {
    this.actions[event.payload as number]!();
  }
}

export class ClusterWorld {
  readonly engine: Engine;
  readonly network: Network;
  readonly cluster: KafkaCluster;
  readonly recorder = new HistoryRecorder();
  readonly trace: readonly TraceEvent[];
  readonly producers: SyntheticProducer[] = [];
  private readonly driver: Driver;
  private adminClient: AdminClient | undefined;

  constructor(readonly options: ClusterWorldOptions) {
    this.engine = new Engine({ seed: options.seed });
    this.trace = options.recordTrace === true ? this.engine.trace.record() : [];
    this.network = new Network(this.engine, {
      defaultLatencyUs: options.latencyUs ?? 100,
      jitterUs: options.jitterUs ?? 20,
    });
    // Timed actions first: at an equal time they run before model events.
    this.driver = new Driver(this.engine);
    const brokerIds = Array.from({ length: options.brokers }, (_, i) => i + 1);
    const controllers =
      options.controllers.kind === "dedicated"
        ? {
            kind: "dedicated" as const,
            ids: Array.from(
              { length: options.controllers.count },
              (_, i) => options.brokers + 1 + i,
            ),
          }
        : options.controllers.kind === "zookeeper"
          ? { kind: "zookeeper" as const, ensembleSize: options.controllers.ensembleSize }
          : { kind: "combined" as const, voterIds: brokerIds.slice(0, 3) };
    this.cluster = new KafkaCluster(this.engine, this.network, {
      version: options.version ?? "4.1",
      brokers: brokerIds.map((id) => ({ id, rack: null })),
      controllers,
      machine: DEFAULT_MACHINE,
      config: options.config ?? {},
      topics: options.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions,
        replicationFactor: t.replicationFactor,
        config: t.config ?? {},
        assignment: t.assignment ?? null,
      })),
    });
    const reader = new TraceHistoryReader(this.recorder);
    this.engine.trace.subscribe((e) => reader.observe(e));
    this.cluster.boot();
  }

  /** A synthetic producer on its own host, recording into this world's history; booted now. */
  addProducer(
    options: Omit<SyntheticProducerOptions, "history" | "bootstrap"> & {
      readonly bootstrap?: readonly number[];
    },
  ): SyntheticProducer {
    const producer = new SyntheticProducer(this.engine, this.network, {
      bootstrap: [...this.cluster.brokers.keys()],
      ...options,
      history: this.recorder,
    });
    producer.boot();
    this.producers.push(producer);
    return producer;
  }

  /** The admin client (its host is made on first use). */
  admin(): AdminClient {
    if (this.adminClient === undefined) {
      new Host(this.engine, this.network, { name: ADMIN_NODE, ...DEFAULT_MACHINE });
      this.adminClient = new AdminClient(this.engine, this.network, this.cluster.voters);
    }
    return this.adminClient;
  }

  at(atUs: number, action: () => void): void {
    this.driver.at(atUs, action);
  }

  crashAt(atUs: number, node: number, mode: CrashMode): void {
    this.at(atUs, () => this.cluster.crash(String(node), mode));
  }

  restartAt(atUs: number, node: number): void {
    this.at(atUs, () => this.cluster.restart(String(node)));
  }

  runUntil(timeUs: number): void {
    const outcome = this.engine.runUntil(timeUs);
    if (outcome.status === "bound") throw new Error(outcome.message);
  }

  /** The metadata truth (the active controller's committed image). */
  image(): MetadataImage {
    const image = this.cluster.activeImage();
    if (image === undefined) throw new Error(`no active controller at t=${this.engine.now}us`);
    return image;
  }

  /**
   * Every partition of every topic as it stands now: the controller's leader, and each replica's
   * log (the image's replicas that still host it, in id order) with its HW and LEO.
   */
  finalState(): FinalState {
    const state = finalStateOfCluster(this.cluster, this.engine.now);
    if (state === undefined) throw new Error("no active controller: no final state to read");
    return state;
  }

  /** The history with the final state taken now (call once, at the end). */
  history(): History {
    this.recorder.setFinal(this.finalState());
    return this.recorder.history(this.engine.now);
  }
}
