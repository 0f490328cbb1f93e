// replication S5/S7/S8 (kafka-reference §10), end to end through the real cluster: acks=all only
// protects what the ISR holds. S5: min.insync.replicas=1 lets the leader alone acknowledge after
// the ISR shrinks to it, and losing it leaves the partition offline (min ISR 2 acknowledges
// nothing instead). S7: an unclean election loses acknowledged writes, which the checker names
// with the truncated offsets; with unclean off the partition waits offline and loses nothing. S8:
// the last ISR member loses power with a committed, unflushed suffix; without ELR its re-election
// loses that suffix everywhere, with ELR (4.1) an ELR member is elected and nothing is lost.
//
// Each world: brokers plus three dedicated KRaft controllers (the quorum stays out of the fault),
// one partition with fixed replicas, one synthetic producer (acks=all, 16 KiB batches of 1 KiB
// records at 100 kB/s, so a batch every ~164 ms). Seeds are fixed; runs are deterministic.
import { describe, expect, it } from "vitest";
import { checkNoDivergence, checkNoLostAckedWrites } from "../../sim/check/checkers/index.ts";
import type { History } from "../../sim/check/history.ts";
import type { TraceEvent } from "../../sim/engine/trace.ts";
import type { KafkaVersion } from "../../sim/kafka/version.ts";
import { ClusterWorld } from "../support/cluster-world.ts";

const S = 1_000_000;

interface WorldSpec {
  readonly seed: number;
  readonly version: KafkaVersion;
  readonly brokers: number;
  readonly replicas: readonly number[];
  readonly topicConfig: Readonly<Record<string, string>>;
  readonly stopAtUs: number;
  /** Producer timeouts: request.timeout.ms, delivery.timeout.ms. */
  readonly timeoutsMs: readonly [number, number];
}

function world(spec: WorldSpec): ClusterWorld {
  const w = new ClusterWorld({
    seed: spec.seed,
    version: spec.version,
    brokers: spec.brokers,
    controllers: { kind: "dedicated", count: 3 },
    topics: [
      {
        name: "t",
        partitions: 1,
        replicationFactor: spec.replicas.length,
        assignment: [spec.replicas],
        config: spec.topicConfig,
      },
    ],
    recordTrace: true,
  });
  w.addProducer({
    clientId: "producer-1",
    topic: "t",
    bytesPerSec: 100_000,
    recordBytes: 1024,
    batchBytes: 16 * 1024,
    stopAtUs: spec.stopAtUs,
    config: {
      acks: -1,
      "request.timeout.ms": spec.timeoutsMs[0],
      "delivery.timeout.ms": spec.timeoutsMs[1],
    },
  });
  return w;
}

/** The partition's state in the active controller's image. */
function partitionOf(w: ClusterWorld) {
  const state = w.image().partition("t", 0);
  if (state === undefined) throw new Error("no partition t-0 in the image");
  return { leader: state.leader, isr: [...state.isr], elr: [...state.elr] };
}

/** The controller's PartitionChangeRecords for t-0, in commit order. */
function changes(w: ClusterWorld): TraceEvent[] {
  return w.trace.filter(
    (e) => e.type === "metadata.record" && e.record === "PartitionChangeRecord" && e.topic === "t",
  );
}

function ackedAfter(history: History, atUs: number) {
  return history.outcomes.filter((o) => o.outcome === "acked" && o.atUs > atUs);
}

function sentAtOf(history: History): Map<string, number> {
  return new Map(history.sends.map((s) => [s.sendId, s.sentAtUs]));
}

describe("S5: acks=all, min.insync.replicas=1: the ISR shrinks to the leader, then it is lost", () => {
  // Brokers 2 and 3 lose the leader (not the controllers: they stay registered, so only the
  // follower lag check can remove them) at 5 s; the leader loses power for good at 62 s.
  const CUT_US = 5 * S;
  const POWER_OFF_US = 62 * S;
  function run(version: KafkaVersion, minIsr: string) {
    const w = world({
      seed: 5,
      version,
      brokers: 3,
      replicas: [1, 2, 3],
      topicConfig: { "min.insync.replicas": minIsr, "unclean.leader.election.enable": "false" },
      stopAtUs: 60 * S,
      timeoutsMs: [10_000, 30_000],
    });
    w.at(CUT_US, () => w.network.partition([["1"], ["2", "3"]]));
    w.crashAt(POWER_OFF_US, 1, "power");
    w.runUntil(POWER_OFF_US - 1);
    const beforeLoss = {
      state: partitionOf(w),
      leo2: w.cluster.brokers.get(2)!.snapshot().partitions[0]!.leo,
      leo3: w.cluster.brokers.get(3)!.snapshot().partitions[0]!.leo,
    };
    w.runUntil(80 * S);
    const shrink = changes(w).find((e) => (e.isr as number[]).join(",") === "1");
    return { w, beforeLoss, shrink, history: w.recorder.history(w.engine.now) };
  }

  const one = run("3.6", "1");

  it("the ISR shrinks to {1} by the lag check, 30-45 s after the followers stop fetching", () => {
    // replica.lag.time.max.ms = 30 s, checked every 15 s: removal between 30 and 45 s after the cut.
    expect(one.shrink).toBeDefined();
    expect(one.shrink!.t - CUT_US).toBeGreaterThanOrEqual(30 * S);
    expect(one.shrink!.t - CUT_US).toBeLessThanOrEqual(45 * S);
    expect(one.shrink!.leader).toBe(1);
  });

  it("writes sent after the shrink are acknowledged by broker 1 alone; 2 and 3 do not have them", () => {
    const shrinkUs = one.shrink!.t;
    const sentAt = sentAtOf(one.history);
    const late = ackedAfter(one.history, shrinkUs).filter((o) => sentAt.get(o.sendId)! > shrinkUs);
    // 45-60 s at one batch every ~164 ms: about 90 batches.
    expect(late.length).toBeGreaterThan(50);
    expect(late.every((o) => o.by === 1 && o.acks === "all")).toBe(true);
    const firstLateOffset = Math.min(...late.map((o) => o.offset!));
    // The only copies are on broker 1: an unclean election of 2 or 3 would lose them.
    expect(one.beforeLoss.leo2).toBeLessThanOrEqual(firstLateOffset);
    expect(one.beforeLoss.leo3).toBeLessThanOrEqual(firstLateOffset);
    expect(one.beforeLoss.state).toEqual({ leader: 1, isr: [1], elr: [] });
  });

  it("broker 1 lost for good: the partition is offline, leader none, ISR [1] (3.6, no ELR)", () => {
    expect(partitionOf(one.w)).toEqual({ leader: -1, isr: [1], elr: [] });
    expect(ackedAfter(one.history, POWER_OFF_US)).toEqual([]);
  });

  it("4.1 (ELR on by default): offline too, but KIP-966 moves 1 from the ISR to the ELR", () => {
    // The reference's "ISR {1}" is the pre-ELR picture; with ELR the last ISR member fenced leaves
    // an empty ISR and ELR {1} (ISR 0 < min ISR 1). Still no leader while 1 is away.
    const elr = run("4.1", "1");
    expect(partitionOf(elr.w)).toEqual({ leader: -1, isr: [], elr: [1] });
    expect(ackedAfter(elr.history, elr.shrink!.t).length).toBeGreaterThan(50);
  });

  it("min.insync.replicas=2: nothing sent after the cut is acknowledged (NOT_ENOUGH_REPLICAS)", () => {
    const two = run("3.6", "2");
    const sentAt = sentAtOf(two.history);
    const afterCut = two.history.outcomes.filter((o) => sentAt.get(o.sendId)! >= CUT_US);
    expect(afterCut.length).toBeGreaterThan(100);
    expect(afterCut.filter((o) => o.outcome === "acked")).toEqual([]);
    expect(afterCut.every((o) => o.outcome === "failed" || o.outcome === "unknown")).toBe(true);
    const shrinkUs = changes(two.w).find((e) => (e.isr as number[]).join(",") === "1")!.t;
    expect(
      afterCut.some(
        (o) => o.outcome === "failed" && o.error === "NOT_ENOUGH_REPLICAS" && o.atUs > shrinkUs,
      ),
    ).toBe(true);
    // Before the cut writes were acknowledged: the contrast is not vacuous.
    expect(two.history.outcomes.filter((o) => o.outcome === "acked").length).toBeGreaterThan(20);
  });
});

describe("S7: unclean leader election loses acknowledged writes", () => {
  // RF 2 [1,2], min ISR 1. 2 crashes at 5 s (fenced ~9 s later: ISR {1}); 1 crashes at 20 s; 2
  // restarts at 25 s; 1 restarts at 40 s; the producer writes until 45 s.
  function run(unclean: boolean) {
    const w = world({
      seed: 7,
      version: "3.6",
      brokers: 2,
      replicas: [1, 2],
      topicConfig: {
        "min.insync.replicas": "1",
        "unclean.leader.election.enable": String(unclean),
      },
      stopAtUs: 45 * S,
      // Long enough to outlast the outage: batches wait for a leader instead of expiring.
      timeoutsMs: [5_000, 120_000],
    });
    w.crashAt(5 * S, 2, "process");
    w.crashAt(20 * S, 1, "process");
    w.restartAt(25 * S, 2);
    w.restartAt(40 * S, 1);
    const at: Record<string, ReturnType<typeof partitionOf>> = {};
    for (const t of [19, 30, 39]) {
      w.runUntil(t * S);
      at[t] = partitionOf(w);
    }
    w.runUntil(60 * S);
    return { w, at, history: w.history() };
  }

  describe("unclean.leader.election.enable=true", () => {
    const { w, at, history } = run(true);

    it("2 down: ISR {1}, writes acknowledged by 1 alone", () => {
      expect(at[19]).toEqual({ leader: 1, isr: [1], elr: [] });
      const byOne = history.outcomes.filter(
        (o) => o.outcome === "acked" && o.by === 1 && o.atUs > 14 * S && o.atUs < 20 * S,
      );
      expect(byOne.length).toBeGreaterThan(20);
    });

    it("2 returns while 1 is down: elected uncleanly (leader 2, ISR [2]), and writes continue", () => {
      expect(at[30]).toEqual({ leader: 2, isr: [2], elr: [] });
      const election = history.leaderChanges.find((c) => c.leader === 2);
      expect(election).toMatchObject({ unclean: true, leaderEpoch: 1 });
      // KIP-704: an unclean leader starts in RECOVERING.
      const record = changes(w).find((e) => e.leader === 2);
      expect(record!.leaderRecoveryState).toBe("RECOVERING");
      expect(ackedAfter(history, election!.atUs).filter((o) => o.by === 2).length).toBeGreaterThan(
        50,
      );
    });

    it("1 returns and truncates: no-lost-acked-writes fails, naming the truncated offsets", () => {
      const cut = history.truncations.find((t) => t.broker === 1 && t.why === "diverging");
      expect(cut).toBeDefined();
      const verdict = checkNoLostAckedWrites(history);
      expect(verdict.holds).toBe(false);
      expect(verdict.violations.length).toBeGreaterThan(20);
      for (const v of verdict.violations) {
        expect(v.anomaly).toBe("lost write");
        expect(v.offset).toBeGreaterThanOrEqual(cut!.toOffset);
        expect(v.offset).toBeLessThan(cut!.fromOffset);
        expect(v.message).toContain(`offset ${v.offset} on t-0, acknowledged by broker 1`);
        expect(v.message).toContain("truncated when broker 1 rejoined as follower of epoch 1");
        expect(v.message).toContain("(unclean election)");
      }
      // The replicas agree again (on broker 2's history): a loss, not a divergence.
      expect(checkNoDivergence(history).holds).toBe(true);
    });
  });

  describe("unclean.leader.election.enable=false", () => {
    const { at, history } = run(false);

    it("2 returning does not lead: offline (leader none, ISR [1]) until 1 returns; nothing lost", () => {
      expect(at[39]).toEqual({ leader: -1, isr: [1], elr: [] });
      expect(history.leaderChanges.some((c) => c.unclean)).toBe(false);
      expect(history.leaderChanges.filter((c) => c.atUs > 0).map((c) => c.leader)).toEqual([1]);
      expect(history.leaderChanges.at(-1)!.atUs).toBeGreaterThan(40 * S);
      const verdict = checkNoLostAckedWrites(history);
      expect(verdict.holds, verdict.detail).toBe(true);
      // Writes were acknowledged before the outage and after 1's return (the check is not vacuous).
      // 20 s at ~6 batches/s: over 100 batches before 1 crashes.
      expect(
        history.outcomes.filter((o) => o.outcome === "acked" && o.atUs < 20 * S).length,
      ).toBeGreaterThan(100);
      expect(ackedAfter(history, 40 * S).length).toBeGreaterThan(100);
    });
  });
});

describe("S8: the last ISR member loses power with a committed unflushed suffix (KIP-966)", () => {
  // RF 3 [1,2,3], min ISR 2. Broker 2 is isolated at 40 s (fenced: ISR {1,3}), broker 3 at 55 s
  // (ISR {1}); leader 1 loses power at 68 s, losing what the OS had not written back (about the
  // last 30 s, which includes writes committed while the ISR was {1,3}); the network heals at
  // 75 s; 1 restarts at 85 s.
  function run(version: KafkaVersion) {
    const w = world({
      seed: 8,
      version,
      brokers: 3,
      replicas: [1, 2, 3],
      topicConfig: { "min.insync.replicas": "2" },
      stopAtUs: 95 * S,
      timeoutsMs: [5_000, 120_000],
    });
    w.at(40 * S, () => w.network.isolate("2"));
    w.at(55 * S, () => w.network.isolate("3"));
    w.crashAt(68 * S, 1, "power");
    w.at(75 * S, () => w.network.heal("all"));
    w.restartAt(85 * S, 1);
    const at: Record<string, ReturnType<typeof partitionOf>> = {};
    for (const t of [67, 75.5, 84]) {
      w.runUntil(t * S);
      at[t] = partitionOf(w);
    }
    w.runUntil(120 * S);
    const history = w.history();
    const powerLoss = history.truncations.find((t) => t.broker === 1 && t.why === "power-loss");
    // Acknowledged writes in broker 1's lost suffix: committed data only broker 1's disk missed.
    const committedLost = history.outcomes.filter(
      (o) =>
        o.outcome === "acked" &&
        powerLoss !== undefined &&
        o.offset! >= powerLoss.toOffset &&
        o.offset! < powerLoss.fromOffset &&
        o.atUs < 68 * S,
    );
    return { w, at, history, powerLoss, committedLost };
  }

  it("without ELR (3.6): 1 is re-elected with its short log and committed writes are lost", () => {
    const r = run("3.6");
    expect(r.at[67]).toEqual({ leader: 1, isr: [1], elr: [] });
    expect(r.committedLost.length).toBeGreaterThan(20);
    // Offline while 1 is down, though 2 and 3 are back after the heal.
    expect(r.at[75.5]).toEqual({ leader: -1, isr: [1], elr: [] });
    expect(r.at[84]).toEqual({ leader: -1, isr: [1], elr: [] });
    expect(r.history.leaderChanges.at(-1)).toMatchObject({ leader: 1, unclean: false });
    const verdict = checkNoLostAckedWrites(r.history);
    expect(verdict.holds).toBe(false);
    // Exactly the acknowledged writes in broker 1's lost suffix are lost (the list is capped at
    // 100; violationCount counts them all).
    const suffixIds = new Set(r.committedLost.map((o) => o.sendId));
    expect(verdict.violationCount).toBe(r.committedLost.length);
    expect(verdict.violations.every((v) => suffixIds.has(v.sendId!))).toBe(true);
    expect(verdict.violations[0]!.message).toContain("unflushed log in a power failure");
    // 3 and 2 truncate to broker 1's recovered log end.
    for (const b of [2, 3])
      expect(
        r.history.truncations.find((t) => t.broker === b && t.why === "diverging")?.toOffset,
      ).toBe(r.powerLoss!.toOffset);
  });

  it("with ELR (4.1 default): ISR empty, ELR {1,3}; 3 is elected and nothing committed is lost", () => {
    const r = run("4.1");
    expect(r.at[67]).toEqual({ leader: 1, isr: [1], elr: [3] });
    // When 1 is fenced (75 s) the ISR empties and the ELR holds {1,3}: no leader for a moment.
    expect(r.at[75.5]).toEqual({ leader: -1, isr: [], elr: [1, 3] });
    // Elected from the ELR while broker 1 is still down, cleanly.
    expect(r.at[84]!.leader).toBe(3);
    expect(r.history.leaderChanges.at(-1)).toMatchObject({ leader: 3, unclean: false });
    // The same committed suffix was lost from broker 1's disk, yet every acknowledged write stays.
    expect(r.committedLost.length).toBeGreaterThan(20);
    const verdict = checkNoLostAckedWrites(r.history);
    expect(verdict.holds, verdict.detail).toBe(true);
    expect(checkNoDivergence(r.history).holds).toBe(true);
  });
});
