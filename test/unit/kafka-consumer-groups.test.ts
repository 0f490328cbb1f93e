// kafka-consumer-groups.sh: layouts from ConsumerGroupCommand.java (printOffsets, printMembers,
// printStates) and OffsetsUtils.printOffsetsToReset; every expected string below is built by hand
// from those format strings ("\n%-Gs %-Ts %-10s %-15s %-15s %-15s %-Cs %-Hs %s" and friends).
import { describe, expect, it } from "vitest";
import {
  type ConsumerGroupsWorld,
  type GroupView,
  kafkaConsumerGroups,
} from "../../sim/tools/kafka-consumer-groups.ts";

const stable: GroupView = {
  groupId: "my-group",
  state: "Stable",
  protocol: "range",
  coordinator: { id: 2, host: "broker-2", port: 9092 },
  members: [
    {
      memberId: "consumer-my-group-2-b",
      groupInstanceId: null,
      clientId: "consumer-my-group-2",
      host: "/10.0.0.6",
      assignment: [{ topic: "orders", partition: 2 }],
    },
    {
      memberId: "consumer-my-group-1-a",
      groupInstanceId: null,
      clientId: "consumer-my-group-1",
      host: "/10.0.0.5",
      assignment: [
        { topic: "orders", partition: 1 },
        { topic: "orders", partition: 0 },
      ],
    },
  ],
  committed: [
    { topic: "orders", partition: 0, offset: 1500, leaderEpoch: 0 },
    { topic: "orders", partition: 2, offset: 900, leaderEpoch: 0 },
    { topic: "audit", partition: 0, offset: 7, leaderEpoch: 0 },
  ],
};

function world(groups: GroupView[]): ConsumerGroupsWorld {
  const ends: Record<string, number | null> = {
    "orders-0": 1750,
    "orders-1": 300,
    "orders-2": 900,
    "audit-0": null,
  };
  return {
    groups,
    logEndOffset: (t, p) => ends[`${t}-${p}`] ?? null,
    logStartOffset: (t, p) => (ends[`${t}-${p}`] === null ? null : 100),
    partitionCount: (t) => (t === "orders" ? 3 : t === "audit" ? 1 : null),
  };
}

describe("tools: kafka-consumer-groups.sh --describe", () => {
  it("prints committed offsets, HW as LOG-END-OFFSET, lag, owners first by partition count", () => {
    const out = kafkaConsumerGroups(world([stable]), [
      "--bootstrap-server",
      "localhost:9092",
      "--describe",
      "--group",
      "my-group",
    ]);
    // Widths: GROUP 15, TOPIC 15, CONSUMER-ID 21 ("consumer-my-group-2-b"), HOST 15.
    const row = (cols: string[]) =>
      `\n${cols[0]!.padEnd(15)} ${cols[1]!.padEnd(15)} ${cols[2]!.padEnd(10)} ${cols[3]!.padEnd(15)} ${cols[4]!.padEnd(15)} ${cols[5]!.padEnd(15)} ${cols[6]!.padEnd(21)} ${cols[7]!.padEnd(15)} ${cols[8]}`;
    const expected =
      row([
        "GROUP",
        "TOPIC",
        "PARTITION",
        "CURRENT-OFFSET",
        "LOG-END-OFFSET",
        "LAG",
        "CONSUMER-ID",
        "HOST",
        "CLIENT-ID",
      ]) +
      // member 1-a owns two partitions: it comes first, its partitions in order.
      row([
        "my-group",
        "orders",
        "0",
        "1500",
        "1750",
        "250",
        "consumer-my-group-1-a",
        "/10.0.0.5",
        "consumer-my-group-1",
      ]) +
      row([
        "my-group",
        "orders",
        "1",
        "-",
        "300",
        "-",
        "consumer-my-group-1-a",
        "/10.0.0.5",
        "consumer-my-group-1",
      ]) +
      row([
        "my-group",
        "orders",
        "2",
        "900",
        "900",
        "0",
        "consumer-my-group-2-b",
        "/10.0.0.6",
        "consumer-my-group-2",
      ]) +
      // committed but owned by nobody, and without a leader: LOG-END-OFFSET and LAG are '-'.
      row(["my-group", "audit", "0", "7", "-", "-", "-", "-", "-"]) +
      "\n";
    expect(out).toEqual({ stdout: expected, stderr: "", exitCode: 0 });
  });

  it("says an Empty group has no active members and still shows its offsets", () => {
    const empty: GroupView = { ...stable, state: "Empty", members: [] };
    const out = kafkaConsumerGroups(world([empty]), ["--describe", "--group", "my-group"]);
    expect(out.stderr).toBe("\nConsumer group 'my-group' has no active members.\n");
    expect(out.stdout.split("\n").filter((l) => l.startsWith("my-group"))).toHaveLength(3);
  });

  it("warns while rebalancing and reports an unknown group as not existing (on stdout)", () => {
    const rebalancing: GroupView = { ...stable, state: "PreparingRebalance" };
    const out = kafkaConsumerGroups(world([rebalancing]), ["--describe", "--group", "my-group"]);
    expect(out.stderr).toBe("\nWarning: Consumer group 'my-group' is rebalancing.\n");
    const missing = kafkaConsumerGroups(world([]), ["--describe", "--group", "nope"]);
    expect(missing.stdout).toBe("\nError: Consumer group 'nope' does not exist.\n");
  });

  it("--members and --state views", () => {
    const members = kafkaConsumerGroups(world([stable]), [
      "--describe",
      "--group",
      "my-group",
      "--members",
    ]);
    // "%-15s %-21s %-15s %-19s %-15s " per line; CLIENT-ID width 19 ("consumer-my-group-2").
    const line = (c: string[]) =>
      `${c[0]!.padEnd(15)} ${c[1]!.padEnd(21)} ${c[2]!.padEnd(15)} ${c[3]!.padEnd(19)} ${c[4]!.padEnd(15)} \n`;
    expect(members.stdout).toBe(
      `\n${line(["GROUP", "CONSUMER-ID", "HOST", "CLIENT-ID", "#PARTITIONS"])}` +
        line(["my-group", "consumer-my-group-2-b", "/10.0.0.6", "consumer-my-group-2", "1"]) +
        line(["my-group", "consumer-my-group-1-a", "/10.0.0.5", "consumer-my-group-1", "2"]),
    );
    const state = kafkaConsumerGroups(world([stable]), [
      "--describe",
      "--group",
      "my-group",
      "--state",
    ]);
    // "broker-2:9092  (2)" is 18 characters: the column is 25 wide.
    const s = (c: string[]) =>
      `\n${c[0]!.padEnd(15)} ${c[1]!.padEnd(25)} ${c[2]!.padEnd(20)} ${c[3]!.padEnd(20)} ${c[4]}`;
    expect(state.stdout).toBe(
      s(["GROUP", "COORDINATOR (ID)", "ASSIGNMENT-STRATEGY", "STATE", "#MEMBERS"]) +
        s(["my-group", "broker-2:9092  (2)", "range", "Stable", "2"]) +
        "\n",
    );
  });

  it("--members --verbose shows the assignment as topic:partitions", () => {
    const out = kafkaConsumerGroups(world([stable]), [
      "--describe",
      "--group",
      "my-group",
      "--members",
      "--verbose",
    ]);
    expect(out.stdout).toContain(
      `${"-".padEnd(15)} ${"orders:0,1".padEnd(20)} ${"-".padEnd(15)} ${"-".padEnd(20)}\n`,
    );
  });
});

describe("tools: kafka-consumer-groups.sh --list and --reset-offsets", () => {
  it("lists groups, one per line", () => {
    const other: GroupView = { ...stable, groupId: "billing" };
    expect(kafkaConsumerGroups(world([stable, other]), ["--list"]).stdout).toBe(
      "billing\nmy-group\n",
    );
  });

  it("refuses to reset an active group", () => {
    const out = kafkaConsumerGroups(world([stable]), [
      "--reset-offsets",
      "--group",
      "my-group",
      "--topic",
      "orders",
      "--to-earliest",
      "--execute",
    ]);
    expect(out.stdout).toBe(
      "\nError: Assignments can only be reset if the group 'my-group' is inactive, but the current state is Stable.\n\n",
    );
    expect(out.commit).toEqual([]);
  });

  it("plans a reset in TopicPartition hash order; a dry run commits nothing", () => {
    const empty: GroupView = { ...stable, state: "Empty", members: [] };
    const args = [
      "--reset-offsets",
      "--group",
      "my-group",
      "--topic",
      "orders",
      "--shift-by",
      "-100",
    ];
    const dry = kafkaConsumerGroups(world([empty]), args);
    // TopicPartition hashes: 31 * (31 + p) + "orders".hashCode() = -1008769370, -339, -308 for
    // p = 0, 1, 2; spread (h ^ h >>> 16) & 15 they fall in buckets 9, 10, 11 of a 16-slot table.
    // orders-0: 1500 - 100; orders-1: no commit → from the log end 300 - 100; orders-2: 900 - 100.
    const l = (c: string[]) =>
      `\n${c[0]!.padEnd(15)} ${c[1]!.padEnd(15)} ${c[2]!.padEnd(10)} ${c[3]}`;
    expect(dry.stdout).toBe(
      l(["GROUP", "TOPIC", "PARTITION", "NEW-OFFSET"]) +
        l(["my-group", "orders", "0", "1400"]) +
        l(["my-group", "orders", "1", "200"]) +
        l(["my-group", "orders", "2", "800"]) +
        "\n",
    );
    expect(dry.commit).toBeUndefined();
    const run = kafkaConsumerGroups(world([empty]), [...args, "--execute"]);
    expect(run.commit?.map((e) => e.offset)).toEqual([1400, 200, 800]);
  });

  it("asks for exactly one action and one reset scope, in Kafka's words", () => {
    expect(kafkaConsumerGroups(world([]), ["--describe", "--list"]).stderr).toContain(
      "Command must include exactly one action",
    );
    expect(
      kafkaConsumerGroups(world([]), ["--reset-offsets", "--group", "g", "--all-topics"]).stderr,
    ).toContain("takes exactly one of these options");
    expect(kafkaConsumerGroups(world([]), ["--describe", "--gruop", "g"]).stderr).toBe(
      "--gruop is not a recognized option\n",
    );
  });
});
