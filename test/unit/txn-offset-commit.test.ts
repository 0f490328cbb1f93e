// transactions: offsets in a transaction (KIP-98, KIP-447), the group side driven by hand: a
// TxnOffsetCommit's offsets are pending for their producer until its marker (invisible to
// OffsetFetch, UNSTABLE_OFFSET_COMMIT to requireStable fetches); COMMIT makes them the committed
// offsets unless a commit later in the log replaced one, ABORT drops them; an unknown group is
// created Empty; from 2.5 a set member id and generation are checked (UNKNOWN_MEMBER_ID,
// ILLEGAL_GENERATION, FENCED_INSTANCE_ID), before 2.5 they are not; a failed append leaves nothing
// pending; the pending set itself (txn-offsets.ts) keeps per-producer entries apart.
import { describe, expect, it } from "vitest";
import type { TraceFields } from "../../sim/engine/trace.ts";
import {
  type CommitResult,
  type GroupEnv,
  type GroupSettings,
  GroupStateMachine,
  type GroupTimer,
  type JoinResult,
  type SyncResult,
  type TxnAppend,
  type TxnCommitInput,
} from "../../sim/kafka/group/group-state.ts";
import { PendingTxnOffsets } from "../../sim/kafka/group/txn-offsets.ts";
import type { KafkaError } from "../../sim/kafka/types.ts";

const MS = 1000;

const SETTINGS: GroupSettings = {
  minSessionTimeoutMs: 6000,
  maxSessionTimeoutMs: 1_800_000,
  initialRebalanceDelayMs: 0,
  maxSize: 1000,
  requireKnownMemberId: true,
  staticMembership: true,
  newMemberJoinTimeoutMs: 300_000,
  offsetsRetentionMs: 7 * 24 * 3600 * 1000,
  kip211: true,
};

interface Append {
  readonly group: string;
  readonly count: number;
  readonly txn: TxnAppend | undefined;
  readonly done: (error: KafkaError, baseOffset?: number) => void;
}

/**
 * The state machine with a hand-driven log: appends wait in `appends` until the test completes
 * them (`ack`), each taking the next log offsets, as the offsets partition would hand them out.
 */
class Harness {
  nowUs = 0;
  logEnd = 0;
  readonly appends: Append[] = [];
  readonly events: Array<{ type: string } & TraceFields> = [];
  readonly sm: GroupStateMachine;
  private ids = 0;
  private readonly timers: Array<{ at: number; seq: number; timer: GroupTimer; live: boolean }> =
    [];
  private seq = 0;

  constructor() {
    const env: GroupEnv = {
      now: () => this.nowUs,
      schedule: (delayUs, timer) => {
        const t = { at: this.nowUs + delayUs, seq: this.seq++, timer, live: true };
        this.timers.push(t);
        return t;
      },
      cancel: (handle) => {
        if (handle !== undefined) (handle as { live: boolean }).live = false;
      },
      emit: (type, fields) => this.events.push({ type, ...fields }),
      newMemberId: (prefix) => `${prefix}-${++this.ids}`,
      storeGroup: (_group, _value, done) => {
        this.logEnd++;
        done("NONE");
      },
      storeOffsets: (group, offsets, done, txn) =>
        this.appends.push({ group, count: offsets.length, txn, done }),
    };
    this.sm = new GroupStateMachine(env, SETTINGS);
  }

  /** Runs the state machine's timers due by `untilUs`, in (time, sequence) order. */
  advance(untilUs: number): void {
    for (;;) {
      const due = this.timers.filter((t) => t.live && t.at <= untilUs);
      if (due.length === 0) break;
      due.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = due[0]!;
      next.live = false;
      this.nowUs = next.at;
      this.sm.onTimer(next.timer);
    }
    this.nowUs = untilUs;
  }

  /** Completes the oldest waiting append: its records take the next offsets of the log. */
  ack(error: KafkaError = "NONE"): void {
    const a = this.appends.shift();
    if (a === undefined) throw new Error("no append waiting");
    if (error !== "NONE") return a.done(error, -1);
    const base = this.logEnd;
    this.logEnd += a.count;
    a.done("NONE", base);
  }

  commit(offsets: Record<number, number>): CommitResult[] {
    const out: CommitResult[] = [];
    this.sm.commit(
      {
        groupId: "g",
        generationId: -1,
        memberId: "",
        groupInstanceId: null,
        partitions: Object.entries(offsets).map(([p, offset]) => ({
          topic: "in",
          partition: Number(p),
          offset,
          leaderEpoch: -1,
          metadata: "",
        })),
      },
      (r) => out.push(r),
    );
    return out;
  }

  txnCommit(
    offsets: Record<number, number>,
    fields: Partial<Omit<TxnCommitInput, "partitions">> = {},
    kip447 = true,
  ): CommitResult[] {
    const out: CommitResult[] = [];
    this.sm.txnCommit(
      {
        groupId: "g",
        transactionalId: "tx-1",
        producerId: 7,
        producerEpoch: 0,
        generationId: -1,
        memberId: "",
        groupInstanceId: null,
        ...fields,
        partitions: Object.entries(offsets).map(([p, offset]) => ({
          topic: "in",
          partition: Number(p),
          offset,
          leaderEpoch: -1,
          metadata: "",
        })),
      },
      kip447,
      (r) => out.push(r),
    );
    return out;
  }

  /** OffsetFetch for in-0..in-2: offset, or the partition's error when not NONE. */
  fetch(requireStable = false): Array<number | string> {
    const tps = [0, 1, 2].map((partition) => ({ topic: "in", partition }));
    const r = this.sm.fetchOffsets("g", tps, requireStable);
    return r.partitions.map((p) => (p.error === "NONE" ? p.offset : p.error));
  }

  /** A one-member group at generation 1 (join with MEMBER_ID_REQUIRED, then sync). */
  member(instance: string | null = null): { memberId: string; generation: number } {
    const join = (memberId: string) => {
      const out: JoinResult[] = [];
      this.sm.join(
        {
          groupId: "g",
          memberId,
          groupInstanceId: instance,
          clientId: "c",
          clientHost: "/c",
          sessionTimeoutMs: 10_000,
          rebalanceTimeoutMs: 10_000,
          protocolType: "consumer",
          protocols: [
            {
              name: "range",
              metadata: { topics: ["in"], ownedPartitions: [], generationId: -1, rackId: null },
            },
          ],
          reason: "test",
        },
        (r) => out.push(r),
      );
      return out;
    };
    let first = join("");
    if (first[0]?.error === "MEMBER_ID_REQUIRED") first = join(first[0].memberId);
    this.advance(this.nowUs + 1 * MS); // the join completes on its (zero-delay) timer
    const joined = first[0]!;
    expect(joined.error).toBe("NONE");
    const synced: SyncResult[] = [];
    this.sm.sync(
      {
        groupId: "g",
        generationId: joined.generationId,
        memberId: joined.memberId,
        groupInstanceId: instance,
        protocolName: "range",
        assignments: [{ memberId: joined.memberId, partitions: [{ topic: "in", partition: 0 }] }],
      },
      (r) => synced.push(r),
    );
    expect(synced[0]?.error).toBe("NONE");
    return { memberId: joined.memberId, generation: joined.generationId };
  }
}

const errors = (results: CommitResult[]) => results.flatMap((r) => r.map((p) => p.error));

describe("transactions: offsets: pending until the marker", () => {
  it("an unknown group is created Empty, the offsets go out as the producer's transactional batch", () => {
    const h = new Harness();
    expect(h.sm.has("g")).toBe(false);
    const out = h.txnCommit({ 0: 10 }, { producerId: 7, producerEpoch: 3 });
    expect(h.sm.has("g")).toBe(true);
    expect(h.sm.snapshot()[0]?.state).toBe("Empty");
    expect(h.appends).toHaveLength(1);
    expect(h.appends[0]!.txn).toEqual({
      transactionalId: "tx-1",
      producerId: 7,
      producerEpoch: 3,
    });
    expect(out).toEqual([]); // answered once the append is acknowledged (acks=all)
    h.ack();
    expect(errors(out)).toEqual(["NONE"]);
  });

  it("pending offsets are not returned; requireStable gets UNSTABLE_OFFSET_COMMIT for them only", () => {
    const h = new Harness();
    h.commit({ 0: 5 });
    h.ack();
    h.txnCommit({ 0: 10, 1: 20 });
    // Pending from the request on (Kafka's prepareTxnOffsetCommit), appended or not.
    expect(h.fetch(true)).toEqual(["UNSTABLE_OFFSET_COMMIT", "UNSTABLE_OFFSET_COMMIT", -1]);
    h.ack();
    expect(h.fetch()).toEqual([5, -1, -1]);
    expect(h.fetch(true)).toEqual(["UNSTABLE_OFFSET_COMMIT", "UNSTABLE_OFFSET_COMMIT", -1]);
    expect(h.sm.pendingTxnOffsets("g")).toEqual([
      {
        producerId: 7,
        offsets: [
          { topic: "in", partition: 0, offset: 10 },
          { topic: "in", partition: 1, offset: 20 },
        ],
      },
    ]);
  });

  it("COMMIT makes them the committed offsets, replacing an older plain commit", () => {
    const h = new Harness();
    h.commit({ 0: 5 });
    h.ack();
    h.txnCommit({ 0: 10, 1: 20 });
    h.ack();
    expect(h.sm.completeTxn("g", 7, true)).toBe(2);
    expect(h.fetch(true)).toEqual([10, 20, -1]);
    expect(h.sm.pendingTxnOffsets("g")).toEqual([]);
  });

  it("ABORT drops them: the older commit stays", () => {
    const h = new Harness();
    h.commit({ 0: 5 });
    h.ack();
    h.txnCommit({ 0: 10, 1: 20 });
    h.ack();
    expect(h.sm.completeTxn("g", 7, false)).toBe(2);
    expect(h.fetch(true)).toEqual([5, -1, -1]);
  });

  it("a plain commit written after the transactional record keeps its place on COMMIT", () => {
    const h = new Harness();
    h.txnCommit({ 0: 10, 1: 20 });
    h.ack(); // log offsets 0, 1
    h.commit({ 1: 30 });
    h.ack(); // log offset 2: later in the log than the transaction's record for in-1
    expect(h.fetch()).toEqual([-1, 30, -1]);
    h.sm.completeTxn("g", 7, true);
    expect(h.fetch()).toEqual([10, 30, -1]);
    const applied = h.events.filter((e) => e.type === "offset.txn.complete");
    expect(applied.map((e) => [e.partition, e.applied])).toEqual([
      [0, true],
      [1, false],
    ]);
  });

  it("a marker completes only its producer's offsets", () => {
    const h = new Harness();
    h.txnCommit({ 0: 10 }, { producerId: 7 });
    h.ack();
    h.txnCommit({ 1: 20 }, { producerId: 8 });
    h.ack();
    h.sm.completeTxn("g", 8, true);
    expect(h.fetch(true)).toEqual(["UNSTABLE_OFFSET_COMMIT", 20, -1]);
    expect(h.sm.completeTxn("g", 9, true)).toBe(0);
    h.sm.completeTxn("g", 7, false);
    expect(h.fetch(true)).toEqual([-1, 20, -1]);
  });

  it("a failed append leaves nothing pending and answers the mapped error", () => {
    const h = new Harness();
    const out = h.txnCommit({ 0: 10 });
    h.ack("NOT_COORDINATOR");
    expect(errors(out)).toEqual(["NOT_COORDINATOR"]);
    expect(h.fetch(true)).toEqual([-1, -1, -1]);
  });

  it("an Empty group with pending transactional offsets is not expired away", () => {
    const h = new Harness();
    h.txnCommit({ 0: 10 });
    h.ack();
    h.nowUs = 8 * 24 * 3600 * 1000 * MS;
    h.sm.expireOffsets();
    expect(h.sm.has("g")).toBe(true);
    h.sm.completeTxn("g", 7, true);
    expect(h.fetch()).toEqual([10, -1, -1]);
  });
});

describe("transactions: offsets: KIP-447 member checks", () => {
  it("ILLEGAL_GENERATION for an old generation, NONE for the current one", () => {
    const h = new Harness();
    const m = h.member();
    const old = h.txnCommit({ 0: 10 }, { memberId: m.memberId, generationId: m.generation - 1 });
    expect(errors(old)).toEqual(["ILLEGAL_GENERATION"]);
    expect(h.appends).toHaveLength(0);
    expect(h.fetch(true)).toEqual([-1, -1, -1]);
    const ok = h.txnCommit({ 0: 10 }, { memberId: m.memberId, generationId: m.generation });
    h.ack();
    expect(errors(ok)).toEqual(["NONE"]);
  });

  it("UNKNOWN_MEMBER_ID for a member id the group does not have", () => {
    const h = new Harness();
    const m = h.member();
    const out = h.txnCommit({ 0: 10 }, { memberId: "zombie-1", generationId: m.generation });
    expect(errors(out)).toEqual(["UNKNOWN_MEMBER_ID"]);
  });

  it("FENCED_INSTANCE_ID for a static instance known under another member id", () => {
    const h = new Harness();
    const m = h.member("instance-a");
    const out = h.txnCommit(
      { 0: 10 },
      { memberId: "old-member", groupInstanceId: "instance-a", generationId: m.generation },
    );
    expect(errors(out)).toEqual(["FENCED_INSTANCE_ID"]);
  });

  it('no group metadata (-1, ""): no check, as a producer without a consumer sends', () => {
    const h = new Harness();
    h.member();
    const out = h.txnCommit({ 0: 10 });
    h.ack();
    expect(errors(out)).toEqual(["NONE"]);
  });

  it("before 2.5 the generation is not checked", () => {
    const h = new Harness();
    const m = h.member();
    const out = h.txnCommit({ 0: 10 }, { memberId: "zombie-1", generationId: 99 }, false);
    h.ack();
    expect(errors(out)).toEqual(["NONE"]);
    expect(m.generation).toBeGreaterThan(0);
  });
});

describe("transactions: offsets: the pending set", () => {
  const entry = (partition: number, offset: number) => ({
    topic: "in",
    partition,
    value: { offset, leaderEpoch: -1, metadata: "", commitTimestampUs: 0 },
    recordOffset: -1,
  });

  it("a later TxnOffsetCommit of the same producer and partition replaces the earlier one", () => {
    const p = new PendingTxnOffsets();
    const a = entry(0, 10);
    const b = entry(0, 11);
    p.prepare(7, [a]);
    p.prepare(7, [b]);
    p.onAppend(7, a, 3); // the earlier append's acknowledgement does not touch the newer entry
    p.onAppend(7, b, 4);
    expect(p.complete(7, true).map((e) => [e.value.offset, e.recordOffset])).toEqual([[11, 4]]);
    expect(p.isEmpty).toBe(true);
  });

  it("completing a COMMIT before the record was appended is a bug (asserted)", () => {
    const p = new PendingTxnOffsets();
    p.prepare(7, [entry(0, 10)]);
    expect(() => p.complete(7, true)).toThrow(/before its record was appended/);
  });

  it("an ABORT may come before the append is acknowledged", () => {
    const p = new PendingTxnOffsets();
    p.prepare(7, [entry(0, 10), entry(1, 20)]);
    expect(p.hasPartition("in", 1)).toBe(true);
    expect(p.complete(7, false)).toHaveLength(2);
    expect(p.hasPartition("in", 1)).toBe(false);
  });
});
