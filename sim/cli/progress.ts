/**
 * A progress bar on stderr for long runs: shown only once a run has taken more than a second of
 * wall time, redrawn at most ten times a second, kept to one terminal line, erased when the run
 * ends. The CLI shows it only when stderr is a TTY and never with --json or --quiet. The wall
 * clock is injected, so this file reads no clock itself.
 */
import { formatDurationUs } from "./time-arg.ts";

const SHOW_AFTER_MS = 1000;
const REDRAW_EVERY_MS = 100;

export class ProgressBar {
  private readonly startedMs: number;
  private lastDrawMs = -Infinity;
  private drawn = false;

  constructor(
    private readonly write: (text: string) => void,
    private readonly wallClockMs: () => number,
    private readonly columns: number,
  ) {
    this.startedMs = wallClockMs();
  }

  /** A scenario run: virtual time reached of the end, events so far, speed against wall time. */
  update(timeUs: number, endUs: number, events: number): void {
    this.draw(endUs > 0 ? timeUs / endUs : 1, (elapsedMs) => {
      const speed = elapsedMs > 0 ? timeUs / 1000 / elapsedMs : 0;
      return ` ${formatDurationUs(timeUs)} / ${formatDurationUs(endUs)}  ${events} events  ${speed.toFixed(1)}x`;
    });
  }

  /**
   * Redraws the bar at `fraction` done with the label `labelOf(elapsed wall ms)` gives, unless it
   * is too early to show it or too soon after the last redraw (the label is then not built).
   */
  draw(fraction: number, labelOf: (elapsedMs: number) => string): void {
    const nowMs = this.wallClockMs();
    const elapsedMs = nowMs - this.startedMs;
    if (elapsedMs < SHOW_AFTER_MS || nowMs - this.lastDrawMs < REDRAW_EVERY_MS) return;
    this.lastDrawMs = nowMs;
    const label = labelOf(elapsedMs);
    const width = Math.max(10, Math.min(40, this.columns - label.length - 4));
    const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
    // One terminal line at most: a wrapped line could not be redrawn in place with \r.
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
