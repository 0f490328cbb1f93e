// scenario: demo transfer: a file streams from a to b; a partition stalls it until the sender's
// backed-off retransmission after the heal; the same seed gives the same trace, another seed not.
import { describe, expect, it } from "vitest";
import type { TraceEvent } from "../../sim/engine/trace.ts";
import { parseScenarioText } from "../../sim/scenario/load.ts";
import { loadScenarioFile } from "../../sim/scenario/load-file.ts";
import { runScenario } from "../../sim/scenario/runner.ts";

const FILE = "scenarios/demo-transfer.yaml";

function run(seed: number) {
  const events: TraceEvent[] = [];
  const report = runScenario(loadScenarioFile(FILE), { seed, onTrace: (e) => events.push(e) });
  return { report, events };
}

describe("scenario: demo transfer: partition and heal", () => {
  const { report, events } = run(7);

  it("finishes the transfer after the heal, not before", () => {
    const done = events.find((e) => e.type === "transfer.done");
    expect(done).toBeDefined();
    // Healed at 4 s; the sender's RTO had backed off to 2 s at 2.5 s, so it retries at ~4.5 s.
    expect(done!.t).toBeGreaterThan(4_000_000);
    expect(done!.bytes).toBe(500 * 1024 * 1024);
  });

  it("stalls during the partition: nothing is delivered between a and b", () => {
    const delivered = events.filter(
      (e) => e.type === "net.deliver" && e.t > 1_500_000 && e.t < 4_000_000,
    );
    expect(delivered).toEqual([]);
    const timeouts = events.filter((e) => e.type === "transfer.timeout");
    expect(timeouts.length).toBeGreaterThanOrEqual(2);
    expect(timeouts.map((e) => e.rtoUs)).toEqual([1_000_000, 2_000_000]);
  });

  it("uses the zero-copy path: no CPU copy with a scatter-gather NIC", () => {
    const [t] = report.transfers;
    expect(t?.cpuCopies).toBe(0);
    expect(t?.dmaCopies).toBeGreaterThan(0);
  });

  it("tells the story from the trace: the question, the faults, the end", () => {
    const kinds = report.story.map((l) => l.kind);
    expect(kinds).toContain("ask");
    expect(
      report.story.some((l) => l.kind === "fault" && l.text.startsWith("network partition: [")),
    ).toBe(true);
    expect(report.results.ok).toBe(true);
    expect(report.results.traceHash).toMatch(/^[0-9a-f]{16}$/);
  });

  it("gives the same traceHash for the same seed and a different one for another seed", () => {
    expect(run(7).report.results.traceHash).toBe(report.results.traceHash);
    expect(run(8).report.results.traceHash).not.toBe(report.results.traceHash);
  });

  it("stops at --until with the hash of the trace up to there", () => {
    const partial = runScenario(loadScenarioFile(FILE), { seed: 7, untilUs: 2_000_000 });
    expect(partial.results.virtualTimeUs).toBe(2_000_000);
    expect(partial.results.traceHash).not.toBe(report.results.traceHash);
    const again = runScenario(loadScenarioFile(FILE), { seed: 7, untilUs: 2_000_000 });
    expect(again.results.traceHash).toBe(partial.results.traceHash);
  });

  it("ends a runaway run at the events bound with a message", () => {
    const bounded = runScenario(loadScenarioFile(FILE), { seed: 7, limits: { maxEvents: 500 } });
    expect(bounded.results.ok).toBe(false);
    expect(bounded.boundMessage).toMatch(/max-events/);
  });
});

describe("scenario: transfer: a failed disk ends the transfer", () => {
  it("reports transfer.failed with EIO and never finishes", () => {
    const text = `version: 1
name: failed disk
duration: 5s
hosts: [{ name: a }, { name: b }]
timeline:
  - { at: 0s, transfer: { from: a, to: b, size: 100MiB } }
  - { at: 10ms, fail-disk: { node: a } }
`;
    const events: TraceEvent[] = [];
    runScenario(parseScenarioText(text, "t.yaml"), { onTrace: (e) => events.push(e) });
    const failed = events.find((e) => e.type === "transfer.failed");
    expect(failed?.error).toBe("EIO");
    expect(events.some((e) => e.type === "transfer.done")).toBe(false);
  });
});

describe("scenario: a transfer to a host whose process crashed", () => {
  it("retries the refused connection with backoff, not in a loop, and resumes after the restart", () => {
    const events: TraceEvent[] = [];
    const report = runScenario(
      parseScenarioText(
        `version: 1
name: refused
duration: 30s
hosts: [{ name: a }, { name: b }]
timeline:
  - { at: 1s, transfer: { from: a, to: b, size: 64MiB } }
  - { at: 1.01s, crash: b }
  - { at: 6s, restart: b }
`,
        "refused.yaml",
      ),
      { onTrace: (e) => events.push(e) },
    );
    expect(report.boundMessage).toBeUndefined();
    // While b is down, each refused attempt waits a retransmission timeout, doubling (after the
    // burst of the chunks already read when it crashed): a few attempts, not a loop.
    const attempts = new Set(
      events
        .filter((e) => e.type === "transfer.reconnect" && e.t > 1_500_000 && e.t < 6_000_000)
        .map((e) => e.t),
    );
    expect(attempts.size).toBeGreaterThan(0);
    expect(attempts.size).toBeLessThan(5);
    const rtos = events.filter((e) => e.type === "transfer.timeout").map((e) => e.rtoUs);
    expect(rtos.slice(0, 3)).toEqual([1_000_000, 2_000_000, 4_000_000]);
    // The restarted receiver lost the file so far: it asks for chunk 0, and the sender starts over.
    expect(events.some((e) => e.type === "transfer.restart" && e.t > 6_000_000)).toBe(true);
    const done = events.find((e) => e.type === "transfer.done");
    expect(done!.t).toBeGreaterThan(6_000_000);
  });
});
