/**
 * The engine benchmark: the engine's throughput on a synthetic workload of timers and messages,
 * against a bare binary-heap loop (bench/bare-heap.ts) with as many pending events, in the same
 * process.
 *
 * Workload: 250 actors with 40 pending events each (10,000 in all), one of them a "request
 * timeout". Every handled event emits one trace event with three fields (tracing on, as DESIGN.md
 * requires), then schedules exactly one live successor, so the number of live events stays at
 * 10,000: mostly a follow-up timer after a delay drawn from the actor's RNG stream, sometimes a
 * message to another actor (an event for that actor), and sometimes it also cancels its timeout
 * and arms a new one (the cancelled event leaves the queue, as a response's timeout does).
 */
import type { Actor, SimEvent } from "../sim/engine/engine.ts";
import { Engine } from "../sim/engine/engine.ts";
import type { RngStream } from "../sim/engine/rng.ts";
import { BareHeapLoop } from "./bare-heap.ts";
import type { BenchContext } from "./run.ts";

const ACTORS = 250;
const EVENTS_PER_ACTOR = 40;
const PENDING_EVENTS = ACTORS * EVENTS_PER_ACTOR;
const MEAN_DELAY_US = 1000;
const TIMEOUT_US = 5 * MEAN_DELAY_US;
const NETWORK_DELAY_MIN_US = 50;
const NETWORK_DELAY_MAX_US = 500;
const P_MESSAGE = 0.2;
const P_RESET_TIMEOUT = 0.1;

export interface EngineBenchResult {
  /** Engine events per second of wall time (median of the measured rounds). */
  readonly eventsPerSec: number;
  /** The bare heap loop's events per second (median). */
  readonly bareHeapEventsPerSec: number;
  /** eventsPerSec / bareHeapEventsPerSec; the target is >= 0.5. */
  readonly ratio: number;
  /** Live events kept pending throughout, in both loops. */
  readonly pendingEvents: number;
  /** Events per measured round. */
  readonly events: number;
}

class BenchActor implements Actor {
  private timeout: SimEvent | undefined;
  private handled = 0;

  constructor(
    readonly id: string,
    private readonly engine: Engine,
    private readonly rng: RngStream,
    private readonly peers: readonly string[],
  ) {}

  /** Queues this actor's share of the initial pending events. */
  start(): void {
    this.timeout = this.engine.schedule(TIMEOUT_US, this.id, "timeout", null);
    for (let i = 1; i < EVENTS_PER_ACTOR; i++) {
      this.engine.schedule(this.rng.intBetween(1, 2 * MEAN_DELAY_US), this.id, "timer", null);
    }
  }

  handle(event: SimEvent): void {
    const engine = this.engine;
    const rng = this.rng;
    this.handled++;
    engine.trace.emit("bench.event", this.id, {
      kind: event.kind,
      n: this.handled,
      pending: engine.pendingEvents,
    });
    if (event.kind === "timeout") {
      // The timeout fired: arm the next one; it is this event's one successor.
      this.timeout = engine.schedule(TIMEOUT_US, this.id, "timeout", null);
      return;
    }
    if (rng.chance(P_RESET_TIMEOUT)) {
      // A response arrived: the pending timeout is cancelled and a new one armed.
      engine.cancel(this.timeout);
      this.timeout = engine.schedule(TIMEOUT_US, this.id, "timeout", null);
    }
    if (rng.chance(P_MESSAGE)) {
      const to = rng.pick(this.peers);
      const delayUs = rng.intBetween(NETWORK_DELAY_MIN_US, NETWORK_DELAY_MAX_US);
      engine.schedule(delayUs, to, "message", this.id);
    } else {
      engine.schedule(rng.intBetween(1, 2 * MEAN_DELAY_US), this.id, "timer", null);
    }
  }
}

/** An engine loaded with the workload, stopping after `events` events. */
function buildEngine(seed: number, events: number): Engine {
  const engine = new Engine({ seed, limits: { maxEvents: events } });
  const ids = Array.from({ length: ACTORS }, (_, i) => `node-${i}`);
  const actors = ids.map((id) => new BenchActor(id, engine, engine.rng.stream(`bench/${id}`), ids));
  for (const actor of actors) engine.register(actor);
  for (const actor of actors) actor.start();
  if (engine.pendingEvents !== PENDING_EVENTS) {
    throw new Error(
      `engine bench: expected ${PENDING_EVENTS} pending events, got ${engine.pendingEvents}`,
    );
  }
  return engine;
}

function runEngineRound(ctx: BenchContext, seed: number, events: number): number {
  const engine = buildEngine(seed, events);
  const elapsedMs = ctx.timeMs(() => {
    const outcome = engine.run();
    if (outcome.events !== events) {
      throw new Error(`engine bench: ran ${outcome.events} events, expected ${events}`);
    }
  });
  // Keep the trace alive past the timed region: its hash is what the loop computed.
  ctx.keep(engine.trace.hash());
  return (events / elapsedMs) * 1000;
}

function runBareRound(ctx: BenchContext, seed: number, events: number): number {
  const loop = new BareHeapLoop(PENDING_EVENTS, MEAN_DELAY_US, seed);
  let lastAtUs = 0;
  const elapsedMs = ctx.timeMs(() => {
    lastAtUs = loop.run(events).lastAtUs;
  });
  ctx.keep(lastAtUs);
  return (events / elapsedMs) * 1000;
}

export function engineBench(ctx: BenchContext): EngineBenchResult {
  const events = ctx.short ? 200_000 : 500_000;
  const rounds = ctx.short ? 3 : 7;
  // Warm-up: let the JIT compile both loops before anything is measured.
  for (let i = 0; i < (ctx.short ? 1 : 2); i++) {
    runEngineRound(ctx, 1000 + i, events);
    runBareRound(ctx, 1000 + i, events);
  }
  // Interleaved, so a slow patch of the machine hits both loops alike.
  const engineRates: number[] = [];
  const bareRates: number[] = [];
  for (let round = 0; round < rounds; round++) {
    engineRates.push(runEngineRound(ctx, round + 1, events));
    bareRates.push(runBareRound(ctx, round + 1, events));
  }
  const eventsPerSec = Math.round(ctx.median(engineRates));
  const bareHeapEventsPerSec = Math.round(ctx.median(bareRates));
  return {
    eventsPerSec,
    bareHeapEventsPerSec,
    ratio: Math.round((eventsPerSec / bareHeapEventsPerSec) * 1000) / 1000,
    pendingEvents: PENDING_EVENTS,
    events,
  };
}
