/**
 * Network: hosts with one NIC each, joined by links, carrying messages over TCP-like connections.
 *
 * Models:
 * - Connections. One connection per pair of hosts, FIFO in each direction: a connection never
 *   reorders. Each has an epoch; a reset or a crash ends the epoch, and every message of the old
 *   epoch still in flight is lost. The next send opens the new epoch.
 * - NICs. Each host has a full-duplex NIC with a bandwidth per direction. A message is serialized
 *   once on the sender's tx side and once on the receiver's rx side, each taking
 *   ceil(bytes × 8 × 1e6 ÷ bandwidth) µs and queueing behind earlier messages on that side.
 *   Cut-through: the receiver starts taking a message in as soon as its first bit has crossed the
 *   link, so an idle path costs one serialization plus the propagation, and a receiver that many
 *   senders target at once (incast) queues them on its rx side.
 *   Two stages, two events: the tx side is reserved at send (a sender's NIC serializes in send
 *   order); the rx side is reserved when the first bit reaches the receiver (event "rx"), so the
 *   receiver takes messages in the order they reach it, and a message slowed by a delay fault does
 *   not hold up other senders' traffic. The message is delivered when its last bit is in
 *   (event "arrive").
 * - Links. Each directed link has a propagation latency, an extra delay (a fault) and a jitter
 *   drawn per message, uniform in [0, jitterUs], from the stream `net/jitter/A->B`.
 * - Delivery is an event to the network itself; at arrival the network hands the message to the
 *   destination actor (actor id = host name) as `net.message` with a NetDelivery payload.
 *
 * Faults (each a named verb, traced): partition (groups, cumulative), isolate (a node, including
 * nodes added later), cut (one way), hold / release (messages wait at the link's end, in order,
 * and continue at the release), delay (extra latency), throttle (a NIC's bandwidth), reset (the
 * connection breaks: in-flight messages are lost and both ends get `net.disconnect`), heal (all of
 * them, or those touching a node), and host hooks nodeDown / nodeUp. A message is lost if its path
 * is cut when it is sent, or becomes cut while it is in flight (it is dropped at that moment).
 * As over TCP on a broken path, a loss is silent: the sender learns of it only through its own
 * timeout or a disconnect. A process crash leaves the host's OS answering with RST, so peers see
 * `net.disconnect` (reason "connection-refused") one propagation later; a power loss sends
 * nothing back.
 *
 * Simplifies:
 * - Messages, not packets: no windows, slow start, retransmission, MTU or switch buffers; the only
 *   shared resources are the two NICs of each path.
 * - A message lost on a cut path vanishes (no retransmission). While the path is cut, later
 *   messages of the same connection are lost too; when it heals, every connection that lost one
 *   is reset (both ends get `net.disconnect`), so no end ever sees a message past a gap, as over
 *   TCP. Real TCP would retransmit the missing bytes and deliver them late if the cut were short,
 *   or the application would close the connection on its request timeout; the reset stands for
 *   both, and the ends rely on their own timeouts until the heal.
 * - NIC time reserved by a message that is later dropped is not given back (its bytes were sent).
 * - A crash drops what was in flight to and from the node, even bytes already on the wire.
 * - Connecting is free: no handshake; the first message of a new epoch just goes.
 * - Loopback (a node sending to itself) uses no NIC, has no latency and no link faults.
 */
import { assert, assertSafeInt, unreachable } from "../engine/assert.ts";
import type { Actor, Engine, SimEvent } from "../engine/engine.ts";
import type { RngStream } from "../engine/rng.ts";

/** The network's actor id; fault events in the trace use it as their node. */
export const NETWORK_ID = "net";
/** Event kind an actor receives when a message reaches it (payload: NetDelivery). */
export const NET_MESSAGE = "net.message";
/** Event kind an actor receives when a connection breaks (payload: NetDisconnect). */
export const NET_DISCONNECT = "net.disconnect";

/** What an upper layer sends: a type name for the trace, a size, and anything else it needs. */
export interface NetMessage {
  readonly type: string;
  readonly bytes: number;
  readonly [field: string]: unknown;
}

export interface NetDelivery<M extends NetMessage = NetMessage> {
  /** The message id, unique per network, as in the trace (net.send / net.deliver / net.drop). */
  readonly id: number;
  readonly from: string;
  readonly to: string;
  readonly message: M;
  readonly sentAtUs: number;
  /** The connection epoch the message travelled on. */
  readonly connection: number;
}

export type DisconnectReason = "reset" | "connection-refused";

export interface NetDisconnect {
  readonly peer: string;
  readonly reason: DisconnectReason;
}

export type DropReason = "cut" | "partition" | "isolated" | "reset" | "node-down";
export const DROP_REASONS: readonly DropReason[] = [
  "cut",
  "partition",
  "isolated",
  "reset",
  "node-down",
];

/** How a host is down: a process crash (the OS still answers) or a power loss (silence). */
export type DownMode = "process" | "power";

export interface NetworkOptions {
  /** Propagation latency of every link unless setLatency says otherwise, µs. */
  readonly defaultLatencyUs: number;
  /** Upper bound of the per-message jitter, µs (uniform integer in [0, jitterUs]). */
  readonly jitterUs: number;
  /** Bound on messages in flight at once; exceeding it is a bug upstream (default 1,000,000). */
  readonly maxInFlight?: number;
}

export interface HostOptions {
  /** NIC line rate per direction, bits per second (full duplex). */
  readonly bandwidthBitsPerSec: number;
}

export interface MessageCount {
  messages: number;
  bytes: number;
}

export interface NetworkStats {
  readonly sent: MessageCount;
  readonly delivered: MessageCount;
  readonly dropped: Readonly<Record<DropReason, MessageCount>>;
}

/** A message in flight, as the viz draws it. */
export interface InFlightView {
  readonly id: number;
  readonly from: string;
  readonly to: string;
  readonly type: string;
  readonly bytes: number;
  readonly sentAtUs: number;
  /** When its first bit reaches the receiver's NIC. */
  readonly firstBitAtUs: number;
  /** Delivery time once the receiver has taken it in; undefined before that. */
  readonly arriveAtUs: number | undefined;
}

/** Link state per directed pair: open, cut (and why), or held with the messages waiting at its end. */
export type LinkState =
  | { readonly kind: "open" }
  | { readonly kind: "cut"; readonly reason: "cut" | "partition" }
  | { readonly kind: "held"; readonly parked: number[] };

interface Host {
  readonly name: string;
  readonly baseBandwidthBitsPerSec: number;
  bandwidthBitsPerSec: number;
  /** When the tx side finishes what is queued on it. */
  txFreeAtUs: number;
  /** When the rx side finishes what is queued on it. */
  rxFreeAtUs: number;
  down: "up" | DownMode;
}

interface Link {
  readonly from: string;
  readonly to: string;
  state: LinkState;
  latencyUs: number;
  extraDelayUs: number;
  jitter: RngStream | undefined;
  /**
   * FIFO floors of the current connection epoch: the latest first-bit time (so the rx stage sees a
   * connection's messages in send order despite jitter) and the latest delivery time.
   */
  lastFirstBitAtUs: number;
  lastArriveAtUs: number;
  /** Ids released from a hold, delivered in order by the next drain event. */
  releasing: number[];
  drainScheduled: boolean;
}

interface Connection {
  readonly a: string;
  readonly b: string;
  epoch: number;
  /** A message was sent on this epoch, so a crash of either end is noticed by the other. */
  open: boolean;
  /**
   * A message of this epoch was lost on a cut path while both ends stayed up: the byte stream has
   * a gap, which TCP never shows the application. When the path heals the connection is reset.
   */
  gap: boolean;
}

interface InFlight {
  readonly id: number;
  readonly from: string;
  readonly to: string;
  readonly message: NetMessage;
  readonly sentAtUs: number;
  readonly connection: number;
  readonly firstBitAtUs: number;
  /** The last bit has left the sender's NIC and crossed the link: the receiver cannot finish sooner. */
  readonly lastBitAtUs: number;
  arriveAtUs: number | undefined;
}

type NetEvent =
  | SimEvent<"rx", { readonly id: number }>
  | SimEvent<"arrive", { readonly id: number }>
  | SimEvent<"drain", { readonly from: string; readonly to: string }>
  | SimEvent<
      "notify",
      { readonly node: string; readonly peer: string; readonly reason: DisconnectReason }
    >;

function countZero(): MessageCount {
  return { messages: 0, bytes: 0 };
}

/** Serialization time of `bytes` at `bandwidthBitsPerSec`, rounded up to a whole µs. */
export function serializationUs(bytes: number, bandwidthBitsPerSec: number): number {
  const bitMicros = bytes * 8 * 1_000_000;
  assertSafeInt(bitMicros, "bytes × 8 × 1e6 (message too large)");
  // Both operands are safe integers, so the quotient is within half an ulp of the true value and
  // an exact quotient stays exact: ceil rounds up exactly once.
  return Math.ceil(bitMicros / bandwidthBitsPerSec);
}

export class Network implements Actor {
  readonly id = NETWORK_ID;
  private readonly defaultLatencyUs: number;
  private readonly jitterUs: number;
  private readonly maxInFlight: number;
  /** Hosts in insertion order. */
  private readonly hosts = new Map<string, Host>();
  /** Directed links, created on first use (keyed from + "\u0000" + to). */
  private readonly links = new Map<string, Link>();
  /** Connections per unordered pair (keyed by the two names in host insertion order). */
  private readonly connections = new Map<string, Connection>();
  private readonly hostOrder = new Map<string, number>();
  private readonly isolated = new Set<string>();
  /** Messages in flight by id; insertion order is id order. */
  private readonly inFlight = new Map<number, InFlight>();
  private nextMessageId = 0;
  private readonly counters = {
    sent: countZero(),
    delivered: countZero(),
    dropped: {
      cut: countZero(),
      partition: countZero(),
      isolated: countZero(),
      reset: countZero(),
      "node-down": countZero(),
    } satisfies Record<DropReason, MessageCount>,
  };

  constructor(
    private readonly engine: Engine,
    options: NetworkOptions,
  ) {
    assertSafeInt(options.defaultLatencyUs, "defaultLatencyUs");
    assertSafeInt(options.jitterUs, "jitterUs");
    assert(options.defaultLatencyUs >= 0 && options.jitterUs >= 0, "latency and jitter are ≥ 0");
    this.defaultLatencyUs = options.defaultLatencyUs;
    this.jitterUs = options.jitterUs;
    this.maxInFlight = options.maxInFlight ?? 1_000_000;
    engine.register(this);
  }

  // ---------------------------------------------------------------- topology

  addNode(name: string, options: HostOptions): void {
    assert(!this.hosts.has(name), `network node '${name}' added twice`);
    assert(name !== NETWORK_ID, `'${NETWORK_ID}' is the network's own id`);
    assertBandwidth(options.bandwidthBitsPerSec);
    this.hostOrder.set(name, this.hosts.size);
    this.hosts.set(name, {
      name,
      baseBandwidthBitsPerSec: options.bandwidthBitsPerSec,
      bandwidthBitsPerSec: options.bandwidthBitsPerSec,
      txFreeAtUs: 0,
      rxFreeAtUs: 0,
      down: "up",
    });
  }

  /** Host names in the order they were added. */
  nodes(): string[] {
    return [...this.hosts.keys()];
  }

  /** Sets the propagation latency of a link (both directions unless oneWay). */
  setLatency(from: string, to: string, latencyUs: number, oneWay = false): void {
    assertSafeInt(latencyUs, "latencyUs");
    assert(latencyUs >= 0, "latency is ≥ 0");
    this.link(from, to).latencyUs = latencyUs;
    if (!oneWay) this.link(to, from).latencyUs = latencyUs;
  }

  /** True when nothing on the path blocks from → to (holds do not block; down hosts are not paths). */
  reachable(from: string, to: string): boolean {
    return this.blockReason(from, to) === undefined;
  }

  /** The link's state, for the viz and tests. */
  linkState(from: string, to: string): LinkState {
    return this.link(from, to).state;
  }

  /** The current epoch of the connection between a and b. */
  connectionEpoch(a: string, b: string): number {
    return this.connection(a, b).epoch;
  }

  bandwidthOf(node: string): number {
    return this.host(node).bandwidthBitsPerSec;
  }

  stats(): NetworkStats {
    const copy = (c: MessageCount): MessageCount => ({ messages: c.messages, bytes: c.bytes });
    const dropped = {} as Record<DropReason, MessageCount>;
    for (const reason of DROP_REASONS) dropped[reason] = copy(this.counters.dropped[reason]);
    return { sent: copy(this.counters.sent), delivered: copy(this.counters.delivered), dropped };
  }

  /** Messages in flight, in id order (send order). */
  inFlightMessages(): InFlightView[] {
    const out: InFlightView[] = [];
    for (const m of this.inFlight.values()) {
      out.push({
        id: m.id,
        from: m.from,
        to: m.to,
        type: m.message.type,
        bytes: m.message.bytes,
        sentAtUs: m.sentAtUs,
        firstBitAtUs: m.firstBitAtUs,
        arriveAtUs: m.arriveAtUs,
      });
    }
    return out;
  }

  // ---------------------------------------------------------------- sending

  /** Sends a message; returns its id. Delivery (or a drop) follows as the trace records. */
  send(from: string, to: string, message: NetMessage): number {
    const src = this.host(from);
    const dst = this.host(to);
    assertSafeInt(message.bytes, "message bytes");
    assert(message.bytes >= 0, () => `negative message size ${message.bytes}`);
    const id = this.nextMessageId++;
    const nowUs = this.engine.now;
    const conn = this.connection(from, to);
    this.counters.sent.messages++;
    this.counters.sent.bytes += message.bytes;

    const blocked: DropReason | undefined =
      src.down !== "up"
        ? "node-down"
        : (this.blockReason(from, to) ?? (dst.down !== "up" ? "node-down" : undefined));
    this.traceSend(id, from, to, message, conn.epoch);
    if (blocked !== undefined) {
      if (blocked !== "node-down" && from !== to) conn.gap = true;
      this.traceDrop(id, from, to, message, conn.epoch, blocked);
      if (blocked === "node-down" && src.down === "up" && dst.down === "process") {
        this.refuse(from, to);
      }
      return id;
    }

    assert(this.inFlight.size < this.maxInFlight, () => `more than ${this.maxInFlight} in flight`);
    conn.open = true;
    const link = this.link(from, to);
    if (from === to) {
      // Loopback: no NIC, no wire; delivered after the current event, behind earlier loopbacks.
      this.track(id, link, message, nowUs, conn.epoch, nowUs, nowUs);
      this.scheduleArrival(this.inFlight.get(id)!, link, nowUs);
      return id;
    }
    // Tx stage: the sender's NIC serializes in send order.
    const txStartUs = Math.max(nowUs, src.txFreeAtUs);
    const txDoneUs = txStartUs + serializationUs(message.bytes, src.bandwidthBitsPerSec);
    src.txFreeAtUs = txDoneUs;
    const propagationUs = link.latencyUs + link.extraDelayUs + this.drawJitterUs(link);
    // Jitter must not let a later message of the connection reach the receiver first.
    const firstBitAtUs = Math.max(txStartUs + propagationUs, link.lastFirstBitAtUs);
    const lastBitAtUs = Math.max(txDoneUs + propagationUs, firstBitAtUs);
    assertSafeInt(lastBitAtUs, "arrival time");
    link.lastFirstBitAtUs = firstBitAtUs;
    this.track(id, link, message, nowUs, conn.epoch, firstBitAtUs, lastBitAtUs);
    this.engine.scheduleAt(firstBitAtUs, NETWORK_ID, "rx", { id });
    return id;
  }

  private track(
    id: number,
    link: Link,
    message: NetMessage,
    sentAtUs: number,
    connection: number,
    firstBitAtUs: number,
    lastBitAtUs: number,
  ): void {
    this.inFlight.set(id, {
      id,
      from: link.from,
      to: link.to,
      message,
      sentAtUs,
      connection,
      firstBitAtUs,
      lastBitAtUs,
      arriveAtUs: undefined,
    });
  }

  /**
   * Rx stage, when the first bit reaches the receiver: its NIC takes messages one after another at
   * its own rate, and cannot finish before the last bit has crossed the link.
   */
  private onRx(id: number): void {
    const m = this.inFlight.get(id);
    if (m === undefined) return; // dropped while in flight; its net.drop is already traced
    const dst = this.host(m.to);
    const rxStartUs = Math.max(this.engine.now, dst.rxFreeAtUs);
    const rxDoneUs = Math.max(
      rxStartUs + serializationUs(m.message.bytes, dst.bandwidthBitsPerSec),
      m.lastBitAtUs,
    );
    dst.rxFreeAtUs = rxDoneUs;
    this.scheduleArrival(m, this.link(m.from, m.to), rxDoneUs);
  }

  private scheduleArrival(m: InFlight, link: Link, atUs: number): void {
    // The rx stage sees a connection's messages in send order, and its rx side finishes them in
    // that order, so the floor only guards that claim.
    assert(atUs >= link.lastArriveAtUs, () => `message ${m.id} would overtake its connection`);
    link.lastArriveAtUs = atUs;
    m.arriveAtUs = atUs;
    this.engine.scheduleAt(atUs, NETWORK_ID, "arrive", { id: m.id });
  }

  private drawJitterUs(link: Link): number {
    if (this.jitterUs === 0) return 0;
    link.jitter ??= this.engine.rng.stream(`net/jitter/${link.from}->${link.to}`);
    return link.jitter.intBetween(0, this.jitterUs);
  }

  // ---------------------------------------------------------------- events

  handle(event: SimEvent): void {
    const e = event as NetEvent;
    switch (e.kind) {
      case "rx":
        this.onRx(e.payload.id);
        return;
      case "arrive":
        this.onArrive(e.payload.id);
        return;
      case "drain":
        this.onDrain(this.link(e.payload.from, e.payload.to));
        return;
      case "notify":
        this.onNotify(e.payload.node, e.payload.peer, e.payload.reason);
        return;
      default:
        unreachable(e, "network event");
    }
  }

  private onArrive(id: number): void {
    const m = this.inFlight.get(id);
    if (m === undefined) return; // dropped while in flight; its net.drop is already traced
    const link = this.link(m.from, m.to);
    if (link.state.kind === "held") {
      link.state.parked.push(id);
      return;
    }
    // Messages released from a hold go first: arriving behind them keeps the connection FIFO.
    if (link.releasing.length > 0) {
      link.releasing.push(id);
      return;
    }
    this.deliver(m);
  }

  private onDrain(link: Link): void {
    link.drainScheduled = false;
    const queue = link.releasing;
    while (queue.length > 0) {
      // A delivery may hold the link again (an actor reacting inside it): the rest waits.
      if (link.state.kind === "held") {
        link.state.parked.unshift(...queue.splice(0));
        return;
      }
      const m = this.inFlight.get(queue.shift()!);
      if (m !== undefined) this.deliver(m);
    }
  }

  private onNotify(node: string, peer: string, reason: DisconnectReason): void {
    if (this.host(node).down !== "up") return;
    this.engine.trace.emit("net.disconnect", node, { peer, reason });
    const payload: NetDisconnect = { peer, reason };
    const delivered = this.engine.deliverNow(node, NET_DISCONNECT, payload);
    assert(delivered, () => `no actor '${node}' to receive net.disconnect`);
  }

  private deliver(m: InFlight): void {
    // Paired with the drops at fault time: anything still in flight must be deliverable.
    assert(this.blockReason(m.from, m.to) === undefined, () => `message ${m.id} crossed a cut`);
    assert(this.host(m.to).down === "up", () => `message ${m.id} reached a down node`);
    assert(
      this.connection(m.from, m.to).epoch === m.connection,
      () => `message ${m.id} outlived its connection`,
    );
    this.inFlight.delete(m.id);
    this.counters.delivered.messages++;
    this.counters.delivered.bytes += m.message.bytes;
    this.engine.trace.emit("net.deliver", m.to, {
      id: m.id,
      from: m.from,
      to: m.to,
      msg: m.message.type,
      bytes: m.message.bytes,
      conn: m.connection,
    });
    const payload: NetDelivery = {
      id: m.id,
      from: m.from,
      to: m.to,
      message: m.message,
      sentAtUs: m.sentAtUs,
      connection: m.connection,
    };
    const delivered = this.engine.deliverNow(m.to, NET_MESSAGE, payload);
    assert(delivered, () => `no actor '${m.to}' to receive ${m.message.type}`);
  }

  // ---------------------------------------------------------------- faults

  /** Nodes in different groups cannot reach each other; adds to earlier faults. */
  partition(groups: readonly (readonly string[])[]): void {
    for (const group of groups) for (const node of group) this.host(node);
    this.engine.trace.emit("net.partition", NETWORK_ID, {
      groups: groups.map((g) => [...g]),
    });
    for (let i = 0; i < groups.length; i++) {
      for (let j = i + 1; j < groups.length; j++) {
        for (const a of groups[i]!) {
          for (const b of groups[j]!) {
            if (a === b) continue;
            this.link(a, b).state = { kind: "cut", reason: "partition" };
            this.link(b, a).state = { kind: "cut", reason: "partition" };
          }
        }
      }
    }
    this.dropBlocked();
  }

  /** Cuts the node off from every other node, including nodes added later. */
  isolate(node: string): void {
    this.host(node);
    this.isolated.add(node);
    this.engine.trace.emit("net.isolate", NETWORK_ID, { target: node });
    this.dropBlocked();
  }

  /** One way: nothing from `from` reaches `to`. */
  cut(from: string, to: string): void {
    assert(from !== to, "cannot cut a loopback");
    this.link(from, to).state = { kind: "cut", reason: "cut" };
    this.engine.trace.emit("net.cut", NETWORK_ID, { from, to });
    this.dropBlocked();
  }

  /** Messages on from → to wait at the link's end, in order, until released. No effect on a cut link. */
  hold(from: string, to: string): void {
    assert(from !== to, "cannot hold a loopback");
    const link = this.link(from, to);
    if (link.state.kind === "open") link.state = { kind: "held", parked: [] };
    this.engine.trace.emit("net.hold", NETWORK_ID, { from, to });
  }

  /** Held messages continue, in order, from now. */
  release(from: string, to: string): void {
    const link = this.link(from, to);
    const waiting = link.state.kind === "held" ? link.state.parked.length : 0;
    this.engine.trace.emit("net.release", NETWORK_ID, { from, to, waiting });
    this.releaseLink(link);
  }

  /** Extra latency on a link, both directions unless oneWay; replaces an earlier delay. */
  delay(from: string, to: string, extraUs: number, oneWay = false): void {
    assertSafeInt(extraUs, "extra delay");
    assert(extraUs >= 0, "extra delay is ≥ 0");
    this.link(from, to).extraDelayUs = extraUs;
    if (!oneWay) this.link(to, from).extraDelayUs = extraUs;
    this.engine.trace.emit("net.delay", NETWORK_ID, { from, to, extraUs, oneWay });
  }

  /** Sets a node's NIC bandwidth (both directions) for messages sent from now on. */
  throttle(node: string, bandwidthBitsPerSec: number): void {
    assertBandwidth(bandwidthBitsPerSec);
    this.host(node).bandwidthBitsPerSec = bandwidthBitsPerSec;
    this.engine.trace.emit("net.throttle", NETWORK_ID, { target: node, bandwidthBitsPerSec });
  }

  /**
   * Removes partitions, cuts, isolation, holds (releasing their messages), delays and throttles:
   * all of them, or those touching `target`.
   */
  heal(target: "all" | string): void {
    const all = target === "all";
    if (!all) this.host(target);
    this.engine.trace.emit("net.heal", NETWORK_ID, { target });
    if (all) this.isolated.clear();
    else this.isolated.delete(target);
    for (const link of this.links.values()) {
      if (!all && link.from !== target && link.to !== target) continue;
      if (link.state.kind === "cut") link.state = { kind: "open" };
      else if (link.state.kind === "held") this.releaseLink(link);
      link.extraDelayUs = 0;
    }
    for (const host of this.hosts.values()) {
      if (all || host.name === target) host.bandwidthBitsPerSec = host.baseBandwidthBitsPerSec;
    }
    this.resetGaps();
  }

  /**
   * Every connection that lost a message to a cut path, and whose path is open both ways again,
   * is reset. Over TCP a lost segment is retransmitted and nothing after it reaches the
   * application first; unless the network comes back quickly, Kafka's clients and brokers close
   * the connection when their request times out. Here a lost message is gone, so without the
   * reset a later message of the same connection could arrive past the gap (a response to request
   * 6 while request 5's is lost), which no Kafka client ever sees. The reset gives both ends what
   * they would see instead: a broken connection, to be opened again (traced as `net.reset` with
   * `why: "gap"`).
   */
  private resetGaps(): void {
    for (const conn of this.connections.values()) {
      if (!conn.gap) continue;
      const { a, b } = conn;
      if (this.host(a).down !== "up" || this.host(b).down !== "up") continue;
      if (this.blockReason(a, b) !== undefined || this.blockReason(b, a) !== undefined) continue;
      conn.gap = false;
      this.reset(a, b, "gap");
    }
  }

  /** The connection between a and b breaks: in-flight messages are lost, both ends are told now. */
  reset(a: string, b: string, why: "fault" | "gap" = "fault"): void {
    assert(a !== b, "cannot reset a loopback");
    const conn = this.connection(a, b);
    this.engine.trace.emit(
      "net.reset",
      NETWORK_ID,
      why === "gap"
        ? { from: a, to: b, conn: conn.epoch, why }
        : { from: a, to: b, conn: conn.epoch },
    );
    this.endEpoch(a, b, "reset");
    for (const [node, peer] of [
      [a, b],
      [b, a],
    ] as const) {
      this.engine.schedule(0, NETWORK_ID, "notify", { node, peer, reason: "reset" });
    }
  }

  /**
   * The host went down. Everything in flight to or from it is lost and its connections end. After
   * a process crash the OS answers with RST: each peer with an open connection hears of it one
   * propagation later (if the path back is up), and later sends get connection-refused.
   */
  nodeDown(node: string, mode: DownMode): void {
    const host = this.host(node);
    assert(host.down === "up", () => `node ${node} is already down`);
    host.down = mode;
    const nowUs = this.engine.now;
    host.txFreeAtUs = Math.min(host.txFreeAtUs, nowUs);
    host.rxFreeAtUs = Math.min(host.rxFreeAtUs, nowUs);
    for (const m of this.inFlight.values()) {
      if (m.from === node || m.to === node) this.drop(m, "node-down");
    }
    for (const peer of this.hosts.keys()) {
      if (peer === node) continue;
      const conn = this.connection(node, peer);
      if (!conn.open) continue;
      if (mode === "process" && this.host(peer).down === "up" && this.reachable(node, peer)) {
        this.engine.schedule(this.pathLatencyUs(node, peer), NETWORK_ID, "notify", {
          node: peer,
          peer: node,
          reason: "connection-refused",
        });
      }
      this.endEpoch(node, peer, "node-down");
    }
  }

  nodeUp(node: string): void {
    const host = this.host(node);
    assert(host.down !== "up", () => `node ${node} is already up`);
    host.down = "up";
  }

  // ---------------------------------------------------------------- internals

  private host(name: string): Host {
    const host = this.hosts.get(name);
    assert(host !== undefined, () => `unknown network node '${name}'`);
    return host;
  }

  private link(from: string, to: string): Link {
    const key = `${from}\u0000${to}`;
    let link = this.links.get(key);
    if (link === undefined) {
      this.host(from);
      this.host(to);
      link = {
        from,
        to,
        state: { kind: "open" },
        latencyUs: this.defaultLatencyUs,
        extraDelayUs: 0,
        jitter: undefined,
        lastFirstBitAtUs: 0,
        lastArriveAtUs: 0,
        releasing: [],
        drainScheduled: false,
      };
      this.links.set(key, link);
    }
    return link;
  }

  private connection(a: string, b: string): Connection {
    const [first, second] = this.hostOrder.get(a)! <= this.hostOrder.get(b)! ? [a, b] : [b, a];
    const key = `${first}\u0000${second}`;
    let conn = this.connections.get(key);
    if (conn === undefined) {
      conn = { a: first, b: second, epoch: 0, open: false, gap: false };
      this.connections.set(key, conn);
    }
    return conn;
  }

  private blockReason(from: string, to: string): "cut" | "partition" | "isolated" | undefined {
    if (from === to) return undefined;
    if (this.isolated.has(from) || this.isolated.has(to)) return "isolated";
    const link = this.links.get(`${from}\u0000${to}`);
    if (link !== undefined && link.state.kind === "cut") return link.state.reason;
    return undefined;
  }

  /** Propagation only (no jitter, no NIC): how long a bare TCP control segment takes. */
  private pathLatencyUs(from: string, to: string): number {
    const link = this.link(from, to);
    return link.latencyUs + link.extraDelayUs;
  }

  /** A SYN to a crashed process meets the OS's RST: the sender hears back after a round trip. */
  private refuse(from: string, to: string): void {
    if (!this.reachable(to, from)) return;
    const roundTripUs = this.pathLatencyUs(from, to) + this.pathLatencyUs(to, from);
    this.engine.schedule(roundTripUs, NETWORK_ID, "notify", {
      node: from,
      peer: to,
      reason: "connection-refused",
    });
  }

  private releaseLink(link: Link): void {
    if (link.state.kind !== "held") return;
    const parked = link.state.parked;
    link.state = { kind: "open" };
    if (parked.length === 0) return;
    link.releasing.push(...parked);
    if (!link.drainScheduled) {
      link.drainScheduled = true;
      this.engine.schedule(0, NETWORK_ID, "drain", { from: link.from, to: link.to });
    }
  }

  /** Ends the connection's epoch: whatever is in flight on it (both ways) is lost. */
  private endEpoch(a: string, b: string, reason: DropReason): void {
    const conn = this.connection(a, b);
    for (const m of this.inFlight.values()) {
      if ((m.from === a && m.to === b) || (m.from === b && m.to === a)) this.drop(m, reason);
    }
    conn.epoch++;
    conn.open = false;
    conn.gap = false;
    // The new epoch starts empty: no FIFO floor carries over from messages that were lost.
    for (const link of [this.link(a, b), this.link(b, a)]) {
      link.lastFirstBitAtUs = 0;
      link.lastArriveAtUs = 0;
    }
  }

  /** After a fault that cuts paths: every message in flight on a cut path is lost now. */
  private dropBlocked(): void {
    for (const m of this.inFlight.values()) {
      const reason = this.blockReason(m.from, m.to);
      if (reason !== undefined) this.drop(m, reason);
    }
  }

  private drop(m: InFlight, reason: DropReason): void {
    this.inFlight.delete(m.id);
    if (reason === "cut" || reason === "partition" || reason === "isolated") {
      const conn = this.connection(m.from, m.to);
      if (conn.epoch === m.connection) conn.gap = true;
    }
    this.traceDrop(m.id, m.from, m.to, m.message, m.connection, reason);
  }

  private traceSend(id: number, from: string, to: string, message: NetMessage, conn: number): void {
    this.engine.trace.emit("net.send", from, {
      id,
      from,
      to,
      msg: message.type,
      bytes: message.bytes,
      conn,
    });
  }

  private traceDrop(
    id: number,
    from: string,
    to: string,
    message: NetMessage,
    conn: number,
    reason: DropReason,
  ): void {
    const count = this.counters.dropped[reason];
    count.messages++;
    count.bytes += message.bytes;
    this.engine.trace.emit("net.drop", from, {
      id,
      from,
      to,
      msg: message.type,
      bytes: message.bytes,
      conn,
      reason,
    });
  }
}

function assertBandwidth(bandwidthBitsPerSec: number): void {
  assertSafeInt(bandwidthBitsPerSec, "bandwidthBitsPerSec");
  assert(bandwidthBitsPerSec > 0, "bandwidth is > 0");
}
