/**
 * `kafka-console-consumer.sh` (ConsoleConsumer with its DefaultMessageFormatter): a real
 * KafkaConsumer on a host of its own prints each record it is handed, one per line, and the tool
 * ends after `--max-messages`, after `--timeout-ms` without a record, or at the end of the run
 * (as on Ctrl-C), printing "Processed a total of N messages" to stderr.
 *
 * Kafka's behaviour kept:
 * - `--topic` with a group (subscribe), or `--partition P` (assign) with `--offset
 *   earliest|latest|N` (default latest, earliest with `--from-beginning`); `--from-beginning`
 *   sets auto.offset.reset=earliest (a group's committed offsets still win), otherwise latest;
 * - without `--group`, the group id is `console-consumer-NNNNN` (Kafka draws NNNNN at random in
 *   [0, 100000); here from the run's seed) and, from 2.0, enable.auto.commit=false unless set,
 *   so the throwaway group leaves no offsets behind;
 * - the formatter's fields and their order: `CreateTime:ts`, `Partition:p`, `Offset:o` (the
 *   latter two from 2.7, KIP-431), key, value, separated by key.separator (default TAB); null
 *   keys and values print as `null`; `print.value=false` prints no value;
 * - `--timeout-ms`: the wait for the next record; when it passes, ConsoleConsumer logs
 *   "Error processing message, terminating consumer process: " with a TimeoutException, then
 *   closes; `--consumer-property k=v`, `--isolation-level`, the options' conflicts.
 * Simplifies: records' keys, values and CreateTime are read from the leader's log at the offsets
 * the consumer was handed (client-tool-support.ts); a value the producer did not keep prints as
 * `<N bytes>`; no headers, no `--include` regex, no `--formatter` other than the default, no
 * `--consumer.config` file.
 */
import { ConfigException } from "../client/config-exception.ts";
import { KafkaConsumer } from "../client/consumer/kafka-consumer.ts";
import { versionAtLeast } from "../kafka/version.ts";
import {
  type ConsumedRecord,
  keyValueArgs,
  log4jLine,
  recordsOfSlice,
  ToolTimers,
  tapConsumerHistory,
} from "./client-tool-support.ts";
import {
  hasFlag,
  optionValue,
  optionValues,
  type Tool,
  type ToolContext,
  toolError,
  unknownOption,
} from "./tool.ts";

const VALUED = new Set([
  "--topic",
  "--bootstrap-server",
  "--group",
  "--partition",
  "--offset",
  "--max-messages",
  "--timeout-ms",
  "--property",
  "--consumer-property",
  "--isolation-level",
  "--formatter",
]);
const KNOWN = new Set([...VALUED, "--from-beginning", "--skip-message-on-error"]);

/** DefaultMessageFormatter's settings (the `--property` names). */
export interface FormatterProps {
  readonly printTimestamp: boolean;
  readonly printPartition: boolean;
  readonly printOffset: boolean;
  readonly printKey: boolean;
  readonly printValue: boolean;
  readonly keySeparator: string;
  readonly lineSeparator: string;
  readonly nullLiteral: string;
}

export function formatterProps(
  props: Readonly<Record<string, string>>,
  version: ToolContext["version"],
): FormatterProps {
  const flag = (name: string, fallback: boolean) =>
    props[name] === undefined ? fallback : props[name]!.trim().toLowerCase() === "true";
  // KIP-431 (2.7) added print.partition and print.offset; before, the formatter ignored them.
  const kip431 = versionAtLeast(version, "2.7");
  return {
    printTimestamp: flag("print.timestamp", false),
    printPartition: kip431 && flag("print.partition", false),
    printOffset: kip431 && flag("print.offset", false),
    printKey: flag("print.key", false),
    printValue: flag("print.value", true),
    keySeparator: props["key.separator"] ?? "\t",
    lineSeparator: props["line.separator"] ?? "\n",
    nullLiteral: props["null.literal"] ?? "null",
  };
}

/** One record as DefaultMessageFormatter.writeTo prints it. */
export function formatRecord(r: ConsumedRecord, f: FormatterProps): string {
  const fields: string[] = [];
  const text = (t: string | null | undefined) =>
    t === undefined ? `<${r.bytes} bytes>` : t === null ? f.nullLiteral : t;
  if (f.printTimestamp) fields.push(`CreateTime:${r.timestampMs}`);
  if (f.printPartition) fields.push(`Partition:${r.partition}`);
  if (f.printOffset) fields.push(`Offset:${r.offset}`);
  if (f.printKey) fields.push(r.key === undefined ? "null" : text(r.key));
  if (f.printValue) fields.push(text(r.value));
  const line = fields.join(f.keySeparator);
  // Without a value the last field is followed by the line separator all the same.
  return fields.length === 0 ? "" : `${line}${f.lineSeparator}`;
}

interface ConsumerPlan {
  readonly topic: string;
  readonly groupGiven: boolean;
  readonly partition: number | undefined;
  /** assign mode: a position to seek to, or a reset policy. */
  readonly offset: number | "earliest" | "latest";
  readonly maxMessages: number | undefined;
  readonly timeoutMs: number | undefined;
  readonly format: FormatterProps;
  readonly config: Record<string, string>;
}

/** Checks and reads the options; a string is the error text (exit 1). */
function plan(ctx: ToolContext, args: readonly string[], clientId: string): ConsumerPlan | string {
  const unknown = unknownOption(args, KNOWN, VALUED);
  if (unknown !== undefined) return unknown;
  if (optionValue(args, "--bootstrap-server") === undefined)
    return 'Missing required argument "[bootstrap-server]"';
  const topic = optionValue(args, "--topic");
  if (topic === undefined) return "Exactly one of include/topic is required.";
  const formatter = optionValue(args, "--formatter");
  if (formatter !== undefined && !/DefaultMessageFormatter$/.test(formatter))
    return `kafkasim: --formatter ${formatter}: only the DefaultMessageFormatter is modelled`;
  const fromBeginning = hasFlag(args, "--from-beginning");
  const partitionText = optionValue(args, "--partition");
  const offsetText = optionValue(args, "--offset");
  const group = optionValue(args, "--group");
  if (offsetText !== undefined && partitionText === undefined)
    return "The partition is required when offset is specified.";
  if (offsetText !== undefined && fromBeginning)
    return "Options from-beginning and offset cannot be specified together.";
  if (group !== undefined && partitionText !== undefined)
    return "Options group and partition cannot be specified together.";
  const partition = partitionText === undefined ? undefined : Number(partitionText);
  if (partition !== undefined && !(Number.isSafeInteger(partition) && partition >= 0))
    return `Cannot parse argument '${partitionText}' of option partition`;
  let offset: ConsumerPlan["offset"] = fromBeginning ? "earliest" : "latest";
  if (offsetText !== undefined) {
    const lower = offsetText.toLowerCase();
    if (lower === "earliest" || lower === "latest") offset = lower;
    else if (/^\d+$/.test(offsetText)) offset = Number(offsetText);
    else
      return "The provided offset value is incorrect. Valid values are 'earliest', 'latest', or a non-negative long.";
  }
  const number = (name: string): number | undefined | string => {
    const t = optionValue(args, name);
    if (t === undefined) return undefined;
    const n = Number(t);
    return Number.isSafeInteger(n) ? n : `Cannot parse argument '${t}' of option ${name.slice(2)}`;
  };
  const maxMessages = number("--max-messages");
  const timeoutMs = number("--timeout-ms");
  if (typeof maxMessages === "string") return maxMessages;
  if (typeof timeoutMs === "string") return timeoutMs;
  const props = keyValueArgs(optionValues(args, "--property"));
  const consumerProps = keyValueArgs(optionValues(args, "--consumer-property"));
  if (!props.ok) return `Invalid command line properties: ${props.bad}`;
  if (!consumerProps.ok) return `Invalid command line properties: ${consumerProps.bad}`;
  const config: Record<string, string> = { ...consumerProps.map };
  const propGroup = config["group.id"];
  if (group !== undefined && propGroup !== undefined && propGroup !== group)
    return `The group ids provided in different places (directly using '--group', via '--consumer-property', or via '--consumer.config') do not match. Detected group ids: '${group}', '${propGroup}'`;
  const groupGiven = group !== undefined || propGroup !== undefined;
  if (!groupGiven) {
    const n = ctx.engine.rng.stream(`tool:${clientId}`).intBetween(0, 99_999);
    config["group.id"] = `console-consumer-${n}`;
    if (versionAtLeast(ctx.version, "2.0") && !("enable.auto.commit" in config))
      config["enable.auto.commit"] = "false";
  } else config["group.id"] = group ?? propGroup!;
  if (!("auto.offset.reset" in config))
    config["auto.offset.reset"] = typeof offset === "string" ? offset : "latest";
  const isolation = optionValue(args, "--isolation-level");
  if (isolation !== undefined) config["isolation.level"] = isolation;
  return {
    topic,
    groupGiven,
    partition,
    offset,
    maxMessages: maxMessages === undefined || maxMessages < 0 ? undefined : maxMessages,
    timeoutMs,
    format: formatterProps(props.map, ctx.version),
    config,
  };
}

export const kafkaConsoleConsumerTool: Tool = (ctx, args, _input, done) => {
  const clientId = ctx.newClientId("kafka-console-consumer");
  const p = plan(ctx, args, clientId);
  if (typeof p === "string") return done(toolError(p));
  const timers = new ToolTimers(ctx, clientId);
  let stdout = "";
  let stderr = "";
  let printed = 0;
  let finished = false;
  let cancelTimeout: (() => void) | undefined;
  const logger = versionAtLeast(ctx.version, "3.8")
    ? "org.apache.kafka.tools.consumer.ConsoleConsumer"
    : "kafka.tools.ConsoleConsumer$";

  const finish = () => {
    if (finished) return;
    finished = true;
    cancelTimeout?.();
    consumer.close();
    done({ stdout, stderr: `${stderr}Processed a total of ${printed} messages\n`, exitCode: 0 });
  };
  const armTimeout = () => {
    if (p.timeoutMs === undefined) return;
    cancelTimeout?.();
    cancelTimeout = timers.at(ctx.engine.now + p.timeoutMs * 1000, () => {
      stderr += `${log4jLine(ctx.engine.now, "ERROR", "Error processing message, terminating consumer process: ", logger)}\norg.apache.kafka.common.errors.TimeoutException\n`;
      finish();
    });
  };

  const history = tapConsumerHistory(ctx, (poll) => {
    if (finished || poll.consumer !== clientId) return;
    for (const r of recordsOfSlice(ctx, poll)) {
      stdout += formatRecord(r, p.format);
      printed++;
      if (p.maxMessages !== undefined && printed >= p.maxMessages) return finish();
    }
    armTimeout();
  });

  let consumer: KafkaConsumer;
  try {
    consumer = new KafkaConsumer(ctx.engine, ctx.network, {
      clientId,
      version: ctx.version,
      bootstrap: ctx.bootstrap,
      config: p.config,
      history,
      machine: ctx.clientMachine,
      startAtUs: ctx.engine.now,
    });
  } catch (error) {
    if (!(error instanceof ConfigException)) throw error;
    return done(toolError(`org.apache.kafka.common.config.ConfigException: ${error.message}`));
  }
  if (p.partition === undefined) consumer.subscribe([p.topic]);
  else {
    consumer.assign([{ topic: p.topic, partition: p.partition }]);
    if (typeof p.offset === "number")
      consumer.seek({ topic: p.topic, partition: p.partition }, p.offset);
  }
  consumer.boot();
  // ConsoleConsumer's loop runs while fewer than --max-messages were printed: 0 reads nothing.
  if (p.maxMessages === 0) return finish();
  armTimeout();
  ctx.atRunEnd(finish);
};
