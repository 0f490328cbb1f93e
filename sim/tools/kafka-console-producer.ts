/**
 * `kafka-console-producer.sh` (ConsoleProducer with its LineMessageReader): each `input:` line of
 * the scenario's `cli` action becomes a record sent by a real KafkaProducer on a host of its own;
 * the tool answers once every send has an outcome (the producer's close() at end of input).
 *
 * Kafka's behaviour kept:
 * - options `--topic`, `--bootstrap-server` (from 2.5, KIP-499) or `--broker-list` (deprecated),
 *   `--property parse.key=true|key.separator=S|ignore.error=true|null.marker=M`,
 *   `--producer-property k=v`, `--request-required-acks` (default -1 from 3.0, 1 before),
 *   `--sync`, `--timeout` (linger.ms, 1000), `--message-send-max-retries` (retries, 3),
 *   `--request-timeout-ms` (1500), `--retry-backoff-ms` (100), `--max-block-ms` (60000),
 *   `--compression-codec`; an option given explicitly wins over `--producer-property`, which wins
 *   over the option's default;
 * - the `>` prompt: before 2.8 LineMessageReader printed it before every line it read, piped or
 *   not (so N lines give N+1 prompts, without newlines); from 2.8 (KAFKA-10565) only when
 *   System.console() exists, which it does not with piped input: a scenario's input is piped;
 * - parse.key without the separator on a line: KafkaException "No key separator found on line
 *   number N: 'line'" and exit 1 (the records before it were sent); ignore.error=true sends the
 *   line as a value without key;
 * - a failed send is logged by ErrorLoggingCallback to stderr (key and value as byte counts);
 *   with --sync the first failure ends the tool with the exception's stack trace (exit 1).
 * Simplifies: no headers (parse.headers), no --reader-config/--producer.config files; the
 * client id is the host's name (kafka-console-producer-N), not "console-producer".
 */
import { ConfigException } from "../client/config-exception.ts";
import { utf8 } from "../client/murmur2.ts";
import { KafkaProducer, type RecordOutcome } from "../client/producer/kafka-producer.ts";
import { versionAtLeast } from "../kafka/version.ts";
import { keyValueArgs, log4jLine, sendExceptionLine } from "./client-tool-support.ts";
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
  "--broker-list",
  "--property",
  "--producer-property",
  "--request-required-acks",
  "--timeout",
  "--message-send-max-retries",
  "--request-timeout-ms",
  "--retry-backoff-ms",
  "--max-block-ms",
  "--max-memory-bytes",
  "--max-partition-memory-bytes",
  "--batch-size",
  "--compression-codec",
  "--metadata-expiry-ms",
  "--socket-buffer-size",
]);
const KNOWN = new Set([...VALUED, "--sync"]);

/** One line turned into a record, or the reader's exception. */
export type ParsedLine = { key: string | null; value: string | null } | { error: string };

export interface LineReaderProps {
  readonly parseKey: boolean;
  readonly keySeparator: string;
  readonly ignoreError: boolean;
  readonly nullMarker: string | undefined;
}

/** LineMessageReader's parsing of one line (lineNumber counts from 1). */
export function parseLine(line: string, lineNumber: number, p: LineReaderProps): ParsedLine {
  let key: string | null = null;
  let value: string = line;
  if (p.parseKey) {
    const i = line.indexOf(p.keySeparator);
    if (i < 0) {
      if (!p.ignoreError) {
        return {
          error: `org.apache.kafka.common.KafkaException: No key separator found on line number ${lineNumber}: '${line}'`,
        };
      }
    } else {
      key = line.slice(0, i);
      value = line.slice(i + p.keySeparator.length);
    }
  }
  const marker = p.nullMarker;
  return {
    key: key !== null && key === marker ? null : key,
    value: value === marker ? null : value,
  };
}

/** The producer configs the tool sets, in its precedence (explicit option > property > default). */
function producerConfig(
  ctx: ToolContext,
  args: readonly string[],
  extra: Record<string, string>,
): Record<string, string> {
  const config: Record<string, string> = { ...extra };
  const merge = (option: string, key: string, fallback: string) => {
    const given = optionValue(args, option);
    if (given !== undefined) config[key] = given;
    else if (!(key in config)) config[key] = fallback;
  };
  merge("--request-required-acks", "acks", versionAtLeast(ctx.version, "3.0") ? "-1" : "1");
  merge("--timeout", "linger.ms", "1000");
  merge("--message-send-max-retries", "retries", "3");
  merge("--request-timeout-ms", "request.timeout.ms", "1500");
  merge("--retry-backoff-ms", "retry.backoff.ms", "100");
  merge("--max-block-ms", "max.block.ms", "60000");
  merge("--max-memory-bytes", "buffer.memory", String(32 * 1024 * 1024));
  merge("--max-partition-memory-bytes", "batch.size", "16384");
  merge("--metadata-expiry-ms", "metadata.max.age.ms", "300000");
  const codec = optionValue(args, "--compression-codec");
  if (hasFlag(args, "--compression-codec") || codec !== undefined)
    config["compression.type"] = codec === undefined || codec === "" ? "gzip" : codec;
  else if (!("compression.type" in config)) config["compression.type"] = "none";
  return config;
}

/** Checks the options; a string is the error text (exit 1). */
function checkOptions(ctx: ToolContext, args: readonly string[]): string | undefined {
  const unknown = unknownOption(args, KNOWN, VALUED);
  if (unknown !== undefined) return unknown;
  if (
    hasFlag(args, "--bootstrap-server") ||
    args.some((a) => a.startsWith("--bootstrap-server="))
  ) {
    if (!versionAtLeast(ctx.version, "2.5")) {
      return `Exception in thread "main" joptsimple.UnrecognizedOptionException: bootstrap-server is not a recognized option (kafka-console-producer.sh takes --bootstrap-server from 2.5; use --broker-list)`;
    }
  } else if (optionValue(args, "--broker-list") === undefined) {
    return versionAtLeast(ctx.version, "2.5")
      ? 'Missing required argument "[bootstrap-server]"'
      : 'Missing required argument "[broker-list]"';
  }
  if (optionValue(args, "--topic") === undefined) return 'Missing required argument "[topic]"';
  return undefined;
}

export const kafkaConsoleProducerTool: Tool = (ctx, args, input, done) => {
  const problem = checkOptions(ctx, args);
  if (problem !== undefined) return done(toolError(problem));
  const topic = optionValue(args, "--topic")!;
  const readerProps = keyValueArgs(optionValues(args, "--property"));
  const producerProps = keyValueArgs(optionValues(args, "--producer-property"));
  if (!readerProps.ok)
    return done(toolError(`Invalid command line properties: ${readerProps.bad}`));
  if (!producerProps.ok)
    return done(toolError(`Invalid command line properties: ${producerProps.bad}`));
  const rp = readerProps.map;
  const props: LineReaderProps = {
    parseKey: (rp["parse.key"] ?? "false").trim().toLowerCase() === "true",
    keySeparator: rp["key.separator"] ?? "\t",
    ignoreError: (rp["ignore.error"] ?? "false").trim().toLowerCase() === "true",
    nullMarker: rp["null.marker"],
  };
  const sync = hasFlag(args, "--sync");
  const clientId = ctx.newClientId("kafka-console-producer");
  const pending = new Map<string, { key: string | null; value: string | null }>();
  const errors: string[] = [];
  let readerError: string | undefined;
  let syncFailure: string | undefined;
  let nextLine = 0;
  let finished = false;
  // Before 2.8 the prompt is printed once per readMessage() call: one per line and one at EOF.
  const prompts = !versionAtLeast(ctx.version, "2.8");
  let prompt = "";

  const finish = () => {
    if (finished || pending.size > 0) return;
    if (nextLine < input.length && readerError === undefined && syncFailure === undefined) return;
    finished = true;
    producer.stop();
    const failure = readerError ?? syncFailure;
    const stderr = [...errors, ...(failure === undefined ? [] : [failure])];
    done({
      stdout: prompt,
      stderr: stderr.length === 0 ? "" : `${stderr.join("\n")}\n`,
      exitCode: failure === undefined ? 0 : 1,
    });
  };

  const onComplete = (o: RecordOutcome) => {
    const record = pending.get(o.recordId);
    if (record === undefined) return;
    pending.delete(o.recordId);
    if (o.status !== "acked") {
      const tp = `${topic}-${Math.max(o.partition, 0)}`;
      const exception = sendExceptionLine(o.error, tp);
      if (sync) {
        // producer.send(record).get() throws ExecutionException; main prints its stack trace.
        syncFailure = `java.util.concurrent.ExecutionException: ${exception}`;
      } else {
        const bytes = (t: string | null) => (t === null ? "null" : `${utf8(t).length} bytes`);
        errors.push(
          log4jLine(
            ctx.engine.now,
            "ERROR",
            `Error when sending message to topic ${topic} with key: ${bytes(record.key)}, value: ${bytes(record.value)} with error:`,
            "org.apache.kafka.clients.producer.internals.ErrorLoggingCallback",
          ),
          exception,
        );
      }
    }
    if (sync && syncFailure === undefined) sendNext();
    finish();
  };

  let producer: KafkaProducer;
  try {
    producer = new KafkaProducer(ctx.engine, ctx.network, {
      clientId,
      version: ctx.version,
      config: producerConfig(ctx, args, producerProps.map),
      bootstrap: ctx.bootstrap,
      history: ctx.history,
      keepPayloads: true,
      onRecordComplete: onComplete,
      machine: ctx.clientMachine,
    });
  } catch (error) {
    if (!(error instanceof ConfigException)) throw error;
    return done(toolError(`org.apache.kafka.common.config.ConfigException: ${error.message}`));
  }
  producer.boot();

  /** Reads the next line and sends it; false at end of input or on a reader error. */
  function sendNext(): boolean {
    if (prompts) prompt += ">";
    if (nextLine >= input.length) return false;
    const lineNumber = nextLine + 1;
    const parsed = parseLine(input[nextLine++]!, lineNumber, props);
    if ("error" in parsed) {
      readerError = parsed.error;
      return false;
    }
    const id = producer.send({ topic, key: parsed.key, value: parsed.value });
    // A record refused at once (too large, process down) completed inside send(), before it
    // was pending: look at its outcome now.
    const now = producer.outcome(id);
    pending.set(id, parsed);
    if (now !== undefined && now.status !== "pending") onComplete(now);
    return true;
  }

  if (sync) sendNext();
  else while (sendNext()) {}
  finish();
};
