// scenario: the compaction lesson (scenarios/compaction-and-tombstones.yaml) shows what it says:
// the cleaner keeps the latest record per key in the closed segments, leaves the active segment
// alone, keeps offsets, keeps the key-3 tombstone until its delete horizon (delete.retention.ms
// after the cleaning that first kept it) and drops it afterwards. The scenario format cannot
// express log contents, so this test reads broker 1's log at three moments of the lesson and
// compares it with the same run without the cleaner (log.cleaner.enable=false).
import { describe, expect, it } from "vitest";
import { parseOverride, type ScenarioOverride } from "../../sim/scenario/load.ts";
import { loadScenarioFile } from "../../sim/scenario/load-file.ts";
import { runScenario } from "../../sim/scenario/runner.ts";

const FILE = "scenarios/compaction-and-tombstones.yaml";
const S = 1_000_000;

interface Rec {
  offset: number;
  key: string | null;
  value: string | null;
}

/** Broker 1's prices-0 at `untilUs`: records in offset order, and the active segment's base. */
function logAt(untilUs: number, sets: readonly string[] = []) {
  const overrides = sets.map((t) => parseOverride(t) as ScenarioOverride);
  let records: Rec[] = [];
  let activeBase = -1;
  let leo = -1;
  runScenario(loadScenarioFile(FILE, overrides), {
    untilUs,
    atEnd: ({ kafka }) => {
      const broker = kafka!.cluster.brokers.get(1)!;
      records = [];
      for (const b of broker.logBatches("prices", 0)) {
        const offsets = b.offsets ?? Array.from({ length: b.count }, (_, i) => b.baseOffset + i);
        offsets.forEach((offset, i) => {
          records.push({ offset, key: b.keys?.[i] ?? null, value: b.values?.[i] ?? null });
        });
      }
      const p = broker.snapshot().partitions.find((x) => x.topic === "prices")!;
      activeBase = p.segments[p.segments.length - 1]!.baseOffset;
      leo = p.leo;
    },
  });
  return { records, activeBase, leo };
}

/** The last record of each key in a log, as a map key → record. */
function latestByKey(records: readonly Rec[]): Map<string | null, Rec> {
  const m = new Map<string | null, Rec>();
  for (const r of records) m.set(r.key, r);
  return m;
}

describe("lesson: compaction and tombstones", () => {
  // Without the cleaner: the full history of every key, the reference for "latest value".
  const full = logAt(55 * S, ["cluster.config.log.cleaner.enable=false"]);
  const at9 = logAt(9 * S);
  const at25 = logAt(25 * S);
  const atEnd = logAt(55 * S);

  it("the uncompacted run keeps every offset (the reference is complete)", () => {
    expect(full.records.length).toBe(full.leo);
    expect(full.records.some((r) => r.key === "key-3" && r.value === null)).toBe(true);
  });

  it("cleans closed segments to one record per key and never touches the active segment", () => {
    const closed = at9.records.filter((r) => r.offset < at9.activeBase);
    const active = at9.records.filter((r) => r.offset >= at9.activeBase);
    const keys = closed.map((r) => r.key);
    expect(new Set(keys).size).toBe(keys.length);
    // The active segment still holds every offset it was given (no gaps).
    expect(active.length).toBe(at9.leo - at9.activeBase);
    expect(active.length).toBeGreaterThan(100);
  });

  it("keeps the latest value of each key, at its original offset", () => {
    const reference = latestByKey(full.records);
    const survivors = atEnd.records.filter((r) => r.key !== "clock");
    for (const r of survivors) {
      expect(reference.get(r.key)).toEqual(r);
    }
    // Every key but the deleted key-3 survives.
    expect(new Set(survivors.map((r) => r.key))).toEqual(
      new Set([0, 1, 2, 4, 5, 6, 7, 8, 9].map((k) => `key-${k}`)),
    );
  });

  it("keeps the key-3 tombstone (and nothing else of key-3) before its delete horizon", () => {
    const key3 = at25.records.filter((r) => r.key === "key-3");
    expect(key3).toHaveLength(1);
    expect(key3[0]!.value).toBeNull();
  });

  it("drops the tombstone after delete.retention.ms: late readers never see the delete", () => {
    expect(atEnd.records.filter((r) => r.key === "key-3")).toEqual([]);
  });

  it("keeps the tombstone to the end with a longer delete.retention.ms", () => {
    const longer = logAt(55 * S, ["topics.0.config.delete.retention.ms=60000"]);
    const key3 = longer.records.filter((r) => r.key === "key-3");
    expect(key3.map((r) => r.value)).toEqual([null]);
  });
});
