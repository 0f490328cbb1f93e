// @vitest-environment happy-dom
// viz: setup: the Setup panel in a happy-dom document: the knobs show the loaded scenario's values,
// a knob hands the page edited text (host.replaceScenario) and shows the new value once re-opened,
// a refused value shows the loader's located message and changes nothing, clients are added and
// removed, a dropped file opens (or its error is shown with file:line:column), and redrawing the
// same session leaves the DOM alone.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Session } from "../../sim/scenario/session.ts";
import { setupPanel } from "../../viz/panels/setup-panel.ts";

const GS = readFileSync("scenarios/group-scaling.yaml", "utf8");

function page(text = GS) {
  let session = new Session(text);
  session.advanceTo(2_000_000);
  const replaced: string[] = [];
  const container = document.createElement("div");
  document.body.replaceChildren(container);
  const redraw = setupPanel.mount(container, {
    act() {
      throw new Error("the setup panel does not fork");
    },
    seek() {
      throw new Error("the setup panel does not seek");
    },
    replaceScenario(next) {
      replaced.push(next);
      session = new Session(next);
      redraw(session);
    },
  });
  redraw(session);
  const q = <T extends Element>(sel: string) => container.querySelector<T>(sel)!;
  const change = (sel: string, value: string) => {
    const e = q<HTMLInputElement | HTMLSelectElement>(sel);
    e.value = value;
    e.dispatchEvent(new Event("change"));
  };
  const error = () => {
    const e = q<HTMLElement>('[data-setup="error"]');
    return e.hidden ? "" : (e.textContent ?? "");
  };
  return {
    container,
    replaced,
    q,
    change,
    error,
    redraw: () => redraw(session),
    get session() {
      return session;
    },
  };
}

describe("viz: setup: panel", () => {
  it("viz: setup: the knobs show the loaded scenario", () => {
    const p = page();
    expect(p.q<HTMLSelectElement>('[data-knob="version"]').value).toBe("4.1");
    expect(p.q<HTMLInputElement>('[data-knob="brokers"]').value).toBe("3");
    expect(p.q<HTMLInputElement>('[data-knob="min.insync.replicas"]').value).toBe("");
    expect(p.q<HTMLInputElement>('[data-topic="invoices"] [data-knob="partitions"]').value).toBe(
      "3",
    );
    expect(p.q<HTMLSelectElement>('[data-client="producer-1"] [data-knob="acks"]').value).toBe("");
    const members = [...p.container.querySelectorAll('[data-group="billing"] li')].map((li) =>
      li.getAttribute("data-client"),
    );
    expect(members).toEqual(["consumer-1", "consumer-2", "consumer-3", "consumer-4"]);
    const options = [...p.q<HTMLSelectElement>('[data-knob="version"]').options].map(
      (o) => o.value,
    );
    expect(options).toContain("0.10");
    expect(options).toContain("3.6");
  });

  it("viz: setup: a knob replaces the scenario text and the new value shows", () => {
    const p = page();
    p.change('[data-knob="version"]', "3.6");
    expect(p.replaced.length).toBe(1);
    expect(p.replaced[0]).toContain('version: "3.6"');
    expect(String(p.session.scenario.cluster?.version)).toBe("3.6");
    expect(p.q<HTMLSelectElement>('[data-knob="version"]').value).toBe("3.6");
    p.change('[data-client="producer-1"] [data-knob="acks"]', "1");
    expect(p.session.scenario.clients[0]?.config.acks).toBe(1);
    p.change('[data-knob="min.insync.replicas"]', "2");
    expect(p.q<HTMLInputElement>('[data-knob="min.insync.replicas"]').value).toBe("2");
    expect(p.error()).toBe("");
  });

  it("viz: setup: a refused value shows the located message and changes nothing", () => {
    const p = page();
    const before = p.session;
    p.change('[data-knob="brokers"]', "0");
    expect(p.replaced).toEqual([]);
    expect(p.session).toBe(before);
    expect(p.error()).toMatch(/scenario\.yaml:\d+:\d+: cluster\.brokers: must be at least 1/);
    expect(p.error()).not.toMatch(/\n\s+at /);
    expect(p.q<HTMLInputElement>('[data-knob="brokers"]').value).toBe("3");
    p.change('[data-topic="invoices"] [data-knob="replication-factor"]', "4");
    expect(p.error()).toContain("replication factor of 4 cannot be reached");
    // A good edit clears the message.
    p.change('[data-knob="brokers"]', "4");
    expect(p.error()).toBe("");
    expect(p.session.scenario.cluster?.brokers.length).toBe(4);
  });

  it("viz: setup: a value accepted with a warning is applied and the warning shown", () => {
    const p = page();
    p.change('[data-knob="min.insync.replicas"]', "5");
    expect(p.session.scenario.cluster?.config["min.insync.replicas"]).toBe(5);
    const note = p.q<HTMLElement>('[data-setup="note"]');
    expect(note.hidden).toBe(false);
    expect(note.textContent).toContain("NOT_ENOUGH_REPLICAS");
    p.change('[data-knob="min.insync.replicas"]', "");
    expect(p.session.text).toBe(GS);
    expect(note.hidden).toBe(true);
  });

  it("viz: setup: clients are added and removed", () => {
    const p = page();
    p.q<HTMLButtonElement>('[data-group="billing"] [data-knob="add-consumer"]').click();
    expect(
      p.container.querySelector('[data-group="billing"] li[data-client="consumer-5"]'),
    ).not.toBeNull();
    p.q<HTMLButtonElement>('[data-knob="add-producer"]').click();
    expect(p.container.querySelector('[data-client="producer-2"]')).not.toBeNull();
    // Two producers: an "all producers" row.
    p.change('[data-client="*"] [data-knob="enable.idempotence"]', "false");
    expect(
      p.session.scenario.clients
        .filter((c) => c.type === "producer")
        .map((c) => c.config["enable.idempotence"]),
    ).toEqual([false, false]);
    p.q<HTMLButtonElement>('li[data-client="consumer-2"] [data-knob="remove-client"]').click();
    expect(p.session.scenario.clients.some((c) => c.id === "consumer-2")).toBe(false);
    expect(p.container.querySelector('li[data-client="consumer-2"]')).toBeNull();
  });

  it("viz: setup: redrawing the same session keeps the DOM; a seek changes nothing", () => {
    const p = page();
    const knob = p.q('[data-knob="version"]');
    p.redraw();
    p.session.seek(500_000);
    p.redraw();
    expect(p.q('[data-knob="version"]')).toBe(knob);
  });

  it("viz: setup: a dropped file opens; a bad one shows file:line:column", async () => {
    const p = page();
    const drop = p.q<HTMLElement>('[data-setup="drop"]');
    const dropFile = async (name: string, text: string) => {
      const event = new Event("drop", { bubbles: true, cancelable: true });
      Object.defineProperty(event, "dataTransfer", { value: { files: [new File([text], name)] } });
      drop.dispatchEvent(event);
      await new Promise((r) => setTimeout(r, 50));
    };
    await dropFile("mine.yaml", "version: 1\nname: mine\ncluster:\n  brokers: 0\n");
    expect(p.error()).toMatch(/^Not applied:\nmine\.yaml:4:12: cluster\.brokers: /);
    expect(p.replaced).toEqual([]);
    await dropFile("notes.txt", "hello");
    expect(p.error()).toContain("notes.txt: not a scenario file");
    const lf = readFileSync("scenarios/leader-failover.yaml", "utf8");
    await dropFile("lf.yml", lf);
    expect(p.replaced).toEqual([lf]);
    expect(p.error()).toBe("");
    expect(p.q<HTMLInputElement>('[data-topic="orders"] [data-knob="partitions"]').value).toBe("3");
  });
});
