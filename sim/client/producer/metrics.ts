/**
 * The producer's metrics under Kafka's names (producer-metrics, as Sender.SenderMetrics and
 * KafkaProducer record them): record-send-rate, record-send-total, request-latency-avg,
 * request-latency-max, record-error-rate, record-retry-rate, batch-size-avg,
 * records-per-request-avg, produce-throttle-time-avg and buffer-available-bytes.
 *
 * When each is recorded, as in Kafka:
 * - a ProduceRequest drained to a broker (Sender.updateProduceRequestMetrics): each of its batches
 *   adds its records to record-send and its bytes to batch-size; the request adds its record
 *   count to records-per-request. A retried batch is sent, and counted, again;
 * - a ProduceResponse received: request-latency, from the drain to the answer;
 * - a batch put back for a retry (Sender.reenqueueBatch → recordRetries): its records to
 *   record-retry; a batch failed for good or expired (Sender.failBatch → recordErrors): its
 *   records to record-error, as is each record send() itself fails (too large, blocked past
 *   max.block.ms: KafkaProducer.doSend records the same "errors" sensor). No latency for acks=0,
 *   which has no response.
 *
 * Simplifies: Kafka's windowed samples (two 30 s windows) are lifetime values here. A rate is the
 * total divided by the virtual seconds since the producer process started (a restarted process is
 * a new Java producer: its metrics start again); averages and the maximum are over that life.
 * Latencies are kept in µs and shown in ms. Kafka reports NaN for an average or maximum without
 * samples; 0 here keeps the snapshot plain data. Brokers never throttle in the model, so
 * produce-throttle-time-avg is 0. Faults: none.
 */

export interface ProducerMetricsSnapshot {
  readonly "record-send-rate": number;
  readonly "record-send-total": number;
  readonly "request-latency-avg": number;
  readonly "request-latency-max": number;
  readonly "record-error-rate": number;
  readonly "record-retry-rate": number;
  readonly "batch-size-avg": number;
  readonly "records-per-request-avg": number;
  readonly "produce-throttle-time-avg": number;
  readonly "buffer-available-bytes": number;
}

export class ProducerMetrics {
  private recordsSent = 0;
  private requests = 0;
  private batches = 0;
  private batchBytesSum = 0;
  private responses = 0;
  private latencyUsSum = 0;
  private latencyUsMax = 0;
  private recordErrors = 0;
  private recordRetries = 0;

  /** @param startUs when this producer process started (rates are per second since then). */
  constructor(private startUs: number) {}

  /** The process starts now (its first boot may come after the producer was made). */
  begin(nowUs: number): void {
    this.startUs = nowUs;
  }

  /** A ProduceRequest drained to a broker with batches of these record counts and bytes. */
  request(batches: ReadonlyArray<{ readonly records: number; readonly bytes: number }>): void {
    let records = 0;
    for (const b of batches) {
      records += b.records;
      this.batchBytesSum += b.bytes;
    }
    this.batches += batches.length;
    this.recordsSent += records;
    this.requests++;
  }

  /** A ProduceResponse came, `latencyUs` after its request was drained. */
  response(latencyUs: number): void {
    this.responses++;
    this.latencyUsSum += latencyUs;
    if (latencyUs > this.latencyUsMax) this.latencyUsMax = latencyUs;
  }

  /** A batch of `records` goes back to its queue for another attempt. */
  retry(records: number): void {
    this.recordRetries += records;
  }

  /** A batch of `records` failed for good (error, timeout or expiry). */
  error(records: number): void {
    this.recordErrors += records;
  }

  /** The metrics at `nowUs`; `bufferAvailableBytes` is buffer.memory less what batches hold. */
  snapshot(nowUs: number, bufferAvailableBytes: number): ProducerMetricsSnapshot {
    const elapsedUs = nowUs - this.startUs;
    const perSec = (n: number) => (elapsedUs <= 0 ? 0 : (n * 1_000_000) / elapsedUs);
    const avg = (sum: number, n: number) => (n === 0 ? 0 : sum / n);
    return {
      "record-send-rate": perSec(this.recordsSent),
      "record-send-total": this.recordsSent,
      "request-latency-avg": avg(this.latencyUsSum, this.responses) / 1000,
      "request-latency-max": this.latencyUsMax / 1000,
      "record-error-rate": perSec(this.recordErrors),
      "record-retry-rate": perSec(this.recordRetries),
      "batch-size-avg": avg(this.batchBytesSum, this.batches),
      "records-per-request-avg": avg(this.recordsSent, this.requests),
      "produce-throttle-time-avg": 0,
      "buffer-available-bytes": bufferAvailableBytes,
    };
  }
}
