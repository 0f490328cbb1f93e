/**
 * The KRaft controller's view of the cluster as plain data: broker registrations, topics, partition
 * registrations and configs, and the metadata records (named after KRaft's, in
 * `metadata/src/main/resources/common/metadata/*.json`) that change them. A controller actor appends
 * records to its metadata log and applies them here; brokers replaying the log apply the same
 * records to their own copy.
 *
 * Models: `ClusterControlManager` / `ReplicationControlManager` replay and
 * `PartitionRegistration.merge` (leader epoch +1 when a record sets the leader field, partition
 * epoch +1 on every change record).
 *
 * Simplifies: no directory assignment (JBOD directories are picked by placement.ts), no features,
 * no ACLs, no producer ids, no delegation tokens; a PartitionChangeRecord's absent field means
 * "no change" (Kafka writes null, or -2 = NO_LEADER_CHANGE for the leader). Topic configs are
 * ConfigRecords keyed by topic name, as in KRaft (they may arrive before the TopicRecord).
 * RegisterBrokerRecord carries `uncleanShutdown` (the controller's verdict from
 * previousBrokerEpoch), which KRaft keeps in the controller rather than in the record.
 *
 * Faults: none of its own; it records their effects (fenced, controlled shutdown, unclean
 * shutdown). The image mutates in place for speed (100,000 partitions); clone() gives a snapshot.
 *
 * Also here: helpers that reproduce the iteration order of Java's HashMap/HashSet, because
 * several of Kafka's visible orders (ELR members, racks, the topics of kafka-topics --describe,
 * the Configs list) are the order of a Java hash table, which is deterministic given the keys.
 */
import { assert } from "../../engine/assert.ts";
import type { BrokerId, KafkaError } from "../types.ts";

/** Kafka's `LeaderConstants.NO_LEADER`. */

const NO_CONFIGS: Readonly<Record<string, string>> = Object.freeze({});
export const NO_LEADER = -1;

/** KIP-704: a leader elected uncleanly is RECOVERING until it confirms recovery (AlterPartition). */
export type LeaderRecoveryState = "RECOVERED" | "RECOVERING";

/**
 * Errors the controller returns that `KafkaError` (types.ts) does not list yet. Kafka's names
 * (org.apache.kafka.common.protocol.Errors).
 */
export type ControllerError =
  | KafkaError
  | "INVALID_REQUEST"
  | "INVALID_UPDATE_VERSION"
  | "INVALID_REPLICA_ASSIGNMENT"
  | "NO_REASSIGNMENT_IN_PROGRESS"
  | "UNKNOWN_SERVER_ERROR";

// ---------------------------------------------------------------- state

export interface BrokerRegistration {
  readonly id: BrokerId;
  rack?: string;
  fenced: boolean;
  inControlledShutdown: boolean;
  /** Kafka sets it to the offset of the RegisterBrokerRecord in the metadata log. */
  brokerEpoch: number;
  /** false after an UnregisterBrokerRecord (kept so that views can still name the broker). */
  registered: boolean;
  /** The last registration followed an unclean shutdown (previousBrokerEpoch did not match). */
  lastUncleanShutdown?: boolean;
}

export interface PartitionState {
  /** Assignment order matters: replicas[0] is the preferred leader; elections scan in order. */
  replicas: readonly number[];
  isr: readonly number[];
  /** KIP-966 eligible leader replicas (empty unless ELR is enabled). */
  elr: readonly number[];
  /** Kafka 4.x keeps the last known leader here when the ISR becomes empty (see partition-change.ts). */
  lastKnownElr: readonly number[];
  /** Broker id, or NO_LEADER (-1). */
  leader: number;
  leaderEpoch: number;
  partitionEpoch: number;
  leaderRecoveryState: LeaderRecoveryState;
  addingReplicas: readonly number[];
  removingReplicas: readonly number[];
}

export interface TopicImage {
  readonly name: string;
  /** 22-character base64url Uuid, as Kafka prints it (see deriveTopicId). */
  readonly topicId: string;
  /** Index = partition id. */
  readonly partitions: PartitionState[];
  /** Topic-level config overrides (ConfigRecords of resource type TOPIC); shared with the image. */
  readonly configs: Record<string, string>;
}

// ---------------------------------------------------------------- records

export interface RegisterBrokerRecord {
  readonly type: "RegisterBrokerRecord";
  readonly brokerId: BrokerId;
  readonly brokerEpoch: number;
  readonly rack?: string;
  /** Kafka registers brokers fenced; they unfence on a heartbeat once caught up. Default true. */
  readonly fenced?: boolean;
  readonly inControlledShutdown?: boolean;
  readonly uncleanShutdown?: boolean;
}

export interface UnregisterBrokerRecord {
  readonly type: "UnregisterBrokerRecord";
  readonly brokerId: BrokerId;
  readonly brokerEpoch: number;
}

/** MV 3.3+: fencing and controlled shutdown as changes to a registration. Absent = unchanged. */
export interface BrokerRegistrationChangeRecord {
  readonly type: "BrokerRegistrationChangeRecord";
  readonly brokerId: BrokerId;
  readonly brokerEpoch: number;
  /** true = FENCE, false = UNFENCE, absent = NONE (BrokerRegistrationFencingChange). */
  readonly fenced?: boolean;
  /** true = IN_CONTROLLED_SHUTDOWN, absent = NONE. */
  readonly inControlledShutdown?: boolean;
}

/** Before MV 3.3. */
export interface FenceBrokerRecord {
  readonly type: "FenceBrokerRecord";
  readonly id: BrokerId;
  readonly epoch: number;
}

export interface UnfenceBrokerRecord {
  readonly type: "UnfenceBrokerRecord";
  readonly id: BrokerId;
  readonly epoch: number;
}

export interface TopicRecord {
  readonly type: "TopicRecord";
  readonly name: string;
  readonly topicId: string;
}

export interface PartitionRecord {
  readonly type: "PartitionRecord";
  readonly topicId: string;
  readonly partitionId: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  readonly removingReplicas: readonly number[];
  readonly addingReplicas: readonly number[];
  readonly leader: number;
  readonly leaderRecoveryState: LeaderRecoveryState;
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
  readonly eligibleLeaderReplicas?: readonly number[];
  readonly lastKnownElr?: readonly number[];
}

/** Absent fields are unchanged. Setting `leader` (even to the same broker) bumps the leader epoch. */
export interface PartitionChangeRecord {
  readonly type: "PartitionChangeRecord";
  readonly topicId: string;
  readonly partitionId: number;
  readonly isr?: readonly number[];
  readonly leader?: number;
  readonly replicas?: readonly number[];
  readonly removingReplicas?: readonly number[];
  readonly addingReplicas?: readonly number[];
  readonly leaderRecoveryState?: LeaderRecoveryState;
  readonly eligibleLeaderReplicas?: readonly number[];
  readonly lastKnownElr?: readonly number[];
}

export interface RemoveTopicRecord {
  readonly type: "RemoveTopicRecord";
  readonly topicId: string;
}

export interface ConfigRecord {
  readonly type: "ConfigRecord";
  readonly resourceType: "TOPIC" | "BROKER";
  /** Topic name, broker id as text, or "" for the cluster-wide broker default. */
  readonly resourceName: string;
  readonly name: string;
  /** null deletes the entry. */
  readonly value: string | null;
}

export type MetadataRecord =
  | RegisterBrokerRecord
  | UnregisterBrokerRecord
  | BrokerRegistrationChangeRecord
  | FenceBrokerRecord
  | UnfenceBrokerRecord
  | TopicRecord
  | PartitionRecord
  | PartitionChangeRecord
  | RemoveTopicRecord
  | ConfigRecord;

// ---------------------------------------------------------------- the image

function configKey(resourceType: ConfigRecord["resourceType"], resourceName: string): string {
  return `${resourceType}:${resourceName}`;
}

export class MetadataImage {
  /** Broker registrations by id (insertion order; use sortedBrokerIds() to iterate in id order). */
  readonly brokers = new Map<BrokerId, BrokerRegistration>();
  /** Topics by topic id, in creation order. */
  readonly topics = new Map<string, TopicImage>();
  private readonly topicIdsByName = new Map<string, string>();
  /** Config entries by resource ("TOPIC:orders", "BROKER:1", "BROKER:" for the default). */
  private readonly configsByResource = new Map<string, Record<string, string>>();

  apply(record: MetadataRecord): void {
    switch (record.type) {
      case "RegisterBrokerRecord":
        this.brokers.set(record.brokerId, {
          id: record.brokerId,
          ...(record.rack === undefined ? {} : { rack: record.rack }),
          fenced: record.fenced ?? true,
          inControlledShutdown: record.inControlledShutdown ?? false,
          brokerEpoch: record.brokerEpoch,
          registered: true,
          lastUncleanShutdown: record.uncleanShutdown ?? false,
        });
        return;
      case "UnregisterBrokerRecord": {
        const broker = this.registeredBroker(record.brokerId, record.brokerEpoch);
        broker.registered = false;
        broker.fenced = true;
        return;
      }
      case "BrokerRegistrationChangeRecord": {
        const broker = this.registeredBroker(record.brokerId, record.brokerEpoch);
        if (record.fenced !== undefined) broker.fenced = record.fenced;
        if (record.inControlledShutdown === true) broker.inControlledShutdown = true;
        return;
      }
      case "FenceBrokerRecord":
        this.registeredBroker(record.id, record.epoch).fenced = true;
        return;
      case "UnfenceBrokerRecord":
        this.registeredBroker(record.id, record.epoch).fenced = false;
        return;
      case "TopicRecord":
        this.applyTopic(record);
        return;
      case "PartitionRecord":
        this.applyPartition(record);
        return;
      case "PartitionChangeRecord": {
        const partition = this.topicPartition(record.topicId, record.partitionId);
        mergePartitionChange(partition, record);
        return;
      }
      case "RemoveTopicRecord": {
        const topic = this.topics.get(record.topicId);
        assert(
          topic !== undefined,
          () => `RemoveTopicRecord for unknown topic id ${record.topicId}`,
        );
        this.topics.delete(record.topicId);
        this.topicIdsByName.delete(topic.name);
        // Kafka deletes the topic's configs with the topic (ConfigurationControlManager).
        this.configsByResource.delete(configKey("TOPIC", topic.name));
        return;
      }
      case "ConfigRecord": {
        const entries = this.mutableConfigsOf(record.resourceType, record.resourceName);
        if (record.value === null) delete entries[record.name];
        else entries[record.name] = record.value;
        return;
      }
    }
  }

  /** A deep copy: applying records to the copy leaves this image untouched. */
  clone(): MetadataImage {
    const copy = new MetadataImage();
    for (const [id, broker] of this.brokers) copy.brokers.set(id, { ...broker });
    for (const [key, entries] of this.configsByResource) {
      copy.configsByResource.set(key, { ...entries });
    }
    for (const [topicId, topic] of this.topics) {
      copy.topics.set(topicId, {
        name: topic.name,
        topicId: topic.topicId,
        partitions: topic.partitions.map(clonePartition),
        configs: copy.mutableConfigsOf("TOPIC", topic.name),
      });
      copy.topicIdsByName.set(topic.name, topicId);
    }
    return copy;
  }

  topicByName(name: string): TopicImage | undefined {
    const topicId = this.topicIdsByName.get(name);
    return topicId === undefined ? undefined : this.topics.get(topicId);
  }

  partition(topicName: string, partitionId: number): PartitionState | undefined {
    return this.topicByName(topicName)?.partitions[partitionId];
  }

  /** Topic names in ascending order (the order Kafka's tools list them). */
  sortedTopicNames(): string[] {
    return [...this.topicIdsByName.keys()].sort(compareJavaStrings);
  }

  sortedBrokerIds(): BrokerId[] {
    return [...this.brokers.keys()].sort((a, b) => a - b);
  }

  /** `ClusterControlManager.isActive`: registered, unfenced and not in controlled shutdown. */
  isActive(brokerId: BrokerId): boolean {
    const broker = this.brokers.get(brokerId);
    return broker?.registered === true && !broker.fenced && !broker.inControlledShutdown;
  }

  /**
   * Config entries of a resource, read-only: a resource without any is answered with an empty
   * object and left absent (a tool's read never changes the image).
   */
  configsOf(
    resourceType: ConfigRecord["resourceType"],
    resourceName: string,
  ): Readonly<Record<string, string>> {
    return this.configsByResource.get(configKey(resourceType, resourceName)) ?? NO_CONFIGS;
  }

  /** Config entries of a resource to change (created empty on first use; the object stays shared). */
  private mutableConfigsOf(
    resourceType: ConfigRecord["resourceType"],
    resourceName: string,
  ): Record<string, string> {
    const key = configKey(resourceType, resourceName);
    let entries = this.configsByResource.get(key);
    if (entries === undefined) {
      entries = {};
      this.configsByResource.set(key, entries);
    }
    return entries;
  }

  /** Every partition, topics in creation order, partitions by id. */
  forEachPartition(
    visit: (topic: TopicImage, partitionId: number, state: PartitionState) => void,
  ): void {
    for (const topic of this.topics.values()) {
      for (let p = 0; p < topic.partitions.length; p++) {
        visit(topic, p, topic.partitions[p] as PartitionState);
      }
    }
  }

  private registeredBroker(brokerId: BrokerId, brokerEpoch: number): BrokerRegistration {
    const broker = this.brokers.get(brokerId);
    assert(broker !== undefined, () => `no registration for broker ${brokerId}`);
    assert(
      broker.brokerEpoch === brokerEpoch,
      () => `broker ${brokerId} epoch is ${broker.brokerEpoch}, record says ${brokerEpoch}`,
    );
    return broker;
  }

  private applyTopic(record: TopicRecord): void {
    assert(!this.topicIdsByName.has(record.name), () => `duplicate TopicRecord for ${record.name}`);
    assert(!this.topics.has(record.topicId), () => `duplicate topic id ${record.topicId}`);
    this.topics.set(record.topicId, {
      name: record.name,
      topicId: record.topicId,
      partitions: [],
      configs: this.mutableConfigsOf("TOPIC", record.name),
    });
    this.topicIdsByName.set(record.name, record.topicId);
  }

  private applyPartition(record: PartitionRecord): void {
    const topic = this.topics.get(record.topicId);
    assert(topic !== undefined, () => `PartitionRecord for unknown topic id ${record.topicId}`);
    assert(
      record.partitionId >= 0 && record.partitionId <= topic.partitions.length,
      () => `PartitionRecord ${topic.name}-${record.partitionId} leaves a gap`,
    );
    // The record's lists are shared, not copied: every broker applies the same records, and
    // replica lists are only ever replaced, never changed in place (they are readonly).
    topic.partitions[record.partitionId] = {
      replicas: shared(record.replicas),
      isr: shared(record.isr),
      elr: shared(record.eligibleLeaderReplicas ?? NO_REPLICAS),
      lastKnownElr: shared(record.lastKnownElr ?? NO_REPLICAS),
      leader: record.leader,
      leaderEpoch: record.leaderEpoch,
      partitionEpoch: record.partitionEpoch,
      leaderRecoveryState: record.leaderRecoveryState,
      addingReplicas: shared(record.addingReplicas),
      removingReplicas: shared(record.removingReplicas),
    };
  }

  private topicPartition(topicId: string, partitionId: number): PartitionState {
    const topic = this.topics.get(topicId);
    assert(topic !== undefined, () => `PartitionChangeRecord for unknown topic id ${topicId}`);
    const partition = topic.partitions[partitionId];
    assert(
      partition !== undefined,
      () => `PartitionChangeRecord for unknown ${topic.name}-${partitionId}`,
    );
    return partition;
  }
}

/** The brief's functional form: applies `record` to `image` in place and returns the image. */
export function applyRecord(image: MetadataImage, record: MetadataRecord): MetadataImage {
  image.apply(record);
  return image;
}

/** The empty replica list every partition without ELR, adding or removing replicas shares. */
const NO_REPLICAS: readonly number[] = Object.freeze([]);

/** Lists in partition states are readonly and shared; an empty one is always NO_REPLICAS. */
function shared(list: readonly number[]): readonly number[] {
  return list.length === 0 ? NO_REPLICAS : list;
}

/** A copy of the state whose lists may be shared (they are readonly). */
export function clonePartition(state: PartitionState): PartitionState {
  return { ...state };
}

/**
 * `PartitionRegistration.merge`, in place: absent fields are unchanged; a `leader` field (even the
 * same broker) bumps the leader epoch; every change record bumps the partition epoch.
 */
export function mergePartitionChange(
  state: PartitionState,
  change: Omit<PartitionChangeRecord, "type" | "topicId" | "partitionId">,
): void {
  if (change.replicas !== undefined) state.replicas = shared(change.replicas);
  if (change.isr !== undefined) state.isr = shared(change.isr);
  if (change.removingReplicas !== undefined)
    state.removingReplicas = shared(change.removingReplicas);
  if (change.addingReplicas !== undefined) state.addingReplicas = shared(change.addingReplicas);
  if (change.leader !== undefined) {
    state.leader = change.leader;
    state.leaderEpoch += 1;
  }
  if (change.leaderRecoveryState !== undefined)
    state.leaderRecoveryState = change.leaderRecoveryState;
  if (change.eligibleLeaderReplicas !== undefined)
    state.elr = shared(change.eligibleLeaderReplicas);
  if (change.lastKnownElr !== undefined) state.lastKnownElr = shared(change.lastKnownElr);
  state.partitionEpoch += 1;
  assert(Number.isSafeInteger(state.partitionEpoch), "partition epoch overflow");
}

// ---------------------------------------------------------------- topic ids

const BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** murmur3's 32-bit finalizer: spreads every input bit over the output. */
function fmix32(value: number): number {
  let h = value | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function hashWord(name: string, counter: number, lane: number, salt: number): number {
  let h = fmix32(Math.imul(lane + 1, 0x9e3779b9) ^ salt);
  for (let i = 0; i < name.length; i++) h = fmix32(h ^ name.charCodeAt(i));
  h = fmix32(h ^ counter);
  return fmix32(h ^ Math.imul(counter >>> 16, 0x27d4eb2d));
}

function base64UrlNoPadding(bytes: readonly number[]): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const b0 = bytes[i] ?? 0;
    const b1 = bytes[i + 1] ?? 0;
    const b2 = bytes[i + 2] ?? 0;
    const n = (b0 << 16) | (b1 << 8) | b2;
    const left = bytes.length - i;
    out += BASE64URL[(n >>> 18) & 63];
    out += BASE64URL[(n >>> 12) & 63];
    if (left > 1) out += BASE64URL[(n >>> 6) & 63];
    if (left > 2) out += BASE64URL[n & 63];
  }
  return out;
}

/**
 * A topic id in Kafka's printed form (16 bytes, base64url without padding: 22 characters), derived
 * from the topic name and a counter the controller keeps (for example the number of topics it has
 * created), so that recreating a topic gives it a new id. Kafka draws a random Uuid; like
 * `Uuid.randomUuid` we never return the zero id or one whose text starts with '-'.
 */
export function deriveTopicId(name: string, counter: number): string {
  assert(Number.isSafeInteger(counter) && counter >= 0, () => `bad topic id counter ${counter}`);
  for (let salt = 0; ; salt++) {
    const bytes: number[] = [];
    let allZero = true;
    for (let lane = 0; lane < 4; lane++) {
      const word = hashWord(name, counter, lane, salt);
      if (word !== 0) allZero = false;
      bytes.push((word >>> 24) & 255, (word >>> 16) & 255, (word >>> 8) & 255, word & 255);
    }
    const text = base64UrlNoPadding(bytes);
    if (!allZero && !text.startsWith("-")) return text;
    assert(salt < 64, "deriveTopicId: no acceptable id in 64 salts");
  }
}

// ---------------------------------------------------------------- Java collection orders

/** `String.hashCode` (UTF-16 code units, 32-bit wrap-around). */
export function javaStringHash(text: string): number {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (Math.imul(h, 31) + text.charCodeAt(i)) | 0;
  return h;
}

/** `String.compareTo`: by UTF-16 code unit, which is also what `<` does on JS strings. */
export function compareJavaStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function tableSizeFor(capacity: number): number {
  let size = 1;
  while (size < capacity) size *= 2;
  return size;
}

/**
 * The table length of a `java.util.HashMap` after `entryCount` distinct insertions.
 * `initialCapacity` undefined = `new HashMap<>()`; otherwise `new HashMap<>(initialCapacity)`.
 * (Ignores treeification of long chains, which needs 8 colliding keys in one bucket.)
 */
export function javaHashMapCapacity(entryCount: number, initialCapacity?: number): number {
  let capacity: number;
  let threshold: number;
  if (initialCapacity === undefined) {
    capacity = 16;
    threshold = 12;
  } else {
    capacity = tableSizeFor(initialCapacity);
    threshold = Math.floor(capacity * 0.75);
  }
  for (let size = 1; size <= entryCount; size++) {
    if (size > threshold) {
      const grown = capacity * 2;
      // HashMap.resize: thresholds double once the table reached the default 16.
      threshold = capacity >= 16 ? threshold * 2 : Math.floor(grown * 0.75);
      capacity = grown;
    }
  }
  return capacity;
}

/** `new HashSet<>(collection)` sizes its map to max(size / 0.75 + 1, 16). */
export function javaHashSetInitialCapacity(collectionSize: number): number {
  return Math.max(Math.floor(collectionSize / 0.75) + 1, 16);
}

/**
 * The iteration order of a Java HashMap/HashSet whose keys were inserted in `keys` order (repeats
 * ignored, as a set would), given the table length: by bucket `spread(hash) & (capacity - 1)`,
 * and within a bucket by insertion order (resizes keep relative order).
 */
export function javaHashOrder<K>(
  keys: readonly K[],
  hashOf: (key: K) => number,
  capacity: number,
): K[] {
  const seen = new Set<K>();
  const entries: { key: K; bucket: number; index: number }[] = [];
  for (const key of keys) {
    if (seen.has(key)) continue;
    seen.add(key);
    const h = hashOf(key) | 0;
    entries.push({ key, bucket: (h ^ (h >>> 16)) & (capacity - 1), index: entries.length });
  }
  entries.sort((a, b) => a.bucket - b.bucket || a.index - b.index);
  return entries.map((entry) => entry.key);
}

/** `Integer.hashCode` is the value itself. */
export function javaIntegerHash(value: number): number {
  return value | 0;
}
