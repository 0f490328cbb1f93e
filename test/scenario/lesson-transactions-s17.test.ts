// scenario: the S17 lessons (kafka-reference.md §5, §10). open-transaction-lso.yaml: n1 at 10, t1
// (left open) at 11, n2 and n3 at 12 and 13; while the transaction is open the LSO is 11 and the HW
// 14; after transaction.timeout.ms the coordinator aborts it: ABORT marker at 14, LSO = HW = 15, and
// the read_committed reader then gets n2 and n3, never t1. hanging-transaction.yaml: on 3.4 the
// held write lands after the abort marker and pins the LSO for good; with KIP-890 verification
// (3.6, or 3.4's settings on a 3.6 cluster) the leader asks the coordinator and rejects the write,
// and the LSO follows the HW. Every figure is read from the run's trace, history or broker state.
import { describe, expect, it } from "vitest";
import type { History } from "../../sim/check/history.ts";
import type { TraceEvent } from "../../sim/engine/trace.ts";
import type { PartitionSnapshot } from "../../sim/kafka/broker/replica-manager.ts";
import { parseOverride, type ScenarioOverride } from "../../sim/scenario/load.ts";
import { loadScenarioFile } from "../../sim/scenario/load-file.ts";
import { runScenario } from "../../sim/scenario/runner.ts";

const S = 1_000_000;

function overrides(sets: readonly string[]): ScenarioOverride[] {
  return sets.map((s) => {
    const o = parseOverride(s);
    if (typeof o === "string") throw new Error(o);
    return o;
  });
}

interface Run {
  ok: boolean;
  failed: string[];
  trace: TraceEvent[];
  history: History;
  /** out-0 as each broker holds it at the end. */
  out: Map<number, PartitionSnapshot>;
  leader: number;
}

function run(file: string, sets: readonly string[] = []): Run {
  const trace: TraceEvent[] = [];
  let history: History | undefined;
  const out = new Map<number, PartitionSnapshot>();
  const report = runScenario(loadScenarioFile(`scenarios/${file}`, overrides(sets)), {
    onTrace: (e) => trace.push(e),
    atEnd: ({ kafka, nowUs }) => {
      history = kafka?.recorder.history(nowUs);
      for (const [id, broker] of kafka!.cluster.brokers) {
        const p = broker.snapshot().partitions.find((s) => s.topic === "out" && s.partition === 0);
        if (p !== undefined) out.set(id, p);
      }
    },
  });
  const leaders = [...out.values()].filter((p) => p.role === "leader");
  expect(leaders).toHaveLength(1);
  return {
    ok: report.results.ok,
    failed: report.results.expectations.filter((e) => !e.ok).map((e) => e.what),
    trace,
    history: history!,
    out,
    leader: leaders[0]!.leader,
  };
}

const onOut = (e: TraceEvent) => e.topic === "out" && e.partition === 0;

/** Base offsets of the leader's appends for out-0, by the producing client. */
function appends(r: Run, client: string): number[] {
  return r.trace
    .filter((e) => e.type === "produce.append" && onOut(e) && e.client === client)
    .map((e) => e.baseOffset as number);
}

/** The leader's LSO/HW changes for out-0 (replica.lso), in time order. */
function lsoTrace(r: Run): Array<{ t: number; lso: number; hw: number }> {
  return r.trace
    .filter((e) => e.type === "replica.lso" && onOut(e) && e.node === String(r.leader))
    .map((e) => ({ t: e.t, lso: e.lso as number, hw: e.hw as number }));
}

/** The leader's last HW for out-0 (replica.hw) before `beforeUs`. */
function hwBefore(r: Run, beforeUs: number): number | undefined {
  const hws = r.trace.filter(
    (e) => e.type === "replica.hw" && onOut(e) && e.node === String(r.leader) && e.t < beforeUs,
  );
  return hws.at(-1)?.hw as number | undefined;
}

/** Send ids of the batches a consumer was handed from out-0. */
function polledSendIds(r: Run, consumer: string): string[] {
  return r.history.polls
    .filter((p) => p.consumer === consumer && p.topic === "out" && p.partition === 0)
    .flatMap((p) => (p.origins ?? []).map((o) => o.sendId));
}

describe("lesson open-transaction-lso (S17): an open transaction holds back read_committed", () => {
  const r = run("open-transaction-lso.yaml");

  it("meets its own expectations", () => {
    expect(r.failed).toEqual([]);
    expect(r.ok).toBe(true);
  });

  it("the data lands at the S17 offsets: n1 10, t1 11, n2 12, n3 13", () => {
    expect(appends(r, "app")).toEqual([0, 10, 12, 13]);
    expect(appends(r, "producer-1")).toEqual([11]);
  });

  it("while the transaction is open the LSO is 11 and the HW 14", () => {
    // replica.lso is traced when the LSO moves; the HW's moves are replica.hw events.
    const open = lsoTrace(r).filter((x) => x.t < 60 * S);
    expect(open.length).toBeGreaterThan(0);
    expect(open.every((x) => x.lso === 11)).toBe(true);
    expect(hwBefore(r, 60 * S)).toBe(14);
  });

  it("the coordinator aborts after transaction.timeout.ms: ABORT marker at 14, then LSO = HW = 15", () => {
    const t1At = r.trace.find((e) => e.type === "produce.append" && e.client === "producer-1")!.t;
    const abort = r.trace.find((e) => e.type === "txn.timeout.abort");
    expect(abort).toBeDefined();
    expect(abort!.t - t1At).toBeGreaterThanOrEqual(60 * S);
    // The cleanup task runs every 10 s: the abort comes within one interval of the deadline.
    expect(abort!.t - t1At).toBeLessThan(72 * S);
    const markers = r.history.txnMarkers.filter((m) => m.topic === "out");
    expect(markers.map((m) => ({ offset: m.offset, commit: m.commit }))).toEqual([
      { offset: 14, commit: false },
    ]);
    expect(lsoTrace(r).at(-1)).toMatchObject({ lso: 15, hw: 15 });
    for (const p of r.out.values()) {
      expect(p.hw).toBe(15);
      expect(p.lastStable).toBe(15);
      expect(p.aborted).toEqual([{ first: 11, last: 14 }]);
    }
  });

  it("read_committed got n1 while t1 was open, then n2 and n3, never t1; read_uncommitted got all", () => {
    const t1 = r.history.sends.find((s) => s.client === "producer-1")!.sendId;
    const rc = r.history.polls.filter((p) => p.consumer === "reader-committed");
    const beforeAbort = rc.filter((p) => p.atUs < 60 * S);
    expect(Math.max(...beforeAbort.map((p) => p.nextOffset ?? p.offset + p.count))).toBe(11);
    const after = rc.filter((p) => p.atUs >= 60 * S);
    expect(after.map((p) => [p.offset, p.count])).toEqual([[12, 2]]);
    expect(polledSendIds(r, "reader-committed")).not.toContain(t1);
    expect(polledSendIds(r, "reader-uncommitted")).toContain(t1);
  });
});

describe("lesson hanging-transaction (S17 variant)", () => {
  describe("3.4, before KIP-890: the late write pins the LSO", () => {
    const r = run("hanging-transaction.yaml");

    it("meets its own expectations", () => {
      expect(r.failed).toEqual([]);
      expect(r.ok).toBe(true);
    });

    it("the abort marker is at 10, then the held t1 is appended after it at 11", () => {
      const markers = r.history.txnMarkers.filter((m) => m.topic === "out");
      expect(markers.map((m) => [m.offset, m.commit])).toEqual([[10, false]]);
      expect(appends(r, "producer-1")).toEqual([11]);
      const markerAt = r.trace.find((e) => e.type === "txn.marker" && onOut(e))!.t;
      const t1At = r.trace.find((e) => e.type === "produce.append" && e.client === "producer-1")!.t;
      expect(t1At).toBeGreaterThan(markerAt);
    });

    it("no verification happens, and the coordinator never hears of the new transaction", () => {
      expect(r.trace.filter((e) => e.type.startsWith("txn.verify"))).toEqual([]);
      expect(r.trace.filter((e) => e.type === "txn.timeout.abort")).toEqual([]);
      expect(r.history.txnMarkers.filter((m) => m.topic === "out")).toHaveLength(1);
    });

    it("the LSO stays at 11 to the end while the HW is 14, on every replica", () => {
      for (const p of r.out.values()) {
        expect(p.hw).toBe(14);
        expect(p.lastStable).toBe(11);
      }
      expect(lsoTrace(r).at(-1)?.lso).toBe(11);
      expect(hwBefore(r, Number.MAX_SAFE_INTEGER)).toBe(14);
    });
  });

  for (const sets of [["cluster.version=3.6"], ["cluster.version=4.1"]]) {
    describe(`${sets.join(" ")}: KIP-890 verification rejects the late write`, () => {
      const r = run("hanging-transaction.yaml", sets);

      it("the leader asks the coordinator and the write is rejected", () => {
        const verifies = r.trace.filter((e) => e.type === "txn.verify" && onOut(e));
        expect(verifies.length).toBeGreaterThan(0);
        for (const v of verifies) {
          expect(v.node).toBe(String(r.leader));
          expect(v.result).toBe("rejected");
          expect(v.producerEpoch).toBe(0);
        }
        const rejected = r.trace.filter((e) => e.type === "produce.rejected" && onOut(e));
        expect(rejected.map((e) => e.client)).toEqual(verifies.map(() => "producer-1"));
        expect(appends(r, "producer-1")).toEqual([]);
      });

      it("the LSO follows the HW: the read_committed group reads to the end", () => {
        for (const p of r.out.values()) {
          expect(p.hw).toBe(13);
          expect(p.lastStable).toBe(13);
        }
        expect(r.failed).toContain("at the end: group committed-readers lag 3; but lag is 0");
      });
    });
  }

  it("3.6 with transaction.partition.verification.enable=false behaves as 3.4", () => {
    const r = run("hanging-transaction.yaml", [
      "cluster.version=3.6",
      "cluster.config.transaction.partition.verification.enable=false",
    ]);
    expect(r.trace.filter((e) => e.type.startsWith("txn.verify"))).toEqual([]);
    expect(appends(r, "producer-1")).toEqual([11]);
    expect(r.out.get(r.leader)!.lastStable).toBe(11);
    expect(r.failed).toEqual([]);
  });
});
