/**
 * CPU: the cores of one host, as first-in first-out queues of work.
 *
 * Models: a piece of work (µs of CPU time) goes to the core that can start it earliest, at
 * max(now, the core's free time); ties go to the lowest core index. Work submitted later never
 * starts before work submitted earlier on the same core (FIFO). The model keeps busy time per core
 * and answers utilization over a window.
 *
 * Simplifies: no preemption, no priorities, no time slices, no frequency scaling, no
 * hyper-threads, no cache effects; the caller maps its threads to work items (a thread pool of N
 * threads on C cores is the caller's business). The CPU schedules nothing itself: the host actor
 * calls run() and schedules the completion at the returned time.
 *
 * Faults: a process crash (reset): queued and running work is gone; the busy time it would have
 * used after the crash is not counted.
 */
import { assert, assertSafeInt } from "../engine/assert.ts";

export interface CpuRun {
  /** The core that runs the work. */
  readonly core: number;
  readonly startAtUs: number;
  readonly doneAtUs: number;
}

export interface CpuOptions {
  /**
   * How far back utilization can be asked, µs (default 60 s). Busy intervals older than this
   * before the latest run() are folded away, so memory stays bounded on long runs.
   */
  readonly historyUs?: number;
}

/** Busy intervals of one core, [start, end), in time order, contiguous ones merged. */
interface CoreHistory {
  starts: number[];
  ends: number[];
}

export class Cpu {
  readonly cores: number;
  private readonly historyUs: number;
  private readonly freeAtUs: number[];
  private readonly history: CoreHistory[];
  private lastNowUs = 0;
  /** Busy time ever booked (minus what a reset cancelled), µs. */
  private totalBusyUs = 0;
  /** Utilization can be asked for windows starting at or after this time. */
  private forgottenBeforeUs = 0;

  constructor(cores: number, options: CpuOptions = {}) {
    assertSafeInt(cores, "cores");
    assert(cores >= 1, "a CPU has at least one core");
    this.cores = cores;
    this.historyUs = options.historyUs ?? 60_000_000;
    assertSafeInt(this.historyUs, "historyUs");
    this.freeAtUs = new Array<number>(cores).fill(0);
    this.history = Array.from({ length: cores }, () => ({ starts: [], ends: [] }));
  }

  /** Queues `workUs` of CPU time submitted at `nowUs`; returns where and when it runs. */
  run(nowUs: number, workUs: number): CpuRun {
    assertSafeInt(nowUs, "nowUs");
    assertSafeInt(workUs, "workUs");
    assert(workUs >= 0, () => `negative work ${workUs}`);
    assert(nowUs >= this.lastNowUs, () => `time went back: ${nowUs} < ${this.lastNowUs}`);
    this.lastNowUs = nowUs;
    let core = 0;
    let startAtUs = Math.max(nowUs, this.freeAtUs[0]!);
    for (let i = 1; i < this.cores; i++) {
      const start = Math.max(nowUs, this.freeAtUs[i]!);
      if (start < startAtUs) {
        core = i;
        startAtUs = start;
      }
    }
    const doneAtUs = startAtUs + workUs;
    assertSafeInt(doneAtUs, "doneAtUs");
    this.freeAtUs[core] = doneAtUs;
    this.book(core, startAtUs, doneAtUs);
    this.forget(nowUs - this.historyUs);
    return { core, startAtUs, doneAtUs };
  }

  /** The earliest time a new piece of work submitted now could start. */
  earliestStartUs(nowUs: number): number {
    let best = Number.MAX_SAFE_INTEGER;
    for (const free of this.freeAtUs) best = Math.min(best, Math.max(nowUs, free));
    return best;
  }

  /** Busy core-µs in [fromUs, toUs), summed over cores. */
  busyUs(fromUs: number, toUs: number): number {
    assertSafeInt(fromUs, "fromUs");
    assertSafeInt(toUs, "toUs");
    assert(fromUs <= toUs, "window must not be reversed");
    assert(
      fromUs >= this.forgottenBeforeUs,
      () => `busy time before ${this.forgottenBeforeUs}us is forgotten (historyUs)`,
    );
    let busy = 0;
    for (const { starts, ends } of this.history) {
      for (let i = 0; i < starts.length; i++) {
        const overlap = Math.min(ends[i]!, toUs) - Math.max(starts[i]!, fromUs);
        if (overlap > 0) busy += overlap;
      }
    }
    return busy;
  }

  /** Fraction of core time busy in [fromUs, toUs): 0 (idle) to 1 (every core busy throughout). */
  utilization(fromUs: number, toUs: number): number {
    if (toUs === fromUs) return 0;
    return this.busyUs(fromUs, toUs) / (this.cores * (toUs - fromUs));
  }

  /** All busy core-µs booked so far, including work still queued. */
  get busyTotalUs(): number {
    return this.totalBusyUs;
  }

  /** Process crash at `nowUs`: work not yet done is gone and every core is free now. */
  reset(nowUs: number): void {
    assertSafeInt(nowUs, "nowUs");
    assert(nowUs >= this.lastNowUs, () => `time went back: ${nowUs} < ${this.lastNowUs}`);
    this.lastNowUs = nowUs;
    for (let core = 0; core < this.cores; core++) {
      const { starts, ends } = this.history[core]!;
      // Intervals are in time order: trim from the end while they reach past the crash.
      while (ends.length > 0 && ends[ends.length - 1]! > nowUs) {
        const last = ends.length - 1;
        const keptEnd = Math.max(starts[last]!, nowUs);
        this.totalBusyUs -= ends[last]! - keptEnd;
        if (keptEnd === starts[last]!) {
          starts.pop();
          ends.pop();
        } else {
          ends[last] = keptEnd;
          break;
        }
      }
      this.freeAtUs[core] = Math.min(this.freeAtUs[core]!, nowUs);
    }
  }

  private book(core: number, startUs: number, endUs: number): void {
    if (endUs === startUs) return;
    this.totalBusyUs += endUs - startUs;
    const { starts, ends } = this.history[core]!;
    const last = ends.length - 1;
    if (last >= 0 && ends[last] === startUs) {
      ends[last] = endUs; // back-to-back work: one interval
    } else {
      assert(last < 0 || ends[last]! < startUs, "a core runs one piece of work at a time");
      starts.push(startUs);
      ends.push(endUs);
    }
  }

  /** Drops intervals that ended before `beforeUs` (they can no longer be asked about). */
  private forget(beforeUs: number): void {
    if (beforeUs <= this.forgottenBeforeUs) return;
    this.forgottenBeforeUs = beforeUs;
    for (const h of this.history) {
      let n = 0;
      while (n < h.ends.length && h.ends[n]! <= beforeUs) n++;
      if (n > 0) {
        h.starts.splice(0, n);
        h.ends.splice(0, n);
      }
    }
  }
}
