/**
 * The liveness report of a run. A run is a safety phase, while the timeline injects faults, then
 * a liveness phase, from the last fault action on, in which the cluster must converge: every
 * partition led and fully replicated, every node up and unfenced, every group with live members
 * Stable with all of them, no consumer stuck behind, no send left hanging. At the end of the run
 * `livenessOf` says whether it has, and `pending` says why not, one reason per line (TigerBeetle's
 * `pending()`).
 *
 * It reads the world as it stands at the end (the metadata truth, the brokers' own snapshots, the
 * group coordinators, the clients, the recorded history), never the trace, and schedules nothing:
 * asking does not change the run or its traceHash. Everything is iterated in a fixed order (ids,
 * names, the file's order), so the report is deterministic.
 *
 * Simplified: "no progress" means nothing in the last LIVENESS_PROGRESS_WINDOW_US of the run (a
 * consumer with lag that received no record, a send with no outcome); a consumer whose processing
 * takes longer than that per poll looks stuck. Network faults are found on the links between the
 * nodes that the timeline's network faults named and every other node.
 */
import type { Host } from "../infra/host.ts";
import type { Network } from "../infra/network.ts";
import type { KafkaWorld } from "./kafka-world.ts";
import type { Action, Scenario, TimelineEntry } from "./load.ts";

/** The `liveness` of the run's results (scenario-format.md allows more than its Results list). */
export interface LivenessResult {
  /** When the liveness phase began: the last fault action that ran (0 when there was none), µs. */
  sinceUs: number;
  /** True when nothing is pending. */
  converged: boolean;
  /** Why it has not converged yet, one reason each, in a fixed order. */
  pending: string[];
}

/** Timeline actions that are faults (or their repair): the safety phase lasts until the last. */
export const FAULT_ACTIONS: ReadonlySet<Action["kind"]> = new Set<Action["kind"]>([
  "crash",
  "restart",
  "shutdown",
  "isolate",
  "partition",
  "cut",
  "hold",
  "release",
  "reset",
  "heal",
  "delay",
  "throttle",
  "slow-disk",
  "fail-disk",
  "disk-full",
  "kill",
]);

/** Records or outcomes missing for this long before the end of the run mean no progress. */
export const LIVENESS_PROGRESS_WINDOW_US = 5_000_000;

/** At most this many reasons are kept; the rest are counted in a last line. */
export const MAX_PENDING = 100;

/**
 * The start of the liveness phase: the last fault action at or before `endUs` (a client's `start`
 * after its `kill` counts, as the repair of that fault); 0 when the run had none.
 */
export function livenessSinceUs(timeline: readonly TimelineEntry[], endUs: number): number {
  let since = 0;
  const killed = new Set<string>();
  for (const entry of timeline) {
    if (entry.atUs > endUs) break;
    const a = entry.action;
    if (a.kind === "kill") killed.add(a.client);
    const repair = a.kind === "start" && killed.has(a.client);
    if (FAULT_ACTIONS.has(a.kind) || repair) since = Math.max(since, entry.atUs);
  }
  return since;
}

export interface LivenessInput {
  readonly scenario: Scenario;
  readonly network: Network;
  /** Bare hosts of the scenario, by name. */
  readonly hosts: ReadonlyMap<string, Host>;
  readonly kafka: KafkaWorld | undefined;
  /** Transfers (bare hosts) that had not finished: their ids and ends. */
  readonly unfinishedTransfers: ReadonlyArray<{ id: string; from: string; to: string }>;
  readonly nowUs: number;
}

/** The liveness report at the end of the run. */
export function livenessOf(input: LivenessInput): LivenessResult {
  const sinceUs = livenessSinceUs(input.scenario.timeline, input.nowUs);
  const pending: string[] = [];
  const downSince = lastDownAction(input.scenario.timeline, input.nowUs);
  for (const [name, host] of input.hosts) {
    if (!host.isUp) pending.push(`host ${name}: down${downSince.get(name) ?? ""}`);
  }
  for (const t of input.unfinishedTransfers) {
    pending.push(`transfer ${t.id} (${t.from} → ${t.to}): not finished`);
  }
  if (input.kafka !== undefined) kafkaPending(input.kafka, input, downSince, pending);
  pending.push(...networkPending(input.network, input.scenario.timeline, input.nowUs));
  if (pending.length > MAX_PENDING) {
    const more = pending.length - (MAX_PENDING - 1);
    pending.splice(MAX_PENDING - 1, pending.length, `… and ${more} more`);
  }
  return { sinceUs, converged: pending.length === 0, pending };
}

function seconds(us: number): string {
  return `${(us / 1_000_000).toFixed(3)} s`;
}

/** For each node: " (crashed at 12.000 s)", from its last crash, shutdown or kill in the timeline. */
function lastDownAction(timeline: readonly TimelineEntry[], endUs: number): Map<string, string> {
  const out = new Map<string, string>();
  for (const entry of timeline) {
    if (entry.atUs > endUs) break;
    const a = entry.action;
    const at = seconds(entry.atUs);
    if (a.kind === "crash")
      out.set(a.node, ` (${a.mode === "power" ? "power lost" : "crashed"} at ${at})`);
    else if (a.kind === "shutdown") out.set(a.node, ` (shut down at ${at})`);
    else if (a.kind === "kill") out.set(a.client, ` (killed at ${at})`);
  }
  return out;
}

function kafkaPending(
  kafka: KafkaWorld,
  input: LivenessInput,
  downSince: ReadonlyMap<string, string>,
  pending: string[],
): void {
  const cluster = kafka.cluster;
  const image = kafka.image();
  if (image === undefined) {
    pending.push("metadata: no active controller (no quorum leader, or no ZooKeeper controller)");
  }
  // Nodes: brokers, dedicated controllers, the ZooKeeper ensemble.
  const snapshots = cluster.brokerSnapshots();
  const snapshotOf = new Map(snapshots.map((s) => [s.id, s]));
  for (const s of snapshots) {
    const node = String(s.id);
    const host = cluster.hosts.get(node);
    if (host !== undefined && !host.isUp) {
      pending.push(`broker ${node}: down${downSince.get(node) ?? ""}`);
      continue;
    }
    if (s.state !== "running") {
      pending.push(`broker ${node}: ${s.state}`);
      continue;
    }
    const registration = image?.brokers.get(s.id);
    if (registration === undefined || !registration.registered)
      pending.push(`broker ${node}: not registered with the controller`);
    else if (registration.fenced) pending.push(`broker ${node}: fenced by the controller`);
    if (s.offlineLogDirs.length > 0)
      pending.push(`broker ${node}: log directories offline: ${s.offlineLogDirs.join(", ")}`);
  }
  const controllerIds = [...cluster.controllers.keys()]
    .filter((id) => !cluster.brokers.has(id))
    .sort((a, b) => a - b);
  for (const id of controllerIds) {
    const host = cluster.hosts.get(String(id));
    if (host !== undefined && !host.isUp)
      pending.push(`controller ${id}: down${downSince.get(String(id)) ?? ""}`);
  }
  for (const name of [...cluster.zookeepers.keys()].sort()) {
    const host = cluster.hosts.get(name);
    if (host !== undefined && !host.isUp) pending.push(`${name}: down${downSince.get(name) ?? ""}`);
  }
  if (image !== undefined) partitionsPending(kafka, input.network, snapshotOf, pending);
  groupsPending(kafka, input.scenario, pending);
  consumersPending(kafka, input.scenario, input.nowUs, pending);
  producersPending(kafka, input.nowUs, pending);
}

type Snapshots = ReadonlyMap<number, ReturnType<KafkaWorld["cluster"]["brokerSnapshots"]>[number]>;

/**
 * Where a replica's log ends on its broker: the running broker's own view, else (a broker that is
 * down) the end of the log its disk keeps.
 */
function leoOf(
  kafka: KafkaWorld,
  snapshots: Snapshots,
  broker: number,
  topic: string,
  partition: number,
): number | undefined {
  const hosted = snapshots
    .get(broker)
    ?.partitions.find((p) => p.topic === topic && p.partition === partition);
  if (hosted !== undefined) return hosted.leo;
  const last = kafka.cluster.brokers.get(broker)?.logBatches(topic, partition).at(-1);
  return last === undefined ? undefined : last.baseOffset + last.count;
}

/**
 * Offline and under-replicated partitions, and reassignments still running. Internal topics
 * (`__consumer_offsets` has 50 partitions) are folded: one line per topic and reason.
 */
function partitionsPending(
  kafka: KafkaWorld,
  network: Network,
  snapshots: Snapshots,
  pending: string[],
): void {
  const image = kafka.image()!;
  const topics = [...image.topics.values()].sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );
  for (const topic of topics) {
    const folded = new Map<string, number[]>();
    topic.partitions.forEach((state, p) => {
      const tp = `${topic.name}-${p}`;
      const reasons: Array<{ line: string; fold: string }> = [];
      if (state.leader < 0) {
        const why = state.replicas.map((r) => `${r} ${replicaDown(kafka, r) ?? "up"}`).join(", ");
        reasons.push({
          line: `${tp}: offline (no leader; replicas ${why})`,
          fold: `offline (no leader; replicas [${state.replicas.join(",")}])`,
        });
      } else if (state.isr.length < state.replicas.length) {
        const leaderLeo = leoOf(kafka, snapshots, state.leader, topic.name, p);
        const lagging = state.replicas.filter((r) => !state.isr.includes(r));
        const detail = lagging.map((r) => {
          const down = replicaDown(kafka, r);
          const leo = leoOf(kafka, snapshots, r, topic.name, p);
          const lag =
            leaderLeo === undefined || leo === undefined
              ? "its lag unknown"
              : `${Math.max(0, leaderLeo - leo)} records behind the leader`;
          const path =
            down === undefined && !network.reachable(String(r), String(state.leader))
              ? ", cannot reach the leader"
              : "";
          return `replica ${r} ${down ?? "up"}${path}, ${lag}`;
        });
        reasons.push({
          line: `${tp}: under-replicated: ISR [${state.isr.join(",")}] of replicas [${state.replicas.join(",")}], leader ${state.leader}; ${detail.join("; ")}`,
          fold: `under-replicated (out of the ISR: ${lagging
            .map((r) => `${r} ${replicaDown(kafka, r) ?? "up"}`)
            .join(", ")})`,
        });
      }
      if (state.addingReplicas.length > 0 || state.removingReplicas.length > 0) {
        const what = `reassignment in progress (adding [${state.addingReplicas.join(",")}], removing [${state.removingReplicas.join(",")}])`;
        reasons.push({ line: `${tp}: ${what}`, fold: what });
      }
      for (const r of reasons) {
        if (!topic.name.startsWith("__")) pending.push(r.line);
        else folded.set(r.fold, [...(folded.get(r.fold) ?? []), p]);
      }
    });
    for (const [fold, partitions] of folded) {
      const list =
        partitions.length > 12 ? `${partitions.slice(0, 12).join(",")},…` : partitions.join(",");
      pending.push(`${topic.name}: ${partitions.length} partitions ${fold}: ${list}`);
    }
  }
}

/** "down", "not running", "fenced", or undefined when the broker is up and unfenced. */
function replicaDown(kafka: KafkaWorld, broker: number): string | undefined {
  const host = kafka.cluster.hosts.get(String(broker));
  if (host === undefined) return "unknown broker";
  if (!host.isUp) return "down";
  const reg = kafka.image()?.brokers.get(broker);
  if (reg?.fenced === true) return "fenced";
  return undefined;
}

/** Consumers of the scenario that are alive and mean to be in their groups. */
function liveConsumers(kafka: KafkaWorld, scenario: Scenario) {
  const out: Array<{ id: string; group: string | null }> = [];
  for (const spec of scenario.clients) {
    const consumer = kafka.consumers.get(spec.id);
    if (spec.type !== "consumer" || consumer === undefined || !consumer.host.isUp) continue;
    const state = consumer.snapshot().state;
    if (state === "closing" || state === "closed" || state === "failed") continue;
    out.push({ id: spec.id, group: spec.group });
  }
  return out;
}

/**
 * Groups with live members that are not Stable with all of them (a group whose consumers were all
 * stopped or killed has nothing to converge to).
 */
function groupsPending(kafka: KafkaWorld, scenario: Scenario, pending: string[]): void {
  const live = liveConsumers(kafka, scenario);
  const groups = [...new Set(live.map((c) => c.group).filter((g): g is string => g !== null))];
  const views = kafka.groupViews();
  for (const group of groups) {
    const expected = live.filter((c) => c.group === group).map((c) => c.id);
    const view = views.find((v) => v.groupId === group);
    if (view === undefined) {
      pending.push(
        `group ${group}: no coordinator has it loaded (its __consumer_offsets partition has no leader, or the coordinator is loading)`,
      );
      continue;
    }
    const members = new Set(view.members.map((m) => m.clientId));
    const missing = expected.filter((id) => !members.has(id));
    if (view.state === "Stable" && missing.length === 0) continue;
    const why = missing.length === 0 ? "" : `; not a member: ${missing.join(", ")}`;
    pending.push(
      `group ${group}: ${view.state}, ${view.members.length} of ${expected.length} live consumers are members${why}`,
    );
  }
}

/**
 * Consumers behind with no progress: lag on partitions they own, and no record received (on any
 * partition) in the progress window. A consumer working through a backlog is converging.
 */
function consumersPending(
  kafka: KafkaWorld,
  scenario: Scenario,
  nowUs: number,
  pending: string[],
): void {
  const image = kafka.image();
  if (image === undefined) return;
  const lastPoll = new Map<string, number>();
  for (const poll of kafka.recorder.history(nowUs).polls) lastPoll.set(poll.consumer, poll.atUs);
  const windowStartUs = nowUs - LIVENESS_PROGRESS_WINDOW_US;
  const hwOf = new Map<string, number>();
  for (const b of kafka.cluster.brokerSnapshots()) {
    if (b.state === "not-running") continue;
    for (const p of b.partitions) {
      if (p.role !== "leader" || image.partition(p.topic, p.partition)?.leader !== b.id) continue;
      hwOf.set(`${p.topic}-${p.partition}`, p.hw);
    }
  }
  for (const c of liveConsumers(kafka, scenario)) {
    const last = lastPoll.get(c.id);
    if (last !== undefined && last >= windowStartUs) continue;
    const snapshot = kafka.consumers.get(c.id)!.snapshot();
    const behind: string[] = [];
    let total = 0;
    for (const tp of snapshot.assignment) {
      const position = snapshot.positions[tp] ?? -1;
      const hw = hwOf.get(tp);
      if (hw === undefined || position < 0 || hw <= position) continue;
      behind.push(`${tp} ${hw - position} (position ${position}, high watermark ${hw})`);
      total += hw - position;
    }
    if (behind.length === 0) continue;
    const since =
      last === undefined ? "has received nothing" : `has received nothing since ${seconds(last)}`;
    pending.push(`consumer ${c.id}: ${total} records behind and ${since}: ${behind.join(", ")}`);
  }
}

/** Producers that are up with sends older than the progress window still without an outcome. */
function producersPending(kafka: KafkaWorld, nowUs: number, pending: string[]): void {
  const history = kafka.recorder.history(nowUs);
  const settled = new Set(history.outcomes.map((o) => o.sendId));
  const windowStartUs = nowUs - LIVENESS_PROGRESS_WINDOW_US;
  // One pass over the sends (in send order, so the first one kept is the oldest).
  const unsettled = new Map<string, { count: number; oldestUs: number; tp: string }>();
  for (const send of history.sends) {
    if (send.sentAtUs >= windowStartUs) break;
    if (settled.has(send.sendId)) continue;
    const entry = unsettled.get(send.client);
    if (entry !== undefined) entry.count++;
    else
      unsettled.set(send.client, {
        count: 1,
        oldestUs: send.sentAtUs,
        tp: `${send.topic}-${send.partition}`,
      });
  }
  for (const [id, producer] of kafka.producers) {
    const entry = unsettled.get(id);
    if (entry === undefined || !producer.host.isUp) continue;
    const sends = `${entry.count} send${entry.count === 1 ? "" : "s"}`;
    pending.push(
      `producer ${id}: ${sends} older than ${seconds(LIVENESS_PROGRESS_WINDOW_US)} without an outcome, the oldest to ${entry.tp} at ${seconds(entry.oldestUs)}`,
    );
  }
}

/**
 * Network faults still in place: links out of the nodes that the timeline's network faults named
 * (cut, partitioned, isolated or held), in the nodes' order.
 */
function networkPending(
  network: Network,
  timeline: readonly TimelineEntry[],
  endUs: number,
): string[] {
  const touched = new Set<string>();
  const holds: Array<[string, string]> = [];
  for (const entry of timeline) {
    if (entry.atUs > endUs) break;
    const a = entry.action;
    if (a.kind === "isolate") touched.add(a.node);
    else if (a.kind === "partition") for (const g of a.groups) for (const n of g) touched.add(n);
    else if (a.kind === "cut") touched.add(a.from);
    else if (a.kind === "hold") holds.push([a.from, a.to]);
  }
  const out: string[] = [];
  if (touched.size > 0) {
    const nodes = network.nodes();
    for (const from of nodes) {
      if (!touched.has(from)) continue;
      const blocked = nodes.filter((to) => to !== from && !network.reachable(from, to));
      if (blocked.length > 0) out.push(`network: ${from} cannot reach ${summarize(blocked)}`);
    }
  }
  // Only links a hold named: asking about any other would create it.
  const seen = new Set<string>();
  for (const [from, to] of holds) {
    const key = `${from}\u0000${to}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (network.linkState(from, to).kind === "held")
      out.push(`network: messages from ${from} to ${to} are held`);
  }
  return out;
}

function summarize(names: readonly string[]): string {
  return names.length <= 8
    ? names.join(", ")
    : `${names.slice(0, 8).join(", ")} and ${names.length - 8} more`;
}
