/**
 * Kafka's `RangeAssignor` ("range", EAGER), the first entry of `partition.assignment.strategy`'s
 * default (reference §6.5).
 *
 * Models: per topic, independently: the members subscribed to it in MemberInfo order (static
 * members first, by instance id; then by member id), its partitions in numeric order, split into
 * contiguous ranges of ⌊P/C⌋, the first P mod C members taking one more. Members that subscribe to
 * the same topics therefore get the same partition numbers of each (co-partitioning), and the
 * first members in order get the extra partitions of every topic.
 *
 * Simplifies: no rack-aware variant (KIP-881, Kafka 3.5+, used only when both consumer and
 * replica racks are set).
 *
 * Faults: none; pure function of its input.
 */
import {
  type AssignmentInput,
  compareMemberInfo,
  emptyAssignment,
  type GroupAssignment,
  type PartitionAssignor,
  sortAssignment,
  subscribedPartitionCounts,
  validateInput,
} from "./types.ts";

export function rangeAssign(input: AssignmentInput): GroupAssignment {
  validateInput(input);
  const assignment = emptyAssignment(input.members);
  for (const [topic, numPartitions] of subscribedPartitionCounts(input)) {
    const consumers = input.members
      .filter((member) => member.subscription.includes(topic))
      .sort(compareMemberInfo);
    const perConsumer = Math.floor(numPartitions / consumers.length);
    const withExtra = numPartitions % consumers.length;
    consumers.forEach((consumer, i) => {
      const start = perConsumer * i + Math.min(i, withExtra);
      const length = perConsumer + (i + 1 > withExtra ? 0 : 1);
      const list = assignment.get(consumer.memberId)!;
      for (let p = start; p < start + length; p++) list.push({ topic, partition: p });
    });
  }
  return sortAssignment(assignment);
}

export const RANGE_ASSIGNOR: PartitionAssignor = {
  name: "range",
  className: "org.apache.kafka.clients.consumer.RangeAssignor",
  supportedProtocols: ["EAGER"],
  assign: rangeAssign,
};
