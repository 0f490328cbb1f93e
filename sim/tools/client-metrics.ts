/**
 * Client metrics under the Java clients' names, one column per client: the producer's
 * producer-metrics (record-send-rate, request-latency-avg, ...) and the consumer's
 * consumer-fetch-manager-metrics and consumer-coordinator-metrics (records-lag-max,
 * commit-latency-avg, rebalance-latency-avg, ...). Kafka exposes them per client through JMX as
 * `kafka.producer:type=producer-metrics,client-id=<id>` and
 * `kafka.consumer:type=consumer-fetch-manager-metrics,client-id=<id>`; here they are one table.
 *
 * Simplifies: the clients' metrics are lifetime values, not Kafka's 30 s sample windows (see the
 * clients' own headers). A client whose process is down shows `-`.
 */

import type { KafkaConsumer } from "../client/consumer/kafka-consumer.ts";
import type { KafkaProducer } from "../client/producer/kafka-producer.ts";

export interface ClientMetrics {
  readonly client: string;
  readonly kind: "producer" | "consumer";
  readonly up: boolean;
  readonly metrics: Readonly<Record<string, number>>;
}

function cell(v: number | undefined, up: boolean): string {
  if (!up) return "-";
  if (v === undefined) return "";
  return Number.isInteger(v) ? String(v) : String(Math.round(v * 1000) / 1000);
}

/** Producers' rows first, then consumers', each metric in the clients' own order. */
export function formatClientMetrics(clients: readonly ClientMetrics[]): string {
  if (clients.length === 0) return "";
  const names: Array<{ kind: ClientMetrics["kind"]; name: string }> = [];
  for (const kind of ["producer", "consumer"] as const) {
    for (const c of clients) {
      if (c.kind !== kind) continue;
      for (const name of Object.keys(c.metrics))
        if (!names.some((n) => n.kind === kind && n.name === name)) names.push({ kind, name });
    }
  }
  const header = ["METRIC", ...clients.map((c) => c.client)];
  const body = names.map(({ kind, name }) => [
    `${kind}: ${name}`,
    ...clients.map((c) => (c.kind === kind ? cell(c.metrics[name], c.up) : "")),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cols: readonly string[]) =>
    cols
      .map((c, i) => (i === 0 ? c.padEnd(widths[0]!) : c.padStart(widths[i]!)))
      .join("  ")
      .trimEnd();
  return `${["# client metrics (the Java clients' names; lifetime values)", line(header), ...body.map(line)].join("\n")}\n`;
}

/** The rows the table reads, from the scenario's clients (a stopped or killed client shows `-`). */
export function clientMetricsOf(
  producers: ReadonlyMap<string, KafkaProducer>,
  consumers: ReadonlyMap<string, KafkaConsumer>,
): ClientMetrics[] {
  const rows: ClientMetrics[] = [];
  for (const [client, p] of producers)
    rows.push({ client, kind: "producer", up: p.host.isUp, metrics: { ...p.metrics() } });
  for (const [client, c] of consumers)
    rows.push({ client, kind: "consumer", up: c.host.isUp, metrics: { ...c.snapshot().metrics } });
  return rows;
}
