/**
 * The transactional producer's configuration: transactional.id turns idempotence on, an explicit
 * enable.idempotence=false (or, from 3.2, a conflict that turns default idempotence off) is
 * Kafka's ConfigException, and transaction.timeout.ms defaults to 60000.
 */
import { describe, expect, it } from "vitest";
import {
  ConfigException,
  resolveProducerSettings,
} from "../../sim/client/producer/producer-config.ts";

describe("producer config: transactional.id", () => {
  it("implies idempotence, in versions where it is off by default too", () => {
    for (const version of ["2.8", "3.7"] as const) {
      const s = resolveProducerSettings(version, { "transactional.id": "tx-1" });
      expect(s["transactional.id"]).toBe("tx-1");
      expect(s.idempotence).toBe(true);
      expect(s.acks).toBe(-1);
      expect(s["transaction.timeout.ms"]).toBe(60_000);
    }
  });

  it("reads transaction.timeout.ms", () => {
    const s = resolveProducerSettings("3.7", {
      "transactional.id": "tx-1",
      "transaction.timeout.ms": 10_000,
    });
    expect(s["transaction.timeout.ms"]).toBe(10_000);
  });

  it("refuses an explicit enable.idempotence=false", () => {
    expect(() =>
      resolveProducerSettings("3.7", { "transactional.id": "tx-1", "enable.idempotence": false }),
    ).toThrow(ConfigException);
    expect(() =>
      resolveProducerSettings("3.7", { "transactional.id": "tx-1", "enable.idempotence": false }),
    ).toThrow("Cannot set a transactional.id without also enabling idempotence.");
  });

  it("3.2+: acks=1 with an unset enable.idempotence is refused for a transactional producer", () => {
    expect(() => resolveProducerSettings("3.7", { "transactional.id": "tx-1", acks: "1" })).toThrow(
      "Cannot set a transactional.id without also enabling idempotence.",
    );
  });

  it("leaves a producer without transactional.id non-transactional", () => {
    const s = resolveProducerSettings("3.7", {});
    expect(s["transactional.id"]).toBeNull();
  });
});
