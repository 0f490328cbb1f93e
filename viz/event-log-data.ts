/**
 * The event log's data, as pure functions and one small incremental index (no DOM): which trace
 * events pass the filters (node, partition, kind), the one-line summary of an event, and the
 * EventLogIndex that keeps the events seen so far and the positions of those that pass, growing
 * by the new events only, so a redraw on every frame costs the new events and not the whole run.
 *
 * The index keeps the events of a run past the current moment after a seek backwards (the run is
 * deterministic: a replay gives the same events again), so the log can show "later" rows and a
 * click on one jumps forward. Whenever the replayed events differ from the kept ones, the kept
 * future is dropped.
 */
import type { TraceEvent, TraceValue } from "../sim/engine/trace.ts";

/** What the user typed or picked; empty strings and an empty list mean "no filter". */
export interface EventFilterInput {
  /** A node name ("1", "producer-1"); "" for every node. */
  readonly node: string;
  /** "orders-0" (one partition), "orders" (every partition of a topic) or "". */
  readonly partition: string;
  /**
   * Kind prefixes separated by commas or spaces: `partition.` or `net.send`; a leading `-`
   * excludes (`-net.` hides the network). An event passes when it matches one of the plain
   * prefixes (or there is none) and none of the excluded ones.
   */
  readonly kind: string;
  /** Families picked in the list (`net`, `partition`, ...); empty for all. */
  readonly families: readonly string[];
}

export const NO_FILTER: EventFilterInput = { node: "", partition: "", kind: "", families: [] };

/** A filter parsed once, applied to many events. */
export interface EventFilter {
  readonly node: string | undefined;
  readonly topic: string | undefined;
  /** Undefined: every partition of the topic. */
  readonly partition: number | undefined;
  readonly include: readonly string[];
  readonly exclude: readonly string[];
  readonly families: ReadonlySet<string>;
}

/** The family of an event type: what comes before the first dot (`net.send` → `net`). */
export function familyOf(type: string): string {
  const dot = type.indexOf(".");
  return dot < 0 ? type : type.slice(0, dot);
}

/** Parses the partition box: `orders-0` → topic orders, partition 0; `orders` → the whole topic. */
export function parsePartition(text: string): { topic?: string; partition?: number } {
  const trimmed = text.trim();
  if (trimmed === "") return {};
  const match = /^(.+)-(\d+)$/.exec(trimmed);
  if (match !== null) return { topic: match[1] as string, partition: Number(match[2]) };
  return { topic: trimmed };
}

export function parseFilter(input: EventFilterInput): EventFilter {
  const words = input.kind
    .split(/[\s,]+/)
    .map((w) => w.trim())
    .filter((w) => w !== "" && w !== "-");
  const place = parsePartition(input.partition);
  const node = input.node.trim();
  return {
    node: node === "" ? undefined : node,
    topic: place.topic,
    partition: place.partition,
    include: words.filter((w) => !w.startsWith("-")),
    exclude: words.filter((w) => w.startsWith("-")).map((w) => w.slice(1)),
    families: new Set(input.families),
  };
}

/** True when the filter lets every event through (the index can then skip the test). */
export function isOpen(f: EventFilter): boolean {
  return (
    f.node === undefined &&
    f.topic === undefined &&
    f.include.length === 0 &&
    f.exclude.length === 0 &&
    f.families.size === 0
  );
}

export function matches(f: EventFilter, e: TraceEvent): boolean {
  if (f.node !== undefined && e.node !== f.node) return false;
  if (f.topic !== undefined) {
    if (e.topic !== f.topic) return false;
    if (f.partition !== undefined && e.partition !== f.partition) return false;
  }
  if (f.families.size > 0 && !f.families.has(familyOf(e.type))) return false;
  if (f.include.length > 0 && !f.include.some((p) => e.type.startsWith(p))) return false;
  if (f.exclude.some((p) => e.type.startsWith(p))) return false;
  return true;
}

/** Every event that passes, in order (the slow path; the index does the same incrementally). */
export function filterEvents(events: readonly TraceEvent[], input: EventFilterInput): TraceEvent[] {
  const f = parseFilter(input);
  return events.filter((e) => matches(f, e));
}

// ------------------------------------------------------------------ text of a row

const MAX_VALUE_CHARS = 80;

/** A virtual time as the log writes it: seconds with microseconds (`12.000345 s`). */
export function formatTime(us: number): string {
  const s = Math.floor(us / 1_000_000);
  const rest = String(us % 1_000_000).padStart(6, "0");
  return `${s}.${rest} s`;
}

function valueText(v: TraceValue): string {
  const text =
    typeof v === "string" ? v.replace(/\s+/g, " ").trim() : v === null ? "null" : JSON.stringify(v);
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS - 1)}…` : text;
}

const NET_KEYS = new Set(["id", "from", "to", "msg", "bytes", "conn"]);

/**
 * The fields of an event in one line of text: `orders-0` first for events of a partition,
 * `1 → 2 FetchRequest #5 (96 B, conn 0)` for messages, then `key=value` for the rest, in the
 * order the model emitted them.
 */
export function summarize(e: TraceEvent): string {
  const parts: string[] = [];
  const skip = new Set(["t", "type", "node"]);
  if (typeof e.topic === "string" && typeof e.partition === "number") {
    parts.push(`${e.topic}-${e.partition}`);
    skip.add("topic").add("partition");
  }
  if (e.type.startsWith("net.") && typeof e.msg === "string" && "id" in e) {
    parts.push(
      `${valueText(e.from ?? "?")} → ${valueText(e.to ?? "?")} ${e.msg} #${valueText(e.id ?? "?")} (${valueText(e.bytes ?? 0)} B, conn ${valueText(e.conn ?? 0)})`,
    );
    for (const k of NET_KEYS) skip.add(k);
  }
  for (const [key, value] of Object.entries(e)) {
    if (skip.has(key)) continue;
    parts.push(`${key}=${valueText(value)}`);
  }
  return parts.join(" ");
}

// ------------------------------------------------------------------ the incremental index

function sameEvent(a: TraceEvent | undefined, b: TraceEvent | undefined): boolean {
  return (
    a !== undefined && b !== undefined && a.t === b.t && a.type === b.type && a.node === b.node
  );
}

/** The first position in a sorted array whose value is ≥ `value`. */
export function lowerBound(sorted: ArrayLike<number>, value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The events known so far (the current run's, and its future after a seek back) and the indices
 * of those that pass the filter. `sync` is called on every redraw with the session's events.
 *
 * Invariants: `shown` is strictly increasing, every entry < known.length and passes the filter;
 * `nowCount` ≤ known.length and known[0..nowCount) are the session's events.
 */
export class EventLogIndex {
  private known: TraceEvent[] = [];
  private shownIdx: number[] = [];
  private filter: EventFilter = parseFilter(NO_FILTER);
  private open = true;
  private source: object | undefined;
  private now = 0;
  /** Families in order of first appearance (for the family list). */
  readonly families: string[] = [];
  private readonly familySet = new Set<string>();
  /** Node names in order of first appearance (for the node list). */
  readonly nodes: string[] = [];
  private readonly nodeSet = new Set<string>();

  /** How many of the known events have happened (the session's events). */
  get nowCount(): number {
    return this.now;
  }

  get knownCount(): number {
    return this.known.length;
  }

  /** Indices into the known events of the rows shown, in order. */
  get shown(): readonly number[] {
    return this.shownIdx;
  }

  event(index: number): TraceEvent {
    const e = this.known[index];
    if (e === undefined) throw new Error(`event log: no event at ${index}`);
    return e;
  }

  /** The rows that have happened (rows before this one are at or before now; later ones after). */
  get shownNowCount(): number {
    return lowerBound(this.shownIdx, this.now);
  }

  /**
   * Catches up with the session's events. `source` identifies the run: a different one (a new
   * scenario, a fork) forgets everything known.
   */
  sync(source: object, events: readonly TraceEvent[]): void {
    if (source !== this.source) {
      this.source = source;
      this.truncate(0);
    }
    const n = events.length;
    // Events the index knows that the session has too: check the last shared one is the same.
    const shared = Math.min(n, this.known.length);
    if (shared > 0 && !sameEvent(events[shared - 1], this.known[shared - 1])) {
      // A different history: find where it starts to differ would cost a scan; drop it all.
      this.truncate(0);
    } else if (shared > 0 && !sameEvent(events[0], this.known[0])) {
      this.truncate(0);
    }
    for (let i = this.known.length; i < n; i++) this.append(events[i] as TraceEvent);
    this.now = n;
  }

  setFilter(input: EventFilterInput): void {
    this.filter = parseFilter(input);
    this.open = isOpen(this.filter);
    const shown: number[] = [];
    for (let i = 0; i < this.known.length; i++) {
      if (this.open || matches(this.filter, this.known[i] as TraceEvent)) shown.push(i);
    }
    this.shownIdx = shown;
  }

  /** The row (position in `shown`) of the current moment: the last shown event at or before now, or -1. */
  currentRow(): number {
    return this.shownNowCount - 1;
  }

  /** The rows [first, end) that share the current row's time (all highlighted). */
  currentRows(): { first: number; end: number } {
    const end = this.shownNowCount;
    if (end === 0) return { first: 0, end: 0 };
    const t = this.event(this.shownIdx[end - 1] as number).t;
    let first = end - 1;
    while (first > 0 && this.event(this.shownIdx[first - 1] as number).t === t) first--;
    return { first, end };
  }

  private append(e: TraceEvent): void {
    const index = this.known.length;
    this.known.push(e);
    const family = familyOf(e.type);
    if (!this.familySet.has(family)) {
      this.familySet.add(family);
      this.families.push(family);
    }
    if (!this.nodeSet.has(e.node)) {
      this.nodeSet.add(e.node);
      this.nodes.push(e.node);
    }
    if (this.open || matches(this.filter, e)) this.shownIdx.push(index);
  }

  private truncate(length: number): void {
    this.known.length = length;
    this.shownIdx.length = lowerBound(this.shownIdx, length);
    if (length === 0) {
      this.families.length = 0;
      this.familySet.clear();
      this.nodes.length = 0;
      this.nodeSet.clear();
    }
    this.now = Math.min(this.now, length);
  }
}

// ------------------------------------------------------------------ the window of rows drawn

/** Which rows a list of fixed-height rows draws for a scroll position (plus a margin each side). */
export function visibleRows(
  scrollTopPx: number,
  viewportPx: number,
  rowPx: number,
  total: number,
  margin = 4,
): { first: number; end: number } {
  if (total <= 0 || rowPx <= 0) return { first: 0, end: 0 };
  const top = Math.max(0, Math.floor(scrollTopPx / rowPx) - margin);
  const end = Math.min(total, Math.ceil((scrollTopPx + viewportPx) / rowPx) + margin);
  return { first: Math.min(top, total), end: Math.max(end, Math.min(top, total)) };
}

/**
 * The scroll position that brings `row` into view, moving as little as possible; the current
 * position when it is already in view.
 */
export function scrollToShow(
  row: number,
  scrollTopPx: number,
  viewportPx: number,
  rowPx: number,
): number {
  if (row < 0) return scrollTopPx;
  const top = row * rowPx;
  if (top < scrollTopPx) return top;
  if (top + rowPx > scrollTopPx + viewportPx) return Math.max(0, top + rowPx - viewportPx);
  return scrollTopPx;
}
