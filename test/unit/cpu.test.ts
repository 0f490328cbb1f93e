import { describe, expect, it } from "vitest";
import { SimAssertionError } from "../../sim/engine/assert.ts";
import { Cpu } from "../../sim/infra/cpu.ts";

describe("infra: cpu: scheduling", () => {
  it("one core runs work first in, first out", () => {
    // 100 us at 0 runs 0..100; 50 us submitted at 10 waits for it: 100..150; 10 us at 200 finds
    // the core idle: 200..210.
    const cpu = new Cpu(1);
    expect(cpu.run(0, 100)).toEqual({ core: 0, startAtUs: 0, doneAtUs: 100 });
    expect(cpu.run(10, 50)).toEqual({ core: 0, startAtUs: 100, doneAtUs: 150 });
    expect(cpu.run(200, 10)).toEqual({ core: 0, startAtUs: 200, doneAtUs: 210 });
  });

  it("work goes to the earliest-free core, ties to the lowest index", () => {
    // Two 100 us pieces at 0 take both cores. The next two wait until 100; both cores free then,
    // so core 0 first, then core 1.
    const cpu = new Cpu(2);
    expect(cpu.run(0, 100).core).toBe(0);
    expect(cpu.run(0, 100).core).toBe(1);
    expect(cpu.run(0, 50)).toEqual({ core: 0, startAtUs: 100, doneAtUs: 150 });
    expect(cpu.run(0, 10)).toEqual({ core: 1, startAtUs: 100, doneAtUs: 110 });
    // Core 1 frees first (110 < 150).
    expect(cpu.run(0, 5)).toEqual({ core: 1, startAtUs: 110, doneAtUs: 115 });
  });

  it("cores idle at submission time are equally early: the lowest index wins", () => {
    // Core 0 is free from 50, core 1 from 30; at 100 both are idle, so core 0 takes the work.
    const cpu = new Cpu(2);
    cpu.run(0, 50);
    cpu.run(0, 30);
    expect(cpu.run(100, 10)).toEqual({ core: 0, startAtUs: 100, doneAtUs: 110 });
    expect(cpu.earliestStartUs(100)).toBe(100);
    expect(cpu.earliestStartUs(105)).toBe(105);
  });

  it("rejects time going backwards and negative work", () => {
    const cpu = new Cpu(1);
    cpu.run(100, 1);
    expect(() => cpu.run(99, 1)).toThrow(SimAssertionError);
    expect(() => cpu.run(100, -1)).toThrow(SimAssertionError);
    expect(() => new Cpu(0)).toThrow(SimAssertionError);
  });
});

describe("infra: cpu: accounting", () => {
  it("utilization over a window counts busy core time", () => {
    // Core 0 busy 0..100, core 1 busy 0..50. In [0, 100): 150 of 200 core-us = 0.75.
    // In [50, 150): core 0 50 us, core 1 0 us = 50 of 200 = 0.25.
    const cpu = new Cpu(2);
    cpu.run(0, 100);
    cpu.run(0, 50);
    expect(cpu.busyUs(0, 100)).toBe(150);
    expect(cpu.utilization(0, 100)).toBe(0.75);
    expect(cpu.utilization(50, 150)).toBe(0.25);
    expect(cpu.busyTotalUs).toBe(150);
  });

  it("back-to-back work on a core counts once, without double counting the seam", () => {
    const cpu = new Cpu(1);
    cpu.run(0, 10);
    cpu.run(0, 10);
    cpu.run(0, 10);
    expect(cpu.busyUs(0, 1000)).toBe(30);
    expect(cpu.busyUs(5, 25)).toBe(20);
  });

  it("reset (process crash) drops queued work and the busy time it would have used", () => {
    // 1 core: 0..100 and 100..200 booked; crash at 50: only 0..50 was used. The next work at 50
    // starts at once: 50..60. Busy in [0, 100) is then 60.
    const cpu = new Cpu(1);
    cpu.run(0, 100);
    cpu.run(0, 100);
    cpu.reset(50);
    expect(cpu.busyTotalUs).toBe(50);
    expect(cpu.run(50, 10)).toEqual({ core: 0, startAtUs: 50, doneAtUs: 60 });
    expect(cpu.busyUs(0, 100)).toBe(60);
  });

  it("forgets history older than historyUs, and says so when asked about it", () => {
    // historyUs 1000: after a run at 5000, anything that ended before 4000 is gone.
    const cpu = new Cpu(1, { historyUs: 1000 });
    cpu.run(0, 10);
    cpu.run(5000, 10);
    expect(() => cpu.busyUs(0, 100)).toThrow(SimAssertionError);
    expect(cpu.busyUs(4000, 5100)).toBe(10);
    expect(cpu.busyTotalUs).toBe(20);
  });
});
