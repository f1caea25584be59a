import fs from "node:fs/promises";
import path from "node:path";
import { expect } from "vitest";
import type { RunningServer } from "./server.js";
import { watchRemoval } from "./watch-service.js";

/** /healthz on a busy 2-core machine: the contract says under a second. */
export const HEALTH_MS = 1000;
/** The service and its children together (~200 MB idle with task processes and ExifTool started; see watchService). */
export const TREE_MB = 400;
/** A refusal by a screen (~0.2-2 s measured on a busy machine; ExifTool's 60 s timeout before the screens). */
export const REFUSAL_MS = 10_000;
export const TOO_COMPLEX = "The file is too complex to process within this service's limits.";

/** `data` written as `name` in `dir`, then removed through the API, watched and timed (see watchRemoval). */
export async function removeBytesWatched(server: RunningServer, dir: string, name: string, data: Buffer) {
  const file = path.join(dir, name);
  await fs.writeFile(file, data);
  return { ...(await watchRemoval(server, file)), file };
}

/** The same, which must be a quick 422 "too complex" with the service answering and its tree bounded. */
export async function expectQuickRefusal(server: RunningServer, dir: string, name: string, data: Buffer): Promise<void> {
  const { result, ms, peakTreeMb, slowestHealthMs } = await removeBytesWatched(server, dir, name, data);
  expect(result.status, name).toBe(422);
  expect(result.body["error"]).toBe(TOO_COMPLEX);
  expect(ms, name).toBeLessThan(REFUSAL_MS);
  expect(peakTreeMb, name).toBeLessThan(TREE_MB);
  expect(slowestHealthMs, name).toBeLessThan(HEALTH_MS);
}
