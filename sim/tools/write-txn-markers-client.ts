/**
 * The admin client's abortTransaction as kafka-transactions.sh `abort` uses it (KIP-664,
 * KafkaAdminClient.abortTransaction with its AbortTransactionHandler): a client on a host of its
 * own that sends one WriteTxnMarkersRequest with an ABORT marker for one partition to the
 * partition's leader, with the producer id and epoch and the coordinator epoch of the spec, and
 * waits for the leader's answer (which comes once the marker is replicated, required acks -1).
 *
 * Models: the leader comes from the metadata truth when the call starts and again before each
 * retry; NOT_LEADER_OR_FOLLOWER and UNKNOWN_TOPIC_OR_PARTITION (the handler looks the leader up
 * again), a refused connection or a request with no answer within request.timeout.ms (30 s) are
 * retried after retry.backoff.ms (100 ms) until default.api.timeout.ms (60 s) since the call; then
 * the call fails with a TimeoutException. Any other error (INVALID_PRODUCER_EPOCH,
 * NOT_ENOUGH_REPLICAS, ...) fails the call at once, as the handler does.
 *
 * Simplifies: no Metadata request of its own (the leader is read from the controller's image, as
 * the other tools do). Faults it meets: a crashed or cut-off leader (timeouts), leadership moving.
 */
import { assert } from "../engine/assert.ts";
import type { Actor, Engine, EventHandle, SimEvent } from "../engine/engine.ts";
import { Host } from "../infra/host.ts";
import type { NetDelivery, NetDisconnect, Network } from "../infra/network.ts";
import type { MachineSpec } from "../kafka/cluster.ts";
import { HEADER_BYTES, PARTITION_ENTRY_BYTES } from "../kafka/protocol.ts";
import type { WriteTxnMarkersRequest, WriteTxnMarkersResponse } from "../kafka/protocol-txn.ts";
import type { KafkaError } from "../kafka/types.ts";

const REQUEST_TIMEOUT_US = 30_000_000;
const API_TIMEOUT_US = 60_000_000;
const RETRY_BACKOFF_US = 100_000;
/** Errors after which the handler looks the leader up again and retries. */
const RETRIABLE: ReadonlySet<KafkaError> = new Set([
  "NOT_LEADER_OR_FOLLOWER",
  "UNKNOWN_TOPIC_OR_PARTITION",
  "LEADER_NOT_AVAILABLE",
  "REQUEST_TIMED_OUT",
  "NETWORK_EXCEPTION",
]);

/** Kafka's AbortTransactionSpec. */
export interface AbortTransactionSpec {
  readonly topic: string;
  readonly partition: number;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly coordinatorEpoch: number;
}

/** `AbortTransactionSpec.toString()`, as the tool's error message shows the spec. */
export function abortSpecText(spec: AbortTransactionSpec): string {
  return (
    `AbortTransactionSpec(topicPartition=${spec.topic}-${spec.partition}, ` +
    `producerId=${spec.producerId}, producerEpoch=${spec.producerEpoch}, ` +
    `coordinatorEpoch=${spec.coordinatorEpoch})`
  );
}

type Event =
  | SimEvent<"net.message", NetDelivery<WriteTxnMarkersResponse>>
  | SimEvent<"net.disconnect", NetDisconnect>
  | SimEvent<"process.start", unknown>
  | SimEvent<"abort-txn.timeout", { readonly correlationId: number }>
  | SimEvent<"abort-txn.retry", null>;

export class WriteTxnMarkersClient implements Actor {
  readonly id: string;
  readonly host: Host;
  private inFlight: { correlationId: number; leader: number; timer: EventHandle } | undefined;
  private nextCorrelation = 0;
  private startedUs = -1;
  private spec: AbortTransactionSpec | undefined;
  private onDone: ((error: KafkaError) => void) | undefined;

  constructor(
    private readonly engine: Engine,
    private readonly network: Network,
    clientId: string,
    machine: MachineSpec,
    /** The partition's leader in the metadata truth now, or undefined (no leader, no topic). */
    private readonly leaderOf: (topic: string, partition: number) => number | undefined,
  ) {
    this.id = clientId;
    this.host = new Host(engine, network, { name: clientId, ...machine });
    engine.register(this);
  }

  /** Starts the call; `onDone` gets NONE or the error the call failed with. Call once. */
  abortTransaction(spec: AbortTransactionSpec, onDone: (error: KafkaError) => void): void {
    assert(this.onDone === undefined, "a WriteTxnMarkersClient runs one call");
    this.spec = spec;
    this.onDone = onDone;
    this.startedUs = this.engine.now;
    this.send();
  }

  handle(event: SimEvent): void {
    const e = event as Event;
    switch (e.kind) {
      case "net.message":
        return this.onResponse(e.payload.message);
      case "net.disconnect":
        if (this.inFlight !== undefined && Number(e.payload.peer) === this.inFlight.leader) {
          this.engine.cancel(this.inFlight.timer);
          this.inFlight = undefined;
          this.failOrRetry("NETWORK_EXCEPTION");
        }
        return;
      case "abort-txn.timeout":
        if (this.inFlight?.correlationId === e.payload.correlationId) {
          this.inFlight = undefined;
          this.failOrRetry("REQUEST_TIMED_OUT");
        }
        return;
      case "abort-txn.retry":
        return this.send();
      case "process.start":
        return;
    }
  }

  private send(): void {
    const spec = this.spec!;
    const leader = this.leaderOf(spec.topic, spec.partition);
    if (leader === undefined) {
      this.failOrRetry("LEADER_NOT_AVAILABLE");
      return;
    }
    const correlationId = this.nextCorrelation++;
    this.network.send(this.id, String(leader), {
      type: "WriteTxnMarkersRequest",
      bytes: HEADER_BYTES + PARTITION_ENTRY_BYTES,
      correlationId,
      markers: [
        {
          producerId: spec.producerId,
          producerEpoch: spec.producerEpoch,
          transactionResult: "ABORT",
          topics: [{ topic: spec.topic, partitions: [spec.partition] }],
          coordinatorEpoch: spec.coordinatorEpoch,
        },
      ],
    } satisfies WriteTxnMarkersRequest);
    // A request waits request.timeout.ms, but never past the call's deadline.
    const timeoutUs = Math.min(
      REQUEST_TIMEOUT_US,
      this.startedUs + API_TIMEOUT_US - this.engine.now,
    );
    const timer = this.engine.schedule(Math.max(0, timeoutUs), this.id, "abort-txn.timeout", {
      correlationId,
    });
    this.inFlight = { correlationId, leader, timer };
  }

  private onResponse(m: WriteTxnMarkersResponse): void {
    if (m.type !== "WriteTxnMarkersResponse" || this.inFlight?.correlationId !== m.correlationId)
      return;
    this.engine.cancel(this.inFlight.timer);
    this.inFlight = undefined;
    const spec = this.spec!;
    const error = m.markers
      .flatMap((marker) => marker.topics)
      .filter((t) => t.topic === spec.topic)
      .flatMap((t) => t.partitions)
      .find((p) => p.partition === spec.partition)?.error;
    this.failOrRetry(error ?? "UNKNOWN_TOPIC_OR_PARTITION");
  }

  /** NONE finishes; a retriable error retries while the call's deadline allows; else it fails. */
  private failOrRetry(error: KafkaError): void {
    if (error !== "NONE" && RETRIABLE.has(error)) {
      if (this.engine.now + RETRY_BACKOFF_US - this.startedUs < API_TIMEOUT_US) {
        this.engine.schedule(RETRY_BACKOFF_US, this.id, "abort-txn.retry", null);
        return;
      }
      error = "REQUEST_TIMED_OUT";
    }
    const done = this.onDone!;
    this.onDone = () => {};
    done(error);
  }
}
