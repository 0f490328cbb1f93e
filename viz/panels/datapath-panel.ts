/**
 * The Data path panel (issue #6): for the broker chosen in its select (the first broker by
 * default), the path of the bytes between disk, page cache, socket buffers and NIC, with the bytes
 * moved so far and per second, the page cache's hit ratio, dirty bytes and writeback, the disk's
 * reads, writes, seeks and busy time, and the transfer path of fetch responses (sendfile, copy or
 * TLS) with its copies and mode switches (the broker's own counts, from its `fetch.response`
 * trace events), in a picture, a sentence and a table.
 *
 * It reads only the trace events it has not read yet (a new session or a rebuilt event list after
 * a backward seek starts the tally over) and samples the hosts' counters at each redraw; the
 * numbers are datapath-model.ts, the picture datapath-layout.ts and datapath-view.ts.
 */
import type { Session, TraceEvent } from "../../sim/index.ts";
import { configString } from "../../sim/kafka/config.ts";
import { isEncrypted, securityProtocolOf } from "../../sim/kafka/protocol.ts";
import { type DataPathInput, dataPathLayout } from "../datapath-layout.ts";
import {
  addSample,
  type BrokerCounters,
  brokerCounters,
  emptyTraceTally,
  ratesAt,
  type Sample,
  sumDiskStats,
  type TallyContext,
  type TraceTally,
  tallyEvent,
} from "../datapath-model.ts";
import {
  initDataPathSvg,
  initPathTable,
  renderDataPath,
  renderPathTable,
} from "../datapath-view.ts";
import type { Panel } from "./panel.ts";

interface Reader {
  session: Session;
  ctx: TallyContext;
  protocol: string;
  interBrokerEncrypted: boolean;
  tallies: Map<string, TraceTally>;
  consumed: number;
  first: TraceEvent | undefined;
  samples: Sample[];
  drawnAt: string;
}

function newReader(session: Session, samples: Sample[]): Reader | undefined {
  const cluster = session.kafka?.cluster;
  if (cluster === undefined) return undefined;
  const protocol = securityProtocolOf(
    configString(cluster.brokerConfig, "security.inter.broker.protocol"),
  );
  const brokers = new Set([...cluster.brokers.keys()].map(String));
  return {
    session,
    ctx: { brokers },
    protocol,
    interBrokerEncrypted: isEncrypted(protocol),
    tallies: new Map(),
    consumed: 0,
    first: session.events[0],
    samples,
    drawnAt: "",
  };
}

/** The broker names of the session's cluster, in id order. */
function brokerNames(session: Session): string[] {
  const cluster = session.kafka?.cluster;
  if (cluster === undefined) return [];
  return [...cluster.brokers.keys()].sort((a, b) => a - b).map(String);
}

function sample(reader: Reader, session: Session): void {
  const cluster = session.kafka!.cluster;
  const brokers = new Map<string, BrokerCounters>();
  for (const b of reader.ctx.brokers) {
    const host = cluster.host(b);
    const disks = [];
    for (let i = 0; i < host.diskCount; i++) disks.push(host.disk(i).stats);
    brokers.set(
      b,
      brokerCounters(
        reader.tallies.get(b) ?? emptyTraceTally(),
        host.pageCache.stats,
        sumDiskStats(disks),
      ),
    );
  }
  addSample(reader.samples, { atUs: session.timeUs, brokers });
}

function inputFor(reader: Reader, session: Session, broker: string): DataPathInput {
  const host = session.kafka!.cluster.host(broker);
  const disks = [];
  for (let i = 0; i < host.diskCount; i++) disks.push(host.disk(i).stats);
  return {
    broker,
    hostState: host.state,
    nicBitsPerSec: host.nic.bandwidthBitsPerSec,
    nicGather: host.nic.scatterGatherDma,
    memoryBytes: host.pageCache.memoryBytes,
    diskKind: host.disk(0).profile.kind,
    diskCount: host.diskCount,
    interBrokerProtocol: reader.protocol,
    interBrokerEncrypted: reader.interBrokerEncrypted,
    tally: reader.tallies.get(broker) ?? emptyTraceTally(),
    cache: host.pageCache.stats,
    disk: sumDiskStats(disks),
    rates: ratesAt(reader.samples, broker, session.timeUs),
  };
}

export const dataPathPanel: Panel = {
  id: "datapath",
  title: "Data path",
  mount(container) {
    const doc = container.ownerDocument;
    const label = doc.createElement("label");
    label.textContent = "Broker ";
    const select = doc.createElement("select");
    select.className = "datapath-broker";
    label.append(select);
    const explanation = doc.createElement("p");
    explanation.className = "datapath-explanation";
    const cache = doc.createElement("p");
    cache.className = "datapath-cache";
    const svg = doc.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("class", "datapath");
    initDataPathSvg(svg);
    const legend = doc.createElement("p");
    legend.className = "datapath-legend";
    legend.textContent =
      "Solid blue: DMA (no CPU). Dashed red: CPU copy. Dotted grey: descriptors only. Bold: the " +
      "path of the latest fetch response with records. Rates (/s) are over the last second of " +
      "virtual time. Copies, mode switches and CPU time are the broker's own counts for each " +
      "fetch response with records (trace event fetch.response); empty responses cost nothing.";
    const table = doc.createElement("table");
    table.className = "datapath-paths";
    initPathTable(table);
    container.replaceChildren(label, explanation, cache, svg, legend, table);

    let reader: Reader | undefined;
    let last: Session | undefined;

    const redraw = (session: Session) => {
      last = session;
      const events = session.events;
      if (
        reader === undefined ||
        reader.session !== session ||
        events.length < reader.consumed ||
        (reader.consumed > 0 && events[0] !== reader.first)
      ) {
        // A new session starts over; a backward seek keeps the samples (the run is deterministic).
        reader = newReader(session, reader?.session === session ? reader.samples : []);
        if (reader === undefined) {
          select.replaceChildren();
          explanation.textContent = "No Kafka cluster in this scenario: no broker data path.";
          cache.textContent = "";
          svg.style.display = "none";
          table.style.display = "none";
          return;
        }
      }
      for (; reader.consumed < events.length; reader.consumed++)
        tallyEvent(reader.tallies, events[reader.consumed]!, reader.ctx);
      reader.first = events[0];
      sample(reader, session);

      const names = brokerNames(session);
      const current = [...select.options].map((o) => o.value);
      if (current.join(",") !== names.join(",")) {
        const keep = select.value;
        select.replaceChildren(
          ...names.map((n) => {
            const o = doc.createElement("option");
            o.value = n;
            o.textContent = `broker ${n}`;
            return o;
          }),
        );
        select.value = names.includes(keep) ? keep : (names[0] ?? "");
      }
      const broker = select.value;
      if (broker === "") return;
      const key = `${session.timeUs}/${events.length}/${broker}`;
      if (key === reader.drawnAt) return;
      reader.drawnAt = key;
      svg.style.display = "";
      table.style.display = "";
      const layout = dataPathLayout(inputFor(reader, session, broker));
      explanation.textContent = layout.explanation;
      cache.textContent = layout.cacheSentence;
      renderDataPath(svg, layout);
      renderPathTable(table, layout);
    };
    select.addEventListener("change", () => {
      if (last !== undefined) redraw(last);
    });
    return redraw;
  },
};
