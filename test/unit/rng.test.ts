/**
 * Named RNG streams: reproducible per (seed, name), independent of each other, saved and restored
 * exactly, and the distributions' statistics, with fixed seeds so every run draws the same numbers.
 */
import { describe, expect, it } from "vitest";
import { SimAssertionError } from "../../sim/engine/assert.ts";
import { RngStream, RngStreams } from "../../sim/engine/rng.ts";

function draws(stream: RngStream, count: number): number[] {
  const result: number[] = [];
  for (let i = 0; i < count; i++) result.push(stream.next());
  return result;
}

function mean(values: readonly number[]): number {
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

function stddev(values: readonly number[]): number {
  const m = mean(values);
  let sum = 0;
  for (const v of values) sum += (v - m) * (v - m);
  return Math.sqrt(sum / (values.length - 1));
}

describe("rng: streams", () => {
  it("rng: same seed and name draw the same sequence", () => {
    const a = draws(new RngStream(42, "network"), 1000);
    const b = draws(new RngStreams(42).stream("network"), 1000);
    expect(b).toEqual(a);
  });

  it("rng: seed 42 and seed '42' give the same streams (a CLI argument is text)", () => {
    expect(draws(new RngStream("42", "disk"), 100)).toEqual(draws(new RngStream(42, "disk"), 100));
  });

  it("rng: different names or seeds draw different sequences", () => {
    const base = draws(new RngStream(42, "network"), 100);
    expect(draws(new RngStream(42, "disk"), 100)).not.toEqual(base);
    expect(draws(new RngStream(43, "network"), 100)).not.toEqual(base);
    expect(draws(new RngStream("seed-a", "network"), 100)).not.toEqual(base);
  });

  it("rng: names 'ab' and 'abab' do not collide (the pitfall of repeating ARC4 keys)", () => {
    const ab = draws(new RngStream(1, "ab"), 100);
    expect(draws(new RngStream(1, "abab"), 100)).not.toEqual(ab);
    // Nor do seed and name trade characters across the separator.
    expect(draws(new RngStream("1a", "b"), 100)).not.toEqual(draws(new RngStream("1", "ab"), 100));
  });

  it("rng: adding a stream and drawing from it does not change another stream's draws", () => {
    const alone = new RngStreams(7);
    const expected = draws(alone.stream("producer-1"), 500);

    const crowded = new RngStreams(7);
    crowded.stream("network").next();
    const interleaved: number[] = [];
    for (let i = 0; i < 500; i++) {
      crowded.stream("disk").intBetween(0, 9);
      interleaved.push(crowded.stream("producer-1").next());
      crowded.stream(`broker-${i % 3}`).exponential(5);
    }
    expect(interleaved).toEqual(expected);
  });

  it("rng: stream(name) returns the same object on every call", () => {
    const streams = new RngStreams(1);
    const first = streams.stream("network");
    expect(streams.stream("network")).toBe(first);
    expect(first.name).toBe("network");
    expect(streams.seed).toBe(1);
  });

  it("rng: next draws in [0, 1) and spreads over the whole interval", () => {
    const values = draws(new RngStream(3, "uniform"), 100_000);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
    // Uniform on [0, 1): mean 1/2, and each tenth holds about 10% (10,000 ± 300 is 3 sigma).
    expect(Math.abs(mean(values) - 0.5)).toBeLessThan(0.005);
    const tenths = new Array<number>(10).fill(0);
    for (const v of values) tenths[Math.floor(v * 10)]!++;
    for (const count of tenths) expect(Math.abs(count - 10_000)).toBeLessThan(400);
  });

  it("rng: rejects seeds and names that would make keys ambiguous", () => {
    expect(() => new RngStream(1, "")).toThrow(SimAssertionError);
    expect(() => new RngStream(1, "a\u0000b")).toThrow(SimAssertionError);
    expect(() => new RngStream("x\u0001", "a")).toThrow(SimAssertionError);
    expect(() => new RngStream(1.5, "a")).toThrow(SimAssertionError);
    expect(() => new RngStreams(Number.NaN)).toThrow(SimAssertionError);
    expect(() => new RngStreams(1).stream("__proto__")).toThrow(SimAssertionError);
  });
});

describe("rng: save and restore", () => {
  it("rng: a restored stream replays the exact continuation, via JSON and structuredClone too", () => {
    const stream = new RngStream(11, "replication");
    draws(stream, 37);
    const state = stream.saveState();
    const continuation = draws(stream, 200);

    expect(draws(new RngStream(11, "replication", state), 200)).toEqual(continuation);
    const viaJson = JSON.parse(JSON.stringify(state)) as unknown;
    expect(draws(new RngStream(11, "replication", viaJson), 200)).toEqual(continuation);
    expect(draws(new RngStream(11, "replication", structuredClone(state)), 200)).toEqual(
      continuation,
    );
    stream.restoreState(state);
    expect(draws(stream, 200)).toEqual(continuation);
  });

  it("rng: the saved state is a copy: drawing afterwards does not change it", () => {
    const stream = new RngStream(11, "copy");
    const state = stream.saveState();
    const text = JSON.stringify(state);
    draws(stream, 10);
    expect(JSON.stringify(state)).toBe(text);
  });

  it("rng: RngStreams restores every stream, keeps stream objects, and resets newer ones", () => {
    const streams = new RngStreams("checkpoint");
    const network = streams.stream("network");
    const disk = streams.stream("disk");
    draws(network, 5);
    draws(disk, 9);
    const saved = streams.saveState();
    expect(Object.keys(saved)).toEqual(["disk", "network"]); // sorted, not creation order

    const expectedNetwork = draws(network, 50);
    const expectedDisk = draws(disk, 50);
    // A stream first used after the checkpoint must restart from its seed on restore.
    const lateFresh = draws(new RngStream("checkpoint", "late"), 20);
    draws(streams.stream("late"), 20);

    for (const copy of [saved, JSON.parse(JSON.stringify(saved)), structuredClone(saved)]) {
      streams.restoreState(copy as Record<string, unknown>);
      expect(streams.stream("network")).toBe(network);
      expect(draws(network, 50)).toEqual(expectedNetwork);
      expect(draws(disk, 50)).toEqual(expectedDisk);
      expect(draws(streams.stream("late"), 20)).toEqual(lateFresh);
    }

    const fresh = new RngStreams("checkpoint");
    fresh.restoreState(saved);
    expect(draws(fresh.stream("disk"), 50)).toEqual(expectedDisk);
  });

  it("rng: a malformed saved state is refused before any stream changes", () => {
    const streams = new RngStreams(5);
    const network = streams.stream("network");
    const saved = streams.saveState();
    const expected = draws(network, 10);
    expect(() => streams.restoreState({ ...saved, disk: { c: 1, s0: "x", s1: 0, s2: 0 } })).toThrow(
      SimAssertionError,
    );
    expect(() => new RngStream(5, "x", null)).toThrow(SimAssertionError);
    // The failed restore left "network" where it stood: it continues past the expected draws.
    expect(draws(network, 10)).not.toEqual(expected);
  });
});

describe("rng: named draws", () => {
  it("rng: intBetween includes both bounds and covers every value", () => {
    const stream = new RngStream(21, "ints");
    const seen = new Map<number, number>();
    for (let i = 0; i < 10_000; i++) {
      const v = stream.intBetween(-3, 4);
      expect(Number.isInteger(v)).toBe(true);
      seen.set(v, (seen.get(v) ?? 0) + 1);
    }
    // 8 values, 1250 expected each; sqrt(1250 * 7/8) ≈ 33, so ±200 is six sigma.
    expect([...seen.keys()].sort((a, b) => a - b)).toEqual([-3, -2, -1, 0, 1, 2, 3, 4]);
    for (const count of seen.values()) expect(Math.abs(count - 1250)).toBeLessThan(200);
    expect(stream.intBetween(5, 5)).toBe(5);
    const wide = stream.intBetween(0, Number.MAX_SAFE_INTEGER);
    expect(Number.isSafeInteger(wide)).toBe(true);
  });

  it("rng: intBetween, chance and pick refuse invalid arguments", () => {
    const stream = new RngStream(21, "asserts");
    expect(() => stream.intBetween(2, 1)).toThrow(SimAssertionError);
    expect(() => stream.intBetween(0.5, 1)).toThrow(SimAssertionError);
    expect(() => stream.intBetween(-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)).toThrow(
      SimAssertionError,
    );
    expect(() => stream.chance(1.5)).toThrow(SimAssertionError);
    expect(() => stream.chance(-0.1)).toThrow(SimAssertionError);
    expect(() => stream.chance(Number.NaN)).toThrow(SimAssertionError);
    expect(() => stream.pick([])).toThrow(SimAssertionError);
    expect(() => stream.exponential(-1)).toThrow(SimAssertionError);
    expect(() => stream.normal(0, -1)).toThrow(SimAssertionError);
    expect(() => stream.zipf(0, 1)).toThrow(SimAssertionError);
    expect(() => stream.zipf(10, -1)).toThrow(SimAssertionError);
  });

  it("rng: chance(p) is never true at 0, always at 1, and about p of the time between", () => {
    const stream = new RngStream(22, "chance");
    let hits = 0;
    for (let i = 0; i < 1000; i++) {
      expect(stream.chance(0)).toBe(false);
      expect(stream.chance(1)).toBe(true);
    }
    for (let i = 0; i < 100_000; i++) if (stream.chance(0.3)) hits++;
    // Binomial(100000, 0.3): sd ≈ 145, so ±1000 is about seven sigma.
    expect(Math.abs(hits - 30_000)).toBeLessThan(1000);
  });

  it("rng: chance draws even at p = 0, so a changed probability does not shift later draws", () => {
    const a = new RngStream(23, "aligned");
    const b = new RngStream(23, "aligned");
    a.chance(0);
    b.chance(0.9);
    expect(a.next()).toBe(b.next());
  });

  it("rng: pick returns every element over many draws", () => {
    const stream = new RngStream(24, "pick");
    const items = ["a", "b", "c", "d"] as const;
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) seen.add(stream.pick(items));
    expect([...seen].sort()).toEqual(["a", "b", "c", "d"]);
  });

  it("rng: shuffle returns a new permutation and leaves the input alone", () => {
    const stream = new RngStream(25, "shuffle");
    const input = Object.freeze([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // Where element 1 lands, over 20,000 shuffles: uniform means 2,000 per position (sd ≈ 42).
    const landing = new Array<number>(10).fill(0);
    let changedOrder = 0;
    let notPermutations = 0;
    for (let i = 0; i < 20_000; i++) {
      const shuffled = stream.shuffle(input);
      if (shuffled === input) notPermutations++;
      const sorted = [...shuffled].sort((a, b) => a - b);
      if (sorted.length !== 10 || sorted.some((v, j) => v !== input[j])) notPermutations++;
      landing[shuffled.indexOf(1)]!++;
      if (shuffled.some((v, j) => v !== input[j])) changedOrder++;
    }
    expect(notPermutations).toBe(0);
    expect(input).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    for (const count of landing) expect(Math.abs(count - 2000)).toBeLessThan(250);
    expect(changedOrder).toBeGreaterThan(19_990); // 1/10! of shuffles keep the order
    expect(stream.shuffle([])).toEqual([]);
    expect(stream.shuffle(["only"])).toEqual(["only"]);
  });

  it("rng: exponential has the requested mean (within 3%) and is never negative", () => {
    const stream = new RngStream(26, "exponential");
    const values: number[] = [];
    for (let i = 0; i < 100_000; i++) values.push(stream.exponential(250));
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    // The mean of 100,000 draws has sd 250 / sqrt(100000) ≈ 0.8, far inside 3% (7.5).
    expect(Math.abs(mean(values) - 250) / 250).toBeLessThan(0.03);
    // An exponential's stddev equals its mean.
    expect(Math.abs(stddev(values) - 250) / 250).toBeLessThan(0.03);
    expect(stream.exponential(0)).toBe(0);
  });

  it("rng: normal has the requested mean and stddev (within 3%)", () => {
    const stream = new RngStream(27, "normal");
    const values: number[] = [];
    for (let i = 0; i < 100_000; i++) values.push(stream.normal(100, 15));
    expect(Math.abs(mean(values) - 100) / 100).toBeLessThan(0.03);
    expect(Math.abs(stddev(values) - 15) / 15).toBeLessThan(0.03);
    // About 68.3% within one stddev of the mean: 68,269 ± 147 (sd), so ±1000 is wide.
    const within = values.filter((v) => Math.abs(v - 100) <= 15).length;
    expect(Math.abs(within - 68_269)).toBeLessThan(1000);
    expect(stream.normal(5, 0)).toBe(5);
  });

  it("rng: zipf(10, 1) makes rank 0 most frequent and frequencies fall with rank", () => {
    const stream = new RngStream(28, "zipf");
    const draws = 200_000;
    const counts = new Array<number>(10).fill(0);
    for (let i = 0; i < draws; i++) counts[stream.zipf(10, 1)]!++;
    // P(k) = (1/(k+1)) / H10 with H10 = 1 + 1/2 + ... + 1/10 = 7381/2520 ≈ 2.928968.
    const h10 = 7381 / 2520;
    for (let k = 0; k < 10; k++) {
      const expected = draws / (k + 1) / h10; // from 68,283 (k = 0) down to 6,828 (k = 9)
      expect(Math.abs(counts[k]! - expected) / expected, `rank ${k}`).toBeLessThan(0.05);
    }
    for (let k = 1; k < 10; k++) expect(counts[k]!).toBeLessThan(counts[k - 1]!);
  });

  it("rng: zipf with s = 0 is uniform and zipf(1, s) is always rank 0", () => {
    const stream = new RngStream(29, "zipf-edges");
    const counts = new Array<number>(4).fill(0);
    for (let i = 0; i < 40_000; i++) counts[stream.zipf(4, 0)]!++;
    // 10,000 expected each, sd ≈ 87.
    for (const count of counts) expect(Math.abs(count - 10_000)).toBeLessThan(500);
    for (let i = 0; i < 100; i++) expect(stream.zipf(1, 2)).toBe(0);
    // A steep exponent: P(0) = 1 / (1 + 2^-30 + ...) — every draw is rank 0 in practice.
    for (let i = 0; i < 100; i++) expect(stream.zipf(1000, 30)).toBe(0);
  });

  it("rng: every named draw is reproducible from (seed, name)", () => {
    const run = (): unknown[] => {
      const s = new RngStream(30, "mixed");
      return [
        s.chance(0.5),
        s.intBetween(1, 6),
        s.pick(["x", "y", "z"]),
        s.shuffle([1, 2, 3, 4, 5]),
        s.exponential(10),
        s.normal(0, 1),
        s.zipf(100, 1.2),
      ];
    };
    expect(run()).toEqual(run());
  });
});
