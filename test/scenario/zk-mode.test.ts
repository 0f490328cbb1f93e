// ZooKeeper mode through the real cluster (scenario runner): session-based liveness, controller
// failover with epoch+1, zombie controller fencing, controlled shutdown, pre-2.7 ISR writes.
import { describe, expect, it } from "vitest";
import { ADMIN_NODE, AdminClient } from "../../sim/client/admin.ts";
import { Engine } from "../../sim/engine/engine.ts";
import type { TraceEvent } from "../../sim/engine/trace.ts";
import { DISK_PROFILES, NIC_PROFILES } from "../../sim/infra/hardware.ts";
import { Host } from "../../sim/infra/host.ts";
import { Network } from "../../sim/infra/network.ts";
import { KafkaCluster } from "../../sim/kafka/cluster.ts";
import { parseScenarioText } from "../../sim/scenario/load.ts";
import { runScenario } from "../../sim/scenario/runner.ts";

function scenario(version: string, timeline: string, duration = "60s", clients = ""): string {
  return `version: 1
name: zk
duration: ${duration}
cluster: { version: "${version}", brokers: 3 }
topics:
  - { name: t, partitions: 1, replication-factor: 3, assignment: [[3, 2, 1]] }
${clients}timeline:
${timeline}
`;
}

function run(text: string, seed = 1) {
  const events: TraceEvent[] = [];
  const report = runScenario(parseScenarioText(text, "zk.yaml"), {
    seed,
    onTrace: (e) => events.push(e),
  });
  return { report, events };
}

describe("zookeeper mode: liveness is the ZooKeeper session", () => {
  it("2.8: a crashed leader loses leadership only after its 18 s session expires", () => {
    const { events } = run(scenario("2.8", "  - { at: 2s, crash: 3 }"));
    const expired = events.find(
      (e) => e.type === "zk.session" && e.owner === "3" && e.state === "expired",
    );
    expect(expired).toBeDefined();
    // Last contact at or before the crash (2 s); expiry 18 s later, checked on 2 s ticks.
    expect(expired!.t).toBeGreaterThanOrEqual(18_000_000);
    expect(expired!.t).toBeLessThanOrEqual(2_000_000 + 18_000_000 + 2_000_000);
    const leader = events.find((e) => e.type === "partition.leader" && e.t > 0);
    expect(leader?.leader).toBe(2);
    expect(leader!.t).toBeGreaterThan(expired!.t);
    // Not at KRaft's 9 s.
    expect(events.some((e) => e.type === "partition.leader" && e.t > 0 && e.t < 15_000_000)).toBe(
      false,
    );
  });
});

describe("zookeeper mode: the controller", () => {
  it("2.8: the controller broker's crash elects a new controller in epoch 2; leadership continues", () => {
    // Broker 1 is the bootstrap controller (epoch 1) and a follower of t-0 (led by 3).
    const { events, report } = run(
      scenario("2.8", "  - { at: 2s, crash: 1 }\n  - { at: 3s, crash: 3 }"),
    );
    const elected = events.filter((e) => e.type === "controller.elected");
    expect(elected.length).toBe(1);
    expect(elected[0]!.controllerEpoch).toBe(2);
    expect(elected[0]!.node).toBe("2");
    // The new controller moves leadership of t-0 to 2 once 3's session is gone as well.
    const leader = events.filter((e) => e.type === "partition.leader").at(-1);
    expect(leader?.leader).toBe(2);
    expect(report.results).toBeDefined();
  });

  it("2.8: while the dead controller's session lives, describe and expectations still answer", () => {
    // Broker 1 (the controller) crashes at 2 s; its 18 s session keeps /controller until ≈20 s.
    // The tools read the znodes it last wrote, as a live broker's cache would give them.
    const { report } = run(
      scenario(
        "2.8",
        [
          "  - { at: 2s, crash: 1 }",
          '  - { at: 5s, cli: "kafka-topics.sh --zookeeper localhost:2181 --describe --topic t" }',
          "  - { at: 6s, expect: { partition: { topic: t, partition: 0, leader: 3 } } }",
        ].join("\n"),
      ),
    );
    const describe = report.results.cli[0]!;
    expect(describe.error).toBe("");
    expect(describe.output).toMatch(/Partition: 0\s+Leader: 3/);
    expect(report.results.expectations[0]).toMatchObject({ ok: true });
  });

  it("2.8: a partitioned old controller's LeaderAndIsr is rejected as stale", () => {
    // Controller 1's requests to 2 are held; 3 crashes so 1 sends LeaderAndIsr (held). Then 1 is
    // cut from ZooKeeper: its session expires, 2 becomes controller in epoch 2. Released, the
    // epoch-1 requests reach 2, which refuses them.
    const timeline = [
      "  - { at: 1s, hold: { from: 1, to: 2 } }",
      "  - { at: 2s, crash: 3 }",
      "  - { at: 25s, cut: { from: 1, to: zookeeper-1 } }",
      "  - { at: 25s, cut: { from: zookeeper-1, to: 1 } }",
      "  - { at: 55s, release: { from: 1, to: 2 } }",
    ].join("\n");
    const { events } = run(scenario("2.8", timeline, "70s"));
    const elected = events.find((e) => e.type === "controller.elected");
    expect(elected?.node).toBe("2");
    expect(elected?.controllerEpoch).toBe(2);
    const fenced = events.find((e) => e.type === "controller.fenced");
    expect(fenced).toBeDefined();
    expect(fenced!.node).toBe("2");
    expect(fenced!.staleEpoch).toBe(1);
    expect(fenced!.currentEpoch).toBe(2);
  });

  it("2.8: controlled shutdown moves leadership away before the broker stops", () => {
    const { events } = run(scenario("2.8", "  - { at: 2s, shutdown: 3 }", "20s"));
    const moved = events.find((e) => e.type === "partition.leader" && e.t > 0);
    const stopped = events.find((e) => e.type === "broker.shutdown" && e.node === "3");
    expect(moved?.leader).toBe(2);
    expect(stopped).toBeDefined();
    expect(moved!.t).toBeLessThan(stopped!.t);
    // Well before any session timeout: the shutdown is not a crash.
    expect(stopped!.t).toBeLessThan(5_000_000);
    const closed = events.find((e) => e.type === "zk.session" && e.owner === "3");
    expect(closed?.state).toBe("closed");
  });
});

describe("zookeeper mode: versions", () => {
  it("0.10 runs in zookeeper mode by default (6 s sessions)", () => {
    const { events } = run(scenario("0.10", "  - { at: 2s, crash: 3 }", "20s"));
    expect(events.some((e) => e.type === "raft.leader")).toBe(false);
    const expired = events.find((e) => e.type === "zk.session" && e.state === "expired");
    expect(expired?.owner).toBe("3");
    expect(expired!.t).toBeGreaterThanOrEqual(6_000_000);
    expect(expired!.t).toBeLessThanOrEqual(2_000_000 + 6_000_000 + 2_000_000);
  });

  it("2.4: the leader writes its ISR shrink to ZooKeeper itself (before KIP-497)", () => {
    // Follower 2 is cut off from leader 3; after replica.lag.time.max.ms (10 s before 2.5, checked
    // every 5 s) 3 shrinks the ISR to [3, 1]. Broker 1, the controller, stays reachable.
    const timeline =
      "  - { at: 1s, cut: { from: 2, to: 3 } }\n  - { at: 1s, cut: { from: 3, to: 2 } }";
    const producer = `clients:
  - id: p
    type: producer
    workload: { topic: t, rate: 100/s, value-size: 100B, until: 40s }
`;
    const { events } = run(scenario("2.4", timeline, "60s", producer));
    const write = events.find((e) => e.type === "zk.isr.write");
    expect(write?.node).toBe("3");
    expect(write?.isr).toEqual([3, 1]);
    expect(write?.error).toBe("OK");
    const znode = events.find(
      (e) =>
        e.type === "zk.znode" &&
        e.path === "/brokers/topics/t/partitions/0/state" &&
        e.t >= write!.t - 10_000,
    );
    expect(znode?.version).toBe(1);
    // The controller learns of it through /isr_change_notification.
    const notified = events.find((e) => e.type === "partition.isr.notified");
    expect(notified?.node).toBe("1"); // the controller
    expect(notified?.isr).toEqual([3, 1]);
    // From 2.7 the same shrink goes to the controller as AlterIsr (30 s lag, checked every 15 s).
    const later = run(scenario("2.8", timeline, "60s", producer)).events;
    expect(later.some((e) => e.type === "zk.isr.write")).toBe(false);
    const written = later.find((e) => e.type === "metadata.record" && e.node === "1" && e.t > 0);
    expect(written?.isr).toEqual([3, 1]);
    expect(written?.leaderEpoch).toBe(0); // AlterIsr keeps the leader epoch
    const isr = later.filter((e) => e.type === "partition.isr" && e.node === "3").at(-1);
    expect(isr?.isr).toEqual([3, 1]);
    expect(isr?.partitionEpoch).toBe(1); // the state znode's version
  });
});

describe("zookeeper mode: a broker comes back", () => {
  it("2.8: the restarted leader re-registers with a new broker epoch and follows, never leading its old epoch again", () => {
    const timeline = [
      "  - { at: 2s, crash: 3 }",
      "  - { at: 30s, restart: 3 }",
      "  - { at: 40s, elect-leaders: { type: preferred } }",
    ].join("\n");
    const { events, report } = run(scenario("2.8", timeline, "50s"));
    const registered = events.find((e) => e.type === "zk.broker.registered" && e.node === "3");
    expect(registered).toBeDefined();
    // Bootstrap broker epochs are 0, 2, 4 (offsets in the bootstrap log); the new one is a czxid.
    expect(Number(registered!.brokerEpoch)).toBeGreaterThan(4);
    const after = events.filter((e) => e.node === "3" && e.t >= 30_000_000);
    const firstRole = after.find(
      (e) => e.type === "partition.leader" || e.type === "partition.follower",
    );
    expect(firstRole?.type).toBe("partition.follower");
    expect(firstRole?.leaderEpoch).toBe(1);
    // It rejoins the ISR, and the preferred election (on demand) gives it leadership in epoch 2.
    const expanded = events.find(
      (e) => e.type === "partition.isr" && e.node === "2" && e.t > 30_000_000,
    );
    expect(expanded?.isr).toEqual([2, 1, 3]);
    const back = events.filter((e) => e.type === "partition.leader").at(-1);
    expect(back?.node).toBe("3");
    expect(back?.leaderEpoch).toBe(2);
    expect(report.results.ok).toBe(true);
  });
});

describe("zookeeper mode: reassignment before 2.7", () => {
  it("2.4: the leader's own ISR write (via /isr_change_notification) completes a reassignment", () => {
    const text = scenario(
      "2.4",
      "  - { at: 2s, reassign: { topic: t, partition: 0, replicas: [2, 1] } }",
      "20s",
    ).replace(
      "replication-factor: 3, assignment: [[3, 2, 1]]",
      "replication-factor: 2, assignment: [[3, 2]]",
    );
    // Replicas [3, 2] → [2, 1]: 1 is added and must join the ISR (written to ZooKeeper by leader
    // 3, then noticed by the controller), after which 3 is removed and leadership moves to 2.
    const { events } = run(text);
    const write = events.find((e) => e.type === "zk.isr.write" && e.node === "3");
    expect(write?.isr).toEqual([3, 2, 1]);
    const last = events.filter((e) => e.type === "metadata.record" && e.topic === "t").at(-1);
    expect(last?.replicas).toEqual([2, 1]);
    expect(last?.leader).toBe(2);
    const leader = events.filter((e) => e.type === "partition.leader").at(-1);
    expect(leader?.node).toBe("2");
  });
});

/** A small deterministic generator for the fault schedules below (the seed is in the test name). */
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}

/** Eight random faults on brokers and ZooKeeper servers, then everything restarted and healed. */
function faultSchedule(seed: number): { text: string; endS: number } {
  const r = lcg(seed);
  const lines: Array<[number, string]> = [];
  const down = new Set<string>();
  const nodes = ["1", "2", "3", "4", "zookeeper-1", "zookeeper-2", "zookeeper-3"];
  let t = 2;
  for (let i = 0; i < 8; i++) {
    t += 3 + Math.floor(r() * 12);
    const n = nodes[Math.floor(r() * nodes.length)]!;
    const k = r();
    if (down.has(n)) {
      lines.push([t, `restart: ${n}`]);
      down.delete(n);
    } else if (k < 0.4) {
      lines.push([t, `crash: ${n}`]);
      down.add(n);
    } else if (k < 0.6) {
      lines.push([t, `isolate: ${n}`], [t + 20, `heal: ${n}`]);
    } else if (k < 0.75 && !n.startsWith("zookeeper")) {
      lines.push([t, `shutdown: ${n}`]);
      down.add(n);
    } else {
      lines.push([t, "elect-leaders: { type: preferred }"]);
    }
  }
  for (const n of [...down].sort()) lines.push([t + 30, `restart: ${n}`]);
  lines.push([t + 31, "heal: all"]);
  lines.sort((a, b) => a[0] - b[0]);
  return { text: lines.map(([at, what]) => `  - { at: ${at}s, ${what} }`).join("\n"), endS: t };
}

describe("zookeeper mode: random faults (seeds in the names)", () => {
  for (const version of ["2.4", "2.8"]) {
    for (const seed of [11, 12, 13]) {
      it(`${version}, seed ${seed}: replicas agree below the HW and leader HWs never go back`, () => {
        const { text, endS } = faultSchedule(seed);
        const yaml = `version: 1
name: zk-faults
duration: ${endS + 90}s
cluster: { version: "${version}", brokers: 4, mode: zookeeper, controllers: 3 }
topics:
  - { name: t, partitions: 3, replication-factor: 3 }
clients:
  - id: p
    type: producer
    config: { acks: all }
    workload: { topic: t, rate: 50/s, value-size: 100B, until: ${endS}s }
timeline:
${text}
`;
        const report = runScenario(parseScenarioText(yaml, "zk-faults.yaml"), { seed });
        const failed = report.results.checks
          .filter((c) => !c.holds && (c.name === "no-divergence" || c.name === "hw-monotonic"))
          .map((c) => `${c.name}: ${c.detail}`);
        expect(failed).toEqual([]);
      });
    }
  }
});

describe("zookeeper mode: admin requests", () => {
  it("2.8: a broker that is not the controller forwards CreateTopics to it; the topic gets leaders", () => {
    const engine = new Engine({ seed: 5 });
    const network = new Network(engine, { defaultLatencyUs: 100, jitterUs: 0 });
    const machine = {
      disks: [DISK_PROFILES.ssd],
      nic: NIC_PROFILES["10GbE"],
      memoryBytes: 1 << 30,
      cores: 4,
    };
    const cluster = new KafkaCluster(engine, network, {
      version: "2.8",
      brokers: [1, 2, 3].map((id) => ({ id, rack: null })),
      controllers: { kind: "zookeeper", ensembleSize: 3 },
      machine,
      config: {},
      topics: [],
    });
    expect([...cluster.hosts.keys()].filter((n) => n.startsWith("zookeeper-"))).toEqual([
      "zookeeper-1",
      "zookeeper-2",
      "zookeeper-3",
    ]);
    new Host(engine, network, { name: ADMIN_NODE, ...machine });
    // Broker 3 first: it is not the controller (broker 1 is), so it forwards.
    const admin = new AdminClient(engine, network, [3]);
    const events: Array<{ type: string; [k: string]: unknown }> = [];
    engine.trace.subscribe((e) => events.push(e));
    cluster.boot();
    engine.runUntil(1_000_000);
    admin.call({
      op: "CreateTopics",
      topics: [{ name: "n", numPartitions: 3, replicationFactor: 2, configs: {} }],
    });
    engine.runUntil(3_000_000);
    const result = events.find((e) => e.type === "admin.result");
    expect(result?.error).toBe("NONE");
    const image = cluster.activeImage();
    const topic = image?.topicByName("n");
    expect(topic?.partitions.length).toBe(3);
    // Every partition has a leader, which says so itself.
    const leaders = events.filter((e) => e.type === "partition.leader" && e.topic === "n");
    expect(leaders.map((e) => e.partition).sort()).toEqual([0, 1, 2]);
    for (const [p, state] of (topic?.partitions ?? []).entries()) {
      expect(leaders.find((e) => e.partition === p)?.node).toBe(String(state.leader));
    }
    // The assignment is in ZooKeeper.
    const znode = cluster.zookeepers.get("zookeeper-1")?.znode("/brokers/topics/n");
    expect(JSON.parse(znode?.data ?? "{}").partitions["0"]).toEqual(topic?.partitions[0]?.replicas);
  });
});
