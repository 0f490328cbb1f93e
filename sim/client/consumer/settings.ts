/**
 * The consumer's configs, read once from Kafka's names through resolveClientConfig (version
 * defaults included) into typed fields with units, plus the rebalance protocol its assignors imply.
 *
 * Models ConsumerConfig's checks that change behaviour: heartbeat.interval.ms must be below
 * session.timeout.ms; the assignors of partition.assignment.strategy must share a rebalance
 * protocol (COOPERATIVE only when all support it); group.instance.id needs a release with KIP-345.
 * Simplifies: configs the model does not read are resolved and ignored. Faults: none; pure.
 */

import {
  configBoolean,
  configList,
  configNumber,
  configString,
  hasConfig,
  hasConfigErrors,
  resolveClientConfig,
} from "../../kafka/config.ts";
import { type KafkaVersion, versionProfile } from "../../kafka/version.ts";
import { assignorFor, commonRebalanceProtocol } from "../assignors/index.ts";
import type { PartitionAssignor, RebalanceProtocol } from "../assignors/types.ts";
import { ConfigException } from "../config-exception.ts";

export type OffsetResetPolicy = "earliest" | "latest" | "none";

export interface ConsumerSettings {
  readonly groupId: string | null;
  readonly groupInstanceId: string | null;
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly maxPollIntervalMs: number;
  readonly maxPollRecords: number;
  readonly enableAutoCommit: boolean;
  readonly autoCommitIntervalMs: number;
  readonly autoOffsetReset: OffsetResetPolicy;
  readonly isolationLevel: "read_uncommitted" | "read_committed";
  readonly fetchMinBytes: number;
  readonly fetchMaxBytes: number;
  readonly fetchMaxWaitMs: number;
  readonly maxPartitionFetchBytes: number;
  readonly requestTimeoutMs: number;
  readonly retryBackoffMs: number;
  /** retry.backoff.max.ms (3.7+; before it, retries do not back off exponentially). */
  readonly retryBackoffMaxMs: number;
  /** reconnect.backoff.ms and reconnect.backoff.max.ms: how long a failed broker is avoided. */
  readonly reconnectBackoffMs: number;
  readonly reconnectBackoffMaxMs: number;
  readonly metadataMaxAgeMs: number;
  readonly defaultApiTimeoutMs: number;
  readonly clientRack: string | null;
  /** In preference order (partition.assignment.strategy). */
  readonly assignors: readonly PartitionAssignor[];
  readonly protocol: RebalanceProtocol;
  /** KIP-320 (2.1+): fetches carry the leader epoch and positions are validated. */
  readonly kip320: boolean;
  /** group.protocol: classic (JoinGroup/SyncGroup) or consumer (KIP-848, from 3.7). */
  readonly groupProtocol: "classic" | "consumer";
  /** group.remote.assignor (KIP-848): the server-side assignor to ask for, or null. */
  readonly remoteAssignor: string | null;
}

/** A consumer configuration error is Kafka's ConfigException, thrown at construction. */
function check(condition: boolean, message: string | (() => string)): asserts condition {
  if (!condition) throw new ConfigException(typeof message === "string" ? message : message());
}

/** Resolves and checks; a configuration error throws ConfigException, as KafkaConsumer's does. */
export function consumerSettings(
  version: KafkaVersion,
  overrides: Readonly<Record<string, unknown>>,
): ConsumerSettings {
  const cfg = resolveClientConfig("consumer", version, overrides);
  check(
    !hasConfigErrors(cfg),
    () =>
      `consumer config: ${cfg.issues
        .filter((i) => i.level === "error")
        .map((i) => `${i.key}: ${i.message}`)
        .join("; ")}`,
  );
  const profile = versionProfile(version);
  const strategy = configList(cfg, "partition.assignment.strategy");
  const assignors = strategy.map((name) => {
    const assignor = assignorFor(name);
    check(assignor !== undefined, () => `unknown partition.assignment.strategy ${name}`);
    check(
      assignor.name !== "cooperative-sticky" || profile.cooperativeRebalance,
      () => `${name} needs Kafka 2.4 (KIP-429), not ${version}`,
    );
    return assignor;
  });
  const protocol = commonRebalanceProtocol(assignors);
  check(protocol !== null, "the assignors do not have a commonly supported rebalance protocol");
  const text = (name: string): string | null =>
    hasConfig(cfg, name) ? configString(cfg, name) : null;
  const groupInstanceId = text("group.instance.id");
  check(
    groupInstanceId === null || profile.staticMembership,
    () => `group.instance.id needs Kafka 2.3 (KIP-345), not ${version}`,
  );
  const groupProtocol = (text("group.protocol") ?? "classic").toLowerCase();
  check(
    groupProtocol === "classic" || groupProtocol === "consumer",
    () => `group.protocol ${groupProtocol} is not classic or consumer`,
  );
  // config-defs.ts validates the value (oneOf read_committed, read_uncommitted).
  const isolationLevel = (text("isolation.level") ?? "read_uncommitted").toLowerCase();
  check(
    groupProtocol === "classic" || profile.consumerProtocolAvailable,
    () => `group.protocol=consumer needs Kafka 3.7 (KIP-848), not ${version}`,
  );
  // KAFKA-17338: the client-side assignors do not apply to the consumer protocol.
  check(
    groupProtocol === "classic" || !("partition.assignment.strategy" in overrides),
    "partition.assignment.strategy cannot be set when group.protocol=consumer",
  );
  const settings: ConsumerSettings = {
    groupId: text("group.id"),
    groupInstanceId: groupInstanceId === "" ? null : groupInstanceId,
    sessionTimeoutMs: configNumber(cfg, "session.timeout.ms"),
    heartbeatIntervalMs: configNumber(cfg, "heartbeat.interval.ms"),
    maxPollIntervalMs: configNumber(cfg, "max.poll.interval.ms"),
    maxPollRecords: configNumber(cfg, "max.poll.records"),
    enableAutoCommit: configBoolean(cfg, "enable.auto.commit"),
    autoCommitIntervalMs: configNumber(cfg, "auto.commit.interval.ms"),
    autoOffsetReset: configString(cfg, "auto.offset.reset") as OffsetResetPolicy,
    isolationLevel: isolationLevel as "read_uncommitted" | "read_committed",
    fetchMinBytes: configNumber(cfg, "fetch.min.bytes"),
    fetchMaxBytes: configNumber(cfg, "fetch.max.bytes"),
    fetchMaxWaitMs: configNumber(cfg, "fetch.max.wait.ms"),
    maxPartitionFetchBytes: configNumber(cfg, "max.partition.fetch.bytes"),
    requestTimeoutMs: configNumber(cfg, "request.timeout.ms"),
    retryBackoffMs: configNumber(cfg, "retry.backoff.ms"),
    retryBackoffMaxMs: hasConfig(cfg, "retry.backoff.max.ms")
      ? configNumber(cfg, "retry.backoff.max.ms")
      : configNumber(cfg, "retry.backoff.ms"),
    reconnectBackoffMs: configNumber(cfg, "reconnect.backoff.ms"),
    reconnectBackoffMaxMs: configNumber(cfg, "reconnect.backoff.max.ms"),
    metadataMaxAgeMs: configNumber(cfg, "metadata.max.age.ms"),
    defaultApiTimeoutMs: hasConfig(cfg, "default.api.timeout.ms")
      ? configNumber(cfg, "default.api.timeout.ms")
      : 60_000,
    clientRack: text("client.rack") || null,
    assignors,
    protocol,
    kip320: profile.kip320,
    groupProtocol,
    remoteAssignor: text("group.remote.assignor") || null,
  };
  check(
    settings.groupId === null || settings.heartbeatIntervalMs < settings.sessionTimeoutMs,
    "heartbeat.interval.ms must be set lower than session.timeout.ms",
  );
  check(
    ["earliest", "latest", "none"].includes(settings.autoOffsetReset),
    () => `auto.offset.reset ${settings.autoOffsetReset} is not earliest, latest or none`,
  );
  return settings;
}
