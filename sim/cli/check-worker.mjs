// The entry of one `kafkasim check` worker thread. Node 20 cannot run TypeScript in a worker by
// itself, so this plain module loads the worker's .ts source through tsx's loader API, exactly as
// bin/kafkasim.js loads the CLI; check-worker.ts does the work.
import { tsImport } from "tsx/esm/api";

await tsImport("./check-worker.ts", import.meta.url);
