import { BadFileError } from "../errors.js";
import type { FileBytes } from "../file-bytes.js";

/**
 * Refuses a Musepack stream-version-8 stream (the packets after its "MPCK" magic, from `at` to
 * `end`) that holds chapter packets ("CT"): each carries an APEv2 tag of its own (chapter titles
 * and other text) inside the stream, which cutting the tags around the stream does not reach.
 * Every packet is a two-letter key, then its size (key and size field included) in 7-bit groups,
 * most significant first, the top bit set on all but the last; the stream ends with "SE".
 */
export async function refuseChapterTags(src: FileBytes, at: number, end: number): Promise<void> {
  let pos = at;
  while (pos < end) {
    const head = src.peek(pos, 12) ?? (await src.read(pos, 12));
    const key = head.toString("latin1", 0, 2);
    if (!/^[A-Z]{2}$/.test(key)) throw damaged();
    let size = 0;
    let i = 2;
    for (; i < head.length; i++) {
      size = size * 128 + (head[i]! & 0x7f);
      if ((head[i]! & 0x80) === 0) break;
    }
    if (i >= head.length || size < i + 1 || pos + size > end) throw damaged();
    if (key === "CT") {
      throw new BadFileError("The Musepack file holds chapter tags (titles and other text for its chapters) inside its audio stream, which this service cannot remove yet.");
    }
    if (key === "SE") return;
    pos += size;
  }
}

function damaged(): BadFileError {
  return new BadFileError("The Musepack (MPC) file could not be read: its stream packets are damaged.");
}
