// viz: the Charts panel's numbers (viz/charts-data.ts, viz/charts-page-cache.ts) in Node: hand-made
// traces with known answers, and real runs checked against independent readings of the same
// moment (kafka-consumer-groups.sh's LAG column, the session state's ISR and replicas, the broker
// host's page-cache counters); the series are the same however the moment was reached (read in
// chunks, played, jumped to, sought back to and forward again).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { TraceEvent } from "../../sim/engine/trace.ts";
import { Session } from "../../sim/scenario/session.ts";
import {
  bucketOf,
  carryForward,
  chartSeries,
  groupLag,
  ingest,
  newChartsData,
  percentile,
} from "../../viz/charts-data.ts";
import { hitRatioValues } from "../../viz/charts-page-cache.ts";

function ev(t: number, type: string, node: string, fields: Record<string, unknown> = {}) {
  return { t, type, node, ...fields } as TraceEvent;
}

function chart(series: ReturnType<typeof chartSeries>, id: string) {
  const found = series.charts.find((c) => c.id === id);
  if (found === undefined) throw new Error(`no chart ${id}`);
  return found;
}

function lineOf(series: ReturnType<typeof chartSeries>, id: string, name: string) {
  const found = chart(series, id).lines.find((l) => l.name === name);
  if (found === undefined) throw new Error(`no line ${name} in ${id}`);
  return found.values;
}

describe("viz charts: helpers", () => {
  it("percentile is nearest-rank", () => {
    const v = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(v, 50)).toBe(50);
    expect(percentile(v, 99)).toBe(99);
    expect(percentile(v, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeUndefined();
    expect(() => percentile(v, 101)).toThrow();
  });

  it("levels carry forward, null before the first", () => {
    expect(carryForward([undefined, 3, undefined, 0, undefined], 5)).toEqual([null, 3, 3, 0, 0]);
    expect(carryForward([undefined, 3], 1)).toEqual([null]);
  });

  it("buckets: 100 over the duration, the end in the last one", () => {
    const d = newChartsData(10_000_000);
    expect(d.bucketUs).toBe(100_000);
    expect(bucketOf(d, 0)).toBe(0);
    expect(bucketOf(d, 99_999)).toBe(0);
    expect(bucketOf(d, 100_000)).toBe(1);
    expect(bucketOf(d, 10_000_000)).toBe(99);
    expect(() => newChartsData(-1)).toThrow();
    expect(() => newChartsData(10, 0)).toThrow();
  });
});

describe("viz charts: hand-made traces", () => {
  it("throughput: leader appends in, polls out, per second; internal topics left out", () => {
    const d = newChartsData(4_000_000, 4);
    ingest(d, ev(100, "produce.append", "1", { topic: "t", partition: 0, count: 10 }));
    ingest(
      d,
      ev(200, "produce.append", "1", { topic: "__consumer_offsets", partition: 3, count: 99 }),
    );
    ingest(d, ev(1_500_000, "produce.append", "2", { topic: "t", partition: 1, count: 4 }));
    ingest(d, ev(1_600_000, "consumer.poll", "c", { records: 6 }));
    // At 1.5 s the second bucket has run half a second: 4 records in 0.5 s = 8/s, not 4/s.
    const mid = chartSeries(d, 1_500_000);
    expect(mid.shown).toBe(2);
    expect(lineOf(mid, "throughput", "in: appended by leaders")).toEqual([10, 8]);
    const end = chartSeries(d, 4_000_000);
    expect(lineOf(end, "throughput", "in: appended by leaders")).toEqual([10, 4, 0, 0]);
    expect(lineOf(end, "throughput", "out: consumed")).toEqual([0, 6, 0, 0]);
  });

  it("latency: first attempt to ack; retries keep the first time; failures counted, not timed", () => {
    const d = newChartsData(2_000_000, 2);
    const s = (t: number, id: string, attempt: number) =>
      ev(t, "producer.send", "p", { topic: "t", partition: 0, sendId: id, attempt });
    ingest(d, s(0, "p:0", 1));
    ingest(d, s(10, "p:1", 1));
    ingest(d, s(20, "p:2", 1));
    ingest(d, ev(2_000, "producer.ack", "p", { topic: "t", sendId: "p:0" }));
    ingest(d, ev(3_000, "producer.error", "p", { topic: "t", sendId: "p:1", outcome: "retry" }));
    ingest(d, s(4_000, "p:1", 2));
    ingest(d, ev(1_000_010, "producer.ack", "p", { topic: "t", sendId: "p:1" }));
    ingest(
      d,
      ev(1_000_020, "producer.error", "p", { topic: "t", sendId: "p:2", outcome: "failed" }),
    );
    const series = chartSeries(d, 2_000_000);
    expect(lineOf(series, "latency", "p50")).toEqual([2, 1000]);
    expect(lineOf(series, "latency", "p99")).toEqual([2, 1000]);
    expect(chart(series, "latency").note).toBe("1 send failed or unknown");
    expect(d.pendingSends.size).toBe(0);
  });

  it("lag: the current leader's HW minus the committed offset; a follower's HW is ignored", () => {
    const d = newChartsData(3_000_000, 3);
    const tp = { topic: "t", partition: 0 };
    ingest(d, ev(0, "partition.leader", "1", { ...tp, leader: 1, leaderEpoch: 0 }));
    ingest(d, ev(0, "partition.follower", "2", { ...tp, leader: 1, leaderEpoch: 0 }));
    ingest(d, ev(10, "replica.hw", "1", { ...tp, hw: 50 }));
    ingest(d, ev(20, "offset.commit", "9", { group: "g", ...tp, offset: 20, error: "NONE" }));
    ingest(
      d,
      ev(30, "offset.commit", "9", { group: "h", ...tp, offset: 5, error: "NOT_COORDINATOR" }),
    );
    ingest(d, ev(1_000_000, "replica.hw", "2", { ...tp, hw: 45 }));
    expect(groupLag(d, "g")).toBe(30);
    // Broker 2 takes over and its HW becomes the one that counts.
    ingest(d, ev(2_000_000, "partition.leader", "2", { ...tp, leader: 2, leaderEpoch: 1 }));
    ingest(d, ev(2_000_001, "replica.hw", "2", { ...tp, hw: 70 }));
    const series = chartSeries(d, 3_000_000);
    expect(lineOf(series, "lag", "group g")).toEqual([30, 30, 50]);
    expect(chart(series, "lag").lines.map((l) => l.name)).toEqual(["group g"]);
  });

  it("under-replicated: ISR smaller than the replicas, from the leader or the metadata", () => {
    const d = newChartsData(3_000_000, 3);
    for (const [node, p, isr] of [
      ["1", 0, [1, 2]],
      ["2", 1, [2, 1]],
    ] as const) {
      ingest(d, ev(0, "partition.leader", node, { topic: "t", partition: p }));
      ingest(
        d,
        ev(0, "partition.follower", node === "1" ? "2" : "1", { topic: "t", partition: p }),
      );
      ingest(d, ev(0, "partition.isr", node, { topic: "t", partition: p, isr: [...isr] }));
    }
    ingest(d, ev(1_000_000, "partition.isr", "1", { topic: "t", partition: 0, isr: [1] }));
    const change = { record: "PartitionChangeRecord", topic: "t", partition: 1, replicas: [2, 1] };
    ingest(d, ev(2_000_000, "metadata.record", "3", { ...change, leader: -1, isr: [1] }));
    const series = chartSeries(d, 3_000_000);
    expect(lineOf(series, "urp", "under-replicated")).toEqual([0, 1, 2]);
    expect(lineOf(series, "urp", "no leader")).toEqual([0, 0, 1]);
  });

  it("refuses events out of time order", () => {
    const d = newChartsData(10);
    ingest(d, ev(5, "x", "n"));
    expect(() => ingest(d, ev(4, "x", "n"))).toThrow(/out of order/);
  });

  it("page-cache hit ratio: per bucket, the fetched bytes that did not miss, of all fetched", () => {
    const d = newChartsData(3_000_000, 3);
    const read = (t: number, node: string, bytes: number, missBytes: number) =>
      ev(t, "fetch.response", node, { to: "c", replica: -1, mode: "sendfile", bytes, missBytes });
    ingest(d, read(100, "1", 300, 0));
    ingest(d, read(200, "2", 100, 100));
    // Nothing read in the second bucket; the third: all missed.
    ingest(d, read(2_500_000, "1", 50, 50));
    const series = chartSeries(d, 3_000_000);
    expect(lineOf(series, "page-cache", "hit ratio")).toEqual([75, null, 0]);
    expect(chart(series, "page-cache").note).toBe("66.7% of all fetched record bytes so far");
    expect(lineOf(chartSeries(d, 1_000_000), "page-cache", "hit ratio")).toEqual([75, null]);
    expect(chart(chartSeries(newChartsData(10), 5), "page-cache").note).toBe(
      "no fetch has read records yet",
    );
    expect(() => ingest(d, read(2_600_000, "1", 10, 11))).toThrow(/missBytes/);
    expect(hitRatioValues(d.pageCache, 3)).toEqual([75, null, 0]);
  });
});

describe("viz charts: real runs", () => {
  it("burrow-lag: each group's lag equals kafka-consumer-groups.sh's LAG at the same moment", () => {
    const session = new Session(readFileSync("scenarios/burrow-lag.yaml", "utf8"));
    const d = newChartsData(session.durationUs);
    let read = 0;
    for (const t of [12_000_000, 40_000_000]) {
      session.advanceTo(t);
      for (; read < session.events.length; read++) ingest(d, session.events[read]!);
      for (const group of ["billing", "archiver", "dashboard", "reporting"]) {
        const out = session.kafka!.runToolNow([
          "kafka-consumer-groups.sh",
          "--bootstrap-server",
          "localhost:9092",
          "--describe",
          "--group",
          group,
        ]);
        const rows = out.stdout.split("\n").filter((l) => l.startsWith(`${group} `));
        const lag = rows.reduce((sum, row) => sum + Number(row.trim().split(/\s+/)[5]), 0);
        expect(rows.length).toBeGreaterThan(0);
        expect(groupLag(d, group), `${group} at ${t}`).toBe(lag);
      }
    }
  });

  it("isr-broker-stops: the URP level matches the session state's ISR and replicas", () => {
    const session = new Session(readFileSync("scenarios/isr-broker-stops.yaml", "utf8"));
    const d = newChartsData(session.durationUs);
    let read = 0;
    const seen = new Set<number>();
    for (let t = 1_000_000; t <= session.durationUs; t += 3_000_000) {
      session.advanceTo(t);
      for (; read < session.events.length; read++) ingest(d, session.events[read]!);
      const state = session.state();
      const expected = state.partitions.filter((p) => p.isr.length < p.replicas.length).length;
      const level = lineOf(chartSeries(d, t), "urp", "under-replicated").at(-1);
      expect(level, `at ${t}`).toBe(expected);
      seen.add(expected);
    }
    // The run has both: the stopped broker's partitions under-replicated, then none.
    expect(seen.has(0)).toBe(true);
    expect([...seen].some((n) => n > 0)).toBe(true);
  });

  it("reading in uneven chunks gives the same series as reading all at once", () => {
    const seed = Number(process.env.CHARTS_SEED ?? 20261207);
    console.log(`viz-charts chunk seed ${seed}`);
    let x = seed >>> 0;
    const next = () => {
      x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
      return x / 2 ** 32;
    };
    const text = readFileSync("scenarios/isr-broker-stops.yaml", "utf8");
    const whole = new Session(text);
    whole.advanceTo(20_000_000);
    const all = newChartsData(whole.durationUs);
    for (const e of whole.events) ingest(all, e);
    const stepped = new Session(text);
    const part = newChartsData(stepped.durationUs);
    let read = 0;
    while (stepped.timeUs < 20_000_000) {
      stepped.advanceTo(Math.min(20_000_000, stepped.timeUs + Math.floor(next() * 3_000_000)));
      for (; read < stepped.events.length; read++) ingest(part, stepped.events[read]!);
    }
    expect(chartSeries(part, 20_000_000)).toEqual(chartSeries(all, 20_000_000));
  });

  it("page-cache: the fetched bytes of all buckets are the broker host's page-cache reads", () => {
    const session = new Session(readFileSync("scenarios/page-cache-hot-vs-cold.yaml", "utf8"));
    const d = newChartsData(session.durationUs);
    session.advanceTo(36_000_000);
    for (const e of session.events) ingest(d, e);
    const cache = session.kafka!.cluster.host("1").pageCache.stats;
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    expect(sum(d.pageCache.readBytes)).toBe(cache.hitBytes + cache.missBytes);
    expect(sum(d.pageCache.hitBytes)).toBe(cache.hitBytes);
    // The lesson: the live tail is all hits; the catch-up from 30 s misses.
    const ratio = lineOf(chartSeries(d, 36_000_000), "page-cache", "hit ratio");
    const at = (us: number) => ratio[bucketOf(d, us)];
    expect(at(20_000_000)).toBe(100);
    expect(Math.min(...ratio.filter((v): v is number => v !== null))).toBeLessThan(50);
  });

  it("played, jumped to, or sought back and forward: the same chart data", () => {
    const text = readFileSync("scenarios/page-cache-hot-vs-cold.yaml", "utf8");
    const seriesOf = (session: Session) => {
      const d = newChartsData(session.durationUs);
      for (const e of session.events) ingest(d, e);
      return chartSeries(d, session.timeUs);
    };
    const played = new Session(text);
    const d = newChartsData(played.durationUs);
    let read = 0;
    for (let t = 100_000; t <= 36_000_000; t += 100_000) {
      played.advanceTo(t);
      for (; read < played.events.length; read++) ingest(d, played.events[read]!);
    }
    const playedSeries = chartSeries(d, 36_000_000);
    const jumped = new Session(text);
    jumped.advanceTo(36_000_000);
    expect(seriesOf(jumped)).toEqual(playedSeries);
    // Back to 12 s, then forward again to 36 s, on the same session.
    jumped.seek(12_000_000);
    const back = seriesOf(jumped);
    expect(back.shown).toBeLessThan(playedSeries.shown);
    expect(lineOf(back, "page-cache", "hit ratio")).toEqual(
      lineOf(playedSeries, "page-cache", "hit ratio").slice(0, back.shown),
    );
    jumped.seek(36_000_000);
    expect(seriesOf(jumped)).toEqual(playedSeries);
    // The chart has data to compare: hits and misses.
    const ratio = lineOf(playedSeries, "page-cache", "hit ratio");
    expect(ratio.some((v) => v !== null && v < 100)).toBe(true);
  });
});
