/**
 * `kafka-delete-records.sh --bootstrap-server ... --offset-json-file FILE`
 * (tools/src/main/java/org/apache/kafka/tools/DeleteRecordsCommand.java): parses the offset JSON
 * (`{"partitions": [{"topic": "t", "partition": 0, "offset": 5}], "version": 1}`; offset -1 means
 * the high watermark), refuses duplicate partitions, and prints the result per partition in the
 * tool's format:
 *
 *   Executing records delete operation
 *   Records delete operation completed:
 *   partition: t-0	low_watermark: 5
 *   partition: t-1	error: org.apache.kafka.common.errors.OffsetOutOfRangeException: ...
 *
 * The partitions come out in the order of the tool's result map (a HashMap of TopicPartition).
 * In a scenario the file's content is the `cli` action's `input` lines (there is no file system).
 * Simplifies: the JSON parser is JavaScript's, so its error message differs from Jackson's.
 */

import { javaHashMapCapacity, javaHashOrder } from "../kafka/metadata/image.ts";
import type { KafkaError } from "../kafka/types.ts";
import type { Tool, ToolOutput } from "./tool.ts";
import { topicPartitionHash } from "./topic-partition-hash.ts";

export interface DeleteRecordsPlan {
  readonly partitions: ReadonlyArray<{ topic: string; partition: number; offset: number }>;
}

/** The exception class and message Kafka's admin client reports for an error code. */
const ERRORS: Partial<Record<KafkaError, string>> = {
  OFFSET_OUT_OF_RANGE:
    "org.apache.kafka.common.errors.OffsetOutOfRangeException: The requested offset is not within the range of offsets maintained by the server.",
  UNKNOWN_TOPIC_OR_PARTITION:
    "org.apache.kafka.common.errors.UnknownTopicOrPartitionException: This server does not host this topic-partition.",
  LEADER_NOT_AVAILABLE:
    "org.apache.kafka.common.errors.LeaderNotAvailableException: There is no leader for this topic-partition as we are in the middle of a leadership election.",
  NOT_LEADER_OR_FOLLOWER:
    "org.apache.kafka.common.errors.NotLeaderOrFollowerException: For requests intended only for the leader, this error indicates that the broker is not the current leader. For requests intended for any replica, this error indicates that the broker is not a replica of the topic partition.",
  KAFKA_STORAGE_ERROR:
    "org.apache.kafka.common.errors.KafkaStorageException: Disk error when trying to access log file on the disk.",
  REQUEST_TIMED_OUT: "org.apache.kafka.common.errors.TimeoutException: The request timed out.",
};

/** Parses the arguments and the offset JSON; a string is the error to print (exit code 1). */
export function parseDeleteRecords(
  args: readonly string[],
  fileLines: readonly string[],
): DeleteRecordsPlan | string {
  let hasFile = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--bootstrap-server" || a === "--command-config") i++;
    else if (a === "--offset-json-file") {
      hasFile = true;
      i++;
    } else return `${a} is not a recognized option`;
  }
  if (!hasFile) return 'Missing required argument "[offset-json-file]"';
  let data: unknown;
  try {
    data = JSON.parse(fileLines.join("\n"));
  } catch (error) {
    return `The input string is not a valid JSON: ${(error as Error).message}`;
  }
  const list = (data as { partitions?: unknown })?.partitions;
  if (!Array.isArray(list)) return 'The input string is not a valid JSON: no "partitions" list';
  const partitions: Array<{ topic: string; partition: number; offset: number }> = [];
  for (const entry of list) {
    const e = entry as { topic?: unknown; partition?: unknown; offset?: unknown };
    if (
      typeof e.topic !== "string" ||
      !Number.isSafeInteger(e.partition) ||
      !Number.isSafeInteger(e.offset)
    ) {
      return `The input string is not a valid JSON: each partition needs "topic", "partition" and "offset" (got ${JSON.stringify(entry)})`;
    }
    partitions.push({
      topic: e.topic,
      partition: e.partition as number,
      offset: e.offset as number,
    });
  }
  const seen = new Set<string>();
  const duplicates: string[] = [];
  for (const p of partitions) {
    const key = `${p.topic}-${p.partition}`;
    if (seen.has(key) && !duplicates.includes(key)) duplicates.push(key);
    seen.add(key);
  }
  if (duplicates.length > 0) {
    return `Offset json file contains duplicate topic partitions: ${duplicates.join(",")}`;
  }
  return { partitions };
}

/** The tool's output once every partition has an answer. */
export function formatDeleteRecords(
  results: ReadonlyArray<{
    topic: string;
    partition: number;
    lowWatermark: number;
    error: KafkaError;
  }>,
): ToolOutput {
  const ordered = javaHashOrder(results, topicPartitionHash, javaHashMapCapacity(results.length));
  const lines = ["Executing records delete operation", "Records delete operation completed:"];
  for (const r of ordered) {
    const tp = `${r.topic}-${r.partition}`;
    lines.push(
      r.error === "NONE"
        ? `partition: ${tp}\tlow_watermark: ${r.lowWatermark}`
        : `partition: ${tp}\terror: ${ERRORS[r.error] ?? `org.apache.kafka.common.errors.ApiException: ${r.error}`}`,
    );
  }
  return { stdout: `${lines.join("\n")}\n`, stderr: "", exitCode: 0 };
}

/**
 * The tool as a scenario runs it: the offset JSON comes from the cli action's input lines; one
 * DeleteRecords per leader (as the metadata truth has them) through the admin client. Answers
 * once every leader has (never, if one never does).
 */
export const kafkaDeleteRecordsTool: Tool = (ctx, args, input, done) => {
  const plan = parseDeleteRecords(args, input);
  if (typeof plan === "string") {
    done({ stdout: "", stderr: `${plan}\n`, exitCode: 1 });
    return;
  }
  const image = ctx.image();
  const results: Parameters<typeof formatDeleteRecords>[0][number][] = [];
  const byLeader = new Map<number, Array<{ topic: string; partition: number; offset: number }>>();
  for (const p of plan.partitions) {
    const state = image?.partition(p.topic, p.partition);
    if (state === undefined) {
      results.push({ ...p, lowWatermark: -1, error: "UNKNOWN_TOPIC_OR_PARTITION" });
    } else if (state.leader < 0) {
      results.push({ ...p, lowWatermark: -1, error: "LEADER_NOT_AVAILABLE" });
    } else byLeader.set(state.leader, [...(byLeader.get(state.leader) ?? []), p]);
  }
  let waiting = byLeader.size;
  if (waiting === 0) {
    done(formatDeleteRecords(results));
    return;
  }
  for (const [leader, partitions] of [...byLeader.entries()].sort(([a], [b]) => a - b)) {
    ctx.admin.deleteRecords(leader, partitions, (answers) => {
      results.push(...answers);
      if (--waiting === 0) done(formatDeleteRecords(results));
    });
  }
};
