#!/usr/bin/env node
// Node 20 cannot run TypeScript itself: load the CLI's .ts sources through tsx's loader API.
// The wall clock is handed to the CLI here, at the edge, for its progress bar only: nothing under
// sim/ reads it.
import { tsImport } from "tsx/esm/api";

const { main, nodeIo } = await tsImport("../sim/cli/main.ts", import.meta.url);
process.exitCode = await main(process.argv.slice(2), {
  ...nodeIo(),
  wallClockMs: () => performance.now(),
});
