// replication: the transfer path of fetch responses. A leader answers follower fetches with
// sendfile (the page cache goes straight to the NIC) over PLAINTEXT; with
// security.inter.broker.protocol=SSL it must read into user space and encrypt every byte, so the
// same replication traffic costs the leader's CPU far more (reference §8.4, transfer.ts).
import { describe, expect, it } from "vitest";
import { ClusterWorld } from "../support/cluster-world.ts";

function leaderCpuBusyUs(interBroker: string): { busyUs: number; replicatedBytes: number } {
  const world = new ClusterWorld({
    seed: 3,
    brokers: 3,
    controllers: { kind: "dedicated", count: 1 },
    config: { "security.inter.broker.protocol": interBroker },
    topics: [{ name: "t", partitions: 1, replicationFactor: 3, assignment: [[1, 2, 3]] }],
  });
  world.addProducer({
    clientId: "producer-1",
    topic: "t",
    bytesPerSec: 10_000_000,
    recordBytes: 1024,
    batchBytes: 16_384,
    config: { acks: -1 },
    stopAtUs: 2_000_000,
  });
  world.runUntil(3_000_000);
  const leader = world.cluster.brokers.get(1)!.snapshot();
  return {
    busyUs: world.cluster.hosts.get("1")!.cpu.busyUs(0, 3_000_000),
    replicatedBytes: leader.metrics.ReplicationBytesOutPerSec,
  };
}

describe("replication: zero-copy unless TLS", () => {
  const plain = leaderCpuBusyUs("PLAINTEXT");
  const tls = leaderCpuBusyUs("SSL");

  it("replicates the same data either way", () => {
    // 10 MB/s for 2 s to two followers: about 40 MB leaves the leader in both runs.
    expect(plain.replicatedBytes).toBeGreaterThan(35_000_000);
    expect(tls.replicatedBytes).toBeGreaterThan(35_000_000);
  });

  it("costs the leader several times more CPU over SSL (copy + AES-GCM instead of sendfile)", () => {
    expect(tls.busyUs).toBeGreaterThan(4 * plain.busyUs);
  });
});
