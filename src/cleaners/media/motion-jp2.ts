import fsp from "node:fs/promises";
import { BadFileError } from "../errors.js";
import type { CleanContext, CleanOutcome } from "../types.js";
import { MOV_DEMUXER_ARGS } from "./containers.js";
import { topLevelBoxes } from "./iso-boxes.js";
import { cleanIsoBoxes } from "./iso-rewrite.js";

/** Motion JPEG 2000's brands (ISO/IEC 15444-3): the format and its simple profile. */
const BRANDS: ReadonlySet<string> = new Set(["mjp2", "mj2s"]);
/** The signature box, then the `ftyp` header, then its major brand. */
const BRAND_AT = 12 + 8;

/**
 * Whether a file ExifTool calls JP2 (it names a Motion JPEG 2000 file by its signature box, as a
 * still picture) is a movie: its major brand says so, or it has a movie box. Its frames then lie
 * where its sample tables say, which no still-picture walk reaches.
 */
export async function isMotionJp2(file: string): Promise<boolean> {
  const fh = await fsp.open(file, "r");
  try {
    const head = Buffer.alloc(BRAND_AT + 4);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    if (bytesRead === head.length && head.toString("latin1", 16, 20) === "ftyp" && BRANDS.has(head.toString("latin1", BRAND_AT))) return true;
    return (await topLevelBoxes(fh, (await fh.stat()).size))?.some((b) => b.type === "moov") === true;
  } finally {
    await fh.close();
  }
}

/**
 * A Motion JPEG 2000 file is an ISO base media file behind a JPEG 2000 signature, which
 * ExifTool's JP2 writer copies without looking into its movie box (user data, dates, handler
 * and compressor names) or its frames: the exact box rewrite of MP4s (`iso-rewrite.ts`) cleans
 * it, frames' codestream comments included. There is no remux to fall back on (ffmpeg would copy
 * the frames as they are), so a file that rewrite declines is refused.
 */
export async function cleanMotionJp2(ctx: CleanContext): Promise<CleanOutcome> {
  const cleaned = await cleanIsoBoxes(ctx.input, ctx.output, ctx.workDir, { file: ctx.input, demuxer: "mov", demuxerArgs: MOV_DEMUXER_ARGS });
  if (cleaned == null) throw new BadFileError("The Motion JPEG 2000 file holds parts that cannot be cleaned exactly.");
  return cleaned;
}
