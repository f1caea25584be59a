import { BadFileError } from "../errors.js";
import { FileBytes } from "../file-bytes.js";

const DAMAGED = "The AVI file is damaged: its stream headers do not fit in their lists.";

/**
 * Refuses an AVI whose header list (`hdrl`, with the `strl` and `odml` lists in it) holds a chunk
 * that runs past the list around it. ffmpeg reads such a chunk anyway, up to the list's end: a
 * stream format (`strf`) whose length gained a bit took the stream's name and the chunks after it
 * as the codec's private data, which the copy then carries whole (fuzz seed 330585845, #5311).
 * No writer makes such a list, so this refuses damage only; the media (`movi`) and the index are
 * not walked, so a recording cut short still gets its copy. A trailing pad byte past the list is
 * let through: some writers leave it out of the list's size.
 */
export async function checkAviHeaders(file: string): Promise<void> {
  const src = await FileBytes.open(file);
  try {
    const form = await src.read(0, 12);
    if (form.length < 12 || form.toString("latin1", 0, 4) !== "RIFF") return;
    const formEnd = Math.min(src.size, 8 + form.readUInt32LE(4));
    for (let at = 12; formEnd - at >= 12; ) {
      const head = await src.read(at, 12);
      const size = head.readUInt32LE(4);
      if (head.toString("latin1", 0, 4) === "LIST") {
        const type = head.toString("latin1", 8, 12);
        if (type === "movi") return;
        if (type === "hdrl") {
          if (size > src.size - at - 8) throw new BadFileError(DAMAGED, new Error(`hdrl of ${size} bytes at ${at} runs past the file's end`));
          await checkList(src, at + 12, at + 8 + size, `hdrl at ${at}`);
          return;
        }
      }
      at += 8 + size + (size % 2);
    }
  } finally {
    await src.close();
  }
}

/** The chunks of the list whose content is [from, to), and of the lists within it. */
async function checkList(src: FileBytes, from: number, to: number, where: string): Promise<void> {
  for (let at = from; to - at >= 8; ) {
    const head = await src.read(at, 12);
    const id = head.toString("latin1", 0, 4);
    const size = head.readUInt32LE(4);
    if (size > to - at - 8) throw new BadFileError(DAMAGED, new Error(`${JSON.stringify(id)} of ${size} bytes at ${at} runs past the end of ${where} (${to})`));
    if (id === "LIST" && size >= 4) await checkList(src, at + 12, at + 8 + size, `${JSON.stringify(head.toString("latin1", 8, 12))} at ${at}`);
    at += 8 + size + (size % 2);
  }
}
