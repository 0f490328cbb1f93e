/**
 * no-skipped-records: every record below a group's final committed offset on a partition was
 * delivered to one of its members. At-most-once delivery shows here: an offset is committed before
 * the records below it are processed, the member dies, and the next owner starts past them.
 *
 * Which records: those of the final committed log (below the HW, at or above the log start) from
 * where the group began up to its final commit. The group began at its first OffsetReset on the
 * partition (auto.offset.reset or a seek); without one, at its first poll's offset. But a group
 * that was already reading a topic began there for its new partitions too: when a partition's
 * first reset (not a seek) comes after the group's first delivery from that topic, every record
 * sent to it after that delivery counts (reference S18: partitions added while the group reads,
 * reset to latest when it finally sees them, lose what was written there meanwhile). Control records
 * never count; aborted (or still open) transactions do not count for a group that read with
 * read_committed. Records the log no longer holds (truncated, retention, compaction) are not
 * required: the other checkers speak for those.
 */
import { tpKey } from "../../kafka/types.ts";
import { formatOffsets, formatTimeUs, plural } from "../format.ts";
import type { CommitRecord, FinalBatch, History, OffsetReset, PollRecord } from "../history.ts";
import {
  batchTxnFate,
  type CheckContext,
  contextOf,
  describeSend,
  type FinalLog,
  sortedBy,
  txnCommitted,
  type Verdict,
  ViolationList,
  verdict,
} from "./common.ts";
import { type Interval, mergeSpans, spansByOrigin, uncovered } from "./deliveries.ts";
import { commitsByGroupTp, groupPolls } from "./no-reprocessing.ts";

export function checkNoSkippedRecords(history: History): Verdict {
  const name = "no-skipped-records";
  if (history.final === undefined) {
    return verdict(
      name,
      "not checked: the history has no final state",
      new ViolationList(),
      "skip",
    );
  }
  const ctx = contextOf(history);
  const violations = new ViolationList();
  const polls = groupPolls(history.polls);
  const resets = firstResets(history.resets);
  const readingSince = firstDeliveryByGroupTopic(history.polls);
  let judged = 0;
  let required = 0;
  for (const [key, commits] of commitsByGroupTp(history.commits)) {
    const last = commits[commits.length - 1]!;
    const f = ctx.finalLogs.get(tpKey(last.topic, last.partition));
    if (f === undefined) continue;
    const groupPollList = polls.get(key) ?? [];
    const reset = resets.get(key);
    let from = reset?.offset ?? groupPollList[0]?.offset ?? last.offset;
    const since = readingSince.get(`${last.group}|${last.topic}`);
    if (
      reset !== undefined &&
      reset.strategy !== "seek" &&
      since !== undefined &&
      reset.atUs > since
    )
      from = Math.min(from, firstSentAfter(ctx, f, since) ?? from);
    judged++;
    required += judgePartition(ctx, f, last, from, groupPollList, commits, violations);
  }
  return verdict(
    name,
    `${plural(judged, "group partition")} judged; ${plural(required, "record")} required below the final commits`,
    violations,
    "skip",
  );
}

/** Checks one group's partition; returns the number of records it required. */
function judgePartition(
  ctx: CheckContext,
  f: FinalLog,
  last: CommitRecord,
  from: number,
  polls: ReadonlyArray<PollRecord>,
  commits: ReadonlyArray<CommitRecord>,
  violations: ViolationList,
): number {
  const readCommitted = polls.some((p) => p.isolation === "read_committed");
  const delivered = new Map<string, Interval[]>();
  for (const [origin, spans] of spansByOrigin(polls)) delivered.set(origin, mergeSpans(spans));
  const anyOrigin = delivered.get("") ?? [];
  const lo = Math.max(from, f.logStartOffset);
  const hi = Math.min(last.offset, f.hw);
  let required = 0;
  for (
    let b = f.log.batchFrom(lo);
    b !== undefined && b.baseOffset < hi;
    b = f.log.batchFrom(b.baseOffset + b.count)
  ) {
    if (b.isControl === true) continue;
    if (readCommitted && !txnCommitted(batchTxnFate(ctx, f.topic, f.partition, b))) continue;
    const start = Math.max(lo, b.baseOffset);
    const end = Math.min(hi, b.baseOffset + b.count);
    const lists = b.origin === undefined ? [anyOrigin] : [anyOrigin, delivered.get(b.origin) ?? []];
    for (const [s, e] of uncovered(lists, start, end)) {
      const missing = recordsIn(b, s, e);
      if (missing === undefined) continue;
      violations.add({
        anomaly: "skip",
        message: explain(ctx, f, b, missing, last, commits),
        topic: f.topic,
        partition: f.partition,
        offset: missing.first,
        ...(b.origin === undefined ? {} : { sendId: b.origin }),
      });
    }
    required += recordsIn(b, start, end)?.count ?? 0;
  }
  return required;
}

interface Records {
  readonly first: number;
  readonly last: number;
  readonly count: number;
}

/** The records of the batch in [s, e) (all offsets unless compacted), or undefined if none. */
function recordsIn(b: FinalBatch, s: number, e: number): Records | undefined {
  if (b.offsets === undefined) return e > s ? { first: s, last: e - 1, count: e - s } : undefined;
  const inside = b.offsets.filter((o) => o >= s && o < e);
  if (inside.length === 0) return undefined;
  return { first: inside[0]!, last: inside[inside.length - 1]!, count: inside.length };
}

function explain(
  ctx: CheckContext,
  f: FinalLog,
  b: FinalBatch,
  missing: Records,
  last: CommitRecord,
  commits: ReadonlyArray<CommitRecord>,
): string {
  const first = missing.first;
  const one = missing.count === 1;
  const what = one
    ? `offset ${first}`
    : `${formatOffsets(first, missing.last + 1)} (${missing.count} records)`;
  const origin = b.origin === undefined ? "a batch without origin" : describeSend(ctx, b.origin);
  const past = commits.find((c) => c.offset > first);
  const how =
    past === undefined
      ? ""
      : `; ${past.consumer} committed offset ${past.offset} past ${one ? "it" : "them"} at ${formatTimeUs(past.atUs)}`;
  return (
    `${what} of ${f.topic}-${f.partition}, from ${origin}, ${one ? "is" : "are"} below group ${last.group}'s ` +
    `final committed offset ${last.offset} (${last.consumer} at ${formatTimeUs(last.atUs)}), but no member ` +
    `received ${one ? "it" : "them"}${how}`
  );
}

/** The first reset of each group on each partition. */
function firstResets(resets: ReadonlyArray<OffsetReset>): Map<string, OffsetReset> {
  const out = new Map<string, OffsetReset>();
  for (const r of sortedBy(resets, (a, b) => a.atUs - b.atUs)) {
    if (r.group === null) continue;
    const key = `${r.group}|${tpKey(r.topic, r.partition)}`;
    if (!out.has(key)) out.set(key, r);
  }
  return out;
}

/** When each group first received records of each topic (key `${group}|${topic}`). */
function firstDeliveryByGroupTopic(polls: ReadonlyArray<PollRecord>): Map<string, number> {
  const out = new Map<string, number>();
  for (const p of polls) {
    if (p.group === null || p.count === 0) continue;
    const key = `${p.group}|${p.topic}`;
    const t = out.get(key);
    if (t === undefined || p.atUs < t) out.set(key, p.atUs);
  }
  return out;
}

/** The base offset of the log's first batch whose send began after `atUs`, if any. */
function firstSentAfter(ctx: CheckContext, f: FinalLog, atUs: number): number | undefined {
  for (
    let b = f.log.batchFrom(f.logStartOffset);
    b !== undefined;
    b = f.log.batchFrom(b.baseOffset + b.count)
  ) {
    if (b.origin === undefined) continue;
    const send = ctx.sends.get(b.origin);
    if (send !== undefined && send.sentAtUs > atUs) return b.baseOffset;
  }
  return undefined;
}
