// A ToolContext for unit tests of the admin tools: a metadata image built by hand, a clock, and an
// admin client that records each request and answers with what the test scripts (or not at all).
import type { AdminResult } from "../../sim/client/admin.ts";
import { resolveBrokerConfig } from "../../sim/kafka/config.ts";
import { deriveTopicId, MetadataImage } from "../../sim/kafka/metadata/image.ts";
import { newPartitionRecord } from "../../sim/kafka/metadata/partition-change.ts";
import type { AdminRequest } from "../../sim/kafka/protocol-control.ts";
import type { KafkaVersion } from "../../sim/kafka/version.ts";
import type { ToolContext, ToolOutput } from "../../sim/tools/tool.ts";

/** Registered, unfenced brokers and topics with the given assignments. */
export function imageOf(brokerIds: number[], topics: Record<string, number[][]>): MetadataImage {
  const image = new MetadataImage();
  for (const id of brokerIds) {
    image.apply({
      type: "RegisterBrokerRecord",
      brokerId: id,
      brokerEpoch: 10 + id,
      fenced: false,
    });
  }
  let counter = 0;
  for (const [name, assignments] of Object.entries(topics)) {
    const topicId = deriveTopicId(name, counter++);
    image.apply({ type: "TopicRecord", name, topicId });
    assignments.forEach((replicas, partitionId) => {
      const created = newPartitionRecord(image, topicId, partitionId, replicas);
      if (!created.ok) throw new Error(created.message);
      image.apply(created.record);
    });
  }
  return image;
}

export interface FakeRun {
  readonly requests: AdminRequest[];
  output: ToolOutput | undefined;
}

/**
 * A context whose admin answers each request with `answer(request)` (undefined: never answers),
 * at virtual time `nowUs`. Only what the admin tools read is real; the rest throws if touched.
 */
export function fakeContext(options: {
  version?: KafkaVersion;
  image?: MetadataImage;
  nowUs?: number;
  staticConfig?: Record<string, unknown>;
  answer?: (request: AdminRequest) => AdminResult | undefined;
}): { ctx: ToolContext; run: FakeRun } {
  const version = options.version ?? "4.1";
  const staticConfig = options.staticConfig ?? {};
  const run: FakeRun = { requests: [], output: undefined };
  const brokerCount = options.image?.sortedBrokerIds().length ?? 3;
  const ctx = {
    version,
    engine: { now: options.nowUs ?? 0 },
    brokerConfig: resolveBrokerConfig(version, staticConfig, { brokerCount }),
    cluster: { spec: { config: staticConfig, brokers: Array.from({ length: brokerCount }) } },
    admin: {
      call(request: AdminRequest, onResult?: (result: AdminResult) => void) {
        run.requests.push(request);
        const result = options.answer?.(request);
        if (result !== undefined) onResult?.(result);
      },
    },
    image: () => options.image,
  } as unknown as ToolContext;
  return { ctx, run };
}

/** Runs a tool in the fake context and returns what it printed (undefined: no answer yet). */
export function runTool(
  tool: (
    ctx: ToolContext,
    args: readonly string[],
    input: readonly string[],
    done: (o: ToolOutput) => void,
  ) => void,
  ctx: ToolContext,
  run: FakeRun,
  command: string,
  input: readonly string[] = [],
): ToolOutput | undefined {
  tool(
    ctx,
    command.split(/\s+/).filter((w) => w !== ""),
    input,
    (o) => {
      if (run.output !== undefined) throw new Error("the tool answered twice");
      run.output = o;
    },
  );
  return run.output;
}

/** An admin answer with one item. */
export function answer(
  name: string,
  error: AdminResult["results"][number]["error"] = "NONE",
  message = "",
): AdminResult {
  return { error: "NONE", results: [{ name, error, message }] };
}
