/**
 * Properties of the event queue and the engine, each checked against a deliberately simpler model.
 *
 * The fast-check seed is fixed (so CI is reproducible) and printed in each test's name; set
 * FC_SEED=<n> to explore other seeds, and the failing seed and path are printed by fast-check.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Actor, Engine, type SimEvent } from "../../sim/engine/engine.ts";
import { EventQueue } from "../../sim/engine/event-queue.ts";

const SEED = Number(process.env.FC_SEED ?? 20_250_601);
const NUM_RUNS = Number(process.env.FC_RUNS ?? 200);
console.log(`engine.property: fast-check seed=${SEED} numRuns=${NUM_RUNS}`);

interface QItem {
  readonly at: number;
  readonly seq: number;
}

type QueueOp = { readonly op: "push"; readonly at: number } | { readonly op: "pop" };

// Times from a small range, so equal times (ties) are common.
const queueOp: fc.Arbitrary<QueueOp> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.integer({ min: 0, max: 20 }).map((at) => ({ op: "push", at }) as const),
  },
  { weight: 2, arbitrary: fc.constant({ op: "pop" } as const) },
);

/** The model: an array kept sorted by (at, seq); pop takes the first. */
function modelInsert(model: QItem[], item: QItem): void {
  let i = model.length;
  while (i > 0) {
    const prev = model[i - 1]!;
    if (prev.at < item.at || (prev.at === item.at && prev.seq < item.seq)) break;
    i--;
  }
  model.splice(i, 0, item);
}

describe("engine: event queue properties", () => {
  it(`pops in (time, seq) order for any pushes and pops, like a sorted array (seed ${SEED})`, () => {
    fc.assert(
      fc.property(fc.array(queueOp, { maxLength: 300 }), (ops) => {
        const queue = new EventQueue<QItem>();
        const model: QItem[] = [];
        let seq = 0;
        for (const op of ops) {
          if (op.op === "push") {
            const item = { at: op.at, seq: seq++ };
            queue.push(item);
            modelInsert(model, item);
          } else {
            // The very same object must come out of both.
            expect(queue.pop()).toBe(model.shift());
          }
          expect(queue.size).toBe(model.length);
          expect(queue.peek()).toBe(model[0]);
        }
        queue.checkHeap();
        for (let item = queue.pop(); item !== undefined; item = queue.pop()) {
          expect(item).toBe(model.shift());
        }
        expect(model).toEqual([]);
      }),
      { seed: SEED, numRuns: NUM_RUNS },
    );
  });
});

/** What a handled event does, chosen per event id by the generator. */
interface Action {
  /** Cancels the event with this id, if it was scheduled already. */
  readonly cancelId?: number;
  /** Ends this actor's incarnation (drops its queued events). */
  readonly kill?: number;
  /** Schedules a follow-up for this actor, after this delay. */
  readonly followUp?: { readonly target: number; readonly delayUs: number };
}

interface Workload {
  readonly actors: number;
  readonly initial: ReadonlyArray<{ readonly at: number; readonly target: number }>;
  readonly actions: readonly Action[];
  /** Ids cancelled before the run starts. */
  readonly cancelUpFront: readonly number[];
}

const ACTORS = 4;
const workload: fc.Arbitrary<Workload> = fc.record({
  actors: fc.constant(ACTORS),
  initial: fc.array(
    fc.record({
      at: fc.integer({ min: 0, max: 50 }),
      target: fc.integer({ min: 0, max: ACTORS - 1 }),
    }),
    { minLength: 1, maxLength: 60 },
  ),
  actions: fc.array(
    fc.record(
      {
        cancelId: fc.integer({ min: 0, max: 120 }),
        kill: fc.integer({ min: 0, max: ACTORS - 1 }),
        followUp: fc.record({
          target: fc.integer({ min: 0, max: ACTORS - 1 }),
          delayUs: fc.integer({ min: 0, max: 20 }),
        }),
      },
      { requiredKeys: [] },
    ),
    { maxLength: 120 },
  ),
  cancelUpFront: fc.array(fc.integer({ min: 0, max: 60 }), { maxLength: 10 }),
});

interface ModelEvent {
  readonly id: number;
  readonly at: number;
  readonly target: number;
  readonly incarnation: number;
  cancelled: boolean;
}

/**
 * The model: a plain list scanned for the earliest (at, id) on every step. Ids are given in
 * scheduling order, so the id plays the engine's sequence number. Returns the ids that ran, in
 * order, with the time each ran at.
 */
function runModel(w: Workload): string[] {
  const pending: ModelEvent[] = [];
  const byId: ModelEvent[] = [];
  const incarnation = new Array<number>(w.actors).fill(0);
  let now = 0;
  const schedule = (at: number, target: number) => {
    const e: ModelEvent = {
      id: byId.length,
      at,
      target,
      incarnation: incarnation[target]!,
      cancelled: false,
    };
    byId.push(e);
    pending.push(e);
  };
  for (const { at, target } of w.initial) schedule(at, target);
  for (const id of w.cancelUpFront) if (byId[id] !== undefined) byId[id].cancelled = true;
  const ran: string[] = [];
  for (;;) {
    let best = -1;
    for (let i = 0; i < pending.length; i++) {
      const e = pending[i]!;
      const b = pending[best];
      if (b === undefined || e.at < b.at || (e.at === b.at && e.id < b.id)) best = i;
    }
    if (best < 0) break;
    const [e] = pending.splice(best, 1);
    if (e === undefined || e.cancelled || e.incarnation !== incarnation[e.target]) continue;
    now = e.at;
    ran.push(`${e.id}@${now}`);
    const action = w.actions[e.id];
    if (action?.cancelId !== undefined) {
      const victim = byId[action.cancelId];
      if (victim !== undefined) victim.cancelled = true;
    }
    if (action?.kill !== undefined) incarnation[action.kill]!++;
    if (action?.followUp !== undefined)
      schedule(now + action.followUp.delayUs, action.followUp.target);
  }
  return ran;
}

/** The same workload on the engine. */
function runEngine(w: Workload): string[] {
  const engine = new Engine({ seed: 1 });
  const handles: SimEvent[] = [];
  const ran: string[] = [];
  const schedule = (at: number, target: number) => {
    const id = handles.length;
    handles.push(engine.scheduleAt(at, `actor-${target}`, "work", id));
  };
  for (let a = 0; a < w.actors; a++) {
    const actor: Actor = {
      id: `actor-${a}`,
      handle(event) {
        const id = event.payload as number;
        ran.push(`${id}@${engine.now}`);
        const action = w.actions[id];
        if (action?.cancelId !== undefined) engine.cancel(handles[action.cancelId]);
        if (action?.kill !== undefined) engine.killIncarnation(`actor-${action.kill}`);
        if (action?.followUp !== undefined) {
          schedule(engine.now + action.followUp.delayUs, action.followUp.target);
        }
      },
    };
    engine.register(actor);
  }
  for (const { at, target } of w.initial) schedule(at, target);
  for (const id of w.cancelUpFront) engine.cancel(handles[id]);
  const outcome = engine.run();
  expect(outcome.status).toBe("idle");
  expect(outcome.events).toBe(ran.length);
  return ran;
}

describe("engine: cancel and kill properties", () => {
  it(`runs exactly the events the model runs: cancelled and killed ones never (seed ${SEED})`, () => {
    fc.assert(
      fc.property(workload, (w) => {
        const expected = runModel(w);
        expect(runEngine(w)).toEqual(expected);
      }),
      { seed: SEED, numRuns: NUM_RUNS },
    );
  });
});

/**
 * A workload of actors that draw from RNG streams: each event emits a trace event with drawn values,
 * schedules a follow-up at a drawn delay, sometimes messages another actor and sometimes cancels
 * its own pending timer. Returns the traceHash.
 */
function randomWorkloadHash(seed: number, actors: number, maxEvents: number): string {
  const engine = new Engine({ seed, limits: { maxEvents } });
  const ids = Array.from({ length: actors }, (_, i) => `node-${i}`);
  for (const id of ids) {
    const rng = engine.rng.stream(`actor/${id}`);
    let pendingTimer: SimEvent | undefined;
    engine.register({
      id,
      handle(event) {
        const delayUs = 1 + Math.ceil(rng.exponential(1000));
        engine.trace.emit("Work", id, {
          kind: event.kind,
          delayUs,
          size: rng.intBetween(1, 1 << 20),
        });
        if (rng.chance(0.2)) {
          engine.schedule(rng.intBetween(50, 500), rng.pick(ids), "message", { from: id });
        }
        if (rng.chance(0.1)) engine.cancel(pendingTimer);
        pendingTimer = engine.schedule(delayUs, id, "timer", null);
      },
    });
    engine.scheduleAt(0, id, "start", null);
  }
  const outcome = engine.run();
  expect(outcome.status).toBe("bound");
  expect(engine.trace.count).toBe(maxEvents);
  return engine.trace.hash();
}

describe("engine: determinism properties", () => {
  const params = fc.record({
    actors: fc.integer({ min: 1, max: 8 }),
    maxEvents: fc.integer({ min: 1, max: 300 }),
  });

  it(`same seed => same traceHash over a random actor workload (seed ${SEED})`, () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 }), params, (seed, { actors, maxEvents }) => {
        expect(randomWorkloadHash(seed, actors, maxEvents)).toBe(
          randomWorkloadHash(seed, actors, maxEvents),
        );
      }),
      { seed: SEED, numRuns: 50 },
    );
  });

  it(`different seeds => different traceHash (seed ${SEED})`, () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 }),
        fc.integer({ min: 0, max: 2 ** 31 }),
        params,
        (seedA, seedB, { actors, maxEvents }) => {
          fc.pre(seedA !== seedB);
          expect(randomWorkloadHash(seedA, actors, maxEvents)).not.toBe(
            randomWorkloadHash(seedB, actors, maxEvents),
          );
        },
      ),
      { seed: SEED, numRuns: 50 },
    );
  });
});
