/**
 * The records of `__consumer_offsets` (Kafka's GroupMetadataManager / GroupCoordinatorRecordSerde):
 * an offset commit keyed by (group, topic, partition) and a group's metadata keyed by (group). A
 * null value is a tombstone, so compaction keeps only the latest value of each key, as in Kafka.
 *
 * Simplified: keys and values are JSON text instead of Kafka's versioned binary schemas
 * (OffsetCommitKey/Value, GroupMetadataKey/Value); the modelled size is the text's length plus a
 * per-record overhead. Timestamps are kept in microseconds of virtual time.
 *
 * Faults: none (pure functions).
 */
import type { ConsumerSubscription } from "../protocol-clients.ts";
import type { TopicPartition } from "../types.ts";
import type { ConsumerGroupRecordValue } from "./consumer-group.ts";

/** OffsetCommitValue. */
export interface OffsetRecordValue {
  readonly offset: number;
  readonly leaderEpoch: number;
  readonly metadata: string;
  readonly commitTimestampUs: number;
}

/** One member in GroupMetadataValue. */
export interface MemberRecord {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  readonly rebalanceTimeoutMs: number;
  readonly sessionTimeoutMs: number;
  /** The member's protocols in preference order (name and subscription). */
  readonly protocols: ReadonlyArray<{
    readonly name: string;
    readonly metadata: ConsumerSubscription;
  }>;
  readonly assignment: readonly TopicPartition[];
}

/** GroupMetadataValue. */
export interface GroupRecordValue {
  readonly protocolType: string | null;
  readonly generation: number;
  readonly protocol: string | null;
  readonly leader: string | null;
  /** When the group entered its current state (KIP-211: offsets of an empty group expire from it). */
  readonly currentStateTimestampUs: number;
  readonly members: readonly MemberRecord[];
}

export type OffsetsTopicRecord =
  | {
      readonly kind: "offset";
      readonly group: string;
      readonly topic: string;
      readonly partition: number;
      readonly value: OffsetRecordValue | null;
    }
  | { readonly kind: "group"; readonly group: string; readonly value: GroupRecordValue | null }
  | {
      readonly kind: "consumer-group";
      readonly group: string;
      readonly value: ConsumerGroupRecordValue | null;
    };

/** Per-record overhead of a v2 record (length, attributes, deltas, header count), modelled. */
const RECORD_OVERHEAD_BYTES = 20;
/** A record batch header (v2), modelled. */
export const BATCH_HEADER_BYTES = 61;

export function offsetKey(group: string, topic: string, partition: number): string {
  // Key version 1 is an offset commit, version 2 group metadata, as in Kafka.
  return JSON.stringify({ v: 1, group, topic, partition });
}

export function groupKey(group: string): string {
  return JSON.stringify({ v: 2, group });
}

/**
 * A KIP-848 group's whole state (key version 3, ours: Kafka writes ConsumerGroupMetadata,
 * ConsumerGroupMemberMetadata, TargetAssignment and CurrentMemberAssignment records instead).
 */
export function consumerGroupKey(group: string): string {
  return JSON.stringify({ v: 3, group });
}

export function encodeConsumerGroupValue(value: ConsumerGroupRecordValue): string {
  return JSON.stringify(value);
}

export function encodeOffsetValue(value: OffsetRecordValue): string {
  return JSON.stringify({
    offset: value.offset,
    leaderEpoch: value.leaderEpoch,
    metadata: value.metadata,
    commitTimestampUs: value.commitTimestampUs,
  });
}

export function encodeGroupValue(value: GroupRecordValue): string {
  return JSON.stringify(value);
}

/** The modelled size of one record with this key and value. */
export function recordBytes(key: string, value: string | null): number {
  return RECORD_OVERHEAD_BYTES + key.length + (value === null ? 0 : value.length);
}

/** Reads a record back; undefined for a key this model did not write (never expected). */
export function decodeRecord(key: string, value: string | null): OffsetsTopicRecord | undefined {
  const k = JSON.parse(key) as { v: number; group: string; topic?: string; partition?: number };
  if (k.v === 1 && k.topic !== undefined && k.partition !== undefined) {
    return {
      kind: "offset",
      group: k.group,
      topic: k.topic,
      partition: k.partition,
      value: value === null ? null : (JSON.parse(value) as OffsetRecordValue),
    };
  }
  if (k.v === 2) {
    return {
      kind: "group",
      group: k.group,
      value: value === null ? null : (JSON.parse(value) as GroupRecordValue),
    };
  }
  if (k.v === 3) {
    return {
      kind: "consumer-group",
      group: k.group,
      value: value === null ? null : (JSON.parse(value) as ConsumerGroupRecordValue),
    };
  }
  return undefined;
}
