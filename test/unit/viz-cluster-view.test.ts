// @vitest-environment happy-dom
// viz: the cluster view's SVG (D3 into a happy-dom document): one group per node with its state
// in words, one bar per replica with the leader starred, the crashed broker's box changed by label
// and border, a snapshot of the whole SVG at the failover so any change to the drawing shows, and
// the marks read from the trace: a network fault's ring and words, truncated ranges hatched on the
// bars, segment notches; a seek back and forth draws the same SVG.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Session } from "../../sim/scenario/session.ts";
import { renderCluster } from "../../viz/cluster-view.ts";

const FAILOVER = readFileSync("scenarios/leader-failover.yaml", "utf8");

function svgAt(us: number, text = FAILOVER): SVGSVGElement {
  const session = new Session(text);
  session.advanceTo(us);
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  document.body.replaceChildren(svg);
  renderCluster(svg, session.state(), { events: session.events });
  return svg;
}

const lesson = (name: string) => readFileSync(`scenarios/${name}.yaml`, "utf8");

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

  it("marks aborted transactions on every replica's bar, with words in the tooltip", () => {
    const text = [
      "name: txn-view",
      "seed: 3",
      "duration: 6s",
      "cluster: {brokers: 3}",
      "topics: [{name: out, partitions: 1, replication-factor: 3}]",
      "clients:",
      "  - {id: aborter, type: producer, config: {transactional.id: tx-a}, workload: {topic: out, rate: 50/s, count: 5, transaction: {records: 5, end: abort}}}",
    ].join("\n");
    const svg = svgAt(5_000_000, text);
    const bars = [...svg.querySelectorAll("g.replica")];
    expect(bars.length).toBe(3);
    for (const bar of bars) {
      expect(bar.getAttribute("data-aborted")).toBe("1");
      const rect = bar.querySelector("rect.aborted")!;
      expect(Number(rect.getAttribute("width"))).toBeGreaterThan(0);
      expect(rect.querySelector("title")?.textContent).toMatch(
        /^aborted transaction, offsets \d+ to \d+/,
      );
    }
    expect(svg.textContent).toContain("✗ aborted txn (read_committed skips)");
  });

  it("matches its snapshot at 14 s", () => {
    expect(svgAt(14_000_000).outerHTML).toMatchSnapshot();
  });

  it("a network partition: the cut-off boxes get a dash-dot ring and a ⚡ line; healed, they lose both", () => {
    const svg = svgAt(10_000_000, lesson("isolated-leader-acks1"));
    const box = svg.querySelector('g.node[data-node="1"]')!;
    expect(box.getAttribute("data-network")).toBe("cut");
    expect(box.querySelector("text.network")!.textContent).toBe("⚡ cut off from 2–6");
    expect(box.querySelector("rect.netring")!.getAttribute("visibility")).toBe("visible");
    expect(box.getAttribute("aria-label")).toContain("cut off from 2, 3, 4, 5, 6");
    const healed = svgAt(30_000_000, lesson("isolated-leader-acks1"));
    for (const g of healed.querySelectorAll("g.node")) {
      expect(g.getAttribute("data-network")).toBe("ok");
      expect(g.querySelector("rect.netring")!.getAttribute("visibility")).toBe("hidden");
    }
  });

  it("acks-compared after 20 s: broker 1's truncated ranges are hatched on its bars with words", () => {
    const svg = svgAt(21_000_000, lesson("acks-compared"));
    const bars = [...svg.querySelectorAll('g.replica[data-broker="1"]')];
    expect(bars).toHaveLength(3);
    for (const bar of bars) {
      expect(bar.getAttribute("data-truncations")).toBe("1");
      const rect = bar.querySelector("rect.truncation")!;
      expect(rect.getAttribute("fill")).toBe("url(#kafkasim-cluster-lost)");
      expect(bar.querySelector("text.truncated")!.textContent).toMatch(
        /^✂ truncated \d+–\d+ \(75 records, diverging\) at 20\.\d\d s$/,
      );
    }
    expect(svg.querySelectorAll('g.replica:not([data-broker="1"]) rect.truncation')).toHaveLength(
      0,
    );
    expect(svg.querySelector("pattern#kafkasim-cluster-lost")).not.toBeNull();
  });

  it("retention-and-segments at 30 s: a notch per segment boundary", () => {
    const svg = svgAt(30_000_000, lesson("retention-and-segments"));
    for (const bar of svg.querySelectorAll("g.replica"))
      expect(bar.querySelectorAll("path.segment").length).toBeGreaterThanOrEqual(1);
  });

  it("the same SVG element, seeked back and forth, draws what a fresh view draws", () => {
    const session = new Session(lesson("acks-compared"));
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    document.body.replaceChildren(svg);
    const draw = () => renderCluster(svg, session.state(), { events: session.events });
    session.advanceTo(21_000_000);
    draw();
    const at21 = svg.outerHTML;
    session.seek(10_000_000);
    draw();
    expect(svg.querySelectorAll("rect.truncation")).toHaveLength(0);
    expect(svg.outerHTML).toBe(svgAt(10_000_000, lesson("acks-compared")).outerHTML);
    session.seek(21_000_000);
    draw();
    expect(svg.outerHTML).toBe(at21);
  });
});
