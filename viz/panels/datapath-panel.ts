/**
 * The Data path panel. Not written yet: it says so.
 */
import type { Panel } from "./panel.ts";

export const dataPathPanel: Panel = {
  id: "datapath",
  title: "Data path",
  mount(container) {
    const p = document.createElement("p");
    p.textContent = "Data path: not in this build yet.";
    container.replaceChildren(p);
    return () => {};
  },
};
