/**
 * `kafka-metadata-quorum.sh describe --status / --replication`: the KRaft quorum's state.
 * Not written yet: the tool answers that it is not available.
 */
import { type Tool, toolError } from "./tool.ts";

export const kafkaMetadataQuorumTool: Tool = (_ctx, _args, _input, done) => {
  done(toolError("kafkasim: kafka-metadata-quorum.sh is not available in this build yet"));
};
