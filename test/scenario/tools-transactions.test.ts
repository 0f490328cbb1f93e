// kafka-transactions.sh (Kafka 3.0+) against a cluster with a transaction coordinator. Expected:
// describe-producers shows an idempotent producer's state and a transactional producer's open
// transaction (CurrentTransactionStartOffset); list shows each coordinator's ids and states;
// describe shows the id's partitions and times from its coordinator, TRANSACTIONAL_ID_NOT_FOUND
// for an unknown id and COORDINATOR_NOT_AVAILABLE while its coordinator is down; find-hanging
// leaves out an open transaction its coordinator knows; abort --start-offset writes an ABORT marker
// and the LSO catches up with the HW; the list filters exist from 3.8 and 4.1; argparse4j's errors;
// no tool before 3.0.
import { describe, expect, it } from "vitest";
import { parseScenarioText } from "../../sim/scenario/load.ts";
import { runScenario, ScenarioRun } from "../../sim/scenario/runner.ts";
import { prettyPrintTable } from "../../sim/tools/kafka-transactions.ts";
import { formatReplicaOffsets } from "../../sim/tools/replica-offsets.ts";
import { filterHanging, type ProducerState } from "../../sim/tools/transactions-view.ts";

const B = "--bootstrap-server localhost:9092";

/** Topic t (one partition, led by broker 2) and what the clients and tools do. */
function scenarioText(
  version: string,
  producer: string,
  commands: ReadonlyArray<readonly [string, string]>,
  extra = "",
): string {
  return `version: 1
name: txn-tool
duration: 10s
cluster: { version: "${version}", brokers: 3 }
topics: [{ name: t, partitions: 1, replication-factor: 3, assignment: [[2, 3, 1]] }]
clients:
${producer}
timeline:
${commands.map(([at, c]) => `  - { at: ${at}, cli: "kafka-transactions.sh ${c}" }`).join("\n")}
${extra}`;
}

const IDEMPOTENT = `  - id: producer-1
    type: producer
    config: { acks: all, enable.idempotence: true, linger.ms: 0 }`;

/** Five records in one transaction that is never ended (timeout 60 s, past the run's end). */
const OPEN_TXN = `  - id: producer-1
    type: producer
    config: { transactional.id: tx-1, linger.ms: 0 }
    workload: { topic: t, rate: 10/s, count: 5, transaction: { records: 5, end: open } }`;

function run(
  version: string,
  producer: string,
  commands: ReadonlyArray<readonly [string, string]>,
  extra = "",
) {
  const text = scenarioText(version, producer, commands, extra);
  return runScenario(parseScenarioText(text, "txn-tool.yaml")).results.cli;
}

function idempotent(version: string, commands: readonly string[]) {
  return run(
    version,
    IDEMPOTENT,
    commands.map((c) => ["5s", c] as const),
    "  - { at: 1s, produce: { topic: t, count: 5, value: v } }\n",
  );
}

/** Cells of a prettyPrintTable output: rows of trimmed cells, the header first. */
function table(output: string): string[][] {
  return output
    .split("\n")
    .filter((l) => l !== "")
    .map((l) =>
      l
        .split("\t")
        .slice(0, -1)
        .map((c) => c.trim()),
    );
}

describe("tools: kafka-transactions.sh", () => {
  it("prettyPrintTable pads each column to its widest cell and ends every cell with a TAB", () => {
    expect(prettyPrintTable(["A", "Bee"], [["long", "x"]])).toBe("A   \tBee\t\nlong\tx  \t\n");
  });

  it("describe-producers lists the idempotent producer on the leader and on a follower", () => {
    const [leader, follower] = idempotent("4.1", [
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

  it("without a transactional producer: list and find-hanging print only headers; describe finds no id", () => {
    const [list, hanging, desc, abort] = idempotent("4.1", [
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

  it("an open transaction: list shows it Ongoing, describe its partition, describe-producers its start", () => {
    const [list, desc, producers, unknown] = run("4.1", OPEN_TXN, [
      ["5s", `${B} list`],
      ["5s", `${B} describe --transactional-id tx-1`],
      ["5s", `${B} describe-producers --topic t --partition 0`],
      ["5s", `${B} describe --transactional-id tx-2`],
    ]);
    const listed = table(list!.output);
    expect(listed[0]).toEqual(["TransactionalId", "Coordinator", "ProducerId", "TransactionState"]);
    expect(listed).toHaveLength(2);
    const [id, coordinator, producerId, state] = listed[1]!;
    expect([id, state]).toEqual(["tx-1", "Ongoing"]);
    expect(Number(producerId)).toBeGreaterThanOrEqual(0);

    const described = table(desc!.output);
    expect(described[0]).toEqual([
      "CoordinatorId",
      "TransactionalId",
      "ProducerId",
      "ProducerEpoch",
      "TransactionState",
      "TransactionTimeoutMs",
      "CurrentTransactionStartTimeMs",
      "TransactionDurationMs",
      "TopicPartitions",
    ]);
    const row = described[1]!;
    // The same coordinator and producer id as list; the producer's default transaction.timeout.ms.
    expect(row.slice(0, 6)).toEqual([coordinator, "tx-1", producerId, "0", "Ongoing", "60000"]);
    const start = Number(row[6]);
    expect(start).toBeGreaterThan(0);
    expect(start).toBeLessThan(5000);
    expect(Number(row[7])).toBe(5000 - start);
    expect(row[8]).toBe("t-0");

    // The open transaction starts at offset 0; the coordinator epoch is not tracked (-1).
    const producer = table(producers!.output)[1]!;
    expect(producer[0]).toBe(producerId);
    expect(producer.slice(1, 4)).toEqual(["0", "-1", "4"]);
    expect(producer[5]).toBe("0");

    expect(unknown!.error).toContain("`tx-2`: The transactionalId could not be found.");
  });

  it("find-hanging leaves out an open transaction its coordinator knows, even past the timeout", () => {
    const [recent, pastTimeout, byBroker] = run("4.1", OPEN_TXN, [
      ["5s", `${B} find-hanging --topic t`],
      // 0 minutes: the open transaction is a candidate, but the coordinator has t-0 in it.
      ["5s", `${B} find-hanging --topic t --partition 0 --max-transaction-timeout 0`],
      ["5s", `${B} find-hanging --broker-id 3 --max-transaction-timeout 0`],
    ]);
    for (const out of [recent!, pastTimeout!, byBroker!]) {
      expect(out.error).toBe("");
      expect(table(out.output)).toEqual([
        [
          "Topic",
          "Partition",
          "ProducerId",
          "ProducerEpoch",
          "CoordinatorEpoch",
          "StartOffset",
          "LastTimestamp",
          "Duration(min)",
        ],
      ]);
    }
  });

  it("find-hanging keeps open transactions the coordinator does not expect to end", () => {
    const producer = (producerId: number, start: number | null): ProducerState => ({
      producerId,
      producerEpoch: 0,
      coordinatorEpoch: -1,
      lastSequence: 4,
      lastTimestampMs: 0,
      currentTransactionStartOffset: start,
    });
    const open = (topic: string, partition: number, producerId: number) => ({
      topic,
      partition,
      producer: producer(producerId, 7),
    });
    const candidates = [open("a", 0, 1), open("a", 1, 1), open("b", 0, 2), open("c", 0, 3)];
    const ids = new Map([
      [1, "tx-1"],
      [2, "tx-2"],
    ]);
    const descriptions = new Map([
      [
        "tx-1",
        {
          coordinatorId: 1,
          transactionalId: "tx-1",
          producerId: 1,
          producerEpoch: 0,
          state: "Ongoing",
          transactionTimeoutMs: 60000,
          transactionStartTimeMs: 0,
          topicPartitions: ["a-0"],
        },
      ],
      ["tx-2", null],
    ]);
    // a-0 is in tx-1's transaction; a-1 is not; tx-2 is not found; producer 3 has no id at all.
    expect(
      filterHanging(candidates, ids, descriptions).map((c) => `${c.topic}-${c.partition}`),
    ).toEqual(["a-1", "b-0", "c-0"]);
  });

  it("abort --start-offset writes an ABORT marker and the LSO catches up with the HW", () => {
    const text = scenarioText("4.1", OPEN_TXN, [
      ["6s", `${B} abort --topic t --partition 0 --start-offset 3`],
      ["6s", `${B} abort --topic t --partition 0 --start-offset 0`],
      ["8s", `${B} describe-producers --topic t --partition 0`],
    ]);
    const run = new ScenarioRun(parseScenarioText(text, "txn-tool.yaml"));
    run.advanceTo(5_500_000);
    const leaderOf = () =>
      run
        .kafka!.cluster.brokers.get(2)!
        .snapshot()
        .partitions.find((p) => p.topic === "t")!;
    // Five records in the open transaction: the LSO stays at its first offset.
    expect([leaderOf().lastStable, leaderOf().hw]).toEqual([0, 5]);
    const before = formatReplicaOffsets(run.kafka!.cluster.brokerSnapshots(), { atUs: 5_500_000 });
    expect(before.split("\n")[1]).toMatch(/LOG-START +LSO +HW +LEO/);
    expect(before).toMatch(/\nt-0 +2 +leader +\d+ +0 +0 +5 +5 /);

    run.advanceTo(9_000_000);
    // The marker takes offset 5; once replicated the LSO is the HW.
    expect([leaderOf().lastStable, leaderOf().hw]).toEqual([6, 6]);
    const after = formatReplicaOffsets(run.kafka!.cluster.brokerSnapshots(), { atUs: 9_000_000 });
    expect(after).not.toContain("LSO");
    const [wrongOffset, aborted, producers] = run.cliEntries();
    expect(wrongOffset!.error).toBe(
      "Could not find any open transactions starting at offset 3 on partition t-0\n",
    );
    expect(aborted).toMatchObject({ output: "", error: "", exitCode: 0 });
    const producer = table(producers!.output)[1]!;
    expect(producer[5]).toBe("None");
    // The marker's timestamp (6 s and the request's way to the leader) is the producer's last.
    expect(Number(producer[4])).toBeGreaterThanOrEqual(6000);
  });

  it("abort by producer id: --producer-epoch and --coordinator-epoch are required", () => {
    const [noEpoch, noCoordinatorEpoch, neither] = run("4.1", OPEN_TXN, [
      ["6s", `${B} abort --topic t --partition 0 --producer-id 5`],
      ["6s", `${B} abort --topic t --partition 0 --producer-id 5 --producer-epoch 0`],
      ["6s", `${B} abort --topic t --partition 0`],
    ]);
    expect(noEpoch!.error).toBe("Missing required argument --producer-epoch\n");
    expect(noCoordinatorEpoch!.error).toBe("Missing required argument --coordinator-epoch\n");
    expect(neither!.error).toContain("must be identified either with --start-offset");
  });

  it("describe answers COORDINATOR_NOT_AVAILABLE while the id's coordinator is down", () => {
    // Find the coordinator first, then crash it half a second before asking (still the leader then).
    const [list] = run("4.1", OPEN_TXN, [["5s", `${B} list`]]);
    const coordinator = table(list!.output)[1]![1]!;
    const [, down] = run(
      "4.1",
      OPEN_TXN,
      [
        ["5s", `${B} list`],
        ["5s", `${B} describe --transactional-id tx-1`],
      ],
      `  - { at: 4500ms, crash: "${coordinator}" }\n`,
    );
    expect(down!.error).toBe(
      "Failed to describe transaction state of transactional-id `tx-1`: The coordinator is not available.. Enable debug logging for additional detail.\n",
    );
  });

  it("list --duration-filter (3.8+) and --transactional-id-pattern (4.1+, a whole match)", () => {
    const [longer, shorter, whole, partial] = run("4.1", OPEN_TXN, [
      ["5s", `${B} list --duration-filter 1000`],
      ["5s", `${B} list --duration-filter 60000`],
      ["5s", `${B} list --transactional-id-pattern 'tx-.*'`],
      ["5s", `${B} list --transactional-id-pattern tx`],
    ]);
    expect(table(longer!.output).map((r) => r[0])).toEqual(["TransactionalId", "tx-1"]);
    expect(table(shorter!.output)).toHaveLength(1);
    expect(table(whole!.output).map((r) => r[0])).toEqual(["TransactionalId", "tx-1"]);
    expect(table(partial!.output)).toHaveLength(1);
    const [noPattern, noFilter] = run("3.8", OPEN_TXN, [
      ["5s", `${B} list --transactional-id-pattern tx`],
      ["5s", `${B} list --duration-filter 10`],
    ]);
    expect(noPattern!.error).toBe(
      "kafka-transactions.sh: error: unrecognized arguments: '--transactional-id-pattern tx'\n",
    );
    expect(table(noFilter!.output).map((r) => r[0])).toEqual(["TransactionalId", "tx-1"]);
    const [old] = run("3.7", OPEN_TXN, [["5s", `${B} list --duration-filter 10`]]);
    expect(old!.error).toContain("unrecognized arguments: '--duration-filter 10'");
  });

  it("argparse4j's errors, and an unknown partition", () => {
    const [noServer, noCommand, badCommand, missing, unknown, notLong, noScope, noTopic] =
      idempotent("4.1", [
        "list",
        B,
        `${B} lst`,
        `${B} describe-producers --topic t`,
        `${B} describe-producers --topic nope --partition 0`,
        `${B} abort --topic t --partition 0 --start-offset x`,
        `${B} find-hanging`,
        `${B} find-hanging --topic nope`,
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
    expect(noScope!.error).toBe(
      "The `find-hanging` command requires either --topic or --broker-id to limit the scope of the search\n",
    );
    expect(noTopic!.error).toBe(
      "Failed to describe 1 topics: This server does not host this topic-partition.. Enable debug logging for additional detail.\n",
    );
    expect(notLong!.error).toBe(
      "kafka-transactions.sh: error: argument --start-offset: could not convert 'x' to Long\n",
    );
  });

  it("does not exist before 3.0", () => {
    const [out] = idempotent("2.8", [`${B} list`]);
    expect(out!.error).toContain("arrived with Kafka 3.0");
  });
});
