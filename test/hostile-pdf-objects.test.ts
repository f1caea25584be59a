import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findMarker } from "./helpers/marker-scan.js";
import { pdfContent } from "./helpers/make-pdf.js";
import { TINY_OBJECTS_TEXT, pdfOfFreeXrefEntries, pdfOfTinyObjects, pdfOfTinyObjectsInStreams, pdfWithDeepPageTree, pdfWithLongArray } from "./helpers/make-pdf-objects.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { run } from "./helpers/tools.js";
import { watchRemoval } from "./helpers/watch-service.js";
import { HEALTH_MS, REFUSAL_MS, removeBytesWatched, TOO_COMPLEX, TREE_MB } from "./helpers/quick-refusal.js";

/**
 * PDFs of hundreds of thousands of tiny objects or cross-reference entries, which ExifTool and
 * qpdf each read one by one (qpdf holding them all): past the screen's counts a quick 422 within
 * bounded memory, below them still cleaned.
 */

const MARKER = "Tinyobjectsmarker";

let dir: string;
let server: RunningServer;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-hostile-pdf-objects-"));
  server = await startServer();
});

afterAll(async () => {
  await server?.stop();
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

const removeWatched = (name: string, data: Buffer) => removeBytesWatched(server, dir, name, data);

describe("PDFs of many tiny objects", () => {
  it.each([
    // 6.7 MB: qpdf ran out of its memory cap after 17 s, the service's tree at 1,278 MB.
    ["a million objects in object streams", () => pdfOfTinyObjectsInStreams(1_000_000, 100_000, MARKER)],
    // 33 MB: a 422 after 37 s at 949 MB.
    ["600,000 objects of their own", () => pdfOfTinyObjects(600_000, MARKER)],
    // 18 kB of compressed zeros: cleaned, 200 after 6 s, the tree at 876 MB.
    ["2,000,000 free cross-reference entries", () => pdfOfFreeXrefEntries(2_000_000, MARKER)],
  ])("%s: a quick 422 within bounded memory", async (name, make) => {
    const { result, ms, peakTreeMb, slowestHealthMs } = await removeWatched("objects.pdf", make());
    expect(result.status, name).toBe(422);
    expect(result.body["error"]).toBe(TOO_COMPLEX);
    expect(ms, name).toBeLessThan(REFUSAL_MS);
    expect(peakTreeMb, name).toBeLessThan(TREE_MB);
    expect(slowestHealthMs, name).toBeLessThan(HEALTH_MS);
  }, 120_000);

  it.each([
    ["100,000 objects in one object stream (650 kB)", () => pdfOfTinyObjectsInStreams(100_000, 100_000, MARKER)],
    // Our walk of the objects to be written spread the array into one call: a 422 when it
    // overflowed the worker's stack.
    ["an array of a million references (6 MB)", () => pdfWithLongArray(1_000_000, MARKER)],
  ])("%s: cleaned, the Info's marker gone, the page's text the same", async (name, make) => {
    const { result, file } = await removeWatched("cleanable.pdf", make());
    expect(result.status, JSON.stringify(result.body)).toBe(200);
    expect(result.body["remaining"]).toEqual({});
    const cleaned = path.join(dir, "cleaned.pdf");
    await fs.writeFile(cleaned, result.cleaned!);
    expect(await findMarker(file, MARKER)).not.toEqual([]);
    expect(await findMarker(cleaned, MARKER)).toEqual([]);
    const [before, after] = [await pdfContent(file), await pdfContent(cleaned)];
    expect(before.text).toContain(TINY_OBJECTS_TEXT);
    expect(after).toEqual(before);
  }, 120_000);

  it("a page tree 25,000 nodes deep (1 MB), written plain or in object streams, is a quick 422 (was a 500: qpdf's recursive walk of the tree crashed)", async () => {
    const plain = path.join(dir, "deep.pdf");
    await fs.writeFile(plain, pdfWithDeepPageTree(25_000, MARKER));
    // The screen sees the nodes of the plain file; in object streams they are compressed.
    const packed = path.join(dir, "deep-packed.pdf");
    await run("qpdf", ["--object-streams=generate", plain, packed]);
    // A service of its own: the tests above leave this file's ExifTool processes hundreds of MB
    // larger (the tree read 333 MB for the plain file after them, 172 MB fresh), which is theirs.
    const fresh = await startServer();
    try {
      for (const file of [plain, packed]) {
        const { result, ms, peakTreeMb } = await watchRemoval(fresh, file);
        expect(result.status, file).toBe(422);
        expect(result.body["error"]).toBe(TOO_COMPLEX);
        expect(ms, file).toBeLessThan(REFUSAL_MS);
        expect(peakTreeMb, file).toBeLessThan(TREE_MB);
      }
    } finally {
      await fresh.stop();
    }
  }, 120_000);
});
