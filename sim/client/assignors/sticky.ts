/**
 * Kafka's sticky assignors, `StickyAssignor` ("sticky", EAGER) and `CooperativeStickyAssignor`
 * ("cooperative-sticky", COOPERATIVE and EAGER), which share `AbstractStickyAssignor`
 * (reference §6.3, §6.5): balance first (partition counts differ by at most one when members
 * subscribe to the same topics), stickiness second (a member keeps what it owned where balance
 * allows).
 *
 * Models AbstractStickyAssignor (Kafka 3.5+, racks unset) step for step:
 * - owned partitions are validated by generation: of two members claiming a partition, the higher
 *   generation keeps it; claims in the same generation invalidate it for both;
 * - identical subscriptions take the constrained path (ConstrainedAssignmentBuilder): each member
 *   keeps up to its quota of owned partitions (⌊P/C⌋, or ⌈P/C⌉ for the first P mod C members that
 *   owned that many), then the rest are dealt round robin to the members below quota, sorted by
 *   member id;
 * - other subscriptions take the general path (GeneralAssignmentBuilder): keep valid owned
 *   partitions, give each unassigned partition (topics with fewest potential members first) to the
 *   least-loaded member subscribed to it, then move partitions from more to less loaded members
 *   until no move improves balance, keeping the result only if it is better balanced;
 * - cooperative-sticky then removes from the result every partition that moves from one member to
 *   another this round (KIP-429): it stays unassigned until its owner has revoked it and the
 *   follow-up rebalance hands it out.
 * Where Kafka iterates a java.util.HashMap keyed by member id (who keeps the larger quota when
 * several could) or takes the first element of a HashSet of partitions (which partition moves back),
 * the same order is reproduced from Java's String and TopicPartition hash codes (image.ts helpers),
 * with the members' input order standing for JoinGroup's order.
 *
 * Simplifies: no rack-aware assignment (KIP-881); members are considered to have identical
 * subscriptions only when their topic sets are equal (Kafka's check treats an empty subscription
 * as matching anything, which no real consumer sends); owned partitions beyond a topic's current
 * count are dropped; a partition is never handed back to a previous owner that no longer
 * subscribes to its topic (Kafka's general path could, or fail with a NullPointerException).
 * The general path's cost is Kafka's (repeated balance checks over all partitions), fine for
 * classroom groups; isSticky()'s cycle check, a test-only diagnostic, is not modelled.
 *
 * Faults: none; pure function of its input.
 */
import { assert } from "../../engine/assert.ts";
import {
  compareJavaStrings,
  javaHashMapCapacity,
  javaHashOrder,
  javaStringHash,
} from "../../kafka/metadata/image.ts";
import { type TopicPartition, tpKey } from "../../kafka/types.ts";
import {
  type AssignmentInput,
  type AssignorMember,
  emptyAssignment,
  type GroupAssignment,
  type PartitionAssignor,
  sortAssignment,
  subscribedPartitionCounts,
  validateInput,
} from "./types.ts";

/** `AbstractStickyAssignor.DEFAULT_GENERATION`. */
export const DEFAULT_GENERATION = -1;

/** What the shared sticky algorithm returns (AbstractStickyAssignor's fields after assign()). */
export interface StickyAssignmentResult {
  readonly assignment: GroupAssignment;
  /**
   * Partitions the constrained path moves from one member to another, with their new member
   * (`partitionsTransferringOwnership`); null after the general path, where cooperative-sticky
   * computes them from owned versus assigned partitions instead.
   */
  readonly partitionsTransferringOwnership: ReadonlyMap<string, TransferringPartition> | null;
  readonly path: "constrained" | "general";
}

export interface TransferringPartition {
  readonly partition: TopicPartition;
  readonly toMember: string;
}

// ---------------------------------------------------------------- Java hash orders

/** `TopicPartition.hashCode`: 31 * (31 + partition) + topic.hashCode(), in 32-bit arithmetic. */
export function topicPartitionHash(tp: TopicPartition): number {
  return (Math.imul(31, 31 + tp.partition) + javaStringHash(tp.topic)) | 0;
}

/**
 * A java.util.HashSet<TopicPartition> as far as its iteration order goes: elements by bucket of
 * the table it has grown to, then by insertion order within a bucket (removal does not reorder).
 */
class JavaTopicPartitionSet {
  private readonly items = new Map<string, TopicPartition>();
  private maxSize = 0;

  add(tp: TopicPartition): void {
    const key = tpKey(tp.topic, tp.partition);
    if (this.items.has(key)) return;
    this.items.set(key, tp);
    this.maxSize = Math.max(this.maxSize, this.items.size);
  }

  delete(tp: TopicPartition): void {
    this.items.delete(tpKey(tp.topic, tp.partition));
  }

  get size(): number {
    return this.items.size;
  }

  /** `iterator().next()`. */
  first(): TopicPartition {
    // The table only grows, so its length follows from the largest size the set reached.
    const mask = javaHashMapCapacity(this.maxSize) - 1;
    let best: TopicPartition | undefined;
    let bestBucket = Number.POSITIVE_INFINITY;
    for (const tp of this.items.values()) {
      const h = topicPartitionHash(tp);
      const bucket = (h ^ (h >>> 16)) & mask;
      if (bucket < bestBucket) {
        best = tp;
        bestBucket = bucket;
      }
    }
    assert(best !== undefined, "first() of an empty set");
    return best;
  }
}

/** The order in which Kafka iterates its HashMap of subscriptions (keys = member ids). */
function memberHashOrder(members: readonly AssignorMember[]): AssignorMember[] {
  const byId = new Map(members.map((member) => [member.memberId, member]));
  const ids = javaHashOrder(
    members.map((member) => member.memberId),
    javaStringHash,
    javaHashMapCapacity(members.length),
  );
  return ids.map((id) => byId.get(id)!);
}

function key(tp: TopicPartition): string {
  return tpKey(tp.topic, tp.partition);
}

function removeFrom(list: TopicPartition[], tp: TopicPartition): boolean {
  const index = list.findIndex(
    (other) => other.topic === tp.topic && other.partition === tp.partition,
  );
  if (index < 0) return false;
  list.splice(index, 1);
  return true;
}

function sameTopicSet(a: readonly string[], b: ReadonlySet<string>): boolean {
  return a.length === b.size && a.every((topic) => b.has(topic));
}

// ---------------------------------------------------------------- owned partitions

interface OwnershipSummary {
  readonly allSubscriptionsEqual: boolean;
  /** Valid owned partitions per member, in member hash order (consumerToOwnedPartitions). */
  readonly consumerToOwnedPartitions: Map<string, TopicPartition[]>;
  /** Partitions claimed by two members of the same generation. */
  readonly partitionsWithMultiplePreviousOwners: Set<string>;
  readonly maxGeneration: number;
}

/** `AbstractStickyAssignor.allSubscriptionsEqual`, which also validates owned partitions. */
function summarizeOwnership(
  members: readonly AssignorMember[],
  partitionsPerTopic: ReadonlyMap<string, number>,
): OwnershipSummary {
  let allEqual = true;
  let firstTopics: Set<string> | undefined;
  let maxGeneration = DEFAULT_GENERATION;
  const owned = new Map<string, TopicPartition[]>();
  const multiple = new Set<string>();
  const ownerOf = new Map<string, string>();
  const generationOf = new Map(
    members.map((m) => [m.memberId, m.generation ?? DEFAULT_GENERATION]),
  );

  for (const member of members) {
    if (firstTopics === undefined) firstTopics = new Set(member.subscription);
    else if (allEqual && !sameTopicSet(member.subscription, firstTopics)) allEqual = false;

    const generation = member.generation ?? DEFAULT_GENERATION;
    maxGeneration = Math.max(maxGeneration, generation);
    const list: TopicPartition[] = [];
    owned.set(member.memberId, list);
    for (const tp of member.ownedPartitions) {
      const count = partitionsPerTopic.get(tp.topic);
      if (count === undefined || tp.partition < 0 || tp.partition >= count) continue;
      const k = key(tp);
      const other = ownerOf.get(k);
      if (other === undefined) {
        list.push(tp);
        ownerOf.set(k, member.memberId);
        continue;
      }
      const otherGeneration = generationOf.get(other)!;
      if (generation === otherGeneration) {
        // Two owners in one generation: neither claim can be trusted.
        multiple.add(k);
        removeFrom(owned.get(other)!, tp);
        ownerOf.set(k, member.memberId);
      } else if (generation > otherGeneration) {
        list.push(tp);
        removeFrom(owned.get(other)!, tp);
        ownerOf.set(k, member.memberId);
      }
      // else: the other member's newer generation keeps it.
    }
  }
  return {
    allSubscriptionsEqual: allEqual,
    consumerToOwnedPartitions: owned,
    partitionsWithMultiplePreviousOwners: multiple,
    maxGeneration,
  };
}

// ---------------------------------------------------------------- constrained path

/** `ConstrainedAssignmentBuilder`: every member subscribes to the same topics. */
function constrainedAssign(
  partitionsPerTopic: ReadonlyMap<string, number>,
  summary: OwnershipSummary,
): { assignment: Map<string, TopicPartition[]>; transferring: Map<string, TransferringPartition> } {
  const currentAssignment = summary.consumerToOwnedPartitions;
  const multiple = summary.partitionsWithMultiplePreviousOwners;
  const transferring = new Map<string, TransferringPartition>();
  const allRevoked = new Set<string>();
  let unfilledUnderMin: string[] = [];
  let unfilledExactlyMin: string[] = [];

  let total = 0;
  for (const count of partitionsPerTopic.values()) total += count;
  const numberOfConsumers = currentAssignment.size;
  const minQuota = Math.floor(total / numberOfConsumers);
  const maxQuota = Math.ceil(total / numberOfConsumers);
  const expectedOverMin = total % numberOfConsumers;
  let currentOverMin = 0;

  const assignment = new Map<string, TopicPartition[]>();
  for (const consumer of currentAssignment.keys()) assignment.set(consumer, []);
  const assigned = new Set<string>();

  // Reassign owned partitions, up to the quota each member may keep.
  for (const [consumer, ownedList] of currentAssignment) {
    const owned = [...ownedList]
      .sort((a, b) => a.partition - b.partition || compareJavaStrings(a.topic, b.topic))
      .filter((tp) => !multiple.has(key(tp)));
    const consumerAssignment = assignment.get(consumer)!;
    const keep = (n: number): void => {
      for (const tp of owned.slice(0, n)) {
        consumerAssignment.push(tp);
        assigned.add(key(tp));
      }
      for (const tp of owned.slice(n)) allRevoked.add(key(tp));
    };
    if (owned.length < minQuota) {
      keep(owned.length);
      unfilledUnderMin.push(consumer);
    } else if (owned.length >= maxQuota && currentOverMin < expectedOverMin) {
      currentOverMin++;
      if (currentOverMin === expectedOverMin) unfilledExactlyMin = [];
      keep(maxQuota);
    } else {
      keep(minQuota);
      if (currentOverMin < expectedOverMin) unfilledExactlyMin.push(consumer);
    }
  }

  const unassigned: TopicPartition[] = [];
  for (const [topic, count] of partitionsPerTopic) {
    for (let partition = 0; partition < count; partition++) {
      if (!assigned.has(tpKey(topic, partition))) unassigned.push({ topic, partition });
    }
  }
  unfilledUnderMin = unfilledUnderMin.sort(compareJavaStrings);
  unfilledExactlyMin = unfilledExactlyMin.sort(compareJavaStrings);

  const assignNewPartition = (tp: TopicPartition, consumer: string): number => {
    const list = assignment.get(consumer)!;
    list.push(tp);
    const k = key(tp);
    if (allRevoked.has(k) || multiple.has(k))
      transferring.set(k, { partition: tp, toMember: consumer });
    return list.length;
  };

  // assignRoundRobin: an iterator over the members under minQuota, restarted while any remain,
  // then the members at exactly minQuota that may still take one more.
  let cursor = 0;
  for (const tp of unassigned) {
    let consumer: string;
    let fromUnder: boolean;
    if (cursor < unfilledUnderMin.length) {
      consumer = unfilledUnderMin[cursor++]!;
      fromUnder = true;
    } else if (unfilledUnderMin.length === 0) {
      assert(unfilledExactlyMin.length > 0, "No more unfilled consumers to be assigned.");
      consumer = unfilledExactlyMin.shift()!;
      fromUnder = false;
    } else {
      cursor = 0;
      consumer = unfilledUnderMin[cursor++]!;
      fromUnder = true;
    }
    const count = assignNewPartition(tp, consumer);
    if (count === minQuota) {
      assert(fromUnder, "only a member under minQuota can reach it");
      unfilledUnderMin.splice(--cursor, 1);
      unfilledExactlyMin.push(consumer);
    } else if (count === maxQuota) {
      currentOverMin++;
    }
  }

  // verifyUnfilledMembers
  if (unfilledUnderMin.length > 0) {
    assert(
      currentOverMin === expectedOverMin,
      "members above minQuota fall short, but no partitions are left to assign",
    );
    for (const consumer of unfilledUnderMin) {
      assert(
        assignment.get(consumer)!.length === minQuota,
        () => `consumer ${consumer} doesn't reach minQuota partitions, and none are left to assign`,
      );
    }
  }
  return { assignment, transferring };
}

// ---------------------------------------------------------------- general path

interface ConsumerGenerationPair {
  readonly consumer: string;
  readonly generation: number;
}

interface ConsumerPair {
  readonly src: string;
  readonly dst: string;
}

function pairKey(src: string, dst: string): string {
  return `${src}\u0000${dst}`;
}

/** `AbstractStickyAssignor.PartitionMovements`: which partitions moved between which members. */
class PartitionMovements {
  private readonly byTopic = new Map<string, Map<string, JavaTopicPartitionSet>>();
  private readonly movements = new Map<string, ConsumerPair>();

  private removeMovementRecordOfPartition(tp: TopicPartition): ConsumerPair {
    const pair = this.movements.get(key(tp))!;
    this.movements.delete(key(tp));
    const forTopic = this.byTopic.get(tp.topic)!;
    const set = forTopic.get(pairKey(pair.src, pair.dst))!;
    set.delete(tp);
    if (set.size === 0) forTopic.delete(pairKey(pair.src, pair.dst));
    if (forTopic.size === 0) this.byTopic.delete(tp.topic);
    return pair;
  }

  private addPartitionMovementRecord(tp: TopicPartition, pair: ConsumerPair): void {
    this.movements.set(key(tp), pair);
    let forTopic = this.byTopic.get(tp.topic);
    if (forTopic === undefined) {
      forTopic = new Map();
      this.byTopic.set(tp.topic, forTopic);
    }
    let set = forTopic.get(pairKey(pair.src, pair.dst));
    if (set === undefined) {
      set = new JavaTopicPartitionSet();
      forTopic.set(pairKey(pair.src, pair.dst), set);
    }
    set.add(tp);
  }

  movePartition(tp: TopicPartition, oldConsumer: string, newConsumer: string): void {
    if (this.movements.has(key(tp))) {
      // The partition moved before in this assignment: record one move from its first owner.
      const existing = this.removeMovementRecordOfPartition(tp);
      assert(existing.dst === oldConsumer, "a moved partition is recorded at its current owner");
      if (existing.src !== newConsumer) {
        this.addPartitionMovementRecord(tp, { src: existing.src, dst: newConsumer });
      }
    } else {
      this.addPartitionMovementRecord(tp, { src: oldConsumer, dst: newConsumer });
    }
  }

  /**
   * Rather than move a partition from A to B when some partition of the same topic already moved
   * from B to A, move that one back (stickiness).
   */
  getTheActualPartitionToBeMoved(
    tp: TopicPartition,
    oldConsumer: string,
    newConsumer: string,
  ): TopicPartition {
    const forTopic = this.byTopic.get(tp.topic);
    if (forTopic === undefined) return tp;
    let from = oldConsumer;
    const previous = this.movements.get(key(tp));
    if (previous !== undefined) {
      assert(previous.dst === oldConsumer, "a moved partition is recorded at its current owner");
      from = previous.src;
    }
    const reverse = forTopic.get(pairKey(newConsumer, from));
    return reverse === undefined ? tp : reverse.first();
  }
}

/** `GeneralAssignmentBuilder`: members subscribe to different topics. */
class GeneralAssignmentBuilder {
  private readonly partitionsPerTopic: ReadonlyMap<string, number>;
  private readonly members: readonly AssignorMember[];
  private readonly maxGeneration: number;
  private readonly totalPartitionsCount: number;
  private readonly currentAssignment: Map<string, TopicPartition[]>;
  private readonly topic2AllPotentialConsumers = new Map<string, string[]>();
  private readonly consumer2AllPotentialTopics = new Map<string, string[]>();
  private readonly currentPartitionConsumer = new Map<string, string>();
  /** The members of Kafka's TreeSet `sortedCurrentSubscriptions`; ordered on demand. */
  private readonly sortedMembers = new Set<string>();
  private sortedAllPartitions: TopicPartition[];
  private readonly movements = new PartitionMovements();
  private revocationRequired = false;

  constructor(
    partitionsPerTopic: ReadonlyMap<string, number>,
    members: readonly AssignorMember[],
    summary: OwnershipSummary,
  ) {
    this.partitionsPerTopic = partitionsPerTopic;
    this.members = members;
    this.maxGeneration = summary.maxGeneration;
    this.currentAssignment = summary.consumerToOwnedPartitions;
    let total = 0;
    for (const [topic, count] of partitionsPerTopic) {
      total += count;
      this.topic2AllPotentialConsumers.set(topic, []);
    }
    this.totalPartitionsCount = total;
    for (const member of members) {
      const topics = member.subscription.filter((topic) => partitionsPerTopic.has(topic));
      this.consumer2AllPotentialTopics.set(member.memberId, topics);
      for (const topic of topics)
        this.topic2AllPotentialConsumers.get(topic)!.push(member.memberId);
      if (!this.currentAssignment.has(member.memberId))
        this.currentAssignment.set(member.memberId, []);
    }
    for (const [consumer, partitions] of this.currentAssignment) {
      for (const tp of partitions) this.currentPartitionConsumer.set(key(tp), consumer);
    }
    // Topics with the fewest potential members first, then by name.
    const sortedAllTopics = [...this.topic2AllPotentialConsumers.keys()].sort(
      (a, b) => this.potentialCount(a) - this.potentialCount(b) || compareJavaStrings(a, b),
    );
    this.sortedAllPartitions = [];
    for (const topic of sortedAllTopics) {
      const count = partitionsPerTopic.get(topic)!;
      for (let partition = 0; partition < count; partition++) {
        this.sortedAllPartitions.push({ topic, partition });
      }
    }
  }

  build(): Map<string, TopicPartition[]> {
    const prevAssignment = this.prepopulateCurrentAssignments();
    const assigned = new Set(this.assignOwnedPartitions().map(key));
    const unassigned = this.sortedAllPartitions.filter((tp) => !assigned.has(key(tp)));
    for (const consumer of this.currentAssignment.keys()) this.sortedMembers.add(consumer);
    this.balance(prevAssignment, unassigned);
    return this.currentAssignment;
  }

  private potentialCount(topic: string): number {
    return this.topic2AllPotentialConsumers.get(topic)!.length;
  }

  private size(consumer: string): number {
    return this.currentAssignment.get(consumer)!.length;
  }

  /** Kafka's TreeSet order: by number of assigned partitions, then member id. */
  private sortedCurrentSubscriptions(): string[] {
    return [...this.sortedMembers].sort(
      (a, b) => this.size(a) - this.size(b) || compareJavaStrings(a, b),
    );
  }

  /** prevAssignment: partitions reported by members of an older generation, newest claim kept. */
  private prepopulateCurrentAssignments(): Map<string, ConsumerGenerationPair> {
    const prev = new Map<string, ConsumerGenerationPair>();
    const update = (
      partitions: readonly TopicPartition[],
      consumer: string,
      generation: number,
    ) => {
      for (const tp of partitions) {
        const existing = prev.get(key(tp));
        if (existing === undefined || generation > existing.generation) {
          prev.set(key(tp), { consumer, generation });
        }
      }
    };
    for (const member of this.members) {
      if (member.generation !== undefined && member.generation < this.maxGeneration) {
        update(member.ownedPartitions, member.memberId, member.generation);
      } else if (member.generation === undefined && this.maxGeneration > DEFAULT_GENERATION) {
        update(member.ownedPartitions, member.memberId, DEFAULT_GENERATION);
      }
    }
    return prev;
  }

  /** Keeps owned partitions whose topic the owner still subscribes to. */
  private assignOwnedPartitions(): TopicPartition[] {
    const assigned: TopicPartition[] = [];
    for (const [consumer, partitions] of this.currentAssignment) {
      const subscribed = new Set(this.members.find((m) => m.memberId === consumer)!.subscription);
      const kept: TopicPartition[] = [];
      for (const tp of partitions) {
        if (!this.topic2AllPotentialConsumers.has(tp.topic)) {
          this.currentPartitionConsumer.delete(key(tp));
        } else if (!subscribed.has(tp.topic)) {
          // Kafka leaves currentPartitionConsumer pointing at the old owner until reassigned.
          this.revocationRequired = true;
        } else {
          kept.push(tp);
          assigned.push(tp);
        }
      }
      partitions.splice(0, partitions.length, ...kept);
    }
    return assigned;
  }

  private maxAssignmentSize(consumer: string): number {
    let sum = 0;
    for (const topic of this.consumer2AllPotentialTopics.get(consumer)!) {
      sum += this.partitionsPerTopic.get(topic)!;
    }
    return sum;
  }

  private isBalanced(): boolean {
    const sorted = this.sortedCurrentSubscriptions();
    const min = this.size(sorted[0]!);
    const max = this.size(sorted[sorted.length - 1]!);
    if (min >= max - 1) return true;

    const allPartitions = new Map<string, string>();
    for (const [consumer, partitions] of this.currentAssignment) {
      for (const tp of partitions) allPartitions.set(key(tp), consumer);
    }
    // A member short of what it could get must have no partition that moving to it would balance.
    for (const consumer of sorted) {
      const mine = this.currentAssignment.get(consumer)!;
      const count = mine.length;
      if (count === this.maxAssignmentSize(consumer)) continue;
      const mineKeys = new Set(mine.map(key));
      for (const topic of this.consumer2AllPotentialTopics.get(consumer)!) {
        const partitionCount = this.partitionsPerTopic.get(topic)!;
        for (let partition = 0; partition < partitionCount; partition++) {
          const k = tpKey(topic, partition);
          if (mineKeys.has(k)) continue;
          const other = allPartitions.get(k);
          if (other !== undefined && count + 1 < this.size(other)) return false;
        }
      }
    }
    return true;
  }

  /** Sum over all pairs of members of the difference of their partition counts. */
  private static balanceScore(assignment: ReadonlyMap<string, readonly TopicPartition[]>): number {
    const sizes = [...assignment.values()].map((list) => list.length);
    let score = 0;
    for (let i = 0; i < sizes.length; i++) {
      for (let j = i + 1; j < sizes.length; j++) score += Math.abs(sizes[i]! - sizes[j]!);
    }
    return score;
  }

  private maybeAssignPartition(tp: TopicPartition): void {
    for (const consumer of this.sortedCurrentSubscriptions()) {
      if (this.consumer2AllPotentialTopics.get(consumer)!.includes(tp.topic)) {
        this.currentAssignment.get(consumer)!.push(tp);
        this.currentPartitionConsumer.set(key(tp), consumer);
        return;
      }
    }
  }

  private canTopicParticipateInReassignment(topic: string): boolean {
    return this.potentialCount(topic) >= 2;
  }

  private canConsumerParticipateInReassignment(consumer: string): boolean {
    const partitions = this.currentAssignment.get(consumer)!;
    const max = this.maxAssignmentSize(consumer);
    assert(
      partitions.length <= max,
      () => `consumer ${consumer} holds more partitions than it can`,
    );
    if (partitions.length < max) return true;
    return partitions.some((tp) => this.canTopicParticipateInReassignment(tp.topic));
  }

  private balance(
    prevAssignment: ReadonlyMap<string, ConsumerGenerationPair>,
    unassignedPartitions: TopicPartition[],
  ): void {
    const sorted = this.sortedCurrentSubscriptions();
    const initializing = this.size(sorted[sorted.length - 1]!) === 0;

    for (const tp of unassignedPartitions) {
      if (this.potentialCount(tp.topic) === 0) continue;
      this.maybeAssignPartition(tp);
    }

    // Only partitions of topics with two or more potential members can move.
    const fixedTopics = new Set(
      [...this.topic2AllPotentialConsumers.keys()].filter(
        (topic) => !this.canTopicParticipateInReassignment(topic),
      ),
    );
    this.sortedAllPartitions = this.sortedAllPartitions.filter((tp) => !fixedTopics.has(tp.topic));
    const reassignableNew = unassignedPartitions.filter((tp) => !fixedTopics.has(tp.topic));

    // Members that cannot take part are set aside and put back at the end.
    const fixedAssignments = new Map<string, TopicPartition[]>();
    for (const consumer of this.consumer2AllPotentialTopics.keys()) {
      if (!this.canConsumerParticipateInReassignment(consumer)) {
        this.sortedMembers.delete(consumer);
        fixedAssignments.set(consumer, this.currentAssignment.get(consumer)!);
        this.currentAssignment.delete(consumer);
      }
    }

    const preBalanceAssignment = new Map(
      [...this.currentAssignment].map(([consumer, list]) => [consumer, [...list]] as const),
    );
    const preBalancePartitionConsumers = new Map(this.currentPartitionConsumer);

    // Without forced revocations, first try to balance by moving only the newly assigned ones.
    if (!this.revocationRequired) this.performReassignments(reassignableNew, prevAssignment);
    const reassignmentPerformed = this.performReassignments(
      this.sortedAllPartitions,
      prevAssignment,
    );

    if (
      !initializing &&
      reassignmentPerformed &&
      GeneralAssignmentBuilder.balanceScore(this.currentAssignment) >=
        GeneralAssignmentBuilder.balanceScore(preBalanceAssignment)
    ) {
      // Not better balanced: keep the sticky assignment from before the moves.
      this.currentAssignment.clear();
      for (const [consumer, list] of preBalanceAssignment)
        this.currentAssignment.set(consumer, [...list]);
      this.currentPartitionConsumer.clear();
      for (const [k, consumer] of preBalancePartitionConsumers)
        this.currentPartitionConsumer.set(k, consumer);
    }

    for (const [consumer, list] of fixedAssignments) {
      this.currentAssignment.set(consumer, list);
      this.sortedMembers.add(consumer);
    }
  }

  private performReassignments(
    reassignablePartitions: readonly TopicPartition[],
    prevAssignment: ReadonlyMap<string, ConsumerGenerationPair>,
  ): boolean {
    let reassignmentPerformed = false;
    let modified: boolean;
    // Each round with a move strictly improves some member's load; this bound is never reached.
    const roundLimit = (this.totalPartitionsCount + 1) * (this.members.length + 1) + 10;
    let rounds = 0;
    do {
      assert(++rounds <= roundLimit, "sticky rebalancing did not settle");
      modified = false;
      for (const tp of reassignablePartitions) {
        if (this.isBalanced()) break;
        const consumer = this.currentPartitionConsumer.get(key(tp));
        assert(consumer !== undefined, () => `${key(tp)} should be assigned to a consumer`);
        const prev = prevAssignment.get(key(tp));
        if (
          prev !== undefined &&
          this.currentAssignment.has(prev.consumer) &&
          this.consumer2AllPotentialTopics.get(prev.consumer)!.includes(tp.topic) &&
          this.size(consumer) > this.size(prev.consumer) + 1
        ) {
          this.reassignPartitionTo(tp, prev.consumer);
          reassignmentPerformed = true;
          modified = true;
          continue;
        }
        for (const other of this.topic2AllPotentialConsumers.get(tp.topic)!) {
          if (!this.currentAssignment.has(other)) continue;
          if (this.size(consumer) > this.size(other) + 1) {
            this.reassignPartition(tp);
            reassignmentPerformed = true;
            modified = true;
            break;
          }
        }
      }
    } while (modified);
    return reassignmentPerformed;
  }

  /** To the least-loaded member subscribed to the partition's topic. */
  private reassignPartition(tp: TopicPartition): void {
    const newConsumer = this.sortedCurrentSubscriptions().find((consumer) =>
      this.consumer2AllPotentialTopics.get(consumer)!.includes(tp.topic),
    );
    assert(newConsumer !== undefined, () => `no member can take ${key(tp)}`);
    this.reassignPartitionTo(tp, newConsumer);
  }

  private reassignPartitionTo(tp: TopicPartition, newConsumer: string): void {
    const consumer = this.currentPartitionConsumer.get(key(tp))!;
    const toMove = this.movements.getTheActualPartitionToBeMoved(tp, consumer, newConsumer);
    this.processPartitionMovement(toMove, newConsumer);
  }

  private processPartitionMovement(tp: TopicPartition, newConsumer: string): void {
    const oldConsumer = this.currentPartitionConsumer.get(key(tp))!;
    this.movements.movePartition(tp, oldConsumer, newConsumer);
    removeFrom(this.currentAssignment.get(oldConsumer)!, tp);
    this.currentAssignment.get(newConsumer)!.push(tp);
    this.currentPartitionConsumer.set(key(tp), newConsumer);
  }
}

// ---------------------------------------------------------------- the assignors

/** `AbstractStickyAssignor.assign`: the shared algorithm, with Kafka's bookkeeping exposed. */
export function stickyAssignWithDetails(input: AssignmentInput): StickyAssignmentResult {
  validateInput(input);
  const result = emptyAssignment(input.members);
  if (input.members.length === 0) {
    return { assignment: result, partitionsTransferringOwnership: new Map(), path: "constrained" };
  }
  const partitionsPerTopic = subscribedPartitionCounts(input);
  const members = memberHashOrder(input.members);
  const summary = summarizeOwnership(members, partitionsPerTopic);
  let computed: Map<string, TopicPartition[]>;
  let transferring: Map<string, TransferringPartition> | null;
  let path: StickyAssignmentResult["path"];
  if (summary.allSubscriptionsEqual) {
    ({ assignment: computed, transferring } = constrainedAssign(partitionsPerTopic, summary));
    path = "constrained";
  } else {
    computed = new GeneralAssignmentBuilder(partitionsPerTopic, members, summary).build();
    transferring = null;
    path = "general";
  }
  for (const [member, partitions] of computed) result.set(member, [...partitions]);
  return {
    assignment: sortAssignment(result),
    partitionsTransferringOwnership: transferring,
    path,
  };
}

/** `StickyAssignor.assign` (eager): the shared algorithm as is. */
export function stickyAssign(input: AssignmentInput): GroupAssignment {
  return stickyAssignWithDetails(input).assignment;
}

/**
 * `CooperativeStickyAssignor.computePartitionsTransferringOwnership`: partitions assigned to a
 * member that did not own them while another member reports owning them.
 */
function computePartitionsTransferringOwnership(
  members: readonly AssignorMember[],
  assignment: GroupAssignment,
): Map<string, TransferringPartition> {
  const allAdded = new Map<string, TransferringPartition>();
  const allRevoked = new Set<string>();
  for (const member of members) {
    const assigned = assignment.get(member.memberId)!;
    const ownedKeys = new Set(member.ownedPartitions.map(key));
    const assignedKeys = new Set(assigned.map(key));
    for (const tp of assigned) {
      if (!ownedKeys.has(key(tp)))
        allAdded.set(key(tp), { partition: tp, toMember: member.memberId });
    }
    for (const tp of member.ownedPartitions)
      if (!assignedKeys.has(key(tp))) allRevoked.add(key(tp));
  }
  for (const k of [...allAdded.keys()]) if (!allRevoked.has(k)) allAdded.delete(k);
  return allAdded;
}

/**
 * `CooperativeStickyAssignor.assign`: the sticky assignment without the partitions that must first
 * be revoked by their current owner (they are assigned in the follow-up rebalance, KIP-429).
 */
export function cooperativeStickyAssignWithDetails(input: AssignmentInput): StickyAssignmentResult {
  const result = stickyAssignWithDetails(input);
  const transferring =
    result.partitionsTransferringOwnership ??
    computePartitionsTransferringOwnership(input.members, result.assignment);
  for (const { partition, toMember } of transferring.values()) {
    removeFrom(result.assignment.get(toMember)!, partition);
  }
  return { ...result, partitionsTransferringOwnership: transferring };
}

export function cooperativeStickyAssign(input: AssignmentInput): GroupAssignment {
  return cooperativeStickyAssignWithDetails(input).assignment;
}

export const STICKY_ASSIGNOR: PartitionAssignor = {
  name: "sticky",
  className: "org.apache.kafka.clients.consumer.StickyAssignor",
  supportedProtocols: ["EAGER"],
  assign: stickyAssign,
};

export const COOPERATIVE_STICKY_ASSIGNOR: PartitionAssignor = {
  name: "cooperative-sticky",
  className: "org.apache.kafka.clients.consumer.CooperativeStickyAssignor",
  supportedProtocols: ["COOPERATIVE", "EAGER"],
  assign: cooperativeStickyAssign,
};
