/**
 * Scans every .ts file under sim/ for calls that read the outside world or differ between
 * JavaScript engines, and names the deterministic replacement for each. The scanner lives in
 * test/support/determinism-scan.ts; the last block here proves, on a sample text, that it finds
 * what it looks for (so a clean scan means something).
 */
import { readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  formatFinding,
  listTsFiles,
  scanSource,
  USE_DETMATH,
  USE_EVENT,
  USE_RNG,
} from "../support/determinism-scan.ts";

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SIM_DIR = join(REPO_ROOT, "sim");

describe("determinism: source scan of sim/", () => {
  it("finds the .ts files under sim/, including nested folders", () => {
    const files = listTsFiles(SIM_DIR).map((f) => relative(REPO_ROOT, f));
    // The engine is always there; without it the scan would pass by scanning nothing.
    expect(files).toContain(join("sim", "engine", "engine.ts"));
    expect(files.every((f) => f.endsWith(".ts"))).toBe(true);
  });

  it("no file under sim/ calls the clock, timers, global randomness or inexact Math", () => {
    const report: string[] = [];
    for (const file of listTsFiles(SIM_DIR)) {
      const name = relative(REPO_ROOT, file);
      for (const finding of scanSource(readFileSync(file, "utf8"))) {
        report.push(formatFinding(name, finding));
      }
    }
    // On failure the diff lists each file:line with the replacement to use.
    expect(report).toEqual([]);
  });
});

describe("determinism: the scanner itself", () => {
  const SAMPLE = [
    "const a = Math.random();", // 1
    "const b = Date.now();", // 2
    "const c = new Date();", // 3
    "const d = performance.now();", // 4
    "setTimeout(() => tick(), 10);", // 5
    "setInterval(poll, 100); queueMicrotask(f);", // 6
    "const id = crypto.randomUUID();", // 7
    "crypto.getRandomValues(buf);", // 8
    "const rng = seedrandom();", // 9
    "seedrandom('x', { global: true });", // 10
    "const e = Math.log(x) + Math.exp(y);", // 11
    "const f = Math.log2(x);", // 12
    "// Math.random() in a line comment is fine", // 13
    " * Date.now() in a block comment is fine", // 14
    "/* setTimeout in a one-line block comment */", // 15
    "const g = Math.sqrt(x) + Math.floor(y) + Math.max(1, 2);", // 16
    'const h = seedrandom(key + "|net|");', // 17
    "const now = engine.now;", // 18
    "const dates = new Dates();", // 19
    "const z = Math.logger;", // 20
  ].join("\n");

  it("reports each violation on its line, with the rule and the replacement", () => {
    const found = scanSource(SAMPLE).map((f) => `${f.line}:${f.rule}`);
    expect(found).toEqual([
      "1:Math.random",
      "2:Date.now",
      "3:new Date(",
      "4:performance.now",
      "5:timer",
      "6:timer",
      "7:crypto randomness",
      "8:crypto randomness",
      "9:unseeded seedrandom()",
      "10:seedrandom global: true",
      "11:inexact Math function",
      "12:inexact Math function",
    ]);
  });

  it("names the replacement in the formatted report", () => {
    const [first] = scanSource("x = Math.random();");
    expect(first).toBeDefined();
    expect(formatFinding("sim/infra/net.ts", first!)).toBe(
      `sim/infra/net.ts:1: Math.random -> ${USE_RNG}   | x = Math.random();`,
    );
    const [timer] = scanSource("setImmediate(f)");
    expect(timer?.replacement).toBe(USE_EVENT);
    const [math] = scanSource("y = Math.pow(2, 0.5)");
    expect(math?.replacement).toBe(USE_DETMATH);
  });

  it("finds nothing in clean code", () => {
    expect(scanSource("const t = engine.now + delayUs;\nconst r = Math.sqrt(2);")).toEqual([]);
  });
});
