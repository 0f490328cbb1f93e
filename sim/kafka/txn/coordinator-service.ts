/**
 * The transaction coordinator as a part of a broker (Kafka's TransactionCoordinator with its
 * TransactionStateManager and TransactionMarkerChannelManager, and the FindCoordinator handler of
 * KafkaApis for key type "transaction"; reference §5, S16, S17).
 *
 * Models:
 * - FindCoordinator(transaction): the id's `__transaction_state` partition (placement.ts) and its
 *   leader. The topic is created on first use with a CreateTopics request to the active controller
 *   (`transaction.state.log.num.partitions`, `.replication.factor`, `.min.isr`, `.segment.bytes`,
 *   compacted, uncompressed); until a leader exists the answer is COORDINATOR_NOT_AVAILABLE.
 * - A broker coordinates the transactional ids of the `__transaction_state` partitions it leads,
 *   under the partition's leader epoch as its coordinator epoch. On becoming leader (or on a new
 *   leader epoch) it loads the partition from its own log (ListOffsets, then Fetches to itself up
 *   to the LEO, `transaction.state.log.load.buffer.size` bytes at a time); meanwhile its ids
 *   answer COORDINATOR_LOAD_IN_PROGRESS. Transactions found in PrepareCommit/PrepareAbort get
 *   their markers sent again. On losing leadership the ids are dropped (NOT_COORDINATOR).
 * - InitProducerId (with a transactional id), AddPartitionsToTxn, AddOffsetsToTxn and EndTxn are
 *   decided by coordinator-decisions.ts and carried out as its header says: every state change is
 *   a record keyed by the transactional id, appended to the coordinator's own partition with a
 *   ProduceRequest (acks=-1) to itself over loopback, and the client is answered when it is
 *   written. After a PrepareCommit/PrepareAbort, WriteTxnMarkers go to the current leader of
 *   every partition of the transaction (marker-routing.ts), retried on errors, timeouts,
 *   disconnects and leader changes; when all are written, CompleteCommit/CompleteAbort is
 *   appended (retried until written or the partition is no longer led here).
 * - Every `transaction.abort.timed.out.transaction.cleanup.interval.ms`, Ongoing transactions past
 *   their `transaction.timeout.ms` are aborted under a bumped epoch (the producer is fenced); every
 *   `transaction.remove.expired.transaction.cleanup.interval.ms`, ids idle for
 *   `transactional.id.expiration.ms` are written as tombstones and forgotten.
 * - Producer ids: from the process's block of the broker-epoch scheme of producer-id-manager.ts
 *   (brokerEpoch × 2^20), upper half (+2^19), so they never meet the ids the producer-id manager
 *   hands idempotent producers from the lower half, nor any other broker's or process's.
 *
 * The topic's creation, loading, unloading and appends are internal-topic.ts's, shared with the
 * group coordinator; this file holds the transactions, their records and their markers.
 *
 * Simplifies: no request queue, purgatory or send thread; one WriteTxnMarkers request per
 * transaction and leader (Kafka batches the markers of many transactions per broker); a modelled
 * 100 ms backoff between marker retries (doubling up to 1 s while a leader is unreachable); the
 * load reads up to the HW; the marker request timeout is Kafka's default broker
 * `request.timeout.ms` (30 s), which this model has no config for.
 *
 * Faults: the process crash loses everything in memory (onProcessStart); the new leader of a
 * `__transaction_state` partition reloads it and finishes what was prepared; a client whose
 * answer was lost with the process times out and retries, as in Kafka.
 */
import { assert } from "../../engine/assert.ts";
import type { EventHandle, SimEvent } from "../../engine/engine.ts";
import type { ProcessStart } from "../../infra/host.ts";
import type { NetMessage } from "../../infra/network.ts";
import { type BrokerContext, msToUs } from "../broker/context.ts";
import { PRODUCER_ID_BLOCK_SIZE } from "../broker/producer-id-manager.ts";
import type { BrokerService } from "../broker/services.ts";
import { configNumber } from "../config.ts";
import {
  coordinatorAppendError,
  forEachRecord,
  InternalTopic,
  type InternalTopicTimer,
  type LedPartition,
} from "../coordinator/internal-topic.ts";
import type { MetadataImage } from "../metadata/image.ts";
import { HEADER_BYTES } from "../protocol.ts";
import type {
  CoordinatorRequest,
  FindCoordinatorRequest,
  FindCoordinatorResponse,
  InitProducerIdRequest,
  InitProducerIdResponse,
} from "../protocol-clients.ts";
import type {
  AddOffsetsToTxnRequest,
  AddOffsetsToTxnResponse,
  AddPartitionsToTxnRequest,
  AddPartitionsToTxnResponse,
  EndTxnRequest,
  EndTxnResponse,
  WriteTxnMarkersRequest,
  WriteTxnMarkersResponse,
} from "../protocol-txn.ts";
import { type KafkaError, type RecordBatch, type TopicPartition, tpKey } from "../types.ts";
import { compareVersions } from "../version.ts";
import {
  clientVisibleError,
  handleAbortTimedOut,
  handleAddOffsets,
  handleAddPartitions,
  handleEndTxn,
  handleInitProducerId,
  isTransactionalIdExpired,
  isValidTransactionTimeout,
  type TxnDecision,
  type TxnMarkers,
  verifyPartitionsInTransaction,
} from "./coordinator-decisions.ts";
import { asTopicList, markerOutcome, routeMarkers } from "./marker-routing.ts";
import { TRANSACTION_STATE_TOPIC, transactionCoordinatorPartition } from "./placement.ts";
import {
  decodeTransactionLogRecord,
  encodeTransactionLogValue,
  transactionLogKey,
} from "./records.ts";
import {
  TransactionMetadata,
  type TransactionResult,
  type TxnTransitMetadata,
} from "./transaction-metadata.ts";

/**
 * One `__transaction_state` partition this broker leads. Its leader epoch is Kafka's coordinator
 * epoch, sent with every marker (a new one reloads the partition).
 */
interface OwnedTxnPartition extends LedPartition {
  /** Records replayed while loading (latest value per id; null = tombstone). */
  readonly replayed: Map<string, TxnTransitMetadata | null>;
  /** The ids of this partition, once loaded. */
  readonly txns: Map<string, TransactionMetadata>;
}

/** The markers of one prepared transaction, until its completion is written. */
interface MarkerJob {
  readonly seq: number;
  readonly transactionalId: string;
  readonly partition: number;
  readonly loadSeq: number;
  readonly meta: TransactionMetadata;
  readonly markers: TxnMarkers;
  readonly coordinatorEpoch: number;
  /** Partitions whose marker is not written yet, by tpKey. */
  readonly remaining: Map<string, TopicPartition>;
  /** Partitions of `remaining` in a request now, by tpKey. */
  readonly inFlight: Set<string>;
  retryScheduled: boolean;
  attempts: number;
  /** Failed sends since the last answer: the retry backs off exponentially, as a reconnect. */
  failStreak: number;
  /** The completion (CompleteCommit/CompleteAbort) once every marker is written. */
  complete: TxnTransitMetadata | undefined;
}

/** A WriteTxnMarkers request awaiting its answer. */
interface MarkerRequest {
  readonly jobSeq: number;
  readonly transactionalId: string;
  readonly node: string;
  readonly partitions: readonly TopicPartition[];
  readonly timer: EventHandle;
}

type TimerPayload =
  | { readonly epoch: number; readonly what: "abort-timed-out" }
  | { readonly epoch: number; readonly what: "remove-expired" }
  | ({ readonly epoch: number } & InternalTopicTimer)
  | { readonly epoch: number; readonly what: "markers-retry"; readonly transactionalId: string }
  | { readonly epoch: number; readonly what: "markers-timeout"; readonly correlationId: number }
  | { readonly epoch: number; readonly what: "complete-retry"; readonly transactionalId: string };

/** Timer kinds start with this (not "txn.": the partition leaders' transaction code may use it). */
const TIMER_PREFIX = "txncoord.";
const TIMER_KIND = "txncoord.timer";
/** Backoff before retrying a marker or a completion append (modelled). */
const RETRY_BACKOFF_US = 100_000;
/**
 * Markers to an unreachable leader back off exponentially up to this, as the inter-broker
 * client's reconnects do (`reconnect.backoff.max.ms` = 1 s).
 */
const MARKER_RETRY_BACKOFF_MAX_US = 1_000_000;
/** Kafka's default broker `request.timeout.ms`: markers and state appends (not a config here). */
const REQUEST_TIMEOUT_MS = 30_000;
/** The transaction coordinator's ids start half way into the broker's producer-id block. */
const TXN_PRODUCER_ID_OFFSET = PRODUCER_ID_BLOCK_SIZE / 2;
/** Modelled response sizes. */
const FIND_COORDINATOR_RESPONSE_BYTES = 32;
const INIT_PRODUCER_ID_RESPONSE_BYTES = 16;

export interface TxnCoordinatorSnapshot {
  readonly partitions: ReadonlyArray<{
    readonly partition: number;
    readonly coordinatorEpoch: number;
    readonly status: "loading" | "loaded";
  }>;
  /** Loaded transactional ids in id order, with their metadata and any pending state. */
  readonly transactions: ReadonlyArray<
    TxnTransitMetadata & {
      readonly transactionalId: string;
      readonly coordinatorPartition: number;
      readonly pendingState: string | null;
    }
  >;
}

export class TxnCoordinatorService implements BrokerService {
  readonly name = "transaction-coordinator";
  readonly timerPrefix = TIMER_PREFIX;
  /** Process generation: timers from an earlier process are ignored. */
  private epoch = 0;
  /** `__transaction_state`: its creation, the partitions led here, their loads and appends. */
  private readonly topic: InternalTopic<OwnedTxnPartition>;
  /** WriteTxnMarkers requests in flight, by correlation id. */
  private readonly markerRequests = new Map<number, MarkerRequest>();
  private readonly jobs = new Map<string, MarkerJob>();
  private jobSeq = 0;
  private pidBlockStart = -1;
  private pidNext = 0;
  /** When this process started: the periodic tasks tick at start + k × interval, as in Kafka. */
  private processStartUs = 0;
  /**
   * Whether each periodic task's next tick is scheduled. A task is armed only while this broker
   * leads a `__transaction_state` partition (it would find nothing to do otherwise), so a
   * cluster without transactions runs no extra events.
   */
  private abortArmed = false;
  private expireArmed = false;
  /** Transactions exist from 0.11 (KIP-98): an older broker has no transaction coordinator. */
  private readonly enabled: boolean;

  constructor(private readonly ctx: BrokerContext) {
    this.enabled = compareVersions(ctx.version, "0.11") >= 0;
    this.topic = this.newStateTopic();
  }

  // ------------------------------------------------------------------ BrokerService

  onProcessStart(_after: ProcessStart["after"]): void {
    this.epoch++;
    this.topic.reset();
    this.markerRequests.clear();
    this.jobs.clear();
    this.pidBlockStart = -1;
    this.pidNext = 0;
    this.processStartUs = this.ctx.now();
    this.abortArmed = false;
    this.expireArmed = false;
  }

  onMetadata(image: MetadataImage): void {
    if (!this.enabled) return;
    // Kafka reloads a partition whose coordinator epoch changed, as well as dropping lost ones.
    this.topic.onMetadata(image);
  }

  handleRequest(from: string, request: CoordinatorRequest): boolean {
    if (!this.enabled) return false;
    switch (request.type) {
      case "FindCoordinatorRequest":
        if (request.keyType !== "transaction") return false;
        this.findCoordinator(from, request);
        return true;
      case "InitProducerIdRequest":
        if (request.transactionalId === null) return false;
        this.initProducerId(from, request, request.transactionalId);
        return true;
      case "AddPartitionsToTxnRequest":
        this.addPartitions(from, request);
        return true;
      case "AddOffsetsToTxnRequest":
        this.addOffsets(from, request);
        return true;
      case "EndTxnRequest":
        this.endTxn(from, request);
        return true;
      default:
        return false;
    }
  }

  handleResponse(from: string, response: NetMessage): boolean {
    if (this.topic.handleResponse(from, response)) return true;
    const m = response as { type: string; correlationId?: number };
    if (m.correlationId === undefined) return false;
    const p = this.markerRequests.get(m.correlationId);
    if (p === undefined || from !== p.node || m.type !== "WriteTxnMarkersResponse") return false;
    this.markerRequests.delete(m.correlationId);
    this.ctx.cancel(p.timer);
    this.onMarkersResponse(p, response as WriteTxnMarkersResponse);
    return true;
  }

  handleTimer(event: SimEvent): void {
    if (event.kind !== TIMER_KIND) return;
    const payload = event.payload as TimerPayload;
    if (payload.epoch !== this.epoch) return;
    switch (payload.what) {
      case "abort-timed-out":
        this.abortArmed = false;
        this.abortTimedOutTransactions();
        return this.armPeriodicTasks();
      case "remove-expired":
        this.expireArmed = false;
        this.removeExpiredTransactionalIds();
        return this.armPeriodicTasks();
      case "create-timeout":
        return this.topic.onCreateTimeout(payload.correlationId);
      case "load-retry":
        return this.topic.onLoadRetry(payload.partition, payload.loadSeq);
      case "markers-retry": {
        const job = this.jobs.get(payload.transactionalId);
        if (job === undefined) return;
        job.retryScheduled = false;
        return this.sendMarkers(job);
      }
      case "markers-timeout": {
        const p = this.markerRequests.get(payload.correlationId);
        if (p === undefined) return;
        this.markerRequests.delete(payload.correlationId);
        return this.onMarkersFailed(p, "timeout");
      }
      case "complete-retry": {
        const job = this.jobs.get(payload.transactionalId);
        if (job !== undefined) this.writeCompletion(job);
        return;
      }
    }
  }

  onDisconnect(peer: string): void {
    const lost = [...this.markerRequests.entries()].filter(([, p]) => p.node === peer);
    for (const [correlationId, p] of lost) {
      this.markerRequests.delete(correlationId);
      this.ctx.cancel(p.timer);
      this.onMarkersFailed(p, "disconnect");
    }
  }

  /** Plain data for tools, the viz and tests. */
  snapshot(): TxnCoordinatorSnapshot {
    const owned = this.topic.partitions();
    const transactions = owned.flatMap((o) =>
      [...o.txns.values()]
        .sort((a, b) => compareStrings(a.transactionalId, b.transactionalId))
        .map((meta) => ({
          ...meta.snapshot(),
          transactionalId: meta.transactionalId,
          coordinatorPartition: o.partition,
          pendingState: meta.pendingState ?? null,
        })),
    );
    return {
      partitions: owned.map((o) => ({
        partition: o.partition,
        coordinatorEpoch: o.leaderEpoch,
        status: o.status,
      })),
      transactions,
    };
  }

  // ------------------------------------------------------------------ FindCoordinator

  private findCoordinator(from: string, request: FindCoordinatorRequest): void {
    const answer = (error: KafkaError, nodeId: number) => {
      this.ctx.emit("txn.find-coordinator", {
        client: from,
        transactionalId: request.key,
        error,
        nodeId,
      });
      this.ctx.send(from, {
        type: "FindCoordinatorResponse",
        bytes: HEADER_BYTES + FIND_COORDINATOR_RESPONSE_BYTES,
        correlationId: request.correlationId,
        error,
        nodeId,
      } satisfies FindCoordinatorResponse);
    };
    if (request.key === "") return answer("INVALID_REQUEST", -1);
    const { error, nodeId } = this.topic.findCoordinator((count) =>
      transactionCoordinatorPartition(request.key, count),
    );
    answer(error, nodeId);
  }

  // ------------------------------------------------------------------ client requests

  private initProducerId(from: string, request: InitProducerIdRequest, id: string): void {
    const respond = (error: KafkaError, producerId: number, producerEpoch: number) => {
      const visible = this.visible(error);
      const ok = visible === "NONE";
      this.ctx.emit("txn.init", {
        client: from,
        transactionalId: id,
        error: visible,
        producerId: ok ? producerId : -1,
        producerEpoch: ok ? producerEpoch : -1,
      });
      this.ctx.send(from, {
        type: "InitProducerIdResponse",
        bytes: HEADER_BYTES + INIT_PRODUCER_ID_RESPONSE_BYTES,
        correlationId: request.correlationId,
        error: visible,
        producerId: ok ? producerId : -1,
        producerEpoch: ok ? producerEpoch : -1,
      } satisfies InitProducerIdResponse);
    };
    // KafkaApis and TransactionCoordinator check these before looking the id up.
    if (id === "") return respond("INVALID_REQUEST", -1, -1);
    const maxTimeoutMs = configNumber(this.ctx.config, "transaction.max.timeout.ms");
    if (!isValidTransactionTimeout(request.transactionTimeoutMs, maxTimeoutMs)) {
      return respond("INVALID_TRANSACTION_TIMEOUT", -1, -1);
    }
    const owner = this.ownerOf(id);
    if (typeof owner === "string") return respond(owner, -1, -1);
    if (this.pidBlockStart < 0 && this.ctx.brokerEpoch() < 0) {
      return respond("COORDINATOR_LOAD_IN_PROGRESS", -1, -1);
    }
    const decision = handleInitProducerId(
      owner.txns.get(id),
      {
        transactionalId: id,
        transactionTimeoutMs: request.transactionTimeoutMs,
        producerId: request.producerId,
        producerEpoch: request.producerEpoch,
      },
      this.nowMs(),
      { transactionMaxTimeoutMs: maxTimeoutMs, newProducerId: () => this.newProducerId() },
    );
    this.carryOut(owner, id, decision, (error, transit) =>
      respond(error, transit?.producerId ?? -1, transit?.producerEpoch ?? -1),
    );
  }

  private addPartitions(from: string, request: AddPartitionsToTxnRequest): void {
    const partitions: TopicPartition[] = request.topics.flatMap((t) =>
      t.partitions.map((partition) => ({ topic: t.topic, partition })),
    );
    const respond = (errors: readonly KafkaError[]) => {
      const visible = errors.map((e) => this.visible(e));
      this.ctx.emit("txn.add-partitions", {
        client: from,
        transactionalId: request.transactionalId,
        producerId: request.producerId,
        producerEpoch: request.producerEpoch,
        verifyOnly: request.verifyOnly === true,
        partitions: partitions.map((tp) => tpKey(tp.topic, tp.partition)),
        errors: visible,
      });
      let i = 0;
      this.ctx.send(from, {
        type: "AddPartitionsToTxnResponse",
        bytes: HEADER_BYTES + 16 + 8 * partitions.length,
        correlationId: request.correlationId,
        results: request.topics.map((t) => ({
          topic: t.topic,
          partitions: t.partitions.map((partition) => ({
            partition,
            error: visible[i++] ?? "UNKNOWN_SERVER_ERROR",
          })),
        })),
      } satisfies AddPartitionsToTxnResponse);
    };
    const all = (error: KafkaError) => respond(partitions.map(() => error));
    if (request.transactionalId === "") return all("INVALID_REQUEST");
    const owner = this.ownerOf(request.transactionalId);
    if (typeof owner === "string") return all(owner);
    const meta = owner.txns.get(request.transactionalId);
    if (request.verifyOnly === true) {
      return respond(
        verifyPartitionsInTransaction(meta, request.producerId, request.producerEpoch, partitions),
      );
    }
    const decision = handleAddPartitions(
      meta,
      request.producerId,
      request.producerEpoch,
      partitions,
      this.nowMs(),
    );
    this.carryOut(owner, request.transactionalId, decision, (error) => all(error));
  }

  private addOffsets(from: string, request: AddOffsetsToTxnRequest): void {
    const respond = (error: KafkaError) => {
      const visible = this.visible(error);
      this.ctx.emit("txn.add-offsets", {
        client: from,
        transactionalId: request.transactionalId,
        groupId: request.groupId,
        error: visible,
      });
      this.ctx.send(from, {
        type: "AddOffsetsToTxnResponse",
        bytes: HEADER_BYTES + 8,
        correlationId: request.correlationId,
        error: visible,
      } satisfies AddOffsetsToTxnResponse);
    };
    if (request.transactionalId === "") return respond("INVALID_REQUEST");
    const owner = this.ownerOf(request.transactionalId);
    if (typeof owner === "string") return respond(owner);
    const decision = handleAddOffsets(
      owner.txns.get(request.transactionalId),
      request.producerId,
      request.producerEpoch,
      request.groupId,
      this.offsetsTopicPartitions(),
      this.nowMs(),
    );
    this.carryOut(owner, request.transactionalId, decision, (error) => respond(error));
  }

  private endTxn(from: string, request: EndTxnRequest): void {
    const result: TransactionResult = request.committed ? "COMMIT" : "ABORT";
    const respond = (error: KafkaError) => {
      const visible = this.visible(error);
      this.ctx.emit("txn.end", {
        client: from,
        transactionalId: request.transactionalId,
        producerId: request.producerId,
        producerEpoch: request.producerEpoch,
        result,
        error: visible,
      });
      this.ctx.send(from, {
        type: "EndTxnResponse",
        bytes: HEADER_BYTES + 8,
        correlationId: request.correlationId,
        error: visible,
      } satisfies EndTxnResponse);
    };
    if (request.transactionalId === "") return respond("INVALID_REQUEST");
    const owner = this.ownerOf(request.transactionalId);
    if (typeof owner === "string") return respond(owner);
    const decision = handleEndTxn(
      owner.txns.get(request.transactionalId),
      request.producerId,
      request.producerEpoch,
      result,
      this.nowMs(),
    );
    this.carryOut(owner, request.transactionalId, decision, (error) => respond(error));
  }

  // ------------------------------------------------------------------ carrying decisions out

  /**
   * coordinator-decisions.ts's recipe: begin the transition, append its record, then complete it
   * (or fail it) and reply; with markers, prepare the completion and send them. A reply whose
   * partition was unloaded or reloaded meanwhile is NOT_COORDINATOR (Kafka checks the coordinator
   * epoch after the append), and the metadata is left to the new load.
   */
  private carryOut(
    owned: OwnedTxnPartition,
    id: string,
    decision: TxnDecision,
    reply: (error: KafkaError, transit?: TxnTransitMetadata) => void,
  ): void {
    if (decision.kind === "reply") return reply(decision.error);
    const { metadata: meta, transit } = decision;
    if (decision.created) owned.txns.set(id, meta);
    assert(owned.txns.get(id) === meta, () => `${id}: the decision's metadata is the cached one`);
    const from = meta.state;
    meta.beginTransition(transit);
    this.append(owned, id, encodeTransactionLogValue(transit), (error) => {
      if (!this.isCurrent(owned)) return reply("NOT_COORDINATOR");
      if (error !== "NONE") {
        meta.failTransition(transit);
        this.ctx.emit("txn.state.failed", {
          transactionalId: id,
          from,
          to: transit.txnState,
          error,
        });
        return reply(error);
      }
      meta.completeTransitionTo(transit);
      this.emitState(id, from, transit, owned, decision.fenced === true);
      reply(decision.replyOnSuccess, transit);
      if (decision.markers !== undefined) this.startMarkers(owned, meta, decision.markers);
    });
  }

  private emitState(
    id: string,
    from: string,
    transit: TxnTransitMetadata,
    owned: OwnedTxnPartition,
    fenced = false,
  ): void {
    this.ctx.emit("txn.state", {
      transactionalId: id,
      producerId: transit.producerId,
      producerEpoch: transit.producerEpoch,
      from,
      // A fence passes through PrepareEpochFence, which Kafka keeps in memory only.
      ...(fenced ? { via: "PrepareEpochFence" } : {}),
      to: transit.txnState,
      partitions: transit.topicPartitions.map((tp) => tpKey(tp.topic, tp.partition)),
      coordinatorPartition: owned.partition,
      coordinatorEpoch: owned.leaderEpoch,
    });
  }

  // ------------------------------------------------------------------ markers

  /** PrepareCommit/PrepareAbort is written: the id is busy until the completion is written. */
  private startMarkers(owned: OwnedTxnPartition, meta: TransactionMetadata, markers: TxnMarkers) {
    assert(
      !this.jobs.has(meta.transactionalId),
      () => `${meta.transactionalId}: markers are already being sent`,
    );
    const complete = meta.prepareComplete(this.nowMs());
    meta.beginTransition(complete);
    const job: MarkerJob = {
      seq: ++this.jobSeq,
      transactionalId: meta.transactionalId,
      partition: owned.partition,
      loadSeq: owned.loadSeq,
      meta,
      markers,
      coordinatorEpoch: owned.leaderEpoch,
      remaining: new Map(markers.partitions.map((tp) => [tpKey(tp.topic, tp.partition), tp])),
      inFlight: new Set(),
      retryScheduled: false,
      attempts: 0,
      failStreak: 0,
      complete,
    };
    this.jobs.set(job.transactionalId, job);
    this.sendMarkers(job);
  }

  /** Sends the markers not yet written and not in flight, to each partition's current leader. */
  private sendMarkers(job: MarkerJob): void {
    if (!this.isJobCurrent(job)) return void this.jobs.delete(job.transactionalId);
    const waiting = [...job.remaining.entries()]
      .filter(([key]) => !job.inFlight.has(key))
      .map(([, tp]) => tp);
    const route = routeMarkers(this.ctx.image(), waiting);
    for (const tp of route.unknown) job.remaining.delete(tpKey(tp.topic, tp.partition));
    if (route.unknown.length > 0) {
      this.ctx.emit("txn.markers.skipped", {
        transactionalId: job.transactionalId,
        partitions: route.unknown.map((tp) => tpKey(tp.topic, tp.partition)),
        reason: "unknown-partition",
      });
    }
    job.attempts++;
    for (const { leader, partitions } of route.byLeader)
      this.sendMarkerRequest(job, leader, partitions);
    if (route.noLeader.length > 0) this.scheduleMarkerRetry(job);
    this.maybeComplete(job);
  }

  private sendMarkerRequest(job: MarkerJob, leader: number, partitions: readonly TopicPartition[]) {
    const node = String(leader);
    const correlationId = this.ctx.nextCorrelationId();
    const timer = this.timer(REQUEST_TIMEOUT_MS * 1000, {
      epoch: this.epoch,
      what: "markers-timeout",
      correlationId,
    });
    for (const tp of partitions) job.inFlight.add(tpKey(tp.topic, tp.partition));
    this.markerRequests.set(correlationId, {
      jobSeq: job.seq,
      transactionalId: job.transactionalId,
      node,
      partitions,
      timer,
    });
    this.ctx.emit("txn.markers.sent", {
      transactionalId: job.transactionalId,
      producerId: job.markers.producerId,
      producerEpoch: job.markers.producerEpoch,
      result: job.markers.result,
      leader,
      partitions: partitions.map((tp) => tpKey(tp.topic, tp.partition)),
      coordinatorEpoch: job.coordinatorEpoch,
      attempt: job.attempts,
    });
    this.ctx.send(node, {
      type: "WriteTxnMarkersRequest",
      bytes: HEADER_BYTES + 24 + 8 * partitions.length,
      correlationId,
      markers: [
        {
          producerId: job.markers.producerId,
          producerEpoch: job.markers.producerEpoch,
          transactionResult: job.markers.result,
          topics: asTopicList(partitions),
          coordinatorEpoch: job.coordinatorEpoch,
        },
      ],
    } satisfies WriteTxnMarkersRequest);
  }

  private onMarkersResponse(p: MarkerRequest, m: WriteTxnMarkersResponse): void {
    const job = this.jobs.get(p.transactionalId);
    if (job === undefined || job.seq !== p.jobSeq) return;
    const errors = new Map<string, string>();
    for (const marker of m.markers) {
      if (marker.producerId !== job.markers.producerId) continue;
      for (const t of marker.topics) {
        for (const r of t.partitions) errors.set(tpKey(t.topic, r.partition), r.error);
      }
    }
    const written: string[] = [];
    const retry: string[] = [];
    const skipped: string[] = [];
    let stop = false;
    for (const tp of p.partitions) {
      const key = tpKey(tp.topic, tp.partition);
      job.inFlight.delete(key);
      // A partition the response leaves out is sent again.
      const outcome = markerOutcome(errors.get(key) ?? "UNKNOWN_SERVER_ERROR");
      if (outcome === "written") {
        job.remaining.delete(key);
        written.push(key);
      } else if (outcome === "skip") {
        job.remaining.delete(key);
        skipped.push(key);
      } else if (outcome === "stop") {
        stop = true;
      } else {
        retry.push(key);
      }
    }
    this.ctx.emit("txn.markers.response", {
      transactionalId: job.transactionalId,
      leader: Number(p.node),
      written,
      retry,
      skipped,
      errors: p.partitions.map((tp) => errors.get(tpKey(tp.topic, tp.partition)) ?? "MISSING"),
      stop,
    });
    job.failStreak = 0;
    if (stop) {
      // Another coordinator (a newer epoch) owns the transaction now; it will finish it.
      this.jobs.delete(job.transactionalId);
      return;
    }
    if (retry.length > 0) this.scheduleMarkerRetry(job);
    this.maybeComplete(job);
  }

  private onMarkersFailed(p: MarkerRequest, reason: "timeout" | "disconnect"): void {
    const job = this.jobs.get(p.transactionalId);
    if (job === undefined || job.seq !== p.jobSeq) return;
    for (const tp of p.partitions) job.inFlight.delete(tpKey(tp.topic, tp.partition));
    this.ctx.emit("txn.markers.failed", {
      transactionalId: job.transactionalId,
      leader: Number(p.node),
      partitions: p.partitions.map((tp) => tpKey(tp.topic, tp.partition)),
      reason,
    });
    job.failStreak++;
    this.scheduleMarkerRetry(job);
  }

  private scheduleMarkerRetry(job: MarkerJob): void {
    if (job.retryScheduled) return;
    job.retryScheduled = true;
    let delayUs = RETRY_BACKOFF_US;
    for (let i = 1; i < job.failStreak && delayUs < MARKER_RETRY_BACKOFF_MAX_US; i++) delayUs *= 2;
    this.timer(Math.min(delayUs, MARKER_RETRY_BACKOFF_MAX_US), {
      epoch: this.epoch,
      what: "markers-retry",
      transactionalId: job.transactionalId,
    });
  }

  private maybeComplete(job: MarkerJob): void {
    if (job.remaining.size > 0 || job.inFlight.size > 0) return;
    this.ctx.emit("txn.markers.done", {
      transactionalId: job.transactionalId,
      producerId: job.markers.producerId,
      producerEpoch: job.markers.producerEpoch,
      result: job.markers.result,
      attempts: job.attempts,
    });
    this.writeCompletion(job);
  }

  /** Appends CompleteCommit/CompleteAbort; retried until written or the partition is gone. */
  private writeCompletion(job: MarkerJob): void {
    const owned = this.topic.get(job.partition);
    const complete = job.complete;
    if (owned === undefined || !this.isJobCurrent(job) || complete === undefined) {
      this.jobs.delete(job.transactionalId);
      return;
    }
    const from = job.meta.state;
    this.append(owned, job.transactionalId, encodeTransactionLogValue(complete), (error) => {
      if (!this.isJobCurrent(job)) return void this.jobs.delete(job.transactionalId);
      if (error !== "NONE") {
        this.ctx.emit("txn.state.failed", {
          transactionalId: job.transactionalId,
          from,
          to: complete.txnState,
          error,
        });
        this.timer(RETRY_BACKOFF_US, {
          epoch: this.epoch,
          what: "complete-retry",
          transactionalId: job.transactionalId,
        });
        return;
      }
      job.meta.completeTransitionTo(complete);
      job.complete = undefined;
      this.jobs.delete(job.transactionalId);
      this.emitState(job.transactionalId, from, complete, owned);
    });
  }

  private isJobCurrent(job: MarkerJob): boolean {
    const owned = this.topic.get(job.partition);
    return (
      owned !== undefined &&
      owned.loadSeq === job.loadSeq &&
      owned.status === "loaded" &&
      this.jobs.get(job.transactionalId) === job
    );
  }

  // ------------------------------------------------------------------ periodic tasks

  /** Schedules the next tick of each periodic task while this broker leads a partition. */
  private armPeriodicTasks(): void {
    if (this.topic.size === 0) return;
    const cfg = this.ctx.config;
    if (!this.abortArmed) {
      this.abortArmed = true;
      const intervalMs = configNumber(
        cfg,
        "transaction.abort.timed.out.transaction.cleanup.interval.ms",
      );
      this.timer(this.untilNextTick(intervalMs), { epoch: this.epoch, what: "abort-timed-out" });
    }
    if (!this.expireArmed) {
      this.expireArmed = true;
      const intervalMs = configNumber(
        cfg,
        "transaction.remove.expired.transaction.cleanup.interval.ms",
      );
      this.timer(this.untilNextTick(intervalMs), { epoch: this.epoch, what: "remove-expired" });
    }
  }

  /** µs from now to the next start + k × interval (k ≥ 1) strictly after now. */
  private untilNextTick(intervalMs: number): number {
    const intervalUs = msToUs(intervalMs);
    const elapsedUs = this.ctx.now() - this.processStartUs;
    if (intervalUs >= Number.MAX_SAFE_INTEGER - this.processStartUs) return Number.MAX_SAFE_INTEGER;
    const nextUs = (Math.floor(elapsedUs / intervalUs) + 1) * intervalUs;
    return nextUs - elapsedUs;
  }

  /** TransactionCoordinator.abortTimedOutTransactions, over the loaded ids in order. */
  private abortTimedOutTransactions(): void {
    const nowMs = this.nowMs();
    for (const owned of this.loadedPartitions()) {
      for (const meta of sortedTxns(owned)) {
        const decision = handleAbortTimedOut(meta, nowMs);
        if (decision.kind === "reply") continue;
        this.ctx.emit("txn.timeout.abort", {
          transactionalId: meta.transactionalId,
          producerId: meta.producerId,
          producerEpoch: meta.producerEpoch,
          txnStartTimestamp: meta.txnStartTimestamp,
          txnTimeoutMs: meta.txnTimeoutMs,
        });
        this.carryOut(owned, meta.transactionalId, decision, () => {});
      }
    }
  }

  /** TransactionStateManager's expiration: a tombstone, then the id is forgotten. */
  private removeExpiredTransactionalIds(): void {
    const nowMs = this.nowMs();
    const expirationMs = configNumber(this.ctx.config, "transactional.id.expiration.ms");
    for (const owned of this.loadedPartitions()) {
      for (const meta of sortedTxns(owned)) {
        if (!isTransactionalIdExpired(meta, nowMs, expirationMs)) continue;
        const dead = meta.prepareDead();
        const from = meta.state;
        meta.beginTransition(dead);
        this.append(owned, meta.transactionalId, null, (error) => {
          if (!this.isCurrent(owned)) return;
          if (error !== "NONE") return meta.failTransition(dead);
          owned.txns.delete(meta.transactionalId);
          this.emitState(meta.transactionalId, from, dead, owned);
        });
      }
    }
  }

  // ------------------------------------------------------------------ loading

  /** `__transaction_state` as internal-topic.ts runs it; the records and their replay are ours. */
  private newStateTopic(): InternalTopic<OwnedTxnPartition> {
    const ctx = this.ctx;
    return new InternalTopic<OwnedTxnPartition>(ctx, {
      topic: TRANSACTION_STATE_TOPIC,
      numPartitionsConfig: "transaction.state.log.num.partitions",
      tracePrefix: "txn",
      clientId: `transaction-coordinator-${ctx.node}`,
      // As the offsets topic from 0.11 (KAFKA-3959): no cap; creation fails until enough brokers
      // are alive (transactions exist only from 0.11, so the 0.10 cap never applies).
      topicSettings: () => ({
        replicationFactor: configNumber(ctx.config, "transaction.state.log.replication.factor"),
        // TransactionStateManager.transactionTopicConfigs.
        configs: {
          "cleanup.policy": "compact",
          "min.insync.replicas": String(configNumber(ctx.config, "transaction.state.log.min.isr")),
          "segment.bytes": String(configNumber(ctx.config, "transaction.state.log.segment.bytes")),
          "compression.type": "uncompressed",
          "unclean.leader.election.enable": "false",
        },
      }),
      loadBufferBytes: () => configNumber(ctx.config, "transaction.state.log.load.buffer.size"),
      appendTimeoutMs: () => REQUEST_TIMEOUT_MS,
      reloadOnNewLeaderEpoch: true,
      timer: (delayUs, timer) => void this.timer(delayUs, { epoch: this.epoch, ...timer }),
      newPartition: (base) => ({ ...base, replayed: new Map(), txns: new Map() }),
      loading: (owned) => {
        ctx.emit("txn.loading", {
          partition: owned.partition,
          coordinatorEpoch: owned.leaderEpoch,
        });
        this.armPeriodicTasks();
      },
      replay: (owned, batch, from) => replayBatch(owned, batch, from),
      loaded: (owned) => this.finishLoad(owned),
      unloaded: (owned) => this.unload(owned),
    });
  }

  /** The partition is loaded: its ids answer, and prepared transactions get their markers. */
  private finishLoad(owned: OwnedTxnPartition): void {
    const ids = [...owned.replayed.keys()].sort(compareStrings);
    for (const id of ids) {
      const value = owned.replayed.get(id);
      if (value === null || value === undefined || value.txnState === "Dead") continue;
      owned.txns.set(id, TransactionMetadata.fromLog(id, value));
    }
    owned.replayed.clear();
    const prepared = sortedTxns(owned).filter(
      (m) => m.state === "PrepareCommit" || m.state === "PrepareAbort",
    );
    this.ctx.emit("txn.load", {
      partition: owned.partition,
      coordinatorEpoch: owned.leaderEpoch,
      transactionalIds: owned.txns.size,
      prepared: prepared.map((m) => m.transactionalId),
    });
    for (const meta of prepared) {
      this.startMarkers(owned, meta, {
        result: meta.state === "PrepareCommit" ? "COMMIT" : "ABORT",
        producerId: meta.producerId,
        producerEpoch: meta.producerEpoch,
        partitions: meta.topicPartitions,
      });
    }
  }

  /** The partition was dropped: its marker jobs stop (a new coordinator finishes them). */
  private unload(owned: OwnedTxnPartition): void {
    const partition = owned.partition;
    for (const [id, job] of [...this.jobs]) if (job.partition === partition) this.jobs.delete(id);
    this.ctx.emit("txn.unload", {
      partition,
      coordinatorEpoch: owned.leaderEpoch,
      transactionalIds: owned.txns.size,
    });
  }

  // ------------------------------------------------------------------ writes

  /** One record keyed by the transactional id, acks=-1, to this broker over loopback. */
  private append(
    owned: OwnedTxnPartition,
    transactionalId: string,
    value: string | null,
    done: (error: KafkaError) => void,
  ): void {
    this.topic.append(
      owned.partition,
      [{ key: transactionLogKey(transactionalId), value }],
      (error) => done(mapTxnAppendError(error)),
    );
  }

  // ------------------------------------------------------------------ helpers

  /** Where the id's partition stands here: owned and loaded, or Kafka's getTransactionState error. */
  private ownerOf(id: string): OwnedTxnPartition | KafkaError {
    return this.topic.ownerOf(transactionCoordinatorPartition(id, this.partitionCount()));
  }

  private isCurrent(owned: OwnedTxnPartition): boolean {
    return this.topic.get(owned.partition) === owned && owned.status === "loaded";
  }

  private loadedPartitions(): OwnedTxnPartition[] {
    return this.topic.partitions().filter((o) => o.status === "loaded");
  }

  /**
   * A producer id from this process's block (see the header). The block is taken at the first
   * need, from the broker epoch of the current registration.
   */
  private newProducerId(): number {
    if (this.pidBlockStart < 0) {
      const brokerEpoch = this.ctx.brokerEpoch();
      assert(brokerEpoch >= 0, "a transaction coordinator has registered before it hands out ids");
      this.pidBlockStart = brokerEpoch * PRODUCER_ID_BLOCK_SIZE + TXN_PRODUCER_ID_OFFSET;
      assert(Number.isSafeInteger(this.pidBlockStart), "producer id block start is safe");
      this.ctx.emit("txn.producer-id.block", {
        brokerEpoch,
        firstProducerId: this.pidBlockStart,
        size: PRODUCER_ID_BLOCK_SIZE - TXN_PRODUCER_ID_OFFSET,
      });
    }
    assert(
      this.pidNext < PRODUCER_ID_BLOCK_SIZE - TXN_PRODUCER_ID_OFFSET,
      "the transaction coordinator's producer id block ran out",
    );
    return this.pidBlockStart + this.pidNext++;
  }

  /** KIP-588 (2.7): older clients are told INVALID_PRODUCER_EPOCH instead of PRODUCER_FENCED. */
  private visible(error: KafkaError): KafkaError {
    if (error !== "PRODUCER_FENCED") return error;
    return clientVisibleError(error, compareVersions(this.ctx.version, "2.7") >= 0);
  }

  private partitionCount(): number {
    return this.topic.partitionCount();
  }

  private offsetsTopicPartitions(): number {
    const topic = this.ctx.image().topicByName("__consumer_offsets");
    if (topic !== undefined && topic.partitions.length > 0) return topic.partitions.length;
    return configNumber(this.ctx.config, "offsets.topic.num.partitions");
  }

  private nowMs(): number {
    return Math.floor(this.ctx.now() / 1000);
  }

  private timer(delayUs: number, payload: TimerPayload): EventHandle {
    return this.ctx.timer(delayUs, TIMER_KIND, payload);
  }
}

/** TransactionStateManager's append error mapping (what the client is told). */
export function mapTxnAppendError(error: KafkaError): KafkaError {
  if (error === "NONE") return "NONE";
  return coordinatorAppendError(error) ?? "UNKNOWN_SERVER_ERROR";
}

/** Replays a `__transaction_state` batch: the latest value per id (null = tombstone). */
function replayBatch(owned: OwnedTxnPartition, batch: RecordBatch, from: number): void {
  if (batch.isControl) return;
  forEachRecord(batch, from, (key, value) => {
    const record = decodeTransactionLogRecord(key, value);
    if (record !== undefined) owned.replayed.set(record.transactionalId, record.value);
  });
}

function sortedTxns(owned: OwnedTxnPartition): TransactionMetadata[] {
  return [...owned.txns.values()].sort((a, b) =>
    compareStrings(a.transactionalId, b.transactionalId),
  );
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
