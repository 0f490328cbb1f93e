/**
 * How Kafka's admin client turns an error code into a Java exception, and how the tools print
 * one: `org.apache.kafka.common.errors.TopicExistsException: Topic 'x' already exists.` (the class,
 * then the broker's message, or the error's default message when the broker sent none; from
 * clients/src/main/java/org/apache/kafka/common/protocol/Errors.java). Also the log4j line the
 * tools write to stderr (config/tools-log4j: `[%d] %p %m (%c)%n`), stamped with virtual time.
 *
 * Simplifies: the timestamp is the run's virtual clock read as a date from 1970-01-01 00:00:00 UTC
 * (the simulator has no wall clock); ApiExceptions carry no stack trace in Kafka either, so a
 * logged one is its first line only.
 */
import type { ControlError } from "../kafka/protocol-control.ts";

const ERRORS_PACKAGE = "org.apache.kafka.common.errors";

/**
 * Error code → exception class (simple name) and Errors.java's default message: the admin
 * client's errors and those a producer's send can fail with.
 */
const EXCEPTIONS: Readonly<Record<string, readonly [string, string]>> = {
  GROUP_NOT_EMPTY: ["GroupNotEmptyException", "The group is not empty."],
  GROUP_ID_NOT_FOUND: ["GroupIdNotFoundException", "The group id does not exist."],
  NOT_COORDINATOR: ["NotCoordinatorException", "This is not the correct coordinator."],
  COORDINATOR_NOT_AVAILABLE: [
    "CoordinatorNotAvailableException",
    "The coordinator is not available.",
  ],
  COORDINATOR_LOAD_IN_PROGRESS: [
    "CoordinatorLoadInProgressException",
    "The coordinator is loading and hence can't process requests.",
  ],
  NOT_ENOUGH_REPLICAS: [
    "NotEnoughReplicasException",
    "Messages are rejected since there are fewer in-sync replicas than required.",
  ],
  NOT_ENOUGH_REPLICAS_AFTER_APPEND: [
    "NotEnoughReplicasAfterAppendException",
    "Messages are written to the log, but to fewer in-sync replicas than required.",
  ],
  NETWORK_EXCEPTION: [
    "NetworkException",
    "The server disconnected before a response was received.",
  ],
  OUT_OF_ORDER_SEQUENCE_NUMBER: [
    "OutOfOrderSequenceException",
    "The broker received an out of order sequence number.",
  ],
  INVALID_PRODUCER_EPOCH: [
    "InvalidProducerEpochException",
    "Producer attempted to produce with an old epoch.",
  ],
  CORRUPT_MESSAGE: [
    "CorruptRecordException",
    "This message has failed its CRC checksum, exceeds the valid size, has a null key for a compacted topic, or is otherwise corrupt.",
  ],
  TOPIC_ALREADY_EXISTS: ["TopicExistsException", "Topic with this name already exists."],
  INVALID_REPLICATION_FACTOR: [
    "InvalidReplicationFactorException",
    "Replication factor is below 1 or larger than the number of available brokers.",
  ],
  INVALID_PARTITIONS: ["InvalidPartitionsException", "Number of partitions is below 1."],
  INVALID_CONFIG: ["InvalidConfigurationException", "Configuration is invalid."],
  INVALID_REPLICA_ASSIGNMENT: [
    "InvalidReplicaAssignmentException",
    "Replica assignment is invalid.",
  ],
  INVALID_REQUEST: [
    "InvalidRequestException",
    "This most likely occurs because of a request being malformed by the client library or the message was sent to an incompatible broker. See the broker logs for more details.",
  ],
  INVALID_TOPIC_EXCEPTION: [
    "InvalidTopicException",
    "The request attempted to perform an operation on an invalid topic.",
  ],
  UNKNOWN_TOPIC_OR_PARTITION: [
    "UnknownTopicOrPartitionException",
    "This server does not host this topic-partition.",
  ],
  TOPIC_DELETION_DISABLED: ["TopicDeletionDisabledException", "Topic deletion is disabled."],
  POLICY_VIOLATION: [
    "PolicyViolationException",
    "Request parameters do not satisfy the configured policy.",
  ],
  REQUEST_TIMED_OUT: ["TimeoutException", "The request timed out."],
  NOT_CONTROLLER: [
    "NotControllerException",
    "This is not the correct controller for this cluster.",
  ],
  PREFERRED_LEADER_NOT_AVAILABLE: [
    "PreferredLeaderNotAvailableException",
    "The preferred leader was not available.",
  ],
  ELIGIBLE_LEADERS_NOT_AVAILABLE: [
    "EligibleLeadersNotAvailableException",
    "Eligible topic partition leaders are not available.",
  ],
  ELECTION_NOT_NEEDED: [
    "ElectionNotNeededException",
    "Leader election not needed for topic partition.",
  ],
  NO_REASSIGNMENT_IN_PROGRESS: [
    "NoReassignmentInProgressException",
    "No partition reassignment is in progress.",
  ],
  NOT_LEADER_OR_FOLLOWER: [
    "NotLeaderOrFollowerException",
    "For requests intended only for the leader, this error indicates that the broker is not the current leader. For requests intended for any replica, this error indicates that the broker is not a replica of the topic partition.",
  ],
  LEADER_NOT_AVAILABLE: [
    "LeaderNotAvailableException",
    "There is no leader for this topic-partition as we are in the middle of a leadership election.",
  ],
  FENCED_LEADER_EPOCH: [
    "FencedLeaderEpochException",
    "The leader epoch in the request is older than the epoch on the broker.",
  ],
  UNKNOWN_LEADER_EPOCH: [
    "UnknownLeaderEpochException",
    "The leader epoch in the request is newer than the epoch on the broker.",
  ],
  KAFKA_STORAGE_ERROR: [
    "KafkaStorageException",
    "Disk error when trying to access log file on the disk.",
  ],
  UNKNOWN_SERVER_ERROR: [
    "UnknownServerException",
    "The server experienced an unexpected error when processing the request.",
  ],
};

/** `Class: message` (simple class name) for an error code this table knows, else undefined. */
export function knownExceptionText(error: string): string | undefined {
  const known = EXCEPTIONS[error];
  return known === undefined ? undefined : `${known[0]}: ${known[1]}`;
}

/** The exception's class, fully qualified (UnknownServerException for codes not listed). */
export function exceptionClass(error: ControlError | "REQUEST_TIMED_OUT"): string {
  return `${ERRORS_PACKAGE}.${EXCEPTIONS[error]?.[0] ?? "UnknownServerException"}`;
}

/** The exception's message: the broker's, or Errors.java's default when it sent none. */
export function exceptionMessage(
  error: ControlError | "REQUEST_TIMED_OUT",
  message: string,
): string {
  if (message !== "") return message;
  return EXCEPTIONS[error]?.[1] ?? `The server experienced an unexpected error (${error}).`;
}

/** `Throwable.toString()`: `class: message`. */
export function exceptionText(error: ControlError | "REQUEST_TIMED_OUT", message: string): string {
  return `${exceptionClass(error)}: ${exceptionMessage(error, message)}`;
}

/** The admin client's own timeout, when no controller answered in default.api.timeout.ms. */
export function adminTimeoutMessage(call: string): string {
  return `Timed out waiting for a node assignment. Call: ${call}`;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

/** `yyyy-MM-dd HH:mm:ss,SSS` of a virtual time, read as UTC from the epoch. */
export function log4jTimestamp(nowUs: number): string {
  const totalMs = Math.floor(nowUs / 1000);
  const ms = totalMs % 1000;
  const totalS = (totalMs - ms) / 1000;
  const s = totalS % 60;
  const m = ((totalS - s) / 60) % 60;
  const h = ((totalS - s - m * 60) / 3600) % 24;
  const days = (totalS - s - m * 60 - h * 3600) / 86400;
  // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm, integer arithmetic).
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)} ${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)},${pad(ms, 3)}`;
}

/** One log4j ERROR record as the tools print it on stderr: the message, then ` (logger)`. */
export function log4jError(nowUs: number, message: string, logger: string): string {
  return `[${log4jTimestamp(nowUs)}] ERROR ${message} (${logger})\n`;
}
