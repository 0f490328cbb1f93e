/**
 * Transfer paths: what it costs a host to send file data to a socket, by `sendfile` (zero-copy) or
 * by read + write, with or without TLS. Pure accounting: no state, no time of its own; the caller
 * books the CPU time on the host's CPU model and the wire time on the network.
 *
 * Models the classic analysis (S. Palaniappan, P. Nagaraja, "Efficient data transfer through zero
 * copy", IBM developerWorks, 2008; the same counts are in most write-ups of Linux zero-copy):
 * - copy (read + write): per chunk, DMA disk → page cache, CPU copy page cache → user buffer,
 *   CPU copy user buffer → socket buffer, DMA socket buffer → NIC: 4 copies, 2 of them by the
 *   CPU; read() and write() each switch user → kernel → user: 4 context switches.
 * - sendfile without a gather-capable NIC: DMA → page cache, CPU copy page cache → socket buffer,
 *   DMA → NIC: 3 copies, 1 by the CPU; one call: 2 context switches.
 * - sendfile with a gather-capable NIC (scatter-gather DMA): only descriptors (location, length)
 *   go to the socket buffer and the NIC reads from the page cache: 2 copies, none by the CPU.
 * - tls: the kernel cannot encrypt for the application here (no kTLS), so zero-copy is off: read
 *   + encrypt in user space + write: the copies and switches of `copy`, plus the encryption pass.
 * A "context switch" is a user/kernel mode switch, as in the analysis: a system call is two.
 *
 * Simplifies: a chunk is one system call (or one read + write pair); partial writes, epoll wake-ups,
 * interrupts, TCP segmentation and checksums are not counted. With `fromPageCache` the disk DMA
 * is skipped (the pages are already cached). CPU time is copies × bytes at a memory-copy rate,
 * plus the encryption rate for TLS, plus a fixed cost per mode switch, summed in picoseconds and
 * rounded up to a whole µs once.
 *
 * Faults: none; a transfer path is arithmetic.
 */
import { assert, assertSafeInt, unreachable } from "../engine/assert.ts";

export type TransferMode = "sendfile" | "copy" | "tls";
export const TRANSFER_MODES: readonly TransferMode[] = ["sendfile", "copy", "tls"];

export interface TransferOptions {
  /** The NIC can gather a frame from several buffers (scatter-gather DMA). Matters for sendfile. */
  readonly nicGather: boolean;
  /** Bytes per system call (copy/tls: per read + write pair). Defaults per mode, see below. */
  readonly chunkBytes?: number;
  /** The data is already in the page cache: no disk → page cache DMA copy. Default false. */
  readonly fromPageCache?: boolean;
}

export interface TransferCost {
  /** System calls made (sendfile calls, or read + write pairs). */
  readonly calls: number;
  readonly dmaCopies: number;
  readonly cpuCopies: number;
  /** User/kernel mode switches. */
  readonly contextSwitches: number;
  /** Bytes the CPU copied (each CPU copy moves the whole chunk). */
  readonly cpuBytesCopied: number;
  /** Bytes the CPU encrypted (TLS only). */
  readonly cpuBytesEncrypted: number;
  /** CPU time, µs, rounded up once. */
  readonly cpuUs: number;
}

/**
 * Memory-copy cost, picoseconds per byte: 100 ps/B = 10 GB/s for one core copying a buffer far
 * larger than the caches. Single-thread copy bandwidth measured with CacheBench on 64 MiB buffers
 * (Intel Software Tuning forum, "Single-threaded memory performance for dual socket Xeon E5-*
 * systems", 2014): 5.9 GB/s (Xeon E5-2670) to 11.5 GB/s (Core i7-3960X); 10 GB/s sits in that
 * range, towards the newer parts.
 */
export const MEMCPY_PS_PER_BYTE = 100;

/**
 * AES-128-GCM encryption with AES-NI, picoseconds per byte: 180 ps/B ≈ 5.56 GB/s. Source:
 * `openssl speed -bytes 8192 -evp aes-128-gcm` reports 5,585,141.76k bytes/s on one core
 * (reproduced in "GCM performance 2: the Galois/Counter Mode", ashleytear.com); 1e12 / 5.585e9 =
 * 179.05, rounded up to a whole picosecond.
 */
export const AES_GCM_PS_PER_BYTE = 180;

/**
 * One user/kernel mode switch, picoseconds: 150 ns, i.e. about 300 ns per null system call.
 * Measured null syscalls (getpid via syscall()) cost about 100 ns before the 2018 page-table
 * isolation and Spectre mitigations and a few hundred ns with them on x86-64 Linux.
 */
export const MODE_SWITCH_PS = 150_000;

/** read + write chunk: a 64 KiB user buffer, a common choice for copy loops. */
export const DEFAULT_COPY_CHUNK_BYTES = 64 * 1024;
/** Linux caps one sendfile() at 0x7ffff000 bytes (MAX_RW_COUNT). */
export const DEFAULT_SENDFILE_CHUNK_BYTES = 0x7ffff000;

/** One row of the per-mode table: counts per system call (or read + write pair). */
export interface TransferPath {
  readonly mode: TransferMode;
  readonly nicGather: boolean;
  readonly description: string;
  readonly syscallsPerChunk: number;
  readonly contextSwitchesPerChunk: number;
  /** DMA copies, counting the disk → page cache copy. */
  readonly dmaCopiesPerChunk: number;
  readonly cpuCopiesPerChunk: number;
  readonly encrypts: boolean;
}

/** The per-mode table, for docs and for the viz's explanation panel. */
export const TRANSFER_PATHS: readonly TransferPath[] = [
  {
    mode: "copy",
    nicGather: false,
    description: "read() into a user buffer, then write() to the socket",
    syscallsPerChunk: 2,
    contextSwitchesPerChunk: 4,
    dmaCopiesPerChunk: 2,
    cpuCopiesPerChunk: 2,
    encrypts: false,
  },
  {
    mode: "sendfile",
    nicGather: false,
    description: "sendfile(): the kernel copies page cache → socket buffer",
    syscallsPerChunk: 1,
    contextSwitchesPerChunk: 2,
    dmaCopiesPerChunk: 2,
    cpuCopiesPerChunk: 1,
    encrypts: false,
  },
  {
    mode: "sendfile",
    nicGather: true,
    description: "sendfile() with scatter-gather DMA: the NIC reads the page cache",
    syscallsPerChunk: 1,
    contextSwitchesPerChunk: 2,
    dmaCopiesPerChunk: 2,
    cpuCopiesPerChunk: 0,
    encrypts: false,
  },
  {
    mode: "tls",
    nicGather: false,
    description: "read(), encrypt in user space, write(): TLS turns zero-copy off",
    syscallsPerChunk: 2,
    contextSwitchesPerChunk: 4,
    dmaCopiesPerChunk: 2,
    cpuCopiesPerChunk: 2,
    encrypts: true,
  },
];

/** The table row that applies (the NIC's gather ability matters only to sendfile). */
export function transferPath(mode: TransferMode, nicGather: boolean): TransferPath {
  const gather = mode === "sendfile" && nicGather;
  const row = TRANSFER_PATHS.find((p) => p.mode === mode && p.nicGather === gather);
  assert(row !== undefined, () => `no transfer path for ${mode}`);
  return row;
}

function defaultChunkBytes(mode: TransferMode): number {
  switch (mode) {
    case "sendfile":
      return DEFAULT_SENDFILE_CHUNK_BYTES;
    case "copy":
    case "tls":
      return DEFAULT_COPY_CHUNK_BYTES;
    default:
      return unreachable(mode, "transfer mode");
  }
}

/** The cost of sending `bytes` of a file to a socket by `mode`. */
export function transferCost(
  mode: TransferMode,
  bytes: number,
  options: TransferOptions,
): TransferCost {
  assertSafeInt(bytes, "bytes");
  assert(bytes >= 0, () => `negative transfer size ${bytes}`);
  const chunkBytes = options.chunkBytes ?? defaultChunkBytes(mode);
  assertSafeInt(chunkBytes, "chunkBytes");
  assert(chunkBytes > 0, "chunkBytes is > 0");
  const path = transferPath(mode, options.nicGather);
  const calls = Math.ceil(bytes / chunkBytes);
  const diskDma = options.fromPageCache === true ? 0 : 1;
  const dmaCopies = (path.dmaCopiesPerChunk - 1 + diskDma) * calls;
  const cpuCopies = path.cpuCopiesPerChunk * calls;
  const contextSwitches = path.contextSwitchesPerChunk * calls;
  // Each CPU copy of a chunk moves that chunk's bytes; summed over chunks, that is all the bytes.
  const cpuBytesCopied = path.cpuCopiesPerChunk * bytes;
  const cpuBytesEncrypted = path.encrypts ? bytes : 0;
  const cpuPs =
    cpuBytesCopied * MEMCPY_PS_PER_BYTE +
    cpuBytesEncrypted * AES_GCM_PS_PER_BYTE +
    contextSwitches * MODE_SWITCH_PS;
  assertSafeInt(cpuPs, "CPU time in ps (transfer too large)");
  const cpuUs = Math.ceil(cpuPs / 1_000_000);
  return { calls, dmaCopies, cpuCopies, contextSwitches, cpuBytesCopied, cpuBytesEncrypted, cpuUs };
}
