import { describe, expect, it } from "vitest";
import {
  deriveTopicId,
  MetadataImage,
  type MetadataRecord,
} from "../../sim/kafka/metadata/image.ts";
import {
  alterPartitionReassignment,
  type ControllerPolicy,
  newPartitionRecord,
  onBrokerFenced,
} from "../../sim/kafka/metadata/partition-change.ts";
import {
  type DescribeTopicsOptions,
  describeTopics,
} from "../../sim/tools/kafka-topics-describe.ts";

// Expected strings are written from TopicCommand.java: TopicDescription.printDescription prints
// "Topic: " + name, "\tTopicId: ", "\tPartitionCount: ", "\tReplicationFactor: ", "\tConfigs: "
// and a newline; PartitionDescription.printDescription prints "\tTopic: ", "\tPartition: ",
// "\tLeader: " (id or "none"), "\tReplicas: ", "\tIsr: " (comma-joined, stored order), then
// "\tAdding Replicas: "/"\tRemoving Replicas: " during a reassignment, then "\tElr: " and
// "\tLastKnownElr: " (3.8+), and a newline.

function policy(elr = false, minIsr = 1): ControllerPolicy {
  return {
    elrEnabled: elr,
    leaderEpochBumpOnIsrShrink: false,
    minIsrOf: () => minIsr,
    uncleanLeaderElectionEnabledOf: () => false,
  };
}

function cluster(brokerIds: number[], topics: Record<string, number[][]>): MetadataImage {
  const image = new MetadataImage();
  for (const id of brokerIds) {
    image.apply({
      type: "RegisterBrokerRecord",
      brokerId: id,
      brokerEpoch: 10 + id,
      fenced: false,
    });
  }
  let counter = 0;
  for (const [name, assignments] of Object.entries(topics)) {
    const topicId = deriveTopicId(name, counter++);
    image.apply({ type: "TopicRecord", name, topicId });
    assignments.forEach((replicas, partitionId) => {
      const created = newPartitionRecord(image, topicId, partitionId, replicas);
      if (!created.ok) throw new Error(created.message);
      image.apply(created.record);
    });
  }
  return image;
}

function applyAll(image: MetadataImage, records: readonly MetadataRecord[]): void {
  for (const record of records) image.apply(record);
}

function setConfig(image: MetadataImage, topic: string, name: string, value: string): void {
  image.apply({ type: "ConfigRecord", resourceType: "TOPIC", resourceName: topic, name, value });
}

function stdout(image: MetadataImage, options: Partial<DescribeTopicsOptions> = {}): string {
  const result = describeTopics(image, { printElr: true, minIsrOf: () => 1, ...options });
  expect(result.stderr).toBe("");
  expect(result.exitCode).toBe(0);
  return result.stdout;
}

function idOf(image: MetadataImage, topic: string): string {
  return image.topicByName(topic)?.topicId as string;
}

describe("tools: kafka-topics --describe: layout", () => {
  it("prints the topic line and one TAB-led line per partition, ELR columns empty", () => {
    const image = cluster([1, 2, 3], {
      T: [
        [1, 2, 3],
        [2, 3, 1],
        [3, 1, 2],
      ],
    });
    setConfig(image, "T", "segment.bytes", "1073741824");
    setConfig(image, "T", "min.insync.replicas", "2");
    const id = idOf(image, "T");
    expect(stdout(image, { topics: ["T"] })).toBe(
      `Topic: T\tTopicId: ${id}\tPartitionCount: 3\tReplicationFactor: 3\tConfigs: min.insync.replicas=2,segment.bytes=1073741824\n` +
        "\tTopic: T\tPartition: 0\tLeader: 1\tReplicas: 1,2,3\tIsr: 1,2,3\tElr: \tLastKnownElr: \n" +
        "\tTopic: T\tPartition: 1\tLeader: 2\tReplicas: 2,3,1\tIsr: 2,3,1\tElr: \tLastKnownElr: \n" +
        "\tTopic: T\tPartition: 2\tLeader: 3\tReplicas: 3,1,2\tIsr: 3,1,2\tElr: \tLastKnownElr: \n",
    );
  });

  it("lists configs in Java HashMap order, the way __consumer_offsets shows them", () => {
    // Config keeps its entries in a HashMap; with ~40 described topic configs the table has 64
    // buckets. String.hashCode spread: compression.type -> bucket 0, cleanup.policy -> 18,
    // segment.bytes -> 27. Hence this familiar order, neither alphabetical nor insertion order.
    const image = cluster([1], { __consumer_offsets: [[1]] });
    setConfig(image, "__consumer_offsets", "segment.bytes", "104857600");
    setConfig(image, "__consumer_offsets", "cleanup.policy", "compact");
    setConfig(image, "__consumer_offsets", "compression.type", "producer");
    const firstLine = stdout(image).split("\n")[0];
    expect(firstLine).toBe(
      `Topic: __consumer_offsets\tTopicId: ${idOf(image, "__consumer_offsets")}\tPartitionCount: 1\tReplicationFactor: 1\tConfigs: compression.type=producer,cleanup.policy=compact,segment.bytes=104857600`,
    );
  });

  it("prints Leader: none, an empty ISR and the ELR after S8 with ELR", () => {
    const image = cluster([0, 1, 2], { t: [[0, 1, 2]] });
    for (const broker of [0, 1, 2]) applyAll(image, onBrokerFenced(image, broker, policy(true, 2)));
    expect(stdout(image, { minIsrOf: () => 2 }).split("\n")[1]).toBe(
      "\tTopic: t\tPartition: 0\tLeader: none\tReplicas: 0,1,2\tIsr: \tElr: 1,2\tLastKnownElr: 2",
    );
  });

  it("prints the pre-3.8 line (no ELR columns) with the ISR's last member kept", () => {
    const image = cluster([0, 1, 2], { t: [[0, 1, 2]] });
    for (const broker of [0, 1, 2])
      applyAll(image, onBrokerFenced(image, broker, policy(false, 2)));
    expect(stdout(image, { printElr: false })).toBe(
      `Topic: t\tTopicId: ${idOf(image, "t")}\tPartitionCount: 1\tReplicationFactor: 3\tConfigs: \n` +
        "\tTopic: t\tPartition: 0\tLeader: none\tReplicas: 0,1,2\tIsr: 2\n",
    );
  });

  it("prints N/A when the brokers cannot report the ELR", () => {
    const image = cluster([1], { t: [[1]] });
    expect(stdout(image, { elrNotAvailable: true }).split("\n")[1]).toBe(
      "\tTopic: t\tPartition: 0\tLeader: 1\tReplicas: 1\tIsr: 1\tElr: N/A\tLastKnownElr: N/A",
    );
  });

  it("shows a reassignment and counts the replication factor without the replicas being added", () => {
    const image = cluster([1, 2, 3, 4], { t: [[1, 2, 3]] });
    applyAll(image, [alterPartitionReassignment(image, "t", 0, [2, 3, 4], policy()).record!]);
    // replicas [2,3,4,1] minus 1 adding = RF 3.
    expect(stdout(image)).toBe(
      `Topic: t\tTopicId: ${idOf(image, "t")}\tPartitionCount: 1\tReplicationFactor: 3\tConfigs: \n` +
        "\tTopic: t\tPartition: 0\tLeader: 1\tReplicas: 2,3,4,1\tIsr: 1,2,3\tAdding Replicas: 4\tRemoving Replicas: 1\tElr: \tLastKnownElr: \n",
    );
  });

  it("appends MarkedForDeletion: true to the topic and partition lines (ZooKeeper era)", () => {
    const image = cluster([1], { t: [[1]] });
    expect(stdout(image, { printElr: false, markedForDeletion: () => true })).toBe(
      `Topic: t\tTopicId: ${idOf(image, "t")}\tPartitionCount: 1\tReplicationFactor: 1\tConfigs: \tMarkedForDeletion: true\n` +
        "\tTopic: t\tPartition: 0\tLeader: 1\tReplicas: 1\tIsr: 1\tMarkedForDeletion: true\n",
    );
  });

  it("orders several topics as the HashMap Kafka collects them in, not by name", () => {
    // HashMap<>(3) has 4 buckets; spread String.hashCode & 3: shipments (1173668377) -> 1,
    // orders (-1008770331) -> 2, payments (1382682413) -> 3.
    const image = cluster([1], { orders: [[1]], payments: [[1]], shipments: [[1]] });
    const topicLines = stdout(image)
      .split("\n")
      .filter((line) => line.startsWith("Topic: "))
      .map((line) => line.split("\t")[0]);
    expect(topicLines).toEqual(["Topic: shipments", "Topic: orders", "Topic: payments"]);
  });

  it("fails like Kafka for a topic that does not exist", () => {
    const image = cluster([1], { t: [[1]] });
    expect(describeTopics(image, { topics: ["nope"], printElr: true, minIsrOf: () => 1 })).toEqual({
      stdout: "",
      stderr: "Topic 'nope' does not exist as expected\n",
      exitCode: 1,
    });
    expect(
      describeTopics(image, {
        topics: ["nope"],
        ifExists: true,
        printElr: true,
        minIsrOf: () => 1,
      }),
    ).toEqual({ stdout: "", stderr: "", exitCode: 0 });
  });
});

describe("tools: kafka-topics --describe: filters", () => {
  // t-0 [1,2,3] full ISR; t-1 [2,3] loses 3 -> ISR [2]; t-2 [3] loses 3 -> leader none, ISR [3].
  function damaged(): MetadataImage {
    const image = cluster([1, 2, 3], { t: [[1, 2, 3], [2, 3], [3]] });
    applyAll(image, onBrokerFenced(image, 3, policy()));
    return image;
  }

  it("--under-replicated-partitions prints matching partitions and no topic line", () => {
    expect(stdout(damaged(), { underReplicated: true, printElr: false })).toBe(
      "\tTopic: t\tPartition: 0\tLeader: 1\tReplicas: 1,2,3\tIsr: 1,2\n" +
        "\tTopic: t\tPartition: 1\tLeader: 2\tReplicas: 2,3\tIsr: 2\n",
    );
  });

  it("--unavailable-partitions prints leaderless partitions", () => {
    expect(stdout(damaged(), { unavailable: true, printElr: false })).toBe(
      "\tTopic: t\tPartition: 2\tLeader: none\tReplicas: 3\tIsr: 3\n",
    );
  });

  it("--under-min-isr-partitions and --at-min-isr-partitions compare the ISR size to min.insync.replicas", () => {
    // min.insync.replicas=2: t-0 has 2 (at), t-1 has 1 (under), t-2 has no leader (under).
    const options = { printElr: false, minIsrOf: () => 2 };
    expect(stdout(damaged(), { ...options, underMinIsr: true })).toBe(
      "\tTopic: t\tPartition: 1\tLeader: 2\tReplicas: 2,3\tIsr: 2\n" +
        "\tTopic: t\tPartition: 2\tLeader: none\tReplicas: 3\tIsr: 3\n",
    );
    expect(stdout(damaged(), { ...options, atMinIsr: true })).toBe(
      "\tTopic: t\tPartition: 0\tLeader: 1\tReplicas: 1,2,3\tIsr: 1,2\n",
    );
  });

  it("--topics-with-overrides prints only topic lines of topics with non-default configs", () => {
    const image = cluster([1], { plain: [[1]], tuned: [[1]] });
    setConfig(image, "tuned", "retention.ms", "1000");
    expect(stdout(image, { topicsWithOverrides: true })).toBe(
      `Topic: tuned\tTopicId: ${idOf(image, "tuned")}\tPartitionCount: 1\tReplicationFactor: 1\tConfigs: retention.ms=1000\n`,
    );
  });
});
