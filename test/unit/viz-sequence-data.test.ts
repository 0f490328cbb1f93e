// viz: the message-sequence diagram's data (Node, no DOM), on leader-failover's trace: messages
// matched send → deliver or drop by id, the window and the lanes, messages still in flight at the
// window's end, the message-type filter and the cap.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { TraceEvent } from "../../sim/engine/trace.ts";
import { Session } from "../../sim/scenario/session.ts";
import {
  buildSequence,
  compareNodes,
  firstAtOrAfter,
  momentsOf,
  type SequenceOptions,
} from "../../viz/sequence-data.ts";

const FAILOVER = readFileSync("scenarios/leader-failover.yaml", "utf8");
const session = new Session(FAILOVER);
session.advanceTo(4_000_000);
const events = session.events;

const options = (o: Partial<SequenceOptions>): SequenceOptions => ({
  fromUs: 0,
  toUs: 4_000_000,
  nodes: [],
  msg: "",
  maxMessages: 10_000,
  maxLanes: 10,
  ...o,
});

function byId(type: string): Map<number, TraceEvent> {
  const out = new Map<number, TraceEvent>();
  for (const e of events) if (e.type === type) out.set(e.id as number, e);
  return out;
}

describe("viz: sequence diagram data", () => {
  it("matches every send with its delivery or drop, as the trace has them", () => {
    const data = buildSequence(events, options({}));
    const sends = byId("net.send");
    const delivers = byId("net.deliver");
    const drops = byId("net.drop");
    expect(data.messages.length).toBe(sends.size);
    expect(data.omitted).toBe(0);
    let dropped = 0;
    for (const m of data.messages) {
      const send = sends.get(m.id) as TraceEvent;
      expect(m).toMatchObject({ from: send.from, to: send.to, msg: send.msg, sentUs: send.t });
      const d = delivers.get(m.id);
      const x = drops.get(m.id);
      if (m.end.kind === "delivered") {
        expect(m.end.atUs).toBe(d?.t);
        expect(m.end.atUs).toBeGreaterThanOrEqual(m.sentUs);
      } else if (m.end.kind === "dropped") {
        dropped++;
        expect(m.end).toEqual({ kind: "dropped", atUs: x?.t, reason: x?.reason });
      } else {
        expect(d).toBeUndefined();
        expect(x).toBeUndefined();
      }
    }
    // Broker 1 crashes at 2 s: messages to it are dropped (node-down).
    expect(dropped).toBeGreaterThan(0);
    expect(data.lanes).toEqual([...data.lanes].sort(compareNodes));
  });

  it("a window draws what lives in it; a delivery after the window's end is still in flight", () => {
    const send = events.find((e) => e.type === "net.send" && e.t > 1_000_000) as TraceEvent;
    const deliver = events.find((e) => e.type === "net.deliver" && e.id === send.id) as TraceEvent;
    expect(deliver.t).toBeGreaterThan(send.t);
    const cut = buildSequence(events, options({ fromUs: send.t, toUs: deliver.t - 1 }));
    expect(cut.messages.find((m) => m.id === send.id)?.end).toEqual({ kind: "in-flight" });
    const whole = buildSequence(events, options({ fromUs: send.t, toUs: deliver.t }));
    expect(whole.messages.find((m) => m.id === send.id)?.end).toEqual({
      kind: "delivered",
      atUs: deliver.t,
    });
    for (const m of whole.messages) {
      expect(m.sentUs).toBeLessThanOrEqual(deliver.t);
      const endUs = m.end.kind === "in-flight" ? deliver.t : m.end.atUs;
      expect(endUs).toBeGreaterThanOrEqual(send.t);
    }
    // Sent before the window, delivered inside: drawn.
    const later = buildSequence(events, options({ fromUs: deliver.t, toUs: deliver.t }));
    expect(later.messages.some((m) => m.id === send.id)).toBe(true);
  });

  it("given nodes, draws those lanes and only messages between them; filters by type; caps", () => {
    const two = buildSequence(events, options({ nodes: ["2", "3"] }));
    expect(two.lanes).toEqual(["2", "3"]);
    expect(two.messages.length).toBeGreaterThan(0);
    for (const m of two.messages)
      expect(["2", "3"]).toEqual(expect.arrayContaining([m.from, m.to]));
    const fetch = buildSequence(events, options({ msg: "fetchreq" }));
    expect(fetch.messages.length).toBeGreaterThan(0);
    // Case-insensitive substring: FetchRequest and MetadataFetchRequest, no responses.
    expect(new Set(fetch.messages.map((m) => m.msg))).toEqual(
      new Set(["FetchRequest", "MetadataFetchRequest"]),
    );
    const sends = events.filter((e) => e.type === "net.send" && /fetchreq/i.test(String(e.msg)));
    expect(fetch.messages.length).toBe(sends.length);
    const capped = buildSequence(events, options({ maxMessages: 5 }));
    const all = buildSequence(events, options({})).messages;
    // The latest five: nearest the window's end.
    expect(capped.messages).toEqual(all.slice(-5));
    expect(capped.omitted).toBe(all.length - 5);
    expect(capped.times).toEqual(momentsOf(capped.messages, 4_000_000));
    const few = buildSequence(events, options({ maxLanes: 2 }));
    expect(few.lanes.length).toBe(2);
    for (const m of few.messages) expect(few.lanes).toEqual(expect.arrayContaining([m.from, m.to]));
  });

  it("gives one row per distinct moment of the drawn messages, in order", () => {
    const send = events.find((e) => e.type === "net.send" && e.t > 1_000_000) as TraceEvent;
    const data = buildSequence(events, options({ fromUs: send.t, toUs: send.t + 5_000 }));
    const expected = new Set<number>();
    for (const m of data.messages) {
      expected.add(m.sentUs);
      expected.add(m.end.kind === "in-flight" ? send.t + 5_000 : m.end.atUs);
    }
    expect(data.times).toEqual([...expected].sort((a, b) => a - b));
    for (let i = 1; i < data.times.length; i++)
      expect(data.times[i] as number).toBeGreaterThan(data.times[i - 1] as number);
  });

  it("finds a time in the trace by bisection", () => {
    const i = firstAtOrAfter(events, 2_000_000);
    expect((events[i] as TraceEvent).t).toBeGreaterThanOrEqual(2_000_000);
    expect((events[i - 1] as TraceEvent).t).toBeLessThan(2_000_000);
    expect(firstAtOrAfter(events, 0)).toBe(0);
    expect(firstAtOrAfter(events, 1e12)).toBe(events.length);
    expect(() => buildSequence(events, options({ fromUs: 5, toUs: 4 }))).toThrow(/empty/);
  });
});
