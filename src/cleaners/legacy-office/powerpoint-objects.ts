import fsp from "node:fs/promises";
import path from "node:path";
import zlib from "node:zlib";
import { BadFileError, TooComplexError } from "../errors.js";
import { innerRefusal } from "../inner-refusal.js";
import type { CleanContext } from "../types.js";
import { type DeflateBudget, deflateToFit } from "./deflate-to-fit.js";

/** PowerPoint's record of an embedded object's storage ([MS-PPT] 2.10.34 ExOleObjStg); instance 1: compressed. */
const EX_OLE_OBJ_STG = 0x1011;
/** An object's storage inflated to more than this is refused (an Excel chart's is tens of kilobytes). */
export const MAX_OBJECT_BYTES = 64 * 1024 * 1024;

/** An embedded object's storage in the `PowerPoint Document` stream: the record's data, after its 8-byte header. */
export interface PresentationObject {
  at: number;
  length: number;
  /** Deflated after a 4-byte size of the compound file it holds. */
  compressed: boolean;
}

/**
 * The ExOleObjStg records among the top-level records of a `PowerPoint Document` stream: each
 * holds an embedded object's storage (an Excel workbook, a Word document) as a compound file,
 * with its own properties, where ExifTool does not look.
 */
export function presentationObjects(stream: Buffer): PresentationObject[] {
  const objects: PresentationObject[] = [];
  for (let at = 0; stream.length - at >= 8; ) {
    const instance = stream.readUInt16LE(at) >> 4;
    const type = stream.readUInt16LE(at + 2);
    const length = Math.min(stream.readUInt32LE(at + 4), stream.length - at - 8);
    if (type === EX_OLE_OBJ_STG && (instance !== 1 || length >= 4)) objects.push({ at: at + 8, length, compressed: instance === 1 });
    at += 8 + length;
  }
  return objects;
}

/**
 * The compound file an object's record holds; null when its deflated data cannot be inflated.
 * PowerPoint ends some deflated storages before the zlib stream's end (Tika's
 * testPPT_EmbeddedPDF.ppt, testPPT_oleWorkbook.ppt: "unexpected end of file"): such a storage is
 * taken when what inflates is the size its record states, as PowerPoint reads it.
 */
export function objectStorage(stream: Buffer, o: PresentationObject): Buffer | null {
  const data = stream.subarray(o.at, o.at + o.length);
  if (!o.compressed) return data;
  const inflate = (finishFlush: number): Buffer | null => {
    try {
      return zlib.inflateSync(data.subarray(4), { maxOutputLength: MAX_OBJECT_BYTES, finishFlush });
    } catch (err) {
      if (err instanceof RangeError) throw new TooComplexError(`legacy-office: an embedded object inflates past ${MAX_OBJECT_BYTES} bytes`, err);
      return null;
    }
  };
  const whole = inflate(zlib.constants.Z_FINISH);
  if (whole != null) return whole;
  const unended = inflate(zlib.constants.Z_SYNC_FLUSH);
  return unended != null && unended.length === data.readUInt32LE(0) ? unended : null;
}

/**
 * Cleans in place each embedded object's storage of a presentation by its own cleaner
 * (`ctx.cleanNested`: the Office 97-2003 cleaner for a workbook or document), written back into
 * the same record: records are found by their offsets (the persist directory), so nothing may
 * move. A compressed one is deflated again into its room (deflate-to-fit.ts), the bytes left
 * after it zeros; one that does not fit, cannot be read or has no cleaner makes the document
 * refused, naming the object's type where it has no cleaner (`budget`: what the document may
 * still have deflated tightly). Resolves to the number of objects cleaned.
 */
export async function cleanPresentationObjects(ctx: CleanContext, stream: Buffer, budget: DeflateBudget): Promise<number> {
  const objects = presentationObjects(stream);
  for (const [i, o] of objects.entries()) {
    const storage = objectStorage(stream, o);
    if (storage == null) throw refused(`embedded object ${i + 1} cannot be inflated`);
    const input = path.join(ctx.workDir, `presentation-object-${i}`);
    const output = `${input}-clean`;
    await fsp.writeFile(input, storage, { flag: "wx" });
    if ((await ctx.cleanNested(input, output)) == null) {
      throw innerRefusal(ctx, "The presentation holds an embedded object (a file of another program)", input, null, `legacy-office: embedded object ${i + 1} has no cleaner`);
    }
    const cleaned = await fsp.readFile(output);
    await Promise.all([fsp.rm(input), fsp.rm(output)]);
    const packed = o.compressed ? deflateToFit(cleaned, o.length - 4, budget) : cleaned.length <= o.length ? cleaned : null;
    if (packed == null) throw refused(`embedded object ${i + 1}'s cleaned storage does not fit its record`);
    const start = o.compressed ? o.at + 4 : o.at;
    if (o.compressed) stream.writeUInt32LE(cleaned.length, o.at);
    packed.copy(stream, start);
    stream.fill(0, start + packed.length, o.at + o.length);
  }
  return objects.length;
}

function refused(why: string): BadFileError {
  return new BadFileError(
    "The presentation holds an embedded object (a file of another program) whose metadata this service cannot remove.",
    new Error(`legacy-office: ${why}`),
  );
}
