/**
 * The scenario loader: a YAML or JSON file in, a normalized `Scenario` out, or a `ScenarioError`
 * whose every issue names the file, line, column and field path. Never a stack trace, never a
 * silent default: defaults are only those the format documents (seed 1, version "4.1", 3 brokers,
 * duration = last timeline entry + 10s, ...), and everything the format leaves to the runner is
 * `null` here.
 *
 * Steps: bound the input (size, nesting) so that no text can blow the stack or hang; parse with
 * the `yaml` package (JSON is YAML) keeping every node's position; build plain data while recording
 * where each value came from; check it against the TypeBox schema with ajv; normalize (units to
 * µs, bytes and bits/s; node names to strings, `1` and "1" alike) and check what a schema cannot:
 * node references, uniqueness, version profiles, one cluster mode per version, and every Kafka
 * `config` map against Kafka's definitions for the chosen version (names, types, ranges, allowed
 * values; sim/kafka/config.ts), with the checks across fields that Kafka makes and the file shows
 * (replication factor against the brokers, manual assignments, the idempotent producer's rules,
 * broker configs that cannot change at runtime). Problems that Kafka accepts but that change what
 * a run means (a config the chosen version does not have, min.insync.replicas above the
 * replication factor) are warnings: located like errors, returned in `Scenario.warnings`.
 *
 * A `cluster.preset` (presets.ts) is expanded here: its keys under the file's, then checked as one.
 *
 * Simplified: topic names are not checked against the topics defined (Kafka may auto-create
 * them); checks across fields use the file alone (a topic's replication factor is compared with
 * every broker, whatever is down at the time; `alter-config` values are checked one by one, not
 * against the topic they change).
 */
import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";
import {
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  Scalar,
  type Node as YamlNode,
} from "yaml";
import {
  resolveStreamsSettings,
  type StreamsSettings,
  splitStreamsConfig,
} from "../client/streams/streams-config.ts";
import { nearest } from "../engine/suggest.ts";
import {
  configNumber,
  type ResolvedConfig,
  resolveBrokerConfig,
  resolveClientConfig,
  resolveTopicConfig,
  validateConfig,
} from "../kafka/config.ts";
import { type ConfigKind, configDef } from "../kafka/config-defs.ts";
import { DEFAULT_VERSION, parseVersion, versionProfile } from "../kafka/version.ts";
import {
  displayPath,
  type PathSegments,
  type PendingIssue,
  ROOT_PATH,
  ScenarioError,
  type ScenarioIssue,
  translateAjvErrors,
} from "./errors.ts";
import { clusterPreset } from "./presets.ts";
import {
  ACTION_KEYS,
  type Arrival,
  type CheckerName,
  type ClusterMode,
  type CrashMode,
  type DiskProfile,
  type ElectionType,
  type GroupState,
  MAX_BROKER_ID,
  type NetworkProfile,
  type RawActions,
  type RawCluster,
  type RawDiskSpec,
  type RawExpectEntry,
  type RawGroupExpect,
  type RawNetworkSpec,
  type RawPartitionExpect,
  type RawScenario,
  type RawTimelineEntry,
  type RawTopic,
  type RawWorkload,
  type ReadPattern,
  ScenarioSchema,
  TIMELINE_ACTIONS,
  TimelineEntrySchema,
  type TransferMode,
  VERSION_PROFILES,
  type VersionProfile,
} from "./schema.ts";
import {
  formatDurationUs,
  parseBandwidthBitsPerSec,
  parseByteRate,
  parseDurationUs,
  parseRate,
  parseSizeBytes,
  quoteValue,
  type Rate,
  type UnitResult,
} from "./units.ts";

// =============================================================================================
// The normalized scenario

/** Where something was written: for runtime errors that point back into the file. */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
  path: string;
}

export type ConfigValue = string | number | boolean;
export type ConfigMap = Record<string, ConfigValue>;

export type NodeRole = "broker" | "controller" | "zookeeper" | "host" | "client";

/** A node of the network model; `name` is its string form in the trace ("1", "producer-1"). */
export interface NodeInfo {
  name: string;
  role: NodeRole;
}

/** A disk: a profile, and the parameters overridden (null: the profile's value). */
export interface DiskSpec {
  profile: DiskProfile;
  readBandwidthBytesPerSec: number | null;
  writeBandwidthBytesPerSec: number | null;
  seekUs: number | null;
  rotationalLatencyUs: number | null;
  accessLatencyUs: number | null;
  readIops: number | null;
  writeIops: number | null;
  fsyncUs: number | null;
}

/** A NIC: a profile, and its bandwidth if overridden (null: the profile's value). */
export interface NetworkSpec {
  profile: NetworkProfile;
  bandwidthBitsPerSec: number | null;
}

/** A bare host. Null fields: the runner's defaults. */
export interface HostSpec {
  name: string;
  disk: DiskSpec | null;
  network: NetworkSpec | null;
  memoryBytes: number | null;
  cores: number | null;
}

/** The hardware of each broker. Null fields: the runner's defaults. */
export interface HardwareSpec {
  disk: DiskSpec | null;
  /** Log directories, one disk each (default 1). */
  disks: number;
  network: NetworkSpec | null;
  memoryBytes: number | null;
  cores: number | null;
}

export interface BrokerSpec {
  id: number;
  /** The node name: String(id). */
  node: string;
  rack: string | null;
}

/**
 * Who keeps the metadata. KRaft combined: the first three brokers by id (or all when fewer) are
 * the voters. KRaft dedicated: controller ids follow the largest broker id. ZooKeeper: the
 * ensemble `zookeeper-1`..`zookeeper-N`.
 */
export type ControllerSpec =
  | { kind: "combined"; voterIds: number[] }
  | { kind: "dedicated"; ids: number[] }
  | { kind: "zookeeper"; nodes: string[] };

export interface ClusterSpec {
  /** The preset named in the file (presets.ts), already expanded into the fields below. */
  preset: string | null;
  version: VersionProfile;
  mode: ClusterMode;
  /** Sorted by id. */
  brokers: BrokerSpec[];
  controllers: ControllerSpec;
  hardware: HardwareSpec;
  /** One-way latency and its jitter between any two nodes (null: the runner's defaults). */
  network: { latencyUs: number | null; jitterUs: number | null };
  config: ConfigMap;
}

export interface TopicSpec {
  name: string;
  /** Null: num.partitions of the cluster. */
  partitions: number | null;
  /** Null: default.replication.factor of the cluster. */
  replicationFactor: number | null;
  config: ConfigMap;
  /** Replica broker ids per partition, or null for Kafka's placement. */
  assignment: number[][] | null;
}

export type KeySpec =
  | { kind: "none" }
  | { kind: "sequence" }
  | { kind: "uniform"; n: number }
  | { kind: "zipf"; n: number; s: number }
  | { kind: "list"; keys: string[] };

export interface WorkloadSpec {
  topic: string;
  rate: Rate;
  arrival: Arrival;
  /** Default none (null keys). */
  keys: KeySpec;
  /** Null: the runner's default value size. */
  valueSizeBytes: number | null;
  /** Default 0, the start of the run. */
  fromUs: number;
  /** At most one of untilUs and count is set; neither means until the end of the run. */
  untilUs: number | null;
  count: number | null;
  /** Transactions of `records` records each (a producer with a transactional.id); absent: none. */
  transaction?: TransactionSpec;
}

export interface TransactionSpec {
  records: number;
  /** How each transaction ends; open: the first one never does (S17's hanging transaction). */
  end: "commit" | "abort" | "open";
}

export interface ProducerSpec {
  type: "producer";
  id: string;
  config: ConfigMap;
  workload: WorkloadSpec | null;
  /** Keep readable values (`producer-1:0`, ...): the client's own `payloads`, else the top level's. */
  payloads: boolean;
}

export interface ConsumerSpec {
  type: "consumer";
  id: string;
  /** Null: a consumer that uses assign(). */
  group: string | null;
  subscribe: string[];
  config: ConfigMap;
  /** Simulated work per record (default 0). */
  processingTimeUs: number;
  /** sync: the poll loop processes each batch; async: a worker does, the loop polls on. */
  processing: "sync" | "async";
  /** A manual commit after each processed batch. */
  commit: "none" | "sync" | "async";
  payloads: boolean;
}

/** A consume-transform-produce application (docs/transactions.md, "Stream processors"). */
export interface StreamProcessorSpec {
  type: "stream-processor";
  id: string;
  input: string[];
  output: string;
  /** The config as written (Streams keys, consumer.* and producer.*). */
  config: ConfigMap;
  /** Kafka Streams' settings with the consumer's and producer's configs resolved. */
  settings: StreamsSettings;
  processingTimeUs: number;
  valueSizeBytes: number | null;
  payloads: boolean;
}

export type ClientSpec = ProducerSpec | ConsumerSpec | StreamProcessorSpec;

export interface PartitionExpectation {
  kind: "partition";
  atUs: number | "end";
  topic: string;
  partition: number;
  /** Null fields are not checked (a partial match). */
  leader: number | "none" | null;
  leaderEpoch: number | null;
  isr: number[] | null;
  elr: number[] | null;
  replicas: number[] | null;
  highWatermark: number | null;
  logStartOffset: number | null;
  /** The leader's LSO (read_committed's end: the HW, or the first open transaction's start). */
  lastStableOffset: number | null;
  source: SourceLocation;
}

export interface GroupExpectation {
  kind: "group";
  atUs: number | "end";
  id: string;
  state: GroupState | null;
  members: number | null;
  lag: number | null;
  generation: number | null;
  source: SourceLocation;
}

export interface CheckExpectation {
  kind: "check";
  check: CheckerName;
  /** Whether the checker must hold (default true). */
  holds: boolean;
  source: SourceLocation;
}

export type Expectation = CheckExpectation | PartitionExpectation | GroupExpectation;

/** A timeline action; node references are canonical node names ("1", "4", "producer-1"). */
export type Action =
  | { kind: "crash"; node: string; mode: CrashMode }
  | { kind: "restart"; node: string }
  | { kind: "shutdown"; node: string }
  | { kind: "isolate"; node: string }
  | { kind: "partition"; groups: string[][] }
  | { kind: "cut" | "hold" | "release" | "reset"; from: string; to: string }
  /** `target` is "all" or a node name (no node may be named "all"). */
  | { kind: "heal"; target: string }
  | { kind: "delay"; from: string; to: string; latencyUs: number; oneWay: boolean }
  | { kind: "throttle"; node: string; bandwidthBitsPerSec: number }
  | { kind: "slow-disk"; node: string; factor: number }
  /** `disk`: 0-based index of the log directory. */
  | { kind: "fail-disk" | "disk-full"; node: string; disk: number }
  | { kind: "create-topic"; topic: TopicSpec }
  | { kind: "delete-topic"; topic: string }
  | { kind: "alter-topic"; topic: string; partitions: number }
  | {
      kind: "alter-config";
      entity: { type: "topic"; name: string } | { type: "broker"; node: string };
      set: ConfigMap;
      delete: string[];
    }
  | { kind: "reassign"; topic: string; partition: number; replicas: number[] }
  | {
      kind: "elect-leaders";
      electionType: ElectionType;
      topic: string | null;
      partition: number | null;
    }
  | { kind: "start" | "stop" | "kill"; client: string }
  | {
      kind: "produce";
      client: string | null;
      topic: string;
      key: string | null;
      value: string | null;
      partition: number | null;
      count: number;
    }
  | { kind: "commit"; client: string }
  | { kind: "cli"; command: string; input: string[] }
  | { kind: "say"; text: string }
  | { kind: "ask"; question: string; answer: string }
  | { kind: "pause" }
  | { kind: "expect"; expectation: PartitionExpectation | GroupExpectation }
  | {
      kind: "transfer";
      from: string;
      to: string;
      sizeBytes: number;
      mode: TransferMode;
      read: ReadPattern;
    };

export type ActionKind = Action["kind"];

export interface TimelineEntry {
  atUs: number;
  action: Action;
  /** Position in the file's timeline (entries are sorted by time, file order kept for ties). */
  index: number;
  source: SourceLocation;
}

export interface Scenario {
  version: 1;
  name: string;
  description: string;
  /** Default 1; the CLI's --seed overrides it. */
  seed: number;
  /** The file's `duration`, or the last timeline entry + 10 s. */
  durationUs: number;
  /** Default for every client's `payloads`. */
  payloads: boolean;
  hosts: HostSpec[];
  /** Null when the file has bare `hosts` and no `cluster`. */
  cluster: ClusterSpec | null;
  topics: TopicSpec[];
  clients: ClientSpec[];
  /** Sorted by time, stable. */
  timeline: TimelineEntry[];
  expect: Expectation[];
  /** Every node: brokers by id, dedicated controllers, ZooKeeper nodes, hosts, clients. */
  nodes: NodeInfo[];
  /**
   * What Kafka accepts but the author should hear about (a config the chosen version does not
   * have, min.insync.replicas above the replication factor), located, sorted by position. The
   * CLI prints them to standard error.
   */
  warnings: ScenarioIssue[];
  /** The file as read, for export. */
  source: { file: string; text: string };
}

// =============================================================================================
// Limits: no text may blow the stack, hang the parser or exhaust memory

/** Largest file accepted, in UTF-16 code units. */
export const MAX_TEXT_LENGTH = 8 * 1024 * 1024;
/** Deepest nesting of maps and lists accepted (a scenario needs about 7). */
export const MAX_NESTING = 64;
/** The text pre-scan over-estimates nesting; the yaml parser itself is safe far beyond this. */
const MAX_ESTIMATED_NESTING = 256;
/** Most values (after alias expansion) accepted in one file. */
const MAX_VALUES = 200_000;
/** Most values produced by expanding aliases (`*name`): stops "billion laughs" documents early. */
const MAX_ALIAS_VALUES = 10_000;
/** Most issues reported at once: the first ones are the useful ones. */
const MAX_ISSUES = 50;
/** The default run length after the last timeline entry. */
const DEFAULT_TAIL_US = 10_000_000;

// =============================================================================================
// Entry points

/**
 * A value set from outside the file (`kafkasim run FILE --set cluster.version=0.10`): the
 * flag's text, the path into the scenario and the value as YAML would read it.
 */
export interface ScenarioOverride {
  /** As the user wrote it, for error messages: `cluster.version=0.10`. */
  readonly text: string;
  readonly segments: readonly (string | number)[];
  /** The value's source text; parsed as a YAML scalar (`0.10`, `true`, `2`, `all`). */
  readonly valueText: string;
}

/**
 * `cluster.version=0.10` → an override. Dots separate keys, numbers index lists; after a `config`
 * key the rest is one Kafka config name (`cluster.config.min.insync.replicas=2`).
 */
export function parseOverride(text: string): ScenarioOverride | string {
  const eq = text.indexOf("=");
  if (eq <= 0) return `expected PATH=VALUE, e.g. cluster.version=0.10 (got "${text}")`;
  const parts = text.slice(0, eq).split(".");
  const segments: (string | number)[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (part === "") return `empty key in "${text.slice(0, eq)}"`;
    segments.push(/^\d+$/.test(part) ? Number(part) : part);
    if (part === "config" && i + 1 < parts.length) {
      segments.push(parts.slice(i + 1).join("."));
      break;
    }
  }
  return { text, segments, valueText: text.slice(eq + 1) };
}

/** Parses scenario text (YAML or JSON) without touching the file system, for the browser too. */
export function parseScenarioText(
  text: string,
  fileName: string,
  overrides: readonly ScenarioOverride[] = [],
): Scenario {
  const file = new SourceFile(text, fileName);
  file.checkBounds();
  const doc = file.parse();
  const data = file.toData(doc);
  for (const o of overrides) file.override(data, o);
  file.validate(data);
  const normalizer = new Normalizer(file, data as RawScenario);
  const scenario = normalizer.run();
  file.throwIfIssues(normalizer.issues);
  return scenario;
}

// =============================================================================================
// From text to located plain data

interface Located {
  value: YamlNode | null;
  key: YamlNode | null;
}

class StopConversion extends Error {}

/** One file being read: its text, positions, and where each value came from. */
class SourceFile {
  readonly lines = new LineCounter();
  /** JSON pointer of a value → its YAML nodes. */
  readonly located = new Map<string, Located>();
  private valueCount = 0;
  private aliasValueCount = 0;
  private readonly pending: PendingIssue[] = [];
  private readonly anchors = new Map<string, YamlNode>();
  private readonly converting = new Set<YamlNode>();
  private aliasDepth = 0;
  /** JSON pointer of an overridden value → the `--set` text that put it there. */
  private readonly overridden = new Map<string, string>();

  constructor(
    readonly text: string,
    readonly fileName: string,
  ) {}

  issueAt(offset: number, path: string, message: string, suggestion?: string): ScenarioIssue {
    const { line, col } = this.lines.linePos(Math.max(0, Math.min(offset, this.text.length)));
    // linePos counts from 1 once the parser has seen the text; never report a 0 regardless.
    const issue: ScenarioIssue = {
      file: this.fileName,
      line: Math.max(1, line),
      column: Math.max(1, col),
      path,
      message,
    };
    if (suggestion !== undefined) issue.suggestion = suggestion;
    return issue;
  }

  /** Throws the issues, located, sorted by position, at most MAX_ISSUES. */
  throwIfIssues(pending: readonly PendingIssue[]): void {
    if (pending.length === 0) return;
    throw new ScenarioError(this.locateAll(pending));
  }

  /** Issues located, sorted by position (file order for ties), at most MAX_ISSUES. */
  locateAll(pending: readonly PendingIssue[]): ScenarioIssue[] {
    const located = pending.map((p) => this.locate(p));
    located.sort((a, b) => a.line - b.line || a.column - b.column);
    return limitIssues(located);
  }

  /**
   * Puts an override's value into the data (creating maps on the way), and remembers that
   * problems found there belong to the flag, not to a line of the file.
   */
  override(data: unknown, o: ScenarioOverride): void {
    const at = pointer(o.segments);
    const fail = (message: string): never => {
      throw new ScenarioError([
        { file: `--set ${o.text}`, line: 0, column: 0, path: displayPath(o.segments), message },
      ]);
    };
    if (typeof data !== "object" || data === null || Array.isArray(data)) {
      return fail("the file's top level is not a map");
    }
    const parsed = parseDocument(o.valueText);
    const node = parsed.contents;
    if (parsed.errors.length > 0 || !isScalar(node)) {
      return fail(`the value must be a single word or number (got "${o.valueText}")`);
    }
    let target = data as Record<string | number, unknown>;
    for (let i = 0; i < o.segments.length - 1; i++) {
      const key = o.segments[i]!;
      let next = target[key];
      if (next === undefined || next === null) {
        if (typeof key === "number")
          fail(`${displayPath(o.segments.slice(0, i + 1))} does not exist`);
        next = {};
        target[key] = next;
      }
      if (typeof next !== "object") {
        fail(`${displayPath(o.segments.slice(0, i + 1))} is a single value, not a map or list`);
      }
      target = next as Record<string | number, unknown>;
    }
    // A number that would not print back as typed (`0.10` → 0.1) stays the text the user gave.
    const value =
      typeof node.value === "number" && String(node.value) !== o.valueText
        ? o.valueText
        : node.value;
    target[o.segments.at(-1)!] = value;
    // A scalar that keeps its source, so `0.10` stays readable as a version.
    const scalar = new Scalar(value);
    scalar.source = o.valueText;
    this.located.set(at, { value: scalar, key: null });
    this.overridden.set(at, o.text);
  }

  private locate(issue: PendingIssue): ScenarioIssue {
    const path = displayPath(issue.segments);
    for (let n = issue.segments.length; n >= 0; n--) {
      const flag = this.overridden.get(pointer(issue.segments.slice(0, n)));
      if (flag !== undefined) {
        const hint = issue.suggestion === undefined ? {} : { suggestion: issue.suggestion };
        return { file: `--set ${flag}`, line: 0, column: 0, path, message: issue.message, ...hint };
      }
      const found = this.located.get(pointer(issue.segments.slice(0, n)));
      if (found === undefined) continue;
      const exact = n === issue.segments.length;
      const node =
        exact && issue.at === "key" ? (found.key ?? found.value) : (found.value ?? found.key);
      const offset = node?.range?.[0] ?? 0;
      return this.issueAt(offset, path, issue.message, issue.suggestion);
    }
    return this.issueAt(0, path, issue.message, issue.suggestion);
  }

  /** The source text of a scalar value (`0.10` where YAML read the number 0.1). */
  scalarSource(segments: PathSegments): string | undefined {
    const node = this.located.get(pointer(segments))?.value;
    return node !== null && node !== undefined && isScalar(node) ? node.source : undefined;
  }

  /** The location of a value, for runtime errors. */
  sourceLocation(segments: PathSegments): SourceLocation {
    const issue = this.locate({ segments, at: "value", message: "" });
    return { file: issue.file, line: issue.line, column: issue.column, path: issue.path };
  }

  /** Size and nesting bounds, checked on the raw text before any parser recursion. */
  checkBounds(): void {
    if (this.text.length > MAX_TEXT_LENGTH) {
      this.throwRaw(
        0,
        `the file is too large (${this.text.length} characters; at most ${MAX_TEXT_LENGTH})`,
      );
    }
    const deep = deepNestingOffset(this.text, MAX_ESTIMATED_NESTING);
    if (deep !== null) {
      this.throwRaw(deep, `the document is nested too deeply (at most ${MAX_NESTING} levels)`);
    }
  }

  private throwRaw(offset: number, message: string): never {
    // Positions are needed before parsing: count lines here.
    this.lines.addNewLine(0);
    for (
      let i = this.text.indexOf("\n");
      i !== -1 && i < offset;
      i = this.text.indexOf("\n", i + 1)
    ) {
      this.lines.addNewLine(i + 1);
    }
    throw new ScenarioError([this.issueAt(offset, ROOT_PATH, message)]);
  }

  parse(): Document {
    let doc: Document;
    try {
      doc = parseDocument(this.text, {
        lineCounter: this.lines,
        prettyErrors: false,
        uniqueKeys: true,
        strict: true,
      });
    } catch (error) {
      // The yaml package reports problems as errors on the document; this is a last resort.
      const reason = error instanceof Error ? error.message : String(error);
      throw new ScenarioError([
        this.issueAt(0, ROOT_PATH, `cannot read the file as YAML: ${reason}`),
      ]);
    }
    if (doc.errors.length > 0) {
      const issues = doc.errors.map((e) =>
        this.yamlIssue(doc, e.code, e.message, e.pos[0], e.pos[1]),
      );
      throw new ScenarioError(limitIssues(issues));
    }
    return doc;
  }

  private yamlIssue(doc: Document, code: string, message: string, start: number, end: number) {
    const segments = pathAtOffset(doc.contents as YamlNode | null, start);
    switch (code) {
      case "DUPLICATE_KEY": {
        // The offset is the second key's: the path found ends with it.
        const key = String(segments.at(-1) ?? this.text.slice(start, end).trim());
        const parent = segments.slice(0, -1);
        const where = parent.length === 0 ? "" : ` in ${displayPath(parent)}`;
        const what = key === "" ? "an empty key" : quoteValue(key);
        return this.issueAt(
          start,
          displayPath(segments),
          `duplicate key ${what}${where}: each key may appear once in a map`,
        );
      }
      case "MULTIPLE_DOCS":
        return this.issueAt(
          start,
          ROOT_PATH,
          "a scenario file holds one YAML document; this one starts another (`---`)",
        );
      default: {
        const plain = /call stack/i.test(message)
          ? `the document is nested too deeply (at most ${MAX_NESTING} levels)`
          : `YAML syntax: ${message}`;
        return this.issueAt(start, displayPath(segments), plain);
      }
    }
  }

  /** Plain data from the YAML tree, recording positions; bounded in depth and size. */
  toData(doc: Document): unknown {
    const contents = doc.contents as YamlNode | null;
    if (contents === null || (isScalar(contents) && contents.value === null && !contents.source)) {
      throw new ScenarioError([
        this.issueAt(0, ROOT_PATH, "the file is empty: a scenario needs at least `name`"),
      ]);
    }
    let data: unknown;
    try {
      data = this.convert(contents, [], 0, null);
    } catch (error) {
      if (!(error instanceof StopConversion)) throw error;
    }
    this.throwIfIssues(this.pending);
    return data;
  }

  private stop(segments: PathSegments, message: string): never {
    this.pending.push({ segments, at: "value", message });
    throw new StopConversion(message);
  }

  private convert(
    node: YamlNode,
    segments: (string | number)[],
    depth: number,
    keyNode: YamlNode | null,
  ): unknown {
    this.located.set(pointer(segments), { value: node, key: keyNode });
    if (++this.valueCount > MAX_VALUES) {
      this.stop(segments, `the file has too many values (more than ${MAX_VALUES})`);
    }
    if (this.aliasDepth > 0 && ++this.aliasValueCount > MAX_ALIAS_VALUES) {
      this.stop(segments, `aliases expand to too many values (more than ${MAX_ALIAS_VALUES})`);
    }
    if (depth > MAX_NESTING) {
      this.stop(segments, `the document is nested too deeply (at most ${MAX_NESTING} levels)`);
    }
    if (isAlias(node)) return this.convertAlias(node.source, segments, depth, keyNode);
    if (node.anchor !== undefined && this.aliasDepth === 0) this.anchors.set(node.anchor, node);
    if (isScalar(node)) return this.scalar(node.value, node.tag, segments);
    this.converting.add(node);
    try {
      if (isMap(node)) return this.convertMap(node.items, segments, depth);
      if (isSeq(node)) return this.convertSeq(node.items, segments, depth);
    } finally {
      this.converting.delete(node);
    }
    this.pending.push({ segments, at: "value", message: "unsupported YAML node" });
    return null;
  }

  private convertAlias(
    name: string,
    segments: (string | number)[],
    depth: number,
    keyNode: YamlNode | null,
  ): unknown {
    const target = this.anchors.get(name);
    if (target === undefined) {
      this.pending.push({
        segments,
        at: "value",
        message: `unknown alias \`*${name}\`: no anchor \`&${name}\` before it`,
      });
      return null;
    }
    if (this.converting.has(target)) {
      this.stop(segments, `alias \`*${name}\` refers to a value that contains it`);
    }
    const aliasNode = this.located.get(pointer(segments))?.value ?? null;
    this.aliasDepth++;
    try {
      const value = this.convert(target, segments, depth, keyNode);
      // Point errors at the alias, where the value is used, rather than at the anchor.
      if (aliasNode !== null)
        this.located.set(pointer(segments), { value: aliasNode, key: keyNode });
      return value;
    } finally {
      this.aliasDepth--;
    }
  }

  private scalar(value: unknown, tag: string | undefined, segments: PathSegments): unknown {
    if (value === null || typeof value === "string" || typeof value === "boolean") return value;
    if (typeof value === "number") return value;
    if (typeof value === "bigint") return Number(value);
    this.pending.push({
      segments,
      at: "value",
      message: `unsupported YAML value${tag ? ` (tag ${tag.replace("tag:yaml.org,2002:", "!!")})` : ""}: use text, numbers, true/false, maps and lists`,
    });
    return null;
  }

  private convertMap(items: readonly unknown[], segments: (string | number)[], depth: number) {
    const out: Record<string, unknown> = {};
    for (const item of items) {
      if (!isPair(item)) continue;
      const keyNode = (item.key ?? null) as YamlNode | null;
      const key = this.keyText(keyNode, segments);
      const child = [...segments, key];
      if (Object.hasOwn(out, key)) {
        // `1:` and `"1":` are different YAML keys but the same key here.
        this.pending.push({
          segments: child,
          at: "key",
          message: `duplicate key ${quoteValue(key)}: each key may appear once in a map`,
        });
      }
      const valueNode = (item.value ?? null) as YamlNode | null;
      let value: unknown = null;
      if (valueNode === null) this.located.set(pointer(child), { value: null, key: keyNode });
      else value = this.convert(valueNode, child, depth + 1, keyNode);
      // defineProperty: a key named __proto__ must stay an ordinary key.
      Object.defineProperty(out, key, {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }

  private convertSeq(items: readonly unknown[], segments: (string | number)[], depth: number) {
    const out: unknown[] = [];
    for (const item of items) {
      const child = [...segments, out.length];
      if (isPair(item)) {
        // `[a: 1]`: a one-pair map inside a flow sequence.
        out.push(this.convertMap([item], child, depth + 1));
      } else {
        out.push(this.convert(item as YamlNode, child, depth + 1, null));
      }
    }
    return out;
  }

  private keyText(keyNode: YamlNode | null, segments: PathSegments): string {
    if (keyNode === null) return "";
    if (isScalar(keyNode)) {
      const value = keyNode.value;
      if (typeof value === "string") return value;
      return keyNode.source ?? String(value);
    }
    if (isAlias(keyNode)) {
      const target = this.anchors.get(keyNode.source);
      if (target !== undefined && isScalar(target)) return String(target.value);
    }
    this.pending.push({
      segments,
      at: "value",
      message: "a key must be plain text, not a list or a map",
    });
    return "";
  }

  validate(data: unknown): void {
    const errors = schemaErrors(data);
    if (errors.length === 0) return;
    // The version is explained here rather than by errors.ts: versionProblem knows every profile,
    // suggests the nearest release and spots `0.10` read as a number.
    const pending = translateAjvErrors(
      errors.filter((e) => e.instancePath !== VERSION_POINTER),
      data,
    );
    if (errors.some((e) => e.instancePath === VERSION_POINTER) && isRecord(data)) {
      const cluster = data.cluster;
      const raw = isRecord(cluster) ? cluster.version : undefined;
      const outcome = versionProblem(raw, this.scalarSource(VERSION_SEGMENTS));
      if (!outcome.ok) pending.push({ segments: VERSION_SEGMENTS, at: "value", ...outcome.issue });
    }
    this.throwIfIssues(pending);
  }
}

const VERSION_SEGMENTS: PathSegments = ["cluster", "version"];
const VERSION_POINTER = "/cluster/version";

type VersionOutcome =
  | { ok: true; version: VersionProfile }
  | { ok: false; issue: { message: string; suggestion?: string } };

/**
 * A `cluster.version` as written: a profile's text ("3.6"), or a YAML number whose text is one
 * (3.6, 4.0). `source` is the scalar's text in the file, when there is one.
 */
function versionProblem(raw: unknown, source: string | undefined): VersionOutcome {
  const profiles: readonly string[] = VERSION_PROFILES;
  if (typeof raw === "string" && profiles.includes(raw)) {
    return { ok: true, version: raw as VersionProfile };
  }
  if (typeof raw !== "string" && typeof raw !== "number") {
    return {
      ok: false,
      issue: {
        message: `must be a Kafka version such as "${DEFAULT_VERSION}" or "3.6"; got ${quoteValue(raw)}`,
      },
    };
  }
  // A YAML number: accept it where its text is a profile (3.6), explain where it is not (0.10).
  const text = typeof raw === "number" ? (source ?? String(raw)) : raw;
  if (typeof raw === "number" && profiles.includes(text) && text !== "0.10") {
    return { ok: true, version: text as VersionProfile };
  }
  if (typeof raw === "number" && (raw === 0.1 || text === "0.10")) {
    return {
      ok: false,
      issue: {
        message: 'YAML reads 0.10 as the number 0.1: write the version in quotes, "0.10"',
        suggestion: '"0.10"',
      },
    };
  }
  const parsed = parseVersion(typeof raw === "number" && Number.isInteger(raw) ? raw : text);
  if (parsed.ok) {
    // "3.6.1", "v3.6", 4: a modelled release written another way.
    return {
      ok: false,
      issue: {
        message: `write the version profile as "${parsed.version}" (major.minor); got ${quoteValue(text)}`,
        suggestion: parsed.version,
      },
    };
  }
  const near = parsed.suggestion ?? nearest(text, profiles);
  // Unquoted, 0.10 would be read as 0.1 again.
  const suggestion = near === "0.10" ? '"0.10"' : near;
  return {
    ok: false,
    issue:
      suggestion === undefined ? { message: parsed.error } : { message: parsed.error, suggestion },
  };
}

function limitIssues(issues: ScenarioIssue[]): ScenarioIssue[] {
  if (issues.length <= MAX_ISSUES) return issues;
  const shown = issues.slice(0, MAX_ISSUES);
  const next = issues[MAX_ISSUES]!;
  shown.push({ ...next, message: `and ${issues.length - MAX_ISSUES} more problems not shown` });
  delete shown[MAX_ISSUES]!.suggestion;
  return shown;
}

/** JSON pointer of a path. */
function pointer(segments: PathSegments): string {
  let out = "";
  for (const s of segments) out += `/${String(s).replace(/~/g, "~0").replace(/\//g, "~1")}`;
  return out;
}

/** The path of the innermost value whose text contains `offset` (for syntax errors). */
function pathAtOffset(root: YamlNode | null, offset: number): (string | number)[] {
  const segments: (string | number)[] = [];
  let node: unknown = root;
  for (let guard = 0; guard < MAX_ESTIMATED_NESTING * 2 && node; guard++) {
    let next: unknown = null;
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = pair.key as YamlNode | null;
        const value = pair.value as YamlNode | null;
        const start = key?.range?.[0] ?? value?.range?.[0] ?? -1;
        const end = value?.range?.[2] ?? key?.range?.[2] ?? -1;
        if (offset >= start && offset < end) {
          segments.push(isScalar(key) ? String(key.value) : "?");
          const valueStart = value?.range?.[0];
          next = valueStart !== undefined && offset >= valueStart ? value : null;
          break;
        }
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => {
        const range = (item as YamlNode | null)?.range;
        if (next === null && range && offset >= range[0] && offset < range[2]) {
          segments.push(index);
          next = item;
        }
      });
    }
    node = next;
  }
  return segments;
}

/**
 * An over-estimate of the nesting depth, from the text alone, so that no input can make the yaml
 * parser recurse deeply. Flow brackets count one level each (wherever they are, even in quotes:
 * over-estimating is safe); block levels count by indentation, twice (a list may sit at its
 * parent key's indentation), plus compact `- - -`, `? `, `: ` indicators. Returns the offset where
 * the estimate passes `limit`, or null.
 */
export function deepNestingOffset(text: string, limit: number): number | null {
  let flow = 0;
  const indents: number[] = [];
  let block = 0;
  let lineStart = 0;
  while (lineStart <= text.length) {
    let lineEnd = text.indexOf("\n", lineStart);
    if (lineEnd === -1) lineEnd = text.length;
    if (flow === 0) {
      let i = lineStart;
      while (i < lineEnd && text[i] === " ") i++;
      const indent = i - lineStart;
      const first = text[i];
      if (i < lineEnd && first !== "#" && first !== "\r") {
        while (indents.length > 0 && indents[indents.length - 1]! > indent) indents.pop();
        if (indents.length === 0 || indents[indents.length - 1]! < indent) indents.push(indent);
        let compact = 0;
        while (
          i + 1 < lineEnd &&
          "-?:".includes(text[i]!) &&
          (text[i + 1] === " " || text[i + 1] === "\t")
        ) {
          compact++;
          i += 2;
          while (i < lineEnd && (text[i] === " " || text[i] === "\t")) i++;
        }
        block = 2 * indents.length + compact;
        if (block > limit) return i;
      }
    }
    for (let i = lineStart; i < lineEnd; i++) {
      const c = text.charCodeAt(i);
      if (c === 91 || c === 123) {
        flow++;
        if (block + flow > limit) return i;
      } else if ((c === 93 || c === 125) && flow > 0) {
        flow--;
      }
    }
    lineStart = lineEnd + 1;
  }
  return null;
}

/**
 * Schema validation in pieces, each compiled by ajv the first time a file uses it. One validator
 * for the whole schema is about 450 KB of generated code and takes most of a second to compile;
 * pieces cost only what a file uses (a file with three kinds of actions compiles three). The
 * full schema (scenarios/schema.json) and the pieces come from the same TypeBox objects.
 */
class PieceValidator {
  private readonly ajv = new Ajv({
    allErrors: true,
    verbose: true,
    strict: true,
    strictNumbers: true,
    validateSchema: false, // our own schema; a unit test checks it against draft-07
    code: { optimize: false }, // halves compile time; files are validated once
  });
  private readonly compiled = new Map<object, ValidateFunction>();
  /** The top level, with the big parts left to their own validators. */
  private readonly top: object;
  /** A timeline entry's shape: `at` and one action key, the action's value left to its own. */
  private readonly entry: object;

  constructor() {
    this.ajv.addKeyword({ keyword: "x-kind", schemaType: "string" });
    this.ajv.addKeyword({ keyword: "x-hint", schemaType: "string" });
    const stubs = Object.fromEntries(LAZY_KEYS.map((key) => [key, {}]));
    this.top = { ...ScenarioSchema, properties: { ...ScenarioSchema.properties, ...stubs } };
    const actionStubs = Object.fromEntries(ACTION_KEYS.map((key) => [key, {}]));
    this.entry = {
      ...TimelineEntrySchema,
      properties: { ...TimelineEntrySchema.properties, ...actionStubs },
    };
  }

  /** All errors of `data`, with instance paths from the root of the file. */
  validate(data: unknown): ErrorObject[] {
    const errors: ErrorObject[] = [];
    this.run(this.top, data, "", errors);
    if (!isRecord(data)) return errors;
    for (const key of LAZY_KEYS) {
      if (data[key] !== undefined)
        this.run(ScenarioSchema.properties[key], data[key], `/${key}`, errors);
    }
    const timeline = data.timeline;
    if (!Array.isArray(timeline)) return errors;
    timeline.forEach((entry: unknown, i) => {
      this.run(this.entry, entry, `/timeline/${i}`, errors);
      if (!isRecord(entry)) return;
      for (const key of ACTION_KEYS) {
        if (entry[key] !== undefined) {
          this.run(TIMELINE_ACTIONS[key], entry[key], `/timeline/${i}/${key}`, errors);
        }
      }
    });
    return errors;
  }

  private run(schema: object, data: unknown, prefix: string, errors: ErrorObject[]): void {
    let validate = this.compiled.get(schema);
    if (validate === undefined) {
      validate = this.ajv.compile(schema);
      this.compiled.set(schema, validate);
    }
    if (validate(data)) return;
    for (const error of validate.errors ?? []) {
      errors.push({ ...error, instancePath: prefix + error.instancePath });
    }
  }
}

/** Top-level keys validated by their own piece; `timeline` is split further, per action. */
const LAZY_KEYS = ["hosts", "cluster", "topics", "clients", "expect"] as const;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

let validator: PieceValidator | null = null;

function schemaErrors(data: unknown): ErrorObject[] {
  validator ??= new PieceValidator();
  return validator.validate(data);
}

// =============================================================================================
// Normalization and the checks a schema cannot make

type Segs = (string | number)[];

const ROLE_WORDS: Record<NodeRole, string> = {
  broker: "a broker",
  controller: "a controller",
  zookeeper: "a ZooKeeper node",
  host: "a host",
  client: "a client",
};

const ANY_NODE: readonly NodeRole[] = ["broker", "controller", "zookeeper", "host", "client"];
const DISK_NODES: readonly NodeRole[] = ["broker", "controller", "zookeeper", "host"];

/** Actions that act on a Kafka cluster, and so need one. */
const KAFKA_ACTIONS = new Set<string>([
  "create-topic",
  "delete-topic",
  "alter-topic",
  "alter-config",
  "reassign",
  "elect-leaders",
  "produce",
  "cli",
  "expect",
]);

class Normalizer {
  readonly issues: PendingIssue[] = [];
  readonly warnings: PendingIssue[] = [];
  private readonly nodes: NodeInfo[] = [];
  private readonly byName = new Map<string, NodeInfo>();
  private readonly aliases = new Map<string, string>();
  private readonly clientTypes = new Map<string, "producer" | "consumer" | "stream-processor">();
  private cluster: ClusterSpec | null = null;
  /** The cluster's broker configs as Kafka resolves them (valid keys only): defaults for topics. */
  private brokerConfig: ResolvedConfig | null = null;

  constructor(
    private readonly file: SourceFile,
    private readonly raw: RawScenario,
  ) {}

  private report(
    segments: PathSegments,
    message: string,
    suggestion?: string,
    at: "key" | "value" = "value",
  ) {
    const issue: PendingIssue = { segments, at, message };
    if (suggestion !== undefined) issue.suggestion = suggestion;
    this.issues.push(issue);
  }

  private warn(
    segments: PathSegments,
    message: string,
    suggestion?: string,
    at: "key" | "value" = "value",
  ) {
    const issue: PendingIssue = { segments, at, message };
    if (suggestion !== undefined) issue.suggestion = suggestion;
    this.warnings.push(issue);
  }

  private unit<T>(
    parse: (value: unknown) => UnitResult<T>,
    value: unknown,
    segments: PathSegments,
    fallback: T,
  ): T {
    const result = parse(value);
    if (result.ok) return result.value;
    this.report(segments, result.message, result.suggestion);
    return fallback;
  }

  private duration(value: unknown, segments: PathSegments): number {
    return this.unit(parseDurationUs, value, segments, 0);
  }

  private optDuration(value: unknown, segments: PathSegments): number | null {
    return value === undefined ? null : this.duration(value, segments);
  }

  private optSize(value: unknown, segments: PathSegments): number | null {
    return value === undefined ? null : this.unit(parseSizeBytes, value, segments, 0);
  }

  run(): Scenario {
    const raw = this.raw;
    const hosts = (raw.hosts ?? []).map((h, i) => this.host(h, ["hosts", i]));
    this.cluster = this.clusterSpec();
    const clients = (raw.clients ?? []).map((c, i) => this.client(c, ["clients", i]));
    this.checkKafkaParts();
    const topics = (raw.topics ?? []).map((t, i) => this.topic(t, ["topics", i]));
    this.checkUnique(
      topics.map((t) => t.name),
      "topics",
      "name",
      "topic",
    );
    const timeline = (raw.timeline ?? []).map((e, i) => this.entry(e, i));
    timeline.sort((a, b) => a.atUs - b.atUs);
    const expectByIndex = (raw.expect ?? []).map((e, i) => this.expectation(e, ["expect", i]));
    const expect = expectByIndex.filter((e): e is Expectation => e !== null);
    const durationUs =
      raw.duration !== undefined
        ? this.duration(raw.duration, ["duration"])
        : (timeline.at(-1)?.atUs ?? 0) + DEFAULT_TAIL_US;
    this.checkWithinDuration(timeline, expectByIndex, durationUs);
    return {
      version: 1,
      name: raw.name,
      description: raw.description ?? "",
      seed: raw.seed ?? 1,
      durationUs,
      payloads: raw.payloads ?? false,
      hosts,
      cluster: this.cluster,
      topics,
      clients,
      timeline,
      expect,
      nodes: this.nodes,
      warnings: this.file.locateAll(this.warnings),
      source: { file: this.file.fileName, text: this.file.text },
    };
  }

  // --- nodes ---------------------------------------------------------------------------------

  private addNode(name: string, role: NodeRole, segments: PathSegments): void {
    const existing = this.byName.get(name);
    if (existing !== undefined) {
      this.report(
        segments,
        `\`${name}\` is already ${ROLE_WORDS[existing.role]}: node names must be unique`,
      );
      return;
    }
    if (role === "host" || role === "client") {
      if (name === "all") {
        this.report(segments, "`all` is reserved (`heal: all`): choose another name");
        return;
      }
      if (/^(controller|zookeeper)-\d+$/.test(name)) {
        this.report(
          segments,
          `\`${name}\` is reserved for the cluster's own nodes: choose another name`,
        );
        return;
      }
    }
    const info = { name, role };
    this.nodes.push(info);
    this.byName.set(name, info);
  }

  /** The canonical node name of a reference, checked against the roles allowed there. */
  private node(
    raw: string | number,
    segments: PathSegments,
    roles: readonly NodeRole[],
    what: string,
  ): string {
    let name = typeof raw === "number" ? String(raw) : raw;
    if (/^\d+$/.test(name) && Number.isSafeInteger(Number(name))) name = String(Number(name));
    name = this.aliases.get(name) ?? name;
    const info = this.byName.get(name);
    if (info === undefined) {
      const known = [...this.byName.keys(), ...this.aliases.keys()];
      const suggestion = /^\d+$/.test(name) ? undefined : nearest(name, known);
      const list =
        this.nodes.length === 0
          ? "there are none"
          : `known nodes: ${summarize(this.nodes.map((n) => n.name))}`;
      if (/^controller-\d+$/.test(name)) {
        this.report(
          segments,
          `unknown node ${quoteValue(raw)}: \`controller-N\` names a dedicated KRaft controller, and this cluster has ${this.dedicatedCount() || "none"} (${list})`,
        );
        return name;
      }
      this.report(segments, `unknown node ${quoteValue(raw)} (${list})`, suggestion);
      return name;
    }
    if (!roles.includes(info.role)) {
      const allowed = roles.map((r) => ROLE_WORDS[r]).join(" or ");
      this.report(segments, `\`${name}\` is ${ROLE_WORDS[info.role]}; ${what} takes ${allowed}`);
    }
    return name;
  }

  private dedicatedCount(): number {
    return this.cluster?.controllers.kind === "dedicated" ? this.cluster.controllers.ids.length : 0;
  }

  private brokerId(id: number, segments: PathSegments): number {
    const name = String(id);
    if (this.byName.get(name)?.role !== "broker") {
      const brokers = this.cluster?.brokers.map((b) => b.node) ?? [];
      this.report(
        segments,
        `unknown broker id \`${id}\` (brokers: ${brokers.length === 0 ? "none" : summarize(brokers)})`,
      );
    }
    return id;
  }

  private clientRef(
    raw: string | number,
    segments: PathSegments,
    type: "producer" | "consumer" | null,
    what: string,
  ): string {
    const name = this.node(raw, segments, ["client"], what);
    const actual = this.clientTypes.get(name);
    if (type !== null && actual !== undefined && actual !== type) {
      this.report(segments, `\`${name}\` is a ${actual}; ${what} takes a ${type}`);
    }
    return name;
  }

  // --- hosts and hardware --------------------------------------------------------------------

  private host(raw: NonNullable<RawScenario["hosts"]>[number], segments: Segs): HostSpec {
    this.addNode(raw.name, "host", [...segments, "name"]);
    return {
      name: raw.name,
      disk: raw.disk === undefined ? null : this.disk(raw.disk, [...segments, "disk"]),
      network:
        raw.network === undefined ? null : this.network(raw.network, [...segments, "network"]),
      memoryBytes: this.optSize(raw.memory, [...segments, "memory"]),
      cores: raw.cores ?? null,
    };
  }

  private disk(raw: RawDiskSpec, segments: Segs): DiskSpec {
    if (typeof raw === "string") {
      return {
        profile: raw,
        readBandwidthBytesPerSec: null,
        writeBandwidthBytesPerSec: null,
        seekUs: null,
        rotationalLatencyUs: null,
        accessLatencyUs: null,
        readIops: null,
        writeIops: null,
        fsyncUs: null,
      };
    }
    const rate = (key: "read-bandwidth" | "write-bandwidth") =>
      raw[key] === undefined ? null : this.unit(parseByteRate, raw[key], [...segments, key], 0);
    return {
      profile: raw.profile,
      readBandwidthBytesPerSec: rate("read-bandwidth"),
      writeBandwidthBytesPerSec: rate("write-bandwidth"),
      seekUs: this.optDuration(raw.seek, [...segments, "seek"]),
      rotationalLatencyUs: this.optDuration(raw["rotational-latency"], [
        ...segments,
        "rotational-latency",
      ]),
      accessLatencyUs: this.optDuration(raw["access-latency"], [...segments, "access-latency"]),
      readIops: raw["read-iops"] ?? null,
      writeIops: raw["write-iops"] ?? null,
      fsyncUs: this.optDuration(raw.fsync, [...segments, "fsync"]),
    };
  }

  private network(raw: RawNetworkSpec, segments: Segs): NetworkSpec {
    if (typeof raw === "string") return { profile: raw, bandwidthBitsPerSec: null };
    return {
      profile: raw.profile,
      bandwidthBitsPerSec:
        raw.bandwidth === undefined
          ? null
          : this.unit(parseBandwidthBitsPerSec, raw.bandwidth, [...segments, "bandwidth"], 1),
    };
  }

  // --- cluster -------------------------------------------------------------------------------

  private clusterSpec(): ClusterSpec | null {
    const raw: RawCluster | undefined = this.raw.cluster;
    if (raw === undefined && this.raw.hosts !== undefined) return null;
    const segments: Segs = ["cluster"];
    const c: RawCluster = this.withPreset(raw ?? {}, segments);
    const version = this.versionProfile(c.version, [...segments, "version"]);
    const mode =
      this.presetMode(c, version, segments) ??
      this.clusterMode(version, c.mode, [...segments, "mode"]);
    const brokers = this.brokers(c.brokers, [...segments, "brokers"]);
    for (const b of brokers) this.addNode(b.node, "broker", [...segments, "brokers"]);
    const controllers = this.controllers(mode, brokers, c.controllers, [
      ...segments,
      "controllers",
    ]);
    const hw = c.hardware ?? {};
    const hwSegs = [...segments, "hardware"];
    const configSegs = [...segments, "config"];
    const config = { ...(c.config ?? {}) };
    const valid = this.checkConfigMap("broker", version, config, configSegs);
    // With a wrong key the defaults stand in, so that topics can still be checked.
    this.brokerConfig = resolveBrokerConfig(version, valid ?? {});
    if (valid !== null) this.checkAcrossConfigs(this.brokerConfig, config, configSegs);
    return {
      preset: c.preset ?? null,
      version,
      mode,
      brokers,
      controllers,
      hardware: {
        disk: hw.disk === undefined ? null : this.disk(hw.disk, [...hwSegs, "disk"]),
        disks: hw.disks ?? 1,
        network: hw.network === undefined ? null : this.network(hw.network, [...hwSegs, "network"]),
        memoryBytes: this.optSize(hw.memory, [...hwSegs, "memory"]),
        cores: hw.cores ?? null,
      },
      network: {
        latencyUs: this.optDuration(c.network?.latency, [...segments, "network", "latency"]),
        jitterUs: this.optDuration(c.network?.jitter, [...segments, "network", "jitter"]),
      },
      config,
    };
  }

  /**
   * The file's `cluster` over its preset's keys (presets.ts): each key the file gives wins, and
   * `config` is merged key by key. Configs of the preset that the version does not have are left
   * out (a 0.10 cluster has no transaction log to replicate).
   */
  private withPreset(c: RawCluster, segments: Segs): RawCluster {
    if (c.preset === undefined) return c;
    const preset = clusterPreset(c.preset);
    // An unknown name was reported by the schema, with the nearest one.
    if (preset === undefined) return c;
    const versionText = c.version ?? preset.version ?? undefined;
    const outcome =
      versionText === undefined
        ? undefined
        : versionProblem(versionText, this.file.scalarSource([...segments, "version"]));
    const version = outcome?.ok === true ? outcome.version : DEFAULT_VERSION;
    const presetConfig = Object.fromEntries(
      Object.entries(preset.config).filter(([key, value]) => {
        const result = validateConfig("broker", version, key, value);
        return result.ok && result.warning === undefined;
      }),
    );
    const merged: RawCluster = {
      ...(preset.version === null ? {} : { version: preset.version }),
      mode: preset.mode,
      brokers: preset.brokers,
      controllers: preset.controllers,
      ...c,
    };
    if (c.config !== undefined || Object.keys(presetConfig).length > 0) {
      merged.config = { ...presetConfig, ...(c.config ?? {}) };
    }
    return merged;
  }

  /**
   * A preset whose metadata mode the version does not have (a ZooKeeper preset on Kafka 4.0 or
   * later, a KRaft preset before 3.3): one located error at the preset naming one that fits, and
   * the rest is checked in the version's own mode. Null when there is nothing to say.
   */
  private presetMode(c: RawCluster, version: VersionProfile, segments: Segs): ClusterMode | null {
    const preset = c.preset === undefined ? undefined : clusterPreset(c.preset);
    if (preset === undefined || c.mode !== preset.mode) return null;
    const profile = versionProfile(version);
    if (profile.modes.includes(preset.mode)) return null;
    // The preset's controllers belong to its own mode; the file's, if any, still count.
    if (this.raw.cluster?.controllers === undefined) delete c.controllers;
    // A version the loader could not read has its own message already.
    const written = c.version === undefined ? undefined : versionProblem(c.version, undefined);
    if (written !== undefined && !written.ok) return profile.defaultMode;
    if (preset.mode === "zookeeper") {
      const kraft = preset.kraftEquivalent ?? "kraft-combined";
      const single = preset.brokers === 1 ? " with `brokers: 1`" : "";
      this.report(
        [...segments, "preset"],
        `ZooKeeper mode ended with Kafka 4.0 (KRaft only from then on): the preset \`${preset.name}\` ` +
          `runs ZooKeeper and needs version "3.9" or older (got "${version}"); for Kafka ` +
          `${version} use a KRaft preset: \`${kraft}\`${single}`,
        kraft,
      );
    } else {
      const zk =
        preset.name === "kraft-dedicated-controllers"
          ? "zk-multiple-kafka-multiple"
          : "zk-single-kafka-multiple";
      this.report(
        [...segments, "preset"],
        `the preset \`${preset.name}\` runs KRaft, which the simulator offers from "3.3" on ` +
          `(got "${version}"): use a ZooKeeper preset such as \`${zk}\``,
        zk,
      );
    }
    return profile.defaultMode;
  }

  private versionProfile(raw: string | number | undefined, segments: Segs): VersionProfile {
    if (raw === undefined) return DEFAULT_VERSION;
    const outcome = versionProblem(raw, this.file.scalarSource(segments));
    if (outcome.ok) return outcome.version;
    this.report(segments, outcome.issue.message, outcome.issue.suggestion);
    // "0.10" written as a number: go on as if quoted, so that the one mistake is one message.
    return outcome.issue.suggestion === '"0.10"' ? "0.10" : DEFAULT_VERSION;
  }

  private clusterMode(
    version: VersionProfile,
    raw: ClusterMode | undefined,
    segments: Segs,
  ): ClusterMode {
    const profile = versionProfile(version);
    if (raw === undefined || profile.modes.includes(raw)) return raw ?? profile.defaultMode;
    if (raw === "zookeeper") {
      this.report(
        segments,
        `Kafka 4.0 and later run in KRaft mode only; use version "3.9" or older for zookeeper (got "${version}")`,
      );
    } else {
      this.report(
        segments,
        `KRaft came with Kafka 2.8 (early access) and 3.3 (production); the simulator offers it from "3.3" on, and version "${version}" runs zookeeper`,
      );
    }
    return raw;
  }

  private brokers(raw: RawCluster["brokers"], segments: Segs): BrokerSpec[] {
    if (raw === undefined || typeof raw === "number") {
      // The schema bounds the count (at most 1000).
      return Array.from({ length: raw ?? 3 }, (_, i) => ({
        id: i + 1,
        node: String(i + 1),
        rack: null,
      }));
    }
    const seen = new Set<number>();
    const brokers: BrokerSpec[] = [];
    raw.forEach((b, i) => {
      if (seen.has(b.id)) {
        this.report([...segments, i, "id"], `broker id ${b.id} appears twice`);
        return;
      }
      seen.add(b.id);
      brokers.push({
        id: b.id,
        node: String(b.id),
        rack: b.rack === undefined ? null : String(b.rack),
      });
    });
    return brokers.sort((a, b) => a.id - b.id);
  }

  private controllers(
    mode: ClusterMode,
    brokers: readonly BrokerSpec[],
    raw: "combined" | number | undefined,
    segments: Segs,
  ): ControllerSpec {
    if (mode === "zookeeper") {
      if (raw === "combined") {
        this.report(
          segments,
          "`combined` is for KRaft; in zookeeper mode `controllers` is the ensemble size",
        );
      }
      const count = typeof raw === "number" ? raw : 1; // the schema bounds it (at most 99)
      const nodes = Array.from({ length: count }, (_, i) => `zookeeper-${i + 1}`);
      for (const n of nodes) this.addNode(n, "zookeeper", segments);
      return { kind: "zookeeper", nodes };
    }
    if (raw === undefined || raw === "combined") {
      return { kind: "combined", voterIds: brokers.slice(0, 3).map((b) => b.id) };
    }
    const first = (brokers.at(-1)?.id ?? 0) + 1;
    if (first + raw - 1 > MAX_BROKER_ID) {
      this.report(
        segments,
        `controller ids follow the largest broker id and would pass ${MAX_BROKER_ID}`,
      );
    }
    const ids = Array.from({ length: raw }, (_, i) => first + i);
    ids.forEach((id, i) => {
      this.addNode(String(id), "controller", segments);
      this.aliases.set(`controller-${i + 1}`, String(id));
    });
    return { kind: "dedicated", ids };
  }

  /** Topics and clients need a Kafka cluster; bare hosts are not one. */
  private checkKafkaParts(): void {
    if (this.cluster !== null) return;
    for (const key of ["topics", "clients"] as const) {
      if ((this.raw[key] ?? []).length > 0) {
        this.report(
          [key],
          `${key} need a Kafka cluster: add a \`cluster\` section (hosts are bare machines)`,
          undefined,
          "key",
        );
      }
    }
  }

  // --- topics and clients --------------------------------------------------------------------

  private topic(raw: RawTopic, segments: Segs): TopicSpec {
    const assignment = raw.assignment ?? null;
    if (assignment !== null) this.checkAssignment(raw, assignment, [...segments, "assignment"]);
    const config = { ...(raw.config ?? {}) };
    this.checkTopic(raw, config, segments);
    return {
      name: raw.name,
      partitions: raw.partitions ?? null,
      replicationFactor: raw["replication-factor"] ?? null,
      config,
      assignment: assignment?.map((replicas) => [...replicas]) ?? null,
    };
  }

  /**
   * A topic's configs, and what CreateTopics checks against the cluster: the replication factor
   * (given, or default.replication.factor) against the brokers. min.insync.replicas above the
   * replication factor is accepted by Kafka, and makes every acks=all write fail: a warning.
   */
  private checkTopic(raw: RawTopic, config: ConfigMap, segments: Segs): void {
    const cluster = this.cluster;
    const brokerConfig = this.brokerConfig;
    if (cluster === null || brokerConfig === null) return; // reported: topics need a cluster
    const configSegs = [...segments, "config"];
    const valid = this.checkConfigMap("topic", cluster.version, config, configSegs);
    const resolved = resolveTopicConfig(cluster.version, brokerConfig, valid ?? {});
    if (valid !== null) this.checkAcrossConfigs(resolved, config, configSegs);
    const given = raw["replication-factor"];
    const rf =
      given ??
      raw.assignment?.[0]?.length ??
      configNumber(brokerConfig, "default.replication.factor");
    const brokers = cluster.brokers.length;
    if (raw.assignment === undefined && rf > brokers) {
      const kafka = replicationFactorMessage(cluster.mode, rf, brokers);
      if (given !== undefined) this.report([...segments, "replication-factor"], kafka);
      else
        this.report(
          segments,
          `${kafka} The topic sets no \`replication-factor\`, so it takes default.replication.factor (${rf}).`,
        );
    }
    const minIsr = configNumber(resolved, "min.insync.replicas");
    if (minIsr > rf) {
      const own = Object.hasOwn(config, "min.insync.replicas");
      const at = own
        ? [...configSegs, "min.insync.replicas"]
        : given !== undefined
          ? [...segments, "replication-factor"]
          : segments;
      this.warn(
        at,
        `min.insync.replicas is ${minIsr}${own ? "" : " (the cluster's)"} but the replication factor is ${rf}: Kafka creates the topic, and every acks=all write to it fails with NOT_ENOUGH_REPLICAS`,
      );
    }
  }

  /** A manual assignment, checked as Kafka's validateManualPartitionAssignment does. */
  private checkAssignment(raw: RawTopic, assignment: number[][], segments: Segs): void {
    if (raw.partitions !== undefined && raw.partitions !== assignment.length) {
      this.report(
        segments,
        `lists ${assignment.length} partitions but \`partitions\` is ${raw.partitions}`,
      );
    }
    const given = raw["replication-factor"];
    const first = assignment[0]?.length ?? 0;
    assignment.forEach((replicas, p) => {
      if (given !== undefined && replicas.length !== given) {
        this.report(
          [...segments, p],
          `partition ${p} has ${replicas.length} replicas; the replication factor is ${given}`,
        );
      } else if (given === undefined && replicas.length !== first) {
        this.report(
          [...segments, p],
          `The manual partition assignment includes a partition with ${replicas.length} replica(s), but this is not consistent with previous partitions, which have ${first} replica(s).`,
        );
      }
      const seen = new Set<number>();
      replicas.forEach((id, r) => {
        if (seen.has(id)) {
          this.report(
            [...segments, p, r],
            `The manual partition assignment includes the broker ${id} more than once.`,
          );
        }
        seen.add(id);
        this.brokerId(id, [...segments, p, r]);
      });
    });
  }

  // --- Kafka configs -------------------------------------------------------------------------

  /**
   * Checks each key of a `config` map against Kafka's definitions for the version: an unknown key
   * is reported at the key, a bad value at the value, a key the version does not have is a
   * warning. Returns the entries Kafka would apply (valid and in this version), as written, or
   * null when a key was wrong: checks across keys would then run on a default the author did not
   * choose, and report a second, misleading problem.
   */
  private checkConfigMap(
    kind: ConfigKind,
    version: VersionProfile,
    config: ConfigMap,
    segments: Segs,
  ): ConfigMap | null {
    const applied: [string, ConfigValue][] = [];
    let wrong = false;
    for (const [key, value] of Object.entries(config)) {
      const result = validateConfig(kind, version, key, value);
      const at = [...segments, key];
      if (!result.ok) {
        const { message, suggestion } = splitSuggestion(result.error);
        this.report(at, message, suggestion, configDef(kind, key) === undefined ? "key" : "value");
        wrong = true;
      } else if (result.warning !== undefined) {
        this.warn(at, result.warning, undefined, "key");
      } else {
        applied.push([key, value]);
      }
    }
    // fromEntries: a key named __proto__ stays an ordinary key.
    return wrong ? null : Object.fromEntries(applied);
  }

  /**
   * The errors Kafka finds across configs (KafkaConfig, LogConfig, KafkaProducer, ConsumerConfig),
   * from config.ts's resolution of the valid entries, located at the config the message names.
   * Its warnings are left out: they are adjustments Kafka makes itself and logs (idempotence
   * turned off by acks=1, delivery.timeout.ms raised), not mistakes in the file.
   */
  private checkAcrossConfigs(resolved: ResolvedConfig, config: ConfigMap, segments: Segs): void {
    for (const issue of resolved.issues) {
      if (issue.level !== "error") continue;
      const { key, message } =
        resolved.kind === "producer" && issue.key === "enable.idempotence"
          ? idempotenceProblem(resolved, config, issue)
          : issue;
      // The config the message is about if the file sets it, else the one config.ts blamed
      // (enable.idempotence against a default acks), else any the message names.
      const named =
        [key, issue.key].find((k) => Object.hasOwn(config, k)) ??
        Object.keys(config).find((k) => message.includes(k));
      this.report(named === undefined ? segments : [...segments, named], message);
    }
  }

  /** A client's configs: each key, then the checks the Java client makes at construction. */
  private clientConfig(
    kind: "producer" | "consumer",
    raw: Record<string, ConfigValue> | undefined,
    segments: Segs,
  ): ConfigMap {
    const config = { ...(raw ?? {}) };
    const cluster = this.cluster;
    if (cluster === null) return config; // reported: clients need a cluster
    const valid = this.checkConfigMap(kind, cluster.version, config, segments);
    if (valid !== null) {
      this.checkAcrossConfigs(resolveClientConfig(kind, cluster.version, valid), config, segments);
    }
    return config;
  }

  /**
   * `alter-config`: each value set, each name deleted, and for brokers the rule of
   * IncrementalAlterConfigs that only dynamic configs change at runtime.
   */
  private checkAlterConfig(
    kind: "topic" | "broker",
    set: ConfigMap,
    del: readonly string[],
    segments: Segs,
  ): void {
    const cluster = this.cluster;
    if (cluster === null) return; // reported: alter-config needs a cluster
    this.checkConfigMap(kind, cluster.version, set, [...segments, "set"]);
    del.forEach((key, i) => {
      const def = configDef(kind, key);
      // An unknown name gets validateConfig's message; a known one only its version warning.
      const result = validateConfig(kind, cluster.version, key, def?.default ?? null);
      if (def === undefined && !result.ok) {
        const { message, suggestion } = splitSuggestion(result.error);
        this.report([...segments, "delete", i], message, suggestion);
      } else if (result.ok && result.warning !== undefined) {
        this.warn([...segments, "delete", i], result.warning);
      }
    });
    if (kind !== "broker") return;
    const staticOnly = (key: string) => {
      const def = configDef("broker", key);
      return def !== undefined && def.dynamic !== true && def.feature !== true;
    };
    for (const key of Object.keys(set)) {
      if (staticOnly(key)) {
        this.report(
          [...segments, "set", key],
          `Cannot update these configs dynamically: ${key}`,
          undefined,
          "key",
        );
      }
    }
    del.forEach((key, i) => {
      if (staticOnly(key))
        this.report([...segments, "delete", i], `Cannot update these configs dynamically: ${key}`);
    });
  }

  private client(raw: NonNullable<RawScenario["clients"]>[number], segments: Segs): ClientSpec {
    this.addNode(raw.id, "client", [...segments, "id"]);
    this.clientTypes.set(raw.id, raw.type);
    const payloads = raw.payloads ?? this.raw.payloads ?? false;
    if (raw.type === "stream-processor") return this.streamProcessor(raw, segments, payloads);
    const config = this.clientConfig(raw.type, raw.config, [...segments, "config"]);
    if (raw.type === "producer") {
      const workload =
        raw.workload === undefined ? null : this.workload(raw.workload, [...segments, "workload"]);
      this.checkTransactional(config, workload, segments);
      return { type: "producer", id: raw.id, config, workload, payloads };
    }
    return {
      type: "consumer",
      id: raw.id,
      group: raw.group ?? null,
      subscribe: [...(raw.subscribe ?? [])],
      config,
      processingTimeUs:
        this.optDuration(raw["processing-time"], [...segments, "processing-time"]) ?? 0,
      processing: raw.processing ?? "sync",
      commit: raw.commit ?? "none",
      payloads,
    };
  }

  /**
   * A stream processor: Kafka Streams' own keys, then its consumer's and producer's configs (the
   * `consumer.` and `producer.` prefixed keys) validated as those clients' configs are.
   */
  private streamProcessor(
    raw: Extract<NonNullable<RawScenario["clients"]>[number], { type: "stream-processor" }>,
    segments: Segs,
    payloads: boolean,
  ): StreamProcessorSpec {
    this.addNode(`${raw.id}-producer`, "client", [...segments, "id"]);
    const configSegs = [...segments, "config"];
    const config = { ...(raw.config ?? {}) };
    const version = this.cluster?.version ?? DEFAULT_VERSION;
    const { settings, problems } = resolveStreamsSettings(version, raw.id, config);
    for (const problem of problems) {
      this.report(
        [...configSegs, problem.key],
        problem.message,
        problem.suggestion,
        problem.at === "key" && problem.key in config ? "key" : undefined,
      );
    }
    const split = splitStreamsConfig(config);
    for (const [kind, prefix, part] of [
      ["consumer", "consumer.", split.consumer],
      ["producer", "producer.", split.producer],
    ] as const) {
      const cluster = this.cluster;
      if (cluster === null) break;
      for (const [key, value] of Object.entries(part)) {
        const result = validateConfig(kind, cluster.version, key, value);
        if (result.ok) continue;
        const { message, suggestion } = splitSuggestion(result.error);
        this.report(
          [...configSegs, `${prefix}${key}`],
          message,
          suggestion,
          configDef(kind, key) === undefined ? "key" : "value",
        );
      }
    }
    return {
      type: "stream-processor",
      id: raw.id,
      input: [...raw.input],
      output: raw.output,
      config,
      settings: settings ?? {
        applicationId: "",
        guarantee: "at_least_once",
        commitIntervalMs: 0,
        consumer: {},
        producer: {},
      },
      processingTimeUs:
        this.optDuration(raw["processing-time"], [...segments, "processing-time"]) ?? 0,
      valueSizeBytes: this.optSize(raw["value-size"], [...segments, "value-size"]),
      payloads,
    };
  }

  private workload(raw: RawWorkload, segments: Segs): WorkloadSpec {
    const fromUs = this.optDuration(raw.from, [...segments, "from"]) ?? 0;
    const untilUs = this.optDuration(raw.until, [...segments, "until"]);
    if (raw.until !== undefined && raw.count !== undefined) {
      this.report([...segments, "count"], "give `until` or `count`, not both", undefined, "key");
    }
    if (untilUs !== null && untilUs < fromUs) {
      this.report(
        [...segments, "until"],
        `ends (${formatDurationUs(untilUs)}) before it starts (${formatDurationUs(fromUs)})`,
      );
    }
    return {
      topic: raw.topic,
      rate: this.unit(parseRate, raw.rate, [...segments, "rate"], { recordsPerSec: 1 }),
      arrival: raw.arrival ?? "fixed",
      keys: this.keys(raw.keys, [...segments, "keys"]),
      valueSizeBytes: this.optSize(raw["value-size"], [...segments, "value-size"]),
      fromUs,
      untilUs,
      count: raw.count ?? null,
      ...(raw.transaction === undefined
        ? {}
        : {
            transaction: { records: raw.transaction.records, end: raw.transaction.end ?? "commit" },
          }),
    };
  }

  /**
   * A transactional workload needs a transactional.id, and a producer with a transactional.id
   * needs its workload in transactions (KafkaProducer refuses a send outside one).
   */
  private checkTransactional(
    config: ConfigMap,
    workload: WorkloadSpec | null,
    segments: Segs,
  ): void {
    const id = config["transactional.id"];
    const hasId = id !== undefined && id !== null && String(id) !== "";
    if (workload?.transaction !== undefined && !hasId) {
      this.report(
        [...segments, "workload", "transaction"],
        "a transactional workload needs a producer with a transactional.id",
        "add `transactional.id: tx-1` (any stable id) to this producer's config",
        "key",
      );
    }
    if (hasId && workload !== null && workload.transaction === undefined) {
      this.report(
        [...segments, "config", "transactional.id"],
        "a producer with a transactional.id can only send inside transactions, and its workload has none",
        "add `transaction: { records: 10, end: commit }` to this producer's workload, or remove transactional.id",
        "key",
      );
    }
  }

  private keys(raw: RawWorkload["keys"], segments: Segs): KeySpec {
    if (raw === undefined || raw === "none") return { kind: "none" };
    if (Array.isArray(raw)) return { kind: "list", keys: raw.map(String) };
    if (raw === "sequence") return { kind: "sequence" };
    const numbers = raw.match(/\d+(?:\.\d+)?/g) ?? [];
    const n = Number(numbers[0]);
    if (!(n >= 1 && Number.isSafeInteger(n))) {
      this.report(
        segments,
        `the number of keys must be a whole number of at least 1; got ${quoteValue(raw)}`,
      );
    }
    if (raw.startsWith("uniform")) return { kind: "uniform", n };
    const s = Number(numbers[1]);
    if (!(s > 0))
      this.report(segments, `zipf's exponent s must be above 0; got ${quoteValue(raw)}`);
    return { kind: "zipf", n, s };
  }

  // --- timeline ------------------------------------------------------------------------------

  private entry(raw: RawTimelineEntry, index: number): TimelineEntry {
    const segments: Segs = ["timeline", index];
    const atUs = this.duration(raw.at, [...segments, "at"]);
    const source = this.file.sourceLocation(segments);
    const key = Object.keys(raw).find((k) => k !== "at") as keyof RawActions;
    const actionSegs = [...segments, key];
    if (this.cluster === null && KAFKA_ACTIONS.has(key)) {
      this.report(
        actionSegs,
        `\`${key}\` needs a Kafka cluster: add a \`cluster\` section`,
        undefined,
        "key",
      );
    }
    const action = this.action(key, raw, actionSegs, atUs, source);
    return { atUs, action, index, source };
  }

  private action(
    key: keyof RawActions,
    entry: RawTimelineEntry,
    s: Segs,
    atUs: number,
    source: SourceLocation,
  ): Action {
    const any = (v: string | number, segs: Segs, what = `\`${key}\``) =>
      this.node(v, segs, ANY_NODE, what);
    const link = (raw: { from: string | number; to: string | number }) => ({
      from: any(raw.from, [...s, "from"]),
      to: any(raw.to, [...s, "to"]),
    });
    switch (key) {
      case "crash": {
        const raw = entry.crash!;
        if (typeof raw === "object")
          return {
            kind: "crash",
            node: any(raw.node, [...s, "node"]),
            mode: raw.mode ?? "process",
          };
        return { kind: "crash", node: any(raw, s), mode: "process" };
      }
      case "restart":
      case "isolate":
        return { kind: key, node: any(entry[key]!, s) };
      case "shutdown":
        return { kind: "shutdown", node: this.node(entry.shutdown!, s, ["broker"], "`shutdown`") };
      case "partition":
        return { kind: "partition", groups: this.partitionGroups(entry.partition!, s) };
      case "cut":
      case "hold":
      case "release":
      case "reset":
        return { kind: key, ...link(entry[key]!) };
      case "heal": {
        const raw = entry.heal!;
        return { kind: "heal", target: raw === "all" ? "all" : any(raw, s) };
      }
      case "delay": {
        const raw = entry.delay!;
        return {
          kind: "delay",
          ...link(raw),
          latencyUs: this.duration(raw.latency, [...s, "latency"]),
          oneWay: raw["one-way"] ?? false,
        };
      }
      case "throttle": {
        const raw = entry.throttle!;
        return {
          kind: "throttle",
          node: any(raw.node, [...s, "node"]),
          bandwidthBitsPerSec: this.unit(
            parseBandwidthBitsPerSec,
            raw.bandwidth,
            [...s, "bandwidth"],
            1,
          ),
        };
      }
      case "slow-disk":
        return {
          kind: "slow-disk",
          node: this.diskNode(entry["slow-disk"]!, s),
          factor: entry["slow-disk"]!.factor,
        };
      case "fail-disk":
      case "disk-full": {
        const raw = entry[key]!;
        const node = this.diskNode(raw, s);
        const disk = raw.disk ?? 0;
        const disks =
          this.byName.get(node)?.role === "broker" ? (this.cluster?.hardware.disks ?? 1) : 1;
        if (disk >= disks)
          this.report(
            [...s, "disk"],
            `there ${disks === 1 ? "is 1 disk" : `are ${disks} disks`} (0-based); got ${disk}`,
          );
        return { kind: key, node, disk };
      }
      case "create-topic":
        return { kind: "create-topic", topic: this.topic(entry["create-topic"]!, s) };
      case "delete-topic":
        return { kind: "delete-topic", topic: entry["delete-topic"]! };
      case "alter-topic":
        return {
          kind: "alter-topic",
          topic: entry["alter-topic"]!.name,
          partitions: entry["alter-topic"]!.partitions,
        };
      case "alter-config":
        return this.alterConfig(entry["alter-config"]!, s);
      case "reassign": {
        const raw = entry.reassign!;
        raw.replicas.forEach((id, i) => {
          this.brokerId(id, [...s, "replicas", i]);
        });
        return {
          kind: "reassign",
          topic: raw.topic,
          partition: raw.partition,
          replicas: [...raw.replicas],
        };
      }
      case "elect-leaders": {
        const raw = entry["elect-leaders"]!;
        if (raw.partition !== undefined && raw.topic === undefined) {
          this.report([...s, "partition"], "`partition` needs `topic`", undefined, "key");
        }
        return {
          kind: "elect-leaders",
          electionType: raw.type,
          topic: raw.topic ?? null,
          partition: raw.partition ?? null,
        };
      }
      case "start":
      case "stop":
      case "kill":
        return { kind: key, client: this.clientRef(entry[key]!, s, null, `\`${key}\``) };
      case "commit":
        return { kind: "commit", client: this.clientRef(entry.commit!, s, "consumer", "`commit`") };
      case "produce": {
        const raw = entry.produce!;
        return {
          kind: "produce",
          client:
            raw.client === undefined
              ? null
              : this.clientRef(raw.client, [...s, "client"], "producer", "`produce`"),
          topic: raw.topic,
          key: raw.key === undefined ? null : String(raw.key),
          value: raw.value === undefined ? null : String(raw.value),
          partition: raw.partition ?? null,
          count: raw.count ?? 1,
        };
      }
      case "cli": {
        const raw = entry.cli!;
        if (typeof raw === "string") return { kind: "cli", command: raw, input: [] };
        return { kind: "cli", command: raw.command, input: (raw.input ?? []).map(String) };
      }
      case "say":
        return { kind: "say", text: entry.say! };
      case "ask":
        return { kind: "ask", question: entry.ask!.question, answer: entry.ask!.answer };
      case "pause":
        return { kind: "pause" };
      case "expect":
        return this.timedExpect(entry.expect!, s, atUs, source);
      case "transfer": {
        const raw = entry.transfer!;
        return {
          kind: "transfer",
          ...link(raw),
          sizeBytes: this.unit(parseSizeBytes, raw.size, [...s, "size"], 0),
          mode: raw.mode ?? "sendfile",
          read: raw.read ?? "sequential",
        };
      }
    }
  }

  private partitionGroups(raw: (string | number)[][], segments: Segs): string[][] {
    const seenIn = new Map<string, number>();
    return raw.map((group, g) =>
      group.map((member, m) => {
        const name = this.node(member, [...segments, g, m], ANY_NODE, "`partition`");
        const earlier = seenIn.get(name);
        if (earlier !== undefined && earlier !== g) {
          this.report([...segments, g, m], `\`${name}\` is in two groups (${earlier} and ${g})`);
        }
        seenIn.set(name, g);
        return name;
      }),
    );
  }

  private diskNode(
    raw: { broker?: string | number; node?: string | number },
    segments: Segs,
  ): string {
    if ((raw.broker === undefined) === (raw.node === undefined)) {
      this.report(
        segments,
        raw.broker === undefined
          ? "needs `broker` (or `node`)"
          : "give `broker` or `node`, not both",
      );
      return "";
    }
    const key = raw.broker !== undefined ? "broker" : "node";
    return this.node((raw.broker ?? raw.node)!, [...segments, key], DISK_NODES, "a disk fault");
  }

  private alterConfig(raw: RawActions["alter-config"], segments: Segs): Action {
    const set = { ...(raw.set ?? {}) };
    const del = [...(raw.delete ?? [])];
    if (Object.keys(set).length === 0 && del.length === 0) {
      this.report(segments, "needs `set` or `delete`");
    }
    if ((raw.topic === undefined) === (raw.broker === undefined)) {
      this.report(segments, "give exactly one of `topic` and `broker`");
      return {
        kind: "alter-config",
        entity: { type: "topic", name: raw.topic ?? "" },
        set,
        delete: del,
      };
    }
    const entity =
      raw.topic !== undefined
        ? ({ type: "topic", name: raw.topic } as const)
        : ({
            type: "broker",
            node: this.node(raw.broker!, [...segments, "broker"], ["broker"], "`alter-config`"),
          } as const);
    this.checkAlterConfig(entity.type, set, del, segments);
    return { kind: "alter-config", entity, set, delete: del };
  }

  private timedExpect(
    raw: RawActions["expect"],
    segments: Segs,
    atUs: number,
    source: SourceLocation,
  ): Action {
    if ((raw.partition === undefined) === (raw.group === undefined)) {
      this.report(segments, "an `expect` entry checks exactly one of `partition` or `group`");
    }
    const expectation =
      raw.partition !== undefined
        ? this.partitionExpect(raw.partition, [...segments, "partition"], atUs, source)
        : this.groupExpect(raw.group ?? { id: "" }, atUs, source);
    return { kind: "expect", expectation };
  }

  // --- expectations --------------------------------------------------------------------------

  private expectation(raw: RawExpectEntry, segments: Segs): Expectation | null {
    const source = this.file.sourceLocation(segments);
    const given = (["check", "partition", "group"] as const).filter((k) => raw[k] !== undefined);
    if (given.length !== 1) {
      const found =
        given.length === 0 ? "found none" : `found ${given.map((k) => `\`${k}\``).join(" and ")}`;
      this.report(
        segments,
        `an expectation needs exactly one of \`check\`, \`partition\` or \`group\`; ${found}`,
      );
      return null;
    }
    if (raw.check !== undefined) {
      if (raw.at !== undefined) {
        this.report(
          [...segments, "at"],
          "a checker runs over the whole run: remove `at`",
          undefined,
          "key",
        );
      }
      return { kind: "check", check: raw.check, holds: raw.holds ?? true, source };
    }
    if (raw.holds !== undefined) {
      this.report([...segments, "holds"], "`holds` goes with `check`", undefined, "key");
    }
    if (raw.at === undefined) {
      this.report(
        [...segments, raw.partition !== undefined ? "partition" : "group"],
        "needs `at`: a time or `end`",
        undefined,
        "key",
      );
    }
    const atUs =
      raw.at === undefined || raw.at === "end" ? "end" : this.duration(raw.at, [...segments, "at"]);
    if (raw.partition !== undefined) {
      return this.partitionExpect(raw.partition, [...segments, "partition"], atUs, source);
    }
    return this.groupExpect(raw.group!, atUs, source);
  }

  private partitionExpect(
    raw: RawPartitionExpect,
    segments: Segs,
    atUs: number | "end",
    source: SourceLocation,
  ): PartitionExpectation {
    const ids = (key: "isr" | "elr" | "replicas") => {
      const list = raw[key];
      if (list === undefined) return null;
      list.forEach((id, i) => {
        this.brokerId(id, [...segments, key, i]);
      });
      return [...list];
    };
    if (typeof raw.leader === "number") this.brokerId(raw.leader, [...segments, "leader"]);
    return {
      kind: "partition",
      atUs,
      topic: raw.topic,
      partition: raw.partition,
      leader: raw.leader ?? null,
      leaderEpoch: raw["leader-epoch"] ?? null,
      isr: ids("isr"),
      elr: ids("elr"),
      replicas: ids("replicas"),
      highWatermark: raw["high-watermark"] ?? null,
      logStartOffset: raw["log-start-offset"] ?? null,
      lastStableOffset: raw["last-stable-offset"] ?? null,
      source,
    };
  }

  private groupExpect(
    raw: RawGroupExpect,
    atUs: number | "end",
    source: SourceLocation,
  ): GroupExpectation {
    return {
      kind: "group",
      atUs,
      id: raw.id,
      state: raw.state ?? null,
      members: raw.members ?? null,
      lag: raw.lag ?? null,
      generation: raw.generation ?? null,
      source,
    };
  }

  // --- whole-file checks ---------------------------------------------------------------------

  private checkUnique(values: readonly string[], list: string, key: string, what: string): void {
    const seen = new Set<string>();
    values.forEach((v, i) => {
      if (seen.has(v)) this.report([list, i, key], `${what} \`${v}\` is defined twice`);
      seen.add(v);
    });
  }

  private checkWithinDuration(
    timeline: readonly TimelineEntry[],
    expect: readonly (Expectation | null)[],
    durationUs: number,
  ): void {
    const end = formatDurationUs(durationUs);
    for (const entry of timeline) {
      if (entry.atUs > durationUs) {
        this.report(
          ["timeline", entry.index, "at"],
          `${formatDurationUs(entry.atUs)} is after the end of the run (duration ${end})`,
        );
      }
    }
    expect.forEach((e, i) => {
      if (e !== null && e.kind !== "check" && e.atUs !== "end" && e.atUs > durationUs) {
        this.report(
          ["expect", i, "at"],
          `${formatDurationUs(e.atUs)} is after the end of the run (duration ${end})`,
        );
      }
    });
  }
}

/**
 * Kafka's own words when a topic needs more replicas than there are brokers: the KRaft
 * controller's (ReplicationControlManager with StripedReplicaPlacer, as the simulated controller
 * answers), or AdminUtils' in ZooKeeper mode.
 */
function replicationFactorMessage(mode: ClusterMode, rf: number, brokers: number): string {
  return mode === "kraft"
    ? `Unable to replicate the partition ${rf} time(s): The target replication factor of ${rf} cannot be reached because only ${brokers} broker(s) are registered.`
    : `Replication factor: ${rf} larger than available brokers: ${brokers}.`;
}

/**
 * The ConfigException KafkaProducer throws for the conflict config.ts found
 * (ProducerConfig.postProcessAndValidateIdempotenceConfigs): the first rule broken, in Kafka's
 * order, and the config to point at. Falls back to config.ts's words for anything else.
 */
function idempotenceProblem(
  resolved: ResolvedConfig,
  config: ConfigMap,
  issue: { key: string; message: string },
): { key: string; message: string } {
  const values = resolved.values;
  const explicit = Object.hasOwn(config, "enable.idempotence");
  const transactional = values["transactional.id"] !== null;
  if (transactional && (!explicit || values["enable.idempotence"] === false)) {
    return {
      key: explicit ? "enable.idempotence" : "transactional.id",
      message: "Cannot set a transactional.id without also enabling idempotence.",
    };
  }
  if (values.retries === 0) {
    return {
      key: "retries",
      message: "Must set retries to non-zero when using the idempotent producer.",
    };
  }
  if (values.acks !== "all" && values.acks !== "-1") {
    return {
      key: "acks",
      message:
        "Must set acks to all in order to use the idempotent producer. Otherwise we cannot guarantee idempotence.",
    };
  }
  const inFlight = values["max.in.flight.requests.per.connection"];
  if (typeof inFlight === "number" && inFlight > 5) {
    return {
      key: "max.in.flight.requests.per.connection",
      message: `To use the idempotent producer, max.in.flight.requests.per.connection must be set to at most 5. Current value is ${inFlight}.`,
    };
  }
  return issue;
}

const DID_YOU_MEAN = /; did you mean `([^`]+)`\?$/;

/** validateConfig's "; did you mean `x`?" becomes the issue's suggestion (printed once). */
function splitSuggestion(text: string): { message: string; suggestion?: string } {
  const match = DID_YOU_MEAN.exec(text);
  if (match === null) return { message: text };
  return { message: text.slice(0, match.index), suggestion: match[1]! };
}

/** "1, 2, 3, producer-1" or the first 12 and a count. */
function summarize(names: readonly string[]): string {
  if (names.length <= 12) return names.join(", ");
  return `${names.slice(0, 12).join(", ")}, ... (${names.length} in all)`;
}
