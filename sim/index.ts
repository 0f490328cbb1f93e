/**
 * kafkasim's public API: what the CLI, the tests, the viz and users' own programs build on.
 * Everything here is deterministic: the same scenario and seed give the same trace and traceHash.
 */

export { ASSIGNORS, assignPartitions } from "./client/assignors/index.ts";
export { defaultPartitionForKey, murmur2, Partitioner } from "./client/partitioner.ts";
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
export { type KafkaVersion, versionProfile } from "./kafka/version.ts";
export { formatIssues, ScenarioError, type ScenarioIssue } from "./scenario/errors.ts";
export { parseScenarioText, type Scenario } from "./scenario/load.ts";
export { formatReport, type RunReport, type RunResults, runScenario } from "./scenario/runner.ts";
