/**
 * The Network panel. Not written yet: it says so.
 */
import type { Panel } from "./panel.ts";

export const networkPanel: Panel = {
  id: "network",
  title: "Network",
  mount(container) {
    const p = document.createElement("p");
    p.textContent = "Network: not in this build yet.";
    container.replaceChildren(p);
    return () => {};
  },
};
