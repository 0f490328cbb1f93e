/**
 * `kafka-verifiable-consumer.sh` (VerifiableConsumer, the consumer Kafka's system tests drive): a
 * real KafkaConsumer in group `--group-id` subscribed to `--topic`, printing one JSON object per
 * line for each event:
 *
 *   {"timestamp":1000,"name":"startup_complete"}
 *   {"timestamp":1040,"name":"partitions_assigned","partitions":[{"topic":"t","partition":0}]}
 *   {"timestamp":1052,"name":"records_consumed","count":3,"partitions":[{"topic":"t","partition":0,"count":3,"minOffset":0,"maxOffset":2}]}
 *   {"timestamp":1055,"name":"offsets_committed","offsets":[{"topic":"t","partition":0,"offset":3}],"success":true}
 *   {"timestamp":1060,"name":"shutdown_complete"}
 *
 * Kafka's behaviour kept: `--group-id` (required), `--topic`, `--max-messages` (-1: until the end
 * of the run), `--enable-autocommit` (off by default: the tool commits synchronously after each
 * poll and prints offsets_committed; with auto commit it prints none), `--reset-policy` (default
 * earliest), `--session-timeout`, `--assignment-strategy`, `--group-instance-id`,
 * `--bootstrap-server` or `--broker-list`; records beyond --max-messages in the last poll are
 * counted in records_consumed's `count` but not in its partitions' summaries; close, then
 * shutdown_complete. partitions_revoked is printed when a rebalance takes partitions away.
 * Simplifies: the poll's records are the consumer's delivered slices at one virtual instant; the
 * manual commit is the consumer's commitSync of its positions (the positions after the whole
 * poll, which equal maxOffset + 1 except when --max-messages cut the poll short); a failed commit
 * is not printed (the model reports acknowledged commits only); no --verbose record_data.
 */
import { ConfigException } from "../client/config-exception.ts";
import { KafkaConsumer } from "../client/consumer/kafka-consumer.ts";
import type { ConsumerCommitRecord, ConsumerPollRecord } from "../client/consumer/types.ts";
import { versionAtLeast } from "../kafka/version.ts";
import { ToolTimers, tapConsumerHistory } from "./client-tool-support.ts";
import { jsonLine } from "./kafka-verifiable-producer.ts";
import { hasFlag, optionValue, type Tool, toolError, unknownOption } from "./tool.ts";

const VALUED = new Set([
  "--topic",
  "--bootstrap-server",
  "--broker-list",
  "--group-id",
  "--max-messages",
  "--reset-policy",
  "--session-timeout",
  "--assignment-strategy",
  "--group-instance-id",
  "--group-protocol",
]);
const KNOWN = new Set([...VALUED, "--enable-autocommit", "--verbose"]);

const ASSIGNORS: Readonly<Record<string, string>> = {
  "org.apache.kafka.clients.consumer.RangeAssignor": "range",
  "org.apache.kafka.clients.consumer.RoundRobinAssignor": "roundrobin",
  "org.apache.kafka.clients.consumer.StickyAssignor": "sticky",
  "org.apache.kafka.clients.consumer.CooperativeStickyAssignor": "cooperative-sticky",
};

const tpJson = (tps: ReadonlyArray<{ topic: string; partition: number }>) =>
  `[${tps.map((tp) => `{"topic":${JSON.stringify(tp.topic)},"partition":${tp.partition}}`).join(",")}]`;

export const kafkaVerifiableConsumerTool: Tool = (ctx, args, _input, done) => {
  const fail = (m: string) => done(toolError(`verifiable-consumer: error: ${m}`));
  const unknown = unknownOption(args, KNOWN, VALUED);
  if (unknown !== undefined) return done(toolError(unknown));
  const bs = optionValue(args, "--bootstrap-server");
  if (bs !== undefined && !versionAtLeast(ctx.version, "2.5"))
    return fail("unrecognized arguments: '--bootstrap-server'");
  if (bs === undefined && optionValue(args, "--broker-list") === undefined)
    return fail("one of the arguments --bootstrap-server --broker-list is required");
  const topic = optionValue(args, "--topic");
  if (topic === undefined) return fail("argument --topic is required");
  const group = optionValue(args, "--group-id");
  if (group === undefined) return fail("argument --group-id is required");
  const maxText = optionValue(args, "--max-messages") ?? "-1";
  const maxMessages = Number(maxText);
  if (!Number.isSafeInteger(maxMessages))
    return fail(`argument --max-messages: could not convert '${maxText}' to Integer`);
  const autoCommit = hasFlag(args, "--enable-autocommit");
  const config: Record<string, string> = {
    "group.id": group,
    "enable.auto.commit": String(autoCommit),
    "auto.offset.reset": optionValue(args, "--reset-policy") ?? "earliest",
    "session.timeout.ms": optionValue(args, "--session-timeout") ?? "30000",
  };
  const strategy = optionValue(args, "--assignment-strategy");
  if (strategy !== undefined)
    config["partition.assignment.strategy"] = ASSIGNORS[strategy] ?? strategy;
  const instance = optionValue(args, "--group-instance-id");
  if (instance !== undefined) config["group.instance.id"] = instance;
  const protocol = optionValue(args, "--group-protocol");
  if (protocol !== undefined) config["group.protocol"] = protocol;

  const clientId = ctx.newClientId("kafka-verifiable-consumer");
  const timers = new ToolTimers(ctx, clientId);
  const ms = () => Math.floor(ctx.engine.now / 1000);
  const lines: string[] = [jsonLine(ms(), "startup_complete", "")];
  let consumed = 0;
  let finished = false;
  let polls: ConsumerPollRecord[] = [];
  let commits: ConsumerCommitRecord[] = [];
  const limited = maxMessages >= 0;

  const finish = () => {
    if (finished) return;
    finished = true;
    consumer.close();
    lines.push(jsonLine(ms(), "shutdown_complete", ""));
    done({ stdout: `${lines.join("\n")}\n`, stderr: "", exitCode: 0 });
  };

  /** The slices delivered at one instant are one poll's records. */
  const flushPoll = () => {
    const slices = polls;
    polls = [];
    if (finished || slices.length === 0) return;
    const count = slices.reduce((n, s) => n + s.count, 0);
    const summaries: string[] = [];
    for (const s of slices) {
      let n = s.count;
      if (limited && consumed + n > maxMessages) n = maxMessages - consumed;
      if (n <= 0) continue;
      // The slice's offsets are consecutive except across compacted gaps; the last one taken is
      // found from its end when the whole slice is taken.
      const maxOffset =
        n === s.count && s.nextOffset !== undefined ? s.nextOffset - 1 : s.offset + n - 1;
      summaries.push(
        `{"topic":${JSON.stringify(s.topic)},"partition":${s.partition},"count":${n},"minOffset":${s.offset},"maxOffset":${maxOffset}}`,
      );
      consumed += n;
      if (limited && consumed >= maxMessages) break;
    }
    lines.push(
      jsonLine(ms(), "records_consumed", `"count":${count},"partitions":[${summaries.join(",")}]`),
    );
    if (limited && consumed >= maxMessages && (autoCommit || commits.length > 0)) finish();
  };
  const flushCommits = () => {
    const list = commits;
    commits = [];
    if (finished || list.length === 0 || autoCommit) return;
    const offsets = list
      .map(
        (c) =>
          `{"topic":${JSON.stringify(c.topic)},"partition":${c.partition},"offset":${c.offset}}`,
      )
      .join(",");
    lines.push(jsonLine(ms(), "offsets_committed", `"offsets":[${offsets}],"success":true`));
    if (limited && consumed >= maxMessages) finish();
  };

  const history = tapConsumerHistory(
    ctx,
    (poll) => {
      if (poll.consumer !== clientId || finished) return;
      if (polls.length === 0) timers.at(ctx.engine.now, flushPoll);
      polls.push(poll);
    },
    (commit) => {
      if (commit.consumer !== clientId || finished) return;
      if (commits.length === 0) timers.at(ctx.engine.now, flushCommits);
      commits.push(commit);
    },
  );
  const sink = {
    ...history,
    rebalance: (r: Parameters<typeof history.rebalance>[0]) => {
      history.rebalance(r);
      if (r.consumer !== clientId || finished) return;
      if (r.revoked.length > 0)
        lines.push(jsonLine(ms(), "partitions_revoked", `"partitions":${tpJson(r.revoked)}`));
      lines.push(jsonLine(ms(), "partitions_assigned", `"partitions":${tpJson(r.assigned)}`));
    },
  };

  let consumer: KafkaConsumer;
  try {
    consumer = new KafkaConsumer(ctx.engine, ctx.network, {
      clientId,
      version: ctx.version,
      bootstrap: ctx.bootstrap,
      config,
      history: sink,
      app: { commit: autoCommit ? "none" : "sync" },
      machine: ctx.clientMachine,
      startAtUs: ctx.engine.now,
    });
  } catch (error) {
    if (!(error instanceof ConfigException)) throw error;
    return done(toolError(`org.apache.kafka.common.config.ConfigException: ${error.message}`));
  }
  consumer.subscribe([topic]);
  consumer.boot();
  if (maxMessages === 0) return finish();
  ctx.atRunEnd(finish);
};
