import type { KeepOption } from "../types.js";
import { ProofReader } from "./reader.js";
import { isOrientationOnlyExif, type ProofFailure } from "./shared.js";

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * Chunks a cleaned PNG may hold, each with the data lengths its specification allows (null: any,
 * as for image data): so a kept chunk cannot carry bytes beyond its fields either.
 */
const ALLOWED: ReadonlyMap<string, (n: number) => boolean> = new Map([
  ["IHDR", (n) => n === 13],
  ["PLTE", (n) => n > 0 && n <= 768 && n % 3 === 0],
  ["IDAT", () => true],
  ["IEND", (n) => n === 0],
  ["tRNS", (n) => n <= 256],
  ["gAMA", (n) => n === 4],
  ["cHRM", (n) => n === 32],
  ["sRGB", (n) => n === 1],
  ["cICP", (n) => n === 4],
  ["sBIT", (n) => n >= 1 && n <= 4],
  ["acTL", (n) => n === 8],
  ["fcTL", (n) => n === 26],
  ["fdAT", (n) => n >= 4],
]);

/**
 * Proves a cleaned PNG holds nothing but what drawing it needs, by walking its chunks on its own:
 * IHDR first, every chunk on the allow-list above at a length its fields account for, an iCCP
 * only when the colour profile was asked for and an eXIf only as the orientation alone when that
 * was kept, and the file ending with IEND. No text, time, private or unknown chunk, and no byte
 * after IEND, can be there. What is left unproven is the compressed image data, the picture itself.
 *
 * Resolves to null when the proof holds, else to what broke it.
 */
export function provePng(file: string, allowed: ReadonlySet<KeepOption>): Promise<ProofFailure | null> {
  return ProofReader.use(file, async (r) => {
    if (!(await r.bytes(0, 8))?.equals(SIGNATURE)) return "no PNG signature";
    let pos = 8;
    let first = true;
    for (;;) {
      const head = await r.bytes(pos, 8);
      if (head == null) return "no IEND";
      const length = head.readUInt32BE(0);
      const type = head.toString("latin1", 4, 8);
      const end = pos + 12 + length;
      if (end > r.size) return `chunk ${JSON.stringify(type)} runs past the end`;
      if (first && type !== "IHDR") return "IHDR is not first";
      first = false;
      const refused = await checkChunk(r, type, pos + 8, length, allowed);
      if (refused != null) return `${refused} at ${pos}`;
      pos = end;
      if (type === "IEND") return pos === r.size ? null : `${r.size - pos} bytes after IEND`;
    }
  });
}

async function checkChunk(r: ProofReader, type: string, dataAt: number, length: number, allowed: ReadonlySet<KeepOption>): Promise<string | null> {
  const name = `chunk ${JSON.stringify(type)}`;
  if (type === "iCCP") return allowed.has("colorProfile") ? null : `${name} not asked for`;
  if (type === "eXIf") {
    const data = allowed.has("orientation") && length === 26 ? await r.bytes(dataAt, 26) : null;
    return data != null && isOrientationOnlyExif(data) ? null : `${name} not asked for`;
  }
  const fits = ALLOWED.get(type);
  if (fits == null) return `${name} is not on the allow-list`;
  return fits(length) ? null : `${name} of ${length} bytes does not match its fields`;
}
