// @vitest-environment happy-dom
// viz: the cluster view's SVG (D3 into a happy-dom document): one group per node with its state
// in words, one bar per replica with the leader starred, the crashed broker's box changed by label
// and border, and a snapshot of the whole SVG at the failover so any change to the drawing shows.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Session } from "../../sim/scenario/session.ts";
import { renderCluster } from "../../viz/cluster-view.ts";

const FAILOVER = readFileSync("scenarios/leader-failover.yaml", "utf8");

function svgAt(us: number): SVGSVGElement {
  const session = new Session(FAILOVER);
  session.advanceTo(us);
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  document.body.replaceChildren(svg);
  renderCluster(svg, session.state());
  return svg;
}

describe("viz: cluster view (SVG)", () => {
  it("draws a box per node and a bar per replica, the leader starred", () => {
    const svg = svgAt(1_000_000);
    const text = svg.textContent ?? "";
    for (const b of ["broker 1", "broker 2", "broker 3"]) expect(text).toContain(b);
    // Three partitions of three replicas, each row with one leader.
    expect(text.match(/★ broker/g)?.length).toBe(3);
    expect(text).toContain("orders-0 · leader 1");
  });

  it("after the crash and the fencing, broker 1's box says so and broker 2 leads orders-0", () => {
    const before = svgAt(1_000_000).innerHTML;
    const svg = svgAt(14_000_000);
    const text = svg.textContent ?? "";
    expect(text).toContain("process crashed");
    expect(text).toContain("orders-0 · leader 2");
    expect(svg.innerHTML).not.toBe(before);
  });

  it("matches its snapshot at 14 s", () => {
    expect(svgAt(14_000_000).outerHTML).toMatchSnapshot();
  });
});
