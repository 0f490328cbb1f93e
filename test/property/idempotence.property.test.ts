/**
 * clients: idempotent producer: with enable.idempotence=true (acks=all, max.in.flight 5), no batch
 * is written twice and no partition's log holds a producer's batches out of their send order,
 * whatever single broker crashes (process crash or power loss), whenever, for however long.
 *
 * The cluster: three brokers running "4.1", three dedicated KRaft controllers, one topic `t` with
 * 3 partitions, RF 3, min.insync.replicas 2; the real producer (KafkaProducer) with a workload of
 * 2000 keyless records a second of 512 bytes, for 30 virtual seconds. fast-check picks the broker,
 * the crash time, the crash mode and the downtime. At the end every replica has caught up; the
 * committed log of each partition's leader is read: each batch origin (the producer's batch send
 * id, numbered in the order batches were made) appears once (no-duplicates) and in increasing
 * order along the log.
 *
 * The opposite, deterministic: the same schedule without idempotence and with request timeouts
 * shorter than the failover writes duplicates (the S9 mechanism), so the check can fail.
 *
 * The fast-check seed is fixed and printed; FC_SEED=<n> and FC_RUNS=<n> explore further.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkNoDuplicates, checkNoLostAckedWrites } from "../../sim/check/checkers/index.ts";
import { sendSeq } from "../../sim/check/history.ts";
import { KafkaProducer } from "../../sim/client/producer/kafka-producer.ts";
import type { CrashMode } from "../../sim/infra/host.ts";
import { ClusterWorld } from "../support/cluster-world.ts";

const SEED = Number(process.env.FC_SEED ?? 20_261_122);
const NUM_RUNS = Number(process.env.FC_RUNS ?? 8);
console.log(`idempotence.property: fast-check seed=${SEED} numRuns=${NUM_RUNS}`);

const S = 1_000_000;
const PRODUCE_UNTIL_US = 30 * S;
const LAST_RESTART_US = 40 * S;
const END_US = 70 * S;

interface Fault {
  readonly broker: number;
  readonly crashAtUs: number;
  readonly mode: CrashMode;
  readonly downForUs: number;
  readonly simSeed: number;
}

const faultArb: fc.Arbitrary<Fault> = fc.record({
  broker: fc.integer({ min: 1, max: 3 }),
  crashAtUs: fc.integer({ min: 1 * S, max: PRODUCE_UNTIL_US }),
  mode: fc.constantFrom<CrashMode>("process", "power"),
  downForUs: fc.integer({ min: 1_000, max: 20 * S }),
  simSeed: fc.integer({ min: 1, max: 1_000_000 }),
});

function run(f: Fault, config: Record<string, unknown>) {
  const w = new ClusterWorld({
    seed: f.simSeed,
    brokers: 3,
    controllers: { kind: "dedicated", count: 3 },
    topics: [
      { name: "t", partitions: 3, replicationFactor: 3, config: { "min.insync.replicas": "2" } },
    ],
  });
  const producer = new KafkaProducer(w.engine, w.network, {
    clientId: "producer-1",
    version: "4.1",
    config,
    bootstrap: [1, 2, 3],
    history: w.recorder,
    trackRecords: false,
    workload: { topic: "t", ratePerSec: 2000, valueBytes: 512, stopAtUs: PRODUCE_UNTIL_US },
  });
  producer.boot();
  w.crashAt(f.crashAtUs, f.broker, f.mode);
  w.restartAt(Math.min(f.crashAtUs + f.downForUs, LAST_RESTART_US), f.broker);
  w.runUntil(END_US);
  const history = w.history();
  // Batch numbers along each partition's committed log must rise: a producer makes a
  // partition's batches in send order.
  const reorders: string[] = [];
  for (const p of history.final!.partitions) {
    const leader = p.replicas.find((r) => r.broker === p.leader) ?? p.replicas[0]!;
    let last = -1;
    for (const b of leader.batches) {
      if (b.baseOffset >= p.hw || b.origin === undefined) continue;
      const seq = sendSeq({ sendId: b.origin, client: "producer-1" });
      if (seq <= last)
        reorders.push(`t-${p.partition}: batch ${seq} after ${last} at ${b.baseOffset}`);
      last = Math.max(last, seq);
    }
  }
  return {
    stats: producer.stats(),
    duplicates: checkNoDuplicates(history),
    lost: checkNoLostAckedWrites(history),
    reorders,
  };
}

describe("clients: idempotent producer under a single broker crash", () => {
  it(`no duplicate, no reordering, no lost acknowledged write (fc seed ${SEED})`, () => {
    let retried = 0;
    fc.assert(
      fc.property(faultArb, (f) => {
        const r = run(f, { "enable.idempotence": true });
        expect(r.stats.acked).toBeGreaterThan(100);
        expect(r.duplicates.holds, r.duplicates.detail).toBe(true);
        expect(r.reorders).toEqual([]);
        expect(r.lost.holds, r.lost.detail).toBe(true);
        retried += r.stats.retries;
      }),
      { seed: SEED, numRuns: NUM_RUNS },
    );
    // The crashes did make the producer retry (the property is not vacuous).
    expect(retried).toBeGreaterThan(0);
    console.log(`idempotence.property: ${retried} retries over ${NUM_RUNS} runs`);
  });

  it("without idempotence, a leader crash with short request timeouts can duplicate (S9)", () => {
    // Leader of some partition crashes mid-stream; requests time out (2 s) before the failover
    // (9 s), retries land on the new leader while the old one's appended batches survive there.
    let found = false;
    for (const broker of [1, 2, 3]) {
      if (found) break;
      const r = run(
        { broker, crashAtUs: 10 * S, mode: "process", downForUs: 15 * S, simSeed: 5 },
        { "enable.idempotence": false, "request.timeout.ms": 2000, "delivery.timeout.ms": 60000 },
      );
      if (!r.duplicates.holds) found = true;
    }
    expect(found).toBe(true);
  });
});
