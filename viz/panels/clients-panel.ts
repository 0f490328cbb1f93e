/**
 * The Clients panel (issue #6, "Clients view"): producers with their batches in flight, retries
 * and outcomes; consumer groups with members, generation, state (a stop-the-world rebalance drawn
 * as a stop), assignment lines from members to partitions, positions, committed offsets, lag and
 * Burrow's status. The model (clients-model.ts) reads the session incrementally; the view
 * (clients-view.ts) draws it. A new session (a fork) or a seek back starts the model over.
 */
import { ClientsModel } from "../clients-model.ts";
import { mountClientsView } from "../clients-view.ts";
import type { Panel } from "./panel.ts";

export const clientsPanel: Panel = {
  id: "clients",
  title: "Clients",
  mount(container) {
    container.replaceChildren();
    const draw = mountClientsView(container);
    let model = new ClientsModel();
    let last: unknown;
    return (session) => {
      if (session !== last) {
        model = new ClientsModel();
        last = session;
      }
      draw(model.read(session));
    };
  },
};
