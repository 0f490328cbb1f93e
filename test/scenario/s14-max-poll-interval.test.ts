// scenario S14 (reference §10): exceeding max.poll.interval.ms. Group g (range,
// max.poll.interval.ms=300000, enable.auto.commit=false, commitSync after each processed batch)
// has c1 and c2 on a one-partition topic: c1 owns p0, c2 is idle. c1's poll returns the 500
// records and processing them takes 6 minutes (720 ms a record). Timeline (hand-derived; the group
// forms at ≈0.5 s and c1's poll returns at ≈0.5 s):
//   ≈300.5 s: c1's heartbeat thread sees no poll for max.poll.interval.ms and sends LeaveGroup;
//   the group rebalances and c2 gets p0 at the last committed offset (none: earliest, 0), and
//   processes 0..499 again (1 ms a record) and commits 500 · ≈360.5 s: c1 finishes and calls
//   commitSync → CommitFailedException (its generation is gone); its next poll rejoins, and a new
//   rebalance follows.
// Expected: c2 reprocesses c1's batch (duplicates: no-reprocessing fails on 500 records).
// Static-member variant (c1 has a group.instance.id): no LeaveGroup; c1 just stops heartbeating,
// and p0 moves only when the coordinator expires it after session.timeout.ms (45 s).
import { describe, expect, it } from "vitest";
import { checkNoReprocessing, checkNoSkippedRecords } from "../../sim/check/checkers/index.ts";
import { KafkaConsumer } from "../../sim/client/consumer/kafka-consumer.ts";
import { ClusterWorld } from "../support/cluster-world.ts";

const S = 1_000_000;

function run(staticC1: boolean) {
  const w = new ClusterWorld({
    seed: 11,
    brokers: 3,
    controllers: { kind: "dedicated", count: 3 },
    topics: [{ name: "t", partitions: 1, replicationFactor: 3 }],
    config: { "group.initial.rebalance.delay.ms": 0 },
    recordTrace: true,
  });
  // 500 records of 1 KiB in batches of 20, written in the first 50 ms.
  w.addProducer({
    clientId: "producer-1",
    topic: "t",
    bytesPerSec: 10_000 * 1024,
    recordBytes: 1024,
    batchBytes: 20 * 1024,
    stopAtUs: 49_950,
  });
  const make = (id: string, processingUsPerRecord: number) => {
    const c = new KafkaConsumer(w.engine, w.network, {
      clientId: id,
      version: "4.1",
      bootstrap: [1, 2, 3],
      config: {
        ...(staticC1 && id === "c1" ? { "group.instance.id": "c1-instance" } : {}),
        "group.id": "g",
        "auto.offset.reset": "earliest",
        "enable.auto.commit": false,
        "max.poll.interval.ms": 300_000,
        "partition.assignment.strategy": "org.apache.kafka.clients.consumer.RangeAssignor",
      },
      app: { processingUsPerRecord, commit: "sync" },
      history: w.recorder,
    });
    c.subscribe(["t"]);
    return c;
  };
  const c1 = make("c1", 720_000);
  const c2 = make("c2", 1000);
  c1.boot();
  c2.boot();
  w.runUntil(420 * S);
  const trace = w.trace;
  const history = w.history();
  const of = (type: string, node?: string) =>
    trace.filter((e) => e.type === type && (node === undefined || e.node === node));
  return { trace, history, of };
}

describe("scenario S14: exceeding max.poll.interval.ms", () => {
  const { history, of } = run(false);

  it("c1 gets the 500 records; 300 s later it leaves the group (max.poll.interval.ms)", () => {
    const polls = of("consumer.poll", "c1");
    expect(polls[0]!.slices).toBe("t-0@0+500");
    const leave = of("consumer.leave", "c1");
    expect(leave).toHaveLength(1);
    // The poll timer starts when poll() is called, a few ms before the records come back; the
    // LeaveGroup goes out when the heartbeat thread next looks (within heartbeat.interval.ms).
    expect(leave[0]!.reason).toBe("consumer poll timeout has expired");
    expect(leave[0]!.t - polls[0]!.t).toBeGreaterThan(299 * S);
    expect(leave[0]!.t - polls[0]!.t).toBeLessThan(303 * S);
  });

  it("c2 gets p0 from the last committed offset (none: 0) and processes 0..499 again", () => {
    const leaveAt = of("consumer.leave", "c1")[0]!.t;
    const assigned = of("consumer.assigned", "c2").find((e) => e.t > leaveAt);
    expect(assigned?.assignment).toBe("t-0");
    const c2polls = of("consumer.poll", "c2");
    expect(c2polls[0]!.slices).toBe("t-0@0+500");
    expect(c2polls[0]!.t).toBeGreaterThan(leaveAt);
    expect(c2polls[0]!.t).toBeLessThan(360 * S);
    const c2commits = of("consumer.commit", "c2");
    expect(c2commits[0]).toMatchObject({ kind: "sync", offsets: "t-0=500", error: "NONE" });
  });

  it("c1's late commitSync throws CommitFailedException; its next poll rejoins", () => {
    const thrown = of("consumer.exception", "c1");
    expect(thrown.map((e) => e.exception)).toContain("CommitFailedException");
    const failed = thrown.find((e) => e.exception === "CommitFailedException")!;
    // After 6 minutes of processing.
    const firstPoll = of("consumer.poll", "c1")[0]!;
    expect(failed.t - firstPoll.t).toBeGreaterThanOrEqual(360 * S);
    expect(failed.t - firstPoll.t).toBeLessThan(361 * S);
    // c1's only commit is that one, refused by the client itself: it has no generation any more.
    expect(of("consumer.commit", "c1").map((e) => [e.kind, e.generation, e.exception])).toEqual([
      ["sync", -1, "CommitFailedException"],
    ]);
    const rejoin = of("consumer.rebalance", "c1").filter((e) => e.t >= failed.t);
    expect(rejoin.map((e) => e.phase)).toEqual(["join"]);
    // A new rebalance: both members get a new generation (range gives p0 back to c1, whose
    // member id sorts first, at the offset c2 committed).
    const after = of("consumer.assigned").filter((e) => e.t > failed.t);
    expect(after.map((e) => [e.node, e.assignment]).sort()).toEqual([
      ["c1", "t-0"],
      ["c2", ""],
    ]);
    expect(new Set(after.map((e) => e.generation)).size).toBe(1);
    expect(of("consumer.validate", "c1").at(-1)).toMatchObject({ offset: 500 });
  });

  it("duplicates: every record of c1's batch was processed by both members", () => {
    const reprocessing = checkNoReprocessing(history);
    expect(reprocessing.holds).toBe(false);
    expect(reprocessing.detail).toMatch(
      /\(1 group partition judged; 500 offsets delivered again\)$/,
    );
    expect(checkNoSkippedRecords(history).holds).toBe(true);
  });
});

describe("scenario S14, static member: no LeaveGroup; p0 moves after session.timeout.ms", () => {
  const { history, of } = run(true);

  it("c1 sends no LeaveGroup; the coordinator expires it 45 s after its last heartbeat", () => {
    expect(of("consumer.leave", "c1")).toEqual([]);
    const expired = of("group.member.expired");
    expect(expired.map((e) => e.reason)).toEqual(["session-timeout"]);
    const firstPoll = of("consumer.poll", "c1")[0]!;
    // The poll timer runs out 300 s after the poll call (a few ms before its records came back)
    // and heartbeats stop then (Kafka's heartbeat thread checks the poll timeout before sending);
    // the session expires 45 s after the last one, sent up to heartbeat.interval.ms (3 s) before.
    expect(expired[0]!.t - firstPoll.t).toBeGreaterThan(341.9 * S);
    expect(expired[0]!.t - firstPoll.t).toBeLessThan(345.1 * S);
    const c2polls = of("consumer.poll", "c2");
    expect(c2polls[0]!.slices).toBe("t-0@0+500");
    expect(c2polls[0]!.t).toBeGreaterThan(expired[0]!.t);
  });

  it("the late commitSync still fails, and the batch is processed twice", () => {
    const thrown = of("consumer.exception", "c1").map((e) => e.exception);
    expect(thrown).toContain("CommitFailedException");
    const reprocessing = checkNoReprocessing(history);
    expect(reprocessing.holds).toBe(false);
    expect(reprocessing.detail).toMatch(
      /\(1 group partition judged; 500 offsets delivered again\)$/,
    );
  });
});
