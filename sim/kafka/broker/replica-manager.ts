/**
 * The broker's replica manager (Kafka's ReplicaManager with the leader side of Partition.scala,
 * DelayedProduce and DelayedFetch): the partitions this broker hosts, what it does as their leader
 * or follower, and the periodic tasks that keep them.
 *
 * Models (kafka-reference.md §1, §2.6, §2.7, §8):
 * - metadata changes: become leader (a new epoch is assigned in the epoch cache at the LEO, the
 *   follower states are reset, the HW stays where it was), become follower (the fetcher starts
 *   with the truncation the version profile uses), stop when removed from the assignment;
 * - produce: NOT_LEADER_OR_FOLLOWER when not leader; acks=all with ISR < min(min.insync.replicas,
 *   RF) is refused before the append (NOT_ENOUGH_REPLICAS); the leader assigns offsets and stamps
 *   its epoch; acks=0 gets no answer, acks=1 an answer after the local append, acks=all waits in a
 *   delayed produce until HW ≥ last offset + 1 (NOT_ENOUGH_REPLICAS_AFTER_APPEND if the maximal ISR
 *   is below min ISR at that moment) or REQUEST_TIMED_OUT after the request's timeout;
 * - fetch (followers and consumers): KIP-320 epoch fencing, the divergingEpoch check (2.7+), long
 *   poll until min bytes or max wait; the response carries the HW as it was when the fetch was
 *   read, so a follower learns the HW its own fetch advanced one round trip later; the response
 *   leaves after the read from the page cache or disk plus the CPU cost of sendfile;
 * - the HW rule (partition.ts) after each follower fetch, ISR change and append; the ISR shrink
 *   check every replica.lag.time.max.ms / 2; expansion on fetch; one AlterPartition in flight per
 *   partition, all pending items of the broker batched in one request at a time;
 * - tasks: HW checkpoint (and the flushed offsets it reports), retention, the log cleaner, the
 *   flush scheduler (flush.ms), and flush.messages after appends;
 * - log directory failure: the directory's partitions go offline on this broker; all offline halts it.
 *
 * ISR proposals leave as AlterPartition; in ZooKeeper mode the broker's ZooKeeper part
 * (sim/kafka/zk/zk-broker.ts) turns them into AlterIsr (2.7+) or its own conditional ZooKeeper
 * write (before 2.7).
 *
 * - transactions, partition side (§5): WriteTxnMarkers appends one COMMIT/ABORT control batch per
 *   led partition through the leader append path and answers once the HW covers it (acks=all, as
 *   Kafka does); the LSO comes from the log's transaction index; read_committed fetches stop at the
 *   LSO and list the aborted transactions in range; ListOffsets LATEST gives the LSO to
 *   read_committed clients; the cleaner never passes the LSO.
 *
 * - KIP-890 part 1 (3.6+, `transaction.partition.verification.enable`): a transactional batch that
 *   would start a transaction here waits, with the rest of its request, for the coordinator's
 *   verify-only AddPartitionsToTxn (txn-verification.ts); a partition the coordinator does not
 *   place in the producer's open transaction fails with INVALID_TXN_STATE, and an append whose
 *   verification guard a marker cleared meanwhile fails the same way.
 *
 * Simplifies: no follower fetching for consumers (KIP-392), no quotas; no coordinator-epoch check
 * on markers; requests cost no CPU except the
 * sendfile of fetch responses; a produce response waits for the page-cache write (it returns at
 * once unless the cache throttles writers).
 *
 * Faults it suffers or reacts to: crashes (state rebuilt from logs and the HW checkpoint), lost
 * and late messages, stale epochs, offline log directories, a stale metadata image.
 */
import { assert, SimAssertionError, unreachable } from "../../engine/assert.ts";
import type { EventHandle } from "../../engine/engine.ts";
import { transferCost } from "../../infra/transfer.ts";
import { configBoolean, configList, configNumber, hasConfig, isUnlimited } from "../config.ts";
import { LONG_MAX } from "../config-defs.ts";
import { cleanableRange, compact } from "../log/compaction.ts";
import { epochRulesFor } from "../log/leader-epoch-cache.ts";
import type { NewBatch, PartitionLog, PartitionLogConfig } from "../log/partition-log.ts";
import { applyRetention } from "../log/retention.ts";
import type { PartitionState } from "../metadata/image.ts";
import {
  type DeleteRecordsRequest,
  type DeleteRecordsResponse,
  EARLIEST_TIMESTAMP,
  type FetchPartition,
  type FetchPartitionResponse,
  type FetchRequest,
  HEADER_BYTES,
  isEncrypted,
  type ListOffsetsRequest,
  type ListOffsetsResponse,
  type MetadataRequest,
  type MetadataResponse,
  type MetadataResponsePartition,
  type MetadataResponseTopic,
  type OffsetsForLeaderEpochRequest,
  type OffsetsForLeaderEpochResponse,
  PARTITION_ENTRY_BYTES,
  type ProducePartitionData,
  type ProducePartitionResponse,
  type ProduceRequest,
  type ProduceResponse,
} from "../protocol.ts";
import type { AlterPartitionRequest, AlterPartitionResponse } from "../protocol-control.ts";
import type { WriteTxnMarkersRequest, WriteTxnMarkersResponse } from "../protocol-txn.ts";
import type { KafkaError, RecordBatch } from "../types.ts";
import { tpKey } from "../types.ts";
import { type BrokerContext, msToUs } from "./context.ts";
import { type FetcherOwner, ReplicaFetcherManager } from "./fetcher.ts";
import { type LogDir, LogManager, type ManagedLog, type TruncationOutcome } from "./log-manager.ts";
import type { ChangedPartition, MetadataDelta } from "./metadata-cache.ts";
import { type BrokerCounters, type BrokerGauges, newCounters } from "./metrics.ts";
import {
  checkIsrSubset,
  HostedPartition,
  leaderHwCandidate,
  newRemote,
  outOfSyncReplicas,
  type RemoteReplica,
  resetRemote,
  shouldExpandIsr,
  updateFollowerFetchState,
} from "./partition.ts";
import {
  produceErrorForVerification,
  TxnVerifications,
  type VerifyErrors,
  type VerifyPartition,
} from "./txn-verification.ts";

const NO_BATCHES: readonly RecordBatch[] = Object.freeze([]);

/** The answer for a partition that cannot be read (no data, nothing else known). */
function failedRead(fp: FetchPartition, leaderEpoch: number, error: KafkaError): PartitionRead {
  return {
    data: {
      topic: fp.topic,
      partition: fp.partition,
      error,
      highWatermark: -1,
      lastStableOffset: -1,
      logStartOffset: -1,
      currentLeaderEpoch: leaderEpoch,
      batches: NO_BATCHES,
    },
    ml: undefined,
    bytes: 0,
    leoAtRead: -1,
    urgent: true,
  };
}

type IsolationLevel = FetchRequest["isolationLevel"];

/** Where a fetch stops: the LEO for followers, else the HW, or the LSO under read_committed. */
function fetchBound(log: PartitionLog, replicaId: number, isolation: IsolationLevel): number {
  if (replicaId >= 0) return log.logEndOffset;
  return isolation === "read_committed" ? log.lastStableOffset : log.highWatermark;
}

/**
 * A read_committed response's aborted transactions (UnifiedLog.collectAbortedTransactions): those
 * overlapping [fetchOffset, end of the last batch returned); none when nothing is returned.
 */
function abortedInRange(
  log: PartitionLog,
  fetchOffset: number,
  batches: readonly RecordBatch[],
): FetchPartitionResponse["abortedTransactions"] {
  const last = batches[batches.length - 1];
  if (last === undefined) return [];
  return log.txnIndex
    .collectAbortedTransactions(fetchOffset, last.baseOffset + last.count)
    .map(({ producerId, firstOffset }) => ({ producerId, firstOffset }));
}

function sameMembers(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((id) => b.includes(id));
}

type TruncateWhy = "hw" | "epoch" | "diverging" | "power-loss" | "out-of-range";

interface ProduceSlot {
  readonly topic: string;
  readonly partition: number;
  error: KafkaError;
  baseOffset: number;
  logStartOffset: number;
  /** HW this partition waits for (acks=all), -1 when it does not wait. */
  requiredOffset: number;
  /** Its outcome is settled (Kafka's `acksPending = false`). */
  done: boolean;
  /** A WriteTxnMarkers slot: the index of its marker in the request. */
  readonly markerIndex?: number;
}

/** Modeled size of a control batch: the v2 batch header (61 bytes) and one control record. */
const CONTROL_BATCH_BYTES = 78;
/** The timeout of a marker append (Kafka uses request.timeout.ms, default 30000). */
const MARKER_APPEND_TIMEOUT_MS = 30_000;

interface DelayedProduce {
  readonly id: number;
  /** A client's produce, or a transaction coordinator's WriteTxnMarkers (answered in kind). */
  readonly markers?: WriteTxnMarkersRequest;
  readonly from: string;
  readonly correlationId: number;
  readonly client: string;
  readonly startedUs: number;
  readonly slots: ProduceSlot[];
  timer: EventHandle | undefined;
}

interface DelayedFetch {
  readonly id: number;
  readonly from: string;
  readonly request: FetchRequest;
  /** The request's partitions by tpKey (what a wake-up for one key looks at). */
  readonly byKey: ReadonlyMap<string, FetchPartition>;
  timer: EventHandle | undefined;
}

/** What a fetch partition would answer now: nothing yet, data, or at once (error, divergence). */
const PROBE_EMPTY = 0;
const PROBE_DATA = 1;
const PROBE_URGENT = 2;

/** One partition of a fetch, validated and read (batches chosen, no IO yet). */
interface PartitionRead {
  readonly data: FetchPartitionResponse;
  readonly ml: ManagedLog | undefined;
  readonly bytes: number;
  /** The leader's LEO when the fetch was read (for the follower's lastCaughtUp rule). */
  readonly leoAtRead: number;
  /** Completes a delayed fetch at once: an error, or a diverging epoch. */
  readonly urgent: boolean;
}

/** Snapshot of one hosted partition (plain data). */
export interface PartitionSnapshot {
  readonly topic: string;
  readonly partition: number;
  readonly role: HostedPartition["role"];
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
  readonly replicas: readonly number[];
  /** The leader's view on the leader; the metadata's on followers. */
  readonly isr: readonly number[];
  readonly pendingIsr: readonly number[] | null;
  readonly logDir: string;
  readonly logStartOffset: number;
  readonly hw: number;
  readonly leo: number;
  readonly flushedOffset: number;
  readonly lastStable: number;
  /** Aborted transactions still in the log: first offset to the ABORT marker, inclusive. */
  readonly aborted: ReadonlyArray<{ readonly first: number; readonly last: number }>;
  readonly epochs: ReadonlyArray<{ readonly epoch: number; readonly startOffset: number }>;
  readonly segments: ReadonlyArray<{
    readonly baseOffset: number;
    readonly lastOffset: number;
    readonly bytes: number;
  }>;
  readonly fetchState: string | null;
}

const ALTER_PARTITION_RETRY_US = 100_000;

export class ReplicaManager implements FetcherOwner {
  readonly logs: LogManager;
  readonly fetcher: ReplicaFetcherManager;
  readonly counters: BrokerCounters = newCounters();
  /** KIP-890 verification of transactional writes (the broker routes its answers here). */
  readonly verifications: TxnVerifications;
  /** Hosted partitions by tpKey, in the order this broker first hosted them. */
  private readonly partitions = new Map<string, HostedPartition>();
  /** The same, by topic then partition id: request paths look up without building a key. */
  private readonly byTopic = new Map<string, Array<HostedPartition | undefined>>();
  private readonly delayedProduces = new Map<number, DelayedProduce>();
  private readonly delayedFetches = new Map<number, DelayedFetch>();
  private readonly produceWatch = new Map<string, Set<number>>();
  private readonly fetchWatch = new Map<string, Set<number>>();
  private nextDelayedId = 1;
  private readonly alterQueue = new Set<string>();
  private alterInFlight: { correlationId: number; timer: EventHandle; to: string } | undefined;
  private alterRetry: EventHandle | undefined;
  /** Partitions changed since the last invariant check. */
  private readonly touched = new Set<string>();
  private readonly failedDirs = new Set<string>();
  /**
   * Told of every marker written and replicated (error NONE), after the answer is built: Kafka's
   * KafkaApis calls the group coordinator's onTransactionCompleted for `__consumer_offsets`
   * partitions at this point, so pending transactional offset commits become visible or go.
   */
  onMarkerWritten:
    | ((marker: {
        topic: string;
        partition: number;
        producerId: number;
        producerEpoch: number;
        result: "COMMIT" | "ABORT";
      }) => void)
    | undefined;
  /** The last LSO traced per log, while it is behind the HW (see traceLso). */
  private readonly tracedLso = new Map<string, number>();

  constructor(
    readonly ctx: BrokerContext,
    logDirs: readonly string[],
  ) {
    this.logs = new LogManager(ctx.host, logDirs);
    this.fetcher = new ReplicaFetcherManager(this);
    this.verifications = new TxnVerifications(ctx);
  }

  // ------------------------------------------------------------------ lifecycle

  /** A new process: everything in memory is gone; the logs (disk, page cache) stay. */
  resetRuntime(): void {
    this.fetcher.clear();
    this.partitions.clear();
    this.byTopic.clear();
    this.delayedProduces.clear();
    this.delayedFetches.clear();
    this.produceWatch.clear();
    this.fetchWatch.clear();
    this.alterQueue.clear();
    this.alterInFlight = undefined;
    this.alterRetry = undefined;
    this.failedDirs.clear();
    this.tracedLso.clear();
    this.verifications.reset();
  }

  /**
   * Log recovery at a restart: a power loss truncates each log to what reached the disk; every log
   * takes its HW from the last checkpoint (clamped to its LEO).
   */
  recover(after: "process" | "power"): void {
    for (const dir of this.logs.dirs) {
      const disk = this.ctx.host.disk(dir.index);
      dir.offline = disk.isFailed || disk.isFull;
    }
    for (const ml of this.logs.all()) {
      if (after === "power") {
        const out = this.logs.recoverAfterPowerLoss(ml);
        if (out !== undefined) this.traceTruncate(ml, out, "power-loss");
      }
      const before = ml.log.highWatermark;
      ml.log.updateHighWatermarkClamped(this.logs.checkpointedHighWatermark(ml.key));
      // Log loading replays the batches into the transaction index (loadProducerState).
      ml.log.rebuildTxnIndex();
      if (ml.log.highWatermark !== before) this.traceHw(ml);
      else this.traceLso(ml);
      if (ml.log.flushedOffset < ml.reportedFlushedOffset)
        ml.reportedFlushedOffset = ml.log.flushedOffset;
    }
  }

  // ------------------------------------------------------------------ metadata

  /** Applies what a metadata round changed; `full` re-examines every partition (first publish). */
  applyDelta(delta: MetadataDelta, full: boolean): void {
    const image = this.ctx.image();
    for (const topic of delta.topicConfigs) this.topicConfigChanged(topic);
    for (const removed of delta.removedTopics) {
      for (let p = 0; p < removed.partitions; p++) {
        const hp = this.partitions.get(tpKey(removed.name, p));
        if (hp !== undefined) this.stopReplica(hp, true);
      }
    }
    if (full) {
      const all: ChangedPartition[] = [];
      image.forEachPartition((topic, partition) => all.push({ topic: topic.name, partition }));
      for (const c of all) this.applyPartition(c.topic, c.partition);
      // Logs of partitions this broker no longer hosts (deleted or moved while it was down).
      for (const ml of [...this.logs.all()]) {
        if (!this.partitions.has(ml.key)) this.logs.delete(ml);
      }
    } else {
      for (const c of delta.partitions) this.applyPartition(c.topic, c.partition);
    }
    if (delta.brokers) {
      // Fencing changes who is ISR-eligible, which the HW rule and expansion read.
      for (const hp of this.partitions.values()) if (hp.isLeader) this.maybeIncrementHw(hp);
    }
  }

  private applyPartition(topic: string, partition: number): void {
    const image = this.ctx.image();
    const topicImage = image.topicByName(topic);
    const state = topicImage?.partitions[partition];
    const key = tpKey(topic, partition);
    let hp = this.partitions.get(key);
    if (
      topicImage === undefined ||
      state === undefined ||
      !state.replicas.includes(this.ctx.brokerId)
    ) {
      if (hp !== undefined) this.stopReplica(hp, true);
      return;
    }
    if (hp === undefined) {
      hp = new HostedPartition(topic, partition, topicImage.topicId);
      this.partitions.set(key, hp);
      let list = this.byTopic.get(topic);
      if (list === undefined) {
        list = [];
        this.byTopic.set(topic, list);
      }
      list[partition] = hp;
    }
    if (hp.role === "offline") return;
    this.touched.add(key);
    if (state.leader === this.ctx.brokerId) this.makeLeader(hp, state);
    else this.makeFollower(hp, state);
  }

  private lookup(topic: string, partition: number): HostedPartition | undefined {
    return this.byTopic.get(topic)?.[partition];
  }

  private ensureLog(hp: HostedPartition): ManagedLog | undefined {
    let ml = this.logs.get(hp.key);
    if (ml === undefined) {
      ml = this.logs.create(hp.topic, hp.partition, this.logConfigFor(hp.topic), this.ctx.now());
      if (ml === undefined) {
        hp.role = "offline";
        return undefined;
      }
    }
    if (!this.logs.usable(ml)) {
      this.dirFailed(ml.dir);
      return undefined;
    }
    hp.log = ml;
    return ml;
  }

  private makeLeader(hp: HostedPartition, state: PartitionState): void {
    const ctx = this.ctx;
    const ml = this.ensureLog(hp);
    if (ml === undefined) return;
    const now = ctx.now();
    const wasLeader = hp.isLeader;
    assert(
      state.leaderEpoch >= hp.leaderEpoch,
      () => `${hp.key}: leader epoch would go back from ${hp.leaderEpoch} to ${state.leaderEpoch}`,
    );
    const isNewLeaderEpoch = !wasLeader || state.leaderEpoch > hp.leaderEpoch;
    if (!wasLeader) this.fetcher.remove(hp.key);
    hp.role = "leader";
    hp.leaderId = ctx.brokerId;
    hp.replicas = state.replicas.slice();
    // Our own proposal may come back through the metadata log before its AlterPartition response.
    if (
      wasLeader &&
      !isNewLeaderEpoch &&
      hp.pending !== undefined &&
      sameMembers(hp.pending.proposedIsr, state.isr)
    ) {
      this.countIsrChange(hp.pending.kind);
    }
    hp.pending = undefined;
    for (const id of [...hp.remotes.keys()]) if (!hp.replicas.includes(id)) hp.remotes.delete(id);
    const remotes = new Map<number, RemoteReplica>();
    for (const id of hp.replicas) {
      if (id !== ctx.brokerId) remotes.set(id, hp.remotes.get(id) ?? newRemote(id));
    }
    hp.remotes = remotes;
    const isrBefore = wasLeader ? hp.isr : [];
    hp.isr = state.isr.slice();
    if (isNewLeaderEpoch) {
      const startOffset = ml.log.logEndOffset;
      ml.log.assignEpochAtLogEnd(state.leaderEpoch);
      for (const remote of hp.remotes.values()) {
        resetRemote(remote, now, startOffset, !wasLeader, hp.isr.includes(remote.brokerId));
      }
      hp.leaderEpoch = state.leaderEpoch;
      hp.leaderEpochStartOffset = startOffset;
      hp.hwAtEpochStart = ml.log.highWatermark;
      ctx.emit("partition.leader", {
        topic: hp.topic,
        partition: hp.partition,
        leader: ctx.brokerId,
        leaderEpoch: hp.leaderEpoch,
        // What the new leader holds, and whether it was elected uncleanly (KIP-704): the
        // cluster checks the first against the committed offset, and excuses the second.
        leo: startOffset,
        recovering: state.leaderRecoveryState === "RECOVERING",
      });
    }
    this.commitIsr(
      hp,
      state.isr,
      state.partitionEpoch,
      state.leaderRecoveryState,
      isrBefore,
      isNewLeaderEpoch,
    );
    checkIsrSubset(hp);
  }

  private makeFollower(hp: HostedPartition, state: PartitionState): void {
    const ctx = this.ctx;
    const ml = this.ensureLog(hp);
    if (ml === undefined) return;
    const wasLeader = hp.isLeader;
    const isNewLeaderEpoch = state.leaderEpoch > hp.leaderEpoch;
    const isNewLeader = hp.role !== "follower" || hp.leaderId !== state.leader;
    this.verifications.clearPartition(hp.key);
    hp.role = "follower";
    hp.leaderId = state.leader;
    hp.leaderEpoch = Math.max(hp.leaderEpoch, state.leaderEpoch);
    hp.partitionEpoch = state.partitionEpoch;
    hp.replicas = state.replicas.slice();
    hp.isr = state.isr.slice();
    hp.leaderRecoveryState = state.leaderRecoveryState;
    hp.pending = undefined;
    hp.remotes.clear();
    if (wasLeader) {
      this.tryCompleteProduces(hp.key);
      this.wakeFetches(hp.key);
    }
    if (!isNewLeaderEpoch && !isNewLeader) return;
    this.fetcher.remove(hp.key);
    ctx.emit("partition.follower", {
      topic: hp.topic,
      partition: hp.partition,
      leader: state.leader,
      leaderEpoch: state.leaderEpoch,
    });
    const leader = ctx.image().brokers.get(state.leader);
    if (state.leader < 0 || leader === undefined || !leader.registered) return;
    switch (ctx.profile.truncation) {
      case "hw":
        // Before KIP-101 a new follower cuts its log to its own HW, then fetches from there.
        this.truncateFollower(hp, ml, ml.log.highWatermark, "hw");
        this.fetcher.add(hp, state.leader, state.leaderEpoch, "fetching");
        return;
      case "kip101":
      case "kip279":
        this.fetcher.add(hp, state.leader, state.leaderEpoch, "truncating");
        return;
      case "diverging-epoch":
        this.fetcher.add(hp, state.leader, state.leaderEpoch, "fetching");
        return;
      default:
        unreachable(ctx.profile.truncation, "truncation mode");
    }
  }

  private stopReplica(hp: HostedPartition, deleteLog: boolean): void {
    this.fetcher.remove(hp.key);
    this.verifications.clearPartition(hp.key);
    hp.role = "none";
    this.partitions.delete(hp.key);
    const list = this.byTopic.get(hp.topic);
    if (list !== undefined) list[hp.partition] = undefined;
    this.tryCompleteProduces(hp.key);
    this.wakeFetches(hp.key);
    if (deleteLog) {
      const ml = this.logs.get(hp.key);
      if (ml !== undefined) this.logs.delete(ml);
    }
  }

  private topicConfigChanged(topic: string): void {
    const cfg = this.logConfigFor(topic);
    for (const hp of this.partitions.values()) {
      if (hp.topic !== topic || hp.log === undefined) continue;
      hp.log.log.setConfig({
        segmentBytes: cfg.segmentBytes,
        segmentMs: cfg.segmentMs,
        compacted: cfg.compacted,
      });
      if (hp.isLeader) {
        this.maybeIncrementHw(hp);
        this.tryCompleteProduces(hp.key);
      }
    }
  }

  private logConfigFor(topic: string): Partial<PartitionLogConfig> {
    const cfg = this.ctx.topicConfig(topic);
    return {
      segmentBytes: configNumber(cfg, "segment.bytes"),
      segmentMs: configNumber(cfg, "segment.ms"),
      compacted: configList(cfg, "cleanup.policy").includes("compact"),
      epochRules: epochRulesFor(this.ctx.profile.truncation),
    };
  }

  private minIsr(hp: HostedPartition): number {
    return this.ctx.topicSettings(hp.topic).minIsr;
  }

  /** min(min.insync.replicas, replication factor). */
  private effectiveMinIsr(hp: HostedPartition): number {
    return Math.min(this.minIsr(hp), hp.replicas.length);
  }

  private replicaLagUs(): number {
    return this.ctx.settings.replicaLagUs;
  }

  // ------------------------------------------------------------------ HW and ISR (leader)

  /** KRaft `isReplicaIsrEligible`: registered, unfenced, not shutting down, broker epoch current. */
  private isEligible(brokerId: number, brokerEpoch: number): boolean {
    const reg = this.ctx.image().brokers.get(brokerId);
    return (
      reg?.registered === true &&
      !reg.fenced &&
      !reg.inControlledShutdown &&
      (brokerEpoch < 0 || reg.brokerEpoch === brokerEpoch)
    );
  }

  private readonly remoteEligible = (r: RemoteReplica): boolean =>
    this.isEligible(r.brokerId, r.brokerEpoch);

  /** `maybeIncrementLeaderHW`; wakes what waits on the HW when it moves. */
  private maybeIncrementHw(hp: HostedPartition): boolean {
    const ml = hp.log;
    if (!hp.isLeader || ml === undefined) return false;
    const candidate = leaderHwCandidate(hp, {
      leaderLeo: ml.log.logEndOffset,
      nowUs: this.ctx.now(),
      replicaLagUs: this.replicaLagUs(),
      effectiveMinIsr: this.effectiveMinIsr(hp),
      minIsrHwGate: this.ctx.profile.minIsrHwGate,
      isEligible: this.remoteEligible,
    });
    if (candidate === undefined || candidate <= ml.log.highWatermark) return false;
    this.setHw(hp, ml, candidate);
    this.tryCompleteProduces(hp.key);
    this.wakeFetches(hp.key);
    return true;
  }

  /** Every HW change of every replica goes through here (one trace event type, one place). */
  private setHw(hp: HostedPartition, ml: ManagedLog, hw: number): void {
    const old = ml.log.highWatermark;
    if (hw === old) return;
    if (hp.isLeader) {
      // A plain `if` on this hot path: no message closure per call.
      if (hw < old)
        throw new SimAssertionError(`${hp.key}: leader HW would go back from ${old} to ${hw}`);
    }
    ml.log.setHighWatermark(hw);
    this.touched.add(hp.key);
    this.traceHw(ml);
  }

  private traceHw(ml: ManagedLog): void {
    this.ctx.emit("replica.hw", {
      topic: ml.topic,
      partition: ml.partition,
      hw: ml.log.highWatermark,
    });
    this.traceLso(ml);
  }

  /**
   * `replica.lso` when the LSO changes, only while it differs from the HW or has just caught up
   * with it: logs without transactions in flight add no events.
   */
  private traceLso(ml: ManagedLog): void {
    const lso = ml.log.lastStableOffset;
    const traced = this.tracedLso.get(ml.key);
    if (traced === lso) return;
    const behind = lso !== ml.log.highWatermark;
    if (!behind && traced === undefined) return;
    if (behind) this.tracedLso.set(ml.key, lso);
    else this.tracedLso.delete(ml.key);
    this.ctx.emit("replica.lso", {
      topic: ml.topic,
      partition: ml.partition,
      lso,
      hw: ml.log.highWatermark,
    });
  }

  /**
   * The leader's ISR view becomes `isr` (from the metadata log or an AlterPartition response).
   * `force` reports it even when unchanged (a new leader epoch starts a new view).
   */
  private commitIsr(
    hp: HostedPartition,
    isr: readonly number[],
    partitionEpoch: number,
    recovery: HostedPartition["leaderRecoveryState"],
    before: readonly number[],
    force: boolean,
  ): void {
    hp.isr = isr.slice();
    hp.partitionEpoch = partitionEpoch;
    hp.leaderRecoveryState = recovery;
    checkIsrSubset(hp);
    this.touched.add(hp.key);
    const changed = before.length !== isr.length || before.some((id) => !isr.includes(id));
    if (changed || force) {
      this.ctx.emit("partition.isr", {
        topic: hp.topic,
        partition: hp.partition,
        isr: hp.isr.slice(),
        leaderEpoch: hp.leaderEpoch,
        partitionEpoch: hp.partitionEpoch,
      });
    }
    this.maybeIncrementHw(hp);
    this.tryCompleteProduces(hp.key);
  }

  /** IsrShrinksPerSec / IsrExpandsPerSec: a change this leader proposed was committed. */
  private countIsrChange(kind: "shrink" | "expand"): void {
    if (kind === "shrink") this.counters.IsrShrinksPerSec++;
    else this.counters.IsrExpandsPerSec++;
  }

  /** Proposes an ISR change to the controller (AlterPartition), one in flight per partition. */
  private proposeIsr(
    hp: HostedPartition,
    kind: "shrink" | "expand",
    changed: readonly number[],
  ): void {
    assert(hp.pending === undefined, () => `${hp.key}: an ISR change is already pending`);
    const proposedIsr =
      kind === "shrink" ? hp.isr.filter((id) => !changed.includes(id)) : [...hp.isr, ...changed];
    hp.pending = {
      kind,
      proposedIsr,
      changed: changed.slice(),
      // KIP-704: an uncleanly elected leader reports recovery with its first expansion.
      leaderRecoveryState: kind === "expand" ? "RECOVERED" : hp.leaderRecoveryState,
      correlationId: undefined,
    };
    this.ctx.emit("partition.isr.proposed", {
      topic: hp.topic,
      partition: hp.partition,
      isr: proposedIsr.slice(),
      why: kind,
    });
    this.alterQueue.add(hp.key);
    this.sendAlterPartitions();
  }

  /**
   * WriteTxnMarkers from a transaction coordinator (KafkaApis.handleWriteTxnMarkersRequest): for
   * each marker and each partition this broker leads, one control batch (COMMIT or ABORT, one
   * offset, the producer's id and epoch) through the leader append path, so followers replicate
   * it; the answer per partition comes once the HW covers the marker (required acks -1), or with
   * UNKNOWN_TOPIC_OR_PARTITION, NOT_LEADER_OR_FOLLOWER, NOT_ENOUGH_REPLICAS,
   * INVALID_PRODUCER_EPOCH (a marker older than the producer's epoch here) or REQUEST_TIMED_OUT.
   */
  handleWriteTxnMarkers(from: string, request: WriteTxnMarkersRequest): void {
    const now = this.ctx.now();
    const slots: ProduceSlot[] = [];
    let doneAtUs = now;
    request.markers.forEach((marker, markerIndex) => {
      for (const t of marker.topics) {
        for (const partition of t.partitions) {
          const slot: ProduceSlot = {
            topic: t.topic,
            partition,
            error: "NONE",
            baseOffset: -1,
            logStartOffset: -1,
            requiredOffset: -1,
            done: true,
            markerIndex,
          };
          slots.push(slot);
          const at = this.appendMarker(slot, marker, now);
          if (at !== undefined) doneAtUs = Math.max(doneAtUs, at);
        }
      }
    });
    const delayed: DelayedProduce = {
      id: this.nextDelayedId++,
      markers: request,
      from,
      correlationId: request.correlationId,
      client: from,
      startedUs: now,
      slots,
      timer: undefined,
    };
    if (slots.every((slot) => slot.done)) {
      this.sendMarkersResponse(delayed, doneAtUs);
      return;
    }
    this.watchDelayedProduce(delayed);
    if (!this.tryCompleteProduce(delayed)) {
      delayed.timer = this.ctx.timer(msToUs(MARKER_APPEND_TIMEOUT_MS), "broker.produce.expire", {
        id: delayed.id,
      });
    }
  }

  /** One partition of a WriteTxnMarkers: the checks, then the leader append. Returns the IO end. */
  private appendMarker(
    slot: ProduceSlot,
    marker: WriteTxnMarkersRequest["markers"][number],
    now: number,
  ): number | undefined {
    const hp = this.lookup(slot.topic, slot.partition);
    let error: KafkaError;
    if (hp === undefined) {
      const known = this.ctx.image().partition(slot.topic, slot.partition) !== undefined;
      error = known ? "NOT_LEADER_OR_FOLLOWER" : "UNKNOWN_TOPIC_OR_PARTITION";
    } else {
      error = this.produceError(hp, -1);
    }
    const ml = hp?.log;
    if (error === "NONE" && ml !== undefined) {
      const check = ml.log.producerState.checkMarker(marker.producerId, marker.producerEpoch);
      if (check.kind === "error") error = check.error;
    }
    if (error !== "NONE" || hp === undefined || ml === undefined) {
      slot.error = error === "NONE" ? "NOT_LEADER_OR_FOLLOWER" : error;
      return undefined;
    }
    const batch: NewBatch = {
      count: 1,
      bytes: CONTROL_BATCH_BYTES,
      firstTimestampUs: now,
      maxTimestampUs: now,
      producerId: marker.producerId,
      producerEpoch: marker.producerEpoch,
      baseSequence: -1,
      isTransactional: true,
      isControl: true,
      controlType: marker.transactionResult,
    };
    const out = this.logs.appendAsLeader(ml, batch, hp.leaderEpoch, now);
    // A verification that started before this marker no longer admits a write (VerificationGuard).
    this.verifications.clearGuard(hp.key, marker.producerId);
    slot.baseOffset = out.batch.baseOffset;
    slot.logStartOffset = ml.log.logStartOffset;
    slot.requiredOffset = out.batch.baseOffset + 1;
    slot.done = false;
    this.traceAppend(ml, out.batch.baseOffset, 1);
    this.afterAppend(ml);
    this.wakeFetches(hp.key);
    this.maybeIncrementHw(hp);
    return out.doneAtUs;
  }

  /** The WriteTxnMarkersResponse: per marker, per partition, in the request's order. */
  private sendMarkersResponse(d: DelayedProduce, atUs: number): void {
    const request = d.markers!;
    let i = 0;
    const markers = request.markers.map((marker) => ({
      producerId: marker.producerId,
      topics: marker.topics.map((t) => ({
        topic: t.topic,
        partitions: t.partitions.map((partition) => {
          const slot = d.slots[i++]!;
          assert(
            slot.topic === t.topic && slot.partition === partition,
            "marker slots out of step with the request",
          );
          this.ctx.emit("txn.marker", {
            topic: slot.topic,
            partition: slot.partition,
            producerId: marker.producerId,
            producerEpoch: marker.producerEpoch,
            result: marker.transactionResult,
            error: slot.error,
            offset: slot.baseOffset,
          });
          return { partition, error: slot.error };
        }),
      })),
    }));
    assert(i === d.slots.length, "marker slots left over");
    this.ctx.sendAt(atUs, d.from, {
      type: "WriteTxnMarkersResponse",
      bytes: HEADER_BYTES + PARTITION_ENTRY_BYTES * d.slots.length,
      correlationId: d.correlationId,
      markers,
    } satisfies WriteTxnMarkersResponse);
    const listener = this.onMarkerWritten;
    if (listener === undefined) return;
    for (const slot of d.slots) {
      if (slot.error !== "NONE") continue;
      const marker = request.markers[slot.markerIndex!]!;
      listener({
        topic: slot.topic,
        partition: slot.partition,
        producerId: marker.producerId,
        producerEpoch: marker.producerEpoch,
        result: marker.transactionResult,
      });
    }
  }

  /** Sends every queued proposal in one AlterPartition, if none is in flight. */
  sendAlterPartitions(): void {
    if (this.alterInFlight !== undefined || this.alterQueue.size === 0) return;
    const ctx = this.ctx;
    const controller = ctx.controllerNode();
    if (controller === undefined || ctx.brokerEpoch() < 0) {
      this.scheduleAlterRetry();
      return;
    }
    const correlationId = ctx.nextCorrelationId();
    const items: AlterPartitionRequest["partitions"][number][] = [];
    for (const key of this.alterQueue) {
      const hp = this.partitions.get(key);
      const pending = hp?.pending;
      if (hp === undefined || !hp.isLeader || pending === undefined) continue;
      pending.correlationId = correlationId;
      items.push({
        topic: hp.topic,
        partition: hp.partition,
        leaderEpoch: hp.leaderEpoch,
        partitionEpoch: hp.partitionEpoch,
        newIsr: pending.proposedIsr.slice(),
        leaderRecoveryState: pending.leaderRecoveryState,
      });
    }
    this.alterQueue.clear();
    if (items.length === 0) return;
    const timer = ctx.timer(
      ctx.settings.controllerRequestTimeoutUs,
      "broker.alter-partition.timeout",
      {
        correlationId,
      },
    );
    this.alterInFlight = { correlationId, timer, to: controller };
    ctx.send(controller, {
      type: "AlterPartitionRequest",
      bytes: HEADER_BYTES + PARTITION_ENTRY_BYTES * items.length,
      correlationId,
      brokerId: ctx.brokerId,
      brokerEpoch: ctx.brokerEpoch(),
      partitions: items,
    } satisfies AlterPartitionRequest);
  }

  private scheduleAlterRetry(): void {
    if (this.alterRetry !== undefined) return;
    this.alterRetry = this.ctx.timer(
      ALTER_PARTITION_RETRY_US,
      "broker.alter-partition.retry",
      null,
    );
  }

  onAlterRetry(): void {
    this.alterRetry = undefined;
    this.sendAlterPartitions();
  }

  /** The request timed out (or the controller went away): send the same proposals again. */
  onAlterTimeout(correlationId: number): void {
    if (this.alterInFlight?.correlationId !== correlationId) return;
    this.alterInFlight = undefined;
    this.requeueAlter(correlationId);
    this.scheduleAlterRetry();
  }

  /**
   * The connection to `peer` broke. If the AlterPartition in flight went there, its answer will
   * never come: as Kafka's broker-to-controller channel does on a disconnect, send the same
   * proposals again (to whichever node is the controller by then) rather than wait out the
   * request timeout with the partition's ISR frozen.
   */
  onDisconnect(peer: string): void {
    const inFlight = this.alterInFlight;
    if (inFlight === undefined || inFlight.to !== peer) return;
    this.ctx.cancel(inFlight.timer);
    this.alterInFlight = undefined;
    this.requeueAlter(inFlight.correlationId);
    this.scheduleAlterRetry();
  }

  private requeueAlter(correlationId: number): void {
    for (const hp of this.partitions.values()) {
      if (hp.pending?.correlationId === correlationId) {
        hp.pending.correlationId = undefined;
        this.alterQueue.add(hp.key);
      }
    }
  }

  onAlterPartitionResponse(response: AlterPartitionResponse): void {
    const inFlight = this.alterInFlight;
    if (inFlight === undefined || inFlight.correlationId !== response.correlationId) return;
    this.ctx.cancel(inFlight.timer);
    this.alterInFlight = undefined;
    const correlationId = response.correlationId;
    if (response.error !== "NONE") {
      // NOT_CONTROLLER and the like: find the controller again and retry everything.
      this.requeueAlter(correlationId);
      this.scheduleAlterRetry();
      return;
    }
    for (const item of response.partitions) {
      const hp = this.lookup(item.topic, item.partition);
      const pending = hp?.pending;
      if (hp === undefined || pending === undefined || pending.correlationId !== correlationId)
        continue;
      switch (item.error) {
        case "NONE": {
          hp.pending = undefined;
          // The metadata log may have delivered this change (or a later one) first.
          if (item.partitionEpoch > hp.partitionEpoch && item.leaderEpoch === hp.leaderEpoch) {
            this.commitIsr(
              hp,
              item.isr,
              item.partitionEpoch,
              item.leaderRecoveryState,
              hp.isr,
              false,
            );
            this.countIsrChange(pending.kind);
          } else {
            this.maybeIncrementHw(hp);
          }
          break;
        }
        case "OPERATION_NOT_ATTEMPTED":
        case "INELIGIBLE_REPLICA":
          // The controller says the change was not applied and our partition epoch is current.
          hp.pending = undefined;
          this.maybeIncrementHw(hp);
          break;
        case "UNKNOWN_TOPIC_OR_PARTITION":
        case "FENCED_LEADER_EPOCH":
        case "INVALID_UPDATE_VERSION":
        case "INVALID_REQUEST":
        case "NEW_LEADER_ELECTED":
          // Stay pending: the metadata log will bring the state that supersedes ours.
          break;
        default:
          pending.correlationId = undefined;
          this.alterQueue.add(hp.key);
          break;
      }
    }
    if (this.alterQueue.size > 0) this.scheduleAlterRetry();
  }

  /** The "isr-expiration" task: propose removing ISR followers that are no longer caught up. */
  isrExpirationTask(): void {
    const now = this.ctx.now();
    const lagUs = this.replicaLagUs();
    for (const hp of this.partitions.values()) {
      const ml = hp.log;
      if (!hp.isLeader || ml === undefined || hp.pending !== undefined) continue;
      const out = outOfSyncReplicas(hp, this.ctx.brokerId, ml.log.logEndOffset, now, lagUs);
      if (out.length > 0) this.proposeIsr(hp, "shrink", out);
    }
  }

  // ------------------------------------------------------------------ produce

  handleProduce(from: string, request: ProduceRequest): void {
    this.counters.TotalProduceRequestsPerSec++;
    const verify = this.partitionsToVerify(request);
    if (verify === undefined) {
      this.appendProduce(from, request, undefined, undefined);
      return;
    }
    // Kafka's appendRecords: the whole request waits for the coordinator's answer.
    const first = request.partitions.find((d) => d.batch.isTransactional)!.batch;
    this.verifications.verify(
      request.transactionalId!,
      first.producerId,
      first.producerEpoch,
      verify,
      (errors) => this.appendProduce(from, request, errors, verify),
    );
  }

  /**
   * KIP-890: the transactional batches of the request that would start a transaction on a
   * partition led here (Partition.maybeStartTransactionVerification), with their guards; undefined
   * when nothing needs the coordinator's word.
   */
  private partitionsToVerify(request: ProduceRequest): VerifyPartition[] | undefined {
    const id = request.transactionalId;
    if (id === undefined || id === null || id === "") return undefined;
    if (!this.verifications.enabled()) return undefined;
    const out: VerifyPartition[] = [];
    for (const data of request.partitions) {
      const batch = data.batch;
      if (!batch.isTransactional || batch.producerId < 0) continue;
      const hp = this.lookup(data.topic, data.partition);
      if (hp === undefined || !hp.isLeader || hp.log === undefined) continue;
      if (hp.log.log.txnIndex.ongoingTxn(batch.producerId) !== undefined) continue;
      const guard = this.verifications.startGuard(hp.key, batch.producerId);
      out.push({ topic: data.topic, partition: data.partition, guard });
    }
    return out.length === 0 ? undefined : out;
  }

  /**
   * The append of a produce request (Kafka's appendEntries), after a KIP-890 verification when
   * there was one: `verified` holds the coordinator's answer per partition, `guards` the guards
   * the verification started.
   */
  private appendProduce(
    from: string,
    request: ProduceRequest,
    verified: VerifyErrors | undefined,
    guards: readonly VerifyPartition[] | undefined,
  ): void {
    const ctx = this.ctx;
    const now = ctx.now();
    const slots: ProduceSlot[] = [];
    let doneAtUs = now;
    let waits = false;
    for (const data of request.partitions) {
      const slot: ProduceSlot = {
        topic: data.topic,
        partition: data.partition,
        error: "NONE",
        baseOffset: -1,
        logStartOffset: -1,
        requiredOffset: -1,
        done: true,
      };
      slots.push(slot);
      const hp = this.lookup(data.topic, data.partition);
      const error = this.produceError(hp, request.acks);
      if (error !== "NONE" || hp === undefined || hp.log === undefined) {
        slot.error = error === "NONE" ? "NOT_LEADER_OR_FOLLOWER" : error;
        this.counters.FailedProduceRequestsPerSec++;
        continue;
      }
      const ml = hp.log;
      const unverified = verified?.get(hp.key);
      if (unverified !== undefined && unverified !== "NONE") {
        slot.error = produceErrorForVerification(unverified);
        this.counters.FailedProduceRequestsPerSec++;
        this.rejectProduce(
          hp,
          data,
          request,
          slot.error,
          "not verified by the transaction coordinator",
        );
        continue;
      }
      if (this.idempotenceVerdict(hp, ml, data, slot, request)) {
        if (slot.requiredOffset >= 0) waits = true;
        continue;
      }
      if (this.missingVerification(hp, ml, data, guards)) {
        slot.error = "INVALID_TXN_STATE";
        this.counters.FailedProduceRequestsPerSec++;
        this.rejectProduce(
          hp,
          data,
          request,
          slot.error,
          "Record was not part of an ongoing transaction",
        );
        continue;
      }
      const out = this.logs.appendAsLeader(ml, data.batch, hp.leaderEpoch, now);
      if (data.batch.isTransactional) this.verifications.clearGuard(hp.key, data.batch.producerId);
      const batch = out.batch;
      doneAtUs = Math.max(doneAtUs, out.doneAtUs);
      slot.baseOffset = batch.baseOffset;
      slot.logStartOffset = ml.log.logStartOffset;
      this.counters.BytesInPerSec += batch.bytes;
      this.counters.MessagesInPerSec += batch.count;
      ctx.emit("produce.append", {
        topic: hp.topic,
        partition: hp.partition,
        client: request.clientId,
        baseOffset: batch.baseOffset,
        count: batch.count,
        acks: request.acks,
      });
      this.traceAppend(ml, batch.baseOffset, batch.count);
      this.afterAppend(ml);
      if (request.acks === -1) {
        slot.requiredOffset = batch.baseOffset + batch.count;
        slot.done = false;
        waits = true;
      }
      this.wakeFetches(hp.key);
      this.maybeIncrementHw(hp);
    }
    if (request.acks === 0) return;
    if (!waits) {
      this.sendProduceResponse(
        from,
        request.correlationId,
        request.clientId,
        request.acks,
        slots,
        doneAtUs,
      );
      return;
    }
    const delayed: DelayedProduce = {
      id: this.nextDelayedId++,
      from,
      correlationId: request.correlationId,
      client: request.clientId,
      startedUs: now,
      slots,
      timer: undefined,
    };
    this.watchDelayedProduce(delayed);
    if (!this.tryCompleteProduce(delayed)) {
      delayed.timer = ctx.timer(msToUs(request.timeoutMs), "broker.produce.expire", {
        id: delayed.id,
      });
    }
  }

  /**
   * UnifiedLog's KIP-890 check at the append: a transactional batch that starts a transaction
   * needs the guard its verification started, still current (a marker since then cleared it).
   */
  private missingVerification(
    hp: HostedPartition,
    ml: ManagedLog,
    data: ProducePartitionData,
    guards: readonly VerifyPartition[] | undefined,
  ): boolean {
    const batch = data.batch;
    if (!batch.isTransactional || batch.producerId < 0) return false;
    if (!this.verifications.enabled()) return false;
    if (ml.log.txnIndex.ongoingTxn(batch.producerId) !== undefined) return false;
    const mine = guards?.find((g) => g.topic === hp.topic && g.partition === hp.partition);
    const current = this.verifications.currentGuard(hp.key, batch.producerId);
    return mine === undefined || current !== mine.guard;
  }

  private rejectProduce(
    hp: HostedPartition,
    data: ProducePartitionData,
    request: ProduceRequest,
    error: KafkaError,
    reason: string,
  ): void {
    this.ctx.emit("produce.rejected", {
      topic: hp.topic,
      partition: hp.partition,
      client: request.clientId,
      producerId: data.batch.producerId,
      producerEpoch: data.batch.producerEpoch,
      baseSequence: data.batch.baseSequence,
      count: data.batch.count,
      error,
      reason,
    });
  }

  /** Registers a delayed produce and watches the partitions it waits on. */
  private watchDelayedProduce(delayed: DelayedProduce): void {
    this.delayedProduces.set(delayed.id, delayed);
    for (const slot of delayed.slots) {
      if (slot.requiredOffset < 0) continue;
      const key = tpKey(slot.topic, slot.partition);
      let set = this.produceWatch.get(key);
      if (set === undefined) {
        set = new Set();
        this.produceWatch.set(key, set);
      }
      set.add(delayed.id);
    }
  }

  /**
   * The idempotent producer's checks (producer-state.ts) before a leader append. True when the
   * batch is not to be appended: a duplicate (answered with the original offsets, and for acks=all
   * once the HW covers them, as Kafka's DelayedProduce waits on the duplicate's last offset) or an
   * out-of-order sequence or stale epoch (answered with the error).
   */
  private idempotenceVerdict(
    hp: HostedPartition,
    ml: ManagedLog,
    data: ProducePartitionData,
    slot: ProduceSlot,
    request: ProduceRequest,
  ): boolean {
    const stale: KafkaError = this.ctx.profile.invalidProducerEpochError
      ? "INVALID_PRODUCER_EPOCH"
      : "PRODUCER_FENCED";
    const check = ml.log.producerState.check(data.batch, stale);
    if (check.kind === "append") return false;
    const fields = {
      topic: hp.topic,
      partition: hp.partition,
      client: request.clientId,
      producerId: data.batch.producerId,
      producerEpoch: data.batch.producerEpoch,
      baseSequence: data.batch.baseSequence,
      count: data.batch.count,
    };
    if (check.kind === "error") {
      slot.error = check.error;
      this.counters.FailedProduceRequestsPerSec++;
      this.ctx.emit("produce.rejected", { ...fields, error: check.error, reason: check.reason });
      return true;
    }
    slot.baseOffset = check.firstOffset;
    slot.logStartOffset = ml.log.logStartOffset;
    this.ctx.emit("produce.duplicate", { ...fields, baseOffset: check.firstOffset });
    if (request.acks === -1) {
      slot.requiredOffset = check.lastOffset + 1;
      slot.done = false;
    }
    return true;
  }

  private produceError(hp: HostedPartition | undefined, acks: -1 | 0 | 1): KafkaError {
    if (hp === undefined) return "NOT_LEADER_OR_FOLLOWER";
    if (hp.role === "offline") return "KAFKA_STORAGE_ERROR";
    if (!hp.isLeader || hp.log === undefined) return "NOT_LEADER_OR_FOLLOWER";
    if (!this.logs.usable(hp.log)) {
      this.dirFailed(hp.log.dir);
      return "KAFKA_STORAGE_ERROR";
    }
    if (acks === -1 && hp.isr.length < this.effectiveMinIsr(hp)) return "NOT_ENOUGH_REPLICAS";
    return "NONE";
  }

  /** flush.messages: fsync once that many offsets are unflushed. */
  private afterAppend(ml: ManagedLog): void {
    const flushMessages = this.ctx.topicSettings(ml.topic).flushMessages;
    if (isUnlimited(flushMessages)) return;
    if (ml.log.logEndOffset - ml.recoveryPoint >= flushMessages)
      this.logs.flush(ml, this.ctx.now());
  }

  private traceAppend(ml: ManagedLog, baseOffset: number, count: number): void {
    this.touched.add(ml.key);
    this.ctx.emit("replica.append", {
      topic: ml.topic,
      partition: ml.partition,
      baseOffset,
      count,
      leo: ml.log.logEndOffset,
    });
  }

  private sendProduceResponse(
    to: string,
    correlationId: number,
    client: string,
    acks: -1 | 0 | 1,
    slots: readonly ProduceSlot[],
    atUs: number,
  ): void {
    const partitions: ProducePartitionResponse[] = [];
    for (const slot of slots) {
      this.ctx.emit("produce.response", {
        topic: slot.topic,
        partition: slot.partition,
        client,
        error: slot.error,
        baseOffset: slot.baseOffset,
        acks,
      });
      partitions.push({
        topic: slot.topic,
        partition: slot.partition,
        error: slot.error,
        baseOffset: slot.baseOffset,
        logStartOffset: slot.logStartOffset,
      });
    }
    this.ctx.sendAt(atUs, to, {
      type: "ProduceResponse",
      bytes: HEADER_BYTES + PARTITION_ENTRY_BYTES * partitions.length,
      correlationId,
      partitions,
    } satisfies ProduceResponse);
  }

  /**
   * `Partition.checkEnoughReplicasReachOffset` for one waiting slot: its outcome, or undefined
   * while the HW is still below the required offset.
   */
  private slotOutcome(slot: ProduceSlot): KafkaError | undefined {
    const hp = this.lookup(slot.topic, slot.partition);
    if (hp === undefined || !hp.isLeader || hp.log === undefined) return "NOT_LEADER_OR_FOLLOWER";
    if (hp.log.log.highWatermark < slot.requiredOffset) return undefined;
    // Before 3.7 this is how AFTER_APPEND happens: the HW moved on with too small an ISR.
    return hp.maximalIsr().length >= this.effectiveMinIsr(hp)
      ? "NONE"
      : "NOT_ENOUGH_REPLICAS_AFTER_APPEND";
  }

  /** `DelayedProduce.tryComplete` over every partition of the request. */
  private tryCompleteProduce(d: DelayedProduce): boolean {
    let pending = false;
    for (const slot of d.slots) {
      if (slot.done) continue;
      const outcome = this.slotOutcome(slot);
      if (outcome === undefined) {
        pending = true;
        continue;
      }
      slot.error = outcome;
      slot.done = true;
    }
    if (pending) return false;
    this.finishProduce(d, false);
    return true;
  }

  private finishProduce(d: DelayedProduce, expired: boolean): void {
    this.ctx.cancel(d.timer);
    this.delayedProduces.delete(d.id);
    for (const slot of d.slots) {
      if (slot.requiredOffset < 0) continue;
      this.produceWatch.get(tpKey(slot.topic, slot.partition))?.delete(d.id);
      if (d.markers !== undefined) continue;
      this.ctx.emit("produce.delayed.complete", {
        topic: slot.topic,
        partition: slot.partition,
        client: d.client,
        requiredOffset: slot.requiredOffset,
        error: slot.error,
        waitedUs: this.ctx.now() - d.startedUs,
      });
    }
    if (d.markers !== undefined) {
      this.sendMarkersResponse(d, this.ctx.now());
      return;
    }
    if (expired) this.counters.ProduceExpiresPerSec++;
    this.sendProduceResponse(d.from, d.correlationId, d.client, -1, d.slots, this.ctx.now());
  }

  /** The produce request's timeout passed: what is still waiting times out. */
  onProduceExpired(id: number): void {
    const d = this.delayedProduces.get(id);
    if (d === undefined) return;
    d.timer = undefined;
    for (const slot of d.slots) {
      if (slot.done) continue;
      slot.error = this.slotOutcome(slot) ?? "REQUEST_TIMED_OUT";
      slot.done = true;
    }
    this.finishProduce(d, true);
  }

  private tryCompleteProduces(key: string): void {
    const ids = this.produceWatch.get(key);
    if (ids === undefined || ids.size === 0) return;
    for (const id of [...ids]) {
      const d = this.delayedProduces.get(id);
      if (d !== undefined) this.tryCompleteProduce(d);
    }
  }

  // ------------------------------------------------------------------ fetch (leader side)

  handleFetch(from: string, request: FetchRequest): void {
    const ctx = this.ctx;
    const now = ctx.now();
    this.counters.TotalFetchRequestsPerSec++;
    const partitions = request.partitions;
    const statuses: number[] = [];
    let ready = request.maxWaitMs <= 0;
    let reads: PartitionRead[] | undefined;
    if (request.minBytes > 1) {
      // Rare: count the bytes that are there.
      reads = this.readAll(request);
      let bytes = 0;
      for (const read of reads) {
        bytes += read.bytes;
        if (read.urgent) ready = true;
        statuses.push(read.urgent ? PROBE_URGENT : PROBE_DATA);
      }
      if (bytes >= request.minBytes) ready = true;
    } else {
      for (const fp of partitions) {
        const status = this.probe(fp, request.replicaId, request.isolationLevel);
        if (status !== PROBE_EMPTY) ready = true;
        statuses.push(status);
      }
      // Read before the follower states move: the response carries the HW as it was.
      if (ready) reads = this.readAll(request);
    }
    if (request.replicaId >= 0) {
      for (let i = 0; i < partitions.length; i++) {
        if (statuses[i] === PROBE_URGENT) continue;
        const fp = partitions[i]!;
        const hp = this.lookup(fp.topic, fp.partition);
        if (hp?.log === undefined) continue;
        const leoAtRead = hp.log.log.logEndOffset;
        this.followerFetched(hp, request.replicaId, request.replicaEpoch, fp, leoAtRead, now);
      }
    }
    if (ready && reads !== undefined) {
      this.respondFetch(from, request, reads);
      return;
    }
    const byKey = new Map<string, FetchPartition>();
    for (const fp of partitions) byKey.set(tpKey(fp.topic, fp.partition), fp);
    const delayed: DelayedFetch = {
      id: this.nextDelayedId++,
      from,
      request,
      byKey,
      timer: undefined,
    };
    this.delayedFetches.set(delayed.id, delayed);
    for (const key of byKey.keys()) {
      let set = this.fetchWatch.get(key);
      if (set === undefined) {
        set = new Set();
        this.fetchWatch.set(key, set);
      }
      set.add(delayed.id);
    }
    delayed.timer = ctx.timer(msToUs(request.maxWaitMs), "broker.fetch.expire", { id: delayed.id });
  }

  /**
   * Would this partition of a fetch answer now? The checks of readPartition, without building
   * anything: an error or a divergence answers at once; data answers (min bytes 1).
   */
  private probe(fp: FetchPartition, replicaId: number, isolation: IsolationLevel): number {
    const hp = this.lookup(fp.topic, fp.partition);
    const ml = hp?.log;
    if (hp === undefined || !hp.isLeader || ml === undefined || ml.dir.offline) return PROBE_URGENT;
    if (fp.currentLeaderEpoch >= 0 && fp.currentLeaderEpoch !== hp.leaderEpoch) return PROBE_URGENT;
    const isFollower = replicaId >= 0;
    if (isFollower && !hp.remotes.has(replicaId)) return PROBE_URGENT;
    const log = ml.log;
    if (
      isFollower &&
      fp.lastFetchedEpoch >= 0 &&
      this.ctx.profile.truncation === "diverging-epoch"
    ) {
      const end = log.endOffsetForEpoch(fp.lastFetchedEpoch);
      if (end.endOffset < 0 || end.epoch < fp.lastFetchedEpoch || end.endOffset < fp.fetchOffset) {
        return PROBE_URGENT;
      }
    }
    if (fp.fetchOffset < log.logStartOffset || fp.fetchOffset > log.logEndOffset)
      return PROBE_URGENT;
    return fp.fetchOffset < fetchBound(log, replicaId, isolation) ? PROBE_DATA : PROBE_EMPTY;
  }

  /** `Partition.updateFollowerFetchState`, then expansion and the HW rule. */
  private followerFetched(
    hp: HostedPartition,
    replicaId: number,
    replicaEpoch: number,
    fp: FetchPartition,
    leoAtRead: number,
    nowUs: number,
  ): void {
    const remote = hp.remotes.get(replicaId);
    if (remote === undefined || hp.log === undefined) return;
    updateFollowerFetchState(
      remote,
      fp.fetchOffset,
      fp.logStartOffset,
      nowUs,
      leoAtRead,
      replicaEpoch,
    );
    this.touched.add(hp.key);
    if (
      shouldExpandIsr(
        hp,
        remote,
        hp.log.log.highWatermark,
        this.isEligible(replicaId, replicaEpoch),
      )
    ) {
      this.proposeIsr(hp, "expand", [replicaId]);
    }
    this.maybeIncrementHw(hp);
  }

  private readAll(request: FetchRequest): PartitionRead[] {
    let remaining = request.maxBytes;
    let first = true;
    const reads: PartitionRead[] = [];
    for (const fp of request.partitions) {
      const read = this.readPartition(
        fp,
        request,
        Math.min(remaining, fp.partitionMaxBytes),
        first,
      );
      if (read.bytes > 0) first = false;
      remaining = Math.max(0, remaining - read.bytes);
      reads.push(read);
    }
    return reads;
  }

  /** Validates and reads one partition of a fetch (batches chosen; the IO happens when sent). */
  private readPartition(
    fp: FetchPartition,
    request: FetchRequest,
    maxBytes: number,
    minOneBatch: boolean,
  ): PartitionRead {
    const ctx = this.ctx;
    const hp = this.lookup(fp.topic, fp.partition);
    if (hp === undefined) {
      const unknown = ctx.image().topicByName(fp.topic) === undefined;
      return failedRead(fp, -1, unknown ? "UNKNOWN_TOPIC_OR_PARTITION" : "NOT_LEADER_OR_FOLLOWER");
    }
    if (hp.role === "offline") return failedRead(fp, hp.leaderEpoch, "KAFKA_STORAGE_ERROR");
    const ml = hp.log;
    if (!hp.isLeader || ml === undefined)
      return failedRead(fp, hp.leaderEpoch, "NOT_LEADER_OR_FOLLOWER");
    if (!this.logs.usable(ml)) {
      this.dirFailed(ml.dir);
      return failedRead(fp, hp.leaderEpoch, "KAFKA_STORAGE_ERROR");
    }
    if (fp.currentLeaderEpoch >= 0) {
      if (fp.currentLeaderEpoch < hp.leaderEpoch)
        return failedRead(fp, hp.leaderEpoch, "FENCED_LEADER_EPOCH");
      if (fp.currentLeaderEpoch > hp.leaderEpoch)
        return failedRead(fp, hp.leaderEpoch, "UNKNOWN_LEADER_EPOCH");
    }
    const isFollower = request.replicaId >= 0;
    if (isFollower && !hp.remotes.has(request.replicaId)) {
      return failedRead(fp, hp.leaderEpoch, "NOT_LEADER_OR_FOLLOWER");
    }
    const log = ml.log;
    if (isFollower && fp.lastFetchedEpoch >= 0 && ctx.profile.truncation === "diverging-epoch") {
      const end = log.endOffsetForEpoch(fp.lastFetchedEpoch);
      if (end.endOffset < 0 || end.epoch < 0 || fp.fetchOffset < log.logStartOffset) {
        return failedRead(fp, hp.leaderEpoch, "OFFSET_OUT_OF_RANGE");
      }
      if (end.epoch < fp.lastFetchedEpoch || end.endOffset < fp.fetchOffset) {
        const data: FetchPartitionResponse = {
          topic: fp.topic,
          partition: fp.partition,
          error: "NONE",
          highWatermark: log.highWatermark,
          lastStableOffset: log.lastStableOffset,
          logStartOffset: log.logStartOffset,
          divergingEpoch: { epoch: end.epoch, endOffset: end.endOffset },
          currentLeaderEpoch: hp.leaderEpoch,
          batches: [],
        };
        return { data, ml, bytes: 0, leoAtRead: log.logEndOffset, urgent: true };
      }
    }
    if (fp.fetchOffset < log.logStartOffset || fp.fetchOffset > log.logEndOffset) {
      return failedRead(fp, hp.leaderEpoch, "OFFSET_OUT_OF_RANGE");
    }
    const upTo = fetchBound(log, request.replicaId, request.isolationLevel);
    let batches: readonly RecordBatch[] = NO_BATCHES;
    let bytes = 0;
    if (fp.fetchOffset < upTo) {
      const result = log.read(fp.fetchOffset, maxBytes, upTo, minOneBatch);
      batches = result.batches;
      bytes = result.bytes;
    }
    const readCommitted = !isFollower && request.isolationLevel === "read_committed";
    const data: FetchPartitionResponse = {
      topic: fp.topic,
      partition: fp.partition,
      error: "NONE",
      highWatermark: log.highWatermark,
      lastStableOffset: log.lastStableOffset,
      logStartOffset: log.logStartOffset,
      currentLeaderEpoch: hp.leaderEpoch,
      batches,
      ...(readCommitted
        ? { abortedTransactions: abortedInRange(log, fp.fetchOffset, batches) }
        : {}),
    };
    return { data, ml, bytes, leoAtRead: log.logEndOffset, urgent: false };
  }

  /** Sends a fetch response: the file reads first, then the sendfile CPU work. */
  private respondFetch(to: string, request: FetchRequest, reads: readonly PartitionRead[]): void {
    const ctx = this.ctx;
    const now = ctx.now();
    let ioDoneAtUs = now;
    let bytes = 0;
    let missBytes = 0;
    const partitions: FetchPartitionResponse[] = [];
    for (let i = 0; i < reads.length; i++) {
      const read = reads[i]!;
      let data = read.data;
      if (data.divergingEpoch !== undefined) {
        const fp = request.partitions[i]!;
        ctx.emit("fetch.diverging", {
          topic: fp.topic,
          partition: fp.partition,
          follower: request.replicaId,
          fetchOffset: fp.fetchOffset,
          lastFetchedEpoch: fp.lastFetchedEpoch,
          epoch: data.divergingEpoch.epoch,
          endOffset: data.divergingEpoch.endOffset,
        });
      }
      if (read.ml !== undefined && read.bytes > 0) {
        const io = this.logs.readIo(read.ml, data.batches, read.bytes, now);
        if (!io.ok) {
          this.dirFailed(read.ml.dir);
          data = { ...data, error: "KAFKA_STORAGE_ERROR", batches: [] };
        } else {
          ioDoneAtUs = Math.max(ioDoneAtUs, io.doneAtUs);
          missBytes += io.missBytes;
          bytes += read.bytes;
        }
      }
      partitions.push(data);
    }
    this.counters.BytesOutPerSec += bytes;
    if (request.replicaId >= 0) this.counters.ReplicationBytesOutPerSec += bytes;
    // Zero-copy only on a plaintext connection: TLS reads the file into user space to encrypt it.
    const mode = isEncrypted(request.securityProtocol) ? "tls" : "sendfile";
    const cost = transferCost(mode, bytes, {
      nicGather: ctx.host.nic.scatterGatherDma,
      fromPageCache: missBytes === 0,
    });
    if (bytes > 0) {
      // What serving this response cost the host: the record bytes read (missBytes waited for the
      // disk, the rest came from the page cache) and transferCost's counts. Only responses that
      // carry records: an empty one reads nothing and costs nothing.
      assert(missBytes <= bytes, "a fetch cannot miss more bytes than it read");
      ctx.emit("fetch.response", {
        to,
        replica: request.replicaId,
        mode,
        bytes,
        missBytes,
        calls: cost.calls,
        dmaCopies: cost.dmaCopies,
        cpuCopies: cost.cpuCopies,
        contextSwitches: cost.contextSwitches,
        cpuUs: cost.cpuUs,
      });
    }
    ctx.sendAfterIo(ioDoneAtUs, cost.cpuUs, to, {
      type: "FetchResponse",
      bytes: HEADER_BYTES + PARTITION_ENTRY_BYTES * partitions.length + bytes,
      correlationId: request.correlationId,
      partitions,
    });
  }

  /** Re-checks the delayed fetches that watch `key` (new data, a new HW, a leadership change). */
  private wakeFetches(key: string): void {
    const ids = this.fetchWatch.get(key);
    if (ids === undefined || ids.size === 0) return;
    for (const id of [...ids]) {
      const d = this.delayedFetches.get(id);
      if (d === undefined) continue;
      // Only `key` changed: with min bytes 1 (the usual), that partition alone decides.
      const fp = d.byKey.get(key);
      if (
        fp !== undefined &&
        d.request.minBytes <= 1 &&
        this.probe(fp, d.request.replicaId, d.request.isolationLevel) === PROBE_EMPTY
      ) {
        continue;
      }
      this.tryCompleteFetch(d, false);
    }
  }

  /** `DelayedFetch.tryComplete`: an error, a divergence, or enough bytes completes it. */
  private tryCompleteFetch(d: DelayedFetch, expired: boolean): boolean {
    const reads = this.readAll(d.request);
    if (!expired) {
      let bytes = 0;
      let urgent = false;
      for (const read of reads) {
        bytes += read.bytes;
        urgent ||= read.urgent;
      }
      if (!urgent && bytes < d.request.minBytes) return false;
    }
    this.ctx.cancel(d.timer);
    this.delayedFetches.delete(d.id);
    for (const key of d.byKey.keys()) this.fetchWatch.get(key)?.delete(d.id);
    this.respondFetch(d.from, d.request, reads);
    return true;
  }

  onFetchExpired(id: number): void {
    const d = this.delayedFetches.get(id);
    if (d === undefined) return;
    d.timer = undefined;
    this.tryCompleteFetch(d, true);
  }

  // ------------------------------------------------------------------ other requests

  handleOffsetsForLeaderEpoch(from: string, request: OffsetsForLeaderEpochRequest): void {
    const ctx = this.ctx;
    const partitions: OffsetsForLeaderEpochResponse["partitions"][number][] = [];
    for (const p of request.partitions) {
      const hp = this.lookup(p.topic, p.partition);
      const answer = (error: KafkaError, leaderEpoch = -1, endOffset = -1) =>
        partitions.push({ topic: p.topic, partition: p.partition, error, leaderEpoch, endOffset });
      if (hp === undefined) {
        answer(
          ctx.image().topicByName(p.topic) === undefined
            ? "UNKNOWN_TOPIC_OR_PARTITION"
            : "NOT_LEADER_OR_FOLLOWER",
        );
      } else if (hp.role === "offline") answer("KAFKA_STORAGE_ERROR");
      else if (!hp.isLeader || hp.log === undefined) answer("NOT_LEADER_OR_FOLLOWER");
      else if (p.currentLeaderEpoch >= 0 && p.currentLeaderEpoch < hp.leaderEpoch)
        answer("FENCED_LEADER_EPOCH");
      else if (p.currentLeaderEpoch > hp.leaderEpoch) answer("UNKNOWN_LEADER_EPOCH");
      else if (ctx.profile.truncation === "kip101" || ctx.profile.truncation === "hw") {
        answer("NONE", -1, hp.log.log.kip101EndOffset(p.leaderEpoch));
      } else {
        const end = hp.log.log.endOffsetForEpoch(p.leaderEpoch);
        answer("NONE", end.epoch, end.endOffset);
      }
    }
    ctx.send(from, {
      type: "OffsetsForLeaderEpochResponse",
      bytes: HEADER_BYTES + PARTITION_ENTRY_BYTES * partitions.length,
      correlationId: request.correlationId,
      partitions,
    } satisfies OffsetsForLeaderEpochResponse);
  }

  handleListOffsets(from: string, request: ListOffsetsRequest): void {
    const ctx = this.ctx;
    const partitions: ListOffsetsResponse["partitions"][number][] = [];
    for (const p of request.partitions) {
      const hp = this.lookup(p.topic, p.partition);
      const answer = (error: KafkaError, offset = -1) =>
        partitions.push({
          topic: p.topic,
          partition: p.partition,
          error,
          timestamp: p.timestamp,
          offset,
          leaderEpoch: hp?.leaderEpoch ?? -1,
        });
      if (hp === undefined) {
        answer(
          ctx.image().topicByName(p.topic) === undefined
            ? "UNKNOWN_TOPIC_OR_PARTITION"
            : "NOT_LEADER_OR_FOLLOWER",
        );
      } else if (hp.role === "offline") answer("KAFKA_STORAGE_ERROR");
      else if (!hp.isLeader || hp.log === undefined) answer("NOT_LEADER_OR_FOLLOWER");
      else if (p.currentLeaderEpoch >= 0 && p.currentLeaderEpoch < hp.leaderEpoch)
        answer("FENCED_LEADER_EPOCH");
      else if (p.currentLeaderEpoch > hp.leaderEpoch) answer("UNKNOWN_LEADER_EPOCH");
      else if (p.timestamp === EARLIEST_TIMESTAMP) answer("NONE", hp.log.log.logStartOffset);
      else {
        // Followers see the leader's LEO; clients the HW, or the LSO under read_committed
        // (Partition.fetchOffsetForTimestamp).
        const log = hp.log.log;
        answer(
          "NONE",
          request.replicaId >= 0
            ? log.logEndOffset
            : request.isolationLevel === "read_committed"
              ? log.lastStableOffset
              : log.highWatermark,
        );
      }
    }
    ctx.send(from, {
      type: "ListOffsetsResponse",
      bytes: HEADER_BYTES + PARTITION_ENTRY_BYTES * partitions.length,
      correlationId: request.correlationId,
      partitions,
    } satisfies ListOffsetsResponse);
  }

  /**
   * DeleteRecords on the leader (ReplicaManager.deleteRecords): `offset` -1 means the HW; above the
   * HW is OFFSET_OUT_OF_RANGE; otherwise the log start moves up (never down) and followers follow
   * it through their fetches. The segments wholly below it go at the next retention pass.
   * Simplified: answered at once with the leader's new log start as the low watermark; Kafka's
   * DelayedDeleteRecords waits until every replica's log start has reached the offset.
   */
  handleDeleteRecords(from: string, request: DeleteRecordsRequest): void {
    const ctx = this.ctx;
    const partitions: DeleteRecordsResponse["partitions"][number][] = [];
    for (const p of request.partitions) {
      const hp = this.lookup(p.topic, p.partition);
      const answer = (error: KafkaError, lowWatermark = -1) =>
        partitions.push({ topic: p.topic, partition: p.partition, lowWatermark, error });
      if (hp === undefined) {
        answer(
          ctx.image().topicByName(p.topic) === undefined
            ? "UNKNOWN_TOPIC_OR_PARTITION"
            : "NOT_LEADER_OR_FOLLOWER",
        );
        continue;
      }
      if (hp.role === "offline") {
        answer("KAFKA_STORAGE_ERROR");
        continue;
      }
      if (!hp.isLeader || hp.log === undefined) {
        answer("NOT_LEADER_OR_FOLLOWER");
        continue;
      }
      const log = hp.log.log;
      const offset = p.offset === -1 ? log.highWatermark : p.offset;
      if (offset < 0 || offset > log.highWatermark) {
        answer("OFFSET_OUT_OF_RANGE");
        continue;
      }
      if (log.setLogStartOffset(offset)) {
        ctx.emit("replica.log-start", {
          topic: p.topic,
          partition: p.partition,
          logStartOffset: log.logStartOffset,
          why: "delete-records",
        });
        // A hanging transaction below the new start: the LSO follows the log start.
        this.traceLso(hp.log);
      }
      answer("NONE", log.logStartOffset);
    }
    ctx.send(from, {
      type: "DeleteRecordsResponse",
      bytes: HEADER_BYTES + PARTITION_ENTRY_BYTES * partitions.length,
      correlationId: request.correlationId,
      partitions,
    } satisfies DeleteRecordsResponse);
  }

  /** Answers from the broker's own, possibly stale, image (as Kafka's metadata cache does). */
  handleMetadata(from: string, request: MetadataRequest): void {
    const image = this.ctx.image();
    const alive = (id: number): boolean => {
      const reg = image.brokers.get(id);
      return reg?.registered === true && !reg.fenced;
    };
    const brokers = image
      .sortedBrokerIds()
      .filter(alive)
      .map((id) => ({ nodeId: id, rack: image.brokers.get(id)?.rack ?? null }));
    const names = request.topics ?? image.sortedTopicNames();
    let partitionCount = 0;
    const topics: MetadataResponseTopic[] = names.map((name) => {
      const topic = image.topicByName(name);
      if (topic === undefined) {
        return { name, error: "UNKNOWN_TOPIC_OR_PARTITION", topicId: "", partitions: [] };
      }
      const partitions: MetadataResponsePartition[] = topic.partitions.map((state, partition) => {
        partitionCount++;
        const leaderAlive = state.leader >= 0 && alive(state.leader);
        return {
          partition,
          error: leaderAlive ? "NONE" : "LEADER_NOT_AVAILABLE",
          leader: leaderAlive ? state.leader : -1,
          leaderEpoch: state.leaderEpoch,
          replicas: state.replicas.slice(),
          isr: state.isr.slice(),
          offlineReplicas: state.replicas.filter((id) => !alive(id)),
        };
      });
      return { name, error: "NONE", topicId: topic.topicId, partitions };
    });
    this.ctx.send(from, {
      type: "MetadataResponse",
      bytes:
        HEADER_BYTES + PARTITION_ENTRY_BYTES * (partitionCount + brokers.length + topics.length),
      correlationId: request.correlationId,
      brokers,
      controllerId: brokers[0]?.nodeId ?? -1,
      topics,
    } satisfies MetadataResponse);
  }

  // ------------------------------------------------------------------ FetcherOwner (follower side)

  followerLog(
    key: string,
    leaderId: number,
    leaderEpoch: number,
  ): { hp: HostedPartition; ml: ManagedLog } | undefined {
    const hp = this.partitions.get(key);
    if (
      hp === undefined ||
      hp.role !== "follower" ||
      hp.leaderId !== leaderId ||
      hp.leaderEpoch !== leaderEpoch
    ) {
      return undefined;
    }
    const ml = hp.log;
    if (ml === undefined) return undefined;
    if (!this.logs.usable(ml)) {
      this.dirFailed(ml.dir);
      return undefined;
    }
    return { hp, ml };
  }

  truncateFollower(hp: HostedPartition, ml: ManagedLog, offset: number, why: TruncateWhy): void {
    const target = ml.log.batchBoundaryAtOrBelow(offset);
    if (target >= ml.log.logEndOffset) {
      // UnifiedLog.truncateTo: even with nothing to cut, drop epoch entries at the log end. A
      // broker that led an epoch without appending anything has such an entry, and it would make
      // every fetch look divergent.
      ml.log.epochCache.truncateFromEnd(ml.log.logEndOffset);
      return;
    }
    const hwBefore = ml.log.highWatermark;
    const out = this.logs.truncateTo(ml, target);
    this.traceTruncate(ml, out, why);
    if (ml.log.highWatermark !== hwBefore) this.traceHw(ml);
    this.touched.add(hp.key);
  }

  restartFollowerLogAt(hp: HostedPartition, ml: ManagedLog, offset: number): void {
    const hwBefore = ml.log.highWatermark;
    const out = this.logs.truncateFullyAndStartAt(ml, offset, this.ctx.now());
    this.traceTruncate(ml, out, "out-of-range");
    if (ml.log.highWatermark !== hwBefore) this.traceHw(ml);
    this.touched.add(hp.key);
  }

  private traceTruncate(ml: ManagedLog, out: TruncationOutcome, why: TruncateWhy): void {
    this.ctx.emit("replica.truncate", {
      topic: ml.topic,
      partition: ml.partition,
      from: out.from,
      to: out.to,
      why,
      lost: out.lostRecords,
    });
  }

  appendFetched(hp: HostedPartition, ml: ManagedLog, data: FetchPartitionResponse): boolean {
    const now = this.ctx.now();
    const log = ml.log;
    let first = -1;
    let count = 0;
    let bytes = 0;
    for (const batch of data.batches) {
      const leo = log.logEndOffset;
      if (batch.baseOffset + batch.count <= leo) continue;
      if (batch.baseOffset < leo || (batch.baseOffset > leo && !log.config.compacted)) {
        this.fetchFailed(
          hp,
          `batch [${batch.baseOffset}, ${batch.baseOffset + batch.count}) does not start at the LEO ${leo}`,
        );
        return false;
      }
      const last = log.lastBatch();
      if (
        log.config.epochRules === "strict" &&
        last !== undefined &&
        batch.leaderEpoch < last.leaderEpoch
      ) {
        this.fetchFailed(hp, `batch epoch ${batch.leaderEpoch} after epoch ${last.leaderEpoch}`);
        return false;
      }
      this.logs.appendAsFollower(ml, batch, now);
      if (first < 0) first = batch.baseOffset;
      count += batch.count;
      bytes += batch.bytes;
    }
    if (count > 0) {
      this.counters.ReplicationBytesInPerSec += bytes;
      this.traceAppend(ml, first, count);
      this.afterAppend(ml);
    }
    // The follower's HW: min(leader HW, own LEO), as the response tells it (one round trip late).
    if (data.highWatermark >= 0) {
      const hw = Math.min(Math.max(data.highWatermark, log.logStartOffset), log.logEndOffset);
      this.setHw(hp, ml, hw);
    }
    if (data.logStartOffset > log.logStartOffset && data.logStartOffset <= log.highWatermark) {
      log.setLogStartOffset(data.logStartOffset);
      this.traceLso(ml);
    }
    return true;
  }

  fetchFailed(hp: HostedPartition, reason: string): void {
    this.ctx.emit("fetch.failed", { topic: hp.topic, partition: hp.partition, reason });
  }

  // ------------------------------------------------------------------ log directories

  /** A log directory failed: its partitions go offline here; all of them failing halts the broker. */
  private dirFailed(dir: LogDir): void {
    dir.offline = true;
    if (this.failedDirs.has(dir.path)) return;
    this.failedDirs.add(dir.path);
    const affected: string[] = [];
    for (const hp of this.partitions.values()) {
      if (hp.log?.dir !== dir && this.logs.get(hp.key)?.dir !== dir) continue;
      affected.push(hp.key);
      this.fetcher.remove(hp.key);
      hp.role = "offline";
      hp.pending = undefined;
      hp.remotes.clear();
    }
    this.ctx.emit("log.dir.offline", { dir: dir.path, partitions: affected });
    for (const key of affected) {
      this.tryCompleteProduces(key);
      this.wakeFetches(key);
    }
    if (this.logs.allDirsOffline())
      this.ctx.halt(`all log directories are offline (${dir.path} last)`);
  }

  // ------------------------------------------------------------------ periodic tasks

  /** HW checkpoint; also where flushed offsets are reported (coalesced per checkpoint). */
  checkpointTask(): void {
    this.logs.checkpointHighWatermarks(this.ctx.now());
    for (const dir of this.logs.dirs) if (dir.offline) this.dirFailed(dir);
    for (const ml of this.logs.all()) {
      if (ml.dir.offline) continue;
      const flushed = this.logs.flushedOffset(ml);
      if (flushed > ml.log.flushedOffset) ml.log.markFlushed(flushed);
      if (ml.log.flushedOffset !== ml.reportedFlushedOffset) {
        ml.reportedFlushedOffset = ml.log.flushedOffset;
        this.touched.add(ml.key);
        this.ctx.emit("replica.flushed", {
          topic: ml.topic,
          partition: ml.partition,
          flushedOffset: ml.log.flushedOffset,
        });
      }
    }
  }

  /** Retention: every replica deletes its own old segments (never past its HW). */
  retentionTask(): void {
    const now = this.ctx.now();
    for (const ml of this.logs.all()) {
      if (!this.partitions.has(ml.key) || !this.logs.usable(ml)) continue;
      const cfg = this.ctx.topicConfig(ml.topic);
      const before = ml.log.segmentList().map((s) => s.baseOffset);
      const result = applyRetention(ml.log, {
        nowUs: now,
        retentionMs: configNumber(cfg, "retention.ms"),
        retentionBytes: configNumber(cfg, "retention.bytes"),
        deleteEnabled: configList(cfg, "cleanup.policy").includes("delete"),
      });
      if (result.deleted.length === 0) continue;
      this.logs.segmentsRemoved(ml, before);
      this.traceLso(ml);
      let bytes = 0;
      for (const d of result.deleted) bytes += d.bytes;
      this.touched.add(ml.key);
      this.ctx.emit("log.retention", {
        topic: ml.topic,
        partition: ml.partition,
        segments: result.deleted.length,
        bytes,
        reason: result.deleted[result.deleted.length - 1]!.reason,
        logStartOffset: result.logStartOffset,
      });
    }
  }

  /** The log cleaner: cleans the compacted log with the highest dirty ratio, if one qualifies. */
  cleanerTask(): void {
    const now = this.ctx.now();
    let best: { ml: ManagedLog; ratio: number } | undefined;
    for (const ml of this.logs.all()) {
      if (!ml.log.config.compacted || !this.partitions.has(ml.key) || !this.logs.usable(ml))
        continue;
      const ratio = this.dirtyRatio(ml, now);
      if (ratio !== undefined && (best === undefined || ratio > best.ratio)) best = { ml, ratio };
    }
    if (best === undefined) return;
    const ml = best.ml;
    const before = ml.log.segmentList().map((s) => s.baseOffset);
    const result = compact(ml.log, this.compactionPolicy(ml, now));
    if (!result.cleaned) return;
    ml.cleanerCheckpoint = result.cleanerCheckpoint;
    this.logs.segmentsRemoved(ml, before);
    this.logs.segmentsRewritten(
      ml,
      ml.log
        .segmentList()
        .map((s) => s.baseOffset)
        .filter((base) => base < result.range.firstUncleanableOffset),
    );
    this.touched.add(ml.key);
    this.ctx.emit("log.cleaned", {
      topic: ml.topic,
      partition: ml.partition,
      removedRecords: result.removedRecords,
      removedTombstones: result.removedTombstones,
      bytesBefore: result.bytesBefore,
      bytesAfter: result.bytesAfter,
    });
  }

  private compactionPolicy(ml: ManagedLog, nowUs: number) {
    const cfg = this.ctx.topicConfig(ml.topic);
    // max.compaction.lag.ms appeared in 2.3 (KIP-354); before, no log was forced.
    const maxLag = hasConfig(cfg, "max.compaction.lag.ms")
      ? configNumber(cfg, "max.compaction.lag.ms")
      : LONG_MAX;
    return {
      nowUs,
      // The cleaner never passes the LSO: an open transaction may still be aborted.
      lastStableOffset: ml.log.lastStableOffset,
      minCleanableDirtyRatio: configNumber(cfg, "min.cleanable.dirty.ratio"),
      deleteRetentionMs: configNumber(cfg, "delete.retention.ms"),
      minCompactionLagMs: configNumber(cfg, "min.compaction.lag.ms"),
      ...(isUnlimited(maxLag) ? {} : { maxCompactionLagMs: maxLag }),
      cleanerCheckpoint: ml.cleanerCheckpoint,
      abortedTxns: ml.log.txnIndex.abortedTxns(),
    };
  }

  /** The log's dirty ratio when it qualifies for cleaning (LogCleanerManager's selection). */
  private dirtyRatio(ml: ManagedLog, nowUs: number): number | undefined {
    const range = cleanableRange(ml.log, this.compactionPolicy(ml, nowUs));
    return range.shouldClean ? range.dirtyRatio : undefined;
  }

  /** flush.ms, checked every log.flush.scheduler.interval.ms (Kafka's "kafka-log-flusher"). */
  flushTask(): void {
    const now = this.ctx.now();
    for (const ml of this.logs.all()) {
      if (!this.logs.usable(ml)) continue;
      const flushMs = this.ctx.topicSettings(ml.topic).flushMs;
      if (isUnlimited(flushMs)) continue;
      if (now - ml.lastFlushUs >= msToUs(flushMs)) this.logs.flush(ml, now);
    }
  }

  // ------------------------------------------------------------------ views

  get hostedCount(): number {
    return this.partitions.size;
  }

  hosted(key: string): HostedPartition | undefined {
    return this.partitions.get(key);
  }

  /** Hosted partitions, in the order first hosted. */
  hostedPartitions(): IterableIterator<HostedPartition> {
    return this.partitions.values();
  }

  partitionSnapshot(hp: HostedPartition): PartitionSnapshot {
    const ml = hp.log ?? this.logs.get(hp.key);
    const log = ml?.log;
    return {
      topic: hp.topic,
      partition: hp.partition,
      role: hp.role,
      leader: hp.leaderId,
      leaderEpoch: hp.leaderEpoch,
      partitionEpoch: hp.partitionEpoch,
      replicas: hp.replicas.slice(),
      isr: hp.isr.slice(),
      pendingIsr: hp.pending === undefined ? null : hp.pending.proposedIsr.slice(),
      logDir: ml?.dir.path ?? "",
      logStartOffset: log?.logStartOffset ?? 0,
      hw: log?.highWatermark ?? 0,
      leo: log?.logEndOffset ?? 0,
      flushedOffset:
        ml === undefined || ml.dir.offline
          ? (log?.flushedOffset ?? 0)
          : this.logs.flushedOffset(ml),
      lastStable: log?.lastStableOffset ?? 0,
      aborted:
        log?.txnIndex.abortedTxns().map((a) => ({ first: a.firstOffset, last: a.lastOffset })) ??
        [],
      epochs: log?.epochEntries() ?? [],
      segments:
        log?.segments().map((s) => ({
          baseOffset: s.baseOffset,
          lastOffset: s.endOffset - 1,
          bytes: s.bytes,
        })) ?? [],
      fetchState: this.fetcher.stateOf(hp.key) ?? null,
    };
  }

  gauges(): BrokerGauges {
    let under = 0;
    let underMin = 0;
    let atMin = 0;
    let leaders = 0;
    let offline = 0;
    for (const hp of this.partitions.values()) {
      if (hp.role === "offline") offline++;
      if (!hp.isLeader) continue;
      leaders++;
      const minIsr = this.minIsr(hp);
      if (hp.isr.length < hp.replicas.length) under++;
      if (hp.isr.length < minIsr) underMin++;
      if (hp.isr.length === minIsr) atMin++;
    }
    return {
      UnderReplicatedPartitions: under,
      UnderMinIsrPartitionCount: underMin,
      AtMinIsrPartitionCount: atMin,
      LeaderCount: leaders,
      PartitionCount: this.partitions.size,
      OfflineReplicaCount: offline,
    };
  }

  /** Cheap per-event checks over the partitions changed since the last call. */
  checkInvariants(): string | undefined {
    if (this.touched.size === 0) return undefined;
    for (const key of this.touched) {
      const hp = this.partitions.get(key);
      const ml = hp?.log ?? this.logs.get(key);
      if (ml !== undefined) {
        const log = ml.log;
        if (log.highWatermark > log.logEndOffset)
          return `${key}: HW ${log.highWatermark} > LEO ${log.logEndOffset}`;
        if (log.flushedOffset > log.logEndOffset)
          return `${key}: flushed ${log.flushedOffset} > LEO ${log.logEndOffset}`;
        if (hp?.isLeader && log.highWatermark < hp.hwAtEpochStart) {
          return `${key}: leader HW ${log.highWatermark} below ${hp.hwAtEpochStart} at the start of epoch ${hp.leaderEpoch}`;
        }
      }
      if (hp !== undefined) {
        for (const id of hp.isr)
          if (!hp.replicas.includes(id)) return `${key}: ISR ${hp.isr} not within ${hp.replicas}`;
      }
    }
    this.touched.clear();
    return undefined;
  }

  /** Whether the broker's config enables the log cleaner. */
  cleanerEnabled(): boolean {
    return configBoolean(this.ctx.config, "log.cleaner.enable");
  }
}
