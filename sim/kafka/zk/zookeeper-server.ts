/**
 * A ZooKeeper server of the ensemble `zookeeper-1..N` (one actor per host; actor id = node name).
 *
 * Models: the data tree (znodes with data, version, child version, creating zxid, ephemeral
 * owner); create (NODEEXISTS, NONODE for a missing parent, sequential names), setData and delete
 * conditional on the version (BADVERSION; -1 = any), check, all-or-nothing multi; one-shot data
 * and child watches kept by the server the client is connected to and delivered as messages;
 * sessions (created, resumed on another server, pinged, expired by the leader when silent for
 * their timeout, checked every tickTime as ZooKeeper's ExpiryQueue rounds to the tick, closed),
 * with their ephemeral znodes deleted and watchers told. Writes need a live majority: the leader
 * orders them (zxid), applies them and sends each to the followers; a follower with a gap, or a
 * new leader behind a peer, fetches a whole snapshot. Reads are served locally (possibly stale, as
 * in ZooKeeper). Followers pass writes, pings and session requests to the leader.
 *
 * Simplifies ZAB: the leader is the lowest-numbered server that hears from a majority (itself
 * included) within syncLimit × tickTime (peers ping every tickTime, naming the leader they
 * follow); no votes, no epochs. A new leader serves once a majority follows it: it adopts the
 * state of its follower with the highest zxid, then pushes it to every peer, and a follower takes
 * its leader's state over its own (ZAB's TRUNC/SNAP). The leader answers a write as soon as it has applied it while it sees a live
 * majority (no per-transaction acknowledgements, no separate COMMIT): a write acknowledged just
 * before the leader dies and before any follower got it can be lost, which ZooKeeper prevents.
 * A server without a leader answers clients with CONNECTIONLOSS (ZooKeeper closes the socket).
 * Every transaction reaches disk at once (ZooKeeper fsyncs before acknowledging), so a restart
 * keeps the tree and the sessions; a restarted server gives every session a fresh timeout when
 * it becomes leader (as a new ZooKeeper leader does). No quotas, ACLs or TTL nodes.
 *
 * Faults: process crash and power loss (the tree survives), partitions and lost messages (loss of
 * quorum stops writes; clients move to another server; sessions expire while cut off).
 */
import { assert, unreachable } from "../../engine/assert.ts";
import type { Actor, Engine, SimEvent } from "../../engine/engine.ts";
import type { TraceFields } from "../../engine/trace.ts";
import { PROCESS_START, type ProcessStart } from "../../infra/host.ts";
import {
  NET_DISCONNECT,
  NET_MESSAGE,
  type NetDelivery,
  type NetMessage,
  type Network,
} from "../../infra/network.ts";
import type {
  ZkCloseSession,
  ZkConnectRequest,
  ZkConnectResponse,
  ZkError,
  ZkMessage,
  ZkOpResult,
  ZkPing,
  ZkPingResponse,
  ZkReadOp,
  ZkRequest,
  ZkResponse,
  ZkSnapshot,
  ZkSnapshotNode,
  ZkStat,
  ZkTxn,
  ZkWatchEventType,
  ZkWriteOp,
} from "../protocol-zk.ts";

/** ZooKeeper's defaults in Kafka's bundled zookeeper.properties-style setups. */
export const ZK_TICK_TIME_MS = 2000;
export const ZK_SYNC_LIMIT = 5;
const HEADER_BYTES = 64;

export function zkServerName(id: number): string {
  return `zookeeper-${id}`;
}

/** The ensemble's state at t = 0 (the cluster already running). */
export interface ZkBootstrap {
  readonly zxid: number;
  readonly nodes: readonly ZkSnapshotNode[];
  readonly sessions: ReadonlyArray<{ sessionId: number; timeoutMs: number; owner: string }>;
  readonly nextSessionId: number;
}

export interface ZooKeeperServerOptions {
  readonly engine: Engine;
  readonly network: Network;
  /** 1..N. */
  readonly serverId: number;
  readonly ensembleSize: number;
  readonly bootstrap: ZkBootstrap;
  readonly tickTimeMs?: number;
}

interface ZNode {
  data: string;
  czxid: number;
  version: number;
  cversion: number;
  ephemeralOwner: number;
  children: Set<string>;
}

interface Session {
  readonly timeoutMs: number;
  readonly owner: string;
}

export interface ZooKeeperServerSnapshot {
  readonly id: number;
  readonly leader: number;
  readonly serving: boolean;
  readonly zxid: number;
  readonly sessions: readonly number[];
  readonly znodes: number;
}

type ServerEvent =
  | SimEvent<typeof PROCESS_START, ProcessStart>
  | SimEvent<typeof NET_MESSAGE, NetDelivery<ZkMessage>>
  | SimEvent<typeof NET_DISCONNECT, unknown>
  | SimEvent<"zk.tick", { readonly generation: number }>;

function parentOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
}

function nameOf(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

function statOf(n: ZNode): ZkStat {
  return {
    czxid: n.czxid,
    version: n.version,
    cversion: n.cversion,
    ephemeralOwner: n.ephemeralOwner,
  };
}

/**
 * The data tree and sessions, with the transaction logic every server runs the same way. Kept
 * apart from the actor so that unit tests and the bootstrap can use it directly.
 */
export class ZkDataTree {
  readonly nodes = new Map<string, ZNode>();
  readonly sessions = new Map<number, Session>();
  zxid = 0;
  nextSessionId = 1;

  constructor() {
    this.nodes.set("/", {
      data: "",
      czxid: 0,
      version: 0,
      cversion: 0,
      ephemeralOwner: 0,
      children: new Set(),
    });
  }

  static fromSnapshot(s: ZkBootstrap): ZkDataTree {
    const tree = new ZkDataTree();
    tree.install(s);
    return tree;
  }

  install(s: ZkBootstrap): void {
    this.nodes.clear();
    this.sessions.clear();
    const sorted = [...s.nodes].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    for (const n of sorted) {
      this.nodes.set(n.path, { data: n.data, ...n.stat, children: new Set() });
    }
    if (!this.nodes.has("/")) {
      this.nodes.set("/", {
        data: "",
        czxid: 0,
        version: 0,
        cversion: 0,
        ephemeralOwner: 0,
        children: new Set(),
      });
    }
    for (const path of this.nodes.keys()) {
      if (path === "/") continue;
      const parent = this.nodes.get(parentOf(path));
      assert(parent !== undefined, () => `snapshot znode ${path} has no parent`);
      parent.children.add(nameOf(path));
    }
    for (const x of s.sessions)
      this.sessions.set(x.sessionId, { timeoutMs: x.timeoutMs, owner: x.owner });
    this.zxid = s.zxid;
    this.nextSessionId = s.nextSessionId;
  }

  snapshot(): ZkBootstrap {
    const nodes: ZkSnapshotNode[] = [];
    for (const [path, n] of this.nodes) nodes.push({ path, data: n.data, stat: statOf(n) });
    const sessions = [...this.sessions.entries()]
      .sort(([a], [b]) => a - b)
      .map(([sessionId, x]) => ({ sessionId, timeoutMs: x.timeoutMs, owner: x.owner }));
    return { zxid: this.zxid, nodes, sessions, nextSessionId: this.nextSessionId };
  }

  get(path: string): ZNode | undefined {
    return this.nodes.get(path);
  }

  children(path: string): string[] {
    const n = this.nodes.get(path);
    return n === undefined ? [] : [...n.children].sort();
  }

  read(op: ZkReadOp): ZkOpResult {
    switch (op.op) {
      case "getData": {
        const n = this.nodes.get(op.path);
        if (n === undefined) return { error: "NONODE", path: op.path };
        return { error: "OK", path: op.path, data: n.data, stat: statOf(n) };
      }
      case "exists": {
        const n = this.nodes.get(op.path);
        if (n === undefined) return { error: "NONODE", path: op.path };
        return { error: "OK", path: op.path, stat: statOf(n) };
      }
      case "getChildren": {
        const n = this.nodes.get(op.path);
        if (n === undefined) return { error: "NONODE", path: op.path };
        return { error: "OK", path: op.path, children: this.children(op.path), stat: statOf(n) };
      }
      case "getDataMany":
        return {
          error: "OK",
          many: op.paths.map((p) => {
            const n = this.nodes.get(p);
            return n === undefined ? null : { data: n.data, stat: statOf(n) };
          }),
        };
      default:
        return unreachable(op, "read op");
    }
  }

  /**
   * Applies a transaction's ops at `zxid`, all or nothing. Returns per-op results and the watch
   * triggers (path, event, data or child watch) of a successful transaction.
   */
  applyOps(
    ops: readonly ZkWriteOp[],
    sessionId: number,
    zxid: number,
  ): { error: ZkError; results: ZkOpResult[]; triggers: Trigger[] } {
    const undo = new Map<string, ZNode | undefined>();
    const save = (path: string) => {
      if (undo.has(path)) return;
      const n = this.nodes.get(path);
      undo.set(path, n === undefined ? undefined : { ...n, children: new Set(n.children) });
    };
    const results: ZkOpResult[] = [];
    const triggers: Trigger[] = [];
    let failed: ZkError = "OK";
    for (const op of ops) {
      const r = this.applyOne(op, sessionId, zxid, save, triggers);
      results.push(r);
      if (r.error !== "OK") {
        failed = r.error;
        break;
      }
    }
    if (failed !== "OK") {
      for (const [path, n] of undo) {
        if (n === undefined) this.nodes.delete(path);
        else this.nodes.set(path, n);
      }
      return { error: failed, results, triggers: [] };
    }
    return { error: "OK", results, triggers };
  }

  private applyOne(
    op: ZkWriteOp,
    sessionId: number,
    zxid: number,
    save: (path: string) => void,
    triggers: Trigger[],
  ): ZkOpResult {
    switch (op.op) {
      case "create": {
        const parentPath = parentOf(op.path);
        const parent = this.nodes.get(parentPath);
        if (parent === undefined) return { error: "NONODE", path: op.path };
        if (parent.ephemeralOwner !== 0) return { error: "NONODE", path: op.path };
        const path = op.sequential
          ? `${op.path}${String(parent.cversion).padStart(10, "0")}`
          : op.path;
        if (this.nodes.has(path)) return { error: "NODEEXISTS", path };
        save(parentPath);
        save(path);
        parent.children.add(nameOf(path));
        parent.cversion++;
        this.nodes.set(path, {
          data: op.data,
          czxid: zxid,
          version: 0,
          cversion: 0,
          ephemeralOwner: op.ephemeral ? sessionId : 0,
          children: new Set(),
        });
        triggers.push({ path, event: "NodeCreated", watch: "data" });
        triggers.push({ path: parentPath, event: "NodeChildrenChanged", watch: "child" });
        return { error: "OK", path, stat: statOf(this.nodes.get(path)!) };
      }
      case "setData": {
        const n = this.nodes.get(op.path);
        if (n === undefined) return { error: "NONODE", path: op.path };
        if (op.version !== -1 && op.version !== n.version)
          return { error: "BADVERSION", path: op.path };
        save(op.path);
        n.data = op.data;
        n.version++;
        triggers.push({ path: op.path, event: "NodeDataChanged", watch: "data" });
        return { error: "OK", path: op.path, stat: statOf(n) };
      }
      case "delete": {
        const n = this.nodes.get(op.path);
        if (n === undefined || op.path === "/") return { error: "NONODE", path: op.path };
        if (op.version !== -1 && op.version !== n.version)
          return { error: "BADVERSION", path: op.path };
        if (n.children.size > 0) return { error: "NOTEMPTY", path: op.path };
        const parentPath = parentOf(op.path);
        const parent = this.nodes.get(parentPath)!;
        save(op.path);
        save(parentPath);
        this.nodes.delete(op.path);
        parent.children.delete(nameOf(op.path));
        parent.cversion++;
        triggers.push({ path: op.path, event: "NodeDeleted", watch: "data" });
        triggers.push({ path: op.path, event: "NodeDeleted", watch: "child" });
        triggers.push({ path: parentPath, event: "NodeChildrenChanged", watch: "child" });
        return { error: "OK", path: op.path };
      }
      case "check": {
        const n = this.nodes.get(op.path);
        if (n === undefined) return { error: "NONODE", path: op.path };
        if (op.version !== -1 && op.version !== n.version)
          return { error: "BADVERSION", path: op.path };
        return { error: "OK", path: op.path, stat: statOf(n) };
      }
      default:
        return unreachable(op, "write op");
    }
  }

  /** The ephemeral znodes a session owns, deepest first (so deletes never hit NOTEMPTY). */
  ephemeralsOf(sessionId: number): string[] {
    const out: string[] = [];
    for (const [path, n] of this.nodes) if (n.ephemeralOwner === sessionId) out.push(path);
    return out.sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
  }

  /** Applies a committed transaction (leader and followers alike). */
  applyTxn(
    txn: ZkTxn,
    zxid: number,
  ): { error: ZkError; results: ZkOpResult[]; triggers: Trigger[] } {
    assert(zxid === this.zxid + 1, () => `zxid ${zxid} after ${this.zxid}`);
    this.zxid = zxid;
    switch (txn.kind) {
      case "createSession":
        this.sessions.set(txn.sessionId, { timeoutMs: txn.timeoutMs, owner: txn.owner });
        this.nextSessionId = Math.max(this.nextSessionId, txn.sessionId + 1);
        return { error: "OK", results: [], triggers: [] };
      case "closeSession": {
        this.sessions.delete(txn.sessionId);
        const ops: ZkWriteOp[] = this.ephemeralsOf(txn.sessionId).map((path) => ({
          op: "delete",
          path,
          version: -1,
        }));
        const out = this.applyOps(ops, txn.sessionId, zxid);
        assert(out.error === "OK", () => `closing session ${txn.sessionId}: ${out.error}`);
        return out;
      }
      case "ops": {
        // Validated by the leader; a follower applies the same outcome (a failed multi changes
        // nothing but still takes its zxid, as ZooKeeper logs an error transaction).
        return this.applyOps(txn.ops, txn.sessionId, zxid);
      }
      default:
        return unreachable(txn, "txn");
    }
  }
}

export interface Trigger {
  readonly path: string;
  readonly event: ZkWatchEventType;
  readonly watch: "data" | "child";
}

export class ZooKeeperServer implements Actor {
  readonly id: string;
  readonly serverId: number;
  private readonly engine: Engine;
  private readonly network: Network;
  private readonly ensembleSize: number;
  private readonly tickUs: number;
  private readonly tree: ZkDataTree;

  // Runtime (reset at each process start).
  private generation = 0;
  private leader = -1;
  /** Leader only: established (state synced) and taking requests. */
  private serving = false;
  private readonly peerHeardUs = new Map<number, number>();
  private readonly peerZxid = new Map<number, number>();
  /** The leader each peer said it follows in its last ping. */
  private readonly peerLeader = new Map<number, number>();
  /** Leader only: last contact per session. */
  private readonly sessionContactUs = new Map<number, number>();
  /** Clients connected here, by session. */
  private readonly connections = new Map<number, string>();
  private readonly dataWatches = new Map<string, Set<number>>();
  private readonly childWatches = new Map<string, Set<number>>();
  private syncingFrom = -1;

  constructor(options: ZooKeeperServerOptions) {
    this.engine = options.engine;
    this.network = options.network;
    this.serverId = options.serverId;
    this.ensembleSize = options.ensembleSize;
    this.id = zkServerName(options.serverId);
    this.tickUs = (options.tickTimeMs ?? ZK_TICK_TIME_MS) * 1000;
    this.tree = ZkDataTree.fromSnapshot(options.bootstrap);
    this.engine.register(this);
  }

  private get quorum(): number {
    return Math.floor(this.ensembleSize / 2) + 1;
  }

  private peers(): number[] {
    const out: number[] = [];
    for (let i = 1; i <= this.ensembleSize; i++) if (i !== this.serverId) out.push(i);
    return out;
  }

  handle(event: SimEvent): void {
    const e = event as ServerEvent;
    switch (e.kind) {
      case PROCESS_START:
        return this.start(e.payload.after);
      case NET_MESSAGE:
        return this.onMessage(e.payload.from, e.payload.message);
      case NET_DISCONNECT:
        return;
      case "zk.tick":
        if (e.payload.generation === this.generation) this.tick();
        return;
      default:
        unreachable(e, "zookeeper event");
    }
  }

  private start(after: ProcessStart["after"]): void {
    this.generation++;
    this.peerHeardUs.clear();
    this.peerZxid.clear();
    this.peerLeader.clear();
    this.sessionContactUs.clear();
    this.connections.clear();
    this.dataWatches.clear();
    this.childWatches.clear();
    this.syncingFrom = -1;
    const now = this.engine.now;
    if (after === undefined) {
      // Bootstrap: every server up and in sync, server 1 leading, every session fresh.
      for (const p of this.peers()) {
        this.peerHeardUs.set(p, now);
        this.peerZxid.set(p, this.tree.zxid);
        this.peerLeader.set(p, 1);
      }
      this.leader = 1;
      this.serving = this.serverId === 1;
      if (this.serving)
        for (const sid of this.tree.sessions.keys()) this.sessionContactUs.set(sid, now);
    } else {
      this.leader = -1;
      this.serving = false;
    }
    this.engine.schedule(this.tickUs, this.id, "zk.tick", { generation: this.generation });
    if (after !== undefined) this.sendPeerPings();
  }

  private emit(type: string, fields: TraceFields): void {
    this.engine.trace.emit(type, this.id, fields);
  }

  private send(to: string, message: NetMessage): void {
    this.network.send(this.id, to, message);
  }

  // ---------------------------------------------------------------- quorum and leadership

  private tick(): void {
    this.updateLeader();
    this.sendPeerPings();
    if (this.serving) this.expireSessions();
    this.engine.schedule(this.tickUs, this.id, "zk.tick", { generation: this.generation });
  }

  private sendPeerPings(): void {
    for (const p of this.peers()) {
      this.send(zkServerName(p), {
        type: "ZkPeerPing",
        bytes: HEADER_BYTES,
        serverId: this.serverId,
        zxid: this.tree.zxid,
        leader: this.leader,
      });
    }
  }

  private liveServers(): number[] {
    const now = this.engine.now;
    const limitUs = this.tickUs * ZK_SYNC_LIMIT;
    const live = [this.serverId];
    for (const p of this.peers()) {
      const heard = this.peerHeardUs.get(p);
      if (heard !== undefined && now - heard <= limitUs) live.push(p);
    }
    return live.sort((a, b) => a - b);
  }

  /** The lowest-numbered server among those this one hears, if they are a majority. */
  private updateLeader(): void {
    const live = this.liveServers();
    const next = live.length >= this.quorum ? live[0]! : -1;
    if (next === this.leader) return;
    const was = this.leader;
    this.leader = next;
    this.serving = false;
    this.syncingFrom = -1;
    this.emit("zk.leader", { leader: next, previous: was, live });
    if (next === -1) {
      // Out of quorum: ZooKeeper drops its clients; they move to another server.
      this.connections.clear();
      this.dataWatches.clear();
      this.childWatches.clear();
      this.sessionContactUs.clear();
      return;
    }
    if (next === this.serverId) this.tryEstablish();
    // A follower syncs with its new leader (answered once that leader serves).
    else
      this.send(zkServerName(next), {
        type: "ZkSnapRequest",
        bytes: HEADER_BYTES,
        serverId: this.serverId,
      });
  }

  /** Peers whose last ping names this server as their leader. */
  private followers(): number[] {
    return this.liveServers().filter(
      (p) => p !== this.serverId && this.peerLeader.get(p) === this.serverId,
    );
  }

  /** A leader serves once a majority (itself included) follows it (ZAB's NEWLEADER quorum). */
  private tryEstablish(): void {
    if (this.leader !== this.serverId || this.serving || this.syncingFrom !== -1) return;
    if (this.followers().length + 1 < this.quorum) return;
    this.establish();
  }

  /** The new leader catches up with its most advanced follower, then serves. */
  private establish(): void {
    let best = this.serverId;
    let bestZxid = this.tree.zxid;
    for (const p of this.followers()) {
      const z = this.peerZxid.get(p);
      if (z !== undefined && z > bestZxid) {
        best = p;
        bestZxid = z;
      }
    }
    if (best !== this.serverId) {
      this.syncingFrom = best;
      this.send(zkServerName(best), {
        type: "ZkSnapRequest",
        bytes: HEADER_BYTES,
        serverId: this.serverId,
      });
      return;
    }
    this.serving = true;
    const now = this.engine.now;
    this.sessionContactUs.clear();
    for (const sid of this.tree.sessions.keys()) this.sessionContactUs.set(sid, now);
    const snap = this.snapshotMessage();
    for (const p of this.peers()) this.send(zkServerName(p), snap);
  }

  private snapshotMessage(): ZkSnapshot {
    const s = this.tree.snapshot();
    let bytes = HEADER_BYTES;
    for (const n of s.nodes) bytes += n.path.length + n.data.length + 32;
    return { type: "ZkSnapshot", bytes, ...s };
  }

  private expireSessions(): void {
    const now = this.engine.now;
    for (const sid of [...this.tree.sessions.keys()].sort((a, b) => a - b)) {
      const session = this.tree.sessions.get(sid)!;
      const last = this.sessionContactUs.get(sid) ?? now;
      if (now - last >= session.timeoutMs * 1000) {
        this.commit({ kind: "closeSession", sessionId: sid, why: "expired" });
      }
    }
  }

  /** Leader: orders, applies and replicates a transaction. */
  private commit(txn: ZkTxn): { error: ZkError; results: ZkOpResult[] } {
    assert(this.serving, "only a serving leader commits");
    const zxid = this.tree.zxid + 1;
    const owner =
      txn.kind === "createSession"
        ? txn.owner
        : (this.tree.sessions.get(txn.sessionId)?.owner ?? "");
    const out = this.applyLocal(txn, zxid);
    let bytes = HEADER_BYTES;
    if (txn.kind === "ops")
      for (const op of txn.ops) bytes += op.path.length + ("data" in op ? op.data.length : 0);
    for (const p of this.peers()) {
      this.send(zkServerName(p), { type: "ZkProposal", bytes, zxid, txn });
    }
    // The trace of the committed transaction (written once, by the leader).
    if (txn.kind === "createSession") {
      this.sessionContactUs.set(txn.sessionId, this.engine.now);
      this.emit("zk.session", { session: txn.sessionId, owner, state: "created" });
    } else if (txn.kind === "closeSession") {
      this.sessionContactUs.delete(txn.sessionId);
      this.emit("zk.session", { session: txn.sessionId, owner, state: txn.why });
    } else if (out.error === "OK") {
      txn.ops.forEach((op, i) => {
        if (op.op === "check") return;
        const r = out.results[i];
        this.emit("zk.znode", {
          path: r?.path ?? op.path,
          op: op.op,
          version: r?.stat?.version ?? -1,
          session: txn.sessionId,
        });
      });
    }
    return out;
  }

  private applyLocal(txn: ZkTxn, zxid: number): { error: ZkError; results: ZkOpResult[] } {
    const out = this.tree.applyTxn(txn, zxid);
    if (txn.kind === "closeSession") this.connections.delete(txn.sessionId);
    for (const t of out.triggers) this.fire(t.path, t.event, t.watch);
    return out;
  }

  private fire(path: string, event: ZkWatchEventType, watch: "data" | "child"): void {
    const table = watch === "data" ? this.dataWatches : this.childWatches;
    const set = table.get(path);
    if (set === undefined) return;
    table.delete(path);
    for (const sid of [...set].sort((a, b) => a - b)) {
      const client = this.connections.get(sid);
      if (client === undefined) continue;
      this.send(client, {
        type: "ZkWatchEvent",
        bytes: HEADER_BYTES + path.length,
        sessionId: sid,
        path,
        event,
      });
    }
  }

  private addWatch(sid: number, path: string, watch: "data" | "child"): void {
    const table = watch === "data" ? this.dataWatches : this.childWatches;
    let set = table.get(path);
    if (set === undefined) {
      set = new Set();
      table.set(path, set);
    }
    set.add(sid);
  }

  // ---------------------------------------------------------------- messages

  private onMessage(from: string, m: ZkMessage): void {
    switch (m.type) {
      case "ZkPeerPing":
        this.peerHeardUs.set(m.serverId, this.engine.now);
        this.peerZxid.set(m.serverId, m.zxid);
        this.peerLeader.set(m.serverId, m.leader);
        if (this.leader === -1 || !this.liveServers().includes(this.leader)) this.updateLeader();
        this.tryEstablish();
        return;
      case "ZkProposal":
        if (from !== zkServerName(this.leader) || this.leader === this.serverId) return;
        if (m.zxid <= this.tree.zxid) return;
        if (m.zxid !== this.tree.zxid + 1) {
          this.send(from, { type: "ZkSnapRequest", bytes: HEADER_BYTES, serverId: this.serverId });
          return;
        }
        this.applyLocal(m.txn, m.zxid);
        return;
      case "ZkSnapRequest":
        // A leader still establishing pushes its state to everyone once it serves.
        if (this.leader === this.serverId && !this.serving) return;
        this.send(from, this.snapshotMessage());
        return;
      case "ZkSnapshot":
        return this.onSnapshot(from, m);
      case "ZkConnectRequest":
      case "ZkPing":
      case "ZkRequest":
      case "ZkCloseSession":
        return this.onClient(from, m, this.serverId);
      case "ZkForward":
        if (this.serving) this.onClient(m.client, m.message, m.origin);
        return;
      case "ZkForwardResponse":
        this.relay(m.client, m.message);
        return;
      case "ZkConnectResponse":
      case "ZkResponse":
      case "ZkPingResponse":
      case "ZkWatchEvent":
        return;
      default:
        unreachable(m, "zookeeper message");
    }
  }

  private onSnapshot(from: string, m: ZkSnapshot): void {
    const source = Number(from.slice("zookeeper-".length));
    const fromLeader = source === this.leader && source !== this.serverId;
    const syncing = this.leader === this.serverId && this.syncingFrom === source;
    // The leader's state wins (ZAB truncates a follower's unacknowledged tail); a leader catching
    // up takes a peer's state only when it is ahead.
    if (!fromLeader && !(syncing && m.zxid >= this.tree.zxid)) return;
    const before = new Map<string, number>();
    for (const path of [...this.dataWatches.keys(), ...this.childWatches.keys()]) {
      const n = this.tree.get(path);
      before.set(path, n === undefined ? -1 : n.version * 1_000_000 + n.cversion);
    }
    this.tree.install(m);
    for (const [path, sig] of before) {
      const n = this.tree.get(path);
      const now = n === undefined ? -1 : n.version * 1_000_000 + n.cversion;
      if (sig === now) continue;
      if (n === undefined) {
        this.fire(path, "NodeDeleted", "data");
        this.fire(path, "NodeDeleted", "child");
      } else {
        this.fire(path, sig === -1 ? "NodeCreated" : "NodeDataChanged", "data");
        this.fire(path, "NodeChildrenChanged", "child");
      }
    }
    if (syncing) {
      this.syncingFrom = -1;
      this.establish();
    }
  }

  /** Answers a client directly, or through the follower it is connected to. */
  private answer(
    client: string,
    origin: number,
    message: ZkResponse | ZkPingResponse | ZkConnectResponse,
  ): void {
    if (origin === this.serverId) this.relay(client, message);
    else
      this.send(zkServerName(origin), {
        type: "ZkForwardResponse",
        bytes: message.bytes,
        client,
        message,
      });
  }

  private relay(client: string, message: ZkResponse | ZkPingResponse | ZkConnectResponse): void {
    if (message.type === "ZkConnectResponse" && message.error === "OK")
      this.connections.set(message.sessionId, client);
    this.send(client, message);
  }

  private onClient(
    client: string,
    m: ZkConnectRequest | ZkPing | ZkRequest | ZkCloseSession,
    origin: number,
  ): void {
    const lost = (): void => {
      if (m.type === "ZkRequest")
        this.relay(client, {
          type: "ZkResponse",
          bytes: HEADER_BYTES,
          sessionId: m.sessionId,
          xid: m.xid,
          result: { error: "CONNECTIONLOSS" },
        });
      else if (m.type === "ZkPing")
        this.relay(client, {
          type: "ZkPingResponse",
          bytes: HEADER_BYTES,
          sessionId: m.sessionId,
          error: "CONNECTIONLOSS",
        });
    };
    if (this.leader === -1) return lost();
    if (origin === this.serverId && m.sessionId !== 0) this.connections.set(m.sessionId, client);
    // Reads are local, on the server the client is connected to.
    if (m.type === "ZkRequest" && isRead(m.op) && origin === this.serverId) {
      if (!this.tree.sessions.has(m.sessionId) && this.serving)
        return this.relay(client, expired(m));
      const op = m.op as ZkReadOp;
      const result = this.tree.read(op);
      if ("watch" in op && op.watch) {
        if (op.op === "getChildren") {
          if (result.error === "OK") this.addWatch(m.sessionId, op.path, "child");
        } else if (op.op === "exists" || result.error === "OK") {
          this.addWatch(m.sessionId, op.path, "data");
        }
      }
      this.relay(client, {
        type: "ZkResponse",
        bytes: HEADER_BYTES + (result.data?.length ?? 0) + sizeOfMany(result),
        sessionId: m.sessionId,
        xid: m.xid,
        result,
      });
      if (!this.serving) this.forwardTouch(client, m.sessionId);
      return;
    }
    if (!this.serving) {
      if (this.leader === this.serverId) return lost(); // still syncing
      this.send(zkServerName(this.leader), {
        type: "ZkForward",
        bytes: m.bytes + 16,
        origin,
        client,
        message: m,
      });
      return;
    }
    this.leaderHandle(client, m, origin);
  }

  /** A follower tells the leader that a session it serves reads for is alive. */
  private forwardTouch(client: string, sessionId: number): void {
    this.send(zkServerName(this.leader), {
      type: "ZkForward",
      bytes: HEADER_BYTES,
      origin: this.serverId,
      client,
      message: { type: "ZkPing", bytes: HEADER_BYTES, sessionId },
    });
  }

  private leaderHandle(
    client: string,
    m: ZkConnectRequest | ZkPing | ZkRequest | ZkCloseSession,
    origin: number,
  ): void {
    const now = this.engine.now;
    switch (m.type) {
      case "ZkConnectRequest": {
        if (m.sessionId !== 0) {
          const ok = this.tree.sessions.has(m.sessionId);
          if (ok) this.sessionContactUs.set(m.sessionId, now);
          this.answer(client, origin, {
            type: "ZkConnectResponse",
            bytes: HEADER_BYTES,
            error: ok ? "OK" : "SESSIONEXPIRED",
            sessionId: m.sessionId,
            timeoutMs: m.timeoutMs,
          });
          return;
        }
        const sessionId = this.tree.nextSessionId;
        this.commit({ kind: "createSession", sessionId, timeoutMs: m.timeoutMs, owner: m.owner });
        this.answer(client, origin, {
          type: "ZkConnectResponse",
          bytes: HEADER_BYTES,
          error: "OK",
          sessionId,
          timeoutMs: m.timeoutMs,
        });
        return;
      }
      case "ZkPing": {
        const ok = this.tree.sessions.has(m.sessionId);
        if (ok) this.sessionContactUs.set(m.sessionId, now);
        // A ping a follower forwards for a read needs no answer (its client got the read).
        this.answer(client, origin, {
          type: "ZkPingResponse",
          bytes: HEADER_BYTES,
          sessionId: m.sessionId,
          error: ok ? "OK" : "SESSIONEXPIRED",
        });
        return;
      }
      case "ZkCloseSession":
        if (this.tree.sessions.has(m.sessionId))
          this.commit({ kind: "closeSession", sessionId: m.sessionId, why: "closed" });
        return;
      case "ZkRequest": {
        if (!this.tree.sessions.has(m.sessionId)) return this.answer(client, origin, expired(m));
        this.sessionContactUs.set(m.sessionId, now);
        if (isRead(m.op)) {
          // A forwarded read (never sent: reads stay local); answer from the leader's tree.
          const result = this.tree.read(m.op as ZkReadOp);
          this.answer(client, origin, {
            type: "ZkResponse",
            bytes: HEADER_BYTES,
            sessionId: m.sessionId,
            xid: m.xid,
            result,
          });
          return;
        }
        const ops: readonly ZkWriteOp[] = m.op.op === "multi" ? m.op.ops : [m.op as ZkWriteOp];
        const out = this.commit({ kind: "ops", sessionId: m.sessionId, ops });
        const result: ZkOpResult =
          m.op.op === "multi"
            ? { error: out.error, results: out.results }
            : (out.results[0] ?? { error: out.error });
        this.answer(client, origin, {
          type: "ZkResponse",
          bytes: HEADER_BYTES,
          sessionId: m.sessionId,
          xid: m.xid,
          result,
        });
        return;
      }
      default:
        unreachable(m, "client message");
    }
  }

  // ---------------------------------------------------------------- views (tests, tools)

  snapshot(): ZooKeeperServerSnapshot {
    return {
      id: this.serverId,
      leader: this.leader,
      serving: this.serving,
      zxid: this.tree.zxid,
      sessions: [...this.tree.sessions.keys()].sort((a, b) => a - b),
      znodes: this.tree.nodes.size,
    };
  }

  /** A znode as this server holds it (tests and checkers only). */
  znode(path: string): { data: string; stat: ZkStat; children: string[] } | undefined {
    const n = this.tree.get(path);
    return n === undefined
      ? undefined
      : { data: n.data, stat: statOf(n), children: this.tree.children(path) };
  }
}

function isRead(op: ZkRequest["op"]): boolean {
  return (
    op.op === "getData" || op.op === "getChildren" || op.op === "exists" || op.op === "getDataMany"
  );
}

function sizeOfMany(r: ZkOpResult): number {
  let n = 0;
  for (const x of r.many ?? []) n += x === null ? 4 : x.data.length + 32;
  return n;
}

function expired(m: ZkRequest): ZkResponse {
  return {
    type: "ZkResponse",
    bytes: HEADER_BYTES,
    sessionId: m.sessionId,
    xid: m.xid,
    result: { error: "SESSIONEXPIRED" },
  };
}
