/**
 * Where a transactional id lives: the partition of `__transaction_state` that holds its records,
 * and so the broker that coordinates it (the leader of that partition). Kafka's
 * `TransactionStateManager.partitionFor`: `Utils.abs(transactionalId.hashCode) %
 * transaction.state.log.num.partitions`, with Java's `String.hashCode` (reference §5).
 *
 * The coordinator's broker configs (`transaction.state.log.num.partitions` = 50,
 * `.replication.factor` = 3, `.min.isr` = 2, `.segment.bytes` = 100 MiB, `.load.buffer.size` = 5 MiB,
 * `transaction.max.timeout.ms` = 900000, `transactional.id.expiration.ms` = 7 days,
 * `transaction.abort.timed.out.transaction.cleanup.interval.ms` = 10000,
 * `transaction.remove.expired.transaction.cleanup.interval.ms` = 1 hour) live in config-defs.ts
 * and are read from there.
 *
 * Models placement only. Simplifies nothing. Faults: none (pure functions); when the partition's
 * leader moves, the coordinator moves with it.
 */
import { javaAbs } from "../group/placement.ts";
import { javaStringHash, type MetadataImage, NO_LEADER } from "../metadata/image.ts";

/** Kafka's internal topic for transaction state (`Topic.TRANSACTION_STATE_TOPIC_NAME`). */
export const TRANSACTION_STATE_TOPIC = "__transaction_state";

/** The `__transaction_state` partition of a transactional id. */
export function transactionCoordinatorPartition(
  transactionalId: string,
  partitions: number,
): number {
  return javaAbs(javaStringHash(transactionalId)) % partitions;
}

/**
 * The coordinator's broker id as an image sees it: the leader of the transactional id's partition,
 * or undefined when the topic does not exist yet or the partition has no leader (a client then
 * gets COORDINATOR_NOT_AVAILABLE from FindCoordinator).
 */
export function transactionCoordinatorBroker(
  image: MetadataImage,
  transactionalId: string,
  configuredPartitions: number,
): number | undefined {
  const topic = image.topicByName(TRANSACTION_STATE_TOPIC);
  if (topic === undefined) return undefined;
  // The topic's own partition count wins over the config (it is fixed once created).
  const count = topic.partitions.length > 0 ? topic.partitions.length : configuredPartitions;
  const state = topic.partitions[transactionCoordinatorPartition(transactionalId, count)];
  if (state === undefined || state.leader === NO_LEADER) return undefined;
  return state.leader;
}
