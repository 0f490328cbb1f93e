/**
 * Hardware profiles: the disks (`hdd`, `ssd`, `nvme`) and network cards (`1GbE`, `10GbE`, `25GbE`)
 * a scenario can name, each parameter with the source of its value.
 *
 * Models: the parameters the disk model (disk.ts) and the network model need, taken from the
 * published data sheets of real devices (named per profile) or derived from them with the
 * arithmetic shown. No value here was tuned to make any simulated benchmark come out right.
 * Simplifies: one figure per parameter where a device has a range (an HDD's transfer rate falls
 * from the outer to the inner tracks; the profile uses the data sheet's outer-track maximum), and
 * flash devices have no garbage-collection stalls or SLC-cache exhaustion.
 * Faults: none here; a profile is plain data. Disk faults live in disk.ts.
 *
 * The scenario format lets users start from a profile and override its parameters by their
 * kebab-case names (`disk: {profile: nvme, write-bandwidth: 330MB/s, seek: 0.1ms}`): the tables
 * DISK_PARAMS and NIC_PARAMS map those names to the TypeScript fields, for the scenario loader.
 * docs/hardware.md shows the same tables for people.
 */

export type DiskKind = "hdd" | "ssd" | "nvme";
export const DISK_KINDS: readonly DiskKind[] = ["hdd", "ssd", "nvme"];

/** The fields of a disk profile that a scenario may override (all numbers). */
export type DiskParamField =
  | "readBandwidthBytesPerSec"
  | "writeBandwidthBytesPerSec"
  | "avgSeekUs"
  | "rotationalLatencyUs"
  | "accessLatencyUs"
  | "readIops"
  | "writeIops"
  | "fsyncUs";

export interface DiskProfile {
  /** Name of the profile this one starts from ("hdd", "ssd", "nvme"). */
  readonly profile: DiskKind;
  /** Which cost model applies: one moving head (hdd) or a pipelined flash device (ssd, nvme). */
  readonly kind: DiskKind;
  /** The device whose data sheet the numbers come from. */
  readonly model: string;
  /** Sustained sequential read rate, bytes per second (decimal MB as data sheets use). */
  readonly readBandwidthBytesPerSec: number;
  /** Sustained sequential write rate, bytes per second. */
  readonly writeBandwidthBytesPerSec: number;
  /**
   * Average seek, µs: paid by an access that does not continue where the previous one ended.
   * Mechanical (hdd); 0 for flash, but a user may set it for any kind.
   */
  readonly avgSeekUs: number;
  /** Average rotational latency (half a revolution), µs, paid with the seek. 0 for flash. */
  readonly rotationalLatencyUs: number;
  /** Per-command latency, µs (flash: one 4 KiB read at queue depth 1). 0 for hdd. */
  readonly accessLatencyUs: number;
  /** Random 4 KiB reads per second at a deep queue (flash: the issue-slot rate). */
  readonly readIops: number;
  /** Random 4 KiB writes per second at a deep queue. */
  readonly writeIops: number;
  /** Cost of an fsync once the file's writes are done (cache flush + journal commit), µs. */
  readonly fsyncUs: number;
  /** Where each value comes from, per field. */
  readonly sources: Readonly<Record<DiskParamField, string>>;
  /** One paragraph: the device, and what the profile leaves out. */
  readonly doc: string;
}

export type NicProfileName = "1GbE" | "10GbE" | "25GbE";
export const NIC_PROFILE_NAMES: readonly NicProfileName[] = ["1GbE", "10GbE", "25GbE"];

export type NicParamField = "bandwidthBitsPerSec" | "scatterGatherDma";

export interface NicProfile {
  readonly profile: NicProfileName;
  /** Line rate per direction, bits per second; the link is full duplex. */
  readonly bandwidthBitsPerSec: number;
  /**
   * The NIC can DMA a frame from several memory buffers (scatter-gather), which sendfile()
   * zero-copy needs: the page-cache pages go to the wire without a copy into a socket buffer.
   */
  readonly scatterGatherDma: boolean;
  readonly sources: Readonly<Record<NicParamField, string>>;
  readonly doc: string;
}

// Data sheets state rates in decimal units: 1 MB/s = 10^6 bytes per second.
const MB_PER_SEC = 1_000_000;

/** 7200 rpm: one revolution takes 60e6 / 7200 = 8333.3 µs; the average wait is half of it. */
const HDD_HALF_REVOLUTION_US = 4167; // ceil(8333.33 / 2) = ceil(4166.67)

export const DISK_PROFILES: Readonly<Record<DiskKind, DiskProfile>> = {
  hdd: {
    profile: "hdd",
    kind: "hdd",
    model: "Seagate Constellation ES.3 4TB, ST4000NM0033 (7200 rpm, SATA 6Gb/s)",
    readBandwidthBytesPerSec: 175 * MB_PER_SEC,
    writeBandwidthBytesPerSec: 175 * MB_PER_SEC,
    avgSeekUs: 8500,
    rotationalLatencyUs: HDD_HALF_REVOLUTION_US,
    accessLatencyUs: 0,
    readIops: 79,
    writeIops: 79,
    fsyncUs: 8500 + HDD_HALF_REVOLUTION_US,
    sources: {
      readBandwidthBytesPerSec:
        "Seagate Constellation ES.3 SATA product manual (100671511): sustained transfer rate " +
        "up to 175 MB/s (outer tracks; 83 MB/s at the inner tracks)",
      writeBandwidthBytesPerSec:
        "same data sheet; one sustained transfer rate is given for reads and writes",
      avgSeekUs:
        "Constellation ES.3 data sheet: average random read seek < 8.5 ms (writes < 9.5 ms)",
      rotationalLatencyUs:
        "7200 rpm: half a revolution = 60e6 / 7200 / 2 = 4166.7 µs, rounded up; the data " +
        "sheet states an average latency of 4.16 ms",
      accessLatencyUs:
        "0: a drive's command overhead (well under 0.5 ms) is small next to the seek and is " +
        "not listed separately",
      readIops:
        "derived, informative only: 1e6 / (8500 + 4167) = 78.9 random reads/s; the hdd model " +
        "charges seek + rotation per random access and does not use this field",
      writeIops: "derived like read-iops; not used by the hdd model",
      fsyncUs:
        "derived: an fsync on ext4 commits the journal, a small write elsewhere on the " +
        "platter, so one average seek + half a revolution = 8500 + 4167 µs. No data sheet " +
        "gives it; the data writes themselves are charged by the write ops",
    },
    doc:
      "A 7200 rpm SATA disk with one head assembly: a sequential stream runs at the media " +
      "rate, and every access elsewhere pays a seek and half a revolution, about 79 random " +
      "IOPS. The profile uses the outer-track rate and the read seek; it has no command " +
      "queueing (NCQ) or elevator: requests are served first in, first out.",
  },
  ssd: {
    profile: "ssd",
    kind: "ssd",
    model: "Samsung 870 EVO 1TB, MZ-77E1T0 (SATA 6Gb/s, TLC V-NAND)",
    readBandwidthBytesPerSec: 560 * MB_PER_SEC,
    writeBandwidthBytesPerSec: 530 * MB_PER_SEC,
    avgSeekUs: 0,
    rotationalLatencyUs: 0,
    accessLatencyUs: 77,
    readIops: 98_000,
    writeIops: 88_000,
    fsyncUs: 1274,
    sources: {
      readBandwidthBytesPerSec: "Samsung 870 EVO data sheet: sequential read up to 560 MB/s",
      writeBandwidthBytesPerSec: "Samsung 870 EVO data sheet: sequential write up to 530 MB/s",
      avgSeekUs: "0: no moving parts",
      rotationalLatencyUs: "0: no moving parts",
      accessLatencyUs:
        "Samsung 870 EVO data sheet: 4 KiB random read at QD1 up to 13,000 IOPS, so one " +
        "read takes 1e6 / 13000 = 76.9 µs, rounded up",
      readIops: "Samsung 870 EVO data sheet: 4 KiB random read at QD32 up to 98,000 IOPS",
      writeIops: "Samsung 870 EVO data sheet: 4 KiB random write at QD32 up to 88,000 IOPS",
      fsyncUs:
        "measurement, not a data sheet value: average fdatasync of 1273.08 µs for an SSD in " +
        "IBM's 'Using fio to tell whether your storage is fast enough for etcd' (2019), " +
        "rounded up. Consumer drives without power-loss protection flush in about 1-3 ms; " +
        "override with fsync: for a known device",
    },
    doc:
      "A SATA SSD, bounded by the SATA link (about 560 MB/s). Commands are issued at the " +
      "data sheet's deep-queue IOPS rate and share one transfer bus; each command takes at " +
      "least the queue-depth-1 latency. No garbage-collection pauses and no slowdown when " +
      "the SLC write cache (TurboWrite) is full.",
  },
  nvme: {
    profile: "nvme",
    kind: "nvme",
    model: "Samsung 980 PRO 1TB, MZ-V8P1T0 (NVMe 1.3c, PCIe 4.0 x4)",
    readBandwidthBytesPerSec: 7000 * MB_PER_SEC,
    writeBandwidthBytesPerSec: 5000 * MB_PER_SEC,
    avgSeekUs: 0,
    rotationalLatencyUs: 0,
    accessLatencyUs: 46,
    readIops: 1_000_000,
    writeIops: 1_000_000,
    fsyncUs: 1000,
    sources: {
      readBandwidthBytesPerSec: "Samsung 980 PRO 1TB data sheet: sequential read up to 7,000 MB/s",
      writeBandwidthBytesPerSec:
        "Samsung 980 PRO 1TB data sheet: sequential write up to 5,000 MB/s (while the " +
        "TurboWrite SLC cache lasts)",
      avgSeekUs: "0: no moving parts",
      rotationalLatencyUs: "0: no moving parts",
      accessLatencyUs:
        "Samsung 980 PRO 1TB data sheet: 4 KiB random read at QD1 up to 22,000 IOPS, so one " +
        "read takes 1e6 / 22000 = 45.5 µs, rounded up",
      readIops:
        "Samsung 980 PRO 1TB data sheet: 4 KiB random read at QD32 x 16 threads up to 1,000K IOPS",
      writeIops:
        "Samsung 980 PRO 1TB data sheet: 4 KiB random write at QD32 x 16 threads up to 1,000K IOPS",
      fsyncUs:
        "estimate, not a data sheet value: consumer NVMe drives without power-loss " +
        "protection complete a flush in roughly 0.5-2 ms in published fio sync-write tests " +
        "(e.g. the fsync test in TechPowerUp's SSD reviews); 1 ms is a round middle. " +
        "Override with fsync: for a known device",
    },
    doc:
      "A PCIe 4.0 NVMe SSD. Same cost model as ssd with the 980 PRO's figures. Sustained " +
      "writes beyond the SLC cache are slower on the real drive; the profile keeps the data " +
      "sheet's burst figure.",
  },
};

export const NIC_PROFILES: Readonly<Record<NicProfileName, NicProfile>> = {
  "1GbE": {
    profile: "1GbE",
    bandwidthBitsPerSec: 1_000_000_000,
    scatterGatherDma: true,
    sources: {
      bandwidthBitsPerSec:
        "IEEE 802.3 clause 40 (1000BASE-T): 1000 Mb/s per direction, full duplex",
      scatterGatherDma:
        "true: scatter-gather DMA is standard on server NICs of every speed (e.g. Intel " +
        "I350 data sheet); Linux reports it as the 'scatter-gather' feature in ethtool -k",
    },
    doc:
      "Gigabit Ethernet. The rate is the line rate; Ethernet, IP and TCP headers take about 6% " +
      "of it at a 1500-byte MTU.",
  },
  "10GbE": {
    profile: "10GbE",
    bandwidthBitsPerSec: 10_000_000_000,
    scatterGatherDma: true,
    sources: {
      bandwidthBitsPerSec:
        "IEEE 802.3ae / 802.3an (10GBASE-SR, 10GBASE-T): 10 Gb/s per direction, full duplex",
      scatterGatherDma: "true: standard on 10GbE NICs (e.g. Intel 82599 / X710 data sheets)",
    },
    doc: "10 Gigabit Ethernet, line rate per direction.",
  },
  "25GbE": {
    profile: "25GbE",
    bandwidthBitsPerSec: 25_000_000_000,
    scatterGatherDma: true,
    sources: {
      bandwidthBitsPerSec: "IEEE 802.3by (25GBASE-SR/CR): 25 Gb/s per direction, full duplex",
      scatterGatherDma: "true: standard on 25GbE NICs (e.g. Intel E810, Mellanox ConnectX-4 Lx)",
    },
    doc: "25 Gigabit Ethernet, line rate per direction.",
  },
};

/**
 * How the scenario loader parses a parameter's value:
 * - duration-us: a duration (`0.1ms`, `250us`, or a bare number of milliseconds) → integer µs;
 * - bytes-per-sec: a rate in bytes (`330MB/s`, `2GB/s`);
 * - bits-per-sec: a bandwidth (`23Gbps`, `100Mbps`);
 * - per-sec: a count per second (`500000/s` or a bare number);
 * - boolean: true or false.
 */
export type ParamUnit = "duration-us" | "bytes-per-sec" | "bits-per-sec" | "per-sec" | "boolean";

export interface ParamSpec<F extends string> {
  /** The user-facing name in scenario files. */
  readonly key: string;
  /** The profile field it sets. */
  readonly field: F;
  readonly unit: ParamUnit;
  readonly doc: string;
}

/** Overridable disk parameters, scenario key ↔ profile field. `profile` itself is not here. */
export const DISK_PARAMS: readonly ParamSpec<DiskParamField>[] = [
  {
    key: "read-bandwidth",
    field: "readBandwidthBytesPerSec",
    unit: "bytes-per-sec",
    doc: "sustained sequential read rate",
  },
  {
    key: "write-bandwidth",
    field: "writeBandwidthBytesPerSec",
    unit: "bytes-per-sec",
    doc: "sustained sequential write rate",
  },
  {
    key: "seek",
    field: "avgSeekUs",
    unit: "duration-us",
    doc: "positioning time of an access that does not continue the previous one (any kind)",
  },
  {
    key: "rotational-latency",
    field: "rotationalLatencyUs",
    unit: "duration-us",
    doc: "average wait for the sector to come under the head, paid with the seek",
  },
  {
    key: "access-latency",
    field: "accessLatencyUs",
    unit: "duration-us",
    doc: "latency of every command (flash: one read at queue depth 1)",
  },
  {
    key: "read-iops",
    field: "readIops",
    unit: "per-sec",
    doc: "random reads per second at a deep queue (flash issue rate; informative for hdd)",
  },
  {
    key: "write-iops",
    field: "writeIops",
    unit: "per-sec",
    doc: "random writes per second at a deep queue (flash issue rate; informative for hdd)",
  },
  {
    key: "fsync",
    field: "fsyncUs",
    unit: "duration-us",
    doc: "cost of an fsync after the file's writes are done",
  },
];

/** Overridable NIC parameters. */
export const NIC_PARAMS: readonly ParamSpec<NicParamField>[] = [
  {
    key: "bandwidth",
    field: "bandwidthBitsPerSec",
    unit: "bits-per-sec",
    doc: "rate per direction (full duplex)",
  },
  {
    key: "scatter-gather",
    field: "scatterGatherDma",
    unit: "boolean",
    doc: "the NIC can send from page-cache pages directly (sendfile zero copy)",
  },
];

export type DiskOverrides = Partial<Record<DiskParamField, number>>;
export type NicOverrides = { bandwidthBitsPerSec?: number; scatterGatherDma?: boolean };

/**
 * A profile with some parameters replaced. Overridden fields get the source "set by the
 * scenario". Returns the problems instead of throwing: a bad value is a user error, which the
 * loader reports with a location. Check `problems.length === 0` before using `profile`.
 */
export function withDiskOverrides(
  base: DiskProfile,
  overrides: DiskOverrides,
): { profile: DiskProfile; problems: string[] } {
  const sources: Record<DiskParamField, string> = { ...base.sources };
  const fields: Record<DiskParamField, number> = {
    readBandwidthBytesPerSec: base.readBandwidthBytesPerSec,
    writeBandwidthBytesPerSec: base.writeBandwidthBytesPerSec,
    avgSeekUs: base.avgSeekUs,
    rotationalLatencyUs: base.rotationalLatencyUs,
    accessLatencyUs: base.accessLatencyUs,
    readIops: base.readIops,
    writeIops: base.writeIops,
    fsyncUs: base.fsyncUs,
  };
  for (const spec of DISK_PARAMS) {
    const value = overrides[spec.field];
    if (value !== undefined) {
      fields[spec.field] = value;
      sources[spec.field] = "set by the scenario";
    }
  }
  const profile: DiskProfile = { ...base, ...fields, sources };
  return { profile, problems: diskProfileProblems(profile) };
}

export function withNicOverrides(
  base: NicProfile,
  overrides: NicOverrides,
): { profile: NicProfile; problems: string[] } {
  const sources: Record<NicParamField, string> = { ...base.sources };
  let bandwidthBitsPerSec = base.bandwidthBitsPerSec;
  let scatterGatherDma = base.scatterGatherDma;
  if (overrides.bandwidthBitsPerSec !== undefined) {
    bandwidthBitsPerSec = overrides.bandwidthBitsPerSec;
    sources.bandwidthBitsPerSec = "set by the scenario";
  }
  if (overrides.scatterGatherDma !== undefined) {
    scatterGatherDma = overrides.scatterGatherDma;
    sources.scatterGatherDma = "set by the scenario";
  }
  const profile: NicProfile = { ...base, bandwidthBitsPerSec, scatterGatherDma, sources };
  return { profile, problems: nicProfileProblems(profile) };
}

/** Everything wrong with a disk profile's numbers, by scenario key; empty when it is usable. */
export function diskProfileProblems(p: DiskProfile): string[] {
  const problems: string[] = [];
  for (const spec of DISK_PARAMS) {
    const v = p[spec.field];
    if (spec.unit === "duration-us") {
      if (!Number.isSafeInteger(v) || v < 0) {
        problems.push(`${spec.key} must be a whole number of µs ≥ 0, got ${v}`);
      }
    } else if (!Number.isFinite(v) || v <= 0) {
      problems.push(`${spec.key} must be a positive number, got ${v}`);
    }
  }
  return problems;
}

export function nicProfileProblems(p: NicProfile): string[] {
  const problems: string[] = [];
  if (!Number.isFinite(p.bandwidthBitsPerSec) || p.bandwidthBitsPerSec <= 0) {
    problems.push(`bandwidth must be a positive number, got ${p.bandwidthBitsPerSec}`);
  }
  return problems;
}

export function isDiskKind(name: string): name is DiskKind {
  return (DISK_KINDS as readonly string[]).includes(name);
}

export function isNicProfileName(name: string): name is NicProfileName {
  return (NIC_PROFILE_NAMES as readonly string[]).includes(name);
}

/**
 * µs to move `bytes` at `bytesPerSec`, rounded up once: ceil(bytes × 1e6 / rate). Division is
 * correctly rounded in IEEE 754, so the result is the same on every engine.
 */
export function transferUs(bytes: number, bytesPerSec: number): number {
  return Math.ceil((bytes * 1e6) / bytesPerSec);
}
