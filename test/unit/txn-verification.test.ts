// transactions: KIP-890 verification parts: the coordinator's verify-only answer for a transaction
// being completed (PrepareCommit / PrepareAbort: CONCURRENT_TRANSACTIONS, though its partitions
// are still listed) and after it (CompleteAbort: INVALID_TXN_STATE); and the leader's translation
// of the coordinator's errors for the producer, as Kafka's ReplicaManager does.
import { describe, expect, it } from "vitest";
import { produceErrorForVerification } from "../../sim/kafka/broker/txn-verification.ts";
import { verifyPartitionsInTransaction } from "../../sim/kafka/txn/coordinator-decisions.ts";
import { TransactionMetadata } from "../../sim/kafka/txn/transaction-metadata.ts";
import type { TransactionState } from "../../sim/kafka/txn/transaction-state.ts";

const out0 = [{ topic: "out", partition: 0 }];

function meta(state: TransactionState, partitions = out0): TransactionMetadata {
  return new TransactionMetadata("tx-1", {
    producerId: 4000,
    producerEpoch: 2,
    txnTimeoutMs: 60_000,
    state,
    topicPartitions: partitions,
    txnStartTimestamp: 10,
    txnLastUpdateTimestamp: 10,
  });
}

describe("transactions: KIP-890 verification parts", () => {
  it("a transaction being completed answers CONCURRENT_TRANSACTIONS for its listed partitions", () => {
    expect(verifyPartitionsInTransaction(meta("PrepareAbort"), 4000, 2, out0)).toEqual([
      "CONCURRENT_TRANSACTIONS",
    ]);
    expect(verifyPartitionsInTransaction(meta("PrepareCommit"), 4000, 2, out0)).toEqual([
      "CONCURRENT_TRANSACTIONS",
    ]);
  });

  it("after the transaction, no partition is in it: INVALID_TXN_STATE", () => {
    expect(verifyPartitionsInTransaction(meta("CompleteAbort", []), 4000, 2, out0)).toEqual([
      "INVALID_TXN_STATE",
    ]);
    expect(verifyPartitionsInTransaction(meta("Empty", []), 4000, 2, out0)).toEqual([
      "INVALID_TXN_STATE",
    ]);
    expect(verifyPartitionsInTransaction(meta("Ongoing"), 4000, 2, out0)).toEqual(["NONE"]);
  });

  it("the leader passes INVALID_TXN_STATE on, turns fencing into INVALID_PRODUCER_EPOCH", () => {
    expect(produceErrorForVerification("INVALID_TXN_STATE")).toBe("INVALID_TXN_STATE");
    expect(produceErrorForVerification("PRODUCER_FENCED")).toBe("INVALID_PRODUCER_EPOCH");
    expect(produceErrorForVerification("INVALID_PRODUCER_ID_MAPPING")).toBe(
      "INVALID_PRODUCER_ID_MAPPING",
    );
  });

  it("coordinator trouble and a lost question become a retriable NOT_ENOUGH_REPLICAS", () => {
    for (const e of [
      "NETWORK_EXCEPTION",
      "COORDINATOR_NOT_AVAILABLE",
      "NOT_COORDINATOR",
      "COORDINATOR_LOAD_IN_PROGRESS",
      "CONCURRENT_TRANSACTIONS",
    ] as const) {
      expect(produceErrorForVerification(e)).toBe("NOT_ENOUGH_REPLICAS");
    }
  });
});
