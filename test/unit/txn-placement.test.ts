// transactions: placement: a transactional id lives on partition
// abs(String.hashCode(transactional.id)) % 50 of __transaction_state, with Java's 32-bit wrap and
// Utils.abs (MIN_VALUE → 0); its coordinator is that partition's leader.
import { describe, expect, it } from "vitest";
import { MetadataImage } from "../../sim/kafka/metadata/image.ts";
import {
  TRANSACTION_STATE_TOPIC,
  transactionCoordinatorBroker,
  transactionCoordinatorPartition,
} from "../../sim/kafka/txn/placement.ts";

describe("transactions: placement: coordinator partition", () => {
  it("uses the topic name __transaction_state", () => {
    expect(TRANSACTION_STATE_TOPIC).toBe("__transaction_state");
  });

  it('puts "tx" on partition 16', () => {
    // 't' = 116, 'x' = 120: h = 116*31 + 120 = 3716; 3716 mod 50 = 16.
    expect(transactionCoordinatorPartition("tx", 50)).toBe(16);
  });

  it('puts "group1" on partition 40 (the hash wraps negative)', () => {
    // h over 'g' 'r' 'o' 'u' 'p' '1' = 3057506706, which wraps to -1237460590;
    // abs = 1237460590; mod 50 = 40.
    expect(transactionCoordinatorPartition("group1", 50)).toBe(40);
  });

  it('puts "polygenelubricants" (hashCode = Integer.MIN_VALUE) on 0, as Utils.abs does', () => {
    // Math.abs would give 2^31, and 2147483648 mod 50 = 48.
    expect(transactionCoordinatorPartition("polygenelubricants", 50)).toBe(0);
  });

  it("follows transaction.state.log.num.partitions", () => {
    // 3716 mod 7 = 3716 - 7*530 (= 3710) = 6.
    expect(transactionCoordinatorPartition("tx", 7)).toBe(6);
  });
});

describe("transactions: placement: coordinator broker", () => {
  it("is the leader of the id's partition; unknown before the topic exists or without a leader", () => {
    const image = new MetadataImage();
    expect(transactionCoordinatorBroker(image, "tx", 50)).toBeUndefined();
    image.apply({
      type: "TopicRecord",
      name: TRANSACTION_STATE_TOPIC,
      topicId: "txn-topic-id-000000000",
    });
    for (let p = 0; p < 50; p++) {
      image.apply({
        type: "PartitionRecord",
        topicId: "txn-topic-id-000000000",
        partitionId: p,
        replicas: [1 + (p % 3)],
        isr: [1 + (p % 3)],
        removingReplicas: [],
        addingReplicas: [],
        leader: p === 40 ? -1 : 1 + (p % 3),
        leaderRecoveryState: "RECOVERED",
        leaderEpoch: 0,
        partitionEpoch: 0,
      });
    }
    // "tx" → partition 16 → leader 1 + (16 mod 3) = 2.
    expect(transactionCoordinatorBroker(image, "tx", 50)).toBe(2);
    // "group1" → partition 40, which has no leader: no coordinator yet.
    expect(transactionCoordinatorBroker(image, "group1", 50)).toBeUndefined();
  });
});
