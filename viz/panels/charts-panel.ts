/**
 * The Charts panel: throughput in and out, produce latency percentiles, consumer lag per group,
 * under-replicated partitions and the page-cache hit ratio, over virtual time, with the
 * timeline's faults marked. Every chart is a function of the trace: the panel reads only the
 * events it has not read yet (a backward seek or a fork, which rebuild the event list, start it
 * over); the numbers are computed in charts-data.ts and charts-page-cache.ts, the drawing is
 * charts-view.ts.
 */
import type { Session, TraceEvent } from "../../sim/index.ts";
import { type ChartsData, chartSeries, ingest, newChartsData } from "../charts-data.ts";
import { renderCharts } from "../charts-view.ts";
import type { Panel } from "./panel.ts";

/** The panel's memory of what it has read; reset when the session or its event list changes. */
interface Reader {
  session: Session;
  data: ChartsData;
  consumed: number;
  first: TraceEvent | undefined;
  drawnAt: string;
}

export const chartsPanel: Panel = {
  id: "charts",
  title: "Charts",
  mount(container) {
    const doc = container.ownerDocument;
    const svg = doc.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("class", "charts");
    const caption = doc.createElement("p");
    caption.className = "charts-caption";
    caption.textContent =
      "Over virtual time; ✕ marks a fault of the timeline, the dark line is now.";
    container.replaceChildren(caption, svg);
    let reader: Reader | undefined;

    return (session) => {
      const events = session.events;
      if (
        reader === undefined ||
        reader.session !== session ||
        events.length < reader.consumed ||
        (reader.consumed > 0 && events[0] !== reader.first)
      ) {
        // A new session (open, fork) or a rebuilt event list (a backward seek) starts over.
        reader = {
          session,
          data: newChartsData(session.durationUs),
          consumed: 0,
          first: events[0],
          drawnAt: "",
        };
      }
      for (; reader.consumed < events.length; reader.consumed++)
        ingest(reader.data, events[reader.consumed]!);
      reader.first = events[0];
      const key = `${session.timeUs}/${events.length}`;
      if (key === reader.drawnAt) return;
      reader.drawnAt = key;
      const series = chartSeries(reader.data, session.timeUs);
      // Without a Kafka cluster there is no broker and no fetch: no page-cache chart.
      const charts =
        session.kafka === undefined
          ? series.charts.filter((c) => c.id !== "page-cache")
          : series.charts;
      renderCharts(
        svg,
        { ...series, charts },
        session.markers().filter((m) => m.kind === "fault"),
      );
    };
  },
};
