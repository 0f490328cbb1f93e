/**
 * Where new partitions' replicas go when the user gives no assignment, and which log directory a
 * broker puts a new replica in.
 *
 * Models two of Kafka's placers, both reproducing Kafka's own test vectors:
 * - `assignReplicasToBrokers`: the classic AdminUtils algorithm (ZooKeeper-era controller and
 *   `kafka-topics --zookeeper`; server-common/.../admin/AdminUtils.java). Without racks the first
 *   replica of partition p is brokers[(startIndex + p) % n] and followers are shifted by
 *   `nextReplicaShift`, which grows by one every n partitions; with racks, the same round robin
 *   runs over a rack-alternated broker list and skips brokers whose rack already has a replica.
 * - `placeReplicasStriped`: KRaft's `StripedReplicaPlacer` (racks round robin with a per-rack
 *   broker round robin, unfenced brokers first, leader never fenced, reshuffle after each full
 *   round; later partitions of a topic continue from the existing assignment).
 * - `pickLogDir`: `LogManager.nextLogDirs` for JBOD, the directory holding the fewest partitions.
 *
 * Determinism: Kafka draws the start index, the shift, the striped offsets and shuffles from
 * `java.util.Random`. Here every draw goes through a `PlacementRng` passed in (an RngStream from
 * sim/engine/rng.ts fits; `intBetween(0, n - 1)` stands for Java's `nextInt(n)`, called in
 * Kafka's order, so a Java-Random adapter reproduces Kafka's placements exactly). With no rng,
 * AdminUtils' start index and shift are 0, and the striped placer uses FIXED_ZERO_RNG.
 *
 * Simplifies: no rack-aware "safe" mode fallback (ZooKeeper's RackAwareMode.Safe); JBOD ties go to
 * the first directory listed (Kafka: whatever order its map gives).
 */
import { assert } from "../../engine/assert.ts";
import type { BrokerId } from "../types.ts";
import {
  type ControllerError,
  compareJavaStrings,
  javaHashMapCapacity,
  javaHashOrder,
  javaStringHash,
} from "./image.ts";

/** A source of uniform integers, both bounds included (sim/engine/rng.ts RngStream has it). */
export interface PlacementRng {
  intBetween(lo: number, hi: number): number;
}

/** Always the lowest value: Kafka's fixed start index 0, and a striped placement without chance. */
export const FIXED_ZERO_RNG: PlacementRng = { intBetween: (lo: number) => lo };

export interface BrokerPlacementInfo {
  readonly id: BrokerId;
  readonly rack?: string;
  /** Only the striped placer looks at fencing. */
  readonly fenced?: boolean;
}

/** assignments[i] = replicas of partition startPartitionId + i, leader first. */
export type PlacementResult =
  | { readonly ok: true; readonly assignments: number[][] }
  | { readonly ok: false; readonly error: ControllerError; readonly message: string };

function failure(error: ControllerError, message: string): PlacementResult {
  return { ok: false, error, message };
}

// ---------------------------------------------------------------- AdminUtils

export interface AssignReplicasOptions {
  /** Kafka's fixedStartIndex (the tests pass 0); drawn from rng when absent, else 0. */
  readonly startIndex?: number;
  /** Kafka sets it equal to fixedStartIndex; drawn from rng (after startIndex) when absent, else 0. */
  readonly nextReplicaShift?: number;
  /** First partition id to assign (adding partitions to an existing topic). */
  readonly startPartitionId?: number;
  readonly rng?: PlacementRng;
}

/** `AdminUtils.replicaIndex`: the follower j of a partition, shifted so followers spread out. */
function replicaIndex(
  first: number,
  secondReplicaShift: number,
  j: number,
  nBrokers: number,
): number {
  const shift = 1 + ((secondReplicaShift + j) % (nBrokers - 1));
  return (first + shift) % nBrokers;
}

/**
 * `AdminUtils.getRackAlternatedBrokerList`: racks in name order, each rack's brokers in id order,
 * taken one per rack in turn ({0:r1, 1:r3, 2:r3, 3:r2, 4:r2, 5:r1} gives 0, 3, 1, 5, 4, 2).
 */
export function rackAlternatedBrokerList(brokerRacks: ReadonlyMap<BrokerId, string>): BrokerId[] {
  const byRack = new Map<string, BrokerId[]>();
  for (const [id, rack] of brokerRacks) {
    const ids = byRack.get(rack) ?? [];
    ids.push(id);
    byRack.set(rack, ids);
  }
  const racks = [...byRack.keys()].sort(compareJavaStrings);
  const queues = racks.map((rack) => (byRack.get(rack) as BrokerId[]).sort((a, b) => a - b));
  const result: BrokerId[] = [];
  const taken = queues.map(() => 0);
  for (
    let rackIndex = 0;
    result.length < brokerRacks.size;
    rackIndex = (rackIndex + 1) % racks.length
  ) {
    const queue = queues[rackIndex] as BrokerId[];
    const next = taken[rackIndex] as number;
    if (next < queue.length) {
      result.push(queue[next] as BrokerId);
      taken[rackIndex] = next + 1;
    }
  }
  return result;
}

/**
 * `AdminUtils.assignReplicasToBrokers`. `brokers` in the order Kafka's callers pass them (sorted
 * by id). Rack-aware when every broker has a rack; an error when only some do.
 */
export function assignReplicasToBrokers(
  brokers: readonly BrokerPlacementInfo[],
  nPartitions: number,
  replicationFactor: number,
  options: AssignReplicasOptions = {},
): PlacementResult {
  if (nPartitions <= 0)
    return failure("INVALID_PARTITIONS", "Number of partitions must be larger than 0.");
  if (replicationFactor <= 0) {
    return failure("INVALID_REPLICATION_FACTOR", "Replication factor must be larger than 0.");
  }
  if (replicationFactor > brokers.length) {
    return failure(
      "INVALID_REPLICATION_FACTOR",
      `Replication factor: ${replicationFactor} larger than available brokers: ${brokers.length}.`,
    );
  }
  const withRack = brokers.filter((broker) => broker.rack !== undefined).length;
  if (withRack > 0 && withRack < brokers.length) {
    // AdminOperationException is not an API exception: the broker reports UNKNOWN_SERVER_ERROR.
    return failure(
      "UNKNOWN_SERVER_ERROR",
      "Not all brokers have rack information for replica rack aware assignment.",
    );
  }
  const racks =
    withRack === 0 ? null : new Map(brokers.map((broker) => [broker.id, broker.rack as string]));
  const arranged =
    racks === null ? brokers.map((broker) => broker.id) : rackAlternatedBrokerList(racks);
  const n = arranged.length;
  const rng = options.rng;
  const startIndex = options.startIndex ?? (rng === undefined ? 0 : rng.intBetween(0, n - 1));
  let shift = options.nextReplicaShift ?? (rng === undefined ? 0 : rng.intBetween(0, n - 1));
  let partitionId = Math.max(0, options.startPartitionId ?? 0);
  const numRacks = racks === null ? 0 : new Set(racks.values()).size;
  const assignments: number[][] = [];
  for (let i = 0; i < nPartitions; i++, partitionId++) {
    if (partitionId > 0 && partitionId % n === 0) shift += 1;
    const first = (partitionId + startIndex) % n;
    assignments.push(
      racks === null
        ? rackUnawareReplicas(arranged, first, shift, replicationFactor)
        : rackAwareReplicas(arranged, racks, numRacks, first, shift, replicationFactor),
    );
  }
  return { ok: true, assignments };
}

function rackUnawareReplicas(
  arranged: readonly BrokerId[],
  first: number,
  shift: number,
  replicationFactor: number,
): number[] {
  const replicas = [arranged[first] as BrokerId];
  for (let j = 0; j < replicationFactor - 1; j++) {
    replicas.push(arranged[replicaIndex(first, shift, j, arranged.length)] as BrokerId);
  }
  return replicas;
}

function rackAwareReplicas(
  arranged: readonly BrokerId[],
  racks: ReadonlyMap<BrokerId, string>,
  numRacks: number,
  first: number,
  shift: number,
  replicationFactor: number,
): number[] {
  const n = arranged.length;
  const leader = arranged[first] as BrokerId;
  const replicas = [leader];
  const racksWithReplicas = new Set([racks.get(leader)]);
  const brokersWithReplicas = new Set([leader]);
  let k = 0;
  for (let j = 0; j < replicationFactor - 1; j++) {
    // Each pass of k visits every broker once, so n passes always find one (bounded loop).
    for (let attempts = 0; ; attempts++) {
      assert(attempts <= n * n, "rack-aware assignment found no broker");
      const broker = arranged[replicaIndex(first, shift * numRacks, k, n)] as BrokerId;
      const rack = racks.get(broker);
      k += 1;
      // Skip a broker whose rack already has a replica while some rack has none, and a broker
      // that already has one while some broker has none.
      const rackOk = !racksWithReplicas.has(rack) || racksWithReplicas.size === numRacks;
      const brokerOk = !brokersWithReplicas.has(broker) || brokersWithReplicas.size === n;
      if (rackOk && brokerOk) {
        replicas.push(broker);
        racksWithReplicas.add(rack);
        brokersWithReplicas.add(broker);
        break;
      }
    }
  }
  return replicas;
}

// ---------------------------------------------------------------- StripedReplicaPlacer

/** `Collections.shuffle(list, random)`: for i from size down to 2, swap(i - 1, nextInt(i)). */
function javaShuffle<T>(items: T[], rng: PlacementRng): void {
  for (let i = items.length; i > 1; i--) {
    const j = rng.intBetween(0, i - 1);
    const held = items[i - 1] as T;
    items[i - 1] = items[j] as T;
    items[j] = held;
  }
}

/** A broker list iterated round robin from an offset that advances with each iteration epoch. */
class BrokerList {
  readonly brokers: BrokerId[] = [];
  private index = 0;
  private offset = 0;
  private epoch = 0;

  initializeRandom(rng: PlacementRng): void {
    if (this.brokers.length === 0) return;
    this.brokers.sort((a, b) => a - b);
    this.offset = rng.intBetween(0, this.brokers.length - 1);
  }

  initializeAfter(previousOffset: number): void {
    if (this.brokers.length === 0) return;
    this.brokers.sort((a, b) => a - b);
    this.offset = (previousOffset + 1) % this.brokers.length;
  }

  shuffle(rng: PlacementRng): void {
    javaShuffle(this.brokers, rng);
  }

  /** The next broker of this epoch, or -1 when the epoch has seen them all. */
  next(epoch: number): BrokerId {
    const size = this.brokers.length;
    if (size === 0) return -1;
    if (this.epoch !== epoch) {
      this.epoch = epoch;
      this.index = 0;
      this.offset = (this.offset + 1) % size;
    }
    if (this.index >= size) return -1;
    const broker = this.brokers[(this.index + this.offset) % size] as BrokerId;
    this.index++;
    return broker;
  }
}

class Rack {
  readonly fenced = new BrokerList();
  readonly unfenced = new BrokerList();

  nextUnfenced(epoch: number): BrokerId {
    return this.unfenced.next(epoch);
  }

  next(epoch: number): BrokerId {
    const result = this.unfenced.next(epoch);
    return result >= 0 ? result : this.fenced.next(epoch);
  }
}

/** A rack name, or undefined for Kafka's Optional.empty() (brokers without a rack). */
type RackName = string | undefined;

function rackHash(rack: RackName): number {
  return rack === undefined ? 0 : javaStringHash(rack);
}

/** `OptionalStringComparator`: no rack first, then by name. */
function compareRacks(a: RackName, b: RackName): number {
  if (a === undefined) return b === undefined ? 0 : -1;
  if (b === undefined) return 1;
  return compareJavaStrings(a, b);
}

class RackList {
  private readonly racks = new Map<RackName, Rack>();
  /** Racks in Java HashMap order (Kafka iterates `racks` to initialize and shuffle). */
  private readonly hashOrder: RackName[];
  readonly rackNames: RackName[] = [];
  readonly numTotalBrokers: number;
  readonly numUnfencedBrokers: number;
  private epoch = 0;
  private offset: number;

  constructor(
    private readonly rng: PlacementRng,
    brokers: readonly BrokerPlacementInfo[],
    existing: readonly (readonly BrokerId[])[],
  ) {
    const brokerRacks = new Map<BrokerId, RackName>();
    let unfencedCount = 0;
    for (const broker of brokers) {
      brokerRacks.set(broker.id, broker.rack);
      let rack = this.racks.get(broker.rack);
      if (rack === undefined) {
        this.rackNames.push(broker.rack);
        rack = new Rack();
        this.racks.set(broker.rack, rack);
      }
      if (broker.fenced === true) rack.fenced.brokers.push(broker.id);
      else {
        unfencedCount++;
        rack.unfenced.brokers.push(broker.id);
      }
    }
    this.numTotalBrokers = brokers.length;
    this.numUnfencedBrokers = unfencedCount;
    this.hashOrder = javaHashOrder(
      [...this.racks.keys()],
      rackHash,
      javaHashMapCapacity(this.racks.size),
    );
    for (const name of this.hashOrder) {
      const rack = this.racks.get(name) as Rack;
      // Kafka looks up the previous offset in the unsorted list, then sorts it.
      const previous = previousBrokerOffset(brokerRacks, existing, name, rack.unfenced.brokers);
      rack.fenced.initializeRandom(rng);
      if (previous === undefined) rack.unfenced.initializeRandom(rng);
      else rack.unfenced.initializeAfter(previous);
    }
    this.rackNames.sort(compareRacks);
    const previousRack = previousRackOffset(brokerRacks, existing, this.rackNames);
    if (previousRack !== undefined) this.offset = (previousRack + 1) % this.rackNames.length;
    else
      this.offset = this.rackNames.length === 0 ? 0 : rng.intBetween(0, this.rackNames.length - 1);
  }

  place(replicationFactor: number): BrokerId[] {
    // After as many placements as there are unfenced brokers, reshuffle to avoid repeating them.
    if (this.epoch === this.numUnfencedBrokers && this.numUnfencedBrokers > 1) {
      this.shuffle();
      this.epoch = 0;
    }
    if (this.offset === this.rackNames.length) this.offset = 0;
    const limit = 2 * (this.numTotalBrokers + this.rackNames.length) + 4;
    const brokers: BrokerId[] = [];
    let firstRackIndex = this.offset;
    for (let steps = 0; ; steps++) {
      assert(steps <= limit, "striped placement: no unfenced broker for the leader");
      const result = this.rackAt(firstRackIndex).nextUnfenced(this.epoch);
      if (result >= 0) {
        brokers.push(result);
        break;
      }
      firstRackIndex = (firstRackIndex + 1) % this.rackNames.length;
    }
    let rackIndex = this.offset;
    for (let replica = 1; replica < replicationFactor; replica++) {
      let result = -1;
      for (let steps = 0; result < 0; steps++) {
        assert(steps <= limit, "striped placement: no broker for a follower");
        if (rackIndex === firstRackIndex) firstRackIndex = -1;
        else result = this.rackAt(rackIndex).next(this.epoch);
        rackIndex = (rackIndex + 1) % this.rackNames.length;
      }
      brokers.push(result);
    }
    this.epoch++;
    this.offset++;
    return brokers;
  }

  private rackAt(index: number): Rack {
    return this.racks.get(this.rackNames[index]) as Rack;
  }

  private shuffle(): void {
    javaShuffle(this.rackNames, this.rng);
    for (const name of this.hashOrder) {
      const rack = this.racks.get(name) as Rack;
      rack.fenced.shuffle(this.rng);
      rack.unfenced.shuffle(this.rng);
    }
  }
}

/** `tryGetPreviousRackOffset`: the rack of the last existing partition's leader. */
function previousRackOffset(
  brokerRacks: ReadonlyMap<BrokerId, RackName>,
  existing: readonly (readonly BrokerId[])[],
  rackNames: readonly RackName[],
): number | undefined {
  const last = existing[existing.length - 1];
  if (last === undefined) return undefined;
  const leader = last[0] as BrokerId;
  if (!brokerRacks.has(leader)) return undefined;
  const index = rackNames.indexOf(brokerRacks.get(leader));
  return index === -1 ? undefined : index;
}

/** `tryGetPreviousBrokerOffset`: the latest replica placed on this rack, as an index. */
function previousBrokerOffset(
  brokerRacks: ReadonlyMap<BrokerId, RackName>,
  existing: readonly (readonly BrokerId[])[],
  rack: RackName,
  unfencedBrokers: readonly BrokerId[],
): number | undefined {
  for (let i = existing.length - 1; i >= 0; i--) {
    for (const brokerId of existing[i] as readonly BrokerId[]) {
      if (!brokerRacks.has(brokerId)) continue;
      if (brokerRacks.get(brokerId) === rack) {
        const index = unfencedBrokers.indexOf(brokerId);
        return index === -1 ? undefined : index;
      }
    }
  }
  return undefined;
}

export interface StripedPlacementSpec {
  readonly numPartitions: number;
  readonly replicationFactor: number;
  /** The topic's current assignments (adding partitions continues where they stopped). */
  readonly existingAssignments?: readonly (readonly BrokerId[])[];
}

/**
 * KRaft's `StripedReplicaPlacer.place`. `brokers` are the registered brokers in the controller's
 * order (Kafka iterates its registration map; pass them sorted by id). Errors with Kafka's text:
 * "The target replication factor of 4 cannot be reached because only 3 broker(s) are registered."
 */
export function placeReplicasStriped(
  brokers: readonly BrokerPlacementInfo[],
  spec: StripedPlacementSpec,
  rng: PlacementRng = FIXED_ZERO_RNG,
): PlacementResult {
  const rackList = new RackList(rng, brokers, spec.existingAssignments ?? []);
  const rf = spec.replicationFactor;
  if (rf <= 0) {
    return failure(
      "INVALID_REPLICATION_FACTOR",
      `Invalid replication factor ${rf}: the replication factor must be positive.`,
    );
  }
  if (rackList.numUnfencedBrokers === 0) {
    return failure("INVALID_REPLICATION_FACTOR", "All brokers are currently fenced.");
  }
  if (rf > rackList.numTotalBrokers) {
    return failure(
      "INVALID_REPLICATION_FACTOR",
      `The target replication factor of ${rf} cannot be reached because only ${rackList.numTotalBrokers} broker(s) are registered.`,
    );
  }
  const assignments: number[][] = [];
  for (let p = 0; p < spec.numPartitions; p++) assignments.push(rackList.place(rf));
  return { ok: true, assignments };
}

// ---------------------------------------------------------------- JBOD

export interface LogDirLoad {
  readonly path: string;
  /** Partitions (replicas) the directory already holds. */
  readonly partitionCount: number;
}

/** `LogManager.nextLogDirs`: the directory with the fewest partitions; ties go to the first listed. */
export function pickLogDir(dirs: readonly LogDirLoad[]): LogDirLoad {
  let best = dirs[0];
  assert(best !== undefined, "pickLogDir needs at least one log directory");
  for (const dir of dirs) if (dir.partitionCount < best.partitionCount) best = dir;
  return best;
}
