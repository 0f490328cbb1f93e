/**
 * Control-plane messages of a KRaft cluster, named after Kafka's APIs: broker registration and
 * heartbeats (KIP-631), AlterPartition (KIP-497), the Raft quorum's Vote / BeginQuorumEpoch /
 * EndQuorumEpoch and its Fetch of the metadata partition `__cluster_metadata-0` (KIP-595; brokers
 * fetch it as observers), and the admin requests the controller serves.
 *
 * Simplified: admin requests go straight to the active controller (Kafka forwards them from a
 * broker in an Envelope); the metadata Fetch is its own message type so it is easy to tell from a
 * partition Fetch in the trace and the viz.
 */
import type { ControllerError, MetadataRecord } from "./metadata/image.ts";
import type { KafkaError } from "./types.ts";

export type ControlError =
  | KafkaError
  | ControllerError
  | "INVALID_UPDATE_VERSION"
  | "INVALID_REQUEST"
  | "UNKNOWN_SERVER_ERROR"
  /** A registration while the previous incarnation's session is still valid (KIP-631). */
  | "DUPLICATE_BROKER_REGISTRATION"
  | "INVALID_TOPIC_EXCEPTION"
  | "TOPIC_DELETION_DISABLED";

// ---------------------------------------------------------------- broker lifecycle

export type BrokerRegistrationRequest = {
  readonly type: "BrokerRegistrationRequest";
  readonly bytes: number;
  readonly correlationId: number;
  readonly brokerId: number;
  /** A new id each time the process starts (Kafka's incarnation UUID), deterministic here. */
  readonly incarnationId: string;
  readonly rack: string | null;
  readonly logDirs: readonly string[];
  /**
   * KIP-966: the broker epoch it had before, read from its clean-shutdown file; -1 after an
   * unclean shutdown (crash or power loss), so the controller removes it from ELRs.
   */
  readonly previousBrokerEpoch: number;
};

export type BrokerRegistrationResponse = {
  readonly type: "BrokerRegistrationResponse";
  readonly bytes: number;
  readonly correlationId: number;
  readonly error: ControlError;
  readonly brokerEpoch: number;
};

export type BrokerHeartbeatRequest = {
  readonly type: "BrokerHeartbeatRequest";
  readonly bytes: number;
  readonly correlationId: number;
  readonly brokerId: number;
  readonly brokerEpoch: number;
  /** The highest metadata offset the broker has applied. */
  readonly currentMetadataOffset: number;
  readonly wantFence: boolean;
  readonly wantShutDown: boolean;
  readonly offlineLogDirs: readonly string[];
};

export type BrokerHeartbeatResponse = {
  readonly type: "BrokerHeartbeatResponse";
  readonly bytes: number;
  readonly correlationId: number;
  readonly error: ControlError;
  readonly isCaughtUp: boolean;
  readonly isFenced: boolean;
  readonly shouldShutDown: boolean;
};

export type AlterPartitionItem = {
  readonly topic: string;
  readonly partition: number;
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
  readonly newIsr: readonly number[];
  readonly leaderRecoveryState: "RECOVERED" | "RECOVERING";
};

export type AlterPartitionRequest = {
  readonly type: "AlterPartitionRequest";
  readonly bytes: number;
  readonly correlationId: number;
  readonly brokerId: number;
  readonly brokerEpoch: number;
  readonly partitions: readonly AlterPartitionItem[];
};

export type AlterPartitionResponse = {
  readonly type: "AlterPartitionResponse";
  readonly bytes: number;
  readonly correlationId: number;
  /** NOT_CONTROLLER when sent to a controller that is not active. */
  readonly error: ControlError;
  readonly partitions: ReadonlyArray<{
    readonly topic: string;
    readonly partition: number;
    readonly error: ControlError;
    readonly leaderId: number;
    readonly leaderEpoch: number;
    readonly partitionEpoch: number;
    readonly isr: readonly number[];
    readonly leaderRecoveryState: "RECOVERED" | "RECOVERING";
  }>;
};

// ---------------------------------------------------------------- Raft (KIP-595)

/** A Raft control record (the leader writes one when it takes an epoch), or a metadata record. */
export type MetadataLogRecord =
  | MetadataRecord
  | { readonly type: "LeaderChangeMessage"; readonly leaderId: number };

export type MetadataLogEntry = {
  readonly offset: number;
  readonly epoch: number;
  readonly record: MetadataLogRecord;
};

export type VoteRequest = {
  readonly type: "VoteRequest";
  readonly bytes: number;
  readonly correlationId: number;
  readonly candidateId: number;
  readonly candidateEpoch: number;
  readonly lastOffsetEpoch: number;
  /** The candidate's log end offset. */
  readonly lastOffset: number;
};

export type VoteResponse = {
  readonly type: "VoteResponse";
  readonly bytes: number;
  readonly correlationId: number;
  readonly error: ControlError;
  readonly leaderId: number;
  readonly leaderEpoch: number;
  readonly voteGranted: boolean;
};

export type BeginQuorumEpochRequest = {
  readonly type: "BeginQuorumEpochRequest";
  readonly bytes: number;
  readonly correlationId: number;
  readonly leaderId: number;
  readonly leaderEpoch: number;
};

export type BeginQuorumEpochResponse = {
  readonly type: "BeginQuorumEpochResponse";
  readonly bytes: number;
  readonly correlationId: number;
  readonly error: ControlError;
  /** The responder's view: a leader that finds a newer epoch here steps down. */
  readonly leaderId: number;
  readonly leaderEpoch: number;
};

export type EndQuorumEpochRequest = {
  readonly type: "EndQuorumEpochRequest";
  readonly bytes: number;
  readonly correlationId: number;
  readonly leaderId: number;
  readonly leaderEpoch: number;
  readonly preferredSuccessors: readonly number[];
};

/** Raft Fetch of `__cluster_metadata-0`, from a voter (replica) or a broker (observer). */
export type MetadataFetchRequest = {
  readonly type: "MetadataFetchRequest";
  readonly bytes: number;
  readonly correlationId: number;
  readonly replicaId: number;
  readonly fetchOffset: number;
  readonly lastFetchedEpoch: number;
  /** The epoch the fetcher believes current. */
  readonly currentLeaderEpoch: number;
  readonly maxWaitMs: number;
  /**
   * The fetcher's high watermark (KIP-1166): the leader answers at once instead of holding the
   * fetch when its own high watermark is ahead. Absent: the leader holds an empty fetch.
   */
  readonly highWatermark?: number;
};

export type MetadataFetchResponse = {
  readonly type: "MetadataFetchResponse";
  readonly bytes: number;
  readonly correlationId: number;
  /** NOT_LEADER_OR_FOLLOWER or FENCED_LEADER_EPOCH send the fetcher to `currentLeader`. */
  readonly error: ControlError;
  readonly currentLeader: { readonly leaderId: number; readonly leaderEpoch: number };
  readonly highWatermark: number;
  readonly divergingEpoch?: { readonly epoch: number; readonly endOffset: number };
  readonly entries: readonly MetadataLogEntry[];
};

// ---------------------------------------------------------------- admin (to the active controller)

export type CreatableTopic = {
  readonly name: string;
  /** -1 with an explicit assignment. */
  readonly numPartitions: number;
  readonly replicationFactor: number;
  readonly assignment?: ReadonlyArray<readonly number[]>;
  readonly configs: Readonly<Record<string, string>>;
};

export type AdminRequest =
  | { readonly op: "CreateTopics"; readonly topics: readonly CreatableTopic[] }
  | {
      readonly op: "CreatePartitions";
      readonly topic: string;
      readonly count: number;
      readonly assignment?: ReadonlyArray<readonly number[]>;
    }
  | { readonly op: "DeleteTopics"; readonly topics: readonly string[] }
  | {
      readonly op: "ElectLeaders";
      readonly electionType: "preferred" | "unclean";
      /** Undefined: every partition. */
      readonly partitions?: ReadonlyArray<{ readonly topic: string; readonly partition: number }>;
    }
  | {
      readonly op: "AlterPartitionReassignments";
      readonly reassignments: ReadonlyArray<{
        readonly topic: string;
        readonly partition: number;
        readonly replicas: readonly number[] | null;
      }>;
    }
  | {
      readonly op: "IncrementalAlterConfigs";
      readonly resourceType: "topic" | "broker";
      /** Topic name, broker id as a string, or "" for the cluster-wide broker default. */
      readonly resourceName: string;
      readonly set: Readonly<Record<string, string>>;
      readonly delete: readonly string[];
    };

export type AdminRequestMessage = {
  readonly type: "AdminRequest";
  readonly bytes: number;
  readonly correlationId: number;
  readonly request: AdminRequest;
};

export type AdminResponseMessage = {
  readonly type: "AdminResponse";
  readonly bytes: number;
  readonly correlationId: number;
  /** NOT_CONTROLLER when this node is not the active controller. */
  readonly error: ControlError;
  /** Per item, in request order: Kafka's error name and message ("" when fine). */
  readonly results: ReadonlyArray<{
    readonly name: string;
    readonly error: ControlError;
    readonly message: string;
  }>;
};

export type ControlMessage =
  | BrokerRegistrationRequest
  | BrokerRegistrationResponse
  | BrokerHeartbeatRequest
  | BrokerHeartbeatResponse
  | AlterPartitionRequest
  | AlterPartitionResponse
  | VoteRequest
  | VoteResponse
  | BeginQuorumEpochRequest
  | BeginQuorumEpochResponse
  | EndQuorumEpochRequest
  | MetadataFetchRequest
  | MetadataFetchResponse
  | AdminRequestMessage
  | AdminResponseMessage;
