import { type Finding, type TagEntry, distinctValues, fromTags, textOf } from "./types.js";

const COMMENT = /^(Comment|UserComment|XPComment|Comments?|Notes?|Annotation)$/;
/** Free text of formats whose fields have names of their own: a Targa picture's image ID and job name. */
const OTHER_TEXT = new Set(["TGA:ImageID", "TGA:JobName"]);
/**
 * Private fields of the program that wrote the file: a Targa picture's developer area, what a DDS
 * texture's writer left in its reserved DWORDs, the user data of a bare H.264 or HEVC stream's SEI.
 */
const PRIVATE_DATA = new Set(["TGA:DeveloperData", "DDS:PrivateData", "H264:UserData", "HEVC:UserData"]);
const PICTURE = /^(Picture|CoverArt|CoverImage|AttachedPicture|ThumbnailData)$/;

/** `hidden` comments a viewer never shows (a JPEG COM segment, EXIF user comments, tag comments). */
export function commentFindings(entries: readonly TagEntry[]): Finding[] {
  const matched = entries.filter((t) => (OTHER_TEXT.has(`${t.group}:${t.tag}`) || (t.group !== "Composite" && COMMENT.test(t.tag))) && textOf(t.value) !== "");
  return fromTags("hidden", "medium", "The file carries comments that viewers do not show.", matched, distinctValues(matched));
}

/** `hidden` private data a program left for itself, which no viewer shows. */
export function privateDataFindings(entries: readonly TagEntry[]): Finding[] {
  const matched = entries.filter((t) => PRIVATE_DATA.has(`${t.group}:${t.tag}`));
  return fromTags("hidden", "low", "The file carries private data of the program that wrote it.", matched);
}

/** `embedded` pictures of audio and video files (cover art), read by ExifTool. */
export function pictureFindings(entries: readonly TagEntry[]): Finding[] {
  const matched = entries.filter((t) => PICTURE.test(t.tag) && t.group !== "File");
  return fromTags("embedded", "medium", "The file contains pictures (cover art) with metadata of their own.", matched);
}
