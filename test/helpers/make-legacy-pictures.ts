import crypto from "node:crypto";
import fs from "node:fs/promises";
import zlib from "node:zlib";
import CFB from "cfb";
import { withDrawingGroups } from "../../src/cleaners/legacy-office/excel.js";
import { pngChunk } from "./make-images.js";
import { type LegacyKind, makeMarkedLegacyOffice } from "./make-legacy-office.js";

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

/** A 1x1 PNG of exactly `length` bytes, padded by a private chunk of random bytes (found again by them). */
function standIn(length: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(1, 0);
  ihdr.writeUInt32BE(1, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  const head = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk("IHDR", ihdr), pngChunk("IDAT", zlib.deflateSync(Buffer.from([0, 200, 100, 50])))]);
  const end = pngChunk("IEND", Buffer.alloc(0));
  const pad = length - head.length - end.length - 12;
  if (pad < 16) throw new Error(`a ${length}-byte picture is too small for a stand-in`);
  return Buffer.concat([head, pngChunk("plAc", crypto.randomBytes(pad)), end]);
}

/** Every buffer in which BLIPs and FBSEs can lie: each stream, and a workbook's joined drawing groups. */
function eachView(doc: CFB.CFB$Container, fn: (view: Buffer) => void): void {
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
