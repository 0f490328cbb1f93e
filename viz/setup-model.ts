/**
 * What the Setup panel's knobs show, read from the loaded scenario (plain data in, plain data
 * out): the version profile, the brokers, the cluster's min.insync.replicas and unclean election,
 * each topic's partitions and replication factor, each producer's acks and idempotence, each
 * consumer group's assignor and members. A value the file does not set shows as "" (the knob's
 * "default" entry): the version profile's default then applies.
 */
import { ASSIGNORS } from "../sim/client/assignors/index.ts";
import { KAFKA_VERSIONS } from "../sim/kafka/version.ts";
import type { ConfigValue, Scenario } from "../sim/scenario/load.ts";

export interface SetupModel {
  /** False for bare-hosts scenarios: the Kafka knobs are hidden. */
  readonly hasCluster: boolean;
  readonly version: string;
  readonly brokers: number;
  readonly minInsyncReplicas: string;
  readonly uncleanElection: string;
  readonly topics: ReadonlyArray<{
    readonly name: string;
    readonly partitions: string;
    readonly replicationFactor: string;
  }>;
  readonly producers: ReadonlyArray<{
    readonly id: string;
    readonly acks: string;
    readonly idempotence: string;
  }>;
  readonly groups: ReadonlyArray<{
    readonly id: string;
    readonly members: readonly string[];
    /** A class name, "" for the default, or MIXED when members differ. */
    readonly assignor: string;
  }>;
  /** Every client, for the remove buttons. */
  readonly clients: ReadonlyArray<{ readonly id: string; readonly type: string }>;
}

export const MIXED = "(mixed)";

/** The versions the loader accepts, oldest first. */
export const VERSION_CHOICES: readonly string[] = KAFKA_VERSIONS;

/** partition.assignment.strategy choices: the class names, with the short names shown. */
export const ASSIGNOR_CHOICES: ReadonlyArray<{ readonly value: string; readonly label: string }> =
  ASSIGNORS.map((a) => ({ value: a.className, label: a.name }));

export const ACKS_CHOICES: readonly string[] = ["all", "1", "0"];

function shown(value: ConfigValue | undefined): string {
  return value === undefined ? "" : String(value);
}

/** acks as the select shows it: -1 is all. */
function acksShown(value: ConfigValue | undefined): string {
  const s = shown(value);
  return s === "-1" ? "all" : s;
}

export function setupModel(scenario: Scenario): SetupModel {
  const cluster = scenario.cluster;
  const groups = new Map<string, { members: string[]; assignors: Set<string> }>();
  for (const c of scenario.clients) {
    if (c.type !== "consumer" || c.group === null) continue;
    const g = groups.get(c.group) ?? { members: [], assignors: new Set<string>() };
    g.members.push(c.id);
    g.assignors.add(shown(c.config["partition.assignment.strategy"]).trim());
    groups.set(c.group, g);
  }
  return {
    hasCluster: cluster !== null,
    version: cluster === null ? "" : String(cluster.version),
    brokers: cluster?.brokers.length ?? 0,
    minInsyncReplicas: shown(cluster?.config["min.insync.replicas"]),
    uncleanElection: shown(cluster?.config["unclean.leader.election.enable"]),
    topics: scenario.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions === null ? "" : String(t.partitions),
      replicationFactor: t.replicationFactor === null ? "" : String(t.replicationFactor),
    })),
    producers: scenario.clients
      .filter((c) => c.type === "producer")
      .map((c) => ({
        id: c.id,
        acks: acksShown(c.config.acks),
        idempotence: shown(c.config["enable.idempotence"]),
      })),
    groups: [...groups].map(([id, g]) => ({
      id,
      members: g.members,
      assignor: g.assignors.size === 1 ? [...g.assignors][0]! : MIXED,
    })),
    clients: scenario.clients.map((c) => ({ id: c.id, type: c.type })),
  };
}
