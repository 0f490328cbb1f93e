// Cluster presets: `cluster: {preset: NAME}` expands to the docker-compose topology of that name
// (1 or 3 ZooKeeper nodes and 1 or 3 brokers; KRaft combined or dedicated), the file's own keys
// override the preset's, and a preset that cannot run on the chosen version is a located error.
import { describe, expect, it } from "vitest";
import { formatIssues, ScenarioError, type ScenarioIssue } from "../../sim/scenario/errors.ts";
import { type ClusterSpec, parseScenarioText } from "../../sim/scenario/load.ts";
import { CLUSTER_PRESETS, PRESET_NAMES } from "../../sim/scenario/presets.ts";
import { runScenario } from "../../sim/scenario/runner.ts";
import { scenarioJsonSchemaText } from "../../sim/scenario/schema.ts";

function clusterOf(clusterYaml: string): ClusterSpec {
  const s = parseScenarioText(`name: p\ncluster:\n${clusterYaml}`, "p.yaml");
  expect(s.warnings).toEqual([]);
  return s.cluster!;
}

function issuesOf(clusterYaml: string): ScenarioIssue[] {
  try {
    parseScenarioText(`name: p\ncluster:\n${clusterYaml}`, "p.yaml");
  } catch (error) {
    if (error instanceof ScenarioError) return error.issues;
    throw error;
  }
  throw new Error("expected the scenario to be rejected");
}

const SINGLE_BROKER_CONFIG = {
  "offsets.topic.replication.factor": 1,
  "transaction.state.log.replication.factor": 1,
  "transaction.state.log.min.isr": 1,
};

describe("scenario presets: each preset's topology", () => {
  it("zk-single-kafka-single: one ZooKeeper node, broker 1, version 3.6, internal topics RF 1", () => {
    const c = clusterOf("  preset: zk-single-kafka-single\n");
    expect(c.preset).toBe("zk-single-kafka-single");
    expect(c.version).toBe("3.6");
    expect(c.mode).toBe("zookeeper");
    expect(c.brokers.map((b) => b.id)).toEqual([1]);
    expect(c.controllers).toEqual({ kind: "zookeeper", nodes: ["zookeeper-1"] });
    expect(c.config).toEqual(SINGLE_BROKER_CONFIG);
  });

  it("zk-single-kafka-multiple: one ZooKeeper node, brokers 1..3, Kafka's own internal-topic RF", () => {
    const c = clusterOf("  preset: zk-single-kafka-multiple\n");
    expect(c.mode).toBe("zookeeper");
    expect(c.version).toBe("3.6");
    expect(c.brokers.map((b) => b.id)).toEqual([1, 2, 3]);
    expect(c.controllers).toEqual({ kind: "zookeeper", nodes: ["zookeeper-1"] });
    expect(c.config).toEqual({});
  });

  it("zk-multiple-kafka-single: a three-node ensemble, one broker with internal topics RF 1", () => {
    const c = clusterOf("  preset: zk-multiple-kafka-single\n");
    expect(c.mode).toBe("zookeeper");
    expect(c.brokers.map((b) => b.id)).toEqual([1]);
    expect(c.controllers).toEqual({
      kind: "zookeeper",
      nodes: ["zookeeper-1", "zookeeper-2", "zookeeper-3"],
    });
    expect(c.config).toEqual(SINGLE_BROKER_CONFIG);
  });

  it("zk-multiple-kafka-multiple: three ZooKeeper nodes and three brokers", () => {
    const c = clusterOf("  preset: zk-multiple-kafka-multiple\n");
    expect(c.mode).toBe("zookeeper");
    expect(c.brokers.map((b) => b.id)).toEqual([1, 2, 3]);
    expect(c.controllers.kind).toBe("zookeeper");
    expect(c.controllers.kind === "zookeeper" && c.controllers.nodes).toHaveLength(3);
  });

  it("kraft-combined: three nodes that are brokers and voters, the default version", () => {
    const c = clusterOf("  preset: kraft-combined\n");
    expect(c.mode).toBe("kraft");
    expect(c.version).toBe("4.1");
    expect(c.brokers.map((b) => b.id)).toEqual([1, 2, 3]);
    expect(c.controllers).toEqual({ kind: "combined", voterIds: [1, 2, 3] });
  });

  it("kraft-dedicated-controllers: brokers 1..3 and controllers 4..6", () => {
    const c = clusterOf("  preset: kraft-dedicated-controllers\n");
    expect(c.mode).toBe("kraft");
    expect(c.brokers.map((b) => b.id)).toEqual([1, 2, 3]);
    expect(c.controllers).toEqual({ kind: "dedicated", ids: [4, 5, 6] });
  });

  it("every preset name is in the schema's enum, and every preset loads on its own", () => {
    const schema = JSON.parse(scenarioJsonSchemaText());
    const text = JSON.stringify(schema);
    for (const name of PRESET_NAMES) {
      expect(text).toContain(`"${name}"`);
      expect(CLUSTER_PRESETS[name].name).toBe(name);
      expect(clusterOf(`  preset: ${name}\n`).preset).toBe(name);
    }
  });
});

describe("scenario presets: the file's keys override the preset's", () => {
  it("version, brokers and controllers given in the file win", () => {
    const c = clusterOf(
      '  preset: zk-single-kafka-multiple\n  version: "2.8"\n  brokers: 5\n  controllers: 3\n',
    );
    expect(c.version).toBe("2.8");
    expect(c.brokers.map((b) => b.id)).toEqual([1, 2, 3, 4, 5]);
    expect(c.controllers).toEqual({
      kind: "zookeeper",
      nodes: ["zookeeper-1", "zookeeper-2", "zookeeper-3"],
    });
  });

  it("config is merged key by key: the file's value wins, the preset's others stay", () => {
    const c = clusterOf(
      "  preset: zk-single-kafka-single\n  config:\n    offsets.topic.replication.factor: 1\n    transaction.state.log.min.isr: 1\n    log.retention.ms: 60000\n",
    );
    expect(c.config).toEqual({ ...SINGLE_BROKER_CONFIG, "log.retention.ms": 60000 });
  });

  it("a KRaft preset takes a ZooKeeper-era mode override with a version that has it", () => {
    const c = clusterOf(
      '  preset: kraft-combined\n  version: "3.6"\n  mode: zookeeper\n  controllers: 1\n',
    );
    expect(c.mode).toBe("zookeeper");
    expect(c.controllers).toEqual({ kind: "zookeeper", nodes: ["zookeeper-1"] });
  });

  it("a preset's configs the version does not have are left out (0.10 has no transaction log)", () => {
    const c = clusterOf('  preset: zk-single-kafka-single\n  version: "0.10"\n');
    expect(c.config).toEqual({ "offsets.topic.replication.factor": 1 });
  });

  it("brokers named by a preset are nodes that faults can name", () => {
    const s = parseScenarioText(
      "name: p\ncluster: {preset: zk-multiple-kafka-single}\ntimeline:\n  - {at: 1s, crash: zookeeper-3}\n",
      "p.yaml",
    );
    expect(s.timeline[0]!.action).toEqual({ kind: "crash", node: "zookeeper-3", mode: "process" });
  });
});

describe("scenario presets: errors are located and suggest a fix", () => {
  it("a ZooKeeper preset on 4.x says ZooKeeper mode ended in 4.0 and names a KRaft preset", () => {
    const issues = issuesOf('  preset: zk-single-kafka-single\n  version: "4.0"\n');
    expect(issues, formatIssues(issues)).toHaveLength(1);
    const issue = issues[0]!;
    expect(issue.path).toBe("cluster.preset");
    expect([issue.line, issue.column]).toEqual([3, 11]);
    expect(issue.message).toContain("ZooKeeper mode ended with Kafka 4.0");
    expect(issue.message).toContain("`kraft-combined` with `brokers: 1`");
    expect(issue.suggestion).toBe("kraft-combined");
  });

  it("zk-multiple-kafka-multiple on 4.1 (a YAML number) suggests dedicated controllers", () => {
    const issues = issuesOf("  preset: zk-multiple-kafka-multiple\n  version: 4.1\n");
    expect(issues, formatIssues(issues)).toHaveLength(1);
    expect(issues[0]!.suggestion).toBe("kraft-dedicated-controllers");
  });

  it("a KRaft preset before 3.3 names a ZooKeeper preset", () => {
    const issues = issuesOf('  preset: kraft-dedicated-controllers\n  version: "2.8"\n');
    expect(issues, formatIssues(issues)).toHaveLength(1);
    expect(issues[0]!.message).toContain('offers from "3.3"');
    expect(issues[0]!.suggestion).toBe("zk-multiple-kafka-multiple");
  });

  it("an unknown preset is located and the nearest name suggested", () => {
    const issues = issuesOf("  preset: kraft-combine\n");
    expect(issues, formatIssues(issues)).toHaveLength(1);
    expect(issues[0]!.path).toBe("cluster.preset");
    expect([issues[0]!.line, issues[0]!.column]).toEqual([3, 11]);
    expect(issues[0]!.suggestion).toBe("kraft-combined");
    expect(issues[0]!.message).toContain("zk-single-kafka-single");
  });

  it("a misspelt ZooKeeper preset finds its neighbour", () => {
    const issues = issuesOf("  preset: zk-single-kafka-multi\n");
    expect(issues[0]!.suggestion).toBe("zk-single-kafka-multiple");
  });
});

describe("scenario presets: a single-broker preset runs", () => {
  it("zk-single-kafka-single: the one broker leads its partition and a group settles", () => {
    const s = parseScenarioText(
      `name: single
duration: 20s
cluster: {preset: zk-single-kafka-single}
topics: [{name: t, partitions: 1}]
clients:
  - {id: producer-1, type: producer, workload: {topic: t, rate: 100/s, until: 5s}}
  - {id: consumer-1, type: consumer, group: g, subscribe: [t]}
expect:
  - {at: end, partition: {topic: t, partition: 0, leader: 1, isr: [1]}}
  - {at: end, group: {id: g, state: Stable, members: 1, lag: 0}}
`,
      "single.yaml",
    );
    const report = runScenario(s);
    expect(report.results.expectations, JSON.stringify(report.results.expectations)).toHaveLength(
      2,
    );
    expect(report.results.ok, JSON.stringify(report.results.expectations)).toBe(true);
  });
});
