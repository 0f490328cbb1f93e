/**
 * `kafka-console-consumer.sh`: a KafkaConsumer printing the records it reads.
 * Not written yet: the tool answers that it is not available.
 */
import { type Tool, toolError } from "./tool.ts";

export const kafkaConsoleConsumerTool: Tool = (_ctx, _args, _input, done) => {
  done(toolError("kafkasim: kafka-console-consumer.sh is not available in this build yet"));
};
