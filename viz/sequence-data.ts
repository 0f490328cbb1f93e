/**
 * The message-sequence (Lamport) diagram's data, as a pure function (no DOM): from the trace's
 * net.send / net.deliver / net.drop events (matched by the network's message id), the messages
 * of a time window between a set of nodes, each with its send time and its end: delivered (with
 * the time), dropped (with the time and reason) or still in flight at the window's end, and the
 * partitions it concerns as the trace shows them (partitionsAround). The view (sequence-view.ts)
 * draws one lane per node, time running down, one row per distinct moment.
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
  /**
   * The partitions ("orders-0") the message concerns, as far as the trace says: named by the
   * sender's events just before the send and the receiver's just after the delivery (see
   * partitionsAround); empty when the trace names none (a Fetch with no records, a heartbeat).
   */
  readonly partitions: readonly string[];
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

/** The partition an event names: `topic` + numeric `partition` fields, as "topic-N"; else undefined. */
export function partitionOf(e: TraceEvent): string | undefined {
  const { topic, partition } = e;
  if (typeof topic === "string" && typeof partition === "number") return `${topic}-${partition}`;
  return undefined;
}

/** The most events looked at on either side of a send or a delivery. */
const AROUND_LIMIT = 256;

/**
 * The partitions named by the events a node emitted in the same microsecond right next to the
 * `net.*` event at `index`: going back from a send (`step` -1: the producer's `producer.send` for
 * the batches it is about to send) or forward from a delivery (+1: the follower's
 * `replica.append`, the leader's `produce.append`, the controller's `partition.isr` for the
 * request it handles). A handler's events are contiguous in the trace, so the scan stops at the
 * first event of another moment or node, or at another `net.*` event (another message). An event
 * with a numeric `broker` field naming a broker other than the message's receiver (a producer's
 * batch for another leader) does not count. Sorted, without duplicates.
 */
export function partitionsAround(
  events: readonly TraceEvent[],
  index: number,
  step: -1 | 1,
): string[] {
  const at = events[index];
  if (at === undefined) throw new Error(`partitionsAround: no event at ${index}`);
  const to = String(at.to);
  const found = new Set<string>();
  for (
    let k = index + step, n = 0;
    k >= 0 && k < events.length && n < AROUND_LIMIT;
    k += step, n++
  ) {
    const e = events[k] as TraceEvent;
    if (e.t !== at.t || e.node !== at.node || e.type.startsWith("net.")) break;
    if (typeof e.broker === "number" && String(e.broker) !== to) continue;
    const p = partitionOf(e);
    if (p !== undefined) found.add(p);
  }
  return [...found].sort();
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
  /** Partitions named around each delivery (by the receiver handling it). */
  const delivered = new Map<number, readonly string[]>();
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
        partitions: partitionsAround(events, i, -1),
      });
    } else if (e.type === "net.deliver") {
      ends.set(id, { kind: "delivered", atUs: e.t });
      if (sends.has(id)) {
        const around = partitionsAround(events, i, 1);
        if (around.length > 0) delivered.set(id, around);
      }
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
    const more = delivered.get(m.id);
    const partitions =
      more === undefined ? m.partitions : [...new Set([...m.partitions, ...more])].sort();
    inWindow.push(end === m.end && more === undefined ? m : { ...m, end, partitions });
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
