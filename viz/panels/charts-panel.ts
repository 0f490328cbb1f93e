/**
 * The Charts panel. Not written yet: it says so.
 */
import type { Panel } from "./panel.ts";

export const chartsPanel: Panel = {
  id: "charts",
  title: "Charts",
  mount(container) {
    const p = document.createElement("p");
    p.textContent = "Charts: not in this build yet.";
    container.replaceChildren(p);
    return () => {};
  },
};
