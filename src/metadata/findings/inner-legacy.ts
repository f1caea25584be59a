import fsp from "node:fs/promises";
import CFB from "cfb";
import { readCompound } from "../../cleaners/legacy-office/compound-read.js";
import { pictureRanges } from "../../cleaners/legacy-office/embedded-pictures.js";
import { withDrawingGroups } from "../../cleaners/legacy-office/excel.js";
import { OLE_OBJECT } from "../compound-types.js";
import { written } from "./inner-copy.js";
import { oleObjects, pptObjects } from "./inner-ole.js";
import type { InnerSource } from "./inner-types.js";

/**
 * An OLE object: an embedded object's compound file, as DOCX keep them in `embeddings/`
 * (compound-types.ts); FPX: what ExifTool calls a compound file of no known program.
 */
const LEGACY_TYPES = new Set(["DOC", "DOT", "XLS", "XLT", "PPT", "PPS", "POT", "FPX", OLE_OBJECT]);
/** Pictures and objects listed from one document, each; the rest are counted, not looked at. */
const MAX_LISTED = 1000;

/**
 * Office 97-2003 documents' pictures: the JPEG, PNG and TIFF files of their OfficeArt BLIPs, in
 * every stream as the cleaner looks for them (Word's Data, PowerPoint's Pictures, Excel's drawing
 * groups, embedded objects' streams), named "picture N" in the order found. Their camera EXIF
 * (GPS, serial numbers) is kept whole inside the document. Then its embedded objects (inner-ole.ts),
 * named "object N" (with the packaged file's name), PowerPoint's too (kept compressed in its
 * document stream): an embedded workbook's author is its own, and
 * an embedded DOCX or packaged photo is not read by ExifTool at all. An object's pictures are
 * its own, found when it is looked into.
 */
export function legacySourceFor(fileType: string): InnerSource | null {
  return LEGACY_TYPES.has(fileType) ? legacySource : null;
}

const legacySource: InnerSource = async (file, _scratch, visit) => {
  let doc: CFB.CFB$Container;
  try {
    doc = readCompound(await fsp.readFile(file));
  } catch (err) {
    // A failing disk is the service's problem; a document that cannot be opened holds none to show.
    if (err instanceof Error && "syscall" in err) throw err;
    return 0;
  }
  const { objects, skipped } = oleObjects(doc);
  // The root's own stream: an embedded presentation's objects are its own.
  const presentation = doc.FileIndex[doc.FullPaths.indexOf(`${doc.FullPaths[0] ?? ""}PowerPoint Document`)]?.content;
  if (presentation != null) objects.push(...pptObjects(Buffer.from(presentation)));
  const pictures: Buffer[] = [];
  for (const [i, e] of doc.FileIndex.entries()) {
    if (e.type !== 2 || e.content == null || skipped(doc.FullPaths[i] ?? "")) continue;
    const b = Buffer.from(e.content);
    const take = (view: Buffer): void => {
      for (const { start, end } of pictureRanges(view)) pictures.push(Buffer.from(view.subarray(start, end)));
    };
    if (/^(Workbook|Book)$/.test(e.name)) withDrawingGroups(Buffer.from(b), take);
    else take(b);
  }
  for (const [i, picture] of pictures.slice(0, MAX_LISTED).entries()) {
    await visit({ name: `picture ${i + 1}`, claimedSize: picture.length, copyTo: (dest, maxBytes) => written(() => picture, picture.length, dest, maxBytes) });
  }
  for (const [i, object] of objects.slice(0, MAX_LISTED).entries()) {
    const name = object.label == null ? `object ${i + 1}` : `object ${i + 1} (${object.label})`;
    await visit({ name, claimedSize: object.size, copyTo: (dest, maxBytes) => written(object.bytes, object.size, dest, maxBytes) });
  }
  return Math.max(0, pictures.length - MAX_LISTED) + Math.max(0, objects.length - MAX_LISTED);
};
