/**
 * `kafka-topics.sh`: the options Kafka's TopicCommand takes, run against the simulated cluster.
 * `--list` and `--describe` read the controller's committed image (describe's layout is in
 * kafka-topics-describe.ts); the other actions go through the admin client.
 */
import { configNumber, resolveTopicConfig } from "../kafka/config.ts";
import { versionProfile } from "../kafka/version.ts";
import { describeTopics } from "./kafka-topics-describe.ts";
import { hasFlag, optionValues, type Tool, toolError } from "./tool.ts";

export const kafkaTopicsTool: Tool = (ctx, args, _input, done) => {
  const image = ctx.image();
  if (image === undefined) {
    done(
      toolError(
        "Error while executing topic command : Timed out waiting for a node assignment. Call: describeTopics",
      ),
    );
    return;
  }
  const has = (flag: string) => hasFlag(args, flag);
  const topics = optionValues(args, "--topic");
  if (has("--list")) {
    const names = image
      .sortedTopicNames()
      .filter((n) => !(has("--exclude-internal") && n.startsWith("__")));
    done({ stdout: names.map((n) => `${n}\n`).join(""), stderr: "", exitCode: 0 });
    return;
  }
  if (!has("--describe")) {
    done(
      toolError(
        "kafkasim: this build runs kafka-topics.sh with --describe and --list; use the timeline's create-topic, alter-topic and delete-topic actions for the others",
      ),
    );
    return;
  }
  const profile = versionProfile(ctx.version);
  // --exclude-internal leaves out __consumer_offsets and the other internal topics.
  if (topics.length === 0 && has("--exclude-internal")) {
    topics.push(...image.sortedTopicNames().filter((n) => !n.startsWith("__")));
    if (topics.length === 0) {
      done({ stdout: "", stderr: "", exitCode: 0 });
      return;
    }
  }
  done(
    describeTopics(image, {
      ...(topics.length > 0 ? { topics } : {}),
      underReplicated: has("--under-replicated-partitions"),
      underMinIsr: has("--under-min-isr-partitions"),
      atMinIsr: has("--at-min-isr-partitions"),
      unavailable: has("--unavailable-partitions"),
      topicsWithOverrides: has("--topics-with-overrides"),
      ifExists: has("--if-exists"),
      printElr: profile.describePrintsElr,
      minIsrOf: (topic) =>
        configNumber(
          resolveTopicConfig(ctx.version, ctx.brokerConfig, image.configsOf("TOPIC", topic) ?? {}),
          "min.insync.replicas",
        ),
    }),
  );
};
