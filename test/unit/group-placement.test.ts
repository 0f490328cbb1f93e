// groups: placement: a group lives on partition abs(String.hashCode(group.id)) % 50 of
// __consumer_offsets, with Java's 32-bit wrap-around and Utils.abs (MIN_VALUE → 0).
import { describe, expect, it } from "vitest";
import {
  coordinatorBroker,
  coordinatorPartition,
  javaAbs,
  OFFSETS_TOPIC,
} from "../../sim/kafka/group/placement.ts";
import { MetadataImage } from "../../sim/kafka/metadata/image.ts";

describe("groups: placement: coordinator partition", () => {
  it('puts "group1" on partition 40', () => {
    // h = 31*h + c over 'g'=103 'r'=114 'o'=111 'u'=117 'p'=112 '1'=49:
    //   103 → 3307 → 102628 → 3181585 → 98629247 → 98629247*31+49 = 3057506706,
    //   which wraps to 3057506706 - 2^32 = -1237460590; abs = 1237460590; mod 50 = 40.
    expect(coordinatorPartition("group1", 50)).toBe(40);
  });

  it('puts "a" on 47 and "" on 0', () => {
    // "a": h = 97, 97 mod 50 = 47. "": h = 0.
    expect(coordinatorPartition("a", 50)).toBe(47);
    expect(coordinatorPartition("", 50)).toBe(0);
  });

  it('puts "polygenelubricants" (hashCode = Integer.MIN_VALUE) on 0, as Utils.abs does', () => {
    // Math.abs(MIN_VALUE) would be 2^31 (2147483648 mod 50 = 48); Kafka's Utils.abs gives 0.
    expect(javaAbs(-2147483648)).toBe(0);
    expect(coordinatorPartition("polygenelubricants", 50)).toBe(0);
  });

  it("follows offsets.topic.num.partitions", () => {
    // 1237460590 mod 7 = 1237460590 - 7*176780084 (= 1237460588) = 2.
    expect(coordinatorPartition("group1", 7)).toBe(2);
  });
});

describe("groups: placement: coordinator broker", () => {
  it("is the leader of the group's partition, and unknown before the topic exists", () => {
    const image = new MetadataImage();
    expect(coordinatorBroker(image, "group1", 50)).toBeUndefined();
    image.apply({ type: "TopicRecord", name: OFFSETS_TOPIC, topicId: "offsets-topic-id-00000" });
    for (let p = 0; p < 50; p++) {
      image.apply({
        type: "PartitionRecord",
        topicId: "offsets-topic-id-00000",
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
    // Partition 40 has no leader yet: no coordinator (COORDINATOR_NOT_AVAILABLE).
    expect(coordinatorBroker(image, "group1", 50)).toBeUndefined();
    // "a" → partition 47 → leader 1 + (47 mod 3) = 1 + 2 = 3.
    expect(coordinatorBroker(image, "a", 50)).toBe(3);
  });
});

describe("metadata: image: configs", () => {
  it("reading a resource's configs never adds it; a topic's configs follow its ConfigRecords", () => {
    const image = new MetadataImage();
    expect(image.configsOf("TOPIC", "t")).toEqual({});
    expect(Object.isFrozen(image.configsOf("BROKER", "7"))).toBe(true);
    image.apply({ type: "TopicRecord", name: "t", topicId: "t-id-0000000000000000" });
    const shared = image.topicByName("t")!.configs;
    image.apply({
      type: "ConfigRecord",
      resourceType: "TOPIC",
      resourceName: "t",
      name: "retention.ms",
      value: "1000",
    });
    expect(image.configsOf("TOPIC", "t")).toEqual({ "retention.ms": "1000" });
    expect(shared).toEqual({ "retention.ms": "1000" });
    // A read of a broker's configs left nothing behind for a clone to copy.
    expect(image.clone().configsOf("BROKER", "7")).toEqual({});
    expect(Object.isFrozen(image.clone().configsOf("BROKER", "7"))).toBe(true);
  });
});
