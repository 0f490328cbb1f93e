// transactions: coordinator parts: a __transaction_state record round-trips (key = the
// transactional id, value = the state reached, tombstone = the id removed); markers are grouped by
// the partitions' current leaders, leaderless partitions wait and unknown ones are skipped; a
// leader's per-partition error is done, retried, skipped or stops the sending, as Kafka's
// TransactionMarkerRequestCompletionHandler decides.
import { describe, expect, it } from "vitest";
import { MetadataImage } from "../../sim/kafka/metadata/image.ts";
import { verifyPartitionsInTransaction } from "../../sim/kafka/txn/coordinator-decisions.ts";
import { asTopicList, markerOutcome, routeMarkers } from "../../sim/kafka/txn/marker-routing.ts";
import {
  decodeTransactionLogRecord,
  encodeTransactionLogValue,
  transactionLogKey,
} from "../../sim/kafka/txn/records.ts";
import {
  TransactionMetadata,
  type TxnTransitMetadata,
} from "../../sim/kafka/txn/transaction-metadata.ts";

const transit: TxnTransitMetadata = {
  producerId: 4000,
  lastProducerId: 4000,
  producerEpoch: 3,
  lastProducerEpoch: -1,
  txnTimeoutMs: 60_000,
  txnState: "PrepareAbort",
  topicPartitions: [
    { topic: "out", partition: 0 },
    { topic: "out", partition: 2 },
  ],
  txnStartTimestamp: 1_000,
  txnLastUpdateTimestamp: 2_000,
  epochFence: true,
};

describe("transactions: coordinator parts: __transaction_state records", () => {
  it("writes the state as Kafka's state byte and reads the same metadata back", () => {
    const value = encodeTransactionLogValue(transit);
    // PrepareAbort is state id 3 (Empty 0, Ongoing 1, PrepareCommit 2, PrepareAbort 3).
    expect(JSON.parse(value).state).toBe(3);
    const back = decodeTransactionLogRecord(transactionLogKey("tx-1"), value);
    // The fence flag is how the state was reached, not part of the record.
    expect(back).toEqual({ transactionalId: "tx-1", value: { ...transit, epochFence: false } });
  });

  it("reads a tombstone as the id removed, and ignores keys it did not write", () => {
    expect(decodeTransactionLogRecord(transactionLogKey("tx-1"), null)).toEqual({
      transactionalId: "tx-1",
      value: null,
    });
    expect(decodeTransactionLogRecord(JSON.stringify({ v: 2, group: "g" }), null)).toBeUndefined();
  });
});

function image(): MetadataImage {
  const img = new MetadataImage();
  img.apply({ type: "TopicRecord", name: "out", topicId: "out-topic-id-0000000000" });
  const leaders = [2, 1, -1, 2];
  leaders.forEach((leader, p) => {
    img.apply({
      type: "PartitionRecord",
      topicId: "out-topic-id-0000000000",
      partitionId: p,
      replicas: [1, 2],
      isr: leader < 0 ? [] : [leader],
      removingReplicas: [],
      addingReplicas: [],
      leader,
      leaderRecoveryState: "RECOVERED",
      leaderEpoch: 0,
      partitionEpoch: 0,
    });
  });
  return img;
}

describe("transactions: coordinator parts: marker routing", () => {
  it("groups partitions by leader (ascending), holds leaderless ones, skips unknown ones", () => {
    const tps = [0, 1, 2, 3, 9].map((partition) => ({ topic: "out", partition }));
    const route = routeMarkers(image(), [...tps, { topic: "gone", partition: 0 }]);
    expect(route.byLeader).toEqual([
      { leader: 1, partitions: [{ topic: "out", partition: 1 }] },
      {
        leader: 2,
        partitions: [
          { topic: "out", partition: 0 },
          { topic: "out", partition: 3 },
        ],
      },
    ]);
    expect(route.noLeader).toEqual([{ topic: "out", partition: 2 }]);
    expect(route.unknown).toEqual([
      { topic: "out", partition: 9 },
      { topic: "gone", partition: 0 },
    ]);
  });

  it("maps each leader error as Kafka's completion handler does", () => {
    expect(markerOutcome("NONE")).toBe("written");
    for (const e of ["NOT_LEADER_OR_FOLLOWER", "NOT_ENOUGH_REPLICAS", "REQUEST_TIMED_OUT"]) {
      expect(markerOutcome(e)).toBe("retry");
    }
    expect(markerOutcome("UNSUPPORTED_FOR_MESSAGE_FORMAT")).toBe("skip");
    expect(markerOutcome("INVALID_PRODUCER_EPOCH")).toBe("stop");
    expect(markerOutcome("TRANSACTION_COORDINATOR_FENCED")).toBe("stop");
  });

  it("writes sorted partitions as the protocol's topic list", () => {
    expect(
      asTopicList([
        { topic: "a", partition: 0 },
        { topic: "a", partition: 4 },
        { topic: "b", partition: 1 },
      ]),
    ).toEqual([
      { topic: "a", partitions: [0, 4] },
      { topic: "b", partitions: [1] },
    ]);
  });
});

describe("transactions: coordinator parts: KIP-890 verification", () => {
  const meta = new TransactionMetadata("tx-1", {
    producerId: 4000,
    producerEpoch: 2,
    txnTimeoutMs: 60_000,
    state: "Ongoing",
    topicPartitions: [{ topic: "out", partition: 0 }],
    txnStartTimestamp: 10,
    txnLastUpdateTimestamp: 10,
  });
  const tps = [
    { topic: "out", partition: 0 },
    { topic: "out", partition: 1 },
  ];

  it("accepts a partition of the open transaction and rejects one that is not in it", () => {
    expect(verifyPartitionsInTransaction(meta, 4000, 2, tps)).toEqual([
      "NONE",
      "INVALID_TXN_STATE",
    ]);
  });

  it("fails every partition for another producer id or an old epoch", () => {
    expect(verifyPartitionsInTransaction(meta, 4001, 2, tps)).toEqual([
      "INVALID_PRODUCER_ID_MAPPING",
      "INVALID_PRODUCER_ID_MAPPING",
    ]);
    expect(verifyPartitionsInTransaction(meta, 4000, 1, tps)).toEqual([
      "PRODUCER_FENCED",
      "PRODUCER_FENCED",
    ]);
    expect(verifyPartitionsInTransaction(undefined, 4000, 2, tps)).toEqual([
      "INVALID_PRODUCER_ID_MAPPING",
      "INVALID_PRODUCER_ID_MAPPING",
    ]);
  });
});
