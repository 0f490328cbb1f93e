/**
 * The Network panel (issue #6, "Network view"): requests and responses in flight between nodes,
 * dropped messages falling, cut, one-way, held and slow links drawn as such. Drag from one node to
 * another to cut that link (a `cut` fork); click a faulted link to heal it (a `heal` fork); "Heal
 * all" removes every network fault. The model (network-model.ts) reads the session's trace
 * incrementally; a new session (a fork) or a seek back (a rebuilt event list) starts it over.
 */
import { HOST_DEFAULTS } from "../../sim/scenario/runner.ts";
import type { Session } from "../../sim/scenario/session.ts";
import {
  formatMicros,
  layoutNetwork,
  MAX_DRAWN,
  type NetNodeInput,
  orderNodes,
} from "../network-layout.ts";
import { NetworkModel } from "../network-model.ts";
import { mountNetworkView } from "../network-view.ts";
import type { Panel } from "./panel.ts";

/** The trail choices: each trip is drawn as lasting at least this long (0: real time). */
export const TRAILS_US: readonly number[] = [0, 1_000, 10_000, 100_000, 1_000_000];
export const DEFAULT_TRAIL_US = 100_000;

/**
 * The cluster's brokers (by id) and dedicated controllers with their machines' states: what
 * `session.state().nodes` gives, read without building the rest of the state on every frame.
 */
export function clusterNodes(session: Session): NetNodeInput[] {
  const cluster = session.kafka?.cluster;
  if (cluster === undefined) return [];
  const out: NetNodeInput[] = [];
  for (const id of [...cluster.brokers.keys()].sort((a, b) => a - b))
    out.push({ name: String(id), kind: "broker", host: cluster.host(String(id)).state });
  for (const c of cluster.controllerSnapshots()) {
    if (cluster.brokers.has(c.nodeId)) continue;
    out.push({
      name: String(c.nodeId),
      kind: "controller",
      host: cluster.host(String(c.nodeId)).state,
    });
  }
  return out;
}

export const networkPanel: Panel = {
  id: "network",
  title: "Network",
  mount(container, host) {
    container.replaceChildren();
    const controls = document.createElement("div");
    controls.className = "net-controls";
    const trailLabel = document.createElement("label");
    trailLabel.textContent = "Draw each message for at least ";
    const trail = document.createElement("select");
    trail.className = "net-trail";
    for (const us of TRAILS_US) {
      const option = document.createElement("option");
      option.value = String(us);
      option.textContent = us === 0 ? "its real trip (µs)" : `${formatMicros(us)} (slow motion)`;
      trail.append(option);
    }
    trail.value = String(DEFAULT_TRAIL_US);
    trailLabel.append(trail);
    const healAll = document.createElement("button");
    healAll.type = "button";
    healAll.className = "net-heal-all";
    healAll.textContent = "Heal all links";
    const hint = document.createElement("span");
    hint.className = "net-hint";
    hint.textContent =
      " Drag from one node to another to cut that link (one way); click a red, orange or blue link to heal it.";
    controls.append(trailLabel, " ", healAll, hint);
    const summary = document.createElement("p");
    summary.className = "net-summary";
    container.append(controls);
    const view = mountNetworkView(container, {
      cut: (from, to) => host.act({ kind: "cut", from, to }),
      heal: (node) => host.act({ kind: "heal", node }),
    });
    container.append(summary);
    healAll.addEventListener("click", () => host.act({ kind: "heal" }));

    let model = new NetworkModel();
    let last: Session | undefined;
    const redraw = (session: Session) => {
      if (session !== last || !model.read(session.events, session.timeUs)) {
        model = new NetworkModel();
        model.read(session.events, session.timeUs);
        last = session;
      }
      const nodes = clusterNodes(session);
      const layout = layoutNetwork(model, orderNodes(nodes, model.nodesSeen), {
        nowUs: session.timeUs,
        trailUs: Number(trail.value),
        defaultLatencyUs: session.scenario.cluster?.network.latencyUs ?? HOST_DEFAULTS.latencyUs,
      });
      view.draw(layout);
      const f = model.faults;
      const faults = f.cut.size + f.held.size + f.delay.size + f.isolated.size + f.throttle.size;
      healAll.disabled = faults === 0;
      summary.textContent = `${layout.inFlight} message${layout.inFlight === 1 ? "" : "s"} in flight now; ${
        layout.dots.length
      } drawn (at most ${MAX_DRAWN}, the latest); ${layout.dropsShown} dropped a moment ago; ${
        faults === 0 ? "no network faults" : `${layout.lanes.length} faulted link direction(s)`
      }.`;
    };
    trail.addEventListener("change", () => {
      if (last !== undefined) redraw(last);
    });
    return redraw;
  },
};
