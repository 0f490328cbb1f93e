/**
 * The determinism source scanner: finds calls that read the outside world (clock, timers, global
 * or crypto randomness) or differ between JavaScript engines (Math.log, exp, pow, trigonometry),
 * line by line, and names the deterministic replacement for each. Used by
 * test/unit/determinism-scan.test.ts, which also proves on a sample text that it finds them.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";

export interface ScanRule {
  readonly name: string;
  readonly pattern: RegExp;
  readonly replacement: string;
}

export interface ScanFinding {
  readonly line: number;
  readonly rule: string;
  readonly text: string;
  readonly replacement: string;
}

export const USE_RNG = "draw from a named stream: engine.rng.stream(name)";
export const USE_NOW = "read virtual time: engine.now (integer microseconds)";
export const USE_EVENT =
  "schedule an engine event: engine.schedule(delayUs, target, kind, payload)";
export const USE_DETMATH =
  "use sim/engine/detmath.ts (detLog, detExp, detPow, ...), built from + - * / sqrt";

export const SCAN_RULES: readonly ScanRule[] = [
  { name: "Math.random", pattern: /\bMath\.random\b/, replacement: USE_RNG },
  { name: "Date.now", pattern: /\bDate\.now\b/, replacement: USE_NOW },
  { name: "new Date(", pattern: /\bnew\s+Date\s*\(/, replacement: USE_NOW },
  { name: "performance.now", pattern: /\bperformance\.now\b/, replacement: USE_NOW },
  {
    name: "timer",
    pattern: /\b(setTimeout|setInterval|setImmediate|queueMicrotask)\b/,
    replacement: USE_EVENT,
  },
  {
    name: "crypto randomness",
    pattern: /\b(getRandomValues|randomUUID|randomBytes)\b/,
    replacement: USE_RNG,
  },
  {
    name: "unseeded seedrandom()",
    pattern: /\bseedrandom\s*\(\s*\)/,
    replacement: `${USE_RNG} (seeded from (seed, name))`,
  },
  {
    name: "seedrandom global: true",
    pattern: /\bglobal\s*:\s*true\b/,
    replacement: `${USE_RNG}; never replace Math.random globally`,
  },
  {
    name: "inexact Math function",
    pattern:
      /\bMath\.(log|exp|pow|sin|cos|tan|atan|atan2|asin|acos|sinh|cosh|tanh|asinh|acosh|atanh|cbrt|hypot|expm1|log1p|log2|log10)\b/,
    replacement: USE_DETMATH,
  },
];

/** A line that is only comment: `// ...`, `/* ...`, or a ` * ...` continuation. */
function isCommentLine(line: string): boolean {
  const trimmed = line.trimStart();
  return trimmed.startsWith("//") || trimmed.startsWith("*") || trimmed.startsWith("/*");
}

/** Finds every forbidden call in a source text; line numbers start at 1. */
export function scanSource(text: string, rules: readonly ScanRule[] = SCAN_RULES): ScanFinding[] {
  const findings: ScanFinding[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (isCommentLine(line)) continue;
    for (const rule of rules) {
      if (rule.pattern.test(line)) {
        findings.push({
          line: i + 1,
          rule: rule.name,
          text: line.trim(),
          replacement: rule.replacement,
        });
      }
    }
  }
  return findings;
}

/** Every .ts file under a directory, recursively, in sorted order. */
export function listTsFiles(dir: string): string[] {
  const files: string[] = [];
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...listTsFiles(path));
    else if (entry.isFile() && entry.name.endsWith(".ts")) files.push(path);
  }
  return files;
}

/** One readable line per finding: `file:line: rule: replacement  (source)`. */
export function formatFinding(file: string, finding: ScanFinding): string {
  return `${file}:${finding.line}: ${finding.rule} -> ${finding.replacement}   | ${finding.text}`;
}
