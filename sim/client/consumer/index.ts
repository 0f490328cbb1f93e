/**
 * The consumer client's public surface: the KafkaConsumer actor, its settings, the history sink it
 * writes to, and the pure pieces (positions, fetch planning) tests and the viz may use.
 */
export { FetchBuffer, planFetches } from "./fetcher.ts";
export type { JoinResult, MemberState } from "./group-membership.ts";
export {
  type CommitKind,
  KafkaConsumer,
  type KafkaConsumerOptions,
} from "./kafka-consumer.ts";
export type { ConsumerMetricsSnapshot } from "./metrics.ts";
export { decideReset, Positions, type ResetWhy, validatePosition } from "./positions.ts";
export { type ConsumerSettings, consumerSettings, type OffsetResetPolicy } from "./settings.ts";
export {
  type ConsumerApplication,
  type ConsumerException,
  type ConsumerHistorySink,
  type ConsumerRebalanceRecord,
  DEFAULT_APPLICATION,
  type ThrownException,
} from "./types.ts";
