import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: [
      "test/unit/**/*.test.ts",
      "test/property/**/*.test.ts",
      "test/scenario/**/*.test.ts",
      "test/regressions/**/*.test.ts",
    ],
    pool: "forks",
    // Vitest's default is one worker fewer than the cores: one worker on CI's two. The tests are
    // CPU-bound simulations without wall-clock assertions, so both cores run test files.
    maxWorkers: 2,
    testTimeout: 120_000,
  },
});
