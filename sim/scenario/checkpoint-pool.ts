/**
 * Checkpoints for a session's seeks: paused live runs of the same scenario at earlier points, so a
 * seek (backwards too) replays from the nearest one instead of from 0. A ScenarioRun cannot be
 * cloned (closures sit in its event queue), so a checkpoint is a whole run, built by replaying
 * from 0 in slices of background work (`build`), and consumed when a seek adopts it.
 *
 * Where checkpoints go: every `gap` engine events (slot k starts at k·gap events), so each gap
 * replays in about the same time whatever the scenario's pace; gap = max(minGapEvents, events of
 * the whole run / maxCheckpoints), so the pool never holds more than about maxCheckpoints runs.
 * The first job is to learn the run's length: a builder runs to the end (unless the run on screen
 * got there first); then the gap is fixed, so no checkpoint is ever moved. A slot holds one run:
 * the one nearest its start. Slot 0 needs none (a new run starts there), and a scenario whose
 * whole run fits in one gap keeps no checkpoint at all. A run is "tight" for its slot when it is
 * less than a quarter gap past the start; the builder fills the slots that have no tight run, the
 * one with the longest replay to it first. The run a seek leaves behind joins the pool too (a
 * loose checkpoint) until the builder replaces it.
 *
 * Determinism: a run paused anywhere, even between two events of one microsecond (+1 event), is
 * a valid start for any target at or after its time: advancing runs every event up to the target,
 * in the same order as a straight run.
 */
import type { ScenarioRun } from "./runner.ts";
import type { TraceCursor } from "./shared-trace.ts";

/** A run and its place in the session's shared trace. */
export interface RunHandle extends TraceCursor {
  readonly run: ScenarioRun;
}

export interface CheckpointOptions {
  /** At most about this many checkpoint runs (each a whole simulated world). */
  readonly maxCheckpoints?: number;
  /** Checkpoints at least this many engine events apart. */
  readonly minGapEvents?: number;
}

/** Defaults, documented in docs/viz.md ("Seeking: checkpoints and replay"). */
export const CHECKPOINT_DEFAULTS = { maxCheckpoints: 24, minGapEvents: 8_000 } as const;

/** A run less than this fraction of a gap past its slot's start is "tight" for the slot. */
const TIGHT_FRACTION = 0.25;

/** The builder's slot while it runs to the end to learn the run's length. */
const DISCOVER = -1;

/** The builder's work budget for opening a run (building its world), in engine events. */
const OPEN_COST_EVENTS = 500;

/** A checkpoint, as `Session.checkpoints()` shows it. */
export interface CheckpointInfo {
  readonly timeUs: number;
  readonly events: number;
  readonly slot: number;
  readonly tight: boolean;
}

export class CheckpointPool {
  readonly maxCheckpoints: number;
  readonly minGapEvents: number;
  /** Paused runs, by engine events processed, ascending; at most one per slot. */
  private entries: RunHandle[] = [];
  /** The run being built, toward a slot (DISCOVER: toward the end). */
  private builder: { handle: RunHandle; slot: number } | undefined;
  /** Engine events of the whole run, once a run has reached the end. */
  private totalEvents: number | undefined;
  private broken = false;

  constructor(
    private readonly open: () => RunHandle,
    options: CheckpointOptions = {},
  ) {
    this.maxCheckpoints = Math.max(
      1,
      Math.floor(options.maxCheckpoints ?? CHECKPOINT_DEFAULTS.maxCheckpoints),
    );
    this.minGapEvents = Math.max(
      1,
      Math.floor(options.minGapEvents ?? CHECKPOINT_DEFAULTS.minGapEvents),
    );
  }

  /** Engine events between two slots (fixed once the run's length is known). */
  get gapEvents(): number {
    const total = this.totalEvents ?? 0;
    return Math.max(this.minGapEvents, Math.ceil(total / this.maxCheckpoints));
  }

  /** Learns the run's length from a run of the session at the end (call after advancing one). */
  note(run: ScenarioRun): void {
    if (this.totalEvents === undefined && atEnd(run)) {
      this.totalEvents = run.engine.eventsProcessed;
      this.normalize();
    }
  }

  /**
   * The paused run to continue from for a seek to `targetUs`: the one with the most events among
   * those at or before the target, if it has more than `liveEvents` (the run on screen's count,
   * or -1 when that one cannot be continued). It leaves the pool.
   */
  take(targetUs: number, liveEvents: number): RunHandle | undefined {
    let best: RunHandle | undefined;
    let bestEvents = liveEvents;
    for (const h of this.candidates()) {
      const events = h.run.engine.eventsProcessed;
      if (h.run.nowUs <= targetUs && events > bestEvents) {
        best = h;
        bestEvents = events;
      }
    }
    if (best === undefined) return undefined;
    if (this.builder?.handle === best) this.builder = undefined;
    else this.entries = this.entries.filter((h) => h !== best);
    return best;
  }

  /** Offers a paused run (a seek's leftover, or a built one) to the pool; kept if it is useful. */
  offer(handle: RunHandle): void {
    if (this.broken || this.tiny || !usable(handle.run)) return;
    handle.events = null;
    this.note(handle.run);
    this.entries.push(handle);
    this.normalize();
  }

  /**
   * Does up to about `maxEvents` engine events of building; returns whether work remains. A run
   * that throws while being built (a model assertion) stops the building for good; the error is
   * the run's own and shows again when the session reaches that point, so it is not thrown here.
   */
  build(maxEvents: number): boolean {
    let budget = Math.max(1, Math.floor(maxEvents));
    try {
      // Each round spends budget or completes a checkpoint; the bound is a guard.
      for (let round = 0; budget > 0 && !this.broken && round < 10_000; round++) {
        this.normalize();
        const builder = this.builderFor();
        if (builder === undefined) return false;
        if (builder.fresh) budget -= OPEN_COST_EVENTS;
        const { handle, slot } = builder.work;
        const run = handle.run;
        const target = slot === DISCOVER ? Number.POSITIVE_INFINITY : slot * this.gapEvents;
        while (budget > 0 && run.engine.eventsProcessed < target && !atEnd(run)) {
          run.stepEvent();
          budget--;
        }
        this.note(run);
        if (run.engine.eventsProcessed >= target || atEnd(run)) {
          this.builder = undefined;
          this.offer(handle);
        }
      }
    } catch (error) {
      this.broken = true;
      this.builder = undefined;
      this.buildError = error;
      return false;
    }
    return this.pending();
  }

  /** What stopped the building, if a run threw while being built. */
  buildError: unknown;

  /** Whether building has work left. */
  pending(): boolean {
    if (this.broken) return false;
    if (this.builder !== undefined || this.totalEvents === undefined) return true;
    return this.neededSlots().length > 0;
  }

  /** The pool as it stands (tests, the benchmark). */
  info(): CheckpointInfo[] {
    const gap = this.gapEvents;
    return this.entries.map((h) => {
      const events = h.run.engine.eventsProcessed;
      const slot = Math.floor(events / gap);
      return { timeUs: h.run.nowUs, events, slot, tight: tight(events, slot, gap) };
    });
  }

  /** Paused runs a seek can adopt: the pool's and the builder's. */
  private candidates(): RunHandle[] {
    return this.builder === undefined ? this.entries : [...this.entries, this.builder.handle];
  }

  /** Sorts the pool and keeps, per slot, the run nearest the slot's start. */
  private normalize(): void {
    const gap = this.gapEvents;
    if (this.tiny) {
      this.entries = [];
      return;
    }
    const sorted = this.entries
      .filter((h) => usable(h.run))
      .sort((a, b) => a.run.engine.eventsProcessed - b.run.engine.eventsProcessed);
    const kept: RunHandle[] = [];
    let lastSlot = -1;
    for (const h of sorted) {
      const slot = Math.floor(h.run.engine.eventsProcessed / gap);
      if (slot !== lastSlot) kept.push(h);
      lastSlot = slot;
    }
    // Past the bound (runs left by seeks before the run's length is known): drop the run nearest
    // the one before it, which shortens the fewest replays.
    while (kept.length > this.maxCheckpoints + 1) {
      let drop = 1;
      for (let i = 2; i < kept.length; i++) {
        const span = kept[i]!.run.engine.eventsProcessed - kept[i - 1]!.run.engine.eventsProcessed;
        const best =
          kept[drop]!.run.engine.eventsProcessed - kept[drop - 1]!.run.engine.eventsProcessed;
        if (span < best) drop = i;
      }
      kept.splice(drop, 1);
    }
    this.entries = kept;
  }

  /** A whole run replays within one gap: no checkpoint is worth its memory. */
  private get tiny(): boolean {
    return this.totalEvents !== undefined && this.totalEvents <= this.gapEvents;
  }

  /** How many slots the run has (none while its length is unknown). */
  private slotCount(): number {
    if (this.totalEvents === undefined) return 0;
    return Math.floor(Math.max(0, this.totalEvents - 1) / this.gapEvents) + 1;
  }

  /** Slots without a tight run, with the replay length to them from the nearest run below. */
  private neededSlots(): Array<{ slot: number; replay: number }> {
    const gap = this.gapEvents;
    const counts = this.entries.map((h) => h.run.engine.eventsProcessed);
    const out: Array<{ slot: number; replay: number }> = [];
    // Slot 0 needs no run: a new run starts there, for the cost of building its world.
    for (let slot = 1; slot < this.slotCount(); slot++) {
      const start = slot * gap;
      if (counts.some((c) => tight(c, slot, gap))) continue;
      const below = counts.filter((c) => c <= start);
      out.push({ slot, replay: start - Math.max(0, ...below) });
    }
    return out;
  }

  /** The builder to work on: the current one if its slot still needs it, else a new one. */
  private builderFor(): { work: { handle: RunHandle; slot: number }; fresh: boolean } | undefined {
    const needed = this.neededSlots();
    const pick = (from: number) =>
      needed
        .filter((n) => n.slot * this.gapEvents >= from)
        .reduce<(typeof needed)[number] | undefined>(
          (best, n) => (best === undefined || n.replay > best.replay ? n : best),
          undefined,
        );
    const current = this.builder;
    if (current !== undefined) {
      if (current.slot === DISCOVER && this.totalEvents === undefined)
        return { work: current, fresh: false };
      if (needed.some((n) => n.slot === current.slot)) return { work: current, fresh: false };
      const events = current.handle.run.engine.eventsProcessed;
      const next = pick(events);
      if (next !== undefined) {
        current.slot = next.slot;
        return { work: current, fresh: false };
      }
      // Nothing left ahead of it: it may still serve as a loose checkpoint.
      this.builder = undefined;
      this.offer(current.handle);
      return this.builderFor();
    }
    const slot = this.totalEvents === undefined ? DISCOVER : pick(0)?.slot;
    if (slot === undefined) return undefined;
    this.builder = { handle: this.open(), slot };
    return { work: this.builder, fresh: true };
  }
}

function tight(events: number, slot: number, gap: number): boolean {
  const past = events - slot * gap;
  return past >= 0 && past < gap * TIGHT_FRACTION;
}

/** A run that can still be advanced. */
function usable(run: ScenarioRun): boolean {
  return !run.finished && run.boundMessage === undefined;
}

/** At the scenario's end, or stopped at a bound: it goes no further. */
function atEnd(run: ScenarioRun): boolean {
  return run.nowUs >= run.endUs || run.boundMessage !== undefined;
}
