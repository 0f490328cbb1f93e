/**
 * The cluster view's layout: from a session state (plain data) to what is drawn (plain data):
 * one box per broker or dedicated controller (with the network faults cutting it off), one row per
 * partition, one bar per replica with the positions of its log start, HW, LEO, flushed offset,
 * segment boundaries and LSO, and the records truncated or lost marked where they were (from the
 * trace, folded by cluster-history.ts). No DOM here, so the layout is tested in Node;
 * cluster-view.ts draws it with D3.
 *
 * State is shown twice, by colour (the Okabe-Ito palette, safe for the common colour-vision
 * deficiencies) and by a label and a border style, so nothing depends on colour alone.
 */
import type { SessionNode, SessionPartition, SessionReplica, SessionState } from "../sim/index.ts";
import {
  type ClusterHistoryView,
  type CommittedLoss,
  EMPTY_HISTORY,
  faultNodes,
  type NodeNetwork,
  nodeNetwork,
  type Truncation,
} from "./cluster-history.ts";

/** Okabe & Ito (2008), "Color Universal Design". */
export const PALETTE = {
  up: "#009E73",
  starting: "#56B4E9",
  fenced: "#E69F00",
  crashed: "#D55E00",
  poweredOff: "#555555",
  controller: "#0072B2",
  committed: "#0072B2",
  uncommitted: "#9ecae1",
  track: "#eeeeee",
  /** Network faults (reddish purple) and records thrown away (vermillion hatching). */
  network: "#CC79A7",
  lost: "#D55E00",
} as const;

export type NodeLook = "up" | "starting" | "fenced" | "crashed" | "powered-off";

export interface NodeBox {
  readonly key: string;
  readonly name: string;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly title: string;
  readonly look: NodeLook;
  /** The state in words, always drawn. */
  readonly label: string;
  readonly fill: string;
  /** Solid when up, dashed when crashed, dotted when powered off. */
  readonly dash: string;
  readonly activeController: boolean;
  /** What a click does now. */
  readonly clickAction: "crash" | "restart";
  /** The network faults touching the node now (peers among the nodes and clients named by faults). */
  readonly network: NodeNetwork;
  /** The faults in a few words for the box ("" when none): "⚡ isolated", "⚡ cut off from 2,3". */
  readonly networkLabel: string;
  /** The faults in full words (for the accessible label), "" when none. */
  readonly networkDescription: string;
}

/** Records a replica truncated, on its bar: pixel span from the bar's left, kept after the fact. */
export interface TruncationMark {
  readonly x: number;
  readonly width: number;
  readonly label: string;
  readonly truncation: Truncation;
}

/** Committed records a partition lost, over all its bars. */
export interface LossMark {
  readonly x: number;
  readonly width: number;
  readonly label: string;
  readonly loss: CommittedLoss;
}

export interface ReplicaBar {
  readonly key: string;
  readonly broker: number;
  readonly y: number;
  readonly label: string;
  readonly leader: boolean;
  /** "ISR", "ELR", "out of ISR", or "not hosted". */
  readonly membership: string;
  readonly role: string;
  /** Pixel positions, from the bar's left. */
  readonly startX: number;
  readonly hwX: number;
  readonly leoX: number;
  readonly flushedX: number;
  readonly offsets: string;
  readonly hosted: boolean;
  /** Height of the replica's line: taller when a truncation label sits under the bar. */
  readonly height: number;
  /** Segment boundaries: the base offsets after the first segment, px from the bar's left. */
  readonly segmentTicks: readonly number[];
  /** The last stable offset, px, only where it differs from the HW (an open transaction). */
  readonly lsoX: number | null;
  /** Aborted transactions in the log (first offset to the ABORT marker), px from the bar's left. */
  readonly abortedSpans: ReadonlyArray<{
    readonly x: number;
    readonly width: number;
    readonly key: string;
  }>;
  /** Ranges this replica truncated, oldest first. */
  readonly truncations: readonly TruncationMark[];
  /** All of them in words, under the bar ("" when none). */
  readonly truncationLabel: string;
}

export interface PartitionRow {
  readonly key: string;
  readonly y: number;
  readonly height: number;
  readonly title: string;
  readonly leader: number | null;
  readonly replicas: readonly ReplicaBar[];
  /** Committed offsets the partition lost, one line each under the title. */
  readonly losses: readonly LossMark[];
  /** Where the first replica's line begins, px from the row's top (below the loss lines). */
  readonly barsTop: number;
}

export interface ClusterLayout {
  readonly width: number;
  readonly height: number;
  readonly nodes: readonly NodeBox[];
  readonly partitions: readonly PartitionRow[];
  /** Where the bars begin and how wide they are, px. */
  readonly barX: number;
  readonly barWidth: number;
}

/** Wide enough for the offsets text right of the bars. */
const WIDTH = 1080;
const BOX_W = 150;
const BOX_H = 84;
/** Characters of 12 px text that fit on a line of a box. */
const BOX_CHARS = 22;
const GAP = 16;
const ROW_H = 22;
const BAR_X = 220;
const BAR_W = 480;
/** A line of text under a title or a bar (a loss or a truncation). */
const NOTE_H = 14;
/** At most this many segment boundaries are drawn per bar, and none closer than MIN_TICK_GAP px. */
const MAX_TICKS = 200;
const MIN_TICK_GAP = 2;
/** A truncated or lost range is drawn at least this wide, px, so one record still shows. */
const MIN_MARK_W = 3;
/** Where the legend of the bars sits, px (two lines, LEGEND_LINE apart). */
export const LEGEND_Y = 10 + BOX_H + 14;
export const LEGEND_LINE = 16;
/** At most this many partitions are drawn; the rest are counted in the title. */
export const MAX_PARTITIONS = 24;

export function nodeLook(n: SessionNode): NodeLook {
  if (n.host === "powered-off") return "powered-off";
  if (n.host === "process-crashed") return "crashed";
  if (n.brokerState !== null && n.brokerState !== "running") return "starting";
  if (n.fenced === true) return "fenced";
  return "up";
}

const LOOK: Record<NodeLook, { fill: string; dash: string; label: (n: SessionNode) => string }> = {
  up: { fill: PALETTE.up, dash: "", label: () => "up" },
  starting: { fill: PALETTE.starting, dash: "", label: (n) => n.brokerState ?? "starting" },
  fenced: { fill: PALETTE.fenced, dash: "8 3", label: () => "up, fenced" },
  crashed: { fill: PALETTE.crashed, dash: "6 4", label: () => "process crashed" },
  "powered-off": { fill: PALETTE.poweredOff, dash: "2 3", label: () => "powered off" },
};

/** Seconds with two decimals: "20.08 s". */
export function formatSeconds(us: number): string {
  return `${(us / 1_000_000).toFixed(2)} s`;
}

/** Names for a box: runs of three or more consecutive node ids shortened ("2,3,4,5" → "2–5"). */
export function compactNames(names: readonly string[]): string {
  const out: string[] = [];
  for (let i = 0; i < names.length; ) {
    let j = i;
    while (
      j + 1 < names.length &&
      /^\d+$/.test(names[j]!) &&
      /^\d+$/.test(names[j + 1]!) &&
      Number(names[j + 1]) === Number(names[j]) + 1
    )
      j++;
    out.push(j - i >= 2 ? `${names[i]}–${names[j]}` : names.slice(i, j + 1).join(","));
    i = j + 1;
  }
  return out.join(",");
}

/** The node's network faults: a short label for the box and a full description. */
export function describeNetwork(net: NodeNetwork): { label: string; description: string } {
  if (net.isolated) return { label: "⚡ isolated", description: "isolated from every node" };
  const parts: string[] = [];
  const short: string[] = [];
  if (net.cutOffFrom.length > 0) {
    parts.push(`cut off from ${net.cutOffFrom.join(", ")}`);
    short.push(`cut off from ${compactNames(net.cutOffFrom)}`);
  }
  if (net.cannotSendTo.length > 0) {
    parts.push(`cannot send to ${net.cannotSendTo.join(", ")}`);
    short.push(`can't send to ${compactNames(net.cannotSendTo)}`);
  }
  if (net.cannotHearFrom.length > 0) {
    parts.push(`cannot hear from ${net.cannotHearFrom.join(", ")}`);
    short.push(`can't hear ${compactNames(net.cannotHearFrom)}`);
  }
  if (parts.length === 0) return { label: "", description: "" };
  const label = `⚡ ${short.join(" · ")}`;
  // About 22 characters fit in a box (12 px text); the full list is in the description.
  const fits = label.length <= BOX_CHARS ? label : `${label.slice(0, BOX_CHARS - 1)}…`;
  return { label: fits, description: parts.join("; ") };
}

function nodeBoxes(nodes: readonly SessionNode[], history: ClusterHistoryView): NodeBox[] {
  const peers = [...nodes.map((n) => n.name)];
  for (const name of faultNodes(history)) if (!peers.includes(name)) peers.push(name);
  return nodes.map((n, i) => {
    const look = nodeLook(n);
    const style = LOOK[look];
    const network = nodeNetwork(history, n.name, peers);
    const words = describeNetwork(network);
    return {
      key: n.name,
      name: n.name,
      x: 10 + i * (BOX_W + GAP),
      y: 10,
      width: BOX_W,
      height: BOX_H,
      title: n.kind === "broker" ? `broker ${n.name}` : `controller ${n.name}`,
      look,
      label: style.label(n),
      fill: style.fill,
      dash: style.dash,
      activeController: n.activeController,
      clickAction: n.host === "up" ? "crash" : "restart",
      network,
      networkLabel: words.label,
      networkDescription: words.description,
    };
  });
}

function membership(p: SessionPartition, broker: number): string {
  if (p.isr.includes(broker)) return "ISR";
  if (p.elr.includes(broker)) return "ELR";
  return "out of ISR";
}

/** The offsets a truncation or loss threw away, inclusive: "4921–4995". */
function range(first: number, endExclusive: number): string {
  return endExclusive - first === 1 ? String(first) : `${first}–${endExclusive - 1}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** Pixel span of offsets [first, end) on a bar scaled by `x`, at least MIN_MARK_W wide. */
function span(x: (offset: number) => number, first: number, end: number) {
  const left = Math.min(x(first), BAR_W - MIN_MARK_W);
  return { x: left, width: Math.max(MIN_MARK_W, x(end) - left) };
}

/** Segment boundaries after the first segment, thinned so ticks stay MIN_TICK_GAP px apart. */
function segmentTicks(log: SessionReplica, x: (offset: number) => number): number[] {
  const ticks: number[] = [];
  for (const base of log.segmentBases.slice(1)) {
    const at = x(base);
    if (ticks.length > 0 && at - ticks[ticks.length - 1]! < MIN_TICK_GAP) continue;
    ticks.push(at);
    if (ticks.length >= MAX_TICKS) break;
  }
  return ticks;
}

function truncationMark(t: Truncation, x: (offset: number) => number): TruncationMark {
  return {
    ...span(x, t.to, t.from),
    label: `✂ truncated ${range(t.to, t.from)} (${plural(t.from - t.to, "record")}, ${t.why}) at ${formatSeconds(t.atUs)}`,
    truncation: t,
  };
}

function lossMark(l: CommittedLoss, x: (offset: number) => number): LossMark {
  return {
    ...span(x, l.from, l.to),
    label: `⚠ committed offsets ${range(l.from, l.to)} lost at ${formatSeconds(l.atUs)}: broker ${l.leader} leads epoch ${l.leaderEpoch} (${l.why})`,
    loss: l,
  };
}

function partitionRow(p: SessionPartition, y: number, history: ClusterHistoryView): PartitionRow {
  const brokers = p.replicas.length > 0 ? p.replicas : p.replicaLogs.map((r) => r.broker);
  const mine = <T extends { topic: string; partition: number }>(list: readonly T[]) =>
    list.filter((e) => e.topic === p.topic && e.partition === p.partition);
  const truncations = mine(history.truncations);
  const losses = mine(history.losses);
  // The scale holds every log end and every range thrown away, so old marks stay on the bar.
  const max = Math.max(
    1,
    ...p.replicaLogs.map((r) => r.leo),
    ...truncations.map((t) => t.from),
    ...losses.map((l) => l.to),
  );
  const x = (offset: number) =>
    Math.round((Math.min(max, Math.max(0, offset)) / max) * BAR_W * 10) / 10;
  const lossMarks = losses.map((l) => lossMark(l, x));
  const barsTop = 22 + lossMarks.length * NOTE_H;
  let barY = y + barsTop;
  const replicas = brokers.map((broker): ReplicaBar => {
    const log = p.replicaLogs.find((r) => r.broker === broker);
    const leader = p.leader === broker;
    const marks = truncations.filter((t) => t.broker === broker).map((t) => truncationMark(t, x));
    const height = ROW_H + (marks.length > 0 ? NOTE_H : 0);
    const base = {
      key: String(broker),
      broker,
      y: barY,
      label: `${leader ? "★ " : ""}broker ${broker}${log?.role === "down" ? " (down)" : ""}`,
      leader,
      membership: membership(p, broker),
      height,
      truncations: marks,
      truncationLabel: marks.map((m) => m.label).join("; "),
    };
    barY += height;
    if (log === undefined)
      return {
        ...base,
        membership: "not hosted",
        role: "none",
        startX: 0,
        hwX: 0,
        leoX: 0,
        flushedX: 0,
        offsets: "not hosted",
        hosted: false,
        segmentTicks: [],
        lsoX: null,
        abortedSpans: [],
      };
    const segments = log.segmentBases.length;
    return {
      ...base,
      role: log.role,
      startX: x(log.logStartOffset),
      hwX: x(log.hw),
      leoX: x(log.leo),
      flushedX: x(log.flushedOffset),
      offsets: `start ${log.logStartOffset} · HW ${log.hw} · LEO ${log.leo} · flushed ${log.flushedOffset}${log.lastStable !== log.hw ? ` · LSO ${log.lastStable}` : ""}${segments > 1 ? ` · ${segments} segments` : ""}`,
      hosted: true,
      segmentTicks: segmentTicks(log, x),
      lsoX: log.lastStable !== log.hw ? x(log.lastStable) : null,
      abortedSpans: log.aborted.map((a) => ({
        key: `${a.first}-${a.last}`,
        x: x(a.first),
        // At least a sliver: a one-offset transaction on a long log is still visible.
        width: Math.max(2, x(a.last + 1) - x(a.first)),
      })),
    };
  });
  const list = (ids: readonly number[]) => `[${ids.join(",")}]`;
  const leader = p.leader === null ? "none" : String(p.leader);
  const source = p.source === "brokers" ? " (no active controller: the brokers' claims)" : "";
  return {
    key: `${p.topic}-${p.partition}`,
    y,
    height: barY - y + 10,
    title: `${p.topic}-${p.partition} · leader ${leader} · epoch ${p.leaderEpoch} · ISR ${list(p.isr)} · ELR ${list(p.elr)}${source}`,
    leader: p.leader,
    replicas,
    losses: lossMarks,
    barsTop,
  };
}

/**
 * The layout of `state`; `history` (the trace folded by ClusterHistory) adds the network faults
 * and the records thrown away; without it the view shows the snapshot alone.
 */
export function layoutCluster(
  state: SessionState,
  history: ClusterHistoryView = EMPTY_HISTORY,
): ClusterLayout {
  const nodes = nodeBoxes(state.nodes, history);
  const partitions: PartitionRow[] = [];
  let y = LEGEND_Y + LEGEND_LINE + 24;
  for (const p of state.partitions.slice(0, MAX_PARTITIONS)) {
    const row = partitionRow(p, y, history);
    partitions.push(row);
    y += row.height;
  }
  return {
    width: Math.max(WIDTH, 20 + nodes.length * (BOX_W + GAP)),
    height: y + 10,
    nodes,
    partitions,
    barX: BAR_X,
    barWidth: BAR_W,
  };
}
