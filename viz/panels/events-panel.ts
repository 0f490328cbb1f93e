/**
 * The Event log panel. Not written yet: it says so.
 */
import type { Panel } from "./panel.ts";

export const eventLogPanel: Panel = {
  id: "events",
  title: "Event log",
  mount(container) {
    const p = document.createElement("p");
    p.textContent = "Event log: not in this build yet.";
    container.replaceChildren(p);
    return () => {};
  },
};
