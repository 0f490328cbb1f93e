/**
 * The Data path panel's numbers, per broker: what the trace says the broker's NIC and its fetch
 * responses carried, and what its host's page cache and disks counted. Pure data in, data out.
 *
 * From the trace (read once, incrementally): bytes the broker received (`net.deliver` to it) and
 * sent (`net.send` from it), and its fetch responses (`net.send` of a FetchResponse) by transfer
 * path. The model chooses the path per response (replica-manager.ts respondFetch): `tls` when the
 * request came on an encrypted connection, else `sendfile`. Only replica fetchers carry a
 * protocol (security.inter.broker.protocol); consumers' fetches are PLAINTEXT in this build. The
 * model computes the copies and mode switches of each response but keeps no count of them, so the
 * panel re-applies the same arithmetic (sim/infra/transfer.ts transferCost) to each response's
 * size: an estimate, see estimateTransfer.
 *
 * From the host (sampled at each redraw): PageCacheStats and DiskStats (summed over the disks).
 * Samples are kept across a backward seek (the run is deterministic, so a sample taken at a time
 * holds for every replay), and a rate is the change between the latest sample at least a second
 * before now and now.
 */
import type { TraceEvent } from "../sim/engine/trace.ts";
import type { DiskStats } from "../sim/infra/disk.ts";
import type { PageCacheStats } from "../sim/infra/page-cache.ts";
import { type TransferMode, transferCost } from "../sim/infra/transfer.ts";
import { HEADER_BYTES, PARTITION_ENTRY_BYTES } from "../sim/kafka/protocol.ts";

/** What one broker's fetch responses by one transfer path amount to so far. */
export interface PathTally {
  responses: number;
  /** Bytes on the wire (headers included). */
  wireBytes: number;
  /** Estimated with transferCost on each response's record bytes (see estimateTransfer). */
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
  byMode: Record<TransferMode, PathTally>;
  /** The path of the latest fetch response; undefined before the first. */
  lastMode: TransferMode | undefined;
  /** To whom the latest fetch response went (a broker id or a client id). */
  lastTo: string | undefined;
}

/** How the trace reader classifies fetch responses of the cluster. */
export interface TallyContext {
  /** The brokers' node names ("1", "2", ...). */
  readonly brokers: ReadonlySet<string>;
  /** security.inter.broker.protocol is SSL or SASL_SSL: replica fetches are encrypted. */
  readonly interBrokerEncrypted: boolean;
  /** Per broker: its NIC can gather (scatter-gather DMA). */
  readonly nicGather: (broker: string) => boolean;
}

export function emptyPathTally(): PathTally {
  return {
    responses: 0,
    wireBytes: 0,
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
    byMode: { sendfile: emptyPathTally(), copy: emptyPathTally(), tls: emptyPathTally() },
    lastMode: undefined,
    lastTo: undefined,
  };
}

/** The path the broker's fetch response to `to` takes (as replica-manager.ts chooses it). */
export function fetchResponseMode(to: string, ctx: TallyContext): TransferMode {
  return ctx.brokers.has(to) && ctx.interBrokerEncrypted ? "tls" : "sendfile";
}

/**
 * The model's cost of one fetch response of `wireBytes`: the record bytes are the wire bytes less
 * the response header and one partition entry (the trace does not say how many partitions the
 * response held, nor whether its pages were cached: counted as cached, the disk → page cache DMA
 * shows on the disk arrow instead).
 */
export function estimateTransfer(mode: TransferMode, wireBytes: number, nicGather: boolean) {
  const recordBytes = Math.max(0, wireBytes - HEADER_BYTES - PARTITION_ENTRY_BYTES);
  return transferCost(mode, recordBytes, { nicGather, fromPageCache: true });
}

/** Adds one trace event to the brokers' tallies (only network events of brokers count). */
export function tallyEvent(
  tallies: Map<string, TraceTally>,
  e: TraceEvent,
  ctx: TallyContext,
): void {
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
  const mode = fetchResponseMode(to, ctx);
  const cost = estimateTransfer(mode, bytes, ctx.nicGather(from));
  const p = t.byMode[mode];
  p.responses++;
  p.wireBytes += bytes;
  p.calls += cost.calls;
  p.dmaCopies += cost.dmaCopies;
  p.cpuCopies += cost.cpuCopies;
  p.contextSwitches += cost.contextSwitches;
  p.cpuBytesCopied += cost.cpuBytesCopied;
  p.cpuBytesEncrypted += cost.cpuBytesEncrypted;
  p.cpuUs += cost.cpuUs;
  t.lastMode = mode;
  t.lastTo = to;
}

function tallyOf(tallies: Map<string, TraceTally>, broker: string): TraceTally {
  let t = tallies.get(broker);
  if (t === undefined) {
    t = emptyTraceTally();
    tallies.set(broker, t);
  }
  return t;
}

/** The counters the rates are computed from, for one broker at one moment. */
export interface BrokerCounters {
  readonly nicInBytes: number;
  readonly nicOutBytes: number;
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
    fetchBytes: t.byMode.sendfile.wireBytes + t.byMode.copy.wireBytes + t.byMode.tls.wireBytes,
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
