/**
 * Broker and controller metrics under Kafka's JMX names, as an operator reads them: one table with
 * a column per node, or the CSV that Kafka's JmxTool (`kafka-run-class.sh kafka.tools.JmxTool`,
 * `org.apache.kafka.tools.JmxTool` from 3.5) prints for one node.
 *
 * Meters (the `...PerSec` names, LeaderElectionRateAndTimeMs) show their `Count` and `MeanRate`:
 * events per second over the virtual time elapsed, as a Yammer meter's mean rate is over its
 * lifetime. Gauges show their `Value`. A node whose process is down answers nothing, as JMX would
 * not: its column shows `-` and JmxTool output says it cannot connect.
 *
 * Simplifies: no one-, five- or fifteen-minute moving averages (the model keeps counts, not
 * EWMAs); meters count from the start of the run, across restarts (a real JVM starts over).
 */
import type { BrokerMetrics } from "../kafka/broker/metrics.ts";
import type { KafkaCluster } from "../kafka/cluster.ts";
import type { ControllerMetrics } from "../kafka/controller/quorum-controller.ts";

type MetricKind = "gauge" | "meter";

interface MetricDef {
  readonly mbean: string;
  readonly kind: MetricKind;
}

/** Broker metrics, in the order an operator's dashboard usually lists them. */
const BROKER_METRICS: ReadonlyArray<readonly [keyof BrokerMetrics & string, MetricDef]> = [
  ["UnderReplicatedPartitions", rm("UnderReplicatedPartitions", "gauge")],
  ["UnderMinIsrPartitionCount", rm("UnderMinIsrPartitionCount", "gauge")],
  ["AtMinIsrPartitionCount", rm("AtMinIsrPartitionCount", "gauge")],
  ["OfflineReplicaCount", rm("OfflineReplicaCount", "gauge")],
  ["LeaderCount", rm("LeaderCount", "gauge")],
  ["PartitionCount", rm("PartitionCount", "gauge")],
  ["IsrShrinksPerSec", rm("IsrShrinksPerSec", "meter")],
  ["IsrExpandsPerSec", rm("IsrExpandsPerSec", "meter")],
  ["BytesInPerSec", btm("BytesInPerSec")],
  ["BytesOutPerSec", btm("BytesOutPerSec")],
  ["MessagesInPerSec", btm("MessagesInPerSec")],
  ["ReplicationBytesInPerSec", btm("ReplicationBytesInPerSec")],
  ["ReplicationBytesOutPerSec", btm("ReplicationBytesOutPerSec")],
  ["TotalProduceRequestsPerSec", btm("TotalProduceRequestsPerSec")],
  ["FailedProduceRequestsPerSec", btm("FailedProduceRequestsPerSec")],
  ["TotalFetchRequestsPerSec", btm("TotalFetchRequestsPerSec")],
  [
    "ProduceExpiresPerSec",
    { mbean: "kafka.server:type=DelayedProduceMetrics,name=ExpiresPerSec", kind: "meter" },
  ],
];

const CONTROLLER_METRICS: ReadonlyArray<readonly [keyof ControllerMetrics & string, MetricDef]> = [
  ["ActiveControllerCount", kc("ActiveControllerCount")],
  ["OfflinePartitionsCount", kc("OfflinePartitionsCount")],
  ["GlobalTopicCount", kc("GlobalTopicCount")],
  ["GlobalPartitionCount", kc("GlobalPartitionCount")],
  ["ActiveBrokerCount", kc("ActiveBrokerCount")],
  ["FencedBrokerCount", kc("FencedBrokerCount")],
  [
    "LeaderElectionRateAndTimeMs",
    {
      mbean: "kafka.controller:type=ControllerStats,name=LeaderElectionRateAndTimeMs",
      kind: "meter",
    },
  ],
  [
    "UncleanLeaderElectionsPerSec",
    {
      mbean: "kafka.controller:type=ControllerStats,name=UncleanLeaderElectionsPerSec",
      kind: "meter",
    },
  ],
];

function rm(name: string, kind: MetricKind): MetricDef {
  return { mbean: `kafka.server:type=ReplicaManager,name=${name}`, kind };
}
function btm(name: string): MetricDef {
  return { mbean: `kafka.server:type=BrokerTopicMetrics,name=${name}`, kind: "meter" };
}
function kc(name: string): MetricDef {
  return { mbean: `kafka.controller:type=KafkaController,name=${name}`, kind: "gauge" };
}

/** One node's metrics as the tool reads them (from broker and controller snapshots). */
export interface NodeMetrics {
  /** The node id, "1" or "4". */
  readonly node: string;
  /** False when the process is down: JMX does not answer. */
  readonly up: boolean;
  readonly broker?: BrokerMetrics;
  readonly controller?: ControllerMetrics;
}

export interface MetricsInput {
  /** The virtual time the metrics are read at, µs (meters' mean rate divides by it). */
  readonly atUs: number;
  readonly nodes: readonly NodeMetrics[];
}

/** One row: an MBean attribute and its value on each node (undefined: the node has no such MBean). */
export interface MetricRow {
  readonly mbean: string;
  readonly attribute: "Value" | "Count" | "MeanRate";
  readonly values: ReadonlyArray<number | undefined | "down">;
}

/** The rows for the given nodes, brokers' MBeans first, then the controllers'. */
export function metricRows(input: MetricsInput): MetricRow[] {
  const rows: MetricRow[] = [];
  const seconds = input.atUs / 1_000_000;
  const add = <K extends string>(
    defs: ReadonlyArray<readonly [K, MetricDef]>,
    read: (n: NodeMetrics) => Readonly<Record<K, number>> | undefined,
  ) => {
    if (!input.nodes.some((n) => read(n) !== undefined)) return;
    for (const [key, def] of defs) {
      const readValue = (n: NodeMetrics): number | undefined | "down" => {
        const m = read(n);
        if (m === undefined) return undefined;
        return n.up ? m[key] : "down";
      };
      if (def.kind === "gauge") {
        rows.push({ mbean: def.mbean, attribute: "Value", values: input.nodes.map(readValue) });
      } else {
        const counts = input.nodes.map(readValue);
        rows.push({ mbean: def.mbean, attribute: "Count", values: counts });
        rows.push({
          mbean: def.mbean,
          attribute: "MeanRate",
          values: counts.map((c) => (typeof c === "number" ? meanRate(c, seconds) : c)),
        });
      }
    }
  };
  add(BROKER_METRICS, (n) => n.broker);
  add(CONTROLLER_METRICS, (n) => n.controller);
  return rows;
}

/** Count per second, to three decimals (0 at t = 0). */
function meanRate(count: number, seconds: number): number {
  if (seconds <= 0) return 0;
  return Math.round((count / seconds) * 1000) / 1000;
}

function cell(v: number | undefined | "down"): string {
  if (v === undefined) return "";
  if (v === "down") return "-";
  return String(v);
}

/** The table: `MBEAN:ATTRIBUTE` then one right-aligned column per node. */
export function formatMetricsTable(input: MetricsInput): string {
  const rows = metricRows(input);
  const header = ["MBEAN:ATTRIBUTE", ...input.nodes.map((n) => `node ${n.node}`)];
  const body = rows.map((r) => [`${r.mbean}:${r.attribute}`, ...r.values.map(cell)]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cols: readonly string[]) =>
    cols
      .map((c, i) => (i === 0 ? c.padEnd(widths[0]!) : c.padStart(widths[i]!)))
      .join("  ")
      .trimEnd();
  const seconds = (input.atUs / 1_000_000).toFixed(3);
  const down = input.nodes.filter((n) => !n.up).map((n) => n.node);
  const notes = [
    `# metrics at t=${seconds}s; meters show Count and MeanRate (per second since t=0)`,
    ...(down.length > 0 ? [`# down (JMX does not answer): ${down.join(", ")}`] : []),
  ];
  return `${[...notes, line(header), ...body.map(line)].join("\n")}\n`;
}

/**
 * JmxTool's CSV for one node: a header of quoted `"time"` and `"MBean:Attribute"` names, then one
 * line of values with the time in milliseconds. A node that is down gives JmxTool's connection
 * error instead (stderr) and exit code 1.
 */
export function formatJmxTool(
  input: MetricsInput,
  node: string,
): { stdout: string; stderr: string; exitCode: 0 | 1 } {
  const index = input.nodes.findIndex((n) => n.node === node);
  const target = input.nodes[index];
  if (target === undefined) {
    const known = input.nodes.map((n) => n.node).join(", ");
    return {
      stdout: "",
      stderr: `no node ${node} in this cluster (nodes: ${known})\n`,
      exitCode: 1,
    };
  }
  if (!target.up) {
    return {
      stdout: "",
      stderr: `Could not connect to JMX url: service:jmx:rmi:///jndi/rmi://${node}:9999/jmxrmi (the process is down).\n`,
      exitCode: 1,
    };
  }
  const rows = metricRows({ atUs: input.atUs, nodes: [target] }).filter(
    (r) => r.values[0] !== undefined,
  );
  const names = ["time", ...rows.map((r) => `${r.mbean}:${r.attribute}`)];
  const values = [String(Math.floor(input.atUs / 1000)), ...rows.map((r) => cell(r.values[0]))];
  return {
    stdout: `${names.map((n) => `"${n}"`).join(",")}\n${values.join(",")}\n`,
    stderr: "",
    exitCode: 0,
  };
}

/** Every broker and controller node of a cluster, in id order (combined nodes have both parts). */
export function nodeMetricsOf(cluster: KafkaCluster): NodeMetrics[] {
  const byId = new Map<
    number,
    { up: boolean; broker?: BrokerMetrics; controller?: ControllerMetrics }
  >();
  for (const b of cluster.brokerSnapshots()) {
    byId.set(b.id, { up: b.state !== "not-running", broker: b.metrics });
  }
  for (const c of cluster.controllerSnapshots()) {
    const entry = byId.get(c.nodeId);
    if (entry !== undefined) entry.controller = c.metrics;
    else byId.set(c.nodeId, { up: c.running, controller: c.metrics });
  }
  return [...byId.entries()]
    .sort(([a], [b]) => a - b)
    .map(([id, m]) => ({ node: String(id), ...m }));
}
