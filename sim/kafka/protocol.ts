/**
 * The messages Kafka nodes exchange, named after Kafka's protocol APIs. Each is plain data with a
 * `type` and a modeled wire size in `bytes` (headers plus batches), which the network model uses
 * for serialization delay. Request/response pairs carry a `correlationId` as Kafka's do.
 *
 * Simplified: fields that do not change behaviour in the model (API versions, tagged fields,
 * session ids of incremental fetch) are left out; fetch sessions are always full.
 */
import type { KafkaError, RecordBatch } from "./types.ts";

/** Size of a request or response header plus framing, per message (a modeled constant). */
export const HEADER_BYTES = 64;
/** Modeled size of a per-partition entry in a request or response without records. */
export const PARTITION_ENTRY_BYTES = 32;

// ---------------------------------------------------------------- produce

export type ProducePartitionData = {
  readonly topic: string;
  readonly partition: number;
  /** The batch as the producer built it; the leader assigns its offsets. */
  readonly batch: Omit<RecordBatch, "baseOffset" | "leaderEpoch">;
};

export type ProduceRequest = {
  readonly type: "ProduceRequest";
  readonly bytes: number;
  readonly correlationId: number;
  readonly clientId: string;
  /** -1 (all), 0 or 1. */
  readonly acks: -1 | 0 | 1;
  readonly timeoutMs: number;
  /** A transactional producer's id (Kafka's ProduceRequest transactionalId; KIP-890 needs it). */
  readonly transactionalId?: string | null;
  readonly partitions: readonly ProducePartitionData[];
};

export type ProducePartitionResponse = {
  readonly topic: string;
  readonly partition: number;
  readonly error: KafkaError;
  /** -1 when the append failed. */
  readonly baseOffset: number;
  readonly logStartOffset: number;
};

export type ProduceResponse = {
  readonly type: "ProduceResponse";
  readonly bytes: number;
  readonly correlationId: number;
  readonly partitions: readonly ProducePartitionResponse[];
};

// ---------------------------------------------------------------- fetch (replicas and consumers)

export type FetchPartition = {
  readonly topic: string;
  readonly partition: number;
  readonly fetchOffset: number;
  /** Epoch of the last fetched batch (IBP 2.7+ divergence check); -1 when unknown. */
  readonly lastFetchedEpoch: number;
  /** KIP-320 fencing: the leader epoch the fetcher believes current; -1 to skip the check. */
  readonly currentLeaderEpoch: number;
  readonly logStartOffset: number;
  readonly partitionMaxBytes: number;
};

export type FetchRequest = {
  readonly type: "FetchRequest";
  readonly bytes: number;
  readonly correlationId: number;
  /** The fetching broker's id, or -1 for a consumer. */
  readonly replicaId: number;
  /** The fetching broker's epoch (KRaft), -1 for consumers. */
  readonly replicaEpoch: number;
  readonly maxWaitMs: number;
  readonly minBytes: number;
  readonly maxBytes: number;
  readonly isolationLevel: "read_uncommitted" | "read_committed";
  readonly partitions: readonly FetchPartition[];
  /**
   * The security protocol of the connection the request came on (the listener's): SSL and
   * SASL_SSL encrypt in user space, so the leader cannot answer with sendfile. Absent: PLAINTEXT.
   */
  readonly securityProtocol?: SecurityProtocol;
};

export type SecurityProtocol = "PLAINTEXT" | "SSL" | "SASL_PLAINTEXT" | "SASL_SSL";

/** A config value (case-insensitive, validated) as a protocol. */
export function securityProtocolOf(value: string | null): SecurityProtocol {
  const upper = (value ?? "PLAINTEXT").toUpperCase();
  if (upper === "SSL" || upper === "SASL_PLAINTEXT" || upper === "SASL_SSL") return upper;
  return "PLAINTEXT";
}

/** TLS encrypts every byte in user space: no zero-copy path. */
export function isEncrypted(protocol: SecurityProtocol | undefined): boolean {
  return protocol === "SSL" || protocol === "SASL_SSL";
}

export type FetchPartitionResponse = {
  readonly topic: string;
  readonly partition: number;
  readonly error: KafkaError;
  readonly highWatermark: number;
  readonly lastStableOffset: number;
  readonly logStartOffset: number;
  /** Set by the leader when the follower's log diverges (fetch-embedded KIP-279 check). */
  readonly divergingEpoch?: { readonly epoch: number; readonly endOffset: number };
  /** The leader's current epoch, so a fetcher can detect a newer one. */
  readonly currentLeaderEpoch: number;
  readonly batches: readonly RecordBatch[];
  /**
   * read_committed fetches only (Kafka sends null otherwise): the aborted transactions whose data
   * overlaps the returned batches, for the consumer to drop (reference §5).
   */
  readonly abortedTransactions?: readonly {
    readonly producerId: number;
    readonly firstOffset: number;
  }[];
};

export type FetchResponse = {
  readonly type: "FetchResponse";
  readonly bytes: number;
  readonly correlationId: number;
  readonly partitions: readonly FetchPartitionResponse[];
};

// ---------------------------------------------------------------- truncation (KIP-101 / KIP-279)

export type OffsetsForLeaderEpochRequest = {
  readonly type: "OffsetsForLeaderEpochRequest";
  readonly bytes: number;
  readonly correlationId: number;
  readonly replicaId: number;
  readonly partitions: ReadonlyArray<{
    readonly topic: string;
    readonly partition: number;
    readonly currentLeaderEpoch: number;
    readonly leaderEpoch: number;
  }>;
};

export type OffsetsForLeaderEpochResponse = {
  readonly type: "OffsetsForLeaderEpochResponse";
  readonly bytes: number;
  readonly correlationId: number;
  readonly partitions: ReadonlyArray<{
    readonly topic: string;
    readonly partition: number;
    readonly error: KafkaError;
    /** KIP-279: the largest epoch ≤ the requested one; -1 before KIP-279 or when undefined. */
    readonly leaderEpoch: number;
    readonly endOffset: number;
  }>;
};

// ---------------------------------------------------------------- metadata (clients and tools)

/** A client's Metadata request: the topics it wants (null: every topic). Served from a broker's cache. */
export type MetadataRequest = {
  readonly type: "MetadataRequest";
  readonly bytes: number;
  readonly correlationId: number;
  readonly topics: readonly string[] | null;
};

export type MetadataResponsePartition = {
  readonly partition: number;
  /** LEADER_NOT_AVAILABLE when the partition has no leader; KAFKA_STORAGE_ERROR never (simplified). */
  readonly error: KafkaError;
  /** -1 when there is none. */
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  /** Replicas on brokers that are not alive (fenced or unregistered), as Kafka lists them. */
  readonly offlineReplicas: readonly number[];
};

export type MetadataResponseTopic = {
  readonly name: string;
  /** UNKNOWN_TOPIC_OR_PARTITION for a topic the broker does not know. */
  readonly error: KafkaError;
  readonly topicId: string;
  readonly partitions: readonly MetadataResponsePartition[];
};

export type MetadataResponse = {
  readonly type: "MetadataResponse";
  readonly bytes: number;
  readonly correlationId: number;
  /** Alive brokers (registered and unfenced), ascending ids. */
  readonly brokers: ReadonlyArray<{ readonly nodeId: number; readonly rack: string | null }>;
  /** KRaft gives clients a live broker here (they cannot reach the controllers); -1 if none. */
  readonly controllerId: number;
  readonly topics: readonly MetadataResponseTopic[];
};

// ---------------------------------------------------------------- list offsets

/** ListOffsetsRequest.LATEST_TIMESTAMP and EARLIEST_TIMESTAMP. */
export const LATEST_TIMESTAMP = -1;
export const EARLIEST_TIMESTAMP = -2;

export type ListOffsetsRequest = {
  readonly type: "ListOffsetsRequest";
  readonly bytes: number;
  readonly correlationId: number;
  /** A follower's broker id (latest = its leader's LEO), or -1 for a client (latest = HW or LSO). */
  readonly replicaId: number;
  readonly isolationLevel: "read_uncommitted" | "read_committed";
  readonly partitions: ReadonlyArray<{
    readonly topic: string;
    readonly partition: number;
    /** KIP-320 fencing; -1 skips the check. */
    readonly currentLeaderEpoch: number;
    /** LATEST_TIMESTAMP or EARLIEST_TIMESTAMP (timestamp lookups are not modelled). */
    readonly timestamp: number;
  }>;
};

export type ListOffsetsResponse = {
  readonly type: "ListOffsetsResponse";
  readonly bytes: number;
  readonly correlationId: number;
  readonly partitions: ReadonlyArray<{
    readonly topic: string;
    readonly partition: number;
    readonly error: KafkaError;
    /** The timestamp asked for, echoed, so a request may ask both ends of one partition. */
    readonly timestamp: number;
    /** -1 on error. */
    readonly offset: number;
    readonly leaderEpoch: number;
  }>;
};

// ---------------------------------------------------------------- delete records

/** DeleteRecords: move each partition's log start up to `offset` (-1: the high watermark). */
export type DeleteRecordsRequest = {
  readonly type: "DeleteRecordsRequest";
  readonly bytes: number;
  readonly correlationId: number;
  readonly timeoutMs: number;
  readonly partitions: ReadonlyArray<{
    readonly topic: string;
    readonly partition: number;
    readonly offset: number;
  }>;
};

export type DeleteRecordsResponse = {
  readonly type: "DeleteRecordsResponse";
  readonly bytes: number;
  readonly correlationId: number;
  readonly partitions: ReadonlyArray<{
    readonly topic: string;
    readonly partition: number;
    /** The new log start offset; -1 on error. */
    readonly lowWatermark: number;
    readonly error: KafkaError;
  }>;
};

/** Every Kafka protocol message the model sends (more join as the models grow). */
export type KafkaMessage =
  | ProduceRequest
  | ProduceResponse
  | FetchRequest
  | FetchResponse
  | OffsetsForLeaderEpochRequest
  | OffsetsForLeaderEpochResponse
  | MetadataRequest
  | MetadataResponse
  | ListOffsetsRequest
  | ListOffsetsResponse
  | DeleteRecordsRequest
  | DeleteRecordsResponse;

/** Modeled wire size of a list of batches. */
export function batchesBytes(batches: readonly RecordBatch[]): number {
  let total = 0;
  for (const b of batches) total += b.bytes;
  return total;
}
