/**
 * One run of the fault search, as data: the cluster's shape, the settings, the workload and the
 * fault schedule. Everything is plain and readable: `describeFault` gives each fault the words a
 * shrunk schedule is told in, and scenario-text.ts turns a case into a scenario file (format v1)
 * that `kafkasim run` and the viz replay.
 *
 * Faults are timed in virtual µs and each has its own repair (`forUs` later): a crash is followed
 * by a restart, a network fault by a heal, a slow disk by its normal speed again, a killed client
 * by its start. `forUs: null` leaves the fault in place to the end of the run (only the unsafe
 * searches draw those).
 */
import { type KafkaVersion, versionProfile } from "../kafka/version.ts";
import type { Settings } from "./settings.ts";

export type Fault =
  | {
      readonly kind: "crash";
      readonly atUs: number;
      readonly forUs: number | null;
      readonly broker: number;
      readonly mode: "process" | "power";
    }
  | {
      /** Two brokers at once (correlated failures: beyond the safe budget). */
      readonly kind: "crash-two";
      readonly atUs: number;
      readonly forUs: number | null;
      readonly brokers: readonly [number, number];
      readonly mode: "process" | "power";
    }
  | {
      readonly kind: "isolate";
      readonly atUs: number;
      readonly forUs: number | null;
      readonly node: string;
    }
  | {
      readonly kind: "partition";
      readonly atUs: number;
      readonly forUs: number | null;
      /** Two sides; nodes on neither keep their links. */
      readonly groups: readonly [readonly string[], readonly string[]];
    }
  | {
      readonly kind: "cut" | "hold";
      readonly atUs: number;
      readonly forUs: number | null;
      readonly from: string;
      readonly to: string;
    }
  | {
      readonly kind: "slow-disk";
      readonly atUs: number;
      readonly forUs: number | null;
      readonly broker: number;
      readonly factor: number;
    }
  | {
      readonly kind: "slow-link";
      readonly atUs: number;
      readonly forUs: number | null;
      readonly from: string;
      readonly to: string;
      readonly latencyUs: number;
    }
  | {
      readonly kind: "kill";
      readonly atUs: number;
      readonly forUs: number | null;
      readonly client: string;
    };

export type FaultKind = Fault["kind"];

export const FAULT_KINDS: readonly FaultKind[] = [
  "crash",
  "crash-two",
  "isolate",
  "partition",
  "cut",
  "hold",
  "slow-disk",
  "slow-link",
  "kill",
];

export interface ProducerLoad {
  /** Records per second. */
  readonly rate: number;
  /** Distinct keys (uniform); 0 sends null keys. */
  readonly keys: number;
}

export interface ConsumerLoad {
  /** Group id: members with the same group share the partitions. */
  readonly group: string;
  /** Simulated work per record, µs. */
  readonly processingUs: number;
}

export interface ProcessorLoad {
  /** Simulated work per record, µs. */
  readonly processingUs: number;
}

export interface SearchCase {
  readonly version: KafkaVersion;
  readonly brokers: number;
  /** Racks the brokers are spread over round-robin; 0: no rack. */
  readonly racks: number;
  /** KRaft: dedicated controllers (1 or 3) or "combined"; ZooKeeper profiles use an ensemble of 1 or 3. */
  readonly controllers: 1 | 3 | "combined";
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly settings: Settings;
  readonly producers: readonly ProducerLoad[];
  readonly consumers: readonly ConsumerLoad[];
  /** Stream processors reading TOPIC and writing OUTPUT_TOPIC (the "streams" space). */
  readonly processors: readonly ProcessorLoad[];
  /** In time order. */
  readonly faults: readonly Fault[];
  /** The simulation's seed (network jitter, client timing). */
  readonly seed: number;
  readonly durationUs: number;
}

/** The topic every case writes to. */
export const TOPIC = "t";

export function producerId(i: number): string {
  return `producer-${i + 1}`;
}

export function consumerId(i: number): string {
  return `consumer-${i + 1}`;
}

/** The topic stream processors write to. */
export const OUTPUT_TOPIC = "t-out";

/** The application.id (group) every stream processor of a case shares. */
export const APPLICATION_ID = "app";

export function processorId(i: number): string {
  return `processor-${i + 1}`;
}

/** `1.204 s` (milliseconds kept). */
export function formatTime(us: number): string {
  return `${(us / 1_000_000).toFixed(3)} s`;
}

function nodeWords(node: string): string {
  return /^\d+$/.test(node) ? `broker ${node}` : node;
}

/** What happens at the fault's start, in words. */
export function faultWords(f: Fault): string {
  switch (f.kind) {
    case "crash":
      return `broker ${f.broker} ${f.mode === "power" ? "loses power" : "crashes (process)"}`;
    case "crash-two":
      return `brokers ${f.brokers[0]} and ${f.brokers[1]} ${f.mode === "power" ? "lose power" : "crash (process)"} together`;
    case "isolate":
      return `${nodeWords(f.node)} is isolated from every other node`;
    case "partition":
      return `network partition: [${f.groups[0].join(", ")}] | [${f.groups[1].join(", ")}]`;
    case "cut":
      return `one-way cut: nothing from ${nodeWords(f.from)} reaches ${nodeWords(f.to)}`;
    case "hold":
      return `messages from ${nodeWords(f.from)} to ${nodeWords(f.to)} are held`;
    case "slow-disk":
      return `broker ${f.broker}'s disks slow down ${f.factor}×`;
    case "slow-link":
      return `the link ${nodeWords(f.from)} ↔ ${nodeWords(f.to)} gets ${f.latencyUs / 1000} ms slower`;
    case "kill":
      return `${f.client} is killed`;
  }
}

/** What the repair does, in words. */
export function repairWords(f: Fault): string {
  switch (f.kind) {
    case "crash":
      return `broker ${f.broker} restarts`;
    case "crash-two":
      return `brokers ${f.brokers[0]} and ${f.brokers[1]} restart`;
    case "isolate":
    case "cut":
      return `heal ${nodeWords(f.kind === "isolate" ? f.node : f.from)}`;
    case "partition":
      return "heal all";
    case "hold":
      return `release ${nodeWords(f.from)} → ${nodeWords(f.to)}`;
    case "slow-disk":
      return `broker ${f.broker}'s disks back to normal speed`;
    case "slow-link":
      return `the link ${nodeWords(f.from)} ↔ ${nodeWords(f.to)} back to normal latency`;
    case "kill":
      return `${f.client} starts again`;
  }
}

/** One line for a schedule listing: "t=5.000 s broker 2 loses power; t=8.500 s broker 2 restarts". */
export function describeFault(f: Fault): string {
  const start = `t=${formatTime(f.atUs)} ${faultWords(f)}`;
  return f.forUs === null
    ? `${start} (until the end)`
    : `${start}; t=${formatTime(f.atUs + f.forUs)} ${repairWords(f)}`;
}

/** KRaft controllers, or the ZooKeeper ensemble of a ZooKeeper-mode profile. */
function controllerWords(c: SearchCase): string {
  if (versionProfile(c.version).defaultMode === "zookeeper") {
    const n = c.controllers === "combined" ? 1 : c.controllers;
    return `ZooKeeper ensemble of ${n}`;
  }
  return c.controllers === "combined" ? "combined controllers" : `${c.controllers} controllers`;
}

/** The case in a few lines: shape, settings, workload, faults (fast-check prints this). */
export function describeCase(c: SearchCase): string {
  const s = c.settings;
  const shape =
    `${c.brokers} brokers` +
    (c.racks > 0 ? ` on ${c.racks} racks` : "") +
    `, ${controllerWords(c)}` +
    `, version ${c.version}, topic ${TOPIC}: ${c.partitions} partition(s), RF ${c.replicationFactor}`;
  const settings =
    `acks=${s.acks}, min.insync.replicas=${s["min.insync.replicas"]}, ` +
    `unclean.leader.election.enable=${s["unclean.leader.election.enable"]}, ` +
    `enable.idempotence=${s["enable.idempotence"]}, ` +
    `max.in.flight.requests.per.connection=${s["max.in.flight.requests.per.connection"]}, ` +
    `retries=${s.retries}, partition.assignment.strategy=${s["partition.assignment.strategy"]}, ` +
    `enable.auto.commit=${s["enable.auto.commit"]}` +
    (c.processors.length > 0 ? `, processing.guarantee=${s["processing.guarantee"]}` : "");
  const load = [
    ...c.producers.map(
      (p, i) => `${producerId(i)} ${p.rate}/s${p.keys > 0 ? `, ${p.keys} keys` : ", no keys"}`,
    ),
    ...c.consumers.map(
      (k, i) => `${consumerId(i)} in ${k.group} (${k.processingUs / 1000} ms per record)`,
    ),
    ...c.processors.map(
      (k, i) =>
        `${processorId(i)} ${TOPIC} → ${OUTPUT_TOPIC} (${k.processingUs / 1000} ms per record)`,
    ),
  ].join("; ");
  const faults =
    c.faults.length === 0 ? ["  (no faults)"] : c.faults.map((f) => `  ${describeFault(f)}`);
  return [
    `${shape}; seed ${c.seed}; ${formatTime(c.durationUs)}`,
    settings,
    load,
    "faults:",
    ...faults,
  ].join("\n");
}
