/**
 * Properties of the KRaft quorum under crashes and partitions of its voters, on the real engine
 * and network with three dedicated controllers and fake brokers:
 * - at most one leader per epoch, ever (the harness checks it after every event);
 * - after the active controller crashes, a new one is elected within a few election timeouts;
 * - whatever was acknowledged (committed) survives every later failover;
 * - once the faults end, all voters converge on one leader and identical logs and images.
 *
 * The fast-check seed is fixed (so CI is reproducible) and printed; set FC_SEED=<n> to explore
 * other seeds and FC_RUNS=<n> for more runs. A failure prints the seed and the shrunk schedule.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  activeControllers,
  buildControllerCluster,
  type ControllerCluster,
  crashNode,
  eventsOf,
  restartNode,
  runUntil,
} from "../support/kafka-controller-harness.ts";

const SEED = Number(process.env.FC_SEED ?? 20_251_122);
const NUM_RUNS = Number(process.env.FC_RUNS ?? 30);
console.log(`raft.property: fast-check seed=${SEED} numRuns=${NUM_RUNS}`);

const SECOND = 1_000_000;
/** 2 s fetch timeout + two election rounds (≤ 2 s timeout + ≤ 1 s backoff each) + slack. */
const FAILOVER_BOUND_US = 10 * SECOND;

function createTopic(cluster: ControllerCluster, name: string): number | undefined {
  const active = activeControllers(cluster);
  if (active.length !== 1) return undefined;
  return cluster.admin.send(active[0]!, {
    op: "CreateTopics",
    topics: [{ name, numPartitions: 1, replicationFactor: 3, configs: {} }],
  });
}

/** Topics whose creation was acknowledged: committed, so they must never disappear. */
function acknowledged(cluster: ControllerCluster, requests: Map<number, string>): string[] {
  const names: string[] = [];
  for (const [id, name] of requests) {
    const response = cluster.admin.responses.get(id);
    if (response?.error === "NONE" && response.results[0]?.error === "NONE") names.push(name);
  }
  return names.sort();
}

/** Everything restarted and healed: one leader, and every voter holds the same log and image. */
function expectConverged(cluster: ControllerCluster, acked: readonly string[]): void {
  runUntil(
    cluster,
    () => {
      const active = activeControllers(cluster);
      if (active.length !== 1) return false;
      const leader = cluster.controllers.get(active[0]!)!.role.raftSnapshot();
      return cluster.voters.every((id) => {
        const raft = cluster.controllers.get(id)!.role.raftSnapshot();
        return raft.epoch === leader.epoch && raft.highWatermark === leader.logEndOffset;
      });
    },
    60 * SECOND,
  );
  const [leaderId] = activeControllers(cluster);
  const leaderLog = cluster.controllers.get(leaderId!)!.role.logEntries();
  const leaderImage = cluster.controllers.get(leaderId!)!.role.committedImage();
  for (const id of cluster.voters) {
    const role = cluster.controllers.get(id)!.role;
    expect(role.logEntries()).toEqual(leaderLog);
    const image = role.committedImage();
    expect(image.sortedTopicNames()).toEqual(leaderImage.sortedTopicNames());
    for (const name of image.sortedTopicNames()) {
      expect(image.topicByName(name)).toEqual(leaderImage.topicByName(name));
    }
  }
  const names = leaderImage.sortedTopicNames();
  for (const name of acked) expect(names).toContain(name);
}

describe("kafka: raft: crash of the active controller (property)", () => {
  it(`elects one new leader in time and keeps every acknowledged write (seed ${SEED})`, () => {
    const scenario = fc.record({
      engineSeed: fc.integer({ min: 1, max: 1_000_000 }),
      crashAtUs: fc.integer({ min: 1, max: 6 * SECOND }),
      mode: fc.constantFrom("process" as const, "power" as const),
      writesBefore: fc.integer({ min: 0, max: 3 }),
      writesAfter: fc.integer({ min: 0, max: 2 }),
      downForUs: fc.integer({ min: 0, max: 15 * SECOND }),
    });
    fc.assert(
      fc.property(scenario, (s) => {
        const cluster = buildControllerCluster({
          seed: s.engineSeed,
          topics: [{ name: "t", assignment: [[1, 2, 3]] }],
        });
        const requests = new Map<number, string>();
        // Writes spread over the time before the crash; some may still be in flight at it.
        for (let i = 0; i < s.writesBefore; i++) {
          cluster.engine.runUntil(Math.floor((s.crashAtUs * (i + 1)) / (s.writesBefore + 1)));
          const id = createTopic(cluster, `before-${i}`);
          if (id !== undefined) requests.set(id, `before-${i}`);
        }
        cluster.engine.runUntil(s.crashAtUs);
        const [victim] = activeControllers(cluster);
        expect(victim).toBeDefined();
        const epochBefore = cluster.controllers.get(victim!)!.role.raftSnapshot().epoch;
        crashNode(cluster, victim!, s.mode);
        const crashedAt = cluster.engine.now;
        runUntil(cluster, () => activeControllers(cluster).length === 1, FAILOVER_BOUND_US);
        const elected = eventsOf(cluster, "raft.leader").at(-1)!;
        expect(elected.epoch as number).toBeGreaterThan(epochBefore);
        expect(elected.t - crashedAt).toBeLessThanOrEqual(FAILOVER_BOUND_US);
        // What was acknowledged before the crash is in the new leader's image.
        const newImage = cluster.controllers
          .get(activeControllers(cluster)[0]!)!
          .role.committedImage();
        for (const name of acknowledged(cluster, requests)) {
          expect(newImage.topicByName(name)).toBeDefined();
        }
        for (let i = 0; i < s.writesAfter; i++) {
          const id = createTopic(cluster, `after-${i}`);
          if (id !== undefined) requests.set(id, `after-${i}`);
          cluster.engine.runFor(200_000);
        }
        cluster.engine.runFor(s.downForUs);
        restartNode(cluster, victim!);
        cluster.engine.runFor(1 * SECOND);
        expectConverged(cluster, acknowledged(cluster, requests));
      }),
      { seed: SEED, numRuns: NUM_RUNS },
    );
  });
});

type Fault =
  | {
      readonly op: "crash";
      readonly who: "active" | "follower";
      readonly mode: "process" | "power";
    }
  | { readonly op: "isolate"; readonly who: "active" | "follower" }
  | { readonly op: "recover" }
  | { readonly op: "write" };

const fault: fc.Arbitrary<Fault> = fc.oneof(
  fc.record({
    op: fc.constant("crash" as const),
    who: fc.constantFrom("active" as const, "follower" as const),
    mode: fc.constantFrom("process" as const, "power" as const),
  }),
  fc.record({
    op: fc.constant("isolate" as const),
    who: fc.constantFrom("active" as const, "follower" as const),
  }),
  fc.constant({ op: "recover" as const }),
  fc.constant({ op: "write" as const }),
);

describe("kafka: raft: fault schedules (property)", () => {
  it(`stays safe under crashes and partitions, and converges after them (seed ${SEED})`, () => {
    const schedule = fc.record({
      engineSeed: fc.integer({ min: 1, max: 1_000_000 }),
      steps: fc.array(fc.record({ gapUs: fc.integer({ min: 0, max: 4 * SECOND }), fault }), {
        minLength: 1,
        maxLength: 12,
      }),
    });
    fc.assert(
      fc.property(schedule, ({ engineSeed, steps }) => {
        const cluster = buildControllerCluster({
          seed: engineSeed,
          topics: [{ name: "t", assignment: [[1, 2, 3]] }],
        });
        const requests = new Map<number, string>();
        // At most one voter impaired at a time, so a majority can always make progress.
        let impaired: { id: number; how: "down" | "isolated" } | undefined;
        let writes = 0;
        for (const { gapUs, fault: f } of steps) {
          cluster.engine.runFor(gapUs);
          const active = activeControllers(cluster);
          const pickVictim = (who: "active" | "follower"): number | undefined =>
            who === "active" ? active[0] : cluster.voters.find((v) => !active.includes(v));
          switch (f.op) {
            case "crash": {
              const victim = pickVictim(f.who);
              if (impaired !== undefined || victim === undefined) break;
              crashNode(cluster, victim, f.mode);
              impaired = { id: victim, how: "down" };
              break;
            }
            case "isolate": {
              const victim = pickVictim(f.who);
              if (impaired !== undefined || victim === undefined) break;
              cluster.network.isolate(String(victim));
              impaired = { id: victim, how: "isolated" };
              break;
            }
            case "recover":
              if (impaired?.how === "down") restartNode(cluster, impaired.id);
              if (impaired?.how === "isolated") cluster.network.heal(String(impaired.id));
              impaired = undefined;
              break;
            case "write": {
              const name = `w-${writes++}`;
              const id = createTopic(cluster, name);
              if (id !== undefined) requests.set(id, name);
              break;
            }
          }
        }
        if (impaired?.how === "down") restartNode(cluster, impaired.id);
        if (impaired?.how === "isolated") cluster.network.heal(String(impaired.id));
        cluster.engine.runFor(1 * SECOND);
        expectConverged(cluster, acknowledged(cluster, requests));
      }),
      { seed: SEED, numRuns: NUM_RUNS },
    );
  });
});
