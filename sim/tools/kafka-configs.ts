/**
 * `kafka-configs.sh`: describe and alter (--add-config, --delete-config) topic and broker configs.
 * Not written yet: the tool answers that it is not available.
 */
import { type Tool, toolError } from "./tool.ts";

export const kafkaConfigsTool: Tool = (_ctx, _args, _input, done) => {
  done(toolError("kafkasim: kafka-configs.sh is not available in this build yet"));
};
