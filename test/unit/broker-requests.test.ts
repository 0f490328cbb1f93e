import { describe, expect, it } from "vitest";
import type {
  FetchResponse,
  ListOffsetsResponse,
  MetadataResponse,
} from "../../sim/kafka/protocol.ts";
import { BrokerHarness } from "../support/broker-harness.ts";

const MS = 1000;
const S = 1_000_000;

function consumerFetch(fetchOffset: number, currentLeaderEpoch = -1, maxWaitMs = 0) {
  return {
    type: "FetchRequest",
    bytes: 96,
    replicaId: -1,
    replicaEpoch: -1,
    maxWaitMs,
    minBytes: 1,
    maxBytes: 52428800,
    isolationLevel: "read_uncommitted",
    partitions: [
      {
        topic: "t",
        partition: 0,
        fetchOffset,
        lastFetchedEpoch: -1,
        currentLeaderEpoch,
        logStartOffset: -1,
        partitionMaxBytes: 1048576,
      },
    ],
  };
}

describe("broker: requests: Metadata, ListOffsets, consumer Fetch", () => {
  it("Metadata answers from the broker's image: leader, epoch, replicas, ISR and live brokers", () => {
    const h = new BrokerHarness({ topics: [{ name: "t", assignment: [[1, 2, 3]] }] });
    h.at(1 * S, () => h.crash(3));
    let answer: () => MetadataResponse | undefined = () => undefined;
    h.at(20 * S, () => {
      answer = h.client.call<MetadataResponse>(2, {
        type: "MetadataRequest",
        bytes: 64,
        topics: null,
      });
    });
    h.runUntil(21 * S);
    const m = answer()!;
    // Broker 3 was fenced after its session expired: no longer listed, and out of the ISR.
    expect(m.brokers.map((b) => b.nodeId)).toEqual([1, 2]);
    expect(m.topics).toHaveLength(1);
    expect(m.topics[0]!.partitions[0]).toMatchObject({
      partition: 0,
      error: "NONE",
      leader: 1,
      leaderEpoch: 0,
      replicas: [1, 2, 3],
      isr: [1, 2],
      offlineReplicas: [3],
    });
  });

  it("ListOffsets gives a client the log start and the HW, not the LEO", () => {
    const h = new BrokerHarness({ topics: [{ name: "t", assignment: [[1, 2, 3]] }] });
    h.at(1 * S, () => h.send(1, { acks: -1, count: 5 }));
    // Cut both followers off, then write 3 more: LEO 8, HW stays 5.
    h.at(2 * S, () =>
      h.network.partition([
        ["1", "producer", "client", "4"],
        ["2", "3"],
      ]),
    );
    h.at(3 * S, () => h.send(1, { acks: 1, count: 3 }));
    let answer: () => ListOffsetsResponse | undefined = () => undefined;
    h.at(4 * S, () => {
      answer = h.client.call<ListOffsetsResponse>(1, {
        type: "ListOffsetsRequest",
        bytes: 64,
        replicaId: -1,
        isolationLevel: "read_uncommitted",
        partitions: [
          { topic: "t", partition: 0, currentLeaderEpoch: -1, timestamp: -2 },
          { topic: "t", partition: 0, currentLeaderEpoch: -1, timestamp: -1 },
        ],
      });
    });
    h.runUntil(5 * S);
    expect(answer()!.partitions.map((p) => [p.timestamp, p.offset, p.error])).toEqual([
      [-2, 0, "NONE"],
      [-1, 5, "NONE"],
    ]);
    expect(h.replica(1)!.leo).toBe(8);
  });

  it("a consumer reads only below the HW, and a fenced epoch is refused (KIP-320)", () => {
    const h = new BrokerHarness({ topics: [{ name: "t", assignment: [[1, 2, 3]] }] });
    h.at(1 * S, () => h.send(1, { acks: -1, count: 5 }));
    h.at(2 * S, () =>
      h.network.partition([
        ["1", "producer", "client", "4"],
        ["2", "3"],
      ]),
    );
    h.at(3 * S, () => h.send(1, { acks: 1, count: 3 }));
    let read: () => FetchResponse | undefined = () => undefined;
    let fenced: () => FetchResponse | undefined = () => undefined;
    let future: () => FetchResponse | undefined = () => undefined;
    h.at(4 * S, () => {
      read = h.client.call<FetchResponse>(1, consumerFetch(0));
      fenced = h.client.call<FetchResponse>(1, consumerFetch(0, 0));
      future = h.client.call<FetchResponse>(1, consumerFetch(0, 7));
    });
    h.runUntil(5 * S);
    const p = read()!.partitions[0]!;
    expect(p.error).toBe("NONE");
    expect(p.highWatermark).toBe(5);
    // One batch of 5 records: the batch of 3 above the HW is not served to consumers.
    expect(p.batches.map((b) => [b.baseOffset, b.count])).toEqual([[0, 5]]);
    // Epoch 0 is current here (no election happened), so 0 passes; 7 is from the future.
    expect(fenced()!.partitions[0]!.error).toBe("NONE");
    expect(future()!.partitions[0]!.error).toBe("UNKNOWN_LEADER_EPOCH");
  });

  it("a consumer's long poll is answered when the HW moves, not before", () => {
    const h = new BrokerHarness({ topics: [{ name: "t", assignment: [[1, 2, 3]] }] });
    let read: () => FetchResponse | undefined = () => undefined;
    h.at(1 * S, () => {
      read = h.client.call<FetchResponse>(1, consumerFetch(0, -1, 5000));
    });
    h.at(1 * S + 100 * MS, () => h.send(1, { acks: 1 }));
    h.runUntil(3 * S);
    const hw = h.events("replica.hw", "1").find((e) => e.hw === 1)!;
    const response = h.trace.find(
      (e) =>
        e.type === "net.send" && e.from === "1" && e.to === "client" && e.msg === "FetchResponse",
    )!;
    expect(read()!.partitions[0]!.batches).toHaveLength(1);
    // Sent right when the HW moved (after the followers' next fetch), plus the 1 us of sendfile CPU
    // work for the 100-byte batch, long before the 5 s max wait.
    expect(response.t).toBe(hw.t + 1);
  });
});

describe("broker: storage: retention, compaction, flushing", () => {
  it("retention deletes old segments on every replica, never past the HW", () => {
    // 1 MiB segments (the smallest Kafka allows) and batches of 1 MB: one batch per segment.
    // retention.bytes 2.5 MB: the first retention check (after the 30 s initial delay) deletes the
    // oldest segments while what remains is still at least 2.5 MB: 10 MB → 3 MB left.
    const h = new BrokerHarness({
      topics: [
        {
          name: "t",
          assignment: [[1, 2, 3]],
          config: { "segment.bytes": "1048576", "retention.bytes": "2500000" },
        },
      ],
    });
    for (let i = 0; i < 10; i++) {
      h.at(1 * S + i * 10 * MS, () => h.send(1, { acks: -1, bytes: 1_000_000 }));
    }
    h.runUntil(40 * S);
    for (const id of [1, 2, 3]) {
      const r = h.replica(id)!;
      expect(r.segments.map((s) => s.baseOffset)).toEqual([7, 8, 9]);
      expect(r.logStartOffset).toBe(7);
      expect(r.logStartOffset).toBeLessThanOrEqual(r.hw);
    }
    expect(h.events("log.retention", "1")[0]).toMatchObject({
      segments: 7,
      bytes: 7_000_000,
      reason: "retention.bytes",
      logStartOffset: 7,
    });
  });

  it("compaction keeps the last value per key on a compacted topic", () => {
    // Six values of one key in batches of 600 kB: each batch gets a segment of its own (1 MiB
    // segments). The cleaner (every log.cleaner.backoff.ms, 15 s) cleans the five closed segments.
    const h = new BrokerHarness({
      brokers: 1,
      topics: [
        {
          name: "t",
          assignment: [[1]],
          config: {
            "cleanup.policy": "compact",
            "segment.bytes": "1048576",
            "min.cleanable.dirty.ratio": "0.1",
          },
        },
      ],
    });
    for (let i = 0; i < 6; i++) {
      h.at(1 * S + i * MS, () => h.send(1, { acks: 1, key: "k", value: `v${i}`, bytes: 600_000 }));
    }
    h.runUntil(40 * S);
    expect(h.events("log.cleaned", "1")[0]).toMatchObject({ removedRecords: 4 });
    const values = h
      .broker(1)
      .logBatches("t", 0)
      .flatMap((b) => b.values ?? []);
    // v4 is the last value in the cleaned part; v5 sits in the active segment, never cleaned.
    expect(values).toEqual(["v4", "v5"]);
  });

  it("flush.messages=1 fsyncs after every append: a power loss then loses nothing", () => {
    const h = new BrokerHarness({
      brokers: 1,
      topics: [{ name: "t", assignment: [[1]], config: { "flush.messages": "1" } }],
    });
    for (let i = 0; i < 5; i++) h.at(1 * S + i, () => h.send(1, { acks: 1 }));
    h.at(2 * S, () => h.crash(1, "power"));
    h.at(3 * S, () => h.restart(1));
    h.runUntil(10 * S);
    expect(h.events("replica.truncate", "1")).toHaveLength(0);
    expect(h.replica(1)!.leo).toBe(5);
  });
});

describe("broker: faults: log directory failure and controlled shutdown", () => {
  it("a failed disk takes the log dir offline: produce gets KAFKA_STORAGE_ERROR and the broker halts", () => {
    const h = new BrokerHarness({ topics: [{ name: "t", assignment: [[1, 2, 3]] }] });
    let sent: ReturnType<BrokerHarness["send"]> | undefined;
    h.at(1 * S, () => h.host(1).disk(0).fail());
    h.at(1 * S + 1, () => {
      sent = h.send(1, { acks: 1 });
    });
    h.runUntil(20 * S);
    expect(sent!.error).toBe("KAFKA_STORAGE_ERROR");
    expect(h.events("log.dir.offline", "1")[0]).toMatchObject({
      dir: "/tmp/kafka-logs",
      partitions: ["t-0"],
    });
    // Its only log dir is gone: Kafka halts the broker; the controller then moves leadership.
    expect(h.events("broker.halt", "1")).toHaveLength(1);
    expect(h.snapshot(1).state).toBe("not-running");
    expect(h.partitionState().leader).toBe(2);
  });

  it("with two log dirs, one failing takes only its partitions offline and is reported", () => {
    const h = new BrokerHarness({
      disks: 2,
      brokerConfig: { "log.dirs": "/data/a,/data/b" },
      topics: [
        {
          name: "t",
          assignment: [
            [1, 2, 3],
            [1, 3, 2],
          ],
        },
      ],
    });
    h.runUntil(1 * S);
    const dirOf = (p: number) => h.replica(1, "t", p)!.logDir;
    // Kafka puts each new log in the directory with the fewest logs: one each.
    expect([dirOf(0), dirOf(1)]).toEqual(["/data/a", "/data/b"]);
    h.at(2 * S, () => h.host(1).disk(0).fail());
    h.at(2 * S + 1, () => h.send(1, { acks: 1, partition: 0 }));
    h.at(2 * S + 2, () => h.send(1, { acks: 1, partition: 1 }));
    h.runUntil(3 * S);
    const [p0, p1] = h.producer().outcomes;
    expect(p0!.error).toBe("KAFKA_STORAGE_ERROR");
    expect(p1!.error).toBe("NONE");
    expect(h.snapshot(1).offlineLogDirs).toEqual(["/data/a"]);
    expect(h.replica(1, "t", 0)!.role).toBe("offline");
    expect(h.events("broker.halt", "1")).toHaveLength(0);
  });

  it("a controlled shutdown moves leadership away first, and the restart is clean", () => {
    const h = new BrokerHarness({ topics: [{ name: "t", assignment: [[1, 2, 3]] }] });
    h.at(1 * S, () => h.send(1, { acks: -1 }));
    h.at(2 * S, () => h.engine.schedule(0, "1", "broker.shutdown", null));
    h.runUntil(5 * S);
    expect(h.events("broker.shutdown", "1")).toHaveLength(1);
    expect(h.partitionState().leader).toBe(2);
    expect(h.snapshot(1).state).toBe("not-running");
    h.at(6 * S, () => h.restart(1));
    h.runUntil(10 * S);
    // previousBrokerEpoch matched: the controller saw a clean shutdown.
    const registered = h.events("broker.registered").find((e) => e.broker === 1)!;
    expect(registered.unclean).toBe(false);
    expect(h.replica(1)!.role).toBe("follower");
  });
});
