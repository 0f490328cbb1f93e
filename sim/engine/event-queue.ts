/**
 * The event queue: a min-heap ordered by (time, insertion sequence), with removal.
 *
 * Ties in time are broken by the sequence number the scheduler assigned when the event was queued,
 * so two events at the same microsecond always run in the order they were scheduled (FIFO), never
 * by chance.
 *
 * Removal: `push` returns the entry's slot, and `remove(entry, slot)` takes the entry out in
 * O(log n) (a cancelled timer leaves at once, instead of waiting in the heap until its time comes:
 * a request timeout cancelled by its response would otherwise sit there for the whole timeout).
 * Removing an entry that already left (popped, or removed) does nothing.
 *
 * Layout, for speed (the queue is most of an event loop's cost): a 4-ary heap, half as deep as a
 * binary one, whose nodes are flat typed arrays (time, sequence, and the entry's slot in a pool).
 * A sift compares and moves plain numbers in contiguous memory; the entry objects stay put in their
 * pool slots (one write when pushed, one when popped), so no sift chases a pointer or pays a write
 * barrier. Pool slots are reused through a free stack; each slot knows its heap node, for removal.
 */
import { assert } from "./assert.ts";

/** What the heap needs to order an entry. */
export interface Ordered {
  readonly at: number;
  readonly seq: number;
}

const INITIAL_CAPACITY = 1024;
const ARITY_SHIFT = 2; // 4 children per node

export class EventQueue<E extends Ordered> {
  private count = 0;
  // Heap nodes: node i holds the key (atUs[i], seqs[i]) of the entry in pool[slots[i]].
  private atUs = new Float64Array(INITIAL_CAPACITY);
  private seqs = new Float64Array(INITIAL_CAPACITY);
  private slots = new Int32Array(INITIAL_CAPACITY);
  /** Entries by slot; a free slot holds undefined. */
  private pool: Array<E | undefined> = [];
  /** By slot: the heap node holding the slot's entry (meaningless for a free slot). */
  private nodeOfSlot = new Int32Array(INITIAL_CAPACITY);
  /** Free slots of the pool, a stack of freeCount entries. */
  private freeSlots = new Int32Array(INITIAL_CAPACITY);
  private freeCount = 0;

  get size(): number {
    return this.count;
  }

  /** Adds an entry; returns its slot, which `remove` needs. */
  push(item: E): number {
    const i = this.count;
    if (i === this.atUs.length) this.grow();
    this.count = i + 1;
    let slot: number;
    if (this.freeCount > 0) {
      slot = this.freeSlots[--this.freeCount]!;
      this.pool[slot] = item;
    } else {
      slot = this.pool.length;
      this.pool.push(item);
    }
    // Sift up (as siftUp(), written out here: push and pop are the hot path).
    const at = item.at;
    const seq = item.seq;
    const atUs = this.atUs;
    const seqs = this.seqs;
    const slots = this.slots;
    const nodeOfSlot = this.nodeOfSlot;
    let node = i;
    while (node > 0) {
      const parent = (node - 1) >> ARITY_SHIFT;
      const parentAt = atUs[parent]!;
      if (parentAt < at || (parentAt === at && seqs[parent]! < seq)) break;
      atUs[node] = parentAt;
      seqs[node] = seqs[parent]!;
      const moved = slots[parent]!;
      slots[node] = moved;
      nodeOfSlot[moved] = node;
      node = parent;
    }
    atUs[node] = at;
    seqs[node] = seq;
    slots[node] = slot;
    nodeOfSlot[slot] = node;
    return slot;
  }

  peek(): E | undefined {
    return this.count === 0 ? undefined : this.pool[this.slots[0]!];
  }

  pop(): E | undefined {
    const n = this.count;
    if (n === 0) return undefined;
    const slots = this.slots;
    const slot = slots[0]!;
    const top = this.pool[slot];
    this.pool[slot] = undefined;
    this.freeSlots[this.freeCount++] = slot;
    const last = n - 1;
    this.count = last;
    if (last === 0) return top;
    // The last node fills the root and sifts down (as siftDown(), written out here: push and pop
    // are the hot path).
    const atUs = this.atUs;
    const seqs = this.seqs;
    const nodeOfSlot = this.nodeOfSlot;
    const at = atUs[last]!;
    const seq = seqs[last]!;
    const lastSlot = slots[last]!;
    let i = 0;
    for (;;) {
      const first = (i << ARITY_SHIFT) + 1;
      if (first >= last) break;
      // The earliest child; the common case of four children is unrolled.
      let child = first;
      let childAt = atUs[first]!;
      if (first + 3 < last) {
        let c = first + 1;
        let cAt = atUs[c]!;
        if (cAt < childAt || (cAt === childAt && seqs[c]! < seqs[child]!)) {
          child = c;
          childAt = cAt;
        }
        c = first + 2;
        cAt = atUs[c]!;
        if (cAt < childAt || (cAt === childAt && seqs[c]! < seqs[child]!)) {
          child = c;
          childAt = cAt;
        }
        c = first + 3;
        cAt = atUs[c]!;
        if (cAt < childAt || (cAt === childAt && seqs[c]! < seqs[child]!)) {
          child = c;
          childAt = cAt;
        }
      } else {
        for (let c = first + 1; c < last; c++) {
          const cAt = atUs[c]!;
          if (cAt < childAt || (cAt === childAt && seqs[c]! < seqs[child]!)) {
            child = c;
            childAt = cAt;
          }
        }
      }
      if (at < childAt || (at === childAt && seq < seqs[child]!)) break;
      atUs[i] = childAt;
      seqs[i] = seqs[child]!;
      const moved = slots[child]!;
      slots[i] = moved;
      nodeOfSlot[moved] = i;
      i = child;
    }
    atUs[i] = at;
    seqs[i] = seq;
    slots[i] = lastSlot;
    nodeOfSlot[lastSlot] = i;
    return top;
  }

  /**
   * Removes `item`, queued in `slot` (what push returned). Returns false, and changes nothing, if
   * the item is no longer queued there (it was popped or removed; the slot may hold another entry
   * by now).
   */
  remove(item: E, slot: number): boolean {
    if (!(slot >= 0 && slot < this.pool.length) || this.pool[slot] !== item) return false;
    const i = this.nodeOfSlot[slot]!;
    this.pool[slot] = undefined;
    this.freeSlots[this.freeCount++] = slot;
    const last = this.count - 1;
    this.count = last;
    if (i === last) return true;
    // The last node fills the hole, then moves up or down to where its key belongs.
    const at = this.atUs[last]!;
    const seq = this.seqs[last]!;
    const lastSlot = this.slots[last]!;
    const parent = (i - 1) >> ARITY_SHIFT;
    const parentAt = this.atUs[parent]!;
    if (i > 0 && (at < parentAt || (at === parentAt && seq < this.seqs[parent]!))) {
      this.siftUp(i, at, seq, lastSlot);
    } else {
      this.siftDown(i, at, seq, lastSlot, last);
    }
    return true;
  }

  /** Removes every entry; used when a run is torn down. */
  clear(): void {
    this.count = 0;
    this.pool = [];
    this.freeCount = 0;
  }

  /**
   * The entries in heap order (not sorted), for checkpoints and diagnostics only: valid until the
   * next push, pop or remove. O(n): it first moves every entry to the pool slot of its heap node,
   * so the pool itself is the answer. Slots returned by earlier pushes are void afterwards.
   */
  entries(): readonly E[] {
    const n = this.count;
    const ordered: E[] = [];
    for (let i = 0; i < n; i++) ordered.push(this.pool[this.slots[i]!]!);
    for (let i = 0; i < n; i++) {
      this.slots[i] = i;
      this.nodeOfSlot[i] = i;
    }
    this.pool = ordered;
    this.freeCount = 0;
    return ordered;
  }

  /** Puts the key (at, seq) of `slot` at node i or above, moving later parents down. */
  private siftUp(i: number, at: number, seq: number, slot: number): void {
    const atUs = this.atUs;
    const seqs = this.seqs;
    const slots = this.slots;
    const nodeOfSlot = this.nodeOfSlot;
    while (i > 0) {
      const parent = (i - 1) >> ARITY_SHIFT;
      const parentAt = atUs[parent]!;
      if (parentAt < at || (parentAt === at && seqs[parent]! < seq)) break;
      atUs[i] = parentAt;
      seqs[i] = seqs[parent]!;
      const moved = slots[parent]!;
      slots[i] = moved;
      nodeOfSlot[moved] = i;
      i = parent;
    }
    atUs[i] = at;
    seqs[i] = seq;
    slots[i] = slot;
    nodeOfSlot[slot] = i;
  }

  /** Puts the key (at, seq) of `slot` at node i or below, in a heap of n nodes. */
  private siftDown(i: number, at: number, seq: number, slot: number, n: number): void {
    const atUs = this.atUs;
    const seqs = this.seqs;
    const slots = this.slots;
    const nodeOfSlot = this.nodeOfSlot;
    for (;;) {
      const first = (i << ARITY_SHIFT) + 1;
      if (first >= n) break;
      // The earliest child; the common case of four children is unrolled.
      let child = first;
      let childAt = atUs[first]!;
      if (first + 3 < n) {
        let c = first + 1;
        let cAt = atUs[c]!;
        if (cAt < childAt || (cAt === childAt && seqs[c]! < seqs[child]!)) {
          child = c;
          childAt = cAt;
        }
        c = first + 2;
        cAt = atUs[c]!;
        if (cAt < childAt || (cAt === childAt && seqs[c]! < seqs[child]!)) {
          child = c;
          childAt = cAt;
        }
        c = first + 3;
        cAt = atUs[c]!;
        if (cAt < childAt || (cAt === childAt && seqs[c]! < seqs[child]!)) {
          child = c;
          childAt = cAt;
        }
      } else {
        for (let c = first + 1; c < n; c++) {
          const cAt = atUs[c]!;
          if (cAt < childAt || (cAt === childAt && seqs[c]! < seqs[child]!)) {
            child = c;
            childAt = cAt;
          }
        }
      }
      if (at < childAt || (at === childAt && seq < seqs[child]!)) break;
      atUs[i] = childAt;
      seqs[i] = seqs[child]!;
      const moved = slots[child]!;
      slots[i] = moved;
      nodeOfSlot[moved] = i;
      i = child;
    }
    atUs[i] = at;
    seqs[i] = seq;
    slots[i] = slot;
    nodeOfSlot[slot] = i;
  }

  private grow(): void {
    const capacity = this.atUs.length * 2;
    this.atUs = grown(this.atUs, new Float64Array(capacity));
    this.seqs = grown(this.seqs, new Float64Array(capacity));
    this.slots = grown(this.slots, new Int32Array(capacity));
    this.nodeOfSlot = grown(this.nodeOfSlot, new Int32Array(capacity));
    this.freeSlots = grown(this.freeSlots, new Int32Array(capacity));
  }

  /** Checks the heap property, and that nodes, keys and slots agree; for tests. */
  checkHeap(): void {
    const n = this.count;
    for (let i = 1; i < n; i++) {
      const parent = this.pool[this.slots[(i - 1) >> ARITY_SHIFT]!];
      const child = this.pool[this.slots[i]!];
      assert(parent !== undefined && child !== undefined, `heap node ${i} has no entry`);
      assert(
        parent.at < child.at || (parent.at === child.at && parent.seq < child.seq),
        `heap order broken at index ${i}`,
      );
    }
    for (let i = 0; i < n; i++) {
      const slot = this.slots[i]!;
      const entry = this.pool[slot];
      assert(
        entry !== undefined && entry.at === this.atUs[i] && entry.seq === this.seqs[i],
        `heap key out of step with its entry at index ${i}`,
      );
      assert(this.nodeOfSlot[slot] === i, `slot ${slot} does not know its node ${i}`);
    }
  }
}

/** `to`, a larger array, with `from` copied into its start. */
function grown<T extends Float64Array | Int32Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
