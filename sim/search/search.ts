/**
 * The fault search itself, deterministic and single-threaded: run i of a search draws its case from
 * the seed derived from (search seed, i) alone, so any process can run any run index and get the
 * same case (the CLI's workers and shards do). The answer of a search is its lowest failing run
 * index, which does not depend on who ran what.
 *
 * Shrinking happens on one thread: fast-check replays run i's generation with the same seed and
 * shrinks the failing case (smaller cluster, fewer and earlier and shorter faults, lower rates) while
 * the run keeps failing the same way (one of the originally broken guarantees breaks again). The
 * shrink is bounded by a count of runs, never by time, so it too is reproducible.
 */
import fc from "fast-check";
import type { KafkaVersion } from "../kafka/version.ts";
import { type CaseOptions, caseArbitrary, type FaultBudget } from "./arbitraries.ts";
import { describeCase, type SearchCase } from "./case.ts";
import { type CaseVerdict, judgeCase } from "./judge.ts";
import { type PropertyDef, propertyNamed } from "./properties.ts";
import {
  isSafe,
  normalizeSettings,
  type Pins,
  SAFE_SETTINGS,
  type SettingName,
  type Settings,
  SettingsError,
  settingsConflict,
} from "./settings.ts";

/** Everything that decides a search's answer (and nothing else: not workers, not shards). */
export interface SearchSpec {
  readonly property: string;
  /** `--config` pins, over the property's defaults. */
  readonly config: Partial<Settings>;
  readonly version?: KafkaVersion;
  /** Default: one-at-a-time when every pinned setting is safe, else any. */
  readonly budget?: FaultBudget;
  readonly seed: number;
  readonly runs: number;
  readonly durationUs: number;
  /** Pins the cluster to this many brokers (the bench's 3-broker runs). */
  readonly brokers?: number;
}

export const DEFAULT_DURATION_US = 60_000_000;
export const DEFAULT_RUNS = 100;
/** Runs spent shrinking at most. */
export const DEFAULT_SHRINK_RUNS = 150;

export interface ResolvedSearch {
  readonly spec: SearchSpec;
  readonly property: PropertyDef;
  readonly pins: Pins;
  readonly budget: FaultBudget;
  readonly caseOptions: CaseOptions;
  readonly arbitrary: fc.Arbitrary<SearchCase>;
}

/**
 * The shortest run a property that judges the outcome accepts: its liveness phase (a third of the
 * run) is then at least 10 s. Only `simulator-sound` runs shorter.
 */
export const MIN_JUDGED_DURATION_US = 30_000_000;

/** Checks the spec and fixes what it leaves open; throws SettingsError for a bad one. */
export function resolveSearch(spec: SearchSpec): ResolvedSearch {
  const property = propertyNamed(spec.property);
  if (!Number.isSafeInteger(spec.runs) || spec.runs < 1) {
    throw new SettingsError(`--runs ${spec.runs}: expected a whole number ≥ 1`);
  }
  if (!Number.isSafeInteger(spec.seed))
    throw new SettingsError(`--seed ${spec.seed}: expected an integer`);
  if (!Number.isSafeInteger(spec.durationUs) || spec.durationUs < 10_000_000) {
    throw new SettingsError("--duration: at least 10s (faults, then a liveness phase)");
  }
  const judgesOutcome = property.converges || property.checks.length > 0;
  if (judgesOutcome && spec.durationUs < MIN_JUDGED_DURATION_US) {
    // A shorter run leaves a liveness phase shorter than the shortened timeouts need (a ZooKeeper
    // session of 6 s, then election, fencing and the clients' retries): a cluster still
    // recovering would be judged as if that were its end state (a write "not committed" only
    // because no leader was elected yet).
    throw new SettingsError(
      `--duration ${spec.durationUs / 1_000_000}s: --property ${property.name} judges the cluster after it recovers from the last fault, which needs at least ${MIN_JUDGED_DURATION_US / 1_000_000}s per run; use --duration 30s or more (only simulator-sound runs shorter)`,
    );
  }
  if (spec.brokers !== undefined && (spec.brokers < 1 || spec.brokers > 7)) {
    throw new SettingsError(`--brokers ${spec.brokers}: expected 1..7`);
  }
  const settings: Partial<Settings> = { ...property.defaults, ...spec.config };
  const pins: Pins = {
    settings,
    ...(spec.version === undefined ? {} : { version: spec.version }),
    ...(spec.brokers === undefined ? {} : { brokers: spec.brokers }),
  };
  // The property's defaults give way to what the user pinned (idempotence goes off with a pinned
  // acks=1 or version 0.10); two user pins that Kafka refuses together are an error.
  const merged: Settings = { ...SAFE_SETTINGS, ...settings };
  const version = spec.version ?? "4.1";
  const normalized = normalizeSettings(merged, version);
  for (const key of Object.keys(spec.config) as SettingName[]) {
    if (normalized[key] !== merged[key]) {
      throw new SettingsError(
        `--config: ${settingsConflict(merged, version) ?? `${key} cannot be ${String(merged[key])}`}`,
      );
    }
  }
  const full = Object.keys(settings).length === Object.keys(SAFE_SETTINGS).length;
  const safe = full && isSafe(normalized, version);
  const budget = spec.budget ?? (safe && property.space !== "wide" ? "one-at-a-time" : "any");
  const caseOptions: CaseOptions = {
    space: property.space,
    budget,
    pins,
    durationUs: spec.durationUs,
  };
  return { spec, property, pins, budget, caseOptions, arbitrary: caseArbitrary(caseOptions) };
}

/** The seed of run `index` of a search: a 32-bit mix of both (splitmix-style finalizer). */
export function runSeed(searchSeed: number, index: number): number {
  let h = (Math.imul(searchSeed | 0, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  return (h ^ (h >>> 16)) | 0;
}

/** The case of run `index`. */
export function caseAt(search: ResolvedSearch, index: number): SearchCase {
  return fc.sample(search.arbitrary, { seed: runSeed(search.spec.seed, index), numRuns: 1 })[0]!;
}

export interface RunOutcome {
  readonly index: number;
  readonly verdict: CaseVerdict;
}

/** Runs one index. */
export function runIndex(search: ResolvedSearch, index: number): RunOutcome {
  return { index, verdict: judgeCase(search.property, caseAt(search, index)) };
}

/** Indices of shard `shard` (0-based) of `shards`: every shards-th run, so slices stay balanced. */
export function shardIndices(runs: number, shard: number, shards: number): number[] {
  const out: number[] = [];
  for (let i = shard; i < runs; i += shards) out.push(i);
  return out;
}

export interface SliceResult {
  /** The lowest failing index of the slice, if any. */
  readonly failing?: RunOutcome;
  readonly runsDone: number;
}

/** Runs indices in order and stops at the first failure (the slice's lowest). */
export function searchIndices(
  search: ResolvedSearch,
  indices: readonly number[],
  onRun?: (o: RunOutcome) => void,
): SliceResult {
  let runsDone = 0;
  for (const i of indices) {
    const o = runIndex(search, i);
    runsDone++;
    onRun?.(o);
    if (!o.verdict.holds) return { failing: o, runsDone };
  }
  return { runsDone };
}

export interface Shrunk {
  readonly index: number;
  readonly original: SearchCase;
  readonly shrunk: SearchCase;
  readonly verdict: CaseVerdict;
  /** Runs spent shrinking. */
  readonly runs: number;
  /** Accepted shrink steps. */
  readonly steps: number;
}

/**
 * Shrinks the failing case of run `index` while it breaks one of the same guarantees. At most
 * `maxRuns` runs; past them every candidate counts as passing, which ends the shrink.
 */
export function shrinkIndex(
  search: ResolvedSearch,
  index: number,
  maxRuns = DEFAULT_SHRINK_RUNS,
  onRun?: (runs: number, accepted: boolean) => void,
): Shrunk {
  const original = caseAt(search, index);
  const first = judgeCase(search.property, original);
  if (first.holds) throw new Error(`run ${index} does not fail; nothing to shrink`);
  const kinds = new Set(first.broken.map((b) => b.what));
  let runs = 0;
  let best: { c: SearchCase; v: CaseVerdict } = { c: original, v: first };
  const result = fc.check(
    fc.property(search.arbitrary, (c) => {
      if (runs >= maxRuns) return true;
      runs++;
      const v = judgeCase(search.property, c);
      const same = !v.holds && v.broken.some((b) => kinds.has(b.what));
      if (same) best = { c, v };
      onRun?.(runs, same);
      return !same;
    }),
    { seed: runSeed(search.spec.seed, index), numRuns: 1 },
  );
  const shrunk = result.counterexample?.[0] ?? original;
  // The last failing run fast-check kept is the counterexample; judge it again if it was not the last seen.
  const verdict = shrunk === best.c ? best.v : judgeCase(search.property, shrunk);
  return { index, original, shrunk, verdict, runs, steps: result.numShrinks };
}

export { describeCase };
