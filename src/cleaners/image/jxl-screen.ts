import { TooComplexError } from "../errors.js";
import { FileBytes } from "../file-bytes.js";
import { ExifByteBudget } from "./exif-byte-budget.js";
import { boxAt } from "./box-at.js";
import { exifStart } from "./jp2-screen.js";
import { checkJumbf, JumbfTally } from "./jumbf-screen.js";
import { checkExifBlock, checkTiffBytes, MAX_EXIF_ENTRIES, TiffTally } from "./tiff-screen.js";

/**
 * Boxes before a JPEG XL file is refused: ExifTool reads every one (100,000 empty boxes, 800 kB:
 * 5.6 s; as many empty Exif boxes 13.7 s on a busy machine). A JPEG XL file has a handful: its
 * signature, brands, codestream (or a few partial codestreams), Exif, XMP, JUMBF.
 */
export const MAX_JXL_BOXES = 10_000;
/**
 * Bytes a `brob` box's EXIF block inflates to (Brotli), in all: ExifTool reads up to 100 MB of
 * each when it has its Brotli module (IO::Uncompress::Brotli; without it, it reads none). A
 * photo's EXIF block is tens of kilobytes.
 */
export const MAX_JXL_BROTLI_EXIF_BYTES = 16 * 1024 * 1024;

const SIGNATURE = Buffer.from("0000000c4a584c200d0a870a", "hex");

export function isJxlHead(bytes: Buffer): boolean {
  return bytes.length >= SIGNATURE.length && bytes.subarray(0, SIGNATURE.length).equals(SIGNATURE);
}

/**
 * Refuses (TooComplexError) a JPEG XL file in its container of more than MAX_JXL_BOXES boxes, or
 * whose EXIF blocks hold more than MAX_EXIF_ENTRIES directory entries in all, maker notes counted:
 * ExifTool reads every `Exif` box, every EXIF UUID box (its JPEG 2000 table serves both formats)
 * and every Brotli-compressed one (`brob` of type Exif), each as a block of its own (twenty boxes
 * of a maker note of 16,000 entries, 3.8 MB, held it to its 60 s timeout at 474 MB), and whose
 * JUMBF boxes (C2PA manifests) are past jumbf-screen's limits. A box that does not fit ends the
 * walk: damage is the cleaner's to judge.
 */
export async function checkJxlShape(file: string): Promise<void> {
  const src = await FileBytes.open(file);
  try {
    const tally = new TiffTally(MAX_EXIF_ENTRIES);
    const brotli = new ExifByteBudget(MAX_JXL_BROTLI_EXIF_BYTES, "jpeg xl");
    const jumbf = new JumbfTally();
    let count = 0;
    for (let at = 0; src.size - at >= 8; ) {
      const box = boxAt(src.peek(at, 16) ?? (await src.read(at, 16)), 0, src.size - at);
      if (box == null) return;
      if (++count > MAX_JXL_BOXES) throw new TooComplexError(`jpeg xl: more than ${MAX_JXL_BOXES} boxes`);
      const payload = at + box.headerSize;
      const length = box.size - box.headerSize;
      const exif = await exifStart(src, box.type, payload, length);
      if (exif != null && exif < length) await checkExifBlock(src, payload + exif, length - exif, tally);
      if (box.type === "brob" && length > 4 && (await src.read(payload, 4)).toString("latin1").toLowerCase() === "exif") {
        const block = brotli.inflate(await src.read(payload + 4, length - 4), "brotli");
        const start = block != null && block.length > 4 ? 4 + block.readUInt32BE(0) : 4;
        if (block != null && start <= block.length) await checkTiffBytes(block.subarray(start), tally);
      }
      if (box.type === "jumb") {
        jumbf.take(box.size);
        checkJumbf(await src.read(at, box.size), jumbf);
      }
      at += box.size;
    }
  } finally {
    await src.close();
  }
}
