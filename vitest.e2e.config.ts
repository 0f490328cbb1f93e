import { defineConfig } from "vitest/config";

// End-to-end tests need Debian's Chromium (/usr/bin/chromium, or CHROMIUM_PATH): npm run test:e2e.
export default defineConfig({
  test: {
    include: ["test/e2e/**/*.e2e.test.ts"],
    // The page is built once and served for every file (test/e2e/global-setup.ts).
    globalSetup: ["test/e2e/global-setup.ts"],
    pool: "forks",
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
});
