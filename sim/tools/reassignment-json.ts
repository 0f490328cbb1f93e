/**
 * The JSON files of `kafka-reassign-partitions.sh` (ReassignPartitionsCommand): reading the
 * reassignment file (`{"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1,2],
 * "log_dirs":["any","any"]}]}`) and the topics-to-move file (`{"topics":[{"topic":"t"}],
 * "version":1}`), the checks the tool makes on them, and writing an assignment as the tool prints
 * it: Jackson's compact form, partitions sorted by topic then partition, `version` first, every
 * partition with `log_dirs` ("any" for each replica).
 *
 * Simplifies: the JSON parser is JavaScript's, so a malformed file's message after
 * `com.fasterxml.jackson.core.JsonParseException: ` is JavaScript's, not Jackson's; a `log_dirs`
 * entry other than "any" (a move between a broker's log directories, AlterReplicaLogDirs) is
 * refused, as this simulation does not model it.
 */
import { compareJavaStrings } from "../kafka/metadata/image.ts";

export interface PartitionAssignment {
  readonly topic: string;
  readonly partition: number;
  readonly replicas: readonly number[];
}

/** A failure as the tool reports it: the exception's message and its class (for `toString`). */
export interface JsonFileError {
  readonly message: string;
  readonly exception: string;
}

const ADMIN_COMMAND_FAILED = "org.apache.kafka.server.common.AdminCommandFailedException";
const ADMIN_OPERATION = "org.apache.kafka.server.common.AdminOperationException";

function fail(message: string, exception = ADMIN_COMMAND_FAILED): JsonFileError {
  return { message, exception };
}

/** `TopicPartition.toString`. */
export function tpName(tp: { topic: string; partition: number }): string {
  return `${tp.topic}-${tp.partition}`;
}

/** `compareTopicPartitions`: by topic (String.compareTo), then partition. */
export function compareTopicPartitions(
  a: { topic: string; partition: number },
  b: { topic: string; partition: number },
): number {
  return compareJavaStrings(a.topic, b.topic) || a.partition - b.partition;
}

function parseJson(text: string): { value: unknown } | JsonFileError {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (error) {
    // Json.tryParseFull's JsonParseException, wrapped in AdminOperationException(cause).
    const cause = `com.fasterxml.jackson.core.JsonParseException: ${(error as Error).message}`;
    return fail(cause, ADMIN_OPERATION);
  }
}

function fileVersion(data: Record<string, unknown>): number | JsonFileError {
  const version = data.version ?? 1;
  if (version !== 1)
    return fail(`Not supported version field value ${String(version)}`, ADMIN_OPERATION);
  return 1;
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** `parsePartitionReassignmentData`: the partitions in file order, duplicates kept. */
export function parseReassignmentJson(text: string): PartitionAssignment[] | JsonFileError {
  const parsed = parseJson(text);
  if ("message" in parsed) return parsed;
  const data = asObject(parsed.value);
  if (data === undefined) return fail("Expected a JSON object", ADMIN_OPERATION);
  const version = fileVersion(data);
  if (typeof version !== "number") return version;
  const out: PartitionAssignment[] = [];
  const list = data.partitions;
  if (list === undefined) return out;
  if (!Array.isArray(list)) return fail("Expected a JSON array for `partitions`", ADMIN_OPERATION);
  for (const entry of list) {
    const e = asObject(entry) ?? {};
    for (const field of ["topic", "partition", "replicas"]) {
      if (!(field in e)) return fail(`No such field exists: \`${field}\``, ADMIN_OPERATION);
    }
    const replicas = e.replicas;
    if (
      typeof e.topic !== "string" ||
      !Number.isSafeInteger(e.partition) ||
      !Array.isArray(replicas) ||
      !replicas.every((r) => Number.isSafeInteger(r))
    ) {
      return fail(`Cannot read partition entry ${JSON.stringify(entry)}`, ADMIN_OPERATION);
    }
    const tp = { topic: e.topic, partition: e.partition as number };
    const logDirs = e.log_dirs === undefined ? replicas.map(() => "any") : e.log_dirs;
    if (!Array.isArray(logDirs) || logDirs.length !== replicas.length) {
      return fail(
        `Size of replicas list [${replicas.join(", ")}] is different from size of log dirs list [${Array.isArray(logDirs) ? logDirs.join(", ") : ""}] for partition ${tpName(tp)}`,
      );
    }
    if (logDirs.some((d) => d !== "any")) {
      return fail(
        `kafkasim: log_dirs other than "any" (moving a replica between log directories) are not modelled (${tpName(tp)})`,
      );
    }
    out.push({ ...tp, replicas: replicas as number[] });
  }
  return out;
}

/** The values that occur more than once, in order of their first repeat (`ToolsUtils.duplicates`). */
function duplicates<T>(items: readonly T[], key: (item: T) => string): T[] {
  const seen = new Set<string>();
  const reported = new Set<string>();
  const out: T[] = [];
  for (const item of items) {
    const k = key(item);
    if (seen.has(k) && !reported.has(k)) {
      reported.add(k);
      out.push(item);
    }
    seen.add(k);
  }
  return out;
}

/** `parseExecuteAssignmentArgs`' checks (also run by --execute only). */
export function checkExecuteAssignment(
  partitions: readonly PartitionAssignment[],
): JsonFileError | undefined {
  if (partitions.length === 0) return fail("Partition reassignment list cannot be empty");
  if (partitions.some((p) => p.replicas.length === 0)) {
    return fail("Partition replica list cannot be empty");
  }
  const dupParts = duplicates(partitions, tpName);
  if (dupParts.length > 0) {
    return fail(
      `Partition reassignment contains duplicate topic partitions: ${dupParts.map(tpName).join(",")}`,
    );
  }
  const dupReplicas = partitions
    .map((p) => ({ p, dups: duplicates(p.replicas, String) }))
    .filter((x) => x.dups.length > 0);
  if (dupReplicas.length > 0) {
    const text = dupReplicas
      .map((x) => `${tpName(x.p)} contains multiple entries for ${x.dups.join(",")}`)
      .join(". ");
    return fail(`Partition replica lists may not contain duplicate entries: ${text}`);
  }
  return undefined;
}

/** `parseTopicsData`: the topic names of a topics-to-move file, in file order. */
export function parseTopicsJson(text: string): string[] | JsonFileError {
  const parsed = parseJson(text);
  if ("message" in parsed) return parsed;
  const data = asObject(parsed.value);
  if (data === undefined) return fail("Expected a JSON object", ADMIN_OPERATION);
  const version = fileVersion(data);
  if (typeof version !== "number") return version;
  const list = data.topics;
  if (list === undefined) return [];
  if (!Array.isArray(list)) return fail("Expected a JSON array for `topics`", ADMIN_OPERATION);
  const topics: string[] = [];
  for (const entry of list) {
    const topic = asObject(entry)?.topic;
    if (typeof topic !== "string") return fail("No such field exists: `topic`", ADMIN_OPERATION);
    topics.push(topic);
  }
  return topics;
}

/** `formatAsReassignmentJson` with no log directory moves. */
export function formatReassignmentJson(assignments: readonly PartitionAssignment[]): string {
  const partitions = [...assignments].sort(compareTopicPartitions).map((a) => ({
    topic: a.topic,
    partition: a.partition,
    replicas: [...a.replicas],
    log_dirs: a.replicas.map(() => "any"),
  }));
  return JSON.stringify({ version: 1, partitions });
}
