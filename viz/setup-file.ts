/**
 * A scenario file opened in the Setup panel (upload or drag-and-drop): which files are taken
 * (.yaml, .yml, .json, at most the loader's size limit) and whether the text loads. Refusals are
 * one-line messages, or the loader's located issues (`file:line:column: path: message`); never a
 * stack trace. Pure: name and text in, verdict out; the panel reads the File.
 */
import { MAX_TEXT_LENGTH, parseScenarioText, type Scenario } from "../sim/scenario/load.ts";
import { describeError } from "./setup-edits.ts";

export const SCENARIO_EXTENSIONS = [".yaml", ".yml", ".json"] as const;

/** Why this file is not even read, or undefined when it may be. */
export function checkScenarioFile(name: string, sizeBytes: number): string | undefined {
  const lower = name.toLowerCase();
  if (!SCENARIO_EXTENSIONS.some((ext) => lower.endsWith(ext)))
    return `${name}: not a scenario file (expected ${SCENARIO_EXTENSIONS.join(", ")})`;
  // UTF-8 bytes are at least as many as UTF-16 code units / 3; refuse what cannot fit in any case.
  if (sizeBytes > MAX_TEXT_LENGTH * 3)
    return `${name}: the file is too large (${sizeBytes} bytes; a scenario is at most ${MAX_TEXT_LENGTH} characters)`;
  return undefined;
}

export type FileVerdict =
  | { readonly ok: true; readonly scenario: Scenario }
  | { readonly ok: false; readonly message: string };

/** Loads the text as the named file would load (errors carry that name). */
export function readScenarioFile(name: string, text: string): FileVerdict {
  try {
    return { ok: true, scenario: parseScenarioText(text, name) };
  } catch (error) {
    return { ok: false, message: describeError(error) };
  }
}
