/**
 * The teaching view Kafka has no single tool for: every replica of every partition with its
 * role, leader epoch, log start offset, high watermark, log end offset and flushed offset, from
 * the brokers' own snapshots (what each broker believes, not the controller's truth). Kafka shows
 * parts of this through `kafka-log-dirs.sh`, JMX (LogStartOffset, LogEndOffset) and the logs.
 *
 * Layout: one row per replica, partitions in (topic, partition) order, replicas by broker id; a
 * broker that is down shows its last state on disk as `down`. UNFLUSHED is LEO − flushed: what a
 * power loss would take from that replica now.
 */
import type { BrokerSnapshot } from "../kafka/broker/broker.ts";

export function formatReplicaOffsets(
  brokers: readonly BrokerSnapshot[],
  options: { readonly topics?: readonly string[]; readonly atUs: number },
): string {
  const rows: string[][] = [];
  const entries: Array<{ b: BrokerSnapshot; p: BrokerSnapshot["partitions"][number] }> = [];
  for (const b of brokers) for (const p of b.partitions) entries.push({ b, p });
  entries.sort(
    (x, y) =>
      (x.p.topic < y.p.topic ? -1 : x.p.topic > y.p.topic ? 1 : 0) ||
      x.p.partition - y.p.partition ||
      x.b.id - y.b.id,
  );
  for (const { b, p } of entries) {
    if (
      options.topics !== undefined &&
      options.topics.length > 0 &&
      !options.topics.includes(p.topic)
    )
      continue;
    if (p.topic.startsWith("__") && (options.topics === undefined || options.topics.length === 0))
      continue;
    const down = b.state === "not-running";
    rows.push([
      `${p.topic}-${p.partition}`,
      String(b.id),
      down ? "down" : p.role,
      String(p.leaderEpoch),
      String(p.logStartOffset),
      String(p.hw),
      String(p.leo),
      String(p.flushedOffset),
      String(p.leo - p.flushedOffset),
    ]);
  }
  const header = [
    "PARTITION",
    "BROKER",
    "ROLE",
    "EPOCH",
    "LOG-START",
    "HW",
    "LEO",
    "FLUSHED",
    "UNFLUSHED",
  ];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cols: readonly string[]) =>
    cols.map((c, i) => (i < 3 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  const seconds = (options.atUs / 1_000_000).toFixed(3);
  return `${[`# replicas at t=${seconds}s, as each broker sees itself`, line(header), ...rows.map(line)].join("\n")}\n`;
}
