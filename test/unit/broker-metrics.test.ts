import { describe, expect, it } from "vitest";
import { newCounters } from "../../sim/kafka/broker/metrics.ts";
import { formatJmxTool, formatMetricsTable, metricRows } from "../../sim/tools/broker-metrics.ts";

const gauges = {
  UnderReplicatedPartitions: 2,
  UnderMinIsrPartitionCount: 1,
  AtMinIsrPartitionCount: 0,
  LeaderCount: 3,
  PartitionCount: 3,
  OfflineReplicaCount: 0,
};

describe("tools: broker metrics", () => {
  it("gives gauges a Value and meters a Count and a mean rate over the elapsed time", () => {
    const broker = { ...newCounters(), ...gauges, IsrShrinksPerSec: 3, BytesInPerSec: 1000 };
    // 4 s elapsed: 3 shrinks → 0.75/s; 1000 bytes → 250/s.
    const rows = metricRows({ atUs: 4_000_000, nodes: [{ node: "2", up: true, broker }] });
    const find = (name: string, attribute: string) =>
      rows.find((r) => r.mbean.endsWith(`name=${name}`) && r.attribute === attribute)?.values;
    expect(find("UnderReplicatedPartitions", "Value")).toEqual([2]);
    expect(find("IsrShrinksPerSec", "Count")).toEqual([3]);
    expect(find("IsrShrinksPerSec", "MeanRate")).toEqual([0.75]);
    expect(find("BytesInPerSec", "MeanRate")).toEqual([250]);
    expect(rows[0]?.mbean).toBe("kafka.server:type=ReplicaManager,name=UnderReplicatedPartitions");
    // No controller part on any node: no kafka.controller MBeans at all.
    expect(rows.some((r) => r.mbean.startsWith("kafka.controller"))).toBe(false);
  });

  it("shows a down node as '-' in the table and as a connection error in JmxTool form", () => {
    const broker = { ...newCounters(), ...gauges };
    const input = {
      atUs: 1_000_000,
      nodes: [
        { node: "1", up: false, broker },
        { node: "2", up: true, broker },
      ],
    };
    const table = formatMetricsTable(input);
    expect(table).toContain("# down (JMX does not answer): 1");
    expect(table).toMatch(/name=UnderReplicatedPartitions:Value +- +2\n/);
    const down = formatJmxTool(input, "1");
    expect(down.exitCode).toBe(1);
    expect(down.stderr).toContain("Could not connect to JMX url");
    const missing = formatJmxTool(input, "9");
    expect(missing.stderr).toBe("no node 9 in this cluster (nodes: 1, 2)\n");
  });

  it("prints JmxTool's CSV: quoted names with time first, then the values in ms", () => {
    const broker = { ...newCounters(), ...gauges };
    const out = formatJmxTool({ atUs: 2_500_000, nodes: [{ node: "3", up: true, broker }] }, "3");
    const [header, values] = out.stdout.trimEnd().split("\n");
    expect(
      header?.startsWith(
        '"time","kafka.server:type=ReplicaManager,name=UnderReplicatedPartitions:Value"',
      ),
    ).toBe(true);
    expect(values?.startsWith("2500,2,1,0,0,3,3,")).toBe(true);
    // MBean names contain commas, so the header splits on the quotes' `","`.
    expect(header?.split('","').length).toBe(values?.split(",").length);
  });
});
