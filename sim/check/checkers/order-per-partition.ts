/**
 * order-per-partition (Jepsen's "nonmonotonic" and "skip"): within one assignment (consumer,
 * group, generation, and process run: a static member restarted within its session keeps its
 * generation but resumes from its committed offsets), each partition's polls go forward: each slice starts where the previous one
 * ended. A slice that starts earlier is nonmonotonic; one that starts later skipped offsets, which
 * is allowed only where the final log has no record for that consumer: control records (transaction
 * markers), offsets the cleaner removed (within a compacted batch, or whole batches on a compacted
 * topic), and, for read_committed, aborted transactions. Everything else in a gap is a skip: a
 * record, an offset retention removed before it was read, an offset past the final HW.
 *
 * The first slice of each assignment is not judged here (where a group starts is the business of
 * no-skipped-records). Without a final state, gaps cannot be justified and are not judged.
 */
import { tpKey } from "../../kafka/types.ts";
import { formatOffsets, formatTimeUs } from "../format.ts";
import { type History, type Isolation, type PollRecord, pollEnd } from "../history.ts";
import {
  batchTxnFate,
  type CheckContext,
  contextOf,
  describeFinalLog,
  type FinalLog,
  sortedBy,
  type Verdict,
  ViolationList,
  verdict,
} from "./common.ts";

export function checkOrderPerPartition(history: History): Verdict {
  const ctx = contextOf(history);
  const violations = new ViolationList();
  const sequences = new Map<string, PollRecord[]>();
  for (const p of sortedBy(history.polls, (a, b) => a.atUs - b.atUs)) {
    const key = `${p.consumer}|${p.session ?? 0}|${p.group ?? ""}|${p.generation}|${tpKey(p.topic, p.partition)}`;
    const list = sequences.get(key);
    if (list === undefined) sequences.set(key, [p]);
    else list.push(p);
  }
  const judgeGaps = history.final !== undefined;
  for (const polls of sequences.values()) {
    for (let i = 1; i < polls.length; i++) {
      const prev = polls[i - 1]!;
      const cur = polls[i]!;
      const reached = pollEnd(prev);
      const tp = tpKey(cur.topic, cur.partition);
      if (cur.offset < reached) {
        violations.add({
          anomaly: "nonmonotonic poll",
          message:
            `${who(cur)} received ${formatOffsets(cur.offset, pollEnd(cur))} of ${tp} at ` +
            `${formatTimeUs(cur.atUs)} after reaching offset ${reached} at ${formatTimeUs(prev.atUs)}`,
          topic: cur.topic,
          partition: cur.partition,
          offset: cur.offset,
          atUs: cur.atUs,
        });
      } else if (cur.offset > reached && judgeGaps) {
        const f = ctx.finalLogs.get(tp);
        const miss = firstUnjustified(ctx, f, reached, cur.offset, cur.isolation);
        if (miss === undefined) continue;
        violations.add({
          anomaly: "skip",
          message:
            `${who(cur)} skipped ${formatOffsets(reached, cur.offset)} of ${tp} between its polls at ` +
            `${formatTimeUs(prev.atUs)} and ${formatTimeUs(cur.atUs)}: offset ${miss.offset} ${miss.why}`,
          topic: cur.topic,
          partition: cur.partition,
          offset: miss.offset,
          atUs: cur.atUs,
        });
      }
    }
  }
  const summary =
    `${history.polls.length} polls in ${sequences.size} assignment-partition sequences` +
    (judgeGaps ? "" : "; gaps not judged: the history has no final state");
  return verdict("order-per-partition", summary, violations, "ordering violation");
}

/** "consumer-1 (group billing, generation 2)" or "consumer-1 (assigned)". */
export function who(p: { consumer: string; group: string | null; generation: number }): string {
  return p.group === null
    ? `${p.consumer} (assigned)`
    : `${p.consumer} (group ${p.group}, generation ${p.generation})`;
}

interface Miss {
  readonly offset: number;
  readonly why: string;
}

/** The first offset of [from, to) the final log does not excuse skipping, and why. */
function firstUnjustified(
  ctx: CheckContext,
  f: FinalLog | undefined,
  from: number,
  to: number,
  isolation: Isolation,
): Miss | undefined {
  if (f === undefined)
    return { offset: from, why: "is on a partition absent from the final state" };
  let o = from;
  while (o < to) {
    if (o < f.logStartOffset) {
      return {
        offset: o,
        why: `is below the final log start offset ${f.logStartOffset} (retention or delete-records removed it unread)`,
      };
    }
    if (o >= f.hw) return { offset: o, why: `is at or above the final HW ${f.hw}` };
    const b = f.log.batchFrom(o);
    if (b === undefined || b.baseOffset > o) {
      if (f.state.compact === true) {
        o = b === undefined ? to : b.baseOffset;
        continue;
      }
      return { offset: o, why: `is missing from ${describeFinalLog(f)}` };
    }
    const end = Math.min(to, b.baseOffset + b.count);
    const fate = batchTxnFate(ctx, f.topic, f.partition, b);
    const aborted = fate?.marker !== undefined && !fate.marker.commit;
    if (b.isControl === true || (isolation === "read_committed" && aborted)) {
      o = end;
      continue;
    }
    const first = b.offsets === undefined ? o : b.offsets.find((x) => x >= o && x < end);
    if (first !== undefined) {
      return { offset: first, why: `holds ${b.origin ?? "a record"} (epoch ${b.leaderEpoch})` };
    }
    o = end;
  }
  return undefined;
}
