/**
 * The Setup panel. Not written yet: it says so.
 */
import type { Panel } from "./panel.ts";

export const setupPanel: Panel = {
  id: "setup",
  title: "Setup",
  mount(container) {
    const p = document.createElement("p");
    p.textContent = "Setup: not in this build yet.";
    container.replaceChildren(p);
    return () => {};
  },
};
