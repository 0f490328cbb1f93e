// tools: verifiable producer/consumer and the perf tests: kafka-verifiable-producer.sh prints one
// JSON line per event (startup, each send's success with its partition and offset, shutdown,
// tool_data); kafka-verifiable-consumer.sh prints its assignment, each poll's records_consumed and
// each manual commit; kafka-producer-perf-test.sh prints a line per 5 s window and a total with
// percentiles; kafka-consumer-perf-test.sh prints its header and one line with virtual dates.
import { describe, expect, it } from "vitest";
import { parseScenarioText } from "../../sim/scenario/load.ts";
import { runScenario } from "../../sim/scenario/runner.ts";
import { formatVirtualDate, javaDouble, javaFixed } from "../../sim/tools/client-tool-support.ts";
import { consumerPerfLine } from "../../sim/tools/kafka-consumer-perf-test.ts";
import { PerfStats } from "../../sim/tools/kafka-producer-perf-test.ts";

function run(timeline: string, duration = "30s") {
  const text = `version: 1
name: client tools
duration: ${duration}
cluster: { version: "4.1", brokers: 3 }
topics:
  - { name: t, partitions: 2, replication-factor: 3 }
timeline:
${timeline}`;
  return runScenario(parseScenarioText(text, "tools.yaml")).results;
}

type Json = Record<string, unknown>;
const lines = (out: string): Json[] =>
  out
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Json);

describe("tools: verifiable producer and consumer", () => {
  it("verifiable producer: startup, one success per value with distinct offsets per partition, shutdown, tool_data", () => {
    const r = run(`  - at: 1s
    cli: kafka-verifiable-producer.sh --bootstrap-server localhost:9092 --topic t --max-messages 6 --throughput 10 --value-prefix 3
`);
    const out = r.cli[0]!.output;
    // Jackson's field order: timestamp, name, then the event's fields.
    expect(out.split("\n")[0]).toBe('{"timestamp":1000,"name":"startup_complete"}');
    expect(out).toMatch(
      /^\{"timestamp":\d+,"name":"producer_send_success","key":null,"value":"3\.0","topic":"t","partition":\d,"offset":\d+\}$/m,
    );
    const events = lines(out);
    const successes = events.filter((e) => e.name === "producer_send_success");
    expect(successes.map((e) => e.value)).toEqual(["3.0", "3.1", "3.2", "3.3", "3.4", "3.5"]);
    const perPartition = new Map<number, number[]>();
    for (const e of successes) {
      const list = perPartition.get(e.partition as number) ?? [];
      list.push(e.offset as number);
      perPartition.set(e.partition as number, list);
    }
    for (const offsets of perPartition.values()) expect(offsets).toEqual(offsets.map((_, i) => i));
    // 10 records/s: one send every 100 ms of virtual time.
    const times = successes.map((e) => e.timestamp as number);
    expect(times[5]! - times[0]!).toBeGreaterThanOrEqual(500);
    const [shutdown, data] = events.slice(-2);
    expect(shutdown!.name).toBe("shutdown_complete");
    expect(data).toMatchObject({ name: "tool_data", sent: 6, acked: 6, target_throughput: 10 });
    const elapsed = (data!.timestamp as number) - 1000;
    expect(data!.avg_throughput).toBeCloseTo((1000 * 6) / elapsed, 9);
  });

  it("verifiable consumer: assignment, records_consumed up to --max-messages, offsets_committed, shutdown", () => {
    const r = run(`  - at: 1s
    cli: kafka-verifiable-producer.sh --bootstrap-server localhost:9092 --topic t --max-messages 8 --repeating-keys 4
  - at: 3s
    cli: kafka-verifiable-consumer.sh --bootstrap-server localhost:9092 --topic t --group-id vc --max-messages 8
`);
    const events = lines(r.cli[1]!.output);
    expect(events[0]).toMatchObject({ name: "startup_complete", timestamp: 3000 });
    expect(events[1]).toMatchObject({
      name: "partitions_assigned",
      partitions: [
        { topic: "t", partition: 0 },
        { topic: "t", partition: 1 },
      ],
    });
    const consumed = events.filter((e) => e.name === "records_consumed");
    const summaries = consumed.flatMap((e) => e.partitions as Json[]);
    expect(summaries.reduce((n, s) => n + (s.count as number), 0)).toBe(8);
    for (const s of summaries)
      expect((s.maxOffset as number) - (s.minOffset as number) + 1).toBe(s.count);
    const commits = events.filter((e) => e.name === "offsets_committed");
    expect(commits.length).toBeGreaterThan(0);
    expect(commits.every((c) => c.success === true)).toBe(true);
    // The last commit covers everything read: each partition's maxOffset + 1.
    const last = new Map<number, number>();
    for (const s of summaries) last.set(s.partition as number, (s.maxOffset as number) + 1);
    const committed = new Map<number, number>();
    for (const c of commits)
      for (const o of c.offsets as Json[]) committed.set(o.partition as number, o.offset as number);
    for (const [p, end] of last) expect(committed.get(p)).toBe(end);
    expect(events.at(-1)!.name).toBe("shutdown_complete");
  });

  it("verifiable consumer: --enable-autocommit prints no offsets_committed", () => {
    const r = run(`  - at: 1s
    cli: kafka-verifiable-producer.sh --bootstrap-server localhost:9092 --topic t --max-messages 4
  - at: 2s
    cli: kafka-verifiable-consumer.sh --bootstrap-server localhost:9092 --topic t --group-id va --enable-autocommit --max-messages 4
`);
    const names = lines(r.cli[1]!.output).map((e) => e.name);
    expect(names).toContain("records_consumed");
    expect(names).not.toContain("offsets_committed");
    expect(names.at(-1)).toBe("shutdown_complete");
  });
});

describe("tools: perf tests", () => {
  it("producer perf test: a window line every 5 s of virtual time, then the total with percentiles", () => {
    const r = run(`  - at: 1s
    cli: kafka-producer-perf-test.sh --topic t --num-records 24000 --record-size 100 --throughput 2000 --producer-props bootstrap.servers=localhost:9092 acks=all
`);
    const out = r.cli[0]!.output.trim().split("\n");
    const windows = out.slice(0, -1);
    // 24000 records at 2000/s take 12 s: two full windows, then the total.
    expect(windows.length).toBe(2);
    for (const w of windows)
      expect(w).toMatch(
        /^\d+ records sent, \d+\.\d records\/sec \(\d+\.\d\d MB\/sec\), \d+\.\d ms avg latency, \d+\.\d ms max latency\.$/,
      );
    const total = out.at(-1)!;
    const m = total.match(
      /^24000 records sent, (\d+\.\d{6}) records\/sec \((\d+\.\d\d) MB\/sec\), (\d+\.\d\d) ms avg latency, (\d+\.\d\d) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th, (\d+) ms 99\.9th\.$/,
    );
    expect(m).not.toBeNull();
    const [p50, p95, p99, p999] = m!.slice(5).map(Number);
    expect(p50!).toBeLessThanOrEqual(p95!);
    expect(p95!).toBeLessThanOrEqual(p99!);
    expect(p99!).toBeLessThanOrEqual(p999!);
    expect(p999!).toBeLessThanOrEqual(Number(m![4]));
    // Throttled to 2000/s, the measured rate is just under it (the last acks come a little later).
    expect(Number(m![1])).toBeGreaterThan(1900);
    expect(Number(m![1])).toBeLessThanOrEqual(2000);
  });

  it("consumer perf test: header and one line; every record of the topic counted", () => {
    const r = run(`  - at: 1s
    cli: kafka-producer-perf-test.sh --topic t --num-records 5000 --record-size 200 --throughput -1 --producer-props bootstrap.servers=localhost:9092
  - at: 5s
    cli: kafka-consumer-perf-test.sh --topic t --messages 5000 --bootstrap-server localhost:9092
`);
    const [header, line] = r.cli[1]!.output.trim().split("\n");
    expect(header).toBe(
      "start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec",
    );
    const f = line!.split(", ");
    expect(f[0]).toBe("1970-01-01 00:00:05:000");
    expect(f[1]).toMatch(/^1970-01-01 00:00:\d\d:\d{3}$/);
    // 5000 records of 200 bytes: 1000000 bytes = 0.9537 MB.
    expect(f[2]).toBe("0.9537");
    expect(f[4]).toBe("5000");
    expect(r.cli[1]!.error).toBe("");
  });

  it("consumer perf test: the timeout ends it early with the tool's warning", () => {
    const r = run(`  - at: 1s
    cli: kafka-consumer-perf-test.sh --topic t --messages 10 --bootstrap-server localhost:9092 --timeout 2000
`);
    expect(r.cli[0]!.error).toBe(
      "WARNING: Exiting before consuming the expected number of messages: timeout (2000 ms) exceeded. You can use the --timeout option to increase the timeout.\n",
    );
    expect(r.cli[0]!.output.split("\n")[1]).toMatch(
      /^1970-01-01 00:00:01:000, 1970-01-01 00:00:03:001, 0\.0000, 0\.0000, 0, /,
    );
  });

  it("unit: PerfStats windows, totals and percentiles from known latencies", () => {
    const s = new PerfStats(10, 0);
    const windowLines: string[] = [];
    for (let i = 0; i < 10; i++) {
      const line = s.record(i, i + 1, 1024 * 1024, i * 1000);
      if (line !== undefined) windowLines.push(line);
    }
    // Five completions (latencies 1..6) in the 5 s from 0 ms when the sixth lands at 5000 ms.
    expect(windowLines).toEqual([
      "6 records sent, 1.2 records/sec (1.20 MB/sec), 3.5 ms avg latency, 6.0 ms max latency.",
    ]);
    expect(s.total(10_000)).toBe(
      "10 records sent, 1.000000 records/sec (1.00 MB/sec), 5.50 ms avg latency, 10.00 ms max latency, 6 ms 50th, 10 ms 95th, 10 ms 99th, 10 ms 99.9th.",
    );
  });

  it("unit: consumerPerfLine, Java's number formatting and virtual dates", () => {
    expect(consumerPerfLine(5_000_000, 7_000_000, 2 * 1024 * 1024, 1000, 500)).toBe(
      "1970-01-01 00:00:05:000, 1970-01-01 00:00:07:000, 2.0000, 1.0000, 1000, 500.0000, 500, 1500, 1.3333, 666.6667",
    );
    expect([javaFixed(0.05, 1), javaFixed(2.675, 2), javaFixed(9.96, 1)]).toEqual([
      "0.1",
      "2.68",
      "10.0",
    ]);
    expect([javaDouble(10), javaDouble(2.5), javaDouble(1e7)]).toEqual(["10.0", "2.5", "1.0E7"]);
    expect(formatVirtualDate(86_400_000_000 * 366 + 3_723_456_000, ",")).toBe(
      "1971-01-02 01:02:03,456",
    );
  });
});
