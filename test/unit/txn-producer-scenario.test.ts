/**
 * The scenario syntax of a transactional producer's workload (docs/transactions.md):
 * `workload.transaction: { records, end }` with end commit | abort | open, and the errors a file
 * gets for a bad value, a transactional workload without transactional.id, and the reverse.
 */
import { describe, expect, it } from "vitest";
import { formatIssues, ScenarioError, type ScenarioIssue } from "../../sim/scenario/errors.ts";
import { type ProducerSpec, parseScenarioText } from "../../sim/scenario/load.ts";

function text(config: string, transaction: string | null): string {
  return [
    "name: txn",
    "cluster: {brokers: 3}",
    "topics: [{name: out, partitions: 2}]",
    "clients:",
    "  - id: producer-1",
    "    type: producer",
    `    config: {${config}}`,
    "    workload:",
    "      topic: out",
    "      rate: 100/s",
    ...(transaction === null ? [] : [`      transaction: ${transaction}`]),
  ].join("\n");
}

function issuesOf(source: string): ScenarioIssue[] {
  try {
    parseScenarioText(source, "t.yaml");
  } catch (error) {
    if (error instanceof ScenarioError) return error.issues;
    throw error;
  }
  throw new Error("expected the scenario to be rejected");
}

const producerOf = (source: string) =>
  parseScenarioText(source, "t.yaml").clients[0] as ProducerSpec;

describe("scenario: a transactional producer's workload", () => {
  it("reads records and end, end defaulting to commit", () => {
    const p = producerOf(text("transactional.id: tx-1", "{records: 10, end: abort}"));
    expect(p.workload?.transaction).toEqual({ records: 10, end: "abort" });
    const d = producerOf(text("transactional.id: tx-1", "{records: 5}"));
    expect(d.workload?.transaction).toEqual({ records: 5, end: "commit" });
    const o = producerOf(text("transactional.id: tx-1", "{records: 1, end: open}"));
    expect(o.workload?.transaction?.end).toBe("open");
  });

  it("a plain workload has no transaction field", () => {
    const p = producerOf(text("acks: all", null));
    expect(p.workload).not.toHaveProperty("transaction");
  });

  it("names the file, line and field of a bad end, with a suggestion", () => {
    const issues = issuesOf(text("transactional.id: tx-1", "{records: 10, end: comit}"));
    expect(issues, formatIssues(issues)).toHaveLength(1);
    const issue = issues[0]!;
    expect(issue).toMatchObject({
      file: "t.yaml",
      line: 11,
      path: "clients[0].workload.transaction.end",
    });
    expect(issue.column).toBeGreaterThan(0);
    expect(issue.suggestion).toBe("commit");
  });

  it("refuses zero records per transaction", () => {
    const issues = issuesOf(text("transactional.id: tx-1", "{records: 0}"));
    expect(issues[0]?.path).toBe("clients[0].workload.transaction.records");
  });

  it("a transactional workload needs a transactional.id", () => {
    const issues = issuesOf(text("acks: all", "{records: 10}"));
    expect(issues, formatIssues(issues)).toHaveLength(1);
    expect(issues[0]).toMatchObject({
      line: 11,
      path: "clients[0].workload.transaction",
      message: "a transactional workload needs a producer with a transactional.id",
    });
    expect(issues[0]?.suggestion).toMatch(/transactional\.id/);
  });

  it("a producer with a transactional.id needs its workload in transactions", () => {
    const issues = issuesOf(text("transactional.id: tx-1", null));
    expect(issues, formatIssues(issues)).toHaveLength(1);
    expect(issues[0]).toMatchObject({ line: 7, path: 'clients[0].config["transactional.id"]' });
    expect(issues[0]?.suggestion).toMatch(/transaction: \{ records/);
  });
});
