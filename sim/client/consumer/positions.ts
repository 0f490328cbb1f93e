/**
 * The consumer's positions (Kafka's SubscriptionState): per assigned partition, the next offset to
 * return, the leader epoch of the last consumed record (KIP-320), and the fetch state:
 * initializing (no position yet: look up the committed offset), awaiting-reset (auto.offset.reset
 * must choose one with ListOffsets), awaiting-validation (after a leader change, check the
 * position with OffsetsForLeaderEpoch) and fetching.
 *
 * Models: `auto.offset.reset` earliest/latest/none when there is no committed offset
 * (NoOffsetForPartitionException with none) and on OFFSET_OUT_OF_RANGE (OffsetOutOfRangeException
 * with none); KIP-320 validation as `SubscriptionState.maybeCompleteValidation`: an end offset for
 * the position's epoch below the position is a truncation, which moves the position back to that
 * end offset (the first offset known to diverge) under earliest/latest, or throws
 * LogTruncationException under none; an undefined answer resets (or throws). `allConsumed()` is
 * what an auto commit sends: positions after records already returned to the application.
 *
 * Simplifies: no pausing and no preferred read replica (KIP-392). Faults: none; pure state.
 */
import { assert, assertSafeInt } from "../../engine/assert.ts";
import { tpKey } from "../../kafka/types.ts";
import type { OffsetResetPolicy } from "./settings.ts";
import type { ConsumerException, TopicPartitionRef } from "./types.ts";

export type FetchState = "initializing" | "awaiting-reset" | "awaiting-validation" | "fetching";

/** Why a reset was asked for (the `why` of `consumer.reset`). */
export type ResetWhy = "no-committed-offset" | "out-of-range" | "truncation" | "undefined-epoch";

export interface PartitionPosition {
  readonly topic: string;
  readonly partition: number;
  state: FetchState;
  /** The next offset to fetch and return; -1 when none yet. */
  offset: number;
  /** Epoch of the last consumed record or of the committed offset; -1 when unknown. */
  offsetEpoch: number;
  /** The leader and epoch the position was last checked against (metadata); -1 when unknown. */
  leader: number;
  leaderEpoch: number;
  /** Why the pending reset was asked for. */
  resetWhy: ResetWhy | undefined;
  /** A lookup (committed offset, ListOffsets, validation) for it is in flight. */
  busy: boolean;
  /**
   * After a failed ListOffsets or validation, no new one before this time, µs (Kafka's
   * SubscriptionState.requestFailed with retry.backoff.ms); 0 when none is pending.
   */
  retryAtUs: number;
  /** Last high watermark and log start offset a fetch answered with; -1 before any. */
  highWatermark: number;
  logStartOffset: number;
}

/** What a reset must do: look up an end of the log, or throw to the application. */
export type ResetDecision =
  | { readonly kind: "list-offsets"; readonly strategy: "earliest" | "latest" }
  | { readonly kind: "throw"; readonly exception: ConsumerException };

/** auto.offset.reset applied to a reason (Kafka throws only with none). */
export function decideReset(policy: OffsetResetPolicy, why: ResetWhy): ResetDecision {
  if (policy !== "none") return { kind: "list-offsets", strategy: policy };
  switch (why) {
    case "no-committed-offset":
      return { kind: "throw", exception: "NoOffsetForPartitionException" };
    case "out-of-range":
      return { kind: "throw", exception: "OffsetOutOfRangeException" };
    case "truncation":
    case "undefined-epoch":
      return { kind: "throw", exception: "LogTruncationException" };
  }
}

/** The outcome of checking a position against the leader's OffsetsForLeaderEpoch answer. */
export type ValidationOutcome =
  | { readonly kind: "valid" }
  /** Truncation found, with a reset policy: continue from the divergence point. */
  | { readonly kind: "truncated"; readonly offset: number; readonly epoch: number }
  /** The leader knows nothing of the epoch: reset by policy (or throw with none). */
  | { readonly kind: "undefined" }
  /** Truncation with auto.offset.reset=none. */
  | { readonly kind: "throw"; readonly divergentOffset: number };

/** `SubscriptionState.maybeCompleteValidation`. */
export function validatePosition(
  position: number,
  answer: { readonly leaderEpoch: number; readonly endOffset: number },
  policy: OffsetResetPolicy,
): ValidationOutcome {
  if (answer.endOffset < 0 || answer.leaderEpoch < 0) return { kind: "undefined" };
  if (answer.endOffset >= position) return { kind: "valid" };
  if (policy === "none") return { kind: "throw", divergentOffset: answer.endOffset };
  return { kind: "truncated", offset: answer.endOffset, epoch: answer.leaderEpoch };
}

export class Positions {
  private readonly byKey = new Map<string, PartitionPosition>();

  /** Assigned partitions, by topic then partition (a defined order for requests and the trace). */
  all(): PartitionPosition[] {
    return [...this.byKey.values()].sort((a, b) =>
      a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition,
    );
  }

  get(topic: string, partition: number): PartitionPosition | undefined {
    return this.byKey.get(tpKey(topic, partition));
  }

  has(tp: TopicPartitionRef): boolean {
    return this.byKey.has(tpKey(tp.topic, tp.partition));
  }

  get size(): number {
    return this.byKey.size;
  }

  /** Adds newly assigned partitions (no position yet); keeps those already held. */
  add(partitions: readonly TopicPartitionRef[]): void {
    for (const tp of partitions) {
      const key = tpKey(tp.topic, tp.partition);
      if (this.byKey.has(key)) continue;
      this.byKey.set(key, {
        topic: tp.topic,
        partition: tp.partition,
        state: "initializing",
        offset: -1,
        offsetEpoch: -1,
        leader: -1,
        leaderEpoch: -1,
        resetWhy: undefined,
        busy: false,
        retryAtUs: 0,
        highWatermark: -1,
        logStartOffset: -1,
      });
    }
  }

  remove(partitions: readonly TopicPartitionRef[]): void {
    for (const tp of partitions) this.byKey.delete(tpKey(tp.topic, tp.partition));
  }

  clear(): void {
    this.byKey.clear();
  }

  /** seek(): the position is set; with an epoch (a committed offset) KIP-320 checks it first. */
  seek(p: PartitionPosition, offset: number, offsetEpoch: number, validate: boolean): void {
    assertSafeInt(offset, "seek offset");
    assert(offset >= 0, () => `seek to a negative offset ${offset}`);
    p.offset = offset;
    p.offsetEpoch = offsetEpoch;
    p.resetWhy = undefined;
    p.state =
      validate && offsetEpoch >= 0 && p.leaderEpoch >= 0 ? "awaiting-validation" : "fetching";
  }

  requestReset(p: PartitionPosition, why: ResetWhy): void {
    p.state = "awaiting-reset";
    p.resetWhy = why;
  }

  /**
   * New metadata for the partition's leader. A change of leader or epoch sends a position with a
   * known epoch to validation (KIP-320), as `maybeValidatePositionForCurrentLeader` does.
   */
  leaderChanged(
    p: PartitionPosition,
    leader: number,
    leaderEpoch: number,
    kip320: boolean,
  ): boolean {
    if (leader === p.leader && leaderEpoch === p.leaderEpoch) return false;
    const hadLeader = p.leader >= 0 || p.leaderEpoch >= 0;
    p.leader = leader;
    p.leaderEpoch = leaderEpoch;
    if (
      kip320 &&
      hadLeader &&
      leader >= 0 &&
      p.state === "fetching" &&
      p.offsetEpoch >= 0 &&
      leaderEpoch >= 0
    ) {
      p.state = "awaiting-validation";
      return true;
    }
    return false;
  }

  /** `SubscriptionState.allConsumed()`: positions of partitions being fetched. */
  allConsumed(): Array<{ topic: string; partition: number; offset: number; leaderEpoch: number }> {
    const out: Array<{ topic: string; partition: number; offset: number; leaderEpoch: number }> =
      [];
    for (const p of this.all()) {
      if (p.state !== "fetching" || p.offset < 0) continue;
      out.push({
        topic: p.topic,
        partition: p.partition,
        offset: p.offset,
        leaderEpoch: p.offsetEpoch,
      });
    }
    return out;
  }
}
