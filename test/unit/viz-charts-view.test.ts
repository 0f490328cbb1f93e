// viz: the Charts panel's drawing helpers in Node: the legend wraps into rows that fit, the plot
// starts below the legend, the y axis covers every value, values are written with their unit, and
// no two lines share both colour and dash.
import { describe, expect, it } from "vitest";
import type { ChartData } from "../../viz/charts-data.ts";
import {
  formatValue,
  LINE_STYLES,
  latest,
  legendLayout,
  plotTop,
  yTop,
} from "../../viz/charts-view.ts";

function chartWith(values: Array<number | null>, id: ChartData["id"] = "lag"): ChartData {
  return { id, title: "t", unit: "records", note: "", lines: [{ name: "a", values }] };
}

describe("viz charts: view helpers", () => {
  it("the legend wraps when an entry would pass the width, and never overlaps in a row", () => {
    const labels = ["group billing: 1700 records", "group archiver: 2585 records", "x", "y"];
    const places = legendLayout(labels, 320);
    expect(places[0]).toEqual({ x: 0, row: 0 });
    expect(places.map((p) => p.row)).toEqual([0, 1, 1, 1]);
    for (let i = 1; i < places.length; i++) {
      if (places[i]!.row === places[i - 1]!.row)
        expect(places[i]!.x).toBeGreaterThan(places[i - 1]!.x);
    }
    // A label longer than the width still gets a row of its own, starting at 0.
    expect(legendLayout(["a".repeat(200), "b"], 100)).toEqual([
      { x: 0, row: 0 },
      { x: 0, row: 1 },
    ]);
    expect(plotTop(2)).toBeGreaterThan(plotTop(1));
  });

  it("the y axis reaches above the largest value; ratios are on 0..100", () => {
    expect(yTop(chartWith([1, null, 40, 3]))).toBeGreaterThanOrEqual(40);
    expect(yTop(chartWith([null, null]))).toBe(1);
    expect(yTop(chartWith([5], "page-cache"))).toBe(100);
  });

  it("values in words, the latest non-null", () => {
    expect(formatValue(null, "ms")).toBe("–");
    expect(formatValue(0.46, "ms")).toBe("0.5 ms");
    expect(formatValue(1234.4, "records")).toBe("1234 records");
    expect(formatValue(97.2, "%")).toBe("97%");
    expect(latest([1, 2, null])).toBe(2);
    expect(latest([null])).toBeNull();
  });

  it("line styles differ in dash as well as colour", () => {
    const dashes = LINE_STYLES.map((s) => s.dash);
    expect(new Set(dashes).size).toBe(LINE_STYLES.length);
    expect(new Set(LINE_STYLES.map((s) => s.colour)).size).toBe(LINE_STYLES.length);
  });
});
