/** Parsing and printing virtual time for command-line options (`--until 12s`). */
import { parseDurationUs } from "../scenario/units.ts";
import { UsageError } from "./args.ts";

export { formatDurationUs } from "../scenario/units.ts";

export function parseDurationArg(option: string, raw: string): number {
  const parsed = parseDurationUs(raw);
  if (!parsed.ok) throw new UsageError(`${option}: ${parsed.message}`);
  return parsed.value;
}
