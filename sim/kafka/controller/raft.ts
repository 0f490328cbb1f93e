/**
 * KRaft's consensus layer (KIP-595) for one member of the quorum: the replicated metadata log
 * `__cluster_metadata-0`, elections, and the pull-based replication that commits entries. A plain
 * state machine, not an actor: the ControllerRole owns it, hands it messages and timer events, and
 * gives it callbacks to send messages, set timers and learn of commits and leadership changes.
 *
 * Models (after Kafka's KafkaRaftClient / QuorumState):
 * - States Unattached (optionally having voted), Follower, Candidate, Leader and Resigned, each in
 *   an epoch; the epoch, the vote and the known leader are the "quorum-state file", kept across a
 *   restart. A restarted former leader starts Resigned in its old epoch, as Kafka does, so it can
 *   never lead that epoch twice.
 * - Elections: a voter with no leader waits a random election timeout in [T, 2T) (T =
 *   controller.quorum.election.timeout.ms, drawn from the stream `raft/<id>/election`), then becomes
 *   a candidate in epoch + 1 and asks the other voters for their vote. A vote is granted once per
 *   epoch, and only to a candidate whose log is at least as up to date (last epoch, then end
 *   offset). A majority makes a leader; a candidate that times out or is rejected by a majority
 *   backs off (binary exponential, at most controller.quorum.election.backoff.max.ms) and tries
 *   again in the next epoch.
 * - The leader appends a LeaderChangeMessage, sends BeginQuorumEpoch (again every half fetch
 *   timeout to voters that have not fetched yet), and serves Fetch: followers (voters) and
 *   observers (brokers) pull from their log end offset with the epoch of their last entry; a
 *   mismatch answers `divergingEpoch` and the fetcher truncates. An empty fetch is held up to
 *   maxWaitMs and answered at once when entries are appended or the high watermark moves.
 * - Commit: the leader's high watermark is the largest offset that a majority of voters hold AND
 *   that lies past the start of the leader's own epoch (Raft's rule: an earlier epoch's entries
 *   commit only together with one of the current epoch). Followers and observers learn it from
 *   fetch responses (min of the leader's and their own end offset).
 * - Timeouts: a follower that has not fetched successfully for controller.quorum.fetch.timeout.ms
 *   becomes a candidate; a leader that has not heard from a majority for 1.5 fetch timeouts resigns
 *   (check-quorum, Kafka's CHECK_QUORUM_TIMEOUT_FACTOR) and sends EndQuorumEpoch; a graceful
 *   shutdown of the leader sends EndQuorumEpoch with the preferred successors first.
 * - Non-leaders answer a fetch with NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH (fetcher behind)
 *   or UNKNOWN_LEADER_EPOCH (fetcher ahead), with the current leader as a hint.
 *
 * Simplifies: no pre-vote (KIP-996, Kafka 4.0) so a partitioned voter that returns with a higher
 * epoch disrupts the leader, as before 4.0; static voters (no KIP-853 reconfiguration); no
 * snapshots, the log starts at offset 0; every append is fsynced at once (KRaft fsyncs each
 * append; its latency is not modelled), so a power loss loses nothing; the high watermark is not
 * persisted, so a restarted node re-applies its log from offset 0 as the leader commits it.
 *
 * Faults it survives: lost messages (request timeouts and retries), crashes and power loss of any
 * member (log and quorum state on disk), partitions (check-quorum, elections, divergence and
 * truncation of uncommitted entries after the heal).
 */
import { assert, assertSafeInt } from "../../engine/assert.ts";
import type { RngStream } from "../../engine/rng.ts";
import type { TraceFields } from "../../engine/trace.ts";
import type {
  BeginQuorumEpochRequest,
  BeginQuorumEpochResponse,
  ControlError,
  EndQuorumEpochRequest,
  MetadataFetchRequest,
  MetadataFetchResponse,
  MetadataLogEntry,
  MetadataLogRecord,
  VoteRequest,
  VoteResponse,
} from "../protocol-control.ts";

export type RaftState = "unattached" | "follower" | "candidate" | "leader" | "resigned";

export type RaftMessage =
  | VoteRequest
  | VoteResponse
  | BeginQuorumEpochRequest
  | BeginQuorumEpochResponse
  | EndQuorumEpochRequest
  | MetadataFetchRequest
  | MetadataFetchResponse;

export type RaftTimerName =
  | "election"
  | "fetch-timeout"
  | "fetch-request"
  | "check-quorum"
  | "begin-quorum"
  | "fetch-wait";

/** A timer's payload, plain data: the engine carries it back to handleTimer. */
export interface RaftTimer {
  readonly name: RaftTimerName;
  /** Each arming gets a new token; an event with an old token is stale and ignored. */
  readonly token: number;
  /** The node whose fetch is held ("fetch-wait"), else -1. */
  readonly replicaId: number;
}

export interface RaftTimings {
  /** controller.quorum.election.timeout.ms × 1000. */
  readonly electionTimeoutUs: number;
  /** controller.quorum.fetch.timeout.ms × 1000. */
  readonly fetchTimeoutUs: number;
  /** controller.quorum.election.backoff.max.ms × 1000. */
  readonly electionBackoffMaxUs: number;
  /** controller.quorum.request.timeout.ms × 1000. */
  readonly requestTimeoutUs: number;
  /** controller.quorum.retry.backoff.ms × 1000. */
  readonly retryBackoffUs: number;
  /** How long a fetch may wait at the leader for new entries, ms (Kafka's 500). */
  readonly fetchMaxWaitMs: number;
}

export interface RaftOptions extends RaftTimings {
  readonly nodeId: number;
  /** The voters' node ids. A node that is not among them is an observer. */
  readonly voters: readonly number[];
  /** The stream `raft/<nodeId>/election`: election timeouts and backoffs. */
  readonly rng: RngStream;
}

export interface RaftCallbacks {
  now(): number;
  send(to: number, message: RaftMessage): void;
  setTimer(delayUs: number, timer: RaftTimer): unknown;
  cancelTimer(handle: unknown): void;
  /** Entries newly below the high watermark, in offset order; `highWatermark` is exclusive. */
  onCommit(entries: readonly MetadataLogEntry[], highWatermark: number): void;
  /** The leader's LeaderChangeMessage is committed: every earlier entry is too. */
  onBecomeLeader(epoch: number): void;
  /** This node stopped being the leader of `epoch` (new epoch seen, check-quorum, shutdown). */
  onResign(epoch: number): void;
  trace(type: string, fields: TraceFields): void;
}

/** Kafka's RETRY_BACKOFF_BASE_MS for election backoffs, in µs. */
const ELECTION_BACKOFF_BASE_US = 100_000;
/** Kafka's CHECK_QUORUM_TIMEOUT_FACTOR, as a ratio of integers. */
const CHECK_QUORUM_FACTOR_NUM = 3;
const CHECK_QUORUM_FACTOR_DEN = 2;
/** Correlation ids of the quorum's own requests start here, apart from a host broker's. */
export const RAFT_CORRELATION_BASE = 1_000_000_000;
/** A fetch response carries at most this many bytes of entries (at least one entry). */
const FETCH_MAX_BYTES = 1_048_576;

const VOTE_REQUEST_BYTES = 64;
const VOTE_RESPONSE_BYTES = 48;
const BEGIN_QUORUM_BYTES = 48;
const END_QUORUM_BYTES = 56;
const FETCH_REQUEST_BYTES = 96;
const FETCH_RESPONSE_BYTES = 72;
const ENTRY_OVERHEAD_BYTES = 24;

/** An estimate of an entry's size in the log: a batch header share plus its fields. */
export function metadataEntryBytes(record: MetadataLogRecord): number {
  let bytes = ENTRY_OVERHEAD_BYTES;
  const fields = record as unknown as Record<string, unknown>;
  for (const key in fields) {
    const value = fields[key];
    if (typeof value === "string") bytes += 2 + value.length;
    else if (typeof value === "number") bytes += 4;
    else if (typeof value === "boolean") bytes += 1;
    else if (Array.isArray(value)) bytes += 4 + 4 * value.length;
  }
  return bytes;
}

/** Bootstrap entries: the records, at offsets 0.., all in epoch 1 (the committed start log). */
export function buildBootstrapLog(records: readonly MetadataLogRecord[]): MetadataLogEntry[] {
  return records.map((record, offset) => ({ offset, epoch: 1, record }));
}

interface HeldFetch {
  readonly from: number;
  readonly request: MetadataFetchRequest;
}

interface VoterProgress {
  /** The voter's log end offset as its last valid fetch said; -1 until it fetches. */
  endOffset: number;
  /** It fetched, or answered BeginQuorumEpoch, in this epoch. */
  acknowledged: boolean;
}

/** Read-only view for tests, tools and the viz. */
export interface RaftSnapshot {
  readonly nodeId: number;
  readonly state: RaftState;
  readonly epoch: number;
  readonly leaderId: number;
  readonly votedFor: number;
  readonly logEndOffset: number;
  readonly highWatermark: number;
  readonly lastEpoch: number;
}

export class RaftNode {
  readonly nodeId: number;
  readonly voters: readonly number[];
  readonly isVoter: boolean;
  private readonly timings: RaftTimings;
  private readonly rng: RngStream;
  private readonly cb: RaftCallbacks;

  // Persistent ("on disk"): the log and the quorum state.
  private readonly log: MetadataLogEntry[] = [];
  private currentEpoch = 0;
  private votedFor = -1;
  private currentLeader = -1;

  // Volatile.
  private state: RaftState = "unattached";
  private hw = 0;
  private running = false;
  private readonly timers = new Map<string, { handle: unknown; token: number; atUs: number }>();
  private nextToken = 1;
  private nextCorrelationId = RAFT_CORRELATION_BASE;
  private inCommitCallback = false;
  // Candidate.
  private readonly granted = new Set<number>();
  private readonly rejected = new Set<number>();
  private electionRetries = 0;
  private backingOff = false;
  // Follower / observer.
  private inflightFetch: { correlationId: number; to: number } | undefined;
  private discoveryIndex = 0;
  // Leader.
  private epochStartOffset = 0;
  private readonly progress = new Map<number, VoterProgress>();
  private readonly heardSinceCheck = new Set<number>();
  private readonly held = new Map<number, HeldFetch>();
  private activated = false;

  constructor(options: RaftOptions, callbacks: RaftCallbacks) {
    for (const t of [
      options.electionTimeoutUs,
      options.fetchTimeoutUs,
      options.electionBackoffMaxUs,
      options.requestTimeoutUs,
      options.retryBackoffUs,
      options.fetchMaxWaitMs,
    ]) {
      assertSafeInt(t, "raft timing");
      assert(t >= 0, "raft timings are ≥ 0");
    }
    assert(options.electionTimeoutUs > 0, "election timeout must be positive");
    assert(options.voters.length > 0, "a quorum needs at least one voter");
    assert(
      new Set(options.voters).size === options.voters.length,
      "voters must be distinct node ids",
    );
    this.nodeId = options.nodeId;
    this.voters = options.voters.slice().sort((a, b) => a - b);
    this.isVoter = this.voters.includes(options.nodeId);
    this.timings = options;
    this.rng = options.rng;
    this.cb = callbacks;
  }

  // ---------------------------------------------------------------- queries

  get epoch(): number {
    return this.currentEpoch;
  }

  get raftState(): RaftState {
    return this.state;
  }

  get leaderId(): number {
    return this.currentLeader;
  }

  get highWatermark(): number {
    return this.hw;
  }

  get logEndOffset(): number {
    return this.log.length;
  }

  get isLeader(): boolean {
    return this.running && this.state === "leader";
  }

  /** The entry at `offset` (tests and tools). */
  entryAt(offset: number): MetadataLogEntry | undefined {
    return this.log[offset];
  }

  /** A copy of the log's entries in [from, to). */
  entries(from = 0, to = this.log.length): MetadataLogEntry[] {
    return this.log.slice(from, to);
  }

  /** Whether a MetadataFetchResponse with this correlation id answers this node's own fetch. */
  ownsFetch(correlationId: number): boolean {
    return this.inflightFetch?.correlationId === correlationId;
  }

  snapshot(): RaftSnapshot {
    return {
      nodeId: this.nodeId,
      state: this.state,
      epoch: this.currentEpoch,
      leaderId: this.currentLeader,
      votedFor: this.votedFor,
      logEndOffset: this.log.length,
      highWatermark: this.hw,
      lastEpoch: this.lastEpoch(),
    };
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Installs the committed bootstrap log and the quorum state "leader `leaderId` in `epoch`", so
   * that the first start finds the cluster in steady state. Call once, before the first start.
   */
  bootstrap(entries: readonly MetadataLogEntry[], leaderId: number, epoch = 1): void {
    assert(this.log.length === 0 && this.currentEpoch === 0, "bootstrap runs once, first");
    assert(this.voters.includes(leaderId), () => `bootstrap leader ${leaderId} is not a voter`);
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!;
      assert(entry.offset === i, () => `bootstrap entry ${i} has offset ${entry.offset}`);
      assert(entry.epoch <= epoch, () => `bootstrap entry ${i} is from a later epoch`);
      this.log.push(entry);
    }
    this.currentEpoch = epoch;
    this.currentLeader = leaderId;
    this.votedFor = -1;
    // The bootstrap entries are committed everywhere; nobody re-applies them through onCommit.
    this.hw = this.log.length;
  }

  /**
   * Starts (first boot or a restart after a crash or power loss). The quorum state decides the
   * start: a former leader resigned in its epoch, a follower of the known leader, else unattached.
   */
  start(restart: boolean): void {
    this.resetVolatile();
    this.running = true;
    if (restart) this.hw = 0;
    const leader = this.currentLeader;
    if (leader === this.nodeId) {
      if (restart) {
        this.enterResigned();
      } else {
        this.enterLeader(false);
      }
    } else if (leader >= 0) {
      this.enterFollower(this.currentEpoch, leader);
    } else {
      this.enterUnattached(this.currentEpoch, this.votedFor);
    }
  }

  /** The process died: volatile state is gone (the engine already dropped its timers). */
  crash(): void {
    this.running = false;
    this.resetVolatile();
  }

  /** Graceful shutdown: a leader hands over with EndQuorumEpoch; then the node goes quiet. */
  shutdown(): void {
    if (!this.running) return;
    if (this.state === "leader") {
      this.sendEndQuorumEpoch();
      this.leaveLeadership();
      this.state = "resigned";
    }
    this.cancelAllTimers();
    this.running = false;
  }

  private resetVolatile(): void {
    this.cancelAllTimers();
    this.state = "unattached";
    this.granted.clear();
    this.rejected.clear();
    this.electionRetries = 0;
    this.backingOff = false;
    this.inflightFetch = undefined;
    this.progress.clear();
    this.heardSinceCheck.clear();
    this.held.clear();
    this.activated = false;
    this.inCommitCallback = false;
  }

  // ---------------------------------------------------------------- the leader's appends

  /** Appends records in the current epoch (leader only); returns the offsets they took. */
  appendAsLeader(records: readonly MetadataLogRecord[]): {
    baseOffset: number;
    lastOffset: number;
  } {
    assert(this.isLeader, () => `node ${this.nodeId} appends but is ${this.state}`);
    assert(!this.inCommitCallback, "append from inside a commit callback (defer it)");
    assert(records.length > 0, "append needs at least one record");
    const baseOffset = this.log.length;
    for (const record of records) {
      this.log.push({ offset: this.log.length, epoch: this.currentEpoch, record });
    }
    this.answerHeldFetches();
    this.maybeAdvanceLeaderHighWatermark();
    return { baseOffset, lastOffset: this.log.length - 1 };
  }

  // ---------------------------------------------------------------- timers

  handleTimer(timer: RaftTimer): void {
    if (!this.running) return;
    const key = timerKey(timer.name, timer.replicaId);
    const slot = this.timers.get(key);
    if (slot === undefined || slot.token !== timer.token) return;
    this.timers.delete(key);
    switch (timer.name) {
      case "election":
        this.onElectionTimer();
        return;
      case "fetch-timeout":
        this.onFetchTimeout();
        return;
      case "fetch-request":
        // The fetch (or the wait after a failed one) expired: send a new one.
        this.inflightFetch = undefined;
        this.sendFetch();
        return;
      case "check-quorum":
        this.onCheckQuorumExpired();
        return;
      case "begin-quorum":
        this.sendBeginQuorumEpochs();
        return;
      case "fetch-wait": {
        const held = this.held.get(timer.replicaId);
        if (held === undefined) return;
        this.held.delete(timer.replicaId);
        this.answerFetch(held.from, held.request);
        return;
      }
    }
  }

  private setTimer(name: RaftTimerName, delayUs: number, replicaId = -1): void {
    const key = timerKey(name, replicaId);
    this.cancelTimer(key);
    const token = this.nextToken++;
    const handle = this.cb.setTimer(delayUs, { name, token, replicaId });
    this.timers.set(key, { handle, token, atUs: this.cb.now() + delayUs });
  }

  /** Time left on a timer, or undefined when it is not armed. */
  private remainingUs(name: RaftTimerName): number | undefined {
    const slot = this.timers.get(timerKey(name, -1));
    return slot === undefined ? undefined : Math.max(0, slot.atUs - this.cb.now());
  }

  private cancelTimer(key: string): void {
    const slot = this.timers.get(key);
    if (slot === undefined) return;
    this.cb.cancelTimer(slot.handle);
    this.timers.delete(key);
  }

  private cancelAllTimers(): void {
    for (const slot of this.timers.values()) this.cb.cancelTimer(slot.handle);
    this.timers.clear();
  }

  /** Kafka's randomElectionTimeoutMs: uniform in [T, 2T). */
  private randomElectionTimeoutUs(): number {
    const t = this.timings.electionTimeoutUs;
    return t + this.rng.intBetween(0, t - 1);
  }

  /** Kafka's binaryExponentialElectionBackoffMs. */
  private electionBackoffUs(retries: number): number {
    assert(retries > 0, "backoff after at least one election");
    const bound = 2 << Math.min(20, retries - 1);
    const drawn = ELECTION_BACKOFF_BASE_US * this.rng.intBetween(0, bound - 1);
    return Math.min(drawn, this.timings.electionBackoffMaxUs);
  }

  /** Kafka's strictExponentialElectionBackoffMs, for the successors an EndQuorumEpoch names. */
  private endEpochBackoffUs(position: number, successors: number): number {
    if (position === 0) return 0;
    if (position < 0 || position >= successors) return this.timings.electionBackoffMaxUs;
    const shifted = ELECTION_BACKOFF_BASE_US * (1 << Math.min(20, position - 1));
    return Math.min(this.timings.electionBackoffMaxUs, shifted);
  }

  private onElectionTimer(): void {
    switch (this.state) {
      case "unattached":
      case "resigned":
        if (this.isVoter) this.enterCandidate();
        return;
      case "candidate":
        if (this.backingOff) this.enterCandidate();
        else this.startBackoff();
        return;
      case "follower":
      case "leader":
        return;
    }
  }

  private onFetchTimeout(): void {
    if (this.state !== "follower") return;
    if (this.isVoter) {
      this.enterCandidate();
    } else {
      // An observer lost its leader: look for it again among the voters.
      this.enterUnattached(this.currentEpoch, -1);
    }
  }

  // ---------------------------------------------------------------- state transitions

  private enterUnattached(epoch: number, votedFor: number): void {
    // Kafka's transitionToUnattached keeps the election time left of an unattached voter or a
    // candidate: otherwise a disruptive candidate that keeps raising the epoch would reset every
    // voter's timer, and nobody else would ever stand.
    const keepUs =
      this.state === "unattached" || this.state === "candidate"
        ? this.remainingUs("election")
        : undefined;
    if (this.state === "leader") this.leaveLeadership();
    this.cancelAllTimers();
    this.setQuorumState(epoch, votedFor, -1);
    this.state = "unattached";
    this.inflightFetch = undefined;
    if (this.isVoter) {
      this.setTimer("election", keepUs ?? this.randomElectionTimeoutUs());
    } else {
      this.sendFetch();
    }
  }

  private enterFollower(epoch: number, leaderId: number): void {
    assert(leaderId !== this.nodeId, "a node never follows itself");
    if (this.state === "leader") this.leaveLeadership();
    this.cancelAllTimers();
    const votedFor = epoch === this.currentEpoch ? this.votedFor : -1;
    this.setQuorumState(epoch, votedFor, leaderId);
    this.state = "follower";
    this.electionRetries = 0;
    this.inflightFetch = undefined;
    this.setTimer("fetch-timeout", this.timings.fetchTimeoutUs);
    this.sendFetch();
  }

  private enterCandidate(): void {
    assert(this.isVoter, "observers never stand for election");
    const retries = this.state === "candidate" ? this.electionRetries + 1 : 1;
    if (this.state === "leader") this.leaveLeadership();
    this.cancelAllTimers();
    this.setQuorumState(this.currentEpoch + 1, this.nodeId, -1);
    this.state = "candidate";
    this.electionRetries = retries;
    this.backingOff = false;
    this.inflightFetch = undefined;
    this.granted.clear();
    this.rejected.clear();
    this.granted.add(this.nodeId);
    this.cb.trace("raft.election", { epoch: this.currentEpoch, candidate: this.nodeId });
    if (this.granted.size >= this.majority()) {
      this.enterLeader(true);
      return;
    }
    for (const voter of this.voters) {
      if (voter === this.nodeId) continue;
      this.cb.send(voter, {
        type: "VoteRequest",
        bytes: VOTE_REQUEST_BYTES,
        correlationId: this.nextCorrelationId++,
        candidateId: this.nodeId,
        candidateEpoch: this.currentEpoch,
        lastOffsetEpoch: this.lastEpoch(),
        lastOffset: this.log.length,
      });
    }
    this.setTimer("election", this.randomElectionTimeoutUs());
  }

  private startBackoff(): void {
    this.backingOff = true;
    this.setTimer("election", this.electionBackoffUs(this.electionRetries));
  }

  /** `elected`: won a vote now (append a LeaderChangeMessage); false: the bootstrap leader. */
  private enterLeader(elected: boolean): void {
    this.cancelAllTimers();
    this.setQuorumState(this.currentEpoch, this.votedFor, this.nodeId);
    this.state = "leader";
    this.electionRetries = 0;
    this.inflightFetch = undefined;
    this.progress.clear();
    this.heardSinceCheck.clear();
    this.held.clear();
    this.activated = false;
    for (const voter of this.voters) {
      if (voter === this.nodeId) continue;
      // The bootstrap leader knows every voter holds the bootstrap log.
      this.progress.set(voter, {
        endOffset: elected ? -1 : this.log.length,
        acknowledged: !elected,
      });
    }
    this.cb.trace("raft.leader", { epoch: this.currentEpoch, leader: this.nodeId });
    if (elected) {
      this.epochStartOffset = this.log.length;
      this.log.push({
        offset: this.log.length,
        epoch: this.currentEpoch,
        record: { type: "LeaderChangeMessage", leaderId: this.nodeId },
      });
      this.sendBeginQuorumEpochs();
    } else {
      this.epochStartOffset = 0;
    }
    this.armCheckQuorum();
    if (elected) {
      this.maybeAdvanceLeaderHighWatermark();
    } else {
      // The bootstrap log is committed: the controller is active from the first event.
      this.activated = true;
      this.cb.onBecomeLeader(this.currentEpoch);
    }
  }

  /** Check-quorum failed (or a restart found us the leader): keep the epoch, let others elect. */
  private enterResigned(): void {
    if (this.state === "leader") {
      this.sendEndQuorumEpoch();
      this.leaveLeadership();
    }
    this.cancelAllTimers();
    this.setQuorumState(this.currentEpoch, this.votedFor, this.nodeId);
    this.state = "resigned";
    this.inflightFetch = undefined;
    this.setTimer("election", this.randomElectionTimeoutUs());
  }

  /** Leaves the leader state: held fetches are answered with an error, the controller steps down. */
  private leaveLeadership(): void {
    for (const id of [...this.held.keys()].sort((a, b) => a - b)) {
      const held = this.held.get(id)!;
      this.sendFetchError(held.from, held.request, "NOT_LEADER_OR_FOLLOWER", -1);
    }
    this.held.clear();
    this.progress.clear();
    this.heardSinceCheck.clear();
    this.activated = false;
    this.state = "unattached";
    this.cb.onResign(this.currentEpoch);
  }

  private setQuorumState(epoch: number, votedFor: number, leaderId: number): void {
    assert(
      epoch >= this.currentEpoch,
      () => `epoch went back from ${this.currentEpoch} to ${epoch}`,
    );
    assertSafeInt(epoch, "raft epoch");
    this.currentEpoch = epoch;
    this.votedFor = votedFor;
    this.currentLeader = leaderId;
  }

  /**
   * A message shows epoch `epoch` (and maybe its leader): move to it if it is newer, or learn the
   * leader of our own epoch. Returns true when the state changed.
   */
  private observeEpoch(epoch: number, leaderId: number): boolean {
    if (epoch > this.currentEpoch) {
      if (leaderId >= 0 && leaderId !== this.nodeId) this.enterFollower(epoch, leaderId);
      else this.enterUnattached(epoch, -1);
      return true;
    }
    if (
      epoch === this.currentEpoch &&
      leaderId >= 0 &&
      leaderId !== this.nodeId &&
      (this.state === "unattached" || this.state === "candidate")
    ) {
      this.enterFollower(epoch, leaderId);
      return true;
    }
    return false;
  }

  private majority(): number {
    return Math.floor(this.voters.length / 2) + 1;
  }

  // ---------------------------------------------------------------- messages

  handleMessage(from: number, message: RaftMessage): void {
    if (!this.running) return;
    switch (message.type) {
      case "VoteRequest":
        this.onVoteRequest(from, message);
        return;
      case "VoteResponse":
        this.onVoteResponse(from, message);
        return;
      case "BeginQuorumEpochRequest":
        this.onBeginQuorumEpoch(from, message);
        return;
      case "BeginQuorumEpochResponse":
        this.onBeginQuorumEpochResponse(from, message);
        return;
      case "EndQuorumEpochRequest":
        this.onEndQuorumEpoch(message);
        return;
      case "MetadataFetchRequest":
        this.onFetchRequest(from, message);
        return;
      case "MetadataFetchResponse":
        this.onFetchResponse(from, message);
        return;
    }
  }

  /** The connection to `peer` broke: a fetch in flight to it is lost, so try again soon. */
  handleDisconnect(peer: number): void {
    if (!this.running || this.inflightFetch?.to !== peer) return;
    this.inflightFetch = undefined;
    this.setTimer("fetch-request", this.timings.retryBackoffUs);
  }

  private onVoteRequest(from: number, req: VoteRequest): void {
    const reply = (granted: boolean, error: ControlError): void => {
      this.cb.send(from, {
        type: "VoteResponse",
        bytes: VOTE_RESPONSE_BYTES,
        correlationId: req.correlationId,
        error,
        leaderId: this.currentLeader,
        leaderEpoch: this.currentEpoch,
        voteGranted: granted,
      });
    };
    if (!this.isVoter || !this.voters.includes(req.candidateId)) {
      reply(false, "INVALID_REQUEST");
      return;
    }
    const stale = req.candidateEpoch < this.currentEpoch;
    if (req.candidateEpoch > this.currentEpoch) this.enterUnattached(req.candidateEpoch, -1);
    const granted =
      !stale &&
      this.state === "unattached" &&
      (this.votedFor === -1 || this.votedFor === req.candidateId) &&
      this.candidateLogIsUpToDate(req.lastOffsetEpoch, req.lastOffset);
    this.cb.trace("raft.vote", {
      epoch: req.candidateEpoch,
      candidate: req.candidateId,
      granted,
    });
    if (granted) {
      // The vote is on disk before the answer leaves; a new timeout gives the candidate time.
      this.votedFor = req.candidateId;
      this.setTimer("election", this.randomElectionTimeoutUs());
    }
    reply(granted, stale ? "FENCED_LEADER_EPOCH" : "NONE");
  }

  private candidateLogIsUpToDate(lastEpoch: number, endOffset: number): boolean {
    const ours = this.lastEpoch();
    return lastEpoch > ours || (lastEpoch === ours && endOffset >= this.log.length);
  }

  private onVoteResponse(from: number, resp: VoteResponse): void {
    if (this.observeEpoch(resp.leaderEpoch, resp.leaderId)) return;
    if (this.state !== "candidate" || resp.leaderEpoch !== this.currentEpoch) return;
    if (resp.voteGranted) {
      this.granted.add(from);
      if (this.granted.size >= this.majority()) this.enterLeader(true);
      return;
    }
    this.rejected.add(from);
    if (this.rejected.size >= this.majority() && !this.backingOff) this.startBackoff();
  }

  private onBeginQuorumEpoch(from: number, req: BeginQuorumEpochRequest): void {
    const reply = (error: ControlError): void => {
      this.cb.send(from, {
        type: "BeginQuorumEpochResponse",
        bytes: BEGIN_QUORUM_BYTES,
        correlationId: req.correlationId,
        error,
        leaderId: this.currentLeader,
        leaderEpoch: this.currentEpoch,
      });
    };
    if (req.leaderEpoch < this.currentEpoch) {
      reply("FENCED_LEADER_EPOCH");
      return;
    }
    if (req.leaderEpoch > this.currentEpoch || this.state !== "follower") {
      assert(
        !(
          req.leaderEpoch === this.currentEpoch &&
          (this.state === "leader" || this.state === "resigned")
        ),
        () => `two leaders in epoch ${req.leaderEpoch}: ${this.nodeId} and ${req.leaderId}`,
      );
      this.enterFollower(req.leaderEpoch, req.leaderId);
    }
    reply("NONE");
  }

  private onBeginQuorumEpochResponse(from: number, resp: BeginQuorumEpochResponse): void {
    if (this.observeEpoch(resp.leaderEpoch, resp.leaderId)) return;
    if (this.state !== "leader" || resp.error !== "NONE") return;
    const progress = this.progress.get(from);
    if (progress !== undefined) progress.acknowledged = true;
  }

  private onEndQuorumEpoch(req: EndQuorumEpochRequest): void {
    if (!this.isVoter || req.leaderEpoch < this.currentEpoch) return;
    this.observeEpoch(req.leaderEpoch, req.leaderId);
    const following =
      this.state === "follower" &&
      this.currentLeader === req.leaderId &&
      this.currentEpoch === req.leaderEpoch;
    if (!following) return;
    // The resigning leader names its best-replicated voters first: they stand sooner.
    const position = req.preferredSuccessors.indexOf(this.nodeId);
    const delayUs = this.endEpochBackoffUs(position, req.preferredSuccessors.length);
    this.setTimer("fetch-timeout", delayUs);
  }

  // ---------------------------------------------------------------- fetch: the leader's side

  private onFetchRequest(from: number, req: MetadataFetchRequest): void {
    if (this.state !== "leader" || req.currentLeaderEpoch !== this.currentEpoch) {
      const error: ControlError =
        req.currentLeaderEpoch < this.currentEpoch
          ? "FENCED_LEADER_EPOCH"
          : req.currentLeaderEpoch > this.currentEpoch
            ? "UNKNOWN_LEADER_EPOCH"
            : "NOT_LEADER_OR_FOLLOWER";
      const hint = this.state === "leader" || this.state === "follower" ? this.currentLeader : -1;
      this.sendFetchError(from, req, error, hint);
      return;
    }
    this.held.delete(from); // its sender gave up on an older held fetch
    const diverging = this.divergenceOf(req.fetchOffset, req.lastFetchedEpoch);
    if (diverging !== undefined) {
      this.sendFetchResponse(from, req, [], diverging);
      return;
    }
    // A voter's fetch counts toward the high watermark; an observer's (a broker's) does not.
    const progress = from === req.replicaId ? this.progress.get(from) : undefined;
    if (progress !== undefined) {
      progress.endOffset = req.fetchOffset;
      progress.acknowledged = true;
      this.noteHeardFrom(from);
      this.maybeAdvanceLeaderHighWatermark();
      // The high watermark move above may have answered other held fetches, not this one.
      if (this.state !== "leader") return;
    }
    const fetcherBehindOnHw = req.highWatermark !== undefined && req.highWatermark < this.hw;
    if (req.fetchOffset < this.log.length || req.maxWaitMs <= 0 || fetcherBehindOnHw) {
      this.answerFetch(from, req);
      return;
    }
    // Nothing to send: hold the fetch until entries arrive, the HW moves, or maxWaitMs passes.
    // One held fetch per fetching node: a newer one replaces the one its sender gave up on.
    this.held.set(from, { from, request: req });
    this.setTimer("fetch-wait", req.maxWaitMs * 1000, from);
  }

  /**
   * Kafka's validateOffsetAndEpoch: the fetcher's last epoch must end at or after its fetch
   * offset in our log; otherwise answer where that epoch ends here.
   */
  private divergenceOf(
    fetchOffset: number,
    lastFetchedEpoch: number,
  ): { epoch: number; endOffset: number } | undefined {
    if (fetchOffset === 0 && lastFetchedEpoch === 0) return undefined;
    const end = this.endOffsetForEpoch(lastFetchedEpoch);
    if (end.epoch !== lastFetchedEpoch || end.endOffset < fetchOffset) return end;
    return undefined;
  }

  /** The largest epoch ≤ `epoch` in the log and the offset where it ends ({0, 0} if none). */
  private endOffsetForEpoch(epoch: number): { epoch: number; endOffset: number } {
    for (let i = this.log.length - 1; i >= 0; i--) {
      const entryEpoch = this.log[i]!.epoch;
      if (entryEpoch <= epoch) return { epoch: entryEpoch, endOffset: i + 1 };
    }
    return { epoch: 0, endOffset: 0 };
  }

  private answerFetch(from: number, req: MetadataFetchRequest): void {
    this.cancelTimer(timerKey("fetch-wait", from));
    const entries: MetadataLogEntry[] = [];
    let bytes = 0;
    for (let offset = req.fetchOffset; offset < this.log.length; offset++) {
      const entry = this.log[offset]!;
      const size = metadataEntryBytes(entry.record);
      if (entries.length > 0 && bytes + size > FETCH_MAX_BYTES) break;
      entries.push(entry);
      bytes += size;
    }
    this.sendFetchResponse(from, req, entries, undefined, bytes);
  }

  private answerHeldFetches(): void {
    if (this.held.size === 0) return;
    for (const id of [...this.held.keys()].sort((a, b) => a - b)) {
      const held = this.held.get(id)!;
      this.held.delete(id);
      this.answerFetch(held.from, held.request);
    }
  }

  private sendFetchResponse(
    to: number,
    req: MetadataFetchRequest,
    entries: readonly MetadataLogEntry[],
    divergingEpoch: { epoch: number; endOffset: number } | undefined,
    entryBytes = 0,
  ): void {
    const response: MetadataFetchResponse = {
      type: "MetadataFetchResponse",
      bytes: FETCH_RESPONSE_BYTES + entryBytes,
      correlationId: req.correlationId,
      error: "NONE",
      currentLeader: { leaderId: this.nodeId, leaderEpoch: this.currentEpoch },
      highWatermark: this.hw,
      ...(divergingEpoch === undefined ? {} : { divergingEpoch }),
      entries,
    };
    this.cb.send(to, response);
  }

  private sendFetchError(
    to: number,
    req: MetadataFetchRequest,
    error: ControlError,
    leaderHint: number,
  ): void {
    this.cb.send(to, {
      type: "MetadataFetchResponse",
      bytes: FETCH_RESPONSE_BYTES,
      correlationId: req.correlationId,
      error,
      currentLeader: { leaderId: leaderHint, leaderEpoch: this.currentEpoch },
      highWatermark: -1,
      entries: [],
    });
  }

  private maybeAdvanceLeaderHighWatermark(): void {
    if (this.state !== "leader") return;
    const ends: number[] = [];
    for (const voter of this.voters) {
      ends.push(
        voter === this.nodeId ? this.log.length : (this.progress.get(voter)?.endOffset ?? -1),
      );
    }
    ends.sort((a, b) => b - a);
    const majorityEnd = ends[this.majority() - 1]!;
    // Raft's commit rule: only an offset past the start of our own epoch.
    if (majorityEnd > this.epochStartOffset && majorityEnd > this.hw) {
      this.advanceHighWatermark(majorityEnd);
    }
  }

  private advanceHighWatermark(newHw: number): void {
    assert(newHw <= this.log.length, () => `HW ${newHw} beyond LEO ${this.log.length}`);
    assert(newHw > this.hw, () => `HW must grow: ${this.hw} → ${newHw}`);
    const entries = this.log.slice(this.hw, newHw);
    this.hw = newHw;
    const leader = this.state === "leader";
    if (leader) {
      if (entries.some((e) => e.record.type !== "LeaderChangeMessage")) {
        this.cb.trace("raft.commit", { hw: newHw });
      }
      this.answerHeldFetches();
    }
    this.inCommitCallback = true;
    try {
      this.cb.onCommit(entries, newHw);
    } finally {
      this.inCommitCallback = false;
    }
    if (leader && this.state === "leader" && !this.activated && newHw > this.epochStartOffset) {
      this.activated = true;
      this.cb.onBecomeLeader(this.currentEpoch);
    }
  }

  private noteHeardFrom(voter: number): void {
    this.heardSinceCheck.add(voter);
    // Counting ourselves: once a majority has been heard from, the check-quorum clock restarts.
    if (this.heardSinceCheck.size + 1 >= this.majority()) {
      this.heardSinceCheck.clear();
      this.armCheckQuorum();
    }
  }

  private armCheckQuorum(): void {
    if (this.voters.length === 1) return; // a lone voter is always its own majority
    const timeoutUs = Math.ceil(
      (this.timings.fetchTimeoutUs * CHECK_QUORUM_FACTOR_NUM) / CHECK_QUORUM_FACTOR_DEN,
    );
    this.setTimer("check-quorum", timeoutUs);
  }

  private onCheckQuorumExpired(): void {
    if (this.state !== "leader") return;
    this.enterResigned();
  }

  private sendBeginQuorumEpochs(): void {
    if (this.state !== "leader") return;
    for (const voter of this.voters) {
      if (voter === this.nodeId || this.progress.get(voter)?.acknowledged === true) continue;
      this.cb.send(voter, {
        type: "BeginQuorumEpochRequest",
        bytes: BEGIN_QUORUM_BYTES,
        correlationId: this.nextCorrelationId++,
        leaderId: this.nodeId,
        leaderEpoch: this.currentEpoch,
      });
    }
    const pending = this.voters.some(
      (v) => v !== this.nodeId && this.progress.get(v)?.acknowledged !== true,
    );
    if (pending) this.setTimer("begin-quorum", Math.ceil(this.timings.fetchTimeoutUs / 2));
  }

  private sendEndQuorumEpoch(): void {
    const others = this.voters.filter((v) => v !== this.nodeId);
    // Best replicated first; ties by id, so the order is fixed.
    const successors = others.slice().sort((a, b) => {
      const ea = this.progress.get(a)?.endOffset ?? -1;
      const eb = this.progress.get(b)?.endOffset ?? -1;
      return eb - ea || a - b;
    });
    for (const voter of others) {
      this.cb.send(voter, {
        type: "EndQuorumEpochRequest",
        bytes: END_QUORUM_BYTES + 4 * successors.length,
        correlationId: this.nextCorrelationId++,
        leaderId: this.nodeId,
        leaderEpoch: this.currentEpoch,
        preferredSuccessors: successors,
      });
    }
  }

  // ---------------------------------------------------------------- fetch: the follower's side

  private sendFetch(): void {
    if (!this.running || this.inflightFetch !== undefined) return;
    let target: number;
    if (this.state === "follower") {
      target = this.currentLeader;
    } else if (this.state === "unattached" && !this.isVoter) {
      // An observer without a leader asks the voters in turn; any of them knows the leader.
      target = this.voters[this.discoveryIndex % this.voters.length]!;
      this.discoveryIndex++;
    } else {
      return;
    }
    const correlationId = this.nextCorrelationId++;
    this.inflightFetch = { correlationId, to: target };
    this.cb.send(target, {
      type: "MetadataFetchRequest",
      bytes: FETCH_REQUEST_BYTES,
      correlationId,
      replicaId: this.nodeId,
      fetchOffset: this.log.length,
      lastFetchedEpoch: this.lastEpoch(),
      currentLeaderEpoch: this.currentEpoch,
      maxWaitMs: this.timings.fetchMaxWaitMs,
      highWatermark: this.hw,
    });
    this.setTimer("fetch-request", this.timings.requestTimeoutUs);
  }

  private onFetchResponse(from: number, resp: MetadataFetchResponse): void {
    if (this.inflightFetch?.correlationId !== resp.correlationId) return; // stale or not ours
    this.inflightFetch = undefined;
    this.cancelTimer(timerKey("fetch-request", -1));
    if (resp.error !== "NONE") {
      const { leaderId, leaderEpoch } = resp.currentLeader;
      if (this.observeEpoch(leaderEpoch, leaderId)) return;
      // No better leader known: wait a little, then ask again (an observer asks the next voter).
      this.setTimer("fetch-request", this.timings.retryBackoffUs);
      return;
    }
    if (this.observeEpoch(resp.currentLeader.leaderEpoch, resp.currentLeader.leaderId)) return;
    if (this.state !== "follower" || this.currentLeader !== from) return;
    this.setTimer("fetch-timeout", this.timings.fetchTimeoutUs);
    if (resp.divergingEpoch !== undefined) {
      this.truncateToDivergence(resp.divergingEpoch);
    } else {
      this.appendAsFollower(resp.entries);
      const newHw = Math.min(resp.highWatermark, this.log.length);
      if (newHw > this.hw) this.advanceHighWatermark(newHw);
    }
    if (this.state === "follower") this.sendFetch();
  }

  private appendAsFollower(entries: readonly MetadataLogEntry[]): void {
    if (entries.length === 0) return;
    // Only one fetch is in flight and nothing else writes a follower's log: the offsets line up.
    assert(
      entries[0]!.offset === this.log.length,
      () => `fetched entries start at ${entries[0]!.offset}, log ends at ${this.log.length}`,
    );
    let lastEpoch = this.lastEpoch();
    for (const entry of entries) {
      assert(entry.offset === this.log.length, "fetched entries are contiguous");
      assert(entry.epoch >= lastEpoch, "epochs never decrease along the log");
      assert(entry.epoch <= this.currentEpoch, "no entry from an epoch we have not seen");
      lastEpoch = entry.epoch;
      this.log.push(entry);
    }
  }

  /** Kafka's truncateToEndOffset for a divergingEpoch answer. */
  private truncateToDivergence(diverging: { epoch: number; endOffset: number }): void {
    const local = this.endOffsetForEpoch(diverging.epoch);
    const to =
      local.epoch === diverging.epoch
        ? Math.min(local.endOffset, diverging.endOffset)
        : local.endOffset;
    assert(
      to < this.log.length,
      () => `divergence at ${to} but the log ends at ${this.log.length}`,
    );
    // Committed entries are on a majority, so every later leader has them: never cut below HW.
    assert(to >= this.hw, () => `truncation to ${to} would cut committed entries (HW ${this.hw})`);
    this.log.length = to;
  }

  private lastEpoch(): number {
    return this.log.length === 0 ? 0 : this.log[this.log.length - 1]!.epoch;
  }
}

function timerKey(name: RaftTimerName, replicaId: number): string {
  return name === "fetch-wait" ? `fetch-wait:${replicaId}` : name;
}
