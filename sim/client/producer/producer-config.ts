/**
 * The producer's configuration rules (KafkaProducer's constructor and ProducerConfig's
 * post-processing, reference §4 and §1.6, scenario S11): the typed settings the producer runs with,
 * or Kafka's ConfigException with Kafka's message.
 *
 * Models, by version profile:
 * - before 0.11 there is no idempotence at all;
 * - 0.11 to 3.1: idempotence is on only when `enable.idempotence=true` is set (the 3.0 default
 *   of true took effect only from 3.0.1/3.1.1/3.2.0, KAFKA-13598; the 3.0 and 3.1 profiles stand
 *   for x.y.0). Set to true: `retries=0`, an explicit `acks` other than all, or
 *   `max.in.flight.requests.per.connection` > 5 throw; an unset `acks` becomes all and an unset
 *   `retries` becomes Integer.MAX_VALUE (ProducerConfig.maybeOverrideAcksAndRetries, 0.11–2.8);
 * - 3.2+ (KAFKA-13673): when `enable.idempotence` was set explicitly, a conflict throws
 *   (checked in Kafka's order: retries, then acks, then in-flight); when it was left at its
 *   default, a conflict turns idempotence off silently (Kafka logs it at INFO/WARN);
 * - `delivery.timeout.ms` < `linger.ms` + `request.timeout.ms`: an error when set explicitly, else
 *   raised silently (KafkaProducer.configureDeliveryTimeout, 2.1+);
 * - `transactional.id` (0.11+) turns idempotence on (an unset `enable.idempotence` follows it, in
 *   every version); when idempotence ends up off anyway (an explicit `false`, or from 3.2 a
 *   conflict with an unset `enable.idempotence`) Kafka throws "Cannot set a transactional.id
 *   without also enabling idempotence."; `transaction.timeout.ms` (default 60000) goes with it.
 * Value errors (a negative `batch.size`, an unknown `acks`) come from the config definitions
 * (sim/kafka/config.ts) and are thrown as ConfigException too.
 *
 * Simplifies: warnings Kafka logs are returned in `notes` instead. Faults: none; pure functions.
 */

import { assert } from "../../engine/assert.ts";
import {
  configBoolean,
  configNumber,
  configString,
  hasConfig,
  type ResolvedConfig,
  resolveClientConfig,
} from "../../kafka/config.ts";
import { INT_MAX } from "../../kafka/config-defs.ts";
import { type KafkaVersion, versionAtLeast, versionProfile } from "../../kafka/version.ts";
import { ConfigException } from "../config-exception.ts";

/** Kafka's org.apache.kafka.common.config.ConfigException. */

/** delivery.timeout.ms before it existed (2.1): far beyond any run, and createdUs + it × 1000 stays safe. */
const UNBOUNDED_DELIVERY_MS = 1_000_000_000_000;

export { ConfigException };

export type CompressionType = "none" | "gzip" | "snappy" | "lz4" | "zstd";

/** Everything the producer model reads, resolved once; durations in ms as Kafka names them. */
export interface ProducerSettings {
  readonly version: KafkaVersion;
  readonly acks: -1 | 0 | 1;
  readonly idempotence: boolean;
  readonly retries: number;
  readonly "batch.size": number;
  readonly "linger.ms": number;
  readonly "buffer.memory": number;
  readonly "max.block.ms": number;
  readonly "max.request.size": number;
  readonly "compression.type": CompressionType;
  readonly "max.in.flight.requests.per.connection": number;
  readonly "request.timeout.ms": number;
  readonly "delivery.timeout.ms": number;
  readonly "retry.backoff.ms": number;
  /** Exponential backoff cap (KIP-580, 3.7+); equal to retry.backoff.ms before (constant backoff). */
  readonly "retry.backoff.max.ms": number;
  readonly "metadata.max.age.ms": number;
  readonly "partitioner.ignore.keys": boolean;
  readonly "partitioner.adaptive.partitioning.enable": boolean;
  /** The transactional producer's id (null: not transactional). */
  readonly "transactional.id": string | null;
  /** What InitProducerId asks the coordinator for (ms). */
  readonly "transaction.timeout.ms": number;
  /** Why idempotence is off, or other things Kafka would log at INFO/WARN. */
  readonly notes: readonly string[];
}

const RETRIES_MESSAGE = "Must set retries to non-zero when using the idempotent producer.";
const ACKS_MESSAGE =
  "Must set acks to all in order to use the idempotent producer. Otherwise we cannot guarantee idempotence.";
const TRANSACTIONAL_MESSAGE = "Cannot set a transactional.id without also enabling idempotence.";
const IN_FLIGHT_MESSAGE =
  "Must set max.in.flight.requests.per.connection to at most 5 to use the idempotent producer.";

/** ProducerConfig.MAX_IN_FLIGHT_REQUESTS_FOR_IDEMPOTENCE. */
export const MAX_IN_FLIGHT_FOR_IDEMPOTENCE = 5;

/** The producer's settings for `overrides` (Kafka names, as a user would set them) in `version`. */
export function resolveProducerSettings(
  version: KafkaVersion,
  overrides: Readonly<Record<string, unknown>> = {},
): ProducerSettings {
  const explicit = (name: string) => Object.hasOwn(overrides, name);
  const cfg = resolveClientConfig("producer", version, overrides);
  for (const issue of cfg.issues) {
    // The idempotence and delivery-timeout rules are applied below with Kafka's own messages.
    if (issue.key === "enable.idempotence" || issue.key === "delivery.timeout.ms") continue;
    if (issue.level === "error") throw new ConfigException(issue.message);
  }
  const transactionalId = hasConfig(cfg, "transactional.id")
    ? (configString(cfg, "transactional.id") ?? null)
    : null;
  const transactional = transactionalId !== null;
  const notes: string[] = [];
  let acks = parseAcks(String(configString(cfg, "acks")));
  let retries = configNumber(cfg, "retries");
  const inFlight = configNumber(cfg, "max.in.flight.requests.per.connection");
  const profile = versionProfile(version);
  let idempotence = false;
  if (profile.idempotenceAvailable) {
    const userSet = explicit("enable.idempotence");
    idempotence = userSet
      ? booleanOverride(overrides["enable.idempotence"])
      : profile.idempotenceDefault || transactional;
    if (transactional && !idempotence) throw new ConfigException(TRANSACTIONAL_MESSAGE);
    if (idempotence && versionAtLeast(version, "3.2")) {
      const conflicts: string[] = [];
      if (retries === 0) {
        if (userSet) throw new ConfigException(RETRIES_MESSAGE);
        conflicts.push("Idempotence will be disabled because retries is set to 0.");
      }
      if (acks !== -1) {
        if (userSet) throw new ConfigException(ACKS_MESSAGE);
        conflicts.push(
          `Idempotence will be disabled because acks is set to ${acks}, not set to 'all'.`,
        );
      }
      if (inFlight > MAX_IN_FLIGHT_FOR_IDEMPOTENCE) {
        if (userSet) throw new ConfigException(IN_FLIGHT_MESSAGE);
        conflicts.push(
          `Idempotence will be disabled because max.in.flight.requests.per.connection is set to ${inFlight}, which is greater than 5.`,
        );
      }
      if (conflicts.length > 0) {
        // ProducerConfig checks transactional.id after the idempotence rules may turn it off.
        if (transactional) throw new ConfigException(TRANSACTIONAL_MESSAGE);
        idempotence = false;
        notes.push(...conflicts);
      }
    } else if (idempotence) {
      // 0.11–3.1: only an explicit true gets here; unset acks and retries are overridden.
      if (explicit("retries") && retries === 0) throw new ConfigException(RETRIES_MESSAGE);
      if (!explicit("retries")) retries = INT_MAX;
      if (explicit("acks") && acks !== -1) throw new ConfigException(ACKS_MESSAGE);
      acks = -1;
      if (inFlight > MAX_IN_FLIGHT_FOR_IDEMPOTENCE) throw new ConfigException(IN_FLIGHT_MESSAGE);
    }
  }
  const linger = configNumber(cfg, "linger.ms");
  const requestTimeout = configNumber(cfg, "request.timeout.ms");
  let delivery = hasConfig(cfg, "delivery.timeout.ms")
    ? configNumber(cfg, "delivery.timeout.ms")
    : // Before 2.1 (KIP-91) nothing bounded a batch's life but its retries; modeled as a bound
      // no run reaches (about 32 years) that keeps every deadline a safe integer of µs.
      UNBOUNDED_DELIVERY_MS;
  if (hasConfig(cfg, "delivery.timeout.ms") && delivery < linger + requestTimeout) {
    if (explicit("delivery.timeout.ms")) {
      throw new ConfigException(
        "delivery.timeout.ms should be equal to or larger than linger.ms + request.timeout.ms",
      );
    }
    delivery = Math.min(linger + requestTimeout, INT_MAX);
    notes.push(`delivery.timeout.ms raised to ${delivery} (linger.ms + request.timeout.ms)`);
  }
  const backoff = configNumber(cfg, "retry.backoff.ms");
  return {
    version,
    acks,
    idempotence,
    retries,
    "batch.size": configNumber(cfg, "batch.size"),
    "linger.ms": linger,
    "buffer.memory": configNumber(cfg, "buffer.memory"),
    "max.block.ms": configNumber(cfg, "max.block.ms"),
    "max.request.size": configNumber(cfg, "max.request.size"),
    "compression.type": String(configString(cfg, "compression.type")) as CompressionType,
    "max.in.flight.requests.per.connection": inFlight,
    "request.timeout.ms": requestTimeout,
    "delivery.timeout.ms": delivery,
    "retry.backoff.ms": backoff,
    "retry.backoff.max.ms": hasConfig(cfg, "retry.backoff.max.ms")
      ? Math.max(configNumber(cfg, "retry.backoff.max.ms"), backoff)
      : backoff,
    "metadata.max.age.ms": configNumber(cfg, "metadata.max.age.ms"),
    "partitioner.ignore.keys": optionalBoolean(cfg, "partitioner.ignore.keys"),
    "partitioner.adaptive.partitioning.enable": hasConfig(
      cfg,
      "partitioner.adaptive.partitioning.enable",
    )
      ? configBoolean(cfg, "partitioner.adaptive.partitioning.enable")
      : false,
    "transactional.id": transactionalId,
    "transaction.timeout.ms": hasConfig(cfg, "transaction.timeout.ms")
      ? configNumber(cfg, "transaction.timeout.ms")
      : 60_000,
    notes,
  };
}

function optionalBoolean(cfg: ResolvedConfig, name: string): boolean {
  return hasConfig(cfg, name) ? configBoolean(cfg, name) : false;
}

function booleanOverride(raw: unknown): boolean {
  if (typeof raw === "boolean") return raw;
  const text = String(raw).trim().toLowerCase();
  if (text === "true") return true;
  if (text === "false") return false;
  throw new ConfigException(
    `Invalid value ${String(raw)} for configuration enable.idempotence: Expected value to be either true or false`,
  );
}

/** ProducerConfig.parseAcks: "all" is -1. */
function parseAcks(text: string): -1 | 0 | 1 {
  const t = text.trim().toLowerCase();
  if (t === "all" || t === "-1") return -1;
  if (t === "0") return 0;
  assert(t === "1", () => `acks ${text} passed validation`);
  return 1;
}
