/**
 * The producer's metadata (Kafka's ProducerMetadata over Metadata): for each topic it writes to,
 * the partition count and each partition's leader, the live brokers, and when to ask again.
 *
 * Models: a MetadataRequest for the producer's topics goes to one broker at a time (the least
 * loaded node in Kafka; here the brokers of the last answer, else the bootstrap list, in turn, so
 * a dead one is skipped next time); a refresh is due at once when a topic is unknown, after
 * NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC_OR_PARTITION and the other errors that mean stale
 * leadership (`requestUpdate`), and every metadata.max.age.ms in any case; a failed request is
 * retried after retry.backoff.ms. An answer older than what is known is not refused (Kafka checks
 * leader epochs; the model takes every answer).
 *
 * Simplifies: one request at a time; no topic expiry (metadata.max.idle.ms); partition counts only
 * grow. Faults: stale answers from a broker that lags the controller.
 */
import type { MetadataResponse } from "../../kafka/protocol.ts";

interface TopicMetadata {
  /** Leader per partition, -1 when none; the length is the partition count. */
  leaders: number[];
  error: string;
}

export class ProducerMetadata {
  private readonly topics = new Map<string, TopicMetadata | undefined>();
  private brokers: number[] = [];
  private cursor = 0;
  private lastRefreshUs = -1;
  private updateRequested = true;

  constructor(
    private readonly bootstrap: readonly number[],
    private readonly maxAgeUs: number,
  ) {}

  /** Registers interest in a topic (its metadata is asked for with the next request). */
  add(topic: string): void {
    if (!this.topics.has(topic)) {
      this.topics.set(topic, undefined);
      this.updateRequested = true;
    }
  }

  /** Topics of interest, in the order they were added. */
  topicNames(): string[] {
    return [...this.topics.keys()];
  }

  /** Partition count, or undefined while the topic is unknown. */
  partitionCount(topic: string): number | undefined {
    const t = this.topics.get(topic);
    return t === undefined || t.leaders.length === 0 ? undefined : t.leaders.length;
  }

  leader(topic: string, partition: number): number {
    return this.topics.get(topic)?.leaders[partition] ?? -1;
  }

  /** Partitions with a leader, ascending (Cluster.availablePartitionsForTopic). */
  availablePartitions(topic: string): number[] {
    const out: number[] = [];
    const leaders = this.topics.get(topic)?.leaders ?? [];
    for (let p = 0; p < leaders.length; p++) if (leaders[p]! >= 0) out.push(p);
    return out;
  }

  requestUpdate(): void {
    this.updateRequested = true;
  }

  /** A request is due now (asked for, or metadata.max.age.ms passed). */
  updateDue(nowUs: number): boolean {
    return (
      this.updateRequested || this.lastRefreshUs < 0 || nowUs - this.lastRefreshUs >= this.maxAgeUs
    );
  }

  /** When the periodic refresh is due. */
  nextRefreshUs(): number {
    return this.lastRefreshUs < 0 ? 0 : this.lastRefreshUs + this.maxAgeUs;
  }

  /** The broker to ask next (rotating, so one that failed is skipped the next time). */
  nextNode(): number {
    const nodes = this.brokers.length > 0 ? this.brokers : this.bootstrap;
    return nodes[this.cursor++ % nodes.length]!;
  }

  /** The request failed (timeout or disconnect): try the next broker the next time. */
  failed(): void {
    this.updateRequested = true;
  }

  /** Applies an answer. */
  apply(m: MetadataResponse, nowUs: number): void {
    this.lastRefreshUs = nowUs;
    this.updateRequested = false;
    if (m.brokers.length > 0) this.brokers = m.brokers.map((b) => b.nodeId);
    for (const t of m.topics) {
      if (!this.topics.has(t.name)) continue;
      if (t.error !== "NONE" || t.partitions.length === 0) {
        // Unknown topic: keep what was known (Kafka keeps the last good view) and ask again.
        this.updateRequested = true;
        continue;
      }
      const old = this.topics.get(t.name)?.leaders ?? [];
      const leaders = old.slice();
      for (const p of t.partitions) {
        while (leaders.length <= p.partition) leaders.push(-1);
        leaders[p.partition] = p.error === "NONE" ? p.leader : -1;
      }
      this.topics.set(t.name, { leaders, error: t.error });
    }
  }
}
