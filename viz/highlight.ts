/**
 * The page's hover highlight, shared by the views that link to each other (the cluster view and
 * the message-sequence diagram): a tiny publish/subscribe of "what the pointer is on now". A
 * highlight names nodes, partitions and at most one network message; hovering a message in the
 * diagram publishes its sender, receiver and the partitions it concerns, hovering a broker or a
 * partition in the cluster view publishes that, and each view marks what matches. No DOM here:
 * plain data and functions, tested in Node.
 */

/** Who set a highlight: a view clears only its own (a late mouseleave must not erase another's). */
export type HighlightSource = "cluster" | "sequence";

export interface Highlight {
  /** Node names as the trace writes them ("1", "producer-zero"); empty: any node. */
  readonly nodes: readonly string[];
  /** Partitions as "topic-N" ("orders-0"); empty: any partition. */
  readonly partitions: readonly string[];
  /** One network message (its id in the trace), or null. */
  readonly message: number | null;
  readonly source: HighlightSource;
}

/** A message as the highlight sees it: its id, ends and the partitions it concerns. */
export interface HighlightableMessage {
  readonly id: number;
  readonly from: string;
  readonly to: string;
  readonly partitions: readonly string[];
}

export type HighlightListener = (highlight: Highlight | null) => void;

/** Two highlights that mark the same things (listeners are not told of a non-change). */
export function sameHighlight(a: Highlight | null, b: Highlight | null): boolean {
  if (a === null || b === null) return a === b;
  const same = (x: readonly string[], y: readonly string[]) =>
    x.length === y.length && x.every((v, i) => v === y[i]);
  return (
    a.source === b.source &&
    a.message === b.message &&
    same(a.nodes, b.nodes) &&
    same(a.partitions, b.partitions)
  );
}

/** The current highlight and who wants to know when it changes. */
export class HighlightBus {
  private now: Highlight | null = null;
  private readonly listeners = new Set<HighlightListener>();

  get current(): Highlight | null {
    return this.now;
  }

  /** Sets the highlight (null: none) and tells every listener, unless nothing changed. */
  set(highlight: Highlight | null): void {
    if (highlight !== null) {
      if (highlight.message !== null && !Number.isInteger(highlight.message))
        throw new Error(`highlight: message id must be an integer; got ${highlight.message}`);
    }
    if (sameHighlight(this.now, highlight)) return;
    this.now = highlight;
    for (const listener of [...this.listeners]) listener(highlight);
  }

  /** Clears the highlight if `source` set it (otherwise leaves another view's highlight alone). */
  clear(source: HighlightSource): void {
    if (this.now !== null && this.now.source === source) this.set(null);
  }

  /** Calls `listener` on every change; returns the function that stops it. */
  subscribe(listener: HighlightListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** How many listeners are subscribed (for tests: views must not subscribe once per frame). */
  get listenerCount(): number {
    return this.listeners.size;
  }
}

/** The page's one highlight, which the cluster view and the sequence diagram share by default. */
export const pageHighlight = new HighlightBus();

/** The highlight of a hovered message: the message itself, its two ends and its partitions. */
export function highlightOfMessage(m: HighlightableMessage): Highlight {
  return {
    nodes: m.from === m.to ? [m.from] : [m.from, m.to],
    partitions: [...m.partitions],
    message: m.id,
    source: "sequence",
  };
}

/** The highlight of a hovered broker or controller box: the node. */
export function highlightOfNode(node: string): Highlight {
  return { nodes: [node], partitions: [], message: null, source: "cluster" };
}

/** The highlight of a hovered partition (or of one broker's replica of it, with `broker`). */
export function highlightOfPartition(partition: string, broker?: string): Highlight {
  return {
    nodes: broker === undefined ? [] : [broker],
    partitions: [partition],
    message: null,
    source: "cluster",
  };
}

/**
 * Does a message match the highlight? A message highlight matches that message only. Otherwise a
 * message matches when it touches one of the nodes (sent or received; any when none are named)
 * and concerns one of the partitions (any when none are named). A highlight naming neither
 * matches nothing.
 */
export function messageMatches(h: Highlight | null, m: HighlightableMessage): boolean {
  if (h === null) return false;
  if (h.message !== null) return h.message === m.id;
  if (h.nodes.length === 0 && h.partitions.length === 0) return false;
  const nodeOk = h.nodes.length === 0 || h.nodes.includes(m.from) || h.nodes.includes(m.to);
  const partitionOk =
    h.partitions.length === 0 || m.partitions.some((p) => h.partitions.includes(p));
  return nodeOk && partitionOk;
}

/** Is the node (a broker or controller box) one the highlight names? */
export function nodeMatches(h: Highlight | null, node: string): boolean {
  return h?.nodes.includes(node) ?? false;
}

/** Is the partition one the highlight names? */
export function partitionMatches(h: Highlight | null, partition: string): boolean {
  return h?.partitions.includes(partition) ?? false;
}

/**
 * Is one broker's replica of a partition highlighted? When the highlight names both nodes and
 * partitions (a message between two brokers about orders-0, a hovered replica), only the named
 * brokers' replicas of the named partitions; when it names only partitions, every replica of them.
 */
export function replicaMatches(h: Highlight | null, partition: string, broker: string): boolean {
  if (h === null || !partitionMatches(h, partition)) return false;
  return h.nodes.length === 0 || h.nodes.includes(broker);
}
