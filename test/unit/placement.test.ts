import { describe, expect, it } from "vitest";
import { SimAssertionError } from "../../sim/engine/assert.ts";
import {
  assignReplicasToBrokers,
  type BrokerPlacementInfo,
  type PlacementResult,
  type PlacementRng,
  pickLogDir,
  placeReplicasStriped,
  rackAlternatedBrokerList,
} from "../../sim/kafka/metadata/placement.ts";

/**
 * Kafka's test `MockRandom` (server-common test utils): a java.util.Random whose next(bits) is a
 * 64-bit LCG from state 17, with Random.nextInt(bound)'s own algorithm on top. Driving our placer
 * with it reproduces the vectors of Kafka's StripedReplicaPlacerTest, which were computed by Kafka.
 */
class KafkaMockRandom implements PlacementRng {
  private state = 17n;

  private next(bits: number): number {
    this.state = (this.state * 2862933555777941757n + 3037000493n) & 0xffffffffffffffffn;
    return Number(this.state >> BigInt(64 - bits));
  }

  /** java.util.Random.nextInt(bound). */
  nextInt(bound: number): number {
    let r = this.next(31);
    const m = bound - 1;
    if ((bound & m) === 0) return Number((BigInt(bound) * BigInt(r)) >> 31n);
    for (let u = r; ((u - (r = u % bound) + m) | 0) < 0; u = this.next(31));
    return r;
  }

  intBetween(lo: number, hi: number): number {
    return lo + this.nextInt(hi - lo + 1);
  }
}

/** Returns the given values in turn (checks the order in which a placer draws). */
function scripted(values: number[]): PlacementRng & { calls: [number, number][] } {
  const calls: [number, number][] = [];
  return {
    calls,
    intBetween(lo: number, hi: number): number {
      calls.push([lo, hi]);
      const value = values.shift();
      if (value === undefined) throw new Error("no scripted value left");
      return value;
    },
  };
}

function assignments(result: PlacementResult): number[][] {
  if (!result.ok) throw new Error(`${result.error}: ${result.message}`);
  return result.assignments;
}

const noRack = (...ids: number[]): BrokerPlacementInfo[] => ids.map((id) => ({ id }));

describe("placement: AdminUtils.assignReplicasToBrokers", () => {
  it("reproduces AdminTest.testReplicaAssignment (5 brokers, 10 partitions, RF 3, start 0)", () => {
    // Partition p leads on broker p % 5; the follower shift grows by one at partition 5.
    expect(assignments(assignReplicasToBrokers(noRack(0, 1, 2, 3, 4), 10, 3))).toEqual([
      [0, 1, 2],
      [1, 2, 3],
      [2, 3, 4],
      [3, 4, 0],
      [4, 0, 1],
      [0, 2, 3],
      [1, 3, 4],
      [2, 4, 0],
      [3, 0, 1],
      [4, 1, 2],
    ]);
  });

  it("reproduces AdminRackAwareTest's rack-alternated list and assignment", () => {
    const racks = new Map([
      [0, "rack1"],
      [1, "rack3"],
      [2, "rack3"],
      [3, "rack2"],
      [4, "rack2"],
      [5, "rack1"],
    ]);
    expect(rackAlternatedBrokerList(racks)).toEqual([0, 3, 1, 5, 4, 2]);
    const withoutFive = new Map([...racks].filter(([id]) => id !== 5));
    expect(rackAlternatedBrokerList(withoutFive)).toEqual([0, 3, 1, 4, 2]);

    const brokers = [...racks].map(([id, rack]) => ({ id, rack }));
    expect(
      assignments(assignReplicasToBrokers(brokers, 7, 3, { startIndex: 0, nextReplicaShift: 0 })),
    ).toEqual([
      [0, 3, 1],
      [3, 1, 5],
      [1, 5, 4],
      [5, 4, 2],
      [4, 2, 0],
      [2, 0, 3],
      // Partition 6 starts the second round: the followers shift (not 0,3,1 again).
      [0, 4, 2],
    ]);
  });

  it("draws the start index, then the shift, from the rng", () => {
    const rng = scripted([2, 1]);
    // startIndex 2 puts partition 0's leader on broker 2; with shift 1 the followers are
    // (2 + 1 + (1+0)%4) % 5 = 4 and (2 + 1 + (1+1)%4) % 5 = 0.
    expect(assignments(assignReplicasToBrokers(noRack(0, 1, 2, 3, 4), 1, 3, { rng }))).toEqual([
      [2, 4, 0],
    ]);
    expect(rng.calls).toEqual([
      [0, 4],
      [0, 4],
    ]);
  });

  it("continues from startPartitionId when partitions are added", () => {
    // Partitions 5 and 6 of the 5-broker layout above.
    expect(
      assignments(assignReplicasToBrokers(noRack(0, 1, 2, 3, 4), 2, 3, { startPartitionId: 5 })),
    ).toEqual([
      [0, 2, 3],
      [1, 3, 4],
    ]);
  });

  it("fails with Kafka's messages", () => {
    expect(assignReplicasToBrokers(noRack(1, 2, 3), 1, 4)).toEqual({
      ok: false,
      error: "INVALID_REPLICATION_FACTOR",
      message: "Replication factor: 4 larger than available brokers: 3.",
    });
    expect(assignReplicasToBrokers(noRack(1, 2, 3), 1, 0)).toMatchObject({
      error: "INVALID_REPLICATION_FACTOR",
      message: "Replication factor must be larger than 0.",
    });
    expect(assignReplicasToBrokers(noRack(1, 2, 3), 0, 1)).toMatchObject({
      error: "INVALID_PARTITIONS",
      message: "Number of partitions must be larger than 0.",
    });
    expect(assignReplicasToBrokers([{ id: 1, rack: "a" }, { id: 2 }], 1, 1)).toMatchObject({
      message: "Not all brokers have rack information for replica rack aware assignment.",
    });
  });
});

describe("placement: StripedReplicaPlacer (KRaft)", () => {
  const b = (id: number, rack?: string, fenced = false): BrokerPlacementInfo => ({
    id,
    rack,
    fenced,
  });

  it("testAvoidFencedReplicaIfPossibleOnSingleRack, including the reshuffle", () => {
    const brokers = [b(3), b(1, undefined, true), b(0), b(4), b(2)];
    const placed = placeReplicasStriped(
      brokers,
      { numPartitions: 5, replicationFactor: 4 },
      new KafkaMockRandom(),
    );
    expect(assignments(placed)).toEqual([
      [3, 4, 0, 2],
      [4, 0, 2, 3],
      [0, 2, 3, 4],
      [2, 3, 4, 0],
      // Four placements = four unfenced brokers: the lists are shuffled before the fifth.
      [0, 4, 3, 2],
    ]);
  });

  it("testPlacementOnFencedReplicaOnSingleRack", () => {
    const brokers = [b(3), b(1, undefined, true), b(2)];
    const placed = placeReplicasStriped(
      brokers,
      { numPartitions: 4, replicationFactor: 3 },
      new KafkaMockRandom(),
    );
    expect(assignments(placed)).toEqual([
      [3, 2, 1],
      [2, 3, 1],
      [3, 2, 1],
      [2, 3, 1],
    ]);
  });

  it("testRackListWithMultipleRacks and testRackListWithInvalidRacks", () => {
    const three = [b(11, "1"), b(10, "1"), b(30, "3"), b(31, "3"), b(21, "2"), b(20, "2", true)];
    expect(
      assignments(
        placeReplicasStriped(
          three,
          { numPartitions: 3, replicationFactor: 4 },
          new KafkaMockRandom(),
        ),
      ),
    ).toEqual([
      [11, 21, 31, 10],
      [21, 30, 10, 20],
      [31, 11, 21, 30],
    ]);
    const mostlyFenced = [
      b(11, "1"),
      b(10, "1"),
      b(30, "3", true),
      b(31, "3", true),
      b(20, "2", true),
      b(21, "2", true),
      b(41, "4"),
      b(40, "4", true),
    ];
    expect(
      assignments(
        placeReplicasStriped(
          mostlyFenced,
          { numPartitions: 3, replicationFactor: 4 },
          new KafkaMockRandom(),
        ),
      ),
    ).toEqual([
      [41, 11, 21, 30],
      [10, 20, 31, 41],
      [41, 21, 30, 11],
    ]);
  });

  it("testPlaceShiftsInitialOffsetsRackUnaware: new partitions continue the stripe", () => {
    const twelve = Array.from({ length: 12 }, (_, id) => b(id));
    const first = assignments(
      placeReplicasStriped(
        twelve,
        { numPartitions: 2, replicationFactor: 3 },
        new KafkaMockRandom(),
      ),
    );
    expect(first).toEqual([
      [7, 8, 9],
      [8, 9, 10],
    ]);
    const next = assignments(
      placeReplicasStriped(
        twelve,
        { numPartitions: 2, replicationFactor: 3, existingAssignments: first },
        new KafkaMockRandom(),
      ),
    );
    expect(next).toEqual([
      [9, 10, 11],
      [10, 11, 0],
    ]);
    const more = assignments(
      placeReplicasStriped(
        twelve,
        { numPartitions: 4, replicationFactor: 3, existingAssignments: [...first, ...next] },
        new KafkaMockRandom(),
      ),
    );
    expect(more).toEqual([
      [11, 0, 1],
      [0, 1, 2],
      [1, 2, 3],
      [2, 3, 4],
    ]);
  });

  it("testPlaceShiftsInitialOffsetsRackAware and ...AndUsesUnusedRacks", () => {
    const racked = Array.from({ length: 12 }, (_, id) => b(id, String(1 + Math.floor(id / 4))));
    const first = assignments(
      placeReplicasStriped(
        racked,
        { numPartitions: 2, replicationFactor: 3 },
        new KafkaMockRandom(),
      ),
    );
    expect(first).toEqual([
      [6, 8, 2],
      [9, 3, 7],
    ]);
    expect(
      assignments(
        placeReplicasStriped(
          racked,
          { numPartitions: 2, replicationFactor: 3, existingAssignments: first },
          new KafkaMockRandom(),
        ),
      ),
    ).toEqual([
      [0, 4, 10],
      [5, 11, 1],
    ]);

    const fourRacks = [b(0, "1"), b(1, "2"), b(2, "3"), b(3, "4")];
    let existing = assignments(
      placeReplicasStriped(
        fourRacks,
        { numPartitions: 1, replicationFactor: 2 },
        new KafkaMockRandom(),
      ),
    );
    expect(existing).toEqual([[0, 1]]);
    for (const expected of [
      [1, 2],
      [2, 3],
      [3, 0],
    ]) {
      existing = assignments(
        placeReplicasStriped(
          fourRacks,
          { numPartitions: 1, replicationFactor: 2, existingAssignments: existing },
          new KafkaMockRandom(),
        ),
      );
      expect(existing).toEqual([expected]);
    }
  });

  it("testMultiPartitionTopicPlacementOnSingleUnfencedBroker", () => {
    const placed = placeReplicasStriped(
      [b(0), b(1, undefined, true)],
      { numPartitions: 3, replicationFactor: 1 },
      new KafkaMockRandom(),
    );
    expect(assignments(placed)).toEqual([[0], [0], [0]]);
  });

  it("fails with KRaft's messages", () => {
    expect(
      placeReplicasStriped([b(1), b(2), b(3)], { numPartitions: 1, replicationFactor: 4 }),
    ).toEqual({
      ok: false,
      error: "INVALID_REPLICATION_FACTOR",
      message:
        "The target replication factor of 4 cannot be reached because only 3 broker(s) are registered.",
    });
    expect(placeReplicasStriped([b(1)], { numPartitions: 1, replicationFactor: 0 })).toMatchObject({
      message: "Invalid replication factor 0: the replication factor must be positive.",
    });
    expect(
      placeReplicasStriped([b(1, undefined, true)], { numPartitions: 1, replicationFactor: 1 }),
    ).toMatchObject({
      message: "All brokers are currently fenced.",
    });
  });

  it("is deterministic without an rng (every draw 0)", () => {
    // One rack, brokers [0,1,2], every offset 0. The first placement runs in iteration epoch 0,
    // which is each list's initial epoch, so the offset stays 0: [0,1]. The second runs in epoch 1:
    // the list resets and advances its offset to 1: [1,2].
    expect(
      assignments(
        placeReplicasStriped([b(0), b(1), b(2)], { numPartitions: 2, replicationFactor: 2 }),
      ),
    ).toEqual([
      [0, 1],
      [1, 2],
    ]);
  });
});

describe("placement: JBOD log directory", () => {
  it("picks the directory with the fewest partitions, the first one on ties", () => {
    const dirs = [
      { path: "/data/a", partitionCount: 4 },
      { path: "/data/b", partitionCount: 2 },
      { path: "/data/c", partitionCount: 2 },
    ];
    expect(pickLogDir(dirs).path).toBe("/data/b");
    expect(pickLogDir([{ path: "/x", partitionCount: 0 }]).path).toBe("/x");
    expect(() => pickLogDir([])).toThrow(SimAssertionError);
  });
});
