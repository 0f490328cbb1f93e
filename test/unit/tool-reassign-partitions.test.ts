// kafka-reassign-partitions.sh's pure parts: the JSON files (Jackson's compact layout, the checks
// and their messages), the argument rules of validateAndParseArgs, --generate with AdminUtils'
// placement, --verify's and --list's reports. Expected strings are written from
// ReassignPartitionsCommand (Java 3.7+ and Scala 2.5-3.6); placements from AdminUtils' algorithm
// worked by hand (start index and shift 0: leader p on brokers[p], followers shifted by 1 + j).
import { describe, expect, it } from "vitest";
import { deriveTopicId, MetadataImage } from "../../sim/kafka/metadata/image.ts";
import {
  alterPartitionReassignment,
  type ControllerPolicy,
  newPartitionRecord,
} from "../../sim/kafka/metadata/partition-change.ts";
import { FIXED_ZERO_RNG } from "../../sim/kafka/metadata/placement.ts";
import {
  generateReassignment,
  listReassignments,
  parseReassignArgs,
  verifyReassignment,
} from "../../sim/tools/kafka-reassign-partitions.ts";
import {
  checkExecuteAssignment,
  formatReassignmentJson,
  parseReassignmentJson,
  parseTopicsJson,
} from "../../sim/tools/reassignment-json.ts";

const POLICY: ControllerPolicy = {
  elrEnabled: false,
  leaderEpochBumpOnIsrShrink: false,
  minIsrOf: () => 1,
  uncleanLeaderElectionEnabledOf: () => false,
};

function cluster(
  brokers: Array<{ id: number; rack?: string; fenced?: boolean }>,
  topics: Record<string, number[][]>,
): MetadataImage {
  const image = new MetadataImage();
  for (const b of brokers) {
    image.apply({
      type: "RegisterBrokerRecord",
      brokerId: b.id,
      brokerEpoch: 10 + b.id,
      fenced: b.fenced ?? false,
      ...(b.rack === undefined ? {} : { rack: b.rack }),
    });
  }
  let n = 0;
  for (const [name, assignments] of Object.entries(topics)) {
    const topicId = deriveTopicId(name, n++);
    image.apply({ type: "TopicRecord", name, topicId });
    assignments.forEach((replicas, p) => {
      const created = newPartitionRecord(image, topicId, p, replicas);
      if (!created.ok) throw new Error(created.message);
      image.apply(created.record);
    });
  }
  return image;
}

const FOUR = [{ id: 1 }, { id: 2 }, { id: 3 }, { id: 4 }];

describe("reassignment JSON files", () => {
  it("prints Jackson's compact form, partitions by topic then number, log_dirs any", () => {
    const text = formatReassignmentJson([
      { topic: "t", partition: 10, replicas: [1] },
      { topic: "b", partition: 0, replicas: [2, 1] },
      { topic: "t", partition: 2, replicas: [3] },
    ]);
    expect(text).toBe(
      '{"version":1,"partitions":[' +
        '{"topic":"b","partition":0,"replicas":[2,1],"log_dirs":["any","any"]},' +
        '{"topic":"t","partition":2,"replicas":[3],"log_dirs":["any"]},' +
        '{"topic":"t","partition":10,"replicas":[1],"log_dirs":["any"]}]}',
    );
  });

  it("reads a reassignment file (version defaults to 1) and refuses what Kafka refuses", () => {
    expect(
      parseReassignmentJson('{"partitions":[{"topic":"t","partition":0,"replicas":[2,3]}]}'),
    ).toEqual([{ topic: "t", partition: 0, replicas: [2, 3] }]);
    expect(parseReassignmentJson('{"version":2,"partitions":[]}')).toMatchObject({
      message: "Not supported version field value 2",
    });
    expect(parseReassignmentJson('{"partitions":[{"topic":"t","replicas":[1]}]}')).toMatchObject({
      message: "No such field exists: `partition`",
    });
    expect(
      parseReassignmentJson(
        '{"partitions":[{"topic":"t","partition":0,"replicas":[1,2],"log_dirs":["any"]}]}',
      ),
    ).toMatchObject({
      message:
        "Size of replicas list [1, 2] is different from size of log dirs list [any] for partition t-0",
    });
    expect(parseReassignmentJson("{nope")).toMatchObject({
      exception: "org.apache.kafka.server.common.AdminOperationException",
    });
    expect(parseTopicsJson('{"topics":[{"topic":"a"},{"topic":"b"}],"version":1}')).toEqual([
      "a",
      "b",
    ]);
  });

  it("checks an --execute file as parseExecuteAssignmentArgs does", () => {
    expect(checkExecuteAssignment([])?.message).toBe("Partition reassignment list cannot be empty");
    expect(checkExecuteAssignment([{ topic: "t", partition: 0, replicas: [] }])?.message).toBe(
      "Partition replica list cannot be empty",
    );
    expect(
      checkExecuteAssignment([
        { topic: "t", partition: 0, replicas: [1] },
        { topic: "t", partition: 0, replicas: [2] },
      ])?.message,
    ).toBe("Partition reassignment contains duplicate topic partitions: t-0");
    expect(
      checkExecuteAssignment([
        { topic: "t", partition: 0, replicas: [1, 2, 1] },
        { topic: "u", partition: 1, replicas: [3, 3] },
      ])?.message,
    ).toBe(
      "Partition replica lists may not contain duplicate entries: t-0 contains multiple entries for 1. u-1 contains multiple entries for 3",
    );
    expect(
      checkExecuteAssignment([{ topic: "t", partition: 0, replicas: [1, 2] }]),
    ).toBeUndefined();
  });
});

describe("validateAndParseArgs", () => {
  const err = (args: string, version: "4.1" | "3.6" | "2.8" | "3.0" | "2.4" = "4.1") => {
    const r = parseReassignArgs(args.split(" "), version);
    return "exitCode" in r ? r.stderr : "ok";
  };
  const BS = "--bootstrap-server b:9092";

  it("wants exactly one action, its required files, and only its permitted options", () => {
    expect(err(`${BS} --reassignment-json-file f`)).toBe(
      "Command must include exactly one action: --generate, --execute, --verify, --cancel, --list\n",
    );
    expect(err(`${BS} --verify --execute --reassignment-json-file f`)).toContain(
      "exactly one action",
    );
    expect(err(`${BS} --execute`)).toBe('Missing required argument "[reassignment-json-file]"\n');
    expect(err(`${BS} --generate --broker-list 1,2`)).toBe(
      'Missing required argument "[topics-to-move-json-file]"\n',
    );
    expect(err(`${BS} --verify --reassignment-json-file f --additional`)).toBe(
      'Option "[additional]" can\'t be used with action "[verify]"\n',
    );
    expect(err(`${BS} --verify --reassignment-json-file f --preserve-throttles`)).toBe("ok");
    expect(err(`${BS} --list --bogus`)).toContain("bogus is not a recognized option");
  });

  it("asks for a bootstrap as each version did; --zookeeper until 2.8", () => {
    expect(err("--list")).toBe(
      "Please specify either --bootstrap-server or --bootstrap-controller\n",
    );
    expect(err("--list", "3.6")).toBe('Missing required argument "[bootstrap-server]"\n');
    expect(err("--zookeeper z:2181 --verify --reassignment-json-file f", "2.8")).toBe("ok");
    expect(err("--zookeeper z:2181 --verify --reassignment-json-file f", "3.0")).toContain(
      "zookeeper is not a recognized option",
    );
    expect(err(`${BS} --list`, "2.4")).toContain("before 2.5");
  });
});

describe("--generate", () => {
  const image = cluster(FOUR, {
    t: [
      [1, 2, 3],
      [2, 3, 1],
    ],
  });

  it("prints the current assignment and AdminUtils' proposal on the listed brokers", () => {
    const out = generateReassignment(
      image,
      '{"topics":[{"topic":"t"}]}',
      "2,3,4",
      true,
      FIXED_ZERO_RNG,
      "4.1",
    );
    expect(out.exitCode).toBe(0);
    expect(out.stdout).toBe(
      "Current partition replica assignment\n" +
        '{"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1,2,3],"log_dirs":["any","any","any"]},{"topic":"t","partition":1,"replicas":[2,3,1],"log_dirs":["any","any","any"]}]}\n\n' +
        "Proposed partition reassignment configuration\n" +
        '{"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[2,3,4],"log_dirs":["any","any","any"]},{"topic":"t","partition":1,"replicas":[3,4,2],"log_dirs":["any","any","any"]}]}\n',
    );
  });

  it("draws the start index and the shift from the rng, in that order", () => {
    const draws: Array<[number, number]> = [];
    const rng = {
      intBetween: (lo: number, hi: number) => {
        draws.push([lo, hi]);
        return hi;
      },
    };
    const out = generateReassignment(
      image,
      '{"topics":[{"topic":"t"}]}',
      "2,3,4",
      true,
      rng,
      "4.1",
    );
    expect(draws).toEqual([
      [0, 2],
      [0, 2],
    ]);
    // Start index 2: partition 0 is led by broker 4, partition 1 by broker 2.
    expect(out.stdout).toContain('{"topic":"t","partition":0,"replicas":[4,');
    expect(out.stdout).toContain('{"topic":"t","partition":1,"replicas":[2,');
  });

  it("leaves out brokers that are not alive; reports Kafka's errors", () => {
    const fenced = cluster([{ id: 1 }, { id: 2 }, { id: 3, fenced: true }], { t: [[1, 2]] });
    const rf = generateReassignment(
      fenced,
      '{"topics":[{"topic":"t"}]}',
      "2,3",
      true,
      FIXED_ZERO_RNG,
      "4.1",
    );
    expect(rf.stdout).toBe(
      "Error: Replication factor: 2 larger than available brokers: 1.\n" +
        "org.apache.kafka.common.errors.InvalidReplicationFactorException: Replication factor: 2 larger than available brokers: 1.\n",
    );
    const missing = generateReassignment(
      image,
      '{"topics":[{"topic":"x"}]}',
      "2,3,4",
      true,
      FIXED_ZERO_RNG,
      "4.1",
    );
    expect(missing.stdout.split("\n")[0]).toBe(
      "Error: org.apache.kafka.common.errors.UnknownTopicOrPartitionException: Topic x not found.",
    );
    const dup = (v: "4.1" | "3.6") =>
      generateReassignment(
        image,
        '{"topics":[{"topic":"t"}]}',
        "2,2,3",
        true,
        FIXED_ZERO_RNG,
        v,
      ).stdout.split("\n")[0];
    expect(dup("4.1")).toBe("Error: Broker list contains duplicate entries: [2]");
    expect(dup("3.6")).toBe("Error: Broker list contains duplicate entries: 2");
    const racks = cluster([{ id: 1, rack: "a" }, { id: 2 }], { t: [[1]] });
    expect(
      generateReassignment(racks, '{"topics":[{"topic":"t"}]}', "1,2", true, FIXED_ZERO_RNG, "4.1")
        .stdout,
    ).toContain("Not all brokers have rack information.");
    expect(
      generateReassignment(racks, '{"topics":[{"topic":"t"}]}', "1,2", false, FIXED_ZERO_RNG, "4.1")
        .exitCode,
    ).toBe(0);
  });
});

describe("--verify and --list", () => {
  function reassigning(): MetadataImage {
    const image = cluster(FOUR, {
      t: [
        [1, 2, 3],
        [2, 3, 1],
      ],
    });
    const started = alterPartitionReassignment(image, "t", 0, [2, 3, 4], POLICY);
    if (started.record === undefined) throw new Error("no reassignment record");
    image.apply(started.record);
    return image;
  }
  const target = [
    { topic: "t", partition: 0, replicas: [2, 3, 4] },
    { topic: "t", partition: 1, replicas: [2, 3, 1] },
  ];

  it("in progress: no throttle clearing while any reassignment runs", () => {
    expect(verifyReassignment(reassigning(), target, false, "4.1", false).stdout).toBe(
      "Status of partition reassignment:\n" +
        "Reassignment of partition t-0 is still in progress.\n" +
        "Reassignment of partition t-1 is completed.\n\n",
    );
  });

  it("done: completed, or a different replica set; then the throttles are cleared", () => {
    const image = cluster(FOUR, {
      t: [
        [2, 3, 4],
        [3, 2, 1],
      ],
    });
    expect(verifyReassignment(image, target, false, "4.1", false).stdout).toBe(
      "Status of partition reassignment:\n" +
        "Reassignment of partition t-0 is completed.\n" +
        "There is no active reassignment of partition t-1, but replica set is 3,2,1 rather than 2,3,1.\n\n" +
        "Clearing broker-level throttles on brokers 1,2,3,4\n" +
        "Clearing topic-level throttles on topic t\n",
    );
    expect(verifyReassignment(image, target, true, "4.1", false).stdout).not.toContain("Clearing");
    expect(verifyReassignment(image, target.slice(0, 1), false, "3.6", false).stdout).toContain(
      "Reassignment of partition t-0 is complete.\n",
    );
    const zk = verifyReassignment(image, target.slice(0, 1), false, "2.8", true).stdout;
    expect(zk.split("\n").slice(0, 3)).toEqual([
      "Warning: --zookeeper is deprecated, and will be removed in a future version of Kafka.",
      "Warning: because you are using the deprecated --zookeeper option, the results may be incomplete.  Use --bootstrap-server instead for more accurate results.",
      "Status of partition reassignment:",
    ]);
  });

  it("--list prints the full replica set with adding and removing replicas", () => {
    expect(listReassignments(reassigning()).stdout).toBe(
      "Current partition reassignments:\nt-0: replicas: 2,3,4,1. adding: 4. removing: 1.\n",
    );
    expect(listReassignments(cluster(FOUR, { t: [[1]] })).stdout).toBe(
      "No partition reassignments found.\n",
    );
  });
});
