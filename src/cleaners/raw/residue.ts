import { patchInPlace, type Patch } from "../media/patch-pieces.js";
import type { RawTags } from "../../metadata/read-task.js";
import { isBlank, isPersonal } from "./tags.js";

/**
 * Shorter values are left alone: six characters or more do not turn up in megabytes of sensor
 * data by chance (a hit there would change the raw data hash, and the file would be refused).
 */
const MIN_LENGTH = 6;

/**
 * The personal values of the original (serial numbers, owner names...) that a cleaned raw still
 * holds in bytes no field reads: cameras write fixed-size text fields and leave what was in their
 * buffer after the terminating zero, and ExifTool copies a field it keeps byte for byte. A Leaf
 * Credo 40's IIQ holds "Digital Camera Back\0pCalLD001055" in its 32-byte System field, its
 * serial number after the name. Each is overwritten with zeros where it stands; values the copy
 * still shows in a field it keeps (a kept copyright, a model name that a personal field repeats)
 * are left alone. Resolves to the number of values overwritten.
 */
export async function zeroPersonalResidue(file: string, before: RawTags, after: RawTags): Promise<number> {
  const kept = Object.values(after).filter((v): v is string => typeof v === "string");
  const patches = new Map<string, Patch>();
  for (const [key, value] of Object.entries(before)) {
    const colon = key.indexOf(":");
    if (colon < 0 || typeof value !== "string") continue;
    const text = value.trim();
    if (text.length < MIN_LENGTH || isBlank(text)) continue;
    if (!isPersonal({ group: key.slice(0, colon), tag: key.slice(colon + 1), value })) continue;
    if (kept.some((v) => v.includes(text))) continue;
    const forms = /^[\x20-\xff]*$/.test(text) ? [Buffer.from(text, "utf8"), Buffer.from(text, "latin1")] : [Buffer.from(text, "utf8")];
    for (const from of forms) patches.set(from.toString("hex"), { from, to: Buffer.alloc(from.length) });
  }
  return patchInPlace(file, [...patches.values()]);
}
