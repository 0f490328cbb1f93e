/**
 * KIP-848 consumer groups on the coordinator (`group.protocol=consumer`; Kafka's ConsumerGroup,
 * ConsumerGroupMember, CurrentAssignmentBuilder and GroupMetadataManager.consumerGroupHeartbeat):
 * one RPC, ConsumerGroupHeartbeat; the broker computes the target assignment with a server-side
 * assignor (`uniform`, the default, or `range`, from `group.consumer.assignors`); each member
 * reconciles towards it through its heartbeats.
 *
 * Models:
 * - three epochs: the group epoch (bumped when a member joins or leaves, a subscription changes or
 *   a subscribed topic's partition count changes), the target assignment epoch (the group epoch
 *   the target was computed at) and each member's epoch;
 * - reconciliation as CurrentAssignmentBuilder: a member first keeps only its partitions that stay
 *   in its target and is asked to revoke the others (UNREVOKED_PARTITIONS, its epoch unchanged);
 *   once a heartbeat no longer lists them as owned it moves to the target epoch and receives the
 *   partitions that are free; a partition still held (assigned or pending revocation) by another
 *   member is withheld (UNRELEASED_PARTITIONS) until that member lets it go;
 * - the member epoch check of every heartbeat (FENCED_MEMBER_EPOCH; the previous epoch is
 *   accepted, as Kafka does for a lost response) and of offset commits (STALE_MEMBER_EPOCH,
 *   UNKNOWN_MEMBER_ID);
 * - the session timeout (`group.consumer.session.timeout.ms`) per member; the rebalance timeout
 *   (the member's max.poll.interval.ms) for a revocation; both fence the member (it is removed,
 *   its partitions freed, the group epoch bumped);
 * - leaving: epoch -1; a static member (group.instance.id) leaving with -2 keeps its assignment
 *   for the session timeout, and a member rejoining with the same instance id takes it over;
 *   a second live member with that instance id gets UNRELEASED_INSTANCE_ID;
 * - group states as the CLI shows them: Empty, Assigning (group epoch ahead of the target),
 *   Reconciling (some member not at the target epoch), Stable, Dead.
 *
 * Simplifies: the target is computed synchronously at the first heartbeat after the group epoch
 * moved (Kafka does the same unless an assignment interval is set), so Assigning lasts until the
 * next heartbeat; the uniform assignor is a sticky balance (keep up to quota, lowest partitions
 * first; hand the rest to the least loaded subscribed member, ties by member id) rather than
 * Kafka's optimized builders; the range assignor is not sticky and ignores racks; members are
 * ordered by member id; no regex subscriptions; the response carries the full assignment every
 * time (Kafka sends it only when it changed); a whole group is persisted as one record (Kafka
 * writes per-member and per-target records).
 *
 * Pure model: time, timers, metadata and persistence come through ConsumerGroupEnv, so unit tests
 * drive it by hand. Faults: the coordinator's memory is lost with its process; the service reloads
 * groups from their record; a failed append answers with the mapped error and leaves the group as
 * it was computed (Kafka reverts; documented).
 */
import { assert } from "../../engine/assert.ts";
import type { TraceFields } from "../../engine/trace.ts";
import { type KafkaError, type TopicPartition, tpKey } from "../types.ts";

export type ConsumerGroupState = "Empty" | "Assigning" | "Reconciling" | "Stable" | "Dead";
/** ConsumerGroupMember's MemberState. */
export type MemberState = "STABLE" | "UNREVOKED_PARTITIONS" | "UNRELEASED_PARTITIONS";

/** Epoch a member sends to leave; -2 for a static member that will come back. */
export const LEAVE_GROUP_MEMBER_EPOCH = -1;
export const LEAVE_GROUP_STATIC_MEMBER_EPOCH = -2;

export interface ConsumerGroupSettings {
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  /** Short names ("uniform", "range"); the first is the default. */
  readonly assignors: readonly string[];
  readonly maxSize: number;
}

export type ConsumerGroupTimer =
  | {
      readonly kind: "session";
      readonly group: string;
      readonly member: string;
      readonly seq: number;
    }
  | {
      readonly kind: "rebalance";
      readonly group: string;
      readonly member: string;
      readonly seq: number;
    };

/** The persisted form of one member (ConsumerGroupMemberMetadata + CurrentMemberAssignment). */
export interface ConsumerMemberRecord {
  readonly memberId: string;
  readonly instanceId: string | null;
  readonly rackId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  readonly rebalanceTimeoutMs: number;
  readonly subscribedTopicNames: readonly string[];
  readonly serverAssignor: string | null;
  readonly memberEpoch: number;
  readonly previousMemberEpoch: number;
  readonly state: MemberState;
  readonly assigned: readonly TopicPartition[];
  readonly pendingRevocation: readonly TopicPartition[];
}

/** The persisted form of a whole group (ConsumerGroupMetadata, TargetAssignment and members). */
export interface ConsumerGroupRecordValue {
  readonly groupEpoch: number;
  readonly targetAssignmentEpoch: number;
  /** Partition counts of the subscribed topics the group epoch was last bumped for. */
  readonly subscriptionMetadata: Readonly<Record<string, number>>;
  readonly members: readonly ConsumerMemberRecord[];
  readonly target: Readonly<Record<string, readonly TopicPartition[]>>;
}

export interface ConsumerGroupEnv {
  now(): number;
  schedule(delayUs: number, timer: ConsumerGroupTimer): unknown;
  cancel(handle: unknown): void;
  emit(type: string, fields: TraceFields): void;
  newMemberId(): string;
  /** The topic's partition count from the broker's metadata; undefined when it does not exist. */
  partitionCount(topic: string): number | undefined;
  /** Appends the group's record (null: a tombstone); `done` once replicated (or failed). */
  store(
    group: string,
    value: ConsumerGroupRecordValue | null,
    done: (error: KafkaError) => void,
  ): void;
}

export interface HeartbeatInput {
  readonly groupId: string;
  readonly memberId: string;
  readonly memberEpoch: number;
  readonly instanceId: string | null;
  readonly rackId: string | null;
  /** -1: unchanged. */
  readonly rebalanceTimeoutMs: number;
  /** null: unchanged. */
  readonly subscribedTopicNames: readonly string[] | null;
  readonly serverAssignor: string | null;
  /** The partitions the member owns now; null: unchanged (treated as still owning everything). */
  readonly topicPartitions: readonly TopicPartition[] | null;
  readonly clientId: string;
  readonly clientHost: string;
}

export interface HeartbeatResult {
  readonly error: KafkaError;
  readonly memberId: string;
  readonly memberEpoch: number;
  readonly heartbeatIntervalMs: number;
  /** The partitions the member should own now; null with an error. */
  readonly assignment: readonly TopicPartition[] | null;
}

export interface ConsumerMemberSnapshot {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
  readonly assignment: readonly TopicPartition[];
  readonly memberEpoch: number;
  readonly memberState: MemberState;
  readonly pendingRevocation: readonly TopicPartition[];
  readonly targetAssignment: readonly TopicPartition[];
  readonly subscribedTopicNames: readonly string[];
}

export interface ConsumerGroupSnapshot {
  readonly groupId: string;
  readonly state: ConsumerGroupState;
  readonly protocolType: "consumer";
  /** The assignor in use. */
  readonly protocol: string;
  readonly groupEpoch: number;
  readonly targetAssignmentEpoch: number;
  readonly members: readonly ConsumerMemberSnapshot[];
}

interface Member {
  memberId: string;
  instanceId: string | null;
  rackId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  subscribedTopicNames: string[];
  serverAssignor: string | null;
  memberEpoch: number;
  previousMemberEpoch: number;
  state: MemberState;
  assigned: TopicPartition[];
  pendingRevocation: TopicPartition[];
  sessionTimer: unknown;
  sessionSeq: number;
  rebalanceTimer: unknown;
  rebalanceSeq: number;
}

interface Group {
  readonly groupId: string;
  groupEpoch: number;
  targetAssignmentEpoch: number;
  subscriptionMetadata: Record<string, number>;
  /** Sorted by member id on every change. */
  readonly members: Map<string, Member>;
  target: Map<string, TopicPartition[]>;
  state: ConsumerGroupState;
}

const MEMBER_ID_LIMIT = 36;

export class ConsumerGroupManager {
  private readonly groups = new Map<string, Group>();
  private seq = 0;
  /** Why the group epoch must move in the heartbeat being handled (one bump per heartbeat). */
  private bumpReasons: string[] = [];

  constructor(
    private readonly env: ConsumerGroupEnv,
    private readonly settings: ConsumerGroupSettings,
  ) {
    assert(settings.assignors.length > 0, "at least one server-side assignor");
  }

  has(groupId: string): boolean {
    return this.groups.has(groupId);
  }

  /** True when the group exists here with at least one member (a classic join must fail). */
  hasMembers(groupId: string): boolean {
    return (this.groups.get(groupId)?.members.size ?? 0) > 0;
  }

  groupIds(): string[] {
    return [...this.groups.keys()].sort();
  }

  // ------------------------------------------------------------------ ConsumerGroupHeartbeat

  heartbeat(input: HeartbeatInput, reply: (r: HeartbeatResult) => void): void {
    const fail = (error: KafkaError) =>
      reply({
        error,
        memberId: input.memberId,
        memberEpoch: -1,
        heartbeatIntervalMs: 0,
        assignment: null,
      });
    if (input.memberId.length > MEMBER_ID_LIMIT) return fail("UNKNOWN_MEMBER_ID");
    if (input.serverAssignor !== null && !this.settings.assignors.includes(input.serverAssignor))
      return fail("UNSUPPORTED_ASSIGNOR");
    if (input.memberEpoch < 0) return this.leave(input, reply);
    let group = this.groups.get(input.groupId);
    if (input.memberEpoch > 0) {
      const member = group?.members.get(input.memberId);
      if (group === undefined || member === undefined) return fail("UNKNOWN_MEMBER_ID");
      if (
        input.memberEpoch !== member.memberEpoch &&
        input.memberEpoch !== member.previousMemberEpoch
      )
        return fail("FENCED_MEMBER_EPOCH");
    }
    if (group === undefined) group = this.createGroup(input.groupId);
    const before = JSON.stringify(this.encode(group));
    this.bumpReasons = [];
    const member =
      input.memberEpoch === 0 ? this.join(group, input) : group.members.get(input.memberId);
    if (member === undefined)
      return fail(
        group.members.size >= this.settings.maxSize
          ? "GROUP_MAX_SIZE_REACHED"
          : "UNRELEASED_INSTANCE_ID",
      );
    this.updateMember(group, member, input);
    this.maybeBumpForMetadata(group);
    this.flushBump(group);
    if (group.groupEpoch > group.targetAssignmentEpoch) this.computeTarget(group);
    this.reconcile(group, member, input.topicPartitions);
    this.scheduleSession(group, member);
    this.updateState(group);
    const result: HeartbeatResult = {
      error: "NONE",
      memberId: member.memberId,
      memberEpoch: member.memberEpoch,
      heartbeatIntervalMs: this.settings.heartbeatIntervalMs,
      assignment: sortTps(member.assigned),
    };
    const value = this.encode(group);
    if (JSON.stringify(value) === before) return reply(result);
    this.env.store(group.groupId, value, (error) =>
      reply(error === "NONE" ? result : { ...result, error, assignment: null }),
    );
  }

  private join(group: Group, input: HeartbeatInput): Member | undefined {
    let previous: Member | undefined;
    if (input.instanceId !== null) {
      previous = [...group.members.values()].find((m) => m.instanceId === input.instanceId);
      // A static member still in the group (not left with -2) and under another id is live.
      if (
        previous !== undefined &&
        previous.memberId !== input.memberId &&
        previous.memberEpoch !== LEAVE_GROUP_STATIC_MEMBER_EPOCH
      )
        return undefined;
    }
    const existing = input.memberId === "" ? undefined : group.members.get(input.memberId);
    if (existing !== undefined && previous === undefined) {
      // A member rejoining with epoch 0 (after being fenced) starts over.
      this.removeMember(group, existing, "member rejoined with epoch 0");
    }
    if (previous === undefined && group.members.size >= this.settings.maxSize) return undefined;
    const memberId = input.memberId === "" ? this.env.newMemberId() : input.memberId;
    const member: Member = {
      memberId,
      instanceId: input.instanceId,
      rackId: input.rackId,
      clientId: input.clientId,
      clientHost: input.clientHost,
      rebalanceTimeoutMs: input.rebalanceTimeoutMs,
      subscribedTopicNames: [],
      serverAssignor: null,
      memberEpoch: 0,
      previousMemberEpoch: -1,
      state: "STABLE",
      assigned: [],
      pendingRevocation: [],
      sessionTimer: undefined,
      sessionSeq: 0,
      rebalanceTimer: undefined,
      rebalanceSeq: 0,
    };
    if (previous !== undefined) {
      // The static member comes back: it takes over the old one's epoch and partitions.
      this.cancelTimers(previous);
      group.members.delete(previous.memberId);
      member.memberEpoch =
        previous.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH
          ? previous.previousMemberEpoch
          : previous.memberEpoch;
      member.subscribedTopicNames = previous.subscribedTopicNames;
      member.serverAssignor = previous.serverAssignor;
      member.state = previous.state;
      member.assigned = previous.assigned;
      member.pendingRevocation = previous.pendingRevocation;
      const target = group.target.get(previous.memberId);
      group.target.delete(previous.memberId);
      if (target !== undefined) group.target.set(memberId, target);
      this.env.emit("consumer-group.static-rejoin", {
        group: group.groupId,
        memberId,
        previousMemberId: previous.memberId,
        instanceId: input.instanceId,
        memberEpoch: member.memberEpoch,
      });
    } else {
      this.bumpGroupEpoch(group, `member ${memberId} joined`);
      this.env.emit("consumer-group.join", {
        group: group.groupId,
        memberId,
        instanceId: input.instanceId,
      });
    }
    this.insertMember(group, member);
    return member;
  }

  private updateMember(group: Group, member: Member, input: HeartbeatInput): void {
    if (input.rebalanceTimeoutMs >= 0) member.rebalanceTimeoutMs = input.rebalanceTimeoutMs;
    if (input.rackId !== null) member.rackId = input.rackId;
    member.clientId = input.clientId;
    member.clientHost = input.clientHost;
    if (input.serverAssignor !== null && input.serverAssignor !== member.serverAssignor) {
      member.serverAssignor = input.serverAssignor;
      this.bumpGroupEpoch(group, `member ${member.memberId} changed its assignor`);
    }
    if (input.subscribedTopicNames !== null) {
      const topics = [...new Set(input.subscribedTopicNames)].sort();
      if (topics.join(",") !== member.subscribedTopicNames.join(",")) {
        member.subscribedTopicNames = topics;
        this.bumpGroupEpoch(group, `member ${member.memberId} changed its subscription`);
      }
    }
  }

  /** A subscribed topic appeared, vanished or grew: the target must be computed again. */
  private maybeBumpForMetadata(group: Group): void {
    const now = this.subscriptionMetadata(group);
    if (JSON.stringify(now) === JSON.stringify(group.subscriptionMetadata)) return;
    group.subscriptionMetadata = now;
    this.bumpGroupEpoch(group, "subscribed topic metadata changed");
  }

  private subscriptionMetadata(group: Group): Record<string, number> {
    const topics = new Set<string>();
    for (const m of group.members.values()) for (const t of m.subscribedTopicNames) topics.add(t);
    const out: Record<string, number> = {};
    for (const t of [...topics].sort()) {
      const n = this.env.partitionCount(t);
      if (n !== undefined) out[t] = n;
    }
    return out;
  }

  private bumpGroupEpoch(_group: Group, reason: string): void {
    this.bumpReasons.push(reason);
  }

  /** Kafka bumps the group epoch once for everything a heartbeat changed. */
  private flushBump(group: Group): void {
    if (this.bumpReasons.length === 0) return;
    group.groupEpoch++;
    this.env.emit("consumer-group.epoch", {
      group: group.groupId,
      groupEpoch: group.groupEpoch,
      reason: this.bumpReasons.join("; "),
    });
    this.bumpReasons = [];
  }

  // ------------------------------------------------------------------ leaving and fencing

  private leave(input: HeartbeatInput, reply: (r: HeartbeatResult) => void): void {
    const group = this.groups.get(input.groupId);
    const member = group?.members.get(input.memberId);
    const answer = (error: KafkaError) =>
      reply({
        error,
        memberId: input.memberId,
        memberEpoch: input.memberEpoch,
        heartbeatIntervalMs: 0,
        assignment: null,
      });
    if (group === undefined || member === undefined) return answer("UNKNOWN_MEMBER_ID");
    if (input.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH && member.instanceId !== null) {
      // The static member will be back: it keeps its partitions until its session expires.
      member.previousMemberEpoch = member.memberEpoch;
      member.memberEpoch = LEAVE_GROUP_STATIC_MEMBER_EPOCH;
      this.env.emit("consumer-group.leave", {
        group: group.groupId,
        memberId: member.memberId,
        instanceId: member.instanceId,
        static: true,
      });
    } else {
      this.bumpReasons = [];
      this.removeMember(group, member, "the member left the group");
      this.flushBump(group);
    }
    this.updateState(group);
    this.env.store(group.groupId, this.encode(group), answer);
  }

  /** Removes a member: its partitions become free and the group epoch moves. */
  private removeMember(group: Group, member: Member, reason: string): void {
    this.cancelTimers(member);
    group.members.delete(member.memberId);
    group.target.delete(member.memberId);
    this.env.emit("consumer-group.member-removed", {
      group: group.groupId,
      memberId: member.memberId,
      reason,
      released: tpList([...member.assigned, ...member.pendingRevocation]),
    });
    this.bumpGroupEpoch(group, reason);
  }

  private cancelTimers(member: Member): void {
    this.env.cancel(member.sessionTimer);
    this.env.cancel(member.rebalanceTimer);
    member.sessionTimer = undefined;
    member.rebalanceTimer = undefined;
  }

  onTimer(timer: ConsumerGroupTimer): void {
    const group = this.groups.get(timer.group);
    const member = group?.members.get(timer.member);
    if (group === undefined || member === undefined) return;
    if (timer.kind === "session" && timer.seq === member.sessionSeq) {
      this.fence(group, member, `session timeout expired (${this.settings.sessionTimeoutMs} ms)`);
    } else if (timer.kind === "rebalance" && timer.seq === member.rebalanceSeq) {
      if (member.state !== "UNREVOKED_PARTITIONS") return;
      this.fence(
        group,
        member,
        `revocation not acknowledged within ${member.rebalanceTimeoutMs} ms`,
      );
    }
  }

  private fence(group: Group, member: Member, reason: string): void {
    this.env.emit("consumer-group.fenced", {
      group: group.groupId,
      memberId: member.memberId,
      memberEpoch: member.memberEpoch,
      reason,
    });
    this.bumpReasons = [];
    this.removeMember(group, member, reason);
    this.flushBump(group);
    this.updateState(group);
    this.env.store(group.groupId, this.encode(group), () => {});
  }

  private scheduleSession(group: Group, member: Member): void {
    this.env.cancel(member.sessionTimer);
    member.sessionSeq = ++this.seq;
    member.sessionTimer = this.env.schedule(msToUs(this.settings.sessionTimeoutMs), {
      kind: "session",
      group: group.groupId,
      member: member.memberId,
      seq: member.sessionSeq,
    });
  }

  // ------------------------------------------------------------------ target assignment

  private computeTarget(group: Group): void {
    const members = [...group.members.values()];
    const assignor = this.groupAssignor(group);
    const counts = this.subscriptionMetadata(group);
    const target =
      assignor === "range"
        ? rangeAssign(members, counts)
        : uniformAssign(members, counts, group.target);
    group.target = target;
    group.targetAssignmentEpoch = group.groupEpoch;
    this.env.emit("consumer-group.target", {
      group: group.groupId,
      assignor,
      targetAssignmentEpoch: group.targetAssignmentEpoch,
      assignment: [...target.keys()]
        .sort()
        .map((id) => `${id}=[${tpList(target.get(id) ?? [])}]`)
        .join(" "),
    });
  }

  /** The most used client-chosen assignor (ties: the configured order), else the default. */
  private groupAssignor(group: Group): string {
    let best = this.settings.assignors[0]!;
    let bestVotes = 0;
    for (const name of this.settings.assignors) {
      let votes = 0;
      for (const m of group.members.values()) if (m.serverAssignor === name) votes++;
      if (votes > bestVotes) {
        best = name;
        bestVotes = votes;
      }
    }
    return best;
  }

  // ------------------------------------------------------------------ reconciliation

  /** CurrentAssignmentBuilder.build: moves the member as far towards its target as allowed. */
  private reconcile(group: Group, member: Member, owned: readonly TopicPartition[] | null): void {
    const was = { state: member.state, epoch: member.memberEpoch };
    const ownedKeys =
      owned === null ? null : new Set(owned.map((tp) => tpKey(tp.topic, tp.partition)));
    const ownsAny = (tps: readonly TopicPartition[]) =>
      ownedKeys === null || tps.some((tp) => ownedKeys.has(tpKey(tp.topic, tp.partition)));
    switch (member.state) {
      case "STABLE":
        if (member.memberEpoch !== group.targetAssignmentEpoch)
          this.computeNext(group, member, ownsAny);
        break;
      case "UNREVOKED_PARTITIONS":
        if (!ownsAny(member.pendingRevocation)) {
          this.env.emit("consumer-group.revoked", {
            group: group.groupId,
            memberId: member.memberId,
            partitions: tpList(member.pendingRevocation),
          });
          member.pendingRevocation = [];
          this.computeNext(group, member, ownsAny);
        }
        break;
      case "UNRELEASED_PARTITIONS":
        this.computeNext(group, member, ownsAny);
        break;
    }
    if (member.state === "UNREVOKED_PARTITIONS" && was.state !== "UNREVOKED_PARTITIONS") {
      this.env.cancel(member.rebalanceTimer);
      member.rebalanceSeq = ++this.seq;
      member.rebalanceTimer = this.env.schedule(msToUs(member.rebalanceTimeoutMs), {
        kind: "rebalance",
        group: group.groupId,
        member: member.memberId,
        seq: member.rebalanceSeq,
      });
    } else if (member.state !== "UNREVOKED_PARTITIONS") {
      this.env.cancel(member.rebalanceTimer);
      member.rebalanceTimer = undefined;
    }
    if (member.state !== was.state || member.memberEpoch !== was.epoch) {
      this.env.emit("consumer-group.member", {
        group: group.groupId,
        memberId: member.memberId,
        memberEpoch: member.memberEpoch,
        state: member.state,
        assigned: tpList(member.assigned),
        pendingRevocation: tpList(member.pendingRevocation),
      });
    }
  }

  private computeNext(
    group: Group,
    member: Member,
    ownsAny: (tps: readonly TopicPartition[]) => boolean,
  ): void {
    const next = nextAssignment({
      assigned: member.assigned,
      target: this.memberTarget(group, member),
      heldByOthers: this.heldByOthers(group, member),
    });
    if (next.revoke.length > 0 && ownsAny(next.revoke)) {
      member.state = "UNREVOKED_PARTITIONS";
      member.assigned = next.retained;
      member.pendingRevocation = next.revoke;
      return;
    }
    this.setEpoch(member, group.targetAssignmentEpoch);
    member.assigned = sortTps([...next.retained, ...next.assignable]);
    member.pendingRevocation = [];
    member.state = next.unreleased.length > 0 ? "UNRELEASED_PARTITIONS" : "STABLE";
  }

  private setEpoch(member: Member, epoch: number): void {
    if (epoch === member.memberEpoch) return;
    member.previousMemberEpoch = member.memberEpoch;
    member.memberEpoch = epoch;
  }

  /** The member's target, limited to the topics it still subscribes to. */
  private memberTarget(group: Group, member: Member): TopicPartition[] {
    const topics = new Set(member.subscribedTopicNames);
    return (group.target.get(member.memberId) ?? []).filter((tp) => topics.has(tp.topic));
  }

  /** Partitions another member still holds, assigned or pending revocation (currentPartitionEpoch). */
  private heldByOthers(group: Group, member: Member): Set<string> {
    const held = new Set<string>();
    for (const m of group.members.values()) {
      if (m === member) continue;
      for (const tp of m.assigned) held.add(tpKey(tp.topic, tp.partition));
      for (const tp of m.pendingRevocation) held.add(tpKey(tp.topic, tp.partition));
    }
    return held;
  }

  private updateState(group: Group): void {
    const state = groupState(group);
    if (state === group.state) return;
    group.state = state;
    this.env.emit("consumer-group.state", {
      group: group.groupId,
      state,
      groupEpoch: group.groupEpoch,
      targetAssignmentEpoch: group.targetAssignmentEpoch,
    });
  }

  // ------------------------------------------------------------------ offset commits

  /**
   * ConsumerGroup.validateOffsetCommit: a member commits at its current epoch; a commit outside
   * the group (empty member id, epoch -1) is accepted only while the group has no members.
   */
  validateCommit(groupId: string, memberId: string, memberEpoch: number): KafkaError {
    const group = this.groups.get(groupId);
    if (group === undefined) return "NONE";
    if (memberEpoch < 0 && memberId === "")
      return group.members.size === 0 ? "NONE" : "UNKNOWN_MEMBER_ID";
    const member = group.members.get(memberId);
    if (member === undefined) return "UNKNOWN_MEMBER_ID";
    if (memberEpoch !== member.memberEpoch) return "STALE_MEMBER_EPOCH";
    return "NONE";
  }

  // ------------------------------------------------------------------ loading and views

  /** Rebuilds a group from its record; every member gets a full session to come back. */
  load(groupId: string, value: ConsumerGroupRecordValue): void {
    this.unload(groupId);
    const group = this.createGroup(groupId);
    group.groupEpoch = value.groupEpoch;
    group.targetAssignmentEpoch = value.targetAssignmentEpoch;
    group.subscriptionMetadata = { ...value.subscriptionMetadata };
    for (const id of Object.keys(value.target).sort())
      group.target.set(id, [...(value.target[id] ?? [])]);
    for (const m of value.members) {
      const member: Member = {
        ...m,
        subscribedTopicNames: [...m.subscribedTopicNames],
        assigned: [...m.assigned],
        pendingRevocation: [...m.pendingRevocation],
        sessionTimer: undefined,
        sessionSeq: 0,
        rebalanceTimer: undefined,
        rebalanceSeq: 0,
      };
      this.insertMember(group, member);
      this.scheduleSession(group, member);
    }
    group.state = "Empty";
    this.updateState(group);
  }

  /** An empty group given up for a classic one of the same id: its record becomes a tombstone. */
  remove(groupId: string): void {
    const group = this.groups.get(groupId);
    if (group === undefined) return;
    assert(group.members.size === 0, () => `removing consumer group ${groupId} with members`);
    this.unload(groupId);
    this.env.store(groupId, null, () => {});
  }

  unload(groupId: string): void {
    const group = this.groups.get(groupId);
    if (group === undefined) return;
    for (const m of group.members.values()) this.cancelTimers(m);
    this.groups.delete(groupId);
    this.env.emit("consumer-group.state", {
      group: groupId,
      state: "Dead",
      groupEpoch: group.groupEpoch,
      targetAssignmentEpoch: group.targetAssignmentEpoch,
    });
  }

  snapshot(): ConsumerGroupSnapshot[] {
    return this.groupIds().map((id) => {
      const g = this.groups.get(id);
      assert(g !== undefined, "group listed");
      return {
        groupId: id,
        state: g.state,
        protocolType: "consumer",
        protocol: this.groupAssignor(g),
        groupEpoch: g.groupEpoch,
        targetAssignmentEpoch: g.targetAssignmentEpoch,
        members: [...g.members.values()].map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.instanceId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          sessionTimeoutMs: this.settings.sessionTimeoutMs,
          rebalanceTimeoutMs: m.rebalanceTimeoutMs,
          assignment: sortTps(m.assigned),
          memberEpoch: m.memberEpoch,
          memberState: m.state,
          pendingRevocation: sortTps(m.pendingRevocation),
          targetAssignment: sortTps(g.target.get(m.memberId) ?? []),
          subscribedTopicNames: m.subscribedTopicNames,
        })),
      };
    });
  }

  private encode(group: Group): ConsumerGroupRecordValue {
    const target: Record<string, readonly TopicPartition[]> = {};
    for (const id of [...group.target.keys()].sort())
      target[id] = sortTps(group.target.get(id) ?? []);
    return {
      groupEpoch: group.groupEpoch,
      targetAssignmentEpoch: group.targetAssignmentEpoch,
      subscriptionMetadata: group.subscriptionMetadata,
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        instanceId: m.instanceId,
        rackId: m.rackId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        subscribedTopicNames: m.subscribedTopicNames,
        serverAssignor: m.serverAssignor,
        memberEpoch: m.memberEpoch,
        previousMemberEpoch: m.previousMemberEpoch,
        state: m.state,
        assigned: sortTps(m.assigned),
        pendingRevocation: sortTps(m.pendingRevocation),
      })),
      target,
    };
  }

  private createGroup(groupId: string): Group {
    const group: Group = {
      groupId,
      groupEpoch: 0,
      targetAssignmentEpoch: 0,
      subscriptionMetadata: {},
      members: new Map(),
      target: new Map(),
      state: "Empty",
    };
    this.groups.set(groupId, group);
    return group;
  }

  /** Keeps the member map sorted by member id (the order assignors and views use). */
  private insertMember(group: Group, member: Member): void {
    const all = [...group.members.values(), member].sort((a, b) =>
      compareIds(a.memberId, b.memberId),
    );
    group.members.clear();
    for (const m of all) group.members.set(m.memberId, m);
  }
}

// -------------------------------------------------------------------- pure rules

/** ConsumerGroup's state from its epochs and members. */
function groupState(group: Group): ConsumerGroupState {
  if (group.members.size === 0) return "Empty";
  if (group.groupEpoch > group.targetAssignmentEpoch) return "Assigning";
  for (const m of group.members.values()) {
    if (m.memberEpoch !== group.targetAssignmentEpoch || m.state !== "STABLE") return "Reconciling";
  }
  return "Stable";
}

/**
 * CurrentAssignmentBuilder.computeNextAssignment as a pure function: what the member keeps, must
 * revoke, may take now, and must wait for (held by another member).
 */
export function nextAssignment(input: {
  readonly assigned: readonly TopicPartition[];
  readonly target: readonly TopicPartition[];
  readonly heldByOthers: ReadonlySet<string>;
}): {
  retained: TopicPartition[];
  revoke: TopicPartition[];
  assignable: TopicPartition[];
  unreleased: TopicPartition[];
} {
  const targetKeys = new Set(input.target.map((tp) => tpKey(tp.topic, tp.partition)));
  const assignedKeys = new Set(input.assigned.map((tp) => tpKey(tp.topic, tp.partition)));
  const retained = input.assigned.filter((tp) => targetKeys.has(tpKey(tp.topic, tp.partition)));
  const revoke = input.assigned.filter((tp) => !targetKeys.has(tpKey(tp.topic, tp.partition)));
  const assignable: TopicPartition[] = [];
  const unreleased: TopicPartition[] = [];
  for (const tp of input.target) {
    const key = tpKey(tp.topic, tp.partition);
    if (assignedKeys.has(key)) continue;
    if (input.heldByOthers.has(key)) unreleased.push(tp);
    else assignable.push(tp);
  }
  return {
    retained: sortTps(retained),
    revoke: sortTps(revoke),
    assignable: sortTps(assignable),
    unreleased: sortTps(unreleased),
  };
}

interface AssignableMember {
  readonly memberId: string;
  readonly subscribedTopicNames: readonly string[];
}

/**
 * The uniform assignor, as a sticky balance: each member keeps its previous target partitions
 * (lowest first) up to its quota (⌊P/C⌋, one more for the first P mod C members that had more);
 * every other partition goes to the least loaded subscribed member (ties: member id order).
 */
export function uniformAssign(
  members: readonly AssignableMember[],
  partitionCounts: Readonly<Record<string, number>>,
  previous: ReadonlyMap<string, readonly TopicPartition[]>,
): Map<string, TopicPartition[]> {
  const sorted = [...members].sort((a, b) => compareIds(a.memberId, b.memberId));
  const out = new Map<string, TopicPartition[]>();
  for (const m of sorted) out.set(m.memberId, []);
  if (sorted.length === 0) return out;
  const all = allPartitions(sorted, partitionCounts);
  const homogeneous = sorted.every(
    (m) => m.subscribedTopicNames.join(",") === sorted[0]!.subscribedTopicNames.join(","),
  );
  const base = Math.floor(all.length / sorted.length);
  let extra = all.length % sorted.length;
  const exists = new Set(all.map((tp) => tpKey(tp.topic, tp.partition)));
  const taken = new Set<string>();
  for (const m of sorted) {
    const topics = new Set(m.subscribedTopicNames);
    const kept = sortTps(
      (previous.get(m.memberId) ?? []).filter(
        (tp) => topics.has(tp.topic) && exists.has(tpKey(tp.topic, tp.partition)),
      ),
    );
    let quota = kept.length;
    if (homogeneous) {
      quota = base;
      if (kept.length > base && extra > 0) {
        quota = base + 1;
        extra--;
      }
    }
    const mine = out.get(m.memberId)!;
    for (const tp of kept.slice(0, quota)) {
      mine.push(tp);
      taken.add(tpKey(tp.topic, tp.partition));
    }
  }
  for (const tp of all) {
    if (taken.has(tpKey(tp.topic, tp.partition))) continue;
    let best: string | undefined;
    let bestCount = Number.MAX_SAFE_INTEGER;
    for (const m of sorted) {
      if (!m.subscribedTopicNames.includes(tp.topic)) continue;
      const count = out.get(m.memberId)!.length;
      if (count < bestCount) {
        best = m.memberId;
        bestCount = count;
      }
    }
    if (best !== undefined) out.get(best)!.push(tp);
  }
  for (const [id, tps] of out) out.set(id, sortTps(tps));
  return out;
}

/** The range assignor: per topic, contiguous ranges over the subscribed members in id order. */
export function rangeAssign(
  members: readonly AssignableMember[],
  partitionCounts: Readonly<Record<string, number>>,
): Map<string, TopicPartition[]> {
  const sorted = [...members].sort((a, b) => compareIds(a.memberId, b.memberId));
  const out = new Map<string, TopicPartition[]>();
  for (const m of sorted) out.set(m.memberId, []);
  for (const topic of Object.keys(partitionCounts).sort()) {
    const count = partitionCounts[topic] ?? 0;
    const subscribed = sorted.filter((m) => m.subscribedTopicNames.includes(topic));
    if (subscribed.length === 0) continue;
    const n = Math.floor(count / subscribed.length);
    const extra = count % subscribed.length;
    let next = 0;
    subscribed.forEach((m, i) => {
      const take = n + (i < extra ? 1 : 0);
      for (let k = 0; k < take; k++) out.get(m.memberId)!.push({ topic, partition: next + k });
      next += take;
    });
  }
  return out;
}

function allPartitions(
  members: readonly AssignableMember[],
  partitionCounts: Readonly<Record<string, number>>,
): TopicPartition[] {
  const topics = new Set<string>();
  for (const m of members) for (const t of m.subscribedTopicNames) topics.add(t);
  const out: TopicPartition[] = [];
  for (const topic of [...topics].sort()) {
    const n = partitionCounts[topic] ?? 0;
    for (let p = 0; p < n; p++) out.push({ topic, partition: p });
  }
  return out;
}

export function sortTps(tps: readonly TopicPartition[]): TopicPartition[] {
  return [...tps].sort((a, b) =>
    a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1,
  );
}

function tpList(tps: readonly TopicPartition[]): string {
  return sortTps(tps)
    .map((tp) => `${tp.topic}-${tp.partition}`)
    .join(",");
}

/** Java String.compareTo for the ids we make (ASCII): code-unit order. */
function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function msToUs(ms: number): number {
  return ms >= Number.MAX_SAFE_INTEGER / 1000 ? Number.MAX_SAFE_INTEGER : ms * 1000;
}
