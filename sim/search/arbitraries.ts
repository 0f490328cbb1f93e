/**
 * fast-check arbitraries for the fault search: cluster shapes, settings, workloads and fault
 * schedules, combined into a SearchCase.
 *
 * Faults are drawn as raw numbers (which kind, which node by index, gap, duration, a magnitude) and
 * resolved against the drawn shape by `map`, never by `chain`: shrinking the cluster or dropping a
 * fault keeps the others meaningful, and fast-check shrinks every number toward the small and early.
 *
 * Two fault budgets (../shared/fault-search.md):
 * - "one-at-a-time": the exclusive faults (crash, isolate, partition, cut, hold, kill) follow each
 *   other, each repaired and followed by RECOVERY_US before the next, so at most one node is
 *   unavailable at a time; slow disks and slow links may come at any moment on top.
 * - "any": every fault at any moment, overlapping freely, and two brokers may crash together
 *   (the unsafe searches and the simulator's own soundness).
 * Every fault is repaired by LAST_REPAIR_BEFORE_END_US before the end, so the run ends with a
 * liveness phase in which the cluster must converge.
 *
 * Swarm mode: each case also draws which fault kinds it may use at all (a non-empty subset), so some
 * runs are all crashes, others all network faults (Groce et al., "Swarm testing", ISSTA 2012).
 */
import fc from "fast-check";
import {
  KAFKA_VERSIONS,
  type KafkaVersion,
  versionAtLeast,
  versionProfile,
} from "../kafka/version.ts";
import {
  type ConsumerLoad,
  consumerId,
  describeCase,
  describeFault,
  FAULT_KINDS,
  type Fault,
  type FaultKind,
  type ProcessorLoad,
  type ProducerLoad,
  processorId,
  producerId,
  type SearchCase,
} from "./case.ts";
import {
  ASSIGNORS,
  MAX_RETRIES,
  normalizeSettings,
  OLDEST_SAFE_VERSION,
  type Pins,
  type Settings,
} from "./settings.ts";

export type FaultBudget = "one-at-a-time" | "any";

/**
 * What a search draws from. "replication": RF 3 on 3-5 brokers, producers and a group (the delivery
 * properties). "consumers": the same with slow consumers (processing guarantees). "wide": every
 * shape, 1-7 brokers, every version and setting (the simulator's soundness). "streams": a
 * producer feeding one or two stream processors (3.0+, exactly-once), faults limited to broker
 * crashes and client kills, one at a time.
 */
export type SearchSpace = "replication" | "consumers" | "streams" | "wide";

export interface CaseOptions {
  readonly space: SearchSpace;
  readonly budget: FaultBudget;
  readonly pins: Pins;
  readonly durationUs: number;
}

const S = 1_000_000;
const MS = 1000;

/** After an exclusive fault is repaired: time to restart, catch up and rejoin the ISR. */
export const RECOVERY_US = 12 * S;
/** The liveness phase: no fault after this much before the end (a third of shorter runs). */
export const LAST_REPAIR_BEFORE_END_US = 20 * S;

/** When the last fault is repaired at the latest. */
export function lastRepairUs(durationUs: number): number {
  return durationUs - Math.min(LAST_REPAIR_BEFORE_END_US, Math.floor(durationUs / 3));
}
/** The first fault comes after the cluster has settled and the producers started. */
export const FIRST_FAULT_US = 2 * S;

const EXCLUSIVE: ReadonlySet<FaultKind> = new Set([
  "crash",
  "isolate",
  "partition",
  "cut",
  "hold",
  "kill",
]);

/** The streams space's faults: one broker crash or one client kill at a time (issue #8). */
const STREAMS_FAULTS: readonly FaultKind[] = ["crash", "kill"];

interface RawFault {
  readonly kind: number;
  readonly gapMs: number;
  readonly forMs: number;
  readonly a: number;
  readonly b: number;
  readonly flag: boolean;
  readonly mag: number;
}

const rawFault: fc.Arbitrary<RawFault> = fc.record({
  kind: fc.nat({ max: 1000 }),
  gapMs: fc.nat({ max: 30_000 }),
  forMs: fc.integer({ min: 200, max: 12_000 }),
  a: fc.nat({ max: 1000 }),
  b: fc.nat({ max: 1000 }),
  flag: fc.boolean(),
  mag: fc.nat({ max: 1000 }),
});

interface RawCase {
  readonly version: KafkaVersion;
  readonly brokers: number;
  readonly racks: number;
  readonly controllers: 1 | 3 | "combined";
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly settings: Settings;
  readonly producers: ProducerLoad[];
  readonly consumers: ConsumerLoad[];
  readonly processors: ProcessorLoad[];
  /** Bit i set: FAULT_KINDS[i] may be used (swarm); 0 means all. */
  readonly swarm: number;
  readonly faults: RawFault[];
  readonly seed: number;
}

function pinned<K extends keyof Settings>(
  pins: Pins,
  key: K,
  drawn: fc.Arbitrary<Settings[K]>,
): fc.Arbitrary<Settings[K]> {
  const v = pins.settings[key];
  return v === undefined ? drawn : fc.constant(v as Settings[K]);
}

function versionsOf(space: SearchSpace): readonly KafkaVersion[] {
  // The delivery properties need epoch-based truncation (fault-search.md); newest first, so
  // fast-check shrinks toward the current release.
  const all = [...KAFKA_VERSIONS].reverse();
  if (space === "streams") return all.filter((v) => versionAtLeast(v, "3.0"));
  return space === "wide" ? all : all.filter((v) => versionAtLeast(v, OLDEST_SAFE_VERSION));
}

function settingsArb(pins: Pins, space: SearchSpace): fc.Arbitrary<Settings> {
  return fc.record({
    acks: pinned(pins, "acks", fc.constantFrom("all", "1", "0")),
    "min.insync.replicas": pinned(pins, "min.insync.replicas", fc.integer({ min: 1, max: 3 })),
    "unclean.leader.election.enable": pinned(pins, "unclean.leader.election.enable", fc.boolean()),
    "enable.idempotence": pinned(pins, "enable.idempotence", fc.boolean()),
    "max.in.flight.requests.per.connection": pinned(
      pins,
      "max.in.flight.requests.per.connection",
      fc.integer({ min: 1, max: 5 }),
    ),
    retries: pinned(pins, "retries", fc.constantFrom(MAX_RETRIES, 0, 3)),
    "partition.assignment.strategy": pinned(
      pins,
      "partition.assignment.strategy",
      fc.constantFrom(...ASSIGNORS),
    ),
    "enable.auto.commit": pinned(pins, "enable.auto.commit", fc.boolean()),
    // Drawn only where there are processors (a constant draws no randomness, so the other
    // spaces' cases are the same as before the setting existed).
    "processing.guarantee": pinned(
      pins,
      "processing.guarantee",
      space === "streams"
        ? fc.constantFrom("exactly_once_v2", "at_least_once")
        : fc.constant("exactly_once_v2"),
    ),
  });
}

function rawCaseArb(o: CaseOptions): fc.Arbitrary<RawCase> {
  const wide = o.space === "wide";
  const versions = versionsOf(o.space);
  const consumers: fc.Arbitrary<ConsumerLoad[]> =
    o.space === "consumers"
      ? fc.array(
          fc.record({
            group: fc.constant("g1"),
            processingUs: fc.integer({ min: 1, max: 50 }).map((ms) => ms * MS),
          }),
          { minLength: 1, maxLength: 3 },
        )
      : fc.array(
          fc.record({
            group: fc.constantFrom("g1", "g2"),
            processingUs: fc.integer({ min: 0, max: 5 }).map((ms) => ms * MS),
          }),
          { maxLength: wide ? 3 : 2 },
        );
  return fc.record({
    version:
      o.pins.version === undefined ? fc.constantFrom(...versions) : fc.constant(o.pins.version),
    brokers:
      o.pins.brokers !== undefined
        ? fc.constant(o.pins.brokers)
        : wide
          ? fc.integer({ min: 1, max: 7 })
          : fc.integer({ min: 3, max: 5 }),
    racks: fc.constantFrom(0, 2, 3),
    controllers: fc.constantFrom<1 | 3 | "combined">("combined", 3, 1),
    partitions: fc.integer({ min: 1, max: wide ? 6 : 3 }),
    replicationFactor: wide ? fc.integer({ min: 1, max: 3 }) : fc.constant(3),
    settings: settingsArb(o.pins, o.space),
    producers: fc.array(
      fc.record({
        rate: fc.integer({ min: 1, max: 10 }).map((r) => r * 2),
        keys: fc.constantFrom(10, 0, 1, 100),
      }),
      { minLength: 1, maxLength: 2 },
    ),
    consumers: o.space === "streams" ? fc.constant([]) : consumers,
    processors:
      o.space === "streams"
        ? fc.array(
            fc.record({ processingUs: fc.integer({ min: 0, max: 5 }).map((ms) => ms * MS) }),
            { minLength: 1, maxLength: 2 },
          )
        : fc.constant([]),
    swarm: fc.nat({ max: (1 << FAULT_KINDS.length) - 1 }),
    faults: fc.array(rawFault, { maxLength: o.budget === "any" ? 6 : 5 }),
    seed: fc.integer({ min: 1, max: 2_147_483_647 }),
  });
}

/** The fault kinds a case may use: its swarm subset of what the shape and the budget allow. */
function kindsFor(
  swarm: number,
  clients: number,
  brokers: number,
  budget: FaultBudget,
): FaultKind[] {
  const allowed = FAULT_KINDS.filter(
    (k) =>
      (k !== "kill" || clients > 0) && (k !== "crash-two" || (budget === "any" && brokers >= 3)),
  );
  const chosen = allowed.filter((k) => (swarm & (1 << FAULT_KINDS.indexOf(k))) !== 0);
  return chosen.length > 0 ? chosen : allowed;
}

function pick<T>(items: readonly T[], n: number): T {
  return items[n % items.length]!;
}

/** Two distinct items (the second skips the first). */
function pickTwo<T>(items: readonly T[], a: number, b: number): readonly [T, T] {
  const i = a % items.length;
  const j = (i + 1 + (b % (items.length - 1))) % items.length;
  return [items[i]!, items[j]!];
}

interface Nodes {
  readonly brokers: string[];
  readonly controllers: string[];
  readonly clients: string[];
}

function nodesOf(c: RawCase, version: KafkaVersion): Nodes {
  const brokers = Array.from({ length: c.brokers }, (_, i) => String(i + 1));
  // Dedicated KRaft controllers follow the brokers' ids; ZooKeeper servers are left alone.
  const kraft = versionProfile(version).defaultMode === "kraft";
  const controllers =
    kraft && c.controllers !== "combined"
      ? Array.from({ length: c.controllers }, (_, i) => String(c.brokers + i + 1))
      : [];
  const clients = [
    ...c.producers.map((_, i) => producerId(i)),
    ...c.consumers.map((_, i) => consumerId(i)),
    ...c.processors.map((_, i) => processorId(i)),
  ];
  return { brokers, controllers, clients };
}

/** A raw fault as a fault of this shape, at `atUs`, lasting `forUs`; undefined when it cannot be. */
function resolveFault(
  kind: FaultKind,
  r: RawFault,
  nodes: Nodes,
  atUs: number,
  forUs: number,
): Fault | undefined {
  const servers = [...nodes.brokers, ...nodes.controllers];
  const everyone = [...servers, ...nodes.clients];
  switch (kind) {
    case "crash":
      return {
        kind,
        atUs,
        forUs,
        broker: Number(pick(servers, r.a)),
        mode: r.flag ? "power" : "process",
      };
    case "crash-two": {
      const [x, y] = pickTwo(nodes.brokers, r.a, r.b);
      return {
        kind,
        atUs,
        forUs,
        brokers: [Number(x), Number(y)],
        mode: r.mag % 2 === 0 ? "process" : "power",
      };
    }
    case "isolate":
      return { kind, atUs, forUs, node: pick(r.flag ? servers : everyone, r.a) };
    case "partition": {
      if (nodes.brokers.length < 2) return undefined;
      // One broker (two, in a bigger cluster with flag set) and some clients on one side.
      const size = r.flag && nodes.brokers.length >= 5 ? 2 : 1;
      const side: string[] = [];
      for (let i = 0; i < size; i++) side.push(nodes.brokers[(r.a + i) % nodes.brokers.length]!);
      const clientsHere = nodes.clients.filter((_, i) => (r.b & (1 << i)) !== 0);
      const a = [...side, ...clientsHere];
      const b = everyone.filter((n) => !a.includes(n));
      return { kind, atUs, forUs, groups: [a, b] };
    }
    case "cut":
    case "hold": {
      if (everyone.length < 2) return undefined;
      // A broker on one end: a link between two clients carries nothing.
      const from = pick(servers, r.a);
      const others = everyone.filter((n) => n !== from);
      const to = pick(others, r.b);
      return r.flag ? { kind, atUs, forUs, from: to, to: from } : { kind, atUs, forUs, from, to };
    }
    case "slow-disk":
      return {
        kind,
        atUs,
        forUs,
        broker: Number(pick(nodes.brokers, r.a)),
        factor: 2 + (r.mag % 19),
      };
    case "slow-link": {
      if (everyone.length < 2) return undefined;
      const [from, to] = pickTwo(everyone, r.a, r.b);
      return { kind, atUs, forUs, from, to, latencyUs: (1 + (r.mag % 100)) * MS };
    }
    case "kill":
      if (nodes.clients.length === 0) return undefined;
      return { kind, atUs, forUs, client: pick(nodes.clients, r.a) };
  }
}

function resolveCase(c: RawCase, o: CaseOptions): SearchCase {
  const version = c.version;
  const settings = normalizeSettings(c.settings, version);
  const replicationFactor = Math.min(c.replicationFactor, c.brokers);
  const nodes = nodesOf(c, version);
  const kinds =
    o.space === "streams"
      ? STREAMS_FAULTS
      : kindsFor(c.swarm, nodes.clients.length, c.brokers, o.budget);
  const lastRepair = lastRepairUs(o.durationUs);
  const faults: Fault[] = [];
  let nextExclusiveUs = FIRST_FAULT_US;
  for (const r of c.faults) {
    const kind = pick(kinds, r.kind);
    const forUs = r.forMs * MS;
    let atUs: number;
    if (o.budget === "one-at-a-time" && EXCLUSIVE.has(kind)) {
      atUs = nextExclusiveUs + r.gapMs * MS;
    } else {
      // Anywhere in the fault window, by the gap as a fraction of it.
      const window = Math.max(0, lastRepair - forUs - FIRST_FAULT_US);
      atUs = FIRST_FAULT_US + Math.floor((window * r.gapMs) / 30_000 / MS) * MS;
    }
    if (atUs + forUs > lastRepair) continue;
    const fault = resolveFault(kind, r, nodes, atUs, forUs);
    if (fault === undefined) continue;
    if (o.budget === "one-at-a-time" && EXCLUSIVE.has(kind))
      nextExclusiveUs = atUs + forUs + RECOVERY_US;
    faults.push(fault);
  }
  faults.sort((x, y) => x.atUs - y.atUs);
  return {
    version,
    brokers: c.brokers,
    racks: c.racks,
    controllers: c.controllers,
    partitions: c.partitions,
    replicationFactor,
    settings,
    producers: c.producers,
    consumers: c.consumers,
    processors: c.processors,
    faults,
    seed: c.seed,
    durationUs: o.durationUs,
  };
}

/** The arbitrary of whole cases for a search. */
export function caseArbitrary(o: CaseOptions): fc.Arbitrary<SearchCase> {
  return rawCaseArb(o).map((raw) => readable(resolveCase(raw, o)));
}

/**
 * Gives the case and each of its faults fast-check's `toString` (a hidden property, so equality
 * and the scenario text are unchanged): a failing property then prints the shrunk case as its
 * story ("t=2.002 s broker 1 crashes (process); t=7.501 s broker 1 restarts") rather than as
 * raw numbers.
 */
function readable(c: SearchCase): SearchCase {
  for (const f of c.faults) {
    Object.defineProperty(f, fc.toStringMethod, { value: () => describeFault(f) });
  }
  Object.defineProperty(c, fc.toStringMethod, { value: () => describeCase(c) });
  return c;
}
