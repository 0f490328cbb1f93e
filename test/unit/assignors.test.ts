/**
 * Consumer partition assignors against the layouts of Kafka's own tests:
 * - RangeAssignorTest and RoundRobinAssignorTest (dynamic and static members);
 * - AbstractStickyAssignorTest (run, as in Kafka, for both StickyAssignor and
 *   CooperativeStickyAssignor): exact assignments, partitionsTransferringOwnership, generations;
 * - CooperativeStickyAssignorTest: partitions claimed twice stay unassigned in round one, and its
 *   verifyValidityAndBalance, which runs follow-up rebalances until nothing is revoked.
 * Member ids such as "consumer1" matter: the sticky constrained path visits members in Java
 * HashMap order (consumer3, consumer2, consumer1 for three), which decides who keeps the larger
 * quota; several expectations below depend on it, as Kafka's do.
 */
import { describe, expect, it } from "vitest";
import {
  ASSIGNORS,
  type AssignmentInput,
  type AssignorMember,
  assignorFor,
  COOPERATIVE_STICKY_ASSIGNOR,
  commonRebalanceProtocol,
  cooperativeStickyAssign,
  cooperativeStickyAssignWithDetails,
  DEFAULT_GENERATION,
  type GroupAssignment,
  RANGE_ASSIGNOR,
  ROUND_ROBIN_ASSIGNOR,
  rangeAssign,
  roundRobinAssign,
  STICKY_ASSIGNOR,
  stickyAssign,
  stickyAssignWithDetails,
  type TopicPartition,
} from "../../sim/client/assignors/index.ts";
import { SimAssertionError } from "../../sim/engine/assert.ts";

// ---------------------------------------------------------------- helpers

/** "topic1-0" → {topic1, 0} (the topic may itself contain dashes). */
function tp(text: string): TopicPartition {
  const dash = text.lastIndexOf("-");
  return { topic: text.slice(0, dash), partition: Number(text.slice(dash + 1)) };
}

function member(
  memberId: string,
  subscription: string[],
  owned: string[] = [],
  generation?: number,
  groupInstanceId?: string,
): AssignorMember {
  return {
    memberId,
    subscription,
    ownedPartitions: owned.map(tp),
    ...(generation === undefined ? {} : { generation }),
    ...(groupInstanceId === undefined ? {} : { groupInstanceId }),
  };
}

function input(topics: Record<string, number>, members: AssignorMember[]): AssignmentInput {
  return { members, partitionsPerTopic: new Map(Object.entries(topics)) };
}

/** Member → "topic-partition" strings, sorted like Kafka's toSortedString. */
function show(assignment: GroupAssignment): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [id, partitions] of assignment) {
    out[id] = partitions.map((p) => `${p.topic}-${p.partition}`).sort();
  }
  return out;
}

function sorted(...partitions: string[]): string[] {
  return [...partitions].sort();
}

function transferring(
  result: ReturnType<typeof stickyAssignWithDetails>,
): Record<string, string> | null {
  if (result.partitionsTransferringOwnership === null) return null;
  const out: Record<string, string> = {};
  for (const [k, v] of result.partitionsTransferringOwnership) out[k] = v.toMember;
  return out;
}

/**
 * AbstractStickyAssignorTest.verifyValidityAndBalance: every partition to a subscribed member and
 * to one member only; two members whose counts differ by 2 or more share no topic.
 */
function verifyValidityAndBalance(members: readonly AssignorMember[], assignment: GroupAssignment) {
  const ids = [...assignment.keys()].sort();
  expect(ids).toEqual(members.map((m) => m.memberId).sort());
  const subs = new Map(members.map((m) => [m.memberId, new Set(m.subscription)]));
  for (let i = 0; i < ids.length; i++) {
    const mine = assignment.get(ids[i]!)!;
    for (const p of mine) expect(subs.get(ids[i]!)!.has(p.topic)).toBe(true);
    for (let j = i + 1; j < ids.length; j++) {
      const other = assignment.get(ids[j]!)!;
      const otherKeys = new Set(other.map((p) => `${p.topic}-${p.partition}`));
      expect(mine.filter((p) => otherKeys.has(`${p.topic}-${p.partition}`))).toEqual([]);
      if (Math.abs(mine.length - other.length) <= 1) continue;
      const otherTopics = new Set(other.map((p) => p.topic));
      expect(mine.filter((p) => otherTopics.has(p.topic))).toEqual([]);
    }
  }
}

function isFullyBalanced(assignment: GroupAssignment): boolean {
  const sizes = [...assignment.values()].map((list) => list.length);
  return Math.max(...sizes) - Math.min(...sizes) <= 1;
}

/**
 * CooperativeStickyAssignorTest.verifyValidityAndBalance's loop: while a round revokes
 * something, members rejoin owning what they were given, and the assignor runs again. No round may
 * hand a partition to one member while another revokes it.
 */
function settleCooperative(start: AssignmentInput, generation = 1): GroupAssignment {
  let current = start;
  let assignment = cooperativeStickyAssign(current);
  for (let round = 0; ; round++) {
    const added = new Set<string>();
    const revoked = new Set<string>();
    for (const m of current.members) {
      const owned = new Set(m.ownedPartitions.map((p) => `${p.topic}-${p.partition}`));
      const got = new Set(assignment.get(m.memberId)!.map((p) => `${p.topic}-${p.partition}`));
      for (const k of got) if (!owned.has(k)) added.add(k);
      for (const k of owned) if (!got.has(k)) revoked.add(k);
    }
    expect([...added].filter((k) => revoked.has(k))).toEqual([]);
    if (revoked.size === 0) return assignment;
    expect(round).toBeLessThan(4);
    current = {
      partitionsPerTopic: current.partitionsPerTopic,
      members: current.members.map((m) => ({
        ...m,
        ownedPartitions: assignment.get(m.memberId)!,
        generation,
      })),
    };
    assignment = cooperativeStickyAssign(current);
  }
}

/** Runs an AbstractStickyAssignorTest case for both assignors, as Kafka's subclasses do. */
const STICKY_VARIANTS = [
  { name: "sticky", run: (i: AssignmentInput) => stickyAssign(i) },
  { name: "cooperative-sticky", run: (i: AssignmentInput) => settleCooperative(i) },
] as const;

// ---------------------------------------------------------------- registry

describe("assignors: names, classes, protocols", () => {
  it("Kafka's names and class names", () => {
    expect(ASSIGNORS.map((a) => [a.name, a.className, a.supportedProtocols])).toEqual([
      ["range", "org.apache.kafka.clients.consumer.RangeAssignor", ["EAGER"]],
      ["roundrobin", "org.apache.kafka.clients.consumer.RoundRobinAssignor", ["EAGER"]],
      ["sticky", "org.apache.kafka.clients.consumer.StickyAssignor", ["EAGER"]],
      [
        "cooperative-sticky",
        "org.apache.kafka.clients.consumer.CooperativeStickyAssignor",
        ["COOPERATIVE", "EAGER"],
      ],
    ]);
    expect(assignorFor("org.apache.kafka.clients.consumer.CooperativeStickyAssignor")).toBe(
      COOPERATIVE_STICKY_ASSIGNOR,
    );
    expect(assignorFor("roundrobin")).toBe(ROUND_ROBIN_ASSIGNOR);
    expect(assignorFor("uniform")).toBeUndefined();
  });

  it("ConsumerCoordinator's protocol: the highest one all configured assignors support", () => {
    // The 3.0+ default [Range, CooperativeSticky] is still EAGER: Range is eager only.
    expect(commonRebalanceProtocol([RANGE_ASSIGNOR, COOPERATIVE_STICKY_ASSIGNOR])).toBe("EAGER");
    expect(commonRebalanceProtocol([COOPERATIVE_STICKY_ASSIGNOR])).toBe("COOPERATIVE");
    expect(commonRebalanceProtocol([STICKY_ASSIGNOR, ROUND_ROBIN_ASSIGNOR])).toBe("EAGER");
    expect(commonRebalanceProtocol([])).toBeNull();
  });

  it("rejects a member id given twice", () => {
    const bad = input({ t: 1 }, [member("a", ["t"]), member("a", ["t"])]);
    for (const assignor of ASSIGNORS) expect(() => assignor.assign(bad)).toThrow(SimAssertionError);
  });
});

// ---------------------------------------------------------------- range

describe("range assignor (RangeAssignorTest)", () => {
  it("no topic, nonexistent topic, one topic, only subscribed topics", () => {
    expect(show(rangeAssign(input({}, [member("consumer1", [])])))).toEqual({ consumer1: [] });
    expect(show(rangeAssign(input({}, [member("consumer1", ["topic1"])])))).toEqual({
      consumer1: [],
    });
    expect(
      show(rangeAssign(input({ topic1: 3, other: 3 }, [member("consumer1", ["topic1"])]))),
    ).toEqual({
      consumer1: ["topic1-0", "topic1-1", "topic1-2"],
    });
  });

  it("testOneConsumerMultipleTopics", () => {
    const result = rangeAssign(
      input({ topic1: 1, topic2: 2 }, [member("consumer1", ["topic1", "topic2"])]),
    );
    expect(show(result)).toEqual({ consumer1: ["topic1-0", "topic2-0", "topic2-1"] });
  });

  it("two consumers, one topic of one or two partitions", () => {
    const c = [member("consumer1", ["topic1"]), member("consumer2", ["topic1"])];
    expect(show(rangeAssign(input({ topic1: 1 }, c)))).toEqual({
      consumer1: ["topic1-0"],
      consumer2: [],
    });
    expect(show(rangeAssign(input({ topic1: 2 }, c)))).toEqual({
      consumer1: ["topic1-0"],
      consumer2: ["topic1-1"],
    });
  });

  it("testMultipleConsumersMixedTopics: per topic, among its own subscribers", () => {
    const result = rangeAssign(
      input({ topic1: 3, topic2: 2 }, [
        member("consumer1", ["topic1"]),
        member("consumer2", ["topic1", "topic2"]),
        member("consumer3", ["topic1"]),
      ]),
    );
    expect(show(result)).toEqual({
      consumer1: ["topic1-0"],
      consumer2: ["topic1-1", "topic2-0", "topic2-1"],
      consumer3: ["topic1-2"],
    });
  });

  it("testTwoConsumersTwoTopicsSixPartitions: the first member takes the extra of each topic", () => {
    const both = ["topic1", "topic2"];
    const result = rangeAssign(
      input({ topic1: 3, topic2: 3 }, [member("consumer1", both), member("consumer2", both)]),
    );
    expect(show(result)).toEqual({
      consumer1: ["topic1-0", "topic1-1", "topic2-0", "topic2-1"],
      consumer2: ["topic1-2", "topic2-2"],
    });
  });

  it("static members sort by instance id, before dynamic members", () => {
    const both = ["topic1", "topic2"];
    const twoStatic = rangeAssign(
      input({ topic1: 3, topic2: 3 }, [
        member("consumer-b", both, [], undefined, "instance1"),
        member("consumer-a", both, [], undefined, "instance2"),
      ]),
    );
    expect(show(twoStatic)).toEqual({
      "consumer-b": ["topic1-0", "topic1-1", "topic2-0", "topic2-1"],
      "consumer-a": ["topic1-2", "topic2-2"],
    });
    const oneStatic = rangeAssign(
      input({ topic1: 3, topic2: 3 }, [
        member("consumer-b", both, [], undefined, "instance1"),
        member("consumer-a", both),
      ]),
    );
    expect(show(oneStatic)["consumer-b"]).toEqual(["topic1-0", "topic1-1", "topic2-0", "topic2-1"]);
  });

  it("testStaticMemberRangeAssignmentPersistent: replacing the dynamic member moves nothing", () => {
    const both = ["topic1", "topic2"];
    const statics = [
      member("consumer1", both, [], undefined, "instance1"),
      member("consumer2", both, [], undefined, "instance2"),
      member("consumer3", both, [], undefined, "instance3"),
    ];
    const topics = { topic1: 5, topic2: 4 };
    const expected = {
      consumer1: ["topic1-0", "topic1-1", "topic2-0"],
      consumer2: ["topic1-2", "topic2-1"],
      consumer3: ["topic1-3", "topic2-2"],
    };
    expect(show(rangeAssign(input(topics, [...statics, member("consumer4", both)])))).toEqual({
      ...expected,
      consumer4: ["topic1-4", "topic2-3"],
    });
    expect(show(rangeAssign(input(topics, [...statics, member("consumer5", both)])))).toEqual({
      ...expected,
      consumer5: ["topic1-4", "topic2-3"],
    });
  });

  it("reference S15: a third consumer joins a 6-partition topic", () => {
    const t = ["t"];
    const result = rangeAssign(
      input({ t: 6 }, [member("C1", t), member("C2", t), member("C3", t)]),
    );
    expect(show(result)).toEqual({ C1: ["t-0", "t-1"], C2: ["t-2", "t-3"], C3: ["t-4", "t-5"] });
  });
});

// ---------------------------------------------------------------- round robin

describe("roundrobin assignor (RoundRobinAssignorTest)", () => {
  it("testMultipleConsumersMixedTopics", () => {
    const result = roundRobinAssign(
      input({ topic1: 3, topic2: 2 }, [
        member("consumer1", ["topic1"]),
        member("consumer2", ["topic1", "topic2"]),
        member("consumer3", ["topic1"]),
      ]),
    );
    expect(show(result)).toEqual({
      consumer1: ["topic1-0"],
      consumer2: ["topic1-1", "topic2-0", "topic2-1"],
      consumer3: ["topic1-2"],
    });
  });

  it("testTwoDynamicConsumersTwoTopicsSixPartitions: dealt alternately", () => {
    const both = ["topic1", "topic2"];
    const result = roundRobinAssign(
      input({ topic1: 3, topic2: 3 }, [member("consumer1", both), member("consumer2", both)]),
    );
    expect(show(result)).toEqual({
      consumer1: ["topic1-0", "topic1-2", "topic2-1"],
      consumer2: ["topic1-1", "topic2-0", "topic2-2"],
    });
  });

  it("testTwoStaticConsumers / testOneStaticConsumerAndOneDynamicConsumer", () => {
    const both = ["topic1", "topic2"];
    for (const second of [
      member("consumer-a", both, [], undefined, "instance2"),
      member("consumer-a", both),
    ]) {
      const result = roundRobinAssign(
        input({ topic1: 3, topic2: 3 }, [
          member("consumer-b", both, [], undefined, "instance1"),
          second,
        ]),
      );
      expect(show(result)).toEqual({
        "consumer-b": ["topic1-0", "topic1-2", "topic2-1"],
        "consumer-a": ["topic1-1", "topic2-0", "topic2-2"],
      });
    }
  });

  it("testStaticMemberAssignmentPersistent", () => {
    const both = ["topic1", "topic2"];
    const statics = [1, 2, 3].map((i) =>
      member(`consumer${i}`, both, [], undefined, `instance${i}`),
    );
    const expected = {
      consumer1: ["topic1-0", "topic2-1"],
      consumer2: ["topic1-1", "topic2-2"],
      consumer3: ["topic1-2"],
    };
    const topics = { topic1: 3, topic2: 3 };
    expect(show(roundRobinAssign(input(topics, [...statics, member("consumer4", both)])))).toEqual({
      ...expected,
      consumer4: ["topic2-0"],
    });
    expect(show(roundRobinAssign(input(topics, [...statics, member("consumer5", both)])))).toEqual({
      ...expected,
      consumer5: ["topic2-0"],
    });
  });

  it("testStaticMemberAssignmentPersistentAfterMemberIdChanges: follows the instance ids", () => {
    const both = ["topic1", "topic2"];
    const byInstance = (pairs: [string, string][]): Record<string, string[]> => {
      const result = show(
        roundRobinAssign(
          input(
            { topic1: 3, topic2: 3 },
            pairs.map(([id, instance]) => member(id, both, [], undefined, instance)),
          ),
        ),
      );
      return Object.fromEntries(pairs.map(([id, instance]) => [instance, result[id]!]));
    };
    const before = byInstance([
      ["consumer1", "instance1"],
      ["consumer2", "instance2"],
      ["consumer3", "instance3"],
    ]);
    // Instance i gets partition i of each topic.
    expect(before).toEqual({
      instance1: ["topic1-0", "topic2-0"],
      instance2: ["topic1-1", "topic2-1"],
      instance3: ["topic1-2", "topic2-2"],
    });
    const after = byInstance([
      ["consumer4", "instance1"],
      ["consumer5", "instance2"],
      ["consumer1", "instance3"],
    ]);
    expect(after).toEqual(before);
  });

  it("the javadoc example: skipping unsubscribed members leaves it uneven", () => {
    const result = roundRobinAssign(
      input({ t0: 1, t1: 2, t2: 3 }, [
        member("C0", ["t0"]),
        member("C1", ["t0", "t1"]),
        member("C2", ["t0", "t1", "t2"]),
      ]),
    );
    expect(show(result)).toEqual({
      C0: ["t0-0"],
      C1: ["t1-0"],
      C2: ["t1-1", "t2-0", "t2-1", "t2-2"],
    });
  });
});

// ---------------------------------------------------------------- sticky, both variants

describe("sticky assignors: AbstractStickyAssignorTest, for sticky and cooperative-sticky", () => {
  for (const variant of STICKY_VARIANTS) {
    const run = variant.run;
    describe(variant.name, () => {
      it("one consumer: one topic, multiple topics, only subscribed topics", () => {
        expect(show(run(input({ topic: 3 }, [member("consumer", ["topic"])])))).toEqual({
          consumer: ["topic-0", "topic-1", "topic-2"],
        });
        expect(
          show(run(input({ topic1: 1, topic2: 2 }, [member("consumer", ["topic1", "topic2"])]))),
        ).toEqual({ consumer: ["topic1-0", "topic2-0", "topic2-1"] });
        const owningOther = member(
          "consumer",
          ["topic"],
          ["topic-0", "topic-1", "other-0", "other-1"],
          1,
        );
        expect(show(run(input({ topic: 2 }, [owningOther])))).toEqual({
          consumer: ["topic-0", "topic-1"],
        });
      });

      it("testTwoConsumersOneTopicTwoPartitions and testTwoConsumersTwoTopicsSixPartitions", () => {
        const two = (topics: string[]) => [
          member("consumer1", topics),
          member("consumer2", topics),
        ];
        expect(show(run(input({ topic: 2 }, two(["topic"]))))).toEqual({
          consumer1: ["topic-0"],
          consumer2: ["topic-1"],
        });
        expect(show(run(input({ topic1: 3, topic2: 3 }, two(["topic1", "topic2"]))))).toEqual({
          consumer1: ["topic1-0", "topic1-2", "topic2-1"],
          consumer2: ["topic1-1", "topic2-0", "topic2-2"],
        });
      });

      it("testMultipleConsumersMixedTopicSubscriptions (general path)", () => {
        const members = [
          member("consumer1", ["topic1"]),
          member("consumer2", ["topic1", "topic2"]),
          member("consumer3", ["topic1"]),
        ];
        const result = run(input({ topic1: 3, topic2: 2 }, members));
        expect(show(result)).toEqual({
          consumer1: ["topic1-0", "topic1-2"],
          consumer2: ["topic2-0", "topic2-1"],
          consumer3: ["topic1-1"],
        });
        verifyValidityAndBalance(members, result);
      });

      it("testConsumerOwningMinQuotaExpectedMaxQuota", () => {
        const both = ["topic1", "topic2"];
        const result = run(
          input({ topic1: 2, topic2: 3 }, [
            member("consumer1", both, ["topic1-0", "topic2-1"], 1),
            member("consumer2", both, ["topic1-1", "topic2-2"], 1),
          ]),
        );
        expect(show(result)).toEqual({
          consumer1: sorted("topic1-0", "topic2-1", "topic2-0"),
          consumer2: sorted("topic1-1", "topic2-2"),
        });
      });

      it("testMaxQuotaConsumerMoreThanNumExpectedMaxCapacityMembers (HashMap order)", () => {
        // Four partitions, three members: one member may keep two. Kafka visits consumer2 before
        // consumer1 (hash buckets 11 and 12), so consumer2 keeps both and consumer1 gives one up.
        const both = ["topic1", "topic2"];
        const result = run(
          input({ topic1: 2, topic2: 2 }, [
            member("consumer1", both, ["topic1-0", "topic2-0"], 1),
            member("consumer2", both, ["topic1-1", "topic2-1"], 1),
            member("consumer3", both, [], 1),
          ]),
        );
        expect(show(result)).toEqual({
          consumer1: ["topic1-0"],
          consumer2: ["topic1-1", "topic2-1"],
          consumer3: ["topic2-0"],
        });
      });

      it("testAllConsumersAreUnderMinQuota", () => {
        const both = ["topic1", "topic2"];
        const result = run(
          input({ topic1: 2, topic2: 3 }, [
            member("consumer1", both, ["topic1-0"], 1),
            member("consumer2", both, ["topic1-1"], 1),
            member("consumer3", both, [], 1),
          ]),
        );
        expect(show(result)).toEqual({
          consumer1: ["topic1-0", "topic2-1"],
          consumer2: ["topic1-1", "topic2-2"],
          consumer3: ["topic2-0"],
        });
      });

      it("testAddRemoveConsumerOneTopic", () => {
        const t = ["topic"];
        const first = run(input({ topic: 3 }, [member("consumer1", t)]));
        expect(show(first)).toEqual({ consumer1: ["topic-0", "topic-1", "topic-2"] });
        const second = run(
          input({ topic: 3 }, [
            member("consumer1", t, show(first).consumer1, 1),
            member("consumer2", t, [], 1),
          ]),
        );
        expect(show(second)).toEqual({ consumer1: ["topic-0", "topic-1"], consumer2: ["topic-2"] });
        const third = run(input({ topic: 3 }, [member("consumer2", t, show(second).consumer2, 1)]));
        expect(show(third)).toEqual({ consumer2: ["topic-0", "topic-1", "topic-2"] });
      });

      it("testAddRemoveTwoConsumersTwoTopics", () => {
        const all = ["topic1", "topic2"];
        const topics = { topic1: 3, topic2: 4 };
        const first = show(
          run(input(topics, [member("consumer1", all), member("consumer2", all)])),
        );
        expect(first).toEqual({
          consumer1: sorted("topic1-0", "topic1-2", "topic2-1", "topic2-3"),
          consumer2: sorted("topic1-1", "topic2-0", "topic2-2"),
        });
        const second = show(
          run(
            input(topics, [
              member("consumer1", all, first.consumer1, 1),
              member("consumer2", all, first.consumer2, 1),
              member("consumer3", all, [], 1),
              member("consumer4", all, [], 1),
            ]),
          ),
        );
        expect(second).toEqual({
          consumer1: sorted("topic1-0", "topic2-1"),
          consumer2: sorted("topic2-0", "topic1-1"),
          consumer3: sorted("topic1-2", "topic2-3"),
          consumer4: ["topic2-2"],
        });
        const third = show(
          run(
            input(topics, [
              member("consumer3", all, second.consumer3, 1),
              member("consumer4", all, second.consumer4, 1),
            ]),
          ),
        );
        expect(third).toEqual({
          consumer3: sorted("topic1-2", "topic2-3", "topic1-0", "topic2-1"),
          consumer4: sorted("topic2-2", "topic1-1", "topic2-0"),
        });
      });

      it("testAllConsumersReachExpectedQuotaAndAreConsideredFilled", () => {
        const t = ["topic"];
        const result = run(
          input({ topic: 4 }, [
            member("consumer1", t, ["topic-0", "topic-1"], 1),
            member("consumer2", t, ["topic-2"], 1),
            member("consumer3", t, [], 1),
          ]),
        );
        expect(show(result)).toEqual({
          consumer1: ["topic-0", "topic-1"],
          consumer2: ["topic-2"],
          consumer3: ["topic-3"],
        });
      });

      it("owned partitions of a stale or missing generation lose to the current one", () => {
        const both = ["topic", "topic2"];
        for (const staleGeneration of [9, DEFAULT_GENERATION]) {
          const result = run(
            input({ topic: 3, topic2: 3 }, [
              member("consumer1", both, ["topic-0", "topic-2", "topic2-1"], 10),
              member("consumer2", both, ["topic-0", "topic-2", "topic2-1"], staleGeneration),
            ]),
          );
          expect(show(result)).toEqual({
            consumer1: sorted("topic-0", "topic-2", "topic2-1"),
            consumer2: sorted("topic-1", "topic2-0", "topic2-2"),
          });
        }
      });

      it("testEnsurePartitionsAssignedToHighestGeneration", () => {
        const all = ["topic", "topic2", "topic3"];
        const result = run(
          input({ topic: 3, topic2: 3, topic3: 3 }, [
            member("consumer1", all, ["topic-0", "topic2-0", "topic3-0"], 10),
            member("consumer2", all, ["topic-1", "topic2-1", "topic3-1"], 9),
            member("consumer3", all, ["topic2-1", "topic3-0", "topic3-2"], 8),
          ]),
        );
        expect(show(result)).toEqual({
          consumer1: sorted("topic-0", "topic2-0", "topic3-0"),
          consumer2: sorted("topic-1", "topic2-1", "topic3-1"),
          consumer3: sorted("topic-2", "topic2-2", "topic3-2"),
        });
      });

      it("testNoReassignmentOnCurrentMembers", () => {
        const all = ["topic", "topic2", "topic3", "topic1"];
        const result = run(
          input({ topic: 3, topic1: 3, topic2: 3, topic3: 3 }, [
            member("consumer1", all, [], DEFAULT_GENERATION),
            member("consumer2", all, ["topic-0", "topic2-0", "topic1-0"], 9),
            member("consumer3", all, ["topic3-2", "topic2-2", "topic1-1"], 8),
            member("consumer4", all, ["topic3-1", "topic-1", "topic-2"], 7),
          ]),
        );
        expect(show(result).consumer1).toEqual(sorted("topic1-2", "topic2-1", "topic3-0"));
        expect(isFullyBalanced(result)).toBe(true);
      });

      it("testOwnedPartitionsAreInvalidatedForConsumerWithMultipleGeneration", () => {
        const both = ["topic", "topic2"];
        const result = run(
          input({ topic: 3, topic2: 3 }, [
            member("consumer1", both, ["topic-0", "topic2-1", "topic-1"], 10),
            member("consumer2", both, ["topic-0", "topic2-1", "topic2-2"], 8),
          ]),
        );
        expect(show(result)).toEqual({
          consumer1: sorted("topic-0", "topic2-1", "topic-1"),
          consumer2: sorted("topic-2", "topic2-2", "topic2-0"),
        });
      });

      it("testPartitionsTransferringOwnership...ClaimedByMultipleConsumersInSameGeneration", () => {
        const t = ["topic"];
        const result = run(
          input({ topic: 3 }, [
            member("consumer1", t, ["topic-0", "topic-1"], 1),
            member("consumer2", t, ["topic-0", "topic-2"], 1),
            member("consumer3", t, [], 1),
          ]),
        );
        expect(show(result)).toEqual({
          consumer1: ["topic-1"],
          consumer2: ["topic-2"],
          consumer3: ["topic-0"],
        });
      });

      it("rack test layouts without racks: uniform and non-equal subscriptions", () => {
        const all = ["t1", "t2", "t3"];
        const topics = { t1: 6, t2: 7, t3: 2 };
        const uniform = {
          consumer0: "t1-0, t1-3, t2-0, t2-3, t2-6".split(", "),
          consumer1: "t1-1, t1-4, t2-1, t2-4, t3-0".split(", "),
          consumer2: "t1-2, t1-5, t2-2, t2-5, t3-1".split(", "),
        };
        const nonEqual = {
          consumer0: "t1-5, t2-0, t2-2, t2-4, t2-6".split(", "),
          consumer1: "t1-3, t2-1, t2-3, t2-5, t3-0".split(", "),
          consumer2: "t1-0, t1-1, t1-2, t1-4, t3-1".split(", "),
        };
        const subs = { uniform: [all, all, all], nonEqual: [all, all, ["t1", "t3"]] };
        for (const [layout, expected] of [
          ["uniform", uniform],
          ["nonEqual", nonEqual],
        ] as const) {
          // verifyRackAssignment runs each layout without owned partitions, then owning the result.
          for (const owning of [false, true]) {
            const members = subs[layout].map((s, i) =>
              member(
                `consumer${i}`,
                s,
                owning ? expected[`consumer${i}` as keyof typeof expected] : [],
                DEFAULT_GENERATION,
              ),
            );
            expect(show(run(input(topics, members)))).toEqual(expected);
          }
        }
      });

      it("testReassignmentAfterOneConsumerLeaves: valid and balanced", () => {
        const name = (prefix: string, i: number) => `${prefix}${String(i).padStart(2, "0")}`;
        const topics: Record<string, number> = {};
        for (let i = 1; i < 20; i++) topics[name("t", i)] = i;
        const members = Array.from({ length: 19 }, (_, k) => {
          const i = k + 1;
          return member(
            name("c", i),
            Array.from({ length: i }, (_, j) => name("t", j + 1)),
          );
        });
        const first = run(input(topics, members));
        verifyValidityAndBalance(members, first);
        const rest = members
          .filter((m) => m.memberId !== "c10")
          .map((m) => ({ ...m, ownedPartitions: first.get(m.memberId)!, generation: 1 }));
        verifyValidityAndBalance(rest, run(input(topics, rest)));
      });

      it("testSameSubscriptions: one of eight members leaves", () => {
        const topics: Record<string, number> = {};
        for (let i = 1; i < 15; i++) topics[`t${String(i).padStart(2, "0")}`] = i;
        const all = Object.keys(topics);
        const members = Array.from({ length: 8 }, (_, k) => member(`c${k + 1}`, all));
        const first = run(input(topics, members));
        verifyValidityAndBalance(members, first);
        expect(isFullyBalanced(first)).toBe(true);
        const rest = members
          .filter((m) => m.memberId !== "c5")
          .map((m) => ({ ...m, ownedPartitions: first.get(m.memberId)!, generation: 1 }));
        const second = run(input(topics, rest));
        verifyValidityAndBalance(rest, second);
        expect(isFullyBalanced(second)).toBe(true);
      });

      it("testSubscriptionNotEqualAndAssignSamePartitionWith3Generation", () => {
        const sequences = [
          [1, 2, 3],
          [1, 3, 2],
          [2, 1, 3],
          [2, 3, 1],
          [3, 1, 2],
          [3, 2, 1],
        ];
        for (const [g1, g2, g3] of sequences) {
          const result = run(
            input({ topic: 6, topic1: 1 }, [
              member("consumer1", ["topic"], ["topic-0", "topic-2"], g1),
              member("consumer2", ["topic"], ["topic-1", "topic-2", "topic-3"], g2),
              member("consumer3", ["topic"], ["topic-2", "topic-4", "topic-5"], g3),
              member("consumer4", ["topic1"], ["topic1-0"], 2),
            ]),
          );
          const all = [...result.values()].flat().map((p) => `${p.topic}-${p.partition}`);
          expect(new Set(all).size).toBe(all.length);
          for (const list of result.values()) {
            expect(list.length).toBeGreaterThanOrEqual(1);
            expect(list.length).toBeLessThanOrEqual(2);
          }
        }
      });
    });
  }
});

// ---------------------------------------------------------------- sticky internals

describe("sticky: partitionsTransferringOwnership (AbstractStickyAssignorTest)", () => {
  it("constrained path: the partitions moving to a new owner", () => {
    const t = ["topic"];
    const added = stickyAssignWithDetails(
      input({ topic: 3 }, [
        member("consumer1", t, ["topic-0", "topic-1", "topic-2"], 1),
        member("consumer2", t, [], 1),
      ]),
    );
    expect(transferring(added)).toEqual({ "topic-2": "consumer2" });

    const all = ["topic1", "topic2"];
    const four = stickyAssignWithDetails(
      input({ topic1: 3, topic2: 4 }, [
        member("consumer1", all, ["topic1-0", "topic1-2", "topic2-1", "topic2-3"], 1),
        member("consumer2", all, ["topic1-1", "topic2-0", "topic2-2"], 1),
        member("consumer3", all, [], 1),
        member("consumer4", all, [], 1),
      ]),
    );
    expect(transferring(four)).toEqual({
      "topic1-2": "consumer3",
      "topic2-3": "consumer3",
      "topic2-2": "consumer4",
    });
    expect(four.path).toBe("constrained");
  });

  it("a partition claimed twice in one generation is transferring; general path gives null", () => {
    const t = ["topic"];
    const doubly = stickyAssignWithDetails(
      input({ topic: 3 }, [
        member("consumer1", t, ["topic-0", "topic-1"], 1),
        member("consumer2", t, ["topic-0", "topic-2"], 1),
        member("consumer3", t, [], 1),
      ]),
    );
    expect(transferring(doubly)).toEqual({ "topic-0": "consumer3" });
    const general = stickyAssignWithDetails(
      input({ topic1: 3, topic2: 2 }, [
        member("consumer1", ["topic1"]),
        member("consumer2", ["topic1", "topic2"]),
      ]),
    );
    expect(general.path).toBe("general");
    expect(transferring(general)).toBeNull();
  });
});

describe("cooperative-sticky: round one (CooperativeStickyAssignorTest)", () => {
  it("a partition claimed by two members in one generation is assigned to nobody yet", () => {
    const t = ["topic"];
    const owners = [
      member("consumer1", t, ["topic-0", "topic-1"], 1),
      member("consumer2", t, ["topic-0", "topic-2"], 1),
      member("consumer3", t, [], 1),
    ];
    expect(show(cooperativeStickyAssign(input({ topic: 3 }, owners)))).toEqual({
      consumer1: ["topic-1"],
      consumer2: ["topic-2"],
      consumer3: [],
    });
    expect(show(cooperativeStickyAssign(input({ topic: 4 }, owners)))).toEqual({
      consumer1: ["topic-1", "topic-3"],
      consumer2: ["topic-2"],
      consumer3: [],
    });
  });

  it("testAssignorWithOldVersionSubscriptions: nothing moves, the new member gets the rest", () => {
    const t = ["topic1"];
    const result = cooperativeStickyAssign(
      input({ topic1: 3 }, [
        member("consumer1", t, ["topic1-0"], 1),
        member("consumer2", t, ["topic1-1"], 1),
        member("consumer3", t, [], 1),
      ]),
    );
    expect(show(result)).toEqual({
      consumer1: ["topic1-0"],
      consumer2: ["topic1-1"],
      consumer3: ["topic1-2"],
    });
  });

  it("reference S15: revoke 2 and 5 in round one, C3 gets them in round two", () => {
    const t = ["t"];
    const round1Input = input({ t: 6 }, [
      member("C1", t, ["t-0", "t-1", "t-2"], 1),
      member("C2", t, ["t-3", "t-4", "t-5"], 1),
      member("C3", t, [], 1),
    ]);
    const round1 = cooperativeStickyAssignWithDetails(round1Input);
    expect(show(round1.assignment)).toEqual({ C1: ["t-0", "t-1"], C2: ["t-3", "t-4"], C3: [] });
    expect(transferring(round1)).toEqual({ "t-2": "C3", "t-5": "C3" });
    expect(show(settleCooperative(round1Input))).toEqual({
      C1: ["t-0", "t-1"],
      C2: ["t-3", "t-4"],
      C3: ["t-2", "t-5"],
    });
    // The eager sticky assignor moves them at once, in the same rebalance.
    expect(show(stickyAssign(round1Input)).C3).toEqual(["t-2", "t-5"]);
  });

  it("general path: partitions that change owner are held back (computed from owned vs assigned)", () => {
    // consumer2 stops subscribing to topic1 while owning topic1-1, and consumer3 owns everything else.
    const members = [
      member("consumer1", ["topic1"], [], 1),
      member("consumer2", ["topic2"], ["topic1-1", "topic2-0"], 1),
      member("consumer3", ["topic1", "topic2"], ["topic1-0", "topic1-2", "topic2-1"], 1),
    ];
    const round1 = cooperativeStickyAssignWithDetails(input({ topic1: 3, topic2: 2 }, members));
    expect(round1.path).toBe("general");
    const owner = new Map<string, string>();
    for (const m of members)
      for (const p of m.ownedPartitions) owner.set(`${p.topic}-${p.partition}`, m.memberId);
    for (const [id, list] of round1.assignment) {
      for (const p of list) {
        const previous = owner.get(`${p.topic}-${p.partition}`);
        expect(previous === undefined || previous === id).toBe(true);
      }
    }
    verifyValidityAndBalance(members, settleCooperative(input({ topic1: 3, topic2: 2 }, members)));
  });
});
