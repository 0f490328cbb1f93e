/**
 * Kafka's configuration definitions as data: broker, topic, producer and consumer configs with
 * their types, defaults, valid values, importance, and the releases that added or removed them.
 *
 * Models: the ConfigDef tables of Kafka's source (ServerLogConfigs, ReplicationConfigs,
 * KRaftConfigs, GroupCoordinatorConfig, TransactionLogConfig, LogConfig/TopicConfig,
 * ProducerConfig, ConsumerConfig). `default` is the newest release's (4.1); older defaults come
 * from the version profile (version.ts, DEFAULT_CHANGES). The topic ↔ broker synonym table follows
 * ServerTopicConfigSynonyms, including the `log.retention.ms` > `.minutes` > `.hours` and
 * `log.roll.ms` > `log.roll.hours` precedence.
 *
 * Simplifies: only the configs a course touches and the simulator reads (security, SSL/SASL,
 * metrics, quotas and tiered storage are left out). Java's `short` is `int` here. Long.MAX_VALUE
 * cannot be held exactly by a JavaScript number, so it is stored as LONG_MAX
 * (Number.MAX_SAFE_INTEGER) and printed back as 9223372036854775807; models must treat it as "no
 * limit" before converting milliseconds to microseconds. Doc strings are one line, our own words.
 *
 * Faults: none; pure data.
 */

import { compareVersions, type KafkaVersion, versionProfile } from "./version.ts";

export type ConfigKind = "broker" | "topic" | "producer" | "consumer";

export type ConfigType =
  | "int"
  | "long"
  | "double"
  | "boolean"
  | "string"
  | "list"
  | "class"
  | "password";

/** A typed config value: numbers for int/long/double, string[] for lists, null for "not set". */
export type ConfigValue = number | boolean | string | readonly string[] | null;

export type Importance = "high" | "medium" | "low";

export type ConfigValidator =
  /** Inclusive bounds (ConfigDef.Range). */
  | { readonly kind: "range"; readonly min?: number; readonly max?: number }
  /** One of these strings (ConfigDef.ValidString, or CaseInsensitiveValidString). */
  | {
      readonly kind: "oneOf";
      readonly values: readonly string[];
      readonly caseInsensitive?: boolean;
    }
  /** A list whose items are all among these strings (ConfigDef.ValidList). */
  | { readonly kind: "listOf"; readonly values: readonly string[] }
  /** A string that, when set, is not empty (ConfigDef.NonEmptyString). */
  | { readonly kind: "nonEmpty" };

export interface ConfigDef {
  readonly name: string;
  readonly kind: ConfigKind;
  readonly type: ConfigType;
  /** The newest release's default; see configDefault() for other releases. null: not set. */
  readonly default: ConfigValue;
  readonly validator?: ConfigValidator;
  readonly importance: Importance;
  /** One line, our own words. */
  readonly doc: string;
  /** First release that has it; absent: every modelled release. */
  readonly since?: KafkaVersion;
  /** First release that no longer has it. */
  readonly removedIn?: KafkaVersion;
  /** Broker configs: can be changed without a restart (kafka-configs --alter). */
  readonly dynamic?: boolean;
  /** Kafka defines it as internal: accepted, never listed by describe --all. */
  readonly internal?: boolean;
  /**
   * Not a config in Kafka but a feature level (set with `kafka-storage format --feature` or
   * `kafka-features upgrade`); the simulator accepts it in the broker config for convenience.
   */
  readonly feature?: boolean;
}

/** Java's Long.MAX_VALUE as held by the simulator ("no limit"). See the header. */
export const LONG_MAX = Number.MAX_SAFE_INTEGER;
/** How Kafka prints Long.MAX_VALUE. */
export const LONG_MAX_TEXT = "9223372036854775807";
export const INT_MAX = 2147483647;
export const INT_MIN = -2147483648;

type Extra = Partial<
  Pick<ConfigDef, "validator" | "since" | "removedIn" | "dynamic" | "internal" | "feature">
>;

function define(kind: ConfigKind) {
  return (
    name: string,
    type: ConfigType,
    dflt: ConfigValue,
    importance: Importance,
    doc: string,
    extra: Extra = {},
  ): ConfigDef => ({ name, kind, type, default: dflt, importance, doc, ...extra });
}

const atLeast = (min: number): ConfigValidator => ({ kind: "range", min });
const between = (min: number, max: number): ConfigValidator => ({ kind: "range", min, max });
const oneOf = (...values: string[]): ConfigValidator => ({ kind: "oneOf", values });
const oneOfCi = (...values: string[]): ConfigValidator => ({
  kind: "oneOf",
  values,
  caseInsensitive: true,
});
const listOf = (...values: string[]): ConfigValidator => ({ kind: "listOf", values });

const HOUR_MS = 3600000;
const MINUTE_MS = 60000;

/** Topic-level compression names (BrokerCompressionType): note `uncompressed`, not `none`. */
const BROKER_COMPRESSION = ["uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"];
const CLIENT_COMPRESSION = ["none", "gzip", "snappy", "lz4", "zstd"];
const SECURITY_PROTOCOLS = ["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"];

export const ASSIGNOR_CLASSES = {
  range: "org.apache.kafka.clients.consumer.RangeAssignor",
  roundrobin: "org.apache.kafka.clients.consumer.RoundRobinAssignor",
  sticky: "org.apache.kafka.clients.consumer.StickyAssignor",
  "cooperative-sticky": "org.apache.kafka.clients.consumer.CooperativeStickyAssignor",
} as const;

const b = define("broker");
const t = define("topic");
const p = define("producer");
const c = define("consumer");

export const BROKER_CONFIGS: readonly ConfigDef[] = [
  // identity and roles
  b("broker.id", "int", -1, "high", "This broker's id; -1 lets ZooKeeper mode generate one."),
  b("node.id", "int", -1, "high", "This node's id in KRaft mode (broker, controller or both).", {
    since: "2.8",
  }),
  b(
    "process.roles",
    "list",
    [],
    "high",
    "KRaft roles of this process: broker, controller, or both.",
    {
      validator: listOf("broker", "controller"),
      since: "2.8",
    },
  ),
  b(
    "controller.quorum.voters",
    "list",
    [],
    "high",
    "Static KRaft quorum: id@host:port of each voter.",
    {
      since: "2.8",
    },
  ),
  b("controller.listener.names", "string", null, "high", "Listeners the KRaft controllers use.", {
    since: "2.8",
  }),
  b(
    "controller.quorum.election.timeout.ms",
    "int",
    1000,
    "high",
    "KRaft: a voter without a leader waits this long (randomized up to twice) before an election.",
    { since: "2.8" },
  ),
  b(
    "controller.quorum.fetch.timeout.ms",
    "int",
    2000,
    "high",
    "KRaft: a follower that has not fetched from the leader for this long starts an election.",
    { since: "2.8" },
  ),
  b(
    "controller.quorum.election.backoff.max.ms",
    "int",
    1000,
    "high",
    "KRaft: longest backoff before a candidate that lost an election tries again.",
    { since: "2.8" },
  ),
  b(
    "controller.quorum.request.timeout.ms",
    "int",
    2000,
    "medium",
    "KRaft: a quorum request without a response for this long is sent again.",
    { since: "2.8" },
  ),
  b(
    "controller.quorum.retry.backoff.ms",
    "int",
    20,
    "low",
    "KRaft: wait this long before retrying a failed quorum request.",
    { since: "2.8" },
  ),
  b(
    "listeners",
    "list",
    ["PLAINTEXT://:9092"],
    "high",
    "Addresses and protocols the broker listens on.",
  ),
  b("advertised.listeners", "string", null, "high", "Addresses the broker tells clients to use."),
  b(
    "security.inter.broker.protocol",
    "string",
    "PLAINTEXT",
    "medium",
    "Protocol brokers use among themselves; SSL turns the zero-copy path off for replication.",
    { validator: oneOfCi(...SECURITY_PROTOCOLS) },
  ),
  b(
    "log.dirs",
    "list",
    null,
    "high",
    "Directories holding partition logs (one per disk); overrides log.dir.",
  ),
  b("log.dir", "list", ["/tmp/kafka-logs"], "high", "Log directory used when log.dirs is not set."),
  b("zookeeper.connect", "string", null, "high", "ZooKeeper connection string (ZooKeeper mode).", {
    removedIn: "4.0",
  }),
  b(
    "zookeeper.session.timeout.ms",
    "int",
    18000,
    "high",
    "ZooKeeper session timeout: a broker is gone after this long without contact.",
    {
      removedIn: "4.0",
    },
  ),
  b(
    "zookeeper.connection.timeout.ms",
    "int",
    null,
    "high",
    "Wait this long to connect to ZooKeeper; unset uses the session timeout.",
    {
      removedIn: "4.0",
    },
  ),
  b(
    "broker.session.timeout.ms",
    "int",
    9000,
    "medium",
    "KRaft: a broker without a heartbeat for this long is fenced.",
    {
      since: "2.8",
    },
  ),
  b(
    "broker.heartbeat.interval.ms",
    "int",
    2000,
    "medium",
    "KRaft: time between a broker's heartbeats to the controller.",
    {
      since: "2.8",
    },
  ),
  b(
    "controlled.shutdown.enable",
    "boolean",
    true,
    "medium",
    "Move leadership away before a broker shuts down.",
  ),
  b(
    "controlled.shutdown.max.retries",
    "int",
    3,
    "medium",
    "ZooKeeper mode: controlled shutdown attempts before the broker shuts down anyway.",
    { removedIn: "4.0" },
  ),
  b(
    "controlled.shutdown.retry.backoff.ms",
    "long",
    5000,
    "medium",
    "ZooKeeper mode: wait between controlled shutdown attempts.",
    { removedIn: "4.0" },
  ),
  b(
    "controller.socket.timeout.ms",
    "int",
    30000,
    "medium",
    "ZooKeeper mode: the controller's request timeout towards brokers.",
    { removedIn: "4.0" },
  ),
  b(
    "zookeeper.max.in.flight.requests",
    "int",
    10,
    "high",
    "ZooKeeper mode: unacknowledged requests the broker's ZooKeeper client pipelines.",
    { since: "2.0", removedIn: "4.0" },
  ),
  // topic defaults and elections
  b("num.partitions", "int", 1, "medium", "Partition count of automatically created topics.", {
    validator: atLeast(1),
  }),
  b(
    "default.replication.factor",
    "int",
    1,
    "medium",
    "Replication factor of automatically created topics.",
  ),
  b(
    "min.insync.replicas",
    "int",
    1,
    "high",
    "Default minimum ISR size for acks=all writes to succeed.",
    {
      validator: atLeast(1),
      dynamic: true,
    },
  ),
  b(
    "unclean.leader.election.enable",
    "boolean",
    false,
    "high",
    "Default for electing an out-of-sync replica as a last resort (may lose data).",
    {
      dynamic: true,
    },
  ),
  b(
    "unclean.leader.election.interval.ms",
    "long",
    300000,
    "low",
    "KRaft: how often the controller looks for partitions to elect uncleanly.",
    {
      since: "3.9",
      internal: true,
    },
  ),
  b(
    "eligible.leader.replicas.enable",
    "boolean",
    false,
    "medium",
    "KRaft controller: enable Eligible Leader Replicas (KIP-966).",
    {
      since: "3.7",
      removedIn: "4.0",
    },
  ),
  b(
    "eligible.leader.replicas.version",
    "int",
    1,
    "medium",
    "Feature level; 1 turns on Eligible Leader Replicas (KIP-966).",
    {
      validator: between(0, 1),
      since: "4.0",
      feature: true,
    },
  ),
  b(
    "auto.create.topics.enable",
    "boolean",
    true,
    "high",
    "Create a topic when a client first asks for it.",
  ),
  b("delete.topic.enable", "boolean", true, "high", "Allow topics to be deleted."),
  b(
    "auto.leader.rebalance.enable",
    "boolean",
    true,
    "high",
    "Move leadership back to preferred replicas periodically.",
  ),
  b(
    "leader.imbalance.check.interval.seconds",
    "long",
    300,
    "high",
    "How often the controller checks leader balance.",
    {
      validator: atLeast(1),
    },
  ),
  b(
    "leader.imbalance.per.broker.percentage",
    "int",
    10,
    "high",
    "Share of non-preferred leaders a broker may have before a rebalance.",
  ),
  // replication
  b(
    "replica.lag.time.max.ms",
    "long",
    30000,
    "high",
    "A follower that has not caught up for this long leaves the ISR.",
  ),
  b(
    "replica.fetch.wait.max.ms",
    "int",
    500,
    "medium",
    "Longest a follower's fetch waits at the leader for data.",
  ),
  b(
    "replica.fetch.min.bytes",
    "int",
    1,
    "medium",
    "Bytes a follower's fetch waits for before the leader answers.",
  ),
  b(
    "replica.fetch.max.bytes",
    "int",
    1048576,
    "medium",
    "Bytes a follower asks for per partition in one fetch.",
    {
      validator: atLeast(0),
    },
  ),
  b(
    "replica.fetch.response.max.bytes",
    "int",
    10485760,
    "medium",
    "Bytes a follower asks for in one whole fetch response.",
    {
      validator: atLeast(0),
    },
  ),
  b(
    "replica.fetch.backoff.ms",
    "int",
    1000,
    "medium",
    "Pause of a follower's fetcher after a fetch error.",
    {
      validator: atLeast(0),
    },
  ),
  b("replica.socket.timeout.ms", "int", 30000, "high", "Timeout of a follower's fetch requests."),
  b(
    "num.replica.fetchers",
    "int",
    1,
    "high",
    "Fetcher threads per source broker on each follower.",
    {
      dynamic: true,
    },
  ),
  b(
    "replica.high.watermark.checkpoint.interval.ms",
    "long",
    5000,
    "high",
    "How often each replica writes its high watermarks to disk.",
  ),
  b(
    "message.max.bytes",
    "int",
    1048588,
    "high",
    "Largest record batch the broker accepts (topic: max.message.bytes).",
    {
      validator: atLeast(0),
      dynamic: true,
    },
  ),
  b(
    "compression.type",
    "string",
    "producer",
    "high",
    "Default topic compression; producer keeps what the producer sent.",
    {
      validator: oneOf(...BROKER_COMPRESSION),
      dynamic: true,
    },
  ),
  // log segments and retention
  b(
    "log.segment.bytes",
    "int",
    1073741824,
    "high",
    "Size at which a log segment is closed and a new one started.",
    {
      validator: atLeast(1048576),
      dynamic: true,
    },
  ),
  b(
    "log.roll.ms",
    "long",
    null,
    "high",
    "Age at which a segment is rolled; overrides log.roll.hours.",
    {
      dynamic: true,
    },
  ),
  b(
    "log.roll.hours",
    "int",
    168,
    "high",
    "Age in hours at which a segment is rolled, when log.roll.ms is unset.",
    {
      validator: atLeast(1),
      dynamic: true,
    },
  ),
  b(
    "log.roll.jitter.ms",
    "long",
    null,
    "high",
    "Most random time subtracted from the roll age; overrides the hours form.",
    {
      dynamic: true,
    },
  ),
  b(
    "log.roll.jitter.hours",
    "int",
    0,
    "high",
    "Roll jitter in hours, when log.roll.jitter.ms is unset.",
    {
      validator: atLeast(0),
      dynamic: true,
    },
  ),
  b(
    "log.retention.ms",
    "long",
    null,
    "high",
    "Keep segments this long; -1 keeps them forever. Overrides minutes and hours.",
    {
      dynamic: true,
    },
  ),
  b(
    "log.retention.minutes",
    "int",
    null,
    "high",
    "Retention in minutes, when log.retention.ms is unset.",
    {
      dynamic: true,
    },
  ),
  b(
    "log.retention.hours",
    "int",
    168,
    "high",
    "Retention in hours, when neither ms nor minutes is set.",
    {
      dynamic: true,
    },
  ),
  b(
    "log.retention.bytes",
    "long",
    -1,
    "high",
    "Largest size of a partition's log before old segments go; -1: no limit.",
    {
      dynamic: true,
    },
  ),
  b(
    "log.retention.check.interval.ms",
    "long",
    300000,
    "medium",
    "How often the broker looks for segments to delete.",
    {
      validator: atLeast(1),
    },
  ),
  b(
    "log.initial.task.delay.ms",
    "long",
    30000,
    "low",
    "Delay before the log manager's first retention check and flush task after startup.",
    {
      validator: atLeast(0),
      internal: true,
    },
  ),
  b(
    "log.cleanup.policy",
    "list",
    ["delete"],
    "medium",
    "Default cleanup policy: delete old segments, compact by key, or both.",
    {
      validator: listOf("compact", "delete"),
      dynamic: true,
    },
  ),
  b(
    "log.index.size.max.bytes",
    "int",
    10485760,
    "medium",
    "Largest offset index file of a segment.",
    {
      validator: atLeast(4),
      dynamic: true,
    },
  ),
  b(
    "log.index.interval.bytes",
    "int",
    4096,
    "medium",
    "Bytes of log between two offset index entries.",
    {
      validator: atLeast(0),
      dynamic: true,
    },
  ),
  b(
    "log.flush.interval.messages",
    "long",
    LONG_MAX,
    "high",
    "fsync after this many messages on a partition (default: never).",
    {
      validator: atLeast(1),
      dynamic: true,
    },
  ),
  b(
    "log.flush.interval.ms",
    "long",
    null,
    "high",
    "fsync a partition after data has waited this long; unset: the scheduler interval.",
    {
      dynamic: true,
    },
  ),
  b(
    "log.flush.scheduler.interval.ms",
    "long",
    LONG_MAX,
    "high",
    "How often the flusher looks for logs to fsync (default: never).",
    {
      dynamic: true,
    },
  ),
  b(
    "log.flush.offset.checkpoint.interval.ms",
    "int",
    60000,
    "high",
    "How often the recovery point (last flushed offset) is saved.",
    {
      validator: atLeast(0),
    },
  ),
  b(
    "log.segment.delete.delay.ms",
    "long",
    60000,
    "high",
    "Wait before a deleted segment's files are removed.",
    {
      validator: atLeast(0),
      dynamic: true,
    },
  ),
  b("log.preallocate", "boolean", false, "medium", "Preallocate the file of a new segment.", {
    dynamic: true,
  }),
  b(
    "log.message.timestamp.type",
    "string",
    "CreateTime",
    "medium",
    "Record timestamps: set by the producer or by the broker on append.",
    {
      validator: oneOf("CreateTime", "LogAppendTime"),
      dynamic: true,
    },
  ),
  b(
    "log.message.timestamp.difference.max.ms",
    "long",
    LONG_MAX,
    "medium",
    "Largest allowed gap between a record's timestamp and the broker clock.",
    {
      validator: atLeast(0),
      removedIn: "4.0",
      dynamic: true,
    },
  ),
  b(
    "log.message.timestamp.before.max.ms",
    "long",
    LONG_MAX,
    "medium",
    "How far in the past a CreateTime timestamp may be.",
    {
      validator: atLeast(0),
      since: "3.6",
      dynamic: true,
    },
  ),
  b(
    "log.message.timestamp.after.max.ms",
    "long",
    3600000,
    "medium",
    "How far in the future a CreateTime timestamp may be.",
    {
      validator: atLeast(0),
      since: "3.6",
      dynamic: true,
    },
  ),
  b(
    "log.message.downconversion.enable",
    "boolean",
    true,
    "low",
    "Convert batches to old formats for old consumers (no zero-copy then).",
    {
      since: "2.0",
      removedIn: "4.0",
      dynamic: true,
    },
  ),
  // log cleaner (compaction)
  b(
    "log.cleaner.enable",
    "boolean",
    true,
    "medium",
    "Run the log cleaner, needed by compacted topics.",
  ),
  b("log.cleaner.threads", "int", 1, "medium", "Threads compacting logs.", {
    validator: atLeast(0),
    dynamic: true,
  }),
  b(
    "log.cleaner.dedupe.buffer.size",
    "long",
    134217728,
    "medium",
    "Memory for the key map of all cleaner threads.",
    {
      dynamic: true,
    },
  ),
  b(
    "log.cleaner.backoff.ms",
    "long",
    15000,
    "medium",
    "Sleep of the cleaner when no log needs cleaning.",
    {
      validator: atLeast(0),
      dynamic: true,
    },
  ),
  b(
    "log.cleaner.min.cleanable.ratio",
    "double",
    0.5,
    "medium",
    "Dirty share of a log above which it is compacted.",
    {
      validator: between(0, 1),
      dynamic: true,
    },
  ),
  b(
    "log.cleaner.delete.retention.ms",
    "long",
    86400000,
    "medium",
    "How long tombstones stay after compaction reached them.",
    {
      validator: atLeast(0),
      dynamic: true,
    },
  ),
  b(
    "log.cleaner.min.compaction.lag.ms",
    "long",
    0,
    "medium",
    "Records younger than this are not compacted.",
    {
      validator: atLeast(0),
      dynamic: true,
    },
  ),
  b(
    "log.cleaner.max.compaction.lag.ms",
    "long",
    LONG_MAX,
    "medium",
    "Records older than this make their log eligible for compaction.",
    {
      validator: atLeast(1),
      since: "2.3",
      dynamic: true,
    },
  ),
  // threads and sockets
  b(
    "num.network.threads",
    "int",
    3,
    "high",
    "Threads reading requests from and writing responses to the network.",
    {
      validator: atLeast(1),
      dynamic: true,
    },
  ),
  b("num.io.threads", "int", 8, "high", "Threads processing requests, including disk IO.", {
    validator: atLeast(1),
    dynamic: true,
  }),
  b(
    "num.recovery.threads.per.data.dir",
    "int",
    2,
    "high",
    "Threads per log directory for recovery at startup and flush at shutdown.",
    {
      validator: atLeast(1),
      dynamic: true,
    },
  ),
  b("background.threads", "int", 10, "high", "Threads for background tasks such as retention.", {
    validator: atLeast(1),
    dynamic: true,
  }),
  b(
    "queued.max.requests",
    "int",
    500,
    "high",
    "Requests waiting for an IO thread before the network threads stop reading.",
    {
      validator: atLeast(1),
    },
  ),
  b(
    "socket.send.buffer.bytes",
    "int",
    102400,
    "high",
    "SO_SNDBUF of the broker's sockets; -1: OS default.",
  ),
  b(
    "socket.receive.buffer.bytes",
    "int",
    102400,
    "high",
    "SO_RCVBUF of the broker's sockets; -1: OS default.",
  ),
  b("socket.request.max.bytes", "int", 104857600, "high", "Largest request the broker reads.", {
    validator: atLeast(1),
  }),
  // group coordinator
  b(
    "offsets.topic.num.partitions",
    "int",
    50,
    "high",
    "Partitions of __consumer_offsets (fixed once created).",
    {
      validator: atLeast(1),
    },
  ),
  b(
    "offsets.topic.replication.factor",
    "int",
    3,
    "high",
    "Replication factor of __consumer_offsets.",
    {
      validator: between(1, 32767),
    },
  ),
  b(
    "offsets.topic.segment.bytes",
    "int",
    104857600,
    "high",
    "Segment size of __consumer_offsets.",
    {
      validator: atLeast(1),
    },
  ),
  b(
    "offsets.retention.minutes",
    "int",
    10080,
    "high",
    "Committed offsets of an empty group expire after this long.",
    {
      validator: atLeast(1),
    },
  ),
  b(
    "offsets.retention.check.interval.ms",
    "long",
    600000,
    "high",
    "How often expired offsets are looked for.",
    {
      validator: atLeast(1),
    },
  ),
  b(
    "offsets.commit.timeout.ms",
    "int",
    5000,
    "high",
    "Wait for an offset commit to be replicated before failing it.",
    {
      validator: atLeast(1),
    },
  ),
  b(
    "group.initial.rebalance.delay.ms",
    "int",
    3000,
    "medium",
    "Delay of the first rebalance of an empty group, to let more members join.",
    {
      since: "0.11",
    },
  ),
  b(
    "group.min.session.timeout.ms",
    "int",
    6000,
    "medium",
    "Smallest session.timeout.ms a classic group member may ask for.",
  ),
  b(
    "group.max.session.timeout.ms",
    "int",
    1800000,
    "medium",
    "Largest session.timeout.ms a classic group member may ask for.",
  ),
  b(
    "group.max.size",
    "int",
    2147483647,
    "medium",
    "Most members a classic group may have (KIP-389); joins beyond get GROUP_MAX_SIZE_REACHED.",
    {
      validator: atLeast(1),
      since: "2.2",
    },
  ),
  b(
    "group.coordinator.rebalance.protocols",
    "list",
    ["classic", "consumer"],
    "medium",
    "Group protocols the coordinator accepts.",
    {
      validator: listOf("classic", "consumer", "share", "streams"),
      since: "3.7",
    },
  ),
  b(
    "group.consumer.session.timeout.ms",
    "int",
    45000,
    "medium",
    "KIP-848 groups: a member without a heartbeat for this long is removed.",
    {
      validator: atLeast(1),
      since: "3.7",
    },
  ),
  b(
    "group.consumer.heartbeat.interval.ms",
    "int",
    5000,
    "medium",
    "KIP-848 groups: heartbeat interval the coordinator gives members.",
    {
      validator: atLeast(1),
      since: "3.7",
    },
  ),
  b(
    "group.consumer.assignors",
    "list",
    [
      "org.apache.kafka.coordinator.group.assignor.UniformAssignor",
      "org.apache.kafka.coordinator.group.assignor.RangeAssignor",
    ],
    "medium",
    "KIP-848 groups: the server-side assignors (class names, or uniform / range); the first is the default, group.remote.assignor picks another.",
    {
      since: "3.7",
    },
  ),
  b(
    "group.consumer.max.size",
    "int",
    2147483647,
    "medium",
    "KIP-848 groups: most members a group may have; beyond it a join gets GROUP_MAX_SIZE_REACHED.",
    {
      validator: atLeast(1),
      since: "3.7",
    },
  ),
  // transactions and producer state
  b(
    "transaction.state.log.num.partitions",
    "int",
    50,
    "high",
    "Partitions of __transaction_state.",
    {
      validator: atLeast(1),
      since: "0.11",
    },
  ),
  b(
    "transaction.state.log.replication.factor",
    "int",
    3,
    "high",
    "Replication factor of __transaction_state.",
    {
      validator: between(1, 32767),
      since: "0.11",
    },
  ),
  b(
    "transaction.state.log.min.isr",
    "int",
    2,
    "high",
    "min.insync.replicas of __transaction_state.",
    {
      validator: atLeast(1),
      since: "0.11",
    },
  ),
  b(
    "transaction.state.log.segment.bytes",
    "int",
    104857600,
    "high",
    "Segment size of __transaction_state.",
    {
      validator: atLeast(1),
      since: "0.11",
    },
  ),
  b(
    "transaction.max.timeout.ms",
    "int",
    900000,
    "high",
    "Largest transaction.timeout.ms a producer may ask for.",
    {
      validator: atLeast(1),
      since: "0.11",
    },
  ),
  b(
    "transactional.id.expiration.ms",
    "int",
    604800000,
    "high",
    "A transactional id with no activity for this long is forgotten.",
    {
      validator: atLeast(1),
      since: "0.11",
    },
  ),
  b(
    "transaction.abort.timed.out.transaction.cleanup.interval.ms",
    "int",
    10000,
    "low",
    "How often the coordinator aborts transactions past their timeout.",
    {
      validator: atLeast(1),
      since: "0.11",
    },
  ),
  b(
    "transaction.remove.expired.transaction.cleanup.interval.ms",
    "int",
    3600000,
    "low",
    "How often the coordinator removes transactional ids past transactional.id.expiration.ms.",
    {
      validator: atLeast(1),
      since: "0.11",
    },
  ),
  b(
    "transaction.state.log.load.buffer.size",
    "int",
    5242880,
    "low",
    "Bytes read at a time while a coordinator loads a __transaction_state partition.",
    {
      validator: atLeast(1),
      since: "0.11",
    },
  ),
  b(
    "transaction.partition.verification.enable",
    "boolean",
    true,
    "low",
    "Check with the coordinator before a transactional write starts a transaction on a partition (KIP-890).",
    {
      since: "3.6",
      dynamic: true,
    },
  ),
  b(
    "producer.id.expiration.ms",
    "int",
    86400000,
    "low",
    "Idempotent producer state with no writes for this long is dropped.",
    {
      validator: atLeast(1),
      since: "3.4",
      dynamic: true,
    },
  ),
];

export const TOPIC_CONFIGS: readonly ConfigDef[] = [
  t(
    "cleanup.policy",
    "list",
    ["delete"],
    "medium",
    "delete old segments, compact to the last value per key, or both.",
    {
      validator: listOf("compact", "delete"),
    },
  ),
  t(
    "compression.type",
    "string",
    "producer",
    "medium",
    "Compression of stored batches; producer keeps the producer's codec.",
    {
      validator: oneOf(...BROKER_COMPRESSION),
    },
  ),
  t(
    "compression.gzip.level",
    "int",
    -1,
    "medium",
    "gzip level when the topic compresses with gzip (-1: codec default).",
    {
      validator: between(-1, 9),
      since: "3.8",
    },
  ),
  t("compression.lz4.level", "int", 9, "medium", "lz4 level when the topic compresses with lz4.", {
    validator: between(1, 17),
    since: "3.8",
  }),
  t(
    "compression.zstd.level",
    "int",
    3,
    "medium",
    "zstd level when the topic compresses with zstd.",
    {
      validator: between(-131072, 22),
      since: "3.8",
    },
  ),
  t(
    "delete.retention.ms",
    "long",
    86400000,
    "medium",
    "How long a tombstone survives after compaction reached it.",
    {
      validator: atLeast(0),
    },
  ),
  t(
    "file.delete.delay.ms",
    "long",
    60000,
    "medium",
    "Wait before a deleted segment's files are removed.",
    {
      validator: atLeast(0),
    },
  ),
  t(
    "flush.messages",
    "long",
    LONG_MAX,
    "medium",
    "fsync after this many messages (default: leave it to the OS).",
    {
      validator: atLeast(1),
    },
  ),
  t(
    "flush.ms",
    "long",
    LONG_MAX,
    "medium",
    "fsync after data has waited this long (default: leave it to the OS).",
    {
      validator: atLeast(0),
    },
  ),
  t(
    "index.interval.bytes",
    "int",
    4096,
    "medium",
    "Bytes of log between two offset index entries.",
    {
      validator: atLeast(0),
    },
  ),
  t("max.compaction.lag.ms", "long", LONG_MAX, "medium", "Longest a record may stay uncompacted.", {
    validator: atLeast(1),
    since: "2.3",
  }),
  t("max.message.bytes", "int", 1048588, "medium", "Largest record batch this topic accepts.", {
    validator: atLeast(0),
  }),
  t(
    "message.downconversion.enable",
    "boolean",
    true,
    "low",
    "Convert batches to old formats for old consumers.",
    {
      since: "2.0",
      removedIn: "4.0",
    },
  ),
  t(
    "message.timestamp.type",
    "string",
    "CreateTime",
    "medium",
    "Record timestamps: set by the producer or by the broker on append.",
    {
      validator: oneOf("CreateTime", "LogAppendTime"),
    },
  ),
  t(
    "message.timestamp.difference.max.ms",
    "long",
    LONG_MAX,
    "medium",
    "Largest allowed gap between a record's timestamp and the broker clock.",
    {
      validator: atLeast(0),
      removedIn: "4.0",
    },
  ),
  t(
    "message.timestamp.before.max.ms",
    "long",
    LONG_MAX,
    "medium",
    "How far in the past a CreateTime timestamp may be.",
    {
      validator: atLeast(0),
      since: "3.6",
    },
  ),
  t(
    "message.timestamp.after.max.ms",
    "long",
    3600000,
    "medium",
    "How far in the future a CreateTime timestamp may be.",
    {
      validator: atLeast(0),
      since: "3.6",
    },
  ),
  t(
    "min.cleanable.dirty.ratio",
    "double",
    0.5,
    "medium",
    "Dirty share of the log above which it is compacted.",
    {
      validator: between(0, 1),
    },
  ),
  t("min.compaction.lag.ms", "long", 0, "medium", "Records younger than this are not compacted.", {
    validator: atLeast(0),
  }),
  t(
    "min.insync.replicas",
    "int",
    1,
    "medium",
    "Smallest ISR with which an acks=all write can succeed.",
    {
      validator: atLeast(1),
    },
  ),
  t("preallocate", "boolean", false, "medium", "Preallocate the file of a new segment."),
  t(
    "retention.bytes",
    "long",
    -1,
    "medium",
    "Largest size of a partition's log before old segments go; -1: no limit.",
  ),
  t("retention.ms", "long", 604800000, "medium", "Keep closed segments this long; -1: forever.", {
    validator: atLeast(-1),
  }),
  t("segment.bytes", "int", 1073741824, "medium", "Size at which the active segment is closed.", {
    validator: atLeast(1048576),
  }),
  t("segment.index.bytes", "int", 10485760, "medium", "Largest offset index file of a segment.", {
    validator: atLeast(4),
  }),
  t("segment.jitter.ms", "long", 0, "medium", "Most random time subtracted from segment.ms.", {
    validator: atLeast(0),
  }),
  t(
    "segment.ms",
    "long",
    604800000,
    "medium",
    "Age at which the active segment is closed, even if small.",
    {
      validator: atLeast(1),
    },
  ),
  t(
    "unclean.leader.election.enable",
    "boolean",
    false,
    "medium",
    "Elect an out-of-sync replica as a last resort (may lose data).",
  ),
  t(
    "remote.storage.enable",
    "boolean",
    false,
    "medium",
    "Tier closed segments to remote storage (not simulated).",
    {
      since: "3.6",
    },
  ),
  t(
    "local.retention.ms",
    "long",
    -2,
    "medium",
    "With tiered storage, local retention; -2: same as retention.ms.",
    {
      validator: atLeast(-2),
      since: "3.6",
    },
  ),
  t(
    "local.retention.bytes",
    "long",
    -2,
    "medium",
    "With tiered storage, local size limit; -2: same as retention.bytes.",
    {
      validator: atLeast(-2),
      since: "3.6",
    },
  ),
];

const PRODUCER_ONLY: readonly ConfigDef[] = [
  p(
    "acks",
    "string",
    "all",
    "low",
    "Acknowledgements to wait for: 0 none, 1 the leader, all the whole ISR.",
    {
      validator: oneOf("all", "-1", "0", "1"),
    },
  ),
  p(
    "linger.ms",
    "long",
    5,
    "medium",
    "Wait this long for more records before sending a batch that is not full.",
    {
      validator: atLeast(0),
    },
  ),
  p("batch.size", "int", 16384, "medium", "Bytes per partition batch; 0 turns batching off.", {
    validator: atLeast(0),
  }),
  p(
    "buffer.memory",
    "long",
    33554432,
    "high",
    "Memory for records waiting to be sent; send() blocks when it is full.",
    {
      validator: atLeast(0),
    },
  ),
  p("compression.type", "string", "none", "high", "Codec for the producer's batches.", {
    validator: oneOf(...CLIENT_COMPRESSION),
  }),
  p("compression.gzip.level", "int", -1, "medium", "gzip level (-1: codec default).", {
    validator: between(-1, 9),
    since: "3.8",
  }),
  p("compression.lz4.level", "int", 9, "medium", "lz4 level.", {
    validator: between(1, 17),
    since: "3.8",
  }),
  p("compression.zstd.level", "int", 3, "medium", "zstd level.", {
    validator: between(-131072, 22),
    since: "3.8",
  }),
  p(
    "retries",
    "int",
    INT_MAX,
    "high",
    "How often a failed batch is retried (bounded by delivery.timeout.ms).",
    {
      validator: between(0, INT_MAX),
    },
  ),
  p(
    "delivery.timeout.ms",
    "int",
    120000,
    "medium",
    "Upper bound from send() to success or failure, retries included.",
    {
      validator: atLeast(0),
      since: "2.1",
    },
  ),
  p(
    "max.block.ms",
    "long",
    60000,
    "medium",
    "Longest send() blocks for metadata or buffer space.",
    {
      validator: atLeast(0),
    },
  ),
  p(
    "max.in.flight.requests.per.connection",
    "int",
    5,
    "low",
    "Unacknowledged requests per broker connection.",
    {
      validator: atLeast(1),
    },
  ),
  p(
    "max.request.size",
    "int",
    1048576,
    "medium",
    "Largest produce request, and so largest uncompressed batch.",
    {
      validator: atLeast(0),
    },
  ),
  p(
    "enable.idempotence",
    "boolean",
    true,
    "low",
    "Give each batch a producer id and sequence so retries are not duplicated.",
    {
      since: "0.11",
    },
  ),
  p(
    "transactional.id",
    "string",
    null,
    "low",
    "Stable id for transactions; fences older producers with the same id.",
    {
      validator: { kind: "nonEmpty" },
      since: "0.11",
    },
  ),
  p(
    "transaction.timeout.ms",
    "int",
    60000,
    "low",
    "The coordinator aborts a transaction open longer than this.",
    {
      since: "0.11",
    },
  ),
  p(
    "partitioner.class",
    "class",
    null,
    "medium",
    "Custom partitioner; unset uses the built-in one.",
  ),
  p(
    "partitioner.ignore.keys",
    "boolean",
    false,
    "medium",
    "Spread keyed records like keyless ones.",
    {
      since: "3.3",
    },
  ),
  p(
    "partitioner.adaptive.partitioning.enable",
    "boolean",
    true,
    "low",
    "Send more to partitions whose brokers keep up.",
    {
      since: "3.3",
    },
  ),
  p(
    "partitioner.availability.timeout.ms",
    "long",
    0,
    "low",
    "Skip partitions whose broker has not taken data for this long; 0: never.",
    {
      validator: atLeast(0),
      since: "3.3",
    },
  ),
  p(
    "key.serializer",
    "class",
    null,
    "high",
    "Serializer class for keys (the simulator sends strings).",
  ),
  p(
    "value.serializer",
    "class",
    null,
    "high",
    "Serializer class for values (the simulator sends bytes).",
  ),
  p(
    "metadata.max.idle.ms",
    "long",
    300000,
    "low",
    "Forget the metadata of a topic not produced to for this long.",
    {
      validator: atLeast(5000),
      since: "2.5",
    },
  ),
  p(
    "send.buffer.bytes",
    "int",
    131072,
    "medium",
    "SO_SNDBUF of the producer's sockets; -1: OS default.",
    {
      validator: atLeast(-1),
    },
  ),
  p(
    "receive.buffer.bytes",
    "int",
    32768,
    "medium",
    "SO_RCVBUF of the producer's sockets; -1: OS default.",
    {
      validator: atLeast(-1),
    },
  ),
];

const CONSUMER_ONLY: readonly ConfigDef[] = [
  c(
    "group.id",
    "string",
    null,
    "high",
    "The consumer group; unset means assign() only, no commits to a group.",
  ),
  c(
    "group.instance.id",
    "string",
    null,
    "medium",
    "Static member id: restarts within the session keep the assignment.",
    {
      validator: { kind: "nonEmpty" },
      since: "2.3",
    },
  ),
  c(
    "session.timeout.ms",
    "int",
    45000,
    "high",
    "Classic groups: a member without a heartbeat for this long is removed.",
  ),
  c(
    "heartbeat.interval.ms",
    "int",
    3000,
    "high",
    "Classic groups: time between heartbeats (at most a third of the session).",
  ),
  c(
    "max.poll.interval.ms",
    "int",
    300000,
    "medium",
    "Longest gap between poll() calls before the member leaves the group.",
    {
      validator: atLeast(1),
    },
  ),
  c("max.poll.records", "int", 500, "medium", "Most records one poll() returns.", {
    validator: atLeast(1),
  }),
  c(
    "partition.assignment.strategy",
    "list",
    [ASSIGNOR_CLASSES.range, ASSIGNOR_CLASSES["cooperative-sticky"]],
    "medium",
    "Assignor classes, in order of preference (classic groups).",
    { validator: listOf(...Object.values(ASSIGNOR_CLASSES)) },
  ),
  c(
    "enable.auto.commit",
    "boolean",
    true,
    "medium",
    "Commit positions inside poll() every auto.commit.interval.ms.",
  ),
  c("auto.commit.interval.ms", "int", 5000, "low", "Time between automatic commits.", {
    validator: atLeast(0),
  }),
  c(
    "auto.offset.reset",
    "string",
    "latest",
    "medium",
    "Where to start without a valid committed offset: earliest, latest, or fail.",
    {
      validator: oneOf("latest", "earliest", "none"),
    },
  ),
  c(
    "isolation.level",
    "string",
    "read_uncommitted",
    "medium",
    "read_committed hides aborted and open transactions (reads up to the LSO).",
    {
      validator: oneOf("read_committed", "read_uncommitted"),
      since: "0.11",
    },
  ),
  c("fetch.min.bytes", "int", 1, "high", "Bytes a fetch waits for before the broker answers.", {
    validator: atLeast(0),
  }),
  c("fetch.max.bytes", "int", 52428800, "medium", "Bytes asked for in one fetch response.", {
    validator: atLeast(0),
  }),
  c(
    "fetch.max.wait.ms",
    "int",
    500,
    "low",
    "Longest a fetch waits at the broker for fetch.min.bytes.",
    {
      validator: atLeast(0),
    },
  ),
  c(
    "max.partition.fetch.bytes",
    "int",
    1048576,
    "high",
    "Bytes asked for per partition in one fetch.",
    {
      validator: atLeast(0),
    },
  ),
  c(
    "default.api.timeout.ms",
    "int",
    60000,
    "medium",
    "Timeout of blocking consumer calls without their own timeout.",
    {
      validator: atLeast(0),
      since: "2.0",
    },
  ),
  c("check.crcs", "boolean", true, "low", "Verify the CRC of fetched batches."),
  c(
    "exclude.internal.topics",
    "boolean",
    true,
    "medium",
    "Pattern subscriptions skip internal topics.",
  ),
  c(
    "allow.auto.create.topics",
    "boolean",
    true,
    "medium",
    "Subscribing may create a missing topic (if the broker allows).",
    {
      since: "2.3",
    },
  ),
  c(
    "client.rack",
    "string",
    "",
    "low",
    "Rack of the consumer, for fetching from the nearest replica.",
    {
      since: "2.4",
    },
  ),
  c(
    "group.protocol",
    "string",
    "classic",
    "high",
    "classic (JoinGroup/SyncGroup) or consumer (KIP-848).",
    {
      validator: oneOfCi("classic", "consumer"),
      since: "3.7",
    },
  ),
  c(
    "group.remote.assignor",
    "string",
    null,
    "medium",
    "KIP-848 groups: server-side assignor to ask for.",
    {
      since: "3.7",
    },
  ),
  c("key.deserializer", "class", null, "high", "Deserializer class for keys."),
  c("value.deserializer", "class", null, "high", "Deserializer class for values."),
  c(
    "send.buffer.bytes",
    "int",
    131072,
    "medium",
    "SO_SNDBUF of the consumer's sockets; -1: OS default.",
    {
      validator: atLeast(-1),
    },
  ),
  c(
    "receive.buffer.bytes",
    "int",
    65536,
    "medium",
    "SO_RCVBUF of the consumer's sockets; -1: OS default.",
    {
      validator: atLeast(-1),
    },
  ),
];

/** Configs both clients have (CommonClientConfigs), with the same defaults. */
function commonClientConfigs(kind: "producer" | "consumer"): ConfigDef[] {
  const d = define(kind);
  return [
    d(
      "bootstrap.servers",
      "list",
      [],
      "high",
      "Brokers to ask for the cluster's metadata first (the simulator fills it in).",
    ),
    d(
      "client.id",
      "string",
      "",
      kind === "producer" ? "medium" : "low",
      "Name in broker logs and quotas; empty gets a generated one.",
    ),
    d(
      "request.timeout.ms",
      "int",
      30000,
      "medium",
      "Wait this long for a response before retrying or failing the request.",
      {
        validator: atLeast(0),
      },
    ),
    d("retry.backoff.ms", "long", 100, "low", "Wait before retrying a failed request.", {
      validator: atLeast(0),
    }),
    d("retry.backoff.max.ms", "long", 1000, "low", "Cap of the exponential retry backoff.", {
      validator: atLeast(0),
      since: "3.7",
    }),
    d("reconnect.backoff.ms", "long", 50, "low", "Wait before reconnecting to a broker.", {
      validator: atLeast(0),
    }),
    d(
      "reconnect.backoff.max.ms",
      "long",
      1000,
      "low",
      "Cap of the exponential reconnect backoff.",
      {
        validator: atLeast(0),
      },
    ),
    d(
      "metadata.max.age.ms",
      "long",
      300000,
      "low",
      "Refresh metadata at least this often, to see new partitions and leaders.",
      {
        validator: atLeast(0),
      },
    ),
    d("connections.max.idle.ms", "long", 540000, "medium", "Close connections idle for this long."),
    d(
      "security.protocol",
      "string",
      "PLAINTEXT",
      "medium",
      "Protocol to the brokers; SSL turns zero-copy off on the broker.",
      {
        validator: oneOfCi(...SECURITY_PROTOCOLS),
      },
    ),
    d("interceptor.classes", "list", [], "low", "Interceptor classes (not simulated)."),
    d(
      "enable.metrics.push",
      "boolean",
      true,
      "low",
      "Push client metrics to the broker (KIP-714; not simulated).",
      {
        since: "3.7",
      },
    ),
  ];
}

export const PRODUCER_CONFIGS: readonly ConfigDef[] = [
  ...commonClientConfigs("producer"),
  ...PRODUCER_ONLY,
];
export const CONSUMER_CONFIGS: readonly ConfigDef[] = [
  ...commonClientConfigs("consumer"),
  ...CONSUMER_ONLY,
];

export const CONFIG_DEFS: Readonly<Record<ConfigKind, readonly ConfigDef[]>> = {
  broker: BROKER_CONFIGS,
  topic: TOPIC_CONFIGS,
  producer: PRODUCER_CONFIGS,
  consumer: CONSUMER_CONFIGS,
};

const BY_NAME: Readonly<Record<ConfigKind, ReadonlyMap<string, ConfigDef>>> = {
  broker: new Map(BROKER_CONFIGS.map((d) => [d.name, d])),
  topic: new Map(TOPIC_CONFIGS.map((d) => [d.name, d])),
  producer: new Map(PRODUCER_CONFIGS.map((d) => [d.name, d])),
  consumer: new Map(CONSUMER_CONFIGS.map((d) => [d.name, d])),
};

export function configDef(kind: ConfigKind, name: string): ConfigDef | undefined {
  return BY_NAME[kind].get(name);
}

/** Whether a config exists in a release (added by then, not yet removed). */
export function existsIn(def: ConfigDef, version: KafkaVersion): boolean {
  if (def.since !== undefined && compareVersions(version, def.since) < 0) return false;
  if (def.removedIn !== undefined && compareVersions(version, def.removedIn) >= 0) return false;
  return true;
}

/** The configs of a kind that exist in a release, in definition order. */
export function configDefsFor(kind: ConfigKind, version: KafkaVersion): readonly ConfigDef[] {
  return CONFIG_DEFS[kind].filter((d) => existsIn(d, version));
}

/** A config's default in a release: the profile's override, else the definition's default. */
export function configDefault(def: ConfigDef, version: KafkaVersion): ConfigValue {
  const overrides = versionProfile(version).defaultOverrides[def.kind];
  return Object.hasOwn(overrides, def.name) ? overrides[def.name]! : def.default;
}

/**
 * A broker config that supplies a topic config's value, with the factor that turns the broker's
 * unit into the topic's (hours and minutes into milliseconds).
 */
export interface BrokerSynonym {
  readonly broker: string;
  readonly factor: number;
}

/**
 * Topic config → broker configs that supply its value when the topic does not set it, highest
 * priority first (ServerTopicConfigSynonyms). The first one that has a value wins.
 */
export const TOPIC_BROKER_SYNONYMS: Readonly<Record<string, readonly BrokerSynonym[]>> = {
  "segment.bytes": [{ broker: "log.segment.bytes", factor: 1 }],
  "segment.ms": [
    { broker: "log.roll.ms", factor: 1 },
    { broker: "log.roll.hours", factor: HOUR_MS },
  ],
  "segment.jitter.ms": [
    { broker: "log.roll.jitter.ms", factor: 1 },
    { broker: "log.roll.jitter.hours", factor: HOUR_MS },
  ],
  "segment.index.bytes": [{ broker: "log.index.size.max.bytes", factor: 1 }],
  "flush.messages": [{ broker: "log.flush.interval.messages", factor: 1 }],
  "flush.ms": [
    { broker: "log.flush.interval.ms", factor: 1 },
    { broker: "log.flush.scheduler.interval.ms", factor: 1 },
  ],
  "retention.bytes": [{ broker: "log.retention.bytes", factor: 1 }],
  "retention.ms": [
    { broker: "log.retention.ms", factor: 1 },
    { broker: "log.retention.minutes", factor: MINUTE_MS },
    { broker: "log.retention.hours", factor: HOUR_MS },
  ],
  "max.message.bytes": [{ broker: "message.max.bytes", factor: 1 }],
  "index.interval.bytes": [{ broker: "log.index.interval.bytes", factor: 1 }],
  "delete.retention.ms": [{ broker: "log.cleaner.delete.retention.ms", factor: 1 }],
  "min.compaction.lag.ms": [{ broker: "log.cleaner.min.compaction.lag.ms", factor: 1 }],
  "max.compaction.lag.ms": [{ broker: "log.cleaner.max.compaction.lag.ms", factor: 1 }],
  "file.delete.delay.ms": [{ broker: "log.segment.delete.delay.ms", factor: 1 }],
  "min.cleanable.dirty.ratio": [{ broker: "log.cleaner.min.cleanable.ratio", factor: 1 }],
  "cleanup.policy": [{ broker: "log.cleanup.policy", factor: 1 }],
  "unclean.leader.election.enable": [{ broker: "unclean.leader.election.enable", factor: 1 }],
  "min.insync.replicas": [{ broker: "min.insync.replicas", factor: 1 }],
  "compression.type": [{ broker: "compression.type", factor: 1 }],
  preallocate: [{ broker: "log.preallocate", factor: 1 }],
  "message.timestamp.type": [{ broker: "log.message.timestamp.type", factor: 1 }],
  "message.timestamp.difference.max.ms": [
    { broker: "log.message.timestamp.difference.max.ms", factor: 1 },
  ],
  "message.timestamp.before.max.ms": [{ broker: "log.message.timestamp.before.max.ms", factor: 1 }],
  "message.timestamp.after.max.ms": [{ broker: "log.message.timestamp.after.max.ms", factor: 1 }],
  "message.downconversion.enable": [{ broker: "log.message.downconversion.enable", factor: 1 }],
};

/** Broker config → the topic config it supplies (the reverse of TOPIC_BROKER_SYNONYMS). */
export const BROKER_TOPIC_SYNONYM: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(TOPIC_BROKER_SYNONYMS).flatMap(([topic, synonyms]) =>
    synonyms.map((s) => [s.broker, topic] as const),
  ),
);
