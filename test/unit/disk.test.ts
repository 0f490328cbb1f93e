import { describe, expect, it } from "vitest";
import { SimAssertionError } from "../../sim/engine/assert.ts";
import { Disk, type DiskResult } from "../../sim/infra/disk.ts";
import {
  DISK_KINDS,
  DISK_PARAMS,
  DISK_PROFILES,
  type DiskProfile,
  diskProfileProblems,
  NIC_PARAMS,
  NIC_PROFILE_NAMES,
  NIC_PROFILES,
  withDiskOverrides,
  withNicOverrides,
} from "../../sim/infra/hardware.ts";

const KiB = 1024;
const MiB = 1024 * KiB;

function done(r: DiskResult): number {
  expect(r.ok).toBe(true);
  return r.doneAtUs;
}

/** A profile with round numbers, so the arithmetic in the comments stays short. */
function roundFlash(kind: "ssd" | "nvme"): DiskProfile {
  return {
    ...DISK_PROFILES[kind],
    readBandwidthBytesPerSec: 100_000_000, // 100 B/µs
    writeBandwidthBytesPerSec: 50_000_000, // 50 B/µs
    accessLatencyUs: 100,
    readIops: 100_000, // one issue slot every 10 µs
    writeIops: 50_000, // one every 20 µs
    fsyncUs: 1000,
  };
}

describe("infra: disk: hdd", () => {
  it("infra: disk: hdd: a 100 MiB sequential read runs at the media rate", () => {
    const disk = new Disk("d", DISK_PROFILES.hdd);
    // 100 reads of 1 MiB, one after the other in the same file, all submitted at t = 0.
    let t = 0;
    for (let i = 0; i < 100; i++) {
      t = done(
        disk.submit(0, { kind: "read", file: "seg", offsetBytes: i * MiB, lengthBytes: MiB }),
      );
    }
    // First read: seek 8500 + rotation 4167 + 1048576 / 175 B/µs = 5991.86 → ceil(18658.86) = 18659.
    // The other 99 continue where the previous ended: ceil(5991.86) = 5992 each.
    // 18659 + 99 × 5992 = 611867 µs for 104857600 bytes: 171.4 MB/s.
    expect(t).toBe(18659 + 99 * 5992);
    expect(disk.stats.randomOps).toBe(1);
    expect(disk.stats.bytesRead).toBe(100 * MiB);
    // The head is never idle, so the summed service time is the elapsed time.
    expect(disk.stats.serviceUs).toBe(t);
  });

  it("infra: disk: hdd: random 4 KiB reads run at 1 / (seek + rotation) IOPS", () => {
    const disk = new Disk("d", DISK_PROFILES.hdd);
    let t = 0;
    for (let i = 0; i < 100; i++) {
      // Every other MiB of the file: never where the previous read ended.
      t = done(
        disk.submit(0, { kind: "read", file: "f", offsetBytes: 2 * i * MiB, lengthBytes: 4 * KiB }),
      );
    }
    // Each read: 8500 + 4167 + 4096 / 175 = 12690.41 → 12691 µs; 100 in a row end at 1269100.
    // 100 reads / 1.2691 s = 78.8 IOPS, 322.7 KB/s: about 530 times slower than sequential.
    expect(t).toBe(100 * 12691);
    expect(disk.stats.randomOps).toBe(100);
    expect(disk.stats.queueWaitUs).toBe(12691 * ((99 * 100) / 2)); // 0 + 1 + ... + 99 ops ahead
  });

  it("infra: disk: hdd: a read that switches file seeks even at the same offset", () => {
    const disk = new Disk("d", DISK_PROFILES.hdd);
    done(disk.submit(0, { kind: "write", file: "a", offsetBytes: 0, lengthBytes: 4096 }));
    const r = disk.submit(0, { kind: "write", file: "b", offsetBytes: 4096, lengthBytes: 4096 });
    // 12691 for the first, 12691 again for the second: it pays its own seek.
    expect(done(r)).toBe(2 * 12691);
    expect(r.ok && r.startAtUs).toBe(12691);
  });

  it("infra: disk: hdd: fsync waits for the file's writes and moves the head", () => {
    const disk = new Disk("d", DISK_PROFILES.hdd);
    // Write: 12667 + 4096 / 175 = 12690.41 → 12691.
    expect(
      done(disk.submit(0, { kind: "write", file: "log", offsetBytes: 0, lengthBytes: 4096 })),
    ).toBe(12691);
    // fsync: starts when the write is done, costs seek + rotation = 12667: 12691 + 12667.
    expect(done(disk.submit(0, { kind: "fsync", file: "log" }))).toBe(25358);
    // The next write continues the file but the journal commit moved the head: it seeks again.
    expect(
      done(disk.submit(0, { kind: "write", file: "log", offsetBytes: 4096, lengthBytes: 4096 })),
    ).toBe(25358 + 12691);
    expect(disk.stats.fsyncOps).toBe(1);
  });

  it("infra: disk: hdd: an idle disk starts an op at once", () => {
    const disk = new Disk("d", DISK_PROFILES.hdd);
    done(disk.submit(0, { kind: "read", file: "f", offsetBytes: 0, lengthBytes: 4096 })); // ends 12691
    const r = disk.submit(1_000_000, {
      kind: "read",
      file: "f",
      offsetBytes: 4096,
      lengthBytes: 4096,
    });
    // Sequential (continues at 4096): only the transfer, ceil(23.41) = 24.
    expect(r.ok && r.startAtUs).toBe(1_000_000);
    expect(done(r)).toBe(1_000_024);
    expect(disk.stats.queueWaitUs).toBe(0);
  });
});

describe("infra: disk: flash", () => {
  it("infra: disk: ssd: small random reads are bound by the issue rate (IOPS)", () => {
    const disk = new Disk("d", DISK_PROFILES.ssd);
    let t = 0;
    for (let i = 0; i < 1000; i++) {
      t = done(
        disk.submit(0, { kind: "read", file: "f", offsetBytes: 3 * i * MiB, lengthBytes: 4096 }),
      );
    }
    // Issue slot: ceil(1e6 / 98000) = ceil(10.2) = 11 µs, so read k is issued at 11k.
    // Its transfer (4096 / 560 B/µs = 7.3 → 8 µs) ends at 11k + 8, before the 77 µs access latency:
    // done = 11k + 77. The last (k = 999) is done at 10989 + 77 = 11066: 90.4K IOPS.
    expect(t).toBe(999 * 11 + 77);
  });

  it("infra: disk: nvme: large reads are bound by the bandwidth", () => {
    const disk = new Disk("d", DISK_PROFILES.nvme);
    let t = 0;
    for (let i = 0; i < 10; i++) {
      t = done(disk.submit(0, { kind: "read", file: "f", offsetBytes: i * MiB, lengthBytes: MiB }));
    }
    // Issue slots every ceil(1e6 / 1e6) = 1 µs, but each transfer takes 1048576 / 7000 = 149.8 → 150
    // µs on the shared bus, so read k is done at 150 (k + 1); the last at 1500 µs (6.99 GB/s).
    expect(t).toBe(1500);
  });

  it("infra: disk: flash: completion is max(issue + latency, transfer done)", () => {
    const disk = new Disk("d", roundFlash("ssd"));
    // 1000 bytes read: issue 0, transfer 10 µs, latency 100: done at 100.
    expect(
      done(disk.submit(0, { kind: "read", file: "f", offsetBytes: 0, lengthBytes: 1000 })),
    ).toBe(100);
    // 50000 bytes written at t = 0: next slot at 10; bus free at 10; 50000 / 50 = 1000 µs: done 1010.
    const w = disk.submit(0, { kind: "write", file: "f", offsetBytes: 1000, lengthBytes: 50_000 });
    expect(w.ok && w.startAtUs).toBe(10);
    expect(done(w)).toBe(1010);
    // Another read at 0: slot 10 + 20 (write slots are 20 µs) = 30; bus free at 1010; 10 µs: 1020.
    expect(
      done(disk.submit(0, { kind: "read", file: "g", offsetBytes: 0, lengthBytes: 1000 })),
    ).toBe(1020);
  });

  it("infra: disk: flash: fsync waits for that file's writes only", () => {
    const disk = new Disk("d", roundFlash("nvme"));
    // Write of 100000 bytes: issue 0, transfer 100000 / 50 = 2000 µs: done 2000.
    expect(
      done(disk.submit(0, { kind: "write", file: "a", offsetBytes: 0, lengthBytes: 100_000 })),
    ).toBe(2000);
    // fsync(a): after 2000, plus 1000 µs.
    expect(done(disk.submit(0, { kind: "fsync", file: "a" }))).toBe(3000);
    // fsync(b): b has no write queued, so 0 + 1000.
    expect(done(disk.submit(0, { kind: "fsync", file: "b" }))).toBe(1000);
    // Later, once a's write is done, an fsync of a costs only its own 1000.
    expect(done(disk.submit(5000, { kind: "fsync", file: "a" }))).toBe(6000);
  });

  it("infra: disk: ssd: the real profile's fsync after a 1 MiB write", () => {
    const disk = new Disk("d", DISK_PROFILES.ssd);
    // 1048576 / 530 B/µs = 1978.4 → 1979 µs (more than the 77 µs latency); fsync 1274 after it.
    expect(
      done(disk.submit(0, { kind: "write", file: "f", offsetBytes: 0, lengthBytes: MiB })),
    ).toBe(1979);
    expect(done(disk.submit(0, { kind: "fsync", file: "f" }))).toBe(1979 + 1274);
  });

  it("infra: disk: flash: a user-set seek is paid by non-sequential accesses", () => {
    const { profile, problems } = withDiskOverrides(roundFlash("nvme"), { avgSeekUs: 400 });
    expect(problems).toEqual([]);
    const disk = new Disk("d", profile);
    // Random: latency 100 + 400 = 500.
    expect(
      done(disk.submit(0, { kind: "read", file: "f", offsetBytes: 0, lengthBytes: 1000 })),
    ).toBe(500);
    // Sequential (continues at 1000): issued at 10, latency 100: 110.
    expect(
      done(disk.submit(0, { kind: "read", file: "f", offsetBytes: 1000, lengthBytes: 1000 })),
    ).toBe(110);
  });
});

describe("infra: disk: faults", () => {
  it("infra: disk: slow: every op submitted after it takes factor times as long", () => {
    const disk = new Disk("d", DISK_PROFILES.hdd);
    // Before the fault: 12691 (random 4 KiB read).
    expect(
      done(disk.submit(0, { kind: "read", file: "f", offsetBytes: 0, lengthBytes: 4096 })),
    ).toBe(12691);
    disk.setSlowFactor(3);
    // Random read queued behind the first: ceil(12690.41 × 3) = ceil(38071.22) = 38072, rounded once.
    expect(
      done(disk.submit(0, { kind: "read", file: "f", offsetBytes: MiB, lengthBytes: 4096 })),
    ).toBe(12691 + 38072);
    // fsync × 3: 12667 × 3 = 38001, after the head is free at 50763.
    expect(done(disk.submit(0, { kind: "fsync", file: "f" }))).toBe(50763 + 38001);
    disk.repair();
    expect(disk.currentSlowFactor).toBe(1);
  });

  it("infra: disk: slow: applies to flash issue slots, transfers and latency", () => {
    const disk = new Disk("d", roundFlash("ssd"));
    disk.setSlowFactor(2);
    // Read of 20000 bytes: latency 200, transfer 200 × 2 = 400: done 400; next slot at 20.
    expect(
      done(disk.submit(0, { kind: "read", file: "f", offsetBytes: 0, lengthBytes: 20_000 })),
    ).toBe(400);
    const r = disk.submit(0, { kind: "read", file: "g", offsetBytes: 0, lengthBytes: 10 });
    expect(r.ok && r.startAtUs).toBe(20);
    // Bus free at 400, transfer ceil(0.1 × 2) = 1 → 401; latency 20 + 200 = 220: done 401.
    expect(done(r)).toBe(401);
  });

  it("infra: disk: failed: every op fails with EIO at once until repaired", () => {
    const disk = new Disk("d", DISK_PROFILES.ssd);
    disk.fail();
    expect(disk.submit(7, { kind: "read", file: "f", offsetBytes: 0, lengthBytes: 4096 })).toEqual({
      ok: false,
      doneAtUs: 7,
      error: "EIO",
    });
    expect(
      disk.submit(7, { kind: "write", file: "f", offsetBytes: 0, lengthBytes: 4096 }),
    ).toMatchObject({
      ok: false,
      error: "EIO",
    });
    expect(disk.submit(7, { kind: "fsync", file: "f" })).toMatchObject({ ok: false, error: "EIO" });
    expect(disk.stats.errors).toBe(3);
    expect(disk.stats.readOps + disk.stats.writeOps + disk.stats.fsyncOps).toBe(0);
    disk.repair();
    expect(disk.submit(8, { kind: "read", file: "f", offsetBytes: 0, lengthBytes: 4096 }).ok).toBe(
      true,
    );
  });

  it("infra: disk: full: writes fail with ENOSPC, reads and fsync work", () => {
    const disk = new Disk("d", DISK_PROFILES.nvme);
    disk.setFull(true);
    expect(disk.submit(0, { kind: "write", file: "f", offsetBytes: 0, lengthBytes: 4096 })).toEqual(
      {
        ok: false,
        doneAtUs: 0,
        error: "ENOSPC",
      },
    );
    expect(disk.submit(0, { kind: "read", file: "f", offsetBytes: 0, lengthBytes: 4096 }).ok).toBe(
      true,
    );
    expect(disk.submit(0, { kind: "fsync", file: "f" }).ok).toBe(true);
    expect(disk.stats.bytesWritten).toBe(0);
    disk.setFull(false);
    expect(disk.submit(0, { kind: "write", file: "f", offsetBytes: 0, lengthBytes: 4096 }).ok).toBe(
      true,
    );
  });

  it("infra: disk: time never goes back, and ranges are checked", () => {
    const disk = new Disk("d", DISK_PROFILES.hdd);
    disk.submit(10, { kind: "fsync", file: "f" });
    expect(() => disk.submit(9, { kind: "fsync", file: "f" })).toThrow(SimAssertionError);
    expect(() =>
      disk.submit(10, { kind: "read", file: "f", offsetBytes: 0, lengthBytes: 0 }),
    ).toThrow(SimAssertionError);
    expect(() => disk.setSlowFactor(0)).toThrow(SimAssertionError);
  });
});

describe("infra: hardware profiles", () => {
  it("infra: hardware: every disk parameter of every profile has a source and a valid value", () => {
    for (const kind of DISK_KINDS) {
      const p = DISK_PROFILES[kind];
      expect(p.kind).toBe(kind);
      expect(diskProfileProblems(p)).toEqual([]);
      for (const spec of DISK_PARAMS) expect(p.sources[spec.field].length).toBeGreaterThan(10);
    }
    for (const name of NIC_PROFILE_NAMES) {
      const p = NIC_PROFILES[name];
      for (const spec of NIC_PARAMS) expect(p.sources[spec.field].length).toBeGreaterThan(10);
      expect(p.scatterGatherDma).toBe(true);
    }
  });

  it("infra: hardware: the hdd profile is a 7200 rpm disk", () => {
    // 60e6 µs / 7200 rev = 8333.3 µs per revolution; half of it rounded up is 4167.
    expect(DISK_PROFILES.hdd.rotationalLatencyUs).toBe(4167);
    expect(NIC_PROFILES["25GbE"].bandwidthBitsPerSec).toBe(25e9);
  });

  it("infra: hardware: parameter names are kebab-case, unique, and cover every field", () => {
    for (const table of [DISK_PARAMS, NIC_PARAMS]) {
      const keys = table.map((s) => s.key);
      expect(new Set(keys).size).toBe(keys.length);
      for (const k of keys) expect(k).toMatch(/^[a-z]+(-[a-z]+)*$/);
    }
    const fields = DISK_PARAMS.map((s) => s.field).sort();
    expect(fields).toEqual(Object.keys(DISK_PROFILES.hdd.sources).sort());
    expect(DISK_PARAMS.find((s) => s.key === "read-bandwidth")?.field).toBe(
      "readBandwidthBytesPerSec",
    );
  });

  it("infra: hardware: the scenario format's override example", () => {
    // disk: {profile: nvme, write-bandwidth: 330MB/s, read-bandwidth: 2GB/s, seek: 0.1ms, fsync: 1ms}
    const { profile, problems } = withDiskOverrides(DISK_PROFILES.nvme, {
      writeBandwidthBytesPerSec: 330e6,
      readBandwidthBytesPerSec: 2e9,
      avgSeekUs: 100,
      fsyncUs: 1000,
    });
    expect(problems).toEqual([]);
    expect(profile.kind).toBe("nvme");
    expect(profile.writeBandwidthBytesPerSec).toBe(330e6);
    expect(profile.sources.avgSeekUs).toBe("set by the scenario");
    expect(profile.readIops).toBe(DISK_PROFILES.nvme.readIops);
    expect(profile.sources.readIops).toBe(DISK_PROFILES.nvme.sources.readIops);
    // network: {profile: 25GbE, bandwidth: 23Gbps}
    const nic = withNicOverrides(NIC_PROFILES["25GbE"], { bandwidthBitsPerSec: 23e9 });
    expect(nic.problems).toEqual([]);
    expect(nic.profile.bandwidthBitsPerSec).toBe(23e9);
  });

  it("infra: hardware: bad overrides are reported by key, not thrown", () => {
    const { problems } = withDiskOverrides(DISK_PROFILES.ssd, { avgSeekUs: 0.5, readIops: 0 });
    expect(problems).toHaveLength(2);
    expect(problems[0]).toContain("seek");
    expect(problems[1]).toContain("read-iops");
    expect(
      withNicOverrides(NIC_PROFILES["1GbE"], { bandwidthBitsPerSec: -1 }).problems,
    ).toHaveLength(1);
    expect(
      () => new Disk("d", withDiskOverrides(DISK_PROFILES.ssd, { fsyncUs: -1 }).profile),
    ).toThrow(SimAssertionError);
  });
});
