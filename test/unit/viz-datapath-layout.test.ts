// viz: the Data path panel's layout in Node: the boxes, the arrows of each transfer path (DMA vs CPU
// copy), the sentence that says the path in words, the per-path table, and the number formats.
import { describe, expect, it } from "vitest";
import { TRANSFER_MODES, type TransferMode } from "../../sim/infra/transfer.ts";
import {
  type DataPathInput,
  dataPathLayout,
  formatBytes,
  formatRatio,
  formatUs,
} from "../../viz/datapath-layout.ts";
import { emptyTraceTally, type TraceTally } from "../../viz/datapath-model.ts";

function tally(mode: TransferMode | undefined, responses = 10): TraceTally {
  const t = emptyTraceTally();
  if (mode !== undefined) {
    t.fetchResponses = responses + 5;
    t.fetchWireBytes = responses * 1100 + 5 * 100;
    t.byMode[mode].responses = responses;
    t.byMode[mode].bytes = responses * 1000;
    t.byMode[mode].dmaCopies = responses;
    t.byMode[mode].cpuCopies = mode === "sendfile" ? 0 : 2 * responses;
    t.lastMode = mode;
    t.lastTo = "2";
  }
  return t;
}

function input(over: Partial<DataPathInput> = {}): DataPathInput {
  return {
    broker: "1",
    hostState: "up",
    nicBitsPerSec: 10e9,
    nicGather: true,
    memoryBytes: 64 * 1024 * 1024,
    diskKind: "hdd",
    diskCount: 1,
    interBrokerProtocol: "PLAINTEXT",
    interBrokerEncrypted: false,
    tally: tally("sendfile"),
    cache: {
      hits: 0,
      misses: 0,
      hitBytes: 300,
      missBytes: 100,
      readaheadBytes: 0,
      bytesReadFromDisk: 100,
      bytesWritten: 0,
      bytesWrittenBack: 0,
      evictedBytes: 0,
      lostDirtyBytes: 0,
      cachedBytes: 4096,
      dirtyBytes: 0,
    },
    disk: {
      readOps: 1,
      writeOps: 0,
      fsyncOps: 0,
      bytesRead: 100,
      bytesWritten: 0,
      randomOps: 1,
      errors: 0,
      serviceUs: 9000,
      queueWaitUs: 0,
    },
    rates: undefined,
    ...over,
  };
}

const kinds = (l: ReturnType<typeof dataPathLayout>, group: string) =>
  l.arrows.filter((a) => a.group === group).map((a) => `${a.key}/${a.kind}`);

describe("viz: data path layout", () => {
  it("draws disk, page cache, socket buffers, NIC and the JVM, inside the picture", () => {
    const l = dataPathLayout(input());
    expect(l.boxes.map((b) => b.key)).toEqual(["disk", "cache", "socket", "nic", "jvm"]);
    for (const b of l.boxes) {
      expect(b.x).toBeGreaterThanOrEqual(0);
      expect(b.x + b.w).toBeLessThanOrEqual(l.width);
      expect(b.y + b.h).toBeLessThanOrEqual(l.height);
    }
    for (const a of l.arrows)
      for (const [x, y] of a.points) {
        expect(x).toBeGreaterThanOrEqual(0);
        expect(x).toBeLessThanOrEqual(l.width);
        expect(y).toBeLessThanOrEqual(l.height);
      }
    const cache = l.boxes.find((b) => b.key === "cache")!;
    expect(cache.lines).toContain("hit ratio: 75.0%");
    expect(l.cacheSentence).toContain("75.0%");
    expect(l.cacheSentence).toContain("missed and waited for the disk");
  });

  it("sendfile with a gathering NIC: the fetch path is DMA only, the CPU copies nothing", () => {
    const l = dataPathLayout(input());
    expect(l.mode).toBe("sendfile");
    expect(kinds(l, "sendfile")).toEqual([
      "sendfile:cache-nic/dma",
      "sendfile:cache-socket/descriptor",
    ]);
    expect(l.explanation).toContain("by sendfile");
    expect(l.explanation).toContain("the CPU copies nothing");
  });

  it("sendfile without scatter-gather: one kernel CPU copy into the socket buffer", () => {
    const l = dataPathLayout(input({ nicGather: false }));
    expect(kinds(l, "sendfile")).toEqual(["sendfile:cache-socket/cpu", "sendfile:socket-nic/dma"]);
    expect(l.explanation).toContain("1 CPU copy");
  });

  it("TLS: through the JVM, two CPU copies, and the explanation names the config", () => {
    const l = dataPathLayout(
      input({ tally: tally("tls"), interBrokerProtocol: "SSL", interBrokerEncrypted: true }),
    );
    expect(l.mode).toBe("tls");
    expect(kinds(l, "tls")).toEqual([
      "tls:cache-jvm/cpu",
      "tls:jvm-socket/cpu",
      "tls:socket-nic/dma",
    ]);
    expect(l.arrows.filter((a) => a.group === "tls").every((a) => a.emphasis)).toBe(true);
    expect(l.explanation).toContain("security.inter.broker.protocol=SSL");
    expect(l.explanation).toContain("no zero copy");
  });

  it("before any fetch response, the path the config implies, said as such", () => {
    const l = dataPathLayout(
      input({ tally: tally(undefined), interBrokerProtocol: "SSL", interBrokerEncrypted: true }),
    );
    expect(l.mode).toBe("tls");
    expect(l.explanation).toContain("has sent no fetch response yet");
  });

  it("fetch responses without records yet: said as such, no path counted", () => {
    const t = tally(undefined);
    t.fetchResponses = 4;
    t.fetchWireBytes = 400;
    const l = dataPathLayout(input({ tally: t }));
    expect(l.explanation).toContain("have carried no records yet");
    const socket = l.boxes.find((b) => b.key === "socket")!;
    expect(socket.lines).toContain("responses: 4, 400 B");
    expect(socket.lines).toContain("with records: none yet");
  });

  it("both paths in use (consumers by sendfile, followers by TLS): both drawn, the latest bold", () => {
    const t = tally("sendfile");
    t.byMode.tls.responses = 3;
    t.lastMode = "tls";
    const l = dataPathLayout(input({ tally: t, interBrokerEncrypted: true }));
    expect(new Set(l.arrows.map((a) => a.group))).toEqual(
      new Set(["read", "write", "sendfile", "tls"]),
    );
    expect(l.arrows.filter((a) => a.group === "sendfile").some((a) => a.emphasis)).toBe(false);
    const keys = l.arrows.map((a) => a.key);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("one table row per path with the model's per-call counts", () => {
    const l = dataPathLayout(input());
    expect(l.table.map((r) => r.mode)).toEqual([...TRANSFER_MODES]);
    const row = (m: TransferMode) => l.table.find((r) => r.mode === m)!;
    expect(row("sendfile").perCall).toContain("0 CPU copies");
    expect(row("sendfile").responses).toBe(10);
    expect(row("sendfile").bytes).toBe(formatBytes(10_000));
    expect(row("sendfile").dmaCopies).toBe(10);
    expect(row("sendfile").cpuCopies).toBe(0);
    const socket = l.boxes.find((b) => b.key === "socket")!;
    expect(socket.lines).toContain("responses: 15, 11.2 KiB");
    expect(socket.lines).toContain("with records: sendfile 10");
    expect(socket.lines).toContain(`record bytes: ${formatBytes(10_000)}`);
    expect(row("copy").perCall).toContain("2 CPU copies");
    expect(row("copy").note).toContain("never");
    expect(row("tls").perCall).toContain("encrypts");
  });

  it("formats bytes, durations and ratios", () => {
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(1536)).toBe("1.50 KiB");
    expect(formatBytes(64 * 1024 * 1024)).toBe("64.0 MiB");
    expect(formatBytes(300 * 1024 * 1024)).toBe("300 MiB");
    expect(formatUs(850)).toBe("850 µs");
    expect(formatUs(12_345)).toBe("12.3 ms");
    expect(formatUs(4_560_000)).toBe("4.56 s");
    expect(formatRatio(1, 4)).toBe("25.0%");
    expect(formatRatio(0, 0)).toBe("–");
  });
});
