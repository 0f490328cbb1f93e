// kafka-delete-records.sh: DeleteRecordsCommand.java's checks and output lines, by hand.
import { describe, expect, it } from "vitest";
import { formatDeleteRecords, parseDeleteRecords } from "../../sim/tools/kafka-delete-records.ts";

const ARGS = ["--bootstrap-server", "localhost:9092", "--offset-json-file", "f.json"];

describe("tools: kafka-delete-records.sh", () => {
  it("reads the offset JSON, and refuses duplicates and a missing file option in Kafka's words", () => {
    expect(
      parseDeleteRecords(ARGS, [
        '{"partitions":[{"topic":"t","partition":0,"offset":-1}],"version":1}',
      ]),
    ).toEqual({ partitions: [{ topic: "t", partition: 0, offset: -1 }] });
    expect(
      parseDeleteRecords(ARGS, [
        '{"partitions":[{"topic":"t","partition":0,"offset":1},{"topic":"t","partition":0,"offset":2}]}',
      ]),
    ).toBe("Offset json file contains duplicate topic partitions: t-0");
    expect(parseDeleteRecords(["--bootstrap-server", "x"], [])).toBe(
      'Missing required argument "[offset-json-file]"',
    );
    expect(parseDeleteRecords(ARGS, ["{not json"])).toMatch(
      /^The input string is not a valid JSON/,
    );
  });

  it("prints each partition's low watermark or error, tab-separated, in TopicPartition hash order", () => {
    const out = formatDeleteRecords([
      { topic: "t", partition: 1, lowWatermark: -1, error: "OFFSET_OUT_OF_RANGE" },
      { topic: "t", partition: 0, lowWatermark: 5, error: "NONE" },
    ]);
    // "t".hashCode() = 116; TopicPartition hashes 31 × 31 + 116 = 1077 (p0) and 31 × 32 + 116 =
    // 1108 (p1); in a 16-slot table buckets 1077 & 15 = 5 and 1108 & 15 = 4: t-1 first.
    expect(out.stdout).toBe(
      "Executing records delete operation\n" +
        "Records delete operation completed:\n" +
        "partition: t-1\terror: org.apache.kafka.common.errors.OffsetOutOfRangeException: The requested offset is not within the range of offsets maintained by the server.\n" +
        "partition: t-0\tlow_watermark: 5\n",
    );
  });
});
