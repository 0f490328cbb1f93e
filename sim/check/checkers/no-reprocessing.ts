/**
 * no-reprocessing: no record is delivered to a group's members twice. At-least-once delivery shows
 * here: a member processes records, dies or loses its partitions before committing, and the next
 * owner starts again from the last committed offset.
 *
 * Only consumers in a group are judged (assign() consumers have no group to share records with).
 * A record is (partition, offset, origin when polls carry origins); a poll's span is [offset,
 * position after it), so a re-read of a slice that held only control records would count too.
 */
import { tpKey } from "../../kafka/types.ts";
import { formatOffsets, formatTimeUs, plural } from "../format.ts";
import type { CommitRecord, History, PollRecord } from "../history.ts";
import { sortedBy, type Verdict, ViolationList, verdict } from "./common.ts";
import { type Span, spansByOrigin } from "./deliveries.ts";

export function checkNoReprocessing(history: History): Verdict {
  const violations = new ViolationList();
  const byGroupTp = groupPolls(history.polls);
  const commits = commitsByGroupTp(history.commits);
  let redelivered = 0;
  for (const [key, polls] of byGroupTp) {
    const groupCommits = commits.get(key) ?? [];
    for (const spans of spansByOrigin(polls).values()) {
      let reach: Span | undefined;
      for (const s of spans) {
        if (reach !== undefined && s.start < reach.end) {
          const end = Math.min(s.end, reach.end);
          redelivered += end - s.start;
          violations.add({
            anomaly: "reprocessing",
            message: explain(s, reach, end, groupCommits),
            topic: s.poll.topic,
            partition: s.poll.partition,
            offset: s.start,
            ...(s.origin === null ? {} : { sendId: s.origin }),
            atUs: s.poll.atUs,
          });
        }
        if (reach === undefined || s.end > reach.end) reach = s;
      }
    }
  }
  return verdict(
    "no-reprocessing",
    `${plural(byGroupTp.size, "group partition")} judged; ${plural(redelivered, "offset")} delivered again`,
    violations,
    "repeated delivery",
    "repeated deliveries",
  );
}

/** Group polls by (group, partition), in time order; assign() consumers left out. */
export function groupPolls(polls: ReadonlyArray<PollRecord>): Map<string, PollRecord[]> {
  const out = new Map<string, PollRecord[]>();
  for (const p of sortedBy(polls, (a, b) => a.atUs - b.atUs)) {
    if (p.group === null) continue;
    const key = `${p.group}|${tpKey(p.topic, p.partition)}`;
    const list = out.get(key);
    if (list === undefined) out.set(key, [p]);
    else list.push(p);
  }
  return out;
}

/** Commits by (group, partition), in time order. */
export function commitsByGroupTp(
  commits: ReadonlyArray<CommitRecord>,
): Map<string, CommitRecord[]> {
  const out = new Map<string, CommitRecord[]>();
  for (const c of sortedBy(commits, (a, b) => a.atUs - b.atUs)) {
    const key = `${c.group}|${tpKey(c.topic, c.partition)}`;
    const list = out.get(key);
    if (list === undefined) out.set(key, [c]);
    else list.push(c);
  }
  return out;
}

function explain(s: Span, first: Span, end: number, commits: ReadonlyArray<CommitRecord>): string {
  const p = s.poll;
  const f = first.poll;
  const origin = s.origin === null ? "" : ` (${s.origin})`;
  let lastCommit: CommitRecord | undefined;
  for (const c of commits) {
    if (c.atUs > p.atUs) break;
    lastCommit = c;
  }
  const commit =
    lastCommit === undefined
      ? "the group had committed nothing on it before the second delivery"
      : `the group's last commit before it was offset ${lastCommit.offset} by ${lastCommit.consumer} at ${formatTimeUs(lastCommit.atUs)}`;
  return (
    `${formatOffsets(s.start, end)} of ${tpKey(p.topic, p.partition)}${origin} delivered to group ` +
    `${p.group} twice: to ${f.consumer} (generation ${f.generation}) at ${formatTimeUs(f.atUs)}, ` +
    `again to ${p.consumer} (generation ${p.generation}) at ${formatTimeUs(p.atUs)}; ${commit}`
  );
}
