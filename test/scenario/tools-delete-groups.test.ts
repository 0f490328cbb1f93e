// scenario: kafka-consumer-groups.sh --delete through the group coordinator's DeleteGroups. An
// Empty group (its member stopped) is deleted and its committed offsets go with it; a group with
// a running member is refused (GROUP_NOT_EMPTY); an unknown id is GROUP_ID_NOT_FOUND. The deletion
// is written to __consumer_offsets as tombstones, so after the group's coordinator crashes and
// another broker loads the partition, the group is still gone; without the --delete the same
// failover brings the group and its offsets back (the control that shows the tombstones matter).
import { describe, expect, it } from "vitest";
import { parseScenarioText } from "../../sim/scenario/load.ts";
import { runScenario } from "../../sim/scenario/runner.ts";

const BS = "kafka-consumer-groups.sh --bootstrap-server localhost:9092";

function scenario(opts: { crash?: number; deleteBilling: boolean }): string {
  return `version: 1
name: delete-groups
duration: 40s
cluster: { version: "4.1", brokers: 3 }
topics:
  - { name: orders, partitions: 3, replication-factor: 3 }
clients:
  - id: producer-1
    type: producer
    workload: { topic: orders, rate: 100/s, value-size: 100B, until: 8s }
  - id: consumer-1
    type: consumer
    group: billing
    subscribe: [orders]
    config: { auto.offset.reset: earliest }
  - id: consumer-2
    type: consumer
    group: shipping
    subscribe: [orders]
    config: { auto.offset.reset: earliest }
timeline:
  - { at: 12s, stop: consumer-1 }
${opts.deleteBilling ? `  - { at: 15s, cli: "${BS} --delete --group billing" }\n` : ""}  - { at: 15s, cli: "${BS} --delete --group shipping" }
  - { at: 15s, cli: "${BS} --delete --group nobody --group shipping" }
  - { at: 16s, cli: "${BS} --describe --group billing" }
${opts.crash === undefined ? "" : `  - { at: 17s, crash: ${opts.crash} }\n`}  - { at: 39s, cli: "${BS} --describe --group billing" }
`;
}

function run(text: string) {
  let billingOnBrokers: Array<{ broker: number; offsets: number }> = [];
  let deletedAt: number | undefined;
  const r = runScenario(parseScenarioText(text, "delete-groups.yaml"), {
    seed: 5,
    onTrace: (e) => {
      const f = e as unknown as { type: string; op?: string; group?: string; to?: number };
      if (f.type === "admin.call" && f.op === "DeleteGroups" && f.group === "billing")
        deletedAt = f.to;
    },
    atEnd: ({ kafka }) => {
      billingOnBrokers = [];
      for (const [id, broker] of kafka!.cluster.brokers) {
        const g = broker.groupCoordinator()?.groups.find((x) => x.groupId === "billing");
        if (g !== undefined) billingOnBrokers.push({ broker: id, offsets: g.offsets.length });
      }
    },
  });
  const out = (atS: number, has: string) =>
    r.results.cli.find((c) => c.atUs === atS * 1_000_000 && c.command.includes(has))!;
  return { r, out, billingOnBrokers: () => billingOnBrokers, coordinator: () => deletedAt };
}

describe("scenario: kafka-consumer-groups.sh --delete", () => {
  const plain = run(scenario({ deleteBilling: true }));
  // The broker that deleted the group: its coordinator, which the failover run crashes.
  const coordinator = plain.coordinator();

  it("deletes the Empty group and its offsets", () => {
    expect(plain.out(15, "--group billing").output).toBe(
      "Deletion of requested consumer groups ('billing') was successful.\n",
    );
    expect(plain.out(16, "--describe").output).toBe(
      "\nError: Consumer group 'billing' does not exist.\n",
    );
    expect(plain.billingOnBrokers()).toEqual([]);
  });

  it("refuses a group with members, and an unknown group, with Kafka's exceptions", () => {
    expect(plain.out(15, "--delete --group shipping").output).toBe(
      "\nError: Deletion of some consumer groups failed:\n" +
        "* Group 'shipping' could not be deleted due to: java.util.concurrent.ExecutionException: org.apache.kafka.common.errors.GroupNotEmptyException: The group is not empty.\n",
    );
    // Two failures, printed in the tool's HashMap order of group ids.
    const both = plain.out(15, "--group nobody").output;
    expect(both).toContain(
      "* Group 'nobody' could not be deleted due to: java.util.concurrent.ExecutionException: org.apache.kafka.common.errors.GroupIdNotFoundException: The group id does not exist.\n",
    );
    expect(both).toContain("* Group 'shipping' could not be deleted due to:");
  });

  it("stays deleted after the coordinator crashes and another broker reloads the partition", () => {
    expect(coordinator).toBeTypeOf("number");
    const failover = run(scenario({ deleteBilling: true, crash: coordinator! }));
    expect(failover.out(39, "--describe").output).toBe(
      "\nError: Consumer group 'billing' does not exist.\n",
    );
    expect(failover.billingOnBrokers()).toEqual([]);
  });

  it("control: without the delete, the same failover reloads the group with its offsets", () => {
    const kept = run(scenario({ deleteBilling: false, crash: coordinator! }));
    expect(kept.out(39, "--describe").output).toMatch(/\nbilling +orders +0 +\d+/);
    const loaded = kept.billingOnBrokers();
    expect(loaded).toHaveLength(1);
    expect(loaded[0]!.broker).not.toBe(coordinator);
    expect(loaded[0]!.offsets).toBe(3);
  });
});
