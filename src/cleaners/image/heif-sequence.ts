import type { CleanOutcome } from "../types.js";
import { MOV_DEMUXER_ARGS } from "../media/containers.js";
import { applyRewrite, planRewrite } from "../media/iso-rewrite.js";
import type { Range } from "../media/iso-samples.js";
import { scrubHeifBoxes } from "./heif-boxes.js";
import { blankHeifItems, type HeifTop, planHeifItems } from "./heif-in-place.js";

/**
 * An AVIF or HEIF image sequence (`.avifs`, brand `avis`/`msf1`): a still picture described by
 * the top-level `meta`, as in any HEIF file, and a movie (`moov`) whose tracks are the frames,
 * the alpha plane's frames in a track of their own; both point into the same `mdat`. Each side is
 * cleaned as its own kind of file is, in one copy where no byte moves:
 * - the movie as an MP4's (iso-rewrite.ts): dates zeroed, handler names and sample entries'
 *   vendor blanked, user data, `meta`, XMP and other `uuid` boxes gone, and every byte of the
 *   media data that is neither a frame nor a picture item's data zeroed; the reference that
 *   makes a track another's alpha plane (`tref/auxl`) and the frames' coding constraints and
 *   auxiliary type stay;
 * - the still picture as a HEIC's in-place blanking (heif-in-place.ts): the Exif and XMP items
 *   keep their entries without data, the pictures' item names are zeroed, the handler name, padding and (unless kept) the ICC profile
 *   go (heif-boxes.ts).
 * Resolves to null, having written nothing, unless both sides have the plain shapes those walks
 * know and no metadata item's bytes lie inside a frame; the file then goes to ExifTool's rewrite.
 */
export async function cleanHeifSequence(top: HeifTop, input: string, output: string, workDir: string, dropIcc: boolean): Promise<CleanOutcome | null> {
  const items = planHeifItems(top, "sequence");
  if (items == null) return null;
  const extents = (kind: "picture" | "metadata"): Range[] =>
    [...items.items.items.values()].filter((i) => i.kind === kind).flatMap((i) => i.extents.filter((e) => !e.inIdat).map((e) => ({ start: e.from, end: e.to })));
  const movie = await planRewrite(input, { alsoKept: extents("picture") });
  if (movie == null) return null;
  if (extents("metadata").some((m) => movie.samples.some((s) => m.start < s.end && s.start < m.end))) return null;
  const outcome = await applyRewrite(movie, output, workDir, { file: input, demuxer: "mov", demuxerArgs: MOV_DEMUXER_ARGS });
  // The media data outside frames and pictures is zeroed by the movie's rewrite already.
  const seiUserData = await blankHeifItems(output, items, false);
  await scrubHeifBoxes(output, dropIcc);
  return seiUserData === 0 ? outcome : { ...outcome, hidden: { ...outcome.hidden, seiUserData: (outcome.hidden?.["seiUserData"] ?? 0) + seiUserData } };
}
