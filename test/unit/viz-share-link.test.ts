// viz: share links: the hash round-trips a bundled file's name or any text (UTF-8 included), the
// seed and the time; a hash without a scenario, or a broken one, opens nothing.
import { describe, expect, it } from "vitest";
import { decodeShare, encodeShare } from "../../viz/share-link.ts";

describe("viz: share links", () => {
  it("viz: share links: a bundled file, seed and time round-trip", () => {
    const hash = encodeShare({ file: "leader-failover.yaml", seed: 7, timeUs: 14_000_000 });
    expect(hash).toBe("#file=leader-failover.yaml&seed=7&t=14000000");
    expect(decodeShare(hash)).toEqual({
      file: "leader-failover.yaml",
      seed: 7,
      timeUs: 14_000_000,
    });
  });

  it("viz: share links: any text round-trips, non-ASCII and URL-unsafe characters included", () => {
    const text = "name: «crash» & <b>not html</b> + / = ?\ntimeline: []\n";
    const hash = encodeShare({ text, timeUs: 1 });
    expect(new URLSearchParams(hash.slice(1)).get("text")).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeShare(hash)).toEqual({ text, timeUs: 1 });
  });

  it("viz: share links: no scenario or a broken value opens nothing", () => {
    expect(decodeShare("")).toBeUndefined();
    expect(decodeShare("#t=5")).toBeUndefined();
    expect(decodeShare("#file=x.yaml&t=1.5")).toBeUndefined();
    expect(decodeShare("#text=%%%&t=1")).toBeUndefined();
  });
});
