/**
 * The bootstrap metadata log: the cluster as it stands at t=0, already running. Scenarios expect
 * brokers registered and unfenced and their topics created with leaders, so every controller and
 * broker starts from the same committed log (Raft epoch 1, the first voter leading) instead of
 * spending the first seconds of a lesson on elections and registrations.
 *
 * Per broker (in id order): RegisterBrokerRecord (broker epoch = its offset, as Kafka's
 * controller assigns it) and UnfenceBrokerRecord. Per topic (in file order): TopicRecord, its
 * ConfigRecords (sorted by name), and one PartitionRecord per partition with ISR = replicas and
 * the first replica leading at leader epoch 0. Placement, when a topic gives no assignment, is
 * KRaft's striped placer with draws from the stream "placement".
 */
import { deriveTopicId, type MetadataRecord } from "./metadata/image.ts";
import { type PlacementRng, placeReplicasStriped } from "./metadata/placement.ts";
import type { MetadataLogEntry } from "./protocol-control.ts";

export interface BootstrapBroker {
  readonly id: number;
  readonly rack: string | null;
}

export interface BootstrapTopic {
  readonly name: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly config: Readonly<Record<string, string>>;
  readonly assignment: ReadonlyArray<readonly number[]> | null;
}

export type BootstrapResult =
  | {
      readonly ok: true;
      readonly log: MetadataLogEntry[];
      readonly assignments: ReadonlyMap<string, number[][]>;
    }
  | { readonly ok: false; readonly topic: string; readonly message: string };

export function bootstrapMetadataLog(
  brokers: readonly BootstrapBroker[],
  topics: readonly BootstrapTopic[],
  rng: PlacementRng,
): BootstrapResult {
  const records: MetadataRecord[] = [];
  const sorted = [...brokers].sort((a, b) => a.id - b.id);
  for (const b of sorted) {
    const epoch = records.length;
    records.push({
      type: "RegisterBrokerRecord",
      brokerId: b.id,
      brokerEpoch: epoch,
      fenced: true,
      ...(b.rack === null ? {} : { rack: b.rack }),
    });
    records.push({ type: "UnfenceBrokerRecord", id: b.id, epoch });
  }
  const assignments = new Map<string, number[][]>();
  const brokerIds = new Set(sorted.map((b) => b.id));
  for (const [i, topic] of topics.entries()) {
    let assignment: number[][];
    if (topic.assignment !== null) {
      assignment = topic.assignment.map((r) => [...r]);
      for (const replicas of assignment) {
        const unknown = replicas.find((id) => !brokerIds.has(id));
        if (unknown !== undefined) {
          return {
            ok: false,
            topic: topic.name,
            message: `assignment names broker ${unknown}, which is not in the cluster`,
          };
        }
        if (new Set(replicas).size !== replicas.length) {
          return {
            ok: false,
            topic: topic.name,
            message: `assignment [${replicas.join(", ")}] lists a broker twice`,
          };
        }
      }
    } else {
      const placed = placeReplicasStriped(
        sorted.map((b) => ({ id: b.id, ...(b.rack === null ? {} : { rack: b.rack }) })),
        { numPartitions: topic.partitions, replicationFactor: topic.replicationFactor },
        rng,
      );
      if (!placed.ok) return { ok: false, topic: topic.name, message: placed.message };
      assignment = placed.assignments;
    }
    assignments.set(topic.name, assignment);
    const topicId = deriveTopicId(topic.name, i);
    records.push({ type: "TopicRecord", name: topic.name, topicId });
    for (const name of Object.keys(topic.config).sort()) {
      records.push({
        type: "ConfigRecord",
        resourceType: "TOPIC",
        resourceName: topic.name,
        name,
        value: topic.config[name]!,
      });
    }
    assignment.forEach((replicas, partitionId) => {
      records.push({
        type: "PartitionRecord",
        topicId,
        partitionId,
        replicas: [...replicas],
        isr: [...replicas],
        removingReplicas: [],
        addingReplicas: [],
        leader: replicas[0]!,
        leaderRecoveryState: "RECOVERED",
        leaderEpoch: 0,
        partitionEpoch: 0,
      });
    });
  }
  return {
    ok: true,
    log: records.map((record, offset) => ({ offset, epoch: 1, record })),
    assignments,
  };
}
