/**
 * `kafka-verifiable-consumer.sh`: a consumer printing Kafka's JSON lines per poll and commit.
 * Not written yet: the tool answers that it is not available.
 */
import { type Tool, toolError } from "./tool.ts";

export const kafkaVerifiableConsumerTool: Tool = (_ctx, _args, _input, done) => {
  done(toolError("kafkasim: kafka-verifiable-consumer.sh is not available in this build yet"));
};
