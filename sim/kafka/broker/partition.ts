/**
 * One partition as a broker hosts it (Kafka's `Partition` and `Replica`): the broker's role for it,
 * the leader and epochs it last learned from the metadata log, the committed ISR and any
 * AlterPartition proposal in flight, and, on the leader, the state it keeps per follower.
 *
 * The leader-side rules, from Partition.scala and Replica.scala (kafka-reference.md §1.3, §1.4):
 * - a follower counts as caught up when its LEO equals the leader's, or it was caught up within
 *   replica.lag.time.max.ms (`isCaughtUp`); each fetch moves `lastCaughtUpTimeUs` as
 *   `updateFetchStateOrThrow` does;
 * - the HW candidate is the smallest LEO among the maximal ISR (committed ISR plus pending adds)
 *   and the caught-up, ISR-eligible followers outside it; from 3.7 (KAFKA-15583) nothing moves
 *   while the committed ISR is smaller than min(min.insync.replicas, replication factor);
 * - shrink: ISR members that are not caught up; expand: a follower outside the ISR whose LEO is at
 *   least the HW and the start of the current leader epoch, and that is eligible (unfenced, not
 *   shutting down, broker epoch current);
 * - one AlterPartition in flight per partition; while it is, no other change is proposed.
 *
 * Pure functions over plain data plus a small class; the replica manager decides when to call
 * them. Simplifies: offsets only (Kafka compares log offset metadata: segment and position too).
 * Faults: none of its own.
 */
import { assert, assertSafeInt } from "../../engine/assert.ts";
import type { LeaderRecoveryState } from "../metadata/image.ts";
import { tpKey } from "../types.ts";
import type { ManagedLog } from "./log-manager.ts";

/** Kafka's UnifiedLog.UnknownOffset: a follower that has not fetched since this leader took over. */
export const UNKNOWN_OFFSET = -1;

export type PartitionRole = "leader" | "follower" | "none" | "offline";

/** The leader's view of one follower (Kafka's `ReplicaState`). */
export interface RemoteReplica {
  readonly brokerId: number;
  /** The follower's LEO as its last fetch offset told it; UNKNOWN_OFFSET before the first fetch. */
  leo: number;
  logStartOffset: number;
  /** The leader's LEO at the follower's previous fetch. */
  lastFetchLeaderLeo: number;
  lastFetchTimeUs: number;
  lastCaughtUpTimeUs: number;
  /** The broker epoch the follower's fetches carry; -1 until one does. */
  brokerEpoch: number;
}

/** An AlterPartition proposal waiting for the controller. */
export interface PendingIsrChange {
  readonly kind: "shrink" | "expand";
  readonly proposedIsr: readonly number[];
  /** Replicas being removed (shrink) or added (expand). */
  readonly changed: readonly number[];
  readonly leaderRecoveryState: LeaderRecoveryState;
  /** Set when the request is on the wire; undefined while waiting to be sent (or retried). */
  correlationId: number | undefined;
}

export class HostedPartition {
  readonly key: string;
  role: PartitionRole = "none";
  leaderId = -1;
  leaderEpoch = -1;
  partitionEpoch = -1;
  replicas: number[] = [];
  /** The committed ISR as this broker last learned it (leader: its own view). */
  isr: number[] = [];
  leaderRecoveryState: LeaderRecoveryState = "RECOVERED";
  pending: PendingIsrChange | undefined = undefined;
  /** Leader only: per follower, in replica order. */
  remotes = new Map<number, RemoteReplica>();
  /** Leader only: the log end offset when this broker took the current epoch. */
  leaderEpochStartOffset = 0;
  /** Leader only: the HW at the start of the epoch (hw-monotonic invariant). */
  hwAtEpochStart = 0;
  log: ManagedLog | undefined = undefined;

  constructor(
    readonly topic: string,
    readonly partition: number,
    public topicId: string,
  ) {
    this.key = tpKey(topic, partition);
  }

  get isLeader(): boolean {
    return this.role === "leader";
  }

  /** Committed ISR plus the replicas a pending expansion adds (a pending shrink keeps them). */
  maximalIsr(): number[] {
    const pending = this.pending;
    if (pending === undefined || pending.kind === "shrink") return this.isr;
    const out = this.isr.slice();
    for (const id of pending.changed) if (!out.includes(id)) out.push(id);
    return out;
  }
}

/** `ReplicaState.isCaughtUp`. */
export function isCaughtUp(
  remote: RemoteReplica,
  leaderLeo: number,
  nowUs: number,
  replicaLagUs: number,
): boolean {
  return leaderLeo === remote.leo || nowUs - remote.lastCaughtUpTimeUs <= replicaLagUs;
}

/** A remote replica that has never fetched from this leader. */
export function newRemote(brokerId: number): RemoteReplica {
  return {
    brokerId,
    leo: UNKNOWN_OFFSET,
    logStartOffset: UNKNOWN_OFFSET,
    lastFetchLeaderLeo: UNKNOWN_OFFSET,
    lastFetchTimeUs: 0,
    lastCaughtUpTimeUs: 0,
    brokerEpoch: -1,
  };
}

/**
 * `Replica.resetReplicaState`, when this broker becomes (or stays) leader under a new epoch. A new
 * leader forgets what it knew of the followers' LEOs, so the HW waits for every ISR member to fetch;
 * ISR members count as caught up now, others not at all.
 */
export function resetRemote(
  remote: RemoteReplica,
  nowUs: number,
  leaderEpochStartOffset: number,
  isNewLeader: boolean,
  inIsr: boolean,
): void {
  remote.lastCaughtUpTimeUs = inIsr ? nowUs : 0;
  if (isNewLeader) {
    remote.leo = UNKNOWN_OFFSET;
    remote.logStartOffset = UNKNOWN_OFFSET;
    remote.lastFetchLeaderLeo = UNKNOWN_OFFSET;
    remote.lastFetchTimeUs = 0;
    remote.brokerEpoch = -1;
  } else {
    remote.lastFetchLeaderLeo = leaderEpochStartOffset;
    remote.lastFetchTimeUs = inIsr ? nowUs : 0;
  }
}

/**
 * `Replica.updateFetchStateOrThrow`: a fetch at `fetchOffset` acknowledges everything below it.
 * `leaderLeo` is the leader's LEO when the fetch was read.
 */
export function updateFollowerFetchState(
  remote: RemoteReplica,
  fetchOffset: number,
  followerLogStartOffset: number,
  fetchTimeUs: number,
  leaderLeo: number,
  brokerEpoch: number,
): void {
  assertSafeInt(fetchOffset, "follower fetch offset");
  let caughtUp = remote.lastCaughtUpTimeUs;
  if (fetchOffset >= leaderLeo) caughtUp = Math.max(caughtUp, fetchTimeUs);
  else if (fetchOffset >= remote.lastFetchLeaderLeo)
    caughtUp = Math.max(caughtUp, remote.lastFetchTimeUs);
  remote.logStartOffset = followerLogStartOffset;
  remote.leo = fetchOffset;
  remote.lastFetchLeaderLeo = Math.max(leaderLeo, remote.lastFetchLeaderLeo);
  remote.lastFetchTimeUs = fetchTimeUs;
  remote.lastCaughtUpTimeUs = caughtUp;
  remote.brokerEpoch = brokerEpoch;
}

export interface HwRuleInput {
  readonly leaderLeo: number;
  readonly nowUs: number;
  readonly replicaLagUs: number;
  /** min(min.insync.replicas, replication factor). */
  readonly effectiveMinIsr: number;
  /** 3.7+: the HW stays while the committed ISR is smaller than effectiveMinIsr. */
  readonly minIsrHwGate: boolean;
  /** Unfenced, not shutting down, broker epoch current (KRaft `isReplicaIsrEligible`). */
  readonly isEligible: (remote: RemoteReplica) => boolean;
}

/**
 * `Partition.maybeIncrementLeaderHW`'s candidate: the HW the leader may move to, or undefined when
 * the 3.7 gate holds it. The caller keeps max(current HW, candidate): the leader's HW never goes
 * back.
 */
export function leaderHwCandidate(p: HostedPartition, input: HwRuleInput): number | undefined {
  if (input.minIsrHwGate && p.isr.length < input.effectiveMinIsr) return undefined;
  const maximal = p.maximalIsr();
  let hw = input.leaderLeo;
  for (const remote of p.remotes.values()) {
    if (remote.leo >= hw) continue;
    const waitForIt =
      maximal.includes(remote.brokerId) ||
      (isCaughtUp(remote, input.leaderLeo, input.nowUs, input.replicaLagUs) &&
        input.isEligible(remote));
    if (waitForIt) hw = remote.leo;
  }
  return hw;
}

/** `getOutOfSyncReplicas`: ISR followers that are no longer caught up (none while a change is pending). */
export function outOfSyncReplicas(
  p: HostedPartition,
  localBrokerId: number,
  leaderLeo: number,
  nowUs: number,
  replicaLagUs: number,
): number[] {
  if (p.pending !== undefined) return [];
  const out: number[] = [];
  for (const id of p.isr) {
    if (id === localBrokerId) continue;
    const remote = p.remotes.get(id);
    if (remote === undefined || !isCaughtUp(remote, leaderLeo, nowUs, replicaLagUs)) out.push(id);
  }
  return out;
}

/** `needsExpandIsr`: not in the ISR, nothing pending, eligible, LEO ≥ HW and ≥ epoch start. */
export function shouldExpandIsr(
  p: HostedPartition,
  remote: RemoteReplica,
  highWatermark: number,
  eligible: boolean,
): boolean {
  return (
    p.pending === undefined &&
    !p.isr.includes(remote.brokerId) &&
    eligible &&
    remote.leo >= highWatermark &&
    remote.leo >= p.leaderEpochStartOffset
  );
}

/** Asserts the ISR is a subset of the replicas (both sides of the pair are checked on change). */
export function checkIsrSubset(p: HostedPartition): void {
  for (const id of p.isr) {
    assert(
      p.replicas.includes(id),
      () => `${p.key}: ISR ${p.isr} not within replicas ${p.replicas}`,
    );
  }
}
