// The client metrics table: producers' rows, then consumers', a column per client, `-` when down.
import { describe, expect, it } from "vitest";
import { formatClientMetrics } from "../../sim/tools/client-metrics.ts";

describe("tools: client metrics", () => {
  it("lays out producer and consumer metrics by the clients' names", () => {
    const out = formatClientMetrics([
      { client: "producer-1", kind: "producer", up: true, metrics: { "record-send-rate": 99.5 } },
      {
        client: "consumer-1",
        kind: "consumer",
        up: true,
        metrics: { "records-lag-max": 12, "commit-latency-avg": 1.23456 },
      },
      { client: "consumer-2", kind: "consumer", up: false, metrics: { "records-lag-max": 3 } },
    ]);
    expect(out.split("\n")).toEqual([
      "# client metrics (the Java clients' names; lifetime values)",
      "METRIC                        producer-1  consumer-1  consumer-2",
      "producer: record-send-rate          99.5",
      "consumer: records-lag-max                         12           -",
      "consumer: commit-latency-avg                   1.235           -",
      "",
    ]);
  });

  it("prints nothing without clients", () => {
    expect(formatClientMetrics([])).toBe("");
  });
});
