/**
 * Draws the Data path panel's layout (datapath-layout.ts) into an SVG with D3 keyed joins: boxes
 * with their text, arrows with markers and labels (DMA solid blue, CPU copy dashed vermillion,
 * descriptors dotted grey; each arrow's label also says what it is), and the per-path table as
 * HTML. All text goes in with .text() / textContent.
 */
import { type Selection, select } from "d3";
import { PALETTE } from "./cluster-layout.ts";
import type { ArrowKind, DataPathLayout, PathArrow, PathBox } from "./datapath-layout.ts";

const ARROW_LOOK: Record<ArrowKind, { stroke: string; dash: string }> = {
  dma: { stroke: PALETTE.committed, dash: "" },
  cpu: { stroke: PALETTE.crashed, dash: "7 4" },
  descriptor: { stroke: PALETTE.poweredOff, dash: "2 3" },
};

/** Builds the SVG's fixed parts (marker definitions, layers) once. */
export function initDataPathSvg(svg: SVGSVGElement): void {
  const s = select(svg);
  const defs = s.append("defs");
  for (const kind of Object.keys(ARROW_LOOK) as ArrowKind[]) {
    defs
      .append("marker")
      .attr("id", `datapath-head-${kind}`)
      .attr("viewBox", "0 0 10 10")
      .attr("refX", 9)
      .attr("refY", 5)
      .attr("markerUnits", "userSpaceOnUse")
      .attr("markerWidth", 10)
      .attr("markerHeight", 10)
      .attr("orient", "auto")
      .append("path")
      .attr("d", "M0,0 L10,5 L0,10 z")
      .attr("fill", ARROW_LOOK[kind].stroke);
  }
  s.append("g").attr("class", "boxes");
  s.append("g").attr("class", "arrows");
}

/** Draws the layout (boxes, arrows) into an SVG prepared by initDataPathSvg. */
export function renderDataPath(svg: SVGSVGElement, layout: DataPathLayout): void {
  const s = select(svg)
    .attr("viewBox", `0 0 ${layout.width} ${layout.height}`)
    .attr("width", layout.width)
    .attr("height", layout.height)
    .attr("data-mode", layout.mode);
  drawBoxes(s.select<SVGGElement>("g.boxes"), layout.boxes);
  drawArrows(s.select<SVGGElement>("g.arrows"), layout.arrows);
}

function drawBoxes(g: Selection<SVGGElement, unknown, null, undefined>, boxes: readonly PathBox[]) {
  const joined = g
    .selectAll<SVGGElement, PathBox>("g.box")
    .data(boxes, (b) => b.key)
    .join((enter) => {
      const e = enter.append("g").attr("class", "box");
      e.append("rect").attr("rx", 6).attr("fill", "#ffffff").attr("stroke", "#333333");
      e.append("text").attr("class", "title").attr("font-weight", "bold");
      return e;
    })
    .attr("data-key", (b) => b.key)
    .attr("transform", (b) => `translate(${b.x},${b.y})`);
  joined
    .select("rect")
    .attr("width", (b) => b.w)
    .attr("height", (b) => b.h)
    .attr("stroke-dasharray", (b) => (b.key === "jvm" ? "4 2" : ""));
  joined
    .select("text.title")
    .attr("x", 6)
    .attr("y", 15)
    .attr("font-size", 12)
    .text((b) => b.title);
  joined
    .selectAll<SVGTextElement, string>("text.line")
    .data((b) => b.lines.filter((l) => l !== ""))
    .join("text")
    .attr("class", "line")
    .attr("x", 6)
    .attr("y", (_l, i) => 32 + 15 * i)
    .attr("font-size", 11)
    .text((l) => l);
}

function drawArrows(
  g: Selection<SVGGElement, unknown, null, undefined>,
  arrows: readonly PathArrow[],
) {
  const joined = g
    .selectAll<SVGGElement, PathArrow>("g.arrow")
    .data(arrows, (a) => a.key)
    .join((enter) => {
      const e = enter.append("g").attr("class", "arrow");
      e.append("path").attr("fill", "none");
      e.append("text").attr("class", "label").attr("font-size", 11);
      return e;
    })
    .attr("data-key", (a) => a.key)
    .attr("data-kind", (a) => a.kind)
    .attr("data-group", (a) => a.group);
  joined
    .select<SVGPathElement>("path")
    .attr("d", (a) => `M${a.points.map(([x, y]) => `${x},${y}`).join(" L")}`)
    .attr("stroke", (a) => ARROW_LOOK[a.kind].stroke)
    .attr("stroke-dasharray", (a) => ARROW_LOOK[a.kind].dash)
    .attr("stroke-width", (a) => (a.emphasis ? 3 : 1.5))
    .attr("marker-end", (a) => `url(#datapath-head-${a.kind})`);
  joined
    .select<SVGTextElement>("text.label")
    .attr("x", (a) => a.labelAt[0])
    .attr("y", (a) => a.labelAt[1])
    .attr("font-weight", (a) => (a.emphasis ? "bold" : "normal"))
    .text((a) => a.label);
}

/** Fills the per-path table (a <table> with a fixed header) with the layout's rows. */
export function renderPathTable(table: HTMLTableElement, layout: DataPathLayout): void {
  const body = select<HTMLTableElement, unknown>(table).select<HTMLTableSectionElement>("tbody");
  const rows = body
    .selectAll<HTMLTableRowElement, DataPathLayout["table"][number]>("tr")
    .data(layout.table, (r) => r.mode)
    .join("tr")
    .attr("data-mode", (r) => r.mode)
    .classed("current", (r) => r.mode === layout.mode);
  rows
    .selectAll<HTMLTableCellElement, string>("td")
    .data((r) => [
      `${r.mode === layout.mode ? "▶ " : ""}${r.mode}`,
      r.description,
      r.perCall,
      String(r.responses),
      r.bytes,
      String(r.dmaCopies),
      String(r.cpuCopies),
      String(r.contextSwitches),
      r.cpuTime,
      r.note,
    ])
    .join("td")
    .text((d) => d);
}

/** The table's header, once. */
export function initPathTable(table: HTMLTableElement): void {
  const doc = table.ownerDocument;
  const head = doc.createElement("thead");
  const tr = doc.createElement("tr");
  for (const h of [
    "path",
    "what happens",
    "per call",
    "responses with records",
    "record bytes",
    "DMA copies",
    "CPU copies",
    "mode switches",
    "CPU time",
    "when",
  ]) {
    const th = doc.createElement("th");
    th.textContent = h;
    tr.append(th);
  }
  head.append(tr);
  table.replaceChildren(head, doc.createElement("tbody"));
}
