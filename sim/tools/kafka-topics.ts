/**
 * `kafka-topics.sh`: the options Kafka's TopicCommand takes, run against the simulated cluster
 * (tools/src/main/java/org/apache/kafka/tools/TopicCommand.java; kafka.admin.TopicCommand before
 * the tool moved to Java). `--list` and `--describe` read the controller's committed image
 * (describe's layout is in kafka-topics-describe.ts); `--create`, `--alter --partitions` and
 * `--delete` go through the admin client (CreateTopics, CreatePartitions, DeleteTopics) and print
 * what TopicCommand prints when the controller answers.
 *
 * Checks are TopicCommandOptions.checkArgs's, in its order: exactly one action, the connection
 * option for the version (--zookeeper until 2.8, --bootstrap-server from 2.2), --topic where an
 * action needs it, --partitions for --alter, and the options that cannot go with an action.
 * Errors are printed as the tool prints them: an exception during the command gives
 * `Error while executing topic command : <message>` on stdout and a log4j ERROR record with the
 * exception's class on stderr; an option problem gives its message on stderr. Exit code 1.
 *
 * Simplifies: the usage text that follows an option error is left out; --describe and --list run
 * without a connection option (the `kafkasim describe` command relies on it); --topic takes a regular
 * expression for --alter, --delete and --list (Kafka's IncludeList), exact names for --describe;
 * where the Scala tool (before 3.7) threw an uncaught IllegalArgumentException, the message is
 * printed as the Java tool prints it.
 */
import { configNumber, resolveTopicConfig } from "../kafka/config.ts";
import type { MetadataImage } from "../kafka/metadata/image.ts";
import { versionAtLeast, versionProfile } from "../kafka/version.ts";
import { adminTimeoutMessage, exceptionText, log4jError } from "./java-exceptions.ts";
import { describeTopics } from "./kafka-topics-describe.ts";
import {
  connectionError,
  hasFlag,
  optionValue,
  optionValues,
  type Tool,
  type ToolContext,
  type ToolOutput,
  unknownOption,
} from "./tool.ts";

const ACTIONS = ["--create", "--list", "--alter", "--describe", "--delete"] as const;
type Action = (typeof ACTIONS)[number];

const TAKES_VALUE = new Set([
  "--bootstrap-server",
  "--zookeeper",
  "--command-config",
  "--topic",
  "--topic-id",
  "--config",
  "--delete-config",
  "--partitions",
  "--replication-factor",
  "--replica-assignment",
  "--partition-size-limit-per-response",
]);
const KNOWN = new Set([
  ...TAKES_VALUE,
  ...ACTIONS,
  "--under-replicated-partitions",
  "--unavailable-partitions",
  "--under-min-isr-partitions",
  "--at-min-isr-partitions",
  "--topics-with-overrides",
  "--if-exists",
  "--if-not-exists",
  "--exclude-internal",
  "--help",
  "--version",
]);
const REPORT_OPTIONS = [
  "--under-replicated-partitions",
  "--under-min-isr-partitions",
  "--at-min-isr-partitions",
  "--unavailable-partitions",
];
const INTERNAL_TOPICS = new Set([
  "__consumer_offsets",
  "__transaction_state",
  "__share_group_state",
]);
const TOPICS_CONFIGS_HINT = " (To alter topic configurations, the kafka-configs tool can be used.)";

/** The options as TopicCommand reads them, once checkArgs has accepted them. */
export interface TopicCommandPlan {
  readonly action: Action;
  readonly topic: string | undefined;
  readonly partitions: number | undefined;
  readonly replicationFactor: number | undefined;
  /** --replica-assignment, partition by partition (empty when not given). */
  readonly replicaAssignment: readonly (readonly number[])[];
  readonly configs: Readonly<Record<string, string>>;
  readonly ifExists: boolean;
  readonly ifNotExists: boolean;
  readonly excludeInternal: boolean;
  /** Connected with --zookeeper (the tool's pre-3.0 ZooKeeper code path prints more). */
  readonly zookeeper: boolean;
}

/** How the command ends when something goes wrong, before or during the command. */
export type TopicCommandProblem =
  | { readonly kind: "usage"; readonly message: string }
  | { readonly kind: "illegal-argument"; readonly message: string }
  /** An exception thrown during the command: its class and message. */
  | { readonly kind: "exception"; readonly className: string; readonly message: string };

function javaTool(ctx: Pick<ToolContext, "version">): boolean {
  return versionAtLeast(ctx.version, "3.7");
}

function logger(ctx: Pick<ToolContext, "version">): string {
  return javaTool(ctx) ? "org.apache.kafka.tools.TopicCommand" : "kafka.admin.TopicCommand$";
}

function commonPackage(ctx: Pick<ToolContext, "version">): { failed: string; operation: string } {
  return javaTool(ctx)
    ? {
        failed: "org.apache.kafka.server.common.AdminCommandFailedException",
        operation: "org.apache.kafka.server.common.AdminOperationException",
      }
    : {
        failed: "kafka.common.AdminCommandFailedException",
        operation: "kafka.admin.AdminOperationException",
      };
}

/** The tool's output for a problem, as TopicCommand prints it for this version. */
export function topicCommandFailure(
  ctx: Pick<ToolContext, "version" | "engine">,
  problem: TopicCommandProblem,
): ToolOutput {
  if (problem.kind === "usage") return { stdout: "", stderr: `${problem.message}\n`, exitCode: 1 };
  if (problem.kind === "illegal-argument" && versionAtLeast(ctx.version, "4.0")) {
    // TopicCommand.mainNoExit (4.0+) prints an IllegalArgumentException's message alone.
    return { stdout: "", stderr: `${problem.message}\n`, exitCode: 1 };
  }
  const className =
    problem.kind === "exception" ? problem.className : "java.lang.IllegalArgumentException";
  return {
    stdout: `Error while executing topic command : ${problem.message}\n`,
    stderr: log4jError(ctx.engine.now, `${className}: ${problem.message}\n`, logger(ctx)),
    exitCode: 1,
  };
}

function parseInteger(text: string, option: string): number | TopicCommandProblem {
  if (!/^[+-]?\d+$/.test(text.trim()) || !Number.isSafeInteger(Number(text))) {
    return { kind: "usage", message: `Cannot parse argument '${text}' of option ${option}` };
  }
  return Number(text);
}

/** TopicCommand.parseReplicaAssignment: "1:2,2:3" → [[1, 2], [2, 3]]. */
export function parseReplicaAssignment(
  ctx: Pick<ToolContext, "version">,
  text: string,
): number[][] | TopicCommandProblem {
  const out: number[][] = [];
  const pkg = commonPackage(ctx);
  for (const [i, part] of text.split(",").entries()) {
    const brokers: number[] = [];
    for (const word of part.split(":")) {
      const id = Number(word.trim());
      if (!/^[+-]?\d+$/.test(word.trim()) || !Number.isSafeInteger(id)) {
        return {
          kind: "exception",
          className: "java.lang.NumberFormatException",
          message: `For input string: "${word.trim()}"`,
        };
      }
      brokers.push(id);
    }
    const duplicates = [...new Set(brokers.filter((b, j) => brokers.indexOf(b) !== j))];
    if (duplicates.length > 0) {
      return {
        kind: "exception",
        className: pkg.failed,
        message: `Partition replica lists may not contain duplicate entries: ${duplicates.join(",")}`,
      };
    }
    out.push(brokers);
    if (brokers.length !== out[0]!.length) {
      return {
        kind: "exception",
        className: pkg.operation,
        message: `Partition ${i} has different replication factor: [${brokers.join(", ")}]`,
      };
    }
  }
  return out;
}

/** The missing-connection message for the version (TopicCommandOptions.checkRequiredArgs). */
function missingConnection(ctx: Pick<ToolContext, "version">): TopicCommandProblem {
  if (versionAtLeast(ctx.version, "3.0")) {
    return { kind: "illegal-argument", message: "--bootstrap-server must be specified" };
  }
  if (versionAtLeast(ctx.version, "2.2")) {
    return {
      kind: "illegal-argument",
      message: "Only one of --bootstrap-server or --zookeeper must be specified",
    };
  }
  return { kind: "usage", message: 'Missing required argument "[zookeeper]"' };
}

/** Parses and checks the arguments as TopicCommandOptions does; a problem, or the plan. */
export function parseTopicCommand(
  ctx: Pick<ToolContext, "version">,
  args: readonly string[],
): TopicCommandPlan | TopicCommandProblem {
  const unknown = unknownOption(args, KNOWN, TAKES_VALUE);
  if (unknown !== undefined) return { kind: "usage", message: unknown };
  const has = (name: string) =>
    hasFlag(args, name) || (TAKES_VALUE.has(name) && optionValues(args, name).length > 0);
  if (args.length === 0) {
    return { kind: "usage", message: "Create, delete, describe, or change a topic." };
  }
  const actions = ACTIONS.filter((a) => has(a));
  if (actions.length !== 1) {
    return {
      kind: "usage",
      message:
        "Command must include exactly one action: --list, --describe, --create, --alter or --delete",
    };
  }
  const action = actions[0]!;
  const connection = connectionError("kafka-topics.sh", args, ctx.version, "2.2");
  // Leniency: `kafkasim describe` and older scenario lines run --describe/--list without a
  // connection option; Kafka would refuse them (docs/tools.md).
  const missing = connection?.startsWith("Missing required argument") === true;
  if (connection !== undefined && !(missing && (action === "--describe" || action === "--list"))) {
    return missing ? missingConnection(ctx) : { kind: "usage", message: connection };
  }
  if (has("--zookeeper") && has("--bootstrap-server")) return missingConnection(ctx);
  if (action === "--describe" && has("--if-exists") && !has("--topic") && !has("--topic-id")) {
    return { kind: "usage", message: "--topic or --topic-id is required to describe a topic" };
  }
  if (action !== "--list" && action !== "--describe" && !has("--topic")) {
    return { kind: "usage", message: 'Missing required argument "[topic]"' };
  }
  if (action === "--alter") {
    if (has("--config") && has("--bootstrap-server")) {
      return {
        kind: "usage",
        message: `Option combination "[[bootstrap-server], [config]]" can't be used with option "[alter]"${TOPICS_CONFIGS_HINT}`,
      };
    }
    if (!has("--partitions")) {
      return { kind: "usage", message: 'Missing required argument "[partitions]"' };
    }
  }
  const invalid = checkInvalidArgs(action, has);
  if (invalid !== undefined) return { kind: "usage", message: invalid };

  let partitions: number | undefined;
  const partitionsText = optionValue(args, "--partitions");
  if (partitionsText !== undefined) {
    const n = parseInteger(partitionsText, "partitions");
    if (typeof n !== "number") return n;
    partitions = n;
  }
  let replicationFactor: number | undefined;
  const rfText = optionValue(args, "--replication-factor");
  if (rfText !== undefined) {
    const n = parseInteger(rfText, "replication-factor");
    if (typeof n !== "number") return n;
    replicationFactor = n;
  }
  let replicaAssignment: number[][] = [];
  const assignmentText = optionValue(args, "--replica-assignment");
  if (assignmentText !== undefined && assignmentText !== "") {
    const parsed = parseReplicaAssignment(ctx, assignmentText);
    if (!Array.isArray(parsed)) return parsed;
    replicaAssignment = parsed;
  }
  const configs: Record<string, string> = {};
  for (const entry of optionValues(args, "--config")) {
    const pair = entry.split(/\s*=\s*/);
    if (pair.length !== 2) {
      return {
        kind: "illegal-argument",
        message:
          'requirement failed: Invalid topic config: all configs to be added must be in the format "key=val".',
      };
    }
    configs[pair[0]!.trim()] = pair[1]!.trim();
  }
  return {
    action,
    topic: optionValue(args, "--topic"),
    partitions,
    replicationFactor,
    replicaAssignment,
    configs,
    ifExists: has("--if-exists"),
    ifNotExists: has("--if-not-exists"),
    excludeInternal: has("--exclude-internal"),
    zookeeper: has("--zookeeper"),
  };
}

/** TopicCommandOptions.checkInvalidArgs: options that cannot go with the action. */
function checkInvalidArgs(action: Action, has: (name: string) => boolean): string | undefined {
  const others = (allowed: readonly string[]) => ACTIONS.filter((a) => !allowed.includes(a));
  const rules: Array<[string, readonly string[]]> = [
    ["--config", others(["--alter", "--create"])],
    ["--partitions", others(["--alter", "--create"])],
    ["--replication-factor", others(["--create"])],
    ["--replica-assignment", others(["--alter", "--create"])],
  ];
  if (action === "--create") {
    rules.push(["--replica-assignment", ["--partitions", "--replication-factor"]]);
  }
  for (const report of REPORT_OPTIONS) {
    rules.push([report, ["--topics-with-overrides", ...others(["--describe"])]]);
  }
  rules.push(["--topics-with-overrides", [...REPORT_OPTIONS, ...others(["--describe"])]]);
  rules.push(["--if-exists", others(["--alter", "--delete", "--describe"])]);
  rules.push(["--if-not-exists", others(["--create"])]);
  rules.push(["--exclude-internal", others(["--list", "--describe"])]);
  for (const [used, invalid] of rules) {
    if (!has(used)) continue;
    const clash = invalid.find((o) => has(o));
    if (clash !== undefined) {
      return `Option "[${used.slice(2)}]" can't be used with option "[${clash.slice(2)}]"`;
    }
  }
  return undefined;
}

/** TopicService.getTopics: sorted names matching --topic (a regular expression), if given. */
export function matchingTopics(
  image: MetadataImage,
  pattern: string | undefined,
  excludeInternal: boolean,
): string[] {
  const all = image.sortedTopicNames();
  const keep = (name: string) => !(excludeInternal && INTERNAL_TOPICS.has(name));
  if (pattern === undefined) return all.filter(keep);
  // IncludeList: commas separate alternatives; the whole name must match.
  let regex: RegExp | undefined;
  try {
    regex = new RegExp(`^(?:${pattern.trim().replace(/,/g, "|")})$`);
  } catch {
    regex = undefined;
  }
  return all.filter((n) => keep(n) && (regex === undefined ? n === pattern : regex.test(n)));
}

export const kafkaTopicsTool: Tool = (ctx, args, _input, done) => {
  const plan = parseTopicCommand(ctx, args);
  if ("kind" in plan) {
    done(topicCommandFailure(ctx, plan));
    return;
  }
  switch (plan.action) {
    case "--create":
      return createTopic(ctx, plan, done);
    case "--alter":
      return alterTopic(ctx, plan, done);
    case "--delete":
      return deleteTopic(ctx, plan, done);
    case "--list":
    case "--describe":
      return done(readTopics(ctx, args, plan));
  }
};

function noImage(ctx: ToolContext, call: string): ToolOutput {
  return topicCommandFailure(ctx, {
    kind: "exception",
    className: "org.apache.kafka.common.errors.TimeoutException",
    message: adminTimeoutMessage(call),
  });
}

function ok(stdout: string): ToolOutput {
  return { stdout, stderr: "", exitCode: 0 };
}

/** A failed admin result as the exception TopicCommand rethrows. */
function adminFailure(
  ctx: ToolContext,
  error: Parameters<typeof exceptionText>[0],
  message: string,
  call: string,
): ToolOutput {
  const text =
    error === "REQUEST_TIMED_OUT" && message === ""
      ? exceptionText(error, adminTimeoutMessage(call))
      : exceptionText(error, message);
  const colon = text.indexOf(": ");
  return topicCommandFailure(ctx, {
    kind: "exception",
    className: text.slice(0, colon),
    message: text.slice(colon + 2),
  });
}

function createTopic(
  ctx: ToolContext,
  plan: TopicCommandPlan,
  done: (output: ToolOutput) => void,
): void {
  const name = plan.topic!;
  const warning =
    name.includes(".") || name.includes("_")
      ? "WARNING: Due to limitations in metric names, topics with a period ('.') or underscore ('_') could collide. To avoid issues it is best to use either, but not both.\n"
      : "";
  const fail = (problem: TopicCommandProblem) => {
    const out = topicCommandFailure(ctx, problem);
    done({ ...out, stdout: warning + out.stdout });
  };
  const rf = plan.replicationFactor;
  if (rf !== undefined && (rf > 32767 || rf < 1)) {
    return fail({
      kind: "illegal-argument",
      message: "The replication factor must be between 1 and 32767 inclusive",
    });
  }
  if (plan.partitions !== undefined && plan.partitions < 1) {
    return fail({ kind: "illegal-argument", message: "The partitions must be greater than 0" });
  }
  const manual = plan.replicaAssignment.length > 0;
  ctx.admin.call(
    {
      op: "CreateTopics",
      topics: [
        {
          name,
          numPartitions: manual ? -1 : (plan.partitions ?? -1),
          replicationFactor: manual ? -1 : (rf ?? -1),
          ...(manual ? { assignment: plan.replicaAssignment } : {}),
          configs: plan.configs,
        },
      ],
    },
    (result) => {
      const item = result.results[0];
      const error = result.error !== "NONE" ? result.error : (item?.error ?? "NONE");
      if (error === "NONE") return done(ok(`${warning}Created topic ${name}.\n`));
      if (error === "TOPIC_ALREADY_EXISTS" && plan.ifNotExists) return done(ok(warning));
      const out = adminFailure(ctx, error, item?.message ?? "", "createTopics");
      done({ ...out, stdout: warning + out.stdout });
    },
  );
}

/**
 * The topics --alter and --delete act on (--topic is a regular expression), or what the tool
 * prints when there are none: nothing with --if-exists, else TopicCommand's error.
 */
function existingTopics(
  ctx: ToolContext,
  plan: TopicCommandPlan,
): { image: MetadataImage; topics: string[] } | ToolOutput {
  const image = ctx.image();
  if (image === undefined) return noImage(ctx, "listTopics");
  const topics = matchingTopics(image, plan.topic, plan.excludeInternal);
  if (topics.length > 0) return { image, topics };
  if (plan.ifExists) return ok("");
  return topicCommandFailure(ctx, {
    kind: "illegal-argument",
    message: `Topic '${plan.topic}' does not exist as expected`,
  });
}

function alterTopic(
  ctx: ToolContext,
  plan: TopicCommandPlan,
  done: (output: ToolOutput) => void,
): void {
  const found = existingTopics(ctx, plan);
  if (!("topics" in found)) return done(found);
  const { image, topics } = found;
  const count = plan.partitions!;
  const answers = new Map<
    string,
    { error: Parameters<typeof exceptionText>[0]; message: string }
  >();
  for (const topic of topics) {
    const current = image.topicByName(topic)!.partitions.length;
    // With --replica-assignment, the entries past the existing partitions are the new ones.
    const assignment =
      plan.replicaAssignment.length > 0 ? plan.replicaAssignment.slice(current) : undefined;
    ctx.admin.call(
      {
        op: "CreatePartitions",
        topic,
        count,
        ...(assignment === undefined ? {} : { assignment }),
      },
      (result) => {
        const item = result.results[0];
        answers.set(topic, {
          error: result.error !== "NONE" ? result.error : (item?.error ?? "NONE"),
          message: item?.message ?? "",
        });
        if (answers.size < topics.length) return;
        const failed = topics.map((t) => answers.get(t)!).find((a) => a.error !== "NONE");
        if (failed !== undefined) {
          return done(adminFailure(ctx, failed.error, failed.message, "createPartitions"));
        }
        done(
          ok(
            plan.zookeeper
              ? "WARNING: If partitions are increased for a topic that has a key, the partition logic or ordering of the messages will be affected\nAdding partitions succeeded!\n"
              : "",
          ),
        );
      },
    );
  }
}

function deleteTopic(
  ctx: ToolContext,
  plan: TopicCommandPlan,
  done: (output: ToolOutput) => void,
): void {
  const found = existingTopics(ctx, plan);
  if (!("topics" in found)) return done(found);
  const { topics } = found;
  ctx.admin.call({ op: "DeleteTopics", topics }, (result) => {
    const failed =
      result.error !== "NONE"
        ? { error: result.error, message: "" }
        : result.results.find((r) => r.error !== "NONE");
    if (failed !== undefined) {
      return done(adminFailure(ctx, failed.error, failed.message, "deleteTopics"));
    }
    // The ZooKeeper code path (until 2.8) only marked the topic in ZooKeeper and said so.
    done(
      ok(
        plan.zookeeper
          ? topics
              .map(
                (t) =>
                  `Topic ${t} is marked for deletion.\nNote: This will have no impact if delete.topic.enable is not set to true.\n`,
              )
              .join("")
          : "",
      ),
    );
  });
}

/** --list and --describe: read from the metadata truth, answered at once. */
function readTopics(ctx: ToolContext, args: readonly string[], plan: TopicCommandPlan): ToolOutput {
  const image = ctx.image();
  if (image === undefined) {
    return noImage(ctx, plan.action === "--list" ? "listTopics" : "describeTopics");
  }
  const has = (flag: string) => hasFlag(args, flag);
  if (plan.action === "--list") {
    // println(String.join("\n", topics)): an empty list still prints one empty line.
    const names = matchingTopics(image, plan.topic, plan.excludeInternal);
    return ok(`${names.join("\n")}\n`);
  }
  const topics = optionValues(args, "--topic");
  const profile = versionProfile(ctx.version);
  // --exclude-internal leaves out __consumer_offsets and the other internal topics.
  if (topics.length === 0 && plan.excludeInternal) {
    topics.push(...image.sortedTopicNames().filter((n) => !INTERNAL_TOPICS.has(n)));
    if (topics.length === 0) return ok("");
  }
  return describeTopics(image, {
    ...(topics.length > 0 ? { topics } : {}),
    underReplicated: has("--under-replicated-partitions"),
    underMinIsr: has("--under-min-isr-partitions"),
    atMinIsr: has("--at-min-isr-partitions"),
    unavailable: has("--unavailable-partitions"),
    topicsWithOverrides: has("--topics-with-overrides"),
    ifExists: plan.ifExists,
    printElr: profile.describePrintsElr,
    minIsrOf: (topic) =>
      configNumber(
        resolveTopicConfig(ctx.version, ctx.brokerConfig, image.configsOf("TOPIC", topic) ?? {}),
        "min.insync.replicas",
      ),
  });
}
