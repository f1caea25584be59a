import { DDS_HEADER, RESERVED1 } from "../cleaners/image/dds-layout.js";
import type { RawTags } from "./read-task.js";

/** A run of printable ASCII at least this long is a writer's signature, not a number's bytes. */
const MIN_TEXT = 4;
const TEXT_RUN = new RegExp(`[\\x20-\\x7e]{${MIN_TEXT},}`, "g");

/**
 * What a DirectDraw Surface's header tells beyond its pixels (ExifTool has no DDS module, so it is
 * read here, named as ExifTool names such fields elsewhere, under the group `DDS`): its size, the
 * writer's signature in the reserved DWORDs as Software ("NVTT", "GIMP-DDS", "IMAGEMAGICK"),
 * and the rest of what those DWORDs hold (a writer's version and private codes) as PrivateData.
 * `head` is the file's first 128 bytes (a shorter file tells nothing).
 */
export function readDdsTags(head: Buffer): RawTags {
  if (head.length < DDS_HEADER) return {};
  const tags: RawTags = { "File:ImageWidth": head.readUInt32LE(16), "File:ImageHeight": head.readUInt32LE(12) };
  const reserved = head.subarray(...RESERVED1);
  const latin = reserved.toString("latin1");
  const signatures = latin.match(TEXT_RUN) ?? [];
  if (signatures.length > 0) tags["DDS:Software"] = signatures.join(" ");
  const rest = Buffer.from(latin.replace(TEXT_RUN, ""), "latin1");
  if (rest.some((b) => b !== 0)) tags["DDS:PrivateData"] = `(Binary data ${reserved.length} bytes, use -b option to extract)`;
  return tags;
}
