/**
 * Screenshots of the viz for the docs: builds the page, serves it, opens it in headless Chromium
 * (as the e2e tests do) and saves PNGs of the cluster view at moments of a failover into
 * docs/images/. Run: npx tsx scripts/screenshots.ts (needs /usr/bin/chromium, or CHROMIUM_PATH).
 */
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { chromium } from "playwright-core";
import { build, preview } from "vite";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const OUT_DIR = `/tmp/kafkasim-screenshots-${process.pid}`;
const IMAGES = "docs/images";

/** Scenario, then the moments to capture (µs) with the file names. */
const SHOTS: ReadonlyArray<{ file: string; moments: ReadonlyArray<[number, string]> }> = [
  {
    file: "isr-broker-stops.yaml",
    moments: [
      [19_000_000, "viz-failover-1-before-crash"],
      [24_000_000, "viz-failover-2-crashed-still-in-isr"],
      [31_000_000, "viz-failover-3-fenced-new-leader"],
      [40_000_000, "viz-failover-4-restarted"],
    ],
  },
];

async function main(): Promise<void> {
  mkdirSync(IMAGES, { recursive: true });
  await build({ logLevel: "warn", build: { outDir: OUT_DIR, emptyOutDir: true } });
  const server = await preview({
    preview: { port: 0, strictPort: false },
    build: { outDir: OUT_DIR },
    logLevel: "warn",
  });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const port = (server.httpServer.address() as AddressInfo).port;
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForFunction(() => "__kafkasim" in window);
    for (const shot of SHOTS) {
      readFileSync(`scenarios/${shot.file}`, "utf8"); // fails early for a missing scenario
      await page.selectOption("#picker", shot.file);
      for (const [us, name] of shot.moments) {
        await page.evaluate(
          (t) =>
            (window as unknown as { __kafkasim: { seek(us: number): void } }).__kafkasim.seek(t),
          us,
        );
        const path = `${IMAGES}/${name}.png`;
        await page.locator("#cluster").screenshot({ path });
        console.log(`wrote ${path}`);
      }
    }
  } finally {
    await browser.close();
    await new Promise<void>((resolve) => server.httpServer.close(() => resolve()));
    rmSync(OUT_DIR, { recursive: true, force: true });
  }
}

await main();
