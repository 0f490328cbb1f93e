/**
 * `kafka-producer-perf-test.sh`: throughput and latency of a producer, in the tool's lines.
 * Not written yet: the tool answers that it is not available.
 */
import { type Tool, toolError } from "./tool.ts";

export const kafkaProducerPerfTestTool: Tool = (_ctx, _args, _input, done) => {
  done(toolError("kafkasim: kafka-producer-perf-test.sh is not available in this build yet"));
};
