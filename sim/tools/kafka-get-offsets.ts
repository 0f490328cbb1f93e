/**
 * `kafka-get-offsets.sh --bootstrap-server .. --topic T [--partitions 0,1] [--time -1|-2]`
 * (tools/src/main/java/org/apache/kafka/tools/GetOffsetShell.java, KIP-635, Kafka 3.0): each
 * matching partition's latest offset (the high watermark, what a consumer can read up to) or
 * earliest offset (the log start), one `topic:partition:offset` line per partition, sorted by
 * topic then partition. The offsets come from the partitions' leaders through ListOffsets
 * (list-offsets-client.ts), so a leader that is down or cut off shows up as it would: the tool
 * waits, retries, and gives up after the admin client's timeout.
 *
 * --topic is a regular expression (IncludeList), --partitions a list of ids and ranges ("0,3-5":
 * 0, 3 and 4; a range's end is excluded, as in Kafka), --topic-partitions `T:0,U:1-3,V`; internal topics are left out with --exclude-internal-topics.
 * A partition whose lookup failed is reported on stderr and left out of the list.
 *
 * Simplifies: --time takes -1/latest and -2/earliest only: the brokers do not model lookups by
 * timestamp (a timestamp, -3/max-timestamp, -4/earliest-local, -5/latest-tiered are refused);
 * before 3.0 the tool was `kafka-run-class.sh kafka.tools.GetOffsetShell`, which is not run.
 */
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP } from "../kafka/protocol.ts";
import { versionAtLeast } from "../kafka/version.ts";
import { exceptionText } from "./java-exceptions.ts";
import { ListOffsetsClient, type OffsetAnswer } from "./list-offsets-client.ts";
import {
  connectionError,
  hasFlag,
  optionValue,
  type Tool,
  type ToolOutput,
  unknownOption,
} from "./tool.ts";

const TAKES_VALUE = new Set([
  "--bootstrap-server",
  "--broker-list",
  "--topic",
  "--partitions",
  "--topic-partitions",
  "--time",
  "--command-config",
]);
const KNOWN = new Set([...TAKES_VALUE, "--exclude-internal-topics", "--help", "--version"]);
const INTERNAL_TOPICS = new Set([
  "__consumer_offsets",
  "__transaction_state",
  "__share_group_state",
]);

/** A partition filter: a topic pattern and the partition ids (all when undefined). */
interface Filter {
  readonly topic: RegExp | undefined;
  readonly partitions: ((p: number) => boolean) | undefined;
}

export interface GetOffsetsPlan {
  readonly filters: readonly Filter[];
  readonly timestamp: number;
  readonly excludeInternal: boolean;
}

function topicPattern(text: string): RegExp | string {
  try {
    return new RegExp(`^(?:${text.trim().replace(/,/g, "|")})$`);
  } catch {
    return `kafkasim: --topic ${text}: not a regular expression JavaScript can read`;
  }
}

/** "0,3-5" (GetOffsetShell.createPartitionSet); a string is the error to print. */
function partitionSet(text: string): ((p: number) => boolean) | string {
  const ranges: Array<[number, number]> = [];
  for (const part of text.split(",")) {
    const m = /^\s*(\d*)\s*(?:-\s*(\d*)\s*)?$/.exec(part);
    if (m === null || (m[1] === "" && (m[2] ?? "") === "")) {
      return `kafkasim: ${part}: a partition is N, a range N-M (M excluded), -M or N-`;
    }
    const lo = m[1] === "" ? 0 : Number(m[1]);
    const hi = m[2] === undefined ? lo : m[2] === "" ? Number.MAX_SAFE_INTEGER : Number(m[2]) - 1;
    ranges.push([lo, m[2] === undefined ? lo : hi]);
  }
  return (p) => ranges.some(([lo, hi]) => p >= lo && p <= hi);
}

/** Parses the arguments; a string is the error to print on stderr. */
export function parseGetOffsets(
  version: Parameters<typeof versionAtLeast>[0],
  args: readonly string[],
): GetOffsetsPlan | string {
  if (!versionAtLeast(version, "3.0")) {
    return "kafkasim: kafka-get-offsets.sh arrived in Kafka 3.0 (KIP-635); before it the same lookup was kafka-run-class.sh kafka.tools.GetOffsetShell, which this build does not run";
  }
  const unknown = unknownOption(args, KNOWN, TAKES_VALUE);
  if (unknown !== undefined) return unknown;
  if (!hasFlag(args, "--broker-list") && optionValue(args, "--broker-list") === undefined) {
    const connection = connectionError("kafka-get-offsets.sh", args, version, "3.0");
    if (connection !== undefined) return connection;
  }
  const topicPartitions = optionValue(args, "--topic-partitions");
  const topic = optionValue(args, "--topic");
  const partitions = optionValue(args, "--partitions");
  if (topicPartitions !== undefined && (topic !== undefined || partitions !== undefined)) {
    return "--topic-partitions cannot be used with --topic or --partitions";
  }
  const filters: Filter[] = [];
  if (topicPartitions !== undefined) {
    for (const entry of topicPartitions.split(",")) {
      const colon = entry.lastIndexOf(":");
      const t = colon < 0 ? entry : entry.slice(0, colon);
      const pattern = t === "" ? undefined : topicPattern(t);
      if (typeof pattern === "string") return pattern;
      const set = colon < 0 ? undefined : partitionSet(entry.slice(colon + 1));
      if (typeof set === "string") return set;
      filters.push({ topic: pattern, partitions: set });
    }
  } else {
    const pattern = topic === undefined ? undefined : topicPattern(topic);
    if (typeof pattern === "string") return pattern;
    const set = partitions === undefined ? undefined : partitionSet(partitions);
    if (typeof set === "string") return set;
    filters.push({ topic: pattern, partitions: set });
  }
  const timeText = (optionValue(args, "--time") ?? "-1").trim();
  let timestamp: number;
  if (timeText === "-1" || timeText === "latest") timestamp = LATEST_TIMESTAMP;
  else if (timeText === "-2" || timeText === "earliest") timestamp = EARLIEST_TIMESTAMP;
  else if (
    /^-?\d+$/.test(timeText) ||
    /^(max-timestamp|earliest-local|latest-tiered)$/.test(timeText)
  ) {
    return `kafkasim: --time ${timeText}: the simulated brokers answer ListOffsets for -1 (latest) and -2 (earliest) only; lookups by timestamp are not modelled`;
  } else {
    return `Malformed time argument ${timeText}. Please use -1 or latest / -2 or earliest / -3 or max-timestamp / -4 or earliest-local / -5 or latest-tiered, or a specified long format timestamp`;
  }
  return { filters, timestamp, excludeInternal: hasFlag(args, "--exclude-internal-topics") };
}

/** The partitions a plan selects, sorted by topic then partition. */
export function selectPartitions(
  plan: GetOffsetsPlan,
  topics: ReadonlyArray<{ name: string; partitions: number }>,
): Array<{ topic: string; partition: number }> {
  const out: Array<{ topic: string; partition: number }> = [];
  for (const t of [...topics].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (plan.excludeInternal && INTERNAL_TOPICS.has(t.name)) continue;
    for (let p = 0; p < t.partitions; p++) {
      const wanted = plan.filters.some(
        (f) =>
          (f.topic === undefined || f.topic.test(t.name)) &&
          (f.partitions === undefined || f.partitions(p)),
      );
      if (wanted) out.push({ topic: t.name, partition: p });
    }
  }
  return out;
}

/** The tool's output from the answers (in the selection's order). */
export function formatOffsets(answers: readonly OffsetAnswer[]): ToolOutput {
  let stdout = "";
  let stderr = "";
  for (const a of answers) {
    if (a.error === "NONE") stdout += `${a.topic}:${a.partition}:${a.offset}\n`;
    else {
      stderr += `Skip getting offsets for topic-partition ${a.topic}-${a.partition} due to error: ${exceptionText(a.error, "")}\n`;
    }
  }
  return { stdout, stderr, exitCode: 0 };
}

export const kafkaGetOffsetsTool: Tool = (ctx, args, _input, done) => {
  const plan = parseGetOffsets(ctx.version, args);
  if (typeof plan === "string") return done({ stdout: "", stderr: `${plan}\n`, exitCode: 1 });
  const image = ctx.image();
  const topics = image
    ? image.sortedTopicNames().map((name) => ({
        name,
        partitions: image.topicByName(name)!.partitions.length,
      }))
    : [];
  const selected = selectPartitions(plan, topics);
  if (selected.length === 0) {
    return done({
      stdout: "",
      stderr: "Could not match any topic-partitions with the specified filters\n",
      exitCode: 1,
    });
  }
  const client = new ListOffsetsClient(
    ctx.engine,
    ctx.network,
    ctx.newClientId("kafka-get-offsets"),
    ctx.clientMachine,
    (topic, partition) => {
      const leader = ctx.image()?.partition(topic, partition)?.leader;
      return leader === undefined || leader < 0 ? undefined : leader;
    },
  );
  client.listOffsets(
    selected.map((s) => ({ ...s, timestamp: plan.timestamp })),
    (answers) => done(formatOffsets(answers)),
  );
};
