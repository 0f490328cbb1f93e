/**
 * The view of a record batch that transaction bookkeeping needs (reference §5): its offsets, its
 * producer id, the transactional and control attribute bits, and, for a control batch, the type of
 * its one control record (`RecordBatch.controlType`, Kafka's ControlRecordType: ABORT = 0,
 * COMMIT = 1, the key of the end-transaction marker).
 *
 * A TxnBatch is a plain subset of `RecordBatch`, so stored batches are TxnBatches as they are.
 * `asTxnBatch` sets the control type on a batch built without one (tests, older call sites). A
 * control batch without a type is a bug and is asserted against.
 *
 * Simplifies: one control record per control batch (Kafka's markers always hold exactly one); the
 * KRaft control records (LEADER_CHANGE, SNAPSHOT_HEADER, ...) never occur in data partitions.
 */
import { assert } from "../../engine/assert.ts";
import type { RecordBatch } from "../types.ts";

/** ControlRecordType of an end-transaction marker. */
export type ControlRecordType = NonNullable<RecordBatch["controlType"]>;

/** The fields of a RecordBatch the transaction code reads (the marker type on control batches). */
export type TxnBatch = Pick<
  RecordBatch,
  | "baseOffset"
  | "count"
  | "producerId"
  | "isTransactional"
  | "isControl"
  | "offsets"
  | "controlType"
>;

/** The batch with its control type set; `controlType` is required for a control batch. */
export function asTxnBatch<B extends RecordBatch>(batch: B, controlType?: ControlRecordType): B {
  const type = controlType ?? batch.controlType;
  assert(
    batch.isControl === (type !== undefined),
    () => `batch at ${batch.baseOffset}: a control type goes with control batches only`,
  );
  return type === batch.controlType ? batch : { ...batch, controlType: type };
}

/** The marker type of a control batch (asserted to be one). */
export function controlTypeOf(batch: TxnBatch): ControlRecordType {
  assert(batch.isControl, () => `batch at ${batch.baseOffset} is not a control batch`);
  assert(
    batch.controlType !== undefined,
    () => `control batch at ${batch.baseOffset} has no control record type`,
  );
  return batch.controlType;
}

/** The offset after the batch's span (Kafka's nextOffset = lastOffset + 1). */
export function txnBatchEnd(batch: TxnBatch): number {
  return batch.baseOffset + batch.count;
}

/** The last offset of the batch's span (Kafka's RecordBatch.lastOffset). */
export function txnBatchLast(batch: TxnBatch): number {
  return batch.baseOffset + batch.count - 1;
}

/** RecordBatch.hasProducerId: the batch carries a producer id (idempotent or transactional). */
export function batchHasProducerId(batch: TxnBatch): boolean {
  return batch.producerId >= 0;
}

/** The record offsets the batch holds, ascending (compaction may have removed some). */
export function txnBatchOffsets(batch: TxnBatch): readonly number[] {
  if (batch.offsets !== undefined) return batch.offsets;
  const out: number[] = [];
  for (let i = 0; i < batch.count; i++) out.push(batch.baseOffset + i);
  return out;
}
