/**
 * The group coordinator as a part of a broker (Kafka's GroupCoordinator with its
 * GroupMetadataManager, and the FindCoordinator handler of KafkaApis).
 *
 * Models:
 * - FindCoordinator: the group's `__consumer_offsets` partition (placement.ts) and its leader.
 *   The topic is created on first use with a CreateTopics request to the active controller
 *   (50 partitions, RF `offsets.topic.replication.factor`, compacted); until a leader exists the
 *   answer is COORDINATOR_NOT_AVAILABLE. From 0.11 creation fails until enough brokers are alive
 *   (KAFKA-3959); 0.10 caps the replication factor at the live brokers instead.
 * - A broker coordinates the groups of the offsets partitions it leads. On becoming leader it
 *   loads the partition from its own log: ListOffsets to itself (earliest, and its LEO), then
 *   consumer Fetches to itself until the high watermark reaches that LEO, replaying offset
 *   commits and group metadata (tombstones delete). Meanwhile its groups answer
 *   COORDINATOR_LOAD_IN_PROGRESS; on losing leadership they are unloaded (NOT_COORDINATOR).
 * - Writes (group metadata after a sync, offset commits, tombstones) are ProduceRequests with
 *   acks=-1 to the broker itself over loopback, keys and values kept so compaction works; the
 *   caller is answered when the ProduceResponse arrives, its error mapped as
 *   GroupMetadataManager maps it.
 * - The offsets-retention task every `offsets.retention.check.interval.ms`.
 * - TxnOffsetCommit (KIP-98, KIP-447 from 2.5): checked like OffsetCommit, appended as a
 *   transactional batch of the producer (acks=-1), pending per (group, producer) until the broker
 *   writes that producer's marker to the partition (`onMarkerWritten`, from the replica manager):
 *   COMMIT applies the offsets, ABORT drops them. The loader replays the same: transactional
 *   offset records wait for their control batch (COMMIT/ABORT), and those without one stay pending.
 *   A commit from an epoch older than the last one this partition saw for the producer is refused
 *   (INVALID_PRODUCER_EPOCH; PRODUCER_FENCED before 2.7), standing in for the log's epoch check.
 *
 * The topic's creation, loading, unloading and appends are internal-topic.ts's, shared with the
 * transaction coordinator; this file holds the groups, their records and their replay.
 *
 * Simplifies: no request queue or purgatory threads; the load reads up to the HW (Kafka's old
 * loader read to the LEO; the new runtime also exposes only committed state); the offsets topic's
 * partition count comes from the image once it exists.
 *
 * Faults: the process crash loses every group in memory (onProcessStart); the new leader of an
 * offsets partition reloads them; a lost loopback answer (the broker stopped leading) leaves the
 * client to time out, as in Kafka.
 */
import type { SimEvent } from "../../engine/engine.ts";
import type { ProcessStart } from "../../infra/host.ts";
import type { NetMessage } from "../../infra/network.ts";
import type { BrokerContext } from "../broker/context.ts";
import type { BrokerService } from "../broker/services.ts";
import { configList, configNumber, hasConfig } from "../config.ts";
import {
  coordinatorAppendError,
  forEachRecord,
  InternalTopic,
  type InternalTopicTimer,
  type LedPartition,
} from "../coordinator/internal-topic.ts";
import { controlTypeOf } from "../log/txn-batch.ts";
import type { MetadataImage } from "../metadata/image.ts";
import { HEADER_BYTES, PARTITION_ENTRY_BYTES } from "../protocol.ts";
import type {
  ConsumerGroupHeartbeatRequest,
  ConsumerGroupHeartbeatResponse,
  CoordinatorRequest,
  DeleteGroupsError,
  DeleteGroupsRequest,
  DeleteGroupsResponse,
  FindCoordinatorRequest,
  FindCoordinatorResponse,
  HeartbeatResponse,
  JoinGroupResponse,
  LeaveGroupResponse,
  OffsetCommitResponse,
  OffsetFetchResponse,
  SyncGroupResponse,
} from "../protocol-clients.ts";
import type { TxnOffsetCommitRequest, TxnOffsetCommitResponse } from "../protocol-txn.ts";
import { type KafkaError, type RecordBatch, tpKey } from "../types.ts";
import { compareVersions } from "../version.ts";
import {
  type ConsumerGroupEnv,
  ConsumerGroupManager,
  type ConsumerGroupRecordValue,
  type ConsumerGroupSettings,
  type ConsumerGroupSnapshot,
  type ConsumerGroupTimer,
} from "./consumer-group.ts";
import {
  type GroupEnv,
  type GroupSettings,
  type GroupSnapshot,
  GroupStateMachine,
  type GroupTimer,
  type StoredOffset,
  type TxnAppend,
} from "./group-state.ts";
import { coordinatorPartition, OFFSETS_TOPIC } from "./placement.ts";
import {
  consumerGroupKey,
  decodeRecord,
  encodeConsumerGroupValue,
  encodeGroupValue,
  encodeOffsetValue,
  type GroupRecordValue,
  groupKey,
  type OffsetRecordValue,
  offsetKey,
} from "./records.ts";
import type { TxnOffsetEntry } from "./txn-offsets.ts";

/** What the coordinator holds for one offsets partition it leads. */
export interface CoordinatorPartitionSnapshot {
  readonly partition: number;
  readonly leaderEpoch: number;
  readonly status: "loading" | "loaded";
}

export interface GroupCoordinatorSnapshot {
  readonly partitions: readonly CoordinatorPartitionSnapshot[];
  /** The groups of loaded partitions, by group id, each with its offsets partition. */
  readonly groups: ReadonlyArray<GroupSnapshot & { readonly coordinatorPartition: number }>;
  /**
   * KIP-848 groups (group.protocol=consumer), by group id, with their committed offsets (kept in
   * the classic state machine as an Empty group, which `groups` leaves out).
   */
  readonly consumerGroups: ReadonlyArray<
    ConsumerGroupSnapshot & {
      readonly coordinatorPartition: number;
      readonly offsets: GroupSnapshot["offsets"];
    }
  >;
}

/** An offsets partition led here: what its load has read so far, and the producer epochs seen. */
interface OwnedPartition extends LedPartition {
  readonly groups: Map<string, GroupRecordValue | null>;
  readonly consumerGroups: Map<string, ConsumerGroupRecordValue | null>;
  readonly offsets: Map<
    string,
    Map<
      string,
      { topic: string; partition: number; value: OffsetRecordValue | null; recordOffset: number }
    >
  >;
  /** While loading: transactional offsets read, by producer id then group, awaiting a marker. */
  readonly txnOffsets: Map<number, Map<string, Map<string, TxnOffsetEntry | null>>>;
  /** Markers written while loading, applied once the load is done. */
  readonly markersDuringLoad: Array<{ producerId: number; commit: boolean }>;
  /** The latest producer epoch seen here per producer id (offset batches and markers). */
  readonly producerEpochs: Map<number, number>;
}

/** What the replica manager reports of a marker written to one partition (its onMarkerWritten). */
export interface WrittenMarker {
  readonly topic: string;
  readonly partition: number;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly result: "COMMIT" | "ABORT";
}

type TimerPayload =
  | { readonly epoch: number; readonly what: "group"; readonly timer: GroupTimer }
  | { readonly epoch: number; readonly what: "consumer-group"; readonly timer: ConsumerGroupTimer }
  | { readonly epoch: number; readonly what: "expire-offsets" }
  | ({ readonly epoch: number } & InternalTopicTimer);

const TIMER_KIND = "group.timer";
/** Kafka's NewMemberJoinTimeoutMs (5 minutes, from 2.2). */
const NEW_MEMBER_JOIN_TIMEOUT_MS = 300_000;
/** offsets.load.buffer.size: bytes read per load fetch. */
const LOAD_BUFFER_BYTES = 5 * 1024 * 1024;

export class GroupCoordinatorService implements BrokerService {
  readonly name = "group-coordinator";
  readonly timerPrefix = "group.";
  /** Process generation: timers from an earlier process are ignored. */
  private epoch = 0;
  private sm: GroupStateMachine;
  /** KIP-848 groups; a group id is either here or in `sm` with members, never both. */
  private cg: ConsumerGroupManager;
  /** `__consumer_offsets`: its creation, the partitions led here, their loads and appends. */
  private readonly topic: InternalTopic<OwnedPartition>;
  private memberIdCounter = 0;
  private readonly settings: GroupSettings;
  private readonly cgSettings: ConsumerGroupSettings & { readonly enabled: boolean };

  constructor(private readonly ctx: BrokerContext) {
    this.settings = groupSettings(ctx);
    this.cgSettings = consumerGroupSettings(ctx);
    this.sm = this.newStateMachine();
    this.cg = this.newConsumerGroups();
    this.topic = this.newOffsetsTopic();
  }

  // ------------------------------------------------------------------ BrokerService

  onProcessStart(_after: ProcessStart["after"]): void {
    this.epoch++;
    this.topic.reset();
    this.sm = this.newStateMachine();
    this.cg = this.newConsumerGroups();
    const intervalMs = configNumber(this.ctx.config, "offsets.retention.check.interval.ms");
    this.timer(msToUs(intervalMs), { epoch: this.epoch, what: "expire-offsets" });
  }

  onMetadata(image: MetadataImage): void {
    this.topic.onMetadata(image);
  }

  handleRequest(from: string, request: CoordinatorRequest): boolean {
    switch (request.type) {
      case "FindCoordinatorRequest":
        if (request.keyType !== "group") return false;
        this.findCoordinator(from, request);
        return true;
      case "JoinGroupRequest":
      case "SyncGroupRequest":
      case "HeartbeatRequest":
      case "LeaveGroupRequest":
      case "OffsetCommitRequest":
      case "OffsetFetchRequest":
        this.groupRequest(from, request);
        return true;
      case "ConsumerGroupHeartbeatRequest":
        this.consumerGroupHeartbeat(from, request);
        return true;
      case "DeleteGroupsRequest":
        this.deleteGroups(from, request);
        return true;
      case "InitProducerIdRequest":
      case "AddPartitionsToTxnRequest":
      case "AddOffsetsToTxnRequest":
      case "EndTxnRequest":
        return false;
      case "TxnOffsetCommitRequest":
        this.txnOffsetCommit(from, request);
        return true;
    }
  }

  handleResponse(from: string, response: NetMessage): boolean {
    return this.topic.handleResponse(from, response);
  }

  handleTimer(event: SimEvent): void {
    if (event.kind !== TIMER_KIND) return;
    const payload = event.payload as TimerPayload;
    if (payload.epoch !== this.epoch) return;
    switch (payload.what) {
      case "group":
        return this.sm.onTimer(payload.timer);
      case "consumer-group":
        return this.cg.onTimer(payload.timer);
      case "expire-offsets": {
        this.sm.expireOffsets();
        const intervalMs = configNumber(this.ctx.config, "offsets.retention.check.interval.ms");
        this.timer(msToUs(intervalMs), { epoch: this.epoch, what: "expire-offsets" });
        return;
      }
      case "create-timeout":
        return this.topic.onCreateTimeout(payload.correlationId);
      case "load-retry":
        return this.topic.onLoadRetry(payload.partition, payload.loadSeq);
    }
  }

  onDisconnect(_peer: string): void {}

  /** Plain data for the kafka-consumer-groups tool, the viz and tests. */
  snapshot(): GroupCoordinatorSnapshot {
    const partitions = this.topic
      .partitions()
      .map((o) => ({ partition: o.partition, leaderEpoch: o.leaderEpoch, status: o.status }));
    const count = this.partitionCount();
    const groups = this.sm.snapshot().map((g) => ({
      ...g,
      coordinatorPartition: coordinatorPartition(g.groupId, count),
    }));
    const consumerGroups = this.cg.snapshot().map((g) => ({
      ...g,
      coordinatorPartition: coordinatorPartition(g.groupId, count),
      offsets: groups.find((c) => c.groupId === g.groupId)?.offsets ?? [],
    }));
    // The classic entry of a KIP-848 group only holds its offsets: shown under consumerGroups.
    const classic = groups.filter((g) => !this.cg.has(g.groupId));
    return { partitions, groups: classic, consumerGroups };
  }

  // ------------------------------------------------------------------ FindCoordinator

  private findCoordinator(from: string, request: FindCoordinatorRequest): void {
    const answer = (error: KafkaError, nodeId: number) =>
      this.ctx.send(from, {
        type: "FindCoordinatorResponse",
        bytes: HEADER_BYTES + 32,
        correlationId: request.correlationId,
        error,
        nodeId,
      } satisfies FindCoordinatorResponse);
    const { error, nodeId } = this.topic.findCoordinator((count) =>
      coordinatorPartition(request.key, count),
    );
    answer(error, nodeId);
  }

  // ------------------------------------------------------------------ group requests

  private groupRequest(
    from: string,
    request: Exclude<
      CoordinatorRequest,
      | FindCoordinatorRequest
      | { type: "InitProducerIdRequest" }
      | { type: "ConsumerGroupHeartbeatRequest" }
      | { type: "DeleteGroupsRequest" }
      | { type: "AddPartitionsToTxnRequest" }
      | { type: "AddOffsetsToTxnRequest" }
      | { type: "EndTxnRequest" }
      | { type: "TxnOffsetCommitRequest" }
    >,
  ): void {
    const ctx = this.ctx;
    const partition = coordinatorPartition(request.groupId, this.partitionCount());
    const owner = this.topic.ownerOf(partition);
    const blocked = typeof owner === "string" ? owner : undefined;
    const cid = request.correlationId;
    switch (request.type) {
      case "JoinGroupRequest": {
        const send = (r: Omit<JoinGroupResponse, "type" | "bytes" | "correlationId">) =>
          ctx.send(from, {
            type: "JoinGroupResponse",
            bytes: HEADER_BYTES + 48 + 64 * r.members.length,
            correlationId: cid,
            ...r,
          } satisfies JoinGroupResponse);
        if (blocked !== undefined) {
          return send({
            error: blocked,
            generationId: -1,
            protocolName: null,
            leader: "",
            memberId: request.memberId,
            members: [],
          });
        }
        if (this.cg.hasMembers(request.groupId)) {
          // The id belongs to a KIP-848 group (no classic-member migration in this model).
          return send({
            error: "INCONSISTENT_GROUP_PROTOCOL",
            generationId: -1,
            protocolName: null,
            leader: "",
            memberId: request.memberId,
            members: [],
          });
        }
        // An empty KIP-848 group turns classic (Kafka converts it; its offsets stay).
        if (this.cg.has(request.groupId)) this.cg.remove(request.groupId);
        return this.sm.join(
          {
            groupId: request.groupId,
            memberId: request.memberId,
            groupInstanceId: request.groupInstanceId,
            clientId: request.clientId ?? from,
            clientHost: `/${from}`,
            sessionTimeoutMs: request.sessionTimeoutMs,
            rebalanceTimeoutMs: request.rebalanceTimeoutMs,
            protocolType: request.protocolType,
            protocols: request.protocols,
            reason: request.reason,
          },
          send,
        );
      }
      case "SyncGroupRequest": {
        const send = (r: Omit<SyncGroupResponse, "type" | "bytes" | "correlationId">) =>
          ctx.send(from, {
            type: "SyncGroupResponse",
            bytes: HEADER_BYTES + 32 + PARTITION_ENTRY_BYTES * r.assignment.length,
            correlationId: cid,
            ...r,
          } satisfies SyncGroupResponse);
        if (blocked !== undefined)
          return send({ error: blocked, protocolName: null, assignment: [] });
        return this.sm.sync(request, send);
      }
      case "HeartbeatRequest": {
        const send = (error: KafkaError) =>
          ctx.send(from, {
            type: "HeartbeatResponse",
            bytes: HEADER_BYTES + 8,
            correlationId: cid,
            error,
          } satisfies HeartbeatResponse);
        if (blocked !== undefined) return send(blocked);
        return this.sm.heartbeat(request, send);
      }
      case "LeaveGroupRequest": {
        const send = (r: Omit<LeaveGroupResponse, "type" | "bytes" | "correlationId">) =>
          ctx.send(from, {
            type: "LeaveGroupResponse",
            bytes: HEADER_BYTES + 8 + 32 * r.members.length,
            correlationId: cid,
            ...r,
          } satisfies LeaveGroupResponse);
        if (blocked !== undefined) return send({ error: blocked, members: [] });
        return this.sm.leave(request, send);
      }
      case "OffsetCommitRequest": {
        const send = (partitions: OffsetCommitResponse["partitions"]) =>
          ctx.send(from, {
            type: "OffsetCommitResponse",
            bytes: HEADER_BYTES + PARTITION_ENTRY_BYTES * partitions.length,
            correlationId: cid,
            partitions,
          } satisfies OffsetCommitResponse);
        if (blocked !== undefined) {
          return send(
            request.partitions.map((p) => ({
              topic: p.topic,
              partition: p.partition,
              error: blocked,
            })),
          );
        }
        if (this.cg.has(request.groupId)) {
          const error = this.cg.validateCommit(
            request.groupId,
            request.memberId,
            request.generationId,
          );
          if (error !== "NONE")
            return send(
              request.partitions.map((p) => ({ topic: p.topic, partition: p.partition, error })),
            );
          // Validated as a KIP-848 commit; stored through the classic state machine's offsets.
          return this.sm.commit(
            { ...request, generationId: -1, memberId: "", groupInstanceId: null },
            send,
          );
        }
        return this.sm.commit(request, send);
      }
      case "OffsetFetchRequest": {
        const r =
          blocked !== undefined
            ? { error: blocked, partitions: [] }
            : this.sm.fetchOffsets(
                request.groupId,
                request.partitions,
                request.requireStable && this.ctx.profile.kip447,
              );
        ctx.send(from, {
          type: "OffsetFetchResponse",
          bytes: HEADER_BYTES + PARTITION_ENTRY_BYTES * r.partitions.length,
          correlationId: cid,
          ...r,
        } satisfies OffsetFetchResponse);
        return;
      }
    }
  }

  // ------------------------------------------------------------------ TxnOffsetCommit

  /**
   * TxnOffsetCommit (KafkaApis.handleTxnOffsetCommitRequest → GroupCoordinator
   * .handleTxnCommitOffsets): NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS as for OffsetCommit,
   * then the group's checks (group-state.ts `txnCommit`) and a transactional append.
   */
  private txnOffsetCommit(from: string, request: TxnOffsetCommitRequest): void {
    const flat = request.topics.flatMap((t) =>
      t.partitions.map((p) => ({ topic: t.topic, partition: p.partition, p })),
    );
    const send = (
      results: ReadonlyArray<{ topic: string; partition: number; error: KafkaError }>,
    ) => {
      const byTopic = new Map<string, Array<{ partition: number; error: KafkaError }>>();
      for (const r of results) {
        let list = byTopic.get(r.topic);
        if (list === undefined) {
          list = [];
          byTopic.set(r.topic, list);
        }
        list.push({ partition: r.partition, error: r.error });
      }
      this.ctx.send(from, {
        type: "TxnOffsetCommitResponse",
        bytes: HEADER_BYTES + PARTITION_ENTRY_BYTES * results.length,
        correlationId: request.correlationId,
        results: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
      } satisfies TxnOffsetCommitResponse);
    };
    const all = (error: KafkaError) =>
      send(flat.map((f) => ({ topic: f.topic, partition: f.partition, error })));
    const partition = coordinatorPartition(request.groupId, this.partitionCount());
    const owned = this.topic.ownerOf(partition);
    if (typeof owned === "string") return all(owned);
    // No offsets: nothing to write (GroupMetadataManager.storeOffsets answers at once); the
    // errors are per partition, so there are none to give.
    if (flat.length === 0) return send([]);
    const known = owned.producerEpochs.get(request.producerId);
    if (known !== undefined && request.producerEpoch < known) {
      return all(
        this.ctx.profile.invalidProducerEpochError ? "INVALID_PRODUCER_EPOCH" : "PRODUCER_FENCED",
      );
    }
    const kip447 = this.ctx.profile.kip447;
    const input = {
      groupId: request.groupId,
      transactionalId: request.transactionalId,
      producerId: request.producerId,
      producerEpoch: request.producerEpoch,
      generationId: kip447 ? request.generationId : -1,
      memberId: kip447 ? request.memberId : "",
      groupInstanceId: kip447 ? request.groupInstanceId : null,
      partitions: flat.map((f) => ({
        topic: f.topic,
        partition: f.partition,
        offset: f.p.committedOffset,
        leaderEpoch: f.p.committedLeaderEpoch,
        metadata: "",
      })),
    };
    if (this.cg.has(request.groupId)) {
      // A KIP-848 group: its member id and epoch are checked when given; the offsets live in the
      // classic state machine's Empty entry, as for OffsetCommit.
      if (kip447 && (input.memberId !== "" || input.generationId >= 0)) {
        const error = this.cg.validateCommit(request.groupId, input.memberId, input.generationId);
        if (error !== "NONE") return all(error);
      }
      return this.sm.txnCommit(
        { ...input, generationId: -1, memberId: "", groupInstanceId: null },
        false,
        send,
      );
    }
    this.sm.txnCommit(input, kip447, send);
  }

  /**
   * A marker was written and replicated on a partition this broker leads (ReplicaManager's
   * onMarkerWritten; Kafka's KafkaApis → GroupCoordinator.scheduleHandleTxnCompletion): the
   * producer's pending offsets of every group on an offsets partition are completed. While the
   * partition loads, the marker waits for the end of the load.
   */
  onMarkerWritten(marker: WrittenMarker): void {
    if (marker.topic !== OFFSETS_TOPIC) return;
    const owned = this.topic.get(marker.partition);
    if (owned === undefined) return;
    noteEpoch(owned.producerEpochs, marker.producerId, marker.producerEpoch);
    const commit = marker.result === "COMMIT";
    if (owned.status === "loading") {
      owned.markersDuringLoad.push({ producerId: marker.producerId, commit });
      return;
    }
    this.completeTxn(owned, marker.producerId, commit);
  }

  private completeTxn(owned: OwnedPartition, producerId: number, commit: boolean): void {
    const count = this.partitionCount();
    let groups = 0;
    let offsets = 0;
    for (const id of this.sm.groupIds()) {
      if (coordinatorPartition(id, count) !== owned.partition) continue;
      if (!this.sm.hasPendingTxn(id, producerId)) continue;
      groups++;
      offsets += this.sm.completeTxn(id, producerId, commit);
    }
    if (groups > 0) {
      this.ctx.emit("coordinator.txn.complete", {
        partition: owned.partition,
        producerId,
        result: commit ? "COMMIT" : "ABORT",
        groups,
        offsets,
      });
    }
  }

  /** Pending transactional offsets of a group this broker coordinates (views and tests). */
  pendingTxnOffsets(groupId: string): ReturnType<GroupStateMachine["pendingTxnOffsets"]> {
    return this.sm.pendingTxnOffsets(groupId);
  }

  // ------------------------------------------------------------------ DeleteGroups

  /**
   * DeleteGroups (GroupCoordinator.handleDeleteGroups / GroupCoordinatorService.deleteGroups): a
   * group without members is removed from memory at once and its tombstones (every committed
   * offset, the group metadata, a KIP-848 group's record) are appended to its offsets partition;
   * the answer goes out when every append has been replicated (acks=all), as the new coordinator
   * answers once its records are committed. A group with members is GROUP_NOT_EMPTY.
   * Simplifies: a failed append does not restore the group in memory (Kafka's runtime reverts its
   * uncommitted state); the next load from the log brings it back.
   */
  private deleteGroups(from: string, request: DeleteGroupsRequest): void {
    const results: Array<{ groupId: string; error: DeleteGroupsError }> = [];
    let waiting = 0;
    let sent = false;
    const answer = () => {
      if (sent || waiting > 0) return;
      sent = true;
      this.ctx.send(from, {
        type: "DeleteGroupsResponse",
        bytes: HEADER_BYTES + 8 + 32 * results.length,
        correlationId: request.correlationId,
        results,
      } satisfies DeleteGroupsResponse);
    };
    for (const groupId of request.groupIds) {
      const entry = { groupId, error: "NONE" as DeleteGroupsError };
      results.push(entry);
      const partition = coordinatorPartition(groupId, this.partitionCount());
      const owner = this.topic.ownerOf(partition);
      if (typeof owner === "string") {
        entry.error = owner;
        continue;
      }
      const kip848 = this.cg.has(groupId);
      if (kip848 && this.cg.hasMembers(groupId)) {
        entry.error = "GROUP_NOT_EMPTY";
        continue;
      }
      // A KIP-848 group keeps its offsets in the classic state machine, as an Empty group.
      const deleted = this.sm.has(groupId) || !kip848 ? this.sm.delete(groupId) : undefined;
      if (deleted !== undefined && deleted.error !== "NONE" && !kip848) {
        entry.error = deleted.error;
        continue;
      }
      if (kip848) this.cg.unload(groupId);
      const offsets = deleted?.error === "NONE" ? deleted.offsets : [];
      const records = [
        ...offsets.map((o) => ({ key: offsetKey(groupId, o.topic, o.partition), value: null })),
        { key: groupKey(groupId), value: null },
        ...(kip848 ? [{ key: consumerGroupKey(groupId), value: null }] : []),
      ];
      this.ctx.emit("group.deleted", { group: groupId, offsets: offsets.length });
      waiting++;
      this.append(partition, records, (error) => {
        entry.error = mapAppendError(error);
        waiting--;
        answer();
      });
    }
    answer();
  }

  // ------------------------------------------------------------------ KIP-848

  private consumerGroupHeartbeat(from: string, request: ConsumerGroupHeartbeatRequest): void {
    const send = (r: Omit<ConsumerGroupHeartbeatResponse, "type" | "bytes" | "correlationId">) =>
      this.ctx.send(from, {
        type: "ConsumerGroupHeartbeatResponse",
        bytes: HEADER_BYTES + 48 + PARTITION_ENTRY_BYTES * (r.assignment?.length ?? 0),
        correlationId: request.correlationId,
        ...r,
      } satisfies ConsumerGroupHeartbeatResponse);
    const fail = (error: KafkaError) =>
      send({
        error,
        memberId: request.memberId,
        memberEpoch: -1,
        heartbeatIntervalMs: 0,
        assignment: null,
      });
    // Before 4.0 the broker must opt in (group.coordinator.rebalance.protocols); without
    // "consumer" Kafka does not offer the API at all.
    if (!this.ctx.profile.consumerProtocolAvailable || !this.cgSettings.enabled)
      return fail("UNSUPPORTED_VERSION");
    const partition = coordinatorPartition(request.groupId, this.partitionCount());
    const owner = this.topic.ownerOf(partition);
    if (typeof owner === "string") return fail(owner);
    // A classic group with members keeps its id (Kafka: GROUP_ID_NOT_FOUND, "not a consumer group").
    const classic = this.sm.has(request.groupId)
      ? this.sm.snapshot().find((g) => g.groupId === request.groupId)
      : undefined;
    if (classic !== undefined && classic.members.length > 0) return fail("GROUP_ID_NOT_FOUND");
    this.cg.heartbeat(
      {
        groupId: request.groupId,
        memberId: request.memberId,
        memberEpoch: request.memberEpoch,
        instanceId: request.instanceId,
        rackId: request.rackId,
        rebalanceTimeoutMs: request.rebalanceTimeoutMs,
        subscribedTopicNames: request.subscribedTopicNames,
        serverAssignor: request.serverAssignor,
        topicPartitions: request.topicPartitions,
        clientId: request.clientId ?? from,
        clientHost: `/${from}`,
      },
      send,
    );
  }

  private newConsumerGroups(): ConsumerGroupManager {
    const env: ConsumerGroupEnv = {
      now: () => this.ctx.now(),
      schedule: (delayUs, timer) =>
        this.timer(delayUs, { epoch: this.epoch, what: "consumer-group", timer }),
      cancel: (handle) => this.ctx.cancel(handle as ReturnType<BrokerContext["timer"]> | undefined),
      emit: (type, fields) => this.ctx.emit(type, fields),
      newMemberId: () => this.pseudoUuid(),
      partitionCount: (topic) => {
        const t = this.ctx.image().topicByName(topic);
        return t === undefined ? undefined : t.partitions.length;
      },
      store: (group, value, done) =>
        this.append(
          coordinatorPartition(group, this.partitionCount()),
          [
            {
              key: consumerGroupKey(group),
              value: value === null ? null : encodeConsumerGroupValue(value),
            },
          ],
          (error) => done(mapAppendError(error)),
        ),
    };
    return new ConsumerGroupManager(env, this.cgSettings);
  }

  // ------------------------------------------------------------------ loading

  /** `__consumer_offsets` as internal-topic.ts runs it; the records and their replay are ours. */
  private newOffsetsTopic(): InternalTopic<OwnedPartition> {
    const ctx = this.ctx;
    return new InternalTopic<OwnedPartition>(ctx, {
      topic: OFFSETS_TOPIC,
      numPartitionsConfig: "offsets.topic.num.partitions",
      tracePrefix: "coordinator",
      clientId: `group-coordinator-${ctx.node}`,
      topicSettings: (image) => ({
        replicationFactor: offsetsReplicationFactor(ctx, image),
        configs: {
          "cleanup.policy": "compact",
          "segment.bytes": String(configNumber(ctx.config, "offsets.topic.segment.bytes")),
          "compression.type": "producer",
        },
      }),
      loadBufferBytes: () => LOAD_BUFFER_BYTES,
      appendTimeoutMs: () => configNumber(ctx.config, "offsets.commit.timeout.ms"),
      reloadOnNewLeaderEpoch: false,
      timer: (delayUs, timer) => void this.timer(delayUs, { epoch: this.epoch, ...timer }),
      newPartition: (base) => ({
        ...base,
        groups: new Map(),
        consumerGroups: new Map(),
        offsets: new Map(),
        txnOffsets: new Map(),
        markersDuringLoad: [],
        producerEpochs: new Map(),
      }),
      loading: (owned) =>
        ctx.emit("coordinator.loading", {
          partition: owned.partition,
          leaderEpoch: owned.leaderEpoch,
        }),
      replay: (owned, batch, from) => this.replayBatch(owned, batch, from),
      loaded: (owned) => this.finishLoad(owned),
      unloaded: (owned) => this.unloadPartition(owned.partition),
    });
  }

  /**
   * Applies a batch's records at or after `from` (where the load stands), in offset order
   * (GroupMetadataManager.doLoadGroupsAndOffsets): offsets of a transactional batch wait under
   * their producer for its control batch, which applies (COMMIT) or drops (ABORT) them.
   */
  private replayBatch(owned: OwnedPartition, batch: RecordBatch, from: number): void {
    if (batch.producerId >= 0)
      noteEpoch(owned.producerEpochs, batch.producerId, batch.producerEpoch);
    if (batch.isControl) {
      if (batch.baseOffset >= from && batch.producerId >= 0)
        this.replayMarker(owned, batch.producerId, controlTypeOf(batch) === "COMMIT");
      return;
    }
    if (batch.isTransactional) {
      forEachRecord(batch, from, (key, value, offset) => {
        const record = decodeRecord(key, value);
        if (record?.kind !== "offset") return;
        let byGroup = owned.txnOffsets.get(batch.producerId);
        if (byGroup === undefined) {
          byGroup = new Map();
          owned.txnOffsets.set(batch.producerId, byGroup);
        }
        let byTp = byGroup.get(record.group);
        if (byTp === undefined) {
          byTp = new Map();
          byGroup.set(record.group, byTp);
        }
        byTp.set(
          tpKey(record.topic, record.partition),
          record.value === null
            ? null
            : {
                topic: record.topic,
                partition: record.partition,
                value: record.value,
                recordOffset: offset,
              },
        );
      });
      return;
    }
    forEachRecord(batch, from, (key, value, offset) => {
      const record = decodeRecord(key, value);
      if (record === undefined) return;
      if (record.kind === "group") {
        owned.groups.set(record.group, record.value);
      } else if (record.kind === "consumer-group") {
        owned.consumerGroups.set(record.group, record.value);
      } else {
        let byTp = owned.offsets.get(record.group);
        if (byTp === undefined) {
          byTp = new Map();
          owned.offsets.set(record.group, byTp);
        }
        byTp.set(tpKey(record.topic, record.partition), {
          topic: record.topic,
          partition: record.partition,
          value: record.value,
          recordOffset: offset,
        });
      }
    });
  }

  /** A control batch read while loading: the producer's waiting offsets are applied or dropped. */
  private replayMarker(owned: OwnedPartition, producerId: number, commit: boolean): void {
    const byGroup = owned.txnOffsets.get(producerId);
    if (byGroup === undefined) return;
    owned.txnOffsets.delete(producerId);
    if (!commit) return;
    for (const [group, byTp] of byGroup) {
      let committed = owned.offsets.get(group);
      if (committed === undefined) {
        committed = new Map();
        owned.offsets.set(group, committed);
      }
      for (const [key, entry] of byTp) {
        if (entry === null) continue;
        const current = committed.get(key);
        // The later record in the log wins (CommitRecordMetadataAndOffset.olderThan).
        if (
          current !== undefined &&
          current.value !== null &&
          current.recordOffset > entry.recordOffset
        )
          continue;
        committed.set(key, { ...entry });
      }
    }
  }

  private finishLoad(owned: OwnedPartition): void {
    const ids = new Set<string>();
    for (const [id, value] of owned.groups) if (value !== null) ids.add(id);
    for (const [id, byTp] of owned.offsets) {
      for (const entry of byTp.values()) if (entry.value !== null) ids.add(id);
    }
    // Transactions still open in the log: their offsets stay pending in their groups.
    const pendingByGroup = new Map<
      string,
      Array<{ producerId: number; entries: TxnOffsetEntry[] }>
    >();
    for (const producerId of [...owned.txnOffsets.keys()].sort((a, b) => a - b)) {
      for (const [group, byTp] of owned.txnOffsets.get(producerId) ?? []) {
        const entries = [...byTp.values()].filter((e): e is TxnOffsetEntry => e !== null);
        if (entries.length === 0) continue;
        ids.add(group);
        let list = pendingByGroup.get(group);
        if (list === undefined) {
          list = [];
          pendingByGroup.set(group, list);
        }
        list.push({ producerId, entries });
      }
    }
    const sorted = [...ids].sort();
    for (const id of sorted) {
      const offsets: StoredOffset[] = [];
      for (const entry of owned.offsets.get(id)?.values() ?? []) {
        if (entry.value !== null)
          offsets.push({
            topic: entry.topic,
            partition: entry.partition,
            value: entry.value,
            recordOffset: entry.recordOffset,
          });
      }
      // A group removed while its offsets stayed comes back as an Empty group with offsets only.
      if (this.sm.has(id)) this.sm.unload(id);
      this.sm.load(id, owned.groups.get(id) ?? undefined, offsets, pendingByGroup.get(id) ?? []);
    }
    for (const [id, value] of [...owned.consumerGroups.entries()].sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    )) {
      if (value === null) this.cg.unload(id);
      else this.cg.load(id, value);
    }
    owned.groups.clear();
    owned.consumerGroups.clear();
    owned.offsets.clear();
    owned.txnOffsets.clear();
    this.ctx.emit("coordinator.load", { partition: owned.partition, groups: sorted.length });
    // Markers written during the load; one the load already read finds nothing left to complete.
    const markers = owned.markersDuringLoad.splice(0);
    for (const m of markers) this.completeTxn(owned, m.producerId, m.commit);
  }

  private unloadPartition(partition: number): void {
    const count = this.partitionCount();
    for (const id of this.sm.groupIds()) {
      if (coordinatorPartition(id, count) === partition) this.sm.unload(id);
    }
    for (const id of this.cg.groupIds()) {
      if (coordinatorPartition(id, count) === partition) this.cg.unload(id);
    }
    this.ctx.emit("coordinator.unload", { partition });
  }

  // ------------------------------------------------------------------ writes

  private append(
    partition: number,
    records: ReadonlyArray<{ key: string; value: string | null }>,
    done: (error: KafkaError, baseOffset: number) => void,
    txn?: TxnAppend,
  ): void {
    this.topic.append(partition, records, (error, base) => done(mapAppendError(error), base), txn);
  }

  private newStateMachine(): GroupStateMachine {
    const env: GroupEnv = {
      now: () => this.ctx.now(),
      schedule: (delayUs, timer) =>
        this.timer(delayUs, { epoch: this.epoch, what: "group", timer }),
      cancel: (handle) => this.ctx.cancel(handle as ReturnType<BrokerContext["timer"]> | undefined),
      emit: (type, fields) => this.ctx.emit(type, fields),
      newMemberId: (prefix) => `${prefix}-${this.pseudoUuid()}`,
      storeGroup: (group, value, done) =>
        this.append(
          coordinatorPartition(group, this.partitionCount()),
          [{ key: groupKey(group), value: value === null ? null : encodeGroupValue(value) }],
          done,
        ),
      storeOffsets: (group, offsets, done, txn) => {
        const partition = coordinatorPartition(group, this.partitionCount());
        if (txn !== undefined) {
          const owned = this.topic.get(partition);
          if (owned !== undefined)
            noteEpoch(owned.producerEpochs, txn.producerId, txn.producerEpoch);
        }
        this.append(
          partition,
          offsets.map((o) => ({
            key: offsetKey(group, o.topic, o.partition),
            value: o.value === null ? null : encodeOffsetValue(o.value),
          })),
          done,
          txn,
        );
      },
    };
    return new GroupStateMachine(env, this.settings);
  }

  // ------------------------------------------------------------------ helpers

  private timer(delayUs: number, payload: TimerPayload) {
    return this.ctx.timer(delayUs, TIMER_KIND, payload);
  }

  private partitionCount(): number {
    return this.topic.partitionCount();
  }

  /**
   * Kafka appends a random UUID to member ids. Ours is derived from the broker, its registration
   * epoch and a counter, so runs repeat exactly and a restarted coordinator never reuses an id.
   */
  private pseudoUuid(): string {
    const seed = `${this.ctx.node}/${this.ctx.brokerEpoch()}/${this.epoch}/${this.memberIdCounter++}`;
    const words = [0x9e3779b9, 0x85ebca6b, 0xc2b2ae35, 0x27d4eb2f].map((salt) => mix32(seed, salt));
    const hex = words.map((w) => (w >>> 0).toString(16).padStart(8, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
  }
}

/** GroupMetadataManager's mapping of an append's error to what the client is told. */
export function mapAppendError(error: KafkaError): KafkaError {
  return coordinatorAppendError(error) ?? error;
}

/** The offsets topic's replication factor when this broker asks for it. */
function offsetsReplicationFactor(ctx: BrokerContext, image: MetadataImage): number {
  const replicationFactor = configNumber(ctx.config, "offsets.topic.replication.factor");
  if (compareVersions(ctx.version, "0.11") >= 0) return replicationFactor;
  // 0.10 created the offsets topic with as many replicas as there were live brokers.
  const alive = image.sortedBrokerIds().filter((id) => image.isActive(id)).length;
  return Math.max(1, Math.min(replicationFactor, alive));
}

function groupSettings(ctx: BrokerContext): GroupSettings {
  const cfg = ctx.config;
  const atLeast = (v: "2.1" | "2.2" | "2.3") => compareVersions(ctx.version, v) >= 0;
  return {
    minSessionTimeoutMs: configNumber(cfg, "group.min.session.timeout.ms"),
    maxSessionTimeoutMs: configNumber(cfg, "group.max.session.timeout.ms"),
    initialRebalanceDelayMs: hasConfig(cfg, "group.initial.rebalance.delay.ms")
      ? configNumber(cfg, "group.initial.rebalance.delay.ms")
      : 0,
    maxSize: hasConfig(cfg, "group.max.size") ? configNumber(cfg, "group.max.size") : 2147483647,
    requireKnownMemberId: atLeast("2.2"),
    staticMembership: ctx.profile.staticMembership,
    newMemberJoinTimeoutMs: NEW_MEMBER_JOIN_TIMEOUT_MS,
    offsetsRetentionMs: configNumber(cfg, "offsets.retention.minutes") * 60_000,
    kip211: atLeast("2.1"),
  };
}

/** The KIP-848 broker configs; assignor class names are read as their short names. */
function consumerGroupSettings(
  ctx: BrokerContext,
): ConsumerGroupSettings & { readonly enabled: boolean } {
  const cfg = ctx.config;
  const num = (name: string, fallback: number) =>
    hasConfig(cfg, name) ? configNumber(cfg, name) : fallback;
  const assignors = hasConfig(cfg, "group.consumer.assignors")
    ? configList(cfg, "group.consumer.assignors").map(shortAssignorName)
    : ["uniform", "range"];
  const protocols = hasConfig(cfg, "group.coordinator.rebalance.protocols")
    ? configList(cfg, "group.coordinator.rebalance.protocols")
    : [];
  return {
    enabled: protocols.includes("consumer"),
    sessionTimeoutMs: num("group.consumer.session.timeout.ms", 45_000),
    heartbeatIntervalMs: num("group.consumer.heartbeat.interval.ms", 5_000),
    assignors: assignors.length > 0 ? assignors : ["uniform"],
    maxSize: num("group.consumer.max.size", 2147483647),
  };
}

function shortAssignorName(name: string): string {
  const simple = name.slice(name.lastIndexOf(".") + 1).toLowerCase();
  if (simple === "uniformassignor") return "uniform";
  if (simple === "rangeassignor") return "range";
  return simple;
}

/** Remembers the highest epoch seen for a producer id. */
function noteEpoch(epochs: Map<number, number>, producerId: number, epoch: number): void {
  const known = epochs.get(producerId);
  if (known === undefined || epoch > known) epochs.set(producerId, epoch);
}

function msToUs(ms: number): number {
  return ms >= Number.MAX_SAFE_INTEGER / 1000 ? Number.MAX_SAFE_INTEGER : ms * 1000;
}

/** A 32-bit string hash (FNV-1a style with a final avalanche), integer operations only. */
function mix32(text: string, salt: number): number {
  let h = salt | 0;
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}
