import { ProofReader } from "./reader.js";
import type { ProofFailure } from "./shared.js";

/** Drawings larger than the cleaner takes are not walked. */
const MAX_BYTES = 64 * 1024 * 1024;
const EMR_HEADER = 1;
const EMR_EOF = 14;
const EMR_COMMENT = 70;
const EMF_SIGNATURE = 0x464d4520;
const EMF_PLUS = 0x2b464d45;
const GDI_COMMENT = 0x43494447;
const BEGIN_GROUP = 2;
const EMF_PLUS_COMMENT = 0x4003;
const PLACEABLE_KEY = 0x9ac6cdd7;
const META_ESCAPE = 0x0626;
const MFCOMMENT = 0x000f;

const zero = (b: Buffer): boolean => b.every((x) => x === 0);

/**
 * Proves a cleaned EMF or WMF holds nothing but drawing, by walking its records with code of its
 * own ([MS-EMF], [MS-EMFPLUS], [MS-WMF]): the EMF header's description empty, every private
 * comment record and EMF+ comment zeros, a comment group's description zeros, every WMF comment
 * escape zeros, and nothing after the end-of-file record. ExifTool reads neither format, so
 * without this walk nothing would look. Null when the proof holds, else what broke it.
 */
export function proveMetafile(file: string): Promise<ProofFailure | null> {
  return ProofReader.use(file, async (r) => {
    if (r.size > MAX_BYTES) return "too large to walk";
    const b = await r.bytes(0, r.size);
    if (b == null) return "unreadable";
    return b.length >= 44 && b.readUInt32LE(0) === EMR_HEADER && b.readUInt32LE(40) === EMF_SIGNATURE ? emf(b) : wmf(b);
  });
}

function emf(b: Buffer): ProofFailure | null {
  for (let at = 0; at + 8 <= b.length; ) {
    const type = b.readUInt32LE(at);
    const size = b.readUInt32LE(at + 4);
    if (size < 8 || at + size > b.length) return `an EMF record runs past the end at ${at}`;
    const record = b.subarray(at, at + size);
    if (type === EMR_HEADER && record.length >= 88) {
      const chars = record.readUInt32LE(60);
      const offset = record.readUInt32LE(64);
      if (chars > 0 && !zero(record.subarray(offset, offset + 2 * chars))) return "the EMF header's description";
    }
    if (type === EMR_COMMENT && record.length >= 16) {
      const failure = comment(record.subarray(12, Math.min(record.length, 12 + record.readUInt32LE(8))));
      if (failure != null) return failure;
    }
    at += size;
    if (type === EMR_EOF) return at === b.length ? null : "bytes after the EMF's end";
  }
  return "no EMF end-of-file record";
}

/** An EMF comment's data: EMF+ records with empty comments, a public comment, or zeros. */
function comment(data: Buffer): ProofFailure | null {
  const id = data.length >= 4 ? data.readUInt32LE(0) : 0;
  if (id === EMF_PLUS) {
    for (let at = 4; at + 12 <= data.length; ) {
      const size = data.readUInt32LE(at + 4);
      if (size < 12 || at + size > data.length) return "an EMF+ record runs past its comment";
      if (data.readUInt16LE(at) === EMF_PLUS_COMMENT && !zero(data.subarray(at + 12, at + size))) return "an EMF+ comment";
      at += size;
    }
    return null;
  }
  if (id === GDI_COMMENT) {
    if (data.length < 8 || data.readUInt32LE(4) !== BEGIN_GROUP) return null;
    if (data.length < 28) return "a short comment group";
    const chars = data.readUInt32LE(24);
    return zero(data.subarray(28, 28 + 2 * chars)) ? null : "a comment group's description";
  }
  return zero(data.subarray(4)) ? null : "a private EMF comment";
}

function wmf(b: Buffer): ProofFailure | null {
  let at = b.length >= 22 && b.readUInt32LE(0) === PLACEABLE_KEY ? 22 : 0;
  if (at + 18 > b.length || b.readUInt16LE(at + 2) !== 9) return "no WMF header";
  at += 18;
  while (at + 6 <= b.length) {
    const size = b.readUInt32LE(at) * 2;
    const fn = b.readUInt16LE(at + 4);
    if (fn === 0) return at + 6 === b.length ? null : "bytes after the WMF's end";
    if (size < 6 || at + size > b.length) return `a WMF record runs past the end at ${at}`;
    if (fn === META_ESCAPE && size >= 10 && b.readUInt16LE(at + 6) === MFCOMMENT && !zero(b.subarray(at + 10, at + size))) return "a WMF comment";
    at += size;
  }
  return "no WMF end-of-file record";
}
