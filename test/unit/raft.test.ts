// KRaft's Raft layer, driven through dedicated controller nodes on the real engine and network:
// the bootstrap steady state, elections after a crash, vote rules, check-quorum under a partition
// and truncation after the heal, graceful handover, and the leader serving observers.
import { describe, expect, it } from "vitest";
import { assert } from "../../sim/engine/assert.ts";
import type { Actor, Engine, SimEvent } from "../../sim/engine/engine.ts";
import { DISK_PROFILES, NIC_PROFILES } from "../../sim/infra/hardware.ts";
import { Host, PROCESS_START, type ProcessStart } from "../../sim/infra/host.ts";
import type { Network } from "../../sim/infra/network.ts";
import { NET_MESSAGE, type NetDelivery } from "../../sim/infra/network.ts";
import {
  buildBootstrapLog,
  metadataEntryBytes,
  type RaftMessage,
  RaftNode,
  type RaftTimer,
} from "../../sim/kafka/controller/raft.ts";
import type {
  MetadataFetchRequest,
  MetadataFetchResponse,
  MetadataLogEntry,
} from "../../sim/kafka/protocol-control.ts";
import {
  activeController,
  activeControllers,
  adminCall,
  buildControllerCluster,
  type ControllerCluster,
  crashNode,
  eventsOf,
  restartNode,
  runUntil,
} from "../support/kafka-controller-harness.ts";

const SECOND = 1_000_000;
const TOPIC = { name: "t", assignment: [[1, 2, 3]] };

function raftOf(cluster: ControllerCluster, id: number) {
  return cluster.controllers.get(id)!.role.raftSnapshot();
}

function createTopic(cluster: ControllerCluster, name: string) {
  return adminCall(cluster, {
    op: "CreateTopics",
    topics: [{ name, numPartitions: 1, replicationFactor: 3, configs: {} }],
  });
}

function topicRecordNames(cluster: ControllerCluster, id: number): string[] {
  return cluster.controllers
    .get(id)!
    .role.logEntries()
    .flatMap((e) => (e.record.type === "TopicRecord" ? [e.record.name] : []));
}

describe("kafka: raft: bootstrap", () => {
  it("starts in steady state: voter 4 leads epoch 1 at t=0 and every voter agrees", () => {
    const cluster = buildControllerCluster({ topics: [TOPIC] });
    cluster.engine.runUntil(0);
    // The bootstrap log: 3 × (RegisterBrokerRecord + UnfenceBrokerRecord), a TopicRecord and one
    // PartitionRecord = 8 entries, all committed.
    expect(eventsOf(cluster, "raft.leader")).toEqual([
      { t: 0, type: "raft.leader", node: "4", epoch: 1, leader: 4 },
    ]);
    expect(activeController(cluster)).toBe(4);
    for (const id of [4, 5, 6]) {
      const raft = raftOf(cluster, id);
      expect(raft.epoch).toBe(1);
      expect(raft.leaderId).toBe(4);
      expect(raft.logEndOffset).toBe(8);
      expect(raft.highWatermark).toBe(8);
    }
    expect(raftOf(cluster, 5).state).toBe("follower");
  });

  it("stays quiet: no election in 10 s, followers long-poll about twice a second", () => {
    const cluster = buildControllerCluster({ topics: [TOPIC] });
    cluster.engine.runUntil(10 * SECOND);
    expect(eventsOf(cluster, "raft.election")).toEqual([]);
    expect(raftOf(cluster, 6).epoch).toBe(1);
    // With nothing to replicate the leader holds each fetch 500 ms; a round trip adds < 1 ms, so
    // follower 5 sends one fetch at t≈0 and then one every ~500.5 ms: 20 fetches by t=10 s.
    const fetches = cluster.events.filter(
      (e) => e.type === "net.send" && e.from === "5" && e.msg === "MetadataFetchRequest",
    );
    expect(fetches).toHaveLength(20);
  });

  it("builds the bootstrap log in epoch 1 from offset 0", () => {
    const log = buildBootstrapLog([
      { type: "RegisterBrokerRecord", brokerId: 1, brokerEpoch: 0 },
      { type: "UnfenceBrokerRecord", id: 1, epoch: 0 },
    ]);
    expect(log.map((e) => [e.offset, e.epoch])).toEqual([
      [0, 1],
      [1, 1],
    ]);
    // 24 bytes of overhead + "RegisterBrokerRecord" (2 + 20) + brokerId (4) + brokerEpoch (4).
    expect(metadataEntryBytes(log[0]!.record)).toBe(54);
  });
});

describe("kafka: raft: failover", () => {
  it("elects a new leader after the active controller crashes and keeps what was committed", () => {
    const cluster = buildControllerCluster({ topics: [TOPIC] });
    cluster.engine.runUntil(1 * SECOND);
    expect(createTopic(cluster, "kept").results[0]!.error).toBe("NONE");
    const crashedAt = cluster.engine.now;
    crashNode(cluster, 4, "process");
    runUntil(cluster, () => activeControllers(cluster).length === 1, 15 * SECOND);
    const leader = activeController(cluster);
    expect([5, 6]).toContain(leader);
    const elected = eventsOf(cluster, "raft.leader").at(-1)!;
    expect(elected.epoch).toBeGreaterThan(1);
    // Followers notice 2 s (the fetch timeout) after their last answer, which came at most one
    // 500 ms long poll before the crash; an election takes a round trip, a split vote costs at
    // most another 2 election timeouts plus a backoff: well within 8 s.
    expect(elected.t - crashedAt).toBeGreaterThanOrEqual(1.5 * SECOND);
    expect(elected.t - crashedAt).toBeLessThan(8 * SECOND);
    const image = cluster.controllers.get(leader)!.role.committedImage();
    expect(image.topicByName("kept")).toBeDefined();
    expect(createTopic(cluster, "after").results[0]!.error).toBe("NONE");
  });

  it("a restarted former leader rejoins as a follower of the new epoch with its log intact", () => {
    const cluster = buildControllerCluster({ topics: [TOPIC] });
    cluster.engine.runUntil(1 * SECOND);
    createTopic(cluster, "before");
    crashNode(cluster, 4, "power");
    runUntil(cluster, () => activeControllers(cluster).length === 1, 15 * SECOND);
    const leader = activeController(cluster);
    createTopic(cluster, "during");
    restartNode(cluster, 4);
    cluster.engine.runFor(5 * SECOND);
    const four = raftOf(cluster, 4);
    expect(four.state).toBe("follower");
    expect(four.leaderId).toBe(leader);
    expect(four.epoch).toBe(raftOf(cluster, leader).epoch);
    expect(four.highWatermark).toBe(raftOf(cluster, leader).highWatermark);
    // Its image was rebuilt from its log as the new leader committed it again.
    const image = cluster.controllers.get(4)!.role.committedImage();
    expect(image.sortedTopicNames()).toEqual(["before", "during", "t"]);
  });

  it("does not elect a voter whose log is behind (vote by log up-to-dateness)", () => {
    const cluster = buildControllerCluster({ topics: [TOPIC] });
    cluster.engine.runUntil(1 * SECOND);
    // Voter 6 misses the write: 4 and 5 commit it without 6.
    cluster.network.isolate("6");
    expect(createTopic(cluster, "x").results[0]!.error).toBe("NONE");
    expect(raftOf(cluster, 6).logEndOffset).toBeLessThan(raftOf(cluster, 5).logEndOffset);
    // 6 comes back at the moment the leader dies: only 5 holds the whole committed log.
    cluster.network.heal("6");
    crashNode(cluster, 4, "process");
    runUntil(cluster, () => activeControllers(cluster).length === 1, 20 * SECOND);
    expect(activeController(cluster)).toBe(5);
    const sixVotes = eventsOf(cluster, "raft.vote", "5").filter((e) => e.candidate === 6);
    expect(sixVotes.every((e) => e.granted === false)).toBe(true);
  });

  it("hands leadership over on a graceful shutdown faster than an election timeout", () => {
    const cluster = buildControllerCluster({ topics: [TOPIC] });
    cluster.engine.runUntil(1 * SECOND);
    const shutdownAt = cluster.engine.now;
    cluster.controllers.get(4)!.shutdown();
    runUntil(cluster, () => activeControllers(cluster).some((id) => id !== 4), 5 * SECOND);
    // EndQuorumEpoch names the best-replicated voter first; it stands at once (backoff 0), so
    // the new leader needs only a vote round trip and a commit of its LeaderChangeMessage.
    const elected = eventsOf(cluster, "raft.leader").at(-1)!;
    expect(elected.t - shutdownAt).toBeLessThan(1 * SECOND);
    expect(elected.epoch).toBe(2);
  });
});

describe("kafka: raft: partitions", () => {
  it("an isolated leader resigns (check-quorum); after the heal it follows and truncates", () => {
    const cluster = buildControllerCluster({ topics: [TOPIC] });
    cluster.engine.runUntil(1 * SECOND);
    createTopic(cluster, "committed");
    const cutAt = cluster.engine.now;
    cluster.network.partition([
      ["4", "admin"],
      ["5", "6", "1", "2", "3"],
    ]);
    // The old leader still takes a write it can never commit.
    const doomed = cluster.admin.send(4, {
      op: "CreateTopics",
      topics: [{ name: "lost", numPartitions: 1, replicationFactor: 3, configs: {} }],
    });
    runUntil(cluster, () => cluster.admin.responses.has(doomed), 10 * SECOND);
    expect(cluster.admin.responses.get(doomed)!.error).toBe("NOT_CONTROLLER");
    // Check-quorum: 1.5 × the 2 s fetch timeout after the last fetch it heard (≤ cutAt).
    const resignedAt = cluster.admin.responses.get(doomed)!.t;
    expect(resignedAt - cutAt).toBeLessThanOrEqual(3 * SECOND + 10_000);
    expect(resignedAt - cutAt).toBeGreaterThan(2 * SECOND);
    expect(topicRecordNames(cluster, 4)).toContain("lost");
    // Meanwhile the majority elected a leader of its own.
    runUntil(cluster, () => activeControllers(cluster).some((id) => id !== 4), 10 * SECOND);
    const leader = activeController(cluster);
    // The admin client moves to the majority's side.
    cluster.network.heal("admin");
    expect(createTopic(cluster, "majority").results[0]!.error).toBe("NONE");
    cluster.network.heal("all");
    runUntil(
      cluster,
      () => {
        const four = raftOf(cluster, 4);
        const now = activeControllers(cluster);
        return (
          now.length === 1 &&
          four.state === "follower" &&
          four.highWatermark === raftOf(cluster, now[0]!).highWatermark
        );
      },
      30 * SECOND,
    );
    const final = activeController(cluster);
    expect([5, 6]).toContain(final);
    expect(leader).not.toBe(4);
    // The uncommitted TopicRecord is gone from 4's log; the logs are the same entry for entry.
    expect(topicRecordNames(cluster, 4)).not.toContain("lost");
    expect(topicRecordNames(cluster, 4)).toEqual(topicRecordNames(cluster, final));
    expect(cluster.controllers.get(4)!.role.logEntries()).toEqual(
      cluster.controllers.get(final)!.role.logEntries(),
    );
  });
});

/** Sends MetadataFetchRequests by hand and keeps the responses. */
class Observer implements Actor {
  readonly id = "7";
  readonly responses: Array<{ t: number; from: string } & MetadataFetchResponse> = [];
  constructor(private readonly engine: Engine) {
    engine.register(this);
  }
  handle(event: SimEvent): void {
    if (event.kind !== NET_MESSAGE) return;
    const d = event.payload as NetDelivery;
    this.responses.push({
      t: this.engine.now,
      from: d.from,
      ...(d.message as unknown as MetadataFetchResponse),
    });
  }
}

function fetchRequest(fields: Partial<MetadataFetchRequest>): MetadataFetchRequest {
  return {
    type: "MetadataFetchRequest",
    bytes: 96,
    correlationId: 1,
    replicaId: 7,
    fetchOffset: 0,
    lastFetchedEpoch: 0,
    currentLeaderEpoch: 1,
    maxWaitMs: 500,
    ...fields,
  };
}

describe("kafka: raft: observers", () => {
  it("non-leaders redirect, the leader serves the log and answers a held fetch on append", () => {
    const cluster = buildControllerCluster({ topics: [TOPIC] });
    new Host(cluster.engine, cluster.network, {
      name: "7",
      disks: [DISK_PROFILES.ssd],
      nic: NIC_PROFILES["10GbE"],
      memoryBytes: 1024 ** 3,
      cores: 4,
    });
    const observer = new Observer(cluster.engine);
    cluster.engine.runUntil(1 * SECOND);
    const send = (to: string, fields: Partial<MetadataFetchRequest>) =>
      cluster.network.send("7", to, fetchRequest(fields));

    send("5", { correlationId: 1 });
    send("4", { correlationId: 2, currentLeaderEpoch: 0 });
    send("4", { correlationId: 3 });
    cluster.engine.runFor(10_000);
    const [fromFollower, stale, served] = observer.responses;
    expect(fromFollower!.error).toBe("NOT_LEADER_OR_FOLLOWER");
    expect(fromFollower!.currentLeader).toEqual({ leaderId: 4, leaderEpoch: 1 });
    expect(stale!.error).toBe("FENCED_LEADER_EPOCH");
    expect(served!.error).toBe("NONE");
    expect(served!.entries.map((e) => e.offset)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(served!.highWatermark).toBe(8);

    // Caught up: the leader holds the fetch, and answers it as soon as a write is appended.
    send("4", { correlationId: 4, fetchOffset: 8, lastFetchedEpoch: 1 });
    cluster.engine.runFor(100_000);
    expect(observer.responses).toHaveLength(3);
    const sentAt = cluster.engine.now;
    cluster.admin.send(4, {
      op: "CreateTopics",
      topics: [{ name: "new", numPartitions: 1, replicationFactor: 1, configs: {} }],
    });
    cluster.engine.runFor(50_000);
    const held = observer.responses[3]!;
    expect(held.correlationId).toBe(4);
    expect(held.t - sentAt).toBeLessThan(10_000);
    expect(held.entries[0]!.offset).toBe(8);
    expect(held.entries.map((e) => e.record.type)).toContain("TopicRecord");

    // A fetcher whose last epoch disagrees with the log is told where its epoch ends.
    send("4", { correlationId: 5, fetchOffset: 12, lastFetchedEpoch: 1 });
    cluster.engine.runFor(10_000);
    const diverging = observer.responses[4]!;
    expect(diverging.divergingEpoch).toEqual({ epoch: 1, endOffset: 10 });
  });
});

/** A broker-like observer: a RaftNode that is not a voter, replicating the metadata log. */
class RaftObserver implements Actor {
  readonly id = "7";
  readonly raft: RaftNode;
  readonly committed: MetadataLogEntry[] = [];
  constructor(
    engine: Engine,
    network: Network,
    voters: readonly number[],
    bootstrap: readonly MetadataLogEntry[],
  ) {
    this.raft = new RaftNode(
      {
        nodeId: 7,
        voters,
        rng: engine.rng.stream("raft/7/election"),
        electionTimeoutUs: 1 * SECOND,
        fetchTimeoutUs: 2 * SECOND,
        electionBackoffMaxUs: 1 * SECOND,
        requestTimeoutUs: 2 * SECOND,
        retryBackoffUs: 20_000,
        fetchMaxWaitMs: 500,
      },
      {
        now: () => engine.now,
        send: (to, message) => network.send(this.id, String(to), message),
        setTimer: (delayUs, timer) => engine.schedule(delayUs, this.id, "ctl.raft", timer),
        cancelTimer: (handle) => engine.cancel(handle as SimEvent),
        onCommit: (entries) => this.committed.push(...entries),
        onBecomeLeader: () => assert(false, "an observer never leads"),
        onResign: () => undefined,
        trace: () => undefined,
      },
    );
    this.raft.bootstrap(bootstrap, voters[0]!);
    engine.register(this);
  }
  handle(event: SimEvent): void {
    if (event.kind === PROCESS_START) {
      this.raft.start((event.payload as ProcessStart).after !== undefined);
    } else if (event.kind === NET_MESSAGE) {
      const d = event.payload as NetDelivery;
      this.raft.handleMessage(Number(d.from), d.message as unknown as RaftMessage);
    } else if (event.kind === "ctl.raft") {
      this.raft.handleTimer(event.payload as RaftTimer);
    }
  }
}

describe("kafka: raft: observer replica", () => {
  it("follows the leader, applies commits, and finds the next leader after a failover", () => {
    const cluster = buildControllerCluster({ topics: [TOPIC] });
    new Host(cluster.engine, cluster.network, {
      name: "7",
      disks: [DISK_PROFILES.ssd],
      nic: NIC_PROFILES["10GbE"],
      memoryBytes: 1024 ** 3,
      cores: 4,
    }).boot();
    const observer = new RaftObserver(
      cluster.engine,
      cluster.network,
      cluster.voters,
      cluster.bootstrapLog,
    );
    cluster.engine.runUntil(1 * SECOND);
    createTopic(cluster, "seen");
    cluster.engine.runFor(10_000);
    const names = () =>
      observer.committed.flatMap((e) => (e.record.type === "TopicRecord" ? [e.record.name] : []));
    expect(names()).toEqual(["seen"]);
    crashNode(cluster, 4, "process");
    runUntil(cluster, () => activeControllers(cluster).length === 1, 15 * SECOND);
    createTopic(cluster, "later");
    // The observer's fetch timeout (2 s) sends it looking among the voters for the new leader.
    cluster.engine.runFor(5 * SECOND);
    expect(names()).toEqual(["seen", "later"]);
    const view = observer.raft.snapshot();
    expect(view.state).toBe("follower");
    expect(view.leaderId).toBe(activeController(cluster));
    expect(view.highWatermark).toBe(raftOf(cluster, activeController(cluster)).highWatermark);
  });
});

describe("kafka: raft: determinism", () => {
  it("gives the same trace for the same seed, through a crash and an election", () => {
    const run = (seed: number): string => {
      const cluster = buildControllerCluster({ seed, topics: [TOPIC] });
      cluster.engine.runUntil(1 * SECOND);
      crashNode(cluster, 4, "process");
      cluster.engine.runFor(10 * SECOND);
      return cluster.engine.trace.hash();
    };
    expect(run(7)).toBe(run(7));
    expect(run(7)).not.toBe(run(8));
  });
});
