/**
 * The scale benchmark: a big cluster, one broker crash, and the wall time and memory it takes
 * until every partition has a leader again.
 *
 * Full mode: 100 brokers running "4.1", 3 dedicated KRaft controllers, one topic of 100,000
 * partitions with RF 3 (KRaft's striped placement), no clients. Short mode: 10 brokers, 2,000
 * partitions. Steps, each timed in wall time:
 * 1. build: the bootstrap metadata log, every broker's and controller's image, the hosts;
 * 2. steady: 2 virtual seconds of heartbeats, metadata fetches and idle replica fetches;
 * 3. failover: broker 1's process crashes; its partitions keep it as their leader until the
 *    controller fences it (broker.session.timeout.ms, 9 s, after its last heartbeat) and elects
 *    new leaders from the ISR; the bench runs until the controller has committed a new leader
 *    for every partition broker 1 led (`metadata.record` events) and until each new leader has
 *    taken over (`partition.leader` events). The trace is watched, not the image: the controller
 *    image is read once before the crash and once at the end (OfflinePartitionsCount).
 * The heap is sampled after every 100 virtual ms (heapUsed, garbage included).
 *
 * Full mode needs more heap than Node's default (~4 GB), so it runs in a child process with
 * --max-old-space-size and --expose-gc, which also keeps the other benchmarks' garbage out of
 * its peak; the child prints its figures as one JSON line.
 */
import { spawnSync } from "node:child_process";
import { dirname, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { TraceEvent } from "../sim/engine/trace.ts";
import { benchCluster, gcExposed, heapMB, round } from "./replication.bench.ts";
import type { BenchContext, BenchResult } from "./run.ts";

const S = 1_000_000;
const SLICE_US = 100_000;
const STEADY_US = 2 * S;
/** The failover must finish within this much virtual time after the crash. */
const FAILOVER_LIMIT_US = 60 * S;
const CHILD_HEAP_MB = 14_000;
const VICTIM = 1;

export interface ScaleSize {
  readonly brokers: number;
  readonly partitions: number;
}

export function scaleBench(ctx: BenchContext): BenchResult {
  const size: ScaleSize = ctx.short
    ? { brokers: 10, partitions: 2_000 }
    : { brokers: 100, partitions: 100_000 };
  if (ctx.short) return { ...measureScale(size), isolatedProcess: false };
  return { ...runInChild(size), isolatedProcess: true };
}

/** Runs measureScale in a child Node with a bigger heap; returns its figures. */
function runInChild(size: ScaleSize): BenchResult {
  const self = fileURLToPath(import.meta.url);
  const root = resolve(dirname(self), "..");
  const child = spawnSync(
    process.execPath,
    [
      `--max-old-space-size=${CHILD_HEAP_MB}`,
      "--expose-gc",
      "--import",
      "tsx",
      self,
      "--child",
      String(size.brokers),
      String(size.partitions),
    ],
    { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 20 },
  );
  if (child.status !== 0) {
    throw new Error(`scale bench: the child process failed (status ${child.status})`);
  }
  const line = child.stdout.trim().split("\n").at(-1) ?? "";
  return JSON.parse(line) as BenchResult;
}

export interface ScaleResult {
  readonly brokers: number;
  readonly partitions: number;
  /** Partitions broker 1 led when it crashed. */
  readonly victimLedPartitions: number;
  readonly buildWallMs: number;
  readonly heapAfterBuildMB: number;
  /** Wall time of the first 2 virtual seconds (steady state). */
  readonly steadyWallMs: number;
  /** Crash → the controller has committed a new leader for every partition broker 1 led. */
  readonly electedVirtualMs: number;
  /** Crash → every new leader has taken over. */
  readonly failoverVirtualMs: number;
  readonly failoverWallMs: number;
  readonly failoverEvents: number;
  readonly failoverEventsPerSec: number;
  /** From the start of the build to the last new leader, wall time. */
  readonly totalWallMs: number;
  readonly peakHeapMB: number;
  /** The active controller's OfflinePartitionsCount at the end (0 expected). */
  readonly offlinePartitionsAtEnd: number;
  readonly gcExposed: boolean;
}

export function measureScale(size: ScaleSize): ScaleResult {
  const wall = () => performance.now();
  const start = wall();
  const brokerIds = Array.from({ length: size.brokers }, (_, i) => i + 1);
  const { engine, cluster } = benchCluster(1, {
    brokers: brokerIds.map((id) => ({ id, rack: null })),
    controllers: { kind: "dedicated", ids: [1, 2, 3].map((i) => size.brokers + i) },
    config: {},
    topics: [
      {
        name: "t",
        partitions: size.partitions,
        replicationFactor: 3,
        config: {},
        assignment: null,
      },
    ],
  });
  const buildWallMs = wall() - start;
  const heapAfterBuildMB = heapMB(true);
  let peakHeap = heapAfterBuildMB;
  const run = (untilUs: number) => {
    const outcome = engine.runUntil(untilUs);
    if (outcome.status === "bound") throw new Error(`scale bench: ${outcome.message}`);
    peakHeap = Math.max(peakHeap, heapMB(false));
  };

  const steadyStart = wall();
  cluster.boot();
  for (let t = SLICE_US; t <= STEADY_US; t += SLICE_US) run(t);
  const steadyWallMs = wall() - steadyStart;

  // Which partitions broker 1 leads, from the metadata truth, read once.
  const image = cluster.activeImage();
  if (image === undefined) throw new Error("scale bench: no active controller after 2 s");
  const victimLed = new Set<number>();
  image.topicByName("t")!.partitions.forEach((state, p) => {
    if (state.leader === VICTIM) victimLed.add(p);
  });
  const elected = new Set<number>();
  const tookOver = new Set<number>();
  let electedAtUs = -1;
  let tookOverAtUs = -1;
  const watch = (e: TraceEvent) => {
    if (e.type === "metadata.record") {
      if (e.topic !== "t" || e.leader === VICTIM || e.leader === -1) return;
      const p = e.partition as number;
      if (!victimLed.has(p) || elected.has(p)) return;
      elected.add(p);
      if (elected.size === victimLed.size) electedAtUs = e.t;
    } else if (e.type === "partition.leader") {
      const p = e.partition as number;
      if (e.node === String(VICTIM) || !victimLed.has(p) || tookOver.has(p)) return;
      tookOver.add(p);
      if (tookOver.size === victimLed.size) tookOverAtUs = e.t;
    }
  };
  const crashUs = engine.now;
  const failoverEvents0 = engine.eventsProcessed;
  const failoverStart = wall();
  cluster.crash(String(VICTIM), "process");
  const unsubscribe = engine.trace.subscribe(watch);
  for (let t = crashUs + SLICE_US; tookOverAtUs < 0; t += SLICE_US) {
    if (t > crashUs + FAILOVER_LIMIT_US) {
      throw new Error(
        `scale bench: after ${FAILOVER_LIMIT_US / S} s, ${elected.size} of ${victimLed.size} partitions have a new leader elected, ${tookOver.size} taken over`,
      );
    }
    run(t);
  }
  unsubscribe();
  const failoverWallMs = wall() - failoverStart;
  const failoverEvents = engine.eventsProcessed - failoverEvents0;
  const offline =
    cluster.controllerSnapshots().find((s) => s.active)?.metrics.OfflinePartitionsCount ?? -1;
  return {
    brokers: size.brokers,
    partitions: size.partitions,
    victimLedPartitions: victimLed.size,
    buildWallMs: Math.round(buildWallMs),
    heapAfterBuildMB: round(heapAfterBuildMB, 1),
    steadyWallMs: Math.round(steadyWallMs),
    electedVirtualMs: round((electedAtUs - crashUs) / 1000, 3),
    failoverVirtualMs: round((tookOverAtUs - crashUs) / 1000, 3),
    failoverWallMs: Math.round(failoverWallMs),
    failoverEvents,
    failoverEventsPerSec: Math.round(failoverEvents / (failoverWallMs / 1000)),
    totalWallMs: Math.round(wall() - start),
    peakHeapMB: round(peakHeap, 1),
    offlinePartitionsAtEnd: offline,
    gcExposed: gcExposed(),
  };
}

// The child process: `node --import tsx bench/scale.bench.ts --child <brokers> <partitions>`.
const invokedPath = process.argv[1];
if (
  invokedPath !== undefined &&
  import.meta.url === pathToFileURL(invokedPath).href &&
  process.argv[2] === "--child"
) {
  const size = { brokers: Number(process.argv[3]), partitions: Number(process.argv[4]) };
  process.stdout.write(`${JSON.stringify(measureScale(size))}\n`);
}
