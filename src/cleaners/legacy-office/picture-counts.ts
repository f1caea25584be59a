import fsp from "node:fs/promises";
import path from "node:path";
import { isDescriptive } from "../keep.js";
import type { CleanContext } from "../types.js";
import type { CleanedPicture } from "./embedded-pictures.js";

/**
 * At most this many pictures of one document are read back to be counted (two ExifTool reads
 * each); the others are cleaned all the same, only not counted.
 */
const MAX_COUNTED = 64;

/**
 * What the cleaning of the pictures removed, per lower-case tag group as `removed` shows it: the
 * tags ExifTool reads from a picture before cleaning and no longer after (or empty after: a
 * comment segment of zeros reads as an empty comment). ExifTool does not look inside Office
 * 97-2003 files, so without this the client would not learn that a picture's EXIF went.
 */
export async function countPictureTags(ctx: CleanContext, pictures: readonly CleanedPicture[]): Promise<Record<string, number>> {
  const removed: Record<string, number> = {};
  for (const [i, picture] of pictures.slice(0, MAX_COUNTED).entries()) {
    const [before, after] = await Promise.all(
      (["original", "cleaned"] as const).map(async (side) => {
        const file = path.join(ctx.workDir, `picture-${i}-${side}`);
        await fsp.writeFile(file, picture[side]);
        return (await ctx.exiftool.read(file)).tags;
      }),
    );
    for (const key of Object.keys(before!)) {
      const [group, tag] = key.split(":", 2);
      const left = after![key];
      if (tag == null || (left != null && left !== "") || isDescriptive(group!, tag)) continue;
      const g = group!.toLowerCase();
      removed[g] = (removed[g] ?? 0) + 1;
    }
  }
  return removed;
}
