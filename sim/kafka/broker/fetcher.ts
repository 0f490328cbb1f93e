/**
 * The follower side of replication (Kafka's ReplicaFetcherManager, AbstractFetcherThread and
 * ReplicaFetcherThread): for each source broker, `num.replica.fetchers` fetch sessions, each a loop
 * with one request outstanding at a time.
 *
 * Models, per version profile (kafka-reference.md §1.2, §2.7):
 * - the loop: first truncation rounds for partitions that need them (OffsetsForLeaderEpoch), then
 *   the out-of-range recovery (ListOffsets), then one Fetch for every partition ready to fetch, each
 *   at the follower's LEO. The leader holds a fetch up to replica.fetch.wait.max.ms (long poll); a
 *   response triggers the next request at once;
 * - truncation on a new leader or epoch: "hw" truncates to the follower's own HW and fetches (0.10,
 *   the KIP-101 anomalies); "kip101" / "kip279" ask OffsetsForLeaderEpoch and truncate by
 *   kip101TruncationStep / kip279TruncationStep, round after round until done, and never before an
 *   answer; "diverging-epoch" sends lastFetchedEpoch in every Fetch and truncates when the leader
 *   answers with divergingEpoch;
 * - the follower's HW after a fetch is min(leader HW, own LEO), one round trip late;
 * - errors: a partition error delays that partition by replica.fetch.backoff.ms; a request that
 *   times out (replica.socket.timeout.ms) or whose connection breaks stops the whole session for
 *   replica.fetch.backoff.ms; OFFSET_OUT_OF_RANGE truncates to the leader's LEO when the follower
 *   is ahead (unclean election), or restarts the log at the leader's log start when it is behind;
 * - a fetched batch that starts inside the follower's log (possible only after divergence the
 *   protocol did not repair, KIP-101's "stuck replication") marks the partition failed, as Kafka's
 *   fetcher does, until the next leader change.
 *
 * Simplifies: fetch sessions are always full (no incremental fetch, KIP-227); no quotas; no
 * throttling; fetcher threads are not CPU work.
 * Faults it reacts to: lost requests, disconnects, stale epochs, divergence, an offline log dir.
 */
import type { EventHandle } from "../../engine/engine.ts";
import { configString } from "../config.ts";
import {
  kip101TruncationStep,
  kip279TruncationStep,
  type TruncationStep,
} from "../log/leader-epoch-cache.ts";
import { javaStringHash } from "../metadata/image.ts";
import {
  EARLIEST_TIMESTAMP,
  type FetchPartition,
  type FetchPartitionResponse,
  type FetchRequest,
  type FetchResponse,
  HEADER_BYTES,
  LATEST_TIMESTAMP,
  type ListOffsetsRequest,
  type ListOffsetsResponse,
  type OffsetsForLeaderEpochRequest,
  type OffsetsForLeaderEpochResponse,
  PARTITION_ENTRY_BYTES,
  type SecurityProtocol,
  securityProtocolOf,
} from "../protocol.ts";
import type { BrokerContext } from "./context.ts";
import type { ManagedLog } from "./log-manager.ts";
import type { HostedPartition } from "./partition.ts";
import { abs32 } from "./util.ts";

export type FetchStateKind = "truncating" | "fetching" | "out-of-range" | "failed";

export interface PartitionFetchState {
  readonly topic: string;
  readonly partition: number;
  readonly key: string;
  /** The leader epoch the follower fetches under (KIP-320 currentLeaderEpoch). */
  readonly leaderEpoch: number;
  state: FetchStateKind;
  /** No request for this partition before this time (error backoff). */
  delayedUntilUs: number;
}

type InFlight = {
  readonly correlationId: number;
  readonly kind: "fetch" | "epochs" | "offsets";
  readonly timer: EventHandle;
  /** Fetch: the offset each partition was fetched at (a response for another offset is stale). */
  readonly fetchOffsets: ReadonlyMap<string, number>;
};

export interface FetchSession {
  readonly id: string;
  readonly source: number;
  readonly fetcherId: number;
  readonly partitions: Map<string, PartitionFetchState>;
  inFlight: InFlight | undefined;
  /** Session-wide backoff after a failed request, or a wake-up for delayed partitions. */
  wake: EventHandle | undefined;
  wakeAtUs: number;
}

/** What the fetcher needs from the replica manager. */
export interface FetcherOwner {
  readonly ctx: BrokerContext;
  /** The partition and its usable log while this broker follows `leaderId` under `leaderEpoch`. */
  followerLog(
    key: string,
    leaderId: number,
    leaderEpoch: number,
  ): { hp: HostedPartition; ml: ManagedLog } | undefined;
  truncateFollower(
    hp: HostedPartition,
    ml: ManagedLog,
    offset: number,
    why: "epoch" | "diverging" | "out-of-range",
  ): void;
  restartFollowerLogAt(hp: HostedPartition, ml: ManagedLog, offset: number): void;
  /** Appends fetched batches; returns false when the partition must stop (failed append). */
  appendFetched(hp: HostedPartition, ml: ManagedLog, data: FetchPartitionResponse): boolean;
  fetchFailed(hp: HostedPartition, reason: string): void;
}

/** `AbstractFetcherManager.getFetcherId`: abs(31 * topic.hashCode + partition) % fetchers. */
export function fetcherIdFor(topic: string, partition: number, fetchers: number): number {
  return abs32((Math.imul(31, javaStringHash(topic)) + partition) | 0) % fetchers;
}

export class ReplicaFetcherManager {
  private readonly sessions = new Map<string, FetchSession>();
  /** tpKey → the session that fetches it. */
  private readonly sessionOf = new Map<string, FetchSession>();

  /** security.inter.broker.protocol: the connections replica fetches use. */
  private readonly interBrokerProtocol: SecurityProtocol;

  constructor(private readonly owner: FetcherOwner) {
    this.interBrokerProtocol = securityProtocolOf(
      configString(owner.ctx.config, "security.inter.broker.protocol"),
    );
  }

  private get ctx(): BrokerContext {
    return this.owner.ctx;
  }

  /** Starts fetching a partition from `leader` (replacing any earlier fetch state for it). */
  add(hp: HostedPartition, leader: number, leaderEpoch: number, state: FetchStateKind): void {
    this.remove(hp.key);
    const fetcherId = fetcherIdFor(hp.topic, hp.partition, this.ctx.settings.numFetchers);
    const id = `${leader}/${fetcherId}`;
    let session = this.sessions.get(id);
    if (session === undefined) {
      session = {
        id,
        source: leader,
        fetcherId,
        partitions: new Map(),
        inFlight: undefined,
        wake: undefined,
        wakeAtUs: 0,
      };
      this.sessions.set(id, session);
    }
    session.partitions.set(hp.key, {
      topic: hp.topic,
      partition: hp.partition,
      key: hp.key,
      leaderEpoch,
      state,
      delayedUntilUs: 0,
    });
    this.sessionOf.set(hp.key, session);
    this.pump(session);
  }

  remove(key: string): void {
    const session = this.sessionOf.get(key);
    if (session === undefined) return;
    session.partitions.delete(key);
    this.sessionOf.delete(key);
  }

  isFetching(key: string): boolean {
    return this.sessionOf.has(key);
  }

  /** Fetch state of a partition (tests and snapshots). */
  stateOf(key: string): FetchStateKind | undefined {
    return this.sessionOf.get(key)?.partitions.get(key)?.state;
  }

  /** The sessions, for snapshots: source broker, fetcher id and the partitions fetched. */
  sessionsView(): Array<{ source: number; fetcherId: number; partitions: string[] }> {
    const out: Array<{ source: number; fetcherId: number; partitions: string[] }> = [];
    for (const s of this.sessions.values()) {
      if (s.partitions.size === 0) continue;
      out.push({ source: s.source, fetcherId: s.fetcherId, partitions: [...s.partitions.keys()] });
    }
    return out;
  }

  /** Drops every session (process restart). */
  clear(): void {
    for (const s of this.sessions.values()) {
      this.ctx.cancel(s.inFlight?.timer);
      this.ctx.cancel(s.wake);
    }
    this.sessions.clear();
    this.sessionOf.clear();
  }

  // ---- the loop ----

  /** Sends the session's next request if none is outstanding and it is not backing off. */
  pump(session: FetchSession): void {
    if (session.inFlight !== undefined || session.wake !== undefined) return;
    const now = this.ctx.now();
    const ready: PartitionFetchState[] = [];
    let nextWakeUs = Number.MAX_SAFE_INTEGER;
    for (const st of session.partitions.values()) {
      if (st.state === "failed") continue;
      if (st.delayedUntilUs > now) {
        nextWakeUs = Math.min(nextWakeUs, st.delayedUntilUs);
        continue;
      }
      ready.push(st);
    }
    const truncating = ready.filter((st) => st.state === "truncating");
    if (truncating.length > 0) return this.sendEpochRequest(session, truncating);
    const outOfRange = ready.filter((st) => st.state === "out-of-range");
    if (outOfRange.length > 0) return this.sendListOffsets(session, outOfRange);
    const fetching = ready.filter((st) => st.state === "fetching");
    if (fetching.length > 0) return this.sendFetch(session, fetching);
    if (nextWakeUs !== Number.MAX_SAFE_INTEGER) this.sleep(session, nextWakeUs - now);
  }

  private sleep(session: FetchSession, delayUs: number): void {
    this.ctx.cancel(session.wake);
    session.wakeAtUs = this.ctx.now() + delayUs;
    session.wake = this.ctx.timer(delayUs, "broker.fetcher.wake", { session: session.id });
  }

  /** The session's wake-up timer fired. */
  onWake(sessionId: string): void {
    const session = this.sessions.get(sessionId);
    if (session === undefined) return;
    session.wake = undefined;
    this.pump(session);
  }

  private startRequest(
    session: FetchSession,
    kind: InFlight["kind"],
    correlationId: number,
    fetchOffsets: ReadonlyMap<string, number>,
  ): void {
    const timer = this.ctx.timer(this.ctx.settings.socketTimeoutUs, "broker.fetcher.timeout", {
      session: session.id,
      correlationId,
    });
    session.inFlight = { correlationId, kind, timer, fetchOffsets };
  }

  private sendFetch(session: FetchSession, states: readonly PartitionFetchState[]): void {
    const ctx = this.ctx;
    const settings = ctx.settings;
    const divergingCheck = ctx.profile.truncation === "diverging-epoch";
    const partitions: FetchPartition[] = [];
    const offsets = new Map<string, number>();
    for (const st of states) {
      const f = this.owner.followerLog(st.key, session.source, st.leaderEpoch);
      if (f === undefined) continue;
      const log = f.ml.log;
      offsets.set(st.key, log.logEndOffset);
      partitions.push({
        topic: st.topic,
        partition: st.partition,
        fetchOffset: log.logEndOffset,
        lastFetchedEpoch: divergingCheck ? log.epochCache.latestEpoch() : -1,
        currentLeaderEpoch: ctx.profile.kip320 ? st.leaderEpoch : -1,
        logStartOffset: log.logStartOffset,
        partitionMaxBytes: settings.fetchMaxBytes,
      });
    }
    if (partitions.length === 0) return;
    const correlationId = ctx.nextCorrelationId();
    const request: FetchRequest = {
      type: "FetchRequest",
      bytes: HEADER_BYTES + PARTITION_ENTRY_BYTES * partitions.length,
      correlationId,
      replicaId: ctx.brokerId,
      replicaEpoch: ctx.brokerEpoch(),
      maxWaitMs: settings.fetchWaitMaxMs,
      minBytes: settings.fetchMinBytes,
      maxBytes: settings.fetchResponseMaxBytes,
      isolationLevel: "read_uncommitted",
      partitions,
      securityProtocol: this.interBrokerProtocol,
    };
    this.startRequest(session, "fetch", correlationId, offsets);
    ctx.send(String(session.source), request);
  }

  private sendEpochRequest(session: FetchSession, states: readonly PartitionFetchState[]): void {
    const ctx = this.ctx;
    const partitions: OffsetsForLeaderEpochRequest["partitions"][number][] = [];
    for (const st of states) {
      const f = this.owner.followerLog(st.key, session.source, st.leaderEpoch);
      if (f === undefined) continue;
      partitions.push({
        topic: st.topic,
        partition: st.partition,
        currentLeaderEpoch: ctx.profile.kip320 ? st.leaderEpoch : -1,
        leaderEpoch: f.ml.log.epochCache.latestEpoch(),
      });
    }
    if (partitions.length === 0) return;
    const correlationId = ctx.nextCorrelationId();
    this.startRequest(session, "epochs", correlationId, new Map());
    ctx.send(String(session.source), {
      type: "OffsetsForLeaderEpochRequest",
      bytes: HEADER_BYTES + PARTITION_ENTRY_BYTES * partitions.length,
      correlationId,
      replicaId: ctx.brokerId,
      partitions,
    } satisfies OffsetsForLeaderEpochRequest);
  }

  private sendListOffsets(session: FetchSession, states: readonly PartitionFetchState[]): void {
    const ctx = this.ctx;
    const partitions: ListOffsetsRequest["partitions"][number][] = [];
    for (const st of states) {
      const epoch = ctx.profile.kip320 ? st.leaderEpoch : -1;
      // Kafka sends two ListOffsets requests (latest, then earliest); one carrying both here.
      partitions.push({
        topic: st.topic,
        partition: st.partition,
        currentLeaderEpoch: epoch,
        timestamp: LATEST_TIMESTAMP,
      });
      partitions.push({
        topic: st.topic,
        partition: st.partition,
        currentLeaderEpoch: epoch,
        timestamp: EARLIEST_TIMESTAMP,
      });
    }
    const correlationId = ctx.nextCorrelationId();
    this.startRequest(session, "offsets", correlationId, new Map());
    ctx.send(String(session.source), {
      type: "ListOffsetsRequest",
      bytes: HEADER_BYTES + PARTITION_ENTRY_BYTES * partitions.length,
      correlationId,
      replicaId: ctx.brokerId,
      isolationLevel: "read_uncommitted",
      partitions,
    } satisfies ListOffsetsRequest);
  }

  // ---- responses and failures ----

  /** Finds the session whose outstanding request this response answers, and ends that request. */
  private takeInFlight(
    from: string,
    correlationId: number,
  ): { session: FetchSession; inFlight: InFlight } | undefined {
    for (const session of this.sessions.values()) {
      const inFlight = session.inFlight;
      if (inFlight === undefined || inFlight.correlationId !== correlationId) continue;
      if (String(session.source) !== from) return undefined;
      this.ctx.cancel(inFlight.timer);
      session.inFlight = undefined;
      return { session, inFlight };
    }
    return undefined;
  }

  onFetchResponse(from: string, response: FetchResponse): void {
    const taken = this.takeInFlight(from, response.correlationId);
    if (taken === undefined) return;
    const { session, inFlight } = taken;
    const now = this.ctx.now();
    const backoffUs = this.ctx.settings.fetchBackoffUs;
    for (const data of response.partitions) {
      const st = session.partitions.get(`${data.topic}-${data.partition}`);
      if (st === undefined || st.state !== "fetching") continue;
      const f = this.owner.followerLog(st.key, session.source, st.leaderEpoch);
      if (f === undefined) continue;
      // The log moved since the request was sent (a truncation): this answer is for another offset.
      if (inFlight.fetchOffsets.get(st.key) !== f.ml.log.logEndOffset) continue;
      switch (data.error) {
        case "NONE":
          if (data.divergingEpoch !== undefined) {
            const step = kip279TruncationStep(data.divergingEpoch, {
              epochCache: f.ml.log.epochCache,
              logEndOffset: f.ml.log.logEndOffset,
              highWatermark: f.ml.log.highWatermark,
            });
            this.owner.truncateFollower(f.hp, f.ml, step.truncateTo, "diverging");
          } else if (!this.owner.appendFetched(f.hp, f.ml, data)) {
            st.state = "failed";
          }
          break;
        case "OFFSET_OUT_OF_RANGE":
          st.state = "out-of-range";
          break;
        default:
          // FENCED_LEADER_EPOCH (our metadata is behind), UNKNOWN_LEADER_EPOCH (the leader's is),
          // NOT_LEADER_OR_FOLLOWER, KAFKA_STORAGE_ERROR, ...: retry after the backoff.
          st.delayedUntilUs = now + backoffUs;
          break;
      }
    }
    this.pump(session);
  }

  onEpochResponse(from: string, response: OffsetsForLeaderEpochResponse): void {
    const taken = this.takeInFlight(from, response.correlationId);
    if (taken === undefined) return;
    const { session } = taken;
    const now = this.ctx.now();
    const backoffUs = this.ctx.settings.fetchBackoffUs;
    for (const data of response.partitions) {
      const st = session.partitions.get(`${data.topic}-${data.partition}`);
      if (st === undefined || st.state !== "truncating") continue;
      const f = this.owner.followerLog(st.key, session.source, st.leaderEpoch);
      if (f === undefined) continue;
      if (data.error !== "NONE") {
        st.delayedUntilUs = now + backoffUs;
        continue;
      }
      const view = {
        epochCache: f.ml.log.epochCache,
        logEndOffset: f.ml.log.logEndOffset,
        highWatermark: f.ml.log.highWatermark,
      };
      const step: TruncationStep =
        this.ctx.profile.truncation === "kip101"
          ? kip101TruncationStep(data.endOffset, view)
          : kip279TruncationStep({ epoch: data.leaderEpoch, endOffset: data.endOffset }, view);
      this.owner.truncateFollower(f.hp, f.ml, step.truncateTo, "epoch");
      if (step.completed) st.state = "fetching";
    }
    this.pump(session);
  }

  onListOffsetsResponse(from: string, response: ListOffsetsResponse): void {
    const taken = this.takeInFlight(from, response.correlationId);
    if (taken === undefined) return;
    const { session } = taken;
    const now = this.ctx.now();
    const backoffUs = this.ctx.settings.fetchBackoffUs;
    const byKey = new Map<string, { latest?: number; earliest?: number; error: boolean }>();
    for (const data of response.partitions) {
      const key = `${data.topic}-${data.partition}`;
      const entry = byKey.get(key) ?? { error: false };
      if (data.error !== "NONE") entry.error = true;
      else if (data.timestamp === LATEST_TIMESTAMP) entry.latest = data.offset;
      else entry.earliest = data.offset;
      byKey.set(key, entry);
    }
    for (const [key, answer] of byKey) {
      const st = session.partitions.get(key);
      if (st === undefined || st.state !== "out-of-range") continue;
      const f = this.owner.followerLog(key, session.source, st.leaderEpoch);
      if (f === undefined) continue;
      if (answer.error || answer.latest === undefined || answer.earliest === undefined) {
        st.delayedUntilUs = now + backoffUs;
        continue;
      }
      const leo = f.ml.log.logEndOffset;
      if (answer.latest < leo) {
        // The leader's log is shorter (an unclean election): cut ours to its end.
        this.owner.truncateFollower(
          f.hp,
          f.ml,
          f.ml.log.batchBoundaryAtOrBelow(answer.latest),
          "out-of-range",
        );
      } else if (answer.earliest > leo) {
        // Retention on the leader passed our end: start over at its log start.
        this.owner.restartFollowerLogAt(f.hp, f.ml, answer.earliest);
      }
      st.state = "fetching";
    }
    this.pump(session);
  }

  /** The outstanding request timed out (replica.socket.timeout.ms). */
  onTimeout(sessionId: string, correlationId: number): void {
    const session = this.sessions.get(sessionId);
    if (session?.inFlight === undefined || session.inFlight.correlationId !== correlationId) return;
    session.inFlight = undefined;
    this.backoff(session);
  }

  /** The connection to a source broker broke: its sessions' outstanding requests are lost. */
  onDisconnect(peer: string): void {
    for (const session of this.sessions.values()) {
      if (String(session.source) !== peer || session.inFlight === undefined) continue;
      this.ctx.cancel(session.inFlight.timer);
      session.inFlight = undefined;
      this.backoff(session);
    }
  }

  private backoff(session: FetchSession): void {
    this.sleep(session, this.ctx.settings.fetchBackoffUs);
  }

  /** Partitions added to or released in a session get a fetch without waiting for a response. */
  pumpAll(): void {
    for (const session of this.sessions.values()) this.pump(session);
  }
}
