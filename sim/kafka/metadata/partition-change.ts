/**
 * Leader election and ISR/ELR changes as the KRaft controller computes them: Kafka's
 * `PartitionChangeBuilder` (metadata/.../controller/PartitionChangeBuilder.java, the 4.x form with
 * the last-known-leader recovery) and the parts of `ReplicationControlManager` that drive it
 * (broker fenced / unfenced / controlled shutdown / unclean shutdown, AlterPartition, ElectLeaders,
 * partition reassignment, the preferred-leader balancer). Pure functions over a MetadataImage:
 * they return the records to append; the caller applies them.
 *
 * Election (`electAnyLeader`): keep the current leader if still valid; else the first valid
 * replica in assignment order (valid = in the target ISR, or in the ELR when the ISR is empty, and
 * acceptable: registered, unfenced, not shutting down); else (ELR on, ISR and ELR empty, exactly one
 * last known leader) that last known leader, as an unclean election; else, for an unclean election,
 * the first acceptable replica, which becomes the sole ISR member with leaderRecoveryState
 * RECOVERING; else no leader (-1). Without ELR the ISR is never emptied: the last member stays
 * ("last replica standing").
 *
 * Simplifies: no log directories (a replica on an offline directory is not excluded), no ZK
 * migration, metadata version fixed at "leader recovery supported"; Kafka checks the broker epoch
 * of each ISR member only from AlterPartition v3 (pass -1 to skip it, as older requests do).
 * Partitions are visited in topic-creation then partition-id order (Kafka: its BrokersToIsrs map
 * order), which changes only the order of records, never the resulting state.
 *
 * Faults it reacts to: broker fencing (session expiry), controlled shutdown, a registration after an
 * unclean shutdown, stale AlterPartition requests (zombie leaders, lost responses).
 */
import { assert } from "../../engine/assert.ts";
import type { BrokerId } from "../types.ts";
import {
  type BrokerRegistrationChangeRecord,
  type ControllerError,
  javaHashMapCapacity,
  javaHashOrder,
  javaHashSetInitialCapacity,
  javaIntegerHash,
  type LeaderRecoveryState,
  type MetadataImage,
  type MetadataRecord,
  mergePartitionChange,
  NO_LEADER,
  type PartitionChangeRecord,
  type PartitionRecord,
  type PartitionState,
  type TopicImage,
} from "./image.ts";

/** clean = Kafka's ONLINE election; unclean = UNCLEAN; preferred = PREFERRED. */
export type ElectionType = "clean" | "unclean" | "preferred";

/** A PartitionChangeRecord without its address. Absent fields are unchanged. */
export type PartitionChange = Omit<PartitionChangeRecord, "type" | "topicId" | "partitionId">;

type MutablePartitionChange = { -readonly [K in keyof PartitionChange]: PartitionChange[K] };

export interface PartitionChangeInput {
  /** Alive, unfenced, not shutting down (and not the broker being removed). */
  readonly isAcceptableLeader: (brokerId: BrokerId) => boolean;
  /** The topic's effective min.insync.replicas (the ELR is kept while ISR < minIsr). */
  readonly minIsr: number;
  /** KIP-966 (eligible.leader.replicas.version=1 in 4.0). */
  readonly elrEnabled: boolean;
  readonly election: ElectionType;
  /** Metadata versions before 3.6 (KAFKA-15021) bump the leader epoch when the ISR shrinks. */
  readonly leaderEpochBumpOnIsrShrink?: boolean;
  /** Kafka's default true: lastKnownElr holds the last leader, electable when ISR and ELR are empty. */
  readonly useLastKnownLeaderInBalancedRecovery?: boolean;
  readonly targetIsr?: readonly BrokerId[];
  readonly targetReplicas?: readonly BrokerId[];
  readonly targetRemoving?: readonly BrokerId[];
  readonly targetAdding?: readonly BrokerId[];
  readonly targetLeaderRecoveryState?: LeaderRecoveryState;
  /** Replicas known to have lost unflushed data: never kept in the ELR. */
  readonly uncleanShutdownReplicas?: readonly BrokerId[];
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function containsAll(list: readonly number[], required: readonly number[]): boolean {
  return required.every((id) => list.includes(id));
}

function without(list: readonly number[], removed: readonly number[]): number[] {
  return list.filter((id) => !removed.includes(id));
}

interface ElectionResult {
  readonly node: number;
  readonly unclean: boolean;
}

/** `PartitionReassignmentReplicas.maybeCompleteReassignment`. */
function completedReassignment(
  removing: readonly number[],
  adding: readonly number[],
  replicas: readonly number[],
  targetIsr: readonly number[],
): { replicas: number[]; isr: number[] } | null {
  if (removing.length === 0 && adding.length === 0) return null;
  let isr = targetIsr.slice();
  let finalReplicas = replicas.slice();
  if (removing.length > 0) {
    isr = without(targetIsr, removing);
    if (isr.length === 0) return null;
    finalReplicas = without(replicas, removing);
    if (finalReplicas.length === 0) return null;
  }
  if (!containsAll(isr, finalReplicas)) return null;
  return { replicas: finalReplicas, isr };
}

/**
 * `PartitionChangeBuilder.build()`: the change to apply to `partition`, or null when nothing
 * changes. Steps in Kafka's order: complete a reassignment the ISR allows, recompute the ELR,
 * elect, bump the leader epoch for a replica removal (and an ISR shrink if asked), then ISR,
 * last known leader, assignment and leader recovery state.
 */
export function buildPartitionChange(
  partition: PartitionState,
  input: PartitionChangeInput,
): PartitionChange | null {
  const useLastKnownLeader = input.useLastKnownLeaderInBalancedRecovery ?? true;
  // Target lists are never mutated in place, only replaced, so they may share the inputs' arrays.
  let targetIsr: readonly number[] = input.targetIsr ?? partition.isr;
  let targetReplicas: readonly number[] = input.targetReplicas ?? partition.replicas;
  let targetRemoving: readonly number[] = input.targetRemoving ?? partition.removingReplicas;
  let targetAdding: readonly number[] = input.targetAdding ?? partition.addingReplicas;
  let targetElr: readonly number[] = partition.elr;
  let targetLastKnownElr: readonly number[] = partition.lastKnownElr;
  const targetRecovery = input.targetLeaderRecoveryState ?? partition.leaderRecoveryState;
  const change: MutablePartitionChange = {};

  if (targetRemoving.length > 0 || targetAdding.length > 0) {
    const completed = completedReassignment(
      targetRemoving,
      targetAdding,
      targetReplicas,
      targetIsr,
    );
    if (completed !== null) {
      targetIsr = completed.isr;
      targetReplicas = completed.replicas;
      targetRemoving = [];
      targetAdding = [];
    }
  }

  if (input.elrEnabled) {
    if (targetIsr.length >= input.minIsr) {
      targetElr = [];
      targetLastKnownElr = [];
    } else {
      const populated = populateElr(partition, targetIsr, targetElr, targetLastKnownElr, input);
      targetElr = populated.elr;
      targetLastKnownElr = populated.lastKnownElr;
    }
  }

  const elected = electLeader(partition, input, targetIsr, targetElr, targetReplicas);
  if (elected.node !== partition.leader) {
    if (targetElr.includes(elected.node)) {
      targetIsr = [elected.node];
      targetElr = targetElr.filter((replica) => replica !== elected.node);
    }
    change.leader = elected.node;
    if (elected.unclean) {
      // The new leader's log becomes the truth: it is the whole ISR (committed data may be lost).
      change.isr = [elected.node];
      if (partition.leaderRecoveryState !== "RECOVERING") change.leaderRecoveryState = "RECOVERING";
    }
  }

  // A replica leaving the assignment must not keep fetching under the old epoch.
  if (change.leader === undefined && !containsAll(targetReplicas, partition.replicas)) {
    change.leader = partition.leader;
  }

  // maybeUpdateRecordElr
  if (change.isr !== undefined || !input.elrEnabled) {
    targetElr = [];
    targetLastKnownElr = [];
  }
  if (!sameList(targetElr, partition.elr)) change.eligibleLeaderReplicas = targetElr;
  if (!useLastKnownLeader && !sameList(targetLastKnownElr, partition.lastKnownElr)) {
    change.lastKnownElr = targetLastKnownElr;
  }

  // Without ELR the ISR never becomes empty.
  if (
    change.isr === undefined &&
    (targetIsr.length > 0 || input.elrEnabled) &&
    !sameList(targetIsr, partition.isr)
  ) {
    change.isr = targetIsr;
  }

  if (
    input.leaderEpochBumpOnIsrShrink === true &&
    change.leader === undefined &&
    change.isr !== undefined &&
    !containsAll(change.isr, partition.isr)
  ) {
    change.leader = partition.leader;
  }

  if (useLastKnownLeader && input.elrEnabled) updateLastKnownLeader(partition, change);

  if (targetReplicas.length > 0 && !sameList(targetReplicas, partition.replicas)) {
    change.replicas = targetReplicas;
  }
  if (!sameList(targetRemoving, partition.removingReplicas))
    change.removingReplicas = targetRemoving;
  if (!sameList(targetAdding, partition.addingReplicas)) change.addingReplicas = targetAdding;
  if (targetRecovery !== partition.leaderRecoveryState) change.leaderRecoveryState = targetRecovery;

  for (const _field in change) return change;
  return null;
}

/** In the target ISR, or in the ELR when the ISR is empty, and acceptable. */
function isValidNewLeader(
  replica: number,
  input: PartitionChangeInput,
  targetIsr: readonly number[],
  targetElr: readonly number[],
): boolean {
  return (
    (targetIsr.includes(replica) || (targetIsr.length === 0 && targetElr.includes(replica))) &&
    input.isAcceptableLeader(replica)
  );
}

/** `electPreferredLeader` / `electAnyLeader`. */
function electLeader(
  partition: PartitionState,
  input: PartitionChangeInput,
  targetIsr: readonly number[],
  targetElr: readonly number[],
  targetReplicas: readonly number[],
): ElectionResult {
  if (input.election === "preferred") {
    const preferred = targetReplicas[0];
    assert(preferred !== undefined, "a partition has at least one replica");
    if (isValidNewLeader(preferred, input, targetIsr, targetElr)) {
      return { node: preferred, unclean: false };
    }
  }
  if (isValidNewLeader(partition.leader, input, targetIsr, targetElr)) {
    return { node: partition.leader, unclean: false };
  }
  for (const replica of targetReplicas) {
    if (isValidNewLeader(replica, input, targetIsr, targetElr))
      return { node: replica, unclean: false };
  }
  if (
    input.elrEnabled &&
    (input.useLastKnownLeaderInBalancedRecovery ?? true) &&
    targetElr.length === 0 &&
    targetIsr.length === 0 &&
    // Kafka elects it whether or not it is alive: the partition then waits for that broker, as
    // before ELR ("last replica standing").
    partition.lastKnownElr.length === 1
  ) {
    return { node: partition.lastKnownElr[0] as number, unclean: true };
  }
  if (input.election === "unclean") {
    for (const replica of targetReplicas) {
      if (input.isAcceptableLeader(replica)) return { node: replica, unclean: true };
    }
  }
  return { node: NO_LEADER, unclean: false };
}

/**
 * `maybePopulateTargetElr` while ISR < minIsr: ELR = (ELR ∪ old ISR) − target ISR − unclean
 * shutdowns; lastKnownElr = (that union ∪ lastKnownElr) − target ISR − ELR. Kafka builds both from a
 * HashSet, so their order is the HashSet's (ascending for broker ids below 16).
 */
function populateElr(
  partition: PartitionState,
  targetIsr: readonly number[],
  targetElr: readonly number[],
  targetLastKnownElr: readonly number[],
  input: PartitionChangeInput,
): { elr: number[]; lastKnownElr: number[] } {
  const initialCapacity = javaHashSetInitialCapacity(targetElr.length);
  const inserted = [...targetElr, ...partition.isr];
  const unclean = input.uncleanShutdownReplicas ?? [];
  const elr = javaHashOrder(
    inserted,
    javaIntegerHash,
    javaHashMapCapacity(new Set(inserted).size, initialCapacity),
  ).filter((replica) => !targetIsr.includes(replica) && !unclean.includes(replica));
  const insertedMore = [...inserted, ...targetLastKnownElr];
  const lastKnownElr = javaHashOrder(
    insertedMore,
    javaIntegerHash,
    javaHashMapCapacity(new Set(insertedMore).size, initialCapacity),
  ).filter((replica) => !targetIsr.includes(replica) && !elr.includes(replica));
  return { elr, lastKnownElr };
}

/** `maybeUpdateLastKnownLeader`: remember the leader when the ISR first empties; forget it once led. */
function updateLastKnownLeader(partition: PartitionState, change: MutablePartitionChange): void {
  // Kafka's record carries -2 (NO_LEADER_CHANGE) where we leave the field out.
  const recordLeader = change.leader ?? -2;
  if (
    change.isr !== undefined &&
    change.isr.length === 0 &&
    (partition.lastKnownElr.length !== 1 || partition.lastKnownElr[0] !== partition.leader)
  ) {
    change.lastKnownElr = [partition.leader];
  } else if (
    (recordLeader >= 0 || (partition.leader !== NO_LEADER && recordLeader !== NO_LEADER)) &&
    partition.lastKnownElr.length > 0
  ) {
    change.lastKnownElr = [];
  }
}

/** Returns a new partition state with `change` applied (the image applies it in place). */
export function applyPartitionChange(
  partition: PartitionState,
  change: PartitionChange,
): PartitionState {
  const next: PartitionState = {
    ...partition,
    replicas: partition.replicas.slice(),
    isr: partition.isr.slice(),
    elr: partition.elr.slice(),
    lastKnownElr: partition.lastKnownElr.slice(),
    addingReplicas: partition.addingReplicas.slice(),
    removingReplicas: partition.removingReplicas.slice(),
  };
  mergePartitionChange(next, change);
  return next;
}

// ---------------------------------------------------------------- controller operations

/** What the controller knows beyond the image: feature flags and per-topic configs. */
export interface ControllerPolicy {
  readonly elrEnabled: boolean;
  readonly leaderEpochBumpOnIsrShrink: boolean;
  readonly useLastKnownLeaderInBalancedRecovery?: boolean;
  /** The topic's effective min.insync.replicas. */
  minIsrOf(topic: string): number;
  /** The topic's effective unclean.leader.election.enable. */
  uncleanLeaderElectionEnabledOf(topic: string): boolean;
}

function record(
  topic: TopicImage,
  partitionId: number,
  change: PartitionChange,
): PartitionChangeRecord {
  return { type: "PartitionChangeRecord", topicId: topic.topicId, partitionId, ...change };
}

function baseInput(
  topic: TopicImage,
  policy: ControllerPolicy,
  isAcceptableLeader: (brokerId: BrokerId) => boolean,
  election: ElectionType,
): PartitionChangeInput {
  return {
    isAcceptableLeader,
    minIsr: policy.minIsrOf(topic.name),
    elrEnabled: policy.elrEnabled,
    election,
    leaderEpochBumpOnIsrShrink: policy.leaderEpochBumpOnIsrShrink,
    useLastKnownLeaderInBalancedRecovery: policy.useLastKnownLeaderInBalancedRecovery ?? true,
  };
}

function topicElection(topic: TopicImage, policy: ControllerPolicy): ElectionType {
  return policy.uncleanLeaderElectionEnabledOf(topic.name) ? "unclean" : "clean";
}

interface LeaderAndIsrUpdate {
  /** Removed from every target ISR and never acceptable as leader (NO_LEADER = none). */
  readonly brokerToRemove: BrokerId;
  /** Acceptable as leader even though the image still shows it fenced (NO_LEADER = none). */
  readonly brokerToAdd: BrokerId;
  /** Removed from ISR and ELR, never acceptable (NO_LEADER = none). */
  readonly brokerWithUncleanShutdown: BrokerId;
}

/** `ReplicationControlManager.generateLeaderAndIsrUpdates` over the partitions `select` picks. */
function generateLeaderAndIsrUpdates(
  image: MetadataImage,
  update: LeaderAndIsrUpdate,
  policy: ControllerPolicy,
  select: (state: PartitionState) => boolean,
): PartitionChangeRecord[] {
  const { brokerToRemove, brokerToAdd, brokerWithUncleanShutdown } = update;
  const isAcceptableLeader = (replica: BrokerId): boolean =>
    replica !== brokerToRemove &&
    replica !== brokerWithUncleanShutdown &&
    (replica === brokerToAdd || image.isActive(replica));
  const removed = [brokerToRemove, brokerWithUncleanShutdown].filter((id) => id !== NO_LEADER);
  const uncleanShutdownReplicas =
    brokerWithUncleanShutdown === NO_LEADER ? undefined : [brokerWithUncleanShutdown];
  const records: PartitionChangeRecord[] = [];
  let topicInput: PartitionChangeInput | undefined;
  let inputTopic: TopicImage | undefined;
  image.forEachPartition((topic, partitionId, state) => {
    if (!select(state)) return;
    if (inputTopic !== topic) {
      inputTopic = topic;
      topicInput = baseInput(topic, policy, isAcceptableLeader, topicElection(topic, policy));
    }
    const common = topicInput as PartitionChangeInput;
    // One object literal of a fixed shape per partition (this runs for every partition a fenced
    // broker replicates: 100,000 in a large cluster).
    const change = buildPartitionChange(state, {
      isAcceptableLeader,
      minIsr: common.minIsr,
      elrEnabled: common.elrEnabled,
      election: common.election,
      leaderEpochBumpOnIsrShrink: common.leaderEpochBumpOnIsrShrink,
      useLastKnownLeaderInBalancedRecovery: common.useLastKnownLeaderInBalancedRecovery,
      targetIsr: without(state.isr, removed),
      uncleanShutdownReplicas,
    });
    if (change !== null) records.push(record(topic, partitionId, change));
  });
  return records;
}

function registration(image: MetadataImage, brokerId: BrokerId) {
  const broker = image.brokers.get(brokerId);
  assert(broker?.registered === true, () => `broker ${brokerId} is not registered`);
  return broker;
}

/**
 * `handleBrokerFenced` (session expired, or SHUTDOWN_NOW): remove the broker from every ISR, elect
 * new leaders where it led, then fence it.
 */
export function onBrokerFenced(
  image: MetadataImage,
  brokerId: BrokerId,
  policy: ControllerPolicy,
): MetadataRecord[] {
  const broker = registration(image, brokerId);
  const records: MetadataRecord[] = generateLeaderAndIsrUpdates(
    image,
    { brokerToRemove: brokerId, brokerToAdd: NO_LEADER, brokerWithUncleanShutdown: NO_LEADER },
    policy,
    (state) => state.isr.includes(brokerId),
  );
  const fence: BrokerRegistrationChangeRecord = {
    type: "BrokerRegistrationChangeRecord",
    brokerId,
    brokerEpoch: broker.brokerEpoch,
    fenced: true,
  };
  records.push(fence);
  return records;
}

/** `handleBrokerUnfenced`: unfence, then elect leaders for every partition that has none. */
export function onBrokerUnfenced(
  image: MetadataImage,
  brokerId: BrokerId,
  policy: ControllerPolicy,
): MetadataRecord[] {
  const broker = registration(image, brokerId);
  const unfence: BrokerRegistrationChangeRecord = {
    type: "BrokerRegistrationChangeRecord",
    brokerId,
    brokerEpoch: broker.brokerEpoch,
    fenced: false,
  };
  return [
    unfence,
    ...generateLeaderAndIsrUpdates(
      image,
      { brokerToRemove: NO_LEADER, brokerToAdd: brokerId, brokerWithUncleanShutdown: NO_LEADER },
      policy,
      (state) => state.leader === NO_LEADER,
    ),
  ];
}

/**
 * `handleBrokerInControlledShutdown`: mark the broker, then move leadership away and drop it from
 * ISRs. Where it is the last ISR member (and ELR is off) the ISR keeps it and the partition goes
 * offline.
 */
export function onControlledShutdown(
  image: MetadataImage,
  brokerId: BrokerId,
  policy: ControllerPolicy,
): MetadataRecord[] {
  const broker = registration(image, brokerId);
  const records: MetadataRecord[] = [];
  if (!broker.inControlledShutdown) {
    records.push({
      type: "BrokerRegistrationChangeRecord",
      brokerId,
      brokerEpoch: broker.brokerEpoch,
      inControlledShutdown: true,
    });
  }
  records.push(
    ...generateLeaderAndIsrUpdates(
      image,
      { brokerToRemove: brokerId, brokerToAdd: NO_LEADER, brokerWithUncleanShutdown: NO_LEADER },
      policy,
      (state) => state.isr.includes(brokerId),
    ),
  );
  return records;
}

/**
 * `handleBrokerUncleanShutdown`: a broker re-registered after losing unflushed data; remove it
 * from every ISR and ELR. Kafka calls this when the metadata version supports ELR (3.7+), whether
 * or not ELR is enabled; without ELR it changes nothing where the broker is the last ISR member.
 */
export function onBrokerUncleanShutdown(
  image: MetadataImage,
  brokerId: BrokerId,
  policy: ControllerPolicy,
): PartitionChangeRecord[] {
  const update = {
    brokerToRemove: NO_LEADER,
    brokerToAdd: NO_LEADER,
    brokerWithUncleanShutdown: brokerId,
  };
  return [
    ...generateLeaderAndIsrUpdates(image, update, policy, (state) => state.isr.includes(brokerId)),
    ...generateLeaderAndIsrUpdates(image, update, policy, (state) => state.elr.includes(brokerId)),
  ];
}

// ---------------------------------------------------------------- AlterPartition

export interface AlterPartitionRequest {
  /** The requesting leader. */
  readonly brokerId: BrokerId;
  readonly brokerEpoch: number;
  readonly topicName: string;
  readonly partitionId: number;
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
  /** Proposed ISR, in the leader's order; brokerEpoch -1 skips that member's epoch check. */
  readonly newIsrWithEpochs: readonly {
    readonly brokerId: BrokerId;
    readonly brokerEpoch: number;
  }[];
  readonly leaderRecoveryState: LeaderRecoveryState;
  /** AlterPartition request version; 3 by default (errors differ below 2). */
  readonly requestVersion?: number;
}

export interface AlterPartitionResult {
  readonly error: ControllerError;
  /** Present when the request changed the partition (also with NEW_LEADER_ELECTED). */
  readonly record?: PartitionChangeRecord;
  /** The partition after the change, when error is NONE. */
  readonly leaderId?: number;
  readonly isr?: readonly number[];
  readonly leaderEpoch?: number;
  readonly partitionEpoch?: number;
  readonly leaderRecoveryState?: LeaderRecoveryState;
}

/** `Replicas.validateIsr`: distinct, non-negative members, all of them replicas. */
function isValidIsr(replicas: readonly number[], isr: readonly number[]): boolean {
  if (isr.length === 0) return true;
  if (isr.some((id) => id < 0 || !replicas.includes(id))) return false;
  return new Set(isr).size === isr.length;
}

/** `validateAlterPartitionData`, in Kafka's order of checks. */
function validateAlterPartition(
  image: MetadataImage,
  partition: PartitionState | undefined,
  request: AlterPartitionRequest,
): ControllerError {
  if (partition === undefined) return "UNKNOWN_TOPIC_OR_PARTITION";
  // A requester ahead of us means we are a stale controller: let it find the new one.
  if (request.leaderEpoch > partition.leaderEpoch) return "NOT_CONTROLLER";
  if (request.partitionEpoch > partition.partitionEpoch) return "NOT_CONTROLLER";
  if (request.leaderEpoch < partition.leaderEpoch) return "FENCED_LEADER_EPOCH";
  if (request.brokerId !== partition.leader) return "INVALID_REQUEST";
  if (request.partitionEpoch < partition.partitionEpoch) return "INVALID_UPDATE_VERSION";
  const newIsr = request.newIsrWithEpochs.map((member) => member.brokerId);
  if (!isValidIsr(partition.replicas, newIsr)) return "INVALID_REQUEST";
  if (!newIsr.includes(partition.leader)) return "INVALID_REQUEST";
  if (request.leaderRecoveryState === "RECOVERING" && newIsr.length > 1) return "INVALID_REQUEST";
  if (
    partition.leaderRecoveryState === "RECOVERED" &&
    request.leaderRecoveryState === "RECOVERING"
  ) {
    return "INVALID_REQUEST";
  }
  const ineligible = request.newIsrWithEpochs.some((member) => {
    const broker = image.brokers.get(member.brokerId);
    return (
      broker === undefined ||
      !broker.registered ||
      broker.inControlledShutdown ||
      broker.fenced ||
      (member.brokerEpoch !== -1 && member.brokerEpoch !== broker.brokerEpoch)
    );
  });
  if (ineligible)
    return (request.requestVersion ?? 3) > 1 ? "INELIGIBLE_REPLICA" : "OPERATION_NOT_ATTEMPTED";
  return "NONE";
}

/**
 * `ReplicationControlManager.alterPartition` for one partition: validate, then build the change
 * with the proposed ISR. If the change completes a reassignment that moves leadership away from
 * the requester, the record is still returned with NEW_LEADER_ELECTED (FENCED_LEADER_EPOCH for
 * request versions 0-1).
 */
export function alterPartition(
  image: MetadataImage,
  request: AlterPartitionRequest,
  policy: ControllerPolicy,
): AlterPartitionResult {
  const requester = image.brokers.get(request.brokerId);
  if (
    requester === undefined ||
    !requester.registered ||
    requester.brokerEpoch !== request.brokerEpoch
  ) {
    return { error: "STALE_BROKER_EPOCH" };
  }
  const topic = image.topicByName(request.topicName);
  const partition = topic?.partitions[request.partitionId];
  const error = validateAlterPartition(image, partition, request);
  if (error !== "NONE") return { error };
  assert(topic !== undefined && partition !== undefined, "validated above");
  const change = buildPartitionChange(partition, {
    ...baseInput(topic, policy, (id) => image.isActive(id), topicElection(topic, policy)),
    targetIsr: request.newIsrWithEpochs.map((member) => member.brokerId),
    targetLeaderRecoveryState: request.leaderRecoveryState,
  });
  let after = partition;
  let changeRecord: PartitionChangeRecord | undefined;
  if (change !== null) {
    changeRecord = record(topic, request.partitionId, change);
    after = applyPartitionChange(partition, change);
    if (change.leader !== undefined && change.leader !== request.brokerId) {
      const newLeaderError =
        (request.requestVersion ?? 3) > 1 ? "NEW_LEADER_ELECTED" : "FENCED_LEADER_EPOCH";
      return { error: newLeaderError, record: changeRecord };
    }
  }
  return {
    error: "NONE",
    ...(changeRecord === undefined ? {} : { record: changeRecord }),
    leaderId: after.leader,
    isr: after.isr.slice(),
    leaderEpoch: after.leaderEpoch,
    partitionEpoch: after.partitionEpoch,
    leaderRecoveryState: after.leaderRecoveryState,
  };
}

// ---------------------------------------------------------------- elections on demand

export interface ElectLeaderResult {
  readonly error: ControllerError;
  readonly message?: string;
  readonly record?: PartitionChangeRecord;
}

/**
 * `ReplicationControlManager.electLeader` (kafka-leader-election.sh, the ElectLeaders API):
 * PREFERRED elects replicas[0] if it is valid, UNCLEAN elects any alive replica when the partition
 * has no leader. ELECTION_NOT_NEEDED when the preferred replica already leads (preferred) or a
 * leader exists (unclean).
 */
export function electLeaderOnDemand(
  image: MetadataImage,
  topicName: string,
  partitionId: number,
  electionType: "preferred" | "unclean",
  policy: ControllerPolicy,
): ElectLeaderResult {
  const topic = image.topicByName(topicName);
  if (topic === undefined) {
    return { error: "UNKNOWN_TOPIC_OR_PARTITION", message: `No such topic as ${topicName}` };
  }
  const partition = topic.partitions[partitionId];
  if (partition === undefined) {
    return {
      error: "UNKNOWN_TOPIC_OR_PARTITION",
      message: `No such partition as ${topicName}-${partitionId}`,
    };
  }
  const hasPreferredLeader = partition.leader === partition.replicas[0];
  if (
    (electionType === "preferred" && hasPreferredLeader) ||
    (electionType === "unclean" && partition.leader !== NO_LEADER)
  ) {
    return { error: "ELECTION_NOT_NEEDED" };
  }
  const change = buildPartitionChange(
    partition,
    baseInput(topic, policy, (id) => image.isActive(id), electionType),
  );
  if (change === null) {
    return {
      error:
        electionType === "preferred"
          ? "PREFERRED_LEADER_NOT_AVAILABLE"
          : "ELIGIBLE_LEADERS_NOT_AVAILABLE",
    };
  }
  return { error: "NONE", record: record(topic, partitionId, change) };
}

/** Kafka's `MAX_ELECTIONS_PER_IMBALANCE`. */
export const MAX_ELECTIONS_PER_IMBALANCE = 1000;

/**
 * `maybeBalancePartitionLeaders` (auto.leader.rebalance.enable): a preferred election for each
 * partition whose leader is not replicas[0], at most `maxElections` records per call.
 * `rescheduleImmediately` says more may remain.
 */
export function balancePartitionLeaders(
  image: MetadataImage,
  policy: ControllerPolicy,
  maxElections = MAX_ELECTIONS_PER_IMBALANCE,
): { records: PartitionChangeRecord[]; rescheduleImmediately: boolean } {
  const records: PartitionChangeRecord[] = [];
  let rescheduleImmediately = false;
  const isActive = (id: BrokerId): boolean => image.isActive(id);
  image.forEachPartition((topic, partitionId, state) => {
    if (rescheduleImmediately || state.leader === state.replicas[0]) return;
    if (records.length >= maxElections) {
      rescheduleImmediately = true;
      return;
    }
    const change = buildPartitionChange(state, baseInput(topic, policy, isActive, "preferred"));
    if (change !== null) records.push(record(topic, partitionId, change));
  });
  return { records, rescheduleImmediately };
}

// ---------------------------------------------------------------- topic creation

export type PartitionRecordResult =
  | { readonly ok: true; readonly record: PartitionRecord }
  | { readonly ok: false; readonly error: ControllerError; readonly message: string };

/**
 * `buildPartitionRegistration` for a new partition: ISR = the active replicas in assignment order,
 * leader = the first of them, epochs 0.
 */
export function newPartitionRecord(
  image: MetadataImage,
  topicId: string,
  partitionId: number,
  replicas: readonly BrokerId[],
): PartitionRecordResult {
  const isr = replicas.filter((id) => image.isActive(id));
  const leader = isr[0];
  if (leader === undefined) {
    return {
      ok: false,
      error: "INVALID_REPLICATION_FACTOR",
      message: `Unable to replicate the partition ${replicas.length} time(s): All brokers are currently fenced or in controlled shutdown.`,
    };
  }
  return {
    ok: true,
    record: {
      type: "PartitionRecord",
      topicId,
      partitionId,
      replicas: replicas.slice(),
      isr,
      removingReplicas: [],
      addingReplicas: [],
      leader,
      leaderRecoveryState: "RECOVERED",
      leaderEpoch: 0,
      partitionEpoch: 0,
    },
  };
}

// ---------------------------------------------------------------- reassignment

export interface ReassignmentResult {
  readonly error: ControllerError;
  readonly message?: string;
  /** Absent when nothing changes (or on error). */
  readonly record?: PartitionChangeRecord;
}

/** `validateManualPartitionAssignment` without a replication factor to match. */
function validateAssignment(image: MetadataImage, replicas: readonly BrokerId[]): string | null {
  if (replicas.length === 0)
    return "The manual partition assignment includes an empty replica list.";
  const sorted = replicas.slice().sort((a, b) => a - b);
  let previous: number | undefined;
  for (const id of sorted) {
    if (image.brokers.get(id)?.registered !== true) {
      return `The manual partition assignment includes broker ${id}, but no such broker is registered.`;
    }
    if (id === previous) {
      return `The manual partition assignment includes the broker ${id} more than once.`;
    }
    previous = id;
  }
  return null;
}

/**
 * `alterPartitionReassignment` (kafka-reassign-partitions.sh, AlterPartitionReassignments):
 * step 1 puts target ∪ current into `replicas` (target first, then the removed ones), with
 * `addingReplicas` and `removingReplicas` set (both sorted, as Kafka's TreeSet makes them).
 * Step 2 waits: the leader's AlterPartition adds the new replicas to the ISR. Step 3 happens in
 * buildPartitionChange as soon as the ISR holds every target replica: replicas = target, adding and
 * removing cleared, leadership moved if the leader was removed, leader epoch bumped because
 * replicas left. `targetReplicas` null cancels (reverts) an ongoing reassignment.
 */
export function alterPartitionReassignment(
  image: MetadataImage,
  topicName: string,
  partitionId: number,
  targetReplicas: readonly BrokerId[] | null,
  policy: ControllerPolicy,
): ReassignmentResult {
  const topic = image.topicByName(topicName);
  if (topic === undefined) {
    return {
      error: "UNKNOWN_TOPIC_OR_PARTITION",
      message: `Unable to find a topic named ${topicName}.`,
    };
  }
  const partition = topic.partitions[partitionId];
  if (partition === undefined) {
    return {
      error: "UNKNOWN_TOPIC_OR_PARTITION",
      message: `Unable to find partition ${topicName}:${partitionId}.`,
    };
  }
  const isActive = (id: BrokerId): boolean => image.isActive(id);
  if (targetReplicas === null)
    return cancelReassignment(topic, partitionId, partition, policy, isActive);

  const invalid = validateAssignment(image, targetReplicas);
  if (invalid !== null) return { error: "INVALID_REPLICA_ASSIGNMENT", message: invalid };
  const current = partition.replicas;
  const removing = current.filter((id) => !targetReplicas.includes(id)).sort((a, b) => a - b);
  const adding = targetReplicas.filter((id) => !current.includes(id)).sort((a, b) => a - b);
  const replicas = [...targetReplicas, ...removing];
  const change = buildPartitionChange(partition, {
    ...baseInput(topic, policy, isActive, "clean"),
    ...(sameList(replicas, current) ? {} : { targetReplicas: replicas }),
    ...(removing.length === 0 ? {} : { targetRemoving: removing }),
    ...(adding.length === 0 ? {} : { targetAdding: adding }),
  });
  return change === null
    ? { error: "NONE" }
    : { error: "NONE", record: record(topic, partitionId, change) };
}

/** `cancelPartitionReassignment` with `PartitionReassignmentRevert`. */
function cancelReassignment(
  topic: TopicImage,
  partitionId: number,
  partition: PartitionState,
  policy: ControllerPolicy,
  isActive: (id: BrokerId) => boolean,
): ReassignmentResult {
  if (partition.addingReplicas.length === 0 && partition.removingReplicas.length === 0) {
    return {
      error: "NO_REASSIGNMENT_IN_PROGRESS",
      message: "No partition reassignment is in progress.",
    };
  }
  const replicas = without(partition.replicas, partition.addingReplicas);
  let isr = without(partition.isr, partition.addingReplicas);
  let unclean = false;
  if (isr.length === 0) {
    // Every ISR member was being added: keeping the first original replica is an unclean choice.
    assert(
      replicas.length > 0,
      "Invalid replica assignment: addingReplicas contains all replicas.",
    );
    isr = [replicas[0] as number];
    unclean = true;
  }
  const uncleanAllowed = policy.uncleanLeaderElectionEnabledOf(topic.name);
  if (unclean && !uncleanAllowed) {
    return {
      error: "INVALID_REPLICA_ASSIGNMENT",
      message: `Unable to revert partition assignment for ${topic.name}:${partitionId} because it would require an unclean leader election.`,
    };
  }
  const change = buildPartitionChange(partition, {
    ...baseInput(topic, policy, isActive, uncleanAllowed ? "unclean" : "clean"),
    targetIsr: isr,
    targetReplicas: replicas,
    targetRemoving: [],
    targetAdding: [],
  });
  return change === null
    ? { error: "NONE" }
    : { error: "NONE", record: record(topic, partitionId, change) };
}
