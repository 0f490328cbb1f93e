/**
 * The Data path panel's layout: one broker's counters in, plain drawing data out (boxes with their
 * lines of text, arrows with their labels, the sentence that says the path in words, and the
 * per-path table). Pure: tested in Node; datapath-view.ts draws it with D3.
 *
 * The picture: disk ↔ page cache ↔ socket buffers ↔ NIC along the bottom, the broker process
 * (user space, the JVM) above. Reads go right (disk → page cache → … → NIC), writes go left
 * (NIC → socket → JVM → page cache → disk). A fetch response takes one of the model's paths:
 * sendfile with a gathering NIC (the NIC reads the page cache by DMA, only descriptors go to the
 * socket buffer), sendfile without (one kernel CPU copy into the socket buffer), or TLS (read into
 * the JVM, encrypt, write: two CPU copies). Arrows say DMA or CPU copy in words and by dash.
 */
import type { DiskStats } from "../sim/infra/disk.ts";
import type { PageCacheStats } from "../sim/infra/page-cache.ts";
import { TRANSFER_MODES, type TransferMode, transferPath } from "../sim/infra/transfer.ts";
import { type PathTally, type Rates, sumPaths, type TraceTally } from "./datapath-model.ts";

/** What the layout needs to know about one broker now. */
export interface DataPathInput {
  readonly broker: string;
  readonly hostState: "up" | "process-crashed" | "powered-off";
  readonly nicBitsPerSec: number;
  readonly nicGather: boolean;
  readonly memoryBytes: number;
  readonly diskKind: string;
  readonly diskCount: number;
  /** security.inter.broker.protocol as configured (PLAINTEXT, SSL, ...). */
  readonly interBrokerProtocol: string;
  readonly interBrokerEncrypted: boolean;
  readonly tally: TraceTally;
  readonly cache: Readonly<PageCacheStats>;
  readonly disk: Readonly<DiskStats>;
  readonly rates: Rates | undefined;
}

export type BoxKey = "disk" | "cache" | "jvm" | "socket" | "nic";
export type ArrowKind = "dma" | "cpu" | "descriptor";

export interface PathBox {
  readonly key: BoxKey;
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
  readonly title: string;
  readonly lines: readonly string[];
}

export interface PathArrow {
  /** Unique: `${group}:${from}-${to}`. */
  readonly key: string;
  /** "read", "write", or the transfer mode of a fetch-response path. */
  readonly group: string;
  readonly kind: ArrowKind;
  readonly points: readonly (readonly [number, number])[];
  readonly label: string;
  readonly labelAt: readonly [number, number];
  /** The path of the latest fetch response (drawn thicker). */
  readonly emphasis: boolean;
}

export interface PathTableRow {
  readonly mode: TransferMode;
  readonly description: string;
  /** Per call of the model's table: "2 switches, 0 CPU copies, 2 DMA copies". */
  readonly perCall: string;
  /** Fetch responses with records that took this path. */
  readonly responses: number;
  /** Their record bytes. */
  readonly bytes: string;
  readonly dmaCopies: number;
  readonly cpuCopies: number;
  readonly contextSwitches: number;
  readonly cpuTime: string;
  readonly note: string;
}

export interface DataPathLayout {
  readonly width: number;
  readonly height: number;
  readonly boxes: readonly PathBox[];
  readonly arrows: readonly PathArrow[];
  /** The path in words, one sentence. */
  readonly explanation: string;
  /** The page cache's part, one sentence. */
  readonly cacheSentence: string;
  readonly table: readonly PathTableRow[];
  /** The mode whose arrows are emphasised. */
  readonly mode: TransferMode;
}

const KiB = 1024;
const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

/** Bytes for people: `512 B`, `1.5 MiB`, `12 GiB`. */
export function formatBytes(bytes: number): string {
  let v = bytes;
  let u = 0;
  while (Math.abs(v) >= KiB && u < UNITS.length - 1) {
    v /= KiB;
    u++;
  }
  if (u === 0) return `${Math.round(v)} B`;
  return `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ${UNITS[u]}`;
}

/** A duration in µs for people: `850 µs`, `12.3 ms`, `4.56 s`. */
export function formatUs(us: number): string {
  if (us < 1000) return `${Math.round(us)} µs`;
  if (us < 1_000_000) return `${(us / 1000).toFixed(1)} ms`;
  return `${(us / 1_000_000).toFixed(2)} s`;
}

/** A share as a percentage with one decimal, or "–" for 0 of 0. */
export function formatRatio(part: number, whole: number): string {
  return whole > 0 ? `${((100 * part) / whole).toFixed(1)}%` : "–";
}

function rate(rates: Rates | undefined, key: keyof Rates["perSec"]): string {
  return rates === undefined ? "" : ` (${formatBytes(rates.perSec[key])}/s)`;
}

/** The mode a broker's fetch responses take: the latest one's, or what the config implies. */
export function currentMode(input: DataPathInput): TransferMode {
  return input.tally.lastMode ?? (input.interBrokerEncrypted ? "tls" : "sendfile");
}

/** The path in words. */
export function explain(input: DataPathInput): string {
  const t = input.tally;
  const mode = currentMode(input);
  const lead =
    t.fetchResponses === 0
      ? `Broker ${input.broker} has sent no fetch response yet; they would leave the page cache`
      : sumPaths(t, "responses") === 0
        ? `Broker ${input.broker}'s fetch responses have carried no records yet; records would ` +
          "leave the page cache"
        : `Broker ${input.broker}'s fetch responses leave the page cache`;
  if (mode === "tls") {
    return (
      `${lead} over TLS (security.inter.broker.protocol=${input.interBrokerProtocol}): ` +
      "read() copies the bytes into the JVM, which encrypts them and write()s them to the socket: " +
      "2 CPU copies, an AES-GCM pass and 4 mode switches per 64 KiB; no zero copy."
    );
  }
  if (mode === "copy") {
    return `${lead} by read() + write(): 2 CPU copies and 4 mode switches per 64 KiB.`;
  }
  return input.nicGather
    ? `${lead} by sendfile: the NIC gathers the pages by DMA, the CPU copies nothing ` +
        "(one system call, 2 mode switches)."
    : `${lead} by sendfile: the kernel copies the pages into the socket buffer once ` +
        "(1 CPU copy, 2 mode switches), nothing goes through the JVM.";
}

/** The page cache's part in words. */
export function cacheSentence(cache: Readonly<PageCacheStats>): string {
  const asked = cache.hitBytes + cache.missBytes;
  if (asked === 0) return "No read has asked the page cache for anything yet.";
  if (cache.missBytes === 0)
    return `All ${formatBytes(asked)} read so far were in the page cache: no read waited for the disk.`;
  return (
    `${formatRatio(cache.hitBytes, asked)} of the ${formatBytes(asked)} read were in the page ` +
    `cache; ${formatBytes(cache.missBytes)} missed and waited for the disk.`
  );
}

const W = 860;
const H = 330;
const BOX_W = 180;
const BOX_H = 118;
const ROW_Y = 190;
const X = { disk: 10, cache: 230, socket: 450, nic: 670 } as const;
const JVM = { x: 330, y: 8, w: 240, h: 78 };

function box(key: BoxKey, title: string, lines: string[]): PathBox {
  if (key === "jvm") return { key, ...JVM, title, lines };
  return { key, x: X[key], y: ROW_Y, w: BOX_W, h: BOX_H, title, lines };
}

function boxes(input: DataPathInput): PathBox[] {
  const { cache, disk, rates, tally } = input;
  const asked = cache.hitBytes + cache.missBytes;
  const hitNow =
    rates === undefined
      ? ""
      : `hit ratio, last ${formatUs(rates.windowUs)}: ${formatRatio(
          rates.perSec.cacheHitBytes,
          rates.perSec.cacheHitBytes + rates.perSec.cacheMissBytes,
        )}`;
  const busyShare =
    rates === undefined
      ? ""
      : ` (${formatRatio(rates.perSec.diskServiceUs, 1_000_000)} of the time)`;
  const disks = input.diskCount === 1 ? input.diskKind : `${input.diskCount} × ${input.diskKind}`;
  const withRecords = TRANSFER_MODES.filter((m) => tally.byMode[m].responses > 0).map(
    (m) => `${m} ${tally.byMode[m].responses}`,
  );
  const tls = tally.byMode.tls;
  return [
    box("disk", `Disk (${disks})`, [
      `reads: ${disk.readOps} ops, ${formatBytes(disk.bytesRead)}`,
      `writes: ${disk.writeOps} ops, ${formatBytes(disk.bytesWritten)}`,
      `fsyncs: ${disk.fsyncOps}; seeks: ${disk.randomOps}`,
      `busy: ${formatUs(disk.serviceUs)}${busyShare}`,
    ]),
    box("cache", `Page cache (${formatBytes(input.memoryBytes)})`, [
      `hit ratio: ${formatRatio(cache.hitBytes, asked)}`,
      hitNow,
      `cached: ${formatBytes(cache.cachedBytes)}`,
      `dirty: ${formatBytes(cache.dirtyBytes)}`,
      `evicted: ${formatBytes(cache.evictedBytes)}`,
    ]),
    box("socket", "Socket buffers", [
      tally.fetchResponses === 0
        ? "fetch responses: none yet"
        : `responses: ${tally.fetchResponses}, ${formatBytes(tally.fetchWireBytes)}`,
      `with records: ${withRecords.length === 0 ? "none yet" : withRecords.join(", ")}`,
      `record bytes: ${formatBytes(sumPaths(tally, "bytes"))}`,
      tally.lastTo === undefined ? "" : `latest records to: ${tally.lastTo}`,
    ]),
    box("nic", `NIC (${input.nicBitsPerSec / 1e9} Gb/s)`, [
      input.nicGather ? "scatter-gather DMA" : "no scatter-gather",
      `in: ${formatBytes(tally.nicInBytes)}${rate(rates, "nicInBytes")}`,
      `out: ${formatBytes(tally.nicOutBytes)}${rate(rates, "nicOutBytes")}`,
    ]),
    box("jvm", `Broker ${input.broker} process (JVM, user space)`, [
      input.hostState === "up" ? "up" : input.hostState.replace("-", " "),
      tls.responses > 0 || currentMode(input) === "tls"
        ? `TLS: encrypted ${formatBytes(tls.cpuBytesEncrypted)} (${formatUs(tls.cpuUs)} CPU)`
        : "fetch data does not pass here",
    ]),
  ];
}

type Pt = readonly [number, number];
const mid = (k: keyof typeof X) => X[k] + BOX_W / 2;
const right = (k: keyof typeof X) => X[k] + BOX_W;
const left = (k: keyof typeof X) => X[k];
const LANE_READ = ROW_Y + 30;
const LANE_WRITE = ROW_Y + BOX_H - 14;

function arrow(
  group: string,
  from: BoxKey,
  to: BoxKey,
  kind: ArrowKind,
  points: Pt[],
  label: string,
  labelAt: Pt,
  emphasis = false,
): PathArrow {
  return { key: `${group}:${from}-${to}`, group, kind, points, label, labelAt, emphasis };
}

function fetchArrows(mode: TransferMode, input: DataPathInput, emphasis: boolean): PathArrow[] {
  const p: PathTally = input.tally.byMode[mode];
  const bytes = formatBytes(p.bytes);
  const r = emphasis ? rate(input.rates, "fetchBytes") : "";
  if (mode === "sendfile" && input.nicGather) {
    const y = ROW_Y - 16;
    return [
      arrow(
        mode,
        "cache",
        "nic",
        "dma",
        [
          [mid("cache") + 20, ROW_Y],
          [mid("cache") + 20, y],
          [mid("nic"), y],
          [mid("nic"), ROW_Y],
        ],
        `sendfile, the NIC gathers by DMA: ${bytes}${r}`,
        [mid("cache") + 26, y - 6],
        emphasis,
      ),
      arrow(
        mode,
        "cache",
        "socket",
        "descriptor",
        [
          [right("cache"), LANE_READ + 20],
          [left("socket"), LANE_READ + 20],
        ],
        "",
        [right("cache") + 4, LANE_READ + 16],
        emphasis,
      ),
    ];
  }
  const toNic = arrow(
    mode,
    "socket",
    "nic",
    "dma",
    [
      [right("socket"), LANE_READ],
      [left("nic"), LANE_READ],
    ],
    "DMA",
    [right("socket") + 4, LANE_READ - 4],
    emphasis,
  );
  if (mode === "sendfile") {
    return [
      arrow(
        mode,
        "cache",
        "socket",
        "cpu",
        [
          [right("cache"), LANE_READ],
          [left("socket"), LANE_READ],
        ],
        `sendfile, kernel CPU copy: ${bytes}${r}`,
        [right("cache") + 2, LANE_READ - 4],
        emphasis,
      ),
      toNic,
    ];
  }
  const verb = mode === "tls" ? "encrypt + write()" : "write()";
  return [
    arrow(
      mode,
      "cache",
      "jvm",
      "cpu",
      [
        [mid("cache") - 30, ROW_Y],
        [mid("cache") - 30, JVM.y + JVM.h / 2],
        [JVM.x, JVM.y + JVM.h / 2],
      ],
      `${mode}: read() copy`,
      [mid("cache") - 160, JVM.y + JVM.h / 2 - 6],
      emphasis,
    ),
    arrow(
      mode,
      "jvm",
      "socket",
      "cpu",
      [
        [JVM.x + JVM.w, JVM.y + JVM.h / 2],
        [mid("socket") + 50, JVM.y + JVM.h / 2],
        [mid("socket") + 50, ROW_Y],
      ],
      `${verb}: ${bytes}${r}`,
      [JVM.x + JVM.w + 4, JVM.y + JVM.h / 2 - 6],
      emphasis,
    ),
    toNic,
  ];
}

function flowArrows(input: DataPathInput): PathArrow[] {
  const { cache, rates } = input;
  return [
    arrow(
      "read",
      "disk",
      "cache",
      "dma",
      [
        [right("disk"), LANE_READ],
        [left("cache"), LANE_READ],
      ],
      `read: ${formatBytes(cache.bytesReadFromDisk)}${rate(rates, "readFromDiskBytes")}`,
      [right("disk") - 150, LANE_READ - 34],
    ),
    arrow(
      "write",
      "cache",
      "disk",
      "dma",
      [
        [left("cache"), LANE_WRITE],
        [right("disk"), LANE_WRITE],
      ],
      `writeback: ${formatBytes(cache.bytesWrittenBack)}${rate(rates, "writtenBackBytes")}`,
      [right("disk") - 150, LANE_WRITE + 28],
    ),
    arrow(
      "write",
      "nic",
      "socket",
      "dma",
      [
        [left("nic"), LANE_WRITE],
        [right("socket"), LANE_WRITE],
      ],
      "DMA",
      [right("socket") + 4, LANE_WRITE - 4],
    ),
    arrow(
      "write",
      "socket",
      "jvm",
      "cpu",
      [
        [mid("socket") + 10, ROW_Y],
        [mid("socket") + 10, JVM.y + JVM.h],
      ],
      "read()",
      [mid("socket") + 14, JVM.y + JVM.h + 40],
    ),
    arrow(
      "write",
      "jvm",
      "cache",
      "cpu",
      [
        [mid("cache") + 50, JVM.y + JVM.h],
        [mid("cache") + 50, ROW_Y],
      ],
      `appends: ${formatBytes(cache.bytesWritten)}${rate(rates, "cacheWrittenBytes")}`,
      [mid("cache") + 54, JVM.y + JVM.h + 22],
    ),
  ];
}

function tableRow(mode: TransferMode, input: DataPathInput): PathTableRow {
  const path = transferPath(mode, input.nicGather);
  const t = input.tally.byMode[mode];
  const note =
    mode === "copy"
      ? "Kafka's brokers never use it (sendfile or TLS)"
      : mode === "tls"
        ? `replica fetches when security.inter.broker.protocol is SSL or SASL_SSL (here ${input.interBrokerProtocol})`
        : "PLAINTEXT connections (consumers; replicas without TLS)";
  return {
    mode,
    description: path.description,
    perCall:
      `${path.syscallsPerChunk} syscall${path.syscallsPerChunk === 1 ? "" : "s"}, ` +
      `${path.contextSwitchesPerChunk} mode switches, ${path.dmaCopiesPerChunk} DMA copies, ` +
      `${path.cpuCopiesPerChunk} CPU cop${path.cpuCopiesPerChunk === 1 ? "y" : "ies"}` +
      (path.encrypts ? ", encrypts" : ""),
    responses: t.responses,
    bytes: formatBytes(t.bytes),
    dmaCopies: t.dmaCopies,
    cpuCopies: t.cpuCopies,
    contextSwitches: t.contextSwitches,
    cpuTime: formatUs(t.cpuUs),
    note,
  };
}

/** The whole panel's drawing data for one broker. */
export function dataPathLayout(input: DataPathInput): DataPathLayout {
  const mode = currentMode(input);
  const used = TRANSFER_MODES.filter((m) => m === mode || input.tally.byMode[m].responses > 0);
  const arrows = [...flowArrows(input), ...used.flatMap((m) => fetchArrows(m, input, m === mode))];
  return {
    width: W,
    height: H,
    boxes: boxes(input),
    arrows,
    explanation: explain(input),
    cacheSentence: cacheSentence(input.cache),
    table: TRANSFER_MODES.map((m) => tableRow(m, input)),
    mode,
  };
}
