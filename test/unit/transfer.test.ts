import { describe, expect, it } from "vitest";
import { SimAssertionError } from "../../sim/engine/assert.ts";
import {
  AES_GCM_PS_PER_BYTE,
  MEMCPY_PS_PER_BYTE,
  MODE_SWITCH_PS,
  TRANSFER_PATHS,
  transferCost,
  transferPath,
} from "../../sim/infra/transfer.ts";

const KIB = 1024;

describe("infra: transfer: the classic counts", () => {
  // The constants behind the hand-computed CPU times below.
  it("uses the documented per-byte and per-switch constants", () => {
    expect([MEMCPY_PS_PER_BYTE, AES_GCM_PS_PER_BYTE, MODE_SWITCH_PS]).toEqual([100, 180, 150_000]);
  });

  it("read + write: 4 copies, 2 by the CPU, 4 context switches per chunk", () => {
    // 64 KiB, one chunk. CPU: 2 copies × 65,536 B × 100 ps + 4 switches × 150,000 ps
    // = 13,107,200 + 600,000 = 13,707,200 ps = 13.7 us, rounded up to 14.
    expect(transferCost("copy", 64 * KIB, { nicGather: true })).toEqual({
      calls: 1,
      dmaCopies: 2,
      cpuCopies: 2,
      contextSwitches: 4,
      cpuBytesCopied: 131_072,
      cpuBytesEncrypted: 0,
      cpuUs: 14,
    });
  });

  it("sendfile with a gather-capable NIC: 2 switches, 2 DMA copies, no CPU copy", () => {
    // CPU: 2 switches × 150,000 ps = 0.3 us, rounded up to 1.
    expect(transferCost("sendfile", 64 * KIB, { nicGather: true })).toEqual({
      calls: 1,
      dmaCopies: 2,
      cpuCopies: 0,
      contextSwitches: 2,
      cpuBytesCopied: 0,
      cpuBytesEncrypted: 0,
      cpuUs: 1,
    });
  });

  it("sendfile without gather: 3 copies, 1 by the CPU", () => {
    // CPU: 65,536 B × 100 ps + 2 × 150,000 ps = 6,853,600 ps, rounded up to 7 us.
    const cost = transferCost("sendfile", 64 * KIB, { nicGather: false });
    expect(cost.dmaCopies + cost.cpuCopies).toBe(3);
    expect(cost.cpuCopies).toBe(1);
    expect(cost.contextSwitches).toBe(2);
    expect(cost.cpuUs).toBe(7);
  });

  it("TLS turns zero-copy off: copy-mode counts plus encryption, whatever the NIC", () => {
    // CPU: 13,107,200 (two copies) + 65,536 × 180 = 11,796,480 (AES-GCM) + 600,000 (4 switches)
    // = 25,503,680 ps, rounded up to 26 us.
    const withGather = transferCost("tls", 64 * KIB, { nicGather: true });
    expect(withGather).toEqual(transferCost("tls", 64 * KIB, { nicGather: false }));
    expect(withGather).toEqual({
      calls: 1,
      dmaCopies: 2,
      cpuCopies: 2,
      contextSwitches: 4,
      cpuBytesCopied: 131_072,
      cpuBytesEncrypted: 65_536,
      cpuUs: 26,
    });
  });
});

describe("infra: transfer: chunks and options", () => {
  it("copy mode makes one read + write pair per chunk", () => {
    // 1 MiB in 64 KiB chunks: 16 pairs, 64 switches, 32 CPU copies, 32 DMA copies.
    // CPU: 2 × 1,048,576 × 100 + 64 × 150,000 = 209,715,200 + 9,600,000 ps = 219.3 us → 220.
    const cost = transferCost("copy", 1024 * KIB, { nicGather: false });
    expect(cost).toMatchObject({ calls: 16, contextSwitches: 64, cpuCopies: 32, dmaCopies: 32 });
    expect(cost.cpuUs).toBe(220);
  });

  it("a partial last chunk is one more call", () => {
    // 100 KiB in 64 KiB chunks: 2 calls; 8 switches.
    expect(transferCost("copy", 100 * KIB, { nicGather: false }).contextSwitches).toBe(8);
    // sendfile of 1 MiB one 256 KiB chunk at a time: 4 calls, 8 switches.
    const sf = transferCost("sendfile", 1024 * KIB, { nicGather: true, chunkBytes: 256 * KIB });
    expect([sf.calls, sf.contextSwitches]).toEqual([4, 8]);
  });

  it("data already in the page cache skips the disk DMA", () => {
    const cost = transferCost("sendfile", 64 * KIB, { nicGather: true, fromPageCache: true });
    expect([cost.dmaCopies, cost.cpuCopies]).toEqual([1, 0]);
  });

  it("nothing to send costs nothing", () => {
    expect(transferCost("copy", 0, { nicGather: false })).toMatchObject({
      calls: 0,
      contextSwitches: 0,
      cpuUs: 0,
    });
  });

  it("rejects sizes that are not whole non-negative numbers", () => {
    expect(() => transferCost("copy", -1, { nicGather: false })).toThrow(SimAssertionError);
    expect(() => transferCost("copy", 1.5, { nicGather: false })).toThrow(SimAssertionError);
    expect(() => transferCost("copy", 10, { nicGather: false, chunkBytes: 0 })).toThrow(
      SimAssertionError,
    );
  });
});

describe("infra: transfer: the per-mode table", () => {
  it("holds the classic analysis: 4/2/4 for read+write, 2 switches for sendfile", () => {
    const rows = TRANSFER_PATHS.map((p) => [
      p.mode,
      p.nicGather,
      p.dmaCopiesPerChunk + p.cpuCopiesPerChunk,
      p.cpuCopiesPerChunk,
      p.contextSwitchesPerChunk,
      p.encrypts,
    ]);
    expect(rows).toEqual([
      ["copy", false, 4, 2, 4, false],
      ["sendfile", false, 3, 1, 2, false],
      ["sendfile", true, 2, 0, 2, false],
      ["tls", false, 4, 2, 4, true],
    ]);
    expect(transferPath("copy", true)).toBe(TRANSFER_PATHS[0]);
  });
});
