/**
 * Config resolution and validation: turns the configs a scenario gives (broker, topic, producer,
 * consumer) into typed values with the source of each, as Kafka would.
 *
 * Models: Kafka's type parsing (ConfigDef.parseType: "1000" and 1000 are both an int, "true" and
 * true both a boolean, "a,b" and [a, b] both a list), its validators (ranges, allowed values), the
 * override order of a topic config (topic override > broker `log.*` synonym that is set > default,
 * with `log.retention.ms` > `.minutes` > `.hours`), the sources DescribeConfigs reports
 * (DYNAMIC_TOPIC_CONFIG, DYNAMIC_BROKER_CONFIG, DYNAMIC_DEFAULT_BROKER_CONFIG,
 * STATIC_BROKER_CONFIG, DEFAULT_CONFIG), the cross-checks Kafka makes at startup
 * (KafkaConfig: replica.fetch.wait.max.ms bounds; LogConfig: compaction lags; KafkaProducer:
 * idempotence rules and delivery.timeout.ms), and the quickstart rule of the scenario format
 * (internal topics' replication factor and min ISR capped at the broker count).
 *
 * Simplifies: where Kafka only logs an unknown client config, the simulator reports an error, so a
 * typo in a scenario cannot pass silently. Client configs have no source in Kafka; the simulator
 * marks the ones a client set as CLIENT_CONFIG. Messages are our own words.
 *
 * Faults: none; pure functions.
 */

import { assert } from "../engine/assert.ts";
import { nearest } from "../engine/suggest.ts";
import {
  ASSIGNOR_CLASSES,
  BROKER_TOPIC_SYNONYM,
  CONFIG_DEFS,
  type ConfigDef,
  type ConfigKind,
  type ConfigValue,
  configDef,
  configDefault,
  configDefsFor,
  existsIn,
  INT_MAX,
  INT_MIN,
  LONG_MAX,
  LONG_MAX_TEXT,
  TOPIC_BROKER_SYNONYMS,
} from "./config-defs.ts";
import { type KafkaVersion, versionAtLeast } from "./version.ts";

/**
 * Where a value comes from, named as in Kafka's DescribeConfigs (ConfigEntry.ConfigSource), plus
 * CLIENT_CONFIG for a value a producer or consumer set (Kafka has no source for client configs).
 */
export type ConfigSource =
  | "DYNAMIC_TOPIC_CONFIG"
  | "DYNAMIC_BROKER_CONFIG"
  | "DYNAMIC_DEFAULT_BROKER_CONFIG"
  | "STATIC_BROKER_CONFIG"
  | "DEFAULT_CONFIG"
  | "CLIENT_CONFIG";

export interface ConfigIssue {
  readonly level: "error" | "warning";
  readonly key: string;
  readonly message: string;
}

/** Plain data (structured-clone safe): values and sources keyed by config name. */
export interface ResolvedConfig {
  readonly kind: ConfigKind;
  readonly version: KafkaVersion;
  /** Every config that exists in this version, in definition order. */
  readonly values: Readonly<Record<string, ConfigValue>>;
  readonly sources: Readonly<Record<string, ConfigSource>>;
  /** Problems met while resolving; a key with an error keeps its default. */
  readonly issues: readonly ConfigIssue[];
}

export type ValidateResult =
  | { readonly ok: true; readonly value: ConfigValue; readonly warning?: string }
  | { readonly ok: false; readonly error: string };

export interface BrokerConfigOptions {
  /**
   * Number of brokers in the cluster. When given, `offsets.topic.replication.factor`,
   * `transaction.state.log.replication.factor` and `transaction.state.log.min.isr` that the
   * scenario does not set become min(Kafka's default, brokers), as Kafka's quickstart configs do
   * (scenario-format.md, "cluster").
   */
  readonly brokerCount?: number;
  /** Cluster-wide dynamic configs (kafka-configs --entity-type brokers --entity-default). */
  readonly dynamicDefault?: Readonly<Record<string, unknown>>;
  /** This broker's dynamic configs (kafka-configs --entity-type brokers --entity-name N). */
  readonly dynamic?: Readonly<Record<string, unknown>>;
}

// ---------------------------------------------------------------------------------------------
// Type coercion

type Coerced = { ok: true; value: ConfigValue } | { ok: false; error: string };

function show(raw: unknown): string {
  if (typeof raw === "string") return raw;
  if (Array.isArray(raw)) return raw.map(show).join(",");
  return String(raw);
}

const INTEGER_TEXT = /^[+-]?\d+$/;
const DECIMAL_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const DURATION_TEXT = /^\d+(\.\d+)?\s*(us|ms|s|m|h|d)$/;
const SIZE_TEXT = /^\d+(\.\d+)?\s*(B|KB|MB|GB|KiB|MiB|GiB)$/;

/** A hint for someone who wrote `5s` or `1MiB` where Kafka wants a bare number. */
function unitHint(name: string, raw: string): string {
  if (name.endsWith(".ms") && DURATION_TEXT.test(raw)) {
    return ` (${name} takes a number of milliseconds, without a unit)`;
  }
  if (name.endsWith(".bytes") && SIZE_TEXT.test(raw)) {
    return ` (${name} takes a number of bytes, without a unit)`;
  }
  return "";
}

function coerceInteger(def: ConfigDef, raw: unknown): Coerced {
  const isLong = def.type === "long";
  let value: number;
  if (typeof raw === "number") {
    if (!Number.isInteger(raw)) {
      return { ok: false, error: `${def.name} must be a whole number; got \`${raw}\`` };
    }
    value = raw;
  } else if (typeof raw === "string" && INTEGER_TEXT.test(raw.trim())) {
    const text = raw.trim().replace(/^\+/, "");
    if (isLong && text === LONG_MAX_TEXT) return { ok: true, value: LONG_MAX };
    value = Number(text);
  } else {
    const text = show(raw).trim();
    return {
      ok: false,
      error: `${def.name} must be a whole number; got \`${text}\`${unitHint(def.name, text)}`,
    };
  }
  if (isLong) {
    // A YAML number 9223372036854775807 arrives rounded to 2^63.
    if (value === 2 ** 63) return { ok: true, value: LONG_MAX };
    if (!Number.isSafeInteger(value)) {
      return {
        ok: false,
        error:
          `${def.name} is too large for the simulator; got \`${show(raw)}\` ` +
          `(largest: ${Number.MAX_SAFE_INTEGER}, or ${LONG_MAX_TEXT} for no limit)`,
      };
    }
    return { ok: true, value };
  }
  if (value < INT_MIN || value > INT_MAX) {
    return {
      ok: false,
      error: `${def.name} must fit in a 32-bit int (${INT_MIN} to ${INT_MAX}); got \`${show(raw)}\``,
    };
  }
  return { ok: true, value };
}

function coerceDouble(def: ConfigDef, raw: unknown): Coerced {
  if (typeof raw === "number" && Number.isFinite(raw)) return { ok: true, value: raw };
  if (typeof raw === "string" && DECIMAL_TEXT.test(raw.trim())) {
    return { ok: true, value: Number(raw.trim()) };
  }
  return { ok: false, error: `${def.name} must be a number; got \`${show(raw)}\`` };
}

function coerceBoolean(def: ConfigDef, raw: unknown): Coerced {
  if (typeof raw === "boolean") return { ok: true, value: raw };
  if (typeof raw === "string") {
    const text = raw.trim().toLowerCase();
    if (text === "true") return { ok: true, value: true };
    if (text === "false") return { ok: true, value: false };
  }
  return { ok: false, error: `${def.name} must be true or false; got \`${show(raw)}\`` };
}

function coerceList(def: ConfigDef, raw: unknown): Coerced {
  if (Array.isArray(raw)) {
    const items: string[] = [];
    for (const item of raw) {
      if (typeof item !== "string" && typeof item !== "number" && typeof item !== "boolean") {
        return { ok: false, error: `${def.name} must be a list of strings; got \`${show(raw)}\`` };
      }
      items.push(String(item).trim());
    }
    return { ok: true, value: items };
  }
  if (typeof raw === "string") {
    const text = raw.trim();
    return { ok: true, value: text === "" ? [] : text.split(/\s*,\s*/) };
  }
  if (typeof raw === "number" || typeof raw === "boolean") {
    return { ok: true, value: [String(raw)] };
  }
  return { ok: false, error: `${def.name} must be a list; got \`${show(raw)}\`` };
}

function coerceString(def: ConfigDef, raw: unknown): Coerced {
  // YAML turns `acks: 1` into a number and `acks: -1` into a negative one: take their text.
  if (typeof raw === "string") return { ok: true, value: raw.trim() };
  if (typeof raw === "number" || typeof raw === "boolean") return { ok: true, value: String(raw) };
  return { ok: false, error: `${def.name} must be a string; got \`${show(raw)}\`` };
}

/** Parses a raw value (from YAML, JSON or a command line) into the config's type. */
export function coerceConfigValue(def: ConfigDef, raw: unknown): Coerced {
  if (raw === null || raw === undefined) {
    return def.default === null
      ? { ok: true, value: null }
      : { ok: false, error: `${def.name} needs a value; it cannot be null` };
  }
  switch (def.type) {
    case "int":
    case "long":
      return coerceInteger(def, raw);
    case "double":
      return coerceDouble(def, raw);
    case "boolean":
      return coerceBoolean(def, raw);
    case "list":
      return coerceList(def, raw);
    case "string":
    case "class":
    case "password":
      return coerceString(def, raw);
  }
}

// ---------------------------------------------------------------------------------------------
// Validators

function rangeText(min: number | undefined, max: number | undefined): string {
  if (min !== undefined && max !== undefined) return `between ${min} and ${max}`;
  if (min !== undefined) return `at least ${min}`;
  return `at most ${max}`;
}

/** A "did you mean" for a mistyped word value; never for numbers, which would match anything. */
function didYouMean(word: string, candidates: readonly string[]): string {
  if (word.length < 3 || DECIMAL_TEXT.test(word)) return "";
  const near = nearest(word, candidates);
  return near === undefined ? "" : `; did you mean \`${near}\`?`;
}

/** Why an item of partition.assignment.strategy is wrong, in the words a student needs. */
function assignorHint(item: string): string {
  const byShortName = (ASSIGNOR_CLASSES as Record<string, string>)[item.toLowerCase()];
  if (byShortName !== undefined) {
    return `; the Java client takes class names: write \`${byShortName}\``;
  }
  const bySimpleName = Object.values(ASSIGNOR_CLASSES).find((cls) => cls.endsWith(`.${item}`));
  if (bySimpleName !== undefined) return `; write the full class name \`${bySimpleName}\``;
  return didYouMean(item, Object.values(ASSIGNOR_CLASSES));
}

function applyValidator(def: ConfigDef, value: ConfigValue): Coerced {
  const v = def.validator;
  if (v === undefined || value === null) return { ok: true, value };
  switch (v.kind) {
    case "range": {
      const n = value as number;
      const tooLow = v.min !== undefined && n < v.min;
      const tooHigh = v.max !== undefined && n > v.max;
      if (tooLow || tooHigh) {
        return {
          ok: false,
          error: `${def.name} must be ${rangeText(v.min, v.max)}; got \`${formatConfigValue(n)}\``,
        };
      }
      return { ok: true, value };
    }
    case "oneOf": {
      const text = value as string;
      const match = v.caseInsensitive
        ? v.values.find((allowed) => allowed.toLowerCase() === text.toLowerCase())
        : v.values.find((allowed) => allowed === text);
      if (match !== undefined) return { ok: true, value: match };
      return {
        ok: false,
        error:
          `${def.name} must be one of ${v.values.join(", ")}; got \`${text}\`` +
          didYouMean(text, v.values),
      };
    }
    case "listOf": {
      for (const item of value as readonly string[]) {
        if (!v.values.includes(item)) {
          const hint =
            def.name === "partition.assignment.strategy"
              ? assignorHint(item)
              : didYouMean(item, v.values);
          return {
            ok: false,
            error: `${def.name} items must be among ${v.values.join(", ")}; got \`${item}\`${hint}`,
          };
        }
      }
      return { ok: true, value };
    }
    case "nonEmpty":
      return (value as string).length > 0
        ? { ok: true, value }
        : { ok: false, error: `${def.name} must not be empty (leave it unset instead)` };
  }
}

// ---------------------------------------------------------------------------------------------
// Validation of one key

const OTHER_KINDS: Readonly<Record<ConfigKind, readonly ConfigKind[]>> = {
  broker: ["topic", "producer", "consumer"],
  topic: ["broker", "producer", "consumer"],
  producer: ["consumer", "topic", "broker"],
  consumer: ["producer", "topic", "broker"],
};

/** The message for a key the kind does not have. */
function unknownKeyMessage(kind: ConfigKind, version: KafkaVersion, key: string): string {
  if (kind === "topic" && Object.hasOwn(BROKER_TOPIC_SYNONYM, key)) {
    return `\`${key}\` is a broker config; the topic config is \`${BROKER_TOPIC_SYNONYM[key]}\``;
  }
  if (kind === "broker" && Object.hasOwn(TOPIC_BROKER_SYNONYMS, key)) {
    const broker = TOPIC_BROKER_SYNONYMS[key]![0]!.broker;
    return `\`${key}\` is a topic config; the broker-wide default is \`${broker}\``;
  }
  const owners = OTHER_KINDS[kind].filter((other) => configDef(other, key) !== undefined);
  if (owners.length > 0) {
    return `\`${key}\` is a ${owners.join(" and ")} config, not a ${kind} config`;
  }
  const current = configDefsFor(kind, version).map((d) => d.name);
  const near =
    nearest(key, current) ??
    nearest(
      key,
      CONFIG_DEFS[kind].map((d) => d.name),
    );
  return near === undefined
    ? `unknown ${kind} config \`${key}\``
    : `unknown ${kind} config \`${key}\`; did you mean \`${near}\`?`;
}

/** A warning when the config is not part of this release, else undefined. */
function versionWarning(def: ConfigDef, version: KafkaVersion): string | undefined {
  if (existsIn(def, version)) return undefined;
  if (def.since !== undefined && !versionAtLeast(version, def.since)) {
    return `\`${def.name}\` does not exist in Kafka ${version} (added in ${def.since}); it is ignored`;
  }
  return `\`${def.name}\` does not exist in Kafka ${version} (removed in ${def.removedIn}); it is ignored`;
}

/**
 * Checks one config as a scenario or a tool gives it: known key (with a suggestion otherwise),
 * type, allowed values; a key that exists only in other releases passes with a warning.
 */
export function validateConfig(
  kind: ConfigKind,
  version: KafkaVersion,
  key: string,
  value: unknown,
): ValidateResult {
  const def = configDef(kind, key);
  if (def === undefined) return { ok: false, error: unknownKeyMessage(kind, version, key) };
  const coerced = coerceConfigValue(def, value);
  if (!coerced.ok) return coerced;
  const validated = applyValidator(def, coerced.value);
  if (!validated.ok) return validated;
  const warning = versionWarning(def, version);
  return warning === undefined
    ? { ok: true, value: validated.value }
    : { ok: true, value: validated.value, warning };
}

// ---------------------------------------------------------------------------------------------
// Resolution

interface Builder {
  readonly kind: ConfigKind;
  readonly version: KafkaVersion;
  readonly values: Record<string, ConfigValue>;
  readonly sources: Record<string, ConfigSource>;
  readonly issues: ConfigIssue[];
}

function newBuilder(kind: ConfigKind, version: KafkaVersion): Builder {
  const builder: Builder = { kind, version, values: {}, sources: {}, issues: [] };
  for (const def of configDefsFor(kind, version)) {
    builder.values[def.name] = configDefault(def, version);
    builder.sources[def.name] = "DEFAULT_CONFIG";
  }
  return builder;
}

/** Applies user values in key order (sorted, so the issues come out in a stable order). */
function applyOverrides(
  builder: Builder,
  overrides: Readonly<Record<string, unknown>> | undefined,
  source: ConfigSource,
): void {
  if (overrides === undefined) return;
  for (const key of Object.keys(overrides).sort()) {
    const result = validateConfig(builder.kind, builder.version, key, overrides[key]);
    if (!result.ok) {
      builder.issues.push({ level: "error", key, message: result.error });
    } else if (result.warning !== undefined) {
      builder.issues.push({ level: "warning", key, message: result.warning });
    } else {
      builder.values[key] = result.value;
      builder.sources[key] = source;
    }
  }
}

function finish(builder: Builder): ResolvedConfig {
  return {
    kind: builder.kind,
    version: builder.version,
    values: builder.values,
    sources: builder.sources,
    issues: builder.issues,
  };
}

function num(builder: Builder, name: string): number {
  const value = builder.values[name];
  assert(typeof value === "number", () => `config ${name} is not a number: ${String(value)}`);
  return value;
}

const INTERNAL_TOPIC_CAPS = [
  "offsets.topic.replication.factor",
  "transaction.state.log.replication.factor",
  "transaction.state.log.min.isr",
];

/**
 * A broker's configs: static overrides (server.properties, the scenario's `cluster.config`), then
 * cluster-wide dynamic ones, then this broker's dynamic ones, over the release's defaults.
 */
export function resolveBrokerConfig(
  version: KafkaVersion,
  overrides: Readonly<Record<string, unknown>>,
  options: BrokerConfigOptions = {},
): ResolvedConfig {
  const builder = newBuilder("broker", version);
  applyOverrides(builder, overrides, "STATIC_BROKER_CONFIG");
  if (options.brokerCount !== undefined) {
    assert(
      Number.isSafeInteger(options.brokerCount) && options.brokerCount >= 1,
      `brokerCount must be a positive integer, got ${options.brokerCount}`,
    );
    for (const name of INTERNAL_TOPIC_CAPS) {
      if (!(name in builder.values) || builder.sources[name] !== "DEFAULT_CONFIG") continue;
      const capped = Math.min(num(builder, name), options.brokerCount);
      if (capped !== builder.values[name]) {
        // As if written in server.properties, like Kafka's quickstart configs do.
        builder.values[name] = capped;
        builder.sources[name] = "STATIC_BROKER_CONFIG";
      }
    }
  }
  applyOverrides(builder, options.dynamicDefault, "DYNAMIC_DEFAULT_BROKER_CONFIG");
  applyOverrides(builder, options.dynamic, "DYNAMIC_BROKER_CONFIG");
  checkBroker(builder);
  return finish(builder);
}

/** KafkaConfig's startup checks that involve two configs. */
function checkBroker(builder: Builder): void {
  const waitMs = num(builder, "replica.fetch.wait.max.ms");
  const socketMs = num(builder, "replica.socket.timeout.ms");
  const lagMs = num(builder, "replica.lag.time.max.ms");
  if (waitMs > socketMs) {
    builder.issues.push({
      level: "error",
      key: "replica.fetch.wait.max.ms",
      message: `replica.fetch.wait.max.ms (${waitMs}) must not exceed replica.socket.timeout.ms (${socketMs})`,
    });
  }
  if (waitMs > lagMs) {
    builder.issues.push({
      level: "error",
      key: "replica.fetch.wait.max.ms",
      message: `replica.fetch.wait.max.ms (${waitMs}) must not exceed replica.lag.time.max.ms (${lagMs}), or followers would drop out of the ISR while they wait`,
    });
  }
}

/** Turns a broker synonym's value into the topic config's unit. */
function fromBrokerValue(topicName: string, value: ConfigValue, factor: number): ConfigValue {
  if (typeof value !== "number" || factor === 1) {
    // A negative log.retention.ms means "forever", which the topic spells -1.
    return topicName === "retention.ms" && typeof value === "number" && value < 0 ? -1 : value;
  }
  const ms = value * factor;
  return topicName === "retention.ms" && ms < 0 ? -1 : ms;
}

/**
 * The value a topic gets from the broker when it does not set the config itself: the first
 * synonym that has a value, with that synonym's source (DEFAULT_CONFIG when it is only the broker's
 * default), or the topic default when no synonym applies.
 */
export function brokerTopicDefault(
  brokerConfig: ResolvedConfig,
  topicDef: ConfigDef,
): { value: ConfigValue; source: ConfigSource } {
  for (const synonym of TOPIC_BROKER_SYNONYMS[topicDef.name] ?? []) {
    if (!(synonym.broker in brokerConfig.values)) continue;
    const value = brokerConfig.values[synonym.broker]!;
    if (value === null) continue;
    return {
      value: fromBrokerValue(topicDef.name, value, synonym.factor),
      source: brokerConfig.sources[synonym.broker]!,
    };
  }
  return { value: configDefault(topicDef, brokerConfig.version), source: "DEFAULT_CONFIG" };
}

/**
 * A topic's configs: its own overrides (DYNAMIC_TOPIC_CONFIG) over the broker's `log.*` synonyms
 * over the defaults.
 */
export function resolveTopicConfig(
  version: KafkaVersion,
  brokerConfig: ResolvedConfig,
  topicOverrides: Readonly<Record<string, unknown>>,
): ResolvedConfig {
  assert(brokerConfig.kind === "broker", "resolveTopicConfig needs a broker config");
  assert(
    brokerConfig.version === version,
    () => `broker config is for ${brokerConfig.version}, topic for ${version}`,
  );
  const builder = newBuilder("topic", version);
  for (const def of configDefsFor("topic", version)) {
    const inherited = brokerTopicDefault(brokerConfig, def);
    builder.values[def.name] = inherited.value;
    builder.sources[def.name] = inherited.source;
  }
  applyOverrides(builder, topicOverrides, "DYNAMIC_TOPIC_CONFIG");
  const minLag = num(builder, "min.compaction.lag.ms");
  const maxLag =
    "max.compaction.lag.ms" in builder.values ? num(builder, "max.compaction.lag.ms") : LONG_MAX;
  if (minLag > maxLag) {
    builder.issues.push({
      level: "error",
      key: "min.compaction.lag.ms",
      message: `min.compaction.lag.ms (${minLag}) must not exceed max.compaction.lag.ms (${maxLag})`,
    });
  }
  return finish(builder);
}

/** A producer's or consumer's configs, with the checks the Java client makes at construction. */
export function resolveClientConfig(
  kind: "producer" | "consumer",
  version: KafkaVersion,
  overrides: Readonly<Record<string, unknown>>,
): ResolvedConfig {
  const builder = newBuilder(kind, version);
  applyOverrides(builder, overrides, "CLIENT_CONFIG");
  if (kind === "producer") {
    checkIdempotence(builder);
    checkDeliveryTimeout(builder);
  } else {
    checkRemoteAssignor(builder);
  }
  return finish(builder);
}

/**
 * KafkaProducer's idempotence rules: explicitly enabled idempotence with acks other than all,
 * retries=0 or more than 5 requests in flight is an error; a transactional.id needs idempotence;
 * when idempotence is only the default, a conflict turns it off (KAFKA-13673, from 3.2).
 */
function checkIdempotence(builder: Builder): void {
  if (!("enable.idempotence" in builder.values)) return; // before 0.11
  const explicit = builder.sources["enable.idempotence"] === "CLIENT_CONFIG";
  const transactional = builder.values["transactional.id"] !== null;
  if (transactional && explicit && builder.values["enable.idempotence"] === false) {
    builder.issues.push({
      level: "error",
      key: "enable.idempotence",
      message: "a transactional.id needs enable.idempotence=true",
    });
    return;
  }
  const acks = builder.values.acks;
  const conflicts: string[] = [];
  if (acks !== "all" && acks !== "-1") conflicts.push(`acks=${String(acks)} (needs all)`);
  if (num(builder, "retries") === 0) conflicts.push("retries=0 (needs more than 0)");
  const inFlight = num(builder, "max.in.flight.requests.per.connection");
  if (inFlight > 5)
    conflicts.push(`max.in.flight.requests.per.connection=${inFlight} (needs 5 or fewer)`);
  // Only an explicit `true` (or a transactional.id) insists: an explicit `false` wants no idempotence.
  const wanted = (explicit && builder.values["enable.idempotence"] === true) || transactional;
  if (wanted && conflicts.length > 0) {
    builder.issues.push({
      level: "error",
      key: "enable.idempotence",
      message: `the idempotent producer cannot run with ${conflicts.join(", ")}`,
    });
    return;
  }
  if (transactional) {
    builder.values["enable.idempotence"] = true;
  } else if (!explicit && builder.values["enable.idempotence"] === true && conflicts.length > 0) {
    builder.values["enable.idempotence"] = false;
    builder.issues.push({
      level: "warning",
      key: "enable.idempotence",
      message: `idempotence is off because of ${conflicts.join(", ")}; set enable.idempotence=true to make this an error`,
    });
  }
}

/**
 * delivery.timeout.ms must cover linger.ms + request.timeout.ms: an explicit value below that is
 * an error; the default is raised silently (KafkaProducer.configureDeliveryTimeout).
 */
function checkDeliveryTimeout(builder: Builder): void {
  if (!("delivery.timeout.ms" in builder.values)) return; // before 2.1
  const floor = num(builder, "linger.ms") + num(builder, "request.timeout.ms");
  const delivery = num(builder, "delivery.timeout.ms");
  if (delivery >= floor) return;
  if (builder.sources["delivery.timeout.ms"] === "CLIENT_CONFIG") {
    builder.issues.push({
      level: "error",
      key: "delivery.timeout.ms",
      message: `delivery.timeout.ms (${delivery}) must be at least linger.ms + request.timeout.ms (${floor})`,
    });
  } else {
    builder.values["delivery.timeout.ms"] = Math.min(floor, INT_MAX);
    builder.issues.push({
      level: "warning",
      key: "delivery.timeout.ms",
      message: `delivery.timeout.ms raised to ${floor} (linger.ms + request.timeout.ms)`,
    });
  }
}

/** ConsumerConfig: group.remote.assignor only means something with group.protocol=consumer. */
function checkRemoteAssignor(builder: Builder): void {
  const assignor = builder.values["group.remote.assignor"];
  if (assignor === undefined || assignor === null || assignor === "") return;
  if (builder.values["group.protocol"] === "classic") {
    builder.issues.push({
      level: "error",
      key: "group.remote.assignor",
      message: "group.remote.assignor cannot be set when group.protocol=classic",
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Reading resolved values (for model code: a wrong name or type is a bug, hence assertions)

function read(cfg: ResolvedConfig, name: string): ConfigValue {
  assert(
    Object.hasOwn(cfg.values, name),
    () => `${cfg.kind} config ${name} does not exist in ${cfg.version}`,
  );
  return cfg.values[name]!;
}

export function hasConfig(cfg: ResolvedConfig, name: string): boolean {
  return Object.hasOwn(cfg.values, name);
}

/** An int, long or double config. Check isUnlimited() before converting a long to microseconds. */
export function configNumber(cfg: ResolvedConfig, name: string): number {
  const value = read(cfg, name);
  assert(typeof value === "number", () => `${cfg.kind} config ${name} is not a number`);
  return value;
}

/** A long or int config that may be unset (null), such as log.retention.ms. */
export function configNumberOrNull(cfg: ResolvedConfig, name: string): number | null {
  const value = read(cfg, name);
  assert(
    value === null || typeof value === "number",
    () => `${cfg.kind} config ${name} is not a number`,
  );
  return value;
}

export function configBoolean(cfg: ResolvedConfig, name: string): boolean {
  const value = read(cfg, name);
  assert(typeof value === "boolean", () => `${cfg.kind} config ${name} is not a boolean`);
  return value;
}

export function configString(cfg: ResolvedConfig, name: string): string | null {
  const value = read(cfg, name);
  assert(
    value === null || typeof value === "string",
    () => `${cfg.kind} config ${name} is not a string`,
  );
  return value;
}

export function configList(cfg: ResolvedConfig, name: string): readonly string[] {
  const value = read(cfg, name);
  assert(value === null || Array.isArray(value), () => `${cfg.kind} config ${name} is not a list`);
  return value ?? [];
}

/** True for Long.MAX_VALUE, Kafka's "no limit" (flush.ms, max.compaction.lag.ms, ...). */
export function isUnlimited(value: number): boolean {
  return value === LONG_MAX;
}

/** Whether any issue is an error. */
export function hasConfigErrors(cfg: ResolvedConfig): boolean {
  return cfg.issues.some((issue) => issue.level === "error");
}

/**
 * A value as Kafka prints it: lists joined by commas, Long.MAX_VALUE in full, doubles as Java
 * prints them (0.5, 1.0), null as "null".
 */
export function formatConfigValue(value: ConfigValue, type?: ConfigDef["type"]): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return value.join(",");
  if (typeof value === "number") {
    if (value === LONG_MAX) return LONG_MAX_TEXT;
    if (type === "double" && Number.isInteger(value)) return `${value}.0`;
    return String(value);
  }
  return String(value);
}

/**
 * The entries kafka-topics --describe prints in its Configs column (and kafka-configs --describe
 * lists): every config whose source is not DEFAULT_CONFIG, sorted by name, as `name=value` text.
 */
export function nonDefaultConfigs(
  cfg: ResolvedConfig,
): Array<{ name: string; value: string; source: ConfigSource }> {
  return Object.keys(cfg.values)
    .filter((name) => cfg.sources[name] !== "DEFAULT_CONFIG")
    .sort()
    .map((name) => ({
      name,
      value: formatConfigValue(cfg.values[name]!, configDef(cfg.kind, name)?.type),
      source: cfg.sources[name]!,
    }));
}
