/**
 * read-committed: a consumer with isolation.level=read_committed never receives records of an
 * aborted transaction, nor of one still open when it polled (records above the last stable offset).
 *
 * A transactional batch belongs to the transaction that the first marker of its transactional id
 * (or producer id) after it on the same partition ends (TxnMarker). When a poll carries origins,
 * its transactional batches are named by them. Otherwise the poll is read against the final log: a
 * read_committed fetch legitimately spans aborted batches and filters them out, so the poll is
 * wrong only when it delivered more records than its span holds outside bad transactions; the
 * first such batch is named. Polls without origins on a partition absent from the final state are
 * not judged.
 *
 * And for every stream processor with processing.guarantee=exactly_once_v2: each input record its
 * group committed past has exactly one effect in the committed output (processor-effects.ts).
 */
import { tpKey } from "../../kafka/types.ts";
import { formatTimeUs } from "../format.ts";
import { type FinalBatch, type History, type PollRecord, pollEnd } from "../history.ts";
import {
  batchTxnFate,
  type CheckContext,
  contextOf,
  type TxnFate,
  type Verdict,
  ViolationList,
  verdict,
} from "./common.ts";
import { processorEffects } from "./processor-effects.ts";

interface Suspect {
  readonly batch: FinalBatch;
  readonly fate: TxnFate;
  readonly why: string;
}

export function checkReadCommitted(history: History): Verdict {
  const ctx = contextOf(history);
  const violations = new ViolationList();
  let judged = 0;
  let unjudged = 0;
  for (const p of history.polls) {
    if (p.isolation !== "read_committed") continue;
    const suspects =
      p.origins !== undefined && p.origins.length > 0 ? byOrigins(ctx, p) : byFinalLog(ctx, p);
    if (suspects === undefined) {
      unjudged++;
      continue;
    }
    judged++;
    for (const { batch, fate, why } of suspects) {
      const what =
        batch.origin === undefined
          ? `a batch of transaction ${fate.transactionalId}`
          : `${batch.origin} (transaction ${fate.transactionalId})`;
      violations.add({
        anomaly: "dirty read",
        message:
          `${p.consumer} (read_committed) received ${what} at offset ${batch.baseOffset} of ` +
          `${tpKey(p.topic, p.partition)} at ${formatTimeUs(p.atUs)}; ${why}`,
        topic: p.topic,
        partition: p.partition,
        offset: batch.baseOffset,
        ...(batch.origin === undefined ? {} : { sendId: batch.origin }),
        atUs: p.atUs,
      });
    }
  }
  const dirtyReads = violations.count;
  const processors = checkExactlyOnce(history, violations);
  const summary =
    `${judged} read_committed polls judged` +
    (unjudged > 0 ? `; ${unjudged} without origins or final log not judged` : "") +
    processors;
  return violations.count === dirtyReads
    ? verdict("read-committed", summary, violations, "dirty read")
    : verdict("read-committed", summary, violations, "violation");
}

/**
 * Each exactly_once_v2 processor: every input record its group committed past has exactly one
 * effect in the committed output. Returns the summary's clause.
 */
function checkExactlyOnce(history: History, violations: ViolationList): string {
  const parts: string[] = [];
  for (const processor of history.processors) {
    if (processor.guarantee !== "exactly_once_v2") continue;
    const e = processorEffects(history, processor);
    if (!e.judged) {
      parts.push(`${processor.id}: output not in the final state, not judged`);
      continue;
    }
    parts.push(`${processor.id}: ${e.inputs} committed inputs`);
    for (const d of e.duplicates) {
      violations.add({
        anomaly: "duplicate effect",
        message:
          `${processor.id} (exactly_once_v2): input ${d.source} has ${d.count} effects in the ` +
          `committed output (${d.outputs.join(", ")})`,
        topic: processor.output,
      });
    }
    for (const source of e.missing) {
      violations.add({
        anomaly: "lost effect",
        message:
          `${processor.id} (exactly_once_v2): input ${source} is below ${processor.applicationId}'s ` +
          "committed offset but has no effect in the committed output",
        topic: processor.output,
      });
    }
  }
  return parts.length === 0 ? "" : `; ${parts.join("; ")}`;
}

/** Why reading the transaction's records at `atUs` was wrong, or undefined if it was fine. */
function badFate(fate: TxnFate, atUs: number): string | undefined {
  const m = fate.marker;
  if (m === undefined) return "its transaction never ended";
  const marker = `the marker at offset ${m.offset} at ${formatTimeUs(m.atUs)}`;
  if (!m.commit) {
    return m.atUs <= atUs
      ? `its transaction had been aborted by ${marker}`
      : `its transaction was still open then and was aborted by ${marker}`;
  }
  if (m.atUs > atUs) return `its transaction was still open then; it committed with ${marker}`;
  return undefined;
}

/** The poll's transactional batches by its origins, those it should not have had. */
function byOrigins(ctx: CheckContext, p: PollRecord): Suspect[] {
  const out: Suspect[] = [];
  for (const o of p.origins ?? []) {
    const send = ctx.sends.get(o.sendId);
    if (send?.transactional === undefined) continue;
    const fate = ctx.txns.fate(
      p.topic,
      p.partition,
      send.transactional.transactionalId,
      o.baseOffset,
    );
    const why = badFate(fate, p.atUs);
    if (why !== undefined) {
      out.push({
        batch: { baseOffset: o.baseOffset, count: send.count, leaderEpoch: -1, origin: o.sendId },
        fate,
        why,
      });
    }
  }
  return out;
}

/** The first bad batch of the poll's span if it delivered more than the good records there. */
function byFinalLog(ctx: CheckContext, p: PollRecord): Suspect[] | undefined {
  const f = ctx.finalLogs.get(tpKey(p.topic, p.partition));
  if (f === undefined) return undefined;
  const end = pollEnd(p);
  let good = 0;
  let firstBad: Suspect | undefined;
  for (
    let b = f.log.batchFrom(p.offset);
    b !== undefined && b.baseOffset < end;
    b = f.log.batchFrom(b.baseOffset + b.count)
  ) {
    if (b.isControl === true) continue;
    const fate = batchTxnFate(ctx, p.topic, p.partition, b);
    const why = fate === undefined ? undefined : badFate(fate, p.atUs);
    if (why === undefined) good += recordsWithin(b, p.offset, end);
    else if (firstBad === undefined) firstBad = { batch: b, fate: fate!, why };
  }
  return firstBad !== undefined && p.count > good ? [firstBad] : [];
}

function recordsWithin(b: FinalBatch, from: number, to: number): number {
  const s = Math.max(from, b.baseOffset);
  const e = Math.min(to, b.baseOffset + b.count);
  if (b.offsets === undefined) return Math.max(0, e - s);
  return b.offsets.filter((o) => o >= s && o < e).length;
}
