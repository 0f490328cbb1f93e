/**
 * The producer's sender (Kafka's Sender with the produce side of NetworkClient): turns drained
 * batches into ProduceRequests, keeps at most max.in.flight.requests.per.connection of them
 * unanswered per broker, and settles each batch when its answer (or its absence) comes:
 * acknowledged, retried, or failed.
 *
 * Models:
 * - one ProduceRequest per broker per drain, carrying one batch per partition; a request's CPU
 *   work (compression) runs on the producer host before it goes on the wire;
 * - max.in.flight.requests.per.connection per broker; with 1, each drained partition is muted
 *   until its batch is settled (Kafka's guaranteeMessageOrder), so a retry goes before anything
 *   newer of that partition;
 * - request.timeout.ms per request (never past the batches' delivery deadline): the timed-out
 *   request fails with REQUEST_TIMED_OUT and every other request in flight to that broker with
 *   NETWORK_EXCEPTION, as NetworkClient closes the connection; a disconnect fails them all with
 *   NETWORK_EXCEPTION; a late answer to a settled request is ignored;
 * - retries (Sender.canRetry): a retriable error, attempts − 1 < retries, and the delivery timeout
 *   not reached after the backoff; the backoff is retry.backoff.ms × 2^(attempts − 1) capped by
 *   retry.backoff.max.ms (3.7+, KIP-580; constant before), without Kafka's ±20% jitter; the batch
 *   goes back to the head of its partition's queue (in sequence order with idempotence);
 * - idempotence: OUT_OF_ORDER_SEQUENCE_NUMBER is retried only for a batch that is not the next
 *   one the broker expects (idempotence.ts); a batch with a sequence that fails for good asks for
 *   an epoch bump (KIP-360);
 * - outcome of a batch in the history: acked (base offset), failed (no attempt can have been
 *   appended) or unknown (some attempt may have been: a timeout, a disconnect after sending,
 *   NOT_ENOUGH_REPLICAS_AFTER_APPEND, or NOT_LEADER_OR_FOLLOWER after an acks=all append). A batch
 *   enters the history when it first goes on the wire, as the synthetic producer's do.
 *
 * Transactions: a transactional producer's batches carry the transactional flag (attribute bit
 * 0x10); which partitions may be drained is the transaction manager's call (the producer's).
 *
 * Simplifies: no connection setup time or reconnect backoff; a request is "in flight" from the
 * moment it is drained; no MESSAGE_TOO_LARGE batch splitting. Faults it suffers: lost messages
 * (timeouts), disconnects, broker errors, and its host's crash (the producer drops it).
 */
import { assert } from "../../engine/assert.ts";
import type { EventHandle } from "../../engine/engine.ts";
import type { TraceFields } from "../../engine/trace.ts";
import {
  HEADER_BYTES,
  type ProducePartitionData,
  type ProduceRequest,
  type ProduceResponse,
} from "../../kafka/protocol.ts";
import type { KafkaError } from "../../kafka/types.ts";
import type { ProducerBatch, RecordAccumulator } from "./accumulator.ts";
import { IdempotenceState } from "./idempotence.ts";
import type { ProducerMetrics } from "./metrics.ts";
import type { ProducerSettings } from "./producer-config.ts";

/** Errors after which a partition's leader must be looked up again. */
export const METADATA_ERRORS: ReadonlySet<KafkaError> = new Set<KafkaError>([
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
const RETRIABLE: ReadonlySet<KafkaError> = new Set<KafkaError>([
  ...METADATA_ERRORS,
  "NOT_ENOUGH_REPLICAS",
  "NOT_ENOUGH_REPLICAS_AFTER_APPEND",
  "OUT_OF_ORDER_SEQUENCE_NUMBER",
  "INVALID_PRODUCER_EPOCH",
]);

/** Errors after which the batch may be in the log although it was not acknowledged. */
const AMBIGUOUS: ReadonlySet<KafkaError> = new Set<KafkaError>([
  "REQUEST_TIMED_OUT",
  "NOT_ENOUGH_REPLICAS_AFTER_APPEND",
  "NETWORK_EXCEPTION",
]);

/** What the sender needs from its producer actor. */
export interface SenderHost {
  readonly clientId: string;
  now(): number;
  /** Sends on the network to a broker. */
  send(broker: number, message: ProduceRequest): void;
  /** Runs `cpuUs` of work on the producer host; returns when it is done. */
  cpuDoneAtUs(cpuUs: number): number;
  /** Schedules the request's transmission (after CPU work) or its timeout. */
  timer(
    atUs: number,
    kind: "producer.transmit" | "producer.request-timeout",
    id: number,
  ): EventHandle;
  cancel(handle: EventHandle | undefined): void;
  emit(type: string, fields: TraceFields): void;
  /** The batch is settled (acked, failed, unknown): history, callbacks, buffer memory. */
  settle(
    batch: ProducerBatch,
    outcome: "acked" | "failed" | "unknown",
    detail: { offset?: number; error?: KafkaError; by?: number },
  ): void;
  /** The batch reached the network for the first time: the history's send. */
  recordSend(batch: ProducerBatch): void;
  /** Leadership may have moved: refresh metadata. */
  requestMetadataUpdate(): void;
}

interface InFlightRequest {
  readonly correlationId: number;
  readonly broker: number;
  readonly batches: ProducerBatch[];
  readonly request: ProduceRequest;
  /** When it was drained (request-latency counts from here, as Kafka's ClientRequest). */
  readonly drainedUs: number;
  timer: EventHandle | undefined;
  transmitted: boolean;
}

export class Sender {
  private readonly inFlight = new Map<number, InFlightRequest>();
  private readonly perBroker = new Map<number, number>();
  private nextCorrelation = 1;
  readonly counters = { requests: 0, attempts: 0, retries: 0, timeouts: 0 };

  constructor(
    private readonly host: SenderHost,
    private readonly settings: ProducerSettings,
    private readonly accumulator: RecordAccumulator,
    private readonly idempotence: IdempotenceState | undefined,
    /** Put keys and values on the wire batches (scenarios that show payloads). */
    private readonly keepPayloads: boolean,
    /** Kafka's producer-metrics, recorded where Sender.SenderMetrics records them. */
    private readonly metrics?: ProducerMetrics,
  ) {}

  /** Produce requests drained and not settled. */
  get outstanding(): number {
    return this.inFlight.size;
  }

  /** NetworkClient.isReady for produce: fewer than max.in.flight requests to the broker. */
  canSend(broker: number): boolean {
    return (
      (this.perBroker.get(broker) ?? 0) < this.settings["max.in.flight.requests.per.connection"]
    );
  }

  /** Sends one ProduceRequest with these batches (one per partition) to `broker`. */
  sendBatches(broker: number, batches: ProducerBatch[], cpuUs: number): void {
    assert(batches.length > 0, "a produce request without batches");
    const now = this.host.now();
    const correlationId = this.nextCorrelation++;
    const partitions: ProducePartitionData[] = [];
    let bytes = HEADER_BYTES;
    for (const batch of batches) {
      this.idempotence?.onDrain(batch);
      if (this.settings["max.in.flight.requests.per.connection"] === 1) {
        this.accumulator.mute(batch.topic, batch.partition);
      }
      batch.attempts++;
      batch.inRetry = false;
      this.counters.attempts++;
      bytes += batch.wireBytes;
      partitions.push({
        topic: batch.topic,
        partition: batch.partition,
        batch: wireBatch(
          batch,
          now,
          this.keepPayloads,
          (this.settings["transactional.id"] ?? null) !== null,
        ),
      });
    }
    const request: ProduceRequest = {
      type: "ProduceRequest",
      bytes,
      correlationId,
      clientId: this.host.clientId,
      acks: this.settings.acks,
      timeoutMs: this.settings["request.timeout.ms"],
      transactionalId: this.settings["transactional.id"] ?? null,
      partitions,
    };
    const entry: InFlightRequest = {
      correlationId,
      broker,
      batches,
      request,
      drainedUs: now,
      timer: undefined,
      transmitted: false,
    };
    this.metrics?.request(batches.map((b) => ({ records: b.records.length, bytes: b.wireBytes })));
    this.inFlight.set(correlationId, entry);
    this.perBroker.set(broker, (this.perBroker.get(broker) ?? 0) + 1);
    this.counters.requests++;
    const doneUs = cpuUs > 0 ? this.host.cpuDoneAtUs(cpuUs) : now;
    if (doneUs > now) entry.timer = this.host.timer(doneUs, "producer.transmit", correlationId);
    else this.transmit(correlationId);
  }

  /** The request's CPU work is done: on the wire it goes. */
  transmit(correlationId: number): void {
    const entry = this.inFlight.get(correlationId);
    if (entry === undefined || entry.transmitted) return;
    entry.transmitted = true;
    const now = this.host.now();
    for (const batch of entry.batches) {
      if (!batch.recorded) {
        batch.recorded = true;
        this.host.recordSend(batch);
      }
      this.host.emit("producer.send", {
        client: this.host.clientId,
        topic: batch.topic,
        partition: batch.partition,
        sendId: batch.sendId,
        attempt: batch.attempts,
        broker: entry.broker,
        count: batch.records.length,
        bytes: batch.wireBytes,
        correlationId,
        producerId: batch.producerId,
        producerEpoch: batch.producerEpoch,
        baseSequence: batch.baseSequence,
      });
    }
    this.host.send(entry.broker, entry.request);
    if (this.settings.acks === 0) {
      // acks=0: no answer comes; the batches are done once on the wire (offset -1).
      this.forget(entry);
      for (const batch of entry.batches) {
        this.unmute(batch);
        this.idempotence?.onAcked(batch);
        this.host.settle(batch, "acked", { offset: -1 });
      }
      return;
    }
    let deadlineUs = now + this.settings["request.timeout.ms"] * 1000;
    for (const batch of entry.batches) deadlineUs = Math.min(deadlineUs, this.deadlineOf(batch));
    entry.timer = this.host.timer(
      Math.max(deadlineUs, now),
      "producer.request-timeout",
      correlationId,
    );
  }

  onResponse(broker: number, m: ProduceResponse): void {
    const entry = this.inFlight.get(m.correlationId);
    if (entry === undefined || entry.broker !== broker || !entry.transmitted) return;
    this.forget(entry);
    this.metrics?.response(this.host.now() - entry.drainedUs);
    for (const batch of entry.batches) {
      const result = m.partitions.find(
        (p) => p.topic === batch.topic && p.partition === batch.partition,
      );
      assert(
        result !== undefined,
        () => `a ProduceResponse without ${batch.topic}-${batch.partition}`,
      );
      if (result.error === "NONE") this.acked(batch, result.baseOffset, broker);
      else this.failedAttempt(batch, result.error);
    }
  }

  /** The request's timer fired: it timed out, and the connection with it. */
  onTimeout(correlationId: number): void {
    const entry = this.inFlight.get(correlationId);
    if (entry === undefined) return;
    entry.timer = undefined;
    this.counters.timeouts++;
    this.host.emit("producer.request-timeout", {
      client: this.host.clientId,
      broker: entry.broker,
      correlationId,
    });
    this.failRequest(entry, "REQUEST_TIMED_OUT");
    // NetworkClient closes the connection: the other requests to that broker fail too.
    this.failBroker(entry.broker, "NETWORK_EXCEPTION");
  }

  /** The connection to `broker` broke: every request in flight there fails. */
  onDisconnect(broker: number): void {
    this.failBroker(broker, "NETWORK_EXCEPTION");
  }

  /** The producer process died: nothing in flight will be settled by this life. */
  reset(): void {
    for (const entry of this.inFlight.values()) this.host.cancel(entry.timer);
    this.inFlight.clear();
    this.perBroker.clear();
  }

  private failBroker(broker: number, error: KafkaError): void {
    for (const entry of [...this.inFlight.values()]) {
      if (entry.broker === broker && entry.transmitted) this.failRequest(entry, error);
    }
  }

  private failRequest(entry: InFlightRequest, error: KafkaError): void {
    this.forget(entry);
    for (const batch of entry.batches) this.failedAttempt(batch, error);
  }

  private forget(entry: InFlightRequest): void {
    this.host.cancel(entry.timer);
    entry.timer = undefined;
    this.inFlight.delete(entry.correlationId);
    const n = (this.perBroker.get(entry.broker) ?? 0) - 1;
    if (n > 0) this.perBroker.set(entry.broker, n);
    else this.perBroker.delete(entry.broker);
  }

  private unmute(batch: ProducerBatch): void {
    if (this.settings["max.in.flight.requests.per.connection"] === 1) {
      this.accumulator.unmute(batch.topic, batch.partition);
    }
  }

  private deadlineOf(batch: ProducerBatch): number {
    return batch.createdUs + this.settings["delivery.timeout.ms"] * 1000;
  }

  private acked(batch: ProducerBatch, baseOffset: number, broker: number): void {
    this.unmute(batch);
    this.idempotence?.onAcked(batch);
    this.host.emit("producer.ack", {
      client: this.host.clientId,
      topic: batch.topic,
      partition: batch.partition,
      sendId: batch.sendId,
      offset: baseOffset,
      broker,
    });
    this.host.settle(batch, "acked", { offset: baseOffset, by: broker });
  }

  /** Sender.completeBatch for an error: retry, or settle as failed or unknown. */
  private failedAttempt(batch: ProducerBatch, error: KafkaError): void {
    this.unmute(batch);
    batch.lastError = error;
    // A delayed acks=all produce answers NOT_LEADER_OR_FOLLOWER when leadership moved after the
    // append, so that error proves nothing was written only for acks=1.
    if (AMBIGUOUS.has(error) || (error === "NOT_LEADER_OR_FOLLOWER" && this.settings.acks === -1)) {
      batch.ambiguous = true;
    }
    const now = this.host.now();
    const backoffUs = this.backoffUs(batch.attempts);
    const retry = this.canRetry(batch, error, now, backoffUs);
    this.host.emit("producer.error", {
      client: this.host.clientId,
      topic: batch.topic,
      partition: batch.partition,
      sendId: batch.sendId,
      error,
      outcome: retry ? "retry" : batch.ambiguous ? "unknown" : "failed",
    });
    if (METADATA_ERRORS.has(error)) this.host.requestMetadataUpdate();
    if (retry) {
      this.counters.retries++;
      this.metrics?.retry(batch.records.length);
      this.accumulator.reenqueue(batch, now, backoffUs);
      return;
    }
    this.idempotence?.onFailed(batch);
    // A request timer cut short at the batch's delivery deadline is Kafka's expiry of an
    // in-flight batch (Sender.failExpiredBatches): a TimeoutException, not the broker's error.
    const expired = error === "REQUEST_TIMED_OUT" && now >= this.deadlineOf(batch);
    this.host.settle(batch, batch.ambiguous ? "unknown" : "failed", {
      error,
      ...(expired ? { expired } : {}),
    });
  }

  private canRetry(
    batch: ProducerBatch,
    error: KafkaError,
    nowUs: number,
    backoffUs: number,
  ): boolean {
    if (!RETRIABLE.has(error)) return false;
    if (batch.attempts - 1 >= this.settings.retries) return false;
    if (nowUs + backoffUs >= this.deadlineOf(batch)) return false;
    const idem = this.idempotence;
    if (idem === undefined) {
      // Without idempotence these are not the producer's errors to retry.
      return error !== "OUT_OF_ORDER_SEQUENCE_NUMBER" && error !== "INVALID_PRODUCER_EPOCH";
    }
    if (IdempotenceState.isFatalForBatch(error)) return false;
    if (error === "OUT_OF_ORDER_SEQUENCE_NUMBER") return idem.canRetryOutOfOrder(batch);
    return true;
  }

  /** retry.backoff.ms × 2^(attempts − 1), capped at retry.backoff.max.ms. */
  backoffUs(attempts: number): number {
    const maxMs = this.settings["retry.backoff.max.ms"];
    let ms = this.settings["retry.backoff.ms"];
    for (let i = 1; i < attempts && ms < maxMs; i++) ms *= 2;
    return Math.min(ms, maxMs) * 1000;
  }
}

/** The batch as it goes on the wire (the leader assigns offsets and its epoch). */
function wireBatch(
  batch: ProducerBatch,
  nowUs: number,
  keepPayloads: boolean,
  transactional: boolean,
): ProducePartitionData["batch"] {
  const keys: Array<string | null> = [];
  const values: Array<string | null> = [];
  if (keepPayloads) {
    for (const r of batch.records) {
      keys.push(r.key);
      values.push(r.value);
    }
  }
  return {
    count: batch.records.length,
    bytes: batch.wireBytes,
    firstTimestampUs: batch.createdUs,
    maxTimestampUs: Math.max(batch.createdUs, batch.records.at(-1)?.appendedUs ?? nowUs),
    producerId: batch.producerId,
    producerEpoch: batch.producerEpoch,
    baseSequence: batch.baseSequence,
    isTransactional: transactional,
    isControl: false,
    origin: batch.sendId,
    ...(keepPayloads ? { keys, values } : {}),
  };
}
