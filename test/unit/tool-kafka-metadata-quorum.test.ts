// kafka-metadata-quorum.sh: MetadataQuorumCommand.java's layouts, by hand. --status: each label
// padded to 24 characters ("ClusterId:              "); voters and observers as id lists before
// 3.9 and as {"id": .., "directoryId": "..", "endpoints": [..]} nodes from 3.9 (KIP-853).
// --replication: ToolsUtils.prettyPrintTable, every cell padded to its column's width and followed
// by a TAB, rows Leader / Follower / Observer.
import { describe, expect, it } from "vitest";
import {
  formatReplication,
  formatStatus,
  parseMetadataQuorum,
  type QuorumView,
  type ReplicaRow,
} from "../../sim/tools/kafka-metadata-quorum.ts";

const ZERO = "AAAAAAAAAAAAAAAAAAAAAA";

function voter(id: number, leo: number, seenMs: number): ReplicaRow {
  return {
    id,
    directoryId: ZERO,
    logEndOffset: leo,
    lastFetchMs: seenMs,
    lastCaughtUpMs: seenMs,
    endpoints: [`CONTROLLER://broker-${id}:9093`],
  };
}

const view: QuorumView = {
  clusterId: "MkU3OEVBNTcwNTJENDM2Qk",
  leaderId: 2,
  leaderEpoch: 5,
  highWatermark: 120,
  voters: [voter(1, 120, 9000), voter(2, 125, 9000), voter(3, 100, -1)],
  observers: [
    {
      id: 4,
      directoryId: "hVbSaR7vRz-NxbdVuBsNyQ",
      logEndOffset: 125,
      lastFetchMs: 9000,
      lastCaughtUpMs: 9000,
      endpoints: [],
    },
  ],
  nowMs: 9500,
};

describe("tools: kafka-metadata-quorum.sh describe --status", () => {
  it("prints the 3.3-3.8 layout: id lists, lag against the lowest voter", () => {
    expect(formatStatus("3.6", view)).toBe(
      "ClusterId:              MkU3OEVBNTcwNTJENDM2Qk\n" +
        "LeaderId:               2\n" +
        "LeaderEpoch:            5\n" +
        "HighWatermark:          120\n" +
        "MaxFollowerLag:         25\n" +
        "MaxFollowerLagTimeMs:   -1\n" +
        "CurrentVoters:          [1,2,3]\n" +
        "CurrentObservers:       [4]\n",
    );
  });

  it("prints nodes with endpoints and directory ids from 3.9, the zero id left out", () => {
    const lines = formatStatus("4.1", view).split("\n");
    expect(lines[6]).toBe(
      'CurrentVoters:          [{"id": 1, "endpoints": ["CONTROLLER://broker-1:9093"]}, {"id": 2, "endpoints": ["CONTROLLER://broker-2:9093"]}, {"id": 3, "endpoints": ["CONTROLLER://broker-3:9093"]}]',
    );
    expect(lines[7]).toBe(
      'CurrentObservers:       [{"id": 4, "directoryId": "hVbSaR7vRz-NxbdVuBsNyQ"}]',
    );
  });

  it("MaxFollowerLagTimeMs is 0 when the leader is the furthest behind (a quorum of one)", () => {
    const alone: QuorumView = { ...view, leaderId: 1, voters: [voter(1, 10, 9000)], observers: [] };
    expect(formatStatus("3.6", alone)).toContain(
      "MaxFollowerLag:         0\nMaxFollowerLagTimeMs:   0\n",
    );
  });
});

describe("tools: kafka-metadata-quorum.sh describe --replication", () => {
  it("prints the table with a DirectoryId column from 3.9, leader first", () => {
    const row = (cells: string[], widths: number[]) =>
      `${cells.map((c, i) => `${c.padEnd(widths[i]!)}\t`).join("")}\n`;
    const widths = [6, 22, 12, 3, 18, 21, 8];
    expect(formatReplication("4.1", view, false)).toBe(
      row(
        [
          "NodeId",
          "DirectoryId",
          "LogEndOffset",
          "Lag",
          "LastFetchTimestamp",
          "LastCaughtUpTimestamp",
          "Status",
        ],
        widths,
      ) +
        row(["2", ZERO, "125", "0", "9000", "9000", "Leader"], widths) +
        row(["1", ZERO, "120", "5", "9000", "9000", "Follower"], widths) +
        row(["3", ZERO, "100", "25", "-1", "-1", "Follower"], widths) +
        row(["4", "hVbSaR7vRz-NxbdVuBsNyQ", "125", "0", "9000", "9000", "Observer"], widths),
    );
  });

  it("has no DirectoryId before 3.9, and --human-readable says how long ago", () => {
    const text = formatReplication("3.6", view, true);
    expect(text.split("\n")[0]).toBe(
      "NodeId\tLogEndOffset\tLag\tLastFetchTimestamp\tLastCaughtUpTimestamp\tStatus  \t",
    );
    expect(text.split("\n")[1]).toBe(
      "2     \t125         \t0  \t500 ms ago        \t500 ms ago           \tLeader  \t",
    );
  });
});

describe("tools: kafka-metadata-quorum.sh arguments", () => {
  const parse = (command: string) =>
    parseMetadataQuorum(command.split(" ").filter((w) => w !== ""));

  it("wants a connection, the describe command and one of --status and --replication", () => {
    expect(parse("--bootstrap-server b:9092 describe --status")).toEqual({
      mode: "status",
      humanReadable: false,
    });
    expect(parse("--bootstrap-controller c:9093 describe --replication --human-readable")).toEqual({
      mode: "replication",
      humanReadable: true,
    });
    expect(parse("describe --status")).toBe(
      "kafka-metadata-quorum: error: one of the arguments --bootstrap-server --bootstrap-controller is required",
    );
    expect(parse("--bootstrap-server b:9092")).toBe(
      "kafka-metadata-quorum: error: too few arguments",
    );
    expect(parse("--bootstrap-server b:9092 describe")).toBe(
      "One of --status or --replication must be specified with describe sub-command",
    );
    expect(parse("--bootstrap-server b:9092 describe --status --replication")).toBe(
      "Only one of --status or --replication should be specified with describe sub-command",
    );
    expect(parse("--bootstrap-server b:9092 describe --status --human-readable")).toBe(
      "The option --human-readable is only supported along with --replication",
    );
  });
});
