/**
 * `kafka-reassign-partitions.sh`: --generate, --execute and --verify with JSON files.
 * Not written yet: the tool answers that it is not available.
 */
import { type Tool, toolError } from "./tool.ts";

export const kafkaReassignPartitionsTool: Tool = (_ctx, _args, _input, done) => {
  done(toolError("kafkasim: kafka-reassign-partitions.sh is not available in this build yet"));
};
