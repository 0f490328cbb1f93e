/**
 * The transaction APIs (KIP-98, KIP-447): what a transactional producer sends to its transaction
 * coordinator (AddPartitionsToTxn, AddOffsetsToTxn, EndTxn), what it sends to the group
 * coordinator (TxnOffsetCommit), and what the transaction coordinator sends to partition leaders
 * (WriteTxnMarkers). InitProducerId and FindCoordinator (key type "transaction") are in
 * protocol-clients.ts. Named and shaped after Kafka's protocol JSON
 * (clients/src/main/resources/common/message/*.json); plain data with a modeled wire size.
 *
 * Simplified: API versions, throttle times and tagged fields are left out; KIP-890's verify-only
 * AddPartitionsToTxn from a partition leader is the same request with `verifyOnly: true`.
 */
import type { KafkaError } from "./types.ts";

/** A marker's outcome: the control record type a leader appends (ControlRecordType). */
export type TransactionResult = "COMMIT" | "ABORT";

export type TopicPartitionList = ReadonlyArray<{
  readonly topic: string;
  readonly partitions: readonly number[];
}>;

export type TopicPartitionErrors = ReadonlyArray<{
  readonly topic: string;
  readonly partitions: ReadonlyArray<{ readonly partition: number; readonly error: KafkaError }>;
}>;

// ---------------------------------------------------------------- producer → transaction coordinator

export type AddPartitionsToTxnRequest = {
  readonly type: "AddPartitionsToTxnRequest";
  readonly bytes: number;
  readonly correlationId: number;
  readonly transactionalId: string;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly topics: TopicPartitionList;
  /** KIP-890: a partition leader asks whether the partitions are in the open transaction. */
  readonly verifyOnly?: boolean;
};

export type AddPartitionsToTxnResponse = {
  readonly type: "AddPartitionsToTxnResponse";
  readonly bytes: number;
  readonly correlationId: number;
  /** Per partition: NONE, CONCURRENT_TRANSACTIONS, PRODUCER_FENCED, INVALID_TXN_STATE... */
  readonly results: TopicPartitionErrors;
};

export type AddOffsetsToTxnRequest = {
  readonly type: "AddOffsetsToTxnRequest";
  readonly bytes: number;
  readonly correlationId: number;
  readonly transactionalId: string;
  readonly producerId: number;
  readonly producerEpoch: number;
  /** The consumer group whose `__consumer_offsets` partition joins the transaction. */
  readonly groupId: string;
};

export type AddOffsetsToTxnResponse = {
  readonly type: "AddOffsetsToTxnResponse";
  readonly bytes: number;
  readonly correlationId: number;
  readonly error: KafkaError;
};

export type EndTxnRequest = {
  readonly type: "EndTxnRequest";
  readonly bytes: number;
  readonly correlationId: number;
  readonly transactionalId: string;
  readonly producerId: number;
  readonly producerEpoch: number;
  /** True to commit, false to abort (Kafka's `committed` field). */
  readonly committed: boolean;
};

export type EndTxnResponse = {
  readonly type: "EndTxnResponse";
  readonly bytes: number;
  readonly correlationId: number;
  /** NONE, CONCURRENT_TRANSACTIONS, PRODUCER_FENCED, INVALID_TXN_STATE, NOT_COORDINATOR... */
  readonly error: KafkaError;
};

// ---------------------------------------------------------------- producer → group coordinator

export type TxnOffsetCommitRequest = {
  readonly type: "TxnOffsetCommitRequest";
  readonly bytes: number;
  readonly correlationId: number;
  readonly transactionalId: string;
  readonly groupId: string;
  readonly producerId: number;
  readonly producerEpoch: number;
  /** KIP-447: the consumer's group generation and member id (-1 / "" to skip the check). */
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly topics: ReadonlyArray<{
    readonly topic: string;
    readonly partitions: ReadonlyArray<{
      readonly partition: number;
      /** The next offset to read (last processed + 1). */
      readonly committedOffset: number;
      readonly committedLeaderEpoch: number;
    }>;
  }>;
};

export type TxnOffsetCommitResponse = {
  readonly type: "TxnOffsetCommitResponse";
  readonly bytes: number;
  readonly correlationId: number;
  readonly results: TopicPartitionErrors;
};

// ---------------------------------------------------------------- transaction coordinator → leaders

export type WriteTxnMarker = {
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly transactionResult: TransactionResult;
  readonly topics: TopicPartitionList;
  /** The coordinator's epoch (the `__transaction_state` partition's leader epoch). */
  readonly coordinatorEpoch: number;
};

export type WriteTxnMarkersRequest = {
  readonly type: "WriteTxnMarkersRequest";
  readonly bytes: number;
  readonly correlationId: number;
  readonly markers: readonly WriteTxnMarker[];
};

export type WriteTxnMarkersResponse = {
  readonly type: "WriteTxnMarkersResponse";
  readonly bytes: number;
  readonly correlationId: number;
  readonly markers: ReadonlyArray<{
    readonly producerId: number;
    /** Per partition: NONE, NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC_OR_PARTITION, ... */
    readonly topics: TopicPartitionErrors;
  }>;
};

export type TxnMessage =
  | AddPartitionsToTxnRequest
  | AddPartitionsToTxnResponse
  | AddOffsetsToTxnRequest
  | AddOffsetsToTxnResponse
  | EndTxnRequest
  | EndTxnResponse
  | TxnOffsetCommitRequest
  | TxnOffsetCommitResponse
  | WriteTxnMarkersRequest
  | WriteTxnMarkersResponse;
