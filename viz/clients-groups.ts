/**
 * The consumer groups' side of the Clients panel as plain layout data (no DOM): per group, its
 * members on the left, its partitions on the right, and an assignment line from a member to each
 * partition it holds, with a kind that says whether records flow along it. Pure: data in, data out.
 *
 * The stop of a stop-the-world rebalance: a classic group with the EAGER protocol (range,
 * round-robin, sticky assignors) in PreparingRebalance or CompletingRebalance has every member give
 * up all of its partitions before it rejoins, and nobody consumes until SyncGroup hands out the new
 * assignment. While the group is in those states every line is drawn "paused" (grey, dashed), even
 * the lines of a member that has not yet heard of the rebalance (it will revoke at its next poll),
 * and the group is marked STOP. A COOPERATIVE group (cooperative-sticky) keeps the lines of the
 * partitions its members still own solid through the rebalance; a KIP-848 group
 * (group.protocol=consumer) never stops the world.
 */

import type { BurrowStatus } from "../sim/check/burrow.ts";

export type RebalanceProtocol = "EAGER" | "COOPERATIVE" | "CONSUMER";

export interface MemberInput {
  readonly clientId: string;
  /** The consumer's own state (polling, processing, stopped, ...), or "process crashed". */
  readonly state: string;
  /** The generation (or member epoch) the consumer believes it is in; -1 before it joined. */
  readonly generation: number;
  /** The partitions the consumer holds (its positions), "topic-partition". */
  readonly held: readonly string[];
  /** The partitions the coordinator assigned it in the last synced generation. */
  readonly assigned: readonly string[];
  readonly positions: Readonly<Record<string, number>>;
  /** False when the consumer's host is down. */
  readonly up: boolean;
}

export interface PartitionInput {
  readonly tp: string;
  /** The leader's high watermark (what kafka-consumer-groups.sh shows as LOG-END-OFFSET); null without a leader. */
  readonly hw: number | null;
}

export interface GroupInput {
  readonly groupId: string;
  /** Consumers without a group (assign()): no coordinator, no commits, no rebalances. */
  readonly standalone?: boolean;
  /** The coordinator's state of the group; null when no coordinator knows it (yet). */
  readonly state: string | null;
  readonly generation: number | null;
  readonly protocol: RebalanceProtocol;
  readonly assignor: string;
  readonly coordinator: number | null;
  readonly members: readonly MemberInput[];
  readonly partitions: readonly PartitionInput[];
  /** The group's committed offsets by "topic-partition". */
  readonly committed: Readonly<Record<string, number>>;
  /** Burrow's status per partition and for the group; absent when not computed. */
  readonly burrow?: {
    readonly status: BurrowStatus;
    readonly partitions: Readonly<Record<string, BurrowStatus>>;
  };
}

export type LineKind = "consuming" | "paused" | "pending";

export interface MemberBox {
  readonly key: string;
  readonly label: string;
  readonly detail: string;
  readonly y: number;
}

export interface PartitionBox {
  readonly key: string;
  readonly label: string;
  readonly y: number;
}

export interface AssignmentLine {
  /** member → partition. */
  readonly key: string;
  readonly member: string;
  readonly tp: string;
  readonly kind: LineKind;
  readonly y1: number;
  readonly y2: number;
}

export interface PartitionRow {
  readonly tp: string;
  readonly owner: string;
  readonly position: string;
  readonly committed: string;
  readonly hw: string;
  readonly lag: string;
  readonly burrow: string;
}

export interface GroupLayout {
  readonly groupId: string;
  readonly title: string;
  /** A stop-the-world rebalance is in progress. */
  readonly stopped: boolean;
  /** What the banner says (empty when there is nothing to say). */
  readonly banner: string;
  readonly members: readonly MemberBox[];
  readonly partitions: readonly PartitionBox[];
  readonly lines: readonly AssignmentLine[];
  readonly rows: readonly PartitionRow[];
  readonly height: number;
}

export const GROUP_SVG = {
  width: 640,
  rowHeight: 30,
  top: 12,
  memberX: 0,
  memberWidth: 190,
  partitionX: 430,
  partitionWidth: 210,
} as const;

const REBALANCING = new Set(["PreparingRebalance", "CompletingRebalance"]);

/** True when the group is in a stop-the-world rebalance (eager protocol, rebalancing states). */
export function isStopTheWorld(state: string | null, protocol: RebalanceProtocol): boolean {
  return protocol === "EAGER" && state !== null && REBALANCING.has(state);
}

/** The rebalance protocol a classic consumer's assignor list implies, or KIP-848's. */
export function protocolOf(config: Readonly<Record<string, unknown>>): RebalanceProtocol {
  if (String(config["group.protocol"] ?? "classic").toLowerCase() === "consumer") return "CONSUMER";
  const strategies = String(config["partition.assignment.strategy"] ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  // Kafka picks the protocol all assignors support; with only cooperative ones, COOPERATIVE.
  if (strategies.length > 0 && strategies.every((s) => s.includes("Cooperative")))
    return "COOPERATIVE";
  return "EAGER";
}

function rowY(i: number): number {
  return GROUP_SVG.top + i * GROUP_SVG.rowHeight + GROUP_SVG.rowHeight / 2;
}

function tpOrder(a: string, b: string): number {
  const i = a.lastIndexOf("-");
  const j = b.lastIndexOf("-");
  const ta = a.slice(0, i);
  const tb = b.slice(0, j);
  if (ta !== tb) return ta < tb ? -1 : 1;
  return Number(a.slice(i + 1)) - Number(b.slice(j + 1));
}

function text(n: number | null | undefined): string {
  return n === null || n === undefined ? "-" : String(n);
}

/** The layout of one group. */
export function layoutGroup(g: GroupInput): GroupLayout {
  const stopped = isStopTheWorld(g.state, g.protocol);
  const tps = new Set<string>(g.partitions.map((p) => p.tp));
  for (const m of g.members) for (const tp of [...m.held, ...m.assigned]) tps.add(tp);
  for (const tp of Object.keys(g.committed)) tps.add(tp);
  const order = [...tps].sort(tpOrder);
  const index = new Map(order.map((tp, i) => [tp, i]));
  const hwOf = new Map(g.partitions.map((p) => [p.tp, p.hw]));

  const members: MemberBox[] = g.members.map((m, i) => ({
    key: m.clientId,
    label: m.clientId,
    detail: `${m.up ? m.state : "process crashed"} · gen ${m.generation < 0 ? "-" : m.generation}`,
    y: rowY(i),
  }));

  const lines: AssignmentLine[] = [];
  const owner = new Map<string, string>();
  g.members.forEach((m, i) => {
    const held = new Set(m.held);
    const drawn = new Set<string>();
    for (const tp of [...m.held, ...m.assigned]) {
      if (drawn.has(tp)) continue;
      drawn.add(tp);
      let kind: LineKind;
      if (!held.has(tp)) {
        if (stopped || !m.up) continue; // assigned, not taken: nothing flows, nothing to draw
        kind = "pending";
      } else kind = stopped || !m.up ? "paused" : "consuming";
      if (held.has(tp) && !owner.has(tp)) owner.set(tp, m.clientId);
      lines.push({
        key: `${m.clientId}→${tp}`,
        member: m.clientId,
        tp,
        kind,
        y1: rowY(i),
        y2: rowY(index.get(tp)!),
      });
    }
  });

  const positionOf = (tp: string): number | undefined => {
    const who = owner.get(tp);
    return g.members.find((m) => m.clientId === who)?.positions[tp];
  };

  const partitions: PartitionBox[] = order.map((tp, i) => ({
    key: tp,
    label: `${tp} · pos ${text(positionOf(tp))}`,
    y: rowY(i),
  }));

  const rows: PartitionRow[] = order.map((tp) => {
    const committed = g.committed[tp];
    const hw = hwOf.get(tp) ?? null;
    const lag = committed === undefined || hw === null ? null : Math.max(0, hw - committed);
    return {
      tp,
      owner: owner.get(tp) ?? "-",
      position: text(positionOf(tp)),
      committed: text(committed),
      hw: text(hw),
      lag: text(lag),
      burrow: g.burrow?.partitions[tp] ?? "-",
    };
  });

  const state = g.state ?? "no coordinator knows it yet";
  const title = g.standalone
    ? `consumers without a group (assign()): each reads the partitions it was given`
    : `group ${g.groupId}: ${state} · generation ${text(g.generation)} · ${g.protocol}` +
      `${g.assignor === "" ? "" : ` (${g.assignor})`} · coordinator ${text(g.coordinator)}` +
      (g.burrow === undefined ? "" : ` · Burrow ${g.burrow.status}`);
  const banner = stopped
    ? `■ STOP: ${g.state} (eager). Every member gives up all its partitions before it rejoins; nothing is consumed until the new assignment is synced.`
    : g.state !== null && REBALANCING.has(g.state)
      ? `Rebalancing (${g.state}, cooperative): partitions still owned keep being consumed; only the ones that move pause.`
      : "";
  const rowsCount = Math.max(1, members.length, partitions.length);
  return {
    groupId: g.groupId,
    title,
    stopped,
    banner,
    members,
    partitions,
    lines,
    rows,
    height: GROUP_SVG.top * 2 + rowsCount * GROUP_SVG.rowHeight,
  };
}
