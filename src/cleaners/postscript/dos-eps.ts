import { BadFileError } from "../errors.js";

/** The DOS binary EPS header (Adobe TN 5002): magic, then offset and length of each section. */
const MAGIC = 0xc5d0d3c6;
export const DOS_HEADER = 30;
/** Checksum value meaning "not computed", which readers accept. */
const NO_CHECKSUM = 0xffff;

export interface DosEps {
  postscript: Buffer;
  /** The Windows metafile preview, if any. */
  metafile: Buffer | null;
  /** The TIFF preview, if any. */
  tiff: Buffer | null;
}

export function isDosEps(bytes: Buffer): boolean {
  return bytes.length >= 4 && bytes.readUInt32BE(0) === MAGIC;
}

/** The sections of a DOS binary EPS, each checked to lie inside the file. */
export function splitDosEps(bytes: Buffer): DosEps {
  if (bytes.length < DOS_HEADER) throw damaged("its binary header is cut short");
  const section = (offsetAt: number, what: string): Buffer | null => {
    const from = bytes.readUInt32LE(offsetAt);
    const length = bytes.readUInt32LE(offsetAt + 4);
    if (from === 0 || length === 0) return null;
    if (from < DOS_HEADER || from + length > bytes.length) throw damaged(`its ${what} lies outside the file`);
    return bytes.subarray(from, from + length);
  };
  const postscript = section(4, "PostScript section");
  if (postscript == null) throw damaged("its binary header points at no PostScript");
  return { postscript, metafile: section(12, "metafile preview"), tiff: section(20, "TIFF preview") };
}

/** A DOS binary EPS of the PostScript and, when given, a TIFF preview after it (no metafile). */
export function joinDosEps(postscript: Buffer, tiff: Buffer | null): Buffer {
  const header = Buffer.alloc(DOS_HEADER);
  header.writeUInt32BE(MAGIC, 0);
  header.writeUInt32LE(DOS_HEADER, 4);
  header.writeUInt32LE(postscript.length, 8);
  if (tiff != null) {
    header.writeUInt32LE(DOS_HEADER + postscript.length, 20);
    header.writeUInt32LE(tiff.length, 24);
  }
  header.writeUInt16LE(NO_CHECKSUM, 28);
  return Buffer.concat([header, postscript, ...(tiff != null ? [tiff] : [])]);
}

function damaged(why: string): BadFileError {
  return new BadFileError(`The EPS file is damaged: ${why}.`);
}
