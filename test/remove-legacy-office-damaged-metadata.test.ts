import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import CFB from "cfb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { directoryEntries } from "./helpers/compound-links.js";
import { legacyOfficeText, makeMarkedLegacyOffice } from "./helpers/make-legacy-office.js";
import { makeMarkedJpeg } from "./helpers/make-office.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { savedIn } from "./helpers/saved.js";
import { CONVERT, EXIFTOOL, run } from "./helpers/tools.js";
import { type RunningServer, startServer } from "./helpers/server.js";

/*
 * Office 97-2003 files damaged where their metadata is (one flipped bit or a run of zeros, found
 * by the fuzz test) came back holding it: a property set whose stream name lost its leading byte
 * 5 was kept as a stream of unknown use, a last-saved-by list whose size in the FIB was cut kept
 * the tail past that size (a user's folder), and a picture whose first bytes were zeroed kept its
 * EXIF block where no JPEG walk found it (with or without its TIFF header), and a workbook whose stream from its pictures on read
 * as other bytes (its sectors mixed up) kept the EXIF block left there. The first is cleaned, the
 * others are refused. So are a workbook whose WriteAccess record's type lost a bit (no reader
 * reads a record of unknown type, the cleaner included) and a document whose comment authors'
 * table was placed past its stream; a document whose FIB lost the places of its author tables
 * (zeroed) is cleaned, as the bytes no FIB pair points to are zeroed in every document.
 */

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-legacy-damaged-metadata-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/** `file` with `edit` applied to its streams' contents, written back as a compound file. */
async function withStreams(file: string, edit: (stream: (name: string) => Buffer) => void): Promise<Buffer> {
  const doc = CFB.read(await fs.readFile(file), { type: "buffer" });
  const stream = (name: string): Buffer => {
    const e = doc.FileIndex[doc.FullPaths.findIndex((p) => p.endsWith(`/${name}`))]!;
    e.content = Buffer.from(e.content!);
    return e.content as Buffer;
  };
  edit(stream);
  return CFB.write(doc, { type: "buffer", fileType: "cfb" }) as Buffer;
}

describe("POST /api/v1/remove on Office 97-2003 files damaged where their metadata is", () => {
  it("a workbook whose SummaryInformation stream's name lost its byte 5 is cleaned: that property set goes too", async () => {
    const marker = `Propset${crypto.randomBytes(5).toString("hex")}`;
    const file = await makeMarkedLegacyOffice(dir, "xls", marker);
    const whole = await fs.readFile(file);
    const entry = directoryEntries(whole).find((e) => e.name === "\u0005SummaryInformation")!;
    const damaged = Buffer.from(whole);
    damaged[entry.at + 1] = 0x40;
    expect(directoryEntries(damaged).some((e) => e.name === "\u4005SummaryInformation")).toBe(true);
    const { status, body, cleaned } = await removeViaApi(server, await savedIn(dir, "book.xls", damaged));
    expect(status, JSON.stringify(body)).toBe(200);
    expect(await findMarker(cleaned!, marker)).toEqual([]);
    const copy = await savedIn(dir, "cleaned.xls", cleaned!);
    expect(await legacyOfficeText(dir, "xls", copy)).toBe(await legacyOfficeText(dir, "xls", file));
  }, 180_000);

  it("a Word document whose last-saved-by list runs past the size its FIB gives it is refused as damaged (whole, it is cleaned)", async () => {
    const marker = `SavedBy${crypto.randomBytes(5).toString("hex")}`;
    const file = await makeMarkedLegacyOffice(dir, "doc", marker);
    const whole = await removeViaApi(server, file, "whole.doc");
    expect(whole.status, JSON.stringify(whole.body)).toBe(200);
    expect(await findMarker(whole.cleaned!, marker)).toEqual([]);
    // FibRgFcLcb97's lcbSttbSavedBy (pair 71 of the blob at byte 154): 64 bytes short.
    const damaged = await withStreams(file, (stream) => {
      const word = stream("WordDocument");
      const at = 154 + 8 * 71 + 4;
      expect(word.readUInt32LE(at)).toBeGreaterThan(64);
      word.writeUInt32LE(word.readUInt32LE(at) - 64, at);
    });
    const { status, body, cleaned } = await removeViaApi(server, await savedIn(dir, "saved-by.doc", damaged));
    expect(status, JSON.stringify(body)).toBe(422);
    expect(body["error"]).toBe("The Word 97-2003 document could not be read: a table of strings runs past its size.");
    expect(cleaned).toBeNull();
  }, 180_000);

  it("a Word document whose picture lost its first bytes, its EXIF block left, is refused, not handed back with it (whole, it is cleaned)", async () => {
    const marker = `Picture${crypto.randomBytes(5).toString("hex")}`;
    const file = await makeMarkedLegacyOffice(dir, "doc", `NoOne${crypto.randomBytes(3).toString("hex")}`, [await makeMarkedJpeg(dir, marker)]);
    const whole = await removeViaApi(server, file, "whole.doc");
    expect(whole.status, JSON.stringify(whole.body)).toBe(200);
    expect(await findMarker(whole.cleaned!, marker)).toEqual([]);
    const damaged = await withStreams(file, (stream) => {
      const data = stream("Data");
      const exif = data.indexOf("Exif\0\0");
      const start = data.lastIndexOf(Buffer.from([0xff, 0xd8, 0xff]), exif);
      expect(exif - start).toBeLessThan(64);
      data.fill(0, start, exif + 1);
    });
    const { status, body, cleaned } = await removeViaApi(server, await savedIn(dir, "picture.doc", damaged));
    expect(status, JSON.stringify(body)).toBe(422);
    expect(String(body["error"])).toContain("pictures that carry metadata of their own");
    expect(cleaned).toBeNull();
  }, 180_000);

  it("a Word document or workbook whose picture lost its start through its TIFF header (only EXIF directory entries left) is refused (whole, it is cleaned)", async () => {
    for (const [kind, fill] of [["doc", 0xff], ["xls", 0x00]] as const) {
      const marker = `Headless${crypto.randomBytes(5).toString("hex")}`;
      const file = await makeMarkedLegacyOffice(dir, kind, `NoOne${crypto.randomBytes(3).toString("hex")}`, [await makeMarkedJpeg(dir, marker)]);
      const whole = await removeViaApi(server, file, `whole.${kind}`);
      expect(whole.status, JSON.stringify(whole.body)).toBe(200);
      expect(await findMarker(whole.cleaned!, marker)).toEqual([]);
      // From the picture's record header (Word: its PICF too) through the TIFF header and IFD0's
      // entry count, as a run of zeros or of 0xFF the fuzz test made leaves it: no signature of a
      // JPEG, an EXIF block or a TIFF structure is left, only IFD0's entries and their values.
      const damaged = await withStreams(file, (stream) => {
        const b = stream(kind === "doc" ? "Data" : "Workbook");
        const exif = b.indexOf("Exif\0\0");
        const from = kind === "doc" ? 0 : b.lastIndexOf(Buffer.from([0x1d, 0xf0]), exif) - 2;
        expect(exif - from).toBeLessThan(kind === "doc" ? 1024 : 64);
        b.fill(fill, from, exif + 6 + 8 + 2);
        for (const gone of ["Exif", "MM\0*", "II*\0"]) expect(b.includes(gone)).toBe(false);
      });
      expect(await findMarker(damaged, marker)).not.toEqual([]);
      const { status, body, cleaned } = await removeViaApi(server, await savedIn(dir, `headless.${kind}`, damaged));
      expect(status, `${kind}: ${JSON.stringify(body)}`).toBe(422);
      expect(String(body["error"])).toContain("pictures that carry metadata of their own");
      expect(cleaned).toBeNull();
    }
  }, 180_000);

  it("a Word document whose picture lost everything before its author's name but the JPEG's tables is refused (fuzz seed 40203677, #4131); a workbook whose photo spans many records is cleaned", async () => {
    const marker = `Bare${crypto.randomBytes(5).toString("hex")}`;
    const file = await makeMarkedLegacyOffice(dir, "doc", `NoOne${crypto.randomBytes(3).toString("hex")}`, [await makeMarkedJpeg(dir, marker)]);
    // Zeros from the Data stream's start through every directory entry: the name is a bare string
    // before the quantization tables, with no structure left to find it by.
    const damaged = await withStreams(file, (stream) => {
      const data = stream("Data");
      const name = data.indexOf(marker);
      expect(data.indexOf(Buffer.from([0xff, 0xdb, 0x00, 0x43]), name)).toBeGreaterThan(name);
      data.fill(0, 0, name - 24);
      for (const gone of ["Exif", "MM\0*", "II*\0"]) expect(data.includes(gone)).toBe(false);
    });
    expect(await findMarker(damaged, marker)).not.toEqual([]);
    const { status, body, cleaned } = await removeViaApi(server, await savedIn(dir, "bare.doc", damaged));
    expect(status, JSON.stringify(body)).toBe(422);
    expect(String(body["error"])).toContain("a damaged picture whose start is lost");
    expect(cleaned).toBeNull();

    // A photo of 400 KB with a 30 KB EXIF block: Excel's drawing group records (8 KB each) cut it
    // in many places, and only the joined records show it whole, tables and all.
    const big = path.join(dir, "big.jpg");
    await run(CONVERT, ["-size", "640x480", "plasma:", "-quality", "95", big]);
    await run(EXIFTOOL, ["-q", "-overwrite_original", `-EXIF:Artist=${marker}`, `-EXIF:UserComment=${"x".repeat(30_000)}`, big]);
    const photo = await fs.readFile(big);
    expect(photo.length).toBeGreaterThan(100_000);
    const book = await makeMarkedLegacyOffice(dir, "xls", `NoOne${crypto.randomBytes(3).toString("hex")}`, [photo]);
    const res = await removeViaApi(server, book, "big-photo.xls");
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(await findMarker(res.cleaned!, marker)).toEqual([]);
  }, 180_000);

  it("a Word document whose Data stream ends with 8,192 JPEG starts that all scan the same 2 MB is refused as too complex in seconds, not walked in minutes", async () => {
    const file = await makeMarkedLegacyOffice(dir, "doc", `NoOne${crypto.randomBytes(3).toString("hex")}`, [await makeMarkedJpeg(dir, "Scans")]);
    // Each SOI's scan header is long enough to start its scan at 64 KB, where 2 MB without a marker
    // follow: walked one by one, the scans would cost 8,192 times 2 MB.
    const window = 65_536;
    const data = Buffer.alloc(window + 2_000_000);
    for (let at = 0; at + 8 <= window; at += 8) {
      data.set([0xff, 0xd8, 0xff, 0xda], at);
      data.writeUInt16BE(window - at - 4, at + 4);
    }
    data.set([0xff, 0xdb, 0x00, 0x43, 0x00], data.length - 10);
    const doc = CFB.read(await fs.readFile(file), { type: "buffer" });
    const at = doc.FullPaths.findIndex((p) => p.endsWith("/Data"));
    expect(at).toBeGreaterThan(0);
    CFB.utils.cfb_add(doc, doc.FullPaths[at]!, Buffer.concat([Buffer.from(doc.FileIndex[at]!.content!), data]));
    const started = Date.now();
    const { status, body } = await removeViaApi(server, await savedIn(dir, "scans.doc", CFB.write(doc, { type: "buffer", fileType: "cfb" }) as Buffer));
    expect(status, JSON.stringify(body)).toBe(422);
    expect(body["error"]).toBe("The file is too complex to process within this service's limits.");
    expect(Date.now() - started).toBeLessThan(20_000);
  }, 180_000);

  it("a Word document whose Data stream ends in a JPEG start and fill bytes only is cleaned (fuzz seed 414344189, #5566: a 500)", async () => {
    const marker = `MRKfill${crypto.randomBytes(4).toString("hex")}`;
    const file = await makeMarkedLegacyOffice(dir, "doc", marker, [await makeMarkedJpeg(dir, marker)]);
    // The walk from that SOI skips the fill bytes past the last whole segment header.
    const doc = CFB.read(await fs.readFile(file), { type: "buffer" });
    const at = doc.FullPaths.findIndex((p) => p.endsWith("/Data"));
    expect(at).toBeGreaterThan(0);
    CFB.utils.cfb_add(doc, doc.FullPaths[at]!, Buffer.concat([Buffer.from(doc.FileIndex[at]!.content!), Buffer.from([0xff, 0xd8, 0xff, 0xff, 0xff, 0xff])]));
    const { status, body, cleaned } = await removeViaApi(server, await savedIn(dir, "fill.doc", CFB.write(doc, { type: "buffer", fileType: "cfb" }) as Buffer));
    expect(status, JSON.stringify(body)).toBe(200);
    expect(await findMarker(cleaned!, marker)).toEqual([]);
    const whole = await removeViaApi(server, file, "whole.doc");
    expect(whole.status, JSON.stringify(whole.body)).toBe(200);
    const text = await legacyOfficeText(dir, "doc", await savedIn(dir, "fill-cleaned.doc", cleaned!));
    expect(text).toContain("Hello body text of the document");
    expect(text).toBe(await legacyOfficeText(dir, "doc", await savedIn(dir, "whole-cleaned.doc", whole.cleaned!)));
  }, 180_000);

  it("a workbook whose records run past the end of its stream (its pictures' start overwritten, their EXIF left) is refused as damaged (whole, it is cleaned)", async () => {
    const marker = `Overrun${crypto.randomBytes(5).toString("hex")}`;
    const file = await makeMarkedLegacyOffice(dir, "xls", `NoOne${crypto.randomBytes(3).toString("hex")}`, [await makeMarkedJpeg(dir, marker)]);
    const whole = await removeViaApi(server, file, "whole.xls");
    expect(whole.status, JSON.stringify(whole.body)).toBe(200);
    expect(await findMarker(whole.cleaned!, marker)).toEqual([]);
    // Bytes of 0xFF from the drawing group record (0x00EB) through the EXIF block's and TIFF headers, as a
    // stream whose sectors were mixed up reads: a record of type 0xFFFF claiming 65,535 bytes.
    const damaged = await withStreams(file, (stream) => {
      const workbook = stream("Workbook");
      const exif = workbook.indexOf("Exif\0\0");
      const group = workbook.lastIndexOf(Buffer.from([0xeb, 0x00]), exif);
      expect(exif - group).toBeLessThan(200);
      workbook.fill(0xff, group, exif + 14);
    });
    const { status, body, cleaned } = await removeViaApi(server, await savedIn(dir, "overrun.xls", damaged));
    expect(status, JSON.stringify(body)).toBe(422);
    expect(String(body["error"])).toMatch(/^The Excel 97-2003 workbook could not be read: its record at byte \d+ runs past the end of its stream\.$/);
    expect(cleaned).toBeNull();
  }, 180_000);

  // 0x0054 is inside the range of record types, and no type at all (fuzz seed 226070679, #833).
  it.each([{ name: "0x405C", type: 0x405c }, { name: "0x0054", type: 0x0054 }])("a workbook whose WriteAccess record's type lost a bit (0x005C -> $name), the user name in it, is refused as damaged", async ({ type }) => {
    const marker = `Access${crypto.randomBytes(5).toString("hex")}`;
    const file = await makeMarkedLegacyOffice(dir, "xls", marker);
    const whole = await removeViaApi(server, file, "whole.xls");
    expect(whole.status, JSON.stringify(whole.body)).toBe(200);
    expect(await findMarker(whole.cleaned!, marker)).toEqual([]);
    let flipped = -1;
    const damaged = await withStreams(file, (stream) => {
      const workbook = stream("Workbook");
      for (let pos = 0; pos + 4 <= workbook.length && flipped < 0; pos += 4 + workbook.readUInt16LE(pos + 2)) {
        if (workbook.readUInt16LE(pos) === 0x005c) {
          workbook.writeUInt16LE(type, pos);
          flipped = pos;
        }
      }
    });
    expect(flipped).toBeGreaterThan(0);
    expect(await findMarker(damaged, marker)).not.toEqual([]);
    const { status, body, cleaned } = await removeViaApi(server, await savedIn(dir, "access.xls", damaged));
    expect(status, JSON.stringify(body)).toBe(422);
    expect(body["error"]).toBe(`The Excel 97-2003 workbook could not be read: its record at byte ${flipped} is of a type Excel does not write.`);
    expect(cleaned).toBeNull();
  }, 180_000);

  it("a Word document whose FIB lost the places of its last-saved-by list and revision authors (zeroed) is cleaned: those tables' bytes go", async () => {
    const marker = `Unplaced${crypto.randomBytes(5).toString("hex")}`;
    const file = await makeMarkedLegacyOffice(dir, "doc", marker);
    // FibRgFcLcb97 (the blob at byte 154): pair 51 is SttbfRMark, pair 71 SttbSavedBy.
    const damaged = await withStreams(file, (stream) => {
      const word = stream("WordDocument");
      for (const pair of [51, 71]) {
        expect(word.readUInt32LE(154 + 8 * pair + 4)).toBeGreaterThan(0);
        word.fill(0, 154 + 8 * pair, 154 + 8 * pair + 8);
      }
    });
    expect(await findMarker(damaged, marker)).not.toEqual([]);
    const { status, body, cleaned } = await removeViaApi(server, await savedIn(dir, "unplaced.doc", damaged));
    expect(status, JSON.stringify(body)).toBe(200);
    expect(await findMarker(cleaned!, marker)).toEqual([]);
    // The same text as the whole document's clean copy (whose comments and deleted words go).
    const whole = await removeViaApi(server, file, "whole.doc");
    expect(whole.status, JSON.stringify(whole.body)).toBe(200);
    const copy = await savedIn(dir, "unplaced-cleaned.doc", cleaned!);
    const wholeCopy = await savedIn(dir, "whole-cleaned.doc", whole.cleaned!);
    expect(await legacyOfficeText(dir, "doc", copy)).toBe(await legacyOfficeText(dir, "doc", wholeCopy));
  }, 180_000);

  it("a Word document whose comment authors' table is placed past the end of its table stream is refused as damaged", async () => {
    const marker = `Placed${crypto.randomBytes(5).toString("hex")}`;
    const file = await makeMarkedLegacyOffice(dir, "doc", marker);
    // Pair 36, GrpXstAtnOwners: its fc moved 32,768 bytes on (one flipped bit), its bytes left where they were.
    const damaged = await withStreams(file, (stream) => {
      const word = stream("WordDocument");
      const at = 154 + 8 * 36;
      expect(word.readUInt32LE(at + 4)).toBeGreaterThan(0);
      word.writeUInt32LE(word.readUInt32LE(at) + 0x8000, at);
    });
    const { status, body, cleaned } = await removeViaApi(server, await savedIn(dir, "placed.doc", damaged));
    expect(status, JSON.stringify(body)).toBe(422);
    expect(body["error"]).toBe("The Word 97-2003 document could not be read: one of its tables lies past the end of the table stream.");
    expect(cleaned).toBeNull();
  }, 180_000);
});
