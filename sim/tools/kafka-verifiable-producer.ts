/**
 * `kafka-verifiable-producer.sh` (VerifiableProducer, the producer Kafka's system tests drive): a
 * real KafkaProducer sends the values 0, 1, 2, ... (or `P.0`, `P.1`, ... with `--value-prefix P`)
 * and prints one JSON object per line for each event, as the tool does:
 *
 *   {"timestamp":1000,"name":"startup_complete"}
 *   {"timestamp":1012,"name":"producer_send_success","key":null,"value":"0","topic":"t","partition":0,"offset":0}
 *   {"timestamp":1500,"name":"producer_send_error","key":null,"value":"7","topic":"t","exception":"class org.apache.kafka.common.errors.TimeoutException","message":"..."}
 *   {"timestamp":2000,"name":"shutdown_complete"}
 *   {"timestamp":2000,"name":"tool_data","sent":10,"acked":10,"target_throughput":-1,"avg_throughput":9.900990099009901}
 *
 * Kafka's behaviour kept: `--topic`, `--max-messages` (-1: until stopped), `--throughput`
 * (records per second, -1 unthrottled), `--acks` (default -1), `--value-prefix`,
 * `--repeating-keys N` (keys "0".."N-1" in turn), `--bootstrap-server` (from 2.5) or
 * `--broker-list`; retries=0 as the tool sets them; after the last send the tool closes the
 * producer (every send gets its outcome), prints shutdown_complete, then tool_data with
 * avg_throughput = 1000 × acked / elapsed ms. Timestamps are virtual milliseconds. A run that ends
 * first stops the tool there (its shutdown hook), without waiting for the sends in flight.
 * Simplifies: the ThroughputThrottler's sleeps become evenly spaced sends (send i at
 * start + i/throughput); no `--producer.config`, `--create-time`, `--message-create-time`.
 */
import { ConfigException } from "../client/config-exception.ts";
import { KafkaProducer, type RecordOutcome } from "../client/producer/kafka-producer.ts";
import { versionAtLeast } from "../kafka/version.ts";
import { javaDouble, sendExceptionLine, ToolTimers } from "./client-tool-support.ts";
import { optionValue, type Tool, toolError, unknownOption } from "./tool.ts";

const VALUED = new Set([
  "--topic",
  "--bootstrap-server",
  "--broker-list",
  "--max-messages",
  "--throughput",
  "--acks",
  "--value-prefix",
  "--repeating-keys",
]);

/** A JSON line with Jackson's field order: timestamp, name, then the event's own fields. */
export function jsonLine(timestampMs: number, name: string, fields: string): string {
  return `{"timestamp":${timestampMs},"name":"${name}"${fields === "" ? "" : `,${fields}`}}`;
}

const str = (s: string | null) => (s === null ? "null" : JSON.stringify(s));

export const kafkaVerifiableProducerTool: Tool = (ctx, args, _input, done) => {
  const unknown = unknownOption(args, VALUED, VALUED);
  if (unknown !== undefined) return done(toolError(unknown));
  const bs = optionValue(args, "--bootstrap-server");
  if (bs !== undefined && !versionAtLeast(ctx.version, "2.5"))
    return done(
      toolError("verifiable-producer: error: unrecognized arguments: '--bootstrap-server'"),
    );
  if (bs === undefined && optionValue(args, "--broker-list") === undefined)
    return done(
      toolError(
        "verifiable-producer: error: one of the arguments --bootstrap-server --broker-list is required",
      ),
    );
  const topic = optionValue(args, "--topic");
  if (topic === undefined)
    return done(toolError("verifiable-producer: error: argument --topic is required"));
  const int = (name: string, fallback: number): number | string => {
    const t = optionValue(args, name);
    if (t === undefined) return fallback;
    const n = Number(t);
    return Number.isSafeInteger(n)
      ? n
      : `verifiable-producer: error: argument ${name}: could not convert '${t}' to Integer`;
  };
  const maxMessages = int("--max-messages", -1);
  const throughput = int("--throughput", -1);
  const acks = int("--acks", -1);
  const prefixText = optionValue(args, "--value-prefix");
  const prefix = prefixText === undefined ? undefined : int("--value-prefix", 0);
  const repeating =
    optionValue(args, "--repeating-keys") === undefined ? undefined : int("--repeating-keys", 0);
  for (const v of [maxMessages, throughput, acks, prefix, repeating])
    if (typeof v === "string") return done(toolError(v));
  if (maxMessages === -1 && (throughput as number) <= 0)
    return done(
      toolError(
        "kafkasim: --max-messages -1 with an unthrottled --throughput would send without end at one instant; give --max-messages or --throughput",
      ),
    );

  const clientId = ctx.newClientId("kafka-verifiable-producer");
  const timers = new ToolTimers(ctx, clientId);
  const lines: string[] = [];
  const ms = () => Math.floor(ctx.engine.now / 1000);
  const startUs = ctx.engine.now;
  const pending = new Map<string, { key: string | null; value: string }>();
  let sent = 0;
  let acked = 0;
  let stopped = false;
  let finished = false;
  let producer: KafkaProducer;

  const finish = () => {
    if (finished) return;
    finished = true;
    producer.stop();
    lines.push(jsonLine(ms(), "shutdown_complete", ""));
    const elapsedMs = ms() - Math.floor(startUs / 1000);
    const avg = (1000 * acked) / elapsedMs;
    lines.push(
      jsonLine(
        ms(),
        "tool_data",
        `"sent":${sent},"acked":${acked},"target_throughput":${throughput},"avg_throughput":${javaDouble(avg)}`,
      ),
    );
    done({ stdout: `${lines.join("\n")}\n`, stderr: "", exitCode: 0 });
  };

  const onComplete = (o: RecordOutcome) => {
    const r = pending.get(o.recordId);
    if (r === undefined || finished) return;
    pending.delete(o.recordId);
    const common = `"key":${str(r.key)},"value":${str(r.value)},"topic":${JSON.stringify(topic)}`;
    if (o.status === "acked") {
      acked++;
      lines.push(
        jsonLine(
          ms(),
          "producer_send_success",
          `${common},"partition":${o.partition},"offset":${o.offset ?? -1}`,
        ),
      );
    } else {
      const line = sendExceptionLine(o.error, `${topic}-${Math.max(o.partition, 0)}`);
      const i = line.indexOf(": ");
      const cls = i < 0 ? line : line.slice(0, i);
      const message = i < 0 ? null : line.slice(i + 2);
      lines.push(
        jsonLine(
          ms(),
          "producer_send_error",
          `${common},"exception":${JSON.stringify(`class ${cls}`)},"message":${str(message)}`,
        ),
      );
    }
    if (stopped && pending.size === 0) finish();
  };

  try {
    producer = new KafkaProducer(ctx.engine, ctx.network, {
      clientId,
      version: ctx.version,
      config: { acks: String(acks), retries: "0" },
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
  lines.push(jsonLine(ms(), "startup_complete", ""));
  let keyCounter = 0;

  const sendOne = (i: number) => {
    let key: string | null = null;
    if (repeating !== undefined) {
      key = String(keyCounter++);
      if (keyCounter === repeating) keyCounter = 0;
    }
    const value = prefix === undefined ? String(i) : `${prefix}.${i}`;
    sent++;
    const id = producer.send({ topic, key, value });
    pending.set(id, { key, value });
    const now = producer.outcome(id);
    if (now !== undefined && now.status !== "pending") onComplete(now);
  };
  const endOfSends = () => {
    stopped = true;
    producer.flush();
    if (pending.size === 0) finish();
  };
  const total = maxMessages as number;
  const rate = throughput as number;
  if (rate <= 0) {
    for (let i = 0; i < total; i++) sendOne(i);
    endOfSends();
  } else {
    // Evenly spaced sends, one timer each (send i at start + i / throughput).
    const sendAt = (i: number) => {
      if (finished) return;
      if (total >= 0 && i >= total) return endOfSends();
      sendOne(i);
      timers.at(startUs + Math.ceil(((i + 1) * 1_000_000) / rate), () => sendAt(i + 1));
    };
    sendAt(0);
  }
  ctx.atRunEnd(() => {
    stopped = true;
    finish();
  });
};
