/**
 * The broker's copy of the KRaft metadata log (`__cluster_metadata-0`, fetched as a Raft observer)
 * and the MetadataImage it builds from the committed part (Kafka's MetadataLoader and
 * KRaftMetadataCache).
 *
 * Models: entries fetched from the active controller are appended in order; only entries below the
 * high watermark the controller reports are applied; a diverging epoch from a new controller
 * truncates the uncommitted tail. Each application reports which partitions, topics and broker
 * registrations changed, so the replica manager can react to exactly those (Kafka's
 * MetadataDelta / TopicsDelta).
 *
 * Simplifies: no snapshots (the log is kept from offset 0, as the bootstrap gives it); the log and
 * image survive a process restart whole, as if the broker had replayed its local metadata log
 * before fetching (Kafka keeps the log on disk and fsyncs it). Faults: none of its own; a stale
 * image is simply what a partitioned broker has.
 */
import { assert } from "../../engine/assert.ts";
import { MetadataImage } from "../metadata/image.ts";
import type { MetadataLogEntry } from "../protocol-control.ts";

export interface ChangedPartition {
  readonly topic: string;
  readonly partition: number;
}

/** What one round of applying committed entries changed. */
export interface MetadataDelta {
  /** Partitions with a new registration or change record, in the order first touched. */
  readonly partitions: ChangedPartition[];
  /** Topics removed: their names and how many partitions they had. */
  readonly removedTopics: Array<{ readonly name: string; readonly partitions: number }>;
  /** Topics whose configs changed. */
  readonly topicConfigs: Set<string>;
  /** A broker registration changed (fenced, unfenced, registered). */
  brokers: boolean;
  /** Offsets applied in this round. */
  applied: number;
}

export class BrokerMetadata {
  readonly image = new MetadataImage();
  private readonly entries: MetadataLogEntry[] = [];
  /** Entries applied to the image (the next offset to apply). */
  private appliedCount = 0;
  private hw = 0;

  constructor(bootstrap: readonly MetadataLogEntry[], bootstrapHighWatermark: number) {
    this.append(bootstrap);
    this.setHighWatermark(bootstrapHighWatermark);
    this.applyCommitted();
  }

  /** The offset the next fetch asks for. */
  get logEndOffset(): number {
    return this.entries.length;
  }

  /** Epoch of the last entry, -1 when the log is empty. */
  get lastEpoch(): number {
    return this.entries[this.entries.length - 1]?.epoch ?? -1;
  }

  get highWatermark(): number {
    return this.hw;
  }

  /** The last applied offset, -1 when none (the heartbeat's currentMetadataOffset). */
  get appliedOffset(): number {
    return this.appliedCount - 1;
  }

  /** Whether everything the controller reported as committed has been applied. */
  get caughtUp(): boolean {
    return this.appliedCount >= this.hw;
  }

  append(entries: readonly MetadataLogEntry[]): void {
    for (const entry of entries) {
      if (entry.offset < this.entries.length) continue; // already have it (a duplicate response)
      assert(
        entry.offset === this.entries.length,
        () => `metadata entry at ${entry.offset}, log ends at ${this.entries.length}`,
      );
      this.entries.push(entry);
    }
  }

  /** The controller says our log diverges from its own at `endOffset`. Only the uncommitted tail may go. */
  truncate(endOffset: number): void {
    assert(
      endOffset >= this.appliedCount,
      () => `metadata truncation to ${endOffset} below the applied offset ${this.appliedCount}`,
    );
    if (endOffset < this.entries.length) this.entries.length = endOffset;
  }

  /** The controller's high watermark (exclusive), capped at what this log holds. */
  setHighWatermark(hw: number): void {
    this.hw = Math.min(hw, this.entries.length);
  }

  /** Applies every committed entry not yet applied; returns what changed. */
  applyCommitted(): MetadataDelta {
    const delta: MetadataDelta = {
      partitions: [],
      removedTopics: [],
      topicConfigs: new Set(),
      brokers: false,
      applied: 0,
    };
    const seen = new Set<string>();
    const image = this.image;
    while (this.appliedCount < this.hw) {
      const entry = this.entries[this.appliedCount]!;
      this.appliedCount++;
      delta.applied++;
      const record = entry.record;
      switch (record.type) {
        case "LeaderChangeMessage":
          continue;
        case "PartitionRecord":
        case "PartitionChangeRecord": {
          const topic = image.topics.get(record.topicId);
          assert(topic !== undefined, () => `${record.type} for unknown topic ${record.topicId}`);
          const k = `${topic.name}\u0000${record.partitionId}`;
          if (!seen.has(k)) {
            seen.add(k);
            delta.partitions.push({ topic: topic.name, partition: record.partitionId });
          }
          break;
        }
        case "RemoveTopicRecord": {
          const topic = image.topics.get(record.topicId);
          if (topic !== undefined) {
            delta.removedTopics.push({ name: topic.name, partitions: topic.partitions.length });
          }
          break;
        }
        case "ConfigRecord":
          if (record.resourceType === "TOPIC") delta.topicConfigs.add(record.resourceName);
          break;
        case "RegisterBrokerRecord":
        case "UnregisterBrokerRecord":
        case "BrokerRegistrationChangeRecord":
        case "FenceBrokerRecord":
        case "UnfenceBrokerRecord":
          delta.brokers = true;
          break;
        case "TopicRecord":
          break;
      }
      image.apply(record);
    }
    return delta;
  }
}
