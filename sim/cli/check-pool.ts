/**
 * Runs a slice of a fault search (a list of run indices, in increasing order) on worker threads,
 * one per worker, or in this thread when there is one worker, and returns the slice's lowest
 * failing run index: the same answer whatever the number of workers.
 *
 * Why the answer does not depend on the workers: run i's case depends only on (search seed, i), so
 * a run's verdict does not depend on which thread ran it; indices are handed out in increasing
 * order, and once run k has failed no index above k is handed out, while the in-flight ones are
 * waited for. So every index below the final answer has been run (and held), exactly as when one
 * thread runs them one by one and stops at the first failure. Only `runsDone` may differ (runs in
 * flight above the answer).
 *
 * A worker that throws or exits early is a crash: the pool stops every worker and rejects with a
 * WorkerCrash (the CLI exits 2). Workers are always terminated at the end. The pool waits on
 * worker messages only: no timers (sim/ reads no clock).
 */
import type { Worker } from "node:worker_threads";
import type { Broken } from "../search/judge.ts";
import { type ResolvedSearch, type SearchSpec, searchIndices } from "../search/search.ts";

/** Main thread → worker: run this index. */
export interface WorkerRequest {
  readonly index: number;
}

/** Worker → main thread: the verdict of one run, as plain data. */
export interface WorkerAnswer {
  readonly index: number;
  readonly holds: boolean;
  readonly broken: readonly Broken[];
}

export interface SliceAnswer {
  /** The lowest failing run of the slice, if any. */
  readonly failing?: WorkerAnswer;
  /** Runs finished (with workers, may include runs above the answer that were in flight). */
  readonly runsDone: number;
}

/** A worker thread threw or exited before the slice was done. */
export class WorkerCrash extends Error {
  override name = "WorkerCrash";
}

const WORKER_ENTRY = new URL("./check-worker.mjs", import.meta.url);

/**
 * Runs `indices` (increasing) of the search on `workers` threads (1: this thread) and reports each
 * finished run to `onAnswer`, in the order runs finish.
 */
export async function searchSlice(
  search: ResolvedSearch,
  indices: readonly number[],
  workers: number,
  onAnswer: (a: WorkerAnswer) => void,
): Promise<SliceAnswer> {
  for (let k = 1; k < indices.length; k++) {
    if (indices[k]! <= indices[k - 1]!) throw new Error("searchSlice: run indices must increase");
  }
  const threads = Math.max(1, Math.min(workers, indices.length));
  if (threads === 1) return searchInProcess(search, indices, onAnswer);
  return searchOnWorkers(search.spec, indices, threads, onAnswer);
}

function answerOf(index: number, holds: boolean, broken: readonly Broken[]): WorkerAnswer {
  return { index, holds, broken: broken.map((b) => ({ what: b.what, detail: b.detail })) };
}

function searchInProcess(
  search: ResolvedSearch,
  indices: readonly number[],
  onAnswer: (a: WorkerAnswer) => void,
): SliceAnswer {
  const r = searchIndices(search, indices, (o) =>
    onAnswer(answerOf(o.index, o.verdict.holds, o.verdict.broken)),
  );
  if (r.failing === undefined) return { runsDone: r.runsDone };
  const f = r.failing;
  return { failing: answerOf(f.index, f.verdict.holds, f.verdict.broken), runsDone: r.runsDone };
}

async function searchOnWorkers(
  spec: SearchSpec,
  indices: readonly number[],
  threads: number,
  onAnswer: (a: WorkerAnswer) => void,
): Promise<SliceAnswer> {
  // Imported here: the browser build reaches sim/cli's modules never, but keep Node-only edges lazy.
  const { Worker } = await import("node:worker_threads");
  return new Promise<SliceAnswer>((resolve, reject) => {
    const pool: Worker[] = [];
    let next = 0;
    let inFlight = 0;
    let runsDone = 0;
    let lowest: WorkerAnswer | undefined;
    let settled = false;

    const finish = (crash?: WorkerCrash): void => {
      if (settled) return;
      settled = true;
      const stopped = Promise.all(pool.map((w) => w.terminate()));
      stopped.then(
        () => (crash === undefined ? resolve(answer()) : reject(crash)),
        (e: unknown) => reject(crash ?? new WorkerCrash(`cannot stop a worker: ${String(e)}`)),
      );
    };
    const answer = (): SliceAnswer =>
      lowest === undefined ? { runsDone } : { failing: lowest, runsDone };
    /** Gives the worker the next index below any failure so far, or ends the slice when all are in. */
    const handOut = (w: Worker): void => {
      const index = indices[next];
      if (index !== undefined && (lowest === undefined || index < lowest.index)) {
        next++;
        inFlight++;
        const request: WorkerRequest = { index };
        w.postMessage(request);
      } else if (inFlight === 0) finish();
    };

    for (let k = 0; k < threads; k++) {
      const w = new Worker(WORKER_ENTRY, { workerData: { spec } });
      pool.push(w);
      w.on("message", (a: WorkerAnswer) => {
        if (settled) return;
        inFlight--;
        runsDone++;
        if (!a.holds && (lowest === undefined || a.index < lowest.index)) lowest = a;
        onAnswer(a);
        handOut(w);
      });
      w.on("error", (e: Error) => finish(new WorkerCrash(`worker ${k + 1} crashed: ${e.message}`)));
      w.on("exit", (code: number) => {
        if (!settled) finish(new WorkerCrash(`worker ${k + 1} exited early (exit code ${code})`));
      });
    }
    for (const w of pool) handOut(w);
  });
}
