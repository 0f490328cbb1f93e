/**
 * Services a broker hosts beside replication: the producer-id manager, the group coordinator and
 * the transaction coordinator. Each is a part of the broker actor (it shares the broker's
 * context: clock, timers on the broker's actor id, the network, the metadata image) and talks to
 * the rest of the cluster only by messages, including to its own broker over loopback (a
 * coordinator appends to __consumer_offsets with a ProduceRequest to itself, as Kafka's
 * coordinator appends through the replica manager with acks=all).
 *
 * The broker routes to a service: requests the service answers, responses to requests it sent
 * (matched by correlation id, which the broker's context hands out uniquely), timers whose kind
 * starts with the service's prefix, disconnects, process starts and metadata changes.
 *
 * The group coordinator also hears of every transaction marker the broker writes and replicates
 * (ReplicaManager.onMarkerWritten, wired here): markers on `__consumer_offsets` partitions complete
 * pending transactional offset commits.
 *
 * Models nothing itself. Faults: a service's state lives in the broker's memory and is lost with
 * the process (onProcessStart).
 */
import type { SimEvent } from "../../engine/engine.ts";
import type { ProcessStart } from "../../infra/host.ts";
import type { NetMessage } from "../../infra/network.ts";
import { GroupCoordinatorService, type WrittenMarker } from "../group/coordinator-service.ts";
import type { MetadataImage } from "../metadata/image.ts";
import type { CoordinatorRequest } from "../protocol-clients.ts";
import { TxnCoordinatorService } from "../txn/coordinator-service.ts";
import type { BrokerContext } from "./context.ts";
import { ProducerIdManager } from "./producer-id-manager.ts";

export interface BrokerService {
  /** For the trace and snapshots: "group-coordinator", "producer-id-manager"... */
  readonly name: string;
  /** Timer kinds this service schedules through ctx.timer start with this (e.g. "group."). */
  readonly timerPrefix: string;
  /** The process (re)started: everything the service held in memory is gone. */
  onProcessStart(after: ProcessStart["after"]): void;
  /** The broker applied new metadata (leaders, topics); called once the broker has published. */
  onMetadata(image: MetadataImage): void;
  /** A request addressed to the broker; true when this service answered (or will answer) it. */
  handleRequest(from: string, request: CoordinatorRequest): boolean;
  /** A response; true when it answers a request this service sent. */
  handleResponse(from: string, response: NetMessage): boolean;
  handleTimer(event: SimEvent): void;
  onDisconnect(peer: string): void;
}

/** Where the broker reports markers it wrote (the replica manager's hook). */
export interface MarkerSource {
  onMarkerWritten: ((marker: WrittenMarker) => void) | undefined;
}

/**
 * The services every broker process hosts, in the order the broker offers them messages. With
 * `markers`, the group coordinator is told of every marker written (KafkaApis'
 * onTransactionCompleted → GroupCoordinator.scheduleHandleTxnCompletion).
 */
export function createBrokerServices(ctx: BrokerContext, markers?: MarkerSource): BrokerService[] {
  const services: BrokerService[] = [];
  const groups = new GroupCoordinatorService(ctx);
  services.push(new ProducerIdManager(ctx));
  services.push(groups);
  services.push(new TxnCoordinatorService(ctx));
  if (markers !== undefined) markers.onMarkerWritten = (marker) => groups.onMarkerWritten(marker);
  return services;
}
