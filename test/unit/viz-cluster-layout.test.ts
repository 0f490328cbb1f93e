// viz: cluster layout: from a session's state, one box per broker with its state in words and
// a border style (not colour alone), one bar per replica, the leader and ISR membership marked,
// and the playback and caption rules the page runs on. (The SVG drawn from it is checked in
// viz-cluster-view.test.ts under happy-dom and in Chromium by test/e2e/viz.e2e.test.ts.)
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Session } from "../../sim/scenario/session.ts";
import { captionsAt } from "../../viz/captions.ts";
import { layoutCluster, nodeLook } from "../../viz/cluster-layout.ts";
import { clampSpeedLog, formatSpeed, playbackTarget, speedOf } from "../../viz/playback.ts";

const FAILOVER = readFileSync("scenarios/leader-failover.yaml", "utf8");

function failoverAt(us: number) {
  const session = new Session(FAILOVER);
  session.advanceTo(us);
  return { session, state: session.state() };
}

describe("viz: cluster layout", () => {
  it("viz: cluster layout: one box per broker, one row per partition, one bar per replica", () => {
    const { state } = failoverAt(1_000_000);
    const layout = layoutCluster(state);
    expect(layout.nodes.map((n) => n.key)).toEqual(state.nodes.map((n) => n.name));
    expect(layout.partitions.map((p) => p.key)).toEqual(["orders-0", "orders-1", "orders-2"]);
    for (const row of layout.partitions) {
      expect(row.replicas.map((r) => r.broker).sort()).toEqual([1, 2, 3]);
      expect(row.replicas.filter((r) => r.leader)).toHaveLength(1);
      expect(row.replicas.every((r) => r.membership === "ISR")).toBe(true);
    }
    const leaderBar = layout.partitions[0]!.replicas.find((r) => r.leader)!;
    expect(leaderBar.broker).toBe(1);
    expect(leaderBar.label).toBe("★ broker 1");
    expect(layout.nodes.filter((n) => n.activeController)).toHaveLength(1);
    // Boxes do not overlap.
    const xs = layout.nodes.map((n) => n.x);
    for (let i = 1; i < xs.length; i++)
      expect(xs[i]!).toBeGreaterThanOrEqual(xs[i - 1]! + layout.nodes[i - 1]!.width);
  });

  it("viz: cluster layout: a crashed broker differs by label and border, not colour alone", () => {
    const { state } = failoverAt(14_000_000);
    const layout = layoutCluster(state);
    const [one, two] = [layout.nodes[0]!, layout.nodes[1]!];
    expect(one.look).toBe("crashed");
    expect(one.label).toBe("process crashed");
    expect(one.dash).not.toBe(two.dash);
    expect(one.label).not.toBe(two.label);
    expect(one.clickAction).toBe("restart");
    expect(two.clickAction).toBe("crash");
    const p0 = layout.partitions[0]!;
    expect(p0.leader).toBe(2);
    expect(p0.title).toContain("ISR [2,3]");
    expect(p0.replicas.find((r) => r.broker === 1)!.membership).toBe("out of ISR");
  });

  it("viz: cluster layout: marks sit in log order: start ≤ HW ≤ LEO, flushed ≤ LEO, within the bar", () => {
    const { state } = failoverAt(40_000_000);
    const layout = layoutCluster(state);
    for (const row of layout.partitions)
      for (const r of row.replicas.filter((b) => b.hosted)) {
        expect(r.startX).toBeLessThanOrEqual(r.hwX);
        expect(r.hwX).toBeLessThanOrEqual(r.leoX);
        expect(r.flushedX).toBeLessThanOrEqual(r.leoX);
        expect(r.leoX).toBeLessThanOrEqual(layout.barWidth);
      }
  });

  it("viz: cluster layout: node looks follow the host and the metadata", () => {
    const base = {
      name: "1",
      id: 1,
      kind: "broker" as const,
      voter: true,
      activeController: false,
    };
    expect(nodeLook({ ...base, host: "up", brokerState: "running", fenced: false })).toBe("up");
    expect(nodeLook({ ...base, host: "up", brokerState: "running", fenced: true })).toBe("fenced");
    expect(nodeLook({ ...base, host: "up", brokerState: "recovery", fenced: true })).toBe(
      "starting",
    );
    expect(
      nodeLook({ ...base, host: "powered-off", brokerState: "not-running", fenced: true }),
    ).toBe("powered-off");
  });
});

describe("viz: playback", () => {
  it("viz: playback: speed is logarithmic from 0.1× to 1000×", () => {
    expect(speedOf(-5)).toBeCloseTo(0.1);
    expect(speedOf(0)).toBe(1);
    expect(speedOf(9)).toBe(1000);
    expect(clampSpeedLog(0.3 + 0.3)).toBe(0.6);
    expect(formatSpeed(0)).toBe("1.0×");
    expect(formatSpeed(3)).toBe("1000×");
  });

  it("viz: playback: wall time × speed gives the target, stopping at the first stop after now", () => {
    expect(playbackTarget(0, 16, 1, 40_000_000, [])).toEqual({
      targetUs: 16_000,
      stopped: false,
      ended: false,
    });
    expect(playbackTarget(1_990_000, 100, 10, 40_000_000, [2_000_000, 3_000_000])).toEqual({
      targetUs: 2_000_000,
      stopped: true,
      ended: false,
    });
    // A stop at now does not stop again.
    expect(playbackTarget(2_000_000, 100, 1, 40_000_000, [2_000_000]).stopped).toBe(false);
    expect(playbackTarget(39_999_000, 100, 1000, 40_000_000, []).ended).toBe(true);
  });

  it("viz: captions: the latest say and ask at or before now", () => {
    const { session } = failoverAt(0);
    const markers = session.markers();
    expect(captionsAt(markers, 1_000_000)).toEqual({ say: undefined, ask: undefined });
    const at2 = captionsAt(markers, 2_000_000);
    expect(at2.ask?.text).toContain("Broker 1 is about to crash");
    expect(at2.ask?.answer).toContain("broker.session.timeout.ms");
    expect(captionsAt(markers, 16_000_000).say?.text).toContain("Broker 1 restarts");
    expect(markers.filter((m) => m.kind === "fault").map((m) => m.text)).toEqual([
      "crash node=1 mode=process",
      "restart node=1",
    ]);
  });
});
