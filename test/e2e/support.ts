// e2e: opens the page (built once by global-setup.ts) in headless Chromium with the flags this
// machine needs, collects page errors, and reaches the page's window.__kafkasim hook.
import { type Browser, chromium, type Page } from "playwright-core";
import { inject } from "vitest";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** The page's test hook, as the e2e tests use it. */
export interface Hook {
  scenario: string;
  seed: number;
  timeUs: number;
  durationUs: number;
  traceHash(): string;
  seek(us: number): void;
  play(): void;
  pause(): void;
}

export interface OpenPage {
  readonly browser: Browser;
  readonly page: Page;
  /** Uncaught errors and console errors of the page so far. */
  readonly errors: string[];
  readonly url: string;
  close(): Promise<void>;
}

/** Launches Chromium and opens the page with a clean localStorage, waiting for the hook. */
export async function openPage(
  viewport = { width: 1280, height: 800 },
  query = "",
): Promise<OpenPage> {
  const url = inject("vizUrl");
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
  const page = await browser.newPage({ viewport });
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  await page.goto(url);
  await page.evaluate(() => localStorage.clear());
  await page.goto(`${url}${query}`);
  await page.waitForFunction(() => "__kafkasim" in window, null, { timeout: 60_000 });
  return { browser, page, errors, url, close: () => browser.close() };
}

/** Seeks the page's run through its hook. */
export async function seek(page: Page, us: number): Promise<void> {
  await page.evaluate((t) => (window as unknown as { __kafkasim: Hook }).__kafkasim.seek(t), us);
}

/** The page's run: its time and traceHash now. */
export async function runState(page: Page): Promise<{ timeUs: number; traceHash: string }> {
  return page.evaluate(() => {
    const h = (window as unknown as { __kafkasim: Hook }).__kafkasim;
    return { timeUs: h.timeUs, traceHash: h.traceHash() };
  });
}
