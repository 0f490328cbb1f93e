/**
 * The Terminal panel. Not written yet: it says so.
 */
import type { Panel } from "./panel.ts";

export const terminalPanel: Panel = {
  id: "terminal",
  title: "Terminal",
  mount(container) {
    const p = document.createElement("p");
    p.textContent = "Terminal: not in this build yet.";
    container.replaceChildren(p);
    return () => {};
  },
};
