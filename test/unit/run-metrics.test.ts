// The run report's metrics section: brokers, producers and consumers in short aligned tables,
// Kafka's metric names, a down node or client marked.
import { describe, expect, it } from "vitest";
import type { NodeMetrics } from "../../sim/tools/broker-metrics.ts";
import { runMetricsLines } from "../../sim/tools/run-metrics.ts";

const broker = (messages: number): NonNullable<NodeMetrics["broker"]> => ({
  IsrShrinksPerSec: 0,
  IsrExpandsPerSec: 0,
  BytesInPerSec: messages * 100,
  BytesOutPerSec: messages * 300,
  MessagesInPerSec: messages,
  ReplicationBytesInPerSec: 0,
  ReplicationBytesOutPerSec: 0,
  FailedProduceRequestsPerSec: 0,
  TotalProduceRequestsPerSec: 0,
  TotalFetchRequestsPerSec: 0,
  ProduceExpiresPerSec: 0,
  UnderReplicatedPartitions: messages > 0 ? 0 : 1,
  UnderMinIsrPartitionCount: 0,
  AtMinIsrPartitionCount: 0,
  LeaderCount: messages > 0 ? 1 : 0,
  PartitionCount: 1,
  OfflineReplicaCount: 0,
});

describe("tools: run metrics", () => {
  it("lays out brokers, producers and consumers", () => {
    const lines = runMetricsLines(
      [
        { node: "1", up: true, broker: broker(500) },
        { node: "2", up: false, broker: broker(0) },
        { node: "4", up: true },
      ],
      [
        {
          client: "p",
          kind: "producer",
          up: true,
          metrics: { "record-send-total": 500, "request-latency-avg": 0.4567 },
        },
        {
          client: "c",
          kind: "consumer",
          up: true,
          metrics: { "records-consumed-total": 500, "records-lag-max": 12 },
        },
      ],
    );
    expect(lines).toEqual([
      "  broker    MessagesIn  BytesIn  BytesOut  FailedProduce  UnderReplicated  Leaders",
      "  1                500    50000    150000              0                0        1",
      "  2 (down)           0        0         0              0                1        0",
      "",
      "  producer  record-send-total  record-error-rate  record-retry-rate  request-latency-avg",
      "  p                       500                                                      0.457",
      "",
      "  consumer  records-consumed-total  records-lag-max  rebalance-total  commit-latency-avg",
      "  c                            500               12",
    ]);
  });

  it("is empty with nothing to show", () => {
    expect(runMetricsLines([{ node: "4", up: true }], [])).toEqual([]);
  });
});
