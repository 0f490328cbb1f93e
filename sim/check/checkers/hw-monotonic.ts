/**
 * hw-monotonic: a leader's high watermark never decreases within one leader epoch. Followers' HWs
 * may go back (a truncating follower, a restart), and a new epoch starts afresh (a new leader's HW
 * can trail the old one's until it commits in its own epoch), so only leader HWs within an epoch
 * are compared. Changes whose epoch is unknown (-1) are not judged.
 */
import { formatTimeUs } from "../format.ts";
import type { History, HwChange } from "../history.ts";
import { sortedBy, type Verdict, ViolationList, verdict } from "./common.ts";

export function checkHwMonotonic(history: History): Verdict {
  const violations = new ViolationList();
  const last = new Map<string, HwChange>();
  let judged = 0;
  for (const c of sortedBy(history.hwChanges, (a, b) => a.atUs - b.atUs)) {
    if (!c.isLeader || c.leaderEpoch < 0) continue;
    judged++;
    const key = `${c.broker}|${c.topic}-${c.partition}|${c.leaderEpoch}`;
    const prev = last.get(key);
    if (prev !== undefined && c.hw < prev.hw) {
      violations.add({
        anomaly: "HW regression",
        message:
          `${c.topic}-${c.partition}: broker ${c.broker}, leader of epoch ${c.leaderEpoch}, moved its HW ` +
          `back from ${prev.hw} (at ${formatTimeUs(prev.atUs)}) to ${c.hw} (at ${formatTimeUs(c.atUs)})`,
        topic: c.topic,
        partition: c.partition,
        offset: c.hw,
        atUs: c.atUs,
      });
    }
    if (prev === undefined || c.hw >= prev.hw) last.set(key, c);
  }
  return verdict(
    "hw-monotonic",
    `${judged} leader HW changes in ${last.size} leader epochs`,
    violations,
    "HW regression",
  );
}
