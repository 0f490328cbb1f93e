/**
 * The records of `__transaction_state` (Kafka's TransactionLog: TransactionLogKey and
 * TransactionLogValue): one record per transactional id and state change, keyed by the id, the
 * value being the new metadata (producer id and epoch, last ones, timeout, state, partitions,
 * timestamps). A null value is a tombstone (the id expired, state Dead), so compaction keeps only
 * the latest state of each id, as in Kafka.
 *
 * Simplified: keys and values are JSON text instead of Kafka's versioned binary schemas; the
 * state is written as Kafka's state byte (`transactionStateId`); the modelled size is the text's
 * length plus a per-record overhead (group/records.ts). The in-memory `epochFence` flag is never
 * written, as in Kafka (a record holds the state reached, not how it was reached).
 *
 * Faults: none (pure functions). A key this model did not write decodes as undefined.
 */
import { assert } from "../../engine/assert.ts";
import type { TopicPartition } from "../types.ts";
import type { TxnTransitMetadata } from "./transaction-metadata.ts";
import { transactionStateFromId, transactionStateId } from "./transaction-state.ts";

/** TransactionLogKey version 0: the transactional id. */
export function transactionLogKey(transactionalId: string): string {
  return JSON.stringify({ v: 0, transactionalId });
}

/** TransactionLogValue: the metadata a transit writes (epochFence is not part of the record). */
export function encodeTransactionLogValue(transit: TxnTransitMetadata): string {
  return JSON.stringify({
    producerId: transit.producerId,
    lastProducerId: transit.lastProducerId,
    producerEpoch: transit.producerEpoch,
    lastProducerEpoch: transit.lastProducerEpoch,
    txnTimeoutMs: transit.txnTimeoutMs,
    state: transactionStateId(transit.txnState),
    topicPartitions: transit.topicPartitions.map((tp) => [tp.topic, tp.partition]),
    txnStartTimestamp: transit.txnStartTimestamp,
    txnLastUpdateTimestamp: transit.txnLastUpdateTimestamp,
  });
}

export interface TransactionLogRecord {
  readonly transactionalId: string;
  /** null: a tombstone (the id was removed). */
  readonly value: TxnTransitMetadata | null;
}

/** Reads a record back; undefined for a key this model did not write. */
export function decodeTransactionLogRecord(
  key: string,
  value: string | null,
): TransactionLogRecord | undefined {
  const k = JSON.parse(key) as { v?: number; transactionalId?: string };
  if (k.v !== 0 || typeof k.transactionalId !== "string") return undefined;
  if (value === null) return { transactionalId: k.transactionalId, value: null };
  const v = JSON.parse(value) as {
    producerId: number;
    lastProducerId: number;
    producerEpoch: number;
    lastProducerEpoch: number;
    txnTimeoutMs: number;
    state: number;
    topicPartitions: Array<[string, number]>;
    txnStartTimestamp: number;
    txnLastUpdateTimestamp: number;
  };
  assert(Array.isArray(v.topicPartitions), "a transaction log value lists its partitions");
  const topicPartitions: TopicPartition[] = v.topicPartitions.map(([topic, partition]) => ({
    topic,
    partition,
  }));
  return {
    transactionalId: k.transactionalId,
    value: {
      producerId: v.producerId,
      lastProducerId: v.lastProducerId,
      producerEpoch: v.producerEpoch,
      lastProducerEpoch: v.lastProducerEpoch,
      txnTimeoutMs: v.txnTimeoutMs,
      txnState: transactionStateFromId(v.state),
      topicPartitions,
      txnStartTimestamp: v.txnStartTimestamp,
      txnLastUpdateTimestamp: v.txnLastUpdateTimestamp,
      epochFence: false,
    },
  };
}
