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

/**
 * The document without its embedded objects, in place: the ObjectPool storage ([MS-CFB] 2.6.1: a
 * 128-byte directory entry, its name in UTF-16) points at no child, and the entries below it are
 * marked unused (object type 0), as a file with no object has them.
 */
function withoutObjectPool(doc: Buffer): Buffer {
  const out = Buffer.from(doc);
  const pool = out.indexOf(Buffer.from("ObjectPool\0", "utf16le"));
  expect(pool % 128).toBe(0);
  out.writeUInt32LE(0xffffffff, pool + 76);
  for (const name of ["_1012299795", "\u0001Ole", "\u0001CompObj", "\u0003ObjInfo", "\u0002OlePres000", "\u0001Ole10Native"]) {
    const entry = out.indexOf(Buffer.from(`${name}\0`, "utf16le"), pool);
    expect(entry % 128).toBe(0);
    out.fill(0, entry, entry + 128);
    out.writeUInt32LE(0xffffffff, entry + 68);
    out.writeUInt32LE(0xffffffff, entry + 72);
    out.writeUInt32LE(0xffffffff, entry + 76);
  }
  return out;
}

describe("a Word 97-2003 document whose drawing Word deflated tighter than zlib does", () => {
  it("node-word-extractor's test06.doc (fixture): its WMF, cleaned, is deflated tightly enough to fit its place again, and draws the same", async () => {
    const file = path.join(import.meta.dirname, "fixtures", "doc", "drawing-deflated-tight.doc");
    const original = await fs.readFile(file);
    const before = deflatedMetafiles(original);
    expect(before.length).toBeGreaterThan(0);
    // zlib at its best level makes the drawing larger than Word's stream: a cleaned copy changing a few bytes cannot go back by zlib alone.
    for (const { stored, plain } of before) expect(zlib.deflateSync(plain, { level: 9 }).length).toBeGreaterThan(stored);

    // The document also holds a ClipArt Gallery object whose OLE 1 native data (a clip's category
    // and path) no cleaner reads: refused naming its program (d46e821, as in OOXML since de6fc21).
    // Its Data stream, drawing included, is cleaned on its own here, without that object.
    const withoutObject = path.join(dir, "without-object.doc");
    await fs.writeFile(withoutObject, withoutObjectPool(original));
    const refused = await removeViaApi(server, file);
    expect(refused.status).toBe(422);
    expect(refused.body["error"]).toBe("The file holds an embedded object (MS_ClipArt_Gallery) that this service cannot clean.");
    const { status, body, cleaned } = await removeViaApi(server, withoutObject, "test06.doc");
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
    expect(await legacyOfficeDrawings(dir, "doc", copy)).toEqual(await legacyOfficeDrawings(dir, "doc", withoutObject));
  }, 120_000);
});
