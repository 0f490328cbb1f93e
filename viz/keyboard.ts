/**
 * Keyboard shortcuts: space play/pause, ←/→ step (shift: a bigger step), [ and ] slower and
 * faster, n / p the next / previous narrative or fault step, . one event, ? the help. Keys typed into the editor or a text field are left alone.
 */
export interface KeyHandlers {
  togglePlay(): void;
  step(direction: -1 | 1, big: boolean): void;
  speed(direction: -1 | 1): void;
  help(): void;
  /** Next (1) or previous (-1) narrative or fault step of the timeline. */
  marker(direction: -1 | 1): void;
  /** One event of the simulation. */
  event(): void;
}

function typing(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (el === null || typeof el.tagName !== "string") return false;
  const tag = el.tagName.toLowerCase();
  if (tag === "textarea" || tag === "select") return true;
  return tag === "input" && (el as HTMLInputElement).type !== "range";
}

export function bindKeys(doc: Document, handlers: KeyHandlers): void {
  doc.addEventListener("keydown", (event) => {
    if (typing(event.target) || event.ctrlKey || event.metaKey || event.altKey) return;
    switch (event.key) {
      case " ":
        handlers.togglePlay();
        break;
      case "ArrowLeft":
        handlers.step(-1, event.shiftKey);
        break;
      case "ArrowRight":
        handlers.step(1, event.shiftKey);
        break;
      case "[":
        handlers.speed(-1);
        break;
      case "]":
        handlers.speed(1);
        break;
      case "?":
        handlers.help();
        break;
      case "n":
        handlers.marker(1);
        break;
      case "p":
        handlers.marker(-1);
        break;
      case ".":
        handlers.event();
        break;
      default:
        return;
    }
    event.preventDefault();
  });
}
