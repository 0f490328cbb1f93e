/**
 * Random fault schedules against the brokers: process crashes, power losses, network partitions,
 * controlled shutdowns, produce with every acks setting. From 2.0 on (KIP-279 truncation), once
 * everything is healed and restarted, every ISR member must agree with the leader on every offset
 * below the HW ("no-divergence"), and no broker assertion or invariant may fire on the way. The
 * seed is in each test's name, so a failure replays.
 */
import { describe, expect, it } from "vitest";
import type { KafkaVersion } from "../../sim/kafka/version.ts";
import { BrokerHarness } from "../support/broker-harness.ts";

const S = 1_000_000;
const PARTITIONS = 6;

function runSchedule(version: KafkaVersion, seed: number): string[] {
  const assignment = Array.from({ length: PARTITIONS }, (_, p) => [
    1 + (p % 3),
    1 + ((p + 1) % 3),
    1 + ((p + 2) % 3),
  ]);
  const h = new BrokerHarness({
    version,
    seed,
    topics: [
      {
        name: "t",
        assignment,
        config: {
          "min.insync.replicas": "2",
          "unclean.leader.election.enable": seed % 2 === 1 ? "true" : "false",
          "segment.bytes": "1048576",
          "retention.bytes": "3000000",
        },
      },
    ],
  });
  const rng = h.engine.rng.stream("fuzz-schedule");
  let t = 1 * S;
  while (t < 80 * S) {
    t += rng.intBetween(10_000, 2 * S);
    const at = t;
    const r = rng.next();
    if (r < 0.6) {
      const p = rng.intBetween(0, PARTITIONS - 1);
      const acks = ([-1, 0, 1] as const)[rng.intBetween(0, 2)]!;
      const bytes = rng.intBetween(100, 200_000);
      const count = rng.intBetween(1, 5);
      h.at(at, () => {
        const leader = h.partitionState("t", p).leader;
        if (leader > 0) h.send(leader, { acks, partition: p, bytes, count });
      });
    } else if (r < 0.7) {
      const id = rng.intBetween(1, 3);
      const mode = rng.chance(0.5) ? "power" : "process";
      h.at(at, () => {
        if (h.host(id).isUp) h.crash(id, mode);
      });
      h.at(at + rng.intBetween(100_000, 20 * S), () => h.restart(id));
    } else if (r < 0.78) {
      const a = String(rng.intBetween(1, 4));
      const b = String(rng.intBetween(1, 3));
      if (a !== b) {
        h.at(at, () => h.network.partition([[a], [b]]));
        h.at(at + rng.intBetween(1 * S, 40 * S), () => h.network.heal("all"));
      }
    } else if (r < 0.8) {
      const id = rng.intBetween(1, 3);
      h.at(at, () => h.engine.schedule(0, String(id), "broker.shutdown", null));
      h.at(at + 15 * S, () => h.restart(id));
    }
  }
  h.at(90 * S, () => h.network.heal("all"));
  for (const id of [1, 2, 3]) h.at(91 * S, () => h.restart(id));
  h.runUntil(150 * S);
  const problems: string[] = [];
  for (let p = 0; p < PARTITIONS; p++) {
    const state = h.partitionState("t", p);
    if (state.leader < 0) continue;
    const hw = h.replica(state.leader, "t", p)!.hw;
    const leaderBatches = new Map(
      h
        .broker(state.leader)
        .logBatches("t", p)
        .map((b) => [b.baseOffset, `${b.origin}/${b.count}`]),
    );
    for (const id of state.isr) {
      for (const b of h.broker(id).logBatches("t", p)) {
        const theirs = leaderBatches.get(b.baseOffset);
        if (b.baseOffset < hw && theirs !== undefined && theirs !== `${b.origin}/${b.count}`) {
          problems.push(
            `t-${p}: broker ${id} differs from leader ${state.leader} at ${b.baseOffset}`,
          );
          break;
        }
      }
    }
  }
  return problems;
}

describe("replication: random faults: no divergence below the HW", () => {
  const cases: Array<[KafkaVersion, number]> = [
    ["2.0", 101],
    ["2.4", 102],
    ["3.6", 103],
    ["3.9", 104],
    ["4.1", 105],
    ["4.1", 106],
  ];
  for (const [version, seed] of cases) {
    it(`version ${version}, seed ${seed}: replicas agree below the HW after the faults heal`, () => {
      expect(runSchedule(version, seed)).toEqual([]);
    });
  }
});
