// e2e: the message-sequence diagram linked to the cluster view in headless Chromium, by real
// pointer moves. leader-failover just after broker 1 crashes: hovering a message marks its two
// brokers' boxes (and only that message in the diagram); hovering broker 2's box marks exactly
// the messages broker 2 sent or received; moving away clears both views. acks-compared: hovering
// the partition acks-zero-0 marks the ProduceRequests about it. No page errors.
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type OpenPage, openPage, seek } from "./support.ts";

let opened: OpenPage;
let page: Page;

beforeAll(async () => {
  opened = await openPage({ width: 1280, height: 800 });
  page = opened.page;
}, 180_000);

afterAll(async () => {
  await opened?.close();
});

const DIAGRAM = "#panel-events svg.sequence-diagram";

interface Drawn {
  id: string;
  msg: string;
  from: string;
  to: string;
  about: string;
  highlight: string | null;
}

/** Every message of the diagram, read back from its tooltip, with its highlight mark. */
async function drawn(): Promise<Drawn[]> {
  return page.$$eval(`${DIAGRAM} g.message`, (gs) =>
    gs.map((g) => {
      const title = g.querySelector("title")?.textContent ?? "";
      const m = /^#(\d+) (\S+) (\S+) → (\S+), \d+ B(?:, about ([^,]+(?:, [^,\s]+-\d+)*))?,/.exec(
        title,
      );
      if (m === null) throw new Error(`unexpected tooltip: ${title}`);
      return {
        id: m[1] as string,
        msg: m[2] as string,
        from: m[3] as string,
        to: m[4] as string,
        about: m[5] ?? "",
        highlight: g.getAttribute("data-highlight"),
      };
    }),
  );
}

async function marked(selector: string, attribute: string): Promise<string[]> {
  return page.$$eval(
    `${selector}[data-highlight="true"]`,
    (es, a) => es.map((e) => e.getAttribute(a) ?? ""),
    attribute,
  );
}

describe("e2e: the sequence diagram and the cluster view, linked by hovering", () => {
  it("e2e: viz-linking: a message marks its brokers; a broker marks its messages; away clears", async () => {
    expect(await page.$eval("#picker", (p) => (p as HTMLSelectElement).value)).toBe(
      "leader-failover.yaml",
    );
    await seek(page, 2_010_000);
    await page.click("#panel-events details.sequence summary");
    await page.waitForSelector(`${DIAGRAM} g.message`);
    const before = await drawn();
    const between = before.find((m) => /^\d+$/.test(m.from) && /^\d+$/.test(m.to));
    expect(between).toBeDefined();
    const m = between as Drawn;

    // The label: a horizontal line has an empty box, which Playwright counts as hidden.
    await page.hover(`${DIAGRAM} g.message[data-id="${m.id}"] text.msg-label`);
    expect((await marked("#cluster g.node", "data-node")).sort()).toEqual([m.from, m.to].sort());
    const during = await drawn();
    expect(during.filter((d) => d.highlight === "true").map((d) => d.id)).toEqual([m.id]);
    expect(during.filter((d) => d.highlight === "false")).toHaveLength(during.length - 1);

    await page.hover('#cluster g.node[data-node="2"] rect.box');
    expect(await marked("#cluster g.node", "data-node")).toEqual(["2"]);
    const byTwo = await drawn();
    const expected = byTwo.filter((d) => d.from === "2" || d.to === "2").map((d) => d.id);
    expect(expected.length).toBeGreaterThan(0);
    expect(byTwo.filter((d) => d.highlight === "true").map((d) => d.id)).toEqual(expected);

    await page.mouse.move(1, 1);
    expect(await page.$$eval("[data-highlight]", (es) => es.length)).toBe(0);
    expect(opened.errors).toEqual([]);
  });

  it("e2e: viz-linking: hovering a partition marks the ProduceRequests about it", async () => {
    await page.selectOption("#picker", "acks-compared.yaml");
    await seek(page, 4_000_000);
    await page.fill("#panel-events .sequence-msg", "ProduceRequest");
    await page.waitForSelector(`${DIAGRAM} g.message`);
    const all = await drawn();
    const about = all.filter((d) => d.about.split(", ").includes("acks-zero-0")).map((d) => d.id);
    expect(about.length).toBeGreaterThan(0);
    await page.hover('#cluster g.partition[data-partition="acks-zero-0"] text.ptitle', {
      force: true,
    });
    expect(await marked("#cluster g.partition", "data-partition")).toEqual(["acks-zero-0"]);
    const after = await drawn();
    expect(after.filter((d) => d.highlight === "true").map((d) => d.id)).toEqual(about);
    await page.mouse.move(1, 1);
    await page.fill("#panel-events .sequence-msg", "");
    expect(opened.errors).toEqual([]);
  });
});
