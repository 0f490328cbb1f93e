/**
 * `kafka-get-offsets.sh`: a partition's earliest, latest or by-time offset (ListOffsets).
 * Not written yet: the tool answers that it is not available.
 */
import { type Tool, toolError } from "./tool.ts";

export const kafkaGetOffsetsTool: Tool = (_ctx, _args, _input, done) => {
  done(toolError("kafkasim: kafka-get-offsets.sh is not available in this build yet"));
};
