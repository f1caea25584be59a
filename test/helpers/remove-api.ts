import fs from "node:fs/promises";
import path from "node:path";
import { expect } from "vitest";
import { type RunningServer, postFile } from "./server.js";

export interface RemoveOutcome {
  status: number;
  body: Record<string, unknown>;
  /** The downloaded cleaned bytes (null when the request failed). */
  cleaned: Buffer | null;
  /** The answer's Retry-After header, if any. */
  retryAfter?: string | null;
}

/** Uploads a file to POST /api/v1/remove (with extra form fields: `keep`...) and, on success, downloads the cleaned copy. */
export async function removeViaApi(server: RunningServer, file: string, name = path.basename(file), fields: Record<string, string> = {}): Promise<RemoveOutcome> {
  const res = await postFile(`${server.baseUrl}/api/v1/remove`, { name, data: await fs.readFile(file) }, { headers: { "X-API-Key": server.apiKey }, fields });
  const body = (await res.json()) as Record<string, unknown>;
  const retryAfter = res.headers.get("retry-after");
  if (res.status !== 200 || typeof body["downloadUrl"] !== "string") return { status: res.status, body, cleaned: null, retryAfter };
  const dl = await fetch(body["downloadUrl"]);
  if (dl.status !== 200) throw new Error(`download of ${name} failed with ${dl.status}`);
  return { status: res.status, body, cleaned: Buffer.from(await dl.arrayBuffer()), retryAfter };
}

/**
 * Removes through the API, expecting a 200 with nothing left in `remaining`, and writes the copy
 * into `dir` as `cleaned-NAME`.
 */
export async function cleanedCopyViaApi(server: RunningServer, file: string, dir: string): Promise<{ out: string; removed: Record<string, number> }> {
  const { status, body, cleaned } = await removeViaApi(server, file);
  expect(status, JSON.stringify(body)).toBe(200);
  expect(body["remaining"]).toEqual({});
  const out = path.join(dir, `cleaned-${path.basename(file)}`);
  await fs.writeFile(out, cleaned!);
  return { out, removed: body["removed"] as Record<string, number> };
}
