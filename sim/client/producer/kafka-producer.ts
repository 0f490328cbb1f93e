/**
 * KafkaProducer: the simulated Java producer as an actor on its own host. `send()` partitions a
 * record, appends it to the accumulator and returns its record id at once; the sender delivers
 * batches in the background; every batch that reached the network ends in the history as acked
 * (offset), failed (error) or unknown.
 *
 * Models (each part in its own file of this folder):
 * - configuration rules and defaults per version profile (producer-config.ts);
 * - partition choice exactly as Kafka's (../partitioner.ts): explicit partition, murmur2 of the
 *   key, and for keyless records the profile's round-robin, KIP-480 sticky (switch on every new
 *   batch) or KIP-794 uniform sticky (switch after batch.size bytes, adaptive weights);
 * - send() blocks, as Kafka's does on the application thread, for metadata of an unknown topic and
 *   for buffer.memory, up to max.block.ms, then fails that record with Kafka's TimeoutException
 *   message; records behind a blocked one wait behind it (one application thread);
 * - a record larger than max.request.size fails at once (RecordTooLargeException);
 * - the accumulator (accumulator.ts), sender (sender.ts), metadata (metadata.ts), idempotence
 *   (idempotence.ts: InitProducerId to any broker first, sequences, KIP-360 bumps) and
 *   compression (compression.ts);
 * - delivery.timeout.ms: a batch still queued at its deadline expires there; a batch in flight
 *   times out with its request (the request timer never runs past the deadline);
 * - an optional workload (workload.ts): records at a fixed rate with a key distribution;
 * - transactions (transaction-manager.ts): with a transactional.id, initTransactions /
 *   beginTransaction / sendOffsetsToTransaction / commitTransaction / abortTransaction; batches
 *   carry the transactional flag and wait until their partition is in the transaction; a
 *   transactional workload groups its records into transactions (begin, N records, end) and
 *   waits while a transaction is initialising or ending (one application thread);
 *   ProducerFencedException stops the workload (the producer must be closed).
 *
 * History: one send per batch, its `sendId` = `${client}:${n}` = the batch's origin in the log
 * (the unit the checkers judge, as the synthetic producer's); per record, `outcome(recordId)` and
 * `onRecordComplete` give the record's own result (its offset is the batch's base offset plus its
 * index). Records that never reached a batch (too large, blocked past max.block.ms) are not in
 * the history; they fail through `outcome()` and the trace (`producer.record-failed`).
 *
 * Simplifies: no interceptors, serializers (keys and values are strings, UTF-8) or headers;
 * the transactional calls return at once (results in the trace and `transactionState()`);
 * close() and flush() are immediate requests, not blocking calls; a restarted
 * producer process starts over with empty queues, a new producer id, and send ids that continue
 * (they stay unique in the history).
 *
 * Faults it suffers: its host's crash (everything in flight gets no outcome: unknown), lost
 * messages (request timeouts), disconnects, stale metadata, broker errors.
 */
import { assert, assertSafeInt, unreachable } from "../../engine/assert.ts";
import type { Actor, Engine, EventHandle, SimEvent } from "../../engine/engine.ts";
import type { RngStream } from "../../engine/rng.ts";
import type { TraceFields } from "../../engine/trace.ts";
import { DISK_PROFILES, NIC_PROFILES } from "../../infra/hardware.ts";
import { Host, type HostSpec, type ProcessStart } from "../../infra/host.ts";
import type { NetDelivery, NetDisconnect, Network } from "../../infra/network.ts";
import {
  HEADER_BYTES,
  type MetadataRequest,
  type MetadataResponse,
  type ProduceResponse,
} from "../../kafka/protocol.ts";
import type {
  InitProducerIdRequest,
  InitProducerIdResponse,
} from "../../kafka/protocol-clients.ts";
import type { KafkaError } from "../../kafka/types.ts";
import { type KafkaVersion, versionAtLeast, versionProfile } from "../../kafka/version.ts";
import { utf8 } from "../murmur2.ts";
import { Partitioner, type TopicPartitionsView } from "../partitioner.ts";
import {
  type ProducerBatch,
  RECORD_BATCH_OVERHEAD_BYTES,
  RecordAccumulator,
  recordSizeInBytes,
} from "./accumulator.ts";
import { compressRecords } from "./compression.ts";
import { IdempotenceState } from "./idempotence.ts";
import { ProducerMetadata } from "./metadata.ts";
import { ProducerMetrics, type ProducerMetricsSnapshot } from "./metrics.ts";
import { type ProducerSettings, resolveProducerSettings } from "./producer-config.ts";
import { Sender, type SenderHost } from "./sender.ts";
import {
  type TransactionEnd,
  type TransactionHost,
  TransactionManager,
  type TransactionState,
  type TxnClientResponse,
  type TxnOffsets,
} from "./transaction-manager.ts";
import {
  checkWorkload,
  type ProducerWorkload,
  poissonGapUs,
  workloadKey,
  workloadTimeUs,
} from "./workload.ts";

/** What send() takes. */
export interface ProducerRecord {
  readonly topic: string;
  readonly key?: string | null;
  /** The value as text (kept in the log when the producer keeps payloads). */
  readonly value?: string | null;
  /** The value's size when no text is given (workloads). */
  readonly valueBytes?: number;
  readonly partition?: number;
  /** The input record this one was made from ("in-0@17"): a stream processor's provenance. */
  readonly source?: string;
}

export type RecordStatus = "pending" | "acked" | "failed" | "unknown";

/** A record's result, as Kafka's callback gets it (RecordMetadata or an exception). */
export interface RecordOutcome {
  readonly recordId: string;
  readonly status: RecordStatus;
  readonly topic: string;
  /** -1 until the record has a partition. */
  readonly partition: number;
  /** The history send (batch) the record is in, once appended. */
  readonly sendId?: string;
  /** acked: base offset + index (-1 for acks=0). */
  readonly offset?: number;
  /** failed / unknown: Kafka's error name or exception message. */
  readonly error?: string;
  readonly atUs?: number;
}

/** A send as the history records it (sim/check's SendRecord has this shape). */
export interface KafkaProducerSendRecord {
  readonly sendId: string;
  readonly client: string;
  readonly topic: string;
  readonly partition: number;
  readonly key: string | null;
  readonly keys?: ReadonlyArray<string | null>;
  readonly count: number;
  readonly sentAtUs: number;
  /** A transactional producer's batch (the checkers require it only once committed). */
  readonly transactional?: { readonly transactionalId: string };
  /** Per record, the input record it was made from (a stream processor's output). */
  readonly sources?: ReadonlyArray<string>;
}

/** The final word on a send (sim/check's SendOutcome). */
export interface KafkaProducerSendOutcome {
  readonly sendId: string;
  readonly atUs: number;
  readonly outcome: "acked" | "failed" | "unknown";
  readonly offset?: number;
  readonly error?: KafkaError;
  readonly by?: number;
  readonly acks: "0" | "1" | "all";
}

/** Where sends and outcomes go: sim/check's HistoryRecorder fits. */
export interface KafkaProducerHistorySink {
  send(record: KafkaProducerSendRecord): void;
  outcome(record: KafkaProducerSendOutcome): void;
}

export interface KafkaProducerOptions {
  /** Client id, actor id and host name ("producer-1"). */
  readonly clientId: string;
  readonly version: KafkaVersion;
  /** Producer configs with Kafka's names (acks, linger.ms, enable.idempotence...). */
  readonly config?: Readonly<Record<string, unknown>>;
  /** bootstrap.servers: broker ids. */
  readonly bootstrap: readonly number[];
  readonly history?: KafkaProducerHistorySink;
  /** Put keys and values in the log's batches (for lessons that show them). Default false. */
  readonly keepPayloads?: boolean;
  /** Keep every record's outcome for `outcome()` (default true; off for long workloads). */
  readonly trackRecords?: boolean;
  readonly onRecordComplete?: (outcome: RecordOutcome) => void;
  /** The transaction manager moved (a stream processor's loop waits on it). */
  readonly onTransactionState?: (state: TransactionState, ended?: TransactionEnd) => void;
  readonly workload?: ProducerWorkload;
  /** The producer's machine; default one SSD, 10GbE, 16 GiB, 8 cores. */
  readonly machine?: Omit<HostSpec, "name">;
}

export interface KafkaProducerStats {
  readonly records: number;
  readonly batches: number;
  readonly requests: number;
  readonly attempts: number;
  readonly retries: number;
  readonly acked: number;
  readonly failed: number;
  readonly unknown: number;
  /** Batches that expired before reaching the network (not in the history). */
  readonly expiredUnsent: number;
  readonly recordsFailedBeforeBatch: number;
  readonly epochBumps: number;
  readonly metadataRequests: number;
}

interface WaitingSend {
  readonly recordId: string;
  readonly record: ProducerRecord;
  readonly keyBytes: Uint8Array | null;
  readonly sizeBytes: number;
  readonly sinceUs: number;
  /** Chosen once (so KIP-480's switch is not drawn again while blocked). */
  partition: number;
}

type ProducerEvent =
  | SimEvent<"process.start", ProcessStart>
  | SimEvent<
      "net.message",
      NetDelivery<ProduceResponse | MetadataResponse | InitProducerIdResponse | TxnClientResponse>
    >
  | SimEvent<"net.disconnect", NetDisconnect>
  | SimEvent<"producer.wake", null>
  | SimEvent<"producer.transmit", number>
  | SimEvent<"producer.request-timeout", number>
  | SimEvent<"producer.metadata-timeout", number>
  | SimEvent<"producer.init-timeout", number>
  | SimEvent<"producer.txn-timeout", number>
  | SimEvent<"producer.txn-abort", null>
  | SimEvent<"producer.workload", number>;

/** Bound on sender loops per run (each sends at least one request). */
const MAX_DRAIN_ROUNDS = 10_000;

export class KafkaProducer implements Actor {
  readonly id: string;
  readonly host: Host;
  readonly settings: ProducerSettings;
  private readonly keepPayloads: boolean;
  private readonly trackRecords: boolean;
  private readonly acksName: "0" | "1" | "all";
  private readonly partitioner: Partitioner;
  private readonly workloadRng: RngStream;

  // Per process life (rebuilt at every process start).
  private accumulator!: RecordAccumulator;
  private sender!: Sender;
  private metadata!: ProducerMetadata;
  private producerMetrics!: ProducerMetrics;
  private idempotence: IdempotenceState | undefined;
  private txn: TransactionManager | undefined;
  /** Records of the transactional workload in the open transaction. */
  private txnRecords = 0;
  /**
   * The workload's `end: abort`: the application flushed its records and aborts once they are
   * all written (so the log holds the aborted records, as in a class demo of read_committed).
   */
  private abortWhenFlushed = false;
  /** A workload record that waits for the transaction manager (initialising, ending). */
  private deferredTick: number | undefined;
  private running = false;
  /** stop() was called: no more workload records, even after a restart. */
  private workloadStopped = false;
  private waiting: WaitingSend[] = [];
  private wake: EventHandle | undefined;
  private metadataInFlight: { correlationId: number; node: number; timer: EventHandle } | undefined;
  private metadataRetryAtUs = 0;
  private initInFlight: { correlationId: number; node: number; timer: EventHandle } | undefined;
  private initRetryAtUs = 0;

  // Across lives: ids stay unique.
  private nextBatch = 0;
  private nextRecord = 0;
  private nextCorrelation = 1_000_000_000;
  private readonly outcomes = new Map<string, RecordOutcome>();
  private counters = {
    records: 0,
    batches: 0,
    acked: 0,
    failed: 0,
    unknown: 0,
    expiredUnsent: 0,
    recordsFailedBeforeBatch: 0,
    epochBumps: 0,
    metadataRequests: 0,
  };
  private senderTotals = { requests: 0, attempts: 0, retries: 0 };

  /** Throws ConfigException for a configuration Kafka refuses. */
  constructor(
    private readonly engine: Engine,
    private readonly network: Network,
    private readonly options: KafkaProducerOptions,
  ) {
    this.id = options.clientId;
    this.settings = resolveProducerSettings(options.version, options.config ?? {});
    assert(options.bootstrap.length > 0, "a producer needs at least one bootstrap broker");
    if (options.workload !== undefined) checkWorkload(options.workload);
    this.keepPayloads = options.keepPayloads ?? false;
    this.trackRecords = options.trackRecords ?? true;
    const s = this.settings;
    this.acksName = s.acks === -1 ? "all" : s.acks === 0 ? "0" : "1";
    const profile = versionProfile(options.version);
    this.partitioner = new Partitioner(
      profile.partitioner,
      {
        batchSizeBytes: Math.max(1, s["batch.size"]),
        adaptive: s["partitioner.adaptive.partitioning.enable"],
        ignoreKeys: profile.partitioner === "uniform-sticky-kip794" && s["partitioner.ignore.keys"],
      },
      engine.rng.stream(`partitioner:${options.clientId}`),
    );
    this.workloadRng = engine.rng.stream(`workload:${options.clientId}`);
    this.host = new Host(engine, network, {
      name: options.clientId,
      ...(options.machine ?? {
        disks: [DISK_PROFILES.ssd],
        nic: NIC_PROFILES["10GbE"],
        memoryBytes: 16 * 1024 ** 3,
        cores: 8,
      }),
    });
    this.resetLife();
    engine.register(this);
    engine.trace.emit("producer.config", this.id, {
      client: this.id,
      version: options.version,
      acks: this.acksName,
      idempotence: s.idempotence,
      maxInFlight: s["max.in.flight.requests.per.connection"],
      lingerMs: s["linger.ms"],
      batchSize: s["batch.size"],
      partitioner: profile.partitioner,
      ...(s["transactional.id"] === null ? {} : { transactionalId: s["transactional.id"] }),
      notes: s.notes.join(" "),
    });
  }

  /** Starts the producer's machine (the process starts with it). */
  boot(): void {
    this.host.boot();
  }

  /**
   * KafkaProducer.send: returns the record's id at once; its result comes later
   * (`outcome(recordId)`, `onRecordComplete`).
   */
  send(record: ProducerRecord): string {
    const recordId = `${this.id}/${this.nextRecord++}`;
    this.counters.records++;
    const key = record.key ?? null;
    const keyBytes = key === null ? null : utf8(key);
    const valueLength =
      record.value !== undefined && record.value !== null
        ? utf8(record.value).length
        : (record.valueBytes ?? null);
    if (valueLength !== null) assertSafeInt(valueLength, "value bytes");
    const sizeBytes = recordSizeInBytes(keyBytes?.length ?? null, valueLength);
    this.track({ recordId, status: "pending", topic: record.topic, partition: -1 });
    if (!this.host.isUp) {
      this.failRecord(recordId, record, "KafkaException: the producer process is not running");
      return recordId;
    }
    const serialized = sizeBytes + RECORD_BATCH_OVERHEAD_BYTES;
    if (serialized > this.settings["max.request.size"]) {
      this.failRecord(
        recordId,
        record,
        `RecordTooLargeException: The message is ${serialized} bytes when serialized which is larger than ${this.settings["max.request.size"]}, which is the value of the max.request.size configuration.`,
      );
      return recordId;
    }
    if (serialized > this.settings["buffer.memory"]) {
      this.failRecord(
        recordId,
        record,
        `RecordTooLargeException: The message is ${serialized} bytes when serialized which is larger than the total memory buffer you have configured with the buffer.memory configuration.`,
      );
      return recordId;
    }
    if (this.txn !== undefined) {
      try {
        this.txn.checkSendAllowed();
      } catch (err) {
        this.failRecord(recordId, record, (err as Error).message);
        return recordId;
      }
    }
    this.metadata.add(record.topic);
    this.waiting.push({
      recordId,
      record,
      keyBytes,
      sizeBytes,
      sinceUs: this.engine.now,
      partition: -1,
    });
    if (this.running) this.run();
    return recordId;
  }

  /** A record's result so far (trackRecords), or undefined for an unknown id. */
  outcome(recordId: string): RecordOutcome | undefined {
    return this.outcomes.get(recordId);
  }

  /**
   * A graceful stop (the scenario's `stop`): the workload makes no more records, and everything
   * queued is flushed and delivered as close() would before the process ends. The process itself
   * stays up, so late answers still settle their records.
   */
  stop(): void {
    if (this.workloadStopped) return;
    this.workloadStopped = true;
    this.emit("producer.stop", { client: this.id });
    // Sender.run on close: an incomplete transaction is aborted ("Aborting incomplete transaction").
    const t = this.txn;
    if (t !== undefined && (t.state === "IN_TRANSACTION" || t.state === "ABORTABLE_ERROR")) {
      t.abortTransaction();
    }
    this.flush();
  }

  /** KafkaProducer.flush as a request: every queued batch is sendable now, until all are gone. */
  flush(): void {
    this.accumulator.setFlushing(true);
    if (this.running) this.run();
  }

  stats(): KafkaProducerStats {
    return {
      ...this.counters,
      requests: this.senderTotals.requests + this.sender.counters.requests,
      attempts: this.senderTotals.attempts + this.sender.counters.attempts,
      retries: this.senderTotals.retries + this.sender.counters.retries,
    };
  }

  /**
   * Kafka's producer-metrics now (metrics.ts): rates per second of virtual time since this
   * producer process started, averages and the maximum over that life.
   */
  metrics(): ProducerMetricsSnapshot {
    return this.producerMetrics.snapshot(
      this.engine.now,
      this.settings["buffer.memory"] - this.accumulator.bufferUsedBytes,
    );
  }

  /** The producer id and epoch in use (-1 before InitProducerId or without idempotence). */
  producerIdAndEpoch(): { readonly producerId: number; readonly producerEpoch: number } {
    return {
      producerId: this.idempotence?.producerId ?? -1,
      producerEpoch: this.idempotence?.producerEpoch ?? -1,
    };
  }

  // ---------------------------------------------------------------- transactions

  /** The transaction manager's state, or undefined for a producer without transactional.id. */
  transactionState(): TransactionState | undefined {
    return this.txn?.state;
  }

  /** The transaction manager (tests and the viz), or undefined. */
  transactionManager(): TransactionManager | undefined {
    return this.txn;
  }

  /** KafkaProducer.initTransactions (throws TransactionError as Kafka would). */
  initTransactions(): void {
    this.requireTxn().initTransactions();
    if (this.running) this.run();
  }

  beginTransaction(): void {
    this.requireTxn().beginTransaction();
  }

  sendOffsetsToTransaction(offsets: TxnOffsets): void {
    this.requireTxn().sendOffsetsToTransaction(offsets);
    if (this.running) this.run();
  }

  commitTransaction(): void {
    this.requireTxn().commitTransaction();
    if (this.running) this.run();
  }

  abortTransaction(): void {
    this.requireTxn().abortTransaction();
    if (this.running) this.run();
  }

  private requireTxn(): TransactionManager {
    const t = this.txn;
    if (t === undefined) {
      throw new Error(
        "IllegalStateException: Transactional method invoked on a non-transactional producer.",
      );
    }
    return t;
  }

  handle(event: SimEvent): void {
    const e = event as ProducerEvent;
    switch (e.kind) {
      case "process.start":
        this.start(e.payload.after);
        break;
      case "net.message": {
        const m = e.payload.message;
        const from = Number(e.payload.from);
        if (m.type === "ProduceResponse") this.sender.onResponse(from, m);
        else if (m.type === "MetadataResponse") this.onMetadataResponse(from, m);
        else if (this.txn !== undefined) this.txn.onResponse(from, m);
        else if (m.type === "InitProducerIdResponse") this.onInitResponse(from, m);
        break;
      }
      case "net.disconnect":
        this.onDisconnect(Number(e.payload.peer));
        break;
      case "producer.wake":
        this.wake = undefined;
        break;
      case "producer.transmit":
        this.sender.transmit(e.payload);
        break;
      case "producer.request-timeout":
        this.sender.onTimeout(e.payload);
        break;
      case "producer.metadata-timeout":
        if (this.metadataInFlight?.correlationId === e.payload) this.metadataFailed();
        break;
      case "producer.init-timeout":
        if (this.initInFlight?.correlationId === e.payload) this.initFailed();
        break;
      case "producer.txn-timeout":
        this.txn?.onTimer(e.payload);
        break;
      case "producer.txn-abort":
        // The workload's application thread catches the abortable error and aborts.
        if (this.txn?.state === "ABORTABLE_ERROR") this.txn.abortTransaction();
        break;
      case "producer.workload":
        this.workloadTick(e.payload);
        break;
      default:
        unreachable(e, "producer event");
    }
    if (this.running) this.run();
  }

  // ---------------------------------------------------------------- lifecycle

  private resetLife(): void {
    const s = this.settings;
    if (this.sender !== undefined) {
      const c = this.sender.counters;
      this.senderTotals.requests += c.requests;
      this.senderTotals.attempts += c.attempts;
      this.senderTotals.retries += c.retries;
    }
    this.accumulator = new RecordAccumulator({
      batchSizeBytes: s["batch.size"],
      lingerMs: s["linger.ms"],
      bufferMemoryBytes: s["buffer.memory"],
      maxRequestSizeBytes: s["max.request.size"],
      retryBackoffMs: s["retry.backoff.ms"],
    });
    this.idempotence = s.idempotence ? new IdempotenceState() : undefined;
    const transactionalId = s["transactional.id"];
    this.txn =
      transactionalId === null
        ? undefined
        : new TransactionManager(this.transactionHost(), {
            transactionalId,
            abortableEpochError: versionAtLeast(this.options.version, "2.7"),
            transactionTimeoutMs: s["transaction.timeout.ms"],
            requestTimeoutMs: s["request.timeout.ms"],
            retryBackoffMs: s["retry.backoff.ms"],
          });
    assert(
      this.txn === undefined || this.idempotence !== undefined,
      "transactions need idempotence",
    );
    this.txnRecords = 0;
    this.deferredTick = undefined;
    this.metadata = new ProducerMetadata(this.options.bootstrap, s["metadata.max.age.ms"] * 1000);
    this.producerMetrics = new ProducerMetrics(this.engine.now);
    this.sender = new Sender(
      this.senderHost(),
      s,
      this.accumulator,
      this.idempotence,
      this.keepPayloads,
      this.producerMetrics,
    );
    this.waiting = [];
    this.wake = undefined;
    this.metadataInFlight = undefined;
    this.metadataRetryAtUs = 0;
    this.initInFlight = undefined;
    this.initRetryAtUs = 0;
  }

  private start(after: ProcessStart["after"]): void {
    if (after !== undefined) {
      // A new process: what the old one held is gone. Its records have no outcome (unknown).
      for (const [id, o] of this.outcomes) {
        if (o.status === "pending") {
          this.outcomes.set(id, { ...o, status: "unknown", error: "the producer process crashed" });
        }
      }
      this.sender.reset();
      this.resetLife();
    }
    this.running = true;
    // Rates count from the process start (a first boot may come after construction).
    this.producerMetrics.begin(this.engine.now);
    this.emit("producer.start", { client: this.id, restart: after !== undefined });
    const w = this.options.workload;
    if (w?.transaction !== undefined && this.txn !== undefined) this.txn.initTransactions();
    if (w !== undefined) {
      // A restarted process starts the workload again from now, numbering on.
      const first = after === undefined ? 0 : this.firstWorkloadIndexAfter(w, this.engine.now);
      this.scheduleWorkload(w, first);
    }
  }

  private transactionHost(): TransactionHost {
    return {
      clientId: this.id,
      now: () => this.engine.now,
      anyBroker: () => this.metadata.nextNode(),
      send: (broker, message) => this.network.send(this.id, String(broker), message),
      nextCorrelationId: () => this.nextCorrelation++,
      timer: (atUs, id) => this.engine.scheduleAt(atUs, this.id, "producer.txn-timeout", id),
      cancel: (handle) => this.engine.cancel(handle),
      emit: (type, fields) => this.emit(type, fields),
      setProducerId: (producerId, producerEpoch) => {
        const idem = this.idempotence!;
        idem.setProducerId(producerId, producerEpoch);
        idem.epochBumpRequired = false;
        idem.resequence(this.accumulator.queued());
      },
      epochBumpRequired: () => this.idempotence?.epochBumpRequired ?? false,
      flushed: () =>
        this.waiting.length === 0 &&
        this.accumulator.queuedBatches() === 0 &&
        this.sender.outstanding === 0,
      flush: () => this.accumulator.setFlushing(true),
      failUndrained: (error) => this.failUndrained(error),
      onStateChange: (state, ended) => {
        this.onTransactionState(state);
        this.options.onTransactionState?.(state, ended);
      },
    };
  }

  private senderHost(): SenderHost {
    return {
      clientId: this.id,
      now: () => this.engine.now,
      send: (broker, message) => this.network.send(this.id, String(broker), message),
      cpuDoneAtUs: (cpuUs) => this.host.cpu.run(this.engine.now, cpuUs).doneAtUs,
      timer: (atUs, kind, id) => this.engine.scheduleAt(atUs, this.id, kind, id),
      cancel: (handle) => this.engine.cancel(handle),
      emit: (type, fields) => this.emit(type, fields),
      settle: (batch, outcome, detail) => this.settle(batch, outcome, detail),
      recordSend: (batch) => this.recordSend(batch),
      requestMetadataUpdate: () => this.metadata.requestUpdate(),
    };
  }

  private emit(type: string, fields: TraceFields): void {
    this.engine.trace.emit(type, this.id, fields);
  }

  // ---------------------------------------------------------------- the sender loop

  /** Sender.runOnce: expiry, producer id, metadata, blocked sends, then drain and send. */
  private run(): void {
    const now = this.engine.now;
    this.expireQueued(now);
    this.maybeInitOrBump(now);
    this.maybeRequestMetadata(now);
    this.processWaiting(now);
    this.sendReady(now);
    this.maybeAbortFlushed();
    this.scheduleWake(now);
  }

  private maybeAbortFlushed(): void {
    const t = this.txn;
    if (!this.abortWhenFlushed || t === undefined) return;
    if (t.state !== "IN_TRANSACTION") {
      // Fenced or failed meanwhile: the workload's own error handling takes over.
      this.abortWhenFlushed = false;
      return;
    }
    const flushed =
      this.waiting.length === 0 &&
      this.accumulator.queuedBatches() === 0 &&
      this.sender.outstanding === 0;
    if (!flushed) return;
    this.abortWhenFlushed = false;
    t.abortTransaction();
  }

  private deadlineOf = (batch: ProducerBatch): number =>
    batch.createdUs + this.settings["delivery.timeout.ms"] * 1000;

  private leaderOf = (topic: string, partition: number): number =>
    this.metadata.leader(topic, partition);

  private expireQueued(now: number): void {
    for (const batch of this.accumulator.takeExpired(now, this.deadlineOf)) {
      this.idempotence?.onFailed(batch);
      this.emit("producer.error", {
        client: this.id,
        topic: batch.topic,
        partition: batch.partition,
        sendId: batch.sendId,
        error: batch.lastError ?? "DELIVERY_TIMEOUT",
        outcome: batch.recorded ? (batch.ambiguous ? "unknown" : "failed") : "expired",
      });
      this.settle(batch, batch.ambiguous ? "unknown" : "failed", {
        ...(batch.lastError === undefined ? {} : { error: batch.lastError }),
        expired: true,
      });
    }
  }

  private sendReady(now: number): void {
    if (this.idempotence !== undefined && !this.idempotence.hasProducerId) return;
    if (this.partitioner.profile === "uniform-sticky-kip794" && this.partitioner.config.adaptive) {
      this.updateLoadStats();
    }
    const idem = this.idempotence;
    const txn = this.txn;
    const mayDrain =
      idem === undefined
        ? () => true
        : txn === undefined
          ? (b: ProducerBatch) => idem.mayDrain(b)
          : (b: ProducerBatch) =>
              txn.isSendToPartitionAllowed(b.topic, b.partition) && idem.mayDrain(b);
    const codec = this.settings["compression.type"];
    const wireBytesOf = (b: ProducerBatch) =>
      RECORD_BATCH_OVERHEAD_BYTES + compressRecords(codec, b.recordBytes).bytes;
    for (let round = 0; round < MAX_DRAIN_ROUNDS; round++) {
      const ready = this.accumulator.ready(now, this.leaderOf);
      if (ready.unknownLeader) this.metadata.requestUpdate();
      let sent = false;
      for (const node of ready.readyNodes) {
        if (!this.sender.canSend(node)) continue;
        const batches = this.accumulator.drain(node, now, this.leaderOf, mayDrain, wireBytesOf);
        if (batches.length === 0) continue;
        let cpuUs = 0;
        for (const b of batches) {
          if (b.attempts === 0) cpuUs += compressRecords(codec, b.recordBytes).cpuUs;
        }
        this.sender.sendBatches(node, batches, cpuUs);
        sent = true;
      }
      if (!sent) break;
    }
    if (this.accumulator.queuedBatches() === 0) this.accumulator.setFlushing(false);
  }

  /** KIP-794's adaptive weights: queue lengths of the partitions with a leader, per topic. */
  private updateLoadStats(): void {
    for (const topic of this.metadata.topicNames()) {
      const count = this.metadata.partitionCount(topic);
      if (count === undefined) continue;
      const ids = this.metadata.availablePartitions(topic);
      const sizes = ids.map((p) => this.accumulator.queueLength(topic, p));
      this.partitioner.updateLoadStats(topic, count === ids.length ? sizes : null, ids);
    }
  }

  private scheduleWake(now: number): void {
    let next: number | undefined;
    const consider = (t: number | undefined) => {
      if (t !== undefined && (next === undefined || t < next)) next = t;
    };
    consider(this.accumulator.ready(now, this.leaderOf).nextReadyUs);
    consider(this.accumulator.earliestDeadline(this.deadlineOf));
    if (this.metadata.topicNames().length > 0 && this.metadataInFlight === undefined) {
      consider(
        this.metadata.updateDue(now)
          ? this.metadataRetryAtUs
          : Math.max(this.metadata.nextRefreshUs(), this.metadataRetryAtUs),
      );
    }
    if (
      this.txn === undefined &&
      this.idempotence !== undefined &&
      !this.idempotence.hasProducerId &&
      !this.initInFlight
    ) {
      consider(this.initRetryAtUs);
    }
    consider(this.txn?.nextWakeUs());
    const head = this.waiting[0];
    if (head !== undefined) consider(head.sinceUs + this.settings["max.block.ms"] * 1000);
    if (next === undefined) return;
    const at = Math.max(next, now + 1);
    if (this.wake !== undefined) {
      if (this.wake.at <= at) return;
      this.engine.cancel(this.wake);
    }
    this.wake = this.engine.scheduleAt(at, this.id, "producer.wake", null);
  }

  // ---------------------------------------------------------------- send() and blocking

  /** The application thread's queue: appends in order while metadata and memory allow. */
  private processWaiting(now: number): void {
    const maxBlockUs = this.settings["max.block.ms"] * 1000;
    while (this.waiting.length > 0) {
      const w = this.waiting[0]!;
      const topic = w.record.topic;
      const count = this.metadata.partitionCount(topic);
      const timedOut = now - w.sinceUs >= maxBlockUs;
      if (count === undefined) {
        if (!timedOut) break;
        this.waiting.shift();
        this.failRecord(
          w.recordId,
          w.record,
          `TimeoutException: Topic ${topic} not present in metadata after ${this.settings["max.block.ms"]} ms.`,
        );
        continue;
      }
      const explicit = w.record.partition;
      if (explicit !== undefined && (explicit < 0 || explicit >= count)) {
        this.waiting.shift();
        this.failRecord(
          w.recordId,
          w.record,
          `KafkaException: Invalid partition given with record: ${explicit} is not in the range [0...${count}).`,
        );
        continue;
      }
      if (w.partition < 0) w.partition = this.choosePartition(w, count);
      if (!this.accumulator.hasRoom(topic, w.partition, w.sizeBytes)) {
        const bytes = this.accumulator.newBatchBytes(w.sizeBytes);
        if (!this.accumulator.canReserve(bytes)) {
          if (!timedOut) {
            this.accumulator.setExhausted(true);
            break;
          }
          this.waiting.shift();
          this.failRecord(
            w.recordId,
            w.record,
            `BufferExhaustedException: Failed to allocate memory within the configured max blocking time ${this.settings["max.block.ms"]} ms.`,
          );
          continue;
        }
      }
      this.waiting.shift();
      this.appendRecord(w, now);
    }
    if (this.waiting.length === 0) this.accumulator.setExhausted(false);
  }

  private view(topic: string, count: number): TopicPartitionsView {
    return { numPartitions: count, availablePartitions: this.metadata.availablePartitions(topic) };
  }

  /** KafkaProducer.partition, with KIP-480's abort-on-new-batch switch. */
  private choosePartition(w: WaitingSend, count: number): number {
    const topic = w.record.topic;
    const view = this.view(topic, count);
    const explicit = w.record.partition ?? null;
    let p = this.partitioner.partition(topic, w.keyBytes, explicit, view);
    if (
      this.partitioner.profile === "sticky-kip480" &&
      this.partitioner.usesStickyPartition(w.keyBytes, explicit) &&
      !this.accumulator.hasRoom(topic, p, w.sizeBytes)
    ) {
      this.partitioner.onNewBatch(topic, p, view);
      p = this.partitioner.partition(topic, w.keyBytes, explicit, view);
    }
    return p;
  }

  private appendRecord(w: WaitingSend, now: number): void {
    const topic = w.record.topic;
    const partition = w.partition;
    const value = w.record.value ?? null;
    const key = w.record.key ?? null;
    this.txn?.maybeAddPartition(topic, partition);
    const { batch, created } = this.accumulator.append(
      topic,
      partition,
      {
        recordId: w.recordId,
        key,
        value,
        sizeBytes: w.sizeBytes,
        appendedUs: now,
        ...(w.record.source === undefined ? {} : { source: w.record.source }),
      },
      () => this.newBatch(topic, partition, w.sizeBytes, now),
    );
    this.track({
      recordId: w.recordId,
      status: "pending",
      topic,
      partition,
      sendId: batch.sendId,
    });
    if (created) {
      this.emit("producer.batch", {
        client: this.id,
        topic,
        partition,
        sendId: batch.sendId,
        reservedBytes: batch.reservedBytes,
      });
    }
    const explicit = w.record.partition ?? null;
    if (
      this.partitioner.profile === "uniform-sticky-kip794" &&
      this.partitioner.usesStickyPartition(w.keyBytes, explicit)
    ) {
      // RecordAppendResult.appendedBytes: a new batch counts its header too.
      const appended = created ? RECORD_BATCH_OVERHEAD_BYTES + w.sizeBytes : w.sizeBytes;
      const count = this.metadata.partitionCount(topic)!;
      this.partitioner.updatePartitionInfo(
        topic,
        appended,
        partition,
        this.view(topic, count),
        this.accumulator.allBatchesFull(topic, partition),
      );
    }
  }

  private newBatch(
    topic: string,
    partition: number,
    sizeBytes: number,
    now: number,
  ): ProducerBatch {
    this.counters.batches++;
    return {
      sendId: `${this.id}:${this.nextBatch++}`,
      topic,
      partition,
      createdUs: now,
      reservedBytes: this.accumulator.newBatchBytes(sizeBytes),
      records: [],
      recordBytes: 0,
      closed: false,
      attempts: 0,
      retryAtUs: 0,
      inRetry: false,
      producerId: -1,
      producerEpoch: -1,
      baseSequence: -1,
      wireBytes: 0,
      recorded: false,
      ambiguous: false,
      lastError: undefined,
    };
  }

  // ---------------------------------------------------------------- outcomes and history

  private track(o: RecordOutcome): void {
    if (this.trackRecords) this.outcomes.set(o.recordId, o);
    if (o.status !== "pending") this.options.onRecordComplete?.(o);
  }

  private failRecord(recordId: string, record: ProducerRecord, error: string): void {
    this.counters.recordsFailedBeforeBatch++;
    // KafkaProducer.doSend records these on the same "errors" sensor as the sender's failBatch.
    this.producerMetrics.error(1);
    this.emit("producer.record-failed", {
      client: this.id,
      recordId,
      topic: record.topic,
      error,
    });
    this.track({
      recordId,
      status: "failed",
      topic: record.topic,
      partition: record.partition ?? -1,
      error,
      atUs: this.engine.now,
    });
  }

  private recordSend(batch: ProducerBatch): void {
    const keys = batch.records.map((r) => r.key);
    const first = keys[0] ?? null;
    const same = keys.every((k) => k === first);
    const anyKey = keys.some((k) => k !== null);
    this.options.history?.send({
      sendId: batch.sendId,
      client: this.id,
      topic: batch.topic,
      partition: batch.partition,
      key: same ? first : null,
      ...(anyKey && !same ? { keys } : {}),
      count: batch.records.length,
      sentAtUs: this.engine.now,
      ...(this.txn === undefined
        ? {}
        : { transactional: { transactionalId: this.txn.transactionalId } }),
      ...(batch.records.some((r) => r.source !== undefined)
        ? { sources: batch.records.map((r) => r.source ?? "") }
        : {}),
    });
  }

  private settle(
    batch: ProducerBatch,
    outcome: "acked" | "failed" | "unknown",
    detail: {
      offset?: number;
      error?: KafkaError;
      by?: number;
      expired?: boolean;
      /** The records' exception text when it is not the broker's error (an aborted transaction). */
      message?: string;
    },
  ): void {
    const now = this.engine.now;
    this.accumulator.release(batch);
    if (outcome !== "acked") this.producerMetrics.error(batch.records.length);
    if (outcome === "acked") this.counters.acked++;
    else if (!batch.recorded) this.counters.expiredUnsent++;
    else if (outcome === "failed") this.counters.failed++;
    else this.counters.unknown++;
    for (let i = 0; i < batch.records.length; i++) {
      const r = batch.records[i]!;
      this.track({
        recordId: r.recordId,
        status: outcome,
        topic: batch.topic,
        partition: batch.partition,
        sendId: batch.sendId,
        ...(outcome === "acked"
          ? { offset: detail.offset === -1 ? -1 : (detail.offset ?? 0) + i }
          : {
              // Sender.failBatch: an expired batch fails with a TimeoutException whatever the
              // broker said before ("Expiring N record(s) for tp: ... since batch creation").
              error:
                detail.message !== undefined
                  ? detail.message
                  : detail.expired === true || detail.error === undefined
                    ? "TimeoutException: delivery.timeout.ms expired"
                    : detail.error,
            }),
        atUs: now,
      });
    }
    if (outcome !== "acked" && this.txn !== undefined) {
      this.txn.onBatchFailed(detail.message ?? detail.error ?? "TimeoutException");
    }
    if (!batch.recorded) return; // never reached the network: not in the history
    this.options.history?.outcome({
      sendId: batch.sendId,
      atUs: now,
      outcome,
      ...(detail.offset === undefined ? {} : { offset: detail.offset }),
      ...(detail.error === undefined ? {} : { error: detail.error }),
      ...(detail.by === undefined ? {} : { by: detail.by }),
      acks: this.acksName,
    });
  }

  // ---------------------------------------------------------------- producer id

  private maybeInitOrBump(now: number): void {
    if (this.txn !== undefined) {
      // A transactional producer gets its id and epochs from its transaction coordinator.
      this.txn.poll(now);
      return;
    }
    const idem = this.idempotence;
    if (idem === undefined) return;
    if (idem.canBumpNow(this.sender.outstanding)) {
      if (idem.epochExhausted) {
        // Short.MAX_VALUE: a new producer id (TransactionManager.resetIdempotentProducerId).
        idem.producerId = -1;
        idem.producerEpoch = -1;
        idem.epochBumpRequired = false;
      } else {
        idem.bumpEpoch(this.accumulator.queued());
        this.counters.epochBumps++;
        this.emit("producer.epoch-bump", {
          client: this.id,
          producerId: idem.producerId,
          producerEpoch: idem.producerEpoch,
        });
      }
    }
    if (idem.hasProducerId || this.initInFlight !== undefined || now < this.initRetryAtUs) return;
    const node = this.metadata.nextNode();
    const correlationId = this.nextCorrelation++;
    const timer = this.engine.schedule(
      this.settings["request.timeout.ms"] * 1000,
      this.id,
      "producer.init-timeout",
      correlationId,
    );
    this.initInFlight = { correlationId, node, timer };
    this.emit("producer.init-producer-id", { client: this.id, broker: node, correlationId });
    this.network.send(this.id, String(node), {
      type: "InitProducerIdRequest",
      bytes: HEADER_BYTES + 16,
      correlationId,
      transactionalId: null,
      transactionTimeoutMs: 60_000,
      producerId: -1,
      producerEpoch: -1,
    } satisfies InitProducerIdRequest);
  }

  private onInitResponse(from: number, m: InitProducerIdResponse): void {
    const f = this.initInFlight;
    if (f === undefined || f.correlationId !== m.correlationId || f.node !== from) return;
    this.engine.cancel(f.timer);
    this.initInFlight = undefined;
    const idem = this.idempotence;
    assert(idem !== undefined, "an InitProducerId answer without idempotence");
    if (m.error !== "NONE") {
      this.emit("producer.init-producer-id.error", {
        client: this.id,
        broker: from,
        error: m.error,
      });
      this.initRetryAtUs = this.engine.now + this.settings["retry.backoff.ms"] * 1000;
      return;
    }
    idem.setProducerId(m.producerId, m.producerEpoch);
    idem.resequence(this.accumulator.queued());
    this.emit("producer.producer-id", {
      client: this.id,
      broker: from,
      producerId: m.producerId,
      producerEpoch: m.producerEpoch,
    });
  }

  private initFailed(): void {
    this.initInFlight = undefined;
    this.initRetryAtUs = this.engine.now + this.settings["retry.backoff.ms"] * 1000;
  }

  // ---------------------------------------------------------------- metadata

  private maybeRequestMetadata(now: number): void {
    if (this.metadataInFlight !== undefined || now < this.metadataRetryAtUs) return;
    const topics = this.metadata.topicNames();
    if (topics.length === 0 || !this.metadata.updateDue(now)) return;
    const node = this.metadata.nextNode();
    const correlationId = this.nextCorrelation++;
    const timer = this.engine.schedule(
      this.settings["request.timeout.ms"] * 1000,
      this.id,
      "producer.metadata-timeout",
      correlationId,
    );
    this.metadataInFlight = { correlationId, node, timer };
    this.counters.metadataRequests++;
    let bytes = HEADER_BYTES;
    for (const t of topics) bytes += t.length;
    this.network.send(this.id, String(node), {
      type: "MetadataRequest",
      bytes,
      correlationId,
      topics,
    } satisfies MetadataRequest);
  }

  private onMetadataResponse(from: number, m: MetadataResponse): void {
    const f = this.metadataInFlight;
    if (f === undefined || f.correlationId !== m.correlationId || f.node !== from) return;
    this.engine.cancel(f.timer);
    this.metadataInFlight = undefined;
    const now = this.engine.now;
    this.metadata.apply(m, now);
    // Metadata.refreshBackoff: no two updates closer than retry.backoff.ms.
    this.metadataRetryAtUs = now + this.settings["retry.backoff.ms"] * 1000;
    const leaders: Record<string, number[]> = {};
    for (const t of this.metadata.topicNames()) {
      const count = this.metadata.partitionCount(t) ?? 0;
      leaders[t] = Array.from({ length: count }, (_, p) => this.metadata.leader(t, p));
    }
    this.emit("producer.metadata", {
      client: this.id,
      broker: from,
      leaders: JSON.stringify(leaders),
    });
  }

  private metadataFailed(): void {
    this.metadataInFlight = undefined;
    this.metadata.failed();
    this.metadataRetryAtUs = this.engine.now + this.settings["retry.backoff.ms"] * 1000;
  }

  private onDisconnect(peer: number): void {
    if (this.metadataInFlight?.node === peer) {
      this.engine.cancel(this.metadataInFlight.timer);
      this.metadataFailed();
    }
    if (this.initInFlight?.node === peer) {
      this.engine.cancel(this.initInFlight.timer);
      this.initFailed();
    }
    this.sender.onDisconnect(peer);
    // A coordinator request on the lost connection fails now, not at request.timeout.ms.
    this.txn?.onDisconnect(peer);
    // NetworkClient: a lost connection to a broker asks for fresh metadata (handleServerDisconnect),
    // so a producer that hears nothing back (acks=0) still learns that its leader moved.
    this.metadata.requestUpdate();
    if (this.running) this.run();
  }

  // ---------------------------------------------------------------- transactions (internals)

  /**
   * Sender.maybeAbortBatches / abortUndrainedBatches: every batch not yet on the wire, and every
   * record still waiting for metadata or memory, fails with `error`.
   */
  private failUndrained(error: string): void {
    const now = this.engine.now;
    for (const w of this.waiting.splice(0)) this.failRecord(w.recordId, w.record, error);
    this.accumulator.setExhausted(false);
    for (const batch of this.accumulator.takeExpired(now, () => Number.NEGATIVE_INFINITY)) {
      this.idempotence?.onFailed(batch);
      this.emit("producer.error", {
        client: this.id,
        topic: batch.topic,
        partition: batch.partition,
        sendId: batch.sendId,
        error,
        outcome: batch.recorded ? (batch.ambiguous ? "unknown" : "failed") : "aborted",
      });
      this.settle(batch, batch.ambiguous ? "unknown" : "failed", {
        ...(batch.lastError === undefined ? {} : { error: batch.lastError }),
        message: error,
      });
    }
  }

  /** The transaction manager moved: a workload record waiting for it may go on. */
  private onTransactionState(state: TransactionState): void {
    if (state === "FATAL_ERROR") this.emit("producer.fenced", { client: this.id, state });
    const w = this.options.workload;
    if (w?.transaction === undefined) return;
    if (state === "ABORTABLE_ERROR") {
      // Not from inside the sender loop that reported the failure: as the next step.
      this.engine.schedule(0, this.id, "producer.txn-abort", null);
      return;
    }
    const k = this.deferredTick;
    if (state !== "READY" || k === undefined) return;
    this.deferredTick = undefined;
    // After the current handler: the manager finishes its own bookkeeping first.
    this.engine.schedule(0, this.id, "producer.workload", k);
  }

  /**
   * The transactional workload's application thread before record k: begin a transaction when
   * none is open, abort one that failed, wait while one initialises or ends. True: send it now.
   */
  private transactionalStep(k: number): boolean {
    const t = this.txn!;
    switch (t.state) {
      case "READY":
        t.beginTransaction();
        this.txnRecords = 0;
        return true;
      case "IN_TRANSACTION":
        if (!this.abortWhenFlushed) return true;
        this.deferredTick = k;
        return false;
      case "ABORTABLE_ERROR":
        // The application catches the error and aborts (KafkaProducer's documented loop).
        t.abortTransaction();
        this.deferredTick = k;
        return false;
      case "FATAL_ERROR":
        // ProducerFencedException: the producer must be closed; this process sends no more.
        return false;
      case "UNINITIALIZED":
      case "INITIALIZING":
      case "COMMITTING_TRANSACTION":
      case "ABORTING_TRANSACTION":
        this.deferredTick = k;
        return false;
    }
  }

  /** After a workload record: end the transaction once it holds its records. */
  private afterTransactionalRecord(w: ProducerWorkload): boolean {
    const spec = w.transaction!;
    const t = this.txn!;
    this.txnRecords++;
    if (this.txnRecords < spec.records || t.state !== "IN_TRANSACTION") return true;
    if (spec.end === "open") {
      this.emit("producer.txn", {
        client: this.id,
        step: "left-open",
        transactionalId: t.transactionalId,
        records: this.txnRecords,
      });
      return false; // never ended: the workload sends nothing more
    }
    this.endTransaction(spec.end);
    return true;
  }

  private endTransaction(end: "commit" | "abort"): void {
    const t = this.txn!;
    this.txnRecords = 0;
    if (end === "commit") {
      t.commitTransaction();
      return;
    }
    // flush(), then abortTransaction() once every record is written.
    this.abortWhenFlushed = true;
    this.accumulator.setFlushing(true);
    this.maybeAbortFlushed();
  }

  /** The workload ran out: a partly filled transaction ends as the others do. */
  private endPartialTransaction(w: ProducerWorkload): void {
    const spec = w.transaction;
    if (spec === undefined || this.txn?.state !== "IN_TRANSACTION" || spec.end === "open") return;
    if (this.txnRecords > 0) this.endTransaction(spec.end);
  }

  // ---------------------------------------------------------------- workload

  private firstWorkloadIndexAfter(w: ProducerWorkload, nowUs: number): number {
    const start = w.startAtUs ?? 0;
    if (nowUs <= start) return 0;
    return Math.ceil(((nowUs - start) * w.ratePerSec) / 1_000_000);
  }

  private scheduleWorkload(w: ProducerWorkload, k: number): void {
    if (this.workloadStopped) return;
    if (w.count !== undefined && k >= w.count) return this.endPartialTransaction(w);
    let atUs: number;
    if (w.arrival === "poisson") {
      // The first record comes at the start; each later one an exponential gap after the last.
      const start = Math.max(w.startAtUs ?? 0, this.engine.now);
      atUs = k === 0 ? start : this.engine.now + poissonGapUs(w, this.workloadRng);
    } else atUs = Math.max(workloadTimeUs(w, k), this.engine.now);
    if (w.stopAtUs !== undefined && atUs >= w.stopAtUs) return this.endPartialTransaction(w);
    this.engine.scheduleAt(atUs, this.id, "producer.workload", k);
  }

  private workloadTick(k: number): void {
    const w = this.options.workload;
    assert(w !== undefined, "a workload tick without a workload");
    if (this.workloadStopped) return;
    const transactional = w.transaction !== undefined && this.txn !== undefined;
    if (transactional && !this.transactionalStep(k)) return;
    const key = workloadKey(w, k, this.workloadRng);
    this.send({
      topic: w.topic,
      key,
      // Readable values name the producer and the record: `producer-1:0`, `producer-1:1`, ...
      ...(this.keepPayloads ? { value: `${this.id}:${k}` } : { valueBytes: w.valueBytes }),
    });
    if (transactional && !this.afterTransactionalRecord(w)) return;
    this.scheduleWorkload(w, k + 1);
  }
}
