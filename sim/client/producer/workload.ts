/**
 * A write workload for the real producer: records at a fixed rate, with keys drawn from a
 * distribution, for scenarios and benchmarks (Maelstrom keeps the workload apart from the client;
 * so does this file).
 *
 * Models: record k is sent at start + ceil(k × 1e6 ÷ ratePerSec) µs (the long-run rate is exact);
 * keys: none (null), `sequential` (key-0, key-1, ... cycling over `count`), `uniform` (a uniform
 * draw over `count` keys) or `zipf` (rank k in [0, count) with probability ∝ 1/(k+1)^s, the hot-key case), drawn
 * from the producer's own RNG stream so adding a component changes no other draw. Values are
 * `valueBytes` long, kept as text only when the producer keeps payloads.
 *
 * Transactions: with `transaction` (a producer with a transactional.id), every `records` records
 * form one transaction that ends with a commit, an abort, or never (`open`: the first transaction
 * stays open and the workload sends nothing more, reference S17); the producer drives it.
 *
 * Simplifies: no bursts or think time; one topic per workload. Faults: none.
 */
import { assert, assertSafeInt } from "../../engine/assert.ts";
import type { RngStream } from "../../engine/rng.ts";

export type KeyDistribution =
  | { readonly kind: "none" }
  /** key-0, key-1, ... without end (the scenario format's `sequence`). */
  | { readonly kind: "sequence" }
  | { readonly kind: "sequential"; readonly count: number }
  | { readonly kind: "uniform"; readonly count: number }
  | { readonly kind: "zipf"; readonly count: number; readonly s: number }
  /** The given keys in turn, record k taking keys[k mod length]. */
  | { readonly kind: "list"; readonly keys: readonly string[] };

/** How a transactional workload groups its records (the producer's transaction driver). */
export interface TransactionWorkload {
  /** Records per transaction (≥ 1). */
  readonly records: number;
  /** commit, abort, or open: the first transaction is never ended. */
  readonly end: "commit" | "abort" | "open";
}

export interface ProducerWorkload {
  readonly topic: string;
  /** Records per second (> 0; a byte rate divided by the value size need not be whole). */
  readonly ratePerSec: number;
  /**
   * fixed (default): record k at start + ceil(k × 1e6 ÷ rate) µs; poisson: exponential gaps of mean
   * 1e6 ÷ rate µs, each rounded up to a whole µs, drawn from the workload's stream.
   */
  readonly arrival?: "fixed" | "poisson";
  /** Stop after this many records (whichever of count and stopAtUs comes first). */
  readonly count?: number;
  /** Bytes of each value. */
  readonly valueBytes: number;
  readonly keys?: KeyDistribution;
  /** First record at this time (default 0). */
  readonly startAtUs?: number;
  /** No record at or after this time. */
  readonly stopAtUs?: number;
  /** Group the records into transactions (the producer needs a transactional.id). */
  readonly transaction?: TransactionWorkload;
}

export function checkWorkload(w: ProducerWorkload): void {
  assert(
    Number.isFinite(w.ratePerSec) && w.ratePerSec > 0,
    () => `workload ratePerSec must be a positive number, got ${w.ratePerSec}`,
  );
  if (w.count !== undefined) assertSafeInt(w.count, "workload count");
  assertSafeInt(w.valueBytes, "workload valueBytes");
  assert(w.valueBytes >= 0, "workload valueBytes must be ≥ 0");
  if (w.transaction !== undefined) {
    assertSafeInt(w.transaction.records, "records per transaction");
    assert(w.transaction.records >= 1, "a transaction needs at least one record");
  }
  const keys = w.keys ?? { kind: "none" };
  if (keys.kind === "list") assert(keys.keys.length >= 1, "a key list needs at least one key");
  else if (keys.kind !== "none" && keys.kind !== "sequence") {
    assertSafeInt(keys.count, "workload key count");
    assert(keys.count >= 1, "workload key count must be ≥ 1");
  }
}

/** The gap before the next record of a Poisson arrival process, in whole µs (at least 1). */
export function poissonGapUs(w: ProducerWorkload, rng: RngStream): number {
  return Math.max(1, Math.ceil(rng.exponential(1_000_000 / w.ratePerSec)));
}

/** When record k (0-based) of the workload is due. */
export function workloadTimeUs(w: ProducerWorkload, k: number): number {
  const atUs = (w.startAtUs ?? 0) + Math.ceil((k * 1_000_000) / w.ratePerSec);
  assertSafeInt(atUs, "workload record time");
  return atUs;
}

/** The key of record k. */
export function workloadKey(w: ProducerWorkload, k: number, rng: RngStream): string | null {
  const keys = w.keys ?? { kind: "none" };
  switch (keys.kind) {
    case "none":
      return null;
    case "sequence":
      return `key-${k}`;
    case "sequential":
      return `key-${k % keys.count}`;
    case "list":
      return keys.keys[k % keys.keys.length]!;
    case "uniform":
      return `key-${rng.intBetween(0, keys.count - 1)}`;
    case "zipf":
      return `key-${rng.zipf(keys.count, keys.s)}`;
  }
}
