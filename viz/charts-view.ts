/**
 * The Charts panel's drawing: small multiples in one SVG, one keyed group per chart, each with
 * its title and unit, axes (virtual seconds across, the chart's unit up), one path per line
 * (colour and dash pattern from the Okabe-Ito palette, so lines differ without colour too), a
 * legend with each line's latest value in words, the timeline's faults as dashed vertical lines
 * marked ✕ (hover for the fault), and a cursor at the current time. Render is a function of the
 * precomputed series; text goes in with `.text()`, never as HTML.
 */
import { axisBottom, axisLeft, line, type Selection, scaleLinear, select } from "d3";
import type { TimelineMarker } from "../sim/index.ts";
import type { ChartData, ChartSeries } from "./charts-data.ts";
import { PALETTE } from "./cluster-layout.ts";

export const CHART_WIDTH = 640;
export const CHART_HEIGHT = 140;
const MARGIN = { left: 52, right: 12, bottom: 22 };
const LEGEND_ROW = 13;
const LEGEND_FIRST_BASELINE = 31;
/** About the width of a character of the legend's 11 px sans-serif. */
const LEGEND_CHAR_PX = 6.4;

/**
 * Where each legend entry goes: left to right, a new row when the next would pass `width`.
 * Widths are estimated from the text's length (no measuring, so it is the same in Node).
 */
export function legendLayout(
  labels: readonly string[],
  width: number,
): Array<{ x: number; row: number }> {
  const out: Array<{ x: number; row: number }> = [];
  let x = 0;
  let row = 0;
  for (const label of labels) {
    const w = 22 + label.length * LEGEND_CHAR_PX + 16;
    if (x > 0 && x + w > width) {
      x = 0;
      row++;
    }
    out.push({ x, row });
    x += w;
  }
  return out;
}

/** The plot's top edge in a chart: below the title and the legend's rows (and room for ✕). */
export function plotTop(rows: number): number {
  return LEGEND_FIRST_BASELINE + (Math.max(1, rows) - 1) * LEGEND_ROW + 14;
}

/** Line looks, in order: colour and dash both differ, so no line relies on colour alone. */
export const LINE_STYLES: ReadonlyArray<{ readonly colour: string; readonly dash: string }> = [
  { colour: PALETTE.controller, dash: "" },
  { colour: PALETTE.fenced, dash: "6 3" },
  { colour: PALETTE.up, dash: "2 2" },
  { colour: PALETTE.crashed, dash: "8 3 2 3" },
  { colour: PALETTE.starting, dash: "1 3" },
  { colour: PALETTE.poweredOff, dash: "10 2" },
];

/** The top of a chart's y axis: the largest value shown plus a margin, at least 1. */
export function yTop(chart: ChartData): number {
  if (chart.id === "page-cache") return 100;
  let max = 0;
  for (const l of chart.lines) for (const v of l.values) if (v !== null && v > max) max = v;
  return max <= 0 ? 1 : max * 1.1;
}

/** A value as the legend writes it: whole numbers above 10, one decimal below. */
export function formatValue(v: number | null, unit: string): string {
  if (v === null) return "–";
  const text = Math.abs(v) >= 10 || Number.isInteger(v) ? String(Math.round(v)) : v.toFixed(1);
  return unit === "%" ? `${text}%` : `${text} ${unit}`;
}

/** The x (µs) where bucket b's point is drawn: its middle, or now for the bucket being filled. */
export function bucketX(series: ChartSeries, b: number): number {
  return Math.min((b + 0.5) * series.bucketUs, series.nowUs, series.durationUs);
}

export function renderCharts(
  svgElement: SVGSVGElement,
  series: ChartSeries,
  faults: readonly TimelineMarker[],
): void {
  const svg = select(svgElement)
    .attr("width", CHART_WIDTH)
    .attr("height", series.charts.length * CHART_HEIGHT)
    .attr("viewBox", `0 0 ${CHART_WIDTH} ${series.charts.length * CHART_HEIGHT}`)
    .attr("role", "img")
    .attr("aria-label", "charts over virtual time");
  const plotW = CHART_WIDTH - MARGIN.left - MARGIN.right;
  const x = scaleLinear()
    .domain([0, Math.max(1, series.durationUs) / 1_000_000])
    .range([0, plotW]);
  const xUs = (us: number): number => x(us / 1_000_000);

  svg
    .selectAll<SVGGElement, ChartData>("g.chart")
    .data(series.charts, (c) => c.id)
    .join((enter) => {
      const g = enter.append("g").attr("class", "chart");
      g.append("text")
        .attr("class", "title")
        .attr("x", 4)
        .attr("y", 13)
        .attr("font-weight", "bold");
      g.append("text")
        .attr("class", "note")
        .attr("x", CHART_WIDTH - 4)
        .attr("y", 13);
      const plot = g.append("g").attr("class", "plot");
      plot.append("rect").attr("class", "frame").attr("fill", "none").attr("stroke", "#ccc");
      plot.append("g").attr("class", "x-axis");
      plot.append("g").attr("class", "y-axis");
      plot.append("g").attr("class", "faults");
      plot.append("g").attr("class", "lines");
      plot.append("line").attr("class", "cursor").attr("stroke", "#222").attr("stroke-width", 1.5);
      g.append("g").attr("class", "legend");
      return g;
    })
    .attr("data-id", (c) => c.id)
    .attr("transform", (_c, i) => `translate(0,${i * CHART_HEIGHT})`)
    .each(function (chart) {
      drawChart(select(this), chart);
    });

  function drawChart(g: Selection<SVGGElement, ChartData, null, undefined>, chart: ChartData) {
    const labels = chart.lines.map(
      (l) => `${l.name}: ${formatValue(latest(l.values), chart.unit)}`,
    );
    const places = legendLayout(labels, CHART_WIDTH - MARGIN.left - MARGIN.right);
    const top = plotTop((places.at(-1)?.row ?? 0) + 1);
    const plotH = CHART_HEIGHT - top - MARGIN.bottom;
    g.select("text.title").text(`${chart.title} (${chart.unit})`);
    g.select("text.note").attr("text-anchor", "end").attr("font-size", 11).text(chart.note);
    const plot = g
      .select<SVGGElement>("g.plot")
      .attr("transform", `translate(${MARGIN.left},${top})`);
    plot.select("rect.frame").attr("width", plotW).attr("height", plotH);
    const y = scaleLinear()
      .domain([0, yTop(chart)])
      .range([plotH, 0])
      .nice();
    plot
      .select<SVGGElement>("g.x-axis")
      .attr("transform", `translate(0,${plotH})`)
      .call(
        axisBottom(x)
          .ticks(8)
          .tickFormat((s) => `${s} s`),
      );
    plot.select<SVGGElement>("g.y-axis").call(axisLeft(y).ticks(3));

    const faultMarks = plot
      .select("g.faults")
      .selectAll<SVGGElement, TimelineMarker>("g.fault")
      .data(faults, (f) => `${f.atUs}\u0000${f.text}`)
      .join((enter) => {
        const f = enter.append("g").attr("class", "fault");
        f.append("title");
        f.append("line").attr("stroke", PALETTE.crashed).attr("stroke-dasharray", "3 3");
        f.append("text")
          .attr("text-anchor", "middle")
          .attr("y", -2)
          .attr("font-size", 10)
          .attr("fill", PALETTE.crashed)
          .text("✕");
        return f;
      })
      .attr("transform", (f) => `translate(${xUs(f.atUs)},0)`);
    faultMarks.select("line").attr("y1", 0).attr("y2", plotH);
    faultMarks.select("title").text((f) => `${(f.atUs / 1_000_000).toFixed(3)} s: ${f.text}`);

    const path = line<number | null>()
      .defined((v) => v !== null)
      .x((_v, b) => xUs(bucketX(series, b)))
      .y((v) => y(v ?? 0));
    plot
      .select("g.lines")
      .selectAll<SVGPathElement, ChartData["lines"][number]>("path.series")
      .data(chart.lines, (l) => l.name)
      .join("path")
      .attr("class", "series")
      .attr("data-name", (l) => l.name)
      .attr("fill", "none")
      .attr("stroke-width", 1.8)
      .attr("stroke", (_l, i) => style(i).colour)
      .attr("stroke-dasharray", (_l, i) => style(i).dash)
      .attr("d", (l) => path(l.values) ?? "");

    const cx = xUs(Math.min(series.nowUs, series.durationUs));
    plot.select("line.cursor").attr("x1", cx).attr("x2", cx).attr("y1", 0).attr("y2", plotH);

    const legend = g
      .select("g.legend")
      .attr("transform", `translate(${MARGIN.left},${LEGEND_FIRST_BASELINE})`)
      .selectAll<SVGGElement, ChartData["lines"][number]>("g.entry")
      .data(chart.lines, (l) => l.name)
      .join((enter) => {
        const e = enter.append("g").attr("class", "entry");
        e.append("line")
          .attr("x1", 0)
          .attr("x2", 18)
          .attr("y1", -4)
          .attr("y2", -4)
          .attr("stroke-width", 2);
        e.append("text").attr("x", 22).attr("font-size", 11);
        return e;
      })
      .attr("transform", (_l, i) => {
        const place = places[i]!;
        return `translate(${place.x},${place.row * LEGEND_ROW})`;
      });
    legend
      .select("line")
      .attr("stroke", (_l, i) => style(i).colour)
      .attr("stroke-dasharray", (_l, i) => style(i).dash);
    legend.select("text").text((_l, i) => labels[i]!);
  }
}

function style(i: number): { readonly colour: string; readonly dash: string } {
  return LINE_STYLES[i % LINE_STYLES.length]!;
}

/** The last value that is not null. */
export function latest(values: ReadonlyArray<number | null>): number | null {
  for (let i = values.length - 1; i >= 0; i--) if (values[i] !== null) return values[i]!;
  return null;
}
