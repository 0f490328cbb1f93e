/**
 * The replication benchmark: the whole Kafka model under a steady write load, measured as
 * virtual seconds simulated per wall second, engine events per wall second, and the peak heap.
 *
 * Workload: 3 brokers running "4.1" in combined mode (all three are KRaft voters), one topic of
 * 6 partitions with RF 3 and min.insync.replicas 2, and a synthetic producer writing 20 MB/s
 * (10^6 bytes) of 1 KiB records in 16 KiB batches, round-robin, acks=all: about 1,221 batches a
 * second, each appended by a leader, fetched by two followers and acknowledged once the HW passes
 * it. Full mode: 1 virtual second of warm-up (JIT, page cache filling), then 20 measured virtual
 * seconds; short mode: 0.5 + 2.
 *
 * The heap is sampled every 100 virtual ms (process.memoryUsage().heapUsed, garbage included);
 * when the process runs with --expose-gc, a full collection before each whole-second sample gives
 * the live heap as well (`peakLiveHeapMB`). Collections are outside the timed slices.
 */
import { SyntheticProducer } from "../sim/client/synthetic-producer.ts";
import { Engine } from "../sim/engine/engine.ts";
import { DISK_PROFILES, NIC_PROFILES } from "../sim/infra/hardware.ts";
import { Network } from "../sim/infra/network.ts";
import { KafkaCluster, type KafkaClusterSpec, type MachineSpec } from "../sim/kafka/cluster.ts";
import type { BenchContext } from "./run.ts";

const S = 1_000_000;
const SLICE_US = 100_000;
const MB = 1_000_000;

export const BENCH_MACHINE: MachineSpec = {
  disks: [DISK_PROFILES.ssd],
  nic: NIC_PROFILES["10GbE"],
  memoryBytes: 16 * 1024 ** 3,
  cores: 8,
};

/** A Kafka cluster on a fresh engine and network (latency 100 µs, jitter 20 µs), not booted. */
export function benchCluster(
  seed: number,
  spec: Omit<KafkaClusterSpec, "machine" | "version">,
): { engine: Engine; network: Network; cluster: KafkaCluster } {
  const engine = new Engine({ seed });
  const network = new Network(engine, { defaultLatencyUs: 100, jitterUs: 20 });
  const cluster = new KafkaCluster(engine, network, {
    version: "4.1",
    machine: BENCH_MACHINE,
    ...spec,
  });
  return { engine, network, cluster };
}

/** Heap in use now, in MB; a full collection first when `gc` is exposed and `collect` asked. */
export function heapMB(collect: boolean): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (collect && gc !== undefined) gc();
  return process.memoryUsage().heapUsed / MB;
}

export function gcExposed(): boolean {
  return typeof (globalThis as { gc?: unknown }).gc === "function";
}

export interface ReplicationBenchResult {
  readonly virtualSeconds: number;
  readonly wallSeconds: number;
  /** Virtual seconds simulated per wall second (measured part only). */
  readonly virtualPerWallSecond: number;
  readonly events: number;
  readonly eventsPerSec: number;
  readonly traceEventsPerSec: number;
  /** Records acknowledged per virtual second, in MB/s (the model keeps up with 20 MB/s?). */
  readonly ackedMBPerVirtualSec: number;
  readonly meanAckLatencyMs: number;
  readonly peakHeapMB: number;
  /** -1 when the process has no --expose-gc. */
  readonly peakLiveHeapMB: number;
}

export function replicationBench(ctx: BenchContext): ReplicationBenchResult {
  const warmUs = ctx.short ? S / 2 : 1 * S;
  const measureUs = ctx.short ? 2 * S : 20 * S;
  const { engine, network, cluster } = benchCluster(1, {
    brokers: [1, 2, 3].map((id) => ({ id, rack: null })),
    controllers: { kind: "combined", voterIds: [1, 2, 3] },
    config: {},
    topics: [
      {
        name: "bench",
        partitions: 6,
        replicationFactor: 3,
        config: { "min.insync.replicas": "2" },
        assignment: null,
      },
    ],
  });
  const producer = new SyntheticProducer(engine, network, {
    clientId: "producer-1",
    topic: "bench",
    bootstrap: [1, 2, 3],
    bytesPerSec: 20 * MB,
    recordBytes: 1024,
    batchBytes: 16 * 1024,
    config: { acks: -1 },
  });
  cluster.boot();
  producer.boot();
  const run = (untilUs: number) => {
    const outcome = engine.runUntil(untilUs);
    if (outcome.status === "bound") throw new Error(`replication bench: ${outcome.message}`);
  };
  run(warmUs);
  const events0 = engine.eventsProcessed;
  const trace0 = engine.trace.count;
  const stats0 = producer.stats();
  let wallMs = 0;
  let peakHeap = heapMB(false);
  let peakLive = gcExposed() ? heapMB(true) : -1;
  for (let t = warmUs; t < warmUs + measureUs; ) {
    t += SLICE_US;
    wallMs += ctx.timeMs(() => run(t));
    peakHeap = Math.max(peakHeap, heapMB(false));
    if (gcExposed() && (t - warmUs) % S === 0) peakLive = Math.max(peakLive, heapMB(true));
  }
  const stats = producer.stats();
  const events = engine.eventsProcessed - events0;
  const wallSeconds = wallMs / 1000;
  const acked = stats.acked - stats0.acked;
  ctx.keep(engine.trace.hash());
  return {
    virtualSeconds: measureUs / S,
    wallSeconds: round(wallSeconds, 3),
    virtualPerWallSecond: round(measureUs / S / wallSeconds, 3),
    events,
    eventsPerSec: Math.round(events / wallSeconds),
    traceEventsPerSec: Math.round((engine.trace.count - trace0) / wallSeconds),
    ackedMBPerVirtualSec: round((stats.ackedBytes - stats0.ackedBytes) / MB / (measureUs / S), 2),
    meanAckLatencyMs: round(
      acked === 0 ? 0 : (stats.ackLatencyUsSum - stats0.ackLatencyUsSum) / acked / 1000,
      3,
    ),
    peakHeapMB: round(peakHeap, 1),
    peakLiveHeapMB: round(peakLive, 1),
  };
}

export function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
