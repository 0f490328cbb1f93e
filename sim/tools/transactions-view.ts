/**
 * What kafka-transactions.sh reads from the cluster, as Kafka's admin calls answer it (KIP-664):
 * ListTransactions from every broker's transaction coordinator, DescribeTransactions from the
 * coordinator of an id (the leader of its `__transaction_state` partition), and DescribeProducers
 * from a partition replica (each producer's epoch, last sequence, last timestamp and the first
 * offset of its open transaction). Also find-hanging's filter over these answers.
 *
 * Reading the brokers' snapshots stands in for the requests (as for kafka-consumer-groups.sh, see
 * tool.ts), so each answer is the state at the moment the tool runs.
 *
 * Simplifies: a coordinator or replica whose process is down answers nothing (list skips it; the
 * other calls fail with COORDINATOR_NOT_AVAILABLE or "does not host" where Kafka's admin client
 * would retry until default.api.timeout.ms); a `__transaction_state` partition still loading
 * answers COORDINATOR_LOAD_IN_PROGRESS instead of being retried; ListTransactions leaves out the
 * ids of partitions still loading (Kafka answers COORDINATOR_LOAD_IN_PROGRESS for the broker);
 * listings come in (broker, partition, id) order, not the order of Kafka's hash maps; the
 * coordinator epoch of a producer is not tracked by the replicas here (always unknown, -1).
 */
import type { KafkaCluster } from "../kafka/cluster.ts";
import type { MetadataImage } from "../kafka/metadata/image.ts";
import {
  TRANSACTION_STATE_TOPIC,
  transactionCoordinatorBroker,
  transactionCoordinatorPartition,
} from "../kafka/txn/placement.ts";
import type { KafkaError } from "../kafka/types.ts";
import { knownExceptionText } from "./java-exceptions.ts";

/** Kafka's TransactionListing, with the broker that answered it. */
export interface TransactionListing {
  readonly transactionalId: string;
  readonly coordinator: number;
  readonly producerId: number;
  readonly state: string;
}

/** ListTransactionsOptions: the filters a ListTransactions request carries. */
export interface ListFilters {
  /** filterProducerIds: only these producer ids (all when undefined). */
  readonly producerIds?: ReadonlySet<number>;
  /** filterOnDuration (KIP-994, 3.8): only transactions running longer than this; -1: all. */
  readonly durationFilterMs?: number;
  /** filterOnTransactionalIdPattern (4.1): ids the whole pattern matches. */
  readonly pattern?: RegExp;
}

/** Kafka's TransactionDescription. */
export interface TransactionDescription {
  readonly coordinatorId: number;
  readonly transactionalId: string;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly state: string;
  readonly transactionTimeoutMs: number;
  /** Null when no transaction was ever started (txnStartTimestamp -1). */
  readonly transactionStartTimeMs: number | null;
  /** "t-0" names, as TopicPartition.toString prints them. */
  readonly topicPartitions: readonly string[];
}

/** Kafka's ProducerState, as DescribeProducers answers it. */
export interface ProducerState {
  readonly producerId: number;
  readonly producerEpoch: number;
  /** -1: unknown (the replicas here do not track coordinator epochs). */
  readonly coordinatorEpoch: number;
  readonly lastSequence: number;
  readonly lastTimestampMs: number;
  readonly currentTransactionStartOffset: number | null;
}

/** Error codes of these calls: Kafka's, with DescribeTransactions' own. */
export type TxnToolError = KafkaError | "TRANSACTIONAL_ID_NOT_FOUND";

/** An error a call failed with: the code and the exception's message the tool prints. */
export interface CallError {
  readonly error: TxnToolError;
  readonly message: string;
}

function callError(error: TxnToolError, message = errorMessage(error)): CallError {
  return { error, message };
}

/** The admin client's own timeout when no broker could be reached for a call. */
function nodeTimeout(call: string): CallError {
  return callError("REQUEST_TIMED_OUT", `Timed out waiting for a node assignment. Call: ${call}`);
}

/** The message of the exception an error code becomes (Throwable.getMessage()). */
export function errorMessage(error: TxnToolError): string {
  if (error === "TRANSACTIONAL_ID_NOT_FOUND") return "The transactionalId could not be found.";
  const text = knownExceptionText(error);
  return text === undefined
    ? `The server experienced an unexpected error (${error}).`
    : text.slice(text.indexOf(": ") + 2);
}

/**
 * ListTransactions sent to every broker (Kafka's AllBrokersStrategy): each running broker's
 * coordinator lists the loaded ids that pass the filters, never Dead ones
 * (TransactionStateManager.listTransactionStates).
 */
export function listTransactions(
  cluster: KafkaCluster,
  filters: ListFilters,
  nowMs: number,
): TransactionListing[] {
  const out: TransactionListing[] = [];
  for (const id of [...cluster.brokers.keys()].sort((a, b) => a - b)) {
    const snapshot = cluster.brokers.get(id)!.txnCoordinator();
    if (snapshot === null) continue;
    const loaded = new Set(
      snapshot.partitions.filter((p) => p.status === "loaded").map((p) => p.partition),
    );
    for (const t of snapshot.transactions) {
      if (!loaded.has(t.coordinatorPartition) || t.txnState === "Dead") continue;
      if (filters.producerIds !== undefined && !filters.producerIds.has(t.producerId)) continue;
      const duration = filters.durationFilterMs ?? -1;
      if (duration >= 0 && nowMs - t.txnStartTimestamp <= duration) continue;
      if (filters.pattern !== undefined && !fullMatch(filters.pattern, t.transactionalId)) continue;
      out.push({
        transactionalId: t.transactionalId,
        coordinator: id,
        producerId: t.producerId,
        state: t.txnState,
      });
    }
  }
  return out;
}

/** Java's Matcher.matches(): the pattern must match the whole id. */
function fullMatch(pattern: RegExp, text: string): boolean {
  const match = pattern.exec(text);
  return match !== null && match.index === 0 && match[0].length === text.length;
}

/**
 * DescribeTransactions of one id at its coordinator. Without a `__transaction_state` topic no id
 * exists (Kafka's FindCoordinator would create the topic and the new coordinator would answer
 * TRANSACTIONAL_ID_NOT_FOUND).
 */
export function describeTransaction(
  cluster: KafkaCluster,
  image: MetadataImage | undefined,
  transactionalId: string,
): TransactionDescription | CallError {
  if (image === undefined) return callError("COORDINATOR_NOT_AVAILABLE");
  const topic = image.topicByName(TRANSACTION_STATE_TOPIC);
  if (topic === undefined) return callError("TRANSACTIONAL_ID_NOT_FOUND");
  const coordinatorId = transactionCoordinatorBroker(
    image,
    transactionalId,
    topic.partitions.length,
  );
  if (coordinatorId === undefined) return callError("COORDINATOR_NOT_AVAILABLE");
  const snapshot = cluster.brokers.get(coordinatorId)?.txnCoordinator() ?? null;
  if (snapshot === null) return callError("COORDINATOR_NOT_AVAILABLE");
  const partition = transactionCoordinatorPartition(transactionalId, topic.partitions.length);
  const owned = snapshot.partitions.find((p) => p.partition === partition);
  // The broker has not taken the partition over yet (Kafka: NOT_COORDINATOR, looked up again).
  if (owned === undefined) return callError("COORDINATOR_NOT_AVAILABLE");
  if (owned.status === "loading") return callError("COORDINATOR_LOAD_IN_PROGRESS");
  const txn = snapshot.transactions.find(
    (t) => t.transactionalId === transactionalId && t.coordinatorPartition === partition,
  );
  if (txn === undefined || txn.txnState === "Dead") return callError("TRANSACTIONAL_ID_NOT_FOUND");
  return {
    coordinatorId,
    transactionalId,
    producerId: txn.producerId,
    producerEpoch: txn.producerEpoch,
    state: txn.txnState,
    transactionTimeoutMs: txn.txnTimeoutMs,
    transactionStartTimeMs: txn.txnStartTimestamp < 0 ? null : txn.txnStartTimestamp,
    topicPartitions: txn.topicPartitions.map((tp) => `${tp.topic}-${tp.partition}`),
  };
}

/**
 * DescribeProducers of one partition on its leader, or on `brokerId` (DescribeProducersOptions
 * .brokerId): the replica's producers with the first offset of their open transaction, if any.
 */
export function describeProducers(
  cluster: KafkaCluster,
  image: MetadataImage | undefined,
  topic: string,
  partition: number,
  brokerId: number | undefined,
): ProducerState[] | CallError {
  const state = image?.partition(topic, partition);
  if (state === undefined) return callError("UNKNOWN_TOPIC_OR_PARTITION");
  const id = brokerId ?? state.leader;
  const broker = id < 0 ? undefined : cluster.brokers.get(id);
  if (broker === undefined) return callError("REQUEST_TIMED_OUT");
  const producers = broker.describeProducers(topic, partition);
  const open = broker.openTransactions(topic, partition);
  if (producers === null || open === null) {
    return cluster.hosts.get(String(id))?.isUp === true
      ? callError("UNKNOWN_TOPIC_OR_PARTITION")
      : nodeTimeout("describeProducers");
  }
  const startOf = new Map(open.map((t) => [t.producerId, t.firstOffset]));
  return producers.map((p) => ({
    producerId: p.producerId,
    producerEpoch: p.producerEpoch,
    coordinatorEpoch: -1,
    lastSequence: p.lastSequence,
    lastTimestampMs: p.lastTimestampMs,
    currentTransactionStartOffset: startOf.get(p.producerId) ?? null,
  }));
}

/** An open transaction found on a partition (find-hanging's OpenTransaction). */
export interface OpenTransaction {
  readonly topic: string;
  readonly partition: number;
  readonly producer: ProducerState;
}

/**
 * find-hanging's filterHangingTransactions: an open transaction hangs when no coordinator lists
 * its producer id, when its id is not found, or when the coordinator's transaction does not
 * include its partition (markers are still expected for the partitions listed, also while
 * PrepareCommit/PrepareAbort). `descriptions` maps each id to its description or null (not found).
 */
export function filterHanging(
  candidates: readonly OpenTransaction[],
  transactionalIdOf: ReadonlyMap<number, string>,
  descriptions: ReadonlyMap<string, TransactionDescription | null>,
): OpenTransaction[] {
  return candidates.filter((c) => {
    const id = transactionalIdOf.get(c.producer.producerId);
    if (id === undefined) return true;
    const description = descriptions.get(id) ?? null;
    if (description === null) return true;
    return !description.topicPartitions.includes(`${c.topic}-${c.partition}`);
  });
}
