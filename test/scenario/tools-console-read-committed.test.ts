// kafka-console-consumer.sh --isolation-level read_committed prints what a read_committed consumer
// returns: the records of an aborted transaction are skipped, and the records after it are printed
// (the tool once printed the aborted ones in their place and dropped as many at the end).
import { describe, expect, it } from "vitest";
import { parseScenarioText } from "../../sim/scenario/load.ts";
import { runScenario } from "../../sim/scenario/runner.ts";

// plain-0 and plain-1 (offsets 0, 1), tx's two records (2, 3) aborted by the marker at 4, then
// plain-2 and plain-3 (5, 6).
const TEXT = `
version: 1
name: console consumer across an aborted transaction
seed: 1
duration: 20s
cluster: { version: "4.1", brokers: 1 }
topics:
  - { name: t, partitions: 1, replication-factor: 1 }
clients:
  - id: plain
    type: producer
    payloads: true
  - id: tx
    type: producer
    payloads: true
    config: { transactional.id: tx-1 }
    workload: { topic: t, rate: 10/s, count: 2, from: 2s, transaction: { records: 2, end: abort } }
timeline:
  - { at: 1s, produce: { client: plain, topic: t, value: plain, count: 2 } }
  - { at: 5s, produce: { client: plain, topic: t, value: later, count: 2 } }
  - at: 10s
    cli: kafka-console-consumer.sh --bootstrap-server localhost:9092 --topic t --partition 0 --offset 0 --isolation-level read_committed --property print.offset=true --timeout-ms 2000
  - at: 10s
    cli: kafka-console-consumer.sh --bootstrap-server localhost:9092 --topic t --partition 0 --offset 0 --isolation-level read_uncommitted --property print.offset=true --timeout-ms 2000
`;

describe("kafka-console-consumer.sh across an aborted transaction", () => {
  const r = runScenario(parseScenarioText(TEXT, "console-rc.yaml"));
  const lines = (i: number) =>
    r.results.cli[i]!.output.split("\n").filter((l) => l.startsWith("Offset:"));

  it("read_committed prints the plain records around the aborted ones, not the aborted ones", () => {
    expect(lines(0)).toEqual([
      "Offset:0\tplain-0",
      "Offset:1\tplain-1",
      "Offset:5\tlater-0",
      "Offset:6\tlater-1",
    ]);
  });

  it("read_uncommitted prints the aborted records too", () => {
    expect(lines(1)).toEqual([
      "Offset:0\tplain-0",
      "Offset:1\tplain-1",
      "Offset:2\ttx:0",
      "Offset:3\ttx:1",
      "Offset:5\tlater-0",
      "Offset:6\tlater-1",
    ]);
  });
});
