import { TGA_EXTENSION as EXTENSION, extensionAt } from "../cleaners/image/tga-extension.js";
import { TGA_FOOTER, TGA_HEADER, bytesPerPixel, readTgaFooter, readTgaHeader } from "../cleaners/image/tga-header.js";
import type { RawTags } from "./read-task.js";

type ReadBytes = (at: number, length: number) => Promise<Buffer>;

/** The TGA 2.0 extension area's fields, by offset and size (TGA 2.0 specification, "Extension Area"). */
const TEXT_FIELDS: readonly (readonly [tag: string, at: number, size: number])[] = [
  ["Author", 2, 41],
  ["JobName", 379, 41],
  ["Software", 426, 41],
];
/** Four lines of 80 characters, each ended by a NUL. */
const COMMENTS = 43;
const COMMENT_LINE = 81;
const DATE = 367;
const JOB_TIME = 420;
const SOFTWARE_VERSION = 467;
const STAMP = 486;
const COLOUR_TABLE = 482;
const SCAN_LINES = 490;
const COLOUR_TABLE_BYTES = 256 * 4 * 2;
const DEVELOPER_ENTRY = 10;

/**
 * A Targa picture's tags (ExifTool has no TGA module, so they are read here and named as
 * ExifTool names such fields elsewhere, under the group `TGA`, so that findings see an Author as a
 * person, a Software as a program, Comments as hidden text, the postage stamp as a thumbnail), or
 * null when the file is not one. `size` is the file's. Only fixed-size areas and the developer
 * area's directory (at most 65,535 entries of 10 bytes) are read.
 */
export async function readTgaTags(bytes: ReadBytes, size: number): Promise<RawTags | null> {
  const footer = size >= TGA_HEADER + TGA_FOOTER ? readTgaFooter(await bytes(size - TGA_FOOTER, TGA_FOOTER)) : null;
  const header = await bytes(0, TGA_HEADER);
  const h = readTgaHeader(header, footer != null);
  if (h == null) return null;
  const tags: RawTags = { "File:ImageWidth": h.width, "File:ImageHeight": h.height, "File:BitDepth": h.depth };
  if (h.idLength > 0) {
    const field = await bytes(TGA_HEADER, h.idLength);
    const id = text(field);
    // Some writers keep binary data there: described, as ExifTool describes binary values.
    if (id !== "") tags["TGA:ImageID"] = /[\0-\x08\x0e-\x1f]/.test(id) ? binary(field.length) : id;
  }
  const end = size - TGA_FOOTER;
  const extAt = footer == null ? null : extensionAt(footer.extension, size);
  const ext = extAt == null ? null : await bytes(extAt, EXTENSION);
  if (ext != null && ext.readUInt16LE(0) >= EXTENSION) {
    Object.assign(tags, extensionTags(ext, h.height));
    // The postage stamp: a byte of width, a byte of height, then its pixels as the picture's.
    const stamp = ext.readUInt32LE(STAMP);
    if (stamp >= TGA_HEADER && stamp + 2 <= end) {
      const [width, height] = await bytes(stamp, 2);
      tags["TGA:ThumbnailImage"] = binary(2 + width! * height! * bytesPerPixel(h));
    }
  }
  if (footer != null && footer.developer >= TGA_HEADER && footer.developer + 2 <= end) {
    const count = (await bytes(footer.developer, 2)).readUInt16LE(0);
    const directory = await bytes(footer.developer + 2, Math.min(count * DEVELOPER_ENTRY, end - footer.developer - 2));
    let total = 0;
    for (let at = 0; at + DEVELOPER_ENTRY <= directory.length; at += DEVELOPER_ENTRY) total += directory.readUInt32LE(at + 6);
    if (count > 0) tags["TGA:DeveloperData"] = `${count} fields, ${binary(total)}`;
  }
  return tags;
}

function extensionTags(ext: Buffer, height: number): RawTags {
  const tags: RawTags = {};
  for (const [tag, at, size] of TEXT_FIELDS) {
    const value = text(ext.subarray(at, at + size));
    if (value !== "") tags[`TGA:${tag}`] = value;
  }
  const lines = [0, 1, 2, 3].map((i) => text(ext.subarray(COMMENTS + i * COMMENT_LINE, COMMENTS + (i + 1) * COMMENT_LINE)));
  const comments = lines.join("\n").trim();
  if (comments !== "") tags["TGA:Comments"] = comments;
  const [month, day, year, hour, minute, second] = [0, 2, 4, 6, 8, 10].map((o) => ext.readUInt16LE(DATE + o));
  if (year! > 0) tags["TGA:DateTimeCreated"] = `${year}:${pad(month!)}:${pad(day!)} ${pad(hour!)}:${pad(minute!)}:${pad(second!)}`;
  const [hours, minutes, seconds] = [0, 2, 4].map((o) => ext.readUInt16LE(JOB_TIME + o));
  if (hours! + minutes! + seconds! > 0) tags["TGA:JobTime"] = `${hours}:${pad(minutes!)}:${pad(seconds!)}`;
  const version = ext.readUInt16LE(SOFTWARE_VERSION);
  const letter = ext.toString("latin1", SOFTWARE_VERSION + 2, SOFTWARE_VERSION + 3).replace(/[\0 ]/g, "");
  if (version > 0) tags["TGA:SoftwareVersion"] = `${(version / 100).toFixed(2)}${letter}`;
  if (ext.readUInt32LE(COLOUR_TABLE) !== 0) tags["TGA:ColorCorrectionTable"] = binary(COLOUR_TABLE_BYTES);
  if (ext.readUInt32LE(SCAN_LINES) !== 0) tags["TGA:ScanLineTable"] = binary(height * 4);
  return tags;
}

/** A fixed-size text field: up to its first NUL, spaces trimmed. */
function text(field: Buffer): string {
  const nul = field.indexOf(0);
  return field.toString("latin1", 0, nul < 0 ? field.length : nul).trim();
}

function pad(n: number): string {
  return String(n).padStart(2, "0");
}

function binary(bytes: number): string {
  return `(Binary data ${bytes} bytes, use -b option to extract)`;
}
