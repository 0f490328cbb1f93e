/**
 * Messages of ZooKeeper mode: the ZooKeeper client protocol (sessions, znode operations, watch
 * events), the ensemble's own traffic (peer pings, replicated transactions, state transfer), and
 * the Kafka controller's requests to brokers (LeaderAndIsr, UpdateMetadata, ControlledShutdown).
 *
 * Simplified: a request carries one operation or one `multi`; Kafka's pipelined reads of many
 * znodes are one `getDataMany` (KafkaZkClient sends them asynchronously in one batch); znode data
 * is a JSON string (its length is the size on the wire). LeaderAndIsr and UpdateMetadata carry
 * the partition and broker state as the metadata records the broker's image already applies
 * (full PartitionRecords, not deltas), with the controller epoch that fences a zombie controller.
 */
import type { MetadataRecord } from "./metadata/image.ts";

// ---------------------------------------------------------------- the ZooKeeper data model

/** KeeperException codes, by their Java names. */
export type ZkError =
  | "OK"
  | "NONODE"
  | "NODEEXISTS"
  | "BADVERSION"
  | "NOTEMPTY"
  | "SESSIONEXPIRED"
  | "CONNECTIONLOSS";

/** A znode's Stat, as far as the model goes. */
export type ZkStat = {
  /** zxid of the transaction that created the znode (Kafka's broker epoch, KIP-380). */
  readonly czxid: number;
  /** Data version: +1 on every setData. */
  readonly version: number;
  /** Child version: +1 when a child is created or deleted. */
  readonly cversion: number;
  /** The owning session of an ephemeral znode, 0 for a persistent one. */
  readonly ephemeralOwner: number;
};

export type ZkWriteOp =
  | {
      readonly op: "create";
      readonly path: string;
      readonly data: string;
      readonly ephemeral: boolean;
      /** Appends a 10-digit sequence number (the parent's cversion) to the name. */
      readonly sequential?: boolean;
    }
  /** version -1 matches any version. */
  | {
      readonly op: "setData";
      readonly path: string;
      readonly data: string;
      readonly version: number;
    }
  | { readonly op: "delete"; readonly path: string; readonly version: number }
  | { readonly op: "check"; readonly path: string; readonly version: number };

export type ZkReadOp =
  | { readonly op: "getData"; readonly path: string; readonly watch: boolean }
  | { readonly op: "getChildren"; readonly path: string; readonly watch: boolean }
  | { readonly op: "exists"; readonly path: string; readonly watch: boolean }
  /** Kafka's pipelined batch of getData calls (no watches). */
  | { readonly op: "getDataMany"; readonly paths: readonly string[] };

/** A multi is all-or-nothing: the first failing op's error fails the whole transaction. */
export type ZkOp =
  | ZkWriteOp
  | ZkReadOp
  | { readonly op: "multi"; readonly ops: readonly ZkWriteOp[] };

export type ZkOpResult = {
  readonly error: ZkError;
  /** The created path (sequential creates), else the op's path. */
  readonly path?: string;
  readonly data?: string;
  readonly stat?: ZkStat;
  readonly children?: readonly string[];
  /** getDataMany: one entry per path (null when the znode does not exist). */
  readonly many?: ReadonlyArray<{ readonly data: string; readonly stat: ZkStat } | null>;
  /** multi: per-op results. */
  readonly results?: readonly ZkOpResult[];
};

export type ZkWatchEventType =
  | "NodeCreated"
  | "NodeDeleted"
  | "NodeDataChanged"
  | "NodeChildrenChanged";

// ---------------------------------------------------------------- client ↔ server

export type ZkConnectRequest = {
  readonly type: "ZkConnectRequest";
  readonly bytes: number;
  /** 0 asks for a new session; otherwise the session to resume. */
  readonly sessionId: number;
  readonly timeoutMs: number;
  /** The client's node (a broker id), for the trace. */
  readonly owner: string;
};

export type ZkConnectResponse = {
  readonly type: "ZkConnectResponse";
  readonly bytes: number;
  /** SESSIONEXPIRED when the session to resume is gone. */
  readonly error: ZkError;
  readonly sessionId: number;
  readonly timeoutMs: number;
};

export type ZkRequest = {
  readonly type: "ZkRequest";
  readonly bytes: number;
  readonly sessionId: number;
  readonly xid: number;
  readonly op: ZkOp;
};

export type ZkResponse = {
  readonly type: "ZkResponse";
  readonly bytes: number;
  readonly sessionId: number;
  readonly xid: number;
  readonly result: ZkOpResult;
};

export type ZkPing = {
  readonly type: "ZkPing";
  readonly bytes: number;
  readonly sessionId: number;
};

export type ZkPingResponse = {
  readonly type: "ZkPingResponse";
  readonly bytes: number;
  readonly sessionId: number;
  /** SESSIONEXPIRED when the session is gone. */
  readonly error: ZkError;
};

export type ZkCloseSession = {
  readonly type: "ZkCloseSession";
  readonly bytes: number;
  readonly sessionId: number;
};

export type ZkWatchEvent = {
  readonly type: "ZkWatchEvent";
  readonly bytes: number;
  readonly sessionId: number;
  readonly path: string;
  readonly event: ZkWatchEventType;
};

// ---------------------------------------------------------------- inside the ensemble

/** A committed change to the tree (the ensemble's replicated log entry). */
export type ZkTxn =
  | {
      readonly kind: "createSession";
      readonly sessionId: number;
      readonly timeoutMs: number;
      readonly owner: string;
    }
  | {
      readonly kind: "closeSession";
      readonly sessionId: number;
      readonly why: "expired" | "closed";
    }
  | { readonly kind: "ops"; readonly sessionId: number; readonly ops: readonly ZkWriteOp[] };

export type ZkPeerPing = {
  readonly type: "ZkPeerPing";
  readonly bytes: number;
  readonly serverId: number;
  /** The last transaction this server applied. */
  readonly zxid: number;
  /** The leader this server follows (or is), -1 when none. */
  readonly leader: number;
};

/** The leader's transaction, sent to every follower. */
export type ZkProposal = {
  readonly type: "ZkProposal";
  readonly bytes: number;
  readonly zxid: number;
  readonly txn: ZkTxn;
};

/** A server asks a peer for its whole state (a gap in the transactions, or a new leader syncing). */
export type ZkSnapRequest = {
  readonly type: "ZkSnapRequest";
  readonly bytes: number;
  readonly serverId: number;
};

export type ZkSnapshotNode = {
  readonly path: string;
  readonly data: string;
  readonly stat: ZkStat;
};

export type ZkSnapshot = {
  readonly type: "ZkSnapshot";
  readonly bytes: number;
  readonly zxid: number;
  readonly nodes: readonly ZkSnapshotNode[];
  readonly sessions: ReadonlyArray<{
    readonly sessionId: number;
    readonly timeoutMs: number;
    readonly owner: string;
  }>;
  readonly nextSessionId: number;
};

/** A follower passes a client's write, ping or session request to the leader. */
export type ZkForward = {
  readonly type: "ZkForward";
  readonly bytes: number;
  /** The server the client is connected to (the answer goes back through it). */
  readonly origin: number;
  readonly client: string;
  readonly message: ZkRequest | ZkPing | ZkConnectRequest | ZkCloseSession;
};

export type ZkForwardResponse = {
  readonly type: "ZkForwardResponse";
  readonly bytes: number;
  readonly client: string;
  readonly message: ZkResponse | ZkPingResponse | ZkConnectResponse;
};

export type ZkMessage =
  | ZkConnectRequest
  | ZkConnectResponse
  | ZkRequest
  | ZkResponse
  | ZkPing
  | ZkPingResponse
  | ZkCloseSession
  | ZkWatchEvent
  | ZkPeerPing
  | ZkProposal
  | ZkSnapRequest
  | ZkSnapshot
  | ZkForward
  | ZkForwardResponse;

// ---------------------------------------------------------------- controller → brokers

/** Errors of the controller's requests (Kafka's names). */
export type ZkControllerError =
  | "NONE"
  | "STALE_CONTROLLER_EPOCH"
  | "STALE_BROKER_EPOCH"
  | "NOT_CONTROLLER"
  | "BROKER_NOT_AVAILABLE";

/**
 * LeaderAndIsr (to the replicas of the partitions it names) and UpdateMetadata (to every live
 * broker). `records`: TopicRecord/ConfigRecord for topics the broker may not know, one full
 * PartitionRecord per partition (leader, leader epoch, ISR, partition epoch = the state znode's
 * version), RemoveTopicRecord for deleted topics, and (UpdateMetadata) one RegisterBrokerRecord
 * per known broker with fenced = not alive.
 */
export type LeaderAndIsrRequest = {
  readonly type: "LeaderAndIsrRequest" | "UpdateMetadataRequest";
  readonly bytes: number;
  readonly correlationId: number;
  readonly controllerId: number;
  readonly controllerEpoch: number;
  /** The receiver's broker epoch as the controller knows it (KIP-380), -1 to skip the check. */
  readonly brokerEpoch: number;
  readonly records: readonly MetadataRecord[];
};

export type LeaderAndIsrResponse = {
  readonly type: "LeaderAndIsrResponse" | "UpdateMetadataResponse";
  readonly bytes: number;
  readonly correlationId: number;
  readonly error: ZkControllerError;
};

export type ControlledShutdownRequest = {
  readonly type: "ControlledShutdownRequest";
  readonly bytes: number;
  readonly correlationId: number;
  readonly brokerId: number;
  readonly brokerEpoch: number;
};

export type ControlledShutdownResponse = {
  readonly type: "ControlledShutdownResponse";
  readonly bytes: number;
  readonly correlationId: number;
  readonly error: ZkControllerError;
  /** Partitions the broker still leads ("topic-partition"); empty = safe to stop. */
  readonly partitionsRemaining: readonly string[];
};

export type ZkControllerMessage =
  | LeaderAndIsrRequest
  | LeaderAndIsrResponse
  | ControlledShutdownRequest
  | ControlledShutdownResponse;
