/**
 * The checkers by name, in the order of the scenario format's table, and `runCheckers` that runs
 * them all on one history (they share its indexes). Each checker is a pure function of the history.
 */
import type { BurrowOptions } from "../burrow.ts";
import type { History } from "../history.ts";
import type { CheckerName, Verdict } from "./common.ts";
import { checkHwMonotonic } from "./hw-monotonic.ts";
import { checkLagOk } from "./lag-ok.ts";
import { checkNoDivergence } from "./no-divergence.ts";
import { checkNoDuplicates } from "./no-duplicates.ts";
import { checkNoLostAckedWrites } from "./no-lost-acked-writes.ts";
import { checkNoReprocessing } from "./no-reprocessing.ts";
import { checkNoSkippedRecords } from "./no-skipped-records.ts";
import { checkOrderPerKey } from "./order-per-key.ts";
import { checkOrderPerPartition } from "./order-per-partition.ts";
import { checkReadCommitted } from "./read-committed.ts";

export type Checker = (history: History) => Verdict;

export const CHECKERS: Readonly<Record<CheckerName, Checker>> = {
  "no-lost-acked-writes": checkNoLostAckedWrites,
  "no-duplicates": checkNoDuplicates,
  "order-per-partition": checkOrderPerPartition,
  "order-per-key": checkOrderPerKey,
  "no-divergence": checkNoDivergence,
  "hw-monotonic": checkHwMonotonic,
  "no-reprocessing": checkNoReprocessing,
  "no-skipped-records": checkNoSkippedRecords,
  "read-committed": checkReadCommitted,
  "lag-ok": checkLagOk,
};

/** Checker names in the table's order. */
export const CHECKER_NAMES: ReadonlyArray<CheckerName> = Object.keys(CHECKERS) as CheckerName[];

export function isCheckerName(name: string): name is CheckerName {
  return Object.hasOwn(CHECKERS, name);
}

export interface RunCheckersOptions {
  /** Burrow's settings for lag-ok (defaults: Burrow's own). */
  readonly burrow?: BurrowOptions;
}

/** Every checker's verdict, in the table's order. */
export function runCheckers(history: History, options: RunCheckersOptions = {}): Verdict[] {
  return CHECKER_NAMES.map((name) =>
    name === "lag-ok" && options.burrow !== undefined
      ? checkLagOk(history, options.burrow)
      : CHECKERS[name](history),
  );
}

export { checkHwMonotonic } from "./hw-monotonic.ts";
export { checkLagOk } from "./lag-ok.ts";
export { checkNoDivergence } from "./no-divergence.ts";
export { checkNoDuplicates } from "./no-duplicates.ts";
export { checkNoLostAckedWrites } from "./no-lost-acked-writes.ts";
export { checkNoReprocessing } from "./no-reprocessing.ts";
export { checkNoSkippedRecords } from "./no-skipped-records.ts";
export { checkOrderPerKey } from "./order-per-key.ts";
export { checkOrderPerPartition } from "./order-per-partition.ts";
export { checkReadCommitted } from "./read-committed.ts";
