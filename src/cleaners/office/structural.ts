import type { FoundTag } from "../types.js";
import { FIXED_MTIME_EXIFTOOL } from "./zip-write.js";

/** What ExifTool reports of a ZIP's first entry that says nothing about its author. */
const ZIP_LAYOUT: ReadonlySet<string> = new Set([
  "ZipRequiredVersion",
  "ZipBitFlag",
  "ZipCompression",
  "ZipCRC",
  "ZipCompressedSize",
  "ZipUncompressedSize",
]);

/**
 * ExifTool lists the first entry of a ZIP-based document (group `ZIP`). Its layout is the
 * format's; its date and name count as structural only when they are the fixed date we write
 * and the entry the format puts first, so that a cleaner that forgot either is caught.
 */
export function zipStructural(firstEntry: string): (t: FoundTag) => boolean {
  return (t) =>
    t.group === "ZIP" &&
    (ZIP_LAYOUT.has(t.tag) ||
      (t.tag === "ZipModifyDate" && t.value === FIXED_MTIME_EXIFTOOL) ||
      (t.tag === "ZipFileName" && t.value === firstEntry));
}
