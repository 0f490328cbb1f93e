import { describe, expect, it } from "vitest";
import { Engine } from "../../sim/engine/engine.ts";
import { DISK_PROFILES, NIC_PROFILES } from "../../sim/infra/hardware.ts";
import { Host } from "../../sim/infra/host.ts";
import { Network } from "../../sim/infra/network.ts";
import { fetcherIdFor } from "../../sim/kafka/broker/fetcher.ts";
import { LogManager, segmentFileName } from "../../sim/kafka/broker/log-manager.ts";
import { BrokerMetadata } from "../../sim/kafka/broker/metadata-cache.ts";
import {
  HostedPartition,
  isCaughtUp,
  leaderHwCandidate,
  newRemote,
  outOfSyncReplicas,
  type RemoteReplica,
  resetRemote,
  shouldExpandIsr,
  updateFollowerFetchState,
} from "../../sim/kafka/broker/partition.ts";
import { abs32 } from "../../sim/kafka/broker/util.ts";
import type { NewBatch } from "../../sim/kafka/log/partition-log.ts";
import { BrokerHarness, bootstrapLog } from "../support/broker-harness.ts";

const S = 1_000_000;
const LAG = 30 * S;

function leaderOf(isr: number[], replicas = [1, 2, 3]): HostedPartition {
  const hp = new HostedPartition("t", 0, "id");
  hp.role = "leader";
  hp.leaderId = 1;
  hp.replicas = replicas;
  hp.isr = isr;
  for (const id of replicas) if (id !== 1) hp.remotes.set(id, newRemote(id));
  return hp;
}

function remote(hp: HostedPartition, id: number): RemoteReplica {
  return hp.remotes.get(id)!;
}

const input = (
  leaderLeo: number,
  extra: Partial<Parameters<typeof leaderHwCandidate>[1]> = {},
) => ({
  leaderLeo,
  nowUs: 100 * S,
  replicaLagUs: LAG,
  effectiveMinIsr: 1,
  minIsrHwGate: false,
  isEligible: () => true,
  ...extra,
});

describe("broker: partition rules (Partition.scala / Replica.scala)", () => {
  it("isCaughtUp: at the leader's LEO, or caught up within replica.lag.time.max.ms", () => {
    const r = newRemote(2);
    r.leo = 10;
    r.lastCaughtUpTimeUs = 70 * S;
    expect(isCaughtUp(r, 10, 200 * S, LAG)).toBe(true); // at the LEO, however long ago
    expect(isCaughtUp(r, 12, 100 * S, LAG)).toBe(true); // 30 s ago: still within the lag
    expect(isCaughtUp(r, 12, 100 * S + 1, LAG)).toBe(false);
  });

  it("updateFollowerFetchState: a fetch at the LEO is caught up now; at the previous LEO, as of the previous fetch", () => {
    const r = newRemote(2);
    // First fetch at 5 with the leader at 5: caught up at 10 s.
    updateFollowerFetchState(r, 5, 0, 10 * S, 5, 7);
    expect(r).toMatchObject({
      leo: 5,
      lastCaughtUpTimeUs: 10 * S,
      lastFetchLeaderLeo: 5,
      brokerEpoch: 7,
    });
    // Leader moved to 8; the follower fetches at 5 again at 11 s: it had reached the leader's LEO
    // as of its previous fetch (5 ≥ 5), so it counts as caught up at 10 s, not 11 s.
    updateFollowerFetchState(r, 5, 0, 11 * S, 8, 7);
    expect(r.lastCaughtUpTimeUs).toBe(10 * S);
    // At 12 s it fetches at 6, below the leader's LEO at its previous fetch (8): no change.
    updateFollowerFetchState(r, 6, 0, 12 * S, 8, 7);
    expect(r.lastCaughtUpTimeUs).toBe(10 * S);
    // At 13 s it fetches at 8 = the leader's LEO at the previous fetch: caught up as of 12 s.
    updateFollowerFetchState(r, 8, 0, 13 * S, 9, 7);
    expect(r.lastCaughtUpTimeUs).toBe(12 * S);
  });

  it("the HW is the smallest LEO in the ISR; followers that never fetched hold it back", () => {
    const hp = leaderOf([1, 2, 3]);
    expect(leaderHwCandidate(hp, input(10))).toBe(-1); // unknown LEOs after a leader change
    remote(hp, 2).leo = 10;
    remote(hp, 3).leo = 7;
    expect(leaderHwCandidate(hp, input(10))).toBe(7);
  });

  it("a pending expansion counts (maximal ISR); a caught-up eligible follower outside the ISR too", () => {
    const hp = leaderOf([1, 2]);
    remote(hp, 2).leo = 10;
    remote(hp, 3).leo = 6;
    // 3 is out of the ISR and not caught up (never): the HW ignores it.
    expect(leaderHwCandidate(hp, input(10))).toBe(10);
    // Caught up within the lag and eligible: the leader waits for it so it can join.
    remote(hp, 3).lastCaughtUpTimeUs = 90 * S;
    expect(leaderHwCandidate(hp, input(10))).toBe(6);
    expect(leaderHwCandidate(hp, input(10, { isEligible: (r) => r.brokerId !== 3 }))).toBe(10);
    // A pending add puts it in the maximal ISR, whatever its caught-up state.
    remote(hp, 3).lastCaughtUpTimeUs = 0;
    hp.pending = {
      kind: "expand",
      proposedIsr: [1, 2, 3],
      changed: [3],
      leaderRecoveryState: "RECOVERED",
      correlationId: 1,
    };
    expect(hp.maximalIsr()).toEqual([1, 2, 3]);
    expect(leaderHwCandidate(hp, input(10))).toBe(6);
  });

  it("3.7+: nothing moves while the ISR is smaller than min(min.insync.replicas, RF)", () => {
    const hp = leaderOf([1]);
    expect(
      leaderHwCandidate(hp, input(10, { effectiveMinIsr: 2, minIsrHwGate: true })),
    ).toBeUndefined();
    expect(leaderHwCandidate(hp, input(10, { effectiveMinIsr: 2, minIsrHwGate: false }))).toBe(10);
  });

  it("shrink picks ISR followers not caught up; nothing while a change is pending", () => {
    const hp = leaderOf([1, 2, 3]);
    remote(hp, 2).leo = 10;
    remote(hp, 3).leo = 4;
    remote(hp, 3).lastCaughtUpTimeUs = 60 * S;
    expect(outOfSyncReplicas(hp, 1, 10, 100 * S, LAG)).toEqual([3]);
    hp.pending = {
      kind: "shrink",
      proposedIsr: [1, 2],
      changed: [3],
      leaderRecoveryState: "RECOVERED",
      correlationId: 1,
    };
    expect(outOfSyncReplicas(hp, 1, 10, 100 * S, LAG)).toEqual([]);
  });

  it("expand needs LEO ≥ HW and ≥ the start of the leader's epoch, and an eligible broker", () => {
    const hp = leaderOf([1, 2]);
    hp.leaderEpochStartOffset = 8;
    const r = remote(hp, 3);
    r.leo = 7;
    expect(shouldExpandIsr(hp, r, 5, true)).toBe(false); // below the epoch start
    r.leo = 8;
    expect(shouldExpandIsr(hp, r, 9, true)).toBe(false); // below the HW
    expect(shouldExpandIsr(hp, r, 8, false)).toBe(false); // fenced
    expect(shouldExpandIsr(hp, r, 8, true)).toBe(true);
  });

  it("resetRemote: a new leader forgets follower LEOs; ISR members count as caught up now", () => {
    const r = newRemote(2);
    r.leo = 10;
    resetRemote(r, 50 * S, 12, true, true);
    expect(r).toMatchObject({ leo: -1, lastCaughtUpTimeUs: 50 * S, lastFetchTimeUs: 0 });
    const s = newRemote(3);
    s.leo = 10;
    resetRemote(s, 50 * S, 12, false, false);
    expect(s).toMatchObject({
      leo: 10,
      lastCaughtUpTimeUs: 0,
      lastFetchLeaderLeo: 12,
      lastFetchTimeUs: 0,
    });
  });

  it("fetcher ids: abs(31 * topic.hashCode + partition) % fetchers, with Kafka's abs", () => {
    // "t".hashCode() = 116; 31 * 116 + 0 = 3596; 3596 % 4 = 0, + 1 → 1, + 2 → 2.
    expect(fetcherIdFor("t", 0, 4)).toBe(0);
    expect(fetcherIdFor("t", 1, 4)).toBe(1);
    expect(fetcherIdFor("t", 2, 4)).toBe(2);
    expect(abs32(-2147483648)).toBe(0);
    expect(abs32(-5)).toBe(5);
  });
});

function hostFixture() {
  const engine = new Engine({ seed: 1 });
  const network = new Network(engine, { defaultLatencyUs: 100, jitterUs: 0 });
  const host = new Host(engine, network, {
    name: "b",
    disks: [DISK_PROFILES.ssd],
    nic: NIC_PROFILES["10GbE"],
    memoryBytes: 64 * 1024 * 1024,
    cores: 2,
  });
  return { engine, host, logs: new LogManager(host, ["/d"]) };
}

function batch(bytes: number): NewBatch {
  return {
    count: 1,
    bytes,
    firstTimestampUs: 0,
    maxTimestampUs: 0,
    producerId: -1,
    producerEpoch: -1,
    baseSequence: -1,
    isTransactional: false,
    isControl: false,
  };
}

describe("broker: log manager (files, durability, recovery)", () => {
  it("appends write each batch after the previous one in the segment file", () => {
    const { host, logs } = hostFixture();
    const ml = logs.create("t", 0, {}, 0)!;
    for (const bytes of [100, 200, 300]) logs.appendAsLeader(ml, batch(bytes), 0, 0);
    const file = `/d/t-0/${segmentFileName(0)}`;
    expect(file).toBe("/d/t-0/00000000000000000000.log");
    // 600 bytes written from byte 0: one dirty 4 KiB page.
    expect(host.dirtyRanges(file)).toEqual([{ file, offsetBytes: 0, lengthBytes: 4096 }]);
    expect(logs.flushedOffset(ml)).toBe(0);
    logs.flush(ml, 0);
    expect(host.dirtyRanges(file)).toEqual([]);
    expect(logs.flushedOffset(ml)).toBe(3);
  });

  it("bytes on disk in a page that a later append dirties again still count as flushed", () => {
    const { host, logs } = hostFixture();
    const ml = logs.create("t", 0, {}, 0)!;
    for (const bytes of [100, 200, 300]) logs.appendAsLeader(ml, batch(bytes), 0, 0);
    logs.flush(ml, 0);
    logs.appendAsLeader(ml, batch(50), 0, 0); // bytes 600..650, page 0 dirty again
    // The page cache says page 0 is dirty from byte 0, but bytes 0..600 are on disk: offset 3.
    expect(logs.flushedOffset(ml)).toBe(3);
    host.crash("power");
    const out = logs.recoverAfterPowerLoss(ml)!;
    expect(out).toMatchObject({ from: 4, to: 3, lostRecords: 1 });
    expect(ml.log.logEndOffset).toBe(3);
  });

  it("a truncation keeps the positions of the kept batches; the next append goes after them", () => {
    const { host, logs } = hostFixture();
    const ml = logs.create("t", 0, {}, 0)!;
    for (const bytes of [5000, 5000, 5000]) logs.appendAsLeader(ml, batch(bytes), 0, 0);
    logs.flush(ml, 0);
    logs.truncateTo(ml, 1);
    logs.appendAsLeader(ml, batch(100), 0, 0); // at byte 5000, in page 1
    const file = `/d/t-0/${segmentFileName(0)}`;
    expect(host.dirtyRanges(file)).toEqual([{ file, offsetBytes: 4096, lengthBytes: 4096 }]);
    // Bytes 4096..5000 of page 1 were on disk (batch 0) before the append dirtied the page.
    expect(logs.flushedOffset(ml)).toBe(1);
  });
});

describe("broker: metadata cache", () => {
  it("applies only entries below the high watermark and reports the partitions they touch", () => {
    const log = bootstrapLog([1, 2], [{ name: "t", assignment: [[1, 2]] }]);
    const md = new BrokerMetadata(log.slice(0, 4), 4);
    expect(md.image.brokers.size).toBe(2);
    expect(md.image.topicByName("t")).toBeUndefined();
    md.append(log.slice(4));
    md.setHighWatermark(5); // the TopicRecord only
    let delta = md.applyCommitted();
    expect(delta.applied).toBe(1);
    expect(md.image.topicByName("t")?.partitions).toEqual([]);
    md.setHighWatermark(log.length);
    delta = md.applyCommitted();
    expect(delta.partitions).toEqual([{ topic: "t", partition: 0 }]);
    expect(md.caughtUp).toBe(true);
    expect(md.appliedOffset).toBe(log.length - 1);
    expect(() => md.truncate(2)).toThrow(/below the applied offset/);
  });
});

describe("broker: determinism", () => {
  function hash(seed: number): string {
    const h = new BrokerHarness({ seed, topics: [{ name: "t", assignment: [[1, 2, 3]] }] });
    for (let i = 0; i < 20; i++) h.at(1 * S + i * 100_000, () => h.send(1, { acks: -1 }));
    h.at(2 * S, () => h.crash(2, "power"));
    h.at(20 * S, () => h.restart(2));
    h.runUntil(40 * S);
    return h.engine.trace.hash();
  }

  it("the same seed gives the same trace hash; another seed staggers the brokers differently", () => {
    expect(hash(7)).toBe(hash(7));
    expect(hash(7)).not.toBe(hash(8));
  });
});
