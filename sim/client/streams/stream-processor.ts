/**
 * A stream processor: the consume-transform-produce loop of a Kafka Streams application with one
 * thread and a map topology (each input record becomes one output record), built from a
 * KafkaConsumer (node `<id>`) and a KafkaProducer (node `<id>-producer`) that live and die
 * together, as one process.
 *
 * The loop (StreamThread.runOnce, TaskManager.commit), after every poll:
 * - exactly_once_v2: the first records of a transaction begin it; each record's output is sent
 *   inside it; once commit.interval.ms has passed since it began, sendOffsetsToTransaction(the
 *   consumer's positions, its group metadata) and commitTransaction, and the next poll waits for
 *   the commit. An abortable error (a failed send, CommitFailedException from a stale
 *   generation) aborts the transaction and rewinds the consumer to the committed offsets (Streams
 *   closes the tasks dirty and reinitialises them); ProducerFencedException means another
 *   incarnation owns the transactional.id: this one is a zombie and closes.
 * - at_least_once: outputs are sent as records are processed; once commit.interval.ms has passed,
 *   the producer is flushed, and when every output is acknowledged the consumer commits its
 *   positions (commitSync). A crash between the two reprocesses the records since the last
 *   commit, and their outputs are written again: duplicates.
 *
 * Every output record names its input (`source`: "topic-partition@offset"), so the checkers can
 * count each input's effects in the output. Trace: `stream.process`, `stream.commit`,
 * `stream.abort`, `stream.rewind`, `stream.fenced`.
 *
 * Simplifies: no state stores, no repartitioning, no punctuation; the output record goes to the
 * input's partition number (modulo the output's partition count), as a keyed map over
 * co-partitioned topics would; no commit on partition revocation: a transaction open across a
 * rebalance (the consumer's generation changed) is aborted and its records read again, and its
 * TxnOffsetCommit carries the generation it began in, so the group coordinator refuses it with
 * ILLEGAL_GENERATION if it got that far.
 */
import { assert } from "../../engine/assert.ts";
import type { Actor, Engine, SimEvent } from "../../engine/engine.ts";
import type { CrashMode } from "../../infra/host.ts";
import type { Network } from "../../infra/network.ts";
import type { KafkaVersion } from "../../kafka/version.ts";
import { KafkaConsumer } from "../consumer/kafka-consumer.ts";
import type { ConsumerHistorySink, PolledRecords } from "../consumer/types.ts";
import {
  KafkaProducer,
  type KafkaProducerHistorySink,
  type KafkaProducerOptions,
} from "../producer/kafka-producer.ts";
import type { TransactionEnd, TransactionState } from "../producer/transaction-manager.ts";
import type { StreamsSettings } from "./streams-config.ts";

export interface StreamProcessorOptions {
  readonly clientId: string;
  readonly version: KafkaVersion;
  readonly bootstrap: readonly number[];
  readonly settings: StreamsSettings;
  readonly input: readonly string[];
  readonly output: string;
  /** Partitions of the output topic (the output partition is the input's, modulo this). */
  readonly outputPartitions: () => number;
  readonly processingUsPerRecord: number;
  readonly valueBytes: number;
  readonly keepPayloads: boolean;
  readonly history?: ConsumerHistorySink & KafkaProducerHistorySink;
  readonly machine?: KafkaProducerOptions["machine"];
}

/** A poll's records and how to go on, while the loop waits on the producer. */
interface Step {
  records: readonly PolledRecords[];
  readonly resume: (commit: boolean) => void;
  /** Its outputs were sent. */
  sent: boolean;
}

type StreamsEvent = SimEvent<"streams.advance", { readonly life: number }>;

export class StreamProcessor implements Actor {
  readonly id: string;
  readonly consumer: KafkaConsumer;
  readonly producer: KafkaProducer;
  private life = 1;
  private step: Step | undefined;
  /** Records processed in the open transaction (EOS) or since the last commit (ALOS). */
  private uncommitted = 0;
  /** When the open transaction began (EOS) or the last commit was made (ALOS), µs. */
  private intervalStartUs = 0;
  /** EOS: a commit is under way; the step waits for its end. */
  private committing = false;
  /** EOS: the open transaction is being aborted; rewind once it is. */
  private rewindAfterAbort = false;
  /** ALOS: outputs sent and not yet settled; a commit waits until none are left. */
  private readonly unsettled = new Set<string>();
  private flushing = false;
  private fenced = false;
  private advanceQueued = false;
  /** EOS: the consumer's group metadata when the open transaction began. */
  private txnGroup: ReturnType<KafkaConsumer["groupMetadata"]> | undefined;
  /** EOS: the input partitions whose records the open transaction has outputs for. */
  private readonly txnPartitions = new Set<string>();

  constructor(
    private readonly engine: Engine,
    network: Network,
    private readonly options: StreamProcessorOptions,
  ) {
    this.id = `${options.clientId}/streams`;
    const s = options.settings;
    this.consumer = new KafkaConsumer(engine, network, {
      clientId: options.clientId,
      version: options.version,
      bootstrap: options.bootstrap,
      config: s.consumer,
      app: {
        processingUsPerRecord: options.processingUsPerRecord,
        onRecords: (records, resume) => this.onPoll(records, resume),
      },
      ...(options.history === undefined ? {} : { history: options.history }),
      ...(options.machine === undefined ? {} : { machine: options.machine }),
    });
    this.producer = new KafkaProducer(engine, network, {
      clientId: `${options.clientId}-producer`,
      version: options.version,
      bootstrap: options.bootstrap,
      config: s.producer,
      keepPayloads: options.keepPayloads,
      trackRecords: false,
      ...(options.history === undefined ? {} : { history: options.history }),
      onRecordComplete: (outcome) => {
        if (outcome.status === "pending") return;
        if (this.unsettled.delete(outcome.recordId) && this.unsettled.size === 0) this.later();
      },
      onTransactionState: (state, ended) => this.onTransactionState(state, ended),
      ...(options.machine === undefined ? {} : { machine: options.machine }),
    });
    this.consumer.subscribe(options.input);
    engine.register(this);
  }

  get guarantee(): StreamsSettings["guarantee"] {
    return this.options.settings.guarantee;
  }

  /** Both processes start (the machine boots). */
  boot(): void {
    this.consumer.boot();
    this.producer.boot();
  }

  /** The process crashes: both clients' hosts, and the loop's own state. */
  crash(mode: CrashMode): void {
    this.consumer.host.crash(mode);
    this.producer.host.crash(mode);
    this.resetLoop();
  }

  restart(): void {
    if (!this.consumer.host.isUp) this.consumer.host.restart();
    if (!this.producer.host.isUp) this.producer.host.restart();
  }

  get isUp(): boolean {
    return this.consumer.host.isUp;
  }

  /** KafkaStreams.close: an open transaction is aborted, the consumer leaves its group. */
  stop(): void {
    this.producer.stop();
    this.consumer.close();
  }

  handle(event: SimEvent): void {
    const e = event as StreamsEvent;
    if (e.kind !== "streams.advance") return;
    this.advanceQueued = false;
    if (e.payload.life === this.life) this.advance();
  }

  // ---------------------------------------------------------------- the loop

  private onPoll(records: readonly PolledRecords[], resume: (commit: boolean) => void): void {
    assert(this.step === undefined, () => `${this.options.clientId}: two polls in one step`);
    this.step = { records, resume, sent: false };
    this.advance();
  }

  private onTransactionState(state: TransactionState, ended?: TransactionEnd): void {
    if (ended === "committed") {
      this.committing = false;
      this.emit("stream.commit", { records: this.uncommitted, guarantee: this.guarantee });
      this.uncommitted = 0;
    } else if (ended !== undefined) {
      this.committing = false;
    }
    if (state === "FATAL_ERROR" || state === "ABORTABLE_ERROR" || state === "READY") this.later();
  }

  /** Runs the loop again after the current handler (never from inside the producer's code). */
  private later(): void {
    if (this.advanceQueued) return;
    this.advanceQueued = true;
    this.engine.schedule(0, this.id, "streams.advance", { life: this.life });
  }

  private advance(): void {
    if (this.fenced || !this.consumer.host.isUp || !this.producer.host.isUp) return;
    if (this.guarantee === "exactly_once_v2") this.advanceExactlyOnce();
    else this.advanceAtLeastOnce();
  }

  private advanceExactlyOnce(): void {
    const step = this.step;
    const p = this.producer;
    const state = p.transactionState();
    switch (state) {
      case undefined:
        throw new Error("a transactional stream processor's producer has no transaction manager");
      case "UNINITIALIZED":
        // A new producer process: whatever its last one had open is gone with it.
        if (this.uncommitted > 0) this.rewind("producer restarted");
        p.initTransactions();
        return;
      case "INITIALIZING":
      case "COMMITTING_TRANSACTION":
      case "ABORTING_TRANSACTION":
        return; // wait for the manager
      case "FATAL_ERROR":
        this.fenced = true;
        this.emit("stream.fenced", { error: p.transactionManager()?.error?.message ?? "fatal" });
        this.step = undefined;
        this.consumer.close();
        return;
      case "ABORTABLE_ERROR":
        this.emit("stream.abort", {
          records: this.uncommitted,
          why: p.transactionManager()?.error?.message ?? "abortable error",
        });
        this.rewindAfterAbort = true;
        this.committing = false;
        p.abortTransaction();
        return;
      case "READY":
        if (this.rewindAfterAbort || this.uncommitted > 0) {
          // Aborted (by us, or under us): the records of that transaction are read again.
          this.rewindAfterAbort = false;
          this.rewind("transaction aborted");
          return this.finishStep();
        }
        if (step === undefined || !hasRecords(step.records)) return this.finishStep();
        p.beginTransaction();
        this.intervalStartUs = this.engine.now;
        this.txnGroup = this.consumer.groupMetadata();
        this.txnPartitions.clear();
        break;
      case "IN_TRANSACTION":
        if (this.committing) return;
        if (this.rebalancedSinceBegin()) return this.abortForRebalance();
        break;
    }
    if (step === undefined) return;
    this.sendOutputs(step);
    if (this.rebalancedSinceBegin()) return this.abortForRebalance();
    if (this.uncommitted > 0 && this.engine.now - this.intervalStartUs >= this.commitIntervalUs()) {
      // The generation the transaction began in (KIP-447): a rebalance in between fails it.
      const group = this.txnGroup!;
      p.sendOffsetsToTransaction({
        groupId: group.groupId,
        generationId: group.generationId,
        memberId: group.memberId,
        offsets: this.consumer.consumedOffsets(),
      });
      this.committing = true;
      p.commitTransaction();
      return; // the step ends when the commit does
    }
    this.finishStep();
  }

  private advanceAtLeastOnce(): void {
    const step = this.step;
    if (step === undefined) return;
    this.sendOutputs(step);
    const due =
      this.uncommitted > 0 && this.engine.now - this.intervalStartUs >= this.commitIntervalUs();
    if (!due) return this.finishStep();
    if (this.unsettled.size > 0) {
      // Flush, then commit once every output is acknowledged (TaskManager.commit).
      if (!this.flushing) this.producer.flush();
      this.flushing = true;
      return;
    }
    this.flushing = false;
    this.emit("stream.commit", { records: this.uncommitted, guarantee: this.guarantee });
    this.uncommitted = 0;
    this.intervalStartUs = this.engine.now;
    this.step = undefined;
    step.resume(true);
  }

  /**
   * A rebalance since the transaction began (another generation), or a partition it has outputs
   * for revoked: that partition may be another member's now, and its position is gone.
   */
  private rebalancedSinceBegin(): boolean {
    if (this.consumer.groupMetadata().generationId !== this.txnGroup?.generationId) return true;
    const owned = new Set(this.consumer.assignment().map((tp) => `${tp.topic}-${tp.partition}`));
    for (const key of this.txnPartitions) if (!owned.has(key)) return true;
    return false;
  }

  /**
   * Kafka Streams commits before it gives partitions up; here the transaction is aborted and its
   * records are read again from the committed offsets.
   */
  private abortForRebalance(): void {
    this.emit("stream.abort", { records: this.uncommitted, why: "rebalance" });
    this.rewindAfterAbort = true;
    this.producer.abortTransaction();
  }

  private sendOutputs(step: Step): void {
    if (step.sent) return;
    step.sent = true;
    const out = this.options.output;
    const outputPartitions = Math.max(1, this.options.outputPartitions());
    let n = 0;
    for (const r of step.records) {
      for (const run of r.runs) {
        for (let offset = run.offset; offset < run.offset + run.count; offset++) {
          const source = `${r.topic}-${r.partition}@${offset}`;
          const id = this.producer.send({
            topic: out,
            partition: r.partition % outputPartitions,
            key: null,
            ...(this.options.keepPayloads
              ? { value: `processed(${source})` }
              : { valueBytes: this.options.valueBytes }),
            source,
          });
          if (this.guarantee === "at_least_once") this.unsettled.add(id);
          else this.txnPartitions.add(`${r.topic}-${r.partition}`);
          n++;
        }
      }
    }
    if (n === 0) return;
    this.uncommitted += n;
    this.emit("stream.process", {
      records: n,
      partitions: step.records.map((r) => `${r.topic}-${r.partition}`).join(","),
    });
  }

  private finishStep(): void {
    const step = this.step;
    if (step === undefined) return;
    this.step = undefined;
    step.resume(false);
  }

  private rewind(why: string): void {
    this.emit("stream.rewind", { why, records: this.uncommitted });
    this.uncommitted = 0;
    this.consumer.rewindToCommitted();
  }

  private resetLoop(): void {
    this.life++;
    this.step = undefined;
    this.uncommitted = 0;
    this.committing = false;
    this.rewindAfterAbort = false;
    this.unsettled.clear();
    this.flushing = false;
    this.advanceQueued = false;
    this.intervalStartUs = this.engine.now;
  }

  private commitIntervalUs(): number {
    return this.options.settings.commitIntervalMs * 1000;
  }

  private emit(type: string, fields: Record<string, string | number | boolean>): void {
    this.engine.trace.emit(type, this.options.clientId, fields);
  }
}

function hasRecords(records: readonly PolledRecords[]): boolean {
  return records.some((r) => r.runs.length > 0);
}
