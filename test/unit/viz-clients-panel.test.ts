// @vitest-environment happy-dom
// viz: the Clients panel's DOM (D3 into a happy-dom document): a row per producer, a block per
// group with its assignment lines as SVG paths, the STOP banner while an eager group rebalances,
// the partition table; and a seek backwards gives the same DOM as a fresh run to that moment.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Session } from "../../sim/scenario/session.ts";
import { mountClientsView } from "../../viz/clients-view.ts";
import { clientsPanel } from "../../viz/panels/clients-panel.ts";

const REBALANCE = readFileSync("scenarios/rebalance-eager-vs-cooperative.yaml", "utf8");
const host = { act: () => undefined, seek: () => undefined, replaceScenario: () => undefined };

function mounted(): { div: HTMLDivElement; redraw: (s: Session) => void } {
  const div = document.createElement("div");
  document.body.replaceChildren(div);
  return { div, redraw: clientsPanel.mount(div, host) };
}

/** The first moment (10 ms steps) after `fromUs` at which the group block says it is stopped. */
function firstStop(
  session: Session,
  redraw: (s: Session) => void,
  div: HTMLElement,
  fromUs: number,
) {
  for (let t = fromUs; t <= fromUs + 1_000_000; t += 10_000) {
    session.advanceTo(t);
    redraw(session);
    if (div.querySelector('div.group[data-stopped="true"]') !== null) return t;
  }
  return undefined;
}

describe("viz: Clients panel (DOM)", () => {
  it("draws producers and the group's assignment lines", () => {
    const session = new Session(REBALANCE);
    const { div, redraw } = mounted();
    session.advanceTo(10_000_000);
    redraw(session);
    const row = div.querySelector('tr[data-producer="producer-1"]');
    expect(row?.textContent).toContain("producer-1");
    expect(row?.textContent).toContain("all");
    const group = div.querySelector('div.group[data-group="reports"]');
    if (group === null) throw new Error("no block for group reports");
    expect(group.querySelector("p.group-title")?.textContent).toContain("Stable");
    const paths = [...group.querySelectorAll("path.line")];
    expect(paths).toHaveLength(6);
    expect(paths.every((p) => p.getAttribute("data-kind") === "consuming")).toBe(true);
    expect(group.querySelectorAll("tbody tr")).toHaveLength(6);
    expect((group.querySelector("p.banner") as HTMLElement).hidden).toBe(true);
  });

  it("an eager rebalance is drawn as a stop: banner and every line paused", () => {
    const session = new Session(REBALANCE);
    const { div, redraw } = mounted();
    const t = firstStop(session, redraw, div, 20_000_000);
    expect(t).toBeDefined();
    const group = div.querySelector('div.group[data-group="reports"]')!;
    const banner = group.querySelector("p.banner") as HTMLElement;
    expect(banner.hidden).toBe(false);
    expect(banner.textContent).toContain("STOP");
    const kinds = [...group.querySelectorAll("path.line")].map((p) => p.getAttribute("data-kind"));
    expect(kinds.length).toBeGreaterThan(0);
    expect(kinds.every((k) => k === "paused")).toBe(true);
    // After the rebalance: three members, lines flowing again, the banner gone.
    session.advanceTo(30_000_000);
    redraw(session);
    expect(group.querySelectorAll("g.member")).toHaveLength(3);
    expect(group.querySelector('path.line[data-kind="paused"]')).toBeNull();
    expect(banner.hidden).toBe(true);
  });

  it("a seek back gives the DOM of a fresh run to the same moment", () => {
    const fresh = new Session(REBALANCE);
    const a = mounted();
    fresh.advanceTo(21_000_000);
    a.redraw(fresh);
    const expected = a.div.innerHTML;

    const seeker = new Session(REBALANCE);
    const b = mounted();
    for (const t of [5_000_000, 12_000_000, 21_000_000, 33_000_000]) {
      seeker.advanceTo(t);
      b.redraw(seeker);
    }
    expect(b.div.innerHTML).not.toBe(expected);
    seeker.seek(21_000_000);
    b.redraw(seeker);
    expect(b.div.innerHTML).toBe(expected);
  });

  it("text goes in as text, not HTML", () => {
    const div = document.createElement("div");
    const draw = mountClientsView(div);
    const evil = "<b>evil</b>";
    draw({
      timeUs: 0,
      producers: [],
      groups: [
        {
          groupId: evil,
          state: "Stable",
          generation: 1,
          protocol: "EAGER",
          assignor: evil,
          coordinator: 1,
          members: [
            {
              clientId: evil,
              state: "polling",
              generation: 1,
              held: [],
              assigned: [],
              positions: {},
              up: true,
            },
          ],
          partitions: [],
          committed: {},
        },
      ],
    });
    expect(div.querySelector("b")).toBeNull();
    expect(div.textContent).toContain(evil);
  });
});
