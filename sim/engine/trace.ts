/**
 * The trace: every state change a person or a checker could care about, as a typed event
 * `{t, type, node, ...fields}`.
 *
 * Canonical form: `t`, `type` and `node` first, then the event's own fields in the order the
 * emitting model writes them (each event type is emitted from one place, so that order is fixed by
 * the code, the same in Node and in the browser). The hash folds each event field by field without
 * serializing it; JSON text is made only when something subscribes (an export, the viz).
 */
import { TraceHasher } from "./trace-hash.ts";

export type TraceValue =
  | number
  | string
  | boolean
  | null
  | readonly TraceValue[]
  | { readonly [key: string]: TraceValue };

export type TraceFields = { readonly [key: string]: TraceValue };

export interface TraceEvent {
  readonly t: number;
  readonly type: string;
  readonly node: string;
  readonly [field: string]: TraceValue;
}

export type TraceSubscriber = (event: TraceEvent) => void;

export class Trace {
  private readonly hasher = new TraceHasher();
  private readonly subscribers: TraceSubscriber[] = [];
  private recorded: TraceEvent[] | undefined;
  private eventCount = 0;

  /** @param clock reads the current virtual time in microseconds. */
  constructor(private readonly clock: () => number) {}

  /** Appends an event at the current virtual time. */
  emit(type: string, node: string, fields?: TraceFields): void {
    const t = this.clock();
    // The hasher checks every field name, not only when someone subscribes: otherwise an event
    // that redefines `node` would run headless and throw only once the viz or an export listens.
    if (fields === undefined) this.hasher.beginEvent(t, type, node);
    else this.hasher.event(t, type, node, fields);
    this.eventCount++;
    if (this.subscribers.length > 0 || this.recorded !== undefined) {
      const event = { t, type, node, ...fields } as TraceEvent;
      if (this.recorded !== undefined) this.recorded.push(event);
      for (const subscriber of this.subscribers) subscriber(event);
    }
  }

  /** Number of events emitted so far. */
  get count(): number {
    return this.eventCount;
  }

  /** The traceHash: 16 lowercase hex digits over every event so far. */
  hash(): string {
    return this.hasher.digest();
  }

  /** Calls `subscriber` with every later event; returns the unsubscribe function. */
  subscribe(subscriber: TraceSubscriber): () => void {
    this.subscribers.push(subscriber);
    return () => {
      const i = this.subscribers.indexOf(subscriber);
      if (i >= 0) this.subscribers.splice(i, 1);
    };
  }

  /** Keeps every later event in memory (tests, the viz, checkers that read the whole trace). */
  record(): readonly TraceEvent[] {
    if (this.recorded === undefined) this.recorded = [];
    return this.recorded;
  }

  get events(): readonly TraceEvent[] {
    return this.recorded ?? [];
  }

  saveState(): { hash: [number, number]; count: number } {
    return { hash: this.hasher.saveState(), count: this.eventCount };
  }

  restoreState(state: { hash: readonly [number, number]; count: number }): void {
    this.hasher.restoreState(state.hash);
    this.eventCount = state.count;
  }
}

/** One JSONL line, keys in canonical order (t, type, node, then the fields as emitted). */
export function traceEventToJson(event: TraceEvent): string {
  return JSON.stringify(event);
}
