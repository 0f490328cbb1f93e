// lesson zombie-fencing (S16, kafka-reference.md §10): runs scenarios/zombie-fencing.yaml and
// checks what the lesson says happens, from the run's trace, history and final client state:
// producer-2's initTransactions fences producer-1's open transaction (the abort under a bumped
// epoch, the ABORT marker at offset 51, CompleteAbort, and only then producer-2's epoch), the
// paused producer-1 gets INVALID_PRODUCER_EPOCH and ends fenced, the read_committed reader never
// returns r1 and moves past the marker, the read_uncommitted reader returns r1, no consumer is
// handed a marker, and producer-2's transactions commit. bundled.test.ts runs the file as written.
import { describe, expect, it } from "vitest";
import type { History, PollRecord } from "../../sim/check/history.ts";
import type { KafkaConsumer } from "../../sim/client/consumer/kafka-consumer.ts";
import type { KafkaProducer } from "../../sim/client/producer/kafka-producer.ts";
import type { TraceEvent } from "../../sim/engine/trace.ts";
import { loadScenarioFile } from "../../sim/scenario/load-file.ts";
import { runScenario } from "../../sim/scenario/runner.ts";

// The lesson's layout of out-0, from the file: 50 plain records (0-49), r1 (50), the fencing
// ABORT marker (51), producer-2's two transactions of 5 records each with their COMMIT markers
// (52-56, 57; 58-62, 63): the log ends at 64.
const TP = { topic: "out", partition: 0 };
const R1 = "producer-1:0";
const R2 = "producer-1:1";

interface Run {
  readonly ok: boolean;
  readonly failed: readonly string[];
  readonly trace: readonly TraceEvent[];
  readonly history: History;
  readonly producers: ReadonlyMap<string, KafkaProducer>;
  readonly consumers: ReadonlyMap<string, KafkaConsumer>;
}

function run(): Run {
  const trace: TraceEvent[] = [];
  let history: History | undefined;
  let producers = new Map<string, KafkaProducer>();
  let consumers = new Map<string, KafkaConsumer>();
  const report = runScenario(loadScenarioFile("scenarios/zombie-fencing.yaml"), {
    onTrace: (e) => trace.push(e),
    atEnd: ({ kafka, nowUs }) => {
      history = kafka?.recorder.history(nowUs);
      producers = kafka?.producers ?? producers;
      consumers = kafka?.consumers ?? consumers;
    },
  });
  const r = report.results;
  return {
    ok: r.ok,
    failed: r.expectations.filter((e) => !e.ok).map((e) => e.what),
    trace,
    history: history!,
    producers,
    consumers,
  };
}

/** The offsets a poll handed to the application, from its batches' origins and send sizes. */
function deliveredOffsets(h: History, p: PollRecord): number[] {
  const counts = new Map(h.sends.map((s) => [s.sendId, s.count]));
  const end = p.nextOffset ?? p.offset + p.count;
  const out: number[] = [];
  for (const o of p.origins ?? []) {
    const n = counts.get(o.sendId);
    expect(n, `origin ${o.sendId} is a recorded send`).toBeDefined();
    for (let off = o.baseOffset; off < o.baseOffset + n!; off++) {
      if (off >= p.offset && off < end) out.push(off);
    }
  }
  return out;
}

const of = (trace: readonly TraceEvent[], type: string) => trace.filter((e) => e.type === type);

describe("lesson zombie-fencing (S16): producer-2 fences the paused producer-1", () => {
  const { ok, failed, trace, history, producers, consumers } = run();
  const txnStates = of(trace, "txn.state").filter((e) => e.transactionalId === "tx-1");
  const readyEpoch = (client: string) =>
    of(trace, "producer.txn")
      .filter(
        (e) =>
          e.client === client &&
          e.step === "state" &&
          e.from === "INITIALIZING" &&
          e.state === "READY",
      )
      .map((e) => ({ producerId: Number(e.producerId), epoch: Number(e.epoch), t: e.t }));
  const sendOf = (sendId: string) => history.outcomes.find((o) => o.sendId === sendId);

  it("meets its own expectations", () => {
    expect(failed).toEqual([]);
    expect(ok).toBe(true);
  });

  it("r1 is a transactional batch at offset 50, acknowledged to producer-1", () => {
    expect(sendOf(R1)).toMatchObject({ outcome: "acked", offset: 50 });
    expect(history.sends.find((s) => s.sendId === R1)?.transactional).toEqual({
      transactionalId: "tx-1",
    });
  });

  it("producer-2 gets producer-1's producer id at a higher epoch", () => {
    const p1 = readyEpoch("producer-1");
    const p2 = readyEpoch("producer-2");
    expect(p1).toHaveLength(1);
    expect(p2).toHaveLength(1);
    expect(p2[0]!.producerId).toBe(p1[0]!.producerId);
    expect(p2[0]!.epoch).toBeGreaterThan(p1[0]!.epoch);
    // The same from the clients themselves at the end.
    const a = producers.get("producer-1")!.producerIdAndEpoch();
    const b = producers.get("producer-2")!.producerIdAndEpoch();
    expect(b.producerId).toBe(a.producerId);
    expect(b.producerEpoch).toBeGreaterThan(a.producerEpoch);
  });

  it("the fence, the ABORT marker at 51, CompleteAbort, then producer-2's InitProducerId is answered", () => {
    const p1Epoch = readyEpoch("producer-1")[0]!.epoch;
    // PrepareEpochFence is never written: the trace shows it as `via` on the abort of the Ongoing
    // transaction under the bumped epoch, decided by InitProducerId (answered
    // CONCURRENT_TRANSACTIONS), not EndTxn.
    const fence = txnStates.find((e) => e.from === "Ongoing" && e.to === "PrepareAbort");
    expect(fence).toBeDefined();
    expect(fence!.via).toBe("PrepareEpochFence");
    expect(fence!.producerEpoch).toBe(p1Epoch + 1);
    expect(fence!.partitions).toEqual(["out-0"]);
    const inits = of(trace, "txn.init").filter((e) => e.client === "producer-2");
    expect(inits[0]).toMatchObject({ error: "CONCURRENT_TRANSACTIONS", t: fence!.t });
    expect(of(trace, "txn.end").filter((e) => e.t <= fence!.t)).toEqual([]);

    const marker = of(trace, "txn.marker").find((e) => e.result === "ABORT");
    expect(marker).toMatchObject({ topic: "out", partition: 0, offset: 51, error: "NONE" });
    expect(marker!.producerEpoch).toBe(fence!.producerEpoch);
    expect(marker!.t).toBeGreaterThanOrEqual(fence!.t);

    const completeAbort = txnStates.find((e) => e.to === "CompleteAbort");
    expect(completeAbort).toBeDefined();
    expect(completeAbort!.t).toBeGreaterThan(marker!.t);

    const granted = inits.find((e) => e.error === "NONE");
    expect(granted).toBeDefined();
    expect(granted!.t).toBeGreaterThan(completeAbort!.t);
    expect(granted!.producerEpoch).toBe(Number(fence!.producerEpoch) + 1);
    expect(inits.indexOf(granted!)).toBeGreaterThan(0); // after at least one retry

    // The history keeps the marker with its epoch, before producer-2's COMMIT markers.
    const markers = history.txnMarkers.filter((m) => m.topic === "out");
    expect(markers[0]).toMatchObject({ offset: 51, commit: false, epoch: fence!.producerEpoch });
  });

  it("producer-1's r2 is refused with INVALID_PRODUCER_EPOCH after its pause", () => {
    const error = of(trace, "producer.error").find((e) => e.sendId === R2);
    expect(error).toMatchObject({ client: "producer-1", error: "INVALID_PRODUCER_EPOCH" });
    // The pause ends at 9 s; r2 is due at 10 s.
    expect(error!.t).toBeGreaterThanOrEqual(10_000_000);
    expect(sendOf(R2)).toMatchObject({ outcome: "failed", error: "INVALID_PRODUCER_EPOCH" });
  });

  it("producer-1 is fenced: ProducerFencedException, its commit fails, the producer is unusable", () => {
    const fenced = of(trace, "producer.fenced").filter((e) => e.client === "producer-1");
    expect(fenced).toHaveLength(1);
    const fatal = of(trace, "producer.txn").find(
      (e) => e.client === "producer-1" && e.step === "state" && e.state === "FATAL_ERROR",
    );
    expect(fatal).toMatchObject({ exception: "ProducerFencedException" });
    const ends = of(trace, "producer.txn")
      .filter((e) => e.client === "producer-1" && e.step === "state" && e.outcome !== undefined)
      .map((e) => e.outcome);
    // 2.7+ (KIP-588): the commit fails with the abortable InvalidProducerEpochException, then the
    // abort's EndTxn meets PRODUCER_FENCED.
    expect(ends).toEqual(["failed", "failed"]);
    const aborting = of(trace, "producer.txn").find(
      (e) => e.client === "producer-1" && e.step === "state" && e.state === "ABORTABLE_ERROR",
    );
    expect(aborting).toMatchObject({ error: "INVALID_PRODUCER_EPOCH" });
    expect(producers.get("producer-1")!.transactionState()).toBe("FATAL_ERROR");
    expect(() => producers.get("producer-1")!.beginTransaction()).toThrow(
      expect.objectContaining({ name: "ProducerFencedException" }),
    );
    // Nothing of producer-1's reached the log after r1.
    expect(
      history.outcomes.filter((o) => o.sendId.startsWith("producer-1:") && o.outcome === "acked"),
    ).toHaveLength(1);
  });

  it("producer-2's transactions commit", () => {
    const ends = of(trace, "producer.txn")
      .filter((e) => e.client === "producer-2" && e.step === "state" && e.outcome !== undefined)
      .map((e) => e.outcome);
    expect(ends).toEqual(["committed", "committed"]);
    const commits = history.txnMarkers.filter((m) => m.topic === "out" && m.commit);
    expect(commits.map((m) => m.offset)).toEqual([57, 63]);
    expect(producers.get("producer-2")!.transactionState()).toBe("READY");
  });

  it("reader-committed waits at the LSO (50) while the transaction is open, never returns r1, and ends past the marker", () => {
    const fenceT = txnStates.find((e) => e.to === "PrepareAbort")!.t;
    const polls = history.polls.filter((p) => p.consumer === "reader-committed");
    expect(polls.length).toBeGreaterThan(0);
    for (const p of polls.filter((q) => q.atUs < fenceT)) {
      expect(p.nextOffset ?? p.offset + p.count).toBeLessThanOrEqual(50);
    }
    const offsets = polls.flatMap((p) => deliveredOffsets(history, p));
    expect(offsets).not.toContain(50);
    expect(polls.flatMap((p) => (p.origins ?? []).map((o) => o.sendId))).not.toContain(R1);
    expect(offsets).toContain(52);
    expect(consumers.get("reader-committed")!.position(TP)).toBe(64);
  });

  it("reader-uncommitted returns r1 at offset 50, before the fence", () => {
    const fenceT = txnStates.find((e) => e.to === "PrepareAbort")!.t;
    const polls = history.polls.filter((p) => p.consumer === "reader-uncommitted");
    const withR1 = polls.filter((p) => (p.origins ?? []).some((o) => o.sendId === R1));
    expect(withR1).toHaveLength(1);
    expect(withR1[0]!.atUs).toBeLessThan(fenceT);
    expect(deliveredOffsets(history, withR1[0]!)).toContain(50);
    expect(consumers.get("reader-uncommitted")!.position(TP)).toBe(64);
  });

  it("no consumer is handed a marker: each poll's count is its data offsets", () => {
    const markerOffsets = history.txnMarkers.filter((m) => m.topic === "out").map((m) => m.offset);
    expect(markerOffsets).toEqual([51, 57, 63]);
    const polls = history.polls.filter((p) => p.topic === "out");
    // The two readers and three of the console consumers (read_committed at 3 s gets nothing).
    expect(new Set(polls.map((p) => p.consumer)).size).toBe(5);
    for (const p of polls) {
      const offsets = deliveredOffsets(history, p);
      expect(offsets.length, `${p.consumer} at ${p.atUs}`).toBe(p.count);
      for (const m of markerOffsets) expect(offsets).not.toContain(m);
    }
  });
});
