/**
 * The discrete-event engine: a virtual clock, the event queue, actors, RNG streams, the trace,
 * invariants and run control.
 *
 * Virtual time is an integer count of microseconds. Events are plain data `{at, seq, target, kind,
 * payload}`: the engine pops the earliest (ties: the one scheduled first), advances the clock,
 * hands it to the target actor's handler, then checks every registered invariant. Every way of
 * running (`run`, `runUntil`, `runUntilPredicate`, `runFor`) stands on `step()` and is bounded by
 * a maximum number of events and a maximum virtual time; hitting a bound ends the run with a
 * reason instead of spinning forever.
 *
 * Actors have an incarnation number. Crashing a process bumps it, and every event still queued for
 * the old incarnation (its timers, its pending work) is dropped when popped, as a dead process's
 * timers die with it. A cancelled event leaves the queue at once.
 *
 * Speed (bench/README.md measures it against a bare binary-heap loop): the queue is a flat-array
 * heap (event-queue.ts); a queued event also carries two plain numbers, its target's slot index
 * and its queue slot, so neither popping nor cancelling looks anything up by id; and scheduling
 * for the running actor (most events) skips the id lookup too.
 */
import { assert, assertSafeInt, SimAssertionError } from "./assert.ts";
import { EventQueue } from "./event-queue.ts";
import { RngStreams } from "./rng.ts";
import { Trace } from "./trace.ts";

/** An event on the queue. Plain data, so a checkpoint can be a structured clone. */
export interface SimEvent<K extends string = string, P = unknown> {
  readonly at: number;
  readonly seq: number;
  readonly target: string;
  readonly kind: K;
  readonly payload: P;
  /** The target's incarnation when the event was scheduled. */
  readonly incarnation: number;
  cancelled: boolean;
}

/** A model component with private state; it reacts only to events addressed to it. */
export interface Actor {
  readonly id: string;
  handle(event: SimEvent): void;
}

/** A timer or scheduled event that can be cancelled. */
export type EventHandle = SimEvent;

export interface RunLimits {
  /** The run fails with reason `max-events` after this many events in total. */
  readonly maxEvents: number;
  /** The run fails with reason `max-time` if an event lies beyond this virtual time. */
  readonly maxTimeUs: number;
}

export type RunOutcome =
  | { readonly status: "idle"; readonly timeUs: number; readonly events: number }
  | { readonly status: "reached-time"; readonly timeUs: number; readonly events: number }
  | { readonly status: "predicate"; readonly timeUs: number; readonly events: number }
  | {
      readonly status: "bound";
      readonly bound: "max-events" | "max-time";
      readonly message: string;
      readonly timeUs: number;
      readonly events: number;
    };

export type Invariant = () => string | undefined;

export class InvariantViolation extends SimAssertionError {
  override name = "InvariantViolation";
  constructor(
    readonly invariant: string,
    readonly detail: string,
    readonly timeUs: number,
  ) {
    super(`invariant '${invariant}' broken at t=${timeUs}us: ${detail}`);
  }
}

export const DEFAULT_LIMITS: RunLimits = {
  maxEvents: 50_000_000,
  maxTimeUs: 24 * 3600 * 1_000_000,
};

export interface EngineOptions {
  readonly seed: number | string;
  readonly limits?: Partial<RunLimits>;
}

/**
 * An actor id's registration and incarnation. Slots are numbered in creation order and never
 * removed, so a queued event can name its target's slot by index: popping an event then needs no
 * Map lookup by id.
 */
interface ActorSlot {
  readonly id: string;
  readonly index: number;
  actor: Actor | undefined;
  incarnation: number;
}

/**
 * What the engine queues: an event plus the index of its target's slot and its own slot in the
 * queue (for cancel), plain numbers, so the event stays plain data.
 */
interface QueuedEvent extends SimEvent {
  readonly targetSlot: number;
  queueSlot: number;
}

export class Engine {
  readonly seed: number | string;
  readonly rng: RngStreams;
  readonly trace: Trace;
  readonly limits: RunLimits;

  private nowUs = 0;
  private nextSeq = 0;
  private processed = 0;
  private readonly queue = new EventQueue<QueuedEvent>();
  private readonly slots = new Map<string, ActorSlot>();
  private readonly slotList: ActorSlot[] = [];
  /** The slot of the event `liveHead()` returned last, so dispatch does not look it up again. */
  private headSlot: ActorSlot | undefined;
  /**
   * The slot `scheduleAt` used last, or the running actor's: most events are scheduled by an actor
   * for itself, and this spares them the Map lookup by id.
   */
  private lastSlot: ActorSlot | undefined;
  private readonly invariants: Array<{ name: string; check: Invariant }> = [];
  private readonly validations: Array<{ name: string; check: Invariant }> = [];

  constructor(options: EngineOptions) {
    this.seed = options.seed;
    this.rng = new RngStreams(options.seed);
    this.trace = new Trace(() => this.nowUs);
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    assertSafeInt(this.limits.maxEvents, "limits.maxEvents");
    assertSafeInt(this.limits.maxTimeUs, "limits.maxTimeUs");
  }

  /** Current virtual time in microseconds. */
  get now(): number {
    return this.nowUs;
  }

  /** Events processed so far (cancelled and stale events are not counted). */
  get eventsProcessed(): number {
    return this.processed;
  }

  /**
   * Events still queued: cancelled events leave at once; events of an ended incarnation stay until
   * their time comes (they are dropped then).
   */
  get pendingEvents(): number {
    return this.queue.size;
  }

  register(actor: Actor): void {
    // A slot may exist already, without an actor, if the id was killed or sent an event before
    // it registered.
    const slot = this.slotOf(actor.id);
    assert(slot.actor === undefined, () => `actor '${actor.id}' registered twice`);
    slot.actor = actor;
  }

  hasActor(id: string): boolean {
    return this.slots.get(id)?.actor !== undefined;
  }

  /** The actor's current incarnation (0 until its first crash). */
  incarnation(id: string): number {
    return this.slots.get(id)?.incarnation ?? 0;
  }

  /** Ends the actor's current incarnation: every event already queued for it is dropped. */
  killIncarnation(id: string): void {
    this.slotOf(id).incarnation++;
  }

  /** The slot of an id, created (without an actor, incarnation 0) on first use. */
  private slotOf(id: string): ActorSlot {
    let slot = this.slots.get(id);
    if (slot === undefined) {
      slot = { id, index: this.slotList.length, actor: undefined, incarnation: 0 };
      this.slots.set(id, slot);
      this.slotList.push(slot);
    }
    return slot;
  }

  /** Schedules an event at an absolute virtual time (not before now). */
  scheduleAt<K extends string, P>(
    atUs: number,
    target: string,
    kind: K,
    payload: P,
  ): SimEvent<K, P> {
    assertSafeInt(atUs, "event time");
    // A plain `if` rather than assert(): no message closure is allocated on this hot path.
    if (atUs < this.nowUs) {
      throw new SimAssertionError(`cannot schedule ${kind} in the past (${atUs} < ${this.nowUs})`);
    }
    let slot = this.lastSlot;
    if (slot === undefined || slot.id !== target) {
      slot = this.slotOf(target);
      this.lastSlot = slot;
    }
    const event: QueuedEvent & SimEvent<K, P> = {
      at: atUs,
      seq: this.nextSeq++,
      target,
      kind,
      payload,
      incarnation: slot.incarnation,
      cancelled: false,
      targetSlot: slot.index,
      queueSlot: -1,
    };
    event.queueSlot = this.queue.push(event);
    return event;
  }

  /** Schedules an event `delayUs` microseconds from now. */
  schedule<K extends string, P>(
    delayUs: number,
    target: string,
    kind: K,
    payload: P,
  ): SimEvent<K, P> {
    assertSafeInt(delayUs, "delay");
    if (delayUs < 0) throw new SimAssertionError(`negative delay ${delayUs} for ${kind}`);
    return this.scheduleAt(this.nowUs + delayUs, target, kind, payload);
  }

  /**
   * Cancels a scheduled event: it leaves the queue now (a cancelled request timeout does not wait
   * in the heap for its time to come). Cancelling twice, after it ran, or undefined is harmless.
   */
  cancel(handle: EventHandle | undefined): void {
    if (handle === undefined || handle.cancelled) return;
    handle.cancelled = true;
    const queueSlot = (handle as Partial<QueuedEvent>).queueSlot;
    // remove() checks the slot still holds this event: after it ran, the slot may hold another.
    if (queueSlot !== undefined && queueSlot >= 0)
      this.queue.remove(handle as QueuedEvent, queueSlot);
  }

  /**
   * Hands an event to an actor now, inside the current event (used by models that relay, like the
   * network delivering a message it carried). Returns false if the actor does not exist.
   */
  deliverNow<K extends string, P>(target: string, kind: K, payload: P): boolean {
    const slot = this.slots.get(target);
    const actor = slot?.actor;
    if (slot === undefined || actor === undefined) return false;
    // The same shape as a queued event, so handlers see one kind of object.
    const event: QueuedEvent = {
      at: this.nowUs,
      seq: -1,
      target,
      kind,
      payload,
      incarnation: slot.incarnation,
      cancelled: false,
      targetSlot: slot.index,
      queueSlot: -1,
    };
    actor.handle(event);
    return true;
  }

  /** A cheap check run after every event; return a message when broken, undefined when fine. */
  addInvariant(name: string, check: Invariant): void {
    this.invariants.push({ name, check });
  }

  /** An expensive check run by `validate()` at the end of a run. */
  addValidation(name: string, check: Invariant): void {
    this.validations.push({ name, check });
  }

  /** Runs every validation; returns the broken ones. */
  validate(): Array<{ name: string; message: string }> {
    const broken: Array<{ name: string; message: string }> = [];
    for (const { name, check } of this.validations) {
      const message = check();
      if (message !== undefined) broken.push({ name, message });
    }
    return broken;
  }

  /** Time of the next live event, or undefined when the queue is empty. */
  peekTime(): number | undefined {
    return this.liveHead()?.at;
  }

  /**
   * Processes the next event. Returns false when there is nothing to do. Throws
   * InvariantViolation when an invariant breaks after the event.
   */
  step(): boolean {
    const event = this.liveHead();
    if (event === undefined) return false;
    this.queue.pop();
    this.dispatch(event, this.headSlot);
    return true;
  }

  /** Runs a popped event: advances the clock, calls the handler, checks every invariant. */
  private dispatch(event: SimEvent, slot: ActorSlot | undefined): void {
    const actor = slot?.actor;
    if (actor === undefined) {
      throw new SimAssertionError(`event ${event.kind} for unknown actor '${event.target}'`);
    }
    this.nowUs = event.at;
    this.processed++;
    this.lastSlot = slot;
    actor.handle(event);
    const invariants = this.invariants;
    for (let i = 0; i < invariants.length; i++) {
      const inv = invariants[i]!;
      const broken = inv.check();
      if (broken !== undefined) throw new InvariantViolation(inv.name, broken, this.nowUs);
    }
  }

  /** Runs until the queue is empty or a bound is hit. */
  run(): RunOutcome {
    return this.runLoop(Number.MAX_SAFE_INTEGER, undefined);
  }

  /** Runs every event at or before `timeUs`, then sets the clock to `timeUs`. */
  runUntil(timeUs: number): RunOutcome {
    assertSafeInt(timeUs, "runUntil time");
    return this.runLoop(timeUs, undefined);
  }

  /** Runs for `durationUs` of virtual time from now. */
  runFor(durationUs: number): RunOutcome {
    return this.runUntil(this.nowUs + durationUs);
  }

  /** Runs until `predicate()` holds (checked before each event and after the last). */
  runUntilPredicate(predicate: () => boolean, untilUs = Number.MAX_SAFE_INTEGER): RunOutcome {
    return this.runLoop(untilUs, predicate);
  }

  private runLoop(untilUs: number, predicate: (() => boolean) | undefined): RunOutcome {
    const { maxEvents, maxTimeUs } = this.limits;
    const queue = this.queue;
    for (;;) {
      if (predicate?.()) return { status: "predicate", timeUs: this.nowUs, events: this.processed };
      const head = this.liveHead();
      if (head === undefined || head.at > untilUs) {
        if (untilUs !== Number.MAX_SAFE_INTEGER) {
          if (untilUs > maxTimeUs) return this.boundHit("max-time");
          if (untilUs > this.nowUs) this.nowUs = untilUs;
          return { status: "reached-time", timeUs: this.nowUs, events: this.processed };
        }
        return { status: "idle", timeUs: this.nowUs, events: this.processed };
      }
      if (head.at > maxTimeUs) return this.boundHit("max-time");
      if (this.processed >= maxEvents) return this.boundHit("max-events");
      // The head is live (liveHead checked it): pop it and run it without looking again.
      queue.pop();
      this.dispatch(head, this.headSlot);
    }
  }

  private boundHit(bound: "max-events" | "max-time"): RunOutcome {
    const message =
      bound === "max-events"
        ? `stopped after ${this.limits.maxEvents} events (the max-events bound) at t=${this.nowUs}us`
        : `stopped at the max-time bound of ${this.limits.maxTimeUs}us of virtual time`;
    return { status: "bound", bound, message, timeUs: this.nowUs, events: this.processed };
  }

  /**
   * Pops cancelled events and events of dead incarnations off the head of the queue, and returns
   * the live head (not popped), remembering its target's slot in `headSlot`.
   */
  private liveHead(): SimEvent | undefined {
    const queue = this.queue;
    const slotList = this.slotList;
    for (;;) {
      const head = queue.peek();
      if (head === undefined) return undefined;
      if (!head.cancelled) {
        const slot = slotList[head.targetSlot]!;
        if (head.incarnation === slot.incarnation) {
          this.headSlot = slot;
          return head;
        }
      }
      queue.pop();
    }
  }
}
