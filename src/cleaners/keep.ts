import type { FoundTag, KeepOption } from "./types.js";

/** True for a tag that a `keep` option asked to leave in place (it is listed in `remaining`). */
export function isKept(t: FoundTag, keep: ReadonlySet<KeepOption>): boolean {
  if (keep.has("orientation") && (t.tag === "Orientation" || t.tag === "Rotation")) return true;
  if (keep.has("colorProfile") && (t.group === "ICC_Profile" || t.tag === "ProfileName" || t.tag === "ICC_Profile")) return true;
  return false;
}

/** Groups that describe a file (size, type, derived values) rather than carry its metadata. */
export const DESCRIPTIVE_GROUPS: ReadonlySet<string> = new Set(["File", "Composite", "ExifTool", "System"]);
