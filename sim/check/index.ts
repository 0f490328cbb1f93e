/**
 * The history recorder and the checkers: what a run did, and whether it kept Kafka's promises.
 * Imports only the engine and the Kafka vocabulary (sim/kafka/types.ts).
 */
export * from "./burrow.ts";
export type { CheckerName, Verdict, Violation } from "./checkers/common.ts";
export { DETAIL_VIOLATIONS, MAX_VIOLATIONS } from "./checkers/common.ts";
export * from "./checkers/index.ts";
export * from "./format.ts";
export * from "./history.ts";
