// kafka-consumer-groups.sh --delete: the plan the pure tool hands back, the report
// (ConsumerGroupCommand.deleteGroups: Scala 2.x-3.7 and the Java tool of 3.8+, whose string joins
// quote a list of groups as a whole), and --zookeeper by version (removed with the old consumer in
// 2.0). Expected strings are written from the tools' println/format calls.
import { describe, expect, it } from "vitest";
import {
  type ConsumerGroupsWorld,
  consumerGroupsZookeeperError,
  formatDeleteGroups,
  kafkaConsumerGroups,
} from "../../sim/tools/kafka-consumer-groups.ts";

const world: ConsumerGroupsWorld = {
  groups: [
    {
      groupId: "a",
      state: "Empty",
      protocol: "",
      coordinator: { id: 1, host: "broker-1", port: 9092 },
      members: [],
      committed: [],
    },
    {
      groupId: "b",
      state: "Empty",
      protocol: "",
      coordinator: { id: 1, host: "broker-1", port: 9092 },
      members: [],
      committed: [],
    },
  ],
  logEndOffset: () => null,
  logStartOffset: () => null,
  partitionCount: () => null,
};

describe("kafka-consumer-groups.sh --delete", () => {
  it("hands back the groups to delete: --group (repeatable) or --all-groups", () => {
    expect(
      kafkaConsumerGroups(world, ["--delete", "--group", "b", "--group", "x"]).deleteGroups,
    ).toEqual(["b", "x"]);
    expect(kafkaConsumerGroups(world, ["--delete", "--all-groups"]).deleteGroups).toEqual([
      "a",
      "b",
    ]);
    expect(kafkaConsumerGroups(world, ["--delete"]).stderr).toBe(
      "Option [delete] takes one of these options: [all-groups], [group]\n",
    );
    expect(kafkaConsumerGroups(world, ["--delete", "--list", "--group", "a"]).stderr).toContain(
      "Command must include exactly one action",
    );
  });

  it("reports success with the groups quoted as each tool quotes them", () => {
    expect(formatDeleteGroups([{ groupId: "g", error: "NONE" }], "4.1").stdout).toBe(
      "Deletion of requested consumer groups ('g') was successful.\n",
    );
    const two = [
      { groupId: "b", error: "NONE" },
      { groupId: "a", error: "NONE" },
    ];
    // HashMap order of "a" and "b" (hash 97 and 98): a first.
    expect(formatDeleteGroups(two, "3.7").stdout).toBe(
      "Deletion of requested consumer groups ('a', 'b') was successful.\n",
    );
    expect(formatDeleteGroups(two, "3.8").stdout).toBe(
      "Deletion of requested consumer groups ('a, b') was successful.\n",
    );
  });

  it("reports failures with the admin future's exception (the error name before 2.0)", () => {
    const results = [
      { groupId: "busy", error: "GROUP_NOT_EMPTY" },
      { groupId: "gone", error: "NONE" },
    ];
    expect(formatDeleteGroups(results, "3.6").stdout).toBe(
      "\nError: Deletion of some consumer groups failed:\n" +
        "* Group 'busy' could not be deleted due to: java.util.concurrent.ExecutionException: org.apache.kafka.common.errors.GroupNotEmptyException: The group is not empty.\n" +
        "\nThese consumer groups were deleted successfully: 'gone'\n",
    );
    expect(formatDeleteGroups(results, "4.1").stdout).toContain(
      "\nThese consumer groups were deleted successfully: 'gone', '\n",
    );
    expect(formatDeleteGroups([{ groupId: "x", error: "GROUP_ID_NOT_FOUND" }], "1.1").stdout).toBe(
      "\nError: Deletion of some consumer groups failed:\n* Group 'x' could not be deleted due to: GROUP_ID_NOT_FOUND\n",
    );
    expect(formatDeleteGroups(results, "4.1").exitCode).toBe(0);
  });

  it("--zookeeper: gone from 2.0; before it the old consumers' groups, which the simulation has none of", () => {
    expect(consumerGroupsZookeeperError(["--list"], "4.1")).toBeUndefined();
    expect(consumerGroupsZookeeperError(["--zookeeper", "z:2181", "--list"], "2.0")).toBe(
      'Exception in thread "main" joptsimple.UnrecognizedOptionException: zookeeper is not a recognized option',
    );
    expect(consumerGroupsZookeeperError(["--zookeeper=z:2181", "--list"], "1.1")).toContain(
      "kafkasim:",
    );
  });
});
