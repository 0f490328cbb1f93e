/**
 * The Event log panel: every trace event of the run as a row (time, node, type, the fields in one
 * line), filterable by node, partition (`orders-0`, or `orders` for the whole topic) and kind
 * (prefixes such as `partition.` or `-net.` to hide, and a list of families). Only the rows in
 * view are in the DOM (a fixed-height window over up to hundreds of thousands of events), and a
 * redraw reads only the events new since the last one (EventLogIndex). Clicking a row (or Enter
 * on it) jumps to that moment; the row(s) of the current moment are marked ▶ and bold, and with
 * "follow now" on the list keeps them in view (scrolling the list by hand turns it off). After a jump back, the events after the moment stay
 * listed, dimmed and marked "later", and a click on one jumps forward again.
 *
 * Below, a message-sequence (Lamport) diagram of the window just before the current moment
 * (sequence-data.ts, sequence-view.ts), drawn only while its <details> is open.
 *
 * All event text is set with textContent.
 */
import type { Session } from "../../sim/scenario/session.ts";
import {
  type EventFilterInput,
  EventLogIndex,
  formatTime,
  scrollToShow,
  summarize,
  visibleRows,
} from "../event-log-data.ts";
import { buildSequence, compareNodes } from "../sequence-data.ts";
import { renderSequence } from "../sequence-view.ts";
import type { Panel, PanelHost } from "./panel.ts";

export const ROW_PX = 18;
export const VISIBLE_ROWS = 18;
const VIEWPORT_PX = ROW_PX * VISIBLE_ROWS;

/** The sequence diagram's window lengths, in µs, and their labels. */
const WINDOWS: ReadonlyArray<readonly [number, string]> = [
  [1_000, "1 ms"],
  [5_000, "5 ms"],
  [20_000, "20 ms"],
  [100_000, "100 ms"],
  [1_000_000, "1 s"],
];

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<Record<string, string>> = {},
  text?: string,
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) if (v !== undefined) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function labelled(text: string, control: HTMLElement): HTMLLabelElement {
  const label = el("label", { style: "margin-right: 0.8rem; white-space: nowrap" }, `${text} `);
  label.append(control);
  return label;
}

const CELL_STYLES = [
  "display: inline-block; width: 8.5em",
  "display: inline-block; width: 7em; overflow: hidden; text-overflow: ellipsis; vertical-align: top",
  "display: inline-block; width: 14em; overflow: hidden; text-overflow: ellipsis; vertical-align: top",
  "",
];

/** One pooled row: its cells are rewritten when the event it shows changes. */
interface Row {
  readonly element: HTMLDivElement;
  readonly cells: HTMLSpanElement[];
  index: number;
  look: string;
  /** Whether the row shows a position of this paint (the others are hidden). */
  shown: boolean;
}

function makeRow(): Row {
  const element = el("div", {
    class: "event-row",
    role: "button",
    tabindex: "0",
    style: `position: absolute; left: 0; right: 0; height: ${ROW_PX}px; line-height: ${ROW_PX}px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; cursor: pointer; padding-left: 0.3em`,
  });
  const cells = CELL_STYLES.map((style) => el("span", { style }));
  element.append(...cells);
  return { element, cells, index: -1, look: "", shown: false };
}

export const eventLogPanel: Panel = {
  id: "events",
  title: "Event log",
  mount(container: HTMLElement, host: PanelHost) {
    const index = new EventLogIndex();

    // ---------------------------------------------------------------- filters
    const nodeSelect = el("select", { class: "event-node", "aria-label": "node" });
    nodeSelect.append(el("option", { value: "" }, "all"));
    const partitionInput = el("input", {
      class: "event-partition",
      placeholder: "orders-0",
      size: "12",
      "aria-label": "partition",
    });
    const kindInput = el("input", {
      class: "event-kind",
      placeholder: "partition. -net.",
      size: "18",
      "aria-label": "kind prefixes",
    });
    const familySelect = el("select", {
      class: "event-families",
      multiple: "",
      size: "3",
      "aria-label": "families",
      style: "vertical-align: top; min-width: 8em",
    });
    const follow = el("input", { type: "checkbox", class: "event-follow" });
    follow.checked = true;
    const count = el("span", { class: "event-count", style: "font-variant-numeric: tabular-nums" });
    const filters = el("div", { class: "event-filters", style: "margin-bottom: 0.4rem" });
    filters.append(
      labelled("node", nodeSelect),
      labelled("partition", partitionInput),
      labelled("kind", kindInput),
      labelled("families", familySelect),
      labelled("follow now", follow),
      count,
    );

    // ---------------------------------------------------------------- the list
    const list = el("div", {
      class: "event-list",
      role: "list",
      style: `position: relative; height: ${VIEWPORT_PX}px; overflow-y: auto; font: 12px/1.2 ui-monospace, monospace; border: 1px solid #ccc`,
    });
    const spacer = el("div", { class: "event-spacer", style: "position: relative; height: 0" });
    list.append(spacer);
    const pool: Row[] = [];

    // ---------------------------------------------------------------- the sequence diagram
    const sequence = el("details", { class: "sequence" });
    const windowSelect = el("select", { class: "sequence-window", "aria-label": "window" });
    for (const [us, text] of WINDOWS)
      windowSelect.append(el("option", { value: String(us) }, text));
    windowSelect.value = "20000";
    const laneInput = el("input", {
      class: "sequence-nodes",
      placeholder: "1,2,3 (busiest if empty)",
      size: "20",
      "aria-label": "sequence nodes",
    });
    const msgInput = el("input", {
      class: "sequence-msg",
      placeholder: "Fetch",
      size: "12",
      "aria-label": "message type",
    });
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("class", "sequence-diagram");
    const sequenceControls = el("div", { style: "margin: 0.3rem 0" });
    sequenceControls.append(
      labelled("last", windowSelect),
      labelled("nodes", laneInput),
      labelled("message", msgInput),
    );
    sequence.append(
      el("summary", {}, "Message sequence (before the current moment)"),
      sequenceControls,
      svg,
    );

    container.replaceChildren(filters, list, sequence);

    // ---------------------------------------------------------------- behaviour
    let lastSession: Session | undefined;
    let paintedKey = "";
    let sequenceKey = "";

    function filterInput(): EventFilterInput {
      return {
        node: nodeSelect.value,
        partition: partitionInput.value,
        kind: kindInput.value,
        families: [...familySelect.selectedOptions].map((o) => o.value),
      };
    }

    function syncOptions(): void {
      if (nodeSelect.options.length - 1 !== index.nodes.length) {
        const chosen = nodeSelect.value;
        const names = [...index.nodes].sort(compareNodes);
        nodeSelect.replaceChildren(
          el("option", { value: "" }, "all"),
          ...names.map((n) => el("option", { value: n }, n)),
        );
        if (chosen !== "" && !names.includes(chosen)) {
          nodeSelect.append(el("option", { value: chosen }, chosen));
        }
        nodeSelect.value = chosen;
      }
      if (familySelect.options.length !== index.families.length) {
        const chosen = new Set([...familySelect.selectedOptions].map((o) => o.value));
        const names = [...index.families].sort();
        familySelect.replaceChildren(
          ...names.map((n) => {
            const option = el("option", { value: n }, n);
            option.selected = chosen.has(n);
            return option;
          }),
        );
      }
    }

    /**
     * The list's scroll position as the panel knows it: read from the list only in its scroll
     * events and written back to it after the frame (scrollToList). A redraw never reads or
     * writes the list's scrollTop itself: either would force a layout of the whole page in the
     * middle of every animation frame (it was the page's costliest step while playing).
     */
    let scrollTop = 0;
    /** The position last asked of the list (or read from it). */
    let lastWrittenScroll = 0;
    let scrollPending = false;
    function scrollToList(): void {
      scrollPending = false;
      // Off screen, the write would still lay the list out: it waits until the list shows.
      if (!listInView) return;
      lastWrittenScroll = scrollTop;
      if (list.scrollTop !== scrollTop) list.scrollTop = scrollTop;
    }
    /** Whether the list is on screen (without an IntersectionObserver: always). */
    let listInView = true;
    if (typeof IntersectionObserver === "function") {
      new IntersectionObserver((entries) => {
        const entry = entries.at(-1);
        if (entry === undefined) return;
        listInView = entry.isIntersecting;
        if (listInView) scrollToList();
      }).observe(list);
    }

    /** Draws the rows in view (from the pool); cheap when nothing changed. */
    function paint(force = false): void {
      const shown = index.shown;
      const total = shown.length;
      const now = index.shownNowCount;
      const current = index.currentRows();
      const height = `${total * ROW_PX}px`;
      if (spacer.style.height !== height) spacer.style.height = height;
      // As the browser clamps it to the new height.
      scrollTop = Math.max(0, Math.min(scrollTop, total * ROW_PX - VIEWPORT_PX));
      if (follow.checked && current.end > 0)
        scrollTop = scrollToShow(current.end - 1, scrollTop, VIEWPORT_PX, ROW_PX);
      if (!scrollPending && scrollTop !== lastWrittenScroll) {
        // After this frame is drawn, when the layout is up to date and the write is cheap.
        scrollPending = true;
        setTimeout(scrollToList, 0);
      }
      const range = visibleRows(scrollTop, VIEWPORT_PX, ROW_PX, total);
      const key = `${total}/${now}/${current.first}/${range.first}/${range.end}/${index.knownCount}`;
      if (!force && key === paintedKey) return;
      paintedKey = key;
      const later = index.knownCount - index.nowCount;
      count.textContent =
        `${total.toLocaleString("en-US")} of ${index.knownCount.toLocaleString("en-US")} events` +
        (later > 0 ? ` (${later.toLocaleString("en-US")} later than now)` : "");
      const needed = range.end - range.first;
      while (pool.length < needed) {
        const row = makeRow();
        pool.push(row);
        spacer.append(row.element);
      }
      // Each position has its own row (position modulo the pool), so while following, a row
      // keeps its event as the window moves on and only the rows of new positions are rewritten.
      for (const row of pool) row.shown = false;
      for (let position = range.first; position < range.end; position++) {
        const row = pool[position % pool.length] as Row;
        row.shown = true;
        if (row.element.hidden) row.element.hidden = false;
        const eventIndex = shown[position] as number;
        const look =
          position >= current.first && position < current.end
            ? "now"
            : position >= now
              ? "later"
              : "past";
        const top = `${position * ROW_PX}px`;
        if (row.element.style.top !== top) row.element.style.top = top;
        if (row.index === eventIndex && row.look === look && !force) continue;
        const e = index.event(eventIndex);
        const sameEvent = row.index === eventIndex && !force;
        row.index = eventIndex;
        row.look = look;
        row.element.dataset.index = String(eventIndex);
        row.element.dataset.look = look;
        row.element.dataset.type = e.type;
        if (look === "now") row.element.setAttribute("aria-current", "true");
        else row.element.removeAttribute("aria-current");
        row.element.style.fontWeight = look === "now" ? "bold" : "normal";
        row.element.style.background = look === "now" ? "#fdf0c9" : "";
        row.element.style.color = look === "later" ? "#6b6b6b" : "";
        row.element.style.fontStyle = look === "later" ? "italic" : "normal";
        const [time, node, type, fields] = row.cells as [
          HTMLSpanElement,
          HTMLSpanElement,
          HTMLSpanElement,
          HTMLSpanElement,
        ];
        time.textContent = `${look === "now" ? "▶" : look === "later" ? "·" : " "}${formatTime(e.t)}`;
        // The same event with another look (it was now, it is past): its words stay.
        if (!sameEvent) {
          node.textContent = e.node;
          type.textContent = e.type;
          fields.textContent = summarize(e);
        }
        row.element.title = `${formatTime(e.t)} ${e.node} ${e.type} ${fields.textContent}${look === "later" ? " (later than now: click to jump there)" : ""}`;
      }
      for (const row of pool) {
        if (row.shown || row.element.hidden) continue;
        row.element.hidden = true;
        row.index = -1;
      }
    }

    function paintSequence(session: Session): void {
      if (!sequence.open) return;
      const widthUs = Number(windowSelect.value);
      const toUs = session.timeUs;
      const fromUs = Math.max(0, toUs - widthUs);
      const key = `${fromUs}/${toUs}/${session.events.length}/${laneInput.value}/${msgInput.value}`;
      if (key === sequenceKey) return;
      sequenceKey = key;
      const nodes = laneInput.value
        .split(/[\s,]+/)
        .map((n) => n.trim())
        .filter((n) => n !== "");
      const data = buildSequence(session.events, {
        fromUs,
        toUs,
        nodes,
        msg: msgInput.value,
        maxMessages: 40,
        maxLanes: 8,
      });
      renderSequence(svg, data, (us) => host.seek(us));
    }

    function refilter(): void {
      index.setFilter(filterInput());
      paint(true);
    }

    nodeSelect.addEventListener("change", refilter);
    familySelect.addEventListener("change", refilter);
    partitionInput.addEventListener("input", refilter);
    kindInput.addEventListener("input", refilter);
    follow.addEventListener("change", () => paint(true));
    list.addEventListener("scroll", () => {
      scrollTop = list.scrollTop;
      lastWrittenScroll = scrollTop;
      paint();
    });
    // The user scrolling the list (wheel, touch, the scrollbar, the keys) stops following the
    // current moment; the scrolls the panel makes itself do not.
    const stopFollowing = (): void => {
      follow.checked = false;
    };
    list.addEventListener("wheel", stopFollowing, { passive: true });
    list.addEventListener("touchmove", stopFollowing, { passive: true });
    list.addEventListener("mousedown", (event) => {
      if (event.target === list) stopFollowing();
    });
    const jump = (target: EventTarget | null): void => {
      const row = (target as HTMLElement | null)?.closest?.(".event-row") as HTMLElement | null;
      const at = row?.dataset.index;
      if (at === undefined) return;
      host.seek(index.event(Number(at)).t);
    };
    list.addEventListener("click", (event) => jump(event.target));
    list.addEventListener("keydown", (event) => {
      if (["PageUp", "PageDown", "ArrowUp", "ArrowDown", "Home", "End"].includes(event.key))
        stopFollowing();
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        jump(event.target);
      }
    });
    const resequence = (): void => {
      sequenceKey = "";
      if (lastSession !== undefined) paintSequence(lastSession);
    };
    sequence.addEventListener("toggle", resequence);
    windowSelect.addEventListener("change", resequence);
    laneInput.addEventListener("input", resequence);
    msgInput.addEventListener("input", resequence);

    return (session: Session) => {
      lastSession = session;
      index.sync(session, session.events);
      syncOptions();
      paint();
      paintSequence(session);
    };
  },
};
