// groups: coordinator: the first FindCoordinator creates __consumer_offsets (50 partitions, RF 3,
// compacted); a group's committed offsets survive the crash of its coordinator (the new leader of
// the offsets partition reloads them from its log); a member that stops heartbeating is expired
// after session.timeout.ms and the group rebalances without it.
import { describe, expect, it } from "vitest";
import type { Actor, Engine, SimEvent } from "../../sim/engine/engine.ts";
import type { TraceEvent } from "../../sim/engine/trace.ts";
import { Host } from "../../sim/infra/host.ts";
import type { NetDelivery, Network } from "../../sim/infra/network.ts";
import { coordinatorPartition, OFFSETS_TOPIC } from "../../sim/kafka/group/placement.ts";
import { HEADER_BYTES } from "../../sim/kafka/protocol.ts";
import type {
  ClientCoordinationMessage,
  CoordinatorRequest,
  JoinGroupResponse,
  OffsetCommitResponse,
  OffsetFetchResponse,
} from "../../sim/kafka/protocol-clients.ts";
import type { KafkaError } from "../../sim/kafka/types.ts";
import { ClusterWorld, DEFAULT_MACHINE } from "../support/cluster-world.ts";

const TOPIC = "orders";
const PARTITIONS = 4;
const REQUEST_TIMEOUT_US = 5_000_000;
const RETRY_US = 200_000;
const HEARTBEAT_US = 1_000_000;

type Timer =
  | { readonly what: "find" }
  | { readonly what: "heartbeat"; readonly generation: number }
  | { readonly what: "timeout"; readonly correlationId: number };

/**
 * A minimal scripted group member: finds the coordinator (rotating over the bootstrap brokers when
 * one does not answer), joins (answering MEMBER_ID_REQUIRED), assigns round-robin when it leads,
 * syncs, heartbeats every second, and rejoins when told to. `stop()` makes it go silent, as a hung
 * process would (no LeaveGroup).
 */
class MiniMember implements Actor {
  memberId = "";
  generation = -1;
  assignment: string[] = [];
  coordinator: string | undefined;
  alive = true;
  readonly log: Array<{ t: number; message: ClientCoordinationMessage }> = [];
  private correlation = 0;
  private bootstrapIndex = 0;
  private readonly inFlight = new Map<number, CoordinatorRequest>();
  private onCommit: ((r: OffsetCommitResponse) => void) | undefined;
  private onFetch: ((r: OffsetFetchResponse) => void) | undefined;

  constructor(
    readonly id: string,
    private readonly engine: Engine,
    private readonly network: Network,
    private readonly bootstrap: readonly number[],
    private readonly sessionTimeoutMs = 10_000,
    private readonly instanceId: string | null = null,
  ) {
    new Host(engine, network, { name: id, ...DEFAULT_MACHINE });
    engine.register(this);
  }

  start(): void {
    this.find();
  }

  stop(): void {
    this.alive = false;
  }

  /** A new process of the same member: no member id yet, same group.instance.id. */
  restart(): void {
    this.alive = true;
    this.memberId = "";
    this.generation = -1;
    this.assignment = [];
    this.inFlight.clear();
    this.coordinator = undefined;
    this.find();
  }

  commit(offsets: Record<number, number>, done: (r: OffsetCommitResponse) => void): void {
    this.onCommit = done;
    this.request({
      type: "OffsetCommitRequest",
      bytes: HEADER_BYTES,
      correlationId: 0,
      groupId: "g1",
      generationId: this.generation,
      memberId: this.memberId,
      groupInstanceId: null,
      partitions: Object.entries(offsets).map(([p, offset]) => ({
        topic: TOPIC,
        partition: Number(p),
        offset,
        leaderEpoch: -1,
        metadata: "",
      })),
    });
  }

  fetchOffsets(done: (r: OffsetFetchResponse) => void): void {
    this.onFetch = done;
    this.request({
      type: "OffsetFetchRequest",
      bytes: HEADER_BYTES,
      correlationId: 0,
      groupId: "g1",
      partitions: null,
      requireStable: false,
    });
  }

  handle(event: SimEvent): void {
    if (!this.alive) return;
    if (event.kind === "net.message") {
      const delivery = event.payload as NetDelivery<ClientCoordinationMessage>;
      return this.onMessage(delivery.from, delivery.message);
    }
    if (event.kind !== "member.timer") return;
    const timer = event.payload as Timer;
    switch (timer.what) {
      case "find":
        return this.find();
      case "heartbeat":
        if (timer.generation !== this.generation || this.coordinator === undefined) return;
        this.request({
          type: "HeartbeatRequest",
          bytes: HEADER_BYTES,
          correlationId: 0,
          groupId: "g1",
          generationId: this.generation,
          memberId: this.memberId,
          groupInstanceId: this.instanceId,
        });
        this.engine.schedule(HEARTBEAT_US, this.id, "member.timer", timer);
        return;
      case "timeout":
        if (!this.inFlight.has(timer.correlationId)) return;
        this.inFlight.clear();
        this.bootstrapIndex++;
        this.coordinator = undefined;
        return this.find();
    }
  }

  private find(): void {
    const broker = this.bootstrap[this.bootstrapIndex % this.bootstrap.length]!;
    this.request(
      {
        type: "FindCoordinatorRequest",
        bytes: HEADER_BYTES,
        correlationId: 0,
        key: "g1",
        keyType: "group",
      },
      String(broker),
    );
  }

  private join(): void {
    this.request({
      type: "JoinGroupRequest",
      bytes: HEADER_BYTES,
      correlationId: 0,
      groupId: "g1",
      sessionTimeoutMs: this.sessionTimeoutMs,
      rebalanceTimeoutMs: 30_000,
      memberId: this.memberId,
      groupInstanceId: this.instanceId,
      protocolType: "consumer",
      protocols: [
        {
          name: "roundrobin",
          metadata: { topics: [TOPIC], ownedPartitions: [], generationId: -1, rackId: null },
        },
      ],
      reason: "test",
      clientId: this.id,
    });
  }

  private request(message: CoordinatorRequest, to = this.coordinator): void {
    if (to === undefined) return;
    const correlationId = ++this.correlation;
    const m = { ...message, correlationId } as CoordinatorRequest;
    this.inFlight.set(correlationId, m);
    this.network.send(this.id, to, m);
    this.engine.schedule(REQUEST_TIMEOUT_US, this.id, "member.timer", {
      what: "timeout",
      correlationId,
    } satisfies Timer);
  }

  private retryFind(): void {
    this.coordinator = undefined;
    this.engine.schedule(RETRY_US, this.id, "member.timer", { what: "find" } satisfies Timer);
  }

  private onMessage(from: string, m: ClientCoordinationMessage): void {
    if (!this.inFlight.delete(m.correlationId)) return;
    this.log.push({ t: this.engine.now, message: m });
    switch (m.type) {
      case "FindCoordinatorResponse":
        if (m.error !== "NONE") return this.retryFind();
        this.coordinator = String(m.nodeId);
        if (this.onFetch !== undefined && this.generation < 0 && this.memberId === "fetch-only") {
          return this.fetchOffsets(this.onFetch);
        }
        return this.join();
      case "JoinGroupResponse":
        return this.onJoin(m);
      case "SyncGroupResponse":
        if (m.error === "NONE") {
          this.assignment = m.assignment.map((tp) => `${tp.topic}-${tp.partition}`);
          this.engine.schedule(HEARTBEAT_US, this.id, "member.timer", {
            what: "heartbeat",
            generation: this.generation,
          } satisfies Timer);
          return;
        }
        return this.onGroupError(m.error);
      case "HeartbeatResponse":
        if (m.error !== "NONE") this.onGroupError(m.error);
        return;
      case "OffsetCommitResponse":
        this.onCommit?.(m);
        return;
      case "OffsetFetchResponse":
        if (m.error !== "NONE") {
          this.retryFind();
          return;
        }
        this.onFetch?.(m);
        return;
      default:
        void from;
        return;
    }
  }

  private onJoin(m: JoinGroupResponse): void {
    if (m.error === "MEMBER_ID_REQUIRED") {
      this.memberId = m.memberId;
      return this.join();
    }
    if (m.error !== "NONE") return this.onGroupError(m.error);
    this.memberId = m.memberId;
    this.generation = m.generationId;
    const members = m.members.map((x) => x.memberId).sort();
    const assignments = members.map((memberId) => ({
      memberId,
      partitions: Array.from({ length: PARTITIONS }, (_, p) => p)
        .filter((p) => members[p % members.length] === memberId)
        .map((partition) => ({ topic: TOPIC, partition })),
    }));
    this.request({
      type: "SyncGroupRequest",
      bytes: HEADER_BYTES,
      correlationId: 0,
      groupId: "g1",
      generationId: m.generationId,
      memberId: m.memberId,
      groupInstanceId: this.instanceId,
      protocolType: "consumer",
      protocolName: m.protocolName ?? "roundrobin",
      assignments: m.leader === m.memberId ? assignments : [],
    });
  }

  private onGroupError(error: KafkaError): void {
    if (error === "REBALANCE_IN_PROGRESS") return this.join();
    if (error === "UNKNOWN_MEMBER_ID" || error === "ILLEGAL_GENERATION") {
      this.memberId = "";
      this.generation = -1;
      return this.join();
    }
    // NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE: find it again.
    this.retryFind();
  }
}

function world(): ClusterWorld {
  return new ClusterWorld({
    seed: 7,
    brokers: 3,
    controllers: { kind: "dedicated", count: 3 },
    topics: [{ name: TOPIC, partitions: PARTITIONS, replicationFactor: 3 }],
    recordTrace: true,
  });
}

const of = (trace: readonly TraceEvent[], type: string) => trace.filter((e) => e.type === type);

describe("groups: coordinator: first use creates __consumer_offsets", () => {
  const w = world();
  const a = new MiniMember("member-a", w.engine, w.network, [1, 2, 3]);
  w.at(1_000_000, () => a.start());
  w.runUntil(15_000_000);

  it("asks the controller once for 50 partitions, RF 3, compacted", () => {
    const created = of(w.trace, "coordinator.topic.create");
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({ partitions: 50, replicationFactor: 3 });
    const topic = w.image().topicByName(OFFSETS_TOPIC);
    expect(topic?.partitions).toHaveLength(50);
    expect(topic?.partitions.every((p) => p.replicas.length === 3)).toBe(true);
    expect(topic?.configs["cleanup.policy"]).toBe("compact");
  });

  it("answers COORDINATOR_NOT_AVAILABLE first, then the leader of the group's partition", () => {
    const finds = a.log.filter((l) => l.message.type === "FindCoordinatorResponse");
    expect(finds[0]?.message).toMatchObject({ error: "COORDINATOR_NOT_AVAILABLE", nodeId: -1 });
    const ok = finds.find((l) => (l.message as { error: string }).error === "NONE");
    const partition = coordinatorPartition("g1", 50);
    const leader = w.image().topicByName(OFFSETS_TOPIC)?.partitions[partition]?.leader;
    expect(ok?.message).toMatchObject({ nodeId: leader });
  });

  it("brings the lone member's group to Stable, generation 1, after the initial rebalance delay", () => {
    const stable = of(w.trace, "group.state").filter((e) => e.state === "Stable");
    expect(stable[0]).toMatchObject({ group: "g1", generation: 1 });
    const preparing = of(w.trace, "group.state").find((e) => e.state === "PreparingRebalance");
    const completing = of(w.trace, "group.state").find((e) => e.state === "CompletingRebalance");
    // group.initial.rebalance.delay.ms = 3000, and no second member arrived to extend it.
    expect(completing!.t - preparing!.t).toBe(3_000_000);
    expect(a.assignment).toEqual(["orders-0", "orders-1", "orders-2", "orders-3"]);
  });
});

describe("groups: coordinator: commits survive the coordinator's crash", () => {
  const w = world();
  const a = new MiniMember("member-a", w.engine, w.network, [1, 2, 3]);
  w.at(1_000_000, () => a.start());
  const commits: OffsetCommitResponse[] = [];
  w.at(12_000_000, () => a.commit({ 0: 42, 1: 7 }, (r) => commits.push(r)));
  let crashed = -1;
  w.at(14_000_000, () => {
    crashed = Number(a.coordinator);
    a.stop();
    w.cluster.crash(String(crashed), "process");
  });
  // A second client, on its own host, asks whoever coordinates g1 now for the committed offsets.
  const reader = new MiniMember("reader", w.engine, w.network, [1, 2, 3]);
  const fetched: OffsetFetchResponse[] = [];
  w.at(30_000_000, () => {
    reader.memberId = "fetch-only";
    reader.fetchOffsets((r) => fetched.push(r));
    reader.start();
  });
  w.runUntil(60_000_000);

  it("acknowledges the commit once the loopback append is replicated", () => {
    expect(commits).toHaveLength(1);
    expect(commits[0]!.partitions.map((p) => p.error)).toEqual(["NONE", "NONE"]);
    expect(of(w.trace, "offset.commit").map((e) => [e.partition, e.offset, e.error])).toEqual([
      [0, 42, "NONE"],
      [1, 7, "NONE"],
    ]);
  });

  it("moves the coordinator: another broker loads the partition and serves the offsets", () => {
    const partition = coordinatorPartition("g1", 50);
    const loads = of(w.trace, "coordinator.load").filter((e) => e.partition === partition);
    const after = loads.filter((e) => e.t > 14_000_000);
    expect(after.length).toBeGreaterThanOrEqual(1);
    expect(after[0]!.node).not.toBe(String(crashed));
    expect(after[0]!.groups).toBe(1);
    expect(fetched).toHaveLength(1);
    expect(fetched[0]!.partitions.map((p) => [p.partition, p.offset])).toEqual([
      [0, 42],
      [1, 7],
    ]);
  });
});

describe("groups: coordinator: session expiry", () => {
  const w = world();
  const a = new MiniMember("member-a", w.engine, w.network, [1, 2, 3]);
  const b = new MiniMember("member-b", w.engine, w.network, [1, 2, 3]);
  w.at(1_000_000, () => a.start());
  w.at(1_000_000, () => b.start());
  let stoppedAt = 0;
  w.at(20_000_000, () => {
    stoppedAt = w.engine.now;
    a.stop();
  });
  w.runUntil(45_000_000);

  it("first forms one generation with both members", () => {
    const sync = of(w.trace, "group.sync")[0];
    expect(sync?.generation).toBe(1);
    expect(sync?.assignment).toHaveLength(2);
  });

  it("expires the silent member within session.timeout.ms of its last heartbeat", () => {
    const expired = of(w.trace, "group.member.expired");
    expect(expired).toHaveLength(1);
    expect(expired[0]).toMatchObject({
      group: "g1",
      member: a.memberId,
      reason: "session-timeout",
    });
    // Its last heartbeat was at most 1 s (the heartbeat interval) before it stopped.
    expect(expired[0]!.t).toBeGreaterThanOrEqual(stoppedAt + 10_000_000 - 1_000_000);
    expect(expired[0]!.t).toBeLessThanOrEqual(stoppedAt + 10_000_000 + 100_000);
  });

  it("rebalances: generation 2 gives every partition to the survivor", () => {
    const syncs = of(w.trace, "group.sync");
    expect(syncs.at(-1)?.generation).toBe(2);
    expect(b.generation).toBe(2);
    expect(b.assignment).toEqual(["orders-0", "orders-1", "orders-2", "orders-3"]);
  });
});

describe("groups: coordinator: static member bounce (S21)", () => {
  // Two static members (i1, i2; session 10 s). i1's process stops at 20 s and a new one with the
  // same group.instance.id is back at 25 s: no rebalance, same partitions, a new member id. Then
  // it stops for good at 40 s: nothing happens until its session expires, then i2 takes all.
  const w = world();
  const a = new MiniMember("member-a", w.engine, w.network, [1, 2, 3], 10_000, "i1");
  const b = new MiniMember("member-b", w.engine, w.network, [1, 2, 3], 10_000, "i2");
  w.at(1_000_000, () => a.start());
  w.at(1_000_000, () => b.start());
  let before: { memberId: string; assignment: string[] } | undefined;
  w.at(20_000_000, () => {
    before = { memberId: a.memberId, assignment: [...a.assignment] };
    a.stop();
  });
  w.at(25_000_000, () => a.restart());
  let after: { memberId: string; assignment: string[]; generation: number } | undefined;
  w.at(30_000_000, () => {
    after = { memberId: a.memberId, assignment: [...a.assignment], generation: a.generation };
  });
  w.at(40_000_000, () => a.stop());
  w.runUntil(60_000_000);

  it("takes the restarted process back under a new member id, same generation and partitions", () => {
    expect(before?.memberId.startsWith("i1-")).toBe(true);
    expect(after?.memberId.startsWith("i1-")).toBe(true);
    expect(after?.memberId).not.toBe(before?.memberId);
    expect(after?.generation).toBe(1);
    expect(after?.assignment).toEqual(before?.assignment);
    const rebalances = of(w.trace, "group.state").filter(
      (e) => e.state === "PreparingRebalance" && e.t < 40_000_000,
    );
    expect(rebalances).toHaveLength(1);
    const rejoin = of(w.trace, "group.join").find((e) => e.replaced === before?.memberId);
    expect(rejoin?.instance).toBe("i1");
  });

  it("moves its partitions only when its session expires after the final stop", () => {
    const expired = of(w.trace, "group.member.expired");
    expect(expired).toHaveLength(1);
    expect(expired[0]!.t).toBeGreaterThanOrEqual(40_000_000 + 10_000_000 - 1_000_000);
    expect(b.generation).toBe(2);
    expect(b.assignment).toEqual(["orders-0", "orders-1", "orders-2", "orders-3"]);
  });
});
