export * from "./assert.ts";
export * from "./engine.ts";
export * from "./event-queue.ts";
export * from "./rng.ts";
export * from "./trace.ts";
