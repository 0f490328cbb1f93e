/**
 * `kafka-reassign-partitions.sh` (ReassignPartitionsCommand, the KIP-455 tool of 2.5 and later):
 * `--generate`, `--execute`, `--verify`, `--cancel` and `--list` against the simulated cluster.
 *
 * - `--generate --topics-to-move-json-file F --broker-list "1,2,3"` prints the topics' current
 *   assignment and a proposal from Kafka's AdminUtils placement (placement.ts
 *   `assignReplicasToBrokers`, rack-aware unless `--disable-rack-aware`, a random start index and
 *   shift drawn from the run's rng as Kafka draws them from java.util.Random), one call per topic
 *   with the topic's partition count and the replica count of its first partition in the tool's
 *   HashMap order. Only live brokers named in the list take part (others are silently left out,
 *   as Kafka's describeCluster filter does).
 * - `--execute --reassignment-json-file F` prints the current assignment ("Save this to use as the
 *   --reassignment-json-file option during rollback"), sends AlterPartitionReassignments through the
 *   admin client and answers when the controller has: "Successfully started partition
 *   reassignment(s) for t-0,t-1", or the per-partition errors. Refuses while any reassignment is in
 *   progress unless `--additional`.
 * - `--verify` prints each partition's state ("is completed." / "is still in progress." / "There is
 *   no active reassignment of partition ..."), a blank line (the empty log-dir move report) and,
 *   when no reassignment is left anywhere and `--preserve-throttles` is absent, the throttle
 *   clearing lines.
 * - `--cancel` reverts ongoing reassignments of the file's partitions; `--list` lists them.
 *
 * The files' text is the `cli` action's `input:` lines (a scenario has no file system): the
 * option must still name a file, as Kafka's tool requires it. The read-only parts (describeTopics,
 * describeCluster, listPartitionReassignments) read the controller's committed image.
 *
 * Versions: 2.5 (the rewrite) and later. 2.5 to 3.6 (Scala) say "is complete."; 3.7 and later
 * (the Java tool) "is completed.". `--zookeeper` is accepted from 2.5 to 2.8 with its deprecation
 * warning (and works like --bootstrap-server here); 3.0 removed it.
 *
 * Simplifies: before 2.5 the tool (ZooKeeper only, other messages) is not modelled; replication
 * throttles (`--throttle`, `--replica-alter-log-dirs-throttle`) are refused, as the simulation has
 * no replication quotas, so `--verify` prints the throttle-clearing lines without sending the
 * config deletions; errors print Kafka's "Error: " line and the exception's first line, not the
 * Java stack frames.
 */

import {
  javaHashMapCapacity,
  javaHashOrder,
  javaIntegerHash,
  javaStringHash,
  type MetadataImage,
} from "../kafka/metadata/image.ts";
import { assignReplicasToBrokers, type BrokerPlacementInfo } from "../kafka/metadata/placement.ts";
import { versionAtLeast } from "../kafka/version.ts";
import {
  checkExecuteAssignment,
  compareTopicPartitions,
  formatReassignmentJson,
  type JsonFileError,
  type PartitionAssignment,
  parseReassignmentJson,
  parseTopicsJson,
  tpName,
} from "./reassignment-json.ts";
import {
  connectionError,
  optionValue,
  type Tool,
  type ToolContext,
  type ToolOutput,
  unknownOption,
} from "./tool.ts";
import { topicPartitionHash } from "./topic-partition-hash.ts";

const ACTIONS = ["--generate", "--execute", "--verify", "--cancel", "--list"] as const;
type Action = (typeof ACTIONS)[number];

const VALUED = new Set([
  "--bootstrap-server",
  "--bootstrap-controller",
  "--command-config",
  "--reassignment-json-file",
  "--topics-to-move-json-file",
  "--broker-list",
  "--throttle",
  "--replica-alter-log-dirs-throttle",
  "--timeout",
  "--zookeeper",
]);
const KNOWN = new Set([
  ...VALUED,
  ...ACTIONS,
  "--disable-rack-aware",
  "--additional",
  "--preserve-throttles",
]);

const REQUIRED: Readonly<Record<Action, readonly string[]>> = {
  "--generate": ["--topics-to-move-json-file", "--broker-list"],
  "--execute": ["--reassignment-json-file"],
  "--verify": ["--reassignment-json-file"],
  "--cancel": ["--reassignment-json-file"],
  "--list": [],
};
const PERMITTED: Readonly<Record<Action, readonly string[]>> = {
  "--generate": ["--command-config", "--disable-rack-aware"],
  "--execute": [
    "--additional",
    "--command-config",
    "--throttle",
    "--replica-alter-log-dirs-throttle",
    "--timeout",
  ],
  "--verify": ["--command-config", "--preserve-throttles"],
  "--cancel": ["--command-config", "--preserve-throttles", "--timeout"],
  "--list": ["--command-config"],
};

const CANNOT_EXECUTE =
  "Cannot execute because there is an existing partition assignment.  Use --additional to override this and create a new partition assignment in addition to the existing one. The --additional flag can also be used to change the throttle by resubmitting the current reassignment.";

const ZK_DEPRECATED =
  "Warning: --zookeeper is deprecated, and will be removed in a future version of Kafka.";
const ZK_VERIFY =
  "Warning: because you are using the deprecated --zookeeper option, the results may be incomplete.  Use --bootstrap-server instead for more accurate results.";

function usage(message: string): ToolOutput {
  return { stdout: "", stderr: `${message}\n`, exitCode: 1 };
}

/** The option names given, in command-line order (jopt-simple's `specs()`), without values. */
function givenOptions(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith("--")) continue;
    const name = a.includes("=") ? a.slice(0, a.indexOf("=")) : a;
    if (!out.includes(name)) out.push(name);
    if (VALUED.has(name) && !a.includes("=")) i++;
  }
  return out;
}

export interface ReassignParsed {
  readonly action: Action;
  readonly has: (name: string) => boolean;
  readonly value: (name: string) => string | undefined;
  readonly zookeeper: boolean;
}

/** `validateAndParseArgs` for a version: the action and options, or the usage error to print. */
export function parseReassignArgs(
  args: readonly string[],
  version: ToolContext["version"],
): ReassignParsed | ToolOutput {
  if (!versionAtLeast(version, "2.5")) {
    return usage(
      `kafkasim: kafka-reassign-partitions.sh of ${version} (the ZooKeeper-only tool before 2.5) is not modelled; use a cluster version of 2.5 or later`,
    );
  }
  const unknown = unknownOption(args, KNOWN, VALUED);
  if (unknown !== undefined) return usage(unknown);
  const given = givenOptions(args);
  const javaTool = versionAtLeast(version, "3.7");
  if (!javaTool && given.includes("--bootstrap-controller")) {
    return usage(
      'Exception in thread "main" joptsimple.UnrecognizedOptionException: bootstrap-controller is not a recognized option',
    );
  }
  const actions = ACTIONS.filter((a) => given.includes(a));
  if (actions.length !== 1) {
    return usage(`Command must include exactly one action: ${ACTIONS.join(", ")}`);
  }
  const action = actions[0]!;
  const zookeeper = given.includes("--zookeeper");
  let bootstrapOpt = "--bootstrap-server";
  if (javaTool) {
    const bs = given.includes("--bootstrap-server");
    const bc = given.includes("--bootstrap-controller");
    if (zookeeper) {
      return usage(
        'Exception in thread "main" joptsimple.UnrecognizedOptionException: zookeeper is not a recognized option',
      );
    }
    if (bs && bc)
      return usage("Please don't specify both --bootstrap-server and --bootstrap-controller");
    if (!bs && !bc)
      return usage("Please specify either --bootstrap-server or --bootstrap-controller");
    if (bc) bootstrapOpt = "--bootstrap-controller";
  } else {
    const problem = connectionError("kafka-reassign-partitions", args, version, "2.5");
    if (problem !== undefined) return usage(problem);
    if (zookeeper) bootstrapOpt = "--zookeeper";
  }
  for (const required of REQUIRED[action]) {
    if (!given.includes(required)) {
      return usage(`Missing required argument "[${required.slice(2)}]"`);
    }
  }
  const allowed = new Set([action, bootstrapOpt, ...REQUIRED[action], ...PERMITTED[action]]);
  if (zookeeper) allowed.add("--bootstrap-server");
  for (const option of given) {
    if (!allowed.has(option)) {
      return usage(
        `Option "[${option.slice(2)}]" can't be used with action "[${action.slice(2)}]"`,
      );
    }
  }
  if (zookeeper && (action === "--cancel" || action === "--list")) {
    return usage(`Option "[zookeeper]" can't be used with action "[${action.slice(2)}]"`);
  }
  return {
    action,
    has: (name) => given.includes(name),
    value: (name) => optionValue(args, name),
    zookeeper,
  };
}

/** Kafka's top-level error report: "Error: " and the message, then the exception's first line. */
function errorExit(prefix: string, message: string, exception: string): ToolOutput {
  return {
    stdout: `${prefix}Error: ${message}\n${exception}: ${message}\n`,
    stderr: "",
    exitCode: 1,
  };
}

function fileError(prefix: string, e: JsonFileError): ToolOutput {
  return errorExit(prefix, e.message, e.exception);
}

/** A TerseException: its message alone on stdout, exit 1. */
function terse(prefix: string, message: string): ToolOutput {
  return { stdout: `${prefix}${message}\n`, stderr: "", exitCode: 1 };
}

/** describeCluster's nodes: the live (unfenced) brokers, in id order. */
function liveBrokers(image: MetadataImage): number[] {
  return image.sortedBrokerIds().filter((id) => {
    const b = image.brokers.get(id);
    return b?.registered === true && !b.fenced;
  });
}

/** listPartitionReassignments: partitions with adding or removing replicas. */
function ongoingReassignments(image: MetadataImage): Array<{
  topic: string;
  partition: number;
  replicas: readonly number[];
  adding: readonly number[];
  removing: readonly number[];
}> {
  const out: ReturnType<typeof ongoingReassignments> = [];
  for (const topic of image.sortedTopicNames()) {
    image.topicByName(topic)?.partitions.forEach((p, partition) => {
      if (p.addingReplicas.length > 0 || p.removingReplicas.length > 0) {
        out.push({
          topic,
          partition,
          replicas: p.replicas,
          adding: p.addingReplicas,
          removing: p.removingReplicas,
        });
      }
    });
  }
  return out;
}

const UNKNOWN_TOPIC = "org.apache.kafka.common.errors.UnknownTopicOrPartitionException";

/** describeTopics for the tool: each topic's partitions' replicas, or the failure to report. */
function currentAssignment(
  image: MetadataImage,
  topics: readonly string[],
): PartitionAssignment[] | JsonFileError {
  const out: PartitionAssignment[] = [];
  for (const topic of [...new Set(topics)]) {
    const t = image.topicByName(topic);
    if (t === undefined) {
      // ExecutionException(UnknownTopicOrPartitionException): its message is the cause's toString.
      return {
        message: `${UNKNOWN_TOPIC}: Topic ${topic} not found.`,
        exception: "java.util.concurrent.ExecutionException",
      };
    }
    t.partitions.forEach((p, partition) => {
      out.push({ topic, partition, replicas: p.replicas });
    });
  }
  return out;
}

// ---------------------------------------------------------------- --generate

/** `generateAssignment`: the text to print, or the failure. */
export function generateReassignment(
  image: MetadataImage,
  topicsJson: string,
  brokerList: string,
  rackAware: boolean,
  rng: { intBetween(lo: number, hi: number): number },
  version: ToolContext["version"],
): ToolOutput {
  const javaTool = versionAtLeast(version, "3.7");
  const brokers: number[] = [];
  for (const word of brokerList.split(",")) {
    if (!/^[+-]?\d+$/.test(word)) {
      return errorExit("", `For input string: "${word}"`, "java.lang.NumberFormatException");
    }
    brokers.push(Number(word));
  }
  const show = (items: readonly (string | number)[]) =>
    javaTool ? `[${items.join(", ")}]` : items.join(",");
  const dupBrokers = brokers.filter((b, i) => brokers.indexOf(b) !== i);
  if (dupBrokers.length > 0) {
    return errorExit(
      "",
      `Broker list contains duplicate entries: ${show([...new Set(dupBrokers)].sort((a, b) => a - b))}`,
      "org.apache.kafka.server.common.AdminCommandFailedException",
    );
  }
  const topics = parseTopicsJson(topicsJson);
  if (!Array.isArray(topics)) return fileError("", topics);
  const dupTopics = topics.filter((t, i) => topics.indexOf(t) !== i);
  if (dupTopics.length > 0) {
    return errorExit(
      "",
      `List of topics to reassign contains duplicate entries: ${show([...new Set(dupTopics)])}`,
      "org.apache.kafka.server.common.AdminCommandFailedException",
    );
  }
  const current = currentAssignment(image, topics);
  if (!Array.isArray(current)) return fileError("", current);
  const wanted = new Set(brokers);
  const metadata: BrokerPlacementInfo[] = liveBrokers(image)
    .filter((id) => wanted.has(id))
    .map((id) => {
      const rack = image.brokers.get(id)?.rack;
      return rackAware && rack !== undefined ? { id, rack } : { id };
    });
  const rackless = metadata.filter((b) => b.rack === undefined).length;
  if (rackAware && rackless !== 0 && rackless !== metadata.length) {
    return errorExit(
      "",
      "Not all brokers have rack information. Add --disable-rack-aware in command line to make replica assignment without rack information.",
      "org.apache.kafka.server.common.AdminOperationException",
    );
  }
  // The tool walks a HashMap<TopicPartition, ...> grouped into a HashMap<String, List<...>>.
  const inMapOrder = javaHashOrder(
    current,
    topicPartitionHash,
    javaHashMapCapacity(current.length),
  );
  const byTopic = new Map<string, PartitionAssignment[]>();
  for (const a of inMapOrder) byTopic.set(a.topic, [...(byTopic.get(a.topic) ?? []), a]);
  const topicOrder = javaHashOrder(
    [...byTopic.keys()],
    javaStringHash,
    javaHashMapCapacity(byTopic.size),
  );
  const proposed: PartitionAssignment[] = [];
  for (const topic of topicOrder) {
    const list = byTopic.get(topic)!;
    const placed = assignReplicasToBrokers(metadata, list.length, list[0]!.replicas.length, {
      rng,
    });
    if (!placed.ok) {
      return errorExit(
        "",
        placed.message,
        "org.apache.kafka.common.errors.InvalidReplicationFactorException",
      );
    }
    placed.assignments.forEach((replicas, partition) => {
      proposed.push({ topic, partition, replicas });
    });
  }
  return {
    stdout:
      `Current partition replica assignment\n${formatReassignmentJson(current)}\n\n` +
      `Proposed partition reassignment configuration\n${formatReassignmentJson(proposed)}\n`,
    stderr: "",
    exitCode: 0,
  };
}

// ---------------------------------------------------------------- --verify

interface PartitionState {
  readonly current: readonly number[];
  readonly target: readonly number[];
  readonly done: boolean;
}

/** `findPartitionReassignmentStates` and its report; `partsOngoing`: any reassignment at all. */
export function verifyReassignment(
  image: MetadataImage,
  targets: readonly PartitionAssignment[],
  preserveThrottles: boolean,
  version: ToolContext["version"],
  zookeeper: boolean,
): ToolOutput {
  const ongoing = ongoingReassignments(image);
  const states = new Map<string, PartitionAssignment & { state: PartitionState }>();
  for (const t of targets) {
    const running = ongoing.find((o) => o.topic === t.topic && o.partition === t.partition);
    let state: PartitionState;
    if (running !== undefined)
      state = { current: running.replicas, target: t.replicas, done: false };
    else {
      const topic = image.topicByName(t.topic);
      const count = topic?.partitions.length ?? 0;
      if (topic !== undefined && t.partition === count) {
        // Kafka checks `size() < partition`, so the partition just past the end slips through.
        return errorExit(
          zookeeper ? `${ZK_DEPRECATED}\n${ZK_VERIFY}\n` : "",
          `Index ${t.partition} out of bounds for length ${count}`,
          "java.lang.IndexOutOfBoundsException",
        );
      }
      const replicas = topic?.partitions[t.partition]?.replicas ?? [];
      state = { current: replicas, target: t.replicas, done: true };
    }
    states.set(tpName(t), { ...t, state });
  }
  const completed = versionAtLeast(version, "3.7") ? "is completed." : "is complete.";
  const lines = ["Status of partition reassignment:"];
  for (const s of [...states.values()].sort(compareTopicPartitions)) {
    const { current, target, done } = s.state;
    if (!done) lines.push(`Reassignment of partition ${tpName(s)} is still in progress.`);
    else if (current.length === target.length && current.every((r, i) => r === target[i])) {
      lines.push(`Reassignment of partition ${tpName(s)} ${completed}`);
    } else {
      lines.push(
        `There is no active reassignment of partition ${tpName(s)}, but replica set is ${current.join(",")} rather than ${target.join(",")}.`,
      );
    }
  }
  let out = zookeeper ? `${ZK_DEPRECATED}\n${ZK_VERIFY}\n` : "";
  out += `${lines.join("\n")}\n`;
  // The (empty) log-dir move report is printed with println too: a blank line (not on ZooKeeper).
  if (!zookeeper) out += "\n";
  if (ongoing.length === 0 && !preserveThrottles)
    out += clearThrottlesText(image, targets, zookeeper);
  return { stdout: out, stderr: "", exitCode: 0 };
}

/** `clearAllThrottles`' lines: every broker (live ones and the targets'), every target topic. */
function clearThrottlesText(
  image: MetadataImage,
  targets: readonly PartitionAssignment[],
  zookeeper: boolean,
): string {
  const ids = new Set<number>(zookeeper ? image.sortedBrokerIds() : liveBrokers(image));
  for (const t of targets) for (const r of t.replicas) ids.add(r);
  const brokers = javaHashOrder([...ids], javaIntegerHash, javaHashMapCapacity(ids.size));
  const topicSet = [...new Set(targets.map((t) => t.topic))];
  const topics = javaHashOrder(topicSet, javaStringHash, javaHashMapCapacity(topicSet.length));
  return (
    `Clearing broker-level throttles on broker${brokers.length === 1 ? "" : "s"} ${brokers.join(",")}\n` +
    `Clearing topic-level throttles on topic${topics.length === 1 ? "" : "s"} ${topics.join(",")}\n`
  );
}

// ---------------------------------------------------------------- --list

export function listReassignments(image: MetadataImage): ToolOutput {
  const lines = ongoingReassignments(image)
    .sort(compareTopicPartitions)
    .map(
      (r) =>
        `${tpName(r)}: replicas: ${r.replicas.join(",")}.` +
        (r.adding.length === 0 ? "" : ` adding: ${r.adding.join(",")}.`) +
        (r.removing.length === 0 ? "" : ` removing: ${r.removing.join(",")}.`),
    );
  const text =
    lines.length === 0
      ? "No partition reassignments found."
      : `Current partition reassignments:\n${lines.join("\n")}`;
  return { stdout: `${text}\n`, stderr: "", exitCode: 0 };
}

// ---------------------------------------------------------------- the tool

/** The message an admin error gives a partition's future. */
function adminErrorMessage(error: string, message: string): string {
  if (message !== "") return message;
  if (error === "REQUEST_TIMED_OUT")
    return "Timed out waiting for a node assignment. Call: alterPartitionReassignments";
  return error;
}

function execute(
  ctx: ToolContext,
  image: MetadataImage,
  parsed: ReassignParsed,
  input: readonly string[],
  prefix: string,
  done: (output: ToolOutput) => void,
): void {
  if (parsed.has("--throttle") || parsed.has("--replica-alter-log-dirs-throttle")) {
    done(
      usage(
        "kafkasim: replication throttles (--throttle, --replica-alter-log-dirs-throttle) are not modelled; run --execute without them",
      ),
    );
    return;
  }
  const targets = parseReassignmentJson(input.join("\n"));
  if (!Array.isArray(targets)) return done(fileError(prefix, targets));
  const invalid = checkExecuteAssignment(targets);
  if (invalid !== undefined) return done(fileError(prefix, invalid));
  if (!parsed.has("--additional") && ongoingReassignments(image).length > 0) {
    return done(terse(prefix, CANNOT_EXECUTE));
  }
  const live = new Set(liveBrokers(image));
  const named = new Set<number>();
  for (const t of targets) for (const r of t.replicas) named.add(r);
  const ordered = javaHashOrder([...named], javaIntegerHash, javaHashMapCapacity(named.size));
  const unknown = ordered.find((id) => !live.has(id));
  if (unknown !== undefined) {
    return done(
      errorExit(
        prefix,
        `Unknown broker id ${unknown}`,
        "org.apache.kafka.server.common.AdminCommandFailedException",
      ),
    );
  }
  const current = currentAssignment(
    image,
    targets.map((t) => t.topic),
  );
  if (!Array.isArray(current)) return done(fileError(prefix, current));
  const wanted = new Set(targets.map(tpName));
  const currentParts = current.filter((c) => wanted.has(tpName(c)));
  if (currentParts.length !== wanted.size) {
    const found = new Set(currentParts.map(tpName));
    const missing = javaHashOrder(
      targets.filter((t) => !found.has(tpName(t))),
      topicPartitionHash,
      javaHashMapCapacity(targets.length),
    );
    return done(
      errorExit(
        prefix,
        `${UNKNOWN_TOPIC}: Unable to find partition: ${missing.map(tpName).join(", ")}`,
        "java.util.concurrent.ExecutionException",
      ),
    );
  }
  let out =
    `${prefix}Current partition replica assignment\n\n${formatReassignmentJson(currentParts)}\n\n` +
    "Save this to use as the --reassignment-json-file option during rollback\n";
  const sorted = [...targets].sort(compareTopicPartitions);
  ctx.admin.call(
    {
      op: "AlterPartitionReassignments",
      reassignments: sorted.map((t) => ({
        topic: t.topic,
        partition: t.partition,
        replicas: t.replicas,
      })),
    },
    (result) => {
      const errors: string[] = [];
      sorted.forEach((t, i) => {
        const r = result.results[i];
        const error = result.error !== "NONE" ? result.error : (r?.error ?? "NONE");
        if (error !== "NONE") {
          errors.push(
            `${tpName(t)}: ${adminErrorMessage(error, result.error !== "NONE" ? "" : (r?.message ?? ""))}`,
          );
        }
      });
      if (errors.length > 0) {
        done({
          stdout: `${out}Error reassigning partition(s):\n${errors.join("\n")}\n`,
          stderr: "",
          exitCode: 1,
        });
        return;
      }
      out += `Successfully started partition reassignment${sorted.length === 1 ? "" : "s"} for ${sorted.map(tpName).join(",")}\n`;
      done({ stdout: out, stderr: "", exitCode: 0 });
    },
  );
}

function cancel(
  ctx: ToolContext,
  image: MetadataImage,
  parsed: ReassignParsed,
  input: readonly string[],
  done: (output: ToolOutput) => void,
): void {
  const targets = parseReassignmentJson(input.join("\n"));
  if (!Array.isArray(targets)) return done(fileError("", targets));
  const wanted = new Set(targets.map(tpName));
  // Kafka's condition, kept as written: a reassignment that only adds replicas is not cancelled.
  const cancelling = ongoingReassignments(image)
    .filter((r) => wanted.has(tpName(r)))
    .filter((r) => r.adding.length === 0 || r.removing.length > 0)
    .sort(compareTopicPartitions);
  const tail = () =>
    "None of the specified partition moves are active." +
    (parsed.has("--preserve-throttles") ? "" : clearThrottlesText(image, targets, false));
  if (cancelling.length === 0) {
    done({
      stdout: `None of the specified partition reassignments are active.\n${tail()}`,
      stderr: "",
      exitCode: 0,
    });
    return;
  }
  ctx.admin.call(
    {
      op: "AlterPartitionReassignments",
      reassignments: cancelling.map((r) => ({
        topic: r.topic,
        partition: r.partition,
        replicas: null,
      })),
    },
    (result) => {
      const errors: string[] = [];
      cancelling.forEach((t, i) => {
        const r = result.results[i];
        const error = result.error !== "NONE" ? result.error : (r?.error ?? "NONE");
        if (error !== "NONE") {
          errors.push(
            `${tpName(t)}: ${adminErrorMessage(error, result.error !== "NONE" ? "" : (r?.message ?? ""))}`,
          );
        }
      });
      if (errors.length > 0) {
        done(
          terse(
            "",
            `Error cancelling partition reassignment${errors.length === 1 ? "" : "s"} for:\n${errors.join("\n")}`,
          ),
        );
        return;
      }
      done({
        stdout:
          `Successfully cancelled partition reassignment${cancelling.length === 1 ? "" : "s"} for: ${cancelling.map(tpName).join(",")}\n` +
          tail(),
        stderr: "",
        exitCode: 0,
      });
    },
  );
}

export const kafkaReassignPartitionsTool: Tool = (ctx, args, input, done) => {
  const parsed = parseReassignArgs(args, ctx.version);
  if ("exitCode" in parsed) {
    done(parsed);
    return;
  }
  const prefix = parsed.zookeeper ? `${ZK_DEPRECATED}\n` : "";
  const image = ctx.image();
  if (image === undefined) {
    done(
      errorExit(
        prefix,
        "Timed out waiting for a node assignment. Call: describeTopics",
        "org.apache.kafka.common.errors.TimeoutException",
      ),
    );
    return;
  }
  switch (parsed.action) {
    case "--generate": {
      const out = generateReassignment(
        image,
        input.join("\n"),
        parsed.value("--broker-list") ?? "",
        !parsed.has("--disable-rack-aware"),
        ctx.engine.rng.stream("tools/kafka-reassign-partitions/placement"),
        ctx.version,
      );
      done({ ...out, stdout: prefix + out.stdout });
      return;
    }
    case "--verify": {
      const targets = parseReassignmentJson(input.join("\n"));
      if (!Array.isArray(targets)) return done(fileError(prefix, targets));
      done(
        verifyReassignment(
          image,
          targets,
          parsed.has("--preserve-throttles"),
          ctx.version,
          parsed.zookeeper,
        ),
      );
      return;
    }
    case "--execute":
      return execute(ctx, image, parsed, input, prefix, done);
    case "--cancel":
      return cancel(ctx, image, parsed, input, done);
    case "--list":
      done(listReassignments(image));
      return;
  }
};
