/**
 * The transaction coordinator's record of one transactional id (Kafka's `TransactionMetadata` and
 * `TxnTransitMetadata`, core/.../coordinator/transaction/TransactionMetadata.scala; reference §5):
 * the producer id and epoch handed out, the previous ones, the transaction timeout, the state, the
 * partitions in the open transaction and its timestamps.
 *
 * Models Kafka's two-step update. A `prepare...` method computes a transit (the new metadata, i.e.
 * the value to write to `__transaction_state`) without changing anything. The coordinator then
 * calls `beginTransition(transit)` (the id now has a pending state and every other request gets
 * CONCURRENT_TRANSACTIONS), appends the record, and when the append succeeds calls
 * `completeTransitionTo(transit)`, which checks the transit against the current metadata as
 * Kafka does and applies it; when it fails, `failTransition(transit)`. Epochs are Java shorts:
 * an epoch is "exhausted" from Short.MAX_VALUE - 1 (32766), so the coordinator can always bump it
 * once more to fence; an exhausted producer gets a new producer id (KIP-360 rotation).
 *
 * Simplifies: Kafka sets the pending state inside `prepare...`; here `beginTransition` does it, so
 * that prepares (and the decision functions built on them) stay pure. Kafka's epoch fence runs as
 * PrepareEpochFence (pending only, never completed) followed by an EndTxn(ABORT) that overwrites
 * the in-memory epoch before its append; here the same outcome is one PrepareAbort transit
 * flagged `epochFence` (Ongoing → PrepareAbort, the bumped epoch and lastProducerEpoch -1 in the
 * record), and a failed append applies the bumped epoch in memory and sets `hasFailedEpochFence`,
 * as Kafka does. Where Kafka throws on an exhausted epoch before looking at the expected epoch of
 * an InitProducerId, the expected epoch is checked first (PRODUCER_FENCED, or the retry answer).
 * Times are milliseconds of virtual time, passed in; nothing reads a clock.
 *
 * Faults: none here; an append that fails (the coordinator's problem) leaves the metadata as it
 * was, except for the epoch-fence rule above. An impossible transition is a coordinator bug and
 * fails an assertion.
 */
import { assert, assertSafeInt } from "../../engine/assert.ts";
import type { TopicPartition } from "../types.ts";
import {
  assertTransition,
  hasOpenTransaction,
  type TransactionState,
} from "./transaction-state.ts";

/** `RecordBatch.NO_PRODUCER_ID`. */
export const NO_PRODUCER_ID = -1;
/** `RecordBatch.NO_PRODUCER_EPOCH`. */
export const NO_PRODUCER_EPOCH = -1;
/** Java's `Short.MAX_VALUE`: the largest producer epoch. */
export const MAX_PRODUCER_EPOCH = 32767;
/** "No transaction started" for `txnStartTimestamp`. */
export const NO_TIMESTAMP = -1;

/** `TransactionResult` of EndTxn and of the markers. */
export type TransactionResult = "COMMIT" | "ABORT";

/**
 * Errors the transaction coordinator answers with, by Kafka's names (`Errors`). Returned, never
 * thrown. INVALID_PRODUCER_EPOCH is what clients before KIP-588 (2.7) get instead of
 * PRODUCER_FENCED (see `clientVisibleError`).
 */
export type TxnCoordinatorError =
  | "NONE"
  | "CONCURRENT_TRANSACTIONS"
  | "PRODUCER_FENCED"
  | "INVALID_PRODUCER_EPOCH"
  | "INVALID_TXN_STATE"
  | "INVALID_TRANSACTION_TIMEOUT"
  | "INVALID_PRODUCER_ID_MAPPING"
  | "INVALID_REQUEST"
  | "COORDINATOR_LOAD_IN_PROGRESS"
  | "COORDINATOR_NOT_AVAILABLE"
  | "NOT_COORDINATOR";

/**
 * Kafka's `TransactionMetadata.isEpochExhausted`: no client may use Short.MAX_VALUE, so that the
 * coordinator can always fence the current producer with one more bump.
 */
export function isEpochExhausted(producerEpoch: number): boolean {
  return producerEpoch >= MAX_PRODUCER_EPOCH - 1;
}

/**
 * The new metadata a transition writes (Kafka's `TxnTransitMetadata`): plain data, the value of a
 * `__transaction_state` record. `topicPartitions` is sorted (topic, then partition) and unique.
 */
export interface TxnTransitMetadata {
  readonly producerId: number;
  readonly lastProducerId: number;
  readonly producerEpoch: number;
  readonly lastProducerEpoch: number;
  readonly txnTimeoutMs: number;
  readonly txnState: TransactionState;
  readonly topicPartitions: readonly TopicPartition[];
  readonly txnStartTimestamp: number;
  readonly txnLastUpdateTimestamp: number;
  /**
   * Not written to the log: this PrepareAbort also fences the producer (InitProducerId over an
   * open transaction, or a timed-out transaction), so it carries a bumped epoch.
   */
  readonly epochFence: boolean;
}

/** Sorted by topic then partition, duplicates removed: a deterministic order for markers. */
export function normalizePartitions(parts: Iterable<TopicPartition>): TopicPartition[] {
  const out: TopicPartition[] = [];
  const sorted = [...parts].sort(comparePartitions);
  for (const tp of sorted) {
    const last = out[out.length - 1];
    if (last === undefined || comparePartitions(last, tp) !== 0) {
      out.push({ topic: tp.topic, partition: tp.partition });
    }
  }
  return out;
}

function comparePartitions(a: TopicPartition, b: TopicPartition): number {
  if (a.topic !== b.topic) return a.topic < b.topic ? -1 : 1;
  return a.partition - b.partition;
}

function samePartitions(a: readonly TopicPartition[], b: readonly TopicPartition[]): boolean {
  return (
    a.length === b.length && a.every((tp, i) => comparePartitions(tp, b[i] as TopicPartition) === 0)
  );
}

/** Whether every partition of the sorted list `small` is in the sorted list `big`. */
export function isSubsetOf(
  small: readonly TopicPartition[],
  big: readonly TopicPartition[],
): boolean {
  let j = 0;
  for (const tp of small) {
    while (j < big.length && comparePartitions(big[j] as TopicPartition, tp) < 0) j++;
    if (j >= big.length || comparePartitions(big[j] as TopicPartition, tp) !== 0) return false;
  }
  return true;
}

/** The fields of a transit a prepare chooses; the rest come from the current metadata. */
interface TransitFields {
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly lastProducerEpoch: number;
  readonly txnTimeoutMs: number;
  readonly topicPartitions: readonly TopicPartition[];
  readonly txnStartTimestamp: number;
  readonly updateTimestampMs: number;
  readonly epochFence?: boolean;
}

/** A result that is either an error (by Kafka's name) or a transit. */
export type PrepareResult =
  | { readonly ok: true; readonly transit: TxnTransitMetadata }
  | { readonly ok: false; readonly error: TxnCoordinatorError };

export class TransactionMetadata {
  producerId: number;
  lastProducerId: number;
  producerEpoch: number;
  lastProducerEpoch: number;
  txnTimeoutMs: number;
  state: TransactionState;
  /** The partitions of the open transaction, sorted and unique. */
  topicPartitions: readonly TopicPartition[];
  /** When the first partition joined the open transaction; NO_TIMESTAMP when none is open. */
  txnStartTimestamp: number;
  /** Last update of any kind; drives transactional id expiration. */
  txnLastUpdateTimestamp: number;
  /** The state a transition in flight (appended, not yet acknowledged) will reach. */
  pendingState: TransactionState | undefined = undefined;
  /** A fence's append failed after the epoch was bumped in memory: the next fence does not bump. */
  hasFailedEpochFence = false;

  constructor(
    readonly transactionalId: string,
    fields: {
      readonly producerId: number;
      readonly lastProducerId?: number;
      readonly producerEpoch?: number;
      readonly lastProducerEpoch?: number;
      readonly txnTimeoutMs: number;
      readonly state?: TransactionState;
      readonly topicPartitions?: readonly TopicPartition[];
      readonly txnStartTimestamp?: number;
      readonly txnLastUpdateTimestamp: number;
    },
  ) {
    this.producerId = fields.producerId;
    this.lastProducerId = fields.lastProducerId ?? NO_PRODUCER_ID;
    this.producerEpoch = fields.producerEpoch ?? NO_PRODUCER_EPOCH;
    this.lastProducerEpoch = fields.lastProducerEpoch ?? NO_PRODUCER_EPOCH;
    this.txnTimeoutMs = fields.txnTimeoutMs;
    this.state = fields.state ?? "Empty";
    this.topicPartitions = normalizePartitions(fields.topicPartitions ?? []);
    this.txnStartTimestamp = fields.txnStartTimestamp ?? NO_TIMESTAMP;
    this.txnLastUpdateTimestamp = fields.txnLastUpdateTimestamp;
    assertSafeInt(this.producerId, "producerId");
    assert(
      this.producerEpoch >= NO_PRODUCER_EPOCH && this.producerEpoch <= MAX_PRODUCER_EPOCH,
      () => `${transactionalId}: producer epoch ${this.producerEpoch} out of range`,
    );
  }

  /** Metadata rebuilt from a `__transaction_state` record, when a coordinator loads a partition. */
  static fromLog(transactionalId: string, record: TxnTransitMetadata): TransactionMetadata {
    return new TransactionMetadata(transactionalId, {
      producerId: record.producerId,
      lastProducerId: record.lastProducerId,
      producerEpoch: record.producerEpoch,
      lastProducerEpoch: record.lastProducerEpoch,
      txnTimeoutMs: record.txnTimeoutMs,
      state: record.txnState,
      topicPartitions: record.topicPartitions,
      txnStartTimestamp: record.txnStartTimestamp,
      txnLastUpdateTimestamp: record.txnLastUpdateTimestamp,
    });
  }

  get pendingTransitionInProgress(): boolean {
    return this.pendingState !== undefined;
  }

  get isProducerEpochExhausted(): boolean {
    return isEpochExhausted(this.producerEpoch);
  }

  /** Ongoing, PrepareCommit or PrepareAbort: a transaction is open (Kafka's hasPendingTransaction). */
  get hasPendingTransaction(): boolean {
    return hasOpenTransaction(this.state);
  }

  // ---- prepares: pure, each returns the transit to write -------------------------------------

  /**
   * InitProducerId on an id with no open transaction: bump the epoch (Empty). `expectedEpoch` is
   * the epoch a KIP-360 producer sends back when it re-initialises after an error:
   * - none: a new producer; bump, and forget the last epoch (-1), which fences any older one;
   * - the current epoch (or no epoch yet): bump, and remember the current one as the last;
   * - the last epoch: a retry of a bump whose answer was lost; answer the current epoch again;
   * - anything else: PRODUCER_FENCED.
   */
  prepareIncrementProducerEpoch(
    newTxnTimeoutMs: number,
    expectedEpoch: number | undefined,
    updateTimestampMs: number,
  ): PrepareResult {
    let next: number;
    let last: number;
    if (expectedEpoch === undefined) {
      next = this.producerEpoch + 1;
      last = NO_PRODUCER_EPOCH;
    } else if (this.producerEpoch === NO_PRODUCER_EPOCH || expectedEpoch === this.producerEpoch) {
      next = this.producerEpoch + 1;
      last = this.producerEpoch;
    } else if (expectedEpoch === this.lastProducerEpoch) {
      next = this.producerEpoch;
      last = this.lastProducerEpoch;
    } else {
      return { ok: false, error: "PRODUCER_FENCED" };
    }
    assert(
      next === this.producerEpoch || !this.isProducerEpochExhausted,
      () => `${this.transactionalId}: no producer epochs left for producer id ${this.producerId}`,
    );
    return {
      ok: true,
      transit: this.prepareTransitionTo("Empty", {
        producerId: this.producerId,
        producerEpoch: next,
        lastProducerEpoch: last,
        txnTimeoutMs: newTxnTimeoutMs,
        topicPartitions: [],
        txnStartTimestamp: NO_TIMESTAMP,
        updateTimestampMs,
      }),
    };
  }

  /**
   * The epoch is exhausted: continue under a new producer id at epoch 0 (Empty). With
   * `recordLastEpoch` (the producer sent its epoch) the old epoch is kept as the last one, so a
   * retry of this call is recognised.
   */
  prepareProducerIdRotation(
    newProducerId: number,
    newTxnTimeoutMs: number,
    updateTimestampMs: number,
    recordLastEpoch: boolean,
  ): TxnTransitMetadata {
    assert(
      !this.hasPendingTransaction,
      () => `${this.transactionalId}: cannot rotate the producer id while a transaction is open`,
    );
    assert(
      newProducerId !== this.producerId,
      () => `${this.transactionalId}: rotation to the same producer id ${newProducerId}`,
    );
    return this.prepareTransitionTo("Empty", {
      producerId: newProducerId,
      producerEpoch: 0,
      lastProducerEpoch: recordLastEpoch ? this.producerEpoch : NO_PRODUCER_EPOCH,
      txnTimeoutMs: newTxnTimeoutMs,
      topicPartitions: [],
      txnStartTimestamp: NO_TIMESTAMP,
      updateTimestampMs,
    });
  }

  /**
   * The first half of fencing an open transaction: PrepareEpochFence with the epoch bumped (not
   * bumped again after a fence whose append failed: that bump is already in memory and was never
   * handed to a client). Never written or completed on its own; see `prepareAbortOrCommit`.
   */
  prepareFenceProducerEpoch(): TxnTransitMetadata {
    const bumped = this.hasFailedEpochFence ? this.producerEpoch : this.producerEpoch + 1;
    assert(
      bumped <= MAX_PRODUCER_EPOCH,
      () => `${this.transactionalId}: fencing epoch ${this.producerEpoch} would overflow a short`,
    );
    return this.prepareTransitionTo("PrepareEpochFence", {
      producerId: this.producerId,
      producerEpoch: bumped,
      lastProducerEpoch: NO_PRODUCER_EPOCH,
      txnTimeoutMs: this.txnTimeoutMs,
      topicPartitions: this.topicPartitions,
      txnStartTimestamp: this.txnStartTimestamp,
      updateTimestampMs: this.txnLastUpdateTimestamp,
    });
  }

  /** AddPartitionsToTxn / AddOffsetsToTxn: Ongoing with the partitions added. */
  prepareAddPartitions(
    added: readonly TopicPartition[],
    updateTimestampMs: number,
  ): TxnTransitMetadata {
    // A new transaction starts now; an open one keeps its start.
    const starts =
      this.state === "Empty" || this.state === "CompleteAbort" || this.state === "CompleteCommit";
    return this.prepareTransitionTo("Ongoing", {
      producerId: this.producerId,
      producerEpoch: this.producerEpoch,
      lastProducerEpoch: this.lastProducerEpoch,
      txnTimeoutMs: this.txnTimeoutMs,
      topicPartitions: normalizePartitions([...this.topicPartitions, ...added]),
      txnStartTimestamp: starts ? updateTimestampMs : this.txnStartTimestamp,
      updateTimestampMs,
    });
  }

  /**
   * EndTxn: PrepareCommit or PrepareAbort, the commit point once written. With `fence` (the result
   * of `prepareFenceProducerEpoch`), a PrepareAbort under the fence's bumped epoch with the last
   * epoch forgotten, as Kafka's EndTxn does when it follows a PrepareEpochFence.
   */
  prepareAbortOrCommit(
    newState: "PrepareCommit" | "PrepareAbort",
    updateTimestampMs: number,
    fence?: TxnTransitMetadata,
  ): TxnTransitMetadata {
    if (fence !== undefined) {
      assert(
        fence.txnState === "PrepareEpochFence" && newState === "PrepareAbort",
        () => `${this.transactionalId}: an epoch fence ends only in PrepareAbort`,
      );
      assertTransition("PrepareEpochFence", "PrepareAbort", this.transactionalId);
    }
    return this.prepareTransitionTo(newState, {
      producerId: this.producerId,
      producerEpoch: fence?.producerEpoch ?? this.producerEpoch,
      lastProducerEpoch: fence === undefined ? this.lastProducerEpoch : NO_PRODUCER_EPOCH,
      txnTimeoutMs: this.txnTimeoutMs,
      topicPartitions: this.topicPartitions,
      txnStartTimestamp: this.txnStartTimestamp,
      updateTimestampMs,
      epochFence: fence !== undefined,
    });
  }

  /** Every marker is written: CompleteCommit after PrepareCommit, CompleteAbort after PrepareAbort. */
  prepareComplete(updateTimestampMs: number): TxnTransitMetadata {
    assert(
      this.state === "PrepareCommit" || this.state === "PrepareAbort",
      () => `${this.transactionalId}: completing a transaction in state ${this.state}`,
    );
    return this.prepareTransitionTo(
      this.state === "PrepareCommit" ? "CompleteCommit" : "CompleteAbort",
      {
        producerId: this.producerId,
        producerEpoch: this.producerEpoch,
        lastProducerEpoch: this.lastProducerEpoch,
        txnTimeoutMs: this.txnTimeoutMs,
        topicPartitions: [],
        txnStartTimestamp: this.txnStartTimestamp,
        updateTimestampMs,
      },
    );
  }

  /** The transactional id expired (`transactional.id.expiration.ms`): Dead, written as a tombstone. */
  prepareDead(): TxnTransitMetadata {
    return this.prepareTransitionTo("Dead", {
      producerId: this.producerId,
      producerEpoch: this.producerEpoch,
      lastProducerEpoch: this.lastProducerEpoch,
      txnTimeoutMs: this.txnTimeoutMs,
      topicPartitions: [],
      txnStartTimestamp: this.txnStartTimestamp,
      updateTimestampMs: this.txnLastUpdateTimestamp,
    });
  }

  /**
   * Builds a transit to `newState`, checking what Kafka's prepareTransitionTo checks: no
   * transition in flight, a valid producer id and epoch, and a transition the table allows.
   */
  prepareTransitionTo(newState: TransactionState, f: TransitFields): TxnTransitMetadata {
    assert(
      this.pendingState === undefined,
      () =>
        `${this.transactionalId}: preparing a transition to ${newState} while ${this.pendingState} is pending`,
    );
    assert(f.producerId >= 0, () => `${this.transactionalId}: illegal producer id ${f.producerId}`);
    assert(
      newState === "Dead" || (f.producerEpoch >= 0 && f.producerEpoch <= MAX_PRODUCER_EPOCH),
      () => `${this.transactionalId}: illegal producer epoch ${f.producerEpoch}`,
    );
    assertSafeInt(f.updateTimestampMs, "txnLastUpdateTimestamp");
    assertTransition(this.state, newState, this.transactionalId);
    return {
      producerId: f.producerId,
      lastProducerId: this.producerId,
      producerEpoch: f.producerEpoch,
      lastProducerEpoch: f.lastProducerEpoch,
      txnTimeoutMs: f.txnTimeoutMs,
      txnState: newState,
      topicPartitions: normalizePartitions(f.topicPartitions),
      txnStartTimestamp: f.txnStartTimestamp,
      txnLastUpdateTimestamp: f.updateTimestampMs,
      epochFence: f.epochFence ?? false,
    };
  }

  // ---- applying a transit ----------------------------------------------------------------------

  /** The transit's append to `__transaction_state` has started: the id is busy until it ends. */
  beginTransition(transit: TxnTransitMetadata): void {
    assert(
      this.pendingState === undefined,
      () =>
        `${this.transactionalId}: beginning a transition to ${transit.txnState} while ${this.pendingState} is pending`,
    );
    assert(
      transit.txnState !== "PrepareEpochFence",
      () => `${this.transactionalId}: PrepareEpochFence is never written on its own`,
    );
    assertTransition(this.state, transit.txnState, this.transactionalId);
    this.pendingState = transit.txnState;
  }

  /**
   * The append failed: the id is free again and keeps its state. A failed fence keeps its bumped
   * epoch in memory (Kafka overwrites the epoch before appending), so the fenced producer stays
   * fenced and the next fence does not bump again.
   */
  failTransition(transit: TxnTransitMetadata): void {
    assert(
      this.pendingState === transit.txnState,
      () =>
        `${this.transactionalId}: failing a transition to ${transit.txnState}, pending ${this.pendingState}`,
    );
    this.pendingState = undefined;
    if (transit.epochFence) {
      this.producerEpoch = transit.producerEpoch;
      this.lastProducerEpoch = NO_PRODUCER_EPOCH;
      this.hasFailedEpochFence = true;
    }
  }

  /**
   * The transit is in the log: apply it, after Kafka's checks (a failed check is a bug):
   * the pending state is the transit's; the epoch is the same, one more, or 0 under a new
   * producer id (Empty), or the fence's bump (an epoch-fence PrepareAbort); partitions only grow
   * until the transaction ends; the timeout changes only with InitProducerId; time never goes back.
   */
  completeTransitionTo(transit: TxnTransitMetadata): void {
    const to = transit.txnState;
    const fail = (why: string) => () =>
      `${this.transactionalId}: transition ${this.state} -> ${to} rejected (${why}): ${JSON.stringify(transit)}`;
    assert(this.pendingState === to, fail(`pending state is ${this.pendingState}`));
    assertTransition(this.state, to, this.transactionalId);
    assert(
      transit.txnLastUpdateTimestamp >= this.txnLastUpdateTimestamp,
      fail("update time goes back"),
    );
    switch (to) {
      case "Empty":
        assert(
          transit.producerEpoch === this.producerEpoch || this.isValidEpochBump(transit),
          fail("epoch is neither kept nor bumped"),
        );
        assert(transit.topicPartitions.length === 0, fail("partitions in an Empty transit"));
        assert(transit.txnStartTimestamp === NO_TIMESTAMP, fail("start time in an Empty transit"));
        this.txnTimeoutMs = transit.txnTimeoutMs;
        this.producerEpoch = transit.producerEpoch;
        this.lastProducerEpoch = transit.lastProducerEpoch;
        this.producerId = transit.producerId;
        this.lastProducerId = transit.lastProducerId;
        break;
      case "Ongoing":
        assert(this.isSameProducer(transit), fail("producer id or epoch changed"));
        assert(isSubsetOf(this.topicPartitions, transit.topicPartitions), fail("partitions lost"));
        assert(transit.txnTimeoutMs === this.txnTimeoutMs, fail("timeout changed"));
        this.txnStartTimestamp = transit.txnStartTimestamp;
        this.topicPartitions = transit.topicPartitions;
        break;
      case "PrepareCommit":
      case "PrepareAbort":
        if (transit.epochFence) {
          assert(
            to === "PrepareAbort" && transit.producerId === this.producerId,
            fail("a fence is a PrepareAbort of the same producer id"),
          );
          assert(
            transit.producerEpoch === this.producerEpoch + 1 ||
              (this.hasFailedEpochFence && transit.producerEpoch === this.producerEpoch),
            fail("a fence bumps the epoch by one"),
          );
          this.producerEpoch = transit.producerEpoch;
          this.lastProducerEpoch = transit.lastProducerEpoch;
        } else {
          assert(this.isSameProducer(transit), fail("producer id or epoch changed"));
        }
        assert(
          samePartitions(this.topicPartitions, transit.topicPartitions),
          fail("partitions changed"),
        );
        assert(transit.txnTimeoutMs === this.txnTimeoutMs, fail("timeout changed"));
        assert(transit.txnStartTimestamp === this.txnStartTimestamp, fail("start time changed"));
        // The commit point is in the log: a fence that failed before no longer matters.
        this.hasFailedEpochFence = false;
        break;
      case "CompleteCommit":
      case "CompleteAbort":
        assert(this.isSameProducer(transit), fail("producer id or epoch changed"));
        assert(transit.txnTimeoutMs === this.txnTimeoutMs, fail("timeout changed"));
        assert(transit.txnStartTimestamp !== NO_TIMESTAMP, fail("no start time"));
        this.txnStartTimestamp = transit.txnStartTimestamp;
        this.topicPartitions = [];
        break;
      case "PrepareEpochFence":
        assert(false, fail("PrepareEpochFence is never completed"));
        break;
      case "Dead":
        // The coordinator removes an expired id from its cache instead of completing.
        assert(false, fail("Dead is never completed; remove the metadata instead"));
        break;
    }
    this.txnLastUpdateTimestamp = transit.txnLastUpdateTimestamp;
    this.pendingState = undefined;
    this.state = to;
  }

  private isSameProducer(transit: TxnTransitMetadata): boolean {
    return transit.producerEpoch === this.producerEpoch && transit.producerId === this.producerId;
  }

  private isValidEpochBump(transit: TxnTransitMetadata): boolean {
    return (
      transit.producerEpoch === this.producerEpoch + 1 ||
      (transit.producerEpoch === 0 && transit.producerId !== this.producerId)
    );
  }

  /** The current metadata as a transit-shaped record (Kafka's prepareNoTransit), for snapshots. */
  snapshot(): TxnTransitMetadata {
    return {
      producerId: this.producerId,
      lastProducerId: this.lastProducerId,
      producerEpoch: this.producerEpoch,
      lastProducerEpoch: this.lastProducerEpoch,
      txnTimeoutMs: this.txnTimeoutMs,
      txnState: this.state,
      topicPartitions: this.topicPartitions,
      txnStartTimestamp: this.txnStartTimestamp,
      txnLastUpdateTimestamp: this.txnLastUpdateTimestamp,
      epochFence: false,
    };
  }

  toString(): string {
    const parts = this.topicPartitions.map((tp) => `${tp.topic}-${tp.partition}`).join(",");
    return (
      `TransactionMetadata(transactionalId=${this.transactionalId}, producerId=${this.producerId}, ` +
      `producerEpoch=${this.producerEpoch}, txnTimeoutMs=${this.txnTimeoutMs}, state=${this.state}, ` +
      `pendingState=${this.pendingState ?? "None"}, topicPartitions=[${parts}], ` +
      `txnStartTimestamp=${this.txnStartTimestamp}, txnLastUpdateTimestamp=${this.txnLastUpdateTimestamp})`
    );
  }
}
