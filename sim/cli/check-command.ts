/**
 * `kafkasim check`: the fault search from the command line (docs/fault-search.md, "kafkasim
 * check"). It states a property, runs the search's runs on worker threads (check-pool.ts), and on
 * a violation shrinks the lowest failing run on this thread, prints its story and writes it as a
 * scenario file that `kafkasim run` replays. Exit 0: no violation; 1: a violation, its file
 * written; 2: bad input or a crashed worker.
 *
 * The answer (the lowest failing run index, and so the file) depends only on the SearchSpec:
 * property, pins, version, fault budget, seed, runs, duration; never on --workers. `--shard I/N`
 * runs every N-th index from I-1; the whole search's answer is the minimum of the shards' answers.
 */
import { writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { nearest } from "../engine/suggest.ts";
import type { FaultBudget } from "../search/arbitraries.ts";
import { counterexampleFile } from "../search/counterexample.ts";
import type { Broken } from "../search/judge.ts";
import {
  DEFAULT_DURATION_US,
  DEFAULT_RUNS,
  DEFAULT_SHRINK_RUNS,
  type ResolvedSearch,
  resolveSearch,
  type SearchSpec,
  type Shrunk,
  shardIndices,
  shrinkIndex,
} from "../search/search.ts";
import {
  formatSettings,
  parseSettingArg,
  parseVersionArg,
  type Settings,
  SettingsError,
} from "../search/settings.ts";
import { type CommandSpec, intOption, type ParsedArgs, UsageError } from "./args.ts";
import { type SliceAnswer, searchSlice, type WorkerAnswer, WorkerCrash } from "./check-pool.ts";
import { SearchProgress } from "./check-progress.ts";
import type { CliIo } from "./main.ts";
import { formatDurationUs, parseDurationArg } from "./time-arg.ts";

/** The search seed when --seed is not given (printed, so the search can be repeated). */
export const DEFAULT_SEED = 1;

const BUDGETS: readonly FaultBudget[] = ["one-at-a-time", "any"];

export const CHECK: CommandSpec = {
  name: "check",
  summary:
    "Search fault schedules for a violation of a property; shrink it and write it as a scenario.",
  usage:
    "kafkasim check --property NAME [--config k=v]... [--version V] [--brokers B] [--runs N] [--seed S] " +
    "[--out FILE] [--shard I/N] [--workers W] [--duration T] [--faults one-at-a-time|any] " +
    "[--shrink-runs N] [--json]",
  minPositionals: 0,
  maxPositionals: 0,
  options: [
    {
      name: "property",
      takes: "value",
      valueName: "NAME",
      describe: "the guarantee to search a violation of (e.g. safe, no-lost-acked-writes)",
    },
    {
      name: "config",
      takes: "value",
      valueName: "KEY=VALUE",
      describe: "pin a setting by Kafka's name, e.g. acks=1 (repeatable)",
      repeat: true,
    },
    {
      name: "version",
      takes: "value",
      valueName: "V",
      describe: "pin the Kafka version profile (default: drawn per run)",
    },
    {
      name: "brokers",
      takes: "value",
      valueName: "B",
      describe: "pin the number of brokers, 1-7 (default: drawn per run)",
    },
    {
      name: "runs",
      takes: "value",
      valueName: "N",
      describe: `runs to try (default ${DEFAULT_RUNS})`,
    },
    {
      name: "seed",
      takes: "value",
      valueName: "S",
      describe: `the search's seed (default ${DEFAULT_SEED})`,
    },
    {
      name: "out",
      takes: "value",
      valueName: "FILE",
      describe:
        "where to write the counterexample (default counterexample-<property>-seed<S>-run<i>.yaml)",
    },
    {
      name: "shard",
      takes: "value",
      valueName: "I/N",
      describe: "run only the I-th of N disjoint slices of the runs (1 ≤ I ≤ N)",
    },
    {
      name: "workers",
      takes: "value",
      valueName: "W",
      describe: "worker threads (default: one per core; 1 runs in this thread)",
    },
    {
      name: "duration",
      takes: "value",
      valueName: "T",
      describe: `virtual time per run (default ${formatDurationUs(DEFAULT_DURATION_US)})`,
    },
    {
      name: "faults",
      takes: "value",
      valueName: "BUDGET",
      describe: "one-at-a-time or any (default: one-at-a-time when every pinned setting is safe)",
    },
    {
      name: "shrink-runs",
      takes: "value",
      valueName: "N",
      describe: `runs spent shrinking at most (default ${DEFAULT_SHRINK_RUNS}; 0: no shrinking)`,
    },
    { name: "json", takes: "flag", describe: "print one JSON object with the slice's answer" },
  ],
};

/** What the command line asks for, checked. */
interface CheckRequest {
  readonly search: ResolvedSearch;
  /** 1-based shard and count, as written. */
  readonly shard?: { readonly index: number; readonly count: number };
  readonly workers: number;
  readonly shrinkRuns: number;
  readonly out?: string;
  readonly json: boolean;
  /** --faults as given (the budget is derived from the pins otherwise). */
  readonly faults?: FaultBudget;
}

/** The `--json` answer of a search or a shard; merge shards by the minimum lowestFailingIndex. */
export interface CheckJson {
  readonly property: string;
  readonly seed: number;
  readonly runs: number;
  readonly shard: { readonly index: number; readonly count: number } | null;
  readonly runsDone: number;
  readonly lowestFailingIndex: number | null;
  readonly broken: readonly Broken[];
  /** The counterexample file written, when a run failed. */
  readonly counterexample: string | null;
}

export async function checkCommand(args: ParsedArgs, io: CliIo): Promise<number> {
  const request = checkRequestOf(args);
  const { search, shard } = request;
  const indices =
    shard === undefined
      ? shardIndices(search.spec.runs, 0, 1)
      : shardIndices(search.spec.runs, shard.index - 1, shard.count);
  const workers = Math.max(1, Math.min(request.workers, indices.length));
  if (!request.json) io.stdout(headerOf(request, indices.length, workers));
  let slice: SliceAnswer;
  try {
    slice = await runWithProgress(request, indices, workers, io);
  } catch (error) {
    if (!(error instanceof WorkerCrash)) throw error;
    io.stderr(`kafkasim: a search worker crashed (a bug in kafkasim): ${error.message}\n`);
    return 2;
  }
  const failing = slice.failing;
  if (failing === undefined) {
    if (request.json) io.stdout(`${JSON.stringify(jsonOf(request, slice, null))}\n`);
    else {
      const where =
        shard === undefined
          ? ""
          : `; shard ${shard.index}/${shard.count} of ${search.spec.runs} runs`;
      io.stdout(
        `no violation of ${search.property.name} in ${slice.runsDone} runs (seed ${search.spec.seed}${where})\n`,
      );
    }
    return 0;
  }
  reportViolation(request, slice, failing, io);
  return 1;
}

/** Runs the slice with the progress bar (on a terminal, not with --json). */
async function runWithProgress(
  request: CheckRequest,
  indices: readonly number[],
  workers: number,
  io: CliIo,
): Promise<SliceAnswer> {
  const bar =
    request.json || !io.stderrIsTTY || io.wallClockMs === undefined
      ? undefined
      : new SearchProgress(io.stderr, io.wallClockMs, io.columns || 80, indices.length);
  let done = 0;
  let failures = 0;
  try {
    return await searchSlice(request.search, indices, workers, (a) => {
      done++;
      if (!a.holds) failures++;
      bar?.update(done, failures);
    });
  } finally {
    bar?.finish();
  }
}

function jsonOf(
  request: CheckRequest,
  slice: SliceAnswer,
  counterexample: string | null,
): CheckJson {
  const { spec, property } = request.search;
  return {
    property: property.name,
    seed: spec.seed,
    runs: spec.runs,
    shard: request.shard ?? null,
    runsDone: slice.runsDone,
    lowestFailingIndex: slice.failing?.index ?? null,
    broken: slice.failing?.broken ?? [],
    counterexample,
  };
}

/** Shrinks the failing run, writes its file, and tells the story (or prints the JSON line). */
function reportViolation(
  request: CheckRequest,
  slice: SliceAnswer,
  failing: WorkerAnswer,
  io: CliIo,
): void {
  const { search, json } = request;
  const kinds = [...new Set(failing.broken.map((b) => b.what))];
  if (!json) io.stdout(`\nviolation at run ${failing.index}: broken ${kinds.join(", ")}\n`);
  if (!json && request.shrinkRuns > 0) {
    io.stderr(`shrinking run ${failing.index} (at most ${request.shrinkRuns} runs)...\n`);
  }
  let accepted = 0;
  const live = !json && io.stderrIsTTY;
  const shrunk = shrinkOrExplain(search, failing.index, request.shrinkRuns, (runs, ok) => {
    if (ok) accepted++;
    if (live)
      io.stderr(
        `\r  shrink run ${runs}/${request.shrinkRuns}, ${accepted} smaller failing cases\x1b[K`,
      );
  });
  if (live) io.stderr("\r\x1b[K");
  const file = counterexampleFile(
    search.property,
    shrunk.shrunk,
    shrunk.verdict,
    foundByOf(request),
  );
  const path =
    request.out ??
    `counterexample-${search.property.name}-seed${search.spec.seed}-run${failing.index}.yaml`;
  (io.writeFile ?? writeTextFile)(path, linesOf(file.text));
  if (json) {
    io.stdout(`${JSON.stringify(jsonOf(request, slice, path))}\n`);
    return;
  }
  const shrinking =
    request.shrinkRuns === 0
      ? "not shrunk (--shrink-runs 0)"
      : `shrunk in ${shrunk.runs} runs (${shrunk.steps} steps accepted)`;
  io.stdout(
    `${shrinking}\n\nThe story:\n${file.story.map((l) => `  ${l}\n`).join("")}\n` +
      `counterexample written to ${path}\nreplay it: kafkasim run ${path}\n`,
  );
}

/**
 * Shrinks on this thread. Run i failed on a worker; if it holds here, the search is not
 * deterministic (a bug in kafkasim): say so rather than print an unexplained error.
 */
function shrinkOrExplain(
  search: ResolvedSearch,
  index: number,
  maxRuns: number,
  onRun: (runs: number, accepted: boolean) => void,
): Shrunk {
  try {
    return shrinkIndex(search, index, maxRuns, onRun);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(
      `shrinking run ${index} (run ${index} must fail the same way on every thread): ${message}`,
    );
  }
}

/** Parses and checks every option; bad ones throw UsageError (exit 2) naming the flag. */
function checkRequestOf(args: ParsedArgs): CheckRequest {
  const property = args.values.get("property")?.[0];
  if (property === undefined) {
    throw new UsageError(`missing --property NAME for 'kafkasim check'\nusage: ${CHECK.usage}`);
  }
  const durationRaw = args.values.get("duration")?.[0];
  const faults = budgetOf(args.values.get("faults")?.[0]);
  try {
    let config: Partial<Settings> = {};
    for (const text of args.values.get("config") ?? []) {
      const pin = parseSettingArg(text);
      const again = Object.keys(pin).find((k) => k in config);
      if (again !== undefined) throw new UsageError(`--config ${text}: ${again} is pinned twice`);
      config = { ...config, ...pin };
    }
    const versionRaw = args.values.get("version")?.[0];
    const brokers = intOption(args, "brokers", 1, 7);
    const spec: SearchSpec = {
      property,
      config,
      ...(versionRaw === undefined ? {} : { version: parseVersionArg(versionRaw) }),
      ...(faults === undefined ? {} : { budget: faults }),
      ...(brokers === undefined ? {} : { brokers }),
      seed: intOption(args, "seed", 0, 2 ** 31 - 1) ?? DEFAULT_SEED,
      runs: intOption(args, "runs", 1, 100_000_000) ?? DEFAULT_RUNS,
      durationUs:
        durationRaw === undefined
          ? DEFAULT_DURATION_US
          : parseDurationArg("--duration", durationRaw),
    };
    const search = resolveSearch(spec);
    const shard = shardOf(args.values.get("shard")?.[0]);
    const out = args.values.get("out")?.[0];
    return {
      search,
      ...(shard === undefined ? {} : { shard }),
      workers: intOption(args, "workers", 1, 1024) ?? availableParallelism(),
      shrinkRuns: intOption(args, "shrink-runs", 0, 1_000_000) ?? DEFAULT_SHRINK_RUNS,
      ...(out === undefined ? {} : { out }),
      json: args.flags.has("json"),
      ...(faults === undefined ? {} : { faults }),
    };
  } catch (error) {
    // The search's own messages name the flag and suggest a value: they are usage errors here.
    if (error instanceof SettingsError) throw new UsageError(error.message);
    throw error;
  }
}

function budgetOf(raw: string | undefined): FaultBudget | undefined {
  if (raw === undefined) return undefined;
  if ((BUDGETS as readonly string[]).includes(raw)) return raw as FaultBudget;
  const guess = nearest(raw, BUDGETS);
  throw new UsageError(
    `--faults ${raw}: expected one-at-a-time or any` +
      (guess === undefined ? "" : `; did you mean "${guess}"?`),
  );
}

/** `--shard I/N`, 1-based as people write it. */
function shardOf(raw: string | undefined): { index: number; count: number } | undefined {
  if (raw === undefined) return undefined;
  const m = /^(\d+)\/(\d+)$/.exec(raw);
  const index = m === null ? Number.NaN : Number(m[1]);
  const count = m === null ? Number.NaN : Number(m[2]);
  if (!(count >= 1 && index >= 1 && index <= count && Number.isSafeInteger(count))) {
    throw new UsageError(
      `--shard ${raw}: expected I/N with 1 ≤ I ≤ N, e.g. --shard 1/4 (the first of four slices)`,
    );
  }
  return { index, count };
}

/** What the search will do, before it starts (so it can be repeated from this alone). */
function headerOf(request: CheckRequest, sliceRuns: number, workers: number): string {
  const { search, shard } = request;
  const { spec, property, pins, budget } = search;
  const pinned = formatSettings(pins.settings);
  const rows: [string, string][] = [
    ["property", `${property.name}: ${property.summary}`],
    ["pinned", pinned === "" ? "(nothing: every setting is drawn)" : pinned],
    ["version", pins.version ?? "drawn per run"],
    [
      "faults",
      budget === "one-at-a-time"
        ? "one at a time, with recovery in between"
        : "any (may exceed the safe fault budget)",
    ],
    ["seed", String(spec.seed)],
    ["runs", `${spec.runs}, ${formatDurationUs(spec.durationUs)} of virtual time each`],
    ["workers", workers === 1 ? "1 (this thread)" : String(workers)],
    [
      "shard",
      shard === undefined
        ? "none (all runs)"
        : `${shard.index}/${shard.count}: ${sliceRuns} runs (every ${ordinal(shard.count)} from run ${shard.index - 1})`,
    ],
  ];
  return `${rows.map(([k, v]) => `${k.padEnd(9)} ${v}`).join("\n")}\n`;
}

function ordinal(n: number): string {
  if (n === 1) return "run";
  const tens = n % 100;
  const suffix =
    tens >= 11 && tens <= 13
      ? "th"
      : n % 10 === 1
        ? "st"
        : n % 10 === 2
          ? "nd"
          : n % 10 === 3
            ? "rd"
            : "th";
  return `${n}${suffix}`;
}

/**
 * The command line that repeats this search and finds the same counterexample: every option that
 * decides the answer, defaults spelled out (they may change), nothing that does not (--workers,
 * --out, --json).
 */
function foundByOf(request: CheckRequest): string {
  const { spec } = request.search;
  const words = ["kafkasim check", `--property ${spec.property}`];
  const config = formatSettings(spec.config);
  if (config !== "") words.push(...config.split(", ").map((kv) => `--config ${kv}`));
  if (spec.version !== undefined) words.push(`--version ${spec.version}`);
  if (spec.brokers !== undefined) words.push(`--brokers ${spec.brokers}`);
  if (request.faults !== undefined) words.push(`--faults ${request.faults}`);
  words.push(`--runs ${spec.runs}`, `--seed ${spec.seed}`);
  words.push(
    `--duration ${formatDurationUs(spec.durationUs)}`,
    `--shrink-runs ${request.shrinkRuns}`,
  );
  if (request.shard !== undefined)
    words.push(`--shard ${request.shard.index}/${request.shard.count}`);
  return words.join(" ");
}

function linesOf(text: string): string[] {
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

function writeTextFile(path: string, lines: Iterable<string>): void {
  writeFileSync(path, [...lines].map((l) => `${l}\n`).join(""));
}
