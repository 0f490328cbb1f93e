/**
 * The baseline for the engine benchmark: the least an event loop can do per event.
 *
 * A binary min-heap of `{at, seq}` entries ordered like the engine's queue (time, then insertion
 * sequence). Each step pops the earliest entry and pushes one successor at a pseudo-random delay
 * from a tiny xorshift32, so the heap stays at the same size. No actors, no dispatch, no trace, no
 * cancellation: whatever the engine does beyond this is its overhead, and the benchmark reports the
 * ratio.
 */

interface BareEntry {
  readonly at: number;
  readonly seq: number;
}

export interface BareHeapResult {
  /** Events popped (each pushed one successor). */
  readonly events: number;
  /** Virtual time of the last event, returned so the loop cannot be optimized away. */
  readonly lastAtUs: number;
}

function earlier(a: BareEntry, b: BareEntry): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

/** Pre-filled heap and xorshift state, so setup is not part of the timed loop. */
export class BareHeapLoop {
  private readonly heap: BareEntry[] = [];
  private seq = 0;
  private xorshift: number;

  /**
   * @param pendingEvents entries kept in the heap (it stays at this size)
   * @param meanDelayUs successors are scheduled 1..2*meanDelayUs microseconds after the popped one
   */
  constructor(
    pendingEvents: number,
    private readonly meanDelayUs: number,
    seed = 0x9e3779b9,
  ) {
    this.xorshift = seed | 0 || 1;
    for (let i = 0; i < pendingEvents; i++) this.push({ at: this.nextDelay(), seq: this.seq++ });
  }

  /** Pops `events` entries, pushing one successor for each. */
  run(events: number): BareHeapResult {
    let lastAtUs = 0;
    for (let i = 0; i < events; i++) {
      const top = this.pop();
      if (top === undefined) break;
      lastAtUs = top.at;
      this.push({ at: top.at + this.nextDelay(), seq: this.seq++ });
    }
    return { events, lastAtUs };
  }

  get size(): number {
    return this.heap.length;
  }

  private nextDelay(): number {
    let x = this.xorshift;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.xorshift = x;
    return 1 + ((x >>> 0) % (2 * this.meanDelayUs));
  }

  private push(item: BareEntry): void {
    const heap = this.heap;
    let i = heap.length;
    heap.push(item);
    while (i > 0) {
      const parentIndex = (i - 1) >> 1;
      const parent = heap[parentIndex]!;
      if (earlier(parent, item)) break;
      heap[i] = parent;
      i = parentIndex;
    }
    heap[i] = item;
  }

  private pop(): BareEntry | undefined {
    const heap = this.heap;
    const n = heap.length;
    if (n === 0) return undefined;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (n === 1) return top;
    const size = n - 1;
    const half = size >> 1;
    let i = 0;
    while (i < half) {
      let childIndex = 2 * i + 1;
      let child = heap[childIndex]!;
      const rightIndex = childIndex + 1;
      if (rightIndex < size && earlier(heap[rightIndex]!, child)) {
        childIndex = rightIndex;
        child = heap[rightIndex]!;
      }
      if (earlier(last, child)) break;
      heap[i] = child;
      i = childIndex;
    }
    heap[i] = last;
    return top;
  }
}
