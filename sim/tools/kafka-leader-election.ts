/**
 * `kafka-leader-election.sh --bootstrap-server .. --election-type PREFERRED|UNCLEAN` with one of
 * `--all-topic-partitions`, `--topic T --partition P` or `--path-to-json-file F` (KIP-460, Kafka
 * 2.4; tools/src/main/java/org/apache/kafka/tools/LeaderElectionCommand.java). The JSON file's
 * text is the `cli` action's `input` lines: `{"partitions": [{"topic": "t", "partition": 0}]}`.
 *
 * Sends ElectLeaders through the admin client and prints the command's three groups, each a Java
 * HashSet/HashMap of TopicPartition printed in hash order:
 *   Successfully completed leader election (PREFERRED) for partitions t-0, t-1
 *   Valid replica already elected for partitions t-2
 *   Error completing leader election (PREFERRED) for partition: t-3: <exception>
 * and, when any failed, `N replica(s) could not be elected` with the exception on stderr, exit 1.
 * With --all-topic-partitions the controller leaves out partitions that need no election.
 *
 * Simplifies: the JSON parser is JavaScript's (its error words differ from Jackson's); the stack
 * trace after a failure is cut to its first line; option errors leave out the usage text.
 */
import { javaHashMapCapacity, javaHashOrder } from "../kafka/metadata/image.ts";
import type { ControlError } from "../kafka/protocol-control.ts";
import { versionAtLeast } from "../kafka/version.ts";
import { exceptionText } from "./java-exceptions.ts";
import { hasFlag, optionValue, type Tool, type ToolOutput, unknownOption } from "./tool.ts";
import { topicPartitionHash } from "./topic-partition-hash.ts";

const TAKES_VALUE = new Set([
  "--bootstrap-server",
  "--admin.config",
  "--command-config",
  "--path-to-json-file",
  "--topic",
  "--partition",
  "--election-type",
]);
const KNOWN = new Set([...TAKES_VALUE, "--all-topic-partitions", "--help", "--version"]);
const FAILED = "org.apache.kafka.server.common.AdminCommandFailedException";
const OPERATION = "org.apache.kafka.server.common.AdminOperationException";

type TopicPartition = { readonly topic: string; readonly partition: number };

export interface LeaderElectionPlan {
  readonly electionType: "PREFERRED" | "UNCLEAN";
  /** Undefined: every partition (--all-topic-partitions). */
  readonly partitions: readonly TopicPartition[] | undefined;
}

/** An error before any election: the exception's message on stderr, then its first line. */
function commandFailed(message: string, className = FAILED): string {
  return `${message}\n${className}: ${message}`;
}

/** LeaderElectionCommand.parseReplicaElectionData; a string is the error text. */
export function parseElectionJson(lines: readonly string[]): TopicPartition[] | string {
  const text = lines.join("\n");
  if (text.trim() === "") return commandFailed("Replica election data is empty", OPERATION);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return `kafkasim: the JSON file is not valid JSON: ${(error as Error).message}`;
  }
  const list = (data as { partitions?: unknown } | null)?.partitions;
  if (list === undefined) {
    return commandFailed('Replica election data is missing "partitions" field', OPERATION);
  }
  if (!Array.isArray(list)) return 'kafkasim: "partitions" must be a list';
  const out: TopicPartition[] = [];
  for (const entry of list) {
    const e = entry as { topic?: unknown; partition?: unknown };
    if (typeof e.topic !== "string" || !Number.isSafeInteger(e.partition)) {
      return `kafkasim: each partition needs "topic" (a string) and "partition" (an integer), got ${JSON.stringify(entry)}`;
    }
    out.push({ topic: e.topic, partition: e.partition as number });
  }
  const keys = out.map((p) => `${p.topic}-${p.partition}`);
  const duplicates = [...new Set(keys.filter((k, i) => keys.indexOf(k) !== i))];
  if (duplicates.length > 0) {
    return commandFailed(
      `Replica election data contains duplicate partitions: [${duplicates.join(", ")}]`,
      OPERATION,
    );
  }
  return out;
}

/** LeaderElectionCommandOptions.validate and the parse; a string is the stderr text. */
export function parseLeaderElection(
  args: readonly string[],
  input: readonly string[],
): LeaderElectionPlan | string {
  const unknown = unknownOption(args, KNOWN, TAKES_VALUE);
  if (unknown !== undefined) return unknown;
  const has = (name: string) => hasFlag(args, name) || optionValue(args, name) !== undefined;
  const missing = ["--bootstrap-server", "--election-type"].filter((o) => !has(o));
  if (missing.length > 0) {
    return commandFailed(
      `Missing required option(s): ${missing.map((o) => o.slice(2)).join(", ")}`,
    );
  }
  if (has("--admin.config") && has("--command-config")) {
    return `Option "[admin.config]" can't be used with option "[command-config]"`;
  }
  const exclusive = ["--topic", "--all-topic-partitions", "--path-to-json-file"];
  if (exclusive.filter(has).length !== 1) {
    return commandFailed(
      `One and only one of the following options is required: ${exclusive.map((o) => o.slice(2)).join(", ")}`,
    );
  }
  if (has("--topic") && !has("--partition")) {
    return commandFailed("Missing required option(s): partition");
  }
  if (!has("--topic") && has("--partition")) {
    return commandFailed("Option partition is only allowed if topic is used");
  }
  // jopt-simple's EnumConverter matches the constant's name ignoring case.
  const typeText = optionValue(args, "--election-type")!;
  const electionType = typeText.toUpperCase();
  if (electionType !== "PREFERRED" && electionType !== "UNCLEAN") {
    return `Cannot parse argument '${typeText}' of option election-type`;
  }
  if (has("--path-to-json-file")) {
    const parsed = parseElectionJson(input);
    if (typeof parsed === "string") return parsed;
    return { electionType, partitions: parsed };
  }
  if (has("--topic")) {
    const partitionText = optionValue(args, "--partition")!;
    if (!/^\d+$/.test(partitionText)) {
      return `Cannot parse argument '${partitionText}' of option partition`;
    }
    return {
      electionType,
      partitions: [{ topic: optionValue(args, "--topic")!, partition: Number(partitionText) }],
    };
  }
  return { electionType, partitions: undefined };
}

export interface ElectionResult {
  readonly topic: string;
  readonly partition: number;
  readonly error: ControlError;
  readonly message: string;
}

function hashOrdered<T extends TopicPartition>(items: readonly T[]): T[] {
  return javaHashOrder(items, topicPartitionHash, javaHashMapCapacity(items.length));
}

/** The command's output for the controller's per-partition results. */
export function formatElection(
  electionType: "PREFERRED" | "UNCLEAN",
  results: readonly ElectionResult[],
): ToolOutput {
  const tp = (r: TopicPartition) => `${r.topic}-${r.partition}`;
  const succeeded = hashOrdered(results.filter((r) => r.error === "NONE"));
  const noop = hashOrdered(results.filter((r) => r.error === "ELECTION_NOT_NEEDED"));
  const failed = hashOrdered(
    results.filter((r) => r.error !== "NONE" && r.error !== "ELECTION_NOT_NEEDED"),
  );
  let stdout = "";
  if (succeeded.length > 0) {
    stdout += `Successfully completed leader election (${electionType}) for partitions ${succeeded.map(tp).join(", ")}\n`;
  }
  if (noop.length > 0) {
    stdout += `Valid replica already elected for partitions ${noop.map(tp).join(", ")}\n`;
  }
  if (failed.length === 0) return { stdout, stderr: "", exitCode: 0 };
  for (const r of failed) {
    stdout += `Error completing leader election (${electionType}) for partition: ${tp(r)}: ${exceptionText(r.error, r.message)}\n`;
  }
  const message = `${failed.length} replica(s) could not be elected`;
  return { stdout, stderr: `${message}\n${FAILED}: ${message}\n`, exitCode: 1 };
}

export const kafkaLeaderElectionTool: Tool = (ctx, args, input, done) => {
  if (!versionAtLeast(ctx.version, "2.4")) {
    return done({
      stdout: "",
      stderr:
        "kafkasim: kafka-leader-election.sh arrived in Kafka 2.4 (KIP-460); before it, preferred elections ran with kafka-preferred-replica-election.sh, which this build does not run\n",
      exitCode: 1,
    });
  }
  const plan = parseLeaderElection(args, input);
  if (typeof plan === "string") return done({ stdout: "", stderr: `${plan}\n`, exitCode: 1 });
  ctx.admin.call(
    {
      op: "ElectLeaders",
      electionType: plan.electionType === "PREFERRED" ? "preferred" : "unclean",
      ...(plan.partitions === undefined ? {} : { partitions: plan.partitions }),
    },
    (result) => {
      if (result.error === "REQUEST_TIMED_OUT") {
        const message = "Timeout waiting for election results";
        return done({
          stdout: `${message}\n`,
          stderr: `${message}\n${FAILED}: ${message}\n`,
          exitCode: 1,
        });
      }
      const results: ElectionResult[] = result.results.map((r) => {
        const dash = r.name.lastIndexOf("-");
        return {
          topic: r.name.slice(0, dash),
          partition: Number(r.name.slice(dash + 1)),
          error: result.error !== "NONE" ? result.error : r.error,
          message: r.message,
        };
      });
      done(formatElection(plan.electionType, results));
    },
  );
};
