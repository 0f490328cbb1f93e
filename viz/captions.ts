/**
 * Narrative captions: the `say` step in force at the current time, and the latest `ask` question
 * with its answer hidden until the reader asks for it. Text is set with textContent, never as HTML.
 */
import type { TimelineMarker } from "../sim/index.ts";

/** The latest `say` and `ask` at or before `timeUs`. */
export function captionsAt(
  markers: readonly TimelineMarker[],
  timeUs: number,
): { say: TimelineMarker | undefined; ask: TimelineMarker | undefined } {
  let say: TimelineMarker | undefined;
  let ask: TimelineMarker | undefined;
  for (const m of markers) {
    if (m.atUs > timeUs) break;
    if (m.kind === "say") say = m;
    if (m.kind === "ask") ask = m;
  }
  return { say, ask };
}

export interface CaptionElements {
  readonly say: HTMLElement;
  readonly ask: HTMLElement;
  readonly question: HTMLElement;
  readonly answer: HTMLElement;
  readonly reveal: HTMLButtonElement;
}

/** Revealed answers, by the ask's time and text, survive re-renders and seeks. */
export class Captions {
  private readonly revealed = new Set<string>();
  private current: TimelineMarker | undefined;

  constructor(private readonly el: CaptionElements) {
    el.reveal.addEventListener("click", () => {
      if (this.current === undefined) return;
      this.revealed.add(keyOf(this.current));
      this.showAnswer(this.current);
    });
  }

  render(markers: readonly TimelineMarker[], timeUs: number): void {
    const { say, ask } = captionsAt(markers, timeUs);
    this.el.say.textContent = say === undefined ? "" : `» ${say.text}`;
    this.el.say.hidden = say === undefined;
    this.current = ask;
    this.el.ask.hidden = ask === undefined;
    if (ask === undefined) return;
    this.el.question.textContent = `? ${ask.text}`;
    this.showAnswer(ask);
  }

  private showAnswer(ask: TimelineMarker): void {
    const shown = this.revealed.has(keyOf(ask));
    this.el.answer.textContent = shown ? (ask.answer ?? "") : "";
    this.el.answer.hidden = !shown;
    this.el.reveal.hidden = shown;
  }
}

function keyOf(m: TimelineMarker): string {
  return `${m.atUs}|${m.text}`;
}
