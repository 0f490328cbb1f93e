import { describe, expect, it } from "vitest";
import { type Actor, Engine, type SimEvent } from "../../sim/engine/engine.ts";
import { DISK_PROFILES, NIC_PROFILES } from "../../sim/infra/hardware.ts";
import { Host } from "../../sim/infra/host.ts";
import { type NetDelivery, Network } from "../../sim/infra/network.ts";
import { Broker, type EmbeddedControllerRole } from "../../sim/kafka/broker/broker.ts";
import { resolveBrokerConfig } from "../../sim/kafka/config.ts";
import type { ControlMessage } from "../../sim/kafka/protocol-control.ts";
import { BrokerHarness, bootstrapLog } from "../support/broker-harness.ts";

const S = 1_000_000;

/** A voter that is not the leader: it points fetchers to `leader` and refuses the rest. */
class FollowerVoter implements Actor {
  constructor(
    readonly id: string,
    engine: Engine,
    private readonly network: Network,
    private readonly leader: number | undefined,
  ) {
    engine.register(this);
    network.addNode(id, { bandwidthBitsPerSec: 10_000_000_000 });
  }
  handle(event: SimEvent): void {
    if (event.kind !== "net.message" || this.leader === undefined) return; // a black hole without a leader
    const { from, message: m } = event.payload as NetDelivery<ControlMessage>;
    const base = { bytes: 64, correlationId: m.correlationId };
    switch (m.type) {
      case "MetadataFetchRequest":
        this.network.send(this.id, from, {
          ...base,
          type: "MetadataFetchResponse",
          error: "NOT_LEADER_OR_FOLLOWER",
          currentLeader: { leaderId: this.leader, leaderEpoch: 1 },
          highWatermark: -1,
          entries: [],
        });
        return;
      case "BrokerHeartbeatRequest":
        this.network.send(this.id, from, {
          ...base,
          type: "BrokerHeartbeatResponse",
          error: "NOT_CONTROLLER",
          isCaughtUp: false,
          isFenced: true,
          shouldShutDown: false,
        });
        return;
      case "BrokerRegistrationRequest":
        this.network.send(this.id, from, {
          ...base,
          type: "BrokerRegistrationResponse",
          error: "NOT_CONTROLLER",
          brokerEpoch: -1,
        });
        return;
      default:
        return;
    }
  }
}

describe("broker: lifecycle: restart", () => {
  it("a restarted broker registers, stays fenced until caught up, then runs; states in order", () => {
    // Broker 3 crashes at 1 s and is back at 2 s. Its old session (broker.session.timeout.ms 9 s)
    // is still valid, so the controller answers DUPLICATE_BROKER_REGISTRATION until it expires
    // and fences 3 (~10 s); the next try registers it, fenced; once caught up it is unfenced.
    const h = new BrokerHarness({ topics: [{ name: "t", assignment: [[1, 2, 3]] }] });
    h.at(1 * S, () => h.crash(3));
    h.at(2 * S, () => h.restart(3));
    h.runUntil(20 * S);
    const states = h.events("broker.state", "3").map((e) => e.state);
    expect(states).toEqual(["running", "starting", "recovery", "running"]);
    const fenced = h.events("broker.fenced").find((e) => e.broker === 3)!;
    const registered = h.events("broker.registered").find((e) => e.broker === 3)!;
    expect(fenced.t).toBeLessThan(registered.t);
    const attempts = h.trace.filter(
      (e) => e.type === "net.send" && e.from === "3" && e.msg === "BrokerRegistrationRequest",
    );
    expect(attempts.length).toBeGreaterThan(1);
    const s = h.snapshot(3);
    expect(s).toMatchObject({ state: "running", registered: true, fenced: false });
    // The broker epoch is the offset of its new RegisterBrokerRecord.
    expect(s.brokerEpoch).toBe(registered.brokerEpoch);
    const caughtUp = h.events("broker.caught-up", "3")[0]!;
    const unfenced = h.events("broker.unfenced").find((e) => e.broker === 3)!;
    expect(caughtUp.t).toBeLessThan(unfenced.t);
    expect(h.replica(3)!.role).toBe("follower");
    expect(s.fetchSessions).toEqual([{ source: 1, fetcherId: 0, partitions: ["t-0"] }]);
    // Back in the ISR once it caught up with the leader.
    expect(h.partitionState().isr.slice().sort()).toEqual([1, 2, 3]);
  });

  it("num.replica.fetchers splits a follower's partitions over sessions by fetcher id", () => {
    const h = new BrokerHarness({
      brokerConfig: { "num.replica.fetchers": 2 },
      topics: [
        {
          name: "t",
          assignment: [
            [1, 2],
            [1, 2],
            [1, 2],
            [1, 2],
          ],
        },
      ],
    });
    h.runUntil(1 * S);
    // "t".hashCode() = 116: (31 * 116 + p) % 2 = p % 2 (3596 is even).
    expect(h.snapshot(2).fetchSessions).toEqual([
      { source: 1, fetcherId: 0, partitions: ["t-0", "t-2"] },
      { source: 1, fetcherId: 1, partitions: ["t-1", "t-3"] },
    ]);
  });
});

describe("broker: lifecycle: finding the active controller", () => {
  it("follows the currentLeader hint of a voter that is not the leader", () => {
    const h = new BrokerHarness({
      extraVoters: [5],
      topics: [{ name: "t", assignment: [[1, 2, 3]] }],
    });
    new FollowerVoter("5", h.engine, h.network, h.controllerId);
    h.at(1 * S, () => h.crash(2));
    h.at(12 * S, () => h.restart(2));
    h.runUntil(16 * S);
    expect(h.snapshot(2)).toMatchObject({ state: "running", controller: "4" });
  });

  it("moves to the next voter when one does not answer (controller.quorum.request.timeout.ms)", () => {
    const h = new BrokerHarness({
      extraVoters: [5],
      topics: [{ name: "t", assignment: [[1, 2, 3]] }],
    });
    new FollowerVoter("5", h.engine, h.network, undefined);
    h.runUntil(8 * S);
    for (const id of [1, 2, 3]) expect(h.snapshot(id).controller).toBe("4");
    // Heartbeats reached the controller within the 9 s session: nobody was fenced.
    expect(h.events("broker.fenced")).toHaveLength(0);
    const firstFetch = h.trace.find(
      (e) => e.type === "net.send" && e.from === "1" && e.msg === "MetadataFetchRequest",
    )!;
    expect(firstFetch.to).toBe("5");
  });
});

describe("broker: lifecycle: combined mode", () => {
  it("hands the embedded controller role its timers and messages, and takes metadata from it", () => {
    const engine = new Engine({ seed: 1 });
    engine.trace.record();
    const network = new Network(engine, { defaultLatencyUs: 200, jitterUs: 0 });
    const host = new Host(engine, network, {
      name: "1",
      disks: [DISK_PROFILES.ssd],
      nic: NIC_PROFILES["10GbE"],
      memoryBytes: 1 << 30,
      cores: 2,
    });
    const log = bootstrapLog([1], [{ name: "t", assignment: [[1]] }]);
    const seen: string[] = [];
    const role: EmbeddedControllerRole = {
      start: (after) => seen.push(`start:${after ?? "first"}`),
      handleMessage: (d) => {
        seen.push(`message:${d.message.type}`);
        return d.message.type === "BrokerHeartbeatRequest"; // the role answers nothing here
      },
      handleDisconnect: () => seen.push("disconnect"),
      handleTimer: (e) => seen.push(`timer:${e.kind}`),
      leaderHint: () => ({ leaderId: 1, leaderEpoch: 1 }),
    };
    const broker = new Broker(engine, network, host, {
      brokerId: 1,
      version: "4.1",
      config: resolveBrokerConfig("4.1", {}, { brokerCount: 1 }),
      voters: [1],
      bootstrap: log,
      controllerRole: role,
    });
    host.boot();
    engine.schedule(10, "1", "ctl.raft", { any: 1 });
    engine.runUntil(3 * S);
    expect(seen[0]).toBe("start:first");
    expect(seen).toContain("timer:ctl.raft");
    // Heartbeats go to the role's leader hint, itself (loopback), and the role takes them.
    expect(seen).toContain("message:BrokerHeartbeatRequest");
    // No MetadataFetch of its own: committed metadata comes from the role.
    expect(
      engine.trace.events.some((e) => e.type === "net.send" && e.msg === "MetadataFetchRequest"),
    ).toBe(false);
    const topicId = (
      log.find((e) => e.record.type === "TopicRecord")!.record as { topicId: string }
    ).topicId;
    broker.onMetadataCommitted(
      [
        {
          offset: log.length,
          epoch: 1,
          record: { type: "PartitionChangeRecord", topicId, partitionId: 0, leader: 1 },
        },
      ],
      log.length + 1,
    );
    const p = broker.snapshot().partitions[0]!;
    expect(p).toMatchObject({ role: "leader", leaderEpoch: 1 });
    // A replay from offset 0 (a restarted voter delivers everything again) changes nothing.
    broker.onMetadataCommitted(log, log.length);
    expect(broker.snapshot().metadataOffset).toBe(log.length);
  });
});
