/**
 * `kafka-configs.sh`: `--describe` and `--alter --add-config k=v,k2=v2 / --delete-config k` for
 * topics and brokers (core/src/main/scala/kafka/admin/ConfigCommand.scala). Entities are named
 * with `--entity-type topics|brokers --entity-name X`, `--entity-default` (the cluster-wide broker
 * default), or the shortcuts `--topic X`, `--broker N`, `--broker-defaults`.
 *
 * Describe reads the controller's committed image (standing in for DescribeConfigs) and prints
 * ConfigCommand's layout: `Dynamic configs for topic X are:` (`All configs ...` with --all,
 * `Default configs for brokers in the cluster are:` for the default), then per entry
 * `  name=value sensitive=false synonyms={SOURCE:name=value, ...}`, entries sorted by name. The
 * synonyms are the broker's (ConfigHelper.configSynonyms): the topic's own value, then the broker
 * configs that would supply it, level by level (dynamic per-broker, dynamic cluster default,
 * server.properties, Kafka's default), starting from the first entry named like the primary
 * broker synonym, as Kafka drops the ones before it.
 * Alter checks what ConfigCommand checks (the entity exists, --delete-config names a dynamic
 * config that is set) and sends IncrementalAlterConfigs through the admin client; success prints
 * `Completed updating config for topic X.`. With `--zookeeper` (before 3.0) the ZooKeeper code
 * path's lines are printed (`Configs for topic 'X' are k=v`, `Completed Updating config for
 * entity: topic 'X'.`).
 *
 * Simplifies: other entity types (clients, users, ips, broker-loggers, groups) are refused;
 * --add-config-file is not read; a topic's synonyms leave out per-broker dynamic values (Kafka
 * shows those of the broker that answered); stack traces are cut to their first line.
 */

import {
  formatConfigValue,
  type ResolvedConfig,
  resolveBrokerConfig,
  resolveTopicConfig,
} from "../kafka/config.ts";
import {
  BROKER_TOPIC_SYNONYM,
  type ConfigDef,
  configDef,
  configDefault,
  configDefsFor,
  TOPIC_BROKER_SYNONYMS,
} from "../kafka/config-defs.ts";
import type { MetadataImage } from "../kafka/metadata/image.ts";
import { exceptionText } from "./java-exceptions.ts";
import {
  connectionError,
  hasFlag,
  optionValues,
  type Tool,
  type ToolContext,
  type ToolOutput,
  unknownOption,
} from "./tool.ts";

const TAKES_VALUE = new Set([
  "--bootstrap-server",
  "--bootstrap-controller",
  "--zookeeper",
  "--command-config",
  "--entity-type",
  "--entity-name",
  "--topic",
  "--broker",
  "--client",
  "--user",
  "--ip",
  "--broker-logger",
  "--group",
  "--client-metrics",
  "--add-config",
  "--add-config-file",
  "--delete-config",
]);
const KNOWN = new Set([
  ...TAKES_VALUE,
  "--describe",
  "--alter",
  "--entity-default",
  "--broker-defaults",
  "--client-defaults",
  "--user-defaults",
  "--ip-defaults",
  "--all",
  "--force",
  "--help",
  "--version",
]);
const ENTITY_FLAGS = [
  "--topic",
  "--broker",
  "--client",
  "--user",
  "--ip",
  "--broker-logger",
  "--group",
  "--client-metrics",
  "--broker-defaults",
  "--client-defaults",
  "--user-defaults",
  "--ip-defaults",
];

export type ConfigEntityType = "topics" | "brokers";

export interface ConfigCommandPlan {
  readonly action: "describe" | "alter";
  readonly entityType: ConfigEntityType;
  /** The entity's name; "" for the broker default; undefined: every entity of the type. */
  readonly entityName: string | undefined;
  readonly all: boolean;
  readonly addConfigs: Readonly<Record<string, string>>;
  readonly deleteConfigs: readonly string[];
  readonly zookeeper: boolean;
}

function stderr(message: string): ToolOutput {
  return { stdout: "", stderr: `${message}\n`, exitCode: 1 };
}

/** ConfigCommand.parseConfigsToBeAdded: commas outside [] separate pairs, [] around values drop. */
export function parseConfigsToBeAdded(text: string): Record<string, string> | string {
  const pairs: string[] = [];
  let depth = 0;
  let current = "";
  for (const ch of text) {
    if (ch === "[") depth++;
    if (ch === "]") depth = Math.max(0, depth - 1);
    if (ch === "," && depth === 0) {
      pairs.push(current);
      current = "";
    } else current += ch;
  }
  pairs.push(current);
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf("=");
    if (at < 0 || pair.indexOf("=", at + 1) >= 0) {
      return 'requirement failed: Invalid entity config: all configs to be added must be in the format "key=val".';
    }
    out[pair.slice(0, at).trim()] = pair
      .slice(at + 1)
      .replace(/[[\]]/g, "")
      .trim();
  }
  return out;
}

/** Parses and checks the arguments as ConfigCommandOptions.checkArgs does. */
export function parseConfigCommand(
  ctx: Pick<ToolContext, "version">,
  args: readonly string[],
): ConfigCommandPlan | string {
  const unknown = unknownOption(args, KNOWN, TAKES_VALUE);
  // ConfigCommand catches jopt-simple's OptionException and prints its message alone.
  if (unknown !== undefined) return unknown.replace(/^.*UnrecognizedOptionException: /, "");
  const has = (name: string) =>
    hasFlag(args, name) || (TAKES_VALUE.has(name) && optionValues(args, name).length > 0);
  const actions = ["--alter", "--describe"].filter(has);
  if (actions.length !== 1) return "Command must include exactly one action: --describe, --alter";
  const action = actions[0] === "--alter" ? "alter" : "describe";
  if (action === "describe" && (has("--add-config") || has("--delete-config"))) {
    return `Option "[describe]" can't be used with option "[${has("--add-config") ? "add-config" : "delete-config"}]"`;
  }
  // Entity: --entity-type/--entity-name/--entity-default, or one of the specific flags.
  const generic = has("--entity-type") || has("--entity-name") || has("--entity-default");
  const specific = ENTITY_FLAGS.filter(has);
  if (generic && specific.length > 0) {
    return "--entity-{type,name,default} should not be used in conjunction with specific entity flags";
  }
  let types = optionValues(args, "--entity-type");
  let names: string[] = [
    ...optionValues(args, "--entity-name"),
    ...(has("--entity-default") ? [""] : []),
  ];
  for (const flag of specific) {
    const type = flag.endsWith("-defaults") ? `${flag.slice(2, -9)}s` : `${flag.slice(2)}s`;
    types = [...types, type === "broker-loggers" ? "broker-loggers" : type];
    names = [...names, ...(flag.endsWith("-defaults") ? [""] : optionValues(args, flag))];
  }
  if (types.length === 0) return "At least one entity type must be specified";
  if (types.length > 1) return "Only 'users' and 'clients' entity types may be specified together";
  const type = types[0]!;
  if (type !== "topics" && type !== "brokers") {
    return `kafkasim: kafka-configs.sh handles --entity-type topics and brokers; ${type} are not modelled`;
  }
  const connection = connectionError(
    "kafka-configs.sh",
    args,
    ctx.version,
    type === "topics" ? "2.6" : "1.1",
  );
  if (connection !== undefined) {
    return connection.startsWith("Missing required argument")
      ? "One of the required --bootstrap-server or --bootstrap-controller arguments must be specified"
      : connection.replace(/^.*UnrecognizedOptionException: /, "");
  }
  const name = names[0];
  if (type === "brokers" && name !== undefined && name !== "" && !/^\d+$/.test(name)) {
    return `The entity name for brokers must be a valid integer broker id, but it is: ${name}`;
  }
  if (type === "topics" && name === "") {
    return "kafkasim: --entity-default applies to brokers (and clients, users, ips), not topics";
  }
  let addConfigs: Record<string, string> = {};
  const deleteConfigs = optionValues(args, "--delete-config")
    .flatMap((v) => v.split(","))
    .map((v) => v.trim());
  if (action === "alter") {
    if (name === undefined) return `an entity name must be specified with --alter of ${type}`;
    if (has("--add-config") && has("--add-config-file")) {
      return "Only one of --add-config or --add-config-file must be specified";
    }
    if (has("--add-config-file")) {
      return "kafkasim: --add-config-file is not read in a scenario (there are no files); use --add-config";
    }
    if (!has("--add-config") && !has("--delete-config")) {
      return "At least one of --add-config, --add-config-file, or --delete-config must be specified with --alter";
    }
    for (const text of optionValues(args, "--add-config")) {
      const parsed = parseConfigsToBeAdded(text);
      if (typeof parsed === "string") return parsed;
      addConfigs = { ...addConfigs, ...parsed };
    }
  }
  return {
    action,
    entityType: type,
    entityName: name,
    all: has("--all"),
    addConfigs,
    deleteConfigs,
    zookeeper: has("--zookeeper"),
  };
}

// ---------------------------------------------------------------- what DescribeConfigs returns

type Level =
  | "DYNAMIC_TOPIC_CONFIG"
  | "DYNAMIC_BROKER_CONFIG"
  | "DYNAMIC_DEFAULT_BROKER_CONFIG"
  | "STATIC_BROKER_CONFIG"
  | "DEFAULT_CONFIG";

export interface DescribedConfig {
  readonly name: string;
  readonly value: string | null;
  readonly source: Level;
  readonly sensitive: boolean;
  readonly synonyms: ReadonlyArray<{ source: Level; name: string; value: string | null }>;
}

/** What the tool reads: the image's dynamic configs, the static broker config, the version. */
export interface ConfigsWorld {
  readonly image: MetadataImage;
  readonly ctx: Pick<ToolContext, "version" | "brokerConfig"> & {
    /** server.properties as the scenario gives it, and the broker count (for the resolved view). */
    readonly staticConfig: Readonly<Record<string, unknown>>;
    readonly brokerCount: number;
  };
}

function isSensitive(def: ConfigDef | undefined): boolean {
  return def?.type === "password";
}

/** Broker config values at one level, as strings. */
function brokerLevel(
  world: ConfigsWorld,
  level: Level,
  brokerId: string | undefined,
): Record<string, string> {
  const { image, ctx } = world;
  if (level === "DYNAMIC_BROKER_CONFIG") {
    return brokerId === undefined || brokerId === "" ? {} : image.configsOf("BROKER", brokerId);
  }
  if (level === "DYNAMIC_DEFAULT_BROKER_CONFIG") return image.configsOf("BROKER", "");
  const out: Record<string, string> = {};
  for (const def of configDefsFor("broker", ctx.version)) {
    if (level === "STATIC_BROKER_CONFIG") {
      if (ctx.brokerConfig.sources[def.name] !== "STATIC_BROKER_CONFIG") continue;
      out[def.name] = formatConfigValue(ctx.brokerConfig.values[def.name] ?? null, def.type);
    } else {
      const value = configDefault(def, ctx.version);
      if (value !== null) out[def.name] = formatConfigValue(value, def.type);
    }
  }
  return out;
}

/** ConfigHelper.configSynonyms: level by level, then drop until the first entry named `primary`. */
function brokerSynonyms(
  world: ConfigsWorld,
  group: readonly string[],
  primary: string,
  levels: readonly Level[],
  brokerId: string | undefined,
  sensitive: boolean,
): Array<{ source: Level; name: string; value: string | null }> {
  const all: Array<{ source: Level; name: string; value: string | null }> = [];
  for (const level of levels) {
    const values = brokerLevel(world, level, brokerId);
    for (const name of group) {
      if (name in values)
        all.push({ source: level, name, value: sensitive ? null : values[name]! });
    }
  }
  const first = all.findIndex((s) => s.name === primary);
  return first < 0 ? [] : all.slice(first);
}

function effectiveBrokerConfig(world: ConfigsWorld, brokerId: string | undefined): ResolvedConfig {
  const { image, ctx } = world;
  return resolveBrokerConfig(ctx.version, ctx.staticConfig, {
    brokerCount: ctx.brokerCount,
    dynamicDefault: image.configsOf("BROKER", ""),
    ...(brokerId === undefined || brokerId === ""
      ? {}
      : { dynamic: image.configsOf("BROKER", brokerId) }),
  });
}

/** A topic's configs as DescribeConfigs returns them (all, or only its own with !all). */
export function describeTopicConfigs(
  world: ConfigsWorld,
  topic: string,
  all: boolean,
): DescribedConfig[] {
  const own = world.image.configsOf("TOPIC", topic);
  const resolved = resolveTopicConfig(
    world.ctx.version,
    effectiveBrokerConfig(world, undefined),
    own,
  );
  const names = all
    ? configDefsFor("topic", world.ctx.version)
        .filter((d) => d.internal !== true)
        .map((d) => d.name)
    : Object.keys(own);
  return names.sort().map((name) => {
    const def = configDef("topic", name);
    const sensitive = isSensitive(def);
    const group = (TOPIC_BROKER_SYNONYMS[name] ?? []).map((s) => s.broker);
    const synonyms = [
      ...(name in own
        ? [{ source: "DYNAMIC_TOPIC_CONFIG" as Level, name, value: sensitive ? null : own[name]! }]
        : []),
      ...(group.length === 0
        ? []
        : brokerSynonyms(
            world,
            group,
            group[0]!,
            ["DYNAMIC_DEFAULT_BROKER_CONFIG", "STATIC_BROKER_CONFIG", "DEFAULT_CONFIG"],
            undefined,
            sensitive,
          )),
    ];
    const value =
      name in own ? own[name]! : formatConfigValue(resolved.values[name] ?? null, def?.type);
    return {
      name,
      value: sensitive ? null : value,
      source: synonyms[0]?.source ?? "DEFAULT_CONFIG",
      sensitive,
      synonyms,
    };
  });
}

/** A broker's (or, with "", the cluster default's) configs as DescribeConfigs returns them. */
export function describeBrokerConfigs(
  world: ConfigsWorld,
  brokerId: string,
  all: boolean,
): DescribedConfig[] {
  const levels: Level[] =
    brokerId === ""
      ? ["DYNAMIC_DEFAULT_BROKER_CONFIG", "STATIC_BROKER_CONFIG", "DEFAULT_CONFIG"]
      : [
          "DYNAMIC_BROKER_CONFIG",
          "DYNAMIC_DEFAULT_BROKER_CONFIG",
          "STATIC_BROKER_CONFIG",
          "DEFAULT_CONFIG",
        ];
  const own = brokerLevel(world, levels[0]!, brokerId);
  const resolved = effectiveBrokerConfig(world, brokerId);
  const names = all
    ? configDefsFor("broker", world.ctx.version)
        .filter((d) => d.internal !== true && d.feature !== true)
        .map((d) => d.name)
    : Object.keys(own);
  return names.sort().map((name) => {
    const def = configDef("broker", name);
    const sensitive = isSensitive(def);
    const topic = BROKER_TOPIC_SYNONYM[name];
    const group =
      topic === undefined ? [name] : (TOPIC_BROKER_SYNONYMS[topic] ?? []).map((s) => s.broker);
    const synonyms = brokerSynonyms(world, group, name, levels, brokerId, sensitive);
    const value =
      name in own ? own[name]! : formatConfigValue(resolved.values[name] ?? null, def?.type);
    return {
      name,
      value: sensitive ? null : value,
      source: synonyms[0]?.source ?? "DEFAULT_CONFIG",
      sensitive,
      synonyms,
    };
  });
}

/** `  name=value sensitive=false synonyms={SOURCE:name=value, ...}` */
export function formatDescribedConfig(entry: DescribedConfig): string {
  const synonyms = entry.synonyms.map((s) => `${s.source}:${s.name}=${s.value}`).join(", ");
  return `  ${entry.name}=${entry.value} sensitive=${entry.sensitive} synonyms={${synonyms}}\n`;
}

// ---------------------------------------------------------------- the tool

function worldOf(ctx: ToolContext, image: MetadataImage): ConfigsWorld {
  return {
    image,
    ctx: {
      version: ctx.version,
      brokerConfig: ctx.brokerConfig,
      staticConfig: ctx.cluster.spec.config,
      brokerCount: ctx.cluster.spec.brokers.length,
    },
  };
}

/** ConfigCommand's catch-all: the command line, then the exception's first stack-trace line. */
function executionFailure(args: readonly string[], text: string): ToolOutput {
  return {
    stdout: "",
    stderr: `Error while executing config command with args '${args.join(" ")}'\njava.util.concurrent.ExecutionException: ${text}\n`,
    exitCode: 1,
  };
}

function entityLabel(type: ConfigEntityType, name: string): string {
  return type === "topics" ? `topic ${name}` : `broker ${name}`;
}

function zkEntityLabel(type: ConfigEntityType, name: string): string {
  if (name === "") return "default broker";
  return type === "topics" ? `topic '${name}'` : `broker '${name}'`;
}

function describe(
  ctx: ToolContext,
  plan: ConfigCommandPlan,
  args: readonly string[],
  image: MetadataImage,
): ToolOutput {
  const world = worldOf(ctx, image);
  const type = plan.entityType;
  let entities: string[];
  if (plan.entityName !== undefined) entities = [plan.entityName];
  else if (type === "topics") entities = image.sortedTopicNames();
  else
    entities = [
      ...image
        .sortedBrokerIds()
        .filter((id) => image.isActive(id))
        .map(String),
      "",
    ];
  if (
    type === "topics" &&
    plan.entityName !== undefined &&
    image.topicByName(plan.entityName) === undefined
  ) {
    return executionFailure(
      args,
      exceptionText("UNKNOWN_TOPIC_OR_PARTITION", `The topic '${plan.entityName}' does not exist.`),
    );
  }
  let out = "";
  for (const entity of entities) {
    const entries =
      type === "topics"
        ? describeTopicConfigs(world, entity, plan.all)
        : describeBrokerConfigs(world, entity, plan.all);
    if (plan.zookeeper) {
      // The ZooKeeper code path printed the entity's znode overrides on one line.
      const own = entries.filter(
        (e) => e.source !== "DEFAULT_CONFIG" && e.source !== "STATIC_BROKER_CONFIG",
      );
      out += `Configs for ${zkEntityLabel(type, entity)} are ${own.map((e) => `${e.name}=${e.value}`).join(",")}\n`;
      continue;
    }
    out +=
      entity === ""
        ? "Default configs for brokers in the cluster are:\n"
        : `${plan.all ? "All" : "Dynamic"} configs for ${entityLabel(type, entity)} are:\n`;
    for (const e of entries) out += formatDescribedConfig(e);
  }
  return { stdout: out, stderr: "", exitCode: 0 };
}

function alter(
  ctx: ToolContext,
  plan: ConfigCommandPlan,
  args: readonly string[],
  image: MetadataImage,
  done: (output: ToolOutput) => void,
): void {
  const name = plan.entityName!;
  const type = plan.entityType;
  if (type === "topics" && image.topicByName(name) === undefined) {
    return done(
      executionFailure(
        args,
        exceptionText("UNKNOWN_TOPIC_OR_PARTITION", `The topic '${name}' does not exist.`),
      ),
    );
  }
  // --delete-config must name configs the entity sets itself (ConfigCommand reads them first).
  const own = type === "topics" ? image.configsOf("TOPIC", name) : image.configsOf("BROKER", name);
  const invalid = plan.deleteConfigs.filter((k) => !(k in own));
  if (invalid.length > 0) return done(stderr(`Invalid config(s): ${invalid.join(",")}`));
  ctx.admin.call(
    {
      op: "IncrementalAlterConfigs",
      resourceType: type === "topics" ? "topic" : "broker",
      resourceName: name,
      set: plan.addConfigs,
      delete: plan.deleteConfigs,
    },
    (result) => {
      const item = result.results[0];
      const error = result.error !== "NONE" ? result.error : (item?.error ?? "NONE");
      if (error !== "NONE") {
        const message =
          error === "REQUEST_TIMED_OUT" && (item?.message ?? "") === ""
            ? "Timed out waiting for a node assignment. Call: incrementalAlterConfigs"
            : (item?.message ?? "");
        return done(executionFailure(args, exceptionText(error, message)));
      }
      const line = plan.zookeeper
        ? `Completed Updating config for entity: ${zkEntityLabel(type, name)}.`
        : name === ""
          ? "Completed updating default config for brokers in the cluster."
          : `Completed updating config for ${entityLabel(type, name)}.`;
      done({ stdout: `${line}\n`, stderr: "", exitCode: 0 });
    },
  );
}

export const kafkaConfigsTool: Tool = (ctx, args, _input, done) => {
  const plan = parseConfigCommand(ctx, args);
  if (typeof plan === "string") return done(stderr(plan));
  const image = ctx.image();
  if (image === undefined) {
    return done(
      executionFailure(
        args,
        exceptionText(
          "REQUEST_TIMED_OUT",
          `Timed out waiting for a node assignment. Call: ${plan.action === "alter" ? "incrementalAlterConfigs" : "describeConfigs"}`,
        ),
      ),
    );
  }
  if (plan.action === "describe") return done(describe(ctx, plan, args, image));
  alter(ctx, plan, args, image, done);
};
