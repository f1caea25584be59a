import fsp from "node:fs/promises";
import { TooComplexError } from "../errors.js";

const CHUNK_BYTES = 1024 * 1024;

/**
 * The NAL units of the Annex B byte stream in `file` (without start codes or trailing zero bytes)
 * for which `keep` is true, each copied out of the chunk it was read in: the file is read a chunk
 * at a time, so a stream of megabytes of units that are not kept (a constant-bitrate stream's
 * filler) costs no memory. `keep` sees a unit only until it returns. The kept units together may
 * come to `maxBytes`, and one unit being read to `maxBytes` too; past either the stream is too
 * complex.
 */
export async function keptAnnexBUnits(file: string, keep: (nal: Buffer) => boolean, maxBytes: number): Promise<Buffer[]> {
  const kept: Buffer[] = [];
  let keptBytes = 0;
  // The current unit's bytes from earlier chunks (null before the first start code), and from where in this chunk it goes on.
  let pieces: Buffer[] | null = null;
  let piecesBytes = 0;
  let zeros = 0;
  const end = (last: Buffer, trim: number): void => {
    if (pieces == null) return;
    let unit = pieces.length === 0 ? last : Buffer.concat([...pieces, last]);
    unit = unit.subarray(0, Math.max(0, unit.length - trim));
    let to = unit.length;
    while (to > 0 && unit[to - 1] === 0) to--;
    unit = unit.subarray(0, to);
    if (unit.length === 0 || !keep(unit)) return;
    keptBytes += unit.length;
    if (keptBytes > maxBytes) throw new TooComplexError(`more than ${maxBytes} bytes of NAL units kept from one video stream`);
    kept.push(Buffer.from(unit));
  };
  const fh = await fsp.open(file, "r");
  try {
    for (;;) {
      const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
      const { bytesRead } = await fh.read(chunk, 0, CHUNK_BYTES, null);
      if (bytesRead === 0) break;
      let from = 0;
      for (let i = 0; i < bytesRead; i++) {
        const b = chunk[i]!;
        if (zeros >= 2 && b === 1) {
          // The start code's 0x00 0x00 0x01 ends the unit before it, wherever its zeros were read.
          end(chunk.subarray(from, i + 1), 3);
          pieces = [];
          piecesBytes = 0;
          from = i + 1;
          zeros = 0;
          continue;
        }
        zeros = b === 0 ? zeros + 1 : 0;
      }
      if (pieces != null && from < bytesRead) {
        piecesBytes += bytesRead - from;
        if (piecesBytes > maxBytes) throw new TooComplexError(`a NAL unit of more than ${maxBytes} bytes`);
        pieces.push(chunk.subarray(from, bytesRead));
      }
    }
    end(Buffer.alloc(0), 0);
  } finally {
    await fh.close();
  }
  return kept;
}
