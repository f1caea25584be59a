import fsp from "node:fs/promises";
import path from "node:path";
import type { RawTags } from "../../metadata/read-task.js";
import { shapeMetadata } from "../../metadata/shape.js";
import { isDescriptive, isKept } from "../keep.js";
import type { CleanContext, NestedOutcome } from "../types.js";
import type { CleanedPicture } from "./embedded-pictures.js";

/**
 * At most this many pictures of one document are read back to be counted (two ExifTool reads
 * each); the others are cleaned all the same, only not counted.
 */
const MAX_COUNTED = 64;

/**
 * What the cleaning of the pictures removed, per lower-case tag group as `removed` shows it (the
 * tags ExifTool reads from a picture before cleaning and no longer after, or empty after: a
 * comment segment of zeros reads as an empty comment), and what `keep` left in them (an ICC
 * profile), as `remaining` shows it. ExifTool does not look inside Office 97-2003 files, so
 * without this the client would learn neither.
 */
export async function pictureOutcome(ctx: CleanContext, pictures: readonly CleanedPicture[]): Promise<NestedOutcome> {
  const removed: Record<string, number> = {};
  const kept: RawTags = {};
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
      if (tag == null || isDescriptive(group!, tag)) continue;
      const left = after![key];
      if (left != null && left !== "") {
        if (isKept({ group: group!, tag, value: left }, ctx.keep)) kept[key] = left;
        continue;
      }
      const g = group!.toLowerCase();
      removed[g] = (removed[g] ?? 0) + 1;
    }
  }
  const { metadata } = shapeMetadata({ raw: kept, messages: [], clientName: "", size: 0, numeric: false, replacements: [] });
  delete metadata["File"];
  return { removed, remaining: metadata };
}
