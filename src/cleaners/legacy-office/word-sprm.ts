import { damaged } from "./word-fib.js";

/** Character property modifiers read here ([MS-DOC] 2.6.1). */
export const SPRM_C_F_RMARK_DEL = 0x0800;
export const SPRM_C_F_RMARK_INS = 0x0801;
export const SPRM_C_F_SPEC = 0x0855;
/** The dates of a character's insertion and deletion marks (DTTMs, [MS-DOC] 2.9.70). */
const SPRM_C_DTTM_RMARK = 0x6805;
const SPRM_C_DTTM_RMARK_DEL = 0x6864;
/** The author and the internal id of an insertion (sprmCIbstRMark, sprmCIdslRMark). */
const SPRM_C_IBST_RMARK = 0x4804;
const SPRM_C_IDSL_RMARK = 0x4807;
/**
 * Revision marks whose operand starts with a count byte, an on/off byte, the author (2 bytes)
 * and the date (4 bytes): the PropRMarkOperand ([MS-DOC] 2.9.218) of the character, paragraph,
 * section and table property revisions (the Word 97 sprms and their later numbers), and the
 * DispFldRmOperand of a changed list number shown in the text (sprmCDispFldRMark, which goes on
 * with the former number's text, 32 bytes).
 */
const PROP_RMARKS: ReadonlySet<number> = new Set([0xca57, 0xca89, 0xc63f, 0xc66f, 0xd227, 0xd243, 0xd667, 0xca62]);
const SPRM_C_DISP_FLD_RMARK = 0xca62;
const PROP_RMARK_ON = 1;
const PROP_RMARK_DTTM = 4;
const DISP_FLD_XST = 8;
const DISP_FLD_XST_SIZE = 32;
/**
 * sprmPNumRM: a paragraph number changed under revision marking (NumRMOperand: a count byte, then
 * fNumRM, a spare byte, the author, the date, then the former number's layout and text), and
 * sprmPFNumRMIns: the paragraph's number inserted under revision marking.
 */
const SPRM_P_NUM_RM = 0xc645;
const NUM_RM_ON = 1;
const NUM_RM_DTTM = 5;
const SPRM_P_F_NUM_RM_INS = 0x2443;
/**
 * Revision-save ids ([MS-DOC] 2.6: sprmCRsidProp, sprmCRsidText, sprmCRsidRMDel, sprmPRsid,
 * sprmTRsid, sprmSRsid): which editing session formatted, typed or deleted what, 4 bytes each
 * (the `w:rsid*` attributes of a DOCX).
 */
const RSIDS: ReadonlySet<number> = new Set([0x6815, 0x6816, 0x6817, 0x6467, 0x7479, 0x703a]);
/** The two sprms whose operand size is not given by their first byte ([MS-DOC] 2.2.5.1). */
const SPRM_T_DEF_TABLE = 0xd608;
const SPRM_P_CHG_TABS = 0xc615;

/** Fixed operand sizes by spra (6 is variable). */
const OPERAND_SIZE = [1, 1, 2, 4, 2, 2, -1, 3] as const;

/**
 * A grpprl where it lies: `bytes` is a view of its stream (what is written into it changes the
 * file in place); `rewrite` writes a shorter grpprl in its place, its size field and the bytes
 * left over included, or is null where the size cannot change (a Prc of the piece table, whose
 * successors would move).
 */
export interface PlacedGrpprl {
  bytes: Buffer;
  rewrite: ((grpprl: Buffer) => void) | null;
}

/** One Prl of a grpprl: its sprm, where its operand starts and where the Prl ends. */
export interface Prl {
  sprm: number;
  operand: number;
  end: number;
}

/**
 * The Prls of a grpprl ([MS-DOC] 2.2.5.2), in order. A Prl that runs past the end, or whose size
 * cannot be known, refuses the file: a property hidden behind it (a deletion mark) would be missed.
 * `padded`: the grpprl may end with one byte of padding (a PAPX of the long form, [MS-DOC] 2.9.174).
 */
export function prls(grpprl: Buffer, padded = false): Prl[] {
  const out: Prl[] = [];
  let pos = 0;
  while (pos < grpprl.length) {
    if (padded && pos + 1 === grpprl.length) break;
    if (pos + 2 > grpprl.length) throw damaged("a formatting record is cut short");
    const sprm = grpprl.readUInt16LE(pos);
    const operand = pos + 2;
    const spra = sprm >> 13;
    let size: number = OPERAND_SIZE[spra] ?? -1;
    if (size < 0) {
      if (sprm === SPRM_T_DEF_TABLE) {
        if (operand + 2 > grpprl.length) throw damaged("a formatting record is cut short");
        size = grpprl.readUInt16LE(operand) + 1;
      } else {
        if (operand + 1 > grpprl.length) throw damaged("a formatting record is cut short");
        const cb = grpprl[operand]!;
        size = sprm === SPRM_P_CHG_TABS && cb === 255 ? chgTabsSize(grpprl, operand) : 1 + cb;
      }
    }
    if (operand + size > grpprl.length) throw damaged("a formatting record is cut short");
    pos = operand + size;
    out.push({ sprm, operand, end: pos });
  }
  return out;
}

/**
 * A ToggleOperand ([MS-DOC] 2.9.322): 0 off, 1 on, 0x80 as the style has it, 0x81 the opposite
 * of the style. Styles do not carry revision marks, so "as the style" is off and "opposite" on.
 */
export function toggle(value: number): boolean {
  return value === 1 || value === 0x81;
}

/** The last value a grpprl gives a one-byte character property, or null when it does not set it. */
export function lastToggle(grpprl: Buffer, sprm: number): boolean | null {
  let value: boolean | null = null;
  for (const p of prls(grpprl)) if (p.sprm === sprm) value = toggle(grpprl[p.operand]!);
  return value;
}

/**
 * sprmPChgTabs whose count byte is 255 ([MS-DOC] 2.6.2): the size follows from the two lists
 * it holds, the tabs removed (two 2-byte positions each) and the tabs added (a 2-byte position
 * and a 1-byte descriptor each), each list after its own 1-byte count.
 */
function chgTabsSize(grpprl: Buffer, operand: number): number {
  const deleted = operand + 1;
  if (deleted + 1 > grpprl.length) throw damaged("a formatting record is cut short");
  const added = deleted + 1 + grpprl[deleted]! * 4;
  if (added + 1 > grpprl.length) throw damaged("a formatting record is cut short");
  return added + 1 + grpprl[added]! * 3 - operand;
}

/**
 * Zeroes in place the dates of the revision marks a grpprl carries, of any kind (a DTTM of zero
 * is "no date"), and its revision-save ids; who made the marks is the author table's index,
 * blanked with the table (word.ts).
 */
export function zeroRevisionTraces(grpprl: Buffer): void {
  for (const p of prls(grpprl)) {
    if (RSIDS.has(p.sprm) || p.sprm === SPRM_C_DTTM_RMARK || p.sprm === SPRM_C_DTTM_RMARK_DEL) grpprl.fill(0, p.operand, p.operand + 4);
    else if (PROP_RMARKS.has(p.sprm) && grpprl[p.operand]! >= PROP_RMARK_DTTM + 3) grpprl.fill(0, p.operand + PROP_RMARK_DTTM, p.operand + PROP_RMARK_DTTM + 4);
    else if (p.sprm === SPRM_P_NUM_RM && grpprl[p.operand]! >= NUM_RM_DTTM + 3) grpprl.fill(0, p.operand + NUM_RM_DTTM, p.operand + NUM_RM_DTTM + 4);
  }
}

/** The Prls accepting the changes takes out: the marks of insertions and of property and list-number revisions. */
const ACCEPTED: ReadonlySet<number> = new Set([SPRM_C_F_RMARK_INS, SPRM_C_IBST_RMARK, SPRM_C_DTTM_RMARK, SPRM_C_IDSL_RMARK, ...PROP_RMARKS, SPRM_P_NUM_RM, SPRM_P_F_NUM_RM_INS]);

/** True for a grpprl that holds revision marks and nothing else that `acceptRevisionMarks` would keep. */
export function onlyRevisionMarks(grpprl: Buffer): boolean {
  const all = prls(grpprl);
  return all.length > 0 && all.every((p) => ACCEPTED.has(p.sprm));
}

/**
 * Resolves in place, as accepting them would leave the text, the revision marks a grpprl carries
 * other than deletions: insertion marks with their author and date (the text stays, no longer an
 * insertion), property revisions of every kind (the formatting in effect stays, no longer a
 * change) and list-number revisions (with the former number's text). Where the grpprl can be
 * rewritten shorter, those Prls are taken out, so that no reader can see a revision in what is
 * left; where it cannot, they stay, turned off (the toggles and on/off bytes zeroed, the former
 * number's text blanked). Returns how many property and list-number revisions were on
 * (insertions are counted as passages of text, word-review.ts).
 */
export function acceptRevisionMarks(g: PlacedGrpprl): number {
  const grpprl = g.bytes;
  const all = prls(grpprl);
  let formatChanges = 0;
  for (const p of all) {
    if (PROP_RMARKS.has(p.sprm) && grpprl[p.operand]! >= PROP_RMARK_DTTM + 3) {
      if (grpprl[p.operand + PROP_RMARK_ON] !== 0) formatChanges++;
      grpprl[p.operand + PROP_RMARK_ON] = 0;
      const xst = p.operand + DISP_FLD_XST;
      if (p.sprm === SPRM_C_DISP_FLD_RMARK && grpprl[p.operand]! >= DISP_FLD_XST - 1 + DISP_FLD_XST_SIZE) grpprl.fill(0, xst, xst + DISP_FLD_XST_SIZE);
    } else if (p.sprm === SPRM_P_NUM_RM && grpprl[p.operand]! >= NUM_RM_DTTM + 3) {
      if (grpprl[p.operand + NUM_RM_ON] !== 0) formatChanges++;
      grpprl[p.operand + NUM_RM_ON] = 0;
    } else if (p.sprm === SPRM_P_F_NUM_RM_INS) {
      if (grpprl[p.operand] !== 0) formatChanges++;
      grpprl[p.operand] = 0;
    } else if (p.sprm === SPRM_C_F_RMARK_INS) {
      grpprl[p.operand] = 0;
    }
  }
  const kept = all.filter((p) => !ACCEPTED.has(p.sprm));
  if (g.rewrite != null && kept.length < all.length) g.rewrite(Buffer.concat(kept.map((p) => grpprl.subarray(p.operand - 2, p.end))));
  return formatChanges;
}
