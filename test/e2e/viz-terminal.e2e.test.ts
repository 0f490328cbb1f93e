// e2e: viz: terminal: in the built page in headless Chromium, the Terminal panel answers a
// describe at once against the current moment, and a --create joins the scenario text as a `cli`
// action whose output appears once the forked run has it.
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Hook, type OpenPage, openPage } from "./support.ts";

let opened: OpenPage;
let page: Page;
let pageErrors: string[] = [];

beforeAll(async () => {
  opened = await openPage();
  page = opened.page;
  pageErrors = opened.errors;
}, 180_000);

afterAll(async () => {
  await opened?.close();
});

async function seek(us: number): Promise<void> {
  await page.evaluate((t) => (window as unknown as { __kafkasim: Hook }).__kafkasim.seek(t), us);
}

async function type(line: string): Promise<void> {
  await page.fill("#panel-terminal input.terminal-input", line);
  await page.press("#panel-terminal input.terminal-input", "Enter");
}

const stdout = () =>
  page.$$eval('#panel-terminal [data-stream="stdout"]', (s) =>
    s.map((e) => e.textContent).join(""),
  );

describe("e2e: viz: terminal", () => {
  it("e2e: viz: terminal: a describe answers now; a create joins the timeline and answers later", async () => {
    await page.selectOption("#picker", "quickstart.yaml");
    await seek(4_500_000);
    const before = await page.evaluate(() =>
      (window as unknown as { __kafkasim: Hook }).__kafkasim.traceHash(),
    );
    await type(
      "kafka-topics.sh --bootstrap-server localhost:9092 --describe --topic quickstart-events",
    );
    expect(await stdout()).toContain("Topic: quickstart-events\tTopicId:");
    expect(
      await page.evaluate(() => (window as unknown as { __kafkasim: Hook }).__kafkasim.traceHash()),
    ).toBe(before);

    const create = "kafka-topics.sh --bootstrap-server localhost:9092 --create --topic payments";
    await type(create);
    const scenario = await page.evaluate(
      () => (window as unknown as { __kafkasim: Hook }).__kafkasim.scenario,
    );
    expect(scenario).toContain(`cli: ${JSON.stringify(create)}`);
    expect(await stdout()).not.toContain("Created topic payments.");
    await seek(6_000_000);
    expect(await stdout()).toContain("Created topic payments.");
    // The command line is a text box: a history entry comes back with the arrow key.
    await page.press("#panel-terminal input.terminal-input", "ArrowUp");
    expect(await page.inputValue("#panel-terminal input.terminal-input")).toBe(create);
    expect(pageErrors).toEqual([]);
  });
});
