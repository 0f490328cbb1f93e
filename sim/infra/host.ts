/**
 * Host: one machine. Its OS (this actor, id `host/<name>`) owns the CPU cores, the disks (one per
 * log directory), the page cache and its flusher; the node's process is a separate actor whose id
 * is the node name, so the network delivers to it and a crash can end it alone.
 *
 * Models: the machine's states (up, process-crashed, powered-off); a restart after a delay; file
 * IO for the process through the page cache (writes dirty pages, reads hit or miss and go to the
 * disk), fsync, and the OS flusher writing dirty pages back every writeback interval; CPU work
 * queued on the cores.
 *
 * Faults: process crash (the OS and its page cache survive, dirty pages are still written back;
 * peers get a connection refused), power loss (the page cache is dropped and its dirty pages are
 * lost; peers hear nothing), restart; disk faults go through `disk(i)` (slow, full, failed).
 *
 * Simplifies: a read's missing pages are cached at once when the disk read is submitted, not when
 * it completes (a second reader in between sees a hit); writes to a throttled cache wait for the
 * writeback they trigger; disk writes in flight at a power loss count as done (the page cache
 * already marked them clean).
 */
import { assert } from "../engine/assert.ts";
import type { Actor, Engine, SimEvent } from "../engine/engine.ts";
import { Cpu } from "./cpu.ts";
import { Disk } from "./disk.ts";
import type { DiskProfile, NicProfile } from "./hardware.ts";
import type { Network } from "./network.ts";
import { type FileRange, PageCache } from "./page-cache.ts";

export type HostState = "up" | "process-crashed" | "powered-off";
export type CrashMode = "process" | "power";

/** Event kinds the process actor receives from its host. */
export const PROCESS_START = "process.start";
export interface ProcessStart {
  /** How the process last stopped: undefined for the first start. */
  readonly after: CrashMode | undefined;
}

export interface HostSpec {
  readonly name: string;
  /** One disk per log directory. */
  readonly disks: readonly DiskProfile[];
  readonly nic: NicProfile;
  readonly memoryBytes: number;
  readonly cores: number;
}

export type IoResult =
  | {
      readonly ok: true;
      readonly doneAtUs: number;
      readonly hitBytes: number;
      readonly missBytes: number;
    }
  | { readonly ok: false; readonly doneAtUs: number; readonly error: "EIO" | "ENOSPC" };

type HostEvent = SimEvent<"flusher-tick", null>;

export class Host implements Actor {
  readonly id: string;
  readonly name: string;
  readonly cpu: Cpu;
  readonly pageCache: PageCache;
  readonly nic: NicProfile;
  private readonly disks: Disk[];
  private currentState: HostState = "up";
  /** Which disk each file lives on, by index. */
  private readonly fileDisk = new Map<string, number>();
  /** Per file, the first byte lost in the last power loss (for the process's log recovery). */
  private readonly lostAtPowerLoss = new Map<string, number>();
  private flusherArmed = false;

  constructor(
    private readonly engine: Engine,
    private readonly network: Network,
    spec: HostSpec,
  ) {
    assert(spec.disks.length >= 1, `host ${spec.name} needs at least one disk`);
    this.name = spec.name;
    this.id = `host/${spec.name}`;
    this.nic = spec.nic;
    this.cpu = new Cpu(spec.cores);
    this.disks = spec.disks.map((p, i) => new Disk(`${spec.name}:disk${i}`, p));
    this.pageCache = new PageCache({ memoryBytes: spec.memoryBytes });
    engine.register(this);
    network.addNode(spec.name, { bandwidthBitsPerSec: spec.nic.bandwidthBitsPerSec });
  }

  get state(): HostState {
    return this.currentState;
  }

  get isUp(): boolean {
    return this.currentState === "up";
  }

  disk(index: number): Disk {
    const d = this.disks[index];
    assert(d !== undefined, () => `host ${this.name} has no disk ${index}`);
    return d;
  }

  get diskCount(): number {
    return this.disks.length;
  }

  /** Starts the process for the first time (and the OS flusher). */
  boot(): void {
    this.armFlusher();
    this.engine.schedule(0, this.name, PROCESS_START, { after: undefined } satisfies ProcessStart);
  }

  handle(event: SimEvent): void {
    const e = event as HostEvent;
    switch (e.kind) {
      case "flusher-tick":
        this.flusherArmed = false;
        if (this.currentState === "powered-off") return;
        this.writeBack(this.pageCache.writeback(this.engine.now), "writeback");
        this.armFlusher();
        return;
    }
  }

  /** Crashes the process, or cuts the power to the whole machine. */
  crash(mode: CrashMode): void {
    if (this.currentState === "powered-off") return;
    if (this.currentState === "process-crashed" && mode === "process") return;
    const engine = this.engine;
    // A process already crashed is already down on the network (its peers got their resets).
    if (this.currentState === "up") {
      engine.killIncarnation(this.name);
      this.cpu.reset(engine.now);
      this.network.nodeDown(this.name, mode);
    }
    if (mode === "power") {
      engine.killIncarnation(this.id);
      this.flusherArmed = false;
      const lost = this.pageCache.powerLoss();
      this.lostAtPowerLoss.clear();
      let lostBytes = 0;
      for (const r of lost) {
        lostBytes += r.lengthBytes;
        const first = this.lostAtPowerLoss.get(r.file);
        if (first === undefined || r.offsetBytes < first)
          this.lostAtPowerLoss.set(r.file, r.offsetBytes);
      }
      this.currentState = "powered-off";
      engine.trace.emit("host.crash", this.name, {
        mode,
        lostDirtyBytes: lostBytes,
        lostFiles: lost.length,
      });
    } else {
      this.currentState = "process-crashed";
      engine.trace.emit("host.crash", this.name, { mode, lostDirtyBytes: 0, lostFiles: 0 });
    }
  }

  /** Brings the machine (and its process) back; the process gets PROCESS_START. */
  restart(): void {
    if (this.currentState === "up") return;
    const after: CrashMode = this.currentState === "powered-off" ? "power" : "process";
    this.currentState = "up";
    this.network.nodeUp(this.name);
    this.engine.trace.emit("host.restart", this.name, { after });
    this.armFlusher();
    this.engine.schedule(0, this.name, PROCESS_START, { after } satisfies ProcessStart);
  }

  /**
   * The first byte of `file` that the last power loss destroyed (the process truncates its log
   * there when it recovers), or undefined when nothing of the file was lost.
   */
  firstLostByte(file: string): number | undefined {
    return this.lostAtPowerLoss.get(file);
  }

  /** Clears the power-loss record of a file once the process has recovered it. */
  forgetLoss(file: string): void {
    this.lostAtPowerLoss.delete(file);
  }

  /** Writes bytes of a file into the page cache (dirty). Throttled writers wait for writeback. */
  write(file: string, diskIndex: number, offsetBytes: number, lengthBytes: number): IoResult {
    const now = this.engine.now;
    const disk = this.placeFile(file, diskIndex);
    if (disk.isFailed) return { ok: false, doneAtUs: now, error: "EIO" };
    if (disk.isFull) return { ok: false, doneAtUs: now, error: "ENOSPC" };
    const result = this.pageCache.write(now, file, offsetBytes, lengthBytes);
    let doneAtUs = now;
    if (result.throttled) {
      doneAtUs = Math.max(doneAtUs, this.writeBack(this.pageCache.writeback(now), "throttle"));
    }
    return { ok: true, doneAtUs, hitBytes: 0, missBytes: 0 };
  }

  /**
   * Reads bytes of a file: page-cache hits are free, misses wait for the disk. With the file's
   * size, readahead stops at its end (Linux never reads past EOF).
   */
  read(
    file: string,
    diskIndex: number,
    offsetBytes: number,
    lengthBytes: number,
    fileSizeBytes?: number,
  ): IoResult {
    const now = this.engine.now;
    const disk = this.placeFile(file, diskIndex);
    const result = this.pageCache.read(now, file, offsetBytes, lengthBytes, fileSizeBytes);
    let doneAtUs = now;
    for (const r of result.diskReads) {
      const io = disk.submit(now, {
        kind: "read",
        file: r.file,
        offsetBytes: r.offsetBytes,
        lengthBytes: r.lengthBytes,
      });
      if (!io.ok) return { ok: false, doneAtUs: io.doneAtUs, error: io.error };
      this.pageCache.fill(now, r.file, r.offsetBytes, r.lengthBytes);
      // Only the pages the reader asked for hold it up; readahead completes in the background.
      if (r.offsetBytes < offsetBytes + lengthBytes && result.missBytes > 0)
        doneAtUs = Math.max(doneAtUs, io.doneAtUs);
    }
    return { ok: true, doneAtUs, hitBytes: result.hitBytes, missBytes: result.missBytes };
  }

  /** Writes a file's dirty pages to its disk and waits for the device to confirm. */
  fsync(file: string, diskIndex: number): IoResult {
    const now = this.engine.now;
    const disk = this.placeFile(file, diskIndex);
    const ranges = this.pageCache.fsync(now, file);
    let doneAtUs = this.writeBack(ranges, "fsync");
    const sync = disk.submit(now, { kind: "fsync", file });
    if (!sync.ok) return { ok: false, doneAtUs: sync.doneAtUs, error: sync.error };
    doneAtUs = Math.max(doneAtUs, sync.doneAtUs);
    return { ok: true, doneAtUs, hitBytes: 0, missBytes: 0 };
  }

  /** Byte ranges of the file not yet on disk (what a power loss now would destroy). */
  dirtyRanges(file: string): FileRange[] {
    return this.pageCache.dirtyRanges(file);
  }

  /** The file is gone: its pages leave the cache. */
  deleteFile(file: string): void {
    this.pageCache.dropFile(file);
    this.fileDisk.delete(file);
    this.lostAtPowerLoss.delete(file);
  }

  private placeFile(file: string, diskIndex: number): Disk {
    const known = this.fileDisk.get(file);
    if (known === undefined) this.fileDisk.set(file, diskIndex);
    else assert(known === diskIndex, () => `file ${file} moved from disk ${known} to ${diskIndex}`);
    return this.disk(diskIndex);
  }

  /** Submits dirty ranges to their disks; returns when the last write completes. */
  private writeBack(ranges: readonly FileRange[], why: "writeback" | "throttle" | "fsync"): number {
    let doneAtUs = this.engine.now;
    let bytes = 0;
    let errors = 0;
    for (const r of ranges) {
      const disk = this.disk(this.fileDisk.get(r.file) ?? 0);
      const io = disk.submit(this.engine.now, {
        kind: "write",
        file: r.file,
        offsetBytes: r.offsetBytes,
        lengthBytes: r.lengthBytes,
      });
      if (!io.ok) errors++;
      bytes += r.lengthBytes;
      doneAtUs = Math.max(doneAtUs, io.doneAtUs);
    }
    if (ranges.length > 0) {
      this.engine.trace.emit("os.writeback", this.name, {
        why,
        ranges: ranges.length,
        bytes,
        errors,
      });
    }
    return doneAtUs;
  }

  private armFlusher(): void {
    if (this.flusherArmed) return;
    this.flusherArmed = true;
    this.engine.schedule(this.pageCache.writebackIntervalUs, this.id, "flusher-tick", null);
  }
}
