/**
 * no-duplicates: no send (one producer batch, however often retried) appears at two offsets of its
 * partition's final committed log. The idempotent producer prevents this by sequence numbers; a
 * producer without idempotence that retries after a lost response writes the batch twice.
 *
 * Batches without an origin (control batches, records from tools that do not say) are not judged.
 */
import { formatTimeUs } from "../format.ts";
import type { FinalBatch, History, SendOutcome } from "../history.ts";
import { contextOf, describeSend, type Verdict, ViolationList, verdict } from "./common.ts";

export function checkNoDuplicates(history: History): Verdict {
  const name = "no-duplicates";
  if (history.final === undefined) {
    return verdict(
      name,
      "not checked: the history has no final state",
      new ViolationList(),
      "duplicate",
    );
  }
  const ctx = contextOf(history);
  const violations = new ViolationList();
  let batches = 0;
  for (const f of ctx.finalLogs.values()) {
    const first = new Map<string, FinalBatch>();
    const reported = new Set<string>();
    for (const b of f.log.replica.batches) {
      if (b.baseOffset >= f.hw) break;
      if (b.origin === undefined || b.isControl) continue;
      batches++;
      const earlier = first.get(b.origin);
      if (earlier === undefined) {
        first.set(b.origin, b);
        continue;
      }
      if (reported.has(b.origin)) continue;
      reported.add(b.origin);
      const offsets = f.log
        .batchesOf(b.origin)
        .filter((x) => x.baseOffset < f.hw)
        .map((x) => `offset ${x.baseOffset} (epoch ${x.leaderEpoch})`);
      violations.add({
        anomaly: "duplicate",
        message:
          `${describeSend(ctx, b.origin)} appears ${offsets.length} times on ${f.topic}-${f.partition}: ` +
          `at ${offsets.join(" and ")}; ${outcomeClause(ctx.outcomes.get(b.origin))}`,
        topic: f.topic,
        partition: f.partition,
        offset: b.baseOffset,
        sendId: b.origin,
      });
    }
  }
  return verdict(
    name,
    `${batches} committed batches with an origin on ${ctx.finalLogs.size} partitions`,
    violations,
    "duplicate",
  );
}

/** What the producer was told about the send. */
export function outcomeClause(out: SendOutcome | undefined): string {
  if (out === undefined || out.outcome === "unknown")
    return "the producer never learned its outcome";
  const at = formatTimeUs(out.atUs);
  if (out.outcome === "failed")
    return `the producer was told it failed (${out.error ?? "error"}) at ${at}`;
  if (out.acks === "0") return `the producer sent it with acks=0 at ${at}`;
  const by = out.by === undefined ? "" : ` by broker ${out.by}`;
  return `acknowledged at offset ${out.offset}${by} at ${at}`;
}
