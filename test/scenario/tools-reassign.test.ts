// scenario: kafka-reassign-partitions.sh end to end. With a producer writing, --generate proposes
// moving topic t onto brokers 2,3,4 (AdminUtils placement: three distinct brokers of the list per
// partition); --execute moves both partitions to the new replicas, printing the rollback JSON;
// --verify right after (and --list) says "still in progress" (broker 4 has to catch up and join the ISR) and,
// later, "is completed." followed by the throttle-clearing lines; kafka-topics.sh --describe and
// the metadata truth show the new replicas, and a second --execute while one runs is refused.
import { describe, expect, it } from "vitest";
import { parseScenarioText } from "../../sim/scenario/load.ts";
import { runScenario } from "../../sim/scenario/runner.ts";

const MOVE = [
  '{"version":1,"partitions":[',
  '  {"topic":"t","partition":0,"replicas":[2,3,4]},',
  '  {"topic":"t","partition":1,"replicas":[3,4,2]}]}',
];

function scenario(version: string): string {
  const input = MOVE.map((l) => `        - '${l}'`).join("\n");
  return `version: 1
name: tools-reassign
duration: 25s
cluster: { version: "${version}", brokers: 4 }
topics:
  - { name: t, partitions: 2, replication-factor: 3, assignment: [[1, 2, 3], [2, 3, 1]] }
clients:
  - id: producer-1
    type: producer
    workload: { topic: t, rate: 1000/s, value-size: 10000B, until: 21s }
timeline:
  - at: 5s
    cli:
      command: kafka-reassign-partitions.sh --bootstrap-server localhost:9092 --topics-to-move-json-file topics.json --broker-list 2,3,4 --generate
      input: ['{"topics": [{"topic": "t"}], "version": 1}']
  - at: 20s
    cli:
      command: kafka-reassign-partitions.sh --bootstrap-server localhost:9092 --reassignment-json-file move.json --execute
      input:
${input}
  - at: 20100ms
    cli:
      command: kafka-reassign-partitions.sh --bootstrap-server localhost:9092 --reassignment-json-file move.json --verify
      input:
${input}
  - at: 20100ms
    cli:
      command: kafka-reassign-partitions.sh --bootstrap-server localhost:9092 --reassignment-json-file move.json --execute
      input:
${input}
  - at: 24s
    cli:
      command: kafka-reassign-partitions.sh --bootstrap-server localhost:9092 --reassignment-json-file move.json --verify
      input:
${input}
  - { at: 24s, cli: "kafka-topics.sh --bootstrap-server localhost:9092 --describe --topic t" }
  - { at: 24s, cli: "kafka-reassign-partitions.sh --bootstrap-server localhost:9092 --list" }
  - { at: 20100ms, cli: "kafka-reassign-partitions.sh --bootstrap-server localhost:9092 --list" }
expect:
  - { at: end, partition: { topic: t, partition: 0, replicas: [2, 3, 4] } }
  - { at: end, partition: { topic: t, partition: 1, replicas: [3, 4, 2] } }
`;
}

describe("scenario: kafka-reassign-partitions.sh generate, execute, verify (4.1)", () => {
  const r = runScenario(parseScenarioText(scenario("4.1"), "tools-reassign.yaml"), { seed: 3 });
  const cli = r.results.cli;
  /** The output of the n-th tool run at `atMs` whose command has `action` in it. */
  const out = (atMs: number, action: string, n = 0) =>
    cli.filter((c) => c.atUs === atMs * 1000 && c.command.includes(action))[n]!.output;

  it("meets its expectations: both partitions end on brokers 2, 3 and 4, in the order asked", () => {
    expect(r.results.expectations.every((e) => e.ok)).toBe(true);
  });

  it("--generate prints the current assignment and a proposal on the listed brokers", () => {
    const [head, current, blank, proposedHead, proposed] = out(5000, "--generate").split("\n");
    expect(head).toBe("Current partition replica assignment");
    expect(current).toBe(
      '{"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1,2,3],"log_dirs":["any","any","any"]},{"topic":"t","partition":1,"replicas":[2,3,1],"log_dirs":["any","any","any"]}]}',
    );
    expect(blank).toBe("");
    expect(proposedHead).toBe("Proposed partition reassignment configuration");
    const plan = JSON.parse(proposed!) as { partitions: Array<{ replicas: number[] }> };
    for (const p of plan.partitions) {
      expect([...p.replicas].sort()).toEqual([2, 3, 4]);
    }
    // AdminUtils puts the two partitions' leaders on consecutive brokers of the list.
    expect(plan.partitions[0]!.replicas[0]).not.toBe(plan.partitions[1]!.replicas[0]);
  });

  it("--execute prints the rollback JSON and starts both reassignments", () => {
    expect(out(20000, "--execute")).toBe(
      "Current partition replica assignment\n\n" +
        '{"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1,2,3],"log_dirs":["any","any","any"]},{"topic":"t","partition":1,"replicas":[2,3,1],"log_dirs":["any","any","any"]}]}\n\n' +
        "Save this to use as the --reassignment-json-file option during rollback\n" +
        "Successfully started partition reassignments for t-0,t-1\n",
    );
  });

  it("--verify while broker 4 catches up: still in progress, no throttle clearing", () => {
    expect(out(20100, "--verify")).toBe(
      "Status of partition reassignment:\n" +
        "Reassignment of partition t-0 is still in progress.\n" +
        "Reassignment of partition t-1 is still in progress.\n\n",
    );
  });

  it("a second --execute while one runs is refused without --additional", () => {
    expect(out(20100, "--execute")).toBe(
      "Cannot execute because there is an existing partition assignment.  Use --additional to override this and create a new partition assignment in addition to the existing one. The --additional flag can also be used to change the throttle by resubmitting the current reassignment.\n",
    );
  });

  it("--verify at the end: completed, then the throttles are cleared", () => {
    expect(out(24000, "--verify")).toBe(
      "Status of partition reassignment:\n" +
        "Reassignment of partition t-0 is completed.\n" +
        "Reassignment of partition t-1 is completed.\n\n" +
        "Clearing broker-level throttles on brokers 1,2,3,4\n" +
        "Clearing topic-level throttles on topic t\n",
    );
  });

  it("--list while they run: the full replica sets with the replicas added and removed", () => {
    expect(out(20100, "--list")).toBe(
      "Current partition reassignments:\n" +
        "t-0: replicas: 2,3,4,1. adding: 4. removing: 1.\n" +
        "t-1: replicas: 3,4,2,1. adding: 4. removing: 1.\n",
    );
  });

  it("kafka-topics.sh --describe shows the new replicas; --list finds none running", () => {
    expect(out(24000, "kafka-topics")).toMatch(/Partition: 0\tLeader: \d\tReplicas: 2,3,4\t/);
    expect(out(24000, "kafka-topics")).toMatch(/Partition: 1\tLeader: \d\tReplicas: 3,4,2\t/);
    expect(out(24000, "--list")).toBe("No partition reassignments found.\n");
  });
});

describe("scenario: kafka-reassign-partitions.sh on 3.6 (the Scala tool's words)", () => {
  it('says "is complete." instead of "is completed."', () => {
    const r = runScenario(parseScenarioText(scenario("3.6"), "tools-reassign.yaml"), { seed: 3 });
    expect(r.results.cli.find((c) => c.atUs === 24_000_000)!.output).toContain(
      "Reassignment of partition t-0 is complete.\n",
    );
  });
});
