// e2e: viz: setup: in the built page (headless Chromium), the Setup panel's knobs edit the scenario
// text in the editor and re-open the run from 0 s; a refused value shows the loader's located
// message in the panel and leaves the run alone; a file opened with the upload button or dropped
// on the drop zone replaces the scenario, and a bad one is reported with file:line:column.
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Hook, type OpenPage, openPage } from "./support.ts";

let opened: OpenPage;
let page: Page;

beforeAll(async () => {
  opened = await openPage();
  page = opened.page;
  await page.selectOption("#picker", "group-scaling.yaml");
}, 180_000);

afterAll(async () => {
  await opened?.close();
});

const hook = () =>
  page.evaluate(() => {
    const h = (window as unknown as { __kafkasim: Hook }).__kafkasim;
    return { scenario: h.scenario, timeUs: h.timeUs };
  });
const panelError = () =>
  page.$eval('#panel-setup [data-setup="error"]', (e) =>
    (e as HTMLElement).hidden ? "" : (e.textContent ?? ""),
  );

describe("e2e: viz: setup", () => {
  it("e2e: viz: setup: a knob edits the editor's text and re-opens the run", async () => {
    await page.evaluate(() =>
      (window as unknown as { __kafkasim: Hook }).__kafkasim.seek(3_000_000),
    );
    await page.selectOption('#panel-setup [data-knob="version"]', "3.6");
    const after = await hook();
    expect(after.scenario).toContain('version: "3.6"');
    expect(after.timeUs).toBe(0);
    expect(await page.inputValue("#scenario")).toBe(after.scenario);
    expect(await page.inputValue('#panel-setup [data-knob="version"]')).toBe("3.6");
    await page.click('#panel-setup [data-group="billing"] [data-knob="add-consumer"]');
    expect((await hook()).scenario).toContain("id: consumer-5");
    expect(await panelError()).toBe("");
  });

  it("e2e: viz: setup: a refused value shows a located message and keeps the run", async () => {
    const before = (await hook()).scenario;
    await page.fill('#panel-setup [data-knob="brokers"]', "0");
    await page.press('#panel-setup [data-knob="brokers"]', "Enter");
    await page.locator('#panel-setup [data-knob="brokers"]').blur();
    // The edited bundled scenario keeps its file name in errors.
    expect(await panelError()).toMatch(
      /group-scaling\.yaml:\d+:\d+: cluster\.brokers: must be at least 1/,
    );
    expect((await hook()).scenario).toBe(before);
    expect(await page.inputValue('#panel-setup [data-knob="brokers"]')).toBe("3");
  });

  it("e2e: viz: setup: upload and drop open a file; a bad one is located", async () => {
    await page.setInputFiles('#panel-setup input[data-setup="file"]', {
      name: "bad.yaml",
      mimeType: "application/yaml",
      buffer: Buffer.from("version: 1\nname: bad\ncluster:\n  brokers: 0\n"),
    });
    await page.waitForFunction(
      () => !(document.querySelector('#panel-setup [data-setup="error"]') as HTMLElement).hidden,
    );
    expect(await panelError()).toMatch(/bad\.yaml:4:12: cluster\.brokers: /);
    const text =
      "version: 1\nname: dropped\ncluster:\n  brokers: 2\ntopics:\n  - name: t\n    partitions: 2\n    replication-factor: 2\n";
    await page.evaluate((t) => {
      const dt = new DataTransfer();
      dt.items.add(new File([t], "dropped.yaml"));
      const zone = document.querySelector('#panel-setup [data-setup="drop"]')!;
      zone.dispatchEvent(
        new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }),
      );
    }, text);
    await page.waitForFunction(
      (t) => (window as unknown as { __kafkasim: Hook }).__kafkasim.scenario === t,
      text,
    );
    expect(await panelError()).toBe("");
    expect(await page.inputValue('#panel-setup [data-knob="brokers"]')).toBe("2");
    expect(opened.errors).toEqual([]);
  });
});
