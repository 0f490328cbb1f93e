/**
 * The cluster view, drawn with D3 into an SVG element: broker boxes (state by colour, label and
 * border; a network fault by a dash-dot outer border and a "⚡" line), the active controller
 * marked, and per partition one bar per replica with ticks for log start, HW, LEO, the flushed
 * offset, segment boundaries and the LSO (when it differs from the HW), and hatched ranges where
 * records were truncated or committed records lost. Keyed joins keep each broker, partition and
 * replica the same element from frame to frame. Text goes in with `.text()`, never as HTML.
 */
import { type BaseType, type Selection, select } from "d3";
import type { SessionState, TraceEvent } from "../sim/index.ts";
import { ClusterHistory } from "./cluster-history.ts";
import {
  type ClusterLayout,
  LEGEND_LINE,
  LEGEND_Y,
  type LossMark,
  layoutCluster,
  type NodeBox,
  PALETTE,
  type PartitionRow,
  type ReplicaBar,
  type TruncationMark,
} from "./cluster-layout.ts";

export interface ClusterViewOptions {
  /** A click on a broker box; shift-click asks for a power loss rather than a process crash. */
  readonly onNodeClick?: (node: NodeBox, event: MouseEvent) => void;
  /**
   * The session's trace so far (`session.events`): with it the view shows network faults and
   * the records truncated or lost. Read incrementally, per SVG element.
   */
  readonly events?: readonly TraceEvent[];
}

/** One history per SVG element, so each view reads only the events it has not seen. */
const histories = new WeakMap<SVGSVGElement, ClusterHistory>();

/** The hatching of records thrown away (one pattern per document). */
const HATCH_ID = "kafkasim-cluster-lost";

export function renderCluster(
  svgElement: SVGSVGElement,
  state: SessionState,
  options: ClusterViewOptions = {},
): ClusterLayout {
  let history: ClusterHistory | undefined;
  if (options.events !== undefined) {
    history = histories.get(svgElement) ?? new ClusterHistory();
    histories.set(svgElement, history);
    history.update(options.events);
  }
  const layout = layoutCluster(state, history);
  const svg = select(svgElement)
    .attr("viewBox", `0 0 ${layout.width} ${layout.height}`)
    .attr("width", layout.width)
    .attr("height", layout.height)
    .attr("role", "img")
    .attr("aria-label", "the cluster: brokers and replicas");
  drawDefs(svg);
  drawNodes(svg, layout.nodes, options);
  drawLegend(svg);
  drawPartitions(svg, layout);
  return layout;
}

type Svg = ReturnType<typeof select<SVGSVGElement, unknown>>;

function drawDefs(svg: Svg): void {
  svg
    .selectAll<SVGDefsElement, null>("defs.cluster")
    .data([null])
    .join((enter) => {
      const defs = enter.append("defs").attr("class", "cluster");
      const pattern = defs
        .append("pattern")
        .attr("id", HATCH_ID)
        .attr("patternUnits", "userSpaceOnUse")
        .attr("width", 6)
        .attr("height", 6)
        .attr("patternTransform", "rotate(45)");
      pattern.append("rect").attr("width", 6).attr("height", 6).attr("fill", "#ffffff");
      pattern
        .append("line")
        .attr("x1", 0)
        .attr("y1", 0)
        .attr("x2", 0)
        .attr("y2", 6)
        .attr("stroke", PALETTE.lost)
        .attr("stroke-width", 3);
      return defs;
    });
}

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
      g.append("rect").attr("class", "netring").attr("rx", 9).attr("x", -4).attr("y", -4);
      g.append("rect").attr("class", "box").attr("rx", 6);
      g.append("text").attr("class", "title").attr("x", 10).attr("y", 22);
      g.append("text").attr("class", "state").attr("x", 10).attr("y", 40);
      g.append("text").attr("class", "network").attr("x", 10).attr("y", 58);
      g.append("text").attr("class", "controller").attr("x", 10).attr("y", 76);
      g.append("title");
      return g;
    })
    .attr("transform", (d) => `translate(${d.x},${d.y})`)
    .attr("data-node", (d) => d.name)
    .attr("data-state", (d) => d.look)
    .attr("data-active-controller", (d) => String(d.activeController))
    .attr("data-network", (d) =>
      d.network.isolated ? "isolated" : d.networkLabel === "" ? "ok" : "cut",
    )
    .attr(
      "aria-label",
      (d) =>
        `${d.title}: ${d.label}${d.networkDescription === "" ? "" : `, ${d.networkDescription}`}; click to ${d.clickAction}`,
    )
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
  boxes
    .select("rect.netring")
    .attr("width", (d) => d.width + 8)
    .attr("height", (d) => d.height + 8)
    .attr("fill", "none")
    .attr("stroke", PALETTE.network)
    .attr("stroke-width", 2)
    .attr("stroke-dasharray", "7 3 2 3")
    .attr("visibility", (d) => (d.networkLabel === "" ? "hidden" : "visible"));
  boxes.select("text.state").text((d) => d.label);
  boxes
    .select("title")
    .text(
      (d) =>
        `${d.title}: ${d.label}${d.networkDescription === "" ? "" : `; ${d.networkDescription}`}`,
    );
  boxes
    .select("text.network")
    .attr("fill", "#7a3b63")
    .text((d) => d.networkLabel);
  boxes.select("text.controller").text((d) => (d.activeController ? "◆ active controller" : ""));
}

/** What the bars' parts and marks mean, drawn once, in two lines. */
const LEGEND: ReadonlyArray<{
  kind: "box" | "line" | "hatch" | "ring";
  colour: string;
  dash?: string;
  text: string;
  line?: 1;
}> = [
  { kind: "box", colour: PALETTE.committed, text: "committed (start..HW)" },
  { kind: "box", colour: PALETTE.uncommitted, text: "not yet committed (HW..LEO)" },
  { kind: "line", colour: "#000000", text: "log start" },
  { kind: "line", colour: PALETTE.fenced, text: "HW" },
  { kind: "line", colour: PALETTE.crashed, text: "LEO" },
  { kind: "line", colour: "#CC79A7", dash: "2 2", text: "flushed" },
  { kind: "line", colour: "#333333", text: "★ leader · dashed track: out of ISR" },
  { kind: "line", colour: "#333333", text: "▼ segment start", line: 1 },
  { kind: "line", colour: "#009E73", dash: "4 2", text: "LSO (where ≠ HW)", line: 1 },
  { kind: "hatch", colour: PALETTE.lost, text: "✂ truncated / ⚠ committed lost", line: 1 },
  { kind: "ring", colour: PALETTE.network, dash: "7 3 2 3", text: "⚡ network fault", line: 1 },
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
      g.append("rect").attr("class", "swatch").attr("width", 14).attr("height", 10).attr("y", -9);
      g.append("line").attr("x1", 7).attr("x2", 7).attr("y1", -11).attr("y2", 2);
      g.append("text").attr("x", 18);
      return g;
    });
  const xs = [0, 0];
  items.each(function (d) {
    const line = d.line ?? 0;
    select(this).attr("transform", `translate(${xs[line]},${line * LEGEND_LINE})`);
    xs[line]! += 30 + d.text.length * 6.6;
  });
  items
    .select("rect.swatch")
    .attr("fill", (d) =>
      d.kind === "hatch" ? `url(#${HATCH_ID})` : d.kind === "ring" ? "none" : d.colour,
    )
    .attr("stroke", (d) => (d.kind === "ring" || d.kind === "hatch" ? d.colour : "none"))
    .attr("stroke-width", (d) => (d.kind === "ring" ? 2 : 1))
    .attr("stroke-dasharray", (d) => (d.kind === "ring" ? (d.dash ?? "") : ""))
    .attr("visibility", (d) => (d.kind === "line" ? "hidden" : "visible"));
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
      g.append("g").attr("class", "losses");
      g.append("g").attr("class", "replicas");
      g.append("g").attr("class", "loss-overlay");
      return g;
    })
    .attr("transform", (d) => `translate(0,${d.y})`)
    .attr("data-partition", (d) => d.key)
    .attr("data-leader", (d) => (d.leader === null ? "none" : String(d.leader)));
  rows
    .select("text.ptitle")
    .attr("font-weight", "bold")
    .text((d) => d.title);
  rows.each(function (row) {
    drawLosses(select(this), row, layout);
  });
  rows
    .select("g.replicas")
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
      g.append("g").attr("class", "segments");
      g.append("g").attr("class", "truncations");
      for (const mark of ["start", "hw", "leo", "flushed", "lso"])
        g.append("line").attr("class", `mark mark-${mark}`);
      g.append("text").attr("class", "offsets").attr("y", 13);
      g.append("text").attr("class", "truncated").attr("y", 29).attr("font-size", 11);
      return g;
    })
    .attr("transform", (d) => `translate(0,${d.y})`)
    .attr("data-broker", (d) => String(d.broker))
    .attr("data-role", (d) => d.role)
    .attr("data-leader", (d) => String(d.leader))
    .attr("data-membership", (d) => d.membership)
    .attr("data-truncations", (d) => String(d.truncations.length))
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
  mark("lso", (d) => d.lsoX ?? 0, "4 2", "#009E73").attr("visibility", (d) =>
    d.hosted && d.lsoX !== null ? "visible" : "hidden",
  );
  g.select("text.offsets")
    .attr("x", x0 + layout.barWidth + 8)
    .text((d) => d.offsets);
  // A segment boundary: a notch above the bar and a white cut through it (shape, not colour).
  g.select("g.segments")
    .selectAll<SVGPathElement, number>("path.segment")
    .data((d) => d.segmentTicks)
    .join((enter) => enter.append("path").attr("class", "segment"))
    .attr("d", (x) => `M${x0 + x - 3},-3 L${x0 + x + 3},-3 L${x0 + x},2 Z M${x0 + x},2 V16`)
    .attr("fill", "#333333")
    .attr("stroke", "#ffffff")
    .attr("stroke-width", 1);
  g.select("g.truncations")
    .selectAll<SVGRectElement, TruncationMark>("rect.truncation")
    .data(
      (d) => d.truncations,
      (m) => `${m.truncation.atUs}:${m.truncation.to}`,
    )
    .join((enter) => enter.append("rect").attr("class", "truncation"))
    .attr("x", (m) => x0 + m.x)
    .attr("width", (m) => m.width)
    .attr("y", 0)
    .attr("height", 18)
    .attr("fill", `url(#${HATCH_ID})`)
    .attr("stroke", PALETTE.lost)
    .attr("stroke-width", 1);
  g.select("text.truncated")
    .attr("x", x0)
    .attr("fill", "#8a3a00")
    .text((d) => d.truncationLabel);
}

/** Committed losses: one line of words each under the title, a hatched band over all the bars. */
function drawLosses(
  row: Selection<SVGGElement, PartitionRow, null, undefined>,
  d: PartitionRow,
  layout: ClusterLayout,
): void {
  row
    .select("g.losses")
    .selectAll<SVGTextElement, LossMark>("text.loss")
    .data(d.losses, (m) => `${m.loss.atUs}:${m.loss.from}`)
    .join((enter) => enter.append("text").attr("class", "loss").attr("font-size", 11))
    .attr("x", 20)
    .attr("y", (_, i) => 22 + 11 + i * 14)
    .attr("fill", "#8a3a00")
    .text((m) => m.label);
  // The band covers each replica's bar (not the words under the bars).
  const bands = d.losses.flatMap((m) =>
    d.replicas.map((r) => ({ key: `${m.loss.atUs}:${m.loss.from}:${r.key}`, m, y: r.y - d.y })),
  );
  row
    .select("g.loss-overlay")
    .selectAll<SVGRectElement, (typeof bands)[number]>("rect.loss")
    .data(bands, (b) => b.key)
    .join((enter) => enter.append("rect").attr("class", "loss"))
    .attr("x", (b) => layout.barX + b.m.x)
    .attr("width", (b) => b.m.width)
    .attr("y", (b) => b.y - 1)
    .attr("height", 20)
    .attr("fill", `url(#${HATCH_ID})`)
    .attr("fill-opacity", 0.5)
    .attr("stroke", PALETTE.lost)
    .attr("stroke-width", 2);
}
