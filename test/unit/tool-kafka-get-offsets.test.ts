// kafka-get-offsets.sh: GetOffsetShell's options and its "topic:partition:offset" lines, and the
// ListOffsets client under it: one request per leader, retries on a moved leader, a give-up after
// the admin client's 60 s default.api.timeout.ms when a leader never answers.
import { describe, expect, it } from "vitest";
import { type Actor, Engine, type SimEvent } from "../../sim/engine/engine.ts";
import { DISK_PROFILES, NIC_PROFILES } from "../../sim/infra/hardware.ts";
import { type NetDelivery, Network } from "../../sim/infra/network.ts";
import type { ListOffsetsRequest, ListOffsetsResponse } from "../../sim/kafka/protocol.ts";
import {
  formatOffsets,
  parseGetOffsets,
  selectPartitions,
} from "../../sim/tools/kafka-get-offsets.ts";
import { ListOffsetsClient, type OffsetAnswer } from "../../sim/tools/list-offsets-client.ts";

const BS = ["--bootstrap-server", "localhost:9092"];
const TOPICS = [
  { name: "orders", partitions: 3 },
  { name: "audit", partitions: 1 },
  { name: "__consumer_offsets", partitions: 2 },
];

function select(args: string[]) {
  const plan = parseGetOffsets("4.1", [...BS, ...args]);
  if (typeof plan === "string") throw new Error(plan);
  return selectPartitions(plan, TOPICS).map((p) => `${p.topic}-${p.partition}`);
}

describe("tools: kafka-get-offsets.sh options", () => {
  it("selects every partition by default, sorted by topic then partition", () => {
    expect(select([])).toEqual([
      "__consumer_offsets-0",
      "__consumer_offsets-1",
      "audit-0",
      "orders-0",
      "orders-1",
      "orders-2",
    ]);
    expect(select(["--exclude-internal-topics"])).toEqual([
      "audit-0",
      "orders-0",
      "orders-1",
      "orders-2",
    ]);
  });

  it("takes --topic as a regular expression and --partitions as ids and ranges (end excluded)", () => {
    expect(select(["--topic", "ord.*", "--partitions", "0,2"])).toEqual(["orders-0", "orders-2"]);
    expect(select(["--topic", "orders", "--partitions", "1-"])).toEqual(["orders-1", "orders-2"]);
    expect(select(["--topic-partitions", "orders:0-2,audit"])).toEqual([
      "audit-0",
      "orders-0",
      "orders-1",
    ]);
  });

  it("reads --time -1/latest and -2/earliest, refuses what the brokers do not model", () => {
    const time = (t: string) => parseGetOffsets("4.1", [...BS, "--time", t]);
    expect(time("-2")).toMatchObject({ timestamp: -2 });
    expect(time("latest")).toMatchObject({ timestamp: -1 });
    expect(time("1700000000000")).toMatch(/^kafkasim: --time 1700000000000: .*not modelled/);
    expect(time("soon")).toMatch(/^Malformed time argument soon\. Please use -1 or latest/);
  });

  it("refuses --topic-partitions with --topic, and runs from 3.0 only", () => {
    expect(parseGetOffsets("4.1", [...BS, "--topic-partitions", "a:0", "--topic", "a"])).toBe(
      "--topic-partitions cannot be used with --topic or --partitions",
    );
    expect(parseGetOffsets("2.8", BS)).toMatch(/arrived in Kafka 3\.0 \(KIP-635\)/);
  });

  it("prints topic:partition:offset, and a failed partition on stderr", () => {
    const answers: OffsetAnswer[] = [
      { topic: "orders", partition: 0, timestamp: -1, error: "NONE", offset: 42 },
      { topic: "orders", partition: 1, timestamp: -1, error: "REQUEST_TIMED_OUT", offset: -1 },
    ];
    expect(formatOffsets(answers)).toEqual({
      stdout: "orders:0:42\n",
      stderr:
        "Skip getting offsets for topic-partition orders-1 due to error: org.apache.kafka.common.errors.TimeoutException: The request timed out.\n",
      exitCode: 0,
    });
  });
});

/** A broker that answers ListOffsets with `reply`, or stays silent when it returns undefined. */
class FakeBroker implements Actor {
  readonly requests: Array<{ t: number; partitions: string[] }> = [];
  constructor(
    readonly id: string,
    private readonly engine: Engine,
    private readonly net: Network,
    private readonly reply: (
      p: ListOffsetsRequest["partitions"][number],
      n: number,
    ) => { error: ListOffsetsResponse["partitions"][number]["error"]; offset: number } | undefined,
  ) {
    engine.register(this);
    net.addNode(id, { bandwidthBitsPerSec: 1_000_000_000 });
  }
  handle(event: SimEvent): void {
    if (event.kind !== "net.message") return;
    const m = (event.payload as NetDelivery<ListOffsetsRequest>).message;
    this.requests.push({
      t: this.engine.now,
      partitions: m.partitions.map((p) => `${p.topic}-${p.partition}`),
    });
    const answers = m.partitions.map((p) => ({ p, r: this.reply(p, this.requests.length) }));
    if (answers.some((a) => a.r === undefined)) return;
    this.net.send(this.id, (event.payload as NetDelivery).from, {
      type: "ListOffsetsResponse",
      bytes: 64,
      correlationId: m.correlationId,
      partitions: answers.map(({ p, r }) => ({
        topic: p.topic,
        partition: p.partition,
        error: r!.error,
        timestamp: p.timestamp,
        offset: r!.offset,
        leaderEpoch: 0,
      })),
    } satisfies ListOffsetsResponse);
  }
}

describe("tools: kafka-get-offsets.sh: the ListOffsets client", () => {
  const machine = {
    disks: [DISK_PROFILES.ssd],
    nic: NIC_PROFILES["10GbE"],
    memoryBytes: 1024 ** 3,
    cores: 2,
  };

  it("asks each leader once for its partitions, and retries a partition whose leader moved", () => {
    const engine = new Engine({ seed: 1 });
    const net = new Network(engine, { defaultLatencyUs: 100, jitterUs: 0 });
    let leaderOfP1 = 1;
    const b1 = new FakeBroker("1", engine, net, (p) =>
      p.partition === 1
        ? { error: "NOT_LEADER_OR_FOLLOWER", offset: -1 }
        : { error: "NONE", offset: 10 },
    );
    const b2 = new FakeBroker("2", engine, net, () => ({ error: "NONE", offset: 20 }));
    const client = new ListOffsetsClient(engine, net, "kafka-get-offsets-1", machine, (_t, p) =>
      p === 0 ? 1 : leaderOfP1,
    );
    let result: OffsetAnswer[] | undefined;
    client.listOffsets(
      [
        { topic: "t", partition: 0, timestamp: -1 },
        { topic: "t", partition: 1, timestamp: -1 },
      ],
      (answers) => {
        result = answers;
      },
    );
    leaderOfP1 = 2; // the metadata moves on before the retry
    engine.runUntil(1_000_000);
    expect(b1.requests.map((r) => r.partitions)).toEqual([["t-0", "t-1"]]);
    expect(b2.requests.map((r) => r.partitions)).toEqual([["t-1"]]);
    // The retry waits retry.backoff.ms (100 ms) after the answer.
    expect(b2.requests[0]!.t).toBeGreaterThanOrEqual(100_000);
    expect(result?.map((a) => [a.partition, a.error, a.offset])).toEqual([
      [0, "NONE", 10],
      [1, "NONE", 20],
    ]);
  });

  it("gives up on a silent leader after default.api.timeout.ms, one attempt per request.timeout.ms", () => {
    const engine = new Engine({ seed: 1 });
    const net = new Network(engine, { defaultLatencyUs: 100, jitterUs: 0 });
    const silent = new FakeBroker("1", engine, net, () => undefined);
    const client = new ListOffsetsClient(engine, net, "kafka-get-offsets-1", machine, () => 1);
    let result: OffsetAnswer[] | undefined;
    let doneAt = -1;
    client.listOffsets([{ topic: "t", partition: 0, timestamp: -2 }], (answers) => {
      result = answers;
      doneAt = engine.now;
    });
    engine.runUntil(120_000_000);
    // Sent at 0 and, after request.timeout.ms and the backoff, at 30.1 s (100 us of latency and
    // 1 us on the wire each); the call's deadline ends the second attempt at 60 s.
    expect(silent.requests.map((r) => r.t)).toEqual([101, 30_100_101]);
    expect(result).toEqual([
      { topic: "t", partition: 0, timestamp: -2, error: "REQUEST_TIMED_OUT", offset: -1 },
    ]);
    expect(doneAt).toBe(60_000_000);
  });
});
