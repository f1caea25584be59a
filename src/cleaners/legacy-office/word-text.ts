import { TooComplexError } from "../errors.js";
import { damaged, fcLcb, type Fib } from "./word-fib.js";
import { lastToggle, onlyRevisionMarks, type PlacedGrpprl, prls, SPRM_C_F_RMARK_DEL, SPRM_C_F_RMARK_INS, SPRM_C_F_SPEC, toggle } from "./word-sprm.js";

/** Index of each fc/lcb pair in FibRgFcLcb97 ([MS-DOC] 2.5.6). */
const PLCF_BTE_CHPX = 12;
const CLX = 33;

/** A Prm0 ([MS-DOC] 2.9.215) whose isprm is one of these applies sprmCFRMarkDel or sprmCFRMarkIns to its piece. */
const ISPRM_RMARK_DEL = 0x41;
const ISPRM_RMARK_INS = 0x42;
const FKP_SIZE = 512;
/** A Prc's grpprl is at most this long ([MS-DOC] 2.9.209). */
const MAX_CB_GRPPRL = 0x3fa2;
/** Characters the piece table may lay out per byte of the WordDocument stream: one, without shared bytes. */
const MAX_CHARACTERS_PER_BYTE = 8;

/** Per character: formatted as deleted text (a tracked deletion), as inserted text (a tracked insertion), or a special character (fSpec). */
export const DELETED = 1;
export const SPECIAL = 2;
export const INSERTED = 4;

/** One piece of the piece table ([MS-DOC] 2.9.177 Pcd): a run of characters stored together. */
interface Piece {
  cpStart: number;
  cpEnd: number;
  /** Byte offset of its first character in the WordDocument stream. */
  byteStart: number;
  /** 8-bit characters ([MS-DOC] 2.4.1 compressed) rather than UTF-16. */
  compressed: boolean;
  /** What the piece's Prm says of deletion and insertion (null: nothing). */
  deleted: boolean | null;
  inserted: boolean | null;
  /** Offset of its Prm in the table stream. */
  prmAt: number;
}

/** The 8-bit codes that [MS-DOC] 2.4.1 maps to other characters than their own value. */
const COMPRESSED: Readonly<Record<number, number>> = {
  0x82: 0x201a, 0x83: 0x0192, 0x84: 0x201e, 0x85: 0x2026, 0x86: 0x2020, 0x87: 0x2021, 0x88: 0x02c6, 0x89: 0x2030,
  0x8a: 0x0160, 0x8b: 0x2039, 0x8c: 0x0152, 0x91: 0x2018, 0x92: 0x2019, 0x93: 0x201c, 0x94: 0x201d, 0x95: 0x2022,
  0x96: 0x2013, 0x97: 0x2014, 0x98: 0x02dc, 0x99: 0x2122, 0x9a: 0x0161, 0x9b: 0x203a, 0x9c: 0x0153, 0x9f: 0x0178,
};

/** The 8-bit code of a character in a compressed piece ([MS-DOC] 2.4.1); a space for one it has none for. */
function compressedByte(code: number): number {
  if (code < 0x100 && COMPRESSED[code] == null) return code;
  const mapped = Object.entries(COMPRESSED).find(([, c]) => c === code);
  return mapped == null ? 0x20 : Number(mapped[0]);
}

/**
 * The text of a Word 97-2003 document as its piece table lays it out ([MS-DOC] 2.4.1: the Clx in
 * the table stream maps each character position to a place in the WordDocument stream, 8-bit or
 * UTF-16), with what the character formatting says of each character (deleted, inserted, special), read
 * from the CHPX pages ([MS-DOC] 2.9.34 PlcBteChpx, 2.9.32 ChpxFkp) and the pieces' own Prm. Every
 * offset is checked against its stream: a structure pointing elsewhere refuses the file.
 */
export class WordText {
  readonly length: number;
  /** The grpprls of the character formatting: the CHPX pages' and the pieces' Prcs. */
  readonly characterGrpprls: PlacedGrpprl[] = [];
  private readonly pieces: Piece[];
  /** The piece table's Prcs, in order (a Prm1 names one by its index). */
  private readonly prcs: Buffer[] = [];
  private readonly flags: Uint8Array;

  constructor(
    private readonly wordDocument: Buffer,
    private readonly table: Buffer,
    fib: Fib,
  ) {
    this.pieces = readPieces(wordDocument, table, fib, this.prcs);
    this.characterGrpprls.push(...this.prcs.map((bytes) => ({ bytes, rewrite: null })));
    this.length = this.pieces[this.pieces.length - 1]!.cpEnd;
    this.flags = new Uint8Array(this.length);
    this.markRuns(table, fib);
    for (const p of this.pieces) {
      for (const [set, flag] of [[p.deleted, DELETED], [p.inserted, INSERTED]] as const) {
        if (set == null) continue;
        for (let cp = p.cpStart; cp < p.cpEnd; cp++) this.flags[cp] = set ? this.flags[cp]! | flag : this.flags[cp]! & ~flag;
      }
    }
  }

  /**
   * Takes out in place the revision marks a piece's own Prm gives its text: a Prm0 applying an
   * insertion mark, or a Prm1 whose Prc holds nothing but revision marks (a Prc cannot shrink
   * without moving the ones after it; one that holds other formatting too keeps its marks,
   * turned off, word-sprm.ts). The text stays, no longer an insertion. The Prm becomes zero, the
   * Prm0 that has no effect ([MS-DOC] 2.9.215): a zero operand under the same sprm would still
   * read as an insertion to LibreOffice.
   */
  acceptPieceMarks(): void {
    for (const p of this.pieces) {
      const prm = this.table.readUInt16LE(p.prmAt);
      const complex = (prm & 1) !== 0;
      if (complex ? onlyRevisionMarks(this.prcs[prm >> 1]!) : (prm >> 1) % 0x80 === ISPRM_RMARK_INS) this.table.writeUInt16LE(0, p.prmAt);
    }
  }

  /** `DELETED`, `INSERTED` and `SPECIAL` bits of the character at `cp`. */
  flagsAt(cp: number): number {
    return this.flags[cp]!;
  }

  /** Calls `visit(cp, code)` for every character in `[from, to)` in order. */
  walk(from: number, to: number, visit: (cp: number, code: number) => void): void {
    for (const p of this.pieces) {
      const size = p.compressed ? 1 : 2;
      const end = Math.min(to, p.cpEnd);
      for (let cp = Math.max(from, p.cpStart); cp < end; cp++) visit(cp, this.codeAt(p.byteStart + (cp - p.cpStart) * size, size));
    }
  }

  /**
   * Turns into spaces in place (one byte or one UTF-16 unit: nothing moves) the characters whose
   * `hidden` entry is set, but those whose bytes a character that stays also reads: Word's fast
   * saves let pieces share bytes (a table row pasted again), and such text shows elsewhere in the
   * document. Returns the characters blanked, in the order of the text.
   */
  blankHidden(hidden: Uint8Array): string {
    const kept = new Uint8Array(this.wordDocument.length);
    this.eachByteRange((cp, at, size) => {
      if (hidden[cp] !== 1) kept.fill(1, at, at + size);
    });
    const blanked: string[] = [];
    this.eachByteRange((cp, at, size) => {
      if (hidden[cp] !== 1 || kept[at] === 1 || kept[at + size - 1] === 1) return;
      blanked.push(String.fromCharCode(this.codeAt(at, size)));
      if (size === 1) this.wordDocument[at] = 0x20;
      else this.wordDocument.writeUInt16LE(0x20, at);
    });
    return blanked.join("");
  }

  /**
   * Writes the character at `cp` in place: one byte in an 8-bit piece (a character it cannot
   * hold becomes a space), one UTF-16 unit in the others.
   */
  put(cp: number, code: number): void {
    const p = this.pieces.find((q) => cp >= q.cpStart && cp < q.cpEnd);
    if (p == null) return;
    const k = cp - p.cpStart;
    if (!p.compressed) this.wordDocument.writeUInt16LE(code, p.byteStart + 2 * k);
    else this.wordDocument[p.byteStart + k] = compressedByte(code);
  }

  /** Where the pieces' characters lie in the WordDocument stream, as byte ranges. */
  byteRanges(): { start: number; end: number }[] {
    return this.pieces.map((p) => ({ start: p.byteStart, end: p.byteStart + (p.cpEnd - p.cpStart) * (p.compressed ? 1 : 2) }));
  }

  /** The character whose bytes start at `at`: one 8-bit byte ([MS-DOC] 2.4.1 compressed) or one UTF-16 unit. */
  private codeAt(at: number, size: number): number {
    const w = this.wordDocument;
    return size === 1 ? (COMPRESSED[w[at]!] ?? w[at]!) : w.readUInt16LE(at);
  }

  /** Calls `visit(cp, at, size)` for every character: where its bytes lie in the WordDocument stream, and how many. */
  private eachByteRange(visit: (cp: number, at: number, size: number) => void): void {
    for (const p of this.pieces) {
      const size = p.compressed ? 1 : 2;
      for (let cp = p.cpStart, at = p.byteStart; cp < p.cpEnd; cp++, at += size) visit(cp, at, size);
    }
  }

  /**
   * Sets the flags of each character from the formatted run its first byte lies in (pieces that
   * share bytes share their formatting).
   */
  private markRuns(table: Buffer, fib: Fib): void {
    const byByte = new Uint8Array(this.wordDocument.length);
    for (const run of readCharRuns(this.wordDocument, table, fib, this.characterGrpprls)) byByte.fill(run.flags, run.start, run.end);
    this.eachByteRange((cp, at) => void (this.flags[cp]! |= byByte[at]!));
  }
}

/**
 * The Clx's piece table ([MS-DOC] 2.9.38 Clx, 2.9.178 PlcPcd), checked against both streams;
 * the Prcs the pieces' Prm1s name go into `prcs`.
 */
function readPieces(wordDocument: Buffer, table: Buffer, fib: Fib, prcs: Buffer[]): Piece[] {
  const clx = fcLcb(wordDocument, fib, CLX);
  if (clx == null || clx.fc + clx.lcb > table.length) throw damaged("its piece table is missing or lies outside its table stream");
  const end = clx.fc + clx.lcb;
  let pos = clx.fc;
  while (pos < end && table[pos] === 0x01) {
    if (pos + 3 > end) throw damaged("its piece table is cut short");
    const cb = table.readInt16LE(pos + 1);
    if (cb < 0 || cb > MAX_CB_GRPPRL || pos + 3 + cb > end) throw damaged("its piece table is cut short");
    prcs.push(table.subarray(pos + 3, pos + 3 + cb));
    pos += 3 + cb;
  }
  if (pos + 5 > end || table[pos] !== 0x02) throw damaged("its piece table is malformed");
  const lcb = table.readUInt32LE(pos + 1);
  const plc = pos + 5;
  if (plc + lcb > end || lcb < 16 || (lcb - 4) % 12 !== 0) throw damaged("its piece table is malformed");
  const n = (lcb - 4) / 12;
  const pieces: Piece[] = [];
  for (let i = 0; i < n; i++) {
    const cpStart = table.readUInt32LE(plc + i * 4);
    const cpEnd = table.readUInt32LE(plc + (i + 1) * 4);
    if ((i === 0 && cpStart !== 0) || cpEnd <= cpStart) throw damaged("its piece table is out of order");
    const pcd = plc + (n + 1) * 4 + i * 8;
    const fc = table.readUInt32LE(pcd + 2);
    const compressed = (fc & 0x40000000) !== 0;
    const byteStart = compressed ? (fc & 0x3fffffff) / 2 : fc & 0x3fffffff;
    const bytes = (cpEnd - cpStart) * (compressed ? 1 : 2);
    if (!Number.isInteger(byteStart) || byteStart + bytes > wordDocument.length) throw damaged("its piece table points outside its main stream");
    const prm = table.readUInt16LE(pcd + 6);
    pieces.push({ cpStart, cpEnd, byteStart, compressed, deleted: prmMark(prm, prcs, ISPRM_RMARK_DEL, SPRM_C_F_RMARK_DEL), inserted: prmMark(prm, prcs, ISPRM_RMARK_INS, SPRM_C_F_RMARK_INS), prmAt: pcd + 6 });
  }
  // Pieces may share bytes (Word's fast saves reuse text), so a small file could claim far more
  // characters than its stream holds, each costing work.
  const length = pieces[pieces.length - 1]!.cpEnd;
  if (length > MAX_CHARACTERS_PER_BYTE * wordDocument.length) {
    throw new TooComplexError(`legacy-office: a piece table of ${length} characters over a ${wordDocument.length}-byte main stream`);
  }
  const total = fib.ccp.reduce((a, b) => a + b, 0);
  if (fib.ccp.some((c) => c < 0) || total > length) {
    throw damaged("its header counts more text than its piece table holds");
  }
  return pieces;
}

/** What a piece's Prm ([MS-DOC] 2.9.214) says of one toggle: a single sprm (Prm0, by its isprm) or a Prc's grpprl (Prm1). */
function prmMark(prm: number, prcs: readonly Buffer[], isprm: number, sprm: number): boolean | null {
  if ((prm & 1) === 0) return (prm >> 1) % 0x80 === isprm ? toggle(prm >> 8) : null;
  const grpprl = prcs[prm >> 1];
  if (grpprl == null) throw damaged("a piece of its text refers to formatting that is not there");
  return lastToggle(grpprl, sprm);
}

/** A byte range of the WordDocument stream with the flags its character formatting gives. */
interface CharRun {
  start: number;
  end: number;
  flags: number;
}

/** The runs of the CHPX pages that are deleted, inserted or special, from the PlcBteChpx; each run's grpprl goes into `grpprls`. */
function readCharRuns(wordDocument: Buffer, table: Buffer, fib: Fib, grpprls: PlacedGrpprl[]): CharRun[] {
  const bte = fcLcb(wordDocument, fib, PLCF_BTE_CHPX);
  if (bte == null) return [];
  if (bte.fc + bte.lcb > table.length || bte.lcb < 12 || (bte.lcb - 4) % 8 !== 0) throw damaged("its character formatting table is malformed");
  const n = (bte.lcb - 4) / 8;
  const runs: CharRun[] = [];
  for (let i = 0; i < n; i++) {
    const pn = table.readUInt32LE(bte.fc + (n + 1) * 4 + i * 4) & 0x3fffff;
    const page = pn * FKP_SIZE;
    if (page + FKP_SIZE > wordDocument.length) throw damaged("its character formatting points outside its main stream");
    const fkp = wordDocument.subarray(page, page + FKP_SIZE);
    const crun = fkp[FKP_SIZE - 1]!;
    if (crun === 0 || (crun + 1) * 4 + crun > FKP_SIZE - 1) throw damaged("a page of its character formatting is malformed");
    for (let r = 0; r < crun; r++) {
      const start = fkp.readUInt32LE(r * 4);
      const end = fkp.readUInt32LE((r + 1) * 4);
      if (end < start) throw damaged("a page of its character formatting is out of order");
      const offset = fkp[(crun + 1) * 4 + r]! * 2;
      if (offset === 0) continue;
      const cb = fkp[offset]!;
      if (offset + 1 + cb > FKP_SIZE - 1) throw damaged("a page of its character formatting is malformed");
      const grpprl = fkp.subarray(offset + 1, offset + 1 + cb);
      grpprls.push({ bytes: grpprl, rewrite: (shorter) => rewriteChpx(fkp, offset, shorter) });
      let flags = 0;
      for (const p of prls(grpprl)) {
        if (p.sprm === SPRM_C_F_RMARK_DEL) flags = toggle(grpprl[p.operand]!) ? flags | DELETED : flags & ~DELETED;
        if (p.sprm === SPRM_C_F_RMARK_INS) flags = toggle(grpprl[p.operand]!) ? flags | INSERTED : flags & ~INSERTED;
        if (p.sprm === SPRM_C_F_SPEC) flags = toggle(grpprl[p.operand]!) ? flags | SPECIAL : flags & ~SPECIAL;
      }
      if (flags !== 0 && end > start) runs.push({ start, end, flags });
    }
  }
  // Each byte has one formatting; overlapping runs would also let a small file cost far more
  // work than its size.
  runs.sort((a, b) => a.start - b.start);
  for (let i = 1; i < runs.length; i++) {
    if (runs[i]!.start < runs[i - 1]!.end) throw damaged("its character formatting gives some text two formats");
  }
  return runs;
}

/** A Chpx ([MS-DOC] 2.9.36) written shorter where it lies: its count byte, then the grpprl, the rest zeroed. */
function rewriteChpx(fkp: Buffer, offset: number, grpprl: Buffer): void {
  const cb = fkp[offset]!;
  fkp[offset] = grpprl.length;
  grpprl.copy(fkp, offset + 1);
  fkp.fill(0, offset + 1 + grpprl.length, offset + 1 + cb);
}
