// viz: session: a run advanced step by step, read as plain data, sought backwards and forked,
// gives the same states and the same final traceHash as runScenario; seeks through checkpoints
// (paused runs built in the background) give exactly the states of a straight run.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { TraceEvent } from "../../sim/engine/trace.ts";
import { parseScenarioText } from "../../sim/scenario/load.ts";
import { runScenario } from "../../sim/scenario/runner.ts";
import { appendTimelineAction, Session } from "../../sim/scenario/session.ts";
import { SharedTraceLog } from "../../sim/scenario/shared-trace.ts";

const FAILOVER = readFileSync("scenarios/leader-failover.yaml", "utf8");

describe("viz: session", () => {
  it("viz: session: advancing in uneven steps ends on runScenario's traceHash", () => {
    for (const [file, seed] of [
      ["leader-failover.yaml", 1],
      ["last-replica-standing-elr.yaml", 7],
      ["demo-transfer.yaml", 3],
    ] as const) {
      const text = readFileSync(`scenarios/${file}`, "utf8");
      const session = new Session(text, { seed, file });
      for (let t = 0; t < session.durationUs; t += 1_234_567) session.advanceTo(t);
      session.advanceTo(session.durationUs);
      const expected = runScenario(parseScenarioText(text, file), { seed }).results;
      expect(session.finished).toBe(true);
      expect(session.state().traceHash).toBe(expected.traceHash);
      expect(session.report()?.results.traceHash).toBe(expected.traceHash);
    }
  });

  it("viz: session: state shows the failover: broker 1 crashed, broker 2 leads orders-0 without 1 in the ISR", () => {
    const session = new Session(FAILOVER);
    session.advanceTo(1_000_000);
    const before = session.state();
    expect(before.nodes.map((n) => n.name)).toEqual(["1", "2", "3"]);
    expect(before.nodes.every((n) => n.host === "up")).toBe(true);
    expect(before.nodes.filter((n) => n.activeController)).toHaveLength(1);
    const p0 = before.partitions.find((p) => p.topic === "orders" && p.partition === 0)!;
    expect(p0.leader).toBe(1);
    expect([...p0.isr].sort()).toEqual([1, 2, 3]);
    expect(p0.replicaLogs.map((r) => r.broker)).toEqual([1, 2, 3]);
    for (const r of p0.replicaLogs) {
      expect(r.logStartOffset).toBeLessThanOrEqual(r.hw);
      expect(r.hw).toBeLessThanOrEqual(r.leo);
    }
    session.advanceTo(14_000_000);
    const after = session.state();
    expect(after.nodes.find((n) => n.name === "1")!.host).toBe("process-crashed");
    expect(after.nodes.find((n) => n.name === "1")!.fenced).toBe(true);
    const q0 = after.partitions.find((p) => p.topic === "orders" && p.partition === 0)!;
    expect(q0.leader).toBe(2);
    expect(q0.isr).not.toContain(1);
    expect(q0.leaderEpoch).toBeGreaterThan(p0.leaderEpoch);
    expect(
      after.story.some((l) => l.kind === "fault" && l.text.includes("1: process crashed")),
    ).toBe(true);
  });

  it("viz: session: seeking back and forth gives identical states", () => {
    const session = new Session(FAILOVER);
    session.advanceTo(12_000_000);
    const first = JSON.stringify(session.state());
    session.seek(30_000_000);
    expect(session.state().timeUs).toBe(30_000_000);
    session.seek(12_000_000);
    expect(JSON.stringify(session.state())).toBe(first);
    session.seek(session.durationUs);
    const end = session.state().traceHash;
    session.seek(3_000_000);
    session.seek(session.durationUs);
    expect(session.state().traceHash).toBe(end);
  });

  it("viz: session: a fork appends the action to the text, and the text replays with runScenario", () => {
    const session = new Session(FAILOVER);
    session.advanceTo(20_000_000);
    const forked = session.fork({ kind: "crash", node: "2", mode: "process" });
    expect(forked.timeUs).toBe(20_000_000);
    expect(forked.text).toContain("crash: 2");
    expect(forked.text.startsWith(FAILOVER.slice(0, 200))).toBe(true);
    expect(
      forked.scenario.timeline.some((e) => e.atUs === 20_000_000 && e.action.kind === "crash"),
    ).toBe(true);
    expect(forked.state().nodes.find((n) => n.name === "2")!.host).toBe("process-crashed");
    expect(session.state().nodes.find((n) => n.name === "2")!.host).toBe("up");
    forked.advanceTo(forked.durationUs);
    const replay = runScenario(parseScenarioText(forked.text, "forked.yaml")).results.traceHash;
    expect(forked.state().traceHash).toBe(replay);
    expect(replay).not.toBe(runScenario(parseScenarioText(FAILOVER, "f.yaml")).results.traceHash);
  });

  it("viz: session: appendTimelineAction writes the scenario format, and adds a timeline when there is none", () => {
    const text = "version: 1\nname: x\ncluster: { brokers: 1 }\n# a comment\n";
    const out = appendTimelineAction(text, 1_500_250, { kind: "crash", node: "1", mode: "power" });
    expect(out).toContain("# a comment");
    const scenario = parseScenarioText(out, "x.yaml");
    expect(scenario.timeline).toHaveLength(1);
    expect(scenario.timeline[0]!.atUs).toBe(1_500_250);
    expect(scenario.timeline[0]!.action).toMatchObject({ kind: "crash", node: "1", mode: "power" });
    const restart = parseScenarioText(
      appendTimelineAction(out, 3_000_000, { kind: "restart", node: "1" }),
      "x.yaml",
    );
    expect(restart.timeline.map((e) => e.action.kind)).toEqual(["crash", "restart"]);
  });

  it("viz: session: appendTimelineAction handles a flow-style timeline", () => {
    const text = "version: 1\nname: x\ncluster: { brokers: 2 }\ntimeline: []\n";
    const out = appendTimelineAction(text, 2_000_000, {
      kind: "crash",
      node: "2",
      mode: "process",
    });
    const scenario = parseScenarioText(out, "x.yaml");
    expect(scenario.timeline.map((e) => [e.atUs, e.action.kind])).toEqual([[2_000_000, "crash"]]);
  });

  it("viz: session: stepEvent moves the clock one event at a time, and the trace grows by its events", () => {
    const session = new Session(FAILOVER);
    session.advanceTo(2_000_000);
    const before = session.state();
    session.stepEvent();
    const after = session.state();
    expect(after.timeUs).toBeGreaterThanOrEqual(before.timeUs);
    expect(after.timeUs).toBeLessThan(2_100_000);
    expect(after.traceHash).not.toBe(before.traceHash);
    // Stepping then advancing ends where advancing alone ends.
    session.advanceTo(session.durationUs);
    const plain = new Session(FAILOVER);
    plain.advanceTo(plain.durationUs);
    expect(session.state().traceHash).toBe(plain.state().traceHash);
  });
});

describe("viz: session: trace events", () => {
  it("keeps every trace event so far, and rebuilds the list on a seek backwards", () => {
    const session = new Session(readFileSync("scenarios/leader-failover.yaml", "utf8"));
    session.advanceTo(5_000_000);
    const count = session.events.length;
    expect(count).toBe(session.state().traceEvents);
    expect(session.events.every((e) => e.t <= 5_000_000)).toBe(true);
    const crash = session.events.find((e) => e.type === "host.crash");
    expect(crash?.node).toBe("1");
    session.seek(1_000_000);
    expect(session.events.length).toBeLessThan(count);
    expect(session.events.every((e) => e.t <= 1_000_000)).toBe(true);
    session.advanceTo(5_000_000);
    expect(session.events.length).toBe(count);
  });
});

describe("viz: session: cli actions (the terminal)", () => {
  const QUICKSTART = readFileSync("scenarios/quickstart.yaml", "utf8");
  const CONSUME =
    "kafka-console-consumer.sh --topic quickstart-events --from-beginning --max-messages 2 --bootstrap-server localhost:9092";

  it("appendTimelineAction writes a cli line, quoted, with its input, into a block, a flow or no timeline", () => {
    const command = `kafka-configs.sh --bootstrap-server localhost:9092 --alter --entity-type topics --entity-name t --add-config 'retention.ms=1000' # "x"`;
    for (const text of [
      QUICKSTART,
      "version: 1\nname: x\ncluster: { brokers: 1 }\ntimeline: []\n",
      "version: 1\nname: x\ncluster: { brokers: 1 }\n# a comment\n",
    ]) {
      const plain = appendTimelineAction(text, 2_500_000, { kind: "cli", command });
      const withInput = appendTimelineAction(plain, 3_300_000, {
        kind: "cli",
        command: "kafka-console-producer.sh --topic t --bootstrap-server localhost:9092",
        input: ["Hello", "key: value", "", '"quoted"'],
      });
      const scenario = parseScenarioText(withInput, "x.yaml");
      const cli = scenario.timeline.filter((e) => e.action.kind === "cli");
      expect(cli.find((e) => e.atUs === 2_500_000)).toMatchObject({
        action: { kind: "cli", command, input: [] },
      });
      expect(cli.find((e) => e.atUs === 3_300_000)).toMatchObject({
        atUs: 3_300_000,
        action: { kind: "cli", input: ["Hello", "key: value", "", '"quoted"'] },
      });
    }
    // The rest of the file stays as written.
    const out = appendTimelineAction(QUICKSTART, 12_000_000, { kind: "cli", command: CONSUME });
    const added = out.split("\n").filter((l) => !QUICKSTART.split("\n").includes(l));
    expect(added).toEqual(["  - at: 12000ms", `    cli: ${JSON.stringify(CONSUME)}`]);
    expect(
      out
        .split("\n")
        .filter((l) => !added.includes(l))
        .join("\n"),
    ).toBe(QUICKSTART);
  });

  it("a forked cli runs at the moment of the fork; cliRuns shows it waiting, then its output; the text replays", () => {
    const session = new Session(QUICKSTART);
    session.advanceTo(4_500_000);
    const before = session.cliRuns().length;
    const forked = session.fork({ kind: "cli", command: CONSUME });
    expect(session.cliRuns()).toHaveLength(before);
    const runs = forked.cliRuns();
    expect(runs).toHaveLength(before + 1);
    expect(runs.at(-1)).toMatchObject({ atUs: 4_500_000, command: CONSUME, exitCode: null });
    forked.advanceTo(12_000_000);
    const done = forked.cliRuns().find((r) => r.atUs === 4_500_000)!;
    expect(done.exitCode).toBe(0);
    expect(done.output).toBe("Hello\nWorld\n");
    expect(done.error).toContain("Processed a total of 2 messages");
    // A seek back rebuilds the record with the run.
    forked.seek(2_000_000);
    expect(forked.cliRuns().map((r) => r.atUs)).toEqual([1_000_000]);
    forked.advanceTo(forked.durationUs);
    const replay = runScenario(parseScenarioText(forked.text, "forked.yaml")).results;
    expect(forked.state().traceHash).toBe(replay.traceHash);
    expect(forked.cliRuns().map((r) => [r.atUs, r.command, r.output, r.error])).toEqual(
      replay.cli.map((r) => [r.atUs, r.command, r.output, r.error]),
    );
    expect(forked.cliRuns().every((r) => r.exitCode !== null)).toBe(true);
  });

  it("a forked console producer with input writes its records, which a consumer then reads", () => {
    const session = new Session(QUICKSTART);
    session.advanceTo(9_500_000);
    const forked = session.fork({
      kind: "cli",
      command:
        "kafka-console-producer.sh --topic quickstart-events --bootstrap-server localhost:9092",
      input: ["again"],
    });
    forked.advanceTo(10_500_000);
    const read = forked.fork({
      kind: "cli",
      command: CONSUME.replace("--max-messages 2", "--max-messages 3"),
    });
    read.advanceTo(read.durationUs);
    const last = read.cliRuns().at(-1)!;
    expect(last.output).toBe("Hello\nWorld\nagain\n");
    expect(last.exitCode).toBe(0);
  });
});

describe("viz: session: network cut and heal (the network view)", () => {
  it("appendTimelineAction writes cut {from, to} and heal (a node, or all) that the loader reads back", () => {
    const text = "version: 1\nname: x\ncluster: { brokers: 3 }\n";
    const cut = appendTimelineAction(text, 1_000_000, { kind: "cut", from: "1", to: "2" });
    const healNode = appendTimelineAction(cut, 2_000_000, { kind: "heal", node: "2" });
    const healAll = appendTimelineAction(healNode, 3_000_000, { kind: "heal" });
    const scenario = parseScenarioText(healAll, "x.yaml");
    expect(scenario.timeline.map((e) => [e.atUs, e.action])).toEqual([
      [1_000_000, { kind: "cut", from: "1", to: "2" }],
      [2_000_000, { kind: "heal", target: "2" }],
      [3_000_000, { kind: "heal", target: "all" }],
    ]);
  });

  it("a forked cut shows in the trace and the markers, delivers nothing 3 → 1 after it, and the text replays", () => {
    const session = new Session(FAILOVER);
    session.advanceTo(500_000);
    const forked = session.fork({ kind: "cut", from: "3", to: "1" });
    forked.advanceTo(1_000_000);
    const cutAt = forked.events.findIndex((e) => e.type === "net.cut");
    expect(cutAt).toBeGreaterThanOrEqual(0);
    expect(forked.events[cutAt]).toMatchObject({ t: 500_000, from: "3", to: "1" });
    const delivered = forked.events
      .slice(cutAt)
      .filter((e) => e.type === "net.deliver" && e.from === "3" && e.to === "1");
    expect(delivered).toEqual([]);
    expect(forked.markers().some((m) => m.kind === "fault" && m.text.includes("cut"))).toBe(true);
    const healed = forked.fork({ kind: "heal", node: "3" });
    const healAt = healed.events.findIndex((e) => e.type === "net.heal");
    expect(healed.events[healAt]).toMatchObject({ t: 1_000_000, target: "3" });
    healed.advanceTo(healed.durationUs);
    // After the heal, 3 → 1 is open again: what 3 sends to 1 is no longer lost to the cut.
    const after = healed.events.slice(healAt).filter((e) => e.from === "3" && e.to === "1");
    expect(after.some((e) => e.type === "net.send")).toBe(true);
    expect(after.filter((e) => e.type === "net.drop" && e.reason === "cut")).toEqual([]);
    const replay = runScenario(parseScenarioText(healed.text, "forked.yaml")).results.traceHash;
    expect(healed.state().traceHash).toBe(replay);
  });
});

describe("viz: session: checkpoints (fast seeks)", () => {
  /** Builds every checkpoint the session wants; returns how many calls it took. */
  function buildAll(session: Session, perCall = 700): number {
    let calls = 0;
    while (session.buildCheckpoints(perCall)) {
      calls++;
      expect(calls).toBeLessThan(100_000);
    }
    return calls;
  }

  /** What a moment of a run looks like, to compare a seek with a straight run. */
  function snapshot(session: Session): string {
    return JSON.stringify({
      state: session.state(),
      events: session.events,
      cli: session.cliRuns(),
    });
  }

  /** The straight run's snapshots at `times`, advancing one session forward only, no checkpoints. */
  function straight(text: string, file: string, times: readonly number[]): Map<number, string> {
    const session = new Session(text, { file, checkpoints: false });
    const out = new Map<number, string>();
    for (const t of [...new Set(times)].sort((a, b) => a - b)) {
      session.advanceTo(t);
      out.set(t, snapshot(session));
    }
    return out;
  }

  for (const [file, minGapEvents, fractions] of [
    ["leader-failover.yaml", 250, [0.9, 0.2, 0.55, 0.05, 0.3, 0.3, 0.8, 0]],
    ["last-replica-standing-elr.yaml", 2_500, [0.6, 0.1, 0.95, 0.4, 0.41, 0.2]],
    ["quickstart.yaml", 40, [0.8, 0.35, 0.1, 0.7, 0.5]],
  ] as const) {
    it(`${file}: seeks through checkpoints, back and forth, give the straight run's state, events and cli`, () => {
      const text = readFileSync(`scenarios/${file}`, "utf8");
      const session = new Session(text, { file, checkpoints: { minGapEvents } });
      const times = fractions.map((f) => Math.floor(f * session.durationUs));
      const expected = straight(text, file, [...times, session.durationUs]);
      buildAll(session);
      const built = session.checkpoints();
      expect(built.pending).toBe(false);
      expect(built.checkpoints.length).toBeGreaterThan(3);
      expect(built.checkpoints.every((c) => c.tight)).toBe(true);
      session.advanceTo(session.durationUs);
      expect(snapshot(session)).toBe(expected.get(session.durationUs));
      let fromCheckpoint = 0;
      for (const t of times) {
        session.seek(t);
        expect(session.timeUs).toBe(t);
        expect(snapshot(session), `${file} at ${t} µs`).toBe(expected.get(t));
        // A checkpoint at or before t: the seek replays less than a straight run to t.
        if (session.checkpoints().lastSeekEvents < session.state().traceEvents) fromCheckpoint++;
        buildAll(session);
      }
      expect(fromCheckpoint).toBeGreaterThan(times.length / 2);
      // And on to the end: the run's traceHash, as runScenario's.
      session.seek(session.durationUs);
      expect(session.state().traceHash).toBe(
        runScenario(parseScenarioText(text, file)).results.traceHash,
      );
    });
  }

  it("once built, a seek replays at most about one gap of events, backwards or forwards", () => {
    const text = readFileSync("scenarios/last-replica-standing-elr.yaml", "utf8");
    const session = new Session(text, { checkpoints: { minGapEvents: 2_000 } });
    buildAll(session);
    const gap = session.checkpoints().gapEvents;
    const times = [0.9, 0.15, 0.5, 0.45, 0.99, 0.02, 0.7].map((f) =>
      Math.floor(f * session.durationUs),
    );
    for (const t of times) {
      session.seek(t);
      // A slot's run may sit up to a quarter gap past its start (the end of the run, a run left
      // by a seek), and t's own microsecond may add a few events.
      expect(session.checkpoints().lastSeekEvents, `seek to ${t}`).toBeLessThanOrEqual(
        gap * 1.25 + 200,
      );
      buildAll(session);
    }
  });

  it("the pool: gap = max(minGapEvents, run / maxCheckpoints), bounded; a seek consumes a checkpoint and the builder refills it", () => {
    const text = readFileSync("scenarios/last-replica-standing-elr.yaml", "utf8");
    const total = (() => {
      const s = new Session(text, { checkpoints: false });
      s.advanceTo(s.durationUs);
      return s.state();
    })();
    const session = new Session(text, { checkpoints: { minGapEvents: 100, maxCheckpoints: 6 } });
    // Before the run's length is known, runs left by seeks are kept, within the bound.
    for (const f of [0.9, 0.1, 0.8, 0.2, 0.7, 0.3, 0.6, 0.4, 0.5, 0.95, 0.05]) {
      session.seek(Math.floor(f * session.durationUs));
      expect(session.checkpoints().checkpoints.length).toBeLessThanOrEqual(7);
    }
    buildAll(session);
    const built = session.checkpoints();
    expect(built.pending).toBe(false);
    expect(built.checkpoints.length).toBeLessThanOrEqual(7);
    // The gap grew with the run (more events than 6 × 100), and every slot past 0 has its run.
    expect(built.gapEvents).toBeGreaterThan(100);
    expect(built.gapEvents * 6).toBeGreaterThanOrEqual(built.checkpoints.at(-1)!.events);
    const tight = built.checkpoints.filter((c) => c.tight && c.slot > 0).map((c) => c.slot);
    expect(tight.length).toBeGreaterThanOrEqual(4);
    expect(tight).toEqual(tight.map((_, i) => i + 1));
    expect(built.checkpoints.map((c) => c.slot)).toEqual(
      [...built.checkpoints.map((c) => c.slot)].sort((a, b) => a - b),
    );
    const times = built.checkpoints.map((c) => c.timeUs);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(built.checkpoints.at(-1)!.timeUs).toBeLessThanOrEqual(total.timeUs);
    // Seek to just after the middle checkpoint: it is adopted (it leaves the pool) ...
    const middle = built.checkpoints[Math.floor(built.checkpoints.length / 2)]!;
    session.seek(session.durationUs);
    session.seek(middle.timeUs + 1);
    const after = session.checkpoints();
    expect(after.checkpoints.some((c) => c.events === middle.events)).toBe(false);
    expect(after.lastSeekEvents).toBeLessThan(built.gapEvents);
    expect(after.pending).toBe(true);
    // ... and the builder puts a run back in its slot.
    buildAll(session);
    const refilled = session.checkpoints();
    expect(refilled.pending).toBe(false);
    expect(refilled.checkpoints.find((c) => c.slot === middle.slot)).toMatchObject({
      events: middle.events,
      tight: true,
    });
  });

  it("a tiny scenario (one gap long) keeps no checkpoint; checkpoints: false keeps none and seeks as before", () => {
    const text = readFileSync("scenarios/quickstart.yaml", "utf8");
    const session = new Session(text);
    buildAll(session);
    session.advanceTo(9_000_000);
    session.seek(2_000_000);
    expect(session.checkpoints()).toMatchObject({ enabled: true, checkpoints: [], pending: false });
    const none = new Session(text, { checkpoints: false });
    expect(none.buildCheckpoints(10_000)).toBe(false);
    none.advanceTo(9_000_000);
    const at9 = snapshot(none);
    none.seek(2_000_000);
    none.seek(9_000_000);
    expect(snapshot(none)).toBe(at9);
    expect(none.checkpoints()).toMatchObject({ enabled: false, checkpoints: [] });
  });

  it("a run stopped between two events of one microsecond (+1 event) is a valid checkpoint", () => {
    const session = new Session(FAILOVER, { checkpoints: { minGapEvents: 300 } });
    session.advanceTo(14_000_000);
    for (let i = 0; i < 7; i++) session.stepEvent();
    const stepped = session.timeUs;
    session.seek(3_000_000); // the stepped run joins the pool
    session.seek(stepped + 1_000_000); // and may be adopted here
    const plain = new Session(FAILOVER, { checkpoints: false });
    plain.advanceTo(stepped + 1_000_000);
    expect(snapshot(session)).toBe(snapshot(plain));
  });

  it("events are shared between runs: after a seek back the same events are the same objects", () => {
    const session = new Session(FAILOVER, { checkpoints: { minGapEvents: 300 } });
    buildAll(session);
    session.advanceTo(20_000_000);
    const before = session.events.slice();
    session.seek(10_000_000);
    const after = session.events;
    expect(after.length).toBeLessThan(before.length);
    expect(after.every((e, i) => e === before[i])).toBe(true);
    session.seek(20_000_000);
    expect(session.events.length).toBe(before.length);
  });

  it("a read-only tool run on the run on screen (the terminal) leaves it fit to be a checkpoint", () => {
    const text = readFileSync("scenarios/quickstart.yaml", "utf8");
    const session = new Session(text, { checkpoints: { minGapEvents: 40 } });
    buildAll(session);
    session.advanceTo(6_000_000);
    const out = session.kafka!.runToolNow([
      "kafka-topics.sh",
      "--describe",
      "--topic",
      "quickstart-events",
      "--bootstrap-server",
      "localhost:9092",
    ]);
    expect(out.exitCode).toBe(0);
    session.seek(2_000_000); // the run read by the tool joins the pool
    session.seek(12_000_000);
    const plain = new Session(text, { checkpoints: false });
    plain.advanceTo(12_000_000);
    expect(snapshot(session)).toBe(snapshot(plain));
  });

  it("a fork starts without checkpoints, builds its own, and its seeks give its straight run", () => {
    const session = new Session(FAILOVER, { checkpoints: { minGapEvents: 250 } });
    buildAll(session);
    session.advanceTo(20_000_000);
    const forked = session.fork({ kind: "crash", node: "2", mode: "process" });
    expect(forked.checkpoints().checkpoints).toEqual([]);
    expect(forked.checkpoints().pending).toBe(true);
    buildAll(forked);
    expect(forked.checkpoints().checkpoints.length).toBeGreaterThan(3);
    const times = [30_000_000, 21_000_000, 5_000_000, 35_000_000];
    const expected = straight(forked.text, "forked.yaml", times);
    for (const t of times) {
      forked.seek(t);
      expect(snapshot(forked), `fork at ${t}`).toBe(expected.get(t));
    }
    // The parent is untouched by its fork.
    expect(session.state().nodes.find((n) => n.name === "2")!.host).toBe("up");
  });
});

describe("viz: session: the shared trace log", () => {
  it("gives a run the log's object for an event it already has, and refuses a run that differs", () => {
    const log = new SharedTraceLog();
    const a = { traced: 0, events: [] as TraceEvent[] };
    const b = { traced: 0, events: null };
    const first = { t: 0, type: "x.start", node: "1" };
    log.record(a, first);
    log.record(a, { t: 5, type: "x.tick", node: "1", n: 1 });
    log.record(b, { t: 0, type: "x.start", node: "1" });
    expect(log.length).toBe(2);
    expect(b.traced).toBe(1);
    const c = { traced: 0, events: [] as TraceEvent[] };
    log.record(c, { t: 0, type: "x.start", node: "1" });
    expect(c.events[0]).toBe(first);
    expect(() => log.record(b, { t: 5, type: "x.tock", node: "1" })).toThrow(
      /differ at trace event #1/,
    );
    expect(log.prefix(1)).toEqual([first]);
    expect(() => log.prefix(3)).toThrow();
  });
});
