/**
 * Broker metrics under Kafka's JMX names (kafka.server:type=ReplicaManager / BrokerTopicMetrics).
 *
 * Models: the counters behind Kafka's meters as cumulative counts (IsrShrinksPerSec,
 * IsrExpandsPerSec, BytesInPerSec, BytesOutPerSec, MessagesInPerSec, FailedProduceRequestsPerSec,
 * ...); a reader derives a rate from two snapshots. Gauges (UnderReplicatedPartitions,
 * UnderMinIsrPartitionCount, LeaderCount, PartitionCount, OfflineReplicaCount) are computed by the
 * replica manager when a snapshot is taken, never maintained per event.
 *
 * Simplifies: no per-topic breakdown, no histograms (request latencies), no one-minute moving
 * averages. Counters survive a process restart here (Kafka's reset with the JVM): the viz wants
 * totals over the run. Faults: none of its own.
 */

/** Cumulative counts, named after the Kafka meter they stand for. */
export interface BrokerCounters {
  /** kafka.server:type=ReplicaManager,name=IsrShrinksPerSec (committed shrinks of a led ISR). */
  IsrShrinksPerSec: number;
  /** kafka.server:type=ReplicaManager,name=IsrExpandsPerSec. */
  IsrExpandsPerSec: number;
  /** kafka.server:type=BrokerTopicMetrics,name=BytesInPerSec (producer bytes appended as leader). */
  BytesInPerSec: number;
  /** BrokerTopicMetrics BytesOutPerSec (bytes sent in fetch responses, consumers and followers). */
  BytesOutPerSec: number;
  /** BrokerTopicMetrics MessagesInPerSec (records appended as leader). */
  MessagesInPerSec: number;
  /** BrokerTopicMetrics ReplicationBytesInPerSec (bytes a follower appended). */
  ReplicationBytesInPerSec: number;
  /** BrokerTopicMetrics ReplicationBytesOutPerSec (bytes sent to followers). */
  ReplicationBytesOutPerSec: number;
  /** BrokerTopicMetrics FailedProduceRequestsPerSec (per partition in error). */
  FailedProduceRequestsPerSec: number;
  /** BrokerTopicMetrics TotalProduceRequestsPerSec. */
  TotalProduceRequestsPerSec: number;
  /** BrokerTopicMetrics TotalFetchRequestsPerSec. */
  TotalFetchRequestsPerSec: number;
  /** DelayedOperationPurgatory ExpiresPerSec for produce (acks=all requests that timed out). */
  ProduceExpiresPerSec: number;
}

/** Gauges, computed when asked. */
export interface BrokerGauges {
  UnderReplicatedPartitions: number;
  UnderMinIsrPartitionCount: number;
  AtMinIsrPartitionCount: number;
  LeaderCount: number;
  PartitionCount: number;
  OfflineReplicaCount: number;
}

export type BrokerMetrics = BrokerCounters & BrokerGauges;

export function newCounters(): BrokerCounters {
  return {
    IsrShrinksPerSec: 0,
    IsrExpandsPerSec: 0,
    BytesInPerSec: 0,
    BytesOutPerSec: 0,
    MessagesInPerSec: 0,
    ReplicationBytesInPerSec: 0,
    ReplicationBytesOutPerSec: 0,
    FailedProduceRequestsPerSec: 0,
    TotalProduceRequestsPerSec: 0,
    TotalFetchRequestsPerSec: 0,
    ProduceExpiresPerSec: 0,
  };
}
