/**
 * "Did you mean ...?": the nearest valid key or value to what someone typed.
 *
 * Distance is Damerau-Levenshtein in its optimal-string-alignment form (insert, delete, substitute,
 * swap two neighbours; no substring edited twice), which covers the usual typos (`acks` → `ack`,
 * `crahs` → `crash`). Before counting edits, case and the separators `-`, `_`, `.` and spaces are
 * ignored, so `replicationFactor`, `replication_factor` and `Replication-Factor` all find
 * `replication-factor` at distance 0. The cutoff grows with the length of the input (one edit per
 * three characters, at least one, at most three) so that short words do not match everything.
 * Ties go to the earlier candidate: the caller's order decides, never chance.
 */

/** Inputs or candidates longer than this are not compared: nobody mistypes a paragraph. */
const MAX_COMPARED_LENGTH = 64;

/** Optimal-string-alignment distance between a and b (Damerau-Levenshtein without repeated edits). */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  // Three rolling rows: the transposition looks two rows back.
  let twoBack = new Array<number>(cols).fill(0);
  let previous = Array.from({ length: cols }, (_, j) => j);
  let current = new Array<number>(cols).fill(0);
  for (let i = 1; i < rows; i++) {
    current[0] = i;
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, twoBack[j - 2]! + 1);
      }
      current[j] = best;
    }
    [twoBack, previous, current] = [previous, current, twoBack];
  }
  return previous[cols - 1]!;
}

/** Case and separators do not count as differences. */
function fold(text: string): string {
  return text.toLowerCase().replace(/[-_.\s]/g, "");
}

/** The most edits accepted for an input of this length. */
export function maxEditsFor(input: string): number {
  return Math.min(3, Math.max(1, Math.floor(input.length / 3)));
}

/**
 * The candidate nearest to `input`, or undefined when none is close enough (or `input` is itself a
 * candidate, so there is nothing to suggest).
 */
export function nearest(input: string, candidates: readonly string[]): string | undefined {
  if (input.length === 0 || input.length > MAX_COMPARED_LENGTH) return undefined;
  if (candidates.includes(input)) return undefined;
  const folded = fold(input);
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    if (candidate.length > MAX_COMPARED_LENGTH) continue;
    const foldedCandidate = fold(candidate);
    const distance =
      foldedCandidate === folded ? 0 : editDistance(input.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= maxEditsFor(input) ? best : undefined;
}
