/**
 * The Data path panel's numbers, per broker: what the trace says the broker's NIC and its fetch
 * responses carried, and what its host's page cache and disks counted. Pure data in, data out.
 *
 * From the trace (read once, incrementally): bytes the broker received (`net.deliver` to it) and
 * sent (`net.send` from it), every fetch response it sent (`net.send` of a FetchResponse: count
 * and wire bytes), and for each response that carried records the broker's own account of it
 * (`fetch.response`, emitted by replica-manager.ts respondFetch): the transfer path it took
 * (sendfile, or tls on an encrypted connection), the record bytes, the bytes that missed the page
 * cache, and the copies, mode switches and CPU time that sim/infra/transfer.ts transferCost
 * booked for it. These counts are exact: nothing is re-estimated here. An empty fetch response
 * reads no file and costs nothing, so it has no `fetch.response` and no path.
 *
 * From the host (sampled at each redraw): PageCacheStats and DiskStats (summed over the disks).
 * Samples are kept across a backward seek (the run is deterministic, so a sample taken at a time
 * holds for every replay), and a rate is the change between the latest sample at least a second
 * before now and now.
 */
import type { TraceEvent } from "../sim/engine/trace.ts";
import type { DiskStats } from "../sim/infra/disk.ts";
import type { PageCacheStats } from "../sim/infra/page-cache.ts";
import { TRANSFER_MODES, type TransferMode, transferPath } from "../sim/infra/transfer.ts";

/** What one broker's fetch responses by one transfer path amount to so far (`fetch.response`). */
export interface PathTally {
  /** Fetch responses that carried records by this path. */
  responses: number;
  /** Record bytes they sent (file bytes; protocol headers are not counted). */
  bytes: number;
  /** Of those, bytes that were not in the page cache and were read from the disk first. */
  missBytes: number;
  calls: number;
  dmaCopies: number;
  cpuCopies: number;
  contextSwitches: number;
  cpuBytesCopied: number;
  cpuBytesEncrypted: number;
  cpuUs: number;
}

/** One broker's counters read from the trace. */
export interface TraceTally {
  nicInBytes: number;
  nicOutBytes: number;
  /** Every fetch response sent, with records or empty (`net.send` of a FetchResponse). */
  fetchResponses: number;
  /** Their bytes on the wire, headers included. */
  fetchWireBytes: number;
  byMode: Record<TransferMode, PathTally>;
  /** The path of the latest fetch response with records; undefined before the first. */
  lastMode: TransferMode | undefined;
  /** To whom it went (a broker id or a client id). */
  lastTo: string | undefined;
}

/** How the trace reader tells brokers from other nodes. */
export interface TallyContext {
  /** The brokers' node names ("1", "2", ...). */
  readonly brokers: ReadonlySet<string>;
}

export function emptyPathTally(): PathTally {
  return {
    responses: 0,
    bytes: 0,
    missBytes: 0,
    calls: 0,
    dmaCopies: 0,
    cpuCopies: 0,
    contextSwitches: 0,
    cpuBytesCopied: 0,
    cpuBytesEncrypted: 0,
    cpuUs: 0,
  };
}

export function emptyTraceTally(): TraceTally {
  return {
    nicInBytes: 0,
    nicOutBytes: 0,
    fetchResponses: 0,
    fetchWireBytes: 0,
    byMode: { sendfile: emptyPathTally(), copy: emptyPathTally(), tls: emptyPathTally() },
    lastMode: undefined,
    lastTo: undefined,
  };
}

/** A whole number ≥ 0 from a trace field; throws on anything else (a broken event). */
function count(e: TraceEvent, field: string): number {
  const v = e[field];
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0)
    throw new Error(`${e.type} at ${e.t}: ${field} is not a whole number ≥ 0 (${String(v)})`);
  return v;
}

function modeOf(e: TraceEvent): TransferMode {
  const mode = TRANSFER_MODES.find((m) => m === e.mode);
  if (mode === undefined) throw new Error(`${e.type} at ${e.t}: unknown mode ${String(e.mode)}`);
  return mode;
}

/** Adds one `fetch.response` event (the broker is its node) to the path tallies. */
function tallyFetchResponse(t: TraceTally, e: TraceEvent): void {
  const mode = modeOf(e);
  const bytes = count(e, "bytes");
  const calls = count(e, "calls");
  const cpuCopies = count(e, "cpuCopies");
  const p = t.byMode[mode];
  p.responses++;
  p.bytes += bytes;
  p.missBytes += count(e, "missBytes");
  p.calls += calls;
  p.dmaCopies += count(e, "dmaCopies");
  p.cpuCopies += cpuCopies;
  p.contextSwitches += count(e, "contextSwitches");
  p.cpuUs += count(e, "cpuUs");
  // transferCost: each CPU copy of a chunk moves the chunk, so over all chunks a path with k CPU
  // copies per call copies k × bytes; encryption passes over every byte once.
  if (calls > 0) p.cpuBytesCopied += (cpuCopies / calls) * bytes;
  if (transferPath(mode, false).encrypts) p.cpuBytesEncrypted += bytes;
  t.lastMode = mode;
  t.lastTo = String(e.to);
}

/** Adds one trace event to the brokers' tallies (brokers' network and fetch.response events). */
export function tallyEvent(
  tallies: Map<string, TraceTally>,
  e: TraceEvent,
  ctx: TallyContext,
): void {
  if (e.type === "fetch.response") {
    if (ctx.brokers.has(e.node)) tallyFetchResponse(tallyOf(tallies, e.node), e);
    return;
  }
  if (e.type !== "net.send" && e.type !== "net.deliver") return;
  const bytes = typeof e.bytes === "number" ? e.bytes : 0;
  const from = String(e.from);
  const to = String(e.to);
  if (e.type === "net.deliver") {
    if (ctx.brokers.has(to)) tallyOf(tallies, to).nicInBytes += bytes;
    return;
  }
  if (!ctx.brokers.has(from)) return;
  const t = tallyOf(tallies, from);
  t.nicOutBytes += bytes;
  if (e.msg !== "FetchResponse") return;
  t.fetchResponses++;
  t.fetchWireBytes += bytes;
}

function tallyOf(tallies: Map<string, TraceTally>, broker: string): TraceTally {
  let t = tallies.get(broker);
  if (t === undefined) {
    t = emptyTraceTally();
    tallies.set(broker, t);
  }
  return t;
}

/** The sum of a tally's paths for one field. */
export function sumPaths(t: TraceTally, field: keyof PathTally): number {
  let sum = 0;
  for (const m of TRANSFER_MODES) sum += t.byMode[m][field];
  return sum;
}

/** The counters the rates are computed from, for one broker at one moment. */
export interface BrokerCounters {
  readonly nicInBytes: number;
  readonly nicOutBytes: number;
  /** Record bytes of fetch responses (all paths). */
  readonly fetchBytes: number;
  readonly cacheHitBytes: number;
  readonly cacheMissBytes: number;
  readonly cacheWrittenBytes: number;
  readonly writtenBackBytes: number;
  readonly readFromDiskBytes: number;
  readonly diskServiceUs: number;
}

export interface Sample {
  readonly atUs: number;
  readonly brokers: ReadonlyMap<string, BrokerCounters>;
}

/** One broker's counters, from its trace tally, page cache and (summed) disk stats. */
export function brokerCounters(
  t: TraceTally,
  pc: Readonly<PageCacheStats>,
  disk: Readonly<DiskStats>,
): BrokerCounters {
  return {
    nicInBytes: t.nicInBytes,
    nicOutBytes: t.nicOutBytes,
    fetchBytes: sumPaths(t, "bytes"),
    cacheHitBytes: pc.hitBytes,
    cacheMissBytes: pc.missBytes,
    cacheWrittenBytes: pc.bytesWritten,
    writtenBackBytes: pc.bytesWrittenBack,
    readFromDiskBytes: pc.bytesReadFromDisk,
    diskServiceUs: disk.serviceUs,
  };
}

/** DiskStats of several disks added up. */
export function sumDiskStats(all: readonly Readonly<DiskStats>[]): DiskStats {
  const sum: DiskStats = {
    readOps: 0,
    writeOps: 0,
    fsyncOps: 0,
    bytesRead: 0,
    bytesWritten: 0,
    randomOps: 0,
    errors: 0,
    serviceUs: 0,
    queueWaitUs: 0,
  };
  for (const d of all) {
    for (const k of Object.keys(sum) as (keyof DiskStats)[]) sum[k] += d[k];
  }
  return sum;
}

/** Samples in time order, one per virtual time (a later sample at the same time replaces it). */
export function addSample(samples: Sample[], s: Sample): void {
  let i = samples.length;
  while (i > 0 && samples[i - 1]!.atUs > s.atUs) i--;
  if (i > 0 && samples[i - 1]!.atUs === s.atUs) samples[i - 1] = s;
  else samples.splice(i, 0, s);
}

export const RATE_WINDOW_US = 1_000_000;

/** Per-second rates of one broker's counters, and the window they cover. */
export interface Rates {
  readonly windowUs: number;
  readonly perSec: { readonly [K in keyof BrokerCounters]: number };
}

/**
 * The rates at `nowUs`: the change from the latest sample at or before nowUs − 1 s to the sample
 * at nowUs, per second of that window. Undefined without such a pair (the window would be empty),
 * or when a counter went down (a different run; not expected).
 */
export function ratesAt(
  samples: readonly Sample[],
  broker: string,
  nowUs: number,
): Rates | undefined {
  let now: Sample | undefined;
  let before: Sample | undefined;
  for (let i = samples.length - 1; i >= 0; i--) {
    const s = samples[i]!;
    if (s.atUs > nowUs) continue;
    if (now === undefined) {
      if (s.atUs !== nowUs) return undefined;
      now = s;
      continue;
    }
    if (s.atUs <= nowUs - RATE_WINDOW_US) {
      before = s;
      break;
    }
  }
  if (now === undefined || before === undefined) return undefined;
  const a = before.brokers.get(broker);
  const b = now.brokers.get(broker);
  if (a === undefined || b === undefined) return undefined;
  const windowUs = now.atUs - before.atUs;
  const perSec = {} as Record<keyof BrokerCounters, number>;
  for (const k of Object.keys(b) as (keyof BrokerCounters)[]) {
    const d = b[k] - a[k];
    if (d < 0) return undefined;
    perSec[k] = (d * 1_000_000) / windowUs;
  }
  return { windowUs, perSec };
}
