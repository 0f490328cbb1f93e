/**
 * The Clients panel. Not written yet: it says so.
 */
import type { Panel } from "./panel.ts";

export const clientsPanel: Panel = {
  id: "clients",
  title: "Clients",
  mount(container) {
    const p = document.createElement("p");
    p.textContent = "Clients: not in this build yet.";
    container.replaceChildren(p);
    return () => {};
  },
};
