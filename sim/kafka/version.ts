/**
 * Kafka version profiles: which behaviours and which config defaults a simulated cluster has,
 * selected by a scenario's `cluster.version` (kafka-reference.md §0).
 *
 * Models: every minor release from 0.10 to 4.1 as one profile of behaviour flags plus the config
 * defaults that changed between releases. The flags are derived from thresholds (the release that
 * introduced each behaviour), so adding a release is one line in KAFKA_VERSIONS and, when a default
 * changed, one line in DEFAULT_CHANGES. docs/versions.md lists every flag with its source.
 *
 * Simplifies: a profile stands for the first release of its line (x.y.0), except "0.10", which
 * stands for 0.10.2, the 0.10 release most people ran (it has max.poll.interval.ms and a 10 s
 * consumer session). Patch releases are not told apart: "3.0.1" selects the 3.0 profile, whose
 * producer behaves like 3.0.0 (idempotence not yet on by default, KAFKA-13598). Flags describe a
 * cluster created fresh on that release, not one upgraded from an older release (upgraded clusters
 * keep older metadata versions and feature levels).
 *
 * Faults: none; pure data and functions.
 */

import type { ConfigKind, ConfigValue } from "./config-defs.ts";

/** Every modelled release line, oldest first. The order is the version order. */
export const KAFKA_VERSIONS = [
  "0.10",
  "0.11",
  "1.0",
  "1.1",
  "2.0",
  "2.1",
  "2.2",
  "2.3",
  "2.4",
  "2.5",
  "2.6",
  "2.7",
  "2.8",
  "3.0",
  "3.1",
  "3.2",
  "3.3",
  "3.4",
  "3.5",
  "3.6",
  "3.7",
  "3.8",
  "3.9",
  "4.0",
  "4.1",
] as const;

export type KafkaVersion = (typeof KAFKA_VERSIONS)[number];

export const DEFAULT_VERSION: KafkaVersion = "4.1";

export type ClusterMode = "kraft" | "zookeeper";

/**
 * How a follower finds where its log diverges from the new leader's (reference §2.7):
 * - `hw`: truncate to its own high watermark (before KIP-101);
 * - `kip101`: OffsetsForLeaderEpoch with the follower's latest epoch (0.11);
 * - `kip279`: the reply also carries an epoch, so the follower asks again until they agree (2.0);
 * - `diverging-epoch`: the same check inside Fetch (`lastFetchedEpoch` / `divergingEpoch`, 2.7).
 */
export type TruncationMode = "hw" | "kip101" | "kip279" | "diverging-epoch";

/**
 * How the producer picks a partition for a record without a key (reference §7.1):
 * round-robin before 2.4, sticky per batch (KIP-480) from 2.4, uniform sticky switching after
 * `batch.size` bytes (KIP-794) from 3.3.
 */
export type PartitionerKind = "round-robin" | "sticky-kip480" | "uniform-sticky-kip794";

/** KIP-848 consumer group protocol (`group.protocol=consumer`). */
export type ConsumerProtocolStatus = "none" | "early-access" | "ga";

/**
 * KIP-890 transaction server-side defence: none; part 1, partition leaders verify with the
 * coordinator that a transactional write belongs to an open transaction (3.6); part 2 ("TV2"),
 * the epoch is bumped on every transaction and partitions join implicitly (4.0, new clusters).
 */
export type Kip890Status = "none" | "verification" | "tv2";

export interface VersionProfile {
  readonly version: KafkaVersion;
  /** The release the profile stands for, e.g. "3.6.0" ("0.10.2" for "0.10"). */
  readonly release: string;
  readonly truncation: TruncationMode;
  /** KIP-320 (2.1): fetches carry the leader epoch; consumers detect log truncation. */
  readonly kip320: boolean;
  /** KIP-497 (2.7): the leader proposes ISR changes with AlterPartition; before, it writes ZK. */
  readonly alterPartition: boolean;
  /** KAFKA-15583 (3.7): the HW does not advance while ISR < min.insync.replicas. */
  readonly minIsrHwGate: boolean;
  /** KIP-966 (3.7 code, KRaft only): Eligible Leader Replicas can be turned on. */
  readonly elrAvailable: boolean;
  /** ELR on for a cluster created on this release (4.1: `eligible.leader.replicas.version=1`). */
  readonly elrDefaultEnabled: boolean;
  /** KAFKA-15585 (3.8): `kafka-topics --describe` prints `Elr:` and `LastKnownElr:`. */
  readonly describePrintsElr: boolean;
  /** Metadata modes the simulator offers for this release. */
  readonly modes: readonly ClusterMode[];
  /** The mode used when a scenario does not say (kraft from 3.3, zookeeper before). */
  readonly defaultMode: ClusterMode;
  /** KAFKA-15021: KRaft metadata versions before 3.6 bump the leader epoch on ISR shrink. */
  readonly leaderEpochBumpOnIsrShrink: boolean;
  /**
   * KAFKA-12670 (3.9): a KRaft controller honours `unclean.leader.election.enable` (static, and
   * dynamic with a periodic check). Before 3.9 a KRaft cluster elects uncleanly only when asked to
   * by `kafka-leader-election --election-type unclean`. ZooKeeper mode always honoured it.
   */
  readonly kraftUncleanElectionConfig: boolean;
  readonly partitioner: PartitionerKind;
  /** KIP-98 (0.11): idempotent producer, transactions, record batch format v2. */
  readonly idempotenceAvailable: boolean;
  /**
   * Whether a producer that does not set `enable.idempotence` is idempotent. The config default
   * became true in 3.0 (KIP-679), but a bug (KAFKA-13598) kept it off until 3.0.1, 3.1.1 and 3.2.0;
   * the profiles stand for x.y.0, so 3.0 and 3.1 are false.
   */
  readonly idempotenceDefault: boolean;
  /** KIP-345 (2.3): static membership (`group.instance.id`). */
  readonly staticMembership: boolean;
  /** KIP-429 (2.4): cooperative incremental rebalancing (`CooperativeStickyAssignor`). */
  readonly cooperativeRebalance: boolean;
  /** KIP-447 (2.5): transactional offset commits are fenced through the consumer group. */
  readonly kip447: boolean;
  /** KIP-588 (2.7): a stale producer epoch on produce gives INVALID_PRODUCER_EPOCH, retriable. */
  readonly invalidProducerEpochError: boolean;
  readonly kip890: Kip890Status;
  readonly consumerProtocol: ConsumerProtocolStatus;
  /** KIP-848 can be used at all (early access 3.7–3.9, needing broker opt-in; GA from 4.0). */
  readonly consumerProtocolAvailable: boolean;
  /** KIP-724 (4.0): message formats v0/v1 and down-conversion for old consumers are gone. */
  readonly downConversion: boolean;
  /**
   * Config defaults that differ from the newest release's, by config kind. Keys absent here take
   * the default in config-defs.ts.
   */
  readonly defaultOverrides: Readonly<Record<ConfigKind, Readonly<Record<string, ConfigValue>>>>;
}

/** A config default that changed: before `changedIn` it was `before`. */
export interface DefaultChange {
  readonly kind: ConfigKind;
  readonly name: string;
  readonly changedIn: KafkaVersion;
  readonly before: ConfigValue;
  /** First release that has the config, when it is newer than the oldest profile. */
  readonly since?: KafkaVersion;
  /** Where the change is documented (KIP, JIRA, upgrade notes). */
  readonly source: string;
}

/**
 * Java's Long.MAX_VALUE as the simulator holds it (see LONG_MAX in config-defs.ts, which is the
 * same number). Repeated here as a literal so this file has no runtime imports.
 */
const LONG_MAX_SENTINEL = Number.MAX_SAFE_INTEGER;

/**
 * Every config default that changed within the modelled releases. When one key changed more than
 * once, list its changes oldest first.
 */
export const DEFAULT_CHANGES: readonly DefaultChange[] = [
  // broker
  {
    kind: "broker",
    name: "unclean.leader.election.enable",
    changedIn: "0.11",
    before: true,
    source: "docs/upgrade.html, notable changes in 0.11.0",
  },
  {
    kind: "broker",
    name: "delete.topic.enable",
    changedIn: "1.0",
    before: false,
    source: "docs/upgrade.html, notable changes in 1.0.0 (KAFKA-5384)",
  },
  {
    kind: "broker",
    name: "offsets.retention.minutes",
    changedIn: "2.0",
    before: 1440,
    source: "KIP-186",
  },
  {
    kind: "broker",
    name: "message.max.bytes",
    changedIn: "2.5",
    before: 1000012,
    source: "KAFKA-4203 (1 MiB plus batch overhead, matching the producer's max.request.size)",
  },
  {
    kind: "broker",
    name: "replica.lag.time.max.ms",
    changedIn: "2.5",
    before: 10000,
    source: "KIP-537",
  },
  {
    kind: "broker",
    name: "group.max.session.timeout.ms",
    changedIn: "2.3",
    before: 300000,
    source: "KIP-345 (KAFKA-3636 had set 5 minutes in 0.10)",
  },
  {
    kind: "broker",
    name: "zookeeper.session.timeout.ms",
    changedIn: "2.5",
    before: 6000,
    source: "KIP-537",
  },
  {
    kind: "broker",
    name: "log.message.timestamp.after.max.ms",
    changedIn: "4.0",
    since: "3.6",
    before: LONG_MAX_SENTINEL,
    source: "KIP-1030",
  },
  {
    kind: "broker",
    name: "num.recovery.threads.per.data.dir",
    changedIn: "4.0",
    before: 1,
    source: "KIP-1030",
  },
  {
    kind: "broker",
    name: "group.coordinator.rebalance.protocols",
    changedIn: "4.0",
    since: "3.7",
    before: ["classic"],
    source: "KIP-848 GA, 4.0 upgrade notes",
  },
  {
    kind: "broker",
    name: "eligible.leader.replicas.version",
    changedIn: "4.1",
    since: "4.0",
    before: 0,
    source: "kafka.apache.org/41/operations/eligible-leader-replicas (on for new 4.1 clusters)",
  },
  // topic
  {
    kind: "topic",
    name: "unclean.leader.election.enable",
    changedIn: "0.11",
    before: true,
    source: "docs/upgrade.html, notable changes in 0.11.0",
  },
  {
    kind: "topic",
    name: "max.message.bytes",
    changedIn: "2.5",
    before: 1000012,
    source: "KAFKA-4203",
  },
  {
    kind: "topic",
    name: "message.timestamp.after.max.ms",
    changedIn: "4.0",
    since: "3.6",
    before: LONG_MAX_SENTINEL,
    source: "KIP-1030",
  },
  // producer
  { kind: "producer", name: "retries", changedIn: "2.1", before: 0, source: "KIP-91" },
  { kind: "producer", name: "acks", changedIn: "3.0", before: "1", source: "KIP-679" },
  {
    kind: "producer",
    name: "enable.idempotence",
    changedIn: "3.2",
    since: "0.11",
    before: false,
    source: "KIP-679 made the default true in 3.0; KAFKA-13598 kept it off until 3.0.1/3.1.1/3.2.0",
  },
  {
    kind: "producer",
    name: "partitioner.class",
    changedIn: "3.3",
    before: "org.apache.kafka.clients.producer.internals.DefaultPartitioner",
    source: "KIP-794 (the built-in partitioner replaced DefaultPartitioner)",
  },
  { kind: "producer", name: "linger.ms", changedIn: "4.0", before: 0, source: "KIP-1030" },
  // consumer
  {
    kind: "consumer",
    name: "request.timeout.ms",
    changedIn: "2.0",
    before: 305000,
    source: "KIP-266",
  },
  {
    kind: "consumer",
    name: "session.timeout.ms",
    changedIn: "3.0",
    before: 10000,
    source: "KIP-735",
  },
  {
    kind: "consumer",
    name: "partition.assignment.strategy",
    changedIn: "3.0",
    before: ["org.apache.kafka.clients.consumer.RangeAssignor"],
    source: "docs/upgrade.html, notable changes in 3.0.0",
  },
];

const VERSION_INDEX: ReadonlyMap<string, number> = new Map(KAFKA_VERSIONS.map((v, i) => [v, i]));

export function isKafkaVersion(text: string): text is KafkaVersion {
  return VERSION_INDEX.has(text);
}

/** Negative if a is older than b, 0 if equal, positive if newer. */
export function compareVersions(a: KafkaVersion, b: KafkaVersion): number {
  return VERSION_INDEX.get(a)! - VERSION_INDEX.get(b)!;
}

/** True when `v` is `min` or newer. */
export function versionAtLeast(v: KafkaVersion, min: KafkaVersion): boolean {
  return compareVersions(v, min) >= 0;
}

function truncationFor(v: KafkaVersion): TruncationMode {
  if (versionAtLeast(v, "2.7")) return "diverging-epoch";
  if (versionAtLeast(v, "2.0")) return "kip279";
  if (versionAtLeast(v, "0.11")) return "kip101";
  return "hw";
}

function partitionerFor(v: KafkaVersion): PartitionerKind {
  if (versionAtLeast(v, "3.3")) return "uniform-sticky-kip794";
  if (versionAtLeast(v, "2.4")) return "sticky-kip480";
  return "round-robin";
}

function consumerProtocolFor(v: KafkaVersion): ConsumerProtocolStatus {
  if (versionAtLeast(v, "4.0")) return "ga";
  if (versionAtLeast(v, "3.7")) return "early-access";
  return "none";
}

function kip890For(v: KafkaVersion): Kip890Status {
  if (versionAtLeast(v, "4.0")) return "tv2";
  if (versionAtLeast(v, "3.6")) return "verification";
  return "none";
}

/**
 * KRaft was early access from 2.8 (KIP-500) and production-ready in 3.3 (KIP-833); the simulator
 * offers it from 3.3 only. ZooKeeper mode is gone in 4.0.
 */
function modesFor(v: KafkaVersion): readonly ClusterMode[] {
  if (versionAtLeast(v, "4.0")) return ["kraft"];
  if (versionAtLeast(v, "3.3")) return ["kraft", "zookeeper"];
  return ["zookeeper"];
}

function defaultOverridesFor(v: KafkaVersion): VersionProfile["defaultOverrides"] {
  const out: Record<ConfigKind, Record<string, ConfigValue>> = {
    broker: {},
    topic: {},
    producer: {},
    consumer: {},
  };
  // Changes are listed oldest first per key, so the first change still ahead of `v` holds the
  // value `v` had; later changes of the same key are skipped once that value is set.
  for (const change of DEFAULT_CHANGES) {
    const forKind = out[change.kind];
    const exists = change.since === undefined || compareVersions(v, change.since) >= 0;
    if (exists && compareVersions(v, change.changedIn) < 0 && !(change.name in forKind)) {
      forKind[change.name] = change.before;
    }
  }
  return out;
}

function buildProfile(v: KafkaVersion): VersionProfile {
  const consumerProtocol = consumerProtocolFor(v);
  const modes = modesFor(v);
  return {
    version: v,
    release: v === "0.10" ? "0.10.2" : `${v}.0`,
    truncation: truncationFor(v),
    kip320: versionAtLeast(v, "2.1"),
    alterPartition: versionAtLeast(v, "2.7"),
    minIsrHwGate: versionAtLeast(v, "3.7"),
    elrAvailable: versionAtLeast(v, "3.7"),
    elrDefaultEnabled: versionAtLeast(v, "4.1"),
    describePrintsElr: versionAtLeast(v, "3.8"),
    modes,
    defaultMode: modes[0]!,
    leaderEpochBumpOnIsrShrink: !versionAtLeast(v, "3.6"),
    kraftUncleanElectionConfig: versionAtLeast(v, "3.9"),
    partitioner: partitionerFor(v),
    idempotenceAvailable: versionAtLeast(v, "0.11"),
    idempotenceDefault: versionAtLeast(v, "3.2"),
    staticMembership: versionAtLeast(v, "2.3"),
    cooperativeRebalance: versionAtLeast(v, "2.4"),
    kip447: versionAtLeast(v, "2.5"),
    invalidProducerEpochError: versionAtLeast(v, "2.7"),
    kip890: kip890For(v),
    consumerProtocol,
    consumerProtocolAvailable: consumerProtocol !== "none",
    downConversion: !versionAtLeast(v, "4.0"),
    defaultOverrides: defaultOverridesFor(v),
  };
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

// Built once, frozen: profiles are shared by every actor of a run and must not drift.
const PROFILES: ReadonlyMap<KafkaVersion, VersionProfile> = new Map(
  KAFKA_VERSIONS.map((v) => [v, deepFreeze(buildProfile(v))]),
);

export function versionProfile(v: KafkaVersion): VersionProfile {
  const profile = PROFILES.get(v);
  if (profile === undefined) throw new RangeError(`unknown Kafka version profile ${String(v)}`);
  return profile;
}

export type ParseVersionResult =
  | {
      readonly ok: true;
      readonly version: KafkaVersion;
      readonly profile: VersionProfile;
      /** Set when the input was accepted with an adjustment worth telling (a patch number). */
      readonly note?: string;
    }
  | {
      readonly ok: false;
      readonly error: string;
      /** The modelled version nearest to what was asked for, when there is one. */
      readonly suggestion?: KafkaVersion;
    };

const VERSION_PATTERN = /^[vV]?(\d{1,3})\.(\d{1,3})(?:\.(\d{1,3}))?$/;

function rank(major: number, minor: number): number {
  return major * 1000 + minor;
}

const KNOWN_RANKS: readonly number[] = KAFKA_VERSIONS.map((v) => {
  const [major, minor] = v.split(".").map(Number);
  return rank(major!, minor!);
});

/** The modelled versions just below and just above a rank (either may be missing). */
function neighbours(r: number): { below?: KafkaVersion; above?: KafkaVersion } {
  let below: KafkaVersion | undefined;
  let above: KafkaVersion | undefined;
  KAFKA_VERSIONS.forEach((v, i) => {
    const known = KNOWN_RANKS[i]!;
    if (known < r) below = v;
    if (known > r && above === undefined) above = v;
  });
  return { below, above };
}

/**
 * Reads a version as a scenario or a command line gives it: "3.6", "3.6.1", "v3.6", or a YAML
 * number (3.6, or 4 for "4.0"). Unknown versions get an error naming the nearest modelled ones.
 */
export function parseVersion(input: string | number): ParseVersionResult {
  const text =
    typeof input === "number"
      ? Number.isInteger(input)
        ? `${input}.0`
        : String(input)
      : input.trim();
  if (typeof input === "number" && text === "0.1") {
    return {
      ok: false,
      error: 'Kafka 0.1 is not a release; YAML reads 0.10 as the number 0.1, so quote it: "0.10"',
      suggestion: "0.10",
    };
  }
  const match = VERSION_PATTERN.exec(text);
  if (match === null) {
    return {
      ok: false,
      error:
        `\`${text}\` is not a Kafka version; write major.minor, e.g. "4.1" or "3.6" ` +
        `(modelled: ${KAFKA_VERSIONS.join(", ")})`,
    };
  }
  const major = Number(match[1]);
  const minor = Number(match[2]);
  const key = `${major}.${minor}`;
  if (isKafkaVersion(key)) {
    const note =
      match[3] === undefined
        ? undefined
        : `patch releases are not modelled separately: ${text} uses the ${key} profile ` +
          `(which behaves as ${versionProfile(key).release})`;
    return note === undefined
      ? { ok: true, version: key, profile: versionProfile(key) }
      : { ok: true, version: key, profile: versionProfile(key), note };
  }
  const { below, above } = neighbours(rank(major, minor));
  if (below === undefined) {
    return {
      ok: false,
      error: `Kafka ${key} is older than the oldest modelled version, ${KAFKA_VERSIONS[0]}`,
      suggestion: above!,
    };
  }
  if (above === undefined) {
    return {
      ok: false,
      error: `Kafka ${key} is newer than the newest modelled version, ${below}`,
      suggestion: below,
    };
  }
  return {
    ok: false,
    error: `Kafka ${key} is not a modelled version; the nearest are ${below} and ${above}`,
    suggestion: below,
  };
}
