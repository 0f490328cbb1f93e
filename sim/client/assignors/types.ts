/**
 * The vocabulary of consumer partition assignors (Kafka's `ConsumerPartitionAssignor`) and the
 * common work of `AbstractPartitionAssignor`: which topics take part, how members are ordered,
 * and an empty assignment for every member.
 *
 * Models: the group leader's input, `GroupSubscription` (member id, group.instance.id, subscribed
 * topics, owned partitions, generation, rack), and `AbstractPartitionAssignor.assign`, which keeps
 * only subscribed topics that exist with at least one partition. Members sort as
 * `AbstractPartitionAssignor.MemberInfo.compareTo`: static members (with a group.instance.id) first,
 * by instance id, then dynamic members by member id (Java `String.compareTo`, UTF-16 code units).
 *
 * Simplifies: an assignment lists each member's partitions by topic then partition number (Kafka's
 * list order varies by assignor and is not meaningful; members see a set). No user data beyond
 * owned partitions and generation.
 *
 * Faults: none; pure functions.
 */
import { assert } from "../../engine/assert.ts";
import { compareJavaStrings } from "../../kafka/metadata/image.ts";
import { type TopicPartition, tpKey } from "../../kafka/types.ts";

export type { TopicPartition } from "../../kafka/types.ts";

/** The names members advertise in JoinGroup (`ConsumerPartitionAssignor.name()`). */
export type AssignorName = "range" | "roundrobin" | "sticky" | "cooperative-sticky";

/** `ConsumerPartitionAssignor.RebalanceProtocol`, in Kafka's enum order (EAGER < COOPERATIVE). */
export type RebalanceProtocol = "EAGER" | "COOPERATIVE";

/** One member's subscription as the group leader receives it. */
export interface AssignorMember {
  readonly memberId: string;
  /** `group.instance.id` (KIP-345 static membership). */
  readonly groupInstanceId?: string;
  /** Subscribed topics (no repeats); topics absent from the metadata are allowed. */
  readonly subscription: readonly string[];
  /**
   * Partitions the member owned before this rebalance. Cooperative: its current assignment
   * (`Subscription.ownedPartitions`). Eager `sticky`: the assignment it remembers from the last
   * generation (StickyAssignor's user data), since it revoked everything before joining. Others
   * ignore it.
   */
  readonly ownedPartitions: readonly TopicPartition[];
  /** The generation those partitions belong to; absent when unknown (Kafka: Optional.empty()). */
  readonly generation?: number;
  /** `client.rack`; accepted and not used (no rack-aware assignment is modelled). */
  readonly rackId?: string;
}

export interface AssignmentInput {
  readonly members: readonly AssignorMember[];
  /** Partition count per topic, from the leader's metadata. */
  readonly partitionsPerTopic: ReadonlyMap<string, number>;
}

/** Member id → its partitions, for every member (empty lists included), in input member order. */
export type GroupAssignment = Map<string, TopicPartition[]>;

export interface PartitionAssignor {
  readonly name: AssignorName;
  /** The class name users put in `partition.assignment.strategy`. */
  readonly className: string;
  /** `supportedProtocols()`. */
  readonly supportedProtocols: readonly RebalanceProtocol[];
  assign(input: AssignmentInput): GroupAssignment;
}

/** `AbstractPartitionAssignor.MemberInfo.compareTo`. */
export function compareMemberInfo(a: AssignorMember, b: AssignorMember): number {
  if (a.groupInstanceId !== undefined && b.groupInstanceId !== undefined) {
    return compareJavaStrings(a.groupInstanceId, b.groupInstanceId);
  }
  if (a.groupInstanceId !== undefined) return -1;
  if (b.groupInstanceId !== undefined) return 1;
  return compareJavaStrings(a.memberId, b.memberId);
}

/** Topic then partition number, the order of Kafka's TreeSet of partitions. */
export function compareTopicPartitions(a: TopicPartition, b: TopicPartition): number {
  return compareJavaStrings(a.topic, b.topic) || a.partition - b.partition;
}

/** Checks the input the way the group leader can rely on it (these are bugs of the caller). */
export function validateInput(input: AssignmentInput): void {
  const ids = new Set<string>();
  for (const member of input.members) {
    assert(!ids.has(member.memberId), () => `member id ${member.memberId} appears twice`);
    ids.add(member.memberId);
    assert(
      new Set(member.subscription).size === member.subscription.length,
      () => `member ${member.memberId} lists a topic twice in its subscription`,
    );
    const owned = new Set<string>();
    for (const tp of member.ownedPartitions) {
      const key = tpKey(tp.topic, tp.partition);
      assert(!owned.has(key), () => `member ${member.memberId} lists ${key} twice as owned`);
      owned.add(key);
    }
    assert(
      member.generation === undefined || Number.isSafeInteger(member.generation),
      () => `member ${member.memberId} has a non-integer generation ${member.generation}`,
    );
  }
  for (const [topic, count] of input.partitionsPerTopic) {
    assert(
      Number.isSafeInteger(count) && count >= 0,
      () => `topic ${topic} has an invalid partition count ${count}`,
    );
  }
}

/**
 * `AbstractPartitionAssignor.assign`'s `partitionsPerTopic`: the topics some member subscribes to
 * that exist with at least one partition, sorted by name.
 */
export function subscribedPartitionCounts(input: AssignmentInput): Map<string, number> {
  const subscribed = new Set<string>();
  for (const member of input.members)
    for (const topic of member.subscription) subscribed.add(topic);
  const topics = [...subscribed].sort(compareJavaStrings);
  const counts = new Map<string, number>();
  for (const topic of topics) {
    const count = input.partitionsPerTopic.get(topic);
    if (count !== undefined && count > 0) counts.set(topic, count);
  }
  return counts;
}

/** An empty list for every member, in input order. */
export function emptyAssignment(members: readonly AssignorMember[]): GroupAssignment {
  const assignment: GroupAssignment = new Map();
  for (const member of members) assignment.set(member.memberId, []);
  return assignment;
}

/** Sorts every member's partitions by topic then partition number, in place. */
export function sortAssignment(assignment: GroupAssignment): GroupAssignment {
  for (const partitions of assignment.values()) partitions.sort(compareTopicPartitions);
  return assignment;
}
