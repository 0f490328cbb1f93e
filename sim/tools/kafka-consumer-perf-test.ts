/**
 * `kafka-consumer-perf-test.sh`: a consumer's throughput, in the tool's CSV-like line.
 * Not written yet: the tool answers that it is not available.
 */
import { type Tool, toolError } from "./tool.ts";

export const kafkaConsumerPerfTestTool: Tool = (_ctx, _args, _input, done) => {
  done(toolError("kafkasim: kafka-consumer-perf-test.sh is not available in this build yet"));
};
