/**
 * The classic consumer-group protocol on the coordinator (Kafka's GroupCoordinator and
 * GroupMetadata, the JoinGroup / SyncGroup / Heartbeat / LeaveGroup / OffsetCommit / OffsetFetch
 * handlers): the states Empty, PreparingRebalance, CompletingRebalance, Stable and Dead;
 * generations; the leader (the first member to join); protocol selection by vote; KIP-394's
 * MEMBER_ID_REQUIRED (2.2+); `group.initial.rebalance.delay.ms` for the first rebalance of an
 * empty group; the rebalance timeout (the largest of the members' max.poll.interval.ms); session
 * expiry per member; `group.max.size`; static membership (KIP-345, 2.3+); offset commit
 * validation; offset expiry (`offsets.retention.minutes`, KIP-211 from 2.1); transactional offset
 * commits (TxnOffsetCommit, KIP-98, with KIP-447's member checks from 2.5), pending per producer
 * until their marker (txn-offsets.ts), and OffsetFetch's requireStable (UNSTABLE_OFFSET_COMMIT).
 *
 * Pure model: time, timers, persistence and replies come through GroupEnv, so unit tests drive it
 * by hand; the broker service (coordinator-service.ts) binds it to the network and the log.
 *
 * Simplifies: member ids use a deterministic pseudo-UUID; ties in protocol votes and in the choice
 * of a new leader follow join order (Kafka iterates a hash map); a static member that rejoins a
 * Stable group with unchanged metadata keeps its assignment with no rebalance (a change triggers
 * one); the 3.x DelayedSync (members that never send SyncGroup) is not modelled; an overwritten
 * JoinGroup of the same member is dropped without an answer, as Kafka drops it.
 *
 * Faults: the coordinator's memory is lost with its process (the service rebuilds it from the log);
 * a failed append maps to COORDINATOR_NOT_AVAILABLE or NOT_COORDINATOR, as Kafka's
 * GroupMetadataManager maps produce errors.
 */
import { assert } from "../../engine/assert.ts";
import type { TraceFields } from "../../engine/trace.ts";
import type {
  ConsumerSubscription,
  JoinGroupMember,
  JoinGroupProtocol,
  JoinGroupResponse,
  LeaveGroupResponse,
  OffsetCommitRequest,
  OffsetFetchResponse,
  SyncGroupResponse,
} from "../protocol-clients.ts";
import { type KafkaError, type TopicPartition, tpKey } from "../types.ts";
import type { GroupRecordValue, MemberRecord, OffsetRecordValue } from "./records.ts";
import { PendingTxnOffsets, type TxnOffsetEntry } from "./txn-offsets.ts";

export type GroupState = "Empty" | "PreparingRebalance" | "CompletingRebalance" | "Stable" | "Dead";

type Body<T> = Omit<T, "type" | "bytes" | "correlationId">;
export type JoinResult = Body<JoinGroupResponse>;
export type SyncResult = Body<SyncGroupResponse>;
export type LeaveResult = Body<LeaveGroupResponse>;
export type FetchResult = Body<OffsetFetchResponse>;
export type CommitResult = ReadonlyArray<{
  readonly topic: string;
  readonly partition: number;
  readonly error: KafkaError;
}>;

/** The broker configs and version flags the state machine reads. */
export interface GroupSettings {
  readonly minSessionTimeoutMs: number;
  readonly maxSessionTimeoutMs: number;
  /** 0 before 0.11 (the config did not exist). */
  readonly initialRebalanceDelayMs: number;
  readonly maxSize: number;
  /** KIP-394 (2.2): a first JoinGroup without a member id gets MEMBER_ID_REQUIRED. */
  readonly requireKnownMemberId: boolean;
  /** KIP-345 (2.3): group.instance.id is honoured. */
  readonly staticMembership: boolean;
  /** New members must complete their first join within this (Kafka: 5 minutes, from 2.2). */
  readonly newMemberJoinTimeoutMs: number;
  readonly offsetsRetentionMs: number;
  /** KIP-211 (2.1): offsets of an empty group expire from when it became empty. */
  readonly kip211: boolean;
}

export type GroupTimer =
  | { readonly kind: "heartbeat"; readonly group: string; readonly member: string }
  | { readonly kind: "join"; readonly group: string; readonly seq: number };

export interface GroupEnv {
  now(): number;
  schedule(delayUs: number, timer: GroupTimer): unknown;
  cancel(handle: unknown): void;
  emit(type: string, fields: TraceFields): void;
  /** `prefix-<uuid>`, unique and deterministic. */
  newMemberId(prefix: string): string;
  /** Appends group metadata (null: a tombstone); `done` once replicated (or failed). */
  storeGroup(
    group: string,
    value: GroupRecordValue | null,
    done: (error: KafkaError) => void,
  ): void;
  /**
   * Appends offset records (null: a tombstone); `done` once replicated (or failed), with the log
   * offset of the first record. With `txn` the records form a transactional batch of that producer.
   */
  storeOffsets(
    group: string,
    offsets: ReadonlyArray<{ topic: string; partition: number; value: OffsetRecordValue | null }>,
    done: (error: KafkaError, baseOffset?: number) => void,
    txn?: TxnAppend,
  ): void;
}

/** The producer of a transactional offset commit's batch. */
export interface TxnAppend {
  /** Carried on the ProduceRequest so the leader can verify the write (KIP-890, 3.6+). */
  readonly transactionalId: string;
  readonly producerId: number;
  readonly producerEpoch: number;
}

/** A TxnOffsetCommit as the state machine sees it (KIP-447's fields: -1 / "" / null to skip). */
export interface TxnCommitInput {
  readonly groupId: string;
  readonly transactionalId: string;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly partitions: OffsetCommitRequest["partitions"];
}

/** A committed offset with the log offset of its record (-1 when unknown). */
export interface StoredOffset {
  readonly topic: string;
  readonly partition: number;
  readonly value: OffsetRecordValue;
  readonly recordOffset?: number;
}

export interface JoinInput {
  readonly groupId: string;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
  readonly protocolType: string;
  readonly protocols: readonly JoinGroupProtocol[];
  readonly reason: string;
}

export interface SyncInput {
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly protocolName: string | null;
  readonly assignments: ReadonlyArray<{
    readonly memberId: string;
    readonly partitions: readonly TopicPartition[];
  }>;
}

export interface MemberSnapshot {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
  readonly assignment: readonly TopicPartition[];
}

export interface GroupSnapshot {
  readonly groupId: string;
  readonly state: GroupState;
  readonly protocolType: string | null;
  /** The assignor chosen for the current generation. */
  readonly protocol: string | null;
  readonly generation: number;
  readonly leader: string | null;
  readonly members: readonly MemberSnapshot[];
  /** Committed offsets, by topic then partition. */
  readonly offsets: ReadonlyArray<{
    readonly topic: string;
    readonly partition: number;
    readonly offset: number;
    readonly leaderEpoch: number;
    readonly metadata: string;
    readonly commitTimestampUs: number;
  }>;
}

interface Member {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: readonly JoinGroupProtocol[];
  assignment: readonly TopicPartition[];
  awaitingJoin: ((r: JoinResult) => void) | undefined;
  awaitingSync: ((r: SyncResult) => void) | undefined;
  /** Joined but not yet through a completed join (expires on the new-member timeout). */
  isNew: boolean;
  heartbeatTimer: unknown;
}

interface Group {
  readonly groupId: string;
  state: GroupState;
  protocolType: string | null;
  protocol: string | null;
  generation: number;
  leader: string | null;
  /** Insertion order = join order. */
  readonly members: Map<string, Member>;
  /** KIP-394: ids handed out with MEMBER_ID_REQUIRED, not yet joined; value: expiry timer. */
  readonly pending: Map<string, unknown>;
  /** group.instance.id → member id. */
  readonly statics: Map<string, string>;
  readonly offsets: Map<string, StoredOffset>;
  /** Transactional offsets waiting for their producer's marker. */
  readonly txnOffsets: PendingTxnOffsets;
  pendingCommits: number;
  newMemberAdded: boolean;
  join:
    | {
        kind: "initial" | "normal";
        seq: number;
        handle: unknown;
        delayMs: number;
        remainingMs: number;
      }
    | undefined;
  joinSeq: number;
  currentStateTimestampUs: number;
}

const NO_GENERATION = -1;

export class GroupStateMachine {
  private readonly groups = new Map<string, Group>();

  constructor(
    private readonly env: GroupEnv,
    private readonly settings: GroupSettings,
  ) {}

  // ------------------------------------------------------------------ JoinGroup

  join(input: JoinInput, reply: (r: JoinResult) => void): void {
    const fail = (error: KafkaError, memberId = input.memberId) =>
      reply(joinError(error, memberId));
    const instanceId = this.settings.staticMembership ? input.groupInstanceId : null;
    if (
      input.sessionTimeoutMs < this.settings.minSessionTimeoutMs ||
      input.sessionTimeoutMs > this.settings.maxSessionTimeoutMs
    ) {
      return fail("INVALID_SESSION_TIMEOUT");
    }
    const unknownMember = input.memberId === "";
    let group = this.groups.get(input.groupId);
    if (group === undefined) {
      // A member id this coordinator never gave out: let the member reset it and join again.
      if (!unknownMember) return fail("UNKNOWN_MEMBER_ID");
      group = this.createGroup(input.groupId);
    }
    if (group.state === "Dead") return fail("COORDINATOR_NOT_AVAILABLE");
    if (!this.supportsProtocols(group, input.protocolType, input.protocols)) {
      return fail("INCONSISTENT_GROUP_PROTOCOL");
    }
    if (unknownMember) this.joinUnknown(group, input, instanceId, reply);
    else this.joinKnown(group, input, instanceId, reply);
  }

  private joinUnknown(
    group: Group,
    input: JoinInput,
    instanceId: string | null,
    reply: (r: JoinResult) => void,
  ): void {
    const memberId = this.env.newMemberId(instanceId ?? input.clientId);
    if (instanceId !== null) {
      const oldId = group.statics.get(instanceId);
      if (oldId !== undefined && group.members.has(oldId)) {
        return this.replaceStaticMember(group, oldId, memberId, input, reply);
      }
    }
    if (!this.acceptsNewMember(group, memberId)) {
      return reply(joinError("GROUP_MAX_SIZE_REACHED", memberId));
    }
    if (instanceId === null && this.settings.requireKnownMemberId) {
      // KIP-394: hand out the id; the member joins again with it. The id expires like a session.
      const handle = this.env.schedule(msToUs(input.sessionTimeoutMs), {
        kind: "heartbeat",
        group: group.groupId,
        member: memberId,
      });
      group.pending.set(memberId, handle);
      return reply(joinError("MEMBER_ID_REQUIRED", memberId));
    }
    this.addMemberAndRebalance(group, memberId, instanceId, input, reply);
  }

  private joinKnown(
    group: Group,
    input: JoinInput,
    instanceId: string | null,
    reply: (r: JoinResult) => void,
  ): void {
    const memberId = input.memberId;
    if (group.pending.has(memberId)) {
      this.env.cancel(group.pending.get(memberId));
      group.pending.delete(memberId);
      if (!this.acceptsNewMember(group, memberId)) {
        return reply(joinError("GROUP_MAX_SIZE_REACHED", memberId));
      }
      return this.addMemberAndRebalance(group, memberId, instanceId, input, reply);
    }
    if (this.isFenced(group, memberId, instanceId)) {
      return reply(joinError("FENCED_INSTANCE_ID", memberId));
    }
    const member = group.members.get(memberId);
    if (member === undefined) return reply(joinError("UNKNOWN_MEMBER_ID", memberId));
    switch (group.state) {
      case "PreparingRebalance":
        return this.updateMemberAndRebalance(group, member, input, reply);
      case "CompletingRebalance":
        // A repeated join (the response was lost): answer with the current generation.
        if (sameProtocols(member.protocols, input.protocols)) {
          return reply(this.joinResult(group, member));
        }
        return this.updateMemberAndRebalance(group, member, input, reply);
      case "Stable":
        // The leader rejoining means "rebalance" (e.g. metadata changed); followers with the same
        // subscription just get the current generation back.
        if (group.leader === memberId || !sameProtocols(member.protocols, input.protocols)) {
          return this.updateMemberAndRebalance(group, member, input, reply);
        }
        return reply(this.joinResult(group, member));
      case "Empty":
      case "Dead":
        return reply(joinError("UNKNOWN_MEMBER_ID", memberId));
    }
  }

  private addMemberAndRebalance(
    group: Group,
    memberId: string,
    instanceId: string | null,
    input: JoinInput,
    reply: (r: JoinResult) => void,
  ): void {
    const member: Member = {
      memberId,
      groupInstanceId: instanceId,
      clientId: input.clientId,
      clientHost: input.clientHost,
      sessionTimeoutMs: input.sessionTimeoutMs,
      rebalanceTimeoutMs: input.rebalanceTimeoutMs,
      protocolType: input.protocolType,
      protocols: input.protocols,
      assignment: [],
      awaitingJoin: reply,
      awaitingSync: undefined,
      isNew: true,
      heartbeatTimer: undefined,
    };
    if (group.state === "PreparingRebalance" && group.generation === 0) group.newMemberAdded = true;
    if (group.members.size === 0) group.protocolType = input.protocolType;
    group.members.set(memberId, member);
    if (group.leader === null) group.leader = memberId;
    if (instanceId !== null) group.statics.set(instanceId, memberId);
    this.scheduleHeartbeat(group, member, this.settings.newMemberJoinTimeoutMs);
    this.env.emit("group.join", {
      group: group.groupId,
      member: memberId,
      instance: instanceId,
      reason: input.reason,
    });
    this.maybePrepareRebalance(group, `new member ${memberId} joined`);
    this.tryCompleteJoin(group);
  }

  private updateMemberAndRebalance(
    group: Group,
    member: Member,
    input: JoinInput,
    reply: (r: JoinResult) => void,
  ): void {
    member.protocols = input.protocols;
    member.rebalanceTimeoutMs = input.rebalanceTimeoutMs;
    member.sessionTimeoutMs = input.sessionTimeoutMs;
    member.awaitingJoin = reply;
    this.env.emit("group.join", {
      group: group.groupId,
      member: member.memberId,
      instance: member.groupInstanceId,
      reason: input.reason,
    });
    this.maybePrepareRebalance(group, `member ${member.memberId} rejoined`);
    this.tryCompleteJoin(group);
  }

  /**
   * KIP-345: a known group.instance.id joins with no member id (the process restarted). The new
   * id replaces the old one; the old id is fenced from now on.
   */
  private replaceStaticMember(
    group: Group,
    oldId: string,
    newId: string,
    input: JoinInput,
    reply: (r: JoinResult) => void,
  ): void {
    const old = group.members.get(oldId);
    assert(old !== undefined && old.groupInstanceId !== null, "a static member to replace");
    const instanceId = old.groupInstanceId;
    // A restarted process owns nothing yet, so owned partitions and their generation may differ;
    // what must not change is what it asks for (protocols and subscribed topics).
    const unchanged =
      sameSubscriptions(old.protocols, input.protocols) && old.protocolType === input.protocolType;
    const member = this.swapMember(group, old, newId, input.protocols);
    member.clientId = input.clientId;
    member.clientHost = input.clientHost;
    member.sessionTimeoutMs = input.sessionTimeoutMs;
    member.rebalanceTimeoutMs = input.rebalanceTimeoutMs;
    member.awaitingJoin = reply;
    this.scheduleHeartbeat(group, member, member.sessionTimeoutMs);
    this.env.emit("group.join", {
      group: group.groupId,
      member: newId,
      instance: instanceId,
      reason: input.reason,
      replaced: oldId,
    });
    switch (group.state) {
      case "Stable": {
        if (!unchanged || this.selectProtocol(group) !== group.protocol) {
          this.prepareRebalance(group, `static member ${instanceId} rejoined with new metadata`);
          return;
        }
        // No rebalance: persist the new member id with the current assignment, then answer.
        const generation = group.generation;
        this.env.storeGroup(group.groupId, this.groupValue(group), (error) => {
          const current = group.members.get(newId);
          if (this.groups.get(group.groupId) !== group || current === undefined) return;
          if (error !== "NONE") {
            current.awaitingJoin = undefined;
            this.swapMember(group, current, oldId, old.protocols);
            reply(joinError(error, newId));
            return;
          }
          if (group.generation !== generation || current.awaitingJoin !== reply) return;
          current.awaitingJoin = undefined;
          reply(this.joinResult(group, current));
        });
        return;
      }
      case "CompletingRebalance":
        // The leader may have assigned to the old id: start over.
        this.prepareRebalance(group, `static member ${instanceId} rejoined during a sync`);
        return;
      case "PreparingRebalance":
        this.tryCompleteJoin(group);
        return;
      case "Empty":
      case "Dead":
        assert(false, () => `static member of group ${group.groupId} in state ${group.state}`);
    }
  }

  /** Replaces `old` by a member with `newId` (same place in the leader role and instance map). */
  private swapMember(
    group: Group,
    old: Member,
    newId: string,
    protocols: readonly JoinGroupProtocol[],
  ): Member {
    if (old.awaitingJoin !== undefined)
      old.awaitingJoin(joinError("FENCED_INSTANCE_ID", old.memberId));
    if (old.awaitingSync !== undefined) old.awaitingSync(syncError("FENCED_INSTANCE_ID"));
    old.awaitingJoin = undefined;
    old.awaitingSync = undefined;
    this.env.cancel(old.heartbeatTimer);
    group.members.delete(old.memberId);
    const member: Member = { ...old, memberId: newId, protocols, heartbeatTimer: undefined };
    group.members.set(newId, member);
    if (group.leader === old.memberId) group.leader = newId;
    if (old.groupInstanceId !== null) group.statics.set(old.groupInstanceId, newId);
    return member;
  }

  // ------------------------------------------------------------------ rebalance

  private maybePrepareRebalance(group: Group, reason: string): void {
    if (
      group.state === "Stable" ||
      group.state === "CompletingRebalance" ||
      group.state === "Empty"
    ) {
      this.prepareRebalance(group, reason);
    }
  }

  private prepareRebalance(group: Group, reason: string): void {
    if (group.state === "CompletingRebalance")
      this.propagateSyncError(group, "REBALANCE_IN_PROGRESS");
    const timeoutMs = this.rebalanceTimeoutMs(group);
    if (group.state === "Empty") {
      const delayMs = this.settings.initialRebalanceDelayMs;
      this.startJoinTimer(group, "initial", delayMs, Math.max(timeoutMs - delayMs, 0));
    } else {
      this.startJoinTimer(group, "normal", timeoutMs, 0);
    }
    this.transition(group, "PreparingRebalance", reason);
    this.tryCompleteJoin(group);
  }

  private startJoinTimer(
    group: Group,
    kind: "initial" | "normal",
    delayMs: number,
    remainingMs: number,
  ): void {
    if (group.join !== undefined) this.env.cancel(group.join.handle);
    const seq = ++group.joinSeq;
    const handle = this.env.schedule(msToUs(delayMs), { kind: "join", group: group.groupId, seq });
    group.join = { kind, seq, handle, delayMs, remainingMs };
  }

  /** DelayedJoin.tryComplete: every member has rejoined and no KIP-394 id is outstanding. */
  private tryCompleteJoin(group: Group): void {
    if (group.state !== "PreparingRebalance" || group.join?.kind !== "normal") return;
    for (const member of group.members.values()) if (member.awaitingJoin === undefined) return;
    if (group.pending.size > 0) return;
    this.env.cancel(group.join.handle);
    this.completeJoin(group);
  }

  private onJoinTimer(group: Group, seq: number): void {
    const join = group.join;
    if (join === undefined || join.seq !== seq || group.state !== "PreparingRebalance") return;
    if (join.kind === "initial" && group.newMemberAdded && join.remainingMs > 0) {
      // InitialDelayedJoin: members keep arriving, so wait another delay (within the timeout).
      group.newMemberAdded = false;
      const delayMs = Math.min(this.settings.initialRebalanceDelayMs, join.remainingMs);
      this.startJoinTimer(group, "initial", delayMs, Math.max(join.remainingMs - join.delayMs, 0));
      return;
    }
    this.completeJoin(group);
  }

  /** GroupCoordinator.onCompleteJoin. */
  private completeJoin(group: Group): void {
    group.join = undefined;
    for (const member of [...group.members.values()]) {
      // Dynamic members that did not rejoin within the rebalance timeout are dropped.
      if (member.awaitingJoin === undefined && member.groupInstanceId === null) {
        this.env.emit("group.member.expired", {
          group: group.groupId,
          member: member.memberId,
          reason: "rebalance-timeout",
        });
        this.removeMember(group, member);
      }
    }
    if (!this.electJoinedLeader(group) && group.members.size > 0) {
      // Nobody rejoined: wait another rebalance timeout for sessions to expire.
      this.startJoinTimer(group, "normal", this.rebalanceTimeoutMs(group), 0);
      return;
    }
    group.generation++;
    if (group.members.size === 0) {
      group.protocol = null;
      this.transition(group, "Empty", "no members");
      this.env.storeGroup(group.groupId, this.groupValue(group), () => {});
      return;
    }
    group.protocol = this.selectProtocol(group);
    this.transition(group, "CompletingRebalance", "join complete");
    for (const member of group.members.values()) {
      const callback = member.awaitingJoin;
      member.awaitingJoin = undefined;
      if (callback !== undefined) callback(this.joinResult(group, member));
      this.scheduleHeartbeat(group, member, member.sessionTimeoutMs);
      member.isNew = false;
    }
  }

  /** The leader must be among those who rejoined; otherwise the first who did takes over. */
  private electJoinedLeader(group: Group): boolean {
    if (group.leader === null) return false;
    if (group.members.get(group.leader)?.awaitingJoin !== undefined) return true;
    for (const member of group.members.values()) {
      if (member.awaitingJoin !== undefined) {
        group.leader = member.memberId;
        return true;
      }
    }
    return false;
  }

  // ------------------------------------------------------------------ SyncGroup

  sync(input: SyncInput, reply: (r: SyncResult) => void): void {
    const group = this.groups.get(input.groupId);
    if (group === undefined) return reply(syncError("UNKNOWN_MEMBER_ID"));
    const error = this.memberError(
      group,
      input.memberId,
      input.groupInstanceId,
      input.generationId,
    );
    if (error !== "NONE") return reply(syncError(error));
    if (input.protocolName !== null && group.protocol !== input.protocolName) {
      return reply(syncError("INCONSISTENT_GROUP_PROTOCOL"));
    }
    const member = group.members.get(input.memberId);
    assert(member !== undefined, "memberError checked the member");
    switch (group.state) {
      case "Empty":
      case "Dead":
        return reply(syncError("UNKNOWN_MEMBER_ID"));
      case "PreparingRebalance":
        return reply(syncError("REBALANCE_IN_PROGRESS"));
      case "Stable":
        this.scheduleHeartbeat(group, member, member.sessionTimeoutMs);
        return reply({
          error: "NONE",
          protocolName: group.protocol,
          assignment: member.assignment,
        });
      case "CompletingRebalance":
        member.awaitingSync = reply;
        this.scheduleHeartbeat(group, member, member.sessionTimeoutMs);
        if (group.leader === member.memberId) this.storeAssignment(group, input.assignments);
    }
  }

  private storeAssignment(group: Group, assignments: SyncInput["assignments"]): void {
    const byMember = new Map<string, readonly TopicPartition[]>();
    for (const a of assignments) byMember.set(a.memberId, a.partitions);
    const generation = group.generation;
    const value = this.groupValue(group, byMember);
    this.env.storeGroup(group.groupId, value, (error) => {
      if (this.groups.get(group.groupId) !== group) return;
      if (group.state !== "CompletingRebalance" || group.generation !== generation) return;
      if (error !== "NONE") {
        this.propagateSyncError(group, error);
        this.maybePrepareRebalance(group, `storing the assignment failed: ${error}`);
        return;
      }
      for (const member of group.members.values()) {
        member.assignment = byMember.get(member.memberId) ?? [];
      }
      this.transition(group, "Stable", "assignment stored");
      this.env.emit("group.sync", {
        group: group.groupId,
        generation: group.generation,
        leader: group.leader,
        assignment: [...group.members.values()].map((m) => ({
          member: m.memberId,
          partitions: m.assignment.map((tp) => tpKey(tp.topic, tp.partition)),
        })),
      });
      for (const member of group.members.values()) {
        const callback = member.awaitingSync;
        member.awaitingSync = undefined;
        if (callback !== undefined) {
          callback({ error: "NONE", protocolName: group.protocol, assignment: member.assignment });
        }
      }
    });
  }

  private propagateSyncError(group: Group, error: KafkaError): void {
    for (const member of group.members.values()) {
      member.assignment = [];
      const callback = member.awaitingSync;
      member.awaitingSync = undefined;
      if (callback !== undefined) callback(syncError(error));
    }
  }

  // ------------------------------------------------------------------ Heartbeat and LeaveGroup

  heartbeat(
    input: {
      groupId: string;
      generationId: number;
      memberId: string;
      groupInstanceId: string | null;
    },
    reply: (error: KafkaError) => void,
  ): void {
    const group = this.groups.get(input.groupId);
    if (group === undefined) return reply("UNKNOWN_MEMBER_ID");
    const error = this.memberError(
      group,
      input.memberId,
      input.groupInstanceId,
      input.generationId,
    );
    if (error !== "NONE") return reply(error);
    const member = group.members.get(input.memberId);
    assert(member !== undefined, "memberError checked the member");
    switch (group.state) {
      case "Empty":
      case "Dead":
        return reply("UNKNOWN_MEMBER_ID");
      case "PreparingRebalance":
        this.scheduleHeartbeat(group, member, member.sessionTimeoutMs);
        return reply("REBALANCE_IN_PROGRESS");
      case "CompletingRebalance":
      case "Stable":
        this.scheduleHeartbeat(group, member, member.sessionTimeoutMs);
        return reply("NONE");
    }
  }

  leave(
    input: {
      groupId: string;
      members: ReadonlyArray<{ memberId: string; groupInstanceId: string | null; reason: string }>;
    },
    reply: (r: LeaveResult) => void,
  ): void {
    const group = this.groups.get(input.groupId);
    if (group?.state === "Dead") return reply({ error: "COORDINATOR_NOT_AVAILABLE", members: [] });
    const results: Array<{ memberId: string; error: KafkaError }> = [];
    for (const m of input.members) {
      const error = group === undefined ? "UNKNOWN_MEMBER_ID" : this.leaveOne(group, m);
      results.push({ memberId: m.memberId, error });
    }
    // LeaveGroupResponse.error(): the top-level error, else the first member error.
    const first = results.find((r) => r.error !== "NONE");
    reply({ error: first?.error ?? "NONE", members: results });
  }

  private leaveOne(
    group: Group,
    m: { memberId: string; groupInstanceId: string | null; reason: string },
  ): KafkaError {
    const instanceId = this.settings.staticMembership ? m.groupInstanceId : null;
    let memberId = m.memberId;
    if (instanceId !== null) {
      const known = group.statics.get(instanceId);
      if (known === undefined) return "UNKNOWN_MEMBER_ID";
      if (memberId !== "" && memberId !== known) return "FENCED_INSTANCE_ID";
      memberId = known;
    } else if (group.pending.has(memberId)) {
      this.env.cancel(group.pending.get(memberId));
      group.pending.delete(memberId);
      this.tryCompleteJoin(group);
      return "NONE";
    }
    const member = group.members.get(memberId);
    if (member === undefined) return "UNKNOWN_MEMBER_ID";
    this.env.emit("group.leave", { group: group.groupId, member: memberId, reason: m.reason });
    this.removeMemberAndUpdateGroup(group, member, `member ${memberId} left`);
    return "NONE";
  }

  private removeMemberAndUpdateGroup(group: Group, member: Member, reason: string): void {
    const callback = member.awaitingJoin;
    member.awaitingJoin = undefined;
    if (callback !== undefined) callback(joinError("UNKNOWN_MEMBER_ID", member.memberId));
    this.removeMember(group, member);
    switch (group.state) {
      case "Stable":
      case "CompletingRebalance":
        return this.maybePrepareRebalance(group, reason);
      case "PreparingRebalance":
        return this.tryCompleteJoin(group);
      case "Empty":
      case "Dead":
        return;
    }
  }

  private removeMember(group: Group, member: Member): void {
    this.env.cancel(member.heartbeatTimer);
    group.members.delete(member.memberId);
    if (member.groupInstanceId !== null) group.statics.delete(member.groupInstanceId);
    if (group.leader === member.memberId) {
      const next = group.members.keys().next();
      group.leader = next.done === true ? null : next.value;
    }
  }

  // ------------------------------------------------------------------ timers

  onTimer(timer: GroupTimer): void {
    const group = this.groups.get(timer.group);
    if (group === undefined) return;
    if (timer.kind === "join") return this.onJoinTimer(group, timer.seq);
    if (group.pending.has(timer.member)) {
      group.pending.delete(timer.member);
      this.tryCompleteJoin(group);
      return;
    }
    const member = group.members.get(timer.member);
    if (member === undefined) return;
    // Members waiting for a join or sync answer count as alive (MemberMetadata.hasSatisfiedHeartbeat).
    if (!member.isNew && (member.awaitingJoin !== undefined || member.awaitingSync !== undefined)) {
      member.heartbeatTimer = undefined;
      return;
    }
    this.env.emit("group.member.expired", {
      group: group.groupId,
      member: member.memberId,
      reason: member.isNew ? "new-member-join-timeout" : "session-timeout",
    });
    this.removeMemberAndUpdateGroup(group, member, `member ${member.memberId} expired`);
  }

  private scheduleHeartbeat(group: Group, member: Member, timeoutMs: number): void {
    this.env.cancel(member.heartbeatTimer);
    member.heartbeatTimer = this.env.schedule(msToUs(timeoutMs), {
      kind: "heartbeat",
      group: group.groupId,
      member: member.memberId,
    });
  }

  // ------------------------------------------------------------------ offsets

  commit(
    input: Omit<OffsetCommitRequest, "type" | "bytes" | "correlationId">,
    reply: (r: CommitResult) => void,
  ): void {
    const all = (error: KafkaError): CommitResult =>
      input.partitions.map((p) => ({ topic: p.topic, partition: p.partition, error }));
    let group = this.groups.get(input.groupId);
    if (group === undefined) {
      // Not managed by the group protocol (assign() users, tools): allowed with generation -1.
      if (input.generationId >= 0) return reply(all("ILLEGAL_GENERATION"));
      group = this.createGroup(input.groupId);
    }
    const instanceId = this.settings.staticMembership ? input.groupInstanceId : null;
    if (group.state === "Dead") return reply(all("COORDINATOR_NOT_AVAILABLE"));
    if (this.isFenced(group, input.memberId, instanceId)) return reply(all("FENCED_INSTANCE_ID"));
    if (!(input.generationId < 0 && group.state === "Empty")) {
      const member = group.members.get(input.memberId);
      if (member === undefined) return reply(all("UNKNOWN_MEMBER_ID"));
      if (input.generationId !== group.generation) return reply(all("ILLEGAL_GENERATION"));
      if (group.state === "CompletingRebalance") return reply(all("REBALANCE_IN_PROGRESS"));
      this.scheduleHeartbeat(group, member, member.sessionTimeoutMs);
    }
    this.storeOffsets(group, input, reply);
  }

  private storeOffsets(
    group: Group,
    input: Omit<OffsetCommitRequest, "type" | "bytes" | "correlationId">,
    reply: (r: CommitResult) => void,
  ): void {
    const now = this.env.now();
    const values = input.partitions.map((p) => ({
      topic: p.topic,
      partition: p.partition,
      value: {
        offset: p.offset,
        leaderEpoch: p.leaderEpoch,
        metadata: p.metadata,
        commitTimestampUs: now,
      },
    }));
    group.pendingCommits++;
    this.env.storeOffsets(group.groupId, values, (error, baseOffset) => {
      group.pendingCommits--;
      const live = this.groups.get(group.groupId) === group;
      values.forEach((v, i) => {
        if (error === "NONE" && live) {
          const recordOffset = baseOffset === undefined || baseOffset < 0 ? -1 : baseOffset + i;
          putIfNewer(group, { ...v, recordOffset });
        }
        this.env.emit("offset.commit", {
          group: group.groupId,
          topic: v.topic,
          partition: v.partition,
          offset: v.value.offset,
          error,
        });
      });
      reply(values.map((v) => ({ topic: v.topic, partition: v.partition, error })));
    });
  }

  /**
   * OffsetFetch (GroupMetadataManager.getOffsets): the committed offsets; with `requireStable`
   * (KIP-447) a partition with a pending transactional commit answers UNSTABLE_OFFSET_COMMIT.
   */
  fetchOffsets(
    groupId: string,
    partitions: readonly TopicPartition[] | null,
    requireStable = false,
  ): FetchResult {
    const group = this.groups.get(groupId);
    const entry = (tp: TopicPartition) => {
      if (requireStable && group?.txnOffsets.hasPartition(tp.topic, tp.partition)) {
        return {
          topic: tp.topic,
          partition: tp.partition,
          offset: -1,
          leaderEpoch: -1,
          metadata: "",
          error: "UNSTABLE_OFFSET_COMMIT" as KafkaError,
        };
      }
      const v = group?.offsets.get(tpKey(tp.topic, tp.partition))?.value;
      return {
        topic: tp.topic,
        partition: tp.partition,
        offset: v?.offset ?? -1,
        leaderEpoch: v?.leaderEpoch ?? -1,
        metadata: v?.metadata ?? "",
        error: "NONE" as KafkaError,
      };
    };
    const wanted = partitions ?? (group === undefined ? [] : sortedOffsets(group));
    return { error: "NONE", partitions: wanted.map(entry) };
  }

  /**
   * TxnOffsetCommit (GroupCoordinator.handleTxnCommitOffsets / doTxnCommitOffsets): an unknown
   * group is created Empty; with `kip447` (2.5+) a set member id must be a member, a set
   * generation the current one, and a static instance must not be fenced. The offsets are pending
   * for the producer from now on (UNSTABLE_OFFSET_COMMIT to requireStable fetches), appended as a
   * transactional batch, and applied or dropped by the producer's marker (`completeTxn`).
   */
  txnCommit(input: TxnCommitInput, kip447: boolean, reply: (r: CommitResult) => void): void {
    const all = (error: KafkaError): CommitResult =>
      input.partitions.map((p) => ({ topic: p.topic, partition: p.partition, error }));
    const group = this.groups.get(input.groupId) ?? this.createGroup(input.groupId);
    if (group.state === "Dead") return reply(all("COORDINATOR_NOT_AVAILABLE"));
    if (kip447) {
      const instanceId = this.settings.staticMembership ? input.groupInstanceId : null;
      if (this.isFenced(group, input.memberId, instanceId)) return reply(all("FENCED_INSTANCE_ID"));
      if (input.memberId !== "" && !group.members.has(input.memberId))
        return reply(all("UNKNOWN_MEMBER_ID"));
      if (input.generationId >= 0 && input.generationId !== group.generation)
        return reply(all("ILLEGAL_GENERATION"));
    }
    const now = this.env.now();
    const entries: TxnOffsetEntry[] = input.partitions.map((p) => ({
      topic: p.topic,
      partition: p.partition,
      value: {
        offset: p.offset,
        leaderEpoch: p.leaderEpoch,
        metadata: p.metadata,
        commitTimestampUs: now,
      },
      recordOffset: -1,
    }));
    const producerId = input.producerId;
    group.txnOffsets.prepare(producerId, entries);
    const txn: TxnAppend = {
      transactionalId: input.transactionalId,
      producerId,
      producerEpoch: input.producerEpoch,
    };
    this.env.storeOffsets(
      group.groupId,
      entries,
      (error, baseOffset) => {
        const live = this.groups.get(group.groupId) === group;
        entries.forEach((e, i) => {
          if (!live) return;
          if (error === "NONE" && baseOffset !== undefined && baseOffset >= 0)
            group.txnOffsets.onAppend(producerId, e, baseOffset + i);
          else group.txnOffsets.fail(producerId, e);
        });
        for (const e of entries) {
          this.env.emit("offset.commit.txn", {
            group: group.groupId,
            topic: e.topic,
            partition: e.partition,
            offset: e.value.offset,
            producerId,
            error,
          });
        }
        reply(all(error));
      },
      txn,
    );
  }

  /**
   * The marker of `producerId` reached the group's offsets partition
   * (GroupMetadata.completePendingTxnOffsetCommit): on COMMIT each pending offset becomes the
   * committed one unless the current one was written later in the log; on ABORT they go.
   * Returns how many offsets were pending.
   */
  completeTxn(groupId: string, producerId: number, commit: boolean): number {
    const group = this.groups.get(groupId);
    if (group === undefined || !group.txnOffsets.hasProducer(producerId)) return 0;
    const entries = group.txnOffsets.complete(producerId, commit);
    for (const e of entries) {
      const applied = commit && putIfNewer(group, e);
      this.env.emit("offset.txn.complete", {
        group: groupId,
        topic: e.topic,
        partition: e.partition,
        offset: e.value.offset,
        producerId,
        result: commit ? "COMMIT" : "ABORT",
        applied,
      });
    }
    return entries.length;
  }

  /** Whether the group holds offsets of `producerId` waiting for a marker. */
  hasPendingTxn(groupId: string, producerId: number): boolean {
    return this.groups.get(groupId)?.txnOffsets.hasProducer(producerId) ?? false;
  }

  /** Pending transactional offsets of a group, by producer id (views and tests). */
  pendingTxnOffsets(groupId: string): Array<{
    producerId: number;
    offsets: Array<{ topic: string; partition: number; offset: number }>;
  }> {
    const group = this.groups.get(groupId);
    if (group === undefined) return [];
    return group.txnOffsets.producers().map((producerId) => ({
      producerId,
      offsets: group.txnOffsets
        .entries(producerId)
        .map((e) => ({ topic: e.topic, partition: e.partition, offset: e.value.offset })),
    }));
  }

  /** The offsets-retention task: expired offsets become tombstones; an empty group with none dies. */
  expireOffsets(): void {
    const now = this.env.now();
    const retentionUs = msToUs(this.settings.offsetsRetentionMs);
    for (const groupId of [...this.groups.keys()].sort()) {
      const group = this.groups.get(groupId);
      assert(group !== undefined, "group listed");
      const expired = this.expiredOffsets(group, now, retentionUs);
      for (const e of expired) group.offsets.delete(tpKey(e.topic, e.partition));
      if (expired.length > 0) {
        this.env.emit("offsets.expired", { group: groupId, count: expired.length });
        this.env.storeOffsets(
          groupId,
          expired.map((e) => ({ topic: e.topic, partition: e.partition, value: null })),
          () => {},
        );
      }
      if (
        group.state === "Empty" &&
        group.offsets.size === 0 &&
        group.pendingCommits === 0 &&
        group.txnOffsets.isEmpty
      ) {
        this.transition(group, "Dead", "offsets expired");
        this.groups.delete(groupId);
        this.env.storeGroup(groupId, null, () => {});
      }
    }
  }

  private expiredOffsets(
    group: Group,
    nowUs: number,
    retentionUs: number,
  ): Array<{ topic: string; partition: number }> {
    if (group.pendingCommits > 0) return [];
    let base: ((v: OffsetRecordValue) => number) | undefined;
    let keepTopics = new Set<string>();
    if (!this.settings.kip211 || group.protocolType === null) base = (v) => v.commitTimestampUs;
    else if (group.state === "Empty") base = () => group.currentStateTimestampUs;
    else if (group.state === "Stable") {
      // Offsets of topics nobody subscribes to any more expire from their last commit.
      base = (v) => v.commitTimestampUs;
      keepTopics = this.subscribedTopics(group);
    }
    if (base === undefined) return [];
    const out: Array<{ topic: string; partition: number }> = [];
    for (const o of sortedOffsets(group)) {
      const stored = group.offsets.get(tpKey(o.topic, o.partition));
      if (stored === undefined || keepTopics.has(o.topic)) continue;
      if (nowUs - base(stored.value) >= retentionUs) out.push(o);
    }
    return out;
  }

  private subscribedTopics(group: Group): Set<string> {
    const topics = new Set<string>();
    for (const member of group.members.values()) {
      const chosen = member.protocols.find((p) => p.name === group.protocol);
      for (const t of chosen?.metadata.topics ?? []) topics.add(t);
    }
    return topics;
  }

  // ------------------------------------------------------------------ loading and unloading

  /** Rebuilds a group read back from `__consumer_offsets` (GroupMetadataManager.loadGroup). */
  load(
    groupId: string,
    value: GroupRecordValue | undefined,
    offsets: readonly StoredOffset[],
    pendingTxn: ReadonlyArray<{
      readonly producerId: number;
      readonly entries: readonly TxnOffsetEntry[];
    }> = [],
  ): void {
    assert(!this.groups.has(groupId), () => `group ${groupId} loaded twice`);
    const group = this.createGroup(groupId);
    for (const o of offsets) group.offsets.set(tpKey(o.topic, o.partition), o);
    for (const p of pendingTxn) {
      assert(
        p.entries.every((e) => e.recordOffset >= 0),
        "loaded txn offsets come from the log",
      );
      group.txnOffsets.prepare(p.producerId, p.entries);
    }
    if (value !== undefined) {
      group.protocolType = value.protocolType;
      group.protocol = value.protocol;
      group.generation = value.generation;
      group.leader = value.leader;
      group.currentStateTimestampUs = value.currentStateTimestampUs;
      for (const m of value.members) {
        const member: Member = {
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          sessionTimeoutMs: m.sessionTimeoutMs,
          rebalanceTimeoutMs: m.rebalanceTimeoutMs,
          protocolType: value.protocolType ?? "consumer",
          protocols: m.protocols,
          assignment: m.assignment,
          awaitingJoin: undefined,
          awaitingSync: undefined,
          isNew: false,
          heartbeatTimer: undefined,
        };
        group.members.set(m.memberId, member);
        if (m.groupInstanceId !== null) group.statics.set(m.groupInstanceId, m.memberId);
        // Every loaded member gets a full session to find the new coordinator.
        this.scheduleHeartbeat(group, member, member.sessionTimeoutMs);
      }
    }
    const state: GroupState = group.members.size > 0 ? "Stable" : "Empty";
    const keepTimestamp = group.currentStateTimestampUs;
    this.transition(group, state, "loaded");
    if (value !== undefined) group.currentStateTimestampUs = keepTimestamp;
  }

  /** The coordinator lost the group's partition: waiting members hear NOT_COORDINATOR. */
  unload(groupId: string): void {
    const group = this.groups.get(groupId);
    if (group === undefined) return;
    for (const member of group.members.values()) {
      this.env.cancel(member.heartbeatTimer);
      const join = member.awaitingJoin;
      const sync = member.awaitingSync;
      member.awaitingJoin = undefined;
      member.awaitingSync = undefined;
      if (join !== undefined) join(joinError("NOT_COORDINATOR", member.memberId));
      if (sync !== undefined) sync(syncError("NOT_COORDINATOR"));
    }
    for (const handle of group.pending.values()) this.env.cancel(handle);
    if (group.join !== undefined) this.env.cancel(group.join.handle);
    this.transition(group, "Dead", "unloaded");
    this.groups.delete(groupId);
  }

  /**
   * DeleteGroups (KIP-229): only a group without members can go (GROUP_NOT_EMPTY otherwise; an
   * unknown or Dead group is GROUP_ID_NOT_FOUND). The group turns Dead and leaves memory at once;
   * the caller writes the tombstones of its metadata and of the offsets returned here.
   */
  delete(
    groupId: string,
  ):
    | { readonly error: "NONE"; readonly offsets: readonly TopicPartition[] }
    | { readonly error: "GROUP_NOT_EMPTY" | "GROUP_ID_NOT_FOUND" } {
    const group = this.groups.get(groupId);
    if (group === undefined || group.state === "Dead") return { error: "GROUP_ID_NOT_FOUND" };
    if (group.state !== "Empty" || group.members.size > 0) return { error: "GROUP_NOT_EMPTY" };
    const offsets = sortedOffsets(group);
    for (const handle of group.pending.values()) this.env.cancel(handle);
    if (group.join !== undefined) this.env.cancel(group.join.handle);
    this.transition(group, "Dead", "deleted");
    this.groups.delete(groupId);
    return { error: "NONE", offsets };
  }

  groupIds(): string[] {
    return [...this.groups.keys()].sort();
  }

  has(groupId: string): boolean {
    return this.groups.has(groupId);
  }

  // ------------------------------------------------------------------ views

  snapshot(): GroupSnapshot[] {
    return this.groupIds().map((id) => {
      const g = this.groups.get(id);
      assert(g !== undefined, "group listed");
      return {
        groupId: id,
        state: g.state,
        protocolType: g.protocolType,
        protocol: g.protocol,
        generation: g.generation,
        leader: g.leader,
        members: [...g.members.values()].map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          sessionTimeoutMs: m.sessionTimeoutMs,
          rebalanceTimeoutMs: m.rebalanceTimeoutMs,
          assignment: m.assignment,
        })),
        offsets: sortedOffsets(g).map((tp) => {
          const v = g.offsets.get(tpKey(tp.topic, tp.partition));
          assert(v !== undefined, "offset listed");
          return { topic: tp.topic, partition: tp.partition, ...v.value };
        }),
      };
    });
  }

  // ------------------------------------------------------------------ helpers

  private createGroup(groupId: string): Group {
    const group: Group = {
      groupId,
      state: "Empty",
      protocolType: null,
      protocol: null,
      generation: 0,
      leader: null,
      members: new Map(),
      pending: new Map(),
      statics: new Map(),
      offsets: new Map(),
      txnOffsets: new PendingTxnOffsets(),
      pendingCommits: 0,
      newMemberAdded: false,
      join: undefined,
      joinSeq: 0,
      currentStateTimestampUs: this.env.now(),
    };
    this.groups.set(groupId, group);
    return group;
  }

  private transition(group: Group, state: GroupState, reason: string): void {
    group.state = state;
    group.currentStateTimestampUs = this.env.now();
    this.env.emit("group.state", {
      group: group.groupId,
      state,
      generation: group.generation,
      reason,
    });
  }

  /** The checks SyncGroup, Heartbeat share (static fencing, membership, generation). */
  private memberError(
    group: Group,
    memberId: string,
    groupInstanceId: string | null,
    generationId: number,
  ): KafkaError {
    if (group.state === "Dead") return "COORDINATOR_NOT_AVAILABLE";
    const instanceId = this.settings.staticMembership ? groupInstanceId : null;
    if (this.isFenced(group, memberId, instanceId)) return "FENCED_INSTANCE_ID";
    if (!group.members.has(memberId)) return "UNKNOWN_MEMBER_ID";
    if (generationId !== group.generation) return "ILLEGAL_GENERATION";
    return "NONE";
  }

  /** GroupMetadata.isStaticMemberFenced: the instance is known under another member id. */
  private isFenced(group: Group, memberId: string, instanceId: string | null): boolean {
    if (instanceId === null) return false;
    const current = group.statics.get(instanceId);
    return current !== undefined && current !== memberId;
  }

  private acceptsNewMember(group: Group, memberId: string): boolean {
    if (group.state === "Empty" || group.state === "Dead") return true;
    if (group.members.has(memberId)) return true;
    return group.members.size < this.settings.maxSize;
  }

  private rebalanceTimeoutMs(group: Group): number {
    let max = 0;
    for (const member of group.members.values()) max = Math.max(max, member.rebalanceTimeoutMs);
    return max;
  }

  /** GroupMetadata.supportsProtocols: same protocol type, and a protocol every member has. */
  private supportsProtocols(
    group: Group,
    protocolType: string,
    protocols: readonly JoinGroupProtocol[],
  ): boolean {
    if (group.members.size === 0) return protocolType !== "" && protocols.length > 0;
    if (protocolType !== group.protocolType) return false;
    return protocols.some((p) => this.countSupporting(group, p.name) === group.members.size);
  }

  private countSupporting(group: Group, name: string): number {
    let n = 0;
    for (const m of group.members.values()) if (m.protocols.some((p) => p.name === name)) n++;
    return n;
  }

  /** GroupMetadata.selectProtocol: each member votes for its first common protocol. */
  private selectProtocol(group: Group): string {
    const first = group.members.values().next();
    assert(first.done !== true, "a protocol is chosen for a group with members");
    const candidates = first.value.protocols
      .map((p) => p.name)
      .filter((name) => this.countSupporting(group, name) === group.members.size);
    assert(candidates.length > 0, () => `group ${group.groupId} has no common protocol`);
    const votes = new Map<string, number>(candidates.map((c) => [c, 0]));
    for (const member of group.members.values()) {
      const vote = member.protocols.find((p) => votes.has(p.name));
      if (vote !== undefined) votes.set(vote.name, (votes.get(vote.name) ?? 0) + 1);
    }
    let best = candidates[0]!;
    for (const c of candidates) if ((votes.get(c) ?? 0) > (votes.get(best) ?? 0)) best = c;
    return best;
  }

  private joinResult(group: Group, member: Member): JoinResult {
    const isLeader = group.leader === member.memberId;
    const members: JoinGroupMember[] = [];
    if (isLeader) {
      for (const m of group.members.values()) {
        const chosen = m.protocols.find((p) => p.name === group.protocol);
        assert(chosen !== undefined, "every member supports the chosen protocol");
        members.push({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          metadata: chosen.metadata,
        });
      }
    }
    return {
      error: "NONE",
      generationId: group.generation,
      protocolName: group.protocol,
      leader: group.leader ?? "",
      memberId: member.memberId,
      members,
    };
  }

  private groupValue(
    group: Group,
    assignment?: ReadonlyMap<string, readonly TopicPartition[]>,
  ): GroupRecordValue {
    const members: MemberRecord[] = [...group.members.values()].map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      rebalanceTimeoutMs: m.rebalanceTimeoutMs,
      sessionTimeoutMs: m.sessionTimeoutMs,
      protocols: m.protocols.map((p) => ({ name: p.name, metadata: p.metadata })),
      assignment: assignment === undefined ? m.assignment : (assignment.get(m.memberId) ?? []),
    }));
    return {
      protocolType: group.protocolType,
      generation: group.generation,
      protocol: group.protocol,
      leader: group.leader,
      currentStateTimestampUs: group.currentStateTimestampUs,
      members,
    };
  }
}

function msToUs(ms: number): number {
  return ms >= Number.MAX_SAFE_INTEGER / 1000 ? Number.MAX_SAFE_INTEGER : ms * 1000;
}

function joinError(error: KafkaError, memberId: string): JoinResult {
  return {
    error,
    generationId: NO_GENERATION,
    protocolName: null,
    leader: "",
    memberId,
    members: [],
  };
}

function syncError(error: KafkaError): SyncResult {
  return { error, protocolName: null, assignment: [] };
}

/**
 * GroupMetadata.onOffsetCommitAppend / completePendingTxnOffsetCommit: an offset replaces the
 * stored one unless that one's record is later in the log (an unknown position counts as older).
 */
function putIfNewer(group: Group, offset: StoredOffset): boolean {
  const key = tpKey(offset.topic, offset.partition);
  const current = group.offsets.get(key);
  const newer = offset.recordOffset ?? -1;
  if (current !== undefined && (current.recordOffset ?? -1) > newer && newer >= 0) return false;
  group.offsets.set(key, {
    topic: offset.topic,
    partition: offset.partition,
    value: offset.value,
    recordOffset: newer,
  });
  return true;
}

function sortedOffsets(group: Group): TopicPartition[] {
  return [...group.offsets.values()]
    .map((o) => ({ topic: o.topic, partition: o.partition }))
    .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
}

function sameSubscription(a: ConsumerSubscription, b: ConsumerSubscription): boolean {
  return (
    a.generationId === b.generationId &&
    a.rackId === b.rackId &&
    a.topics.length === b.topics.length &&
    a.topics.every((t, i) => t === b.topics[i]) &&
    a.ownedPartitions.length === b.ownedPartitions.length &&
    a.ownedPartitions.every(
      (tp, i) =>
        tp.topic === b.ownedPartitions[i]?.topic &&
        tp.partition === b.ownedPartitions[i]?.partition,
    )
  );
}

/** The same protocols in the same order, subscribing to the same topics. */
function sameSubscriptions(
  a: readonly JoinGroupProtocol[],
  b: readonly JoinGroupProtocol[],
): boolean {
  return (
    a.length === b.length &&
    a.every((p, i) => {
      const q = b[i];
      return (
        q !== undefined &&
        p.name === q.name &&
        p.metadata.topics.length === q.metadata.topics.length &&
        p.metadata.topics.every((t, j) => t === q.metadata.topics[j])
      );
    })
  );
}

/** MemberMetadata.matches: the same protocols, in the same order, with the same metadata. */
function sameProtocols(a: readonly JoinGroupProtocol[], b: readonly JoinGroupProtocol[]): boolean {
  return (
    a.length === b.length &&
    a.every((p, i) => {
      const q = b[i];
      return q !== undefined && p.name === q.name && sameSubscription(p.metadata, q.metadata);
    })
  );
}
