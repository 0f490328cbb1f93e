/**
 * A panel of the page beside the cluster view (clients, charts, event log, terminal): it builds
 * its DOM once inside the container it is given and redraws from the session on every frame,
 * seek and fork. Panels read the session (its state(), events, kafka world); a panel that acts on
 * the run (the terminal) asks the page to fork through `act`, so the action joins the timeline.
 */
import type { ForkAction, Session } from "../../sim/scenario/session.ts";

export interface PanelHost {
  /** Forks the run with an action at the current moment (it joins the scenario's timeline). */
  act(action: ForkAction): void;
  /** Moves the run to a virtual time (the event log's "jump to"). */
  seek(timeUs: number): void;
  /**
   * Replaces the scenario text (a knob changed, a client added, a file dropped) and opens it
   * from 0 s: the editor shows the new text, and it survives a reload like any edit. `fileName`
   * (an uploaded file's, or the edited scenario's) names the file in later errors.
   */
  replaceScenario(text: string, fileName?: string): void;
}

export interface Panel {
  readonly id: string;
  readonly title: string;
  /** Builds the panel's DOM inside `container`; returns the redraw function. */
  mount(container: HTMLElement, host: PanelHost): (session: Session) => void;
}
