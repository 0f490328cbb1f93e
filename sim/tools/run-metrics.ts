/**
 * The metrics section of a run's report: at the end of the run, the numbers an operator would
 * glance at, under Kafka's names, in one short table per kind: per broker the messages and bytes
 * it took in as a leader, failed produce requests, under-replicated partitions and leaders it
 * holds; per producer records sent, errors and request latency; per consumer records consumed,
 * the worst lag seen and rebalances. `kafkasim metrics` prints every metric; this is the summary.
 */

import type { NodeMetrics } from "./broker-metrics.ts";
import type { ClientMetrics } from "./client-metrics.ts";

const BROKER_COLUMNS = [
  ["MessagesIn", (m) => m.MessagesInPerSec],
  ["BytesIn", (m) => m.BytesInPerSec],
  ["BytesOut", (m) => m.BytesOutPerSec],
  ["FailedProduce", (m) => m.FailedProduceRequestsPerSec],
  ["UnderReplicated", (m) => m.UnderReplicatedPartitions],
  ["Leaders", (m) => m.LeaderCount],
] as const satisfies ReadonlyArray<
  readonly [string, (m: NonNullable<NodeMetrics["broker"]>) => number]
>;

const PRODUCER_COLUMNS = [
  "record-send-total",
  "record-error-rate",
  "record-retry-rate",
  "request-latency-avg",
] as const;
const CONSUMER_COLUMNS = [
  "records-consumed-total",
  "records-lag-max",
  "rebalance-total",
  "commit-latency-avg",
] as const;

function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) =>
    `  ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ")}`.trimEnd();
  return [line(header), ...rows.map(line)];
}

function num(v: number | undefined): string {
  if (v === undefined) return "";
  return Number.isInteger(v) ? String(v) : String(Math.round(v * 1000) / 1000);
}

/** The section's lines (empty when there is nothing to show). */
export function runMetricsLines(
  nodes: readonly NodeMetrics[],
  clients: readonly ClientMetrics[],
): string[] {
  const out: string[] = [];
  const brokers = nodes.filter((n) => n.broker !== undefined);
  if (brokers.length > 0) {
    out.push(
      ...table(
        ["broker", ...BROKER_COLUMNS.map(([name]) => name)],
        brokers.map((n) => [
          n.up ? n.node : `${n.node} (down)`,
          ...BROKER_COLUMNS.map(([, read]) => num(read(n.broker!))),
        ]),
      ),
    );
  }
  const producers = clients.filter((c) => c.kind === "producer");
  if (producers.length > 0) {
    if (out.length > 0) out.push("");
    out.push(
      ...table(
        ["producer", ...PRODUCER_COLUMNS],
        producers.map((c) => [
          c.up ? c.client : `${c.client} (down)`,
          ...PRODUCER_COLUMNS.map((k) => num(c.metrics[k])),
        ]),
      ),
    );
  }
  const consumers = clients.filter((c) => c.kind === "consumer");
  if (consumers.length > 0) {
    if (out.length > 0) out.push("");
    out.push(
      ...table(
        ["consumer", ...CONSUMER_COLUMNS],
        consumers.map((c) => [
          c.up ? c.client : `${c.client} (down)`,
          ...CONSUMER_COLUMNS.map((k) => num(c.metrics[k])),
        ]),
      ),
    );
  }
  return out;
}
