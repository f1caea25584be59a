import { BadFileError } from "../errors.js";
import { RangeWriter } from "../range-writer.js";

/**
 * Top-level JP2/JPX boxes that hold only metadata and that ExifTool's rewrite leaves in place:
 * labels (`lbl `), association boxes (`asoc`, JPX's way of tying labels, XML and ROI notes to a
 * codestream), number lists (`nlst`, only found inside `asoc`), XML (`xml `), vendor UUID boxes
 * (GeoJP2 positions, editors' private data) and the UUID info that points at them (`uinf`).
 * Part 1 and Part 2 decoders read none of them to render the picture.
 */
const METADATA_BOXES: ReadonlySet<string> = new Set(["lbl ", "asoc", "nlst", "xml ", "uuid", "uinf"]);

/** Box headers are at least this long: 32-bit length and type. */
const HEADER = 8;

/**
 * Copies a JPEG 2000 file without its top-level metadata boxes; every other box (signature,
 * file type, reader requirements, headers, codestreams, fragment tables) is copied byte for byte.
 */
export async function dropMetadataBoxes(input: string, output: string): Promise<void> {
  await RangeWriter.rewrite(input, output, "wx", async (src, out) => {
    for (let at = 0; at < src.size; ) {
      const head = await src.read(at, 16);
      if (head.length < HEADER) throw damaged(`a box header at byte ${at} is cut short`);
      const type = head.toString("latin1", 4, 8);
      const stated = head.readUInt32BE(0);
      // Length 1: a 64-bit length follows the type; length 0: the box runs to the end of the file.
      let size = stated === 0 ? src.size - at : stated;
      if (stated === 1) {
        if (head.length < 16) throw damaged(`a box header at byte ${at} is cut short`);
        size = Number(head.readBigUInt64BE(8));
      }
      if (size < (stated === 1 ? 16 : HEADER) || at + size > src.size) throw damaged(`the ${JSON.stringify(type)} box at byte ${at} does not fit in the file`);
      if (!METADATA_BOXES.has(type)) out.copy(at, at + size);
      if (out.full) await out.flush();
      at += size;
    }
  });
}

function damaged(why: string): BadFileError {
  return new BadFileError(`The JPEG 2000 file is damaged: ${why}.`);
}
