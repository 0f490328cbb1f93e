// kafka-topics.sh --create / --alter / --delete: TopicCommand.java's checks and output lines. The
// expected strings are written by hand from TopicCommand's println calls ("Created topic " + name
// + "."; printException: "Error while executing topic command : " + message on stdout and
// LOG.error(stackTrace) on stderr through tools-log4j's "[%d] %p %m (%c)%n"), CommandLineUtils'
// messages ('Missing required argument "[topic]"', 'Option "[x]" can't be used with option "[y]"')
// and the controller's error messages (ReplicationControlManager).
import { describe, expect, it } from "vitest";
import {
  kafkaTopicsTool,
  parseReplicaAssignment,
  parseTopicCommand,
} from "../../sim/tools/kafka-topics.ts";
import { answer, fakeContext, imageOf, runTool } from "./tool-context-fake.ts";

const BS = "--bootstrap-server localhost:9092";

function topics(command: string, options: Parameters<typeof fakeContext>[0] = {}) {
  const { ctx, run } = fakeContext({
    image: imageOf([1, 2, 3], { orders: [[1, 2, 3]] }),
    ...options,
  });
  const out = runTool(kafkaTopicsTool, ctx, run, command);
  return { out, run };
}

describe("tools: kafka-topics.sh --create", () => {
  it("sends CreateTopics with the options and prints Created topic X.", () => {
    const { out, run } = topics(
      `${BS} --create --topic payments --partitions 3 --replication-factor 2 --config retention.ms=60000 --config cleanup.policy=compact`,
      { answer: () => answer("payments") },
    );
    expect(run.requests).toEqual([
      {
        op: "CreateTopics",
        topics: [
          {
            name: "payments",
            numPartitions: 3,
            replicationFactor: 2,
            configs: { "retention.ms": "60000", "cleanup.policy": "compact" },
          },
        ],
      },
    ]);
    expect(out).toEqual({ stdout: "Created topic payments.\n", stderr: "", exitCode: 0 });
  });

  it("uses the broker defaults (-1) without --partitions and --replication-factor, and a manual assignment as given", () => {
    const { run } = topics(`${BS} --create --topic a`, { answer: () => answer("a") });
    expect(run.requests[0]).toMatchObject({
      topics: [{ numPartitions: -1, replicationFactor: -1 }],
    });
    const manual = topics(`${BS} --create --topic b --replica-assignment 1:2,2:3,3:1`, {
      answer: () => answer("b"),
    });
    expect(manual.run.requests[0]).toMatchObject({
      topics: [
        {
          numPartitions: -1,
          replicationFactor: -1,
          assignment: [
            [1, 2],
            [2, 3],
            [3, 1],
          ],
        },
      ],
    });
  });

  it("warns about '.' and '_' before creating", () => {
    const { out } = topics(`${BS} --create --topic my.topic`, { answer: () => answer("my.topic") });
    expect(out?.stdout).toBe(
      "WARNING: Due to limitations in metric names, topics with a period ('.') or underscore ('_') could collide. To avoid issues it is best to use either, but not both.\n" +
        "Created topic my.topic.\n",
    );
  });

  it("prints TopicExistsException as Kafka does, and nothing with --if-not-exists", () => {
    const exists = () => answer("orders", "TOPIC_ALREADY_EXISTS", "Topic 'orders' already exists.");
    const { out } = topics(`${BS} --create --topic orders`, { answer: exists, nowUs: 7_250_000 });
    expect(out).toEqual({
      stdout: "Error while executing topic command : Topic 'orders' already exists.\n",
      stderr:
        "[1970-01-01 00:00:07,250] ERROR org.apache.kafka.common.errors.TopicExistsException: Topic 'orders' already exists.\n" +
        " (org.apache.kafka.tools.TopicCommand)\n",
      exitCode: 1,
    });
    const quiet = topics(`${BS} --create --topic orders --if-not-exists`, { answer: exists });
    expect(quiet.out).toEqual({ stdout: "", stderr: "", exitCode: 0 });
  });

  it("prints InvalidReplicationFactorException with the controller's message", () => {
    const message =
      "Unable to replicate the partition 4 time(s): The target replication factor of 4 cannot be reached because only 3 broker(s) are registered.";
    const { out } = topics(`${BS} --create --topic big --replication-factor 4`, {
      answer: () => answer("big", "INVALID_REPLICATION_FACTOR", message),
    });
    expect(out?.stdout).toBe(`Error while executing topic command : ${message}\n`);
    expect(out?.stderr).toContain(
      `ERROR org.apache.kafka.common.errors.InvalidReplicationFactorException: ${message}\n (org.apache.kafka.tools.TopicCommand)`,
    );
  });

  it("checks the replication factor and partitions before sending (4.0+: message on stderr)", () => {
    const rf = topics(`${BS} --create --topic x --replication-factor 0`);
    expect(rf.run.requests).toEqual([]);
    expect(rf.out).toEqual({
      stdout: "",
      stderr: "The replication factor must be between 1 and 32767 inclusive\n",
      exitCode: 1,
    });
    // 3.x: the Scala tool threw inside its try, so printException printed it.
    const old = topics(`${BS} --create --topic x --partitions 0`, { version: "3.6" });
    expect(old.out?.stdout).toBe(
      "Error while executing topic command : The partitions must be greater than 0\n",
    );
    expect(old.out?.stderr).toContain(
      "ERROR java.lang.IllegalArgumentException: The partitions must be greater than 0\n (kafka.admin.TopicCommand$)",
    );
  });

  it("answers a timeout when no controller answers", () => {
    const { out } = topics(`${BS} --create --topic x`, {
      answer: () => ({ error: "REQUEST_TIMED_OUT", results: [] }),
    });
    expect(out?.stdout).toBe(
      "Error while executing topic command : Timed out waiting for a node assignment. Call: createTopics\n",
    );
  });
});

describe("tools: kafka-topics.sh --alter and --delete", () => {
  it("asks for more partitions and prints nothing on success (the ZooKeeper path said more)", () => {
    const { out, run } = topics(`${BS} --alter --topic orders --partitions 4`, {
      answer: () => answer("orders"),
    });
    expect(run.requests).toEqual([{ op: "CreatePartitions", topic: "orders", count: 4 }]);
    expect(out).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    const zk = topics("--zookeeper localhost:2181 --alter --topic orders --partitions 4", {
      version: "2.8",
      answer: () => answer("orders"),
    });
    expect(zk.out?.stdout).toBe(
      "WARNING: If partitions are increased for a topic that has a key, the partition logic or ordering of the messages will be affected\nAdding partitions succeeded!\n",
    );
  });

  it("passes only the new partitions' replicas of --replica-assignment", () => {
    const { run } = topics(
      `${BS} --alter --topic orders --partitions 3 --replica-assignment 1:2:3,2:3:1,3:1:2`,
      {
        answer: () => answer("orders"),
      },
    );
    expect(run.requests[0]).toEqual({
      op: "CreatePartitions",
      topic: "orders",
      count: 3,
      assignment: [
        [2, 3, 1],
        [3, 1, 2],
      ],
    });
  });

  it("prints InvalidPartitionsException when asked for fewer partitions", () => {
    const message = "Topic currently has 3 partitions, which is higher than the requested 2.";
    const { out } = topics(`${BS} --alter --topic orders --partitions 2`, {
      answer: () => answer("orders", "INVALID_PARTITIONS", message),
    });
    expect(out?.stdout).toBe(`Error while executing topic command : ${message}\n`);
    expect(out?.stderr).toContain(
      `org.apache.kafka.common.errors.InvalidPartitionsException: ${message}`,
    );
  });

  it("refuses a topic that does not exist, unless --if-exists", () => {
    const { out, run } = topics(`${BS} --alter --topic nope --partitions 2`);
    expect(run.requests).toEqual([]);
    expect(out).toEqual({
      stdout: "",
      stderr: "Topic 'nope' does not exist as expected\n",
      exitCode: 1,
    });
    expect(topics(`${BS} --delete --topic nope --if-exists`).out).toEqual({
      stdout: "",
      stderr: "",
      exitCode: 0,
    });
  });

  it("deletes the topics --topic matches (a regular expression), printing nothing", () => {
    const image = imageOf([1, 2, 3], { "orders-eu": [[1]], "orders-us": [[2]], other: [[3]] });
    const { ctx, run } = fakeContext({ image, answer: () => answer("x") });
    const out = runTool(kafkaTopicsTool, ctx, run, `${BS} --delete --topic orders-.*`);
    expect(run.requests).toEqual([{ op: "DeleteTopics", topics: ["orders-eu", "orders-us"] }]);
    expect(out).toEqual({ stdout: "", stderr: "", exitCode: 0 });
  });

  it("the ZooKeeper path said the topic was marked for deletion", () => {
    const { out } = topics("--zookeeper localhost:2181 --delete --topic orders", {
      version: "2.8",
      answer: () => answer("orders"),
    });
    expect(out?.stdout).toBe(
      "Topic orders is marked for deletion.\nNote: This will have no impact if delete.topic.enable is not set to true.\n",
    );
  });
});

describe("tools: kafka-topics.sh option checks", () => {
  const parse = (command: string, version: "4.1" | "2.8" | "2.1" = "4.1") =>
    parseTopicCommand({ version }, command.split(" "));

  it("wants exactly one action", () => {
    expect(parse(`${BS} --create --list --topic x`)).toEqual({
      kind: "usage",
      message:
        "Command must include exactly one action: --list, --describe, --create, --alter or --delete",
    });
  });

  it("wants --topic, and --partitions with --alter", () => {
    expect(parse(`${BS} --create --partitions 3`)).toEqual({
      kind: "usage",
      message: 'Missing required argument "[topic]"',
    });
    expect(parse(`${BS} --alter --topic x`)).toEqual({
      kind: "usage",
      message: 'Missing required argument "[partitions]"',
    });
  });

  it("refuses options that do not go with the action", () => {
    expect(parse(`${BS} --describe --topic x --partitions 3`)).toEqual({
      kind: "usage",
      message: `Option "[partitions]" can't be used with option "[describe]"`,
    });
    expect(parse(`${BS} --create --topic x --replica-assignment 1:2 --partitions 3`)).toEqual({
      kind: "usage",
      message: `Option "[replica-assignment]" can't be used with option "[partitions]"`,
    });
    expect(parse(`${BS} --alter --topic x --replication-factor 3 --partitions 4`)).toEqual({
      kind: "usage",
      message: `Option "[replication-factor]" can't be used with option "[alter]"`,
    });
    expect(parse(`${BS} --create --topic x --if-exists`)).toMatchObject({
      message: `Option "[if-exists]" can't be used with option "[create]"`,
    });
  });

  it("names an unknown option in jopt-simple's words", () => {
    expect(parse(`${BS} --create --topic x --partitons 3`)).toEqual({
      kind: "usage",
      message:
        'Exception in thread "main" joptsimple.UnrecognizedOptionException: partitons is not a recognized option',
    });
  });

  it("takes --bootstrap-server from 2.2 and --zookeeper until 2.8", () => {
    expect(parse(`${BS} --create --topic x`, "2.1")).toMatchObject({
      message: expect.stringContaining("bootstrap-server is not a recognized option"),
    });
    expect(parse("--zookeeper z:2181 --create --topic x", "4.1")).toMatchObject({
      message: expect.stringContaining("zookeeper is not a recognized option"),
    });
    expect(parse("--zookeeper z:2181 --create --topic x", "2.8")).toMatchObject({
      action: "--create",
      zookeeper: true,
    });
    expect(parse("--create --topic x", "4.1")).toEqual({
      kind: "illegal-argument",
      message: "--bootstrap-server must be specified",
    });
  });

  it("reads --replica-assignment partition by partition and refuses duplicates and uneven lists", () => {
    expect(parseReplicaAssignment({ version: "4.1" }, "1:2, 2:3")).toEqual([
      [1, 2],
      [2, 3],
    ]);
    expect(parseReplicaAssignment({ version: "4.1" }, "1:1")).toEqual({
      kind: "exception",
      className: "org.apache.kafka.server.common.AdminCommandFailedException",
      message: "Partition replica lists may not contain duplicate entries: 1",
    });
    expect(parseReplicaAssignment({ version: "4.1" }, "1:2,3")).toEqual({
      kind: "exception",
      className: "org.apache.kafka.server.common.AdminOperationException",
      message: "Partition 1 has different replication factor: [3]",
    });
  });

  it("refuses a --config that is not key=val", () => {
    expect(parse(`${BS} --create --topic x --config retention.ms`)).toEqual({
      kind: "illegal-argument",
      message:
        'requirement failed: Invalid topic config: all configs to be added must be in the format "key=val".',
    });
  });
});

describe("tools: kafka-topics.sh --list", () => {
  it("prints the names one per line, sorted, internal topics kept unless --exclude-internal", () => {
    const image = imageOf([1], { b: [[1]], __consumer_offsets: [[1]], a: [[1]] });
    const { ctx, run } = fakeContext({ image });
    expect(runTool(kafkaTopicsTool, ctx, run, `${BS} --list`)?.stdout).toBe(
      "__consumer_offsets\na\nb\n",
    );
    const again = fakeContext({ image });
    expect(
      runTool(kafkaTopicsTool, again.ctx, again.run, `${BS} --list --exclude-internal`)?.stdout,
    ).toBe("a\nb\n");
  });
});

describe("tools: kafka-topics.sh --alter --config", () => {
  it("points to kafka-configs (CommandLineUtils.checkInvalidArgsSet's words)", () => {
    expect(
      parseTopicCommand(
        { version: "4.1" },
        `${BS} --alter --topic x --partitions 2 --config a=b`.split(" "),
      ),
    ).toEqual({
      kind: "usage",
      message:
        'Option combination "[[bootstrap-server], [config]]" can\'t be used with option "[alter]" (To alter topic configurations, the kafka-configs tool can be used.)',
    });
  });
});
