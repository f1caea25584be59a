import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { proveMetafile } from "../src/cleaners/proof/metafile-proof.js";
import { makeEmf, makeWmf } from "./helpers/make-legacy-pictures.js";
import { drawn as drawDrawing, emfComment, emfPlusRecord, emfRecord, padded, withEmfRecords, withWmfRecords, wmfRecord, words } from "./helpers/make-metafile-records.js";
import { makeMarkedJpeg, makeOffice, withRelated, zip } from "./helpers/make-office.js";
import { findMarker } from "./helpers/marker-scan.js";
import { readZip } from "./helpers/read-archives.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { pixelSignature } from "./helpers/tools.js";

const MARKER = "MFZQ7";
const drawn = (name: string, bytes: Buffer): Promise<string> => drawDrawing(dir, name, bytes);
let server: RunningServer;
let dir: string;

beforeAll(async () => {
  server = await startServer();
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-metafiles-"));
});

afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/** A fixed-length face name field of `bytes`: `name`, its terminator, then `after`. */
function faceName(name: string, after: Buffer, bytes: number, encoding: BufferEncoding): Buffer {
  const field = Buffer.alloc(bytes);
  const head = Buffer.from(`${name}\0`, encoding);
  head.copy(field);
  after.copy(field, head.length);
  return field;
}

const marked = (text: string, encoding: BufferEncoding = "latin1"): Buffer => Buffer.from(`${MARKER} ${text}`, encoding);

/**
 * Places an EMF can carry data that no reader draws: a record of a type none knows, a printer
 * escape, bytes past a rectangle's fields, a font's face name after its terminator, a public
 * comment holding a file for printers, and in EMF+ comments a reserved record type, padding past a
 * record's data and a comment record.
 */
const EMF_HIDING: ReadonlyArray<[string, Buffer]> = [
  ["a record of a type no reader knows", emfRecord(0x7fff, marked("unknown record"))],
  ["a printer escape (DRAWESCAPE)", emfRecord(105, words(0x1014, marked("escape").length), marked("escape"))],
  ["bytes past a rectangle's fields", emfRecord(43, words(10, 60, 40, 90), marked("after the fields"))],
  ["a font's face name after its terminator", emfRecord(82, words(3, -12, 0, 0, 0, 400, 0, 0), faceName("Arial", marked("face", "utf16le"), 64, "utf16le"))],
  ["a public comment holding an EPS for printers", emfComment(Buffer.from("GDIC", "latin1"), words(0x40000004, 0, 0, 99, 99, 1, 0x46535045, 1, 16, 44), marked("eps data.."))],
  [
    "EMF+ records: a reserved type, padding past a record's data, a comment",
    emfComment(Buffer.from("EMF+", "latin1"), emfPlusRecord(0x4006, marked("section...")), emfPlusRecord(0x4004, Buffer.alloc(0), marked("padding...")), emfPlusRecord(0x4003, marked("comment..."))),
  ],
  [
    "EMF+ records of a fixed length, text inside their data size: a transform, an ellipse of 16-bit coordinates",
    emfComment(Buffer.from("EMF+", "latin1"), emfPlusRecord(0x402a, Buffer.concat([words(0x3f800000, 0, 0, 0x3f800000, 0, 0), marked("matrix")])), compressedEllipse()),
  ],
];

/** DrawEllipse ([MS-EMFPLUS] 2.3.4.9) with the flag for 16-bit coordinates (an 8-byte rectangle), text after the rectangle within its data size. */
function compressedEllipse(): Buffer {
  const r = emfPlusRecord(0x400f, Buffer.concat([Buffer.from([10, 0, 10, 0, 50, 0, 30, 0]), marked("ellipse...")]));
  r.writeUInt16LE(0x4000, 2);
  return r;
}

/** Places a WMF can carry data that no reader draws: a record of a function none knows, a printer escape, bytes past a rectangle's fields, a font's face name after its terminator. */
const WMF_HIDING: ReadonlyArray<[string, Buffer]> = [
  ["a record of a function no reader knows", wmfRecord(0x0777, marked("unknown rec."))],
  ["a PostScript escape for printers", wmfRecord(0x0626, Buffer.concat([Buffer.from([0x14, 0x10, 12, 0]), marked("script")]))],
  ["bytes past a rectangle's fields", wmfRecord(0x041b, Buffer.concat([Buffer.from([60, 0, 95, 0, 50, 0, 40, 0]), marked("after.")]))],
  ["a font's face name after its terminator", wmfRecord(0x02fb, Buffer.concat([Buffer.alloc(18), faceName("Arial", marked("face"), 32, "latin1")]))],
];

/**
 * Pictures inside a drawing, each a JPEG carrying `jpeg`'s EXIF: an EMF+ image object (a
 * compressed bitmap) continued over two comments, as GDI+ stores a large one, and a
 * STRETCHDIBITS whose bitmap is a JPEG (BI_JPEG). Says where each JPEG's pieces lie in the
 * result, to read them back from a copy of the same length.
 */
function withPictures(emf: Buffer, jpeg: Buffer): { bytes: Buffer; pieces: Array<Array<[number, number]>> } {
  const image = padded(Buffer.concat([words(0xdbc01002, 1, 16, 16, 0, 0x0022200a, 1), jpeg]));
  const split = 4 * Math.floor(image.length / 8);
  const first = emfComment(Buffer.from("EMF+", "latin1"), emfPlusRecord(0x4008, Buffer.concat([words(image.length), image.subarray(0, split)])));
  first.writeUInt16LE(0x8000 | 0x0500, 16 + 2);
  const second = emfComment(Buffer.from("EMF+", "latin1"), emfPlusRecord(0x4008, image.subarray(split)));
  second.writeUInt16LE(0x0500, 16 + 2);
  const bits = padded(jpeg);
  const bmi = words(40, 16, 16, 1, 4, jpeg.length, 0, 0, 0, 0);
  const dib = emfRecord(81, words(0, 0, 16, 16, 0, 0, 0, 0, 16, 16, 80, 40, 120, jpeg.length, 0, 0x00cc0020, 16, 16), bmi, bits);
  const bytes = withEmfRecords(emf, [first, second, dib]);
  const at = emf.length - 20;
  const jpegAt = 16 + 12 + 4 + 28;
  const secondAt = at + first.length;
  const dibAt = secondAt + second.length;
  return {
    bytes,
    pieces: [
      [
        [at + jpegAt, at + 16 + 12 + 4 + split],
        [secondAt + 16 + 12, secondAt + 16 + 12 + jpeg.length - (split - 28)],
      ],
      [[dibAt + 120, dibAt + 120 + jpeg.length]],
    ],
  };
}

describe("EMF and WMF drawings", () => {
  const drawings: Array<[string, Buffer, number]> = [
    // The description (program and picture name), a private comment and a comment group's description.
    ["drawing.emf", makeEmf(MARKER), 3],
    ["drawing.wmf", makeWmf(MARKER), 1],
  ];

  it.each(drawings)("%s on its own: texts gone, every drawing record kept, the same picture drawn", async (name, original, texts) => {
    expect(await findMarker(original, MARKER)).not.toEqual([]);
    const file = path.join(dir, name);
    await fs.writeFile(file, Buffer.concat([original, Buffer.from(`${MARKER} after the end`)]));
    const { status, body, cleaned } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["removed"]).toEqual({ metafileText: texts });
    expect(body["remaining"]).toEqual({});
    expect(await findMarker(cleaned!, MARKER)).toEqual([]);
    // Only texts became zeros (a blanked private comment is marked "zeRo"): the same length, and
    // every byte that differs is a zero now.
    expect(cleaned!.length).toBe(original.length);
    const zeroed = Buffer.from(cleaned!.toString("latin1").replaceAll("zeRo", "\0\0\0\0"), "latin1");
    for (let i = 0; i < original.length; i++) if (zeroed[i] !== original[i]) expect(zeroed[i], `byte ${i}`).toBe(0);
    expect(await drawn(`copy-${name}`, cleaned!)).toBe(await drawn(name, original));
  });

  const hostile: Array<[string, Buffer, number]> = [
    // The three texts of makeEmf, then one for each place (three in the first EMF+ comment, two in the second).
    ["hiding.emf", withEmfRecords(makeEmf(MARKER), EMF_HIDING.map(([, r]) => r)), 3 + EMF_HIDING.length + 2 + 1],
    // The comment of makeWmf, then one for each place; the font is one more object.
    ["hiding.wmf", withWmfRecords(makeWmf(MARKER), WMF_HIDING.map(([, r]) => r), 1), 1 + WMF_HIDING.length],
  ];

  it.each(hostile)("%s: records no reader draws go, bytes past a record's fields become zeros, the same picture drawn", async (name, original, removed) => {
    const file = path.join(dir, name);
    await fs.writeFile(file, original);
    const { status, body, cleaned } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["removed"]).toEqual({ metafileText: removed });
    expect(await findMarker(cleaned!, MARKER)).toEqual([]);
    expect(cleaned!.length).toBeLessThan(original.length);
    expect(await drawn(`copy-${name}`, cleaned!)).toBe(await drawn(name, original));
  });

  it.each([
    ["drawing.emf", makeEmf(MARKER), (clean: Buffer, r: Buffer) => withEmfRecords(clean, [r]), EMF_HIDING],
    ["drawing.wmf", makeWmf(MARKER), (clean: Buffer, r: Buffer) => withWmfRecords(clean, [r], 0), WMF_HIDING],
  ] as const)("the proof of a cleaned %s fails for each place data can hide, added to a cleaned copy", async (name, original, add, hiding) => {
    const file = path.join(dir, `proof-${name}`);
    await fs.writeFile(file, original);
    const { status, cleaned } = await removeViaApi(server, file);
    expect(status).toBe(200);
    await fs.writeFile(file, cleaned!);
    expect(await proveMetafile(file)).toBeNull();
    for (const [what, record] of hiding) {
      await fs.writeFile(file, add(cleaned!, record));
      expect(await proveMetafile(file), what).not.toBeNull();
    }
  });

  it("pictures inside an EMF (an EMF+ image over two comments, a JPEG bitmap) lose their EXIF, their pixels the same", async () => {
    const jpeg = await makeMarkedJpeg(dir, MARKER);
    const { bytes: original, pieces } = withPictures(makeEmf(MARKER), jpeg);
    const file = path.join(dir, "pictures.emf");
    await fs.writeFile(file, original);
    const { status, body, cleaned } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(200);
    // The three texts of makeEmf and the two pictures (ExifTool, finding the whole JPEG in the bytes, counts its tags too).
    expect((body["removed"] as Record<string, number>)["metafileText"]).toBe(3 + 2);
    expect(body["remaining"]).toEqual({});
    expect(await findMarker(cleaned!, MARKER)).toEqual([]);
    expect(cleaned!.length).toBe(original.length);
    const picture = async (name: string, from: Buffer, at: Array<[number, number]>): Promise<string> => {
      const out = path.join(dir, name);
      await fs.writeFile(out, Buffer.concat(at.map(([s, e]) => from.subarray(s, e))));
      return pixelSignature(out);
    };
    for (const [i, at] of pieces.entries()) {
      expect(Buffer.concat(at.map(([s, e]) => original.subarray(s, e))).equals(jpeg), `picture ${i} placed`).toBe(true);
      expect(await picture(`cleaned-${i}.jpg`, cleaned!, at)).toBe(await pixelSignature(path.join(dir, `marked-${MARKER}.jpg`)));
    }
  });

  it("a picture inside an EMF whose segments cannot be walked, its EXIF left, makes the drawing a 422", async () => {
    const jpeg = await makeMarkedJpeg(dir, MARKER);
    const file = path.join(dir, "unwalkable.emf");
    await fs.writeFile(file, withPictures(makeEmf(MARKER), Buffer.concat([Buffer.from([0xff, 0xd8, 0x00]), jpeg.subarray(2)])).bytes);
    const { status, body } = await removeViaApi(server, file);
    expect(status).toBe(422);
    expect(body["error"]).toBe("The drawing holds a picture that carries metadata of its own (camera, place, author) in a form this service cannot remove.");
  });

  it("a damaged drawing is a 422 with its reason", async () => {
    const emf = makeEmf(MARKER);
    emf.writeUInt32LE(0x7fff0000, 108 + 4 + (emf.readUInt32LE(4) - 108));
    const file = path.join(dir, "damaged.emf");
    await fs.writeFile(file, emf.subarray(0, emf.readUInt32LE(4) + 12));
    const { status, body } = await removeViaApi(server, file);
    expect(status).toBe(422);
    expect(body["error"]).toBe("The drawing (EMF or WMF) is damaged: its records could not be read through.");
  });

  it.each([
    ["cut.emf", makeEmf(MARKER).subarray(0, -20)],
    ["cut.wmf", makeWmf(MARKER).subarray(0, -6)],
  ])("%s, a drawing cut before its end-of-file record, is a 422 with its reason", async (name, cut) => {
    const file = path.join(dir, name);
    await fs.writeFile(file, cut);
    const { status, body } = await removeViaApi(server, file);
    expect(status).toBe(422);
    expect(body["error"]).toBe("The drawing (EMF or WMF) is damaged: its records could not be read through.");
  });

  it("in a DOCX's media folder (Word stores pasted drawings so): cleaned, no longer a reason to refuse the document", async () => {
    const docx = await readZip((await makeOffice("docx", MARKER, await makeMarkedJpeg(dir, MARKER))).bytes);
    const parts = docx.members.filter((m) => !m.name.endsWith("/")).map((m): [string, Buffer] => [m.name, m.data]);
    const file = path.join(dir, "drawings.docx");
    await fs.writeFile(file, await zip(withRelated(parts, [["word/media/image2.emf", makeEmf(MARKER), "image"], ["word/media/image3.wmf", makeWmf(MARKER), "image"]])));
    const { status, body, cleaned } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    expect((body["removed"] as Record<string, number>)["metafileText"]).toBe(4);
    expect(await findMarker(cleaned!, MARKER)).toEqual([]);
    const after = new Map((await readZip(cleaned!)).members.map((m) => [m.name, m.data]));
    expect(after.get("word/media/image2.emf")?.length).toBe(makeEmf(MARKER).length);
    expect(after.get("word/media/image3.wmf")?.length).toBe(makeWmf(MARKER).length);
  });
});
