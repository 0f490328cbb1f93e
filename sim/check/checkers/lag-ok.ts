/**
 * lag-ok: every group's Burrow status is OK at the end of the run (see ../burrow.ts for the rules).
 * A violation names the group, its status, and each partition that is not OK with the rule that
 * decided. Groups that never committed are unknown to Burrow (NOTFOUND) and are not judged.
 */
import { BURROW_DEFAULTS, type BurrowOptions, burrowFromHistory } from "../burrow.ts";
import { formatTimeUs } from "../format.ts";
import type { History } from "../history.ts";
import { type Verdict, ViolationList, verdict } from "./common.ts";

export function checkLagOk(history: History, options: BurrowOptions = BURROW_DEFAULTS): Verdict {
  const violations = new ViolationList();
  const groups = burrowFromHistory(history, options);
  for (const g of groups) {
    if (g.status === "OK" || g.status === "NOTFOUND") continue;
    const bad = g.partitions
      .filter((p) => p.status !== "OK")
      .map((p) => `${p.topic}-${p.partition} ${p.status} (${p.reason})`);
    violations.add({
      anomaly: "lagging group",
      message: `group ${g.group} is ${g.status}: ${bad.join("; ")}`,
      atUs: history.endUs,
    });
  }
  const summary =
    groups.length === 0
      ? "no group committed offsets"
      : groups.map((g) => `${g.group} ${g.status} (total lag ${g.totalLag})`).join(", ");
  return verdict(
    "lag-ok",
    `Burrow status at ${formatTimeUs(history.endUs)}: ${summary}`,
    violations,
    "lagging group",
  );
}
