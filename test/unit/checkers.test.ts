/**
 * The checkers on hand-built histories: for each, a history where it holds and one where it does
 * not, with the explanation asserted word for word (the explanation is the product: it must say
 * which record, sent when, acknowledged by whom at which offset, and what removed it). Also the
 * trace adapter (historyFromTrace) and the recorder's invariants.
 */
import { describe, expect, it } from "vitest";
import { processorEffects } from "../../sim/check/checkers/processor-effects.ts";
import {
  CHECKER_NAMES,
  checkHwMonotonic,
  checkLagOk,
  checkNoDivergence,
  checkNoDuplicates,
  checkNoLostAckedWrites,
  checkNoReprocessing,
  checkNoSkippedRecords,
  checkOrderPerKey,
  checkOrderPerPartition,
  checkReadCommitted,
  type FinalBatch,
  type FinalPartition,
  type FinalReplica,
  formatTimeUs,
  type History,
  HistoryRecorder,
  historyFromTrace,
  makeHistory,
  type PollRecord,
  runCheckers,
  type SendOutcome,
  type SendRecord,
} from "../../sim/check/index.ts";
import { SimAssertionError } from "../../sim/engine/assert.ts";
import type { TraceEvent } from "../../sim/engine/trace.ts";

const S = 1_000_000;
const MS = 1000;

function send(
  client: string,
  seq: number,
  sentAtUs: number,
  opts: {
    topic?: string;
    partition?: number;
    key?: string | null;
    count?: number;
    tid?: string;
  } = {},
): SendRecord {
  return {
    sendId: `${client}:${seq}`,
    client,
    topic: opts.topic ?? "orders",
    partition: opts.partition ?? 0,
    key: opts.key ?? null,
    count: opts.count ?? 1,
    sentAtUs,
    ...(opts.tid === undefined ? {} : { transactional: { transactionalId: opts.tid } }),
  };
}

function acked(
  sendId: string,
  atUs: number,
  offset: number,
  by: number,
  acks: "1" | "all" = "all",
): SendOutcome {
  return { sendId, atUs, outcome: "acked", offset, by, acks };
}

function batch(
  baseOffset: number,
  count: number,
  origin?: string,
  leaderEpoch = 1,
  extra: Partial<FinalBatch> = {},
): FinalBatch {
  return { baseOffset, count, leaderEpoch, ...(origin === undefined ? {} : { origin }), ...extra };
}

function replica(broker: number, batches: FinalBatch[], hw: number): FinalReplica {
  const last = batches[batches.length - 1];
  const leo = last === undefined ? 0 : last.baseOffset + last.count;
  return { broker, leo, hw, batches };
}

function partition(
  leader: number | null,
  replicas: FinalReplica[],
  opts: { topic?: string; partition?: number; logStartOffset?: number; compact?: boolean } = {},
): FinalPartition {
  const lead = replicas.find((r) => r.broker === leader);
  return {
    topic: opts.topic ?? "orders",
    partition: opts.partition ?? 0,
    leader,
    hw: lead?.hw ?? 0,
    logStartOffset: opts.logStartOffset ?? 0,
    ...(opts.compact === undefined ? {} : { compact: opts.compact }),
    replicas,
  };
}

function poll(
  consumer: string,
  group: string | null,
  generation: number,
  offset: number,
  count: number,
  atUs: number,
  extra: Partial<PollRecord> = {},
): PollRecord {
  return {
    consumer,
    group,
    generation,
    topic: "orders",
    partition: 0,
    offset,
    count,
    atUs,
    isolation: "read_uncommitted",
    ...extra,
  };
}

describe("format", () => {
  it("shows virtual time as seconds with milliseconds, truncated", () => {
    expect(formatTimeUs(2_013_456)).toBe("2.013 s");
    expect(formatTimeUs(9_871_000)).toBe("9.871 s");
    expect(formatTimeUs(999)).toBe("0.000 s");
    expect(formatTimeUs(61 * S + 5 * MS)).toBe("61.005 s");
  });
});

// The example: producer-1 writes offsets 0-40, then one record that broker 1 (leader of
// epoch 1) acknowledges with acks=1 at offset 41 at 2.013 s. Broker 2 becomes leader of epoch 3 at
// 5 s without it, producer-2 writes its own record at offset 41, and broker 1 cuts its log back to
// 41 when it rejoins as a follower of epoch 3 at 9.871 s.
function failoverHistory(outcome1: "acked" | "unknown"): History {
  const sends = [
    send("producer-1", 0, 1 * S, { count: 41 }),
    send("producer-1", 1, 2001 * MS),
    send("producer-2", 0, 5900 * MS),
  ];
  const outcomes: SendOutcome[] = [
    acked("producer-1:0", 1010 * MS, 0, 1),
    outcome1 === "acked"
      ? acked("producer-1:1", 2013 * MS, 41, 1, "1")
      : {
          sendId: "producer-1:1",
          atUs: 32 * S,
          outcome: "unknown",
          error: "REQUEST_TIMED_OUT",
          acks: "1",
        },
    acked("producer-2:0", 6 * S, 41, 2),
  ];
  const log = [batch(0, 41, "producer-1:0"), batch(41, 1, "producer-2:0", 3)];
  return makeHistory({
    sends,
    outcomes,
    leaderChanges: [
      { atUs: 0, topic: "orders", partition: 0, leader: 1, leaderEpoch: 1, unclean: false },
      { atUs: 5 * S, topic: "orders", partition: 0, leader: 2, leaderEpoch: 3, unclean: false },
    ],
    truncations: [
      {
        atUs: 9871 * MS,
        broker: 1,
        topic: "orders",
        partition: 0,
        fromOffset: 42,
        toOffset: 41,
        why: "diverging",
        leaderEpoch: 3,
      },
    ],
    final: { atUs: 40 * S, partitions: [partition(2, [replica(1, log, 42), replica(2, log, 42)])] },
  });
}

describe("no-lost-acked-writes", () => {
  it("holds when the only missing write has an unknown outcome, and says so", () => {
    const v = checkNoLostAckedWrites(failoverHistory("unknown"));
    expect(v.holds).toBe(true);
    expect(v.detail).toBe(
      "2 acknowledged sends checked against the final logs; 1 with unknown outcome not required",
    );
  });

  it("names the record, its acknowledgement, the truncation that removed it and what replaced it", () => {
    const v = checkNoLostAckedWrites(failoverHistory("acked"));
    expect(v.holds).toBe(false);
    expect(v.violationCount).toBe(1);
    expect(v.violations[0]).toMatchObject({
      anomaly: "lost write",
      sendId: "producer-1:1",
      offset: 41,
    });
    expect(v.violations[0]!.message).toBe(
      "lost producer-1:1 (acks=1, 1 record, sent at 2.001 s): offset 41 on orders-0, acknowledged by " +
        "broker 1 at 2.013 s, truncated when broker 1 rejoined as follower of epoch 3 at 9.871 s, " +
        "after broker 2 became leader of epoch 3 at 5.000 s; broker 2 (final leader, HW 42) has " +
        "producer-2:0 at offset 41 (epoch 3)",
    );
    expect(v.detail.startsWith("1 lost write: lost producer-1:1")).toBe(true);
  });

  it("without a truncation, blames the leader change the record did not survive", () => {
    // Broker 1 acknowledged offset 3 and never came back; broker 2 won an unclean election.
    const log2 = [batch(0, 3, "p:0")];
    const h = makeHistory({
      sends: [send("p", 0, 1 * S, { count: 3 }), send("p", 1, 2 * S)],
      outcomes: [acked("p:0", 1100 * MS, 0, 1), acked("p:1", 2100 * MS, 3, 1, "1")],
      leaderChanges: [
        { atUs: 4 * S, topic: "orders", partition: 0, leader: 2, leaderEpoch: 2, unclean: true },
      ],
      final: { atUs: 10 * S, partitions: [partition(2, [replica(2, log2, 3)])] },
    });
    const v = checkNoLostAckedWrites(h);
    expect(v.violations.map((x) => x.message)).toEqual([
      "lost p:1 (acks=1, 1 record, sent at 2.000 s): offset 3 on orders-0, acknowledged by broker 1 at " +
        "2.100 s, not replicated before broker 2 became leader of epoch 2 at 4.000 s (unclean election); " +
        "broker 2 (final leader, HW 3) ends at offset 3",
    ]);
  });

  it("explains a power-loss cut and a record left above the final HW", () => {
    const h = makeHistory({
      sends: [send("p", 0, 1 * S), send("p", 1, 2 * S)],
      outcomes: [acked("p:0", 1100 * MS, 0, 1, "1"), acked("p:1", 2100 * MS, 1, 1, "1")],
      truncations: [
        {
          atUs: 3 * S,
          broker: 1,
          topic: "orders",
          partition: 0,
          fromOffset: 2,
          toOffset: 0,
          why: "power-loss",
          leaderEpoch: -1,
        },
      ],
      // Broker 1 lost both; broker 2 (leader) has p:1 at offset 1 but its HW is only 1.
      final: {
        atUs: 10 * S,
        partitions: [partition(2, [replica(1, [], 0), replica(2, [batch(1, 1, "p:1")], 1)])],
      },
    });
    const v = checkNoLostAckedWrites(h);
    expect(v.violations.map((x) => x.message)).toEqual([
      "lost p:0 (acks=1, 1 record, sent at 1.000 s): offset 0 on orders-0, acknowledged by broker 1 at " +
        "1.100 s, lost with broker 1's unflushed log in a power failure (recovered to offset 0 at 3.000 s); " +
        "broker 2 (final leader, HW 1) has no record at offset 0",
      "lost p:1 (acks=1, 1 record, sent at 2.000 s): offset 1 on orders-0, acknowledged by broker 1 at " +
        "2.100 s, not committed at the end: broker 2 (final leader, HW 1) has it above its HW",
    ]);
  });

  it("excuses retention (log start passed it) and compaction (a hole in a compacted log)", () => {
    const h = makeHistory({
      sends: [send("p", 0, 1 * S), send("p", 1, 2 * S), send("p", 2, 3 * S)],
      outcomes: [
        acked("p:0", 1 * S + 1, 0, 1),
        acked("p:1", 2 * S + 1, 1, 1),
        acked("p:2", 3 * S + 1, 2, 1),
      ],
      // Offset 0 is below the log start; offset 1's batch was cleaned away; offset 2 is there.
      final: {
        atUs: 10 * S,
        partitions: [
          partition(1, [replica(1, [batch(2, 1, "p:2")], 3)], { logStartOffset: 1, compact: true }),
        ],
      },
    });
    const v = checkNoLostAckedWrites(h);
    expect(v.holds).toBe(true);
    expect(v.detail).toBe(
      "3 acknowledged sends checked against the final logs; 2 removed by retention, compaction or delete-records",
    );
  });

  it("a hole in a log that is not compacted is a loss", () => {
    const h = makeHistory({
      sends: [send("p", 0, 1 * S), send("p", 1, 2 * S)],
      outcomes: [acked("p:0", 1 * S + 1, 0, 1), acked("p:1", 2 * S + 1, 1, 1)],
      final: { atUs: 10 * S, partitions: [partition(1, [replica(1, [batch(1, 1, "p:1")], 2)])] },
    });
    expect(checkNoLostAckedWrites(h).violations.map((x) => x.sendId)).toEqual(["p:0"]);
  });

  it("checks acks=0 sends by presence, and calls them unverifiable once the log start moved", () => {
    const sends = [send("p", 0, 1 * S), send("p", 1, 2 * S)];
    const outcomes: SendOutcome[] = [
      { sendId: "p:0", atUs: 1 * S, outcome: "acked", offset: -1, acks: "0" },
      { sendId: "p:1", atUs: 2 * S, outcome: "acked", offset: -1, acks: "0" },
    ];
    const log = [batch(0, 1, "p:0")];
    const lost = checkNoLostAckedWrites(
      makeHistory({
        sends,
        outcomes,
        final: { atUs: 5 * S, partitions: [partition(1, [replica(1, log, 1)])] },
      }),
    );
    expect(lost.violations.map((x) => x.message)).toEqual([
      "lost p:1 (acks=0, 1 record, sent at 2.000 s): sent to orders-0 without acknowledgement (acks=0: " +
        "no offset, no broker), absent from broker 1 (final leader, HW 1)",
    ]);
    const moved = checkNoLostAckedWrites(
      makeHistory({
        sends,
        outcomes,
        final: {
          atUs: 5 * S,
          partitions: [partition(1, [replica(1, log, 1)], { logStartOffset: 0 + 1 })],
        },
      }),
    );
    expect(moved.holds).toBe(true);
    expect(moved.detail).toContain(
      "1 acks=0 sends absent but unverifiable (log start moved or compacted)",
    );
  });

  it("does not require records of an aborted transaction, but does a committed one's", () => {
    const h = makeHistory({
      sends: [send("t", 0, 1 * S, { tid: "tx" }), send("t", 1, 2 * S, { tid: "tx" })],
      outcomes: [acked("t:0", 1 * S + 1, 0, 1), acked("t:1", 2 * S + 1, 2, 1)],
      txnMarkers: [
        {
          transactionalId: "tx",
          producerId: 7,
          epoch: 0,
          topic: "orders",
          partition: 0,
          offset: 1,
          commit: false,
          atUs: 1500 * MS,
        },
        {
          transactionalId: "tx",
          producerId: 7,
          epoch: 0,
          topic: "orders",
          partition: 0,
          offset: 3,
          commit: true,
          atUs: 2500 * MS,
        },
      ],
      // Neither data batch survived; only the markers did.
      final: {
        atUs: 5 * S,
        partitions: [
          partition(1, [
            replica(
              1,
              [
                batch(1, 1, undefined, 1, { isControl: true }),
                batch(3, 1, undefined, 1, { isControl: true }),
              ],
              4,
            ),
          ]),
        ],
      },
    });
    const v = checkNoLostAckedWrites(h);
    expect(v.violations.map((x) => x.sendId)).toEqual(["t:1"]);
    expect(v.detail).toContain("1 in aborted or open transactions not required");
    expect(v.violations[0]!.message).toBe(
      "lost t:1 (acks=all, 1 record, sent at 2.000 s): offset 2 on orders-0, acknowledged by broker 1 at " +
        "2.000 s, gone with no recorded truncation or leader change; broker 1 (final leader, HW 4) has no " +
        "record at offset 2",
    );
  });
});

describe("no-duplicates", () => {
  const sends = [send("p", 0, 1 * S), send("p", 1, 1 * S + 1)];
  it("holds when every origin appears once", () => {
    const h = makeHistory({
      sends,
      final: {
        atUs: 5 * S,
        partitions: [partition(1, [replica(1, [batch(0, 1, "p:0"), batch(1, 1, "p:1")], 2)])],
      },
    });
    expect(checkNoDuplicates(h)).toMatchObject({
      holds: true,
      detail: "2 committed batches with an origin on 1 partitions",
    });
  });

  it("names the send, both offsets and what the producer was told", () => {
    // A retry after a lost response: p:0 written at 0 and again at 2.
    const h = makeHistory({
      sends,
      outcomes: [acked("p:0", 1500 * MS, 2, 1), acked("p:1", 1200 * MS, 1, 1)],
      final: {
        atUs: 5 * S,
        partitions: [
          partition(1, [
            replica(1, [batch(0, 1, "p:0"), batch(1, 1, "p:1"), batch(2, 1, "p:0")], 3),
          ]),
        ],
      },
    });
    const v = checkNoDuplicates(h);
    expect(v.violations.map((x) => x.message)).toEqual([
      "p:0 (1 record, sent at 1.000 s) appears 2 times on orders-0: at offset 0 (epoch 1) and offset 2 " +
        "(epoch 1); acknowledged at offset 2 by broker 1 at 1.500 s",
    ]);
  });

  it("ignores a copy above the HW (not committed)", () => {
    const h = makeHistory({
      sends,
      final: {
        atUs: 5 * S,
        partitions: [partition(1, [replica(1, [batch(0, 1, "p:0"), batch(1, 1, "p:0")], 1)])],
      },
    });
    expect(checkNoDuplicates(h).holds).toBe(true);
  });
});

// orders-0: p:0 at 0-9, p:1 at 10-19, t:0 (transaction tx) at 20-23, its abort marker at 24,
// p:2 at 25-29. A read_committed consumer jumps from 20 to 25 legitimately; a read_uncommitted one
// must not (it receives aborted records).
function orderLog(): History {
  return makeHistory({
    sends: [
      send("p", 0, 0, { count: 10 }),
      send("p", 1, 1, { count: 10 }),
      send("t", 0, 2, { count: 4, tid: "tx" }),
      send("p", 2, 3, { count: 5 }),
    ],
    txnMarkers: [
      {
        transactionalId: "tx",
        producerId: 9,
        epoch: 0,
        topic: "orders",
        partition: 0,
        offset: 24,
        commit: false,
        atUs: 4,
      },
    ],
    polls: [
      poll("c1", "g", 1, 0, 10, 1 * S, { isolation: "read_committed" }),
      poll("c1", "g", 1, 10, 10, 2 * S, { isolation: "read_committed" }),
      poll("c1", "g", 1, 25, 5, 3 * S, { isolation: "read_committed" }),
      poll("c2", "h", 1, 0, 10, 1 * S),
      poll("c2", "h", 1, 10, 10, 2 * S),
      poll("c2", "h", 1, 25, 5, 3 * S),
      // c3 re-reads within one generation, then (new generation) starts over: only the first is wrong.
      poll("c3", "k", 1, 0, 10, 1 * S),
      poll("c3", "k", 1, 5, 5, 2 * S),
      poll("c3", "k", 2, 0, 10, 3 * S),
    ],
    final: {
      atUs: 10 * S,
      partitions: [
        partition(1, [
          replica(
            1,
            [
              batch(0, 10, "p:0"),
              batch(10, 10, "p:1"),
              batch(20, 4, "t:0", 1, { isTransactional: true }),
              batch(24, 1, undefined, 1, { isControl: true }),
              batch(25, 5, "p:2"),
            ],
            30,
          ),
        ]),
      ],
    },
  });
}

describe("order-per-partition", () => {
  it("lets read_committed skip an aborted transaction and its marker, not read_uncommitted", () => {
    const v = checkOrderPerPartition(orderLog());
    expect(v.violations.map((x) => x.message)).toEqual([
      "c2 (group h, generation 1) skipped offsets 20-24 of orders-0 between its polls at 2.000 s and " +
        "3.000 s: offset 20 holds t:0 (epoch 1)",
      "c3 (group k, generation 1) received offsets 5-9 of orders-0 at 2.000 s after reaching offset 10 at 1.000 s",
    ]);
    expect(v.violations.map((x) => x.anomaly)).toEqual(["skip", "nonmonotonic poll"]);
  });

  it("a restarted process (a static member, same generation) starts a new sequence", () => {
    const h = makeHistory({
      polls: [
        { ...poll("c", "g", 1, 0, 10, 1 * S), session: 1 },
        { ...poll("c", "g", 1, 10, 10, 2 * S), session: 1 },
        // Restarted: resumes from the committed offset 5 in generation 1.
        { ...poll("c", "g", 1, 5, 10, 3 * S), session: 2 },
        // The same in one process is going back.
        { ...poll("d", "g", 1, 0, 10, 1 * S), session: 1 },
        { ...poll("d", "g", 1, 5, 10, 2 * S), session: 1 },
      ],
    });
    expect(checkOrderPerPartition(h).violations.map((x) => x.message)).toEqual([
      "d (group g, generation 1) received offsets 5-14 of orders-0 at 2.000 s after reaching offset 10 at 1.000 s",
    ]);
  });

  it("holds for increasing, contiguous polls", () => {
    const h = makeHistory({
      polls: [poll("c", null, -1, 0, 5, 1 * S), poll("c", null, -1, 5, 5, 2 * S)],
    });
    expect(checkOrderPerPartition(h).holds).toBe(true);
  });

  it("a gap over compacted-away offsets is justified; one past the log start is not", () => {
    const compacted = batch(0, 10, "p:0", 1, { offsets: [0, 9] });
    const h = makeHistory({
      polls: [
        poll("c", null, -1, 0, 1, 1 * S),
        poll("c", null, -1, 9, 1, 2 * S), // 1-8 cleaned: fine
        poll("d", null, -1, 0, 1, 1 * S),
        poll("d", null, -1, 12, 1, 2 * S), // 1-11: offset 9 still holds a record
      ],
      final: {
        atUs: 5 * S,
        partitions: [
          partition(1, [replica(1, [compacted, batch(10, 5, "p:1")], 15)], { compact: true }),
        ],
      },
    });
    expect(checkOrderPerPartition(h).violations.map((x) => x.message)).toEqual([
      "d (assigned) skipped offsets 1-11 of orders-0 between its polls at 1.000 s and 2.000 s: offset 9 holds p:0 (epoch 1)",
    ]);
    const retention = makeHistory({
      polls: [poll("c", null, -1, 0, 1, 1 * S), poll("c", null, -1, 20, 1, 2 * S)],
      final: {
        atUs: 5 * S,
        partitions: [partition(1, [replica(1, [batch(20, 5, "p:2")], 25)], { logStartOffset: 20 })],
      },
    });
    expect(checkOrderPerPartition(retention).violations[0]!.message).toBe(
      "c (assigned) skipped offsets 1-19 of orders-0 between its polls at 1.000 s and 2.000 s: offset 1 is " +
        "below the final log start offset 20 (retention or delete-records removed it unread)",
    );
  });
});

describe("order-per-key", () => {
  const sends = [
    send("p", 0, 1 * S, { key: "a" }),
    send("p", 1, 1 * S + 1 * MS, { key: "b" }),
    send("p", 2, 1 * S + 2 * MS, { key: "a" }),
  ];
  const outcomes = [
    acked("p:0", 2 * S, 2, 1),
    acked("p:1", 2 * S, 0, 1),
    acked("p:2", 2 * S, 1, 1),
  ];

  it("names the key, the later send that landed first and the earlier one", () => {
    // p:0 (key a) was retried and landed at offset 2, after p:2 (key a) at offset 1.
    const log = [batch(0, 1, "p:1"), batch(1, 1, "p:2"), batch(2, 1, "p:0")];
    const h = makeHistory({
      sends,
      outcomes,
      final: { atUs: 5 * S, partitions: [partition(1, [replica(1, log, 3)])] },
    });
    const v = checkOrderPerKey(h);
    expect(v.violations.map((x) => x.message)).toEqual([
      "key a of p on orders-0: p:2 (1 record, sent at 1.002 s) is at offset 1, before p:0 (1 record, " +
        "sent at 1.000 s) at offset 2, though sent after it",
    ]);
  });

  it("holds when keys keep send order, whatever other keys do", () => {
    const log = [batch(0, 1, "p:1"), batch(1, 1, "p:0"), batch(2, 1, "p:2")];
    const ok = [acked("p:0", 2 * S, 1, 1), acked("p:1", 2 * S, 0, 1), acked("p:2", 2 * S, 2, 1)];
    const h = makeHistory({
      sends,
      outcomes: ok,
      final: { atUs: 5 * S, partitions: [partition(1, [replica(1, log, 3)])] },
    });
    expect(checkOrderPerKey(h)).toMatchObject({
      holds: true,
      detail: "3 acknowledged sends in 2 producer-key sequences",
    });
  });
});

describe("no-divergence", () => {
  it("holds when replicas agree below the smaller HW, whatever lies above it", () => {
    const a = replica(1, [batch(0, 5, "p:0"), batch(5, 1, "p:1")], 6);
    const b = replica(2, [batch(0, 5, "p:0"), batch(5, 1, "p:9", 2)], 5);
    const h = makeHistory({ final: { atUs: 1, partitions: [partition(1, [a, b])] } });
    expect(checkNoDivergence(h).holds).toBe(true);
  });

  it("names both brokers, their HWs and the two different batches", () => {
    // Pre-KIP-101: broker 2 truncated to its HW and refetched another record at offset 41.
    const a = replica(1, [batch(0, 41, "p:0"), batch(41, 2, "p:1", 2)], 45);
    const b = replica(2, [batch(0, 41, "p:0"), batch(41, 1, "q:3", 3), batch(42, 1, "q:4", 3)], 50);
    const h = makeHistory({ final: { atUs: 1, partitions: [partition(2, [a, b])] } });
    expect(checkNoDivergence(h).violations.map((x) => x.message)).toEqual([
      "orders-0: brokers 1 and 2 disagree at offset 41, below both HWs (broker 1: 45, broker 2: 50): " +
        "broker 1 has p:1 at offsets 41-42 (epoch 2), broker 2 has q:3 at offset 41 (epoch 3); 2 batches " +
        "differ below offset 45",
    ]);
  });
});

describe("hw-monotonic", () => {
  const base = { broker: 1, topic: "orders", partition: 0 };
  it("allows a new epoch to start lower and followers to go back", () => {
    const h = makeHistory({
      hwChanges: [
        { ...base, atUs: 1, leaderEpoch: 1, hw: 10, isLeader: true },
        { ...base, atUs: 2, leaderEpoch: 2, hw: 8, isLeader: true },
        { ...base, atUs: 3, broker: 2, leaderEpoch: 2, hw: 5, isLeader: false },
        { ...base, atUs: 4, broker: 2, leaderEpoch: 2, hw: 3, isLeader: false },
      ],
    });
    expect(checkHwMonotonic(h)).toMatchObject({
      holds: true,
      detail: "2 leader HW changes in 2 leader epochs",
    });
  });

  it("names the leader, its epoch and the two HWs", () => {
    const h = makeHistory({
      hwChanges: [
        { ...base, atUs: 2 * S, leaderEpoch: 3, hw: 45, isLeader: true },
        { ...base, atUs: 2100 * MS, leaderEpoch: 3, hw: 40, isLeader: true },
      ],
    });
    expect(checkHwMonotonic(h).violations.map((x) => x.message)).toEqual([
      "orders-0: broker 1, leader of epoch 3, moved its HW back from 45 (at 2.000 s) to 40 (at 2.100 s)",
    ]);
  });
});

describe("no-reprocessing", () => {
  it("names the offsets, both deliveries and the last commit before the second", () => {
    // c1 received 0-9, committed only 5, and lost its partition; c2 started again from 5.
    const h = makeHistory({
      polls: [poll("c1", "g", 1, 0, 10, 1 * S), poll("c2", "g", 2, 5, 10, 3 * S)],
      commits: [
        {
          group: "g",
          consumer: "c1",
          topic: "orders",
          partition: 0,
          offset: 5,
          atUs: 1500 * MS,
          generation: 1,
        },
      ],
    });
    const v = checkNoReprocessing(h);
    expect(v.violations.map((x) => x.message)).toEqual([
      "offsets 5-9 of orders-0 delivered to group g twice: to c1 (generation 1) at 1.000 s, again to c2 " +
        "(generation 2) at 3.000 s; the group's last commit before it was offset 5 by c1 at 1.500 s",
    ]);
    expect(v.detail).toContain("1 group partition judged; 5 offsets delivered again");
  });

  it("holds for one delivery each, and tells records at a reused offset apart by origin", () => {
    // Offset 5 held p:0's record when c1 read it, and q:0's after a truncation when c2 did.
    const h = makeHistory({
      polls: [
        poll("c1", "g", 1, 0, 6, 1 * S, { origins: [{ baseOffset: 0, sendId: "p:0" }] }),
        poll("c2", "g", 2, 5, 1, 3 * S, { origins: [{ baseOffset: 5, sendId: "q:0" }] }),
        poll("x", null, -1, 0, 6, 1 * S), // assign() consumers are not judged
      ],
    });
    expect(checkNoReprocessing(h).holds).toBe(true);
  });
});

describe("no-skipped-records", () => {
  // At-most-once: c1 began at 0 (auto.offset.reset=earliest), processed 0-9, committed 20 before
  // processing 10-19 and died; c2 went on from 20 and committed 30.
  function history(c1Processed: number): History {
    return makeHistory({
      sends: [
        send("p", 0, 100 * MS, { count: 10 }),
        send("p", 1, 100 * MS, { count: 10 }),
        send("p", 2, 100 * MS, { count: 10 }),
      ],
      resets: [
        {
          consumer: "c1",
          group: "g",
          generation: 1,
          topic: "orders",
          partition: 0,
          offset: 0,
          atUs: 500 * MS,
          strategy: "earliest",
        },
      ],
      polls: [poll("c1", "g", 1, 0, c1Processed, 1 * S), poll("c2", "g", 2, 20, 10, 3 * S)],
      commits: [
        {
          group: "g",
          consumer: "c1",
          topic: "orders",
          partition: 0,
          offset: 20,
          atUs: 1500 * MS,
          generation: 1,
        },
        {
          group: "g",
          consumer: "c2",
          topic: "orders",
          partition: 0,
          offset: 30,
          atUs: 3500 * MS,
          generation: 2,
        },
      ],
      final: {
        atUs: 5 * S,
        partitions: [
          partition(1, [
            replica(1, [batch(0, 10, "p:0"), batch(10, 10, "p:1"), batch(20, 10, "p:2")], 30),
          ]),
        ],
      },
    });
  }

  it("names the records, the final commit and the commit that passed them", () => {
    const v = checkNoSkippedRecords(history(10));
    expect(v.violations.map((x) => x.message)).toEqual([
      "offsets 10-19 (10 records) of orders-0, from p:1 (10 records, sent at 0.100 s), are below group g's " +
        "final committed offset 30 (c2 at 3.500 s), but no member received them; c1 committed offset 20 " +
        "past them at 1.500 s",
    ]);
  });

  it("holds when every record below the final commit was delivered", () => {
    const v = checkNoSkippedRecords(history(20));
    expect(v).toMatchObject({
      holds: true,
      detail: "1 group partition judged; 30 records required below the final commits",
    });
  });
});

describe("read-committed", () => {
  // t:0 at offset 0 (aborted by the marker at 1, at 1.5 s), t:1 at 2 (committed by the marker at 3,
  // at 2.5 s), p:0 at 4.
  const sends = [
    send("t", 0, 1 * S, { tid: "tx" }),
    send("t", 1, 2 * S, { tid: "tx" }),
    send("p", 0, 2 * S),
  ];
  const outcomes = [
    acked("t:0", 1 * S + 1, 0, 1),
    acked("t:1", 2 * S + 1, 2, 1),
    acked("p:0", 2 * S + 1, 4, 1),
  ];
  const marker = { transactionalId: "tx", producerId: 7, epoch: 0, topic: "orders", partition: 0 };
  const txnMarkers = [
    { ...marker, offset: 1, commit: false, atUs: 1500 * MS },
    { ...marker, offset: 3, commit: true, atUs: 2500 * MS },
  ];
  const control = { isControl: true, producerId: 7 };
  const log = [
    batch(0, 1, "t:0", 1, { isTransactional: true, producerId: 7 }),
    batch(1, 1, undefined, 1, control),
    batch(2, 1, "t:1", 1, { isTransactional: true, producerId: 7 }),
    batch(3, 1, undefined, 1, control),
    batch(4, 1, "p:0"),
  ];
  const final = { atUs: 5 * S, partitions: [partition(1, [replica(1, log, 5)])] };
  const rc = { isolation: "read_committed" as const };

  it("flags an aborted record, and a committed one read before its marker", () => {
    const h = makeHistory({
      sends,
      outcomes,
      txnMarkers,
      final,
      polls: [
        poll("c", null, -1, 0, 1, 2 * S, rc),
        poll("c", null, -1, 2, 1, 2200 * MS, {
          ...rc,
          origins: [{ baseOffset: 2, sendId: "t:1" }],
        }),
      ],
    });
    expect(checkReadCommitted(h).violations.map((x) => x.message)).toEqual([
      "c (read_committed) received t:0 (transaction tx) at offset 0 of orders-0 at 2.000 s; its transaction " +
        "had been aborted by the marker at offset 1 at 1.500 s",
      "c (read_committed) received t:1 (transaction tx) at offset 2 of orders-0 at 2.200 s; its transaction " +
        "was still open then; it committed with the marker at offset 3 at 2.500 s",
    ]);
  });

  it("holds for a slice that spans an aborted batch it filtered out, and ignores read_uncommitted", () => {
    // Offsets 0-4 hold two records a read_committed consumer returns at 3 s: t:1 and p:0.
    const h = makeHistory({
      sends,
      outcomes,
      txnMarkers,
      final,
      polls: [
        poll("c", null, -1, 2, 2, 3 * S, { ...rc, nextOffset: 5 }),
        poll("d", null, -1, 0, 5, 2 * S),
      ],
    });
    expect(checkReadCommitted(h)).toMatchObject({
      holds: true,
      detail: "1 read_committed polls judged",
    });
    // The same span delivering three records must have included the aborted t:0.
    const dirty = makeHistory({
      sends,
      outcomes,
      txnMarkers,
      final,
      polls: [poll("c", null, -1, 0, 3, 3 * S, { ...rc, nextOffset: 5 })],
    });
    expect(checkReadCommitted(dirty).violations.map((x) => x.sendId)).toEqual(["t:0"]);
  });
});

describe("read-committed: a stream processor's effects", () => {
  // Input in-0: records at 0-3 (one plain send). The group app committed 3: inputs 0, 1 and 2
  // must have one effect each. Output out-0: a committed transaction (markers by producer 9)
  // with the effects of in-0@0 and in-0@1 at 0-1 (marker 2); an aborted one with in-0@2 at 3
  // (marker 4); a committed one with in-0@1 again and in-0@3 at 5-6 (marker 7).
  const input = batch(0, 4, "src:0");
  const out = (seq: number, count: number, sources: string[]): SendRecord => ({
    ...send("app-1-producer", seq, (seq + 1) * S, { topic: "out", count, tid: "app-app-1-1" }),
    sources,
  });
  const sends = [
    send("src", 0, 0, { topic: "in", count: 4 }),
    out(0, 2, ["in-0@0", "in-0@1"]),
    out(1, 1, ["in-0@2"]),
    out(2, 2, ["in-0@1", "in-0@3"]),
  ];
  const txn = { isTransactional: true, producerId: 9 };
  const control = { isControl: true, producerId: 9 };
  const outLog = [
    batch(0, 2, "app-1-producer:0", 1, txn),
    batch(2, 1, undefined, 1, control),
    batch(3, 1, "app-1-producer:1", 1, txn),
    batch(4, 1, undefined, 1, control),
    batch(5, 2, "app-1-producer:2", 1, txn),
    batch(7, 1, undefined, 1, control),
  ];
  const marker = {
    transactionalId: "app-app-1-1",
    producerId: 9,
    epoch: 0,
    topic: "out",
    partition: 0,
  };
  const txnMarkers = [
    { ...marker, offset: 2, commit: true, atUs: 2 * S },
    { ...marker, offset: 4, commit: false, atUs: 3 * S },
    { ...marker, offset: 7, commit: true, atUs: 4 * S },
  ];
  const processor = {
    id: "app-1",
    applicationId: "app",
    guarantee: "exactly_once_v2" as const,
    input: ["in"],
    output: "out",
  };
  const history = (
    committed: number,
    guarantee: "at_least_once" | "exactly_once_v2" = "exactly_once_v2",
  ) =>
    makeHistory({
      sends,
      txnMarkers,
      processors: [{ ...processor, guarantee }],
      final: {
        atUs: 5 * S,
        partitions: [
          partition(1, [replica(1, [input], 4)], { topic: "in" }),
          partition(1, [replica(1, outLog, 8)], { topic: "out" }),
        ],
        groupOffsets: [{ group: "app", topic: "in", partition: 0, offset: committed }],
      },
    });

  it("counts each input's effects in the committed output, leaving aborted ones out", () => {
    const e = processorEffects(history(3), processor);
    expect(e.inputs).toBe(3);
    expect(e.duplicates).toEqual([{ source: "in-0@1", count: 2, outputs: ["out-0@1", "out-0@5"] }]);
    // in-0@2's only effect was aborted.
    expect(e.missing).toEqual(["in-0@2"]);
  });

  it("under exactly_once_v2, a duplicate and a lost effect are violations of read-committed", () => {
    const v = checkReadCommitted(history(3));
    expect(v.holds).toBe(false);
    expect(v.violations.map((x) => x.message)).toEqual([
      "app-1 (exactly_once_v2): input in-0@1 has 2 effects in the committed output (out-0@1, out-0@5)",
      "app-1 (exactly_once_v2): input in-0@2 is below app's committed offset but has no effect in the committed output",
    ]);
    expect(v.detail).toContain("app-1: 3 committed inputs");
  });

  it("under at_least_once the checker leaves the effects alone (duplicates are allowed)", () => {
    expect(checkReadCommitted(history(3, "at_least_once")).holds).toBe(true);
  });

  it("inputs beyond the committed offset are not owed an effect", () => {
    const e = processorEffects(history(2), processor);
    expect(e.inputs).toBe(2);
    expect(e.missing).toEqual([]);
  });
});

describe("lag-ok", () => {
  // Broker head offsets every 10 s climb by 100; group g commits every 10 s and keeps up (lag 0
  // at 20 s); group s commits 0 twice and then stops.
  function history(): History {
    const brokerOffsets = [10, 20, 30, 40].map((t, i) => ({
      atUs: t * S,
      topic: "orders",
      partition: 0,
      offset: 100 * (i + 1),
    }));
    const commit = (group: string, offset: number, t: number) => ({
      group,
      consumer: `${group}-c`,
      topic: "orders",
      partition: 0,
      offset,
      atUs: t * S,
      generation: 1,
    });
    return makeHistory({
      brokerOffsets,
      commits: [
        commit("g", 90, 10),
        commit("s", 0, 11),
        commit("g", 200, 20),
        commit("s", 0, 21),
        commit("g", 300, 30),
        commit("g", 400, 40),
      ],
      endUs: 45 * S,
    });
  }

  it("names the group, its status (STOP, STALL, REWIND show as ERR), and the rule per partition", () => {
    const v = checkLagOk(history());
    expect(v.holds).toBe(false);
    // s: commits at 11 s and 21 s (span 10 s); 24 s without one by 45 s > 10 s, current lag 400.
    expect(v.violations.map((x) => x.message)).toEqual([
      "group s is ERR: orders-0 STOP (no commit since 21.000 s: 24.000 s without one is longer than the " +
        "window's span of 10.000 s, and the current lag is 400)",
    ]);
    expect(v.detail).toContain(
      "Burrow status at 45.000 s: g OK (total lag 0), s ERR (total lag 400)",
    );
  });
});

describe("runCheckers", () => {
  it("runs every checker in the table's order", () => {
    const verdicts = runCheckers(orderLog());
    expect(verdicts.map((v) => v.name)).toEqual(CHECKER_NAMES);
    expect(CHECKER_NAMES).toHaveLength(10);
  });
});

describe("history from the trace", () => {
  function ev(
    t: number,
    type: string,
    node: string,
    fields: Record<string, string | number | boolean | null>,
  ): TraceEvent {
    return { t, type, node, ...fields } as TraceEvent;
  }

  it("reads leaders, HWs with their epoch and role, truncations and unclean elections", () => {
    const tp = { topic: "orders", partition: 0 };
    const events = [
      ev(1, "partition.leader", "1", { ...tp, leader: 1, leaderEpoch: 1 }),
      ev(2, "replica.hw", "1", { ...tp, hw: 5 }),
      ev(3, "host.crash", "1", { mode: "process" }),
      ev(4, "replica.hw", "1", { ...tp, hw: 3 }), // after the crash: role unknown
      ev(5, "metadata.record", "4", {
        offset: 9,
        record: "PartitionChangeRecord",
        ...tp,
        leader: 2,
        leaderEpoch: 2,
        leaderRecoveryState: "RECOVERING",
      }),
      ev(6, "partition.leader", "2", { ...tp, leader: 2, leaderEpoch: 2 }),
      ev(7, "partition.follower", "1", { ...tp, leader: 2, leaderEpoch: 2 }),
      ev(8, "replica.truncate", "1", { ...tp, from: 6, to: 4, why: "diverging", lost: 2 }),
    ];
    const h = historyFromTrace(events).history();
    expect(h.leaderChanges).toEqual([
      { atUs: 1, ...tp, leader: 1, leaderEpoch: 1, unclean: false },
      { atUs: 6, ...tp, leader: 2, leaderEpoch: 2, unclean: true },
    ]);
    expect(h.hwChanges).toEqual([
      { atUs: 2, broker: 1, ...tp, leaderEpoch: 1, hw: 5, isLeader: true },
      { atUs: 4, broker: 1, ...tp, leaderEpoch: -1, hw: 3, isLeader: false },
    ]);
    expect(h.truncations).toEqual([
      { atUs: 8, broker: 1, ...tp, fromOffset: 6, toOffset: 4, why: "diverging", leaderEpoch: 2 },
    ]);
    // The HW that went from 5 to 3 across a crash is not a leader's regression.
    expect(checkHwMonotonic(h).holds).toBe(true);
  });
});

describe("HistoryRecorder", () => {
  it("refuses a second outcome, an acked send without offset, and records out of time order", () => {
    const r = new HistoryRecorder();
    r.send(send("p", 0, 5));
    r.outcome(acked("p:0", 6, 0, 1));
    expect(() => r.outcome(acked("p:0", 7, 0, 1))).toThrow(SimAssertionError);
    r.send(send("p", 1, 8));
    expect(() => r.outcome({ sendId: "p:1", atUs: 9, outcome: "acked", acks: "all" })).toThrow(
      /no offset/,
    );
    expect(() => r.send(send("p", 2, 4))).toThrow(/recorded after/);
    expect(() => r.send({ ...send("p", 3, 10), sendId: "q:3" })).toThrow(/is not p:<seq>/);
    expect(r.history().sends.map((s) => s.sendId)).toEqual(["p:0", "p:1"]);
  });
});
