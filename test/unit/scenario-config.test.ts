/**
 * The scenario loader checks every Kafka `config` map against Kafka's definitions for the chosen
 * version profile, and the checks across fields that Kafka makes and the file shows. Each problem
 * names the file, line, column and field path; warnings (what Kafka accepts but changes the run)
 * come back in `Scenario.warnings`, located the same way.
 *
 * Columns are counted by hand from the text: a key's column is its indentation + 1; a value's is
 * the column of its key + the key's length + 2 (`: `). Comments at the end of the lines number them.
 */
import { describe, expect, it } from "vitest";
import { KAFKA_VERSIONS } from "../../sim/kafka/version.ts";
import { formatIssues, ScenarioError, type ScenarioIssue } from "../../sim/scenario/errors.ts";
import { parseScenarioText, type Scenario } from "../../sim/scenario/load.ts";
import { scenarioJsonSchemaText } from "../../sim/scenario/schema.ts";

function issuesOf(text: string): ScenarioIssue[] {
  try {
    parseScenarioText(text, "t.yaml");
  } catch (error) {
    if (error instanceof ScenarioError) return error.issues;
    throw error;
  }
  throw new Error("expected the scenario to be rejected");
}

function issueOf(text: string): ScenarioIssue {
  const issues = issuesOf(text);
  expect(issues, formatIssues(issues)).toHaveLength(1);
  return issues[0]!;
}

function load(text: string): Scenario {
  return parseScenarioText(text, "t.yaml");
}

const lines = (...text: string[]) => `${text.join("\n")}\n`;

describe("scenario config: names, types, ranges and allowed values, located", () => {
  it("an unknown producer config: at the key, with the nearest name", () => {
    const text = lines(
      "name: x", // 1
      "clients:", // 2
      "  - id: producer-1", // 3
      "    type: producer", // 4
      "    config:", // 5
      "      ack: all", // 6: `ack` at column 7
    );
    const issue = issueOf(text);
    expect(issue).toEqual({
      file: "t.yaml",
      line: 6,
      column: 7,
      path: "clients[0].config.ack",
      message: "unknown producer config `ack`",
      suggestion: "acks",
    });
    expect(formatIssues([issue])).toBe(
      "t.yaml:6:7: clients[0].config.ack: unknown producer config `ack` (did you mean `acks`?)",
    );
  });

  it("a value outside the allowed ones: at the value", () => {
    const text = lines(
      "name: x", // 1
      "clients:", // 2
      "  - id: producer-1", // 3
      "    type: producer", // 4
      "    config:", // 5
      "      acks: 2", // 6: `acks` at 7, its value at 7 + 4 + 2 = 13
    );
    expect(issueOf(text)).toEqual({
      file: "t.yaml",
      line: 6,
      column: 13,
      path: "clients[0].config.acks",
      message: "acks must be one of all, -1, 0, 1; got `2`",
    });
  });

  it("a consumer value with a typo gets the nearest allowed value", () => {
    // `    config: {auto.offset.reset: earliset}`: `{` at 13, the key at 14, the value at
    // 14 + 17 + 2 = 33.
    const text = lines(
      "name: x",
      "clients:",
      "  - id: c",
      "    type: consumer",
      "    config: {auto.offset.reset: earliset}", // 5
    );
    expect(issueOf(text)).toEqual({
      file: "t.yaml",
      line: 5,
      column: 33,
      path: 'clients[0].config["auto.offset.reset"]',
      message: "auto.offset.reset must be one of latest, earliest, none; got `earliset`",
      suggestion: "earliest",
    });
  });

  it("broker configs: a range, a type, and a topic config in the broker's place", () => {
    const text = lines(
      "name: x", // 1
      "cluster:", // 2
      "  config:", // 3
      "    min.insync.replicas: 0", // 4: value at 5 + 19 + 2 = 26
      "    log.retention.ms: 2d", // 5: value at 5 + 16 + 2 = 23
      "    retention.ms: 1000", // 6: the key at 5
    );
    expect(issuesOf(text)).toEqual([
      {
        file: "t.yaml",
        line: 4,
        column: 26,
        path: 'cluster.config["min.insync.replicas"]',
        message: "min.insync.replicas must be at least 1; got `0`",
      },
      {
        file: "t.yaml",
        line: 5,
        column: 23,
        path: 'cluster.config["log.retention.ms"]',
        message:
          "log.retention.ms must be a whole number; got `2d` (log.retention.ms takes a number of milliseconds, without a unit)",
      },
      {
        file: "t.yaml",
        line: 6,
        column: 5,
        path: 'cluster.config["retention.ms"]',
        message: "`retention.ms` is a topic config; the broker-wide default is `log.retention.ms`",
      },
    ]);
  });

  it("topic configs, in `topics` and in `create-topic`", () => {
    const text = lines(
      "name: x", // 1
      "topics:", // 2
      "  - name: orders", // 3
      "    config: {log.retention.ms: 1000}", // 4: the key at 14
      "timeline:", // 5
      "  - at: 1s", // 6
      "    create-topic: {name: t, config: {cleanup.policy: compacted}}", // 7
    );
    // Line 7: `    create-topic: {` is 19 characters, `name: t, ` 9 more, `config: {` 9 more: the key
    // `cleanup.policy` starts at column 38 and its value at 38 + 14 + 2 = 54.
    expect(issuesOf(text)).toEqual([
      {
        file: "t.yaml",
        line: 4,
        column: 14,
        path: 'topics[0].config["log.retention.ms"]',
        message: "`log.retention.ms` is a broker config; the topic config is `retention.ms`",
      },
      {
        file: "t.yaml",
        line: 7,
        column: 54,
        path: 'timeline[0].create-topic.config["cleanup.policy"]',
        message: "cleanup.policy items must be among compact, delete; got `compacted`",
        suggestion: "compact",
      },
    ]);
  });

  it("alter-config: values set and names deleted, topic or broker by entity", () => {
    const text = lines(
      "name: x", // 1
      "timeline:", // 2
      "  - at: 1s", // 3
      "    alter-config:", // 4
      "      topic: orders", // 5
      "      set: {retention.ms: -5}", // 6: `{` at 12, key at 13, value at 13 + 12 + 2 = 27
      "      delete: [retenton.ms]", // 7: `[` at 15, the name at 16
      "  - at: 2s", // 8
      "    alter-config:", // 9
      "      broker: 1", // 10
      "      set: {num.partitions: 4}", // 11: the key at 13
      "      delete: [log.cleaner.threads, retention.ms]", // 12: 16, then 16 + 19 + 2 = 37
    );
    expect(issuesOf(text)).toEqual([
      {
        file: "t.yaml",
        line: 6,
        column: 27,
        path: 'timeline[0].alter-config.set["retention.ms"]',
        message: "retention.ms must be at least -1; got `-5`",
      },
      {
        file: "t.yaml",
        line: 7,
        column: 16,
        path: "timeline[0].alter-config.delete[0]",
        message: "unknown topic config `retenton.ms`",
        suggestion: "retention.ms",
      },
      {
        // A static broker config: IncrementalAlterConfigs refuses it, as the controller will.
        file: "t.yaml",
        line: 11,
        column: 13,
        path: 'timeline[1].alter-config.set["num.partitions"]',
        message: "Cannot update these configs dynamically: num.partitions",
      },
      {
        file: "t.yaml",
        line: 12,
        column: 37,
        path: "timeline[1].alter-config.delete[1]",
        message: "`retention.ms` is a topic config; the broker-wide default is `log.retention.ms`",
      },
    ]);
  });

  it("a valid file keeps its configs as written and has no warnings", () => {
    const s = load(
      lines(
        "name: x",
        "cluster: {config: {min.insync.replicas: 2, log.retention.hours: 24}}",
        "topics: [{name: t, replication-factor: 3, config: {cleanup.policy: compact}}]",
        "clients:",
        "  - {id: p, type: producer, config: {acks: all, enable.idempotence: true, linger.ms: 5}}",
        "  - {id: c, type: consumer, group: g, config: {auto.offset.reset: earliest}}",
        "timeline: [{at: 1s, alter-config: {broker: 1, set: {log.cleaner.threads: 2}}}]",
      ),
    );
    expect(s.warnings).toEqual([]);
    expect(s.clients[0]!.config).toEqual({
      acks: "all",
      "enable.idempotence": true,
      "linger.ms": 5,
    });
  });
});

describe("scenario config: warnings are located and returned, never silent", () => {
  it("configs the chosen version does not have", () => {
    const text = lines(
      "name: x", // 1
      "cluster:", // 2
      '  version: "3.6"', // 3
      "  config:", // 4
      "    eligible.leader.replicas.version: 1", // 5: the key at 5
      "clients:", // 6
      "  - id: c", // 7
      "    type: consumer", // 8
      "    config:", // 9
      "      group.protocol: consumer", // 10: the key at 7
    );
    const s = load(text);
    expect(s.warnings).toEqual([
      {
        file: "t.yaml",
        line: 5,
        column: 5,
        path: 'cluster.config["eligible.leader.replicas.version"]',
        message:
          "`eligible.leader.replicas.version` does not exist in Kafka 3.6 (added in 4.0); it is ignored",
      },
      {
        file: "t.yaml",
        line: 10,
        column: 7,
        path: 'clients[0].config["group.protocol"]',
        message: "`group.protocol` does not exist in Kafka 3.6 (added in 3.7); it is ignored",
      },
    ]);
    // The same file on 4.1 has both configs: nothing to say.
    expect(load(text.replace('"3.6"', '"4.1"')).warnings).toEqual([]);
  });

  it("min.insync.replicas above the replication factor: accepted, with a warning", () => {
    const text = lines(
      "name: x", // 1
      "cluster:", // 2
      "  config: {min.insync.replicas: 2}", // 3
      "topics:", // 4
      "  - name: a", // 5
      "    replication-factor: 1", // 6: value at 5 + 18 + 2 = 25
      "  - name: b", // 7
      "    replication-factor: 2", // 8
      "    config: {min.insync.replicas: 3}", // 9: `{` at 13, key at 14, value at 14 + 19 + 2 = 35
      "  - name: c", // 10: 2 = 2, nothing to say
      "    replication-factor: 2", // 11
    );
    expect(load(text).warnings).toEqual([
      {
        file: "t.yaml",
        line: 6,
        column: 25,
        path: "topics[0].replication-factor",
        message:
          "min.insync.replicas is 2 (the cluster's) but the replication factor is 1: Kafka creates the topic, and every acks=all write to it fails with NOT_ENOUGH_REPLICAS",
      },
      {
        file: "t.yaml",
        line: 9,
        column: 35,
        path: 'topics[1].config["min.insync.replicas"]',
        message:
          "min.insync.replicas is 3 but the replication factor is 2: Kafka creates the topic, and every acks=all write to it fails with NOT_ENOUGH_REPLICAS",
      },
    ]);
  });

  it("an unknown key is an error, not a warning: the file is rejected", () => {
    expect(issuesOf("name: x\ncluster: {config: {num.partition: 3}}\n")).toMatchObject([
      { path: 'cluster.config["num.partition"]', suggestion: "num.partitions" },
    ]);
  });
});

describe("scenario config: checks across fields that Kafka makes", () => {
  it("replication factor above the brokers, in Kafka's words for each metadata mode", () => {
    const kraft = lines(
      "name: x", // 1: version 4.1, KRaft, 3 brokers by default
      "topics:", // 2
      "  - name: orders", // 3
      "    replication-factor: 4", // 4: value at 25
    );
    expect(issueOf(kraft)).toEqual({
      file: "t.yaml",
      line: 4,
      column: 25,
      path: "topics[0].replication-factor",
      message:
        "Unable to replicate the partition 4 time(s): The target replication factor of 4 cannot be reached because only 3 broker(s) are registered.",
    });
    // ZooKeeper mode (2.8): AdminUtils' message, as kafka-topics printed it then.
    const zk = kraft.replace("name: x\n", 'name: x\ncluster: {version: "2.8"}\n');
    expect(issueOf(zk)).toMatchObject({
      line: 5,
      column: 25,
      message: "Replication factor: 4 larger than available brokers: 3.",
    });
  });

  it("replication factor from default.replication.factor, and in create-topic", () => {
    const text = lines(
      "name: x", // 1
      "cluster: {brokers: 2, config: {default.replication.factor: 3}}", // 2
      "topics:", // 3
      "  - name: orders", // 4: the topic's map starts at column 5
      "timeline:", // 5
      "  - at: 1s", // 6
      "    create-topic: {name: t, replication-factor: 2}", // 7: fits 2 brokers
    );
    expect(issueOf(text)).toEqual({
      file: "t.yaml",
      line: 4,
      column: 5,
      path: "topics[0]",
      message:
        "Unable to replicate the partition 3 time(s): The target replication factor of 3 cannot be reached because only 2 broker(s) are registered. The topic sets no `replication-factor`, so it takes default.replication.factor (3).",
    });
    // `    create-topic: {name: t, ` is 28 characters: `replication-factor` at 29, its value at
    // 29 + 18 + 2 = 49.
    const both = issuesOf(text.replace("replication-factor: 2", "replication-factor: 5"));
    expect(both).toHaveLength(2);
    expect(both[1]).toMatchObject({
      line: 7,
      column: 49,
      path: "timeline[0].create-topic.replication-factor",
    });
  });

  it("partitions must be at least 1", () => {
    // `    partitions: 0`: value at 5 + 10 + 2 = 17.
    expect(issueOf("name: x\ntopics:\n  - name: t\n    partitions: 0\n")).toEqual({
      file: "t.yaml",
      line: 4,
      column: 17,
      path: "topics[0].partitions",
      message: "must be at least 1; got `0`",
    });
  });

  it("a manual assignment: lengths that differ, a broker twice, a broker that does not exist", () => {
    // `    assignment: [[1, 2], [2], [3, 3], [1, 9]]`: the outer `[` at 17; `[1, 2]` at 18,
    // `[2]` at 26, `[3, 3]` at 31 (its second 3 at 35), `[1, 9]` at 39 (the 9 at 43).
    const text = lines(
      "name: x",
      "topics:",
      "  - name: t",
      "    assignment: [[1, 2], [2], [3, 3], [1, 9]]",
    );
    expect(issuesOf(text)).toEqual([
      {
        file: "t.yaml",
        line: 4,
        column: 26,
        path: "topics[0].assignment[1]",
        message:
          "The manual partition assignment includes a partition with 1 replica(s), but this is not consistent with previous partitions, which have 2 replica(s).",
      },
      {
        file: "t.yaml",
        line: 4,
        column: 35,
        path: "topics[0].assignment[2][1]",
        message: "The manual partition assignment includes the broker 3 more than once.",
      },
      {
        file: "t.yaml",
        line: 4,
        column: 43,
        path: "topics[0].assignment[3][1]",
        message: "unknown broker id `9` (brokers: 1, 2, 3)",
      },
    ]);
  });

  it("the idempotent producer's rules, in KafkaProducer's ConfigException words", () => {
    const producer = (config: string) =>
      lines("name: x", "clients:", "  - id: p", "    type: producer", `    config: {${config}}`);
    // Line 5 is `    config: {`, 13 characters: the first key is at column 14.
    // enable.idempotence=true (14 + 18 + 2 + 4 + 2 = 40 for `acks`), acks=1: the value at 46.
    expect(issueOf(producer("enable.idempotence: true, acks: 1"))).toEqual({
      file: "t.yaml",
      line: 5,
      column: 46,
      path: "clients[0].config.acks",
      message:
        "Must set acks to all in order to use the idempotent producer. Otherwise we cannot guarantee idempotence.",
    });
    expect(
      issueOf(producer("enable.idempotence: true, max.in.flight.requests.per.connection: 6")),
    ).toMatchObject({
      path: 'clients[0].config["max.in.flight.requests.per.connection"]',
      message:
        "To use the idempotent producer, max.in.flight.requests.per.connection must be set to at most 5. Current value is 6.",
    });
    expect(issueOf(producer("enable.idempotence: true, retries: 0"))).toMatchObject({
      path: "clients[0].config.retries",
      message: "Must set retries to non-zero when using the idempotent producer.",
    });
    expect(issueOf(producer("transactional.id: tx, enable.idempotence: false"))).toMatchObject({
      path: 'clients[0].config["enable.idempotence"]',
      message: "Cannot set a transactional.id without also enabling idempotence.",
    });
    // Idempotence only by default (4.1): acks=1 turns it off, as Kafka does; no error.
    expect(load(producer("acks: 1")).warnings).toEqual([]);
    // Before 3.0 the default acks was 1: explicit idempotence alone conflicts with it; the
    // default is not in the file, so the issue points at enable.idempotence's value (14 + 20 = 34).
    const old = producer("enable.idempotence: true").replace(
      "name: x\n",
      'name: x\ncluster: {version: "2.8"}\n',
    );
    expect(issueOf(old)).toMatchObject({
      line: 6,
      column: 34,
      path: 'clients[0].config["enable.idempotence"]',
      message:
        "Must set acks to all in order to use the idempotent producer. Otherwise we cannot guarantee idempotence.",
    });
  });

  it("a wrong value is one problem: checks across fields do not run on the default instead", () => {
    // acks: 2 is wrong; with acks's default, idempotence would pass or fail by accident.
    const text =
      "name: x\nclients: [{id: p, type: producer, config: {enable.idempotence: true, acks: 2}}]\n";
    expect(issueOf(text).message).toBe("acks must be one of all, -1, 0, 1; got `2`");
  });

  it("broker and topic checks across configs", () => {
    // replica.fetch.wait.max.ms defaults to 500: a lag time of 100 ms is below it.
    const broker = issueOf("name: x\ncluster: {config: {replica.lag.time.max.ms: 100}}\n");
    expect(broker).toMatchObject({
      path: 'cluster.config["replica.lag.time.max.ms"]',
      message:
        "replica.fetch.wait.max.ms (500) must not exceed replica.lag.time.max.ms (100), or followers would drop out of the ISR while they wait",
    });
    const topic = issueOf(
      "name: x\ntopics: [{name: t, config: {min.compaction.lag.ms: 10, max.compaction.lag.ms: 5}}]\n",
    );
    expect(topic).toMatchObject({
      path: 'topics[0].config["min.compaction.lag.ms"]',
      message: "min.compaction.lag.ms (10) must not exceed max.compaction.lag.ms (5)",
    });
  });
});

describe("scenario config: version profiles are the releases sim/kafka/version.ts models", () => {
  it("every modelled release loads, in its default metadata mode", () => {
    for (const version of KAFKA_VERSIONS) {
      const s = load(`name: x\ncluster: {version: "${version}"}\n`);
      expect(s.cluster!.version).toBe(version);
      // KRaft from 3.3 (the simulator's first KRaft profile), ZooKeeper before.
      const kraft = Number(version.split(".")[0]) * 100 + Number(version.split(".")[1]) >= 303;
      expect(s.cluster!.mode, version).toBe(kraft ? "kraft" : "zookeeper");
    }
  });

  it("unknown versions: the nearest modelled release is suggested", () => {
    // `cluster: {version: ` is 19 characters: the value at column 20.
    expect(issueOf('name: x\ncluster: {version: "3.10"}\n')).toEqual({
      file: "t.yaml",
      line: 2,
      column: 20,
      path: "cluster.version",
      message: "Kafka 3.10 is not a modelled version; the nearest are 3.9 and 4.0",
      suggestion: "3.9",
    });
    expect(issueOf('name: x\ncluster: {version: "3.6.1"}\n')).toMatchObject({
      message: 'write the version profile as "3.6" (major.minor); got `3.6.1`',
      suggestion: "3.6",
    });
    // Older than the oldest: the suggestion is quoted, since 0.10 unquoted reads as 0.1.
    expect(issueOf('name: x\ncluster: {version: "0.9"}\n')).toMatchObject({
      message: "Kafka 0.9 is older than the oldest modelled version, 0.10",
      suggestion: '"0.10"',
    });
    expect(issueOf("name: x\ncluster: {version: 0.10}\n")).toMatchObject({
      column: 20,
      message: 'YAML reads 0.10 as the number 0.1: write the version in quotes, "0.10"',
      suggestion: '"0.10"',
    });
    // A YAML number whose text is a profile is accepted.
    expect(load("name: x\ncluster: {version: 4.0}\n").cluster!.version).toBe("4.0");
  });

  it("metadata modes per release", () => {
    expect(issueOf('name: x\ncluster: {version: "4.0", mode: zookeeper}\n').message).toBe(
      'Kafka 4.0 and later run in KRaft mode only; use version "3.9" or older for zookeeper (got "4.0")',
    );
    expect(issueOf('name: x\ncluster: {version: "3.2", mode: kraft}\n').message).toBe(
      'KRaft came with Kafka 2.8 (early access) and 3.3 (production); the simulator offers it from "3.3" on, and version "3.2" runs zookeeper',
    );
    expect(load('name: x\ncluster: {version: "3.9", mode: zookeeper}\n').cluster!.mode).toBe(
      "zookeeper",
    );
  });

  it("the generated schema lists every profile", () => {
    const schema = JSON.parse(scenarioJsonSchemaText()) as {
      properties: { cluster: { properties: { version: { anyOf: { enum?: string[] }[] } } } };
    };
    const version = schema.properties.cluster.properties.version;
    expect(version.anyOf[0]!.enum).toEqual([...KAFKA_VERSIONS]);
  });
});
