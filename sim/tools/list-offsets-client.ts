/**
 * The admin client's listOffsets as kafka-get-offsets.sh uses it: a client on a host of its own
 * that sends the broker's ListOffsetsRequest (replica id -1, so "latest" is the high watermark) to
 * each partition's leader, one request per leader, and collects one answer per partition.
 *
 * Models (after KafkaAdminClient.listOffsets): leaders come from the metadata truth when the call
 * starts and again before each retry; a retriable error (NOT_LEADER_OR_FOLLOWER,
 * LEADER_NOT_AVAILABLE, FENCED_LEADER_EPOCH, UNKNOWN_LEADER_EPOCH), a refused connection or a
 * request with no answer within request.timeout.ms (30 s) is retried after retry.backoff.ms
 * (100 ms) while default.api.timeout.ms (60 s) since the call has not passed; at that deadline the
 * partition fails with REQUEST_TIMED_OUT (a request in flight then is not waited for). Other errors fail the partition at once.
 *
 * Simplifies: no Metadata request of its own (the leaders are read from the controller's image,
 * as the other tools do); the request carries no leader epoch (-1, no KIP-320 fencing).
 * Faults it meets: a crashed or cut-off leader (timeouts), leadership moving (retries).
 */
import { assert } from "../engine/assert.ts";
import type { Actor, Engine, EventHandle, SimEvent } from "../engine/engine.ts";
import { Host } from "../infra/host.ts";
import type { NetDelivery, NetDisconnect, Network } from "../infra/network.ts";
import type { MachineSpec } from "../kafka/cluster.ts";
import {
  HEADER_BYTES,
  type ListOffsetsRequest,
  type ListOffsetsResponse,
  PARTITION_ENTRY_BYTES,
} from "../kafka/protocol.ts";
import type { KafkaError } from "../kafka/types.ts";

const REQUEST_TIMEOUT_US = 30_000_000;
const API_TIMEOUT_US = 60_000_000;
const RETRY_BACKOFF_US = 100_000;
const RETRIABLE: ReadonlySet<KafkaError> = new Set([
  "NOT_LEADER_OR_FOLLOWER",
  "LEADER_NOT_AVAILABLE",
  "FENCED_LEADER_EPOCH",
  "UNKNOWN_LEADER_EPOCH",
  "REQUEST_TIMED_OUT",
  "NETWORK_EXCEPTION",
]);

export interface OffsetQuery {
  readonly topic: string;
  readonly partition: number;
  /** LATEST_TIMESTAMP (-1) or EARLIEST_TIMESTAMP (-2). */
  readonly timestamp: number;
}

export interface OffsetAnswer extends OffsetQuery {
  readonly error: KafkaError;
  /** -1 on error. */
  readonly offset: number;
}

type Event =
  | SimEvent<"net.message", NetDelivery<ListOffsetsResponse>>
  | SimEvent<"net.disconnect", NetDisconnect>
  | SimEvent<"process.start", unknown>
  | SimEvent<"list-offsets.timeout", { readonly correlationId: number }>
  | SimEvent<"list-offsets.retry", null>;

interface InFlight {
  readonly leader: number;
  readonly queries: readonly OffsetQuery[];
  readonly timer: EventHandle;
}

export class ListOffsetsClient implements Actor {
  readonly id: string;
  readonly host: Host;
  private readonly inFlight = new Map<number, InFlight>();
  private readonly answers = new Map<string, OffsetAnswer>();
  private waiting: OffsetQuery[] = [];
  private nextCorrelation = 0;
  private startedUs = -1;
  private queries: readonly OffsetQuery[] = [];
  private onDone: ((answers: OffsetAnswer[]) => void) | undefined;

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

  /** Starts the call; `onDone` gets one answer per query, in the queries' order. Call once. */
  listOffsets(queries: readonly OffsetQuery[], onDone: (answers: OffsetAnswer[]) => void): void {
    assert(this.onDone === undefined, "a ListOffsetsClient runs one call");
    this.queries = queries;
    this.onDone = onDone;
    this.startedUs = this.engine.now;
    this.waiting = queries.slice();
    this.sendWaiting();
  }

  handle(event: SimEvent): void {
    const e = event as Event;
    switch (e.kind) {
      case "net.message":
        return this.onResponse(e.payload.message);
      case "net.disconnect":
        return this.onDisconnect(Number(e.payload.peer));
      case "list-offsets.timeout":
        return this.onTimeout(e.payload.correlationId);
      case "list-offsets.retry":
        return this.sendWaiting();
      case "process.start":
        return;
    }
  }

  private key(q: { topic: string; partition: number }): string {
    return `${q.topic}-${q.partition}`;
  }

  private sendWaiting(): void {
    const byLeader = new Map<number, OffsetQuery[]>();
    const retry: OffsetQuery[] = [];
    for (const q of this.waiting) {
      const leader = this.leaderOf(q.topic, q.partition);
      if (leader === undefined) retry.push(q);
      else byLeader.set(leader, [...(byLeader.get(leader) ?? []), q]);
    }
    this.waiting = [];
    for (const [leader, list] of [...byLeader.entries()].sort(([a], [b]) => a - b)) {
      const correlationId = this.nextCorrelation++;
      this.network.send(this.id, String(leader), {
        type: "ListOffsetsRequest",
        bytes: HEADER_BYTES + PARTITION_ENTRY_BYTES * list.length,
        correlationId,
        replicaId: -1,
        isolationLevel: "read_uncommitted",
        partitions: list.map((q) => ({
          topic: q.topic,
          partition: q.partition,
          currentLeaderEpoch: -1,
          timestamp: q.timestamp,
        })),
      } satisfies ListOffsetsRequest);
      // A request waits request.timeout.ms, but never past the call's deadline.
      const timeoutUs = Math.min(
        REQUEST_TIMEOUT_US,
        this.startedUs + API_TIMEOUT_US - this.engine.now,
      );
      const timer = this.engine.schedule(Math.max(0, timeoutUs), this.id, "list-offsets.timeout", {
        correlationId,
      });
      this.inFlight.set(correlationId, { leader, queries: list, timer });
    }
    for (const q of retry) this.failOrRetry(q, "LEADER_NOT_AVAILABLE");
    this.maybeFinish();
  }

  private onResponse(m: ListOffsetsResponse): void {
    const flight = this.inFlight.get(m.correlationId);
    if (flight === undefined) return;
    this.inFlight.delete(m.correlationId);
    this.engine.cancel(flight.timer);
    for (const q of flight.queries) {
      const r = m.partitions.find((p) => p.topic === q.topic && p.partition === q.partition);
      if (r === undefined) this.failOrRetry(q, "UNKNOWN_TOPIC_OR_PARTITION");
      else if (r.error === "NONE")
        this.answers.set(this.key(q), { ...q, error: "NONE", offset: r.offset });
      else this.failOrRetry(q, r.error);
    }
    this.maybeFinish();
  }

  private onDisconnect(peer: number): void {
    for (const [correlationId, flight] of [...this.inFlight.entries()]) {
      if (flight.leader !== peer) continue;
      this.inFlight.delete(correlationId);
      this.engine.cancel(flight.timer);
      for (const q of flight.queries) this.failOrRetry(q, "NETWORK_EXCEPTION");
    }
    this.maybeFinish();
  }

  private onTimeout(correlationId: number): void {
    const flight = this.inFlight.get(correlationId);
    if (flight === undefined) return;
    this.inFlight.delete(correlationId);
    for (const q of flight.queries) this.failOrRetry(q, "REQUEST_TIMED_OUT");
    this.maybeFinish();
  }

  private failOrRetry(q: OffsetQuery, error: KafkaError): void {
    const elapsedUs = this.engine.now + RETRY_BACKOFF_US - this.startedUs;
    if (RETRIABLE.has(error) && elapsedUs < API_TIMEOUT_US) {
      if (this.waiting.length === 0) {
        this.engine.schedule(RETRY_BACKOFF_US, this.id, "list-offsets.retry", null);
      }
      this.waiting.push(q);
      return;
    }
    this.answers.set(this.key(q), {
      ...q,
      error: RETRIABLE.has(error) ? "REQUEST_TIMED_OUT" : error,
      offset: -1,
    });
  }

  private maybeFinish(): void {
    if (this.onDone === undefined || this.answers.size < this.queries.length) return;
    const done = this.onDone;
    this.onDone = () => {};
    done(this.queries.map((q) => this.answers.get(this.key(q))!));
  }
}
