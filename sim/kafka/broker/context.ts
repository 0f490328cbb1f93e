/**
 * What the broker actor gives its parts (replica manager, fetcher): the clock, the host, the
 * network, timers on the broker's own actor id, the trace, configs and the metadata image. One
 * small interface so the parts stay testable and never reach the engine or other actors directly.
 *
 * Models nothing itself. Faults: none.
 */
import type { EventHandle } from "../../engine/engine.ts";
import type { TraceFields } from "../../engine/trace.ts";
import type { Host } from "../../infra/host.ts";
import type { NetMessage } from "../../infra/network.ts";
import type { ResolvedConfig } from "../config.ts";
import type { MetadataImage } from "../metadata/image.ts";
import type { KafkaVersion, VersionProfile } from "../version.ts";

/** Broker configs the hot paths read, resolved once per process (µs where they are durations). */
export interface BrokerSettings {
  readonly replicaLagUs: number;
  readonly fetchBackoffUs: number;
  readonly socketTimeoutUs: number;
  /**
   * The broker-to-controller channel's request timeout (AlterPartition): controller.socket.timeout.ms
   * where the profile has it, else its old default of 30 s.
   */
  readonly controllerRequestTimeoutUs: number;
  readonly fetchMaxBytes: number;
  readonly fetchWaitMaxMs: number;
  readonly fetchMinBytes: number;
  readonly fetchResponseMaxBytes: number;
  readonly numFetchers: number;
}

/** Topic configs the hot paths read, cached until a ConfigRecord changes the topic. */
export interface TopicSettings {
  readonly minIsr: number;
  /** flush.messages; Long.MAX_VALUE (LONG_MAX) = never. */
  readonly flushMessages: number;
  readonly flushMs: number;
}

export interface BrokerContext {
  readonly host: Host;
  /** The actor id and network node name: String(brokerId). */
  readonly node: string;
  readonly brokerId: number;
  readonly version: KafkaVersion;
  readonly profile: VersionProfile;
  readonly config: ResolvedConfig;
  now(): number;
  /** The current registration's epoch (-1 before the broker registered). */
  brokerEpoch(): number;
  /** The broker's (possibly stale) metadata image. Read-only for the parts. */
  image(): MetadataImage;
  readonly settings: BrokerSettings;
  /** The topic's resolved configs (cached until a ConfigRecord changes them). */
  topicConfig(topic: string): ResolvedConfig;
  topicSettings(topic: string): TopicSettings;
  send(to: string, message: NetMessage): void;
  /** Sends at a later virtual time (after IO or CPU work), or now when `atUs` is not later. */
  sendAt(atUs: number, to: string, message: NetMessage): void;
  /**
   * Sends a response that carries file data: once the read is done (`ioDoneAtUs`), `cpuUs` of
   * CPU work on the host (the transfer path), then the message goes.
   */
  sendAfterIo(ioDoneAtUs: number, cpuUs: number, to: string, message: NetMessage): void;
  /** A timer on the broker's actor; the broker routes the event kind back to the part. */
  timer<P>(delayUs: number, kind: string, payload: P): EventHandle;
  cancel(handle: EventHandle | undefined): void;
  nextCorrelationId(): number;
  emit(type: string, fields: TraceFields): void;
  /** The node id of the active controller as far as the broker knows, or undefined. */
  controllerNode(): string | undefined;
  /** Every log directory failed: Kafka halts the broker process. */
  halt(reason: string): void;
}

/** ms → µs for a config value (Long.MAX_VALUE stays "never"). */
export function msToUs(ms: number): number {
  if (ms >= Number.MAX_SAFE_INTEGER / 1000) return Number.MAX_SAFE_INTEGER;
  return ms * 1000;
}
