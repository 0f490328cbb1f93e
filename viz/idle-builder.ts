/**
 * Builds the session's checkpoints (fast seeks, sim/scenario/checkpoint-pool.ts) in the page's
 * idle time: requestIdleCallback hands over the rest of a frame, and the builder does small slices
 * of simulation (a few hundred events, a few ms) until the frame's idle time is nearly gone, so
 * drawing and input stay smooth. This is the page's answer to "a Web Worker where that keeps the
 * UI smooth": the panels read the live model directly, so the simulator stays on the main thread,
 * and only this background work is sliced. Wall time is read here only to budget that work; it
 * never becomes virtual time.
 */
import type { Session } from "../sim/index.ts";

/** Simulation events per slice: a few ms on the bundled scenarios. */
export const EVENTS_PER_SLICE = 400;
/** Stop a frame's idle work with this much idle time left, ms. */
const RESERVE_MS = 3;
/** Without requestIdleCallback (Safari): a timer, and this much work per call, ms. */
const FALLBACK_DELAY_MS = 40;
const FALLBACK_BUDGET_MS = 8;

interface Deadline {
  timeRemaining(): number;
}

export class IdleBuilder {
  private scheduled = false;
  private on = true;

  constructor(
    private readonly current: () => Session | undefined,
    private readonly onError: (error: unknown) => void,
  ) {}

  get enabled(): boolean {
    return this.on;
  }

  /** Turns background building on or off (the benchmark measures seeks without it). */
  setEnabled(on: boolean): void {
    this.on = on;
    if (on) this.kick();
  }

  /** Asks for idle time if there is work (after an open, a fork, a seek, a frame); cheap to repeat. */
  kick(): void {
    if (this.scheduled || !this.on || !(this.current()?.checkpoints().pending ?? false)) return;
    this.scheduled = true;
    if (typeof window.requestIdleCallback === "function") {
      window.requestIdleCallback((deadline) => this.work(deadline));
    } else {
      window.setTimeout(() => {
        const end = performance.now() + FALLBACK_BUDGET_MS;
        this.work({ timeRemaining: () => end - performance.now() });
      }, FALLBACK_DELAY_MS);
    }
  }

  /** Builds until done (tests and the benchmark); returns the number of slices. */
  buildAll(maxSlices = 1_000_000): number {
    const session = this.current();
    let slices = 0;
    while (session !== undefined && slices < maxSlices && this.slice(session)) slices++;
    if (session !== undefined) this.reportStop(session);
    return slices;
  }

  private work(deadline: Deadline): void {
    this.scheduled = false;
    const session = this.current();
    if (!this.on || session === undefined) return;
    let more = true;
    while (more && deadline.timeRemaining() > RESERVE_MS) more = this.slice(session);
    if (more) this.kick();
    else this.reportStop(session);
  }

  private readonly reported = new WeakSet<Session>();

  /** A run that threw while being built stopped the building: said once per session. */
  private reportStop(session: Session): void {
    const error = session.checkpoints().buildError;
    if (error === undefined || this.reported.has(session)) return;
    this.reported.add(session);
    this.onError(new Error(`checkpoints: building stopped: ${error}`));
  }

  private slice(session: Session): boolean {
    try {
      return session.buildCheckpoints(EVENTS_PER_SLICE);
    } catch (error) {
      this.on = false;
      this.onError(error);
      return false;
    }
  }
}
