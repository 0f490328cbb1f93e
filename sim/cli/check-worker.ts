/**
 * One `kafkasim check` worker thread (started by check-pool.ts through check-worker.mjs). It gets
 * the search's SearchSpec once, as workerData, resolves it the same way the main thread did, and
 * then answers each run index it is handed with that run's verdict, reduced to plain data:
 * `{index, holds, broken}`. Run i's case depends only on (search seed, i), so which worker runs
 * which index never changes an answer.
 */
import { parentPort, workerData } from "node:worker_threads";
import { resolveSearch, runIndex, type SearchSpec } from "../search/search.ts";
import type { WorkerAnswer, WorkerRequest } from "./check-pool.ts";

const port = parentPort;
if (port === null) throw new Error("check-worker.ts runs only as a worker thread");
const search = resolveSearch((workerData as { spec: SearchSpec }).spec);

port.on("message", (request: WorkerRequest) => {
  const { index, verdict } = runIndex(search, request.index);
  const answer: WorkerAnswer = {
    index,
    holds: verdict.holds,
    broken: verdict.broken.map((b) => ({ what: b.what, detail: b.detail })),
  };
  port.postMessage(answer);
});
