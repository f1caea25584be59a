import { type Finding, type TagEntry, distinctValues, fromTags, textOf } from "./types.js";

const COMMENT = /^(Comment|UserComment|XPComment|Comments?|Notes?|Annotation)$/;
const PICTURE = /^(Picture|CoverArt|CoverImage|AttachedPicture|ThumbnailData)$/;

/** `hidden` comments a viewer never shows (a JPEG COM segment, EXIF user comments, tag comments). */
export function commentFindings(entries: readonly TagEntry[]): Finding[] {
  const matched = entries.filter((t) => t.group !== "Composite" && COMMENT.test(t.tag) && textOf(t.value) !== "");
  return fromTags("hidden", "medium", "The file carries comments that viewers do not show.", matched, distinctValues(matched));
}

/** `embedded` pictures of audio and video files (cover art), read by ExifTool. */
export function pictureFindings(entries: readonly TagEntry[]): Finding[] {
  const matched = entries.filter((t) => PICTURE.test(t.tag) && t.group !== "File");
  return fromTags("embedded", "medium", "The file contains pictures (cover art) with metadata of their own.", matched);
}
