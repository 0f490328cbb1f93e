// Host: a process crash keeps the machine's page cache (dirty pages are still written back), a
// power loss drops it and loses every page not yet on disk.
import { describe, expect, it } from "vitest";
import { Engine } from "../../sim/engine/engine.ts";
import { DISK_PROFILES, NIC_PROFILES } from "../../sim/infra/hardware.ts";
import { Host } from "../../sim/infra/host.ts";
import { Network } from "../../sim/infra/network.ts";

function machine() {
  const engine = new Engine({ seed: 1 });
  const network = new Network(engine, { defaultLatencyUs: 100, jitterUs: 0 });
  // The node's process: it only counts the events it receives, besides its start.
  const received: string[] = [];
  engine.register({ id: "a", handle: (e) => void received.push(e.kind) });
  const host = new Host(engine, network, {
    name: "a",
    disks: [DISK_PROFILES.ssd],
    nic: NIC_PROFILES["10GbE"],
    memoryBytes: 1024 ** 3,
    cores: 4,
  });
  host.boot();
  return { engine, host, received };
}

describe("infra: host: crash modes", () => {
  it("keeps dirty pages through a process crash and writes them back later", () => {
    const { engine, host } = machine();
    expect(host.write("log", 0, 0, 1 << 20).ok).toBe(true);
    expect(host.dirtyRanges("log")).toHaveLength(1);
    host.crash("process");
    expect(host.state).toBe("process-crashed");
    // The OS flusher writes pages dirty for 30 s at its 5 s ticks: by t=35 s they are on disk.
    engine.runUntil(35_000_000);
    expect(host.dirtyRanges("log")).toHaveLength(0);
    expect(host.firstLostByte("log")).toBeUndefined();
  });

  it("loses exactly the unflushed pages on power loss", () => {
    const { engine, host } = machine();
    host.write("log", 0, 0, 8192); // pages 0-1, written back at the t=30 s tick
    engine.runUntil(31_000_000);
    expect(host.dirtyRanges("log")).toHaveLength(0);
    host.write("log", 0, 8192, 4096); // page 2, dirty
    host.crash("power");
    expect(host.state).toBe("powered-off");
    expect(host.firstLostByte("log")).toBe(8192);
    expect(host.pageCache.stats.cachedBytes).toBe(0);
    host.restart();
    expect(host.state).toBe("up");
    // A read after the restart misses: the cache came back empty.
    const read = host.read("log", 0, 0, 4096);
    expect(read.ok && read.missBytes).toBe(4096);
  });

  it("drops the crashed process's pending events but not the OS flusher's", () => {
    const { engine, host, received } = machine();
    engine.runUntil(1);
    expect(received).toEqual(["process.start"]);
    engine.schedule(1_000, "a", "tick", null);
    host.write("log", 0, 0, 4096);
    host.crash("process");
    engine.runUntil(40_000_000);
    expect(received).toEqual(["process.start"]);
    // The flusher survived the process: the dirty page reached the disk.
    expect(host.dirtyRanges("log")).toHaveLength(0);
    host.restart();
    engine.runUntil(40_000_001);
    expect(received).toEqual(["process.start", "process.start"]);
  });

  it("reports disk errors to the writer", () => {
    const { host } = machine();
    host.disk(0).fail();
    const w = host.write("log", 0, 0, 4096);
    expect(w.ok).toBe(false);
    expect(!w.ok && w.error).toBe("EIO");
  });
});

describe("infra: host: a power loss after a process crash", () => {
  it("drops the page cache of a machine whose process had already crashed", () => {
    const { host } = machine();
    host.write("log", 0, 0, 4096);
    host.crash("process");
    host.crash("power");
    expect(host.state).toBe("powered-off");
    expect(host.firstLostByte("log")).toBe(0);
  });
});

describe("infra: host: reads", () => {
  it("a tailing reader of cached data reads nothing from the disk, not even readahead past EOF", () => {
    const tail = (withSize: boolean) => {
      const { host } = machine();
      // A log segment of 64 KiB written and still cached; the reader follows it to its end.
      expect(host.write("seg", 0, 0, 64 * 1024).ok).toBe(true);
      for (let off = 0; off < 64 * 1024; off += 8 * 1024) {
        const r = host.read("seg", 0, off, 8 * 1024, withSize ? 64 * 1024 : undefined);
        expect(r.ok && r.missBytes).toBe(0);
      }
      return host.disk(0).stats.bytesRead;
    };
    expect(tail(true)).toBe(0);
    // Without the file's size, the cache reads ahead into pages the file does not have.
    expect(tail(false)).toBeGreaterThan(0);
  });
});
