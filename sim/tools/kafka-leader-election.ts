/**
 * `kafka-leader-election.sh`: preferred or unclean elections through the admin client.
 * Not written yet: the tool answers that it is not available.
 */
import { type Tool, toolError } from "./tool.ts";

export const kafkaLeaderElectionTool: Tool = (_ctx, _args, _input, done) => {
  done(toolError("kafkasim: kafka-leader-election.sh is not available in this build yet"));
};
