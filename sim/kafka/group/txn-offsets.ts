/**
 * A group's pending transactional offset commits (KIP-98, KIP-447; Kafka's
 * GroupMetadata.pendingTransactionalOffsetCommits): offsets a transactional producer sent with
 * TxnOffsetCommit, kept per producer id until the transaction's marker reaches the group's
 * `__consumer_offsets` partition. COMMIT makes them the group's committed offsets (unless a commit
 * written later in the log already replaced one), ABORT drops them. Until then OffsetFetch does not
 * return them, and a fetch that asks `requireStable` gets UNSTABLE_OFFSET_COMMIT for their partitions.
 *
 * An entry is prepared before its record is appended (`recordOffset` -1) and learns the record's
 * log offset when the append is acknowledged (GroupMetadata.onTxnOffsetCommitAppend); a failed
 * append removes it (failPendingTxnOffsetCommit). Completing a COMMIT with an entry whose record
 * was never appended is a bug (Kafka throws IllegalStateException) and is asserted against.
 *
 * Pure data structure; no time, no I/O. Faults: none of its own (it lives in the coordinator's
 * memory and is rebuilt from the log by the loader).
 */
import { assert } from "../../engine/assert.ts";
import { tpKey } from "../types.ts";
import type { OffsetRecordValue } from "./records.ts";

/** One offset of one producer's open transaction, for one partition. */
export interface TxnOffsetEntry {
  readonly topic: string;
  readonly partition: number;
  readonly value: OffsetRecordValue;
  /** The log offset of its record in `__consumer_offsets`; -1 until the append is acknowledged. */
  recordOffset: number;
}

export class PendingTxnOffsets {
  /** Producer id → tpKey → entry. */
  private readonly byProducer = new Map<number, Map<string, TxnOffsetEntry>>();

  /** prepareTxnOffsetCommit: the offsets wait for their append (a later one replaces an earlier). */
  prepare(producerId: number, entries: readonly TxnOffsetEntry[]): void {
    let map = this.byProducer.get(producerId);
    if (map === undefined) {
      map = new Map();
      this.byProducer.set(producerId, map);
    }
    for (const e of entries) map.set(tpKey(e.topic, e.partition), e);
  }

  /** onTxnOffsetCommitAppend: the record of `entry` is in the log at `recordOffset`. */
  onAppend(producerId: number, entry: TxnOffsetEntry, recordOffset: number): void {
    assert(recordOffset >= 0, "an appended txn offset has a log offset");
    const current = this.byProducer.get(producerId)?.get(tpKey(entry.topic, entry.partition));
    // Only the same request's entry: a newer TxnOffsetCommit for the partition may have replaced it.
    if (current === entry) current.recordOffset = recordOffset;
  }

  /** failPendingTxnOffsetCommit: the append failed; the client will retry. */
  fail(producerId: number, entry: TxnOffsetEntry): void {
    const map = this.byProducer.get(producerId);
    if (map === undefined) return;
    const key = tpKey(entry.topic, entry.partition);
    if (map.get(key) === entry) map.delete(key);
    if (map.size === 0) this.byProducer.delete(producerId);
  }

  /**
   * The producer's marker: its entries leave, sorted by topic and partition. For a COMMIT each must
   * have been appended (the marker follows its records in the log).
   */
  complete(producerId: number, commit: boolean): TxnOffsetEntry[] {
    const map = this.byProducer.get(producerId);
    if (map === undefined) return [];
    this.byProducer.delete(producerId);
    const out = [...map.values()].sort(byTopicPartition);
    if (commit) {
      for (const e of out) {
        assert(
          e.recordOffset >= 0,
          () =>
            `txn offset commit of producer ${producerId} for ${e.topic}-${e.partition} completed before its record was appended`,
        );
      }
    }
    return out;
  }

  hasProducer(producerId: number): boolean {
    return this.byProducer.has(producerId);
  }

  /** GroupMetadata.hasPendingOffsetCommitsForTopicPartition (the transactional part). */
  hasPartition(topic: string, partition: number): boolean {
    const key = tpKey(topic, partition);
    for (const map of this.byProducer.values()) if (map.has(key)) return true;
    return false;
  }

  get isEmpty(): boolean {
    return this.byProducer.size === 0;
  }

  /** Producer ids with pending offsets, ascending. */
  producers(): number[] {
    return [...this.byProducer.keys()].sort((a, b) => a - b);
  }

  /** A producer's pending entries, sorted (for views and tests). */
  entries(producerId: number): TxnOffsetEntry[] {
    return [...(this.byProducer.get(producerId)?.values() ?? [])].sort(byTopicPartition);
  }
}

function byTopicPartition(a: TxnOffsetEntry, b: TxnOffsetEntry): number {
  return a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition;
}
