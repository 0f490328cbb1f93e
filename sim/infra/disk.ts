/**
 * Disk: one block device of a host, as a first-in first-out device queue.
 *
 * Models: the time each read, write and fsync takes, given the ops already queued.
 * - hdd: one head assembly serves one op at a time. An op is sequential when it continues
 *   exactly where the previous op on the device ended (same file, offset == previous end);
 *   otherwise it pays an average seek plus half a revolution. Transfer takes
 *   bytes × 1e6 / bandwidth µs.
 * - ssd / nvme: commands are issued one slot every ceil(1e6 / iops) µs (the deep-queue IOPS of
 *   the data sheet); their data shares one transfer bus at the bandwidth; an op completes at
 *   max(issue + access latency, end of its transfer). Reads and writes use their own IOPS and
 *   bandwidth but the same slots and bus.
 * - fsync completes fsyncUs after the last queued write of that file. On an hdd it takes the head
 *   (the journal commit is a write elsewhere), so the next op is not sequential.
 * Every op's service time is multiplied by the slow factor when it is submitted, and every
 * computed duration is rounded up to a whole µs, once.
 *
 * Simplifies: no reordering (no NCQ, no elevator), one transfer rate for the whole platter, no
 * flash garbage collection; the file system is reduced to "a file is a contiguous run of blocks",
 * so sequential in a file is sequential on the platter. The disk schedules nothing itself: the
 * host actor calls submit() and schedules the completion at the returned time.
 *
 * Faults: slow (every op takes `factor` times as long), full (writes fail with ENOSPC, reads and
 * fsync still work), failed (every op fails with EIO). A fault applies to ops submitted after it;
 * ops already queued complete as computed (the host may fail them itself). Errors return at once
 * (doneAtUs = nowUs): the kernel answers them without device work in this model.
 */
import { assert, assertSafeInt, unreachable } from "../engine/assert.ts";
import type { DiskProfile } from "./hardware.ts";
import { diskProfileProblems } from "./hardware.ts";

export type DiskOp =
  | { kind: "read" | "write"; file: string; offsetBytes: number; lengthBytes: number }
  | { kind: "fsync"; file: string };

export type DiskError = "EIO" | "ENOSPC";

export type DiskResult =
  | { ok: true; startAtUs: number; doneAtUs: number }
  | { ok: false; doneAtUs: number; error: DiskError };

export interface DiskStats {
  readOps: number;
  writeOps: number;
  fsyncOps: number;
  bytesRead: number;
  bytesWritten: number;
  /** Reads and writes that did not continue where the previous op ended (they pay the seek). */
  randomOps: number;
  /** Ops that returned an error. */
  errors: number;
  /**
   * Sum of every op's service time (doneAtUs − startAtUs). On an hdd ops never overlap, so this is
   * the time the device was busy; on flash ops overlap and the sum can exceed elapsed time.
   */
  serviceUs: number;
  /** Sum of the time ops waited in the queue before starting (startAtUs − nowUs). */
  queueWaitUs: number;
}

/** At most this many files remember their last write time before a sweep of finished ones. */
const LAST_WRITE_SWEEP_SIZE = 4096;

export class Disk {
  readonly name: string;
  readonly profile: DiskProfile;

  private slowFactor = 1;
  private failed = false;
  private full = false;
  private lastNowUs = 0;

  /** hdd: when the head is free. */
  private headFreeAtUs = 0;
  /** flash: the next free issue slot, and when the transfer bus is free. */
  private nextIssueAtUs = 0;
  private busFreeAtUs = 0;
  /** Where the previous read or write ended: (file, byte offset); null when unknown. */
  private headFile: string | null = null;
  private headEndBytes = 0;
  /** Per file, when its last queued write completes (for fsync). */
  private readonly lastWriteDoneUs = new Map<string, number>();

  private readonly st: DiskStats = {
    readOps: 0,
    writeOps: 0,
    fsyncOps: 0,
    bytesRead: 0,
    bytesWritten: 0,
    randomOps: 0,
    errors: 0,
    serviceUs: 0,
    queueWaitUs: 0,
  };

  constructor(name: string, profile: DiskProfile) {
    const problems = diskProfileProblems(profile);
    assert(problems.length === 0, () => `disk ${name}: bad profile: ${problems.join("; ")}`);
    this.name = name;
    this.profile = profile;
  }

  /** A copy of the counters. */
  get stats(): Readonly<DiskStats> {
    return { ...this.st };
  }

  get isFailed(): boolean {
    return this.failed;
  }

  get isFull(): boolean {
    return this.full;
  }

  get currentSlowFactor(): number {
    return this.slowFactor;
  }

  /** Every op submitted from now on takes `factor` times as long (1 = normal). */
  setSlowFactor(factor: number): void {
    assert(Number.isFinite(factor) && factor > 0, `disk ${this.name}: slow factor ${factor}`);
    this.slowFactor = factor;
  }

  /** The device stops answering: every op fails with EIO until repair(). */
  fail(): void {
    this.failed = true;
  }

  /** No space left: writes fail with ENOSPC; reads and fsync work. */
  setFull(full: boolean): void {
    this.full = full;
  }

  /** Clears every fault: not failed, not full, slow factor 1. */
  repair(): void {
    this.failed = false;
    this.full = false;
    this.slowFactor = 1;
  }

  /**
   * Queues one op at virtual time nowUs and returns when it completes. Calls must come in
   * non-decreasing nowUs (the host calls at its current time).
   */
  submit(nowUs: number, op: DiskOp): DiskResult {
    assertSafeInt(nowUs, "disk submit time");
    assert(nowUs >= this.lastNowUs, () => `disk ${this.name}: time went back to ${nowUs}`);
    this.lastNowUs = nowUs;
    if (this.failed) return this.error(nowUs, "EIO");
    switch (op.kind) {
      case "read":
      case "write": {
        assertSafeInt(op.offsetBytes, "disk op offset");
        assertSafeInt(op.lengthBytes, "disk op length");
        assert(op.offsetBytes >= 0 && op.lengthBytes > 0, () => `disk ${this.name}: bad range`);
        if (op.kind === "write" && this.full) return this.error(nowUs, "ENOSPC");
        return this.readWrite(nowUs, op.kind, op.file, op.offsetBytes, op.lengthBytes);
      }
      case "fsync":
        return this.fsync(nowUs, op.file);
      default:
        return unreachable(op, "disk op");
    }
  }

  private error(nowUs: number, error: DiskError): DiskResult {
    this.st.errors++;
    return { ok: false, doneAtUs: nowUs, error };
  }

  private readWrite(
    nowUs: number,
    kind: "read" | "write",
    file: string,
    offsetBytes: number,
    lengthBytes: number,
  ): DiskResult {
    const p = this.profile;
    const sequential = file === this.headFile && offsetBytes === this.headEndBytes;
    const positioningUs = sequential ? 0 : p.avgSeekUs + p.rotationalLatencyUs;
    if (!sequential) this.st.randomOps++;
    const bandwidth = kind === "read" ? p.readBandwidthBytesPerSec : p.writeBandwidthBytesPerSec;
    const rawTransferUs = (lengthBytes * 1e6) / bandwidth;

    let startAtUs: number;
    let doneAtUs: number;
    if (p.kind === "hdd") {
      // One head: the op starts when the previous one is done, and holds the head throughout.
      startAtUs = Math.max(nowUs, this.headFreeAtUs);
      const serviceUs = ceilUs(
        (positioningUs + p.accessLatencyUs + rawTransferUs) * this.slowFactor,
      );
      doneAtUs = startAtUs + serviceUs;
      this.headFreeAtUs = doneAtUs;
    } else {
      // Flash: an issue slot per command, then the data crosses the shared bus; the command
      // cannot finish before its access latency (plus any user-set seek) has passed.
      const iops = kind === "read" ? p.readIops : p.writeIops;
      startAtUs = Math.max(nowUs, this.nextIssueAtUs);
      this.nextIssueAtUs = startAtUs + ceilUs((1e6 * this.slowFactor) / iops);
      const transferStartUs = Math.max(startAtUs, this.busFreeAtUs);
      const transferDoneUs = transferStartUs + ceilUs(rawTransferUs * this.slowFactor);
      this.busFreeAtUs = transferDoneUs;
      const latencyUs = ceilUs((p.accessLatencyUs + positioningUs) * this.slowFactor);
      doneAtUs = Math.max(startAtUs + latencyUs, transferDoneUs);
    }
    assertSafeInt(doneAtUs, "disk completion time");
    this.headFile = file;
    this.headEndBytes = offsetBytes + lengthBytes;

    if (kind === "read") {
      this.st.readOps++;
      this.st.bytesRead += lengthBytes;
    } else {
      this.st.writeOps++;
      this.st.bytesWritten += lengthBytes;
      this.noteWrite(nowUs, file, doneAtUs);
    }
    this.account(nowUs, startAtUs, doneAtUs);
    return { ok: true, startAtUs, doneAtUs };
  }

  private fsync(nowUs: number, file: string): DiskResult {
    const p = this.profile;
    const writesDoneUs = this.lastWriteDoneUs.get(file) ?? nowUs;
    // The file's writes were written first; on flash the flush waits only for them.
    if (writesDoneUs <= nowUs) this.lastWriteDoneUs.delete(file);
    const costUs = ceilUs(p.fsyncUs * this.slowFactor);
    let startAtUs: number;
    if (p.kind === "hdd") {
      // FIFO: every queued write of the file is done before the head is free again.
      startAtUs = Math.max(nowUs, this.headFreeAtUs, writesDoneUs);
      this.headFreeAtUs = startAtUs + costUs;
      // The journal commit moved the head away from the data.
      this.headFile = null;
    } else {
      startAtUs = Math.max(nowUs, writesDoneUs);
    }
    const doneAtUs = startAtUs + costUs;
    assertSafeInt(doneAtUs, "disk fsync completion time");
    this.st.fsyncOps++;
    this.account(nowUs, startAtUs, doneAtUs);
    return { ok: true, startAtUs, doneAtUs };
  }

  private noteWrite(nowUs: number, file: string, doneAtUs: number): void {
    const before = this.lastWriteDoneUs.get(file) ?? 0;
    this.lastWriteDoneUs.set(file, Math.max(before, doneAtUs));
    if (this.lastWriteDoneUs.size > LAST_WRITE_SWEEP_SIZE) {
      // Forget files whose writes are all done: fsync would not wait for them anyway.
      for (const [f, t] of this.lastWriteDoneUs) {
        if (t <= nowUs) this.lastWriteDoneUs.delete(f);
      }
    }
  }

  private account(nowUs: number, startAtUs: number, doneAtUs: number): void {
    this.st.queueWaitUs += startAtUs - nowUs;
    this.st.serviceUs += doneAtUs - startAtUs;
  }
}

/** Rounds a computed duration up to a whole µs (the one rounding of DESIGN.md). */
function ceilUs(rawUs: number): number {
  const us = Math.ceil(rawUs);
  assertSafeInt(us, "disk duration");
  return us;
}
