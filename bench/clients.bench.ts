/**
 * The clients benchmark: the reference workload end to end through the real clients, and a
 * retention run that measures the heap each retained record costs.
 *
 * (a) workload: 3 brokers running "4.1" in combined mode, one topic of 6 partitions with RF 3
 * and min.insync.replicas 2; one KafkaProducer (acks=all, 4.1 defaults: idempotence on,
 * batch.size 16 KiB, linger.ms 5, the uniform sticky partitioner for its null keys) whose workload
 * sends 20 MB/s (20 × 10^6 bytes) of 1 KiB values, about 19,531 records a second, each a send()
 * call; one group of 3 KafkaConsumers (range, auto commit, no processing time) reading from the
 * earliest offset. group.initial.rebalance.delay.ms is 0 so that the group forms during the
 * warm-up. Full mode: 2 virtual seconds of warm-up, then 20 measured; short mode: 0.5 + 1.
 * Reported: virtual seconds per wall second, engine events per wall second, the peak heap
 * (heapUsed every 100 virtual ms, garbage included), and the clients' own metrics: the producer's
 * record-send-rate, request-latency-avg, batch-size-avg, records-per-request-avg, and the records
 * the group consumed per virtual second.
 *
 * (b) retention: the same cluster and producer, no consumer, no history, payloads not kept, no
 * retention deletion; the producer runs until the cluster's logs hold `records` acknowledged
 * records (full: 10 million, about 512 virtual seconds; short: 100,000). The live heap (after a
 * full collection) is read before the producer starts and at the end; `bytesPerRetainedRecord` is
 * their difference over the records retained (each kept by 3 replicas: the figure is per record,
 * all its copies included). It runs in a child process with --expose-gc (so the other
 * benchmarks' garbage stays out, and the heap read is the live heap: `liveHeap: true`).
 */
import { spawnSync } from "node:child_process";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import { KafkaConsumer } from "../sim/client/consumer/kafka-consumer.ts";
import { KafkaProducer } from "../sim/client/producer/kafka-producer.ts";
import type { Engine } from "../sim/engine/engine.ts";
import type { Network } from "../sim/infra/network.ts";
import type { KafkaCluster } from "../sim/kafka/cluster.ts";
import { benchCluster, gcExposed, heapMB, round } from "./replication.bench.ts";
import type { BenchContext, BenchResult } from "./run.ts";

const S = 1_000_000;
const SLICE_US = 100_000;
const MB = 1_000_000;
const RECORD_VALUE_BYTES = 1024;
/** 20 MB/s of 1 KiB values: 19,531.25 records a second. */
const RATE_PER_SEC = (20 * MB) / RECORD_VALUE_BYTES;
const TOPIC = "bench";
const CHILD_HEAP_MB = 8_000;

interface World {
  readonly engine: Engine;
  readonly network: Network;
  readonly cluster: KafkaCluster;
  readonly producer: KafkaProducer;
}

function world(seed: number, stopAtUs: number | undefined): World {
  const { engine, network, cluster } = benchCluster(seed, {
    brokers: [1, 2, 3].map((id) => ({ id, rack: null })),
    controllers: { kind: "combined", voterIds: [1, 2, 3] },
    config: { "group.initial.rebalance.delay.ms": 0 },
    topics: [
      {
        name: TOPIC,
        partitions: 6,
        replicationFactor: 3,
        config: { "min.insync.replicas": "2" },
        assignment: null,
      },
    ],
  });
  const producer = new KafkaProducer(engine, network, {
    clientId: "producer-1",
    version: "4.1",
    config: { acks: "all" },
    bootstrap: [1, 2, 3],
    keepPayloads: false,
    trackRecords: false,
    workload: {
      topic: TOPIC,
      ratePerSec: RATE_PER_SEC,
      valueBytes: RECORD_VALUE_BYTES,
      ...(stopAtUs === undefined ? {} : { stopAtUs }),
    },
  });
  return { engine, network, cluster, producer };
}

function runUntil(engine: Engine, untilUs: number): void {
  const outcome = engine.runUntil(untilUs);
  if (outcome.status === "bound") throw new Error(`clients bench: ${outcome.message}`);
}

export interface ClientsWorkloadResult {
  readonly virtualSeconds: number;
  readonly wallSeconds: number;
  readonly virtualPerWallSecond: number;
  readonly events: number;
  readonly eventsPerSec: number;
  readonly peakHeapMB: number;
  readonly recordSendRate: number;
  readonly requestLatencyAvgMs: number;
  readonly batchSizeAvgBytes: number;
  readonly recordsPerRequestAvg: number;
  readonly consumedRecordsPerVirtualSec: number;
  readonly groupMembersWithPartitions: number;
}

export function clientsWorkload(ctx: BenchContext): ClientsWorkloadResult {
  const warmUs = ctx.short ? S / 2 : 2 * S;
  const measureUs = ctx.short ? 1 * S : 20 * S;
  const w = world(1, undefined);
  const consumers = [1, 2, 3].map((i) => {
    const c = new KafkaConsumer(w.engine, w.network, {
      clientId: `consumer-${i}`,
      version: "4.1",
      bootstrap: [1, 2, 3],
      config: { "group.id": "bench-group", "auto.offset.reset": "earliest" },
    });
    c.subscribe([TOPIC]);
    return c;
  });
  w.cluster.boot();
  w.producer.boot();
  for (const c of consumers) c.boot();
  runUntil(w.engine, warmUs);
  const consumed = () =>
    consumers.reduce((n, c) => n + c.snapshot().metrics["records-consumed-total"], 0);
  const events0 = w.engine.eventsProcessed;
  const consumed0 = consumed();
  let wallMs = 0;
  let peakHeap = heapMB(false);
  for (let t = warmUs; t < warmUs + measureUs; ) {
    t += SLICE_US;
    wallMs += ctx.timeMs(() => runUntil(w.engine, t));
    peakHeap = Math.max(peakHeap, heapMB(false));
  }
  const events = w.engine.eventsProcessed - events0;
  const wallSeconds = wallMs / 1000;
  const m = w.producer.metrics();
  ctx.keep(w.engine.trace.hash());
  return {
    virtualSeconds: measureUs / S,
    wallSeconds: round(wallSeconds, 3),
    virtualPerWallSecond: round(measureUs / S / wallSeconds, 3),
    events,
    eventsPerSec: Math.round(events / wallSeconds),
    peakHeapMB: round(peakHeap, 1),
    recordSendRate: round(m["record-send-rate"], 1),
    requestLatencyAvgMs: round(m["request-latency-avg"], 3),
    batchSizeAvgBytes: Math.round(m["batch-size-avg"]),
    recordsPerRequestAvg: round(m["records-per-request-avg"], 2),
    consumedRecordsPerVirtualSec: Math.round((consumed() - consumed0) / (measureUs / S)),
    groupMembersWithPartitions: consumers.filter((c) => c.snapshot().assignment.length > 0).length,
  };
}

export interface RetentionResult {
  readonly retainedRecords: number;
  readonly retainedBatches: number;
  readonly virtualSeconds: number;
  readonly wallSeconds: number;
  readonly heapGrowthMB: number;
  readonly bytesPerRetainedRecord: number;
  readonly liveHeap: boolean;
}

/** Records and batches in the leaders' logs of the bench topic. */
function retained(w: World): { records: number; batches: number } {
  let records = 0;
  let batches = 0;
  for (let p = 0; p < 6; p++) {
    for (const broker of w.cluster.brokers.values()) {
      const log = broker.logBatches(TOPIC, p);
      if (log.length === 0) continue;
      // Count one replica's copy per partition: the first broker holding it.
      for (const b of log) records += b.count;
      batches += log.length;
      break;
    }
  }
  return { records, batches };
}

export function retentionRun(records: number, timeMs: (fn: () => void) => number): RetentionResult {
  // The workload stops once `records` are made; the run ends when all are in the logs.
  const stopAtUs = Math.ceil((records * S) / RATE_PER_SEC);
  const w = world(2, stopAtUs);
  w.cluster.boot();
  runUntil(w.engine, 1000);
  const live = gcExposed();
  const before = heapMB(true);
  w.producer.boot();
  let t = 1000;
  let wallMs = 0;
  let held = retained(w);
  while (held.records < records) {
    t += S;
    wallMs += timeMs(() => runUntil(w.engine, t));
    held = retained(w);
    if (t > stopAtUs + 60 * S) throw new Error(`clients bench: only ${held.records} retained`);
  }
  const after = heapMB(true);
  // Keep the world reachable until the heap is read.
  const bytes = (after - before) * MB;
  return {
    retainedRecords: held.records,
    retainedBatches: held.batches,
    virtualSeconds: round(t / S, 1),
    wallSeconds: round(wallMs / 1000, 1),
    heapGrowthMB: round(after - before, 1),
    bytesPerRetainedRecord: round(bytes / held.records, 1),
    liveHeap: live && w.engine.now > 0,
  };
}

export function clientsBench(ctx: BenchContext): BenchResult {
  const workload = clientsWorkload(ctx);
  // A child process in both modes: the live heap needs --expose-gc, which `npm run bench` lacks.
  const retention = retentionInChild(ctx.short ? 100_000 : 10_000_000);
  const out: Record<string, number | string | boolean> = { ...workload };
  for (const [k, v] of Object.entries(retention))
    out[`retention${k[0]!.toUpperCase()}${k.slice(1)}`] = v;
  return out;
}

/** The retention run in a child Node with --expose-gc and a bigger heap. */
function retentionInChild(records: number): BenchResult {
  const self = fileURLToPath(import.meta.url);
  const child = spawnSync(
    process.execPath,
    [
      `--max-old-space-size=${CHILD_HEAP_MB}`,
      "--expose-gc",
      "--import",
      "tsx",
      self,
      "--child",
      String(records),
    ],
    { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 20 },
  );
  if (child.status !== 0) {
    throw new Error(`clients bench: the retention child failed (status ${child.status})`);
  }
  const line = child.stdout.trim().split("\n").at(-1) ?? "";
  return JSON.parse(line) as BenchResult;
}

// The child process: `node --expose-gc --import tsx bench/clients.bench.ts --child <records>`.
const invokedPath = process.argv[1];
if (
  invokedPath !== undefined &&
  import.meta.url === pathToFileURL(invokedPath).href &&
  process.argv[2] === "--child"
) {
  const timeMs = (fn: () => void) => {
    const start = performance.now();
    fn();
    return performance.now() - start;
  };
  process.stdout.write(`${JSON.stringify(retentionRun(Number(process.argv[3]), timeMs))}\n`);
}
