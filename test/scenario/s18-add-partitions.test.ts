// scenario S18 (reference §10): adding partitions with keyed data and auto.offset.reset=latest.
// Topic t has 3 partitions; group g (one member, auto.offset.reset=latest) reads them from the
// start and auto-commits. A producer sends 100 keyed records a second (keys key-0 … key-19,
// payloads kept so that each record's value "producer-1:k" tells its send order k).
//   20 s: an admin raises t to 6 partitions · ≈21 s: the producer's metadata refresh
//   (metadata.max.age.ms=5000) sees 6; keys now map with murmur2 % 6, some to t-3..t-5 · 60 s: the
//   consumer's own refresh (metadata.max.age.ms=60000) sees 6 and the leader asks to rejoin;
//   the rebalance happens at its next poll (each 500-record batch takes 25 s at 50 ms a
//   record) · t-3..t-5 have no committed offset: reset to latest, past everything written there.
// Expected: the records written to t-3..t-5 before that reset are never consumed by g; and the
// per-key order breaks: the consumer lags on t-0..t-2 (50 ms a record), so
// it processes new records of a key (in its % 6 partition) before older ones (in its % 3 one).
// (A moved key always moves from p to p + 3, as k % 6 ≡ k % 3 mod 3. The consumer processes 20
// records a second of the 100 written, so at the rebalance its positions on t-0..t-2 are still
// among records sent before the producer's switch at ≈21 s.)
// Written with the clients directly, not as a scenario file: the test reads each record's key and
// value from the history and the logs, which a scenario run does not hand back.
import { describe, expect, it } from "vitest";
import { checkNoSkippedRecords } from "../../sim/check/checkers/index.ts";
import { KafkaConsumer } from "../../sim/client/consumer/kafka-consumer.ts";
import { defaultPartitionForKey } from "../../sim/client/partitioner.ts";
import { KafkaProducer } from "../../sim/client/producer/kafka-producer.ts";
import type { RecordBatch } from "../../sim/kafka/types.ts";
import { ClusterWorld } from "../support/cluster-world.ts";

const S = 1_000_000;

describe("scenario S18: adding partitions with keyed data and auto.offset.reset=latest", () => {
  const w = new ClusterWorld({
    seed: 18,
    brokers: 3,
    controllers: { kind: "dedicated", count: 3 },
    topics: [{ name: "t", partitions: 3, replicationFactor: 3 }],
    config: { "group.initial.rebalance.delay.ms": 0 },
    recordTrace: true,
  });
  const producer = new KafkaProducer(w.engine, w.network, {
    clientId: "producer-1",
    version: "4.1",
    config: { "metadata.max.age.ms": 5000 },
    bootstrap: [1, 2, 3],
    history: w.recorder,
    keepPayloads: true,
    workload: {
      topic: "t",
      ratePerSec: 100,
      valueBytes: 100,
      keys: { kind: "uniform", count: 20 },
      startAtUs: 1 * S,
      stopAtUs: 100 * S,
    },
  });
  const consumer = new KafkaConsumer(w.engine, w.network, {
    clientId: "c1",
    version: "4.1",
    bootstrap: [1, 2, 3],
    config: {
      "group.id": "g",
      "auto.offset.reset": "latest",
      "metadata.max.age.ms": 60_000,
      // Small fetches (about 100 records a partition) so that polls interleave the partitions
      // instead of draining one partition's whole backlog first.
      "max.partition.fetch.bytes": 16_384,
    },
    app: { processingUsPerRecord: 50_000 },
    history: w.recorder,
  });
  consumer.subscribe(["t"]);
  consumer.boot();
  w.at(1 * S, () => producer.boot());
  w.at(20 * S, () => w.admin().call({ op: "CreatePartitions", topic: "t", count: 6 }));
  w.runUntil(130 * S);
  const trace = w.trace;
  const history = w.history();
  const of = (type: string) => trace.filter((e) => e.type === type);

  /** Each partition's records from its leader's log: key and send order k, by offset. */
  const logs = new Map<number, Array<{ key: string; k: number }>>();
  for (const p of w.finalState().partitions.filter((x) => x.topic === "t")) {
    const leader = p.leader;
    if (leader === null) continue;
    const records: Array<{ key: string; k: number }> = [];
    for (const b of w.cluster.brokers.get(leader)!.logBatches("t", p.partition) as RecordBatch[]) {
      for (let i = 0; i < b.count; i++) {
        expect(records.length).toBe(b.baseOffset + i);
        records.push({ key: b.keys![i]!, k: Number(b.values![i]!.split(":")[1]) });
      }
    }
    logs.set(p.partition, records);
  }
  const resets = of("consumer.reset").filter((e) => (e.partition as number) >= 3);

  it("the producer moves keys to t-3..t-5 at its refresh; the consumer learns of them ≈40 s later", () => {
    const seen = of("producer.metadata").find((e) => String(e.leaders).includes("1,2,3,1,2,3"));
    expect(seen!.t).toBeGreaterThan(20 * S);
    expect(seen!.t).toBeLessThan(26 * S);
    const rejoin = of("consumer.rejoin-requested");
    expect(rejoin.map((e) => e.reason)).toEqual(["partitions of t changed from 3 to 6"]);
    expect(rejoin[0]!.t).toBeGreaterThanOrEqual(60 * S);
    expect(rejoin[0]!.t).toBeLessThan(61 * S);
    // Every record keeps to its key's partition: % 3 before the producer saw 6, % 6 after.
    for (const [p, records] of logs)
      for (const r of records) {
        const n = p >= 3 ? 6 : defaultPartitionForKey(r.key, 3) === p ? 3 : 6;
        expect(defaultPartitionForKey(r.key, n)).toBe(p);
      }
    expect([3, 4, 5].every((p) => (logs.get(p)?.length ?? 0) > 0)).toBe(true);
  });

  it("t-3..t-5 reset to latest after the rebalance: what was written there before is never read", () => {
    expect(resets.map((e) => [e.partition, e.from, e.why]).sort()).toEqual([
      [3, -1, "no-committed-offset:latest"],
      [4, -1, "no-committed-offset:latest"],
      [5, -1, "no-committed-offset:latest"],
    ]);
    for (const reset of resets) {
      const p = reset.partition as number;
      const to = reset.to as number;
      // The rebalance waits for the 500-record batch in hand (25 s of processing) after 60 s.
      expect(reset.t).toBeGreaterThan(60 * S);
      expect(reset.t).toBeLessThan(86 * S);
      // The reset point is the log end then: every record below it was made (record k at
      // 1 s + k × 10 ms) before the reset, and more than 30 s of that partition's share lie there.
      const records = logs.get(p)!;
      expect(to).toBeGreaterThan(100);
      for (const r of records.slice(0, to)) expect(S + r.k * 10_000).toBeLessThan(reset.t);
      expect(S + records[to]!.k * 10_000).toBeGreaterThan(reset.t - 1000);
      // Nothing below it is ever delivered; reading starts exactly there.
      const polls = history.polls.filter((x) => x.partition === p);
      expect(polls.length).toBeGreaterThan(0);
      expect(Math.min(...polls.map((x) => x.offset))).toBe(to);
    }
  });

  it("no-skipped-records names the loss: t-3..t-5 from offset 0 up to each reset point", () => {
    // The group was reading t long before t-3..t-5 were reset, so what was sent there after its
    // first delivery counts: it lies below the final commits and no member received it.
    const v = checkNoSkippedRecords(history);
    expect(v.holds).toBe(false);
    const resetTo = new Map(resets.map((r) => [r.partition as number, r.to as number]));
    // One violation per batch below the reset point (the log end then: no batch straddles it).
    let batchesBelow = 0;
    for (const [p, to] of resetTo) {
      const leader = w.finalState().partitions.find((x) => x.topic === "t" && x.partition === p)!;
      for (const b of w.cluster.brokers.get(leader.leader!)!.logBatches("t", p) as RecordBatch[])
        if (b.baseOffset < to) batchesBelow++;
    }
    expect(v.violationCount).toBe(batchesBelow);
    for (const x of v.violations) {
      expect(x.anomaly).toBe("skip");
      expect(x.offset!).toBeLessThan(resetTo.get(x.partition!)!);
    }
    expect(v.violations[0]).toMatchObject({ partition: 3, offset: 0 });
  });

  it("per-key order breaks across the change: newer records of a key are processed first", () => {
    // The processing order: the history's polls (appended as their processing completes).
    const last = new Map<string, { k: number; partition: number }>();
    const inversions = new Set<string>();
    for (const poll of history.polls) {
      const records = logs.get(poll.partition)!;
      for (let o = poll.offset; o < poll.offset + poll.count; o++) {
        const r = records[o]!;
        const before = last.get(r.key);
        if (before !== undefined && before.k > r.k) {
          // A newer record of the key, already processed, came from its new partition; this
          // older one from its old partition, three below.
          expect([before.partition, poll.partition]).toEqual([poll.partition + 3, poll.partition]);
          inversions.add(r.key);
        }
        if (before === undefined || r.k > before.k)
          last.set(r.key, { k: r.k, partition: poll.partition });
      }
    }
    // Only keys whose partition changed (% 3 ≠ % 6) can invert; at least one did.
    const moved = [...Array(20).keys()]
      .map((i) => `key-${i}`)
      .filter((k) => defaultPartitionForKey(k, 3) !== defaultPartitionForKey(k, 6));
    expect(inversions.size).toBeGreaterThan(0);
    for (const k of inversions) expect(moved).toContain(k);
  });
});
