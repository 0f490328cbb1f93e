// consumer: positions: auto.offset.reset earliest/latest/none for each reason a reset is needed,
// KIP-320 validation against the leader's end offset for the position's epoch, the leader changes
// that send a position to validation, and what an auto commit sends (allConsumed).
import { describe, expect, it } from "vitest";
import { decideReset, Positions, validatePosition } from "../../sim/client/consumer/positions.ts";

describe("consumer: auto.offset.reset", () => {
  it("earliest and latest look up that end of the log whatever the reason", () => {
    for (const why of ["no-committed-offset", "out-of-range", "truncation"] as const) {
      expect(decideReset("earliest", why)).toEqual({ kind: "list-offsets", strategy: "earliest" });
      expect(decideReset("latest", why)).toEqual({ kind: "list-offsets", strategy: "latest" });
    }
  });

  it("none throws the exception Kafka throws for the reason", () => {
    expect(decideReset("none", "no-committed-offset")).toEqual({
      kind: "throw",
      exception: "NoOffsetForPartitionException",
    });
    expect(decideReset("none", "out-of-range")).toEqual({
      kind: "throw",
      exception: "OffsetOutOfRangeException",
    });
    expect(decideReset("none", "truncation")).toEqual({
      kind: "throw",
      exception: "LogTruncationException",
    });
  });
});

describe("consumer: KIP-320 position validation", () => {
  it("an end offset at or above the position is valid", () => {
    expect(validatePosition(150, { leaderEpoch: 0, endOffset: 150 }, "latest")).toEqual({
      kind: "valid",
    });
    expect(validatePosition(150, { leaderEpoch: 1, endOffset: 400 }, "none")).toEqual({
      kind: "valid",
    });
  });

  it("S7: epoch 0 ended at 100 on the new leader, position 150: back to 100, or throw with none", () => {
    expect(validatePosition(150, { leaderEpoch: 0, endOffset: 100 }, "latest")).toEqual({
      kind: "truncated",
      offset: 100,
      epoch: 0,
    });
    expect(validatePosition(150, { leaderEpoch: 0, endOffset: 100 }, "none")).toEqual({
      kind: "throw",
      divergentOffset: 100,
    });
  });

  it("an undefined answer (epoch or offset -1) asks for a reset", () => {
    expect(validatePosition(150, { leaderEpoch: -1, endOffset: -1 }, "earliest")).toEqual({
      kind: "undefined",
    });
  });
});

describe("consumer: positions", () => {
  it("a new leader or epoch sends a position with a known epoch to validation (2.1+ only)", () => {
    const positions = new Positions();
    positions.add([{ topic: "t", partition: 0 }]);
    const p = positions.get("t", 0)!;
    // The first leader we learn is not a change.
    expect(positions.leaderChanged(p, 1, 0, true)).toBe(false);
    positions.seek(p, 150, 0, true);
    // Epoch known and a leader known: a seek with an epoch validates first (a committed offset).
    expect(p.state).toBe("awaiting-validation");
    p.state = "fetching";
    expect(positions.leaderChanged(p, 1, 0, true)).toBe(false); // same leader and epoch
    expect(positions.leaderChanged(p, 2, 1, true)).toBe(true);
    expect(p.state).toBe("awaiting-validation");
    p.state = "fetching";
    expect(positions.leaderChanged(p, 1, 2, false)).toBe(false); // before KIP-320: never
    expect(p.state).toBe("fetching");
    // A position without an epoch (a plain seek) is not validated either.
    positions.seek(p, 10, -1, true);
    expect(positions.leaderChanged(p, 3, 3, true)).toBe(false);
  });

  it("allConsumed lists only partitions being fetched, with their positions and epochs", () => {
    const positions = new Positions();
    positions.add([
      { topic: "t", partition: 1 },
      { topic: "t", partition: 0 },
      { topic: "s", partition: 0 },
    ]);
    positions.seek(positions.get("t", 1)!, 42, 3, false);
    positions.seek(positions.get("s", 0)!, 7, -1, false);
    positions.requestReset(positions.get("s", 0)!, "out-of-range");
    expect(positions.allConsumed()).toEqual([
      { topic: "t", partition: 1, offset: 42, leaderEpoch: 3 },
    ]);
  });
});
