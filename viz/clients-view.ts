/**
 * The Clients panel's drawing: a table of producers (state, acks, batches in flight, waiting to be
 * retried, outcomes so far) with their in-flight batches and latest outcomes listed under it; then
 * per consumer group a title, a STOP banner during a stop-the-world rebalance, an SVG of assignment
 * lines from members to partitions (D3 keyed joins), and a table of positions, committed offsets,
 * lag and Burrow status per partition. Data comes precomputed (clients-model.ts, clients-groups.ts);
 * every text goes in with `.text()`, never as HTML. State is told by words and line style, colour
 * only repeats it (Okabe-Ito palette of the cluster view).
 */
import { type BaseType, type Selection, select } from "d3";
import {
  type AssignmentLine,
  GROUP_SVG,
  type GroupLayout,
  type LineKind,
  layoutGroup,
  type MemberBox,
  type PartitionBox,
  type PartitionRow,
} from "./clients-groups.ts";
import type { ClientsData, ProducerRow } from "./clients-model.ts";
import type { OutcomeKind } from "./clients-producers.ts";
import { PALETTE } from "./cluster-layout.ts";

/** At most this many in-flight (and waiting) batches are listed per producer. */
export const LISTED_BATCHES = 8;

export const LINE_STYLE: Readonly<
  Record<LineKind, { stroke: string; dash: string; width: number }>
> = {
  consuming: { stroke: PALETTE.committed, dash: "", width: 2.5 },
  paused: { stroke: "#999999", dash: "5 4", width: 1.5 },
  pending: { stroke: PALETTE.fenced, dash: "2 3", width: 1.5 },
};

export const OUTCOME_MARK: Readonly<Record<OutcomeKind, string>> = {
  acknowledged: "✓",
  failed: "✗",
  unknown: "?",
  expired: "⊘",
  lost: "†",
};

const PRODUCER_COLUMNS = [
  "producer",
  "state",
  "acks",
  "in flight",
  "to retry",
  "✓ acknowledged",
  "✗ failed",
  "? unknown",
  "⊘ expired",
  "† lost",
  "retries",
  "records sent",
  "latency avg",
] as const;

const PARTITION_COLUMNS = [
  "partition",
  "member",
  "position",
  "committed",
  "log end (HW)",
  "lag",
  "Burrow",
] as const;

function seconds(us: number): string {
  return `${(us / 1_000_000).toFixed(3)} s`;
}

function producerCells(p: ProducerRow): string[] {
  return [
    p.clientId,
    p.up ? "up" : "process crashed",
    p.acks === "" ? "-" : p.acks,
    String(p.inFlight.length),
    String(p.retrying.length),
    String(p.outcomes.acknowledged),
    String(p.outcomes.failed),
    String(p.outcomes.unknown),
    String(p.outcomes.expired),
    String(p.outcomes.lost),
    String(p.retries),
    String(p.recordSendTotal),
    `${p.requestLatencyAvgMs.toFixed(1)} ms`,
  ];
}

/** The lines listed under the producers' table for one producer. */
export function producerDetail(p: ProducerRow, nowUs: number): string[] {
  const out: string[] = [];
  const inFlight = p.inFlight
    .slice(0, LISTED_BATCHES)
    .map(
      (b) =>
        `→ ${b.sendId} ${b.tp} to broker ${b.broker}, attempt ${b.attempt}, ${b.records} record${b.records === 1 ? "" : "s"}, in flight ${((nowUs - b.sentAtUs) / 1000).toFixed(1)} ms`,
    );
  out.push(...inFlight);
  if (p.inFlight.length > LISTED_BATCHES)
    out.push(`… and ${p.inFlight.length - LISTED_BATCHES} more in flight`);
  for (const b of p.retrying.slice(0, LISTED_BATCHES))
    out.push(`↻ ${b.sendId} ${b.tp} waits to retry after attempt ${b.attempt}: ${b.error}`);
  if (p.retrying.length > LISTED_BATCHES)
    out.push(`… and ${p.retrying.length - LISTED_BATCHES} more waiting to retry`);
  for (const s of [...p.recent].reverse())
    out.push(
      `${OUTCOME_MARK[s.outcome]} ${s.sendId} ${s.tp} ${s.outcome} (${s.detail}) at ${seconds(s.atUs)}`,
    );
  return out;
}

type Div = Selection<HTMLDivElement, unknown, null, undefined>;

/** Builds the panel's skeleton inside `container`; returns the draw function. */
export function mountClientsView(container: HTMLElement): (data: ClientsData) => void {
  const root = select(container).append("div").attr("class", "clients");
  const producers = root.append("div").attr("class", "clients-producers");
  producers.append("h3").text("Producers");
  const table = producers
    .append("table")
    .attr("class", "producers")
    .style("border-spacing", "10px 2px");
  table
    .append("thead")
    .append("tr")
    .selectAll("th")
    .data(PRODUCER_COLUMNS)
    .join("th")
    .text((d) => d);
  table.append("tbody");
  producers.append("div").attr("class", "producer-details");
  const groups = root.append("div").attr("class", "clients-groups");
  groups.append("h3").text("Consumer groups");
  groups.append("div").attr("class", "group-list");
  return (data) => {
    drawProducers(producers, data);
    drawGroups(groups, data);
  };
}

function drawProducers(producers: Div, data: ClientsData): void {
  producers
    .select("tbody")
    .selectAll<HTMLTableRowElement, ProducerRow>("tr")
    .data(data.producers, (d) => d.clientId)
    .join("tr")
    .attr("data-producer", (d) => d.clientId)
    .selectAll<HTMLTableCellElement, string>("td")
    .data((d) => producerCells(d))
    .join("td")
    .text((d) => d);
  const details = producers
    .select(".producer-details")
    .selectAll<HTMLDivElement, ProducerRow>("div.producer")
    .data(data.producers, (d) => d.clientId)
    .join((enter) => {
      const div = enter.append("div").attr("class", "producer");
      div.append("h4");
      div.append("ul");
      return div;
    })
    .attr("data-producer", (d) => d.clientId);
  details.select("h4").text((d) => `${d.clientId}: in flight, waiting to retry, latest outcomes`);
  details
    .select("ul")
    .selectAll<HTMLLIElement, string>("li")
    .data((d) => producerDetail(d, data.timeUs))
    .join("li")
    .attr("class", (d) => lineClass(d))
    .text((d) => d);
}

function lineClass(line: string): string {
  if (line.startsWith("→")) return "in-flight";
  if (line.startsWith("↻")) return "retrying";
  if (line.startsWith("…")) return "more";
  return "outcome";
}

function drawGroups(groups: Div, data: ClientsData): void {
  const layouts = data.groups.map(layoutGroup);
  const blocks = groups
    .select(".group-list")
    .selectAll<HTMLDivElement, GroupLayout>("div.group")
    .data(layouts, (d) => d.groupId)
    .join((enter) => {
      const div = enter.append("div").attr("class", "group");
      div.append("p").attr("class", "group-title");
      div.append("p").attr("class", "banner").attr("role", "status");
      const svg = div.append("svg").attr("class", "assignment");
      svg.append("g").attr("class", "lines");
      svg.append("g").attr("class", "members");
      svg.append("g").attr("class", "partitions");
      const t = div.append("table").attr("class", "partitions").style("border-spacing", "10px 2px");
      t.append("thead")
        .append("tr")
        .selectAll("th")
        .data(PARTITION_COLUMNS)
        .join("th")
        .text((d) => d);
      t.append("tbody");
      return div;
    })
    .attr("data-group", (d) => d.groupId)
    .attr("data-stopped", (d) => String(d.stopped));
  blocks.select("p.group-title").text((d) => d.title);
  blocks
    .select<HTMLParagraphElement>("p.banner")
    .text((d) => d.banner)
    .property("hidden", (d: GroupLayout) => d.banner === "")
    .style("color", (d) => (d.stopped ? PALETTE.crashed : "inherit"))
    .style("font-weight", (d) => (d.stopped ? "bold" : "normal"));
  blocks.each(function (d) {
    const block = select<HTMLDivElement, GroupLayout>(this);
    drawAssignment(block.select<SVGSVGElement>("svg.assignment"), d);
    block
      .select("table.partitions tbody")
      .selectAll<HTMLTableRowElement, PartitionRow>("tr")
      .data(d.rows, (r) => r.tp)
      .join("tr")
      .attr("data-tp", (r) => r.tp)
      .selectAll<HTMLTableCellElement, string>("td")
      .data((r) => [r.tp, r.owner, r.position, r.committed, r.hw, r.lag, r.burrow])
      .join("td")
      .text((v) => v);
  });
}

function drawAssignment(
  svg: Selection<SVGSVGElement, GroupLayout, BaseType, unknown>,
  g: GroupLayout,
): void {
  svg
    .attr("viewBox", `0 0 ${GROUP_SVG.width} ${g.height}`)
    .attr("width", GROUP_SVG.width)
    .attr("height", g.height)
    .attr("role", "img")
    .attr(
      "aria-label",
      `group ${g.groupId}: assignment of partitions to members${g.stopped ? ", stopped by a rebalance" : ""}`,
    );
  const x1 = GROUP_SVG.memberX + GROUP_SVG.memberWidth;
  const x2 = GROUP_SVG.partitionX;
  svg
    .select("g.lines")
    .selectAll<SVGPathElement, AssignmentLine>("path.line")
    .data(g.lines, (d) => d.key)
    .join("path")
    .attr("class", (d) => `line ${d.kind}`)
    .attr("data-kind", (d) => d.kind)
    .attr("data-member", (d) => d.member)
    .attr("data-tp", (d) => d.tp)
    .attr("fill", "none")
    .attr("d", (d) => {
      const mid = (x1 + x2) / 2;
      return `M${x1},${d.y1} C${mid},${d.y1} ${mid},${d.y2} ${x2},${d.y2}`;
    })
    .attr("stroke", (d) => LINE_STYLE[d.kind].stroke)
    .attr("stroke-dasharray", (d) => LINE_STYLE[d.kind].dash || "none")
    .attr("stroke-width", (d) => LINE_STYLE[d.kind].width);
  const members = svg
    .select("g.members")
    .selectAll<SVGGElement, MemberBox>("g.member")
    .data(g.members, (d) => d.key)
    .join((enter) => {
      const m = enter.append("g").attr("class", "member");
      m.append("rect")
        .attr("rx", 4)
        .attr("height", GROUP_SVG.rowHeight - 6);
      m.append("text").attr("class", "name").attr("x", 6).attr("y", 11);
      m.append("text").attr("class", "detail").attr("x", 6).attr("y", 22);
      return m;
    })
    .attr(
      "transform",
      (d) => `translate(${GROUP_SVG.memberX},${d.y - (GROUP_SVG.rowHeight - 6) / 2})`,
    );
  members
    .select("rect")
    .attr("width", GROUP_SVG.memberWidth)
    .attr("fill", g.stopped ? "#eeeeee" : "#f7fbff")
    .attr("stroke", g.stopped ? "#999999" : PALETTE.committed)
    .attr("stroke-dasharray", g.stopped ? "5 4" : "none");
  members
    .select("text.name")
    .attr("font-size", 11)
    .attr("font-weight", "bold")
    .text((d) => d.label);
  members
    .select("text.detail")
    .attr("font-size", 10)
    .text((d) => d.detail);
  const parts = svg
    .select("g.partitions")
    .selectAll<SVGGElement, PartitionBox>("g.partition")
    .data(g.partitions, (d) => d.key)
    .join((enter) => {
      const p = enter.append("g").attr("class", "partition");
      p.append("rect")
        .attr("rx", 4)
        .attr("height", GROUP_SVG.rowHeight - 10);
      p.append("text").attr("x", 6).attr("y", 14).attr("font-size", 11);
      return p;
    })
    .attr(
      "transform",
      (d) => `translate(${GROUP_SVG.partitionX},${d.y - (GROUP_SVG.rowHeight - 10) / 2})`,
    );
  parts
    .select("rect")
    .attr("width", GROUP_SVG.partitionWidth)
    .attr("fill", PALETTE.track)
    .attr("stroke", "#888888");
  parts.select("text").text((d) => d.label);
}
