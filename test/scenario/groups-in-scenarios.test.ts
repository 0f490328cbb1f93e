// scenario: consumer groups seen as an operator sees them. A two-member group is Stable with both
// members at 15 s (a `group` expectation, kafka-consumer-groups.sh --describe, --members, --state);
// after both stop it is Empty with committed offsets at the log end; `--reset-offsets --to-earliest
// --execute` commits offset 0 through the admin client, and the next --describe shows the lag as
// the whole log (reference §9.2).
import { describe, expect, it } from "vitest";
import { parseScenarioText } from "../../sim/scenario/load.ts";
import { runScenario } from "../../sim/scenario/runner.ts";

const TEXT = `version: 1
name: groups
duration: 40s
cluster: { version: "4.1", brokers: 3 }
topics:
  - { name: orders, partitions: 3, replication-factor: 3 }
clients:
  - id: producer-1
    type: producer
    workload: { topic: orders, rate: 100/s, value-size: 100B, until: 20s }
  - id: consumer-1
    type: consumer
    group: billing
    subscribe: [orders]
    config: { auto.offset.reset: earliest }
  - id: consumer-2
    type: consumer
    group: billing
    subscribe: [orders]
    config: { auto.offset.reset: earliest }
timeline:
  - { at: 15s, cli: "kafka-consumer-groups.sh --bootstrap-server localhost:9092 --describe --group billing" }
  - { at: 15s, cli: "kafka-consumer-groups.sh --bootstrap-server localhost:9092 --describe --group billing --state" }
  - { at: 15s, expect: { group: { id: billing, state: Stable, members: 2 } } }
  - { at: 25s, stop: consumer-1 }
  - { at: 25s, stop: consumer-2 }
  - { at: 30s, cli: "kafka-consumer-groups.sh --bootstrap-server localhost:9092 --describe --group billing" }
  - { at: 31s, cli: "kafka-consumer-groups.sh --bootstrap-server localhost:9092 --reset-offsets --group billing --topic orders --to-earliest --execute" }
  - { at: 33s, cli: "kafka-consumer-groups.sh --bootstrap-server localhost:9092 --describe --group billing" }
expect:
  - at: end
    group: { id: billing, state: Empty, members: 0, lag: 2000 }
`;

/** The data rows of a --describe output: [topic, partition, current, end, lag, consumer]. */
function rows(output: string): string[][] {
  return output
    .split("\n")
    .filter((l) => l.startsWith("billing "))
    .map((l) => l.trim().split(/\s+/).slice(1, 7));
}

describe("scenario: consumer groups through kafka-consumer-groups.sh and expectations", () => {
  const r = runScenario(parseScenarioText(TEXT, "groups.yaml"), { seed: 1 });
  const cli = r.results.cli;

  it("meets its expectations: Stable with 2 members at 15 s, Empty at the end with lag 2000", () => {
    // 2000 records were written (100/s for 20 s); after the reset to 0 the whole log is lag.
    expect(r.results.expectations.map((e) => e.what)).toEqual([
      "at 15.000 s: group billing state Stable, 2 members",
      "at the end: group billing state Empty, 0 members, lag 2000",
    ]);
    expect(r.results.ok).toBe(true);
  });

  it("describes the stable group: three partitions split over two members, lag = HW - committed", () => {
    const table = rows(cli[0]!.output);
    expect(table.map((row) => row[1])).toEqual(
      ["0", "1", "2"].filter((p) => table.some((t) => t[1] === p)),
    );
    expect(table).toHaveLength(3);
    for (const [, , current, end, lag] of table)
      expect(Number(lag)).toBe(Number(end) - Number(current));
    expect(new Set(table.map((row) => row[5])).size).toBe(2);
    expect(cli[1]!.output).toMatch(/\nbilling +broker-\d:9092 {2}\(\d\) +range +Stable +2\n/);
  });

  it("after both members stop: Empty, committed at the log end, said on stderr", () => {
    expect(cli[2]!.error).toBe("\nConsumer group 'billing' has no active members.\n");
    const table = rows(cli[2]!.output);
    expect(table.every((row) => row[2] === row[3] && row[4] === "0" && row[5] === "-")).toBe(true);
  });

  it("--reset-offsets --to-earliest --execute commits 0, and --describe then shows it", () => {
    // The plan: GROUP TOPIC PARTITION NEW-OFFSET, every new offset the log start, 0.
    expect(cli[3]!.output).toContain("NEW-OFFSET");
    expect(rows(cli[3]!.output).map((row) => row[2])).toEqual(["0", "0", "0"]);
    const after = rows(cli[4]!.output);
    expect(after.map((row) => row[2])).toEqual(["0", "0", "0"]);
    expect(after.map((row) => Number(row[4])).reduce((a, b) => a + b, 0)).toBe(2000);
  });
});

describe("scenario: --reset-offsets before any group has run", () => {
  it("is refused with the coordinator error, not printed as if it had been committed", () => {
    const report = runScenario(
      parseScenarioText(
        `version: 1
name: early-reset
duration: 5s
cluster: { version: "4.1", brokers: 1 }
topics: [{ name: orders, partitions: 1, replication-factor: 1 }]
timeline:
  - { at: 1s, cli: "kafka-consumer-groups.sh --bootstrap-server localhost:9092 --reset-offsets --group g --topic orders --to-earliest --execute" }
`,
        "early-reset.yaml",
      ),
    );
    const [entry] = report.results.cli;
    expect(entry!.output).toContain("CoordinatorNotAvailableException");
    expect(entry!.output).not.toContain("NEW-OFFSET");
    expect(entry!.error).toContain("__consumer_offsets does not exist yet");
  });
});
