/**
 * The progress bar of `kafkasim check` on stderr: runs done of the slice, runs per second of wall
 * time, failures so far. Like ProgressBar (progress.ts): shown once the search has taken more than
 * a second, redrawn at most ten times a second, one terminal line, erased at the end; the CLI
 * shows it only on a TTY and never with --json. The wall clock is injected: this file reads none.
 */

const SHOW_AFTER_MS = 1000;
const REDRAW_EVERY_MS = 100;

export class SearchProgress {
  private readonly startedMs: number;
  private lastDrawMs = -Infinity;
  private drawn = false;

  constructor(
    private readonly write: (text: string) => void,
    private readonly wallClockMs: () => number,
    private readonly columns: number,
    private readonly totalRuns: number,
  ) {
    this.startedMs = wallClockMs();
  }

  update(runsDone: number, failures: number): void {
    const nowMs = this.wallClockMs();
    const elapsedMs = nowMs - this.startedMs;
    if (elapsedMs < SHOW_AFTER_MS || nowMs - this.lastDrawMs < REDRAW_EVERY_MS) return;
    this.lastDrawMs = nowMs;
    const fraction = this.totalRuns > 0 ? Math.min(1, runsDone / this.totalRuns) : 1;
    const perSec = elapsedMs > 0 ? (runsDone * 1000) / elapsedMs : 0;
    const label =
      ` ${runsDone}/${this.totalRuns} runs  ${perSec.toFixed(1)} runs/s` +
      `  ${failures} failure${failures === 1 ? "" : "s"}`;
    const width = Math.max(10, Math.min(40, this.columns - label.length - 4));
    const filled = Math.round(fraction * width);
    const line = `[${"#".repeat(filled)}${"-".repeat(width - filled)}]${label}`.slice(
      0,
      Math.max(1, this.columns - 1),
    );
    this.write(`\r${line}\x1b[K`);
    this.drawn = true;
  }

  /** Erases the bar if it was drawn; safe to call more than once. */
  finish(): void {
    if (this.drawn) this.write("\r\x1b[K");
    this.drawn = false;
  }
}
