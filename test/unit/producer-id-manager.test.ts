// kafka: producer-id manager: InitProducerId for an idempotent producer gets a cluster-unique
// id from the broker's block (brokerEpoch × 2^20 + n) and epoch 0; before the broker registered
// it answers COORDINATOR_LOAD_IN_PROGRESS; transactional ids are left to another service.
import { describe, expect, it } from "vitest";
import type { BrokerContext } from "../../sim/kafka/broker/context.ts";
import {
  PRODUCER_ID_BLOCK_SIZE,
  ProducerIdManager,
} from "../../sim/kafka/broker/producer-id-manager.ts";
import type {
  InitProducerIdRequest,
  InitProducerIdResponse,
} from "../../sim/kafka/protocol-clients.ts";

function fakeContext(epoch: { value: number }) {
  const sent: InitProducerIdResponse[] = [];
  const ctx = {
    brokerEpoch: () => epoch.value,
    send: (_to: string, m: InitProducerIdResponse) => sent.push(m),
    emit: () => {},
  } as unknown as BrokerContext;
  return { ctx, sent };
}

function request(
  correlationId: number,
  transactionalId: string | null = null,
): InitProducerIdRequest {
  return {
    type: "InitProducerIdRequest",
    bytes: 80,
    correlationId,
    transactionalId,
    transactionTimeoutMs: 60000,
    producerId: -1,
    producerEpoch: -1,
  };
}

describe("kafka: producer-id manager", () => {
  it("hands out brokerEpoch × 2^20, then + 1, with epoch 0", () => {
    const epoch = { value: 4 };
    const { ctx, sent } = fakeContext(epoch);
    const m = new ProducerIdManager(ctx);
    expect(m.handleRequest("p", request(1))).toBe(true);
    expect(m.handleRequest("p", request(2))).toBe(true);
    // 4 × 1 048 576 = 4 194 304.
    expect(sent.map((r) => [r.error, r.producerId, r.producerEpoch])).toEqual([
      ["NONE", 4 * PRODUCER_ID_BLOCK_SIZE, 0],
      ["NONE", 4 * PRODUCER_ID_BLOCK_SIZE + 1, 0],
    ]);
  });

  it("takes a new block after a restart (a new registration, a new epoch)", () => {
    const epoch = { value: 4 };
    const { ctx, sent } = fakeContext(epoch);
    const m = new ProducerIdManager(ctx);
    m.handleRequest("p", request(1));
    m.onProcessStart("process");
    epoch.value = 17;
    m.handleRequest("p", request(2));
    expect(sent[1]!.producerId).toBe(17 * PRODUCER_ID_BLOCK_SIZE);
  });

  it("answers COORDINATOR_LOAD_IN_PROGRESS before the broker has an epoch", () => {
    const { ctx, sent } = fakeContext({ value: -1 });
    new ProducerIdManager(ctx).handleRequest("p", request(1));
    expect(sent[0]).toMatchObject({ error: "COORDINATOR_LOAD_IN_PROGRESS", producerId: -1 });
  });

  it("leaves transactional ids to the transaction coordinator", () => {
    const { ctx, sent } = fakeContext({ value: 0 });
    expect(new ProducerIdManager(ctx).handleRequest("p", request(1, "tx-1"))).toBe(false);
    expect(sent).toEqual([]);
  });
});
