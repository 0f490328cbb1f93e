// tools: console producer and consumer: lines typed into kafka-console-producer.sh come back out
// of kafka-console-consumer.sh in order, in DefaultMessageFormatter's layout; parse.key splits a
// line at key.separator; --max-messages, --timeout-ms and the end of the run end the consumer with
// "Processed a total of N messages"; failed sends are logged as ErrorLoggingCallback logs them; a
// consumer without --group leaves no committed offsets (2.0+); before 2.8 the producer prints its
// `>` prompts even for piped input.
import { describe, expect, it } from "vitest";
import type { RecordBatch } from "../../sim/kafka/types.ts";
import { parseScenarioText } from "../../sim/scenario/load.ts";
import { runScenario } from "../../sim/scenario/runner.ts";
import { formatRecord, formatterProps } from "../../sim/tools/kafka-console-consumer.ts";
import { parseLine } from "../../sim/tools/kafka-console-producer.ts";

function scenario(
  timeline: string,
  opts: { version?: string; brokers?: number; topics?: string; config?: string } = {},
) {
  return `version: 1
name: console tools
duration: 20s
cluster: { version: "${opts.version ?? "4.1"}", brokers: ${opts.brokers ?? 1}, config: { ${opts.config ?? ""} } }
topics:
${opts.topics ?? "  - { name: t, partitions: 1, replication-factor: 1 }"}
timeline:
${timeline}`;
}

function run(
  text: string,
  atEnd?: Parameters<typeof runScenario>[1] extends infer O
    ? O extends { atEnd?: infer A }
      ? A
      : never
    : never,
) {
  return runScenario(parseScenarioText(text, "console.yaml"), atEnd === undefined ? {} : { atEnd });
}

const PRODUCE = `  - at: 1s
    cli:
      command: kafka-console-producer.sh --bootstrap-server localhost:9092 --topic t
      input: [Hello, World]
`;

describe("tools: console producer and consumer", () => {
  it("round trip: two lines produced are printed back, in order, by --from-beginning", () => {
    const r = run(
      scenario(`${PRODUCE}  - at: 3s
    cli: kafka-console-consumer.sh --bootstrap-server localhost:9092 --topic t --from-beginning --max-messages 2
`),
    );
    const [producer, consumer] = r.results.cli;
    expect(producer).toMatchObject({ output: "", error: "" });
    expect(consumer!.output).toBe("Hello\nWorld\n");
    expect(consumer!.error).toBe("Processed a total of 2 messages\n");
    expect(r.results.ok).toBe(true);
  });

  it("the records are in the log with their values, at offsets 0 and 1", () => {
    const values: Array<[number, string | null]> = [];
    run(scenario(PRODUCE), ({ kafka }) => {
      for (const b of kafka!.cluster.brokers.get(1)!.logBatches("t", 0) as RecordBatch[])
        b.values?.forEach((v, i) => {
          values.push([b.baseOffset + i, v]);
        });
    });
    expect(values).toEqual([
      [0, "Hello"],
      [1, "World"],
    ]);
  });

  it("parse.key with key.separator: keys and values split; print.key, print.offset, print.timestamp in Kafka's order", () => {
    const r = run(
      scenario(`  - at: 1s
    cli:
      command: "kafka-console-producer.sh --bootstrap-server localhost:9092 --topic t --property parse.key=true --property key.separator=:"
      input: ["user-1:login", "user-2:a:b"]
  - at: 3s
    cli: kafka-console-consumer.sh --bootstrap-server localhost:9092 --topic t --from-beginning --max-messages 2 --property print.key=true --property print.offset=true --property print.timestamp=true --property print.partition=true
`),
    );
    const out = r.results.cli[1]!.output.split("\n");
    // CreateTime is the batch's creation in virtual ms: the producer's send at 1 s.
    expect(out).toEqual([
      "CreateTime:1000\tPartition:0\tOffset:0\tuser-1\tlogin",
      "CreateTime:1000\tPartition:0\tOffset:1\tuser-2\ta:b",
      "",
    ]);
  });

  it("parse.key: a line without the separator stops the producer with Kafka's exception (exit 1)", () => {
    const r = run(
      scenario(`  - at: 1s
    cli:
      command: "kafka-console-producer.sh --bootstrap-server localhost:9092 --topic t --property parse.key=true --property key.separator=:"
      input: ["k:v", "no separator here", "k2:v2"]
  - at: 3s
    cli: kafka-console-consumer.sh --bootstrap-server localhost:9092 --topic t --from-beginning --timeout-ms 10000
`),
    );
    expect(r.results.cli[0]!.error).toBe(
      "org.apache.kafka.common.KafkaException: No key separator found on line number 2: 'no separator here'\n",
    );
    // The line before the bad one was sent; the one after it never was.
    expect(r.results.cli[1]!.output).toBe("v\n");
  });

  it("--max-messages 1 prints one record even when more are there", () => {
    const r = run(
      scenario(`${PRODUCE}  - at: 3s
    cli: kafka-console-consumer.sh --bootstrap-server localhost:9092 --topic t --from-beginning --max-messages 1
`),
    );
    expect(r.results.cli[1]).toMatchObject({
      output: "Hello\n",
      error: "Processed a total of 1 messages\n",
    });
  });

  it("end of run: a consumer still running prints what it read, as on Ctrl-C", () => {
    const r = run(
      scenario(`  - at: 1s
    cli: kafka-console-consumer.sh --bootstrap-server localhost:9092 --topic t
${PRODUCE.replace("at: 1s", "at: 6s")}`),
    );
    // Without --from-beginning the consumer starts at the end (latest): it sees what comes later.
    expect(r.results.cli[0]).toMatchObject({
      output: "Hello\nWorld\n",
      error: "Processed a total of 2 messages\n",
    });
  });

  it("--timeout-ms: no record for that long ends the consumer with ConsoleConsumer's error line", () => {
    const r = run(
      scenario(`${PRODUCE}  - at: 3s
    cli: kafka-console-consumer.sh --bootstrap-server localhost:9092 --topic t --partition 0 --offset 1 --timeout-ms 2000
`),
    );
    const c = r.results.cli[1]!;
    expect(c.output).toBe("World\n");
    expect(c.error).toMatch(
      /^\[1970-01-01 00:00:05,\d{3}\] ERROR Error processing message, terminating consumer process: {2}\(org\.apache\.kafka\.tools\.consumer\.ConsoleConsumer\)\norg\.apache\.kafka\.common\.errors\.TimeoutException\nProcessed a total of 1 messages\n$/,
    );
  });

  it("--partition with --offset earliest reads from the start without a group of its own", () => {
    const r = run(
      scenario(`${PRODUCE}  - at: 3s
    cli: kafka-console-consumer.sh --bootstrap-server localhost:9092 --topic t --partition 0 --offset earliest --max-messages 2
`),
    );
    expect(r.results.cli[1]!.output).toBe("Hello\nWorld\n");
  });

  it("without --group: a generated console-consumer-NNNNN group that commits nothing (2.0+); with --group, commits", () => {
    const groups: Array<{ id: string; committed: number }> = [];
    run(
      scenario(`${PRODUCE}  - at: 3s
    cli: kafka-console-consumer.sh --bootstrap-server localhost:9092 --topic t --from-beginning --max-messages 2
  - at: 4s
    cli: kafka-console-consumer.sh --bootstrap-server localhost:9092 --topic t --from-beginning --group mine --max-messages 2
`),
      ({ kafka }) => {
        for (const g of kafka!.toolContext().consumerGroups().groups)
          groups.push({ id: g.groupId, committed: g.committed.length });
      },
    );
    const generated = groups.find((g) => g.id.startsWith("console-consumer-"));
    expect(generated?.id).toMatch(/^console-consumer-\d{1,5}$/);
    expect(generated?.committed).toBe(0);
    expect(groups.find((g) => g.id === "mine")?.committed).toBe(1);
  });

  it("option errors: offset without partition, missing topic, unknown option", () => {
    const r = run(
      scenario(`  - at: 1s
    cli: kafka-console-consumer.sh --bootstrap-server localhost:9092 --topic t --offset 3
  - at: 1s
    cli: kafka-console-consumer.sh --bootstrap-server localhost:9092
  - at: 1s
    cli: kafka-console-producer.sh --bootstrap-server localhost:9092 --topic t --no-such
`),
    );
    expect(r.results.cli.map((c) => c.error)).toEqual([
      "The partition is required when offset is specified.\n",
      "Exactly one of include/topic is required.\n",
      'Exception in thread "main" joptsimple.UnrecognizedOptionException: no-such is not a recognized option\n',
    ]);
  });

  it("a send that fails (NOT_ENOUGH_REPLICAS, 3 retries) is logged by ErrorLoggingCallback", () => {
    const r = run(
      scenario(
        `  - at: 1s
    crash: 3
  - at: 6s
    cli:
      command: kafka-console-producer.sh --bootstrap-server localhost:9092 --topic t
      input: [Hello]
`,
        {
          brokers: 3,
          // Broker 3 leaves the ISR 2 s after its crash: the ISR is then smaller than min.insync.
          config: "replica.lag.time.max.ms: 2000",
          topics:
            "  - { name: t, partitions: 1, replication-factor: 3, assignment: [[1, 2, 3]], config: { min.insync.replicas: 3 } }",
        },
      ),
    );
    const e = r.results.cli[0]!.error.split("\n");
    expect(e[0]).toMatch(
      /^\[1970-01-01 00:00:0\d,\d{3}\] ERROR Error when sending message to topic t with key: null, value: 5 bytes with error: \(org\.apache\.kafka\.clients\.producer\.internals\.ErrorLoggingCallback\)$/,
    );
    expect(e[1]).toMatch(/^org\.apache\.kafka\.common\.errors\.NotEnoughReplicas/);
  });

  it("before 2.8 the prompt is printed once per line read and once at end of input; --broker-list before 2.5", () => {
    const r = run(
      scenario(
        `  - at: 1s
    cli:
      command: kafka-console-producer.sh --broker-list localhost:9092 --topic t
      input: [a, b]
  - at: 1s
    cli:
      command: kafka-console-producer.sh --bootstrap-server localhost:9092 --topic t
      input: [c]
`,
        { version: "2.3" },
      ),
    );
    expect(r.results.cli[0]).toMatchObject({ output: ">>>", error: "" });
    expect(r.results.cli[1]!.error).toMatch(/bootstrap-server is not a recognized option/);
  });

  it("unit: LineMessageReader parsing and the formatter's fields", () => {
    const p = { parseKey: true, keySeparator: "::", ignoreError: true, nullMarker: "NULL" };
    expect(parseLine("k::v::w", 1, p)).toEqual({ key: "k", value: "v::w" });
    expect(parseLine("plain", 1, p)).toEqual({ key: null, value: "plain" });
    expect(parseLine("NULL::x", 1, p)).toEqual({ key: null, value: "x" });
    const rec = {
      topic: "t",
      partition: 2,
      offset: 7,
      key: null,
      value: "v",
      timestampMs: 5,
      bytes: 1,
    };
    expect(
      formatRecord(rec, formatterProps({ "print.key": "true", "key.separator": "|" }, "4.1")),
    ).toBe("null|v\n");
    // Partition and offset arrived with KIP-431 (2.7); older formatters ignore them.
    expect(formatRecord(rec, formatterProps({ "print.offset": "true" }, "2.6"))).toBe("v\n");
    expect(
      formatRecord(rec, formatterProps({ "print.value": "false", "print.offset": "true" }, "4.1")),
    ).toBe("Offset:7\n");
  });
});
