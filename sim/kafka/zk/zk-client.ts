/**
 * The ZooKeeper client a broker embeds (ZooKeeper's ClientCnxn under Kafka's ZooKeeperClient).
 *
 * Models: one connection at a time to one server of the ensemble (tried in order from a
 * per-client starting point); a session created on first connect and resumed on another server
 * after a disconnect; a ping every sessionTimeout / 3 while idle; a connection that hears nothing
 * for the read timeout (2/3 of the session timeout) is dropped and the next server tried; the
 * server's SESSIONEXPIRED ends the session: the owner is told (Kafka re-registers its ephemeral
 * znodes and watches in a new session), pending requests fail, and a new session is created.
 * Requests made while disconnected wait for the connection (Kafka's retryRequestsUntilConnected);
 * requests in flight when the connection drops are sent again on the next one. Watches the owner
 * set are re-registered on a new server (ZooKeeper's SetWatches): the server then reports the
 * path's current state as an event, and the owner re-reads.
 *
 * Simplifies: no connect-string shuffling (a fixed order per client), no auth, no chroot.
 *
 * Faults: lost messages and partitions (timeouts, reconnects), server crashes, session expiry.
 */
import type { EventHandle, SimEvent } from "../../engine/engine.ts";
import type { TraceFields } from "../../engine/trace.ts";
import type { NetMessage } from "../../infra/network.ts";
import type { ZkError, ZkMessage, ZkOp, ZkOpResult, ZkWatchEventType } from "../protocol-zk.ts";

const HEADER_BYTES = 64;
/** Timer kinds of the client (the hosting actor routes them back by this prefix). */
export const ZK_CLIENT_TIMER_PREFIX = "zkc.";

export interface ZkClientHost {
  now(): number;
  send(to: string, message: NetMessage): void;
  timer<P>(delayUs: number, kind: string, payload: P): EventHandle;
  cancel(handle: EventHandle | undefined): void;
  emit(type: string, fields: TraceFields): void;
}

export interface ZkClientListener {
  /** Connected; `newSession` when the session is new (after start or expiry). */
  onConnected(sessionId: number, newSession: boolean): void;
  /** The session expired: its ephemeral znodes and watches are gone. */
  onExpired(oldSessionId: number): void;
  onWatch(path: string, event: ZkWatchEventType): void;
}

export interface ZkClientOptions {
  readonly servers: readonly string[];
  readonly sessionTimeoutMs: number;
  /** The owner's node name (for the server's trace). */
  readonly owner: string;
  /** Index of the first server to try. */
  readonly startIndex: number;
}

interface Pending {
  readonly xid: number;
  readonly op: ZkOp;
  readonly callback: (result: ZkOpResult) => void;
  sent: boolean;
}

type ClientTimer =
  | SimEvent<"zkc.ping", { readonly generation: number }>
  | SimEvent<"zkc.timeout", { readonly generation: number }>;

export class ZkClient {
  private sessionIdValue = 0;
  private server: string | undefined;
  private connected = false;
  private cursor: number;
  private generation = 0;
  private lastHeardUs = 0;
  private xid = 0;
  private readonly pending: Pending[] = [];
  /** Watches the owner holds (re-registered after moving to another server). */
  private readonly watches = new Map<string, "data" | "child">();
  private running = false;

  constructor(
    private readonly host: ZkClientHost,
    private readonly options: ZkClientOptions,
    private readonly listener: ZkClientListener,
  ) {
    this.cursor = options.startIndex;
  }

  get sessionId(): number {
    return this.sessionIdValue;
  }

  get isConnected(): boolean {
    return this.connected;
  }

  get currentServer(): string | undefined {
    return this.server;
  }

  private get timeoutUs(): number {
    return this.options.sessionTimeoutMs * 1000;
  }

  /** Steady state at t = 0: the session exists and the connection is up. */
  bootstrap(sessionId: number, pingStaggerUs: number): void {
    this.reset();
    this.running = true;
    this.sessionIdValue = sessionId;
    this.server = this.options.servers[this.cursor % this.options.servers.length];
    this.connected = true;
    this.lastHeardUs = this.host.now();
    this.armTimers(pingStaggerUs);
  }

  /** A process start after a crash: a new session. */
  start(): void {
    this.reset();
    this.running = true;
    this.sessionIdValue = 0;
    this.connect();
  }

  /** The process stopped: everything in memory is gone. */
  stop(): void {
    this.reset();
  }

  /** A clean shutdown closes the session (its ephemeral znodes go at once). */
  close(): void {
    if (this.running && this.connected && this.server !== undefined && this.sessionIdValue !== 0) {
      this.host.send(this.server, {
        type: "ZkCloseSession",
        bytes: HEADER_BYTES,
        sessionId: this.sessionIdValue,
      });
    }
    this.reset();
  }

  private reset(): void {
    this.generation++;
    this.running = false;
    this.connected = false;
    this.server = undefined;
    this.pending.length = 0;
    this.watches.clear();
  }

  /** Sends (or queues until connected) one request; the callback gets the server's result. */
  request(op: ZkOp, callback: (result: ZkOpResult) => void): void {
    const p: Pending = { xid: ++this.xid, op, callback, sent: false };
    this.pending.push(p);
    if ("watch" in op && op.watch) {
      this.watches.set(op.path, op.op === "getChildren" ? "child" : "data");
    }
    if (this.connected) this.sendPending(p);
  }

  private sendPending(p: Pending): void {
    if (this.server === undefined) return;
    p.sent = true;
    let bytes = HEADER_BYTES;
    if ("data" in p.op) bytes += p.op.data.length;
    if (p.op.op === "multi")
      for (const o of p.op.ops) bytes += "data" in o ? o.data.length + 32 : 32;
    this.host.send(this.server, {
      type: "ZkRequest",
      bytes,
      sessionId: this.sessionIdValue,
      xid: p.xid,
      op: p.op,
    });
  }

  private connect(): void {
    if (!this.running) return;
    this.connected = false;
    this.generation++;
    const servers = this.options.servers;
    this.server = servers[this.cursor % servers.length]!;
    this.host.send(this.server, {
      type: "ZkConnectRequest",
      bytes: HEADER_BYTES,
      sessionId: this.sessionIdValue,
      timeoutMs: this.options.sessionTimeoutMs,
      owner: this.options.owner,
    });
    this.lastHeardUs = this.host.now();
    this.host.timer(Math.ceil((this.timeoutUs * 2) / 3), "zkc.timeout", {
      generation: this.generation,
    });
  }

  /** Moves to the next server (the current one is silent, gone or out of quorum). */
  private reconnect(): void {
    this.cursor++;
    for (const p of this.pending) p.sent = false;
    this.connect();
  }

  private armTimers(firstPingUs: number): void {
    this.host.timer(firstPingUs + Math.ceil(this.timeoutUs / 3), "zkc.ping", {
      generation: this.generation,
    });
    this.host.timer(Math.ceil((this.timeoutUs * 2) / 3), "zkc.timeout", {
      generation: this.generation,
    });
  }

  handleTimer(event: SimEvent): void {
    const e = event as ClientTimer;
    if (!this.running || e.payload.generation !== this.generation) return;
    switch (e.kind) {
      case "zkc.ping":
        if (this.connected && this.server !== undefined) {
          this.host.send(this.server, {
            type: "ZkPing",
            bytes: HEADER_BYTES,
            sessionId: this.sessionIdValue,
          });
        }
        this.host.timer(Math.ceil(this.timeoutUs / 3), "zkc.ping", { generation: this.generation });
        return;
      case "zkc.timeout": {
        const readTimeoutUs = Math.ceil((this.timeoutUs * 2) / 3);
        const silentUs = this.host.now() - this.lastHeardUs;
        if (silentUs >= readTimeoutUs) {
          this.host.emit("zk.client.disconnected", {
            session: this.sessionIdValue,
            server: this.server ?? "",
          });
          this.reconnect();
          return;
        }
        this.host.timer(readTimeoutUs - silentUs, "zkc.timeout", { generation: this.generation });
        return;
      }
    }
  }

  /** A connection broke (the server's host went down or the network reset it). */
  onDisconnect(peer: string): void {
    if (!this.running || peer !== this.server) return;
    this.reconnect();
  }

  /** True when the message was the client's. */
  handleMessage(from: string, m: NetMessage): boolean {
    if (!m.type.startsWith("Zk")) return false;
    const msg = m as unknown as ZkMessage;
    if (!this.running || from !== this.server) return true;
    this.lastHeardUs = this.host.now();
    switch (msg.type) {
      case "ZkConnectResponse":
        if (msg.error === "SESSIONEXPIRED") {
          this.expired();
          return true;
        }
        if (msg.error !== "OK") {
          this.reconnect();
          return true;
        }
        {
          const isNew = this.sessionIdValue !== msg.sessionId;
          this.sessionIdValue = msg.sessionId;
          this.connected = true;
          this.armTimers(0);
          // SetWatches: the owner re-reads what it watched.
          if (!isNew) {
            for (const [path] of [...this.watches].sort(([a], [b]) => (a < b ? -1 : 1))) {
              this.listener.onWatch(path, "NodeDataChanged");
            }
          }
          this.watches.clear();
          this.listener.onConnected(msg.sessionId, isNew);
          for (const p of this.pending) if (!p.sent) this.sendPending(p);
        }
        return true;
      case "ZkPingResponse":
        if (msg.error === "SESSIONEXPIRED") this.expired();
        else if (msg.error === "CONNECTIONLOSS") this.reconnect();
        return true;
      case "ZkResponse": {
        if (msg.sessionId !== this.sessionIdValue) return true;
        const index = this.pending.findIndex((p) => p.xid === msg.xid);
        if (index < 0) return true;
        if (msg.result.error === "CONNECTIONLOSS") {
          this.reconnect();
          return true;
        }
        if (msg.result.error === "SESSIONEXPIRED") {
          this.expired();
          return true;
        }
        const [p] = this.pending.splice(index, 1);
        p!.callback(msg.result);
        return true;
      }
      case "ZkWatchEvent":
        if (msg.sessionId !== this.sessionIdValue) return true;
        this.watches.delete(msg.path);
        this.listener.onWatch(msg.path, msg.event);
        return true;
      default:
        return true;
    }
  }

  private expired(): void {
    const old = this.sessionIdValue;
    const failed = this.pending.splice(0);
    this.watches.clear();
    this.sessionIdValue = 0;
    this.connected = false;
    for (const p of failed) p.callback({ error: "SESSIONEXPIRED" satisfies ZkError });
    this.listener.onExpired(old);
    // A new session on the same server.
    this.connect();
  }
}
