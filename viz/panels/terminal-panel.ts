/**
 * The Terminal panel: type the Kafka commands of the tutorials against the cluster at the current
 * moment. Read-only commands that answer at once run now (session.kafka.runToolNow) and change
 * nothing; every other command joins the scenario's timeline as a `cli` action at the current time
 * (host.act forks the run), and its output is shown when the forked run records it
 * (session.cliRuns()). Output is the tool's own text, monospace; errors are the tool's stderr.
 *
 * Which command goes where, the help text and the history are pure (viz/terminal-commands.ts,
 * viz/terminal-history.ts); this file is the DOM around them. The transcript is the user's, like a
 * real terminal's: seeking does not erase it; a forked command still waiting says so.
 */
import { type CliRun, formatAt, type Session } from "../../sim/scenario/session.ts";
import { PALETTE } from "../cluster-layout.ts";
import { type CommandPlan, helpText, planCommand } from "../terminal-commands.ts";
import { CommandHistory } from "../terminal-history.ts";
import type { Panel, PanelHost } from "./panel.ts";

/** The transcript keeps this many blocks; older ones scroll away for good. */
const MAX_BLOCKS = 400;

/** A forked command waiting for its entry in the run's cli record. */
interface Pending {
  readonly atUs: number;
  readonly command: string;
  /** Where its output goes. */
  readonly block: HTMLElement;
  readonly status: HTMLElement;
}

function seconds(us: number): string {
  return `${(us / 1_000_000).toFixed(3)} s`;
}

/** The forked command's record: the last one started at its time with its text. */
export function findCliRun(
  runs: readonly CliRun[],
  atUs: number,
  command: string,
): CliRun | undefined {
  for (let i = runs.length - 1; i >= 0; i--) {
    const r = runs[i]!;
    if (r.atUs === atUs && r.command === command) return r;
  }
  return undefined;
}

class Terminal {
  private session: Session | undefined;
  private readonly history = new CommandHistory();
  private readonly pending: Pending[] = [];
  /** Set while a forked command collects its input lines (a console producer's records). */
  private collecting:
    | {
        plan: Extract<CommandPlan, { kind: "timeline" }>;
        line: string;
        lines: string[];
        block: HTMLElement;
      }
    | undefined;
  readonly output: HTMLElement;
  readonly input: HTMLInputElement;
  private readonly prompt: HTMLElement;
  private readonly clock: HTMLElement;
  private readonly sendButton: HTMLButtonElement;
  private readonly cancelButton: HTMLButtonElement;

  constructor(
    container: HTMLElement,
    private readonly host: PanelHost,
  ) {
    const root = document.createElement("div");
    root.className = "terminal";
    root.style.fontFamily = "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace";
    root.style.fontSize = "12px";

    this.output = document.createElement("div");
    this.output.className = "terminal-output";
    this.output.setAttribute("role", "log");
    this.output.setAttribute("aria-live", "polite");
    this.output.style.maxHeight = "24em";
    this.output.style.overflow = "auto";
    this.output.style.whiteSpace = "pre";

    const row = document.createElement("form");
    row.className = "terminal-prompt";
    row.style.display = "flex";
    row.style.gap = "0.5em";
    row.style.alignItems = "center";
    this.clock = document.createElement("span");
    this.clock.className = "terminal-clock";
    this.prompt = document.createElement("span");
    this.prompt.className = "terminal-ps1";
    this.prompt.textContent = "$";
    this.input = document.createElement("input");
    this.input.type = "text";
    this.input.className = "terminal-input";
    this.input.setAttribute("aria-label", "Kafka command");
    this.input.autocomplete = "off";
    this.input.spellcheck = false;
    this.input.placeholder =
      "kafka-topics.sh --bootstrap-server localhost:9092 --describe   (help)";
    this.input.style.flex = "1";
    this.input.style.font = "inherit";
    const run = document.createElement("button");
    run.type = "submit";
    run.textContent = "Run";
    this.sendButton = document.createElement("button");
    this.sendButton.type = "button";
    this.sendButton.className = "terminal-send";
    this.sendButton.textContent = "Send (Ctrl-D)";
    this.sendButton.hidden = true;
    this.sendButton.addEventListener("click", () => this.finishInput());
    this.cancelButton = document.createElement("button");
    this.cancelButton.type = "button";
    this.cancelButton.className = "terminal-cancel";
    this.cancelButton.textContent = "Cancel (Ctrl-C)";
    this.cancelButton.hidden = true;
    this.cancelButton.addEventListener("click", () => this.cancelInput());
    row.append(this.clock, this.prompt, this.input, run, this.sendButton, this.cancelButton);
    row.addEventListener("submit", (e) => {
      e.preventDefault();
      this.enter();
    });
    this.input.addEventListener("keydown", (e) => this.key(e));

    root.append(this.output, row);
    container.replaceChildren(root);
    this.note("Type help for the tools. Commands run against the cluster at the moment shown.");
  }

  redraw(session: Session): void {
    this.session = session;
    this.clock.textContent = `[${seconds(session.timeUs)}]`;
    if (this.pending.length > 0) this.settle(session);
  }

  private key(e: KeyboardEvent): void {
    if (e.key === "ArrowUp" && this.collecting === undefined) {
      e.preventDefault();
      this.input.value = this.history.up(this.input.value);
    } else if (e.key === "ArrowDown" && this.collecting === undefined) {
      e.preventDefault();
      this.input.value = this.history.down();
    } else if (e.ctrlKey && (e.key === "d" || e.key === "D") && this.collecting !== undefined) {
      e.preventDefault();
      if (this.input.value !== "") this.addInputLine();
      this.finishInput();
    } else if (e.ctrlKey && (e.key === "c" || e.key === "C") && this.collecting !== undefined) {
      e.preventDefault();
      this.cancelInput();
    } else if (e.ctrlKey && (e.key === "l" || e.key === "L")) {
      e.preventDefault();
      this.output.replaceChildren();
    }
  }

  /** Enter: a command, or one more input line. */
  enter(): void {
    if (this.collecting !== undefined) {
      this.addInputLine();
      return;
    }
    const line = this.input.value;
    this.input.value = "";
    this.history.push(line);
    this.run(line);
  }

  /** Runs a typed line (the transcript shows it first). */
  run(line: string): void {
    const plan = planCommand(line);
    if (plan.kind === "empty") return;
    const block = this.block();
    this.echo(block, line);
    switch (plan.kind) {
      case "invalid":
        return this.text(block, `${plan.error}\n`, "stderr");
      case "builtin":
        if (plan.name === "clear") return this.output.replaceChildren();
        if (plan.name === "help") return this.text(block, `${helpText()}\n`, "stdout");
        return this.text(
          block,
          this.history.entries.map((h, i) => `${String(i + 1).padStart(5)}  ${h}\n`).join(""),
          "stdout",
        );
      case "now":
        return this.runNow(block, plan.words);
      case "timeline":
        if (plan.needsInput !== null) {
          this.collecting = { plan, line, lines: [], block };
          this.prompt.textContent = ">";
          this.sendButton.hidden = false;
          this.cancelButton.hidden = false;
          this.note(
            plan.needsInput === "records"
              ? "Type the records, one a line; Ctrl-D (Send) runs the producer, Ctrl-C cancels."
              : "Type (or paste) the JSON file's text; Ctrl-D (Send) runs the command, Ctrl-C cancels.",
            block,
          );
          return;
        }
        return this.fork(block, line, plan, []);
    }
  }

  private runNow(block: HTMLElement, words: readonly string[]): void {
    const session = this.session;
    if (session === undefined) return this.text(block, "kafkasim: no scenario is open\n", "stderr");
    const kafka = session.kafka;
    if (kafka === undefined) {
      return this.text(
        block,
        `kafkasim: ${words[0]}: Kafka's tools need a Kafka cluster (this scenario has bare hosts)\n`,
        "stderr",
      );
    }
    try {
      const out = kafka.runToolNow(words);
      this.show(block, out.stdout, out.stderr, out.exitCode);
    } catch (error) {
      this.text(
        block,
        `kafkasim: ${error instanceof Error ? error.message : String(error)}\n`,
        "stderr",
      );
    }
  }

  private addInputLine(): void {
    const c = this.collecting;
    if (c === undefined) return;
    c.lines.push(this.input.value);
    this.text(c.block, `>${this.input.value}\n`, "input");
    this.input.value = "";
  }

  private finishInput(): void {
    const c = this.collecting;
    if (c === undefined) return;
    this.endCollecting();
    this.fork(c.block, c.line, c.plan, c.lines);
  }

  private cancelInput(): void {
    const c = this.collecting;
    if (c === undefined) return;
    this.endCollecting();
    this.note("^C (cancelled: nothing was run)", c.block);
  }

  private endCollecting(): void {
    this.collecting = undefined;
    this.input.value = "";
    this.prompt.textContent = "$";
    this.sendButton.hidden = true;
    this.cancelButton.hidden = true;
  }

  /** Joins the timeline: the run forks here with a `cli` action; the output comes when it answers. */
  private fork(
    block: HTMLElement,
    line: string,
    plan: Extract<CommandPlan, { kind: "timeline" }>,
    input: readonly string[],
  ): void {
    const session = this.session;
    if (session === undefined) return this.text(block, "kafkasim: no scenario is open\n", "stderr");
    const command = line.trim();
    const atUs = session.timeUs;
    const status = document.createElement("div");
    status.className = "terminal-note terminal-status";
    status.style.color = "#666";
    status.textContent = `→ joins the timeline at ${formatAt(atUs)} (${plan.reason}): waiting for the answer…`;
    block.append(status);
    const entry: Pending = { atUs, command, block, status };
    this.pending.push(entry);
    this.host.act(input.length === 0 ? { kind: "cli", command } : { kind: "cli", command, input });
    // The page redraws with the forked session; if it did not, the fork failed (the page says why).
    if (this.session === session && this.pending.includes(entry)) {
      this.pending.splice(this.pending.indexOf(entry), 1);
      status.textContent = "→ not run: the run could not fork here (see the page's error)";
    }
  }

  /** Fills in the forked commands whose tools have answered in this session. */
  private settle(session: Session): void {
    const runs = session.cliRuns();
    for (const p of [...this.pending]) {
      const run = findCliRun(runs, p.atUs, p.command);
      if (run === undefined) {
        p.status.textContent =
          session.timeUs < p.atUs
            ? `→ in the timeline at ${formatAt(p.atUs)}: the run is earlier now; it runs when the run gets there`
            : `→ not in this run's timeline (another scenario is open)`;
        continue;
      }
      if (run.exitCode === null) {
        p.status.textContent = `→ joined the timeline at ${formatAt(p.atUs)}: waiting for the cluster's answer… (play the run forward)`;
        continue;
      }
      p.status.textContent = `→ ran in the timeline at ${formatAt(p.atUs)}`;
      this.show(p.block, run.output, run.error, run.exitCode);
      this.pending.splice(this.pending.indexOf(p), 1);
    }
  }

  private block(): HTMLElement {
    const block = document.createElement("div");
    block.className = "terminal-block";
    this.output.append(block);
    while (this.output.childElementCount > MAX_BLOCKS) this.output.firstElementChild?.remove();
    return block;
  }

  private echo(block: HTMLElement, line: string): void {
    const at = this.session === undefined ? "" : `[${seconds(this.session.timeUs)}] `;
    this.text(block, `${at}$ ${line}\n`, "command");
  }

  private show(block: HTMLElement, stdout: string, stderr: string, exitCode: number): void {
    if (stdout !== "") this.text(block, stdout, "stdout");
    if (stderr !== "") this.text(block, stderr, "stderr");
    if (exitCode !== 0) this.note(`(exit ${exitCode})`, block);
  }

  private text(
    block: HTMLElement,
    text: string,
    stream: "command" | "stdout" | "stderr" | "input",
  ): void {
    const span = document.createElement("span");
    span.className = `terminal-${stream}`;
    span.dataset.stream = stream;
    if (stream === "stderr") span.style.color = PALETTE.crashed;
    if (stream === "command") span.style.fontWeight = "bold";
    span.textContent = text.endsWith("\n") || text === "" ? text : `${text}\n`;
    block.append(span);
    this.output.scrollTop = this.output.scrollHeight;
  }

  private note(text: string, block: HTMLElement = this.block()): void {
    const div = document.createElement("div");
    div.className = "terminal-note";
    div.style.color = "#666";
    div.textContent = text;
    block.append(div);
  }
}

export const terminalPanel: Panel = {
  id: "terminal",
  title: "Terminal",
  mount(container, host) {
    const terminal = new Terminal(container, host);
    return (session) => terminal.redraw(session);
  },
};
