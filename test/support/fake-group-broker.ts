/**
 * A scripted single broker for consumer unit tests: it leads every partition of its topics (each a
 * fixed log of equal batches, epoch 0), answers Metadata, Fetch, ListOffsets, and acts as a small
 * classic group coordinator (FindCoordinator, JoinGroup with MEMBER_ID_REQUIRED, SyncGroup,
 * Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch, session expiry). It is deliberately simpler
 * than the real coordinator: one group, a join completes as soon as every known member has
 * rejoined (or after the largest rebalance timeout), no initial rebalance delay, no static
 * membership replacement, no persistence.
 */
import type { Actor, Engine, SimEvent } from "../../sim/engine/engine.ts";
import { Host } from "../../sim/infra/host.ts";
import type { NetDelivery, NetMessage, Network } from "../../sim/infra/network.ts";
import {
  type FetchRequest,
  HEADER_BYTES,
  type ListOffsetsRequest,
  type MetadataRequest,
} from "../../sim/kafka/protocol.ts";
import type {
  JoinGroupRequest,
  JoinGroupResponse,
  MemberAssignment,
  OffsetCommitRequest,
  OffsetFetchRequest,
  SyncGroupRequest,
} from "../../sim/kafka/protocol-clients.ts";
import type { KafkaError, RecordBatch } from "../../sim/kafka/types.ts";
import { DEFAULT_MACHINE } from "./cluster-world.ts";

export interface FakeTopic {
  readonly name: string;
  readonly partitions: number;
  /** Records in each partition's log (offsets 0..records-1). */
  readonly records: number;
  readonly batchRecords: number;
  readonly recordBytes: number;
}

interface Member {
  readonly memberId: string;
  readonly from: string;
  request: JoinGroupRequest;
  pendingJoin: number | undefined;
  pendingSync: number | undefined;
  lastSeenUs: number;
  assignment: MemberAssignment["partitions"];
}

export class FakeGroupBroker implements Actor {
  readonly id = "1";
  readonly host: Host;
  readonly received: string[] = [];
  private readonly members = new Map<string, Member>();
  private generation = 0;
  private phase: "empty" | "preparing" | "completing" | "stable" = "empty";
  private leader = "";
  private protocol = "";
  private seq = 0;
  private rebalanceRound = 0;
  private readonly committed = new Map<string, number>();

  constructor(
    private readonly engine: Engine,
    private readonly network: Network,
    private readonly topics: readonly FakeTopic[],
  ) {
    this.host = new Host(engine, network, { name: "1", ...DEFAULT_MACHINE });
    engine.register(this);
    this.engine.schedule(100_000, this.id, "expire", null);
  }

  committedOffset(topic: string, partition: number): number {
    return this.committed.get(`${topic}-${partition}`) ?? -1;
  }

  handle(event: SimEvent): void {
    if (event.kind === "expire") return this.expireSessions();
    if (event.kind === "rebalance-timeout") {
      if ((event.payload as number) === this.rebalanceRound && this.phase === "preparing")
        this.completeJoin();
      return;
    }
    if (event.kind === "fetch-wait") {
      const { from, request } = event.payload as { from: string; request: FetchRequest };
      return this.answerFetch(from, request, true);
    }
    if (event.kind !== "net.message") return;
    const d = event.payload as NetDelivery<NetMessage>;
    const m = d.message;
    this.received.push(m.type);
    switch (m.type) {
      case "MetadataRequest":
        return this.onMetadata(d.from, m as unknown as MetadataRequest);
      case "FetchRequest":
        return this.answerFetch(d.from, m as unknown as FetchRequest, false);
      case "ListOffsetsRequest":
        return this.onListOffsets(d.from, m as unknown as ListOffsetsRequest);
      case "FindCoordinatorRequest":
        return this.reply(d.from, {
          type: "FindCoordinatorResponse",
          correlationId: m.correlationId,
          error: "NONE",
          nodeId: 1,
        });
      case "JoinGroupRequest":
        return this.onJoin(d.from, m as unknown as JoinGroupRequest);
      case "SyncGroupRequest":
        return this.onSync(m as unknown as SyncGroupRequest);
      case "HeartbeatRequest":
        return this.onHeartbeat(d.from, m);
      case "LeaveGroupRequest": {
        const memberId = (m.members as Array<{ memberId: string }>)[0]!.memberId;
        this.reply(d.from, {
          type: "LeaveGroupResponse",
          correlationId: m.correlationId,
          error: "NONE",
          members: [{ memberId, error: "NONE" }],
        });
        if (this.members.delete(memberId)) this.startRebalance();
        return;
      }
      case "OffsetCommitRequest":
        return this.onCommit(d.from, m as unknown as OffsetCommitRequest);
      case "OffsetFetchRequest":
        return this.onOffsetFetch(d.from, m as unknown as OffsetFetchRequest);
    }
  }

  private reply(to: string, m: Record<string, unknown>): void {
    this.network.send(this.id, to, { bytes: HEADER_BYTES, ...m } as NetMessage);
  }

  private topic(name: string): FakeTopic | undefined {
    return this.topics.find((t) => t.name === name);
  }

  private onMetadata(from: string, m: MetadataRequest): void {
    const names = m.topics ?? this.topics.map((t) => t.name);
    this.reply(from, {
      type: "MetadataResponse",
      correlationId: m.correlationId,
      brokers: [{ nodeId: 1, rack: null }],
      controllerId: 1,
      topics: names.map((name) => {
        const t = this.topic(name);
        return {
          name,
          error: t === undefined ? "UNKNOWN_TOPIC_OR_PARTITION" : "NONE",
          topicId: name,
          partitions: Array.from({ length: t?.partitions ?? 0 }, (_, partition) => ({
            partition,
            error: "NONE",
            leader: 1,
            leaderEpoch: 0,
            replicas: [1],
            isr: [1],
            offlineReplicas: [],
          })),
        };
      }),
    });
  }

  private answerFetch(from: string, m: FetchRequest, expired: boolean): void {
    let remaining = m.maxBytes;
    let total = 0;
    const partitions = m.partitions.map((fp) => {
      const t = this.topic(fp.topic)!;
      const batchBytes = t.batchRecords * t.recordBytes;
      const batches: RecordBatch[] = [];
      let bytes = 0;
      let base = Math.floor(fp.fetchOffset / t.batchRecords) * t.batchRecords;
      while (base < t.records) {
        const limit = Math.min(remaining, fp.partitionMaxBytes);
        if (bytes + batchBytes > limit && !(total === 0 && batches.length === 0)) break;
        batches.push({
          baseOffset: base,
          count: Math.min(t.batchRecords, t.records - base),
          bytes: batchBytes,
          leaderEpoch: 0,
          firstTimestampUs: 0,
          maxTimestampUs: 0,
          producerId: -1,
          producerEpoch: -1,
          baseSequence: -1,
          isTransactional: false,
          isControl: false,
          origin: `p:${fp.topic}-${fp.partition}-${base}`,
        });
        bytes += batchBytes;
        base += t.batchRecords;
      }
      remaining = Math.max(0, remaining - bytes);
      total += bytes;
      return {
        topic: fp.topic,
        partition: fp.partition,
        error: (fp.fetchOffset > t.records ? "OFFSET_OUT_OF_RANGE" : "NONE") as KafkaError,
        highWatermark: t.records,
        lastStableOffset: t.records,
        logStartOffset: 0,
        currentLeaderEpoch: 0,
        batches: fp.fetchOffset > t.records ? [] : batches,
      };
    });
    if (total === 0 && !expired) {
      this.engine.schedule(m.maxWaitMs * 1000, this.id, "fetch-wait", { from, request: m });
      return;
    }
    this.network.send(this.id, from, {
      type: "FetchResponse",
      bytes: HEADER_BYTES + total,
      correlationId: m.correlationId,
      partitions,
    } as NetMessage);
  }

  private onListOffsets(from: string, m: ListOffsetsRequest): void {
    this.reply(from, {
      type: "ListOffsetsResponse",
      correlationId: m.correlationId,
      partitions: m.partitions.map((p) => ({
        topic: p.topic,
        partition: p.partition,
        error: "NONE",
        timestamp: p.timestamp,
        offset: p.timestamp === -2 ? 0 : this.topic(p.topic)!.records,
        leaderEpoch: 0,
      })),
    });
  }

  // ---------------------------------------------------------------- group

  private onJoin(from: string, m: JoinGroupRequest): void {
    if (m.memberId === "") {
      this.seq++;
      return this.reply(from, {
        type: "JoinGroupResponse",
        correlationId: m.correlationId,
        error: "MEMBER_ID_REQUIRED",
        generationId: -1,
        protocolName: null,
        leader: "",
        memberId: `${from}-${this.seq}`,
        members: [],
      } satisfies Omit<JoinGroupResponse, "bytes">);
    }
    let member = this.members.get(m.memberId);
    if (member === undefined) {
      member = {
        memberId: m.memberId,
        from,
        request: m,
        pendingJoin: undefined,
        pendingSync: undefined,
        lastSeenUs: this.engine.now,
        assignment: [],
      };
      this.members.set(m.memberId, member);
    }
    member.request = m;
    member.pendingJoin = m.correlationId;
    member.lastSeenUs = this.engine.now;
    if (this.phase !== "preparing") this.startRebalance();
    else this.maybeCompleteJoin();
  }

  private startRebalance(): void {
    if (this.members.size === 0) {
      this.phase = "empty";
      return;
    }
    this.phase = "preparing";
    this.rebalanceRound++;
    let timeoutMs = 0;
    for (const m of this.members.values())
      timeoutMs = Math.max(timeoutMs, m.request.rebalanceTimeoutMs);
    this.engine.schedule(timeoutMs * 1000, this.id, "rebalance-timeout", this.rebalanceRound);
    this.maybeCompleteJoin();
  }

  private maybeCompleteJoin(): void {
    for (const m of this.members.values()) if (m.pendingJoin === undefined) return;
    this.completeJoin();
  }

  private completeJoin(): void {
    for (const [id, m] of [...this.members])
      if (m.pendingJoin === undefined) this.members.delete(id);
    if (this.members.size === 0) {
      this.phase = "empty";
      return;
    }
    this.generation++;
    this.phase = "completing";
    const ids = [...this.members.keys()];
    if (!this.members.has(this.leader)) this.leader = ids[0]!;
    const leader = this.members.get(this.leader)!;
    this.protocol =
      leader.request.protocols.find((p) =>
        [...this.members.values()].every((m) => m.request.protocols.some((q) => q.name === p.name)),
      )?.name ?? "range";
    for (const m of this.members.values()) {
      this.reply(m.from, {
        type: "JoinGroupResponse",
        correlationId: m.pendingJoin,
        error: "NONE",
        generationId: this.generation,
        protocolName: this.protocol,
        leader: this.leader,
        memberId: m.memberId,
        members:
          m.memberId === this.leader
            ? [...this.members.values()].map((x) => ({
                memberId: x.memberId,
                groupInstanceId: x.request.groupInstanceId,
                metadata: x.request.protocols.find((p) => p.name === this.protocol)!.metadata,
              }))
            : [],
      });
      m.pendingJoin = undefined;
    }
  }

  private onSync(m: SyncGroupRequest): void {
    const member = this.members.get(m.memberId);
    if (member === undefined || m.generationId !== this.generation) {
      const from = member?.from ?? m.memberId.replace(/-\d+$/, "");
      return this.reply(from, {
        type: "SyncGroupResponse",
        correlationId: m.correlationId,
        error: member === undefined ? "UNKNOWN_MEMBER_ID" : "ILLEGAL_GENERATION",
        protocolName: null,
        assignment: [],
      });
    }
    if (this.phase === "preparing") {
      // A member joined while this generation completed: its SyncGroup starts over.
      return this.reply(member.from, {
        type: "SyncGroupResponse",
        correlationId: m.correlationId,
        error: "REBALANCE_IN_PROGRESS",
        protocolName: null,
        assignment: [],
      });
    }
    member.pendingSync = m.correlationId;
    if (m.memberId === this.leader) {
      for (const a of m.assignments) {
        const x = this.members.get(a.memberId);
        if (x !== undefined) x.assignment = a.partitions;
      }
      this.phase = "stable";
    }
    if (this.phase !== "stable") return;
    for (const x of this.members.values()) {
      if (x.pendingSync === undefined) continue;
      this.reply(x.from, {
        type: "SyncGroupResponse",
        correlationId: x.pendingSync,
        error: "NONE",
        protocolName: this.protocol,
        assignment: x.assignment,
      });
      x.pendingSync = undefined;
    }
  }

  private onHeartbeat(from: string, m: NetMessage): void {
    const member = this.members.get(m.memberId as string);
    let error: KafkaError = "NONE";
    if (member === undefined) error = "UNKNOWN_MEMBER_ID";
    else {
      member.lastSeenUs = this.engine.now;
      if (this.phase === "preparing") error = "REBALANCE_IN_PROGRESS";
      else if (m.generationId !== this.generation) error = "ILLEGAL_GENERATION";
    }
    this.reply(from, { type: "HeartbeatResponse", correlationId: m.correlationId, error });
  }

  private expireSessions(): void {
    const now = this.engine.now;
    let removed = false;
    for (const [id, m] of [...this.members]) {
      if (m.pendingJoin !== undefined) continue;
      if (now - m.lastSeenUs > m.request.sessionTimeoutMs * 1000) {
        this.members.delete(id);
        removed = true;
      }
    }
    if (removed) this.startRebalance();
    this.engine.schedule(100_000, this.id, "expire", null);
  }

  private onCommit(from: string, m: OffsetCommitRequest): void {
    let error: KafkaError = "NONE";
    if (m.generationId >= 0) {
      const member = this.members.get(m.memberId);
      if (member === undefined) error = "UNKNOWN_MEMBER_ID";
      else if (m.generationId !== this.generation) error = "ILLEGAL_GENERATION";
      // Kafka accepts the current generation's commits while preparing a rebalance (that is
      // how onJoinPrepare's commit lands), and refuses them while completing one.
      else if (this.phase === "completing") error = "REBALANCE_IN_PROGRESS";
    }
    if (error === "NONE")
      for (const p of m.partitions) this.committed.set(`${p.topic}-${p.partition}`, p.offset);
    this.reply(from, {
      type: "OffsetCommitResponse",
      correlationId: m.correlationId,
      partitions: m.partitions.map((p) => ({ topic: p.topic, partition: p.partition, error })),
    });
  }

  private onOffsetFetch(from: string, m: OffsetFetchRequest): void {
    this.reply(from, {
      type: "OffsetFetchResponse",
      correlationId: m.correlationId,
      error: "NONE",
      partitions: (m.partitions ?? []).map((p) => ({
        topic: p.topic,
        partition: p.partition,
        offset: this.committedOffset(p.topic, p.partition),
        leaderEpoch: -1,
        metadata: "",
        error: "NONE",
      })),
    });
  }
}
