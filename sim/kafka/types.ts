/**
 * Vocabulary shared by the Kafka models: ids, topic-partitions, record batches and Kafka's error
 * names. Plain data only, so checkpoints can be structured clones and the viz can draw it.
 */

/** A broker or controller node id, as in Kafka (`node.id` / `broker.id`). */
export type BrokerId = number;

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/** `orders-0`, the name Kafka gives a partition's directory. */
export function tpKey(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

/**
 * A record batch as the log stores it (the v2 batch header's fields that matter to the model).
 * Payloads are kept only when a scenario asks for them.
 */
export interface RecordBatch {
  readonly baseOffset: number;
  /** Number of offsets the batch takes (records, or 1 for a control batch). */
  readonly count: number;
  readonly bytes: number;
  /** Partition leader epoch stamped by the leader that appended the batch. */
  readonly leaderEpoch: number;
  readonly firstTimestampUs: number;
  readonly maxTimestampUs: number;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  readonly isTransactional: boolean;
  readonly isControl: boolean;
  /**
   * Set on control batches only: the type of its one control record, an end-transaction marker
   * (Kafka's ControlRecordType ABORT = 0, COMMIT = 1, the record's key). Reference §5.
   */
  readonly controlType?: "ABORT" | "COMMIT";
  /** Which send produced the batch: `${client}:${sendSeq}` ids, for the history and checkers. */
  readonly origin?: string;
  /**
   * Keys and values when payloads are kept: index i is offset baseOffset + i, or offsets[i] when the
   * batch has been compacted. A null value is a tombstone.
   */
  readonly keys?: ReadonlyArray<string | null>;
  readonly values?: ReadonlyArray<string | null>;
  /**
   * Set by compaction only: the offsets that survive in [baseOffset, baseOffset + count), ascending.
   * Absent means every offset of the range is present. A cleaned batch keeps its base offset and its
   * span, as Kafka's cleaner does, so offsets never change.
   */
  readonly offsets?: ReadonlyArray<number>;
  /**
   * The v2 header's delete horizon (KIP-534): set by the first cleaning that keeps a tombstone in
   * this batch, to that cleaning's time + delete.retention.ms; later cleanings drop its tombstones
   * once this time has passed.
   */
  readonly deleteHorizonUs?: number;
}

export const NO_PRODUCER_ID = -1;

/** Kafka's error names (org.apache.kafka.common.protocol.Errors), the ones the model produces. */
export type KafkaError =
  | "NONE"
  | "NOT_LEADER_OR_FOLLOWER"
  | "NOT_ENOUGH_REPLICAS"
  | "NOT_ENOUGH_REPLICAS_AFTER_APPEND"
  | "REQUEST_TIMED_OUT"
  | "UNKNOWN_TOPIC_OR_PARTITION"
  | "OFFSET_OUT_OF_RANGE"
  | "FENCED_LEADER_EPOCH"
  | "UNKNOWN_LEADER_EPOCH"
  | "LEADER_NOT_AVAILABLE"
  | "KAFKA_STORAGE_ERROR"
  | "NETWORK_EXCEPTION"
  | "OUT_OF_ORDER_SEQUENCE_NUMBER"
  | "DUPLICATE_SEQUENCE_NUMBER"
  | "INVALID_PRODUCER_EPOCH"
  | "INVALID_REPLICATION_FACTOR"
  | "INVALID_PARTITIONS"
  | "INVALID_CONFIG"
  | "TOPIC_ALREADY_EXISTS"
  | "POLICY_VIOLATION"
  | "STALE_BROKER_EPOCH"
  | "INELIGIBLE_REPLICA"
  | "NEW_LEADER_ELECTED"
  | "OPERATION_NOT_ATTEMPTED"
  | "BROKER_NOT_AVAILABLE"
  | "COORDINATOR_NOT_AVAILABLE"
  | "NOT_CONTROLLER"
  | "PREFERRED_LEADER_NOT_AVAILABLE"
  | "ELECTION_NOT_NEEDED"
  | "ELIGIBLE_LEADERS_NOT_AVAILABLE"
  | "CORRUPT_MESSAGE"
  | "NOT_COORDINATOR"
  | "COORDINATOR_LOAD_IN_PROGRESS"
  | "ILLEGAL_GENERATION"
  | "UNKNOWN_MEMBER_ID"
  | "MEMBER_ID_REQUIRED"
  | "REBALANCE_IN_PROGRESS"
  | "FENCED_INSTANCE_ID"
  | "INCONSISTENT_GROUP_PROTOCOL"
  | "INVALID_SESSION_TIMEOUT"
  | "GROUP_MAX_SIZE_REACHED"
  | "GROUP_ID_NOT_FOUND"
  | "FENCED_MEMBER_EPOCH"
  | "STALE_MEMBER_EPOCH"
  | "UNRELEASED_INSTANCE_ID"
  | "UNSUPPORTED_ASSIGNOR"
  | "UNSUPPORTED_VERSION"
  | "UNSTABLE_OFFSET_COMMIT"
  | "UNKNOWN_PRODUCER_ID"
  | "INVALID_TXN_STATE"
  | "CONCURRENT_TRANSACTIONS"
  | "PRODUCER_FENCED"
  | "TRANSACTIONAL_ID_AUTHORIZATION_FAILED"
  | "INVALID_PRODUCER_ID_MAPPING"
  | "INVALID_TRANSACTION_TIMEOUT"
  | "INVALID_REQUEST"
  | "UNKNOWN_SERVER_ERROR";

/** Errors a producer retries (Errors.java marks these RetriableException). */
export const RETRIABLE_ERRORS: ReadonlySet<KafkaError> = new Set<KafkaError>([
  "NOT_LEADER_OR_FOLLOWER",
  "NOT_ENOUGH_REPLICAS",
  "NOT_ENOUGH_REPLICAS_AFTER_APPEND",
  "REQUEST_TIMED_OUT",
  "UNKNOWN_TOPIC_OR_PARTITION",
  "LEADER_NOT_AVAILABLE",
  "KAFKA_STORAGE_ERROR",
  "NETWORK_EXCEPTION",
  "FENCED_LEADER_EPOCH",
  "UNKNOWN_LEADER_EPOCH",
  "COORDINATOR_NOT_AVAILABLE",
  "NOT_COORDINATOR",
  "COORDINATOR_LOAD_IN_PROGRESS",
  "CONCURRENT_TRANSACTIONS",
  "NOT_CONTROLLER",
]);
