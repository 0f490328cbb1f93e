import { describe, expect, it } from "vitest";
import { SimAssertionError } from "../../sim/engine/assert.ts";
import {
  deriveTopicId,
  MetadataImage,
  type MetadataRecord,
  type PartitionChangeRecord,
  type PartitionState,
} from "../../sim/kafka/metadata/image.ts";
import {
  type AlterPartitionRequest,
  alterPartition,
  alterPartitionReassignment,
  balancePartitionLeaders,
  buildPartitionChange,
  type ControllerPolicy,
  electLeaderOnDemand,
  newPartitionRecord,
  onBrokerFenced,
  onBrokerUncleanShutdown,
  onBrokerUnfenced,
  onControlledShutdown,
} from "../../sim/kafka/metadata/partition-change.ts";

// ---------------------------------------------------------------- helpers

interface PolicyOptions {
  readonly elr?: boolean;
  readonly minIsr?: number;
  readonly unclean?: boolean;
  readonly bumpOnShrink?: boolean;
}

function policy(options: PolicyOptions = {}): ControllerPolicy {
  return {
    elrEnabled: options.elr ?? false,
    leaderEpochBumpOnIsrShrink: options.bumpOnShrink ?? false,
    minIsrOf: () => options.minIsr ?? 1,
    uncleanLeaderElectionEnabledOf: () => options.unclean ?? false,
  };
}

/** Brokers registered (epoch = 100 + id) and unfenced, then topics created the way Kafka does. */
function cluster(brokerIds: number[], topics: Record<string, number[][]>): MetadataImage {
  const image = new MetadataImage();
  for (const id of brokerIds) {
    image.apply({
      type: "RegisterBrokerRecord",
      brokerId: id,
      brokerEpoch: 100 + id,
      fenced: false,
    });
  }
  let counter = 0;
  for (const [name, assignments] of Object.entries(topics)) {
    const topicId = deriveTopicId(name, counter++);
    image.apply({ type: "TopicRecord", name, topicId });
    assignments.forEach((replicas, partitionId) => {
      const created = newPartitionRecord(image, topicId, partitionId, replicas);
      if (!created.ok) throw new Error(created.message);
      image.apply(created.record);
    });
  }
  return image;
}

function applyAll(image: MetadataImage, records: readonly MetadataRecord[]): void {
  for (const record of records) image.apply(record);
}

function part(image: MetadataImage, topic = "t", partitionId = 0): PartitionState {
  const state = image.partition(topic, partitionId);
  if (state === undefined) throw new Error(`no ${topic}-${partitionId}`);
  return state;
}

function partitionChanges(records: readonly MetadataRecord[]): PartitionChangeRecord[] {
  return records.filter((r): r is PartitionChangeRecord => r.type === "PartitionChangeRecord");
}

/** A broker restarting: a new registration (new epoch), fenced until it heartbeats. */
function reregister(
  image: MetadataImage,
  id: number,
  epoch: number,
  uncleanShutdown: boolean,
): void {
  image.apply({ type: "RegisterBrokerRecord", brokerId: id, brokerEpoch: epoch, uncleanShutdown });
}

function alterIsr(
  image: MetadataImage,
  leader: number,
  isr: number[],
  overrides: Partial<AlterPartitionRequest> = {},
): AlterPartitionRequest {
  const state = part(image);
  return {
    brokerId: leader,
    brokerEpoch: image.brokers.get(leader)?.brokerEpoch ?? -1,
    topicName: "t",
    partitionId: 0,
    leaderEpoch: state.leaderEpoch,
    partitionEpoch: state.partitionEpoch,
    newIsrWithEpochs: isr.map((brokerId) => ({ brokerId, brokerEpoch: -1 })),
    leaderRecoveryState: state.leaderRecoveryState,
    ...overrides,
  };
}

// ---------------------------------------------------------------- scenarios

describe("controller: election: last replica standing (S5)", () => {
  it("keeps the ISR at {1} with no leader when the last ISR member is fenced", () => {
    // RF=3, min.insync.replicas=1: the leader shrinks the ISR to itself, then dies.
    const image = cluster([1, 2, 3], { t: [[1, 2, 3]] });
    const shrink = alterPartition(image, alterIsr(image, 1, [1]), policy());
    expect(shrink.error).toBe("NONE");
    // MV >= 3.6: an ISR shrink bumps only the partition epoch (0 -> 1), not the leader epoch.
    expect(shrink).toMatchObject({ leaderId: 1, isr: [1], leaderEpoch: 0, partitionEpoch: 1 });
    applyAll(image, shrink.record ? [shrink.record] : []);

    const fenced = onBrokerFenced(image, 1, policy());
    // Without ELR the ISR may not become empty: only the leader field changes (to -1).
    expect(partitionChanges(fenced)).toEqual([
      {
        type: "PartitionChangeRecord",
        topicId: image.topicByName("t")?.topicId,
        partitionId: 0,
        leader: -1,
      },
    ]);
    applyAll(image, fenced);
    expect(part(image)).toMatchObject({ leader: -1, isr: [1], leaderEpoch: 1, partitionEpoch: 2 });
    expect(image.brokers.get(1)?.fenced).toBe(true);

    // Brokers 2 and 3 are alive but not in the ISR: a clean election finds nobody.
    expect(partitionChanges(onBrokerUnfenced(image, 2, policy()))).toEqual([]);
  });

  it("bumps the leader epoch on the ISR shrink on metadata versions before 3.6 (KAFKA-15021)", () => {
    const image = cluster([1, 2, 3], { t: [[1, 2, 3]] });
    const shrink = alterPartition(image, alterIsr(image, 1, [1]), policy({ bumpOnShrink: true }));
    expect(shrink).toMatchObject({ error: "NONE", leaderId: 1, leaderEpoch: 1, partitionEpoch: 1 });
  });
});

describe("controller: election: unclean leader election (S7)", () => {
  it("elects the returning out-of-sync broker 2 with ISR [2] and marks it RECOVERING", () => {
    const image = cluster([1, 2], { t: [[1, 2]] });
    const unclean = policy({ unclean: true });
    applyAll(image, onBrokerFenced(image, 2, unclean));
    expect(part(image)).toMatchObject({ leader: 1, isr: [1], leaderEpoch: 0 });
    applyAll(image, onBrokerFenced(image, 1, unclean));
    // No alive replica at all: even an unclean election finds nobody.
    expect(part(image)).toMatchObject({ leader: -1, isr: [1], leaderEpoch: 1 });

    const unfence = onBrokerUnfenced(image, 2, unclean);
    expect(partitionChanges(unfence)).toEqual([
      {
        type: "PartitionChangeRecord",
        topicId: image.topicByName("t")?.topicId,
        partitionId: 0,
        leader: 2,
        isr: [2],
        leaderRecoveryState: "RECOVERING",
      },
    ]);
    applyAll(image, unfence);
    expect(part(image)).toMatchObject({
      leader: 2,
      isr: [2],
      leaderEpoch: 2,
      leaderRecoveryState: "RECOVERING",
    });

    // The new leader reports recovery done (KIP-704); the ISR cannot grow while RECOVERING.
    const tooEarly = alterPartition(
      image,
      alterIsr(image, 2, [2, 1], { leaderRecoveryState: "RECOVERING" }),
      unclean,
    );
    expect(tooEarly.error).toBe("INVALID_REQUEST");
    const recovered = alterPartition(
      image,
      alterIsr(image, 2, [2], { leaderRecoveryState: "RECOVERED" }),
      unclean,
    );
    expect(recovered).toMatchObject({
      error: "NONE",
      leaderRecoveryState: "RECOVERED",
      leaderEpoch: 2,
    });
  });

  it("stays offline when unclean election is disabled", () => {
    const image = cluster([1, 2], { t: [[1, 2]] });
    applyAll(image, onBrokerFenced(image, 2, policy()));
    applyAll(image, onBrokerFenced(image, 1, policy()));
    expect(partitionChanges(onBrokerUnfenced(image, 2, policy()))).toEqual([]);
  });
});

describe("controller: election: KIP-966 last replica standing (S8)", () => {
  // Replicas [0,1,2], min.insync.replicas=2; 0 then 1 are partitioned away (fenced), then 2 loses
  // power and comes back after an unclean shutdown.
  function lose0then1then2(elr: boolean): MetadataImage {
    const image = cluster([0, 1, 2], { t: [[0, 1, 2]] });
    const p = policy({ elr, minIsr: 2 });
    applyAll(image, onBrokerFenced(image, 0, p));
    // First valid replica in assignment order among ISR {1,2}: 1. ISR 2 >= minIsr: ELR stays empty.
    expect(part(image)).toMatchObject({ leader: 1, isr: [1, 2], elr: [] });
    applyAll(image, onBrokerFenced(image, 1, p));
    expect(part(image)).toMatchObject({ leader: 2, isr: [2], elr: elr ? [1] : [] });
    applyAll(image, onBrokerFenced(image, 2, p));
    return image;
  }

  it("without ELR: the ISR stays {2} and only 2 can lead again, with its shorter log", () => {
    const p = policy({ minIsr: 2 });
    const image = lose0then1then2(false);
    expect(part(image)).toMatchObject({ leader: -1, isr: [2], elr: [], lastKnownElr: [] });
    applyAll(image, onBrokerUnfenced(image, 0, p));
    applyAll(image, onBrokerUnfenced(image, 1, p));
    expect(part(image).leader).toBe(-1);
    reregister(image, 2, 300, true);
    // Nothing to take 2 out of: it is the ISR, which may not become empty.
    expect(onBrokerUncleanShutdown(image, 2, p)).toEqual([]);
    applyAll(image, onBrokerUnfenced(image, 2, p));
    expect(part(image)).toMatchObject({ leader: 2, isr: [2] });
  });

  it("with ELR: ISR empty, ELR {1,2}; 2's unclean restart removes it; 1 is elected", () => {
    const p = policy({ elr: true, minIsr: 2 });
    const image = lose0then1then2(true);
    // ELR = (ELR {1} ∪ old ISR {2}) − new ISR {} ; lastKnownElr remembers the last leader.
    expect(part(image)).toMatchObject({ leader: -1, isr: [], elr: [1, 2], lastKnownElr: [2] });

    reregister(image, 2, 300, true);
    const unclean = onBrokerUncleanShutdown(image, 2, p);
    expect(unclean).toEqual([
      {
        type: "PartitionChangeRecord",
        topicId: image.topicByName("t")?.topicId,
        partitionId: 0,
        eligibleLeaderReplicas: [1],
      },
    ]);
    applyAll(image, unclean);
    applyAll(image, onBrokerUnfenced(image, 2, p));
    // 2 is alive but neither in the (empty) ISR nor in the ELR: still no leader.
    expect(part(image).leader).toBe(-1);

    applyAll(image, onBrokerUnfenced(image, 0, p));
    expect(part(image).leader).toBe(-1);
    applyAll(image, onBrokerUnfenced(image, 1, p));
    // 1 holds every committed record (the HW could not advance without it): it leads alone.
    expect(part(image)).toMatchObject({ leader: 1, isr: [1], elr: [], lastKnownElr: [] });
  });

  it("with ELR, the other order: 1 returns first and is elected from the ELR", () => {
    const p = policy({ elr: true, minIsr: 2 });
    const image = lose0then1then2(true);
    applyAll(image, onBrokerUnfenced(image, 1, p));
    expect(part(image)).toMatchObject({ leader: 1, isr: [1], elr: [2] });
    reregister(image, 2, 300, true);
    applyAll(image, onBrokerUncleanShutdown(image, 2, p));
    expect(part(image)).toMatchObject({ leader: 1, isr: [1], elr: [] });
  });

  it("keeps ELR members in Java HashSet order, not sorted", () => {
    // Replicas [5,18,2], ISR [5,18,2], minIsr 3. The leader shrinks the ISR to [5]. Kafka's
    // candidate set is a HashSet (16 buckets) fed 5, 18, 2: buckets 5, 2, 2, so it iterates
    // 18, 2 (same bucket, insertion order), then 5. Minus the ISR {5}: ELR [18, 2].
    const image = cluster([2, 5, 18], { t: [[5, 18, 2]] });
    const shrink = alterPartition(image, alterIsr(image, 5, [5]), policy({ elr: true, minIsr: 3 }));
    expect(shrink.record?.eligibleLeaderReplicas).toEqual([18, 2]);
  });
});

describe("controller: election: preferred and on-demand elections", () => {
  it("moves leadership back to replicas[0] once it is in the ISR", () => {
    const image = cluster([1, 2, 3], { t: [[1, 2, 3]] });
    applyAll(image, onBrokerFenced(image, 1, policy()));
    applyAll(image, onBrokerUnfenced(image, 1, policy()));
    expect(part(image)).toMatchObject({ leader: 2, isr: [2, 3] });
    // 1 is alive but not in the ISR yet.
    expect(electLeaderOnDemand(image, "t", 0, "preferred", policy()).error).toBe(
      "PREFERRED_LEADER_NOT_AVAILABLE",
    );
    const expand = alterPartition(image, alterIsr(image, 2, [2, 3, 1]), policy());
    applyAll(image, expand.record ? [expand.record] : []);

    const balance = balancePartitionLeaders(image, policy());
    const elected = electLeaderOnDemand(image, "t", 0, "preferred", policy());
    expect(elected.error).toBe("NONE");
    expect(elected.record).toMatchObject({ leader: 1 });
    expect(balance).toEqual({ records: [elected.record], rescheduleImmediately: false });
    applyAll(image, elected.record ? [elected.record] : []);
    expect(part(image)).toMatchObject({ leader: 1, isr: [2, 3, 1] });
    expect(electLeaderOnDemand(image, "t", 0, "preferred", policy()).error).toBe(
      "ELECTION_NOT_NEEDED",
    );
    expect(electLeaderOnDemand(image, "t", 7, "preferred", policy()).error).toBe(
      "UNKNOWN_TOPIC_OR_PARTITION",
    );
  });

  it("runs an operator's unclean election even when the topic disallows it", () => {
    // S5's offline partition (ISR {1}, 1 gone): kafka-leader-election --election-type unclean.
    const image = cluster([1, 2, 3], { t: [[1, 2, 3]] });
    applyAll(image, [alterPartition(image, alterIsr(image, 1, [1]), policy()).record!]);
    expect(electLeaderOnDemand(image, "t", 0, "unclean", policy()).error).toBe(
      "ELECTION_NOT_NEEDED",
    );
    applyAll(image, onBrokerFenced(image, 1, policy()));
    const elected = electLeaderOnDemand(image, "t", 0, "unclean", policy());
    expect(elected.record).toMatchObject({
      leader: 2,
      isr: [2],
      leaderRecoveryState: "RECOVERING",
    });

    applyAll(image, onBrokerFenced(image, 2, policy()));
    applyAll(image, onBrokerFenced(image, 3, policy()));
    expect(electLeaderOnDemand(image, "t", 0, "unclean", policy()).error).toBe(
      "ELIGIBLE_LEADERS_NOT_AVAILABLE",
    );
  });
});

describe("controller: controlled shutdown", () => {
  it("moves leadership away and leaves the ISR, except where it is the last member", () => {
    const image = cluster([1, 2, 3], { t: [[1, 2, 3]], u: [[1, 2]] });
    const u = image.topicByName("u");
    const shrinkU = alterPartition(
      image,
      { ...alterIsr(image, 1, [1]), topicName: "u", leaderEpoch: 0, partitionEpoch: 0 },
      policy(),
    );
    applyAll(image, [shrinkU.record!]);

    const records = onControlledShutdown(image, 1, policy());
    expect(records[0]).toEqual({
      type: "BrokerRegistrationChangeRecord",
      brokerId: 1,
      brokerEpoch: 101,
      inControlledShutdown: true,
    });
    expect(partitionChanges(records)).toEqual([
      {
        type: "PartitionChangeRecord",
        topicId: image.topicByName("t")?.topicId,
        partitionId: 0,
        leader: 2,
        isr: [2, 3],
      },
      // u-0 has ISR [1]: the ISR keeps 1 and the partition goes offline until 1 returns.
      { type: "PartitionChangeRecord", topicId: u?.topicId, partitionId: 0, leader: -1 },
    ]);
    applyAll(image, records);
    expect(image.isActive(1)).toBe(false);
    // A broker shutting down may not rejoin an ISR.
    expect(alterPartition(image, alterIsr(image, 2, [2, 3, 1]), policy()).error).toBe(
      "INELIGIBLE_REPLICA",
    );
    // A second request does not repeat the registration change.
    expect(onControlledShutdown(image, 1, policy())[0]?.type).not.toBe(
      "BrokerRegistrationChangeRecord",
    );
  });
});

describe("controller: reassignment", () => {
  it("adds, waits for the ISR, then switches and moves the leader off a removed replica", () => {
    const image = cluster([1, 2, 3, 4], { t: [[1, 2, 3]] });
    const start = alterPartitionReassignment(image, "t", 0, [2, 3, 4], policy());
    // Step 1: replicas = target + removed; adding/removing set; leader 1 unchanged, no epoch bump.
    expect(start).toEqual({
      error: "NONE",
      record: {
        type: "PartitionChangeRecord",
        topicId: image.topicByName("t")?.topicId,
        partitionId: 0,
        replicas: [2, 3, 4, 1],
        removingReplicas: [1],
        addingReplicas: [4],
      },
    });
    applyAll(image, [start.record!]);
    expect(part(image)).toMatchObject({ leader: 1, leaderEpoch: 0, partitionEpoch: 1 });

    // Step 2: 4 catches up; the leader proposes it. The ISR now covers the target: step 3 follows
    // in the same record, and leadership moves to 2, the first target replica in the ISR.
    const caughtUp = alterPartition(image, alterIsr(image, 1, [1, 2, 3, 4]), policy());
    expect(caughtUp.error).toBe("NEW_LEADER_ELECTED");
    expect(caughtUp.record).toMatchObject({
      leader: 2,
      isr: [2, 3, 4],
      replicas: [2, 3, 4],
      removingReplicas: [],
      addingReplicas: [],
    });
    applyAll(image, [caughtUp.record!]);
    expect(part(image)).toMatchObject({ leader: 2, leaderEpoch: 1, partitionEpoch: 2 });
  });

  it("bumps the leader epoch when a follower is removed and the leader stays", () => {
    const image = cluster([1, 2, 3, 4], { t: [[1, 2, 3]] });
    applyAll(image, [alterPartitionReassignment(image, "t", 0, [1, 2, 4], policy()).record!]);
    const done = alterPartition(image, alterIsr(image, 1, [1, 2, 3, 4]), policy());
    expect(done.error).toBe("NONE");
    expect(done.record).toMatchObject({ leader: 1, replicas: [1, 2, 4], isr: [1, 2, 4] });
    expect(done).toMatchObject({ leaderId: 1, leaderEpoch: 1 });
  });

  it("completes at once when the target only reorders the replicas", () => {
    const image = cluster([1, 2, 3], { t: [[1, 2, 3]] });
    const reorder = alterPartitionReassignment(image, "t", 0, [3, 2, 1], policy());
    expect(reorder.record).toEqual({
      type: "PartitionChangeRecord",
      topicId: image.topicByName("t")?.topicId,
      partitionId: 0,
      replicas: [3, 2, 1],
    });
  });

  it("validates the target and reverts on cancel", () => {
    const image = cluster([1, 2, 3, 4], { t: [[1, 2, 3]] });
    expect(alterPartitionReassignment(image, "t", 0, [1, 1, 2], policy())).toMatchObject({
      error: "INVALID_REPLICA_ASSIGNMENT",
      message: "The manual partition assignment includes the broker 1 more than once.",
    });
    expect(alterPartitionReassignment(image, "t", 0, [1, 9], policy())).toMatchObject({
      error: "INVALID_REPLICA_ASSIGNMENT",
      message:
        "The manual partition assignment includes broker 9, but no such broker is registered.",
    });
    expect(alterPartitionReassignment(image, "t", 0, null, policy()).error).toBe(
      "NO_REASSIGNMENT_IN_PROGRESS",
    );
    applyAll(image, [alterPartitionReassignment(image, "t", 0, [2, 3, 4], policy()).record!]);
    const cancel = alterPartitionReassignment(image, "t", 0, null, policy());
    // Adding replica 4 is dropped: replicas back to [2,3,1] order minus 4, removing/adding cleared.
    expect(cancel.record).toMatchObject({
      replicas: [2, 3, 1],
      removingReplicas: [],
      addingReplicas: [],
    });
  });
});

describe("controller: AlterPartition validation", () => {
  const p = policy();

  it("rejects stale and malformed proposals with Kafka's errors", () => {
    const image = cluster([1, 2, 3], { t: [[1, 2, 3]] });
    applyAll(image, onBrokerFenced(image, 1, p)); // leader 2, ISR [2,3], epochs 1 and 1
    const ok = alterIsr(image, 2, [2]);
    const cases: [Partial<AlterPartitionRequest>, string][] = [
      [{ leaderEpoch: 0 }, "FENCED_LEADER_EPOCH"], // a zombie of the old epoch
      [{ partitionEpoch: 0 }, "INVALID_UPDATE_VERSION"], // raced another change
      [{ leaderEpoch: 2 }, "NOT_CONTROLLER"], // the requester knows more than this controller
      [{ partitionEpoch: 2 }, "NOT_CONTROLLER"],
      [{ brokerId: 3, brokerEpoch: 103 }, "INVALID_REQUEST"], // not the leader
      [{ brokerEpoch: 1 }, "STALE_BROKER_EPOCH"],
      [
        {
          newIsrWithEpochs: [
            { brokerId: 2, brokerEpoch: -1 },
            { brokerId: 9, brokerEpoch: -1 },
          ],
        },
        "INVALID_REQUEST",
      ],
      [{ newIsrWithEpochs: [{ brokerId: 3, brokerEpoch: -1 }] }, "INVALID_REQUEST"], // leader missing
      [
        {
          newIsrWithEpochs: [
            { brokerId: 2, brokerEpoch: -1 },
            { brokerId: 2, brokerEpoch: -1 },
          ],
        },
        "INVALID_REQUEST",
      ],
      [
        {
          newIsrWithEpochs: [
            { brokerId: 2, brokerEpoch: -1 },
            { brokerId: 1, brokerEpoch: -1 },
          ],
        },
        "INELIGIBLE_REPLICA",
      ], // 1 is fenced
      [
        {
          newIsrWithEpochs: [
            { brokerId: 2, brokerEpoch: -1 },
            { brokerId: 1, brokerEpoch: -1 },
          ],
          requestVersion: 1,
        },
        "OPERATION_NOT_ATTEMPTED",
      ],
      [
        {
          newIsrWithEpochs: [
            { brokerId: 2, brokerEpoch: -1 },
            { brokerId: 3, brokerEpoch: 7 },
          ],
        },
        "INELIGIBLE_REPLICA",
      ], // epoch of an old registration
      [{ leaderRecoveryState: "RECOVERING" }, "INVALID_REQUEST"], // RECOVERED -> RECOVERING
      [{ topicName: "nope" }, "UNKNOWN_TOPIC_OR_PARTITION"],
    ];
    for (const [override, expected] of cases) {
      expect([override, alterPartition(image, { ...ok, ...override }, p).error]).toEqual([
        override,
        expected,
      ]);
    }
    expect(alterPartition(image, ok, p)).toMatchObject({
      error: "NONE",
      isr: [2],
      partitionEpoch: 2,
    });
  });

  it("returns no record for a proposal equal to the current ISR", () => {
    const image = cluster([1, 2, 3], { t: [[1, 2, 3]] });
    const same = alterPartition(image, alterIsr(image, 1, [1, 2, 3]), p);
    expect(same).toMatchObject({ error: "NONE", isr: [1, 2, 3], partitionEpoch: 0 });
    expect(same.record).toBeUndefined();
  });
});

describe("controller: partition change builder", () => {
  const state: PartitionState = {
    replicas: [1, 2, 3],
    isr: [1, 2, 3],
    elr: [],
    lastKnownElr: [],
    leader: 1,
    leaderEpoch: 4,
    partitionEpoch: 9,
    leaderRecoveryState: "RECOVERED",
    addingReplicas: [],
    removingReplicas: [],
  };
  const base = {
    isAcceptableLeader: () => true,
    minIsr: 1,
    elrEnabled: false,
    election: "clean" as const,
  };

  it("returns null when nothing changes, and keeps a valid leader", () => {
    expect(buildPartitionChange(state, base)).toBeNull();
    expect(buildPartitionChange(state, { ...base, targetIsr: [2, 1] })).toEqual({ isr: [2, 1] });
  });

  it("elects the first acceptable ISR member in assignment order, not ISR order", () => {
    // ISR order [3, 2]: assignment order [1, 2, 3] makes 2 the choice.
    expect(
      buildPartitionChange(state, {
        ...base,
        targetIsr: [3, 2],
        isAcceptableLeader: (id) => id !== 1,
      }),
    ).toEqual({ leader: 2, isr: [3, 2] });
  });

  it("never empties the ISR without ELR, and may with it", () => {
    const dead = { ...base, isAcceptableLeader: () => false, targetIsr: [] };
    expect(buildPartitionChange(state, dead)).toEqual({ leader: -1 });
    expect(buildPartitionChange(state, { ...dead, elrEnabled: true, minIsr: 2 })).toEqual({
      leader: -1,
      isr: [],
      eligibleLeaderReplicas: [1, 2, 3],
      lastKnownElr: [1],
    });
  });

  it("elects the last known leader as Kafka's unclean kind, with unclean election off (KIP-966)", () => {
    // ISR and ELR empty, lastKnownElr = [2], leader gone: PartitionChangeBuilder.electAnyLeader
    // returns ElectionResult(lastKnownElr[0], unclean = true) before it looks at the election type,
    // so the new leader is the whole ISR and the partition is RECOVERING although the topic's
    // unclean.leader.election.enable is false (the "clean" election here).
    const lastStanding: PartitionState = {
      ...state,
      isr: [],
      elr: [],
      lastKnownElr: [2],
      leader: -1,
    };
    const change = buildPartitionChange(lastStanding, {
      ...base,
      elrEnabled: true,
      minIsr: 2,
      isAcceptableLeader: (id) => id === 2,
    });
    expect(change).toMatchObject({ leader: 2, isr: [2], leaderRecoveryState: "RECOVERING" });
    // Without ELR the same state elects no one (the clean rule finds no ISR member).
    expect(buildPartitionChange(lastStanding, { ...base, minIsr: 2 })).toBeNull();
  });
});

describe("controller: metadata image", () => {
  it("merges change records with Kafka's epoch rules and clones deeply", () => {
    const image = cluster([1, 2, 3], { t: [[1, 2, 3]] });
    const topicId = image.topicByName("t")?.topicId as string;
    const snapshot = image.clone();
    // Setting the leader field to the same broker still bumps the leader epoch.
    image.apply({ type: "PartitionChangeRecord", topicId, partitionId: 0, leader: 1 });
    image.apply({ type: "PartitionChangeRecord", topicId, partitionId: 0, isr: [1, 2] });
    expect(part(image)).toMatchObject({
      leader: 1,
      leaderEpoch: 1,
      partitionEpoch: 2,
      isr: [1, 2],
    });
    expect(part(snapshot)).toMatchObject({ leaderEpoch: 0, partitionEpoch: 0, isr: [1, 2, 3] });
  });

  it("keeps topic configs written before the TopicRecord and drops them with the topic", () => {
    const image = new MetadataImage();
    image.apply({
      type: "ConfigRecord",
      resourceType: "TOPIC",
      resourceName: "t",
      name: "min.insync.replicas",
      value: "2",
    });
    image.apply({ type: "TopicRecord", name: "t", topicId: deriveTopicId("t", 0) });
    expect(image.topicByName("t")?.configs).toEqual({ "min.insync.replicas": "2" });
    image.apply({
      type: "ConfigRecord",
      resourceType: "TOPIC",
      resourceName: "t",
      name: "min.insync.replicas",
      value: null,
    });
    expect(image.topicByName("t")?.configs).toEqual({});
    image.apply({
      type: "ConfigRecord",
      resourceType: "TOPIC",
      resourceName: "t",
      name: "retention.ms",
      value: "1000",
    });
    image.apply({ type: "RemoveTopicRecord", topicId: deriveTopicId("t", 0) });
    expect(image.topicByName("t")).toBeUndefined();
    image.apply({ type: "TopicRecord", name: "t", topicId: deriveTopicId("t", 1) });
    expect(image.topicByName("t")?.configs).toEqual({});
  });

  it("asserts on records that do not fit the image", () => {
    const image = cluster([1], {});
    expect(() => image.apply({ type: "FenceBrokerRecord", id: 1, epoch: 5 })).toThrow(
      SimAssertionError,
    );
    expect(() => image.apply({ type: "RemoveTopicRecord", topicId: "x" })).toThrow(
      SimAssertionError,
    );
  });

  it("derives stable 22-character base64url topic ids", () => {
    const id = deriveTopicId("orders", 0);
    expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
    expect(deriveTopicId("orders", 0)).toBe(id);
    expect(deriveTopicId("orders", 1)).not.toBe(id);
    expect(deriveTopicId("payments", 0)).not.toBe(id);
  });

  it("holds 100,000 partitions and fences a broker across all of them", () => {
    const assignments = Array.from({ length: 100_000 }, (_, p) => [
      p % 3,
      (p + 1) % 3,
      (p + 2) % 3,
    ]);
    const image = cluster([0, 1, 2], { big: assignments });
    const records = onBrokerFenced(image, 0, policy());
    // Every partition has 0 in its ISR: one change each, plus the fence record.
    expect(records.length).toBe(100_001);
    applyAll(image, records);
    expect(part(image, "big", 0)).toMatchObject({ leader: 1, isr: [1, 2] });
    expect(part(image, "big", 1)).toMatchObject({ leader: 1, isr: [1, 2] });
    expect(part(image, "big", 99_999)).toMatchObject({ leader: 1, isr: [1, 2] });
  });
});
