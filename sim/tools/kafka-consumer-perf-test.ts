/**
 * `kafka-consumer-perf-test.sh` (ConsumerPerformance): a real KafkaConsumer in a group of its own
 * reads `--topic` from the beginning until it has `--messages` records (or `--timeout` ms pass
 * without one) and prints the tool's header and one line:
 *
 *   start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
 *   1970-01-01 00:00:05:000, 1970-01-01 00:00:05:350, 0.9537, 2.7248, 10000, 28571.4286, 45, 305, 3.1269, 32786.8852
 *
 * Times are virtual: the clock starts at 1970-01-01 00:00:00 UTC, formatted with the tool's
 * default `yyyy-MM-dd HH:mm:ss:SSS`. Kafka's behaviour kept: the group is `perf-consumer-NNNNN`
 * unless `--group` (NNNNN drawn from the run's seed), auto.offset.reset earliest unless
 * `--from-latest`; every record of a poll counts, so the total can pass --messages; rebalance
 * time is from the start to the first assignment, fetch time the rest; when the timeout ends the
 * run early, "WARNING: Exiting before consuming the expected number of messages: timeout (N ms)
 * exceeded. You can use the --timeout option to increase the timeout." goes to stderr; numbers
 * use Java's `%.4f`. Options: `--topic`, `--messages`, `--bootstrap-server` (or `--broker-list`),
 * `--group`, `--timeout` (default 10000), `--from-latest`, `--hide-header`, `--fetch-size`
 * (max.partition.fetch.bytes), `--consumer-property`-free. Simplifies: bytes are key + value
 * sizes read from the leader's log (estimated from the batch size when payloads were not kept);
 * no `--show-detailed-stats`, `--date-format` or `--consumer.config`.
 */
import { ConfigException } from "../client/config-exception.ts";
import { KafkaConsumer } from "../client/consumer/kafka-consumer.ts";
import {
  formatVirtualDate,
  javaFixed,
  recordsOfSlice,
  ToolTimers,
  tapConsumerHistory,
} from "./client-tool-support.ts";
import { hasFlag, optionValue, type Tool, toolError, unknownOption } from "./tool.ts";

const VALUED = new Set([
  "--topic",
  "--messages",
  "--bootstrap-server",
  "--broker-list",
  "--group",
  "--timeout",
  "--fetch-size",
]);
const KNOWN = new Set([...VALUED, "--from-latest", "--hide-header", "--print-metrics"]);

const HEADER =
  "start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec";

/** The tool's result line (ConsumerPerformance's printf), from virtual µs and totals. */
export function consumerPerfLine(
  startUs: number,
  endUs: number,
  bytes: number,
  messages: number,
  joinMs: number,
): string {
  const startMs = Math.floor(startUs / 1000);
  const endMs = Math.floor(endUs / 1000);
  const elapsedSec = (endMs - startMs) / 1000;
  const fetchMs = endMs - startMs - joinMs;
  const mb = bytes / (1024 * 1024);
  return [
    formatVirtualDate(startUs, ":"),
    formatVirtualDate(endUs, ":"),
    javaFixed(mb, 4),
    javaFixed(mb / elapsedSec, 4),
    String(messages),
    javaFixed(messages / elapsedSec, 4),
    String(joinMs),
    String(fetchMs),
    javaFixed(mb / (fetchMs / 1000), 4),
    javaFixed(messages / (fetchMs / 1000), 4),
  ].join(", ");
}

export const kafkaConsumerPerfTestTool: Tool = (ctx, args, _input, done) => {
  const unknown = unknownOption(args, KNOWN, VALUED);
  if (unknown !== undefined) return done(toolError(unknown));
  if (
    optionValue(args, "--bootstrap-server") === undefined &&
    optionValue(args, "--broker-list") === undefined
  )
    return done(toolError('Missing required argument "[bootstrap-server]"'));
  const topic = optionValue(args, "--topic");
  if (topic === undefined) return done(toolError('Missing required argument "[topic]"'));
  const int = (name: string, fallback: number | undefined): number | undefined | string => {
    const t = optionValue(args, name);
    if (t === undefined) return fallback;
    const n = Number(t);
    return Number.isSafeInteger(n) ? n : `Cannot parse argument '${t}' of option ${name.slice(2)}`;
  };
  const messages = int("--messages", undefined);
  const timeoutMs = int("--timeout", 10_000);
  const fetchSize = int("--fetch-size", undefined);
  for (const v of [messages, timeoutMs, fetchSize])
    if (typeof v === "string") return done(toolError(v));
  if (messages === undefined) return done(toolError('Missing required argument "[messages]"'));
  const clientId = ctx.newClientId("kafka-consumer-perf-test");
  const group =
    optionValue(args, "--group") ??
    `perf-consumer-${ctx.engine.rng.stream(`tool:${clientId}`).intBetween(0, 99_999)}`;
  const config: Record<string, string> = {
    "group.id": group,
    "auto.offset.reset": hasFlag(args, "--from-latest") ? "latest" : "earliest",
  };
  if (typeof fetchSize === "number") config["max.partition.fetch.bytes"] = String(fetchSize);

  const timers = new ToolTimers(ctx, clientId);
  const startUs = ctx.engine.now;
  let joinMs: number | undefined;
  let read = 0;
  let bytes = 0;
  let finished = false;
  let cancelTimeout: (() => void) | undefined;
  const header = hasFlag(args, "--hide-header") ? "" : `${HEADER}\n`;

  const finish = (timedOut: boolean) => {
    if (finished) return;
    finished = true;
    cancelTimeout?.();
    consumer.close();
    const line = consumerPerfLine(startUs, ctx.engine.now, bytes, read, joinMs ?? 0);
    done({
      stdout: `${header}${line}\n`,
      stderr: timedOut
        ? `WARNING: Exiting before consuming the expected number of messages: timeout (${timeoutMs} ms) exceeded. You can use the --timeout option to increase the timeout.\n`
        : "",
      exitCode: 0,
    });
  };
  const armTimeout = () => {
    cancelTimeout?.();
    // The loop checks `now - lastConsumed > timeout` after each poll: the first ms past it.
    cancelTimeout = timers.at(ctx.engine.now + ((timeoutMs as number) + 1) * 1000, () =>
      finish(true),
    );
  };
  const base = tapConsumerHistory(ctx, (poll) => {
    if (finished || poll.consumer !== clientId) return;
    read += poll.count;
    for (const r of recordsOfSlice(ctx, poll)) bytes += r.bytes;
    if (read >= (messages as number)) return finish(false);
    armTimeout();
  });
  const history = {
    ...base,
    rebalance: (r: Parameters<typeof base.rebalance>[0]) => {
      base.rebalance(r);
      if (r.consumer === clientId && joinMs === undefined)
        joinMs = Math.floor(r.atUs / 1000) - Math.floor(startUs / 1000);
    },
  };
  let consumer: KafkaConsumer;
  try {
    consumer = new KafkaConsumer(ctx.engine, ctx.network, {
      clientId,
      version: ctx.version,
      bootstrap: ctx.bootstrap,
      config,
      history,
      machine: ctx.clientMachine,
      startAtUs: ctx.engine.now,
    });
  } catch (error) {
    if (!(error instanceof ConfigException)) throw error;
    return done(toolError(`org.apache.kafka.common.config.ConfigException: ${error.message}`));
  }
  consumer.subscribe([topic]);
  consumer.boot();
  armTimeout();
  ctx.atRunEnd(() => finish(false));
};
