// @vitest-environment happy-dom
// viz: the Event log panel in a happy-dom document: rows for the events in view only, the current
// moment marked, the filters (node, partition, kind) narrowing the rows, a click on a row seeking
// there (and the rows before the moment unchanged by the jump), later rows kept after a seek back,
// and the message-sequence diagram drawn from the same run.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Session } from "../../sim/scenario/session.ts";
import { formatTime } from "../../viz/event-log-data.ts";
import { eventLogPanel, VISIBLE_ROWS } from "../../viz/panels/events-panel.ts";
import type { PanelHost } from "../../viz/panels/panel.ts";

const FAILOVER = readFileSync("scenarios/leader-failover.yaml", "utf8");

interface Mounted {
  container: HTMLDivElement;
  session: Session;
  redraw: (s: Session) => void;
  seeks: number[];
}

function mountAt(us: number): Mounted {
  const session = new Session(FAILOVER);
  session.advanceTo(us);
  const container = document.createElement("div");
  document.body.replaceChildren(container);
  const seeks: number[] = [];
  const mounted: Mounted = { container, session, redraw: () => {}, seeks };
  const host: PanelHost = {
    act: () => {
      throw new Error("the event log does not act");
    },
    seek: (t) => {
      seeks.push(t);
      mounted.session.seek(t);
      mounted.redraw(mounted.session);
    },
    replaceScenario: () => {
      throw new Error("the event log does not replace the scenario");
    },
  };
  mounted.redraw = eventLogPanel.mount(container, host);
  mounted.redraw(session);
  return mounted;
}

function rows(m: Mounted): HTMLElement[] {
  return [...m.container.querySelectorAll<HTMLElement>(".event-row")].filter((r) => !r.hidden);
}

function rowTexts(m: Mounted, look?: string): string[] {
  return rows(m)
    .filter((r) => look === undefined || r.dataset.look === look)
    .sort((a, b) => Number(a.dataset.index) - Number(b.dataset.index))
    .map((r) => r.textContent ?? "");
}

function type(input: HTMLInputElement | HTMLSelectElement, value: string): void {
  input.value = value;
  input.dispatchEvent(new Event(input instanceof HTMLSelectElement ? "change" : "input"));
}

describe("viz: event log panel", () => {
  it("draws only the rows in view, the current moment marked and in view", () => {
    const m = mountAt(14_000_000);
    const drawn = rows(m);
    expect(m.session.events.length).toBeGreaterThan(500);
    expect(drawn.length).toBeGreaterThan(0);
    expect(drawn.length).toBeLessThanOrEqual(VISIBLE_ROWS + 10);
    const now = drawn.filter((r) => r.getAttribute("aria-current") === "true");
    expect(now.length).toBeGreaterThan(0);
    const last = m.session.events.at(-1);
    for (const r of now) expect(r.children[0]?.textContent).toBe(`▶${formatTime(last?.t ?? -1)}`);
    expect(now.map((r) => r.dataset.type)).toContain(last?.type);
    expect(m.container.querySelector(".event-count")?.textContent).toBe(
      `${m.session.events.length.toLocaleString("en-US")} of ${m.session.events.length.toLocaleString("en-US")} events`,
    );
  });

  it("filters by node, partition and kind", () => {
    const m = mountAt(14_000_000);
    const node = m.container.querySelector(".event-node") as HTMLSelectElement;
    const options = [...node.options].map((o) => o.value);
    expect(options).toEqual(expect.arrayContaining(["", "1", "2", "3", "scenario"]));
    type(node, "scenario");
    for (const r of rows(m)) expect(r.children[1]?.textContent).toBe("scenario");
    type(node, "");
    type(m.container.querySelector(".event-partition") as HTMLInputElement, "orders-0");
    expect(rows(m).length).toBeGreaterThan(0);
    for (const r of rows(m)) expect(r.children[3]?.textContent).toMatch(/^orders-0 /);
    type(m.container.querySelector(".event-kind") as HTMLInputElement, "partition.leader");
    const leaders = rows(m);
    const expected = m.session.events.filter(
      (e) => e.type === "partition.leader" && e.topic === "orders" && e.partition === 0,
    );
    expect(leaders.length).toBe(Math.min(expected.length, VISIBLE_ROWS + 10));
    for (const r of leaders) expect(r.children[2]?.textContent).toBe("partition.leader");
    expect(m.container.querySelector(".event-count")?.textContent).toMatch(
      new RegExp(`^${expected.length} of `),
    );
  });

  it("a click on a row seeks there; the rows before it are as a fresh panel at that moment draws them", () => {
    const m = mountAt(14_000_000);
    type(
      m.container.querySelector(".event-kind") as HTMLInputElement,
      "host. partition.leader broker.fenced",
    );
    const target = rows(m).find((r) => r.dataset.type === "host.crash") as HTMLElement;
    expect(target).toBeDefined();
    target.click();
    expect(m.seeks).toEqual([2_000_000]);
    expect(m.session.timeUs).toBe(2_000_000);
    const later = rowTexts(m, "later");
    expect(later.length).toBeGreaterThan(0);
    expect(m.container.querySelector(".event-count")?.textContent).toMatch(/later than now\)$/);
    const now = rows(m).filter((r) => r.dataset.look === "now");
    expect(now.map((r) => r.dataset.type)).toContain("host.crash");

    const fresh = mountAt(2_000_000);
    type(
      fresh.container.querySelector(".event-kind") as HTMLInputElement,
      "host. partition.leader broker.fenced",
    );
    // The fresh panel's rows are all at or before the moment; the jumped-back panel has the same.
    expect(rowTexts(fresh, "later")).toEqual([]);
    const freshRows = [...rowTexts(fresh, "past"), ...rowTexts(fresh, "now")];
    const backRows = [...rowTexts(m, "past"), ...rowTexts(m, "now")];
    expect(backRows.slice(-freshRows.length)).toEqual(freshRows);

    // A click on a later row jumps forward again.
    const forward = rows(m).find((r) => r.dataset.look === "later") as HTMLElement;
    forward.click();
    expect(m.seeks.length).toBe(2);
    expect(m.session.timeUs).toBe(m.seeks[1]);
    expect(m.seeks[1]).toBeGreaterThanOrEqual(2_000_000);
  });

  it("draws the message-sequence diagram of the window before now when opened", () => {
    const m = mountAt(2_010_000);
    const details = m.container.querySelector("details.sequence") as HTMLDetailsElement;
    expect(m.container.querySelectorAll("g.message").length).toBe(0);
    details.open = true;
    details.dispatchEvent(new Event("toggle"));
    const messages = [...m.container.querySelectorAll<SVGGElement>("g.message")];
    expect(messages.length).toBeGreaterThan(0);
    const dropped = messages.filter((g) => g.getAttribute("data-end") === "dropped");
    expect(dropped.length).toBeGreaterThan(0);
    for (const g of dropped) expect(g.textContent).toContain("✕");
    const lanes = [...m.container.querySelectorAll("g.lane text")].map((t) => t.textContent);
    expect(lanes).toContain("node 1");
    // Only messages between the chosen nodes.
    type(m.container.querySelector(".sequence-nodes") as HTMLInputElement, "2,3");
    const lanes2 = [...m.container.querySelectorAll("g.lane text")].map((t) => t.textContent);
    expect(lanes2).toEqual(["node 2", "node 3"]);
    for (const g of m.container.querySelectorAll("g.message title"))
      expect(g.textContent).toMatch(/ (2 → 3|3 → 2),/);
  });
});
