/**
 * Where the transaction coordinator sends a transaction's markers, and what it does with a
 * leader's answer (Kafka's TransactionMarkerChannelManager.addTxnMarkersToBrokerQueue and
 * TransactionMarkerRequestCompletionHandler).
 *
 * Models: the partitions of a transaction grouped by their current leader in the broker's metadata
 * image (one WriteTxnMarkers request per leader); a partition with no leader waits for one; a
 * partition whose topic is gone is skipped (Kafka: "the partition is likely deleted"). Per
 * partition, a leader's error means: done (NONE), retry (the leader moved, too few replicas, a
 * timeout), skip the partition (UNSUPPORTED_FOR_MESSAGE_FORMAT), or stop sending because this
 * coordinator has been replaced (INVALID_PRODUCER_EPOCH, TRANSACTION_COORDINATOR_FENCED).
 *
 * Simplifies: errors Kafka treats as a bug (CORRUPT_MESSAGE, MESSAGE_TOO_LARGE...) are retried
 * instead of crashing the send thread. Faults: none (pure functions).
 */
import { type MetadataImage, NO_LEADER } from "../metadata/image.ts";
import type { KafkaError, TopicPartition } from "../types.ts";

export interface MarkerRoute {
  /** Leader broker id → its partitions, leaders in ascending id order, partitions as given. */
  readonly byLeader: ReadonlyArray<{
    readonly leader: number;
    readonly partitions: readonly TopicPartition[];
  }>;
  /** Partitions that exist but have no leader now: try again later. */
  readonly noLeader: readonly TopicPartition[];
  /** Partitions whose topic or partition the image does not know: skipped. */
  readonly unknown: readonly TopicPartition[];
}

/** Groups partitions by their leader in `image`. */
export function routeMarkers(
  image: MetadataImage,
  partitions: readonly TopicPartition[],
): MarkerRoute {
  const byLeader = new Map<number, TopicPartition[]>();
  const noLeader: TopicPartition[] = [];
  const unknown: TopicPartition[] = [];
  for (const tp of partitions) {
    const state = image.topicByName(tp.topic)?.partitions[tp.partition];
    if (state === undefined) {
      unknown.push(tp);
    } else if (state.leader === NO_LEADER) {
      noLeader.push(tp);
    } else {
      const list = byLeader.get(state.leader) ?? [];
      list.push(tp);
      byLeader.set(state.leader, list);
    }
  }
  const leaders = [...byLeader.keys()].sort((a, b) => a - b);
  return {
    byLeader: leaders.map((leader) => ({ leader, partitions: byLeader.get(leader) ?? [] })),
    noLeader,
    unknown,
  };
}

/** What a partition's error in a WriteTxnMarkers response means for the coordinator. */
export type MarkerOutcome = "written" | "retry" | "skip" | "stop";

export function markerOutcome(error: KafkaError | string): MarkerOutcome {
  switch (error) {
    case "NONE":
      return "written";
    case "UNSUPPORTED_FOR_MESSAGE_FORMAT":
      return "skip";
    case "INVALID_PRODUCER_EPOCH":
    case "TRANSACTION_COORDINATOR_FENCED":
      return "stop";
    default:
      // UNKNOWN_TOPIC_OR_PARTITION, NOT_LEADER_OR_FOLLOWER, NOT_ENOUGH_REPLICAS(_AFTER_APPEND),
      // REQUEST_TIMED_OUT, KAFKA_STORAGE_ERROR, and anything unexpected: send again.
      return "retry";
  }
}

/** Groups a flat partition list as the protocol's `topics` field (topics sorted, as given). */
export function asTopicList(
  partitions: readonly TopicPartition[],
): Array<{ topic: string; partitions: number[] }> {
  const out: Array<{ topic: string; partitions: number[] }> = [];
  for (const tp of partitions) {
    const last = out[out.length - 1];
    if (last !== undefined && last.topic === tp.topic) last.partitions.push(tp.partition);
    else out.push({ topic: tp.topic, partitions: [tp.partition] });
  }
  return out;
}
