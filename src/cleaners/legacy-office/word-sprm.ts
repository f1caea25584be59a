import { damaged } from "./word-fib.js";

/** Character property modifiers read here ([MS-DOC] 2.6.1). */
export const SPRM_C_F_RMARK_DEL = 0x0800;
export const SPRM_C_F_SPEC = 0x0855;
/** The dates of a character's revision marks: insertion, deletion (DTTMs), and formatting change (a PropRMarkOperand). */
const SPRM_C_DTTM_RMARK = 0x6805;
const SPRM_C_DTTM_RMARK_DEL = 0x6864;
const SPRM_C_PROP_RMARK90 = 0xca57;
/** A PropRMarkOperand ([MS-DOC] 2.9.218): cb (7), fPropRMark, ibstshort (2), dttm (4). */
const PROP_RMARK_DTTM = 4;
/** The two sprms whose operand size is not given by their first byte ([MS-DOC] 2.2.5.1). */
const SPRM_T_DEF_TABLE = 0xd608;
const SPRM_P_CHG_TABS = 0xc615;

/** Fixed operand sizes by spra (6 is variable). */
const OPERAND_SIZE = [1, 1, 2, 4, 2, 2, -1, 3] as const;

/** One Prl of a grpprl: its sprm and where its operand starts. */
export interface Prl {
  sprm: number;
  operand: number;
}

/**
 * The Prls of a grpprl ([MS-DOC] 2.2.5.2), in order. A Prl that runs past the end, or whose size
 * cannot be known, refuses the file: a property hidden behind it (a deletion mark) would be missed.
 */
export function prls(grpprl: Buffer): Prl[] {
  const out: Prl[] = [];
  let pos = 0;
  while (pos < grpprl.length) {
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
        if (sprm === SPRM_P_CHG_TABS && cb === 255) throw damaged("a formatting record has a form this service does not read");
        size = 1 + cb;
      }
    }
    if (operand + size > grpprl.length) throw damaged("a formatting record is cut short");
    out.push({ sprm, operand });
    pos = operand + size;
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
 * Zeroes in place the dates of the revision marks a grpprl carries (a DTTM of zero is "no
 * date"); who made them is the author table's index, blanked with the table (word.ts).
 */
export function zeroRevisionDates(grpprl: Buffer): void {
  for (const p of prls(grpprl)) {
    if (p.sprm === SPRM_C_DTTM_RMARK || p.sprm === SPRM_C_DTTM_RMARK_DEL) grpprl.fill(0, p.operand, p.operand + 4);
    if (p.sprm === SPRM_C_PROP_RMARK90 && grpprl[p.operand] === 7) grpprl.fill(0, p.operand + PROP_RMARK_DTTM, p.operand + PROP_RMARK_DTTM + 4);
  }
}
