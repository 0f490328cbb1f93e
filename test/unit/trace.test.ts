import { describe, expect, it } from "vitest";
import { SimAssertionError } from "../../sim/engine/assert.ts";
import {
  Trace,
  type TraceEvent,
  type TraceFields,
  traceEventToJson,
} from "../../sim/engine/trace.ts";

/** One event to emit: at time t, of a type, on a node, with fields. */
interface Emit {
  readonly t: number;
  readonly type: string;
  readonly node: string;
  readonly fields?: TraceFields;
}

/** A trace whose clock the test sets, so events can be emitted at chosen times. */
function traceWithClock(): { trace: Trace; setTime(t: number): void } {
  let nowUs = 0;
  return {
    trace: new Trace(() => nowUs),
    setTime(t: number) {
      nowUs = t;
    },
  };
}

function hashOf(events: readonly Emit[]): string {
  const { trace, setTime } = traceWithClock();
  for (const e of events) {
    setTime(e.t);
    trace.emit(e.type, e.node, e.fields);
  }
  return trace.hash();
}

const BASE: Emit = { t: 1000, type: "ProduceRequest", node: "1", fields: { a: 1, b: "x" } };

describe("engine: trace hash", () => {
  it("is 16 lowercase hex digits, for an empty trace and after events", () => {
    expect(hashOf([])).toMatch(/^[0-9a-f]{16}$/);
    expect(hashOf([BASE])).toMatch(/^[0-9a-f]{16}$/);
    // A trace with one event must not hash like the empty trace.
    expect(hashOf([BASE])).not.toBe(hashOf([]));
  });

  it("is the same for the same events, in two independent traces", () => {
    const events: Emit[] = [
      BASE,
      { t: 2000, type: "FetchRequest", node: "producer-1", fields: { offsets: [1, 2, 3] } },
      { t: 2000, type: "Crash", node: "zookeeper-1" },
      {
        t: 3000,
        type: "X",
        node: "2",
        fields: { nested: { p: 0, isr: [1, 2] }, ok: true, n: null },
      },
    ];
    expect(hashOf(events)).toBe(hashOf(events));
  });

  // Each case differs from BASE in exactly one respect; every one must change the hash.
  const variants: Array<[string, Emit]> = [
    ["a field value", { ...BASE, fields: { a: 2, b: "x" } }],
    ["the order of fields", { ...BASE, fields: { b: "x", a: 1 } }],
    ["a field name", { ...BASE, fields: { a: 1, c: "x" } }],
    ["the type", { ...BASE, type: "FetchRequest" }],
    ["the node", { ...BASE, node: "2" }],
    ["the time", { ...BASE, t: 1001 }],
    ["a number for a numeric string (1 vs '1')", { ...BASE, fields: { a: "1", b: "x" } }],
    ["a boolean for a number (true vs 1)", { ...BASE, fields: { a: true, b: "x" } }],
    ["null for a number", { ...BASE, fields: { a: null, b: "x" } }],
    ["a float for an integer (1.5 vs 1)", { ...BASE, fields: { a: 1.5, b: "x" } }],
    [
      "the high 32 bits of an integer (2^32 + 1 vs 1)",
      { ...BASE, fields: { a: 2 ** 32 + 1, b: "x" } },
    ],
    ["a negative integer (-1 vs 1)", { ...BASE, fields: { a: -1, b: "x" } }],
    ["an array for a number ([1] vs 1)", { ...BASE, fields: { a: [1], b: "x" } }],
    ["a missing field", { ...BASE, fields: { a: 1 } }],
    ["no fields at all", { t: BASE.t, type: BASE.type, node: BASE.node }],
  ];
  for (const [what, variant] of variants) {
    it(`changes when ${what} changes`, () => {
      expect(hashOf([variant])).not.toBe(hashOf([BASE]));
    });
  }

  it("tells [1, 2] from [12] and [1, 2] from [[1], 2]", () => {
    const h = (v: TraceFields) => hashOf([{ t: 0, type: "e", node: "1", fields: v }]);
    expect(h({ x: [1, 2] })).not.toBe(h({ x: [12] }));
    expect(h({ x: [1, 2] })).not.toBe(h({ x: [[1], 2] }));
    expect(h({ x: [] })).not.toBe(h({ x: [[]] }));
  });

  it("tells where a nested object ends: {x: {a: 1}, b: 2} vs {x: {a: 1, b: 2}}", () => {
    // These two fold the same words unless the hash marks the end of the nested object.
    const h = (v: TraceFields) => hashOf([{ t: 0, type: "e", node: "1", fields: v }]);
    expect(h({ x: { a: 1 }, b: 2 })).not.toBe(h({ x: { a: 1, b: 2 } }));
    expect(h({ x: {} })).not.toBe(h({ x: [] }));
  });

  it("tells where strings end: 'ab' + 'c' vs 'a' + 'bc'", () => {
    const h = (v: TraceFields) => hashOf([{ t: 0, type: "e", node: "1", fields: v }]);
    expect(h({ x: "ab", y: "c" })).not.toBe(h({ x: "a", y: "bc" }));
    expect(h({ x: "ab" })).not.toBe(h({ x: "ba" }));
  });

  it("tells where events end: one event with two fields vs two events", () => {
    const one: Emit = { t: 0, type: "e", node: "1", fields: { a: 1, b: 2 } };
    const two: Emit[] = [
      { t: 0, type: "e", node: "1", fields: { a: 1 } },
      { t: 0, type: "e", node: "1", fields: { b: 2 } },
    ];
    expect(hashOf([one])).not.toBe(hashOf(two));
  });

  it("depends on the order of events", () => {
    const e1: Emit = { t: 5, type: "a", node: "1" };
    const e2: Emit = { t: 5, type: "b", node: "1" };
    expect(hashOf([e1, e2])).not.toBe(hashOf([e2, e1]));
  });

  it("continues identically after save and restore into another trace", () => {
    const first = traceWithClock();
    first.setTime(10);
    first.trace.emit("a", "1", { x: 1 });
    first.trace.emit("b", "2", { y: [1, "z"] });
    const saved = first.trace.saveState();
    first.setTime(20);
    first.trace.emit("c", "3", { z: true });

    // A fresh trace that has already seen unrelated events: restore must overwrite them.
    const second = traceWithClock();
    second.trace.emit("unrelated", "9");
    second.trace.restoreState(saved);
    second.setTime(20);
    second.trace.emit("c", "3", { z: true });

    expect(second.trace.hash()).toBe(first.trace.hash());
    // count: 2 events before the save + 1 after.
    expect(second.trace.count).toBe(3);
    expect(first.trace.count).toBe(3);

    // And the restored state is not the fresh state: without restoring, the hash differs.
    const fresh = traceWithClock();
    fresh.setTime(20);
    fresh.trace.emit("c", "3", { z: true });
    expect(fresh.trace.hash()).not.toBe(first.trace.hash());
  });
});

describe("engine: trace subscribers and export", () => {
  it("gives subscribers events with keys in canonical order t, type, node, then fields", () => {
    const { trace, setTime } = traceWithClock();
    const seen: TraceEvent[] = [];
    trace.subscribe((e) => seen.push(e));
    setTime(42);
    trace.emit("LeaderChange", "controller-1", { partition: "t-0", leader: 2, epoch: 3 });
    expect(seen).toHaveLength(1);
    expect(Object.keys(seen[0]!)).toEqual(["t", "type", "node", "partition", "leader", "epoch"]);
    expect(seen[0]).toEqual({
      t: 42,
      type: "LeaderChange",
      node: "controller-1",
      partition: "t-0",
      leader: 2,
      epoch: 3,
    });
  });

  it("serializes one JSONL line per event in canonical key order, without a newline", () => {
    const { trace, setTime } = traceWithClock();
    const lines: string[] = [];
    trace.subscribe((e) => lines.push(traceEventToJson(e)));
    setTime(7);
    trace.emit("Send", "producer-1", { to: "1", bytes: 512, ok: true, tags: ["a"] });
    trace.emit("Idle", "2");
    expect(lines).toEqual([
      '{"t":7,"type":"Send","node":"producer-1","to":"1","bytes":512,"ok":true,"tags":["a"]}',
      '{"t":7,"type":"Idle","node":"2"}',
    ]);
  });

  it("stops calling a subscriber once it unsubscribes; record() keeps later events", () => {
    const { trace } = traceWithClock();
    const seen: string[] = [];
    const unsubscribe = trace.subscribe((e) => seen.push(e.type));
    trace.emit("before", "1");
    unsubscribe();
    const recorded = trace.record();
    trace.emit("after", "1");
    expect(seen).toEqual(["before"]);
    // record() starts at the call: "before" was emitted earlier and is not in it.
    expect(recorded.map((e) => e.type)).toEqual(["after"]);
    expect(trace.events).toBe(recorded);
    expect(trace.count).toBe(2);
  });

  it("subscribing does not change the hash", () => {
    const plain = traceWithClock();
    const watched = traceWithClock();
    watched.trace.subscribe(() => {});
    for (const { trace } of [plain, watched]) trace.emit("e", "1", { a: [1, { b: 2 }] });
    expect(watched.trace.hash()).toBe(plain.trace.hash());
  });

  it("rejects a field that redefines t, type or node, with or without subscribers", () => {
    const { trace } = traceWithClock();
    // No subscriber: the check must still fire, or a run would behave differently once watched.
    expect(() => trace.emit("e", "1", { node: "2" })).toThrow(SimAssertionError);
    trace.subscribe(() => {});
    expect(() => trace.emit("e", "1", { t: 5 })).toThrow(/must not redefine t, type or node/);
    expect(() => trace.emit("e", "1", { type: "x" })).toThrow(SimAssertionError);
  });
});
