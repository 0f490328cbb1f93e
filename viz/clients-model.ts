/**
 * The Clients panel's model: reads a Session (its events incrementally, its Kafka world's clients
 * and group coordinators through their snapshot APIs) into plain data the view draws: one row per
 * producer and one GroupInput per consumer group. Reading schedules nothing, so it does not change
 * the run or its traceHash.
 *
 * Incremental: the trace events already consumed are not read again. A seek backwards or a fork
 * gives the session a new event list (and a new Kafka world); the model then starts over, so the
 * data at a moment never depends on how the run got there.
 */
import type { TraceEvent } from "../sim/engine/trace.ts";
import type { KafkaWorld } from "../sim/scenario/kafka-world.ts";
import type { Session, SessionState } from "../sim/scenario/session.ts";
import { IncrementalBurrow } from "./clients-burrow.ts";
import {
  type GroupInput,
  type MemberInput,
  protocolOf,
  type RebalanceProtocol,
} from "./clients-groups.ts";
import {
  type InFlightBatch,
  type OutcomeKind,
  ProducerTracker,
  type RetryingBatch,
  type SettledBatch,
} from "./clients-producers.ts";

export interface ProducerRow {
  readonly clientId: string;
  readonly acks: string;
  readonly up: boolean;
  readonly inFlight: readonly InFlightBatch[];
  readonly retrying: readonly RetryingBatch[];
  readonly recent: readonly SettledBatch[];
  /** Outcomes counted from the trace (batches). */
  readonly outcomes: Readonly<Record<OutcomeKind, number>>;
  /** The producer's own counters (KafkaProducer.stats()). */
  readonly retries: number;
  readonly recordSendTotal: number;
  readonly requestLatencyAvgMs: number;
}

export interface ClientsData {
  readonly timeUs: number;
  readonly producers: readonly ProducerRow[];
  readonly groups: readonly GroupInput[];
}

/** Follows one session; `read` gives the data at the session's current moment. */
export class ClientsModel {
  private events: readonly TraceEvent[] | undefined;
  private consumed = 0;
  private kafka: KafkaWorld | undefined;
  private tracker = new ProducerTracker();
  private burrow = new IncrementalBurrow();
  /** The latest rebalance protocol a member of each group reported (consumer.assigned). */
  private protocols = new Map<string, RebalanceProtocol>();
  private assignors = new Map<string, string>();
  /** consumer client id → its group (from the scenario). */
  private groupOfConsumer = new Map<string, string>();

  private reset(session: Session): void {
    this.events = session.events;
    this.consumed = 0;
    this.kafka = session.kafka;
    const producerIds = session.scenario.clients.flatMap((c) =>
      c.type === "producer" ? [c.id] : c.type === "stream-processor" ? [`${c.id}-producer`] : [],
    );
    this.tracker = new ProducerTracker(producerIds);
    this.burrow = new IncrementalBurrow();
    this.protocols = new Map();
    this.assignors = new Map();
    this.groupOfConsumer = new Map();
    for (const c of groupConsumers(session.scenario)) {
      if (c.group !== null) this.groupOfConsumer.set(c.id, c.group);
    }
  }

  private consume(session: Session): void {
    const events = session.events;
    if (
      events !== this.events ||
      session.kafka !== this.kafka ||
      events.length < this.consumed ||
      (this.consumed > 0 && events[0] !== this.events?.[0])
    ) {
      this.reset(session);
    }
    for (; this.consumed < events.length; this.consumed++) {
      const e = events[this.consumed]!;
      this.tracker.observe(e);
      if (e.type === "consumer.assigned") {
        const group = this.groupOfConsumer.get(e.node);
        if (group === undefined) continue;
        const p = String(e.protocol ?? "");
        if (p === "EAGER" || p === "COOPERATIVE") this.protocols.set(group, p);
        else if (p !== "") this.protocols.set(group, "CONSUMER");
        if (typeof e.assignor === "string" && e.assignor !== "")
          this.assignors.set(group, e.assignor);
      }
    }
  }

  read(session: Session, state: SessionState = session.state()): ClientsData {
    this.consume(session);
    const kafka = session.kafka;
    if (kafka === undefined) return { timeUs: state.timeUs, producers: [], groups: [] };
    return {
      timeUs: state.timeUs,
      producers: this.producerRows(kafka),
      groups: this.groupInputs(session, kafka, state),
    };
  }

  private producerRows(kafka: KafkaWorld): ProducerRow[] {
    return [...this.tracker.producers.values()].map((t) => {
      const producer = kafka.producers.get(t.clientId);
      const stats = producer?.stats();
      const metrics = producer?.metrics();
      return {
        clientId: t.clientId,
        acks: t.acks,
        up: producer?.host.isUp ?? false,
        inFlight: [...t.inFlight.values()],
        retrying: [...t.retrying.values()],
        recent: [...t.recent],
        outcomes: { ...t.outcomes },
        retries: stats?.retries ?? 0,
        recordSendTotal: metrics?.["record-send-total"] ?? 0,
        requestLatencyAvgMs: metrics?.["request-latency-avg"] ?? 0,
      };
    });
  }

  private groupInputs(session: Session, kafka: KafkaWorld, state: SessionState): GroupInput[] {
    const nowUs = state.timeUs;
    this.burrow.feed(kafka.recorder.history(nowUs), nowUs);
    const views = new Map(kafka.groupViews().map((v) => [v.groupId, v]));
    const hw = new Map<string, number | null>();
    for (const p of state.partitions) {
      const leader = p.replicaLogs.find((r) => r.broker === p.leader && r.role !== "down");
      hw.set(`${p.topic}-${p.partition}`, leader?.hw ?? null);
    }
    // Groups in the scenario's order, then any other group a coordinator knows, by name.
    const groupIds: string[] = [];
    const topicsOf = new Map<string, Set<string>>();
    const configOf = new Map<string, Readonly<Record<string, unknown>>>();
    for (const c of groupConsumers(session.scenario)) {
      const g = c.group ?? "";
      if (!topicsOf.has(g)) {
        groupIds.push(g);
        topicsOf.set(g, new Set());
        configOf.set(g, c.config);
      }
      for (const t of c.subscribe) topicsOf.get(g)!.add(t);
    }
    for (const id of [...views.keys()].sort()) if (!topicsOf.has(id)) groupIds.push(id);

    return groupIds.map((groupId) => {
      const view = views.get(groupId);
      const topics = topicsOf.get(groupId) ?? new Set<string>();
      const members: MemberInput[] = [];
      const listed = new Set<string>();
      const assignedOf = new Map<string, string[]>();
      for (const m of view?.members ?? []) {
        assignedOf.set(
          m.clientId,
          m.assignment.map((a) => `${a.topic}-${a.partition}`),
        );
      }
      const consumerIds = [
        ...groupConsumers(session.scenario)
          .filter((c) => (c.group ?? "") === groupId)
          .map((c) => c.id),
        ...(view?.members ?? []).map((m) => m.clientId),
      ];
      for (const id of consumerIds) {
        if (listed.has(id)) continue;
        listed.add(id);
        const consumer = kafka.consumers.get(id) ?? kafka.processors.get(id)?.consumer;
        const snap = consumer?.snapshot();
        members.push({
          clientId: id,
          state: snap?.state ?? "not a scenario client",
          generation: snap?.generation ?? -1,
          held: snap?.assignment ?? [],
          assigned: assignedOf.get(id) ?? [],
          positions: snap?.positions ?? {},
          up: consumer?.host.isUp ?? true,
        });
      }
      const committed: Record<string, number> = {};
      for (const o of view?.committed ?? []) committed[`${o.topic}-${o.partition}`] = o.offset;
      const partitions = state.partitions
        .filter((p) => topics.has(p.topic))
        .map((p) => {
          const tp = `${p.topic}-${p.partition}`;
          return { tp, hw: hw.get(tp) ?? null };
        });
      const isGroup = groupId !== "";
      const status = isGroup ? this.burrow.status(groupId, nowUs) : undefined;
      const coordinator = view === undefined ? null : view.coordinator.id;
      return {
        groupId: isGroup ? groupId : "(no group: assign())",
        standalone: !isGroup,
        state: view?.state ?? null,
        generation: coordinator === null ? null : generationOf(kafka, coordinator, groupId),
        protocol: this.protocols.get(groupId) ?? protocolOf(configOf.get(groupId) ?? {}),
        assignor: this.assignors.get(groupId) ?? view?.protocol ?? "",
        coordinator,
        members,
        partitions,
        committed,
        ...(status === undefined
          ? {}
          : {
              burrow: {
                status: status.status,
                partitions: Object.fromEntries(
                  status.partitions.map((p) => [`${p.topic}-${p.partition}`, p.status]),
                ),
              },
            }),
      };
    });
  }
}

/** The group's generation (classic) or group epoch (KIP-848) at its coordinator. */
function generationOf(kafka: KafkaWorld, coordinator: number, groupId: string): number | null {
  const snapshot = kafka.cluster.brokers.get(coordinator)?.groupCoordinator();
  if (snapshot === null || snapshot === undefined) return null;
  const classic = snapshot.groups.find((g) => g.groupId === groupId);
  if (classic !== undefined) return classic.generation;
  const modern = snapshot.consumerGroups.find((g) => g.groupId === groupId);
  return modern === undefined ? null : modern.groupEpoch;
}

/**
 * The scenario's consumers, and each stream processor's consumer (its client id, in the group
 * application.id, subscribed to its input topics, with the config Kafka Streams gives it).
 */
function groupConsumers(scenario: Session["scenario"]): Array<{
  readonly id: string;
  readonly group: string | null;
  readonly subscribe: readonly string[];
  readonly config: Readonly<Record<string, unknown>>;
}> {
  type Entry = ReturnType<typeof groupConsumers>[number];
  return scenario.clients.flatMap((c): Entry[] =>
    c.type === "consumer"
      ? [{ id: c.id, group: c.group, subscribe: c.subscribe, config: c.config }]
      : c.type === "stream-processor"
        ? [
            {
              id: c.id,
              group: c.settings.applicationId,
              subscribe: c.input,
              config: c.settings.consumer,
            },
          ]
        : [],
  );
}
