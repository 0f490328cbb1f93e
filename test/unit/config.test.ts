import { describe, expect, it } from "vitest";
import { SimAssertionError } from "../../sim/engine/assert.ts";
import {
  coerceConfigValue,
  configBoolean,
  configNumber,
  configString,
  formatConfigValue,
  hasConfig,
  hasConfigErrors,
  isUnlimited,
  nonDefaultConfigs,
  type ResolvedConfig,
  resolveBrokerConfig,
  resolveClientConfig,
  resolveTopicConfig,
  validateConfig,
} from "../../sim/kafka/config.ts";
import {
  ASSIGNOR_CLASSES,
  BROKER_CONFIGS,
  CONFIG_DEFS,
  CONSUMER_CONFIGS,
  configDef,
  existsIn,
  INT_MAX,
  LONG_MAX,
  PRODUCER_CONFIGS,
  TOPIC_BROKER_SYNONYMS,
  TOPIC_CONFIGS,
} from "../../sim/kafka/config-defs.ts";
import { KAFKA_VERSIONS, type KafkaVersion } from "../../sim/kafka/version.ts";

const broker = (v: KafkaVersion, overrides: Record<string, unknown> = {}) =>
  resolveBrokerConfig(v, overrides);
const topic = (
  v: KafkaVersion,
  brokerOverrides: Record<string, unknown> = {},
  topicOverrides: Record<string, unknown> = {},
) => resolveTopicConfig(v, broker(v, brokerOverrides), topicOverrides);
const producer = (v: KafkaVersion, overrides: Record<string, unknown> = {}) =>
  resolveClientConfig("producer", v, overrides);
const consumer = (v: KafkaVersion, overrides: Record<string, unknown> = {}) =>
  resolveClientConfig("consumer", v, overrides);

function issueMessages(cfg: ResolvedConfig, level: "error" | "warning"): string[] {
  return cfg.issues.filter((i) => i.level === level).map((i) => i.message);
}

describe("config: definitions", () => {
  it("config: defs: cover at least 40 broker, 25 topic, 30 producer and 30 consumer configs", () => {
    expect(BROKER_CONFIGS.length).toBeGreaterThanOrEqual(40);
    expect(TOPIC_CONFIGS.length).toBeGreaterThanOrEqual(25);
    expect(PRODUCER_CONFIGS.length).toBeGreaterThanOrEqual(30);
    expect(CONSUMER_CONFIGS.length).toBeGreaterThanOrEqual(30);
  });

  it("config: defs: names are unique within a kind", () => {
    for (const defs of Object.values(CONFIG_DEFS)) {
      const names = defs.map((d) => d.name);
      expect(new Set(names).size).toBe(names.length);
    }
  });

  it("config: defs: every release's default passes its own type and validator", () => {
    for (const v of KAFKA_VERSIONS) {
      for (const kind of ["broker", "topic", "producer", "consumer"] as const) {
        const resolved =
          kind === "topic"
            ? topic(v)
            : kind === "broker"
              ? broker(v)
              : resolveClientConfig(kind, v, {});
        for (const [name, value] of Object.entries(resolved.values)) {
          const result = validateConfig(kind, v, name, value);
          expect(result.ok, `${kind} ${name} in ${v}: ${JSON.stringify(result)}`).toBe(true);
        }
        expect(resolved.issues, `${kind} in ${v}`).toEqual([]);
      }
    }
  });

  it("config: defs: every synonym names a topic config and a broker config", () => {
    for (const [topicName, synonyms] of Object.entries(TOPIC_BROKER_SYNONYMS)) {
      expect(configDef("topic", topicName), topicName).toBeDefined();
      for (const s of synonyms) expect(configDef("broker", s.broker), s.broker).toBeDefined();
    }
  });
});

describe("config: defaults per version", () => {
  it("config: default: replica.lag.time.max.ms is 10000 before 2.5 and 30000 from 2.5", () => {
    expect(configNumber(broker("2.4"), "replica.lag.time.max.ms")).toBe(10000);
    expect(configNumber(broker("2.5"), "replica.lag.time.max.ms")).toBe(30000);
    expect(configNumber(broker("2.8"), "replica.lag.time.max.ms")).toBe(30000);
  });

  it("config: default: acks is 1 before 3.0 and all from 3.0", () => {
    expect(configString(producer("2.8"), "acks")).toBe("1");
    expect(configString(producer("3.0"), "acks")).toBe("all");
    expect(configString(producer("3.6"), "acks")).toBe("all");
  });

  it("config: default: linger.ms is 0 up to 3.9 and 5 from 4.0", () => {
    expect(configNumber(producer("3.6"), "linger.ms")).toBe(0);
    expect(configNumber(producer("3.9"), "linger.ms")).toBe(0);
    expect(configNumber(producer("4.0"), "linger.ms")).toBe(5);
    expect(configNumber(producer("4.1"), "linger.ms")).toBe(5);
  });

  it("config: default: unclean leader election is on in 0.10, off from 0.11 (broker and topic)", () => {
    expect(configBoolean(broker("0.10"), "unclean.leader.election.enable")).toBe(true);
    expect(configBoolean(topic("0.10"), "unclean.leader.election.enable")).toBe(true);
    expect(configBoolean(broker("0.11"), "unclean.leader.election.enable")).toBe(false);
    expect(configBoolean(topic("0.11"), "unclean.leader.election.enable")).toBe(false);
  });

  it("config: default: other client defaults follow their KIPs", () => {
    expect(configNumber(producer("2.0"), "retries")).toBe(0);
    expect(configNumber(producer("2.1"), "retries")).toBe(INT_MAX);
    expect(configBoolean(producer("3.1"), "enable.idempotence")).toBe(false);
    expect(configBoolean(producer("3.2"), "enable.idempotence")).toBe(true);
    expect(configNumber(consumer("2.8"), "session.timeout.ms")).toBe(10000);
    expect(configNumber(consumer("3.0"), "session.timeout.ms")).toBe(45000);
    expect(consumer("2.8").values["partition.assignment.strategy"]).toEqual([
      ASSIGNOR_CLASSES.range,
    ]);
    expect(consumer("3.0").values["partition.assignment.strategy"]).toEqual([
      ASSIGNOR_CLASSES.range,
      ASSIGNOR_CLASSES["cooperative-sticky"],
    ]);
    expect(configNumber(consumer("1.1"), "request.timeout.ms")).toBe(305000);
    expect(configNumber(consumer("2.0"), "request.timeout.ms")).toBe(30000);
  });

  it("config: default: other broker defaults follow their KIPs", () => {
    expect(configNumber(broker("2.4"), "zookeeper.session.timeout.ms")).toBe(6000);
    expect(configNumber(broker("2.5"), "zookeeper.session.timeout.ms")).toBe(18000);
    expect(configNumber(broker("3.9"), "num.recovery.threads.per.data.dir")).toBe(1);
    expect(configNumber(broker("4.0"), "num.recovery.threads.per.data.dir")).toBe(2);
    expect(configNumber(broker("4.0"), "eligible.leader.replicas.version")).toBe(0);
    expect(configNumber(broker("4.1"), "eligible.leader.replicas.version")).toBe(1);
    expect(configBoolean(broker("0.11"), "delete.topic.enable")).toBe(false);
    expect(configBoolean(broker("1.0"), "delete.topic.enable")).toBe(true);
    expect(isUnlimited(configNumber(topic("3.9"), "message.timestamp.after.max.ms"))).toBe(true);
    expect(configNumber(topic("4.0"), "message.timestamp.after.max.ms")).toBe(3600000);
  });

  it("config: existence: configs appear and disappear with their releases", () => {
    expect(hasConfig(producer("2.0"), "delivery.timeout.ms")).toBe(false);
    expect(hasConfig(producer("2.1"), "delivery.timeout.ms")).toBe(true);
    expect(hasConfig(broker("3.9"), "zookeeper.connect")).toBe(true);
    expect(hasConfig(broker("4.0"), "zookeeper.connect")).toBe(false);
    expect(hasConfig(broker("3.9"), "eligible.leader.replicas.version")).toBe(false);
    expect(hasConfig(broker("3.7"), "eligible.leader.replicas.enable")).toBe(true);
    expect(hasConfig(broker("4.0"), "eligible.leader.replicas.enable")).toBe(false);
  });
});

describe("config: override order", () => {
  it("config: retention.ms: default 168 hours is 604800000 ms, from DEFAULT_CONFIG", () => {
    const t = topic("4.1");
    expect(configNumber(t, "retention.ms")).toBe(168 * 3600000);
    expect(t.sources["retention.ms"]).toBe("DEFAULT_CONFIG");
  });

  it("config: retention.ms: broker ms > minutes > hours, topic over all", () => {
    // 24 h = 86400000 ms; 30 min = 1800000 ms.
    const hours = topic("4.1", { "log.retention.hours": 24 });
    expect(configNumber(hours, "retention.ms")).toBe(86400000);
    expect(hours.sources["retention.ms"]).toBe("STATIC_BROKER_CONFIG");
    const minutes = topic("4.1", { "log.retention.hours": 24, "log.retention.minutes": 30 });
    expect(configNumber(minutes, "retention.ms")).toBe(1800000);
    const ms = topic("4.1", {
      "log.retention.hours": 24,
      "log.retention.minutes": 30,
      "log.retention.ms": 1000,
    });
    expect(configNumber(ms, "retention.ms")).toBe(1000);
    const own = topic("4.1", { "log.retention.ms": 1000 }, { "retention.ms": 5000 });
    expect(configNumber(own, "retention.ms")).toBe(5000);
    expect(own.sources["retention.ms"]).toBe("DYNAMIC_TOPIC_CONFIG");
  });

  it("config: retention.ms: any negative broker value means forever (-1)", () => {
    expect(configNumber(topic("4.1", { "log.retention.ms": -5 }), "retention.ms")).toBe(-1);
    expect(configNumber(topic("4.1", { "log.retention.hours": -1 }), "retention.ms")).toBe(-1);
  });

  it("config: segment.ms: log.roll.ms over log.roll.hours", () => {
    expect(configNumber(topic("4.1", { "log.roll.hours": 1 }), "segment.ms")).toBe(3600000);
    expect(
      configNumber(topic("4.1", { "log.roll.hours": 1, "log.roll.ms": 100 }), "segment.ms"),
    ).toBe(100);
  });

  it("config: flush.ms: unset log.flush.interval.ms falls back to the scheduler interval", () => {
    expect(isUnlimited(configNumber(topic("4.1"), "flush.ms"))).toBe(true);
    const set = topic("4.1", { "log.flush.interval.ms": 1000 });
    expect(configNumber(set, "flush.ms")).toBe(1000);
    expect(set.sources["flush.ms"]).toBe("STATIC_BROKER_CONFIG");
  });

  it("config: broker: dynamic per-broker > dynamic cluster default > static > default", () => {
    const b = resolveBrokerConfig(
      "4.1",
      { "min.insync.replicas": 2, "log.retention.hours": 12 },
      {
        dynamicDefault: { "min.insync.replicas": 3, "log.retention.hours": 6 },
        dynamic: { "min.insync.replicas": 4 },
      },
    );
    expect(configNumber(b, "min.insync.replicas")).toBe(4);
    expect(b.sources["min.insync.replicas"]).toBe("DYNAMIC_BROKER_CONFIG");
    expect(configNumber(b, "log.retention.hours")).toBe(6);
    expect(b.sources["log.retention.hours"]).toBe("DYNAMIC_DEFAULT_BROKER_CONFIG");
    const t = resolveTopicConfig("4.1", b, {});
    expect(t.sources["min.insync.replicas"]).toBe("DYNAMIC_BROKER_CONFIG");
    expect(configNumber(t, "retention.ms")).toBe(6 * 3600000);
  });

  it("config: broker: the internal topics' replication is capped at the broker count", () => {
    const one = resolveBrokerConfig("4.1", {}, { brokerCount: 1 });
    expect(configNumber(one, "offsets.topic.replication.factor")).toBe(1);
    expect(configNumber(one, "transaction.state.log.replication.factor")).toBe(1);
    expect(configNumber(one, "transaction.state.log.min.isr")).toBe(1);
    expect(one.sources["offsets.topic.replication.factor"]).toBe("STATIC_BROKER_CONFIG");
    const five = resolveBrokerConfig("4.1", {}, { brokerCount: 5 });
    expect(configNumber(five, "offsets.topic.replication.factor")).toBe(3);
    expect(five.sources["offsets.topic.replication.factor"]).toBe("DEFAULT_CONFIG");
    // A value the scenario sets always wins.
    const set = resolveBrokerConfig(
      "4.1",
      { "offsets.topic.replication.factor": 3 },
      { brokerCount: 1 },
    );
    expect(configNumber(set, "offsets.topic.replication.factor")).toBe(3);
  });

  it("config: describe: the Configs column lists non-default entries sorted by name", () => {
    expect(nonDefaultConfigs(topic("4.1"))).toEqual([]);
    const t = topic("4.1", { "log.segment.bytes": 1073741824 }, { "min.insync.replicas": 2 });
    expect(nonDefaultConfigs(t).map((e) => `${e.name}=${e.value}`)).toEqual([
      "min.insync.replicas=2",
      "segment.bytes=1073741824",
    ]);
  });
});

describe("config: coercion", () => {
  it("config: coerce: numbers from YAML numbers or strings", () => {
    const def = configDef("producer", "batch.size")!;
    expect(coerceConfigValue(def, 1000)).toEqual({ ok: true, value: 1000 });
    expect(coerceConfigValue(def, "1000")).toEqual({ ok: true, value: 1000 });
    expect(coerceConfigValue(def, " 1000 ")).toEqual({ ok: true, value: 1000 });
    expect(validateConfig("topic", "4.1", "min.cleanable.dirty.ratio", "0.25")).toEqual({
      ok: true,
      value: 0.25,
    });
  });

  it('config: coerce: booleans from true or "true", any case', () => {
    for (const raw of [true, "true", "TRUE", " True "]) {
      expect(validateConfig("broker", "4.1", "auto.create.topics.enable", raw)).toEqual({
        ok: true,
        value: true,
      });
    }
  });

  it("config: coerce: lists from a comma-separated string or an array", () => {
    expect(validateConfig("topic", "4.1", "cleanup.policy", "compact, delete")).toEqual({
      ok: true,
      value: ["compact", "delete"],
    });
    expect(validateConfig("topic", "4.1", "cleanup.policy", ["compact"])).toEqual({
      ok: true,
      value: ["compact"],
    });
  });

  it("config: coerce: YAML numbers for string configs keep their text (acks: 1, acks: -1)", () => {
    expect(validateConfig("producer", "4.1", "acks", 1)).toEqual({ ok: true, value: "1" });
    expect(validateConfig("producer", "4.1", "acks", -1)).toEqual({ ok: true, value: "-1" });
  });

  it("config: coerce: Long.MAX_VALUE round-trips as Kafka prints it", () => {
    const result = validateConfig("topic", "4.1", "max.compaction.lag.ms", "9223372036854775807");
    expect(result).toEqual({ ok: true, value: LONG_MAX });
    expect(formatConfigValue(LONG_MAX)).toBe("9223372036854775807");
    // The YAML number arrives rounded to 2^63.
    expect(validateConfig("topic", "4.1", "max.compaction.lag.ms", 2 ** 63)).toEqual({
      ok: true,
      value: LONG_MAX,
    });
  });

  it("config: coerce: wrong types are errors in plain words", () => {
    expect(validateConfig("producer", "4.1", "batch.size", "abc")).toEqual({
      ok: false,
      error: "batch.size must be a whole number; got `abc`",
    });
    expect(validateConfig("producer", "4.1", "batch.size", 1.5)).toEqual({
      ok: false,
      error: "batch.size must be a whole number; got `1.5`",
    });
    expect(validateConfig("producer", "4.1", "enable.idempotence", "yes")).toEqual({
      ok: false,
      error: "enable.idempotence must be true or false; got `yes`",
    });
    const tooBig = validateConfig("producer", "4.1", "batch.size", 2 ** 31);
    expect(tooBig.ok).toBe(false);
    expect(!tooBig.ok && tooBig.error).toContain("32-bit");
    const nullValue = validateConfig("producer", "4.1", "acks", null);
    expect(nullValue.ok).toBe(false);
  });

  it("config: coerce: a unit where Kafka wants a bare number gets a hint", () => {
    const result = validateConfig("topic", "4.1", "retention.ms", "5s");
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toBe(
      "retention.ms must be a whole number; got `5s` (retention.ms takes a number of milliseconds, without a unit)",
    );
  });

  it("config: format: doubles as Java prints them", () => {
    expect(formatConfigValue(1, "double")).toBe("1.0");
    expect(formatConfigValue(0.5, "double")).toBe("0.5");
    expect(formatConfigValue(["compact", "delete"])).toBe("compact,delete");
    expect(formatConfigValue(null)).toBe("null");
  });
});

describe("config: validation", () => {
  it("config: validate: enums list their allowed values", () => {
    expect(validateConfig("producer", "4.1", "acks", 2)).toEqual({
      ok: false,
      error: "acks must be one of all, -1, 0, 1; got `2`",
    });
    // The topic codec names are the broker's: `uncompressed`, not the producer's `none`.
    const none = validateConfig("topic", "4.1", "compression.type", "none");
    expect(none.ok).toBe(false);
    expect(!none.ok && none.error).toContain("uncompressed, zstd, lz4, snappy, gzip, producer");
    expect(validateConfig("producer", "4.1", "compression.type", "none").ok).toBe(true);
  });

  it("config: validate: a mistyped enum word gets a suggestion", () => {
    expect(validateConfig("topic", "4.1", "cleanup.policy", "compacted")).toEqual({
      ok: false,
      error:
        "cleanup.policy items must be among compact, delete; got `compacted`; did you mean `compact`?",
    });
    expect(validateConfig("consumer", "4.1", "auto.offset.reset", "earlist")).toEqual({
      ok: false,
      error:
        "auto.offset.reset must be one of latest, earliest, none; got `earlist`; did you mean `earliest`?",
    });
  });

  it("config: validate: case-insensitive enums come back in Kafka's spelling", () => {
    expect(validateConfig("consumer", "4.1", "group.protocol", "CONSUMER")).toEqual({
      ok: true,
      value: "consumer",
    });
  });

  it("config: validate: ranges", () => {
    expect(validateConfig("topic", "4.1", "min.insync.replicas", 0)).toEqual({
      ok: false,
      error: "min.insync.replicas must be at least 1; got `0`",
    });
    expect(validateConfig("topic", "4.1", "min.cleanable.dirty.ratio", 1.5)).toEqual({
      ok: false,
      error: "min.cleanable.dirty.ratio must be between 0 and 1; got `1.5`",
    });
  });

  it("config: validate: assignor short names point to the class name", () => {
    const result = validateConfig("consumer", "4.1", "partition.assignment.strategy", "range");
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toContain(
      "write `org.apache.kafka.clients.consumer.RangeAssignor`",
    );
    expect(
      validateConfig("consumer", "4.1", "partition.assignment.strategy", ASSIGNOR_CLASSES.sticky)
        .ok,
    ).toBe(true);
  });
});

describe("config: suggestions", () => {
  it("config: unknown: the nearest key is suggested", () => {
    expect(validateConfig("producer", "4.1", "ack", "all")).toEqual({
      ok: false,
      error: "unknown producer config `ack`; did you mean `acks`?",
    });
    expect(validateConfig("topic", "4.1", "retention_ms", 1000)).toEqual({
      ok: false,
      error: "unknown topic config `retention_ms`; did you mean `retention.ms`?",
    });
    expect(validateConfig("consumer", "4.1", "auto.ofset.reset", "earliest")).toEqual({
      ok: false,
      error: "unknown consumer config `auto.ofset.reset`; did you mean `auto.offset.reset`?",
    });
    expect(validateConfig("producer", "4.1", "xyzzy", 1)).toEqual({
      ok: false,
      error: "unknown producer config `xyzzy`",
    });
  });

  it("config: unknown: a key of another kind says where it belongs", () => {
    expect(validateConfig("topic", "4.1", "log.retention.ms", 1000)).toEqual({
      ok: false,
      error: "`log.retention.ms` is a broker config; the topic config is `retention.ms`",
    });
    expect(validateConfig("broker", "4.1", "retention.ms", 1000)).toEqual({
      ok: false,
      error: "`retention.ms` is a topic config; the broker-wide default is `log.retention.ms`",
    });
    const misplaced = validateConfig("producer", "4.1", "min.insync.replicas", 2);
    expect(!misplaced.ok && misplaced.error).toBe(
      "`min.insync.replicas` is a topic and broker config, not a producer config",
    );
    const group = validateConfig("producer", "4.1", "group.id", "g");
    expect(!group.ok && group.error).toBe("`group.id` is a consumer config, not a producer config");
  });

  it("config: version: a key from another release passes with a warning and is ignored", () => {
    const added = validateConfig("producer", "2.0", "delivery.timeout.ms", 1000);
    expect(added).toEqual({
      ok: true,
      value: 1000,
      warning: "`delivery.timeout.ms` does not exist in Kafka 2.0 (added in 2.1); it is ignored",
    });
    const removed = validateConfig("broker", "4.0", "zookeeper.connect", "zk:2181");
    expect(removed.ok && removed.warning).toBe(
      "`zookeeper.connect` does not exist in Kafka 4.0 (removed in 4.0); it is ignored",
    );
    const p = producer("2.0", { "delivery.timeout.ms": 1000 });
    expect(hasConfig(p, "delivery.timeout.ms")).toBe(false);
    expect(issueMessages(p, "warning")).toHaveLength(1);
  });

  it("config: resolve: a bad key is reported and the default kept", () => {
    const b = broker("4.1", { "min.insync.replicas": 0, "log.retention.hour": 1 });
    expect(configNumber(b, "min.insync.replicas")).toBe(1);
    expect(b.sources["min.insync.replicas"]).toBe("DEFAULT_CONFIG");
    expect(hasConfigErrors(b)).toBe(true);
    // Issues come in key order: "log.retention.hour" sorts before "min.insync.replicas".
    expect(b.issues.map((i) => i.key)).toEqual(["log.retention.hour", "min.insync.replicas"]);
    expect(b.issues[0]!.message).toBe(
      "unknown broker config `log.retention.hour`; did you mean `log.retention.hours`?",
    );
  });
});

describe("config: cross-checks", () => {
  it("config: producer: default idempotence gives way to acks=1 (3.2+), explicit idempotence does not", () => {
    const implicit = producer("4.1", { acks: 1 });
    expect(configBoolean(implicit, "enable.idempotence")).toBe(false);
    expect(hasConfigErrors(implicit)).toBe(false);
    expect(issueMessages(implicit, "warning")[0]).toContain("acks=1");
    const explicit = producer("4.1", { acks: 1, "enable.idempotence": true });
    expect(issueMessages(explicit, "error")).toEqual([
      "the idempotent producer cannot run with acks=1 (needs all)",
    ]);
    const inFlight = producer("4.1", {
      "enable.idempotence": "true",
      "max.in.flight.requests.per.connection": 6,
    });
    expect(issueMessages(inFlight, "error")[0]).toContain(
      "max.in.flight.requests.per.connection=6",
    );
  });

  it("config: producer: an explicit enable.idempotence=false goes with acks=1, retries=0, in-flight 10", () => {
    // Found by the fault search: an explicit `false` was treated like an explicit `true`.
    for (const extra of [
      { acks: 1 },
      { retries: 0 },
      { "max.in.flight.requests.per.connection": 10 },
    ]) {
      const off = producer("4.1", { "enable.idempotence": false, ...extra });
      expect(issueMessages(off, "error")).toEqual([]);
      expect(configBoolean(off, "enable.idempotence")).toBe(false);
    }
  });

  it("config: producer: a transactional.id implies idempotence, even where it is off by default", () => {
    const tx = producer("3.1", { "transactional.id": "tx-1" });
    expect(configBoolean(tx, "enable.idempotence")).toBe(true);
    const contradiction = producer("4.1", {
      "transactional.id": "tx-1",
      "enable.idempotence": false,
    });
    expect(issueMessages(contradiction, "error")).toEqual([
      "a transactional.id needs enable.idempotence=true",
    ]);
  });

  it("config: producer: before 3.0 acks=1 is the default and nothing conflicts", () => {
    const p = producer("2.8");
    expect(configBoolean(p, "enable.idempotence")).toBe(false);
    expect(p.issues).toEqual([]);
  });

  it("config: producer: delivery.timeout.ms covers linger.ms + request.timeout.ms", () => {
    // 100000 + 30000 = 130000 > the 120000 default, which is raised silently.
    const raised = producer("4.1", { "linger.ms": 100000 });
    expect(configNumber(raised, "delivery.timeout.ms")).toBe(130000);
    expect(hasConfigErrors(raised)).toBe(false);
    const explicit = producer("4.1", { "delivery.timeout.ms": 1000 });
    expect(issueMessages(explicit, "error")).toEqual([
      "delivery.timeout.ms (1000) must be at least linger.ms + request.timeout.ms (30005)",
    ]);
  });

  it("config: broker: replica.fetch.wait.max.ms must stay below the lag and socket timeouts", () => {
    const b = broker("4.1", { "replica.fetch.wait.max.ms": 40000 });
    expect(issueMessages(b, "error")).toHaveLength(2);
    expect(broker("4.1", { "replica.fetch.wait.max.ms": 1000 }).issues).toEqual([]);
  });

  it("config: topic: min.compaction.lag.ms must not exceed max.compaction.lag.ms", () => {
    const t = topic("4.1", {}, { "min.compaction.lag.ms": 10, "max.compaction.lag.ms": 5 });
    expect(issueMessages(t, "error")).toEqual([
      "min.compaction.lag.ms (10) must not exceed max.compaction.lag.ms (5)",
    ]);
  });

  it("config: consumer: group.remote.assignor needs the consumer protocol", () => {
    const c = consumer("4.1", { "group.remote.assignor": "uniform" });
    expect(issueMessages(c, "error")).toEqual([
      "group.remote.assignor cannot be set when group.protocol=classic",
    ]);
    expect(
      consumer("4.1", { "group.remote.assignor": "uniform", "group.protocol": "consumer" }).issues,
    ).toEqual([]);
  });
});

describe("config: accessors", () => {
  it("config: accessors: a wrong name or type is a bug and asserts", () => {
    const p = producer("4.1");
    expect(() => configNumber(p, "acks")).toThrow(SimAssertionError);
    expect(() => configNumber(p, "no.such.config")).toThrow(SimAssertionError);
    expect(() => configBoolean(producer("2.0"), "enable.idempotence")).not.toThrow();
    expect(existsIn(configDef("producer", "delivery.timeout.ms")!, "2.0")).toBe(false);
  });
});
