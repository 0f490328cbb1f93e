/**
 * `kafka-metadata-quorum.sh --bootstrap-server .. describe --status | --replication
 * [--human-readable]` (KIP-836, Kafka 3.3; tools/src/main/java/org/apache/kafka/tools/
 * MetadataQuorumCommand.java): the KRaft quorum of `__cluster_metadata` as the Raft leader
 * describes it (DescribeQuorum).
 *
 * --status prints ClusterId, LeaderId, LeaderEpoch, HighWatermark, MaxFollowerLag (the leader's
 * log end offset minus the lowest voter's), MaxFollowerLagTimeMs, CurrentVoters and
 * CurrentObservers, each label padded to 24 characters. Voters and observers print as id lists
 * (`[1,2,3]`) before 3.9 and as JSON-like nodes with endpoints and directory ids from 3.9 (KIP-853).
 * --replication prints ToolsUtils.prettyPrintTable: each column padded to its widest cell and
 * followed by a TAB; rows Leader, then Followers, then Observers (ids ascending); a DirectoryId
 * column from 3.9. In ZooKeeper mode there is no quorum: the broker does not know the API.
 *
 * Read from the voters' Raft snapshots and the brokers' snapshots (read-only), at once.
 * Simplifies: each replica's LogEndOffset is its own log end (a voter's Raft log, a broker's last
 * applied metadata offset + 1), not the leader's last-fetch view of it; LastFetchTimestamp and
 * LastCaughtUpTimestamp are known for the leader (now) and for replicas that are caught up and
 * following the leader in its epoch (now), and -1 otherwise (the snapshots keep no fetch times),
 * so MaxFollowerLagTimeMs is 0 when no voter lags and -1 when one does; the cluster id is derived
 * from the voters, not drawn at random; voters are static (controller.quorum.voters), so their
 * directory id is the zero id; the usage text after an argument error is left out.
 */
import { deriveTopicId } from "../kafka/metadata/image.ts";
import { versionAtLeast } from "../kafka/version.ts";
import type { Tool, ToolContext, ToolOutput } from "./tool.ts";

const PROG = "kafka-metadata-quorum";
const ZERO_UUID = "AAAAAAAAAAAAAAAAAAAAAA";

export interface ReplicaRow {
  readonly id: number;
  readonly directoryId: string;
  readonly logEndOffset: number;
  /** Milliseconds of virtual time, or -1 when not known. */
  readonly lastFetchMs: number;
  readonly lastCaughtUpMs: number;
  /** `CONTROLLER://host:9093` for voters; none for observers. */
  readonly endpoints: readonly string[];
}

/** What DescribeQuorum returns, plus the cluster id (DescribeCluster). */
export interface QuorumView {
  readonly clusterId: string;
  readonly leaderId: number;
  readonly leaderEpoch: number;
  readonly highWatermark: number;
  /** Ascending ids; the leader among them. */
  readonly voters: readonly ReplicaRow[];
  readonly observers: readonly ReplicaRow[];
  /** Virtual time now, milliseconds (for --human-readable). */
  readonly nowMs: number;
}

export interface QuorumPlan {
  readonly mode: "status" | "replication";
  readonly humanReadable: boolean;
}

function argError(message: string): string {
  return `${PROG}: error: ${message}`;
}

/** MetadataQuorumCommand's argparse4j parser and its checks; a string is the stderr text. */
export function parseMetadataQuorum(args: readonly string[]): QuorumPlan | string {
  const takesValue = new Set(["--bootstrap-server", "--bootstrap-controller", "--command-config"]);
  const flags = new Set(["--status", "--replication", "--human-readable", "--help"]);
  const seen = new Set<string>();
  let command: string | undefined;
  const unrecognized: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const name = a.includes("=") ? a.slice(0, a.indexOf("=")) : a;
    if (takesValue.has(name)) {
      seen.add(name);
      if (!a.includes("=")) i++;
    } else if (flags.has(a)) seen.add(a);
    else if (!a.startsWith("-") && command === undefined) command = a;
    else unrecognized.push(`'${a}'`);
  }
  const connections = ["--bootstrap-server", "--bootstrap-controller"].filter((o) => seen.has(o));
  if (connections.length === 0) {
    return argError("one of the arguments --bootstrap-server --bootstrap-controller is required");
  }
  if (connections.length === 2) {
    return argError(
      "argument --bootstrap-controller: not allowed with argument --bootstrap-server",
    );
  }
  if (command === undefined) return argError("too few arguments");
  if (command === "add-controller" || command === "remove-controller") {
    return `kafkasim: ${command} needs a dynamic quorum (KIP-853); the simulated voters are static`;
  }
  if (command !== "describe") {
    return argError(
      `argument command: invalid choice: '${command}' (choose from 'describe', 'add-controller', 'remove-controller')`,
    );
  }
  if (unrecognized.length > 0) return argError(`unrecognized arguments: ${unrecognized.join(" ")}`);
  const status = seen.has("--status");
  const replication = seen.has("--replication");
  const humanReadable = seen.has("--human-readable");
  if (status && replication) {
    return "Only one of --status or --replication should be specified with describe sub-command";
  }
  if (replication) return { mode: "replication", humanReadable };
  if (status) {
    if (humanReadable)
      return "The option --human-readable is only supported along with --replication";
    return { mode: "status", humanReadable: false };
  }
  return "One of --status or --replication must be specified with describe sub-command";
}

/** `{"id": 1, "directoryId": "...", "endpoints": ["CONTROLLER://host:9093"]}` (3.9+). */
function nodeText(row: ReplicaRow): string {
  let s = `{"id": ${row.id}`;
  if (row.directoryId !== ZERO_UUID) s += `, "directoryId": "${row.directoryId}"`;
  if (row.endpoints.length > 0)
    s += `, "endpoints": [${row.endpoints.map((e) => `"${e}"`).join(", ")}]`;
  return `${s}}`;
}

function replicaList(version: ToolContext["version"], rows: readonly ReplicaRow[]): string {
  if (!versionAtLeast(version, "3.9")) return `[${rows.map((r) => r.id).join(",")}]`;
  return `[${rows.map(nodeText).join(", ")}]`;
}

/** `describe --status`. */
export function formatStatus(version: ToolContext["version"], q: QuorumView): string {
  const leader = q.voters.find((v) => v.id === q.leaderId)!;
  let maxLag = leader;
  for (const v of q.voters) if (v.logEndOffset < maxLag.logEndOffset) maxLag = v;
  const lagTimeMs =
    maxLag === leader
      ? 0
      : leader.lastCaughtUpMs >= 0 && maxLag.lastCaughtUpMs >= 0
        ? leader.lastCaughtUpMs - maxLag.lastCaughtUpMs
        : -1;
  const line = (label: string, value: string | number) => `${`${label}:`.padEnd(24)}${value}`;
  return `${[
    line("ClusterId", q.clusterId),
    line("LeaderId", q.leaderId),
    line("LeaderEpoch", q.leaderEpoch),
    line("HighWatermark", q.highWatermark),
    line("MaxFollowerLag", leader.logEndOffset - maxLag.logEndOffset),
    line("MaxFollowerLagTimeMs", lagTimeMs),
    line("CurrentVoters", replicaList(version, q.voters)),
    line("CurrentObservers", replicaList(version, q.observers)),
  ].join("\n")}\n`;
}

/** ToolsUtils.prettyPrintTable: each cell padded to its column's width, then a TAB. */
export function prettyPrintTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) =>
    `${cells.map((c, i) => `${c.padEnd(widths[i]!)}\t`).join("")}\n`;
  return line(headers) + rows.map(line).join("");
}

/** `describe --replication [--human-readable]`. */
export function formatReplication(
  version: ToolContext["version"],
  q: QuorumView,
  humanReadable: boolean,
): string {
  const leader = q.voters.find((v) => v.id === q.leaderId)!;
  const withDirectory = versionAtLeast(version, "3.9");
  const time = (ms: number) =>
    ms < 0 ? "-1" : humanReadable ? `${q.nowMs - ms} ms ago` : String(ms);
  const row = (r: ReplicaRow, status: string) => [
    String(r.id),
    ...(withDirectory ? [r.directoryId] : []),
    String(r.logEndOffset),
    String(leader.logEndOffset - r.logEndOffset),
    time(r.lastFetchMs),
    time(r.lastCaughtUpMs),
    status,
  ];
  const rows = [
    row(leader, "Leader"),
    ...q.voters.filter((v) => v.id !== q.leaderId).map((v) => row(v, "Follower")),
    ...q.observers.map((o) => row(o, "Observer")),
  ];
  const headers = [
    "NodeId",
    ...(withDirectory ? ["DirectoryId"] : []),
    "LogEndOffset",
    "Lag",
    "LastFetchTimestamp",
    "LastCaughtUpTimestamp",
    "Status",
  ];
  return prettyPrintTable(headers, rows);
}

/** The quorum as the Raft leader would describe it now; undefined while there is no leader. */
export function quorumView(ctx: ToolContext): QuorumView | undefined {
  const snapshots = ctx.cluster.controllerSnapshots();
  let leader: (typeof snapshots)[number] | undefined;
  for (const s of snapshots) {
    if (s.running && s.role === "leader" && (leader === undefined || s.epoch > leader.epoch))
      leader = s;
  }
  if (leader === undefined) return undefined;
  const nowMs = Math.floor(ctx.engine.now / 1000);
  const dedicated = ctx.cluster.spec.controllers.kind === "dedicated";
  const voterIds = new Set(ctx.cluster.voters);
  const voters: ReplicaRow[] = snapshots.map((s) => {
    const known =
      s.nodeId === leader.nodeId ||
      (s.running &&
        s.role === "follower" &&
        s.epoch === leader.epoch &&
        s.leaderId === leader.nodeId &&
        s.logEndOffset >= leader.logEndOffset);
    return {
      id: s.nodeId,
      directoryId: ZERO_UUID,
      logEndOffset: s.logEndOffset,
      lastFetchMs: known ? nowMs : -1,
      lastCaughtUpMs: known ? nowMs : -1,
      endpoints: [`CONTROLLER://${dedicated ? "controller" : "broker"}-${s.nodeId}:9093`],
    };
  });
  const observers: ReplicaRow[] = ctx.cluster
    .brokerSnapshots()
    .filter((b) => !voterIds.has(b.id))
    .map((b) => {
      const logEndOffset = b.metadataOffset + 1;
      const known = b.state !== "not-running" && logEndOffset >= leader.logEndOffset;
      return {
        id: b.id,
        directoryId: deriveTopicId(`log-dir-of-broker-${b.id}`, 0),
        logEndOffset,
        lastFetchMs: known ? nowMs : -1,
        lastCaughtUpMs: known ? nowMs : -1,
        endpoints: [],
      };
    });
  return {
    clusterId: deriveTopicId(`cluster-${[...voterIds].sort((a, b) => a - b).join(",")}`, 0),
    leaderId: leader.nodeId,
    leaderEpoch: leader.epoch,
    highWatermark: leader.highWatermark,
    voters,
    observers,
    nowMs,
  };
}

function failure(text: string): ToolOutput {
  return { stdout: "", stderr: `${text}\n`, exitCode: 1 };
}

/** The catch-all of mainNoExit: the message, then the exception's first stack-trace line. */
function executionFailure(cause: string): ToolOutput {
  return failure(`${cause}\njava.util.concurrent.ExecutionException: ${cause}`);
}

export const kafkaMetadataQuorumTool: Tool = (ctx, args, _input, done) => {
  if (!versionAtLeast(ctx.version, "3.3")) {
    return done(
      failure(
        "kafkasim: kafka-metadata-quorum.sh arrived in Kafka 3.3 (KIP-836), with KRaft; this cluster's version has no KRaft quorum to describe",
      ),
    );
  }
  const plan = parseMetadataQuorum(args);
  if (typeof plan === "string") return done(failure(plan));
  if (ctx.cluster.spec.controllers.kind === "zookeeper") {
    return done(
      executionFailure(
        "org.apache.kafka.common.errors.UnsupportedVersionException: The node does not support DESCRIBE_QUORUM",
      ),
    );
  }
  const view = quorumView(ctx);
  if (view === undefined) {
    return done(
      executionFailure(
        "org.apache.kafka.common.errors.TimeoutException: Timed out waiting for a node assignment. Call: describeMetadataQuorum",
      ),
    );
  }
  done({
    stdout:
      plan.mode === "status"
        ? formatStatus(ctx.version, view)
        : formatReplication(ctx.version, view, plan.humanReadable),
    stderr: "",
    exitCode: 0,
  });
};
