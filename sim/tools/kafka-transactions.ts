/**
 * `kafka-transactions.sh` (tools/src/main/java/org/apache/kafka/tools/TransactionsCommand.java,
 * KIP-664, Kafka 3.0): `--bootstrap-server B COMMAND ...` with the commands `list
 * [--duration-filter MS (3.8+)] [--transactional-id-pattern RE (4.1+)]`, `describe
 * --transactional-id`, `describe-producers --topic --partition [--broker-id]`, `find-hanging
 * (--topic [--partition] | --broker-id) [--max-transaction-timeout MIN]` and `abort --topic
 * --partition (--start-offset | --producer-id --producer-epoch --coordinator-epoch)`. Output as
 * the tool prints it: argparse4j's errors, tables whose columns are padded to their widest cell and
 * each followed by a TAB (prettyPrintTable), errors as "<what>: <exception message>. Enable debug
 * logging for additional detail." on stderr with exit code 1.
 *
 * What it reads (transactions-view.ts): `list` asks every broker's transaction coordinator;
 * `describe` the coordinator of the id (the leader of its `__transaction_state` partition);
 * `describe-producers` a replica's producer state with the first offset of each producer's open
 * transaction; `find-hanging` follows Kafka's steps: the partitions to search, their open
 * transactions whose producer's last write is older than --max-transaction-timeout (default 15
 * minutes), the transactional ids of those producers (ListTransactions filtered by producer id),
 * their descriptions, and keeps those whose coordinator does not know them or does not have the
 * partition in the transaction. `abort` finds the producer whose open transaction starts at
 * --start-offset (or takes the spec from the options) and sends an ABORT marker through
 * WriteTxnMarkers to the partition leader (write-txn-markers-client.ts), answering when the leader
 * has written and replicated it; then the LSO moves on.
 *
 * Simplifies: see transactions-view.ts (snapshots instead of requests, no retries while a
 * coordinator loads, no coordinator epochs on the replicas: LatestCoordinatorEpoch -1, and abort
 * uses coordinator epoch 0, as Kafka does for an unknown one); JavaScript's regular expressions
 * for --transactional-id-pattern; rows in (topic, partition) and (broker, id) order rather than the
 * order of Kafka's hash maps.
 */
import { type KafkaVersion, versionAtLeast } from "../kafka/version.ts";
import type { Tool, ToolContext, ToolOutput } from "./tool.ts";
import {
  type CallError,
  describeProducers,
  describeTransaction,
  errorMessage,
  filterHanging,
  type ListFilters,
  listTransactions,
  type OpenTransaction,
  type ProducerState,
  type TransactionDescription,
} from "./transactions-view.ts";
import {
  type AbortTransactionSpec,
  abortSpecText,
  WriteTxnMarkersClient,
} from "./write-txn-markers-client.ts";

const COMMANDS = ["list", "describe", "describe-producers", "abort", "find-hanging"] as const;
type Command = (typeof COMMANDS)[number];

/** argparse4j's value types: what "could not convert" names. */
type ValueType = "String" | "Integer" | "Long" | "Short";

/** Each command's options in a version: name → the value's type. */
function commandOptions(command: Command, version: KafkaVersion): ReadonlyMap<string, ValueType> {
  switch (command) {
    case "list": {
      const options = new Map<string, ValueType>();
      // KIP-994 (3.8) and KAFKA-19073 (4.1).
      if (versionAtLeast(version, "3.8")) options.set("--duration-filter", "Long");
      if (versionAtLeast(version, "4.1")) options.set("--transactional-id-pattern", "String");
      return options;
    }
    case "describe":
      return new Map([["--transactional-id", "String"]]);
    case "describe-producers":
      return new Map<string, ValueType>([
        ["--broker-id", "Integer"],
        ["--topic", "String"],
        ["--partition", "Integer"],
      ]);
    case "abort":
      return new Map<string, ValueType>([
        ["--topic", "String"],
        ["--partition", "Integer"],
        ["--start-offset", "Long"],
        ["--producer-id", "Long"],
        ["--producer-epoch", "Short"],
        ["--coordinator-epoch", "Integer"],
      ]);
    case "find-hanging":
      return new Map<string, ValueType>([
        ["--broker-id", "Integer"],
        ["--max-transaction-timeout", "Integer"],
        ["--topic", "String"],
        ["--partition", "Integer"],
      ]);
  }
}

const LIST_HEADERS = ["TransactionalId", "Coordinator", "ProducerId", "TransactionState"];
const DESCRIBE_HEADERS = [
  "CoordinatorId",
  "TransactionalId",
  "ProducerId",
  "ProducerEpoch",
  "TransactionState",
  "TransactionTimeoutMs",
  "CurrentTransactionStartTimeMs",
  "TransactionDurationMs",
  "TopicPartitions",
];
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

/** find-hanging's default --max-transaction-timeout, in minutes. */
const DEFAULT_MAX_TRANSACTION_TIMEOUT_MIN = 15;

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

function ok(stdout: string): ToolOutput {
  return { stdout, stderr: "", exitCode: 0 };
}

function isCallError<T>(answer: T | CallError): answer is CallError {
  return typeof answer === "object" && answer !== null && "message" in answer && "error" in answer;
}

interface Parsed {
  readonly command: Command;
  readonly values: ReadonlyMap<string, string>;
}

const INTEGER_RANGE: Record<Exclude<ValueType, "String">, readonly [number, number]> = {
  Short: [-32768, 32767],
  Integer: [-2147483648, 2147483647],
  Long: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

/** argparse4j's parse of the base options, the command and its options (as in `version`). */
export function parseTransactionsArgs(
  args: readonly string[],
  version: KafkaVersion = "4.1",
): Parsed | ToolOutput {
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
          ? "String"
          : undefined
        : commandOptions(command, version).get(name);
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
  const types = commandOptions(command, version);
  for (const [name, value] of values) {
    const type = types.get(name);
    if (type === undefined || type === "String") continue;
    const [min, max] = INTEGER_RANGE[type];
    if (!/^-?\d+$/.test(value) || Number(value) < min || Number(value) > max)
      return argparseError(`argument ${name}: could not convert '${value}' to ${type}`);
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
  const parsed = parseTransactionsArgs(args, ctx.version);
  if (!("command" in parsed)) {
    done(parsed);
    return;
  }
  const { command, values } = parsed;
  switch (command) {
    case "list":
      return done(list(ctx, values));
    case "describe":
      return done(describe(ctx, values.get("--transactional-id")!));
    case "describe-producers":
      return done(describeProducersCommand(ctx, values));
    case "find-hanging":
      return done(findHanging(ctx, values));
    case "abort":
      return abort(ctx, values, done);
  }
};

function nowMs(ctx: ToolContext): number {
  return Math.floor(ctx.engine.now / 1000);
}

function list(ctx: ToolContext, values: ReadonlyMap<string, string>): ToolOutput {
  const duration = values.get("--duration-filter");
  const pattern = values.get("--transactional-id-pattern");
  let regex: RegExp | undefined;
  // Kafka sends no pattern for an empty one.
  if (pattern !== undefined && pattern !== "") {
    try {
      regex = new RegExp(pattern);
    } catch (error) {
      return failure("Failed to list transactions", (error as Error).message);
    }
  }
  const filters: ListFilters = {
    ...(duration === undefined ? {} : { durationFilterMs: Number(duration) }),
    ...(regex === undefined ? {} : { pattern: regex }),
  };
  const rows = listTransactions(ctx.cluster, filters, nowMs(ctx)).map((l) => [
    l.transactionalId,
    String(l.coordinator),
    String(l.producerId),
    l.state,
  ]);
  return ok(prettyPrintTable(LIST_HEADERS, rows));
}

function describe(ctx: ToolContext, transactionalId: string): ToolOutput {
  const answer = describeTransaction(ctx.cluster, ctx.image(), transactionalId);
  if (isCallError(answer))
    return failure(
      `Failed to describe transaction state of transactional-id \`${transactionalId}\``,
      answer.message,
    );
  return ok(prettyPrintTable(DESCRIBE_HEADERS, [describeRow(answer, nowMs(ctx))]));
}

function describeRow(d: TransactionDescription, now: number): string[] {
  const start = d.transactionStartTimeMs;
  return [
    String(d.coordinatorId),
    d.transactionalId,
    String(d.producerId),
    String(d.producerEpoch),
    d.state,
    String(d.transactionTimeoutMs),
    start === null ? "None" : String(start),
    start === null ? "None" : String(now - start),
    d.topicPartitions.join(","),
  ];
}

function describeProducersCommand(
  ctx: ToolContext,
  values: ReadonlyMap<string, string>,
): ToolOutput {
  const topic = values.get("--topic")!;
  const partition = Number(values.get("--partition"));
  const brokerArg = values.get("--broker-id");
  const brokerId = brokerArg === undefined ? undefined : Number(brokerArg);
  const where = brokerId === undefined ? "leader" : `broker ${brokerId}`;
  const answer = describeProducers(ctx.cluster, ctx.image(), topic, partition, brokerId);
  if (isCallError(answer))
    return failure(
      `Failed to describe producers for partition ${topic}-${partition} on ${where}`,
      answer.message,
    );
  const rows = answer.map((p) => [
    String(p.producerId),
    String(p.producerEpoch),
    String(p.coordinatorEpoch),
    String(p.lastSequence),
    String(p.lastTimestampMs),
    p.currentTransactionStartOffset === null ? "None" : String(p.currentTransactionStartOffset),
  ]);
  return ok(prettyPrintTable(PRODUCER_HEADERS, rows));
}

/** Java's Optional<Integer>.toString(), as find-hanging's error names the broker. */
function javaOptional(value: number | undefined): string {
  return value === undefined ? "Optional.empty" : `Optional[${value}]`;
}

function findHanging(ctx: ToolContext, values: ReadonlyMap<string, string>): ToolOutput {
  const topic = values.get("--topic");
  const brokerArg = values.get("--broker-id");
  const brokerId = brokerArg === undefined ? undefined : Number(brokerArg);
  if (topic === undefined && brokerId === undefined)
    return failure(
      "The `find-hanging` command requires either --topic or --broker-id to limit the scope of the search",
    );
  const partitionArg = values.get("--partition");
  if (partitionArg !== undefined && topic === undefined)
    return failure("The --partition argument requires --topic to be provided");
  const maxTimeoutMs =
    Number(values.get("--max-transaction-timeout") ?? DEFAULT_MAX_TRANSACTION_TIMEOUT_MIN) * 60_000;
  const image = ctx.image();

  // 1. The partitions to search.
  let partitions: Array<{ topic: string; partition: number }>;
  if (topic !== undefined && partitionArg !== undefined) {
    partitions = [{ topic, partition: Number(partitionArg) }];
  } else {
    const topics = topic !== undefined ? [topic] : (image?.sortedTopicNames() ?? []);
    partitions = [];
    for (const name of topics) {
      const t = image?.topicByName(name);
      if (t === undefined)
        return failure(
          `Failed to describe ${topics.length} topics`,
          errorMessage("UNKNOWN_TOPIC_OR_PARTITION"),
        );
      t.partitions.forEach((state, partition) => {
        if (brokerId === undefined || state.replicas.includes(brokerId))
          partitions.push({ topic: name, partition });
      });
    }
  }

  // 2. Open transactions whose producer last wrote longer ago than the largest timeout.
  const now = nowMs(ctx);
  const candidates: OpenTransaction[] = [];
  for (const tp of partitions) {
    const producers = describeProducers(ctx.cluster, image, tp.topic, tp.partition, brokerId);
    if (isCallError(producers))
      return failure(
        `Failed to describe producers for ${partitions.length} partitions on broker ${javaOptional(brokerId)}`,
        producers.message,
      );
    for (const p of producers) {
      if (p.currentTransactionStartOffset !== null && now - p.lastTimestampMs > maxTimeoutMs)
        candidates.push({ ...tp, producer: p });
    }
  }

  // 3. Which of them the coordinators still expect to end.
  let hanging: OpenTransaction[] = [];
  if (candidates.length > 0) {
    const producerIds = new Set(candidates.map((c) => c.producer.producerId));
    const idOf = new Map<number, string>();
    for (const l of listTransactions(ctx.cluster, { producerIds }, now))
      idOf.set(l.producerId, l.transactionalId);
    const descriptions = new Map<string, TransactionDescription | null>();
    for (const id of [...new Set(idOf.values())].sort()) {
      const d = describeTransaction(ctx.cluster, image, id);
      if (!isCallError(d)) descriptions.set(id, d);
      else if (d.error === "TRANSACTIONAL_ID_NOT_FOUND") descriptions.set(id, null);
      else return failure(`Failed to describe ${idOf.size} transactions`, d.message);
    }
    hanging = filterHanging(candidates, idOf, descriptions);
  }
  const rows = hanging.map((h) => hangingRow(h, now));
  return ok(prettyPrintTable(HANGING_HEADERS, rows));
}

function hangingRow(h: OpenTransaction, now: number): string[] {
  const p: ProducerState = h.producer;
  return [
    h.topic,
    String(h.partition),
    String(p.producerId),
    String(p.producerEpoch),
    String(p.coordinatorEpoch),
    String(p.currentTransactionStartOffset ?? -1),
    String(p.lastTimestampMs),
    String(Math.floor((now - p.lastTimestampMs) / 60_000)),
  ];
}

function abort(
  ctx: ToolContext,
  values: ReadonlyMap<string, string>,
  done: (output: ToolOutput) => void,
): void {
  const topic = values.get("--topic")!;
  const partition = Number(values.get("--partition"));
  const startOffset = values.get("--start-offset");
  const producerId = values.get("--producer-id");
  if (startOffset === undefined && producerId === undefined)
    return done(
      failure(
        "The transaction to abort must be identified either with --start-offset (for brokers on 3.0 or above) or with --producer-id, --producer-epoch, and --coordinator-epoch (for older brokers)",
      ),
    );
  let spec: AbortTransactionSpec;
  if (startOffset === undefined) {
    const epoch = values.get("--producer-epoch");
    if (epoch === undefined) return done(failure("Missing required argument --producer-epoch"));
    const coordinatorEpoch = values.get("--coordinator-epoch");
    if (coordinatorEpoch === undefined)
      return done(failure("Missing required argument --coordinator-epoch"));
    spec = {
      topic,
      partition,
      producerId: Number(producerId),
      producerEpoch: Number(epoch),
      // A producer that never ended a transaction shows -1; 0 is at or below any coordinator epoch.
      coordinatorEpoch: Math.max(0, Number(coordinatorEpoch)),
    };
  } else {
    const producers = describeProducers(ctx.cluster, ctx.image(), topic, partition, undefined);
    if (isCallError(producers))
      return done(
        failure(
          `Failed to validate producer state for partition ${topic}-${partition}`,
          producers.message,
        ),
      );
    const found = producers.find((p) => p.currentTransactionStartOffset === Number(startOffset));
    if (found === undefined)
      return done(
        failure(
          `Could not find any open transactions starting at offset ${startOffset} on partition ${topic}-${partition}`,
        ),
      );
    spec = {
      topic,
      partition,
      producerId: found.producerId,
      producerEpoch: found.producerEpoch,
      coordinatorEpoch: Math.max(0, found.coordinatorEpoch),
    };
  }
  const client = new WriteTxnMarkersClient(
    ctx.engine,
    ctx.network,
    ctx.newClientId("kafka-transactions"),
    ctx.clientMachine,
    (t, p) => {
      const leader = ctx.image()?.partition(t, p)?.leader;
      return leader === undefined || leader < 0 ? undefined : leader;
    },
  );
  client.abortTransaction(spec, (error) => {
    done(
      error === "NONE"
        ? ok("")
        : failure(`Failed to abort transaction ${abortSpecText(spec)}`, errorMessage(error)),
    );
  });
}
