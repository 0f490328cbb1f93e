/**
 * `kafka-topics.sh --describe`, character for character, from a controller's MetadataImage
 * (tools/src/main/java/org/apache/kafka/tools/TopicCommand.java: TopicDescription,
 * PartitionDescription, DescribeOptions).
 *
 * Output: per topic, a topic line `Topic: T\tTopicId: ...\tPartitionCount: 3\tReplicationFactor: 3\t
 * Configs: k=v,...` (only without a partition filter), then one line per partition starting with a
 * TAB: Leader (or `none`), Replicas and Isr in stored order, `Adding Replicas`/`Removing Replicas`
 * while a reassignment runs, `Elr`/`LastKnownElr` (3.8+), `MarkedForDeletion: true` (ZooKeeper
 * era). The partition filters (--under-replicated-partitions, --under-min-isr-partitions,
 * --at-min-isr-partitions, --unavailable-partitions) print matching partitions and no topic line;
 * --topics-with-overrides prints only the topic lines of topics with non-default configs.
 *
 * Orders are Java's: topics come out of a `HashMap<>(n)` (DescribeTopicsResult.allTopicNames), so
 * several topics appear in hash order, not name order; the Configs list comes out of
 * `Config`'s `HashMap` of every topic config the broker returns (about 40, so a 64-slot table).
 *
 * Simplifies: the topic selection takes exact names (Kafka's --topic is a regular expression);
 * within one hash bucket, configs are taken in name order (Kafka: the broker's response order).
 */
import {
  compareJavaStrings,
  javaHashMapCapacity,
  javaHashOrder,
  javaStringHash,
  type MetadataImage,
  NO_LEADER,
  type PartitionState,
  type TopicImage,
} from "../kafka/metadata/image.ts";
import type { ToolOutput } from "./tool.ts";

export interface DescribeTopicsOptions {
  /** --topic: exact names; all topics when absent. */
  readonly topics?: readonly string[];
  readonly underReplicated?: boolean;
  readonly underMinIsr?: boolean;
  readonly atMinIsr?: boolean;
  readonly unavailable?: boolean;
  /** --topics-with-overrides. */
  readonly topicsWithOverrides?: boolean;
  /** --if-exists: no error when the selected topics do not exist. */
  readonly ifExists?: boolean;
  /** Print `Elr:` and `LastKnownElr:` (tool 3.8+). */
  readonly printElr: boolean;
  /** With printElr: the brokers lack DescribeTopicPartitions, so both print `N/A`. */
  readonly elrNotAvailable?: boolean;
  /** The topic's effective min.insync.replicas (for the min-ISR filters). */
  minIsrOf(topic: string): number;
  /** Configs whose source is not DEFAULT_CONFIG; the topic's overrides when absent. */
  nonDefaultConfigsOf?(topic: string): Readonly<Record<string, string>>;
  /** ZooKeeper era: topics being deleted get `MarkedForDeletion: true`. */
  markedForDeletion?(topic: string): boolean;
  /** Brokers DescribeCluster returns (KRaft: the unfenced ones); default from the image. */
  readonly liveBrokers?: ReadonlySet<number>;
  /** Entries in the broker's DescribeConfigs answer (sizes Config's HashMap). Default 40. */
  readonly describedConfigCount?: number;
}

export type { ToolOutput } from "./tool.ts";

const DEFAULT_DESCRIBED_CONFIG_COUNT = 40;

function joinIds(ids: readonly number[]): string {
  return ids.join(",");
}

function isReassigning(state: PartitionState): boolean {
  return state.addingReplicas.length > 0 || state.removingReplicas.length > 0;
}

/** `getReplicationFactor`: during a reassignment the replicas being added do not count. */
function replicationFactor(state: PartitionState): number {
  return isReassigning(state)
    ? state.replicas.length - state.addingReplicas.length
    : state.replicas.length;
}

/** `Config.entries()` order: a default HashMap holding `describedCount` entries. */
function configsInJavaOrder(
  configs: Readonly<Record<string, string>>,
  describedCount: number,
): [string, string][] {
  const names = Object.keys(configs).sort(compareJavaStrings);
  const capacity = javaHashMapCapacity(Math.max(describedCount, names.length));
  return javaHashOrder(names, javaStringHash, capacity).map((name) => [
    name,
    configs[name] as string,
  ]);
}

function topicLine(
  topic: TopicImage,
  configs: readonly [string, string][],
  markedForDeletion: boolean,
): string {
  const first = topic.partitions[0];
  const rf = first === undefined ? 0 : replicationFactor(first);
  return (
    `Topic: ${topic.name}` +
    `\tTopicId: ${topic.topicId}` +
    `\tPartitionCount: ${topic.partitions.length}` +
    `\tReplicationFactor: ${rf}` +
    `\tConfigs: ${configs.map(([name, value]) => `${name}=${value}`).join(",")}` +
    (markedForDeletion ? "\tMarkedForDeletion: true" : "")
  );
}

function partitionLine(
  topic: string,
  partitionId: number,
  state: PartitionState,
  options: DescribeTopicsOptions,
  markedForDeletion: boolean,
): string {
  let line =
    `\tTopic: ${topic}` +
    `\tPartition: ${partitionId}` +
    `\tLeader: ${state.leader === NO_LEADER ? "none" : state.leader}` +
    `\tReplicas: ${joinIds(state.replicas)}` +
    `\tIsr: ${joinIds(state.isr)}`;
  if (isReassigning(state)) {
    line +=
      `\tAdding Replicas: ${joinIds(state.addingReplicas)}` +
      `\tRemoving Replicas: ${joinIds(state.removingReplicas)}`;
  }
  if (options.printElr) {
    line +=
      options.elrNotAvailable === true
        ? "\tElr: N/A\tLastKnownElr: N/A"
        : `\tElr: ${joinIds(state.elr)}\tLastKnownElr: ${joinIds(state.lastKnownElr)}`;
  }
  if (markedForDeletion) line += "\tMarkedForDeletion: true";
  return line;
}

/** `DescribeOptions.shouldPrintTopicPartition`. */
function shouldPrintPartition(
  state: PartitionState,
  minIsr: number,
  liveBrokers: ReadonlySet<number>,
  options: DescribeTopicsOptions,
  describeConfigs: boolean,
): boolean {
  const hasLeader = state.leader !== NO_LEADER;
  return (
    describeConfigs ||
    (options.underReplicated === true && replicationFactor(state) - state.isr.length > 0) ||
    (options.unavailable === true && (!hasLeader || !liveBrokers.has(state.leader))) ||
    (options.underMinIsr === true && (!hasLeader || state.isr.length < minIsr)) ||
    (options.atMinIsr === true && minIsr === state.isr.length)
  );
}

function defaultLiveBrokers(image: MetadataImage): Set<number> {
  const live = new Set<number>();
  for (const broker of image.brokers.values()) {
    if (broker.registered && !broker.fenced) live.add(broker.id);
  }
  return live;
}

/** Selected topics in the order Kafka prints them (the iteration order of a `HashMap<>(n)`). */
function selectedTopics(image: MetadataImage, names: readonly string[]): TopicImage[] {
  const capacity = javaHashMapCapacity(names.length, names.length);
  return javaHashOrder(names, javaStringHash, capacity).map(
    (name) => image.topicByName(name) as TopicImage,
  );
}

/** `TopicService.describeTopic`: stdout, stderr and exit code of `kafka-topics.sh --describe`. */
export function describeTopics(image: MetadataImage, options: DescribeTopicsOptions): ToolOutput {
  const wanted = options.topics === undefined ? null : new Set(options.topics);
  const names = image.sortedTopicNames().filter((name) => wanted === null || wanted.has(name));
  if (wanted !== null && names.length === 0 && options.ifExists !== true) {
    const requested = (options.topics ?? []).join("|");
    return { stdout: "", stderr: `Topic '${requested}' does not exist as expected\n`, exitCode: 1 };
  }
  const describeConfigs =
    options.unavailable !== true &&
    options.underReplicated !== true &&
    options.underMinIsr !== true &&
    options.atMinIsr !== true;
  const describePartitions = options.topicsWithOverrides !== true;
  const liveBrokers = options.liveBrokers ?? defaultLiveBrokers(image);
  const describedCount = options.describedConfigCount ?? DEFAULT_DESCRIBED_CONFIG_COUNT;
  const lines: string[] = [];
  for (const topic of selectedTopics(image, names)) {
    const marked = options.markedForDeletion?.(topic.name) ?? false;
    if (describeConfigs) {
      const configs = configsInJavaOrder(
        options.nonDefaultConfigsOf?.(topic.name) ?? topic.configs,
        describedCount,
      );
      if (options.topicsWithOverrides !== true || configs.length > 0) {
        lines.push(topicLine(topic, configs, marked));
      }
    }
    if (!describePartitions) continue;
    const minIsr = options.minIsrOf(topic.name);
    topic.partitions.forEach((state, partitionId) => {
      if (shouldPrintPartition(state, minIsr, liveBrokers, options, describeConfigs)) {
        lines.push(partitionLine(topic.name, partitionId, state, options, marked));
      }
    });
  }
  return { stdout: lines.map((line) => `${line}\n`).join(""), stderr: "", exitCode: 0 };
}
