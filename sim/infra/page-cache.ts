/**
 * Page cache: the OS file cache of one host, like Linux's.
 *
 * Models: a memory budget of 4 KiB pages; reads that hit or miss (misses become disk reads the
 * caller performs, then fill()); sequential readahead (read_ahead_kb, 128 KiB); writes that dirty
 * pages; background writeback like Linux's flusher (pages dirty for dirty_expire_centisecs, 30 s,
 * are written at the next flusher tick, every dirty_writeback_centisecs, 5 s; above
 * dirty_background_ratio, 10 %, the oldest dirty pages are written too; above dirty_ratio, 20 %,
 * writers are throttled); fsync of one file; LRU eviction of clean pages when the budget is
 * exceeded. Dirty pages are never evicted: when everything is dirty the cache grows over budget
 * and writers are throttled.
 *
 * Storage (DESIGN.md): per file, a sorted array of extents {startPage, endPage, dirty, lastUseUs,
 * dirtySinceUs}, neighbours with equal state merged, never one object per page. A binary heap
 * keyed (lastUseUs, file, startPage) finds the least recently used clean extent; its stale
 * entries are skipped when popped and swept when the heap grows too large.
 *
 * Simplifies: one exact LRU list instead of Linux's active/inactive lists; expiry per page range
 * (Linux expires whole inodes by the time the inode was first dirtied); a fixed readahead window
 * (Linux grows it from small to read_ahead_kb); a partial-page write does not read the page first
 * (logs append); throttling is a yes/no flag above dirty_ratio (Linux slows writers gradually
 * from halfway between the two ratios); pages handed to writeback are clean at once (the caller
 * owns the disk writes in flight, and what a crash does to them); there is no in-flight state,
 * so two readers that miss the same page before fill() both get a disk read. The cache schedules
 * nothing: the host calls writeback() at its flusher ticks (writebackIntervalUs) and submits the
 * returned ranges.
 *
 * Faults: power loss drops every page, and the dirty ones are lost (powerLoss returns them); a
 * process crash does not touch the cache (the kernel keeps it).
 */
import { assert, assertSafeInt } from "../engine/assert.ts";

export const PAGE_SIZE_BYTES = 4096;

/** A byte range of a file. Ranges the cache returns are whole pages. */
export interface FileRange {
  file: string;
  offsetBytes: number;
  lengthBytes: number;
}

export interface PageCacheOptions {
  /** Memory the cache may use, bytes (at least one page). */
  memoryBytes: number;
  /** vm.dirty_expire_centisecs: a page dirty this long goes at the next tick. Default 30 s. */
  dirtyExpireUs?: number;
  /** vm.dirty_writeback_centisecs: how often the host should call writeback(). Default 5 s. */
  writebackIntervalUs?: number;
  /** vm.dirty_background_ratio: above this share of memory dirty, writeback starts (0.10). */
  dirtyBackgroundRatio?: number;
  /** vm.dirty_ratio: above this share of memory dirty, writers are throttled. Default 0.20. */
  dirtyRatio?: number;
  /** read_ahead_kb of the block device, in bytes. Default 128 KiB. */
  readaheadBytes?: number;
}

export interface PageCacheStats {
  /** Pages of read requests found in the cache. */
  hits: number;
  /** Pages of read requests not in the cache. */
  misses: number;
  /** Requested bytes that were in cached pages; hitBytes + missBytes = bytes requested. */
  hitBytes: number;
  missBytes: number;
  /** Bytes asked from the disk ahead of a sequential reader (beyond what it requested). */
  readaheadBytes: number;
  /** Bytes put in the cache by fill(), that is read from the disk. */
  bytesReadFromDisk: number;
  /** Bytes written into the cache by write(). */
  bytesWritten: number;
  /** Bytes handed to the disk by writeback() and fsync() (whole pages). */
  bytesWrittenBack: number;
  /** Clean bytes dropped to stay within memory. */
  evictedBytes: number;
  /** Dirty bytes dropped by power losses. */
  lostDirtyBytes: number;
  cachedBytes: number;
  dirtyBytes: number;
}

export interface ReadResult {
  hitBytes: number;
  missBytes: number;
  /**
   * What to read from the disk, in file order, whole pages: the missing pages of the request, and
   * on a sequential read the missing pages of the readahead window after it (contiguous runs are
   * joined). The caller submits them and calls fill() for each when it completes. The reader must
   * wait for them when missBytes > 0; with missBytes = 0 they are readahead only.
   */
  diskReads: FileRange[];
}

export interface WriteResult {
  /**
   * Dirty memory is above dirtyRatio. Like Linux's balance_dirty_pages, the writer must wait: the
   * host should call writeback() now and let the writer continue when those disk writes are done.
   */
  throttled: boolean;
}

/** A snapshot of one extent, for tests and the viz. */
export interface ExtentView {
  offsetBytes: number;
  lengthBytes: number;
  dirty: boolean;
  lastUseUs: number;
  /** When the range was first dirtied; null when clean. */
  dirtySinceUs: number | null;
}

interface Extent {
  readonly file: string;
  startPage: number;
  /** Exclusive. */
  endPage: number;
  dirty: boolean;
  lastUseUs: number;
  /** When dirtied; -1 when clean. */
  dirtySinceUs: number;
  /** False once removed from its file (merged away, evicted, dropped). */
  alive: boolean;
}

interface FileState {
  /**
   * Sorted, disjoint extents from index `head` on. extents[0, head) are dead ones evicted from the
   * front (the oldest data of a log file), removed lazily: dropping them one by one would copy
   * the whole array each time.
   */
  extents: Extent[];
  head: number;
  /** Dirty pages of this file, and a page no dirty extent starts below (NO_DIRTY when none). */
  dirtyPages: number;
  dirtyFromPage: number;
  /** End page (exclusive) of the previous read of this file; -1 before the first read. */
  lastReadEndPage: number;
  /**
   * The file's name as first seen: every extent holds this one string, not the (equal) string
   * its caller built for that write, so a log's many writes keep one copy of the path alive.
   */
  readonly name: string;
}

/** A heap entry is valid while its extent is alive, clean, and keyed as when pushed. */
interface HeapEntry {
  ext: Extent;
  lastUseUs: number;
  startPage: number;
}

const DEFAULTS = {
  dirtyExpireUs: 30_000_000,
  writebackIntervalUs: 5_000_000,
  dirtyBackgroundRatio: 0.1,
  dirtyRatio: 0.2,
  readaheadBytes: 128 * 1024,
} as const;

/** Above this many entries per live extent (plus slack), the heap is rebuilt without stale ones. */
const HEAP_SLACK_ENTRIES = 1024;

/** A file's dead prefix is compacted away once it is this long and half of the array. */
const HEAD_COMPACT_MIN = 1024;

/** dirtyFromPage of a file without dirty pages. */
const NO_DIRTY = Number.MAX_SAFE_INTEGER;

/** One page-run [start, end) of a file. */
type Run = [number, number];

export class PageCache {
  readonly memoryBytes: number;
  readonly dirtyExpireUs: number;
  readonly writebackIntervalUs: number;
  readonly dirtyBackgroundRatio: number;
  readonly dirtyRatio: number;
  readonly readaheadBytes: number;

  private readonly budgetPages: number;
  private readonly backgroundLimitPages: number;
  private readonly dirtyLimitPages: number;
  private readonly readaheadPages: number;

  private readonly files = new Map<string, FileState>();
  private heap: HeapEntry[] = [];
  private extentTotal = 0;
  private cachedPages = 0;
  private dirtyPages = 0;
  private lastNowUs = 0;

  private readonly st = {
    hits: 0,
    misses: 0,
    hitBytes: 0,
    missBytes: 0,
    readaheadBytes: 0,
    bytesReadFromDisk: 0,
    bytesWritten: 0,
    bytesWrittenBack: 0,
    evictedBytes: 0,
    lostDirtyBytes: 0,
  };

  constructor(opts: PageCacheOptions) {
    this.memoryBytes = opts.memoryBytes;
    this.dirtyExpireUs = opts.dirtyExpireUs ?? DEFAULTS.dirtyExpireUs;
    this.writebackIntervalUs = opts.writebackIntervalUs ?? DEFAULTS.writebackIntervalUs;
    this.dirtyBackgroundRatio = opts.dirtyBackgroundRatio ?? DEFAULTS.dirtyBackgroundRatio;
    this.dirtyRatio = opts.dirtyRatio ?? DEFAULTS.dirtyRatio;
    this.readaheadBytes = opts.readaheadBytes ?? DEFAULTS.readaheadBytes;
    assertSafeInt(this.memoryBytes, "page cache memoryBytes");
    assert(this.memoryBytes >= PAGE_SIZE_BYTES, "page cache needs at least one page of memory");
    assertSafeInt(this.dirtyExpireUs, "dirtyExpireUs");
    assert(this.dirtyExpireUs >= 0, "dirtyExpireUs must be ≥ 0");
    assertSafeInt(this.writebackIntervalUs, "writebackIntervalUs");
    assert(this.writebackIntervalUs > 0, "writebackIntervalUs must be > 0");
    assert(
      this.dirtyBackgroundRatio > 0 &&
        this.dirtyBackgroundRatio <= this.dirtyRatio &&
        this.dirtyRatio <= 1,
      "need 0 < dirtyBackgroundRatio ≤ dirtyRatio ≤ 1",
    );
    assertSafeInt(this.readaheadBytes, "readaheadBytes");
    assert(this.readaheadBytes >= 0, "readaheadBytes must be ≥ 0");
    this.budgetPages = Math.floor(this.memoryBytes / PAGE_SIZE_BYTES);
    this.backgroundLimitPages = Math.floor(this.dirtyBackgroundRatio * this.budgetPages);
    this.dirtyLimitPages = Math.floor(this.dirtyRatio * this.budgetPages);
    this.readaheadPages = Math.ceil(this.readaheadBytes / PAGE_SIZE_BYTES);
  }

  /** A copy of the counters. */
  get stats(): Readonly<PageCacheStats> {
    return {
      ...this.st,
      cachedBytes: this.cachedPages * PAGE_SIZE_BYTES,
      dirtyBytes: this.dirtyPages * PAGE_SIZE_BYTES,
    };
  }

  /** Number of extents held, over all files (what the storage costs). */
  get extentCount(): number {
    return this.extentTotal;
  }

  /** Dirty memory is above dirtyRatio: writers should wait for writeback. */
  get overDirtyLimit(): boolean {
    return this.dirtyPages > this.dirtyLimitPages;
  }

  /**
   * A read of [offsetBytes, offsetBytes + lengthBytes). Cached pages count as hits and become the
   * most recently used; missing pages become disk reads. A read is sequential when it starts in
   * the page where the previous read of the file ended, or in the next one, or at page 0 (Linux's
   * initial readahead); then the window of readaheadBytes after it is read too, up to
   * fileSizeBytes when given.
   */
  read(
    nowUs: number,
    file: string,
    offsetBytes: number,
    lengthBytes: number,
    fileSizeBytes?: number,
  ): ReadResult {
    this.checkTime(nowUs);
    checkRange(offsetBytes, lengthBytes);
    if (lengthBytes === 0) return { hitBytes: 0, missBytes: 0, diskReads: [] };
    const endBytes = offsetBytes + lengthBytes;
    const a = Math.floor(offsetBytes / PAGE_SIZE_BYTES);
    const b = Math.ceil(endBytes / PAGE_SIZE_BYTES);
    const fs = this.fileState(file);

    this.splitAt(fs, a);
    this.splitAt(fs, b);
    const [lo, hi] = this.within(fs, a, b);
    const runs: Run[] = [];
    let hitBytes = 0;
    let hitPages = 0;
    let cursor = a;
    for (let i = lo; i < hi; i++) {
      const e = fs.extents[i]!;
      if (e.startPage > cursor) runs.push([cursor, e.startPage]);
      hitPages += e.endPage - e.startPage;
      hitBytes += overlapBytes(e.startPage, e.endPage, offsetBytes, endBytes);
      this.touch(e, nowUs);
      cursor = e.endPage;
    }
    if (cursor < b) runs.push([cursor, b]);
    this.mergeAround(fs, lo, hi);

    const missBytes = lengthBytes - hitBytes;
    this.st.hits += hitPages;
    this.st.misses += b - a - hitPages;
    this.st.hitBytes += hitBytes;
    this.st.missBytes += missBytes;

    const sequential =
      a === 0 ||
      (fs.lastReadEndPage >= 0 && (a === fs.lastReadEndPage || a === fs.lastReadEndPage - 1));
    fs.lastReadEndPage = b;
    if (sequential && this.readaheadPages > 0) {
      let raEnd = b + this.readaheadPages;
      if (fileSizeBytes !== undefined) {
        assertSafeInt(fileSizeBytes, "fileSizeBytes");
        raEnd = Math.min(raEnd, Math.ceil(fileSizeBytes / PAGE_SIZE_BYTES));
      }
      for (const run of this.gaps(fs, b, raEnd)) {
        this.st.readaheadBytes += (run[1] - run[0]) * PAGE_SIZE_BYTES;
        const last = runs[runs.length - 1];
        if (last !== undefined && last[1] === run[0]) last[1] = run[1];
        else runs.push(run);
      }
    }
    this.sweepHeap();
    return { hitBytes, missBytes, diskReads: runs.map((r) => toRange(file, r)) };
  }

  /**
   * Pages read from the disk are now cached clean and most recently used. Dirty pages in the
   * range are left alone (they are newer than what the disk had).
   */
  fill(nowUs: number, file: string, offsetBytes: number, lengthBytes: number): void {
    this.checkTime(nowUs);
    checkRange(offsetBytes, lengthBytes);
    if (lengthBytes === 0) return;
    this.st.bytesReadFromDisk += lengthBytes;
    const a = Math.floor(offsetBytes / PAGE_SIZE_BYTES);
    const b = Math.ceil((offsetBytes + lengthBytes) / PAGE_SIZE_BYTES);
    const fs = this.fileState(file);
    this.paint(fs, fs.name, a, b, nowUs, false);
    this.evictIfNeeded();
  }

  /**
   * A write into the cache: the pages become dirty (those already dirty keep the time they were
   * first dirtied) and most recently used.
   */
  write(nowUs: number, file: string, offsetBytes: number, lengthBytes: number): WriteResult {
    this.checkTime(nowUs);
    checkRange(offsetBytes, lengthBytes);
    if (lengthBytes > 0) {
      this.st.bytesWritten += lengthBytes;
      const a = Math.floor(offsetBytes / PAGE_SIZE_BYTES);
      const b = Math.ceil((offsetBytes + lengthBytes) / PAGE_SIZE_BYTES);
      const fs = this.fileState(file);
      this.paint(fs, fs.name, a, b, nowUs, true);
      this.evictIfNeeded();
    }
    return { throttled: this.overDirtyLimit };
  }

  /**
   * The flusher tick. Cleans and returns (to be written to the disk) the dirty pages that have
   * been dirty for dirtyExpireUs or longer, then, while dirty memory is above
   * dirtyBackgroundRatio, the oldest dirty pages (ties by file name, then offset). Returned ranges
   * are whole pages, sorted by file name then offset, adjacent ones joined.
   */
  writeback(nowUs: number): FileRange[] {
    this.checkTime(nowUs);
    const cleaned = new Map<string, Run[]>();
    const names = [...this.files.keys()].sort();
    for (const name of names) {
      const fs = this.files.get(name)!;
      const expired: Run[] = [];
      for (const e of dirtyExtents(fs)) {
        if (nowUs - e.dirtySinceUs >= this.dirtyExpireUs) expired.push([e.startPage, e.endPage]);
      }
      for (const run of expired) this.clean(fs, name, run[0], run[1], cleaned);
    }
    if (this.dirtyPages > this.backgroundLimitPages) {
      const dirty: Array<{ file: string; start: number; end: number; since: number }> = [];
      for (const name of names) {
        for (const e of dirtyExtents(this.files.get(name)!)) {
          dirty.push({ file: name, start: e.startPage, end: e.endPage, since: e.dirtySinceUs });
        }
      }
      // Oldest first; names are unique per file and starts unique within one, so no ties remain.
      dirty.sort((x, y) =>
        x.since !== y.since
          ? x.since - y.since
          : x.file !== y.file
            ? compareStrings(x.file, y.file)
            : x.start - y.start,
      );
      for (const d of dirty) {
        const needPages = this.dirtyPages - this.backgroundLimitPages;
        if (needPages <= 0) break;
        const end = Math.min(d.end, d.start + needPages);
        this.clean(this.files.get(d.file)!, d.file, d.start, end, cleaned);
      }
    }
    const out = this.collect(cleaned);
    this.evictIfNeeded();
    return out;
  }

  /** fsync(file): every dirty page of the file is cleaned and returned for writing, in order. */
  fsync(nowUs: number, file: string): FileRange[] {
    this.checkTime(nowUs);
    const fs = this.files.get(file);
    if (fs === undefined) return [];
    const cleaned = new Map<string, Run[]>();
    const dirty: Run[] = [];
    for (const e of dirtyExtents(fs)) dirty.push([e.startPage, e.endPage]);
    for (const run of dirty) this.clean(fs, fs.name, run[0], run[1], cleaned);
    const out = this.collect(cleaned);
    this.evictIfNeeded();
    return out;
  }

  /** The dirty ranges of a file (whole pages, in order, adjacent ones joined). */
  dirtyRanges(file: string): FileRange[] {
    const fs = this.files.get(file);
    if (fs === undefined) return [];
    const runs: Run[] = [];
    for (const e of dirtyExtents(fs)) appendRun(runs, e.startPage, e.endPage);
    return runs.map((r) => toRange(file, r));
  }

  /** Whether any page touching the byte range is dirty. */
  isDirty(file: string, offsetBytes: number, lengthBytes: number): boolean {
    return this.someExtent(file, offsetBytes, lengthBytes, (e) => e.dirty);
  }

  /** Whether every page touching the byte range is cached. */
  isCached(file: string, offsetBytes: number, lengthBytes: number): boolean {
    checkRange(offsetBytes, lengthBytes);
    if (lengthBytes === 0) return true;
    const fs = this.files.get(file);
    if (fs === undefined) return false;
    const a = Math.floor(offsetBytes / PAGE_SIZE_BYTES);
    const b = Math.ceil((offsetBytes + lengthBytes) / PAGE_SIZE_BYTES);
    return this.gaps(fs, a, b).length === 0;
  }

  /** A snapshot of a file's extents, in order. */
  extents(file: string): ExtentView[] {
    const fs = this.files.get(file);
    if (fs === undefined) return [];
    return live(fs).map((e) => ({
      offsetBytes: e.startPage * PAGE_SIZE_BYTES,
      lengthBytes: (e.endPage - e.startPage) * PAGE_SIZE_BYTES,
      dirty: e.dirty,
      lastUseUs: e.lastUseUs,
      dirtySinceUs: e.dirty ? e.dirtySinceUs : null,
    }));
  }

  /** Cached file names, sorted. */
  fileNames(): string[] {
    return [...this.files.keys()].filter((f) => live(this.files.get(f)!).length > 0).sort();
  }

  /**
   * Power loss: every page is dropped. Returns the dirty ranges that were lost (by file name, then
   * offset); the counters survive (they describe the run, not the memory).
   */
  powerLoss(): FileRange[] {
    const lost = new Map<string, Run[]>();
    for (const [name, fs] of this.files) {
      const runs: Run[] = [];
      for (const e of live(fs)) {
        if (e.dirty) appendRun(runs, e.startPage, e.endPage);
        e.alive = false;
      }
      if (runs.length > 0) lost.set(name, runs);
    }
    this.st.lostDirtyBytes += this.dirtyPages * PAGE_SIZE_BYTES;
    this.files.clear();
    this.heap = [];
    this.extentTotal = 0;
    this.cachedPages = 0;
    this.dirtyPages = 0;
    return this.collect(lost);
  }

  /** The file was deleted: its pages go, dirty ones without being written. */
  dropFile(file: string): void {
    const fs = this.files.get(file);
    if (fs === undefined) return;
    const list = live(fs);
    for (const e of list) {
      const pages = e.endPage - e.startPage;
      this.cachedPages -= pages;
      if (e.dirty) this.dirtyPages -= pages;
      e.alive = false;
    }
    this.extentTotal -= list.length;
    this.files.delete(file);
  }

  /**
   * Checks every structural invariant (sorted, disjoint, merged extents; counters equal to the
   * sums; every clean extent findable by eviction). O(extents): for tests, not the hot path.
   */
  checkInvariants(): void {
    const findable = new Set<Extent>();
    for (const h of this.heap) if (isValid(h)) findable.add(h.ext);
    for (let i = 1; i < this.heap.length; i++) {
      assert(compareEntries(this.heap[(i - 1) >> 1]!, this.heap[i]!) <= 0, "LRU heap out of order");
    }
    let cached = 0;
    let dirty = 0;
    let count = 0;
    for (const [name, fs] of this.files) {
      let prev: Extent | undefined;
      let fileDirty = 0;
      for (const e of fs.extents.slice(fs.head)) {
        assert(e.alive && e.file === name, `extent of ${name} is dead or misfiled`);
        assert(e.startPage < e.endPage, `empty extent in ${name}`);
        assert(e.dirty === e.dirtySinceUs >= 0, `dirtySince out of step in ${name}`);
        if (prev !== undefined) {
          assert(prev.endPage <= e.startPage, `overlapping extents in ${name}`);
          assert(!mergeable(prev, e), `unmerged neighbours in ${name} at page ${e.startPage}`);
        }
        if (!e.dirty) assert(findable.has(e), `clean extent of ${name} not in the LRU heap`);
        if (e.dirty) {
          assert(e.startPage >= fs.dirtyFromPage, `dirty extent of ${name} below dirtyFromPage`);
          fileDirty += e.endPage - e.startPage;
        }
        cached += e.endPage - e.startPage;
        if (e.dirty) dirty += e.endPage - e.startPage;
        count++;
        prev = e;
      }
      assert(
        fileDirty === fs.dirtyPages,
        `dirty pages of ${name}: ${fs.dirtyPages} ≠ ${fileDirty}`,
      );
    }
    assert(cached === this.cachedPages, `cachedPages ${this.cachedPages} ≠ ${cached}`);
    assert(dirty === this.dirtyPages, `dirtyPages ${this.dirtyPages} ≠ ${dirty}`);
    assert(count === this.extentTotal, `extent count ${this.extentTotal} ≠ ${count}`);
    assert(
      this.cachedPages <= this.budgetPages || this.cachedPages === this.dirtyPages,
      "over budget while clean pages remain",
    );
  }

  // ---- extent list operations -------------------------------------------------------------

  private checkTime(nowUs: number): void {
    assertSafeInt(nowUs, "page cache time");
    assert(nowUs >= this.lastNowUs, () => `page cache: time went back to ${nowUs}`);
    this.lastNowUs = nowUs;
  }

  private fileState(file: string): FileState {
    let fs = this.files.get(file);
    if (fs === undefined) {
      fs = {
        extents: [],
        head: 0,
        dirtyPages: 0,
        dirtyFromPage: NO_DIRTY,
        lastReadEndPage: -1,
        name: file,
      };
      this.files.set(file, fs);
    }
    return fs;
  }

  /** Makes `page` an extent boundary if it falls strictly inside one. */
  private splitAt(fs: FileState, page: number): void {
    const list = fs.extents;
    const i = firstEndingAfter(fs, page);
    const e = list[i];
    if (e === undefined || e.startPage >= page) return;
    const right: Extent = { ...e, startPage: page };
    e.endPage = page;
    list.splice(i + 1, 0, right);
    this.extentTotal++;
    // The left part keeps its key, so its heap entry stays valid; the right part is new.
    if (!right.dirty) this.pushHeap(right);
  }

  /** Index range [lo, hi) of the extents inside [a, b); call after splitAt(a) and splitAt(b). */
  private within(fs: FileState, a: number, b: number): [number, number] {
    const list = fs.extents;
    const lo = firstEndingAfter(fs, a);
    let hi = lo;
    while (hi < list.length && list[hi]!.startPage < b) hi++;
    return [lo, hi];
  }

  /** Uncached page runs in [a, b), without changing anything. */
  private gaps(fs: FileState, a: number, b: number): Run[] {
    const runs: Run[] = [];
    const list = fs.extents;
    let cursor = a;
    for (let i = firstEndingAfter(fs, a); i < list.length && cursor < b; i++) {
      const e = list[i]!;
      if (e.startPage >= b) break;
      if (e.startPage > cursor) runs.push([cursor, e.startPage]);
      cursor = Math.max(cursor, e.endPage);
    }
    if (cursor < b) runs.push([cursor, b]);
    return runs;
  }

  /**
   * Makes [a, b) cached and most recently used: missing pages are added, clean (fill) or dirty
   * (write); existing pages are touched, and a write dirties them. A fill leaves dirty pages
   * dirty.
   */
  private paint(
    fs: FileState,
    file: string,
    a: number,
    b: number,
    nowUs: number,
    dirty: boolean,
  ): void {
    this.splitAt(fs, a);
    this.splitAt(fs, b);
    const [lo, hi] = this.within(fs, a, b);
    const list = fs.extents;
    const segment: Extent[] = [];
    let cursor = a;
    if (dirty) fs.dirtyFromPage = Math.min(fs.dirtyFromPage, a);
    for (let i = lo; i < hi; i++) {
      const e = list[i]!;
      if (e.startPage > cursor)
        segment.push(this.newExtent(fs, file, cursor, e.startPage, nowUs, dirty));
      if (dirty && !e.dirty) {
        e.dirty = true;
        e.dirtySinceUs = nowUs;
        this.addDirty(fs, e.endPage - e.startPage);
      }
      // A fill leaves dirty pages as they are: they are newer than what the disk returned.
      if (dirty || !e.dirty) this.touch(e, nowUs);
      segment.push(e);
      cursor = e.endPage;
    }
    if (cursor < b) segment.push(this.newExtent(fs, file, cursor, b, nowUs, dirty));
    if (segment.length !== hi - lo) replaceSlice(fs, lo, hi - lo, segment);
    this.mergeAround(fs, lo, lo + segment.length);
  }

  private newExtent(
    fs: FileState,
    file: string,
    start: number,
    end: number,
    nowUs: number,
    dirty: boolean,
  ): Extent {
    const e: Extent = {
      file,
      startPage: start,
      endPage: end,
      dirty,
      lastUseUs: nowUs,
      dirtySinceUs: dirty ? nowUs : -1,
      alive: true,
    };
    this.extentTotal++;
    this.cachedPages += end - start;
    if (dirty) this.addDirty(fs, end - start);
    else this.pushHeap(e);
    return e;
  }

  /** Counts pages that became dirty (negative: cleaned), globally and per file. */
  private addDirty(fs: FileState, pages: number): void {
    this.dirtyPages += pages;
    fs.dirtyPages += pages;
    if (fs.dirtyPages === 0) fs.dirtyFromPage = NO_DIRTY;
  }

  /** Cleans the dirty pages in [a, b) and records them in `cleaned`. */
  private clean(
    fs: FileState,
    file: string,
    a: number,
    b: number,
    cleaned: Map<string, Run[]>,
  ): void {
    this.splitAt(fs, a);
    this.splitAt(fs, b);
    const [lo, hi] = this.within(fs, a, b);
    let runs = cleaned.get(file);
    if (runs === undefined) {
      runs = [];
      cleaned.set(file, runs);
    }
    for (let i = lo; i < hi; i++) {
      const e = fs.extents[i]!;
      if (!e.dirty) continue;
      const pages = e.endPage - e.startPage;
      e.dirty = false;
      e.dirtySinceUs = -1;
      this.addDirty(fs, -pages);
      this.st.bytesWrittenBack += pages * PAGE_SIZE_BYTES;
      this.pushHeap(e);
      runs.push([e.startPage, e.endPage]);
    }
    this.mergeAround(fs, lo, hi);
  }

  /** Marks an extent most recently used. */
  private touch(e: Extent, nowUs: number): void {
    if (e.lastUseUs === nowUs) return;
    e.lastUseUs = nowUs;
    if (!e.dirty) this.pushHeap(e);
  }

  /** Merges equal-state neighbours among the extents [lo − 1, hi] (the changed ones and theirs). */
  private mergeAround(fs: FileState, lo: number, hi: number): void {
    const list = fs.extents;
    const start = Math.max(fs.head, lo - 1);
    const end = Math.min(list.length, hi + 1);
    const kept: Extent[] = [];
    for (let i = start; i < end; i++) {
      const e = list[i]!;
      const prev = kept[kept.length - 1];
      if (prev !== undefined && mergeable(prev, e)) {
        // The left extent grows; its key (lastUse, file, start) is unchanged.
        prev.endPage = e.endPage;
        e.alive = false;
        this.extentTotal--;
      } else {
        kept.push(e);
      }
    }
    if (kept.length !== end - start) replaceSlice(fs, start, end - start, kept);
  }

  // ---- eviction ----------------------------------------------------------------------------

  /** Drops least recently used clean pages until the cache fits its memory (or only dirty remain). */
  private evictIfNeeded(): void {
    if (this.cachedPages <= this.budgetPages) {
      this.sweepHeap();
      return;
    }
    // Per file, the first and last start page of the extents evicted whole: they are removed
    // from the list in one splice afterwards (usually a few at its front, the oldest data).
    const evictedSpan = new Map<string, Run>();
    while (this.cachedPages > this.budgetPages) {
      const entry = this.popValid();
      if (entry === undefined) break; // everything left is dirty
      const e = entry.ext;
      const pages = Math.min(e.endPage - e.startPage, this.cachedPages - this.budgetPages);
      this.cachedPages -= pages;
      this.st.evictedBytes += pages * PAGE_SIZE_BYTES;
      if (pages === e.endPage - e.startPage) {
        e.alive = false;
        this.extentTotal--;
        const span = evictedSpan.get(e.file);
        if (span === undefined) evictedSpan.set(e.file, [e.startPage, e.startPage]);
        else {
          span[0] = Math.min(span[0], e.startPage);
          span[1] = Math.max(span[1], e.startPage);
        }
      } else {
        // Evict the front of the extent; the rest keeps its last use and is next in line.
        e.startPage += pages;
        this.pushHeap(e);
      }
    }
    for (const [file, span] of evictedSpan) {
      // Dead extents keep their pages, so the list is still sorted and searchable.
      const fs = this.files.get(file)!;
      const lo = firstEndingAfter(fs, span[0]);
      const hi = firstEndingAfter(fs, span[1]) + 1;
      const kept = fs.extents.slice(lo, hi).filter((x) => x.alive);
      if (lo === fs.head && kept.length === 0) {
        fs.head = hi;
        if (fs.head > HEAD_COMPACT_MIN && 2 * fs.head > fs.extents.length) live(fs);
      } else {
        replaceSlice(fs, lo, hi - lo, kept);
      }
    }
    this.sweepHeap();
  }

  private pushHeap(e: Extent): void {
    heapPush(this.heap, { ext: e, lastUseUs: e.lastUseUs, startPage: e.startPage });
  }

  /**
   * Sweeps stale heap entries when they outnumber live extents. Called only at the end of an
   * operation, when every extent is in its file's list (a rebuild mid-operation would miss the
   * ones being built).
   */
  private sweepHeap(): void {
    if (this.heap.length > 2 * this.extentTotal + HEAP_SLACK_ENTRIES) this.rebuildHeap();
  }

  private popValid(): HeapEntry | undefined {
    for (;;) {
      const top = heapPop(this.heap);
      if (top === undefined || isValid(top)) return top;
    }
  }

  /** Drops stale entries: one entry per live clean extent. */
  private rebuildHeap(): void {
    const entries: HeapEntry[] = [];
    for (const fs of this.files.values()) {
      for (const e of live(fs)) {
        if (e.alive && !e.dirty)
          entries.push({ ext: e, lastUseUs: e.lastUseUs, startPage: e.startPage });
      }
    }
    // Keys are unique (file, start), so the sorted array is a valid heap in a defined order.
    entries.sort(compareEntries);
    this.heap = entries;
  }

  private someExtent(
    file: string,
    offsetBytes: number,
    lengthBytes: number,
    pred: (e: Extent) => boolean,
  ): boolean {
    checkRange(offsetBytes, lengthBytes);
    const fs = this.files.get(file);
    if (fs === undefined || lengthBytes === 0) return false;
    const a = Math.floor(offsetBytes / PAGE_SIZE_BYTES);
    const b = Math.ceil((offsetBytes + lengthBytes) / PAGE_SIZE_BYTES);
    const list = fs.extents;
    for (let i = firstEndingAfter(fs, a); i < list.length && list[i]!.startPage < b; i++) {
      if (pred(list[i]!)) return true;
    }
    return false;
  }

  /** Sorted, joined ranges from per-file page runs. */
  private collect(byFile: Map<string, Run[]>): FileRange[] {
    const out: FileRange[] = [];
    for (const name of [...byFile.keys()].sort()) {
      const runs = byFile
        .get(name)!
        .slice()
        .sort((x, y) => x[0] - y[0]);
      const joined: Run[] = [];
      for (const r of runs) appendRun(joined, r[0], r[1]);
      for (const r of joined) out.push(toRange(name, r));
    }
    return out;
  }
}

// ---- helpers -------------------------------------------------------------------------------

function checkRange(offsetBytes: number, lengthBytes: number): void {
  assertSafeInt(offsetBytes, "page cache offset");
  assertSafeInt(lengthBytes, "page cache length");
  assert(offsetBytes >= 0 && lengthBytes >= 0, "page cache range must not be negative");
  assertSafeInt(offsetBytes + lengthBytes, "page cache range end");
}

/**
 * The file's dirty extents, in order: only the part of the list from dirtyFromPage on is scanned
 * (for a log, the recent tail), so fsync and writeback do not walk the whole file.
 */
function dirtyExtents(fs: FileState): Extent[] {
  if (fs.dirtyPages === 0) return [];
  const out: Extent[] = [];
  const list = fs.extents;
  for (let i = firstEndingAfter(fs, fs.dirtyFromPage); i < list.length; i++) {
    if (list[i]!.dirty) out.push(list[i]!);
  }
  return out;
}

/** The file's live extents, dropping the dead prefix first (O(n); for scans, not hot paths). */
function live(fs: FileState): Extent[] {
  if (fs.head > 0) {
    fs.extents = fs.extents.slice(fs.head);
    fs.head = 0;
  }
  return fs.extents;
}

/** Index of the first live extent whose end is after `page` (binary search). */
function firstEndingAfter(fs: FileState, page: number): number {
  const list = fs.extents;
  let lo = fs.head;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.endPage > page) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function mergeable(x: Extent, y: Extent): boolean {
  return (
    x.endPage === y.startPage &&
    x.dirty === y.dirty &&
    x.lastUseUs === y.lastUseUs &&
    x.dirtySinceUs === y.dirtySinceUs
  );
}

/** Bytes of [startPage, endPage) that fall inside [fromBytes, toBytes). */
function overlapBytes(
  startPage: number,
  endPage: number,
  fromBytes: number,
  toBytes: number,
): number {
  const lo = Math.max(startPage * PAGE_SIZE_BYTES, fromBytes);
  const hi = Math.min(endPage * PAGE_SIZE_BYTES, toBytes);
  return hi > lo ? hi - lo : 0;
}

function appendRun(runs: Run[], start: number, end: number): void {
  const last = runs[runs.length - 1];
  if (last !== undefined && last[1] === start) last[1] = end;
  else runs.push([start, end]);
}

function toRange(file: string, run: Run): FileRange {
  return {
    file,
    offsetBytes: run[0] * PAGE_SIZE_BYTES,
    lengthBytes: (run[1] - run[0]) * PAGE_SIZE_BYTES,
  };
}

/** Replaces `count` extents at `start`; avoids spreading a huge array into splice's arguments. */
function replaceSlice(fs: FileState, start: number, count: number, items: Extent[]): void {
  if (items.length <= 1024) {
    fs.extents.splice(start, count, ...items);
  } else {
    fs.extents = fs.extents.slice(0, start).concat(items, fs.extents.slice(start + count));
  }
}

function compareStrings(x: string, y: string): number {
  return x < y ? -1 : x > y ? 1 : 0;
}

function isValid(h: HeapEntry): boolean {
  const e = h.ext;
  return e.alive && !e.dirty && e.lastUseUs === h.lastUseUs && e.startPage === h.startPage;
}

/** LRU order, ties by file name then offset. */
function compareEntries(x: HeapEntry, y: HeapEntry): number {
  if (x.lastUseUs !== y.lastUseUs) return x.lastUseUs - y.lastUseUs;
  if (x.ext.file !== y.ext.file) return compareStrings(x.ext.file, y.ext.file);
  return x.startPage - y.startPage;
}

function heapPush(heap: HeapEntry[], item: HeapEntry): void {
  heap.push(item);
  let i = heap.length - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (compareEntries(heap[parent]!, item) <= 0) break;
    heap[i] = heap[parent]!;
    i = parent;
  }
  heap[i] = item;
}

function heapPop(heap: HeapEntry[]): HeapEntry | undefined {
  const top = heap[0];
  const last = heap.pop();
  if (top === undefined || last === undefined || heap.length === 0) return top;
  let i = 0;
  const n = heap.length;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= n) break;
    const r = l + 1;
    const child = r < n && compareEntries(heap[r]!, heap[l]!) < 0 ? r : l;
    if (compareEntries(heap[child]!, last) >= 0) break;
    heap[i] = heap[child]!;
    i = child;
  }
  heap[i] = last;
  return top;
}
