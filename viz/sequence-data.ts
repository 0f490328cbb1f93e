/**
 * The message-sequence (Lamport) diagram's data, as a pure function (no DOM): from the trace's
 * net.send / net.deliver / net.drop events (matched by the network's message id), the messages
 * of a time window between a set of nodes, each with its send time and its end: delivered (with
 * the time), dropped (with the time and reason) or still in flight at the window's end. The view
 * (sequence-view.ts) draws one lane per node, time running down, one row per distinct moment.
 */
import type { TraceEvent } from "../sim/engine/trace.ts";

export interface SequenceOptions {
  /** The window, in virtual µs: messages sent or ended inside it. */
  readonly fromUs: number;
  readonly toUs: number;
  /** The lanes; empty: the nodes of the messages in the window (sorted, brokers first). */
  readonly nodes: readonly string[];
  /** Only messages whose type contains this text (case-insensitive); "" for all. */
  readonly msg: string;
  /** At most this many messages (the latest sent, nearest the window's end); the rest are counted in `omitted`. */
  readonly maxMessages: number;
  /** At most this many lanes when the nodes are not given. */
  readonly maxLanes: number;
}

export type MessageEnd =
  | { readonly kind: "delivered"; readonly atUs: number }
  | { readonly kind: "dropped"; readonly atUs: number; readonly reason: string }
  | { readonly kind: "in-flight" };

export interface SequenceMessage {
  /** The network's message id (unique per run). */
  readonly id: number;
  readonly from: string;
  readonly to: string;
  readonly msg: string;
  readonly bytes: number;
  readonly sentUs: number;
  readonly end: MessageEnd;
}

export interface SequenceData {
  readonly fromUs: number;
  readonly toUs: number;
  readonly lanes: readonly string[];
  readonly messages: readonly SequenceMessage[];
  /** Messages in the window left out by `maxMessages` (the earliest). */
  readonly omitted: number;
  /** The rows of the diagram: the distinct moments of the drawn messages, in order (momentsOf). */
  readonly times: readonly number[];
}

/** The first index of a time-ordered event list whose time is ≥ `us`. */
export function firstAtOrAfter(events: readonly TraceEvent[], us: number): number {
  let lo = 0;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((events[mid] as TraceEvent).t < us) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Brokers and controllers (numeric names) first in number order, then the others by name. */
export function compareNodes(a: string, b: string): number {
  const na = /^\d+$/.test(a);
  const nb = /^\d+$/.test(b);
  if (na && nb) return Number(a) - Number(b);
  if (na !== nb) return na ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * How far before the window a send is looked for, so a message sent before the window and
 * delivered inside it is drawn: network latencies in the bundled scenarios are well under this.
 */
export const LOOKBACK_US = 2_000_000;

/**
 * The messages of the window. `events` is the trace in time order (the session's events, or the
 * event log's known events); messages sent after `toUs` are not drawn, and ends after `toUs` count
 * as "in flight" (the diagram shows the world up to the window's end).
 */
export function buildSequence(events: readonly TraceEvent[], o: SequenceOptions): SequenceData {
  if (!(o.fromUs <= o.toUs)) throw new Error(`sequence: window ${o.fromUs}..${o.toUs} is empty`);
  const start = firstAtOrAfter(events, Math.max(0, o.fromUs - LOOKBACK_US));
  const stop = firstAtOrAfter(events, o.toUs + 1);
  const wanted = o.nodes.length === 0 ? undefined : new Set(o.nodes);
  const needle = o.msg.trim().toLowerCase();
  const sends = new Map<number, SequenceMessage>();
  const ends = new Map<number, MessageEnd>();
  for (let i = start; i < stop; i++) {
    const e = events[i] as TraceEvent;
    if (e.type !== "net.send" && e.type !== "net.deliver" && e.type !== "net.drop") continue;
    const id = e.id;
    if (typeof id !== "number") continue;
    if (e.type === "net.send") {
      const from = String(e.from);
      const to = String(e.to);
      const msg = String(e.msg);
      if (wanted !== undefined && !(wanted.has(from) && wanted.has(to))) continue;
      if (needle !== "" && !msg.toLowerCase().includes(needle)) continue;
      sends.set(id, {
        id,
        from,
        to,
        msg,
        bytes: typeof e.bytes === "number" ? e.bytes : 0,
        sentUs: e.t,
        end: { kind: "in-flight" },
      });
    } else if (e.type === "net.deliver") {
      ends.set(id, { kind: "delivered", atUs: e.t });
    } else {
      ends.set(id, { kind: "dropped", atUs: e.t, reason: String(e.reason ?? "") });
    }
  }
  const inWindow: SequenceMessage[] = [];
  for (const m of sends.values()) {
    const end = ends.get(m.id) ?? m.end;
    const endUs = end.kind === "in-flight" ? o.toUs : end.atUs;
    // Drawn when any part of its life is inside the window.
    if (endUs < o.fromUs) continue;
    inWindow.push(end === m.end ? m : { ...m, end });
  }
  inWindow.sort((a, b) => a.sentUs - b.sentUs || a.id - b.id);
  let lanes: string[];
  if (wanted !== undefined) {
    lanes = [...o.nodes];
  } else {
    const count = new Map<string, number>();
    for (const m of inWindow) {
      count.set(m.from, (count.get(m.from) ?? 0) + 1);
      count.set(m.to, (count.get(m.to) ?? 0) + 1);
    }
    // The busiest nodes when there are too many, drawn in node order.
    lanes = [...count.keys()]
      .sort((a, b) => (count.get(b) ?? 0) - (count.get(a) ?? 0) || compareNodes(a, b))
      .slice(0, o.maxLanes)
      .sort(compareNodes);
  }
  const laneSet = new Set(lanes);
  const between = inWindow.filter((m) => laneSet.has(m.from) && laneSet.has(m.to));
  const keep = Math.max(0, Math.min(between.length, o.maxMessages));
  const messages = between.slice(between.length - keep);
  return {
    fromUs: o.fromUs,
    toUs: o.toUs,
    lanes,
    messages,
    omitted: between.length - messages.length,
    times: momentsOf(messages, o.toUs),
  };
}

/**
 * The diagram's rows: every distinct moment a drawn message is sent, delivered or dropped, in
 * order (a message still in flight ends on the window's end). The diagram spaces its rows evenly,
 * as a Lamport diagram orders events rather than measuring time: messages of 100 µs in a window
 * of 20 ms would otherwise be flat lines.
 */
export function momentsOf(messages: readonly SequenceMessage[], toUs: number): number[] {
  const times = new Set<number>();
  for (const m of messages) {
    times.add(m.sentUs);
    times.add(m.end.kind === "in-flight" ? toUs : m.end.atUs);
  }
  return [...times].sort((a, b) => a - b);
}
