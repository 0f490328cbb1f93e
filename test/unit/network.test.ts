import { describe, expect, it } from "vitest";
import type { Actor, SimEvent } from "../../sim/engine/engine.ts";
import { Engine } from "../../sim/engine/engine.ts";
import {
  type NetDelivery,
  type NetDisconnect,
  Network,
  type NetworkOptions,
  serializationUs,
} from "../../sim/infra/network.ts";

const GBIT = 1_000_000_000;
const MIB = 1024 * 1024;

interface Received {
  readonly t: number;
  readonly kind: string;
  readonly from?: string;
  readonly type?: string;
  readonly seq?: number;
  readonly peer?: string;
  readonly reason?: string;
}

/** A host actor that records what the network hands it. */
class Sink implements Actor {
  readonly got: Received[] = [];
  /** Called on each message after it is recorded: lets a test react inside the delivery. */
  onMessage: ((seq: number | undefined) => void) | undefined;
  constructor(
    readonly id: string,
    private readonly engine: Engine,
  ) {}
  handle(event: SimEvent): void {
    if (event.kind === "net.message") {
      const d = event.payload as NetDelivery;
      this.got.push({
        t: this.engine.now,
        kind: event.kind,
        from: d.from,
        type: d.message.type,
        seq: d.message.seq as number | undefined,
      });
      this.onMessage?.(d.message.seq as number | undefined);
    } else if (event.kind === "net.disconnect") {
      const d = event.payload as NetDisconnect;
      this.got.push({ t: this.engine.now, kind: event.kind, peer: d.peer, reason: d.reason });
    }
  }
  messages(): Received[] {
    return this.got.filter((r) => r.kind === "net.message");
  }
  disconnects(): Received[] {
    return this.got.filter((r) => r.kind === "net.disconnect");
  }
}

/** Runs `action` at virtual time `atUs` (a timeline action, in effect). */
class Driver implements Actor {
  readonly id = "driver";
  private readonly actions: Array<() => void> = [];
  constructor(private readonly engine: Engine) {
    engine.register(this);
  }
  at(atUs: number, action: () => void): void {
    this.actions.push(action);
    this.engine.scheduleAt(atUs, this.id, "act", this.actions.length - 1);
  }
  handle(event: SimEvent): void {
    this.actions[event.payload as number]!();
  }
}

function setup(
  nodes: readonly string[],
  options: Partial<NetworkOptions> = {},
  seed: number | string = 1,
): { engine: Engine; net: Network; sinks: Map<string, Sink>; driver: Driver } {
  const engine = new Engine({ seed });
  engine.trace.record();
  const net = new Network(engine, { defaultLatencyUs: 500, jitterUs: 0, ...options });
  const sinks = new Map<string, Sink>();
  for (const name of nodes) {
    net.addNode(name, { bandwidthBitsPerSec: GBIT });
    const sink = new Sink(name, engine);
    engine.register(sink);
    sinks.set(name, sink);
  }
  return { engine, net, sinks, driver: new Driver(engine) };
}

function msg(
  seq: number,
  bytes = 1000,
  type = "Req",
): { type: string; bytes: number; seq: number } {
  return { type, bytes, seq };
}

describe("infra: network: timing", () => {
  it("1 MiB over 1 Gbit/s with 0.5 ms latency arrives at exactly 8889 us", () => {
    // 1 MiB = 8,388,608 bits; at 1e9 bit/s that is 8388.608 us, rounded up to 8389 us; the rx side
    // finishes when the last bit has crossed: 8389 + 500 = 8889 us.
    const { engine, net, sinks } = setup(["a", "b"]);
    net.send("a", "b", msg(1, MIB));
    engine.run();
    expect(serializationUs(MIB, GBIT)).toBe(8389);
    expect(
      sinks
        .get("b")!
        .messages()
        .map((r) => r.t),
    ).toEqual([8889]);
  });

  it("two back-to-back messages queue on the sender's NIC", () => {
    // Both sent at t=0 to different receivers. The first occupies a's tx side 0..8389 and arrives
    // at 8889. The second starts at 8389, finishes tx at 16778, arrives at 16778 + 500 = 17278.
    const { engine, net, sinks } = setup(["a", "b", "c"]);
    net.send("a", "b", msg(1, MIB));
    net.send("a", "c", msg(2, MIB));
    engine.run();
    expect(
      sinks
        .get("b")!
        .messages()
        .map((r) => r.t),
    ).toEqual([8889]);
    expect(
      sinks
        .get("c")!
        .messages()
        .map((r) => r.t),
    ).toEqual([17278]);
  });

  it("incast: two senders to one receiver queue on its rx side", () => {
    // a and b each send 1 MiB to c at t=0; both first bits reach c at 500. c takes a's message
    // 500..8889, then b's 8889..8889+8389 = 17278, though b's last bit was in at 8889.
    const { engine, net, sinks } = setup(["a", "b", "c"]);
    net.send("a", "c", msg(1, MIB));
    net.send("b", "c", msg(2, MIB));
    engine.run();
    expect(
      sinks
        .get("c")!
        .messages()
        .map((r) => [r.from, r.t]),
    ).toEqual([
      ["a", 8889],
      ["b", 17278],
    ]);
  });

  it("a slow receiver NIC paces delivery by its own rate", () => {
    // b's NIC is throttled to 100 Mbit/s: 1 MiB takes ceil(83886.08) = 83887 us on its rx side,
    // starting when the first bit arrives at 500: delivered at 84387.
    const { engine, net, sinks } = setup(["a", "b"]);
    net.throttle("b", 100_000_000);
    net.send("a", "b", msg(1, MIB));
    engine.run();
    expect(
      sinks
        .get("b")!
        .messages()
        .map((r) => r.t),
    ).toEqual([84387]);
  });

  it("throttle changes the serialization time of later messages; heal restores it", () => {
    // Throttled to 500 Mbit/s: 1 MiB takes ceil(16777.216) = 16778 us on each side: at t=0 the
    // message is delivered at 16778 + 500 = 17278. After heal (at 100000) a 1 MiB message takes
    // 8389 again: 100000 + 8389 + 500 = 108889.
    const { engine, net, sinks, driver } = setup(["a", "b"]);
    net.throttle("a", 500_000_000);
    net.throttle("b", 500_000_000);
    net.send("a", "b", msg(1, MIB));
    driver.at(100_000, () => {
      net.heal("all");
      net.send("a", "b", msg(2, MIB));
    });
    engine.run();
    expect(
      sinks
        .get("b")!
        .messages()
        .map((r) => r.t),
    ).toEqual([17278, 108889]);
    expect(net.bandwidthOf("a")).toBe(GBIT);
  });

  it("jitter only delays, by at most jitterUs, and varies between messages", () => {
    // 1000 bytes at 1 Gbit/s take 8 us per side; with 500 us latency and jitter in [0, 200], each
    // delivery lands 508..708 us after its send. Messages are 10 ms apart so nothing queues.
    const { engine, net, sinks, driver } = setup(["a", "b"], { jitterUs: 200 });
    for (let i = 0; i < 30; i++) driver.at(i * 10_000, () => net.send("a", "b", msg(i)));
    engine.run();
    const delays = sinks
      .get("b")!
      .messages()
      .map((r) => r.t - r.seq! * 10_000);
    expect(delays).toHaveLength(30);
    for (const d of delays) {
      expect(d).toBeGreaterThanOrEqual(508);
      expect(d).toBeLessThanOrEqual(708);
    }
    expect(new Set(delays).size).toBeGreaterThan(5);
  });

  it("a delayed link does not hold up other senders to the same receiver", () => {
    // b → c carries 10 ms of extra delay. a's message sent later still reaches c first: c's rx side
    // takes messages as they reach it (a's at 1000 + 8 + 500 = 1508; b's at 8 + 10500 = 10508).
    const { engine, net, sinks, driver } = setup(["a", "b", "c"]);
    net.delay("b", "c", 10_000, true);
    net.send("b", "c", msg(1));
    driver.at(1000, () => net.send("a", "c", msg(2)));
    engine.run();
    expect(
      sinks
        .get("c")!
        .messages()
        .map((r) => [r.from, r.t]),
    ).toEqual([
      ["a", 1508],
      ["b", 10508],
    ]);
  });

  it("keeps FIFO on a connection when jitter would reorder it", () => {
    // Tiny messages sent 1 us apart with jitter up to 400 us: without the FIFO floor many would
    // overtake each other. Delivered seqs must be exactly 0..49 in order.
    const { engine, net, sinks, driver } = setup(["a", "b"], { jitterUs: 400 });
    for (let i = 0; i < 50; i++) driver.at(i, () => net.send("a", "b", msg(i, 1)));
    engine.run();
    expect(
      sinks
        .get("b")!
        .messages()
        .map((r) => r.seq),
    ).toEqual([...Array(50).keys()]);
  });

  it("loopback delivers without NIC or latency, in order", () => {
    const { engine, net, sinks } = setup(["a"]);
    net.send("a", "a", msg(1, MIB));
    net.send("a", "a", msg(2));
    engine.run();
    expect(
      sinks
        .get("a")!
        .messages()
        .map((r) => [r.seq, r.t]),
    ).toEqual([
      [1, 0],
      [2, 0],
    ]);
  });
});

describe("infra: network: faults", () => {
  it("a cut drops messages at send and in flight; heal lets later ones through", () => {
    // m1 sent at 0 is in flight (arrival 508) when the cut lands at 100: lost. m2 sent at 200 is
    // lost at send. After heal at 1000, m3 arrives at 1508.
    const { engine, net, sinks, driver } = setup(["a", "b"]);
    net.send("a", "b", msg(1));
    driver.at(100, () => net.cut("a", "b"));
    driver.at(200, () => net.send("a", "b", msg(2)));
    driver.at(1000, () => {
      net.heal("all");
      net.send("a", "b", msg(3));
    });
    engine.run();
    expect(
      sinks
        .get("b")!
        .messages()
        .map((r) => [r.seq, r.t]),
    ).toEqual([[3, 1508]]);
    const drops = engine.trace.events.filter((e) => e.type === "net.drop");
    expect(drops.map((e) => [e.t, e.id, e.reason])).toEqual([
      [100, 0, "cut"],
      [200, 1, "cut"],
    ]);
    expect(net.stats().dropped.cut).toEqual({ messages: 2, bytes: 2000 });
    expect(net.stats().delivered).toEqual({ messages: 1, bytes: 1000 });
    // The sender hears nothing while the cut lasts: losses are silent. The heal resets the
    // connection that lost messages (m3 goes on the next one), so no end sees a message past the
    // gap.
    expect(sinks.get("a")!.got).toEqual([
      { t: 1000, kind: "net.disconnect", peer: "b", reason: "reset" },
    ]);
    const reset = engine.trace.events.find((e) => e.type === "net.reset");
    expect(reset).toMatchObject({ t: 1000, from: "a", to: "b", conn: 0, why: "gap" });
    expect(engine.trace.events.find((e) => e.type === "net.deliver")).toMatchObject({ conn: 1 });
  });

  it("a heal does not reset a connection that lost nothing, nor one whose path is still cut", () => {
    const { engine, net, sinks, driver } = setup(["a", "b", "c"]);
    driver.at(0, () => {
      net.cut("a", "b");
      net.cut("a", "c");
      net.send("a", "b", msg(1));
      net.send("a", "c", msg(2));
    });
    // Healing a-b's side only (heal "b") leaves a -> c cut: that connection keeps its gap.
    driver.at(1000, () => net.heal("b"));
    driver.at(2000, () => net.send("b", "c", msg(3)));
    engine.run();
    const resets = engine.trace.events.filter((e) => e.type === "net.reset");
    expect(resets.map((e) => [e.t, e.from, e.to])).toEqual([[1000, "a", "b"]]);
    expect(sinks.get("c")!.got.filter((g) => g.kind === "net.disconnect")).toEqual([]);
  });

  it("a one-way cut lets the other direction through", () => {
    const { engine, net, sinks } = setup(["a", "b"]);
    net.cut("a", "b");
    net.send("a", "b", msg(1));
    net.send("b", "a", msg(2));
    engine.run();
    expect(sinks.get("b")!.messages()).toEqual([]);
    expect(
      sinks
        .get("a")!
        .messages()
        .map((r) => r.seq),
    ).toEqual([2]);
    expect(net.reachable("a", "b")).toBe(false);
    expect(net.reachable("b", "a")).toBe(true);
  });

  it("hold keeps messages in order until release, then delivers them from the release", () => {
    // Held from 0: m1 (arrival 508) and m2 (sent 100, arrival 608) wait. Released at 5000: both
    // delivered at 5000 in order; m3 sent at 6000 arrives at 6508.
    const { engine, net, sinks, driver } = setup(["a", "b"]);
    net.hold("a", "b");
    net.send("a", "b", msg(1));
    driver.at(100, () => net.send("a", "b", msg(2)));
    driver.at(5000, () => net.release("a", "b"));
    driver.at(6000, () => net.send("a", "b", msg(3)));
    engine.run();
    expect(
      sinks
        .get("b")!
        .messages()
        .map((r) => [r.seq, r.t]),
    ).toEqual([
      [1, 5000],
      [2, 5000],
      [3, 6508],
    ]);
  });

  it("a message arriving at the release instant stays behind the released ones", () => {
    // m1 is held (arrival 508). m2 is sent at 4492 and arrives at 5000, the release time, in an
    // event queued before the release's drain: it must still come after m1.
    const { engine, net, sinks, driver } = setup(["a", "b"]);
    net.hold("a", "b");
    net.send("a", "b", msg(1));
    driver.at(4492, () => net.send("a", "b", msg(2)));
    driver.at(5000, () => net.release("a", "b"));
    engine.run();
    expect(
      sinks
        .get("b")!
        .messages()
        .map((r) => [r.seq, r.t]),
    ).toEqual([
      [1, 5000],
      [2, 5000],
    ]);
  });

  it("a hold placed while released messages are being delivered stops the rest", () => {
    // m1 and m2 are held; at the release (5000) b's actor reacts to m1 by holding the link again,
    // inside the delivery: m2 must wait for the second release (8000).
    const { engine, net, sinks, driver } = setup(["a", "b"]);
    net.hold("a", "b");
    net.send("a", "b", msg(1));
    net.send("a", "b", msg(2));
    sinks.get("b")!.onMessage = (seq) => {
      if (seq === 1) net.hold("a", "b");
    };
    driver.at(5000, () => net.release("a", "b"));
    driver.at(8000, () => net.release("a", "b"));
    engine.run();
    expect(
      sinks
        .get("b")!
        .messages()
        .map((r) => [r.seq, r.t]),
    ).toEqual([
      [1, 5000],
      [2, 8000],
    ]);
  });

  it("a cut while held drops the held messages", () => {
    const { engine, net, sinks, driver } = setup(["a", "b"]);
    net.hold("a", "b");
    net.send("a", "b", msg(1));
    driver.at(1000, () => net.cut("a", "b"));
    driver.at(2000, () => net.heal("all"));
    engine.run();
    expect(sinks.get("b")!.messages()).toEqual([]);
    expect(net.stats().dropped.cut.messages).toBe(1);
  });

  it("reset drops what is in flight on the connection and tells both ends", () => {
    // m1 a→b and m2 b→a are in flight at 100 when the connection resets; both are lost, both ends
    // get net.disconnect at 100; a message sent afterwards travels on epoch 1.
    const { engine, net, sinks, driver } = setup(["a", "b"]);
    net.send("a", "b", msg(1));
    net.send("b", "a", msg(2));
    driver.at(100, () => net.reset("a", "b"));
    driver.at(200, () => net.send("a", "b", msg(3)));
    engine.run();
    expect(sinks.get("b")!.got).toEqual([
      { t: 100, kind: "net.disconnect", peer: "a", reason: "reset" },
      { t: 708, kind: "net.message", from: "a", type: "Req", seq: 3 },
    ]);
    expect(sinks.get("a")!.got).toEqual([
      { t: 100, kind: "net.disconnect", peer: "b", reason: "reset" },
    ]);
    expect(net.stats().dropped.reset.messages).toBe(2);
    expect(net.connectionEpoch("a", "b")).toBe(1);
    const deliver = engine.trace.events.find((e) => e.type === "net.deliver");
    expect(deliver?.conn).toBe(1);
  });

  it("a process crash: peers with open connections and later senders get connection-refused", () => {
    // b had a connection to c (m1 delivered at 508). c's process crashes at 1000: b hears of it
    // one propagation later (1500). a sends to c at 2000 while c is down: the SYN meets an RST
    // after a round trip: 2000 + 500 + 500 = 3000.
    const { engine, net, sinks, driver } = setup(["a", "b", "c"]);
    net.send("b", "c", msg(1));
    driver.at(1000, () => net.nodeDown("c", "process"));
    driver.at(2000, () => net.send("a", "c", msg(2)));
    engine.run();
    expect(sinks.get("b")!.disconnects()).toEqual([
      { t: 1500, kind: "net.disconnect", peer: "c", reason: "connection-refused" },
    ]);
    expect(sinks.get("a")!.disconnects()).toEqual([
      { t: 3000, kind: "net.disconnect", peer: "c", reason: "connection-refused" },
    ]);
    expect(net.stats().dropped["node-down"].messages).toBe(1);
  });

  it("a power loss sends nothing back; in-flight messages to and from the node are lost", () => {
    const { engine, net, sinks, driver } = setup(["a", "b", "c"]);
    net.send("b", "c", msg(1));
    net.send("c", "a", msg(2));
    driver.at(100, () => net.nodeDown("c", "power"));
    driver.at(2000, () => net.send("a", "c", msg(3)));
    engine.run();
    expect(sinks.get("a")!.got).toEqual([]);
    expect(sinks.get("b")!.got).toEqual([]);
    expect(sinks.get("c")!.got).toEqual([]);
    expect(net.stats().dropped["node-down"].messages).toBe(3);
  });

  it("a node that comes back up receives again", () => {
    const { engine, net, sinks, driver } = setup(["a", "b"]);
    net.nodeDown("b", "power");
    net.send("a", "b", msg(1));
    driver.at(1000, () => {
      net.nodeUp("b");
      net.send("a", "b", msg(2));
    });
    engine.run();
    expect(
      sinks
        .get("b")!
        .messages()
        .map((r) => [r.seq, r.t]),
    ).toEqual([[2, 1508]]);
  });

  it("partition separates groups, cumulatively; unlisted nodes keep their links", () => {
    const { net } = setup(["a", "b", "c", "d"]);
    net.partition([["a"], ["b", "c"]]);
    expect(net.reachable("a", "b")).toBe(false);
    expect(net.reachable("c", "a")).toBe(false);
    expect(net.reachable("b", "c")).toBe(true);
    expect(net.reachable("a", "d")).toBe(true);
    net.partition([["b"], ["c"]]);
    expect(net.reachable("b", "c")).toBe(false);
    expect(net.reachable("a", "b")).toBe(false);
    expect(net.linkState("a", "b")).toEqual({ kind: "cut", reason: "partition" });
  });

  it("isolate cuts a node off, including from nodes added later", () => {
    const { engine, net } = setup(["a", "b"]);
    net.isolate("a");
    net.addNode("late", { bandwidthBitsPerSec: GBIT });
    expect(net.reachable("a", "late")).toBe(false);
    expect(net.reachable("late", "a")).toBe(false);
    expect(net.reachable("b", "late")).toBe(true);
    net.send("b", "a", msg(1));
    expect(engine.trace.events.at(-1)).toMatchObject({ type: "net.drop", reason: "isolated" });
  });

  it("heal(node) removes only the faults touching that node", () => {
    // Faults: a isolated, b-c partitioned, d→e delayed, d and e throttled, c→d held.
    const { net } = setup(["a", "b", "c", "d", "e"]);
    net.isolate("a");
    net.partition([["b"], ["c"]]);
    net.delay("d", "e", 3000);
    net.throttle("d", 1000);
    net.throttle("e", 1000);
    net.hold("c", "d");
    net.heal("d");
    // d's faults are gone: its delay, its throttle, the hold into it.
    expect(net.linkState("c", "d")).toEqual({ kind: "open" });
    expect(net.bandwidthOf("d")).toBe(GBIT);
    // Faults not touching d stay.
    expect(net.bandwidthOf("e")).toBe(1000);
    expect(net.reachable("a", "b")).toBe(false);
    expect(net.reachable("b", "c")).toBe(false);
    net.heal("b");
    expect(net.reachable("b", "c")).toBe(true);
    expect(net.reachable("a", "b")).toBe(false);
    net.heal("a");
    expect(net.reachable("a", "b")).toBe(true);
  });

  it("heal(node) clears delays touching it and keeps others", () => {
    // delay a↔b 3000 and c↔d 3000; heal(a); a→b takes 8 + 500 again, c→d still 8 + 3500.
    const { engine, net, sinks } = setup(["a", "b", "c", "d"]);
    net.delay("a", "b", 3000);
    net.delay("c", "d", 3000);
    net.heal("a");
    net.send("a", "b", msg(1));
    net.send("c", "d", msg(2));
    engine.run();
    expect(
      sinks
        .get("b")!
        .messages()
        .map((r) => r.t),
    ).toEqual([508]);
    expect(
      sinks
        .get("d")!
        .messages()
        .map((r) => r.t),
    ).toEqual([3508]);
  });

  it("traces every send, delivery, drop and fault", () => {
    const { engine, net, driver } = setup(["a", "b"]);
    net.send("a", "b", msg(1));
    driver.at(1000, () => net.partition([["a"], ["b"]]));
    driver.at(1100, () => net.send("a", "b", msg(2)));
    driver.at(1200, () => net.heal("all"));
    engine.run();
    expect(engine.trace.events.map((e) => [e.t, e.type, e.node])).toEqual([
      [0, "net.send", "a"],
      [508, "net.deliver", "b"],
      [1000, "net.partition", "net"],
      [1100, "net.send", "a"],
      [1100, "net.drop", "a"],
      [1200, "net.heal", "net"],
      // The connection lost a message: the heal resets it, and both ends hear of it.
      [1200, "net.reset", "net"],
      [1200, "net.disconnect", "a"],
      [1200, "net.disconnect", "b"],
    ]);
    expect(engine.trace.events[0]).toEqual({
      t: 0,
      type: "net.send",
      node: "a",
      id: 0,
      from: "a",
      to: "b",
      msg: "Req",
      bytes: 1000,
      conn: 0,
    });
  });
});
