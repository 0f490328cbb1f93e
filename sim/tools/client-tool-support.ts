/**
 * What the client tools (console producer and consumer, verifiable producer and consumer, the perf
 * tests) share: `key=value` arguments, timers in virtual time, log4j's line prefix and Kafka's
 * dates from the virtual clock, the exception text of a failed send, and the records a consumer
 * was handed.
 *
 * Why records are looked up: the simulated KafkaConsumer hands its application offsets (a
 * delivered slice: partition, first offset, count), not payloads. A tool that prints keys and
 * values reads them, at the moment the slice is delivered, from the log of the partition's leader
 * (the replica the consumer fetched from), at exactly the delivered offsets. Timestamps are the
 * batch's CreateTime (every record of a batch carries the batch's first timestamp).
 *
 * Virtual time starts at 1970-01-01 00:00:00 UTC: a tool's dates and timestamps are virtual.
 */

import type { ConsumerHistorySink, ConsumerPollRecord } from "../client/consumer/types.ts";
import { utf8 } from "../client/murmur2.ts";
import { RECORD_BATCH_OVERHEAD_BYTES, recordSizeInBytes } from "../client/producer/accumulator.ts";
import type { Actor, SimEvent } from "../engine/engine.ts";
import type { Broker } from "../kafka/broker/broker.ts";
import { consumeFetchedBatches } from "../kafka/log/txn-consume.ts";
import type { RecordBatch } from "../kafka/types.ts";
import { knownExceptionText } from "./java-exceptions.ts";
import type { ToolContext } from "./tool.ts";

/** CommandLineUtils.parseKeyValueArgs: `k=v` pairs (split at the first `=`), or the bad one. */
export function keyValueArgs(
  values: readonly string[],
): { ok: true; map: Record<string, string> } | { ok: false; bad: string } {
  const map: Record<string, string> = {};
  for (const v of values) {
    const i = v.indexOf("=");
    if (i <= 0) return { ok: false, bad: v };
    map[v.slice(0, i)] = v.slice(i + 1);
  }
  return { ok: true, map };
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

/** A virtual time as `yyyy-MM-dd HH:mm:ss` plus the milliseconds after `msSep` (UTC, from 1970). */
export function formatVirtualDate(us: number, msSep: string): string {
  const ms = Math.floor(us / 1000);
  const days = Math.floor(ms / 86_400_000);
  // Civil date from a day count (proleptic Gregorian), integer arithmetic only.
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  const inDay = ms - days * 86_400_000;
  const h = Math.floor(inDay / 3_600_000);
  const min = Math.floor((inDay % 3_600_000) / 60_000);
  const s = Math.floor((inDay % 60_000) / 1000);
  return `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)} ${pad(h, 2)}:${pad(min, 2)}:${pad(s, 2)}${msSep}${pad(ms % 1000, 3)}`;
}

/** A log4j line as the tools' log4j configuration prints it: `[%d] %p %m (%c)`. */
export function log4jLine(us: number, level: string, message: string, logger: string): string {
  return `[${formatVirtualDate(us, ",")}] ${level} ${message} (${logger})`;
}

/**
 * The exception line of a failed or unknown send, as ErrorLoggingCallback's stack trace starts:
 * `org.apache.kafka.common.errors.XxxException: message`. The producer reports an error name
 * (a broker's answer) or an exception text (`TimeoutException: ...`).
 */
export function sendExceptionLine(error: string | undefined, topicPartition: string): string {
  if (
    error === undefined ||
    error === "DELIVERY_TIMEOUT" ||
    error.startsWith("TimeoutException: delivery.timeout.ms")
  ) {
    return `org.apache.kafka.common.errors.TimeoutException: Expiring 1 record(s) for ${topicPartition}: delivery.timeout.ms has passed since batch creation`;
  }
  const text = knownExceptionText(error) ?? error;
  if (text.startsWith("KafkaException:")) return `org.apache.kafka.common.${text}`;
  if (/^[A-Z][A-Za-z]*Exception:/.test(text)) return `org.apache.kafka.common.errors.${text}`;
  return `org.apache.kafka.common.KafkaException: ${text}`;
}

/**
 * Timers in virtual time for a tool (tools are not actors of the model; this small actor carries
 * their callbacks). One per tool run, named after its client.
 */
export class ToolTimers implements Actor {
  readonly id: string;
  private next = 0;
  private readonly callbacks = new Map<number, () => void>();

  constructor(
    private readonly ctx: ToolContext,
    clientId: string,
  ) {
    this.id = `${clientId}/tool`;
    ctx.engine.register(this);
  }

  /** Runs `fn` at `atUs` (not before now); returns a cancel function. */
  at(atUs: number, fn: () => void): () => void {
    const token = this.next++;
    this.callbacks.set(token, fn);
    const handle = this.ctx.engine.scheduleAt(
      Math.max(atUs, this.ctx.engine.now),
      this.id,
      "tool.timer",
      token,
    );
    return () => {
      this.callbacks.delete(token);
      this.ctx.engine.cancel(handle);
    };
  }

  handle(event: SimEvent): void {
    const token = event.payload as number;
    const fn = this.callbacks.get(token);
    this.callbacks.delete(token);
    fn?.();
  }
}

/** One record a consumer was handed, with what the leader's log holds for it. */
export interface ConsumedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** undefined: the producer did not keep payloads. */
  readonly key: string | null | undefined;
  readonly value: string | null | undefined;
  /** CreateTime, virtual ms. */
  readonly timestampMs: number;
  /** Key + value bytes (as ConsumerPerformance counts them); estimated without payloads. */
  readonly bytes: number;
}

/** The value size of a keyless record whose serialized size is `size` (compression none). */
function valueBytesOf(size: number): number {
  for (let v = Math.max(0, size - 12); v <= size; v++) {
    if (recordSizeInBytes(null, v) >= size) return v;
  }
  return Math.max(0, size);
}

function utf8Length(text: string | null | undefined): number {
  return text === null || text === undefined ? 0 : utf8(text).length;
}

/** A partition's log as its leader holds it now (another live replica's without one). */
function leaderLog(
  ctx: ToolContext,
  topic: string,
  partition: number,
): { readonly broker: Broker | undefined; readonly batches: RecordBatch[] } {
  const leader = ctx.image()?.partition(topic, partition)?.leader ?? -1;
  const broker = ctx.cluster.brokers.get(leader);
  if (broker !== undefined) return { broker, batches: broker.logBatches(topic, partition) };
  for (const id of [...ctx.cluster.brokers.keys()].sort((a, b) => a - b)) {
    const other = ctx.cluster.brokers.get(id)!;
    const batches = other.logBatches(topic, partition);
    if (batches.length > 0) return { broker: other, batches };
  }
  return { broker: undefined, batches: [] };
}

/** The `count` records of a delivered slice, from the leader's log, in offset order. */
export function recordsOfSlice(ctx: ToolContext, poll: ConsumerPollRecord): ConsumedRecord[] {
  const out: ConsumedRecord[] = [];
  const end = poll.nextOffset ?? poll.offset + poll.count;
  const { broker, batches } = leaderLog(ctx, poll.topic, poll.partition);
  // read_committed skipped the batches of aborted transactions: the same ones, found as the
  // consumer found them (the log's aborted-transaction index, Kafka's consume path).
  const aborted =
    poll.isolation === "read_committed" && broker !== undefined
      ? new Set(
          consumeFetchedBatches(
            batches.filter((b) => b.baseOffset + b.count > poll.offset && b.baseOffset < end),
            broker.abortedTransactions(poll.topic, poll.partition, poll.offset, end),
            "read_committed",
            poll.offset,
          ).abortedBatches,
        )
      : undefined;
  for (const b of batches) {
    if (out.length >= poll.count) break;
    if (b.isControl || b.baseOffset + b.count <= poll.offset || b.baseOffset >= end) continue;
    if (aborted?.has(b) === true) continue; // read_committed skipped it too
    const offsets = b.offsets ?? Array.from({ length: b.count }, (_, i) => b.baseOffset + i);
    const perRecord =
      b.count > 0 ? Math.floor((b.bytes - RECORD_BATCH_OVERHEAD_BYTES) / b.count) : 0;
    offsets.forEach((offset, i) => {
      if (offset < poll.offset || offset >= end || out.length >= poll.count) return;
      const key = b.keys === undefined ? undefined : (b.keys[i] ?? null);
      const value = b.values === undefined ? undefined : (b.values[i] ?? null);
      out.push({
        topic: poll.topic,
        partition: poll.partition,
        offset,
        key,
        value,
        timestampMs: Math.floor(b.firstTimestampUs / 1000),
        bytes:
          b.values === undefined ? valueBytesOf(perRecord) : utf8Length(key) + utf8Length(value),
      });
    });
  }
  return out;
}

/**
 * A history sink that writes everything to the run's history (so the checkers see the tool's
 * consumer) and hands each delivered slice to the tool as well.
 */
export function tapConsumerHistory(
  ctx: ToolContext,
  onPoll: (poll: ConsumerPollRecord) => void,
  onCommit?: (commit: Parameters<ConsumerHistorySink["commit"]>[0]) => void,
): ConsumerHistorySink {
  return {
    poll: (r) => {
      ctx.history.poll(r);
      onPoll(r);
    },
    commit: (r) => {
      ctx.history.commit(r);
      onCommit?.(r);
    },
    reset: (r) => ctx.history.reset(r),
    rebalance: (r) => ctx.history.rebalance(r),
  };
}

/**
 * The brokers a `--bootstrap-server` / `--broker-list` names. Host names are not modelled: any
 * value means the cluster's brokers (docs/tools-clients.md).
 */
export function bootstrapOf(ctx: ToolContext): readonly number[] {
  return ctx.bootstrap;
}

/**
 * A number as Java's Formatter prints `%.Nf`: HALF_UP rounding of the shortest decimal that
 * reads back as the double (what Double.toString gives), not of its exact binary value.
 */
export function javaFixed(x: number, digits: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (!Number.isFinite(x)) return x > 0 ? "Infinity" : "-Infinity";
  const negative = x < 0;
  const shortest = String(Math.abs(x));
  // The shortest form in exponent notation (below 1e-6 or from 1e21): the exact digits do.
  const plain = shortest.includes("e") ? Math.abs(x).toFixed(Math.min(100, digits + 25)) : shortest;
  const [intPart, frac = ""] = plain.split(".");
  let digitsText = intPart! + frac.padEnd(digits + 1, "0").slice(0, digits);
  const next = frac.padEnd(digits + 1, "0")[digits]!;
  if (next >= "5") {
    // Add one unit in the last place, carrying through the digits.
    const arr = digitsText.split("");
    let i = arr.length - 1;
    while (i >= 0) {
      if (arr[i] === "9") {
        arr[i] = "0";
        i--;
      } else {
        arr[i] = String(Number(arr[i]) + 1);
        break;
      }
    }
    digitsText = (i < 0 ? "1" : "") + arr.join("");
  }
  const cut = digitsText.length - digits;
  const text = digits === 0 ? digitsText : `${digitsText.slice(0, cut)}.${digitsText.slice(cut)}`;
  return negative && /[1-9]/.test(text) ? `-${text}` : text;
}

/** A double as Jackson writes it (Java's Double.toString for ordinary magnitudes). */
export function javaDouble(x: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (!Number.isFinite(x)) return x > 0 ? "Infinity" : "-Infinity";
  const abs = Math.abs(x);
  if (abs !== 0 && (abs >= 1e7 || abs < 1e-3)) {
    const [m, e] = x.toExponential().split("e");
    return `${m!.includes(".") ? m : `${m}.0`}E${Number(e)}`;
  }
  const s = String(x);
  return s.includes(".") ? s : `${s}.0`;
}
