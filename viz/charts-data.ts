/**
 * The Charts panel's numbers: trace events in, fixed time buckets out. Plain data and pure
 * functions of the trace (no DOM, no clock): the panel feeds the events it has not read yet to
 * `ingest`, and `chartSeries` turns what was read into the lines it draws.
 *
 * What each chart counts (user topics only, except the page cache's; `__consumer_offsets` and
 * other internal topics are left out):
 * - throughput in: records appended by partition leaders (`produce.append` count), per second;
 *   throughput out: records handed to consumer applications (`consumer.poll` records), per second.
 * - produce latency: for each send acknowledged in the bucket, the time from its first attempt on
 *   the wire (`producer.send`, attempt 1) to its acknowledgement (`producer.ack`); p50 and p99 of
 *   those, in milliseconds. Sends that end in an error (`producer.error`, outcome other than
 *   retry) are counted per bucket, not timed.
 * - consumer lag per group: Σ over the partitions the group has committed (`offset.commit`,
 *   error NONE) of max(0, leader's HW − committed offset). The HW is the one the current leader
 *   announced (`replica.hw` from the node of the latest `partition.leader`). A group that has not
 *   committed yet has no line.
 * - under-replicated partitions: partitions whose latest ISR (`metadata.record` partition records
 *   or the leader's `partition.isr`, whichever came last) is smaller than their replica set (the
 *   metadata record's replicas, else the brokers seen leading or following the partition); and
 *   partitions without a leader (`metadata.record` leader −1).
 * - page-cache hit ratio: of the record bytes the brokers' fetch responses read (`fetch.response`
 *   bytes), the share that did not miss the page cache (missBytes); every topic, internal ones
 *   included, since it is what the hosts read; see charts-page-cache.ts.
 *
 * A bucket's rate is its count over the part of the bucket that has elapsed, so the bucket being
 * filled does not dip. Levels (lag, URP) are the value at the end of the bucket (the last event in
 * it), carried forward through buckets without events.
 */
import type { TraceEvent } from "../sim/index.ts";
import {
  addFetchRead,
  newPageCacheBuckets,
  type PageCacheBuckets,
  pageCacheChart,
} from "./charts-page-cache.ts";

export const DEFAULT_BUCKETS = 100;

export interface ChartLine {
  /** The legend's words. */
  readonly name: string;
  /** One value per bucket up to the current one; null where there is nothing to draw. */
  readonly values: ReadonlyArray<number | null>;
}

export interface ChartData {
  readonly id: "throughput" | "latency" | "lag" | "urp" | "page-cache";
  readonly title: string;
  readonly unit: string;
  readonly lines: readonly ChartLine[];
  /** A note under the title (e.g. failed sends), or "". */
  readonly note: string;
}

export interface ChartSeries {
  readonly bucketUs: number;
  readonly bucketCount: number;
  /** Buckets with data: 0..shown-1 (the bucket holding `nowUs` included). */
  readonly shown: number;
  readonly nowUs: number;
  readonly durationUs: number;
  readonly charts: readonly ChartData[];
}

interface PartitionTruth {
  replicas: number;
  seen: Set<number>;
  isr: number;
  leaderless: boolean;
}

/** What has been read from the trace so far. Built by `newChartsData`, fed by `ingest`. */
export interface ChartsData {
  readonly durationUs: number;
  readonly bucketUs: number;
  readonly bucketCount: number;
  readonly inRecords: number[];
  readonly outRecords: number[];
  /** Acknowledgement latencies (µs) of the sends acknowledged in each bucket. */
  readonly latenciesUs: number[][];
  readonly latencySummaries: Array<
    { n: number; p50Us: number | undefined; p99Us: number | undefined } | undefined
  >;
  readonly failedSends: number[];
  /** sendId → time of its first attempt on the wire. */
  readonly pendingSends: Map<string, number>;
  /** topic-partition → leader node (from partition.leader) and that leader's HW. */
  readonly leaders: Map<string, { node: string; epoch: number; hw: number }>;
  /** group → topic-partition → committed offset. */
  readonly committed: Map<string, Map<string, number>>;
  /** topic-partition → groups that committed it. */
  readonly committers: Map<string, Set<string>>;
  /** group → lag level per bucket (undefined: no event in that bucket; carried forward). */
  readonly lagLevels: Map<string, Array<number | undefined>>;
  readonly partitions: Map<string, PartitionTruth>;
  readonly urpLevels: Array<number | undefined>;
  readonly leaderlessLevels: Array<number | undefined>;
  /** Fetch reads per bucket (fetch.response): record bytes and page-cache hits. */
  readonly pageCache: PageCacheBuckets;
  /** Time of the last event read (µs). */
  lastUs: number;
}

export function newChartsData(durationUs: number, bucketCount = DEFAULT_BUCKETS): ChartsData {
  if (!Number.isSafeInteger(durationUs) || durationUs < 0)
    throw new Error(`durationUs must be a whole number ≥ 0; got ${durationUs}`);
  if (!Number.isSafeInteger(bucketCount) || bucketCount < 1)
    throw new Error(`bucketCount must be a whole number ≥ 1; got ${bucketCount}`);
  const bucketUs = Math.max(1, Math.ceil(durationUs / bucketCount));
  return {
    durationUs,
    bucketUs,
    bucketCount,
    inRecords: new Array(bucketCount).fill(0),
    outRecords: new Array(bucketCount).fill(0),
    latenciesUs: Array.from({ length: bucketCount }, () => []),
    latencySummaries: new Array(bucketCount).fill(undefined),
    failedSends: new Array(bucketCount).fill(0),
    pendingSends: new Map(),
    leaders: new Map(),
    committed: new Map(),
    committers: new Map(),
    lagLevels: new Map(),
    partitions: new Map(),
    urpLevels: new Array(bucketCount).fill(undefined),
    leaderlessLevels: new Array(bucketCount).fill(undefined),
    pageCache: newPageCacheBuckets(bucketCount),
    lastUs: 0,
  };
}

/** The bucket holding time `us` (the end of the run falls in the last bucket). */
export function bucketOf(data: Pick<ChartsData, "bucketUs" | "bucketCount">, us: number): number {
  return Math.max(0, Math.min(data.bucketCount - 1, Math.floor(us / data.bucketUs)));
}

function isUserTopic(topic: unknown): topic is string {
  return typeof topic === "string" && !topic.startsWith("__");
}

function num(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

function tpKey(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

/** Reads one trace event. Events must come in trace order (time never goes back). */
export function ingest(data: ChartsData, e: TraceEvent): void {
  if (e.t < data.lastUs) throw new Error(`events out of order: ${e.t} after ${data.lastUs}`);
  data.lastUs = e.t;
  const b = bucketOf(data, e.t);
  switch (e.type) {
    case "produce.append": {
      const count = num(e.count);
      if (isUserTopic(e.topic) && count !== undefined) data.inRecords[b]! += count;
      return;
    }
    case "consumer.poll": {
      const records = num(e.records);
      if (records !== undefined) data.outRecords[b]! += records;
      return;
    }
    case "producer.send": {
      const id = e.sendId;
      if (typeof id === "string" && isUserTopic(e.topic) && !data.pendingSends.has(id))
        data.pendingSends.set(id, e.t);
      return;
    }
    case "producer.ack": {
      const id = e.sendId;
      if (typeof id !== "string") return;
      const sentUs = data.pendingSends.get(id);
      if (sentUs === undefined) return; // acks=0 or a send before the first read: not timed
      data.pendingSends.delete(id);
      data.latenciesUs[b]!.push(e.t - sentUs);
      return;
    }
    case "producer.error": {
      if (e.outcome === "retry" || typeof e.sendId !== "string") return;
      data.pendingSends.delete(e.sendId);
      if (isUserTopic(e.topic)) data.failedSends[b]!++;
      return;
    }
    case "partition.leader": {
      const partition = num(e.partition);
      if (!isUserTopic(e.topic) || partition === undefined) return;
      const key = tpKey(e.topic, partition);
      data.leaders.set(key, { node: e.node, epoch: num(e.leaderEpoch) ?? -1, hw: -1 });
      seeReplica(data, key, e.node);
      return;
    }
    case "partition.follower": {
      const partition = num(e.partition);
      if (!isUserTopic(e.topic) || partition === undefined) return;
      const key = tpKey(e.topic, partition);
      seeReplica(data, key, e.node);
      // A leader that became a follower no longer speaks for the HW.
      if (data.leaders.get(key)?.node === e.node) data.leaders.delete(key);
      return;
    }
    case "replica.hw": {
      const partition = num(e.partition);
      const hw = num(e.hw);
      if (!isUserTopic(e.topic) || partition === undefined || hw === undefined) return;
      const key = tpKey(e.topic, partition);
      const leader = data.leaders.get(key);
      if (leader === undefined || leader.node !== e.node) return;
      leader.hw = hw;
      for (const group of data.committers.get(key) ?? []) setLag(data, group, b);
      return;
    }
    case "offset.commit": {
      const partition = num(e.partition);
      const offset = num(e.offset);
      if (e.error !== "NONE" || typeof e.group !== "string") return;
      if (!isUserTopic(e.topic) || partition === undefined || offset === undefined) return;
      const key = tpKey(e.topic, partition);
      const offsets = data.committed.get(e.group) ?? new Map<string, number>();
      offsets.set(key, offset);
      data.committed.set(e.group, offsets);
      const groups = data.committers.get(key) ?? new Set<string>();
      groups.add(e.group);
      data.committers.set(key, groups);
      setLag(data, e.group, b);
      return;
    }
    case "partition.isr": {
      const partition = num(e.partition);
      if (!isUserTopic(e.topic) || partition === undefined || !Array.isArray(e.isr)) return;
      const p = truthOf(data, tpKey(e.topic, partition));
      p.isr = e.isr.length;
      for (const id of e.isr) if (typeof id === "number") p.seen.add(id);
      setUrp(data, b);
      return;
    }
    case "metadata.record": {
      if (e.record !== "PartitionRecord" && e.record !== "PartitionChangeRecord") return;
      const partition = num(e.partition);
      if (!isUserTopic(e.topic) || partition === undefined) return;
      const p = truthOf(data, tpKey(e.topic, partition));
      if (Array.isArray(e.replicas)) p.replicas = e.replicas.length;
      if (Array.isArray(e.isr)) p.isr = e.isr.length;
      p.leaderless = num(e.leader) === -1;
      setUrp(data, b);
      return;
    }
    case "fetch.response":
      addFetchRead(data.pageCache, b, e);
      return;
    default:
      return;
  }
}

function truthOf(data: ChartsData, key: string): PartitionTruth {
  let p = data.partitions.get(key);
  if (p === undefined) {
    p = { replicas: 0, seen: new Set(), isr: -1, leaderless: false };
    data.partitions.set(key, p);
  }
  return p;
}

function seeReplica(data: ChartsData, key: string, node: string): void {
  const id = Number(node);
  if (!Number.isSafeInteger(id)) return;
  const p = truthOf(data, key);
  const before = p.seen.size;
  p.seen.add(id);
  if (p.seen.size !== before && p.isr >= 0) setUrp(data, bucketOf(data, data.lastUs));
}

/** The replica set's size: the metadata's, else the brokers seen hosting the partition. */
function replicaCount(p: PartitionTruth): number {
  return p.replicas > 0 ? p.replicas : p.seen.size;
}

function setUrp(data: ChartsData, b: number): void {
  let urp = 0;
  let leaderless = 0;
  for (const p of data.partitions.values()) {
    if (p.isr >= 0 && p.isr < replicaCount(p)) urp++;
    if (p.leaderless) leaderless++;
  }
  data.urpLevels[b] = urp;
  data.leaderlessLevels[b] = leaderless;
}

/** The group's lag now: Σ max(0, HW − committed) over its committed partitions with a known HW. */
export function groupLag(data: ChartsData, group: string): number {
  let lag = 0;
  for (const [key, offset] of data.committed.get(group) ?? []) {
    const hw = data.leaders.get(key)?.hw ?? -1;
    if (hw >= 0) lag += Math.max(0, hw - offset);
  }
  return lag;
}

function setLag(data: ChartsData, group: string, b: number): void {
  let levels = data.lagLevels.get(group);
  if (levels === undefined) {
    levels = new Array(data.bucketCount).fill(undefined);
    data.lagLevels.set(group, levels);
  }
  levels[b] = groupLag(data, group);
}

/** The p-th percentile (0..100) of ascending values, nearest-rank; undefined when empty. */
export function percentile(sortedAscending: readonly number[], p: number): number | undefined {
  if (sortedAscending.length === 0) return undefined;
  if (p < 0 || p > 100) throw new Error(`percentile must be within 0..100; got ${p}`);
  const rank = Math.max(1, Math.ceil((p / 100) * sortedAscending.length));
  return sortedAscending[rank - 1];
}

/** Levels carried forward from the last bucket with an event; null before the first one. */
export function carryForward(
  levels: ReadonlyArray<number | undefined>,
  shown: number,
): Array<number | null> {
  const out: Array<number | null> = [];
  let last: number | null = null;
  for (let i = 0; i < shown; i++) {
    const v = levels[i];
    if (v !== undefined) last = v;
    out.push(last);
  }
  return out;
}

/** Seconds of bucket `b` that have elapsed at `nowUs` (the whole bucket once it is over). */
function elapsedSeconds(data: ChartsData, b: number, nowUs: number): number {
  const start = b * data.bucketUs;
  const end = Math.min(start + data.bucketUs, Math.max(data.durationUs, 1));
  return Math.max(0, Math.min(end, nowUs) - start) / 1_000_000;
}

/** p50 and p99 of a bucket's latencies, cached until the bucket gets more. */
function latencySummary(
  data: ChartsData,
  b: number,
): { p50Us: number | undefined; p99Us: number | undefined } {
  const all = data.latenciesUs[b]!;
  const cached = data.latencySummaries[b];
  if (cached !== undefined && cached.n === all.length) return cached;
  const sorted = [...all].sort((x, y) => x - y);
  const summary = { n: all.length, p50Us: percentile(sorted, 50), p99Us: percentile(sorted, 99) };
  data.latencySummaries[b] = summary;
  return summary;
}

/** The lines of every chart, up to `nowUs`. Reads `data`, changes nothing. */
export function chartSeries(data: ChartsData, nowUs: number): ChartSeries {
  const shown = bucketOf(data, nowUs) + 1;
  const rate = (counts: readonly number[]): Array<number | null> =>
    counts.slice(0, shown).map((c, b) => {
      const s = elapsedSeconds(data, b, nowUs);
      return s > 0 ? c / s : null;
    });
  const p50: Array<number | null> = [];
  const p99: Array<number | null> = [];
  let failed = 0;
  for (let b = 0; b < shown; b++) {
    const { p50Us, p99Us } = latencySummary(data, b);
    p50.push(p50Us === undefined ? null : p50Us / 1000);
    p99.push(p99Us === undefined ? null : p99Us / 1000);
    failed += data.failedSends[b]!;
  }
  const groups = [...data.lagLevels.keys()].sort();
  const charts: ChartData[] = [
    {
      id: "throughput",
      title: "Throughput",
      unit: "records/s",
      lines: [
        { name: "in: appended by leaders", values: rate(data.inRecords) },
        { name: "out: consumed", values: rate(data.outRecords) },
      ],
      note: "",
    },
    {
      id: "latency",
      title: "Produce latency (send → ack)",
      unit: "ms",
      lines: [
        { name: "p50", values: p50 },
        { name: "p99", values: p99 },
      ],
      note: failed === 0 ? "" : `${failed} send${failed === 1 ? "" : "s"} failed or unknown`,
    },
    {
      id: "lag",
      title: "Consumer lag (HW − committed)",
      unit: "records",
      lines: groups.map((g) => ({
        name: `group ${g}`,
        values: carryForward(data.lagLevels.get(g)!, shown),
      })),
      note: groups.length === 0 ? "no group has committed yet" : "",
    },
    {
      id: "urp",
      title: "Under-replicated partitions",
      unit: "partitions",
      lines: [
        { name: "under-replicated", values: carryForward(data.urpLevels, shown) },
        { name: "no leader", values: carryForward(data.leaderlessLevels, shown) },
      ],
      note: `${data.partitions.size} partition${data.partitions.size === 1 ? "" : "s"}`,
    },
    pageCacheChart(data.pageCache, shown),
  ];
  return {
    bucketUs: data.bucketUs,
    bucketCount: data.bucketCount,
    shown,
    nowUs,
    durationUs: data.durationUs,
    charts,
  };
}
