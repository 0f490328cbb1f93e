/**
 * Runs the benchmarks: `npm run bench` (a table), `npm run bench -- --json` (exactly one JSON
 * object on stdout), `--short` (small sizes for CI, a few seconds in all), `--only <name>`.
 *
 * Each benchmark is a named function in BENCHES that takes a BenchContext and returns a plain
 * object of figures; add one by writing `bench/<name>.bench.ts` and listing it there. Wall time is
 * read here (performance.now), never under sim/.
 *
 * JSON shape: `{ "meta": { node, platform, arch, mode }, "<bench name>": { ...figures }, ... }`.
 */
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { clientsBench } from "./clients.bench.ts";
import { engineBench } from "./engine.bench.ts";
import { infraBench } from "./infra.bench.ts";
import { replicationBench } from "./replication.bench.ts";
import { scaleBench } from "./scale.bench.ts";
import { searchBench } from "./search.bench.ts";

/** What a benchmark gets from the runner: its mode and the timing helpers. */
export interface BenchContext {
  /** Small sizes for CI. */
  readonly short: boolean;
  /** Wall time of `fn()` in milliseconds. */
  timeMs(fn: () => void): number;
  /** The median of a non-empty list (the mean of the middle two for an even length). */
  median(values: readonly number[]): number;
  /** Keeps a computed value alive so the optimizer cannot drop the work that made it. */
  keep(value: unknown): void;
}

/** A benchmark's figures: plain, JSON-safe values. */
export type BenchResult = { readonly [figure: string]: number | string | boolean };

export interface BenchEntry {
  readonly name: string;
  readonly description: string;
  readonly run: (ctx: BenchContext) => BenchResult;
}

export const BENCHES: readonly BenchEntry[] = [
  {
    name: "engine",
    description: "engine events/s on 10,000 pending timers and messages vs a bare binary heap",
    run: (ctx) => ({ ...engineBench(ctx) }),
  },
  {
    name: "infra",
    description: "network + disk micro-workload: 8 hosts replicating batches through page caches",
    run: (ctx) => ({ ...infraBench(ctx) }),
  },
  {
    name: "replication",
    description:
      "3 brokers, 6 partitions RF 3, acks=all, 20 MB/s of 1 KiB records: virtual s per wall s, events/s, peak heap",
    run: (ctx) => ({ ...replicationBench(ctx) }),
  },
  {
    name: "clients",
    description:
      "the reference workload end to end (KafkaProducer at 20 MB/s, 3 brokers, 6 partitions RF 3, acks=all, a group of 3 consumers), then a retention run (full: 10 million records): virtual s per wall s, events/s, peak heap, heap bytes per retained record",
    run: (ctx) => clientsBench(ctx),
  },
  {
    name: "scale",
    description:
      "100 brokers, 100,000 partitions RF 3 (short: 10, 2,000), one broker crash: wall time and memory until every partition has a leader again",
    run: (ctx) => scaleBench(ctx),
  },
  {
    name: "search",
    description:
      "fault search: runs/s of the simulator-sound search on 3 brokers, 10 virtual s per run (one thread; the CLI runs one worker per core), and the time to find and shrink the acks=1 counterexample",
    run: (ctx) => searchBench(ctx),
  },
];

const META_KEY = "meta";

let sink = 0;
const context = (short: boolean): BenchContext => ({
  short,
  timeMs(fn) {
    const start = performance.now();
    fn();
    return performance.now() - start;
  },
  median(values) {
    if (values.length === 0) throw new Error("median of an empty list");
    const sorted = [...values].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  },
  keep(value) {
    sink ^= typeof value === "number" ? value | 0 : String(value).length;
  },
});

interface CliOptions {
  readonly json: boolean;
  readonly short: boolean;
  readonly only: string | undefined;
}

function parseArgs(argv: readonly string[]): CliOptions {
  let json = false;
  let short = false;
  let only: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--json") json = true;
    else if (arg === "--short") short = true;
    else if (arg === "--only") only = argv[++i];
    else throw new Error(`bench: unknown argument ${arg} (use --json, --short, --only <name>)`);
  }
  if (only !== undefined && !BENCHES.some((b) => b.name === only)) {
    throw new Error(
      `bench: no benchmark named ${only}; have ${BENCHES.map((b) => b.name).join(", ")}`,
    );
  }
  return { json, short, only };
}

function formatValue(value: number | string | boolean): string {
  if (typeof value !== "number") return String(value);
  return Number.isInteger(value) ? value.toLocaleString("en-US") : String(value);
}

function printTable(meta: Record<string, string>, results: ReadonlyMap<string, BenchResult>): void {
  const lines: string[] = [];
  lines.push(
    `kafkasim bench — node ${meta.node} (${meta.platform}/${meta.arch}), ${meta.mode} mode`,
  );
  const rows: Array<[string, string, string]> = [];
  for (const [name, result] of results) {
    for (const [figure, value] of Object.entries(result))
      rows.push([name, figure, formatValue(value)]);
  }
  const header: [string, string, string] = ["bench", "figure", "value"];
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (r: readonly string[]) =>
    `${r[0]!.padEnd(widths[0]!)}  ${r[1]!.padEnd(widths[1]!)}  ${r[2]!.padStart(widths[2]!)}`;
  lines.push(line(header));
  lines.push(widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of rows) lines.push(line(r));
  console.log(lines.join("\n"));
}

/**
 * Runs the benchmarks named by `argv` (the arguments after `run.ts` or `kafkasim bench`); returns
 * the exit code: 0, or 2 for a usage error.
 */
export async function main(argv: readonly string[]): Promise<number> {
  let options: CliOptions;
  try {
    options = parseArgs(argv);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
  const meta = {
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    mode: options.short ? "short" : "full",
  };
  const ctx = context(options.short);
  const results = new Map<string, BenchResult>();
  for (const bench of BENCHES) {
    if (bench.name === META_KEY) throw new Error(`bench: "${META_KEY}" is reserved`);
    if (options.only !== undefined && bench.name !== options.only) continue;
    // Progress goes to stderr so that --json leaves exactly one object on stdout.
    process.stderr.write(`bench: ${bench.name}: ${bench.description} ...\n`);
    results.set(bench.name, bench.run(ctx));
  }
  if (options.json) {
    process.stdout.write(
      `${JSON.stringify({ [META_KEY]: meta, ...Object.fromEntries(results) })}\n`,
    );
  } else {
    printTable(meta, results);
    const engine = results.get("engine");
    if (engine !== undefined && typeof engine.ratio === "number" && engine.ratio < 0.5) {
      console.log(`engine: ratio ${engine.ratio} is below the 0.5 target`);
    }
  }
  // The sink is read so the work that fed it stays observable; it never changes the output.
  if (Number.isNaN(sink)) process.stderr.write("\n");
  return 0;
}

// Run only when started as a script (`tsx bench/run.ts`), not when imported by the CLI.
const invokedPath = process.argv[1];
if (invokedPath !== undefined && import.meta.url === pathToFileURL(invokedPath).href) {
  process.exitCode = await main(process.argv.slice(2));
}
