/**
 * The coordination APIs clients use beyond produce and fetch: finding a coordinator, the classic
 * group protocol (JoinGroup, SyncGroup, Heartbeat, LeaveGroup), committed offsets (OffsetCommit,
 * OffsetFetch) and producer ids (InitProducerId). Named and shaped after Kafka's protocol JSON
 * (clients/src/main/resources/common/message/*.json); plain data with a modeled wire size.
 *
 * Simplified: API versions, throttle times and tagged fields are left out; a member's protocol
 * metadata and assignment travel as structured data instead of the ConsumerProtocol bytes (their
 * modeled size is still counted in `bytes`).
 */
import type {
  AddOffsetsToTxnRequest,
  AddOffsetsToTxnResponse,
  AddPartitionsToTxnRequest,
  AddPartitionsToTxnResponse,
  EndTxnRequest,
  EndTxnResponse,
  TxnOffsetCommitRequest,
  TxnOffsetCommitResponse,
} from "./protocol-txn.ts";
import type { KafkaError } from "./types.ts";

// ---------------------------------------------------------------- FindCoordinator

export type FindCoordinatorRequest = {
  readonly type: "FindCoordinatorRequest";
  readonly bytes: number;
  readonly correlationId: number;
  /** The group id or the transactional id. */
  readonly key: string;
  readonly keyType: "group" | "transaction";
};

export type FindCoordinatorResponse = {
  readonly type: "FindCoordinatorResponse";
  readonly bytes: number;
  readonly correlationId: number;
  /** NONE, COORDINATOR_NOT_AVAILABLE (no leader yet, topic being created), NOT_COORDINATOR... */
  readonly error: KafkaError;
  /** The coordinator's broker id; -1 on error. */
  readonly nodeId: number;
};

// ---------------------------------------------------------------- classic group protocol

/** ConsumerProtocolSubscription: what a member subscribes to and (cooperative) what it owns. */
export type ConsumerSubscription = {
  readonly topics: readonly string[];
  /** Partitions the member owns now (cooperative protocols and the sticky assignors). */
  readonly ownedPartitions: ReadonlyArray<{ readonly topic: string; readonly partition: number }>;
  /** The generation of the owned partitions (sticky assignors), -1 when none. */
  readonly generationId: number;
  readonly rackId: string | null;
};

export type JoinGroupProtocol = {
  /** The assignor name: "range", "roundrobin", "sticky", "cooperative-sticky". */
  readonly name: string;
  readonly metadata: ConsumerSubscription;
};

export type JoinGroupRequest = {
  readonly type: "JoinGroupRequest";
  readonly bytes: number;
  readonly correlationId: number;
  readonly groupId: string;
  readonly sessionTimeoutMs: number;
  /** max.poll.interval.ms for the consumer. */
  readonly rebalanceTimeoutMs: number;
  /** "" on the first join (KIP-394: the coordinator answers MEMBER_ID_REQUIRED with an id). */
  readonly memberId: string;
  /** group.instance.id (static membership, KIP-345), or null. */
  readonly groupInstanceId: string | null;
  readonly protocolType: "consumer";
  /** In preference order (partition.assignment.strategy). */
  readonly protocols: readonly JoinGroupProtocol[];
  /** Why the member (re)joins, for the trace (KIP-800's reason field). */
  readonly reason: string;
  /**
   * client.id from the request header (member ids and kafka-consumer-groups' CLIENT-ID); absent:
   * the coordinator uses the sender's node name.
   */
  readonly clientId?: string;
};

export type JoinGroupMember = {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly metadata: ConsumerSubscription;
};

export type JoinGroupResponse = {
  readonly type: "JoinGroupResponse";
  readonly bytes: number;
  readonly correlationId: number;
  readonly error: KafkaError;
  readonly generationId: number;
  /** The chosen protocol (assignor), or null on error. */
  readonly protocolName: string | null;
  readonly leader: string;
  readonly memberId: string;
  /** Every member with its subscription, for the leader only; empty for the others. */
  readonly members: readonly JoinGroupMember[];
};

export type MemberAssignment = {
  readonly memberId: string;
  readonly partitions: ReadonlyArray<{ readonly topic: string; readonly partition: number }>;
};

export type SyncGroupRequest = {
  readonly type: "SyncGroupRequest";
  readonly bytes: number;
  readonly correlationId: number;
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly protocolType: "consumer";
  readonly protocolName: string;
  /** The leader's computed assignment; empty from followers. */
  readonly assignments: readonly MemberAssignment[];
};

export type SyncGroupResponse = {
  readonly type: "SyncGroupResponse";
  readonly bytes: number;
  readonly correlationId: number;
  readonly error: KafkaError;
  readonly protocolName: string | null;
  readonly assignment: ReadonlyArray<{ readonly topic: string; readonly partition: number }>;
};

export type HeartbeatRequest = {
  readonly type: "HeartbeatRequest";
  readonly bytes: number;
  readonly correlationId: number;
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
};

export type HeartbeatResponse = {
  readonly type: "HeartbeatResponse";
  readonly bytes: number;
  readonly correlationId: number;
  /** NONE, REBALANCE_IN_PROGRESS, ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID... */
  readonly error: KafkaError;
};

export type LeaveGroupRequest = {
  readonly type: "LeaveGroupRequest";
  readonly bytes: number;
  readonly correlationId: number;
  readonly groupId: string;
  readonly members: ReadonlyArray<{
    readonly memberId: string;
    readonly groupInstanceId: string | null;
    readonly reason: string;
  }>;
};

export type LeaveGroupResponse = {
  readonly type: "LeaveGroupResponse";
  readonly bytes: number;
  readonly correlationId: number;
  readonly error: KafkaError;
  readonly members: ReadonlyArray<{ readonly memberId: string; readonly error: KafkaError }>;
};

// ---------------------------------------------------------------- committed offsets

export type OffsetCommitRequest = {
  readonly type: "OffsetCommitRequest";
  readonly bytes: number;
  readonly correlationId: number;
  readonly groupId: string;
  /** -1 with an empty member id for a commit outside the group protocol (assign() users, tools). */
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly partitions: ReadonlyArray<{
    readonly topic: string;
    readonly partition: number;
    readonly offset: number;
    /** The leader epoch of the last consumed record (KIP-320), -1 when unknown. */
    readonly leaderEpoch: number;
    readonly metadata: string;
  }>;
};

export type OffsetCommitResponse = {
  readonly type: "OffsetCommitResponse";
  readonly bytes: number;
  readonly correlationId: number;
  readonly partitions: ReadonlyArray<{
    readonly topic: string;
    readonly partition: number;
    readonly error: KafkaError;
  }>;
};

export type OffsetFetchRequest = {
  readonly type: "OffsetFetchRequest";
  readonly bytes: number;
  readonly correlationId: number;
  readonly groupId: string;
  /** null asks for every partition the group has committed. */
  readonly partitions: ReadonlyArray<{ readonly topic: string; readonly partition: number }> | null;
  /** KIP-447: wait out pending transactional offset commits (UNSTABLE_OFFSET_COMMIT). */
  readonly requireStable: boolean;
};

export type OffsetFetchResponse = {
  readonly type: "OffsetFetchResponse";
  readonly bytes: number;
  readonly correlationId: number;
  /** Group-level error: NONE, COORDINATOR_LOAD_IN_PROGRESS, NOT_COORDINATOR... */
  readonly error: KafkaError;
  readonly partitions: ReadonlyArray<{
    readonly topic: string;
    readonly partition: number;
    /** -1 when the group has no committed offset for the partition. */
    readonly offset: number;
    readonly leaderEpoch: number;
    readonly metadata: string;
    readonly error: KafkaError;
  }>;
};

// ---------------------------------------------------------------- KIP-848 consumer protocol

/** ConsumerGroupHeartbeat (KIP-848): join (epoch 0), heartbeat and acknowledge, leave (-1, -2). */
export type ConsumerGroupHeartbeatRequest = {
  readonly type: "ConsumerGroupHeartbeatRequest";
  readonly bytes: number;
  readonly correlationId: number;
  readonly groupId: string;
  /** "" on a first join when the coordinator is to choose the id. */
  readonly memberId: string;
  /** 0 to join, -1 to leave, -2 for a static member leaving temporarily. */
  readonly memberEpoch: number;
  readonly instanceId: string | null;
  readonly rackId: string | null;
  /** max.poll.interval.ms; -1 when unchanged. */
  readonly rebalanceTimeoutMs: number;
  /** null when unchanged since the last heartbeat. */
  readonly subscribedTopicNames: readonly string[] | null;
  /** group.remote.assignor, or null for the coordinator's default. */
  readonly serverAssignor: string | null;
  /** The partitions the member owns now; null when unchanged. */
  readonly topicPartitions: ReadonlyArray<{
    readonly topic: string;
    readonly partition: number;
  }> | null;
  /** client.id from the request header; absent: the sender's node name. */
  readonly clientId?: string;
};

export type ConsumerGroupHeartbeatResponse = {
  readonly type: "ConsumerGroupHeartbeatResponse";
  readonly bytes: number;
  readonly correlationId: number;
  /** NONE, UNKNOWN_MEMBER_ID, FENCED_MEMBER_EPOCH, UNRELEASED_INSTANCE_ID, GROUP_ID_NOT_FOUND... */
  readonly error: KafkaError;
  readonly memberId: string;
  readonly memberEpoch: number;
  readonly heartbeatIntervalMs: number;
  /** The partitions the member should own; null when there is none to give (errors). */
  readonly assignment: ReadonlyArray<{ readonly topic: string; readonly partition: number }> | null;
};

// ---------------------------------------------------------------- producer ids

export type InitProducerIdRequest = {
  readonly type: "InitProducerIdRequest";
  readonly bytes: number;
  readonly correlationId: number;
  /** null for an idempotent producer; transactional ids go to the transaction coordinator. */
  readonly transactionalId: string | null;
  readonly transactionTimeoutMs: number;
  /** KIP-360: the current id and epoch when re-initialising, else -1 and -1. */
  readonly producerId: number;
  readonly producerEpoch: number;
};

export type InitProducerIdResponse = {
  readonly type: "InitProducerIdResponse";
  readonly bytes: number;
  readonly correlationId: number;
  readonly error: KafkaError;
  readonly producerId: number;
  readonly producerEpoch: number;
};

// ---------------------------------------------------------------- group deletion (admin)

/** DeleteGroups (KIP-229, 1.1): an admin client asks a group's coordinator to delete groups. */
export type DeleteGroupsRequest = {
  readonly type: "DeleteGroupsRequest";
  readonly bytes: number;
  readonly correlationId: number;
  readonly groupIds: readonly string[];
};

/** GROUP_NOT_EMPTY is DeleteGroups' own error: the group still has members. */
export type DeleteGroupsError = KafkaError | "GROUP_NOT_EMPTY";

export type DeleteGroupsResponse = {
  readonly type: "DeleteGroupsResponse";
  readonly bytes: number;
  readonly correlationId: number;
  readonly results: ReadonlyArray<{ readonly groupId: string; readonly error: DeleteGroupsError }>;
};

/** Requests a client sends to a group or transaction coordinator, or to any broker for a PID. */
export type CoordinatorRequest =
  | FindCoordinatorRequest
  | JoinGroupRequest
  | SyncGroupRequest
  | HeartbeatRequest
  | LeaveGroupRequest
  | OffsetCommitRequest
  | OffsetFetchRequest
  | InitProducerIdRequest
  | ConsumerGroupHeartbeatRequest
  | DeleteGroupsRequest
  | AddPartitionsToTxnRequest
  | AddOffsetsToTxnRequest
  | EndTxnRequest
  | TxnOffsetCommitRequest;

export type CoordinatorResponse =
  | FindCoordinatorResponse
  | JoinGroupResponse
  | SyncGroupResponse
  | HeartbeatResponse
  | LeaveGroupResponse
  | OffsetCommitResponse
  | OffsetFetchResponse
  | InitProducerIdResponse
  | ConsumerGroupHeartbeatResponse
  | DeleteGroupsResponse
  | AddPartitionsToTxnResponse
  | AddOffsetsToTxnResponse
  | EndTxnResponse
  | TxnOffsetCommitResponse;

export type ClientCoordinationMessage = CoordinatorRequest | CoordinatorResponse;
