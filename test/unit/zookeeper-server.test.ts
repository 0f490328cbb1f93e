// The ZooKeeper model: the data tree's conditional writes and ephemerals (ZkDataTree), and the
// ensemble's sessions, watches and quorum through real server actors on the network.
import { describe, expect, it } from "vitest";
import type { Actor, SimEvent } from "../../sim/engine/engine.ts";
import { Engine } from "../../sim/engine/engine.ts";
import { DISK_PROFILES, NIC_PROFILES } from "../../sim/infra/hardware.ts";
import { Host } from "../../sim/infra/host.ts";
import { Network } from "../../sim/infra/network.ts";
import type { ZkMessage } from "../../sim/kafka/protocol-zk.ts";
import { ZkDataTree, ZooKeeperServer, zkServerName } from "../../sim/kafka/zk/zookeeper-server.ts";

describe("ZkDataTree", () => {
  it("creates, refuses duplicates, and updates conditionally on the version", () => {
    const tree = new ZkDataTree();
    const c = tree.applyTxn(
      {
        kind: "ops",
        sessionId: 0,
        ops: [{ op: "create", path: "/a", data: "x", ephemeral: false }],
      },
      1,
    );
    expect(c.error).toBe("OK");
    const dup = tree.applyTxn(
      {
        kind: "ops",
        sessionId: 0,
        ops: [{ op: "create", path: "/a", data: "y", ephemeral: false }],
      },
      2,
    );
    expect(dup.error).toBe("NODEEXISTS");
    // Version 0 after the create: a setData at version 1 is stale.
    const stale = tree.applyTxn(
      { kind: "ops", sessionId: 0, ops: [{ op: "setData", path: "/a", data: "z", version: 1 }] },
      3,
    );
    expect(stale.error).toBe("BADVERSION");
    const ok = tree.applyTxn(
      { kind: "ops", sessionId: 0, ops: [{ op: "setData", path: "/a", data: "z", version: 0 }] },
      4,
    );
    expect(ok.results[0]?.stat?.version).toBe(1);
    expect(tree.get("/a")?.data).toBe("z");
  });

  it("rolls a failed multi back entirely", () => {
    const tree = new ZkDataTree();
    const out = tree.applyTxn(
      {
        kind: "ops",
        sessionId: 0,
        ops: [
          { op: "create", path: "/b", data: "", ephemeral: false },
          { op: "check", path: "/missing", version: 0 },
        ],
      },
      1,
    );
    expect(out.error).toBe("NONODE");
    expect(tree.get("/b")).toBeUndefined();
  });

  it("deletes a session's ephemeral znodes when the session closes", () => {
    const tree = new ZkDataTree();
    tree.applyTxn({ kind: "createSession", sessionId: 7, timeoutMs: 6000, owner: "1" }, 1);
    tree.applyTxn(
      { kind: "ops", sessionId: 7, ops: [{ op: "create", path: "/e", data: "", ephemeral: true }] },
      2,
    );
    expect(tree.get("/e")?.ephemeralOwner).toBe(7);
    const closed = tree.applyTxn({ kind: "closeSession", sessionId: 7, why: "expired" }, 3);
    expect(tree.get("/e")).toBeUndefined();
    expect(closed.triggers.some((t) => t.path === "/e" && t.event === "NodeDeleted")).toBe(true);
  });
});

/** A bare ZooKeeper client actor for the ensemble tests. */
class Client implements Actor {
  readonly inbox: ZkMessage[] = [];
  constructor(
    readonly id: string,
    engine: Engine,
  ) {
    engine.register(this);
  }
  handle(event: SimEvent): void {
    if (event.kind === "net.message")
      this.inbox.push((event.payload as { message: ZkMessage }).message);
  }
}

function ensemble(size: number) {
  const engine = new Engine({ seed: 1 });
  const network = new Network(engine, { defaultLatencyUs: 100, jitterUs: 0 });
  const machine = {
    disks: [DISK_PROFILES.ssd],
    nic: NIC_PROFILES["10GbE"],
    memoryBytes: 1 << 30,
    cores: 2,
  };
  const hosts: Host[] = [];
  const servers: ZooKeeperServer[] = [];
  for (let i = 1; i <= size; i++) {
    hosts.push(new Host(engine, network, { name: zkServerName(i), ...machine }));
    servers.push(
      new ZooKeeperServer({
        engine,
        network,
        serverId: i,
        ensembleSize: size,
        bootstrap: { zxid: 0, nodes: [], sessions: [], nextSessionId: 1 },
      }),
    );
  }
  new Host(engine, network, { name: "c", ...machine });
  const client = new Client("c", engine);
  for (const h of hosts) h.boot();
  const events: Array<{ type: string; [k: string]: unknown }> = [];
  engine.trace.subscribe((e) => events.push(e));
  return { engine, network, hosts, servers, client, events };
}

describe("ZooKeeperServer ensemble", () => {
  it("expires a silent session after its timeout and deletes its ephemeral znode everywhere", () => {
    const { engine, network, servers, client, events } = ensemble(3);
    network.send("c", "zookeeper-1", {
      type: "ZkConnectRequest",
      bytes: 64,
      sessionId: 0,
      timeoutMs: 6000,
      owner: "c",
    });
    engine.runUntil(10_000);
    const connected = client.inbox.find((m) => m.type === "ZkConnectResponse");
    expect(connected?.type === "ZkConnectResponse" && connected.error).toBe("OK");
    const sid = connected?.type === "ZkConnectResponse" ? connected.sessionId : -1;
    network.send("c", "zookeeper-1", {
      type: "ZkRequest",
      bytes: 64,
      sessionId: sid,
      xid: 1,
      op: { op: "create", path: "/e", data: "", ephemeral: true },
    });
    network.send("c", "zookeeper-1", {
      type: "ZkRequest",
      bytes: 64,
      sessionId: sid,
      xid: 2,
      op: { op: "exists", path: "/e", watch: true },
    });
    engine.runUntil(20_000);
    // No pings: the leader expires the session 6 s after the last contact, on a 2 s tick.
    engine.runUntil(12_000_000);
    const expired = events.find((e) => e.type === "zk.session" && e.state === "expired");
    expect(expired).toBeDefined();
    expect(Number(expired!.t)).toBeGreaterThanOrEqual(6_000_000);
    expect(Number(expired!.t)).toBeLessThanOrEqual(8_100_000);
    // Created on every server while the session lived, gone from every server after it expired.
    for (const server of servers) expect(server.znode("/e")).toBeUndefined();
    expect(events.some((e) => e.type === "zk.znode" && e.path === "/e" && e.op === "create")).toBe(
      true,
    );
  });

  it("delivers one-shot watches: another session hears of the expired session's ephemeral", () => {
    const { engine, network, client, events } = ensemble(3);
    new Host(engine, network, {
      name: "w",
      disks: [DISK_PROFILES.ssd],
      nic: NIC_PROFILES["10GbE"],
      memoryBytes: 1 << 30,
      cores: 2,
    });
    const watcher = new Client("w", engine);
    // c: 6 s session holding /e; w: a 30 s session on another server, watching /e.
    network.send("c", "zookeeper-1", {
      type: "ZkConnectRequest",
      bytes: 64,
      sessionId: 0,
      timeoutMs: 6000,
      owner: "c",
    });
    engine.runUntil(5_000);
    network.send("w", "zookeeper-2", {
      type: "ZkConnectRequest",
      bytes: 64,
      sessionId: 0,
      timeoutMs: 30000,
      owner: "w",
    });
    engine.runUntil(10_000);
    const sid = (m: ZkMessage | undefined) => (m?.type === "ZkConnectResponse" ? m.sessionId : -1);
    const c = sid(client.inbox.find((m) => m.type === "ZkConnectResponse"));
    const w = sid(watcher.inbox.find((m) => m.type === "ZkConnectResponse"));
    expect(c).toBe(1);
    expect(w).toBe(2);
    network.send("c", "zookeeper-1", {
      type: "ZkRequest",
      bytes: 64,
      sessionId: c,
      xid: 1,
      op: { op: "create", path: "/e", data: "", ephemeral: true },
    });
    engine.runUntil(20_000);
    network.send("w", "zookeeper-2", {
      type: "ZkRequest",
      bytes: 64,
      sessionId: w,
      xid: 1,
      op: { op: "exists", path: "/e", watch: true },
    });
    engine.runUntil(30_000);
    // zookeeper-2 (a follower) has /e from the leader's proposal.
    const read = watcher.inbox.find((m) => m.type === "ZkResponse");
    expect(read?.type === "ZkResponse" && read.result.error).toBe("OK");
    engine.runUntil(12_000_000);
    expect(
      events.some((e) => e.type === "zk.session" && e.session === 1 && e.state === "expired"),
    ).toBe(true);
    const fired = watcher.inbox.filter((m) => m.type === "ZkWatchEvent");
    expect(fired).toEqual([
      {
        type: "ZkWatchEvent",
        bytes: 64 + "/e".length,
        sessionId: 2,
        path: "/e",
        event: "NodeDeleted",
      },
    ]);
  });

  it("refuses writes without a live majority (two of three servers down)", () => {
    const { engine, network, hosts, client } = ensemble(3);
    hosts[1]!.crash("process");
    hosts[2]!.crash("process");
    // syncLimit × tickTime = 10 s without peers: server 1 gives up leadership.
    engine.runUntil(14_000_000);
    network.send("c", "zookeeper-1", {
      type: "ZkConnectRequest",
      bytes: 64,
      sessionId: 0,
      timeoutMs: 6000,
      owner: "c",
    });
    network.send("c", "zookeeper-1", { type: "ZkPing", bytes: 64, sessionId: 1 });
    engine.runUntil(15_000_000);
    expect(client.inbox.some((m) => m.type === "ZkConnectResponse")).toBe(false);
    expect(
      client.inbox.some((m) => m.type === "ZkPingResponse" && m.error === "CONNECTIONLOSS"),
    ).toBe(true);
  });
});
