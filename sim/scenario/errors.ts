/**
 * Errors in scenario files, reported the way compilers do: `file:line:column: path: message`,
 * one line per real problem, with the nearest valid key or value when there is one.
 *
 * This file also turns ajv's validation errors into such problems. Ajv reports every failed
 * branch of every `anyOf`; people want one message per mistake, so unions are collapsed first:
 * the branch whose type (and discriminator, such as a client's `type`) matches the value is the
 * one the author meant, and only its errors are kept; when no branch fits, one message says what
 * was expected. Values with a unit are explained by the unit parsers of units.ts, which know what
 * was wrong (`2 seconds`), rather than by the pattern that failed.
 *
 * Locations are not known here: a problem names the value by its path (segments) and whether the
 * key or the value is at fault; the loader maps that to the YAML node's line and column.
 */

import type { ErrorObject } from "ajv";
import { nearest } from "../engine/suggest.ts";
import { KAFKA_VERSIONS } from "../kafka/version.ts";
import { ACTION_KEYS } from "./schema.ts";
import {
  parseBandwidthBitsPerSec,
  parseByteRate,
  parseDurationUs,
  parseRate,
  parseSizeBytes,
  quoteValue,
  type UnitResult,
} from "./units.ts";

/** One problem in a scenario file, located. `line` and `column` count from 1. */
export interface ScenarioIssue {
  /** The file, or `--set PATH=VALUE` for a value set on the command line (then line 0). */
  file: string;
  line: number;
  column: number;
  /** Field path, e.g. `timeline[3].crash.mode`; `(top level)` for the file as a whole. */
  path: string;
  message: string;
  /** The nearest valid key or value, when one is close enough to be a likely typo. */
  suggestion?: string;
}

/** The only exception the loader throws for bad input: every problem found, located. */
export class ScenarioError extends Error {
  override name = "ScenarioError";
  readonly issues: ScenarioIssue[];

  constructor(issues: ScenarioIssue[]) {
    super(formatIssues(issues));
    this.issues = issues;
  }
}

/** One issue per line: `file:line:column: path: message (did you mean `x`?)`. */
export function formatIssues(issues: readonly ScenarioIssue[]): string {
  return issues
    .map((issue) => {
      const hint = issue.suggestion === undefined ? "" : ` (did you mean \`${issue.suggestion}\`?)`;
      // Line 0: the value came from a command-line flag (`--set`), which the file names.
      const where = issue.line === 0 ? issue.file : `${issue.file}:${issue.line}:${issue.column}`;
      return `${where}: ${issue.path}: ${issue.message}${hint}`;
    })
    .join("\n");
}

/** A path into the data: keys and array indices. */
export type PathSegments = readonly (string | number)[];

export const ROOT_PATH = "(top level)";
const MAX_SHOWN_SEGMENTS = 16;

/** `timeline[3].crash.mode`; keys that are not simple words are quoted: `config["retention.ms"]`. */
export function displayPath(segments: PathSegments): string {
  if (segments.length === 0) return ROOT_PATH;
  if (segments.length > MAX_SHOWN_SEGMENTS) {
    // Only pathological files nest this deep: show both ends.
    const head = displayPath(segments.slice(0, MAX_SHOWN_SEGMENTS / 2));
    const tail = displayPath(segments.slice(-MAX_SHOWN_SEGMENTS / 2));
    return `${head}...(${segments.length - MAX_SHOWN_SEGMENTS} more)...${tail}`;
  }
  let out = "";
  for (const segment of segments) {
    if (typeof segment === "number") out += `[${segment}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(segment)) out += out === "" ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/** A problem found before its location is known: the loader locates it. */
export interface PendingIssue {
  segments: PathSegments;
  /** Point at the key of the last segment (unknown keys) or at its value (everything else). */
  at: "key" | "value";
  message: string;
  suggestion?: string;
}

// ---------------------------------------------------------------------------------------------
// Messages for values with a kind (x-kind in schema.ts)

type UnitParser = (value: unknown) => UnitResult<unknown>;

const UNIT_PARSERS: Record<string, UnitParser> = {
  duration: parseDurationUs,
  size: parseSizeBytes,
  rate: parseRate,
  "byte-rate": parseByteRate,
  bandwidth: parseBandwidthBitsPerSec,
};

/** A message for a value of a known kind that failed its schema, or undefined if none applies. */
export function kindProblem(
  kind: string,
  value: unknown,
): { message: string; suggestion?: string } | undefined {
  const parser = UNIT_PARSERS[kind];
  if (parser !== undefined) {
    const result = parser(value);
    if (result.ok) return undefined;
    return withSuggestion(result.message, result.suggestion);
  }
  switch (kind) {
    case "at-or-end": {
      if (value === "end") return undefined;
      const result = parseDurationUs(value);
      if (result.ok) return undefined;
      const guess = typeof value === "string" ? nearest(value, ["end"]) : undefined;
      return withSuggestion(
        `expected a time like 12s or 1.5m, or \`end\`; got ${quoteValue(value)}`,
        result.suggestion ?? guess,
      );
    }
    case "node":
      return {
        message: `expected a node: a name (producer-1, zookeeper-1, a host) or a broker id; got ${quoteValue(value)}`,
      };
    case "version":
      return withSuggestion(
        `must be a Kafka version profile, one of ${KAFKA_VERSIONS.map((v) => `"${v}"`).join(", ")}; got ${quoteValue(value)}`,
        typeof value === "string" ? nearest(value, KAFKA_VERSIONS) : undefined,
      );
    case "keys":
      if (typeof value === "string" && /^(uniform|zipf)\([^)]*$/.test(value)) {
        // `keys: zipf(100, 1.2)` inside `{ }`: the comma ended the value.
        return {
          message: `got ${quoteValue(value)}: inside \`{ }\` a comma ends the value; quote it, e.g. "zipf(100, 1.2)"`,
        };
      }
      return withSuggestion(
        `expected keys: none, sequence, uniform(N), zipf(N, s) or a list of keys; got ${quoteValue(value)}`,
        typeof value === "string" ? nearest(value, ["none", "sequence"]) : undefined,
      );
    default:
      return undefined;
  }
}

function withSuggestion(
  message: string,
  suggestion: string | undefined,
): { message: string; suggestion?: string } {
  return suggestion === undefined ? { message } : { message, suggestion };
}

// ---------------------------------------------------------------------------------------------
// Translating ajv errors

type Schema = Record<string, unknown>;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function schemaOf(value: unknown): Schema {
  return isPlainObject(value) ? value : {};
}

/** Decodes a JSON pointer (`/timeline/3/crash`) into typed segments, indices as numbers. */
export function pointerSegments(pointer: string, root: unknown): (string | number)[] {
  if (pointer === "") return [];
  const out: (string | number)[] = [];
  let current: unknown = root;
  for (const raw of pointer.slice(1).split("/")) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (Array.isArray(current)) {
      const index = Number(key);
      out.push(index);
      current = current[index];
    } else {
      out.push(key);
      current = isPlainObject(current) ? current[key] : undefined;
    }
  }
  return out;
}

/** Does the value have the JSON type a schema (or any branch of a union) asks for? */
function typeMatches(schema: Schema, value: unknown): boolean {
  if (Array.isArray(schema.anyOf)) return schema.anyOf.some((s) => typeMatches(schemaOf(s), value));
  const type = schema.type;
  if (type === undefined) return true;
  const types = Array.isArray(type) ? type : [type];
  return types.some((t) => {
    switch (t) {
      case "string":
        return typeof value === "string";
      case "number":
      case "integer":
        return typeof value === "number";
      case "boolean":
        return typeof value === "boolean";
      case "array":
        return Array.isArray(value);
      case "object":
        return isPlainObject(value);
      case "null":
        return value === null;
      default:
        return false;
    }
  });
}

/** Keys whose schema is a single constant: the discriminators of a union of objects. */
function discriminators(branch: Schema): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [key, sub] of Object.entries(schemaOf(branch.properties))) {
    const s = schemaOf(sub);
    if (s.const !== undefined) out.set(key, s.const);
    else if (Array.isArray(s.enum) && s.enum.length === 1) out.set(key, s.enum[0]);
  }
  return out;
}

type UnionOutcome = { keepBranch: number } | { issue: PendingIssue };

/** Decides which branch of a failed `anyOf` the author meant, or explains why none fits. */
function resolveUnion(union: ErrorObject, segments: PathSegments): UnionOutcome {
  const parent = schemaOf(union.parentSchema);
  const value = union.data;
  const kind = typeof parent["x-kind"] === "string" ? parent["x-kind"] : undefined;
  if (kind !== undefined) {
    const problem = kindProblem(kind, value);
    if (problem !== undefined) return { issue: { segments, at: "value", ...problem } };
  }
  const branches = (Array.isArray(union.schema) ? union.schema : []).map(schemaOf);
  let candidates = branches.map((_, i) => i).filter((i) => typeMatches(branches[i]!, value));
  if (candidates.length > 1 && isPlainObject(value)) {
    const picked = pickByDiscriminator(branches, candidates, value, segments);
    if ("issue" in picked) return picked;
    candidates = picked.candidates;
  }
  const first = candidates[0];
  if (first !== undefined) return { keepBranch: first };
  const hint = typeof parent["x-hint"] === "string" ? parent["x-hint"] : "of another type";
  return { issue: { segments, at: "value", message: `must be ${hint}; got ${quoteValue(value)}` } };
}

function pickByDiscriminator(
  branches: Schema[],
  candidates: number[],
  value: Record<string, unknown>,
  segments: PathSegments,
): { candidates: number[] } | { issue: PendingIssue } {
  const keys = new Map<string, unknown[]>();
  const matching = candidates.filter((i) => {
    const tags = discriminators(branches[i]!);
    for (const [key, constant] of tags) {
      const seen = keys.get(key) ?? [];
      seen.push(constant);
      keys.set(key, seen);
    }
    return [...tags].every(([key, constant]) => value[key] === constant);
  });
  if (matching.length > 0 || keys.size === 0) {
    return { candidates: matching.length > 0 ? matching : candidates };
  }
  const [key, allowed] = [...keys][0]!;
  const given = value[key];
  if (given === undefined) {
    return {
      issue: {
        segments: [...segments, key],
        at: "value",
        message: `missing required key \`${key}\` (one of ${allowed.join(", ")})`,
      },
    };
  }
  const words = allowed.map(String);
  return {
    issue: {
      segments: [...segments, key],
      at: "value",
      ...withSuggestion(
        `must be one of ${words.join(", ")}; got ${quoteValue(given)}`,
        typeof given === "string" ? nearest(given, words) : undefined,
      ),
    },
  };
}

/** Keeps, of all errors, those of the branches the author meant; explains the other unions. */
function collapseUnions(errors: readonly ErrorObject[], root: unknown) {
  let remaining = [...errors];
  const issues: PendingIssue[] = [];
  const unions = errors
    .filter((e) => e.keyword === "anyOf" || e.keyword === "oneOf")
    .sort((a, b) => a.schemaPath.length - b.schemaPath.length);
  for (const union of unions) {
    if (!remaining.includes(union)) continue;
    const inside = `${union.schemaPath}/`;
    const outcome = resolveUnion(union, pointerSegments(union.instancePath, root));
    const kept = "keepBranch" in outcome ? `${inside}${outcome.keepBranch}/` : undefined;
    // Several values share one schema path (every item of a list): match the value's path too.
    const under = (e: ErrorObject) =>
      e.instancePath === union.instancePath || e.instancePath.startsWith(`${union.instancePath}/`);
    remaining = remaining.filter(
      (e) =>
        e !== union &&
        (!e.schemaPath.startsWith(inside) ||
          !under(e) ||
          (kept !== undefined && e.schemaPath.startsWith(kept))),
    );
    if ("issue" in outcome) issues.push(outcome.issue);
  }
  return { remaining, issues };
}

const TYPE_WORDS: Record<string, string> = {
  string: "text",
  number: "a number",
  integer: "a whole number",
  boolean: "true or false",
  object: "a map of keys",
  array: "a list",
  null: "nothing",
};

function describeForType(value: unknown): string {
  if (typeof value === "string") return `text ${quoteValue(value)}`;
  if (typeof value === "number") {
    return Number.isFinite(value) ? `the number ${quoteValue(value)}` : `${quoteValue(value)}`;
  }
  return quoteValue(value);
}

function listKeys(keys: readonly string[]): string {
  return keys.map((k) => `\`${k}\``).join(", ");
}

/** "found both `crash` and `restart`", "found 3: `a`, `b` and `c`". */
function foundActions(actions: readonly string[]): string {
  const quoted = actions.map((a) => `\`${a}\``);
  if (quoted.length === 2) return `found both ${quoted[0]} and ${quoted[1]}`;
  return `found ${quoted.length}: ${quoted.slice(0, -1).join(", ")} and ${quoted.at(-1)}`;
}

/** The timeline entry rule: `at` and exactly one action. */
function timelineEntryProblem(value: unknown, segments: PathSegments): PendingIssue | undefined {
  if (!isPlainObject(value)) return undefined;
  const keys = Object.keys(value);
  const known = new Set<string>(ACTION_KEYS);
  const actions = keys.filter((k) => known.has(k));
  const unknown = keys.filter((k) => k !== "at" && !known.has(k));
  const lead = "a timeline entry needs exactly one action";
  if (actions.length === 0) {
    if (unknown.length > 0) return undefined; // the unknown key is the real problem
    return { segments, at: "value", message: `${lead} (crash, restart, say, ...); found none` };
  }
  if (actions.length === 1) return undefined;
  return {
    segments: [...segments, actions[1]!],
    at: "key",
    message: `${lead}; ${foundActions(actions)}: give each its own entry`,
  };
}

/** Turns one ajv error (after union collapsing) into a plain-words problem. */
function translate(error: ErrorObject, root: unknown): PendingIssue | undefined {
  const segments = pointerSegments(error.instancePath, root);
  const parent = schemaOf(error.parentSchema);
  const value = error.data;
  const params = error.params as Record<string, unknown>;
  const kind = typeof parent["x-kind"] === "string" ? parent["x-kind"] : undefined;
  if (kind !== undefined && kind !== "timeline-entry") {
    const problem = kindProblem(kind, value);
    if (problem !== undefined) return { segments, at: "value", ...problem };
  }
  switch (error.keyword) {
    case "additionalProperties": {
      const key = String(params.additionalProperty);
      if (isSplitCall(key, value)) return undefined; // reported once, at the value cut short
      const allowed = Object.keys(schemaOf(parent.properties));
      const where = segments.length === 0 ? "" : ` in ${displayPath(segments)}`;
      const what = kind === "timeline-entry" ? "action" : "key";
      const list = allowed.length <= 10 ? `; expected ${listKeys(allowed)}` : "";
      const suggestion = nearest(key, allowed);
      return {
        segments: [...segments, key],
        at: "key",
        ...withSuggestion(
          `unknown ${what} ${quoteValue(key)}${where}${suggestion === undefined ? list : ""}`,
          suggestion,
        ),
      };
    }
    case "required": {
      const key = String(params.missingProperty);
      return {
        segments: [...segments, key],
        at: "value",
        message: `missing required key \`${key}\``,
      };
    }
    case "type": {
      const expected = (Array.isArray(params.type) ? params.type : [params.type]).map(
        (t) => TYPE_WORDS[String(t)] ?? String(t),
      );
      const finite =
        typeof value === "number" && !Number.isFinite(value) ? "a finite number" : undefined;
      // One item where a list is expected: `subscribe: orders` for `subscribe: [orders]`.
      const listOfOne =
        params.type === "array" && (typeof value === "string" || typeof value === "number")
          ? `[${String(value)}]`
          : undefined;
      return {
        segments,
        at: "value",
        ...withSuggestion(
          `must be ${finite ?? expected.join(" or ")}; got ${describeForType(value)}`,
          listOfOne,
        ),
      };
    }
    case "enum": {
      const allowed = (Array.isArray(params.allowedValues) ? params.allowedValues : []).map(String);
      const message =
        allowed.length === 1
          ? `must be \`${allowed[0]}\`; got ${quoteValue(value)}`
          : `must be one of ${allowed.join(", ")}; got ${quoteValue(value)}`;
      const suggestion = typeof value === "string" ? nearest(value, allowed) : undefined;
      return { segments, at: "value", ...withSuggestion(message, suggestion) };
    }
    case "const": {
      const allowed = String(params.allowedValue);
      const suggestion = typeof value === "string" ? nearest(value, [allowed]) : undefined;
      const message = `must be \`${allowed}\`; got ${quoteValue(value)}`;
      return { segments, at: "value", ...withSuggestion(message, suggestion) };
    }
    case "pattern": {
      const hint = typeof parent["x-hint"] === "string" ? parent["x-hint"] : "of another form";
      const fixed =
        typeof value === "string" && typeof params.pattern === "string"
          ? repairName(value, params.pattern)
          : undefined;
      return {
        segments,
        at: "value",
        ...withSuggestion(`must be ${hint}; got ${quoteValue(value)}`, fixed),
      };
    }
    case "minimum":
    case "maximum":
    case "exclusiveMinimum":
    case "exclusiveMaximum": {
      const words: Record<string, string> = {
        minimum: "at least",
        maximum: "at most",
        exclusiveMinimum: "above",
        exclusiveMaximum: "below",
      };
      return {
        segments,
        at: "value",
        message: `must be ${words[error.keyword]} ${String(params.limit)}; got ${quoteValue(value)}`,
      };
    }
    case "minItems": {
      const limit = Number(params.limit);
      const got = Array.isArray(value) ? value.length : 0;
      return {
        segments,
        at: "value",
        message: `needs at least ${limit} item${limit === 1 ? "" : "s"}; got ${got}`,
      };
    }
    case "maxItems":
      return { segments, at: "value", message: `takes at most ${String(params.limit)} items` };
    case "minLength":
      return { segments, at: "value", message: "must not be empty" };
    case "minProperties":
    case "maxProperties":
      if (kind === "timeline-entry") return timelineEntryProblem(value, segments);
      return { segments, at: "value", message: error.message ?? "has the wrong number of keys" };
    default:
      return { segments, at: "value", message: error.message ?? `fails ${error.keyword}` };
  }
}

/**
 * `{keys: zipf(100, 1.2)}`: in a flow map the comma ends the value, leaving `zipf(100` and a key
 * `1.2)`. The key is not a second problem.
 */
function isSplitCall(key: string, object: unknown): boolean {
  if (!/^[^(]*\)$/.test(key) || !isPlainObject(object)) return false;
  return Object.values(object).some((v) => typeof v === "string" && /\([^)]*$/.test(v));
}

/** A name with its illegal characters replaced by `-`, when that makes it legal. */
function repairName(value: string, pattern: string): string | undefined {
  const repaired = value.trim().replace(/[^A-Za-z0-9._-]+/g, "-");
  if (repaired === value || repaired === "") return undefined;
  try {
    return new RegExp(pattern).test(repaired) ? repaired : undefined;
  } catch {
    return undefined;
  }
}

/** Ajv's errors (allErrors, verbose) as one plain-words problem per real mistake. */
export function translateAjvErrors(errors: readonly ErrorObject[], root: unknown): PendingIssue[] {
  const { remaining, issues } = collapseUnions(errors, root);
  // A value of the wrong type fails its enum, pattern or const too: the type is the problem.
  const wrongType = new Set(
    remaining.filter((e) => e.keyword === "type").map((e) => e.instancePath),
  );
  for (const error of remaining) {
    if (error.keyword !== "type" && wrongType.has(error.instancePath)) continue;
    const issue = translate(error, root);
    if (issue !== undefined) issues.push(issue);
  }
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const id = `${JSON.stringify(issue.segments)}|${issue.message}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}
