// clients: producer: the console-producer lesson: the values 1..8 typed one by one (no key, a
// couple of seconds apart, so each goes out in a batch of its own) into an 8-partition topic. The
// producer's version decides the keyless partitioner: round robin before 2.4 and KIP-480's sticky
// partitioner (a new partition for every new batch) up to 3.2 spread the values over the
// partitions; KIP-794's uniform sticky partitioner (3.3+) keeps them on one partition until
// batch.size bytes have gone there (8 batches of 61 + 9 bytes are far from 16384).
import { describe, expect, it } from "vitest";
import { KafkaProducer } from "../../sim/client/producer/kafka-producer.ts";
import type { KafkaVersion } from "../../sim/kafka/version.ts";
import { ClusterWorld } from "../support/cluster-world.ts";

const S = 1_000_000;

/** Partition → values in log order, read through broker.logBatches. */
function lesson(version: KafkaVersion): Map<number, string[]> {
  const w = new ClusterWorld({
    seed: 42,
    brokers: 1,
    controllers: { kind: "combined" },
    topics: [
      { name: "lesson", partitions: 8, replicationFactor: 1, assignment: Array(8).fill([1]) },
    ],
  });
  const p = new KafkaProducer(w.engine, w.network, {
    clientId: "console-producer",
    version,
    // kafka-console-producer's --timeout (linger.ms) default is 1000 ms; acks=1 as its default.
    config: { "linger.ms": 1000, acks: "1" },
    bootstrap: [1],
    keepPayloads: true,
  });
  p.boot();
  for (let v = 1; v <= 8; v++) w.at(2 * v * S, () => p.send({ topic: "lesson", value: String(v) }));
  w.runUntil(20 * S);
  const broker = w.cluster.brokers.get(1)!;
  const out = new Map<number, string[]>();
  for (let partition = 0; partition < 8; partition++) {
    const values: string[] = [];
    for (const b of broker.logBatches("lesson", partition)) {
      for (const value of b.values ?? []) values.push(String(value));
    }
    if (values.length > 0) out.set(partition, values);
  }
  return out;
}

function total(m: Map<number, string[]>): string[] {
  return [...m.values()].flat().sort((a, b) => Number(a) - Number(b));
}

describe("clients: producer: console-producer lesson", () => {
  it("3.3+ (KIP-794): all eight values stay on one partition, in order", () => {
    for (const version of ["3.3", "4.1"] as const) {
      const m = lesson(version);
      expect(m.size).toBe(1);
      expect([...m.values()][0]).toEqual(["1", "2", "3", "4", "5", "6", "7", "8"]);
    }
  });

  it("2.4–3.2 (KIP-480): every new batch moves to another partition; order holds within each", () => {
    const m = lesson("2.8");
    expect(total(m)).toEqual(["1", "2", "3", "4", "5", "6", "7", "8"]);
    expect(m.size).toBeGreaterThan(1);
    const partitionOf = new Map<string, number>();
    for (const [p, values] of m) {
      for (const v of values) partitionOf.set(v, p);
      // Within a partition, the values come back in the order they were typed.
      expect(values.map(Number)).toEqual([...values.map(Number)].sort((a, b) => a - b));
    }
    // KIP-480 draws a partition different from the previous one for each new batch.
    for (let v = 2; v <= 8; v++) {
      expect(partitionOf.get(String(v))).not.toBe(partitionOf.get(String(v - 1)));
    }
  });

  it("before 2.4 (round robin): one value per partition, in partition order from a random start", () => {
    const m = lesson("2.3");
    expect(m.size).toBe(8);
    const first = [...m].find(([, values]) => values[0] === "1")![0];
    for (let v = 1; v <= 8; v++) {
      expect(m.get((first + v - 1) % 8)).toEqual([String(v)]);
    }
  });
});
