/**
 * Cluster presets: `cluster: {preset: NAME}` names one of the topologies people start from when
 * they run Kafka on a laptop with docker compose. The ZooKeeper ones follow conduktor's
 * kafka-stack-docker-compose files of the same names (1 or 3 ZooKeeper nodes, 1 or 3 brokers);
 * the KRaft ones are the two layouts of Kafka's own KRaft docs (combined broker+controller nodes,
 * or dedicated controllers beside the brokers).
 *
 * A preset is plain data: the values of the `cluster` keys it stands for. The loader merges it
 * under the file's `cluster` (every key the file gives wins; `config` is merged key by key, the
 * file's keys winning), then checks the result as if the file had said it all.
 *
 * Simplified: only what the compose files change about Kafka's behaviour is kept (node counts,
 * the version line, the internal topics' replication settings of single-broker files); listeners,
 * ports, images and volumes have nothing to model here.
 */
import type { ClusterMode, VersionProfile } from "./schema.ts";

export const PRESET_NAMES = [
  "zk-single-kafka-single",
  "zk-single-kafka-multiple",
  "zk-multiple-kafka-single",
  "zk-multiple-kafka-multiple",
  "kraft-combined",
  "kraft-dedicated-controllers",
] as const;

export type PresetName = (typeof PRESET_NAMES)[number];

export interface ClusterPreset {
  readonly name: PresetName;
  /** One line for docs and `--help`. */
  readonly summary: string;
  /** The version profile unless the file sets one; null: the format's default. */
  readonly version: VersionProfile | null;
  readonly mode: ClusterMode;
  readonly brokers: number;
  /** KRaft: "combined" or a count of dedicated controllers; ZooKeeper: the ensemble size. */
  readonly controllers: "combined" | number;
  /** Broker configs the compose file sets (Kafka's names). */
  readonly config: Readonly<Record<string, number>>;
  /** For a ZooKeeper preset: the KRaft preset that plays its part on Kafka 4.0 and later. */
  readonly kraftEquivalent: PresetName | null;
}

/**
 * The version of the ZooKeeper presets: a 3.x release line (conduktor's files run Confluent
 * Platform 7.x images, Kafka 3.x), well before ZooKeeper mode was removed in 4.0.
 */
export const ZOOKEEPER_PRESET_VERSION: VersionProfile = "3.6";

/**
 * Single-broker compose files set the internal topics' replication to 1 (Kafka's defaults, 3,
 * cannot be met by one broker): `KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: 1`,
 * `KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: 1`, `KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: 1`.
 */
const SINGLE_BROKER_CONFIG = {
  "offsets.topic.replication.factor": 1,
  "transaction.state.log.replication.factor": 1,
  "transaction.state.log.min.isr": 1,
} as const;

export const CLUSTER_PRESETS: Readonly<Record<PresetName, ClusterPreset>> = {
  "zk-single-kafka-single": {
    name: "zk-single-kafka-single",
    summary: "ZooKeeper mode: 1 ZooKeeper node, 1 broker",
    version: ZOOKEEPER_PRESET_VERSION,
    mode: "zookeeper",
    brokers: 1,
    controllers: 1,
    config: SINGLE_BROKER_CONFIG,
    kraftEquivalent: "kraft-combined",
  },
  "zk-single-kafka-multiple": {
    name: "zk-single-kafka-multiple",
    summary: "ZooKeeper mode: 1 ZooKeeper node, 3 brokers",
    version: ZOOKEEPER_PRESET_VERSION,
    mode: "zookeeper",
    brokers: 3,
    controllers: 1,
    config: {},
    kraftEquivalent: "kraft-combined",
  },
  "zk-multiple-kafka-single": {
    name: "zk-multiple-kafka-single",
    summary: "ZooKeeper mode: 3 ZooKeeper nodes, 1 broker",
    version: ZOOKEEPER_PRESET_VERSION,
    mode: "zookeeper",
    brokers: 1,
    controllers: 3,
    config: SINGLE_BROKER_CONFIG,
    kraftEquivalent: "kraft-dedicated-controllers",
  },
  "zk-multiple-kafka-multiple": {
    name: "zk-multiple-kafka-multiple",
    summary: "ZooKeeper mode: 3 ZooKeeper nodes, 3 brokers",
    version: ZOOKEEPER_PRESET_VERSION,
    mode: "zookeeper",
    brokers: 3,
    controllers: 3,
    config: {},
    kraftEquivalent: "kraft-dedicated-controllers",
  },
  "kraft-combined": {
    name: "kraft-combined",
    summary: "KRaft: 3 nodes, each a broker and a controller",
    version: null,
    mode: "kraft",
    brokers: 3,
    controllers: "combined",
    config: {},
    kraftEquivalent: null,
  },
  "kraft-dedicated-controllers": {
    name: "kraft-dedicated-controllers",
    summary: "KRaft: 3 brokers and 3 dedicated controllers",
    version: null,
    mode: "kraft",
    brokers: 3,
    controllers: 3,
    config: {},
    kraftEquivalent: null,
  },
};

/** The preset of that name, if there is one (the schema has already checked the name). */
export function clusterPreset(name: string): ClusterPreset | undefined {
  return (PRESET_NAMES as readonly string[]).includes(name)
    ? CLUSTER_PRESETS[name as PresetName]
    : undefined;
}
