/**
 * The `kafkasim` command. Each subcommand parses its own declared options; bad input ends with a
 * clear message and exit code 2, a failed expectation or a run stopped at a bound with 1, success
 * with 0. Nothing here prints a stack trace: an internal error is reported as a bug, in one line.
 *
 * The wall clock is injected (`io.wallClockMs`) by the bin script, so sim/ never reads it; without
 * one there is simply no progress bar.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { SimAssertionError } from "../engine/assert.ts";
import { formatIssues, ScenarioError, type ScenarioIssue } from "../scenario/errors.ts";
import { parseOverride, type ScenarioOverride } from "../scenario/load.ts";
import { loadScenarioFile } from "../scenario/load-file.ts";
import { formatReport, type RunReport, runScenario } from "../scenario/runner.ts";
import { formatJmxTool, formatMetricsTable, nodeMetricsOf } from "../tools/broker-metrics.ts";
import { clientMetricsOf, formatClientMetrics } from "../tools/client-metrics.ts";
import { formatReplicaOffsets } from "../tools/replica-offsets.ts";
import {
  type CommandSpec,
  helpText,
  intOption,
  type ParsedArgs,
  parseArgs,
  UsageError,
} from "./args.ts";
import { CHECK, checkCommand } from "./check-command.ts";
import { ProgressBar } from "./progress.ts";
import { formatDurationUs, parseDurationArg } from "./time-arg.ts";

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  readonly stderrIsTTY: boolean;
  readonly columns?: number;
  /** Wall-clock milliseconds, for the progress bar only. */
  readonly wallClockMs?: () => number;
  /** Writes a file (the trace export); injected so tests can capture it. */
  readonly writeFile?: (path: string, lines: Iterable<string>) => void;
}

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, "..", "..");

const RUN: CommandSpec = {
  name: "run",
  summary: "Run a scenario and print its report (narrative, tool outputs, checks, summary).",
  usage:
    "kafkasim run FILE [--seed N] [--until T] [--set PATH=VALUE]... [--trace out.jsonl] [--json] [--quiet]",
  minPositionals: 1,
  maxPositionals: 1,
  options: [
    { name: "seed", takes: "value", valueName: "N", describe: "override the scenario's seed" },
    {
      name: "until",
      takes: "value",
      valueName: "T",
      describe: "stop at virtual time T (e.g. 12s)",
    },
    { name: "trace", takes: "value", valueName: "FILE", describe: "write the trace as JSONL" },
    { name: "json", takes: "flag", describe: "print one JSON object (the Results shape)" },
    { name: "quiet", takes: "flag", describe: "print only the summary line" },
    {
      name: "set",
      takes: "value",
      valueName: "PATH=VALUE",
      describe: "override a value of the file, e.g. cluster.version=0.10",
      repeat: true,
    },
  ],
};

const VALIDATE: CommandSpec = {
  name: "validate",
  summary: "Check scenario files without running them.",
  usage: "kafkasim validate FILE...",
  minPositionals: 1,
  maxPositionals: 1000,
  options: [],
};

const DESCRIBE: CommandSpec = {
  name: "describe",
  summary:
    "Run a scenario up to a moment and print its topics and groups as kafka-topics.sh and kafka-consumer-groups.sh --describe do.",
  usage: "kafkasim describe FILE --at T [--seed N] [--topic NAME] [--replicas]",
  minPositionals: 1,
  maxPositionals: 1,
  options: [
    {
      name: "at",
      takes: "value",
      valueName: "T",
      describe: "the moment, e.g. 12s (default: the end)",
    },
    { name: "seed", takes: "value", valueName: "N", describe: "override the scenario's seed" },
    { name: "topic", takes: "value", valueName: "NAME", describe: "only this topic", repeat: true },
    {
      name: "replicas",
      takes: "flag",
      describe: "also print every replica's log start, HW, LEO and flushed offset",
    },
    {
      name: "set",
      takes: "value",
      valueName: "PATH=VALUE",
      describe: "override a value of the file, e.g. cluster.version=0.10",
      repeat: true,
    },
  ],
};

const METRICS: CommandSpec = {
  name: "metrics",
  summary:
    "Run a scenario up to a moment and print broker, controller and client metrics (Kafka's names).",
  usage: "kafkasim metrics FILE [--at T] [--seed N] [--node ID]",
  minPositionals: 1,
  maxPositionals: 1,
  options: [
    {
      name: "at",
      takes: "value",
      valueName: "T",
      describe: "the moment, e.g. 12s (default: the end)",
    },
    { name: "seed", takes: "value", valueName: "N", describe: "override the scenario's seed" },
    {
      name: "node",
      takes: "value",
      valueName: "ID",
      describe: "one node, printed as Kafka's JmxTool prints (CSV)",
    },
    {
      name: "set",
      takes: "value",
      valueName: "PATH=VALUE",
      describe: "override a value of the file, e.g. cluster.version=0.10",
      repeat: true,
    },
  ],
};

const LIST: CommandSpec = {
  name: "list",
  summary: "List the bundled scenarios with a one-line summary each.",
  usage: "kafkasim list [--json]",
  minPositionals: 0,
  maxPositionals: 0,
  options: [
    {
      name: "json",
      takes: "flag",
      describe: "print one JSON array of {file, name, summary} (or {file, error})",
    },
  ],
};

const BENCH: CommandSpec = {
  name: "bench",
  summary: "Run the benchmarks (same as npm run bench), in a child process.",
  usage: "kafkasim bench [--json] [--short] [--only NAME]",
  minPositionals: 0,
  maxPositionals: 0,
  options: [
    { name: "json", takes: "flag", describe: "print one JSON object" },
    { name: "short", takes: "flag", describe: "small sizes (CI)" },
    {
      name: "only",
      takes: "value",
      valueName: "NAME",
      describe: "run one benchmark (engine, infra, replication, scale)",
    },
  ],
};

const COMMANDS = [RUN, VALIDATE, DESCRIBE, METRICS, LIST, BENCH, CHECK] as const;

function topHelp(): string {
  const rows = COMMANDS.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`).join("\n");
  return `kafkasim: a deterministic simulator of an Apache Kafka cluster, for teaching and testing.

usage: kafkasim <command> [options]

commands:
${rows}

Run 'kafkasim <command> --help' for a command's options.
Exit codes: 0 all expectations met, 1 an expectation failed or a run hit a bound, 2 invalid input.
`;
}

/** The process's stdout and stderr; the bin script adds the wall clock for the progress bar. */
export function nodeIo(): CliIo {
  return {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    stderrIsTTY: process.stderr.isTTY === true,
    columns: process.stderr.columns,
  };
}

export async function main(argv: readonly string[], io: CliIo = nodeIo()): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === "help" || command === "--help" || command === "-h") {
      io.stdout(topHelp());
      return command === undefined ? 2 : 0;
    }
    if (command === "--version" || command === "version") {
      const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
        version: string;
      };
      io.stdout(`kafkasim ${pkg.version}\n`);
      return 0;
    }
    const spec = COMMANDS.find((c) => c.name === command);
    if (spec === undefined) {
      const { nearest } = await import("../engine/suggest.ts");
      const guess = nearest(
        command,
        COMMANDS.map((c) => c.name),
      );
      io.stderr(
        `kafkasim: unknown command '${command}'${guess ? `; did you mean '${guess}'?` : ""}\n` +
          `Run 'kafkasim --help' for the list of commands.\n`,
      );
      return 2;
    }
    if (rest.includes("--help") || rest.includes("-h")) {
      io.stdout(helpText(spec));
      return 0;
    }
    const args = parseArgs(spec, rest);
    switch (spec.name) {
      case "run":
        return runCommand(args, io);
      case "validate":
        return validateCommand(args, io);
      case "describe":
        return describeCommand(args, io);
      case "metrics":
        return metricsCommand(args, io);
      case "list":
        return listCommand(args, io);
      case "bench":
        return benchCommand(rest, io);
      case "check":
        return await checkCommand(args, io);
    }
    return 2;
  } catch (error) {
    return reportError(error, io);
  }
}

function reportError(error: unknown, io: CliIo): number {
  if (error instanceof UsageError) {
    io.stderr(`kafkasim: ${error.message}\n`);
    return 2;
  }
  if (error instanceof ScenarioError) {
    io.stderr(`${formatIssues(error.issues)}\n`);
    return 2;
  }
  if (error instanceof SimAssertionError) {
    io.stderr(
      `kafkasim: the simulator broke one of its own invariants (a bug in kafkasim, not in your scenario):\n  ${error.message}\n` +
        `Please report it with the scenario file and seed.\n`,
    );
    return 1;
  }
  const message = error instanceof Error ? error.message : String(error);
  io.stderr(
    `kafkasim: internal error: ${message}\nPlease report it with the command line you used.\n`,
  );
  return 1;
}

/** The `--set PATH=VALUE` flags, parsed (a malformed one is a usage error). */
function overridesOf(args: ParsedArgs): ScenarioOverride[] {
  return (args.values.get("set") ?? []).map((text) => {
    const o = parseOverride(text);
    if (typeof o === "string") throw new UsageError(`--set ${text}: ${o}`);
    return o;
  });
}

function runCommand(args: ParsedArgs, io: CliIo): number {
  const file = args.positionals[0]!;
  const scenario = loadScenarioFile(file, overridesOf(args));
  printWarnings(scenario.warnings, io);
  const seed = intOption(args, "seed", 0, 2 ** 31 - 1);
  const untilRaw = args.values.get("until")?.[0];
  const untilUs = untilRaw === undefined ? undefined : parseDurationArg("--until", untilRaw);
  const json = args.flags.has("json");
  const quiet = args.flags.has("quiet");
  const tracePath = args.values.get("trace")?.[0];

  const bar = progressBar(io, json || quiet);
  const traceLines: string[] = [];
  let report: RunReport;
  try {
    report = runScenario(scenario, {
      seed,
      untilUs,
      onTraceLine: tracePath === undefined ? undefined : (line) => traceLines.push(line),
      onProgress: bar === undefined ? undefined : (p) => bar.update(p.timeUs, p.endUs, p.events),
    });
  } finally {
    bar?.finish();
  }
  if (tracePath !== undefined) {
    (io.writeFile ?? writeLinesToFile)(tracePath, traceLines);
  }
  if (json) io.stdout(`${JSON.stringify(report.results)}\n`);
  else if (quiet) {
    const r = report.results;
    io.stdout(
      `${r.ok ? "ok" : "FAILED"}  ${r.name}  seed=${r.seed}  t=${formatDurationUs(r.virtualTimeUs)}  events=${r.events}  traceHash=${r.traceHash}\n`,
    );
  } else io.stdout(formatReport(report));
  if (report.boundMessage !== undefined) io.stderr(`kafkasim: ${report.boundMessage}\n`);
  return report.results.ok ? 0 : 1;
}

/**
 * The progress bar for a run, when it may be shown: stderr is a terminal, the wall clock was
 * given (the bin script gives it), and the output is not meant for a program (--json, --quiet).
 */
function progressBar(io: CliIo, machineOutput: boolean): ProgressBar | undefined {
  if (machineOutput || !io.stderrIsTTY || io.wallClockMs === undefined) return undefined;
  return new ProgressBar(io.stderr, io.wallClockMs, io.columns || 80);
}

/** Runs a scenario for describe/metrics with the progress bar (their output is on stdout). */
function runWithProgress(
  io: CliIo,
  scenario: Parameters<typeof runScenario>[0],
  options: Parameters<typeof runScenario>[1] & object,
): RunReport {
  const bar = progressBar(io, false);
  try {
    return runScenario(scenario, {
      ...options,
      ...(bar === undefined ? {} : { onProgress: (p) => bar.update(p.timeUs, p.endUs, p.events) }),
    });
  } finally {
    bar?.finish();
  }
}

function writeLinesToFile(path: string, lines: Iterable<string>): void {
  // Imported lazily: the browser build never reaches this path.
  const fs = process.getBuiltinModule?.("node:fs") as typeof import("node:fs") | undefined;
  if (fs === undefined) throw new Error("cannot write files here");
  const fd = fs.openSync(path, "w");
  try {
    for (const line of lines) fs.writeSync(fd, `${line}\n`);
  } finally {
    fs.closeSync(fd);
  }
}

function describeCommand(args: ParsedArgs, io: CliIo): number {
  const scenario = loadScenarioFile(args.positionals[0]!, overridesOf(args));
  if (scenario.cluster === null) {
    throw new UsageError(
      `${args.positionals[0]} has no Kafka cluster to describe (it uses bare hosts)`,
    );
  }
  const atRaw = args.values.get("at")?.[0];
  const untilUs = atRaw === undefined ? undefined : parseDurationArg("--at", atRaw);
  const topics = args.values.get("topic") ?? [];
  let output = { stdout: "", stderr: "", exitCode: 0 as 0 | 1 };
  const report = runWithProgress(io, scenario, {
    seed: intOption(args, "seed", 0, 2 ** 31 - 1),
    untilUs,
    atEnd: ({ kafka, nowUs }) => {
      if (kafka === undefined) return;
      // Internal topics (__consumer_offsets) only when asked for by name.
      const words = ["--describe", "--exclude-internal", ...topics.flatMap((t) => ["--topic", t])];
      output = kafka.runToolNow(["kafka-topics", ...words]);
      // Groups too, as kafka-consumer-groups.sh --describe --all-groups prints them.
      if (kafka.groupViews().length > 0) {
        const groups = kafka.runToolNow(["kafka-consumer-groups", "--describe", "--all-groups"]);
        output = {
          ...output,
          stdout: `${output.stdout}${groups.stdout}`,
          stderr: `${output.stderr}${groups.stderr}`,
        };
      }
      if (args.flags.has("replicas")) {
        const replicas = formatReplicaOffsets(kafka.cluster.brokerSnapshots(), {
          topics,
          atUs: nowUs,
        });
        output = { ...output, stdout: `${output.stdout}\n${replicas}` };
      }
    },
  });
  io.stdout(output.stdout);
  if (output.stderr !== "") io.stderr(output.stderr);
  if (report.boundMessage !== undefined) io.stderr(`kafkasim: ${report.boundMessage}\n`);
  return output.exitCode === 0 && report.boundMessage === undefined ? 0 : 1;
}

function metricsCommand(args: ParsedArgs, io: CliIo): number {
  const scenario = loadScenarioFile(args.positionals[0]!, overridesOf(args));
  if (scenario.cluster === null) {
    throw new UsageError(`${args.positionals[0]} has no Kafka cluster (it uses bare hosts)`);
  }
  const atRaw = args.values.get("at")?.[0];
  const untilUs = atRaw === undefined ? undefined : parseDurationArg("--at", atRaw);
  const node = args.values.get("node")?.[0];
  let output = { stdout: "", stderr: "", exitCode: 0 as 0 | 1 };
  const report = runWithProgress(io, scenario, {
    seed: intOption(args, "seed", 0, 2 ** 31 - 1),
    untilUs,
    atEnd: ({ kafka, nowUs }) => {
      if (kafka === undefined) return;
      const input = { atUs: nowUs, nodes: nodeMetricsOf(kafka.cluster) };
      output =
        node === undefined
          ? {
              stdout: joinSections(
                formatMetricsTable(input),
                formatClientMetrics(clientMetricsOf(kafka.allProducers(), kafka.allConsumers())),
              ),
              stderr: "",
              exitCode: 0,
            }
          : formatJmxTool(input, node);
    },
  });
  io.stdout(output.stdout);
  if (output.stderr !== "") io.stderr(output.stderr);
  if (report.boundMessage !== undefined) io.stderr(`kafkasim: ${report.boundMessage}\n`);
  return output.exitCode === 0 && report.boundMessage === undefined ? 0 : 1;
}

/** Sections of a tool's output, a blank line between those that say anything. */
function joinSections(...sections: readonly string[]): string {
  return sections.filter((s) => s !== "").join("\n");
}

/** Warnings never stop a run, but they are never silent either. */
function printWarnings(warnings: readonly ScenarioIssue[], io: CliIo): void {
  if (warnings.length > 0) io.stderr(`${formatIssues(warnings).replace(/^/gm, "warning: ")}\n`);
}

function validateCommand(args: ParsedArgs, io: CliIo): number {
  let failed = 0;
  for (const file of args.positionals) {
    try {
      const scenario = loadScenarioFile(file);
      printWarnings(scenario.warnings, io);
      io.stdout(`${file}: ok (${scenario.name})\n`);
    } catch (error) {
      if (!(error instanceof ScenarioError)) throw error;
      io.stderr(`${formatIssues(error.issues)}\n`);
      failed++;
    }
  }
  return failed > 0 ? 2 : 0;
}

/** The bundled scenarios: scenarios/*.yaml, *.yml and *.json except the schema, by file name. */
export function bundledScenarioFiles(dir = join(repoRoot, "scenarios")): string[] {
  return readdirSync(dir)
    .filter((f) => /\.(ya?ml|json)$/.test(f) && f !== "schema.json")
    .sort()
    .map((f) => join(dir, f));
}

/** Abbreviations whose period does not end a sentence. */
const NOT_SENTENCE_ENDS = /(?:^|\s)(?:e\.g|i\.e|etc|vs|cf|approx|incl)\.$/i;

/**
 * The first sentence of a description, on one line: up to the first `.`, `?` or `!` that is
 * followed by a space or the end (so `kafka-topics.sh` and `4.1` stay whole), at most `max`
 * characters.
 */
export function firstSentence(text: string, max = 160): string {
  const flat = text.replace(/\s+/g, " ").trim();
  let end = flat.length;
  for (let i = 0; i < flat.length; i++) {
    const c = flat[i];
    if ((c !== "." && c !== "?" && c !== "!") || (i + 1 < flat.length && flat[i + 1] !== " "))
      continue;
    if (c === "." && NOT_SENTENCE_ENDS.test(flat.slice(0, i + 1))) continue;
    end = i + 1;
    break;
  }
  const sentence = flat.slice(0, end);
  return sentence.length <= max ? sentence : `${sentence.slice(0, max - 1).trimEnd()}…`;
}

type ListEntry = { file: string; name: string; summary: string } | { file: string; error: string };

function listCommand(args: ParsedArgs, io: CliIo): number {
  const entries: ListEntry[] = bundledScenarioFiles().map((path) => {
    const file = relative(process.cwd(), path);
    try {
      const s = loadScenarioFile(path);
      return { file, name: s.name, summary: firstSentence(s.description) };
    } catch (error) {
      if (!(error instanceof ScenarioError)) throw error;
      const n = error.issues.length;
      return {
        file,
        error: `invalid: ${n} problem${n === 1 ? "" : "s"} (kafkasim validate ${file})`,
      };
    }
  });
  if (args.flags.has("json")) {
    io.stdout(`${JSON.stringify(entries)}\n`);
    return 0;
  }
  const width = Math.max(0, ...entries.map((e) => e.file.length));
  for (const e of entries) {
    const text =
      "error" in e ? `(${e.error})` : e.summary === "" ? e.name : `${e.name} — ${e.summary}`;
    io.stdout(`${e.file.padEnd(width)}  ${text}\n`);
  }
  return 0;
}

/**
 * `kafkasim bench`: bench/run.ts in a child process through tsx (sim/ never imports bench/), its
 * output passed through as it comes; the exit code is the child's.
 */
async function benchCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { spawn } = await import("node:child_process");
  const { createRequire } = await import("node:module");
  let tsxCli: string;
  try {
    tsxCli = createRequire(import.meta.url).resolve("tsx/cli");
  } catch {
    io.stderr("kafkasim: bench needs the tsx package (npm install)\n");
    return 1;
  }
  const script = join(repoRoot, "bench", "run.ts");
  return new Promise<number>((done) => {
    const child = spawn(process.execPath, [tsxCli, script, ...argv], {
      cwd: repoRoot,
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.on("data", (chunk: Buffer) => io.stdout(chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => io.stderr(chunk.toString()));
    child.on("error", (error) => {
      io.stderr(`kafkasim: cannot start the benchmarks: ${error.message}\n`);
      done(1);
    });
    child.on("close", (code) => done(code ?? 1));
  });
}
