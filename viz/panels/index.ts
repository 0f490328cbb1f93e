/** The page's panels, in the order they are shown (each in a file of its own). */
import { chartsPanel } from "./charts-panel.ts";
import { clientsPanel } from "./clients-panel.ts";
import { eventLogPanel } from "./events-panel.ts";
import type { Panel } from "./panel.ts";
import { terminalPanel } from "./terminal-panel.ts";

export const PANELS: readonly Panel[] = [clientsPanel, chartsPanel, eventLogPanel, terminalPanel];
