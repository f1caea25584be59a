import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { legacyOfficeDrawings } from "./helpers/make-legacy-pictures.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-deflated-drawing-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/**
 * The deflated metafiles of a document's BLIPs ([MS-ODRAW] 2.2.24/2.2.25: a 34-byte header whose
 * last two bytes are the compression, deflate, and no filter; the metafile's size first, the stored size at 28): each one's
 * stored size and its inflated bytes. The fixture's Data stream lies in whole sectors in a row.
 */
function deflatedMetafiles(doc: Buffer): Array<{ stored: number; plain: Buffer }> {
  const found: Array<{ stored: number; plain: Buffer }> = [];
  for (let at = doc.indexOf(Buffer.from([0x00, 0xfe, 0x78])); at >= 32; at = doc.indexOf(Buffer.from([0x00, 0xfe, 0x78]), at + 1)) {
    const stored = doc.readUInt32LE(at - 32 + 28);
    let plain: Buffer;
    try {
      plain = zlib.inflateSync(doc.subarray(at + 2, at + 2 + stored));
    } catch {
      continue;
    }
    // The header's first field is the metafile's size: bytes that only look like a header's end do not match it.
    if (doc.readUInt32LE(at - 32) === plain.length) found.push({ stored, plain });
  }
  return found;
}

describe("a Word 97-2003 document whose drawing Word deflated tighter than zlib does", () => {
  it("node-word-extractor's test06.doc (fixture): its WMF, cleaned, is deflated tightly enough to fit its place again, and draws the same", async () => {
    const file = path.join(import.meta.dirname, "fixtures", "doc", "drawing-deflated-tight.doc");
    const original = await fs.readFile(file);
    const before = deflatedMetafiles(original);
    expect(before.length).toBeGreaterThan(0);
    // zlib at its best level makes the drawing larger than Word's stream: a cleaned copy changing a few bytes cannot go back by zlib alone.
    for (const { stored, plain } of before) expect(zlib.deflateSync(plain, { level: 9 }).length).toBeGreaterThan(stored);

    const { status, body, cleaned } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    expect((body["removed"] as Record<string, number>)["metafileText"]).toBeGreaterThan(0);

    // The document holds the one drawing more than once, each copy the same.
    const was = before[0]!.plain;
    for (const { plain } of before) expect(plain.equals(was)).toBe(true);
    const after = deflatedMetafiles(cleaned!);
    expect(after.length).toBeGreaterThanOrEqual(before.length);
    after.forEach(({ stored, plain }) => {
      expect(stored).toBeLessThanOrEqual(before[0]!.stored);
      // The drawing's bytes past its records' fields became zeros; nothing else changed.
      expect(plain.length).toBe(was.length);
      const changed = [...plain.keys()].filter((k) => plain[k] !== was[k]);
      expect(changed.length).toBeGreaterThan(0);
      for (const k of changed) expect(plain[k], `byte ${k}`).toBe(0);
    });
    const copy = path.join(dir, "cleaned.doc");
    await fs.writeFile(copy, cleaned!);
    expect(await legacyOfficeDrawings(dir, "doc", copy)).toEqual(await legacyOfficeDrawings(dir, "doc", file));
  }, 120_000);
});
