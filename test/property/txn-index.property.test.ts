/**
 * kafka: transactions: for random interleavings of several producers' transactional writes, plain
 * writes, COMMIT and ABORT markers and HW moves, a read_committed consumer's fetch loop (broker:
 * TxnIndex + fetchWithIsolation; consumer: consumeFetchedBatches, Kafka's aborted-producer algorithm)
 * delivers exactly what a naive model delivers: replay every batch, give each transactional record
 * the fate of its transaction, keep non-control records that are non-transactional or committed and
 * lie below the model's LSO (min of the HW and the first offset of every transaction that is open or
 * whose marker is at or above the HW). read_uncommitted delivers every non-control record below the
 * HW. Also: the LSO and the aborted lists agree with the model, the index's invariants hold after
 * every step, and truncating the index equals rebuilding it from the batches left.
 *
 * The fast-check seed is fixed and printed; FC_SEED=<n> and FC_RUNS=<n> explore further.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ControlRecordType, TxnBatch } from "../../sim/kafka/log/txn-batch.ts";
import { consumeFetchedBatches } from "../../sim/kafka/log/txn-consume.ts";
import { fetchWithIsolation, type IsolationLevel } from "../../sim/kafka/log/txn-fetch.ts";
import { TxnIndex } from "../../sim/kafka/log/txn-index.ts";

const SEED = Number(process.env.FC_SEED ?? 20_261_207);
const NUM_RUNS = Number(process.env.FC_RUNS ?? 300);
console.log(`txn-index.property: fast-check seed=${SEED} numRuns=${NUM_RUNS}`);

const PRODUCERS = [1, 2, 3];

type Op =
  | {
      readonly kind: "data";
      readonly producerId: number;
      readonly txn: boolean;
      readonly count: number;
    }
  | { readonly kind: "plain"; readonly count: number }
  | { readonly kind: "marker"; readonly producerId: number; readonly type: ControlRecordType }
  /** Move the HW to a batch end between the current HW and the end, by this fraction. */
  | { readonly kind: "hw"; readonly fraction: number };

/** Uniform in [0, 1) (fc.double leans to the edges, which would pin HWs and cuts to 0 and the end). */
const fractionArb = fc.integer({ min: 0, max: 999 }).map((n) => n / 1000);

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant("data" as const),
      producerId: fc.constantFrom(...PRODUCERS),
      // Mostly transactional; now and then an idempotent non-transactional batch.
      txn: fc.integer({ min: 0, max: 4 }).map((n) => n > 0),
      count: fc.integer({ min: 1, max: 3 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("plain" as const),
      count: fc.integer({ min: 1, max: 3 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("marker" as const),
      producerId: fc.constantFrom(...PRODUCERS),
      type: fc.constantFrom<ControlRecordType>("COMMIT", "ABORT"),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("hw" as const), fraction: fractionArb }) },
);

interface Scenario {
  readonly ops: readonly Op[];
  readonly finalHwFraction: number;
  readonly fetchStartFraction: number;
  readonly maxBatches: number;
  readonly truncateFraction: number;
  /**
   * When set, every producer writes a marker of this type at the end (index = producer) and the HW
   * reaches the end, so the LSO is not pinned by an open transaction and much is delivered.
   */
  readonly finish: readonly ControlRecordType[] | null;
}

const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  ops: fc.array(opArb, { minLength: 1, maxLength: 40 }),
  finalHwFraction: fractionArb,
  fetchStartFraction: fractionArb,
  maxBatches: fc.constantFrom(1, 2, 3, 5, 1000),
  truncateFraction: fractionArb,
  finish: fc.option(
    fc.array(fc.constantFrom<ControlRecordType>("COMMIT", "ABORT"), {
      minLength: PRODUCERS.length,
      maxLength: PRODUCERS.length,
    }),
  ),
});

/** The batches, built in order, with the index fed as they come and checked after each step. */
interface Built {
  readonly batches: TxnBatch[];
  readonly index: TxnIndex;
  readonly hw: number;
  readonly end: number;
}

/** Batch ends in [from, end], ascending (HWs in the model sit on batch boundaries). */
function boundariesFrom(batches: readonly TxnBatch[], from: number): number[] {
  return batches.map((b) => b.baseOffset + b.count).filter((e) => e >= from);
}

function pickBoundary(batches: readonly TxnBatch[], from: number, fraction: number): number {
  const options = [from, ...boundariesFrom(batches, from + 1)];
  return options[Math.min(options.length - 1, Math.floor(fraction * options.length))]!;
}

function build(s: Scenario): Built {
  const batches: TxnBatch[] = [];
  const index = new TxnIndex();
  let end = 0;
  let hw = 0;
  const finish: Op[] = (s.finish ?? []).map((type, i) => ({
    kind: "marker",
    producerId: PRODUCERS[i]!,
    type,
  }));
  for (const op of [...s.ops, ...finish]) {
    let b: TxnBatch | undefined;
    switch (op.kind) {
      case "data":
        b = {
          baseOffset: end,
          count: op.count,
          producerId: op.producerId,
          isTransactional: op.txn,
          isControl: false,
        };
        break;
      case "plain":
        b = {
          baseOffset: end,
          count: op.count,
          producerId: -1,
          isTransactional: false,
          isControl: false,
        };
        break;
      case "marker":
        b = {
          baseOffset: end,
          count: 1,
          producerId: op.producerId,
          isTransactional: true,
          isControl: true,
          controlType: op.type,
        };
        break;
      case "hw":
        hw = pickBoundary(batches, hw, op.fraction);
        index.onHighWatermarkUpdated(hw);
        break;
    }
    if (b !== undefined) {
      batches.push(b);
      index.onAppend(b);
      end = b.baseOffset + b.count;
    }
    index.validate();
    expect(index.lastStableOffset(hw)).toBe(modelLso(batches, hw));
  }
  hw = s.finish === null ? pickBoundary(batches, hw, s.finalHwFraction) : end;
  index.onHighWatermarkUpdated(hw);
  index.validate();
  return { batches, index, hw, end };
}

// ---- the naive model ----

interface ModelTxn {
  readonly producerId: number;
  readonly firstOffset: number;
  marker?: { readonly offset: number; readonly type: ControlRecordType };
}

/** Replays the batches: each transactional data batch's transaction, and every transaction. */
function replay(batches: readonly TxnBatch[]) {
  const txns: ModelTxn[] = [];
  const open = new Map<number, ModelTxn>();
  const txnOf = new Map<TxnBatch, ModelTxn>();
  for (const b of batches) {
    if (b.producerId < 0) continue;
    if (b.isControl) {
      let t = open.get(b.producerId);
      if (t === undefined) {
        t = { producerId: b.producerId, firstOffset: b.baseOffset };
        txns.push(t);
      }
      t.marker = { offset: b.baseOffset, type: b.controlType! };
      open.delete(b.producerId);
    } else if (b.isTransactional) {
      let t = open.get(b.producerId);
      if (t === undefined) {
        t = { producerId: b.producerId, firstOffset: b.baseOffset };
        txns.push(t);
        open.set(b.producerId, t);
      }
      txnOf.set(b, t);
    }
  }
  return { txns, txnOf };
}

function modelLso(batches: readonly TxnBatch[], hw: number): number {
  let lso = hw;
  for (const t of replay(batches).txns) {
    if (t.marker === undefined || t.marker.offset >= hw) lso = Math.min(lso, t.firstOffset);
  }
  return lso;
}

/** Non-control records in [from, bound): all of them, or only plain and committed ones. */
function modelRecords(
  batches: readonly TxnBatch[],
  bound: number,
  from: number,
  committedOnly: boolean,
): number[] {
  const { txnOf } = replay(batches);
  const out: number[] = [];
  for (const b of batches) {
    if (b.isControl) continue;
    const t = txnOf.get(b);
    if (committedOnly && t !== undefined && t.marker?.type !== "COMMIT") continue;
    for (let o = b.baseOffset; o < b.baseOffset + b.count; o++) {
      if (o >= from && o < bound) out.push(o);
    }
  }
  return out;
}

function modelDelivered(
  batches: readonly TxnBatch[],
  hw: number,
  isolation: IsolationLevel,
  from: number,
): number[] {
  return isolation === "read_committed"
    ? modelRecords(batches, modelLso(batches, hw), from, true)
    : modelRecords(batches, hw, from, false);
}

function modelAborted(batches: readonly TxnBatch[], start: number, upper: number): number[] {
  return replay(batches)
    .txns.filter(
      (t) => t.marker?.type === "ABORT" && t.marker.offset >= start && t.firstOffset < upper,
    )
    .sort((a, b) => a.marker!.offset - b.marker!.offset) // the index keeps marker order
    .map((t) => t.producerId);
}

// ---- the system under test: a consumer's fetch loop ----

function consumeLoop(b: Built, isolation: IsolationLevel, from: number, maxBatches: number) {
  const offsets: number[] = [];
  let position = from;
  for (let i = 0; ; i++) {
    expect(i, "the fetch loop makes progress").toBeLessThanOrEqual(b.batches.length);
    const r = fetchWithIsolation(b.batches, b.index, position, b.hw, isolation, maxBatches);
    if (r.batches.length === 0) break;
    const c = consumeFetchedBatches(r.batches, r.abortedTransactions, isolation, position);
    expect(c.nextFetchOffset).toBeGreaterThan(position);
    offsets.push(...c.records.map((x) => x.offset));
    position = c.nextFetchOffset;
  }
  return { offsets, position };
}

describe(`kafka: transactions: txn index against a naive model (seed ${SEED})`, () => {
  it(`read_committed and read_uncommitted deliver what the model says (seed ${SEED})`, () => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const b = build(s);
        const from = Math.floor(s.fetchStartFraction * (b.end + 1));
        const lso = modelLso(b.batches, b.hw);
        const rc = consumeLoop(b, "read_committed", from, s.maxBatches);
        expect(rc.offsets).toEqual(modelDelivered(b.batches, b.hw, "read_committed", from));
        expect(rc.position).toBe(Math.max(from, lso));
        const ru = consumeLoop(b, "read_uncommitted", from, s.maxBatches);
        expect(ru.offsets).toEqual(modelDelivered(b.batches, b.hw, "read_uncommitted", from));
      }),
      { seed: SEED, numRuns: NUM_RUNS },
    );
  });

  it(`the aborted list is every aborted transaction overlapping the range (seed ${SEED})`, () => {
    fc.assert(
      fc.property(scenarioArb, fractionArb, (s, width) => {
        const b = build(s);
        const start = Math.floor(s.fetchStartFraction * (b.end + 1));
        const upper = start + Math.floor(width * (b.end - start + 1));
        const got = b.index.collectAbortedTransactions(start, upper).map((a) => a.producerId);
        expect(got).toEqual(modelAborted(b.batches, start, upper));
      }),
      { seed: SEED + 1, numRuns: NUM_RUNS },
    );
  });

  it(`after a log start move, read_committed from it sees an LSO raised to it (seed ${SEED})`, () => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const b = build(s);
        const logStart = pickBoundary(b.batches, 0, s.truncateFraction);
        fc.pre(logStart <= b.hw);
        b.index.onLogStartMove(logStart);
        b.index.validate();
        const lso = Math.max(logStart, modelLso(b.batches, b.hw));
        expect(b.index.lastStableOffset(b.hw)).toBe(lso);
        const kept = b.batches.filter((x) => x.baseOffset >= logStart);
        const rc = consumeLoop({ ...b, batches: kept }, "read_committed", logStart, s.maxBatches);
        expect(rc.offsets).toEqual(modelRecords(b.batches, lso, logStart, true));
        expect(rc.position).toBe(lso);
      }),
      { seed: SEED + 3, numRuns: NUM_RUNS },
    );
  });

  it(`truncating equals rebuilding from the batches left (seed ${SEED})`, () => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const b = build(s);
        const point = pickBoundary(b.batches, 0, s.truncateFraction);
        const before = b.index.snapshot();
        b.index.truncateTo(point);
        b.index.validate();
        const left = b.batches.filter((x) => x.baseOffset + x.count <= point);
        expect(b.index.snapshot()).toEqual(TxnIndex.fromBatches(left).snapshot());
        // Replaying what was cut off restores the state before the truncation.
        for (const x of b.batches) if (x.baseOffset >= point) b.index.onAppend(x);
        expect(b.index.snapshot()).toEqual(before);
      }),
      { seed: SEED + 2, numRuns: NUM_RUNS },
    );
  });
});
