// consumer: join errors the Java consumer treats as fatal. Two members of one group with no
// assignor in common: the second JoinGroup gets INCONSISTENT_GROUP_PROTOCOL from the real
// coordinator, and the consumer throws InconsistentGroupProtocolException instead of retrying.
import { describe, expect, it } from "vitest";
import { KafkaConsumer } from "../../sim/client/consumer/kafka-consumer.ts";
import { ClusterWorld } from "../support/cluster-world.ts";

describe("consumer: fatal join errors", () => {
  it("no common assignor: InconsistentGroupProtocolException, no endless rejoin", () => {
    const w = new ClusterWorld({
      seed: 2,
      brokers: 3,
      controllers: { kind: "dedicated", count: 1 },
      topics: [{ name: "t", partitions: 2, replicationFactor: 3 }],
      recordTrace: true,
    });
    const make = (id: string, assignor: string) => {
      const c = new KafkaConsumer(w.engine, w.network, {
        clientId: id,
        version: "4.1",
        bootstrap: [1, 2, 3],
        config: {
          "group.id": "g",
          "partition.assignment.strategy": `org.apache.kafka.clients.consumer.${assignor}`,
        },
        history: w.recorder,
      });
      c.subscribe(["t"]);
      c.boot();
      return c;
    };
    make("c1", "RangeAssignor");
    w.runUntil(10_000_000);
    const c2 = make("c2", "RoundRobinAssignor");
    w.runUntil(30_000_000);
    expect(c2.exceptions().map((x) => x.exception)).toContain("InconsistentGroupProtocolException");
  });
});
