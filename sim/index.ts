/**
 * kafkasim's public API: what the CLI, the tests, the viz and users' own programs build on.
 * Everything here is deterministic: the same scenario and seed give the same trace and traceHash.
 */

export { ASSIGNORS, assignPartitions } from "./client/assignors/index.ts";
export { ConfigException } from "./client/config-exception.ts";
export { KafkaConsumer, type KafkaConsumerOptions } from "./client/consumer/kafka-consumer.ts";
export { defaultPartitionForKey, murmur2, Partitioner } from "./client/partitioner.ts";
export { KafkaProducer, type KafkaProducerOptions } from "./client/producer/kafka-producer.ts";
export { resolveProducerSettings } from "./client/producer/producer-config.ts";
export { SimAssertionError } from "./engine/assert.ts";
export {
  type Actor,
  Engine,
  type EngineOptions,
  InvariantViolation,
  type RunLimits,
  type RunOutcome,
  type SimEvent,
} from "./engine/engine.ts";
export { RngStream, RngStreams } from "./engine/rng.ts";
export { Trace, type TraceEvent, traceEventToJson } from "./engine/trace.ts";
export { DISK_PROFILES, NIC_PROFILES } from "./infra/hardware.ts";
export { Host } from "./infra/host.ts";
export { Network } from "./infra/network.ts";
export { KafkaCluster, type KafkaClusterSpec } from "./kafka/cluster.ts";
export { type KafkaVersion, versionProfile } from "./kafka/version.ts";
export { formatIssues, ScenarioError, type ScenarioIssue } from "./scenario/errors.ts";
export {
  parseOverride,
  parseScenarioText,
  type Scenario,
  type ScenarioOverride,
} from "./scenario/load.ts";
export { formatReport, type RunReport, type RunResults, runScenario } from "./scenario/runner.ts";
export {
  appendTimelineAction,
  type ForkAction,
  formatAt,
  Session,
  type SessionGroup,
  type SessionNode,
  type SessionOptions,
  type SessionPartition,
  type SessionReplica,
  type SessionState,
  type StoryLine,
  type TimelineMarker,
} from "./scenario/session.ts";
