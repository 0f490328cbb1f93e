// viz: the Network view's model and layout, in Node: messages in flight matched by id against the
// trace, incremental reading equal to one read, fault state replayed from net.* events (cut,
// partition, isolate, hold, delay, throttle, heal), lane labels, where a message is drawn, drops
// falling, the cap on drawn messages, and which node a click on a faulted link heals.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { TraceEvent } from "../../sim/engine/trace.ts";
import { Session } from "../../sim/scenario/session.ts";
import {
  FALL_PX,
  healNodeFor,
  layoutNetwork,
  MAX_DRAWN,
  MIN_FALL_US,
  NET_SVG,
  type NetNodeInput,
  orderNodes,
  shortName,
} from "../../viz/network-layout.ts";
import { NetworkModel } from "../../viz/network-model.ts";

const FAILOVER = readFileSync("scenarios/leader-failover.yaml", "utf8");
const THREE: NetNodeInput[] = ["1", "2", "3"].map((name) => ({ name, kind: "broker" }));

function ev(t: number, type: string, fields: Record<string, unknown>): TraceEvent {
  return { t, type, node: "net", ...fields } as TraceEvent;
}

function send(t: number, id: number, from: string, to: string, msg = "FetchRequest"): TraceEvent {
  return ev(t, "net.send", { id, from, to, msg, bytes: 100, conn: 0 });
}

/** Ids sent and not yet delivered or dropped, counted straight from the trace (loopback left out). */
function openIds(events: readonly TraceEvent[]): number[] {
  const open = new Set<number>();
  for (const e of events) {
    if (e.type === "net.send" && e.from !== e.to) open.add(e.id as number);
    if (e.type === "net.deliver" || e.type === "net.drop") open.delete(e.id as number);
  }
  return [...open].sort((a, b) => a - b);
}

function inFlightIds(model: NetworkModel): number[] {
  return [...model.messages.values()]
    .filter((m) => m.end === undefined)
    .map((m) => m.id)
    .sort((a, b) => a - b);
}

describe("viz: network model", () => {
  it("matches sends with deliveries and drops by id, read at once or frame by frame", () => {
    const session = new Session(FAILOVER);
    const stepped = new NetworkModel();
    let checkedNonEmpty = 0;
    for (let t = 0; t <= 2_200_000; t += 3_337) {
      session.advanceTo(t);
      expect(stepped.read(session.events, session.timeUs)).toBe(true);
      const expected = openIds(session.events);
      expect(inFlightIds(stepped)).toEqual(expected);
      expect(stepped.inFlight).toBe(expected.length);
      if (expected.length > 0) checkedNonEmpty++;
    }
    expect(checkedNonEmpty).toBeGreaterThan(0);
    const once = new NetworkModel();
    once.read(session.events, session.timeUs);
    expect(inFlightIds(once)).toEqual(inFlightIds(stepped));
    expect([...once.pairs].sort()).toEqual([...stepped.pairs].sort());
    expect(once.nodesSeen).toEqual(stepped.nodesSeen);
    // Broker 1 crashed at 2 s: messages to it were dropped with reason node-down.
    const drops = [...once.messages.values()].filter((m) => m.end === "dropped");
    expect(drops.some((m) => m.to === "1" && m.reason === "node-down")).toBe(true);
  });

  it("refuses another event list (a seek back or a fork rebuilt it)", () => {
    const model = new NetworkModel();
    expect(model.read([send(0, 1, "1", "2")], 0)).toBe(true);
    expect(model.read([send(0, 1, "1", "2")], 0)).toBe(false);
  });

  it("replays the network's faults: cut, partition, isolate, hold, delay, throttle and heal", () => {
    const events = [
      ev(10, "net.cut", { from: "1", to: "2" }),
      ev(20, "net.delay", { from: "2", to: "3", extraUs: 50_000, oneWay: false }),
      ev(30, "net.hold", { from: "3", to: "1" }),
      ev(40, "net.throttle", { target: "3", bandwidthBitsPerSec: 1_000_000 }),
    ];
    const model = new NetworkModel();
    model.read(events, 40);
    const f = model.faults;
    expect([...f.cut]).toEqual([["1→2", "cut"]]);
    expect([...f.delay].sort()).toEqual([
      ["2→3", 50_000],
      ["3→2", 50_000],
    ]);
    expect([...f.held]).toEqual(["3→1"]);
    const layout = layoutNetwork(model, THREE, { nowUs: 40, trailUs: 0, defaultLatencyUs: 100 });
    const labels = Object.fromEntries(layout.lanes.map((l) => [l.key, l.label]));
    expect(labels).toEqual({
      "1→2": "one-way cut 1→2",
      "2→3": "slow +50 ms",
      "3→2": "",
      "3→1": "held 3→1",
    });
    expect(layout.nodes.find((n) => n.name === "3")!.status).toBe("throttled 1 Mbit/s");

    events.push(
      ev(50, "net.partition", { groups: [["1"], ["2", "3"]] }),
      ev(60, "net.isolate", { target: "2" }),
    );
    expect(model.read(events, 60)).toBe(true);
    expect(model.faults.held.size).toBe(0); // the partition cut 3 → 1, ending its hold
    const cut = layoutNetwork(model, THREE, { nowUs: 60, trailUs: 0, defaultLatencyUs: 100 });
    const kinds = Object.fromEntries(cut.lanes.map((l) => [l.key, l.kind]));
    expect(kinds).toMatchObject({ "1→3": "partition", "3→1": "partition", "2→3": "isolated" });
    expect(cut.lanes.filter((l) => l.label !== "").map((l) => l.label)).toContain(
      "cut (partition)",
    );
    expect(cut.nodes.find((n) => n.name === "2")!.status).toBe("isolated");

    events.push(ev(70, "net.heal", { target: "2" }));
    expect(model.read(events, 70)).toBe(true);
    expect(model.faults.isolated.size).toBe(0);
    expect([...model.faults.cut.keys()].sort()).toEqual(["1→3", "3→1"]);
    expect(model.faults.delay.size).toBe(0); // both delays touched 2
    expect([...model.faults.throttle.keys()]).toEqual(["3"]);
  });

  it("heal all clears every fault; a click heals the isolated end, else the end with fewer faults", () => {
    const model = new NetworkModel();
    const events = [
      ev(1, "net.cut", { from: "1", to: "2" }),
      ev(2, "net.cut", { from: "3", to: "2" }),
      ev(3, "net.isolate", { target: "3" }),
    ];
    model.read(events, 3);
    // 2 is touched by two cuts, 1 by one: healing 1 undoes the least.
    expect(healNodeFor(model.faults, "1", "2")).toBe("1");
    expect(healNodeFor(model.faults, "2", "3")).toBe("3");
    events.push(ev(4, "net.heal", { target: "all" }));
    expect(model.read(events, 4)).toBe(true);
    const f = model.faults;
    expect(f.cut.size + f.held.size + f.delay.size + f.isolated.size + f.throttle.size).toBe(0);
  });

  it("draws a message along its lane by the share of its expected trip, slowed to the trail", () => {
    const model = new NetworkModel();
    // A first message delivered in 100 µs sets the link's expected trip.
    const events = [
      send(0, 1, "1", "2"),
      ev(100, "net.deliver", { id: 1, from: "1", to: "2" }),
      send(1000, 2, "1", "2"),
    ];
    model.read(events, 1050);
    const real = layoutNetwork(model, THREE, { nowUs: 1050, trailUs: 0, defaultLatencyUs: 7 });
    expect(real.dots.map((d) => d.key)).toEqual([2]); // the delivered one is not drawn in real time
    const half = real.dots[0]!;
    const lane = real.links[0]!; // 1↔2, the lane is the line moved aside by laneOffset
    const mid = { x: (lane.x1 + lane.x2) / 2, y: (lane.y1 + lane.y2) / 2 };
    expect(Math.hypot(half.x - mid.x, half.y - mid.y)).toBeCloseTo(NET_SVG.laneOffset, 0);
    expect(half.state).toBe("flight");
    expect(half.label).toBe("Fetch");
    // With a 1 ms trail, message 1 (delivered at 100 µs) is still drawn at 1050/1000 → gone; at 500 µs it is halfway.
    const slow = layoutNetwork(model, THREE, { nowUs: 1050, trailUs: 1000, defaultLatencyUs: 7 });
    expect(slow.dots.map((d) => d.key)).toEqual([2]);
    const early = new NetworkModel();
    early.read(events.slice(0, 2), 500);
    const drawn = layoutNetwork(early, THREE, { nowUs: 500, trailUs: 1000, defaultLatencyUs: 7 });
    expect(drawn.dots).toHaveLength(1);
    expect(drawn.dots[0]!.state).toBe("delivered");
    expect(Math.hypot(drawn.dots[0]!.x - mid.x, drawn.dots[0]!.y - mid.y)).toBeCloseTo(
      NET_SVG.laneOffset,
      0,
    );
  });

  it("a dropped message falls and fades, then is gone", () => {
    const model = new NetworkModel();
    const events = [
      send(0, 1, "1", "2", "ProduceResponse"),
      ev(50, "net.drop", { id: 1, from: "1", to: "2", reason: "cut" }),
    ];
    model.read(events, 50);
    const at = (nowUs: number) =>
      layoutNetwork(model, THREE, { nowUs, trailUs: 0, defaultLatencyUs: 100 }).dots;
    const start = at(50)[0]!;
    const later = at(50 + MIN_FALL_US / 2)[0]!;
    expect(start.state).toBe("dropped");
    expect(start.label).toBe("Produce ↩ ✕");
    expect(start.opacity).toBe(1);
    expect(later.y - start.y).toBeCloseTo(FALL_PX / 2, 0);
    expect(later.opacity).toBeCloseTo(0.5, 1);
    expect(at(50 + MIN_FALL_US)).toEqual([]);
  });

  it("draws at most MAX_DRAWN messages, the latest", () => {
    const model = new NetworkModel();
    const events = Array.from({ length: MAX_DRAWN + 50 }, (_, i) => send(i, i, "1", "2"));
    model.read(events, MAX_DRAWN + 50);
    const layout = layoutNetwork(model, THREE, {
      nowUs: MAX_DRAWN + 50,
      trailUs: 0,
      defaultLatencyUs: 10_000,
    });
    expect(layout.inFlight).toBe(MAX_DRAWN + 50);
    expect(layout.dots).toHaveLength(MAX_DRAWN);
    expect(layout.dots[0]!.key).toBe(50);
  });

  it("orders brokers and controllers first, then clients as they appear; names requests and responses", () => {
    expect(
      orderNodes(THREE, ["producer-1", "2", "admin"]).map((n) => `${n.kind}:${n.name}`),
    ).toEqual(["broker:1", "broker:2", "broker:3", "client:producer-1", "client:admin"]);
    expect(shortName("AlterPartitionRequest")).toEqual({
      label: "AlterPartition",
      shape: "request",
    });
    expect(shortName("JoinGroupResponse")).toEqual({ label: "JoinGroup ↩", shape: "response" });
  });
});
