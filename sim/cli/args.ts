/**
 * A small, strict command-line parser: every option is declared, unknown options and missing values
 * are errors that name the option and suggest the nearest declared one. No silent defaults.
 */
import { nearest } from "../engine/suggest.ts";

export interface OptionSpec {
  /** Long name without the dashes, e.g. "seed". */
  readonly name: string;
  /** "value" options take an argument (`--seed 7` or `--seed=7`); flags take none. */
  readonly takes: "value" | "flag";
  readonly valueName?: string;
  readonly describe: string;
  /** May be given more than once (values are collected in order). */
  readonly repeat?: boolean;
}

export interface CommandSpec {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  readonly minPositionals: number;
  readonly maxPositionals: number;
  readonly options: readonly OptionSpec[];
}

export interface ParsedArgs {
  readonly positionals: string[];
  readonly values: Map<string, string[]>;
  readonly flags: Set<string>;
}

export class UsageError extends Error {
  override name = "UsageError";
}

export function parseArgs(spec: CommandSpec, argv: readonly string[]): ParsedArgs {
  const positionals: string[] = [];
  const values = new Map<string, string[]>();
  const flags = new Set<string>();
  const byName = new Map(spec.options.map((o) => [o.name, o]));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      positionals.push(arg);
      continue;
    }
    const body = arg.replace(/^--?/, "");
    const eq = body.indexOf("=");
    const name = eq >= 0 ? body.slice(0, eq) : body;
    const option = byName.get(name);
    if (option === undefined) {
      const guess = nearest(name, [...byName.keys()]);
      throw new UsageError(
        `unknown option '${arg}' for 'kafkasim ${spec.name}'` +
          (guess !== undefined ? `; did you mean '--${guess}'?` : "") +
          `\nusage: ${spec.usage}`,
      );
    }
    if (option.takes === "flag") {
      if (eq >= 0) throw new UsageError(`option '--${name}' takes no value`);
      flags.add(name);
      continue;
    }
    let value: string | undefined;
    if (eq >= 0) value = body.slice(eq + 1);
    else if (i + 1 < argv.length && !argv[i + 1]!.startsWith("--")) value = argv[++i];
    if (value === undefined || value === "") {
      throw new UsageError(`option '--${name}' needs a value (${option.valueName ?? "VALUE"})`);
    }
    const list = values.get(name) ?? [];
    if (list.length > 0 && !option.repeat) {
      throw new UsageError(`option '--${name}' given twice ('${list[0]}' and '${value}')`);
    }
    list.push(value);
    values.set(name, list);
  }
  if (positionals.length < spec.minPositionals) {
    throw new UsageError(`missing argument for 'kafkasim ${spec.name}'\nusage: ${spec.usage}`);
  }
  if (positionals.length > spec.maxPositionals) {
    throw new UsageError(
      `unexpected argument '${positionals[spec.maxPositionals]}' for 'kafkasim ${spec.name}'\nusage: ${spec.usage}`,
    );
  }
  return { positionals, values, flags };
}

/** Parses an integer option strictly ("7" yes; "7.5", "7x", "" no). */
export function intOption(
  args: ParsedArgs,
  name: string,
  min: number,
  max: number,
): number | undefined {
  const raw = args.values.get(name)?.[0];
  if (raw === undefined) return undefined;
  if (!/^-?\d+$/.test(raw)) throw new UsageError(`--${name} must be a whole number; got '${raw}'`);
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`--${name} must be between ${min} and ${max}; got ${raw}`);
  }
  return value;
}

export function helpText(spec: CommandSpec): string {
  const width = Math.max(
    ...spec.options.map((o) => o.name.length + (o.valueName?.length ?? 0) + 3),
    10,
  );
  const lines = spec.options.map((o) => {
    const left = `--${o.name}${o.takes === "value" ? ` ${o.valueName ?? "VALUE"}` : ""}`;
    return `  ${left.padEnd(width + 2)} ${o.describe}`;
  });
  return `${spec.summary}\n\nusage: ${spec.usage}\n${lines.length > 0 ? `\noptions:\n${lines.join("\n")}\n` : ""}`;
}
