import { describe, expect, it } from "vitest";
import { CONFIG_DEFS, configDef, existsIn } from "../../sim/kafka/config-defs.ts";
import {
  compareVersions,
  DEFAULT_CHANGES,
  DEFAULT_VERSION,
  KAFKA_VERSIONS,
  type KafkaVersion,
  parseVersion,
  versionAtLeast,
  versionProfile,
} from "../../sim/kafka/version.ts";

describe("version: profiles", () => {
  it("version: list: holds the releases the brief asks for, and 4.1 is the default", () => {
    const required: KafkaVersion[] = [
      "4.1",
      "4.0",
      "3.9",
      "3.7",
      "3.6",
      "3.3",
      "2.8",
      "2.4",
      "2.0",
      "1.1",
      "0.11",
      "0.10",
    ];
    for (const v of required) expect(KAFKA_VERSIONS).toContain(v);
    expect(DEFAULT_VERSION).toBe("4.1");
    for (const v of KAFKA_VERSIONS) expect(versionProfile(v).version).toBe(v);
  });

  it("version: truncation: hw before 0.11, KIP-101 to 1.1, KIP-279 to 2.6, diverging epoch from 2.7", () => {
    expect(versionProfile("0.10").truncation).toBe("hw");
    expect(versionProfile("0.11").truncation).toBe("kip101");
    expect(versionProfile("1.1").truncation).toBe("kip101");
    expect(versionProfile("2.0").truncation).toBe("kip279");
    expect(versionProfile("2.6").truncation).toBe("kip279");
    expect(versionProfile("2.7").truncation).toBe("diverging-epoch");
    expect(versionProfile("4.1").truncation).toBe("diverging-epoch");
  });

  it("version: replication flags change at their releases", () => {
    expect(versionProfile("2.6").alterPartition).toBe(false);
    expect(versionProfile("2.7").alterPartition).toBe(true);
    expect(versionProfile("2.0").kip320).toBe(false);
    expect(versionProfile("2.1").kip320).toBe(true);
    expect(versionProfile("3.6").minIsrHwGate).toBe(false);
    expect(versionProfile("3.7").minIsrHwGate).toBe(true);
    // KAFKA-15021: the leader epoch stops moving on ISR shrink from metadata version 3.6.
    expect(versionProfile("3.5").leaderEpochBumpOnIsrShrink).toBe(true);
    expect(versionProfile("3.6").leaderEpochBumpOnIsrShrink).toBe(false);
    expect(versionProfile("3.8").kraftUncleanElectionConfig).toBe(false);
    expect(versionProfile("3.9").kraftUncleanElectionConfig).toBe(true);
  });

  it("version: ELR: code from 3.7, printed from 3.8, opt-in in 4.0, on by default in 4.1", () => {
    const flags = (v: KafkaVersion) => {
      const p = versionProfile(v);
      return [p.elrAvailable, p.elrDefaultEnabled, p.describePrintsElr];
    };
    expect(flags("3.6")).toEqual([false, false, false]);
    expect(flags("3.7")).toEqual([true, false, false]);
    expect(flags("3.8")).toEqual([true, false, true]);
    expect(flags("4.0")).toEqual([true, false, true]);
    expect(flags("4.1")).toEqual([true, true, true]);
  });

  it("version: modes: ZooKeeper only before 3.3, both with KRaft default to 3.9, KRaft only from 4.0", () => {
    expect(versionProfile("2.8").modes).toEqual(["zookeeper"]);
    expect(versionProfile("2.8").defaultMode).toBe("zookeeper");
    expect(versionProfile("3.3").modes).toEqual(["kraft", "zookeeper"]);
    expect(versionProfile("3.3").defaultMode).toBe("kraft");
    expect(versionProfile("3.9").modes).toEqual(["kraft", "zookeeper"]);
    expect(versionProfile("4.0").modes).toEqual(["kraft"]);
  });

  it("version: clients: partitioner, idempotence default, KIP-848 and KIP-890", () => {
    expect(versionProfile("2.3").partitioner).toBe("round-robin");
    expect(versionProfile("2.4").partitioner).toBe("sticky-kip480");
    expect(versionProfile("3.2").partitioner).toBe("sticky-kip480");
    expect(versionProfile("3.3").partitioner).toBe("uniform-sticky-kip794");
    // KAFKA-13598: the 3.0.0 and 3.1.0 producers were not idempotent by default.
    expect(versionProfile("2.8").idempotenceDefault).toBe(false);
    expect(versionProfile("3.0").idempotenceDefault).toBe(false);
    expect(versionProfile("3.1").idempotenceDefault).toBe(false);
    expect(versionProfile("3.2").idempotenceDefault).toBe(true);
    expect(versionProfile("0.10").idempotenceAvailable).toBe(false);
    expect(versionProfile("0.11").idempotenceAvailable).toBe(true);
    expect(versionProfile("3.6").consumerProtocolAvailable).toBe(false);
    expect(versionProfile("3.7").consumerProtocol).toBe("early-access");
    expect(versionProfile("3.7").consumerProtocolAvailable).toBe(true);
    expect(versionProfile("4.0").consumerProtocol).toBe("ga");
    expect(versionProfile("3.5").kip890).toBe("none");
    expect(versionProfile("3.6").kip890).toBe("verification");
    expect(versionProfile("4.0").kip890).toBe("tv2");
  });

  it("version: 0.10 stands for 0.10.2, the others for x.y.0", () => {
    expect(versionProfile("0.10").release).toBe("0.10.2");
    expect(versionProfile("3.6").release).toBe("3.6.0");
  });

  it("version: profiles are frozen, so no actor can change another's defaults", () => {
    const profile = versionProfile("2.8") as { truncation: string };
    expect(() => {
      profile.truncation = "hw";
    }).toThrow(TypeError);
    const overrides = versionProfile("2.8").defaultOverrides.producer as Record<string, unknown>;
    expect(() => {
      overrides.acks = "all";
    }).toThrow(TypeError);
  });
});

describe("version: default changes", () => {
  it("version: overrides: the newest release has none", () => {
    const o = versionProfile("4.1").defaultOverrides;
    expect([o.broker, o.topic, o.producer, o.consumer]).toEqual([{}, {}, {}, {}]);
  });

  it("version: overrides: 2.4 has the pre-2.5 replication and pre-3.0 client defaults", () => {
    const o = versionProfile("2.4").defaultOverrides;
    expect(o.broker["replica.lag.time.max.ms"]).toBe(10000);
    expect(o.broker["zookeeper.session.timeout.ms"]).toBe(6000);
    expect(o.producer.acks).toBe("1");
    expect(o.producer["linger.ms"]).toBe(0);
    expect(o.consumer["session.timeout.ms"]).toBe(10000);
    // retries went to MAX_VALUE in 2.1, so 2.4 no longer overrides it.
    expect("retries" in o.producer).toBe(false);
  });

  it("version: overrides only name configs that exist in that release", () => {
    for (const v of KAFKA_VERSIONS) {
      const overrides = versionProfile(v).defaultOverrides;
      for (const kind of ["broker", "topic", "producer", "consumer"] as const) {
        for (const name of Object.keys(overrides[kind])) {
          const def = configDef(kind, name);
          expect(def, `${kind} ${name}`).toBeDefined();
          expect(existsIn(def!, v), `${kind} ${name} in ${v}`).toBe(true);
        }
      }
    }
  });

  it("version: every change names a defined config and differs from the value after it", () => {
    for (const change of DEFAULT_CHANGES) {
      const def = CONFIG_DEFS[change.kind].find((d) => d.name === change.name);
      expect(def, `${change.kind} ${change.name}`).toBeDefined();
      const after = versionProfile(change.changedIn).defaultOverrides[change.kind][change.name];
      expect(change.before).not.toEqual(after ?? def!.default);
    }
  });
});

describe("version: order", () => {
  it("version: compareVersions agrees with numeric (major, minor) for every pair", () => {
    const numeric = (v: string) => {
      const [major, minor] = v.split(".").map(Number);
      return major! * 1000 + minor!;
    };
    for (const a of KAFKA_VERSIONS) {
      for (const b of KAFKA_VERSIONS) {
        expect(Math.sign(compareVersions(a, b))).toBe(Math.sign(numeric(a) - numeric(b)));
      }
    }
    // String comparison would get this one wrong ("0.10" < "0.9"); 0.9 is not modelled, but
    // 0.11 after 0.10 and 1.0 after 0.11 must hold.
    expect(compareVersions("0.11", "0.10")).toBeGreaterThan(0);
    expect(versionAtLeast("1.0", "0.11")).toBe(true);
    expect(versionAtLeast("3.9", "4.0")).toBe(false);
  });
});

describe("version: parseVersion", () => {
  it("version: parse: accepts major.minor, a v prefix, spaces and YAML numbers", () => {
    for (const input of ["3.6", " 3.6 ", "v3.6", 3.6]) {
      const result = parseVersion(input);
      expect(result.ok && result.version).toBe("3.6");
    }
    const four = parseVersion(4);
    expect(four.ok && four.version).toBe("4.0");
  });

  it("version: parse: a patch release selects its line, with a note", () => {
    const result = parseVersion("3.0.1");
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.version).toBe("3.0");
    expect(result.note).toContain("3.0.0");
  });

  it("version: parse: YAML's 0.1 (an unquoted 0.10) is explained", () => {
    const result = parseVersion(0.1);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.suggestion).toBe("0.10");
    expect(result.error).toContain('"0.10"');
  });

  it("version: parse: unknown versions name the nearest modelled ones", () => {
    const between = parseVersion("3.10");
    expect(between.ok).toBe(false);
    if (between.ok) return;
    expect(between.suggestion).toBe("3.9");
    expect(between.error).toContain("4.0");
    const gap = parseVersion("2.9");
    expect(!gap.ok && gap.suggestion).toBe("2.8");
    expect(!gap.ok && gap.error).toContain("3.0");
    const newer = parseVersion("5.0");
    expect(!newer.ok && newer.suggestion).toBe("4.1");
    const older = parseVersion("0.9");
    expect(!older.ok && older.suggestion).toBe("0.10");
  });

  it("version: parse: text that is no version at all gets no suggestion", () => {
    for (const input of ["latest", "", "3", "3.6.1.2"]) {
      const result = parseVersion(input);
      expect(result.ok).toBe(false);
      if (result.ok) continue;
      expect(result.suggestion).toBeUndefined();
      expect(result.error).toContain("major.minor");
    }
  });
});
