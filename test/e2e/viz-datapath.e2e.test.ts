// e2e: the Data path panel in headless Chromium: on zero-copy-vs-tls the leader's fetch responses
// go by sendfile, the broker select switches to a follower, a seek back redraws the same SVG, and
// on page-cache-hot-vs-cold the catch-up's misses show on the disk; nothing throws. Screenshots of
// the panel go to /tmp for a look (not an assertion).
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Hook, type OpenPage, openPage, seek } from "./support.ts";

let opened: OpenPage;
let page: Page;

beforeAll(async () => {
  opened = await openPage();
  page = opened.page;
}, 180_000);

afterAll(async () => {
  await opened?.close();
});

async function pick(file: string): Promise<void> {
  await page.selectOption("#picker", file);
  await page.waitForFunction(
    () => (window as unknown as { __kafkasim: Hook }).__kafkasim.timeUs === 0,
  );
}

const text = async (sel: string) =>
  (await page.locator(`#panel-datapath ${sel}`).first().textContent()) ?? "";
const svg = () =>
  page.evaluate(() => document.querySelector("#panel-datapath svg.datapath")?.outerHTML ?? "");

describe("e2e: the data path panel", () => {
  it("zero-copy-vs-tls: sendfile from the leader; the select; a seek back", async () => {
    await pick("zero-copy-vs-tls.yaml");
    await seek(page, 9_000_000);
    await seek(page, 10_000_000);
    const options = await page.$$eval("#panel-datapath select.datapath-broker option", (os) =>
      os.map((o) => (o as HTMLOptionElement).value),
    );
    expect(options).toEqual(["1", "2", "3"]);
    expect(await page.getAttribute("#panel-datapath svg.datapath", "data-mode")).toBe("sendfile");
    expect(await text(".datapath-explanation")).toContain("the CPU copies nothing");
    expect(await text('g.arrow[data-key="sendfile:cache-nic"] text')).toMatch(/MiB/);
    await page.locator("#panel-datapath").screenshot({ path: "/tmp/viz-datapath-sendfile.png" });
    const at10 = await svg();
    await seek(page, 4_000_000);
    expect(await svg()).not.toBe(at10);
    await seek(page, 10_000_000);
    expect(await svg()).toBe(at10);
    await page.selectOption("#panel-datapath select.datapath-broker", "2");
    expect(await text(".datapath-explanation")).toContain("Broker 2 has sent no fetch response");
    expect(opened.errors).toEqual([]);
  });

  it("the same text with security.inter.broker.protocol=SSL: TLS through the JVM", async () => {
    const text0 = await page.inputValue("#scenario");
    expect(text0).toContain("security.inter.broker.protocol: PLAINTEXT");
    await page.fill(
      "#scenario",
      text0.replace(
        "security.inter.broker.protocol: PLAINTEXT",
        "security.inter.broker.protocol: SSL",
      ),
    );
    await page.click("#load");
    await page.waitForFunction(
      () => (window as unknown as { __kafkasim: Hook }).__kafkasim.timeUs === 0,
    );
    await seek(page, 9_000_000);
    await seek(page, 10_000_000);
    // The select kept broker 2 from the previous test: a follower (no fetch response), and TLS
    // is what its config implies.
    expect(await page.getAttribute("#panel-datapath svg.datapath", "data-mode")).toBe("tls");
    await page.selectOption("#panel-datapath select.datapath-broker", "1");
    expect(await page.getAttribute("#panel-datapath svg.datapath", "data-mode")).toBe("tls");
    expect(await text(".datapath-explanation")).toContain("Broker 1's fetch responses");
    expect(await text(".datapath-explanation")).toContain("security.inter.broker.protocol=SSL");
    expect(
      await page.locator('#panel-datapath g.arrow[data-group="tls"][data-kind="cpu"]').count(),
    ).toBe(2);
    await page.locator("#panel-datapath").screenshot({ path: "/tmp/viz-datapath-tls.png" });
    expect(opened.errors).toEqual([]);
  });

  it("page-cache-hot-vs-cold: the catch-up misses the cache and reads the disk", async () => {
    await pick("page-cache-hot-vs-cold.yaml");
    await seek(page, 35_000_000);
    await seek(page, 36_000_000);
    expect(await text(".datapath-cache")).toContain("missed and waited for the disk");
    expect(await text('g.box[data-key="disk"]')).toMatch(/reads: [1-9]\d* ops/);
    await page.locator("#panel-datapath").screenshot({ path: "/tmp/viz-datapath-cold.png" });
    expect(opened.errors).toEqual([]);
  });
});
