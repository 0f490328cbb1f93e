/**
 * A dedicated KRaft controller node (process.roles=controller): the process actor of a host whose
 * id is the node id as text. It runs one ControllerRole and nothing else.
 *
 * Models: the process's events: its start (first boot in steady state, or a restart after a crash
 * or power loss, with the metadata log and quorum state kept on disk), network messages and
 * disconnects, and the role's "ctl.*" timers.
 *
 * Simplifies: see controller-role.ts (no CPU or disk time for controller work).
 *
 * Faults: process crash and power loss (through its Host), partitions and lost messages (through
 * the Network).
 */
import { assert } from "../../engine/assert.ts";
import type { Actor, SimEvent } from "../../engine/engine.ts";
import { PROCESS_START, type ProcessStart } from "../../infra/host.ts";
import {
  NET_DISCONNECT,
  NET_MESSAGE,
  type NetDelivery,
  type NetDisconnect,
} from "../../infra/network.ts";
import {
  ControllerRole,
  type ControllerRoleOptions,
  type ControllerSnapshot,
  CTL_CONTROLLER_TIMER,
  CTL_RAFT_TIMER,
} from "./controller-role.ts";

export type ControllerNodeOptions = Omit<ControllerRoleOptions, "hostActorId">;

type ControllerNodeEvent =
  | SimEvent<typeof PROCESS_START, ProcessStart>
  | SimEvent<typeof NET_MESSAGE, NetDelivery>
  | SimEvent<typeof NET_DISCONNECT, NetDisconnect>
  | SimEvent<typeof CTL_RAFT_TIMER, unknown>
  | SimEvent<typeof CTL_CONTROLLER_TIMER, unknown>;

export class ControllerNode implements Actor {
  readonly id: string;
  readonly role: ControllerRole;

  /** Registers itself with the engine; its Host (network node) must use the same name. */
  constructor(options: ControllerNodeOptions) {
    this.id = String(options.nodeId);
    this.role = new ControllerRole({ ...options, hostActorId: this.id });
    options.engine.register(this);
  }

  handle(event: SimEvent): void {
    const e = event as ControllerNodeEvent;
    switch (e.kind) {
      case PROCESS_START:
        this.role.start(e.payload.after);
        return;
      case NET_MESSAGE: {
        const handled = this.role.handleMessage(e.payload);
        assert(
          handled,
          () => `controller ${this.id} got ${e.payload.message.type} from ${e.payload.from}`,
        );
        return;
      }
      case NET_DISCONNECT:
        this.role.handleDisconnect(e.payload);
        return;
      case CTL_RAFT_TIMER:
      case CTL_CONTROLLER_TIMER:
        this.role.handleTimer(e);
        return;
      default:
        assert(false, () => `controller ${this.id}: unexpected event ${(e as SimEvent).kind}`);
    }
  }

  /** Graceful shutdown (the host stops the process afterwards). */
  shutdown(): void {
    this.role.shutdown();
  }

  snapshot(): ControllerSnapshot {
    return this.role.snapshot();
  }
}
