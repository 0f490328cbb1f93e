/**
 * Where a consumer group lives: the partition of `__consumer_offsets` that holds its records, and so
 * the broker that coordinates it (the leader of that partition). Kafka's
 * `GroupCoordinatorService.partitionFor` / `GroupMetadataManager.partitionFor`:
 * `Utils.abs(groupId.hashCode()) % offsets.topic.num.partitions`, with Java's `String.hashCode`.
 *
 * Models placement only. Simplifies nothing. Faults: none (pure functions); when the partition's
 * leader moves, the coordinator moves with it (see coordinator-service.ts).
 */
import { javaStringHash, type MetadataImage, NO_LEADER } from "../metadata/image.ts";

/** Kafka's internal topic for committed offsets and group metadata. */
export const OFFSETS_TOPIC = "__consumer_offsets";

/** `Utils.abs`: Integer.MIN_VALUE maps to 0 (Math.abs would give 2^31). */
export function javaAbs(n: number): number {
  return n === -2147483648 ? 0 : Math.abs(n);
}

/** The `__consumer_offsets` partition of a group id. */
export function coordinatorPartition(groupId: string, offsetsPartitions: number): number {
  return javaAbs(javaStringHash(groupId)) % offsetsPartitions;
}

/**
 * The coordinator's broker id as an image sees it: the leader of the group's partition, or
 * undefined when the topic does not exist yet or the partition has no leader.
 */
export function coordinatorBroker(
  image: MetadataImage,
  groupId: string,
  offsetsPartitions: number,
): number | undefined {
  const topic = image.topicByName(OFFSETS_TOPIC);
  if (topic === undefined) return undefined;
  // The topic's own partition count wins over the config (it is fixed once created).
  const count = topic.partitions.length > 0 ? topic.partitions.length : offsetsPartitions;
  const state = topic.partitions[coordinatorPartition(groupId, count)];
  if (state === undefined || state.leader === NO_LEADER) return undefined;
  return state.leader;
}
