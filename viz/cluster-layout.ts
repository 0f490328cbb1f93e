/**
 * The cluster view's layout: from a session state (plain data) to what is drawn (plain data):
 * one box per broker or dedicated controller, one row per partition, one bar per replica with the
 * positions of its log start, HW, LEO and flushed offset. No DOM here, so the layout is tested in
 * Node; cluster-view.ts draws it with D3.
 *
 * State is shown twice, by colour (the Okabe-Ito palette, safe for the common colour-vision
 * deficiencies) and by a label and a border style, so nothing depends on colour alone.
 */
import type { SessionNode, SessionPartition, SessionState } from "../sim/index.ts";

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
}

export interface PartitionRow {
  readonly key: string;
  readonly y: number;
  readonly height: number;
  readonly title: string;
  readonly leader: number | null;
  readonly replicas: readonly ReplicaBar[];
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

const WIDTH = 960;
const BOX_W = 150;
const BOX_H = 70;
const GAP = 16;
const ROW_H = 22;
const BAR_X = 220;
const BAR_W = 480;
/** Where the legend of the bars sits, px. */
export const LEGEND_Y = 10 + BOX_H + 14;
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

function nodeBoxes(nodes: readonly SessionNode[]): NodeBox[] {
  return nodes.map((n, i) => {
    const look = nodeLook(n);
    const style = LOOK[look];
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
    };
  });
}

function membership(p: SessionPartition, broker: number): string {
  if (p.isr.includes(broker)) return "ISR";
  if (p.elr.includes(broker)) return "ELR";
  return "out of ISR";
}

function partitionRow(p: SessionPartition, y: number): PartitionRow {
  const brokers = p.replicas.length > 0 ? p.replicas : p.replicaLogs.map((r) => r.broker);
  const max = Math.max(1, ...p.replicaLogs.map((r) => r.leo));
  const x = (offset: number) => Math.round((Math.max(0, offset) / max) * BAR_W * 10) / 10;
  const replicas = brokers.map((broker, i): ReplicaBar => {
    const log = p.replicaLogs.find((r) => r.broker === broker);
    const leader = p.leader === broker;
    const base = {
      key: String(broker),
      broker,
      y: y + 22 + i * ROW_H,
      label: `${leader ? "★ " : ""}broker ${broker}${log?.role === "down" ? " (down)" : ""}`,
      leader,
      membership: membership(p, broker),
    };
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
      };
    return {
      ...base,
      role: log.role,
      startX: x(log.logStartOffset),
      hwX: x(log.hw),
      leoX: x(log.leo),
      flushedX: x(log.flushedOffset),
      offsets: `start ${log.logStartOffset} · HW ${log.hw} · LEO ${log.leo} · flushed ${log.flushedOffset}`,
      hosted: true,
    };
  });
  const list = (ids: readonly number[]) => `[${ids.join(",")}]`;
  const leader = p.leader === null ? "none" : String(p.leader);
  const source = p.source === "brokers" ? " (no active controller: the brokers' claims)" : "";
  return {
    key: `${p.topic}-${p.partition}`,
    y,
    height: 22 + replicas.length * ROW_H + 10,
    title: `${p.topic}-${p.partition} · leader ${leader} · epoch ${p.leaderEpoch} · ISR ${list(p.isr)} · ELR ${list(p.elr)}${source}`,
    leader: p.leader,
    replicas,
  };
}

export function layoutCluster(state: SessionState): ClusterLayout {
  const nodes = nodeBoxes(state.nodes);
  const partitions: PartitionRow[] = [];
  let y = LEGEND_Y + 24;
  for (const p of state.partitions.slice(0, MAX_PARTITIONS)) {
    const row = partitionRow(p, y);
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
