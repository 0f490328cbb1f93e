// @vitest-environment happy-dom
// viz: the Data path panel mounted in a happy-dom document, on the bundled lessons: zero-copy-vs-tls
// (PLAINTEXT vs security.inter.broker.protocol=SSL: sendfile vs TLS, CPU copies) and
// page-cache-hot-vs-cold (64 MiB vs 1 GiB of page cache: misses and disk reads vs none). The
// numbers in the DOM are checked against the trace (the brokers' fetch.response events, summed
// here) and the hosts' counters read directly; the broker select works; a backward seek and a
// replay draw the same DOM, and so does jumping to the same moment without stops.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseOverride, parseScenarioText } from "../../sim/scenario/load.ts";
import { Session } from "../../sim/scenario/session.ts";
import { formatBytes, formatRatio, formatUs } from "../../viz/datapath-layout.ts";
import { dataPathPanel } from "../../viz/panels/datapath-panel.ts";

const ZERO_COPY = readFileSync("scenarios/zero-copy-vs-tls.yaml", "utf8");
const SSL = ZERO_COPY.replace(
  "security.inter.broker.protocol: PLAINTEXT",
  "security.inter.broker.protocol: SSL",
);
const PAGE_CACHE = readFileSync("scenarios/page-cache-hot-vs-cold.yaml", "utf8");
const BIG_CACHE = PAGE_CACHE.replace("memory: 64MiB", "memory: 1GiB");
const host = { act: () => {}, seek: () => {}, replaceScenario: () => {} };

function mount(): { div: HTMLDivElement; redraw: (s: Session) => void } {
  const div = document.createElement("div");
  document.body.replaceChildren(div);
  return { div, redraw: dataPathPanel.mount(div, host) };
}

/** Opens the text, advances to `us` with a redraw a second before (so rates have a window). */
function at(text: string, us: number) {
  const session = new Session(text);
  const m = mount();
  session.advanceTo(us - 1_000_000);
  m.redraw(session);
  session.advanceTo(us);
  m.redraw(session);
  return { session, ...m };
}

const q = (div: HTMLElement, sel: string) => div.querySelector(sel)?.textContent ?? "";
const row = (div: HTMLElement, mode: string) =>
  [...div.querySelectorAll(`tbody tr[data-mode="${mode}"] td`)].map((td) => td.textContent ?? "");

/** Fetch responses with records served by a node, summed from the trace directly. */
function fetchResponses(session: Session, from: string) {
  const served = session.events.filter((e) => e.type === "fetch.response" && e.node === from);
  const sum = (f: string) => served.reduce((s, e) => s + Number(e[f]), 0);
  return {
    count: served.length,
    bytes: sum("bytes"),
    dmaCopies: sum("dmaCopies"),
    cpuCopies: sum("cpuCopies"),
    contextSwitches: sum("contextSwitches"),
    cpuUs: sum("cpuUs"),
  };
}

describe("viz: data path panel", () => {
  it("the contrast texts are the lessons' own --set re-runs", () => {
    const set = (o: string) => {
      const parsed = parseOverride(o);
      if (typeof parsed === "string") throw new Error(parsed);
      return parsed;
    };
    // The parsed scenarios, without the source text they were parsed from.
    const parse = (text: string, file: string, o?: string) => {
      const { source: _source, ...rest } = parseScenarioText(
        text,
        file,
        o === undefined ? [] : [set(o)],
      );
      return rest;
    };
    const withSet = (text: string, file: string, o: string) => parse(text, file, o);
    expect(parse(SSL, "zero-copy-vs-tls.yaml")).toEqual(
      withSet(
        ZERO_COPY,
        "zero-copy-vs-tls.yaml",
        "cluster.config.security.inter.broker.protocol=SSL",
      ),
    );
    expect(parse(BIG_CACHE, "page-cache-hot-vs-cold.yaml")).toEqual(
      withSet(PAGE_CACHE, "page-cache-hot-vs-cold.yaml", "cluster.hardware.memory=1GiB"),
    );
    expect(SSL).not.toBe(ZERO_COPY);
    expect(BIG_CACHE).not.toBe(PAGE_CACHE);
  });

  it("PLAINTEXT replication: the leader answers by sendfile, no CPU copy", () => {
    const { session, div } = at(ZERO_COPY, 10_000_000);
    const options = [...div.querySelectorAll("select.datapath-broker option")].map((o) =>
      o.getAttribute("value"),
    );
    expect(options).toEqual(["1", "2", "3"]);
    expect(div.querySelector("svg.datapath")?.getAttribute("data-mode")).toBe("sendfile");
    expect(q(div, ".datapath-explanation")).toContain("by sendfile");
    expect(q(div, ".datapath-explanation")).toContain("the CPU copies nothing");
    // The fetch path is DMA only, bold; nothing goes through the JVM.
    const fetchArrows = [...div.querySelectorAll('g.arrow[data-group="sendfile"]')];
    expect(fetchArrows.map((g) => g.getAttribute("data-kind"))).toEqual(["dma", "descriptor"]);
    expect(div.querySelector('g.arrow[data-group="tls"]')).toBeNull();
    const sent = fetchResponses(session, "1");
    expect(sent.count).toBeGreaterThan(100);
    const sendfile = row(div, "sendfile");
    expect(sendfile[0]).toBe("▶ sendfile");
    expect(sendfile[3]).toBe(String(sent.count));
    expect(sendfile[4]).toBe(formatBytes(sent.bytes));
    expect(sendfile[5]).toBe(String(sent.dmaCopies));
    expect(sendfile[6]).toBe("0");
    expect(sendfile[7]).toBe(String(sent.contextSwitches));
    expect(sendfile[8]).toBe(formatUs(sent.cpuUs));
    expect(row(div, "tls")[3]).toBe("0");
    expect(div.querySelector('g.arrow[data-key="sendfile:cache-nic"] text')?.textContent).toContain(
      formatBytes(sent.bytes),
    );
  });

  it("SSL replication: TLS through the JVM, CPU copies and more CPU time than sendfile", () => {
    const plain = at(ZERO_COPY, 10_000_000);
    const { session, div } = at(SSL, 10_000_000);
    expect(div.querySelector("svg.datapath")?.getAttribute("data-mode")).toBe("tls");
    expect(q(div, ".datapath-explanation")).toContain("security.inter.broker.protocol=SSL");
    const kinds = [...div.querySelectorAll('g.arrow[data-group="tls"]')].map((g) =>
      g.getAttribute("data-kind"),
    );
    expect(kinds).toEqual(["cpu", "cpu", "dma"]);
    const sent = fetchResponses(session, "1");
    const tls = row(div, "tls");
    expect(tls[0]).toBe("▶ tls");
    expect(tls[3]).toBe(String(sent.count));
    expect(tls[6]).toBe(String(sent.cpuCopies));
    expect(sent.cpuCopies).toBeGreaterThan(0);
    expect(tls[7]).toBe(String(sent.contextSwitches));
    expect(tls[8]).toBe(formatUs(sent.cpuUs));
    expect(row(div, "sendfile")[3]).toBe("0");
    // Same replication, more mode switches per response than sendfile's 2.
    expect(sent.contextSwitches).toBeGreaterThan(2 * sent.count);
    expect(q(div, 'g.box[data-key="jvm"]')).toContain(`(${formatUs(sent.cpuUs)} CPU)`);
    expect(q(plain.div, 'g.box[data-key="jvm"]')).toContain("fetch data does not pass here");
    expect(q(div, 'g.box[data-key="jvm"]')).toContain("TLS: encrypted");
  });

  it("the select shows another broker: a follower sends no fetch response", () => {
    const { session, div, redraw } = at(ZERO_COPY, 10_000_000);
    const select = div.querySelector<HTMLSelectElement>("select.datapath-broker")!;
    select.value = "2";
    select.dispatchEvent(new Event("change"));
    expect(q(div, ".datapath-explanation")).toContain("Broker 2 has sent no fetch response yet");
    expect(fetchResponses(session, "2").count).toBe(0);
    // The choice survives the next redraw.
    session.advanceTo(11_000_000);
    redraw(session);
    expect(select.value).toBe("2");
    expect(q(div, 'g.box[data-key="jvm"] text.title')).toBe("Broker 2 process (JVM, user space)");
  });

  it("a small page cache: the catch-up misses and reads the disk; a big one: no miss", () => {
    const small = at(PAGE_CACHE, 36_000_000);
    const big = at(BIG_CACHE, 36_000_000);
    const smallStats = small.session.kafka!.cluster.host("1").pageCache.stats;
    const bigStats = big.session.kafka!.cluster.host("1").pageCache.stats;
    expect(smallStats.missBytes).toBeGreaterThan(0);
    expect(bigStats.missBytes).toBe(0);
    const hit = formatRatio(smallStats.hitBytes, smallStats.hitBytes + smallStats.missBytes);
    expect(q(small.div, 'g.box[data-key="cache"]')).toContain(`hit ratio: ${hit}`);
    expect(q(small.div, ".datapath-cache")).toContain("missed and waited for the disk");
    expect(q(big.div, ".datapath-cache")).toContain("no read waited for the disk");
    expect(q(big.div, 'g.box[data-key="cache"]')).toContain("hit ratio: 100.0%");
    const diskReads = small.session.kafka!.cluster.host("1").disk(0).stats.readOps;
    expect(diskReads).toBeGreaterThan(0);
    expect(q(small.div, 'g.box[data-key="disk"]')).toContain(`reads: ${diskReads} ops`);
    expect(q(small.div, 'g.arrow[data-key="read:disk-cache"]')).toContain(
      formatBytes(smallStats.bytesReadFromDisk),
    );
    expect(q(small.div, 'g.box[data-key="disk"] text.title')).toBe("Disk (hdd)");
  });

  it("rates over the last second, and a backward seek redraws the same DOM", () => {
    const { session, div, redraw } = at(ZERO_COPY, 10_000_000);
    // The producer writes 10 MB/s; the leader sends it to two followers: about 20 MB/s out.
    const out = q(div, 'g.box[data-key="nic"]').match(/out: [^(]*\(([\d.]+) MiB\/s\)/);
    expect(out).not.toBeNull();
    expect(Number(out![1])).toBeGreaterThan(15);
    expect(Number(out![1])).toBeLessThan(25);
    const before = div.innerHTML;
    session.seek(4_000_000);
    redraw(session);
    expect(div.innerHTML).not.toBe(before);
    session.seek(10_000_000);
    redraw(session);
    expect(div.innerHTML).toBe(before);
  });

  it("the table and the socket box are the same whether the moment was played or jumped to", () => {
    // Played: a redraw every 250 ms; jumped: one redraw at 9 s and one at 10 s (rates need it).
    const played = new Session(SSL);
    const a = mount();
    for (let t = 250_000; t <= 10_000_000; t += 250_000) {
      played.advanceTo(t);
      a.redraw(played);
    }
    const tableA = a.div.querySelector("table.datapath-paths")?.innerHTML;
    const socketA = q(a.div, 'g.box[data-key="socket"]');
    const jumped = at(SSL, 10_000_000);
    expect(jumped.div.querySelector("table.datapath-paths")?.innerHTML).toBe(tableA);
    expect(q(jumped.div, 'g.box[data-key="socket"]')).toBe(socketA);
  });
});
