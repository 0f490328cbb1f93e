/**
 * The cluster view, drawn with D3 into an SVG element: broker boxes (state by colour, label and
 * border), the active controller marked, and per partition one bar per replica with ticks for
 * log start, HW, LEO and the flushed offset. Keyed joins keep each broker, partition and replica
 * the same element from frame to frame. Text goes in with `.text()`, never as HTML.
 */
import { type BaseType, type Selection, select } from "d3";
import type { SessionState } from "../sim/index.ts";
import {
  type ClusterLayout,
  LEGEND_Y,
  layoutCluster,
  type NodeBox,
  PALETTE,
  type PartitionRow,
  type ReplicaBar,
} from "./cluster-layout.ts";

export interface ClusterViewOptions {
  /** A click on a broker box; shift-click asks for a power loss rather than a process crash. */
  readonly onNodeClick?: (node: NodeBox, event: MouseEvent) => void;
}

export function renderCluster(
  svgElement: SVGSVGElement,
  state: SessionState,
  options: ClusterViewOptions = {},
): ClusterLayout {
  const layout = layoutCluster(state);
  const svg = select(svgElement)
    .attr("viewBox", `0 0 ${layout.width} ${layout.height}`)
    .attr("width", layout.width)
    .attr("height", layout.height)
    .attr("role", "img")
    .attr("aria-label", "the cluster: brokers and replicas");
  drawNodes(svg, layout.nodes, options);
  drawLegend(svg);
  drawPartitions(svg, layout);
  return layout;
}

type Svg = ReturnType<typeof select<SVGSVGElement, unknown>>;

function drawNodes(svg: Svg, nodes: readonly NodeBox[], options: ClusterViewOptions): void {
  const layer = svg
    .selectAll<SVGGElement, null>("g.nodes")
    .data([null])
    .join((enter) => enter.append("g").attr("class", "nodes"));
  const boxes = layer
    .selectAll<SVGGElement, NodeBox>("g.node")
    .data(nodes, (d) => d.key)
    .join((enter) => {
      const g = enter.append("g").attr("class", "node").attr("tabindex", 0);
      g.append("rect").attr("class", "box").attr("rx", 6);
      g.append("text").attr("class", "title").attr("x", 10).attr("y", 22);
      g.append("text").attr("class", "state").attr("x", 10).attr("y", 42);
      g.append("text").attr("class", "controller").attr("x", 10).attr("y", 60);
      return g;
    })
    .attr("transform", (d) => `translate(${d.x},${d.y})`)
    .attr("data-node", (d) => d.name)
    .attr("data-state", (d) => d.look)
    .attr("data-active-controller", (d) => String(d.activeController))
    .attr("aria-label", (d) => `${d.title}: ${d.label}; click to ${d.clickAction}`)
    .style("cursor", "pointer")
    .on("click", (event: MouseEvent, d) => options.onNodeClick?.(d, event));
  boxes
    .select("rect.box")
    .attr("width", (d) => d.width)
    .attr("height", (d) => d.height)
    .attr("fill", (d) => d.fill)
    .attr("fill-opacity", 0.25)
    .attr("stroke", (d) => d.fill)
    .attr("stroke-width", (d) => (d.activeController ? 4 : 2))
    .attr("stroke-dasharray", (d) => d.dash);
  boxes
    .select("text.title")
    .attr("font-weight", "bold")
    .text((d) => d.title);
  boxes.select("text.state").text((d) => d.label);
  boxes.select("text.controller").text((d) => (d.activeController ? "◆ active controller" : ""));
}

/** What the bars' parts and marks mean, drawn once. */
const LEGEND: ReadonlyArray<{ kind: "box" | "line"; colour: string; dash?: string; text: string }> =
  [
    { kind: "box", colour: PALETTE.committed, text: "committed (start..HW)" },
    { kind: "box", colour: PALETTE.uncommitted, text: "not yet committed (HW..LEO)" },
    { kind: "line", colour: "#000000", text: "log start" },
    { kind: "line", colour: PALETTE.fenced, text: "HW" },
    { kind: "line", colour: PALETTE.crashed, text: "LEO" },
    { kind: "line", colour: "#CC79A7", dash: "2 2", text: "flushed" },
    { kind: "line", colour: "#333333", text: "★ leader · dashed track: out of ISR" },
  ];

function drawLegend(svg: Svg): void {
  const items = svg
    .selectAll<SVGGElement, null>("g.legend")
    .data([null])
    .join((enter) => enter.append("g").attr("class", "legend"))
    .attr("transform", `translate(10,${LEGEND_Y})`)
    .selectAll<SVGGElement, (typeof LEGEND)[number]>("g.item")
    .data(LEGEND, (d) => d.text)
    .join((enter) => {
      const g = enter.append("g").attr("class", "item");
      g.append("rect").attr("width", 14).attr("height", 10).attr("y", -9);
      g.append("line").attr("x1", 7).attr("x2", 7).attr("y1", -11).attr("y2", 2);
      g.append("text").attr("x", 18);
      return g;
    });
  let x = 0;
  items.each(function (d) {
    select(this).attr("transform", `translate(${x},0)`);
    x += 30 + d.text.length * 6.2;
  });
  items
    .select("rect")
    .attr("fill", (d) => d.colour)
    .attr("visibility", (d) => (d.kind === "box" ? "visible" : "hidden"));
  items
    .select("line")
    .attr("stroke", (d) => d.colour)
    .attr("stroke-width", 2)
    .attr("stroke-dasharray", (d) => d.dash ?? "")
    .attr("visibility", (d) =>
      d.kind === "line" && !d.text.startsWith("★") ? "visible" : "hidden",
    );
  items.select("text").text((d) => d.text);
}

function drawPartitions(svg: Svg, layout: ClusterLayout): void {
  const layer = svg
    .selectAll<SVGGElement, null>("g.partitions")
    .data([null])
    .join((enter) => enter.append("g").attr("class", "partitions"));
  const rows = layer
    .selectAll<SVGGElement, PartitionRow>("g.partition")
    .data(layout.partitions, (d) => d.key)
    .join((enter) => {
      const g = enter.append("g").attr("class", "partition");
      g.append("text").attr("class", "ptitle").attr("x", 10).attr("y", 14);
      return g;
    })
    .attr("transform", (d) => `translate(0,${d.y})`)
    .attr("data-partition", (d) => d.key)
    .attr("data-leader", (d) => (d.leader === null ? "none" : String(d.leader)));
  rows
    .select("text.ptitle")
    .attr("font-weight", "bold")
    .text((d) => d.title);
  rows
    .selectAll<SVGGElement, ReplicaBar>("g.replica")
    .data(
      (d) => d.replicas.map((r) => ({ ...r, y: r.y - d.y })),
      (d) => d.key,
    )
    .join((enter) => {
      const g = enter.append("g").attr("class", "replica");
      g.append("text").attr("class", "rlabel").attr("x", 20).attr("y", 13);
      g.append("text").attr("class", "membership").attr("x", 150).attr("y", 13);
      g.append("rect").attr("class", "track").attr("height", 14).attr("y", 2);
      g.append("rect").attr("class", "uncommitted").attr("height", 14).attr("y", 2);
      g.append("rect").attr("class", "committed").attr("height", 14).attr("y", 2);
      for (const mark of ["start", "hw", "leo", "flushed"])
        g.append("line").attr("class", `mark mark-${mark}`);
      g.append("text").attr("class", "offsets").attr("y", 13);
      return g;
    })
    .attr("transform", (d) => `translate(0,${d.y})`)
    .attr("data-broker", (d) => String(d.broker))
    .attr("data-role", (d) => d.role)
    .attr("data-leader", (d) => String(d.leader))
    .attr("data-membership", (d) => d.membership)
    .call((g) => drawBar(g as Selection<SVGGElement, ReplicaBar, BaseType, unknown>, layout));
}

function drawBar(
  g: Selection<SVGGElement, ReplicaBar, BaseType, unknown>,
  layout: ClusterLayout,
): void {
  const x0 = layout.barX;
  g.select("text.rlabel")
    .attr("font-weight", (d) => (d.leader ? "bold" : "normal"))
    .text((d) => d.label);
  g.select("text.membership").text((d) => d.membership);
  g.select("rect.track")
    .attr("x", x0)
    .attr("width", layout.barWidth)
    .attr("fill", PALETTE.track)
    .attr("stroke", (d) => (d.membership === "ISR" ? "#333" : "#bbb"))
    .attr("stroke-dasharray", (d) => (d.membership === "ISR" ? "" : "3 2"));
  g.select("rect.uncommitted")
    .attr("x", (d) => x0 + d.hwX)
    .attr("width", (d) => Math.max(0, d.leoX - d.hwX))
    .attr("fill", PALETTE.uncommitted);
  g.select("rect.committed")
    .attr("x", (d) => x0 + d.startX)
    .attr("width", (d) => Math.max(0, d.hwX - d.startX))
    .attr("fill", PALETTE.committed);
  const mark = (name: string, at: (d: ReplicaBar) => number, dash: string, colour: string) =>
    g
      .select(`line.mark-${name}`)
      .attr("x1", (d) => x0 + at(d))
      .attr("x2", (d) => x0 + at(d))
      .attr("y1", 0)
      .attr("y2", 18)
      .attr("stroke", colour)
      .attr("stroke-width", 2)
      .attr("stroke-dasharray", dash)
      .attr("visibility", (d) => (d.hosted ? "visible" : "hidden"));
  mark("start", (d) => d.startX, "", "#000000");
  mark("hw", (d) => d.hwX, "", PALETTE.fenced);
  mark("leo", (d) => d.leoX, "", PALETTE.crashed);
  mark("flushed", (d) => d.flushedX, "2 2", "#CC79A7");
  g.select("text.offsets")
    .attr("x", x0 + layout.barWidth + 8)
    .text((d) => d.offsets);
}
