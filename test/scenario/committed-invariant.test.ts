// The cluster-wide invariant on committed data: a new leader must hold every offset below the
// highest HW any leader reached, unless it was elected uncleanly, lost power itself, or the
// version truncates to the HW on restart. Fed a forged trace, the invariant fires.
import { describe, expect, it } from "vitest";
import { InvariantViolation } from "../../sim/engine/engine.ts";
import { ClusterWorld } from "../support/cluster-world.ts";

/** A running cluster at 1 s (bootstrap leaders elected), into whose trace the tests forge. */
function world() {
  const w = new ClusterWorld({
    seed: 1,
    brokers: 3,
    controllers: { kind: "dedicated", count: 1 },
    topics: [{ name: "t", partitions: 1, replicationFactor: 3, assignment: [[1, 2, 3]] }],
  });
  w.runUntil(1_000_000);
  return w;
}

describe("kafka: committed offsets survive leader changes (invariant)", () => {
  it("fires when a clean new leader has less than the committed offset", () => {
    const w = world();
    const trace = w.engine.trace;
    // Broker 1 leads epoch 5 and its HW reaches 100 (committed); broker 2 then claims epoch 6
    // with a log ending at 40, cleanly: offsets 40..99 would be gone.
    trace.emit("partition.leader", "1", {
      topic: "t",
      partition: 0,
      leader: 1,
      leaderEpoch: 5,
      leo: 0,
      recovering: false,
    });
    trace.emit("replica.hw", "1", { topic: "t", partition: 0, hw: 100 });
    trace.emit("partition.leader", "2", {
      topic: "t",
      partition: 0,
      leader: 2,
      leaderEpoch: 6,
      leo: 40,
      recovering: false,
    });
    expect(() => w.runUntil(3_000_000)).toThrow(InvariantViolation);
    expect(() => w.runUntil(3_000_000)).toThrow(/LEO 40, below the committed offset 100/);
  });

  it("reports, and allows, the same loss after an unclean election", () => {
    const w = world();
    const lost: unknown[] = [];
    w.engine.trace.subscribe((e) => {
      if (e.type === "partition.committed-lost") lost.push(e);
    });
    const trace = w.engine.trace;
    trace.emit("partition.leader", "1", {
      topic: "t",
      partition: 0,
      leader: 1,
      leaderEpoch: 5,
      leo: 0,
      recovering: false,
    });
    trace.emit("replica.hw", "1", { topic: "t", partition: 0, hw: 100 });
    trace.emit("partition.leader", "2", {
      topic: "t",
      partition: 0,
      leader: 2,
      leaderEpoch: 6,
      leo: 40,
      recovering: true,
    });
    w.runUntil(3_000_000);
    expect(lost).toMatchObject([{ leader: 2, from: 40, to: 100, why: "unclean election" }]);
  });
});
