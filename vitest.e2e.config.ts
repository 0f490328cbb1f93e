import { defineConfig } from "vitest/config";

// End-to-end tests need Debian's Chromium (/usr/bin/chromium, or CHROMIUM_PATH): npm run test:e2e.
export default defineConfig({
  test: {
    include: ["test/e2e/**/*.e2e.test.ts"],
    pool: "forks",
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
});
