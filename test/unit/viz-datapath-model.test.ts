// viz: the Data path panel's numbers in Node: which fetch responses count as sendfile or TLS, the
// copies and mode switches estimated for them, the NIC tallies, and the rates over the last second
// of virtual time from the redraw samples.
import { describe, expect, it } from "vitest";
import type { TraceEvent } from "../../sim/engine/trace.ts";
import { DEFAULT_COPY_CHUNK_BYTES } from "../../sim/infra/transfer.ts";
import { HEADER_BYTES, PARTITION_ENTRY_BYTES } from "../../sim/kafka/protocol.ts";
import {
  addSample,
  type BrokerCounters,
  estimateTransfer,
  fetchResponseMode,
  ratesAt,
  type Sample,
  sumDiskStats,
  type TallyContext,
  type TraceTally,
  tallyEvent,
} from "../../viz/datapath-model.ts";

function ctx(encrypted: boolean, gather = true): TallyContext {
  return {
    brokers: new Set(["1", "2", "3"]),
    interBrokerEncrypted: encrypted,
    nicGather: () => gather,
  };
}

function net(type: string, from: string, to: string, msg: string, bytes: number): TraceEvent {
  return { t: 0, type, node: type === "net.send" ? from : to, from, to, msg, bytes, conn: 1 };
}

const OVERHEAD = HEADER_BYTES + PARTITION_ENTRY_BYTES;

describe("viz: data path model", () => {
  it("replica fetches go over TLS only with an encrypted inter-broker protocol; consumers never", () => {
    expect(fetchResponseMode("2", ctx(false))).toBe("sendfile");
    expect(fetchResponseMode("2", ctx(true))).toBe("tls");
    expect(fetchResponseMode("consumer-1", ctx(true))).toBe("sendfile");
  });

  it("tallies NIC bytes and fetch responses per broker and path", () => {
    const tallies = new Map<string, TraceTally>();
    const c = ctx(true);
    const events = [
      net("net.send", "1", "2", "FetchResponse", OVERHEAD + 200_000),
      net("net.send", "1", "live-1", "FetchResponse", OVERHEAD + 1000),
      net("net.send", "1", "2", "ProduceResponse", 100),
      net("net.deliver", "producer-1", "1", "ProduceRequest", 5000),
      net("net.send", "producer-1", "1", "ProduceRequest", 5000),
      net("net.send", "2", "1", "FetchRequest", 120),
    ];
    for (const e of events) tallyEvent(tallies, e, c);
    const b1 = tallies.get("1")!;
    expect(b1.nicInBytes).toBe(5000);
    expect(b1.nicOutBytes).toBe(OVERHEAD + 200_000 + OVERHEAD + 1000 + 100);
    expect(b1.byMode.tls.responses).toBe(1);
    expect(b1.byMode.sendfile.responses).toBe(1);
    expect(b1.byMode.copy.responses).toBe(0);
    // TLS: read + write per 64 KiB: 2 CPU copies and 4 mode switches per chunk.
    const chunks = Math.ceil(200_000 / DEFAULT_COPY_CHUNK_BYTES);
    expect(b1.byMode.tls.cpuCopies).toBe(2 * chunks);
    expect(b1.byMode.tls.contextSwitches).toBe(4 * chunks);
    expect(b1.byMode.tls.cpuBytesEncrypted).toBe(200_000);
    // sendfile with a gathering NIC: one call, no CPU copy.
    expect(b1.byMode.sendfile.cpuCopies).toBe(0);
    expect(b1.byMode.sendfile.contextSwitches).toBe(2);
    expect(b1.lastMode).toBe("sendfile");
    expect(b1.lastTo).toBe("live-1");
    expect(tallies.get("2")?.nicOutBytes).toBe(120);
    expect(tallies.has("producer-1")).toBe(false);
  });

  it("sendfile without scatter-gather costs one CPU copy; an empty response costs nothing", () => {
    expect(estimateTransfer("sendfile", OVERHEAD + 4096, false).cpuCopies).toBe(1);
    expect(estimateTransfer("sendfile", OVERHEAD + 4096, true).cpuCopies).toBe(0);
    const empty = estimateTransfer("tls", OVERHEAD, false);
    expect(empty.calls).toBe(0);
    expect(empty.cpuUs).toBe(0);
  });

  it("adds disk stats up", () => {
    const d = {
      readOps: 1,
      writeOps: 2,
      fsyncOps: 3,
      bytesRead: 4,
      bytesWritten: 5,
      randomOps: 6,
      errors: 0,
      serviceUs: 7,
      queueWaitUs: 8,
    };
    expect(sumDiskStats([d, d])).toEqual({
      readOps: 2,
      writeOps: 4,
      fsyncOps: 6,
      bytesRead: 8,
      bytesWritten: 10,
      randomOps: 12,
      errors: 0,
      serviceUs: 14,
      queueWaitUs: 16,
    });
  });

  it("rates: the change since the latest sample at least a second back, per second", () => {
    const counters = (n: number): BrokerCounters => ({
      nicInBytes: n,
      nicOutBytes: 2 * n,
      fetchBytes: n,
      cacheHitBytes: n,
      cacheMissBytes: 0,
      cacheWrittenBytes: n,
      writtenBackBytes: 0,
      readFromDiskBytes: 0,
      diskServiceUs: n / 1000,
    });
    const at = (atUs: number, n: number): Sample => ({
      atUs,
      brokers: new Map([["1", counters(n)]]),
    });
    const samples: Sample[] = [];
    // Out of order, as after a backward seek; a repeat at the same time replaces.
    for (const s of [at(0, 0), at(2_000_000, 4000), at(1_000_000, 1000), at(2_500_000, 6000)])
      addSample(samples, s);
    addSample(samples, at(2_500_000, 5000));
    expect(samples.map((s) => s.atUs)).toEqual([0, 1_000_000, 2_000_000, 2_500_000]);
    // Not enough history yet.
    expect(ratesAt(samples, "1", 500_000)).toBeUndefined();
    // No sample at the time asked: no rate.
    expect(ratesAt(samples, "1", 1_500_000)).toBeUndefined();
    const r = ratesAt(samples, "1", 2_500_000)!;
    // The latest sample at or before 1.5 s is the one at 1 s: 4000 bytes over 1.5 s.
    expect(r.windowUs).toBe(1_500_000);
    expect(r.perSec.nicInBytes).toBeCloseTo(4000 / 1.5, 6);
    expect(r.perSec.nicOutBytes).toBeCloseTo(8000 / 1.5, 6);
    expect(ratesAt(samples, "1", 2_000_000)?.windowUs).toBe(1_000_000);
    expect(ratesAt(samples, "9", 2_000_000)).toBeUndefined();
  });
});
