/**
 * `kafka-transactions.sh` (tools/src/main/java/org/apache/kafka/tools/TransactionsCommand.java,
 * KIP-664, Kafka 3.0): `--bootstrap-server B COMMAND ...` with the commands `list`, `describe
 * --transactional-id`, `describe-producers --topic --partition [--broker-id]`, `find-hanging
 * (--topic [--partition] | --broker-id) [--max-transaction-timeout]` and `abort`. Output as the
 * tool prints it: argparse4j's errors, tables whose columns are padded to their widest cell and
 * each followed by a TAB (prettyPrintTable), errors as "<what>: <exception message>. Enable debug
 * logging for additional detail." on stderr with exit code 1.
 *
 * What it reads: describe-producers shows a replica's producer state (Kafka's DescribeProducers:
 * each producer id's epoch, last sequence and last timestamp), from the leader or `--broker-id`.
 * This build has no transaction coordinator and no transactional producer (they come with the
 * transactions issue), so no producer has an open transaction: `list` and `find-hanging` print
 * their headers with no rows, `describe` answers TRANSACTIONAL_ID_NOT_FOUND, and `abort
 * --start-offset` finds no open transaction there, as a real cluster without transactions would.
 *
 * Simplifies: the state is read from the replica, not through a DescribeProducers request;
 * LatestCoordinatorEpoch is -1 and CurrentTransactionStartOffset None (no transactions yet);
 * `abort` by producer id and epoch (brokers before 3.0) is refused.
 */
import { versionAtLeast } from "../kafka/version.ts";
import type { Tool, ToolContext, ToolOutput } from "./tool.ts";

const COMMANDS = ["list", "describe", "describe-producers", "abort", "find-hanging"] as const;
type Command = (typeof COMMANDS)[number];

/** Each command's options: name → takes a value. */
const COMMAND_OPTIONS: Record<Command, ReadonlyMap<string, boolean>> = {
  list: new Map(),
  describe: new Map([["--transactional-id", true]]),
  "describe-producers": new Map([
    ["--broker-id", true],
    ["--topic", true],
    ["--partition", true],
  ]),
  abort: new Map([
    ["--topic", true],
    ["--partition", true],
    ["--start-offset", true],
    ["--producer-id", true],
    ["--producer-epoch", true],
    ["--coordinator-epoch", true],
  ]),
  "find-hanging": new Map([
    ["--broker-id", true],
    ["--max-transaction-timeout", true],
    ["--topic", true],
    ["--partition", true],
  ]),
};

const LIST_HEADERS = ["TransactionalId", "Coordinator", "ProducerId", "TransactionState"];
const PRODUCER_HEADERS = [
  "ProducerId",
  "ProducerEpoch",
  "LatestCoordinatorEpoch",
  "LastSequence",
  "LastTimestamp",
  "CurrentTransactionStartOffset",
];
const HANGING_HEADERS = [
  "Topic",
  "Partition",
  "ProducerId",
  "ProducerEpoch",
  "CoordinatorEpoch",
  "StartOffset",
  "LastTimestamp",
  "Duration(min)",
];

/** prettyPrintTable: every cell padded to its column's widest, each followed by a TAB. */
export function prettyPrintTable(
  headers: readonly string[],
  rows: ReadonlyArray<readonly string[]>,
): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) =>
    `${cells.map((c, i) => `${c.padEnd(widths[i]!)}\t`).join("")}\n`;
  return line(headers) + rows.map(line).join("");
}

function argparseError(message: string): ToolOutput {
  return { stdout: "", stderr: `kafka-transactions.sh: error: ${message}\n`, exitCode: 1 };
}

/** printErrorAndExit(message, cause): the cause's message, then a period, as Kafka prints it. */
function failure(message: string, causeMessage?: string): ToolOutput {
  const text =
    causeMessage === undefined
      ? message
      : `${message}: ${causeMessage}. Enable debug logging for additional detail.`;
  return { stdout: "", stderr: `${text}\n`, exitCode: 1 };
}

interface Parsed {
  readonly command: Command;
  readonly values: ReadonlyMap<string, string>;
}

/** argparse4j's parse of the base options, the command and its options. */
export function parseTransactionsArgs(args: readonly string[]): Parsed | ToolOutput {
  const values = new Map<string, string>();
  let command: Command | undefined;
  const unrecognized: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const eq = a.startsWith("--") ? a.indexOf("=") : -1;
    const name = eq > 0 ? a.slice(0, eq) : a;
    const takes =
      command === undefined
        ? name === "--bootstrap-server" || name === "--command-config"
          ? true
          : undefined
        : COMMAND_OPTIONS[command].get(name);
    if (takes !== undefined) {
      const value = eq > 0 ? a.slice(eq + 1) : args[++i];
      if (value === undefined) return argparseError(`argument ${name}: expected one argument`);
      values.set(name, value);
    } else if (command === undefined && !a.startsWith("-")) {
      if (!(COMMANDS as readonly string[]).includes(a)) {
        const choices = COMMANDS.map((c) => `'${c}'`).join(", ");
        return argparseError(`argument COMMAND: invalid choice: '${a}' (choose from ${choices})`);
      }
      command = a as Command;
    } else unrecognized.push(a);
  }
  if (!values.has("--bootstrap-server"))
    return argparseError("argument --bootstrap-server is required");
  if (command === undefined) return argparseError("too few arguments");
  if (unrecognized.length > 0)
    return argparseError(`unrecognized arguments: '${unrecognized.join(" ")}'`);
  const required: Partial<Record<Command, string[]>> = {
    describe: ["--transactional-id"],
    "describe-producers": ["--topic", "--partition"],
    abort: ["--topic", "--partition"],
  };
  for (const r of required[command] ?? [])
    if (!values.has(r)) return argparseError(`argument ${r} is required`);
  for (const [name, value] of values) {
    if (name === "--bootstrap-server" || name === "--command-config") continue;
    if (name === "--topic" || name === "--transactional-id") continue;
    if (!/^-?\d+$/.test(value))
      return argparseError(`argument ${name}: could not convert '${value}' to Integer`);
  }
  return { command, values };
}

export const kafkaTransactionsTool: Tool = (ctx, args, _input, done) => {
  if (!versionAtLeast(ctx.version, "3.0")) {
    done({
      stdout: "",
      stderr: `kafkasim: kafka-transactions.sh arrived with Kafka 3.0 (KIP-664); this cluster runs ${ctx.version}\n`,
      exitCode: 1,
    });
    return;
  }
  const parsed = parseTransactionsArgs(args);
  if (!("command" in parsed)) {
    done(parsed);
    return;
  }
  done(runCommand(ctx, parsed));
};

function runCommand(ctx: ToolContext, { command, values }: Parsed): ToolOutput {
  const ok = (stdout: string): ToolOutput => ({ stdout, stderr: "", exitCode: 0 });
  switch (command) {
    case "list":
      // No transaction coordinator holds a transactional id in this build.
      return ok(prettyPrintTable(LIST_HEADERS, []));
    case "describe": {
      const id = values.get("--transactional-id")!;
      return failure(
        `Failed to describe transaction state of transactional-id \`${id}\``,
        "The transactionalId could not be found.",
      );
    }
    case "describe-producers":
      return describeProducers(ctx, values);
    case "find-hanging": {
      if (!values.has("--topic") && !values.has("--broker-id"))
        return failure(
          "The `find-hanging` command requires either --topic or --broker-id to limit the scope of the search",
        );
      if (values.has("--partition") && !values.has("--topic"))
        return failure("The --partition argument requires --topic to be provided");
      // A hanging transaction is an open one; without transactions there is none.
      return ok(prettyPrintTable(HANGING_HEADERS, []));
    }
    case "abort": {
      const topic = values.get("--topic")!;
      const partition = values.get("--partition")!;
      const startOffset = values.get("--start-offset");
      if (startOffset === undefined && !values.has("--producer-id"))
        return failure(
          "The transaction to abort must be identified either with --start-offset (for brokers on 3.0 or above) or with --producer-id, --producer-epoch, and --coordinator-epoch (for older brokers)",
        );
      if (startOffset === undefined)
        return failure(
          "kafkasim: abort by --producer-id writes a transaction marker, which comes with the transactions issue",
        );
      return failure(
        `Could not find any open transactions starting at offset ${startOffset} on partition ${topic}-${partition}`,
      );
    }
  }
}

function describeProducers(ctx: ToolContext, values: ReadonlyMap<string, string>): ToolOutput {
  const topic = values.get("--topic")!;
  const partition = Number(values.get("--partition"));
  const brokerArg = values.get("--broker-id");
  const where = brokerArg === undefined ? "leader" : `broker ${brokerArg}`;
  const what = `Failed to describe producers for partition ${topic}-${partition} on ${where}`;
  const state = ctx.image()?.partition(topic, partition);
  if (state === undefined) return failure(what, "This server does not host this topic-partition.");
  const brokerId = brokerArg === undefined ? state.leader : Number(brokerArg);
  const broker = brokerId < 0 ? undefined : ctx.cluster.brokers.get(brokerId);
  if (broker === undefined)
    return failure(what, "Timed out waiting for a node assignment. Call: describeProducers");
  const producers = broker.describeProducers(topic, partition);
  if (producers === null) {
    return failure(
      what,
      ctx.cluster.hosts.get(String(brokerId))?.isUp === true
        ? "This server does not host this topic-partition."
        : "Timed out waiting for a node assignment. Call: describeProducers",
    );
  }
  const rows = producers.map((p) => [
    String(p.producerId),
    String(p.producerEpoch),
    "-1",
    String(p.lastSequence),
    String(p.lastTimestampMs),
    "None",
  ]);
  return { stdout: prettyPrintTable(PRODUCER_HEADERS, rows), stderr: "", exitCode: 0 };
}
