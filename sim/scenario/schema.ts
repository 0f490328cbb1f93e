/**
 * The schema of scenario files, format version 1 (/work/shared/scenario-format.md is the contract).
 *
 * One TypeBox source gives three things that must agree: the JSON Schema that ajv checks files
 * against, `scenarios/schema.json` for editors (scripts/gen-schema.ts writes it; every field has a
 * description so editors show help), and the TypeScript type of a file as written (`RawScenario`).
 * The loader (load.ts) turns a RawScenario into the normalized `Scenario` the runner consumes.
 *
 * Unit values (durations, sizes, rates, bandwidths) are strings with a pattern or bare numbers; the
 * patterns come from units.ts, whose parsers are the authority and produce the error messages.
 * Two annotation keywords help the error translator (errors.ts) and are ignored by editors:
 * `x-kind` names what a value is (a duration, a node, a timeline entry, ...) and `x-hint` says in
 * plain words what an alternative or a pattern expects.
 *
 * Every object is closed (`additionalProperties: false`) except the Kafka `config` maps, whose
 * keys are Kafka's own: the loader checks them against Kafka's definitions for the scenario's
 * version profile (sim/kafka/config-defs.ts), which a JSON Schema could only copy.
 */
import { type Static, type TOptional, type TSchema, Type } from "@sinclair/typebox";
import { DEFAULT_VERSION, KAFKA_VERSIONS, type KafkaVersion } from "../kafka/version.ts";
import { CLUSTER_PRESETS, PRESET_NAMES } from "./presets.ts";
import {
  BANDWIDTH_PATTERN,
  BYTE_RATE_PATTERN,
  DURATION_PATTERN,
  RATE_PATTERN,
  SIZE_PATTERN,
} from "./units.ts";

export const SCHEMA_ID = "urn:kafkasim:scenario:v1";

export const DISK_PROFILES = ["hdd", "ssd", "nvme"] as const;
export const NETWORK_PROFILES = ["1GbE", "10GbE", "25GbE"] as const;
/** Every Kafka release line the simulator models (sim/kafka/version.ts), oldest first. */
export const VERSION_PROFILES = KAFKA_VERSIONS;
export const CLUSTER_MODES = ["kraft", "zookeeper"] as const;
export const CRASH_MODES = ["process", "power"] as const;
export const TRANSFER_MODES = ["sendfile", "copy", "tls"] as const;
export const READ_PATTERNS = ["sequential", "random"] as const;
export const ARRIVALS = ["fixed", "poisson"] as const;
/** How each transaction of a transactional workload ends (open: never, reference S17). */
export const TRANSACTION_ENDS = ["commit", "abort", "open"] as const;
export const ELECTION_TYPES = ["preferred", "unclean"] as const;
export const GROUP_STATES = [
  "Empty",
  "Stable",
  "PreparingRebalance",
  "CompletingRebalance",
  "Dead",
] as const;
export const CHECKER_NAMES = [
  "no-lost-acked-writes",
  "no-duplicates",
  "order-per-partition",
  "order-per-key",
  "no-divergence",
  "hw-monotonic",
  "no-reprocessing",
  "no-skipped-records",
  "read-committed",
  "lag-ok",
] as const;

export type DiskProfile = (typeof DISK_PROFILES)[number];
export type NetworkProfile = (typeof NETWORK_PROFILES)[number];
export type VersionProfile = KafkaVersion;
export type ClusterMode = (typeof CLUSTER_MODES)[number];
export type CrashMode = (typeof CRASH_MODES)[number];
export type TransferMode = (typeof TRANSFER_MODES)[number];
export type ReadPattern = (typeof READ_PATTERNS)[number];
export type Arrival = (typeof ARRIVALS)[number];
export type ElectionType = (typeof ELECTION_TYPES)[number];
export type GroupState = (typeof GROUP_STATES)[number];
export type CheckerName = (typeof CHECKER_NAMES)[number];

/** Kafka node ids are Java ints. */
export const MAX_BROKER_ID = 2_147_483_647;

/** Names of hosts and clients: a letter first, so they never read as a broker id. */
export const NAME_PATTERN = "^[A-Za-z][A-Za-z0-9._-]*$";
const NAME_HINT = "a name that starts with a letter, then letters, digits, `.`, `_` or `-`";
/** Kafka's legal topic names (Topic.java: [a-zA-Z0-9._-], at most 249 characters). */
export const TOPIC_PATTERN = "^[A-Za-z0-9._-]{1,249}$";
const TOPIC_HINT = "a topic name: 1 to 249 letters, digits, `.`, `_` or `-`";
export const KEYS_PATTERN = String.raw`^(?:none|sequence|uniform\(\s*\d+\s*\)|zipf\(\s*\d+\s*,\s*\d+(?:\.\d+)?\s*\))$`;

// ---------------------------------------------------------------------------------------------
// Building blocks

/** A closed object: unknown keys are errors. */
function Obj<T extends Parameters<typeof Type.Object>[0]>(
  properties: T,
  description: string,
  extra: Record<string, unknown> = {},
) {
  return Type.Object(properties, { additionalProperties: false, description, ...extra });
}

/** A string enum as JSON Schema `enum`, so one error says "must be one of ...". */
function StringEnum<const T extends readonly string[]>(values: T, description: string) {
  return Type.Unsafe<T[number]>({ type: "string", enum: [...values], description });
}

const Opt = Type.Optional;

function Duration(description: string) {
  return Type.Union([Type.String({ pattern: DURATION_PATTERN }), Type.Number({ minimum: 0 })], {
    description,
    "x-kind": "duration",
  });
}

function Size(description: string) {
  return Type.Union([Type.String({ pattern: SIZE_PATTERN }), Type.Number({ minimum: 0 })], {
    description,
    "x-kind": "size",
  });
}

function ByteRate(description: string) {
  return Type.String({ pattern: BYTE_RATE_PATTERN, description, "x-kind": "byte-rate" });
}

function Bandwidth(description: string) {
  return Type.String({ pattern: BANDWIDTH_PATTERN, description, "x-kind": "bandwidth" });
}

function RateOf(description: string) {
  return Type.String({ pattern: RATE_PATTERN, description, "x-kind": "rate" });
}

function NodeRef(description: string) {
  return Type.Union(
    [Type.String({ minLength: 1 }), Type.Integer({ minimum: 0, maximum: MAX_BROKER_ID })],
    {
      description,
      "x-kind": "node",
    },
  );
}

function Name(description: string) {
  return Type.String({ pattern: NAME_PATTERN, description, "x-hint": NAME_HINT });
}

function TopicName(description: string) {
  return Type.String({ pattern: TOPIC_PATTERN, description, "x-hint": TOPIC_HINT });
}

function Count(description: string, minimum = 1, maximum = Number.MAX_SAFE_INTEGER) {
  return Type.Integer({ minimum, maximum, description });
}

function BrokerIds(description: string, minItems = 0) {
  return Type.Array(Type.Integer({ minimum: 0, maximum: MAX_BROKER_ID }), {
    description,
    minItems,
  });
}

const ConfigValue = Type.Union([Type.String(), Type.Number(), Type.Boolean()], {
  "x-hint": "a config value (text, a number or true/false)",
});

function ConfigMap(description: string) {
  return Type.Record(Type.String(), ConfigValue, { description });
}

/** Free text that YAML may have read as a number or boolean (`key: 42`). */
const ScalarText = Type.Union([Type.String(), Type.Number(), Type.Boolean()], {
  "x-hint": "text",
});

// ---------------------------------------------------------------------------------------------
// Hardware

const DiskOverride = Obj(
  {
    profile: StringEnum(DISK_PROFILES, "The profile whose parameters this object overrides."),
    "read-bandwidth": Opt(ByteRate("Sequential read bandwidth, e.g. 2GB/s.")),
    "write-bandwidth": Opt(ByteRate("Sequential write bandwidth, e.g. 330MB/s.")),
    seek: Opt(Duration("Average seek time (rotational disks), e.g. 8ms.")),
    "rotational-latency": Opt(Duration("Average rotational latency (rotational disks), e.g. 4ms.")),
    "access-latency": Opt(Duration("Per-IO access latency (flash), e.g. 0.1ms.")),
    "read-iops": Opt(Count("Random read IOs per second.")),
    "write-iops": Opt(Count("Random write IOs per second.")),
    fsync: Opt(Duration("Time of an fsync on an idle disk, e.g. 1ms.")),
  },
  "A disk profile with some of its parameters overridden.",
);

const DiskSpec = Type.Union([StringEnum(DISK_PROFILES, "A disk profile."), DiskOverride], {
  description:
    "The disk: a profile (hdd, ssd, nvme) or {profile, ...overrides} to model a given machine.",
  "x-hint": "a disk profile (hdd, ssd, nvme) or a map {profile, ...}",
});

const NetworkOverride = Obj(
  {
    profile: StringEnum(NETWORK_PROFILES, "The profile whose parameters this object overrides."),
    bandwidth: Opt(Bandwidth("NIC bandwidth, e.g. 23Gbps.")),
  },
  "A network profile with some of its parameters overridden.",
);

const NetworkSpec = Type.Union(
  [StringEnum(NETWORK_PROFILES, "A network profile."), NetworkOverride],
  {
    description: "The NIC: a profile (1GbE, 10GbE, 25GbE) or {profile, bandwidth}.",
    "x-hint": "a network profile (1GbE, 10GbE, 25GbE) or a map {profile, bandwidth}",
  },
);

const Host = Obj(
  {
    name: Name("The host's name, unique among all nodes."),
    disk: Opt(DiskSpec),
    network: Opt(NetworkSpec),
    memory: Opt(Size("Memory available to the page cache, e.g. 16GiB.")),
    cores: Opt(Count("CPU cores.")),
  },
  "A bare host, for machine-level lessons (network, disks, page cache, zero copy).",
);

const Hardware = Obj(
  {
    disk: Opt(DiskSpec),
    disks: Opt(Count("Log directories, one disk each (log.dirs, JBOD).")),
    network: Opt(NetworkSpec),
    memory: Opt(Size("Page cache available to each broker, e.g. 16GiB.")),
    cores: Opt(Count("CPU cores of each broker.")),
  },
  "The hardware of each broker.",
);

// ---------------------------------------------------------------------------------------------
// Cluster, topics, clients

const BrokerEntry = Obj(
  {
    id: Count("The broker id (node.id / broker.id).", 0, MAX_BROKER_ID),
    rack: Opt(
      Type.Union([Type.String({ minLength: 1 }), Type.Integer()], {
        description: "The broker's rack (broker.rack).",
        "x-hint": "a rack name",
      }),
    ),
  },
  "One broker.",
);

const Cluster = Obj(
  {
    preset: Opt(
      StringEnum(
        PRESET_NAMES,
        "A named topology whose keys the rest of `cluster` overrides: " +
          PRESET_NAMES.map((n) => `${n} (${CLUSTER_PRESETS[n].summary})`).join("; ") +
          ".",
      ),
    ),
    version: Opt(
      Type.Union([StringEnum(VERSION_PROFILES, "A Kafka version profile."), Type.Number()], {
        description:
          `Kafka version profile: defaults and behaviours, one per release line from ` +
          `"${VERSION_PROFILES[0]}" to "${VERSION_PROFILES.at(-1)}" (default "${DEFAULT_VERSION}"). ` +
          "Quote it: as a YAML number 0.10 reads as 0.1.",
        "x-kind": "version",
      }),
    ),
    mode: Opt(
      StringEnum(
        CLUSTER_MODES,
        "Metadata mode. Default: kraft from 3.3 on, zookeeper before; 4.0+ is kraft only.",
      ),
    ),
    brokers: Opt(
      Type.Union(
        [
          Count("Number of brokers, ids 1..N (at most 1000).", 1, 1000),
          Type.Array(BrokerEntry, { minItems: 1 }),
        ],
        {
          description: "Brokers: a count (ids 1..N, default 3) or a list [{id, rack}].",
          "x-hint": "a number of brokers or a list of {id, rack}",
        },
      ),
    ),
    controllers: Opt(
      Type.Union(
        [
          StringEnum(["combined"] as const, "KRaft combined mode: brokers are also controllers."),
          Count("Dedicated KRaft controllers, or the ZooKeeper ensemble size (at most 99).", 1, 99),
        ],
        {
          description:
            "kraft: 'combined' (default) or a count of dedicated controllers (ids follow the " +
            "brokers'); zookeeper mode: the ensemble size (default 1).",
          "x-hint": "`combined` or a number of controllers",
        },
      ),
    ),
    hardware: Opt(Hardware),
    network: Opt(
      Obj(
        {
          latency: Opt(Duration("One-way latency between any two nodes, e.g. 0.2ms.")),
          jitter: Opt(Duration("Latency jitter, drawn from the seed, e.g. 0.05ms.")),
        },
        "The network between nodes.",
      ),
    ),
    config: Opt(ConfigMap("Broker configs, with Kafka's names and value types.")),
  },
  "The Kafka cluster.",
);

const TopicSpec = Obj(
  {
    name: TopicName("The topic's name."),
    partitions: Opt(Count("Number of partitions (default: num.partitions).")),
    "replication-factor": Opt(
      Count("Replicas per partition (default: default.replication.factor)."),
    ),
    config: Opt(ConfigMap("Topic configs, with Kafka's names, e.g. retention.ms, cleanup.policy.")),
    assignment: Opt(
      Type.Array(BrokerIds("Replica broker ids of one partition, preferred leader first.", 1), {
        minItems: 1,
        description: "Replica assignment per partition; otherwise Kafka's placement.",
      }),
    ),
  },
  "A topic.",
);

const Transaction = Obj(
  {
    records: Count("Records in each transaction."),
    end: Opt(
      StringEnum(
        TRANSACTION_ENDS,
        "commit (default) | abort | open: the first transaction is never ended (a hanging transaction).",
      ),
    ),
  },
  "Send the records in transactions of `records` records each (the producer needs a transactional.id).",
);

const Workload = Obj(
  {
    topic: TopicName("The topic to write to."),
    rate: RateOf("Records per second (1000/s) or bytes per second (10MB/s)."),
    arrival: Opt(StringEnum(ARRIVALS, "fixed (evenly spaced, default) or poisson.")),
    keys: Opt(
      Type.Union(
        [
          Type.String({ pattern: KEYS_PATTERN }),
          Type.Array(ScalarText, { minItems: 1, description: "A fixed list of keys." }),
        ],
        {
          description:
            "none (null keys, default) | sequence | uniform(N) | zipf(N, s) | [a, fixed, list].",
          "x-kind": "keys",
        },
      ),
    ),
    "value-size": Opt(Size("Bytes of each generated value, e.g. 100B.")),
    from: Opt(Duration("When the workload starts (default: start of the run).")),
    until: Opt(Duration("When the workload stops (or give `count`).")),
    count: Opt(Count("How many records to send (or give `until`).")),
    transaction: Opt(Transaction),
  },
  "A producer's workload.",
);

const Producer = Obj(
  {
    id: Name("The client id, a node of its own."),
    type: Type.Literal("producer", { description: "A producer." }),
    config: Opt(ConfigMap("Kafka producer configs, e.g. acks, enable.idempotence, linger.ms.")),
    workload: Opt(Workload),
    payloads: Opt(
      Type.Boolean({ description: "Keep readable values (producer-1:0, ...) in the log." }),
    ),
  },
  "A producer client.",
);

const Consumer = Obj(
  {
    id: Name("The client id, a node of its own."),
    type: Type.Literal("consumer", { description: "A consumer." }),
    group: Opt(
      Type.String({
        minLength: 1,
        description: "The consumer group (group.id); omit for a consumer that uses assign().",
      }),
    ),
    subscribe: Opt(Type.Array(TopicName("A topic."), { description: "Topics to subscribe to." })),
    config: Opt(ConfigMap("Kafka consumer configs, e.g. enable.auto.commit, auto.offset.reset.")),
    "processing-time": Opt(Duration("Simulated work per record, e.g. 1ms.")),
    processing: Opt(
      StringEnum(
        ["sync", "async"] as const,
        "sync (default): the poll loop processes each batch before it polls again; async: batches go to a worker and the loop polls on at once (auto commit can then commit records not yet processed).",
      ),
    ),
    commit: Opt(
      StringEnum(
        ["none", "sync", "async"] as const,
        "A manual commit after each processed batch: none (default; auto commit if enabled), commitSync or commitAsync.",
      ),
    ),
    payloads: Opt(Type.Boolean({ description: "Keep the values this consumer reads." })),
  },
  "A consumer client.",
);

const StreamProcessor = Obj(
  {
    id: Name("The client id: its consumer's node; its producer is the node `<id>-producer`."),
    type: Type.Literal("stream-processor", {
      description: "A consume-transform-produce application (a Kafka Streams map).",
    }),
    input: Type.Array(TopicName("A topic."), {
      minItems: 1,
      description: "The topics it reads (subscribed as the group application.id).",
    }),
    output: TopicName("The topic it writes one record to for each record it reads."),
    config: Opt(
      ConfigMap(
        "Kafka Streams configs: application.id, processing.guarantee, commit.interval.ms; consumer.* and producer.* for the clients'.",
      ),
    ),
    "processing-time": Opt(Duration("Simulated work per record, e.g. 1ms.")),
    "value-size": Opt(Size("Bytes of each output value (default 100B).")),
    payloads: Opt(
      Type.Boolean({ description: "Keep readable output values (the input record's name)." }),
    ),
  },
  "A stream processor: reads its input topics, writes one output record per input record, commits.",
);

const Client = Type.Union([Producer, Consumer, StreamProcessor], {
  description: "A client: a producer, a consumer or a stream processor, by `type`.",
  "x-hint": "a client map with `id` and `type`",
});

// ---------------------------------------------------------------------------------------------
// Expectations

const PartitionExpect = Obj(
  {
    topic: TopicName("The topic."),
    partition: Count("The partition.", 0),
    leader: Opt(
      Type.Union(
        [
          Count("The leader's broker id.", 0, MAX_BROKER_ID),
          StringEnum(["none"] as const, "No leader."),
        ],
        { description: "The leader's broker id, or none.", "x-hint": "a broker id or `none`" },
      ),
    ),
    "leader-epoch": Opt(Count("The leader epoch.", 0)),
    isr: Opt(BrokerIds("The in-sync replicas (compared as a set).")),
    elr: Opt(BrokerIds("The eligible leader replicas (compared as a set).")),
    replicas: Opt(BrokerIds("The replicas, in assignment order.")),
    "high-watermark": Opt(Count("The high watermark, as the leader has it.", 0)),
    "log-start-offset": Opt(
      Count("The log start offset, as the leader has it (retention, delete-records).", 0),
    ),
    "last-stable-offset": Opt(
      Count(
        "The last stable offset, as the leader has it: the HW, or the first offset of the earliest open transaction.",
        0,
      ),
    ),
  },
  "A partial match of a partition's state as the controller sees it.",
);

const GroupExpect = Obj(
  {
    id: Type.String({ minLength: 1, description: "The group id." }),
    state: Opt(StringEnum(GROUP_STATES, "The group state.")),
    members: Opt(Count("Number of members.", 0)),
    lag: Opt(Count("Total lag of the group, in records.", 0)),
    generation: Opt(Count("The generation id.", 0)),
  },
  "A partial match of a group's state as its coordinator sees it.",
);

const TimedExpect = Obj(
  {
    partition: Opt(PartitionExpect),
    group: Opt(GroupExpect),
  },
  "An expectation checked at the entry's time: exactly one of partition or group.",
);

const ExpectEntry = Obj(
  {
    check: Opt(StringEnum(CHECKER_NAMES, "A checker over the whole run.")),
    holds: Opt(
      Type.Boolean({ description: "Whether the checker must hold (default true) or not." }),
    ),
    at: Opt(
      Type.Union([StringEnum(["end"] as const, "The end of the run."), Duration("A time.")], {
        description: "When to check a partition or group: a time or `end`.",
        "x-kind": "at-or-end",
      }),
    ),
    partition: Opt(PartitionExpect),
    group: Opt(GroupExpect),
  },
  "An expectation: {check, holds} or {at, partition} or {at, group}.",
);

// ---------------------------------------------------------------------------------------------
// Timeline

const Link = (description: string) =>
  Obj({ from: NodeRef("The sending node."), to: NodeRef("The receiving node.") }, description);

const DiskTarget = (description: string) =>
  Obj(
    {
      broker: Opt(NodeRef("The broker (or give `node`).")),
      node: Opt(NodeRef("Any node with disks, e.g. a host (or give `broker`).")),
      disk: Opt(Count("Index of the log directory, 0-based (default 0: the first).", 0)),
    },
    description,
  );

/** The action keys of a timeline entry, in the order of the format's table. */
export const TIMELINE_ACTIONS = {
  crash: Type.Union(
    [
      NodeRef("The node."),
      Obj(
        {
          node: NodeRef("The node."),
          mode: Opt(
            StringEnum(CRASH_MODES, "process (keeps the page cache, default) or power (drops it)."),
          ),
        },
        "A crash with its mode.",
      ),
    ],
    {
      description:
        "Crash a node: a node, or {node, mode: process|power}. A process crash keeps the host's " +
        "page cache; power loss drops unflushed pages.",
      "x-hint": "a node, or a map {node, mode}",
    },
  ),
  restart: NodeRef("Start a node again (brokers recover their logs)."),
  shutdown: NodeRef("Controlled shutdown of a broker: leadership moves away, then it stops."),
  isolate: NodeRef("Cut the node off from every other node."),
  partition: Type.Array(Type.Array(NodeRef("A node."), { minItems: 1 }), {
    minItems: 2,
    description:
      "Groups of nodes, e.g. [[1], [2, 3, producer-1]]: nodes in different groups cannot reach " +
      "each other; unlisted nodes keep their links.",
  }),
  cut: Link("One way: nothing from `from` reaches `to`."),
  hold: Link("Messages on that link wait, in order, until released."),
  release: Link("Release the messages held on that link."),
  reset: Link("The connection breaks: in-flight messages are lost, both ends see a disconnect."),
  heal: NodeRef("`all` removes every network fault; a node removes those touching it."),
  delay: Obj(
    {
      from: NodeRef("One end of the link."),
      to: NodeRef("The other end."),
      latency: Duration("Extra latency, e.g. 50ms."),
      "one-way": Opt(Type.Boolean({ description: "Only from `from` to `to` (default false)." })),
    },
    "Extra latency on a link (both directions unless one-way).",
  ),
  throttle: Obj(
    { node: NodeRef("The node."), bandwidth: Bandwidth("The new NIC bandwidth, e.g. 100Mbps.") },
    "Set the NIC bandwidth of a node.",
  ),
  "slow-disk": Obj(
    {
      broker: Opt(NodeRef("The broker (or give `node`).")),
      node: Opt(NodeRef("Any node with disks (or give `broker`).")),
      factor: Type.Number({
        exclusiveMinimum: 0,
        maximum: 1_000_000,
        description: "Every IO takes this many times as long.",
      }),
    },
    "Slow down every IO of a node's disks.",
  ),
  "fail-disk": DiskTarget("A log directory goes offline."),
  "disk-full": DiskTarget("Writes to a log directory fail for lack of space."),
  "create-topic": TopicSpec,
  "delete-topic": TopicName("Delete a topic."),
  "alter-topic": Obj(
    { name: TopicName("The topic."), partitions: Count("The new partition count (only grows).") },
    "Add partitions to a topic.",
  ),
  "alter-config": Obj(
    {
      topic: Opt(TopicName("The topic (or give `broker`).")),
      broker: Opt(NodeRef("The broker (or give `topic`).")),
      set: Opt(ConfigMap("Configs to set.")),
      delete: Opt(Type.Array(Type.String({ minLength: 1 }), { description: "Configs to delete." })),
    },
    "Change configs, like kafka-configs --alter.",
  ),
  reassign: Obj(
    {
      topic: TopicName("The topic."),
      partition: Count("The partition.", 0),
      replicas: BrokerIds("The new replica list.", 1),
    },
    "Move a partition's replicas, like kafka-reassign-partitions.",
  ),
  "elect-leaders": Obj(
    {
      type: StringEnum(ELECTION_TYPES, "preferred or unclean."),
      topic: Opt(TopicName("The topic (default: all).")),
      partition: Opt(Count("The partition (needs `topic`).", 0)),
    },
    "Elect leaders, like kafka-leader-election.",
  ),
  start: NodeRef("Start a client."),
  stop: NodeRef("Stop a client gracefully (leave the group, flush, close)."),
  kill: NodeRef("Crash a client."),
  produce: Obj(
    {
      client: Opt(NodeRef("The producer (default: a producer of its own).")),
      topic: TopicName("The topic."),
      key: Opt(ScalarText),
      value: Opt(ScalarText),
      partition: Opt(Count("The partition (default: the partitioner's choice).", 0)),
      count: Opt(Count("How many records (default 1).")),
    },
    "Produce explicit records.",
  ),
  commit: NodeRef("A consumer commits its offsets now (commitSync)."),
  cli: Type.Union(
    [
      Type.String({ minLength: 1, description: "A Kafka tool line." }),
      Obj(
        {
          command: Type.String({ minLength: 1, description: "A Kafka tool line." }),
          input: Opt(Type.Array(ScalarText, { description: "Lines fed to the tool's input." })),
        },
        "A Kafka tool line with input lines.",
      ),
    ],
    {
      description: "Run a Kafka command-line tool against the simulated cluster.",
      "x-hint": "a tool line, or a map {command, input}",
    },
  ),
  say: Type.String({ minLength: 1, description: "Narrative for the class." }),
  ask: Obj(
    {
      question: Type.String({ minLength: 1, description: "The question." }),
      answer: Type.String({ minLength: 1, description: "The answer, shown on continue." }),
    },
    "A prediction prompt.",
  ),
  pause: Type.Literal(true, { description: "In narrative mode the viz stops here." }),
  expect: TimedExpect,
  transfer: Obj(
    {
      from: NodeRef("The sending host."),
      to: NodeRef("The receiving host."),
      size: Size("How many bytes, e.g. 1GiB."),
      mode: Opt(StringEnum(TRANSFER_MODES, "sendfile (zero copy, default), copy or tls.")),
      read: Opt(StringEnum(READ_PATTERNS, "How the file is read: sequential (default) or random.")),
    },
    "Send a file from one host's disk to another host.",
  ),
} satisfies Record<string, TSchema>;

export type ActionKey = keyof typeof TIMELINE_ACTIONS;
export const ACTION_KEYS = Object.keys(TIMELINE_ACTIONS) as ActionKey[];

const actionProperties = Object.fromEntries(
  ACTION_KEYS.map((key) => [key, Opt(TIMELINE_ACTIONS[key])]),
) as { [K in ActionKey]: TOptional<(typeof TIMELINE_ACTIONS)[K]> };

export const TimelineEntrySchema = Obj(
  {
    at: Duration("When the action runs, from the start of the run."),
    ...actionProperties,
  },
  "A timeline entry: `at` and exactly one action.",
  { minProperties: 2, maxProperties: 2, "x-kind": "timeline-entry" },
);

// ---------------------------------------------------------------------------------------------
// Top level

export const ScenarioSchema = Obj(
  {
    version: Opt(Type.Literal(1, { description: "Scenario format version (1; default 1)." })),
    name: Type.String({ minLength: 1, description: "The scenario's name." }),
    description: Opt(Type.String({ description: "Plain text, never rendered as HTML." })),
    seed: Opt(Count("The seed (default 1); the CLI's --seed overrides it.", 0)),
    duration: Opt(Duration("How long the run lasts (default: last timeline entry + 10s).")),
    payloads: Opt(
      Type.Boolean({ description: "Keep readable values for every client (default false)." }),
    ),
    hosts: Opt(Type.Array(Host, { description: "Bare hosts, for machine-level lessons." })),
    cluster: Opt(Cluster),
    topics: Opt(Type.Array(TopicSpec, { description: "Topics created before the run starts." })),
    clients: Opt(Type.Array(Client, { description: "Producers and consumers." })),
    timeline: Opt(Type.Array(TimelineEntrySchema, { description: "Actions and faults, by time." })),
    expect: Opt(Type.Array(ExpectEntry, { description: "What the run must show." })),
  },
  "A kafkasim scenario: a cluster, topics, clients, a timeline of actions and faults, and " +
    "expectations.",
  { $id: SCHEMA_ID, title: "kafkasim scenario (format version 1)" },
);

/** A scenario file as written, after schema validation and before normalization. */
export type RawScenario = Static<typeof ScenarioSchema>;
export type RawTimelineEntry = Static<typeof TimelineEntrySchema>;
export type RawTopic = Static<typeof TopicSpec>;
export type RawClient = Static<typeof Client>;
export type RawCluster = Static<typeof Cluster>;
export type RawHost = Static<typeof Host>;
export type RawDiskSpec = Static<typeof DiskSpec>;
export type RawNetworkSpec = Static<typeof NetworkSpec>;
export type RawExpectEntry = Static<typeof ExpectEntry>;
export type RawPartitionExpect = Static<typeof PartitionExpect>;
export type RawGroupExpect = Static<typeof GroupExpect>;
export type RawWorkload = Static<typeof Workload>;
export type RawActions = { [K in ActionKey]: Static<(typeof TIMELINE_ACTIONS)[K]> };

/** The keys of a disk override object, for suggestions and normalization. */
export const DISK_OVERRIDE_KEYS = Object.keys(DiskOverride.properties);

/**
 * The text of scenarios/schema.json: draft-07, `$schema` first, two-space indentation, a final
 * newline. TypeBox's symbol keys are not part of JSON and drop out.
 */
export function scenarioJsonSchemaText(): string {
  const { $id, title, description, ...rest } = ScenarioSchema;
  const schema = {
    $schema: "http://json-schema.org/draft-07/schema#",
    $id,
    title,
    description,
    ...rest,
  };
  return `${JSON.stringify(schema, null, 2)}\n`;
}
