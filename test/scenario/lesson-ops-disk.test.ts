// scenario: the disk lesson (scenarios/disk-sequential-vs-random.yaml) shows what it says: random
// 4 KiB reads are hundreds of times slower than sequential ones on the hard disk and several times
// slower on the SSD (queue depth 1); and a broker on a hard disk writes the same bytes back with
// many more seeks and much more busy time when they are spread over 48 partitions instead of one.
// The scenario format has no disk expectations, so this test reads the transfer summaries and the
// broker host's disk counters.
import { describe, expect, it } from "vitest";
import type { DiskStats } from "../../sim/infra/disk.ts";
import { parseOverride, type ScenarioOverride } from "../../sim/scenario/load.ts";
import { loadScenarioFile } from "../../sim/scenario/load-file.ts";
import { runScenario } from "../../sim/scenario/runner.ts";

const FILE = "scenarios/disk-sequential-vs-random.yaml";

function run(sets: readonly string[] = []) {
  const overrides = sets.map((t) => parseOverride(t) as ScenarioOverride);
  let disk: DiskStats | undefined;
  const report = runScenario(loadScenarioFile(FILE, overrides), {
    atEnd: ({ kafka }) => {
      disk = { ...kafka!.cluster.hosts.get("1")!.disk(0).stats };
    },
  });
  return { report, disk: disk! };
}

describe("lesson: disks, sequential vs random", () => {
  const one = run();
  const many = run(["topics.0.partitions=48"]);

  it("meets its own expectations with 1 and with 48 partitions", () => {
    expect(one.report.results.ok).toBe(true);
    expect(many.report.results.ok).toBe(true);
  });

  it("bare hosts: random reads are far slower than sequential, most of all on the hard disk", () => {
    const rate = (from: string) => {
      const t = one.report.transfers.find((x) => x.from === from);
      expect(t?.bytesPerSec).not.toBeNull();
      return t!.bytesPerSec!;
    };
    expect(rate("hdd-rnd") * 100).toBeLessThan(rate("hdd-seq"));
    expect(rate("ssd-rnd") * 5).toBeLessThan(rate("ssd-seq"));
    expect(rate("ssd-rnd")).toBeGreaterThan(50 * rate("hdd-rnd"));
  });

  it("Kafka: the same bytes over 48 partitions cost the hard disk many more seeks and busy time", () => {
    // About the same bytes written back either way (within a quarter)...
    expect(many.disk.bytesWritten).toBeGreaterThan(0.75 * one.disk.bytesWritten);
    expect(many.disk.bytesWritten).toBeLessThan(1.25 * one.disk.bytesWritten);
    // ...but one write (and seek) per file per writeback pass instead of one per pass.
    expect(many.disk.randomOps).toBeGreaterThan(10 * one.disk.randomOps);
    expect(many.disk.serviceUs).toBeGreaterThan(4 * one.disk.serviceUs);
  });
});
