/**
 * What every checker shares: the verdict shape, and indexes over a history built once per history
 * (sends and outcomes by id, each partition's final log as the checkers read it, transaction
 * markers by producer). Indexes are memoized in a WeakMap keyed by the history object, so running
 * all checkers builds them once and a checker stays a pure function of its history.
 *
 * "The final log" of a partition is its final leader's replica, read up to the partition's HW.
 * With no leader at the end, it is the replica with the highest HW (ties: lowest broker id): the
 * data is unavailable then, not necessarily lost, and the verdict says which replica was read.
 */
import { assert } from "../../engine/assert.ts";
import { tpKey } from "../../kafka/types.ts";
import { formatTimeUs, listFirst, plural } from "../format.ts";
import type {
  FinalBatch,
  FinalPartition,
  FinalReplica,
  History,
  SendOutcome,
  SendRecord,
  TxnMarker,
} from "../history.ts";

export type CheckerName =
  | "no-lost-acked-writes"
  | "no-duplicates"
  | "order-per-partition"
  | "order-per-key"
  | "no-divergence"
  | "hw-monotonic"
  | "no-reprocessing"
  | "no-skipped-records"
  | "read-committed"
  | "lag-ok";

/** One anomaly, in Jepsen's words where it has one ("lost write", "nonmonotonic", "skip"). */
export interface Violation {
  readonly anomaly: string;
  /** The explanation: which record, sent when, acknowledged by whom, what removed it. */
  readonly message: string;
  readonly topic?: string;
  readonly partition?: number;
  readonly offset?: number;
  readonly sendId?: string;
  /** When the anomaly showed (the event that caused or revealed it). */
  readonly atUs?: number;
}

export interface Verdict {
  readonly name: CheckerName;
  readonly holds: boolean;
  /** One paragraph: what was checked, and the first violations. */
  readonly detail: string;
  /** At most MAX_VIOLATIONS, in the order found (partitions in order, then offsets or time). */
  readonly violations: ReadonlyArray<Violation>;
  /** All violations found, including those not listed. */
  readonly violationCount: number;
}

/** Violations kept per verdict: enough to explain, bounded for million-record runs. */
export const MAX_VIOLATIONS = 100;
/** Violations quoted in a verdict's detail. */
export const DETAIL_VIOLATIONS = 3;

/** Collects violations up to the cap while counting them all. */
export class ViolationList {
  readonly list: Violation[] = [];
  count = 0;

  add(v: Violation): void {
    this.count++;
    if (this.list.length < MAX_VIOLATIONS) this.list.push(v);
  }
}

/** A verdict from the violations: `summary` says what was checked. */
export function verdict(
  name: CheckerName,
  summary: string,
  violations: ViolationList,
  anomaly: string,
  anomalies = `${anomaly}s`,
): Verdict {
  const holds = violations.count === 0;
  const detail = holds
    ? summary
    : `${plural(violations.count, anomaly, anomalies)}: ${listFirst(
        violations.list.map((v) => v.message),
        DETAIL_VIOLATIONS,
      )} (${summary})`;
  return { name, holds, detail, violations: violations.list, violationCount: violations.count };
}

// ---------------------------------------------------------------- final logs

/** Which offsets of a batch hold records (compaction leaves `offsets`). */
export function batchHasOffset(batch: FinalBatch, offset: number): boolean {
  if (offset < batch.baseOffset || offset >= batch.baseOffset + batch.count) return false;
  if (batch.offsets === undefined) return true;
  return binarySearch(batch.offsets, offset) >= 0;
}

/** Index of `value` in an ascending array, or -1. */
function binarySearch(values: ReadonlyArray<number>, value: number): number {
  let lo = 0;
  let hi = values.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = values[mid]!;
    if (v === value) return mid;
    if (v < value) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** One replica's log, searchable by offset and by origin. */
export class ReplicaLog {
  private byOrigin: Map<string, FinalBatch[]> | undefined;

  constructor(readonly replica: FinalReplica) {
    let end = -1;
    for (const b of replica.batches) {
      assert(b.count >= 1, () => `broker ${replica.broker}: empty batch at ${b.baseOffset}`);
      assert(
        b.baseOffset >= end,
        () => `broker ${replica.broker}: batches overlap at ${b.baseOffset}`,
      );
      end = b.baseOffset + b.count;
    }
  }

  get broker(): number {
    return this.replica.broker;
  }

  /** The batch whose span [baseOffset, baseOffset + count) holds `offset`. */
  batchCovering(offset: number): FinalBatch | undefined {
    const batches = this.replica.batches;
    let lo = 0;
    let hi = batches.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const b = batches[mid]!;
      if (offset < b.baseOffset) hi = mid - 1;
      else if (offset >= b.baseOffset + b.count) lo = mid + 1;
      else return b;
    }
    return undefined;
  }

  /** The first batch whose span ends after `offset` (the covering one, or the next). */
  batchFrom(offset: number): FinalBatch | undefined {
    const batches = this.replica.batches;
    let lo = 0;
    let hi = batches.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const b = batches[mid]!;
      if (b.baseOffset + b.count <= offset) lo = mid + 1;
      else hi = mid;
    }
    return batches[lo];
  }

  /** Batches carrying `origin`, ascending offsets. */
  batchesOf(origin: string): ReadonlyArray<FinalBatch> {
    if (this.byOrigin === undefined) {
      this.byOrigin = new Map();
      for (const b of this.replica.batches) {
        if (b.origin === undefined) continue;
        const list = this.byOrigin.get(b.origin);
        if (list === undefined) this.byOrigin.set(b.origin, [b]);
        else list.push(b);
      }
    }
    return this.byOrigin.get(origin) ?? [];
  }
}

/** A partition's final log as the checkers read it. */
export interface FinalLog {
  readonly topic: string;
  readonly partition: number;
  readonly state: FinalPartition;
  readonly log: ReplicaLog;
  /** The final leader's replica was read (false: no leader, the best replica was). */
  readonly fromLeader: boolean;
  /** Committed end: offsets below it are committed. */
  readonly hw: number;
  readonly logStartOffset: number;
}

function finalLogOf(p: FinalPartition): FinalLog | undefined {
  let replica = p.leader === null ? undefined : p.replicas.find((r) => r.broker === p.leader);
  const fromLeader = replica !== undefined;
  if (replica === undefined) {
    for (const r of p.replicas) if (replica === undefined || r.hw > replica.hw) replica = r;
  }
  if (replica === undefined) return undefined;
  return {
    topic: p.topic,
    partition: p.partition,
    state: p,
    log: new ReplicaLog(replica),
    fromLeader,
    hw: fromLeader ? p.hw : replica.hw,
    logStartOffset: p.logStartOffset,
  };
}

/** "broker 2 (final leader, HW 80)" or "broker 3 (no leader at the end; best replica, HW 70)". */
export function describeFinalLog(f: FinalLog): string {
  return f.fromLeader
    ? `broker ${f.log.broker} (final leader, HW ${f.hw})`
    : `broker ${f.log.broker} (no leader at the end; best replica, HW ${f.hw})`;
}

/** "producer-1:9 at offsets 41-42 (epoch 2)" */
export function describeBatch(b: FinalBatch): string {
  const what = b.isControl === true ? "a control batch" : (b.origin ?? "a batch without origin");
  const span =
    b.count === 1
      ? `offset ${b.baseOffset}`
      : `offsets ${b.baseOffset}-${b.baseOffset + b.count - 1}`;
  return `${what} at ${span} (epoch ${b.leaderEpoch})`;
}

// ---------------------------------------------------------------- transactions

/** How a transactional batch ended: the first marker of its producer after it on its partition. */
export interface TxnFate {
  readonly transactionalId: string;
  /** Undefined: no marker followed (the transaction was still open at the end). */
  readonly marker: TxnMarker | undefined;
}

export class TxnIndex {
  /** Markers by partition and transactional id, ascending offsets. */
  private readonly byTid = new Map<string, TxnMarker[]>();
  private readonly byPid = new Map<string, TxnMarker[]>();

  constructor(markers: ReadonlyArray<TxnMarker>) {
    for (const m of markers) {
      push(this.byTid, `${tpKey(m.topic, m.partition)}|${m.transactionalId}`, m);
      push(this.byPid, `${tpKey(m.topic, m.partition)}|${m.producerId}`, m);
    }
    for (const list of [...this.byTid.values(), ...this.byPid.values()]) {
      list.sort((a, b) => a.offset - b.offset || a.atUs - b.atUs);
    }
  }

  /** The fate of transactional records of `transactionalId` at `offset` on the partition. */
  fate(topic: string, partition: number, transactionalId: string, offset: number): TxnFate {
    const list = this.byTid.get(`${tpKey(topic, partition)}|${transactionalId}`) ?? [];
    return { transactionalId, marker: list.find((m) => m.offset > offset) };
  }

  /** The same, for a batch known only by its producer id. */
  fateByProducer(topic: string, partition: number, producerId: number, offset: number): TxnFate {
    const list = this.byPid.get(`${tpKey(topic, partition)}|${producerId}`) ?? [];
    const marker = list.find((m) => m.offset > offset);
    return { transactionalId: marker?.transactionalId ?? `producer id ${producerId}`, marker };
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

// ---------------------------------------------------------------- the shared context

export interface CheckContext {
  readonly history: History;
  readonly sends: ReadonlyMap<string, SendRecord>;
  readonly outcomes: ReadonlyMap<string, SendOutcome>;
  /** By tpKey, in the final state's partition order; empty without a final state. */
  readonly finalLogs: ReadonlyMap<string, FinalLog>;
  readonly txns: TxnIndex;
}

const contexts = new WeakMap<History, CheckContext>();

export function contextOf(history: History): CheckContext {
  let ctx = contexts.get(history);
  if (ctx === undefined) {
    const sends = new Map<string, SendRecord>();
    for (const s of history.sends) sends.set(s.sendId, s);
    const outcomes = new Map<string, SendOutcome>();
    for (const o of history.outcomes) outcomes.set(o.sendId, o);
    const finalLogs = new Map<string, FinalLog>();
    for (const p of history.final?.partitions ?? []) {
      const f = finalLogOf(p);
      if (f !== undefined) finalLogs.set(tpKey(p.topic, p.partition), f);
    }
    ctx = { history, sends, outcomes, finalLogs, txns: new TxnIndex(history.txnMarkers) };
    contexts.set(history, ctx);
  }
  return ctx;
}

/** The fate of the transactional batch `batch` of `log` (undefined: not transactional). */
export function batchTxnFate(
  ctx: CheckContext,
  topic: string,
  partition: number,
  batch: FinalBatch,
): TxnFate | undefined {
  if (batch.isControl) return undefined;
  const send = batch.origin === undefined ? undefined : ctx.sends.get(batch.origin);
  if (send?.transactional !== undefined) {
    return ctx.txns.fate(topic, partition, send.transactional.transactionalId, batch.baseOffset);
  }
  if (batch.isTransactional && batch.producerId !== undefined) {
    return ctx.txns.fateByProducer(topic, partition, batch.producerId, batch.baseOffset);
  }
  return undefined;
}

/** A committed transaction's records, or non-transactional ones: what read_committed returns. */
export function txnCommitted(fate: TxnFate | undefined): boolean {
  return fate === undefined || fate.marker?.commit === true;
}

/** "producer-1:7 (3 records, sent at 2.001 s)", or the bare id when the send is unknown. */
export function describeSend(ctx: CheckContext, sendId: string): string {
  const s = ctx.sends.get(sendId);
  if (s === undefined) return sendId;
  return `${sendId} (${plural(s.count, "record")}, sent at ${formatTimeUs(s.sentAtUs)})`;
}

/** Stable order helper: sort a copy by `key`, ties by original position. */
export function sortedBy<T>(items: ReadonlyArray<T>, compare: (a: T, b: T) => number): T[] {
  return items
    .map((item, i) => ({ item, i }))
    .sort((a, b) => compare(a.item, b.item) || a.i - b.i)
    .map((x) => x.item);
}

/** Partition keys of a set of records in (topic, partition) order. */
export function tpOrder(
  a: { topic: string; partition: number },
  b: { topic: string; partition: number },
): number {
  return a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition;
}
