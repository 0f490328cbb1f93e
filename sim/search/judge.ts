/**
 * One run of the search: a case becomes its scenario text, the text is loaded and run exactly as
 * `kafkasim run` would, and the property judges the report.
 *
 * Whatever the property, a run that throws (a simulator assertion or any other exception), breaks
 * an engine invariant, runs into the event bound (a livelock: a light one-minute run has well under
 * a hundred thousand events), or is a scenario the loader refuses (a bug in the generator) fails:
 * the simulator's own soundness is part of every property.
 */
import { CHECKER_NAMES } from "../check/checkers/index.ts";
import { SimAssertionError } from "../engine/assert.ts";
import { ScenarioError } from "../scenario/errors.ts";
import { parseScenarioText } from "../scenario/load.ts";
import { type RunReport, runScenario } from "../scenario/runner.ts";
import type { SearchCase } from "./case.ts";
import type { PropertyDef } from "./properties.ts";
import { scenarioText } from "./scenario-text.ts";

/** A run stops with a "hang" past this many events. */
export const MAX_EVENTS_PER_RUN = 3_000_000;

/** The file name a run's scenario text is loaded under (errors name it). */
export const CASE_FILE = "search-case.yaml";

export interface Broken {
  /** A checker's name, `converges`, `exception`, `assertion`, `invariant`, `hang` or `invalid-scenario`. */
  readonly what: string;
  readonly detail: string;
}

export interface CaseVerdict {
  readonly holds: boolean;
  readonly broken: readonly Broken[];
  /** Undefined when the run threw or the text did not load. */
  readonly report?: RunReport;
}

const CHECKERS: ReadonlySet<string> = new Set(CHECKER_NAMES);

function firstLine(e: unknown): string {
  const text = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return text.split("\n")[0]!.slice(0, 300);
}

/** Runs the case and judges it by the property. Never throws. */
export function judgeCase(property: PropertyDef, c: SearchCase): CaseVerdict {
  return judgeText(property, scenarioText(c));
}

/** Runs a scenario text (a case's, or a kept counterexample) and judges it. Never throws. */
export function judgeText(property: PropertyDef, text: string, file = CASE_FILE): CaseVerdict {
  let report: RunReport;
  try {
    const scenario = parseScenarioText(text, file);
    report = runScenario(scenario, { limits: { maxEvents: MAX_EVENTS_PER_RUN } });
  } catch (e) {
    const what =
      e instanceof ScenarioError
        ? "invalid-scenario"
        : e instanceof SimAssertionError
          ? "assertion"
          : "exception";
    return { holds: false, broken: [{ what, detail: firstLine(e) }] };
  }
  const broken: Broken[] = [];
  if (report.boundMessage !== undefined) broken.push({ what: "hang", detail: report.boundMessage });
  const checks = report.results.checks;
  for (const check of checks) {
    if (!check.holds && !CHECKERS.has(check.name)) {
      broken.push({ what: "invariant", detail: `${check.name}: ${check.detail}` });
    }
  }
  for (const name of property.checks) {
    const v = checks.find((x) => x.name === name);
    if (v !== undefined && !v.holds) broken.push({ what: name, detail: v.detail });
  }
  if (property.exactlyOnce === true) {
    for (const p of report.results.processors ?? []) {
      if (p.duplicates > 0 || p.missing > 0) {
        broken.push({ what: "exactly-once", detail: `${p.id} (${p.guarantee}): ${p.detail}` });
      }
    }
  }
  if (property.converges && !report.results.liveness.converged) {
    broken.push({ what: "converges", detail: report.results.liveness.pending.join("; ") });
  }
  return { holds: broken.length === 0, broken, report };
}
