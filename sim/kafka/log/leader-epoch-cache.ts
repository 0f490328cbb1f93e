/**
 * The leader-epoch cache of one partition replica: Kafka's `LeaderEpochFileCache`, persisted in the
 * file `leader-epoch-checkpoint`. It is a list of (epoch, startOffset) pairs, one per leader epoch
 * that wrote (or took over) at that offset, and it answers OffsetsForLeaderEpoch: "where does epoch E
 * end in your log?" That answer is what KIP-101 and KIP-279 truncate to.
 *
 * Two rule sets, chosen per version profile:
 * - `strict` (2.0+, truncation modes kip279 and diverging-epoch): the current
 *   `LeaderEpochFileCache.assign`. A new epoch first removes trailing entries that would break
 *   monotonicity (same or higher epoch, or same or higher start offset): an entry whose epoch never
 *   wrote a batch is replaced by the next one at the same offset.
 * - `lenient` (0.11–1.1, truncation modes hw and kip101): the old `assign`, which ignores an epoch that
 *   is not newer than the latest and keeps two entries with the same start offset. Under KIP-101 a
 *   follower can still receive a batch from an older epoch (scenario S3); this cache then ignores it,
 *   as those versions did.
 *
 * Simplified: the checkpoint file is not modelled separately. Kafka writes it synchronously on
 * assign, so after a power loss the cache holds what it held in memory, and the log's recovery
 * truncates it from the end (PartitionLog does that). Faults: none of its own.
 */
import { assert, assertSafeInt } from "../../engine/assert.ts";
import type { TruncationMode } from "../version.ts";

/** OffsetsForLeaderEpochResponse.UNDEFINED_EPOCH. */
export const UNDEFINED_EPOCH = -1;
/** OffsetsForLeaderEpochResponse.UNDEFINED_EPOCH_OFFSET. */
export const UNDEFINED_EPOCH_OFFSET = -1;

export interface EpochEntry {
  readonly epoch: number;
  readonly startOffset: number;
}

/** An OffsetsForLeaderEpoch answer: (leader epoch, end offset), or both UNDEFINED (-1). */
export interface EpochEndOffset {
  readonly epoch: number;
  readonly endOffset: number;
}

export const UNDEFINED_EPOCH_END_OFFSET: EpochEndOffset = Object.freeze({
  epoch: UNDEFINED_EPOCH,
  endOffset: UNDEFINED_EPOCH_OFFSET,
});

export type EpochCacheRules = "strict" | "lenient";

/** The cache rules that go with a version profile's truncation mode. */
export function epochRulesFor(mode: TruncationMode): EpochCacheRules {
  return mode === "hw" || mode === "kip101" ? "lenient" : "strict";
}

export class LeaderEpochCache {
  private entries: EpochEntry[] = [];

  constructor(
    readonly rules: EpochCacheRules = "strict",
    initial: readonly EpochEntry[] = [],
  ) {
    for (const entry of initial) this.assign(entry.epoch, entry.startOffset);
  }

  get size(): number {
    return this.entries.length;
  }

  /** A copy of the entries, oldest first (for drawing, checkpoints and tests). */
  snapshot(): EpochEntry[] {
    return this.entries.slice();
  }

  latestEntry(): EpochEntry | undefined {
    return this.entries[this.entries.length - 1];
  }

  earliestEntry(): EpochEntry | undefined {
    return this.entries[0];
  }

  /** The latest epoch, or UNDEFINED_EPOCH when the cache is empty. */
  latestEpoch(): number {
    return this.latestEntry()?.epoch ?? UNDEFINED_EPOCH;
  }

  entryFor(epoch: number): EpochEntry | undefined {
    const i = this.firstIndexAbove(epoch) - 1;
    const entry = this.entries[i];
    return entry !== undefined && entry.epoch === epoch ? entry : undefined;
  }

  /**
   * Records that `epoch` starts at `startOffset`. Called for every appended batch (with the batch's
   * epoch and base offset) and by a new leader at its log end. Returns whether the cache changed.
   */
  assign(epoch: number, startOffset: number): boolean {
    assertSafeInt(epoch, "leader epoch");
    assertSafeInt(startOffset, "epoch start offset");
    assert(epoch >= 0 && startOffset >= 0, () => `invalid epoch entry (${epoch}, ${startOffset})`);
    const changed =
      this.rules === "strict"
        ? this.assignStrict(epoch, startOffset)
        : this.assignLenient(epoch, startOffset);
    if (changed) this.checkInvariants();
    return changed;
  }

  /** LeaderEpochFileCache.assign (2.x and later). */
  private assignStrict(epoch: number, startOffset: number): boolean {
    const latest = this.latestEntry();
    if (latest !== undefined && latest.epoch === epoch && startOffset >= latest.startOffset) {
      return false;
    }
    // maybeTruncateNonMonotonicEntries: drop trailing entries that the new one contradicts.
    while (this.entries.length > 0) {
      const last = this.entries[this.entries.length - 1]!;
      if (last.epoch < epoch && last.startOffset < startOffset) break;
      this.entries.pop();
    }
    this.entries.push({ epoch, startOffset });
    return true;
  }

  /** LeaderEpochFileCache.assign of 0.11–1.1: only a newer epoch at a later-or-equal offset. */
  private assignLenient(epoch: number, startOffset: number): boolean {
    const latest = this.latestEntry();
    if (latest !== undefined && (epoch <= latest.epoch || startOffset < latest.startOffset)) {
      return false;
    }
    this.entries.push({ epoch, startOffset });
    return true;
  }

  /**
   * The KIP-279 answer (2.0+, `endOffsetFor`): the largest epoch ≤ the requested one and its end
   * offset, which is the start offset of the next larger epoch, or `logEndOffset` when the requested
   * epoch is the latest. UNDEFINED when the requested epoch is UNDEFINED or above every epoch known.
   * A requested epoch below every known epoch answers (requestedEpoch, first start offset): the data
   * before it has been deleted, and the follower should start from there.
   */
  endOffsetFor(requestedEpoch: number, logEndOffset: number): EpochEndOffset {
    if (requestedEpoch === UNDEFINED_EPOCH) return UNDEFINED_EPOCH_END_OFFSET;
    const latest = this.latestEntry();
    if (latest !== undefined && latest.epoch === requestedEpoch) {
      return { epoch: requestedEpoch, endOffset: logEndOffset };
    }
    const higherIndex = this.firstIndexAbove(requestedEpoch);
    const higher = this.entries[higherIndex];
    if (higher === undefined) return UNDEFINED_EPOCH_END_OFFSET;
    const floor = this.entries[higherIndex - 1];
    if (floor === undefined) return { epoch: requestedEpoch, endOffset: higher.startOffset };
    return { epoch: floor.epoch, endOffset: higher.startOffset };
  }

  /**
   * The KIP-101 answer (0.11–1.1, `endOffsetFor` before KIP-279): an offset only. The log end offset
   * when the requested epoch is the latest; otherwise the start offset of the first epoch larger than
   * the requested one; UNDEFINED_EPOCH_OFFSET when there is none, or when the requested epoch is older
   * than every epoch in the cache (so the follower falls back to its high watermark).
   */
  kip101EndOffset(requestedEpoch: number, logEndOffset: number): number {
    if (requestedEpoch === UNDEFINED_EPOCH) return UNDEFINED_EPOCH_OFFSET;
    const latest = this.latestEntry();
    if (latest !== undefined && latest.epoch === requestedEpoch) return logEndOffset;
    const first = this.earliestEntry();
    const higher = this.entries[this.firstIndexAbove(requestedEpoch)];
    if (higher === undefined || first === undefined || requestedEpoch < first.epoch) {
      return UNDEFINED_EPOCH_OFFSET;
    }
    return higher.startOffset;
  }

  /** The epoch of the leader that wrote `offset` by this cache, or UNDEFINED_EPOCH. */
  epochForOffset(offset: number): number {
    let found = UNDEFINED_EPOCH;
    for (const entry of this.entries) {
      if (entry.startOffset > offset) break;
      found = entry.epoch;
    }
    return found;
  }

  /** Removes the entries whose start offset is ≥ `endOffset` (log truncation). Returns them. */
  truncateFromEnd(endOffset: number): EpochEntry[] {
    const removed: EpochEntry[] = [];
    while (this.entries.length > 0 && endOffset >= 0) {
      const last = this.entries[this.entries.length - 1]!;
      if (last.startOffset < endOffset) break;
      removed.unshift(last);
      this.entries.pop();
    }
    return removed;
  }

  /**
   * Moves the start of the cache to `startOffset` (the log start moved): the entries that start at
   * or before it are removed and the last of them comes back starting at `startOffset`. Exclusive,
   * as in Kafka: truncateFromStart(6) keeps an entry at 6.
   */
  truncateFromStart(startOffset: number): EpochEntry[] {
    let n = 0;
    while (n < this.entries.length && this.entries[n]!.startOffset <= startOffset) n++;
    if (n === 0) return [];
    const removed = this.entries.splice(0, n);
    this.entries.unshift({ epoch: removed[removed.length - 1]!.epoch, startOffset });
    this.checkInvariants();
    return removed;
  }

  clear(): void {
    this.entries = [];
  }

  /** Epochs strictly increasing, start offsets non-decreasing, nothing negative. */
  checkInvariants(): void {
    let prev: EpochEntry | undefined;
    for (const entry of this.entries) {
      assert(entry.epoch >= 0 && entry.startOffset >= 0, "epoch cache: negative entry");
      if (prev !== undefined) {
        assert(entry.epoch > prev.epoch, () => `epoch cache: epochs not increasing ${this.text()}`);
        assert(
          entry.startOffset >= prev.startOffset,
          () => `epoch cache: start offsets decreasing ${this.text()}`,
        );
      }
      prev = entry;
    }
  }

  /** `{e0:0, e2:1}`, for assertion messages and traces. */
  text(): string {
    return `{${this.entries.map((e) => `e${e.epoch}:${e.startOffset}`).join(", ")}}`;
  }

  /** Index of the first entry whose epoch is > `epoch` (entries.length if none); binary search. */
  private firstIndexAbove(epoch: number): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.entries[mid]!.epoch > epoch) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}

/** Where a follower truncates after one OffsetsForLeaderEpoch round, and whether it is done. */
export interface TruncationStep {
  readonly truncateTo: number;
  /** false: truncate, then ask again with the (new) latest epoch of the follower's cache. */
  readonly completed: boolean;
}

/** The follower's side of a truncation round, as the two rules below need it. */
export interface FollowerLogView {
  readonly epochCache: LeaderEpochCache;
  readonly logEndOffset: number;
  readonly highWatermark: number;
}

/**
 * KIP-279 follower rule (`AbstractFetcherThread.getOffsetTruncationState`), given the leader's reply
 * to OffsetsForLeaderEpoch(follower's latest epoch):
 * - reply offset UNDEFINED → truncate to the follower's high watermark;
 * - reply epoch UNDEFINED (an old leader) → min(reply offset, LEO);
 * - the follower knows no epoch ≤ the replied one → min(reply offset, LEO);
 * - the follower's largest epoch ≤ the replied one is another epoch → truncate to that epoch's end
 *   offset and ask again;
 * - otherwise → min(reply offset, the follower's end offset of that epoch, LEO).
 */
export function kip279TruncationStep(
  reply: EpochEndOffset,
  follower: FollowerLogView,
): TruncationStep {
  const leo = follower.logEndOffset;
  if (reply.endOffset === UNDEFINED_EPOCH_OFFSET) {
    return { truncateTo: follower.highWatermark, completed: true };
  }
  if (reply.epoch === UNDEFINED_EPOCH) {
    return { truncateTo: Math.min(reply.endOffset, leo), completed: true };
  }
  const own = follower.epochCache.endOffsetFor(reply.epoch, leo);
  if (own.endOffset === UNDEFINED_EPOCH_OFFSET) {
    return { truncateTo: Math.min(reply.endOffset, leo), completed: true };
  }
  if (own.epoch !== reply.epoch) {
    return { truncateTo: Math.min(own.endOffset, leo), completed: false };
  }
  return { truncateTo: Math.min(reply.endOffset, own.endOffset, leo), completed: true };
}

/**
 * KIP-101 follower rule (0.11–1.1): truncate to min(reply, LEO); an UNDEFINED reply falls back to
 * the follower's high watermark. One round only.
 */
export function kip101TruncationStep(
  replyEndOffset: number,
  follower: FollowerLogView,
): TruncationStep {
  if (replyEndOffset === UNDEFINED_EPOCH_OFFSET) {
    return { truncateTo: follower.highWatermark, completed: true };
  }
  return { truncateTo: Math.min(replyEndOffset, follower.logEndOffset), completed: true };
}
