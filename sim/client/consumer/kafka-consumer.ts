/**
 * KafkaConsumer: the Java consumer as an actor on its own host, driven by a scripted application
 * (poll → up to max.poll.records records → processing time per record → maybe commit → poll).
 *
 * Models:
 * - subscribe(topics) (group membership through group-membership.ts) or assign(partitions) (no
 *   group; commits still go to the coordinator of group.id when one is set), seek, close;
 * - poll(): applies a finished join (onJoinComplete), starts a wanted rejoin (onJoinPrepare: the
 *   auto commit, then eager protocols revoke everything, cooperative ones keep their partitions),
 *   auto-commits every auto.commit.interval.ms (`maybeAutoCommitOffsetsAsync`: the positions of
 *   records already returned), brings positions up to date (committed offsets with OffsetFetch,
 *   auto.offset.reset with ListOffsets, KIP-320 validation with OffsetsForLeaderEpoch, each
 *   retried retry.backoff.ms after a failure), returns
 *   buffered records or waits for a fetch up to the poll timeout; fetches are sent only inside
 *   poll(), so a consumer busy processing prefetches at most one response per partition;
 * - brokers for metadata and FindCoordinator: NetworkClient's leastLoadedNode over the brokers of
 *   the latest metadata (least-loaded-node.ts), steering around brokers whose connection failed;
 * - commits: auto, commitSync (the application waits; retried, one attempt at a time and
 *   retry.backoff.ms apart, while the coordinator moves;
 *   CommitFailedException when the member is no longer in a stable generation, or the
 *   coordinator says ILLEGAL_GENERATION / UNKNOWN_MEMBER_ID), commitAsync, on revocation (a
 *   rebalance listener that commits, when the application has one), and on close;
 * - max.poll.interval.ms: a timer from each poll; the membership leaves the group when it fires;
 * - metadata: a MetadataRequest at start, after leader errors and every metadata.max.age.ms; a
 *   new leader or epoch sends a position to KIP-320 validation (2.1+ profiles).
 * What it records: each processed slice (PollRecord, when its processing ends: a crash mid-batch
 * leaves it undelivered), each acknowledged commit, each reset or seek, each rebalance. Trace:
 * `consumer.poll`, `consumer.assigned`, `consumer.revoked`, `consumer.reset`, `consumer.commit`,
 * `consumer.rebalance`, `consumer.exception`, and the membership's events.
 *
 * Simplifies: one request per purpose at a time; the auto commit before a rejoin is sent and the
 * JoinGroup follows on the same connection at once (Kafka waits for its answer); close() waits for
 * the batch in processing to finish; no pause/resume, no wakeup(), no interceptors; records carry
 * no payloads beyond the batch's origin. Faults it suffers: its host's crash (a restart starts a
 * new process: new member, positions from the committed offsets), lost messages and disconnects
 * (requests time out after request.timeout.ms), coordinator and leader moves.
 */
import { assert, assertSafeInt } from "../../engine/assert.ts";
import type { Actor, Engine, EventHandle, SimEvent } from "../../engine/engine.ts";
import { DISK_PROFILES, NIC_PROFILES } from "../../infra/hardware.ts";
import { Host, type HostSpec, type ProcessStart } from "../../infra/host.ts";
import type { NetDelivery, NetDisconnect, NetMessage, Network } from "../../infra/network.ts";
import {
  EARLIEST_TIMESTAMP,
  type FetchRequest,
  type FetchResponse,
  HEADER_BYTES,
  LATEST_TIMESTAMP,
  type ListOffsetsResponse,
  type MetadataResponse,
  type OffsetsForLeaderEpochResponse,
  PARTITION_ENTRY_BYTES,
} from "../../kafka/protocol.ts";
import type {
  ClientCoordinationMessage,
  OffsetCommitResponse,
  OffsetFetchResponse,
} from "../../kafka/protocol-clients.ts";
import type { KafkaError } from "../../kafka/types.ts";
import { tpKey } from "../../kafka/types.ts";
import { type KafkaVersion, versionProfile } from "../../kafka/version.ts";
import { type ConsumerGroupIo, ConsumerMembership } from "./consumer-membership.ts";
import { type DeliveredSlice, FETCH_METADATA_ERRORS, FetchBuffer, planFetches } from "./fetcher.ts";
import {
  type GroupIo,
  GroupMembership,
  type GroupTimerKind,
  type JoinResult,
} from "./group-membership.ts";
import { LeastLoadedNode } from "./least-loaded-node.ts";
import { ConsumerMetrics, type ConsumerMetricsSnapshot } from "./metrics.ts";
import { decideReset, type PartitionPosition, Positions, validatePosition } from "./positions.ts";
import { type ConsumerSettings, consumerSettings } from "./settings.ts";
import {
  type ConsumerApplication,
  type ConsumerException,
  type ConsumerHistorySink,
  DEFAULT_APPLICATION,
  type PolledRecords,
  RECOVERABLE_EXCEPTIONS,
  type ThrownException,
  type TopicPartitionRef,
} from "./types.ts";

export interface KafkaConsumerOptions {
  /** Client id, actor id and host name ("consumer-1"). */
  readonly clientId: string;
  readonly version: KafkaVersion;
  /** Broker ids for metadata and FindCoordinator (bootstrap.servers), tried in turn. */
  readonly bootstrap: readonly number[];
  /** Consumer configs by Kafka's names (group.id, auto.offset.reset, ...). */
  readonly config?: Readonly<Record<string, unknown>>;
  readonly app?: Partial<ConsumerApplication>;
  readonly history?: ConsumerHistorySink;
  /** The application starts polling at this time (after its process starts). Default 0. */
  readonly startAtUs?: number;
  readonly machine?: Omit<HostSpec, "name">;
}

export type CommitKind = "auto" | "sync" | "async" | "close" | "revoke";

type AppState =
  | "stopped"
  | "polling"
  | "processing"
  | "committing"
  | "closing"
  | "closed"
  | "failed";

type Intent =
  | { readonly kind: "none" }
  | { readonly kind: "subscribe"; readonly topics: readonly string[] }
  | { readonly kind: "assign"; readonly partitions: readonly TopicPartitionRef[] };

type CommitOffsets = ReadonlyArray<{
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly leaderEpoch: number;
}>;

type Correlation =
  | { readonly kind: "fetch"; readonly leader: number; readonly request: FetchRequest }
  | { readonly kind: "metadata"; readonly broker: number }
  | { readonly kind: "list-offsets"; readonly broker: number; readonly keys: readonly string[] }
  | { readonly kind: "epoch"; readonly broker: number; readonly keys: readonly string[] }
  | { readonly kind: "offset-fetch"; readonly broker: number; readonly keys: readonly string[] }
  | {
      readonly kind: "commit";
      readonly broker: number;
      readonly commit: CommitKind;
      readonly offsets: CommitOffsets;
      readonly generation: number;
    }
  | {
      readonly kind: "group";
      readonly broker: number;
      /** To the coordinator (JoinGroup, Heartbeat, ...), not a FindCoordinator to any broker. */
      readonly coordinator: boolean;
    };

interface Pending {
  readonly entry: Correlation;
  readonly sentAtUs: number;
  readonly timer: EventHandle;
}

type ConsumerEvent =
  | SimEvent<"process.start", ProcessStart>
  | SimEvent<"net.message", NetDelivery<NetMessage>>
  | SimEvent<"net.disconnect", NetDisconnect>
  | SimEvent<"consumer.start", { readonly life: number }>
  | SimEvent<"consumer.poll-wake", { readonly token: number }>
  | SimEvent<"consumer.processed", { readonly token: number }>
  | SimEvent<"consumer.worker", { readonly token: number }>
  | SimEvent<"consumer.request-timeout", { readonly correlationId: number }>
  | SimEvent<"consumer.metadata-refresh", { readonly life: number }>
  | SimEvent<"consumer.retry", null>
  | SimEvent<"consumer.poll-timeout", { readonly token: number }>
  | SimEvent<
      "consumer.coordinator-disconnect",
      { readonly life: number; readonly correlationIds: readonly number[] }
    >
  | SimEvent<GroupTimerKind, null>;

/** A slice handed to the application, with the generation it was fetched under. */
interface Delivered {
  readonly slice: DeliveredSlice;
  readonly generation: number;
}

function parseTpKey(key: string): { topic: string; partition: number } {
  const i = key.lastIndexOf("-");
  return { topic: key.slice(0, i), partition: Number(key.slice(i + 1)) };
}

function tpList(tps: readonly TopicPartitionRef[]): string {
  return tps.map((tp) => tpKey(tp.topic, tp.partition)).join(",");
}

export class KafkaConsumer implements Actor {
  readonly id: string;
  readonly host: Host;
  readonly settings: ConsumerSettings;
  readonly app: ConsumerApplication;
  private intent: Intent = { kind: "none" };
  private readonly seeks = new Map<string, number>();
  private readonly thrown: ThrownException[] = [];
  private readonly metrics = new ConsumerMetrics();

  // ---- per process life (reset at each start)
  private life = 0;
  private positions = new Positions();
  private buffer = new FetchBuffer();
  /** The classic membership, or KIP-848's with group.protocol=consumer. */
  private group: GroupMembership | ConsumerMembership | undefined;
  private readonly correlations = new Map<number, Pending>();
  private nextCorrelation = 1;
  private readonly fetchInFlight = new Set<number>();
  /** A broker whose fetch failed (disconnect, timeout) is not fetched from until this time. */
  private readonly nodeBackoffUntilUs = new Map<number, number>();
  private readonly leaders = new Map<string, { leader: number; epoch: number }>();
  private readonly partitionCounts = new Map<string, number>();
  private groupTopics: readonly string[] = [];
  private leaderSnapshot = new Map<string, number>();
  private metadataInFlight = false;
  private metadataWanted = false;
  private retryArmed = false;
  /** Brokers of the latest metadata (ascending ids); empty until the first answer. */
  private liveBrokers: readonly number[] = [];
  private nodes: LeastLoadedNode;
  private appState: AppState = "stopped";
  private token = 0;
  private pollDeadlineUs = 0;
  private pollTimer: EventHandle | undefined;
  private pollTimeoutTimer: EventHandle | undefined;
  private nextAutoCommitUs = 0;
  private pendingJoin: JoinResult | undefined;
  private pendingException: ThrownException | undefined;
  private processing: Delivered[] = [];
  private readonly workerQueue: Delivered[] = [];
  private workerBusy = false;
  private workerChunk: Delivered[] = [];
  private closeRequested = false;
  /**
   * The application's commitSync under way: its offsets, its deadline (default.api.timeout.ms),
   * the correlation id of its OffsetCommit in flight (-1: none) and the earliest retry time
   * (retry.backoff.ms after a failed attempt, as ConsumerCoordinator.commitOffsetsSync sleeps).
   */
  private syncCommit:
    | {
        readonly offsets: CommitOffsets;
        readonly deadlineUs: number;
        inFlight: number;
        notBeforeUs: number;
      }
    | undefined;

  constructor(
    private readonly engine: Engine,
    private readonly network: Network,
    private readonly options: KafkaConsumerOptions,
  ) {
    this.id = options.clientId;
    assert(options.bootstrap.length > 0, "a consumer needs at least one bootstrap broker");
    this.settings = consumerSettings(options.version, options.config ?? {});
    this.app = { ...DEFAULT_APPLICATION, ...options.app };
    this.nodes = this.newNodeSelector();
    assertSafeInt(this.app.processingUsPerRecord, "processingUsPerRecord");
    // poll(0) in a loop would spin at one virtual instant: the script needs a real timeout.
    assert(this.app.pollTimeoutMs >= 1, "pollTimeoutMs must be ≥ 1");
    assert(this.app.workerChunkRecords >= 1, "workerChunkRecords must be ≥ 1");
    this.host = new Host(engine, network, {
      name: options.clientId,
      ...(options.machine ?? {
        disks: [DISK_PROFILES.ssd],
        nic: NIC_PROFILES["10GbE"],
        memoryBytes: 16 * 1024 ** 3,
        cores: 8,
      }),
    });
    engine.register(this);
  }

  // ---------------------------------------------------------------- public API

  /** Starts the consumer's machine; the application starts polling at startAtUs. */
  boot(): void {
    this.host.boot();
  }

  /** KafkaConsumer.subscribe: group-managed assignment of these topics. */
  subscribe(topics: readonly string[]): void {
    assert(this.settings.groupId !== null, "subscribe() needs a group.id");
    assert(this.intent.kind !== "assign", "subscribe() after assign() (IllegalStateException)");
    this.intent = { kind: "subscribe", topics: [...topics].sort() };
    if (this.group !== undefined) this.group.requestRejoin("subscription changed");
    this.requestMetadata();
  }

  /** KafkaConsumer.assign: these partitions, no group membership. */
  assign(partitions: readonly TopicPartitionRef[]): void {
    assert(this.intent.kind !== "subscribe", "assign() after subscribe() (IllegalStateException)");
    this.intent = { kind: "assign", partitions: [...partitions] };
    if (this.appState === "stopped" && this.life === 0) return;
    const keep = new Set(partitions.map((tp) => tpKey(tp.topic, tp.partition)));
    const gone = this.positions.all().filter((p) => !keep.has(tpKey(p.topic, p.partition)));
    this.dropPartitions(gone);
    this.addPartitions(partitions);
    this.requestMetadata();
  }

  /** KafkaConsumer.seek: the next poll returns records from `offset` (no validation). */
  seek(tp: TopicPartitionRef, offset: number): void {
    assertSafeInt(offset, "seek offset");
    const key = tpKey(tp.topic, tp.partition);
    const p = this.positions.get(tp.topic, tp.partition);
    if (p === undefined) {
      // Not assigned yet: applied when it is (the application seeks after assign()).
      this.seeks.set(key, offset);
      return;
    }
    this.applySeek(p, offset);
  }

  /** KafkaConsumer.close: after the batch in processing, commit (auto commit), leave, stop. */
  close(): void {
    if (this.appState === "closed" || this.appState === "closing") return;
    this.closeRequested = true;
    if (this.appState === "polling" || this.appState === "stopped" || this.appState === "failed")
      this.runClose();
  }

  /** KafkaConsumer.commitAsync() from outside the loop: commits the positions returned so far. */
  commitAsync(): void {
    if (this.life === 0 || this.appState === "closed") return;
    this.commit("async", this.positions.allConsumed());
  }

  /**
   * Forget the positions and fetched records of every assigned partition and start again from
   * the group's committed offsets (a stream processor after an aborted transaction: Kafka
   * Streams closes its tasks dirty and reinitialises them from the committed offsets).
   */
  rewindToCommitted(): void {
    if (this.life === 0) return;
    for (const p of this.positions.all()) {
      this.buffer.drop(p.topic, p.partition);
      if (p.busy) continue; // a lookup in flight sets it
      const from = p.offset;
      p.state = "initializing";
      p.offset = -1;
      this.traceReset(p, from, -1, "rewind-to-committed");
    }
    this.updatePositions();
  }

  /** The positions after the records returned so far (what a commit of them would send). */
  consumedOffsets(): ReadonlyArray<{ topic: string; partition: number; offset: number }> {
    return this.positions.allConsumed();
  }

  /** The exceptions thrown to the application so far. */
  exceptions(): readonly ThrownException[] {
    return this.thrown;
  }

  /** The position of an assigned partition (-1 when it has none yet), or undefined. */
  position(tp: TopicPartitionRef): number | undefined {
    return this.positions.get(tp.topic, tp.partition)?.offset;
  }

  assignment(): TopicPartitionRef[] {
    return this.positions.all().map((p) => ({ topic: p.topic, partition: p.partition }));
  }

  snapshot(): {
    readonly clientId: string;
    readonly state: string;
    readonly memberId: string;
    readonly generation: number;
    readonly assignment: readonly string[];
    readonly positions: Readonly<Record<string, number>>;
    readonly lag: Readonly<Record<string, number>>;
    readonly metrics: ConsumerMetricsSnapshot;
  } {
    const positions: Record<string, number> = {};
    const lag: Record<string, number> = {};
    for (const p of this.positions.all()) {
      const key = tpKey(p.topic, p.partition);
      positions[key] = p.offset;
      if (p.highWatermark >= 0 && p.offset >= 0) lag[key] = Math.max(0, p.highWatermark - p.offset);
    }
    return {
      clientId: this.id,
      state: this.appState,
      memberId: this.group?.memberId ?? "",
      generation: this.group?.generation ?? -1,
      assignment: this.positions.all().map((p) => tpKey(p.topic, p.partition)),
      positions,
      lag,
      metrics: this.metrics.snapshot(),
    };
  }

  // ---------------------------------------------------------------- events

  handle(event: SimEvent): void {
    const e = event as ConsumerEvent;
    switch (e.kind) {
      case "process.start":
        return this.start();
      case "net.message":
        return this.onMessage(e.payload.from, e.payload.message);
      case "net.disconnect":
        return this.onDisconnect(Number(e.payload.peer));
      case "consumer.start":
        if (e.payload.life === this.life && this.appState === "stopped") this.poll();
        return;
      case "consumer.poll-wake":
        if (e.payload.token === this.token && this.appState === "polling") this.tryReturn();
        return;
      case "consumer.processed":
        if (e.payload.token === this.token && this.appState === "processing") this.processingDone();
        return;
      case "consumer.worker":
        if (e.payload.token === this.life) this.workerChunkDone();
        return;
      case "consumer.request-timeout":
        return this.onRequestTimeout(e.payload.correlationId);
      case "consumer.metadata-refresh":
        if (e.payload.life !== this.life) return;
        this.requestMetadata();
        this.engine.schedule(
          this.settings.metadataMaxAgeMs * 1000,
          this.id,
          "consumer.metadata-refresh",
          { life: this.life },
        );
        return;
      case "consumer.retry":
        this.retryArmed = false;
        if (this.metadataWanted) this.requestMetadata();
        this.retrySyncCommit();
        if (this.appState === "polling") this.tryReturn();
        else this.updatePositions();
        return;
      case "consumer.coordinator-disconnect":
        if (e.payload.life === this.life) this.failCoordinatorRequests(e.payload.correlationIds);
        return;
      case "consumer.poll-timeout":
        if (e.payload.token === this.life) {
          this.pollTimeoutTimer = undefined;
          this.group?.pollTimeoutExpired();
        }
        return;
      case "group.heartbeat":
      case "group.find-retry":
      case "group.join-retry":
        this.group?.onTimer(e.kind);
        return;
      default:
        assert(false, () => `consumer ${this.id}: unknown event ${(e as SimEvent).kind}`);
    }
  }

  /** A new process: nothing survives but the application's intent (subscribe/assign, seeks). */
  private start(): void {
    this.life++;
    this.positions = new Positions();
    this.buffer = new FetchBuffer();
    this.correlations.clear();
    this.fetchInFlight.clear();
    this.nodeBackoffUntilUs.clear();
    this.leaders.clear();
    this.partitionCounts.clear();
    this.groupTopics = [];
    this.metadataInFlight = false;
    this.metadataWanted = false;
    this.retryArmed = false;
    this.liveBrokers = [];
    this.nodes = this.newNodeSelector();
    this.appState = "stopped";
    this.pendingJoin = undefined;
    this.pendingException = undefined;
    this.processing = [];
    this.workerQueue.length = 0;
    this.workerBusy = false;
    this.workerChunk = [];
    this.closeRequested = false;
    this.syncCommit = undefined;
    this.pollTimeoutTimer = undefined;
    this.nextAutoCommitUs = this.engine.now + this.settings.autoCommitIntervalMs * 1000;
    const groupId = this.settings.groupId;
    this.group =
      groupId === null
        ? undefined
        : this.settings.groupProtocol === "consumer"
          ? new ConsumerMembership(this.consumerGroupIo(), this.settings, groupId, this.id)
          : new GroupMembership(this.groupIo(), this.settings, groupId, this.id);
    if (this.group !== undefined && this.intent.kind !== "subscribe") {
      this.group.rejoinNeeded = false;
    }
    if (this.intent.kind === "assign") this.addPartitions(this.intent.partitions);
    this.requestMetadata();
    this.engine.schedule(
      this.settings.metadataMaxAgeMs * 1000,
      this.id,
      "consumer.metadata-refresh",
      {
        life: this.life,
      },
    );
    const at = Math.max(this.engine.now, this.options.startAtUs ?? 0);
    this.engine.scheduleAt(at, this.id, "consumer.start", { life: this.life });
  }

  private groupIo(): GroupIo {
    return {
      now: () => this.engine.now,
      send: (broker, build) => this.sendGroupRequest(broker, build),
      bootstrapBroker: () => this.leastLoadedBroker(),
      disconnect: (broker) => this.disconnectCoordinator(broker),
      timer: (delayUs, kind) => {
        this.engine.schedule(delayUs, this.id, kind, null);
      },
      emit: (type, fields) => this.emit(type, fields),
      partitionCounts: (topics) => {
        const counts = new Map<string, number>();
        for (const t of topics) {
          const n = this.partitionCounts.get(t);
          if (n !== undefined) counts.set(t, n);
        }
        return counts;
      },
      wantTopics: (topics) => {
        this.groupTopics = topics;
        if (topics.some((t) => !this.partitionCounts.has(t))) this.requestMetadata();
      },
      joined: (result) => {
        this.pendingJoin = result;
        if (this.appState === "polling") this.tryReturn();
      },
      lost: (why) => this.losePartitions(why),
      fatal: (exception, error) => {
        this.pendingException = { atUs: this.engine.now, exception, error };
        if (this.appState === "polling") this.tryReturn();
      },
    };
  }

  /** The KIP-848 membership's view of the consumer: the classic one's, with its own requests. */
  private consumerGroupIo(): ConsumerGroupIo {
    return {
      ...this.groupIo(),
      send: (broker, build) => this.sendGroupRequest(broker, build),
    };
  }

  private sendGroupRequest(broker: number, build: (correlationId: number) => NetMessage): number {
    const correlationId = this.nextCorrelation++;
    const message = build(correlationId);
    const coordinator = message.type !== "FindCoordinatorRequest";
    this.sendRequest(broker, message, { kind: "group", broker, coordinator });
    return correlationId;
  }

  private emit(type: string, fields: Record<string, string | number | boolean | null> = {}): void {
    this.engine.trace.emit(type, this.id, { client: this.id, ...fields });
  }

  private newNodeSelector(): LeastLoadedNode {
    return new LeastLoadedNode(
      this.settings.reconnectBackoffMs * 1000,
      this.settings.reconnectBackoffMaxMs * 1000,
    );
  }

  /**
   * Kafka's leastLoadedNode over the brokers of the latest metadata; the bootstrap list before
   * any metadata, or when every broker it lists is backing off (KIP-899's rebootstrap, here at
   * once rather than after metadata.recovery.rebootstrap.trigger.ms, and in every profile).
   */
  private leastLoadedBroker(): number {
    const now = this.engine.now;
    const reachable = this.liveBrokers.some((b) => !this.nodes.backingOff(b, now));
    const candidates = reachable ? this.liveBrokers : this.options.bootstrap;
    return this.nodes.pick(candidates, (broker) => this.inFlightTo(broker), now);
  }

  private inFlightTo(broker: number): number {
    let n = 0;
    for (const pending of this.correlations.values()) if (brokerOf(pending.entry) === broker) n++;
    return n;
  }

  /**
   * markCoordinatorUnknown's disconnect: the coordinator requests in flight to `broker` fail with
   * a disconnect at the next event (Kafka: at the next poll of the network client), and the
   * broker backs off. Fetches to it are not touched: Kafka's coordinator connection is its own.
   */
  private disconnectCoordinator(broker: number): void {
    this.nodes.failed(broker, this.engine.now);
    const correlationIds: number[] = [];
    for (const [correlationId, pending] of this.correlations) {
      const entry = pending.entry;
      if (brokerOf(entry) !== broker) continue;
      if (entry.kind === "commit" || entry.kind === "offset-fetch")
        correlationIds.push(correlationId);
      else if (entry.kind === "group" && entry.coordinator) correlationIds.push(correlationId);
    }
    if (correlationIds.length === 0) return;
    this.engine.schedule(0, this.id, "consumer.coordinator-disconnect", {
      life: this.life,
      correlationIds,
    });
  }

  private failCoordinatorRequests(correlationIds: readonly number[]): void {
    for (const correlationId of correlationIds) {
      const pending = this.correlations.get(correlationId);
      if (pending === undefined) continue; // answered or failed meanwhile
      this.correlations.delete(correlationId);
      this.engine.cancel(pending.timer);
      this.requestFailed(correlationId, pending, "NETWORK_EXCEPTION");
    }
  }

  // ---------------------------------------------------------------- the application loop

  /** The application calls poll(). */
  private poll(): void {
    if (this.closeRequested) return this.runClose();
    const now = this.engine.now;
    this.appState = "polling";
    this.token++;
    this.armPollTimeout();
    const group = this.group;
    if (group !== undefined && this.intent.kind === "subscribe") {
      if (this.pendingJoin !== undefined) this.applyJoin();
      if (group.rejoinNeeded && !group.joining) this.prepareAndJoin();
      else group.ensureCoordinator();
    }
    this.maybeAutoCommit(now);
    this.pollDeadlineUs = now + this.app.pollTimeoutMs * 1000;
    this.tryReturn();
  }

  /** Inside poll: return records if there are any, or when the poll timeout is reached. */
  private tryReturn(): void {
    if (this.appState !== "polling") return;
    if (this.pendingJoin !== undefined && this.intent.kind === "subscribe") this.applyJoin();
    this.updatePositions();
    if (this.pendingException !== undefined) return this.throwToApp();
    const delivered: Delivered[] = [];
    const generation = this.group?.generation ?? -1;
    for (const slice of this.buffer.drain(this.settings.maxPollRecords, (t, p) => {
      const pos = this.positions.get(t, p);
      return pos !== undefined && pos.state === "fetching" ? pos.offset : undefined;
    })) {
      const p = this.positions.get(slice.topic, slice.partition)!;
      p.offset = slice.nextOffset;
      if (slice.lastEpoch >= 0) p.offsetEpoch = slice.lastEpoch;
      if (p.highWatermark >= 0) this.metrics.lag(Math.max(0, p.highWatermark - p.offset));
      if (slice.count > 0) delivered.push({ slice, generation });
    }
    this.sendFetches();
    if (delivered.length > 0) return this.deliver(delivered);
    const now = this.engine.now;
    if (now >= this.pollDeadlineUs) {
      // poll() returned nothing; the loop (or the application's code) calls it again.
      this.engine.cancel(this.pollTimer);
      this.pollTimer = undefined;
      if (this.app.onRecords !== undefined) return this.runApplication([]);
      return this.poll();
    }
    this.engine.cancel(this.pollTimer);
    this.pollTimer = this.engine.scheduleAt(this.pollDeadlineUs, this.id, "consumer.poll-wake", {
      token: this.token,
    });
  }

  private deliver(delivered: Delivered[]): void {
    this.engine.cancel(this.pollTimer);
    this.pollTimer = undefined;
    let records = 0;
    for (const d of delivered) records += d.slice.count;
    this.metrics.recordsConsumed(records);
    this.emit("consumer.poll", {
      group: this.settings.groupId,
      generation: delivered[0]!.generation,
      records,
      slices: delivered
        .map((d) => `${tpKey(d.slice.topic, d.slice.partition)}@${d.slice.offset}+${d.slice.count}`)
        .join(","),
    });
    if (this.app.mode === "async") {
      this.workerQueue.push(...delivered);
      this.startWorker();
      this.appState = "stopped";
      return this.afterBatch();
    }
    this.processing = delivered;
    this.appState = "processing";
    this.token++;
    this.engine.schedule(records * this.app.processingUsPerRecord, this.id, "consumer.processed", {
      token: this.token,
    });
  }

  private processingDone(): void {
    for (const d of this.processing) this.recordPoll(d.slice, d.generation, d.slice.count);
    const delivered = this.processing;
    this.processing = [];
    if (this.app.onRecords !== undefined) {
      return this.runApplication(
        delivered.map((d) => ({
          topic: d.slice.topic,
          partition: d.slice.partition,
          runs: d.slice.runs,
          nextOffset: d.slice.nextOffset,
        })),
      );
    }
    this.afterBatch();
  }

  /** The application's own code after a poll; the loop goes on when it calls `resume`. */
  private runApplication(records: PolledRecords[]): void {
    this.appState = "processing";
    const life = this.life;
    const token = ++this.token;
    this.app.onRecords!(records, (commit) => {
      if (this.life !== life || this.token !== token || this.appState !== "processing") return;
      if (this.closeRequested) return this.runClose();
      if (commit) return this.commitSync();
      this.poll();
    });
  }

  /** After a batch: the manual commit the application makes, then the next poll. */
  private afterBatch(): void {
    if (this.closeRequested) return this.runClose();
    if (this.app.mode === "async" && this.queuedRecords() > this.app.maxQueuedRecords) {
      this.appState = "stopped"; // the worker wakes the loop when it has caught up
      return;
    }
    if (this.app.commit === "async") this.commit("async", this.positions.allConsumed());
    if (this.app.commit === "sync") return this.commitSync();
    this.poll();
  }

  private queuedRecords(): number {
    let n = 0;
    for (const d of this.workerQueue) n += d.slice.count;
    return n;
  }

  /** The async worker: processes queued records in chunks, recording each chunk when done. */
  private startWorker(): void {
    if (this.workerBusy || this.workerQueue.length === 0) return;
    const chunk: Delivered[] = [];
    let left = this.app.workerChunkRecords;
    while (left > 0 && this.workerQueue.length > 0) {
      const head = this.workerQueue[0]!;
      if (head.slice.count <= left) {
        chunk.push(head);
        left -= head.slice.count;
        this.workerQueue.shift();
      } else {
        // Split the slice: the first `left` records now, the rest later.
        const s = head.slice;
        chunk.push({
          generation: head.generation,
          slice: { ...s, count: left, nextOffset: s.offset + left },
        });
        this.workerQueue[0] = {
          generation: head.generation,
          slice: { ...s, offset: s.offset + left, count: s.count - left },
        };
        left = 0;
      }
    }
    let records = 0;
    for (const d of chunk) records += d.slice.count;
    this.workerBusy = true;
    this.workerChunk = chunk;
    this.engine.schedule(records * this.app.processingUsPerRecord, this.id, "consumer.worker", {
      token: this.life,
    });
  }

  private workerChunkDone(): void {
    for (const d of this.workerChunk) this.recordPoll(d.slice, d.generation, d.slice.count);
    this.workerChunk = [];
    this.workerBusy = false;
    this.startWorker();
    if (this.appState === "stopped" && this.queuedRecords() <= this.app.maxQueuedRecords) {
      if (this.life > 0 && !this.closeRequested && this.engine.now >= (this.options.startAtUs ?? 0))
        this.poll();
    }
  }

  private recordPoll(slice: DeliveredSlice, generation: number, count: number): void {
    this.options.history?.poll({
      consumer: this.id,
      group: this.settings.groupId,
      generation,
      topic: slice.topic,
      partition: slice.partition,
      offset: slice.offset,
      count,
      nextOffset: slice.nextOffset,
      ...(slice.origins.length > 0 ? { origins: slice.origins } : {}),
      atUs: this.engine.now,
      isolation: this.settings.isolationLevel,
      session: this.life,
    });
  }

  /** An exception reaches the application: recoverable ones are logged, others end the loop. */
  private throwToApp(): void {
    const ex = this.pendingException!;
    this.pendingException = undefined;
    this.raise(ex);
    if (RECOVERABLE_EXCEPTIONS.has(ex.exception)) return this.poll();
    this.appState = "failed";
    this.engine.cancel(this.pollTimer);
  }

  private raise(ex: ThrownException): void {
    this.thrown.push(ex);
    this.emit("consumer.exception", {
      exception: ex.exception,
      topic: ex.topic ?? null,
      partition: ex.partition ?? null,
      offset: ex.offset ?? null,
      error: ex.error ?? null,
    });
  }

  private armPollTimeout(): void {
    if (this.group === undefined || this.intent.kind !== "subscribe") return;
    this.engine.cancel(this.pollTimeoutTimer);
    this.pollTimeoutTimer = this.engine.schedule(
      this.settings.maxPollIntervalMs * 1000,
      this.id,
      "consumer.poll-timeout",
      { token: this.life },
    );
  }

  // ---------------------------------------------------------------- rebalancing

  /** onJoinPrepare, then JoinGroup. */
  private prepareAndJoin(): void {
    const group = this.group!;
    if (this.settings.enableAutoCommit && group.stableGeneration() !== null)
      this.commit("auto", this.positions.allConsumed());
    const owned = this.assignment();
    if (group.generation < 0 && owned.length > 0) this.losePartitions("generation lost");
    else if (group.protocol === "EAGER" && owned.length > 0) this.revoke(owned);
    const topics = this.intent.kind === "subscribe" ? this.intent.topics : [];
    group.startJoin(topics, this.assignment());
  }

  /** onJoinComplete: the new assignment; cooperative members revoke what moved and rejoin. */
  private applyJoin(): void {
    const result = this.pendingJoin!;
    this.pendingJoin = undefined;
    const group = this.group!;
    const assigned = new Set(result.assignment.map((tp) => tpKey(tp.topic, tp.partition)));
    const owned = this.assignment();
    const revoked = owned.filter((tp) => !assigned.has(tpKey(tp.topic, tp.partition)));
    const added = result.assignment.filter((tp) => !this.positions.has(tp));
    // KIP-848 with auto commit: the consumed offsets are committed before partitions are revoked.
    if (group instanceof ConsumerMembership && revoked.length > 0 && this.settings.enableAutoCommit)
      this.commit("auto", this.positions.allConsumed());
    if (revoked.length > 0) this.revoke(revoked);
    this.addPartitions(added);
    const latencyUs = this.engine.now - result.startedAtUs;
    this.metrics.rebalance(latencyUs);
    this.emit("consumer.assigned", {
      generation: result.generation,
      memberId: result.memberId,
      protocol: group.protocol,
      assignor: result.protocolName,
      added: tpList(added),
      assignment: tpList(this.assignment()),
      rebalanceLatencyMs: latencyUs / 1000,
    });
    this.options.history?.rebalance({
      consumer: this.id,
      group: this.settings.groupId!,
      generation: result.generation,
      memberId: result.memberId,
      protocol: group.protocol,
      assigned: result.assignment,
      revoked,
      startedAtUs: result.startedAtUs,
      atUs: this.engine.now,
    });
    if (result.isLeader) {
      this.leaderSnapshot = new Map();
      for (const t of group.leaderTopics())
        this.leaderSnapshot.set(t, this.partitionCounts.get(t) ?? 0);
    }
    if (group instanceof ConsumerMembership) group.acknowledge(this.assignment());
    else if (group.protocol === "COOPERATIVE" && revoked.length > 0)
      group.requestRejoin("need to revoke partitions and re-join");
    this.requestMetadata();
  }

  /** onPartitionsRevoked: the listener's commit (if any), then the partitions go. */
  private revoke(partitions: readonly TopicPartitionRef[]): void {
    if (this.app.commitOnRevoke) {
      const keys = new Set(partitions.map((tp) => tpKey(tp.topic, tp.partition)));
      const offsets = this.positions
        .allConsumed()
        .filter((o) => keys.has(tpKey(o.topic, o.partition)));
      if (offsets.length > 0) this.commit("revoke", offsets);
    }
    this.emit("consumer.revoked", {
      generation: this.group?.generation ?? -1,
      partitions: tpList(partitions),
      lost: false,
    });
    this.dropPartitions(partitions);
  }

  /** onPartitionsLost: the generation is gone, so nothing is committed. */
  private losePartitions(why: string): void {
    const owned = this.assignment();
    if (owned.length === 0) return;
    this.emit("consumer.revoked", {
      generation: this.group?.generation ?? -1,
      partitions: tpList(owned),
      lost: true,
      why,
    });
    this.dropPartitions(owned);
  }

  private addPartitions(partitions: readonly TopicPartitionRef[]): void {
    this.positions.add(partitions);
    for (const tp of partitions) {
      const p = this.positions.get(tp.topic, tp.partition)!;
      const known = this.leaders.get(tpKey(tp.topic, tp.partition));
      if (known !== undefined) {
        p.leader = known.leader;
        p.leaderEpoch = known.epoch;
      }
      const seek = this.seeks.get(tpKey(tp.topic, tp.partition));
      if (seek !== undefined) this.applySeek(p, seek);
    }
  }

  private dropPartitions(partitions: readonly TopicPartitionRef[]): void {
    for (const tp of partitions) this.buffer.drop(tp.topic, tp.partition);
    this.positions.remove(partitions);
  }

  private applySeek(p: PartitionPosition, offset: number): void {
    const from = p.offset;
    this.positions.seek(p, offset, -1, false);
    this.buffer.drop(p.topic, p.partition);
    this.traceReset(p, from, offset, "seek");
    this.options.history?.reset({
      consumer: this.id,
      group: this.settings.groupId,
      generation: this.group?.generation ?? -1,
      topic: p.topic,
      partition: p.partition,
      offset,
      atUs: this.engine.now,
      strategy: "seek",
    });
  }

  private traceReset(p: PartitionPosition, from: number, to: number, why: string): void {
    this.emit("consumer.reset", { topic: p.topic, partition: p.partition, from, to, why });
  }

  // ---------------------------------------------------------------- commits

  private maybeAutoCommit(now: number): void {
    if (!this.settings.enableAutoCommit || this.group === undefined) return;
    if (now < this.nextAutoCommitUs) return;
    // ConsumerCoordinator.poll returns before its auto commit while the join is incomplete: the
    // commit waits (its deadline unchanged) for the next poll in a stable generation.
    if (this.intent.kind === "subscribe" && this.group.stableGeneration() === null) return;
    this.nextAutoCommitUs = now + this.settings.autoCommitIntervalMs * 1000;
    const offsets = this.positions.allConsumed();
    if (offsets.length > 0) this.commit("auto", offsets);
  }

  /** The application's commitSync(): it waits for the answer (retrying coordinator moves). */
  private commitSync(): void {
    const offsets = this.positions.allConsumed();
    if (offsets.length === 0) return this.poll();
    this.appState = "committing";
    this.syncCommit = {
      offsets,
      deadlineUs: this.engine.now + this.settings.defaultApiTimeoutMs * 1000,
      inFlight: -1,
      notBeforeUs: 0,
    };
    this.commit("sync", offsets);
  }

  /** Sends an OffsetCommit; false when it could not be sent (the reason is traced or thrown). */
  private commit(kind: CommitKind, offsets: CommitOffsets): boolean {
    const group = this.group;
    if (group === undefined || offsets.length === 0) return false;
    let generation = -1;
    let memberId = "";
    if (this.intent.kind === "subscribe") {
      const stable = group.stableGeneration();
      if (stable === null) {
        // ConsumerCoordinator.sendOffsetCommitRequest: not in an active group.
        const exception: ConsumerException = group.rebalancing
          ? "RebalanceInProgressException"
          : "CommitFailedException";
        this.commitFailed(kind, offsets, exception, "NONE");
        return false;
      }
      generation = stable;
      memberId = group.memberId;
    }
    if (group.coordinator < 0) {
      group.ensureCoordinator();
      this.commitFailed(kind, offsets, undefined, "COORDINATOR_NOT_AVAILABLE");
      return false;
    }
    const correlationId = this.nextCorrelation++;
    this.sendRequest(
      group.coordinator,
      {
        type: "OffsetCommitRequest",
        bytes: HEADER_BYTES + PARTITION_ENTRY_BYTES * offsets.length,
        correlationId,
        groupId: this.settings.groupId!,
        generationId: generation,
        memberId,
        groupInstanceId: this.settings.groupInstanceId,
        partitions: offsets.map((o) => ({ ...o, metadata: "" })),
      },
      { kind: "commit", broker: group.coordinator, commit: kind, offsets, generation },
    );
    if (kind === "sync" && this.syncCommit !== undefined) {
      assert(this.syncCommit.inFlight < 0, "two OffsetCommits in flight for one commitSync");
      this.syncCommit.inFlight = correlationId;
    }
    return true;
  }

  /**
   * An answer (or failure) of a commitSync's OffsetCommit: true when it is the attempt the
   * application waits for, which then ends; false for a stale one (an attempt given up on, or of
   * a commitSync that already returned), which must not complete a later commitSync.
   */
  private settleSyncAttempt(correlationId: number): boolean {
    const sync = this.syncCommit;
    if (sync === undefined || sync.inFlight !== correlationId) return false;
    sync.inFlight = -1;
    // ConsumerCoordinator.commitOffsetsSync sleeps retry.backoff.ms before the next attempt.
    sync.notBeforeUs = this.engine.now + this.settings.retryBackoffMs * 1000;
    return true;
  }

  private onCommitResponse(pending: Pending, m: OffsetCommitResponse): void {
    const entry = pending.entry;
    assert(entry.kind === "commit", "commit response for another request");
    const now = this.engine.now;
    this.metrics.commit(now - pending.sentAtUs);
    let error: KafkaError = "NONE";
    for (const r of m.partitions) {
      if (r.error !== "NONE") {
        error = r.error;
        continue;
      }
      const o = entry.offsets.find((x) => x.topic === r.topic && x.partition === r.partition);
      if (o === undefined) continue;
      this.options.history?.commit({
        group: this.settings.groupId!,
        consumer: this.id,
        topic: o.topic,
        partition: o.partition,
        offset: o.offset,
        atUs: now,
        generation: entry.generation,
      });
    }
    this.emit("consumer.commit", {
      kind: entry.commit,
      generation: entry.generation,
      offsets: entry.offsets.map((o) => `${tpKey(o.topic, o.partition)}=${o.offset}`).join(","),
      error,
      latencyMs: (now - pending.sentAtUs) / 1000,
    });
    if (entry.commit === "sync" && !this.settleSyncAttempt(m.correlationId as number)) {
      return this.staleSyncCommit(error);
    }
    if (error === "NONE") return this.commitDone(entry.commit);
    const group = this.group!;
    switch (error) {
      case "ILLEGAL_GENERATION":
      case "UNKNOWN_MEMBER_ID":
      case "FENCED_INSTANCE_ID":
        group.requestRejoin(`commit failed with ${error}`);
        return this.commitFailedAfterSend(entry.commit, "CommitFailedException", error);
      case "REBALANCE_IN_PROGRESS":
        group.requestRejoin("commit during a rebalance");
        return this.commitFailedAfterSend(entry.commit, "RebalanceInProgressException", error);
      default:
        if (error === "NOT_COORDINATOR" || error === "COORDINATOR_NOT_AVAILABLE")
          group.coordinatorUnknown(error);
        return this.commitFailedAfterSend(entry.commit, undefined, error);
    }
  }

  /** A commit could not be sent. */
  private commitFailed(
    kind: CommitKind,
    offsets: CommitOffsets,
    exception: ConsumerException | undefined,
    error: KafkaError,
  ): void {
    this.emit("consumer.commit", {
      kind,
      generation: this.group?.generation ?? -1,
      offsets: offsets.map((o) => `${tpKey(o.topic, o.partition)}=${o.offset}`).join(","),
      error,
      exception: exception ?? null,
      latencyMs: 0,
    });
    this.commitFailedAfterSend(kind, exception, error);
  }

  /** commitSync retries retriable failures until default.api.timeout.ms, else throws. */
  private commitFailedAfterSend(
    kind: CommitKind,
    exception: ConsumerException | undefined,
    error: KafkaError,
  ): void {
    if (kind !== "sync" || this.syncCommit === undefined) return this.commitDone(kind);
    if (exception === undefined && this.engine.now < this.syncCommit.deadlineUs) {
      this.armRetry();
      return;
    }
    this.syncCommit = undefined;
    this.raise({ atUs: this.engine.now, exception: exception ?? "TimeoutException", error });
    this.appState = "stopped";
    this.poll();
  }

  private commitDone(kind: CommitKind): void {
    if (kind === "sync" && this.appState === "committing") {
      this.syncCommit = undefined;
      return this.poll();
    }
    if (kind === "close" && this.appState === "closing") this.finishClose();
  }

  /** A stale commitSync attempt: its group errors still count, the application is not told. */
  private staleSyncCommit(error: KafkaError): void {
    const group = this.group;
    if (group === undefined || error === "NONE") return;
    if (error === "ILLEGAL_GENERATION" || error === "UNKNOWN_MEMBER_ID")
      group.requestRejoin(`commit failed with ${error}`);
    else if (error === "NOT_COORDINATOR" || error === "COORDINATOR_NOT_AVAILABLE")
      group.coordinatorUnknown(error);
  }

  /** Retries a commitSync that waits for a coordinator (one attempt at a time, after backoff). */
  private retrySyncCommit(): void {
    const sync = this.syncCommit;
    if (sync === undefined || this.appState !== "committing" || sync.inFlight >= 0) return;
    if (this.engine.now < sync.notBeforeUs) return this.armRetry();
    this.commit("sync", sync.offsets);
  }

  // ---------------------------------------------------------------- close

  private runClose(): void {
    this.engine.cancel(this.pollTimer);
    this.engine.cancel(this.pollTimeoutTimer);
    this.appState = "closing";
    this.emit("consumer.close", { generation: this.group?.generation ?? -1 });
    const group = this.group;
    if (group !== undefined && this.settings.enableAutoCommit) {
      const offsets = this.positions.allConsumed();
      if (offsets.length > 0 && this.commit("close", offsets)) return; // finishClose on answer
    }
    this.finishClose();
  }

  private finishClose(): void {
    const group = this.group;
    if (group !== undefined && this.intent.kind === "subscribe") {
      const owned = this.assignment();
      if (owned.length > 0) {
        if (group.stableGeneration() !== null) this.revoke(owned);
        else this.losePartitions("closed outside a generation");
      }
      group.leave("the consumer is being closed");
      group.close();
    }
    this.appState = "closed";
    this.token++;
  }

  // ---------------------------------------------------------------- positions

  /** Starts the lookups that give positions: committed offsets, resets, validations. */
  private updatePositions(): void {
    const byLeader = {
      reset: new Map<number, PartitionPosition[]>(),
      validate: new Map<number, PartitionPosition[]>(),
    };
    const committed: PartitionPosition[] = [];
    for (const p of this.positions.all()) {
      if (p.busy) continue;
      if (p.retryAtUs > this.engine.now) {
        this.armRetry();
        continue;
      }
      if (p.state === "initializing") {
        if (this.settings.groupId === null) this.positions.requestReset(p, "no-committed-offset");
        else {
          committed.push(p);
          continue;
        }
      }
      if (p.state === "awaiting-reset") {
        const decision = decideReset(this.settings.autoOffsetReset, p.resetWhy!);
        if (decision.kind === "throw") {
          if (this.pendingException === undefined)
            this.pendingException = {
              atUs: this.engine.now,
              exception: decision.exception,
              topic: p.topic,
              partition: p.partition,
              offset: p.offset,
            };
          continue;
        }
        if (p.leader < 0) this.requestMetadata();
        else pushTo(byLeader.reset, p.leader, p);
      } else if (p.state === "awaiting-validation") {
        if (p.leader < 0) this.requestMetadata();
        else pushTo(byLeader.validate, p.leader, p);
      }
    }
    if (committed.length > 0) this.fetchCommitted(committed);
    for (const [leader, list] of sortedEntries(byLeader.reset)) this.listOffsets(leader, list);
    for (const [leader, list] of sortedEntries(byLeader.validate)) this.validate(leader, list);
  }

  private fetchCommitted(list: PartitionPosition[]): void {
    const group = this.group!;
    if (group.coordinator < 0) {
      group.ensureCoordinator();
      this.armRetry();
      return;
    }
    const keys = list.map((p) => tpKey(p.topic, p.partition));
    for (const p of list) p.busy = true;
    const correlationId = this.nextCorrelation++;
    this.sendRequest(
      group.coordinator,
      {
        type: "OffsetFetchRequest",
        bytes: HEADER_BYTES + PARTITION_ENTRY_BYTES * list.length,
        correlationId,
        groupId: this.settings.groupId!,
        partitions: list.map((p) => ({ topic: p.topic, partition: p.partition })),
        // ConsumerCoordinator.sendOffsetFetchRequest asks for stable offsets from 2.5 (KIP-447),
        // whatever isolation.level says.
        requireStable: versionProfile(this.options.version).kip447,
      },
      { kind: "offset-fetch", broker: group.coordinator, keys },
    );
  }

  /**
   * KafkaConsumer.groupMetadata(): what a transactional producer sends with its offsets
   * (sendOffsetsToTransaction), so that the group coordinator can fence a zombie (KIP-447).
   */
  groupMetadata(): {
    groupId: string;
    generationId: number;
    memberId: string;
    groupInstanceId: string | null;
  } {
    const groupId = this.settings.groupId;
    if (groupId === null) {
      throw new Error(
        "InvalidGroupIdException: To use the group management or offset commit APIs, you must provide a valid group.id in the consumer configuration.",
      );
    }
    return {
      groupId,
      generationId: this.group?.generation ?? -1,
      memberId: this.group?.memberId ?? "",
      groupInstanceId: this.settings.groupInstanceId,
    };
  }

  private onOffsetFetch(pending: Pending, m: OffsetFetchResponse): void {
    const entry = pending.entry;
    assert(entry.kind === "offset-fetch", "offset fetch response for another request");
    this.release(entry.keys);
    if (m.error !== "NONE") {
      if (m.error === "NOT_COORDINATOR" || m.error === "COORDINATOR_NOT_AVAILABLE")
        this.group?.coordinatorUnknown(m.error);
      return this.armRetry();
    }
    const unstable = m.partitions.filter((r) => r.error === "UNSTABLE_OFFSET_COMMIT");
    if (unstable.length > 0) {
      // OffsetFetchResponseHandler: UnstableOffsetCommitException (retriable) fails the whole
      // fetch; it is asked again after retry.backoff.ms, until the transactions are complete.
      this.emit("consumer.offsets.unstable", {
        partitions: unstable.map((r) => tpKey(r.topic, r.partition)).join(","),
      });
      for (const key of entry.keys) {
        const { topic, partition } = parseTpKey(key);
        const p = this.positions.get(topic, partition);
        if (p !== undefined) p.retryAtUs = this.engine.now + this.settings.retryBackoffMs * 1000;
      }
      return this.armRetry();
    }
    for (const r of m.partitions) {
      const p = this.positions.get(r.topic, r.partition);
      if (p === undefined || p.state !== "initializing") continue;
      if (r.error !== "NONE") continue;
      if (r.offset >= 0) {
        const epoch = this.settings.kip320 ? r.leaderEpoch : -1;
        this.positions.seek(p, r.offset, epoch, this.settings.kip320);
        this.emit("consumer.position", {
          topic: p.topic,
          partition: p.partition,
          offset: r.offset,
          leaderEpoch: epoch,
          from: "committed",
        });
      } else this.positions.requestReset(p, "no-committed-offset");
    }
    this.afterLookup();
  }

  private listOffsets(leader: number, list: PartitionPosition[]): void {
    const keys = list.map((p) => tpKey(p.topic, p.partition));
    for (const p of list) p.busy = true;
    const correlationId = this.nextCorrelation++;
    this.sendRequest(
      leader,
      {
        type: "ListOffsetsRequest",
        bytes: HEADER_BYTES + PARTITION_ENTRY_BYTES * list.length,
        correlationId,
        replicaId: -1,
        isolationLevel: this.settings.isolationLevel,
        partitions: list.map((p) => ({
          topic: p.topic,
          partition: p.partition,
          currentLeaderEpoch: this.settings.kip320 ? p.leaderEpoch : -1,
          timestamp:
            this.settings.autoOffsetReset === "earliest" ? EARLIEST_TIMESTAMP : LATEST_TIMESTAMP,
        })),
      },
      { kind: "list-offsets", broker: leader, keys },
    );
  }

  private onListOffsets(pending: Pending, m: ListOffsetsResponse): void {
    const entry = pending.entry;
    assert(entry.kind === "list-offsets", "list offsets response for another request");
    this.release(entry.keys);
    const strategy = this.settings.autoOffsetReset === "earliest" ? "earliest" : "latest";
    for (const r of m.partitions) {
      const p = this.positions.get(r.topic, r.partition);
      if (p === undefined || p.state !== "awaiting-reset") continue;
      if (r.error !== "NONE") {
        this.lookupFailed(p);
        continue;
      }
      const from = p.offset;
      const why = p.resetWhy ?? "no-committed-offset";
      this.positions.seek(p, r.offset, this.settings.kip320 ? r.leaderEpoch : -1, false);
      this.buffer.drop(p.topic, p.partition);
      this.traceReset(p, from, r.offset, `${why}:${strategy}`);
      this.options.history?.reset({
        consumer: this.id,
        group: this.settings.groupId,
        generation: this.group?.generation ?? -1,
        topic: p.topic,
        partition: p.partition,
        offset: r.offset,
        atUs: this.engine.now,
        strategy,
      });
    }
    this.afterLookup();
  }

  private validate(leader: number, list: PartitionPosition[]): void {
    const keys = list.map((p) => tpKey(p.topic, p.partition));
    for (const p of list) p.busy = true;
    const correlationId = this.nextCorrelation++;
    this.sendRequest(
      leader,
      {
        type: "OffsetsForLeaderEpochRequest",
        bytes: HEADER_BYTES + PARTITION_ENTRY_BYTES * list.length,
        correlationId,
        replicaId: -1,
        partitions: list.map((p) => ({
          topic: p.topic,
          partition: p.partition,
          currentLeaderEpoch: p.leaderEpoch,
          leaderEpoch: p.offsetEpoch,
        })),
      },
      { kind: "epoch", broker: leader, keys },
    );
  }

  private onEpochResponse(pending: Pending, m: OffsetsForLeaderEpochResponse): void {
    const entry = pending.entry;
    assert(entry.kind === "epoch", "epoch response for another request");
    this.release(entry.keys);
    for (const r of m.partitions) {
      const p = this.positions.get(r.topic, r.partition);
      if (p === undefined || p.state !== "awaiting-validation") continue;
      if (r.error !== "NONE") {
        this.lookupFailed(p);
        continue;
      }
      const outcome = validatePosition(p.offset, r, this.settings.autoOffsetReset);
      this.emit("consumer.validate", {
        topic: p.topic,
        partition: p.partition,
        offset: p.offset,
        offsetEpoch: p.offsetEpoch,
        endOffset: r.endOffset,
        endEpoch: r.leaderEpoch,
        outcome: outcome.kind,
      });
      switch (outcome.kind) {
        case "valid":
          p.state = "fetching";
          break;
        case "truncated": {
          const from = p.offset;
          this.positions.seek(p, outcome.offset, outcome.epoch, false);
          this.buffer.drop(p.topic, p.partition);
          this.traceReset(p, from, outcome.offset, "truncation");
          this.options.history?.reset({
            consumer: this.id,
            group: this.settings.groupId,
            generation: this.group?.generation ?? -1,
            topic: p.topic,
            partition: p.partition,
            offset: outcome.offset,
            atUs: this.engine.now,
            strategy: "truncation",
          });
          break;
        }
        case "undefined":
          this.positions.requestReset(p, "undefined-epoch");
          break;
        case "throw":
          p.state = "awaiting-reset";
          p.resetWhy = "truncation";
          this.pendingException = {
            atUs: this.engine.now,
            exception: "LogTruncationException",
            topic: p.topic,
            partition: p.partition,
            offset: outcome.divergentOffset,
          };
          break;
      }
    }
    this.afterLookup();
  }

  /** A partition's ListOffsets or validation failed: new metadata, and a retry after backoff. */
  private lookupFailed(p: PartitionPosition): void {
    p.retryAtUs = this.engine.now + this.settings.retryBackoffMs * 1000;
    this.requestMetadata();
    this.armRetry();
  }

  private release(keys: readonly string[]): void {
    for (const key of keys) {
      const { topic, partition } = parseTpKey(key);
      const p = this.positions.get(topic, partition);
      if (p !== undefined) p.busy = false;
    }
  }

  private afterLookup(): void {
    if (this.appState === "polling") this.tryReturn();
    else this.updatePositions();
  }

  private armRetry(): void {
    if (this.retryArmed) return;
    this.retryArmed = true;
    this.engine.schedule(this.settings.retryBackoffMs * 1000, this.id, "consumer.retry", null);
  }

  // ---------------------------------------------------------------- fetch

  private sendFetches(): void {
    const plans = planFetches(
      this.positions.all(),
      (t, p) => this.buffer.has(t, p),
      (leader) =>
        this.fetchInFlight.has(leader) ||
        (this.nodeBackoffUntilUs.get(leader) ?? 0) > this.engine.now,
      { ...this.settings },
    );
    for (const plan of plans) {
      const correlationId = this.nextCorrelation++;
      const request: FetchRequest = {
        type: "FetchRequest",
        bytes: plan.requestBytes,
        correlationId,
        replicaId: -1,
        replicaEpoch: -1,
        maxWaitMs: this.settings.fetchMaxWaitMs,
        minBytes: this.settings.fetchMinBytes,
        maxBytes: this.settings.fetchMaxBytes,
        isolationLevel: this.settings.isolationLevel,
        partitions: plan.partitions,
      };
      this.fetchInFlight.add(plan.leader);
      this.sendRequest(plan.leader, request, { kind: "fetch", leader: plan.leader, request });
    }
  }

  private onFetchResponse(pending: Pending, m: FetchResponse): void {
    const entry = pending.entry;
    assert(entry.kind === "fetch", "fetch response for another request");
    this.fetchInFlight.delete(entry.leader);
    this.metrics.fetch(this.engine.now - pending.sentAtUs);
    for (let i = 0; i < m.partitions.length; i++) {
      const data = m.partitions[i]!;
      const asked = entry.request.partitions.find(
        (fp) => fp.topic === data.topic && fp.partition === data.partition,
      );
      const p = this.positions.get(data.topic, data.partition);
      if (asked === undefined || p === undefined || p.state !== "fetching") continue;
      if (p.offset !== asked.fetchOffset) continue; // sought or reset meanwhile
      if (data.error === "NONE") {
        p.highWatermark = data.highWatermark;
        p.logStartOffset = data.logStartOffset;
        // Kafka's records-lag is against the LSO under read_committed.
        const end =
          this.settings.isolationLevel === "read_committed" && data.lastStableOffset >= 0
            ? data.lastStableOffset
            : data.highWatermark;
        this.metrics.lag(Math.max(0, end - p.offset));
        if (!this.buffer.has(data.topic, data.partition)) {
          this.buffer.add(asked.fetchOffset, data, this.settings.isolationLevel);
        }
      } else if (data.error === "OFFSET_OUT_OF_RANGE") {
        this.emit("consumer.fetch-error", {
          topic: data.topic,
          partition: data.partition,
          offset: p.offset,
          error: data.error,
          logStartOffset: data.logStartOffset,
          highWatermark: data.highWatermark,
        });
        this.positions.requestReset(p, "out-of-range");
        this.buffer.drop(p.topic, p.partition);
      } else {
        this.emit("consumer.fetch-error", {
          topic: data.topic,
          partition: data.partition,
          offset: p.offset,
          error: data.error,
          logStartOffset: data.logStartOffset,
          highWatermark: data.highWatermark,
        });
        if (FETCH_METADATA_ERRORS.has(data.error)) this.requestMetadata();
      }
    }
    if (this.appState === "polling") this.tryReturn();
    else this.updatePositions();
  }

  // ---------------------------------------------------------------- metadata

  private metadataTopics(): string[] {
    const topics = new Set<string>();
    if (this.intent.kind === "subscribe") for (const t of this.intent.topics) topics.add(t);
    if (this.intent.kind === "assign")
      for (const tp of this.intent.partitions) topics.add(tp.topic);
    for (const t of this.groupTopics) topics.add(t);
    for (const p of this.positions.all()) topics.add(p.topic);
    return [...topics].sort();
  }

  private requestMetadata(): void {
    if (this.life === 0) return;
    this.metadataWanted = true;
    if (this.metadataInFlight) return;
    const topics = this.metadataTopics();
    if (topics.length === 0) return;
    this.metadataWanted = false;
    this.metadataInFlight = true;
    const broker = this.leastLoadedBroker();
    const correlationId = this.nextCorrelation++;
    let bytes = HEADER_BYTES;
    for (const t of topics) bytes += t.length;
    this.sendRequest(
      broker,
      { type: "MetadataRequest", bytes, correlationId, topics },
      { kind: "metadata", broker },
    );
  }

  private onMetadata(m: MetadataResponse): void {
    this.metadataInFlight = false;
    if (m.brokers.length > 0) this.liveBrokers = m.brokers.map((b) => b.nodeId);
    let leaderless = false;
    for (const topic of m.topics) {
      if (topic.error !== "NONE") {
        leaderless = true;
        continue;
      }
      this.partitionCounts.set(topic.name, topic.partitions.length);
      for (const part of topic.partitions) {
        const key = tpKey(topic.name, part.partition);
        const known = this.leaders.get(key);
        const leader = part.error === "NONE" ? part.leader : -1;
        // Kafka's Metadata ignores an older leader epoch (a stale broker's answer).
        if (known !== undefined && part.leaderEpoch < known.epoch) continue;
        this.leaders.set(key, { leader, epoch: part.leaderEpoch });
        if (leader < 0) leaderless = true;
        const p = this.positions.get(topic.name, part.partition);
        if (p === undefined) continue;
        if (this.positions.leaderChanged(p, leader, part.leaderEpoch, this.settings.kip320)) {
          this.buffer.drop(p.topic, p.partition);
          this.emit("consumer.leader-change", {
            topic: p.topic,
            partition: p.partition,
            leader,
            leaderEpoch: part.leaderEpoch,
            validate: true,
          });
        }
      }
    }
    this.checkLeaderMetadata();
    if (leaderless || this.metadataWanted) {
      this.metadataWanted = true;
      this.armRetry();
    }
    this.afterLookup();
  }

  /** The group leader rejoins when a subscribed topic's partition count changed. */
  private checkLeaderMetadata(): void {
    const group = this.group;
    if (group === undefined || !group.isLeader || group.stableGeneration() === null) return;
    for (const [topic, count] of this.leaderSnapshot) {
      const now = this.partitionCounts.get(topic) ?? 0;
      if (now !== count) {
        this.leaderSnapshot.set(topic, now);
        group.requestRejoin(`partitions of ${topic} changed from ${count} to ${now}`);
      }
    }
  }

  // ---------------------------------------------------------------- transport

  private sendRequest(broker: number, message: NetMessage, entry: Correlation): void {
    const correlationId = message.correlationId as number;
    const timer = this.engine.schedule(
      this.timeoutUs(message),
      this.id,
      "consumer.request-timeout",
      { correlationId },
    );
    this.correlations.set(correlationId, { entry, sentAtUs: this.engine.now, timer });
    this.network.send(this.id, String(broker), message);
  }

  /** request.timeout.ms, plus the fetch wait and the rebalance timeout where Kafka adds them. */
  private timeoutUs(message: NetMessage): number {
    const base = this.settings.requestTimeoutMs * 1000;
    if (message.type === "FetchRequest") return base + this.settings.fetchMaxWaitMs * 1000;
    if (message.type === "JoinGroupRequest") return base + this.settings.maxPollIntervalMs * 1000;
    return base;
  }

  private onMessage(from: string, m: NetMessage): void {
    const correlationId = m.correlationId as number;
    const pending = this.correlations.get(correlationId);
    if (pending === undefined) return;
    this.correlations.delete(correlationId);
    this.engine.cancel(pending.timer);
    this.nodes.succeeded(brokerOf(pending.entry));
    const msg = m as unknown as ClientCoordinationMessage | { type: string };
    switch (msg.type) {
      case "FetchResponse":
        return this.onFetchResponse(pending, m as unknown as FetchResponse);
      case "MetadataResponse":
        return this.onMetadata(m as unknown as MetadataResponse);
      case "ListOffsetsResponse":
        return this.onListOffsets(pending, m as unknown as ListOffsetsResponse);
      case "OffsetsForLeaderEpochResponse":
        return this.onEpochResponse(pending, m as unknown as OffsetsForLeaderEpochResponse);
      case "OffsetFetchResponse":
        return this.onOffsetFetch(pending, m as OffsetFetchResponse);
      case "OffsetCommitResponse":
        return this.onCommitResponse(pending, m as OffsetCommitResponse);
      case "FindCoordinatorResponse":
        this.group?.onFindCoordinator(
          msg as import("../../kafka/protocol-clients.ts").FindCoordinatorResponse,
        );
        return this.afterCoordinatorChange();
      case "JoinGroupResponse":
        if (this.group instanceof GroupMembership)
          this.group.onJoinGroup(
            msg as import("../../kafka/protocol-clients.ts").JoinGroupResponse,
          );
        return;
      case "SyncGroupResponse":
        if (this.group instanceof GroupMembership)
          this.group.onSyncGroup(
            msg as import("../../kafka/protocol-clients.ts").SyncGroupResponse,
          );
        return;
      case "HeartbeatResponse":
        if (this.group instanceof GroupMembership)
          this.group.onHeartbeat(
            msg as import("../../kafka/protocol-clients.ts").HeartbeatResponse,
          );
        return;
      case "ConsumerGroupHeartbeatResponse":
        if (this.group instanceof ConsumerMembership)
          this.group.onHeartbeat(
            msg as import("../../kafka/protocol-clients.ts").ConsumerGroupHeartbeatResponse,
          );
        return;
      case "LeaveGroupResponse":
        return;
      default:
        assert(false, () => `consumer ${this.id}: unexpected ${msg.type} from ${from}`);
    }
  }

  private afterCoordinatorChange(): void {
    this.retrySyncCommit();
    this.afterLookup();
  }

  private onRequestTimeout(correlationId: number): void {
    const pending = this.correlations.get(correlationId);
    if (pending === undefined) return;
    this.correlations.delete(correlationId);
    // NetworkClient closes the connection of a timed-out request: the broker backs off.
    this.nodes.failed(brokerOf(pending.entry), this.engine.now);
    this.requestFailed(correlationId, pending, "REQUEST_TIMED_OUT");
  }

  private onDisconnect(peer: number): void {
    this.nodes.failed(peer, this.engine.now);
    for (const [correlationId, pending] of [...this.correlations]) {
      if (brokerOf(pending.entry) !== peer) continue;
      this.correlations.delete(correlationId);
      this.engine.cancel(pending.timer);
      this.requestFailed(correlationId, pending, "NETWORK_EXCEPTION");
    }
  }

  private requestFailed(correlationId: number, pending: Pending, error: KafkaError): void {
    const entry = pending.entry;
    switch (entry.kind) {
      case "fetch":
        // NetworkClient's reconnect backoff: no new fetch to that broker for a while.
        this.fetchInFlight.delete(entry.leader);
        this.nodeBackoffUntilUs.set(
          entry.leader,
          this.engine.now + this.settings.retryBackoffMs * 1000,
        );
        this.requestMetadata();
        this.armRetry();
        break;
      case "metadata":
        this.metadataInFlight = false;
        this.metadataWanted = true;
        this.armRetry();
        break;
      case "list-offsets":
      case "epoch":
        this.release(entry.keys);
        for (const key of entry.keys) {
          const { topic, partition } = parseTpKey(key);
          const p = this.positions.get(topic, partition);
          if (p !== undefined) p.retryAtUs = this.engine.now + this.settings.retryBackoffMs * 1000;
        }
        this.requestMetadata();
        this.armRetry();
        break;
      case "offset-fetch":
        this.release(entry.keys);
        this.group?.coordinatorUnknown(error);
        this.armRetry();
        break;
      case "commit":
        this.emit("consumer.commit", {
          kind: entry.commit,
          generation: entry.generation,
          offsets: entry.offsets.map((o) => `${tpKey(o.topic, o.partition)}=${o.offset}`).join(","),
          error,
          latencyMs: (this.engine.now - pending.sentAtUs) / 1000,
        });
        this.group?.coordinatorUnknown(error);
        if (entry.commit !== "sync" || this.settleSyncAttempt(correlationId))
          this.commitFailedAfterSend(entry.commit, undefined, error);
        break;
      case "group":
        this.group?.requestFailed(correlationId, error);
        break;
    }
    if (this.appState === "polling") this.tryReturn();
  }
}

function brokerOf(entry: Correlation): number {
  return entry.kind === "fetch" ? entry.leader : entry.broker;
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

function sortedEntries<V>(map: Map<number, V>): Array<[number, V]> {
  return [...map.entries()].sort((a, b) => a[0] - b[0]);
}
