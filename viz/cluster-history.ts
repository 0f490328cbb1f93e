/**
 * What the cluster view needs from the trace rather than from a snapshot: the network faults in
 * force now (the Network keeps its isolations and cuts private, so they are replayed from the
 * `net.isolate` / `net.partition` / `net.cut` / `net.heal` events, with the Network's own rules)
 * and the records thrown away so far (`replica.truncate` per replica, `partition.committed-lost`
 * per partition), kept after the fact so the view can show where they were.
 *
 * `ClusterHistory` reads a session's events incrementally: it remembers how many it consumed and
 * starts over when the list shrank or its first event changed (a seek backwards re-opens the run).
 * No DOM and no clock here: plain data in, plain data out.
 */
import type { TraceEvent } from "../sim/index.ts";

/** Records a replica threw away: offsets [to, from) of its log, at `atUs`. */
export interface Truncation {
  readonly atUs: number;
  readonly broker: number;
  readonly topic: string;
  readonly partition: number;
  /** The log end offset before the truncation. */
  readonly from: number;
  /** The log end offset after it: the first offset thrown away. */
  readonly to: number;
  readonly why: string;
}

/** Committed offsets [from, to) the partition lost as `leader` took over, at `atUs`. */
export interface CommittedLoss {
  readonly atUs: number;
  readonly topic: string;
  readonly partition: number;
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly from: number;
  readonly to: number;
  readonly why: string;
}

/** The network faults touching one node now. */
export interface NodeNetwork {
  /** `net.isolate`: cut off from every other node. */
  readonly isolated: boolean;
  /** Peers that cannot reach this node and that it cannot reach (partition, or cuts both ways). */
  readonly cutOffFrom: readonly string[];
  /** Peers this node cannot send to, though they can send to it (a one-way cut). */
  readonly cannotSendTo: readonly string[];
  /** Peers this node cannot hear from, though it can send to them. */
  readonly cannotHearFrom: readonly string[];
}

/** What the layout reads: the faults in force and every loss so far. */
export interface ClusterHistoryView {
  readonly isolated: ReadonlySet<string>;
  /** Blocked directed links, "from\u0000to" → why ("cut" or "partition"). */
  readonly cuts: ReadonlyMap<string, "cut" | "partition">;
  readonly truncations: readonly Truncation[];
  readonly losses: readonly CommittedLoss[];
}

const NO_FAULTS: NodeNetwork = {
  isolated: false,
  cutOffFrom: [],
  cannotSendTo: [],
  cannotHearFrom: [],
};

export const EMPTY_HISTORY: ClusterHistoryView = {
  isolated: new Set(),
  cuts: new Map(),
  truncations: [],
  losses: [],
};

const linkKey = (from: string, to: string) => `${from}\u0000${to}`;

export class ClusterHistory implements ClusterHistoryView {
  readonly isolated = new Set<string>();
  readonly cuts = new Map<string, "cut" | "partition">();
  readonly truncations: Truncation[] = [];
  readonly losses: CommittedLoss[] = [];
  private consumed = 0;
  private first: TraceEvent | undefined;

  /** Reads the events not read yet; starts over after a seek backwards. Returns this. */
  update(events: readonly TraceEvent[]): this {
    if (events.length < this.consumed || (this.consumed > 0 && events[0] !== this.first))
      this.reset();
    if (this.consumed === 0) this.first = events[0];
    for (let i = this.consumed; i < events.length; i++) this.apply(events[i]!);
    this.consumed = events.length;
    return this;
  }

  /** How many events have been read (for tests). */
  get eventsRead(): number {
    return this.consumed;
  }

  private reset(): void {
    this.isolated.clear();
    this.cuts.clear();
    this.truncations.length = 0;
    this.losses.length = 0;
    this.consumed = 0;
    this.first = undefined;
  }

  /** One event, with the Network's rules (sim/infra/network.ts: partition, isolate, cut, heal). */
  private apply(e: TraceEvent): void {
    switch (e.type) {
      case "net.isolate":
        this.isolated.add(String(e.target));
        return;
      case "net.partition": {
        const groups = (e.groups as unknown as string[][]) ?? [];
        for (let i = 0; i < groups.length; i++)
          for (let j = i + 1; j < groups.length; j++)
            for (const a of groups[i]!)
              for (const b of groups[j]!) {
                if (a === b) continue;
                this.cuts.set(linkKey(a, b), "partition");
                this.cuts.set(linkKey(b, a), "partition");
              }
        return;
      }
      case "net.cut":
        this.cuts.set(linkKey(String(e.from), String(e.to)), "cut");
        return;
      case "net.heal": {
        const target = String(e.target);
        if (target === "all") {
          this.isolated.clear();
          this.cuts.clear();
          return;
        }
        this.isolated.delete(target);
        for (const key of [...this.cuts.keys()]) {
          const [from, to] = key.split("\u0000");
          if (from === target || to === target) this.cuts.delete(key);
        }
        return;
      }
      case "replica.truncate": {
        const from = Number(e.from);
        const to = Number(e.to);
        if (String(e.topic).startsWith("__") || !(from > to)) return;
        this.truncations.push({
          atUs: e.t,
          broker: Number(e.node),
          topic: String(e.topic),
          partition: Number(e.partition),
          from,
          to,
          why: String(e.why),
        });
        return;
      }
      case "partition.committed-lost":
        this.losses.push({
          atUs: e.t,
          topic: String(e.topic),
          partition: Number(e.partition),
          leader: Number(e.leader),
          leaderEpoch: Number(e.leaderEpoch),
          from: Number(e.from),
          to: Number(e.to),
          why: String(e.why),
        });
        return;
    }
  }
}

/**
 * The faults touching `node` among `peers` (other nodes are not listed), peers in the given order.
 * A peer's own isolation is not counted here: the isolated node is the one marked.
 */
export function nodeNetwork(
  history: ClusterHistoryView,
  node: string,
  peers: readonly string[],
): NodeNetwork {
  const isolated = history.isolated.has(node);
  if (!isolated && history.isolated.size === 0 && history.cuts.size === 0) return NO_FAULTS;
  const cutOffFrom: string[] = [];
  const cannotSendTo: string[] = [];
  const cannotHearFrom: string[] = [];
  for (const peer of peers) {
    if (peer === node) continue;
    // An isolated peer carries its own mark: its isolation is not listed on everyone else.
    const out = isolated || history.cuts.has(linkKey(node, peer));
    const back = isolated || history.cuts.has(linkKey(peer, node));
    if (out && back) cutOffFrom.push(peer);
    else if (out) cannotSendTo.push(peer);
    else if (back) cannotHearFrom.push(peer);
  }
  if (!isolated && cutOffFrom.length + cannotSendTo.length + cannotHearFrom.length === 0)
    return NO_FAULTS;
  return { isolated, cutOffFrom, cannotSendTo, cannotHearFrom };
}

/** Every node name a fault mentions (clients included), sorted, for listing peers beyond the cluster. */
export function faultNodes(history: ClusterHistoryView): string[] {
  const names = new Set<string>(history.isolated);
  for (const key of history.cuts.keys()) for (const n of key.split("\u0000")) names.add(n);
  return [...names].sort();
}
