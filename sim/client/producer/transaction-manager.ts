/**
 * The transactional producer's client side (the transactional part of Kafka's TransactionManager,
 * reference §5): the client states, the coordinator requests (FindCoordinator with key type
 * "transaction", InitProducerId, AddPartitionsToTxn, AddOffsetsToTxn, TxnOffsetCommit, EndTxn)
 * and their error handling. The producer owns the network and the batches; it asks this module
 * whether a batch may be drained and tells it when a batch failed.
 *
 * States (TransactionManager.State) and their transitions:
 *   UNINITIALIZED → INITIALIZING (initTransactions) → READY (InitProducerId answered)
 *   READY → IN_TRANSACTION (beginTransaction)
 *   IN_TRANSACTION → COMMITTING_TRANSACTION | ABORTING_TRANSACTION (commit / abort)
 *   COMMITTING_TRANSACTION | ABORTING_TRANSACTION → READY (EndTxn answered NONE)
 *   IN_TRANSACTION | COMMITTING_TRANSACTION → ABORTABLE_ERROR (a batch or request failed)
 *   ABORTABLE_ERROR → ABORTING_TRANSACTION (abortTransaction)
 *   any → FATAL_ERROR (fenced, or an error Kafka does not recover from); nothing leaves it.
 *
 * Models:
 * - one coordinator request in flight at a time, in the order they were queued (Kafka's priority
 *   queue: FindCoordinator, InitProducerId, AddPartitions, AddOffsets/TxnOffsetCommit, EndTxn);
 *   an unknown coordinator is looked up first (FindCoordinator to any broker);
 * - retriable coordinator errors (COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR,
 *   COORDINATOR_LOAD_IN_PROGRESS, CONCURRENT_TRANSACTIONS) and lost requests (request.timeout.ms,
 *   disconnects) are retried after retry.backoff.ms (20 ms for the first AddPartitionsToTxn of a
 *   transaction answered CONCURRENT_TRANSACTIONS: the previous one is completing); NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE,
 *   a timeout and a disconnect forget the coordinator first;
 * - the first send to a partition in a transaction queues it for AddPartitionsToTxn; batches of a
 *   partition are held until the coordinator has added it (`isSendToPartitionAllowed`);
 * - EndTxn waits until every record of the transaction is settled (the producer's `flushed`);
 *   a transaction to which nothing was added ends locally, without EndTxn;
 * - PRODUCER_FENCED, or INVALID_PRODUCER_EPOCH from the coordinator → ProducerFencedException,
 *   fatal; INVALID_PRODUCER_EPOCH on a produce is fatal too before 2.7 and abortable from 2.7
 *   (KIP-588's InvalidProducerEpochException); a failed batch or INVALID_TXN_STATE on
 *   AddPartitions → an abortable error (commit then fails; abort works);
 * - KIP-360 inside transactions: after an abort that followed a failed batch, InitProducerId is
 *   sent again with the current id and epoch, bumping the epoch, before the next transaction.
 * - TxnOffsetCommit (TransactionManager.TxnOffsetCommitHandler) to the group's coordinator
 *   (FindCoordinator key type "group"), with the consumer's group metadata (KIP-447): partitions
 *   answered NONE are done, the others are sent again after retry.backoff.ms when retriable
 *   (COORDINATOR_NOT_AVAILABLE and NOT_COORDINATOR look the group coordinator up again;
 *   COORDINATOR_LOAD_IN_PROGRESS, UNKNOWN_TOPIC_OR_PARTITION, REQUEST_TIMED_OUT, a timeout or a
 *   disconnect); ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID and FENCED_INSTANCE_ID make the transaction
 *   abortable with CommitFailedException; PRODUCER_FENCED / INVALID_PRODUCER_EPOCH are fatal; any
 *   other error is fatal (KafkaException "Unexpected error in TxnOffsetCommitResponse"). EndTxn
 *   waits behind it in the queue, so a commit includes the offsets or fails.
 *
 * Simplifies: initTransactions/commit/abort do not block an application thread and have no
 * max.block.ms timeout (their result is a callback and the trace); no KIP-890 part 2 (epoch bump
 * per transaction); no AddPartitions batching delay.
 * Faults: lost requests, disconnects, coordinator moves; the producer's crash drops this state.
 */
import { assert } from "../../engine/assert.ts";
import type { EventHandle } from "../../engine/engine.ts";
import type { TraceFields } from "../../engine/trace.ts";
import { HEADER_BYTES } from "../../kafka/protocol.ts";
import type {
  FindCoordinatorRequest,
  FindCoordinatorResponse,
  InitProducerIdRequest,
  InitProducerIdResponse,
} from "../../kafka/protocol-clients.ts";
import type {
  AddOffsetsToTxnRequest,
  AddOffsetsToTxnResponse,
  AddPartitionsToTxnRequest,
  AddPartitionsToTxnResponse,
  EndTxnRequest,
  EndTxnResponse,
  TxnOffsetCommitRequest,
  TxnOffsetCommitResponse,
} from "../../kafka/protocol-txn.ts";
import type { KafkaError } from "../../kafka/types.ts";

export type TransactionState =
  | "UNINITIALIZED"
  | "INITIALIZING"
  | "READY"
  | "IN_TRANSACTION"
  | "COMMITTING_TRANSACTION"
  | "ABORTING_TRANSACTION"
  | "ABORTABLE_ERROR"
  | "FATAL_ERROR";

/** What the manager sends. */
export type TxnClientRequest =
  | FindCoordinatorRequest
  | InitProducerIdRequest
  | AddPartitionsToTxnRequest
  | AddOffsetsToTxnRequest
  | EndTxnRequest
  | TxnOffsetCommitRequest;

/** What it may receive. */
export type TxnClientResponse =
  | FindCoordinatorResponse
  | InitProducerIdResponse
  | AddPartitionsToTxnResponse
  | AddOffsetsToTxnResponse
  | EndTxnResponse
  | TxnOffsetCommitResponse;

/** A Java exception as the application sees it: its simple class name and message. */
export class TransactionError extends Error {
  constructor(
    readonly exception:
      | "ProducerFencedException"
      | "IllegalStateException"
      | "KafkaException"
      | "TransactionAbortedException"
      | "CommitFailedException",
    message: string,
  ) {
    super(`${exception}: ${message}`);
    this.name = exception;
  }
}

/** How a commit or abort ended (the trace's `outcome`). */
export type TransactionEnd = "committed" | "aborted" | "failed";

/** What the manager needs from its producer. */
export interface TransactionHost {
  readonly clientId: string;
  now(): number;
  /** A broker to ask FindCoordinator (the least loaded node). */
  anyBroker(): number;
  send(broker: number, message: TxnClientRequest): void;
  nextCorrelationId(): number;
  /** Schedules `onTimer(id)` at `atUs`. */
  timer(atUs: number, id: number): EventHandle;
  cancel(handle: EventHandle | undefined): void;
  emit(type: string, fields: TraceFields): void;
  /** InitProducerId answered: the producer id and epoch for the batches. */
  setProducerId(producerId: number, producerEpoch: number): void;
  /** Whether an epoch bump is due after a failed batch (idempotence's KIP-360 flag). */
  epochBumpRequired(): boolean;
  /** Every record sent so far is settled: nothing waits, queued or in flight. */
  flushed(): boolean;
  /** Make every queued batch sendable now (commit's flush). */
  flush(): void;
  /** Fail every batch not yet drained (abort, fatal error) with this exception text. */
  failUndrained(error: string): void;
  /** The state changed (the workload driver may act). */
  onStateChange(state: TransactionState, ended?: TransactionEnd): void;
}

export interface TransactionSettings {
  readonly transactionalId: string;
  /**
   * KIP-588 (2.7+): INVALID_PRODUCER_EPOCH on a produce is InvalidProducerEpochException, an
   * abortable error (the abort's EndTxn then meets PRODUCER_FENCED); before, it is fatal at once.
   */
  readonly abortableEpochError?: boolean;
  readonly transactionTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly retryBackoffMs: number;
}

/** The offsets sendOffsetsToTransaction takes, with the consumer's group metadata. */
export interface TxnOffsets {
  readonly groupId: string;
  readonly generationId?: number;
  readonly memberId?: string;
  readonly groupInstanceId?: string | null;
  readonly offsets: ReadonlyArray<{
    readonly topic: string;
    readonly partition: number;
    readonly offset: number;
  }>;
}

const RETRIABLE: ReadonlySet<KafkaError> = new Set<KafkaError>([
  "COORDINATOR_NOT_AVAILABLE",
  "NOT_COORDINATOR",
  "COORDINATOR_LOAD_IN_PROGRESS",
  "CONCURRENT_TRANSACTIONS",
]);

/** Errors after which the coordinator must be looked up again. */
const LOOKUP_AGAIN: ReadonlySet<KafkaError> = new Set<KafkaError>([
  "COORDINATOR_NOT_AVAILABLE",
  "NOT_COORDINATOR",
]);

const FENCED: ReadonlySet<KafkaError> = new Set<KafkaError>([
  "PRODUCER_FENCED",
  "INVALID_PRODUCER_EPOCH",
]);

/** TxnOffsetCommitHandler: errors after which the partitions are sent again. */
const TXN_OFFSET_RETRIABLE: ReadonlySet<KafkaError> = new Set<KafkaError>([
  "COORDINATOR_NOT_AVAILABLE",
  "NOT_COORDINATOR",
  "COORDINATOR_LOAD_IN_PROGRESS",
  "UNKNOWN_TOPIC_OR_PARTITION",
  "REQUEST_TIMED_OUT",
]);

/** TxnOffsetCommitHandler: the consumer's group metadata no longer matches (KIP-447). */
const GROUP_MISMATCH: ReadonlySet<KafkaError> = new Set<KafkaError>([
  "ILLEGAL_GENERATION",
  "UNKNOWN_MEMBER_ID",
  "FENCED_INSTANCE_ID",
]);

/** TransactionManager.ADD_PARTITIONS_RETRY_BACKOFF_MS. */
const ADD_PARTITIONS_RETRY_BACKOFF_MS = 20;

const FENCED_MESSAGE =
  "There is a newer producer with the same transactionalId which fences the current one.";

type Pending =
  | { readonly kind: "init"; readonly bump: boolean }
  | { readonly kind: "add-partitions" }
  | { readonly kind: "add-offsets"; readonly offsets: TxnOffsets }
  | { readonly kind: "txn-offset-commit"; readonly offsets: TxnOffsets }
  | { readonly kind: "end"; readonly commit: boolean };

interface InFlight {
  readonly correlationId: number;
  readonly broker: number;
  /** What this request does (find-coordinator looks up `coordinatorType`). */
  readonly job: Pending | { readonly kind: "find"; readonly keyType: "transaction" | "group" };
  readonly timer: EventHandle;
  /** The partitions an AddPartitionsToTxn carries. */
  readonly partitions?: readonly string[];
}

const tp = (topic: string, partition: number) => `${topic}-${partition}`;

export class TransactionManager {
  private currentState: TransactionState = "UNINITIALIZED";
  private lastError: TransactionError | undefined;
  private producerId = -1;
  private producerEpoch = -1;
  private coordinator: number | undefined;
  /** Group coordinators by group id (for TxnOffsetCommit). */
  private readonly groupCoordinators = new Map<string, number>();
  private readonly queue: Pending[] = [];
  private inFlight: InFlight | undefined;
  private retryAtUs = 0;
  /** Partitions the coordinator added to the transaction. */
  private readonly partitionsInTransaction = new Set<string>();
  /** Partitions sent to, waiting for (or in) an AddPartitionsToTxn. */
  private readonly newPartitions = new Map<string, { topic: string; partition: number }>();
  /** Something reached the coordinator in this transaction (EndTxn is needed). */
  private transactionStarted = false;
  readonly counters = { committed: 0, aborted: 0, requests: 0, retries: 0 };

  constructor(
    private readonly host: TransactionHost,
    readonly settings: TransactionSettings,
  ) {}

  get state(): TransactionState {
    return this.currentState;
  }

  get transactionalId(): string {
    return this.settings.transactionalId;
  }

  /** The error behind ABORTABLE_ERROR or FATAL_ERROR. */
  get error(): TransactionError | undefined {
    return this.lastError;
  }

  get hasProducerId(): boolean {
    return this.producerId >= 0;
  }

  /** Partitions added to the open transaction (for tests and the viz), sorted. */
  partitions(): string[] {
    return [...this.partitionsInTransaction].sort();
  }

  // ---------------------------------------------------------------- the application's API

  /** KafkaProducer.initTransactions. */
  initTransactions(): void {
    this.throwIfFatal();
    this.requireState("initTransactions", ["UNINITIALIZED"]);
    this.transition("INITIALIZING");
    this.queue.push({ kind: "init", bump: false });
  }

  /** KafkaProducer.beginTransaction: local state only. */
  beginTransaction(): void {
    this.throwIfFatal();
    this.requireState("beginTransaction", ["READY"]);
    this.transactionStarted = false;
    this.transition("IN_TRANSACTION");
  }

  /**
   * KafkaProducer.send's check (TransactionManager.failIfNotReadyForSend): throws when a record
   * may not be sent now.
   */
  checkSendAllowed(): void {
    if (this.lastError !== undefined) {
      throw new TransactionError(
        "KafkaException",
        "Cannot perform send because at least one previous transactional or idempotent request has failed with errors.",
      );
    }
    if (!this.hasProducerId) {
      throw new TransactionError(
        "IllegalStateException",
        "Cannot perform a 'send' before completing a call to initTransactions when transactions are enabled.",
      );
    }
    if (this.currentState !== "IN_TRANSACTION") {
      throw new TransactionError(
        "IllegalStateException",
        `Cannot call send in state ${this.currentState}`,
      );
    }
  }

  /** TransactionManager.maybeAddPartition: a record goes to this partition. */
  maybeAddPartition(topic: string, partition: number): void {
    const key = tp(topic, partition);
    if (this.partitionsInTransaction.has(key) || this.newPartitions.has(key)) return;
    this.newPartitions.set(key, { topic, partition });
    if (!this.queue.some((p) => p.kind === "add-partitions")) {
      this.enqueueBeforeEnd({ kind: "add-partitions" });
    }
  }

  /** Whether batches of this partition may be drained (the partition is in the transaction). */
  isSendToPartitionAllowed(topic: string, partition: number): boolean {
    if (this.currentState === "FATAL_ERROR") return false;
    return this.partitionsInTransaction.has(tp(topic, partition));
  }

  /** KafkaProducer.sendOffsetsToTransaction. */
  sendOffsetsToTransaction(offsets: TxnOffsets): void {
    this.throwIfFatal();
    this.requireState("sendOffsetsToTransaction", ["IN_TRANSACTION"]);
    // KafkaProducer.sendOffsetsToTransaction does nothing for an empty map.
    if (offsets.offsets.length === 0) return;
    this.enqueueBeforeEnd({ kind: "add-offsets", offsets });
  }

  /** KafkaProducer.commitTransaction: flush, then EndTxn(commit). */
  commitTransaction(): void {
    this.throwIfFatal();
    if (this.currentState === "ABORTABLE_ERROR") {
      throw new TransactionError(
        "KafkaException",
        "Cannot commit transaction since at least one previous transactional or idempotent request has failed with errors.",
      );
    }
    this.requireState("commitTransaction", ["IN_TRANSACTION"]);
    this.transition("COMMITTING_TRANSACTION");
    this.host.flush();
    this.queue.push({ kind: "end", commit: true });
  }

  /** KafkaProducer.abortTransaction: undrained batches fail, then EndTxn(abort). */
  abortTransaction(): void {
    this.throwIfFatal();
    this.requireState("abortTransaction", ["IN_TRANSACTION", "ABORTABLE_ERROR"]);
    this.transition("ABORTING_TRANSACTION");
    this.lastError = undefined;
    // Partitions not yet added will never be: their batches fail with the undrained ones.
    this.newPartitions.clear();
    const busy = this.inFlight?.job;
    for (let i = this.queue.length - 1; i >= 0; i--) {
      const job = this.queue[i]!;
      if (job === busy || job.kind === "end" || job.kind === "init") continue;
      this.queue.splice(i, 1);
    }
    this.host.failUndrained(
      "TransactionAbortedException: Failing batch since transaction was aborted",
    );
    this.queue.push({ kind: "end", commit: false });
  }

  // ---------------------------------------------------------------- what the producer reports

  /**
   * A batch of the transaction failed for good (Sender.failBatch → maybeTransitionToErrorState):
   * a fencing error is fatal, anything else makes the transaction abortable.
   */
  onBatchFailed(error: string): void {
    if (this.currentState === "FATAL_ERROR") return;
    const epochError = error === "INVALID_PRODUCER_EPOCH" && this.settings.abortableEpochError;
    if (FENCED.has(error as KafkaError) && !epochError) {
      this.fatal(new TransactionError("ProducerFencedException", FENCED_MESSAGE), error);
      return;
    }
    if (this.currentState === "ABORTING_TRANSACTION") return; // aborting anyway
    if (epochError) {
      this.abortable(
        new TransactionError(
          "KafkaException",
          "InvalidProducerEpochException: Producer attempted to produce with an old epoch.",
        ),
        error,
      );
      return;
    }
    if (this.currentState === "IN_TRANSACTION" || this.currentState === "COMMITTING_TRANSACTION") {
      this.abortable(new TransactionError("KafkaException", `a batch failed: ${error}`), error);
    }
  }

  onResponse(from: number, m: TxnClientResponse): void {
    const f = this.inFlight;
    if (f === undefined || f.correlationId !== m.correlationId || f.broker !== from) return;
    this.host.cancel(f.timer);
    this.inFlight = undefined;
    const job = f.job;
    switch (m.type) {
      case "FindCoordinatorResponse":
        assert(job.kind === "find", "a FindCoordinator answer to another request");
        this.onFindCoordinator(job.keyType, job.keyType === "group" ? this.groupOfHead() : "", m);
        break;
      case "InitProducerIdResponse":
        assert(job.kind === "init", "an InitProducerId answer to another request");
        this.onInitProducerId(job, m);
        break;
      case "AddPartitionsToTxnResponse":
        assert(job.kind === "add-partitions", "an AddPartitionsToTxn answer to another request");
        this.onAddPartitions(job, m, f.partitions ?? []);
        break;
      case "AddOffsetsToTxnResponse":
        assert(job.kind === "add-offsets", "an AddOffsetsToTxn answer to another request");
        this.onAddOffsets(job, m.error);
        break;
      case "TxnOffsetCommitResponse":
        assert(job.kind === "txn-offset-commit", "a TxnOffsetCommit answer to another request");
        this.onTxnOffsetCommit(job, m);
        break;
      case "EndTxnResponse":
        assert(job.kind === "end", "an EndTxn answer to another request");
        this.onEndTxn(job, m.error);
        break;
    }
  }

  /** The request's timer fired: it is lost. */
  onTimer(correlationId: number): void {
    const f = this.inFlight;
    if (f === undefined || f.correlationId !== correlationId) return;
    this.inFlight = undefined;
    this.lost(f, "REQUEST_TIMED_OUT");
  }

  onDisconnect(peer: number): void {
    const f = this.inFlight;
    if (f === undefined || f.broker !== peer) return;
    this.host.cancel(f.timer);
    this.inFlight = undefined;
    this.lost(f, "NETWORK_EXCEPTION");
  }

  /** Sends the next request if none is in flight and its time has come. */
  poll(now: number): void {
    if (this.inFlight !== undefined || now < this.retryAtUs) return;
    if (this.currentState === "FATAL_ERROR") return;
    const head = this.queue[0];
    if (head === undefined) return;
    if (head.kind === "end" && !this.host.flushed()) return;
    if (head.kind === "end" && !this.transactionStarted && !head.commit) {
      this.queue.shift();
      this.completeTransaction(false);
      return;
    }
    if (head.kind === "end" && !this.transactionStarted) {
      this.queue.shift();
      this.completeTransaction(true);
      return;
    }
    if (head.kind === "add-partitions" && this.newPartitions.size === 0) {
      this.queue.shift();
      return this.poll(now);
    }
    if (head.kind === "txn-offset-commit") {
      const node = this.groupCoordinators.get(head.offsets.groupId);
      if (node === undefined) return this.sendFind("group", head.offsets.groupId);
      return this.sendRequest(node, head);
    }
    if (this.coordinator === undefined) return this.sendFind("transaction", this.transactionalId);
    this.sendRequest(this.coordinator, head);
  }

  /** When poll() has something to do next (a retry backoff ending), else undefined. */
  nextWakeUs(): number | undefined {
    if (this.inFlight !== undefined || this.queue.length === 0) return undefined;
    if (this.currentState === "FATAL_ERROR") return undefined;
    // EndTxn waits for the flush; the producer runs again when its batches settle.
    if (this.queue[0]!.kind === "end" && !this.host.flushed()) return undefined;
    return this.retryAtUs;
  }

  // ---------------------------------------------------------------- requests

  private sendFind(keyType: "transaction" | "group", key: string): void {
    const broker = this.host.anyBroker();
    const correlationId = this.host.nextCorrelationId();
    this.track(correlationId, broker, { kind: "find", keyType });
    this.host.send(broker, {
      type: "FindCoordinatorRequest",
      bytes: HEADER_BYTES + 8 + key.length,
      correlationId,
      key,
      keyType,
    });
  }

  private sendRequest(broker: number, job: Pending): void {
    const correlationId = this.host.nextCorrelationId();
    const base = {
      bytes: HEADER_BYTES + 16 + this.transactionalId.length,
      correlationId,
      transactionalId: this.transactionalId,
      producerId: this.producerId,
      producerEpoch: this.producerEpoch,
    };
    switch (job.kind) {
      case "init":
        this.track(correlationId, broker, job);
        this.trace("init-producer-id", { broker, bump: job.bump });
        this.host.send(broker, {
          type: "InitProducerIdRequest",
          ...base,
          transactionTimeoutMs: this.settings.transactionTimeoutMs,
          producerId: job.bump ? this.producerId : -1,
          producerEpoch: job.bump ? this.producerEpoch : -1,
        });
        return;
      case "add-partitions": {
        const list = [...this.newPartitions.values()];
        const byTopic = new Map<string, number[]>();
        for (const p of list) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition]);
        const topics = [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
        this.track(
          correlationId,
          broker,
          job,
          list.map((p) => tp(p.topic, p.partition)),
        );
        this.trace("add-partitions", {
          broker,
          partitions: list.map((p) => tp(p.topic, p.partition)).join(","),
        });
        this.host.send(broker, {
          type: "AddPartitionsToTxnRequest",
          ...base,
          bytes: base.bytes + list.length * 8,
          topics,
        });
        return;
      }
      case "add-offsets":
        this.track(correlationId, broker, job);
        this.trace("add-offsets", { broker, group: job.offsets.groupId });
        this.host.send(broker, {
          type: "AddOffsetsToTxnRequest",
          ...base,
          groupId: job.offsets.groupId,
        });
        return;
      case "txn-offset-commit": {
        const o = job.offsets;
        const byTopic = new Map<string, { partition: number; offset: number }[]>();
        for (const x of o.offsets) {
          byTopic.set(x.topic, [...(byTopic.get(x.topic) ?? []), x]);
        }
        this.track(correlationId, broker, job);
        this.trace("txn-offset-commit", { broker, group: o.groupId });
        this.host.send(broker, {
          type: "TxnOffsetCommitRequest",
          ...base,
          bytes: base.bytes + o.offsets.length * 16,
          groupId: o.groupId,
          generationId: o.generationId ?? -1,
          memberId: o.memberId ?? "",
          groupInstanceId: o.groupInstanceId ?? null,
          topics: [...byTopic].map(([topic, ps]) => ({
            topic,
            partitions: ps.map((x) => ({
              partition: x.partition,
              committedOffset: x.offset,
              committedLeaderEpoch: -1,
            })),
          })),
        });
        return;
      }
      case "end":
        this.track(correlationId, broker, job);
        this.trace("end-txn", { broker, committed: job.commit });
        this.host.send(broker, { type: "EndTxnRequest", ...base, committed: job.commit });
        return;
    }
  }

  private track(
    correlationId: number,
    broker: number,
    job: InFlight["job"],
    partitions?: readonly string[],
  ): void {
    this.counters.requests++;
    const timer = this.host.timer(
      this.host.now() + this.settings.requestTimeoutMs * 1000,
      correlationId,
    );
    this.inFlight = {
      correlationId,
      broker,
      job,
      timer,
      ...(partitions === undefined ? {} : { partitions }),
    };
  }

  private lost(f: InFlight, error: KafkaError): void {
    this.trace("request-failed", { broker: f.broker, request: f.job.kind, error });
    if (f.job.kind === "txn-offset-commit") {
      // Sent again to a coordinator looked up again (a lost request may mean it moved).
      this.groupCoordinators.delete(f.job.offsets.groupId);
      if (this.dropOffsetsWhenAborting(f.job, error)) return;
      this.backoff();
      return;
    }
    if (f.job.kind === "find" && f.job.keyType === "group") {
      this.groupCoordinators.delete(this.groupOfHead());
    } else this.coordinator = undefined;
    this.backoff();
  }

  /** The job is done: out of the queue (wherever an abort left it). */
  private finish(job: Pending): void {
    const i = this.queue.indexOf(job);
    if (i >= 0) this.queue.splice(i, 1);
  }

  /** Queues a job ahead of a pending EndTxn (records appended while a commit flushes). */
  private enqueueBeforeEnd(job: Pending): void {
    const i = this.queue.findIndex((p) => p.kind === "end");
    if (i < 0) this.queue.push(job);
    else this.queue.splice(i, 0, job);
  }

  private backoff(): void {
    this.counters.retries++;
    this.retryAtUs = this.host.now() + this.settings.retryBackoffMs * 1000;
  }

  /** The group of the TxnOffsetCommit at the head of the queue (a group FindCoordinator's key). */
  private groupOfHead(): string {
    const head = this.queue[0];
    return head?.kind === "txn-offset-commit" ? head.offsets.groupId : "";
  }

  // ---------------------------------------------------------------- answers

  private onFindCoordinator(
    keyType: "transaction" | "group",
    group: string,
    m: FindCoordinatorResponse,
  ): void {
    if (m.error !== "NONE" || m.nodeId < 0) {
      this.trace("find-coordinator", { keyType, error: m.error });
      this.backoff();
      return;
    }
    if (keyType === "group") this.groupCoordinators.set(group, m.nodeId);
    else this.coordinator = m.nodeId;
    this.trace("find-coordinator", { keyType, coordinator: m.nodeId });
  }

  /** A common answer: NONE → true; retriable → retry later; fenced → fatal; else per caller. */
  private retriable(error: KafkaError): boolean {
    if (!RETRIABLE.has(error)) return false;
    if (LOOKUP_AGAIN.has(error)) this.coordinator = undefined;
    this.backoff();
    return true;
  }

  private onInitProducerId(job: Pending, m: InitProducerIdResponse): void {
    if (m.error === "NONE") {
      this.finish(job);
      this.producerId = m.producerId;
      this.producerEpoch = m.producerEpoch;
      this.host.setProducerId(m.producerId, m.producerEpoch);
      this.transition("READY");
      return;
    }
    this.trace("init-producer-id.error", { error: m.error });
    if (this.retriable(m.error)) return;
    if (FENCED.has(m.error)) {
      this.fatal(new TransactionError("ProducerFencedException", FENCED_MESSAGE), m.error);
      return;
    }
    this.fatal(
      new TransactionError("KafkaException", `InitProducerId failed: ${m.error}`),
      m.error,
    );
  }

  private onAddPartitions(
    job: Pending,
    m: AddPartitionsToTxnResponse,
    sent: readonly string[],
  ): void {
    const errors = new Map<string, KafkaError>();
    for (const t of m.results) {
      for (const p of t.partitions) errors.set(tp(t.topic, p.partition), p.error);
    }
    let retry: KafkaError | undefined;
    let abortable: KafkaError | undefined;
    const added: string[] = [];
    for (const key of sent) {
      const error = errors.get(key) ?? "UNKNOWN_SERVER_ERROR";
      if (error === "NONE") {
        added.push(key);
        continue;
      }
      if (FENCED.has(error)) {
        this.fatal(new TransactionError("ProducerFencedException", FENCED_MESSAGE), error);
        return;
      }
      if (RETRIABLE.has(error) || error === ("OPERATION_NOT_ATTEMPTED" as KafkaError)) {
        retry ??= error;
      } else abortable ??= error;
    }
    for (const key of added) {
      this.partitionsInTransaction.add(key);
      this.newPartitions.delete(key);
    }
    if (added.length > 0) this.transactionStarted = true;
    this.trace("partitions-added", {
      added: added.join(","),
      ...(retry === undefined ? {} : { retry }),
      ...(abortable === undefined ? {} : { error: abortable }),
    });
    if (abortable !== undefined) {
      this.finish(job);
      this.newPartitions.clear();
      this.abortable(
        new TransactionError("KafkaException", `AddPartitionsToTxn failed: ${abortable}`),
        abortable,
      );
      return;
    }
    if (retry !== undefined) {
      this.retriable(retry);
      if (!RETRIABLE.has(retry)) this.backoff();
      if (retry === "CONCURRENT_TRANSACTIONS" && this.partitionsInTransaction.size === 0) {
        // TransactionManager.maybeOverrideRetryBackoffMs: the previous transaction is still
        // completing; the first AddPartitions of the next one retries sooner.
        this.retryAtUs =
          this.host.now() +
          Math.min(ADD_PARTITIONS_RETRY_BACKOFF_MS, this.settings.retryBackoffMs) * 1000;
      }
      return;
    }
    if (this.newPartitions.size === 0) this.finish(job);
  }

  private onAddOffsets(job: Pending & { kind: "add-offsets" }, error: KafkaError): void {
    if (error === "NONE") {
      this.transactionStarted = true;
      // The TxnOffsetCommit to the group coordinator takes this request's place.
      const i = this.queue.indexOf(job);
      if (i >= 0) this.queue[i] = { kind: "txn-offset-commit", offsets: job.offsets };
      return;
    }
    if (this.retriable(error)) return;
    this.finish(job);
    if (FENCED.has(error)) {
      this.fatal(new TransactionError("ProducerFencedException", FENCED_MESSAGE), error);
      return;
    }
    this.abortable(
      new TransactionError("KafkaException", `AddOffsetsToTxn failed: ${error}`),
      error,
    );
  }

  /**
   * TxnOffsetCommitHandler.handleResponse: the partitions answered NONE are done; the first
   * non-retriable error decides (fatal, or abortable with CommitFailedException); retriable ones
   * send the rest again after retry.backoff.ms.
   */
  private onTxnOffsetCommit(
    job: Pending & { kind: "txn-offset-commit" },
    m: TxnOffsetCommitResponse,
  ): void {
    const offsets = job.offsets;
    const errors = new Map<string, KafkaError>();
    for (const t of m.results)
      for (const p of t.partitions) errors.set(tp(t.topic, p.partition), p.error);
    const remaining = offsets.offsets.filter(
      (o) => (errors.get(tp(o.topic, o.partition)) ?? "UNKNOWN_SERVER_ERROR") !== "NONE",
    );
    if (remaining.length === 0) {
      this.finish(job);
      this.trace("offsets-committed", { group: offsets.groupId });
      return;
    }
    const failures = remaining.map(
      (o) => errors.get(tp(o.topic, o.partition)) ?? "UNKNOWN_SERVER_ERROR",
    );
    const fenced = failures.find((e) => FENCED.has(e));
    if (fenced !== undefined) {
      this.finish(job);
      this.fatal(new TransactionError("ProducerFencedException", FENCED_MESSAGE), fenced);
      return;
    }
    if (this.dropOffsetsWhenAborting(job, failures[0]!)) return;
    const mismatch = failures.find((e) => GROUP_MISMATCH.has(e));
    if (mismatch !== undefined) {
      this.finish(job);
      this.trace("offsets-not-committed", { group: offsets.groupId, error: mismatch });
      this.abortable(
        new TransactionError(
          "CommitFailedException",
          `Transaction offset Commit failed due to consumer group metadata mismatch: ${mismatch}`,
        ),
        mismatch,
      );
      return;
    }
    const unexpected = failures.find((e) => !TXN_OFFSET_RETRIABLE.has(e));
    if (unexpected !== undefined) {
      this.finish(job);
      this.trace("offsets-not-committed", { group: offsets.groupId, error: unexpected });
      this.fatal(
        new TransactionError(
          "KafkaException",
          `Unexpected error in TxnOffsetCommitResponse: ${unexpected}`,
        ),
        unexpected,
      );
      return;
    }
    // Only retriable errors: the partitions not yet committed go again.
    if (failures.some((e) => LOOKUP_AGAIN.has(e))) this.groupCoordinators.delete(offsets.groupId);
    const i = this.queue.indexOf(job);
    if (i >= 0)
      this.queue[i] = { kind: "txn-offset-commit", offsets: { ...offsets, offsets: remaining } };
    this.trace("txn-offset-commit.retry", {
      group: offsets.groupId,
      error: failures[0]!,
      partitions: remaining.map((o) => tp(o.topic, o.partition)).join(","),
    });
    this.backoff();
  }

  /** The transaction is being aborted: its offsets no longer matter, so they are not retried. */
  private dropOffsetsWhenAborting(
    job: Pending & { kind: "txn-offset-commit" },
    error: KafkaError,
  ): boolean {
    if (this.currentState !== "ABORTING_TRANSACTION") return false;
    this.finish(job);
    this.trace("offsets-not-committed", { group: job.offsets.groupId, error });
    return true;
  }

  private onEndTxn(job: Pending & { kind: "end" }, error: KafkaError): void {
    const commit = job.commit;
    if (error === "NONE") {
      this.finish(job);
      this.completeTransaction(commit);
      return;
    }
    this.trace("end-txn.error", { committed: commit, error });
    if (this.retriable(error)) return;
    this.finish(job);
    if (FENCED.has(error)) {
      this.fatal(new TransactionError("ProducerFencedException", FENCED_MESSAGE), error);
      return;
    }
    this.fatal(new TransactionError("KafkaException", `EndTxn failed: ${error}`), error);
  }

  private completeTransaction(commit: boolean): void {
    this.partitionsInTransaction.clear();
    this.newPartitions.clear();
    const sent = this.transactionStarted;
    this.transactionStarted = false;
    if (commit) this.counters.committed++;
    else this.counters.aborted++;
    const outcome: TransactionEnd = commit ? "committed" : "aborted";
    if (!commit && this.host.epochBumpRequired()) {
      // KIP-360: a failed batch left the sequences unknown; a new epoch from the coordinator.
      this.transition("INITIALIZING", outcome, { endTxn: sent });
      this.queue.unshift({ kind: "init", bump: true });
      return;
    }
    this.transition("READY", outcome, { endTxn: sent });
  }

  // ---------------------------------------------------------------- states

  private requireState(method: string, allowed: readonly TransactionState[]): void {
    if (allowed.includes(this.currentState)) return;
    const target: Record<string, string> = {
      initTransactions: "INITIALIZING",
      beginTransaction: "IN_TRANSACTION",
      commitTransaction: "COMMITTING_TRANSACTION",
      abortTransaction: "ABORTING_TRANSACTION",
      sendOffsetsToTransaction: "IN_TRANSACTION",
    };
    throw new TransactionError(
      "IllegalStateException",
      `TransactionalId ${this.transactionalId}: Invalid transition attempted from state ${this.currentState} to state ${target[method] ?? method}`,
    );
  }

  private throwIfFatal(): void {
    if (this.currentState === "FATAL_ERROR") {
      assert(this.lastError !== undefined, "a fatal state without its error");
      throw this.lastError;
    }
  }

  private abortable(error: TransactionError, cause: string): void {
    if (this.currentState === "FATAL_ERROR" || this.currentState === "ABORTABLE_ERROR") return;
    const committing = this.currentState === "COMMITTING_TRANSACTION";
    if (committing) {
      // The commit fails with the error; the application must abort (EndTxn was not sent yet:
      // it waits until every batch is settled).
      const i = this.queue.findIndex((p) => p.kind === "end" && p !== this.inFlight?.job);
      if (i >= 0) this.queue.splice(i, 1);
    }
    this.lastError = error;
    this.transition("ABORTABLE_ERROR", committing ? "failed" : undefined, { error: cause });
  }

  private fatal(error: TransactionError, cause: string): void {
    if (this.currentState === "FATAL_ERROR") return;
    const wasEnding =
      this.currentState === "COMMITTING_TRANSACTION" ||
      this.currentState === "ABORTING_TRANSACTION";
    this.lastError = error;
    this.queue.length = 0;
    this.newPartitions.clear();
    const previous = this.currentState;
    // The state first: the batches failed below report back (onBatchFailed) to a fatal state.
    this.currentState = "FATAL_ERROR";
    this.host.failUndrained(error.message);
    this.announce(previous, "FATAL_ERROR", wasEnding ? "failed" : undefined, {
      error: cause,
      exception: error.exception,
    });
  }

  private transition(next: TransactionState, ended?: TransactionEnd, extra?: TraceFields): void {
    const previous = this.currentState;
    this.currentState = next;
    this.announce(previous, next, ended, extra);
  }

  private announce(
    previous: TransactionState,
    next: TransactionState,
    ended?: TransactionEnd,
    extra?: TraceFields,
  ): void {
    this.trace("state", {
      from: previous,
      state: next,
      ...(ended === undefined ? {} : { outcome: ended }),
      ...(extra ?? {}),
    });
    this.host.onStateChange(next, ended);
  }

  private trace(step: string, fields: TraceFields): void {
    this.host.emit("producer.txn", {
      client: this.host.clientId,
      step,
      transactionalId: this.transactionalId,
      producerId: this.producerId,
      epoch: this.producerEpoch,
      ...(step === "state" ? {} : { state: this.currentState }),
      ...fields,
    });
  }
}
