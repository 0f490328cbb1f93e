/**
 * Which broker the consumer asks when any broker will do (MetadataRequest, FindCoordinator):
 * Kafka's NetworkClient.leastLoadedNode, with the connection states and the reconnect backoff
 * that keep it away from a broker whose connection just failed.
 *
 * Models:
 * - the candidates are the brokers of the latest metadata (the bootstrap list before any);
 * - a broker is "ready" once it has answered and until its connection fails, "connecting" while
 *   the first request of a new connection waits for its answer, and otherwise it can connect
 *   unless it is backing off;
 * - the choice: a ready broker with no request in flight at once; else the ready one with the
 *   fewest in flight; else a connecting one; else the one that can connect whose last attempt is
 *   oldest (never tried first);
 * - a connection failure (a disconnect, a request timeout, or the coordinator connection dropped
 *   by markCoordinatorUnknown) puts the broker in reconnect backoff: reconnect.backoff.ms, doubled
 *   with each consecutive failure up to reconnect.backoff.max.ms (KIP-144); an answer from the
 *   broker ends the streak.
 * Simplifies: Kafka starts its scan at a random index; here each scan starts one index further
 * than the last (deterministic, no RNG stream). Kafka's backoff has ±20 % jitter; this has none.
 * There is no handshake: the first request to a broker is its connection attempt. The 1.x client
 * did not yet prefer ready brokers over unconnected ones; every profile uses the newer order.
 * When every candidate is backing off, the one whose backoff ends first is returned (Kafka finds
 * no node and the caller retries after retry.backoff.ms).
 * Faults: none of its own; it is how the consumer steers around a dead or unreachable broker.
 */
import { assert } from "../../engine/assert.ts";

interface NodeState {
  /** Answered since its connection last failed. */
  ready: boolean;
  /** Consecutive connection failures without an answer in between. */
  streak: number;
  /** Not chosen before this time while not ready, µs. */
  backoffUntilUs: number;
  /** When it was last chosen while not ready (a connection attempt), µs; -1 never. */
  lastAttemptUs: number;
}

export class LeastLoadedNode {
  private readonly nodes = new Map<number, NodeState>();
  private cursor = 0;

  constructor(
    private readonly reconnectBackoffUs: number,
    private readonly reconnectBackoffMaxUs: number,
  ) {
    assert(reconnectBackoffUs >= 0, "reconnect.backoff.ms must be ≥ 0");
    assert(reconnectBackoffMaxUs >= 0, "reconnect.backoff.max.ms must be ≥ 0");
  }

  private state(broker: number): NodeState {
    let s = this.nodes.get(broker);
    if (s === undefined) {
      s = { ready: false, streak: 0, backoffUntilUs: 0, lastAttemptUs: -1 };
      this.nodes.set(broker, s);
    }
    return s;
  }

  /** The connection to `broker` failed at `nowUs`: back off from it (exponentially). */
  failed(broker: number, nowUs: number): void {
    const s = this.state(broker);
    s.ready = false;
    s.streak++;
    const capUs = Math.max(this.reconnectBackoffMaxUs, this.reconnectBackoffUs);
    let backoffUs = this.reconnectBackoffUs;
    for (let i = 1; i < s.streak && backoffUs < capUs; i++) backoffUs *= 2;
    s.backoffUntilUs = nowUs + Math.min(backoffUs, capUs);
  }

  /** An answer came from `broker`: its connection works. */
  succeeded(broker: number): void {
    const s = this.state(broker);
    s.ready = true;
    s.streak = 0;
    s.backoffUntilUs = 0;
  }

  backingOff(broker: number, nowUs: number): boolean {
    const s = this.nodes.get(broker);
    return s !== undefined && !s.ready && s.backoffUntilUs > nowUs;
  }

  /** The broker to send to; `inFlight` counts the requests in flight to a broker. */
  pick(candidates: readonly number[], inFlight: (broker: number) => number, nowUs: number): number {
    assert(candidates.length > 0, "leastLoadedNode needs at least one candidate broker");
    const start = this.cursor++ % candidates.length;
    let ready = -1;
    let readyInFlight = Number.POSITIVE_INFINITY;
    let connecting = -1;
    let canConnect = -1;
    let canConnectAttemptUs = Number.POSITIVE_INFINITY;
    let soonest = -1;
    let soonestUs = Number.POSITIVE_INFINITY;
    for (let i = 0; i < candidates.length; i++) {
      const broker = candidates[(start + i) % candidates.length]!;
      const s = this.nodes.get(broker);
      const n = inFlight(broker);
      if (s?.ready === true) {
        if (n === 0) return broker;
        if (n < readyInFlight) {
          readyInFlight = n;
          ready = broker;
        }
      } else if (this.backingOff(broker, nowUs)) {
        if (s!.backoffUntilUs < soonestUs) {
          soonestUs = s!.backoffUntilUs;
          soonest = broker;
        }
      } else if (n > 0) {
        connecting = broker;
      } else {
        const attempt = s?.lastAttemptUs ?? -1;
        if (attempt < canConnectAttemptUs) {
          canConnectAttemptUs = attempt;
          canConnect = broker;
        }
      }
    }
    if (ready >= 0) return ready;
    if (connecting >= 0) return connecting;
    if (canConnect >= 0) {
      this.state(canConnect).lastAttemptUs = nowUs;
      return canConnect;
    }
    assert(soonest >= 0, "leastLoadedNode found no broker");
    return soonest;
  }
}
