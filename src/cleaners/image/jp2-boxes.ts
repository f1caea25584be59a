import { BadFileError } from "../errors.js";
import { RangeWriter } from "../range-writer.js";
import { boxAt, type Box } from "./heif-boxes.js";

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
      const box = jp2BoxAt(await src.read(at, 16), at, src.size - at);
      if (!METADATA_BOXES.has(box.type)) out.copy(at, at + box.size);
      if (out.full) await out.flush();
      at += box.size;
    }
  });
}

/**
 * The box at byte `at` whose header is the start of `head` (16 bytes, fewer at the end), with
 * `room` bytes left where it stands (in the file, or in a movie's frame: `within`). A length of 1
 * means a 64-bit length after the type, 0 a box running to the end.
 */
export function jp2BoxAt(head: Buffer, at: number, room: number, within = "the file"): Box {
  if (head.length < HEADER) throw damaged(`a box header at byte ${at} is cut short`);
  const box = boxAt(head, 0, room);
  if (box == null) throw damaged(`the ${JSON.stringify(head.toString("latin1", 4, 8))} box at byte ${at} does not fit in ${within}`);
  return box;
}

export function damaged(why: string): BadFileError {
  return new BadFileError(`The JPEG 2000 file is damaged: ${why}.`);
}
