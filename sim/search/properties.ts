/**
 * The properties the fault search can state, by name (`kafkasim check --property NAME`). Each is a
 * guarantee judged on one run by the checkers of sim/check (and the liveness report), with the
 * settings it assumes and the space it searches (../shared/fault-search.md):
 *
 * - `safe`: no lost acknowledged write, no duplicate, per-key send order kept in the log, each
 *   consumer reads each partition in order, no divergence, and the cluster converges after the
 *   last fault: the whole safe property, under one fault at a time.
 * - one checker each (`no-lost-acked-writes`, ...), and `converges` alone: the same settings and
 *   budget, one guarantee.
 * - `no-reprocessing` / `no-skipped-records`: a consumer group's processing, with slow consumers.
 * - `exactly-once`: stream processors (processing.guarantee=exactly_once_v2) under one broker
 *   crash or client kill at a time: each input's effect is in the committed output once.
 * - `simulator-sound`: whatever the shape, settings and faults, the simulator never throws, never
 *   breaks an invariant, never runs into its event bound (a livelock), and only runs scenarios it
 *   generated validly.
 *
 * The defaults are pinned unless `--config` or `--version` pin something else; with any unsafe
 * setting pinned the budget becomes "any" (the search may exceed the safe fault budget when looking
 * for a violation).
 */
import type { CheckerName } from "../check/checkers/common.ts";
import { nearest } from "../engine/suggest.ts";
import type { SearchSpace } from "./arbitraries.ts";
import { SAFE_SETTINGS, type Settings, SettingsError } from "./settings.ts";

export interface PropertyDef {
  readonly name: string;
  readonly summary: string;
  /** Checkers that must hold. */
  readonly checks: readonly CheckerName[];
  /** The liveness report must say converged. */
  readonly converges: boolean;
  readonly space: SearchSpace;
  /** Settings pinned unless the user pins another value. */
  readonly defaults: Partial<Settings>;
  /** Every stream processor's inputs have exactly one effect in its committed output. */
  readonly exactlyOnce?: boolean;
}

const SAFE_CHECKS: readonly CheckerName[] = [
  "no-lost-acked-writes",
  "no-duplicates",
  "order-per-key",
  "order-per-partition",
  "no-divergence",
];

function single(name: CheckerName, summary: string): PropertyDef {
  return {
    name,
    summary,
    checks: [name],
    converges: false,
    space: "replication",
    defaults: SAFE_SETTINGS,
  };
}

export const PROPERTIES: readonly PropertyDef[] = [
  {
    name: "safe",
    summary:
      "no lost acknowledged write, no duplicate, order kept, no divergence, and convergence after the faults",
    checks: SAFE_CHECKS,
    converges: true,
    space: "replication",
    defaults: SAFE_SETTINGS,
  },
  single("no-lost-acked-writes", "every acknowledged record stays in the committed log"),
  single("no-duplicates", "no record sent once is written twice"),
  single("order-per-key", "each key's records are in the log in send order"),
  single("order-per-partition", "consumers read each partition in offset order"),
  single("no-divergence", "replicas agree below the high watermark"),
  {
    name: "converges",
    summary:
      "after the last fault every partition is led and fully replicated and every group Stable",
    checks: [],
    converges: true,
    space: "replication",
    defaults: SAFE_SETTINGS,
  },
  {
    name: "no-reprocessing",
    summary: "no record is processed twice by a group",
    checks: ["no-reprocessing"],
    converges: false,
    space: "consumers",
    defaults: { ...SAFE_SETTINGS, "enable.auto.commit": false },
  },
  {
    name: "no-skipped-records",
    summary: "every record below a group's committed offset was processed",
    checks: ["no-skipped-records"],
    converges: false,
    space: "consumers",
    defaults: { ...SAFE_SETTINGS, "enable.auto.commit": false },
  },
  {
    name: "exactly-once",
    summary:
      "each input record of a stream processor has exactly one effect in its committed output, and read_committed reads stay clean",
    checks: ["read-committed"],
    converges: false,
    space: "streams",
    defaults: SAFE_SETTINGS,
    exactlyOnce: true,
  },
  {
    name: "simulator-sound",
    summary: "the simulator never throws, never breaks an invariant and never hangs",
    checks: [],
    converges: false,
    space: "wide",
    defaults: {},
  },
];

export const PROPERTY_NAMES: readonly string[] = PROPERTIES.map((p) => p.name);

/** The property by name; throws SettingsError with a suggestion. */
export function propertyNamed(name: string): PropertyDef {
  const p = PROPERTIES.find((x) => x.name === name);
  if (p !== undefined) return p;
  const guess = nearest(name, PROPERTY_NAMES);
  throw new SettingsError(
    `--property ${name}: no such property` +
      (guess === undefined ? "" : `; did you mean "${guess}"?`) +
      ` Properties: ${PROPERTY_NAMES.join(", ")}`,
  );
}
