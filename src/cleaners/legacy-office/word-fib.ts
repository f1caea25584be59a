import { BadFileError } from "../errors.js";
import { ENCRYPTED } from "./encrypted.js";

/** The FIB's flags ([MS-DOC] 2.5.2 FibBase): encrypted, and which table stream holds the tables. */
const F_ENCRYPTED = 0x0100;
export const F_WHICH_TABLE = 0x0200;

/** The FIB's magic number ([MS-DOC] 2.5.2 wIdent): Word 97 and later's, and Word 6.0 and 95's. */
const WIDENT_WORD97 = 0xa5ec;
const WIDENT_WORD6 = 0xa5dc;
/** Word 97 and later write at least this nFib in the FibBase (Word 6 and 95 files are laid out otherwise). */
const NFIB_WORD97 = 0x00c1;
/** The nFibs of Word 6.0 (101) to Word 95 (104, 105): Apache POI's HWPF reads any below 106 as that format. */
const NFIB_WORD6 = 0x0065;
const NFIB_WORD95_LAST = 0x0069;

/** Index of each subdocument's length in FibRgLw97 ([MS-DOC] 2.5.5), in the order of the text. */
const CCP_FIRST = 3;
const SUBDOCUMENTS = 8;
const CCP_ATN_INDEX = 4;

/** Where a structure of the table stream lies, from a pair of FibRgFcLcb97. */
export interface FcLcb {
  fc: number;
  lcb: number;
  /** Offset of the pair itself in the WordDocument stream (to declare the structure absent). */
  at: number;
}

/** The parts of a Word 97-2003 FIB ([MS-DOC] 2.5.1) this module reads. */
export interface Fib {
  flags: number;
  /** Character counts of the subdocuments: main text, footnotes, headers, macros, comments, endnotes, text boxes, header text boxes. */
  ccp: readonly number[];
  /** Where the fc/lcb pairs start, and how many there are. */
  blob: { start: number; count: number };
}

/** Whether a Word 97-2003 main stream says its document is encrypted (the FibBase stays in the clear). */
export function isEncryptedWord(wordDocument: Buffer): boolean {
  return wordDocument.length >= 12 && (wordDocument.readUInt16LE(10) & F_ENCRYPTED) !== 0;
}

export function readFib(wordDocument: Buffer): Fib {
  const ident = wordDocument.length < 34 ? null : wordDocument.readUInt16LE(0);
  // A Word 6.0/95 FIB places its tables elsewhere: neither its author fields nor its comments and
  // tracked changes could be found. Word 6.0 and 95 write their own magic number (Tika's
  // testWORD6.doc), some converters Word 97's with an older nFib or a magic of their own with
  // Word 95's nFib (Apache POI's Bug51944.doc: 0xA699).
  const nFib = ident == null ? 0 : wordDocument.readUInt16LE(2);
  if (ident === WIDENT_WORD6 || (ident === WIDENT_WORD97 && nFib < NFIB_WORD97) || (nFib >= NFIB_WORD6 && nFib <= NFIB_WORD95_LAST)) {
    throw new BadFileError("The document is in the Word 6.0/95 format, whose metadata, comments and tracked changes this service cannot remove.");
  }
  if (ident !== WIDENT_WORD97) throw damaged("its main stream has no valid header");
  const flags = wordDocument.readUInt16LE(10);
  // Past the FibBase an encrypted document's main stream is ciphertext: its header would read as damage.
  if (isEncryptedWord(wordDocument)) throw new BadFileError(ENCRYPTED);
  let pos = 32;
  const csw = wordDocument.readUInt16LE(pos);
  pos += 2 + csw * 2;
  if (pos + 2 > wordDocument.length) throw damaged("its header is cut short");
  const cslw = wordDocument.readUInt16LE(pos);
  const rgLw = pos + 2;
  pos += 2 + cslw * 4;
  if (pos + 2 > wordDocument.length) throw damaged("its header is cut short");
  const count = wordDocument.readUInt16LE(pos);
  pos += 2;
  if (pos + count * 8 > wordDocument.length) throw damaged("its header is cut short");
  if (cslw < CCP_FIRST + SUBDOCUMENTS) throw damaged("its header is cut short");
  const ccp: number[] = [];
  for (let i = 0; i < SUBDOCUMENTS; i++) ccp.push(wordDocument.readInt32LE(rgLw + (CCP_FIRST + i) * 4));
  return { flags, ccp, blob: { start: pos, count } };
}

/** The fc/lcb pair `i`, or null when the FIB has no such pair or it declares nothing. */
export function fcLcb(wordDocument: Buffer, fib: Fib, i: number): FcLcb | null {
  if (i >= fib.blob.count) return null;
  const at = fib.blob.start + i * 8;
  const fc = wordDocument.readUInt32LE(at);
  const lcb = wordDocument.readUInt32LE(at + 4);
  return lcb > 0 ? { fc, lcb, at } : null;
}

/** The first character position of the comments' subdocument, and its length. */
export function commentRange(fib: Fib): { start: number; length: number } {
  const start = fib.ccp.slice(0, CCP_ATN_INDEX).reduce((a, b) => a + b, 0);
  return { start, length: fib.ccp[CCP_ATN_INDEX] ?? 0 };
}

export function damaged(why: string): BadFileError {
  return new BadFileError(`The Word 97-2003 document could not be read: ${why}.`);
}
