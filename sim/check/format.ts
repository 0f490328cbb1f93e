/**
 * Words for the checkers' explanations: times as "2.013 s", partitions as "orders-0", offset
 * ranges, counts and capped lists. Pure string functions over integers, so an explanation is the
 * same text in Node and in the browser.
 *
 * Simplified: times are shown to the millisecond and truncated (a clock shows 2.013 s until
 * 2.014 s begins); the microseconds stay in the history for anyone who needs them.
 */
import { assert, assertSafeInt } from "../engine/assert.ts";
import { tpKey } from "../kafka/types.ts";

/** Virtual time in microseconds as seconds with three decimals: 2_013_456 → "2.013 s". */
export function formatTimeUs(us: number): string {
  assertSafeInt(us, "time");
  assert(us >= 0, () => `time must not be negative, got ${us}`);
  const ms = Math.floor(us / 1000);
  const seconds = Math.floor(ms / 1000);
  return `${seconds}.${String(ms % 1000).padStart(3, "0")} s`;
}

/** `orders-0`, the name Kafka gives a partition (and its directory). */
export function tpName(topic: string, partition: number): string {
  return tpKey(topic, partition);
}

/** "offset 41" for one offset, "offsets 41-45" for [41, 46). */
export function formatOffsets(from: number, toExclusive: number): string {
  assert(toExclusive > from, () => `empty offset range [${from}, ${toExclusive})`);
  return toExclusive === from + 1 ? `offset ${from}` : `offsets ${from}-${toExclusive - 1}`;
}

/** "1 record", "3 records". */
export function plural(n: number, singular: string, pluralForm = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : pluralForm}`;
}

/** Joins the first `max` items with "; " and says how many were left out. */
export function listFirst(items: readonly string[], max: number): string {
  const shown = items.slice(0, max).join("; ");
  const rest = items.length - max;
  return rest > 0 ? `${shown}; and ${rest} more` : shown;
}
