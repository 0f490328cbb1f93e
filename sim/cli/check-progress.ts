/**
 * The progress bar of `kafkasim check` on stderr: runs done of the slice, runs per second of wall
 * time, failures so far. It is ProgressBar (progress.ts) with the search's label: shown once the
 * search has taken more than a second, redrawn at most ten times a second, one terminal line,
 * erased at the end; the CLI shows it only on a TTY and never with --json. The wall clock is
 * injected: this file reads none.
 */
import { ProgressBar } from "./progress.ts";

export class SearchProgress {
  private readonly bar: ProgressBar;

  constructor(
    write: (text: string) => void,
    wallClockMs: () => number,
    columns: number,
    private readonly totalRuns: number,
  ) {
    this.bar = new ProgressBar(write, wallClockMs, columns);
  }

  update(runsDone: number, failures: number): void {
    const fraction = this.totalRuns > 0 ? runsDone / this.totalRuns : 1;
    this.bar.draw(fraction, (elapsedMs) => {
      const perSec = elapsedMs > 0 ? (runsDone * 1000) / elapsedMs : 0;
      return (
        ` ${runsDone}/${this.totalRuns} runs  ${perSec.toFixed(1)} runs/s` +
        `  ${failures} failure${failures === 1 ? "" : "s"}`
      );
    });
  }

  /** Erases the bar if it was drawn; safe to call more than once. */
  finish(): void {
    this.bar.finish();
  }
}
