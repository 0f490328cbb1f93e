/**
 * The producers' side of the Clients panel, read from the trace one event at a time: per producer,
 * the batches in flight (a `producer.send` not yet answered by `producer.ack` or `producer.error`),
 * the batches waiting to be retried (an error with outcome "retry", until they are sent again),
 * and the latest settled outcomes. Plain data in, plain data out: no DOM, no wall clock.
 *
 * A batch is keyed by its send id (`producer-1:17`): one batch is in one request at a time, so it
 * is in flight at most once. With acks=0 the producer settles a batch as soon as it is on the wire
 * (no answer comes), so it is never in flight. A crash of the producer's host ends every batch in
 * flight or waiting without an outcome: they are listed as "lost with the process" (the history
 * calls them unknown).
 */
import type { TraceEvent } from "../sim/engine/trace.ts";

/** How many settled outcomes each producer keeps for display. */
export const RECENT_OUTCOMES = 6;

export interface InFlightBatch {
  readonly sendId: string;
  readonly tp: string;
  readonly attempt: number;
  readonly broker: number;
  readonly records: number;
  readonly sentAtUs: number;
}

export interface RetryingBatch {
  readonly sendId: string;
  readonly tp: string;
  readonly attempt: number;
  readonly error: string;
  readonly sinceUs: number;
}

export type OutcomeKind = "acknowledged" | "failed" | "unknown" | "expired" | "lost";

export interface SettledBatch {
  readonly sendId: string;
  readonly tp: string;
  readonly outcome: OutcomeKind;
  /** The offset for an acknowledged batch, the error otherwise. */
  readonly detail: string;
  readonly atUs: number;
}

export interface ProducerTrack {
  readonly clientId: string;
  /** acks as the producer resolved it ("0", "1", "all"); "" until its config event. */
  acks: string;
  /** In send order (the map keeps insertion order). */
  readonly inFlight: Map<string, InFlightBatch>;
  readonly retrying: Map<string, RetryingBatch>;
  /** Newest last, at most RECENT_OUTCOMES. */
  readonly recent: SettledBatch[];
  /** Batches sent more than once (attempt > 1 seen). */
  resent: number;
  /** Counted from the events (the panel shows the producer's own stats beside them). */
  readonly outcomes: Record<OutcomeKind, number>;
}

function str(e: TraceEvent, name: string): string {
  const v = e[name];
  return v === undefined || v === null ? "" : String(v);
}

function num(e: TraceEvent, name: string): number {
  const v = e[name];
  return typeof v === "number" ? v : Number(v ?? Number.NaN);
}

/** Follows the producers of a run through its trace events. */
export class ProducerTracker {
  readonly producers = new Map<string, ProducerTrack>();

  /** Producers known in advance (the scenario's), so they are listed before their first event. */
  constructor(clientIds: readonly string[] = []) {
    for (const id of clientIds) this.track(id);
  }

  private track(clientId: string): ProducerTrack {
    let t = this.producers.get(clientId);
    if (t === undefined) {
      t = {
        clientId,
        acks: "",
        inFlight: new Map(),
        retrying: new Map(),
        recent: [],
        resent: 0,
        outcomes: { acknowledged: 0, failed: 0, unknown: 0, expired: 0, lost: 0 },
      };
      this.producers.set(clientId, t);
    }
    return t;
  }

  private settle(t: ProducerTrack, s: SettledBatch): void {
    t.inFlight.delete(s.sendId);
    t.retrying.delete(s.sendId);
    t.outcomes[s.outcome]++;
    t.recent.push(s);
    if (t.recent.length > RECENT_OUTCOMES) t.recent.shift();
  }

  observe(e: TraceEvent): void {
    switch (e.type) {
      case "producer.config":
        this.track(str(e, "client")).acks = str(e, "acks");
        return;
      case "producer.send": {
        const t = this.track(str(e, "client"));
        const sendId = str(e, "sendId");
        const tp = `${str(e, "topic")}-${num(e, "partition")}`;
        const attempt = num(e, "attempt");
        t.retrying.delete(sendId);
        if (attempt > 1) t.resent++;
        if (t.acks === "0") {
          this.settle(t, { sendId, tp, outcome: "acknowledged", detail: "acks=0", atUs: e.t });
          return;
        }
        t.inFlight.set(sendId, {
          sendId,
          tp,
          attempt,
          broker: num(e, "broker"),
          records: num(e, "count"),
          sentAtUs: e.t,
        });
        return;
      }
      case "producer.ack": {
        const t = this.track(str(e, "client"));
        const sendId = str(e, "sendId");
        const tp = `${str(e, "topic")}-${num(e, "partition")}`;
        this.settle(t, {
          sendId,
          tp,
          outcome: "acknowledged",
          detail: `offset ${num(e, "offset")}`,
          atUs: e.t,
        });
        return;
      }
      case "producer.error": {
        const t = this.track(str(e, "client"));
        const sendId = str(e, "sendId");
        const tp = `${str(e, "topic")}-${num(e, "partition")}`;
        const error = str(e, "error");
        const outcome = str(e, "outcome");
        if (outcome === "retry") {
          const attempt = t.inFlight.get(sendId)?.attempt ?? 0;
          t.inFlight.delete(sendId);
          t.retrying.set(sendId, { sendId, tp, attempt, error, sinceUs: e.t });
          return;
        }
        const kind: OutcomeKind =
          outcome === "unknown" ? "unknown" : outcome === "expired" ? "expired" : "failed";
        this.settle(t, { sendId, tp, outcome: kind, detail: error, atUs: e.t });
        return;
      }
      case "host.crash": {
        const t = this.producers.get(e.node);
        if (t === undefined) return;
        const ended = [...t.inFlight.values(), ...t.retrying.values()];
        for (const b of ended) {
          this.settle(t, {
            sendId: b.sendId,
            tp: b.tp,
            outcome: "lost",
            detail: "the producer's process crashed",
            atUs: e.t,
          });
        }
        return;
      }
      default:
        return;
    }
  }
}
