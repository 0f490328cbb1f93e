// e2e: builds the page once for every e2e file and serves it with Vite's preview server; the
// files open it in Debian's Chromium through support.ts. The URL reaches them through vitest's
// provide/inject.
import { rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { build, preview } from "vite";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    vizUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const outDir = `/tmp/kafkasim-e2e-${process.pid}`;
  await build({ logLevel: "warn", build: { outDir, emptyOutDir: true } });
  const server = await preview({
    preview: { port: 0, strictPort: false },
    build: { outDir },
    logLevel: "warn",
  });
  const address = server.httpServer.address() as AddressInfo;
  project.provide("vizUrl", `http://127.0.0.1:${address.port}/`);
  return async () => {
    await new Promise<void>((resolve) => server.httpServer.close(() => resolve()));
    rmSync(outDir, { recursive: true, force: true });
  };
}
