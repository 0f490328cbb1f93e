/**
 * A synthetic producer: the load generator for scenarios, property tests and benchmarks. It is NOT
 * Kafka's Java producer (the full one, with the record accumulator, linger.ms, partitioners,
 * idempotence and transactions, comes with the clients issue); it keeps only what a write workload
 * and the safety checkers need.
 *
 * Models:
 * - a fixed rate of records of one size (`bytesPerSec` of record payload, `recordBytes` each),
 *   grouped into batches of `batchBytes` (16 KiB of 1 KiB records = 16 records a batch); batch k
 *   is made at start + ceil(k × batch payload × 1e6 ÷ bytesPerSec) µs, so the long-run rate is
 *   exact; batches go round-robin over the topic's partitions, or all to one `partition`;
 * - metadata: a MetadataRequest for the topic to a bootstrap broker (the next one in the list on
 *   each refresh, so a dead one is skipped the next time) at start, and again after
 *   NOT_LEADER_OR_FOLLOWER, LEADER_NOT_AVAILABLE, UNKNOWN_TOPIC_OR_PARTITION, KAFKA_STORAGE_ERROR,
 *   a disconnect or a request timeout; records wait for the first answer, as Kafka's send() blocks
 *   for metadata;
 * - delivery: one ProduceRequest per batch, at most one in flight per partition (so no reordering
 *   and no need for idempotence), to the partition's leader; `acks` -1/0/1; each request times out
 *   after request.timeout.ms; retriable errors (NOT_LEADER_OR_FOLLOWER, NOT_ENOUGH_REPLICAS,
 *   NOT_ENOUGH_REPLICAS_AFTER_APPEND, REQUEST_TIMED_OUT, disconnects, ...) are retried after
 *   retry.backoff.ms, doubled per attempt up to retry.backoff.max.ms (Kafka 3.7+'s exponential
 *   backoff, without its ±20% jitter), while `retries` allows and until delivery.timeout.ms after
 *   the batch was made; a batch still queued at its delivery timeout expires unsent;
 * - buffer.memory bounds the bytes waiting (queued or being delivered): a batch that does not fit
 *   is not made (Kafka's send() would block the application; the generator skips that beat and
 *   counts it in `stats().blockedBatches`).
 *
 * What it records: each batch's send id `${client}:${seq}` is the batch's `origin`. The history
 * sink (a HistoryRecorder from sim/check, passed in: the client layer does not import the
 * checkers) gets the send when the batch first goes to the network, then one outcome: acked (offset
 * and broker; acks=0: offset -1 at once), failed (every attempt was refused before any append) or
 * unknown (some attempt may have been appended: a timeout, a disconnect after sending,
 * REQUEST_TIMED_OUT or NOT_ENOUGH_REPLICAS_AFTER_APPEND, and the batch ran out of time or retries).
 * Retries of a batch that was appended but not acknowledged duplicate it (no idempotence), as S9.
 * Trace: `producer.send` (every attempt), `producer.ack`, `producer.error` (every error; `outcome`
 * says retry, failed, unknown or expired).
 *
 * Simplifies: one batch per ProduceRequest (Kafka packs the ready batches of all partitions led by
 * one broker into one request); no compression, headers or keys (records are keyless); metadata is
 * refreshed on errors only (no metadata.max.age.ms); a restarted producer process starts over with
 * empty queues but keeps its sequence counter (send ids stay unique in the history).
 *
 * Faults it suffers: its host's crash (everything in flight gets no outcome: unknown), lost
 * messages (request timeouts), disconnects, stale metadata from a lagging bootstrap broker.
 */
import { assert, assertSafeInt, unreachable } from "../engine/assert.ts";
import type { Actor, Engine, EventHandle, SimEvent } from "../engine/engine.ts";
import { DISK_PROFILES, NIC_PROFILES } from "../infra/hardware.ts";
import { Host, type HostSpec, type ProcessStart } from "../infra/host.ts";
import type { NetDelivery, NetDisconnect, Network } from "../infra/network.ts";
import {
  HEADER_BYTES,
  type MetadataRequest,
  type MetadataResponse,
  type ProduceRequest,
  type ProduceResponse,
} from "../kafka/protocol.ts";
import type { KafkaError, RecordBatch } from "../kafka/types.ts";

/** Size of a v2 record batch header (Kafka's RECORD_BATCH_OVERHEAD), added to each batch. */
export const BATCH_OVERHEAD_BYTES = 61;

/** The producer configs this model reads, with Kafka's names and defaults. */
export interface SyntheticProducerConfig {
  /** -1 (all), 0 or 1. Default -1 ("all", Kafka 3.0+). */
  readonly acks: -1 | 0 | 1;
  /** Per request. Default 30000. */
  readonly "request.timeout.ms": number;
  /** From a batch's making to its outcome. Default 120000; must be ≥ request.timeout.ms. */
  readonly "delivery.timeout.ms": number;
  /** First retry backoff. Default 100. */
  readonly "retry.backoff.ms": number;
  /** Backoff cap (KIP-580). Default 1000. */
  readonly "retry.backoff.max.ms": number;
  /** Retries per batch. Default 2147483647. */
  readonly retries: number;
  /** Bytes waiting in the producer at most. Default 33554432. */
  readonly "buffer.memory": number;
}

export const SYNTHETIC_PRODUCER_DEFAULTS: SyntheticProducerConfig = {
  acks: -1,
  "request.timeout.ms": 30_000,
  "delivery.timeout.ms": 120_000,
  "retry.backoff.ms": 100,
  "retry.backoff.max.ms": 1_000,
  retries: 2_147_483_647,
  "buffer.memory": 33_554_432,
};

/** What the producer appends to a history (the shape of sim/check's SendRecord). */
export interface ProducerSendRecord {
  readonly sendId: string;
  readonly client: string;
  readonly topic: string;
  readonly partition: number;
  readonly key: null;
  readonly count: number;
  readonly sentAtUs: number;
}

/** The final word on a send (the shape of sim/check's SendOutcome). */
export interface ProducerSendOutcome {
  readonly sendId: string;
  readonly atUs: number;
  readonly outcome: "acked" | "failed" | "unknown";
  readonly offset?: number;
  readonly error?: KafkaError;
  readonly by?: number;
  readonly acks: "0" | "1" | "all";
}

/** Where sends and outcomes go: sim/check's HistoryRecorder fits. */
export interface ProducerHistorySink {
  send(record: ProducerSendRecord): void;
  outcome(record: ProducerSendOutcome): void;
}

export interface SyntheticProducerOptions {
  /** Client id, actor id and host name (e.g. "producer-1"). */
  readonly clientId: string;
  readonly topic: string;
  /** Send every batch to this partition; absent: round-robin over all the topic's partitions. */
  readonly partition?: number;
  /** Broker ids to ask for metadata (bootstrap.servers), tried in turn. */
  readonly bootstrap: readonly number[];
  /** Record payload bytes per second (20 MB/s = 20_000_000). */
  readonly bytesPerSec: number;
  /** Bytes per record. */
  readonly recordBytes: number;
  /** Bytes of records per batch (batch.size); at least one record a batch. */
  readonly batchBytes: number;
  /** Kafka's producer configs; defaults: SYNTHETIC_PRODUCER_DEFAULTS. */
  readonly config?: Partial<SyntheticProducerConfig>;
  /** Start making records at this virtual time (after the first metadata answer). Default 0. */
  readonly startAtUs?: number;
  /** Make no batch at or after this time (batches already made are still delivered). */
  readonly stopAtUs?: number;
  readonly history?: ProducerHistorySink;
  /** The producer's machine; default one SSD, 10GbE, 16 GiB, 8 cores. */
  readonly machine?: Omit<HostSpec, "name">;
}

/** Counters for reports and benchmarks. */
export interface SyntheticProducerStats {
  readonly batchesMade: number;
  /** Beats skipped because buffer.memory was full. */
  readonly blockedBatches: number;
  readonly attempts: number;
  readonly acked: number;
  readonly ackedRecords: number;
  readonly ackedBytes: number;
  readonly failed: number;
  readonly unknown: number;
  /** Expired in the queue before any attempt (not in the history). */
  readonly expiredUnsent: number;
  readonly metadataRequests: number;
  /** Batches made and not yet given an outcome. */
  readonly pending: number;
  /** Sum of (outcome time − making time) over acked batches, µs. */
  readonly ackLatencyUsSum: number;
}

interface Batch {
  readonly seq: number;
  readonly sendId: string;
  readonly partition: number;
  readonly count: number;
  readonly bytes: number;
  readonly madeAtUs: number;
  readonly deadlineUs: number;
  attempts: number;
  /** Some attempt may have been appended without an acknowledgement. */
  ambiguous: boolean;
  lastError: KafkaError | undefined;
  sent: boolean;
}

interface InFlight {
  readonly correlationId: number;
  readonly broker: number;
  readonly timer: EventHandle;
}

/** Per partition: the queue, the batch being delivered, and its request or backoff. */
interface Lane {
  readonly partition: number;
  readonly queue: Batch[];
  head: number;
  current: Batch | undefined;
  inFlight: InFlight | undefined;
  retryTimer: EventHandle | undefined;
  /** The current batch waits for a metadata answer that names a leader. */
  needsMetadata: boolean;
}

type Correlation =
  | { readonly kind: "produce"; readonly partition: number }
  | { readonly kind: "metadata"; readonly broker: number; readonly timer: EventHandle };

type ProducerEvent =
  | SimEvent<"process.start", ProcessStart>
  | SimEvent<"net.message", NetDelivery<ProduceResponse | MetadataResponse>>
  | SimEvent<"net.disconnect", NetDisconnect>
  | SimEvent<"producer.make", { readonly generation: number }>
  | SimEvent<"producer.request-timeout", { readonly correlationId: number }>
  | SimEvent<"producer.retry", { readonly partition: number }>
  | SimEvent<"producer.metadata-retry", null>;

/** Errors after which the partition's leader must be looked up again. */
const METADATA_ERRORS: ReadonlySet<KafkaError> = new Set<KafkaError>([
  "NOT_LEADER_OR_FOLLOWER",
  "LEADER_NOT_AVAILABLE",
  "UNKNOWN_TOPIC_OR_PARTITION",
  "KAFKA_STORAGE_ERROR",
  "FENCED_LEADER_EPOCH",
  "UNKNOWN_LEADER_EPOCH",
  "NETWORK_EXCEPTION",
  "REQUEST_TIMED_OUT",
]);

/** Retriable produce errors (Kafka's RetriableException subclasses the model produces). */
const RETRIABLE_ERRORS: ReadonlySet<KafkaError> = new Set<KafkaError>([
  ...METADATA_ERRORS,
  "NOT_ENOUGH_REPLICAS",
  "NOT_ENOUGH_REPLICAS_AFTER_APPEND",
]);

/** Errors after which the batch may be in the log although it was not acknowledged. */
const AMBIGUOUS_ERRORS: ReadonlySet<KafkaError> = new Set<KafkaError>([
  "REQUEST_TIMED_OUT",
  "NOT_ENOUGH_REPLICAS_AFTER_APPEND",
  "NETWORK_EXCEPTION",
]);

export class SyntheticProducer implements Actor {
  readonly id: string;
  readonly host: Host;
  private readonly config: SyntheticProducerConfig;
  private readonly acksName: "0" | "1" | "all";
  private readonly recordsPerBatch: number;
  private readonly batchPayloadBytes: number;
  /** The making interval, batch payload × 1e6 ÷ bytesPerSec µs, as quotient and remainder. */
  private readonly intervalQuotientUs: number;
  private readonly intervalRemainder: number;

  private lanes: Lane[] = [];
  private leaders: number[] = [];
  private readonly correlations = new Map<number, Correlation>();
  private nextCorrelation = 1;
  private nextSeq = 0;
  private bootstrapIndex = 0;
  private metadataInFlight = false;
  private metadataRetry: EventHandle | undefined;
  private metadataKnown = false;
  /** Bumped at each process start, so a making beat of an earlier life is ignored. */
  private generation = 0;
  private making = false;
  private makeStartUs = 0;
  private madeInRun = 0;
  /** ceil(k × remainder ÷ bytesPerSec), kept as quotient and remainder so k × remainder never grows. */
  private remainderQuotient = 0;
  private remainderRest = 0;
  private roundRobin = 0;
  private waitingBytes = 0;
  private stopped = false;

  private counters = {
    batchesMade: 0,
    blockedBatches: 0,
    attempts: 0,
    acked: 0,
    ackedRecords: 0,
    ackedBytes: 0,
    failed: 0,
    unknown: 0,
    expiredUnsent: 0,
    metadataRequests: 0,
    ackLatencyUsSum: 0,
  };

  constructor(
    private readonly engine: Engine,
    private readonly network: Network,
    private readonly options: SyntheticProducerOptions,
  ) {
    this.id = options.clientId;
    this.config = { ...SYNTHETIC_PRODUCER_DEFAULTS, ...options.config };
    const c = this.config;
    assert(options.bootstrap.length > 0, "a producer needs at least one bootstrap broker");
    for (const [name, value] of Object.entries(c)) {
      assertSafeInt(value, `producer config ${name}`);
    }
    assert([-1, 0, 1].includes(c.acks), () => `acks must be -1, 0 or 1, not ${c.acks}`);
    assert(c["request.timeout.ms"] > 0, "request.timeout.ms must be > 0");
    // Kafka's ConfigException: delivery.timeout.ms ≥ linger.ms (0 here) + request.timeout.ms.
    assert(
      c["delivery.timeout.ms"] >= c["request.timeout.ms"],
      () =>
        `delivery.timeout.ms (${c["delivery.timeout.ms"]}) should be equal to or larger than request.timeout.ms (${c["request.timeout.ms"]})`,
    );
    assert(c["retry.backoff.ms"] >= 0 && c["retry.backoff.max.ms"] >= 0, "backoffs are ≥ 0");
    assert(c.retries >= 0, "retries must be ≥ 0");
    for (const [name, value] of [
      ["bytesPerSec", options.bytesPerSec],
      ["recordBytes", options.recordBytes],
      ["batchBytes", options.batchBytes],
    ] as const) {
      assertSafeInt(value, name);
      assert(value > 0, () => `${name} must be > 0`);
    }
    if (options.partition !== undefined) assertSafeInt(options.partition, "partition");
    this.acksName = c.acks === -1 ? "all" : c.acks === 0 ? "0" : "1";
    this.recordsPerBatch = Math.max(1, Math.floor(options.batchBytes / options.recordBytes));
    this.batchPayloadBytes = this.recordsPerBatch * options.recordBytes;
    const intervalNumerator = this.batchPayloadBytes * 1_000_000;
    assertSafeInt(intervalNumerator, "batch payload × 1e6");
    this.intervalQuotientUs = Math.floor(intervalNumerator / options.bytesPerSec);
    this.intervalRemainder = intervalNumerator % options.bytesPerSec;
    this.host = new Host(engine, network, {
      name: options.clientId,
      ...(options.machine ?? {
        disks: [DISK_PROFILES.ssd],
        nic: NIC_PROFILES["10GbE"],
        memoryBytes: 16 * 1024 ** 3,
        cores: 8,
      }),
    });
    engine.register(this);
  }

  /** Starts the producer's machine (the process starts with it). */
  boot(): void {
    this.host.boot();
  }

  /** Makes no more batches from now on; those made are still delivered. */
  stop(): void {
    this.stopped = true;
  }

  stats(): SyntheticProducerStats {
    let pending = 0;
    for (const lane of this.lanes) {
      pending += lane.queue.length - lane.head + (lane.current === undefined ? 0 : 1);
    }
    return { ...this.counters, pending };
  }

  handle(event: SimEvent): void {
    const e = event as ProducerEvent;
    switch (e.kind) {
      case "process.start":
        return this.start(e.payload.after !== undefined);
      case "net.message": {
        const m = e.payload.message;
        if (m.type === "ProduceResponse") return this.onProduceResponse(m);
        if (m.type === "MetadataResponse") return this.onMetadataResponse(m);
        return;
      }
      case "net.disconnect":
        return this.onDisconnect(Number(e.payload.peer));
      case "producer.make":
        if (e.payload.generation === this.generation) this.make();
        return;
      case "producer.request-timeout":
        return this.onRequestTimeout(e.payload.correlationId);
      case "producer.retry": {
        const lane = this.lanes[e.payload.partition];
        if (lane === undefined) return;
        lane.retryTimer = undefined;
        return this.drain(lane);
      }
      case "producer.metadata-retry":
        this.metadataRetry = undefined;
        return this.requestMetadata();
      default:
        unreachable(e, "producer event");
    }
  }

  // ---------------------------------------------------------------- lifecycle and making

  private start(restarted: boolean): void {
    this.generation++;
    if (restarted) {
      // A new process: what the old one had in memory is gone (its sends stay without outcome).
      this.lanes = [];
      this.leaders = [];
      this.correlations.clear();
      this.metadataInFlight = false;
      this.metadataRetry = undefined;
      this.metadataKnown = false;
      this.making = false;
      this.waitingBytes = 0;
    }
    this.requestMetadata();
  }

  /** Begins the making beats once metadata is known (and not before startAtUs). */
  private startMaking(): void {
    if (this.making) return;
    this.making = true;
    this.makeStartUs = Math.max(this.engine.now, this.options.startAtUs ?? 0);
    this.madeInRun = 0;
    this.remainderQuotient = 0;
    this.remainderRest = 0;
    this.engine.scheduleAt(this.makeStartUs, this.id, "producer.make", {
      generation: this.generation,
    });
  }

  /** One beat: make the batch due now, queue it, and schedule the next beat. */
  private make(): void {
    const now = this.engine.now;
    if (this.stopped || (this.options.stopAtUs !== undefined && now >= this.options.stopAtUs))
      return;
    const partitions = this.lanes.length;
    assert(partitions > 0, "making a batch with no known partition");
    const partition = this.options.partition ?? this.roundRobin++ % partitions;
    const bytes = this.batchPayloadBytes + BATCH_OVERHEAD_BYTES;
    const lane = this.lanes[partition];
    if (lane === undefined || this.waitingBytes + bytes > this.config["buffer.memory"]) {
      this.counters.blockedBatches++;
    } else {
      const seq = this.nextSeq++;
      const batch: Batch = {
        seq,
        sendId: `${this.id}:${seq}`,
        partition,
        count: this.recordsPerBatch,
        bytes,
        madeAtUs: now,
        deadlineUs: now + this.config["delivery.timeout.ms"] * 1000,
        attempts: 0,
        ambiguous: false,
        lastError: undefined,
        sent: false,
      };
      this.counters.batchesMade++;
      this.waitingBytes += bytes;
      lane.queue.push(batch);
      this.drain(lane);
    }
    this.madeInRun++;
    this.remainderRest += this.intervalRemainder;
    if (this.remainderRest >= this.options.bytesPerSec) {
      this.remainderRest -= this.options.bytesPerSec;
      this.remainderQuotient++;
    }
    const nextUs =
      this.makeStartUs +
      this.madeInRun * this.intervalQuotientUs +
      this.remainderQuotient +
      (this.remainderRest > 0 ? 1 : 0);
    assertSafeInt(nextUs, "next batch time");
    this.engine.scheduleAt(Math.max(nextUs, now), this.id, "producer.make", {
      generation: this.generation,
    });
  }

  // ---------------------------------------------------------------- delivery

  /** Sends the lane's next batch if nothing of the lane is in flight or backing off. */
  private drain(lane: Lane): void {
    for (;;) {
      if (lane.inFlight !== undefined || lane.retryTimer !== undefined) return;
      const now = this.engine.now;
      if (lane.current === undefined) {
        const next = this.takeQueued(lane, now);
        if (next === undefined) return;
        lane.current = next;
      }
      const batch = lane.current;
      if (now >= batch.deadlineUs) {
        this.conclude(lane, batch.ambiguous ? "unknown" : "failed");
        continue;
      }
      const leader = this.leaders[lane.partition] ?? -1;
      if (lane.needsMetadata || leader < 0) {
        lane.needsMetadata = true;
        this.requestMetadata();
        return;
      }
      this.sendAttempt(lane, batch, leader);
      if (this.config.acks !== 0) return;
      // acks=0: no answer is coming; the batch is done once it is on the wire.
      this.finish(lane, { outcome: "acked", offset: -1 });
    }
  }

  /** The next queued batch, dropping those whose delivery timeout passed before any attempt. */
  private takeQueued(lane: Lane, now: number): Batch | undefined {
    while (lane.head < lane.queue.length) {
      const batch = lane.queue[lane.head++]!;
      if (lane.head > 1024 && lane.head * 2 > lane.queue.length) {
        lane.queue.splice(0, lane.head);
        lane.head = 0;
      }
      if (now < batch.deadlineUs) return batch;
      this.waitingBytes -= batch.bytes;
      this.counters.expiredUnsent++;
      this.engine.trace.emit("producer.error", this.id, {
        client: this.id,
        topic: this.options.topic,
        partition: lane.partition,
        sendId: batch.sendId,
        error: "DELIVERY_TIMEOUT",
        outcome: "expired",
      });
    }
    return undefined;
  }

  private sendAttempt(lane: Lane, batch: Batch, leader: number): void {
    const now = this.engine.now;
    batch.attempts++;
    this.counters.attempts++;
    if (!batch.sent) {
      batch.sent = true;
      this.options.history?.send({
        sendId: batch.sendId,
        client: this.id,
        topic: this.options.topic,
        partition: lane.partition,
        key: null,
        count: batch.count,
        sentAtUs: now,
      });
    }
    this.engine.trace.emit("producer.send", this.id, {
      client: this.id,
      topic: this.options.topic,
      partition: lane.partition,
      sendId: batch.sendId,
      attempt: batch.attempts,
      broker: leader,
      count: batch.count,
      bytes: batch.bytes,
    });
    const correlationId = this.nextCorrelation++;
    const recordBatch: Omit<RecordBatch, "baseOffset" | "leaderEpoch"> = {
      count: batch.count,
      bytes: batch.bytes,
      firstTimestampUs: batch.madeAtUs,
      maxTimestampUs: batch.madeAtUs,
      producerId: -1,
      producerEpoch: -1,
      baseSequence: -1,
      isTransactional: false,
      isControl: false,
      origin: batch.sendId,
    };
    const timeoutMs = this.config["request.timeout.ms"];
    const request: ProduceRequest = {
      type: "ProduceRequest",
      bytes: HEADER_BYTES + batch.bytes,
      correlationId,
      clientId: this.id,
      acks: this.config.acks,
      timeoutMs,
      partitions: [{ topic: this.options.topic, partition: lane.partition, batch: recordBatch }],
    };
    this.network.send(this.id, String(leader), request);
    if (this.config.acks === 0) return;
    this.correlations.set(correlationId, { kind: "produce", partition: lane.partition });
    const waitUs = Math.min(timeoutMs * 1000, batch.deadlineUs - now);
    lane.inFlight = {
      correlationId,
      broker: leader,
      timer: this.engine.schedule(waitUs, this.id, "producer.request-timeout", { correlationId }),
    };
  }

  private onProduceResponse(m: ProduceResponse): void {
    const entry = this.correlations.get(m.correlationId);
    if (entry === undefined || entry.kind !== "produce") return;
    this.correlations.delete(m.correlationId);
    const lane = this.lanes[entry.partition];
    if (lane === undefined || lane.inFlight?.correlationId !== m.correlationId) return;
    const by = lane.inFlight.broker;
    this.engine.cancel(lane.inFlight.timer);
    lane.inFlight = undefined;
    const result = m.partitions[0];
    assert(result !== undefined, "a ProduceResponse without its partition");
    if (result.error === "NONE") {
      this.finish(lane, { outcome: "acked", offset: result.baseOffset, by });
      return this.drain(lane);
    }
    this.attemptFailed(lane, result.error);
  }

  private onRequestTimeout(correlationId: number): void {
    const entry = this.correlations.get(correlationId);
    if (entry === undefined) return;
    this.correlations.delete(correlationId);
    if (entry.kind === "metadata") return this.metadataFailed();
    const lane = this.lanes[entry.partition];
    if (lane === undefined || lane.inFlight?.correlationId !== correlationId) return;
    lane.inFlight = undefined;
    // Kafka's NetworkClient drops the connection of a timed-out request; the answer may still
    // have been appended.
    this.attemptFailed(lane, "REQUEST_TIMED_OUT");
  }

  private onDisconnect(peer: number): void {
    for (const [correlationId, entry] of [...this.correlations]) {
      if (entry.kind === "metadata") {
        if (entry.broker !== peer) continue;
        this.correlations.delete(correlationId);
        this.engine.cancel(entry.timer);
        this.metadataFailed();
        continue;
      }
      const lane = this.lanes[entry.partition];
      if (lane?.inFlight?.correlationId !== correlationId || lane.inFlight.broker !== peer)
        continue;
      this.correlations.delete(correlationId);
      this.engine.cancel(lane.inFlight.timer);
      lane.inFlight = undefined;
      this.attemptFailed(lane, "NETWORK_EXCEPTION");
    }
  }

  /** An attempt ended without an acknowledgement: retry after the backoff, or conclude. */
  private attemptFailed(lane: Lane, error: KafkaError): void {
    const batch = lane.current;
    assert(batch !== undefined, "a failed attempt with no batch");
    batch.lastError = error;
    // A delayed acks=all produce answers NOT_LEADER_OR_FOLLOWER when leadership moved after the
    // append, so that error proves nothing was written only for acks=1.
    if (
      AMBIGUOUS_ERRORS.has(error) ||
      (error === "NOT_LEADER_OR_FOLLOWER" && this.config.acks === -1)
    )
      batch.ambiguous = true;
    const backoffUs = this.backoffUs(batch.attempts);
    const now = this.engine.now;
    const retry =
      RETRIABLE_ERRORS.has(error) &&
      batch.attempts <= this.config.retries &&
      now + backoffUs < batch.deadlineUs;
    if (!retry) {
      this.conclude(lane, batch.ambiguous ? "unknown" : "failed");
      return this.drain(lane);
    }
    this.engine.trace.emit("producer.error", this.id, {
      client: this.id,
      topic: this.options.topic,
      partition: lane.partition,
      sendId: batch.sendId,
      error,
      outcome: "retry",
    });
    if (METADATA_ERRORS.has(error)) {
      lane.needsMetadata = true;
      this.requestMetadata();
    }
    lane.retryTimer = this.engine.schedule(backoffUs, this.id, "producer.retry", {
      partition: lane.partition,
    });
  }

  /** retry.backoff.ms × 2^(attempts − 1), capped at retry.backoff.max.ms. */
  private backoffUs(attempts: number): number {
    const maxMs = Math.max(this.config["retry.backoff.max.ms"], this.config["retry.backoff.ms"]);
    let ms = this.config["retry.backoff.ms"];
    for (let i = 1; i < attempts && ms < maxMs; i++) ms *= 2;
    return Math.min(ms, maxMs) * 1000;
  }

  /** The batch ran out of time or retries, or hit a non-retriable error. */
  private conclude(lane: Lane, outcome: "failed" | "unknown"): void {
    const batch = lane.current!;
    this.engine.trace.emit("producer.error", this.id, {
      client: this.id,
      topic: this.options.topic,
      partition: lane.partition,
      sendId: batch.sendId,
      error: batch.lastError ?? "DELIVERY_TIMEOUT",
      // Never sent (it waited for a leader until its delivery timeout): not in the history.
      outcome: batch.sent ? outcome : "expired",
    });
    this.finish(lane, {
      outcome,
      ...(batch.lastError === undefined ? {} : { error: batch.lastError }),
    });
  }

  private finish(
    lane: Lane,
    result: {
      outcome: "acked" | "failed" | "unknown";
      offset?: number;
      error?: KafkaError;
      by?: number;
    },
  ): void {
    const batch = lane.current!;
    const now = this.engine.now;
    lane.current = undefined;
    lane.needsMetadata = false;
    this.waitingBytes -= batch.bytes;
    if (result.outcome === "acked") {
      this.counters.acked++;
      this.counters.ackedRecords += batch.count;
      this.counters.ackedBytes += batch.count * this.options.recordBytes;
      this.counters.ackLatencyUsSum += now - batch.madeAtUs;
      this.engine.trace.emit("producer.ack", this.id, {
        client: this.id,
        topic: this.options.topic,
        partition: lane.partition,
        sendId: batch.sendId,
        offset: result.offset ?? -1,
        broker: result.by ?? -1,
      });
    } else if (!batch.sent) this.counters.expiredUnsent++;
    else if (result.outcome === "failed") this.counters.failed++;
    else this.counters.unknown++;
    if (!batch.sent) return; // never reached the network: not in the history
    this.options.history?.outcome({
      sendId: batch.sendId,
      atUs: now,
      outcome: result.outcome,
      ...(result.offset === undefined ? {} : { offset: result.offset }),
      ...(result.error === undefined ? {} : { error: result.error }),
      ...(result.by === undefined ? {} : { by: result.by }),
      acks: this.acksName,
    });
  }

  // ---------------------------------------------------------------- metadata

  private requestMetadata(): void {
    if (this.metadataInFlight || this.metadataRetry !== undefined) return;
    const bootstrap = this.options.bootstrap;
    const broker = bootstrap[this.bootstrapIndex++ % bootstrap.length]!;
    const correlationId = this.nextCorrelation++;
    this.metadataInFlight = true;
    this.counters.metadataRequests++;
    const timer = this.engine.schedule(
      this.config["request.timeout.ms"] * 1000,
      this.id,
      "producer.request-timeout",
      { correlationId },
    );
    this.correlations.set(correlationId, { kind: "metadata", broker, timer });
    const request: MetadataRequest = {
      type: "MetadataRequest",
      bytes: HEADER_BYTES + this.options.topic.length,
      correlationId,
      topics: [this.options.topic],
    };
    this.network.send(this.id, String(broker), request);
  }

  /** The metadata request timed out or its broker went away: ask the next one after a backoff. */
  private metadataFailed(): void {
    this.metadataInFlight = false;
    this.scheduleMetadataRetry();
  }

  private scheduleMetadataRetry(): void {
    if (this.metadataRetry !== undefined) return;
    this.metadataRetry = this.engine.schedule(
      this.config["retry.backoff.ms"] * 1000,
      this.id,
      "producer.metadata-retry",
      null,
    );
  }

  private onMetadataResponse(m: MetadataResponse): void {
    const entry = this.correlations.get(m.correlationId);
    if (entry === undefined || entry.kind !== "metadata") return;
    this.correlations.delete(m.correlationId);
    this.engine.cancel(entry.timer);
    this.metadataInFlight = false;
    const topic = m.topics.find((t) => t.name === this.options.topic);
    if (topic === undefined || topic.error !== "NONE" || topic.partitions.length === 0) {
      this.scheduleMetadataRetry();
      return;
    }
    for (const p of topic.partitions) {
      this.leaders[p.partition] = p.error === "NONE" ? p.leader : -1;
      while (this.lanes.length <= p.partition) {
        this.lanes.push({
          partition: this.lanes.length,
          queue: [],
          head: 0,
          current: undefined,
          inFlight: undefined,
          retryTimer: undefined,
          needsMetadata: false,
        });
      }
    }
    assert(
      this.options.partition === undefined || this.options.partition < this.lanes.length,
      () => `${this.options.topic} has no partition ${this.options.partition}`,
    );
    if (!this.metadataKnown) {
      this.metadataKnown = true;
      this.startMaking();
    }
    let leaderless = false;
    for (const lane of this.lanes) {
      if (!lane.needsMetadata) continue;
      if ((this.leaders[lane.partition] ?? -1) < 0) {
        leaderless = true;
        continue;
      }
      lane.needsMetadata = false;
      this.drain(lane);
    }
    // Waiting batches whose partition has no leader yet: ask again after the backoff.
    if (leaderless) this.scheduleMetadataRetry();
    // Expire the batches of lanes still waiting, so a long outage ends their delivery in time.
    for (const lane of this.lanes) if (lane.needsMetadata) this.expireWaiting(lane);
  }

  /** A lane waiting for a leader: conclude its batches whose delivery timeout passed. */
  private expireWaiting(lane: Lane): void {
    const batch = lane.current;
    if (batch === undefined || lane.inFlight !== undefined || lane.retryTimer !== undefined) return;
    if (this.engine.now < batch.deadlineUs) return;
    // drain() concludes it (and expired queued ones), then waits for a leader again.
    this.drain(lane);
  }
}
