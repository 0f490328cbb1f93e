/**
 * The infra benchmark: the machine models (sim/infra: network, hosts, page cache, disks) under a
 * small replication-like workload, with tracing on.
 *
 * Workload: 8 hosts on a Network with per-message jitter, 10GbE NICs, 64 MiB of page cache each
 * and one disk each (six NVMe, two SATA SSDs). Each host's process appends a record batch of a
 * size drawn from 256 B to 256 KiB to its own log every 100..400 µs (through its Host: the page
 * cache, the flusher, throttled writers, the disk), sends it to a random peer, and fsyncs its log
 * every 32 batches. A host that receives a batch appends it to its replica file and answers with
 * a small ack; on an ack, the sender reads back part of its log (recent data hits the page cache,
 * older data went to disk and misses). Each I/O's completion is an event at the time the Host
 * computed. The 64 MiB cache fills within a fraction of a virtual second, so writers get
 * throttled and the flusher and evictions run.
 *
 * Figures: engine events per wall second, virtual seconds per wall second, and the ratio of the
 * events/s to a bare binary-heap loop (bench/bare-heap.ts) holding as many pending events, timed
 * in the same rounds, so the ratio depends less on the machine than the absolute figures.
 */
import type { Actor, SimEvent } from "../sim/engine/engine.ts";
import { Engine } from "../sim/engine/engine.ts";
import type { RngStream } from "../sim/engine/rng.ts";
import { DISK_PROFILES, NIC_PROFILES } from "../sim/infra/hardware.ts";
import { Host, PROCESS_START } from "../sim/infra/host.ts";
import { NET_MESSAGE, type NetDelivery, type NetMessage, Network } from "../sim/infra/network.ts";
import { BareHeapLoop } from "./bare-heap.ts";
import type { BenchContext } from "./run.ts";

const HOSTS = 8;
const SSD_HOSTS = 2; // the last two hosts have SATA SSDs, the others NVMe
const MEMORY_BYTES = 64 * 1024 * 1024;
const CORES = 4;
const LATENCY_US = 100;
const JITTER_US = 50;
const BATCH_BYTES = [256, 1024, 4096, 16_384, 65_536, 262_144] as const;
const APPEND_INTERVAL_MIN_US = 100;
const APPEND_INTERVAL_MAX_US = 400;
const FSYNC_EVERY_BATCHES = 32;
const ACK_BYTES = 64;
const P_READ_ON_ACK = 0.5;
/** Reads go back at most this far in the log (older data has been evicted from the cache). */
const READ_BACK_MAX_BYTES = 256 * 1024 * 1024;
/** Virtual time run before the timed window: the cache fills and the flusher starts. */
const WARMUP_US = 200_000;

export interface InfraBenchResult {
  /** Engine events per second of wall time (median of the measured rounds). */
  readonly eventsPerSec: number;
  /** Virtual seconds simulated per second of wall time (median). */
  readonly virtualSecPerWallSec: number;
  /** The bare heap loop's events per second, with as many pending events (median). */
  readonly bareHeapEventsPerSec: number;
  /** eventsPerSec / bareHeapEventsPerSec. */
  readonly ratioToBareHeap: number;
  readonly hosts: number;
  /** Virtual time of each measured round, µs. */
  readonly virtualUsPerRound: number;
  /** Events in one measured round (of the first seed). */
  readonly eventsPerRound: number;
  /** Events pending at the start of the measured window (the bare loop keeps as many). */
  readonly pendingEvents: number;
  /** Messages delivered in one measured round (of the first seed). */
  readonly messagesPerRound: number;
  /** Page-cache hit ratio of the reads, over all hosts, after one round (of the first seed). */
  readonly readHitRatio: number;
}

type ProcessEvent =
  | SimEvent<typeof PROCESS_START, unknown>
  | SimEvent<typeof NET_MESSAGE, NetDelivery<BenchMessage>>
  | SimEvent<"append", null>
  | SimEvent<"io-done", IoKind>;

type IoKind = "append" | "replica" | "read" | "fsync";

interface BenchMessage extends NetMessage {
  readonly type: "Replicate" | "Ack";
}

/** The process of one host: appends, replicates to a peer, acks, reads back. */
class BenchProcess implements Actor {
  private logEndBytes = 0;
  private batches = 0;
  /** Bytes appended to each replica file, by sender. */
  private readonly replicaEndBytes = new Map<string, number>();

  constructor(
    readonly id: string,
    private readonly engine: Engine,
    private readonly network: Network,
    private readonly rng: RngStream,
    private readonly peers: readonly string[],
    private readonly machine: Host,
  ) {}

  handle(event: SimEvent): void {
    const e = event as ProcessEvent;
    switch (e.kind) {
      case PROCESS_START:
        this.armAppend();
        return;
      case "append":
        this.append();
        this.armAppend();
        return;
      case NET_MESSAGE:
        this.receive(e.payload);
        return;
      case "io-done":
        this.engine.trace.emit("bench.io", this.id, { io: e.payload });
        return;
    }
  }

  private armAppend(): void {
    const delayUs = this.rng.intBetween(APPEND_INTERVAL_MIN_US, APPEND_INTERVAL_MAX_US);
    this.engine.schedule(delayUs, this.id, "append", null);
  }

  private append(): void {
    const bytes = this.rng.pick(BATCH_BYTES);
    const io = this.machine.write("log", 0, this.logEndBytes, bytes);
    this.logEndBytes += bytes;
    this.completeAt(io.doneAtUs, "append");
    const to = this.rng.pick(this.peers);
    this.network.send(this.id, to, { type: "Replicate", bytes } satisfies BenchMessage);
    this.batches++;
    if (this.batches % FSYNC_EVERY_BATCHES === 0) {
      this.completeAt(this.machine.fsync("log", 0).doneAtUs, "fsync");
    }
  }

  private receive(delivery: NetDelivery<BenchMessage>): void {
    const message = delivery.message;
    if (message.type === "Replicate") {
      const file = `replica-${delivery.from}`;
      const offset = this.replicaEndBytes.get(delivery.from) ?? 0;
      this.replicaEndBytes.set(delivery.from, offset + message.bytes);
      this.completeAt(this.machine.write(file, 0, offset, message.bytes).doneAtUs, "replica");
      this.network.send(this.id, delivery.from, {
        type: "Ack",
        bytes: ACK_BYTES,
      } satisfies BenchMessage);
      return;
    }
    // An ack: read back part of the log, recent or old.
    if (this.rng.chance(P_READ_ON_ACK) && this.logEndBytes > 0) {
      const window = Math.min(this.logEndBytes, READ_BACK_MAX_BYTES);
      const lengthBytes = Math.min(this.rng.pick(BATCH_BYTES), window);
      const offset = this.logEndBytes - this.rng.intBetween(lengthBytes, window);
      this.completeAt(this.machine.read("log", 0, offset, lengthBytes).doneAtUs, "read");
    }
  }

  /** The I/O's completion is an event (the process would continue there). */
  private completeAt(doneAtUs: number, io: IoKind): void {
    this.engine.scheduleAt(Math.max(doneAtUs, this.engine.now), this.id, "io-done", io);
  }
}

interface Cluster {
  readonly engine: Engine;
  readonly network: Network;
  readonly hosts: readonly Host[];
}

/** A cluster loaded with the workload and run through its warm-up. */
function buildCluster(seed: number): Cluster {
  const engine = new Engine({ seed });
  const network = new Network(engine, { defaultLatencyUs: LATENCY_US, jitterUs: JITTER_US });
  const names = Array.from({ length: HOSTS }, (_, i) => `${i + 1}`);
  const hosts = names.map((name, i) => {
    const disk = i >= HOSTS - SSD_HOSTS ? DISK_PROFILES.ssd : DISK_PROFILES.nvme;
    return new Host(engine, network, {
      name,
      disks: [disk],
      nic: NIC_PROFILES["10GbE"],
      memoryBytes: MEMORY_BYTES,
      cores: CORES,
    });
  });
  for (const host of hosts) {
    const name = host.name;
    const peers = names.filter((peer) => peer !== name);
    const rng = engine.rng.stream(`bench/infra/${name}`);
    engine.register(new BenchProcess(name, engine, network, rng, peers, host));
  }
  for (const host of hosts) host.boot();
  const warm = engine.runFor(WARMUP_US);
  if (warm.status !== "reached-time") throw new Error(`infra bench: warm-up ended ${warm.status}`);
  return { engine, network, hosts };
}

interface RoundResult {
  readonly eventsPerSec: number;
  readonly virtualSecPerWallSec: number;
  readonly events: number;
  readonly pendingEvents: number;
  readonly messages: number;
  readonly readHitRatio: number;
}

function runInfraRound(ctx: BenchContext, seed: number, virtualUs: number): RoundResult {
  const { engine, network, hosts } = buildCluster(seed);
  const pendingEvents = engine.pendingEvents;
  const eventsBefore = engine.eventsProcessed;
  const deliveredBefore = network.stats().delivered.messages;
  const elapsedMs = ctx.timeMs(() => {
    const outcome = engine.runFor(virtualUs);
    if (outcome.status !== "reached-time") {
      throw new Error(`infra bench: run ended ${outcome.status}`);
    }
  });
  ctx.keep(engine.trace.hash());
  const events = engine.eventsProcessed - eventsBefore;
  let hitBytes = 0;
  let missBytes = 0;
  for (const host of hosts) {
    hitBytes += host.pageCache.stats.hitBytes;
    missBytes += host.pageCache.stats.missBytes;
  }
  return {
    eventsPerSec: (events / elapsedMs) * 1000,
    virtualSecPerWallSec: virtualUs / 1000 / elapsedMs,
    events,
    pendingEvents,
    messages: network.stats().delivered.messages - deliveredBefore,
    readHitRatio: hitBytes + missBytes === 0 ? 0 : hitBytes / (hitBytes + missBytes),
  };
}

/** Events the bare loop runs per round: enough to time it well even in short mode. */
const BARE_EVENTS = 500_000;

function runBareRound(ctx: BenchContext, seed: number, pendingEvents: number): number {
  const events = BARE_EVENTS;
  const loop = new BareHeapLoop(Math.max(1, pendingEvents), APPEND_INTERVAL_MAX_US, seed);
  let lastAtUs = 0;
  const elapsedMs = ctx.timeMs(() => {
    lastAtUs = loop.run(events).lastAtUs;
  });
  ctx.keep(lastAtUs);
  return (events / elapsedMs) * 1000;
}

export function infraBench(ctx: BenchContext): InfraBenchResult {
  const virtualUs = ctx.short ? 100_000 : 500_000;
  const rounds = ctx.short ? 3 : 5;
  // Warm-up: let the JIT compile the models before anything is measured.
  const warm = runInfraRound(ctx, 1000, virtualUs);
  runBareRound(ctx, 1000, warm.pendingEvents);
  const results: RoundResult[] = [];
  const bareRates: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const result = runInfraRound(ctx, round + 1, virtualUs);
    results.push(result);
    // As many pending events as the round just measured had.
    bareRates.push(runBareRound(ctx, round + 1, result.pendingEvents));
  }
  const first = results[0]!;
  const eventsPerSec = Math.round(ctx.median(results.map((r) => r.eventsPerSec)));
  const bareHeapEventsPerSec = Math.round(ctx.median(bareRates));
  return {
    eventsPerSec,
    virtualSecPerWallSec:
      Math.round(ctx.median(results.map((r) => r.virtualSecPerWallSec)) * 1000) / 1000,
    bareHeapEventsPerSec,
    ratioToBareHeap: Math.round((eventsPerSec / bareHeapEventsPerSec) * 1000) / 1000,
    hosts: HOSTS,
    virtualUsPerRound: virtualUs,
    eventsPerRound: first.events,
    pendingEvents: first.pendingEvents,
    messagesPerRound: first.messages,
    readHitRatio: Math.round(first.readHitRatio * 1000) / 1000,
  };
}
