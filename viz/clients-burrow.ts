/**
 * Burrow's status of the consumer groups at the current moment, for the Clients panel, computed
 * incrementally: the run's history (its commits and the leaders' HW changes) is fed to
 * sim/check/burrow.ts's BurrowStorage in the same order burrowFromHistory feeds it (broker offsets
 * sampled every offset-refresh from time 0, taken before a commit at the same time), but only the
 * records that arrived since the last call. So at any moment the status is the one
 * burrowFromHistory would give for the history so far, at a cost per frame of the new records only.
 *
 * Explicit broker-offset samples (a lag monitor in the history) are used instead of the HW samples
 * when the history has any, as burrowFromHistory does; when the first one appears the feed starts
 * over with them.
 */
import {
  BURROW_DEFAULTS,
  type BurrowOptions,
  BurrowStorage,
  type GroupStatus,
} from "../sim/check/burrow.ts";
import type { History } from "../sim/check/history.ts";
import { assert } from "../sim/engine/assert.ts";

interface Leading {
  readonly topic: string;
  readonly partition: number;
  readonly epoch: number;
  readonly hw: number;
}

export class IncrementalBurrow {
  private storage: BurrowStorage;
  private commitIndex = 0;
  private hwIndex = 0;
  private explicitIndex = 0;
  /** The next HW sampling time (a multiple of offset-refresh). */
  private nextSampleUs = 0;
  private explicit = false;
  private readonly leading = new Map<string, Leading>();
  private readonly groupIds = new Set<string>();

  constructor(private readonly options: BurrowOptions = BURROW_DEFAULTS) {
    assert(options.offsetRefreshUs > 0, "offset-refresh must be positive");
    this.storage = new BurrowStorage(options);
  }

  private restart(explicit: boolean): void {
    this.storage = new BurrowStorage(this.options);
    this.commitIndex = 0;
    this.hwIndex = 0;
    this.explicitIndex = 0;
    this.nextSampleUs = 0;
    this.explicit = explicit;
    this.leading.clear();
    this.groupIds.clear();
  }

  /** Feeds what the history holds up to `nowUs` (the history so far of a run at `nowUs`). */
  feed(history: History, nowUs: number): void {
    if (!this.explicit && history.brokerOffsets.length > 0) this.restart(true);
    const commits = history.commits;
    for (;;) {
      const c = commits[this.commitIndex];
      const commitAt = c !== undefined && c.atUs <= nowUs ? c.atUs : undefined;
      const sampleAt = this.nextSampleTime(history, nowUs);
      if (sampleAt !== undefined && (commitAt === undefined || sampleAt <= commitAt)) {
        this.takeSample(history, sampleAt);
        continue;
      }
      if (commitAt === undefined || c === undefined) return;
      this.groupIds.add(c.group);
      this.storage.addConsumerOffset(c.group, c.topic, c.partition, c.offset, c.atUs);
      this.commitIndex++;
    }
  }

  private nextSampleTime(history: History, nowUs: number): number | undefined {
    if (this.explicit) {
      const b = history.brokerOffsets[this.explicitIndex];
      return b !== undefined && b.atUs <= nowUs ? b.atUs : undefined;
    }
    return this.nextSampleUs <= nowUs ? this.nextSampleUs : undefined;
  }

  private takeSample(history: History, atUs: number): void {
    if (this.explicit) {
      const b = history.brokerOffsets[this.explicitIndex++]!;
      this.storage.addBrokerOffset(b.topic, b.partition, b.offset, b.atUs);
      return;
    }
    const changes = history.hwChanges;
    for (; this.hwIndex < changes.length && changes[this.hwIndex]!.atUs <= atUs; this.hwIndex++) {
      const c = changes[this.hwIndex]!;
      if (!c.isLeader) continue;
      const key = `${c.topic}-${c.partition}`;
      const cur = this.leading.get(key);
      if (cur === undefined || c.leaderEpoch >= cur.epoch) {
        this.leading.set(key, {
          topic: c.topic,
          partition: c.partition,
          epoch: c.leaderEpoch,
          hw: c.hw,
        });
      }
    }
    for (const key of [...this.leading.keys()].sort()) {
      const cur = this.leading.get(key)!;
      this.storage.addBrokerOffset(cur.topic, cur.partition, cur.hw, atUs);
    }
    this.nextSampleUs += this.options.offsetRefreshUs;
  }

  /** The group's status at `nowUs` (NOTFOUND before its first commit is stored). */
  status(group: string, nowUs: number): GroupStatus {
    return this.storage.evaluate(group, nowUs);
  }

  /** Groups with at least one commit fed, sorted. */
  groups(): string[] {
    return [...this.groupIds].sort();
  }
}
