/**
 * The timeline strip under the scrubber: narrative and fault markers over the run's duration,
 * drawn with D3 (keyed by time and kind), each with a shape and a colour of its own (say: circle,
 * ask: "?", pause: bar, fault: cross) and a tooltip; a click seeks to it. The strip is stretched
 * to the scrubber's width (CSS), so a marker sits above its moment on the scrubber.
 */
import { select } from "d3";
import type { TimelineMarker } from "../sim/index.ts";

const SHAPE: Record<TimelineMarker["kind"], { colour: string; glyph: string }> = {
  say: { colour: "#0072B2", glyph: "●" },
  ask: { colour: "#CC79A7", glyph: "?" },
  pause: { colour: "#000000", glyph: "‖" },
  fault: { colour: "#D55E00", glyph: "✕" },
};

export function renderTimeline(
  svgElement: SVGSVGElement,
  markers: readonly TimelineMarker[],
  durationUs: number,
  width: number,
  onSeek: (atUs: number) => void,
): void {
  const svg = select(svgElement)
    .attr("viewBox", `0 0 ${width} 22`)
    .attr("preserveAspectRatio", "none");
  const x = (us: number) => 8 + (durationUs <= 0 ? 0 : (us / durationUs) * (width - 16));
  svg
    .selectAll<SVGGElement, TimelineMarker>("g.marker")
    .data(markers, (d, i) => `${i}|${d.atUs}|${d.kind}`)
    .join((enter) => {
      const g = enter.append("g").attr("class", "marker").style("cursor", "pointer");
      g.append("title");
      g.append("text").attr("text-anchor", "middle").attr("y", 16).attr("font-size", 14);
      return g;
    })
    .attr("data-kind", (d) => d.kind)
    .attr("data-at-us", (d) => String(d.atUs))
    .attr("transform", (d) => `translate(${x(d.atUs)},0)`)
    .on("click", (_event, d) => onSeek(d.atUs))
    .call((g) => {
      g.select("title").text((d) => `${(d.atUs / 1e6).toFixed(3)} s  ${d.kind}: ${d.text}`);
      g.select("text")
        .attr("fill", (d) => SHAPE[d.kind].colour)
        .text((d) => SHAPE[d.kind].glyph);
    });
}
