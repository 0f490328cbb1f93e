// A ZooKeeper-mode broker that loses power and restarts while its old session (and so its
// `/brokers/ids/<id>` znode) may still exist (issue #7, a fault-search finding).
//
// What Kafka does, and what these runs check:
// - A controller on another broker that sees the registration go, or change its czxid (a
//   "bounced" broker, KafkaController.processBrokerChange), handles it as onBrokerFailure then
//   onBrokerStartup: a sole-ISR leader's partition gets leader -1 in a new epoch, and the returning
//   broker leads again in a newer one.
// - When no controller saw the broker die (it was the only broker, or the whole cluster lost power),
//   the controller elected afterwards loads the partition states, finds the leader alive and keeps
//   its leader and epoch (PartitionStateMachine.initializePartitionState: a live leader's
//   partition is OnlinePartition, so no election). The restarted leader's unflushed tail is gone,
//   so its HW is lower in that same epoch: a correlated power loss, reported as
//   `partition.committed-lost`, not an invariant violation. Before the fix the run stopped there.
// - KRaft: a broker that re-registers with a new incarnation is fenced first (new epoch).
import { describe, expect, it } from "vitest";
import { InvariantViolation } from "../../sim/engine/engine.ts";
import type { TraceEvent } from "../../sim/engine/trace.ts";
import { parseScenarioText } from "../../sim/scenario/load.ts";
import { runScenario } from "../../sim/scenario/runner.ts";
import { ClusterWorld } from "../support/cluster-world.ts";

const SEED = 21;

interface Run {
  readonly events: TraceEvent[];
  readonly error: string | undefined;
}

function run(text: string): Run {
  const events: TraceEvent[] = [];
  let error: string | undefined;
  try {
    runScenario(parseScenarioText(text, "zk-bounced-broker.yaml"), {
      seed: SEED,
      onTrace: (e) => events.push(e),
    });
  } catch (e) {
    error = (e as Error).message;
  }
  return { events, error };
}

/** The fault search's file (simulator-sound), with the brokers and crashed nodes as parameters. */
function faultSearchCase(opts: {
  version?: string;
  brokers: number[];
  replicationFactor: number;
  crashed: number[];
}): string {
  const brokers = opts.brokers.map((id) => `    - { id: ${id}, rack: r${id} }`).join("\n");
  const twice = (at1: string, at2: string) =>
    opts.crashed
      .map(
        (n) =>
          `  - { at: ${at1}, crash: { node: ${n}, mode: power } }\n  - { at: ${at2}, restart: ${n} }`,
      )
      .join("\n");
  return `version: 1
name: "Fault search run"
seed: ${SEED}
duration: 30s
cluster:
  version: "${opts.version ?? "2.6"}"
  brokers:
${brokers}
  controllers: 3
  config:
    min.insync.replicas: 3
    unclean.leader.election.enable: false
    replica.lag.time.max.ms: 5000
    replica.socket.timeout.ms: 5000
${opts.version === undefined ? "    zookeeper.session.timeout.ms: 6000\n" : ""}    group.initial.rebalance.delay.ms: 0
topics:
  - { name: t, partitions: 2, replication-factor: ${opts.replicationFactor} }
clients:
  - id: producer-1
    type: producer
    config: { acks: all, enable.idempotence: false, max.in.flight.requests.per.connection: 5, retries: 3, request.timeout.ms: 5000, delivery.timeout.ms: 30000 }
    workload: { topic: t, rate: 18/s, keys: none, value-size: 100B, until: 22500ms }
timeline:
  - { at: 3122ms, cut: { from: producer-1, to: 1 } }
  - { at: 14857ms, heal: producer-1 }
  - { at: 5351ms, hold: { from: producer-1, to: 1 } }
  - { at: 15812ms, release: { from: producer-1, to: 1 } }
${twice("9377ms", "13086ms")}
${twice("15783ms", "18446ms")}
  - { at: 17912ms, cut: { from: 1, to: producer-1 } }
  - { at: 18192ms, heal: 1 }
`;
}

/** Three brokers, 2.6, broker 2 leads both partitions, loses power once and restarts at `restart`. */
function bounceCase(replicationFactor: 1 | 3, restart: string): string {
  const assignment = replicationFactor === 1 ? "[[2], [2]]" : "[[2, 1, 3], [2, 3, 1]]";
  return `version: 1
name: bounce
duration: 25s
cluster:
  version: "2.6"
  brokers: 3
  config: { zookeeper.session.timeout.ms: 6000, min.insync.replicas: 1 }
topics:
  - { name: t, partitions: 2, replication-factor: ${replicationFactor}, assignment: ${assignment} }
clients:
  - id: producer-1
    type: producer
    config: { acks: all }
    workload: { topic: t, rate: 18/s, keys: none, value-size: 100B, until: 22s }
timeline:
  - { at: 9377ms, crash: { node: 2, mode: power } }
  - { at: ${restart}, restart: 2 }
`;
}

const leaderships = (r: Run, after: number) =>
  r.events.filter((e) => e.type === "partition.leader" && e.t >= after);

const LAST_RESTART_US = 18_446_000;

describe("zookeeper mode: a broker that restarts within its session timeout", () => {
  it("2.6, one broker, RF 1 (the fault-search case): it leads again in epoch 0 and the lost tail is reported", () => {
    const r = run(faultSearchCase({ brokers: [1], replicationFactor: 1, crashed: [1] }));
    expect(r.error).toBeUndefined();
    // The broker is its own controller: nobody saw it die, the failover finds it alive.
    const back = leaderships(r, LAST_RESTART_US);
    expect(back.map((e) => [e.node, e.partition, e.leaderEpoch])).toEqual([
      ["1", 0, 0],
      ["1", 1, 0],
    ]);
    const lost = r.events.filter((e) => e.type === "partition.committed-lost");
    expect(lost.map((e) => e.partition).sort()).toEqual([0, 1]);
    for (const e of lost) {
      expect(e.why).toMatch(/^power loss/);
      expect(Number(e.to)).toBeGreaterThan(Number(e.from));
    }
  });

  it("2.6, three brokers, RF 3, the whole cluster loses power twice: same epochs, loss reported", () => {
    const r = run(
      faultSearchCase({ brokers: [1, 2, 3], replicationFactor: 3, crashed: [1, 2, 3] }),
    );
    expect(r.error).toBeUndefined();
    const back = leaderships(r, LAST_RESTART_US);
    expect(back.length).toBeGreaterThan(0);
    for (const e of back) expect(e.leaderEpoch).toBe(0);
    const lost = r.events.filter((e) => e.type === "partition.committed-lost");
    expect(lost.length).toBeGreaterThan(0);
    for (const e of lost) expect(e.why).toMatch(/^power loss/);
  });

  it("2.6, three brokers, RF 3, only broker 1 (the controller) bounces twice: new epochs", () => {
    const r = run(faultSearchCase({ brokers: [1, 2, 3], replicationFactor: 3, crashed: [1] }));
    expect(r.error).toBeUndefined();
    // Another broker becomes controller once broker 1's first session expires; broker 1's
    // partitions move in a newer epoch and broker 1 never leads in epoch 0 after a restart.
    const elected = r.events.filter((e) => e.type === "controller.elected" && e.node !== "1");
    expect(elected.length).toBeGreaterThan(0);
    for (const e of leaderships(r, 9_377_000)) expect(e.leaderEpoch).toBeGreaterThan(0);
  });

  for (const rf of [1, 3] as const) {
    it(`2.6, RF ${rf}: re-registration seen in the same broker change as the old znode's loss is failure + startup`, () => {
      // The restart time puts a registration retry just after the old session expires (16 s) and
      // before the controller reads /brokers/ids again: one change, a new czxid.
      const r = run(bounceCase(rf, "12999000us"));
      expect(r.error).toBeUndefined();
      const registered = r.events.find((e) => e.type === "zk.broker.registered" && e.node === "2");
      const fenced = r.events.find((e) => e.type === "broker.fenced" && e.broker === 2);
      expect(registered, "broker 2 registers again").toBeDefined();
      expect(fenced, "the controller fences broker 2").toBeDefined();
      expect(
        registered!.t,
        "precondition: the new znode exists before the controller reacts",
      ).toBeLessThan(fenced!.t);
      const changes = r.events.filter(
        (e) =>
          e.type === "metadata.record" &&
          e.record === "PartitionChangeRecord" &&
          e.partition === 0 &&
          e.t >= fenced!.t,
      );
      if (rf === 1) {
        // onBrokerFailure: no live ISR member, leader -1 in epoch 1; onBrokerStartup: 2 in epoch 2.
        expect(changes.slice(0, 2).map((e) => [e.leader, e.leaderEpoch])).toEqual([
          [-1, 1],
          [2, 2],
        ]);
      } else {
        // onBrokerFailure: the next live ISR member leads in epoch 1; startup elects nothing.
        expect(changes[0]).toMatchObject({ leader: 1, leaderEpoch: 1 });
      }
      for (const e of leaderships(r, fenced!.t)) {
        if (e.node === "2") expect(e.leaderEpoch).toBeGreaterThanOrEqual(2);
      }
    });
  }
});

describe("kraft: the same restarts", () => {
  it("3.6, one broker: it is fenced before it leads again, in a new epoch", () => {
    const r = run(
      faultSearchCase({ version: "3.6", brokers: [1], replicationFactor: 1, crashed: [1] }),
    );
    expect(r.error).toBeUndefined();
    expect(r.events.some((e) => e.type === "broker.fenced" && e.broker === 1)).toBe(true);
    const back = leaderships(r, LAST_RESTART_US);
    expect(back.length).toBe(2);
    for (const e of back) expect(e.leaderEpoch).toBeGreaterThan(0);
  });
});

describe("kafka: a leader's HW within one epoch (invariant, forged traces)", () => {
  /** A running cluster at 1 s; leader `node` of the forged partition f-0 reaches HW 100 in epoch 5. */
  function world(node: string) {
    const w = new ClusterWorld({
      seed: 1,
      brokers: 3,
      controllers: { kind: "dedicated", count: 1 },
      topics: [{ name: "t", partitions: 1, replicationFactor: 3, assignment: [[1, 2, 3]] }],
    });
    w.runUntil(1_000_000);
    const leader = {
      topic: "f",
      partition: 0,
      leader: Number(node),
      leaderEpoch: 5,
      recovering: false,
    };
    w.engine.trace.emit("partition.leader", node, { ...leader, leo: 100 });
    w.engine.trace.emit("replica.hw", node, { topic: "f", partition: 0, hw: 100 });
    return {
      w,
      /**
       * The same broker leads f-0 again in epoch 5 with HW 40: its log ends at `leo` (100 when it
       * kept everything, so only the HW check can object; 40 when it lost the tail).
       */
      leadAgainLower: (leo: number) => {
        w.engine.trace.emit("partition.leader", node, { ...leader, leo });
        w.engine.trace.emit("replica.hw", node, { topic: "f", partition: 0, hw: 40 });
      },
    };
  }

  it("fires when a leader lowers its HW in the same epoch", () => {
    const { w } = world("1");
    w.engine.trace.emit("replica.hw", "1", { topic: "f", partition: 0, hw: 40 });
    expect(() => w.runUntil(2_000_000)).toThrow(InvariantViolation);
    expect(() => w.runUntil(2_000_000)).toThrow(/lowered its HW from 100 to 40 in epoch 5/);
  });

  it("fires when the leader restarted after a process crash (its log kept everything)", () => {
    const { w, leadAgainLower } = world("1");
    w.engine.trace.emit("host.crash", "1", { mode: "process" });
    leadAgainLower(100);
    expect(() => w.runUntil(2_000_000)).toThrow(/lowered its HW from 100 to 40 in epoch 5/);
  });

  it("fires when another broker, not the leader, lost power", () => {
    const { w, leadAgainLower } = world("1");
    w.engine.trace.emit("host.crash", "2", { mode: "power" });
    leadAgainLower(100);
    expect(() => w.runUntil(2_000_000)).toThrow(/lowered its HW from 100 to 40 in epoch 5/);
  });

  it("allows it when that leader lost power (its unflushed tail) and leads again in the same epoch", () => {
    const { w, leadAgainLower } = world("1");
    w.engine.trace.emit("host.crash", "1", { mode: "power" });
    leadAgainLower(40);
    expect(() => w.runUntil(2_000_000)).not.toThrow();
    // Only once: a second drop in the same incarnation is a bug again.
    w.engine.trace.emit("replica.hw", "1", { topic: "f", partition: 0, hw: 30 });
    expect(() => w.runUntil(3_000_000)).toThrow(/lowered its HW from 40 to 30 in epoch 5/);
  });
});
