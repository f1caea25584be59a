import type { FcLcb } from "./word-fib.js";
import { zeroRevisionTraces } from "./word-sprm.js";

/** StdfBase ([MS-DOC] 2.9.260) is 10 bytes; with StdfPost2000 (2.9.261) after it, 18. */
const STDF_BASE_SIZE = 10;
const STDF_POST_2000_SIZE = 18;
/** StdfPost2000: the style's revision-save id, after istdLink and its flags (2 bytes). */
const STYLE_RSID = STDF_BASE_SIZE + 2;
/** Style kinds (stk) whose UPXs ([MS-DOC] 2.9.320) open with a 2-byte istd before the grpprl, by UPX index. */
const PARAGRAPH_UPX: Readonly<Record<number, number>> = { 1: 0, 3: 1, 4: 0 };

/**
 * The editing traces of a Word 97-2003 style sheet ([MS-DOC] 2.9.271 STSH), zeroed in place:
 * each style's revision-save id (StdfPost2000.rsid, which session last changed the style: the
 * document's editing sessions, like the rsids of the text) and the dates and rsids any revision
 * mark in its formatting (its UPXs' grpprls) carries. Nothing moves. The style sheet is read
 * leniently: a style whose layout cannot be followed is left as it is, the rest still done
 * (a style sheet Word reads is not refused for a field this reading does not expect).
 */
export function zeroStyleTraces(table: Buffer, stsh: FcLcb): void {
  if (stsh.fc + stsh.lcb > table.length || stsh.lcb < 2) return;
  const s = table.subarray(stsh.fc, stsh.fc + stsh.lcb);
  const cbStshi = s.readUInt16LE(0);
  if (2 + cbStshi > s.length || cbStshi < 4) return;
  const cstd = s.readUInt16LE(2);
  const cbStd = s.readUInt16LE(4);
  let pos = 2 + cbStshi;
  for (let i = 0; i < cstd && pos + 2 <= s.length; i++) {
    const size = s.readUInt16LE(pos);
    const std = s.subarray(pos + 2, Math.min(pos + 2 + size, s.length));
    pos += 2 + size;
    if (size === 0 || std.length < size) continue;
    if (cbStd >= STDF_POST_2000_SIZE && std.length >= STYLE_RSID + 4) std.fill(0, STYLE_RSID, STYLE_RSID + 4);
    for (const grpprl of styleGrpprls(std, cbStd)) {
      try {
        zeroRevisionTraces(grpprl);
      } catch {
        // A grpprl this reading cannot follow: the style keeps its formatting as it is.
      }
    }
  }
}

/** The grpprls of one STD's UPXs: after the Stdf and the style's name, each UPX after its 16-bit size, padded to an even length. */
function styleGrpprls(std: Buffer, cbStd: number): Buffer[] {
  if (std.length < Math.max(cbStd, STDF_BASE_SIZE) + 2) return [];
  const stk = std.readUInt16LE(2) & 0x0f;
  const cupx = std.readUInt16LE(4) & 0x0f;
  const cch = std.readUInt16LE(cbStd);
  let pos = cbStd + 2 + cch * 2 + 2;
  const out: Buffer[] = [];
  for (let k = 0; k < cupx; k++) {
    if (pos + 2 > std.length) return out;
    const cbUpx = std.readUInt16LE(pos);
    if (pos + 2 + cbUpx > std.length) return out;
    const skip = PARAGRAPH_UPX[stk] === k ? 2 : 0;
    if (cbUpx > skip) out.push(std.subarray(pos + 2 + skip, pos + 2 + cbUpx));
    pos += 2 + cbUpx + (cbUpx % 2);
  }
  return out;
}
