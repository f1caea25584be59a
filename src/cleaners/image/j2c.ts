import fsp from "node:fs/promises";
import { BadFileError } from "../errors.js";
import { RangeWriter } from "../range-writer.js";
import type { CleanContext, Cleaner } from "../types.js";
import { COM, type Segment, TLM, walkCodestream, Window } from "./jp2-codestream.js";
import { isJpeg2000Structural } from "./jpeg2000.js";

/** Replaces `skip` bytes of the source at `at` by `bytes`. */
interface Edit {
  at: number;
  skip: number;
  bytes: Buffer;
}

/**
 * A bare JPEG 2000 codestream (`.j2c`, `.j2k`: no box around it) has no place for metadata but its
 * comments (COM segments: an encoder's name, its settings, a user's text), which ExifTool reads
 * as `Comment` but cannot write in this format. They are cut, here: from the main header, and
 * from each tile-part header with that tile-part's length (Psot) shortened to match; bytes after
 * the end-of-codestream marker go too. The picture's data is copied byte for byte.
 */
export const j2cCleaner: Cleaner = {
  name: "j2c",
  fileTypes: ["J2C"],
  async clean(ctx: CleanContext): Promise<void> {
    const { edits, end } = await planCuts(ctx.input);
    await RangeWriter.rewrite(ctx.input, ctx.output, "wx", async (_src, out) => {
      let at = 0;
      for (const edit of edits) {
        out.copy(at, edit.at);
        out.bytes(edit.bytes);
        at = edit.at + edit.skip;
        if (out.full) await out.flush();
      }
      out.copy(at, end);
    });
  },
  isStructural: isJpeg2000Structural,
};

/**
 * The cuts and length fixes, in file order, and where the codestream ends. A codestream that
 * indexes its tile-parts' lengths (TLM) and has comments in tile-part headers is refused rather
 * than handed back with a wrong index.
 */
async function planCuts(input: string): Promise<{ edits: Edit[]; end: number }> {
  const fh = await fsp.open(input, "r");
  try {
    const bytes = new Window(fh, (await fh.stat()).size);
    const comments: Segment[] = [];
    let indexed = false;
    const end = await walkCodestream(bytes, 0, bytes.size, (s) => {
      if (s.marker === TLM) indexed = true;
      if (s.marker === COM) comments.push(s);
    });
    const cutFromTilePart = new Map<number, number>();
    for (const c of comments) if (c.tilePart != null) cutFromTilePart.set(c.tilePart, (cutFromTilePart.get(c.tilePart) ?? 0) + c.size);
    if (indexed && cutFromTilePart.size > 0) {
      throw new BadFileError("The JPEG 2000 codestream's tile-part comments cannot be removed without breaking its index of tile-parts.");
    }
    const edits: Edit[] = comments.map((c) => ({ at: c.at, skip: c.size, bytes: Buffer.alloc(0) }));
    for (const [sot, cut] of cutFromTilePart) {
      const length = (await bytes.read(sot + 6, 4)).readUInt32BE(0);
      // 0: the last tile-part, running to the end of the codestream, has no length to fix.
      if (length === 0) continue;
      const fixed = Buffer.alloc(4);
      fixed.writeUInt32BE(length - cut);
      edits.push({ at: sot + 6, skip: 4, bytes: fixed });
    }
    return { edits: edits.sort((a, b) => a.at - b.at), end };
  } finally {
    await fh.close();
  }
}
