/**
 * The Setup panel: open a scenario file (upload button or drag-and-drop of a .yaml, .yml or .json
 * file) and turn the common knobs: version profile, brokers, min.insync.replicas, unclean leader
 * election, topics' partitions and replication factor, producers' acks and idempotence, a group's
 * assignor, and add or remove clients. A knob edits the scenario TEXT (viz/setup-edits.ts, which
 * keeps comments and layout) and the page re-opens it from 0 s (host.replaceScenario), so the
 * change is in the editor, survives a reload and exports like any edit.
 *
 * A file or a value the loader refuses is not applied: the panel shows the loader's located
 * message (file:line:column: path: message) as text, never a stack trace, and the knobs go back
 * to the values of the scenario that runs. The knobs show the loaded scenario (setup-model.ts)
 * and are rebuilt only when the session's text changes, so the per-frame redraw costs a compare.
 */
import type { Session } from "../../sim/scenario/session.ts";
import { PALETTE } from "../cluster-layout.ts";
import { describeError, type SetupEdit, trySetupEdit } from "../setup-edits.ts";
import { checkScenarioFile, readScenarioFile } from "../setup-file.ts";
import {
  ACKS_CHOICES,
  ASSIGNOR_CHOICES,
  MIXED,
  type SetupModel,
  setupModel,
  VERSION_CHOICES,
} from "../setup-model.ts";
import type { Panel, PanelHost } from "./panel.ts";

type Choice = { readonly value: string; readonly label: string };

const DEFAULT: Choice = { value: "", label: "default" };
const BOOLEAN_CHOICES: readonly Choice[] = [
  DEFAULT,
  { value: "true", label: "true" },
  { value: "false", label: "false" },
];

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  text?: string,
  attrs: Record<string, string> = {},
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

/** A select showing `current`; a value outside the choices is shown as itself. */
function select(choices: readonly Choice[], current: string, attrs: Record<string, string>) {
  const s = el("select", undefined, attrs);
  const all = choices.some((c) => c.value === current)
    ? choices
    : [...choices, { value: current, label: current }];
  for (const c of all) s.append(el("option", c.label, { value: c.value }));
  s.value = current;
  return s;
}

function numberInput(current: string, attrs: Record<string, string>): HTMLInputElement {
  const i = el("input", undefined, {
    type: "number",
    min: "0",
    step: "1",
    placeholder: "default",
    ...attrs,
  });
  i.value = current;
  i.style.width = "5em";
  return i;
}

function label(text: string, control: HTMLElement): HTMLLabelElement {
  const l = el("label", `${text} `);
  l.style.marginRight = "1em";
  l.append(control);
  return l;
}

function button(text: string, attrs: Record<string, string>, onClick: () => void) {
  const b = el("button", text, { type: "button", ...attrs });
  b.addEventListener("click", onClick);
  return b;
}

/** A config value from a select or number box: "" is the default (the key is removed). */
function configValue(text: string): string | number | boolean | null {
  const t = text.trim();
  if (t === "") return null;
  if (t === "true" || t === "false") return t === "true";
  return /^-?\d+$/.test(t) ? Number(t) : t;
}

class SetupView {
  private session: Session | undefined;
  private shownText: string | undefined;
  private readonly knobs: HTMLElement;
  private readonly error: HTMLPreElement;
  private readonly note: HTMLElement;

  constructor(
    container: HTMLElement,
    private readonly host: PanelHost,
  ) {
    const root = el("div", undefined, { class: "setup" });
    root.style.fontSize = "13px";

    const fileInput = el("input", undefined, {
      type: "file",
      accept: ".yaml,.yml,.json",
      "data-setup": "file",
    });
    fileInput.hidden = true;
    fileInput.addEventListener("change", () => {
      const file = fileInput.files?.[0];
      fileInput.value = "";
      if (file !== undefined) void this.openFile(file);
    });
    const upload = button("Open a file…", { "data-setup": "upload" }, () => fileInput.click());

    const drop = el("div", "or drop a .yaml, .yml or .json scenario here", {
      class: "setup-drop",
      "data-setup": "drop",
      "aria-label": "drop a scenario file here",
    });
    drop.style.border = `2px dashed ${PALETTE.controller}`;
    drop.style.padding = "0.6em";
    drop.style.margin = "0.4em 0";
    drop.addEventListener("dragover", (e) => {
      e.preventDefault();
      drop.style.background = PALETTE.track;
    });
    drop.addEventListener("dragleave", () => {
      drop.style.background = "";
    });
    drop.addEventListener("drop", (e) => {
      e.preventDefault();
      drop.style.background = "";
      const file = e.dataTransfer?.files?.[0];
      if (file !== undefined) void this.openFile(file);
      else this.showError("drop a scenario file (.yaml, .yml or .json)");
    });

    this.error = el("pre", undefined, {
      class: "setup-error",
      role: "alert",
      "data-setup": "error",
    });
    this.error.style.whiteSpace = "pre-wrap";
    this.error.style.color = PALETTE.crashed;
    this.error.hidden = true;
    this.note = el("p", undefined, { "data-setup": "note" });
    this.note.hidden = true;
    this.knobs = el("div", undefined, { class: "setup-knobs" });

    root.append(fileInput, upload, drop, this.error, this.note, this.knobs);
    container.replaceChildren(root);
  }

  redraw(session: Session): void {
    this.session = session;
    if (session.text === this.shownText) return;
    this.shownText = session.text;
    // Another scenario (picker, editor, a knob): an earlier refusal or warning is out of date.
    this.clearError();
    this.note.hidden = true;
    this.renderKnobs(setupModel(session.scenario));
  }

  showError(message: string): void {
    this.error.textContent = `Not applied:\n${message}`;
    this.error.hidden = false;
  }

  private clearError(): void {
    this.error.hidden = true;
    this.error.textContent = "";
  }

  private async openFile(file: File): Promise<void> {
    const refused = checkScenarioFile(file.name, file.size);
    if (refused !== undefined) return this.showError(refused);
    let text: string;
    try {
      text = await file.text();
    } catch (error) {
      return this.showError(`${file.name}: cannot read the file: ${describeError(error)}`);
    }
    const result = readScenarioFile(file.name, text);
    if (!result.ok) return this.showError(result.message);
    this.clearError();
    this.host.replaceScenario(text, file.name);
  }

  private apply(edit: SetupEdit): void {
    const session = this.session;
    if (session === undefined) return;
    const result = trySetupEdit(session.text, edit, session.scenario.source.file);
    if (!result.ok) {
      this.showError(result.message);
      // The controls go back to what runs.
      this.renderKnobs(setupModel(session.scenario));
      return;
    }
    this.clearError();
    this.host.replaceScenario(result.text, session.scenario.source.file);
    const warnings = result.scenario.warnings;
    this.note.hidden = warnings.length === 0;
    this.note.textContent =
      warnings.length === 0
        ? ""
        : `Applied, with a warning: ${warnings.map((w) => `${w.path}: ${w.message}`).join("; ")}`;
  }

  private renderKnobs(model: SetupModel): void {
    if (!model.hasCluster) {
      this.knobs.replaceChildren(
        el("p", "This scenario has bare hosts and no Kafka cluster: no knobs."),
      );
      return;
    }
    const parts: HTMLElement[] = [];
    const cluster = el("fieldset");
    cluster.append(el("legend", "Cluster"));
    const version = select(
      VERSION_CHOICES.map((v) => ({ value: v, label: v })),
      model.version,
      { "data-knob": "version" },
    );
    version.addEventListener("change", () =>
      this.apply({ kind: "version", version: version.value }),
    );
    const brokers = numberInput(String(model.brokers), { "data-knob": "brokers", min: "1" });
    brokers.addEventListener("change", () =>
      this.apply({
        kind: "brokers",
        count: brokers.value === "" ? Number.NaN : Number(brokers.value),
      }),
    );
    const minIsr = numberInput(model.minInsyncReplicas, {
      "data-knob": "min.insync.replicas",
      min: "1",
    });
    minIsr.addEventListener("change", () =>
      this.apply({
        kind: "cluster-config",
        key: "min.insync.replicas",
        value: configValue(minIsr.value),
      }),
    );
    const unclean = select(BOOLEAN_CHOICES, model.uncleanElection, {
      "data-knob": "unclean.leader.election.enable",
    });
    unclean.addEventListener("change", () =>
      this.apply({
        kind: "cluster-config",
        key: "unclean.leader.election.enable",
        value: configValue(unclean.value),
      }),
    );
    cluster.append(
      label("version", version),
      label("brokers", brokers),
      label("min.insync.replicas", minIsr),
      label("unclean.leader.election.enable", unclean),
    );
    parts.push(cluster);

    if (model.topics.length > 0) {
      const topics = el("fieldset");
      topics.append(el("legend", "Topics"));
      for (const t of model.topics) {
        const row = el("div", undefined, { "data-topic": t.name });
        const partitions = numberInput(t.partitions, { "data-knob": "partitions", min: "1" });
        const rf = numberInput(t.replicationFactor, {
          "data-knob": "replication-factor",
          min: "1",
        });
        const change = (field: "partitions" | "replication-factor", input: HTMLInputElement) =>
          input.addEventListener("change", () =>
            this.apply({
              kind: "topic",
              topic: t.name,
              field,
              value: input.value === "" ? Number.NaN : Number(input.value),
            }),
          );
        change("partitions", partitions);
        change("replication-factor", rf);
        row.append(
          el("strong", `${t.name} `),
          label("partitions", partitions),
          label("replication-factor", rf),
        );
        topics.append(row);
      }
      parts.push(topics);
    }

    const producers = el("fieldset");
    producers.append(el("legend", "Producers"));
    const acksChoices: Choice[] = [DEFAULT, ...ACKS_CHOICES.map((a) => ({ value: a, label: a }))];
    const producerRow = (
      id: string | null,
      name: string,
      acks: string,
      idempotence: string,
    ): HTMLElement => {
      const row = el("div", undefined, { "data-client": id ?? "*" });
      const extra = (v: string): Choice[] => (v === MIXED ? [{ value: MIXED, label: MIXED }] : []);
      const a = select([...extra(acks), ...acksChoices], acks, { "data-knob": "acks" });
      const i = select([...extra(idempotence), ...BOOLEAN_CHOICES], idempotence, {
        "data-knob": "enable.idempotence",
      });
      a.addEventListener("change", () =>
        this.apply({
          kind: "producer-config",
          client: id,
          key: "acks",
          value: configValue(a.value),
        }),
      );
      i.addEventListener("change", () =>
        this.apply({
          kind: "producer-config",
          client: id,
          key: "enable.idempotence",
          value: configValue(i.value),
        }),
      );
      row.append(el("strong", `${name} `), label("acks", a), label("enable.idempotence", i));
      if (id !== null) row.append(this.removeButton(id));
      return row;
    };
    if (model.producers.length > 1) {
      const common = (values: string[]) => (new Set(values).size === 1 ? values[0]! : MIXED);
      producers.append(
        producerRow(
          null,
          "all producers",
          common(model.producers.map((p) => p.acks)),
          common(model.producers.map((p) => p.idempotence)),
        ),
      );
    }
    for (const p of model.producers)
      producers.append(producerRow(p.id, p.id, p.acks, p.idempotence));
    producers.append(
      button("+ producer", { "data-knob": "add-producer" }, () =>
        this.apply({ kind: "add-producer" }),
      ),
    );
    parts.push(producers);

    const consumers = el("fieldset");
    consumers.append(el("legend", "Consumers"));
    const grouped = new Set<string>();
    for (const g of model.groups) {
      const row = el("div", undefined, { "data-group": g.id });
      const choices: Choice[] = [
        ...(g.assignor === MIXED ? [{ value: MIXED, label: MIXED }] : []),
        DEFAULT,
        ...ASSIGNOR_CHOICES,
      ];
      const assignor = select(choices, g.assignor, { "data-knob": "assignor" });
      assignor.addEventListener("change", () =>
        this.apply({
          kind: "assignor",
          group: g.id,
          strategy: assignor.value === "" ? null : assignor.value,
        }),
      );
      row.append(el("strong", `group ${g.id} `), label("partition.assignment.strategy", assignor));
      row.append(
        button("+ consumer", { "data-knob": "add-consumer" }, () =>
          this.apply({ kind: "add-consumer", group: g.id }),
        ),
      );
      const members = el("ul");
      for (const m of g.members) {
        grouped.add(m);
        const li = el("li", `${m} `, { "data-client": m });
        li.append(this.removeButton(m));
        members.append(li);
      }
      row.append(members);
      consumers.append(row);
    }
    const loose = model.clients.filter((c) => c.type === "consumer" && !grouped.has(c.id));
    for (const c of loose) {
      const li = el("div", `${c.id} (no group) `, { "data-client": c.id });
      li.append(this.removeButton(c.id));
      consumers.append(li);
    }
    if (model.groups.length === 0 && loose.length === 0)
      consumers.append(el("p", "No consumers. (A consumer is added to an existing group.)"));
    parts.push(consumers);
    this.knobs.replaceChildren(...parts);
  }

  private removeButton(id: string): HTMLButtonElement {
    return button("remove", { "data-knob": "remove-client", "aria-label": `remove ${id}` }, () =>
      this.apply({ kind: "remove-client", client: id }),
    );
  }
}

export const setupPanel: Panel = {
  id: "setup",
  title: "Setup",
  mount(container: HTMLElement, host: PanelHost) {
    const view = new SetupView(container, host);
    return (session: Session) => view.redraw(session);
  },
};
