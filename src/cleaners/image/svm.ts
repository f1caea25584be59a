import fsp from "node:fs/promises";
import { BadFileError, TooComplexError } from "../errors.js";
import type { CleanContext, CleanOutcome, Cleaner } from "../types.js";
import { DRAWING_PICTURE_METADATA, holdsPictureMetadata } from "./pictures-in-place.js";

/** Drawings are small: one larger than this is not read into memory. */
const MAX_BYTES = 64 * 1024 * 1024;
/** Metafiles nested in transparency actions, as deep as this. */
const MAX_DEPTH = 8;
const MAGIC = "VCLMTF";
/** A comment's fields before its data: the name's length (no name), its value, its data's size. */
const COMMENT_FIELDS = 10;
const FIRST_DRAWING_ACTION = 100;
const LAST_DRAWING_ACTION = 151;
const EPS_ACTION = 143;
const FLOAT_TRANSPARENT_ACTION = 147;
const COMMENT_ACTION = 512;
/**
 * The comments LibreOffice writes that only say how the actions around them were drawn (a
 * gradient, a path's fill or stroke, where text breaks), with geometry as their data: kept. Any
 * other comment (a field's URL, EMF+ records, a producer's own) is emptied (blankComment).
 */
const DRAWING_COMMENTS = /^(XGRAD_SEQ_(BEGIN|END)|BGRAD_SEQ_(BEGIN|END)|XPATHFILL_SEQ_(BEGIN|END)|XPATHSTROKE_SEQ_(BEGIN|END)|XTEXT_(EOC|EOW|EOS|EOL|EOP|PAINTSHAPE_BEGIN|PAINTSHAPE_END))$/;
const DAMAGED = "The drawing (SVM) is damaged: its actions could not be read through.";

/**
 * StarView metafiles (SVM, LibreOffice's own drawing format: "VCLMTF", then actions), which
 * LibreOffice and OpenOffice.org store as the picture an embedded chart or formula shows
 * (`ObjectReplacements/Object 1` in every ODF document holding one). ExifTool does not read
 * them. Each action is its type and a versioned block of known length (LibreOffice's
 * vcl/source/filter/svm), so the file is walked whole without knowing every action's fields:
 * drawing actions (100-151: shapes, text as shown, fonts, colours, bitmaps, clipping) stay as
 * they are; comments other than drawing hints become comments of no name whose data is zeros, of the
 * same size (`removed.metafileText`), so nothing moves and the action count holds; bytes after the
 * last action go. An embedded EPS (whose PostScript names its creator and title) or an action of
 * an unknown type is refused, and so is a drawing whose bitmaps still hold EXIF or XMP.
 * Metafiles nested in transparency actions are walked in turn. Proved by proof/svm-proof.ts.
 */
export const svmCleaner: Cleaner = {
  name: "svm",
  fileTypes: ["SVM"],
  async clean(ctx: CleanContext): Promise<CleanOutcome> {
    const { size } = await fsp.stat(ctx.input);
    if (size > MAX_BYTES) throw new TooComplexError(`metafile of ${size} bytes`);
    const bytes = await fsp.readFile(ctx.input);
    const { end, blanked } = blankSvm(bytes);
    const cleaned = bytes.subarray(0, end);
    if (holdsPictureMetadata(cleaned)) {
      throw new BadFileError(DRAWING_PICTURE_METADATA, new Error("svm: EXIF, XMP or Photoshop data left in a bitmap"));
    }
    await fsp.writeFile(ctx.output, cleaned, { flag: "wx" });
    return blanked > 0 ? { hidden: { metafileText: blanked } } : {};
  },
  isStructural: () => false,
};

/** Blanks the drawing's comments in place (see svmCleaner): where its last action ends, and how many comments were blanked. */
export function blankSvm(b: Buffer): { end: number; blanked: number } {
  const counts = { blanked: 0 };
  const end = blankMetafile(b, 0, 0, counts);
  return { end, blanked: counts.blanked };
}

/** Walks the metafile at `at`, blanking comments in place; returns where it ends. */
function blankMetafile(b: Buffer, at: number, depth: number, counts: { blanked: number }): number {
  if (depth > MAX_DEPTH) throw new TooComplexError("SVM metafiles nested too deeply");
  if (at + 12 > b.length || b.toString("latin1", at, at + 6) !== MAGIC) throw damaged("no VCLMTF header");
  const headerEnd = at + 12 + b.readUInt32LE(at + 8);
  const mapModeAt = at + 16;
  if (headerEnd > b.length || mapModeAt + 6 > headerEnd) throw damaged("header past the end");
  if (b.readUInt32LE(at + 12) !== 0) throw damaged("compressed actions");
  const countAt = mapModeAt + 6 + b.readUInt32LE(mapModeAt + 2) + 8;
  if (countAt + 4 > headerEnd) throw damaged("header too short for its action count");
  const count = b.readUInt32LE(countAt);
  let pos = headerEnd;
  for (let i = 0; i < count; i++) {
    if (pos + 8 > b.length) throw damaged(`action ${i + 1} of ${count} past the end`);
    const type = b.readUInt16LE(pos);
    const payload = pos + 8;
    const end = payload + b.readUInt32LE(pos + 4);
    if (end > b.length) throw damaged(`action ${i + 1} runs past the end`);
    if (type === COMMENT_ACTION) {
      const name = commentName(b, payload, end);
      if (!DRAWING_COMMENTS.test(name) && !(name === "" && isBlank(b, payload, end))) {
        blankComment(b, payload, end);
        counts.blanked += 1;
      }
    } else if (type === EPS_ACTION) {
      throw new BadFileError("The drawing (SVM) holds an EPS picture, whose PostScript names its creator; this service cannot clean it.", new Error("svm: EPS action"));
    } else if (type === FLOAT_TRANSPARENT_ACTION) {
      if (blankMetafile(b, payload, depth + 1, counts) > end) throw damaged("a nested metafile runs past its action");
    } else if (type < FIRST_DRAWING_ACTION || type > LAST_DRAWING_ACTION) {
      throw damaged(`action of unknown type ${type}`);
    }
    pos = end;
  }
  return pos;
}

/**
 * A comment of no name, no value and data of zeros to the action's end: not a null action, which
 * LibreOffice reads without skipping its versioned block (it would then read that block as actions).
 */
function blankComment(b: Buffer, payload: number, end: number): void {
  b.fill(0, payload, end);
  if (end - payload >= COMMENT_FIELDS) b.writeUInt32LE(end - payload - COMMENT_FIELDS, payload + 6);
}

/** Whether the comment is one blankComment wrote (a copy cleaned before): nothing to count. */
function isBlank(b: Buffer, payload: number, end: number): boolean {
  const blank = Buffer.from(b.subarray(payload, end));
  blankComment(blank, 0, blank.length);
  return blank.equals(b.subarray(payload, end));
}

/** A comment action's name: its first field, an 8-bit string after its 16-bit length. */
function commentName(b: Buffer, payload: number, end: number): string {
  if (payload + 2 > end) return "";
  const length = b.readUInt16LE(payload);
  return payload + 2 + length > end ? "" : b.toString("latin1", payload + 2, payload + 2 + length);
}

function damaged(why: string): BadFileError {
  return new BadFileError(DAMAGED, new Error(`svm: ${why}`));
}
