import { isRightsTag } from "./rights.js";
import type { FoundTag, KeepOption } from "./types.js";

/** True for a tag that a `keep` option asked to leave in place (it is listed in `remaining`). */
export function isKept(t: FoundTag, keep: ReadonlySet<KeepOption>): boolean {
  if (keep.has("orientation") && (t.tag === "Orientation" || t.tag === "Rotation")) return true;
  if (keep.has("colorProfile") && (t.group === "ICC_Profile" || t.tag === "ProfileName" || t.tag === "ICC_Profile")) return true;
  if (keep.has("copyright") && isRightsTag(t)) return true;
  return false;
}

const DESCRIPTIVE_GROUPS: ReadonlySet<string> = new Set(["File", "Composite", "ExifTool", "System"]);

/**
 * True for a tag that describes a file (size, type, derived values) rather than carries its
 * metadata. ExifTool files a few carriers under `File` too (a JPEG COM or zip comment, an ODF
 * thumbnail), so those stay subject to verification.
 */
export function isDescriptive(group: string, tag: string): boolean {
  if (!DESCRIPTIVE_GROUPS.has(group)) return false;
  return group !== "File" || !/comment|preview|thumbnail/i.test(tag);
}
