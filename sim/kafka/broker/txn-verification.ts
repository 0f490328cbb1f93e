/**
 * KIP-890 part 1, the partition leader's side (Kafka 3.6's AddPartitionsToTxnManager and the
 * verification guards of ProducerStateManager): before a transactional batch may start a
 * transaction on a partition, the leader asks the producer's transaction coordinator whether the
 * partition belongs to the producer's open transaction (a verify-only AddPartitionsToTxn), and the
 * whole produce request waits for the answer.
 *
 * Models:
 * - which batches need it: a transactional batch, on a partition led here, whose producer has no
 *   transaction open on it, in a request that names a transactional id, while the profile has
 *   KIP-890 and `transaction.partition.verification.enable` is true;
 * - the verification guard: one per partition and producer id, made when a verification starts
 *   (an existing one is reused, as maybeCreateVerificationStateEntry does) and dropped when a
 *   marker of that producer is written or its transaction starts; an append must present the guard
 *   that is still current, so a marker written while the question was out fails the write;
 * - the coordinator is found without FindCoordinator: the leader of the transactional id's
 *   `__transaction_state` partition in this broker's metadata image (COORDINATOR_NOT_AVAILABLE
 *   when there is none);
 * - the answer per partition, translated as ReplicaManager does for the producer: INVALID_TXN_STATE
 *   stays, PRODUCER_FENCED becomes INVALID_PRODUCER_EPOCH, the coordinator's retriable errors
 *   (NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE, COORDINATOR_LOAD_IN_PROGRESS,
 *   CONCURRENT_TRANSACTIONS) and a lost request (NETWORK_EXCEPTION: timeout or disconnect) become
 *   NOT_ENOUGH_REPLICAS, which producers retry.
 *
 * Simplifies: one verify request per produce request (Kafka batches the questions of many
 * transactional ids per coordinator and keeps one request per coordinator in flight); the request
 * times out after Kafka's default request.timeout.ms (30 s); guards are in memory and never expire
 * (Kafka expires verification entries after producer.id.expiration.check.interval.ms).
 * Faults: a lost or held request (timeout), a disconnect, a coordinator that moved or is loading.
 */
import { assert } from "../../engine/assert.ts";
import type { EventHandle } from "../../engine/engine.ts";
import { configBoolean, configNumber, hasConfig } from "../config.ts";
import { HEADER_BYTES } from "../protocol.ts";
import type { AddPartitionsToTxnRequest, AddPartitionsToTxnResponse } from "../protocol-txn.ts";
import { transactionCoordinatorBroker } from "../txn/placement.ts";
import type { KafkaError, TopicPartition } from "../types.ts";
import { tpKey } from "../types.ts";
import { type BrokerContext, msToUs } from "./context.ts";

/** The broker's request.timeout.ms default, which Kafka's inter-broker send threads use. */
export const VERIFY_REQUEST_TIMEOUT_MS = 30_000;

/** The timer kind of a verify request's timeout (routed by the broker to onTimeout). */
export const VERIFY_TIMEOUT_KIND = "broker.txn-verify.timeout";

/** The coordinator's errors producers must retry as NOT_ENOUGH_REPLICAS (ReplicaManager). */
const RETRY_AS_NOT_ENOUGH_REPLICAS: ReadonlySet<string> = new Set([
  "NETWORK_EXCEPTION",
  "COORDINATOR_LOAD_IN_PROGRESS",
  "COORDINATOR_NOT_AVAILABLE",
  "NOT_COORDINATOR",
  "CONCURRENT_TRANSACTIONS",
]);

/** What the producer is told for a partition the coordinator did not verify. */
export function produceErrorForVerification(error: KafkaError): KafkaError {
  if (error === "PRODUCER_FENCED") return "INVALID_PRODUCER_EPOCH";
  if (RETRY_AS_NOT_ENOUGH_REPLICAS.has(error)) return "NOT_ENOUGH_REPLICAS";
  return error;
}

/** A partition that needs the coordinator's word, with the guard its append must present. */
export interface VerifyPartition extends TopicPartition {
  readonly guard: number;
}

/** The outcome of a verification: per partition key, the coordinator's error (NONE if verified). */
export type VerifyErrors = ReadonlyMap<string, KafkaError>;

interface PendingVerify {
  readonly correlationId: number;
  readonly to: string;
  readonly transactionalId: string;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly partitions: readonly VerifyPartition[];
  readonly startedUs: number;
  readonly done: (errors: VerifyErrors) => void;
  timer: EventHandle | undefined;
}

export class TxnVerifications {
  /** tpKey → producer id → the current verification guard. */
  private readonly guards = new Map<string, Map<number, number>>();
  private nextGuard = 1;
  private readonly pending = new Map<number, PendingVerify>();

  constructor(private readonly ctx: BrokerContext) {}

  /** KIP-890 verification is on: the profile has it and the broker config allows it. */
  enabled(): boolean {
    if (this.ctx.profile.kip890 === "none") return false;
    const key = "transaction.partition.verification.enable";
    return hasConfig(this.ctx.config, key) && configBoolean(this.ctx.config, key);
  }

  /** The guard an append of `producerId` on `key` must present, if a verification started. */
  currentGuard(key: string, producerId: number): number | undefined {
    return this.guards.get(key)?.get(producerId);
  }

  /** Starts (or joins) a verification of `producerId` on `key`: its guard. */
  startGuard(key: string, producerId: number): number {
    let byProducer = this.guards.get(key);
    if (byProducer === undefined) {
      byProducer = new Map();
      this.guards.set(key, byProducer);
    }
    const existing = byProducer.get(producerId);
    if (existing !== undefined) return existing;
    const guard = this.nextGuard++;
    byProducer.set(producerId, guard);
    return guard;
  }

  /** A marker of `producerId` was written on `key`, or its transaction started: the guard goes. */
  clearGuard(key: string, producerId: number): void {
    const byProducer = this.guards.get(key);
    if (byProducer === undefined) return;
    byProducer.delete(producerId);
    if (byProducer.size === 0) this.guards.delete(key);
  }

  /** The partition is no longer led here: its guards go (they live in the leader's memory). */
  clearPartition(key: string): void {
    this.guards.delete(key);
  }

  /** A new process: nothing in memory survives; answers to the old life's requests are ignored. */
  reset(): void {
    this.guards.clear();
    this.pending.clear();
  }

  /**
   * Asks the coordinator of `transactionalId` about `partitions`; `done` gets the raw coordinator
   * error per partition key (NONE when verified), later or at once when there is no coordinator.
   */
  verify(
    transactionalId: string,
    producerId: number,
    producerEpoch: number,
    partitions: readonly VerifyPartition[],
    done: (errors: VerifyErrors) => void,
  ): void {
    assert(partitions.length > 0, "a verification without partitions");
    const count = configNumber(this.ctx.config, "transaction.state.log.num.partitions");
    const coordinator = transactionCoordinatorBroker(this.ctx.image(), transactionalId, count);
    if (coordinator === undefined) {
      this.trace(
        transactionalId,
        producerId,
        producerEpoch,
        partitions,
        undefined,
        () => "COORDINATOR_NOT_AVAILABLE",
      );
      done(
        new Map(
          partitions.map((tp) => [tpKey(tp.topic, tp.partition), "COORDINATOR_NOT_AVAILABLE"]),
        ),
      );
      return;
    }
    const correlationId = this.ctx.nextCorrelationId();
    const topics: Array<{ topic: string; partitions: number[] }> = [];
    for (const tp of partitions) {
      const last = topics.find((t) => t.topic === tp.topic);
      if (last !== undefined) last.partitions.push(tp.partition);
      else topics.push({ topic: tp.topic, partitions: [tp.partition] });
    }
    const to = String(coordinator);
    const entry: PendingVerify = {
      correlationId,
      to,
      transactionalId,
      producerId,
      producerEpoch,
      partitions,
      startedUs: this.ctx.now(),
      done,
      timer: undefined,
    };
    this.pending.set(correlationId, entry);
    this.ctx.emit("txn.verify.request", {
      transactionalId,
      producerId,
      producerEpoch,
      coordinator,
      partitions: partitions.map((tp) => tpKey(tp.topic, tp.partition)),
    });
    this.ctx.send(to, {
      type: "AddPartitionsToTxnRequest",
      bytes: HEADER_BYTES + transactionalId.length + 16 + 8 * partitions.length,
      correlationId,
      transactionalId,
      producerId,
      producerEpoch,
      topics,
      verifyOnly: true,
    } satisfies AddPartitionsToTxnRequest);
    entry.timer = this.ctx.timer(msToUs(VERIFY_REQUEST_TIMEOUT_MS), VERIFY_TIMEOUT_KIND, {
      correlationId,
    });
  }

  /** True when the response answers one of our verify requests (and was handled). */
  onResponse(from: string, response: AddPartitionsToTxnResponse): boolean {
    const entry = this.pending.get(response.correlationId);
    if (entry === undefined || entry.to !== from) return false;
    const errors = new Map<string, KafkaError>();
    for (const t of response.results) {
      for (const p of t.partitions) errors.set(tpKey(t.topic, p.partition), p.error);
    }
    this.finish(entry, (key) => errors.get(key) ?? "UNKNOWN_SERVER_ERROR");
    return true;
  }

  onTimeout(correlationId: number): void {
    const entry = this.pending.get(correlationId);
    if (entry === undefined) return;
    entry.timer = undefined;
    this.finish(entry, () => "NETWORK_EXCEPTION");
  }

  /** The connection to `peer` broke: its verifications fail as Kafka's do on a disconnect. */
  onDisconnect(peer: string): void {
    for (const entry of [...this.pending.values()]) {
      if (entry.to === peer) this.finish(entry, () => "NETWORK_EXCEPTION");
    }
  }

  private finish(entry: PendingVerify, errorOf: (key: string) => KafkaError): void {
    this.ctx.cancel(entry.timer);
    this.pending.delete(entry.correlationId);
    const errors = this.trace(
      entry.transactionalId,
      entry.producerId,
      entry.producerEpoch,
      entry.partitions,
      entry.to,
      errorOf,
      this.ctx.now() - entry.startedUs,
    );
    entry.done(errors);
  }

  /** One `txn.verify` event per partition (partition, producerId, result); the errors by key. */
  private trace(
    transactionalId: string,
    producerId: number,
    producerEpoch: number,
    partitions: readonly VerifyPartition[],
    coordinator: string | undefined,
    errorOf: (key: string) => KafkaError,
    waitedUs = 0,
  ): Map<string, KafkaError> {
    const errors = new Map<string, KafkaError>();
    for (const tp of partitions) {
      const key = tpKey(tp.topic, tp.partition);
      const error = errorOf(key);
      errors.set(key, error);
      this.ctx.emit("txn.verify", {
        topic: tp.topic,
        partition: tp.partition,
        transactionalId,
        producerId,
        producerEpoch,
        coordinator: coordinator === undefined ? -1 : Number(coordinator),
        result: error === "NONE" ? "verified" : "rejected",
        error,
        waitedUs,
      });
    }
    return errors;
  }
}
