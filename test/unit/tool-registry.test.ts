// Kafka's tools: how a command finds its tool (the spellings people copy from tutorials), the
// option helpers every tool shares, and the connection flags by version.
import { describe, expect, it } from "vitest";
import { findTool, TOOLS } from "../../sim/tools/registry.ts";
import {
  connectionError,
  optionValue,
  optionValues,
  splitCommand,
  toolNameOf,
  unknownOption,
} from "../../sim/tools/tool.ts";

describe("tools: registry", () => {
  it("finds a tool however it is spelled", () => {
    for (const word of [
      "kafka-topics",
      "kafka-topics.sh",
      "bin/kafka-topics.sh",
      "./bin/kafka-topics.sh",
      "/opt/kafka/bin/kafka-topics.sh",
      "bin\\windows\\kafka-topics.bat",
    ]) {
      expect(toolNameOf(word)).toBe("kafka-topics");
      expect(findTool(word)).toMatchObject({ name: "kafka-topics" });
    }
  });

  it("suggests the nearest tool for a misspelled one and lists them all", () => {
    const found = findTool("kafka-topic.sh");
    expect("error" in found && found.error).toContain("did you mean kafka-topics.sh?");
    const none = findTool("zookeeper-shell.sh");
    expect("error" in none && none.error).toContain("no such Kafka tool");
    for (const name of TOOLS.keys()) expect("error" in none && none.error).toContain(`${name}.sh`);
  });
});

describe("tools: options", () => {
  it("reads values in both of jopt-simple's spellings", () => {
    const args = ["--topic", "a", "--topic=b", "--partitions", "3"];
    expect(optionValues(args, "--topic")).toEqual(["a", "b"]);
    expect(optionValue(args, "--partitions")).toBe("3");
    expect(optionValue(args, "--replication-factor")).toBeUndefined();
  });

  it("names the first unknown option in jopt-simple's words, skipping option values", () => {
    const known = new Set(["--topic", "--describe"]);
    const takes = new Set(["--topic"]);
    expect(unknownOption(["--describe", "--topic", "--odd-name"], known, takes)).toBeUndefined();
    expect(unknownOption(["--describe", "--partitons", "3"], known, takes)).toBe(
      'Exception in thread "main" joptsimple.UnrecognizedOptionException: partitons is not a recognized option',
    );
  });

  it("--zookeeper until 3.0, --bootstrap-server from the tool's version", () => {
    const zk = ["--zookeeper", "localhost:2181", "--list"];
    const bs = ["--bootstrap-server", "localhost:9092", "--list"];
    expect(connectionError("kafka-topics.sh", zk, "2.8", "2.2")).toBeUndefined();
    expect(connectionError("kafka-topics.sh", zk, "3.0", "2.2")).toContain(
      "zookeeper is not a recognized option",
    );
    expect(connectionError("kafka-topics.sh", bs, "2.2", "2.2")).toBeUndefined();
    expect(connectionError("kafka-topics.sh", bs, "2.1", "2.2")).toContain(
      "bootstrap-server is not a recognized option",
    );
    expect(connectionError("kafka-topics.sh", ["--list"], "4.1", "2.2")).toBe(
      'Missing required argument "[bootstrap-server]"',
    );
    expect(connectionError("kafka-topics.sh", ["--list"], "0.10", "2.2")).toBe(
      'Missing required argument "[zookeeper]"',
    );
  });
});

describe("tools: command lines split as a shell splits them", () => {
  it("keeps quoted words whole and drops the quotes", () => {
    expect(splitCommand(`kafka-reassign-partitions.sh --broker-list "2,3,4" --generate`)).toEqual([
      "kafka-reassign-partitions.sh",
      "--broker-list",
      "2,3,4",
      "--generate",
    ]);
    expect(splitCommand(`kafka-console-producer.sh --property 'key.separator= ' -x`)).toEqual([
      "kafka-console-producer.sh",
      "--property",
      "key.separator= ",
      "-x",
    ]);
    expect(splitCommand(`a "say \\"hi\\"" b\\ c  ''`)).toEqual(["a", 'say "hi"', "b c", ""]);
    expect(splitCommand("  spaced   out ")).toEqual(["spaced", "out"]);
  });

  it("reports an unterminated quote", () => {
    expect(splitCommand(`kafka-topics.sh --topic "orders`)).toEqual({
      error: "unterminated double quote",
    });
    expect(splitCommand("x 'y")).toEqual({ error: "unterminated single quote" });
  });
});
