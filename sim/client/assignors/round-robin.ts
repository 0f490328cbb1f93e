/**
 * Kafka's `RoundRobinAssignor` ("roundrobin", EAGER) (reference §6.5).
 *
 * Models: every partition of every subscribed topic, topics by name and partitions ascending, is
 * dealt in turn to the members in MemberInfo order (static members first, by instance id; then by
 * member id), a circular iterator that skips members not subscribed to the partition's topic.
 * With identical subscriptions the counts differ by at most one; with different subscriptions the
 * skipping can leave the assignment uneven (RoundRobinAssignor's javadoc example).
 *
 * Simplifies: nothing.
 *
 * Faults: none; pure function of its input.
 */
import { assert } from "../../engine/assert.ts";
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

export function roundRobinAssign(input: AssignmentInput): GroupAssignment {
  validateInput(input);
  const assignment = emptyAssignment(input.members);
  const members = [...input.members].sort(compareMemberInfo);
  const subscriptions = members.map((member) => new Set(member.subscription));
  let next = 0; // CircularIterator position
  for (const [topic, numPartitions] of subscribedPartitionCounts(input)) {
    for (let partition = 0; partition < numPartitions; partition++) {
      // Some member subscribes to every topic listed, so at most one lap is skipped.
      let skipped = 0;
      while (!subscriptions[next]!.has(topic)) {
        next = (next + 1) % members.length;
        assert(++skipped <= members.length, () => `no member subscribes to ${topic}`);
      }
      assignment.get(members[next]!.memberId)!.push({ topic, partition });
      next = (next + 1) % members.length;
    }
  }
  return sortAssignment(assignment);
}

export const ROUND_ROBIN_ASSIGNOR: PartitionAssignor = {
  name: "roundrobin",
  className: "org.apache.kafka.clients.consumer.RoundRobinAssignor",
  supportedProtocols: ["EAGER"],
  assign: roundRobinAssign,
};
