/**
 * The settings the fault search varies, by Kafka's config names, with the safe values of
 * ../shared/fault-search.md and the parsing of `kafkasim check --config k=v`.
 *
 * A search pins some settings (the property's defaults, then the user's `--config` and `--version`)
 * and draws the rest. Kafka refuses some combinations at producer construction (idempotence with
 * acks other than all, or with more than five requests in flight, or with retries=0: a
 * ConfigException since 3.2) and some assignors did not exist yet; a pinned combination like that is refused here, before any run, and a
 * drawn one is made consistent by turning idempotence off (normalizeSettings).
 */
import { nearest } from "../engine/suggest.ts";
import {
  isKafkaVersion,
  KAFKA_VERSIONS,
  type KafkaVersion,
  versionAtLeast,
} from "../kafka/version.ts";

export type Acks = "all" | "1" | "0";
export const ASSIGNORS = ["range", "roundrobin", "sticky", "cooperative-sticky"] as const;
export type Assignor = (typeof ASSIGNORS)[number];

/** One search's settings. Retries: 0 or Kafka's default (Integer.MAX_VALUE). */
export interface Settings {
  readonly acks: Acks;
  readonly "min.insync.replicas": number;
  readonly "unclean.leader.election.enable": boolean;
  readonly "enable.idempotence": boolean;
  readonly "max.in.flight.requests.per.connection": number;
  readonly retries: number;
  readonly "partition.assignment.strategy": Assignor;
  readonly "enable.auto.commit": boolean;
  /** The stream processors' guarantee (the "streams" space only). */
  readonly "processing.guarantee": Guarantee;
}

export const GUARANTEES = ["exactly_once_v2", "at_least_once"] as const;
export type Guarantee = (typeof GUARANTEES)[number];

export type SettingName = keyof Settings;

export const SETTING_NAMES: readonly SettingName[] = [
  "acks",
  "min.insync.replicas",
  "unclean.leader.election.enable",
  "enable.idempotence",
  "max.in.flight.requests.per.connection",
  "retries",
  "partition.assignment.strategy",
  "enable.auto.commit",
  "processing.guarantee",
];

export const MAX_RETRIES = 2_147_483_647;

/** fault-search.md's safe settings (and the consumer side that keeps processing honest). */
export const SAFE_SETTINGS: Settings = {
  acks: "all",
  "min.insync.replicas": 2,
  "unclean.leader.election.enable": false,
  "enable.idempotence": true,
  "max.in.flight.requests.per.connection": 5,
  retries: MAX_RETRIES,
  "partition.assignment.strategy": "cooperative-sticky",
  "enable.auto.commit": false,
  "processing.guarantee": "exactly_once_v2",
};

/** The oldest profile the safe property covers: epoch-based truncation (KIP-101). */
export const OLDEST_SAFE_VERSION: KafkaVersion = "0.11";

/** What a search fixed: any subset of the settings, maybe the version profile and the broker count. */
export interface Pins {
  readonly settings: Partial<Settings>;
  readonly version?: KafkaVersion;
  readonly brokers?: number;
}

export class SettingsError extends Error {}

/** Parses one `--config k=v`; throws SettingsError with a suggestion. */
export function parseSettingArg(text: string): Partial<Settings> {
  const eq = text.indexOf("=");
  if (eq <= 0) {
    throw new SettingsError(`--config ${text}: expected KEY=VALUE, e.g. --config acks=1`);
  }
  const key = text.slice(0, eq).trim();
  const raw = text.slice(eq + 1).trim();
  if (!(SETTING_NAMES as readonly string[]).includes(key)) {
    const guess = nearest(key, SETTING_NAMES);
    throw new SettingsError(
      `--config ${text}: the search does not vary "${key}"` +
        (guess === undefined ? "" : `; did you mean "${guess}"?`) +
        ` It varies: ${SETTING_NAMES.join(", ")}`,
    );
  }
  const name = key as SettingName;
  const bad = (expected: string): never => {
    throw new SettingsError(`--config ${text}: invalid value "${raw}" for ${name}: ${expected}`);
  };
  switch (name) {
    case "acks": {
      const v = raw === "-1" ? "all" : raw;
      if (v !== "all" && v !== "1" && v !== "0") bad('expected "all" (or -1), "1" or "0"');
      return { acks: v as Acks };
    }
    case "unclean.leader.election.enable":
    case "enable.idempotence":
    case "enable.auto.commit":
      if (raw !== "true" && raw !== "false") bad('expected "true" or "false"');
      return { [name]: raw === "true" };
    case "partition.assignment.strategy": {
      if (!(ASSIGNORS as readonly string[]).includes(raw)) {
        const guess = nearest(raw, ASSIGNORS);
        bad(
          `expected one of ${ASSIGNORS.join(", ")}${guess === undefined ? "" : ` (did you mean "${guess}"?)`}`,
        );
      }
      return { [name]: raw as Assignor };
    }
    case "processing.guarantee": {
      if (!(GUARANTEES as readonly string[]).includes(raw)) {
        const guess = nearest(raw, GUARANTEES);
        bad(
          `expected one of ${GUARANTEES.join(", ")}${guess === undefined ? "" : ` (did you mean "${guess}"?)`}`,
        );
      }
      return { [name]: raw as Guarantee };
    }
    case "min.insync.replicas":
    case "max.in.flight.requests.per.connection":
    case "retries": {
      if (!/^\d+$/.test(raw)) bad("expected a whole number");
      const n = Number(raw);
      const min = name === "retries" ? 0 : 1;
      const max = name === "min.insync.replicas" ? 7 : name === "retries" ? MAX_RETRIES : 10;
      if (n < min || n > max) bad(`expected ${min}..${max}`);
      return { [name]: n };
    }
  }
}

/** Parses `--version V`; throws SettingsError with a suggestion. */
export function parseVersionArg(text: string): KafkaVersion {
  if (isKafkaVersion(text)) return text;
  const guess = nearest(text, KAFKA_VERSIONS);
  throw new SettingsError(
    `--version ${text}: not a version profile` +
      (guess === undefined ? "" : `; did you mean "${guess}"?`) +
      ` Profiles: ${KAFKA_VERSIONS.join(", ")}`,
  );
}

/** Why Kafka would refuse these client settings in this version, or undefined. */
export function settingsConflict(s: Settings, version: KafkaVersion): string | undefined {
  if (
    s["partition.assignment.strategy"] === "cooperative-sticky" &&
    !versionAtLeast(version, "2.4")
  ) {
    return `the cooperative-sticky assignor needs Kafka 2.4 (KIP-429), not ${version}`;
  }
  if (!s["enable.idempotence"]) return undefined;
  if (!versionAtLeast(version, "0.11"))
    return `enable.idempotence does not exist before 0.11 (version ${version})`;
  if (s.acks !== "all")
    return `enable.idempotence=true requires acks=all (Kafka throws ConfigException), got acks=${s.acks}`;
  if (s["max.in.flight.requests.per.connection"] > 5) {
    return "enable.idempotence=true requires max.in.flight.requests.per.connection ≤ 5";
  }
  if (s.retries === 0) return "enable.idempotence=true requires retries > 0";
  return undefined;
}

/**
 * Drawn settings made acceptable to Kafka: the range assignor where cooperative-sticky does not
 * exist yet, idempotence off where it cannot be on.
 */
export function normalizeSettings(s: Settings, version: KafkaVersion): Settings {
  let out = s;
  if (
    out["partition.assignment.strategy"] === "cooperative-sticky" &&
    !versionAtLeast(version, "2.4")
  ) {
    out = { ...out, "partition.assignment.strategy": "range" };
  }
  return settingsConflict(out, version) === undefined
    ? out
    : { ...out, "enable.idempotence": false };
}

/** True when every setting the safe property needs is at its safe value. */
export function isSafe(s: Settings, version: KafkaVersion): boolean {
  return (
    versionAtLeast(version, OLDEST_SAFE_VERSION) &&
    s.acks === "all" &&
    s["min.insync.replicas"] >= 2 &&
    !s["unclean.leader.election.enable"] &&
    s["enable.idempotence"]
  );
}

/** `acks=1, min.insync.replicas=2, ...` in SETTING_NAMES order, only the given keys. */
export function formatSettings(s: Partial<Settings>): string {
  return SETTING_NAMES.filter((k) => s[k] !== undefined)
    .map((k) => `${k}=${String(s[k])}`)
    .join(", ");
}
