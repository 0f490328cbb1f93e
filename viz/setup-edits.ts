/**
 * The Setup panel's edits of a scenario's text: the version profile, the broker count, the
 * cluster's min.insync.replicas and unclean.leader.election.enable, producers' acks and
 * enable.idempotence, topics' partitions and replication factor, a group's
 * partition.assignment.strategy, and adding or removing clients. Each is a pure function of the
 * text (setup-yaml.ts splices it, so comments and layout stay); `trySetupEdit` also loads the
 * result, so a value Kafka would refuse (0 brokers, a replication factor above the brokers) comes
 * back as the loader's located message instead of a run that cannot start.
 *
 * Simplifies: a removed client's `start`/`stop`/`kill`/`commit`/`produce` timeline entries go with
 * it; other references (network faults naming it) are left for the loader to point at. A topic
 * with a manual `assignment` keeps its rows: new partitions get rows in Kafka's simple
 * round-robin order, and a changed replication factor trims or extends every row (the assignment
 * is dropped when there are not enough brokers, so the loader reports Kafka's own message).
 */

import { parseDocument } from "yaml";
import { formatIssues, ScenarioError } from "../sim/scenario/errors.ts";
import { type ConfigValue, parseScenarioText, type Scenario } from "../sim/scenario/load.ts";
import {
  appendItem,
  deleteKey,
  itemSource,
  type Json,
  removeItem,
  setValue,
  type YamlPath,
} from "./setup-yaml.ts";

export type SetupEdit =
  | { readonly kind: "version"; readonly version: string }
  | { readonly kind: "brokers"; readonly count: number }
  /** null: back to the default (the key is removed). */
  | {
      readonly kind: "cluster-config";
      readonly key: "min.insync.replicas" | "unclean.leader.election.enable";
      readonly value: ConfigValue | null;
    }
  /** client null: every producer. */
  | {
      readonly kind: "producer-config";
      readonly client: string | null;
      readonly key: "acks" | "enable.idempotence";
      readonly value: ConfigValue | null;
    }
  | {
      readonly kind: "topic";
      readonly topic: string;
      readonly field: "partitions" | "replication-factor";
      readonly value: number;
    }
  /** Every member of the group; strategy null: the version's default. */
  | { readonly kind: "assignor"; readonly group: string; readonly strategy: string | null }
  | { readonly kind: "add-consumer"; readonly group: string }
  | { readonly kind: "add-producer" }
  | { readonly kind: "remove-client"; readonly client: string };

export type SetupEditResult =
  | { readonly ok: true; readonly text: string; readonly scenario: Scenario }
  | { readonly ok: false; readonly message: string };

/** The rate of a producer added by the panel: light enough for the page to keep up. */
export const ADDED_PRODUCER_RATE = "10/s";

/** Applies the edit and loads the result; a refusal is a message (file:line:column when located). */
export function trySetupEdit(
  text: string,
  edit: SetupEdit,
  file = "scenario.yaml",
): SetupEditResult {
  try {
    const next = applySetupEdit(text, edit);
    return { ok: true, text: next, scenario: parseScenarioText(next, file) };
  } catch (error) {
    return { ok: false, message: describeError(error) };
  }
}

/** An error as the panel shows it: located issues for a scenario, the message otherwise, never a stack. */
export function describeError(error: unknown): string {
  if (error instanceof ScenarioError) return formatIssues(error.issues);
  if (error instanceof Error) return error.message;
  return String(error);
}

/** The edited text (not yet checked by the loader, except where the edit needs the scenario). */
export function applySetupEdit(text: string, edit: SetupEdit): string {
  switch (edit.kind) {
    case "version":
      return setValue(text, ["cluster", "version"], edit.version);
    case "brokers":
      return setBrokers(text, edit.count);
    case "cluster-config":
      return setOrDelete(text, ["cluster", "config", edit.key], edit.value);
    case "producer-config": {
      const scenario = load(text);
      const ids =
        edit.client === null
          ? scenario.clients.filter((c) => c.type === "producer").map((c) => c.id)
          : [edit.client];
      if (ids.length === 0) throw new Error("the scenario has no producer");
      let out = text;
      for (const id of ids) {
        const at = clientIndex(out, id);
        if (load(out).clients.find((c) => c.id === id)?.type !== "producer")
          throw new Error(`${id} is not a producer`);
        out = setOrDelete(out, ["clients", at, "config", edit.key], configValue(edit.value));
      }
      return out;
    }
    case "topic":
      return setTopic(text, edit.topic, edit.field, edit.value);
    case "assignor": {
      const members = load(text).clients.filter(
        (c) => c.type === "consumer" && c.group === edit.group,
      );
      if (members.length === 0) throw new Error(`no consumer is in group ${edit.group}`);
      let out = text;
      for (const m of members) {
        const path = ["clients", clientIndex(out, m.id), "config", "partition.assignment.strategy"];
        out = setOrDelete(out, path, edit.strategy);
      }
      return out;
    }
    case "add-consumer":
      return addConsumer(text, edit.group);
    case "add-producer":
      return addProducer(text);
    case "remove-client":
      return removeClient(text, edit.client);
  }
}

function load(text: string): Scenario {
  return parseScenarioText(text, "scenario.yaml");
}

function wholeNumber(value: number, what: string): number {
  if (!Number.isFinite(value) || !Number.isInteger(value))
    throw new Error(`${what} must be a whole number; got ${String(value)}`);
  return value;
}

/** `"1"` from a select is written as YAML's `1`, as scenarios write acks; `"all"` stays a word. */
function configValue(value: ConfigValue | null): ConfigValue | null {
  return typeof value === "string" && /^-?\d+$/.test(value) ? Number(value) : value;
}

function setOrDelete(text: string, path: YamlPath, value: ConfigValue | null): string {
  return value === null ? deleteKey(text, path) : setValue(text, path, value);
}

/** The index in the file's `clients` list of the client with this id. */
function clientIndex(text: string, id: string): number {
  const clients = (parseDocument(text).toJS() as { clients?: Array<{ id?: unknown }> }).clients;
  const index = Array.isArray(clients) ? clients.findIndex((c) => String(c?.id) === id) : -1;
  if (index < 0) throw new Error(`no client ${id} in the scenario's clients`);
  return index;
}

function setBrokers(text: string, count: number): string {
  wholeNumber(count, "brokers");
  const raw = (parseDocument(text).toJS() as { cluster?: { brokers?: unknown } }).cluster?.brokers;
  if (!Array.isArray(raw) || count < 1) return setValue(text, ["cluster", "brokers"], count);
  // A list of brokers (ids and racks): drop the last ones, or add ids after the largest.
  let out = text;
  for (let i = raw.length - 1; i >= count; i--) out = removeItem(out, ["cluster", "brokers"], i);
  let next = Math.max(0, ...raw.map((b) => Number((b as { id?: unknown })?.id ?? b) || 0)) + 1;
  for (let i = raw.length; i < count; i++)
    out = appendItem(out, ["cluster", "brokers"], { id: next++ });
  return out;
}

function setTopic(
  text: string,
  topic: string,
  field: "partitions" | "replication-factor",
  value: number,
): string {
  wholeNumber(value, field);
  const topics = (parseDocument(text).toJS() as { topics?: Array<Record<string, unknown>> }).topics;
  const index = Array.isArray(topics) ? topics.findIndex((t) => String(t?.name) === topic) : -1;
  if (index < 0) throw new Error(`no topic ${topic} in the scenario's topics`);
  let out = setValue(text, ["topics", index, field], value);
  const assignment = topics![index]!.assignment;
  if (!Array.isArray(assignment) || value < 1) return out;
  const scenario = load(text);
  const brokerIds = (scenario.cluster?.brokers ?? []).map((b) => b.id);
  const rows = assignment as number[][];
  const rf = field === "replication-factor" ? value : (rows[0]?.length ?? 1);
  if (rf > brokerIds.length) return deleteKey(out, ["topics", index, "assignment"]);
  const partitions = field === "partitions" ? value : rows.length;
  const next: number[][] = [];
  for (let p = 0; p < partitions; p++) {
    const row = p < rows.length ? [...rows[p]!] : roundRobinRow(brokerIds, p, rf);
    next.push(fitRow(row, brokerIds, rf));
  }
  out = setValue(out, ["topics", index, "assignment"], next);
  return out;
}

/** Kafka's simple placement for partition p: consecutive brokers from p. */
function roundRobinRow(ids: readonly number[], p: number, rf: number): number[] {
  return Array.from({ length: rf }, (_, i) => ids[(p + i) % ids.length]!);
}

/** A row trimmed to rf, or extended with the brokers after its last one that it lacks. */
function fitRow(row: number[], ids: readonly number[], rf: number): number[] {
  const out = row.slice(0, rf);
  let at = Math.max(0, ids.indexOf(out.at(-1) ?? ids[0]!));
  for (let guard = 0; out.length < rf && guard < ids.length; guard++) {
    at = (at + 1) % ids.length;
    if (!out.includes(ids[at]!)) out.push(ids[at]!);
  }
  return out;
}

/** `prefix-N` with the smallest N that names no node yet. */
function freshId(scenario: Scenario, prefix: string): string {
  const taken = new Set(scenario.nodes.map((n) => n.name));
  for (let n = 1; n <= taken.size + 1; n++)
    if (!taken.has(`${prefix}-${n}`)) return `${prefix}-${n}`;
  throw new Error("unreachable: a free id exists");
}

function addConsumer(text: string, group: string): string {
  const scenario = load(text);
  const members = scenario.clients.filter((c) => c.type === "consumer" && c.group === group);
  const first = members[0];
  if (first === undefined || first.type !== "consumer")
    throw new Error(`no consumer is in group ${group}`);
  const id = freshId(scenario, "consumer");
  const topics = [...new Set(members.flatMap((m) => (m.type === "consumer" ? m.subscribe : [])))];
  // A copy of the group's first member (its configs, processing time), under a new id.
  const source = clientIndex(text, first.id);
  const raw = (parseDocument(text).toJS() as { clients: Json[] }).clients[source] as Record<
    string,
    Json
  >;
  const item: Record<string, Json> = { ...raw, id, subscribe: topics };
  const rawText = itemSource(text, ["clients"], source);
  const copied = rawText === undefined ? undefined : tryRawCopy(text, rawText, source, id, topics);
  return copied ?? appendItem(text, ["clients"], item);
}

/** The source member's own lines, appended, then its id (and subscriptions) set. */
function tryRawCopy(
  text: string,
  rawText: string,
  source: number,
  id: string,
  topics: string[],
): string | undefined {
  const doc = parseDocument(text).toJS() as { clients: Array<Record<string, Json>> };
  const raw = doc.clients[source]!;
  try {
    let out = appendItem(text, ["clients"], raw, rawText);
    const at = doc.clients.length;
    out = setValue(out, ["clients", at, "id"], id);
    if (JSON.stringify(raw.subscribe) !== JSON.stringify(topics))
      out = setValue(out, ["clients", at, "subscribe"], topics);
    return out;
  } catch {
    return undefined;
  }
}

function addProducer(text: string): string {
  const scenario = load(text);
  const topic = scenario.topics[0]?.name;
  if (topic === undefined) throw new Error("the scenario has no topic for a producer to write to");
  const id = freshId(scenario, "producer");
  return appendItem(text, ["clients"], {
    id,
    type: "producer",
    workload: { topic, rate: ADDED_PRODUCER_RATE },
  });
}

const CLIENT_ACTIONS = new Set(["start", "stop", "kill", "commit"]);

function removeClient(text: string, id: string): string {
  const scenario = load(text);
  const index = clientIndex(text, id);
  // Its own timeline entries first, from the last (indexes stay valid).
  const entries = scenario.timeline
    .filter((e) => {
      const a = e.action;
      return (
        (CLIENT_ACTIONS.has(a.kind) && (a as { client: string }).client === id) ||
        (a.kind === "produce" && a.client === id)
      );
    })
    .map((e) => e.index)
    .sort((a, b) => b - a);
  let out = text;
  for (const i of entries) out = removeItem(out, ["timeline"], i);
  const left = (parseDocument(out).toJS() as { clients: unknown[] }).clients.length;
  return left === 1 ? deleteKey(out, ["clients"]) : removeItem(out, ["clients"], index);
}
