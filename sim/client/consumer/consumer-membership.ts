/**
 * The consumer's side of the KIP-848 consumer group protocol (`group.protocol=consumer`; Kafka's
 * ConsumerMembershipManager and ConsumerHeartbeatRequestManager of the AsyncKafkaConsumer).
 *
 * Models:
 * - FindCoordinator(group) as the classic path does; then ConsumerGroupHeartbeat: epoch 0 to
 *   join (with the subscription, max.poll.interval.ms as the rebalance timeout, client.rack and
 *   group.remote.assignor), then one every heartbeatIntervalMs that the coordinator returns;
 * - the assignment in a response that differs from what the consumer owns is handed to the
 *   consumer, which applies it at its next poll (revoking first, committing when configured, then
 *   adding); the membership then acknowledges at once with a heartbeat listing the partitions
 *   the consumer owns now (the coordinator reassigns revoked partitions only after this);
 * - UNKNOWN_MEMBER_ID and FENCED_MEMBER_EPOCH: the partitions are lost (no commit), and the member
 *   rejoins with epoch 0 and its member id; UNRELEASED_INSTANCE_ID is fatal;
 * - a heartbeat lost to a disconnect or a timeout marks the coordinator unknown (dropping the
 *   connection to it) and backs off from retry.backoff.ms, doubling to retry.backoff.max.ms;
 * - max.poll.interval.ms: the member leaves (epoch -1) and rejoins at the next poll; close():
 *   epoch -1, or -2 for a static member (group.instance.id).
 *
 * Simplifies: every heartbeat carries every field (Kafka sends only what changed); the member id
 * is chosen by the coordinator (4.0 clients make their own UUID, KIP-1082); errors the model's
 * exception list lacks (GROUP_ID_NOT_FOUND, UNSUPPORTED_ASSIGNOR) are traced and retried after
 * retry.backoff.ms instead of being thrown. Faults it suffers: the coordinator's crash or move
 * (requests time out or are refused; the member finds the new one and carries on at its epoch),
 * lost messages.
 */
import { HEADER_BYTES, PARTITION_ENTRY_BYTES } from "../../kafka/protocol.ts";
import type {
  ConsumerGroupHeartbeatRequest,
  ConsumerGroupHeartbeatResponse,
  FindCoordinatorRequest,
  FindCoordinatorResponse,
} from "../../kafka/protocol-clients.ts";
import { type KafkaError, tpKey } from "../../kafka/types.ts";
import type { RebalanceProtocol, TopicPartition } from "../assignors/types.ts";
import type { GroupTimerKind, JoinResult } from "./group-membership.ts";
import type { ConsumerSettings } from "./settings.ts";
import type { ConsumerException } from "./types.ts";

/** What the membership needs from its consumer (a subset of the classic GroupIo). */
export interface ConsumerGroupIo {
  now(): number;
  send(broker: number, build: (correlationId: number) => ConsumerMembershipRequest): number;
  bootstrapBroker(): number;
  /** As the classic GroupIo's: coordinator requests in flight to this broker fail. */
  disconnect(broker: number): void;
  timer(delayUs: number, kind: GroupTimerKind): void;
  emit(type: string, fields: Record<string, string | number | boolean | null>): void;
  /** A new assignment to apply at the next poll (the consumer then calls acknowledge()). */
  joined(result: JoinResult): void;
  /** Fenced: the consumer gives up its partitions without committing. */
  lost(why: string): void;
  fatal(exception: ConsumerException, error: KafkaError): void;
}

export type ConsumerMembershipRequest = FindCoordinatorRequest | ConsumerGroupHeartbeatRequest;

const COORDINATOR_ERRORS: ReadonlySet<KafkaError> = new Set<KafkaError>([
  "NOT_COORDINATOR",
  "COORDINATOR_NOT_AVAILABLE",
  "NETWORK_EXCEPTION",
  "REQUEST_TIMED_OUT",
]);

export class ConsumerMembership {
  memberId = "";
  /** 0 while joining; positive once in the group. */
  memberEpoch = 0;
  coordinator = -1;
  /** A (re)join is wanted; poll() starts it through startJoin. */
  rejoinNeeded = true;
  rejoinReason = "initial join";
  private active = false;
  private topics: readonly string[] = [];
  /** What the consumer owns now (reported in every heartbeat). */
  private owned: readonly TopicPartition[] = [];
  /** The assignment handed to the consumer and not yet acknowledged. */
  private pendingKey: string | null = null;
  private findInFlight = -1;
  private heartbeatInFlight = -1;
  private heartbeatIntervalMs = 0;
  private nextHeartbeatUs = 0;
  /** Send the next heartbeat as soon as possible (join, acknowledgement, subscription change). */
  private urgent = false;
  /**
   * After a heartbeat lost to a disconnect or a timeout, none before this time, µs, even an
   * urgent one (Kafka's HeartbeatRequestState.onFailedAttempt: exponential backoff from
   * retry.backoff.ms to retry.backoff.max.ms); consecutive such failures.
   */
  private backoffUntilUs = 0;
  private failedAttempts = 0;
  private closed = false;
  private joinStartedUs = 0;

  constructor(
    private readonly io: ConsumerGroupIo,
    private readonly settings: ConsumerSettings,
    private readonly groupId: string,
    private readonly clientId: string,
  ) {}

  /** No client-side rebalance barrier: partitions that stay are never revoked. */
  get protocol(): RebalanceProtocol {
    return "COOPERATIVE";
  }

  /** The member epoch once in the group, else -1 (the consumer's "generation"). */
  get generation(): number {
    return this.memberEpoch > 0 ? this.memberEpoch : -1;
  }

  /** Commits carry the member epoch; any positive epoch may commit. */
  stableGeneration(): number | null {
    return this.memberEpoch > 0 ? this.memberEpoch : null;
  }

  get rebalancing(): boolean {
    return false;
  }

  get joining(): boolean {
    return false;
  }

  /** No client-side leader: the coordinator assigns. */
  readonly isLeader = false;

  leaderTopics(): readonly string[] {
    return [];
  }

  requestRejoin(reason: string): void {
    if (this.closed) return;
    if (!this.rejoinNeeded) this.io.emit("consumer.rejoin-requested", { reason });
    this.rejoinNeeded = true;
    this.rejoinReason = reason;
  }

  ensureCoordinator(): void {
    if (this.closed || this.coordinator >= 0 || this.findInFlight >= 0) return;
    this.findInFlight = this.io.send(this.io.bootstrapBroker(), (correlationId) => ({
      type: "FindCoordinatorRequest",
      bytes: HEADER_BYTES + this.groupId.length,
      correlationId,
      key: this.groupId,
      keyType: "group",
    }));
  }

  /** Joins (epoch 0) or, already in the group, sends the new subscription at once. */
  startJoin(topics: readonly string[], owned: readonly TopicPartition[]): void {
    if (this.closed) return;
    this.topics = [...topics].sort();
    this.owned = owned;
    this.rejoinNeeded = false;
    if (!this.active) {
      this.active = true;
      this.memberEpoch = 0;
      this.joinStartedUs = this.io.now();
      this.io.emit("consumer.rebalance", {
        phase: "join",
        reason: this.rejoinReason,
        generation: this.memberEpoch,
        memberId: this.memberId,
      });
    }
    this.urgent = true;
    this.maybeHeartbeat();
  }

  /** The consumer applied an assignment (revoked, then added): acknowledge it now. */
  acknowledge(owned: readonly TopicPartition[]): void {
    this.owned = owned;
    this.pendingKey = null;
    this.urgent = true;
    this.maybeHeartbeat();
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
    this.io.emit("consumer.coordinator", { coordinator: m.nodeId });
    this.urgent = true;
    this.maybeHeartbeat();
  }

  onHeartbeat(m: ConsumerGroupHeartbeatResponse): void {
    if (m.correlationId !== this.heartbeatInFlight) return;
    this.heartbeatInFlight = -1;
    if (!this.active) return; // the answer to a leave
    switch (m.error) {
      case "NONE":
        return this.heartbeatSucceeded(m);
      case "UNKNOWN_MEMBER_ID":
      case "FENCED_MEMBER_EPOCH":
        return this.fenced(m.error);
      case "UNRELEASED_INSTANCE_ID":
        this.active = false;
        this.io.fatal("FencedInstanceIdException", m.error);
        return;
      default:
        this.io.emit("consumer.heartbeat-error", { error: m.error, memberEpoch: this.memberEpoch });
        if (COORDINATOR_ERRORS.has(m.error)) this.coordinatorUnknown(m.error);
        this.nextHeartbeatUs = this.io.now() + this.settings.retryBackoffMs * 1000;
        this.io.timer(this.settings.retryBackoffMs * 1000, "group.join-retry");
    }
  }

  private heartbeatSucceeded(m: ConsumerGroupHeartbeatResponse): void {
    this.failedAttempts = 0;
    const epochBefore = this.memberEpoch;
    this.memberId = m.memberId;
    this.memberEpoch = m.memberEpoch;
    this.heartbeatIntervalMs = m.heartbeatIntervalMs;
    this.nextHeartbeatUs = this.io.now() + m.heartbeatIntervalMs * 1000;
    if (m.memberEpoch !== epochBefore) {
      this.io.emit("consumer.member-epoch", {
        memberId: m.memberId,
        memberEpoch: m.memberEpoch,
        previous: epochBefore,
      });
    }
    if (m.assignment !== null) {
      const key = keyOf(m.assignment);
      if (key !== keyOf(this.owned) && key !== this.pendingKey) {
        this.pendingKey = key;
        this.io.joined({
          generation: m.memberEpoch,
          memberId: m.memberId,
          protocolName: this.settings.remoteAssignor ?? "",
          assignment: m.assignment,
          isLeader: false,
          startedAtUs: this.joinStartedUs,
        });
        this.joinStartedUs = this.io.now();
      }
    }
    this.schedule();
  }

  /** Fenced by the coordinator: partitions are lost; rejoin at once with epoch 0. */
  private fenced(error: KafkaError): void {
    this.io.emit("consumer.fenced", {
      memberId: this.memberId,
      memberEpoch: this.memberEpoch,
      error,
    });
    this.memberEpoch = 0;
    this.pendingKey = null;
    this.owned = [];
    this.io.lost(`heartbeat ${error}`);
    this.joinStartedUs = this.io.now();
    this.urgent = true;
    this.maybeHeartbeat();
  }

  requestFailed(correlationId: number, error: KafkaError): void {
    if (correlationId === this.findInFlight) {
      this.findInFlight = -1;
      this.io.timer(this.settings.retryBackoffMs * 1000, "group.find-retry");
      return;
    }
    if (correlationId === this.heartbeatInFlight) {
      this.heartbeatInFlight = -1;
      this.failedAttempts++;
      let backoffUs = this.settings.retryBackoffMs * 1000;
      const maxUs = Math.max(this.settings.retryBackoffMaxMs * 1000, backoffUs);
      for (let i = 1; i < this.failedAttempts && backoffUs < maxUs; i++) backoffUs *= 2;
      this.backoffUntilUs = this.io.now() + Math.min(backoffUs, maxUs);
      this.coordinatorUnknown(error);
    }
  }

  onTimer(kind: GroupTimerKind): void {
    if (this.closed) return;
    switch (kind) {
      case "group.find-retry":
        this.ensureCoordinator();
        return;
      case "group.join-retry":
      case "group.heartbeat":
        this.maybeHeartbeat();
        return;
    }
  }

  // ---------------------------------------------------------------- sending

  private schedule(): void {
    const delayUs = Math.max(0, this.nextHeartbeatUs - this.io.now());
    this.io.timer(this.urgent ? 0 : delayUs, "group.heartbeat");
  }

  private maybeHeartbeat(): void {
    if (this.closed || !this.active || this.heartbeatInFlight >= 0) return;
    if (this.coordinator < 0) return this.ensureCoordinator();
    const now = this.io.now();
    if (now < this.backoffUntilUs) {
      this.io.timer(this.backoffUntilUs - now, "group.heartbeat");
      return;
    }
    if (!this.urgent && this.io.now() < this.nextHeartbeatUs) return;
    this.urgent = false;
    this.heartbeatInFlight = this.sendHeartbeat(this.memberEpoch);
  }

  /** Sends one heartbeat; returns its correlation id. */
  private sendHeartbeat(memberEpoch: number): number {
    const owned = this.owned.map((tp) => ({ topic: tp.topic, partition: tp.partition }));
    let bytes = HEADER_BYTES + 32 + this.groupId.length + this.memberId.length;
    for (const t of this.topics) bytes += 2 + t.length;
    bytes += PARTITION_ENTRY_BYTES * owned.length;
    return this.io.send(this.coordinator, (correlationId) => ({
      type: "ConsumerGroupHeartbeatRequest",
      bytes,
      correlationId,
      groupId: this.groupId,
      memberId: this.memberId,
      memberEpoch,
      instanceId: this.settings.groupInstanceId,
      rackId: this.settings.clientRack,
      rebalanceTimeoutMs: this.settings.maxPollIntervalMs,
      subscribedTopicNames: this.topics,
      serverAssignor: this.settings.remoteAssignor,
      topicPartitions: owned,
      clientId: this.clientId,
    }));
  }

  // ---------------------------------------------------------------- leaving

  /** max.poll.interval.ms passed without a poll: leave, lose the partitions, rejoin at next poll. */
  pollTimeoutExpired(): void {
    if (this.closed || !this.active) return;
    this.io.emit("consumer.poll-timeout", {
      generation: this.memberEpoch,
      memberId: this.memberId,
      maxPollIntervalMs: this.settings.maxPollIntervalMs,
      leaveGroup: true,
    });
    this.leave("consumer poll timeout has expired");
    this.owned = [];
    this.pendingKey = null;
    this.io.lost("consumer poll timeout has expired");
    this.requestRejoin("consumer poll timeout has expired");
  }

  /** Leaves with epoch -1 (-2 for a static member, which keeps its partitions for a while). */
  leave(reason: string): void {
    if (!this.active) return;
    this.active = false;
    const epoch = this.settings.groupInstanceId !== null ? -2 : -1;
    // An answer to a heartbeat in flight is ignored from now on; the leave's answer is too.
    this.heartbeatInFlight = -1;
    if (this.memberId !== "" && this.coordinator >= 0) {
      this.sendHeartbeat(epoch);
      this.io.emit("consumer.leave", { memberId: this.memberId, memberEpoch: epoch, reason });
    }
    this.memberEpoch = 0;
  }

  close(): void {
    this.closed = true;
    this.active = false;
  }

  /** Kafka's markCoordinatorUnknown: forget it, drop the connection to it, look it up again. */
  coordinatorUnknown(error: KafkaError): void {
    if (this.coordinator < 0) return;
    const old = this.coordinator;
    this.io.emit("consumer.coordinator-lost", { coordinator: old, error });
    this.coordinator = -1;
    this.heartbeatInFlight = -1;
    this.urgent = true;
    this.io.disconnect(old);
    this.ensureCoordinator();
  }
}

function keyOf(tps: ReadonlyArray<{ readonly topic: string; readonly partition: number }>): string {
  return tps
    .map((tp) => tpKey(tp.topic, tp.partition))
    .sort()
    .join(",");
}
