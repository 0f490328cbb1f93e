/**
 * A coordinator's internal topic as one broker sees it (`__consumer_offsets` for the group
 * coordinator, `__transaction_state` for the transaction coordinator): the plumbing both share,
 * while each keeps its own state and records.
 *
 * Models:
 * - Creation on first use: FindCoordinator finds no topic, so a CreateTopics request goes to the
 *   active controller (one at a time; a modelled 30 s timeout frees the slot), and once it is
 *   created the broker waits for its metadata instead of asking again.
 * - Leadership: the partitions this broker leads are loaded (Kafka's CoordinatorLoader) and those
 *   it no longer leads are dropped, optionally also on a new leader epoch (the transaction
 *   coordinator's coordinator epoch). A load is ListOffsets to the broker itself (earliest, and
 *   its LEO), then Fetches over loopback from the earliest offset until the LEO, each batch
 *   replayed by the owner; OFFSET_OUT_OF_RANGE skips to the log start, other errors retry after a
 *   backoff. Answers and timers of an older load are ignored.
 * - Appends: one batch of keyed records to a partition with a ProduceRequest (acks=-1) to the
 *   broker itself over loopback; the caller gets the partition's raw error and base offset.
 *
 * Timers are scheduled through the owner (its timer kind and process epoch) and handed back to
 * `onCreateTimeout` / `onLoadRetry`; `reset` forgets everything when the process restarts.
 */
import { assert } from "../../engine/assert.ts";
import type { NetMessage } from "../../infra/network.ts";
import type { BrokerContext } from "../broker/context.ts";
import { configNumber } from "../config.ts";
import { BATCH_HEADER_BYTES, recordBytes } from "../group/records.ts";
import type { MetadataImage } from "../metadata/image.ts";
import {
  EARLIEST_TIMESTAMP,
  type FetchRequest,
  type FetchResponse,
  HEADER_BYTES,
  LATEST_TIMESTAMP,
  type ListOffsetsRequest,
  type ListOffsetsResponse,
  PARTITION_ENTRY_BYTES,
  type ProduceRequest,
  type ProduceResponse,
} from "../protocol.ts";
import type { AdminRequestMessage, AdminResponseMessage } from "../protocol-control.ts";
import { type KafkaError, NO_PRODUCER_ID, type RecordBatch } from "../types.ts";

/** One partition of the internal topic this broker leads. */
export interface LedPartition {
  readonly partition: number;
  /** The partition's leader epoch (the transaction coordinator's coordinator epoch). */
  leaderEpoch: number;
  status: "loading" | "loaded";
  /** Changes each time loading restarts; answers and timers of an older load are ignored. */
  readonly loadSeq: number;
  /** While loading: the next offset to read, and the LEO the load reads up to. */
  fetchOffset: number;
  targetOffset: number;
}

/** The timers this module asks its owner to schedule (and to hand back when they fire). */
export type InternalTopicTimer =
  | { readonly what: "create-timeout"; readonly correlationId: number }
  | { readonly what: "load-retry"; readonly partition: number; readonly loadSeq: number };

/** A transactional append: the producer's batch, as Kafka's coordinator writes it. */
export interface TxnAppendBatch {
  readonly transactionalId: string;
  readonly producerId: number;
  readonly producerEpoch: number;
}

export interface InternalTopicOptions<P extends LedPartition> {
  readonly topic: string;
  /** The config giving the partition count until the topic's metadata is known. */
  readonly numPartitionsConfig: string;
  /** Trace events are `<prefix>.topic.create` and `<prefix>.topic.created`. */
  readonly tracePrefix: string;
  /** The ProduceRequests' client id. */
  readonly clientId: string;
  /** Read when the topic is created. */
  topicSettings(image: MetadataImage): {
    readonly replicationFactor: number;
    readonly configs: Readonly<Record<string, string>>;
  };
  /** Bytes read per load fetch, read at every fetch. */
  loadBufferBytes(): number;
  appendTimeoutMs(): number;
  /** Drop and reload a partition whose leader epoch changed (else the epoch is just updated). */
  readonly reloadOnNewLeaderEpoch: boolean;
  timer(delayUs: number, timer: InternalTopicTimer): void;
  /** The owner's partition record, built around the shared fields. */
  newPartition(base: LedPartition): P;
  /** The partition was registered and is about to be read. */
  loading(owned: P): void;
  /** A batch ending after `from`: its records at or after `from` are new to the load. */
  replay(owned: P, batch: RecordBatch, from: number): void;
  /** Everything up to the LEO seen at the start was replayed; the status is already "loaded". */
  loaded(owned: P): void;
  /** The partition was dropped (no longer led here, or about to be reloaded). */
  unloaded(owned: P): void;
}

type Pending =
  | { readonly kind: "append"; readonly done: (error: KafkaError, baseOffset: number) => void }
  | { readonly kind: "list"; readonly partition: number; readonly loadSeq: number }
  | { readonly kind: "fetch"; readonly partition: number; readonly loadSeq: number }
  | { readonly kind: "create" };

/** The broker-to-controller channel's request timeout for CreateTopics (modelled). */
const CREATE_TOPIC_TIMEOUT_US = 30_000_000;
/** Backoff before retrying a load step that failed (modelled). */
const LOAD_RETRY_BACKOFF_US = 100_000;
/** Fetch wait while the HW catches up with the LEO during a load. */
const LOAD_FETCH_WAIT_MS = 500;

export class InternalTopic<P extends LedPartition> {
  private readonly owned = new Map<number, P>();
  private readonly pending = new Map<number, Pending>();
  private createInFlight: number | undefined;
  /** The controller created the topic; this broker's image has not shown it yet. */
  private awaitingTopic = false;
  private loadSeq = 0;

  constructor(
    private readonly ctx: BrokerContext,
    private readonly options: InternalTopicOptions<P>,
  ) {}

  /** The process restarted: nothing is led, asked or loading any more. */
  reset(): void {
    this.owned.clear();
    this.pending.clear();
    this.createInFlight = undefined;
    this.awaitingTopic = false;
  }

  get(partition: number): P | undefined {
    return this.owned.get(partition);
  }

  /** The led partitions, by partition. */
  partitions(): P[] {
    return [...this.owned.values()].sort((a, b) => a.partition - b.partition);
  }

  get size(): number {
    return this.owned.size;
  }

  /** The partition loaded here, or what a request for it is told (NOT_COORDINATOR / loading). */
  ownerOf(partition: number): P | KafkaError {
    const owned = this.owned.get(partition);
    if (owned === undefined) return "NOT_COORDINATOR";
    if (owned.status === "loading") return "COORDINATOR_LOAD_IN_PROGRESS";
    return owned;
  }

  /** The topic's partition count, from the image once it exists, else from the config. */
  partitionCount(): number {
    const topic = this.ctx.image().topicByName(this.options.topic);
    if (topic !== undefined && topic.partitions.length > 0) return topic.partitions.length;
    return configNumber(this.ctx.config, this.options.numPartitionsConfig);
  }

  /**
   * FindCoordinator's answer for the partition `partitionOf` picks: its leader, or
   * COORDINATOR_NOT_AVAILABLE until one exists (asking the controller for the topic on first use).
   */
  findCoordinator(partitionOf: (count: number) => number): {
    error: KafkaError;
    nodeId: number;
  } {
    const image = this.ctx.image();
    const topic = image.topicByName(this.options.topic);
    if (topic === undefined) {
      this.maybeCreateTopic(image);
      return { error: "COORDINATOR_NOT_AVAILABLE", nodeId: -1 };
    }
    const state = topic.partitions[partitionOf(topic.partitions.length)];
    if (state === undefined || state.leader < 0)
      return { error: "COORDINATOR_NOT_AVAILABLE", nodeId: -1 };
    return { error: "NONE", nodeId: state.leader };
  }

  /** Loads the partitions newly led here and drops those no longer led, in partition order. */
  onMetadata(image: MetadataImage): void {
    const topic = image.topicByName(this.options.topic);
    const leading = new Map<number, number>();
    if (topic !== undefined) {
      this.awaitingTopic = false;
      topic.partitions.forEach((state, partition) => {
        if (state.leader === this.ctx.brokerId) leading.set(partition, state.leaderEpoch);
      });
    }
    for (const partition of [...this.owned.keys()].sort((a, b) => a - b)) {
      const epoch = leading.get(partition);
      const stale =
        this.options.reloadOnNewLeaderEpoch && epoch !== this.owned.get(partition)?.leaderEpoch;
      if (epoch === undefined || stale) this.unload(partition);
    }
    for (const [partition, leaderEpoch] of [...leading].sort(([a], [b]) => a - b)) {
      const owned = this.owned.get(partition);
      if (owned === undefined) this.startLoad(partition, leaderEpoch);
      else owned.leaderEpoch = leaderEpoch;
    }
  }

  /** Takes the answers to this module's requests; false for anything else. */
  handleResponse(from: string, response: NetMessage): boolean {
    const m = response as { type: string; correlationId?: number };
    if (m.correlationId === undefined) return false;
    const p = this.pending.get(m.correlationId);
    if (p === undefined) return false;
    // Appends and loads go to the broker itself; only CreateTopics goes to the controller.
    if (p.kind !== "create" && from !== this.ctx.node) return false;
    this.pending.delete(m.correlationId);
    switch (p.kind) {
      case "append": {
        const r = (response as ProduceResponse).partitions[0];
        assert(r !== undefined, "a coordinator append has one partition");
        p.done(r.error, r.baseOffset);
        return true;
      }
      case "list":
        this.onListOffsets(p.partition, p.loadSeq, response as ListOffsetsResponse);
        return true;
      case "fetch":
        this.onLoadFetch(p.partition, p.loadSeq, response as FetchResponse);
        return true;
      case "create":
        this.onCreateResponse(m.correlationId, response as AdminResponseMessage);
        return true;
    }
  }

  onCreateTimeout(correlationId: number): void {
    if (this.createInFlight !== correlationId) return;
    this.pending.delete(correlationId);
    this.createInFlight = undefined;
  }

  onLoadRetry(partition: number, loadSeq: number): void {
    const owned = this.loading(partition, loadSeq);
    if (owned !== undefined) this.listOffsets(owned);
  }

  /**
   * Appends one batch of keyed records (acks=-1, over loopback); `done` gets the partition's
   * error as the leader gave it, and the batch's base offset.
   */
  append(
    partition: number,
    records: ReadonlyArray<{ key: string; value: string | null }>,
    done: (error: KafkaError, baseOffset: number) => void,
    txn?: TxnAppendBatch,
  ): void {
    const now = this.ctx.now();
    let bytes = BATCH_HEADER_BYTES;
    for (const r of records) bytes += recordBytes(r.key, r.value);
    const correlationId = this.ctx.nextCorrelationId();
    this.pending.set(correlationId, { kind: "append", done });
    this.ctx.send(this.ctx.node, {
      type: "ProduceRequest",
      bytes: HEADER_BYTES + PARTITION_ENTRY_BYTES + bytes,
      correlationId,
      clientId: this.options.clientId,
      // KIP-890 (3.6+): the leader verifies a transactional write with the transaction coordinator
      // (Kafka's group coordinator does it before storeOffsets); no id, no verification.
      ...(txn === undefined ? {} : { transactionalId: txn.transactionalId }),
      acks: -1,
      timeoutMs: this.options.appendTimeoutMs(),
      partitions: [
        {
          topic: this.options.topic,
          partition,
          batch: {
            count: records.length,
            bytes,
            firstTimestampUs: now,
            maxTimestampUs: now,
            // A transactional offset commit is the producer's batch without a sequence, as
            // Kafka's coordinator writes it (RecordBatch.NO_SEQUENCE).
            producerId: txn?.producerId ?? NO_PRODUCER_ID,
            producerEpoch: txn?.producerEpoch ?? -1,
            baseSequence: -1,
            isTransactional: txn !== undefined,
            isControl: false,
            keys: records.map((r) => r.key),
            values: records.map((r) => r.value),
          },
        },
      ],
    } satisfies ProduceRequest);
  }

  // ------------------------------------------------------------------ creation

  private maybeCreateTopic(image: MetadataImage): void {
    if (this.createInFlight !== undefined || this.awaitingTopic) return;
    const controller = this.ctx.controllerNode();
    if (controller === undefined) return;
    const { topic, tracePrefix } = this.options;
    const numPartitions = configNumber(this.ctx.config, this.options.numPartitionsConfig);
    const { replicationFactor, configs } = this.options.topicSettings(image);
    const correlationId = this.ctx.nextCorrelationId();
    this.createInFlight = correlationId;
    this.pending.set(correlationId, { kind: "create" });
    this.ctx.emit(`${tracePrefix}.topic.create`, {
      topic,
      partitions: numPartitions,
      replicationFactor,
    });
    this.ctx.send(controller, {
      type: "AdminRequest",
      bytes: HEADER_BYTES + 256,
      correlationId,
      request: {
        op: "CreateTopics",
        topics: [{ name: topic, numPartitions, replicationFactor, configs }],
      },
    } satisfies AdminRequestMessage);
    this.options.timer(CREATE_TOPIC_TIMEOUT_US, { what: "create-timeout", correlationId });
  }

  private onCreateResponse(correlationId: number, m: AdminResponseMessage): void {
    if (this.createInFlight === correlationId) this.createInFlight = undefined;
    const result = m.results[0];
    const error = m.error !== "NONE" ? m.error : (result?.error ?? "NONE");
    // Created (or already there): wait for the metadata to arrive instead of asking again.
    if (error === "NONE" || error === "TOPIC_ALREADY_EXISTS") {
      this.awaitingTopic = this.ctx.image().topicByName(this.options.topic) === undefined;
    }
    this.ctx.emit(`${this.options.tracePrefix}.topic.created`, {
      topic: this.options.topic,
      error,
      message: result?.message ?? "",
    });
  }

  // ------------------------------------------------------------------ loading

  private startLoad(partition: number, leaderEpoch: number): void {
    const owned = this.options.newPartition({
      partition,
      leaderEpoch,
      status: "loading",
      loadSeq: ++this.loadSeq,
      fetchOffset: 0,
      targetOffset: 0,
    });
    this.owned.set(partition, owned);
    this.options.loading(owned);
    this.listOffsets(owned);
  }

  /** ListOffsets to itself: where the log starts, and its LEO (asked as a replica would). */
  private listOffsets(owned: P): void {
    const correlationId = this.ctx.nextCorrelationId();
    this.pending.set(correlationId, {
      kind: "list",
      partition: owned.partition,
      loadSeq: owned.loadSeq,
    });
    const entry = (timestamp: number) => ({
      topic: this.options.topic,
      partition: owned.partition,
      currentLeaderEpoch: owned.leaderEpoch,
      timestamp,
    });
    this.ctx.send(this.ctx.node, {
      type: "ListOffsetsRequest",
      bytes: HEADER_BYTES + 2 * PARTITION_ENTRY_BYTES,
      correlationId,
      replicaId: this.ctx.brokerId,
      isolationLevel: "read_uncommitted",
      partitions: [entry(EARLIEST_TIMESTAMP), entry(LATEST_TIMESTAMP)],
    } satisfies ListOffsetsRequest);
  }

  private onListOffsets(partition: number, loadSeq: number, m: ListOffsetsResponse): void {
    const owned = this.loading(partition, loadSeq);
    if (owned === undefined) return;
    const earliest = m.partitions.find((p) => p.timestamp === EARLIEST_TIMESTAMP);
    const latest = m.partitions.find((p) => p.timestamp === LATEST_TIMESTAMP);
    if (earliest?.error !== "NONE" || latest?.error !== "NONE") return this.retryLoad(owned);
    owned.fetchOffset = earliest.offset;
    owned.targetOffset = latest.offset;
    this.fetchMore(owned);
  }

  private fetchMore(owned: P): void {
    if (owned.fetchOffset >= owned.targetOffset) return this.finishLoad(owned);
    const correlationId = this.ctx.nextCorrelationId();
    this.pending.set(correlationId, {
      kind: "fetch",
      partition: owned.partition,
      loadSeq: owned.loadSeq,
    });
    const maxBytes = this.options.loadBufferBytes();
    this.ctx.send(this.ctx.node, {
      type: "FetchRequest",
      bytes: HEADER_BYTES + PARTITION_ENTRY_BYTES,
      correlationId,
      replicaId: -1,
      replicaEpoch: -1,
      maxWaitMs: LOAD_FETCH_WAIT_MS,
      minBytes: 1,
      maxBytes,
      isolationLevel: "read_uncommitted",
      partitions: [
        {
          topic: this.options.topic,
          partition: owned.partition,
          fetchOffset: owned.fetchOffset,
          lastFetchedEpoch: -1,
          currentLeaderEpoch: owned.leaderEpoch,
          logStartOffset: -1,
          partitionMaxBytes: maxBytes,
        },
      ],
    } satisfies FetchRequest);
  }

  private onLoadFetch(partition: number, loadSeq: number, m: FetchResponse): void {
    const owned = this.loading(partition, loadSeq);
    if (owned === undefined) return;
    const topic = this.options.topic;
    const data = m.partitions.find((p) => p.topic === topic && p.partition === partition);
    if (data === undefined) return this.retryLoad(owned);
    if (data.error === "OFFSET_OUT_OF_RANGE" && data.logStartOffset > owned.fetchOffset) {
      owned.fetchOffset = data.logStartOffset;
      return this.fetchMore(owned);
    }
    if (data.error !== "NONE") return this.retryLoad(owned);
    for (const batch of data.batches) {
      const end = batch.baseOffset + batch.count;
      if (end <= owned.fetchOffset) continue;
      this.options.replay(owned, batch, owned.fetchOffset);
      owned.fetchOffset = end;
    }
    this.fetchMore(owned);
  }

  private finishLoad(owned: P): void {
    owned.status = "loaded";
    this.options.loaded(owned);
  }

  private retryLoad(owned: P): void {
    this.options.timer(LOAD_RETRY_BACKOFF_US, {
      what: "load-retry",
      partition: owned.partition,
      loadSeq: owned.loadSeq,
    });
  }

  private loading(partition: number, loadSeq: number): P | undefined {
    const owned = this.owned.get(partition);
    return owned?.loadSeq === loadSeq && owned.status === "loading" ? owned : undefined;
  }

  private unload(partition: number): void {
    const owned = this.owned.get(partition);
    if (owned === undefined) return;
    this.owned.delete(partition);
    this.options.unloaded(owned);
  }
}

/**
 * What both coordinators tell a client of these append errors (GroupMetadataManager and
 * TransactionStateManager alike): the log cannot take it yet, or this broker no longer leads the
 * partition. Undefined for any other error, which each maps its own way.
 */
export function coordinatorAppendError(error: KafkaError): KafkaError | undefined {
  switch (error) {
    case "UNKNOWN_TOPIC_OR_PARTITION":
    case "NOT_ENOUGH_REPLICAS":
    case "NOT_ENOUGH_REPLICAS_AFTER_APPEND":
    case "REQUEST_TIMED_OUT":
      return "COORDINATOR_NOT_AVAILABLE";
    case "NOT_LEADER_OR_FOLLOWER":
    case "KAFKA_STORAGE_ERROR":
      return "NOT_COORDINATOR";
    default:
      return undefined;
  }
}

/** Visits a batch's keyed records at or after `from`, in log order (compaction may leave gaps). */
export function forEachRecord(
  batch: RecordBatch,
  from: number,
  visit: (key: string, value: string | null, offset: number) => void,
): void {
  const keys = batch.keys;
  const values = batch.values;
  if (keys === undefined || values === undefined) return;
  for (let i = 0; i < keys.length; i++) {
    const offset = batch.offsets?.[i] ?? batch.baseOffset + i;
    const key = keys[i];
    if (offset < from || key === null || key === undefined) continue;
    visit(key, values[i] ?? null, offset);
  }
}
