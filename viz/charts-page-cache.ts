/**
 * The page-cache hit ratio for the Charts panel, from the trace alone: each `fetch.response` event
 * (replica-manager.ts respondFetch, one per fetch response that carries records) says how many
 * record bytes the broker read for it (`bytes`) and how many of those missed the page cache
 * (`missBytes`); the rest were cache hits. A bucket's ratio is Σ hit / Σ bytes over the responses
 * served in it, every broker together, replica fetches and consumer fetches alike.
 *
 * On a broker's host only fetches read through the page cache (log-manager.ts readIo), so this is
 * the brokers' whole read traffic, with one exception: a read that fails on a failed disk is
 * counted by the host's page cache but has no `fetch.response` (its partition answers
 * KAFKA_STORAGE_ERROR). Being a function of the trace, the chart is the same however the moment
 * was reached (played to, jumped to, or sought back to).
 */
import type { TraceEvent } from "../sim/engine/trace.ts";
import type { ChartData } from "./charts-data.ts";

/** Per bucket: record bytes fetches read, and the part that came from cached pages. */
export interface PageCacheBuckets {
  readonly readBytes: number[];
  readonly hitBytes: number[];
}

export function newPageCacheBuckets(bucketCount: number): PageCacheBuckets {
  return { readBytes: new Array(bucketCount).fill(0), hitBytes: new Array(bucketCount).fill(0) };
}

/** Adds one `fetch.response` event to bucket `b`; throws on a malformed event. */
export function addFetchRead(buckets: PageCacheBuckets, b: number, e: TraceEvent): void {
  const bytes = e.bytes;
  const miss = e.missBytes;
  if (
    typeof bytes !== "number" ||
    typeof miss !== "number" ||
    !Number.isSafeInteger(bytes) ||
    !Number.isSafeInteger(miss) ||
    miss < 0 ||
    miss > bytes
  ) {
    throw new Error(`fetch.response at ${e.t}: bytes ${String(bytes)}, missBytes ${String(miss)}`);
  }
  buckets.readBytes[b]! += bytes;
  buckets.hitBytes[b]! += bytes - miss;
}

/** The hit ratio (percent) of buckets 0..shown-1; null where no fetch read anything. */
export function hitRatioValues(buckets: PageCacheBuckets, shown: number): Array<number | null> {
  const out: Array<number | null> = [];
  for (let b = 0; b < shown; b++) {
    const read = buckets.readBytes[b]!;
    out.push(read > 0 ? (100 * buckets.hitBytes[b]!) / read : null);
  }
  return out;
}

/** The page-cache chart up to bucket `shown` − 1: one line, the hit ratio in percent. */
export function pageCacheChart(buckets: PageCacheBuckets, shown: number): ChartData {
  const values = hitRatioValues(buckets, shown);
  let read = 0;
  let hit = 0;
  for (let b = 0; b < shown; b++) {
    read += buckets.readBytes[b]!;
    hit += buckets.hitBytes[b]!;
  }
  return {
    id: "page-cache",
    title: "Page-cache hit ratio (brokers' fetch reads)",
    unit: "%",
    lines: [{ name: "hit ratio", values }],
    note:
      read === 0
        ? "no fetch has read records yet"
        : `${((100 * hit) / read).toFixed(1)}% of all fetched record bytes so far`,
  };
}
