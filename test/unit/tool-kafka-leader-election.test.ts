// kafka-leader-election.sh: LeaderElectionCommand.java's checks and output lines, by hand:
// "Successfully completed leader election (%s) for partitions %s", "Valid replica already elected
// for partitions %s", "Error completing leader election (%s) for partition: %s: %s", the partitions
// joined with ", " in the iteration order of a Java HashSet/HashMap of TopicPartition.
import { describe, expect, it } from "vitest";
import {
  formatElection,
  kafkaLeaderElectionTool,
  parseElectionJson,
  parseLeaderElection,
} from "../../sim/tools/kafka-leader-election.ts";
import { fakeContext, runTool } from "./tool-context-fake.ts";

const BS = "--bootstrap-server localhost:9092";

describe("tools: kafka-leader-election.sh output", () => {
  it("groups successes, no-ops and failures, each in TopicPartition hash order", () => {
    // TopicPartition.hashCode = 31 * (31 + partition) + topic.hashCode(); "t".hashCode() = 116:
    // t-0 → 1077 (bucket 5 of 16), t-1 → 1108 (bucket 4), t-2 → 1139 (bucket 3). So t-2, t-1, t-0.
    const out = formatElection("PREFERRED", [
      { topic: "t", partition: 0, error: "NONE", message: "" },
      { topic: "t", partition: 1, error: "NONE", message: "" },
      { topic: "t", partition: 2, error: "ELECTION_NOT_NEEDED", message: "" },
    ]);
    expect(out).toEqual({
      stdout:
        "Successfully completed leader election (PREFERRED) for partitions t-1, t-0\n" +
        "Valid replica already elected for partitions t-2\n",
      stderr: "",
      exitCode: 0,
    });
  });

  it("prints each failure with its exception and exits 1 with the count on stderr", () => {
    const out = formatElection("UNCLEAN", [
      { topic: "t", partition: 0, error: "ELIGIBLE_LEADERS_NOT_AVAILABLE", message: "" },
      {
        topic: "u",
        partition: 3,
        error: "UNKNOWN_TOPIC_OR_PARTITION",
        message: "No such topic as u",
      },
    ]);
    // "u".hashCode() = 117: u-3 → 31 × 34 + 117 = 1171 (bucket 3) before t-0 (bucket 5).
    expect(out).toEqual({
      stdout:
        "Error completing leader election (UNCLEAN) for partition: u-3: org.apache.kafka.common.errors.UnknownTopicOrPartitionException: No such topic as u\n" +
        "Error completing leader election (UNCLEAN) for partition: t-0: org.apache.kafka.common.errors.EligibleLeadersNotAvailableException: Eligible topic partition leaders are not available.\n",
      stderr:
        "2 replica(s) could not be elected\norg.apache.kafka.server.common.AdminCommandFailedException: 2 replica(s) could not be elected\n",
      exitCode: 1,
    });
  });
});

describe("tools: kafka-leader-election.sh options", () => {
  const parse = (command: string, input: string[] = []) =>
    parseLeaderElection(command.split(" "), input);

  it("takes the election type in any case and one partition selection", () => {
    expect(parse(`${BS} --election-type preferred --all-topic-partitions`)).toEqual({
      electionType: "PREFERRED",
      partitions: undefined,
    });
    expect(parse(`${BS} --election-type UNCLEAN --topic t --partition 2`)).toEqual({
      electionType: "UNCLEAN",
      partitions: [{ topic: "t", partition: 2 }],
    });
    expect(
      parse(`${BS} --election-type PREFERRED --path-to-json-file e.json`, [
        '{"partitions": [{"topic": "a", "partition": 1},',
        ' {"topic": "b", "partition": 0}]}',
      ]),
    ).toEqual({
      electionType: "PREFERRED",
      partitions: [
        { topic: "a", partition: 1 },
        { topic: "b", partition: 0 },
      ],
    });
  });

  it("refuses what LeaderElectionCommandOptions.validate refuses, in its words", () => {
    expect(parse("--all-topic-partitions")).toBe(
      "Missing required option(s): bootstrap-server, election-type\n" +
        "org.apache.kafka.server.common.AdminCommandFailedException: Missing required option(s): bootstrap-server, election-type",
    );
    expect(parse(`${BS} --election-type preferred`)).toMatch(
      /^One and only one of the following options is required: topic, all-topic-partitions, path-to-json-file\n/,
    );
    expect(parse(`${BS} --election-type preferred --topic t`)).toMatch(
      /^Missing required option\(s\): partition\n/,
    );
    expect(parse(`${BS} --election-type preferred --all-topic-partitions --partition 1`)).toMatch(
      /^Option partition is only allowed if topic is used\n/,
    );
    expect(parse(`${BS} --election-type fastest --all-topic-partitions`)).toBe(
      "Cannot parse argument 'fastest' of option election-type",
    );
  });

  it("reads the JSON file's partitions and refuses duplicates", () => {
    expect(parseElectionJson([])).toMatch(/^Replica election data is empty\n/);
    expect(parseElectionJson(['{"version": 1}'])).toMatch(
      /^Replica election data is missing "partitions" field\n/,
    );
    expect(
      parseElectionJson([
        '{"partitions": [{"topic": "a", "partition": 0}, {"topic": "a", "partition": 0}]}',
      ]),
    ).toMatch(/^Replica election data contains duplicate partitions: \[a-0\]\n/);
  });
});

describe("tools: kafka-leader-election.sh through the admin client", () => {
  it("sends ElectLeaders for the partitions and prints the controller's per-partition answers", () => {
    const { ctx, run } = fakeContext({
      answer: () => ({
        error: "NONE",
        results: [
          { name: "orders-0", error: "NONE", message: "" },
          { name: "my-topic-1", error: "PREFERRED_LEADER_NOT_AVAILABLE", message: "" },
        ],
      }),
    });
    const out = runTool(
      kafkaLeaderElectionTool,
      ctx,
      run,
      `${BS} --election-type PREFERRED --all-topic-partitions`,
    );
    expect(run.requests).toEqual([{ op: "ElectLeaders", electionType: "preferred" }]);
    expect(out?.stdout).toBe(
      "Successfully completed leader election (PREFERRED) for partitions orders-0\n" +
        "Error completing leader election (PREFERRED) for partition: my-topic-1: org.apache.kafka.common.errors.PreferredLeaderNotAvailableException: The preferred leader was not available.\n",
    );
    expect(out?.exitCode).toBe(1);
  });

  it("prints the timeout line when no controller answers, and is absent before 2.4", () => {
    const { ctx, run } = fakeContext({
      answer: () => ({ error: "REQUEST_TIMED_OUT", results: [] }),
    });
    expect(
      runTool(
        kafkaLeaderElectionTool,
        ctx,
        run,
        `${BS} --election-type PREFERRED --topic t --partition 0`,
      )?.stdout,
    ).toBe("Timeout waiting for election results\n");
    const old = fakeContext({ version: "2.3" });
    expect(
      runTool(
        kafkaLeaderElectionTool,
        old.ctx,
        old.run,
        `${BS} --election-type PREFERRED --all-topic-partitions`,
      )?.stderr,
    ).toMatch(/arrived in Kafka 2\.4 \(KIP-460\)/);
  });
});
