/**
 * The consumer partition assignors Kafka ships, by name and by class name, and the rebalance
 * protocol a member's list of assignors implies.
 *
 * Models: `partition.assignment.strategy` (a list of class names; the default since 3.0 is
 * [RangeAssignor, CooperativeStickyAssignor], before it [RangeAssignor]) and
 * ConsumerCoordinator's choice of protocol: the highest protocol every configured assignor
 * supports (COOPERATIVE only when all of them support it), and an error when they share none.
 *
 * Simplifies: no custom assignor classes; the group coordinator's vote between members' assignor
 * lists (GroupMetadata.selectProtocol) belongs to the coordinator, not here.
 *
 * Faults: none; pure data and functions.
 */
import { RANGE_ASSIGNOR } from "./range.ts";
import { ROUND_ROBIN_ASSIGNOR } from "./round-robin.ts";
import { COOPERATIVE_STICKY_ASSIGNOR, STICKY_ASSIGNOR } from "./sticky.ts";
import type {
  AssignmentInput,
  AssignorName,
  GroupAssignment,
  PartitionAssignor,
  RebalanceProtocol,
} from "./types.ts";

export { RANGE_ASSIGNOR, rangeAssign } from "./range.ts";
export { ROUND_ROBIN_ASSIGNOR, roundRobinAssign } from "./round-robin.ts";
export {
  COOPERATIVE_STICKY_ASSIGNOR,
  cooperativeStickyAssign,
  cooperativeStickyAssignWithDetails,
  DEFAULT_GENERATION,
  STICKY_ASSIGNOR,
  type StickyAssignmentResult,
  stickyAssign,
  stickyAssignWithDetails,
  type TransferringPartition,
} from "./sticky.ts";
export type {
  AssignmentInput,
  AssignorMember,
  AssignorName,
  GroupAssignment,
  PartitionAssignor,
  RebalanceProtocol,
  TopicPartition,
} from "./types.ts";
export { compareMemberInfo, compareTopicPartitions } from "./types.ts";

/** Every built-in assignor, in the order Kafka's documentation lists them. */
export const ASSIGNORS: readonly PartitionAssignor[] = [
  RANGE_ASSIGNOR,
  ROUND_ROBIN_ASSIGNOR,
  STICKY_ASSIGNOR,
  COOPERATIVE_STICKY_ASSIGNOR,
];

const PROTOCOL_ORDER: readonly RebalanceProtocol[] = ["EAGER", "COOPERATIVE"];

export function isAssignorName(text: string): text is AssignorName {
  return ASSIGNORS.some((assignor) => assignor.name === text);
}

/** By the name a member advertises ("range") or the class name a config lists. */
export function assignorFor(nameOrClassName: string): PartitionAssignor | undefined {
  const text = nameOrClassName.trim();
  return ASSIGNORS.find((assignor) => assignor.name === text || assignor.className === text);
}

/** Runs the named assignor. */
export function assignPartitions(name: AssignorName, input: AssignmentInput): GroupAssignment {
  return assignorFor(name)!.assign(input);
}

/**
 * ConsumerCoordinator's rebalance protocol for a member configured with these assignors: the
 * highest protocol all of them support, or null when they have none in common (Kafka throws
 * IllegalArgumentException "... do not have commonly supported rebalance protocol").
 */
export function commonRebalanceProtocol(
  assignors: readonly PartitionAssignor[],
): RebalanceProtocol | null {
  if (assignors.length === 0) return null;
  const common = PROTOCOL_ORDER.filter((protocol) =>
    assignors.every((assignor) => assignor.supportedProtocols.includes(protocol)),
  );
  return common.length === 0 ? null : common[common.length - 1]!;
}
