/**
 * A stream processor's configuration, as Kafka Streams reads it (StreamsConfig): its own keys
 * (`application.id`, `processing.guarantee`, `commit.interval.ms`), the `consumer.` and
 * `producer.` prefixed configs of its clients, and the client configs Streams sets itself
 * (StreamsConfig.getMainConsumerConfigs / getProducerConfigs):
 *
 * - consumer: group.id = application.id, enable.auto.commit=false, auto.offset.reset=earliest,
 *   max.poll.records=1000; under exactly_once_v2 isolation.level=read_committed;
 * - producer: linger.ms=100; under exactly_once_v2 transactional.id =
 *   `<application.id>-<process id>-1` and transaction.timeout.ms=10000.
 *
 * Pure: validation returns messages with suggestions; the loader places them in the file.
 * Simplifies: one stream thread (num.stream.threads=1); the process id is the client id, so the
 * same instance restarted keeps its transactional.id and its InitProducerId fences the old
 * incarnation (in Kafka Streams the process id is a UUID, and a zombie of another process is
 * fenced through the group generation, KIP-447, which the group coordinator here checks too).
 * `exactly_once` (v1, a producer per task) is not modelled.
 */
import { nearest } from "../../engine/suggest.ts";
import { type KafkaVersion, versionAtLeast } from "../../kafka/version.ts";

export type ProcessingGuarantee = "at_least_once" | "exactly_once_v2";

export interface StreamsSettings {
  readonly applicationId: string;
  readonly guarantee: ProcessingGuarantee;
  readonly commitIntervalMs: number;
  /** The configs of the main consumer and of the producer, with Streams' own settings applied. */
  readonly consumer: Readonly<Record<string, unknown>>;
  readonly producer: Readonly<Record<string, unknown>>;
}

export const STREAMS_KEYS = [
  "application.id",
  "processing.guarantee",
  "commit.interval.ms",
] as const;

const GUARANTEES = ["at_least_once", "exactly_once_v2", "exactly_once_beta", "exactly_once"];

/** One problem with a config key or value. */
export interface StreamsConfigProblem {
  readonly key: string;
  readonly message: string;
  readonly suggestion?: string;
  /** Whether the key itself is wrong (an unknown name) or its value. */
  readonly at: "key" | "value";
}

export interface SplitStreamsConfig {
  readonly streams: Readonly<Record<string, unknown>>;
  readonly consumer: Readonly<Record<string, unknown>>;
  readonly producer: Readonly<Record<string, unknown>>;
  readonly problems: readonly StreamsConfigProblem[];
}

/** Splits a stream processor's `config` into Streams', the consumer's and the producer's keys. */
export function splitStreamsConfig(config: Readonly<Record<string, unknown>>): SplitStreamsConfig {
  const streams: Record<string, unknown> = {};
  const consumer: Record<string, unknown> = {};
  const producer: Record<string, unknown> = {};
  const problems: StreamsConfigProblem[] = [];
  for (const [key, value] of Object.entries(config)) {
    if (key.startsWith("consumer.")) consumer[key.slice("consumer.".length)] = value;
    else if (key.startsWith("producer.")) producer[key.slice("producer.".length)] = value;
    else if ((STREAMS_KEYS as readonly string[]).includes(key)) streams[key] = value;
    else {
      const near = nearest(key, STREAMS_KEYS);
      problems.push({
        key,
        message: `\`${key}\` is not a Kafka Streams config this simulator models`,
        suggestion:
          near !== undefined
            ? `did you mean \`${near}\`?`
            : `use ${STREAMS_KEYS.map((k) => `\`${k}\``).join(", ")}, or prefix a client config with \`consumer.\` or \`producer.\``,
        at: "key",
      });
    }
  }
  return { streams, consumer, producer, problems };
}

/**
 * Streams' own keys checked against the cluster's version; undefined values take Kafka's
 * defaults. `clientId` names the process (the transactional.id's middle part).
 */
export function resolveStreamsSettings(
  version: KafkaVersion,
  clientId: string,
  config: Readonly<Record<string, unknown>>,
): { readonly settings?: StreamsSettings; readonly problems: readonly StreamsConfigProblem[] } {
  const split = splitStreamsConfig(config);
  const problems = [...split.problems];
  const appId = split.streams["application.id"];
  if (appId === undefined || appId === null || String(appId) === "") {
    problems.push({
      key: "application.id",
      message:
        'Missing required configuration "application.id" which has no default value (it is the group id and the prefix of the transactional.id)',
      suggestion: "add `application.id: my-app` to this stream processor's config",
      at: "key",
    });
  }
  const rawGuarantee = String(split.streams["processing.guarantee"] ?? "at_least_once");
  let guarantee: ProcessingGuarantee = "at_least_once";
  if (rawGuarantee === "at_least_once") guarantee = "at_least_once";
  else if (rawGuarantee === "exactly_once_v2") {
    if (!versionAtLeast(version, "3.0")) {
      problems.push({
        key: "processing.guarantee",
        message: `exactly_once_v2 is named exactly_once_beta before Kafka 3.0 (this cluster runs ${version})`,
        suggestion: versionAtLeast(version, "2.6")
          ? "write `exactly_once_beta`"
          : "exactly-once with one producer per thread needs Kafka 2.6 or newer",
        at: "value",
      });
    }
    guarantee = "exactly_once_v2";
  } else if (rawGuarantee === "exactly_once_beta") {
    if (!versionAtLeast(version, "2.6") || versionAtLeast(version, "4.0")) {
      problems.push({
        key: "processing.guarantee",
        message: `exactly_once_beta exists from Kafka 2.6 to 3.9 (this cluster runs ${version})`,
        suggestion: versionAtLeast(version, "4.0") ? "write `exactly_once_v2`" : undefined,
        at: "value",
      });
    }
    guarantee = "exactly_once_v2";
  } else if (rawGuarantee === "exactly_once") {
    problems.push({
      key: "processing.guarantee",
      message:
        "exactly_once (the first version: a transactional producer per task) is not modelled here; it was deprecated in 3.0 and removed in 4.0",
      suggestion: versionAtLeast(version, "3.0")
        ? "write `exactly_once_v2`"
        : "write `exactly_once_beta` (2.6+), the same guarantee with one producer per thread",
      at: "value",
    });
  } else {
    const near = nearest(rawGuarantee, GUARANTEES);
    problems.push({
      key: "processing.guarantee",
      message: `Invalid value ${rawGuarantee} for configuration processing.guarantee: String must be one of: at_least_once, exactly_once_v2`,
      ...(near === undefined ? {} : { suggestion: `did you mean \`${near}\`?` }),
      at: "value",
    });
  }
  const eos = guarantee === "exactly_once_v2";
  const rawInterval = split.streams["commit.interval.ms"];
  const commitIntervalMs = rawInterval === undefined ? (eos ? 100 : 30_000) : Number(rawInterval);
  if (!Number.isSafeInteger(commitIntervalMs) || commitIntervalMs < 0) {
    problems.push({
      key: "commit.interval.ms",
      message: `Invalid value ${String(rawInterval)} for configuration commit.interval.ms: Value must be at least 0`,
      at: "value",
    });
  }
  if (problems.length > 0) return { problems };
  const applicationId = String(appId);
  const consumer: Record<string, unknown> = {
    "auto.offset.reset": "earliest",
    "max.poll.records": 1000,
    ...split.consumer,
    // Streams overrides these whatever the user set (it logs a warning).
    "group.id": applicationId,
    "enable.auto.commit": false,
    ...(eos ? { "isolation.level": "read_committed" } : {}),
  };
  const producer: Record<string, unknown> = {
    "linger.ms": 100,
    ...(eos ? { "transaction.timeout.ms": 10_000 } : {}),
    ...split.producer,
    ...(eos
      ? { "transactional.id": `${applicationId}-${clientId}-1`, "enable.idempotence": true }
      : {}),
  };
  return {
    settings: { applicationId, guarantee, commitIntervalMs, consumer, producer },
    problems: [],
  };
}
