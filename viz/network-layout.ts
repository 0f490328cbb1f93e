/**
 * The Network view's layout: turns the network model (network-model.ts) and the session's nodes
 * into plain drawing data: nodes on a circle (brokers and controllers first, then clients), one
 * line per pair of nodes that has talked, a lane per faulted direction with its label ("cut",
 * "one-way cut", "slow +50 ms", "held", "isolated"), and the messages along their lanes. Pure:
 * data in, data out, tested in Node.
 *
 * Where a message is drawn: the fraction of its trip done, (now − sent) ÷ expected trip, where the
 * expected trip is the link's latest observed delivery time (or the scenario's latency) plus the
 * link's extra delay. With a trail T > 0 every trip is drawn as lasting at least T (slow motion),
 * so messages of ~100 µs are seen moving at normal playback speed; with T = 0 only messages really
 * in flight now are drawn. A dropped message falls from where it was lost and fades.
 */
import { PALETTE } from "./cluster-layout.ts";
import {
  blockOf,
  type LinkFaults,
  linkKey,
  type NetMessageView,
  type NetworkModel,
  type NodeKind,
} from "./network-model.ts";

export const NET_SVG = { width: 640, height: 380, nodeRadius: 20, laneOffset: 5 } as const;
/** At most this many messages are drawn (the latest sent). */
export const MAX_DRAWN = 200;
/** A drop falls and fades for at least this long, µs of virtual time. */
export const MIN_FALL_US = 50_000;
/** How far a dropped message falls, px. */
export const FALL_PX = 36;
/** Okabe-Ito reddish purple for clients (the cluster view has no client colour). */
export const CLIENT_COLOUR = "#CC79A7";

export interface NetNodeInput {
  readonly name: string;
  readonly kind: NodeKind;
  /** "up", "process-crashed", "powered-off"; undefined when unknown (clients). */
  readonly host?: string;
}

export interface NetNode {
  readonly key: string;
  readonly name: string;
  readonly kind: NodeKind;
  readonly x: number;
  readonly y: number;
  readonly fill: string;
  readonly dash: string;
  /** The first line under the circle ("broker 1", "producer-1"). */
  readonly title: string;
  /** State in words: "down", "isolated", "throttled 1 Mbit/s", or "". */
  readonly status: string;
}

export interface NetLink {
  readonly key: string;
  readonly x1: number;
  readonly y1: number;
  readonly x2: number;
  readonly y2: number;
}

export type LaneKind = "cut" | "partition" | "isolated" | "held" | "slow";

export interface NetLane extends NetLink {
  readonly from: string;
  readonly to: string;
  readonly kind: LaneKind;
  /** The words drawn at the lane's middle; "" when the reverse lane already says it. */
  readonly label: string;
  readonly labelX: number;
  readonly labelY: number;
  /** Whom a click heals: `heal: <node>` removes every fault touching that node. */
  readonly healNode: string;
  readonly stroke: string;
  readonly dash: string;
}

export interface NetDot {
  readonly key: number;
  readonly x: number;
  readonly y: number;
  readonly state: "flight" | "held" | "delivered" | "dropped";
  readonly shape: "request" | "response";
  readonly label: string;
  readonly opacity: number;
  readonly title: string;
}

export interface NetLayout {
  readonly nodes: NetNode[];
  readonly links: NetLink[];
  readonly lanes: NetLane[];
  readonly dots: NetDot[];
  /** Messages really in flight now (drawn or not). */
  readonly inFlight: number;
  /** Dropped messages among those drawn (falling now). */
  readonly dropsShown: number;
}

export interface LayoutOptions {
  readonly nowUs: number;
  /** Every trip drawn as lasting at least this, µs (0: real time). */
  readonly trailUs: number;
  /** The scenario's one-way latency, for links that have delivered nothing yet. */
  readonly defaultLatencyUs: number;
}

/** Nodes in drawing order: the session's brokers and controllers, then every other node seen. */
export function orderNodes(
  sessionNodes: readonly NetNodeInput[],
  seen: readonly string[],
): NetNodeInput[] {
  const out = [...sessionNodes];
  const known = new Set(out.map((n) => n.name));
  for (const name of seen) if (!known.has(name)) out.push({ name, kind: "client" });
  return out;
}

function nodeStatus(n: NetNodeInput, faults: LinkFaults): string {
  const words: string[] = [];
  if (n.host === "process-crashed") words.push("down (crashed)");
  else if (n.host === "powered-off") words.push("down (power off)");
  if (faults.isolated.has(n.name)) words.push("isolated");
  const bw = faults.throttle.get(n.name);
  if (bw !== undefined) words.push(`throttled ${formatBandwidth(bw)}`);
  return words.join(", ");
}

export function formatBandwidth(bitsPerSec: number): string {
  if (bitsPerSec >= 1e9) return `${+(bitsPerSec / 1e9).toFixed(2)} Gbit/s`;
  if (bitsPerSec >= 1e6) return `${+(bitsPerSec / 1e6).toFixed(2)} Mbit/s`;
  if (bitsPerSec >= 1e3) return `${+(bitsPerSec / 1e3).toFixed(2)} kbit/s`;
  return `${bitsPerSec} bit/s`;
}

export function formatMicros(us: number): string {
  if (us >= 1_000_000) return `${+(us / 1_000_000).toFixed(2)} s`;
  if (us >= 1000) return `${+(us / 1000).toFixed(2)} ms`;
  return `${us} µs`;
}

/** Nodes evenly (by angle) on an ellipse, the first at the top, clockwise. */
export function placeNodes(inputs: readonly NetNodeInput[], faults: LinkFaults): NetNode[] {
  const cx = NET_SVG.width / 2;
  const cy = NET_SVG.height / 2 - 8;
  // An ellipse filling the drawing, leaving room for the labels under the nodes.
  const rx = NET_SVG.width / 2 - 80;
  const ry = NET_SVG.height / 2 - 52;
  return inputs.map((n, i) => {
    const angle = -Math.PI / 2 + (2 * Math.PI * i) / Math.max(1, inputs.length);
    const down = n.host === "process-crashed" || n.host === "powered-off";
    const fill = down
      ? n.host === "powered-off"
        ? PALETTE.poweredOff
        : PALETTE.crashed
      : n.kind === "broker"
        ? PALETTE.up
        : n.kind === "controller"
          ? PALETTE.controller
          : CLIENT_COLOUR;
    return {
      key: n.name,
      name: n.name,
      kind: n.kind,
      x: round(cx + rx * Math.cos(angle)),
      y: round(cy + ry * Math.sin(angle)),
      fill,
      dash: down ? (n.host === "powered-off" ? "2 3" : "6 4") : n.kind === "client" ? "3 2" : "",
      title: n.kind === "client" ? n.name : `${n.kind} ${n.name}`,
      status: nodeStatus(n, faults),
    };
  });
}

function round(v: number): number {
  return Math.round(v * 10) / 10;
}

/** The segment from a to b, shortened by the node radius at both ends and moved `offset` px to the right of travel. */
function segment(a: NetNode, b: NetNode, offset: number) {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const len = Math.hypot(dx, dy) || 1;
  const ux = dx / len;
  const uy = dy / len;
  const ox = -uy * offset;
  const oy = ux * offset;
  const r = NET_SVG.nodeRadius + 2;
  return {
    x1: round(a.x + ux * r + ox),
    y1: round(a.y + uy * r + oy),
    x2: round(b.x - ux * r + ox),
    y2: round(b.y - uy * r + oy),
    nx: -uy,
    ny: ux,
  };
}

/** How many faults touch a node (cuts, holds, delays of its links; its isolation and throttle). */
function faultCount(f: LinkFaults, node: string): number {
  let n = (f.isolated.has(node) ? 1 : 0) + (f.throttle.has(node) ? 1 : 0);
  const touches = (key: string) => {
    const [a, b] = key.split("→");
    return a === node || b === node;
  };
  for (const key of f.cut.keys()) if (touches(key)) n++;
  for (const key of f.delay.keys()) if (touches(key)) n++;
  for (const key of f.held) if (touches(key)) n++;
  return n;
}

/**
 * The node whose `heal` undoes the fault on from → to while undoing as little else as possible: an
 * isolated end, else the end touched by fewer faults (from on a tie).
 */
export function healNodeFor(f: LinkFaults, from: string, to: string): string {
  if (f.isolated.has(from)) return from;
  if (f.isolated.has(to)) return to;
  return faultCount(f, to) < faultCount(f, from) ? to : from;
}

/** The faulted lanes of a directed link and what they say; [] when the link is healthy. */
function laneFaults(
  f: LinkFaults,
  from: string,
  to: string,
): { kind: LaneKind; text: string; quiet: boolean } | undefined {
  const block = blockOf(f, from, to);
  const key = linkKey(from, to);
  const delay = f.delay.get(key);
  const slow = delay === undefined ? "" : `slow +${formatMicros(delay)}`;
  if (block !== undefined) {
    const back = blockOf(f, to, from);
    const both = back !== undefined;
    const text =
      block === "isolated"
        ? "isolated"
        : block === "partition"
          ? both
            ? "cut (partition)"
            : "one-way cut (partition)"
          : both
            ? "cut"
            : `one-way cut ${from}→${to}`;
    // Both ways blocked for the same reason: one label is enough (on the first lane by name).
    const quiet = both && back === block && from > to;
    return { kind: block as LaneKind, text, quiet };
  }
  if (f.held.has(key))
    return { kind: "held", text: `held ${from}→${to}${slow ? `, ${slow}` : ""}`, quiet: false };
  if (delay !== undefined) {
    const back = f.delay.get(linkKey(to, from));
    const quiet = back === delay && from > to;
    return { kind: "slow", text: back === delay ? slow : `${slow} ${from}→${to}`, quiet };
  }
  return undefined;
}

const LANE_STYLE: Readonly<Record<LaneKind, { stroke: string; dash: string }>> = {
  cut: { stroke: PALETTE.crashed, dash: "6 4" },
  partition: { stroke: PALETTE.crashed, dash: "6 4" },
  isolated: { stroke: PALETTE.crashed, dash: "2 4" },
  held: { stroke: PALETTE.fenced, dash: "1 3" },
  slow: { stroke: PALETTE.controller, dash: "10 3" },
};

/** "FetchRequest" → "Fetch", "FetchResponse" → "Fetch ↩". */
export function shortName(msg: string): { label: string; shape: "request" | "response" } {
  if (msg.endsWith("Response")) return { label: `${msg.slice(0, -8)} ↩`, shape: "response" };
  if (msg.endsWith("Request")) return { label: msg.slice(0, -7), shape: "request" };
  return { label: msg, shape: "request" };
}

/** The expected trip of a message, µs (at least 1). */
export function expectedTripUs(
  model: NetworkModel,
  m: NetMessageView,
  defaultLatencyUs: number,
): number {
  const base = model.baseLatencyUs.get(linkKey(m.from, m.to)) ?? defaultLatencyUs;
  return Math.max(1, base + m.extraUs);
}

export function layoutNetwork(
  model: NetworkModel,
  inputs: readonly NetNodeInput[],
  options: LayoutOptions,
): NetLayout {
  const f = model.faults;
  const nodes = placeNodes(inputs, f);
  const byName = new Map(nodes.map((n) => [n.name, n]));

  // Lines: every pair that has talked, and every pair with a fault.
  const pairs = new Set(model.pairs);
  const faultedDirs = new Set<string>([...f.cut.keys(), ...f.held, ...f.delay.keys()]);
  for (const iso of f.isolated)
    for (const n of nodes)
      if (n.name !== iso) faultedDirs.add(linkKey(iso, n.name)).add(linkKey(n.name, iso));
  for (const key of faultedDirs) {
    const [a, b] = key.split("→") as [string, string];
    pairs.add(a < b ? `${a}↔${b}` : `${b}↔${a}`);
  }
  const links: NetLink[] = [];
  const lanes: NetLane[] = [];
  for (const pair of [...pairs].sort()) {
    const [a, b] = pair.split("↔") as [string, string];
    const na = byName.get(a);
    const nb = byName.get(b);
    if (na === undefined || nb === undefined) continue;
    const s = segment(na, nb, 0);
    links.push({ key: pair, x1: s.x1, y1: s.y1, x2: s.x2, y2: s.y2 });
    for (const [from, to] of [
      [na, nb],
      [nb, na],
    ] as const) {
      const fault = laneFaults(f, from.name, to.name);
      if (fault === undefined) continue;
      const lane = segment(from, to, NET_SVG.laneOffset);
      const style = LANE_STYLE[fault.kind];
      lanes.push({
        key: linkKey(from.name, to.name),
        from: from.name,
        to: to.name,
        kind: fault.kind,
        label: fault.quiet ? "" : fault.text,
        labelX: round((lane.x1 + lane.x2) / 2 + lane.nx * 10),
        labelY: round((lane.y1 + lane.y2) / 2 + lane.ny * 10),
        healNode: healNodeFor(f, from.name, to.name),
        x1: lane.x1,
        y1: lane.y1,
        x2: lane.x2,
        y2: lane.y2,
        stroke: style.stroke,
        dash: style.dash,
      });
    }
  }

  // Messages: the latest MAX_DRAWN visible ones.
  const { nowUs, trailUs, defaultLatencyUs } = options;
  const fallUs = Math.max(trailUs, MIN_FALL_US);
  const dots: NetDot[] = [];
  let dropsShown = 0;
  // Newest first, so the walk stops at MAX_DRAWN; reversed into send order at the end.
  const all = [...model.messages.values()];
  for (let i = all.length - 1; i >= 0 && dots.length < MAX_DRAWN; i--) {
    const m = all[i]!;
    const a = byName.get(m.from);
    const b = byName.get(m.to);
    if (a === undefined || b === undefined || m.sentUs > nowUs) continue;
    const trip = expectedTripUs(model, m, defaultLatencyUs);
    const shown = Math.max(trip, trailUs);
    let p: number;
    let state: NetDot["state"];
    let opacity = 1;
    let dy = 0;
    if (m.end === undefined) {
      p = (nowUs - m.sentUs) / shown;
      state = "flight";
      if (p >= 0.97) {
        p = f.held.has(linkKey(m.from, m.to)) ? 1 : 0.97;
        if (p === 1) state = "held";
      }
    } else if (m.end === "delivered") {
      p = (nowUs - m.sentUs) / shown;
      if (p >= 1 || m.endUs === undefined || trailUs === 0) continue; // real time: it has arrived
      state = nowUs >= m.endUs ? "delivered" : "flight";
    } else {
      const endUs = m.endUs ?? nowUs;
      const q = (nowUs - endUs) / fallUs;
      if (q >= 1) continue;
      p = Math.min(0.95, Math.max(0.05, (endUs - m.sentUs) / trip));
      state = "dropped";
      opacity = round(1 - q);
      dy = round(q * FALL_PX);
      dropsShown++;
    }
    const s = segment(a, b, NET_SVG.laneOffset);
    const { label, shape } = shortName(m.msg);
    dots.push({
      key: m.id,
      x: round(s.x1 + (s.x2 - s.x1) * p),
      y: round(s.y1 + (s.y2 - s.y1) * p + dy),
      state,
      shape,
      label: state === "dropped" ? `${label} ✕` : label,
      opacity,
      title: `#${m.id} ${m.msg} ${m.from}→${m.to}, ${m.bytes} B, sent ${formatMicros(m.sentUs)}${
        m.end === "dropped" ? `, dropped (${m.reason})` : m.end === "delivered" ? ", delivered" : ""
      }`,
    });
  }
  return {
    nodes,
    links,
    lanes,
    dots: dots.reverse(),
    inFlight: model.inFlight,
    dropsShown,
  };
}
