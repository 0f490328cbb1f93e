/**
 * The states of a transactional id on its transaction coordinator, and which state may follow which
 * (Kafka's `TransactionState` in core/.../coordinator/transaction/TransactionMetadata.scala,
 * reference §5).
 *
 * Models: the eight states with Kafka's names and ids (the id is what `__transaction_state`
 * records hold, the name is what DescribeTransactions and `kafka-transactions.sh` print), each
 * state's set of valid previous states, and which states let a transactional id expire
 * (`transactional.id.expiration.ms`).
 *
 * Simplifies: nothing; a table. Faults: none (pure data and functions). An illegal transition is a
 * bug in the coordinator, never a client error, so `assertTransition` throws SimAssertionError.
 */
import { assert } from "../../engine/assert.ts";

export type TransactionState =
  | "Empty"
  | "Ongoing"
  | "PrepareCommit"
  | "PrepareAbort"
  | "CompleteCommit"
  | "CompleteAbort"
  | "Dead"
  | "PrepareEpochFence";

/** Every state, in the order of Kafka's state ids (0..7). */
export const TRANSACTION_STATES: readonly TransactionState[] = [
  "Empty",
  "Ongoing",
  "PrepareCommit",
  "PrepareAbort",
  "CompleteCommit",
  "CompleteAbort",
  "Dead",
  "PrepareEpochFence",
];

/** The byte Kafka writes for a state in a `__transaction_state` value (`TransactionState.id`). */
export function transactionStateId(state: TransactionState): number {
  return TRANSACTION_STATES.indexOf(state);
}

/** The state of a record's state byte; an unknown byte is a corrupt record (Kafka throws too). */
export function transactionStateFromId(id: number): TransactionState {
  const state = TRANSACTION_STATES[id];
  assert(state !== undefined, () => `unknown transaction state id ${id}`);
  return state;
}

/**
 * "state ← allowed previous states", as in Kafka's `validPreviousStates`:
 * - Empty: a new or re-initialised producer (InitProducerId) after no transaction or a finished one;
 * - Ongoing: AddPartitionsToTxn / AddOffsetsToTxn, starting or extending a transaction;
 * - PrepareCommit / PrepareAbort: EndTxn (the commit point); PrepareAbort also ends an epoch fence;
 * - CompleteCommit / CompleteAbort: every marker written;
 * - Dead: the transactional id expires (only between transactions);
 * - PrepareEpochFence: InitProducerId from a new producer while the old one's transaction is open.
 */
export const VALID_PREVIOUS_STATES: Readonly<
  Record<TransactionState, ReadonlySet<TransactionState>>
> = {
  Empty: new Set<TransactionState>(["Empty", "CompleteCommit", "CompleteAbort"]),
  Ongoing: new Set<TransactionState>(["Ongoing", "Empty", "CompleteCommit", "CompleteAbort"]),
  PrepareCommit: new Set<TransactionState>(["Ongoing"]),
  PrepareAbort: new Set<TransactionState>(["Ongoing", "PrepareEpochFence"]),
  CompleteCommit: new Set<TransactionState>(["PrepareCommit"]),
  CompleteAbort: new Set<TransactionState>(["PrepareAbort"]),
  Dead: new Set<TransactionState>(["Empty", "CompleteAbort", "CompleteCommit"]),
  PrepareEpochFence: new Set<TransactionState>(["Ongoing"]),
};

/** Whether the table allows `to` to follow `from`. */
export function canTransition(from: TransactionState, to: TransactionState): boolean {
  return VALID_PREVIOUS_STATES[to].has(from);
}

/** Asserts the table allows `to` to follow `from` (a coordinator bug otherwise). */
export function assertTransition(
  from: TransactionState,
  to: TransactionState,
  transactionalId = "?",
): void {
  assert(
    canTransition(from, to),
    () =>
      `transactional id ${transactionalId}: illegal transition ${from} -> ${to} ` +
      `(${to} may follow only ${[...VALID_PREVIOUS_STATES[to]].join(", ")})`,
  );
}

/**
 * States in which a transactional id may expire after `transactional.id.expiration.ms` without
 * updates (Kafka's `isExpirationAllowed`): never while a transaction is open.
 */
export function isExpirationAllowed(state: TransactionState): boolean {
  return state === "Empty" || state === "CompleteCommit" || state === "CompleteAbort";
}

/** A transaction is open in these states (Kafka's `hasPendingTransaction`). */
export function hasOpenTransaction(state: TransactionState): boolean {
  return state === "Ongoing" || state === "PrepareCommit" || state === "PrepareAbort";
}
