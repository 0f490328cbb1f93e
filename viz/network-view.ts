/**
 * The Network view's drawing (D3 keyed joins into one SVG): nodes on a circle, a faint line per
 * pair that has talked, a coloured dashed lane per faulted direction with its label, and the
 * messages as dots (requests round, responses square) keyed by message id, so they move from frame
 * to frame; dropped ones fall and fade. Interaction: drag from one node to another to cut that
 * direction; click a faulted lane to heal it. Every text goes in with `.text()`, never as HTML.
 */
import { pointer, select } from "d3";
import {
  NET_SVG,
  type NetDot,
  type NetLane,
  type NetLayout,
  type NetLink,
  type NetNode,
} from "./network-layout.ts";

const SVG_NS = "http://www.w3.org/2000/svg";
/** Above this many dots, the dots carry no text label (their tooltip still names them). */
export const LABELLED_DOTS = 24;

export interface NetworkViewActions {
  /** A drag from one node to another: cut from → to (one way). */
  cut(from: string, to: string): void;
  /** A click on a faulted lane: heal every fault touching `node`. */
  heal(node: string): void;
}

export interface NetworkView {
  readonly svg: SVGSVGElement;
  draw(layout: NetLayout): void;
}

export function mountNetworkView(parent: HTMLElement, actions: NetworkViewActions): NetworkView {
  const svgEl = document.createElementNS(SVG_NS, "svg");
  parent.append(svgEl);
  const svg = select(svgEl)
    .attr("class", "network-view")
    .attr("viewBox", `0 0 ${NET_SVG.width} ${NET_SVG.height}`)
    .attr("width", NET_SVG.width)
    .attr("height", NET_SVG.height)
    .attr("role", "img")
    .attr("aria-label", "network: nodes, links and messages in flight");
  const gLinks = svg.append("g").attr("class", "links");
  const gLanes = svg.append("g").attr("class", "lanes");
  const gDots = svg.append("g").attr("class", "dots");
  const gNodes = svg.append("g").attr("class", "nodes");
  const rubber = svg
    .append("line")
    .attr("class", "rubber")
    .attr("stroke", "#D55E00")
    .attr("stroke-dasharray", "4 3")
    .attr("stroke-width", 2)
    .attr("pointer-events", "none")
    .attr("visibility", "hidden");

  // Drag to cut: pointerdown on a node starts, pointerup on another node cuts.
  let dragFrom: NetNode | undefined;
  const endDrag = () => {
    dragFrom = undefined;
    rubber.attr("visibility", "hidden");
  };
  svg.on("pointermove", (event: PointerEvent) => {
    if (dragFrom === undefined) return;
    const [x, y] = pointer(event, svgEl);
    rubber.attr("x2", x).attr("y2", y);
  });
  svg.on("pointerup", endDrag);
  svg.on("pointerleave", endDrag);

  function draw(layout: NetLayout): void {
    gLinks
      .selectAll<SVGLineElement, NetLink>("line.link")
      .data(layout.links, (d) => d.key)
      .join((enter) =>
        enter
          .append("line")
          .attr("class", "link")
          .attr("stroke", "#bbbbbb")
          .attr("stroke-width", 1),
      )
      .order()
      .attr("data-pair", (d) => d.key)
      .attr("x1", (d) => d.x1)
      .attr("y1", (d) => d.y1)
      .attr("x2", (d) => d.x2)
      .attr("y2", (d) => d.y2);

    gLanes
      .selectAll<SVGGElement, NetLane>("g.lane")
      .data(layout.lanes, (d) => d.key)
      .join((enter) => {
        const g = enter.append("g").attr("class", "lane").style("cursor", "pointer");
        g.append("title");
        g.append("line")
          .attr("class", "hit")
          .attr("stroke", "transparent")
          .attr("stroke-width", 12);
        g.append("line").attr("class", "fault").attr("stroke-width", 2.5);
        g.append("text")
          .attr("class", "lane-label")
          .attr("font-size", 11)
          .attr("text-anchor", "middle");
        return g;
      })
      .order()
      .attr("data-link", (d) => d.key)
      .attr("data-kind", (d) => d.kind)
      .attr("data-heal", (d) => d.healNode)
      .on("click", (_event: MouseEvent, d) => actions.heal(d.healNode))
      .call((g) => {
        g.select("title").text(
          (d) =>
            `${d.from}→${d.to}: ${d.kind}. Click to heal every network fault touching ${d.healNode}.`,
        );
        g.selectAll<SVGLineElement, NetLane>("line")
          .attr("x1", (d) => d.x1)
          .attr("y1", (d) => d.y1)
          .attr("x2", (d) => d.x2)
          .attr("y2", (d) => d.y2);
        g.select("line.fault")
          .attr("stroke", (d) => d.stroke)
          .attr("stroke-dasharray", (d) => d.dash);
        g.select("text")
          .attr("x", (d) => d.labelX)
          .attr("y", (d) => d.labelY)
          .attr("fill", (d) => d.stroke)
          .text((d) => d.label);
      });

    const labelled = layout.dots.length <= LABELLED_DOTS;
    gDots
      .selectAll<SVGGElement, NetDot>("g.msg")
      .data(layout.dots, (d) => d.key)
      .join((enter) => {
        const g = enter.append("g").attr("class", "msg").attr("pointer-events", "visiblePainted");
        g.append("title");
        g.each(function (d) {
          const one = select(this);
          if (d.shape === "response")
            one.append("rect").attr("x", -3.5).attr("y", -3.5).attr("width", 7).attr("height", 7);
          else one.append("circle").attr("r", 4);
        });
        g.append("text").attr("font-size", 9).attr("x", 6).attr("y", -4);
        return g;
      })
      .order()
      .attr("data-id", (d) => d.key)
      .attr("data-state", (d) => d.state)
      .attr("transform", (d) => `translate(${d.x},${d.y})`)
      .attr("opacity", (d) => d.opacity)
      .call((g) => {
        g.select("title").text((d) => d.title);
        g.selectAll<SVGElement, NetDot>("circle, rect")
          .attr("fill", (d) =>
            d.state === "dropped" ? "#D55E00" : d.state === "held" ? "#E69F00" : "#333333",
          )
          .attr("stroke", "#ffffff")
          .attr("stroke-width", 0.8);
        g.select("text").text((d) => (labelled || d.state === "dropped" ? d.label : ""));
      });

    gNodes
      .selectAll<SVGGElement, NetNode>("g.net-node")
      .data(layout.nodes, (d) => d.key)
      .join((enter) => {
        const g = enter
          .append("g")
          .attr("class", "net-node")
          .style("cursor", "crosshair")
          .style("touch-action", "none");
        g.append("title");
        g.append("circle")
          .attr("r", NET_SVG.nodeRadius)
          .attr("stroke", "#222222")
          .attr("stroke-width", 1.5);
        g.append("text")
          .attr("class", "name")
          .attr("text-anchor", "middle")
          .attr("dy", 4)
          .attr("font-size", 12)
          .attr("fill", "#ffffff")
          .attr("font-weight", "bold");
        g.append("text").attr("class", "title").attr("text-anchor", "middle").attr("font-size", 10);
        g.append("text")
          .attr("class", "status")
          .attr("text-anchor", "middle")
          .attr("font-size", 10)
          .attr("fill", "#D55E00");
        return g;
      })
      .order()
      .attr("data-node", (d) => d.name)
      .attr("data-kind", (d) => d.kind)
      .attr("transform", (d) => `translate(${d.x},${d.y})`)
      .on("pointerdown", (event: PointerEvent, d) => {
        if (event.button !== 0) return;
        event.preventDefault();
        // Touch pointers are captured by the element pressed: release, so the pointerup lands on
        // the node under the finger.
        const target = event.target as Element | null;
        if (target?.hasPointerCapture?.(event.pointerId))
          target.releasePointerCapture(event.pointerId);
        dragFrom = d;
        rubber
          .attr("x1", d.x)
          .attr("y1", d.y)
          .attr("x2", d.x)
          .attr("y2", d.y)
          .attr("visibility", "visible");
      })
      .on("pointerup", (_event: PointerEvent, d) => {
        const from = dragFrom;
        endDrag();
        if (from !== undefined && from.name !== d.name) actions.cut(from.name, d.name);
      })
      .call((g) => {
        g.select("title").text(
          (d) =>
            `${d.title}${d.status ? ` (${d.status})` : ""}. Drag to another node to cut that link (one way).`,
        );
        g.select("circle")
          .attr("fill", (d) => d.fill)
          .attr("stroke-dasharray", (d) => d.dash);
        g.select("text.name").text((d) => (d.kind === "client" ? "C" : d.name));
        g.select("text.title")
          .attr("y", NET_SVG.nodeRadius + 12)
          .text((d) => d.title);
        g.select("text.status")
          .attr("y", NET_SVG.nodeRadius + 23)
          .text((d) => d.status);
      });
  }

  return { svg: svgEl, draw };
}
