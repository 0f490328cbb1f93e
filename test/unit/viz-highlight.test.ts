// @vitest-environment happy-dom
// viz: the hover highlight that links the message-sequence diagram and the cluster view. The bus
// (set, notify once per change, a view clears only its own highlight, unsubscribe); the matching
// rules; the partitions a message concerns, read from the trace around it (synthetic events and
// acks-compared's producers); and both views drawn into a happy-dom document on one bus: hovering
// a ProduceRequest marks its leader's box and its partition, hovering a broker marks exactly the
// messages it sent or received, hovering a partition the messages about it, and leaving clears.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { TraceEvent } from "../../sim/engine/trace.ts";
import { Session } from "../../sim/scenario/session.ts";
import { renderCluster } from "../../viz/cluster-view.ts";
import {
  type Highlight,
  HighlightBus,
  highlightOfMessage,
  highlightOfNode,
  highlightOfPartition,
  messageMatches,
  nodeMatches,
  partitionMatches,
  replicaMatches,
} from "../../viz/highlight.ts";
import { buildSequence, partitionsAround, type SequenceData } from "../../viz/sequence-data.ts";
import { renderSequence } from "../../viz/sequence-view.ts";

const msg = (id: number, from: string, to: string, partitions: string[] = []) => ({
  id,
  from,
  to,
  partitions,
});

describe("viz: highlight bus", () => {
  it("tells its listeners of each change once, and not of a non-change", () => {
    const bus = new HighlightBus();
    const seen: Array<Highlight | null> = [];
    const stop = bus.subscribe((h) => seen.push(h));
    bus.set(highlightOfNode("2"));
    bus.set(highlightOfNode("2"));
    bus.set(highlightOfPartition("orders-0"));
    bus.set(null);
    bus.set(null);
    expect(seen).toEqual([highlightOfNode("2"), highlightOfPartition("orders-0"), null]);
    stop();
    bus.set(highlightOfNode("3"));
    expect(seen).toHaveLength(3);
    expect(bus.current).toEqual(highlightOfNode("3"));
    expect(bus.listenerCount).toBe(0);
  });

  it("a view clears only the highlight it set", () => {
    const bus = new HighlightBus();
    bus.set(highlightOfMessage(msg(7, "1", "2")));
    bus.clear("cluster");
    expect(bus.current?.message).toBe(7);
    bus.clear("sequence");
    expect(bus.current).toBeNull();
  });

  it("refuses a message id that is not an integer", () => {
    const bus = new HighlightBus();
    expect(() => bus.set({ nodes: [], partitions: [], message: 1.5, source: "sequence" })).toThrow(
      /integer/,
    );
  });
});

describe("viz: highlight matching", () => {
  it("a message highlight names its ends and partitions and matches that message only", () => {
    const h = highlightOfMessage(msg(5, "producer-one", "1", ["acks-one-0"]));
    expect(h.nodes).toEqual(["producer-one", "1"]);
    expect(h.partitions).toEqual(["acks-one-0"]);
    expect(messageMatches(h, msg(5, "producer-one", "1", ["acks-one-0"]))).toBe(true);
    expect(messageMatches(h, msg(6, "producer-one", "1", ["acks-one-0"]))).toBe(false);
    expect(nodeMatches(h, "1")).toBe(true);
    expect(nodeMatches(h, "2")).toBe(false);
    expect(partitionMatches(h, "acks-one-0")).toBe(true);
    // The replica on a node the message touches, not the partition's other replicas.
    expect(replicaMatches(h, "acks-one-0", "1")).toBe(true);
    expect(replicaMatches(h, "acks-one-0", "2")).toBe(false);
  });

  it("a node highlight matches messages sent or received by it", () => {
    const h = highlightOfNode("2");
    expect(messageMatches(h, msg(1, "2", "3"))).toBe(true);
    expect(messageMatches(h, msg(2, "3", "2"))).toBe(true);
    expect(messageMatches(h, msg(3, "1", "3"))).toBe(false);
    expect(partitionMatches(h, "orders-0")).toBe(false);
  });

  it("a partition highlight matches messages about it; a replica's also needs its broker", () => {
    const p = highlightOfPartition("orders-0");
    expect(messageMatches(p, msg(1, "1", "2", ["orders-0", "orders-1"]))).toBe(true);
    expect(messageMatches(p, msg(2, "1", "2", ["orders-1"]))).toBe(false);
    expect(messageMatches(p, msg(3, "1", "2"))).toBe(false);
    expect(replicaMatches(p, "orders-0", "3")).toBe(true);
    const r = highlightOfPartition("orders-0", "3");
    expect(messageMatches(r, msg(4, "3", "1", ["orders-0"]))).toBe(true);
    expect(messageMatches(r, msg(5, "1", "2", ["orders-0"]))).toBe(false);
    expect(replicaMatches(r, "orders-0", "3")).toBe(true);
    expect(replicaMatches(r, "orders-0", "1")).toBe(false);
  });

  it("no highlight, or one naming nothing, matches nothing", () => {
    expect(messageMatches(null, msg(1, "1", "2"))).toBe(false);
    const empty: Highlight = { nodes: [], partitions: [], message: null, source: "cluster" };
    expect(messageMatches(empty, msg(1, "1", "2"))).toBe(false);
    expect(nodeMatches(null, "1")).toBe(false);
  });
});

describe("viz: the partitions a message concerns", () => {
  const ev = (t: number, type: string, node: string, fields: Record<string, unknown> = {}) =>
    ({ t, type, node, ...fields }) as TraceEvent;

  it("reads the sender's events just before a send and the receiver's just after a delivery", () => {
    const events: TraceEvent[] = [
      ev(10, "producer.send", "p", { topic: "t", partition: 9, broker: 1 }), // another message's
      ev(10, "net.send", "p", { id: 1, from: "p", to: "1" }),
      ev(10, "producer.send", "p", { topic: "t", partition: 0, broker: 2 }),
      ev(10, "producer.send", "p", { topic: "t", partition: 3, broker: 1 }), // for broker 1
      ev(10, "producer.send", "p", { topic: "t", partition: 1, broker: 2 }),
      ev(10, "net.send", "p", { id: 2, from: "p", to: "2" }),
      ev(20, "net.deliver", "2", { id: 2, from: "p", to: "2" }),
      ev(20, "produce.append", "2", { topic: "t", partition: 1 }),
      ev(20, "produce.append", "2", { topic: "t", partition: 0 }),
      ev(20, "replica.append", "3", { topic: "u", partition: 0 }), // another node
      ev(21, "produce.append", "2", { topic: "t", partition: 5 }), // another moment
    ];
    expect(partitionsAround(events, 1, -1)).toEqual(["t-9"]);
    expect(partitionsAround(events, 5, -1)).toEqual(["t-0", "t-1"]);
    expect(partitionsAround(events, 6, 1)).toEqual(["t-0", "t-1"]);
    const data = buildSequence(events, {
      fromUs: 0,
      toUs: 30,
      nodes: [],
      msg: "",
      maxMessages: 10,
      maxLanes: 10,
    });
    expect(data.messages.map((m) => [m.id, m.partitions])).toEqual([
      [1, ["t-9"]],
      [2, ["t-0", "t-1"]],
    ]);
  });

  it("acks-compared: each ProduceRequest concerns the partition its producer.send names", () => {
    const session = new Session(readFileSync("scenarios/acks-compared.yaml", "utf8"));
    session.advanceTo(4_000_000);
    const data = buildSequence(session.events, {
      fromUs: 3_900_000,
      toUs: 4_000_000,
      nodes: [],
      msg: "ProduceRequest",
      maxMessages: 1000,
      maxLanes: 20,
    });
    expect(data.messages.length).toBeGreaterThan(0);
    const sends = session.events.filter((e) => e.type === "producer.send");
    for (const m of data.messages) {
      const named = sends
        .filter((e) => e.t === m.sentUs && e.node === m.from && String(e.broker) === m.to)
        .map((e) => `${e.topic}-${e.partition}`);
      expect(named.length).toBeGreaterThan(0);
      expect(m.partitions).toEqual([...new Set(named)].sort());
    }
  });
});

describe("viz: the sequence diagram and the cluster view linked", () => {
  const ACKS = readFileSync("scenarios/acks-compared.yaml", "utf8");

  function views(at: number, msgFilter = "") {
    const session = new Session(ACKS);
    session.advanceTo(at);
    const bus = new HighlightBus();
    const cluster = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    const sequence = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    document.body.replaceChildren(cluster, sequence);
    renderCluster(cluster, session.state(), { events: session.events, highlight: bus });
    const data = buildSequence(session.events, {
      fromUs: at - 20_000,
      toUs: at,
      nodes: [],
      msg: msgFilter,
      maxMessages: 40,
      maxLanes: 8,
    });
    renderSequence(sequence, data, undefined, bus);
    return { session, bus, cluster, sequence, data };
  }

  const marked = (root: Element, selector: string): string[] =>
    [...root.querySelectorAll(`${selector}[data-highlight="true"]`)].map(
      (e) =>
        e.getAttribute("data-node") ??
        e.getAttribute("data-partition") ??
        e.getAttribute("data-id") ??
        "",
    );

  it("hovering a ProduceRequest marks its leader's box and its partition; leaving clears", () => {
    const { cluster, sequence, data } = views(4_000_000, "ProduceRequest");
    const m = data.messages.find((x) => x.partitions.length > 0) as (typeof data.messages)[0];
    expect(m).toBeDefined();
    const g = sequence.querySelector(`g.message[data-id="${m.id}"]`) as SVGGElement;
    g.dispatchEvent(new MouseEvent("mouseenter"));
    // The producer has no box in the cluster view; the broker it sent to has.
    expect(marked(cluster, "g.node")).toEqual([m.to]);
    expect(marked(cluster, "g.partition")).toEqual(m.partitions);
    const replicas = [...cluster.querySelectorAll('g.replica[data-highlight="true"]')];
    expect(replicas.map((r) => r.getAttribute("data-broker"))).toEqual([m.to]);
    // In the diagram: that message thick, the others faded.
    expect(marked(sequence, "g.message")).toEqual([String(m.id)]);
    expect(sequence.querySelectorAll('g.message[data-highlight="false"]').length).toBe(
      data.messages.length - 1,
    );
    g.dispatchEvent(new MouseEvent("mouseleave"));
    expect(cluster.querySelectorAll("[data-highlight]").length).toBe(0);
    expect(sequence.querySelectorAll("[data-highlight]").length).toBe(0);
  });

  it("hovering a broker marks the messages it sent or received; a partition, those about it", () => {
    const { cluster, sequence, data, bus } = views(4_000_000);
    const node = cluster.querySelector('g.node[data-node="2"] rect.box') as SVGRectElement;
    node.dispatchEvent(new MouseEvent("mouseover", { bubbles: true }));
    expect(bus.current).toEqual(highlightOfNode("2"));
    const expected = data.messages.filter((m) => m.from === "2" || m.to === "2");
    expect(expected.length).toBeGreaterThan(0);
    expect(marked(sequence, "g.message").sort()).toEqual(expected.map((m) => String(m.id)).sort());
    expect(
      [...sequence.querySelectorAll('g.lane[data-highlight="true"] text')].map(
        (t) => t.textContent,
      ),
    ).toEqual(["node 2"]);

    const row = cluster.querySelector('g.partition[data-partition="acks-zero-0"] rect.hl');
    (row as SVGRectElement).dispatchEvent(new MouseEvent("mouseover", { bubbles: true }));
    expect(bus.current).toEqual(highlightOfPartition("acks-zero-0"));
    const about = data.messages.filter((m) => m.partitions.includes("acks-zero-0"));
    expect(about.length).toBeGreaterThan(0);
    expect(marked(sequence, "g.message").sort()).toEqual(about.map((m) => String(m.id)).sort());
    expect(marked(cluster, "g.partition")).toEqual(["acks-zero-0"]);
    cluster.dispatchEvent(new MouseEvent("mouseleave"));
    expect(bus.current).toBeNull();
    expect(sequence.querySelectorAll("[data-highlight]").length).toBe(0);
  });

  it("redrawing does not subscribe again, and a hovered message that leaves the window clears", () => {
    const { session, bus, cluster, sequence, data } = views(4_000_000);
    const redraw = (d: SequenceData) => {
      renderCluster(cluster, session.state(), { events: session.events, highlight: bus });
      renderSequence(sequence, d, undefined, bus);
    };
    redraw(data);
    redraw(data);
    expect(bus.listenerCount).toBe(2);
    const first = data.messages[0] as (typeof data.messages)[0];
    (sequence.querySelector(`g.message[data-id="${first.id}"]`) as SVGGElement).dispatchEvent(
      new MouseEvent("mouseenter"),
    );
    expect(bus.current?.message).toBe(first.id);
    redraw({ ...data, messages: data.messages.slice(1) });
    expect(bus.current).toBeNull();
  });
});
