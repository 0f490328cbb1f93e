/**
 * `TopicPartition.hashCode` (31 * (31 + partition) + topic.hashCode(), in 32 bits): the tools that
 * print from a Java `HashMap<TopicPartition, ...>` use it to reproduce the map's order.
 */
import { javaStringHash } from "../kafka/metadata/image.ts";

export function topicPartitionHash(tp: { topic: string; partition: number }): number {
  return (Math.imul(31, (31 + tp.partition) | 0) + javaStringHash(tp.topic)) | 0;
}
