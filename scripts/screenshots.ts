/**
 * Screenshots of the viz for the docs: builds the page, serves it, opens it in headless Chromium
 * (as the e2e tests do) and saves PNGs into docs/images/: the cluster view at moments of a
 * failover, the clients panel during a stop-the-world rebalance, the message-sequence diagram,
 * the charts, and two stream processors' outputs after a crash. Run: npx tsx scripts/screenshots.ts (needs /usr/bin/chromium, or CHROMIUM_PATH).
 */
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { chromium } from "playwright-core";
import { build, preview } from "vite";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const OUT_DIR = `/tmp/kafkasim-screenshots-${process.pid}`;
const IMAGES = "docs/images";

/** Scenario, the element to capture (default the cluster view), then the moments (µs). */
const SHOTS: ReadonlyArray<{
  file: string;
  element?: string;
  /** A <details> to open first (the sequence diagram is drawn only while open). */
  open?: string;
  moments: ReadonlyArray<[number, string]>;
}> = [
  {
    file: "isr-broker-stops.yaml",
    moments: [
      [19_000_000, "viz-failover-1-before-crash"],
      [24_000_000, "viz-failover-2-crashed-still-in-isr"],
      [31_000_000, "viz-failover-3-fenced-new-leader"],
      [40_000_000, "viz-failover-4-restarted"],
    ],
  },
  {
    // consumer-3 joins at 20 s: eager members have revoked everything until 21.1 s.
    file: "rebalance-eager-vs-cooperative.yaml",
    element: "#panel-clients",
    moments: [
      [20_500_000, "viz-clients-rebalance-stop"],
      [25_000_000, "viz-clients-rebalanced"],
    ],
  },
  {
    // Producers at 1000 records/s and their leader's followers fetching, just before the crash.
    file: "acks-compared.yaml",
    element: "#panel-events details.sequence",
    open: "#panel-events details.sequence",
    moments: [[4_990_000, "viz-sequence-diagram"]],
  },
  {
    // Broker 1 rejoined at 20 s and truncated what acks=1 and acks=0 had been told was written.
    file: "acks-compared.yaml",
    moments: [[30_000_000, "viz-acks-compared-truncated"]],
  },
  {
    file: "acks-compared.yaml",
    element: "#panel-charts",
    moments: [[30_000_000, "viz-charts-acks-compared"]],
  },
  {
    // Both processors crashed at 8 s: at_least_once wrote its reread inputs twice, EOS once.
    file: "exactly-once-processing.yaml",
    moments: [[30_000_000, "viz-exactly-once-outputs"]],
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
      if (shot.open !== undefined)
        await page.evaluate((sel) => {
          const d = document.querySelector(sel);
          if (d instanceof HTMLDetailsElement) d.open = true;
        }, shot.open);
      for (const [us, name] of shot.moments) {
        await page.evaluate(
          (t) =>
            (window as unknown as { __kafkasim: { seek(us: number): void } }).__kafkasim.seek(t),
          us,
        );
        const path = `${IMAGES}/${name}.png`;
        await page.locator(shot.element ?? "#cluster").screenshot({ path });
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
