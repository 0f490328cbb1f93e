/**
 * Draws the message-sequence (Lamport) diagram with D3 from SequenceData: one vertical lane per
 * node, time running down, one evenly spaced row per distinct moment (its time written at the
 * left), one arrow per message from its send to its delivery
 * (keyed by the message id, so a message stays the same element from frame to frame). A dropped
 * message ends in ✕ with a dashed line and its reason in the tooltip; a message still in flight
 * runs dotted to the bottom edge. Requests and responses differ by colour (Okabe-Ito) and the
 * label says the type. Clicking a message calls `onPick` with its send time.
 */
import { scalePoint, select } from "d3";
import { PALETTE } from "./cluster-layout.ts";
import { formatTime } from "./event-log-data.ts";
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
  return `#${m.id} ${m.msg} ${m.from} → ${m.to}, ${m.bytes} B, sent at ${formatTime(m.sentUs)}, ${end}`;
}

export function renderSequence(
  svg: SVGSVGElement,
  data: SequenceData,
  onPick?: (timeUs: number) => void,
): void {
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
      g.append("line").attr("stroke-width", 1.5);
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
    .on("click", (_event, d) => onPick?.(d.sentUs));
  messages.select("title").text(describe);
  messages
    .select("line")
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
}
