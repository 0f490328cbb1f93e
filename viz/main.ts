/**
 * The browser entry point: wires the page. A Session (the public API) runs the scenario; the
 * cluster view, the timeline markers and the captions draw its state; the playback loop is the
 * only place where wall time turns into virtual time. Clicking a broker forks the run: the action
 * is appended to the scenario text, which is re-run to the same moment. The scenario text the user
 * edits is kept in localStorage, so it survives a reload. Scenario text is shown as text, never as
 * HTML.
 */
import {
  type ForkAction,
  formatIssues,
  formatReport,
  ScenarioError,
  Session,
} from "../sim/index.ts";
import { Captions } from "./captions.ts";
import type { NodeBox } from "./cluster-layout.ts";
import { renderCluster } from "./cluster-view.ts";
import { installHook } from "./hook.ts";
import { IdleBuilder } from "./idle-builder.ts";
import { bindKeys } from "./keyboard.ts";
import { PANELS } from "./panels/index.ts";
import {
  clampSpeedLog,
  formatSpeed,
  playbackTarget,
  SPEED_LOG_STEP,
  STEP_US,
  speedOf,
} from "./playback.ts";
import { BUNDLED } from "./scenarios.ts";
import { decodeShare, encodeShare } from "./share-link.ts";
import { renderTimeline } from "./timeline-view.ts";

const STORAGE_KEY = "kafkasim.scenario";
const DEFAULT_FILE = "leader-failover.yaml";

function element<T extends Element>(id: string): T {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`missing #${id}`);
  return found as unknown as T;
}

const ui = {
  picker: element<HTMLSelectElement>("picker"),
  editor: element<HTMLTextAreaElement>("scenario"),
  seed: element<HTMLInputElement>("seed"),
  error: element<HTMLParagraphElement>("error"),
  play: element<HTMLButtonElement>("play"),
  speed: element<HTMLInputElement>("speed"),
  speedLabel: element<HTMLSpanElement>("speed-label"),
  timeLabel: element<HTMLSpanElement>("time-label"),
  scrubber: element<HTMLInputElement>("scrubber"),
  timeline: element<SVGSVGElement>("timeline"),
  cluster: element<SVGSVGElement>("cluster"),
  groups: element<HTMLDivElement>("groups"),
  story: element<HTMLOListElement>("story"),
  report: element<HTMLPreElement>("report"),
  help: element<HTMLDivElement>("help"),
};
const captions = new Captions({
  say: element("say"),
  ask: element("ask"),
  question: element("question"),
  answer: element("answer"),
  reveal: element("reveal"),
});

let session: Session | undefined;
let playing = false;
let lastWallMs: number | undefined;
let speedLog = 0;

/**
 * Checkpoints for fast seeks are built in idle time (idle-builder.ts); every open, fork, seek and
 * frame asks for it again. `window.__kafkasimCheckpoints` lets a test (the seek benchmark) turn it
 * off, build everything at once and read the pool.
 */
const idleBuilder = new IdleBuilder(
  () => session,
  (error) => console.error(String(error)),
);
(window as unknown as { __kafkasimCheckpoints: unknown }).__kafkasimCheckpoints = {
  setEnabled: (on: boolean) => idleBuilder.setEnabled(on),
  buildAll: () => idleBuilder.buildAll(),
  status: () => session?.checkpoints(),
  /** A seek as the scrubber does it, timed in two parts: the simulation, then the drawing (ms). */
  timedSeek: (us: number) => {
    const current = session;
    if (current === undefined) return undefined;
    const start = performance.now();
    guarded(() => current.seek(us));
    const simulated = performance.now();
    render();
    idleBuilder.kick();
    return { seekMs: simulated - start, drawMs: performance.now() - simulated };
  },
};

// ------------------------------------------------------------------ scenario text and picker

const custom = document.createElement("option");
custom.value = "";
custom.textContent = "(the text in the editor)";
ui.picker.append(custom);
for (const b of BUNDLED) {
  const option = document.createElement("option");
  option.value = b.file;
  option.textContent = b.file;
  ui.picker.append(option);
}

/** The name of the file the editor's text came from when it is not a bundled one (an upload). */
let textFileName: string | undefined;

function setText(text: string): void {
  textFileName = undefined;
  ui.editor.value = text;
  localStorage.setItem(STORAGE_KEY, text);
  ui.picker.value = BUNDLED.find((b) => b.text === text)?.file ?? "";
}

ui.editor.value =
  localStorage.getItem(STORAGE_KEY) ?? BUNDLED.find((b) => b.file === DEFAULT_FILE)?.text ?? "";
ui.picker.value = BUNDLED.find((b) => b.text === ui.editor.value)?.file ?? "";
ui.editor.addEventListener("input", () => {
  localStorage.setItem(STORAGE_KEY, ui.editor.value);
  ui.picker.value = "";
});
ui.picker.addEventListener("change", () => {
  const chosen = BUNDLED.find((b) => b.file === ui.picker.value);
  if (chosen === undefined) return;
  setText(chosen.text);
  open(false);
});

// ------------------------------------------------------------------ opening and drawing

function showError(error: unknown): void {
  ui.error.hidden = false;
  ui.error.textContent =
    error instanceof ScenarioError ? formatIssues(error.issues) : String(error);
}

/** Opens the editor's text: at t=0, or run to the end (the Run button, as before the viz). */
function open(toEnd: boolean): void {
  pause();
  ui.error.hidden = true;
  try {
    const seedText = ui.seed.value.trim();
    const seed = seedText === "" ? undefined : Number(seedText);
    if (seed !== undefined && !Number.isSafeInteger(seed))
      throw new Error(`seed must be a whole number; got ${seedText}`);
    const file = ui.picker.value === "" ? (textFileName ?? "scenario.yaml") : ui.picker.value;
    session = new Session(ui.editor.value, seed === undefined ? { file } : { seed, file });
    if (toEnd) session.advanceTo(session.durationUs);
    ui.scrubber.max = String(session.durationUs);
    drawMarkers();
    render();
    installHook(hookApi);
    idleBuilder.kick();
  } catch (error) {
    session = undefined;
    ui.cluster.replaceChildren();
    ui.timeline.replaceChildren();
    showError(error);
  }
}

/**
 * Runs a step of the simulation; a model that throws (an assertion of the simulator) stops
 * playback and says so on the page instead of killing the animation loop silently.
 */
function guarded(step: () => void): void {
  try {
    step();
  } catch (error) {
    playing = false;
    showError(error);
  }
}

function drawMarkers(): void {
  if (session === undefined) return;
  renderTimeline(ui.timeline, session.markers(), session.durationUs, 960, seek);
}

function seconds(us: number): string {
  return `${(us / 1_000_000).toFixed(3)} s`;
}

/** The panels (clients, charts, event log, terminal), each in its own <section>, redrawn with the view. */
const panelHost = {
  act: (action: ForkAction) => forkWith(action),
  seek: (us: number) => seek(us),
  replaceScenario: (text: string, fileName?: string) => {
    setText(text);
    if (fileName !== undefined) textFileName = fileName;
    open(false);
  },
};
const panelRedraws = PANELS.map((panel) => {
  const section = document.createElement("section");
  section.className = "panel";
  section.id = `panel-${panel.id}`;
  const heading = document.createElement("h2");
  heading.textContent = panel.title;
  const body = document.createElement("div");
  section.append(heading, body);
  element<HTMLElement>("panels").append(section);
  return panel.mount(body, panelHost);
});

function render(): void {
  if (session === undefined) return;
  const state = session.state();
  renderCluster(ui.cluster, state, { onNodeClick: act, events: session.events });
  const current = session;
  for (const redraw of panelRedraws) guarded(() => redraw(current));
  ui.scrubber.value = String(state.timeUs);
  ui.timeLabel.textContent = `${seconds(state.timeUs)} / ${seconds(state.durationUs)}`;
  ui.play.textContent = playing ? "❚❚ Pause" : "▶ Play";
  ui.play.setAttribute("aria-label", playing ? "pause" : "play");
  captions.render(session.markers(), state.timeUs);
  ui.groups.replaceChildren(
    ...state.groups.map((g) => {
      const p = document.createElement("p");
      p.textContent = `group ${g.groupId}: ${g.state}, ${g.members.length} members, coordinator ${g.coordinator}; ${g.members.map((m) => `${m.clientId} → ${m.partitions.join(",") || "nothing"}`).join("; ")}`;
      return p;
    }),
  );
  ui.story.replaceChildren(
    ...state.story.slice(-14).map((line) => {
      const li = document.createElement("li");
      li.dataset.kind = line.kind;
      const mark =
        line.kind === "say" ? "» " : line.kind === "ask" ? "? " : line.kind === "fault" ? "! " : "";
      li.textContent = `${seconds(line.atUs)}  ${mark}${line.text}`;
      return li;
    }),
  );
  const report = session.report();
  ui.report.textContent = report === undefined ? "" : formatReport(report);
}

function seek(us: number): void {
  const current = session;
  if (current === undefined) return;
  guarded(() => current.seek(us));
  render();
  idleBuilder.kick();
}

/** A click on a broker: crash it (shift: power loss) or restart it, as a fork of the run. */
function act(node: NodeBox, event: MouseEvent): void {
  forkWith(
    node.clickAction === "crash"
      ? { kind: "crash", node: node.name, mode: event.shiftKey ? "power" : "process" }
      : { kind: "restart", node: node.name },
  );
}

/** Acts now: the action joins the scenario's timeline and the run continues from here. */
function forkWith(action: ForkAction): void {
  if (session === undefined) return;
  try {
    session = session.fork(action);
    setText(session.text);
    drawMarkers();
    render();
    installHook(hookApi);
    idleBuilder.kick();
  } catch (error) {
    showError(error);
  }
}

// ------------------------------------------------------------------ playback

function stops(): number[] {
  return (session?.markers() ?? [])
    .filter((m) => m.kind === "ask" || m.kind === "pause")
    .map((m) => m.atUs);
}

function frame(wallMs: number): void {
  if (!playing || session === undefined) return;
  const delta = lastWallMs === undefined ? 0 : wallMs - lastWallMs;
  lastWallMs = wallMs;
  const next = playbackTarget(
    session.timeUs,
    delta,
    speedOf(speedLog),
    session.durationUs,
    stops(),
  );
  const current = session;
  guarded(() => current.advanceTo(next.targetUs));
  if (next.stopped || next.ended) playing = false;
  render();
  idleBuilder.kick();
  if (playing) requestAnimationFrame(frame);
}

function play(): void {
  if (session === undefined || playing) return;
  if (session.timeUs >= session.durationUs) session.seek(0);
  playing = true;
  lastWallMs = undefined;
  requestAnimationFrame(frame);
  render();
}

function pause(): void {
  playing = false;
  render();
}

function setSpeed(log10: number): void {
  speedLog = clampSpeedLog(log10);
  ui.speed.value = String(speedLog);
  ui.speedLabel.textContent = formatSpeed(speedLog);
}

// ------------------------------------------------------------------ controls

ui.play.addEventListener("click", () => (playing ? pause() : play()));
ui.speed.addEventListener("input", () => setSpeed(Number(ui.speed.value)));
ui.scrubber.addEventListener("input", () => {
  const target = Number(ui.scrubber.value);
  playing = false;
  seek(target);
});
element<HTMLButtonElement>("load").addEventListener("click", () => open(false));
element<HTMLButtonElement>("run").addEventListener("click", () => open(true));
element<HTMLButtonElement>("export").addEventListener("click", () => {
  const blob = new Blob([ui.editor.value], { type: "application/yaml" });
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = ui.picker.value === "" ? "scenario.yaml" : ui.picker.value;
  link.click();
  URL.revokeObjectURL(link.href);
});
bindKeys(document, {
  togglePlay: () => (playing ? pause() : play()),
  step: (direction, big) => {
    if (session === undefined) return;
    pause();
    seek(session.timeUs + direction * STEP_US * (big ? 10 : 1));
  },
  speed: (direction) => setSpeed(speedLog + direction * SPEED_LOG_STEP),
  help: () => {
    ui.help.hidden = !ui.help.hidden;
  },
  marker: stepMarker,
  event: stepEvent,
});

/** Goes to the next (or previous) narrative or fault step of the timeline. */
function stepMarker(direction: -1 | 1): void {
  if (session === undefined) return;
  const now = session.timeUs;
  const times = [...new Set(session.markers().map((m) => m.atUs))];
  const target = direction > 0 ? times.find((t) => t > now) : times.filter((t) => t < now).at(-1);
  pause();
  seek(target ?? (direction > 0 ? session.durationUs : 0));
}

function stepEvent(): void {
  if (session === undefined) return;
  playing = false;
  const current = session;
  guarded(() => current.stepEvent());
  render();
}

element<HTMLButtonElement>("prev-step").addEventListener("click", () => stepMarker(-1));
element<HTMLButtonElement>("next-step").addEventListener("click", () => stepMarker(1));
element<HTMLButtonElement>("next-event").addEventListener("click", stepEvent);
element<HTMLButtonElement>("share").addEventListener("click", () => {
  if (session === undefined) return;
  const file = BUNDLED.find((b) => b.text === session?.text)?.file;
  const seedText = ui.seed.value.trim();
  location.hash = encodeShare({
    ...(file === undefined ? { text: session.text } : { file }),
    ...(seedText === "" ? {} : { seed: Number(seedText) }),
    timeUs: session.timeUs,
  });
  navigator.clipboard?.writeText(location.href).catch(() => undefined);
});

/** A share link in the address bar opens its scenario, seed and moment. */
function openShared(): boolean {
  const shared = decodeShare(location.hash);
  if (shared === undefined) return false;
  const text = shared.text ?? BUNDLED.find((b) => b.file === shared.file)?.text ?? undefined;
  if (text === undefined) {
    showError(`the share link names a scenario this page does not have: ${shared.file}`);
    return false;
  }
  setText(text);
  ui.seed.value = shared.seed === undefined ? "" : String(shared.seed);
  open(false);
  seek(shared.timeUs);
  return true;
}

const hookApi = {
  session: () => session,
  seek,
  play,
  pause,
};

setSpeed(0);
if (!openShared()) open(false);
