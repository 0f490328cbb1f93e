// broker: the `fetch.response` trace event (replica-manager.ts respondFetch). One per fetch
// response that carries records; its numbers are checked against independent readings: the
// transfer cost recomputed from sim/infra/transfer.ts for its mode, size and NIC, the broker
// host's page-cache counters (every page-cache read on a broker's host is a fetch's), the host's
// CPU time booked (fetch responses are the only CPU work a broker books), and the network's own
// FetchResponse sends. On zero-copy-vs-tls (PLAINTEXT: sendfile; SSL: tls for replica fetches) and
// page-cache-hot-vs-cold (consumers, a small page cache: misses).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { TraceEvent } from "../../sim/engine/trace.ts";
import { transferCost } from "../../sim/infra/transfer.ts";
import { Session } from "../../sim/scenario/session.ts";

const ZERO_COPY = readFileSync("scenarios/zero-copy-vs-tls.yaml", "utf8");
const SSL = ZERO_COPY.replace(
  "security.inter.broker.protocol: PLAINTEXT",
  "security.inter.broker.protocol: SSL",
);
const PAGE_CACHE = readFileSync("scenarios/page-cache-hot-vs-cold.yaml", "utf8");

function runToEnd(text: string): Session {
  const session = new Session(text);
  session.advanceTo(session.durationUs);
  return session;
}

const responses = (s: Session) => s.events.filter((e) => e.type === "fetch.response");

/** The event's own checks: fields, cost = transferCost, mode and replica by recipient. */
function checkEvent(s: Session, e: TraceEvent, encryptedToBrokers: boolean): void {
  const cluster = s.kafka!.cluster;
  const brokers = new Set([...cluster.brokers.keys()].map(String));
  expect(Object.keys(e)).toEqual([
    "t",
    "type",
    "node",
    "to",
    "replica",
    "mode",
    "bytes",
    "missBytes",
    "calls",
    "dmaCopies",
    "cpuCopies",
    "contextSwitches",
    "cpuUs",
  ]);
  const to = String(e.to);
  const bytes = Number(e.bytes);
  const missBytes = Number(e.missBytes);
  expect(bytes).toBeGreaterThan(0);
  expect(missBytes).toBeGreaterThanOrEqual(0);
  expect(missBytes).toBeLessThanOrEqual(bytes);
  expect(e.replica).toBe(brokers.has(to) ? Number(to) : -1);
  expect(e.mode).toBe(brokers.has(to) && encryptedToBrokers ? "tls" : "sendfile");
  const cost = transferCost(e.mode as "sendfile" | "tls", bytes, {
    nicGather: cluster.host(e.node).nic.scatterGatherDma,
    fromPageCache: missBytes === 0,
  });
  expect({
    calls: e.calls,
    dmaCopies: e.dmaCopies,
    cpuCopies: e.cpuCopies,
    contextSwitches: e.contextSwitches,
    cpuUs: e.cpuUs,
  }).toEqual({
    calls: cost.calls,
    dmaCopies: cost.dmaCopies,
    cpuCopies: cost.cpuCopies,
    contextSwitches: cost.contextSwitches,
    cpuUs: cost.cpuUs,
  });
}

/** Per broker: the events' sums against the host's page cache, CPU and FetchResponse sends. */
function checkSums(s: Session): void {
  const cluster = s.kafka!.cluster;
  for (const id of cluster.brokers.keys()) {
    const node = String(id);
    const mine = responses(s).filter((e) => e.node === node);
    const sum = (f: string) => mine.reduce((acc, e) => acc + Number(e[f]), 0);
    const host = cluster.host(node);
    const cache = host.pageCache.stats;
    expect(sum("bytes"), `broker ${node} bytes read`).toBe(cache.hitBytes + cache.missBytes);
    expect(sum("missBytes"), `broker ${node} misses`).toBe(cache.missBytes);
    expect(sum("cpuUs"), `broker ${node} CPU`).toBe(host.cpu.busyTotalUs);
    const sends = s.events.filter(
      (e) => e.type === "net.send" && e.from === node && e.msg === "FetchResponse",
    );
    // Every response with records is sent (after its read and CPU time); empty ones have no event.
    expect(sends.length).toBeGreaterThanOrEqual(mine.length);
    const withRecords = new Map<string, number>();
    for (const e of mine) withRecords.set(String(e.to), (withRecords.get(String(e.to)) ?? 0) + 1);
    for (const [to, n] of withRecords) {
      expect(sends.filter((e) => e.to === to).length).toBeGreaterThanOrEqual(n);
    }
  }
}

describe("broker: fetch.response trace event", () => {
  it("PLAINTEXT replication: sendfile, no CPU copy; the sums match the hosts", () => {
    const s = runToEnd(ZERO_COPY);
    const all = responses(s);
    expect(all.length).toBeGreaterThan(100);
    for (const e of all) checkEvent(s, e, false);
    expect(all.every((e) => e.node === "1" && e.cpuCopies === 0)).toBe(true);
    checkSums(s);
  });

  it("SSL replication: tls with CPU copies and encryption time; the sums match the hosts", () => {
    const s = runToEnd(SSL);
    const all = responses(s);
    expect(all.length).toBeGreaterThan(100);
    for (const e of all) checkEvent(s, e, true);
    expect(all.every((e) => e.mode === "tls" && Number(e.cpuCopies) > 0)).toBe(true);
    checkSums(s);
  });

  it("consumers and a small page cache: misses counted as the page cache counts them", () => {
    const s = runToEnd(PAGE_CACHE);
    const all = responses(s);
    for (const e of all) checkEvent(s, e, false);
    expect(all.some((e) => Number(e.missBytes) > 0)).toBe(true);
    expect(all.some((e) => e.missBytes === 0)).toBe(true);
    expect(new Set(all.map((e) => e.to))).toEqual(new Set(["live-1", "backfill-1"]));
    checkSums(s);
  });

  it("an empty fetch response has no event", () => {
    const s = new Session(ZERO_COPY);
    // Before the producer starts at 2 s, followers fetch and get empty answers.
    s.advanceTo(1_900_000);
    const empty = s.events.filter((e) => e.type === "net.send" && e.msg === "FetchResponse");
    expect(empty.length).toBeGreaterThan(0);
    expect(responses(s)).toEqual([]);
  });
});
