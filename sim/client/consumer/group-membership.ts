/**
 * The consumer's side of the classic group protocol (Kafka's AbstractCoordinator and the
 * membership half of ConsumerCoordinator): finding the coordinator, JoinGroup (with KIP-394's
 * MEMBER_ID_REQUIRED retry), the leader running the assignor client-side, SyncGroup, the
 * background heartbeat, the poll timeout, and LeaveGroup.
 *
 * Models:
 * - FindCoordinator(group) to the least loaded broker, again after NOT_COORDINATOR,
 *   COORDINATOR_NOT_AVAILABLE, a disconnect or a timeout; marking the coordinator unknown drops
 *   the connection to it (Kafka's markCoordinatorUnknown → disconnectAsync), so requests still
 *   waiting on a dead coordinator fail and are retried on the new one;
 * - a join once started (the application's poll() starts it, after onJoinPrepare) is driven to its
 *   end by responses, retries after retry.backoff.ms included; its result is applied by the
 *   consumer in poll() (onJoinComplete);
 * - the leader (the member whose id JoinGroup names as leader) runs the assignor the coordinator
 *   chose over every member's subscription, with the partition counts of its own metadata;
 * - heartbeats every heartbeat.interval.ms while the member is in a generation (also while it waits
 *   to rejoin: the heartbeat thread keeps it alive during long processing);
 *   REBALANCE_IN_PROGRESS asks for a rejoin at the next poll; ILLEGAL_GENERATION and
 *   UNKNOWN_MEMBER_ID drop the generation (partitions lost, no commit); FENCED_INSTANCE_ID is fatal;
 *   no successful heartbeat for session.timeout.ms (checked at the deadline) makes the client look
 *   for the coordinator again; after a failed heartbeat the next is due retry.backoff.ms after the
 *   coordinator is found (Kafka's Heartbeat.timeToNextHeartbeat), not a whole interval;
 * - max.poll.interval.ms: when poll() was not called in time, a dynamic member sends LeaveGroup
 *   (a static one does not), and the generation is dropped; the next poll() rejoins.
 *
 * Simplifies: no exponential backoff on coordinator errors; the leader uses the metadata it has
 * (a topic it does not know yet gets no partitions; the leader rejoins when its metadata shows a
 * new partition count). Faults it suffers: the coordinator's crash or move (requests time out or
 * are refused; the member finds the new one), lost messages.
 */
import { assert } from "../../engine/assert.ts";
import { HEADER_BYTES, PARTITION_ENTRY_BYTES } from "../../kafka/protocol.ts";
import type {
  ConsumerSubscription,
  FindCoordinatorResponse,
  HeartbeatResponse,
  JoinGroupMember,
  JoinGroupResponse,
  LeaveGroupResponse,
  MemberAssignment,
  SyncGroupResponse,
} from "../../kafka/protocol-clients.ts";
import type { KafkaError } from "../../kafka/types.ts";
import { assignorFor } from "../assignors/index.ts";
import type { AssignorMember, RebalanceProtocol, TopicPartition } from "../assignors/types.ts";
import type { ConsumerSettings } from "./settings.ts";
import type { ConsumerException } from "./types.ts";

export type MemberState = "unjoined" | "joining" | "syncing" | "stable";

/** A finished join, waiting for poll() to apply it. */
export interface JoinResult {
  readonly generation: number;
  readonly memberId: string;
  readonly protocolName: string;
  readonly assignment: readonly TopicPartition[];
  readonly isLeader: boolean;
  readonly startedAtUs: number;
}

/** What the membership needs from its consumer: transport, timers, metadata, callbacks. */
export interface GroupIo {
  now(): number;
  /** Sends to a broker; returns the correlation id (the consumer times the request out). */
  send(broker: number, build: (correlationId: number) => GroupRequest): number;
  /** The broker to ask for the coordinator (Kafka's leastLoadedNode). */
  bootstrapBroker(): number;
  /**
   * Kafka's client.disconnectAsync(coordinator) in markCoordinatorUnknown: every coordinator
   * request still in flight to this broker fails with a disconnect (at the next event, not
   * inside this call), and the broker is avoided for its reconnect backoff.
   */
  disconnect(broker: number): void;
  /** Schedules `kind` for the consumer after delayUs; the consumer calls back `onTimer`. */
  timer(delayUs: number, kind: GroupTimerKind): void;
  emit(type: string, fields: Record<string, string | number | boolean | null>): void;
  /** Partition counts of these topics from the consumer's metadata (absent: unknown). */
  partitionCounts(topics: readonly string[]): Map<string, number>;
  /** The topics every member subscribes to, for the leader's metadata requests. */
  wantTopics(topics: readonly string[]): void;
  /** A join finished; the consumer applies it in poll(). */
  joined(result: JoinResult): void;
  /** The generation was lost: the consumer gives up its partitions without committing. */
  lost(why: string): void;
  fatal(exception: ConsumerException, error: KafkaError): void;
}

export type GroupRequest =
  | import("../../kafka/protocol-clients.ts").FindCoordinatorRequest
  | import("../../kafka/protocol-clients.ts").JoinGroupRequest
  | import("../../kafka/protocol-clients.ts").SyncGroupRequest
  | import("../../kafka/protocol-clients.ts").HeartbeatRequest
  | import("../../kafka/protocol-clients.ts").LeaveGroupRequest;

export type GroupTimerKind = "group.heartbeat" | "group.find-retry" | "group.join-retry";

const COORDINATOR_ERRORS: ReadonlySet<KafkaError> = new Set<KafkaError>([
  "NOT_COORDINATOR",
  "COORDINATOR_NOT_AVAILABLE",
  "NETWORK_EXCEPTION",
  "REQUEST_TIMED_OUT",
]);

/** Bytes of a subscription on the wire (modeled: topics and owned partitions). */
function subscriptionBytes(s: ConsumerSubscription): number {
  let bytes = 16;
  for (const t of s.topics) bytes += 2 + t.length;
  return bytes + 8 * s.ownedPartitions.length;
}

export class GroupMembership {
  state: MemberState = "unjoined";
  memberId = "";
  generation = -1;
  protocolName: string | null = null;
  coordinator = -1;
  isLeader = false;
  /** A rejoin is wanted; poll() starts it. */
  rejoinNeeded = true;
  rejoinReason = "initial join";
  /** Members' topics as the leader saw them last (for its metadata). */
  private groupTopics: string[] = [];
  /** The assignment of the last generation, remembered for the eager sticky assignor. */
  private lastAssignment: TopicPartition[] = [];
  private lastAssignmentGeneration = -1;
  private findInFlight = -1;
  private joinInFlight = -1;
  private syncInFlight = -1;
  private heartbeatInFlight = -1;
  /** The earliest heartbeat-thread wake-up scheduled, µs (+∞: none). */
  private heartbeatTickAtUs = Number.POSITIVE_INFINITY;
  /** Last successful heartbeat answer, µs. */
  private lastHeartbeatOkUs = 0;
  /** Kafka's Heartbeat.lastSessionReset: a coordinator found or a join completed, µs. */
  private sessionResetUs = 0;
  /** The last heartbeat sent, µs (-∞ before any). */
  private lastBeatSentUs = Number.NEGATIVE_INFINITY;
  /** The last heartbeat failed: the next one is due after retry.backoff.ms, not the interval. */
  private heartbeatFailed = false;
  private joinStartedUs = 0;
  /** Joining: the subscription and owned partitions to send (kept for retries). */
  private joinTopics: readonly string[] = [];
  private joinOwned: readonly TopicPartition[] = [];
  private joinWanted = false;
  private closed = false;

  constructor(
    private readonly io: GroupIo,
    private readonly settings: ConsumerSettings,
    private readonly groupId: string,
    private readonly clientId: string,
  ) {}

  get protocol(): RebalanceProtocol {
    return this.settings.protocol;
  }

  /** The generation when stable (Kafka's generationIfStable), else null. */
  stableGeneration(): number | null {
    return this.state === "stable" && this.generation >= 0 ? this.generation : null;
  }

  /** Kafka's rebalanceInProgress(): a JoinGroup or SyncGroup is under way. */
  get rebalancing(): boolean {
    return this.state === "joining" || this.state === "syncing";
  }

  requestRejoin(reason: string): void {
    if (this.closed) return;
    if (!this.rejoinNeeded) this.io.emit("consumer.rejoin-requested", { reason });
    this.rejoinNeeded = true;
    this.rejoinReason = reason;
  }

  /** Looks up the coordinator if none is known and no lookup is in flight. */
  ensureCoordinator(): void {
    if (this.closed || this.coordinator >= 0 || this.findInFlight >= 0) return;
    const broker = this.io.bootstrapBroker();
    this.findInFlight = this.io.send(broker, (correlationId) => ({
      type: "FindCoordinatorRequest",
      bytes: HEADER_BYTES + this.groupId.length,
      correlationId,
      key: this.groupId,
      keyType: "group",
    }));
  }

  /** Starts a join (after the consumer's onJoinPrepare); true when one started or is under way. */
  startJoin(topics: readonly string[], owned: readonly TopicPartition[]): void {
    assert(!this.closed, "joining after close");
    this.joinTopics = [...topics].sort();
    this.joinOwned = owned;
    this.joinWanted = true;
    this.rejoinNeeded = false;
    this.joinStartedUs = this.io.now();
    this.io.emit("consumer.rebalance", {
      phase: "join",
      reason: this.rejoinReason,
      generation: this.generation,
      memberId: this.memberId,
    });
    this.sendJoin();
  }

  get joining(): boolean {
    return this.joinWanted;
  }

  private sendJoin(): void {
    if (!this.joinWanted || this.joinInFlight >= 0) return;
    if (this.coordinator < 0) {
      this.ensureCoordinator();
      return;
    }
    this.state = "joining";
    const protocols = this.settings.assignors.map((assignor) => {
      const owned =
        this.protocol === "COOPERATIVE"
          ? this.joinOwned
          : assignor.name === "sticky"
            ? this.lastAssignment
            : [];
      const metadata: ConsumerSubscription = {
        topics: this.joinTopics,
        ownedPartitions: owned.map((tp) => ({ topic: tp.topic, partition: tp.partition })),
        generationId: owned.length > 0 ? this.lastAssignmentGeneration : -1,
        rackId: this.settings.clientRack,
      };
      return { name: assignor.name, metadata };
    });
    let bytes = HEADER_BYTES + this.groupId.length + this.memberId.length;
    for (const p of protocols) bytes += p.name.length + subscriptionBytes(p.metadata);
    this.joinInFlight = this.io.send(this.coordinator, (correlationId) => ({
      type: "JoinGroupRequest",
      bytes,
      correlationId,
      groupId: this.groupId,
      sessionTimeoutMs: this.settings.sessionTimeoutMs,
      rebalanceTimeoutMs: this.settings.maxPollIntervalMs,
      memberId: this.memberId,
      groupInstanceId: this.settings.groupInstanceId,
      protocolType: "consumer",
      protocols,
      reason: this.rejoinReason,
      clientId: this.clientId,
    }));
  }

  // ---------------------------------------------------------------- responses

  onFindCoordinator(m: FindCoordinatorResponse): void {
    if (m.correlationId !== this.findInFlight) return;
    this.findInFlight = -1;
    if (m.error !== "NONE" || m.nodeId < 0) {
      this.io.timer(this.settings.retryBackoffMs * 1000, "group.find-retry");
      return;
    }
    this.coordinator = m.nodeId;
    // Kafka's FindCoordinator handler resets the session timer for the new coordinator.
    this.sessionResetUs = this.io.now();
    this.io.emit("consumer.coordinator", { coordinator: m.nodeId });
    if (this.joinWanted) this.sendJoin();
    this.armHeartbeat();
  }

  onJoinGroup(m: JoinGroupResponse): void {
    if (m.correlationId !== this.joinInFlight) return;
    this.joinInFlight = -1;
    switch (m.error) {
      case "NONE":
        return this.joinSucceeded(m);
      case "MEMBER_ID_REQUIRED":
        // KIP-394: the coordinator hands out the id; join again with it at once.
        this.memberId = m.memberId;
        return this.sendJoin();
      case "UNKNOWN_MEMBER_ID":
      case "ILLEGAL_GENERATION":
        this.resetGeneration(m.error === "UNKNOWN_MEMBER_ID");
        return this.sendJoin();
      case "FENCED_INSTANCE_ID":
        return this.fail("FencedInstanceIdException", m.error);
      // Fatal for the Java consumer (AbstractCoordinator.JoinGroupResponseHandler): no retry.
      case "INCONSISTENT_GROUP_PROTOCOL":
        return this.fail("InconsistentGroupProtocolException", m.error);
      case "GROUP_MAX_SIZE_REACHED":
        return this.fail("GroupMaxSizeReachedException", m.error);
      default:
        this.state = "unjoined";
        if (COORDINATOR_ERRORS.has(m.error)) this.coordinatorUnknown(m.error);
        this.io.timer(this.settings.retryBackoffMs * 1000, "group.join-retry");
    }
  }

  private joinSucceeded(m: JoinGroupResponse): void {
    this.generation = m.generationId;
    this.memberId = m.memberId;
    this.protocolName = m.protocolName;
    this.isLeader = m.leader === m.memberId;
    this.state = "syncing";
    this.sessionResetUs = this.io.now();
    this.armHeartbeat();
    let assignments: MemberAssignment[] = [];
    if (this.isLeader) assignments = this.assign(m.protocolName ?? "range", m.members);
    let bytes = HEADER_BYTES + this.groupId.length + this.memberId.length;
    for (const a of assignments) bytes += a.memberId.length + 8 * a.partitions.length;
    this.syncInFlight = this.io.send(this.coordinator, (correlationId) => ({
      type: "SyncGroupRequest",
      bytes,
      correlationId,
      groupId: this.groupId,
      generationId: this.generation,
      memberId: this.memberId,
      groupInstanceId: this.settings.groupInstanceId,
      protocolType: "consumer",
      protocolName: m.protocolName ?? "",
      assignments,
    }));
  }

  /** The leader's work: the chosen assignor over every member's subscription. */
  private assign(protocolName: string, members: readonly JoinGroupMember[]): MemberAssignment[] {
    const assignor = assignorFor(protocolName);
    assert(
      assignor !== undefined,
      () => `the coordinator chose an unknown assignor ${protocolName}`,
    );
    const topics = new Set<string>();
    for (const member of members) for (const t of member.metadata.topics) topics.add(t);
    this.groupTopics = [...topics].sort();
    this.io.wantTopics(this.groupTopics);
    const input: AssignorMember[] = members.map((member) => ({
      memberId: member.memberId,
      ...(member.groupInstanceId === null ? {} : { groupInstanceId: member.groupInstanceId }),
      subscription: member.metadata.topics,
      ownedPartitions: member.metadata.ownedPartitions,
      ...(member.metadata.generationId >= 0 ? { generation: member.metadata.generationId } : {}),
      ...(member.metadata.rackId === null ? {} : { rackId: member.metadata.rackId }),
    }));
    const result = assignor.assign({
      members: input,
      partitionsPerTopic: this.io.partitionCounts(this.groupTopics),
    });
    const out: MemberAssignment[] = [];
    for (const member of members) {
      out.push({ memberId: member.memberId, partitions: result.get(member.memberId) ?? [] });
    }
    this.io.emit("consumer.assignor", {
      assignor: protocolName,
      generation: this.generation,
      members: members.length,
      assignment: out
        .map(
          (a) =>
            `${a.memberId}=[${a.partitions.map((p) => `${p.topic}-${p.partition}`).join(",")}]`,
        )
        .join(" "),
    });
    return out;
  }

  /** The topics the leader assigned over (to notice a partition count change). */
  leaderTopics(): readonly string[] {
    return this.isLeader ? this.groupTopics : [];
  }

  onSyncGroup(m: SyncGroupResponse): void {
    if (m.correlationId !== this.syncInFlight) return;
    this.syncInFlight = -1;
    switch (m.error) {
      case "NONE": {
        // As Kafka's join future on success: a rejoin asked for during the join is satisfied.
        this.state = "stable";
        this.joinWanted = false;
        this.rejoinNeeded = false;
        this.lastAssignment = [...m.assignment];
        this.lastAssignmentGeneration = this.generation;
        this.io.joined({
          generation: this.generation,
          memberId: this.memberId,
          protocolName: m.protocolName ?? this.protocolName ?? "",
          assignment: m.assignment,
          isLeader: this.isLeader,
          startedAtUs: this.joinStartedUs,
        });
        return;
      }
      case "FENCED_INSTANCE_ID":
        return this.fail("FencedInstanceIdException", m.error);
      case "UNKNOWN_MEMBER_ID":
      case "ILLEGAL_GENERATION":
        this.resetGeneration(m.error === "UNKNOWN_MEMBER_ID");
        return this.sendJoin();
      case "REBALANCE_IN_PROGRESS":
        this.state = "unjoined";
        return this.sendJoin();
      default:
        this.state = "unjoined";
        if (COORDINATOR_ERRORS.has(m.error)) this.coordinatorUnknown(m.error);
        this.io.timer(this.settings.retryBackoffMs * 1000, "group.join-retry");
    }
  }

  onHeartbeat(m: HeartbeatResponse): void {
    if (m.correlationId !== this.heartbeatInFlight) return;
    this.heartbeatInFlight = -1;
    switch (m.error) {
      case "NONE":
        this.lastHeartbeatOkUs = this.io.now();
        return;
      case "REBALANCE_IN_PROGRESS":
        // Still a member while the group rebalances: the session is kept alive.
        this.lastHeartbeatOkUs = this.io.now();
        if (this.state === "stable") this.requestRejoin("group is rebalancing");
        return;
      case "ILLEGAL_GENERATION":
      case "UNKNOWN_MEMBER_ID":
        if (this.state === "joining") return;
        this.resetGeneration(m.error === "UNKNOWN_MEMBER_ID");
        this.io.lost(`heartbeat ${m.error}`);
        this.requestRejoin(`heartbeat ${m.error}`);
        return;
      case "FENCED_INSTANCE_ID":
        return this.fail("FencedInstanceIdException", m.error);
      default:
        this.heartbeatFailedNow();
        if (COORDINATOR_ERRORS.has(m.error)) this.coordinatorUnknown(m.error);
    }
  }

  onLeaveGroup(_m: LeaveGroupResponse): void {}

  /** A group request timed out or its connection broke. */
  requestFailed(correlationId: number, error: KafkaError): void {
    if (correlationId === this.findInFlight) {
      this.findInFlight = -1;
      this.io.timer(this.settings.retryBackoffMs * 1000, "group.find-retry");
      return;
    }
    if (correlationId === this.heartbeatInFlight) {
      this.heartbeatInFlight = -1;
      this.heartbeatFailedNow();
      this.coordinatorUnknown(error);
      return;
    }
    if (correlationId === this.joinInFlight || correlationId === this.syncInFlight) {
      this.joinInFlight = -1;
      this.syncInFlight = -1;
      this.state = "unjoined";
      this.coordinatorUnknown(error);
      this.io.timer(this.settings.retryBackoffMs * 1000, "group.join-retry");
    }
  }

  onTimer(kind: GroupTimerKind): void {
    if (this.closed) return;
    switch (kind) {
      case "group.find-retry":
        this.ensureCoordinator();
        return;
      case "group.join-retry":
        if (this.joinWanted) this.sendJoin();
        return;
      case "group.heartbeat":
        // Wake-ups are idempotent: a later one scheduled before an earlier one just checks again.
        if (this.io.now() >= this.heartbeatTickAtUs)
          this.heartbeatTickAtUs = Number.POSITIVE_INFINITY;
        this.heartbeatTick();
        return;
    }
  }

  /**
   * Schedules the heartbeat thread's next wake-up: the next beat, or the session's expiry when
   * that comes first (Kafka's thread sleeps at most retry.backoff.ms between checks); every
   * retry.backoff.ms while the coordinator is unknown.
   */
  private armHeartbeat(): void {
    if (this.closed) return;
    const now = this.io.now();
    const at = Math.max(
      now + 1,
      this.coordinator < 0
        ? now + this.settings.retryBackoffMs * 1000
        : Math.min(this.beatDueUs(), this.sessionDeadlineUs()),
    );
    if (at >= this.heartbeatTickAtUs) return;
    this.heartbeatTickAtUs = at;
    this.io.timer(at - now, "group.heartbeat");
  }

  /** Kafka's Heartbeat.timeToNextHeartbeat: the interval, or the backoff after a failure. */
  private beatDueUs(): number {
    const delayMs = this.heartbeatFailed
      ? this.settings.retryBackoffMs
      : this.settings.heartbeatIntervalMs;
    return Math.max(this.lastBeatSentUs, this.sessionResetUs) + delayMs * 1000;
  }

  /** Kafka's Heartbeat.sessionTimeoutExpired: the first instant with no sign of life for too long. */
  private sessionDeadlineUs(): number {
    const lastSign = Math.max(this.lastHeartbeatOkUs, this.sessionResetUs);
    return lastSign + this.settings.sessionTimeoutMs * 1000 + 1;
  }

  private heartbeatFailedNow(): void {
    this.heartbeatFailed = true;
  }

  /** The heartbeat thread's wake-up: check the session, send a heartbeat when one is due. */
  private heartbeatTick(): void {
    const inGeneration =
      (this.state === "stable" || this.state === "syncing") && this.generation >= 0;
    if (!inGeneration) return; // re-armed by the next successful JoinGroup
    if (this.coordinator < 0) {
      this.ensureCoordinator();
      this.armHeartbeat();
      return;
    }
    const now = this.io.now();
    if (now >= this.sessionDeadlineUs()) {
      // No answer for session.timeout.ms: the coordinator is presumed gone.
      this.coordinatorUnknown("REQUEST_TIMED_OUT");
      this.armHeartbeat();
      return;
    }
    if (now >= this.beatDueUs()) {
      // One heartbeat at a time: a beat that falls while one is in flight is skipped.
      this.lastBeatSentUs = now;
      this.heartbeatFailed = false;
      if (this.heartbeatInFlight < 0) {
        this.heartbeatInFlight = this.io.send(this.coordinator, (correlationId) => ({
          type: "HeartbeatRequest",
          bytes: HEADER_BYTES + this.groupId.length + this.memberId.length,
          correlationId,
          groupId: this.groupId,
          generationId: this.generation,
          memberId: this.memberId,
          groupInstanceId: this.settings.groupInstanceId,
        }));
      }
    }
    this.armHeartbeat();
  }

  /**
   * max.poll.interval.ms passed without a poll: Kafka's heartbeat thread leaves the group
   * (LeaveGroup for a dynamic member only) and forgets the generation.
   */
  pollTimeoutExpired(): void {
    if (this.closed || (this.generation < 0 && this.memberId === "")) return;
    this.io.emit("consumer.poll-timeout", {
      generation: this.generation,
      memberId: this.memberId,
      maxPollIntervalMs: this.settings.maxPollIntervalMs,
      leaveGroup: this.settings.groupInstanceId === null,
    });
    this.leave("consumer poll timeout has expired");
    this.resetGeneration(true);
    this.joinWanted = false;
    this.requestRejoin("consumer poll timeout has expired");
  }

  /** LeaveGroup for a dynamic member with a known coordinator (static members send none). */
  leave(reason: string): void {
    if (this.settings.groupInstanceId !== null || this.memberId === "" || this.coordinator < 0)
      return;
    const memberId = this.memberId;
    this.io.send(this.coordinator, (correlationId) => ({
      type: "LeaveGroupRequest",
      bytes: HEADER_BYTES + this.groupId.length + memberId.length + reason.length,
      correlationId,
      groupId: this.groupId,
      members: [{ memberId, groupInstanceId: null, reason }],
    }));
    this.io.emit("consumer.leave", { memberId, reason });
  }

  close(): void {
    this.closed = true;
    this.joinWanted = false;
    this.state = "unjoined";
  }

  private resetGeneration(forgetMemberId: boolean): void {
    this.generation = -1;
    this.state = "unjoined";
    this.isLeader = false;
    if (forgetMemberId) this.memberId = "";
  }

  /**
   * Kafka's markCoordinatorUnknown: forget the coordinator, drop the connection to it (so that no
   * commit, join or heartbeat waits on a dead one for request.timeout.ms) and look it up again.
   */
  coordinatorUnknown(error: KafkaError): void {
    if (this.coordinator < 0) return;
    const old = this.coordinator;
    this.io.emit("consumer.coordinator-lost", { coordinator: old, error });
    this.coordinator = -1;
    // The heartbeat in flight, if any, fails with the disconnect.
    if (this.heartbeatInFlight >= 0) this.heartbeatFailedNow();
    this.heartbeatInFlight = -1;
    this.io.disconnect(old);
    this.ensureCoordinator();
  }

  private fail(exception: ConsumerException, error: KafkaError): void {
    this.resetGeneration(true);
    this.joinWanted = false;
    this.io.fatal(exception, error);
  }
}

/** Bytes of a partition list on the wire (modeled). */
export function partitionsBytes(count: number): number {
  return PARTITION_ENTRY_BYTES * count;
}
