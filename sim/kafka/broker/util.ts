/**
 * Small helpers shared by the broker's parts. Models nothing; no faults.
 */

/** Kafka's `Utils.abs` on a 32-bit int: Integer.MIN_VALUE maps to 0, not to itself. */
export function abs32(n: number): number {
  const v = n | 0;
  return v === -2147483648 ? 0 : Math.abs(v);
}

/** Ascending numeric sort without mutating the input. */
export function sortedIds(ids: Iterable<number>): number[] {
  return [...ids].sort((a, b) => a - b);
}
