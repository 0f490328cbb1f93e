// viz: the Data path panel's numbers in Node: the NIC tallies, the fetch responses counted from
// `net.send`, the exact per-path counts summed from the brokers' `fetch.response` events, and the
// rates over the last second of virtual time from the redraw samples; on a real run, the tallies
// equal sums over the trace's events and the hosts' page-cache counters.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { TraceEvent } from "../../sim/engine/trace.ts";
import { Session } from "../../sim/scenario/session.ts";
import {
  addSample,
  type BrokerCounters,
  ratesAt,
  type Sample,
  sumDiskStats,
  sumPaths,
  type TallyContext,
  type TraceTally,
  tallyEvent,
} from "../../viz/datapath-model.ts";

const ctx: TallyContext = { brokers: new Set(["1", "2", "3"]) };

function net(type: string, from: string, to: string, msg: string, bytes: number): TraceEvent {
  return { t: 0, type, node: type === "net.send" ? from : to, from, to, msg, bytes, conn: 1 };
}

/** A fetch.response with made-up numbers (the tally adds them up; it does not recompute them). */
function served(node: string, to: string, mode: string, bytes: number, extra = {}): TraceEvent {
  return {
    t: 0,
    type: "fetch.response",
    node,
    to,
    replica: ctx.brokers.has(to) ? Number(to) : -1,
    mode,
    bytes,
    missBytes: 0,
    calls: 1,
    dmaCopies: 1,
    cpuCopies: 0,
    contextSwitches: 2,
    cpuUs: 1,
    ...extra,
  } as TraceEvent;
}

describe("viz: data path model", () => {
  it("tallies NIC bytes, every fetch response, and the exact counts of those with records", () => {
    const tallies = new Map<string, TraceTally>();
    const events = [
      served("1", "2", "tls", 200_000, {
        calls: 4,
        dmaCopies: 5,
        cpuCopies: 8,
        contextSwitches: 16,
        cpuUs: 77,
        missBytes: 4096,
      }),
      net("net.send", "1", "2", "FetchResponse", 200_100),
      net("net.send", "1", "3", "FetchResponse", 60),
      served("1", "live-1", "sendfile", 1000, { cpuUs: 3 }),
      net("net.send", "1", "live-1", "FetchResponse", 1100),
      net("net.send", "1", "2", "ProduceResponse", 100),
      net("net.deliver", "producer-1", "1", "ProduceRequest", 5000),
      net("net.send", "producer-1", "1", "ProduceRequest", 5000),
      net("net.send", "2", "1", "FetchRequest", 120),
      // Not a broker's: ignored.
      served("producer-1", "x", "sendfile", 9),
    ];
    for (const e of events) tallyEvent(tallies, e, ctx);
    const b1 = tallies.get("1")!;
    expect(b1.nicInBytes).toBe(5000);
    expect(b1.nicOutBytes).toBe(200_100 + 60 + 1100 + 100);
    expect(b1.fetchResponses).toBe(3);
    expect(b1.fetchWireBytes).toBe(200_100 + 60 + 1100);
    expect(b1.byMode.tls).toEqual({
      responses: 1,
      bytes: 200_000,
      missBytes: 4096,
      calls: 4,
      dmaCopies: 5,
      cpuCopies: 8,
      contextSwitches: 16,
      // 2 CPU copies per call, each of the whole chunk: 2 × the bytes; TLS encrypts each byte once.
      cpuBytesCopied: 400_000,
      cpuBytesEncrypted: 200_000,
      cpuUs: 77,
    });
    expect(b1.byMode.sendfile.responses).toBe(1);
    expect(b1.byMode.sendfile.cpuBytesCopied).toBe(0);
    expect(b1.byMode.sendfile.cpuBytesEncrypted).toBe(0);
    expect(b1.byMode.copy.responses).toBe(0);
    expect(sumPaths(b1, "cpuUs")).toBe(80);
    expect(b1.lastMode).toBe("sendfile");
    expect(b1.lastTo).toBe("live-1");
    expect(tallies.get("2")?.nicOutBytes).toBe(120);
    expect(tallies.get("2")?.fetchResponses).toBe(0);
    expect(tallies.has("producer-1")).toBe(false);
  });

  it("refuses a fetch.response with a broken field", () => {
    const tallies = new Map<string, TraceTally>();
    expect(() => tallyEvent(tallies, served("1", "2", "carrier-pigeon", 10), ctx)).toThrow(/mode/);
    expect(() => tallyEvent(tallies, served("1", "2", "tls", -1), ctx)).toThrow(/bytes/);
  });

  it("on a real run: the tallies are the trace's sums and the page cache's reads", () => {
    const text = readFileSync("scenarios/page-cache-hot-vs-cold.yaml", "utf8");
    const session = new Session(text);
    const tallies = new Map<string, TraceTally>();
    const brokers: TallyContext = { brokers: new Set(["1"]) };
    let read = 0;
    for (const t of [10_000_000, 33_000_000, 40_000_000]) {
      session.advanceTo(t);
      for (; read < session.events.length; read++)
        tallyEvent(tallies, session.events[read]!, brokers);
      const b1 = tallies.get("1")!;
      const served = session.events.filter((e) => e.type === "fetch.response");
      const sent = session.events.filter(
        (e) => e.type === "net.send" && e.from === "1" && e.msg === "FetchResponse",
      );
      const sum = (f: string) => served.reduce((acc, e) => acc + Number(e[f]), 0);
      expect(b1.fetchResponses).toBe(sent.length);
      expect(sumPaths(b1, "responses")).toBe(served.length);
      expect(sumPaths(b1, "cpuUs")).toBe(sum("cpuUs"));
      expect(sumPaths(b1, "contextSwitches")).toBe(sum("contextSwitches"));
      const cache = session.kafka!.cluster.host("1").pageCache.stats;
      expect(sumPaths(b1, "bytes"), `at ${t}`).toBe(cache.hitBytes + cache.missBytes);
      expect(sumPaths(b1, "missBytes"), `at ${t}`).toBe(cache.missBytes);
    }
    // The backfill at 30 s missed the cache.
    expect(tallies.get("1")!.byMode.sendfile.missBytes).toBeGreaterThan(0);
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
