/**
 * The trace events of a session's runs, kept once. A session holds several runs of the same
 * scenario and seed (the one on screen, paused checkpoint runs, a checkpoint being built); the run
 * is deterministic, so every run's trace is a prefix of the same list. This log keeps the longest
 * prefix seen; a run that emits an event the log already has gets the log's object back (its own
 * copy becomes garbage), so checkpoints cost no trace memory of their own.
 *
 * Invariant, asserted on every event: a run's n-th event is the log's n-th event (same time, type
 * and node). A difference means the runs are not deterministic, or something changed a world
 * outside its timeline (reading one must change nothing); it is thrown, not hidden.
 */
import type { TraceEvent } from "../engine/trace.ts";

/** One run's place in the log. */
export interface TraceCursor {
  /** How many trace events the run has emitted: its prefix of the log. */
  traced: number;
  /** The run's own list (the log's objects), kept only for the run on screen; null otherwise. */
  events: TraceEvent[] | null;
}

export class SharedTraceLog {
  private readonly log: TraceEvent[] = [];

  /** Events known (the longest prefix any run has reached). */
  get length(): number {
    return this.log.length;
  }

  /** Records the next event of the run behind `cursor`. */
  record(cursor: TraceCursor, event: TraceEvent): void {
    const n = cursor.traced;
    const log = this.log;
    if (n > log.length) {
      throw new Error(`shared trace: a run is at event ${n} but the log has only ${log.length}`);
    }
    let shared = event;
    if (n < log.length) {
      const known = log[n]!;
      if (known.t !== event.t || known.type !== event.type || known.node !== event.node) {
        throw new Error(
          `the runs of this session differ at trace event #${n}: ${describe(known)} then ${describe(event)}; ` +
            "a run must be deterministic, and reading the world must not change it",
        );
      }
      shared = known;
    } else log.push(event);
    cursor.traced = n + 1;
    cursor.events?.push(shared);
  }

  /** The first `count` events (a new array of the log's objects). */
  prefix(count: number): TraceEvent[] {
    if (count > this.log.length) {
      throw new Error(`shared trace: ${count} events asked for, ${this.log.length} known`);
    }
    return this.log.slice(0, count);
  }
}

function describe(e: TraceEvent): string {
  return `${e.type} on ${e.node} at ${e.t} µs`;
}
