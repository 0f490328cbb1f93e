/**
 * The broker's producer-id manager: answers InitProducerId for idempotent producers
 * (transactionalId null) with a producer id no other producer in the cluster has, and epoch 0.
 *
 * Models: Kafka hands producer ids out in blocks; since KIP-730 (3.0) a broker asks the active
 * controller for a block of 1000 (AllocateProducerIds), and the controller records each block in
 * the metadata log so no two brokers, and no two lives of one broker, ever get the same ids. Here
 * each broker process takes its block from a value the controller already made unique for it:
 * its broker epoch, the offset of its registration record in the metadata log. The process's ids
 * are brokerEpoch × 2^20 + 0, 1, 2... (deterministic, cluster-unique, unique across restarts
 * because every registration gets a new epoch). Before the broker has registered it has no
 * epoch and answers COORDINATOR_LOAD_IN_PROGRESS, as Kafka's RPCProducerIdManager does while its
 * first block is still being fetched.
 *
 * Simplifies: no AllocateProducerIds round trip to the controller (no latency, no failure of
 * that request); blocks are 2^20 ids, not 1000, and never run out in practice (asserted);
 * transactional ids are not handled here (the transaction coordinator answers them; this
 * service declines those requests).
 *
 * Faults: the state lives in the process and is lost with it (a restart takes a new block).
 */
import { assert } from "../../engine/assert.ts";
import type { SimEvent } from "../../engine/engine.ts";
import type { ProcessStart } from "../../infra/host.ts";
import type { NetMessage } from "../../infra/network.ts";
import type { MetadataImage } from "../metadata/image.ts";
import { HEADER_BYTES } from "../protocol.ts";
import type {
  CoordinatorRequest,
  InitProducerIdRequest,
  InitProducerIdResponse,
} from "../protocol-clients.ts";
import type { BrokerContext } from "./context.ts";
import type { BrokerService } from "./services.ts";

/** Ids per process block (2^20). */
export const PRODUCER_ID_BLOCK_SIZE = 1_048_576;

/** Modeled size of an InitProducerId response body (error, id, epoch, throttle time). */
const RESPONSE_BYTES = 16;

export class ProducerIdManager implements BrokerService {
  readonly name = "producer-id-manager";
  readonly timerPrefix = "pid.";
  /** The process's block start, taken at the first request after the broker registered. */
  private blockStart = -1;
  private next = 0;

  constructor(private readonly ctx: BrokerContext) {}

  onProcessStart(_after: ProcessStart["after"]): void {
    this.blockStart = -1;
    this.next = 0;
  }

  onMetadata(_image: MetadataImage): void {}

  handleRequest(from: string, request: CoordinatorRequest): boolean {
    if (request.type !== "InitProducerIdRequest" || request.transactionalId !== null) return false;
    this.answer(from, request);
    return true;
  }

  handleResponse(_from: string, _response: NetMessage): boolean {
    return false;
  }

  handleTimer(_event: SimEvent): void {}

  onDisconnect(_peer: string): void {}

  private answer(from: string, request: InitProducerIdRequest): void {
    const respond = (error: InitProducerIdResponse["error"], producerId: number) => {
      this.ctx.emit("producer-id.init", {
        client: from,
        error,
        producerId,
        producerEpoch: producerId < 0 ? -1 : 0,
      });
      this.ctx.send(from, {
        type: "InitProducerIdResponse",
        bytes: HEADER_BYTES + RESPONSE_BYTES,
        correlationId: request.correlationId,
        error,
        producerId,
        producerEpoch: producerId < 0 ? -1 : 0,
      } satisfies InitProducerIdResponse);
    };
    if (this.blockStart < 0) {
      const epoch = this.ctx.brokerEpoch();
      if (epoch < 0) return respond("COORDINATOR_LOAD_IN_PROGRESS", -1);
      this.blockStart = epoch * PRODUCER_ID_BLOCK_SIZE;
      assert(Number.isSafeInteger(this.blockStart), "producer id block start is a safe integer");
      this.ctx.emit("producer-id.block", {
        brokerEpoch: epoch,
        firstProducerId: this.blockStart,
        size: PRODUCER_ID_BLOCK_SIZE,
      });
    }
    // The upper half of the block belongs to the transaction coordinator (sim/kafka/txn).
    assert(this.next < PRODUCER_ID_BLOCK_SIZE / 2, "the producer id block ran out");
    respond("NONE", this.blockStart + this.next++);
  }
}
