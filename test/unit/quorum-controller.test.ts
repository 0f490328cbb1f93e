// The KRaft controller's logic on a real engine and network, with fake brokers that only register
// and heartbeat: fencing on session expiry, unclean elections by version and config, KIP-966's
// "last replica standing" (S8), registration, controlled shutdown, AlterPartition, the periodic
// tasks, and the admin requests with Kafka's error texts.
import { describe, expect, it } from "vitest";
import type {
  AlterPartitionItem,
  AlterPartitionResponse,
} from "../../sim/kafka/protocol-control.ts";
import {
  activeController,
  adminCall,
  buildControllerCluster,
  type ClusterSpec,
  type ControllerCluster,
  eventsOf,
  partitionOf,
  runUntil,
} from "../support/kafka-controller-harness.ts";

const SECOND = 1_000_000;

function broker(cluster: ControllerCluster, id: number) {
  return cluster.brokers.get(id)!;
}

/** When the active controller last received a heartbeat from `brokerId`. */
function lastHeartbeatArrival(cluster: ControllerCluster, brokerId: number): number {
  const to = String(activeController(cluster));
  const arrivals = cluster.events.filter(
    (e) =>
      e.type === "net.deliver" &&
      e.from === String(brokerId) &&
      e.to === to &&
      e.msg === "BrokerHeartbeatRequest",
  );
  return arrivals.at(-1)!.t;
}

function metrics(cluster: ControllerCluster) {
  return cluster.controllers.get(activeController(cluster))!.snapshot().metrics;
}

function alterPartition(
  cluster: ControllerCluster,
  leader: number,
  item: AlterPartitionItem,
): AlterPartitionResponse {
  const b = broker(cluster, leader);
  const before = b.otherMessages.length;
  cluster.network.send(String(leader), String(activeController(cluster)), {
    type: "AlterPartitionRequest",
    bytes: 64,
    correlationId: 900 + before,
    brokerId: leader,
    brokerEpoch: b.brokerEpoch,
    partitions: [item],
  });
  runUntil(cluster, () => b.otherMessages.length > before, 1 * SECOND);
  return b.otherMessages[before]!.message as unknown as AlterPartitionResponse;
}

describe("kafka: controller: fencing", () => {
  const spec: ClusterSpec = {
    topics: [
      {
        name: "t",
        assignment: [
          [1, 2, 3],
          [1, 3, 2],
          [2, 1, 3],
        ],
      },
    ],
  };

  it("fences a broker 9 s after its last heartbeat and moves its leaderships by replica order", () => {
    const cluster = buildControllerCluster(spec);
    cluster.engine.runUntil(1 * SECOND);
    broker(cluster, 1).heartbeating = false;
    const lastHeartbeat = lastHeartbeatArrival(cluster, 1);
    cluster.engine.runUntil(12 * SECOND);
    const fenced = eventsOf(cluster, "broker.fenced");
    expect(fenced).toMatchObject([{ node: "4", broker: 1, reason: "session-timeout" }]);
    // The controller decides at lastHeartbeat + 9 s exactly; the event is traced when the records
    // commit: the held follower fetches are answered at once and the followers fetch again, two
    // one-way trips of 200 µs + at most 50 µs of jitter each.
    expect(fenced[0]!.t - (lastHeartbeat + 9 * SECOND)).toBeGreaterThanOrEqual(400);
    expect(fenced[0]!.t - (lastHeartbeat + 9 * SECOND)).toBeLessThanOrEqual(500);
    // t-0 [1,2,3]: 1 leaves the ISR, 2 is the next replica in order; leader epoch 0 → 1.
    expect(partitionOf(cluster, "t", 0)).toMatchObject({ leader: 2, isr: [2, 3], leaderEpoch: 1 });
    // t-1 [1,3,2]: the next replica in order is 3.
    expect(partitionOf(cluster, "t", 1)).toMatchObject({ leader: 3, isr: [3, 2], leaderEpoch: 1 });
    // t-2 [2,1,3]: keeps its leader; only the ISR shrinks (no epoch bump since 3.6).
    expect(partitionOf(cluster, "t", 2)).toMatchObject({ leader: 2, isr: [2, 3], leaderEpoch: 0 });
    expect(metrics(cluster)).toMatchObject({
      ActiveControllerCount: 1,
      FencedBrokerCount: 1,
      OfflinePartitionsCount: 0,
      GlobalPartitionCount: 3,
      LeaderElectionRateAndTimeMs: 2,
      UncleanLeaderElectionsPerSec: 0,
    });
    // Three partition changes, then the fencing itself, each traced as it commits.
    const records = eventsOf(cluster, "metadata.record").map((e) => e.record);
    expect(records).toEqual([
      "PartitionChangeRecord",
      "PartitionChangeRecord",
      "PartitionChangeRecord",
      "BrokerRegistrationChangeRecord",
    ]);
  });

  it("unfences the broker when its heartbeats come back", () => {
    const cluster = buildControllerCluster(spec);
    cluster.engine.runUntil(1 * SECOND);
    broker(cluster, 1).heartbeating = false;
    cluster.engine.runUntil(12 * SECOND);
    broker(cluster, 1).heartbeating = true;
    cluster.engine.runUntil(15 * SECOND);
    expect(eventsOf(cluster, "broker.unfenced").map((e) => e.broker)).toEqual([1]);
    expect(metrics(cluster).FencedBrokerCount).toBe(0);
    // Back in the ISR only when a leader asks (AlterPartition), not by unfencing.
    expect(partitionOf(cluster, "t", 0)!.isr).toEqual([2, 3]);
  });

  it("answers NOT_CONTROLLER from a controller that is not active", () => {
    const cluster = buildControllerCluster(spec);
    cluster.engine.runUntil(1 * SECOND);
    const id = cluster.admin.send(5, { op: "DeleteTopics", topics: ["t"] });
    runUntil(cluster, () => cluster.admin.responses.has(id), 1 * SECOND);
    expect(cluster.admin.responses.get(id)!.error).toBe("NOT_CONTROLLER");
  });
});

/**
 * Topic u, replicas [1,2]. Broker 2 stops (fenced at ~9 s, ISR {1}), then broker 1 stops
 * (fenced at ~17 s: the partition is offline with ISR {1}), then broker 2 comes back (~18 s).
 */
function lastReplicaStanding(spec: ClusterSpec): ControllerCluster {
  const cluster = buildControllerCluster({
    ...spec,
    topics: [{ name: "u", assignment: [[1, 2]], configs: spec.topics?.[0]?.configs ?? {} }],
  });
  cluster.engine.runUntil(1 * SECOND);
  broker(cluster, 2).heartbeating = false;
  cluster.engine.runUntil(10 * SECOND);
  broker(cluster, 1).heartbeating = false;
  cluster.engine.runUntil(18 * SECOND);
  expect(partitionOf(cluster, "u", 0)).toMatchObject({ leader: -1, isr: [1] });
  broker(cluster, 2).heartbeating = true;
  cluster.engine.runUntil(19 * SECOND);
  expect(eventsOf(cluster, "broker.unfenced").map((e) => e.broker)).toEqual([2]);
  return cluster;
}

describe("kafka: controller: unclean leader election", () => {
  it("3.9, disabled: the partition stays offline when only the out-of-sync replica is back", () => {
    const cluster = lastReplicaStanding({ version: "3.9" });
    cluster.engine.runUntil(60 * SECOND);
    expect(partitionOf(cluster, "u", 0)).toMatchObject({ leader: -1, isr: [1] });
    expect(metrics(cluster)).toMatchObject({
      OfflinePartitionsCount: 1,
      UncleanLeaderElectionsPerSec: 0,
    });
  });

  it("3.9, enabled statically: the returning replica is elected when it is unfenced", () => {
    const cluster = lastReplicaStanding({
      version: "3.9",
      topics: [
        { name: "u", assignment: [], configs: { "unclean.leader.election.enable": "true" } },
      ],
    });
    // Elected in the same records that unfence broker 2 (KIP-704: RECOVERING until it confirms).
    expect(partitionOf(cluster, "u", 0)).toMatchObject({
      leader: 2,
      isr: [2],
      leaderRecoveryState: "RECOVERING",
    });
    expect(metrics(cluster)).toMatchObject({
      OfflinePartitionsCount: 0,
      UncleanLeaderElectionsPerSec: 1,
    });
  });

  it("3.9, enabled dynamically: the periodic task elects at its next run", () => {
    const cluster = lastReplicaStanding({
      version: "3.9",
      controllerConfig: { "unclean.leader.election.interval.ms": 10_000 },
    });
    const set = adminCall(cluster, {
      op: "IncrementalAlterConfigs",
      resourceType: "topic",
      resourceName: "u",
      set: { "unclean.leader.election.enable": "true" },
      delete: [],
    });
    expect(set.results).toEqual([{ name: "u", error: "NONE", message: "" }]);
    expect(set.t).toBeLessThan(20 * SECOND);
    cluster.engine.runUntil(19.9 * SECOND);
    expect(partitionOf(cluster, "u", 0)).toMatchObject({ leader: -1 });
    cluster.engine.runUntil(21 * SECOND);
    // The task runs every 10 s from the controller's activation at t=0; the config changed at
    // ~19 s, so the run at t=20 s elects.
    const elected = eventsOf(cluster, "metadata.record").filter(
      (e) => e.record === "PartitionChangeRecord" && e.leader === 2,
    );
    expect(elected).toHaveLength(1);
    expect(elected[0]!.t).toBeGreaterThanOrEqual(20 * SECOND);
    expect(elected[0]!.t).toBeLessThan(20 * SECOND + 10_000);
    expect(partitionOf(cluster, "u", 0)).toMatchObject({ leader: 2, isr: [2] });
  });

  it("3.8, enabled dynamically: nothing happens until an operator asks", () => {
    const cluster = lastReplicaStanding({ version: "3.8" });
    adminCall(cluster, {
      op: "IncrementalAlterConfigs",
      resourceType: "topic",
      resourceName: "u",
      set: { "unclean.leader.election.enable": "true" },
      delete: [],
    });
    cluster.engine.runUntil(400 * SECOND);
    expect(partitionOf(cluster, "u", 0)).toMatchObject({ leader: -1 });
    const elect = adminCall(cluster, {
      op: "ElectLeaders",
      electionType: "unclean",
      partitions: [{ topic: "u", partition: 0 }],
    });
    expect(elect.results).toEqual([{ name: "u-0", error: "NONE", message: "" }]);
    expect(partitionOf(cluster, "u", 0)).toMatchObject({ leader: 2, isr: [2] });
  });
});

describe("kafka: controller: S8, last replica standing", () => {
  /**
   * RF 3 [1,2,3], min.insync.replicas=2 (S8's brokers 0,1,2 are 1,2,3 here). Brokers 1, 2, 3
   * drop out in turn; 3 then loses power and re-registers uncleanly; finally 1 and 2 return.
   */
  function s8(elr: boolean): ControllerCluster {
    const cluster = buildControllerCluster({
      version: "4.1",
      controllerConfig: elr ? {} : { "eligible.leader.replicas.version": 0 },
      topics: [{ name: "s", assignment: [[1, 2, 3]], configs: { "min.insync.replicas": "2" } }],
    });
    cluster.engine.runUntil(1 * SECOND);
    broker(cluster, 1).heartbeating = false;
    cluster.engine.runUntil(10 * SECOND);
    // ISR {2,3} ≥ min ISR: the ELR stays empty.
    expect(partitionOf(cluster, "s", 0)).toMatchObject({ leader: 2, isr: [2, 3], elr: [] });
    broker(cluster, 2).heartbeating = false;
    cluster.engine.runUntil(18 * SECOND);
    expect(partitionOf(cluster, "s", 0)).toMatchObject({
      leader: 3,
      isr: [3],
      elr: elr ? [2] : [],
    });
    broker(cluster, 3).heartbeating = false;
    cluster.engine.runUntil(27 * SECOND);
    expect(partitionOf(cluster, "s", 0)).toMatchObject(
      elr ? { leader: -1, isr: [], elr: [2, 3] } : { leader: -1, isr: [3], elr: [] },
    );
    // Broker 3 loses power: it comes back, registers with previousBrokerEpoch -1, catches up.
    cluster.hosts.get("3")!.crash("power");
    cluster.hosts.get("3")!.restart();
    broker(cluster, 3).heartbeating = true;
    cluster.engine.runUntil(29 * SECOND);
    const registered = eventsOf(cluster, "broker.registered");
    expect(registered.map((e) => [e.broker, e.unclean])).toEqual([[3, true]]);
    expect(eventsOf(cluster, "broker.unfenced").map((e) => e.broker)).toEqual([3]);
    broker(cluster, 1).heartbeating = true;
    broker(cluster, 2).heartbeating = true;
    cluster.engine.runUntil(32 * SECOND);
    return cluster;
  }

  it("with ELR, broker 2 (which has every committed record) becomes the leader", () => {
    const cluster = s8(true);
    const state = partitionOf(cluster, "s", 0)!;
    expect(state.leader).toBe(2);
    expect(state.isr).toEqual([2]);
    // The unclean restart took 3 out of the ELR before anyone was elected.
    const elrAfterRestart = eventsOf(cluster, "metadata.record").find(
      (e) => e.record === "PartitionChangeRecord" && e.t > 27 * SECOND,
    );
    expect(elrAfterRestart).toMatchObject({ elr: [2], isr: [], leader: -1 });
  });

  it("without ELR, broker 3 (which lost data) is elected again", () => {
    const cluster = s8(false);
    expect(partitionOf(cluster, "s", 0)).toMatchObject({ leader: 3, isr: [3] });
  });
});

describe("kafka: controller: broker lifecycle", () => {
  it("rejects a new incarnation while the old session lives, then registers it unclean", () => {
    const cluster = buildControllerCluster({ topics: [{ name: "t", assignment: [[2, 1, 3]] }] });
    cluster.engine.runUntil(1 * SECOND);
    const lastHeartbeat = lastHeartbeatArrival(cluster, 2);
    cluster.hosts.get("2")!.crash("process");
    cluster.engine.runUntil(1.5 * SECOND);
    cluster.hosts.get("2")!.restart();
    cluster.engine.runUntil(12 * SECOND);
    const answers = broker(cluster, 2).registrationResponses;
    expect(answers[0]!.error).toBe("DUPLICATE_BROKER_REGISTRATION");
    const accepted = answers.find((a) => a.error === "NONE")!;
    // Retried every second from t=1.5 s; the session of the old incarnation ended at
    // lastHeartbeat + 9 s (when it was fenced), so the first retry after that is accepted.
    const fencedAt = lastHeartbeat + 9 * SECOND;
    // Traced when committed: one replication round trip (≤ 500 µs) after the decision.
    const traced = eventsOf(cluster, "broker.fenced")[0]!.t;
    expect(traced - fencedAt).toBeGreaterThanOrEqual(400);
    expect(traced - fencedAt).toBeLessThanOrEqual(500);
    expect(accepted.t).toBeGreaterThan(fencedAt);
    expect(accepted.t - fencedAt).toBeLessThan(1 * SECOND + 10_000);
    // Its broker epoch is the offset of its RegisterBrokerRecord, and the restart was unclean.
    const log = cluster.controllers.get(4)!.role.logEntries();
    expect(log[accepted.brokerEpoch]!.record).toMatchObject({
      type: "RegisterBrokerRecord",
      brokerId: 2,
      brokerEpoch: accepted.brokerEpoch,
      fenced: true,
      uncleanShutdown: true,
    });
    expect(eventsOf(cluster, "broker.registered")).toMatchObject([
      { broker: 2, brokerEpoch: accepted.brokerEpoch, unclean: true },
    ]);
    expect(eventsOf(cluster, "broker.unfenced").map((e) => e.broker)).toEqual([2]);
  });

  it("controlled shutdown moves leadership away, then lets the broker stop", () => {
    const cluster = buildControllerCluster({ topics: [{ name: "t", assignment: [[1, 2, 3]] }] });
    cluster.engine.runUntil(1 * SECOND);
    broker(cluster, 1).wantShutDown = true;
    cluster.engine.runUntil(3 * SECOND);
    // The heartbeat at t≈2.01 s starts the controlled shutdown: leadership moves to 2.
    expect(partitionOf(cluster, "t", 0)).toMatchObject({ leader: 2, isr: [2, 3] });
    const image = cluster.controllers.get(4)!.role.committedImage();
    expect(image.brokers.get(1)).toMatchObject({ inControlledShutdown: true, fenced: false });
    expect(broker(cluster, 1).lastGoodHeartbeat()!.shouldShutDown).toBe(false);
    cluster.engine.runUntil(5 * SECOND);
    // The next heartbeat finds it leading nothing: SHUTDOWN_NOW, and it is fenced.
    expect(broker(cluster, 1).lastGoodHeartbeat()!.shouldShutDown).toBe(true);
    expect(eventsOf(cluster, "broker.fenced")).toMatchObject([
      { broker: 1, reason: "controlled-shutdown" },
    ]);
  });
});

describe("kafka: controller: AlterPartition and leader balance", () => {
  /** Broker 1 is fenced at ~9 s and back at ~10 s; t-0 is led by 2 with ISR {2,3}. */
  function afterFailover(spec: ClusterSpec = {}): ControllerCluster {
    const cluster = buildControllerCluster({
      ...spec,
      topics: [{ name: "t", assignment: [[1, 2, 3]] }],
    });
    cluster.engine.runUntil(1 * SECOND);
    broker(cluster, 1).heartbeating = false;
    cluster.engine.runUntil(10 * SECOND);
    broker(cluster, 1).heartbeating = true;
    cluster.engine.runUntil(11 * SECOND);
    expect(partitionOf(cluster, "t", 0)).toMatchObject({
      leader: 2,
      isr: [2, 3],
      leaderEpoch: 1,
      partitionEpoch: 1,
    });
    return cluster;
  }

  const item = (fields: Partial<AlterPartitionItem>): AlterPartitionItem => ({
    topic: "t",
    partition: 0,
    leaderEpoch: 1,
    partitionEpoch: 1,
    newIsr: [2, 3, 1],
    leaderRecoveryState: "RECOVERED",
    ...fields,
  });

  it("validates AlterPartition and commits the new ISR", () => {
    const cluster = afterFailover();
    expect(alterPartition(cluster, 2, item({ leaderEpoch: 0 })).partitions[0]!.error).toBe(
      "FENCED_LEADER_EPOCH",
    );
    expect(alterPartition(cluster, 2, item({ partitionEpoch: 0 })).partitions[0]!.error).toBe(
      "INVALID_UPDATE_VERSION",
    );
    expect(alterPartition(cluster, 3, item({})).partitions[0]!.error).toBe("INVALID_REQUEST");
    const ok = alterPartition(cluster, 2, item({}));
    expect(ok.error).toBe("NONE");
    expect(ok.partitions).toEqual([
      {
        topic: "t",
        partition: 0,
        error: "NONE",
        leaderId: 2,
        leaderEpoch: 1,
        partitionEpoch: 2,
        isr: [2, 3, 1],
        leaderRecoveryState: "RECOVERED",
      },
    ]);
    expect(partitionOf(cluster, "t", 0)!.isr).toEqual([2, 3, 1]);
  });

  it("elects the preferred leader on demand", () => {
    const cluster = afterFailover();
    const notYet = adminCall(cluster, { op: "ElectLeaders", electionType: "preferred" });
    // Broker 1 is not in the ISR yet: the preferred replica cannot lead.
    expect(notYet.results).toEqual([
      { name: "t-0", error: "PREFERRED_LEADER_NOT_AVAILABLE", message: "" },
    ]);
    alterPartition(cluster, 2, item({}));
    const done = adminCall(cluster, { op: "ElectLeaders", electionType: "preferred" });
    expect(done.results).toEqual([{ name: "t-0", error: "NONE", message: "" }]);
    expect(partitionOf(cluster, "t", 0)).toMatchObject({ leader: 1, leaderEpoch: 2 });
    // Every partition now has its preferred leader: "all partitions" lists none.
    expect(adminCall(cluster, { op: "ElectLeaders", electionType: "preferred" }).results).toEqual(
      [],
    );
  });

  it("the imbalance task moves leadership back to the preferred replica", () => {
    const cluster = afterFailover({
      controllerConfig: { "leader.imbalance.check.interval.seconds": 30 },
    });
    alterPartition(cluster, 2, item({}));
    cluster.engine.runUntil(29 * SECOND);
    expect(partitionOf(cluster, "t", 0)!.leader).toBe(2);
    cluster.engine.runUntil(31 * SECOND);
    // The check runs every 30 s from the activation at t=0; the first one that finds broker 1
    // in the ISR (t=30 s) elects it.
    const moved = eventsOf(cluster, "metadata.record")
      .filter((e) => e.leader === 1)
      .at(-1)!;
    expect(moved.t).toBeGreaterThanOrEqual(30 * SECOND);
    expect(moved.t).toBeLessThan(30 * SECOND + 10_000);
    expect(partitionOf(cluster, "t", 0)!.leader).toBe(1);
  });
});

describe("kafka: controller: admin requests", () => {
  const base: ClusterSpec = { topics: [{ name: "t", assignment: [[1, 2, 3]] }] };

  it("creates topics with placement, or says why not, in Kafka's words", () => {
    const cluster = buildControllerCluster(base);
    cluster.engine.runUntil(1 * SECOND);
    const created = adminCall(cluster, {
      op: "CreateTopics",
      topics: [
        {
          name: "orders",
          numPartitions: 3,
          replicationFactor: 3,
          configs: { "retention.ms": "1000" },
        },
        { name: "t", numPartitions: 1, replicationFactor: 1, configs: {} },
        { name: "wide", numPartitions: 1, replicationFactor: 4, configs: {} },
        { name: "none", numPartitions: 0, replicationFactor: 1, configs: {} },
        { name: "a b", numPartitions: 1, replicationFactor: 1, configs: {} },
        {
          name: "bad",
          numPartitions: 1,
          replicationFactor: 1,
          configs: { "min.insync.replicas": "x" },
        },
        {
          name: "manual",
          numPartitions: -1,
          replicationFactor: -1,
          assignment: [
            [3, 1],
            [1, 2],
          ],
          configs: {},
        },
        { name: "dflt", numPartitions: -1, replicationFactor: -1, configs: {} },
      ],
    });
    expect(created.error).toBe("NONE");
    expect(created.results.map((r) => [r.name, r.error])).toEqual([
      ["orders", "NONE"],
      ["t", "TOPIC_ALREADY_EXISTS"],
      ["wide", "INVALID_REPLICATION_FACTOR"],
      ["none", "INVALID_PARTITIONS"],
      ["a b", "INVALID_TOPIC_EXCEPTION"],
      ["bad", "INVALID_CONFIG"],
      ["manual", "NONE"],
      ["dflt", "NONE"],
    ]);
    expect(created.results[1]!.message).toBe("Topic 't' already exists.");
    expect(created.results[2]!.message).toBe(
      "Unable to replicate the partition 4 time(s): The target replication factor of 4 cannot be reached because only 3 broker(s) are registered.",
    );
    expect(created.results[3]!.message).toBe(
      "Number of partitions was set to an invalid non-positive value.",
    );
    const image = cluster.controllers.get(4)!.role.committedImage();
    const orders = image.topicByName("orders")!;
    for (const p of orders.partitions) {
      expect([...p.replicas].sort()).toEqual([1, 2, 3]);
      expect(p.isr).toEqual(p.replicas);
      expect(p.leader).toBe(p.replicas[0]);
    }
    // The striped placer spreads the leaders over all three brokers.
    expect(orders.partitions.map((p) => p.leader).sort()).toEqual([1, 2, 3]);
    expect(orders.configs).toEqual({ "retention.ms": "1000" });
    expect(image.topicByName("manual")!.partitions.map((p) => [p.leader, p.replicas])).toEqual([
      [3, [3, 1]],
      [1, [1, 2]],
    ]);
    // num.partitions and default.replication.factor both default to 1.
    expect(image.topicByName("dflt")!.partitions.map((p) => p.replicas.length)).toEqual([1]);
  });

  it("adds partitions, but never removes them", () => {
    const cluster = buildControllerCluster(base);
    cluster.engine.runUntil(1 * SECOND);
    const call = (count: number) =>
      adminCall(cluster, { op: "CreatePartitions", topic: "t", count }).results[0]!;
    expect(call(3)).toEqual({ name: "t", error: "NONE", message: "" });
    expect(call(2)).toEqual({
      name: "t",
      error: "INVALID_PARTITIONS",
      message: "Topic currently has 3 partitions, which is higher than the requested 2.",
    });
    expect(call(3)).toEqual({
      name: "t",
      error: "INVALID_PARTITIONS",
      message: "Topic already has 3 partition(s).",
    });
    const partitions = cluster.controllers
      .get(4)!
      .role.committedImage()
      .topicByName("t")!.partitions;
    expect(partitions).toHaveLength(3);
    for (const p of partitions) expect(p.replicas).toHaveLength(3);
  });

  it("deletes topics", () => {
    const cluster = buildControllerCluster(base);
    cluster.engine.runUntil(1 * SECOND);
    const deleted = adminCall(cluster, { op: "DeleteTopics", topics: ["t", "nope"] });
    expect(deleted.results).toEqual([
      { name: "t", error: "NONE", message: "" },
      {
        name: "nope",
        error: "UNKNOWN_TOPIC_OR_PARTITION",
        message: "This server does not host this topic-partition.",
      },
    ]);
    expect(cluster.controllers.get(4)!.role.committedImage().topicByName("t")).toBeUndefined();
    expect(eventsOf(cluster, "metadata.record").at(-1)).toMatchObject({
      record: "RemoveTopicRecord",
      topic: "t",
    });
  });

  it("reassigns a partition: adds the new replica, completes when it joins the ISR", () => {
    const cluster = buildControllerCluster({ topics: [{ name: "r", assignment: [[1, 2]] }] });
    cluster.engine.runUntil(1 * SECOND);
    const started = adminCall(cluster, {
      op: "AlterPartitionReassignments",
      reassignments: [{ topic: "r", partition: 0, replicas: [2, 3] }],
    });
    expect(started.results).toEqual([{ name: "r-0", error: "NONE", message: "" }]);
    // Target first, then the replica leaving; the leader keeps leading meanwhile.
    expect(partitionOf(cluster, "r", 0)).toMatchObject({
      replicas: [2, 3, 1],
      addingReplicas: [3],
      removingReplicas: [1],
      isr: [1, 2],
      leader: 1,
      partitionEpoch: 1,
    });
    // The leader adds 3 to the ISR: that completes the move, and 1 is no longer a replica, so
    // leadership passes to 2 (the leader learns it as NEW_LEADER_ELECTED).
    const answer = alterPartition(cluster, 1, {
      topic: "r",
      partition: 0,
      leaderEpoch: 0,
      partitionEpoch: 1,
      newIsr: [1, 2, 3],
      leaderRecoveryState: "RECOVERED",
    });
    expect(answer.partitions[0]!.error).toBe("NEW_LEADER_ELECTED");
    expect(partitionOf(cluster, "r", 0)).toMatchObject({
      replicas: [2, 3],
      addingReplicas: [],
      removingReplicas: [],
      isr: [2, 3],
      leader: 2,
      leaderEpoch: 1,
    });
  });

  it("alters configs; a min.insync.replicas change clears the ELR", () => {
    const cluster = buildControllerCluster({
      topics: [{ name: "s", assignment: [[1, 2, 3]], configs: { "min.insync.replicas": "2" } }],
    });
    cluster.engine.runUntil(1 * SECOND);
    broker(cluster, 1).heartbeating = false;
    broker(cluster, 2).heartbeating = false;
    cluster.engine.runUntil(12 * SECOND);
    // Fenced one after the other: 1 leaves while ISR {2,3} still meets min ISR 2, so only 2,
    // removed when the ISR drops below it, enters the ELR.
    expect(partitionOf(cluster, "s", 0)).toMatchObject({ isr: [3], elr: [2] });
    const call = (set: Record<string, string>, resourceType: "topic" | "broker" = "topic") =>
      adminCall(cluster, {
        op: "IncrementalAlterConfigs",
        resourceType,
        resourceName: resourceType === "topic" ? "s" : "",
        set,
        delete: [],
      }).results[0]!;
    expect(call({ "no.such.config": "1" })).toEqual({
      name: "s",
      error: "INVALID_CONFIG",
      message: "Unknown topic config name: no.such.config",
    });
    expect(call({ "log.dirs": "/x" }, "broker").error).toBe("INVALID_CONFIG");
    expect(call({ "min.insync.replicas": "1" })).toEqual({ name: "s", error: "NONE", message: "" });
    expect(partitionOf(cluster, "s", 0)).toMatchObject({ isr: [3], elr: [], lastKnownElr: [] });
    const image = cluster.controllers.get(4)!.role.committedImage();
    expect(image.topicByName("s")!.configs).toEqual({ "min.insync.replicas": "1" });
  });
});
