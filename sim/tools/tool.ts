/**
 * What a Kafka command-line tool needs from a running simulation, and the shape every tool has.
 *
 * A tool is run with the words after its name and the `input:` lines of the scenario's `cli`
 * action (a console producer's lines, a JSON file's text). It answers through `done`, exactly once:
 * at once for tools that only read the metadata truth (`kafka-topics.sh --describe`), later for
 * tools that wait for the cluster (an admin call's result, a console consumer's messages). A tool
 * that still runs when the scenario ends gets `atRunEnd` (a console consumer prints what it read and
 * exits, as it would on Ctrl-C); one that never calls `done` is reported as unanswered.
 *
 * Tools reach the cluster as Kafka's tools do: through the admin client and through real clients
 * (a KafkaProducer, a KafkaConsumer on a host of their own); reading the controller's committed
 * image and the coordinators' group state stands in for the Metadata, DescribeConfigs and
 * DescribeGroups requests of the read-only tools (docs/fidelity.md).
 */
import type { HistoryRecorder } from "../check/history.ts";
import type { AdminClient } from "../client/admin.ts";
import type { Engine } from "../engine/engine.ts";
import type { Network } from "../infra/network.ts";
import type { KafkaCluster, MachineSpec } from "../kafka/cluster.ts";
import type { ResolvedConfig } from "../kafka/config.ts";
import type { MetadataImage } from "../kafka/metadata/image.ts";
import { type KafkaVersion, versionAtLeast } from "../kafka/version.ts";
import type { ConsumerGroupsWorld } from "./kafka-consumer-groups.ts";

/** What a tool printed and how it exited (Kafka's tools exit 1 on errors). */
export interface ToolOutput {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: 0 | 1;
}

/** The simulation as a tool sees it. */
export interface ToolContext {
  readonly version: KafkaVersion;
  readonly engine: Engine;
  readonly network: Network;
  readonly cluster: KafkaCluster;
  readonly admin: AdminClient;
  /** The brokers' resolved config (the file's values over Kafka's defaults). */
  readonly brokerConfig: ResolvedConfig;
  /** Broker ids a client bootstraps from (`--bootstrap-server localhost:9092`). */
  readonly bootstrap: readonly number[];
  /** The machine a tool's client runs on (a host of its own, named after its client id). */
  readonly clientMachine: MachineSpec;
  /** Where the tools' clients record their sends and polls, beside the scenario's clients. */
  readonly history: HistoryRecorder;
  /** The metadata truth now: the active controller's committed image (undefined: none active). */
  image(): MetadataImage | undefined;
  /** Groups and log ends as kafka-consumer-groups.sh reads them now. */
  consumerGroups(): ConsumerGroupsWorld;
  /** Commits offsets for groups through their coordinators (reset-offsets --execute). */
  commitGroupOffsets(
    plan: ReadonlyArray<{ group: string; topic: string; partition: number; offset: number }>,
  ): void;
  /** A client id not used yet in this run: `${prefix}-1`, `${prefix}-2`, ... */
  newClientId(prefix: string): string;
  /** Runs `fn` when the scenario ends (before unanswered tools are reported). */
  atRunEnd(fn: () => void): void;
}

/** One Kafka tool: answers through `done`, exactly once. */
export type Tool = (
  ctx: ToolContext,
  args: readonly string[],
  input: readonly string[],
  done: (output: ToolOutput) => void,
) => void;

/** A tool's error exit, as Kafka's tools print it (stderr, exit code 1). */
export function toolError(message: string): ToolOutput {
  return { stdout: "", stderr: message.endsWith("\n") ? message : `${message}\n`, exitCode: 1 };
}

/**
 * A command line split into words as a POSIX shell would for a simple command: whitespace
 * separates words; single quotes keep everything literally; double quotes keep spaces, and a
 * backslash in them escapes `"`, `\\`, `$` and a backquote; outside quotes a backslash keeps the
 * next character. Returns an error text for an unterminated quote.
 */
export function splitCommand(command: string): string[] | { error: string } {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  for (let i = 0; i < command.length; i++) {
    const c = command[i]!;
    if (c === "'") {
      const end = command.indexOf("'", i + 1);
      if (end < 0) return { error: "unterminated single quote" };
      word += command.slice(i + 1, end);
      inWord = true;
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < command.length && command[j] !== '"'; j++) {
        if (command[j] === "\\" && '"\\$`'.includes(command[j + 1] ?? "")) j++;
        word += command[j];
      }
      if (j >= command.length) return { error: "unterminated double quote" };
      inWord = true;
      i = j;
    } else if (c === "\\" && i + 1 < command.length) {
      word += command[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/**
 * The tool a command names, however it was spelled: `kafka-topics`, `kafka-topics.sh`,
 * `bin/kafka-topics.sh`, `/opt/kafka/bin/kafka-topics.sh`, `bin\\windows\\kafka-topics.bat`.
 */
export function toolNameOf(word: string): string {
  return word.replace(/^.*[/\\]/, "").replace(/\.(sh|bat)$/, "");
}

/**
 * The values of an option (`--topic a --topic b`, `--topic=a`); jopt-simple, which Kafka's tools
 * use, accepts both spellings.
 */
export function optionValues(args: readonly string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === name && args[i + 1] !== undefined) out.push(args[++i]!);
    else if (a.startsWith(`${name}=`)) out.push(a.slice(name.length + 1));
  }
  return out;
}

/** The last value of an option, or undefined. */
export function optionValue(args: readonly string[], name: string): string | undefined {
  const all = optionValues(args, name);
  return all[all.length - 1];
}

/** Whether a flag is present (`--describe`). */
export function hasFlag(args: readonly string[], name: string): boolean {
  return args.includes(name);
}

/**
 * The first option not in `known`, in jopt-simple's words as Kafka's tools print them, or
 * undefined when all are known. `known` lists option names with their leading dashes; a value
 * following an option that takes one is skipped by the caller's list of `takesValue` names.
 */
export function unknownOption(
  args: readonly string[],
  known: ReadonlySet<string>,
  takesValue: ReadonlySet<string>,
): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith("--")) continue;
    const name = a.includes("=") ? a.slice(0, a.indexOf("=")) : a;
    if (!known.has(name)) {
      return `Exception in thread "main" joptsimple.UnrecognizedOptionException: ${name.slice(2)} is not a recognized option`;
    }
    if (takesValue.has(name) && !a.includes("=")) i++;
  }
  return undefined;
}

/**
 * `--zookeeper` and `--bootstrap-server` by version, as Kafka's tools took them: the topic,
 * config and group tools talked to ZooKeeper until `--bootstrap-server` arrived (kafka-topics
 * 2.2, KIP-377; kafka-configs 2.6 for topics) and `--zookeeper` was removed in 3.0 (KIP-604).
 * Returns an error text when the spelling does not exist in that version, else undefined.
 */
export function connectionError(
  tool: string,
  args: readonly string[],
  version: KafkaVersion,
  bootstrapSince: KafkaVersion,
): string | undefined {
  const zk = args.includes("--zookeeper") || args.some((a) => a.startsWith("--zookeeper="));
  const bs =
    args.includes("--bootstrap-server") || args.some((a) => a.startsWith("--bootstrap-server="));
  if (zk && versionAtLeast(version, "3.0")) {
    return `Exception in thread "main" joptsimple.UnrecognizedOptionException: zookeeper is not a recognized option`;
  }
  if (bs && !versionAtLeast(version, bootstrapSince)) {
    return `Exception in thread "main" joptsimple.UnrecognizedOptionException: bootstrap-server is not a recognized option (${tool} takes --bootstrap-server from ${bootstrapSince})`;
  }
  if (!zk && !bs) {
    return versionAtLeast(version, bootstrapSince)
      ? 'Missing required argument "[bootstrap-server]"'
      : 'Missing required argument "[zookeeper]"';
  }
  return undefined;
}
