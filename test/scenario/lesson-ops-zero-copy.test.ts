// scenario: the zero-copy lesson (scenarios/zero-copy-vs-tls.yaml) shows what it says: the three
// bare-host transfers take the same time but sendfile makes no CPU copy and TLS costs the most CPU;
// and the Kafka leader that replicates over SSL (security.inter.broker.protocol=SSL) does several
// times the CPU work of the same replication over PLAINTEXT, with the same outcome. The scenario
// format has no CPU expectations, so this test reads the transfer summaries and the leader's CPU.
import { describe, expect, it } from "vitest";
import { parseOverride, type ScenarioOverride } from "../../sim/scenario/load.ts";
import { loadScenarioFile } from "../../sim/scenario/load-file.ts";
import { runScenario } from "../../sim/scenario/runner.ts";

const FILE = "scenarios/zero-copy-vs-tls.yaml";

function run(sets: readonly string[] = []) {
  const overrides = sets.map((t) => parseOverride(t) as ScenarioOverride);
  let leaderCpuUs = -1;
  let replicatedBytes = -1;
  const report = runScenario(loadScenarioFile(FILE, overrides), {
    atEnd: ({ kafka }) => {
      leaderCpuUs = kafka!.cluster.hosts.get("1")!.cpu.busyTotalUs;
      replicatedBytes = kafka!.cluster.brokers.get(1)!.snapshot().metrics.ReplicationBytesOutPerSec;
    },
  });
  return { report, leaderCpuUs, replicatedBytes };
}

describe("lesson: zero copy vs TLS", () => {
  const plain = run();
  const tls = run(["cluster.config.security.inter.broker.protocol=SSL"]);

  it("meets its own expectations either way", () => {
    expect(plain.report.results.ok).toBe(true);
    expect(tls.report.results.ok).toBe(true);
  });

  it("bare hosts: same duration, no CPU copy for sendfile, most CPU for TLS", () => {
    const byMode = new Map(plain.report.transfers.map((t) => [t.mode, t]));
    const sendfile = byMode.get("sendfile")!;
    const copy = byMode.get("copy")!;
    const tlsT = byMode.get("tls")!;
    for (const t of [sendfile, copy, tlsT]) expect(t.doneUs).not.toBeNull();
    // The network is the bottleneck: the three finish within 1% of each other.
    const durations = [sendfile, copy, tlsT].map((t) => t.doneUs! - t.startUs);
    expect(Math.max(...durations)).toBeLessThan(1.01 * Math.min(...durations));
    expect(sendfile.cpuCopies).toBe(0);
    expect(copy.cpuCopies).toBeGreaterThan(0);
    expect(copy.contextSwitches).toBe(2 * sendfile.contextSwitches!);
    expect(tlsT.cpuUs!).toBeGreaterThan(1.5 * copy.cpuUs!);
    expect(copy.cpuUs!).toBeGreaterThan(20 * sendfile.cpuUs!);
  });

  it("Kafka: the same replication costs the leader several times more CPU over SSL", () => {
    // 10 MB/s for 10 s to two followers: about 200 MB leave the leader in both runs.
    expect(plain.replicatedBytes).toBeGreaterThan(190_000_000);
    expect(tls.replicatedBytes).toBeGreaterThan(190_000_000);
    expect(tls.leaderCpuUs).toBeGreaterThan(4 * plain.leaderCpuUs);
  });
});
