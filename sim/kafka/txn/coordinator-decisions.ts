/**
 * What the transaction coordinator decides for each request, as pure functions of the metadata
 * (Kafka's TransactionCoordinator.handleInitProducerId / handleAddPartitionsToTransaction /
 * handleEndTransaction / abortTimedOutTransactions, and TransactionStateManager's timeout and
 * expiration filters; reference §5).
 *
 * A decision is either a reply now (an error by Kafka's name, or NONE with nothing to write) or an
 * append: a transit to write to `__transaction_state`, the reply to send once it is written, and
 * for EndTxn and fences the markers to write next. The coordinator (a broker service, not here)
 * carries a decision out:
 * 1. `metadata.beginTransition(transit)` (for a created id, first put the metadata in its cache:
 *    Kafka keeps it there even when the append fails), then append the record;
 * 2. on failure, `metadata.failTransition(transit)` and reply the append's error;
 * 3. on success, `metadata.completeTransitionTo(transit)` and reply `replyOnSuccess` (with the
 *    transit's producer id and epoch for InitProducerId). With `markers`: at once
 *    `beginTransition(metadata.prepareComplete(nowMs))`, as Kafka does, so the id answers
 *    CONCURRENT_TRANSACTIONS while markers are in flight; send WriteTxnMarkers to the leaders of
 *    `markers.partitions`; when all are written, append that completion and complete it.
 *
 * Nothing here reads a clock: times are virtual milliseconds passed in. New producer ids come from
 * the caller's `newProducerId`, called only when one is needed.
 *
 * Simplifies: coordinator epochs and the NOT_COORDINATOR check after the append belong to the
 * service; KIP-890 part 2 (TV2: an epoch bump on every EndTxn, implicit AddPartitions) is not
 * modelled; AddPartitionsToTxn answers one error for the whole request (Kafka answers per
 * partition, all with the same error). Faults: none (pure functions).
 */
import { assertSafeInt, SimAssertionError } from "../../engine/assert.ts";
import { coordinatorPartition, OFFSETS_TOPIC } from "../group/placement.ts";
import type { TopicPartition } from "../types.ts";
import {
  isEpochExhausted,
  isSubsetOf,
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  normalizePartitions,
  TransactionMetadata,
  type TransactionResult,
  type TxnCoordinatorError,
  type TxnTransitMetadata,
} from "./transaction-metadata.ts";
import { isExpirationAllowed } from "./transaction-state.ts";

/** The markers to write after a PrepareCommit / PrepareAbort is in the log. */
export interface TxnMarkers {
  readonly result: TransactionResult;
  readonly producerId: number;
  readonly producerEpoch: number;
  /** Sorted by topic, then partition. */
  readonly partitions: readonly TopicPartition[];
}

export type TxnDecision =
  | { readonly kind: "reply"; readonly error: TxnCoordinatorError }
  | {
      readonly kind: "append";
      readonly metadata: TransactionMetadata;
      /** The metadata is new: put it in the cache before appending. */
      readonly created: boolean;
      readonly transit: TxnTransitMetadata;
      readonly replyOnSuccess: TxnCoordinatorError;
      readonly markers: TxnMarkers | undefined;
      /** The fence: PrepareEpochFence (in memory only) came before the written PrepareAbort. */
      readonly fenced?: boolean;
    };

export interface InitProducerIdRequest {
  readonly transactionalId: string;
  readonly transactionTimeoutMs: number;
  /** KIP-360: the producer's current id and epoch when it re-initialises; -1 / -1 otherwise. */
  readonly producerId: number;
  readonly producerEpoch: number;
}

export interface TxnCoordinatorSettings {
  /** `transaction.max.timeout.ms`. */
  readonly transactionMaxTimeoutMs: number;
  /** Hands out a producer id no other producer has (the broker's producer-id manager). */
  readonly newProducerId: () => number;
}

/**
 * Where the id's `__transaction_state` partition stands on this broker. Kafka's
 * getTransactionState answers COORDINATOR_LOAD_IN_PROGRESS while the partition loads and
 * NOT_COORDINATOR when this broker does not lead it.
 */
export type TxnPartitionStatus = "active" | "loading" | "not-coordinator";

export function partitionStatusError(status: TxnPartitionStatus): TxnCoordinatorError {
  switch (status) {
    case "active":
      return "NONE";
    case "loading":
      return "COORDINATOR_LOAD_IN_PROGRESS";
    case "not-coordinator":
      return "NOT_COORDINATOR";
  }
}

/** Kafka's validateTransactionTimeoutMs: 0 < timeout ≤ transaction.max.timeout.ms. */
export function isValidTransactionTimeout(timeoutMs: number, maxTimeoutMs: number): boolean {
  return timeoutMs > 0 && timeoutMs <= maxTimeoutMs;
}

/**
 * The error a client of this version sees: before KIP-588 (2.7) old request versions do not know
 * PRODUCER_FENCED, and KafkaApis answers INVALID_PRODUCER_EPOCH (fatal for those clients) instead.
 */
export function clientVisibleError(
  error: TxnCoordinatorError,
  kip588: boolean,
): TxnCoordinatorError {
  return !kip588 && error === "PRODUCER_FENCED" ? "INVALID_PRODUCER_EPOCH" : error;
}

/** Kafka throws IllegalStateException here: the coordinator never keeps these states. */
function neverKept(transactionalId: string, state: string): SimAssertionError {
  return new SimAssertionError(`${transactionalId}: found in state ${state}, which is never kept`);
}

const reply = (error: TxnCoordinatorError): TxnDecision => ({ kind: "reply", error });

function append(
  metadata: TransactionMetadata,
  transit: TxnTransitMetadata,
  replyOnSuccess: TxnCoordinatorError,
  markers?: TxnMarkers,
  created = false,
  fenced = false,
): TxnDecision {
  return {
    kind: "append",
    metadata,
    created,
    transit,
    replyOnSuccess,
    markers,
    ...(fenced ? { fenced } : {}),
  };
}

function markersOf(transit: TxnTransitMetadata, result: TransactionResult): TxnMarkers {
  return {
    result,
    producerId: transit.producerId,
    producerEpoch: transit.producerEpoch,
    partitions: transit.topicPartitions,
  };
}

/**
 * InitProducerId with a transactional id. A new id gets a producer id and epoch 0. A known id with
 * no open transaction gets its epoch bumped (or a new producer id once the epoch is exhausted).
 * An id whose transaction is still open is fenced: its transaction is aborted under a bumped
 * epoch (PrepareEpochFence, then PrepareAbort and ABORT markers) and the caller is told
 * CONCURRENT_TRANSACTIONS, so it retries and gets a further bump once the abort completes.
 */
export function handleInitProducerId(
  meta: TransactionMetadata | undefined,
  request: InitProducerIdRequest,
  nowMs: number,
  settings: TxnCoordinatorSettings,
): TxnDecision {
  assertSafeInt(nowMs, "nowMs");
  if (request.transactionalId === "") return reply("INVALID_REQUEST");
  if (!isValidTransactionTimeout(request.transactionTimeoutMs, settings.transactionMaxTimeoutMs)) {
    return reply("INVALID_TRANSACTION_TIMEOUT");
  }
  let created = false;
  let m = meta;
  if (m === undefined) {
    created = true;
    m = new TransactionMetadata(request.transactionalId, {
      producerId: settings.newProducerId(),
      txnTimeoutMs: request.transactionTimeoutMs,
      txnLastUpdateTimestamp: nowMs,
    });
  }
  const expected =
    request.producerId === NO_PRODUCER_ID
      ? undefined
      : { producerId: request.producerId, epoch: request.producerEpoch };

  if (m.pendingTransitionInProgress) return reply("CONCURRENT_TRANSACTIONS");
  if (expected !== undefined && !isValidExpectedProducer(m, expected)) {
    return reply("PRODUCER_FENCED");
  }
  switch (m.state) {
    case "PrepareAbort":
    case "PrepareCommit":
      return reply("CONCURRENT_TRANSACTIONS");
    case "CompleteAbort":
    case "CompleteCommit":
    case "Empty": {
      if (
        m.isProducerEpochExhausted &&
        (expected === undefined || expected.epoch === m.producerEpoch)
      ) {
        const transit = m.prepareProducerIdRotation(
          settings.newProducerId(),
          request.transactionTimeoutMs,
          nowMs,
          expected !== undefined,
        );
        return append(m, transit, "NONE", undefined, created);
      }
      const r = m.prepareIncrementProducerEpoch(
        request.transactionTimeoutMs,
        expected?.epoch,
        nowMs,
      );
      return r.ok ? append(m, r.transit, "NONE", undefined, created) : reply(r.error);
    }
    case "Ongoing": {
      // The bumped epoch is never handed out: the client is told to retry, and its retry bumps
      // again (or rotates the producer id if this fence used the last epoch).
      const fence = m.prepareFenceProducerEpoch();
      const abort = m.prepareAbortOrCommit("PrepareAbort", nowMs, fence);
      return append(m, abort, "CONCURRENT_TRANSACTIONS", markersOf(abort, "ABORT"), created, true);
    }
    case "Dead":
    case "PrepareEpochFence":
      throw neverKept(request.transactionalId, m.state);
  }
}

/**
 * Kafka's isValidProducerId for a KIP-360 re-initialisation: accepted when the metadata has no
 * epoch yet, when the producer id is the current one (the epoch is checked next), or when it is
 * the previous one and the producer's epoch was exhausted (a retry of a rotation whose answer
 * was lost).
 */
function isValidExpectedProducer(
  m: TransactionMetadata,
  expected: { readonly producerId: number; readonly epoch: number },
): boolean {
  return (
    m.producerEpoch === NO_PRODUCER_EPOCH ||
    expected.producerId === m.producerId ||
    (expected.producerId === m.lastProducerId && isEpochExhausted(expected.epoch))
  );
}

/** AddPartitionsToTxn: the partitions join the transaction (starting it if none is open). */
export function handleAddPartitions(
  meta: TransactionMetadata | undefined,
  producerId: number,
  producerEpoch: number,
  partitions: readonly TopicPartition[],
  nowMs: number,
): TxnDecision {
  assertSafeInt(nowMs, "nowMs");
  if (meta === undefined || meta.producerId !== producerId) {
    return reply("INVALID_PRODUCER_ID_MAPPING");
  }
  if (meta.producerEpoch !== producerEpoch) return reply("PRODUCER_FENCED");
  if (meta.pendingTransitionInProgress) return reply("CONCURRENT_TRANSACTIONS");
  if (meta.state === "PrepareCommit" || meta.state === "PrepareAbort") {
    return reply("CONCURRENT_TRANSACTIONS");
  }
  const added = normalizePartitions(partitions);
  if (meta.state === "Ongoing" && isSubsetOf(added, meta.topicPartitions)) {
    return reply("NONE"); // already in: nothing to write
  }
  return append(meta, meta.prepareAddPartitions(added, nowMs), "NONE");
}

/**
 * AddOffsetsToTxn: the group's `__consumer_offsets` partition joins the transaction, so its
 * offsets commit or abort with it (KafkaApis turns it into an AddPartitions on the coordinator).
 */
export function handleAddOffsets(
  meta: TransactionMetadata | undefined,
  producerId: number,
  producerEpoch: number,
  groupId: string,
  offsetsTopicPartitions: number,
  nowMs: number,
): TxnDecision {
  const partition = coordinatorPartition(groupId, offsetsTopicPartitions);
  return handleAddPartitions(
    meta,
    producerId,
    producerEpoch,
    [{ topic: OFFSETS_TOPIC, partition }],
    nowMs,
  );
}

/**
 * EndTxn(COMMIT|ABORT). An Ongoing transaction moves to PrepareCommit/PrepareAbort; once that is
 * written the client gets NONE and the markers follow. A retry of an EndTxn whose transaction is
 * already complete gets NONE again; one whose markers are still being written gets
 * CONCURRENT_TRANSACTIONS; the opposite result, or no transaction, gets INVALID_TXN_STATE.
 */
export function handleEndTxn(
  meta: TransactionMetadata | undefined,
  producerId: number,
  producerEpoch: number,
  result: TransactionResult,
  nowMs: number,
): TxnDecision {
  assertSafeInt(nowMs, "nowMs");
  if (meta === undefined || meta.producerId !== producerId) {
    return reply("INVALID_PRODUCER_ID_MAPPING");
  }
  // A client's EndTxn never bumps the epoch, so its epoch must be exactly the current one.
  if (producerEpoch !== meta.producerEpoch) return reply("PRODUCER_FENCED");
  if (meta.pendingTransitionInProgress) return reply("CONCURRENT_TRANSACTIONS");
  switch (meta.state) {
    case "Ongoing": {
      const transit = meta.prepareAbortOrCommit(
        result === "COMMIT" ? "PrepareCommit" : "PrepareAbort",
        nowMs,
      );
      return append(meta, transit, "NONE", markersOf(transit, result));
    }
    case "CompleteCommit":
      return reply(result === "COMMIT" ? "NONE" : "INVALID_TXN_STATE");
    case "CompleteAbort":
      return reply(result === "ABORT" ? "NONE" : "INVALID_TXN_STATE");
    case "PrepareCommit":
      return reply(result === "COMMIT" ? "CONCURRENT_TRANSACTIONS" : "INVALID_TXN_STATE");
    case "PrepareAbort":
      return reply(result === "ABORT" ? "CONCURRENT_TRANSACTIONS" : "INVALID_TXN_STATE");
    case "Empty":
      return reply("INVALID_TXN_STATE");
    case "Dead":
    case "PrepareEpochFence":
      throw neverKept(meta.transactionalId, meta.state);
  }
}

/**
 * TransactionStateManager.timedOutTransactions: an Ongoing transaction with no transition in
 * flight, open longer than its `transaction.timeout.ms`.
 */
export function isTransactionTimedOut(meta: TransactionMetadata, nowMs: number): boolean {
  return (
    !meta.pendingTransitionInProgress &&
    meta.state === "Ongoing" &&
    meta.txnStartTimestamp + meta.txnTimeoutMs < nowMs
  );
}

/**
 * The periodic abort (`transaction.abort.timed.out.transaction.cleanup.interval.ms`): a timed-out
 * transaction is aborted under a bumped epoch, fencing the producer that left it open. No client
 * waits for the answer. NONE with nothing to write when the transaction is no longer timed out.
 */
export function handleAbortTimedOut(meta: TransactionMetadata, nowMs: number): TxnDecision {
  assertSafeInt(nowMs, "nowMs");
  if (!isTransactionTimedOut(meta, nowMs)) return reply("NONE");
  const fence = meta.prepareFenceProducerEpoch();
  const abort = meta.prepareAbortOrCommit("PrepareAbort", nowMs, fence);
  return append(meta, abort, "NONE", markersOf(abort, "ABORT"), false, true);
}

/**
 * TransactionStateManager's expiration filter: no transaction open, nothing in flight, and no
 * update for `transactional.id.expiration.ms`. Such an id is written Dead (a tombstone) and
 * removed from the cache.
 */
export function isTransactionalIdExpired(
  meta: TransactionMetadata,
  nowMs: number,
  expirationMs: number,
): boolean {
  return (
    isExpirationAllowed(meta.state) &&
    !meta.pendingTransitionInProgress &&
    meta.txnLastUpdateTimestamp <= nowMs - expirationMs
  );
}

/**
 * KIP-890's verification (a partition leader's verify-only AddPartitionsToTxn, Kafka's
 * handleVerifyPartitionsInTransaction): per partition, NONE when it is in the open transaction of
 * this producer id and epoch, INVALID_TXN_STATE when it is not (Kafka 3.6; 3.8+ answers
 * TRANSACTION_ABORTABLE to new clients, translated back for old ones); the id or epoch checks fail
 * every partition alike, and a transaction being completed (PrepareCommit/PrepareAbort: its
 * partitions are still listed until its markers are written) answers CONCURRENT_TRANSACTIONS, which
 * the leader turns into a retriable NOT_ENOUGH_REPLICAS. Nothing is written.
 */
export function verifyPartitionsInTransaction(
  meta: TransactionMetadata | undefined,
  producerId: number,
  producerEpoch: number,
  partitions: readonly TopicPartition[],
): TxnCoordinatorError[] {
  const all = (error: TxnCoordinatorError) => partitions.map(() => error);
  if (meta === undefined || meta.producerId !== producerId) {
    return all("INVALID_PRODUCER_ID_MAPPING");
  }
  if (meta.producerEpoch !== producerEpoch) return all("PRODUCER_FENCED");
  if (meta.state === "PrepareCommit" || meta.state === "PrepareAbort") {
    return all("CONCURRENT_TRANSACTIONS");
  }
  return partitions.map((tp) =>
    meta.state === "Ongoing" &&
    meta.topicPartitions.some((p) => p.topic === tp.topic && p.partition === tp.partition)
      ? "NONE"
      : "INVALID_TXN_STATE",
  );
}
