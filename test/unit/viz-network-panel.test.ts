// @vitest-environment happy-dom
// viz: the Network panel's DOM (D3 into a happy-dom document): a node per broker, messages keyed by
// id that move between frames, drops falling after a crash, a seek back drawing the same DOM as a
// fresh panel, a drag from node to node asking for a cut, the cut drawn as a one-way lane whose
// click asks for a heal, and "Heal all".
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { ForkAction, Session } from "../../sim/scenario/session.ts";
import { Session as SessionClass } from "../../sim/scenario/session.ts";
import { clusterNodes, networkPanel } from "../../viz/panels/network-panel.ts";

const FAILOVER = readFileSync("scenarios/leader-failover.yaml", "utf8");

function mounted() {
  const acts: ForkAction[] = [];
  const host = {
    act: (a: ForkAction) => void acts.push(a),
    seek: () => undefined,
    replaceScenario: () => undefined,
  };
  const div = document.createElement("div");
  document.body.append(div);
  return { div, acts, redraw: networkPanel.mount(div, host) as (s: Session) => void };
}

function dots(div: HTMLElement) {
  return [...div.querySelectorAll("g.msg")].map((g) => ({
    id: g.getAttribute("data-id"),
    state: g.getAttribute("data-state"),
    transform: g.getAttribute("transform"),
  }));
}

function pointer(target: Element, type: string): void {
  target.dispatchEvent(new PointerEvent(type, { bubbles: true, button: 0 }));
}

describe("viz: Network panel (DOM)", () => {
  it("draws the brokers and the messages in flight, keyed by id, moving between frames", () => {
    const session = new SessionClass(FAILOVER);
    const { div, redraw } = mounted();
    // Replica fetches and metadata fetches go out in bursts every 500 ms (the first at 1.5005 s).
    session.advanceTo(1_520_000);
    redraw(session);
    const nodes = [...div.querySelectorAll("g.net-node")].map((g) => g.getAttribute("data-node"));
    expect(nodes).toEqual(["1", "2", "3"]);
    const first = dots(div);
    expect(first.length).toBeGreaterThan(0);
    expect(div.querySelector("p.net-summary")?.textContent).toMatch(/in flight now/);
    session.advanceTo(1_560_000);
    redraw(session);
    const second = dots(div);
    const moved = second.filter((d) => {
      const before = first.find((b) => b.id === d.id);
      return before !== undefined && before.transform !== d.transform;
    });
    expect(moved.length).toBeGreaterThan(0);
  });

  it("shows drops after broker 1 crashes, and a seek back draws the same DOM as a fresh panel", () => {
    const session = new SessionClass(FAILOVER);
    const { div, redraw } = mounted();
    session.advanceTo(2_010_000);
    redraw(session);
    expect(dots(div).some((d) => d.state === "dropped")).toBe(true);
    const html = div.innerHTML;
    session.advanceTo(6_000_000);
    redraw(session);
    expect(div.innerHTML).not.toBe(html);
    session.seek(2_010_000);
    redraw(session);
    expect(div.innerHTML).toBe(html);
  });

  it("a drag from node 3 to node 1 asks for a cut; the cut is drawn one way, and a click on it asks for a heal", () => {
    const session = new SessionClass(FAILOVER);
    const { div, acts, redraw } = mounted();
    session.advanceTo(500_000);
    redraw(session);
    expect((div.querySelector("button.net-heal-all") as HTMLButtonElement).disabled).toBe(true);
    pointer(div.querySelector('g.net-node[data-node="3"]')!, "pointerdown");
    pointer(div.querySelector('g.net-node[data-node="1"]')!, "pointerup");
    expect(acts).toEqual([{ kind: "cut", from: "3", to: "1" }]);
    // A press and release on the same node cuts nothing.
    pointer(div.querySelector('g.net-node[data-node="2"]')!, "pointerdown");
    pointer(div.querySelector('g.net-node[data-node="2"]')!, "pointerup");
    expect(acts).toHaveLength(1);

    const forked = session.fork(acts[0]!);
    forked.advanceTo(600_000);
    redraw(forked);
    const lane = div.querySelector('g.lane[data-link="3→1"]');
    expect(lane?.getAttribute("data-kind")).toBe("cut");
    expect(lane?.querySelector("text")?.textContent).toBe("one-way cut 3→1");
    expect(div.querySelector('g.lane[data-link="1→3"]')).toBeNull();
    lane!.dispatchEvent(new MouseEvent("click", { bubbles: true }));
    expect(acts[1]).toEqual({ kind: "heal", node: "3" });
    const healAll = div.querySelector("button.net-heal-all") as HTMLButtonElement;
    expect(healAll.disabled).toBe(false);
    healAll.click();
    expect(acts[2]).toEqual({ kind: "heal" });

    const healed = forked.fork(acts[1]!);
    healed.advanceTo(700_000);
    redraw(healed);
    expect(div.querySelectorAll("g.lane")).toHaveLength(0);
  });
});

describe("viz: Network panel: the cluster's nodes", () => {
  it("clusterNodes lists what session.state() lists, with the same kinds and machine states", () => {
    for (const file of ["leader-failover.yaml", "kraft-controller-failover.yaml"]) {
      const session = new SessionClass(readFileSync(`scenarios/${file}`, "utf8"));
      session.advanceTo(session.durationUs / 2);
      expect(clusterNodes(session)).toEqual(
        session.state().nodes.map((n) => ({ name: n.name, kind: n.kind, host: n.host })),
      );
    }
  });
});
