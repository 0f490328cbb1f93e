/**
 * The cluster view, drawn with D3 into an SVG element: broker boxes (state by colour, label and
 * border; a network fault by a dash-dot outer border and a "⚡" line), the active controller
 * marked, and per partition one bar per replica with ticks for log start, HW, LEO, the flushed
 * offset, segment boundaries and the LSO (when it differs from the HW), and hatched ranges where
 * records were truncated or committed records lost. Keyed joins keep each broker, partition and
 * replica the same element from frame to frame. Text goes in with `.text()`, never as HTML.
 *
 * Linked to the message-sequence diagram through a HighlightBus (highlight.ts; the page's by
 * default): hovering a broker box, a partition or one replica's bar publishes it; whatever the
 * highlight is, the boxes of its nodes get a thick black outer frame, its partitions a yellow band
 * behind their rows and its replicas an underlined name (`data-highlight="true"` on each).
 *
 * Cheap per frame: the legend is drawn once, and text and attributes that did not change are not
 * written again (a write re-lays out the text even when it is the same).
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
import {
  type Highlight,
  type HighlightBus,
  highlightOfNode,
  highlightOfPartition,
  nodeMatches,
  pageHighlight,
  partitionMatches,
  replicaMatches,
} from "./highlight.ts";

export interface ClusterViewOptions {
  /** A click on a broker box; shift-click asks for a power loss rather than a process crash. */
  readonly onNodeClick?: (node: NodeBox, event: MouseEvent) => void;
  /**
   * The session's trace so far (`session.events`): with it the view shows network faults and
   * the records truncated or lost. Read incrementally, per SVG element.
   */
  readonly events?: readonly TraceEvent[];
  /** The highlight shared with the sequence diagram (default: the page's, pageHighlight). */
  readonly highlight?: HighlightBus;
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
    .call(attr, "viewBox", `0 0 ${layout.width} ${layout.height}`)
    .call(attr, "width", layout.width)
    .call(attr, "height", layout.height)
    .call(attr, "role", "img")
    .call(attr, "aria-label", "the cluster: brokers and replicas");
  drawDefs(svg);
  drawNodes(svg, layout.nodes, options);
  drawLegend(svg);
  drawPartitions(svg, layout);
  const bus = options.highlight ?? pageHighlight;
  link(svgElement, bus);
  applyClusterHighlight(svgElement, bus.current);
  return layout;
}

/** The highlight colours: a frame around a box, a band behind a partition's rows. */
const HIGHLIGHT_FRAME = "#000000";
const HIGHLIGHT_BAND = "#F0E442";

/** Each view's subscription to its highlight bus (one per SVG element, not one per frame). */
const linked = new WeakMap<SVGSVGElement, { bus: HighlightBus; stop: () => void }>();

/**
 * Subscribes the view to the bus once, and publishes what the pointer is over: one `mouseover`
 * listener on the SVG finds the replica, partition or node under the pointer (or focused: a box
 * reached with Tab); leaving the SVG (or the focus leaving it) clears the view's highlight.
 */
function link(svgElement: SVGSVGElement, bus: HighlightBus): void {
  const known = linked.get(svgElement);
  if (known?.bus === bus) return;
  known?.stop();
  const stop = bus.subscribe((h) => applyClusterHighlight(svgElement, h));
  linked.set(svgElement, { bus, stop });
  const over = (event: Event): void => {
    const target = event.target as Element | null;
    const replica = target?.closest?.("g.replica");
    const partition = target?.closest?.("g.partition");
    const node = target?.closest?.("g.node");
    const key = partition?.getAttribute("data-partition");
    if (replica && key) {
      bus.set(highlightOfPartition(key, replica.getAttribute("data-broker") ?? undefined));
    } else if (key) {
      bus.set(highlightOfPartition(key));
    } else if (node) {
      bus.set(highlightOfNode(node.getAttribute("data-node") ?? ""));
    } else {
      bus.clear("cluster");
    }
  };
  // A broker box focused with the keyboard (it has a tabindex) highlights like the pointer.
  select(svgElement)
    .on("mouseover.highlight", over)
    .on("focusin.highlight", over)
    .on("mouseleave.highlight", () => bus.clear("cluster"))
    .on("focusout.highlight", () => bus.clear("cluster"));
}

function setAttr(el: Element | null, name: string, value: string | null): void {
  if (el === null || el.getAttribute(name) === value) return;
  if (value === null) el.removeAttribute(name);
  else el.setAttribute(name, value);
}

/** Marks the nodes, partitions and replicas the highlight names (and unmarks the rest). */
export function applyClusterHighlight(svgElement: SVGSVGElement, h: Highlight | null): void {
  for (const g of svgElement.querySelectorAll<SVGGElement>("g.node")) {
    const on = nodeMatches(h, g.getAttribute("data-node") ?? "");
    setAttr(g, "data-highlight", on ? "true" : null);
    setAttr(g.querySelector("rect.hl"), "visibility", on ? "visible" : "hidden");
  }
  for (const row of svgElement.querySelectorAll<SVGGElement>("g.partition")) {
    const key = row.getAttribute("data-partition") ?? "";
    const on = partitionMatches(h, key);
    setAttr(row, "data-highlight", on ? "true" : null);
    setAttr(row.querySelector("rect.hl"), "fill", on ? HIGHLIGHT_BAND : "transparent");
    for (const replica of row.querySelectorAll<SVGGElement>("g.replica")) {
      const mine = replicaMatches(h, key, replica.getAttribute("data-broker") ?? "");
      setAttr(replica, "data-highlight", mine ? "true" : null);
      setAttr(replica.querySelector("text.rlabel"), "text-decoration", mine ? "underline" : null);
    }
  }
}

type Svg = ReturnType<typeof select<SVGSVGElement, unknown>>;

type AttrValue = string | number | boolean | null;

/**
 * `selection.attr(name, value)` for `selection.call`, except that an attribute already at its
 * value is not written again: the view is redrawn on every animation frame, and a write makes the
 * browser style and lay out the element again even when nothing changed. null removes it.
 */
function attr<E extends BaseType, D, P extends BaseType, PD>(
  selection: Selection<E, D, P, PD>,
  name: string,
  value: AttrValue | ((d: D, i: number) => AttrValue),
): void {
  selection.each(function (d, i) {
    const element = this as unknown as Element;
    const v = typeof value === "function" ? value(d, i) : value;
    const wanted = v === null || v === undefined ? null : String(v);
    if (element.getAttribute(name) === wanted) return;
    if (wanted === null) element.removeAttribute(name);
    else element.setAttribute(name, wanted);
  });
}

/** `selection.text(value)` for `selection.call`, leaving a text that did not change alone. */
function text<E extends BaseType, D, P extends BaseType, PD>(
  selection: Selection<E, D, P, PD>,
  value: (d: D, i: number) => string,
): void {
  selection.each(function (d, i) {
    const node = this as unknown as Node;
    const wanted = value(d, i);
    if (node.textContent !== wanted) node.textContent = wanted;
  });
}

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
    .join((enter) => enter.append("g").call(attr, "class", "nodes"));
  const boxes = layer
    .selectAll<SVGGElement, NodeBox>("g.node")
    .data(nodes, (d) => d.key)
    .join((enter) => {
      const g = enter.append("g").call(attr, "class", "node").call(attr, "tabindex", 0);
      g.append("rect")
        .call(attr, "class", "hl")
        .call(attr, "rx", 12)
        .call(attr, "x", -8)
        .call(attr, "y", -8)
        .call(attr, "fill", "none")
        .call(attr, "stroke", HIGHLIGHT_FRAME)
        .call(attr, "stroke-width", 3)
        .call(attr, "visibility", "hidden");
      g.append("rect")
        .call(attr, "class", "netring")
        .call(attr, "rx", 9)
        .call(attr, "x", -4)
        .call(attr, "y", -4);
      g.append("rect").call(attr, "class", "box").call(attr, "rx", 6);
      g.append("text").call(attr, "class", "title").call(attr, "x", 10).call(attr, "y", 22);
      g.append("text").call(attr, "class", "state").call(attr, "x", 10).call(attr, "y", 40);
      g.append("text").call(attr, "class", "network").call(attr, "x", 10).call(attr, "y", 58);
      g.append("text").call(attr, "class", "controller").call(attr, "x", 10).call(attr, "y", 76);
      g.append("title");
      return g;
    })
    .call(attr, "transform", (d) => `translate(${d.x},${d.y})`)
    .call(attr, "data-node", (d) => d.name)
    .call(attr, "data-state", (d) => d.look)
    .call(attr, "data-active-controller", (d) => String(d.activeController))
    .call(attr, "data-network", (d) =>
      d.network.isolated ? "isolated" : d.networkLabel === "" ? "ok" : "cut",
    )
    .call(
      attr,
      "aria-label",
      (d) =>
        `${d.title}: ${d.label}${d.networkDescription === "" ? "" : `, ${d.networkDescription}`}; click to ${d.clickAction}`,
    )
    .style("cursor", "pointer")
    .on("click", (event: MouseEvent, d) => options.onNodeClick?.(d, event));
  boxes
    .select("rect.box")
    .call(attr, "width", (d) => d.width)
    .call(attr, "height", (d) => d.height)
    .call(attr, "fill", (d) => d.fill)
    .call(attr, "fill-opacity", 0.25)
    .call(attr, "stroke", (d) => d.fill)
    .call(attr, "stroke-width", (d) => (d.activeController ? 4 : 2))
    .call(attr, "stroke-dasharray", (d) => d.dash);
  boxes
    .select("text.title")
    .call(attr, "font-weight", "bold")
    .call(text, (d) => d.title);
  boxes
    .select("rect.hl")
    .call(attr, "width", (d) => d.width + 16)
    .call(attr, "height", (d) => d.height + 16);
  boxes
    .select("rect.netring")
    .call(attr, "width", (d) => d.width + 8)
    .call(attr, "height", (d) => d.height + 8)
    .call(attr, "fill", "none")
    .call(attr, "stroke", PALETTE.network)
    .call(attr, "stroke-width", 2)
    .call(attr, "stroke-dasharray", "7 3 2 3")
    .call(attr, "visibility", (d) => (d.networkLabel === "" ? "hidden" : "visible"));
  boxes.select("text.state").call(text, (d) => d.label);
  boxes
    .select("title")
    .call(
      text,
      (d) =>
        `${d.title}: ${d.label}${d.networkDescription === "" ? "" : `; ${d.networkDescription}`}`,
    );
  boxes
    .select("text.network")
    .call(attr, "fill", "#7a3b63")
    .call(text, (d) => d.networkLabel);
  boxes
    .select("text.controller")
    .call(text, (d) => (d.activeController ? "◆ active controller" : ""));
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
  {
    kind: "ring",
    colour: "#555555",
    dash: "1 2",
    text: "✗ aborted txn (read_committed skips)",
    line: 1,
  },
];

/** The legend never changes: drawn once per SVG (again only if the SVG was emptied). */
function drawLegend(svg: Svg): void {
  if (!svg.select("g.legend").empty()) return;
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
    .join((enter) => enter.append("g").call(attr, "class", "partitions"));
  const rows = layer
    .selectAll<SVGGElement, PartitionRow>("g.partition")
    .data(layout.partitions, (d) => d.key)
    .join((enter) => {
      const g = enter.append("g").call(attr, "class", "partition");
      // The row's background: what the pointer hovers, and the highlight's band.
      g.append("rect")
        .call(attr, "class", "hl")
        .call(attr, "x", 4)
        .call(attr, "y", 0)
        .call(attr, "fill", "transparent")
        .call(attr, "fill-opacity", 0.45);
      g.append("text").call(attr, "class", "ptitle").call(attr, "x", 10).call(attr, "y", 14);
      g.append("g").call(attr, "class", "losses");
      g.append("g").call(attr, "class", "replicas");
      g.append("g").call(attr, "class", "loss-overlay");
      return g;
    })
    .call(attr, "transform", (d) => `translate(0,${d.y})`)
    .call(attr, "data-partition", (d) => d.key)
    .call(attr, "data-leader", (d) => (d.leader === null ? "none" : String(d.leader)));
  rows
    .select("rect.hl")
    .call(attr, "width", layout.width - 8)
    .call(attr, "height", (d) => Math.max(0, d.height - 6));
  rows
    .select("text.ptitle")
    .call(attr, "font-weight", "bold")
    .call(text, (d) => d.title);
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
      const g = enter.append("g").call(attr, "class", "replica");
      g.append("text").call(attr, "class", "rlabel").call(attr, "x", 20).call(attr, "y", 13);
      g.append("text").call(attr, "class", "membership").call(attr, "x", 150).call(attr, "y", 13);
      g.append("rect").call(attr, "class", "track").call(attr, "height", 14).call(attr, "y", 2);
      g.append("rect")
        .call(attr, "class", "uncommitted")
        .call(attr, "height", 14)
        .call(attr, "y", 2);
      g.append("rect").call(attr, "class", "committed").call(attr, "height", 14).call(attr, "y", 2);
      g.append("g").call(attr, "class", "segments");
      g.append("g").call(attr, "class", "truncations");
      g.append("g").call(attr, "class", "aborted");
      for (const mark of ["start", "hw", "leo", "flushed", "lso"])
        g.append("line").call(attr, "class", `mark mark-${mark}`);
      g.append("text").call(attr, "class", "offsets").call(attr, "y", 13);
      g.append("text")
        .call(attr, "class", "truncated")
        .call(attr, "y", 29)
        .call(attr, "font-size", 11);
      return g;
    })
    .call(attr, "transform", (d) => `translate(0,${d.y})`)
    .call(attr, "data-broker", (d) => String(d.broker))
    .call(attr, "data-role", (d) => d.role)
    .call(attr, "data-leader", (d) => String(d.leader))
    .call(attr, "data-membership", (d) => d.membership)
    .call(attr, "data-truncations", (d) => String(d.truncations.length))
    .call(attr, "data-aborted", (d) => String(d.abortedSpans.length))
    .call((g) => drawBar(g as Selection<SVGGElement, ReplicaBar, BaseType, unknown>, layout));
}

function drawBar(
  g: Selection<SVGGElement, ReplicaBar, BaseType, unknown>,
  layout: ClusterLayout,
): void {
  const x0 = layout.barX;
  g.select("text.rlabel")
    .call(attr, "font-weight", (d) => (d.leader ? "bold" : "normal"))
    .call(text, (d) => d.label);
  g.select("text.membership").call(text, (d) => d.membership);
  g.select("rect.track")
    .call(attr, "x", x0)
    .call(attr, "width", layout.barWidth)
    .call(attr, "fill", PALETTE.track)
    .call(attr, "stroke", (d) => (d.membership === "ISR" ? "#333" : "#bbb"))
    .call(attr, "stroke-dasharray", (d) => (d.membership === "ISR" ? "" : "3 2"));
  g.select("rect.uncommitted")
    .call(attr, "x", (d) => x0 + d.hwX)
    .call(attr, "width", (d) => Math.max(0, d.leoX - d.hwX))
    .call(attr, "fill", PALETTE.uncommitted);
  g.select("rect.committed")
    .call(attr, "x", (d) => x0 + d.startX)
    .call(attr, "width", (d) => Math.max(0, d.hwX - d.startX))
    .call(attr, "fill", PALETTE.committed);
  const mark = (
    name: string,
    at: (d: ReplicaBar) => number,
    dash: string,
    colour: string,
    shown: (d: ReplicaBar) => boolean = (d) => d.hosted,
  ) =>
    g
      .select(`line.mark-${name}`)
      .call(attr, "x1", (d) => x0 + at(d))
      .call(attr, "x2", (d) => x0 + at(d))
      .call(attr, "y1", 0)
      .call(attr, "y2", 18)
      .call(attr, "stroke", colour)
      .call(attr, "stroke-width", 2)
      .call(attr, "stroke-dasharray", dash)
      .call(attr, "visibility", (d) => (shown(d) ? "visible" : "hidden"));
  mark("start", (d) => d.startX, "", "#000000");
  mark("hw", (d) => d.hwX, "", PALETTE.fenced);
  mark("leo", (d) => d.leoX, "", PALETTE.crashed);
  mark("flushed", (d) => d.flushedX, "2 2", "#CC79A7");
  mark(
    "lso",
    (d) => d.lsoX ?? 0,
    "4 2",
    "#009E73",
    (d) => d.hosted && d.lsoX !== null,
  );
  g.select("text.offsets")
    .call(attr, "x", x0 + layout.barWidth + 8)
    .call(text, (d) => d.offsets);
  // A segment boundary: a notch above the bar and a white cut through it (shape, not colour).
  g.select("g.segments")
    .selectAll<SVGPathElement, number>("path.segment")
    .data((d) => d.segmentTicks)
    .join((enter) => enter.append("path").call(attr, "class", "segment"))
    .call(attr, "d", (x) => `M${x0 + x - 3},-3 L${x0 + x + 3},-3 L${x0 + x},2 Z M${x0 + x},2 V16`)
    .call(attr, "fill", "#333333")
    .call(attr, "stroke", "#ffffff")
    .call(attr, "stroke-width", 1);
  g.select("g.truncations")
    .selectAll<SVGRectElement, TruncationMark>("rect.truncation")
    .data(
      (d) => d.truncations,
      (m) => `${m.truncation.atUs}:${m.truncation.to}`,
    )
    .join((enter) => enter.append("rect").call(attr, "class", "truncation"))
    .call(attr, "x", (m) => x0 + m.x)
    .call(attr, "width", (m) => m.width)
    .call(attr, "y", 0)
    .call(attr, "height", 18)
    .call(attr, "fill", `url(#${HATCH_ID})`)
    .call(attr, "stroke", PALETTE.lost)
    .call(attr, "stroke-width", 1);
  // An aborted transaction: the records stay in the log (read_uncommitted returns them), so a
  // pale dotted box over the bar, not a hole: shape and label, not colour alone.
  g.select("g.aborted")
    .selectAll<SVGRectElement, ReplicaBar["abortedSpans"][number]>("rect.aborted")
    .data(
      (d) => d.abortedSpans,
      (s) => s.key,
    )
    .join((enter) => {
      const r = enter.append("rect").call(attr, "class", "aborted");
      r.append("title").text(
        (s) => `aborted transaction, offsets ${s.key.replace("-", " to ")} (marker)`,
      );
      return r;
    })
    .call(attr, "x", (s) => x0 + s.x)
    .call(attr, "width", (s) => s.width)
    .call(attr, "y", 2)
    .call(attr, "height", 14)
    .call(attr, "fill", "#ffffff")
    .call(attr, "fill-opacity", 0.6)
    .call(attr, "stroke", "#555555")
    .call(attr, "stroke-width", 1)
    .call(attr, "stroke-dasharray", "1 2");
  g.select("text.truncated")
    .call(attr, "x", x0)
    .call(attr, "fill", "#8a3a00")
    .call(text, (d) => d.truncationLabel);
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
    .join((enter) => enter.append("text").call(attr, "class", "loss").call(attr, "font-size", 11))
    .call(attr, "x", 20)
    .call(attr, "y", (_, i) => 22 + 11 + i * 14)
    .call(attr, "fill", "#8a3a00")
    .call(text, (m) => m.label);
  // The band covers each replica's bar (not the words under the bars).
  const bands = d.losses.flatMap((m) =>
    d.replicas.map((r) => ({ key: `${m.loss.atUs}:${m.loss.from}:${r.key}`, m, y: r.y - d.y })),
  );
  row
    .select("g.loss-overlay")
    .selectAll<SVGRectElement, (typeof bands)[number]>("rect.loss")
    .data(bands, (b) => b.key)
    .join((enter) => enter.append("rect").call(attr, "class", "loss"))
    .call(attr, "x", (b) => layout.barX + b.m.x)
    .call(attr, "width", (b) => b.m.width)
    .call(attr, "y", (b) => b.y - 1)
    .call(attr, "height", 20)
    .call(attr, "fill", `url(#${HATCH_ID})`)
    .call(attr, "fill-opacity", 0.5)
    .call(attr, "stroke", PALETTE.lost)
    .call(attr, "stroke-width", 2);
}
