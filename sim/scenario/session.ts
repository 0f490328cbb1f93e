/**
 * A scenario session: a run that the viz (or a test) opens, advances to a virtual time, reads as
 * plain data, seeks backwards and forks. It stands on the runner's ScenarioRun, so a session
 * advanced to the end has the same trace, and the same traceHash, as `runScenario` for the same
 * scenario and seed.
 *
 * Seeking replays from the nearest checkpoint at or before the target (checkpoint-pool.ts): paused
 * runs of the same scenario, built by `buildCheckpoints` in slices of background work. The run is
 * deterministic, so a seek gives exactly the state a straight run gives, and the run a seek leaves
 * becomes a checkpoint itself. Without a checkpoint, a seek backwards replays from 0. The runs
 * share one list of trace events (shared-trace.ts), so a checkpoint costs its world, not its trace.
 *
 * A fork is an action taken at the current moment: it is appended to the scenario text's timeline
 * (so the text, exported, replays it with `kafkasim run`), and the session re-opens the new text
 * and replays to the same moment. The action at time T runs when the replay reaches T.
 *
 * `state()` reads the world through the cluster's snapshot APIs only (brokerSnapshots,
 * activeImage, controllerSnapshots, the groups' coordinators) and schedules nothing: reading does
 * not change the run or its traceHash.
 */
import { isMap, isSeq, parseDocument } from "yaml";
import type { TraceEvent } from "../engine/trace.ts";
import type { HostState } from "../infra/host.ts";
import type { BrokerState } from "../kafka/broker/broker.ts";
import type { MetadataImage } from "../kafka/metadata/image.ts";
import {
  type CheckpointInfo,
  type CheckpointOptions,
  CheckpointPool,
  type RunHandle,
} from "./checkpoint-pool.ts";
import type { KafkaWorld } from "./kafka-world.ts";
import { FAULT_ACTIONS } from "./liveness.ts";
import { parseScenarioText, type Scenario } from "./load.ts";
import { type RunReport, ScenarioRun, type StoryLine } from "./runner.ts";
import { SharedTraceLog, type TraceCursor } from "./shared-trace.ts";

export type { CheckpointInfo, CheckpointOptions } from "./checkpoint-pool.ts";
export type { StoryLine } from "./runner.ts";

/** A broker or a dedicated controller, as drawn. */
export interface SessionNode {
  /** The node's name ("1", "4"). */
  readonly name: string;
  readonly id: number;
  readonly kind: "broker" | "controller";
  /** The machine: up, process-crashed or powered-off. */
  readonly host: HostState;
  /** The broker process's own state; null for a dedicated controller. */
  readonly brokerState: BrokerState | null;
  /** Fenced in the metadata truth; null when there is no active controller or no registration. */
  readonly fenced: boolean | null;
  /** A voter of the KRaft quorum (or, in ZooKeeper mode, false). */
  readonly voter: boolean;
  readonly activeController: boolean;
}

/** One replica of a partition as its broker sees itself. */
export interface SessionReplica {
  readonly broker: number;
  /** The broker's role for the partition, or "down" when the broker is not running. */
  readonly role: string;
  readonly leaderEpoch: number;
  readonly logStartOffset: number;
  readonly hw: number;
  readonly leo: number;
  readonly flushedOffset: number;
  /** The last stable offset (LSO): the HW, or the first offset of the earliest open transaction. */
  readonly lastStable: number;
  /** Aborted transactions in the log: first offset to the ABORT marker (read_committed skips them). */
  readonly aborted: ReadonlyArray<{ readonly first: number; readonly last: number }>;
  /** The base offsets of the replica's log segments, oldest first. */
  readonly segmentBases: readonly number[];
}

/** A partition: the metadata truth (or the brokers' claims without one) and its replicas. */
export interface SessionPartition {
  readonly topic: string;
  readonly partition: number;
  /** Where leader, ISR and ELR come from: the active controller's image, or the brokers' own claims. */
  readonly source: "metadata" | "brokers";
  /** Null: no leader. */
  readonly leader: number | null;
  readonly leaderEpoch: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  readonly elr: readonly number[];
  /** By broker id; a replica not hosted (yet) is missing. */
  readonly replicaLogs: readonly SessionReplica[];
}

export interface SessionGroup {
  readonly groupId: string;
  readonly state: string;
  readonly coordinator: number;
  readonly members: ReadonlyArray<{ readonly clientId: string; readonly partitions: string[] }>;
}

/** Everything the cluster view draws, as plain data. */
export interface SessionState {
  readonly timeUs: number;
  readonly durationUs: number;
  readonly finished: boolean;
  readonly nodes: readonly SessionNode[];
  readonly partitions: readonly SessionPartition[];
  readonly groups: readonly SessionGroup[];
  /** The story up to now. */
  readonly story: readonly StoryLine[];
  readonly traceEvents: number;
  readonly traceHash: string;
}

/** A moment of the timeline worth a mark on the scrubber. */
export interface TimelineMarker {
  readonly atUs: number;
  readonly kind: "say" | "ask" | "pause" | "fault";
  readonly text: string;
  readonly answer?: string;
}

/** An action a user can take in the viz; each is a timeline action of the scenario format. */
export type ForkAction =
  | { readonly kind: "crash"; readonly node: string; readonly mode: "process" | "power" }
  | { readonly kind: "restart"; readonly node: string }
  /** A Kafka tool line (the terminal); `input` feeds a console producer or stands for a JSON file. */
  | { readonly kind: "cli"; readonly command: string; readonly input?: readonly string[] }
  /** One way: nothing from `from` reaches `to` (the network view's drag). */
  | { readonly kind: "cut"; readonly from: string; readonly to: string }
  /** Removes every network fault touching `node`, or every network fault when no node is given. */
  | { readonly kind: "heal"; readonly node?: string };

/** A Kafka tool the run has started (a timeline `cli` action), with its output so far. */
export interface CliRun {
  readonly atUs: number;
  readonly command: string;
  readonly output: string;
  readonly error: string;
  /** Null while the tool still waits for the cluster; at the end of the run, every tool is done. */
  readonly exitCode: number | null;
}

export interface SessionOptions {
  /** Overrides the scenario's seed. */
  readonly seed?: number;
  /** The file name for located errors. */
  readonly file?: string;
  /** Checkpoints for fast seeks (checkpoint-pool.ts); false: none, every seek back replays from 0. */
  readonly checkpoints?: CheckpointOptions | false;
}

/** The state of a session's checkpoints (tests, the benchmark). */
export interface CheckpointStatus {
  readonly enabled: boolean;
  /** Engine events between two checkpoints. */
  readonly gapEvents: number;
  readonly checkpoints: readonly CheckpointInfo[];
  /** Whether `buildCheckpoints` has work left. */
  readonly pending: boolean;
  /** Engine events the last seek replayed (0 before any seek). */
  readonly lastSeekEvents: number;
  /** Why building stopped, when a run threw while being built. */
  readonly buildError?: string;
}

export class Session {
  readonly scenario: Scenario;
  readonly seed: number;
  /** Every trace event any run of this session has emitted (each run's trace is a prefix). */
  private readonly traceLog = new SharedTraceLog();
  /** The run on screen. */
  private live: RunHandle;
  private readonly pool: CheckpointPool | undefined;

  /** Parses and opens; throws ScenarioError for a scenario it cannot run. */
  constructor(
    readonly text: string,
    private readonly options: SessionOptions = {},
  ) {
    this.scenario = parseScenarioText(text, options.file ?? "scenario.yaml");
    this.live = this.openRun(true);
    this.seed = this.run.seed;
    this.pool =
      options.checkpoints === false
        ? undefined
        : new CheckpointPool(() => this.openRun(false), options.checkpoints ?? {});
    this.run.advanceTo(0);
  }

  private get run(): ScenarioRun {
    return this.live.run;
  }

  /**
   * Every trace event of the run so far, in order (the event log and the charts read it). A seek
   * backwards gives a new, shorter list: it always ends at `timeUs`. Runs share event objects, so
   * the same event is the same object before and after a seek.
   */
  get events(): readonly TraceEvent[] {
    const events = this.live.events;
    if (events === null) throw new Error("the session's run on screen has no event list");
    return events;
  }

  /** The Kafka side of the run (tools at the current moment), undefined for bare hosts. */
  get kafka(): KafkaWorld | undefined {
    return this.run.kafka;
  }

  /** A new run of the scenario from 0; `onScreen`: it keeps its own event list. */
  private openRun(onScreen: boolean): RunHandle {
    const log = this.traceLog;
    // The run emits while it is being built, so its cursor exists first; the handle is the cursor.
    const cursor: TraceCursor = { traced: 0, events: onScreen ? [] : null };
    const run = new ScenarioRun(this.scenario, {
      ...(this.options.seed === undefined ? {} : { seed: this.options.seed }),
      onTrace: (e) => log.record(cursor, e),
    });
    return Object.assign(cursor, { run });
  }

  /** Puts a paused run on screen; the one it replaces goes to the pool (if it can go on). */
  private adopt(next: RunHandle): void {
    const previous = this.live;
    next.events = this.traceLog.prefix(next.traced);
    this.live = next;
    previous.events = null;
    this.pool?.offer(previous);
  }

  /**
   * Builds checkpoints for fast seeks: up to about `maxEvents` simulation events of background
   * work (the page calls it in idle time); returns whether work remains. Reads no clock: how much
   * to do per call is the caller's choice.
   */
  buildCheckpoints(maxEvents: number): boolean {
    return this.pool?.build(maxEvents) ?? false;
  }

  private lastSeekEvents = 0;

  /** The checkpoints as they stand. */
  checkpoints(): CheckpointStatus {
    const pool = this.pool;
    const lastSeekEvents = this.lastSeekEvents;
    if (pool === undefined)
      return { enabled: false, gapEvents: 0, checkpoints: [], pending: false, lastSeekEvents };
    return {
      enabled: true,
      gapEvents: pool.gapEvents,
      checkpoints: pool.info(),
      pending: pool.pending(),
      lastSeekEvents,
      ...(pool.buildError === undefined ? {} : { buildError: String(pool.buildError) }),
    };
  }

  /**
   * The Kafka tools the run has started so far (timeline `cli` actions), in start order, with what
   * they printed; a tool that waits for the cluster has a null exit code until it answers. Rebuilt
   * with the run on a seek backwards, like `events`.
   */
  cliRuns(): CliRun[] {
    const finished = this.run.finished;
    return this.run.cliEntries().map((e) => ({
      atUs: e.atUs,
      command: e.command,
      output: e.output,
      error: e.error,
      // At the end, a tool that never answered ends as the runner reports it (an error).
      exitCode: e.exitCode ?? (finished ? (e.error === "" ? 0 : 1) : null),
    }));
  }

  get timeUs(): number {
    return this.run.nowUs;
  }

  get durationUs(): number {
    return this.run.endUs;
  }

  get finished(): boolean {
    return this.run.finished;
  }

  /** Set when the run stopped at a bound (max events or max time). */
  get boundMessage(): string | undefined {
    return this.run.boundMessage;
  }

  /** Runs forward to `timeUs` (clamped to the duration); at the duration, the run finishes. */
  advanceTo(timeUs: number): void {
    const target = Math.max(0, Math.min(this.durationUs, Math.floor(timeUs)));
    this.run.advanceTo(target);
    this.settle();
  }

  /** Processes one event (see ScenarioRun.stepEvent); at the duration, the run finishes. */
  stepEvent(): void {
    this.run.stepEvent();
    this.settle();
  }

  /** After advancing: the pool learns how far the run goes; at the end, the run finishes. */
  private settle(): void {
    const run = this.run;
    this.pool?.note(run);
    if (run.nowUs >= this.durationUs || run.boundMessage !== undefined) run.finish();
  }

  /**
   * Goes to `timeUs`, backwards too: from the paused run (a checkpoint, or the run on screen)
   * nearest before the target, else from a new run at 0; then advances to the target.
   */
  seek(timeUs: number): void {
    const target = Math.max(0, Math.min(this.durationUs, Math.floor(timeUs)));
    const run = this.run;
    // At the end already: a finished run stays as it is.
    if (run.finished && target >= this.durationUs) {
      this.lastSeekEvents = 0;
      return;
    }
    const canContinue = !run.finished && run.nowUs <= target;
    const liveEvents = canContinue ? run.engine.eventsProcessed : -1;
    const checkpoint = this.pool?.take(target, liveEvents);
    if (checkpoint !== undefined) this.adopt(checkpoint);
    else if (!canContinue) this.adopt(this.openRun(false));
    const from = this.run.engine.eventsProcessed;
    this.advanceTo(target);
    this.lastSeekEvents = this.run.engine.eventsProcessed - from;
  }

  /** The report of a finished run (what `kafkasim run` prints), undefined before the end. */
  report(): RunReport | undefined {
    return this.run.finished ? this.run.finish() : undefined;
  }

  /**
   * Acts now: returns a new session whose text has the action appended to its timeline at the
   * current time, replayed to this moment.
   */
  fork(action: ForkAction): Session {
    const atUs = this.timeUs;
    const next = new Session(appendTimelineAction(this.text, atUs, action), this.options);
    next.advanceTo(atUs);
    return next;
  }

  /** Marks for the scrubber: narrative steps and faults of the timeline, in time order. */
  markers(): TimelineMarker[] {
    const out: TimelineMarker[] = [];
    for (const entry of this.scenario.timeline) {
      const a = entry.action;
      if (a.kind === "say") out.push({ atUs: entry.atUs, kind: "say", text: a.text.trim() });
      else if (a.kind === "ask")
        out.push({
          atUs: entry.atUs,
          kind: "ask",
          text: a.question.trim(),
          answer: a.answer.trim(),
        });
      else if (a.kind === "pause") out.push({ atUs: entry.atUs, kind: "pause", text: "pause" });
      else if (FAULT_ACTIONS.has(a.kind))
        out.push({ atUs: entry.atUs, kind: "fault", text: describeAction(a) });
    }
    return out;
  }

  /** The world now, as plain data. */
  state(): SessionState {
    const run = this.run;
    const kafka = run.kafka;
    const trace = run.engine.trace;
    const base = {
      timeUs: run.nowUs,
      durationUs: this.durationUs,
      finished: run.finished,
      story: [...run.storyLines],
      traceEvents: trace.count,
      traceHash: trace.hash(),
    };
    if (kafka === undefined) return { ...base, nodes: [], partitions: [], groups: [] };
    const cluster = kafka.cluster;
    const image = cluster.activeImage();
    const brokers = cluster.brokerSnapshots();
    const activeController = activeControllerId(this.scenario, kafka.cluster);
    const nodes: SessionNode[] = [];
    for (const b of brokers) {
      nodes.push({
        name: String(b.id),
        id: b.id,
        kind: "broker",
        host: cluster.host(String(b.id)).state,
        brokerState: b.state,
        fenced: fencedIn(image, b.id),
        voter: isKraft(this.scenario) && cluster.voters.includes(b.id),
        activeController: activeController === b.id,
      });
    }
    for (const c of cluster.controllerSnapshots()) {
      if (cluster.brokers.has(c.nodeId)) continue;
      nodes.push({
        name: String(c.nodeId),
        id: c.nodeId,
        kind: "controller",
        host: cluster.host(String(c.nodeId)).state,
        brokerState: null,
        fenced: null,
        voter: true,
        activeController: activeController === c.nodeId,
      });
    }
    return {
      ...base,
      nodes,
      partitions: partitionsOf(image, brokers),
      groups: kafka.groupViews().map((g) => ({
        groupId: g.groupId,
        state: g.state,
        coordinator: g.coordinator.id,
        members: g.members.map((m) => ({
          clientId: m.clientId,
          partitions: m.assignment.map((a) => `${a.topic}-${a.partition}`),
        })),
      })),
    };
  }
}

type Cluster = NonNullable<ScenarioRun["kafka"]>["cluster"];
type BrokerSnapshots = ReturnType<Cluster["brokerSnapshots"]>;

function isKraft(scenario: Scenario): boolean {
  return scenario.cluster?.mode !== "zookeeper";
}

/** The active controller's node id: the KRaft leader whose epoch is committed, or ZooKeeper's controller broker. */
function activeControllerId(scenario: Scenario, cluster: Cluster): number | null {
  let best: { id: number; epoch: number } | null = null;
  if (!isKraft(scenario)) {
    for (const [id, broker] of [...cluster.brokers].sort(([a], [b]) => a - b)) {
      const s = broker.zkControllerSnapshot();
      if (s === undefined || !s.active || !cluster.host(String(id)).isUp) continue;
      if (best === null || s.controllerEpoch > best.epoch) best = { id, epoch: s.controllerEpoch };
    }
    return best?.id ?? null;
  }
  for (const s of cluster.controllerSnapshots()) {
    if (s.active && (best === null || s.epoch > best.epoch))
      best = { id: s.nodeId, epoch: s.epoch };
  }
  return best?.id ?? null;
}

function fencedIn(image: MetadataImage | undefined, brokerId: number): boolean | null {
  const registration = image?.brokers.get(brokerId);
  return registration === undefined ? null : registration.fenced;
}

/** User topics' partitions, by (topic, partition); internal topics (`__...`) are left out. */
function partitionsOf(
  image: MetadataImage | undefined,
  brokers: BrokerSnapshots,
): SessionPartition[] {
  const logs = new Map<string, SessionReplica[]>();
  const claims = new Map<string, { leader: number; epoch: number; isr: readonly number[] }>();
  const replicasSeen = new Map<string, readonly number[]>();
  for (const b of brokers) {
    const down = b.state === "not-running";
    for (const p of b.partitions) {
      if (p.topic.startsWith("__")) continue;
      const key = `${p.topic}\u0000${p.partition}`;
      const list = logs.get(key) ?? [];
      list.push({
        broker: b.id,
        role: down ? "down" : p.role,
        leaderEpoch: p.leaderEpoch,
        logStartOffset: p.logStartOffset,
        hw: p.hw,
        leo: p.leo,
        flushedOffset: p.flushedOffset,
        lastStable: p.lastStable,
        aborted: p.aborted,
        segmentBases: p.segments.map((s) => s.baseOffset),
      });
      logs.set(key, list);
      if (!replicasSeen.has(key)) replicasSeen.set(key, p.replicas);
      const claim = claims.get(key);
      if (!down && p.role === "leader" && (claim === undefined || p.leaderEpoch > claim.epoch))
        claims.set(key, { leader: b.id, epoch: p.leaderEpoch, isr: p.isr });
    }
  }
  const out: SessionPartition[] = [];
  const seen = new Set<string>();
  if (image !== undefined) {
    for (const topic of image.sortedTopicNames()) {
      if (topic.startsWith("__")) continue;
      const t = image.topicByName(topic);
      if (t === undefined) continue;
      t.partitions.forEach((p, id) => {
        const key = `${topic}\u0000${id}`;
        seen.add(key);
        out.push({
          topic,
          partition: id,
          source: "metadata",
          leader: p.leader < 0 ? null : p.leader,
          leaderEpoch: p.leaderEpoch,
          replicas: [...p.replicas],
          isr: [...p.isr],
          elr: [...p.elr],
          replicaLogs: logs.get(key) ?? [],
        });
      });
    }
  }
  // Without an active controller (or for what it has not seen): the brokers' own claims.
  const rest = [...logs.keys()].filter((k) => !seen.has(k)).sort();
  for (const key of rest) {
    const [topic, partition] = key.split("\u0000") as [string, string];
    const claim = claims.get(key);
    out.push({
      topic,
      partition: Number(partition),
      source: "brokers",
      leader: claim?.leader ?? null,
      leaderEpoch: claim?.epoch ?? -1,
      replicas: [...(replicasSeen.get(key) ?? [])],
      isr: [...(claim?.isr ?? [])],
      elr: [],
      replicaLogs: logs.get(key) ?? [],
    });
  }
  out.sort((a, b) =>
    a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1,
  );
  return out;
}

function describeAction(a: Scenario["timeline"][number]["action"]): string {
  const rest = Object.entries(a)
    .filter(([k]) => k !== "kind")
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(" ");
  return rest === "" ? a.kind : `${a.kind} ${rest}`;
}

/** A time as the scenario format writes it: whole milliseconds when it can, else microseconds. */
export function formatAt(atUs: number): string {
  return atUs % 1000 === 0 ? `${atUs / 1000}ms` : `${atUs}us`;
}

/** A node name as YAML: brokers and controllers as numbers, other nodes as quoted strings. */
function nodeYaml(node: string): string {
  return /^\d+$/.test(node) ? node : JSON.stringify(node);
}

/** The action's key and value, as one line of YAML. */
function actionYaml(action: ForkAction): string {
  if (action.kind === "cli") {
    // JSON strings and arrays are YAML flow scalars and sequences: one line, quoted as needed.
    const command = JSON.stringify(action.command);
    const input = action.input ?? [];
    return input.length === 0
      ? `cli: ${command}`
      : `cli: { command: ${command}, input: ${JSON.stringify(input)} }`;
  }
  if (action.kind === "restart") return `restart: ${nodeYaml(action.node)}`;
  if (action.kind === "cut")
    return `cut: { from: ${nodeYaml(action.from)}, to: ${nodeYaml(action.to)} }`;
  if (action.kind === "heal")
    return `heal: ${action.node === undefined ? "all" : nodeYaml(action.node)}`;
  return action.mode === "process"
    ? `crash: ${nodeYaml(action.node)}`
    : `crash: { node: ${nodeYaml(action.node)}, mode: ${action.mode} }`;
}

/**
 * The scenario text with `action` appended to its timeline at `atUs` (a `timeline` is added when
 * there is none). The text is edited, not re-printed: comments and layout stay as written.
 */
export function appendTimelineAction(text: string, atUs: number, action: ForkAction): string {
  const doc = parseDocument(text);
  if (!isMap(doc.contents)) throw new Error("the scenario is not a YAML mapping");
  const entry = [`at: ${formatAt(atUs)}`, actionYaml(action)];
  const timeline = doc.get("timeline", true);
  if (timeline === undefined || timeline === null) {
    const sep = text === "" || text.endsWith("\n") ? "" : "\n";
    return `${text}${sep}timeline:\n  - ${entry[0]}\n    ${entry[1]}\n`;
  }
  if (isSeq(timeline) && !timeline.flow && timeline.items.length > 0) {
    const first = timeline.items[0] as { range?: [number, number, number] };
    const last = timeline.items.at(-1) as { range?: [number, number, number] };
    if (first.range !== undefined && last.range !== undefined) {
      const lineStart = text.lastIndexOf("\n", first.range[0] - 1) + 1;
      const pad = " ".repeat(text.indexOf("-", lineStart) - lineStart);
      const end = Math.max(0, last.range[1] - 1);
      const newline = text.indexOf("\n", end);
      const at = newline < 0 ? text.length : newline;
      const block = `\n${pad}- ${entry[0]}\n${pad}  ${entry[1]}`;
      const out = text.slice(0, at) + block + text.slice(at);
      const check = parseDocument(out).get("timeline", true);
      if (isSeq(check) && check.items.length === timeline.items.length + 1) return out;
    }
  }
  // A flow or empty timeline: re-printed by the YAML library.
  const item = doc.createNode(parseDocument(entry.join("\n")).toJS());
  if (isSeq(timeline)) timeline.add(item);
  else doc.set("timeline", doc.createNode([item]));
  return doc.toString();
}
