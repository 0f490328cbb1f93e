/**
 * kafka: transactions: the partition log's transaction index, wired (reference §5, S16, S17):
 * appends open and end transactions, the LSO follows the HW and the earliest open transaction, a
 * marker counts only once the HW passes it, truncation reopens transactions, log-start moves drop
 * old entries, a restart's rebuild from the batches equals the live index (fast-check property,
 * seed printed; FC_SEED=<n> to explore others), and the producer state follows marker epochs.
 * Then the consumer's fetch buffer by isolation level, and compaction under an LSO and over
 * aborted records.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FetchBuffer } from "../../sim/client/consumer/fetcher.ts";
import { consumerSettings } from "../../sim/client/consumer/settings.ts";
import { type CompactionPolicy, cleanableRange, compact } from "../../sim/kafka/log/compaction.ts";
import { type NewBatch, PartitionLog } from "../../sim/kafka/log/partition-log.ts";
import { TxnIndex } from "../../sim/kafka/log/txn-index.ts";
import type { FetchPartitionResponse } from "../../sim/kafka/protocol.ts";
import type { RecordBatch } from "../../sim/kafka/types.ts";

const SEED = Number(process.env.FC_SEED ?? 20_261_207);
const NUM_RUNS = Number(process.env.FC_RUNS ?? 200);
console.log(`txn-log-partition: fast-check seed=${SEED} numRuns=${NUM_RUNS}`);

function plain(count: number): NewBatch {
  return {
    count,
    bytes: 100 * count,
    firstTimestampUs: 0,
    maxTimestampUs: 0,
    producerId: -1,
    producerEpoch: -1,
    baseSequence: -1,
    isTransactional: false,
    isControl: false,
  };
}

function txnData(producerId: number, count: number, baseSequence = 0, epoch = 0): NewBatch {
  return {
    ...plain(count),
    producerId,
    producerEpoch: epoch,
    baseSequence,
    isTransactional: true,
  };
}

function marker(producerId: number, type: "COMMIT" | "ABORT", epoch = 0): NewBatch {
  return {
    ...plain(1),
    bytes: 78,
    producerId,
    producerEpoch: epoch,
    isTransactional: true,
    isControl: true,
    controlType: type,
  };
}

function batches(log: PartitionLog): RecordBatch[] {
  const out: RecordBatch[] = [];
  log.forEachBatch((b) => out.push(b));
  return out;
}

describe("kafka: transactions: partition log: LSO (S17)", () => {
  it("an open transaction holds the LSO at its first offset, plain records after it included", () => {
    const log = new PartitionLog();
    log.append(plain(10), 0, 0); // 0..9
    log.append(plain(1), 0, 0); // n1 at 10
    log.append(txnData(4000, 1), 0, 0); // t1 at 11
    log.append(plain(2), 0, 0); // n2, n3 at 12, 13
    log.setHighWatermark(14);
    expect(log.lastStableOffset).toBe(11);
    expect(log.txnIndex.ongoingTxns()).toEqual([{ producerId: 4000, firstOffset: 11 }]);

    // The ABORT marker at 14: not stable until the HW passes it.
    const m = log.append(marker(4000, "ABORT"), 0, 0).batch;
    expect(m.baseOffset).toBe(14);
    expect(m.controlType).toBe("ABORT");
    expect(log.lastStableOffset).toBe(11);
    log.setHighWatermark(15);
    expect(log.lastStableOffset).toBe(15);
    expect(log.txnIndex.collectAbortedTransactions(10, 15)).toEqual([
      { producerId: 4000, firstOffset: 11, lastOffset: 14, lastStableOffset: 15 },
    ]);
  });

  it("the LSO never exceeds the HW, and equals it without transactions", () => {
    const log = new PartitionLog();
    log.append(plain(5), 0, 0);
    expect(log.lastStableOffset).toBe(0);
    log.setHighWatermark(3);
    expect(log.lastStableOffset).toBe(3);
    log.append(txnData(7, 2), 0, 0); // 5, 6
    log.setHighWatermark(5);
    expect(log.lastStableOffset).toBe(5);
    log.setHighWatermark(7);
    expect(log.lastStableOffset).toBe(5);
  });

  it("a commit releases the LSO once replicated; the committed data is not listed as aborted", () => {
    const log = new PartitionLog();
    log.append(txnData(1, 3), 0, 0); // 0..2
    log.append(plain(1), 0, 0); // 3
    log.append(marker(1, "COMMIT"), 0, 0); // 4
    log.setHighWatermark(4);
    expect(log.lastStableOffset).toBe(0);
    log.setHighWatermark(5);
    expect(log.lastStableOffset).toBe(5);
    expect(log.txnIndex.abortedTxns()).toEqual([]);
  });
});

describe("kafka: transactions: partition log: truncation, log start and restart", () => {
  it("a truncation that removes a marker reopens its transaction", () => {
    const log = new PartitionLog();
    log.append(plain(2), 0, 0); // 0, 1
    log.append(txnData(9, 2), 0, 0); // 2, 3
    log.append(marker(9, "ABORT"), 0, 0); // 4
    log.setHighWatermark(4);
    log.truncateTo(4);
    expect(log.txnIndex.ongoingTxns()).toEqual([{ producerId: 9, firstOffset: 2 }]);
    expect(log.txnIndex.abortedTxns()).toEqual([]);
    expect(log.lastStableOffset).toBe(2);
    log.truncateTo(2);
    expect(log.txnIndex.ongoingTxns()).toEqual([]);
    expect(log.lastStableOffset).toBe(2);
  });

  it("a full truncation (follower behind the leader's log start) forgets every transaction", () => {
    const log = new PartitionLog();
    log.append(txnData(9, 2), 0, 0);
    log.truncateFullyAndStartAt(50, 0);
    expect(log.txnIndex.snapshot()).toMatchObject({ logStartOffset: 50, endOffset: 50 });
    expect(log.txnIndex.ongoingTxns()).toEqual([]);
    expect(log.lastStableOffset).toBe(50);
  });

  it("DeleteRecords past an aborted transaction's marker drops its index entry", () => {
    const log = new PartitionLog();
    log.append(txnData(3, 2), 0, 0); // 0, 1
    log.append(marker(3, "ABORT"), 0, 0); // 2
    log.append(plain(2), 0, 0); // 3, 4
    log.setHighWatermark(5);
    expect(log.txnIndex.abortedTxns()).toHaveLength(1);
    log.setLogStartOffset(3);
    expect(log.txnIndex.abortedTxns()).toEqual([]);
    expect(log.lastStableOffset).toBe(5);
  });

  it("an open transaction below a new log start pins the LSO at the log start (hanging)", () => {
    const log = new PartitionLog();
    log.append(txnData(3, 2), 0, 0); // 0, 1
    log.append(plain(3), 0, 0); // 2..4
    log.setHighWatermark(5);
    log.setLogStartOffset(3);
    expect(log.lastStableOffset).toBe(3);
  });

  it("property: the rebuilt index (restart) equals the live one after random appends, truncations, HW and log-start moves", () => {
    type Op =
      | { kind: "plain"; count: number }
      | { kind: "txn"; pid: number; count: number }
      | { kind: "marker"; pid: number; abort: boolean }
      | { kind: "hw"; frac: number }
      | { kind: "truncate"; frac: number }
      | { kind: "start"; frac: number };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ kind: fc.constant("plain" as const), count: fc.integer({ min: 1, max: 3 }) }),
      fc.record({
        kind: fc.constant("txn" as const),
        pid: fc.integer({ min: 0, max: 2 }),
        count: fc.integer({ min: 1, max: 3 }),
      }),
      fc.record({
        kind: fc.constant("marker" as const),
        pid: fc.integer({ min: 0, max: 2 }),
        abort: fc.boolean(),
      }),
      fc.record({
        kind: fc.constant("hw" as const),
        frac: fc.double({ min: 0, max: 1, noNaN: true }),
      }),
      fc.record({
        kind: fc.constant("truncate" as const),
        frac: fc.double({ min: 0, max: 1, noNaN: true }),
      }),
      fc.record({
        kind: fc.constant("start" as const),
        frac: fc.double({ min: 0, max: 1, noNaN: true }),
      }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const log = new PartitionLog();
        for (const o of ops) {
          const leo = log.logEndOffset;
          const between = (lo: number, hi: number, frac: number) =>
            lo + Math.floor((hi - lo) * frac);
          switch (o.kind) {
            case "plain":
              log.append(plain(o.count), 0, 0);
              break;
            case "txn":
              log.append(txnData(o.pid, o.count), 0, 0);
              break;
            case "marker":
              log.append(marker(o.pid, o.abort ? "ABORT" : "COMMIT"), 0, 0);
              break;
            case "hw": {
              const hw = between(log.highWatermark, leo, o.frac);
              log.setHighWatermark(hw);
              break;
            }
            case "truncate": {
              const target = log.batchBoundaryAtOrBelow(between(log.logStartOffset, leo, o.frac));
              if (target >= log.logStartOffset) log.truncateTo(target);
              break;
            }
            case "start":
              log.setLogStartOffset(between(log.logStartOffset, log.highWatermark, o.frac));
              break;
          }
          log.txnIndex.validate();
          const lso = log.lastStableOffset;
          if (lso > log.highWatermark || lso < log.logStartOffset) return false;
        }
        const live = log.txnIndex.snapshot();
        const liveLso = log.lastStableOffset;
        const rebuilt = TxnIndex.fromBatches(batches(log), log.logStartOffset);
        expect(rebuilt.snapshot()).toEqual(live);
        expect(rebuilt.lastStableOffset(log.highWatermark)).toBe(liveLso);
        log.rebuildTxnIndex();
        expect(log.txnIndex.snapshot()).toEqual(live);
        expect(log.lastStableOffset).toBe(liveLso);
        return true;
      }),
      { seed: SEED, numRuns: NUM_RUNS },
    );
  });
});

describe("kafka: transactions: producer state follows marker epochs (S16)", () => {
  it("an ABORT written with a bumped epoch fences the old epoch's produces", () => {
    const log = new PartitionLog();
    log.append(txnData(4000, 1, 0, 5), 0, 0);
    expect(log.producerState.check(txnData(4000, 1, 1, 5)).kind).toBe("append");
    // The coordinator fenced the producer: ABORT with epoch 6.
    expect(log.producerState.checkMarker(4000, 6).kind).toBe("append");
    log.append(marker(4000, "ABORT", 6), 0, 0);
    const zombie = log.producerState.check(txnData(4000, 1, 1, 5));
    expect(zombie).toMatchObject({ kind: "error", error: "INVALID_PRODUCER_EPOCH" });
    // The new producer instance starts its sequence at 0 in epoch 6.
    expect(log.producerState.check(txnData(4000, 1, 0, 6)).kind).toBe("append");
    // A marker from the old epoch is refused.
    expect(log.producerState.checkMarker(4000, 5)).toMatchObject({
      kind: "error",
      error: "INVALID_PRODUCER_EPOCH",
    });
  });
});

describe("kafka: transactions: consumer fetch buffer by isolation level", () => {
  function stored(log: PartitionLog): FetchPartitionResponse {
    // Origins name the batches, so the test sees which ones reached the application.
    return {
      topic: "out",
      partition: 0,
      error: "NONE",
      highWatermark: log.highWatermark,
      lastStableOffset: log.lastStableOffset,
      logStartOffset: 0,
      currentLeaderEpoch: 0,
      batches: batches(log).map((b) => ({ ...b, origin: `b${b.baseOffset}` })),
      abortedTransactions: log.txnIndex
        .collectAbortedTransactions(0, log.logEndOffset)
        .map(({ producerId, firstOffset }) => ({ producerId, firstOffset })),
    };
  }

  /**
   * Polls until the buffer is empty: the base offsets of the batches records came from, the number
   * of records, and the final position. (A slice counts its records; skipped offsets inside it,
   * markers or aborted batches, are not records.)
   */
  function drainAll(buffer: FetchBuffer, from: number) {
    let position = from;
    const delivered: number[] = [];
    let records = 0;
    for (let i = 0; i < 20 && !buffer.isEmpty; i++) {
      for (const slice of buffer.drain(100, () => position)) {
        delivered.push(...slice.origins.map((o) => o.baseOffset));
        records += slice.count;
        position = slice.nextOffset;
      }
    }
    return { delivered, records, position };
  }

  // n1 at 0, t1 (aborted txn of producer 4000) at 1, n2 at 2, ABORT at 3, t2 (committed, producer 5)
  // at 4..5, COMMIT at 6.
  function s16Log(): PartitionLog {
    const log = new PartitionLog();
    log.append(plain(1), 0, 0);
    log.append(txnData(4000, 1), 0, 0);
    log.append(plain(1), 0, 0);
    log.append(marker(4000, "ABORT"), 0, 0);
    log.append(txnData(5, 2), 0, 0);
    log.append(marker(5, "COMMIT"), 0, 0);
    log.setHighWatermark(7);
    return log;
  }

  it("read_committed drops the aborted batch and the markers, and moves past them", () => {
    const log = s16Log();
    const buffer = new FetchBuffer();
    buffer.add(0, stored(log), "read_committed");
    expect(drainAll(buffer, 0)).toEqual({ delivered: [0, 2, 4], records: 4, position: 7 });
  });

  it("read_uncommitted returns the aborted records too, never the markers", () => {
    const log = s16Log();
    const buffer = new FetchBuffer();
    buffer.add(0, stored(log), "read_uncommitted");
    expect(drainAll(buffer, 0)).toEqual({ delivered: [0, 1, 2, 4], records: 5, position: 7 });
  });

  it("read_committed: a response ending in an aborted batch and its marker still moves the position", () => {
    const log = new PartitionLog();
    log.append(plain(1), 0, 0);
    log.append(txnData(8, 2), 0, 0);
    log.append(marker(8, "ABORT"), 0, 0);
    log.setHighWatermark(4);
    const buffer = new FetchBuffer();
    const response = stored(log);
    buffer.add(1, { ...response, batches: response.batches.slice(1) }, "read_committed");
    expect(drainAll(buffer, 1)).toEqual({ delivered: [], records: 0, position: 4 });
  });
});

describe("kafka: transactions: compaction below the LSO", () => {
  /** One keyed record per batch; `producerId` ≥ 0 makes it transactional. */
  function keyed(key: string, value: string, producerId = -1): NewBatch {
    const base = producerId < 0 ? plain(1) : txnData(producerId, 1);
    return { ...base, keys: [key], values: [value] };
  }
  const policyOf = (log: PartitionLog): CompactionPolicy => ({
    nowUs: 0,
    lastStableOffset: log.lastStableOffset,
    minCleanableDirtyRatio: 0,
    deleteRetentionMs: 86_400_000,
    minCompactionLagMs: 0,
    cleanerCheckpoint: undefined,
    abortedTxns: log.txnIndex.abortedTxns(),
  });
  const view = (log: PartitionLog) => {
    const out: string[] = [];
    log.forEachRecord((offset, b, i) => {
      out.push(`${offset}:${b.keys?.[i]}=${b.values?.[i]}`);
    });
    return out;
  };

  it("an aborted transaction's record neither survives nor shadows the committed value", () => {
    const log = new PartitionLog({ compacted: true });
    log.append(keyed("k", "v1"), 0, 0); // 0
    log.append(keyed("k", "bad", 9), 0, 0); // 1
    log.append({ ...marker(9, "ABORT"), keys: [null], values: [null] }, 0, 0); // 2
    log.append(keyed("j", "x"), 0, 0); // 3
    log.roll(0);
    log.append(keyed("j", "y"), 0, 0); // 4, active segment
    log.setHighWatermark(5);
    expect(log.lastStableOffset).toBe(5);
    const result = compact(log, policyOf(log));
    expect(result.cleaned).toBe(true);
    expect(view(log)).toEqual(["0:k=v1", "2:null=null", "3:j=x", "4:j=y"]);
  });

  it("nothing at or above the LSO is cleaned while a transaction is open", () => {
    const log = new PartitionLog({ compacted: true });
    log.append(keyed("k", "v1"), 0, 0); // 0
    log.roll(0);
    log.append(keyed("k", "t", 9), 0, 0); // 1, open transaction
    log.append(keyed("k", "v2"), 0, 0); // 2
    log.roll(0);
    log.append(keyed("k", "v3"), 0, 0); // 3
    log.roll(0);
    log.append(keyed("z", "z"), 0, 0); // 4, active
    log.setHighWatermark(5);
    expect(log.lastStableOffset).toBe(1);
    const range = cleanableRange(log, policyOf(log));
    expect(range.firstUncleanableOffset).toBe(1);
  });
});

describe("kafka: transactions: consumer isolation.level setting", () => {
  it("defaults to read_uncommitted, takes read_committed, refuses anything else", () => {
    expect(consumerSettings("4.1", {}).isolationLevel).toBe("read_uncommitted");
    const rc = consumerSettings("4.1", { "isolation.level": "read_committed" });
    expect(rc.isolationLevel).toBe("read_committed");
    expect(() => consumerSettings("4.1", { "isolation.level": "read_dirty" })).toThrow();
  });
});
