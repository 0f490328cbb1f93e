// scenario: DeleteRecords through the real cluster. kafka-delete-records.sh moves orders-0's log
// start to 100 on its leader (followers follow through their fetches), refuses an offset above
// the HW with OFFSET_OUT_OF_RANGE, and the no-lost-acked-writes checker counts the records below
// the new log start as removed, not lost.
import { describe, expect, it } from "vitest";
import { parseScenarioText } from "../../sim/scenario/load.ts";
import { runScenario } from "../../sim/scenario/runner.ts";

const TEXT = `version: 1
name: delete-records
duration: 10s
cluster: { version: "4.1", brokers: 3 }
topics:
  - { name: orders, partitions: 2, replication-factor: 3, assignment: [[1, 2, 3], [2, 3, 1]] }
clients:
  - id: producer-1
    type: producer
    workload: { topic: orders, rate: 100/s, value-size: 100B, until: 4s }
timeline:
  - at: 5s
    cli:
      command: kafka-delete-records.sh --bootstrap-server localhost:9092 --offset-json-file offsets.json
      input:
        - '{"partitions": [{"topic": "orders", "partition": 0, "offset": 100},'
        - '  {"topic": "orders", "partition": 1, "offset": 100000}], "version": 1}'
expect:
  - check: no-lost-acked-writes
`;

describe("scenario: kafka-delete-records.sh", () => {
  it("moves the log start on every replica, refuses an offset above the HW", () => {
    const starts: number[] = [];
    const r = runScenario(parseScenarioText(TEXT, "dr.yaml"), {
      atEnd: ({ kafka }) => {
        for (const b of kafka!.cluster.brokerSnapshots()) {
          const p = b.partitions.find((x) => x.topic === "orders" && x.partition === 0);
          if (p !== undefined) starts.push(p.logStartOffset);
        }
      },
    });
    expect(r.results.ok).toBe(true);
    const out = r.results.cli[0]!.output;
    expect(out).toContain("partition: orders-0\tlow_watermark: 100\n");
    expect(out).toContain(
      "partition: orders-1\terror: org.apache.kafka.common.errors.OffsetOutOfRangeException",
    );
    // The leader and both followers (which learn the log start from the leader's fetch answers).
    expect(starts).toEqual([100, 100, 100]);
    expect(r.results.checks.find((c) => c.name === "no-lost-acked-writes")?.detail).toMatch(
      /; 100 removed by retention, compaction or delete-records/,
    );
  });
});
