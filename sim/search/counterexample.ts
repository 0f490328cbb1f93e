/**
 * A shrunk counterexample told as a story, and kept as a scenario file.
 *
 * The story is the run's own report (the faults and the cluster's decisions: fencing, elections,
 * ISR changes, truncations, group states) on the searched topic, then what broke, in the checkers'
 * words (which offset was acknowledged when and what removed it). The file is the case's scenario
 * text with the story in its head, an `expect` that each broken checker does not hold (so
 * `kafkasim run FILE` exits 0 exactly when the violation reproduces), and one machine-readable
 * line, `# kafkasim-verdict: property=NAME broken=a,b`, for what an `expect` cannot state (the
 * liveness report, exceptions): the regression corpus replays it (../shared/fault-search.md keeps
 * a counterexample as a file plus its verdict, never as a stored traceHash).
 */
import { CHECKER_NAMES } from "../check/checkers/index.ts";
import type { StoryLine } from "../scenario/runner.ts";
import { describeCase, formatTime, TOPIC } from "./case.ts";
import type { CaseVerdict } from "./judge.ts";
import type { PropertyDef } from "./properties.ts";
import { scenarioText } from "./scenario-text.ts";

/** Story lines kept (the faults always; the cluster's reactions up to this many). */
export const MAX_STORY_EVENTS = 40;

const CHECKERS: ReadonlySet<string> = new Set(CHECKER_NAMES);

function relevant(line: StoryLine): boolean {
  if (line.kind === "fault") return true;
  if (line.kind !== "event") return false;
  // Internal topics (__consumer_offsets, __transaction_state) crowd out the story.
  return !line.text.startsWith("__");
}

/** "t=1.204 s broker 1 isolated", one per line: the faults and the cluster's reactions, then the verdict. */
export function storyOf(verdict: CaseVerdict): string[] {
  const out: string[] = [];
  const story = verdict.report?.story ?? [];
  let events = 0;
  let skipped = 0;
  for (const line of story) {
    if (!relevant(line)) continue;
    if (line.kind === "event" && events >= MAX_STORY_EVENTS) {
      skipped++;
      continue;
    }
    if (line.kind === "event") events++;
    out.push(`t=${formatTime(line.atUs)} ${line.text}`);
  }
  if (skipped > 0)
    out.push(`(${skipped} more events of the cluster; \`kafkasim run\` prints them all)`);
  for (const b of verdict.broken) out.push(`broken: ${b.what}: ${b.detail}`);
  return out;
}

export interface CounterexampleOptions {
  /** Keep a run that exposed a simulator bug, now fixed: the file then says the property holds. */
  readonly fixedBug?: string;
  /** A line about the file (why it is kept). */
  readonly note?: string;
}

export interface CounterexampleFile {
  readonly text: string;
  readonly story: readonly string[];
  /** Broken guarantees, in the verdict line's order. */
  readonly broken: readonly string[];
}

/** The scenario file of a counterexample. `foundBy` is the command that found it. */
export function counterexampleFile(
  property: PropertyDef,
  c: Parameters<typeof scenarioText>[0],
  verdict: CaseVerdict,
  foundBy: string,
  options: CounterexampleOptions = {},
): CounterexampleFile {
  const fixed = options.fixedBug !== undefined;
  const broken = fixed ? [] : [...new Set(verdict.broken.map((b) => b.what))];
  const story = storyOf(verdict);
  const wrap = (text: string): string[] => {
    // Comment lines stay under 100 columns for biome and for people.
    const words = text.split(" ");
    const lines: string[] = [];
    let line = "";
    for (const w of words) {
      if (line !== "" && line.length + 1 + w.length > 96) {
        lines.push(line);
        line = `  ${w}`;
      } else line = line === "" ? w : `${line} ${w}`;
    }
    if (line !== "") lines.push(line);
    return lines;
  };
  const header = [
    `kafkasim-verdict: property=${property.name} broken=${broken.join(",")}`,
    ...(fixed
      ? wrap(
          `A simulator bug the fault search found, kept so that it stays fixed: ${options.fixedBug} ` +
            `The property "${property.name}" (${property.summary}) must hold.`,
        )
      : [`Counterexample to "${property.name}" (${property.summary}).`]),
    ...(options.note === undefined ? [] : wrap(options.note)),
    `Found by: ${foundBy}`,
    fixed
      ? "Replay: kafkasim run FILE, or open it in the viz."
      : "Replay: kafkasim run FILE (exit 0 when the violation reproduces), or open it in the viz.",
    "",
    "The case:",
    ...describeCase(c).split("\n").flatMap(wrap),
    "",
    "The story:",
    ...story.flatMap(wrap),
  ];
  const text = scenarioText(c, {
    header,
    name: fixed
      ? `Fault search regression: ${property.name} holds`
      : `Fault search: ${property.name} broken (${broken.join(", ")})`,
    description: fixed
      ? `A run that once exposed a simulator bug (${options.fixedBug}); now ${property.name} holds.`
      : `A counterexample the fault search found and shrank: with these settings and faults, ` +
        `${broken.join(", ")} broke on topic ${TOPIC}. The head of the file tells the story.`,
    expectViolated: broken.filter((b) => CHECKERS.has(b)),
  });
  return { text, story, broken };
}

/** Reads the verdict line of a kept counterexample: the property and what must break. */
export function verdictLineOf(text: string): { property: string; broken: string[] } | undefined {
  const m = /^# kafkasim-verdict: property=(\S+) broken=(\S*)$/m.exec(text);
  if (m === null) return undefined;
  return { property: m[1]!, broken: m[2] === "" ? [] : m[2]!.split(",") };
}
