// viz: the event log's data (Node, no DOM): the node, partition and kind filters on a real run's
// trace, the one-line summaries, the incremental index (uneven advancing, filters changed midway,
// a seek back that keeps the later events, a fork that forgets them) against the plain filter, and
// the window of rows drawn.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { RngStream } from "../../sim/engine/rng.ts";
import type { TraceEvent } from "../../sim/engine/trace.ts";
import { Session } from "../../sim/scenario/session.ts";
import {
  type EventFilterInput,
  EventLogIndex,
  familyOf,
  filterEvents,
  formatTime,
  NO_FILTER,
  parsePartition,
  scrollToShow,
  summarize,
  visibleRows,
} from "../../viz/event-log-data.ts";

const STOPS = readFileSync("scenarios/isr-broker-stops.yaml", "utf8");
const FAILOVER = readFileSync("scenarios/leader-failover.yaml", "utf8");

function sessionAt(text: string, us: number): Session {
  const s = new Session(text);
  s.advanceTo(us);
  return s;
}

const filter = (f: Partial<EventFilterInput>): EventFilterInput => ({ ...NO_FILTER, ...f });

function shownEvents(index: EventLogIndex): TraceEvent[] {
  return index.shown.map((i) => index.event(i));
}

describe("viz: event log filters", () => {
  const session = sessionAt(STOPS, 6_000_000);
  const events = session.events;

  it("parses the partition box", () => {
    expect(parsePartition("orders-0")).toEqual({ topic: "orders", partition: 0 });
    expect(parsePartition(" my-topic-12 ")).toEqual({ topic: "my-topic", partition: 12 });
    expect(parsePartition("orders")).toEqual({ topic: "orders" });
    expect(parsePartition("")).toEqual({});
  });

  it("by node: only that node's events, and all of them", () => {
    const only = filterEvents(events, filter({ node: "2" }));
    expect(only.length).toBeGreaterThan(100);
    expect(only.every((e) => e.node === "2")).toBe(true);
    expect(only.length).toBe(events.filter((e) => e.node === "2").length);
  });

  it("by partition: orders-0 only, including its leader and ISR changes; a topic takes all its partitions", () => {
    const p0 = filterEvents(events, filter({ partition: "orders-0" }));
    expect(p0.every((e) => e.topic === "orders" && e.partition === 0)).toBe(true);
    expect(p0.some((e) => e.type === "partition.leader")).toBe(true);
    expect(p0.some((e) => e.type === "partition.isr")).toBe(true);
    const topic = filterEvents(events, filter({ partition: "orders" }));
    const parts = new Set(topic.map((e) => e.partition));
    expect([...parts].sort()).toEqual([0, 1, 2]);
    expect(topic.length).toBeGreaterThan(p0.length);
  });

  it("by kind: prefixes include, a leading - excludes, families pick", () => {
    const partition = filterEvents(events, filter({ kind: "partition." }));
    expect(partition.length).toBeGreaterThan(0);
    expect(partition.every((e) => e.type.startsWith("partition."))).toBe(true);
    const two = filterEvents(events, filter({ kind: "partition., net.drop" }));
    expect(new Set(two.map((e) => familyOf(e.type)))).toEqual(new Set(["partition", "net"]));
    const noNet = filterEvents(events, filter({ kind: "-net." }));
    const net = events.filter((e) => e.type.startsWith("net.")).length;
    expect(net).toBeGreaterThan(0);
    expect(noNet.length).toBe(events.length - net);
    const families = filterEvents(events, filter({ families: ["broker", "host"] }));
    expect(families.some((e) => e.type === "host.crash")).toBe(true);
    expect(families.every((e) => ["broker", "host"].includes(familyOf(e.type)))).toBe(true);
  });

  it("filters combine (and)", () => {
    const both = filterEvents(
      events,
      filter({ node: "1", partition: "orders-0", kind: "replica." }),
    );
    expect(both.length).toBeGreaterThan(0);
    for (const e of both) {
      expect(e.node).toBe("1");
      expect(e.topic).toBe("orders");
      expect(e.type.startsWith("replica.")).toBe(true);
    }
  });
});

describe("viz: event log rows", () => {
  it("formats time with microseconds", () => {
    expect(formatTime(0)).toBe("0.000000 s");
    expect(formatTime(2_000_692)).toBe("2.000692 s");
  });

  it("summarizes a message, a partition event and a long text", () => {
    const events = sessionAt(FAILOVER, 3_000_000).events;
    const send = events.find((e) => e.type === "net.send") as TraceEvent;
    expect(summarize(send)).toBe(
      `${send.from} → ${send.to} ${send.msg} #${send.id} (${send.bytes} B, conn ${send.conn})`,
    );
    const drop = events.find((e) => e.type === "net.drop") as TraceEvent;
    expect(summarize(drop)).toContain(`reason=${drop.reason}`);
    const isr = events.find((e) => e.type === "partition.isr") as TraceEvent;
    expect(summarize(isr)).toMatch(/^orders-\d isr=\[[\d,]+\] leaderEpoch=\d+/);
    const ask = events.find((e) => e.type === "scenario.ask") as TraceEvent;
    const text = summarize(ask);
    expect(text.startsWith("question=Broker 1 is about to crash.")).toBe(true);
    expect(text).not.toContain("\n");
    expect(text).toContain("…");
  });

  it("draws only the rows in view, and scrolls as little as needed", () => {
    expect(visibleRows(0, 180, 18, 100_000, 0)).toEqual({ first: 0, end: 10 });
    expect(visibleRows(18 * 500, 180, 18, 100_000, 2)).toEqual({ first: 498, end: 512 });
    expect(visibleRows(0, 180, 18, 3)).toEqual({ first: 0, end: 3 });
    expect(visibleRows(0, 180, 18, 0)).toEqual({ first: 0, end: 0 });
    expect(scrollToShow(5, 0, 180, 18)).toBe(0);
    expect(scrollToShow(20, 0, 180, 18)).toBe(21 * 18 - 180);
    expect(scrollToShow(2, 100, 180, 18)).toBe(36);
    expect(scrollToShow(-1, 50, 180, 18)).toBe(50);
  });
});

describe("viz: event log index (incremental)", () => {
  it("advanced unevenly with a filter changed midway, it shows what the plain filter shows", () => {
    const seed = 0x5eed_0006;
    console.log(`viz-event-log index property seed=${seed}`);
    const rng = new RngStream(seed, "viz-event-log-test");
    const session = new Session(STOPS);
    const index = new EventLogIndex();
    const choices: EventFilterInput[] = [
      NO_FILTER,
      filter({ node: "3" }),
      filter({ partition: "orders-1" }),
      filter({ kind: "-net. -replica." }),
      filter({ families: ["partition", "broker"] }),
      filter({ node: "producer-1", kind: "producer.ack" }),
    ];
    let current = NO_FILTER;
    let t = 0;
    while (t < 5_000_000) {
      t += rng.intBetween(1, 400_000);
      session.advanceTo(t);
      index.sync(session, session.events);
      if (rng.chance(0.3)) {
        current = rng.pick(choices);
        index.setFilter(current);
      }
      expect(index.nowCount).toBe(session.events.length);
      expect(shownEvents(index)).toEqual(filterEvents(session.events, current));
    }
  });

  it("after a seek back, keeps the later events, marks the current rows, and forgets them on a fork", () => {
    const session = sessionAt(FAILOVER, 20_000_000);
    const index = new EventLogIndex();
    index.setFilter(filter({ kind: "partition." }));
    index.sync(session, session.events);
    const all = session.events.length;
    const before = shownEvents(index);
    expect(index.currentRow()).toBe(before.length - 1);

    const isr = before.find((e) => e.t > 3_000_000 && e.type === "partition.isr") as TraceEvent;
    session.seek(isr.t);
    index.sync(session, session.events);
    expect(index.knownCount).toBe(all);
    expect(index.nowCount).toBe(session.events.length);
    expect(index.nowCount).toBeLessThan(all);
    expect(shownEvents(index)).toEqual(before.map((e) => expect.objectContaining(e)));
    const { first, end } = index.currentRows();
    expect(end).toBe(index.shownNowCount);
    expect(end).toBeLessThan(index.shown.length);
    for (let row = first; row < end; row++)
      expect(index.event(index.shown[row] as number).t).toBe(isr.t);
    expect(index.event(index.shown[end - 1] as number)).toMatchObject(isr);

    // Forward again: the kept events were the same ones.
    session.advanceTo(20_000_000);
    index.sync(session, session.events);
    expect(index.knownCount).toBe(all);
    expect(index.nowCount).toBe(all);

    // A fork is another run: what was known after it is forgotten.
    session.seek(1_000_000);
    index.sync(session, session.events);
    const fork = session.fork({ kind: "crash", node: "2", mode: "process" });
    index.sync(fork, fork.events);
    expect(index.knownCount).toBe(fork.events.length);
    expect(index.nowCount).toBe(fork.events.length);
  });
});
