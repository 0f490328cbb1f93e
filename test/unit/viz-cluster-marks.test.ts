// viz: cluster layout marks beyond the snapshot: brokers cut off by network faults (by label and
// border, from the trace's net.* events), segment boundaries on each bar (from the brokers'
// snapshots), records truncated or committed records lost marked where they were and kept after,
// and the LSO hook (drawn only where it differs from the HW). Expected values come from the trace
// and the brokers' own snapshots, and from what the lesson scenarios say happens.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { SessionState, TraceEvent } from "../../sim/index.ts";
import { Session } from "../../sim/scenario/session.ts";
import { ClusterHistory, nodeNetwork } from "../../viz/cluster-history.ts";
import { compactNames, describeNetwork, layoutCluster } from "../../viz/cluster-layout.ts";

function at(scenario: string, us: number) {
  const session = new Session(readFileSync(`scenarios/${scenario}.yaml`, "utf8"));
  session.advanceTo(us);
  const history = new ClusterHistory().update(session.events);
  return {
    session,
    history,
    state: session.state(),
    layout: layoutCluster(session.state(), history),
  };
}

function ev(t: number, type: string, fields: Record<string, unknown>): TraceEvent {
  return { t, type, node: "net", ...fields } as TraceEvent;
}

describe("viz: cluster marks: network faults", () => {
  it("isolated-leader-acks1: during the split each side is cut off from the other, by label and border; healed at 25 s", () => {
    const { layout } = at("isolated-leader-acks1", 10_000_000);
    const node = (name: string) => layout.nodes.find((n) => n.name === name)!;
    // The scenario's partition: [[1, producer-1], [2, 3, 4, 5, 6]].
    expect(node("1").network.cutOffFrom).toEqual(["2", "3", "4", "5", "6"]);
    expect(node("1").networkLabel).toBe("⚡ cut off from 2–6");
    expect(node("1").networkDescription).toBe("cut off from 2, 3, 4, 5, 6");
    for (const name of ["2", "3", "4", "5", "6"]) {
      expect(node(name).network.cutOffFrom).toEqual(["1", "producer-1"]);
      expect(node(name).networkLabel).not.toBe("");
    }
    // Not colour alone: the box's own state words and border are untouched, the fault has its own line.
    expect(node("1").label).toBe("up");
    const after = at("isolated-leader-acks1", 30_000_000).layout;
    expect(after.nodes.every((n) => n.networkLabel === "")).toBe(true);
    const before = at("isolated-leader-acks1", 4_000_000).layout;
    expect(before.nodes.every((n) => n.networkLabel === "")).toBe(true);
  });

  it("unclean-election: net.isolate marks the isolated broker only, until the heal", () => {
    const { layout, session } = at("unclean-election", 5_000_000);
    const isolate = session.events.find((e) => e.type === "net.isolate")!;
    const target = String(isolate.target);
    for (const n of layout.nodes) {
      expect(n.network.isolated).toBe(n.name === target);
      expect(n.networkLabel).toBe(n.name === target ? "⚡ isolated" : "");
    }
    const heal = session.events.find((e) => e.type === "net.heal");
    expect(heal).toBeUndefined();
    const healedAt = at("unclean-election", 45_000_000);
    expect(healedAt.session.events.some((e) => e.type === "net.heal")).toBe(true);
    expect(healedAt.layout.nodes.every((n) => !n.network.isolated)).toBe(true);
  });

  it("one-way cuts, partitions and targeted heals follow the Network's rules", () => {
    const h = new ClusterHistory();
    const events = [
      ev(1, "net.cut", { from: "1", to: "2" }),
      ev(2, "net.partition", { groups: [["3"], ["4", "5"]] }),
    ];
    h.update(events);
    const peers = ["1", "2", "3", "4", "5"];
    expect(nodeNetwork(h, "1", peers)).toMatchObject({ cannotSendTo: ["2"], cutOffFrom: [] });
    expect(nodeNetwork(h, "2", peers)).toMatchObject({ cannotHearFrom: ["1"], cutOffFrom: [] });
    expect(nodeNetwork(h, "3", peers).cutOffFrom).toEqual(["4", "5"]);
    expect(nodeNetwork(h, "4", peers).cutOffFrom).toEqual(["3"]);
    // Healing node 4 lifts the links touching 4 only.
    h.update([...events, ev(3, "net.heal", { target: "4" })]);
    expect(nodeNetwork(h, "3", peers).cutOffFrom).toEqual(["5"]);
    expect(nodeNetwork(h, "4", peers).cutOffFrom).toEqual([]);
    expect(nodeNetwork(h, "1", peers).cannotSendTo).toEqual(["2"]);
    expect(describeNetwork(nodeNetwork(h, "1", peers))).toEqual({
      label: "⚡ can't send to 2",
      description: "cannot send to 2",
    });
    expect(describeNetwork(nodeNetwork(h, "2", peers)).label).toBe("⚡ can't hear 1");
    expect(h.eventsRead).toBe(3);
    // A seek backwards (a shorter list, or a new first event) starts over.
    h.update([ev(1, "net.isolate", { target: "5" })]);
    expect(h.eventsRead).toBe(1);
    expect(nodeNetwork(h, "1", peers).cannotSendTo).toEqual([]);
    expect(nodeNetwork(h, "5", peers).isolated).toBe(true);
  });
});

describe("viz: cluster marks: box words", () => {
  it("runs of three or more consecutive ids are shortened, names kept", () => {
    expect(compactNames(["2", "3", "4", "5", "6"])).toBe("2–6");
    expect(compactNames(["1", "2", "4", "producer-1"])).toBe("1,2,4,producer-1");
    expect(compactNames(["1", "3", "4", "5", "7"])).toBe("1,3–5,7");
    expect(compactNames([])).toBe("");
  });

  it("a label too long for the box ends in an ellipsis; the description keeps every name", () => {
    const net = {
      isolated: false,
      cutOffFrom: ["1", "producer-1", "consumer-1"],
      cannotSendTo: [],
      cannotHearFrom: [],
    };
    const words = describeNetwork(net);
    expect(words.label.endsWith("…")).toBe(true);
    expect(words.label.length).toBeLessThanOrEqual(22);
    expect(words.description).toBe("cut off from 1, producer-1, consumer-1");
  });
});

describe("viz: cluster marks: truncations and losses", () => {
  it("acks-compared: broker 1's truncations at ≈20 s are marked on its bars where they were, and stay", () => {
    const { session, state, layout } = at("acks-compared", 21_000_000);
    const truncates = session.events.filter((e) => e.type === "replica.truncate");
    expect(truncates.length).toBeGreaterThan(0);
    for (const e of truncates) {
      expect(e.node).toBe("1");
      expect(e.t).toBeGreaterThan(19_000_000);
      expect(e.t).toBeLessThan(21_000_000);
      const row = layout.partitions.find((p) => p.key === `${e.topic}-${e.partition}`)!;
      const bar = row.replicas.find((r) => r.broker === 1)!;
      expect(bar.truncations).toHaveLength(1);
      const mark = bar.truncations[0]!;
      const [from, to] = [Number(e.from), Number(e.to)];
      expect(mark.truncation).toMatchObject({ from, to, atUs: e.t, broker: 1 });
      expect(mark.label).toBe(
        `✂ truncated ${to}–${from - 1} (${from - to} records, ${e.why}) at ${(e.t / 1e6).toFixed(2)} s`,
      );
      expect(bar.truncationLabel).toBe(mark.label);
      // Where it was: offset `to` on the bar's scale (the largest LEO or truncated offset).
      const p = state.partitions.find((q) => q.topic === e.topic && q.partition === e.partition)!;
      const max = Math.max(from, ...p.replicaLogs.map((r) => r.leo));
      expect(mark.x).toBeCloseTo((to / max) * layout.barWidth, 0);
      expect(mark.x + mark.width).toBeLessThanOrEqual(layout.barWidth);
      // The other replicas truncated nothing.
      for (const r of row.replicas.filter((b) => b.broker !== 1)) expect(r.truncations).toEqual([]);
      expect(bar.height).toBeGreaterThan(row.replicas.find((r) => r.broker === 2)!.height);
    }
    expect(
      at("acks-compared", 19_000_000).layout.partitions.every((p) =>
        p.replicas.every((r) => r.truncations.length === 0),
      ),
    ).toBe(true);
    // Kept after the fact: at the end the logs have refilled past the range, the mark is still there.
    const end = at("acks-compared", 45_000_000).layout;
    const acksOne = end.partitions.find((p) => p.key === "acks-one-0")!;
    const endBar = acksOne.replicas.find((r) => r.broker === 1)!;
    expect(endBar.truncations).toHaveLength(1);
    expect(endBar.leoX).toBeGreaterThan(endBar.truncations[0]!.x);
  });

  it("power-loss-divergence: a committed loss gets a line under the title and a band over the bars", () => {
    const { session, layout } = at("power-loss-divergence", 45_000_000);
    const lost = session.events.find((e) => e.type === "partition.committed-lost")!;
    const row = layout.partitions.find((p) => p.key === `${lost.topic}-${lost.partition}`)!;
    expect(row.losses).toHaveLength(1);
    const [from, to] = [Number(lost.from), Number(lost.to)];
    expect(row.losses[0]!.label).toBe(
      `⚠ committed offsets ${from}–${to - 1} lost at ${(lost.t / 1e6).toFixed(2)} s: broker ${lost.leader} leads epoch ${lost.leaderEpoch} (${lost.why})`,
    );
    expect(row.barsTop).toBe(22 + 14);
    expect(row.replicas[0]!.y - row.y).toBe(row.barsTop);
    // Before the loss there is none.
    const early = at("power-loss-divergence", 40_000_000).layout;
    expect(early.partitions.every((p) => p.losses.length === 0)).toBe(true);
  });
});

describe("viz: cluster marks: segments and the LSO", () => {
  it("retention-and-segments: one tick per segment boundary after the first, from the brokers' snapshots", () => {
    for (const us of [12_000_000, 30_000_000, 40_000_000]) {
      const { session, layout } = at("retention-and-segments", us);
      for (const b of session.kafka!.cluster.brokerSnapshots()) {
        for (const p of b.partitions.filter((q) => !q.topic.startsWith("__"))) {
          const row = layout.partitions.find((r) => r.key === `${p.topic}-${p.partition}`)!;
          const bar = row.replicas.find((r) => r.broker === b.id)!;
          expect(bar.segmentTicks).toHaveLength(p.segments.length - 1);
          // Ticks in log order, between log start and LEO.
          for (const x of bar.segmentTicks) {
            expect(x).toBeGreaterThanOrEqual(bar.startX);
            expect(x).toBeLessThanOrEqual(bar.leoX);
          }
          for (let i = 1; i < bar.segmentTicks.length; i++)
            expect(bar.segmentTicks[i]!).toBeGreaterThan(bar.segmentTicks[i - 1]!);
        }
      }
    }
    // The lesson: segments roll every 10 s, so by 30 s there are boundaries to draw.
    const { layout } = at("retention-and-segments", 30_000_000);
    expect(layout.partitions[0]!.replicas[0]!.segmentTicks.length).toBeGreaterThanOrEqual(1);
  });

  it("transactions: an open one draws the LSO before the HW; aborted ones are marked where they are", () => {
    const text = [
      "name: txn-marks",
      "seed: 3",
      "duration: 8s",
      "cluster: {brokers: 3}",
      "topics: [{name: out, partitions: 1, replication-factor: 3}]",
      "clients:",
      "  - {id: committer, type: producer, config: {transactional.id: tx-c}, workload: {topic: out, rate: 50/s, count: 10, transaction: {records: 5, end: commit}}}",
      "  - {id: aborter, type: producer, config: {transactional.id: tx-a}, workload: {topic: out, rate: 50/s, count: 10, transaction: {records: 5, end: abort}}}",
      "  - {id: hanger, type: producer, config: {transactional.id: tx-h}, workload: {topic: out, rate: 50/s, from: 3s, count: 3, transaction: {records: 3, end: open}}}",
    ].join("\n");
    const session = new Session(text);
    session.advanceTo(7_000_000);
    const state = session.state();
    const layout = layoutCluster(state, new ClusterHistory().update(session.events));
    const p = state.partitions.find((x) => x.topic === "out")!;
    const row = layout.partitions.find((r) => r.key === "out-0")!;
    // Two aborted transactions, on every replica (markers replicate), as the brokers' logs say.
    for (const log of p.replicaLogs) {
      expect(log.aborted.length).toBe(2);
      const bar = row.replicas.find((r) => r.broker === log.broker)!;
      expect(bar.abortedSpans.map((a) => a.key)).toEqual(
        log.aborted.map((a) => `${a.first}-${a.last}`),
      );
      for (const span of bar.abortedSpans) {
        expect(span.width).toBeGreaterThan(0);
        expect(span.x + span.width).toBeLessThanOrEqual(bar.leoX + 0.2);
      }
      // The hanging transaction holds the LSO below the HW.
      expect(log.lastStable).toBeLessThan(log.hw);
      expect(bar.lsoX).not.toBeNull();
      expect(bar.lsoX!).toBeLessThan(bar.hwX);
    }
  });

  it("the LSO is drawn only where it differs from the HW (none without transactions)", () => {
    const { state, layout } = at("acks-compared", 21_000_000);
    for (const row of layout.partitions) for (const r of row.replicas) expect(r.lsoX).toBeNull();
    // The hook: a replica whose LSO trails its HW (an open transaction) gets a mark before the HW.
    const p = state.partitions[0]!;
    const log = p.replicaLogs[0]!;
    const withTxn: SessionState = {
      ...state,
      partitions: [
        {
          ...p,
          replicaLogs: [{ ...log, lastStable: Math.floor(log.hw / 2) }, ...p.replicaLogs.slice(1)],
        },
      ],
    };
    const bar = layoutCluster(withTxn).partitions[0]!.replicas.find(
      (r) => r.broker === log.broker,
    )!;
    expect(bar.lsoX).not.toBeNull();
    expect(bar.lsoX!).toBeLessThan(bar.hwX);
    expect(bar.offsets).toContain(`LSO ${Math.floor(log.hw / 2)}`);
  });
});
