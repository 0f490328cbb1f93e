/**
 * Properties of the checkers over histories made by a deliberately simple model of a fault-free
 * run: one leader (broker 1, epoch 1) per partition, three identical replicas, every send
 * acknowledged at the next offset, transactions that commit or abort with a control marker, and one
 * consumer group member that then reads each partition from the start in random slices (skipping
 * control records, and aborted ones when read_committed), committing after each slice.
 * - every checker holds on such a history;
 * - deleting one required acknowledged send's batch from the final leader's log makes
 *   no-lost-acked-writes fail, naming that send and only it.
 *
 * The fast-check seed is fixed and printed; FC_SEED=<n> and FC_RUNS=<n> explore others. A failure
 * prints its seed and path for replay.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  checkNoLostAckedWrites,
  type FinalBatch,
  type History,
  HistoryRecorder,
  type Isolation,
  runCheckers,
} from "../../sim/check/index.ts";

const SEED = Number(process.env.FC_SEED ?? 20_250_713);
const NUM_RUNS = Number(process.env.FC_RUNS ?? 200);
console.log(`checkers.property: fast-check seed=${SEED} numRuns=${NUM_RUNS}`);

const S = 1_000_000;
const MS = 1000;
const KEYS = ["a", "b", "c", null] as const;

type Step =
  | { kind: "send"; partition: number; key: string | null; count: number; acks: "1" | "all" }
  | {
      kind: "txn";
      partition: number;
      sends: { key: string | null; count: number }[];
      commit: boolean;
    };

interface Model {
  partitions: number;
  steps: Step[];
  isolation: Isolation;
  keepOrigins: boolean;
  /** Records per poll slice, cycled. */
  slices: number[];
}

const modelArb: fc.Arbitrary<Model> = fc.integer({ min: 1, max: 3 }).chain((partitions) =>
  fc.record({
    partitions: fc.constant(partitions),
    steps: fc.array(
      fc.oneof(
        {
          weight: 3,
          arbitrary: fc.record({
            kind: fc.constant("send" as const),
            partition: fc.integer({ min: 0, max: partitions - 1 }),
            key: fc.constantFrom(...KEYS),
            count: fc.integer({ min: 1, max: 5 }),
            acks: fc.constantFrom("1" as const, "all" as const),
          }),
        },
        {
          weight: 1,
          arbitrary: fc.record({
            kind: fc.constant("txn" as const),
            partition: fc.integer({ min: 0, max: partitions - 1 }),
            sends: fc.array(
              fc.record({ key: fc.constantFrom(...KEYS), count: fc.integer({ min: 1, max: 3 }) }),
              { minLength: 1, maxLength: 3 },
            ),
            commit: fc.boolean(),
          }),
        },
      ),
      { minLength: 1, maxLength: 40 },
    ),
    isolation: fc.constantFrom("read_committed" as const, "read_uncommitted" as const),
    keepOrigins: fc.boolean(),
    slices: fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 5 }),
  }),
);

interface Built {
  history: History;
  /** Send ids no-lost-acked-writes must find: acknowledged, not in an aborted transaction. */
  required: string[];
}

/** Runs the model and records what a fault-free cluster and its clients would. */
function build(m: Model): Built {
  const r = new HistoryRecorder();
  const logs: FinalBatch[][] = Array.from({ length: m.partitions }, () => []);
  const leo = (p: number) => {
    const last = logs[p]!.at(-1);
    return last === undefined ? 0 : last.baseOffset + last.count;
  };
  const aborted = new Set<string>();
  const required: string[] = [];
  let seq = 0;
  let t = 1 * MS;
  const append = (
    p: number,
    key: string | null,
    count: number,
    acks: "1" | "all",
    tid?: string,
  ) => {
    const sendId = `producer-1:${seq++}`;
    const base = leo(p);
    r.send({
      sendId,
      client: "producer-1",
      topic: "orders",
      partition: p,
      key,
      count,
      sentAtUs: t,
      ...(tid === undefined ? {} : { transactional: { transactionalId: tid } }),
    });
    logs[p]!.push({
      baseOffset: base,
      count,
      leaderEpoch: 1,
      origin: sendId,
      ...(tid === undefined ? {} : { isTransactional: true, producerId: 1 }),
    });
    r.outcome({ sendId, atUs: t + 100, outcome: "acked", offset: base, by: 1, acks });
    return sendId;
  };
  let txnSeq = 0;
  for (const step of m.steps) {
    if (step.kind === "send") {
      required.push(append(step.partition, step.key, step.count, step.acks));
    } else {
      const ids = step.sends.map((s) => append(step.partition, s.key, s.count, "all", "tx-1"));
      if (step.commit) required.push(...ids);
      else for (const id of ids) aborted.add(id);
      const offset = leo(step.partition);
      logs[step.partition]!.push({
        baseOffset: offset,
        count: 1,
        leaderEpoch: 1,
        isControl: true,
        producerId: 1,
      });
      r.txnMarker({
        transactionalId: "tx-1",
        producerId: 1,
        epoch: txnSeq++,
        topic: "orders",
        partition: step.partition,
        offset,
        commit: step.commit,
        atUs: t + 200,
      });
    }
    r.hwChange({
      atUs: t + 300,
      broker: 1,
      topic: "orders",
      partition: step.partition,
      leaderEpoch: 1,
      hw: leo(step.partition),
      isLeader: true,
    });
    t += 1 * MS;
  }

  // The consumer starts at 20 s, after every broker offset Burrow samples (every 10 s) is final.
  t = 20 * S;
  let slice = 0;
  for (let p = 0; p < m.partitions; p++) {
    r.reset({
      consumer: "c1",
      group: "g",
      generation: 1,
      topic: "orders",
      partition: p,
      offset: 0,
      atUs: t,
      strategy: "earliest",
    });
    const visible = logs[p]!.filter(
      (b) => b.isControl !== true && !(m.isolation === "read_committed" && aborted.has(b.origin!)),
    );
    // Deliver `n` records at a time, in offset order, crossing batch boundaries.
    const records = visible.flatMap((b) =>
      Array.from({ length: b.count }, (_, i) => ({ offset: b.baseOffset + i, origin: b.origin! })),
    );
    for (let i = 0; i < records.length; ) {
      const n = m.slices[slice++ % m.slices.length]!;
      const part = records.slice(i, i + n);
      i += part.length;
      const first = part[0]!;
      const last = part[part.length - 1]!;
      const origins: { baseOffset: number; sendId: string }[] = [];
      for (const rec of part)
        if (origins.at(-1)?.sendId !== rec.origin)
          origins.push({ baseOffset: rec.offset, sendId: rec.origin });
      // After the last visible record, the position moves past trailing control/aborted offsets.
      const next = i === records.length ? leo(p) : last.offset + 1;
      t += 10 * MS;
      r.poll({
        consumer: "c1",
        group: "g",
        generation: 1,
        topic: "orders",
        partition: p,
        offset: first.offset,
        count: part.length,
        nextOffset: next,
        ...(m.keepOrigins ? { origins } : {}),
        atUs: t,
        isolation: m.isolation,
      });
      r.commit({
        group: "g",
        consumer: "c1",
        topic: "orders",
        partition: p,
        offset: next,
        atUs: t + 1,
        generation: 1,
      });
    }
  }
  r.setFinal({
    atUs: t + 2,
    partitions: logs.map((batches, p) => ({
      topic: "orders",
      partition: p,
      leader: 1,
      hw: leo(p),
      logStartOffset: 0,
      replicas: [1, 2, 3].map((broker) => ({
        broker,
        leo: leo(p),
        hw: leo(p),
        batches: batches.slice(),
      })),
    })),
  });
  return { history: r.history(), required };
}

/** The same history with `sendId`'s batch removed from the final leader's replica. */
function withoutSend(h: History, sendId: string): History {
  const final = h.final!;
  return {
    ...h,
    final: {
      ...final,
      partitions: final.partitions.map((p) => ({
        ...p,
        replicas: p.replicas.map((rep) =>
          rep.broker === p.leader
            ? { ...rep, batches: rep.batches.filter((b) => b.origin !== sendId) }
            : rep,
        ),
      })),
    },
  };
}

describe("checkers over fault-free histories", () => {
  it(`every checker holds (seed ${SEED})`, () => {
    fc.assert(
      fc.property(modelArb, (m) => {
        const { history } = build(m);
        const failed = runCheckers(history).filter((v) => !v.holds);
        expect(failed.map((v) => `${v.name}: ${v.detail}`)).toEqual([]);
      }),
      { seed: SEED, numRuns: NUM_RUNS },
    );
  });

  it(`deleting one acknowledged record makes no-lost-acked-writes fail, naming it (seed ${SEED})`, () => {
    const arb = modelArb
      .map(build)
      .filter((b) => b.required.length > 0)
      .chain((b) => fc.record({ built: fc.constant(b), victim: fc.constantFrom(...b.required) }));
    fc.assert(
      fc.property(arb, ({ built, victim }) => {
        expect(checkNoLostAckedWrites(built.history).holds).toBe(true);
        const v = checkNoLostAckedWrites(withoutSend(built.history, victim));
        expect(v.holds).toBe(false);
        expect(v.violations.map((x) => x.sendId)).toEqual([victim]);
        expect(v.violations[0]!.message).toMatch(new RegExp(`^lost ${victim} \\(acks=`));
      }),
      { seed: SEED, numRuns: NUM_RUNS },
    );
  });
});
