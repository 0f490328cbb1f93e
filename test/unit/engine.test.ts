import { describe, expect, it } from "vitest";
import { SimAssertionError } from "../../sim/engine/assert.ts";
import { type Actor, Engine, InvariantViolation, type SimEvent } from "../../sim/engine/engine.ts";

/** What an actor saw: the virtual time, its id, the event kind and payload. */
interface Seen {
  readonly t: number;
  readonly actor: string;
  readonly kind: string;
  readonly payload: unknown;
  readonly seq: number;
}

/**
 * An actor that records every event into a shared log and then runs an optional reaction, so a
 * test can schedule, cancel or kill from inside a handler.
 */
class Recorder implements Actor {
  constructor(
    readonly id: string,
    private readonly engine: Engine,
    private readonly log: Seen[],
    private readonly react?: (event: SimEvent) => void,
  ) {}

  handle(event: SimEvent): void {
    this.log.push({
      t: this.engine.now,
      actor: this.id,
      kind: event.kind,
      payload: event.payload,
      seq: event.seq,
    });
    this.react?.(event);
  }
}

function setup(
  ids: readonly string[],
  options: ConstructorParameters<typeof Engine>[0] = { seed: 1 },
): { engine: Engine; log: Seen[] } {
  const engine = new Engine(options);
  const log: Seen[] = [];
  for (const id of ids) engine.register(new Recorder(id, engine, log));
  return { engine, log };
}

/** An actor that schedules itself again after `delayUs`, forever. */
class Runaway implements Actor {
  readonly id = "runaway";
  constructor(
    private readonly engine: Engine,
    private readonly delayUs: number,
  ) {}
  handle(): void {
    this.engine.schedule(this.delayUs, this.id, "tick", null);
  }
}

describe("engine: clock and ordering", () => {
  it("advances the clock to each event's time", () => {
    const { engine, log } = setup(["a"]);
    engine.scheduleAt(25, "a", "x", 1);
    engine.scheduleAt(10, "a", "x", 2);
    engine.scheduleAt(40, "a", "x", 3);
    expect(engine.now).toBe(0);
    const outcome = engine.run();
    // Earliest first: 10 (payload 2), 25 (payload 1), 40 (payload 3).
    expect(log.map((s) => [s.t, s.payload])).toEqual([
      [10, 2],
      [25, 1],
      [40, 3],
    ]);
    expect(outcome).toEqual({ status: "idle", timeUs: 40, events: 3 });
    expect(engine.now).toBe(40);
    expect(engine.eventsProcessed).toBe(3);
    expect(engine.pendingEvents).toBe(0);
  });

  it("schedule() is relative to now", () => {
    const { engine, log } = setup(["a"]);
    engine.scheduleAt(100, "a", "first", null);
    engine.runUntil(100);
    engine.schedule(50, "a", "later", null);
    engine.run();
    // 100 + 50 = 150.
    expect(log.map((s) => [s.kind, s.t])).toEqual([
      ["first", 100],
      ["later", 150],
    ]);
  });

  it("runs events at the same time in the order they were scheduled (FIFO)", () => {
    const { engine, log } = setup(["a", "b", "c"]);
    engine.scheduleAt(5, "c", "k", 1);
    engine.scheduleAt(5, "a", "k", 2);
    engine.scheduleAt(3, "b", "k", 0);
    engine.scheduleAt(5, "b", "k", 3);
    engine.scheduleAt(5, "a", "k", 4);
    engine.run();
    // t=3 first; then the four at t=5 in scheduling order, whatever their target.
    expect(log.map((s) => s.payload)).toEqual([0, 1, 2, 3, 4]);
  });

  it("an event scheduled with delay 0 during a handler runs after those already queued at now", () => {
    const engine = new Engine({ seed: 1 });
    const log: Seen[] = [];
    engine.register(
      new Recorder("a", engine, log, (e) => {
        if (e.payload === "first") engine.schedule(0, "a", "k", "spawned");
      }),
    );
    engine.scheduleAt(7, "a", "k", "first");
    engine.scheduleAt(7, "a", "k", "second");
    engine.run();
    expect(log.map((s) => [s.t, s.payload])).toEqual([
      [7, "first"],
      [7, "second"],
      [7, "spawned"],
    ]);
  });
});

describe("engine: cancel and incarnations", () => {
  it("a cancelled event never runs; cancelling twice, after the run, or undefined is harmless", () => {
    const { engine, log } = setup(["a"]);
    engine.scheduleAt(10, "a", "k", "keep-1");
    const doomed = engine.scheduleAt(20, "a", "k", "cancelled");
    engine.scheduleAt(30, "a", "k", "keep-2");
    engine.cancel(doomed);
    engine.cancel(doomed);
    engine.cancel(undefined);
    const outcome = engine.run();
    expect(log.map((s) => s.payload)).toEqual(["keep-1", "keep-2"]);
    // Cancelled events are not counted as processed.
    expect(outcome.events).toBe(2);
    expect(outcome.timeUs).toBe(30);
  });

  it("a handler can cancel a later event", () => {
    const engine = new Engine({ seed: 1 });
    const log: Seen[] = [];
    let timeout: SimEvent | undefined;
    engine.register(
      new Recorder("a", engine, log, (e) => {
        if (e.kind === "response") engine.cancel(timeout);
      }),
    );
    timeout = engine.scheduleAt(1000, "a", "timeout", null);
    engine.scheduleAt(300, "a", "response", null);
    engine.run();
    expect(log.map((s) => s.kind)).toEqual(["response"]);
    // The clock stops at the last event that ran, not at the cancelled one.
    expect(engine.now).toBe(300);
  });

  it("peekTime skips a cancelled head", () => {
    const { engine } = setup(["a"]);
    const head = engine.scheduleAt(5, "a", "k", null);
    engine.scheduleAt(9, "a", "k", null);
    engine.cancel(head);
    expect(engine.peekTime()).toBe(9);
  });

  it("killIncarnation drops the queued events of that actor only", () => {
    const { engine, log } = setup(["a", "b"]);
    engine.scheduleAt(10, "a", "k", "a@10");
    engine.scheduleAt(20, "a", "k", "a@20 (dropped)");
    engine.scheduleAt(15, "b", "k", "b@15");
    engine.scheduleAt(25, "b", "k", "b@25");
    engine.runUntil(12);
    expect(engine.incarnation("a")).toBe(0);
    engine.killIncarnation("a");
    expect(engine.incarnation("a")).toBe(1);
    expect(engine.incarnation("b")).toBe(0);
    // Scheduled after the kill: belongs to the new incarnation and runs.
    engine.scheduleAt(30, "a", "k", "a@30 (new incarnation)");
    engine.run();
    expect(log.map((s) => s.payload)).toEqual(["a@10", "b@15", "b@25", "a@30 (new incarnation)"]);
    // a@10, b@15, b@25, a@30: the dropped event is not counted.
    expect(engine.eventsProcessed).toBe(4);
  });

  it("an actor killed inside another actor's handler loses its pending timers", () => {
    const engine = new Engine({ seed: 1 });
    const log: Seen[] = [];
    engine.register(new Recorder("victim", engine, log));
    engine.register(new Recorder("nemesis", engine, log, () => engine.killIncarnation("victim")));
    engine.scheduleAt(5, "victim", "k", "before");
    engine.scheduleAt(10, "nemesis", "k", "crash");
    engine.scheduleAt(10, "victim", "k", "same-time-after-crash");
    engine.run();
    // The victim's event at t=10 was queued after the crash event, so it pops after the kill.
    expect(log.map((s) => s.payload)).toEqual(["before", "crash"]);
  });
});

describe("engine: run control", () => {
  it("runUntil runs events up to and including the target, sets the clock there, leaves later ones", () => {
    const { engine, log } = setup(["a"]);
    for (const t of [10, 20, 30]) engine.scheduleAt(t, "a", "k", t);
    expect(engine.runUntil(20)).toEqual({ status: "reached-time", timeUs: 20, events: 2 });
    expect(log.map((s) => s.payload)).toEqual([10, 20]);
    expect(engine.pendingEvents).toBe(1);

    // Nothing between 20 and 25: the clock still moves to 25.
    expect(engine.runUntil(25)).toEqual({ status: "reached-time", timeUs: 25, events: 2 });
    expect(engine.now).toBe(25);
    expect(engine.peekTime()).toBe(30);

    // runFor(10) from 25 runs until 35, which includes the event at 30.
    expect(engine.runFor(10)).toEqual({ status: "reached-time", timeUs: 35, events: 3 });
    expect(log.map((s) => s.payload)).toEqual([10, 20, 30]);
  });

  it("runUntilPredicate stops as soon as the predicate holds, leaving the rest queued", () => {
    const { engine, log } = setup(["a"]);
    for (const t of [1, 2, 3, 4, 5]) engine.scheduleAt(t, "a", "k", t);
    const outcome = engine.runUntilPredicate(() => log.length >= 3);
    // Checked before each event: after the third event (t=3) it holds.
    expect(outcome).toEqual({ status: "predicate", timeUs: 3, events: 3 });
    expect(engine.pendingEvents).toBe(2);
    // Already true: no event runs.
    expect(engine.runUntilPredicate(() => true)).toEqual({
      status: "predicate",
      timeUs: 3,
      events: 3,
    });
  });

  it("runUntilPredicate returns idle when the queue empties first, reached-time with a deadline", () => {
    const { engine } = setup(["a"]);
    engine.scheduleAt(5, "a", "k", null);
    expect(engine.runUntilPredicate(() => false, 3)).toEqual({
      status: "reached-time",
      timeUs: 3,
      events: 0,
    });
    expect(engine.runUntilPredicate(() => false)).toEqual({ status: "idle", timeUs: 5, events: 1 });
  });

  it("run() on an empty engine returns idle at time 0", () => {
    const { engine } = setup([]);
    expect(engine.run()).toEqual({ status: "idle", timeUs: 0, events: 0 });
  });

  it("stops a runaway actor at the max-events bound, naming it", () => {
    const engine = new Engine({ seed: 1, limits: { maxEvents: 5 } });
    engine.register(new Runaway(engine, 0));
    engine.schedule(0, "runaway", "tick", null);
    const outcome = engine.run();
    expect(outcome.status).toBe("bound");
    if (outcome.status !== "bound") return;
    expect(outcome.bound).toBe("max-events");
    expect(outcome.message).toContain("max-events");
    expect(outcome.message).toContain("5");
    // Exactly maxEvents events ran, all at t=0 (delay 0).
    expect(outcome.events).toBe(5);
    expect(outcome.timeUs).toBe(0);
    // The bound counts events in total: a second run stops immediately.
    expect(engine.run()).toMatchObject({ status: "bound", bound: "max-events", events: 5 });
  });

  it("stops a runaway actor at the max-time bound, naming it", () => {
    const engine = new Engine({ seed: 1, limits: { maxTimeUs: 1000 } });
    engine.register(new Runaway(engine, 100));
    engine.schedule(100, "runaway", "tick", null);
    const outcome = engine.run();
    expect(outcome.status).toBe("bound");
    if (outcome.status !== "bound") return;
    expect(outcome.bound).toBe("max-time");
    expect(outcome.message).toContain("max-time");
    expect(outcome.message).toContain("1000");
    // Ticks at 100, 200, ..., 1000 run (10 events); the one at 1100 lies beyond the bound.
    expect(outcome.events).toBe(10);
    expect(outcome.timeUs).toBe(1000);
    expect(engine.peekTime()).toBe(1100);
  });

  it("runUntil past max-time reports the bound instead of moving the clock", () => {
    const engine = new Engine({ seed: 1, limits: { maxTimeUs: 1000 } });
    expect(engine.runUntil(2000)).toMatchObject({ status: "bound", bound: "max-time" });
    expect(engine.now).toBe(0);
  });
});

describe("engine: assertions on time", () => {
  it("throws SimAssertionError when scheduling in the past", () => {
    const { engine } = setup(["a"]);
    engine.runUntil(100);
    expect(() => engine.scheduleAt(50, "a", "k", null)).toThrow(SimAssertionError);
    expect(() => engine.scheduleAt(50, "a", "k", null)).toThrow(/in the past/);
    expect(() => engine.schedule(-1, "a", "k", null)).toThrow(SimAssertionError);
    // Now itself is fine.
    expect(() => engine.scheduleAt(100, "a", "k", null)).not.toThrow();
  });

  it("throws SimAssertionError on times that are not safe integers", () => {
    const { engine } = setup(["a"]);
    for (const bad of [1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      expect(() => engine.scheduleAt(bad, "a", "k", null)).toThrow(SimAssertionError);
      expect(() => engine.schedule(bad, "a", "k", null)).toThrow(SimAssertionError);
    }
    expect(() => engine.runUntil(0.5)).toThrow(SimAssertionError);
    // None of the rejected events was queued.
    expect(engine.pendingEvents).toBe(0);
  });

  it("throws on an event for an unknown actor and on registering an id twice", () => {
    const { engine } = setup(["a"]);
    expect(() => engine.register(new Recorder("a", engine, []))).toThrow(/registered twice/);
    engine.scheduleAt(1, "ghost", "k", null);
    expect(() => engine.run()).toThrow(/unknown actor 'ghost'/);
  });
});

describe("engine: invariants and validations", () => {
  it("checks invariants after every event and throws InvariantViolation naming the invariant", () => {
    const { engine, log } = setup(["a"]);
    let checks = 0;
    engine.addInvariant("fewer-than-three-events", () => {
      checks++;
      return log.length >= 3 ? `saw ${log.length} events` : undefined;
    });
    for (const t of [10, 20, 30, 40]) engine.scheduleAt(t, "a", "k", t);
    let thrown: unknown;
    try {
      engine.run();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvariantViolation);
    expect(thrown).toBeInstanceOf(SimAssertionError);
    const violation = thrown as InvariantViolation;
    expect(violation.invariant).toBe("fewer-than-three-events");
    // Broken right after the third event, at t=30; the fourth never ran.
    expect(violation.timeUs).toBe(30);
    expect(violation.detail).toBe("saw 3 events");
    expect(violation.message).toBe(
      "invariant 'fewer-than-three-events' broken at t=30us: saw 3 events",
    );
    expect(checks).toBe(3);
    expect(log).toHaveLength(3);
  });

  it("runs every invariant in order and names the first broken one", () => {
    const { engine } = setup(["a"]);
    const order: string[] = [];
    engine.addInvariant("fine", () => {
      order.push("fine");
      return undefined;
    });
    engine.addInvariant("broken", () => {
      order.push("broken");
      return "always";
    });
    engine.scheduleAt(1, "a", "k", null);
    expect(() => engine.run()).toThrow(/invariant 'broken'/);
    expect(order).toEqual(["fine", "broken"]);
  });

  it("runs validations only when asked, and reports the broken ones", () => {
    const { engine, log } = setup(["a"]);
    let calls = 0;
    engine.addValidation("at-least-two-events", () => {
      calls++;
      return log.length >= 2 ? undefined : `only ${log.length} event(s)`;
    });
    engine.addValidation("no-lost-write", () => undefined);
    engine.addValidation("nonmonotonic", () => "offset went back");
    engine.scheduleAt(1, "a", "k", null);
    engine.run();
    expect(calls).toBe(0);
    expect(engine.validate()).toEqual([
      { name: "at-least-two-events", message: "only 1 event(s)" },
      { name: "nonmonotonic", message: "offset went back" },
    ]);
    expect(calls).toBe(1);
  });
});

describe("engine: deliverNow and the trace", () => {
  it("deliverNow hands an event to the target at once, inside the current event", () => {
    const engine = new Engine({ seed: 1 });
    const log: Seen[] = [];
    const results: boolean[] = [];
    engine.register(
      new Recorder("network", engine, log, () => {
        results.push(engine.deliverNow("broker-1", "ProduceRequest", { bytes: 100 }));
        results.push(engine.deliverNow("nobody", "ProduceRequest", null));
        log.push({
          t: engine.now,
          actor: "network",
          kind: "after-deliver",
          payload: null,
          seq: -2,
        });
      }),
    );
    engine.register(new Recorder("broker-1", engine, log));
    engine.scheduleAt(70, "network", "deliver", null);
    const outcome = engine.run();
    expect(results).toEqual([true, false]);
    // The broker saw the message at the same time, before the network's handler went on.
    expect(log.map((s) => [s.actor, s.kind, s.t])).toEqual([
      ["network", "deliver", 70],
      ["broker-1", "ProduceRequest", 70],
      ["network", "after-deliver", 70],
    ]);
    expect(log[1]!.payload).toEqual({ bytes: 100 });
    expect(log[1]!.seq).toBe(-1);
    // Only the queued event counts as processed.
    expect(outcome.events).toBe(1);
  });

  it("stamps trace events with the virtual time of the event being handled", () => {
    const engine = new Engine({ seed: 1 });
    engine.register({
      id: "1",
      handle: (e) => engine.trace.emit("Handled", "1", { kind: e.kind }),
    });
    const recorded = engine.trace.record();
    engine.scheduleAt(123, "1", "a", null);
    engine.scheduleAt(456, "1", "b", null);
    engine.run();
    expect(recorded).toEqual([
      { t: 123, type: "Handled", node: "1", kind: "a" },
      { t: 456, type: "Handled", node: "1", kind: "b" },
    ]);
    expect(engine.trace.count).toBe(2);
  });
});
