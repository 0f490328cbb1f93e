/**
 * The consumer's vocabulary shared by its parts: the history sink it writes to (sim/check's
 * HistoryRecorder fits it structurally; the client layer does not import the checkers), the
 * exceptions the Java consumer throws to its application, and the scripted application.
 *
 * Models nothing itself. Simplifies: exceptions are names, not objects; the application is a
 * script (poll, process for a fixed time per record, maybe commit, poll again), not user code.
 */
import type { KafkaError } from "../../kafka/types.ts";

/** A delivered slice (the shape of sim/check's PollRecord). */
export interface ConsumerPollRecord {
  readonly consumer: string;
  readonly group: string | null;
  readonly generation: number;
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly count: number;
  readonly nextOffset?: number;
  readonly origins?: ReadonlyArray<{ readonly baseOffset: number; readonly sendId: string }>;
  readonly atUs: number;
  readonly isolation: "read_uncommitted" | "read_committed";
  /** Which run of the consumer's process polled it (1, 2, ... after restarts). */
  readonly session?: number;
}

/** An acknowledged commit of one partition (the shape of sim/check's CommitRecord). */
export interface ConsumerCommitRecord {
  readonly group: string;
  readonly consumer: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly atUs: number;
  readonly generation: number;
}

/** A position set by auto.offset.reset or a seek (the shape of sim/check's OffsetReset). */
export interface ConsumerOffsetReset {
  readonly consumer: string;
  readonly group: string | null;
  readonly generation: number;
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly atUs: number;
  readonly strategy: "earliest" | "latest" | "seek" | "truncation";
}

/** A completed rebalance as one member saw it (the shape of sim/check's RebalanceRecord). */
export interface ConsumerRebalanceRecord {
  readonly consumer: string;
  readonly group: string;
  readonly generation: number;
  readonly memberId: string;
  readonly protocol: "EAGER" | "COOPERATIVE";
  readonly assigned: ReadonlyArray<{ readonly topic: string; readonly partition: number }>;
  readonly revoked: ReadonlyArray<{ readonly topic: string; readonly partition: number }>;
  /** From the start of the rejoin (onJoinPrepare) to the assignment, µs. */
  readonly startedAtUs: number;
  readonly atUs: number;
}

/** Where a consumer writes its history: sim/check's HistoryRecorder fits. */
export interface ConsumerHistorySink {
  poll(record: ConsumerPollRecord): void;
  commit(record: ConsumerCommitRecord): void;
  reset(record: ConsumerOffsetReset): void;
  rebalance(record: ConsumerRebalanceRecord): void;
}

/** Exceptions KafkaConsumer throws to the application, by their Java names. */
export type ConsumerException =
  | "NoOffsetForPartitionException"
  | "OffsetOutOfRangeException"
  | "LogTruncationException"
  | "CommitFailedException"
  | "RebalanceInProgressException"
  | "FencedInstanceIdException"
  | "InconsistentGroupProtocolException"
  | "GroupMaxSizeReachedException"
  | "TimeoutException";

/** Non-fatal ones the scripted application catches and carries on after. */
export const RECOVERABLE_EXCEPTIONS: ReadonlySet<ConsumerException> = new Set<ConsumerException>([
  "CommitFailedException",
  "RebalanceInProgressException",
  "TimeoutException",
]);

export interface ThrownException {
  readonly atUs: number;
  readonly exception: ConsumerException;
  readonly topic?: string;
  readonly partition?: number;
  readonly offset?: number;
  readonly error?: KafkaError;
}

/** The scripted application around the consumer. */
export interface ConsumerApplication {
  /** Processing time per record, µs (the loop's own work between polls). Default 0. */
  readonly processingUsPerRecord: number;
  /**
   * sync: the poll thread processes each batch before polling again (the usual loop);
   * async: the batch goes to a worker queue and the poll thread polls again at once (S13).
   */
  readonly mode: "sync" | "async";
  /** Manual commit after each processed batch: none, commitSync or commitAsync. Default none. */
  readonly commit: "none" | "sync" | "async";
  /** The poll(Duration) timeout, ms. Default 100. */
  readonly pollTimeoutMs: number;
  /** async mode: the worker reports progress to the history every this many records. Default 100. */
  readonly workerChunkRecords: number;
  /** Stop polling while the worker queue holds more than this many records (async). Default ∞. */
  readonly maxQueuedRecords: number;
  /** A ConsumerRebalanceListener whose onPartitionsRevoked commits the revoked positions. */
  readonly commitOnRevoke: boolean;
  /**
   * Application code run after each poll (a stream processor's loop), instead of the scripted
   * commit: it gets the polled records (none when the poll timed out empty) and calls `resume`
   * when it is done, with `commit: true` for a commitSync of the positions before the next poll.
   */
  readonly onRecords?: (
    records: readonly PolledRecords[],
    resume: (commit: boolean) => void,
  ) => void;
}

/** One partition's records handed to `onRecords`: their offsets as runs. */
export interface PolledRecords {
  readonly topic: string;
  readonly partition: number;
  readonly runs: ReadonlyArray<{ readonly offset: number; readonly count: number }>;
  /** The position after them. */
  readonly nextOffset: number;
}

export const DEFAULT_APPLICATION: ConsumerApplication = {
  processingUsPerRecord: 0,
  mode: "sync",
  commit: "none",
  pollTimeoutMs: 100,
  workerChunkRecords: 100,
  maxQueuedRecords: Number.MAX_SAFE_INTEGER,
  commitOnRevoke: false,
};

export interface TopicPartitionRef {
  readonly topic: string;
  readonly partition: number;
}
