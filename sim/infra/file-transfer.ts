/**
 * File transfer: the process on a bare host (no Kafka), streaming a file to another host. It is
 * the substrate's demonstration of the machine models working together: disk and page cache on
 * the sending side, the CPU cost of the chosen transfer path (sendfile, read + write, or TLS), the
 * NICs and the link, and the page cache and writeback on the receiving side.
 *
 * Protocol: the sender reads the file chunk by chunk (sequentially, or in a random order of 4 KiB
 * chunks for the random-IO lesson), sends each as a FileChunk, and keeps a window of chunks in
 * flight; the receiver acknowledges cumulatively (go-back-N). A chunk lost to a network fault is
 * noticed by the sender's retransmission timeout, which doubles on each expiry, like TCP's RTO;
 * after a heal the transfer resumes from the first unacknowledged chunk.
 *
 * Simplifies: one transfer per pair of hosts at a time; the receiver only appends (it writes the
 * chunks it gets in order and drops out-of-order ones); no slow start or congestion window.
 *
 * Faults it reacts to: lost messages (timeouts, then resend), a disconnect (resend at the next
 * retransmission timeout, so a peer that refuses is retried with backoff), a receiver that
 * restarted (it asks for chunk 0 again: the transfer starts over), and its own process crashing
 * (the transfer dies with it; its timers are dropped by the engine).
 */
import { assert } from "../engine/assert.ts";
import type { Actor, Engine, SimEvent } from "../engine/engine.ts";
import type { Host, ProcessStart } from "./host.ts";
import type { NetDelivery, NetDisconnect, Network } from "./network.ts";
import { type TransferMode, transferCost } from "./transfer.ts";

export interface TransferRequest {
  readonly id: string;
  readonly to: string;
  readonly sizeBytes: number;
  readonly mode: TransferMode;
  readonly read: "sequential" | "random";
}

type FileChunk = {
  readonly type: "FileChunk";
  readonly bytes: number;
  readonly transferId: string;
  readonly seq: number;
  readonly total: number;
};

type ChunkAck = {
  readonly type: "ChunkAck";
  readonly bytes: number;
  readonly transferId: string;
  /** Every chunk below this has arrived. */
  readonly next: number;
};

type AppMessage = FileChunk | ChunkAck;

type AgentEvent =
  | SimEvent<"process.start", ProcessStart>
  | SimEvent<"net.message", NetDelivery<AppMessage>>
  | SimEvent<"net.disconnect", NetDisconnect>
  | SimEvent<"transfer.start", TransferRequest>
  | SimEvent<"chunk.read", { transferId: string; seq: number }>
  | SimEvent<"chunk.send", { transferId: string; seq: number }>
  | SimEvent<"rto", { transferId: string; generation: number }>;

const SEQUENTIAL_CHUNK_BYTES = 256 * 1024;
const RANDOM_CHUNK_BYTES = 4096;
const WINDOW_BYTES = 4 * 1024 * 1024;
const ACK_BYTES = 66;
/** Linux's initial RTO is 1 s (RFC 6298); it doubles on each expiry up to 120 s. */
const INITIAL_RTO_US = 1_000_000;
const MAX_RTO_US = 120_000_000;
const PROGRESS_STEPS = 10;

interface Sending {
  readonly req: TransferRequest;
  readonly chunkBytes: number;
  readonly total: number;
  /** Chunk order on disk: identity for sequential reads, a seeded shuffle for random reads. */
  readonly order: readonly number[];
  readonly window: number;
  readonly startedUs: number;
  nextToRead: number;
  reading: boolean;
  acked: number;
  rtoUs: number;
  rtoGeneration: number;
  nextProgress: number;
  copies: { dma: number; cpu: number; switches: number; cpuUs: number };
}

interface Receiving {
  next: number;
  total: number;
  chunkBytes: number;
}

export class FileTransferAgent implements Actor {
  private readonly sending = new Map<string, Sending>();
  private readonly receiving = new Map<string, Receiving>();

  constructor(
    private readonly engine: Engine,
    private readonly network: Network,
    private readonly host: Host,
  ) {
    engine.register(this);
  }

  get id(): string {
    return this.host.name;
  }

  handle(event: SimEvent): void {
    const e = event as AgentEvent;
    switch (e.kind) {
      case "process.start":
        // A restarted process remembers nothing: transfers in progress died with it.
        this.sending.clear();
        this.receiving.clear();
        return;
      case "transfer.start":
        return this.start(e.payload);
      case "chunk.read":
        return this.chunkRead(e.payload.transferId, e.payload.seq);
      case "chunk.send":
        return this.chunkSend(e.payload.transferId, e.payload.seq);
      case "rto":
        return this.timeout(e.payload.transferId, e.payload.generation);
      case "net.message":
        return this.onMessage(e.payload);
      case "net.disconnect":
        for (const s of this.sending.values())
          if (s.req.to === e.payload.peer) this.goBack(s, "disconnect");
        return;
    }
  }

  private start(req: TransferRequest): void {
    assert(!this.sending.has(req.id), () => `transfer ${req.id} started twice`);
    const chunkBytes = req.read === "random" ? RANDOM_CHUNK_BYTES : SEQUENTIAL_CHUNK_BYTES;
    const total = Math.ceil(req.sizeBytes / chunkBytes);
    const identity = Array.from({ length: total }, (_, i) => i);
    const order =
      req.read === "random"
        ? this.engine.rng.stream(`transfer/${req.id}/order`).shuffle(identity)
        : identity;
    const s: Sending = {
      req,
      chunkBytes,
      total,
      order,
      window: Math.max(1, Math.floor(WINDOW_BYTES / chunkBytes)),
      startedUs: this.engine.now,
      nextToRead: 0,
      reading: false,
      acked: 0,
      rtoUs: INITIAL_RTO_US,
      rtoGeneration: 0,
      nextProgress: 1,
      copies: { dma: 0, cpu: 0, switches: 0, cpuUs: 0 },
    };
    this.sending.set(req.id, s);
    this.engine.trace.emit("transfer.start", this.host.name, {
      id: req.id,
      to: req.to,
      bytes: req.sizeBytes,
      mode: req.mode,
      read: req.read,
      chunks: total,
    });
    this.pump(s);
  }

  /** Starts the next disk read if the window has room and no read is in progress. */
  private pump(s: Sending): void {
    if (s.reading || s.nextToRead >= s.total || s.nextToRead - s.acked >= s.window) return;
    const seq = s.nextToRead++;
    s.reading = true;
    const position = s.order[seq]!;
    const file = `transfer/${s.req.id}`;
    const io = this.host.read(file, 0, position * s.chunkBytes, this.chunkSize(s, seq));
    if (!io.ok) {
      // A failed disk ends the transfer, as an IO error ends a real sendfile loop.
      this.sending.delete(s.req.id);
      this.engine.trace.emit("transfer.failed", this.host.name, { id: s.req.id, error: io.error });
      return;
    }
    this.engine.scheduleAt(io.doneAtUs, this.id, "chunk.read", { transferId: s.req.id, seq });
  }

  private chunkRead(transferId: string, seq: number): void {
    const s = this.sending.get(transferId);
    if (s === undefined) return;
    s.reading = false;
    const bytes = this.chunkSize(s, seq);
    const cost = transferCost(s.req.mode, bytes, {
      nicGather: this.host.nic.scatterGatherDma,
      chunkBytes: bytes,
    });
    s.copies.dma += cost.dmaCopies;
    s.copies.cpu += cost.cpuCopies;
    s.copies.switches += cost.contextSwitches;
    s.copies.cpuUs += cost.cpuUs;
    const run = this.host.cpu.run(this.engine.now, cost.cpuUs);
    this.engine.scheduleAt(run.doneAtUs, this.id, "chunk.send", { transferId, seq });
    this.pump(s);
  }

  private chunkSend(transferId: string, seq: number): void {
    const s = this.sending.get(transferId);
    if (s === undefined || seq < s.acked) return;
    const chunk: FileChunk = {
      type: "FileChunk",
      bytes: this.chunkSize(s, seq),
      transferId,
      seq,
      total: s.total,
    };
    this.network.send(this.id, s.req.to, chunk);
    if (seq === s.acked) this.armRto(s);
  }

  private onMessage(delivery: NetDelivery<AppMessage>): void {
    const m = delivery.message;
    switch (m.type) {
      case "FileChunk":
        return this.receiveChunk(delivery.from, m);
      case "ChunkAck":
        return this.receiveAck(m);
    }
  }

  private receiveChunk(from: string, chunk: FileChunk): void {
    let r = this.receiving.get(chunk.transferId);
    if (r === undefined) {
      r = { next: 0, total: chunk.total, chunkBytes: chunk.bytes };
      this.receiving.set(chunk.transferId, r);
    }
    if (chunk.seq === r.next) {
      // Appended in arrival order, so the received copy is written sequentially.
      this.host.write(`received/${chunk.transferId}`, 0, r.next * r.chunkBytes, chunk.bytes);
      r.next++;
    }
    const ack: ChunkAck = {
      type: "ChunkAck",
      bytes: ACK_BYTES,
      transferId: chunk.transferId,
      next: r.next,
    };
    this.network.send(this.id, from, ack);
  }

  private receiveAck(ack: ChunkAck): void {
    const s = this.sending.get(ack.transferId);
    if (s === undefined) return;
    if (ack.next === 0 && s.acked > 0) {
      // Only a receiver that lost the transfer (its process restarted) asks for chunk 0 again
      // after acknowledging others: start over from the beginning of the file.
      this.engine.trace.emit("transfer.restart", this.host.name, {
        id: s.req.id,
        ackedChunks: s.acked,
      });
      s.acked = 0;
      s.rtoUs = INITIAL_RTO_US;
      return this.goBack(s, "timeout");
    }
    if (ack.next <= s.acked) return;
    s.acked = ack.next;
    s.rtoUs = INITIAL_RTO_US;
    while (
      s.nextProgress <= PROGRESS_STEPS &&
      s.acked * PROGRESS_STEPS >= s.total * s.nextProgress
    ) {
      this.engine.trace.emit("transfer.progress", this.host.name, {
        id: s.req.id,
        percent: s.nextProgress * 10,
        ackedChunks: s.acked,
      });
      s.nextProgress++;
    }
    if (s.acked >= s.total) return this.finish(s);
    this.armRto(s);
    this.pump(s);
  }

  private finish(s: Sending): void {
    const elapsedUs = this.engine.now - s.startedUs;
    this.sending.delete(s.req.id);
    this.engine.trace.emit("transfer.done", this.host.name, {
      id: s.req.id,
      bytes: s.req.sizeBytes,
      elapsedUs,
      // Integer bytes per second, so the trace stays exact.
      bytesPerSec: elapsedUs > 0 ? Math.floor((s.req.sizeBytes * 1_000_000) / elapsedUs) : 0,
      dmaCopies: s.copies.dma,
      cpuCopies: s.copies.cpu,
      contextSwitches: s.copies.switches,
      cpuUs: s.copies.cpuUs,
    });
  }

  private armRto(s: Sending): void {
    s.rtoGeneration++;
    this.engine.schedule(s.rtoUs, this.id, "rto", {
      transferId: s.req.id,
      generation: s.rtoGeneration,
    });
  }

  private timeout(transferId: string, generation: number): void {
    const s = this.sending.get(transferId);
    if (s === undefined || generation !== s.rtoGeneration) return;
    this.engine.trace.emit("transfer.timeout", this.host.name, {
      id: transferId,
      ackedChunks: s.acked,
      rtoUs: s.rtoUs,
    });
    s.rtoUs = Math.min(MAX_RTO_US, s.rtoUs * 2);
    this.goBack(s, "timeout");
  }

  /**
   * Go-back-N: resend from the first unacknowledged chunk. After a timeout at once; after a
   * disconnect (the peer reset or refused the connection) at the next retransmission timeout, so
   * that a peer that keeps refusing is retried with the RTO's exponential backoff instead of in a
   * loop at one virtual instant.
   */
  private goBack(s: Sending, why: "timeout" | "disconnect"): void {
    if (why === "disconnect")
      this.engine.trace.emit("transfer.reconnect", this.host.name, { id: s.req.id });
    s.nextToRead = s.acked;
    s.reading = false;
    this.armRto(s);
    if (why === "timeout") this.pump(s);
  }

  private chunkSize(s: Sending, seq: number): number {
    const position = s.order[seq]!;
    return Math.min(s.chunkBytes, s.req.sizeBytes - position * s.chunkBytes);
  }
}
