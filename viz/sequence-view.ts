/**
 * Draws the message-sequence (Lamport) diagram with D3 from SequenceData: one vertical lane per
 * node, time running down, one evenly spaced row per distinct moment (its time written at the
 * left), one arrow per message from its send to its delivery
 * (keyed by the message id, so a message stays the same element from frame to frame). A dropped
 * message ends in ✕ with a dashed line and its reason in the tooltip; a message still in flight
 * runs dotted to the bottom edge. Requests and responses differ by colour (Okabe-Ito) and the
 * label says the type. Clicking a message calls `onPick` with its send time.
 *
 * Linked to the cluster view through a HighlightBus (highlight.ts; the page's by default):
 * hovering a message publishes its sender, receiver and partitions; whatever the highlight is,
 * the messages it matches are drawn thick and marked `data-highlight="true"`, the others faded
 * (`"false"`), and the lanes of its nodes get a bold, underlined name.
 */
import { scalePoint, select } from "d3";
import { PALETTE } from "./cluster-layout.ts";
import { formatTime } from "./event-log-data.ts";
import {
  type Highlight,
  type HighlightBus,
  highlightOfMessage,
  messageMatches,
  nodeMatches,
  pageHighlight,
} from "./highlight.ts";
import type { SequenceData, SequenceMessage } from "./sequence-data.ts";

export const SEQUENCE_WIDTH = 720;
/** The vertical space of one moment (row) of the diagram. */
export const ROW_STEP_PX = 16;
const TOP = 44;
const BOTTOM = 14;
const LEFT = 96;
const RIGHT = 30;

/** The SVG's height for a number of rows. */
export function sequenceHeight(rows: number): number {
  return TOP + Math.max(1, rows) * ROW_STEP_PX + BOTTOM;
}

const COLOUR = {
  request: PALETTE.controller,
  response: PALETTE.up,
  dropped: PALETTE.crashed,
} as const;

function colourOf(m: SequenceMessage): string {
  if (m.end.kind === "dropped") return COLOUR.dropped;
  return m.msg.endsWith("Response") ? COLOUR.response : COLOUR.request;
}

function describe(m: SequenceMessage): string {
  const end =
    m.end.kind === "delivered"
      ? `delivered at ${formatTime(m.end.atUs)}`
      : m.end.kind === "dropped"
        ? `dropped at ${formatTime(m.end.atUs)} (${m.end.reason})`
        : "in flight";
  const about = m.partitions.length === 0 ? "" : `, about ${m.partitions.join(", ")}`;
  return `#${m.id} ${m.msg} ${m.from} → ${m.to}, ${m.bytes} B${about}, sent at ${formatTime(m.sentUs)}, ${end}`;
}

/** Each diagram's subscription to its highlight bus (one per SVG element, not one per frame). */
const linked = new WeakMap<SVGSVGElement, { bus: HighlightBus; stop: () => void }>();

function link(svg: SVGSVGElement, bus: HighlightBus): void {
  const known = linked.get(svg);
  if (known?.bus === bus) return;
  known?.stop();
  linked.set(svg, { bus, stop: bus.subscribe((h) => applySequenceHighlight(svg, h)) });
}

/** Marks the messages and lanes the highlight matches (and fades the other messages). */
export function applySequenceHighlight(svg: SVGSVGElement, h: Highlight | null): void {
  const root = select(svg);
  root.selectAll<SVGGElement, SequenceMessage>("g.message").each(function (d) {
    const g = this as SVGGElement;
    const line = g.querySelector("line.arrow");
    if (h === null) {
      g.removeAttribute("data-highlight");
      g.removeAttribute("opacity");
      line?.setAttribute("stroke-width", "1.5");
      return;
    }
    const on = messageMatches(h, d);
    g.setAttribute("data-highlight", String(on));
    g.setAttribute("opacity", on ? "1" : "0.2");
    line?.setAttribute("stroke-width", on ? "3" : "1.5");
  });
  root.selectAll<SVGGElement, string>("g.lane").each(function (d) {
    const text = (this as SVGGElement).querySelector("text");
    if (text === null) return;
    const on = nodeMatches(h, d);
    if (on) {
      text.setAttribute("font-weight", "bold");
      text.setAttribute("text-decoration", "underline");
      (this as SVGGElement).setAttribute("data-highlight", "true");
    } else {
      text.removeAttribute("font-weight");
      text.removeAttribute("text-decoration");
      (this as SVGGElement).removeAttribute("data-highlight");
    }
  });
}

export function renderSequence(
  svg: SVGSVGElement,
  data: SequenceData,
  onPick?: (timeUs: number) => void,
  bus: HighlightBus = pageHighlight,
): void {
  link(svg, bus);
  const height = sequenceHeight(data.times.length);
  const root = select(svg)
    .attr("viewBox", `0 0 ${SEQUENCE_WIDTH} ${height}`)
    .attr("width", SEQUENCE_WIDTH)
    .attr("height", height)
    .attr("role", "img")
    .attr("aria-label", "message sequence diagram");
  const x = scalePoint<string>()
    .domain(data.lanes)
    .range([LEFT, SEQUENCE_WIDTH - RIGHT])
    .padding(0.5);
  // One row per moment, evenly spaced (a Lamport diagram shows order, not durations).
  const row = new Map<number, number>();
  data.times.forEach((t, i) => {
    row.set(t, TOP + (i + 0.5) * ROW_STEP_PX);
  });
  const y = (t: number): number => row.get(t) ?? TOP;

  let defs = root.select<SVGDefsElement>("defs");
  if (defs.empty()) {
    defs = root.append("defs");
    for (const [name, colour] of Object.entries(COLOUR)) {
      defs
        .append("marker")
        .attr("id", `seq-arrow-${name}`)
        .attr("viewBox", "0 0 10 10")
        .attr("refX", 9)
        .attr("refY", 5)
        .attr("markerWidth", 6)
        .attr("markerHeight", 6)
        .attr("orient", "auto-start-reverse")
        .append("path")
        .attr("d", "M0,0L10,5L0,10z")
        .attr("fill", colour);
    }
  }

  const lanes = root
    .selectAll<SVGGElement, string>("g.lane")
    .data(data.lanes, (d) => d)
    .join((enter) => {
      const g = enter.append("g").attr("class", "lane");
      g.append("line").attr("stroke", "#999").attr("stroke-width", 1);
      g.append("text").attr("text-anchor", "middle").attr("font-size", 12);
      return g;
    });
  lanes
    .select("line")
    .attr("x1", (d) => x(d) ?? 0)
    .attr("x2", (d) => x(d) ?? 0)
    .attr("y1", TOP - 4)
    .attr("y2", height - BOTTOM);
  lanes
    .select("text")
    .attr("x", (d) => x(d) ?? 0)
    .attr("y", TOP - 8)
    .text((d) => (/^\d+$/.test(d) ? `node ${d}` : d));

  root
    .selectAll<SVGTextElement, number>("text.moment")
    .data(data.times, (t) => String(t))
    .join((enter) =>
      enter
        .append("text")
        .attr("class", "moment")
        .attr("font-size", 9)
        .attr("fill", "#555")
        .attr("x", 2),
    )
    .attr("y", (t) => y(t) + 3)
    .text((t) => formatTime(t));

  const endY = (m: SequenceMessage): number =>
    m.end.kind === "in-flight" ? y(data.toUs) : y(m.end.atUs);
  const endX = (m: SequenceMessage): number => {
    const x1 = x(m.from) ?? 0;
    const x2 = x(m.to) ?? 0;
    // A dropped message stops a short way out: it never reached its lane (the label names it).
    if (m.end.kind !== "dropped") return x2;
    const dx = x2 - x1;
    return x1 + Math.sign(dx) * Math.min(Math.abs(dx) * 0.45, 120);
  };

  const messages = root
    .selectAll<SVGGElement, SequenceMessage>("g.message")
    .data(data.messages, (d) => String(d.id))
    .join((enter) => {
      const g = enter.append("g").attr("class", "message").style("cursor", "pointer");
      g.append("title");
      // A wide invisible line under the arrow, so the pointer finds the message easily.
      g.append("line").attr("class", "hit").attr("stroke", "transparent").attr("stroke-width", 9);
      g.append("line").attr("class", "arrow").attr("stroke-width", 1.5);
      g.append("text")
        .attr("class", "msg-label")
        .attr("font-size", 9)
        .attr("text-anchor", "middle");
      g.append("text")
        .attr("class", "drop-mark")
        .attr("font-size", 12)
        .attr("text-anchor", "middle");
      return g;
    });
  messages
    .attr("data-id", (d) => d.id)
    .attr("data-end", (d) => d.end.kind)
    .on("click", (_event, d) => onPick?.(d.sentUs))
    .on("mouseenter", (_event, d) => bus.set(highlightOfMessage(d)))
    .on("mouseleave", () => bus.clear("sequence"));
  messages.select("title").text(describe);
  messages
    .select("line.hit")
    .attr("x1", (d) => x(d.from) ?? 0)
    .attr("y1", (d) => y(d.sentUs))
    .attr("x2", endX)
    .attr("y2", endY);
  messages
    .select("line.arrow")
    .attr("x1", (d) => x(d.from) ?? 0)
    .attr("y1", (d) => y(d.sentUs))
    .attr("x2", endX)
    .attr("y2", endY)
    .attr("stroke", colourOf)
    .attr("stroke-dasharray", (d) =>
      d.end.kind === "dropped" ? "5 3" : d.end.kind === "in-flight" ? "2 3" : null,
    )
    .attr("marker-end", (d) =>
      d.end.kind === "dropped"
        ? null
        : `url(#seq-arrow-${d.msg.endsWith("Response") ? "response" : "request"})`,
    );
  messages
    .select("text.msg-label")
    .attr("x", (d) => ((x(d.from) ?? 0) + endX(d)) / 2)
    .attr("y", (d) => (y(d.sentUs) + endY(d)) / 2 - 3)
    .attr("fill", colourOf)
    .text((d) => {
      const short = d.msg.replace(/(Request|Response)$/, (s) =>
        s === "Request" ? " req" : " resp",
      );
      return d.end.kind === "dropped" ? `${short} → ${d.to} lost` : short;
    });
  messages
    .select("text.drop-mark")
    .attr("x", endX)
    .attr("y", (d) => endY(d) + 4)
    .attr("fill", COLOUR.dropped)
    .text((d) => (d.end.kind === "dropped" ? "✕" : ""));

  let caption = root.select<SVGTextElement>("text.window");
  if (caption.empty()) caption = root.append("text").attr("class", "window").attr("font-size", 11);
  caption
    .attr("x", 4)
    .attr("y", 14)
    .text(
      `${formatTime(data.fromUs)} → ${formatTime(data.toUs)}: ${data.messages.length} messages` +
        (data.omitted > 0 ? ` (${data.omitted} more not drawn)` : ""),
    );
  // A hovered message that left the diagram (the window moved on) can no longer be left by the
  // pointer: its highlight goes with it.
  const hovered = bus.current;
  if (
    hovered?.source === "sequence" &&
    hovered.message !== null &&
    !data.messages.some((m) => m.id === hovered.message)
  )
    bus.clear("sequence");
  applySequenceHighlight(svg, bus.current);
}
