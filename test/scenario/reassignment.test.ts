// reassignment: a reassignment under load completes with no loss: with a producer writing
// (acks=all, min.insync.replicas 2), moving a topic's replicas from [1,2,3] to [2,3,4] adds
// broker 4, lets it catch up and join the ISR, then drops broker 1 (leadership moves off it where
// it led); every acknowledged write is still in the final logs, and the replicas agree.
import { describe, expect, it } from "vitest";
import {
  checkNoDivergence,
  checkNoDuplicates,
  checkNoLostAckedWrites,
} from "../../sim/check/checkers/index.ts";
import { ClusterWorld } from "../support/cluster-world.ts";

const S = 1_000_000;

describe("reassignment: under load: [1,2,3] → [2,3,4]", () => {
  // Four brokers, three dedicated controllers (5-7). Partition 0 is led by 1 (which leaves), 1 by
  // 2 (which stays). The reassignment is asked for at 5 s, while 2 MB/s are being written.
  const w = new ClusterWorld({
    seed: 11,
    brokers: 4,
    controllers: { kind: "dedicated", count: 3 },
    topics: [
      {
        name: "t",
        partitions: 2,
        replicationFactor: 3,
        assignment: [
          [1, 2, 3],
          [2, 3, 1],
        ],
        config: { "min.insync.replicas": "2" },
      },
    ],
    recordTrace: true,
  });
  const producer = w.addProducer({
    clientId: "producer-1",
    topic: "t",
    bytesPerSec: 2_000_000,
    recordBytes: 1024,
    batchBytes: 16 * 1024,
    stopAtUs: 25 * S,
  });
  w.at(5 * S, () =>
    w.admin().call({
      op: "AlterPartitionReassignments",
      reassignments: [
        { topic: "t", partition: 0, replicas: [2, 3, 4] },
        { topic: "t", partition: 1, replicas: [2, 3, 4] },
      ],
    }),
  );
  w.runUntil(30 * S);
  const history = w.history();

  it("is accepted by the active controller", () => {
    const result = w.trace.find(
      (e) => e.type === "admin.result" && e.op === "AlterPartitionReassignments",
    );
    expect(result).toMatchObject({ error: "NONE" });
    expect((result!.results as Array<{ error: string }>).map((r) => r.error)).toEqual([
      "NONE",
      "NONE",
    ]);
  });

  it("completes: replicas [2,3,4], all of them in the ISR, broker 1 gone", () => {
    for (const partition of [0, 1]) {
      const state = w.image().partition("t", partition)!;
      expect(state.replicas).toEqual([2, 3, 4]);
      expect([...state.isr].sort()).toEqual([2, 3, 4]);
      expect(state.addingReplicas).toEqual([]);
      expect(state.removingReplicas).toEqual([]);
      expect([2, 3, 4]).toContain(state.leader);
      // Broker 1 stopped hosting the partition (its replica was deleted).
      const hosted = w.cluster.brokers
        .get(1)!
        .snapshot()
        .partitions.some((p) => p.topic === "t" && p.partition === partition);
      expect(hosted).toBe(false);
    }
    // Partition 0's leader was 1, which left: leadership moved to another replica.
    expect(w.image().partition("t", 0)!.leader).not.toBe(1);
  });

  it("finishes while the producer is still writing, and broker 4 holds the data", () => {
    // The last change of partition 0 (broker 1 removed) lands well before the producer stops.
    const changes = w.trace.filter(
      (e) => e.type === "metadata.record" && e.topic === "t" && e.partition === 0 && e.t > 5 * S,
    );
    const done = changes.find((e) => (e.replicas as number[]).join(",") === "2,3,4");
    expect(done).toBeDefined();
    expect(done!.t).toBeLessThan(25 * S);
    const final = history.final!.partitions.find((p) => p.partition === 0)!;
    const four = final.replicas.find((r) => r.broker === 4)!;
    expect(four.leo).toBe(final.hw);
    expect(four.batches.length).toBeGreaterThan(100);
  });

  it("loses no acknowledged write, and the replicas agree", () => {
    const stats = producer.stats();
    // 25 s at 2 MB/s in 16 KiB batches: 25 × 2e6 / 16384 = 3051.8 → 3052 batches made (0…3051).
    expect(stats.batchesMade).toBe(3052);
    expect(stats.acked).toBe(3052);
    const lost = checkNoLostAckedWrites(history);
    expect(lost.holds, lost.detail).toBe(true);
    expect(checkNoDivergence(history).holds).toBe(true);
    expect(checkNoDuplicates(history).holds).toBe(true);
  });
});
