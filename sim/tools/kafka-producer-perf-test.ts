/**
 * `kafka-producer-perf-test.sh` (ProducerPerformance): a real KafkaProducer sends `--num-records`
 * records of `--record-size` bytes at `--throughput` records per second (-1: as fast as send()
 * accepts them) and prints, as the tool does, a line per reporting window (5 s of virtual time,
 * printed when a send completes after the window is over):
 *
 *   24994 records sent, 4998.8 records/sec (4.77 MB/sec), 2.1 ms avg latency, 15.0 ms max latency.
 *
 * and, once the producer is closed (every send has an outcome), the total with percentiles:
 *
 *   50000 records sent, 4999.000100 records/sec (4.77 MB/sec), 2.07 ms avg latency, 15.00 ms max latency, 2 ms 50th, 3 ms 95th, 5 ms 99th, 12 ms 99.9th.
 *
 * Kafka's behaviour kept: latency is from send() to the callback, in whole milliseconds (of
 * virtual time); failed sends count in the statistics as in the tool (and their exception goes
 * to stderr); percentiles come from every (numRecords / min(numRecords, 500000))-th latency,
 * index ⌊p × n⌋ of the sorted sample; rates use Java's `%.1f`/`%f`/`%.2f` rounding.
 * Options: `--topic`, `--num-records`, `--record-size`, `--throughput`, `--producer-props k=v ...`
 * (bootstrap.servers among them, or `--bootstrap-server`), `--print-metrics` (ignored).
 * Simplifies: the ThroughputThrottler's sleeps become evenly spaced sends; values are sized, not
 * random text (the producer keeps no payloads); no `--payload-file`, `--producer.config` or
 * transactions. A run that ends first prints only the windows so far.
 */
import { ConfigException } from "../client/config-exception.ts";
import { KafkaProducer, type RecordOutcome } from "../client/producer/kafka-producer.ts";
import { javaFixed, sendExceptionLine, ToolTimers } from "./client-tool-support.ts";
import { hasFlag, optionValue, type Tool, toolError } from "./tool.ts";

const VALUED = new Set([
  "--topic",
  "--num-records",
  "--record-size",
  "--throughput",
  "--bootstrap-server",
]);
const FLAGS = new Set(["--print-metrics"]);
const REPORTING_INTERVAL_MS = 5000;

/** Reads `--producer-props k=v k=v ...` (argparse's nargs="+": the words up to the next option). */
function producerProps(args: readonly string[]): Record<string, string> | string {
  const out: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    if (args[i] !== "--producer-props") continue;
    let j = i + 1;
    for (; j < args.length && !args[j]!.startsWith("--"); j++) {
      const w = args[j]!;
      const eq = w.indexOf("=");
      if (eq <= 0) return `Invalid property: ${w}`;
      out[w.slice(0, eq)] = w.slice(eq + 1);
    }
    if (j === i + 1) return "argument --producer-props: expected at least one argument";
    i = j - 1;
  }
  return out;
}

function checkArgs(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith("--")) continue;
    if (a === "--producer-props") {
      while (i + 1 < args.length && !args[i + 1]!.startsWith("--")) i++;
    } else if (VALUED.has(a)) i++;
    else if (!FLAGS.has(a)) return `unrecognized arguments: '${a}'`;
  }
  return undefined;
}

/** ProducerPerformance.Stats: totals, the current window and the latency sample. */
export class PerfStats {
  count = 0;
  bytes = 0;
  totalLatencyMs = 0;
  maxLatencyMs = 0;
  readonly sample: number[] = [];
  private readonly sampling: number;
  private windowStartMs: number;
  private windowCount = 0;
  private windowBytes = 0;
  private windowTotalLatencyMs = 0;
  private windowMaxLatencyMs = 0;

  constructor(
    numRecords: number,
    readonly startMs: number,
  ) {
    this.sampling = Math.floor(numRecords / Math.max(1, Math.min(numRecords, 500_000)));
    this.windowStartMs = startMs;
  }

  /** Records one completion; returns the window's line when the window is over. */
  record(iteration: number, latencyMs: number, bytes: number, nowMs: number): string | undefined {
    this.count++;
    this.bytes += bytes;
    this.totalLatencyMs += latencyMs;
    this.maxLatencyMs = Math.max(this.maxLatencyMs, latencyMs);
    this.windowCount++;
    this.windowBytes += bytes;
    this.windowTotalLatencyMs += latencyMs;
    this.windowMaxLatencyMs = Math.max(this.windowMaxLatencyMs, latencyMs);
    if (iteration % Math.max(1, this.sampling) === 0) this.sample.push(latencyMs);
    if (nowMs - this.windowStartMs < REPORTING_INTERVAL_MS) return undefined;
    const elapsed = nowMs - this.windowStartMs;
    const line = `${this.windowCount} records sent, ${javaFixed((1000 * this.windowCount) / elapsed, 1)} records/sec (${javaFixed((1000 * this.windowBytes) / elapsed / (1024 * 1024), 2)} MB/sec), ${javaFixed(this.windowTotalLatencyMs / this.windowCount, 1)} ms avg latency, ${javaFixed(this.windowMaxLatencyMs, 1)} ms max latency.`;
    this.windowStartMs = nowMs;
    this.windowCount = 0;
    this.windowBytes = 0;
    this.windowTotalLatencyMs = 0;
    this.windowMaxLatencyMs = 0;
    return line;
  }

  total(nowMs: number): string {
    const elapsed = nowMs - this.startMs;
    const sorted = [...this.sample].sort((a, b) => a - b);
    const perc = (p: number) => sorted[Math.floor(p * sorted.length)] ?? 0;
    return `${this.count} records sent, ${javaFixed((1000 * this.count) / elapsed, 6)} records/sec (${javaFixed((1000 * this.bytes) / elapsed / (1024 * 1024), 2)} MB/sec), ${javaFixed(this.totalLatencyMs / this.count, 2)} ms avg latency, ${javaFixed(this.maxLatencyMs, 2)} ms max latency, ${perc(0.5)} ms 50th, ${perc(0.95)} ms 95th, ${perc(0.99)} ms 99th, ${perc(0.999)} ms 99.9th.`;
  }
}

export const kafkaProducerPerfTestTool: Tool = (ctx, args, _input, done) => {
  const fail = (m: string) => done(toolError(`producer-performance: error: ${m}`));
  const bad = checkArgs(args);
  if (bad !== undefined) return fail(bad);
  const props = producerProps(args);
  if (typeof props === "string") return fail(props);
  const topic = optionValue(args, "--topic");
  if (topic === undefined) return fail("argument --topic is required");
  const int = (name: string): number | string | undefined => {
    const t = optionValue(args, name);
    if (t === undefined) return undefined;
    const n = Number(t);
    return Number.isSafeInteger(n) ? n : `argument ${name}: could not convert '${t}' to Long`;
  };
  const numRecords = int("--num-records");
  const recordSize = int("--record-size");
  const throughput = int("--throughput");
  for (const v of [numRecords, recordSize, throughput]) if (typeof v === "string") return fail(v);
  if (numRecords === undefined) return fail("argument --num-records is required");
  if (throughput === undefined) return fail("argument --throughput is required");
  if (recordSize === undefined)
    return fail("one of the arguments --record-size --payload-file is required");
  if (
    props["bootstrap.servers"] === undefined &&
    optionValue(args, "--bootstrap-server") === undefined
  )
    return done(
      toolError(
        'org.apache.kafka.common.config.ConfigException: Missing required configuration "bootstrap.servers" which has no default value.',
      ),
    );
  const { "bootstrap.servers": _bootstrap, ...config } = props;
  const n = numRecords as number;
  const size = recordSize as number;
  const rate = throughput as number;
  const clientId = ctx.newClientId("kafka-producer-perf-test");
  const timers = new ToolTimers(ctx, clientId);
  const ms = () => Math.floor(ctx.engine.now / 1000);
  const stats = new PerfStats(n, ms());
  const sendMs: number[] = [];
  const out: string[] = [];
  const err: string[] = [];
  let completed = 0;
  let finished = false;

  const finish = (complete: boolean) => {
    if (finished) return;
    finished = true;
    if (complete) out.push(stats.total(ms()));
    done({
      stdout: out.length === 0 ? "" : `${out.join("\n")}\n`,
      stderr: err.length === 0 ? "" : `${err.join("\n")}\n`,
      exitCode: 0,
    });
  };
  const onComplete = (o: RecordOutcome) => {
    if (finished) return;
    const iteration = Number(o.recordId.slice(o.recordId.lastIndexOf("/") + 1));
    const latency = ms() - sendMs[iteration]!;
    if (o.status !== "acked")
      err.push(sendExceptionLine(o.error, `${topic}-${Math.max(o.partition, 0)}`));
    const line = stats.record(iteration, latency, size, ms());
    if (line !== undefined) out.push(line);
    if (++completed === n) finish(true);
  };

  let producer: KafkaProducer;
  try {
    producer = new KafkaProducer(ctx.engine, ctx.network, {
      clientId,
      version: ctx.version,
      config,
      bootstrap: ctx.bootstrap,
      history: ctx.history,
      trackRecords: false,
      onRecordComplete: onComplete,
      machine: ctx.clientMachine,
    });
  } catch (error) {
    if (!(error instanceof ConfigException)) throw error;
    return done(toolError(`org.apache.kafka.common.config.ConfigException: ${error.message}`));
  }
  producer.boot();
  if (hasFlag(args, "--print-metrics")) {
    // The metrics table is not printed; the option is accepted so command lines run unchanged.
  }
  const sendOne = (i: number) => {
    sendMs[i] = ms();
    producer.send({ topic, valueBytes: size, key: null });
  };
  const startUs = ctx.engine.now;
  if (n <= 0) return finish(true);
  if (rate <= 0) {
    for (let i = 0; i < n; i++) sendOne(i);
    producer.flush();
  } else {
    const sendAt = (i: number) => {
      if (finished || i >= n) return producer.flush();
      sendOne(i);
      timers.at(startUs + Math.ceil(((i + 1) * 1_000_000) / rate), () => sendAt(i + 1));
    };
    sendAt(0);
  }
  ctx.atRunEnd(() => finish(false));
};
