import path from "node:path";
import { expect } from "vitest";
import { heifPixelSignature } from "./make-images.js";
import { findMarker } from "./marker-scan.js";
import { cleanedCopyViaApi } from "./remove-api.js";
import type { RunningServer } from "./server.js";

/**
 * Removes a HEIC/AVIF's metadata through the API and expects a 200 with nothing left in
 * `remaining`, `marker` gone from the copy's bytes and libheif's pixels equal to `pixels` (the
 * original's signature). Resolves to the copy's path, beside `file`.
 */
export async function expectHeifCleanedSamePixels(server: RunningServer, file: string, marker: string, pixels: string): Promise<string> {
  const { out } = await cleanedCopyViaApi(server, file, path.dirname(file));
  expect(await findMarker(out, marker)).toEqual([]);
  expect(await heifPixelSignature(out)).toBe(pixels);
  return out;
}
