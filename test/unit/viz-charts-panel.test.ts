// @vitest-environment happy-dom
// viz: the Charts panel mounted in a happy-dom document: five charts with axes, lines, a legend in
// words, the timeline's faults marked, a cursor that moves with time; after a backward seek the
// panel re-reads the rebuilt trace and draws what it drew before at that moment; the page-cache
// chart is the same whether the moment was played to (many redraws) or jumped to (one).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Session } from "../../sim/scenario/session.ts";
import { chartsPanel } from "../../viz/panels/charts-panel.ts";

const ISR = readFileSync("scenarios/isr-broker-stops.yaml", "utf8");
const host = { act: () => {}, seek: () => {}, replaceScenario: () => {} };

function mount(): { div: HTMLDivElement; redraw: (s: Session) => void } {
  const div = document.createElement("div");
  document.body.replaceChildren(div);
  return { div, redraw: chartsPanel.mount(div, host) };
}

function cursorX(div: HTMLElement): string {
  return div.querySelector('g.chart[data-id="throughput"] line.cursor')?.getAttribute("x1") ?? "";
}

describe("viz: charts panel", () => {
  it("draws five charts with axes, lines, legends and the faults", () => {
    const session = new Session(ISR);
    const { div, redraw } = mount();
    session.advanceTo(10_000_000);
    redraw(session);
    const charts = [...div.querySelectorAll("g.chart")].map((g) => g.getAttribute("data-id"));
    expect(charts).toEqual(["throughput", "latency", "lag", "urp", "page-cache"]);
    for (const g of div.querySelectorAll("g.chart")) {
      expect(g.querySelectorAll("g.x-axis .tick").length).toBeGreaterThan(2);
      expect(g.querySelector("line.cursor")).not.toBeNull();
    }
    const faults = session.markers().filter((m) => m.kind === "fault");
    expect(faults.length).toBeGreaterThan(0);
    expect(div.querySelectorAll('g.chart[data-id="urp"] g.fault').length).toBe(faults.length);
    expect(div.querySelector("g.fault title")?.textContent).toContain(faults[0]!.text);
    const text = div.textContent ?? "";
    expect(text).toContain("Throughput (records/s)");
    expect(text).toContain("in: appended by leaders:");
    expect(text).toContain("Under-replicated partitions (partitions)");
    // The producer writes all along: the "in" line has a drawn path.
    const inPath = div.querySelector('path.series[data-name="in: appended by leaders"]');
    expect(inPath?.getAttribute("d") ?? "").toMatch(/^M/);
  });

  it("the cursor moves with time and the lines grow", () => {
    const session = new Session(ISR);
    const { div, redraw } = mount();
    session.advanceTo(5_000_000);
    redraw(session);
    const x1 = Number(cursorX(div));
    const d1 = div.querySelector("path.series")?.getAttribute("d") ?? "";
    session.advanceTo(25_000_000);
    redraw(session);
    expect(Number(cursorX(div))).toBeGreaterThan(x1);
    expect((div.querySelector("path.series")?.getAttribute("d") ?? "").length).toBeGreaterThan(
      d1.length,
    );
  });

  it("a backward seek gives the same drawing as before at that moment", () => {
    const session = new Session(ISR);
    const { div, redraw } = mount();
    for (const t of [3_000_000, 9_000_000, 15_000_000]) {
      session.advanceTo(t);
      redraw(session);
    }
    const before = div.innerHTML;
    session.advanceTo(30_000_000);
    redraw(session);
    expect(div.innerHTML).not.toBe(before);
    session.seek(15_000_000);
    redraw(session);
    expect(div.innerHTML).toBe(before);
  });

  it("a new session (a fork) starts over", () => {
    const session = new Session(ISR);
    const { div, redraw } = mount();
    session.advanceTo(20_000_000);
    redraw(session);
    const fresh = new Session(ISR);
    fresh.advanceTo(2_000_000);
    redraw(fresh);
    expect(Number(cursorX(div))).toBeLessThan(100);
    const values = div.querySelector('g.chart[data-id="urp"] g.entry text')?.textContent;
    expect(values).toBe("under-replicated: 0 partitions");
  });

  it("played or jumped to: the same page-cache chart", () => {
    const text = readFileSync("scenarios/page-cache-hot-vs-cold.yaml", "utf8");
    const chartOf = (div: HTMLElement) =>
      div.querySelector('g.chart[data-id="page-cache"]')?.outerHTML ?? "";
    const played = new Session(text);
    const a = mount();
    for (let t = 500_000; t <= 36_000_000; t += 500_000) {
      played.advanceTo(t);
      a.redraw(played);
    }
    const drawn = chartOf(a.div);
    expect(drawn).toContain("hit ratio");
    const jumped = new Session(text);
    const b = mount();
    jumped.advanceTo(36_000_000);
    b.redraw(jumped);
    expect(chartOf(b.div)).toBe(drawn);
  });
});
