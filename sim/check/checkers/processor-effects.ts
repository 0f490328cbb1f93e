/**
 * A stream processor's effects: for each input record, how many times its output is in the
 * output topic as a read_committed consumer would read it at the end of the run (committed log,
 * below the HW, aborted and open transactions left out). The read-committed checker requires,
 * under exactly_once_v2, exactly one effect for every input record the processor's group has
 * committed past, and none twice; under at_least_once duplicates are allowed (and expected after
 * a crash), which the fault search shows.
 *
 * Inputs are the input topics' committed records below the group's final committed offset that
 * read_committed returns (control batches, aborted and open transactions excluded). Outputs name
 * their input (SendRecord.sources, "topic-partition@offset").
 */
import { tpKey } from "../../kafka/types.ts";
import type { History, ProcessorRecord } from "../history.ts";
import { batchTxnFate, type CheckContext, contextOf, txnCommitted } from "./common.ts";

export interface ProcessorEffects {
  readonly processor: ProcessorRecord;
  /** Input records the group committed past (each must have an effect). */
  readonly inputs: number;
  /** Inputs with more than one effect: source → count, with an output offset of each. */
  readonly duplicates: ReadonlyArray<{
    readonly source: string;
    readonly count: number;
    readonly outputs: ReadonlyArray<string>;
  }>;
  /** Inputs the group committed past with no effect in the output. */
  readonly missing: ReadonlyArray<string>;
  /** Whether the run had what the count needs (a final state with the output's log). */
  readonly judged: boolean;
}

/** Each input's effects in the output topic at the end of the run. */
export function processorEffects(history: History, processor: ProcessorRecord): ProcessorEffects {
  const ctx = contextOf(history);
  const effects = new Map<string, string[]>();
  let judged = false;
  for (const f of ctx.finalLogs.values()) {
    if (f.topic !== processor.output) continue;
    judged = true;
    for (const b of f.log.replica.batches) {
      if (b.baseOffset >= f.hw) break;
      if (b.isControl || b.origin === undefined) continue;
      const send = ctx.sends.get(b.origin);
      if (send?.sources === undefined) continue;
      if (!txnCommitted(batchTxnFate(ctx, f.topic, f.partition, b))) continue;
      send.sources.forEach((source, i) => {
        const offset = b.baseOffset + i;
        if (b.offsets !== undefined && !b.offsets.includes(offset)) return;
        const list = effects.get(source);
        const where = `${tpKey(f.topic, f.partition)}@${offset}`;
        if (list === undefined) effects.set(source, [where]);
        else list.push(where);
      });
    }
  }
  const duplicates: Array<{ source: string; count: number; outputs: string[] }> = [];
  for (const [source, outputs] of effects) {
    if (outputs.length > 1) duplicates.push({ source, count: outputs.length, outputs });
  }
  const missing: string[] = [];
  let inputs = 0;
  for (const { topic, partition, committed } of committedInputs(ctx, processor)) {
    const f = ctx.finalLogs.get(tpKey(topic, partition));
    if (f === undefined) continue;
    for (const b of f.log.replica.batches) {
      if (b.baseOffset >= Math.min(committed, f.hw)) break;
      if (b.isControl) continue;
      if (!txnCommitted(batchTxnFate(ctx, topic, partition, b))) continue;
      const end = Math.min(b.baseOffset + b.count, committed);
      for (let o = b.baseOffset; o < end; o++) {
        if (b.offsets !== undefined && !b.offsets.includes(o)) continue;
        if (o < f.logStartOffset) continue;
        inputs++;
        const source = `${tpKey(topic, partition)}@${o}`;
        if (!effects.has(source)) missing.push(source);
      }
    }
  }
  return { processor, inputs, duplicates, missing, judged };
}

/** The processor's group's committed offset of each input partition at the end. */
function committedInputs(
  ctx: CheckContext,
  processor: ProcessorRecord,
): Array<{ topic: string; partition: number; committed: number }> {
  const out: Array<{ topic: string; partition: number; committed: number }> = [];
  for (const o of ctx.history.final?.groupOffsets ?? []) {
    if (o.group !== processor.applicationId || !processor.input.includes(o.topic)) continue;
    out.push({ topic: o.topic, partition: o.partition, committed: o.offset });
  }
  return out;
}
