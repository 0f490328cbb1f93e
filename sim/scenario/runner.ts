/**
 * The scenario runner: builds the simulated world from a loaded scenario, queues the timeline's
 * actions before anything else (so at an equal time they run before model events), runs the
 * engine in slices up to the scenario's duration, and reports from the trace.
 *
 * The Kafka layer joins here as it lands; until then a scenario that needs it is rejected with a
 * located error instead of being run half-way. Producers run (on the SyntheticProducer, see
 * kafka-world.ts); consumers, keyed workloads and the checkers that read consumers' polls do not
 * yet. At the end of a run with a cluster, the producer-side checkers judge the history and every
 * verdict goes into `results.checks`; a `check` expectation decides `ok`. Last, the liveness
 * report (liveness.ts) says whether the world converged after the last fault, and why not.
 */

import type { CheckerName } from "../check/checkers/common.ts";
import { CHECKER_NAMES, CHECKERS } from "../check/checkers/index.ts";
import { processorEffects } from "../check/checkers/processor-effects.ts";
import { plural } from "../check/format.ts";
import type { History, ProcessorRecord } from "../check/history.ts";
import { ConfigException } from "../client/config-exception.ts";
import { consumerSettings } from "../client/consumer/settings.ts";
import { resolveProducerSettings } from "../client/producer/producer-config.ts";
import type { Actor, Engine, RunLimits, SimEvent } from "../engine/engine.ts";
import { Engine as EngineImpl } from "../engine/engine.ts";
import type { TraceEvent } from "../engine/trace.ts";
import { traceEventToJson } from "../engine/trace.ts";
import { FileTransferAgent } from "../infra/file-transfer.ts";
import {
  DISK_PROFILES,
  type DiskProfile,
  NIC_PROFILES,
  type NicProfile,
  withDiskOverrides,
  withNicOverrides,
} from "../infra/hardware.ts";
import { Host } from "../infra/host.ts";
import { Network } from "../infra/network.ts";
import { nodeMetricsOf } from "../tools/broker-metrics.ts";
import { clientMetricsOf } from "../tools/client-metrics.ts";
import { runMetricsLines } from "../tools/run-metrics.ts";
import { splitCommand } from "../tools/tool.ts";
import { ScenarioError, type ScenarioIssue } from "./errors.ts";
import { KafkaWorld } from "./kafka-world.ts";
import { type LivenessResult, livenessOf } from "./liveness.ts";
import type {
  Action,
  CheckExpectation,
  DiskSpec,
  GroupExpectation,
  HostSpec,
  NetworkSpec,
  PartitionExpectation,
  Scenario,
  TimelineEntry,
} from "./load.ts";
import { formatDurationUs } from "./units.ts";

/** Defaults for bare hosts, documented in docs/scenarios.md. */
export const HOST_DEFAULTS = {
  disk: "ssd",
  network: "10GbE",
  memoryBytes: 16 * 1024 ** 3,
  cores: 8,
  latencyUs: 100,
  jitterUs: 20,
} as const;

export interface RunOptions {
  /** Overrides the scenario's seed. */
  readonly seed?: number;
  /** Stop here (or at the duration, whichever is first). */
  readonly untilUs?: number;
  readonly onTraceLine?: (line: string) => void;
  readonly onTrace?: (event: TraceEvent) => void;
  readonly onProgress?: (p: { timeUs: number; endUs: number; events: number }) => void;
  readonly limits?: Partial<RunLimits>;
  /** Called when the run has stopped, with the simulated world as it stands (tools, the CLI's describe). */
  readonly atEnd?: (world: {
    readonly kafka: KafkaWorld | undefined;
    /** The virtual time the run stopped at, µs. */
    readonly nowUs: number;
  }) => void;
}

/** The shape `kafkasim run --json` prints (scenario-format.md, "Results"). */
export interface RunResults {
  name: string;
  seed: number;
  virtualTimeUs: number;
  events: number;
  traceHash: string;
  checks: Array<{ name: string; holds: boolean; detail: string }>;
  expectations: Array<{ what: string; ok: boolean }>;
  cli: Array<{ atUs: number; command: string; output: string; error: string }>;
  /** After the last fault: has the cluster converged, and if not, why (liveness.ts). */
  liveness: LivenessResult;
  /** Each stream processor's effects in its output (only when the scenario has processors). */
  processors?: ProcessorSummary[];
  ok: boolean;
}

/** How often each input record of a stream processor shows in its committed output. */
export interface ProcessorSummary {
  readonly id: string;
  readonly guarantee: "at_least_once" | "exactly_once_v2";
  /** Input records below the group's final committed offsets. */
  readonly inputs: number;
  /** Extra effects: outputs beyond the first of an input. */
  readonly duplicates: number;
  /** Committed inputs without an effect. */
  readonly missing: number;
  readonly detail: string;
}

/** A line of the report's story: what happened when, in words. */
export interface StoryLine {
  readonly atUs: number;
  readonly kind: "say" | "ask" | "fault" | "event";
  readonly text: string;
  readonly answer?: string;
  /** A Kafka tool ran here; its output is the next entry of the results' `cli`. */
  readonly tool?: boolean;
}

/** The report keeps the story readable on big clusters: past this, lines are counted, not kept. */
const MAX_STORY_LINES = 400;

export interface RunReport {
  readonly results: RunResults;
  readonly description: string;
  readonly story: readonly StoryLine[];
  /** Story lines past MAX_STORY_LINES, counted only. */
  readonly storyLinesDropped: number;
  readonly transfers: readonly TransferSummary[];
  /** The metrics section at the end of the run (run-metrics.ts); empty without a cluster. */
  readonly metrics: readonly string[];
  /** Set when the run stopped at a bound (max events or max time). */
  readonly boundMessage?: string;
  readonly traceEvents: number;
}

export interface TransferSummary {
  readonly id: string;
  readonly from: string;
  readonly to: string;
  readonly bytes: number;
  readonly mode: string;
  readonly read: string;
  readonly startUs: number;
  readonly doneUs: number | null;
  readonly timeouts: number;
  readonly bytesPerSec: number | null;
  readonly dmaCopies: number | null;
  readonly cpuCopies: number | null;
  readonly contextSwitches: number | null;
  readonly cpuUs: number | null;
}

/** Kinds of timeline action the runner can carry out today, for scenarios without a Kafka cluster. */
const HOST_ACTIONS: ReadonlySet<Action["kind"]> = new Set<Action["kind"]>([
  "crash",
  "restart",
  "isolate",
  "partition",
  "cut",
  "hold",
  "release",
  "reset",
  "heal",
  "delay",
  "throttle",
  "slow-disk",
  "fail-disk",
  "disk-full",
  "say",
  "ask",
  "pause",
  "transfer",
]);

/** Kafka actions the runner carries out when the scenario has a cluster. */
const KAFKA_ACTIONS: ReadonlySet<Action["kind"]> = new Set<Action["kind"]>([
  "shutdown",
  "create-topic",
  "delete-topic",
  "alter-topic",
  "alter-config",
  "reassign",
  "elect-leaders",
  "cli",
  "expect",
  "start",
  "stop",
  "kill",
  "produce",
  "commit",
]);

const DIRECTOR_ID = "scenario";

/** What the director records while the run goes: tool outputs and expectation verdicts. */
interface RunRecord {
  cli: RunResults["cli"];
  /** Each cli entry's exit code, by index: null while its tool waits for the cluster. */
  cliExit: Array<number | null>;
  expectations: RunResults["expectations"];
}

/** Carries out timeline actions at their times; its events are queued before the models start. */
class Director implements Actor {
  readonly id = DIRECTOR_ID;
  constructor(
    private readonly engine: Engine,
    private readonly network: Network,
    private readonly hosts: ReadonlyMap<string, Host>,
    private readonly kafka: KafkaWorld | undefined,
    private readonly record: RunRecord,
  ) {
    engine.register(this);
  }

  handle(event: SimEvent): void {
    if (event.kind === "expect") {
      this.expect(event.payload as PartitionExpectation | GroupExpectation);
      return;
    }
    const entry = event.payload as TimelineEntry;
    if (this.kafka?.perform(entry.action)) return;
    this.perform(entry.action, entry.index);
  }

  /** Evaluates a `partition` or `group` expectation now. */
  expect(e: PartitionExpectation | GroupExpectation): void {
    if (this.kafka === undefined) return;
    const verdict =
      e.kind === "partition" ? this.kafka.checkPartition(e) : this.kafka.checkGroup(e);
    this.record.expectations.push(verdict);
    this.engine.trace.emit("scenario.expect", DIRECTOR_ID, { what: verdict.what, ok: verdict.ok });
  }

  private host(node: string): Host {
    const h = this.hosts.get(node) ?? this.kafka?.cluster.hosts.get(node);
    if (h === undefined) throw new Error(`no host named ${node}`);
    return h;
  }

  private runTool(command: string, input: readonly string[]): void {
    const split = splitCommand(command);
    const entry = { atUs: this.engine.now, command, output: "", error: "" };
    const index = this.record.cli.length;
    this.record.cli.push(entry);
    this.record.cliExit.push(null);
    const refuse = (error: string) => {
      entry.error = error;
      this.record.cliExit[index] = 1;
      this.engine.trace.emit("scenario.cli", DIRECTOR_ID, { command, exitCode: 1 });
    };
    if (!Array.isArray(split)) return refuse(`kafkasim: ${split.error} in: ${command}\n`);
    const words = split;
    const kafka = this.kafka;
    if (kafka === undefined) {
      return refuse(
        `kafkasim: ${words[0]}: Kafka's tools need a Kafka cluster (this scenario has bare hosts)\n`,
      );
    }
    // A tool that waits for the cluster fills its entry in when it answers, and says so in the
    // trace (which entry, by index).
    let started = false;
    this.pendingTools.add(entry);
    kafka.runTool(words, input, (output) => {
      this.record.cliExit[index] = output.exitCode;
      this.pendingTools.delete(entry);
      entry.output = output.stdout;
      entry.error = output.stderr;
      if (started)
        this.engine.trace.emit("scenario.cli-done", DIRECTOR_ID, {
          command,
          index,
          exitCode: output.exitCode,
        });
    });
    started = true;
    const exitCode = this.record.cliExit[index];
    this.engine.trace.emit("scenario.cli", DIRECTOR_ID, {
      command,
      ...(exitCode === null || exitCode === undefined ? { waiting: true } : { exitCode }),
    });
  }

  /** Tools still waiting for an answer. */
  private readonly pendingTools = new Set<{ output: string; error: string }>();

  /**
   * At the end of the run: tools still running finish as on Ctrl-C (a console consumer prints
   * what it read); those that never got their answers say so.
   */
  finishTools(): void {
    this.kafka?.runEnded();
    for (const entry of this.pendingTools) {
      entry.error += "kafkasim: no answer before the end of the run\n";
    }
    this.pendingTools.clear();
  }

  private perform(a: Action, index: number): void {
    const net = this.network;
    const trace = this.engine.trace;
    switch (a.kind) {
      case "cli":
        return this.runTool(a.command, a.input);
      case "expect":
        this.expect(a.expectation);
        return;
      case "say":
        return trace.emit("scenario.say", DIRECTOR_ID, { text: a.text });
      case "ask":
        return trace.emit("scenario.ask", DIRECTOR_ID, { question: a.question, answer: a.answer });
      case "pause":
        return trace.emit("scenario.pause", DIRECTOR_ID, {});
      case "crash":
        return this.host(a.node).crash(a.mode);
      case "restart":
        return this.host(a.node).restart();
      case "isolate":
        return net.isolate(a.node);
      case "partition":
        return net.partition(a.groups);
      case "cut":
        return net.cut(a.from, a.to);
      case "hold":
        return net.hold(a.from, a.to);
      case "release":
        return net.release(a.from, a.to);
      case "reset":
        return net.reset(a.from, a.to);
      case "heal":
        return net.heal(a.target);
      case "delay":
        return net.delay(a.from, a.to, a.latencyUs, a.oneWay);
      case "throttle":
        return net.throttle(a.node, a.bandwidthBitsPerSec);
      case "slow-disk": {
        const h = this.host(a.node);
        for (let i = 0; i < h.diskCount; i++) h.disk(i).setSlowFactor(a.factor);
        return trace.emit("disk.slow", a.node, { factor: a.factor });
      }
      case "fail-disk":
        this.host(a.node).disk(a.disk).fail();
        return trace.emit("disk.failed", a.node, { disk: a.disk });
      case "disk-full":
        this.host(a.node).disk(a.disk).setFull(true);
        return trace.emit("disk.full", a.node, { disk: a.disk });
      case "transfer":
        this.engine.schedule(0, a.from, "transfer.start", {
          id: `transfer-${index}`,
          to: a.to,
          sizeBytes: a.sizeBytes,
          mode: a.mode,
          read: a.read,
        });
        return;
      default:
        // Rejected before the run by checkSupported(); reaching here is a bug.
        throw new Error(`action ${a.kind} is not supported by this runner`);
    }
  }
}

/**
 * Where a client's key is in the file: the line of `id: <client>`, then the first line after it
 * (within that client's entry) that starts with `key:`. The loader keeps no locations for clients,
 * so the text is searched; the client's line is the fallback, the `clients` key the last resort.
 */
function locateClient(
  scenario: Scenario,
  clientId: string,
  key: string | null,
  path: string,
): ScenarioIssue {
  const lines = scenario.source.text.split("\n");
  const at = (index: number, column: number): ScenarioIssue => ({
    file: scenario.source.file,
    line: index + 1,
    column: column + 1,
    path,
    message: "",
  });
  const idPattern = new RegExp(
    `^(\\s*-?\\s*)id:\\s*["']?${escapeRegExp(clientId)}["']?\\s*(#.*)?$`,
  );
  const idLine = lines.findIndex((l) => idPattern.test(l));
  if (idLine < 0) {
    const clientsLine = lines.findIndex((l) => /^clients\s*:/.test(l));
    return at(Math.max(0, clientsLine), 0);
  }
  const idColumn = lines[idLine]!.indexOf("id:");
  if (key === null) return at(idLine, idColumn);
  for (let i = idLine + 1; i < lines.length; i++) {
    const line = lines[i]!;
    const column = line.search(/\S/);
    if (column < 0 || line.trimStart().startsWith("#")) continue;
    // A line at or left of the client's keys (another client, or the next section) ends the entry.
    if (column < idColumn || (column === idColumn - 2 && line.trimStart().startsWith("-"))) break;
    const keyColumn = line.search(new RegExp(`\\b${escapeRegExp(key)}\\s*:`));
    if (keyColumn >= 0) return at(i, keyColumn);
  }
  return at(idLine, idColumn);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Rejects, with their locations, what this build cannot carry out, and the client configurations
 * Kafka's clients would refuse at construction (ConfigException).
 */
function checkSupported(scenario: Scenario): void {
  const issues: ScenarioIssue[] = [];
  const hasCluster = scenario.cluster !== null;
  const producers = scenario.clients.filter((c) => c.type === "producer");
  const stopped = new Set<string>();
  for (const entry of scenario.timeline) {
    const a = entry.action;
    if (a.kind === "stop") stopped.add(a.client);
    if (a.kind === "start" && stopped.has(a.client)) {
      issues.push({
        ...entry.source,
        message:
          `\`start: ${a.client}\` after \`stop\`: a client closed gracefully does not start again ` +
          "in this build; use `kill` (a crash) before `start`, or a second client with the same group",
      });
    }
    const supported = HOST_ACTIONS.has(a.kind) || (hasCluster && KAFKA_ACTIONS.has(a.kind));
    if (!supported) {
      const what = a.kind === "expect" ? `expect ${a.expectation.kind}` : a.kind;
      issues.push({
        ...entry.source,
        message: !hasCluster
          ? `the action \`${what}\` needs a Kafka cluster (a \`cluster:\` section)`
          : `\`${what}\` is not carried out by this build yet`,
      });
    } else if (a.kind === "produce" && a.client === null && producers.length === 0) {
      issues.push({
        ...entry.source,
        message:
          "a `produce` without `client` uses the first producer of `clients`, and there is none",
      });
    }
  }
  scenario.clients.forEach((client, i) => {
    if (!hasCluster) return;
    const version = scenario.cluster!.version;
    try {
      if (client.type === "producer") resolveProducerSettings(version, client.config);
      else if (client.type === "stream-processor") {
        resolveProducerSettings(version, client.settings.producer);
        consumerSettings(version, client.settings.consumer);
      } else {
        consumerSettings(
          version,
          client.group === null ? client.config : { ...client.config, "group.id": client.group },
        );
      }
    } catch (error) {
      if (!(error instanceof ConfigException)) throw error;
      issues.push({
        ...locateClient(scenario, client.id, "config", `clients[${i}].config`),
        message: `${client.type} ${client.id}: ConfigException: ${error.message}`,
      });
    }
  });
  for (const e of scenario.expect) {
    if (hasCluster) continue;
    issues.push({
      ...e.source,
      message:
        e.kind === "check"
          ? `the checker \`${e.check}\` needs a Kafka cluster (a \`cluster:\` section)`
          : `a \`${e.kind}\` expectation needs a Kafka cluster (a \`cluster:\` section)`,
    });
  }
  if (issues.length > 0) throw new ScenarioError(issues);
}

/** A `check` expectation's verdict in words, from the checker's verdict. */
function checkExpectationVerdict(
  e: CheckExpectation,
  verdict: { holds: boolean; detail: string } | undefined,
): { what: string; ok: boolean } {
  if (verdict === undefined) {
    return {
      what: `${e.check}: could not be judged (no active controller at the end of the run to read the final state from)`,
      ok: false,
    };
  }
  const expected = e.holds ? "expected to hold" : "expected to be violated";
  const ok = verdict.holds === e.holds;
  const outcome = verdict.holds
    ? ok
      ? "and it held"
      : "but it held"
    : ok
      ? "and it was"
      : "but it was violated";
  return { what: `${e.check}: ${expected}, ${outcome}: ${verdict.detail}`, ok };
}

function diskProfileOf(spec: DiskSpec | null): DiskProfile {
  if (spec === null) return DISK_PROFILES[HOST_DEFAULTS.disk];
  const overrides: Record<string, number> = {};
  if (spec.readBandwidthBytesPerSec !== null)
    overrides.readBandwidthBytesPerSec = spec.readBandwidthBytesPerSec;
  if (spec.writeBandwidthBytesPerSec !== null)
    overrides.writeBandwidthBytesPerSec = spec.writeBandwidthBytesPerSec;
  if (spec.seekUs !== null) overrides.avgSeekUs = spec.seekUs;
  if (spec.rotationalLatencyUs !== null) overrides.rotationalLatencyUs = spec.rotationalLatencyUs;
  if (spec.accessLatencyUs !== null) overrides.accessLatencyUs = spec.accessLatencyUs;
  if (spec.readIops !== null) overrides.readIops = spec.readIops;
  if (spec.writeIops !== null) overrides.writeIops = spec.writeIops;
  if (spec.fsyncUs !== null) overrides.fsyncUs = spec.fsyncUs;
  const { profile, problems } = withDiskOverrides(DISK_PROFILES[spec.profile], overrides);
  if (problems.length > 0) throw new Error(`disk: ${problems.join("; ")}`);
  return profile;
}

function nicProfileOf(spec: NetworkSpec | null): NicProfile {
  if (spec === null) return NIC_PROFILES[HOST_DEFAULTS.network];
  const base = NIC_PROFILES[spec.profile];
  if (spec.bandwidthBitsPerSec === null) return base;
  const { profile, problems } = withNicOverrides(base, {
    bandwidthBitsPerSec: spec.bandwidthBitsPerSec,
  });
  if (problems.length > 0) throw new Error(`network: ${problems.join("; ")}`);
  return profile;
}

function buildHosts(
  engine: Engine,
  network: Network,
  specs: readonly HostSpec[],
): Map<string, Host> {
  const hosts = new Map<string, Host>();
  for (const spec of specs) {
    const host = new Host(engine, network, {
      name: spec.name,
      disks: [diskProfileOf(spec.disk)],
      nic: nicProfileOf(spec.network),
      memoryBytes: spec.memoryBytes ?? HOST_DEFAULTS.memoryBytes,
      cores: spec.cores ?? HOST_DEFAULTS.cores,
    });
    new FileTransferAgent(engine, network, host);
    hosts.set(spec.name, host);
  }
  return hosts;
}

/** Runs a loaded scenario to its end (or `untilUs`) and reports. Throws ScenarioError for input it cannot run. */
export function runScenario(scenario: Scenario, options: RunOptions = {}): RunReport {
  const run = new ScenarioRun(scenario, options);
  const endUs = Math.min(run.endUs, options.untilUs ?? Number.MAX_SAFE_INTEGER);
  const sliceUs = Math.max(1, Math.ceil(endUs / 200));
  for (let t = 0; t < endUs; ) {
    t = Math.min(endUs, t + sliceUs);
    run.advanceTo(t);
    options.onProgress?.({ timeUs: run.nowUs, endUs, events: run.engine.eventsProcessed });
    if (run.boundMessage !== undefined) break;
  }
  return run.finish();
}

/**
 * A run that can be advanced step by step (the viz's session, session.ts) and finished with the
 * report `runScenario` gives. Advancing in any slices gives the same trace: between two calls
 * nothing runs, and each call only moves the engine's clock forward.
 */
export class ScenarioRun {
  /**
   * The Kafka tools the run has started so far, in start order, with what they printed and their
   * exit code (null while a tool waits for the cluster).
   */
  cliEntries(): Array<RunResults["cli"][number] & { readonly exitCode: number | null }> {
    return this.record.cli.map((e, i) => ({ ...e, exitCode: this.record.cliExit[i] ?? null }));
  }

  readonly engine: Engine;
  readonly seed: number;
  /** The scenario's duration, µs: the run ends there. */
  readonly endUs: number;
  readonly kafka: KafkaWorld | undefined;
  readonly hosts: ReadonlyMap<string, Host>;
  /** Set when the run stopped at a bound (max events or max time). */
  boundMessage: string | undefined;
  private readonly network: Network;
  private readonly story = new StoryCollector();
  private readonly record: RunRecord = { cli: [], cliExit: [], expectations: [] };
  private readonly director: Director;
  private readonly atEndExpectations: Array<PartitionExpectation | GroupExpectation> = [];
  private report: RunReport | undefined;

  constructor(
    readonly scenario: Scenario,
    private readonly options: RunOptions = {},
  ) {
    checkSupported(scenario);
    const seed = options.seed ?? scenario.seed;
    this.seed = seed;
    this.endUs = scenario.durationUs;
    const engine = new EngineImpl({ seed, limits: options.limits });
    this.engine = engine;
    engine.trace.subscribe((e) => this.story.observe(e));
    if (options.onTrace !== undefined) engine.trace.subscribe(options.onTrace);
    if (options.onTraceLine !== undefined) {
      const sink = options.onTraceLine;
      engine.trace.subscribe((e) => sink(traceEventToJson(e)));
    }

    const network = new Network(engine, {
      defaultLatencyUs: scenario.cluster?.network.latencyUs ?? HOST_DEFAULTS.latencyUs,
      jitterUs: scenario.cluster?.network.jitterUs ?? HOST_DEFAULTS.jitterUs,
    });
    this.network = network;
    const hosts = buildHosts(engine, network, scenario.hosts);
    this.hosts = hosts;
    const cluster = scenario.cluster;
    const kafka =
      cluster === null
        ? undefined
        : new KafkaWorld(engine, network, scenario, cluster, {
            disks: Array.from({ length: Math.max(1, cluster.hardware.disks) }, () =>
              diskProfileOf(cluster.hardware.disk),
            ),
            nic: nicProfileOf(cluster.hardware.network),
            memoryBytes: cluster.hardware.memoryBytes ?? HOST_DEFAULTS.memoryBytes,
            cores: cluster.hardware.cores ?? HOST_DEFAULTS.cores,
          });
    this.kafka = kafka;
    this.director = new Director(engine, network, hosts, kafka, this.record);
    // Timeline first: at an equal time, actions run before model events.
    for (const entry of scenario.timeline)
      engine.scheduleAt(entry.atUs, DIRECTOR_ID, "action", entry);
    for (const e of scenario.expect) {
      if (e.kind === "check") continue;
      if (e.atUs === "end") this.atEndExpectations.push(e);
      else engine.scheduleAt(e.atUs, DIRECTOR_ID, "expect", e);
    }
    engine.trace.emit("scenario.start", DIRECTOR_ID, {
      name: scenario.name,
      seed,
      hosts: scenario.hosts.length,
    });
    for (const host of hosts.values()) host.boot();
    kafka?.boot();
  }

  /** The virtual time the run stands at, µs. */
  get nowUs(): number {
    return this.engine.now;
  }

  /** The story so far (the report's Timeline lines). */
  get storyLines(): readonly StoryLine[] {
    return this.story.lines;
  }

  /** True once `finish()` has run: the run can go no further. */
  get finished(): boolean {
    return this.report !== undefined;
  }

  /**
   * Runs the engine up to `timeUs` (at most the scenario's duration); every event at or before it
   * is processed. Does nothing once a bound was hit or the run finished, or for a time already
   * passed.
   */
  advanceTo(timeUs: number): void {
    if (this.boundMessage !== undefined || this.report !== undefined) return;
    const target = Math.min(this.endUs, Math.floor(timeUs));
    if (target < this.engine.now) return;
    const outcome = this.engine.runUntil(target);
    if (outcome.status === "bound") this.boundMessage = outcome.message;
  }

  /**
   * Processes the next event (at most up to the duration): the clock moves to its time. Events
   * at the same microsecond after it stay queued, so the state may differ from `advanceTo` to
   * that time, which runs them all.
   */
  stepEvent(): void {
    if (this.boundMessage !== undefined || this.report !== undefined) return;
    const before = this.engine.eventsProcessed;
    const outcome = this.engine.runUntilPredicate(
      () => this.engine.eventsProcessed > before,
      this.endUs,
    );
    if (outcome.status === "bound") this.boundMessage = outcome.message;
  }

  /** Ends the run where it stands: end-of-run expectations, the checkers, liveness; the report. */
  finish(): RunReport {
    if (this.report !== undefined) return this.report;
    const { engine, scenario, kafka, record, director, boundMessage } = this;
    if (boundMessage === undefined) for (const e of this.atEndExpectations) director.expect(e);
    director.finishTools();
    this.options.atEnd?.({ kafka, nowUs: engine.now });
    const checks: RunResults["checks"] = [];
    const checkExpectations = scenario.expect.filter(
      (e): e is CheckExpectation => e.kind === "check",
    );
    let processors: ProcessorSummary[] | undefined;
    if (kafka !== undefined && boundMessage === undefined) {
      const history = kafka.history(engine.now);
      if (history !== undefined && history.processors.length > 0) {
        processors = history.processors.map((p) => processorSummary(history, p));
      }
      const verdicts = new Map<CheckerName, { holds: boolean; detail: string }>();
      if (history !== undefined) {
        // Every checker runs on every run and is reported; only those in `expect` decide the outcome.
        for (const name of CHECKER_NAMES) {
          const v = CHECKERS[name](history);
          verdicts.set(name, v);
          checks.push({ name, holds: v.holds, detail: v.detail });
        }
      }
      for (const e of checkExpectations) {
        const verdict = checkExpectationVerdict(e, verdicts.get(e.check));
        record.expectations.push(verdict);
        engine.trace.emit("scenario.expect", DIRECTOR_ID, { what: verdict.what, ok: verdict.ok });
      }
    }
    const broken = engine.validate();
    // Read-only: the liveness report schedules nothing, so the traceHash is the run's.
    const liveness = livenessOf({
      scenario,
      network: this.network,
      hosts: this.hosts,
      kafka,
      unfinishedTransfers: this.story.transferSummaries().filter((t) => t.doneUs === null),
      nowUs: engine.now,
    });
    const results: RunResults = {
      name: scenario.name,
      seed: this.seed,
      virtualTimeUs: engine.now,
      events: engine.eventsProcessed,
      traceHash: engine.trace.hash(),
      checks: [
        ...checks,
        ...broken.map((b) => ({ name: b.name, holds: false, detail: b.message })),
      ],
      expectations: record.expectations,
      cli: record.cli,
      liveness,
      ...(processors === undefined ? {} : { processors }),
      ok:
        boundMessage === undefined &&
        broken.length === 0 &&
        record.expectations.every((e) => e.ok) &&
        (checkExpectations.length === 0 || kafka !== undefined),
    };
    this.report = {
      results,
      description: scenario.description,
      story: this.story.lines,
      storyLinesDropped: this.story.dropped,
      transfers: this.story.transferSummaries(),
      metrics:
        kafka === undefined
          ? []
          : runMetricsLines(
              nodeMetricsOf(kafka.cluster),
              clientMetricsOf(kafka.allProducers(), kafka.allConsumers()),
            ),
      boundMessage,
      traceEvents: engine.trace.count,
    };
    return this.report;
  }
}

function processorSummary(history: History, p: ProcessorRecord): ProcessorSummary {
  const e = processorEffects(history, p);
  const duplicates = e.duplicates.reduce((n, d) => n + d.count - 1, 0);
  const first = e.duplicates[0];
  const detail = !e.judged
    ? "the output topic is not in the final state"
    : `${e.inputs} committed inputs, ${duplicates} duplicate effects, ${e.missing.length} missing` +
      (first === undefined ? "" : `; e.g. ${first.source} → ${first.outputs.join(", ")}`) +
      (e.missing[0] === undefined ? "" : `; e.g. ${e.missing[0]} has no output`);
  return {
    id: p.id,
    guarantee: p.guarantee,
    inputs: e.inputs,
    duplicates,
    missing: e.missing.length,
    detail,
  };
}

/** Turns trace events into the report's story and the transfer table. */
class StoryCollector {
  readonly lines: StoryLine[] = [];
  dropped = 0;

  private push(line: StoryLine): void {
    if (this.lines.length < MAX_STORY_LINES || line.kind !== "event") this.lines.push(line);
    else this.dropped++;
  }

  /** Lines about internal topics at the current moment, by topic and change, to fold into. */
  private folds = new Map<string, { line: StoryLine; partitions: number[] }>();
  private foldsAtUs = -1; // in ms

  /**
   * Internal topics (__consumer_offsets has 50 partitions) change many partitions at once: the
   * same change at the same moment becomes one line listing the partitions.
   */
  private pushPartitionEvent(t: number, topic: string, partition: number, what: string): void {
    if (!topic.startsWith("__")) {
      this.push({ atUs: t, kind: "event", text: `${topic}-${partition}: ${what}` });
      return;
    }
    // One moment = one printed millisecond of the report.
    const ms = Math.floor(t / 1000);
    if (ms !== this.foldsAtUs) {
      this.folds = new Map();
      this.foldsAtUs = ms;
    }
    const key = `${topic}|${what}`;
    const fold = this.folds.get(key);
    if (fold !== undefined) {
      fold.partitions.push(partition);
      (fold.line as { text: string }).text =
        `${topic} (${fold.partitions.length} partitions: ${clip(fold.partitions.join(","), 60)}): ${what}`;
      return;
    }
    const line: StoryLine = { atUs: t, kind: "event", text: `${topic}-${partition}: ${what}` };
    this.push(line);
    this.folds.set(key, { line, partitions: [partition] });
  }

  private readonly transfers = new Map<
    string,
    { -readonly [K in keyof TransferSummary]: TransferSummary[K] }
  >();

  observe(e: TraceEvent): void {
    const t = e.t;
    switch (e.type) {
      case "scenario.say":
        this.lines.push({ atUs: t, kind: "say", text: String(e.text).trim() });
        return;
      case "scenario.ask":
        this.lines.push({
          atUs: t,
          kind: "ask",
          text: String(e.question).trim(),
          answer: String(e.answer).trim(),
        });
        return;
      case "host.crash":
        this.lines.push({
          atUs: t,
          kind: "fault",
          text: `${e.node}: ${e.mode === "power" ? "power lost" : "process crashed"}`,
        });
        return;
      case "host.restart":
        this.lines.push({ atUs: t, kind: "fault", text: `${e.node}: restarted` });
        return;
      case "net.partition":
      case "net.isolate":
      case "net.cut":
      case "net.hold":
      case "net.release":
      case "net.delay":
      case "net.throttle":
      case "net.heal":
      case "net.reset":
        // A reset after a heal (a connection that lost data) is a consequence, not a fault.
        if (e.why === "gap") return;
        this.lines.push({ atUs: t, kind: "fault", text: describeFault(e) });
        return;
      case "disk.slow":
      case "disk.failed":
      case "disk.full":
        this.lines.push({ atUs: t, kind: "fault", text: describeFault(e) });
        return;
      case "raft.leader":
        if (t > 0)
          this.push({
            atUs: t,
            kind: "event",
            text: `node ${e.leader} is the active controller (epoch ${e.epoch})`,
          });
        return;
      case "broker.fenced":
        this.push({
          atUs: t,
          kind: "event",
          text: `controller fenced broker ${e.broker} (${e.reason})`,
        });
        return;
      case "broker.unfenced":
        if (t > 0)
          this.push({ atUs: t, kind: "event", text: `controller unfenced broker ${e.broker}` });
        return;
      case "partition.leader":
        if (t > 0)
          this.pushPartitionEvent(
            t,
            String(e.topic),
            Number(e.partition),
            `broker ${e.leader} leads (leader epoch ${e.leaderEpoch})`,
          );
        return;
      case "partition.isr":
        if (t > 0)
          this.pushPartitionEvent(
            t,
            String(e.topic),
            Number(e.partition),
            `ISR [${(e.isr as number[]).join(",")}]`,
          );
        return;
      case "partition.committed-lost":
        this.push({
          atUs: t,
          kind: "event",
          text: `${e.topic}-${e.partition}: committed offsets ${e.from}..${Number(e.to) - 1} lost as broker ${e.leader} leads epoch ${e.leaderEpoch} (${e.why})`,
        });
        return;
      case "group.state":
        this.push({
          atUs: t,
          kind: "event",
          text: `group ${e.group}: ${e.state} (generation ${e.generation}${e.reason ? `, ${e.reason}` : ""})`,
        });
        return;
      case "consumer.revoked":
        if (String(e.partitions) !== "")
          this.push({
            atUs: t,
            kind: "event",
            text: `${e.node} ${e.lost ? "loses" : "revokes"} ${e.partitions}`,
          });
        return;
      case "consumer.assigned":
        this.push({
          atUs: t,
          kind: "event",
          text: `${e.node} owns ${e.assignment === "" ? "nothing" : e.assignment} (generation ${e.generation}, rebalance took ${e.rebalanceLatencyMs} ms)`,
        });
        return;
      case "log.retention":
        if (String(e.topic).startsWith("__")) return;
        this.push({
          atUs: t,
          kind: "event",
          text: `broker ${e.node} deleted ${plural(Number(e.segments), "segment")} of ${e.topic}-${e.partition} (${e.reason}); log start offset now ${e.logStartOffset}`,
        });
        return;
      case "log.cleaned":
        if (String(e.topic).startsWith("__")) return;
        this.push({
          atUs: t,
          kind: "event",
          text: `broker ${e.node} compacted ${e.topic}-${e.partition}: ${plural(Number(e.removedRecords), "record")} and ${plural(Number(e.removedTombstones), "tombstone")} removed`,
        });
        return;
      case "consumer.reset":
        this.push({
          atUs: t,
          kind: "event",
          text: `${e.node} resets its position on ${e.topic}-${e.partition} from ${e.from} to ${e.to} (${e.why})`,
        });
        return;
      case "replica.truncate":
        this.push({
          atUs: t,
          kind: "event",
          text: `broker ${e.node} truncated ${e.topic}-${e.partition} from ${e.from} to ${e.to} (${e.why})`,
        });
        return;
      case "scenario.cli":
        this.push({ atUs: t, kind: "event", text: `$ ${e.command}`, tool: true });
        return;
      case "scenario.expect":
        this.push({
          atUs: t,
          kind: "event",
          text: clip(`${e.ok ? "✓" : "✗"} expected ${e.what}`, 140),
        });
        return;
      case "transfer.start":
        this.transfers.set(String(e.id), {
          id: String(e.id),
          from: e.node,
          to: String(e.to),
          bytes: Number(e.bytes),
          mode: String(e.mode),
          read: String(e.read),
          startUs: t,
          doneUs: null,
          timeouts: 0,
          bytesPerSec: null,
          dmaCopies: null,
          cpuCopies: null,
          contextSwitches: null,
          cpuUs: null,
        });
        this.lines.push({
          atUs: t,
          kind: "event",
          text: `${e.node} starts sending ${formatBytes(Number(e.bytes))} to ${e.to} (${e.mode}, ${e.read} reads)`,
        });
        return;
      case "transfer.failed":
        this.push({
          atUs: t,
          kind: "event",
          text: `${e.node}: transfer ${e.id} failed reading its disk (${e.error})`,
        });
        return;
      case "transfer.timeout": {
        const tr = this.transfers.get(String(e.id));
        if (tr !== undefined) {
          if (tr.timeouts === 0) {
            this.lines.push({
              atUs: t,
              kind: "event",
              text: `${e.node}: no acknowledgement from ${tr.to}; retransmitting (RTO ${formatDurationUs(Number(e.rtoUs))})`,
            });
          }
          tr.timeouts++;
        }
        return;
      }
      case "transfer.done": {
        const tr = this.transfers.get(String(e.id));
        if (tr !== undefined) {
          tr.doneUs = t;
          tr.bytesPerSec = Number(e.bytesPerSec);
          tr.dmaCopies = Number(e.dmaCopies);
          tr.cpuCopies = Number(e.cpuCopies);
          tr.contextSwitches = Number(e.contextSwitches);
          tr.cpuUs = Number(e.cpuUs);
          this.lines.push({
            atUs: t,
            kind: "event",
            text: `${e.node} finished sending to ${tr.to}: ${formatBytes(tr.bytes)} in ${formatSeconds(Number(e.elapsedUs))} (${formatBytes(tr.bytesPerSec)}/s)`,
          });
        }
        return;
      }
    }
  }

  transferSummaries(): TransferSummary[] {
    return [...this.transfers.values()];
  }
}

function describeFault(e: TraceEvent): string {
  const node = (n: unknown): string => (/^\d+$/.test(String(n)) ? `broker ${n}` : String(n));
  switch (e.type) {
    case "net.partition":
      return `network partition: ${(e.groups as string[][]).map((g) => `[${g.join(", ")}]`).join(" | ")}`;
    case "net.isolate":
      return `${node(e.target)} isolated from every other node`;
    case "net.cut":
      return `one-way cut: nothing from ${node(e.from)} reaches ${node(e.to)}`;
    case "net.hold":
      return `messages from ${node(e.from)} to ${node(e.to)} held`;
    case "net.release":
      return `${node(e.from)} → ${node(e.to)} released (${e.waiting} messages waiting)`;
    case "net.delay":
      return Number(e.extraUs) === 0
        ? `${node(e.from)} ${e.oneWay ? "→" : "↔"} ${node(e.to)}: normal latency again`
        : `${node(e.from)} ${e.oneWay ? "→" : "↔"} ${node(e.to)}: ${Number(e.extraUs) / 1000} ms slower`;
    case "net.heal":
      return e.target === "all" ? "network healed" : `network faults of ${node(e.target)} healed`;
    case "disk.slow":
      return Number(e.factor) === 1
        ? `${node(e.node)}: disks at normal speed`
        : `${node(e.node)}: disks ${e.factor}× slower`;
  }
  const fields = Object.entries(e)
    .filter(([k]) => k !== "t" && k !== "type" && k !== "node")
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(" ");
  return `${e.type}${fields ? ` ${fields}` : ""}`;
}

/** Long explanations stay whole in --json and in Expectations; the story and Checks clip them. */
function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

export function formatSeconds(us: number): string {
  return `${(us / 1_000_000).toFixed(3)} s`;
}

/** The human-readable report `kafkasim run` prints. */
export function formatReport(report: RunReport): string {
  const r = report.results;
  const out: string[] = [];
  out.push(`${r.name}  (seed ${r.seed})`);
  if (report.description.trim() !== "")
    out.push("", ...wrap(report.description.trim(), 96).map((l) => `  ${l}`));
  if (report.story.length > 0) {
    out.push("", "Timeline");
    let tool = 0;
    for (const line of report.story) {
      if (line.tool === true) {
        const run = r.cli[tool++];
        out.push(`${formatSeconds(line.atUs).padStart(11)}    ${line.text}`);
        const text = `${run?.output ?? ""}${run?.error ?? ""}`.replace(/\n$/, "");
        for (const l of text.split("\n")) out.push(`${" ".repeat(15)}${l.replace(/\t/g, "  ")}`);
        continue;
      }
      const at = formatSeconds(line.atUs).padStart(11);
      if (line.kind === "ask") {
        out.push(`${at}  ? ${line.text}`, `${" ".repeat(11)}    answer: ${line.answer ?? ""}`);
      } else {
        const mark = line.kind === "say" ? "»" : line.kind === "fault" ? "!" : " ";
        out.push(`${at}  ${mark} ${line.text}`);
      }
    }
  }
  if (report.storyLinesDropped > 0)
    out.push(`             … and ${report.storyLinesDropped} more events (see --trace)`);
  if (r.expectations.length > 0) {
    out.push("", "Expectations");
    for (const e of r.expectations) out.push(`  ${e.ok ? "ok  " : "FAIL"} ${e.what}`);
  }
  if (report.transfers.length > 0) {
    out.push("", "Transfers");
    for (const t of report.transfers) {
      const status =
        t.doneUs === null
          ? `not finished by the end of the run (${t.timeouts} retransmission timeouts)`
          : `${formatBytes(t.bytesPerSec ?? 0)}/s, ${t.timeouts} timeouts; copies: ${t.dmaCopies} by DMA, ${t.cpuCopies} by CPU; ${t.contextSwitches} context switches; CPU ${formatSeconds(t.cpuUs ?? 0)}`;
      out.push(`  ${t.from} → ${t.to}  ${formatBytes(t.bytes)} ${t.mode}/${t.read}: ${status}`);
    }
  }
  if (report.metrics.length > 0) {
    out.push("", "Metrics at the end (Kafka's names; kafkasim metrics prints them all)");
    out.push(...report.metrics);
  }
  if (r.checks.length > 0) {
    if (r.processors !== undefined) {
      out.push("", "Stream processors (each input's effects in the committed output)");
      for (const p of r.processors) out.push(`  ${p.id} (${p.guarantee}): ${p.detail}`);
    }
    out.push("", "Checks");
    for (const c of r.checks)
      out.push(`  ${c.holds ? "ok  " : "FAIL"} ${c.name}: ${clip(c.detail, 240)}`);
  }
  out.push("", ...formatLiveness(r.liveness, r.virtualTimeUs));
  out.push(
    "",
    `${r.ok ? "ok" : "FAILED"} · virtual time ${formatSeconds(r.virtualTimeUs)} · ${r.events} events · ${report.traceEvents} trace events · traceHash ${r.traceHash}`,
    "",
  );
  return out.join("\n");
}

/** The report's Liveness section: converged, or what is pending and why. */
export function formatLiveness(l: LivenessResult, endUs: number): string[] {
  const phase =
    l.sinceUs === 0
      ? "no faults: the whole run"
      : `from the last fault at ${formatSeconds(l.sinceUs)}: ${formatSeconds(endUs - l.sinceUs)} to converge`;
  if (l.converged) return [`Liveness (${phase})`, "  converged: nothing pending"];
  const out = [`Liveness (${phase})`, `  not converged: ${l.pending.length} pending`];
  for (const p of l.pending) out.push(`  - ${clip(p, 240)}`);
  return out;
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split(/\n\s*\n/)) {
    let line = "";
    for (const word of paragraph.split(/\s+/)) {
      if (line.length > 0 && line.length + 1 + word.length > width) {
        lines.push(line);
        line = word;
      } else line = line.length > 0 ? `${line} ${word}` : word;
    }
    if (line) lines.push(line);
  }
  return lines;
}
