// kafka-transactions.sh (Kafka 3.0+): describe-producers shows the idempotent producer's state on
// the leader (its producer id, epoch and last sequence); list and find-hanging print their
// headers with no rows and describe finds no transactional id, as a cluster without transactions
// answers; argparse4j's errors; not in versions before 3.0.
import { describe, expect, it } from "vitest";
import { parseScenarioText } from "../../sim/scenario/load.ts";
import { runScenario } from "../../sim/scenario/runner.ts";
import { prettyPrintTable } from "../../sim/tools/kafka-transactions.ts";

function run(version: string, commands: readonly string[]) {
  const text = `version: 1
name: txn-tool
duration: 10s
cluster: { version: "${version}", brokers: 3 }
topics: [{ name: t, partitions: 1, replication-factor: 3, assignment: [[2, 3, 1]] }]
clients:
  - id: producer-1
    type: producer
    config: { acks: all, enable.idempotence: true, linger.ms: 0 }
timeline:
  - { at: 1s, produce: { topic: t, count: 5, value: v } }
${commands.map((c) => `  - { at: 5s, cli: "kafka-transactions.sh ${c}" }`).join("\n")}
`;
  return runScenario(parseScenarioText(text, "txn-tool.yaml")).results.cli;
}

const B = "--bootstrap-server localhost:9092";

describe("tools: kafka-transactions.sh", () => {
  it("prettyPrintTable pads each column to its widest cell and ends every cell with a TAB", () => {
    expect(prettyPrintTable(["A", "Bee"], [["long", "x"]])).toBe("A   \tBee\t\nlong\tx  \t\n");
  });

  it("describe-producers lists the idempotent producer on the leader and on a follower", () => {
    const [leader, follower] = run("4.1", [
      `${B} describe-producers --topic t --partition 0`,
      `${B} describe-producers --topic t --partition 0 --broker-id 3`,
    ]);
    for (const out of [leader!, follower!]) {
      expect(out.error).toBe("");
      const [header, row, end] = out.output.split("\n");
      expect(header).toBe(
        "ProducerId\tProducerEpoch\tLatestCoordinatorEpoch\tLastSequence\tLastTimestamp\tCurrentTransactionStartOffset\t",
      );
      // One producer: epoch 0, five records sent one by one (sequences 0..4), no transaction.
      const cells = row!.split("\t").map((c) => c.trim());
      expect(Number(cells[0])).toBeGreaterThanOrEqual(0);
      expect(cells.slice(1, 4)).toEqual(["0", "-1", "4"]);
      expect(Number(cells[4])).toBeGreaterThanOrEqual(1000);
      expect(Number(cells[4])).toBeLessThan(2000);
      expect(cells[5]).toBe("None");
      expect(end).toBe("");
    }
  });

  it("list and find-hanging print only their headers; describe finds no transactional id", () => {
    const [list, hanging, desc, abort] = run("4.1", [
      `${B} list`,
      `${B} find-hanging --topic t`,
      `${B} describe --transactional-id tx-1`,
      `${B} abort --topic t --partition 0 --start-offset 3`,
    ]);
    expect(list!.output).toBe("TransactionalId\tCoordinator\tProducerId\tTransactionState\t\n");
    expect(hanging!.output).toBe(
      "Topic\tPartition\tProducerId\tProducerEpoch\tCoordinatorEpoch\tStartOffset\tLastTimestamp\tDuration(min)\t\n",
    );
    expect(desc!.error).toBe(
      "Failed to describe transaction state of transactional-id `tx-1`: The transactionalId could not be found.. Enable debug logging for additional detail.\n",
    );
    expect(abort!.error).toBe(
      "Could not find any open transactions starting at offset 3 on partition t-0\n",
    );
  });

  it("argparse4j's errors, and an unknown partition", () => {
    const [noServer, noCommand, badCommand, missing, unknown] = run("4.1", [
      "list",
      B,
      `${B} lst`,
      `${B} describe-producers --topic t`,
      `${B} describe-producers --topic nope --partition 0`,
    ]);
    expect(noServer!.error).toBe(
      "kafka-transactions.sh: error: argument --bootstrap-server is required\n",
    );
    expect(noCommand!.error).toBe("kafka-transactions.sh: error: too few arguments\n");
    expect(badCommand!.error).toContain("argument COMMAND: invalid choice: 'lst'");
    expect(missing!.error).toBe("kafka-transactions.sh: error: argument --partition is required\n");
    expect(unknown!.error).toBe(
      "Failed to describe producers for partition nope-0 on leader: This server does not host this topic-partition.. Enable debug logging for additional detail.\n",
    );
  });

  it("does not exist before 3.0", () => {
    const [out] = run("2.8", [`${B} list`]);
    expect(out!.error).toContain("arrived with Kafka 3.0");
  });
});
