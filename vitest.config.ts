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
    testTimeout: 120_000,
  },
});
