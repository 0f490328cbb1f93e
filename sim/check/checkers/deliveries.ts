/**
 * What a group's members received, as offset spans: the shared ground of no-reprocessing and
 * no-skipped-records. A poll covers [offset, position after it); when it carries origins, it is cut
 * into one span per origin, so that a record is identified by (offset, origin) and an offset reused
 * after a truncation (another record at the same offset) is not mistaken for the same record.
 * Spans without an origin match only spans without one.
 */
import { type PollRecord, pollEnd } from "../history.ts";

export interface Span {
  readonly start: number;
  readonly end: number;
  /** The records' send id; null when the poll did not say. */
  readonly origin: string | null;
  readonly poll: PollRecord;
}

/** The spans of one poll. */
export function spansOf(p: PollRecord): Span[] {
  const end = pollEnd(p);
  const origins = p.origins ?? [];
  if (origins.length === 0) return [{ start: p.offset, end, origin: null, poll: p }];
  const spans: Span[] = [];
  const firstBase = origins[0]!.baseOffset;
  if (firstBase > p.offset)
    spans.push({ start: p.offset, end: Math.min(end, firstBase), origin: null, poll: p });
  for (let i = 0; i < origins.length; i++) {
    const o = origins[i]!;
    const next = origins[i + 1]?.baseOffset ?? end;
    const start = Math.max(p.offset, o.baseOffset);
    const stop = Math.min(end, next);
    if (stop > start) spans.push({ start, end: stop, origin: o.sendId, poll: p });
  }
  return spans;
}

/** Spans grouped by origin ("" for none), each group sorted by (start, poll time). */
export function spansByOrigin(polls: ReadonlyArray<PollRecord>): Map<string, Span[]> {
  const byOrigin = new Map<string, Span[]>();
  for (const p of polls) {
    for (const s of spansOf(p)) {
      const key = s.origin ?? "";
      const list = byOrigin.get(key);
      if (list === undefined) byOrigin.set(key, [s]);
      else list.push(s);
    }
  }
  for (const list of byOrigin.values()) {
    list.sort((a, b) => a.start - b.start || a.poll.atUs - b.poll.atUs);
  }
  return byOrigin;
}

/** Half-open [start, end) intervals. */
export type Interval = readonly [number, number];

/** Sorted spans merged into disjoint ascending intervals. */
export function mergeSpans(spans: ReadonlyArray<Span>): Interval[] {
  const out: [number, number][] = [];
  for (const s of spans) {
    const last = out[out.length - 1];
    if (last !== undefined && s.start <= last[1]) {
      if (s.end > last[1]) last[1] = s.end;
    } else {
      out.push([s.start, s.end]);
    }
  }
  return out;
}

/** The parts of [lo, hi) that no interval of `lists` covers (each list disjoint and ascending). */
export function uncovered(
  lists: ReadonlyArray<ReadonlyArray<Interval>>,
  lo: number,
  hi: number,
): Interval[] {
  const relevant: Interval[] = [];
  for (const list of lists) {
    for (let i = firstEndingAfter(list, lo); i < list.length; i++) {
      const iv = list[i]!;
      if (iv[0] >= hi) break;
      relevant.push(iv);
    }
  }
  relevant.sort((a, b) => a[0] - b[0]);
  const gaps: Interval[] = [];
  let at = lo;
  for (const [s, e] of relevant) {
    if (s > at) gaps.push([at, Math.min(s, hi)]);
    if (e > at) at = e;
    if (at >= hi) break;
  }
  if (at < hi) gaps.push([at, hi]);
  return gaps;
}

function firstEndingAfter(list: ReadonlyArray<Interval>, offset: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]![1] <= offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
