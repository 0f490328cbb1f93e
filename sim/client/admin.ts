/**
 * The admin client: what `kafka-topics.sh --create`, `kafka-configs.sh --alter`,
 * `kafka-leader-election.sh` and `kafka-reassign-partitions.sh` use. It sends each request to the
 * active controller, found by asking the voters in turn: a voter that is not active answers
 * NOT_CONTROLLER, a dead or unreachable one times out (`request.timeout.ms`, 30 s by default for
 * admin clients; `default.api.timeout.ms`, 60 s, bounds the whole call).
 *
 * Group requests go to the group's coordinator instead: `deleteConsumerGroups` (DeleteGroups)
 * retries while the coordinator moves or loads, as Kafka's admin client does.
 *
 * Simplified: Kafka's admin client talks to any broker, which forwards controller requests in an
 * Envelope; here it goes straight to the voters. The coordinator is looked up by the caller (the
 * leader of the group's `__consumer_offsets` partition) instead of with FindCoordinator. Results
 * are traced (`admin.result`) for the report and the viz.
 */
import type { Actor, Engine, EventHandle, SimEvent } from "../engine/engine.ts";
import type { NetDelivery, Network } from "../infra/network.ts";
import {
  type DeleteRecordsRequest,
  type DeleteRecordsResponse,
  HEADER_BYTES,
} from "../kafka/protocol.ts";
import type {
  DeleteGroupsError,
  DeleteGroupsRequest,
  DeleteGroupsResponse,
  OffsetCommitRequest,
  OffsetCommitResponse,
} from "../kafka/protocol-clients.ts";
import type {
  AdminRequest,
  AdminRequestMessage,
  AdminResponseMessage,
} from "../kafka/protocol-control.ts";

export const ADMIN_NODE = "admin";
const REQUEST_TIMEOUT_US = 30_000_000;
const API_TIMEOUT_US = 60_000_000;
const RETRY_BACKOFF_US = 100_000;

/** What an admin call ended with: the top-level error and each item's (as AdminResponse). */
export interface AdminResult {
  readonly error: AdminResponseMessage["error"] | "REQUEST_TIMED_OUT";
  readonly results: AdminResponseMessage["results"];
}

interface Pending {
  readonly id: number;
  readonly request: AdminRequest;
  readonly onResult: ((result: AdminResult) => void) | undefined;
  readonly startedUs: number;
  voterIndex: number;
  correlationId: number;
  timer: EventHandle | undefined;
}

/** A deleteConsumerGroups call in flight. */
interface GroupDelete {
  readonly id: number;
  readonly groupId: string;
  readonly coordinatorOf: () => number | undefined;
  readonly onResult: (error: DeleteGroupsError | "REQUEST_TIMED_OUT") => void;
  readonly startedUs: number;
  correlationId: number;
  timer: EventHandle | undefined;
}

type AdminEvent =
  | SimEvent<"admin.call", { readonly id: number; readonly request: AdminRequest }>
  | SimEvent<"admin.timeout", { readonly id: number; readonly correlationId: number }>
  | SimEvent<"admin.retry", { readonly id: number }>
  | SimEvent<"admin.group.timeout", { readonly id: number; readonly correlationId: number }>
  | SimEvent<"admin.group.retry", { readonly id: number }>
  | SimEvent<
      "net.message",
      NetDelivery<
        AdminResponseMessage | OffsetCommitResponse | DeleteRecordsResponse | DeleteGroupsResponse
      >
    >
  | SimEvent<"net.disconnect", unknown>
  | SimEvent<"process.start", unknown>;

export class AdminClient implements Actor {
  readonly id = ADMIN_NODE;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private nextCorrelation = 0;

  constructor(
    private readonly engine: Engine,
    private readonly network: Network,
    private readonly voters: readonly number[],
  ) {
    engine.register(this);
  }

  /** Calls waiting for their `admin.call` event, with the callbacks an event cannot carry. */
  private readonly queued = new Map<
    number,
    { request: AdminRequest; onResult: ((result: AdminResult) => void) | undefined }
  >();

  /**
   * Queues a request now; its outcome lands in the trace as `admin.result` and, when given, in
   * `onResult` (Kafka's tools print it).
   */
  call(request: AdminRequest, onResult?: (result: AdminResult) => void): void {
    const id = this.nextId++;
    this.queued.set(id, { request, onResult });
    this.engine.schedule(0, this.id, "admin.call", { id, request });
  }

  handle(event: SimEvent): void {
    const e = event as AdminEvent;
    switch (e.kind) {
      case "admin.call": {
        const queued = this.queued.get(e.payload.id);
        if (queued === undefined) return;
        this.queued.delete(e.payload.id);
        const p: Pending = {
          id: e.payload.id,
          ...queued,
          startedUs: this.engine.now,
          voterIndex: 0,
          correlationId: -1,
          timer: undefined,
        };
        this.pending.set(p.id, p);
        return this.send(p);
      }
      case "admin.timeout": {
        const p = this.pending.get(e.payload.id);
        if (p === undefined || p.correlationId !== e.payload.correlationId) return;
        return this.next(p);
      }
      case "admin.retry": {
        const p = this.pending.get(e.payload.id);
        if (p !== undefined) this.send(p);
        return;
      }
      case "admin.group.timeout": {
        const d = this.groupDeletes.get(e.payload.id);
        if (d === undefined || d.correlationId !== e.payload.correlationId) return;
        return this.retryDelete(d);
      }
      case "admin.group.retry": {
        const d = this.groupDeletes.get(e.payload.id);
        if (d !== undefined) this.sendDelete(d);
        return;
      }
      case "net.message": {
        const m = e.payload.message;
        if (m.type === "OffsetCommitResponse") return this.onOffsetCommitResponse(m);
        if (m.type === "DeleteRecordsResponse") return this.onDeleteRecordsResponse(m);
        if (m.type === "DeleteGroupsResponse") return this.onDeleteGroupsResponse(m);
        return this.onResponse(m);
      }
      case "net.disconnect":
      case "process.start":
        return;
    }
  }

  private send(p: Pending): void {
    if (this.engine.now - p.startedUs >= API_TIMEOUT_US) {
      this.pending.delete(p.id);
      this.engine.trace.emit("admin.result", this.id, {
        op: p.request.op,
        error: "REQUEST_TIMED_OUT",
        results: [],
      });
      p.onResult?.({ error: "REQUEST_TIMED_OUT", results: [] });
      return;
    }
    const voter = this.voters[p.voterIndex % this.voters.length]!;
    p.correlationId = this.nextCorrelation++;
    const message: AdminRequestMessage = {
      type: "AdminRequest",
      bytes: HEADER_BYTES + 256,
      correlationId: p.correlationId,
      request: p.request,
    };
    this.network.send(this.id, String(voter), message);
    p.timer = this.engine.schedule(REQUEST_TIMEOUT_US, this.id, "admin.timeout", {
      id: p.id,
      correlationId: p.correlationId,
    });
  }

  private next(p: Pending): void {
    this.engine.cancel(p.timer);
    p.voterIndex++;
    this.engine.schedule(RETRY_BACKOFF_US, this.id, "admin.retry", { id: p.id });
  }

  /**
   * AdminClient.alterConsumerGroupOffsets: commits offsets for a group that has no active members
   * (kafka-consumer-groups.sh --reset-offsets --execute), to its coordinator, outside the group
   * protocol (generation -1, no member id). One attempt; the result goes to the trace.
   */
  alterConsumerGroupOffsets(
    coordinator: number,
    groupId: string,
    offsets: ReadonlyArray<{
      readonly topic: string;
      readonly partition: number;
      readonly offset: number;
    }>,
  ): void {
    const request: OffsetCommitRequest = {
      type: "OffsetCommitRequest",
      bytes: HEADER_BYTES + 32 * offsets.length,
      correlationId: this.nextCorrelation++,
      groupId,
      generationId: -1,
      memberId: "",
      groupInstanceId: null,
      partitions: offsets.map((o) => ({ ...o, leaderEpoch: -1, metadata: "" })),
    };
    this.engine.trace.emit("admin.call", this.id, {
      op: "AlterConsumerGroupOffsets",
      group: groupId,
      to: coordinator,
    });
    this.network.send(this.id, String(coordinator), request);
  }

  /**
   * AdminClient.deleteRecords, one DeleteRecordsRequest per leader (the caller groups the
   * partitions by the leaders it knows). `onResult` gets each leader's answer as it arrives.
   */
  deleteRecords(
    leader: number,
    partitions: DeleteRecordsRequest["partitions"],
    onResult: (partitions: DeleteRecordsResponse["partitions"]) => void,
  ): void {
    const correlationId = this.nextCorrelation++;
    this.deleteRecordsCallbacks.set(correlationId, onResult);
    this.engine.trace.emit("admin.call", this.id, { op: "DeleteRecords", to: leader });
    this.network.send(this.id, String(leader), {
      type: "DeleteRecordsRequest",
      bytes: HEADER_BYTES + 32 * partitions.length,
      correlationId,
      timeoutMs: 30_000,
      partitions,
    } satisfies DeleteRecordsRequest);
  }

  private readonly deleteRecordsCallbacks = new Map<
    number,
    (partitions: DeleteRecordsResponse["partitions"]) => void
  >();

  private onDeleteRecordsResponse(m: DeleteRecordsResponse): void {
    const callback = this.deleteRecordsCallbacks.get(m.correlationId);
    if (callback === undefined) return;
    this.deleteRecordsCallbacks.delete(m.correlationId);
    this.engine.trace.emit("admin.result", this.id, {
      op: "DeleteRecords",
      error: m.partitions.find((p) => p.error !== "NONE")?.error ?? "NONE",
      results: m.partitions.map((p) => ({ name: `${p.topic}-${p.partition}`, error: p.error })),
    });
    callback(m.partitions);
  }

  /**
   * AdminClient.deleteConsumerGroups for one group: a DeleteGroups to the group's coordinator
   * (`coordinatorOf`, asked again before every attempt). NOT_COORDINATOR,
   * COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE and a request timeout
   * (`request.timeout.ms`) are retried after `retry.backoff.ms` until `default.api.timeout.ms`,
   * which ends the call with REQUEST_TIMED_OUT. `onResult` gets the group's error.
   */
  deleteConsumerGroups(
    groupId: string,
    coordinatorOf: () => number | undefined,
    onResult: (error: DeleteGroupsError | "REQUEST_TIMED_OUT") => void,
  ): void {
    const d: GroupDelete = {
      id: this.nextId++,
      groupId,
      coordinatorOf,
      onResult,
      startedUs: this.engine.now,
      correlationId: -1,
      timer: undefined,
    };
    this.groupDeletes.set(d.id, d);
    this.sendDelete(d);
  }

  private readonly groupDeletes = new Map<number, GroupDelete>();

  private sendDelete(d: GroupDelete): void {
    if (this.engine.now - d.startedUs >= API_TIMEOUT_US)
      return this.finishDelete(d, "REQUEST_TIMED_OUT");
    const coordinator = d.coordinatorOf();
    d.correlationId = this.nextCorrelation++;
    if (coordinator === undefined) return this.retryDelete(d);
    this.engine.trace.emit("admin.call", this.id, {
      op: "DeleteGroups",
      group: d.groupId,
      to: coordinator,
    });
    this.network.send(this.id, String(coordinator), {
      type: "DeleteGroupsRequest",
      bytes: HEADER_BYTES + 8 + d.groupId.length,
      correlationId: d.correlationId,
      groupIds: [d.groupId],
    } satisfies DeleteGroupsRequest);
    d.timer = this.engine.schedule(REQUEST_TIMEOUT_US, this.id, "admin.group.timeout", {
      id: d.id,
      correlationId: d.correlationId,
    });
  }

  private retryDelete(d: GroupDelete): void {
    this.engine.cancel(d.timer);
    d.timer = undefined;
    d.correlationId = -1;
    this.engine.schedule(RETRY_BACKOFF_US, this.id, "admin.group.retry", { id: d.id });
  }

  private finishDelete(d: GroupDelete, error: DeleteGroupsError | "REQUEST_TIMED_OUT"): void {
    this.engine.cancel(d.timer);
    this.groupDeletes.delete(d.id);
    this.engine.trace.emit("admin.result", this.id, {
      op: "DeleteGroups",
      error,
      results: [{ name: d.groupId, error }],
    });
    d.onResult(error);
  }

  private onDeleteGroupsResponse(m: DeleteGroupsResponse): void {
    for (const d of this.groupDeletes.values()) {
      if (d.correlationId !== m.correlationId) continue;
      const error = m.results.find((r) => r.groupId === d.groupId)?.error ?? "UNKNOWN_SERVER_ERROR";
      if (
        error === "NOT_COORDINATOR" ||
        error === "COORDINATOR_LOAD_IN_PROGRESS" ||
        error === "COORDINATOR_NOT_AVAILABLE"
      )
        return this.retryDelete(d);
      return this.finishDelete(d, error);
    }
  }

  private onOffsetCommitResponse(m: OffsetCommitResponse): void {
    const failed = m.partitions.filter((p) => p.error !== "NONE");
    this.engine.trace.emit("admin.result", this.id, {
      op: "AlterConsumerGroupOffsets",
      error: failed[0]?.error ?? "NONE",
      results: m.partitions.map((p) => ({ name: `${p.topic}-${p.partition}`, error: p.error })),
    });
  }

  private onResponse(m: AdminResponseMessage): void {
    for (const p of this.pending.values()) {
      if (p.correlationId !== m.correlationId) continue;
      if (m.error === "NOT_CONTROLLER" || m.error === "COORDINATOR_NOT_AVAILABLE")
        return this.next(p);
      this.engine.cancel(p.timer);
      this.pending.delete(p.id);
      this.engine.trace.emit("admin.result", this.id, {
        op: p.request.op,
        error: m.error,
        results: m.results.map((r) => ({ name: r.name, error: r.error, message: r.message })),
      });
      p.onResult?.({ error: m.error, results: m.results });
      return;
    }
  }
}
