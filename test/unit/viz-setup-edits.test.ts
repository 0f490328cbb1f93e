// viz: setup: the Setup panel's text edits (viz/setup-edits.ts, viz/setup-yaml.ts): each knob gives
// text the loader accepts with the intended value, keeps the rest of the file as written
// (comments, other lines), and a value Kafka would refuse comes back as a located message.
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseScenarioText, type Scenario } from "../../sim/scenario/load.ts";
import { type SetupEdit, trySetupEdit } from "../../viz/setup-edits.ts";
import { checkScenarioFile, readScenarioFile } from "../../viz/setup-file.ts";
import { MIXED, setupModel } from "../../viz/setup-model.ts";
import { appendItem, deleteKey, removeItem, setValue } from "../../viz/setup-yaml.ts";

const read = (f: string) => readFileSync(`scenarios/${f}`, "utf8");
const LF = read("leader-failover.yaml");
const GS = read("group-scaling.yaml");
const LOCATED = /^scenario\.yaml:\d+:\d+: /;

function ok(text: string, edit: SetupEdit): { text: string; scenario: Scenario } {
  const r = trySetupEdit(text, edit);
  if (!r.ok) throw new Error(`refused: ${r.message}`);
  // The text the panel hands to the page loads on its own.
  expect(parseScenarioText(r.text, "x.yaml").name).toBe(r.scenario.name);
  return r;
}

function refused(text: string, edit: SetupEdit): string {
  const r = trySetupEdit(text, edit);
  if (r.ok) throw new Error("accepted");
  expect(r.message).not.toMatch(/\n\s+at /); // no stack trace
  return r.message;
}

/** Lines of `after` not in `before`, and lines of `before` gone. */
function diff(before: string, after: string): { added: string[]; removed: string[] } {
  const a = before.split("\n");
  const b = after.split("\n");
  return { added: b.filter((l) => !a.includes(l)), removed: a.filter((l) => !b.includes(l)) };
}

describe("viz: setup: edits", () => {
  it("viz: setup: the version changes on its own line, quoting kept", () => {
    const r = ok(LF, { kind: "version", version: "3.6" });
    expect(String(r.scenario.cluster?.version)).toBe("3.6");
    expect(diff(LF, r.text)).toEqual({
      added: ['  version: "3.6"'],
      removed: ['  version: "4.1"'],
    });
  });

  it("viz: setup: brokers: a count changes; 0 is refused with a located message", () => {
    expect(ok(LF, { kind: "brokers", count: 4 }).scenario.cluster?.brokers.length).toBe(4);
    expect(refused(LF, { kind: "brokers", count: 0 })).toMatch(
      /^scenario\.yaml:14:12: cluster\.brokers: must be at least 1/,
    );
    expect(refused(LF, { kind: "brokers", count: Number.NaN })).toMatch(/whole number/);
  });

  it("viz: setup: brokers below the replication factor: Kafka's message at the topic's line", () => {
    const m = refused(GS, { kind: "brokers", count: 2 });
    expect(m).toMatch(LOCATED);
    expect(m).toContain("topics[0].replication-factor");
    expect(m).toContain("only 2 broker(s)");
  });

  it("viz: setup: brokers given as a list grow and shrink by ids", () => {
    const text = LF.replace(
      "  brokers: 3",
      "  brokers:\n    - { id: 1, rack: a }\n    - { id: 2, rack: b }\n    - { id: 3, rack: c }",
    );
    const grown = ok(text, { kind: "brokers", count: 4 });
    expect(grown.scenario.cluster?.brokers.map((b) => b.id)).toEqual([1, 2, 3, 4]);
    const shrunk = trySetupEdit(text, { kind: "brokers", count: 2 });
    // The topic's assignment names broker 3: refused, located.
    expect(shrunk.ok).toBe(false);
  });

  it("viz: setup: min.insync.replicas and unclean election are set, and removed again", () => {
    for (const text of [LF, GS]) {
      const set = ok(text, { kind: "cluster-config", key: "min.insync.replicas", value: 2 });
      expect(set.scenario.cluster?.config["min.insync.replicas"]).toBe(2);
      const back = ok(set.text, {
        kind: "cluster-config",
        key: "min.insync.replicas",
        value: null,
      });
      expect(back.text).toBe(text);
      const unclean = ok(text, {
        kind: "cluster-config",
        key: "unclean.leader.election.enable",
        value: true,
      });
      expect(unclean.scenario.cluster?.config["unclean.leader.election.enable"]).toBe(true);
    }
    expect(refused(LF, { kind: "cluster-config", key: "min.insync.replicas", value: 0 })).toMatch(
      LOCATED,
    );
  });

  it("viz: setup: acks and idempotence, one producer or all; acks=1 with idempotence is refused", () => {
    const one = ok(GS, { kind: "producer-config", client: "producer-1", key: "acks", value: "1" });
    expect(one.scenario.clients[0]?.config.acks).toBe(1);
    const two = ok(one.text, { kind: "add-producer" });
    const all = ok(two.text, { kind: "producer-config", client: null, key: "acks", value: "all" });
    const producers = all.scenario.clients.filter((c) => c.type === "producer");
    expect(producers.length).toBe(2);
    expect(producers.map((p) => p.config.acks)).toEqual(["all", "all"]);
    const idem = ok(all.text, {
      kind: "producer-config",
      client: null,
      key: "enable.idempotence",
      value: true,
    });
    expect(
      idem.scenario.clients
        .filter((c) => c.type === "producer")
        .map((p) => p.config["enable.idempotence"]),
    ).toEqual([true, true]);
    const m = refused(idem.text, {
      kind: "producer-config",
      client: "producer-1",
      key: "acks",
      value: "1",
    });
    expect(m).toMatch(LOCATED);
    expect(m).toContain("Must set acks to all");
  });

  it("viz: setup: partitions and replication factor; a manual assignment follows", () => {
    const p4 = ok(LF, { kind: "topic", topic: "orders", field: "partitions", value: 4 });
    expect(p4.scenario.topics[0]?.partitions).toBe(4);
    expect(p4.scenario.topics[0]?.assignment).toEqual([
      [1, 2, 3],
      [2, 3, 1],
      [3, 1, 2],
      [1, 2, 3],
    ]);
    const rf2 = ok(LF, { kind: "topic", topic: "orders", field: "replication-factor", value: 2 });
    expect(rf2.scenario.topics[0]?.replicationFactor).toBe(2);
    expect(rf2.scenario.topics[0]?.assignment).toEqual([
      [1, 2],
      [2, 3],
      [3, 1],
    ]);
    const m = refused(LF, {
      kind: "topic",
      topic: "orders",
      field: "replication-factor",
      value: 4,
    });
    expect(m).toMatch(LOCATED);
    expect(m).toContain("replication factor of 4 cannot be reached");
    expect(
      refused(GS, { kind: "topic", topic: "invoices", field: "partitions", value: 0 }),
    ).toMatch(LOCATED);
    expect(refused(GS, { kind: "topic", topic: "nope", field: "partitions", value: 2 })).toMatch(
      /no topic nope/,
    );
  });

  it("viz: setup: a group's assignor is set on every member", () => {
    const cls = "org.apache.kafka.clients.consumer.RoundRobinAssignor";
    const r = ok(GS, { kind: "assignor", group: "billing", strategy: cls });
    const members = r.scenario.clients.filter((c) => c.type === "consumer");
    expect(members.length).toBe(4);
    for (const m of members) expect(m.config["partition.assignment.strategy"]).toBe(cls);
    expect(setupModel(r.scenario).groups[0]?.assignor).toBe(cls);
    const back = ok(r.text, { kind: "assignor", group: "billing", strategy: null });
    expect(back.text).toBe(GS);
  });

  it("viz: setup: a consumer joins a group as a copy of its first member; a producer writes to the first topic", () => {
    const c = ok(GS, { kind: "add-consumer", group: "billing" });
    const added = c.scenario.clients.find((x) => x.id === "consumer-5");
    expect(added).toMatchObject({ type: "consumer", group: "billing", subscribe: ["invoices"] });
    expect(diff(GS, c.text).removed).toEqual([]);
    const p = ok(LF, { kind: "add-producer" });
    const prod = p.scenario.clients.find((x) => x.id === "producer-1");
    expect(prod?.type === "producer" ? prod.workload?.topic : undefined).toBe("orders");
    expect(refused(read("quickstart.yaml"), { kind: "add-producer" })).toMatch(/no topic/);
    expect(refused(GS, { kind: "add-consumer", group: "nobody" })).toMatch(
      /no consumer is in group nobody/,
    );
  });

  it("viz: setup: removing a client takes its start/stop entries and the comment above it", () => {
    const r = ok(GS, { kind: "remove-client", client: "consumer-2" });
    expect(r.scenario.clients.map((c) => c.id)).toEqual([
      "producer-1",
      "consumer-1",
      "consumer-3",
      "consumer-4",
    ]);
    expect(
      r.scenario.timeline.some(
        (e) => e.action.kind === "start" && e.action.client === "consumer-2",
      ),
    ).toBe(false);
    const rs = read("retention-and-segments.yaml");
    const comment =
      "  # The same job redeployed later: it joins the group when the timeline starts it.";
    expect(rs).toContain(comment);
    const s = parseScenarioText(rs, "x.yaml");
    const before = s.clients[s.clients.findIndex((c) => c.id === "reporting-2") - 1]!.id;
    expect(ok(rs, { kind: "remove-client", client: before }).text).toContain(comment);
    expect(ok(rs, { kind: "remove-client", client: "reporting-2" }).text).not.toContain(comment);
  });

  it("viz: setup: every bundled scenario: each edit loads or is refused with a located message, comments kept", () => {
    for (const file of readdirSync("scenarios").filter((f) => f.endsWith(".yaml"))) {
      const text = read(file);
      const s = parseScenarioText(text, file);
      if (s.cluster === null) continue;
      const m = setupModel(s);
      const edits: SetupEdit[] = [
        { kind: "version", version: "3.9" },
        { kind: "brokers", count: m.brokers + 1 },
        { kind: "cluster-config", key: "min.insync.replicas", value: null },
        { kind: "cluster-config", key: "unclean.leader.election.enable", value: false },
        ...m.topics.map(
          (t): SetupEdit => ({ kind: "topic", topic: t.name, field: "partitions", value: 5 }),
        ),
        ...m.groups.map((g): SetupEdit => ({ kind: "add-consumer", group: g.id })),
        ...(m.topics.length > 0 ? [{ kind: "add-producer" } as const] : []),
      ];
      const comments = text.split("\n").filter((l) => l.trim().startsWith("#"));
      for (const edit of edits) {
        const r = trySetupEdit(text, edit, file);
        if (r.ok) {
          for (const c of comments) expect(r.text, `${file} ${JSON.stringify(edit)}`).toContain(c);
        } else
          expect(r.message, `${file} ${JSON.stringify(edit)}`).toMatch(/^[\w.-]+\.yaml:\d+:\d+: /);
      }
    }
  });

  it("viz: setup: a JSON scenario is edited in JSON style and still loads", () => {
    const json = JSON.stringify(parse(GS), null, 2);
    const r = ok(json, { kind: "cluster-config", key: "min.insync.replicas", value: 2 });
    expect(r.scenario.cluster?.config["min.insync.replicas"]).toBe(2);
    const c = ok(r.text, { kind: "add-consumer", group: "billing" });
    expect(c.scenario.clients.length).toBe(6);
    const x = ok(c.text, { kind: "remove-client", client: "consumer-1" });
    expect(x.scenario.clients.some((k) => k.id === "consumer-1")).toBe(false);
  });
});

describe("viz: setup: yaml splicing", () => {
  const text = "# top\na: 1 # one\nb:\n  # about c\n  c: { d: 2 }\n  e: 3\nl:\n  - x\n  - y\n";
  it("viz: setup: set, delete, append and remove keep comments and other lines", () => {
    expect(setValue(text, ["a"], 5)).toBe(text.replace("a: 1", "a: 5"));
    expect(setValue(text, ["b", "c", "f"], "g")).toBe(text.replace("{ d: 2 }", "{ d: 2, f: g }"));
    expect(setValue(text, ["b", "h"], true)).toBe(text.replace("  e: 3\n", "  e: 3\n  h: true\n"));
    expect(deleteKey(text, ["b", "c"])).toBe(text.replace("  # about c\n  c: { d: 2 }\n", ""));
    expect(appendItem(text, ["l"], "z")).toBe(`${text}  - z\n`);
    expect(removeItem(text, ["l"], 0)).toBe(text.replace("  - x\n", ""));
    expect(setValue(text, ["m", "n"], 1)).toBe(`${text}m: { n: 1 }\n`);
  });
});

describe("viz: setup: files", () => {
  it("viz: setup: only .yaml, .yml and .json; a bad file's message names it with line and column", () => {
    expect(checkScenarioFile("a.txt", 10)).toMatch(/not a scenario file/);
    expect(checkScenarioFile("A.YML", 10)).toBeUndefined();
    const bad = readScenarioFile("mine.yaml", "version: 1\nname: x\ncluster:\n  brokers: 0\n");
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.message).toMatch(/^mine\.yaml:4:12: cluster\.brokers: /);
    const broken = readScenarioFile("b.json", "{ nope");
    expect(broken.ok).toBe(false);
    if (!broken.ok) expect(broken.message).toMatch(/^b\.json:\d+:\d+: /);
    expect(readScenarioFile("ok.yaml", LF).ok).toBe(true);
  });

  it("viz: setup: the model shows mixed values", () => {
    const r = ok(GS, { kind: "add-producer" });
    const one = ok(r.text, {
      kind: "producer-config",
      client: "producer-1",
      key: "acks",
      value: "1",
    });
    const m = setupModel(one.scenario);
    expect(m.producers.map((p) => p.acks)).toEqual(["1", ""]);
    const cls = "org.apache.kafka.clients.consumer.StickyAssignor";
    const t = GS.replace(
      "config: { auto.offset.reset: earliest }",
      `config: { auto.offset.reset: earliest, partition.assignment.strategy: ${cls} }`,
    );
    expect(setupModel(parseScenarioText(t, "x")).groups[0]?.assignor).toBe(MIXED);
  });
});
