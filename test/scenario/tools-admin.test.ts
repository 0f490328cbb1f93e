// scenario: the admin tools against a running cluster. kafka-topics.sh creates a topic and the
// next describe shows its partitions, --alter adds partitions (and refuses fewer), kafka-configs.sh
// sets a topic config the metadata then holds, a controlled shutdown moves a leader away and
// kafka-leader-election.sh brings it back, kafka-get-offsets.sh prints the leaders' high
// watermarks, kafka-metadata-quorum.sh describes the dedicated controller's quorum, and --delete
// removes the topic. In ZooKeeper mode the quorum tool gets Kafka's UnsupportedVersionException.
import { describe, expect, it } from "vitest";
import { parseScenarioText } from "../../sim/scenario/load.ts";
import { runScenario } from "../../sim/scenario/runner.ts";

const BS = "--bootstrap-server localhost:9092";

const TEXT = `version: 1
name: tools-admin
duration: 30s
cluster: { version: "4.1", brokers: 3, controllers: 1 }
topics:
  - { name: orders, partitions: 2, replication-factor: 3, assignment: [[1, 2, 3], [2, 3, 1]] }
clients:
  - id: producer-1
    type: producer
    workload: { topic: orders, rate: 100/s, value-size: 100B, until: 4s }
timeline:
  - at: 1s
    cli: kafka-topics.sh ${BS} --create --topic payments --partitions 3 --replication-factor 2 --config retention.ms=60000
  - at: 2s
    cli: kafka-topics.sh ${BS} --describe --topic payments
  - at: 2s
    cli: kafka-topics.sh ${BS} --create --topic payments
  - at: 3s
    cli: kafka-topics.sh ${BS} --alter --topic payments --partitions 5
  - at: 3500ms
    cli: kafka-topics.sh ${BS} --alter --topic payments --partitions 2
  - at: 4s
    cli: kafka-topics.sh ${BS} --describe --topic payments
  - at: 5s
    cli: kafka-configs.sh ${BS} --alter --entity-type topics --entity-name orders --add-config min.insync.replicas=2
  - at: 6s
    cli: kafka-configs.sh ${BS} --describe --entity-type topics --entity-name orders
  - at: 7s
    shutdown: 1
  - at: 9s
    cli: kafka-topics.sh ${BS} --describe --topic orders
  - at: 10s
    restart: 1
  - at: 20s
    cli: kafka-leader-election.sh ${BS} --election-type PREFERRED --topic orders --partition 0
  - at: 21s
    cli: kafka-topics.sh ${BS} --describe --topic orders
  - at: 22s
    cli: kafka-get-offsets.sh ${BS} --topic orders
  - at: 22s
    cli: kafka-get-offsets.sh ${BS} --topic orders --time -2 --partitions 1
  - at: 24s
    cli: kafka-topics.sh ${BS} --delete --topic payments
  - at: 25s
    cli: kafka-topics.sh ${BS} --list
  - at: 26s
    cli: kafka-metadata-quorum.sh ${BS} describe --status
  - at: 26s
    cli: kafka-metadata-quorum.sh ${BS} describe --replication
`;

describe("scenario: admin tools", () => {
  const ends = new Map<string, number>();
  let quorumHw = -1;
  let ordersConfigs: Record<string, string> = {};
  let topicsAtEnd: string[] = [];
  const r = runScenario(parseScenarioText(TEXT, "tools-admin.yaml"), {
    atEnd: ({ kafka }) => {
      const image = kafka!.image()!;
      topicsAtEnd = image.sortedTopicNames();
      ordersConfigs = { ...image.configsOf("TOPIC", "orders") };
      for (const b of kafka!.cluster.brokerSnapshots()) {
        for (const p of b.partitions) {
          if (p.role === "leader") ends.set(`${p.topic}-${p.partition}`, p.hw);
        }
      }
      quorumHw = kafka!.cluster
        .controllerSnapshots()
        .find((s) => s.role === "leader")!.highWatermark;
    },
  });
  const cli = (command: string, at?: number) => {
    const found = r.results.cli.filter(
      (c) => c.command.includes(command) && (at === undefined || c.atUs === at * 1_000_000),
    );
    expect(found.length, command).toBe(1);
    return found[0]!;
  };

  it("creates a topic that describe then shows, and refuses it twice", () => {
    expect(cli("--create --topic payments --partitions 3")).toMatchObject({
      output: "Created topic payments.\n",
      error: "",
    });
    const described = cli("--describe --topic payments", 2).output.split("\n");
    expect(described[0]).toMatch(
      /^Topic: payments\tTopicId: \S+\tPartitionCount: 3\tReplicationFactor: 2\tConfigs: retention\.ms=60000$/,
    );
    expect(described.filter((l) => l.startsWith("\tTopic: payments\tPartition: "))).toHaveLength(3);
    const again = cli("--create --topic payments", 2);
    expect(again.output).toBe(
      "Error while executing topic command : Topic 'payments' already exists.\n",
    );
    expect(again.error).toMatch(
      /^\[1970-01-01 00:00:02,000\] ERROR org\.apache\.kafka\.common\.errors\.TopicExistsException: Topic 'payments' already exists\.\n \(org\.apache\.kafka\.tools\.TopicCommand\)\n$/,
    );
  });

  it("adds partitions, and refuses to take them away", () => {
    expect(cli("--partitions 5")).toMatchObject({ output: "", error: "" });
    expect(cli("--describe --topic payments", 4).output).toContain("\tPartitionCount: 5\t");
    expect(cli("--partitions 2").output).toBe(
      "Error while executing topic command : Topic currently has 5 partitions, which is higher than the requested 2.\n",
    );
  });

  it("sets a topic config that the metadata holds and describe lists", () => {
    expect(cli("--add-config min.insync.replicas=2").output).toBe(
      "Completed updating config for topic orders.\n",
    );
    expect(cli("kafka-configs.sh --bootstrap-server localhost:9092 --describe").output).toBe(
      "Dynamic configs for topic orders are:\n" +
        "  min.insync.replicas=2 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:min.insync.replicas=2, DEFAULT_CONFIG:min.insync.replicas=1}\n",
    );
    expect(ordersConfigs).toEqual({ "min.insync.replicas": "2" });
  });

  it("gives the preferred leader its partition back after a controlled shutdown", () => {
    expect(cli("--describe --topic orders", 9).output).toContain("\tPartition: 0\tLeader: 2\t");
    expect(cli("kafka-leader-election.sh").output).toBe(
      "Successfully completed leader election (PREFERRED) for partitions orders-0\n",
    );
    expect(cli("--describe --topic orders", 21).output).toContain("\tPartition: 0\tLeader: 1\t");
  });

  it("prints each partition's high watermark, and the log start with --time -2", () => {
    expect(ends.get("orders-0")).toBeGreaterThan(0);
    const latest = r.results.cli.find(
      (c) => c.command === `kafka-get-offsets.sh ${BS} --topic orders`,
    )!;
    expect(latest.output).toBe(
      `orders:0:${ends.get("orders-0")}\norders:1:${ends.get("orders-1")}\n`,
    );
    expect(cli("--time -2").output).toBe("orders:1:0\n");
  });

  it("deletes the topic", () => {
    expect(cli("--delete --topic payments")).toMatchObject({ output: "", error: "" });
    expect(cli("--list").output).toBe("orders\n");
    expect(topicsAtEnd).toEqual(["orders"]);
  });

  it("describes the KRaft quorum: the dedicated controller leads, the brokers observe", () => {
    const status = cli("describe --status").output.split("\n");
    expect(status[1]).toBe("LeaderId:               4");
    expect(status[2]).toBe("LeaderEpoch:            1");
    expect(status[3]).toBe(`HighWatermark:          ${quorumHw}`);
    expect(status[6]).toBe(
      'CurrentVoters:          [{"id": 4, "endpoints": ["CONTROLLER://controller-4:9093"]}]',
    );
    expect(status[7]).toMatch(
      /^CurrentObservers: {7}\[\{"id": 1, "directoryId": "[\w-]{22}"\}, \{"id": 2, /,
    );
    const rows = cli("describe --replication")
      .output.trimEnd()
      .split("\n")
      .map((l) => l.split("\t").map((c) => c.trim()));
    expect(rows[0]).toEqual([
      "NodeId",
      "DirectoryId",
      "LogEndOffset",
      "Lag",
      "LastFetchTimestamp",
      "LastCaughtUpTimestamp",
      "Status",
      "",
    ]);
    expect(rows.slice(1).map((r) => [r[0], r[6]])).toEqual([
      ["4", "Leader"],
      ["1", "Observer"],
      ["2", "Observer"],
      ["3", "Observer"],
    ]);
  });
});

describe("scenario: admin tools in ZooKeeper mode", () => {
  it("creates topics through the ZooKeeper controller, and has no quorum to describe", () => {
    const r = runScenario(
      parseScenarioText(
        `version: 1
name: zk-tools
duration: 4s
cluster: { version: "3.6", mode: zookeeper, brokers: 3 }
timeline:
  - at: 1s
    cli: kafka-topics.sh ${BS} --create --topic t2 --partitions 2 --replication-factor 3
  - at: 2s
    cli: kafka-topics.sh ${BS} --describe --topic t2
  - at: 2s
    cli: kafka-metadata-quorum.sh ${BS} describe --status
`,
        "zk-tools.yaml",
      ),
    );
    const [create, describeT2, quorum] = r.results.cli;
    expect(create!.output).toBe("Created topic t2.\n");
    expect(describeT2!.output).toMatch(/PartitionCount: 2\tReplicationFactor: 3/);
    expect(quorum!.output).toBe("");
    expect(quorum!.error).toBe(
      "org.apache.kafka.common.errors.UnsupportedVersionException: The node does not support DESCRIBE_QUORUM\n" +
        "java.util.concurrent.ExecutionException: org.apache.kafka.common.errors.UnsupportedVersionException: The node does not support DESCRIBE_QUORUM\n",
    );
  });
});
