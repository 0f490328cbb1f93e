/**
 * The event queue: a binary min-heap ordered by (time, insertion sequence).
 *
 * Ties in time are broken by the sequence number the scheduler assigned when the event was queued,
 * so two events at the same microsecond always run in the order they were scheduled (FIFO), never
 * by chance. Cancelled events stay in the heap and are skipped when popped (lazy deletion): cancel
 * is O(1) and the heap never has to search.
 */
import { assert } from "./assert.ts";

/** What the heap needs to order an entry. */
export interface Ordered {
  readonly at: number;
  readonly seq: number;
}

export class EventQueue<E extends Ordered> {
  private readonly heap: E[] = [];

  get size(): number {
    return this.heap.length;
  }

  push(item: E): void {
    const heap = this.heap;
    let i = heap.length;
    heap.push(item);
    // Sift up: move the hole towards the root while the parent is later.
    while (i > 0) {
      const parentIndex = (i - 1) >> 1;
      const parent = heap[parentIndex]!;
      if (parent.at < item.at || (parent.at === item.at && parent.seq < item.seq)) break;
      heap[i] = parent;
      i = parentIndex;
    }
    heap[i] = item;
  }

  peek(): E | undefined {
    return this.heap[0];
  }

  pop(): E | undefined {
    const heap = this.heap;
    const n = heap.length;
    if (n === 0) return undefined;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (n > 1) this.siftDown(last, n - 1);
    return top;
  }

  /** Removes every entry; used when a run is torn down. */
  clear(): void {
    this.heap.length = 0;
  }

  /** The entries in heap order (not sorted): for checkpoints and diagnostics only. */
  entries(): readonly E[] {
    return this.heap;
  }

  private siftDown(item: E, n: number): void {
    const heap = this.heap;
    let i = 0;
    const half = n >> 1;
    while (i < half) {
      let childIndex = 2 * i + 1;
      let child = heap[childIndex]!;
      const rightIndex = childIndex + 1;
      if (rightIndex < n) {
        const right = heap[rightIndex]!;
        if (right.at < child.at || (right.at === child.at && right.seq < child.seq)) {
          childIndex = rightIndex;
          child = right;
        }
      }
      if (item.at < child.at || (item.at === child.at && item.seq < child.seq)) break;
      heap[i] = child;
      i = childIndex;
    }
    heap[i] = item;
  }

  /** Checks the heap property; for tests. */
  checkHeap(): void {
    const heap = this.heap;
    for (let i = 1; i < heap.length; i++) {
      const parent = heap[(i - 1) >> 1]!;
      const child = heap[i]!;
      assert(
        parent.at < child.at || (parent.at === child.at && parent.seq < child.seq),
        `heap order broken at index ${i}`,
      );
    }
  }
}
