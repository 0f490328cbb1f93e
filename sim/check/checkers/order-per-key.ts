/**
 * order-per-key: for each producer and key, the log order of its acknowledged sends equals their
 * send order (the sequence in the send id). A producer without idempotence and with more than one
 * request in flight breaks this when a failed batch is retried after a later one succeeded.
 *
 * Positions are read from the final committed log (a send's first committed batch); a send absent
 * from it is the business of no-lost-acked-writes and is skipped here. Without a final state, the
 * acknowledged offsets stand in. Keyless records (null keys) have no order to keep.
 */
import { tpKey } from "../../kafka/types.ts";
import type { History, SendRecord } from "../history.ts";
import { sendSeq } from "../history.ts";
import {
  type CheckContext,
  contextOf,
  describeSend,
  type Verdict,
  ViolationList,
  verdict,
} from "./common.ts";

interface Placed {
  readonly send: SendRecord;
  readonly seq: number;
  readonly offset: number;
  readonly key: string;
}

export function checkOrderPerKey(history: History): Verdict {
  const ctx = contextOf(history);
  const violations = new ViolationList();
  const byKey = new Map<string, Placed[]>();
  let placed = 0;
  for (const send of history.sends) {
    const out = ctx.outcomes.get(send.sendId);
    if (out?.outcome !== "acked") continue;
    const offset = positionOf(ctx, send, out.offset ?? -1);
    if (offset === undefined) continue;
    placed++;
    const keys = new Set(send.keys ?? [send.key]);
    for (const key of keys) {
      if (key === null) continue;
      const k = `${send.client}\u0000${tpKey(send.topic, send.partition)}\u0000${key}`;
      const list = byKey.get(k);
      const entry = { send, seq: sendSeq(send), offset, key };
      if (list === undefined) byKey.set(k, [entry]);
      else list.push(entry);
    }
  }
  for (const list of byKey.values()) {
    list.sort((a, b) => a.seq - b.seq);
    let latest: Placed | undefined;
    for (const cur of list) {
      if (latest !== undefined && cur.offset < latest.offset) {
        const tp = tpKey(cur.send.topic, cur.send.partition);
        violations.add({
          anomaly: "reordering",
          message:
            `key ${cur.key} of ${cur.send.client} on ${tp}: ${describeSend(ctx, cur.send.sendId)} is at ` +
            `offset ${cur.offset}, before ${describeSend(ctx, latest.send.sendId)} at offset ` +
            `${latest.offset}, though sent after it`,
          topic: cur.send.topic,
          partition: cur.send.partition,
          offset: cur.offset,
          sendId: cur.send.sendId,
        });
      }
      if (latest === undefined || cur.offset > latest.offset) latest = cur;
    }
  }
  return verdict(
    "order-per-key",
    `${placed} acknowledged sends in ${byKey.size} producer-key sequences`,
    violations,
    "reordering",
  );
}

/** Where the send sits: its first committed batch in the final log, or its acknowledged offset. */
function positionOf(ctx: CheckContext, send: SendRecord, ackedOffset: number): number | undefined {
  if (ctx.history.final === undefined) return ackedOffset >= 0 ? ackedOffset : undefined;
  const f = ctx.finalLogs.get(tpKey(send.topic, send.partition));
  if (f === undefined) return undefined;
  const batch = f.log.batchesOf(send.sendId).find((b) => b.baseOffset < f.hw);
  return batch?.baseOffset;
}
