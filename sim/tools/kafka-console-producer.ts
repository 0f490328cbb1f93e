/**
 * `kafka-console-producer.sh`: the `input:` lines sent as records by a KafkaProducer.
 * Not written yet: the tool answers that it is not available.
 */
import { type Tool, toolError } from "./tool.ts";

export const kafkaConsoleProducerTool: Tool = (_ctx, _args, _input, done) => {
  done(toolError("kafkasim: kafka-console-producer.sh is not available in this build yet"));
};
