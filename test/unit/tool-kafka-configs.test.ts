// kafka-configs.sh: ConfigCommand's layouts, written by hand from its println calls
// ("Dynamic configs for topic X are:", "  name=value sensitive=false synonyms={SOURCE:name=value, ...}",
// "Completed updating config for topic X.") and the broker's synonym rules (ConfigHelper: the
// topic's own value, then broker synonyms level by level, dropped up to the first one named like
// the primary broker config).
import { describe, expect, it } from "vitest";
import type { MetadataImage } from "../../sim/kafka/metadata/image.ts";
import {
  kafkaConfigsTool,
  parseConfigCommand,
  parseConfigsToBeAdded,
} from "../../sim/tools/kafka-configs.ts";
import { answer, fakeContext, imageOf, runTool } from "./tool-context-fake.ts";

const BS = "--bootstrap-server localhost:9092";

function setConfig(
  image: MetadataImage,
  type: "TOPIC" | "BROKER",
  name: string,
  key: string,
  value: string,
) {
  image.apply({ type: "ConfigRecord", resourceType: type, resourceName: name, name: key, value });
}

function configs(
  command: string,
  image: MetadataImage,
  options: Parameters<typeof fakeContext>[0] = {},
) {
  const { ctx, run } = fakeContext({ image, ...options });
  return { out: runTool(kafkaConfigsTool, ctx, run, command), run };
}

describe("tools: kafka-configs.sh --describe", () => {
  it("lists a topic's own configs with their synonyms, sorted by name", () => {
    const image = imageOf([1, 2, 3], { orders: [[1, 2, 3]] });
    setConfig(image, "TOPIC", "orders", "retention.ms", "3600000");
    setConfig(image, "TOPIC", "orders", "cleanup.policy", "compact");
    setConfig(image, "TOPIC", "orders", "min.insync.replicas", "2");
    const { out } = configs(`${BS} --describe --entity-type topics --entity-name orders`, image);
    // retention.ms: its broker synonyms (log.retention.ms, .minutes, .hours) have only the
    // default log.retention.hours=168, which Kafka drops (not named log.retention.ms).
    expect(out).toEqual({
      stdout:
        "Dynamic configs for topic orders are:\n" +
        "  cleanup.policy=compact sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:cleanup.policy=compact, DEFAULT_CONFIG:log.cleanup.policy=delete}\n" +
        "  min.insync.replicas=2 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:min.insync.replicas=2, DEFAULT_CONFIG:min.insync.replicas=1}\n" +
        "  retention.ms=3600000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=3600000}\n",
      stderr: "",
      exitCode: 0,
    });
  });

  it("shows server.properties and the cluster default among the synonyms, in level order", () => {
    const image = imageOf([1, 2, 3], { orders: [[1, 2, 3]] });
    setConfig(image, "TOPIC", "orders", "min.insync.replicas", "3");
    setConfig(image, "BROKER", "", "min.insync.replicas", "2");
    const { out } = configs(`${BS} --describe --topic orders`, image, {
      staticConfig: { "min.insync.replicas": 1 },
    });
    expect(out?.stdout).toBe(
      "Dynamic configs for topic orders are:\n" +
        "  min.insync.replicas=3 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:min.insync.replicas=3, DYNAMIC_DEFAULT_BROKER_CONFIG:min.insync.replicas=2, STATIC_BROKER_CONFIG:min.insync.replicas=1, DEFAULT_CONFIG:min.insync.replicas=1}\n",
    );
  });

  it("prints a topic without overrides as a header alone", () => {
    const image = imageOf([1], { t: [[1]] });
    expect(configs(`${BS} --describe --topic t`, image).out?.stdout).toBe(
      "Dynamic configs for topic t are:\n",
    );
  });

  it("describes brokers: each one's dynamic configs, then the cluster default", () => {
    const image = imageOf([1, 2], {});
    setConfig(image, "BROKER", "1", "log.cleaner.threads", "2");
    setConfig(image, "BROKER", "", "log.retention.ms", "60000");
    const { out } = configs(`${BS} --describe --entity-type brokers`, image);
    expect(out?.stdout).toBe(
      "Dynamic configs for broker 1 are:\n" +
        "  log.cleaner.threads=2 sensitive=false synonyms={DYNAMIC_BROKER_CONFIG:log.cleaner.threads=2, DEFAULT_CONFIG:log.cleaner.threads=1}\n" +
        "Dynamic configs for broker 2 are:\n" +
        "Default configs for brokers in the cluster are:\n" +
        "  log.retention.ms=60000 sensitive=false synonyms={DYNAMIC_DEFAULT_BROKER_CONFIG:log.retention.ms=60000, DEFAULT_CONFIG:log.retention.hours=168}\n",
    );
  });

  it("--all lists every topic config with its value and source", () => {
    const image = imageOf([1], { t: [[1]] });
    const out = configs(`${BS} --describe --topic t --all`, image).out!.stdout;
    expect(out.split("\n")[0]).toBe("All configs for topic t are:");
    expect(out).toContain(
      "  cleanup.policy=delete sensitive=false synonyms={DEFAULT_CONFIG:log.cleanup.policy=delete}\n",
    );
    expect(out).toContain("  retention.ms=604800000 sensitive=false synonyms={}\n");
  });

  it("fails for a topic that does not exist, as the admin call's ExecutionException", () => {
    const image = imageOf([1], {});
    const command = `${BS} --describe --topic nope`;
    expect(configs(command, image).out).toEqual({
      stdout: "",
      stderr:
        `Error while executing config command with args '${command}'\n` +
        "java.util.concurrent.ExecutionException: org.apache.kafka.common.errors.UnknownTopicOrPartitionException: The topic 'nope' does not exist.\n",
      exitCode: 1,
    });
  });

  it("prints the ZooKeeper path's one-line form with --zookeeper (before 3.0)", () => {
    const image = imageOf([1], { t: [[1]] });
    setConfig(image, "TOPIC", "t", "retention.ms", "1000");
    setConfig(image, "TOPIC", "t", "cleanup.policy", "compact");
    expect(
      configs("--zookeeper z:2181 --describe --entity-type topics --entity-name t", image, {
        version: "2.8",
      }).out?.stdout,
    ).toBe("Configs for topic 't' are cleanup.policy=compact,retention.ms=1000\n");
  });
});

describe("tools: kafka-configs.sh --alter", () => {
  it("sends IncrementalAlterConfigs and prints Completed updating config", () => {
    const image = imageOf([1], { orders: [[1]] });
    setConfig(image, "TOPIC", "orders", "segment.ms", "1000");
    const { out, run } = configs(
      `${BS} --alter --entity-type topics --entity-name orders --add-config retention.ms=60000,cleanup.policy=[compact,delete] --delete-config segment.ms`,
      image,
      { answer: () => answer("orders") },
    );
    expect(run.requests).toEqual([
      {
        op: "IncrementalAlterConfigs",
        resourceType: "topic",
        resourceName: "orders",
        set: { "retention.ms": "60000", "cleanup.policy": "compact,delete" },
        delete: ["segment.ms"],
      },
    ]);
    expect(out).toEqual({
      stdout: "Completed updating config for topic orders.\n",
      stderr: "",
      exitCode: 0,
    });
  });

  it("names brokers and the cluster default in its success line", () => {
    const image = imageOf([1], {});
    expect(
      configs(`${BS} --alter --broker 1 --add-config log.cleaner.threads=2`, image, {
        answer: () => answer("1"),
      }).out?.stdout,
    ).toBe("Completed updating config for broker 1.\n");
    const def = configs(
      `${BS} --alter --entity-type brokers --entity-default --add-config log.retention.ms=1000`,
      image,
      {
        answer: () => answer(""),
      },
    );
    expect(def.run.requests[0]).toMatchObject({ resourceType: "broker", resourceName: "" });
    expect(def.out?.stdout).toBe("Completed updating default config for brokers in the cluster.\n");
  });

  it("refuses to delete a config the entity does not set", () => {
    const image = imageOf([1], { t: [[1]] });
    const { out, run } = configs(
      `${BS} --alter --topic t --delete-config retention.ms,segment.ms`,
      image,
    );
    expect(run.requests).toEqual([]);
    expect(out).toEqual({
      stdout: "",
      stderr: "Invalid config(s): retention.ms,segment.ms\n",
      exitCode: 1,
    });
  });

  it("prints the controller's refusal as the admin call's ExecutionException", () => {
    const image = imageOf([1], { t: [[1]] });
    const command = `${BS} --alter --topic t --add-config retention.mss=1`;
    const { out } = configs(command, image, {
      answer: () => answer("t", "INVALID_CONFIG", "Unknown topic config name: retention.mss"),
    });
    expect(out?.stderr).toBe(
      `Error while executing config command with args '${command}'\n` +
        "java.util.concurrent.ExecutionException: org.apache.kafka.common.errors.InvalidConfigurationException: Unknown topic config name: retention.mss\n",
    );
  });
});

describe("tools: kafka-configs.sh option checks", () => {
  const parse = (command: string) => parseConfigCommand({ version: "4.1" }, command.split(" "));

  it("checks actions, entities and the alter options in ConfigCommand's words", () => {
    expect(parse(`${BS} --topic t`)).toBe(
      "Command must include exactly one action: --describe, --alter",
    );
    expect(parse(`${BS} --describe`)).toBe("At least one entity type must be specified");
    expect(parse(`${BS} --alter --entity-type topics`)).toBe(
      "an entity name must be specified with --alter of topics",
    );
    expect(parse(`${BS} --alter --topic t`)).toBe(
      "At least one of --add-config, --add-config-file, or --delete-config must be specified with --alter",
    );
    expect(parse(`${BS} --describe --entity-type topics --topic t`)).toBe(
      "--entity-{type,name,default} should not be used in conjunction with specific entity flags",
    );
    expect(parse(`${BS} --describe --entity-type brokers --entity-name one`)).toBe(
      "The entity name for brokers must be a valid integer broker id, but it is: one",
    );
    expect(parse("--describe --topic t")).toBe(
      "One of the required --bootstrap-server or --bootstrap-controller arguments must be specified",
    );
    expect(parse(`${BS} --describe --topic t --colour`)).toBe("colour is not a recognized option");
  });

  it("splits --add-config at commas outside brackets and wants key=val", () => {
    expect(parseConfigsToBeAdded("a=1, b = [x,y] ,c=")).toEqual({ a: "1", b: "x,y", c: "" });
    expect(parseConfigsToBeAdded("a")).toBe(
      'requirement failed: Invalid entity config: all configs to be added must be in the format "key=val".',
    );
  });
});
