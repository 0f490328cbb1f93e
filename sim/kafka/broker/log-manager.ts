/**
 * The broker's logs on its host (Kafka's `LogManager` with the file side of `LocalLog`): which log
 * directory (disk) holds each partition, the segment files in the host's page cache, what survives
 * a crash, the high-watermark checkpoint, and log recovery after a restart.
 *
 * Models:
 * - Files. Each segment is `${logDir}/${topic}-${partition}/${baseOffset padded to 20}.log`; an
 *   append writes the batch's bytes at the end of the active segment's file through the page cache
 *   (host.write). Reads go through host.read (page cache, else the disk). A roll fsyncs the old
 *   segment (Kafka's "flush-log" task); `flush.messages` fsyncs the log once that many offsets are
 *   unflushed; nothing else forces data to disk: the OS writeback does.
 * - Durability. The flushed offset is derived from the page cache when asked: the first dirty byte
 *   of the oldest segment with dirty pages, rounded down to a batch boundary. The page cache works in
 *   4 KiB pages, so a batch appended into a page that had already been written back re-dirties
 *   bytes that are on disk; the manager remembers, per such page, how much of it was durable before
 *   (`savedPrefix`), so that neither the flushed offset nor power-loss recovery counts those older
 *   bytes as lost.
 * - Recovery. The PartitionLog objects stand for the data on disk and in the OS: a process crash
 *   leaves them whole (the page cache survives). After a power loss each log is truncated at the
 *   first byte the host lost (host.firstLostByte), moved up past any saved prefix, then down to a
 *   batch boundary (recovery drops a torn batch).
 * - HW checkpoint: `replication-offset-checkpoint` per log directory, written and fsynced every
 *   replica.high.watermark.checkpoint.interval.ms; once written it survives crashes and power loss.
 * - Log directories: one per disk. A write or read on a failed or full disk takes the directory
 *   offline (Kafka's LogDirFailureChannel treats any IOException so); its logs stay, unusable.
 *
 * Simplifies: no index files; truncating a segment does not shrink the file in the page cache (its
 * stale pages past the end are ignored); the HW checkpoint and the leader-epoch checkpoint are
 * durable as soon as written; deleted segments go at once (no `.deleted` files); compaction
 * rewrites a cleaned segment's file and fsyncs it.
 *
 * Faults it suffers: power loss (lost tail), disk failure and disk full (offline directory).
 */
import { assert, assertSafeInt, SimAssertionError } from "../../engine/assert.ts";
import type { Host } from "../../infra/host.ts";
import { PAGE_SIZE_BYTES } from "../../infra/page-cache.ts";
import { type NewBatch, PartitionLog, type PartitionLogConfig } from "../log/partition-log.ts";
import { batchRecordCount, firstBatchEndingAfter, type Segment } from "../log/segment.ts";
import type { RecordBatch } from "../types.ts";
import { tpKey } from "../types.ts";

export interface LogDir {
  readonly index: number;
  readonly path: string;
  offline: boolean;
}

/** One partition's log and the broker's bookkeeping around it (survives process restarts). */
export interface ManagedLog {
  readonly topic: string;
  readonly partition: number;
  readonly key: string;
  readonly dir: LogDir;
  readonly log: PartitionLog;
  /** Offsets below this were fsynced by the broker (flush.messages, flush.ms, roll). */
  recoveryPoint: number;
  lastFlushUs: number;
  /** The cleaner-offset-checkpoint entry (compacted topics). */
  cleanerCheckpoint: number | undefined;
  /** The flushed offset last reported in the trace (replica.flushed). */
  reportedFlushedOffset: number;
}

export interface AppendOutcome {
  readonly ok: true;
  readonly batch: RecordBatch;
  readonly doneAtUs: number;
}

export interface TruncationOutcome {
  readonly from: number;
  readonly to: number;
  readonly removed: readonly RecordBatch[];
  readonly lostRecords: number;
}

/** `00000000000000000042.log` */
export function segmentFileName(baseOffset: number): string {
  assertSafeInt(baseOffset, "segment base offset");
  return `${String(baseOffset).padStart(20, "0")}.log`;
}

export class LogManager {
  readonly dirs: readonly LogDir[];
  /** Logs by tpKey, in creation order. */
  private readonly logs = new Map<string, ManagedLog>();
  /** Logs per directory, by directory index (kept with `logs`, so placement is O(dirs)). */
  private readonly logsPerDir: number[];
  private readonly positions = new WeakMap<Segment, number[]>();
  /** file → page index → bytes of that page that were durable before it was dirtied again. */
  private readonly savedPrefix = new Map<string, Map<number, number>>();
  /** The last HW checkpoint taken, by tpKey (durable). */
  private readonly hwCheckpoint = new Map<string, number>();

  constructor(
    private readonly host: Host,
    dirPaths: readonly string[],
  ) {
    assert(dirPaths.length >= 1, "a broker has at least one log directory");
    assert(
      dirPaths.length <= host.diskCount,
      () => `${dirPaths.length} log dirs but host ${host.name} has ${host.diskCount} disks`,
    );
    this.dirs = dirPaths.map((path, index) => ({ index, path, offline: false }));
    this.logsPerDir = dirPaths.map(() => 0);
  }

  get(key: string): ManagedLog | undefined {
    return this.logs.get(key);
  }

  /** Every log, in creation order. */
  all(): IterableIterator<ManagedLog> {
    return this.logs.values();
  }

  get size(): number {
    return this.logs.size;
  }

  offlineDirs(): string[] {
    return this.dirs.filter((d) => d.offline).map((d) => d.path);
  }

  allDirsOffline(): boolean {
    return this.dirs.every((d) => d.offline);
  }

  /**
   * Creates an empty log on the online directory holding the fewest logs (Kafka's `nextLogDirs`;
   * ties go to the first). Undefined when every directory is offline.
   */
  create(
    topic: string,
    partition: number,
    config: Partial<PartitionLogConfig>,
    nowUs: number,
  ): ManagedLog | undefined {
    const key = tpKey(topic, partition);
    assert(!this.logs.has(key), () => `log ${key} created twice`);
    const counts = this.logsPerDir;
    let best: LogDir | undefined;
    for (const dir of this.dirs) {
      if (dir.offline) continue;
      if (best === undefined || counts[dir.index]! < counts[best.index]!) best = dir;
    }
    if (best === undefined) return undefined;
    const ml: ManagedLog = {
      topic,
      partition,
      key,
      dir: best,
      log: new PartitionLog(config, 0, nowUs),
      recoveryPoint: 0,
      lastFlushUs: nowUs,
      cleanerCheckpoint: undefined,
      reportedFlushedOffset: 0,
    };
    this.logs.set(key, ml);
    counts[best.index]!++;
    return ml;
  }

  /** Removes the log and its files (topic deleted, or replica moved away). */
  delete(ml: ManagedLog): void {
    for (const segment of ml.log.segmentList()) this.dropFile(this.fileOf(ml, segment.baseOffset));
    if (this.logs.delete(ml.key)) this.logsPerDir[ml.dir.index]!--;
    this.hwCheckpoint.delete(ml.key);
  }

  fileOf(ml: ManagedLog, baseOffset: number): string {
    return `${ml.dir.path}/${ml.key}/${segmentFileName(baseOffset)}`;
  }

  /** Whether the log's disk takes IO now; a failed or full disk takes the directory offline. */
  usable(ml: ManagedLog): boolean {
    if (ml.dir.offline) return false;
    const disk = this.host.disk(ml.dir.index);
    if (disk.isFailed || disk.isFull) {
      ml.dir.offline = true;
      return false;
    }
    return true;
  }

  /** Checks a directory's disk (the checkpoint task touches every directory). */
  probeDir(dir: LogDir): boolean {
    if (dir.offline) return false;
    const disk = this.host.disk(dir.index);
    if (disk.isFailed || disk.isFull) dir.offline = true;
    return !dir.offline;
  }

  // ---- appends ----

  /** Leader append: offsets and epoch are assigned here. The caller checked `usable`. */
  appendAsLeader(
    ml: ManagedLog,
    batch: NewBatch,
    leaderEpoch: number,
    nowUs: number,
  ): AppendOutcome {
    const { batch: stored, rolled } = ml.log.append(batch, leaderEpoch, nowUs);
    return this.written(ml, stored, rolled !== undefined, nowUs);
  }

  /** Follower append: the leader's offsets and epoch are kept. The caller checked `usable`. */
  appendAsFollower(ml: ManagedLog, batch: RecordBatch, nowUs: number): AppendOutcome {
    const { batch: stored, rolled } = ml.log.appendAsFollower(batch, nowUs);
    return this.written(ml, stored, rolled !== undefined, nowUs);
  }

  private written(
    ml: ManagedLog,
    batch: RecordBatch,
    rolled: boolean,
    nowUs: number,
  ): AppendOutcome {
    const segs = ml.log.segmentList();
    const active = segs[segs.length - 1]!;
    let doneAtUs = nowUs;
    if (rolled && segs.length >= 2) {
      // Kafka flushes the segment that just closed (asynchronously; the append does not wait).
      this.fsyncFile(ml, this.fileOf(ml, segs[segs.length - 2]!.baseOffset));
    }
    const pos = this.positionsOf(active);
    const position = pos[pos.length - 1]!;
    if (batch.bytes > 0) {
      const file = this.fileOf(ml, active.baseOffset);
      this.rememberDurablePrefix(file, position);
      const io = this.host.write(file, ml.dir.index, position, batch.bytes);
      if (!io.ok) throw new SimAssertionError(`write to ${file} failed after usable() said yes`);
      doneAtUs = Math.max(doneAtUs, io.doneAtUs);
    }
    return { ok: true, batch, doneAtUs };
  }

  /**
   * Before writing at `position`: if the page it starts in is clean, its bytes before `position`
   * are on disk, and stay there even though the write will dirty the page again.
   */
  private rememberDurablePrefix(file: string, position: number): void {
    const inPage = position % PAGE_SIZE_BYTES;
    if (inPage === 0) return;
    const pageStart = position - inPage;
    if (this.host.pageCache.isDirty(file, pageStart, inPage)) return;
    let pages = this.savedPrefix.get(file);
    if (pages === undefined) {
      pages = new Map();
      this.savedPrefix.set(file, pages);
    }
    pages.set(pageStart / PAGE_SIZE_BYTES, position);
  }

  /** Where durable data of `file` really ends, given a page-aligned first dirty (or lost) byte. */
  private durableFrom(file: string, firstBadByte: number): number {
    const saved = this.savedPrefix.get(file)?.get(Math.floor(firstBadByte / PAGE_SIZE_BYTES));
    return saved === undefined ? firstBadByte : Math.max(firstBadByte, saved);
  }

  // ---- reads ----

  /**
   * The IO of reading `batches` (a PartitionLog.read result: whole batches from one segment) from
   * the segment file through the host. A failed disk takes the directory offline.
   */
  readIo(
    ml: ManagedLog,
    batches: readonly RecordBatch[],
    bytes: number,
    nowUs: number,
  ):
    | { readonly ok: true; readonly doneAtUs: number; readonly missBytes: number }
    | { readonly ok: false } {
    if (batches.length === 0 || bytes === 0) return { ok: true, doneAtUs: nowUs, missBytes: 0 };
    if (!this.usable(ml)) return { ok: false };
    const first = batches[0]!;
    const segment = this.segmentContaining(ml, first.baseOffset);
    const index = firstBatchEndingAfter(segment.batches, first.baseOffset);
    const position = this.positionsOf(segment)[index]!;
    const io = this.host.read(
      this.fileOf(ml, segment.baseOffset),
      ml.dir.index,
      position,
      bytes,
      segment.bytes,
    );
    if (!io.ok) {
      ml.dir.offline = true;
      return { ok: false };
    }
    return { ok: true, doneAtUs: io.doneAtUs, missBytes: io.missBytes };
  }

  private segmentContaining(ml: ManagedLog, offset: number): Segment {
    const segs = ml.log.segmentList() as readonly Segment[];
    let found = segs[0]!;
    for (const segment of segs) {
      if (segment.baseOffset > offset) break;
      found = segment;
    }
    return found;
  }

  /** Start byte of each batch in its segment file (kept per segment object, extended lazily). */
  private positionsOf(segment: Readonly<Segment>): number[] {
    const seg = segment as Segment;
    let pos = this.positions.get(seg);
    if (pos === undefined) {
      pos = [];
      this.positions.set(seg, pos);
    }
    const batches = seg.batches;
    // A truncation removed batches: positions of the kept prefix are still right.
    if (pos.length > batches.length) pos.length = batches.length;
    while (pos.length < batches.length) {
      const i = pos.length;
      pos.push(i === 0 ? 0 : pos[i - 1]! + batches[i - 1]!.bytes);
    }
    return pos;
  }

  // ---- truncation ----

  /** Truncates to a batch boundary and removes the files of dropped segments. */
  truncateTo(ml: ManagedLog, offset: number): TruncationOutcome {
    const from = ml.log.logEndOffset;
    const before = this.segmentFiles(ml);
    const removed = ml.log.truncateTo(offset);
    this.afterTruncation(ml, before);
    if (ml.recoveryPoint > ml.log.logEndOffset) ml.recoveryPoint = ml.log.logEndOffset;
    return { from, to: ml.log.logEndOffset, removed, lostRecords: countRecords(removed) };
  }

  /** A follower whose LEO fell below the leader's log start: start afresh at `offset`. */
  truncateFullyAndStartAt(ml: ManagedLog, offset: number, nowUs: number): TruncationOutcome {
    const from = ml.log.logEndOffset;
    const before = this.segmentFiles(ml);
    const removed = ml.log.truncateFullyAndStartAt(offset, nowUs);
    this.afterTruncation(ml, before);
    ml.recoveryPoint = offset;
    return { from, to: offset, removed, lostRecords: countRecords(removed) };
  }

  private segmentFiles(ml: ManagedLog): string[] {
    return ml.log.segmentList().map((s) => this.fileOf(ml, s.baseOffset));
  }

  private afterTruncation(ml: ManagedLog, before: readonly string[]): void {
    const after = new Set(this.segmentFiles(ml));
    for (const file of before) if (!after.has(file)) this.dropFile(file);
    // Saved prefixes beyond the new end of the active file no longer describe log data.
    const active = ml.log.activeSegment;
    const pages = this.savedPrefix.get(this.fileOf(ml, active.baseOffset));
    if (pages !== undefined) {
      for (const [page, saved] of [...pages]) {
        if (saved > active.bytes) pages.set(page, Math.max(page * PAGE_SIZE_BYTES, active.bytes));
      }
    }
  }

  private dropFile(file: string): void {
    this.host.deleteFile(file);
    this.savedPrefix.delete(file);
  }

  /** Removes segment files that retention or the cleaner took out of the log. */
  segmentsRemoved(ml: ManagedLog, baseOffsets: readonly number[]): void {
    const live = new Set(ml.log.segmentList().map((s) => s.baseOffset));
    for (const base of baseOffsets) if (!live.has(base)) this.dropFile(this.fileOf(ml, base));
  }

  /** The cleaner rewrote the oldest segments: write each cleaned file and fsync it. */
  segmentsRewritten(ml: ManagedLog, baseOffsets: readonly number[]): void {
    for (const segment of ml.log.segmentList()) {
      if (!baseOffsets.includes(segment.baseOffset)) continue;
      const file = this.fileOf(ml, segment.baseOffset);
      this.dropFile(file);
      if (segment.bytes > 0) {
        this.host.write(file, ml.dir.index, 0, segment.bytes);
        this.host.fsync(file, ml.dir.index);
      }
    }
  }

  // ---- flushing and recovery ----

  /** fsync of every segment file of the log that has dirty pages (flush.messages, flush.ms). */
  flush(ml: ManagedLog, nowUs: number): number {
    let doneAtUs = nowUs;
    for (const segment of ml.log.segmentList()) {
      const file = this.fileOf(ml, segment.baseOffset);
      if (this.host.dirtyRanges(file).length === 0) continue;
      doneAtUs = Math.max(doneAtUs, this.fsyncFile(ml, file));
    }
    ml.recoveryPoint = ml.log.logEndOffset;
    ml.lastFlushUs = nowUs;
    return doneAtUs;
  }

  private fsyncFile(ml: ManagedLog, file: string): number {
    const io = this.host.fsync(file, ml.dir.index);
    if (!io.ok) ml.dir.offline = true;
    return io.doneAtUs;
  }

  /**
   * The offset below which the log is on disk now: the first dirty byte of the oldest segment that
   * has one (past any saved prefix), down to a batch boundary; the LEO when nothing is dirty.
   * Reads the page cache only.
   */
  flushedOffset(ml: ManagedLog): number {
    for (const segment of ml.log.segmentList() as readonly Segment[]) {
      const file = this.fileOf(ml, segment.baseOffset);
      const ranges = this.host.dirtyRanges(file);
      if (ranges.length === 0) continue;
      let first = Number.MAX_SAFE_INTEGER;
      for (const r of ranges) if (r.offsetBytes < first) first = r.offsetBytes;
      const bad = this.durableFrom(file, first);
      if (bad >= segment.bytes) continue;
      return this.offsetAtByte(segment, bad);
    }
    return ml.log.logEndOffset;
  }

  /** The base offset of the batch holding byte `position` of the segment file. */
  private offsetAtByte(segment: Segment, position: number): number {
    const pos = this.positionsOf(segment);
    let i = 0;
    while (i + 1 < segment.batches.length && pos[i + 1]! <= position) i++;
    return segment.batches[i]?.baseOffset ?? segment.baseOffset;
  }

  /**
   * After a power loss: truncates the log where the oldest lost byte was (down to a batch
   * boundary). Returns what was cut, or undefined when nothing was lost.
   */
  recoverAfterPowerLoss(ml: ManagedLog): TruncationOutcome | undefined {
    let target: number | undefined;
    for (const segment of ml.log.segmentList() as readonly Segment[]) {
      const file = this.fileOf(ml, segment.baseOffset);
      const lost = this.host.firstLostByte(file);
      if (lost === undefined) continue;
      this.host.forgetLoss(file);
      if (target !== undefined) continue;
      const bad = this.durableFrom(file, lost);
      if (bad < segment.bytes) target = this.offsetAtByte(segment, bad);
    }
    if (target === undefined) return undefined;
    return this.truncateTo(ml, target);
  }

  // ---- high-watermark checkpoint ----

  /** Writes (and fsyncs) `replication-offset-checkpoint` in every online directory. */
  checkpointHighWatermarks(nowUs: number): number {
    let doneAtUs = nowUs;
    for (const dir of this.dirs) {
      if (!this.probeDir(dir)) continue;
      let entries = 0;
      for (const ml of this.logs.values()) {
        if (ml.dir !== dir) continue;
        this.hwCheckpoint.set(ml.key, ml.log.highWatermark);
        entries++;
      }
      // The file: a version line, a count line, one "topic partition offset" line per log.
      const file = `${dir.path}/replication-offset-checkpoint`;
      const bytes = 4 + 8 + entries * 32;
      const w = this.host.write(file, dir.index, 0, bytes);
      if (!w.ok) {
        dir.offline = true;
        continue;
      }
      const f = this.host.fsync(file, dir.index);
      doneAtUs = Math.max(doneAtUs, f.doneAtUs);
    }
    return doneAtUs;
  }

  /** The last checkpointed HW of a log (0 when never checkpointed). */
  checkpointedHighWatermark(key: string): number {
    return this.hwCheckpoint.get(key) ?? 0;
  }
}

function countRecords(batches: readonly RecordBatch[]): number {
  let n = 0;
  for (const b of batches) n += batchRecordCount(b);
  return n;
}
