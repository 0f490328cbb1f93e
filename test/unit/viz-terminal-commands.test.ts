// viz: terminal: the pure rules of the Terminal panel: which commands run now and which join the
// timeline, the help text, the history; and the promise behind "now": running a read-only
// command at the current moment leaves the run (its trace and its end) unchanged.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Session } from "../../sim/scenario/session.ts";
import { TOOLS } from "../../sim/tools/registry.ts";
import { splitCommand } from "../../sim/tools/tool.ts";
import { helpText, planCommand } from "../../viz/terminal-commands.ts";
import { CommandHistory } from "../../viz/terminal-history.ts";

const BS = "--bootstrap-server localhost:9092";

/** Read-only commands of the tutorials: they must run now. */
const NOW = [
  `kafka-topics.sh ${BS} --describe --topic quickstart-events`,
  `bin/kafka-topics.sh ${BS} --list`,
  `kafka-consumer-groups.sh ${BS} --describe --group g`,
  `kafka-consumer-groups.sh ${BS} --list`,
  `kafka-consumer-groups.sh ${BS} --describe --group settlement --members`,
  `kafka-consumer-groups.sh ${BS} --describe --all-groups --state`,
  `kafka-consumer-groups.sh ${BS} --reset-offsets --group settlement --all-topics --to-earliest`,
  `kafka-consumer-groups.sh ${BS} --reset-offsets --group g --topic quickstart-events --to-earliest --dry-run`,
  `kafka-configs.sh ${BS} --describe --entity-type topics --entity-name quickstart-events`,
  `kafka-metadata-quorum.sh ${BS} describe --status`,
  `kafka-metadata-quorum.sh ${BS} describe --replication`,
  `kafka-transactions.sh ${BS} list`,
  `kafka-transactions.sh ${BS} describe-producers --topic quickstart-events --partition 0`,
  `kafka-reassign-partitions.sh ${BS} --list`,
  "kafka-topicz.sh --list",
];

/** Commands that change the cluster or wait for it: they must join the timeline. */
const TIMELINE: Array<[string, "records" | "json" | null, string]> = [
  [`kafka-topics.sh ${BS} --create --topic t --partitions 3`, null, "changes the cluster"],
  [`kafka-topics.sh ${BS} --alter --topic t --partitions 6`, null, "changes the cluster"],
  [`kafka-topics.sh ${BS} --delete --topic t`, null, "changes the cluster"],
  [
    `kafka-configs.sh ${BS} --alter --entity-type topics --entity-name t --add-config retention.ms=1000`,
    null,
    "changes the cluster",
  ],
  [
    `kafka-consumer-groups.sh ${BS} --reset-offsets --group g --all-topics --to-earliest --execute`,
    null,
    "changes the cluster",
  ],
  [`kafka-consumer-groups.sh ${BS} --delete --group g`, null, "changes the cluster"],
  [
    `kafka-leader-election.sh ${BS} --election-type preferred --all-topic-partitions`,
    null,
    "changes the cluster",
  ],
  [
    `kafka-reassign-partitions.sh ${BS} --execute --reassignment-json-file r.json`,
    "json",
    "changes the cluster",
  ],
  [
    `kafka-reassign-partitions.sh ${BS} --verify --reassignment-json-file r.json`,
    "json",
    "waits for the cluster",
  ],
  [`kafka-delete-records.sh ${BS} --offset-json-file d.json`, "json", "changes the cluster"],
  [`kafka-console-producer.sh ${BS} --topic t`, "records", "changes the cluster"],
  [`kafka-console-consumer.sh ${BS} --topic t --from-beginning`, null, "waits for the cluster"],
  [`kafka-get-offsets.sh ${BS} --topic t`, null, "waits for the cluster"],
  [
    `kafka-transactions.sh ${BS} abort --topic t --partition 0 --start-offset 3`,
    null,
    "changes the cluster",
  ],
];

describe("viz: terminal: planCommand", () => {
  it("runs read-only tutorial commands now, and the rest in the timeline with their input", () => {
    for (const line of NOW) expect(planCommand(line).kind, line).toBe("now");
    for (const [line, needsInput, reason] of TIMELINE) {
      expect(planCommand(line), line).toMatchObject({ kind: "timeline", needsInput, reason });
    }
  });

  it("knows builtins, blank lines and broken quotes", () => {
    expect(planCommand("   ")).toEqual({ kind: "empty" });
    expect(planCommand("help")).toEqual({ kind: "builtin", name: "help" });
    expect(planCommand(" clear ")).toEqual({ kind: "builtin", name: "clear" });
    expect(planCommand("history")).toEqual({ kind: "builtin", name: "history" });
    expect(planCommand("kafka-topics.sh --topic 'orders")).toMatchObject({ kind: "invalid" });
    // The words are the shell's: quotes group.
    const plan = planCommand(`kafka-configs.sh ${BS} --alter --add-config 'a=1,b=2'`);
    expect(plan).toMatchObject({ kind: "timeline" });
    if (plan.kind === "timeline") expect(plan.words.at(-1)).toBe("a=1,b=2");
  });

  it("help lists every tool of the registry", () => {
    const help = helpText();
    for (const name of TOOLS.keys()) expect(help).toContain(`${name}.sh`);
  });
});

describe("viz: terminal: commands that run now leave the run unchanged", () => {
  it.each([
    ["quickstart.yaml", [500_000, 4_500_000, 9_500_000]],
    ["auto-commit-loss.yaml", [3_000_000, 12_000_000]],
    ["zk-vs-kraft-failover.yaml", [2_000_000, 9_000_000]],
  ] as const)(
    "%s: each answers at once, adds no trace event, and the run ends on the same traceHash",
    (file, times) => {
      const text = readFileSync(`scenarios/${file}`, "utf8");
      const clean = new Session(text);
      clean.advanceTo(clean.durationUs);
      const session = new Session(text);
      for (const atUs of times) {
        session.advanceTo(atUs);
        const before = session.state();
        for (const line of NOW) {
          const words = splitCommand(line);
          if (!Array.isArray(words)) throw new Error(line);
          const out = session.kafka!.runToolNow(words);
          expect(out.exitCode === 0 || out.stderr !== "" || out.stdout !== "", line).toBe(true);
        }
        const after = session.state();
        expect(after.traceEvents).toBe(before.traceEvents);
        expect(after.traceHash).toBe(before.traceHash);
      }
      session.advanceTo(session.durationUs);
      expect(session.state().traceHash).toBe(clean.state().traceHash);
    },
  );
});

describe("viz: terminal: history", () => {
  it("walks back and forth like a shell, keeping the draft", () => {
    const h = new CommandHistory();
    expect(h.up("draft")).toBe("draft");
    h.push("a");
    h.push("b");
    h.push("b");
    h.push("  ");
    expect(h.entries).toEqual(["a", "b"]);
    expect(h.up("typing")).toBe("b");
    expect(h.up("b")).toBe("a");
    expect(h.up("a")).toBe("a");
    expect(h.down()).toBe("b");
    expect(h.down()).toBe("typing");
    expect(h.down()).toBe("typing");
    h.push("c");
    expect(h.up("")).toBe("c");
  });
});
