import { describe, expect, it } from "vitest";
import { SimAssertionError } from "../../sim/engine/assert.ts";
import { EventQueue, type Ordered } from "../../sim/engine/event-queue.ts";

interface Item extends Ordered {
  readonly name: string;
}

function item(at: number, seq: number, name = `${at}/${seq}`): Item {
  return { at, seq, name };
}

function drain(queue: EventQueue<Item>): string[] {
  const names: string[] = [];
  for (let next = queue.pop(); next !== undefined; next = queue.pop()) names.push(next.name);
  return names;
}

describe("engine: event queue", () => {
  it("pops the earliest time first, whatever the push order", () => {
    const queue = new EventQueue<Item>();
    // Pushed out of order; seq numbers are distinct so only time decides here.
    queue.push(item(30, 0, "c"));
    queue.push(item(10, 1, "a"));
    queue.push(item(40, 2, "d"));
    queue.push(item(20, 3, "b"));
    expect(queue.size).toBe(4);
    expect(drain(queue)).toEqual(["a", "b", "c", "d"]);
    expect(queue.size).toBe(0);
  });

  it("breaks ties in time by sequence number (FIFO), even when pushed in reverse", () => {
    const queue = new EventQueue<Item>();
    // All at t=5: the lower seq was scheduled first and must run first, regardless of the order
    // the heap received them in.
    queue.push(item(5, 3, "fourth"));
    queue.push(item(5, 1, "second"));
    queue.push(item(5, 2, "third"));
    queue.push(item(5, 0, "first"));
    queue.push(item(4, 9, "earlier-time"));
    expect(drain(queue)).toEqual(["earlier-time", "first", "second", "third", "fourth"]);
  });

  it("peek returns the head without removing it; pop on empty returns undefined", () => {
    const queue = new EventQueue<Item>();
    expect(queue.peek()).toBeUndefined();
    expect(queue.pop()).toBeUndefined();
    queue.push(item(7, 0, "x"));
    queue.push(item(3, 1, "y"));
    expect(queue.peek()?.name).toBe("y");
    expect(queue.size).toBe(2);
    expect(queue.pop()?.name).toBe("y");
    expect(queue.peek()?.name).toBe("x");
  });

  it("interleaved pushes and pops keep the heap valid", () => {
    const queue = new EventQueue<Item>();
    let seq = 0;
    // A fixed, hand-written interleaving: times go up and down so both sift directions run.
    for (const at of [50, 10, 90, 10, 70]) queue.push(item(at, seq++));
    queue.checkHeap();
    expect(queue.pop()?.name).toBe("10/1");
    for (const at of [5, 60, 10]) queue.push(item(at, seq++));
    queue.checkHeap();
    // Remaining: 50/0, 90/2, 10/3, 70/4, 5/5, 60/6, 10/7 in (time, seq) order:
    expect(drain(queue)).toEqual(["5/5", "10/3", "10/7", "50/0", "60/6", "70/4", "90/2"]);
  });

  it("clear empties the queue", () => {
    const queue = new EventQueue<Item>();
    queue.push(item(1, 0));
    queue.push(item(2, 1));
    queue.clear();
    expect(queue.size).toBe(0);
    expect(queue.pop()).toBeUndefined();
  });

  it("checkHeap detects a broken heap (so the other checks can fail)", () => {
    const queue = new EventQueue<Item>();
    queue.push(item(1, 0));
    queue.push(item(2, 1));
    queue.push(item(3, 2));
    queue.checkHeap();
    // Swap the root and a child behind the queue's back: the root is now later than a child.
    const heap = queue.entries() as Item[];
    const root = heap[0]!;
    heap[0] = heap[1]!;
    heap[1] = root;
    expect(() => queue.checkHeap()).toThrow(SimAssertionError);
    expect(() => queue.checkHeap()).toThrow(/heap order broken at index 1/);
  });
});
