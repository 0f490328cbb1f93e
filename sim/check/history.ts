/**
 * The history the checkers judge: what clients did and saw (sends and their outcomes, polls,
 * commits, position resets, transaction markers), what replicas did (truncations, leader changes,
 * HW changes), and a snapshot of every replica's log at the end of the run.
 *
 * Plain data, append-only, batch-granular: one record per producer send (a batch), per delivered
 * slice, per commit; record-level detail (keys, per-record origins) only where payloads are kept, so
 * a million-record run stays a few thousand entries. Clients append their records through a
 * `HistoryRecorder`; the replica records come from the trace through `TraceHistoryReader` (the
 * `replica.truncate`, `partition.leader`, `partition.follower`, `replica.hw` and `metadata.record`
 * events), so brokers need no second reporting path. `historyFromTrace` does both at once for a
 * recorded trace.
 *
 * What a record means (the contract for the clients that feed it):
 * - `SendRecord`: one `send()` batch, recorded when the producer hands it to the network the first
 *   time; retries of the same batch keep its `sendId` (`${client}:${seq}`, the batch's `origin`).
 * - `SendOutcome`: the producer's final word on a send, at most one per send; no outcome at the end
 *   of a run means unknown. acks=0 "acknowledgements" carry offset -1 and no broker.
 * - `PollRecord`: records handed to the application and processed. A consumer that models
 *   processing time records a slice when its processing ends, so a crash mid-processing leaves the
 *   unprocessed records undelivered: that is how at-most-once shows in no-skipped-records.
 * - `OffsetReset`: the consumer's position was set by auto.offset.reset or a seek (not by a
 *   committed offset). The first one of a group on a partition is where the group began.
 * Simplified: a send's `key` is one key for the whole batch unless `keys` (payloads kept) says
 * otherwise; an assign() consumer has group null and one generation (-1) for the whole run.
 */
import { assert, assertSafeInt } from "../engine/assert.ts";
import type { TraceEvent, TraceValue } from "../engine/trace.ts";
import type { BrokerId, KafkaError, RecordBatch } from "../kafka/types.ts";
import { tpKey } from "../kafka/types.ts";

export type Acks = "0" | "1" | "all";
export type Isolation = "read_uncommitted" | "read_committed";
export type SendOutcomeKind = "acked" | "failed" | "unknown";
/** Why a replica cut its log (the `why` of the `replica.truncate` trace event). */
export type TruncationWhy = "hw" | "epoch" | "diverging" | "power-loss" | "out-of-range";

export interface SendRecord {
  /** `${client}:${seq}`: the `origin` of the batch in the log. */
  readonly sendId: string;
  readonly client: string;
  readonly topic: string;
  readonly partition: number;
  /** The key of the batch's records (null: keyless). When `keys` is given, it wins. */
  readonly key: string | null;
  /** Per-record keys when payloads are kept (index i is the i-th record of the batch). */
  readonly keys?: ReadonlyArray<string | null>;
  /** Records in the send's batch. */
  readonly count: number;
  readonly sentAtUs: number;
  readonly transactional?: { readonly transactionalId: string };
  /** A stream processor's output: per record, the input record it was made from ("in-0@17"). */
  readonly sources?: ReadonlyArray<string>;
}

export interface SendOutcome {
  readonly sendId: string;
  readonly atUs: number;
  readonly outcome: SendOutcomeKind;
  /** Base offset the broker returned (acked); -1 for acks=0, where Kafka gives no offset. */
  readonly offset?: number;
  readonly error?: KafkaError;
  /** The broker whose response acknowledged it (absent for acks=0). */
  readonly by?: BrokerId;
  readonly acks: Acks;
}

/** The origin of one batch inside a delivered slice: records from `baseOffset` on are `sendId`'s. */
export interface PolledBatch {
  readonly baseOffset: number;
  readonly sendId: string;
}

export interface PollRecord {
  readonly consumer: string;
  readonly group: string | null;
  /** Group generation of the assignment the slice was fetched under (-1 for assign()). */
  readonly generation: number;
  readonly topic: string;
  readonly partition: number;
  /** Offset of the first record delivered. */
  readonly offset: number;
  /** Records delivered. */
  readonly count: number;
  /**
   * The consumer's position after the slice (last delivered offset + 1). Defaults to
   * offset + count; larger when compaction, control records or aborted records lie inside it.
   */
  readonly nextOffset?: number;
  /** Origins of the batches the slice covers, ascending base offsets (kept when payloads are). */
  readonly origins?: ReadonlyArray<PolledBatch>;
  readonly atUs: number;
  readonly isolation: Isolation;
  /**
   * Which run of the consumer's process polled it (1, 2, ... after restarts). A restarted static
   * member keeps its generation but starts again from the committed offsets.
   */
  readonly session?: number;
}

export interface CommitRecord {
  readonly group: string;
  readonly consumer: string;
  readonly topic: string;
  readonly partition: number;
  /** The committed offset: the next record the group will read. */
  readonly offset: number;
  readonly atUs: number;
  readonly generation: number;
}

export interface OffsetReset {
  readonly consumer: string;
  readonly group: string | null;
  readonly generation: number;
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly atUs: number;
  /** truncation: KIP-320 validation found the log diverged and moved the position back. */
  readonly strategy: "earliest" | "latest" | "seek" | "truncation";
}

/** A completed rebalance as one member saw it: what it got and what it gave up. */
export interface RebalanceRecord {
  readonly consumer: string;
  readonly group: string;
  readonly generation: number;
  readonly memberId: string;
  readonly protocol: "EAGER" | "COOPERATIVE";
  readonly assigned: ReadonlyArray<{ readonly topic: string; readonly partition: number }>;
  readonly revoked: ReadonlyArray<{ readonly topic: string; readonly partition: number }>;
  /** When the member began to rejoin; `atUs` - `startedAtUs` is its rebalance latency. */
  readonly startedAtUs: number;
  readonly atUs: number;
}

export interface ReplicaTruncation {
  readonly atUs: number;
  readonly broker: BrokerId;
  readonly topic: string;
  readonly partition: number;
  /** Log end offset before the cut. */
  readonly fromOffset: number;
  /** Log end offset after the cut: [toOffset, fromOffset) is gone. */
  readonly toOffset: number;
  readonly why: TruncationWhy;
  /** Leader epoch the replica was following when it cut (-1 when unknown, e.g. at recovery). */
  readonly leaderEpoch: number;
}

export interface LeaderChange {
  readonly atUs: number;
  readonly topic: string;
  readonly partition: number;
  readonly leader: BrokerId;
  readonly leaderEpoch: number;
  /** Elected from outside the ISR (KIP-704's RECOVERING state). */
  readonly unclean: boolean;
}

export interface HwChange {
  readonly atUs: number;
  readonly broker: BrokerId;
  readonly topic: string;
  readonly partition: number;
  /** Epoch the replica leads or follows (-1 when unknown). */
  readonly leaderEpoch: number;
  readonly hw: number;
  readonly isLeader: boolean;
}

export interface TxnMarker {
  readonly transactionalId: string;
  readonly producerId: number;
  readonly epoch: number;
  readonly topic: string;
  readonly partition: number;
  /** Offset of the control batch. */
  readonly offset: number;
  readonly commit: boolean;
  readonly atUs: number;
}

/** A broker's head offset as a lag monitor fetched it (Burrow's broker offset ring). */
export interface BrokerOffsetSample {
  readonly atUs: number;
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

/** A batch of a replica's log at the end of the run: the RecordBatch fields the checkers use. */
export interface FinalBatch {
  readonly baseOffset: number;
  readonly count: number;
  readonly leaderEpoch: number;
  readonly origin?: string;
  /** Surviving offsets after compaction (absent: all of [baseOffset, baseOffset + count)). */
  readonly offsets?: ReadonlyArray<number>;
  readonly isControl?: boolean;
  readonly isTransactional?: boolean;
  readonly producerId?: number;
}

export interface FinalReplica {
  readonly broker: BrokerId;
  readonly leo: number;
  readonly hw: number;
  readonly logStartOffset?: number;
  /** Ascending base offsets, non-overlapping. */
  readonly batches: ReadonlyArray<FinalBatch>;
}

export interface FinalPartition {
  readonly topic: string;
  readonly partition: number;
  /** Leader at the end, as the controller sees it; null when none. */
  readonly leader: BrokerId | null;
  /** The leader's HW (the committed end of the log). */
  readonly hw: number;
  readonly logStartOffset: number;
  /** cleanup.policy includes compact: holes in the log are the cleaner's, not losses. */
  readonly compact?: boolean;
  /** Ascending broker ids. */
  readonly replicas: ReadonlyArray<FinalReplica>;
}

export interface FinalState {
  readonly atUs: number;
  /** In (topic, partition) order. */
  readonly partitions: ReadonlyArray<FinalPartition>;
  /** The groups' committed offsets as their coordinators hold them at the end (when known). */
  readonly groupOffsets?: ReadonlyArray<GroupOffset>;
}

export interface GroupOffset {
  readonly group: string;
  readonly topic: string;
  readonly partition: number;
  /** The next offset the group reads. */
  readonly offset: number;
}

/** A stream processor of the run (its outputs name their inputs: SendRecord.sources). */
export interface ProcessorRecord {
  readonly id: string;
  /** Its group id and transactional.id prefix. */
  readonly applicationId: string;
  readonly guarantee: "at_least_once" | "exactly_once_v2";
  readonly input: ReadonlyArray<string>;
  readonly output: string;
}

export interface History {
  readonly sends: ReadonlyArray<SendRecord>;
  readonly outcomes: ReadonlyArray<SendOutcome>;
  readonly polls: ReadonlyArray<PollRecord>;
  readonly commits: ReadonlyArray<CommitRecord>;
  readonly resets: ReadonlyArray<OffsetReset>;
  readonly rebalances: ReadonlyArray<RebalanceRecord>;
  readonly truncations: ReadonlyArray<ReplicaTruncation>;
  readonly leaderChanges: ReadonlyArray<LeaderChange>;
  readonly hwChanges: ReadonlyArray<HwChange>;
  readonly txnMarkers: ReadonlyArray<TxnMarker>;
  /** Explicit lag-monitor samples; when empty, lag-ok samples the leaders' HW changes. */
  readonly brokerOffsets: ReadonlyArray<BrokerOffsetSample>;
  /** The stream processors of the run (none: empty). */
  readonly processors: ReadonlyArray<ProcessorRecord>;
  readonly final?: FinalState;
  /** End of the run (Burrow's "now"); at least the last record's time. */
  readonly endUs: number;
}

/** A history with every list given (empty ones default); handy for tests and adapters. */
export function makeHistory(parts: Partial<History>): History {
  return {
    sends: parts.sends ?? [],
    outcomes: parts.outcomes ?? [],
    polls: parts.polls ?? [],
    commits: parts.commits ?? [],
    resets: parts.resets ?? [],
    rebalances: parts.rebalances ?? [],
    truncations: parts.truncations ?? [],
    leaderChanges: parts.leaderChanges ?? [],
    hwChanges: parts.hwChanges ?? [],
    txnMarkers: parts.txnMarkers ?? [],
    brokerOffsets: parts.brokerOffsets ?? [],
    processors: parts.processors ?? [],
    ...(parts.final === undefined ? {} : { final: parts.final }),
    endUs: parts.endUs ?? parts.final?.atUs ?? 0,
  };
}

/** The sequence number of a send id: "producer-1:17" → 17 (client ids may contain ':'). */
export function sendSeq(send: Pick<SendRecord, "sendId" | "client">): number {
  const prefix = `${send.client}:`;
  assert(send.sendId.startsWith(prefix), () => `send id ${send.sendId} is not ${prefix}<seq>`);
  const seq = Number(send.sendId.slice(prefix.length));
  assert(Number.isSafeInteger(seq) && seq >= 0, () => `send id ${send.sendId} has no sequence`);
  return seq;
}

/** The consumer's position after a poll: `nextOffset`, or offset + count. */
export function pollEnd(poll: PollRecord): number {
  return poll.nextOffset ?? poll.offset + poll.count;
}

/** A FinalBatch from a log's RecordBatch (drops bytes, timestamps, payloads). */
export function finalBatchOf(batch: RecordBatch): FinalBatch {
  return {
    baseOffset: batch.baseOffset,
    count: batch.count,
    leaderEpoch: batch.leaderEpoch,
    ...(batch.origin === undefined ? {} : { origin: batch.origin }),
    ...(batch.offsets === undefined ? {} : { offsets: batch.offsets.slice() }),
    ...(batch.isControl ? { isControl: true } : {}),
    ...(batch.isTransactional ? { isTransactional: true } : {}),
    ...(batch.producerId >= 0 ? { producerId: batch.producerId } : {}),
  };
}

// ---------------------------------------------------------------- recording

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends ReadonlyArray<infer E> ? E[] : T[K] };

/**
 * Appends history records with their invariants checked where they are made: unique send ids, one
 * outcome per send, acked sends with an offset, non-negative integer times, records of each kind
 * in time order (the simulation appends them as virtual time advances).
 */
export class HistoryRecorder {
  private readonly h: Mutable<Omit<History, "final" | "endUs">> = {
    sends: [],
    outcomes: [],
    polls: [],
    commits: [],
    resets: [],
    rebalances: [],
    truncations: [],
    leaderChanges: [],
    hwChanges: [],
    txnMarkers: [],
    brokerOffsets: [],
    processors: [],
  };
  private readonly sendIds = new Set<string>();
  private readonly outcomeIds = new Set<string>();
  private final: FinalState | undefined;
  private lastUs = 0;

  send(r: SendRecord): void {
    sendSeq(r);
    assert(!this.sendIds.has(r.sendId), () => `send ${r.sendId} recorded twice`);
    assert(r.count >= 1, () => `send ${r.sendId} has no records`);
    assert(
      r.keys === undefined || r.keys.length === r.count,
      () => `send ${r.sendId}: ${r.keys?.length} keys for ${r.count} records`,
    );
    assert(
      r.sources === undefined || r.sources.length === r.count,
      () => `send ${r.sendId}: ${r.sources?.length} sources for ${r.count} records`,
    );
    this.sendIds.add(r.sendId);
    this.push(this.h.sends, r, r.sentAtUs, "send");
  }

  outcome(r: SendOutcome): void {
    assert(this.sendIds.has(r.sendId), () => `outcome for unknown send ${r.sendId}`);
    assert(!this.outcomeIds.has(r.sendId), () => `send ${r.sendId} has two outcomes`);
    if (r.outcome === "acked") {
      assert(r.offset !== undefined, () => `acked send ${r.sendId} has no offset`);
      assert(
        r.acks === "0" ? r.offset === -1 : r.offset >= 0,
        () => `acked send ${r.sendId} (acks=${r.acks}) has offset ${r.offset}`,
      );
    }
    this.outcomeIds.add(r.sendId);
    this.push(this.h.outcomes, r, r.atUs, "outcome");
  }

  poll(r: PollRecord): void {
    assert(r.count >= 1, () => `poll by ${r.consumer} delivers nothing`);
    assert(pollEnd(r) >= r.offset + r.count, () => `poll by ${r.consumer}: next offset too small`);
    const origins = r.origins ?? [];
    for (let i = 1; i < origins.length; i++) {
      assert(
        origins[i]!.baseOffset > origins[i - 1]!.baseOffset,
        () => `poll by ${r.consumer}: origins not in ascending offsets`,
      );
    }
    this.push(this.h.polls, r, r.atUs, "poll");
  }

  commit(r: CommitRecord): void {
    this.push(this.h.commits, r, r.atUs, "commit");
  }

  rebalance(r: RebalanceRecord): void {
    assert(r.atUs >= r.startedAtUs, () => `rebalance of ${r.consumer} ends before it starts`);
    this.push(this.h.rebalances, r, r.atUs, "rebalance");
  }

  reset(r: OffsetReset): void {
    this.push(this.h.resets, r, r.atUs, "offset reset");
  }

  truncation(r: ReplicaTruncation): void {
    assert(r.toOffset < r.fromOffset, () => `truncation of ${r.topic}-${r.partition} cuts nothing`);
    this.push(this.h.truncations, r, r.atUs, "truncation");
  }

  leaderChange(r: LeaderChange): void {
    this.push(this.h.leaderChanges, r, r.atUs, "leader change");
  }

  hwChange(r: HwChange): void {
    this.push(this.h.hwChanges, r, r.atUs, "HW change");
  }

  txnMarker(r: TxnMarker): void {
    this.push(this.h.txnMarkers, r, r.atUs, "transaction marker");
  }

  brokerOffset(r: BrokerOffsetSample): void {
    this.push(this.h.brokerOffsets, r, r.atUs, "broker offset sample");
  }

  processor(r: ProcessorRecord): void {
    assert(
      !this.h.processors.some((p) => p.id === r.id),
      () => `stream processor ${r.id} recorded twice`,
    );
    this.h.processors.push(r);
  }

  /** The end-of-run snapshot; taken once. */
  setFinal(final: FinalState): void {
    assert(this.final === undefined, "final state recorded twice");
    assertSafeInt(final.atUs, "final state time");
    this.final = final;
  }

  /** The history so far (shares the recorder's arrays: read it, do not keep appending to it). */
  history(endUs?: number): History {
    const end = Math.max(endUs ?? 0, this.lastUs, this.final?.atUs ?? 0);
    return { ...this.h, ...(this.final === undefined ? {} : { final: this.final }), endUs: end };
  }

  private push<T>(list: T[], record: T, atUs: number, what: string): void {
    assertSafeInt(atUs, `${what} time`);
    assert(atUs >= 0, () => `${what} at negative time ${atUs}`);
    if (list.length > 0) {
      const prev = list[list.length - 1] as { atUs?: number; sentAtUs?: number };
      const prevUs = prev.atUs ?? prev.sentAtUs ?? 0;
      assert(atUs >= prevUs, () => `${what} at ${atUs} us recorded after one at ${prevUs} us`);
    }
    list.push(record);
    if (atUs > this.lastUs) this.lastUs = atUs;
  }
}

// ---------------------------------------------------------------- from the trace

interface ReplicaRole {
  readonly isLeader: boolean;
  readonly leaderEpoch: number;
}

/** Node lifecycle events after which a broker's roles are unknown until it hears metadata again. */
const ROLE_RESET_EVENTS: ReadonlySet<string> = new Set([
  "host.crash",
  "host.restart",
  "broker.halt",
  "broker.shutdown",
]);

/**
 * Turns the brokers' and the controller's trace events into replica records of a history, one
 * event at a time (subscribe it to the trace, or feed it a recorded one). The `replica.hw` and
 * `replica.truncate` events do not say which epoch the replica follows: the reader keeps each
 * broker's last `partition.leader` / `partition.follower` per partition, and forgets them when the
 * broker crashes, restarts or stops. A leader election is unclean when the controller committed
 * that partition epoch with leaderRecoveryState RECOVERING (KIP-704).
 */
export class TraceHistoryReader {
  private readonly roles = new Map<string, Map<string, ReplicaRole>>();
  private readonly recovering = new Set<string>();
  /** producerId → transactional id, from the coordinator's and producers' transaction events. */
  private readonly txnIds = new Map<number, string>();

  constructor(private readonly recorder: HistoryRecorder) {}

  observe(e: TraceEvent): void {
    if (ROLE_RESET_EVENTS.has(e.type)) {
      this.roles.delete(e.node);
      return;
    }
    switch (e.type) {
      case "broker.state": {
        const state = str(e, "state");
        if (state === "starting" || state === "not-running") this.roles.delete(e.node);
        return;
      }
      case "metadata.record":
        this.noteMetadata(e);
        return;
      case "partition.leader":
        return this.onLeader(e);
      case "partition.follower":
        this.setRole(e, false, num(e, "leaderEpoch"));
        return;
      case "replica.hw":
        return this.onHw(e);
      case "replica.truncate":
        return this.onTruncate(e);
      case "txn.state":
      case "producer.txn":
        if (typeof e.producerId === "number" && typeof e.transactionalId === "string")
          this.txnIds.set(e.producerId, e.transactionalId);
        return;
      case "txn.marker":
        return this.onMarker(e);
      default:
        return;
    }
  }

  /** A leader wrote a COMMIT or ABORT marker (a failed write is no marker). */
  private onMarker(e: TraceEvent): void {
    if (e.error !== "NONE") return;
    const producerId = num(e, "producerId");
    // A marker written for a producer id no coordinator traced (a test's scripted client) still
    // ends that producer's transaction: it is named by its producer id.
    const transactionalId = this.txnIds.get(producerId) ?? `producer-id-${producerId}`;
    this.recorder.txnMarker({
      transactionalId,
      producerId,
      epoch: num(e, "producerEpoch"),
      topic: str(e, "topic"),
      partition: num(e, "partition"),
      offset: num(e, "offset"),
      commit: str(e, "result") === "COMMIT",
      atUs: e.t,
    });
  }

  private noteMetadata(e: TraceEvent): void {
    const record = e.record;
    if (record !== "PartitionRecord" && record !== "PartitionChangeRecord") return;
    if (e.leaderRecoveryState !== "RECOVERING") return;
    this.recovering.add(`${tpKey(str(e, "topic"), num(e, "partition"))}@${num(e, "leaderEpoch")}`);
  }

  private onLeader(e: TraceEvent): void {
    const topic = str(e, "topic");
    const partition = num(e, "partition");
    const leaderEpoch = num(e, "leaderEpoch");
    this.setRole(e, true, leaderEpoch);
    this.recorder.leaderChange({
      atUs: e.t,
      topic,
      partition,
      leader: num(e, "leader"),
      leaderEpoch,
      unclean: this.recovering.has(`${tpKey(topic, partition)}@${leaderEpoch}`),
    });
  }

  private onHw(e: TraceEvent): void {
    const topic = str(e, "topic");
    const partition = num(e, "partition");
    const role = this.roles.get(e.node)?.get(tpKey(topic, partition));
    this.recorder.hwChange({
      atUs: e.t,
      broker: brokerOf(e),
      topic,
      partition,
      leaderEpoch: role?.leaderEpoch ?? -1,
      hw: num(e, "hw"),
      isLeader: role?.isLeader ?? false,
    });
  }

  private onTruncate(e: TraceEvent): void {
    const topic = str(e, "topic");
    const partition = num(e, "partition");
    const role = this.roles.get(e.node)?.get(tpKey(topic, partition));
    const fromOffset = num(e, "from");
    const toOffset = num(e, "to");
    if (toOffset >= fromOffset) return; // nothing cut (a restart at the same offset)
    this.recorder.truncation({
      atUs: e.t,
      broker: brokerOf(e),
      topic,
      partition,
      fromOffset,
      toOffset,
      why: truncationWhy(str(e, "why")),
      leaderEpoch: role?.leaderEpoch ?? -1,
    });
  }

  private setRole(e: TraceEvent, isLeader: boolean, leaderEpoch: number): void {
    let byTp = this.roles.get(e.node);
    if (byTp === undefined) {
      byTp = new Map();
      this.roles.set(e.node, byTp);
    }
    byTp.set(tpKey(str(e, "topic"), num(e, "partition")), { isLeader, leaderEpoch });
  }
}

/** Reads a recorded trace's replica events into `recorder` (a new one by default). */
export function historyFromTrace(
  events: Iterable<TraceEvent>,
  recorder: HistoryRecorder = new HistoryRecorder(),
): HistoryRecorder {
  const reader = new TraceHistoryReader(recorder);
  for (const e of events) reader.observe(e);
  return recorder;
}

function field(e: TraceEvent, name: string): TraceValue {
  const v = e[name];
  assert(v !== undefined, () => `${e.type} event at ${e.t} us has no ${name}`);
  return v;
}

function num(e: TraceEvent, name: string): number {
  const v = field(e, name);
  assert(typeof v === "number", () => `${e.type}.${name} is not a number`);
  return v;
}

function str(e: TraceEvent, name: string): string {
  const v = field(e, name);
  assert(typeof v === "string", () => `${e.type}.${name} is not a string`);
  return v;
}

function brokerOf(e: TraceEvent): BrokerId {
  const id = Number(e.node);
  assert(Number.isSafeInteger(id), () => `${e.type} from node ${e.node}, not a broker`);
  return id;
}

function truncationWhy(why: string): TruncationWhy {
  switch (why) {
    case "hw":
    case "epoch":
    case "diverging":
    case "power-loss":
    case "out-of-range":
      return why;
    default:
      assert(false, () => `unknown truncation reason ${why}`);
  }
}
