// @vitest-environment happy-dom
// viz: terminal: the Terminal panel in a happy-dom document: help, a read-only command answered
// at once without changing the run, a changing command that forks the run with a `cli` action and
// shows its output when the forked run records it, a console producer's input lines, history
// with the arrow keys, errors in the tool's words, and a transcript that a seek leaves alone.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { ForkAction } from "../../sim/scenario/session.ts";
import { Session } from "../../sim/scenario/session.ts";
import { terminalPanel } from "../../viz/panels/terminal-panel.ts";

const QUICKSTART = readFileSync("scenarios/quickstart.yaml", "utf8");
const BS = "--bootstrap-server localhost:9092";

/** A page around the panel: act forks and redraws, as viz/main.ts does. */
function page(text = QUICKSTART) {
  let session = new Session(text);
  const actions: ForkAction[] = [];
  const container = document.createElement("div");
  document.body.replaceChildren(container);
  const redraw = terminalPanel.mount(container, {
    act(action) {
      actions.push(action);
      session = session.fork(action);
      redraw(session);
    },
    seek(us) {
      session.seek(us);
      redraw(session);
    },
    replaceScenario() {
      throw new Error("the terminal does not replace the scenario");
    },
  });
  const input = container.querySelector<HTMLInputElement>("input.terminal-input")!;
  const form = container.querySelector<HTMLFormElement>("form")!;
  const api = {
    container,
    actions,
    get session() {
      return session;
    },
    advance(us: number) {
      session.advanceTo(us);
      redraw(session);
    },
    seek(us: number) {
      session.seek(us);
      redraw(session);
    },
    type(line: string) {
      input.value = line;
      form.dispatchEvent(new Event("submit", { cancelable: true }));
    },
    key(key: string, ctrlKey = false) {
      input.dispatchEvent(new KeyboardEvent("keydown", { key, ctrlKey, cancelable: true }));
    },
    input,
    text: () => container.querySelector(".terminal-output")!.textContent ?? "",
    stream: (name: string) =>
      [...container.querySelectorAll(`.terminal-output [data-stream="${name}"]`)]
        .map((e) => e.textContent)
        .join(""),
  };
  redraw(session);
  return api;
}

describe("viz: terminal panel", () => {
  it("help lists the tools; clear empties the transcript", () => {
    const p = page();
    p.type("help");
    expect(p.text()).toContain("kafka-topics.sh");
    expect(p.text()).toContain("kafka-console-consumer.sh");
    p.type("clear");
    expect(p.text()).toBe("");
  });

  it("a describe runs now, prints Kafka's layout, and changes neither the run nor its text", () => {
    const p = page();
    p.advance(4_500_000);
    const before = p.session.state();
    p.type(`kafka-topics.sh ${BS} --describe --topic quickstart-events`);
    expect(p.stream("command")).toContain("[4.500 s] $ kafka-topics.sh");
    expect(p.stream("stdout")).toMatch(
      /^Topic: quickstart-events\tTopicId: \S+\tPartitionCount: 1\tReplicationFactor: 1/,
    );
    expect(p.stream("stdout")).toContain(
      "\tTopic: quickstart-events\tPartition: 0\tLeader: 1\tReplicas: 1\tIsr: 1",
    );
    expect(p.actions).toEqual([]);
    expect(p.session.state().traceHash).toBe(before.traceHash);
    expect(p.session.text).toBe(QUICKSTART);
  });

  it("errors are the tools' own words, on stderr, with the exit code", () => {
    const p = page();
    p.advance(500_000);
    p.type("kafka-topicz.sh --list");
    expect(p.stream("stderr")).toContain("did you mean kafka-topics.sh?");
    expect(p.text()).toContain("(exit 1)");
    p.type(`kafka-topics.sh ${BS} --describe --topic nope`);
    expect(p.stream("stderr")).toContain("nope");
    p.type("kafka-topics.sh --topic 'open");
    expect(p.stream("stderr")).toContain("unterminated single quote");
  });

  it("a create forks the run with a cli action; its output shows when the tool answers", () => {
    const p = page();
    p.advance(4_000_000);
    const command = `kafka-topics.sh ${BS} --create --topic payments --partitions 3`;
    p.type(command);
    expect(p.actions).toEqual([{ kind: "cli", command }]);
    expect(p.session.text).toContain(`cli: ${JSON.stringify(command)}`);
    expect(p.session.timeUs).toBe(4_000_000);
    expect(p.text()).toContain("joined the timeline at 4000ms");
    expect(p.stream("stdout")).not.toContain("Created topic payments.");
    p.advance(5_000_000);
    expect(p.stream("stdout")).toContain("Created topic payments.\n");
    expect(p.text()).toContain("ran in the timeline at 4000ms");
    p.type(`kafka-topics.sh ${BS} --describe --topic payments`);
    expect(p.stream("stdout")).toContain("PartitionCount: 3");
  });

  it("a console producer asks for its lines; Ctrl-D sends them in a cli action with input", () => {
    const p = page();
    p.advance(9_500_000);
    const command = `kafka-console-producer.sh ${BS} --topic quickstart-events`;
    p.type(command);
    expect(p.actions).toEqual([]);
    expect(p.container.querySelector(".terminal-ps1")!.textContent).toBe(">");
    p.type("again");
    p.input.value = "and again";
    p.key("d", true);
    expect(p.actions).toEqual([{ kind: "cli", command, input: ["again", "and again"] }]);
    expect(p.container.querySelector(".terminal-ps1")!.textContent).toBe("$");
    expect(p.stream("input")).toBe(">again\n>and again\n");
    p.advance(11_000_000);
    expect(p.text()).toContain("ran in the timeline at 9500ms");
    p.type(
      "kafka-console-consumer.sh --topic quickstart-events --from-beginning --max-messages 4 --bootstrap-server localhost:9092",
    );
    p.advance(p.session.durationUs);
    expect(p.stream("stdout")).toContain("Hello\nWorld\nagain\nand again\n");
    expect(p.stream("stderr")).toContain("Processed a total of 4 messages");
  });

  it("Ctrl-C cancels the input and runs nothing", () => {
    const p = page();
    p.advance(9_500_000);
    p.type(`kafka-console-producer.sh ${BS} --topic quickstart-events`);
    p.type("x");
    p.key("c", true);
    expect(p.actions).toEqual([]);
    expect(p.text()).toContain("cancelled");
  });

  it("up and down walk the history", () => {
    const p = page();
    p.type("help");
    p.type(`kafka-topics.sh ${BS} --list`);
    p.input.value = "draft";
    p.key("ArrowUp");
    expect(p.input.value).toBe(`kafka-topics.sh ${BS} --list`);
    p.key("ArrowUp");
    expect(p.input.value).toBe("help");
    p.key("ArrowDown");
    p.key("ArrowDown");
    expect(p.input.value).toBe("draft");
    p.input.value = "";
    p.type("history");
    expect(p.stream("stdout")).toContain("    1  help\n    2  kafka-topics.sh");
  });

  it("a seek back keeps the transcript; a waiting command says the run is earlier, then answers", () => {
    const p = page();
    p.advance(4_500_000);
    p.type(`kafka-topics.sh ${BS} --describe --topic quickstart-events`);
    p.type(
      "kafka-console-consumer.sh --topic quickstart-events --from-beginning --max-messages 2 --bootstrap-server localhost:9092",
    );
    const transcript = p.stream("stdout");
    p.seek(2_000_000);
    expect(p.stream("stdout")).toBe(transcript);
    expect(p.text()).toContain("the run is earlier now");
    expect(p.container.querySelector(".terminal-clock")!.textContent).toBe("[2.000 s]");
    p.advance(12_000_000);
    expect(p.stream("stdout")).toBe(`${transcript}Hello\nWorld\n`);
  });

  it("bare hosts: the tools say they need a Kafka cluster", () => {
    const p = page(readFileSync("scenarios/demo-transfer.yaml", "utf8"));
    p.type(`kafka-topics.sh ${BS} --list`);
    expect(p.stream("stderr")).toContain("Kafka's tools need a Kafka cluster");
  });
});
