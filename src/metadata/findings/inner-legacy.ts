import fsp from "node:fs/promises";
import CFB from "cfb";
import { pictureRanges } from "../../cleaners/legacy-office/embedded-pictures.js";
import { withDrawingGroups } from "../../cleaners/legacy-office/excel.js";
import type { Copied } from "./inner-copy.js";
import type { InnerSource } from "./inner-types.js";

const LEGACY_TYPES = new Set(["DOC", "DOT", "XLS", "XLT", "PPT", "PPS", "POT"]);
/** Pictures listed from one document; the rest are counted, not looked at. */
const MAX_LISTED = 1000;

/**
 * Office 97-2003 documents' pictures: the JPEG, PNG and TIFF files of their OfficeArt BLIPs, in
 * every stream as the cleaner looks for them (Word's Data, PowerPoint's Pictures, Excel's drawing
 * groups, embedded objects' streams), named "picture N" in the order found. Their camera EXIF
 * (GPS, serial numbers) is kept whole inside the document.
 */
export function legacySourceFor(fileType: string): InnerSource | null {
  return LEGACY_TYPES.has(fileType) ? legacySource : null;
}

const legacySource: InnerSource = async (file, _scratch, visit) => {
  let doc: CFB.CFB$Container;
  try {
    doc = CFB.read(await fsp.readFile(file), { type: "buffer" });
  } catch (err) {
    // A failing disk is the service's problem; a document that cannot be opened holds none to show.
    if (err instanceof Error && "syscall" in err) throw err;
    return 0;
  }
  const pictures: Buffer[] = [];
  for (const e of doc.FileIndex) {
    if (e.type !== 2 || e.content == null) continue;
    const b = Buffer.from(e.content);
    const take = (view: Buffer): void => {
      for (const { start, end } of pictureRanges(view)) pictures.push(Buffer.from(view.subarray(start, end)));
    };
    if (/^(Workbook|Book)$/.test(e.name)) withDrawingGroups(Buffer.from(b), take);
    else take(b);
  }
  for (const [i, picture] of pictures.slice(0, MAX_LISTED).entries()) {
    await visit({ name: `picture ${i + 1}`, claimedSize: picture.length, copyTo: (dest, maxBytes) => written(picture, dest, maxBytes) });
  }
  return Math.max(0, pictures.length - MAX_LISTED);
};

async function written(data: Buffer, dest: string, maxBytes: number): Promise<Copied> {
  if (data.length > maxBytes) return { written: maxBytes, complete: false };
  await fsp.writeFile(dest, data, { flag: "wx" });
  return { written: data.length, complete: true };
}
