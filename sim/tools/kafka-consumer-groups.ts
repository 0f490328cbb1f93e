/**
 * `kafka-consumer-groups.sh`, character for character, from plain views of the groups (what the
 * tool's admin calls return: DescribeGroups, OffsetFetch, ListOffsets) —
 * tools/src/main/java/org/apache/kafka/tools/consumer/group/ConsumerGroupCommand.java and
 * OffsetsUtils.java (printOffsets, printMembers, printStates, printOffsetsToReset).
 *
 * Views: `--describe` (offsets; the default), `--describe --members [--verbose]`,
 * `--describe --state`, `--list`, and `--reset-offsets` (`--to-earliest`, `--to-latest`,
 * `--to-offset N`, `--shift-by N`, `--to-current`; `--topic T` or `--all-topics`; `--dry-run`, the
 * default, or `--execute`, which hands the plan back to the caller to commit).
 *
 * Kafka's rules kept here: CURRENT-OFFSET is the committed offset, LOG-END-OFFSET the HW (ListOffsets
 * latest, read_uncommitted), LAG their difference or `-`; members with partitions sorted by how many
 * they own (largest first, a stable sort over the coordinator's member order), each member's
 * partitions by topic and partition, then committed partitions nobody owns with `-` for the member
 * columns; every row starts with a newline and the table ends with one; an Empty group prints
 * "Consumer group 'G' has no active members." on stderr and still its offsets, a rebalancing group
 * a warning, a Dead or unknown group "Error: Consumer group 'G' does not exist." on stdout (the tool
 * prints its errors with println). Offsets can be reset only while the group is Empty or Dead.
 *
 * Orders that come from Java hash maps are reproduced: members in the coordinator's HashMap order
 * of member ids (the caller passes that order), the reset plan in HashMap order of TopicPartition.
 *
 * `--delete` (`--group G`... or `--all-groups`) hands the group ids back too: the tool wrapper sends
 * one DeleteGroups per group to its coordinator through the admin client and prints the answers
 * with `formatDeleteGroups` ("Deletion of requested consumer groups ('G') was successful.", or
 * "Error: Deletion of some consumer groups failed:" with one line per group). Groups can be deleted
 * from 1.1 (KIP-229); `--zookeeper` (the old ZooKeeper-based consumers' groups) went in 2.0.
 *
 * Simplifies: --group takes exact ids (no regular expressions), no --from-file, --to-datetime,
 * --by-duration, --export or --delete-offsets; --list ignores --state and --type filters'
 * ordering subtleties (groups in name order); `--zookeeper` before 2.0 is refused (this
 * simulation has no ZooKeeper-based consumers whose groups it would show).
 */

import { coordinatorPartition, OFFSETS_TOPIC } from "../kafka/group/placement.ts";
import { javaHashMapCapacity, javaHashOrder, javaStringHash } from "../kafka/metadata/image.ts";
import { type KafkaVersion, versionAtLeast } from "../kafka/version.ts";
import { knownExceptionText } from "./java-exceptions.ts";
import type { Tool, ToolOutput } from "./tool.ts";
import { topicPartitionHash } from "./topic-partition-hash.ts";

/** Classic groups' states, and KIP-848 consumer groups' (Assigning, Reconciling). */
export type GroupStateName =
  | "Empty"
  | "PreparingRebalance"
  | "CompletingRebalance"
  | "Assigning"
  | "Reconciling"
  | "Stable"
  | "Dead";

export interface GroupMemberView {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  /** `/` and the client's address, as Kafka prints it. */
  readonly host: string;
  readonly assignment: ReadonlyArray<{ readonly topic: string; readonly partition: number }>;
}

export interface CommittedOffsetView {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly leaderEpoch: number;
}

export interface GroupView {
  readonly groupId: string;
  readonly state: GroupStateName;
  /** The assignor (classic protocol name), "" before the first rebalance. */
  readonly protocol: string;
  readonly coordinator: { readonly id: number; readonly host: string; readonly port: number };
  /** In the coordinator's member-map order (Java HashMap order of member ids). */
  readonly members: readonly GroupMemberView[];
  readonly committed: readonly CommittedOffsetView[];
}

export interface ConsumerGroupsWorld {
  /** Every group the coordinators know, any order. */
  readonly groups: readonly GroupView[];
  /** ListOffsets latest (the HW); null when the partition has no leader. */
  logEndOffset(topic: string, partition: number): number | null;
  /** ListOffsets earliest (the log start offset); null when the partition has no leader. */
  logStartOffset(topic: string, partition: number): number | null;
  /** The partition count of a topic, or null when it does not exist. */
  partitionCount(topic: string): number | null;
}

export interface ResetPlanEntry {
  readonly group: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

export interface ConsumerGroupsOutput extends ToolOutput {
  /** --reset-offsets --execute: the offsets the caller must commit (none for a dry run). */
  readonly commit?: readonly ResetPlanEntry[];
  /** --delete: the groups the caller must delete (the output comes from formatDeleteGroups). */
  readonly deleteGroups?: readonly string[];
}

const MISSING = "-";

/** Java's `%-Ns`: left-justified in N columns, never cut. */
function left(text: string, width: number): string {
  return text.padEnd(width);
}

class ToolError extends Error {}

function usage(message: string): ConsumerGroupsOutput {
  return { stdout: "", stderr: `${message}\n`, exitCode: 1 };
}

interface ParsedArgs {
  readonly flags: ReadonlySet<string>;
  readonly values: ReadonlyMap<string, readonly string[]>;
}

const FLAGS = new Set([
  "--list",
  "--describe",
  "--delete",
  "--reset-offsets",
  "--members",
  "--state",
  "--offsets",
  "--verbose",
  "--all-groups",
  "--all-topics",
  "--dry-run",
  "--execute",
  "--to-earliest",
  "--to-latest",
  "--to-current",
]);
const VALUED = new Set([
  "--bootstrap-server",
  "--group",
  "--topic",
  "--to-offset",
  "--shift-by",
  "--timeout",
  "--command-config",
]);

function parse(args: readonly string[]): ParsedArgs {
  const flags = new Set<string>();
  const values = new Map<string, string[]>();
  for (let i = 0; i < args.length; i++) {
    const word = args[i]!;
    if (FLAGS.has(word)) flags.add(word);
    else if (VALUED.has(word)) {
      const value = args[i + 1];
      if (value === undefined || value.startsWith("--")) {
        throw new ToolError(`Option ${word} requires an argument`);
      }
      values.set(word, [...(values.get(word) ?? []), value]);
      i++;
    } else {
      throw new ToolError(`${word} is not a recognized option`);
    }
  }
  return { flags, values };
}

/** Runs `kafka-consumer-groups.sh` with `args` against the world's groups. */
export function kafkaConsumerGroups(
  world: ConsumerGroupsWorld,
  args: readonly string[],
): ConsumerGroupsOutput {
  let parsed: ParsedArgs;
  try {
    parsed = parse(args);
  } catch (error) {
    return usage((error as Error).message);
  }
  const actions = ["--list", "--describe", "--delete", "--reset-offsets"].filter((a) =>
    parsed.flags.has(a),
  );
  if (actions.length !== 1) {
    return usage(
      "Command must include exactly one action: --list, --describe, --delete, --reset-offsets, --delete-offsets",
    );
  }
  const byId = new Map(world.groups.map((g) => [g.groupId, g]));
  if (parsed.flags.has("--list")) {
    const names = [...byId.keys()].sort();
    return { stdout: names.map((n) => `${n}\n`).join(""), stderr: "", exitCode: 0 };
  }
  const groupIds = parsed.flags.has("--all-groups")
    ? [...byId.keys()].sort()
    : [...(parsed.values.get("--group") ?? [])];
  if (groupIds.length === 0) {
    return usage(
      "Option [describe] takes one of these options: [all-groups], [group]".replace(
        "describe",
        actions[0]!.slice(2),
      ),
    );
  }
  // The tool gathers groups into a TreeMap: output in group-id order.
  const sortedIds = [...new Set(groupIds)].sort();
  if (parsed.flags.has("--delete")) {
    return { stdout: "", stderr: "", exitCode: 0, deleteGroups: [...new Set(groupIds)] };
  }
  if (parsed.flags.has("--reset-offsets")) return resetOffsets(world, byId, sortedIds, parsed);
  const out = { stdout: "", stderr: "" };
  const views = ["--members", "--state", "--offsets"].filter((f) => parsed.flags.has(f));
  if (views.length > 1) {
    return usage(
      "Option [describe] takes at most one of these options: [members], [offsets], [state]",
    );
  }
  const verbose = parsed.flags.has("--verbose");
  for (const id of sortedIds) {
    const group = byId.get(id) ?? deadGroup(id);
    if (parsed.flags.has("--members")) printMembers(group, verbose, out);
    else if (parsed.flags.has("--state")) printState(group, out);
    else printOffsets(world, group, out);
  }
  return { stdout: out.stdout, stderr: out.stderr, exitCode: 0 };
}

function deadGroup(groupId: string): GroupView {
  return {
    groupId,
    state: "Dead",
    protocol: "",
    coordinator: { id: -1, host: "", port: -1 },
    members: [],
    committed: [],
  };
}

/** `shouldPrintMemberState`: the state messages, and whether rows follow. */
function printMemberState(
  group: GroupView,
  rows: number,
  out: { stdout: string; stderr: string },
): boolean {
  switch (group.state) {
    case "Dead":
      out.stdout += `\nError: Consumer group '${group.groupId}' does not exist.\n`;
      return false;
    case "Empty":
      out.stderr += `\nConsumer group '${group.groupId}' has no active members.\n`;
      break;
    case "PreparingRebalance":
    case "CompletingRebalance":
    case "Assigning":
    case "Reconciling":
      out.stderr += `\nWarning: Consumer group '${group.groupId}' is rebalancing.\n`;
      break;
    case "Stable":
      break;
  }
  return rows > 0;
}

interface OffsetRow {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number | null;
  readonly logEnd: number | null;
  readonly consumerId: string;
  readonly host: string;
  readonly clientId: string;
}

function byTopicPartition(
  a: { topic: string; partition: number },
  b: { topic: string; partition: number },
) {
  return a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition;
}

function offsetRows(world: ConsumerGroupsWorld, group: GroupView): OffsetRow[] {
  const committed = new Map(group.committed.map((c) => [`${c.topic}\u0000${c.partition}`, c]));
  const rowFor = (
    tp: { topic: string; partition: number },
    member: { consumerId: string; host: string; clientId: string },
  ): OffsetRow => ({
    topic: tp.topic,
    partition: tp.partition,
    offset: committed.get(`${tp.topic}\u0000${tp.partition}`)?.offset ?? null,
    logEnd: world.logEndOffset(tp.topic, tp.partition),
    ...member,
  });
  const rows: OffsetRow[] = [];
  const assigned = new Set<string>();
  // Stable sort by partition count, largest first, over the coordinator's member order.
  const members = group.members
    .filter((m) => m.assignment.length > 0)
    .map((m, index) => ({ m, index }))
    .sort((a, b) => b.m.assignment.length - a.m.assignment.length || a.index - b.index)
    .map(({ m }) => m);
  for (const m of members) {
    const who = { consumerId: m.memberId, host: m.host, clientId: m.clientId };
    for (const tp of [...m.assignment].sort(byTopicPartition)) {
      assigned.add(`${tp.topic}\u0000${tp.partition}`);
      rows.push(rowFor(tp, who));
    }
  }
  const unowned = group.committed
    .filter((c) => !assigned.has(`${c.topic}\u0000${c.partition}`))
    .sort(byTopicPartition);
  for (const c of unowned)
    rows.push(rowFor(c, { consumerId: MISSING, host: MISSING, clientId: MISSING }));
  return rows;
}

function printOffsets(
  world: ConsumerGroupsWorld,
  group: GroupView,
  out: { stdout: string; stderr: string },
): void {
  const rows = offsetRows(world, group);
  if (!printMemberState(group, rows.length, out)) return;
  let g = 15;
  let t = 15;
  let c = 15;
  let h = 15;
  for (const r of rows) {
    g = Math.max(g, group.groupId.length);
    t = Math.max(t, r.topic.length);
    c = Math.max(c, r.consumerId.length);
    h = Math.max(h, r.host.length);
  }
  const line = (cols: readonly string[]) =>
    `\n${left(cols[0]!, g)} ${left(cols[1]!, t)} ${left(cols[2]!, 10)} ${left(cols[3]!, 15)} ${left(cols[4]!, 15)} ${left(cols[5]!, 15)} ${left(cols[6]!, c)} ${left(cols[7]!, h)} ${cols[8]!}`;
  out.stdout += line([
    "GROUP",
    "TOPIC",
    "PARTITION",
    "CURRENT-OFFSET",
    "LOG-END-OFFSET",
    "LAG",
    "CONSUMER-ID",
    "HOST",
    "CLIENT-ID",
  ]);
  for (const r of rows) {
    const lag =
      r.offset !== null && r.offset !== -1 && r.logEnd !== null ? r.logEnd - r.offset : null;
    out.stdout += line([
      group.groupId,
      r.topic,
      String(r.partition),
      r.offset === null ? MISSING : String(r.offset),
      r.logEnd === null ? MISSING : String(r.logEnd),
      lag === null ? MISSING : String(lag),
      r.consumerId,
      r.host,
      r.clientId,
    ]);
  }
  out.stdout += "\n";
}

/** `topic:0,1;other:2`, topics sorted (ConsumerGroupCommand.getAssignmentString). */
function assignmentString(assignment: GroupMemberView["assignment"]): string {
  const byTopic = new Map<string, number[]>();
  for (const tp of assignment)
    byTopic.set(tp.topic, [...(byTopic.get(tp.topic) ?? []), tp.partition]);
  return [...byTopic.entries()]
    .map(([topic, ps]) => `${topic}:${[...ps].sort((a, b) => a - b).join(",")}`)
    .sort()
    .join(";");
}

function printMembers(
  group: GroupView,
  verbose: boolean,
  out: { stdout: string; stderr: string },
): void {
  const show = printMemberState(group, group.members.length, out);
  let g = 15;
  let c = 15;
  let i = 17;
  let h = 15;
  let cl = 15;
  let cur = 20;
  let withInstance = false;
  if (show) {
    for (const m of group.members) {
      g = Math.max(g, group.groupId.length);
      c = Math.max(c, m.memberId.length);
      i = Math.max(i, (m.groupInstanceId ?? "").length);
      h = Math.max(h, m.host.length);
      cl = Math.max(cl, m.clientId.length);
      withInstance ||= (m.groupInstanceId ?? "") !== "";
      const a = m.assignment.length === 0 ? MISSING : assignmentString(m.assignment);
      cur = Math.max(cur, a.length);
    }
  }
  const head = (cols: readonly string[]) =>
    withInstance
      ? `${left(cols[0]!, g)} ${left(cols[1]!, c)} ${left(cols[2]!, i)} ${left(cols[3]!, h)} ${left(cols[4]!, cl)} ${left(cols[5]!, 15)} `
      : `${left(cols[0]!, g)} ${left(cols[1]!, c)} ${left(cols[3]!, h)} ${left(cols[4]!, cl)} ${left(cols[5]!, 15)} `;
  const tail = (cols: readonly string[]) =>
    verbose
      ? `${left(cols[0]!, 15)} ${left(cols[1]!, cur)} ${left(cols[2]!, 15)} ${left(cols[3]!, 20)}`
      : "";
  // The header prints even for a group that shows no rows (the tool does so).
  out.stdout += `\n${head(["GROUP", "CONSUMER-ID", "GROUP-INSTANCE-ID", "HOST", "CLIENT-ID", "#PARTITIONS"])}`;
  out.stdout += `${tail(["CURRENT-EPOCH", "CURRENT-ASSIGNMENT", "TARGET-EPOCH", "TARGET-ASSIGNMENT"])}\n`;
  if (!show) return;
  for (const m of group.members) {
    out.stdout += head([
      group.groupId,
      m.memberId,
      m.groupInstanceId ?? "",
      m.host,
      m.clientId,
      String(m.assignment.length),
    ]);
    // Classic members have no epochs and no target assignment: `-`.
    const a = m.assignment.length === 0 ? MISSING : assignmentString(m.assignment);
    out.stdout += `${tail([MISSING, a, MISSING, MISSING])}\n`;
  }
}

function printState(group: GroupView, out: { stdout: string; stderr: string }): void {
  if (!printMemberState(group, 1, out)) return;
  const coordinator = `${group.coordinator.host}:${group.coordinator.port}  (${group.coordinator.id})`;
  const cw = Math.max(25, coordinator.length);
  const gw = Math.max(15, group.groupId.length);
  const line = (cols: readonly string[]) =>
    `\n${left(cols[0]!, gw)} ${left(cols[1]!, cw)} ${left(cols[2]!, 20)} ${left(cols[3]!, 20)} ${cols[4]!}`;
  out.stdout += line(["GROUP", "COORDINATOR (ID)", "ASSIGNMENT-STRATEGY", "STATE", "#MEMBERS"]);
  out.stdout += line([
    group.groupId,
    coordinator,
    group.protocol === "" ? MISSING : group.protocol,
    group.state,
    String(group.members.length),
  ]);
  out.stdout += "\n";
}

function resetOffsets(
  world: ConsumerGroupsWorld,
  byId: ReadonlyMap<string, GroupView>,
  groupIds: readonly string[],
  parsed: ParsedArgs,
): ConsumerGroupsOutput {
  const scopes = ["--to-earliest", "--to-latest", "--to-current"].filter((f) =>
    parsed.flags.has(f),
  );
  const toOffset = parsed.values.get("--to-offset")?.[0];
  const shiftBy = parsed.values.get("--shift-by")?.[0];
  const specs = scopes.length + (toOffset === undefined ? 0 : 1) + (shiftBy === undefined ? 0 : 1);
  if (specs !== 1) {
    return usage(
      "Option [reset-offsets] takes exactly one of these options: [to-datetime], [by-duration], [to-earliest], [to-latest], [shift-by], [from-file], [to-current], [to-offset]",
    );
  }
  const topicsArg = parsed.values.get("--topic") ?? [];
  if (topicsArg.length === 0 && !parsed.flags.has("--all-topics")) {
    return usage("Option [reset-offsets] takes one of these options: [all-topics], [topic]");
  }
  for (const n of [toOffset, shiftBy]) {
    if (n !== undefined && !/^-?\d+$/.test(n))
      return usage(
        `Cannot parse argument '${n}' of option ${toOffset === n ? "to-offset" : "shift-by"}`,
      );
  }
  const execute = parsed.flags.has("--execute") && !parsed.flags.has("--dry-run");
  const out = { stdout: "", stderr: "" };
  const plan: ResetPlanEntry[] = [];
  for (const id of groupIds) {
    const group = byId.get(id) ?? deadGroup(id);
    if (group.state !== "Empty" && group.state !== "Dead") {
      out.stdout += `\nError: Assignments can only be reset if the group '${id}' is inactive, but the current state is ${group.state}.\n`;
      continue;
    }
    const committed = new Map(
      group.committed.map((c) => [`${c.topic}\u0000${c.partition}`, c.offset]),
    );
    let partitions: { topic: string; partition: number }[] = [];
    if (parsed.flags.has("--all-topics")) {
      partitions = group.committed.map((c) => ({ topic: c.topic, partition: c.partition }));
    } else {
      for (const arg of topicsArg) {
        const [topic, list] = arg.split(":", 2) as [string, string | undefined];
        const count = world.partitionCount(topic);
        if (list !== undefined) {
          for (const p of list.split(",")) partitions.push({ topic, partition: Number(p) });
        } else if (count !== null) {
          for (let p = 0; p < count; p++) partitions.push({ topic, partition: p });
        }
      }
    }
    const entries: ResetPlanEntry[] = [];
    for (const tp of [...partitions].sort(byTopicPartition)) {
      const start = world.logStartOffset(tp.topic, tp.partition);
      const end = world.logEndOffset(tp.topic, tp.partition);
      if (start === null || end === null) {
        throw new Error(`no leader for ${tp.topic}-${tp.partition}`);
      }
      const current = committed.get(`${tp.topic}\u0000${tp.partition}`);
      let target: number;
      if (parsed.flags.has("--to-earliest")) target = start;
      else if (parsed.flags.has("--to-latest")) target = end;
      else if (parsed.flags.has("--to-current")) target = current ?? end;
      else if (toOffset !== undefined) target = Number(toOffset);
      else target = (current ?? end) + Number(shiftBy);
      // Kafka clamps a target outside [log start, log end] to the nearest end (with a warning).
      if (target < start) target = start;
      if (target > end) target = end;
      entries.push({ group: id, ...tp, offset: target });
    }
    const ordered = javaHashOrder(entries, topicPartitionHash, javaHashMapCapacity(entries.length));
    plan.push(...ordered);
  }
  if (plan.length > 0) {
    let g = 15;
    let t = 15;
    for (const e of plan) {
      g = Math.max(g, e.group.length);
      t = Math.max(t, e.topic.length);
    }
    const line = (cols: readonly string[]) =>
      `\n${left(cols[0]!, g)} ${left(cols[1]!, t)} ${left(cols[2]!, 10)} ${cols[3]!}`;
    out.stdout += line(["GROUP", "TOPIC", "PARTITION", "NEW-OFFSET"]);
    for (const e of plan)
      out.stdout += line([e.group, e.topic, String(e.partition), String(e.offset)]);
  }
  out.stdout += "\n";
  return {
    stdout: out.stdout,
    stderr: out.stderr,
    exitCode: 0,
    ...(execute ? { commit: plan } : {}),
  };
}

/** The exception Kafka's admin client raises for a DeleteGroups error, as `toString` prints it. */
function deleteErrorText(error: string): string {
  if (error === "REQUEST_TIMED_OUT")
    return "org.apache.kafka.common.errors.TimeoutException: Timed out waiting for a node assignment. Call: deleteConsumerGroups";
  const known = knownExceptionText(error);
  return `org.apache.kafka.common.errors.${known ?? `ApiException: ${error}`}`;
}

/**
 * `deleteGroups`' report. The groups come out in the order of the tool's Java HashMap of group
 * ids. 1.1 and 1.x print the error's name (`GROUP_NOT_EMPTY`); 2.0 to 3.7 (Scala) the future's
 * ExecutionException, with the successful groups as `'a', 'b'`; from 3.8 (the Java tool) the same
 * errors, but the successful groups quoted as a whole (`'a, b'`) as its string joins do. Exit
 * code 0 either way (the tool does not exit with an error for a failed deletion).
 */
export function formatDeleteGroups(
  results: ReadonlyArray<{ groupId: string; error: string }>,
  version: KafkaVersion,
): ToolOutput {
  const ordered = javaHashOrder(
    results,
    (r) => javaStringHash(r.groupId),
    javaHashMapCapacity(results.length),
  );
  const javaTool = versionAtLeast(version, "3.8");
  const names = (ids: readonly string[]) =>
    javaTool || ids.length === 0 ? `'${ids.join(", ")}'` : ids.map((id) => `'${id}'`).join(", ");
  const ok = ordered.filter((r) => r.error === "NONE").map((r) => r.groupId);
  const failed = ordered.filter((r) => r.error !== "NONE");
  if (failed.length === 0) {
    return {
      stdout: `Deletion of requested consumer groups (${names(ok)}) was successful.\n`,
      stderr: "",
      exitCode: 0,
    };
  }
  let out = "\nError: Deletion of some consumer groups failed:\n";
  for (const f of failed) {
    const why = !versionAtLeast(version, "2.0")
      ? f.error
      : `java.util.concurrent.ExecutionException: ${deleteErrorText(f.error)}`;
    out += `* Group '${f.groupId}' could not be deleted due to: ${why}\n`;
  }
  if (ok.length > 0) {
    // The Java tool's join puts the quotes oddly ('a'b', '); reproduced.
    const list = javaTool ? `'${ok.join("'")}', '` : names(ok);
    out += `\nThese consumer groups were deleted successfully: ${list}\n`;
  }
  return { stdout: out, stderr: "", exitCode: 0 };
}

/**
 * `--zookeeper` as kafka-consumer-groups.sh took it: for the old ZooKeeper-based consumers' groups
 * until 2.0, which removed it with the old consumer. An error text, or undefined when absent.
 */
export function consumerGroupsZookeeperError(
  args: readonly string[],
  version: KafkaVersion,
): string | undefined {
  if (!args.some((a) => a === "--zookeeper" || a.startsWith("--zookeeper="))) return undefined;
  if (versionAtLeast(version, "2.0")) {
    return 'Exception in thread "main" joptsimple.UnrecognizedOptionException: zookeeper is not a recognized option';
  }
  return "kafkasim: kafka-consumer-groups.sh --zookeeper shows the groups of the old ZooKeeper-based consumers; this simulation has none (its consumers keep their groups on a coordinator): use --bootstrap-server";
}

/**
 * The tool as a scenario runs it: `--reset-offsets --execute` commits the plan through the admin
 * path of each group's coordinator (an OffsetCommit outside the group protocol); `--delete` sends
 * DeleteGroups to each group's coordinator and answers once every group has an answer.
 */
export const kafkaConsumerGroupsTool: Tool = (ctx, args, _input, done) => {
  const zk = consumerGroupsZookeeperError(args, ctx.version);
  if (zk !== undefined) {
    done({ stdout: "", stderr: `${zk}\n`, exitCode: 1 });
    return;
  }
  if (args.includes("--delete") && !versionAtLeast(ctx.version, "1.1")) {
    done({
      stdout: "",
      stderr:
        "Option [delete] is only valid with [zookeeper]. Note that there's no need to delete group metadata for the new consumer as the group is deleted when the last committed offset for that group expires.\n",
      exitCode: 1,
    });
    return;
  }
  let output: ConsumerGroupsOutput;
  try {
    output = kafkaConsumerGroups(ctx.consumerGroups(), args);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    done({
      stdout: `\nError: Executing consumer group command failed due to ${reason}\n`,
      stderr: "",
      exitCode: 1,
    });
    return;
  }
  if (output.deleteGroups !== undefined) {
    const groups = output.deleteGroups;
    const results: Array<{ groupId: string; error: string }> = [];
    if (groups.length === 0) {
      done(formatDeleteGroups(results, ctx.version));
      return;
    }
    // The coordinator: the leader of the group's __consumer_offsets partition, now.
    const coordinatorOf = (group: string) => () => {
      const offsets = ctx.image()?.topicByName(OFFSETS_TOPIC);
      if (offsets === undefined) return undefined;
      const leader =
        offsets.partitions[coordinatorPartition(group, offsets.partitions.length)]?.leader;
      return leader === undefined || leader < 0 ? undefined : leader;
    };
    for (const group of groups) {
      ctx.admin.deleteConsumerGroups(group, coordinatorOf(group), (error) => {
        results.push({ groupId: group, error });
        if (results.length === groups.length) done(formatDeleteGroups(results, ctx.version));
      });
    }
    return;
  }
  if (output.commit !== undefined && output.commit.length > 0) {
    // Simplified: Kafka's admin client would wait while FindCoordinator creates
    // __consumer_offsets; here a reset before any group ever existed is refused, loudly, rather
    // than printed as if it had been committed.
    if (ctx.image()?.topicByName(OFFSETS_TOPIC) === undefined) {
      done({
        stdout:
          "\nError: Executing consumer group command failed due to org.apache.kafka.common.errors.CoordinatorNotAvailableException: The coordinator is not available.\n",
        stderr:
          "kafkasim: __consumer_offsets does not exist yet (no consumer group has run); this build does not create it for an admin reset\n",
        exitCode: 1,
      });
      return;
    }
    ctx.commitGroupOffsets(output.commit);
  }
  done({ stdout: output.stdout, stderr: output.stderr, exitCode: output.exitCode });
};
