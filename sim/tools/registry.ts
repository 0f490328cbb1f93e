/**
 * Kafka's command-line tools this build runs, by name (without `bin/` and `.sh`), and how a
 * scenario's `cli` command finds one. Adding a tool: write it as a `Tool` (tool.ts) in a file of
 * its own and list it here.
 */
import { nearest } from "../engine/suggest.ts";
import { kafkaConfigsTool } from "./kafka-configs.ts";
import { kafkaConsoleConsumerTool } from "./kafka-console-consumer.ts";
import { kafkaConsoleProducerTool } from "./kafka-console-producer.ts";
import { kafkaConsumerGroupsTool } from "./kafka-consumer-groups.ts";
import { kafkaConsumerPerfTestTool } from "./kafka-consumer-perf-test.ts";
import { kafkaDeleteRecordsTool } from "./kafka-delete-records.ts";
import { kafkaGetOffsetsTool } from "./kafka-get-offsets.ts";
import { kafkaLeaderElectionTool } from "./kafka-leader-election.ts";
import { kafkaMetadataQuorumTool } from "./kafka-metadata-quorum.ts";
import { kafkaProducerPerfTestTool } from "./kafka-producer-perf-test.ts";
import { kafkaReassignPartitionsTool } from "./kafka-reassign-partitions.ts";
import { kafkaTopicsTool } from "./kafka-topics.ts";
import { kafkaTransactionsTool } from "./kafka-transactions.ts";
import { kafkaVerifiableConsumerTool } from "./kafka-verifiable-consumer.ts";
import { kafkaVerifiableProducerTool } from "./kafka-verifiable-producer.ts";
import { type Tool, toolNameOf } from "./tool.ts";

export const TOOLS: ReadonlyMap<string, Tool> = new Map<string, Tool>([
  ["kafka-topics", kafkaTopicsTool],
  ["kafka-consumer-groups", kafkaConsumerGroupsTool],
  ["kafka-delete-records", kafkaDeleteRecordsTool],
  ["kafka-transactions", kafkaTransactionsTool],
  ["kafka-configs", kafkaConfigsTool],
  ["kafka-get-offsets", kafkaGetOffsetsTool],
  ["kafka-leader-election", kafkaLeaderElectionTool],
  ["kafka-metadata-quorum", kafkaMetadataQuorumTool],
  ["kafka-console-producer", kafkaConsoleProducerTool],
  ["kafka-console-consumer", kafkaConsoleConsumerTool],
  ["kafka-verifiable-producer", kafkaVerifiableProducerTool],
  ["kafka-verifiable-consumer", kafkaVerifiableConsumerTool],
  ["kafka-producer-perf-test", kafkaProducerPerfTestTool],
  ["kafka-consumer-perf-test", kafkaConsumerPerfTestTool],
  ["kafka-reassign-partitions", kafkaReassignPartitionsTool],
]);

/** The tool a command's first word names, or an error that suggests the nearest tool. */
export function findTool(word: string): { tool: Tool; name: string } | { error: string } {
  const name = toolNameOf(word);
  const tool = TOOLS.get(name);
  if (tool !== undefined) return { tool, name };
  const near = nearest(name, [...TOOLS.keys()]);
  return {
    error:
      `kafkasim: ${word}: no such Kafka tool in this build` +
      (near === undefined ? "" : ` (did you mean ${near}.sh?)`) +
      `; the tools: ${[...TOOLS.keys()].map((t) => `${t}.sh`).join(", ")}`,
  };
}
