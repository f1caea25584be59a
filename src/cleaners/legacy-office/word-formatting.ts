import { damaged, fcLcb, type Fib } from "./word-fib.js";
import { type PlacedGrpprl, prls } from "./word-sprm.js";

/** Index of each fc/lcb pair in FibRgFcLcb97 ([MS-DOC] 2.5.6). */
const PLCF_SED = 6;
const PLCF_BTE_PAPX = 13;

const FKP_SIZE = 512;
/** A PapxFkp's BxPap ([MS-DOC] 2.9.23): the PAPX's offset in 2-byte units, then a 12-byte PHE. */
const BX_PAP_SIZE = 13;
/** A Sed ([MS-DOC] 2.9.250): fn (2 bytes), fcSepx (4), fnMpr (2), fcMpr (4). */
const SED_SIZE = 12;
/** sprmPHugePapx: the paragraph's properties lie in the Data stream, at the operand's offset. */
const SPRM_P_HUGE_PAPX = 0x6646;
/** A grpprl in the Data stream or a SEPX is at most this long ([MS-DOC] 2.9.214, 2.9.251). */
const MAX_CB_GRPPRL = 0x3fa2;

/**
 * The paragraph and section formatting of a Word 97-2003 document, as views of the streams that
 * hold it (what is written into them changes the file in place): the grpprl of every paragraph
 * run of the PAPX pages ([MS-DOC] 2.9.175 PapxFkp, through the PlcBtePapx), table properties
 * included (they sit on the paragraphs that end table rows), the grpprls those point to in the
 * Data stream (sprmPHugePapx, [MS-DOC] 2.9.211 PrcData), and every section's SEPX ([MS-DOC]
 * 2.9.251, through the PlcfSed). Character formatting is read with the text (word-text.ts). A
 * structure pointing outside its stream refuses the file.
 */
export function paragraphAndSectionGrpprls(wordDocument: Buffer, table: Buffer, fib: Fib, data: Buffer | null): PlacedGrpprl[] {
  const paragraphs = paragraphGrpprls(wordDocument, table, fib);
  const huge: PlacedGrpprl[] = [];
  for (const { bytes } of paragraphs) {
    for (const p of prls(bytes)) {
      if (p.sprm === SPRM_P_HUGE_PAPX) huge.push(sizedGrpprl(data, bytes.readUInt32LE(p.operand), "its paragraph formatting points outside its Data stream"));
    }
  }
  return [...paragraphs, ...huge, ...sectionGrpprls(wordDocument, table, fib)];
}

function paragraphGrpprls(wordDocument: Buffer, table: Buffer, fib: Fib): PlacedGrpprl[] {
  const bte = fcLcb(wordDocument, fib, PLCF_BTE_PAPX);
  if (bte == null) return [];
  if (bte.fc + bte.lcb > table.length || bte.lcb < 12 || (bte.lcb - 4) % 8 !== 0) throw damaged("its paragraph formatting table is malformed");
  const n = (bte.lcb - 4) / 8;
  const grpprls: PlacedGrpprl[] = [];
  for (let i = 0; i < n; i++) {
    const page = (table.readUInt32LE(bte.fc + (n + 1) * 4 + i * 4) & 0x3fffff) * FKP_SIZE;
    if (page + FKP_SIZE > wordDocument.length) throw damaged("its paragraph formatting points outside its main stream");
    const fkp = wordDocument.subarray(page, page + FKP_SIZE);
    const crun = fkp[FKP_SIZE - 1]!;
    if (crun === 0 || (crun + 1) * 4 + crun * BX_PAP_SIZE > FKP_SIZE - 1) throw damaged("a page of its paragraph formatting is malformed");
    for (let r = 0; r < crun; r++) {
      const offset = fkp[(crun + 1) * 4 + r * BX_PAP_SIZE]! * 2;
      if (offset === 0) continue;
      // PapxInFkp: a count byte; when zero, a second one counting 2-byte units, otherwise the
      // size is twice the count less one. The grpprl follows the 2-byte style index.
      const cb = fkp[offset]!;
      const start = cb === 0 ? offset + 2 : offset + 1;
      const size = cb === 0 ? fkp[offset + 1]! * 2 : cb * 2 - 1;
      if (size < 2 || start + size > FKP_SIZE - 1) throw damaged("a page of its paragraph formatting is malformed");
      const grpprl = fkp.subarray(start + 2, start + size);
      // Sizes are rounded to the form's parity: one byte may be padding.
      const bytes = grpprl.subarray(0, prls(grpprl, true).at(-1)?.end ?? 0);
      grpprls.push({ bytes, rewrite: (shorter) => rewritePapx(fkp, offset, start + size, shorter) });
    }
  }
  return grpprls;
}

/**
 * A PapxInFkp written shorter where it lies (its style index kept): the short form (a count
 * byte, 2 x count - 1 bytes) for an odd size, the long one (a zero byte, a count byte, 2 x count
 * bytes) for an even size, as Word writes them; the rest of the old one zeroed.
 */
function rewritePapx(fkp: Buffer, offset: number, end: number, grpprl: Buffer): void {
  const start = fkp[offset] === 0 ? offset + 2 : offset + 1;
  const papx = Buffer.concat([fkp.subarray(start, start + 2), grpprl]);
  fkp.fill(0, offset, end);
  if (papx.length % 2 === 1) {
    fkp[offset] = (papx.length + 1) / 2;
    papx.copy(fkp, offset + 1);
  } else {
    fkp[offset + 1] = papx.length / 2;
    papx.copy(fkp, offset + 2);
  }
}

/** A grpprl after its 16-bit size (a PrcData of the Data stream, a SEPX of the main stream), rewritten shorter with its size. */
function sizedGrpprl(stream: Buffer | null, at: number, outside: string): PlacedGrpprl {
  if (stream == null || at < 0 || at + 2 > stream.length) throw damaged(outside);
  const cb = stream.readInt16LE(at);
  if (cb < 0 || cb > MAX_CB_GRPPRL || at + 2 + cb > stream.length) throw damaged(outside);
  return {
    bytes: stream.subarray(at + 2, at + 2 + cb),
    rewrite: (shorter) => {
      stream.writeInt16LE(shorter.length, at);
      shorter.copy(stream, at + 2);
      stream.fill(0, at + 2 + shorter.length, at + 2 + cb);
    },
  };
}

function sectionGrpprls(wordDocument: Buffer, table: Buffer, fib: Fib): PlacedGrpprl[] {
  const plc = fcLcb(wordDocument, fib, PLCF_SED);
  if (plc == null) return [];
  if (plc.fc + plc.lcb > table.length || plc.lcb < 4 + SED_SIZE + 4 || (plc.lcb - 4) % (4 + SED_SIZE) !== 0) throw damaged("its section table is malformed");
  const n = (plc.lcb - 4) / (4 + SED_SIZE);
  const grpprls: PlacedGrpprl[] = [];
  for (let i = 0; i < n; i++) {
    const fcSepx = table.readInt32LE(plc.fc + (n + 1) * 4 + i * SED_SIZE + 2);
    // -1: the section has the default properties.
    if (fcSepx !== -1) grpprls.push(sizedGrpprl(wordDocument, fcSepx, "its section formatting points outside its main stream"));
  }
  return grpprls;
}
