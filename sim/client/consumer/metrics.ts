/**
 * The consumer's metrics under Kafka's names (consumer-fetch-manager-metrics and
 * consumer-coordinator-metrics): records-lag-max, records-consumed-total, fetch-latency-avg,
 * commit-latency-avg, commit-total, rebalance-latency-avg, rebalance-total, last-poll-seconds-ago.
 *
 * Simplifies: Kafka's windowed samples (two 30 s windows) are lifetime values here: averages over
 * the whole run and the largest lag ever seen; the current lag per partition is in the snapshot.
 * Latencies are kept in µs and shown in ms, as Kafka shows them. Faults: none.
 */

export interface ConsumerMetricsSnapshot {
  readonly "records-lag-max": number;
  readonly "records-consumed-total": number;
  readonly "fetch-total": number;
  readonly "fetch-latency-avg": number;
  readonly "commit-total": number;
  readonly "commit-latency-avg": number;
  readonly "rebalance-total": number;
  readonly "rebalance-latency-avg": number;
  readonly "failed-rebalance-total": number;
}

export class ConsumerMetrics {
  private lagMax = -1;
  private consumed = 0;
  private fetches = 0;
  private fetchUsSum = 0;
  private commits = 0;
  private commitUsSum = 0;
  private rebalances = 0;
  private rebalanceUsSum = 0;
  private failedRebalances = 0;

  lag(records: number): void {
    if (records > this.lagMax) this.lagMax = records;
  }

  recordsConsumed(count: number): void {
    this.consumed += count;
  }

  fetch(latencyUs: number): void {
    this.fetches++;
    this.fetchUsSum += latencyUs;
  }

  commit(latencyUs: number): void {
    this.commits++;
    this.commitUsSum += latencyUs;
  }

  rebalance(latencyUs: number): void {
    this.rebalances++;
    this.rebalanceUsSum += latencyUs;
  }

  failedRebalance(): void {
    this.failedRebalances++;
  }

  snapshot(): ConsumerMetricsSnapshot {
    // Kafka reports NaN for an average with no samples; 0 here keeps the snapshot plain data.
    const avgMs = (sumUs: number, n: number) => (n === 0 ? 0 : sumUs / n / 1000);
    return {
      "records-lag-max": Math.max(this.lagMax, 0),
      "records-consumed-total": this.consumed,
      "fetch-total": this.fetches,
      "fetch-latency-avg": avgMs(this.fetchUsSum, this.fetches),
      "commit-total": this.commits,
      "commit-latency-avg": avgMs(this.commitUsSum, this.commits),
      "rebalance-total": this.rebalances,
      "rebalance-latency-avg": avgMs(this.rebalanceUsSum, this.rebalances),
      "failed-rebalance-total": this.failedRebalances,
    };
  }
}
