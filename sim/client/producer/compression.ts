/**
 * The producer's batch compression (`compression.type`), as a size ratio and a CPU cost, not as
 * real codecs: the simulator has no real payload bytes to compress.
 *
 * Models: a closed batch's records are compressed as a whole (Kafka compresses the records of a
 * v2 batch together; the 61-byte batch header stays uncompressed). Compressed size =
 * ceil(records × num ÷ den); CPU time = ceil(records bytes ÷ speed in bytes per µs), charged to the
 * producer host's CPU before the batch can be sent.
 *
 * Where the numbers come from: the compression ratios and single-core compression speeds measured
 * on the Silesia corpus, as published in the zstd project's README benchmark table (zstd -1
 * ≈ 2.9×, ≈ 510 MB/s; lz4 ≈ 2.1×, ≈ 780 MB/s; snappy ≈ 2.1×, ≈ 560 MB/s; zlib at level 1 ≈ 2.7×,
 * ≈ 100 MB/s; Kafka's gzip uses zlib's default level 6, modeled as 3.1× at 30 MB/s from zlib's
 * usual level-6 figures). Rounded, and the same for every record: real Kafka payloads
 * (JSON, logs) often compress better, random bytes not at all. 1 MB/s = 1 byte/µs.
 *
 * Simplifies: no decompression cost (the broker does not recompress when the topic keeps the
 * producer's codec, its default; consumers are not modeled here); no codec levels
 * (compression.*.level). Faults: none.
 */
import { assert, assertSafeInt } from "../../engine/assert.ts";
import type { CompressionType } from "./producer-config.ts";

export interface CodecModel {
  /** Compressed ÷ uncompressed = num ÷ den. */
  readonly num: number;
  readonly den: number;
  /** Compression speed, bytes per µs (= MB/s). */
  readonly bytesPerUs: number;
}

export const CODECS: Readonly<Record<CompressionType, CodecModel>> = {
  none: { num: 1, den: 1, bytesPerUs: 0 },
  gzip: { num: 10, den: 31, bytesPerUs: 30 },
  snappy: { num: 10, den: 21, bytesPerUs: 560 },
  lz4: { num: 10, den: 21, bytesPerUs: 780 },
  zstd: { num: 10, den: 29, bytesPerUs: 510 },
};

export interface Compressed {
  /** Bytes of the compressed records (without the batch header). */
  readonly bytes: number;
  /** CPU time to compress them, µs (0 for none). */
  readonly cpuUs: number;
}

/** The modeled result of compressing `recordBytes` bytes of records with `codec`. */
export function compressRecords(codec: CompressionType, recordBytes: number): Compressed {
  assertSafeInt(recordBytes, "record bytes");
  assert(recordBytes >= 0, "record bytes ≥ 0");
  const model = CODECS[codec];
  if (codec === "none") return { bytes: recordBytes, cpuUs: 0 };
  const numerator = recordBytes * model.num;
  assertSafeInt(numerator, "compressed size numerator");
  return {
    bytes: Math.ceil(numerator / model.den),
    cpuUs: Math.ceil(recordBytes / model.bytesPerUs),
  };
}
