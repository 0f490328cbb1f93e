// CLI: exit codes 0 (ok), 1 (failed run or bound), 2 (bad input); errors in words, never a stack trace.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type CliIo, main } from "../../sim/cli/main.ts";

function capture(): CliIo & { out: string; err: string; files: Map<string, string[]> } {
  const io = {
    out: "",
    err: "",
    files: new Map<string, string[]>(),
    stderrIsTTY: false,
    stdout(t: string) {
      io.out += t;
    },
    stderr(t: string) {
      io.err += t;
    },
    writeFile(path: string, lines: Iterable<string>) {
      io.files.set(path, [...lines]);
    },
  };
  return io;
}

const DEMO = "scenarios/demo-transfer.yaml";

describe("cli: kafkasim run", () => {
  it("prints the Results JSON and exits 0", async () => {
    const io = capture();
    expect(await main(["run", DEMO, "--seed", "7", "--json"], io)).toBe(0);
    const results = JSON.parse(io.out);
    expect(Object.keys(results)).toEqual([
      "name",
      "seed",
      "virtualTimeUs",
      "events",
      "traceHash",
      "checks",
      "expectations",
      "cli",
      "liveness",
      "ok",
    ]);
    expect(results.seed).toBe(7);
    expect(results.traceHash).toMatch(/^[0-9a-f]{16}$/);
  });

  it("writes the trace as JSONL whose lines start with t, type, node", async () => {
    const io = capture();
    expect(await main(["run", DEMO, "--until", "2s", "--trace", "out.jsonl", "--quiet"], io)).toBe(
      0,
    );
    const lines = io.files.get("out.jsonl")!;
    expect(lines.length).toBeGreaterThan(10);
    for (const line of lines.slice(0, 50))
      expect(Object.keys(JSON.parse(line)).slice(0, 3)).toEqual(["t", "type", "node"]);
    expect(io.out).toMatch(/^ok .* t=2s /);
  });

  it("exits 2 on an unknown flag, naming the nearest one", async () => {
    const io = capture();
    expect(await main(["run", DEMO, "--sed", "7"], io)).toBe(2);
    expect(io.err).toContain("did you mean '--seed'?");
    expect(io.err).not.toMatch(/\n\s+at /);
  });

  it("rejects a non-numeric seed and a bad duration", async () => {
    const io = capture();
    expect(await main(["run", DEMO, "--seed", "x"], io)).toBe(2);
    expect(await main(["run", DEMO, "--until", "soon"], io)).toBe(2);
    expect(io.err).toContain("--seed must be a whole number");
    expect(io.err).toContain("--until");
  });

  it("reports a bad scenario with file, line, column and field, exit 2", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kafkasim-"));
    const file = join(dir, "bad.yaml");
    writeFileSync(file, "version: 1\nname: bad\nhosts:\n  - name: a\n    dsk: hdd\n");
    const io = capture();
    expect(await main(["run", file], io)).toBe(2);
    expect(io.err).toContain(`${file}:5:5: hosts[0]`);
    expect(io.err).toContain("`disk`");
  });

  it("reports a missing file without a stack trace", async () => {
    const io = capture();
    expect(await main(["run", "no/such/file.yaml"], io)).toBe(2);
    expect(io.err).toContain("no/such/file.yaml");
    expect(io.err).not.toMatch(/\n\s+at /);
  });
});

describe("cli: other commands", () => {
  it("validate: 0 for a good file, 2 for a bad one", async () => {
    const io = capture();
    expect(await main(["validate", DEMO], io)).toBe(0);
    expect(io.out).toContain("ok");
    const dir = mkdtempSync(join(tmpdir(), "kafkasim-"));
    const file = join(dir, "bad.json");
    writeFileSync(file, '{"version": 1}');
    expect(await main(["validate", file], io)).toBe(2);
    expect(io.err).toContain("name");
  });

  it("list: names the bundled scenarios", async () => {
    const io = capture();
    expect(await main(["list"], io)).toBe(0);
    expect(io.out).toContain("demo-transfer.yaml");
  });

  it("help and unknown commands", async () => {
    const io = capture();
    expect(await main(["--help"], io)).toBe(0);
    expect(io.out).toContain("usage: kafkasim");
    expect(await main(["rn"], io)).toBe(2);
    expect(io.err).toContain("did you mean 'run'?");
    expect(await main(["run", "--help"], io)).toBe(0);
    expect(io.out).toContain("--until");
    expect(readFileSync("package.json", "utf8")).toContain('"kafkasim"');
  });
});

describe("cli: kafkasim describe", () => {
  it("prints kafka-topics.sh --describe at a moment: the new leader after fencing", async () => {
    const io = capture();
    expect(await main(["describe", "scenarios/leader-failover.yaml", "--at", "14s"], io)).toBe(0);
    expect(io.out).toContain(
      "\tTopic: orders\tPartition: 0\tLeader: 2\tReplicas: 1,2,3\tIsr: 2,3\t",
    );
    const before = capture();
    expect(await main(["describe", "scenarios/leader-failover.yaml", "--at", "1s"], before)).toBe(
      0,
    );
    expect(before.out).toContain("\tPartition: 0\tLeader: 1\tReplicas: 1,2,3\tIsr: 1,2,3\t");
  });

  it("refuses a scenario without a cluster, exit 2", async () => {
    const io = capture();
    expect(await main(["describe", DEMO, "--at", "1s"], io)).toBe(2);
    expect(io.err).toContain("no Kafka cluster");
  });
});

describe("cli: kafkasim metrics", () => {
  it("prints JMX metrics per node: under-replicated partitions while broker 1 is down", async () => {
    const io = capture();
    expect(await main(["metrics", "scenarios/leader-failover.yaml", "--at", "14s"], io)).toBe(0);
    // Broker 1 crashed at 2 s and was fenced at about 11 s: broker 2 now leads orders-0 and
    // orders-1, broker 3 leads orders-2, every ISR is {2, 3} of three replicas.
    expect(io.out).toMatch(/name=UnderReplicatedPartitions:Value +- +2 +1\n/);
    expect(io.out).toMatch(/name=LeaderCount:Value +- +2 +1\n/);
    expect(io.out).toContain("# down (JMX does not answer): 1");
    const before = capture();
    expect(await main(["metrics", "scenarios/leader-failover.yaml", "--at", "1s"], before)).toBe(0);
    expect(before.out).toMatch(/name=UnderReplicatedPartitions:Value +0 +0 +0\n/);
  });

  it("prints one node as JmxTool's CSV, and refuses a scenario without a cluster", async () => {
    const io = capture();
    expect(
      await main(["metrics", "scenarios/leader-failover.yaml", "--at", "14s", "--node", "2"], io),
    ).toBe(0);
    expect(io.out.startsWith('"time",')).toBe(true);
    expect(io.out.split("\n")[1]?.startsWith("14000,2,")).toBe(true);
    const bare = capture();
    expect(await main(["metrics", DEMO], bare)).toBe(2);
    expect(bare.err).toContain("has no Kafka cluster");
  });
  it("prints the clients' metrics after the brokers': the late consumer rebalanced once", async () => {
    const io = capture();
    const file = "scenarios/rebalance-eager-vs-cooperative.yaml";
    expect(await main(["metrics", file, "--at", "30s"], io)).toBe(0);
    const table = io.out.slice(io.out.indexOf("# client metrics"));
    expect(table).toMatch(/^METRIC +producer-1 +consumer-1 +consumer-2 +consumer-3$/m);
    // consumer-1 and -2 joined at the start and rebalanced again when consumer-3 joined at 20 s.
    expect(table).toMatch(/^consumer: rebalance-total +2 +2 +1$/m);
    const sent = Number(/^producer: record-send-total +(\d+)$/m.exec(table)?.[1]);
    // 300 records/s for 30 s, give or take the Poisson arrivals.
    expect(sent).toBeGreaterThan(8000);
    expect(sent).toBeLessThan(10000);
  });
});

describe("cli: --set overrides a value of the file", () => {
  it("runs the same scenario under another version", async () => {
    const base = capture();
    expect(await main(["run", "scenarios/leader-failover.yaml", "--quiet"], base)).toBe(0);
    const other = capture();
    // 0.10 loses a broker after zookeeper.session.timeout.ms (6 s), not 4.1's 9 s fencing.
    const code = await main(
      ["run", "scenarios/leader-failover.yaml", "--quiet", "--set", "cluster.version=0.10"],
      other,
    );
    expect(code === 0 || code === 1).toBe(true);
    // Another version is another run: the hash differs.
    const hash = (out: string) => /traceHash=([0-9a-f]{16})/.exec(out)?.[1];
    expect(hash(other.out)).toBeDefined();
    expect(hash(other.out)).not.toBe(hash(base.out));
  });

  it("names the flag, the field and the nearest key when an override is wrong", async () => {
    const typo = capture();
    expect(
      await main(["run", "scenarios/leader-failover.yaml", "--set", "cluster.verison=3.6"], typo),
    ).toBe(2);
    expect(typo.err).toBe(
      "--set cluster.verison=3.6: cluster.verison: unknown key `verison` in cluster (did you mean `version`?)\n",
    );
    const bad = capture();
    expect(
      await main(
        ["run", "scenarios/leader-failover.yaml", "--set", "cluster.config.min.insync.replicas=x"],
        bad,
      ),
    ).toBe(2);
    expect(bad.err).toContain(
      '--set cluster.config.min.insync.replicas=x: cluster.config["min.insync.replicas"]',
    );
    const malformed = capture();
    expect(
      await main(["run", "scenarios/leader-failover.yaml", "--set", "version"], malformed),
    ).toBe(2);
    expect(malformed.err).toContain("expected PATH=VALUE");
  });
});

describe("cli: kafkasim describe --replicas", () => {
  it("adds every replica's offsets as the brokers see themselves, a crashed one as down", async () => {
    const io = capture();
    expect(
      await main(["describe", "scenarios/unclean-election.yaml", "--at", "27s", "--replicas"], io),
    ).toBe(0);
    expect(io.out).toContain("# replicas at t=27.000s, as each broker sees itself\n");
    // Broker 1 crashed at 15 s and is back only at 28 s; broker 2 was cut off from 2 s to 16 s,
    // so it holds far less than broker 1 did.
    const rows = io.out
      .split("\n")
      .filter((l) => l.startsWith("payments-0 "))
      .map((l) => l.trim().split(/\s+/));
    expect(rows.map((r) => [r[1], r[2]])).toEqual([
      ["1", "down"],
      ["2", "follower"],
    ]);
    expect(Number(rows[0]![6])).toBeGreaterThan(Number(rows[1]![6]));
    // UNFLUSHED = LEO − FLUSHED on every row.
    for (const r of rows) expect(Number(r[8])).toBe(Number(r[6]) - Number(r[7]));
  });
});

describe("cli: kafkasim describe with groups", () => {
  it("prints the scenario's topics (not __consumer_offsets) and every group's offsets", async () => {
    const io = capture();
    expect(
      await main(["describe", "scenarios/rebalance-eager-vs-cooperative.yaml", "--at", "25s"], io),
    ).toBe(0);
    expect(io.out.startsWith("Topic: events\t")).toBe(true);
    expect(io.out).not.toContain("__consumer_offsets");
    // Six rows of group `reports`, one per partition of `events`, after consumer-3 joined.
    const rows = io.out.split("\n").filter((l) => l.startsWith("reports "));
    expect(rows).toHaveLength(6);
    expect(new Set(rows.map((r) => r.trim().split(/\s+/)[8])).size).toBe(3);
  });
});
