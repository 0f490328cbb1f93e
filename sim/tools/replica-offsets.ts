/**
 * The teaching view Kafka has no single tool for: every replica of every partition with its
 * role, leader epoch, log start offset, high watermark, log end offset and flushed offset, from
 * the brokers' own snapshots (what each broker believes, not the controller's truth). Kafka shows
 * parts of this through `kafka-log-dirs.sh`, JMX (LogStartOffset, LogEndOffset) and the logs.
 *
 * Layout: one row per replica, partitions in (topic, partition) order, replicas by broker id; a
 * broker that is down shows its last state on disk as `down`. UNFLUSHED is LEO − flushed: what a
 * power loss would take from that replica now. An LSO column (the last stable offset, which
 * read_committed consumers read up to) stands just before HW when a transaction holds some shown
 * replica's LSO behind its HW; without that it would only repeat the HW, and is left out.
 */
import type { BrokerSnapshot } from "../kafka/broker/broker.ts";

export function formatReplicaOffsets(
  brokers: readonly BrokerSnapshot[],
  options: { readonly topics?: readonly string[]; readonly atUs: number },
): string {
  const rows: string[][] = [];
  let lsoBehind = false;
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
    if (p.lastStable !== p.hw) lsoBehind = true;
    rows.push([
      `${p.topic}-${p.partition}`,
      String(b.id),
      down ? "down" : p.role,
      String(p.leaderEpoch),
      String(p.logStartOffset),
      String(p.lastStable),
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
    "LSO",
    "HW",
    "LEO",
    "FLUSHED",
    "UNFLUSHED",
  ];
  // Column 5 (LSO) only when it tells something the HW does not.
  const LSO_COLUMN = 5;
  if (!lsoBehind) {
    header.splice(LSO_COLUMN, 1);
    for (const r of rows) r.splice(LSO_COLUMN, 1);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cols: readonly string[]) =>
    cols.map((c, i) => (i < 3 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  const seconds = (options.atUs / 1_000_000).toFixed(3);
  return `${[`# replicas at t=${seconds}s, as each broker sees itself`, line(header), ...rows.map(line)].join("\n")}\n`;
}
