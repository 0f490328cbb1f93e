/**
 * The Terminal panel's command rules, as pure functions: which commands run at once against the
 * current moment (tools that only read and answer without waiting for the cluster), which join
 * the timeline as a `cli` action (tools that change the cluster, or that wait for an answer),
 * which need input lines (a console producer's records, a JSON file's text), and the `help` text.
 *
 * The rule is a whitelist: a command runs now only when its tool and flags are known to read the
 * metadata truth or the coordinators' state and answer in the same call, scheduling nothing (so
 * running it does not change the run, and the scenario text stays the whole story). Everything
 * else is forked into the timeline, where it runs exactly as `kafkasim run` would run it.
 */
import { TOOLS } from "../sim/tools/registry.ts";
import { splitCommand, toolNameOf } from "../sim/tools/tool.ts";

/** What the terminal does with a line. */
export type CommandPlan =
  /** Nothing typed. */
  | { readonly kind: "empty" }
  /** A terminal builtin: `help`, `clear`, `history`. */
  | { readonly kind: "builtin"; readonly name: "help" | "clear" | "history" }
  /** The line does not split into words (an unterminated quote). */
  | { readonly kind: "invalid"; readonly error: string }
  /** Read-only and answers at once: run against the current moment, the run is not changed. */
  | { readonly kind: "now"; readonly words: readonly string[] }
  /** Joins the timeline as a `cli` action at the current time; `input` lines are asked first. */
  | {
      readonly kind: "timeline";
      readonly words: readonly string[];
      readonly needsInput: "records" | "json" | null;
      /** Why it forks, in a few words (shown with the command). */
      readonly reason: "changes the cluster" | "waits for the cluster";
    };

const BUILTINS = new Set(["help", "clear", "history"]);

/** Options of tools that read a JSON file: in the simulation the file's text is the input lines. */
const JSON_FILE_OPTIONS = [
  "--reassignment-json-file",
  "--topics-to-move-json-file",
  "--offset-json-file",
  "--path-to-json-file",
];

/** Whether any of `flags` is among the words (also as `--flag=value`). */
function hasAny(words: readonly string[], flags: readonly string[]): boolean {
  return words.some((w) => flags.some((f) => w === f || w.startsWith(`${f}=`)));
}

/** The second word of a sub-command tool (kafka-transactions.sh [options] <command>). */
function transactionsCommand(args: readonly string[]): string | undefined {
  const commands = ["list", "describe", "describe-producers", "find-hanging", "abort"];
  return args.find((a) => commands.includes(a));
}

/**
 * Whether a known tool with these arguments only reads and answers at once. Unknown flags and
 * errors of use still count: the tool prints its usage error at once without touching the cluster.
 */
export function readsOnly(tool: string, args: readonly string[]): boolean {
  switch (tool) {
    case "kafka-topics":
      return !hasAny(args, ["--create", "--alter", "--delete"]);
    case "kafka-configs":
      return !hasAny(args, ["--alter", "--add-config", "--delete-config", "--add-config-file"]);
    case "kafka-consumer-groups":
      return (
        !hasAny(args, ["--delete", "--delete-offsets"]) &&
        !(hasAny(args, ["--reset-offsets"]) && hasAny(args, ["--execute"]))
      );
    case "kafka-metadata-quorum":
      return true;
    case "kafka-transactions":
      return transactionsCommand(args) !== "abort";
    case "kafka-reassign-partitions":
      // --list reads the image; --verify (may clear throttles), --generate (draws a placement
      // from the run's random streams), --execute and --cancel join the timeline.
      return hasAny(args, ["--list"]) && !hasAny(args, ["--execute", "--cancel", "--generate"]);
    default:
      // get-offsets, leader-election, delete-records, console and verifiable clients, perf tests:
      // each sends requests and answers later, or changes the cluster.
      return false;
  }
}

/** Tools that change the cluster (the rest of the forked ones only wait for it). */
function changesCluster(tool: string, args: readonly string[]): boolean {
  switch (tool) {
    case "kafka-get-offsets":
    case "kafka-console-consumer":
    case "kafka-verifiable-consumer":
    case "kafka-consumer-perf-test":
      return false;
    case "kafka-reassign-partitions":
      return hasAny(args, ["--execute", "--cancel"]);
    default:
      return true;
  }
}

/** The input a forked tool reads: a console producer's records, or the text of its JSON file. */
function inputOf(tool: string, args: readonly string[]): "records" | "json" | null {
  if (tool === "kafka-console-producer") return "records";
  if (hasAny(args, JSON_FILE_OPTIONS)) return "json";
  return null;
}

/** What the terminal does with a typed line. */
export function planCommand(line: string): CommandPlan {
  const split = splitCommand(line);
  if (!Array.isArray(split)) return { kind: "invalid", error: `kafkasim: ${split.error}` };
  if (split.length === 0) return { kind: "empty" };
  const first = split[0]!;
  if (split.length === 1 && BUILTINS.has(first))
    return { kind: "builtin", name: first as "help" | "clear" | "history" };
  const tool = toolNameOf(first);
  const args = split.slice(1);
  // An unknown tool: the registry's error (with its suggestion) is printed at once.
  if (!TOOLS.has(tool) || readsOnly(tool, args)) return { kind: "now", words: split };
  return {
    kind: "timeline",
    words: split,
    needsInput: inputOf(tool, args),
    reason: changesCluster(tool, args) ? "changes the cluster" : "waits for the cluster",
  };
}

/** The `help` text: the builtins, the tools of this build, and how commands run. */
export function helpText(): string {
  const tools = [...TOOLS.keys()].sort().map((t) => `  ${t}.sh`);
  return [
    "Kafka's command-line tools, against the simulated cluster (bin/ and .sh are optional):",
    ...tools,
    "",
    "Read-only commands that answer at once (kafka-topics.sh --describe/--list,",
    "kafka-consumer-groups.sh --describe/--list, kafka-configs.sh --describe,",
    "kafka-metadata-quorum.sh, kafka-transactions.sh list/describe-producers, ...)",
    "run now, at the moment shown, and change nothing.",
    "Every other command (create/alter/delete, --execute, console clients, get-offsets, ...)",
    "joins the scenario's timeline as a `cli` action at the current time: the run forks there,",
    "and its output appears when the tool answers (play the run forward).",
    "kafka-console-producer.sh and --*-json-file options ask for input lines: type them,",
    "then Ctrl-D (or the Send button) to run; Ctrl-C cancels.",
    "",
    "Builtins: help, clear, history. Up/Down arrows walk the command history.",
  ].join("\n");
}
