/**
 * Kafka's org.apache.kafka.common.config.ConfigException, thrown by a client's constructor when
 * its configuration is invalid (the producer's idempotence conflicts, the consumer's heartbeat
 * above its session timeout, ...). The message is Kafka's wording where Kafka has one.
 */
export class ConfigException extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigException";
  }
}
