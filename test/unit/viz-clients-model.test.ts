// viz: the Clients panel's model, checked against independent paths of the simulator: the batches
// the tracker calls in flight or waiting to retry are exactly the history's sends without an
// outcome; its outcome counts are the producer's own counters; the incremental Burrow gives what
// burrowFromHistory gives for the same history; the group layout shows an eager rebalance as a stop
// and agrees with kafka-consumer-groups.sh on committed offsets and lag.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { burrowFromHistory } from "../../sim/check/burrow.ts";
import { Session } from "../../sim/scenario/session.ts";
import { IncrementalBurrow } from "../../viz/clients-burrow.ts";
import {
  type GroupInput,
  isStopTheWorld,
  layoutGroup,
  protocolOf,
} from "../../viz/clients-groups.ts";
import { ClientsModel } from "../../viz/clients-model.ts";

function open(file: string): Session {
  return new Session(readFileSync(`scenarios/${file}`, "utf8"), { file });
}

describe("viz clients: producers", () => {
  for (const file of ["idempotent-retries.yaml", "leader-failover.yaml", "acks-compared.yaml"]) {
    it(`${file}: in flight + waiting = sends without an outcome; outcomes = the producer's stats`, () => {
      const session = open(file);
      const model = new ClientsModel();
      let sawInFlight = false;
      const step = Math.max(1, Math.floor(session.durationUs / 40));
      for (let t = step; t <= session.durationUs; t += step) {
        session.advanceTo(t);
        const data = model.read(session);
        const history = session.kafka!.recorder.history();
        const settled = new Set(history.outcomes.map((o) => o.sendId));
        for (const p of data.producers) {
          const open = history.sends
            .filter((s) => s.client === p.clientId && !settled.has(s.sendId))
            .map((s) => s.sendId)
            .sort();
          const mine = [...p.inFlight, ...p.retrying].map((b) => b.sendId).sort();
          expect(mine, `${p.clientId} at ${t} us`).toEqual(open);
          if (p.inFlight.length > 0) sawInFlight = true;
          const stats = session.kafka!.producers.get(p.clientId)!.stats();
          expect(p.outcomes.acknowledged).toBe(stats.acked);
          expect(p.outcomes.failed).toBe(stats.failed);
          expect(p.outcomes.unknown + p.outcomes.lost).toBe(stats.unknown);
          expect(p.outcomes.expired).toBe(stats.expiredUnsent);
          expect(p.retries).toBe(stats.retries);
        }
      }
      // Not a result of ours: a run with producers has batches on the wire at some sampled moment.
      if (file === "idempotent-retries.yaml") expect(sawInFlight).toBe(true);
    });
  }
});

describe("viz clients: Burrow, incrementally", () => {
  for (const file of ["burrow-lag.yaml", "rebalance-eager-vs-cooperative.yaml"]) {
    it(`${file}: fed in small steps, equals burrowFromHistory at the end`, () => {
      const session = open(file);
      const burrow = new IncrementalBurrow();
      for (let t = 0; t <= session.durationUs; t += 777_777) {
        session.advanceTo(t);
        burrow.feed(session.kafka!.recorder.history(session.timeUs), session.timeUs);
      }
      session.advanceTo(session.durationUs);
      const history = session.kafka!.recorder.history(session.timeUs);
      burrow.feed(history, history.endUs);
      const expected = burrowFromHistory(history);
      expect(expected.length).toBeGreaterThan(0);
      expect(burrow.groups()).toEqual(expected.map((g) => g.group));
      for (const g of expected) {
        const mine = burrow.status(g.group, history.endUs);
        expect(mine.status, g.group).toBe(g.status);
        expect(mine.totalLag).toBe(g.totalLag);
        expect(mine.partitions.map((p) => p.status)).toEqual(g.partitions.map((p) => p.status));
      }
    });
  }

  it("burrow-lag.yaml at the end: the groups differ in status (the scenario's point)", () => {
    const session = open("burrow-lag.yaml");
    session.advanceTo(session.durationUs);
    const data = new ClientsModel().read(session);
    const statuses = new Map(data.groups.map((g) => [g.groupId, g.burrow?.status]));
    expect(statuses.get("dashboard")).toBe("OK");
    expect(statuses.get("reporting")).not.toBe("OK");
  });
});

describe("viz clients: groups", () => {
  it("protocolOf reads the assignors and group.protocol", () => {
    expect(protocolOf({})).toBe("EAGER");
    expect(
      protocolOf({
        "partition.assignment.strategy":
          "org.apache.kafka.clients.consumer.CooperativeStickyAssignor",
      }),
    ).toBe("COOPERATIVE");
    expect(
      protocolOf({
        "partition.assignment.strategy":
          "org.apache.kafka.clients.consumer.RangeAssignor,org.apache.kafka.clients.consumer.CooperativeStickyAssignor",
      }),
    ).toBe("EAGER");
    expect(protocolOf({ "group.protocol": "consumer" })).toBe("CONSUMER");
    expect(isStopTheWorld("PreparingRebalance", "EAGER")).toBe(true);
    expect(isStopTheWorld("CompletingRebalance", "EAGER")).toBe(true);
    expect(isStopTheWorld("PreparingRebalance", "COOPERATIVE")).toBe(false);
    expect(isStopTheWorld("Stable", "EAGER")).toBe(false);
    expect(isStopTheWorld("Reconciling", "CONSUMER")).toBe(false);
  });

  const base: Omit<GroupInput, "state" | "protocol"> = {
    groupId: "g",
    generation: 3,
    assignor: "range",
    coordinator: 1,
    partitions: [
      { tp: "t-0", hw: 100 },
      { tp: "t-1", hw: 50 },
    ],
    committed: { "t-0": 90 },
    members: [
      {
        clientId: "a",
        state: "polling",
        generation: 3,
        held: ["t-0"],
        assigned: ["t-0"],
        positions: { "t-0": 95 },
        up: true,
      },
      {
        clientId: "b",
        state: "polling",
        generation: 3,
        held: ["t-1"],
        assigned: ["t-1"],
        positions: { "t-1": 50 },
        up: true,
      },
    ],
  };

  it("an eager group rebalancing: every line paused and a STOP banner", () => {
    const l = layoutGroup({ ...base, state: "PreparingRebalance", protocol: "EAGER" });
    expect(l.stopped).toBe(true);
    expect(l.banner).toContain("STOP");
    expect(l.lines.map((x) => x.kind)).toEqual(["paused", "paused"]);
  });

  it("a cooperative group rebalancing keeps owned partitions flowing", () => {
    const l = layoutGroup({ ...base, state: "CompletingRebalance", protocol: "COOPERATIVE" });
    expect(l.stopped).toBe(false);
    expect(l.lines.map((x) => x.kind)).toEqual(["consuming", "consuming"]);
    expect(l.banner).toContain("cooperative");
  });

  it("lag is the log end (HW) minus the committed offset; no commit, no lag", () => {
    const l = layoutGroup({ ...base, state: "Stable", protocol: "EAGER" });
    const row = new Map(l.rows.map((r) => [r.tp, r]));
    expect(row.get("t-0")).toMatchObject({
      owner: "a",
      position: "95",
      committed: "90",
      lag: "10",
    });
    expect(row.get("t-1")).toMatchObject({ owner: "b", committed: "-", lag: "-" });
    expect(l.banner).toBe("");
  });

  it("a crashed member's lines are paused; an assignment not yet taken is pending", () => {
    const l = layoutGroup({
      ...base,
      state: "Stable",
      protocol: "EAGER",
      members: [
        { ...base.members[0]!, up: false },
        { ...base.members[1]!, held: [], assigned: ["t-1"] },
      ],
    });
    expect(l.lines.map((x) => `${x.member}:${x.kind}`)).toEqual(["a:paused", "b:pending"]);
  });

  it("rebalance-eager-vs-cooperative.yaml: stop at consumer-3's join, then three members", () => {
    const session = open("rebalance-eager-vs-cooperative.yaml");
    const model = new ClientsModel();
    session.advanceTo(19_000_000);
    const before = layoutGroup(model.read(session).groups[0]!);
    expect(before.stopped).toBe(false);
    expect(before.lines.filter((x) => x.kind === "consuming")).toHaveLength(6);
    // Somewhere in the second after consumer-3 starts the group is rebalancing: a stop.
    let stoppedAt: number | undefined;
    for (let t = 20_000_000; t <= 21_000_000 && stoppedAt === undefined; t += 10_000) {
      session.advanceTo(t);
      const l = layoutGroup(model.read(session).groups[0]!);
      if (l.stopped) {
        stoppedAt = t;
        expect(l.lines.every((x) => x.kind === "paused")).toBe(true);
      }
    }
    expect(stoppedAt).toBeDefined();
    session.advanceTo(30_000_000);
    const data = model.read(session);
    const after = layoutGroup(data.groups[0]!);
    expect(after.stopped).toBe(false);
    expect(after.members.map((m) => m.key)).toEqual(["consumer-1", "consumer-2", "consumer-3"]);
    const owners = after.lines.filter((x) => x.kind === "consuming").map((x) => x.tp);
    expect(owners.sort()).toEqual([
      "events-0",
      "events-1",
      "events-2",
      "events-3",
      "events-4",
      "events-5",
    ]);
    expect(data.groups[0]!.generation).toBeGreaterThan(1);

    // Committed offsets and lag as kafka-consumer-groups.sh reports them at the same moment.
    const out = session.kafka!.runToolNow([
      "kafka-consumer-groups.sh",
      "--bootstrap-server",
      "localhost:9092",
      "--describe",
      "--group",
      "reports",
    ]);
    const lines = out.stdout.split("\n").filter((x) => x.startsWith("reports "));
    expect(lines).toHaveLength(6);
    const rows = new Map(after.rows.map((r) => [r.tp, r]));
    for (const line of lines) {
      const [, topic, partition, current, logEnd, lag] = line.trim().split(/\s+/);
      const row = rows.get(`${topic}-${partition}`)!;
      expect(row.committed).toBe(current);
      expect(row.hw).toBe(logEnd);
      expect(row.lag).toBe(lag);
    }
  });
});

describe("viz clients: stream processors", () => {
  it("exactly-once-processing.yaml: each processor's producer and its group appear", () => {
    const session = open("exactly-once-processing.yaml");
    session.advanceTo(20_000_000);
    const data = new ClientsModel().read(session);
    const producers = data.producers.map((p) => p.clientId);
    expect(producers).toEqual(["shop", "enrich-alos-producer", "enrich-eos-producer"]);
    // The producer's row counts what the processor's producer itself counted.
    const eos = data.producers.find((p) => p.clientId === "enrich-eos-producer")!;
    const stats = session.kafka!.processors.get("enrich-eos")!.producer.stats();
    expect(eos.outcomes.acknowledged).toBe(stats.acked);
    const group = data.groups.find((g) => g.groupId === "enrich-eos")!;
    expect(group.members.map((m) => m.clientId)).toEqual(["enrich-eos"]);
    // The member's own view comes from the processor's consumer.
    const consumer = session.kafka!.processors.get("enrich-eos")!.consumer;
    expect(group.members[0]!.held).toEqual(
      consumer.assignment().map((tp) => `${tp.topic}-${tp.partition}`),
    );
    expect(group.members[0]!.held.length).toBe(2);
    expect(group.partitions.map((p) => p.tp)).toEqual(["orders-0", "orders-1"]);
    // Its committed offsets are the coordinator's (the transactions' offsets, once committed).
    const view = session.kafka!.groupViews().find((g) => g.groupId === "enrich-eos")!;
    for (const c of view.committed) {
      expect(group.committed[`${c.topic}-${c.partition}`]).toBe(c.offset);
    }
    expect(Object.keys(group.committed).length).toBe(2);
  });
});
