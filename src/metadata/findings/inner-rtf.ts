import fsp from "node:fs/promises";
import { BadFileError } from "../../cleaners/errors.js";
import { pictureBytes } from "../../cleaners/rtf/picture-data.js";
import { MAX_PICTURE_PIECES, PICTURE_FORMATS } from "../../cleaners/rtf/rewrite.js";
import { RtfTokens } from "../../cleaners/rtf/tokens.js";
import { written } from "./inner-copy.js";
import { type OleObject, packagedFile } from "./inner-ole.js";
import type { InnerSource } from "./inner-types.js";

/** Pictures and objects listed from one document, each; the rest are counted, not looked at. */
const MAX_LISTED = 1000;
/** The picture formats whose files carry metadata ExifTool reads (EXIF, XMP, PNG text). */
const READ_PICTURES = /^(jpegblip|pngblip)$/;

/** A `{\pict}` or `{\*\objdata}` group's data as it lies in the file. */
interface Data {
  what: "picture" | "object";
  format: string | null;
  hex: Buffer[];
  bin: Buffer[];
}

/**
 * RTF documents' JPEG and PNG pictures (`{\pict\jpegblip ...}`), named "picture N", and their
 * embedded objects (`{\*\objdata ...}`: an OLE 1 object, whose native data is the object's file,
 * a Word or Excel document with its own properties, or a file packaged by Object Packager), named
 * "object N" as in Office 97-2003 files (inner-legacy.ts, which then looks inside a document
 * object). ExifTool reads neither. Read with the cleaner's tokens, without building a tree: a
 * damaged document gives what was found before its damage.
 */
export const rtfSource: InnerSource = async (file, _scratch, visit) => {
  const found = groupsData(await fsp.readFile(file));
  const pictures = found.data.filter((d) => d.what === "picture");
  const objects = found.data.filter((d) => d.what === "object");
  for (const [i, d] of pictures.entries()) {
    const size = claimedSize(d);
    await visit({ name: `picture ${i + 1}`, claimedSize: size, copyTo: (dest, maxBytes) => written(() => decoded(d), size, dest, maxBytes) });
  }
  let damaged = 0;
  for (const [i, d] of objects.entries()) {
    const native = decoded(d);
    if (native == null) damaged++;
    const object = native == null ? null : ole1File(native);
    if (object == null) continue;
    const name = object.label == null ? `object ${i + 1}` : `object ${i + 1} (${object.label})`;
    await visit({ name, claimedSize: object.size, copyTo: (dest, maxBytes) => written(object.bytes, object.size, dest, maxBytes) });
  }
  return found.unlisted + damaged;
};

/** The group's data as bytes; null when it is not whole hex bytes (a damaged picture). */
function decoded(d: Data): Buffer | null {
  try {
    return pictureBytes(d.hex, d.bin);
  } catch (err) {
    if (err instanceof BadFileError) return null;
    throw err;
  }
}

function claimedSize(d: Data): number {
  return d.bin.length > 0 ? d.bin.reduce((n, b) => n + b.length, 0) : Math.floor(d.hex.reduce((n, h) => n + h.length, 0) / 2);
}

/**
 * The data of the document's JPEG and PNG `{\pict}` groups and its `{\*\objdata}` groups, up to
 * MAX_LISTED of each and MAX_PICTURE_PIECES pieces in all (as the cleaner holds them); `unlisted`
 * counts the groups left out. Only the group's own text and `\bin` data are its data, not that of
 * groups inside it (a picture's `{\*\blipuid}`).
 */
function groupsData(bytes: Buffer): { data: Data[]; unlisted: number } {
  const tokens = new RtfTokens(bytes);
  const data: Data[] = [];
  const listed = { picture: 0, object: 0 };
  let unlisted = 0;
  let pieces = 0;
  let level = 0;
  /** The group being read; `kept` false once it is known to be left out (counted if it is a file to read). */
  let current: { d: Data; level: number; kept: boolean } | null = null;
  const isFile = (d: Data): boolean => d.what === "object" || (d.format != null && READ_PICTURES.test(d.format));
  try {
    for (let t = tokens.next(); t != null; t = tokens.next()) {
      if (t.kind === "close") {
        if (current?.level === level) {
          if (!isFile(current.d)) current.kept = false;
          else if (current.kept) listed[current.d.what]++;
          else unlisted++;
          if (current.kept) data.push(current.d);
          current = null;
        }
        level--;
        continue;
      }
      if (t.kind === "open") {
        level++;
        let head = tokens.peekPastLineBreaks();
        if (head?.kind === "symbol" && head.ch === "*") {
          tokens.next();
          head = tokens.peekPastLineBreaks();
        }
        const what = head?.kind !== "word" ? null : head.name === "pict" ? "picture" : head.name === "objdata" ? "object" : null;
        if (what != null && current == null) current = { d: { what, format: null, hex: [], bin: [] }, level, kept: listed[what] < MAX_LISTED };
        continue;
      }
      if (current?.level !== level) continue;
      if (t.kind === "word" && PICTURE_FORMATS.test(t.name)) current.d.format = t.name;
      if ((t.kind !== "text" && t.kind !== "bin") || !current.kept) continue;
      // Past the pieces a cleaner holds, the group is left out (counted), its data not kept.
      if (++pieces > MAX_PICTURE_PIECES) current.kept = false;
      else if (t.kind === "bin") current.d.bin.push(bytes.subarray(t.dataStart, t.end));
      else current.d.hex.push(bytes.subarray(t.start, t.end));
    }
  } catch (err) {
    if (!(err instanceof BadFileError)) throw err;
  }
  return { data, unlisted };
}

/**
 * An OLE 1 object ([MS-OLEDS] 2.2.4, ObjectHeader and EmbeddedObject): version, format (2:
 * embedded), class name, topic and item names (length-prefixed), the native data's size and
 * bytes. A packaged file (class `Package`) is the file inside; other classes' native data is the
 * object's own file (a compound file for Office documents). Linked and static objects hold no
 * file: null.
 */
function ole1File(b: Buffer): OleObject | null {
  let at = 0;
  const u32 = (): number | null => {
    if (at + 4 > b.length) return null;
    at += 4;
    return b.readUInt32LE(at - 4);
  };
  const ansi = (): string | null => {
    const n = u32();
    if (n == null || at + n > b.length) return null;
    at += n;
    return b.toString("latin1", at - n, at).replace(/\0+$/, "");
  };
  if (u32() == null || u32() !== 2) return null;
  const className = ansi();
  if (className == null || ansi() == null || ansi() == null) return null;
  const size = u32();
  if (size == null || size === 0 || at + size > b.length) return null;
  const native = b.subarray(at, at + size);
  return className === "Package" ? packagedFile(native) : { label: null, size, bytes: () => native };
}
