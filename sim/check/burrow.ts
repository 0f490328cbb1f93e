/**
 * Burrow's consumer lag evaluation (LinkedIn's Burrow: core/internal/storage/inmemory.go and
 * core/internal/evaluator/caching.go, and the wiki page "Consumer Lag Evaluation Rules"),
 * reimplemented over the history in virtual time.
 *
 * Storage: per group and partition a sliding window of the last `intervals` (default 10) offset
 * commits, each with its offset, order, timestamp and the lag when it arrived: the partition's
 * latest broker offset minus the committed offset, 0 when negative. A commit arriving before any
 * broker offset of its partition is dropped, as Burrow drops it. A commit closer than
 * `min-distance` to the previous one replaces it and keeps the older timestamp. Broker offsets are
 * kept in a ring of the same length.
 *
 * Evaluation of a partition (calculatePartitionStatus), with the current lag = latest broker
 * offset - last committed offset (0 when negative):
 * - current lag 0: OK;
 * - STOP when the time since the last commit exceeds the window's span (last - first commit time)
 *   and no recent broker offset is at or below the last committed offset;
 * - otherwise, only when no commit in the window had lag 0 (rule 1), the first that holds of:
 *   REWIND (a commit's offset is below the previous one's), STALL (all commits have the same
 *   offset), WARN (the lag never decreases from one commit to the next);
 * - else OK.
 * The group's status is its worst partition's, with STOP, STALL and REWIND reported as ERR.
 * Statuses order NOTFOUND < OK < WARN < ERR < STOP < STALL < REWIND, as Burrow's constants do.
 *
 * Simplified: commits arrive in order (Burrow also inserts late ones by order); no group expiry,
 * whitelists or owners. Broker offsets are the history's explicit samples, or else the leaders' HW
 * (highest leader epoch wins) sampled every `offset-refresh` (Burrow's default 10 s) from time 0.
 * Burrow fetches the newest offset, which for a read_uncommitted client is the HW.
 */
import { assert } from "../engine/assert.ts";
import { tpKey } from "../kafka/types.ts";
import { formatTimeUs } from "./format.ts";
import type { BrokerOffsetSample, CommitRecord, History } from "./history.ts";

export type BurrowStatus = "NOTFOUND" | "OK" | "WARN" | "ERR" | "STOP" | "STALL" | "REWIND";

/** Burrow's StatusConstant values: the order in which statuses are worse. */
export const BURROW_SEVERITY: Readonly<Record<BurrowStatus, number>> = {
  NOTFOUND: 0,
  OK: 1,
  WARN: 2,
  ERR: 3,
  STOP: 4,
  STALL: 5,
  REWIND: 6,
};

/** One stored commit (Burrow's ConsumerOffset); lag null when it was not computed. */
export interface ConsumerOffset {
  readonly offset: number;
  readonly order: number;
  readonly timestampUs: number;
  readonly lag: number | null;
}

export interface BurrowOptions {
  /** storage `intervals`: commits (and broker offsets) kept per partition. Burrow's default 10. */
  readonly intervals: number;
  /** storage `min-distance`, as a duration; 0 (Burrow's default) keeps every commit. */
  readonly minDistanceUs: number;
  /** evaluator `minimum-complete`: below this share of a full window, a partition is OK. Default 0. */
  readonly minimumComplete: number;
  /** cluster `offset-refresh`: how often broker offsets are sampled from HW changes. Default 10 s. */
  readonly offsetRefreshUs: number;
}

export const BURROW_DEFAULTS: BurrowOptions = {
  intervals: 10,
  minDistanceUs: 0,
  minimumComplete: 0,
  offsetRefreshUs: 10_000_000,
};

// ---------------------------------------------------------------- the rules (caching.go)

/** Rule 1: no commit in the window had zero lag. */
export function isLagAlwaysNotZero(offsets: ReadonlyArray<ConsumerOffset>): boolean {
  return !offsets.some((o) => o.lag !== null && o.lag === 0);
}

/** Rule 2: a committed offset is lower than the one before it. */
export function checkIfOffsetsRewind(offsets: ReadonlyArray<ConsumerOffset>): boolean {
  for (let i = 1; i < offsets.length; i++) {
    if (offsets[i]!.offset < offsets[i - 1]!.offset) return true;
  }
  return false;
}

/** Rule 3: the time since the last commit is longer than the window's span. */
export function checkIfOffsetsStopped(
  offsets: ReadonlyArray<ConsumerOffset>,
  nowUs: number,
): boolean {
  assert(offsets.length > 0, "rule 3 needs at least one commit");
  const first = offsets[0]!.timestampUs;
  const last = offsets[offsets.length - 1]!.timestampUs;
  return nowUs - last > last - first;
}

/** Rule 4: every commit in the window has the same offset. */
export function checkIfOffsetsStalled(offsets: ReadonlyArray<ConsumerOffset>): boolean {
  for (let i = 1; i < offsets.length; i++) {
    if (offsets[i]!.offset !== offsets[i - 1]!.offset) return false;
  }
  return true;
}

/** Rule 5: the lag never goes down from one commit (with a lag) to the next. */
export function checkIfLagNotDecreasing(offsets: ReadonlyArray<ConsumerOffset>): boolean {
  let lastLag: number | null = null;
  for (const o of offsets) {
    if (o.lag === null) continue;
    if (lastLag !== null && o.lag < lastLag) return false;
    lastLag = o.lag;
  }
  return true;
}

/** Some recent broker offset is at or below the last commit: the consumer caught up lately. */
export function checkIfRecentLagZero(
  offsets: ReadonlyArray<ConsumerOffset>,
  brokerOffsets: ReadonlyArray<number>,
): boolean {
  assert(offsets.length > 0, "recent-lag check needs at least one commit");
  const lastOffset = offsets[offsets.length - 1]!.offset;
  return brokerOffsets.some((b) => b <= lastOffset);
}

/** Burrow's calculatePartitionStatus, rule by rule in its order. */
export function calculatePartitionStatus(
  offsets: ReadonlyArray<ConsumerOffset>,
  brokerOffsets: ReadonlyArray<number>,
  currentLag: number,
  nowUs: number,
): BurrowStatus {
  if (currentLag > 0) {
    if (checkIfOffsetsStopped(offsets, nowUs) && !checkIfRecentLagZero(offsets, brokerOffsets)) {
      return "STOP";
    }
    if (isLagAlwaysNotZero(offsets)) {
      if (checkIfOffsetsRewind(offsets)) return "REWIND";
      if (checkIfOffsetsStalled(offsets)) return "STALL";
      if (checkIfLagNotDecreasing(offsets)) return "WARN";
    }
  }
  return "OK";
}

// ---------------------------------------------------------------- storage (inmemory.go)

export interface PartitionStatus {
  readonly topic: string;
  readonly partition: number;
  readonly status: BurrowStatus;
  readonly currentLag: number;
  /** Share of the window filled (1 when full). */
  readonly complete: number;
  /** The window, oldest first. */
  readonly offsets: ReadonlyArray<ConsumerOffset>;
  /** Which rule decided, in words. */
  readonly reason: string;
}

export interface GroupStatus {
  readonly group: string;
  /** Worst partition status, STOP/STALL/REWIND reported as ERR; NOTFOUND without partitions. */
  readonly status: BurrowStatus;
  readonly complete: number;
  readonly totalLag: number;
  /** In (topic, partition) order. */
  readonly partitions: ReadonlyArray<PartitionStatus>;
  /** The partition with the largest current lag (first in order on ties). */
  readonly maxLag: PartitionStatus | undefined;
}

interface BrokerOffset {
  readonly offset: number;
  readonly atUs: number;
}

export class BurrowStorage {
  private readonly brokers = new Map<string, BrokerOffset[]>();
  /** group → tpKey → window. */
  private readonly consumers = new Map<
    string,
    Map<string, { topic: string; partition: number; window: ConsumerOffset[] }>
  >();
  private nextOrder = 0;

  constructor(readonly options: BurrowOptions = BURROW_DEFAULTS) {
    assert(options.intervals >= 1, "Burrow intervals must be at least 1");
  }

  /** A fetched broker (head) offset: the newest goes into the partition's ring. */
  addBrokerOffset(topic: string, partition: number, offset: number, atUs: number): void {
    const key = tpKey(topic, partition);
    let ring = this.brokers.get(key);
    if (ring === undefined) {
      ring = [];
      this.brokers.set(key, ring);
    }
    ring.push({ offset, atUs });
    if (ring.length > this.options.intervals) ring.shift();
  }

  /** A commit as Burrow reads it from __consumer_offsets; false when dropped (no broker offset). */
  addConsumerOffset(
    group: string,
    topic: string,
    partition: number,
    offset: number,
    atUs: number,
  ): boolean {
    const ring = this.brokers.get(tpKey(topic, partition));
    if (ring === undefined || ring.length === 0) return false;
    const brokerOffset = ring[ring.length - 1]!.offset;
    const lag = brokerOffset > offset ? brokerOffset - offset : 0;
    const order = this.nextOrder++;
    let byTp = this.consumers.get(group);
    if (byTp === undefined) {
      byTp = new Map();
      this.consumers.set(group, byTp);
    }
    const key = tpKey(topic, partition);
    let entry = byTp.get(key);
    if (entry === undefined) {
      entry = { topic, partition, window: [] };
      byTp.set(key, entry);
    }
    const window = entry.window;
    const prev = window[window.length - 1];
    if (prev !== undefined && atUs - prev.timestampUs < this.options.minDistanceUs) {
      // Too soon after the previous commit: replace it, keeping its timestamp, so that a group
      // committing faster than min-distance still moves the window forward.
      window[window.length - 1] = { offset, order, timestampUs: prev.timestampUs, lag };
      return true;
    }
    window.push({ offset, order, timestampUs: atUs, lag });
    if (window.length > this.options.intervals) window.shift();
    return true;
  }

  /** Groups with at least one stored commit, sorted. */
  groups(): string[] {
    return [...this.consumers.keys()].sort();
  }

  /** Burrow's evaluateConsumerStatus at time `nowUs`. */
  evaluate(group: string, nowUs: number): GroupStatus {
    const byTp = this.consumers.get(group);
    if (byTp === undefined) {
      return {
        group,
        status: "NOTFOUND",
        complete: 1,
        totalLag: 0,
        partitions: [],
        maxLag: undefined,
      };
    }
    const entries = [...byTp.values()].sort((a, b) =>
      a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition,
    );
    const partitions = entries.map((e) =>
      this.evaluatePartition(e.topic, e.partition, e.window, nowUs),
    );
    let status: BurrowStatus = "OK";
    let totalLag = 0;
    let maxLag: PartitionStatus | undefined;
    let completeCount = 0;
    for (const p of partitions) {
      if (BURROW_SEVERITY[p.status] > BURROW_SEVERITY[status]) {
        status = BURROW_SEVERITY[p.status] > BURROW_SEVERITY.ERR ? "ERR" : p.status;
      }
      totalLag += p.currentLag;
      if (maxLag === undefined || p.currentLag > maxLag.currentLag) maxLag = p;
      if (p.complete === 1) completeCount++;
    }
    const complete = partitions.length > 0 ? completeCount / partitions.length : 0;
    return { group, status, complete, totalLag, partitions, maxLag };
  }

  private evaluatePartition(
    topic: string,
    partition: number,
    window: ReadonlyArray<ConsumerOffset>,
    nowUs: number,
  ): PartitionStatus {
    const brokerOffsets = (this.brokers.get(tpKey(topic, partition)) ?? []).map((b) => b.offset);
    const offsets = window.slice();
    const last = offsets[offsets.length - 1];
    const head = brokerOffsets[brokerOffsets.length - 1];
    const currentLag =
      last === undefined || head === undefined || head < last.offset ? 0 : head - last.offset;
    const complete = offsets.length / this.options.intervals;
    const base = { topic, partition, currentLag, complete, offsets };
    if (offsets.length === 0) return { ...base, status: "OK", reason: "no commits in the window" };
    if (complete < this.options.minimumComplete) {
      return { ...base, status: "OK", reason: "window below minimum-complete, not evaluated" };
    }
    const status = calculatePartitionStatus(offsets, brokerOffsets, currentLag, nowUs);
    return {
      ...base,
      status,
      reason: explainStatus(status, offsets, brokerOffsets, currentLag, nowUs),
    };
  }
}

/** Which rule decided, in words. */
function explainStatus(
  status: BurrowStatus,
  offsets: ReadonlyArray<ConsumerOffset>,
  brokerOffsets: ReadonlyArray<number>,
  currentLag: number,
  nowUs: number,
): string {
  const first = offsets[0]!;
  const last = offsets[offsets.length - 1]!;
  const lags = `lag ${first.lag ?? "?"} to ${last.lag ?? "?"}`;
  const span = `${offsets.length} commits from ${formatTimeUs(first.timestampUs)} to ${formatTimeUs(last.timestampUs)}`;
  switch (status) {
    case "STOP":
      return (
        `no commit since ${formatTimeUs(last.timestampUs)}: ${formatTimeUs(nowUs - last.timestampUs)} ` +
        `without one is longer than the window's span of ${formatTimeUs(last.timestampUs - first.timestampUs)}, ` +
        `and the current lag is ${currentLag}`
      );
    case "REWIND": {
      let i = 1;
      while (offsets[i]!.offset >= offsets[i - 1]!.offset) i++;
      const a = offsets[i - 1]!;
      const b = offsets[i]!;
      return `committed offset went back from ${a.offset} (at ${formatTimeUs(a.timestampUs)}) to ${b.offset} (at ${formatTimeUs(b.timestampUs)})`;
    }
    case "STALL":
      return `committed offset stayed at ${last.offset} over ${span}, ${lags}, current lag ${currentLag}`;
    case "WARN":
      return `lag never decreased over ${span} (${lags}) while offsets went from ${first.offset} to ${last.offset}`;
    default:
      if (currentLag === 0) return "current lag 0";
      if (checkIfOffsetsStopped(offsets, nowUs) && checkIfRecentLagZero(offsets, brokerOffsets)) {
        return "commits stopped, but a recent broker offset shows the group caught up";
      }
      if (!isLagAlwaysNotZero(offsets)) return "lag was 0 at a commit within the window";
      return `lag decreased within the window (${lags})`;
  }
}

// ---------------------------------------------------------------- from a history

/** Broker offsets to feed Burrow: the explicit samples, or leaders' HWs every offset-refresh. */
export function brokerOffsetSamples(
  history: History,
  offsetRefreshUs: number,
): BrokerOffsetSample[] {
  if (history.brokerOffsets.length > 0) {
    return history.brokerOffsets
      .map((b, i) => ({ b, i }))
      .sort((x, y) => x.b.atUs - y.b.atUs || x.i - y.i)
      .map((x) => x.b);
  }
  assert(offsetRefreshUs > 0, "offset-refresh must be positive");
  const changes = history.hwChanges
    .map((c, i) => ({ c, i }))
    .filter((x) => x.c.isLeader)
    .sort((a, b) => a.c.atUs - b.c.atUs || a.i - b.i)
    .map((x) => x.c);
  const current = new Map<
    string,
    { topic: string; partition: number; epoch: number; hw: number }
  >();
  const samples: BrokerOffsetSample[] = [];
  let next = 0;
  for (let t = 0; t <= history.endUs; t += offsetRefreshUs) {
    for (; next < changes.length && changes[next]!.atUs <= t; next++) {
      const c = changes[next]!;
      const key = tpKey(c.topic, c.partition);
      const cur = current.get(key);
      if (cur === undefined || c.leaderEpoch >= cur.epoch) {
        current.set(key, {
          topic: c.topic,
          partition: c.partition,
          epoch: c.leaderEpoch,
          hw: c.hw,
        });
      }
    }
    const keys = [...current.keys()].sort();
    for (const key of keys) {
      const cur = current.get(key)!;
      samples.push({ atUs: t, topic: cur.topic, partition: cur.partition, offset: cur.hw });
    }
  }
  return samples;
}

/** Every group's Burrow status at the end of the run, groups sorted by name. */
export function burrowFromHistory(
  history: History,
  options: BurrowOptions = BURROW_DEFAULTS,
): GroupStatus[] {
  const storage = new BurrowStorage(options);
  const samples = brokerOffsetSamples(history, options.offsetRefreshUs);
  const commits: CommitRecord[] = history.commits
    .map((c, i) => ({ c, i }))
    .sort((a, b) => a.c.atUs - b.c.atUs || a.i - b.i)
    .map((x) => x.c);
  // Merge by time; at an equal time the broker offset is taken first (fetched, then the commit).
  let s = 0;
  const groups = new Set<string>();
  for (const c of commits) {
    for (; s < samples.length && samples[s]!.atUs <= c.atUs; s++) {
      const b = samples[s]!;
      storage.addBrokerOffset(b.topic, b.partition, b.offset, b.atUs);
    }
    groups.add(c.group);
    storage.addConsumerOffset(c.group, c.topic, c.partition, c.offset, c.atUs);
  }
  for (; s < samples.length && samples[s]!.atUs <= history.endUs; s++) {
    const b = samples[s]!;
    storage.addBrokerOffset(b.topic, b.partition, b.offset, b.atUs);
  }
  return [...groups].sort().map((g) => storage.evaluate(g, history.endUs));
}
