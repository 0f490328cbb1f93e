/**
 * The Network view's model: reads a session's trace events incrementally and keeps what the view
 * draws. Messages (net.send, matched by id with net.deliver / net.drop): those in flight now and
 * those that ended a moment ago. Link faults, replaying the network's own rules (sim/infra/network.ts)
 * from its fault events: cuts and partitions (per direction), isolated nodes, holds, extra delays
 * and throttled NICs, undone by net.release and net.heal. Pure data, no DOM; the trace is the only
 * input, so the same moment always gives the same model.
 *
 * Invariant: a message id is in at most one state (in flight, delivered, dropped), and the model
 * has consumed exactly `consumed` events of the current run.
 */
import type { TraceEvent } from "../sim/engine/trace.ts";

export type NodeKind = "broker" | "controller" | "client";

/** A message as the view draws it. `endUs` is undefined while it is in flight. */
export interface NetMessageView {
  readonly id: number;
  readonly from: string;
  readonly to: string;
  readonly msg: string;
  readonly bytes: number;
  readonly sentUs: number;
  /** The link's extra delay (a fault) when it was sent, µs. */
  readonly extraUs: number;
  endUs: number | undefined;
  end: "delivered" | "dropped" | undefined;
  /** Why it was dropped (cut, partition, isolated, reset, node-down). */
  reason: string | undefined;
}

/** Fault state per directed link and per node, as the network's fault events left it. */
export interface LinkFaults {
  /** Directed key `from→to` → "cut" | "partition". */
  readonly cut: Map<string, "cut" | "partition">;
  readonly held: Set<string>;
  /** Directed key → extra latency, µs (only non-zero). */
  readonly delay: Map<string, number>;
  readonly isolated: Set<string>;
  /** Node → NIC bandwidth set by a throttle, bits per second. */
  readonly throttle: Map<string, number>;
}

/** How long ended messages are kept (the longest trail the view offers, and the fall). */
export const KEEP_ENDED_US = 1_000_000;

export function linkKey(from: string, to: string): string {
  return `${from}→${to}`;
}

export function emptyFaults(): LinkFaults {
  return {
    cut: new Map(),
    held: new Set(),
    delay: new Map(),
    isolated: new Set(),
    throttle: new Map(),
  };
}

function str(v: unknown): string {
  return typeof v === "string" ? v : String(v);
}

function num(v: unknown): number {
  return typeof v === "number" ? v : Number(v);
}

/** Applies one network fault event to the fault state, as the network applied it. */
export function applyFault(f: LinkFaults, e: TraceEvent): void {
  switch (e.type) {
    case "net.cut": {
      const key = linkKey(str(e.from), str(e.to));
      f.cut.set(key, "cut");
      f.held.delete(key);
      return;
    }
    case "net.partition": {
      const groups = (e.groups as unknown as unknown[][]).map((g) => g.map(str));
      for (let i = 0; i < groups.length; i++)
        for (let j = i + 1; j < groups.length; j++)
          for (const a of groups[i]!)
            for (const b of groups[j]!) {
              if (a === b) continue;
              for (const key of [linkKey(a, b), linkKey(b, a)]) {
                f.cut.set(key, "partition");
                f.held.delete(key);
              }
            }
      return;
    }
    case "net.isolate":
      f.isolated.add(str(e.target));
      return;
    case "net.hold": {
      const key = linkKey(str(e.from), str(e.to));
      if (!f.cut.has(key)) f.held.add(key);
      return;
    }
    case "net.release":
      f.held.delete(linkKey(str(e.from), str(e.to)));
      return;
    case "net.delay": {
      const extra = num(e.extraUs);
      const keys = [linkKey(str(e.from), str(e.to))];
      if (e.oneWay !== true) keys.push(linkKey(str(e.to), str(e.from)));
      for (const key of keys) {
        if (extra > 0) f.delay.set(key, extra);
        else f.delay.delete(key);
      }
      return;
    }
    case "net.throttle":
      f.throttle.set(str(e.target), num(e.bandwidthBitsPerSec));
      return;
    case "net.heal": {
      const target = str(e.target);
      if (target === "all") {
        f.cut.clear();
        f.held.clear();
        f.delay.clear();
        f.isolated.clear();
        f.throttle.clear();
        return;
      }
      const touches = (key: string) => {
        const [a, b] = key.split("→");
        return a === target || b === target;
      };
      for (const m of [f.cut, f.delay])
        for (const key of [...m.keys()]) if (touches(key)) m.delete(key);
      for (const key of [...f.held]) if (touches(key)) f.held.delete(key);
      f.isolated.delete(target);
      f.throttle.delete(target);
      return;
    }
    default:
      return;
  }
}

/** Why from → to is blocked now, or undefined when it is open (a hold does not block). */
export function blockOf(f: LinkFaults, from: string, to: string): string | undefined {
  if (f.isolated.has(from) || f.isolated.has(to)) return "isolated";
  return f.cut.get(linkKey(from, to));
}

export class NetworkModel {
  /** Messages by id, in send order: every one in flight, and those ended within KEEP_ENDED_US. */
  readonly messages = new Map<number, NetMessageView>();
  readonly faults: LinkFaults = emptyFaults();
  /** Every node seen on the network (senders, receivers, fault targets), in order of appearance. */
  readonly nodesSeen: string[] = [];
  /** Unordered pairs that have carried a message, `a↔b` with a < b. */
  readonly pairs = new Set<string>();
  /** The latest delivery time of each directed link minus its extra delay, µs: the estimate's base. */
  readonly baseLatencyUs = new Map<string, number>();
  inFlight = 0;
  consumed = 0;
  private source: readonly TraceEvent[] | undefined;
  private readonly seen = new Set<string>();

  /**
   * Reads the events not yet consumed. Returns false when `events` is not the list this model has
   * read (a seek back or a fork rebuilt it): the caller must start a new model.
   */
  read(events: readonly TraceEvent[], nowUs: number): boolean {
    if (this.source === undefined) this.source = events;
    if (events !== this.source || events.length < this.consumed) return false;
    for (let i = this.consumed; i < events.length; i++) this.consume(events[i]!);
    this.consumed = events.length;
    this.prune(nowUs);
    return true;
  }

  private see(node: string): void {
    if (this.seen.has(node)) return;
    this.seen.add(node);
    this.nodesSeen.push(node);
  }

  private consume(e: TraceEvent): void {
    if (!e.type.startsWith("net.")) return;
    switch (e.type) {
      case "net.send": {
        const from = str(e.from);
        const to = str(e.to);
        if (from === to) return; // loopback: no link, no latency
        this.see(from);
        this.see(to);
        this.pairs.add(from < to ? `${from}↔${to}` : `${to}↔${from}`);
        const id = num(e.id);
        if (this.messages.has(id)) throw new Error(`net.send of message ${id} twice`);
        this.messages.set(id, {
          id,
          from,
          to,
          msg: str(e.msg),
          bytes: num(e.bytes),
          sentUs: e.t,
          extraUs: this.faults.delay.get(linkKey(from, to)) ?? 0,
          endUs: undefined,
          end: undefined,
          reason: undefined,
        });
        this.inFlight++;
        return;
      }
      case "net.deliver":
      case "net.drop": {
        const m = this.messages.get(num(e.id));
        if (m === undefined) return; // a loopback, or sent before what this model has seen
        if (m.end !== undefined) throw new Error(`message ${m.id} ended twice`);
        m.endUs = e.t;
        this.inFlight--;
        if (e.type === "net.deliver") {
          m.end = "delivered";
          this.baseLatencyUs.set(linkKey(m.from, m.to), Math.max(0, e.t - m.sentUs - m.extraUs));
        } else {
          m.end = "dropped";
          m.reason = str(e.reason);
        }
        return;
      }
      default:
        for (const field of ["target", "from", "to"] as const) {
          const v = e[field];
          if (typeof v === "string" && v !== "all") this.see(v);
        }
        applyFault(this.faults, e);
    }
  }

  /** Forgets messages that ended more than KEEP_ENDED_US ago (they are in send order). */
  private prune(nowUs: number): void {
    const horizon = nowUs - KEEP_ENDED_US;
    for (const [id, m] of this.messages) {
      if (m.sentUs >= horizon) break;
      if (m.endUs !== undefined && m.endUs < horizon) this.messages.delete(id);
    }
  }
}
