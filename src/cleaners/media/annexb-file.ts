import fsp from "node:fs/promises";
import { TooComplexError } from "../errors.js";

const CHUNK_BYTES = 1024 * 1024;
const START_CODE = Buffer.from([0, 0, 1]);

/** What to do with the NAL units of a stream: which to look at by their first byte, and which of those to keep. */
export interface UnitFilter {
  looked(firstByte: number): boolean;
  /** Sees a unit only until it returns. */
  kept(nal: Buffer): boolean;
}

/**
 * The NAL units of the Annex B byte stream in `file` (without start codes or trailing zero bytes)
 * that `filter` keeps, each copied out of the chunk it was read in. The file is read a chunk at a
 * time, and a unit not looked at is never held, so a whole video stream (its pictures' slices, a
 * constant-bitrate stream's filler) costs no memory. The units looked at may each come to
 * `maxBytes`, and those kept to `maxBytes` together; past either the stream is too complex.
 */
export async function keptAnnexBUnits(file: string, filter: UnitFilter, maxBytes: number): Promise<Buffer[]> {
  const kept: Buffer[] = [];
  let keptBytes = 0;
  // The unit being read: its bytes from earlier chunks, or null while it is not looked at (or before the first start code).
  let pieces: Buffer[] | null = null;
  let piecesBytes = 0;
  const looked = (next: Buffer): boolean => {
    const first = pieces?.[0]?.[0] ?? next[0];
    if (pieces != null && first != null && !filter.looked(first)) pieces = null;
    return pieces != null;
  };
  const end = (last: Buffer, trim: number): void => {
    if (!looked(last)) return;
    let unit = pieces!.length === 0 ? last : Buffer.concat([...pieces!, last]);
    unit = unit.subarray(0, Math.max(0, unit.length - trim));
    let to = unit.length;
    while (to > 0 && unit[to - 1] === 0) to--;
    unit = unit.subarray(0, to);
    if (unit.length === 0 || !filter.kept(unit)) return;
    keptBytes += unit.length;
    if (keptBytes > maxBytes) throw new TooComplexError(`more than ${maxBytes} bytes of NAL units kept from one video stream`);
    kept.push(Buffer.from(unit));
  };
  const startUnit = (): void => {
    pieces = [];
    piecesBytes = 0;
  };
  // How many zero bytes (up to 2) the bytes read so far end with: a start code may straddle two chunks.
  let zeros = 0;
  const fh = await fsp.open(file, "r");
  try {
    for (;;) {
      const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
      const { bytesRead } = await fh.read(chunk, 0, CHUNK_BYTES, null);
      if (bytesRead === 0) break;
      const view = chunk.subarray(0, bytesRead);
      let from = 0;
      const straddling = zeros >= 2 && view[0] === 1 ? 1 : zeros >= 1 && view[0] === 0 && view[1] === 1 ? 2 : 0;
      if (straddling > 0) {
        end(view.subarray(0, straddling), 3);
        startUnit();
        from = straddling;
      }
      for (let at = view.indexOf(START_CODE, from); at >= 0; at = view.indexOf(START_CODE, from)) {
        end(view.subarray(from, at + 3), 3);
        startUnit();
        from = at + 3;
      }
      const rest = view.subarray(from);
      if (rest.length > 0 && looked(rest)) {
        piecesBytes += rest.length;
        if (piecesBytes > maxBytes) throw new TooComplexError(`a NAL unit of more than ${maxBytes} bytes`);
        pieces!.push(rest);
      }
      const trailing = view[bytesRead - 1] !== 0 ? 0 : bytesRead > 1 && view[bytesRead - 2] === 0 ? 2 : 1;
      zeros = trailing === bytesRead ? Math.min(2, zeros + trailing) : trailing;
    }
    end(Buffer.alloc(0), 0);
  } finally {
    await fh.close();
  }
  return kept;
}
