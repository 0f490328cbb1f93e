/**
 * The final state the checkers judge: every partition's leader as the active controller sees it,
 * and each replica's log (batches with their origins), HW, LEO and log start, read from the
 * brokers' snapshots at the end of a run. One snapshot per broker, so large clusters stay cheap.
 */

import type { PartitionSnapshot } from "../kafka/broker/replica-manager.ts";
import type { KafkaCluster } from "../kafka/cluster.ts";
import {
  type FinalPartition,
  type FinalReplica,
  type FinalState,
  finalBatchOf,
} from "./history.ts";

/** Undefined while no controller is active (there is no metadata truth to read). */
export function finalStateOfCluster(cluster: KafkaCluster, atUs: number): FinalState | undefined {
  const image = cluster.activeImage();
  if (image === undefined) return undefined;
  const snapshots = new Map<number, Map<string, PartitionSnapshot>>();
  for (const [id, broker] of cluster.brokers) {
    snapshots.set(
      id,
      new Map(broker.snapshot().partitions.map((p) => [`${p.topic}-${p.partition}`, p])),
    );
  }
  const partitions: FinalPartition[] = [];
  for (const name of image.sortedTopicNames()) {
    const topic = image.topicByName(name)!;
    const compact = (image.configsOf("TOPIC", name)?.["cleanup.policy"] ?? "").includes("compact");
    topic.partitions.forEach((state, partition) => {
      const replicas: FinalReplica[] = [];
      for (const id of [...state.replicas].sort((a, b) => a - b)) {
        const broker = cluster.brokers.get(id);
        const snap = snapshots.get(id)?.get(`${name}-${partition}`);
        if (broker === undefined || snap === undefined) continue;
        replicas.push({
          broker: id,
          leo: snap.leo,
          hw: snap.hw,
          logStartOffset: snap.logStartOffset,
          batches: broker.logBatches(name, partition).map(finalBatchOf),
        });
      }
      const leader = state.leader >= 0 ? state.leader : null;
      const leaderReplica = replicas.find((r) => r.broker === leader);
      partitions.push({
        topic: name,
        partition,
        leader,
        hw: leaderReplica?.hw ?? 0,
        logStartOffset: leaderReplica?.logStartOffset ?? 0,
        ...(compact ? { compact } : {}),
        replicas,
      });
    });
  }
  return { atUs, partitions };
}
