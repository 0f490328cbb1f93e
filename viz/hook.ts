/**
 * The `window.__kafkasim` test hook: what the end-to-end tests (and curious users, from the
 * console) read and drive. It is re-installed, as a new object, whenever a scenario is opened or
 * forked, so a test can wait for it to appear after clicking Run.
 */
import type { Session, SessionState } from "../sim/index.ts";

export interface KafkasimHook {
  /** The scenario text of the run (forks included). */
  readonly scenario: string;
  readonly seed: number;
  readonly timeUs: number;
  readonly durationUs: number;
  /** The traceHash of the trace so far (at the end: the run's, as `kafkasim run` prints it). */
  traceHash(): string;
  state(): SessionState;
  seek(us: number): void;
  play(): void;
  pause(): void;
}

export interface HookApi {
  session(): Session | undefined;
  seek(us: number): void;
  play(): void;
  pause(): void;
}

export function installHook(api: HookApi): void {
  const current = (): Session => {
    const s = api.session();
    if (s === undefined) throw new Error("no scenario is open");
    return s;
  };
  const hook: KafkasimHook = {
    get scenario() {
      return current().text;
    },
    get seed() {
      return current().seed;
    },
    get timeUs() {
      return current().timeUs;
    },
    get durationUs() {
      return current().durationUs;
    },
    traceHash: () => current().state().traceHash,
    state: () => current().state(),
    seek: (us) => api.seek(us),
    play: () => api.play(),
    pause: () => api.pause(),
  };
  (window as unknown as { __kafkasim: KafkasimHook }).__kafkasim = hook;
}
