/**
 * `kafka-verifiable-producer.sh`: a producer printing Kafka's JSON lines per send and ack.
 * Not written yet: the tool answers that it is not available.
 */
import { type Tool, toolError } from "./tool.ts";

export const kafkaVerifiableProducerTool: Tool = (_ctx, _args, _input, done) => {
  done(toolError("kafkasim: kafka-verifiable-producer.sh is not available in this build yet"));
};
