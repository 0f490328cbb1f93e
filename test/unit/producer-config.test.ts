// clients: producer: configuration rules (S11): an explicit enable.idempotence=true with a
// conflicting acks, retries or max.in.flight is a ConfigException with Kafka's message; left unset
// (3.2+), the conflict silently turns idempotence off; before 3.0.1 the default is off.
import { describe, expect, it } from "vitest";
import {
  ConfigException,
  resolveProducerSettings,
} from "../../sim/client/producer/producer-config.ts";

describe("clients: producer config: S11 explicit enable.idempotence=true", () => {
  const cases: Array<[Record<string, unknown>, string]> = [
    [
      { acks: "1" },
      "Must set acks to all in order to use the idempotent producer. Otherwise we cannot guarantee idempotence.",
    ],
    [{ retries: 0 }, "Must set retries to non-zero when using the idempotent producer."],
    [
      { "max.in.flight.requests.per.connection": 6 },
      "Must set max.in.flight.requests.per.connection to at most 5 to use the idempotent producer.",
    ],
  ];
  for (const [conflict, message] of cases) {
    it(`throws for ${JSON.stringify(conflict)}`, () => {
      const make = () =>
        resolveProducerSettings("4.1", { "enable.idempotence": true, ...conflict });
      expect(make).toThrow(ConfigException);
      expect(make).toThrow(message);
    });
  }

  it("checks retries before acks, as Kafka does", () => {
    expect(() =>
      resolveProducerSettings("3.6", { "enable.idempotence": "true", acks: "0", retries: 0 }),
    ).toThrow("Must set retries to non-zero");
  });
});

describe("clients: producer config: S11 enable.idempotence left unset (3.2+)", () => {
  for (const conflict of [
    { acks: "1" },
    { acks: "0" },
    { retries: 0 },
    { "max.in.flight.requests.per.connection": 6 },
  ]) {
    it(`turns idempotence off silently for ${JSON.stringify(conflict)}`, () => {
      const s = resolveProducerSettings("3.2", conflict);
      expect(s.idempotence).toBe(false);
      expect(s.notes.join(" ")).toContain("Idempotence will be disabled");
    });
  }

  it("is on by default from 3.2, with acks=all", () => {
    const s = resolveProducerSettings("4.1", {});
    expect(s.idempotence).toBe(true);
    expect(s.acks).toBe(-1);
  });
});

describe("clients: producer config: version defaults", () => {
  it("has idempotence off by default in 2.8, 3.0 and 3.1 (KAFKA-13598), on in 3.2", () => {
    expect(resolveProducerSettings("2.8", {}).idempotence).toBe(false);
    expect(resolveProducerSettings("3.0", {}).idempotence).toBe(false);
    expect(resolveProducerSettings("3.1", {}).idempotence).toBe(false);
    expect(resolveProducerSettings("3.2", {}).idempotence).toBe(true);
  });

  it("has no idempotence before 0.11, even when asked", () => {
    expect(resolveProducerSettings("0.10", {}).idempotence).toBe(false);
  });

  it("before 3.2 an explicit true overrides an unset acks (1 in 2.8) to all", () => {
    const s = resolveProducerSettings("2.8", { "enable.idempotence": true });
    expect(s.idempotence).toBe(true);
    expect(s.acks).toBe(-1);
    expect(() => resolveProducerSettings("2.8", { "enable.idempotence": true, acks: "1" })).toThrow(
      "Must set acks to all",
    );
  });

  it("takes linger.ms 0 up to 3.9 and 5 from 4.0 (KIP-1030)", () => {
    expect(resolveProducerSettings("3.9", {})["linger.ms"]).toBe(0);
    expect(resolveProducerSettings("4.0", {})["linger.ms"]).toBe(5);
  });

  it("uses a constant backoff before 3.7 (no retry.backoff.max.ms)", () => {
    expect(resolveProducerSettings("3.6", {})["retry.backoff.max.ms"]).toBe(100);
    expect(resolveProducerSettings("3.7", {})["retry.backoff.max.ms"]).toBe(1000);
  });
});

describe("clients: producer config: delivery.timeout.ms", () => {
  it("before 2.1 it is a bound no run reaches, whose deadlines stay safe integers of µs", () => {
    // A batch created 100 years into a run still has a deadline the engine can schedule.
    const ms = resolveProducerSettings("0.10", {})["delivery.timeout.ms"];
    expect(ms).toBeGreaterThanOrEqual(365 * 24 * 3600 * 1000);
    expect(Number.isSafeInteger(100 * 365 * 24 * 3600 * 1_000_000 + ms * 1000)).toBe(true);
  });

  it("refuses an explicit value below linger.ms + request.timeout.ms", () => {
    expect(() =>
      resolveProducerSettings("4.1", { "delivery.timeout.ms": 1000, "request.timeout.ms": 2000 }),
    ).toThrow(ConfigException);
  });

  it("raises the default silently: 120000 < 5 + 200000", () => {
    const s = resolveProducerSettings("4.1", { "request.timeout.ms": 200000 });
    expect(s["delivery.timeout.ms"]).toBe(200005);
  });

  it("refuses a bad value of a config with the definition's message", () => {
    expect(() => resolveProducerSettings("4.1", { acks: "2" })).toThrow(ConfigException);
  });
});
