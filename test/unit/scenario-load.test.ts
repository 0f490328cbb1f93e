import { readFileSync } from "node:fs";
import Ajv from "ajv";
import { describe, expect, it } from "vitest";
import { formatIssues, ScenarioError, type ScenarioIssue } from "../../sim/scenario/errors.ts";
import { parseScenarioText, type Scenario, type TimelineEntry } from "../../sim/scenario/load.ts";
import { loadScenarioFile } from "../../sim/scenario/load-file.ts";
import { scenarioJsonSchemaText } from "../../sim/scenario/schema.ts";

/** The issues a text is rejected with; fails the test if it loads. */
function issuesOf(text: string, file = "t.yaml"): ScenarioIssue[] {
  try {
    parseScenarioText(text, file);
  } catch (error) {
    if (error instanceof ScenarioError) return error.issues;
    throw error;
  }
  throw new Error("expected the scenario to be rejected");
}

/** The single issue a text is rejected with. */
function issueOf(text: string, file = "t.yaml"): ScenarioIssue {
  const issues = issuesOf(text, file);
  expect(issues, formatIssues(issues)).toHaveLength(1);
  return issues[0]!;
}

const actions = (s: Scenario) => s.timeline.map((e: TimelineEntry) => e.action);

describe("scenario loader: a machine-level lesson (hosts and transfer)", () => {
  const text = [
    "version: 1", // 1
    "name: Zero copy", // 2
    "seed: 7", // 3
    "hosts:", // 4
    "  - name: a", // 5
    "    disk: hdd", // 6
    "    memory: 1GiB", // 7
    "  - name: b", // 8
    "    disk: {profile: nvme, write-bandwidth: 330MB/s, read-bandwidth: 2GB/s, seek: 0.1ms, fsync: 1ms}",
    "    network: {profile: 25GbE, bandwidth: 23Gbps}", // 10
    "    cores: 4", // 11
    "timeline:", // 12
    "  - at: 1s", // 13
    "    transfer: {from: a, to: b, size: 1GiB, mode: sendfile, read: sequential}",
    "  - at: 500ms", // 15
    "    say: Watch the page cache.",
    "  - at: 1s", // 17
    "    transfer: {from: b, to: a, size: 16KiB, mode: tls}",
    "  - at: 3s", // 19
    "    crash: {node: a, mode: power}",
    "  - at: 4s", // 21
    "    heal: all",
    "",
  ].join("\n");
  const scenario = parseScenarioText(text, "zero-copy.yaml");

  it("normalizes hosts: profiles, overrides in bytes/s, µs and bits/s, nulls for the rest", () => {
    expect(scenario.cluster).toBeNull(); // bare hosts, no cluster
    expect(scenario.hosts).toEqual([
      {
        name: "a",
        disk: {
          profile: "hdd",
          readBandwidthBytesPerSec: null,
          writeBandwidthBytesPerSec: null,
          seekUs: null,
          rotationalLatencyUs: null,
          accessLatencyUs: null,
          readIops: null,
          writeIops: null,
          fsyncUs: null,
        },
        network: null,
        memoryBytes: 1_073_741_824, // 1 GiB = 2^30
        cores: null,
      },
      {
        name: "b",
        disk: {
          profile: "nvme",
          readBandwidthBytesPerSec: 2_000_000_000, // 2 GB/s, powers of ten
          writeBandwidthBytesPerSec: 330_000_000,
          seekUs: 100, // 0.1 ms
          rotationalLatencyUs: null,
          accessLatencyUs: null,
          readIops: null,
          writeIops: null,
          fsyncUs: 1000,
        },
        network: { profile: "25GbE", bandwidthBitsPerSec: 23_000_000_000 },
        memoryBytes: null,
        cores: 4,
      },
    ]);
    expect(scenario.nodes).toEqual([
      { name: "a", role: "host" },
      { name: "b", role: "host" },
    ]);
  });

  it("sorts the timeline by time, keeping file order for equal times", () => {
    // Entries at 1s, 0.5s, 1s, 3s, 4s: the 0.5s entry moves first; the two 1s entries keep order.
    expect(scenario.timeline.map((e) => [e.atUs, e.index])).toEqual([
      [500_000, 1],
      [1_000_000, 0],
      [1_000_000, 2],
      [3_000_000, 3],
      [4_000_000, 4],
    ]);
    expect(actions(scenario)).toEqual([
      { kind: "say", text: "Watch the page cache." },
      {
        kind: "transfer",
        from: "a",
        to: "b",
        sizeBytes: 1_073_741_824,
        mode: "sendfile",
        read: "sequential",
      },
      // `read` omitted: sequential, the schema's documented default.
      { kind: "transfer", from: "b", to: "a", sizeBytes: 16_384, mode: "tls", read: "sequential" },
      { kind: "crash", node: "a", mode: "power" },
      { kind: "heal", target: "all" },
    ]);
  });

  it("keeps each entry's location, the seed, the default duration and the text", () => {
    expect(scenario.timeline[0]!.source).toEqual({
      file: "zero-copy.yaml",
      line: 15,
      column: 5,
      path: "timeline[1]",
    });
    expect(scenario.seed).toBe(7);
    expect(scenario.durationUs).toBe(14_000_000); // last entry at 4 s + 10 s
    expect(scenario.source).toEqual({ file: "zero-copy.yaml", text });
  });
});

describe("scenario loader: the format's own examples", () => {
  // Top level, cluster, topics, clients and expect as written in scenario-format.md.
  const text = `version: 1
name: Leader failover with acks=1          # required
description: >                             # plain text, never rendered as HTML
  A producer with acks=1 keeps writing while the leader dies.
seed: 42                                   # default 1; the CLI's --seed overrides it
duration: 30s                              # default: last timeline entry + 10s
cluster:
  preset: kraft-combined
  version: "4.1"
  mode: kraft
  brokers: 3
  controllers: combined
  hardware:
    disk: ssd
    disks: 1
    network: 10GbE
    memory: 16GiB
    cores: 8
  network:
    latency: 0.2ms
    jitter: 0.05ms
  config:
    min.insync.replicas: 2
    unclean.leader.election.enable: false
topics:
  - name: orders
    partitions: 3
    replication-factor: 3
    config: { retention.ms: 172800000, cleanup.policy: delete }
    assignment: [[1, 2, 3], [2, 3, 1], [3, 1, 2]]
clients:
  - id: producer-1
    type: producer
    config: { acks: all, enable.idempotence: true, linger.ms: 5 }
    workload:
      topic: orders
      rate: 1000/s
      arrival: fixed
      keys: uniform(100)
      value-size: 100B
      from: 0s
      until: 20s
  - id: consumer-1
    type: consumer
    group: billing
    subscribe: [orders]
    config: { enable.auto.commit: true, auto.offset.reset: earliest }
    processing-time: 1ms
timeline:
  - at: 5s
    crash: 1
  - at: 6s
    partition: [[1], [2, 3, producer-1]]
  - at: 7s
    cli: kafka-topics.sh --describe --topic orders
  - at: 8s
    ask: {question: Who leads partition 0 now?, answer: Broker 2}
  - at: 9s
    expect: {partition: {topic: orders, partition: 0, leader: 2}}
  - at: 10s
    restart: "1"
expect:
  - check: no-lost-acked-writes     # a checker over the whole run
    holds: false                    # this scenario is meant to show a loss
  - at: 12s
    partition: { topic: orders, partition: 0, leader: 2, isr: [2, 3] }
  - at: 20s
    partition: { topic: orders, partition: 1, leader: none }
  - at: end
    group: { id: billing, state: Stable, members: 3, lag: 0 }
`;
  const scenario = parseScenarioText(text, "failover.yaml");

  it("reads the top level", () => {
    expect(scenario.name).toBe("Leader failover with acks=1");
    expect(scenario.description).toBe(
      "A producer with acks=1 keeps writing while the leader dies.\n",
    );
    expect(scenario.seed).toBe(42);
    expect(scenario.durationUs).toBe(30_000_000);
  });

  it("normalizes the cluster", () => {
    const cluster = scenario.cluster!;
    expect(cluster.preset).toBe("kraft-combined");
    expect(cluster.version).toBe("4.1");
    expect(cluster.mode).toBe("kraft");
    expect(cluster.brokers.map((b) => b.node)).toEqual(["1", "2", "3"]);
    expect(cluster.controllers).toEqual({ kind: "combined", voterIds: [1, 2, 3] });
    expect(cluster.hardware.memoryBytes).toBe(17_179_869_184); // 16 × 2^30
    expect(cluster.hardware.disk?.profile).toBe("ssd");
    expect(cluster.hardware.network).toEqual({ profile: "10GbE", bandwidthBitsPerSec: null });
    expect(cluster.network).toEqual({ latencyUs: 200, jitterUs: 50 });
    expect(cluster.config).toEqual({
      "min.insync.replicas": 2,
      "unclean.leader.election.enable": false,
    });
  });

  it("normalizes topics and clients lightly", () => {
    expect(scenario.topics).toEqual([
      {
        name: "orders",
        partitions: 3,
        replicationFactor: 3,
        config: { "retention.ms": 172_800_000, "cleanup.policy": "delete" },
        assignment: [
          [1, 2, 3],
          [2, 3, 1],
          [3, 1, 2],
        ],
      },
    ]);
    const [producer, consumer] = scenario.clients;
    expect(producer).toEqual({
      type: "producer",
      id: "producer-1",
      config: { acks: "all", "enable.idempotence": true, "linger.ms": 5 },
      workload: {
        topic: "orders",
        rate: { recordsPerSec: 1000 },
        arrival: "fixed",
        keys: { kind: "uniform", n: 100 },
        valueSizeBytes: 100,
        fromUs: 0,
        untilUs: 20_000_000,
        count: null,
      },
      payloads: false,
    });
    expect(consumer).toEqual({
      type: "consumer",
      id: "consumer-1",
      group: "billing",
      subscribe: ["orders"],
      config: { "enable.auto.commit": true, "auto.offset.reset": "earliest" },
      processingTimeUs: 1000,
      processing: "sync",
      commit: "none",
      payloads: false,
    });
  });

  it('normalizes timeline actions; broker 1 and "1" are the same node', () => {
    expect(actions(scenario)).toEqual([
      { kind: "crash", node: "1", mode: "process" },
      { kind: "partition", groups: [["1"], ["2", "3", "producer-1"]] },
      { kind: "cli", command: "kafka-topics.sh --describe --topic orders", input: [] },
      { kind: "ask", question: "Who leads partition 0 now?", answer: "Broker 2" },
      {
        kind: "expect",
        expectation: expect.objectContaining({ kind: "partition", atUs: 9_000_000, leader: 2 }),
      },
      { kind: "restart", node: "1" },
    ]);
  });

  it("normalizes expectations", () => {
    const [check, p0, p1, group] = scenario.expect;
    expect(check).toMatchObject({ kind: "check", check: "no-lost-acked-writes", holds: false });
    expect(p0).toMatchObject({ kind: "partition", atUs: 12_000_000, leader: 2, isr: [2, 3] });
    expect(p1).toMatchObject({ kind: "partition", atUs: 20_000_000, partition: 1, leader: "none" });
    expect(group).toMatchObject({ kind: "group", atUs: "end", id: "billing", state: "Stable" });
    // `  - at: end` is line 69 of the text; the entry's map starts after `  - `.
    expect(group!.source).toMatchObject({ line: 69, column: 5, path: "expect[3]" });
  });
});

describe("scenario loader: nodes", () => {
  it("names dedicated controllers after the brokers, with controller-N aliases", () => {
    const s = parseScenarioText(
      [
        "name: c",
        "cluster: {brokers: [{id: 3, rack: r1}, {id: 1, rack: 2}], controllers: 2}",
        "timeline:",
        "  - {at: 1s, crash: controller-2}",
        '  - {at: 2s, restart: "05"}',
        "  - {at: 3s, isolate: 4}",
      ].join("\n"),
      "c.yaml",
    );
    // The largest broker id is 3, so the two controllers are 4 and 5.
    expect(s.cluster!.controllers).toEqual({ kind: "dedicated", ids: [4, 5] });
    expect(s.cluster!.brokers).toEqual([
      { id: 1, node: "1", rack: "2" },
      { id: 3, node: "3", rack: "r1" },
    ]);
    expect(actions(s)).toEqual([
      { kind: "crash", node: "5", mode: "process" },
      { kind: "restart", node: "5" },
      { kind: "isolate", node: "4" },
    ]);
  });

  it("names the ZooKeeper ensemble; version 2.8 defaults to zookeeper mode", () => {
    const s = parseScenarioText(
      'name: z\ncluster: {version: "2.8", controllers: 3}\ntimeline: [{at: 1s, crash: zookeeper-3}]',
      "z.yaml",
    );
    expect(s.cluster!.mode).toBe("zookeeper");
    expect(s.cluster!.controllers).toEqual({
      kind: "zookeeper",
      nodes: ["zookeeper-1", "zookeeper-2", "zookeeper-3"],
    });
    expect(actions(s)).toEqual([{ kind: "crash", node: "zookeeper-3", mode: "process" }]);
  });

  it("accepts a version written as a YAML number when it reads the same (3.6)", () => {
    const s = parseScenarioText("name: v\ncluster: {version: 3.6}", "v.yaml");
    expect(s.cluster!.version).toBe("3.6");
    expect(s.cluster!.mode).toBe("kraft");
  });

  it("defaults: seed 1, version 4.1, three brokers, duration 10 s", () => {
    const s = parseScenarioText("name: d", "d.yaml");
    expect(s.seed).toBe(1);
    expect(s.durationUs).toBe(10_000_000);
    expect(s.cluster!.version).toBe("4.1");
    expect(s.nodes.map((n) => n.name)).toEqual(["1", "2", "3"]);
  });
});

describe("scenario loader: errors name file, line, column and path", () => {
  it("unknown key: points at the key and suggests the nearest", () => {
    const text = "name: x\ncluster:\n  brokers: 3\n  hardware:\n    disk: ssd\n    memroy: 16GiB\n";
    const issue = issueOf(text, "f.yaml");
    expect(issue).toEqual({
      file: "f.yaml",
      line: 6,
      column: 5, // after four spaces of indentation
      path: "cluster.hardware.memroy",
      message: "unknown key `memroy` in cluster.hardware",
      suggestion: "memory",
    });
    expect(formatIssues([issue])).toBe(
      "f.yaml:6:5: cluster.hardware.memroy: unknown key `memroy` in cluster.hardware (did you mean `memory`?)",
    );
  });

  it("bad enum value, inside a flow map", () => {
    // "  hardware: {disk: hdd2}": `hdd2` starts at column 20.
    expect(issueOf("name: x\ncluster:\n  hardware: {disk: hdd2}\n")).toMatchObject({
      line: 3,
      column: 20,
      path: "cluster.hardware.disk",
      message: "must be one of hdd, ssd, nvme; got `hdd2`",
      suggestion: "hdd",
    });
  });

  it("bad unit: the unit parser's message", () => {
    expect(issueOf("name: x\nduration: 2 seconds\n")).toMatchObject({
      line: 2,
      column: 11,
      path: "duration",
      message:
        "expected a duration like 250ms, 2s or 1.5m (or a number of milliseconds); got `2 seconds`",
      suggestion: "2s",
    });
  });

  it("missing name: at the top of the file", () => {
    expect(issueOf("version: 1\nseed: 3\n")).toEqual({
      file: "t.yaml",
      line: 1,
      column: 1,
      path: "name",
      message: "missing required key `name`",
    });
  });

  it("unknown node reference, with a suggestion for names", () => {
    // "    crash: 4": the value starts at column 12. Brokers are 1..3.
    expect(issueOf("name: x\ntimeline:\n  - at: 1s\n    crash: 4\n")).toMatchObject({
      line: 4,
      column: 12,
      path: "timeline[0].crash",
      message: "unknown node `4` (known nodes: 1, 2, 3)",
    });
    const text =
      "name: x\nclients: [{id: producer-1, type: producer}]\ntimeline: [{at: 1s, kill: prodcer-1}]\n";
    expect(issueOf(text)).toMatchObject({
      line: 3,
      column: 27, // "timeline: [{at: 1s, kill: " is 26 characters
      path: "timeline[0].kill",
      suggestion: "producer-1",
    });
  });

  it("two actions in one entry, and none", () => {
    const two = issueOf("name: x\ntimeline:\n  - at: 1s\n    crash: 1\n    restart: 2\n");
    expect(two).toMatchObject({
      line: 5,
      column: 5,
      path: "timeline[0].restart",
      message:
        "a timeline entry needs exactly one action; found both `crash` and `restart`: give each its own entry",
    });
    const none = issueOf("name: x\ntimeline:\n  - at: 1s\n");
    expect(none.message).toBe(
      "a timeline entry needs exactly one action (crash, restart, say, ...); found none",
    );
    expect(none.path).toBe("timeline[0]");
  });

  it("a misspelt action is one problem, with a suggestion", () => {
    expect(issueOf("name: x\ntimeline:\n  - at: 1s\n    crsh: 1\n")).toMatchObject({
      line: 4,
      column: 5,
      path: "timeline[0].crsh",
      message: "unknown action `crsh` in timeline[0]",
      suggestion: "crash",
    });
  });

  it("a wrong value inside a union: one message from the branch meant", () => {
    // crash takes a node or {node, mode}: a map means the second form.
    expect(issueOf("name: x\ntimeline: [{at: 1s, crash: {node: 1, mode: powr}}]\n")).toMatchObject({
      path: "timeline[0].crash.mode",
      message: "must be one of process, power; got `powr`",
      suggestion: "power",
    });
    // A client's `type` picks its branch.
    expect(issueOf("name: x\nclients: [{id: c, type: consumer, group: 3}]\n")).toMatchObject({
      path: "clients[0].group",
      message: "must be text; got the number `3`",
    });
    expect(issueOf("name: x\nclients: [{id: c, type: consumr}]\n")).toMatchObject({
      path: "clients[0].type",
      message: "must be one of producer, consumer, stream-processor; got `consumr`",
      suggestion: "consumer",
    });
  });

  it("YAML syntax error: located", () => {
    const issue = issueOf("name: x\ncluster:\n  brokers: [1, 2\n  mode: kraft\n");
    expect(issue.line).toBe(4);
    expect(issue.column).toBe(3);
    expect(issue.message).toMatch(/^YAML syntax: /);
  });

  it("duplicate key: points at the second one", () => {
    expect(issueOf("name: x\ncluster:\n  brokers: 3\n  brokers: 4\n")).toEqual({
      file: "t.yaml",
      line: 4,
      column: 3,
      path: "cluster.brokers",
      message: "duplicate key `brokers` in cluster: each key may appear once in a map",
    });
  });

  it("version 0.10 written as a number: asks for quotes", () => {
    expect(issueOf("name: x\ncluster:\n  version: 0.10\n")).toMatchObject({
      line: 3,
      column: 12,
      path: "cluster.version",
      message: 'YAML reads 0.10 as the number 0.1: write the version in quotes, "0.10"',
      suggestion: '"0.10"',
    });
    // Every release line from 0.10 to 4.1 is a profile; past the newest, the newest is suggested.
    expect(issueOf('name: x\ncluster: {version: "4.2"}\n')).toMatchObject({
      path: "cluster.version",
      message: "Kafka 4.2 is newer than the newest modelled version, 4.1",
      suggestion: "4.1",
    });
  });

  it("semantic checks: mode per version, roles, names, times", () => {
    expect(issueOf("name: x\ncluster: {mode: zookeeper}\n").message).toContain(
      "Kafka 4.0 and later run in KRaft mode only",
    );
    const clients = "clients: [{id: p, type: producer}]\n";
    expect(issueOf(`name: x\n${clients}timeline: [{at: 1s, shutdown: p}]\n`).message).toBe(
      "`p` is a client; `shutdown` takes a broker",
    );
    expect(issueOf(`name: x\n${clients}timeline: [{at: 1s, commit: p}]\n`).message).toBe(
      "`p` is a producer; `commit` takes a consumer",
    );
    expect(issueOf("name: x\nhosts: [{name: a}, {name: a}]\n")).toMatchObject({
      path: "hosts[1].name",
      message: "`a` is already a host: node names must be unique",
    });
    expect(issueOf("name: x\nclients: [{id: '7', type: producer}]\n")).toMatchObject({
      path: "clients[0].id",
      message:
        "must be a name that starts with a letter, then letters, digits, `.`, `_` or `-`; got `7`",
    });
    expect(issueOf("name: x\nduration: 5s\ntimeline: [{at: 6s, say: late}]\n")).toMatchObject({
      path: "timeline[0].at",
      message: "6s is after the end of the run (duration 5s)",
    });
    expect(issueOf("name: x\ntimeline: [{at: 1s, partition: [[1, 2], [2, 3]]}]\n")).toMatchObject({
      path: "timeline[0].partition[1][0]",
      message: "`2` is in two groups (0 and 1)",
    });
  });

  it("zipf(N, s) inside { }: one message that says to quote it", () => {
    const text =
      "name: x\nclients:\n  - {id: p, type: producer, workload: {topic: t, rate: 1/s, keys: zipf(100, 1.2)}}\n";
    expect(issueOf(text)).toMatchObject({
      path: "clients[0].workload.keys",
      message:
        'got `zipf(100`: inside `{ }` a comma ends the value; quote it, e.g. "zipf(100, 1.2)"',
    });
  });

  it('keys that differ in YAML but not as text are duplicates (1 and "1")', () => {
    expect(issueOf('name: x\ncluster:\n  config:\n    1: a\n    "1": b\n')).toMatchObject({
      line: 5,
      column: 5,
      path: 'cluster.config["1"]',
      message: "duplicate key `1`: each key may appear once in a map",
    });
  });

  it("reports every problem of a file, sorted by position", () => {
    const issues = issuesOf("name: x\nseed: -1\nsed: 2\ncluster: {brokers: 0}\n");
    expect(issues.map((i) => [i.line, i.path])).toEqual([
      [2, "seed"],
      [3, "sed"],
      [4, "cluster.brokers"],
    ]);
    expect(issues[1]!.suggestion).toBe("seed");
  });

  it("empty files, lists and nonexistent files", () => {
    expect(issueOf("").message).toBe("the file is empty: a scenario needs at least `name`");
    expect(issueOf("- a\n- b\n").message).toBe("must be a map of keys; got a list");
    const missing = "/nonexistent/kafkasim/scenario.yaml";
    expect(() => loadScenarioFile(missing)).toThrow(ScenarioError);
  });
});

describe("scenario loader: JSON", () => {
  it("loads JSON with the same meaning (a bare number `at` is milliseconds)", () => {
    const json = JSON.stringify(
      {
        name: "j",
        hosts: [{ name: "a" }, { name: "b" }],
        timeline: [{ at: 1000, transfer: { from: "a", to: "b", size: 4096 } }],
      },
      null,
      "\t",
    );
    const s = parseScenarioText(json, "j.json");
    expect(s.timeline[0]!.atUs).toBe(1_000_000);
    expect(actions(s)).toEqual([
      {
        kind: "transfer",
        from: "a",
        to: "b",
        sizeBytes: 4096,
        mode: "sendfile",
        read: "sequential",
      },
    ]);
  });

  it("locates JSON errors and duplicate keys", () => {
    expect(issueOf('{\n  "name": "j",\n  "sed": 5\n}\n', "j.json")).toMatchObject({
      file: "j.json",
      line: 3,
      column: 3,
      path: "sed",
      suggestion: "seed",
    });
    expect(issueOf('{"name": "j", "name": "k"}', "j.json")).toMatchObject({
      line: 1,
      column: 15,
      message: "duplicate key `name`: each key may appear once in a map",
    });
  });
});

describe("scenario schema file", () => {
  it("scenarios/schema.json is the generated one (run `npm run schema`)", () => {
    const onDisk = readFileSync(new URL("../../scenarios/schema.json", import.meta.url), "utf8");
    expect(onDisk).toBe(scenarioJsonSchemaText());
  });

  it("is a valid draft-07 schema with an $id, a title and descriptions", () => {
    const schema = JSON.parse(scenarioJsonSchemaText()) as Record<string, unknown>;
    const ajv = new Ajv({ strict: false });
    expect(ajv.validateSchema(schema), JSON.stringify(ajv.errors)).toBe(true);
    expect(schema.$id).toBe("urn:kafkasim:scenario:v1");
    expect(schema.title).toBe("kafkasim scenario (format version 1)");
    const timeline = (schema.properties as Record<string, { description?: string }>).timeline;
    expect(timeline?.description).toBe("Actions and faults, by time.");
  });
});
