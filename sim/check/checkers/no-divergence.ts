/**
 * no-divergence: at the end of the run, every two replicas of a partition hold the same batches
 * (same base offset, span, origin, leader epoch, control flag) on every offset below the smaller of
 * their HWs. Before KIP-101 (version 0.10) a follower that truncates to its HW and refetches can
 * end up with a different batch at the same offset than its peers: this checker shows it.
 *
 * Offsets only one replica covers are skipped (replicas keep their own log start and clean their
 * own compacted logs), so a hole is not a divergence; a different batch is.
 */
import type { FinalBatch, FinalReplica, History } from "../history.ts";
import { describeBatch, type Verdict, ViolationList, verdict } from "./common.ts";

export function checkNoDivergence(history: History): Verdict {
  const name = "no-divergence";
  if (history.final === undefined) {
    return verdict(
      name,
      "not checked: the history has no final state",
      new ViolationList(),
      "divergence",
    );
  }
  const violations = new ViolationList();
  let pairs = 0;
  for (const p of history.final.partitions) {
    const replicas = [...p.replicas].sort((a, b) => a.broker - b.broker);
    for (let i = 0; i < replicas.length; i++) {
      for (let j = i + 1; j < replicas.length; j++) {
        pairs++;
        const a = replicas[i]!;
        const b = replicas[j]!;
        const d = firstDivergence(a, b);
        if (d === undefined) continue;
        const tp = `${p.topic}-${p.partition}`;
        const more =
          d.differing > 1 ? `; ${d.differing} batches differ below offset ${d.limit}` : "";
        violations.add({
          anomaly: "divergence",
          message:
            `${tp}: brokers ${a.broker} and ${b.broker} disagree at offset ${d.offset}, below both HWs ` +
            `(broker ${a.broker}: ${a.hw}, broker ${b.broker}: ${b.hw}): broker ${a.broker} has ` +
            `${describeBatch(d.x)}, broker ${b.broker} has ${describeBatch(d.y)}${more}`,
          topic: p.topic,
          partition: p.partition,
          offset: d.offset,
        });
      }
    }
  }
  return verdict(
    name,
    `${pairs} replica pairs on ${history.final.partitions.length} partitions compared below their HWs`,
    violations,
    "divergence",
  );
}

interface Divergence {
  readonly offset: number;
  readonly x: FinalBatch;
  readonly y: FinalBatch;
  readonly differing: number;
  readonly limit: number;
}

function firstDivergence(a: FinalReplica, b: FinalReplica): Divergence | undefined {
  const limit = Math.min(a.hw, b.hw);
  const A = a.batches;
  const B = b.batches;
  let ia = 0;
  let ib = 0;
  let first: Omit<Divergence, "differing" | "limit"> | undefined;
  let differing = 0;
  while (ia < A.length && ib < B.length) {
    const x = A[ia]!;
    const y = B[ib]!;
    if (x.baseOffset >= limit || y.baseOffset >= limit) break;
    const xEnd = x.baseOffset + x.count;
    const yEnd = y.baseOffset + y.count;
    if (xEnd <= y.baseOffset) {
      ia++;
      continue;
    }
    if (yEnd <= x.baseOffset) {
      ib++;
      continue;
    }
    if (!sameBatch(x, y)) {
      differing++;
      if (first === undefined) first = { offset: Math.max(x.baseOffset, y.baseOffset), x, y };
    }
    if (xEnd <= yEnd) ia++;
    if (yEnd <= xEnd) ib++;
  }
  return first === undefined ? undefined : { ...first, differing, limit };
}

function sameBatch(x: FinalBatch, y: FinalBatch): boolean {
  return (
    x.baseOffset === y.baseOffset &&
    x.count === y.count &&
    x.leaderEpoch === y.leaderEpoch &&
    x.origin === y.origin &&
    (x.isControl === true) === (y.isControl === true)
  );
}
