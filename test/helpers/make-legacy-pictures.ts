import crypto from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import zlib from "node:zlib";
import CFB from "cfb";
import { withDrawingGroups } from "../../src/cleaners/legacy-office/excel.js";
import { pngChunk } from "./make-images.js";
import { type LegacyKind, makeMarkedLegacyOffice, soffice } from "./make-legacy-office.js";
import { readZip } from "./read-archives.js";
import { pixelSignature } from "./tools.js";

/**
 * Office 97-2003 documents holding pictures of kinds LibreOffice does not write there (it turns
 * a TIFF into a PNG, for one): LibreOffice places a PNG stand-in of exactly the picture's length,
 * then the stand-in's BLIP record ([MS-ODRAW] 2.2.23) gets the picture's record type and
 * instance and its bytes, and the file-store entries (FBSE) naming it by its id get its BLIP
 * type. Nothing else moves, so every size and offset around it stays right.
 */
export interface Blip {
  /** recType and recInstance of the BLIP record (one 16-byte id: an even instance). */
  type: number;
  instance: number;
  /** The FBSE's btWin32 and btMacOS, and its recInstance. */
  blipType: number;
  /** What follows the record's 16-byte id: a tag byte and the file, or a metafile header and the data. */
  payload: Buffer;
}

/** A TIFF file as an OfficeArtBlipTIFF. */
export function tiffBlip(tiff: Buffer): Blip {
  return { type: 0xf029, instance: 0x6e4, blipType: 0x11, payload: Buffer.concat([Buffer.from([0xff]), tiff]) };
}

/**
 * A 1x1 PNG of exactly `length` bytes, padded by a private chunk of random bytes (found again by
 * them). Its one pixel is random too: LibreOffice keeps one copy of pictures with equal pixels.
 */
function standIn(length: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(1, 0);
  ihdr.writeUInt32BE(1, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  const head = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk("IHDR", ihdr), pngChunk("IDAT", zlib.deflateSync(Buffer.concat([Buffer.from([0]), crypto.randomBytes(3)])))]);
  const end = pngChunk("IEND", Buffer.alloc(0));
  const pad = length - head.length - end.length - 12;
  if (pad < 16) throw new Error(`a ${length}-byte picture is too small for a stand-in`);
  return Buffer.concat([head, pngChunk("plAc", crypto.randomBytes(pad)), end]);
}

/** Every buffer in which BLIPs and FBSEs can lie: each stream, and a workbook's joined drawing groups. */
export function eachView(doc: CFB.CFB$Container, fn: (view: Buffer) => void): void {
  for (const e of doc.FileIndex) {
    if (e.type !== 2 || e.content == null) continue;
    const b = Buffer.from(e.content);
    if (/^(Workbook|Book)$/.test(e.name)) withDrawingGroups(b, fn);
    else fn(b);
    e.content = b;
  }
}

/** A document of `kind` with the properties marked (make-legacy-office.ts) and `blips` as its pictures. */
export async function makeLegacyOfficeWithBlips(dir: string, kind: LegacyKind, marker: string, blips: readonly Blip[]): Promise<string> {
  const standIns = blips.map((b) => standIn(b.payload.length - 1));
  const file = await makeMarkedLegacyOffice(dir, kind, marker, standIns);
  const doc = CFB.read(await fs.readFile(file), { type: "buffer" });
  for (const [i, blip] of blips.entries()) {
    let uid: Buffer | null = null;
    eachView(doc, (view) => {
      for (let at = view.indexOf(standIns[i]!); at >= 0; at = view.indexOf(standIns[i]!, at + 1)) {
        const record = at - 1 - 16 - 8;
        if (record < 0 || view.readUInt16LE(record + 2) !== 0xf01e) continue;
        view.writeUInt16LE(blip.instance << 4, record);
        view.writeUInt16LE(blip.type, record + 2);
        blip.payload.copy(view, record + 8 + 16);
        uid = Buffer.from(view.subarray(record + 8, record + 24));
      }
    });
    if (uid == null) throw new Error(`LibreOffice did not keep stand-in ${i} as it was`);
    eachView(doc, (view) => {
      for (let at = view.indexOf(uid!); at >= 10; at = view.indexOf(uid!, at + 1)) {
        if (view.readUInt16LE(at - 8) !== 0xf007) continue;
        view.writeUInt16LE((blip.blipType << 4) | 2, at - 10);
        view[at - 2] = blip.blipType;
        view[at - 1] = blip.blipType;
      }
    });
  }
  await fs.writeFile(file, CFB.write(doc, { type: "buffer", fileType: "cfb" }) as Buffer);
  return file;
}

/** An EMF or WMF file as an OfficeArtBlipEMF or OfficeArtBlipWMF: deflated after a metafile header. */
export function metafileBlip(kind: "emf" | "wmf", metafile: Buffer): Blip {
  const deflated = zlib.deflateSync(metafile);
  const header = Buffer.alloc(34);
  header.writeUInt32LE(metafile.length, 0);
  // rcBounds in hundredths of a millimetre, ptSize in EMUs: a 2.65 cm square.
  header.writeInt32LE(2645, 12);
  header.writeInt32LE(2645, 16);
  header.writeInt32LE(952_500, 20);
  header.writeInt32LE(952_500, 24);
  header.writeUInt32LE(deflated.length, 28);
  header[32] = 0x00;
  header[33] = 0xfe;
  return kind === "emf"
    ? { type: 0xf01a, instance: 0x3d4, blipType: 0x02, payload: Buffer.concat([header, deflated]) }
    : { type: 0xf01b, instance: 0x216, blipType: 0x03, payload: Buffer.concat([header, deflated]) };
}

function record(type: number, body: Buffer): Buffer {
  const padded = Buffer.concat([body, Buffer.alloc((4 - (body.length % 4)) % 4)]);
  const head = Buffer.alloc(8);
  head.writeUInt32LE(type, 0);
  head.writeUInt32LE(8 + padded.length, 4);
  return Buffer.concat([head, padded]);
}

function int32s(...values: number[]): Buffer {
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => b.writeInt32LE(v, i * 4));
  return b;
}

/**
 * A 100x100 EMF drawing a red rectangle and a blue ellipse, with `marker` in its description
 * (program and picture name), in a private comment record and in a comment group's description.
 */
export function makeEmf(marker: string): Buffer {
  const description = Buffer.from(`Painter ${marker}\0${marker}.emf\0\0`, "utf16le");
  const groupText = Buffer.from(`${marker} group`, "utf16le");
  const brush = (handle: number, colour: number): Buffer[] => [record(39, int32s(handle, 0, colour, 0)), record(37, int32s(handle))];
  const body = [
    record(70, Buffer.concat([int32s(4 + marker.length + 8), Buffer.from(`PRIV${marker} private`, "latin1")])),
    record(70, Buffer.concat([int32s(8 + 16 + 4 + groupText.length), Buffer.from("GDIC", "latin1"), int32s(2, 0, 0, 99, 99, groupText.length / 2), groupText])),
    ...brush(1, 0x0000ff),
    record(43, int32s(5, 5, 95, 55)),
    ...brush(2, 0xff0000),
    record(42, int32s(20, 40, 80, 95)),
    record(70, Buffer.concat([int32s(8), Buffer.from("GDIC", "latin1"), int32s(3)])),
    record(14, int32s(0, 16, 20)),
  ];
  const fixed = Buffer.alloc(100);
  fixed.set(int32s(0, 0, 99, 99, 0, 0, 2645, 2645), 0);
  fixed.writeUInt32LE(0x464d4520, 32);
  fixed.writeUInt32LE(0x10000, 36);
  fixed.writeUInt16LE(3, 48);
  fixed.writeUInt32LE(description.length / 2, 52);
  fixed.writeUInt32LE(108, 56);
  fixed.set(int32s(1920, 1080, 508, 286, 0, 0, 0, 508_000, 286_000), 64);
  const header = record(1, Buffer.concat([fixed, description]));
  const emf = Buffer.concat([header, ...body]);
  emf.writeUInt32LE(emf.length, 48);
  emf.writeUInt32LE(1 + body.length, 52);
  return emf;
}

function wmfRecord(fn: number, ...words: number[]): Buffer {
  const b = Buffer.alloc(6 + words.length * 2);
  b.writeUInt32LE(3 + words.length, 0);
  b.writeUInt16LE(fn, 4);
  words.forEach((w, i) => b.writeInt16LE(w, 6 + i * 2));
  return b;
}

/** A 100x100 WMF drawing a red rectangle, `marker` in a comment escape. */
export function makeWmf(marker: string): Buffer {
  const text = Buffer.from(`${marker} comment${marker.length % 2 === 0 ? "" : " "}`, "latin1");
  const comment = Buffer.alloc(10 + text.length);
  comment.writeUInt32LE((10 + text.length) / 2, 0);
  comment.writeUInt16LE(0x0626, 4);
  comment.writeUInt16LE(0x000f, 6);
  comment.writeUInt16LE(text.length, 8);
  text.copy(comment, 10);
  const records = [
    wmfRecord(0x020b, 0, 0),
    wmfRecord(0x020c, 100, 100),
    comment,
    wmfRecord(0x02fc, 0, 0x00ff, 0x0000, 0),
    wmfRecord(0x012d, 0),
    wmfRecord(0x041b, 60, 95, 5, 5),
    wmfRecord(0x0000),
  ];
  const header = Buffer.alloc(18);
  header.writeUInt16LE(1, 0);
  header.writeUInt16LE(9, 2);
  header.writeUInt16LE(0x0300, 4);
  const total = Buffer.concat([header, ...records]);
  total.writeUInt32LE(total.length / 2, 6);
  total.writeUInt16LE(1, 10);
  total.writeUInt32LE(Math.max(...records.map((r) => r.readUInt32LE(0))), 12);
  return total;
}

/**
 * The pictures of a document as LibreOffice reads them (converted to OpenDocument): the pixel
 * signature of each, sorted; EMF and WMF drawings drawn to PNG by LibreOffice first (ImageMagick
 * draws neither), together with the PNG stand-ins LibreOffice keeps beside them.
 */
export async function legacyOfficeDrawings(dir: string, kind: LegacyKind, file: string): Promise<string[]> {
  const work = path.join(dir, `drawings-${crypto.randomUUID()}`);
  await fs.mkdir(work);
  const copy = path.join(work, `document.${kind}`);
  await fs.copyFile(file, copy);
  const odf = { doc: "odt", xls: "ods", ppt: "odp" }[kind];
  await soffice(work, ["--convert-to", odf, "--outdir", work, copy]);
  const { members } = await readZip(await fs.readFile(path.join(work, `document.${odf}`)));
  const pictures: string[] = [];
  const drawings: string[] = [];
  for (const m of members.filter((e) => e.name.startsWith("Pictures/") && e.data.length > 0)) {
    const picture = path.join(work, path.basename(m.name));
    await fs.writeFile(picture, m.data);
    (/\.(emf|wmf)$/.test(picture) ? drawings : pictures).push(picture);
  }
  if (drawings.length > 0) {
    const drawn = path.join(work, "drawn");
    await soffice(work, ["--convert-to", "png", "--outdir", drawn, ...drawings]);
    for (const d of drawings) pictures.push(path.join(drawn, path.basename(d).replace(/\.\w+$/, ".png")));
  }
  return (await Promise.all(pictures.map((p) => pixelSignature(p)))).sort();
}

/**
 * A V5 BMP (as ImageMagick writes it) as an OfficeArtBlipDIB (without its 14-byte file header),
 * with a colour profile after its pixels: embedded (`MBED`: an ICC profile) or linked (`LINK`:
 * a file name).
 */
export function dibBlip(bmp: Buffer, profile: "MBED" | "LINK", data: Buffer): Blip {
  const dib = Buffer.concat([bmp.subarray(14), data]);
  if (dib.readUInt32LE(0) !== 124) throw new Error("not a V5 BMP");
  dib.writeUInt32LE(Buffer.from(profile, "latin1").readUInt32BE(0), 56);
  dib.writeUInt32LE(bmp.length - 14, 112);
  dib.writeUInt32LE(data.length, 116);
  return bareDibBlip(dib);
}

/** A DIB (a BMP without its 14-byte file header) as an OfficeArtBlipDIB, as it is. */
export function bareDibBlip(dib: Buffer): Blip {
  return { type: 0xf01f, instance: 0x7a8, blipType: 0x07, payload: Buffer.concat([Buffer.from([0xff]), dib]) };
}
