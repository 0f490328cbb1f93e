// CLI: `kafkasim list` (bundled scenarios, one line each, sorted, --json), `kafkasim bench` (the
// benchmarks in a child process, from any directory), the exit codes 0/1/2, and the progress bar
// (stderr, TTY only, never with --json or --quiet, only after a second of wall time).
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { bundledScenarioFiles, type CliIo, firstSentence, main } from "../../sim/cli/main.ts";
import { ProgressBar } from "../../sim/cli/progress.ts";
import { loadScenarioFile } from "../../sim/scenario/load-file.ts";

function capture(
  overrides: Partial<CliIo> = {},
): CliIo & { out: string; err: string; errWrites: string[] } {
  const io = {
    out: "",
    err: "",
    errWrites: [] as string[],
    stderrIsTTY: false,
    stdout(t: string) {
      io.out += t;
    },
    stderr(t: string) {
      io.err += t;
      io.errWrites.push(t);
    },
    writeFile() {},
    ...overrides,
  };
  return io;
}

/** A wall clock that moves `stepMs` every time it is read. */
function steppingClock(stepMs: number): () => number {
  let now = 0;
  return () => {
    now += stepMs;
    return now;
  };
}

const DEMO = "scenarios/demo-transfer.yaml";

describe("cli: kafkasim list", () => {
  it("prints every bundled scenario once, sorted by file, with its name and first sentence", async () => {
    const io = capture();
    expect(await main(["list"], io)).toBe(0);
    const lines = io.out.trimEnd().split("\n");
    const files = bundledScenarioFiles();
    expect(files.some((f) => f.endsWith("schema.json"))).toBe(false);
    expect(lines).toHaveLength(files.length);
    const listed = lines.map((l) => basename(l.split(/\s+/)[0]!));
    expect(listed).toEqual([...listed].sort());
    expect(listed).toEqual(files.map((f) => basename(f)));
    const demo = loadScenarioFile(DEMO);
    const line = lines.find((l) => l.startsWith(DEMO))!;
    expect(line).toContain(`${demo.name} — ${firstSentence(demo.description)}`);
  });

  it("--json: one array of {file, name, summary}, the same files in the same order", async () => {
    const io = capture();
    expect(await main(["list", "--json"], io)).toBe(0);
    const entries = JSON.parse(io.out) as Array<Record<string, string>>;
    expect(entries.map((e) => basename(e.file!))).toEqual(
      bundledScenarioFiles().map((f) => basename(f)),
    );
    const demo = entries.find((e) => e.file === DEMO)!;
    expect(Object.keys(demo)).toEqual(["file", "name", "summary"]);
    expect(demo.summary).toMatch(/^Host a streams .*\.$/);
  });

  it("an invalid file in a scenarios folder is listed with its problem, not hidden", () => {
    const dir = mkdtempSync(join(tmpdir(), "kafkasim-list-"));
    writeFileSync(join(dir, "b.yaml"), "name: b\n");
    writeFileSync(join(dir, "a.json"), "{}");
    writeFileSync(join(dir, "schema.json"), "{}");
    writeFileSync(join(dir, "notes.txt"), "x");
    expect(bundledScenarioFiles(dir).map((f) => basename(f))).toEqual(["a.json", "b.yaml"]);
  });

  it("exit 2 for an argument or an unknown flag, naming the nearest one", async () => {
    const io = capture();
    expect(await main(["list", "extra"], io)).toBe(2);
    expect(await main(["list", "--jsn"], io)).toBe(2);
    expect(io.err).toContain("did you mean '--json'?");
  });
});

describe("cli: the first sentence of a description", () => {
  it("stops at a sentence end, not inside file names, versions or abbreviations", () => {
    expect(firstSentence("Run kafka-topics.sh on 4.1 now. Then more.")).toBe(
      "Run kafka-topics.sh on 4.1 now.",
    );
    expect(firstSentence("Disks, e.g. HDD or SSD, differ. Next.")).toBe(
      "Disks, e.g. HDD or SSD, differ.",
    );
    expect(firstSentence("Why?  Because.\n")).toBe("Why?");
    expect(firstSentence("  one\n  line\n  without an end ")).toBe("one line without an end");
    expect(firstSentence("")).toBe("");
    const long = firstSentence(`${"word ".repeat(60)}.`, 40);
    expect(long).toHaveLength(40);
    expect(long.endsWith("…")).toBe(true);
  });
});

describe("cli: exit codes", () => {
  it("0 when every expectation holds, 1 when one fails, 2 for invalid input", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kafkasim-exit-"));
    const file = join(dir, "fails.yaml");
    writeFileSync(
      file,
      "name: fails\nduration: 3s\ncluster: {brokers: 1}\ntopics: [{name: t}]\nexpect:\n  - {at: end, partition: {topic: t, partition: 0, leader: none}}\n",
    );
    const io = capture();
    expect(await main(["run", file, "--quiet"], io)).toBe(1);
    expect(io.out).toMatch(/^FAILED {2}fails /);
    expect(await main(["run", file, "--quiet", "--set", "expect.0.partition.leader=1"], io)).toBe(
      0,
    );
    expect(await main(["run", join(dir, "missing.yaml")], io)).toBe(2);
    expect(await main(["bench", "--bogus"], io)).toBe(2);
  });

  it("--json carries the liveness report: since, converged, pending", async () => {
    const io = capture();
    expect(await main(["run", DEMO, "--json"], io)).toBe(0);
    const { liveness } = JSON.parse(io.out);
    expect(Object.keys(liveness)).toEqual(["sinceUs", "converged", "pending"]);
    expect(liveness.converged).toBe(liveness.pending.length === 0);
  });
});

describe("cli: kafkasim bench", () => {
  it("runs bench/run.ts in a child process from another directory, through the bin script", () => {
    const bin = resolve("bin/kafkasim.js");
    const cwd = mkdtempSync(join(tmpdir(), "kafkasim-bench-"));
    const child = spawnSync(
      process.execPath,
      [bin, "bench", "--short", "--only", "engine", "--json"],
      {
        cwd,
        encoding: "utf8",
      },
    );
    expect(child.status, child.stderr).toBe(0);
    const out = JSON.parse(child.stdout);
    expect(out.meta.mode).toBe("short");
    expect(out.engine.events).toBeGreaterThan(0);
    expect(child.stderr).toContain("bench: engine");
  });

  it("passes the benchmark runner's own usage error through as exit 2", async () => {
    const io = capture();
    expect(await main(["bench", "--only", "nope"], io)).toBe(2);
    expect(io.err).toContain("no benchmark named nope");
  });
});

describe("cli: the progress bar", () => {
  it("stays hidden for the first second, redraws at most every 100 ms, then erases itself", () => {
    const writes: string[] = [];
    let now = 0;
    const bar = new ProgressBar(
      (t) => writes.push(t),
      () => now,
      60,
    );
    now = 999;
    bar.update(1_000_000, 10_000_000, 10);
    expect(writes).toEqual([]);
    now = 1000;
    bar.update(5_000_000, 10_000_000, 20);
    expect(writes).toHaveLength(1);
    now = 1099;
    bar.update(6_000_000, 10_000_000, 30);
    expect(writes).toHaveLength(1);
    now = 1100;
    bar.update(10_000_000, 10_000_000, 40);
    expect(writes).toHaveLength(2);
    for (const w of writes) {
      expect(w.startsWith("\r[")).toBe(true);
      // One line of the 60-column terminal, then "erase to the end of the line".
      expect(w.replace("\r", "").replace("\x1b[K", "").length).toBeLessThan(60);
    }
    // Half-way: half of the bar filled; at the end all of it.
    const fill = (w: string) => w.slice(2, w.indexOf("]"));
    expect(fill(writes[0]!).split("#").length - 1).toBe(fill(writes[0]!).length / 2);
    expect(fill(writes[1]!)).toMatch(/^#+$/);
    bar.finish();
    expect(writes.at(-1)).toBe("\r\x1b[K");
    bar.finish();
    expect(writes).toHaveLength(3);
  });

  it("never draws on a narrow terminal past its width", () => {
    const writes: string[] = [];
    let now = 0;
    const bar = new ProgressBar(
      (t) => writes.push(t),
      () => now,
      20,
    );
    now = 5000;
    bar.update(1, 2, 3);
    expect(writes[0]!.replace("\r", "").replace("\x1b[K", "").length).toBeLessThanOrEqual(19);
  });

  it("a run on a TTY that takes over a second shows it on stderr and erases it", async () => {
    const io = capture({ stderrIsTTY: true, wallClockMs: steppingClock(300), columns: 80 });
    expect(await main(["run", DEMO], io)).toBe(0);
    expect(io.errWrites.some((w) => w.startsWith("\r["))).toBe(true);
    expect(io.errWrites.at(-1)).toBe("\r\x1b[K");
    expect(io.out).not.toContain("\r");
  });

  it("never with --json, --quiet, or when stderr is not a terminal", async () => {
    for (const [flags, tty] of [
      [["--json"], true],
      [["--quiet"], true],
      [[], false],
    ] as const) {
      const io = capture({ stderrIsTTY: tty, wallClockMs: steppingClock(300), columns: 80 });
      expect(await main(["run", DEMO, ...flags], io)).toBe(0);
      expect(io.err, flags.join(" ")).toBe("");
    }
  });

  it("describe shows it too, on stderr, while its tables go to stdout", async () => {
    const io = capture({ stderrIsTTY: true, wallClockMs: steppingClock(300), columns: 80 });
    const code = await main(["describe", "scenarios/leader-failover.yaml", "--at", "5s"], io);
    expect(code).toBe(0);
    expect(io.errWrites.some((w) => w.startsWith("\r["))).toBe(true);
    expect(io.out).toContain("Topic: orders");
  });
});
