/**
 * The page-cache hit ratio for the Charts panel. The trace does not record page-cache reads, so
 * the panel samples the brokers' hosts' cumulative counters (bytes read from cached pages, bytes
 * that missed) each time it redraws, and the ratio of a stretch of time is Δhit / (Δhit + Δmiss)
 * between two samples. The run is deterministic, so a sample taken at a virtual time holds for
 * any replay of the same session: samples are kept across backward seeks, and only the ones up
 * to the current time are drawn. The resolution is the panel's redraws: a jump (seek forward)
 * gives one long stretch with the average ratio over it.
 */
import type { Session } from "../sim/index.ts";
import type { ChartData, ChartSeries } from "./charts-data.ts";

export interface CacheSample {
  readonly atUs: number;
  /** Cumulative, over every broker's host: requested bytes that were in cached pages. */
  readonly hitBytes: number;
  /** Cumulative: requested bytes that had to come from the disk. */
  readonly missBytes: number;
}

/** Samples in time order, one per virtual time (a later sample at the same time replaces it). */
export function addSample(samples: CacheSample[], s: CacheSample): void {
  let i = samples.length;
  while (i > 0 && samples[i - 1]!.atUs > s.atUs) i--;
  if (i > 0 && samples[i - 1]!.atUs === s.atUs) samples[i - 1] = s;
  else samples.splice(i, 0, s);
}

/**
 * The hit ratio (percent) per bucket, for buckets 0..shown-1: each stretch between consecutive
 * samples up to `nowUs` is spread over the buckets it covers, by time; a bucket with no bytes
 * requested in any stretch is null. A stretch whose counters went down (not expected) is skipped.
 */
export function hitRatioBuckets(
  samples: readonly CacheSample[],
  bucketUs: number,
  shown: number,
  nowUs: number,
): Array<number | null> {
  const hit = new Array<number>(shown).fill(0);
  const requested = new Array<number>(shown).fill(0);
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1]!;
    const b = samples[i]!;
    if (b.atUs > nowUs) break;
    const dHit = b.hitBytes - a.hitBytes;
    const dMiss = b.missBytes - a.missBytes;
    if (dHit < 0 || dMiss < 0 || dHit + dMiss === 0) continue;
    const span = b.atUs - a.atUs;
    const first = Math.floor(a.atUs / bucketUs);
    const last = Math.min(shown - 1, Math.floor(Math.max(a.atUs, b.atUs - 1) / bucketUs));
    for (let k = first; k <= last; k++) {
      const overlap =
        span === 0
          ? 1
          : (Math.min(b.atUs, (k + 1) * bucketUs) - Math.max(a.atUs, k * bucketUs)) / span;
      if (overlap <= 0) continue;
      hit[k]! += dHit * overlap;
      requested[k]! += (dHit + dMiss) * overlap;
    }
  }
  return requested.map((r, k) => (r > 0 ? (100 * hit[k]!) / r : null));
}

/** The brokers' hosts' page-cache counters now; undefined for a run without Kafka. */
export function readPageCache(session: Session): CacheSample | undefined {
  const cluster = session.kafka?.cluster;
  if (cluster === undefined) return undefined;
  let hitBytes = 0;
  let missBytes = 0;
  for (const id of [...cluster.brokers.keys()].sort((x, y) => x - y)) {
    const stats = cluster.host(String(id)).pageCache.stats;
    hitBytes += stats.hitBytes;
    missBytes += stats.missBytes;
  }
  return { atUs: session.timeUs, hitBytes, missBytes };
}

/** The page-cache chart for the series' buckets: one line, the hit ratio in percent. */
export function pageCacheChart(samples: readonly CacheSample[], series: ChartSeries): ChartData {
  const values = hitRatioBuckets(samples, series.bucketUs, series.shown, series.nowUs);
  const seen = values.some((v) => v !== null);
  return {
    id: "page-cache",
    title: "Page-cache hit ratio (brokers' reads)",
    unit: "%",
    lines: [{ name: "hit ratio", values }],
    note: seen ? "sampled at each redraw" : "no reads sampled yet",
  };
}
