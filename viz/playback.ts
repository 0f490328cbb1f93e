/**
 * Playback: the one place where wall time turns into virtual time. Speed runs on a logarithmic
 * scale from 0.1× to 1000× (1× = one virtual second per wall second). A step of playback moves the
 * target forward by wall time × speed, and stops early at an `ask` or `pause` step of the
 * narrative, so the class can answer before the story goes on. The functions here are pure; the
 * page's animation loop (main.ts) calls them with requestAnimationFrame's timestamps.
 */

/** log10 of the slowest and fastest speeds. */
export const SPEED_LOG_MIN = -1;
export const SPEED_LOG_MAX = 3;
/** `[` and `]` move the speed by this much on the log10 scale (about ×2). */
export const SPEED_LOG_STEP = 0.3;
/** The arrow keys move time by this much (shift: ten times as much), µs. */
export const STEP_US = 100_000;

export function clampSpeedLog(log10: number): number {
  return Math.min(SPEED_LOG_MAX, Math.max(SPEED_LOG_MIN, Math.round(log10 * 10) / 10));
}

export function speedOf(log10: number): number {
  return 10 ** clampSpeedLog(log10);
}

export function formatSpeed(log10: number): string {
  const s = speedOf(log10);
  return `${s >= 10 ? Math.round(s) : s.toFixed(s >= 1 ? 1 : 2)}×`;
}

/**
 * Where playback goes next: `nowUs` + wall ms × speed, capped at the duration and at the first
 * stop strictly after `nowUs` (then `stopped` is true).
 */
export function playbackTarget(
  nowUs: number,
  wallDeltaMs: number,
  speed: number,
  durationUs: number,
  stopsUs: readonly number[],
): { targetUs: number; stopped: boolean; ended: boolean } {
  const delta = Math.max(0, Math.min(wallDeltaMs, 250)) * 1000 * speed;
  let targetUs = Math.min(durationUs, Math.floor(nowUs + delta));
  let stopped = false;
  for (const stop of stopsUs) {
    if (stop > nowUs && stop <= targetUs) {
      targetUs = stop;
      stopped = true;
      break;
    }
  }
  return { targetUs, stopped, ended: targetUs >= durationUs };
}
