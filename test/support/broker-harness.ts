/**
 * A small cluster for broker tests: the real Engine, Network and Hosts, N brokers, the fake
 * controller (test/support/fake-controller.ts), test producers that send ProduceRequests straight to
 * a broker and record what came back, and a driver for timed actions.
 *
 * The bootstrap metadata log is built as the cluster builder's will be: per broker a
 * RegisterBrokerRecord (broker epoch = its offset) and an UnfenceBrokerRecord, per topic a
 * TopicRecord, its ConfigRecords and one PartitionRecord per partition with ISR = replicas and the
 * first replica leading at epoch 0.
 */
import type { Actor, SimEvent } from "../../sim/engine/engine.ts";
import { Engine } from "../../sim/engine/engine.ts";
import type { TraceEvent } from "../../sim/engine/trace.ts";
import { DISK_PROFILES, NIC_PROFILES } from "../../sim/infra/hardware.ts";
import { type CrashMode, Host } from "../../sim/infra/host.ts";
import type { NetDelivery, NetDisconnect, NetMessage } from "../../sim/infra/network.ts";
import { Network } from "../../sim/infra/network.ts";
import { bootstrapMetadataLog } from "../../sim/kafka/bootstrap.ts";
import { Broker, type BrokerSnapshot } from "../../sim/kafka/broker/broker.ts";
import type { PartitionSnapshot } from "../../sim/kafka/broker/replica-manager.ts";
import { type ResolvedConfig, resolveBrokerConfig } from "../../sim/kafka/config.ts";
import { FIXED_ZERO_RNG } from "../../sim/kafka/metadata/placement.ts";
import {
  HEADER_BYTES,
  type ProduceRequest,
  type ProduceResponse,
} from "../../sim/kafka/protocol.ts";
import type { MetadataLogEntry } from "../../sim/kafka/protocol-control.ts";
import type { KafkaError, RecordBatch } from "../../sim/kafka/types.ts";
import type { KafkaVersion } from "../../sim/kafka/version.ts";
import { FakeController, type FakeControllerOptions } from "./fake-controller.ts";

export interface TopicSpec {
  readonly name: string;
  /** Replica lists, one per partition (the first replica leads at epoch 0). */
  readonly assignment: ReadonlyArray<readonly number[]>;
  readonly config?: Readonly<Record<string, string>>;
}

export interface HarnessOptions {
  readonly version?: KafkaVersion;
  readonly brokers?: number;
  readonly topics: readonly TopicSpec[];
  readonly brokerConfig?: Readonly<Record<string, unknown>>;
  readonly seed?: number;
  readonly latencyUs?: number;
  readonly disks?: number;
  readonly memoryBytes?: number;
  readonly producers?: readonly string[];
  readonly fake?: Partial<
    Pick<FakeControllerOptions, "elrEnabled" | "removeUncleanFromIsr" | "reregistration">
  >;
  /**
   * Voter ids listed before the fake controller (tests add actors for them before running), to
   * exercise how a broker finds the active controller.
   */
  readonly extraVoters?: readonly number[];
}

/** Builds the bootstrap metadata log (all committed, Raft epoch 1). */
export function bootstrapLog(
  brokerIds: readonly number[],
  topics: readonly TopicSpec[],
): MetadataLogEntry[] {
  const result = bootstrapMetadataLog(
    brokerIds.map((id) => ({ id, rack: null })),
    topics.map((t) => ({
      name: t.name,
      partitions: t.assignment.length,
      replicationFactor: t.assignment[0]?.length ?? 0,
      config: t.config ?? {},
      assignment: t.assignment,
    })),
    FIXED_ZERO_RNG,
  );
  if (!result.ok) throw new Error(`bad harness topic ${result.topic}: ${result.message}`);
  return result.log;
}

/** Runs closures at given virtual times (before model events at the same time if queued first). */
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

export interface SendOutcome {
  readonly id: number;
  readonly to: number;
  readonly topic: string;
  readonly partition: number;
  readonly acks: -1 | 0 | 1;
  readonly origin: string;
  readonly sentAtUs: number;
  error?: KafkaError | "DISCONNECTED";
  baseOffset?: number;
  respondedAtUs?: number;
}

export interface SendOptions {
  readonly topic?: string;
  readonly partition?: number;
  readonly acks: -1 | 0 | 1;
  readonly count?: number;
  readonly bytes?: number;
  readonly value?: string;
  /** Record key (every record of the batch); null keys when only a value is given. */
  readonly key?: string;
  readonly timeoutMs?: number;
}

/** A test producer: one ProduceRequest per send, straight to the broker named; no retries. */
export class TestProducer implements Actor {
  readonly outcomes: SendOutcome[] = [];
  private readonly byCorrelation = new Map<number, SendOutcome>();
  private correlation = 0;

  constructor(
    readonly id: string,
    private readonly engine: Engine,
    private readonly network: Network,
  ) {
    engine.register(this);
    network.addNode(id, { bandwidthBitsPerSec: 10_000_000_000 });
  }

  send(to: number, options: SendOptions): SendOutcome {
    const correlationId = ++this.correlation;
    const count = options.count ?? 1;
    const bytes = options.bytes ?? 100 * count;
    const origin = `${this.id}:${correlationId}`;
    const now = this.engine.now;
    const batch: Omit<RecordBatch, "baseOffset" | "leaderEpoch"> = {
      count,
      bytes,
      firstTimestampUs: now,
      maxTimestampUs: now,
      producerId: -1,
      producerEpoch: -1,
      baseSequence: -1,
      isTransactional: false,
      isControl: false,
      origin,
      ...(options.value === undefined && options.key === undefined
        ? {}
        : {
            keys: Array.from({ length: count }, () => options.key ?? null),
            values: Array.from({ length: count }, () => options.value ?? null),
          }),
    };
    const outcome: SendOutcome = {
      id: correlationId,
      to,
      topic: options.topic ?? "t",
      partition: options.partition ?? 0,
      acks: options.acks,
      origin,
      sentAtUs: now,
    };
    this.outcomes.push(outcome);
    this.byCorrelation.set(correlationId, outcome);
    const request: ProduceRequest = {
      type: "ProduceRequest",
      bytes: HEADER_BYTES + bytes,
      correlationId,
      clientId: this.id,
      acks: options.acks,
      timeoutMs: options.timeoutMs ?? 30000,
      partitions: [{ topic: outcome.topic, partition: outcome.partition, batch }],
    };
    this.network.send(this.id, String(to), request);
    return outcome;
  }

  handle(event: SimEvent): void {
    if (event.kind === "net.message") {
      const m = (event.payload as NetDelivery).message as ProduceResponse;
      if (m.type !== "ProduceResponse") return;
      const outcome = this.byCorrelation.get(m.correlationId);
      if (outcome === undefined) return;
      this.byCorrelation.delete(m.correlationId);
      const p = m.partitions[0]!;
      outcome.error = p.error;
      outcome.baseOffset = p.baseOffset;
      outcome.respondedAtUs = this.engine.now;
    } else if (event.kind === "net.disconnect") {
      const peer = (event.payload as NetDisconnect).peer;
      for (const [id, outcome] of [...this.byCorrelation]) {
        if (String(outcome.to) !== peer) continue;
        outcome.error = "DISCONNECTED";
        outcome.respondedAtUs = this.engine.now;
        this.byCorrelation.delete(id);
      }
    }
  }
}

/** A client that sends any request and keeps the response (consumer fetches, Metadata, ListOffsets). */
export class TestClient implements Actor {
  private correlation = 0;
  readonly responses = new Map<number, NetMessage>();

  constructor(
    readonly id: string,
    engine: Engine,
    private readonly network: Network,
  ) {
    engine.register(this);
    network.addNode(id, { bandwidthBitsPerSec: 10_000_000_000 });
  }

  /** Sends `message` with a fresh correlation id; returns a getter for the response. */
  call<R extends NetMessage>(
    to: number,
    message: Omit<NetMessage, "correlationId"> & Record<string, unknown>,
  ): () => R | undefined {
    const correlationId = ++this.correlation;
    this.network.send(this.id, String(to), { ...message, correlationId } as unknown as NetMessage);
    return () => this.responses.get(correlationId) as R | undefined;
  }

  handle(event: SimEvent): void {
    if (event.kind !== "net.message") return;
    const m = (event.payload as NetDelivery).message;
    this.responses.set(m.correlationId as number, m);
  }
}

export class BrokerHarness {
  readonly engine: Engine;
  readonly network: Network;
  readonly hosts = new Map<number, Host>();
  readonly brokers = new Map<number, Broker>();
  readonly controller: FakeController;
  readonly producers = new Map<string, TestProducer>();
  readonly client: TestClient;
  readonly config: ResolvedConfig;
  readonly controllerId: number;
  readonly trace: readonly TraceEvent[];
  private readonly driver: Driver;

  constructor(readonly options: HarnessOptions) {
    const version = options.version ?? "4.1";
    const count = options.brokers ?? 3;
    this.engine = new Engine({ seed: options.seed ?? 1 });
    this.trace = this.engine.trace.record();
    this.network = new Network(this.engine, {
      defaultLatencyUs: options.latencyUs ?? 200,
      jitterUs: 0,
    });
    this.driver = new Driver(this.engine);
    this.config = resolveBrokerConfig(version, options.brokerConfig ?? {}, { brokerCount: count });
    const ids = Array.from({ length: count }, (_, i) => i + 1);
    this.controllerId = count + 1;
    const bootstrap = bootstrapLog(ids, options.topics);
    this.controller = new FakeController(this.engine, this.network, {
      nodeId: this.controllerId,
      version,
      brokerConfig: this.config,
      bootstrap,
      ...options.fake,
    });
    for (const id of ids) {
      const host = new Host(this.engine, this.network, {
        name: String(id),
        disks: Array.from({ length: options.disks ?? 1 }, () => DISK_PROFILES.ssd),
        nic: NIC_PROFILES["10GbE"],
        memoryBytes: options.memoryBytes ?? 1024 * 1024 * 1024,
        cores: 4,
      });
      this.hosts.set(id, host);
      this.brokers.set(
        id,
        new Broker(this.engine, this.network, host, {
          brokerId: id,
          version,
          config: this.config,
          voters: [...(options.extraVoters ?? []), this.controllerId],
          bootstrap,
        }),
      );
    }
    for (const name of options.producers ?? ["producer"]) {
      this.producers.set(name, new TestProducer(name, this.engine, this.network));
    }
    this.client = new TestClient("client", this.engine, this.network);
    for (const host of this.hosts.values()) host.boot();
  }

  get now(): number {
    return this.engine.now;
  }

  broker(id: number): Broker {
    return this.brokers.get(id)!;
  }

  host(id: number): Host {
    return this.hosts.get(id)!;
  }

  producer(name = "producer"): TestProducer {
    return this.producers.get(name)!;
  }

  at(atUs: number, action: () => void): void {
    this.driver.at(atUs, action);
  }

  runUntil(timeUs: number): void {
    const outcome = this.engine.runUntil(timeUs);
    if (outcome.status === "bound") throw new Error(outcome.message);
  }

  runFor(durationUs: number): void {
    this.runUntil(this.engine.now + durationUs);
  }

  /** Runs until `predicate` holds, or fails after `limitUs` of virtual time. */
  runUntilTrue(predicate: () => boolean, limitUs: number, what = "condition"): void {
    const until = this.engine.now + limitUs;
    const outcome = this.engine.runUntilPredicate(predicate, until);
    if (outcome.status !== "predicate")
      throw new Error(`${what} not reached by t=${until}us (${outcome.status})`);
  }

  crash(id: number, mode: CrashMode = "process"): void {
    this.host(id).crash(mode);
  }

  restart(id: number): void {
    this.host(id).restart();
  }

  snapshot(id: number): BrokerSnapshot {
    return this.broker(id).snapshot();
  }

  replica(id: number, topic = "t", partition = 0): PartitionSnapshot | undefined {
    return this.snapshot(id).partitions.find((p) => p.topic === topic && p.partition === partition);
  }

  /** The controller's truth for a partition. */
  partitionState(topic = "t", partition = 0) {
    return this.controller.image.partition(topic, partition)!;
  }

  send(to: number, options: SendOptions, producer = "producer"): SendOutcome {
    return this.producer(producer).send(to, options);
  }

  /** Trace events of a type, optionally from one node. */
  events(type: string, node?: string): TraceEvent[] {
    return this.trace.filter((e) => e.type === type && (node === undefined || e.node === node));
  }

  /** The origins of the records in a replica's log, offset by offset (for checking data). */
  logOrigins(id: number, topic = "t", partition = 0): string[] {
    const out: string[] = [];
    for (const batch of this.broker(id).logBatches(topic, partition)) {
      for (let i = 0; i < batch.count; i++) out.push(`${batch.origin}#${i}@e${batch.leaderEpoch}`);
    }
    return out;
  }
}
