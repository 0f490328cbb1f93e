/** The page's panels, in the order they are shown (each in a file of its own). */
import { chartsPanel } from "./charts-panel.ts";
import { clientsPanel } from "./clients-panel.ts";
import { dataPathPanel } from "./datapath-panel.ts";
import { eventLogPanel } from "./events-panel.ts";
import { networkPanel } from "./network-panel.ts";
import type { Panel } from "./panel.ts";
import { setupPanel } from "./setup-panel.ts";
import { terminalPanel } from "./terminal-panel.ts";

export const PANELS: readonly Panel[] = [
  setupPanel,
  networkPanel,
  clientsPanel,
  dataPathPanel,
  chartsPanel,
  eventLogPanel,
  terminalPanel,
];
