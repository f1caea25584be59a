import { BadFileError } from "../errors.js";
import type { CleanContext } from "../types.js";

/**
 * Has ExifTool rewrite the file without any metadata it can write (`-all=`, plus the groups it
 * keeps under `-all=` for some formats, such as a PSD's Photoshop resources), the ICC profile
 * kept when asked. For formats whose container ExifTool rewrites box by box or resource by
 * resource without touching the picture data.
 */
export async function rewriteWithoutMetadata(ctx: CleanContext, extra: readonly string[] = []): Promise<void> {
  const icc = ctx.keep.has("colorProfile") ? ["--ICC_Profile:all"] : [];
  const errors = await ctx.exiftool.write(ctx.input, ctx.output, ["-all=", ...extra, ...icc]);
  if (errors.length > 0) {
    throw new BadFileError(`The ${ctx.fileType} file is damaged: its structure could not be read.`, new Error(errors.join("; ")));
  }
}
