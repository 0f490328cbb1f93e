/**
 * no-lost-acked-writes (Jepsen's "lost write"): every acknowledged send is in its partition's
 * final committed log (below the HW) at the offset it was acknowledged with, carrying its origin,
 * unless the log start offset passed it (retention, delete-records) or the cleaner removed it
 * (compacted topics).
 *
 * - Unknown outcomes (and sends with no outcome) are neither lost nor required; failed sends are
 *   not required either.
 * - Transactional sends are required only when their transaction committed (a commit marker
 *   follows them): an aborted or still-open transaction's records were never promised to anyone.
 * - acks=0: Kafka returns offset -1 and no broker answers, so such a send is checked by presence of
 *   its origin anywhere in the committed log. When the log start has moved or the topic is
 *   compacted, an absent acks=0 send may have been removed legitimately and cannot be told apart
 *   from a lost one: it is counted as unverifiable, not as lost.
 * A lost write is explained with the record, when it was sent, who acknowledged it at which offset,
 * the truncation that removed it (preferring the acknowledging broker's, then the final leader's,
 * then any replica's cut covering the offset after the acknowledgement), the leader change that
 * preceded it, and what the final log holds at that offset.
 */
import { tpKey } from "../../kafka/types.ts";
import { formatTimeUs, plural } from "../format.ts";
import type {
  History,
  LeaderChange,
  ReplicaTruncation,
  SendOutcome,
  SendRecord,
} from "../history.ts";
import {
  type CheckContext,
  contextOf,
  describeBatch,
  describeFinalLog,
  type FinalLog,
  type Verdict,
  ViolationList,
  verdict,
} from "./common.ts";

export function checkNoLostAckedWrites(history: History): Verdict {
  const name = "no-lost-acked-writes";
  if (history.final === undefined) {
    return verdict(
      name,
      "not checked: the history has no final state",
      new ViolationList(),
      "lost write",
    );
  }
  const ctx = contextOf(history);
  const violations = new ViolationList();
  const n = {
    checked: 0,
    unknown: 0,
    failed: 0,
    removed: 0,
    unverifiable: 0,
    txn: 0,
    noPartition: 0,
  };
  for (const send of history.sends) {
    const out = ctx.outcomes.get(send.sendId);
    if (out === undefined || out.outcome === "unknown") {
      n.unknown++;
      continue;
    }
    if (out.outcome === "failed") {
      n.failed++;
      continue;
    }
    if (send.transactional !== undefined && !transactionCommitted(ctx, send, out)) {
      n.txn++;
      continue;
    }
    const f = ctx.finalLogs.get(tpKey(send.topic, send.partition));
    if (f === undefined) {
      n.noPartition++;
      continue;
    }
    n.checked++;
    const result = out.acks === "0" ? checkAcks0(send, f) : checkAcked(ctx, send, out, f);
    if (result === "removed") n.removed++;
    else if (result === "unverifiable") n.unverifiable++;
    else if (result !== "present") {
      violations.add({
        anomaly: "lost write",
        message: result,
        topic: send.topic,
        partition: send.partition,
        ...(out.acks === "0" ? {} : { offset: out.offset ?? -1 }),
        sendId: send.sendId,
        atUs: out.atUs,
      });
    }
  }
  const parts = [`${plural(n.checked, "acknowledged send")} checked against the final logs`];
  if (n.unknown > 0) parts.push(`${n.unknown} with unknown outcome not required`);
  if (n.failed > 0) parts.push(`${n.failed} failed not required`);
  if (n.txn > 0) parts.push(`${n.txn} in aborted or open transactions not required`);
  if (n.removed > 0) parts.push(`${n.removed} removed by retention, compaction or delete-records`);
  if (n.unverifiable > 0) {
    parts.push(
      `${n.unverifiable} acks=0 sends absent but unverifiable (log start moved or compacted)`,
    );
  }
  if (n.noPartition > 0) parts.push(`${n.noPartition} on partitions absent from the final state`);
  return verdict(name, parts.join("; "), violations, "lost write");
}

function transactionCommitted(ctx: CheckContext, send: SendRecord, out: SendOutcome): boolean {
  const tid = send.transactional!.transactionalId;
  const offset = out.offset ?? -1;
  const marker = ctx.txns.fate(send.topic, send.partition, tid, offset).marker;
  return marker?.commit === true;
}

type Result = "present" | "removed" | "unverifiable" | string;

function checkAcks0(send: SendRecord, f: FinalLog): Result {
  if (f.log.batchesOf(send.sendId).some((b) => b.baseOffset < f.hw)) return "present";
  if (f.logStartOffset > 0 || f.state.compact === true) return "unverifiable";
  return (
    `lost ${head(send, "0")}: sent to ${tpKey(send.topic, send.partition)} without acknowledgement ` +
    `(acks=0: no offset, no broker), absent from ${describeFinalLog(f)}`
  );
}

function checkAcked(ctx: CheckContext, send: SendRecord, out: SendOutcome, f: FinalLog): Result {
  const offset = out.offset ?? -1;
  if (offset < f.logStartOffset) return "removed";
  const batch = f.log.batchCovering(offset);
  const tp = tpKey(send.topic, send.partition);
  const where = `offset ${offset} on ${tp}, acknowledged by ${
    out.by === undefined ? "an unknown broker" : `broker ${out.by}`
  } at ${formatTimeUs(out.atUs)}`;
  if (batch !== undefined && batch.origin === send.sendId && batch.baseOffset === offset) {
    if (offset < f.hw) return "present";
    return `lost ${head(send, out.acks)}: ${where}, not committed at the end: ${describeFinalLog(f)} has it above its HW`;
  }
  if (batch === undefined && f.state.compact === true && offset < f.log.replica.leo)
    return "removed";
  const removal = removalOf(ctx.history, send, out, f);
  return `lost ${head(send, out.acks)}: ${where}, ${removal}; ${finalClause(send, offset, f)}`;
}

/** "producer-1:7 (acks=1, 3 records, sent at 2.001 s)" */
function head(send: SendRecord, acks: string): string {
  return `${send.sendId} (acks=${acks}, ${plural(send.count, "record")}, sent at ${formatTimeUs(send.sentAtUs)})`;
}

/** What the final log holds where the record should be. */
function finalClause(send: SendRecord, offset: number, f: FinalLog): string {
  const batch = f.log.batchCovering(offset);
  const desc = describeFinalLog(f);
  let found: string;
  if (batch !== undefined) {
    found = `${desc} has ${describeBatch(batch)}`;
  } else if (offset >= f.log.replica.leo) {
    found = `${desc} ends at offset ${f.log.replica.leo}`;
  } else {
    found = `${desc} has no record at offset ${offset}`;
  }
  const elsewhere = f.log.batchesOf(send.sendId);
  if (elsewhere.length > 0) {
    found += `; the send is at offset ${elsewhere.map((b) => b.baseOffset).join(", ")} instead`;
  }
  return found;
}

/** The event that removed the record, and the leadership change behind it. */
function removalOf(history: History, send: SendRecord, out: SendOutcome, f: FinalLog): string {
  const offset = out.offset ?? -1;
  const covering = history.truncations.filter(
    (t) =>
      t.topic === send.topic &&
      t.partition === send.partition &&
      t.atUs >= out.atUs &&
      t.toOffset <= offset &&
      offset < t.fromOffset,
  );
  const cut =
    covering.find((t) => t.broker === out.by) ??
    covering.find((t) => t.broker === f.log.broker) ??
    covering[0];
  const change = history.leaderChanges.find(
    (c: LeaderChange) =>
      c.topic === send.topic &&
      c.partition === send.partition &&
      c.atUs >= out.atUs &&
      c.leader !== out.by &&
      (cut === undefined || c.atUs <= cut.atUs),
  );
  const became =
    change === undefined
      ? ""
      : `broker ${change.leader} became leader of epoch ${change.leaderEpoch} at ${formatTimeUs(change.atUs)}${
          change.unclean ? " (unclean election)" : ""
        }`;
  if (cut !== undefined)
    return became === "" ? truncationClause(cut) : `${truncationClause(cut)}, after ${became}`;
  if (became !== "") return `not replicated before ${became}`;
  return "gone with no recorded truncation or leader change";
}

/** "truncated when broker 1 rejoined as follower of epoch 3 at 9.871 s", and the other causes. */
export function truncationClause(t: ReplicaTruncation): string {
  const at = formatTimeUs(t.atUs);
  switch (t.why) {
    case "hw":
    case "epoch":
    case "diverging":
      return t.leaderEpoch >= 0
        ? `truncated when broker ${t.broker} rejoined as follower of epoch ${t.leaderEpoch} at ${at}`
        : `truncated when broker ${t.broker} rejoined as a follower at ${at}`;
    case "power-loss":
      return `lost with broker ${t.broker}'s unflushed log in a power failure (recovered to offset ${t.toOffset} at ${at})`;
    case "out-of-range":
      return `dropped when broker ${t.broker} restarted its log at offset ${t.toOffset} at ${at}, behind the leader's log start`;
  }
}
