// transactions: state table: the coordinator's transaction states allow exactly the transitions of
// Kafka's TransactionState.validPreviousStates (TransactionMetadata.scala), no more, no fewer.
import { describe, expect, it } from "vitest";
import { SimAssertionError } from "../../sim/engine/assert.ts";
import {
  assertTransition,
  canTransition,
  isExpirationAllowed,
  TRANSACTION_STATES,
  type TransactionState,
  transactionStateFromId,
  transactionStateId,
} from "../../sim/kafka/txn/transaction-state.ts";

// Written out by hand from Kafka's source, "to <- from", so the test does not read our table.
const KAFKA_ALLOWED: ReadonlyArray<readonly [TransactionState, TransactionState]> = [
  ["Empty", "Empty"],
  ["CompleteCommit", "Empty"],
  ["CompleteAbort", "Empty"],
  ["Ongoing", "Ongoing"],
  ["Empty", "Ongoing"],
  ["CompleteCommit", "Ongoing"],
  ["CompleteAbort", "Ongoing"],
  ["Ongoing", "PrepareCommit"],
  ["Ongoing", "PrepareAbort"],
  ["PrepareEpochFence", "PrepareAbort"],
  ["PrepareCommit", "CompleteCommit"],
  ["PrepareAbort", "CompleteAbort"],
  ["Empty", "Dead"],
  ["CompleteAbort", "Dead"],
  ["CompleteCommit", "Dead"],
  ["Ongoing", "PrepareEpochFence"],
];

describe("transactions: state table: allowed transitions", () => {
  for (const [from, to] of KAFKA_ALLOWED) {
    it(`${from} -> ${to} is allowed`, () => {
      expect(canTransition(from, to)).toBe(true);
      expect(() => assertTransition(from, to, "tx")).not.toThrow();
    });
  }
});

describe("transactions: state table: forbidden transitions", () => {
  const sample: ReadonlyArray<readonly [TransactionState, TransactionState]> = [
    ["Empty", "PrepareCommit"], // EndTxn with no transaction: INVALID_TXN_STATE, never a write
    ["Empty", "PrepareAbort"],
    ["Ongoing", "CompleteCommit"], // markers come only after the commit point
    ["PrepareCommit", "PrepareAbort"], // a decided transaction cannot change its outcome
    ["PrepareAbort", "PrepareCommit"],
    ["PrepareCommit", "Ongoing"], // no new partitions while markers are written
    ["Ongoing", "Empty"], // InitProducerId over an open transaction fences instead
    ["Ongoing", "Dead"], // an id never expires with a transaction open
    ["Dead", "Empty"], // Dead is final
    ["PrepareEpochFence", "PrepareCommit"], // a fenced transaction can only abort
    ["CompleteCommit", "CompleteAbort"],
    ["PrepareAbort", "CompleteCommit"],
  ];
  for (const [from, to] of sample) {
    it(`${from} -> ${to} is forbidden and asserts`, () => {
      expect(canTransition(from, to)).toBe(false);
      expect(() => assertTransition(from, to, "tx")).toThrow(SimAssertionError);
    });
  }

  it("allows nothing beyond Kafka's 16 pairs (all 64 pairs checked)", () => {
    const allowed = new Set(KAFKA_ALLOWED.map(([f, t]) => `${f}>${t}`));
    for (const from of TRANSACTION_STATES) {
      for (const to of TRANSACTION_STATES) {
        expect(canTransition(from, to), `${from} -> ${to}`).toBe(allowed.has(`${from}>${to}`));
      }
    }
  });
});

describe("transactions: state table: ids and expiration", () => {
  it("numbers the states as Kafka's record format does (Empty 0 ... PrepareEpochFence 7)", () => {
    expect(transactionStateId("Empty")).toBe(0);
    expect(transactionStateId("Ongoing")).toBe(1);
    expect(transactionStateId("PrepareCommit")).toBe(2);
    expect(transactionStateId("PrepareAbort")).toBe(3);
    expect(transactionStateId("CompleteCommit")).toBe(4);
    expect(transactionStateId("CompleteAbort")).toBe(5);
    expect(transactionStateId("Dead")).toBe(6);
    expect(transactionStateId("PrepareEpochFence")).toBe(7);
    expect(transactionStateFromId(7)).toBe("PrepareEpochFence");
    expect(() => transactionStateFromId(8)).toThrow(SimAssertionError);
  });

  it("lets an id expire only between transactions (Empty, CompleteCommit, CompleteAbort)", () => {
    const expirable = TRANSACTION_STATES.filter(isExpirationAllowed);
    expect(expirable).toEqual(["Empty", "CompleteCommit", "CompleteAbort"]);
  });
});
